//! Services pages: the list with the compose import (`/containers/services`), a new
//! service (`/containers/services/new`) and one service (`/containers/services/:id`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{
    get_service, list_services, CreateService, DeleteService, DeployService, ImportCompose,
    PromoteService, RollBackService, UpdateService,
};
use super::{Deployment, ServiceForm, ServiceSummary, ServiceView, RESTART_POLICIES};
use crate::tasks::pages::TaskProgress;
use crate::tasks::TaskSnapshot;
use crate::ui::form::ActionForm;
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::href;

#[component]
pub fn ServicesPage() -> impl IntoView {
    let import = ServerAction::<ImportCompose>::new();
    let services = Resource::new(move || import.version().get(), |_| list_services());
    view! {
        <Title text="Services · caretaker"/>
        <p><a href=href("/containers")>"← Containers"</a></p>
        <h1>"Services"</h1>
        <p class="muted">"A service is a named application with its container definition, kept here: image, command, environment (secrets apart, encrypted), ports, volumes, health check and GPUs."</p>
        <Transition fallback=|| view! { <p class="muted">"Reading the services…"</p> }>
            {move || services.get().map(|answer| match answer {
                Ok(services) => view! { <ServiceTable services/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
        <section class="card" aria-labelledby="new-title">
            <h2 id="new-title">"Add services"</h2>
            <p><a class="button" href=href("/containers/services/new")>"New service"</a>
                " or adopt a running container from its page under " <a href=href("/containers")>"Containers"</a> "."</p>
            <p><a href=href("/containers/services/llm-stack")>"Ollama and Open WebUI with GitHub login"</a>
                " — a ready pair of services for a team's LLM chat, from a short form."</p>
            <h3>"Import a docker-compose file"</h3>
            <p class="small muted">"Paste the file. caretaker takes image, command, environment, ports, volumes, networks, labels, restart, healthcheck, depends_on and GPU reservations; it names what it leaves out. Images are deployed, not built. Variables whose names look secret (…PASSWORD, …TOKEN, …KEY) are stored encrypted."</p>
            <ActionForm action=import attr:class="stacked-form">
                <label for="import-host">"Host"</label>
                <input id="import-host" name="host" value="local"/>
                <label for="import-compose">"docker-compose.yml"</label>
                <textarea id="import-compose" name="compose" rows="14" required spellcheck="false"></textarea>
                <button type="submit">"Import"</button>
            </ActionForm>
            {move || import.value().get().map(|answer| match answer {
                Ok(report) => view! {
                    <p role="status" data-imported=report.created.join(",")>{format!("Created: {}.", report.created.join(", "))}</p>
                    {(!report.ignored.is_empty()).then(|| view! {
                        <p class="small muted">{format!("Not used: {}.", report.ignored.join(", "))}</p>
                    })}
                }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </section>
    }
}

#[component]
fn ServiceTable(services: Vec<ServiceSummary>) -> impl IntoView {
    if services.is_empty() {
        return view! { <p class="empty">"No services yet. Import your docker-compose file below, create one, or adopt a running container."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table>
                <thead><tr><th scope="col">"Service"</th><th scope="col">"Host"</th><th scope="col">"Image"</th><th scope="col">"Ports"</th><th scope="col">"Changed"</th></tr></thead>
                <tbody>
                    {services.into_iter().map(|service| view! {
                        <tr data-service=service.name.clone()>
                            <td><a href=href(&format!("/containers/services/{}", service.id))>{service.name.clone()}</a></td>
                            <td>{service.host_id.clone()}</td>
                            <td><code>{format!("{}:{}", service.image, service.tag)}</code></td>
                            <td class="small">{service.ports.join(", ")}</td>
                            <td><Time at=service.updated_at/></td>
                        </tr>
                    }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

/// The fields of the create and edit forms, named `form[…]` for the server function.
#[component]
fn ServiceFields(form: ServiceForm, editing: bool) -> impl IntoView {
    let secrets_hint = if editing {
        "One per line, NAME=value. A name alone keeps its stored value; a name you delete is removed. Values are stored encrypted and never shown again."
    } else {
        "One per line, NAME=value. Stored encrypted, never shown again."
    };
    let restart = if form.restart.is_empty() {
        "unless-stopped".to_owned()
    } else {
        form.restart.clone()
    };
    view! {
        <label for="service-name">"Name"</label>
        <input id="service-name" name="form[name]" required value=form.name.clone() placeholder="open-webui" aria-describedby="service-name-hint"/>
        <p id="service-name-hint" class="hint small muted">"Lowercase letters, digits, '_' and '-'."</p>
        <label for="service-host">"Host"</label>
        <input id="service-host" name="form[host]" value=if form.host.is_empty() { "local".to_owned() } else { form.host.clone() }/>
        <label for="service-image">"Image"</label>
        <input id="service-image" name="form[image]" required value=form.image.clone() placeholder="ghcr.io/open-webui/open-webui:main"/>
        <label for="service-command">"Command"</label>
        <textarea id="service-command" name="form[command]" rows="2" spellcheck="false" placeholder="one argument per line; empty: the image's own">{form.command.clone()}</textarea>
        <label for="service-env">"Environment"</label>
        <textarea id="service-env" name="form[env]" rows="4" spellcheck="false" placeholder="OLLAMA_BASE_URL=http://ollama:11434">{form.env.clone()}</textarea>
        <label for="service-secrets">"Secrets"</label>
        <textarea id="service-secrets" name="form[secrets]" rows="2" spellcheck="false" placeholder="WEBUI_SECRET_KEY=…" aria-describedby="service-secrets-hint">{form.secrets.clone()}</textarea>
        <p id="service-secrets-hint" class="hint small muted">{secrets_hint}</p>
        <label for="service-ports">"Ports"</label>
        <textarea id="service-ports" name="form[ports]" rows="2" spellcheck="false" placeholder="3000:8080 or 127.0.0.1:11434:11434">{form.ports.clone()}</textarea>
        <label for="service-volumes">"Volumes"</label>
        <textarea id="service-volumes" name="form[volumes]" rows="2" spellcheck="false" placeholder="open-webui:/app/backend/data or /srv/models:/models:ro">{form.volumes.clone()}</textarea>
        <label for="service-networks">"Networks"</label>
        <textarea id="service-networks" name="form[networks]" rows="1" spellcheck="false">{form.networks.clone()}</textarea>
        <label for="service-labels">"Labels"</label>
        <textarea id="service-labels" name="form[labels]" rows="2" spellcheck="false" placeholder="key=value">{form.labels.clone()}</textarea>
        <label for="service-restart">"Restart"</label>
        <select id="service-restart" name="form[restart]">
            {RESTART_POLICIES.iter().map(|policy| view! { <option value=*policy selected=*policy == restart>{*policy}</option> }).collect_view()}
        </select>
        <label for="service-health">"Health check"</label>
        <input id="service-health" name="form[health_test]" value=form.health_test.clone() placeholder="CMD curl -f http://localhost:8080/health"/>
        <label for="service-health-interval">"Check every"</label>
        <input id="service-health-interval" name="form[health_interval]" value=form.health_interval.clone() placeholder="30s"/>
        <label for="service-health-path">"HTTP check"</label>
        <input id="service-health-path" name="form[health_path]" value=form.health_path.clone() placeholder="/health (asked on the first port when deploying)"/>
        <label for="service-gpus">"GPUs"</label>
        <input id="service-gpus" name="form[gpus]" value=form.gpus.clone() placeholder="empty: none; all; or a number"/>
        <label for="service-depends">"Depends on"</label>
        <textarea id="service-depends" name="form[depends_on]" rows="1" spellcheck="false" placeholder="ollama">{form.depends_on.clone()}</textarea>
    }
}

#[component]
pub fn NewServicePage() -> impl IntoView {
    let create = ServerAction::<CreateService>::new();
    view! {
        <Title text="New service · caretaker"/>
        <p><a href=href("/containers/services")>"← Services"</a></p>
        <h1>"New service"</h1>
        <section class="card">
            <ActionForm action=create attr:class="stacked-form">
                <ServiceFields form=ServiceForm::default() editing=false/>
                <button type="submit">"Create service"</button>
            </ActionForm>
            {move || create.value().get().map(|answer| match answer {
                Ok(id) => view! { <p role="status">"Created. " <a href=href(&format!("/containers/services/{id}"))>"Open the service"</a></p> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </section>
    }
}

#[component]
pub fn ServicePage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let actions = ServiceActions {
        update: ServerAction::new(),
        delete: ServerAction::new(),
        deploy: ServerAction::new(),
        promote: ServerAction::new(),
        roll_back: ServerAction::new(),
    };
    let service = Resource::new(
        move || {
            (
                id(),
                actions.update.version().get(),
                actions.deploy.version().get(),
                actions.promote.version().get(),
                actions.roll_back.version().get(),
            )
        },
        |(id, ..)| get_service(id),
    );
    let refetch = Callback::new(move |_: TaskSnapshot| service.refetch());
    view! {
        <Title text="Service · caretaker"/>
        <p><a href=href("/containers/services")>"← Services"</a></p>
        <Transition fallback=|| view! { <p class="muted">"Reading the service…"</p> }>
            {move || service.get().map(|answer| match answer {
                Ok(view) => view! { <ServiceBody view actions refetch/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

/// What an admin can do on a service's page.
#[derive(Clone, Copy)]
struct ServiceActions {
    update: ServerAction<UpdateService>,
    delete: ServerAction<DeleteService>,
    deploy: ServerAction<DeployService>,
    promote: ServerAction<PromoteService>,
    roll_back: ServerAction<RollBackService>,
}

#[component]
fn ServiceBody(
    view: ServiceView,
    actions: ServiceActions,
    refetch: Callback<TaskSnapshot>,
) -> impl IntoView {
    let ServiceView {
        id,
        host_id,
        spec,
        form,
        compose,
        deployments,
        deploy_task,
        actions_allowed,
    } = view;
    let ServiceActions { update, delete, .. } = actions;
    let deploys = view! {
        <DeploySection id default_tag=spec.tag.clone() deployments deploy_task actions actions_allowed refetch/>
    };
    let name = spec.name.clone();
    let editor = actions_allowed.then(|| view! {
        <section class="card" aria-labelledby="edit-title">
            <h2 id="edit-title">"Edit"</h2>
            <ActionForm action=update attr:class="stacked-form">
                <input type="hidden" name="id" value=id.to_string()/>
                <ServiceFields form editing=true/>
                <button type="submit">"Save changes"</button>
            </ActionForm>
            {move || update.value().get().map(|answer| match answer {
                Ok(()) => view! { <p role="status">"Saved."</p> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
            <details class="confirm">
                <summary>"Delete this service…"</summary>
                <p class="small">"caretaker forgets the definition and its secrets; running containers are left alone."</p>
                <ActionForm action=delete>
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit" class="danger">{format!("Yes, delete {name}")}</button>
                </ActionForm>
            </details>
            {move || delete.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        </section>
    });
    view! {
        <Title text=format!("{} · services · caretaker", spec.name)/>
        <h1>{spec.name.clone()}</h1>
        <section class="card" aria-labelledby="definition-title">
            <h2 id="definition-title">"Definition"</h2>
            <dl class="config">
                <dt>"Host"</dt><dd>{host_id}</dd>
                <dt>"Image"</dt><dd><code>{format!("{}:{}", spec.image, spec.tag)}</code></dd>
                <dt>"Secrets"</dt><dd>{if spec.secret_names.is_empty() { "none".to_owned() } else { spec.secret_names.join(", ") }}</dd>
            </dl>
            <h3>"As docker-compose"</h3>
            <pre class="compose" data-compose>{compose}</pre>
        </section>
        {deploys}
        // Shows itself only when the engine is a Swarm manager.
        <crate::cluster::pages::SwarmSection id default_tag=spec.tag.clone()/>
        {editor}
    }
}

#[component]
fn DeploySection(
    id: i64,
    default_tag: String,
    deployments: Vec<Deployment>,
    deploy_task: Option<TaskSnapshot>,
    actions: ServiceActions,
    actions_allowed: bool,
    refetch: Callback<TaskSnapshot>,
) -> impl IntoView {
    let ServiceActions {
        deploy,
        promote,
        roll_back,
        ..
    } = actions;
    let in_test = deployments.iter().find(|d| d.status == "ready").cloned();
    let production = deployments
        .iter()
        .find(|d| d.status == "production")
        .cloned();
    let previous = deployments.iter().find(|d| d.status == "previous").cloned();
    let running = deploy_task.filter(|task| !task.status.is_finished());
    let errors = move || {
        [
            deploy.value().get().and_then(Result::err),
            promote.value().get().and_then(Result::err),
            roll_back.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .map(|error| view! { <ErrorNote message=error.to_string()/> })
        .collect_view()
    };
    let describe = |deployment: &Deployment| {
        format!(
            "{} ({})",
            deployment.tag,
            deployment
                .digest
                .as_deref()
                .map_or("no digest", |d| &d[..d.len().min(19)])
        )
    };
    view! {
        <section class="card" aria-labelledby="deploy-title">
            <h2 id="deploy-title">"Deploys"</h2>
            <dl class="config">
                <dt>"Production"</dt>
                <dd data-slot="production">{production.as_ref().map_or_else(|| "nothing deployed by caretaker yet".to_owned(), describe)}</dd>
                <dt>"Test slot"</dt>
                <dd data-slot="test">{in_test.as_ref().map_or_else(|| "empty".to_owned(), describe)}</dd>
                <dt>"Kept for roll back"</dt>
                <dd data-slot="previous">{previous.as_ref().map_or_else(|| "none".to_owned(), describe)}</dd>
            </dl>
            <p class="small muted">"The test slot runs the same definition as production, volumes included: a version that changes its data on start changes production's."</p>
            {running.map(|task| view! { <TaskProgress task on_finished=refetch/> })}
            {actions_allowed.then(|| view! {
                <div class="actions">
                    <ActionForm action=deploy attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string()/>
                        <label>"Tag " <input name="tag" value=default_tag.clone() required/></label>
                        <button type="submit">"Deploy to the test slot"</button>
                    </ActionForm>
                    {in_test.is_some().then(|| view! {
                        <ActionForm action=promote attr:class="inline">
                            <input type="hidden" name="id" value=id.to_string()/>
                            <button type="submit" disabled=move || promote.pending().get()>"Promote to production"</button>
                        </ActionForm>
                    })}
                    {previous.is_some().then(|| view! {
                        <details class="confirm">
                            <summary>"Roll back…"</summary>
                            <p class="small">"Production is replaced by the version kept at the last promote."</p>
                            <ActionForm action=roll_back>
                                <input type="hidden" name="id" value=id.to_string()/>
                                <button type="submit" class="danger" disabled=move || roll_back.pending().get()>"Yes, roll back"</button>
                            </ActionForm>
                        </details>
                    })}
                </div>
            })}
            {move || (promote.pending().get() || roll_back.pending().get()).then(|| view! {
                <p role="status" class="muted">"Switching production… stopping the running version can take up to 10 seconds."</p>
            })}
            {errors}
            <h3>"History"</h3>
            <DeploymentTable deployments/>
        </section>
    }
}

#[component]
fn DeploymentTable(deployments: Vec<Deployment>) -> impl IntoView {
    if deployments.is_empty() {
        return view! { <p class="empty">"No deploys yet. Choose a tag and deploy it to the test slot; promote it once it is healthy."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="deployments">
                <thead><tr><th scope="col">"When"</th><th scope="col">"Who"</th><th scope="col">"Tag"</th><th scope="col">"Digest"</th><th scope="col">"Result"</th><th scope="col">"Took"</th></tr></thead>
                <tbody>
                    {deployments.into_iter().map(|deployment| view! {
                        <tr data-deployment=deployment.id.to_string() data-status=deployment.status.clone()>
                            <td><Time at=deployment.started_at/></td>
                            <td>{deployment.actor.clone()}</td>
                            <td><code>{deployment.tag.clone()}</code></td>
                            <td><code class="small" title=deployment.digest.clone().unwrap_or_default()>{deployment.digest.as_deref().map(|d| d[..d.len().min(19)].to_owned())}</code></td>
                            <td>
                                <strong>{deployment.status.clone()}</strong><br/>
                                // Once promoted, the deploy's own sentence is history; when it went live is not.
                                {match deployment.promoted_at {
                                    Some(at) if !matches!(deployment.status.as_str(), "ready" | "failed") => view! {
                                        <span class="small muted">"promoted " <Time at/></span>
                                    }.into_any(),
                                    _ => view! { <span class="small muted">{deployment.message.clone()}</span> }.into_any(),
                                }}
                            </td>
                            <td>{deployment.duration_text()}</td>
                        </tr>
                    }.into_any()).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}
