//! The overview page (`/`).

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{get_overview, MeasureDiskUse};
use super::{ContainerRow, DiskUse, EngineFacts, EngineStatus, Overview};
use crate::tasks::pages::TaskProgress;
use crate::tasks::{TaskSnapshot, TaskStatus};
use crate::ui::form::ActionForm;
use crate::ui::format::{bytes, Time};
use crate::ui::layout::{keep_fresh, ErrorNote};

#[component]
pub fn OverviewPage() -> impl IntoView {
    let overview = Resource::new(|| (), |_| get_overview());
    let measure = ServerAction::<MeasureDiskUse>::new();
    // A new measurement shows up as the newest disk task: read the overview again.
    Effect::new(move |_| {
        if measure.version().get() > 0 {
            overview.refetch();
        }
    });
    // Containers that start or stop, and an engine that comes back, show without a reload.
    keep_fresh(overview, std::time::Duration::from_secs(3));
    let on_measured = Callback::new(move |_: TaskSnapshot| overview.refetch());

    view! {
        <Title text="Overview · caretaker"/>
        <h1>"Overview"</h1>
        <Transition fallback=|| view! { <p class="muted">"Asking the Docker engine…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) => view! { <OverviewBody overview measure on_measured/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn OverviewBody(
    overview: Overview,
    measure: ServerAction<MeasureDiskUse>,
    on_measured: Callback<TaskSnapshot>,
) -> impl IntoView {
    let Overview {
        endpoint,
        engine,
        containers,
        disk_task,
        disk_use,
        checked_at,
        actions_allowed,
    } = overview;
    let reachable = matches!(engine, EngineStatus::Reachable(_));
    view! {
        <section class="card" aria-labelledby="engine-title">
            <h2 id="engine-title">"Docker engine"</h2>
            {match engine {
                EngineStatus::Reachable(facts) => view! { <EngineSummary facts endpoint/> }.into_any(),
                EngineStatus::Unreachable { reason } => view! {
                    <div class="engine-down" role="status" data-engine="down">
                        <p><strong>"The Docker engine is not reachable."</strong></p>
                        <p>{reason}</p>
                        <p class="muted">
                            "caretaker keeps trying: this page shows the engine again as soon as it answers."
                        </p>
                    </div>
                }.into_any(),
            }}
            <p class="muted small">"Checked at " <Time at=checked_at/></p>
        </section>

        <section class="card" aria-labelledby="disk-title">
            <h2 id="disk-title">"Disk use"</h2>
            {match disk_use {
                Some((usage, measured_at)) => view! {
                    <DiskUseTable usage/>
                    <p class="muted small">"Measured at " <Time at=measured_at/></p>
                }.into_any(),
                None => view! {
                    <p class="empty">"Not measured yet. Measuring asks the engine to add up images, containers, volumes and build cache; on a large host it can take a few minutes."</p>
                }.into_any(),
            }}
            {disk_task.filter(|task| task.status != TaskStatus::Succeeded).map(|task| view! {
                <TaskProgress task on_finished=on_measured/>
            })}
            {actions_allowed.then(|| view! {
                <ActionForm action=measure>
                    <button type="submit" disabled=!reachable>"Measure disk use"</button>
                </ActionForm>
            })}
            {move || measure.value().get().and_then(Result::err).map(|error| view! {
                <ErrorNote message=error.to_string()/>
            })}
        </section>

        <section class="card" aria-labelledby="containers-title">
            <h2 id="containers-title">"Containers"</h2>
            <ContainerTable containers reachable/>
        </section>
    }
}

#[component]
fn EngineSummary(facts: EngineFacts, endpoint: String) -> impl IntoView {
    view! {
        <dl class="facts" data-engine="up">
            <div><dt>"Version"</dt><dd>{facts.version} " (API " {facts.api_version} ")"</dd></div>
            <div><dt>"Host"</dt><dd>{facts.operating_system} <br/><span class="muted small">{endpoint}</span></dd></div>
            <div><dt>"Running"</dt><dd class="big" data-count="running">{facts.containers_running}</dd></div>
            <div><dt>"Stopped"</dt><dd class="big" data-count="stopped">{facts.containers_stopped}</dd></div>
            <div><dt>"Paused"</dt><dd class="big">{facts.containers_paused}</dd></div>
            <div><dt>"Total"</dt><dd class="big" data-count="total">{facts.containers_total}</dd></div>
            <div><dt>"Images"</dt><dd class="big" data-count="images">{facts.images}</dd></div>
        </dl>
    }
}

#[component]
fn DiskUseTable(usage: DiskUse) -> impl IntoView {
    view! {
        <table class="disk">
            <tbody>
                <tr><th scope="row">{format!("Images ({})", usage.images)}</th><td>{bytes(usage.images_bytes)}</td></tr>
                <tr><th scope="row">"Containers (writable layers)"</th><td>{bytes(usage.containers_bytes)}</td></tr>
                <tr><th scope="row">{format!("Volumes ({})", usage.volumes)}</th><td>{bytes(usage.volumes_bytes)}</td></tr>
                <tr><th scope="row">"Build cache"</th><td>{bytes(usage.build_cache_bytes)}</td></tr>
                <tr class="total"><th scope="row">"Total"</th><td>{bytes(usage.total_bytes())}</td></tr>
            </tbody>
        </table>
    }
}

#[component]
fn ContainerTable(containers: Vec<ContainerRow>, reachable: bool) -> impl IntoView {
    if containers.is_empty() {
        let text = if reachable {
            "No containers on this engine yet. Start one (for example `docker run -d --name web nginx`) and it appears here."
        } else {
            "The containers are listed again once the engine answers."
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
            <table class="containers">
                <thead>
                    <tr>
                        <th scope="col">"Name"</th>
                        <th scope="col">"Image"</th>
                        <th scope="col">"State"</th>
                        <th scope="col">"Health"</th>
                        <th scope="col">"Ports"</th>
                        <th scope="col">"Status"</th>
                    </tr>
                </thead>
                <tbody>
                    {containers.into_iter().map(|container| view! {
                        <tr data-container=container.name.clone()>
                            <td><span class="name">{container.name.clone()}</span><br/><code class="muted small">{container.id}</code></td>
                            <td><code>{container.image}</code></td>
                            <td><span class=format!("badge state-{}", container.state)>{container.state.clone()}</span></td>
                            <td>{container.health.map(|health| view! {
                                <span class=format!("badge health-{health}")>{health.clone()}</span>
                            })}</td>
                            <td>{container.ports.join(", ")}</td>
                            <td class="muted">{container.status}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}
