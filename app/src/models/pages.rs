//! The models page (`/models`) and one model's page (`/models/details?server=&model=`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use super::api::{
    get_model_details, get_models_overview, AddOllamaServer, CopyModel, DeleteModel, PullModel,
    RemoveOllamaServer, SyncModel, TestPrompt, UnloadModel,
};
use super::{ModelDetails, ModelRow, ModelsOverview, ServerModels, DEFAULT_OLLAMA_URL, PULL_TASK};
use crate::tasks::pages::TaskProgress;
use crate::tasks::{TaskSnapshot, TaskStatus};
use crate::ui::form::ActionForm;
use crate::ui::format::{bytes, Time};
use crate::ui::layout::ErrorNote;
use crate::ui::paths::{encode_query, href};

/// Every action of the page, so each one's result refreshes the list and shows its error.
#[derive(Clone, Copy)]
struct Actions {
    add_server: ServerAction<AddOllamaServer>,
    remove_server: ServerAction<RemoveOllamaServer>,
    pull: ServerAction<PullModel>,
    delete: ServerAction<DeleteModel>,
    copy: ServerAction<CopyModel>,
    unload: ServerAction<UnloadModel>,
    sync: ServerAction<SyncModel>,
}

impl Actions {
    fn new() -> Self {
        Self {
            add_server: ServerAction::new(),
            remove_server: ServerAction::new(),
            pull: ServerAction::new(),
            delete: ServerAction::new(),
            copy: ServerAction::new(),
            unload: ServerAction::new(),
            sync: ServerAction::new(),
        }
    }

    fn versions(&self) -> [usize; 7] {
        [
            self.add_server.version().get(),
            self.remove_server.version().get(),
            self.pull.version().get(),
            self.delete.version().get(),
            self.copy.version().get(),
            self.unload.version().get(),
            self.sync.version().get(),
        ]
    }

    /// The error of an action that failed, as a sentence (the first in the order above
    /// when several did; each action's error is cleared when it is used again).
    fn error(&self) -> Option<String> {
        let errors = [
            self.add_server.value().get().and_then(Result::err),
            self.remove_server.value().get().and_then(Result::err),
            self.pull.value().get().and_then(Result::err),
            self.delete.value().get().and_then(Result::err),
            self.copy.value().get().and_then(Result::err),
            self.unload.value().get().and_then(Result::err),
            self.sync.value().get().and_then(Result::err),
        ];
        errors
            .into_iter()
            .flatten()
            .next()
            .map(|error| error.to_string())
    }
}

