//! The cluster page (`/cluster`) and the Swarm section of a service's page.

use std::time::Duration;

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{
    get_cluster, get_swarm_service, DeployOnSwarm, RemoveFromSwarm, RollBackOnSwarm,
    SaveSwarmSettings, ScaleSwarmService, SetNodeAvailability,
};
use super::{
    Availability, ClusterView, NodeRow, SwarmDeployed, SwarmForm, SwarmServiceView, TaskRow,
    ROLLBACK_FAILURE_ACTIONS, UPDATE_FAILURE_ACTIONS,
};
use crate::ui::form::{successes, ActionForm};
use crate::ui::format::bytes;
use crate::ui::layout::{keep_fresh, ErrorNote};

/// How often an open page asks the manager again: node failures show within seconds.
const PAGE_REFRESH: Duration = Duration::from_secs(5);

#[component]
pub fn ClusterPage() -> impl IntoView {
    let availability = ServerAction::<SetNodeAvailability>::new();
    let cluster = Resource::new(move || availability.version().get(), |_| get_cluster());
    keep_fresh(cluster, PAGE_REFRESH);
    view! {
        <Title text="Cluster · caretaker"/>
        <h1>"Cluster"</h1>
        <p class="muted">"The Docker Swarm this engine manages: its nodes, what runs on each, and draining a node for maintenance. Deploy a service on the Swarm from its page under Containers → Services."</p>
        {move || availability.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Asking the Swarm manager…"</p> }>
            {move || cluster.get().map(|answer| match answer {
                Ok(view) => view! { <ClusterBody view availability/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn ClusterBody(
    view: ClusterView,
    availability: ServerAction<SetNodeAvailability>,
) -> impl IntoView {
    let ClusterView {
        manager,
        note,
        nodes,
        actions_allowed,
    } = view;
    if !manager {
        let note = note.unwrap_or_else(|| "This Docker engine is not a Swarm manager.".to_owned());
        return view! { <p class="empty">{note}</p> }.into_any();
    }
    let ready = nodes.iter().filter(|node| node.state == "ready").count();
    let total = nodes.len();
    view! {
        <p data-count="ready">{format!("{ready} of {total} nodes ready")}</p>
        {nodes.into_iter().map(|node| view! { <NodeCard node actions_allowed availability/> }).collect_view()}
    }
    .into_any()
}

#[component]
fn NodeCard(
    node: NodeRow,
    actions_allowed: bool,
    availability: ServerAction<SetNodeAvailability>,
) -> impl IntoView {
    let label = node.label();
    let title_id = format!("node-{}", node.id);
    let role = if node.leader {
        "manager (leader)".to_owned()
    } else {
        node.role.clone()
    };
    let node_id = node.id.clone();
    let change = move |to: Availability, button: String, note: &'static str, danger: bool| {
        let id = node_id.clone();
        view! {
            <details class="confirm">
                <summary>{format!("{button}…")}</summary>
                <p class="small">{note}</p>
                <ActionForm action=availability>
                    <input type="hidden" name="node" value=id/>
                    <input type="hidden" name="availability" value=to.as_str()/>
                    <button type="submit" class=danger.then_some("danger")>{format!("Yes, {}", button.to_lowercase())}</button>
                </ActionForm>
            </details>
        }
    };
    let actions = actions_allowed.then(|| {
        let drained = node.availability == "drain";
        view! {
            <div class="actions">
                {(!drained).then(|| change.clone()(Availability::Drain, format!("Drain {label}"), "Swarm moves this node's tasks to the other nodes and places no new ones here, until it is activated again.", true))}
                {(node.availability != "active").then(|| change.clone()(Availability::Active, format!("Activate {label}"), "Swarm may place tasks on this node again (running tasks elsewhere are not moved back).", false))}
            </div>
        }
    });
    let state_note = (!node.message.is_empty())
        .then(|| view! { <span class="small muted">{format!(" ({})", node.message)}</span> });
    view! {
        <section class="card" aria-labelledby=title_id.clone() data-node=node.id.clone() data-node-state=node.state.clone() data-availability=node.availability.clone()>
            <h2 id=title_id.clone()>{label.clone()}</h2>
            <dl class="config">
                <dt>"State"</dt><dd><span class=format!("badge node-{}", node.state)>{node.state.clone()}</span>{state_note}</dd>
                <dt>"Availability"</dt><dd>{node.availability.clone()}</dd>
                <dt>"Role"</dt><dd>{role}</dd>
                <dt>"Address"</dt><dd><code>{node.address.clone()}</code></dd>
                <dt>"Engine"</dt><dd>{format!("Docker {}", node.engine_version)}</dd>
                <dt>"Resources"</dt><dd>{format!("{} CPUs, {} memory", node.cpus, bytes(u64::try_from(node.memory_bytes).unwrap_or(0)))}</dd>
                <dt>"Node id"</dt><dd><code class="small">{node.id.clone()}</code></dd>
            </dl>
            {actions}
            <h3>"Tasks"</h3>
            <TaskTable tasks=node.tasks show_node=false empty="No tasks on this node. Swarm places a service's replicas on active, ready nodes."/>
        </section>
    }
}

#[component]
fn TaskTable(tasks: Vec<TaskRow>, show_node: bool, empty: &'static str) -> impl IntoView {
    if tasks.is_empty() {
        return view! { <p class="empty">{empty}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="tasks">
                <thead>
                    <tr>
                        <th scope="col">"Task"</th>
                        {show_node.then(|| view! { <th scope="col">"Node"</th> })}
                        <th scope="col">"Image"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Wanted"</th>
                        <th scope="col">"Message"</th>
                    </tr>
                </thead>
                <tbody>
                    {tasks.into_iter().map(|task| {
                        let name = match task.slot {
                            Some(slot) => format!("{}.{slot}", task.service),
                            None => task.service.clone(),
                        };
                        view! {
                            <tr data-task=task.id.clone() data-state=task.state.clone() data-node=task.node_id.clone() data-image=task.image.clone()>
                                <td>{name}<br/><code class="muted small">{task.id[..task.id.len().min(12)].to_owned()}</code></td>
                                {show_node.then(|| view! { <td>{task.node.clone()}</td> })}
                                <td><code title=task.image.clone()>{task.image_text()}</code></td>
                                <td><span class=format!("badge state-{}", task.state)>{task.state.clone()}</span></td>
                                <td>{task.desired_state.clone()}</td>
                                <td class="small">{task.message.clone()}</td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// The Swarm part of a service's page; shown only when the engine is a Swarm manager.
#[component]
pub fn SwarmSection(id: i64, default_tag: String) -> impl IntoView {
    let save = ServerAction::<SaveSwarmSettings>::new();
    let deploy = ServerAction::<DeployOnSwarm>::new();
    let scale = ServerAction::<ScaleSwarmService>::new();
    let roll_back = ServerAction::<RollBackOnSwarm>::new();
    let remove = ServerAction::<RemoveFromSwarm>::new();
    let (saved, deployed, scaled, rolled, removed) = (
        successes(save),
        successes(deploy),
        successes(scale),
        successes(roll_back),
        successes(remove),
    );
    let swarm = Resource::new(
        move || {
            (
                saved.get(),
                deployed.get(),
                scaled.get(),
                rolled.get(),
                removed.get(),
            )
        },
        move |_| get_swarm_service(id),
    );
    keep_fresh(swarm, PAGE_REFRESH);
    let errors = move || {
        [
            save.value().get().and_then(Result::err),
            deploy.value().get().and_then(Result::err),
            scale.value().get().and_then(Result::err),
            roll_back.value().get().and_then(Result::err),
            remove.value().get().and_then(Result::err),
        ]
        .into_iter()
        .flatten()
        .map(|error| view! { <ErrorNote message=error.to_string()/> })
        .collect_view()
    };
    let actions = SwarmActions {
        save,
        deploy,
        scale,
        roll_back,
        remove,
    };
    view! {
        <Transition fallback=|| ()>
            {move || swarm.get().map(|answer| match answer {
                Ok(view) if view.manager => view! {
                    <SwarmBody view default_tag=default_tag.clone() actions/>
                    {errors}
                }.into_any(),
                Ok(_) => ().into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[derive(Clone, Copy)]
struct SwarmActions {
    save: ServerAction<SaveSwarmSettings>,
    deploy: ServerAction<DeployOnSwarm>,
    scale: ServerAction<ScaleSwarmService>,
    roll_back: ServerAction<RollBackOnSwarm>,
    remove: ServerAction<RemoveFromSwarm>,
}

#[component]
fn SwarmBody(view: SwarmServiceView, default_tag: String, actions: SwarmActions) -> impl IntoView {
    let SwarmServiceView {
        service_id,
        name,
        settings,
        form,
        deployed,
        actions_allowed,
        ..
    } = view;
    let status = match &deployed {
        None => view! { <p class="empty">"Not on the Swarm yet. Save its Swarm settings (replicas, placement, limits, update policy), then deploy a tag: Swarm starts the replicas on the nodes."</p> }.into_any(),
        Some(deployed) => view! { <DeployedStatus deployed=deployed.clone()/> }.into_any(),
    };
    let controls = actions_allowed.then(|| {
        let SwarmActions {
            deploy,
            scale,
            roll_back,
            remove,
            ..
        } = actions;
        let on_swarm = deployed.is_some();
        let replicas = deployed
            .as_ref()
            .map(|deployed| deployed.replicas.to_string())
            .unwrap_or_else(|| form.replicas.clone());
        view! {
            <div class="actions">
                <ActionForm action=deploy attr:class="inline-form">
                    <input type="hidden" name="id" value=service_id.to_string()/>
                    <label>"Tag " <input name="tag" value=default_tag.clone() required/></label>
                    <button type="submit" disabled=move || deploy.pending().get()>{if on_swarm { "Rolling update on the Swarm" } else { "Deploy on the Swarm" }}</button>
                </ActionForm>
                {on_swarm.then(|| view! {
                    <ActionForm action=scale attr:class="inline-form">
                        <input type="hidden" name="id" value=service_id.to_string()/>
                        <label>"Replicas " <input name="replicas" type="number" min="0" max="1000" value=replicas.clone() required/></label>
                        <button type="submit">"Scale"</button>
                    </ActionForm>
                    <details class="confirm">
                        <summary>"Roll back…"</summary>
                        <p class="small">"Swarm puts the service's previous definition (image and settings) back, task by task."</p>
                        <ActionForm action=roll_back>
                            <input type="hidden" name="id" value=service_id.to_string()/>
                            <button type="submit" class="danger">"Yes, roll back"</button>
                        </ActionForm>
                    </details>
                    <details class="confirm">
                        <summary>"Remove from the Swarm…"</summary>
                        <p class="small">{format!("Every replica of {name} stops on every node; the definition and Swarm settings stay in caretaker.")}</p>
                        <ActionForm action=remove>
                            <input type="hidden" name="id" value=service_id.to_string()/>
                            <button type="submit" class="danger">"Yes, remove it from the Swarm"</button>
                        </ActionForm>
                    </details>
                })}
            </div>
        }
    });
    let editor = actions_allowed.then(|| {
        let save = actions.save;
        let heading = if settings.is_some() { "Swarm settings" } else { "Swarm settings (not saved yet)" };
        view! {
            <details class="swarm-settings" open=settings.is_none()>
                <summary>{heading}</summary>
                <ActionForm action=save attr:class="stacked-form">
                    <input type="hidden" name="id" value=service_id.to_string()/>
                    <SwarmFields form/>
                    <button type="submit">"Save Swarm settings"</button>
                </ActionForm>
                {move || save.value().get().and_then(Result::ok).map(|_| view! { <p role="status">"Saved; the next deploy uses them."</p> })}
            </details>
        }
    });
    view! {
        <section class="card" aria-labelledby="swarm-title" data-swarm>
            <h2 id="swarm-title">"On the Swarm"</h2>
            {status}
            {controls}
            {editor}
        </section>
    }
}

#[component]
fn DeployedStatus(deployed: SwarmDeployed) -> impl IntoView {
    let SwarmDeployed {
        image,
        tag,
        replicas,
        running,
        update_state,
        update_message,
        tasks,
    } = deployed;
    let update = if update_state.is_empty() {
        "created; no update yet".to_owned()
    } else if update_message.is_empty() {
        update_state.clone()
    } else {
        format!("{update_state}: {update_message}")
    };
    view! {
        <dl class="config">
            <dt>"Image"</dt><dd><code title=image.clone()>{format!("{tag} ({})", &image[..image.len().min(19)])}</code></dd>
            <dt>"Replicas"</dt><dd data-running=running.to_string()>{format!("{running} running of {replicas}")}</dd>
            <dt>"Last update"</dt><dd data-update-state=update_state>{update}</dd>
        </dl>
        <h3>"Tasks: which image ran where"</h3>
        <TaskTable tasks show_node=true empty="No tasks yet: Swarm is placing the replicas."/>
    }
}

#[component]
fn SwarmFields(form: SwarmForm) -> impl IntoView {
    let select = |name: &'static str, current: String, choices: &'static [&'static str]| {
        view! {
            <select id=format!("swarm-{name}") name=format!("form[{name}]")>
                {choices.iter().map(|choice| view! { <option value=*choice selected=*choice == current>{*choice}</option> }).collect_view()}
            </select>
        }
    };
    view! {
        <label for="swarm-replicas">"Replicas"</label>
        <input id="swarm-replicas" name="form[replicas]" type="number" min="0" max="1000" required value=form.replicas.clone()/>
        <label for="swarm-constraints">"Placement constraints (one per line)"</label>
        <textarea id="swarm-constraints" name="form[constraints]" rows="2" placeholder="node.role==worker">{form.constraints.clone()}</textarea>
        <label for="swarm-cpus">"CPU limit per task (CPUs, empty: none)"</label>
        <input id="swarm-cpus" name="form[cpu_limit]" value=form.cpu_limit.clone() placeholder="0.5"/>
        <label for="swarm-memory">"Memory limit per task (MiB, empty: none)"</label>
        <input id="swarm-memory" name="form[memory_limit_mib]" value=form.memory_limit_mib.clone() placeholder="512"/>
        <fieldset>
            <legend>"Update policy"</legend>
            <label for="swarm-update_parallelism">"Tasks at once (0: all)"</label>
            <input id="swarm-update_parallelism" name="form[update_parallelism]" type="number" min="0" value=form.update_parallelism.clone()/>
            <label for="swarm-update_delay_secs">"Delay between groups (seconds)"</label>
            <input id="swarm-update_delay_secs" name="form[update_delay_secs]" type="number" min="0" value=form.update_delay_secs.clone()/>
            <label for="swarm-update_monitor_secs">"Watch each new task for (seconds)"</label>
            <input id="swarm-update_monitor_secs" name="form[update_monitor_secs]" type="number" min="0" value=form.update_monitor_secs.clone()/>
            <label for="swarm-update_failure_action">"When a new task fails"</label>
            {select("update_failure_action", form.update_failure_action.clone(), UPDATE_FAILURE_ACTIONS)}
        </fieldset>
        <fieldset>
            <legend>"Rollback policy"</legend>
            <label for="swarm-rollback_parallelism">"Tasks at once (0: all)"</label>
            <input id="swarm-rollback_parallelism" name="form[rollback_parallelism]" type="number" min="0" value=form.rollback_parallelism.clone()/>
            <label for="swarm-rollback_delay_secs">"Delay between groups (seconds)"</label>
            <input id="swarm-rollback_delay_secs" name="form[rollback_delay_secs]" type="number" min="0" value=form.rollback_delay_secs.clone()/>
            <label for="swarm-rollback_monitor_secs">"Watch each task for (seconds)"</label>
            <input id="swarm-rollback_monitor_secs" name="form[rollback_monitor_secs]" type="number" min="0" value=form.rollback_monitor_secs.clone()/>
            <label for="swarm-rollback_failure_action">"When a task fails"</label>
            {select("rollback_failure_action", form.rollback_failure_action.clone(), ROLLBACK_FAILURE_ACTIONS)}
        </fieldset>
        <p class="small muted">"A new task that fails its health check within the watch time fails the update; with “rollback”, Swarm puts the previous image back by itself."</p>
    }
}
