//! `/_fake/...`: test controls for browser tests that run the binary.
//! None of this exists in Ollama.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse as _, Response};
use axum::routing::{get, post};
use axum::Router;
use serde::Deserialize;
use serde_json::json;

use crate::state::{ArmedFailure, Shared};
use crate::{names, reply, PullFailure};

pub(crate) fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route("/_fake/fail-next-pull", post(fail_next_pull))
        .route("/_fake/free-disk", post(free_disk))
        .route("/_fake/catalog", post(catalog))
        .route("/_fake/state", get(state))
}

/// `{"model", "after_bytes", "error"?}`: without `error` the connection is dropped.
async fn fail_next_pull(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    struct Request {
        model: String,
        after_bytes: u64,
        #[serde(default)]
        error: Option<String>,
    }
    let request: Request = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let key = names::key_of(&request.model).unwrap_or_else(|| request.model.to_lowercase());
    let failure = request
        .error
        .map_or(PullFailure::Disconnect, PullFailure::Error);
    shared.state().armed_failures.insert(
        key,
        ArmedFailure {
            after_bytes: request.after_bytes,
            failure,
        },
    );
    StatusCode::NO_CONTENT.into_response()
}

/// `{"bytes": n}` or `{"bytes": null}` (unlimited).
async fn free_disk(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    struct Request {
        bytes: Option<u64>,
    }
    let request: Request = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    shared.state().free_disk = request.bytes;
    StatusCode::NO_CONTENT.into_response()
}

/// `{"name", "total_bytes"}`: a model that can be pulled.
async fn catalog(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    struct Request {
        name: String,
        total_bytes: u64,
    }
    let request: Request = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    match crate::add_to_catalog(&shared, &request.name, request.total_bytes) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(message) => reply::error(StatusCode::BAD_REQUEST, message),
    }
}

/// `{"installed": [...], "loaded": [...]}`, in tags and ps order.
async fn state(State(shared): State<Arc<Shared>>) -> Response {
    let mut state = shared.state();
    let installed: Vec<String> = state
        .installed_newest_first()
        .into_iter()
        .map(|m| m.name)
        .collect();
    let loaded: Vec<String> = state
        .loaded_latest_first()
        .into_iter()
        .map(|m| m.name)
        .collect();
    reply::json(
        StatusCode::OK,
        &json!({ "installed": installed, "loaded": loaded }),
    )
}