#[component]
pub fn ModelsPage() -> impl IntoView {
    let actions = Actions::new();
    let finished = RwSignal::new(0u32);
    let overview = Resource::new(
        move || (actions.versions(), finished.get()),
        |_| get_models_overview(),
    );
    let refetch = Callback::new(move |_: TaskSnapshot| finished.update(|count| *count += 1));
    view! {
        <Title text="Models · caretaker"/>
        <h1>"Models"</h1>
        <p class="muted">"The team's Ollama servers and the models on them. Pull, copy, delete and test models, see what is loaded in memory, and keep a model on several servers."</p>
        {move || actions.error().map(|message| view! { <ErrorNote message/> })}
        <Transition fallback=|| view! { <p class="muted">"Asking the Ollama servers…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) => view! { <ModelsBody overview actions refetch/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ModelsBody(
    overview: ModelsOverview,
    actions: Actions,
    refetch: Callback<TaskSnapshot>,
) -> impl IntoView {
    let ModelsOverview {
        servers,
        tasks,
        ollama_services,
        actions_allowed,
    } = overview;
    let reachable: Vec<(i64, String)> = servers
        .iter()
        .filter(|server| server.reachable.is_ok())
        .map(|server| (server.server.id, server.server.name.clone()))
        .collect();
    let names: Vec<(String, i64)> = servers
        .iter()
        .map(|server| (server.server.name.clone(), server.server.id))
        .collect();
    let all_models: Vec<String> = {
        let mut all: Vec<String> = servers
            .iter()
            .flat_map(|server| server.models.iter().map(|model| model.name.clone()))
            .collect();
        all.sort();
        all.dedup();
        all
    };
    let no_servers = servers.is_empty();
    view! {
        <section class="card" aria-labelledby="servers-title">
            <h2 id="servers-title">"Ollama servers"</h2>
            {if no_servers {
                view! { <p class="empty">"No Ollama server yet. Add the address Ollama listens on (usually " <code>{DEFAULT_OLLAMA_URL}</code> "), or pick an Ollama service from the containers area."</p> }.into_any()
            } else {
                view! { <ServerTable servers=servers.clone() actions_allowed remove=actions.remove_server/> }.into_any()
            }}
            {actions_allowed.then(|| view! { <AddServerForm add=actions.add_server services=ollama_services open=no_servers/> })}
        </section>
        {(actions_allowed && !reachable.is_empty()).then(|| view! {
            <PullAndSync servers=reachable.clone() models=all_models actions/>
        })}
        {(!tasks.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="tasks-title">
                <h2 id="tasks-title">"Pulls and syncs"</h2>
                {tasks.into_iter().map(|task| view! { <TaskCard task names=names.clone() actions_allowed pull=actions.pull refetch/> }).collect_view()}
            </section>
        })}
        {servers.into_iter().map(|server| view! { <ServerCard server actions_allowed actions/> }.into_any()).collect_view()}
    }
}

#[component]
fn ServerTable(
    servers: Vec<ServerModels>,
    actions_allowed: bool,
    remove: ServerAction<RemoveOllamaServer>,
) -> impl IntoView {
    let total_models: usize = servers.iter().map(|server| server.models.len()).sum();
    let total_disk = bytes(servers.iter().map(ServerModels::disk_bytes).sum());
    let server_count = servers.len();
    view! {
        <div class="table-scroll">
        <table class="ollama-servers">
            <thead><tr>
                <th scope="col">"Server"</th><th scope="col">"State"</th><th scope="col">"Models"</th>
                <th scope="col">"Size of models"</th><th scope="col">"Loaded"</th><th scope="col"></th>
            </tr></thead>
            <tbody>
                {servers.into_iter().map(|server| {
                    let (state, text) = match &server.reachable {
                        Ok(version) => ("reachable", format!("Ollama {version}")),
                        Err(reason) => ("unreachable", reason.clone()),
                    };
                    let disk = bytes(server.disk_bytes());
                    let ServerModels { server, models, loaded, .. } = server;
                    let from = server.service.clone().map(|service| view! { <br/><span class="muted small">{format!("service {service}")}</span> });
                    let remove_form = actions_allowed.then(|| view! {
                        <details class="confirm">
                            <summary aria-label=format!("Remove {}…", server.name)>"Remove…"</summary>
                            <p class="small">"caretaker stops listing this server. Ollama and its models stay as they are."</p>
                            <ActionForm action=remove>
                                <input type="hidden" name="id" value=server.id.to_string()/>
                                <button type="submit" class="danger">"Yes, remove the server"</button>
                            </ActionForm>
                        </details>
                    });
                    view! {
                        <tr data-server=server.name.clone() data-server-state=state>
                            <td><strong>{server.name.clone()}</strong><br/><code class="muted small">{server.base_url.clone()}</code>{from}</td>
                            <td class=format!("host-{state}")>{text}</td>
                            <td>{models.len()}</td>
                            <td>{disk}</td>
                            <td>{loaded.len()}</td>
                            <td>{remove_form}</td>
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
            <tfoot>
                <tr data-totals="all">
                    <th scope="row">{if server_count == 1 { "Total".to_owned() } else { format!("All {server_count} servers") }}</th>
                    <td></td>
                    <td>{total_models}</td>
                    <td>{total_disk}</td>
                    <td colspan="2"></td>
                </tr>
            </tfoot>
        </table>
        </div>
    }
}

#[component]
fn AddServerForm(
    add: ServerAction<AddOllamaServer>,
    services: Vec<(i64, String)>,
    open: bool,
) -> impl IntoView {
    let has_services = !services.is_empty();
    view! {
        <details class="add-host" open=open>
            <summary>"Add an Ollama server"</summary>
            <ActionForm action=add attr:class="stacked-form">
                <label for="ollama-name">"Name"</label>
                <input id="ollama-name" name="form[name]" placeholder="gpu-box" pattern="[a-z0-9][a-z0-9-]{0,39}"
                    title="1 to 40 lowercase letters, digits and dashes"/>
                <label for="ollama-url">"Address"</label>
                <input id="ollama-url" name="form[base_url]" value=DEFAULT_OLLAMA_URL placeholder=DEFAULT_OLLAMA_URL/>
                {has_services.then(|| view! {
                    <label for="ollama-service">"Or an Ollama service"</label>
                    <select id="ollama-service" name="form[service]">
                        <option value="">"none: use the address above"</option>
                        {services.into_iter().map(|(id, label)| view! { <option value=id.to_string()>{label}</option> }).collect_view()}
                    </select>
                    <p class="hint small muted">"With a service, its host and published port give the address, and its name is used when Name is empty."</p>
                })}
                <button type="submit">"Add server"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn PullAndSync(
    servers: Vec<(i64, String)>,
    models: Vec<String>,
    actions: Actions,
) -> impl IntoView {
    let several = servers.len() > 1;
    let server_options = servers.clone();
    view! {
        <section class="card" aria-labelledby="pull-title">
            <h2 id="pull-title">"Pull a model"</h2>
            <ActionForm action=actions.pull attr:class="inline-form">
                <label>"Server "
                    <select name="server">
                        {server_options.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                </label>
                <label>"Model "
                    <input name="model" required placeholder="llama3.2:1b" autocomplete="off"
                        aria-describedby="pull-help"/>
                </label>
                <button type="submit">"Pull"</button>
            </ActionForm>
            <p id="pull-help" class="small muted">"A name from Ollama's library, with a tag if you want one other than latest: " <code>"llama3.2"</code> ", " <code>"qwen2.5:0.5b"</code> ". A pull that stops half-way resumes when you pull again."</p>
            {several.then(|| view! {
                <h3>"Keep a model on several servers"</h3>
                <ActionForm action=actions.sync attr:class="stacked-form">
                    <label for="sync-model">"Model"</label>
                    <input id="sync-model" name="form[model]" required list="known-models" placeholder="llama3.2:1b" autocomplete="off"/>
                    <datalist id="known-models">
                        {models.into_iter().map(|name| view! { <option value=name/> }).collect_view()}
                    </datalist>
                    <fieldset>
                        <legend>"On these servers"</legend>
                        {servers.into_iter().map(|(id, name)| view! {
                            <label class="check"><input type="checkbox" name="form[servers][]" value=id.to_string() checked=true/>" " {name}</label>
                        }).collect_view()}
                    </fieldset>
                    <button type="submit">"Sync"</button>
                </ActionForm>
                <p class="small muted">"Servers that have the model already are left alone; the others pull it, all at once."</p>
            })}
        </section>
    }
}

/// A pull or sync; a failed pull offers to pull again, which resumes.
#[component]
fn TaskCard(
    task: TaskSnapshot,
    names: Vec<(String, i64)>,
    actions_allowed: bool,
    pull: ServerAction<PullModel>,
    refetch: Callback<TaskSnapshot>,
) -> impl IntoView {
    let retry = (actions_allowed
        && task.kind == PULL_TASK
        && matches!(
            task.status,
            TaskStatus::Failed | TaskStatus::Cancelled | TaskStatus::Interrupted
        ))
    .then(|| {
        let (server, model) = task.target.split_once('/')?;
        let id = names.iter().find(|(name, _)| name == server)?.1;
        let model = model.to_owned();
        Some(view! {
            <ActionForm action=pull attr:class="inline">
                <input type="hidden" name="server" value=id.to_string()/>
                <button type="submit">{format!("Pull {model} again")}</button>
                <input type="hidden" name="model" value=model/>
            </ActionForm>
        })
    })
    .flatten();
    let (kind, target, created_at) = (task.kind.clone(), task.target.clone(), task.created_at);
    let heading = target.clone();
    let cancel = (actions_allowed && !task.status.is_finished()).then(|| {
        view! { <crate::tasks::pages::CancelButton id=task.id.clone()/> }
    });
    view! {
        <div class="task-card" data-task-kind=kind data-task-target=target>
            <p class="small"><strong>{heading}</strong> " · started " <Time at=created_at/></p>
            <TaskProgress task on_finished=refetch/>
            {cancel}
            {retry}
        </div>
    }
}

#[component]
fn ServerCard(server: ServerModels, actions_allowed: bool, actions: Actions) -> impl IntoView {
    let title_id = format!("server-{}", server.server.id);
    let disk = bytes(server.disk_bytes());
    let ServerModels {
        server,
        reachable,
        models,
        loaded,
    } = server;
    let body = match reachable {
        Err(reason) => view! { <p class="error-note" role="alert">{reason}</p> }.into_any(),
        Ok(_) => {
            let count = models.len();
            let server_id = server.id;
            view! {
                <h3>"On disk"</h3>
                {if models.is_empty() {
                    view! { <p class="empty">"No models on this server yet. Pull one above, for example " <code>"llama3.2:1b"</code> "."</p> }.into_any()
                } else {
                    view! {
                        <ModelTable server_id models actions_allowed actions/>
                        <p class="small muted" data-totals>{format!("{} · {disk} in all", plural(count, "model"))}</p>
                    }.into_any()
                }}
                <h3>"Loaded in memory"</h3>
                <LoadedTable server_id loaded actions_allowed unload=actions.unload/>
            }
            .into_any()
        }
    };
    view! {
        <section class="card" aria-labelledby=title_id.clone() data-server-card=server.name.clone()>
            <h2 id=title_id.clone()>{server.name.clone()} " " <code class="muted small">{server.base_url.clone()}</code></h2>
            {body}
        </section>
    }
}

#[component]
fn ModelTable(
    server_id: i64,
    models: Vec<ModelRow>,
    actions_allowed: bool,
    actions: Actions,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="models">
            <thead><tr>
                <th scope="col">"Model"</th><th scope="col">"Family"</th><th scope="col">"Parameters"</th>
                <th scope="col">"Quantization"</th><th scope="col">"Size"</th><th scope="col">"Modified"</th>
                {actions_allowed.then(|| view! { <th scope="col">"Actions"</th> })}
            </tr></thead>
            <tbody>
                {models.into_iter().map(|model| {
                    let link = href(&format!("/models/details?server={server_id}&model={}", encode_query(&model.name)));
                    let actions = actions_allowed.then(|| view! { <ModelActions server_id name=model.name.clone() actions/> });
                    view! {
                        <tr data-model=model.name.clone()>
                            <td><a href=link>{model.name.clone()}</a></td>
                            <td>{model.family.clone()}</td>
                            <td>{model.parameter_size.clone()}</td>
                            <td>{model.quantization.clone()}</td>
                            <td data-size=model.size.to_string()>{bytes(model.size)}</td>
                            <td>{model.modified_at.map(|at| view! { <Time at/> })}</td>
                            {actions.map(|actions| view! { <td>{actions}</td> })}
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
}

#[component]
fn ModelActions(server_id: i64, name: String, actions: Actions) -> impl IntoView {
    let copy_label = format!("Copy {name}…");
    let delete_label = format!("Delete {name}…");
    let delete_note =
        format!("{name} is deleted from this server's disk. Layers other models share stay.");
    let suggestion = format!("{}-backup", name.split(':').next().unwrap_or(&name));
    let (source, model) = (name.clone(), name);
    view! {
        <div class="actions">
            <details class="more">
                <summary aria-label=copy_label>"Copy…"</summary>
                <ActionForm action=actions.copy attr:class="inline">
                    <input type="hidden" name="server" value=server_id.to_string()/>
                    <input type="hidden" name="source" value=source/>
                    <label>"New name "<input name="destination" required placeholder=suggestion/></label>
                    <button type="submit">"Copy"</button>
                </ActionForm>
            </details>
            <details class="confirm">
                <summary aria-label=delete_label>"Delete…"</summary>
                <p class="small">{delete_note}</p>
                <ActionForm action=actions.delete attr:class="inline">
                    <input type="hidden" name="server" value=server_id.to_string()/>
                    <input type="hidden" name="model" value=model/>
                    <button type="submit" class="danger">"Yes, delete"</button>
                </ActionForm>
            </details>
        </div>
    }
}

#[component]
fn LoadedTable(
    server_id: i64,
    loaded: Vec<super::LoadedModel>,
    actions_allowed: bool,
    unload: ServerAction<UnloadModel>,
) -> impl IntoView {
    if loaded.is_empty() {
        return view! { <p class="empty">"No model is in memory. Ollama loads a model when it is asked something, and unloads it after five idle minutes by default."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="loaded">
            <thead><tr>
                <th scope="col">"Model"</th><th scope="col">"Memory"</th><th scope="col">"In VRAM"</th>
                <th scope="col">"Context"</th><th scope="col">"Unloads at"</th>
                {actions_allowed.then(|| view! { <th scope="col"></th> })}
            </tr></thead>
            <tbody>
                {loaded.into_iter().map(|model| {
                    let unload_name = model.name.clone();
                    let button = actions_allowed.then(|| view! {
                        <td>
                            <ActionForm action=unload attr:class="inline">
                                <input type="hidden" name="server" value=server_id.to_string()/>
                                <button type="submit" aria-label=format!("Unload {unload_name}")>"Unload"</button>
                                <input type="hidden" name="model" value=unload_name.clone()/>
                            </ActionForm>
                        </td>
                    });
                    view! {
                        <tr data-loaded=model.name.clone()>
                            <td>{model.name.clone()}</td>
                            <td>{bytes(model.size)}</td>
                            <td>{format!("{} ({})", bytes(model.size_vram), model.placement())}</td>
                            <td>{model.context_length.map(|tokens| format!("{tokens} tokens"))}</td>
                            <td>{model.expires_at.map(|at| view! { <Time at/> })}</td>
                            {button}
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[component]
pub fn ModelPage() -> impl IntoView {
    let query = use_query_map();
    let target = move || {
        query.with(|q| {
            (
                q.get("server").and_then(|id| id.parse::<i64>().ok()),
                q.get("model").unwrap_or_default(),
            )
        })
    };
    let prompt = ServerAction::<TestPrompt>::new();
    let finished = RwSignal::new(0u32);
    let details = Resource::new(
        move || (target(), prompt.version().get(), finished.get()),
        |((server, model), ..)| async move {
            match server {
                Some(server) => get_model_details(server, model).await,
                None => Err(crate::core::error::AppError::invalid(
                    "This address names no server. Open a model from the models page.",
                )),
            }
        },
    );
    let refetch = Callback::new(move |_: TaskSnapshot| finished.update(|count| *count += 1));
    view! {
        <Title text="Model · caretaker"/>
        <p><a href=href("/models")>"← Models"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Asking Ollama…"</p> }>
            {move || details.get().map(|answer| match answer {
                Ok(details) => view! { <ModelBody details prompt refetch/> }.into_any(),
                Err(error) => view! { <h1>"Model"</h1><ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ModelBody(
    details: ModelDetails,
    prompt: ServerAction<TestPrompt>,
    refetch: Callback<TaskSnapshot>,
) -> impl IntoView {
    let facts = [
        ("Family", details.family.clone()),
        ("Parameters", details.parameter_size.clone()),
        ("Quantization", details.quantization.clone()),
        ("Format", details.format.clone()),
        ("Capabilities", details.capabilities.join(", ")),
    ];
    let texts = [
        ("Modelfile", details.modelfile.clone()),
        ("Parameters", details.parameters.clone()),
        ("Template", details.template.clone()),
        ("System prompt", details.system.clone()),
        ("License", details.license.clone()),
    ];
    view! {
        <Title text=format!("{} · Models · caretaker", details.name)/>
        <h1>{details.name.clone()}</h1>
        <p class="muted">{format!("on {} ({})", details.server.name, details.server.base_url)}</p>
        <section class="card" aria-labelledby="facts-title">
            <h2 id="facts-title">"Details"</h2>
            <dl class="config">
                {facts.into_iter().filter(|(_, value)| !value.is_empty()).map(|(label, value)| view! { <dt>{label}</dt><dd>{value}</dd> }).collect_view()}
                {details.info.iter().map(|(key, value)| view! { <dt><code>{key.clone()}</code></dt><dd>{value.clone()}</dd> }).collect_view()}
            </dl>
            {texts.into_iter().filter(|(_, text)| !text.trim().is_empty()).map(|(label, text)| view! {
                <details class="model-text">
                    <summary>{label}</summary>
                    <pre>{text}</pre>
                </details>
            }).collect_view()}
        </section>
        {details.actions_allowed.then(|| view! {
            <section class="card" aria-labelledby="prompt-title">
                <h2 id="prompt-title">"Test prompt"</h2>
                <ActionForm action=prompt attr:class="stacked-form">
                    <input type="hidden" name="server" value=details.server.id.to_string()/>
                    <input type="hidden" name="model" value=details.name.clone()/>
                    <label for="prompt-text">"Prompt"</label>
                    <textarea id="prompt-text" name="prompt" required rows="3" maxlength="8000">"Say hello in one sentence."</textarea>
                    <button type="submit">"Send"</button>
                </ActionForm>
                {move || prompt.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
                <p class="small muted">"The answer streams below. Time to first token is measured by caretaker from sending the prompt; tokens per second come from Ollama's own count."</p>
                {details.last_prompt.clone().map(|task| view! { <TaskProgress task on_finished=refetch/> })}
            </section>
        })}
    }
}

/// "1 model", "3 models".
fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}
