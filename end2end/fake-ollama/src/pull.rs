//! `POST /api/pull` (ref §4 pull): progress as NDJSON, resumable blobs,
//! armed failures and a disk that can fill up.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use chrono::Local;
use futures::channel::mpsc;
use futures::{future, stream, SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::catalog::{Blob, ModelSpec};
use crate::names::ModelName;
use crate::reply;
use crate::state::{ArmedFailure, Installed, Shared};
use crate::PullFailure;

/// `ProgressResponse`: every field but `status` is left out when zero/empty.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
struct Progress {
    status: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    digest: String,
    #[serde(skip_serializing_if = "is_zero")]
    total: u64,
    #[serde(skip_serializing_if = "is_zero")]
    completed: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Progress {
    fn status(status: &str) -> Self {
        Progress {
            status: status.to_owned(),
            digest: String::new(),
            total: 0,
            completed: 0,
        }
    }

    fn blob(blob: &Blob, completed: u64) -> Self {
        Progress {
            status: format!("pulling {}", &blob.hex[..12]),
            digest: blob.digest(),
            total: blob.size,
            completed,
        }
    }
}

enum PullEvent {
    Progress(Progress),
    /// Ends the stream with `{"error": ...}`.
    Error(String),
    /// Ends the stream by dropping the connection.
    Disconnect,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct PullRequest {
    model: Option<String>,
    name: Option<String>,
    stream: Option<bool>,
}

pub(crate) async fn pull(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: PullRequest = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let model = match request.model.as_deref() {
        Some(m) if !m.is_empty() => m,
        _ => request.name.as_deref().unwrap_or(""),
    };
    // Validation happens before streaming, so it is a plain 400.
    let Some(name) = ModelName::parse(model) else {
        return reply::error(StatusCode::BAD_REQUEST, "invalid model name");
    };
    let events = reply::generator(move |sender| run_pull(shared, name, sender));

    if request.stream.unwrap_or(true) {
        let lines = events.map(|event| match event {
            PullEvent::Progress(progress) => Ok(reply::ndjson_line(&progress)),
            PullEvent::Error(message) => Ok(reply::ndjson_line(&json!({ "error": message }))),
            PullEvent::Disconnect => Err(std::io::Error::other("fake-ollama: pull cut")),
        });
        return reply::ndjson_stream(lines);
    }

    // stream:false: Ollama collects everything and answers with the outcome.
    let outcome: Vec<PullEvent> = events.collect().await;
    match outcome.last() {
        Some(PullEvent::Error(message)) => {
            reply::error(StatusCode::INTERNAL_SERVER_ERROR, message.clone())
        }
        Some(PullEvent::Disconnect) => {
            let cut = stream::once(future::ready(Err::<Bytes, _>(std::io::Error::other(
                "fake-ollama: pull cut",
            ))));
            (StatusCode::OK, Body::from_stream(cut)).into_response()
        }
        _ => reply::json(StatusCode::OK, &json!({ "status": "success" })),
    }
}

/// What can stop a blob download partway.
enum Interruption {
    Armed(PullFailure),
    DiskFull { hex: String },
}

/// The pull itself. Each `send` waits for the client to take the line; when
/// the client or the server goes away the send fails and the pull stops.
async fn run_pull(shared: Arc<Shared>, name: ModelName, mut sender: mpsc::Sender<PullEvent>) {
    macro_rules! emit {
        ($event:expr) => {
            if sender.send($event).await.is_err() {
                return;
            }
        };
    }

    emit!(PullEvent::Progress(Progress::status("pulling manifest")));
    let key = name.key();
    let (spec, armed) = {
        let mut state = shared.state();
        let spec = state.catalog.get(&key).cloned();
        let armed = spec
            .as_ref()
            .and_then(|_| state.armed_failures.remove(&key));
        (spec, armed)
    };
    let Some(spec) = spec else {
        // The registry's 404, as Ollama words it (ref §4 pull).
        emit!(PullEvent::Error(
            "pull model manifest: file does not exist".to_owned()
        ));
        return;
    };

    let mut attempt_bytes: u64 = 0;
    for blob in spec.blobs() {
        let on_disk = blob_bytes(&shared, &blob.hex);
        if on_disk >= blob.size {
            emit!(PullEvent::Progress(Progress::blob(blob, blob.size)));
            continue;
        }
        emit!(PullEvent::Progress(Progress::blob(blob, on_disk)));
        loop {
            if let Some(failure) = due_failure(armed.as_ref(), attempt_bytes) {
                emit!(interruption_event(Interruption::Armed(failure)));
                return;
            }
            tokio::time::sleep(shared.options.pull_tick).await;
            let limit = armed
                .as_ref()
                .map(|a| a.after_bytes.saturating_sub(attempt_bytes));
            match write_chunk(&shared, blob, limit) {
                Ok(WriteOutcome { written, completed }) => {
                    attempt_bytes += written;
                    emit!(PullEvent::Progress(Progress::blob(blob, completed)));
                    if completed >= blob.size {
                        break;
                    }
                }
                Err(interruption) => {
                    emit!(interruption_event(interruption));
                    return;
                }
            }
        }
    }
    // A failure set to fire exactly at the end of the bytes still fires.
    if let Some(failure) = due_failure(armed.as_ref(), attempt_bytes) {
        emit!(interruption_event(Interruption::Armed(failure)));
        return;
    }

    tokio::time::sleep(shared.options.pull_tick).await;
    emit!(PullEvent::Progress(Progress::status(
        "verifying sha256 digest"
    )));
    emit!(PullEvent::Progress(Progress::status("writing manifest")));
    install(&shared, &key, spec);
    emit!(PullEvent::Progress(Progress::status("success")));
}

fn interruption_event(interruption: Interruption) -> PullEvent {
    match interruption {
        Interruption::Armed(PullFailure::Error(message)) => PullEvent::Error(message),
        Interruption::Armed(PullFailure::Disconnect) => PullEvent::Disconnect,
        Interruption::DiskFull { hex } => PullEvent::Error(format!(
            "write /root/.ollama/models/blobs/sha256-{hex}-partial: no space left on device"
        )),
    }
}

fn due_failure(armed: Option<&ArmedFailure>, attempt_bytes: u64) -> Option<PullFailure> {
    armed
        .filter(|a| attempt_bytes >= a.after_bytes)
        .map(|a| a.failure.clone())
}

fn blob_bytes(shared: &Shared, hex: &str) -> u64 {
    shared.state().blobs.get(hex).copied().unwrap_or(0)
}

struct WriteOutcome {
    written: u64,
    completed: u64,
}

/// Appends one tick's worth of bytes to the blob's partial file, at most
/// `limit`. Reads the blob afresh so that two pulls of one model advance it
/// together instead of counting bytes twice.
fn write_chunk(
    shared: &Shared,
    blob: &Blob,
    limit: Option<u64>,
) -> Result<WriteOutcome, Interruption> {
    let mut state = shared.state();
    let on_disk = state.blobs.get(&blob.hex).copied().unwrap_or(0);
    let mut chunk = shared
        .options
        .pull_bytes_per_tick
        .max(1)
        .min(blob.size.saturating_sub(on_disk));
    if let Some(limit) = limit {
        chunk = chunk.min(limit);
    }
    let free = state.free_disk;
    if let Some(free) = free {
        if chunk > free {
            // Fill the disk, then fail as the write would.
            state.blobs.insert(blob.hex.clone(), on_disk + free);
            state.free_disk = Some(0);
            return Err(Interruption::DiskFull {
                hex: blob.hex.clone(),
            });
        }
        state.free_disk = Some(free - chunk);
    }
    let completed = on_disk + chunk;
    state.blobs.insert(blob.hex.clone(), completed);
    Ok(WriteOutcome {
        written: chunk,
        completed,
    })
}

/// "writing manifest": the model now shows in tags, freshly modified.
fn install(shared: &Shared, key: &str, spec: Arc<ModelSpec>) {
    let mut state = shared.state();
    let name = state
        .installed
        .get(key)
        .map_or_else(|| spec.name.clone(), |m| m.name.clone());
    state.installed.insert(
        key.to_owned(),
        Installed {
            name,
            spec,
            modified_at: Local::now(),
        },
    );
}
