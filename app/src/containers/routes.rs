//! The live log stream: `GET /api/containers/{host}/{id}/logs?tail=N`, Server-Sent Events.
//!
//! Each event `line` carries one log line as JSON (`{"stream":"stdout","text":"…"}`); the
//! stream follows the container until it stops or the viewer leaves, then sends `end`
//! with a sentence saying why.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use bollard::query_parameters::LogsOptionsBuilder;
use futures::stream::{self, Stream, StreamExt};
use serde::Deserialize;

use super::service::{checked_container, host, log_lines};
use super::MAX_TAIL;
use crate::core::error::AppError;
use crate::core::state::AppState;

#[derive(Deserialize)]
pub struct FollowQuery {
    /// Lines already written to send first; 0 sends only new ones.
    #[serde(default)]
    tail: u32,
}

pub async fn follow_logs(
    State(state): State<AppState>,
    Path((host_id, container)): Path<(String, String)>,
    Query(query): Query<FollowQuery>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, AppError> {
    let host = host(&state, &host_id)?;
    let id = checked_container(&container)?.to_owned();
    let client = host.engine.streaming_client().await?;
    let options = LogsOptionsBuilder::new()
        .stdout(true)
        .stderr(true)
        .follow(true)
        .tail(&query.tail.min(MAX_TAIL).to_string())
        .build();
    let name = host.name.clone();
    let lines = client
        .logs(&id, Some(options))
        .take_while(|item| std::future::ready(item.is_ok()))
        .flat_map(|item| {
            let events: Vec<Result<Event, Infallible>> = item
                .map(|output| log_lines(&output))
                .unwrap_or_default()
                .iter()
                .map(|line| {
                    Ok(Event::default()
                        .event("line")
                        .data(serde_json::to_string(line).unwrap_or_default()))
                })
                .collect();
            stream::iter(events)
        });
    let end = stream::once(async move {
        Ok(Event::default().event("end").data(format!(
            "The log stream ended: the container stopped, or the engine on {name} stopped answering."
        )))
    });
    Ok(Sse::new(lines.chain(end)).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
