//! The containers page (`/containers`) and one container's page (`/containers/:host/:id`).

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::api::{
    container_logs, get_container_details, list_containers, ActOnContainer, AddDockerHost,
    RemoveDockerHost,
};
use super::{
    ContainerAction, ContainerDetails, ContainerFilter, ContainerList, ContainerRow, HostStatus,
    LogLine, Usage, DEFAULT_TAIL, MAX_TAIL,
};
use crate::core::error::AppError;
use crate::services::api::AdoptContainer;
use crate::ui::form::ActionForm;
use crate::ui::format::{bytes, Time};
use crate::ui::layout::{keep_fresh, ErrorNote};
use crate::ui::paths::href;

/// How often an open page reads the snapshots again (the worker refreshes every 5 s).
const PAGE_REFRESH: Duration = Duration::from_secs(5);

#[component]
pub fn ContainersPage() -> impl IntoView {
    let query = use_query_map();
    let filter = move || {
        query.with(|q| ContainerFilter {
            q: q.get("q").unwrap_or_default(),
            host: q.get("host").unwrap_or_default(),
            state: q.get("state").unwrap_or_default(),
        })
    };
    let act = ServerAction::<ActOnContainer>::new();
    let add_host = ServerAction::<AddDockerHost>::new();
    let remove_host = ServerAction::<RemoveDockerHost>::new();
    let list = Resource::new(
        move || {
            (
                filter(),
                act.version().get(),
                add_host.version().get(),
                remove_host.version().get(),
            )
        },
        |(filter, ..)| list_containers(filter),
    );
    keep_fresh(list, PAGE_REFRESH);
    view! {
        <Title text="Containers · caretaker"/>
        <h1>"Containers"</h1>
        <p><a href=href("/containers/services")>"Services"</a> " — the applications caretaker deploys, with their definitions."</p>
        {move || act.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the hosts…"</p> }>
            {move || list.get().map(|answer| match answer {
                Ok(list) => view! { <ContainersBody list filter=filter() act add_host remove_host/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ContainersBody(
    list: ContainerList,
    filter: ContainerFilter,
    act: ServerAction<ActOnContainer>,
    add_host: ServerAction<AddDockerHost>,
    remove_host: ServerAction<RemoveDockerHost>,
) -> impl IntoView {
    let ContainerList {
        hosts,
        containers,
        total,
        states,
        actions_allowed,
    } = list;
    let host_choices: Vec<(String, String)> = hosts
        .iter()
        .map(|host| (host.id.clone(), host.name.clone()))
        .collect();
    let shown = containers.len();
    let filtered = filter != ContainerFilter::default();
    view! {
        <section class="card" aria-labelledby="hosts-title">
            <h2 id="hosts-title">"Docker hosts"</h2>
            <HostTable hosts actions_allowed remove_host/>
            {actions_allowed.then(|| view! { <AddHostForm add_host/> })}
        </section>
        <section class="card" aria-labelledby="list-title">
            <h2 id="list-title">"All containers"</h2>
            <form method="get" action=href("/containers") class="inline-form" role="search" aria-label="Search containers">
                <label>"Search "
                    <input type="search" name="q" value=filter.q.clone() placeholder="name, image, id or host"/>
                </label>
                <label>"Host "
                    <select name="host">
                        <option value="">"all hosts"</option>
                        {host_choices.into_iter().map(|(id, name)| {
                            let selected = id == filter.host;
                            view! { <option value=id selected=selected>{name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <label>"State "
                    <select name="state">
                        <option value="">"any state"</option>
                        {states.into_iter().map(|state| {
                            let selected = state == filter.state;
                            view! { <option value=state.clone() selected=selected>{state.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Filter"</button>
                {filtered.then(|| view! { <a href=href("/containers")>"Clear"</a> })}
            </form>
            <p class="muted small" data-count="shown">{format!("{shown} of {total} containers")}</p>
            <ContainerTable containers total actions_allowed act/>
        </section>
    }
}

#[component]
fn HostTable(
    hosts: Vec<HostStatus>,
    actions_allowed: bool,
    remove_host: ServerAction<RemoveDockerHost>,
) -> impl IntoView {
    view! {
        <div class="table-scroll">
        <table class="hosts">
            <thead><tr><th scope="col">"Host"</th><th scope="col">"Engine"</th><th scope="col">"Containers"</th><th scope="col">"Checked"</th><th scope="col"></th></tr></thead>
            <tbody>
                {hosts.into_iter().map(|host| {
                    let (engine, reachable) = match &host.check {
                        None => ("checking…".to_owned(), None),
                        Some(check) => match &check.outcome {
                            Ok(version) => (format!("Docker {version}"), Some(true)),
                            Err(reason) => (reason.clone(), Some(false)),
                        },
                    };
                    let state = match reachable {
                        Some(true) => "reachable",
                        Some(false) => "unreachable",
                        None => "checking",
                    };
                    let counts = host.check.as_ref().map(|check| format!("{} running of {}", check.running, check.containers));
                    let checked = host.check.as_ref().map(|check| view! { <Time at=check.at/> });
                    let remove = (actions_allowed && host.removable).then(|| view! {
                        <details class="confirm">
                            <summary>"Remove…"</summary>
                            <p class="small">"caretaker stops watching this host; its containers keep running."</p>
                            <ActionForm action=remove_host>
                                <input type="hidden" name="id" value=host.id.clone()/>
                                <button type="submit" class="danger">"Yes, remove the host"</button>
                            </ActionForm>
                        </details>
                    });
                    view! {
                        <tr data-host=host.name.clone() data-host-state=state>
                            <td><strong>{host.name.clone()}</strong><br/><span class="muted small">{host.endpoint.clone()}</span></td>
                            <td class=format!("host-{state}")>{engine}</td>
                            <td>{counts}</td>
                            <td>{checked}</td>
                            <td>{remove}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
        </div>
        {move || remove_host.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
    }
}

#[component]
fn AddHostForm(add_host: ServerAction<AddDockerHost>) -> impl IntoView {
    view! {
        <details class="add-host">
            <summary>"Add a Docker host (TCP with TLS)"</summary>
            <p class="small muted">"The engine must listen with " <code>"dockerd --tlsverify"</code> ". Give the CA that signed its certificate and a client certificate and key it trusts; the files stay where they are, readable by caretaker."</p>
            <ActionForm action=add_host attr:class="stacked-form">
                <label for="host-name">"Name"</label>
                <input id="host-name" name="name" required placeholder="gpu-box" pattern="[a-z0-9][a-z0-9-]{0,39}"/>
                <label for="host-address">"Address"</label>
                <input id="host-address" name="address" required placeholder="tcp://10.0.0.2:2376"/>
                <label for="host-ca">"CA certificate (PEM file)"</label>
                <input id="host-ca" name="ca_file" required placeholder="/etc/caretaker/docker/ca.pem"/>
                <label for="host-cert">"Client certificate (PEM file)"</label>
                <input id="host-cert" name="cert_file" required placeholder="/etc/caretaker/docker/cert.pem"/>
                <label for="host-key">"Client key (PEM file)"</label>
                <input id="host-key" name="key_file" required placeholder="/etc/caretaker/docker/key.pem"/>
                <button type="submit">"Add host"</button>
            </ActionForm>
            {move || add_host.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        </details>
    }
}

#[component]
fn ContainerTable(
    containers: Vec<ContainerRow>,
    total: usize,
    actions_allowed: bool,
    act: ServerAction<ActOnContainer>,
) -> impl IntoView {
    if containers.is_empty() {
        let text = if total == 0 {
            "No containers on any host yet. Start one (for example `docker run -d --name web nginx`) and it appears here within a few seconds."
        } else {
            "No container matches the search. Clear the filter to see all."
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    // Containers of Swarm tasks name their node; without a Swarm the column is left out.
    let on_swarm = containers.iter().any(|container| container.node.is_some());
    view! {
        <div class="table-scroll">
            <table class="containers">
                <thead>
                    <tr>
                        <th scope="col">"Host"</th>
                        {on_swarm.then(|| view! { <th scope="col">"Swarm node"</th> })}
                        <th scope="col">"Name"</th>
                        <th scope="col">"Image"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Ports"</th>
                        <th scope="col">"Status"</th>
                        <th scope="col">"CPU"</th>
                        <th scope="col">"Memory"</th>
                        {actions_allowed.then(|| view! { <th scope="col">"Actions"</th> })}
                    </tr>
                </thead>
                <tbody>
                    {containers.into_iter().map(|container| {
                        let link = href(&format!("/containers/{}/{}", container.host_id, container.short_id()));
                        let actions = actions_allowed.then(|| view! {
                            <ContainerActions host=container.host_id.clone() id=container.id.clone() name=container.name.clone() state=container.state.clone() act/>
                        });
                        view! {
                            <tr data-container=container.name.clone() data-state=container.state.clone()>
                                <td>{container.host_name.clone()}</td>
                                {on_swarm.then(|| view! { <td data-node>{container.node.clone().unwrap_or_default()}</td> })}
                                <td><a href=link>{container.name.clone()}</a><br/><code class="muted small">{container.short_id().to_owned()}</code></td>
                                <td><code>{container.image.clone()}</code></td>
                                <td>
                                    <span class=format!("badge state-{}", container.state)>{container.state.clone()}</span>
                                    {container.health.clone().map(|health| view! { " " <span class=format!("badge health-{health}")>{health.clone()}</span> })}
                                </td>
                                <td class="small">{container.ports.join(", ")}</td>
                                <td class="small">{container.status.clone()}</td>
                                <td data-cpu>{cpu_text(container.usage)}</td>
                                <td data-memory>{memory_text(container.usage)}</td>
                                {actions.map(|actions| view! { <td>{actions}</td> })}
                            </tr>
                        }
                        // Erased: the row's full type is deep enough to overflow the compiler.
                        .into_any()
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }.into_any()
}

fn cpu_text(usage: Option<Usage>) -> String {
    match usage.and_then(|usage| usage.cpu_percent) {
        Some(percent) => format!("{percent:.1} %"),
        None => "–".to_owned(),
    }
}

fn memory_text(usage: Option<Usage>) -> String {
    match usage {
        Some(Usage {
            memory_bytes,
            memory_limit: Some(limit),
            ..
        }) => format!("{} / {}", bytes(memory_bytes), bytes(limit)),
        Some(usage) => bytes(usage.memory_bytes),
        None => "–".to_owned(),
    }
}

/// Start, stop and restart are one click; remove asks first, with or without JavaScript.
#[component]
fn ContainerActions(
    host: String,
    id: String,
    name: String,
    state: String,
    act: ServerAction<ActOnContainer>,
) -> impl IntoView {
    let running = matches!(state.as_str(), "running" | "restarting" | "paused");
    let remove_label = format!("Remove {name}…");
    let remove_note = format!("{name} is stopped and deleted; its volumes stay.");
    let button = move |action: ContainerAction, label: &'static str| {
        let (host, id, name) = (host.clone(), id.clone(), name.clone());
        view! {
            <ActionForm action=act attr:class="inline">
                <input type="hidden" name="host" value=host.clone()/>
                <input type="hidden" name="id" value=id.clone()/>
                <input type="hidden" name="action" value=action.verb()/>
                <button type="submit" aria-label=format!("{label} {name}")>{label}</button>
            </ActionForm>
        }
        .into_any()
    };
    view! {
        <div class="actions">
            {(!running).then(|| button.clone()(ContainerAction::Start, "Start"))}
            {running.then(|| button.clone()(ContainerAction::Stop, "Stop"))}
            {running.then(|| button.clone()(ContainerAction::Restart, "Restart"))}
            <details class="confirm">
                <summary aria-label=remove_label>"Remove…"</summary>
                <p class="small">{remove_note}</p>
                {button(ContainerAction::Remove, "Yes, remove")}
            </details>
        </div>
    }
}

#[component]
pub fn ContainerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let target = move || {
        params.with(|p| {
            (
                p.get("host").unwrap_or_default(),
                p.get("id").unwrap_or_default(),
            )
        })
    };
    let act = ServerAction::<ActOnContainer>::new();
    let details = Resource::new(
        move || (target(), act.version().get()),
        |((host, id), _)| get_container_details(host, id),
    );
    keep_fresh(details, PAGE_REFRESH);
    let tail = move || {
        query.with(|q| {
            q.get("tail")
                .and_then(|t| t.parse().ok())
                .unwrap_or(DEFAULT_TAIL)
        })
    };
    let search = move || query.with(|q| q.get("search").unwrap_or_default());
    let logs = Resource::new(
        move || (target(), tail(), search()),
        |((host, id), tail, search)| container_logs(host, id, tail, search),
    );
    view! {
        <Title text="Container · caretaker"/>
        <p><a href=href("/containers")>"← All containers"</a></p>
        {move || act.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Asking the engine…"</p> }>
            {move || details.get().map(|answer| match answer {
                Ok(details) => view! { <DetailsBody details act/> }.into_any(),
                // Most often: it was just removed, here or elsewhere.
                Err(AppError::NotFound(_)) => view! {
                    <h1>"Container not found"</h1>
                    <p class="empty">"This container does not exist (any more) on this host. " <a href=href("/containers")>"See all containers"</a> "."</p>
                }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
        <section class="card" aria-labelledby="logs-title">
            <h2 id="logs-title">"Logs"</h2>
            <form method="get" class="inline-form" aria-label="Choose log lines">
                <label>"Last lines "
                    <input type="number" name="tail" min="1" max=MAX_TAIL.to_string() value=move || tail().to_string()/>
                </label>
                <label>"Containing "
                    <input type="search" name="search" value=search placeholder="text to find"/>
                </label>
                <button type="submit">"Show"</button>
            </form>
            <Transition fallback=|| view! { <p class="muted">"Reading the log…"</p> }>
                {move || logs.get().map(|answer| match answer {
                    Ok(lines) => view! { <LogView lines=lines.lines target=target() tail=tail() search=search()/> }.into_any(),
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn DetailsBody(details: ContainerDetails, act: ServerAction<ActOnContainer>) -> impl IntoView {
    let adopt = ServerAction::<AdoptContainer>::new();
    let (host_id, id) = (details.host_id.clone(), details.id.clone());
    let actions = details.actions_allowed.then(|| {
        view! {
            <ContainerActions host=details.host_id.clone() id=details.id.clone() name=details.name.clone() state=details.state.clone() act/>
            <ActionForm action=adopt attr:class="inline">
                <input type="hidden" name="host" value=host_id/>
                <input type="hidden" name="id" value=id/>
                <button type="submit" class="secondary">"Adopt as a service"</button>
            </ActionForm>
            {move || adopt.value().get().map(|answer| match answer {
                Ok(service) => view! { <p role="status">"Adopted. " <a href=href(&format!("/containers/services/{service}"))>"Open the service"</a></p> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        }
    });
    let name = details.name.clone();
    view! {
        <Title text=format!("{name} · containers · caretaker")/>
        <h1>{details.name.clone()} " " <span class=format!("badge state-{}", details.state)>{details.state.clone()}</span>
            {details.health.clone().map(|health| view! { " " <span class=format!("badge health-{health}")>{health.clone()}</span> })}
        </h1>
        <section class="card" aria-labelledby="summary-title">
            <h2 id="summary-title" class="visually-hidden">"Summary"</h2>
            <dl class="facts">
                <div><dt>"Host"</dt><dd>{details.host_name.clone()}</dd></div>
                <div><dt>"Image"</dt><dd><code>{details.image.clone()}</code><br/><code class="muted small" title=details.image_id.clone()>{details.image_id.chars().take(19).collect::<String>()}</code></dd></div>
                <div><dt>"Created"</dt><dd>{details.created.map(|at| view! { <Time at/> })}</dd></div>
                <div><dt>"Started"</dt><dd>{details.started_at.map(|at| view! { <Time at/> })}</dd></div>
                <div><dt>"CPU"</dt><dd class="big" data-cpu>{cpu_text(details.usage)}</dd></div>
                <div><dt>"Memory"</dt><dd class="big" data-memory>{memory_text(details.usage)}</dd></div>
            </dl>
            {actions}
        </section>
        <section class="card" aria-labelledby="config-title">
            <h2 id="config-title">"Configuration"</h2>
            <dl class="config">
                <dt>"Id"</dt><dd><code>{details.id.clone()}</code></dd>
                <dt>"Command"</dt><dd><code>{details.command.join(" ")}</code></dd>
                <dt>"Restart policy"</dt><dd>{details.restart_policy.clone()}</dd>
                <dt>"Ports"</dt><dd>{list_or_none(&details.ports)}</dd>
                <dt>"Mounts"</dt><dd>{list_or_none(&details.mounts)}</dd>
                <dt>"Networks"</dt><dd>{list_or_none(&details.networks)}</dd>
            </dl>
            <h3>"Environment"</h3>
            {if details.env.is_empty() {
                view! { <p class="empty">"No environment variables."</p> }.into_any()
            } else {
                view! {
                    <table class="env">
                        <tbody>
                            {details.env.iter().map(|var| view! {
                                <tr data-env=var.name.clone()>
                                    <th scope="row"><code>{var.name.clone()}</code></th>
                                    <td><code>{var.value.clone()}</code>{var.masked.then_some(view! { <span class="muted small">" (hidden: looks like a secret)"</span> })}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
            <h3>"Labels"</h3>
            {if details.labels.is_empty() {
                view! { <p class="empty">"No labels."</p> }.into_any()
            } else {
                view! {
                    <table class="labels"><tbody>
                        {details.labels.iter().map(|(key, value)| view! {
                            <tr><th scope="row"><code>{key.clone()}</code></th><td><code>{value.clone()}</code></td></tr>
                        }).collect_view()}
                    </tbody></table>
                }.into_any()
            }}
        </section>
    }
}

fn list_or_none(items: &[String]) -> String {
    if items.is_empty() {
        "none".to_owned()
    } else {
        items.join(", ")
    }
}

/// The log lines; with JavaScript, "Follow" appends new lines as the container writes them.
#[component]
fn LogView(
    lines: Vec<LogLine>,
    target: (String, String),
    tail: u32,
    search: String,
) -> impl IntoView {
    let shown = RwSignal::new(lines);
    let following = RwSignal::new(false);
    let status = RwSignal::new(String::new());
    let (host, id) = target;
    let stream_url = href(&format!("/api/containers/{host}/{id}/logs?tail=0"));
    let toggle = move |_| {
        let now = !following.get_untracked();
        following.set(now);
        #[cfg(feature = "hydrate")]
        follow_in_browser(now, stream_url.clone(), shown, status, search.clone());
        #[cfg(not(feature = "hydrate"))]
        let _ = (&stream_url, &search);
    };
    // Following needs JavaScript: the button appears only once the page is hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    view! {
        <p class="small">
            {move || hydrated.get().then(|| {
                let toggle = toggle.clone();
                view! {
                    <button type="button" aria-pressed=move || following.get().to_string() on:click=toggle>
                        {move || if following.get() { "Stop following" } else { "Follow new lines" }}
                    </button>
                }
            })}
            " " <span class="muted" role="status">{move || status.get()}</span>
        </p>
        {move || {
            let lines = shown.get();
            let count = lines.len().to_string();
            if lines.is_empty() {
                view! { <p class="empty">{format!("No log lines (last {tail} read).")}</p> }.into_any()
            } else {
                view! {
                    <pre class="log" data-lines=count>
                        {lines.into_iter().map(|line| view! {
                            <span class=format!("log-{}", line.stream)>{line.text}"\n"</span>
                        }).collect_view()}
                    </pre>
                }.into_any()
            }
        }}
    }
}

/// Opens (or closes) the server-sent stream of new log lines.
#[cfg(feature = "hydrate")]
fn follow_in_browser(
    on: bool,
    url: String,
    shown: RwSignal<Vec<LogLine>>,
    status: RwSignal<String>,
    search: String,
) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    thread_local! {
        static SOURCE: std::cell::RefCell<Option<web_sys::EventSource>> = const { std::cell::RefCell::new(None) };
    }
    SOURCE.with(|source| {
        if let Some(open) = source.borrow_mut().take() {
            open.close();
        }
    });
    if !on {
        status.set(String::new());
        return;
    }
    let Ok(source) = web_sys::EventSource::new(&url) else {
        status.set("The browser could not open the log stream.".to_owned());
        return;
    };
    status.set("Following…".to_owned());
    let needle = search.to_lowercase();
    let on_line =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let Ok(line) = serde_json::from_str::<LogLine>(&text) else {
                return;
            };
            if needle.is_empty() || line.text.to_lowercase().contains(&needle) {
                shown.update(|lines| {
                    lines.push(line);
                    let excess = lines.len().saturating_sub(MAX_TAIL as usize);
                    lines.drain(..excess);
                });
            }
        });
    let _ = source.add_event_listener_with_callback("line", on_line.as_ref().unchecked_ref());
    on_line.forget();
    let source_in_handler = source.clone();
    let on_end =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            status.set(event.data().as_string().unwrap_or_default());
            source_in_handler.close();
        });
    let _ = source.add_event_listener_with_callback("end", on_end.as_ref().unchecked_ref());
    on_end.forget();
    SOURCE.with(|slot| *slot.borrow_mut() = Some(source));
}
