//! The task event stream: `GET /api/tasks/{id}/events`, Server-Sent Events.
//!
//! Each event is the whole task snapshot as JSON (event name `task`). The stream sends the
//! current state at once, then every change, and ends after the final state.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures::stream::{self, Stream};
use tokio::sync::watch;

use super::TaskSnapshot;
use crate::core::error::AppError;
use crate::core::state::AppState;

pub async fn task_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    // Subscribe before reading, so a task that ends in between is not sent as running.
    let live = state.tasks.subscribe(&id);
    let first = match &live {
        Some(receiver) => receiver.borrow().clone(),
        None => state.tasks.get(&id).await?,
    };
    Ok(Sse::new(snapshots(first, live))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}

enum Step {
    First(Box<TaskSnapshot>, Option<watch::Receiver<TaskSnapshot>>),
    Follow(watch::Receiver<TaskSnapshot>),
    Done,
}

fn snapshots(
    first: TaskSnapshot,
    live: Option<watch::Receiver<TaskSnapshot>>,
) -> impl Stream<Item = Result<Event, Infallible>> {
    stream::unfold(Step::First(Box::new(first), live), |step| async move {
        match step {
            Step::First(snapshot, live) => {
                let next = match live {
                    Some(receiver) if !snapshot.status.is_finished() => Step::Follow(receiver),
                    _ => Step::Done,
                };
                Some((Ok(event(&snapshot)), next))
            }
            Step::Follow(mut receiver) => {
                // A closed channel means the task ended; its final state was sent before.
                receiver.changed().await.ok()?;
                let snapshot = receiver.borrow_and_update().clone();
                let next = if snapshot.status.is_finished() {
                    Step::Done
                } else {
                    Step::Follow(receiver)
                };
                Some((Ok(event(&snapshot)), next))
            }
            Step::Done => None,
        }
    })
}

fn event(snapshot: &TaskSnapshot) -> Event {
    Event::default()
        .event("task")
        .data(serde_json::to_string(snapshot).unwrap_or_default())
}
