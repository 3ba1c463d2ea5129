//! The progress bar: a view of one task that follows it live in the browser.

use leptos::prelude::*;

use super::TaskSnapshot;
use crate::ui::format::{bytes, local_time};

/// Shows a task's progress, message and log. With JavaScript it follows the task live
/// (Server-Sent Events) and calls `on_finished` once the task ends; without JavaScript the
/// server-rendered state is shown and the page reloads itself while the task runs.
#[component]
pub fn TaskProgress(
    task: TaskSnapshot,
    #[prop(optional, into)] on_finished: Option<Callback<TaskSnapshot>>,
) -> impl IntoView {
    let initially_running = !task.status.is_finished();
    let snapshot = RwSignal::new(task);
    follow_live(snapshot, on_finished);

    let status = move || snapshot.with(|task| task.status);
    let percent = move || snapshot.with(TaskSnapshot::percent);
    let bytes_line = move || {
        snapshot.with(|task| match (task.bytes_done, task.bytes_total) {
            (Some(done), Some(total)) => format!("{} of {}", bytes(done), bytes(total)),
            (Some(done), None) => bytes(done),
            _ => String::new(),
        })
    };
    view! {
        <section
            class="task"
            data-status=move || status().as_str()
            aria-live="polite"
            aria-busy=move || (!status().is_finished()).to_string()
        >
            {initially_running.then(|| view! {
                // Without JavaScript, reload while the task runs. Written as inner HTML: a
                // browser with scripting reads it as inert text, also when this part is
                // rendered in the browser (a <meta> made through the DOM would reload).
                <noscript inner_html=r#"<meta http-equiv="refresh" content="3">"#></noscript>
            })}
            <div class="task-head">
                <strong>{move || snapshot.with(|task| task.kind.clone())}</strong>
                <span class="task-status">{move || status().label()}</span>
            </div>
            {move || match percent() {
                Some(value) => view! {
                    <progress max="100" value=value.to_string()>{format!("{value} %")}</progress>
                }.into_any(),
                // No value attribute: the browser draws an indeterminate bar.
                None => view! { <progress max="100">"working"</progress> }.into_any(),
            }}
            <p class="task-message">
                {move || snapshot.with(|task| task.message.clone())}
                " "
                <span class="muted">{bytes_line}</span>
                " "
                <span class="muted">{move || percent().map(|value| format!("{value} %"))}</span>
            </p>
            {move || snapshot.with(|task| (!task.parts.is_empty()).then(|| view! {
                <ul class="task-parts">
                    {task.parts.iter().map(|part| {
                        let amount = match part.total {
                            Some(total) => format!("{} of {}", bytes(part.done), bytes(total)),
                            None if part.done > 0 => bytes(part.done),
                            None => String::new(),
                        };
                        view! {
                            <li data-part=part.label.clone()>
                                <span class="task-part-label">{part.label.clone()}</span>
                                {match part.percent() {
                                    Some(value) => view! { <progress max="100" value=value.to_string()>{format!("{value} %")}</progress> }.into_any(),
                                    None => view! { <progress max="100">"working"</progress> }.into_any(),
                                }}
                                <span class="muted small">{amount} " " {part.note.clone()}</span>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            }))}
            {move || snapshot.with(|task| (!task.output.is_empty()).then(|| view! {
                <pre class="task-output" data-output>{task.output.clone()}</pre>
            }))}
            {move || snapshot.with(|task| (!task.log.is_empty()).then(|| {
                let lines = task.log.iter()
                    .map(|line| format!("{}  {}", local_time(line.at), line.line))
                    .collect::<Vec<_>>()
                    .join("\n");
                view! {
                    <details class="task-log">
                        <summary>{format!("Log ({} lines)", task.log.len())}</summary>
                        <pre>{lines}</pre>
                    </details>
                }
            }))}
        </section>
    }
    // Erased: pages that hold a task (and more) would otherwise overflow the compiler.
    .into_any()
}

/// Stops a running task; the task's own stream then shows it cancelled.
#[component]
pub fn CancelButton(id: String) -> impl IntoView {
    let cancel = ServerAction::<super::api::CancelTask>::new();
    view! {
        <crate::ui::form::ActionForm action=cancel attr:class="inline">
            <input type="hidden" name="id" value=id/>
            <button type="submit">"Cancel"</button>
        </crate::ui::form::ActionForm>
        {move || cancel.value().get().and_then(Result::err).map(|error| view! { <crate::ui::layout::ErrorNote message=error.to_string()/> })}
    }
}

/// In the browser: subscribe to the task's event stream while it runs.
#[cfg(feature = "hydrate")]
fn follow_live(snapshot: RwSignal<TaskSnapshot>, on_finished: Option<Callback<TaskSnapshot>>) {
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;

    let (id, running) =
        snapshot.with_untracked(|task| (task.id.clone(), !task.status.is_finished()));
    if !running {
        return;
    }
    let url = crate::ui::paths::href(&format!("/api/tasks/{id}/events"));
    let Ok(source) = web_sys::EventSource::new(&url) else {
        return;
    };
    let source_in_handler = source.clone();
    let on_task =
        Closure::<dyn FnMut(web_sys::MessageEvent)>::new(move |event: web_sys::MessageEvent| {
            let Some(text) = event.data().as_string() else {
                return;
            };
            let Ok(task) = serde_json::from_str::<TaskSnapshot>(&text) else {
                return;
            };
            let finished = task.status.is_finished();
            snapshot.set(task.clone());
            if finished {
                source_in_handler.close();
                if let Some(callback) = on_finished {
                    callback.run(task);
                }
            }
        });
    let _ = source.add_event_listener_with_callback("task", on_task.as_ref().unchecked_ref());
    // The handler lives as long as the page; the stream is closed on cleanup.
    on_task.forget();
    let source = send_wrapper::SendWrapper::new(source);
    on_cleanup(move || source.close());
}

#[cfg(not(feature = "hydrate"))]
fn follow_live(_snapshot: RwSignal<TaskSnapshot>, _on_finished: Option<Callback<TaskSnapshot>>) {}
