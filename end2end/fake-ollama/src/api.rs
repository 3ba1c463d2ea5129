//! The simple endpoints: liveness, version, tags, show, delete, copy, ps.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Local, SecondsFormat};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::Details;
use crate::names::ModelName;
use crate::reply;
use crate::state::{Installed, Shared};

/// RFC 3339 in local time with its offset (`Z` when local is UTC, as Go prints it).
pub(crate) fn local_time(t: DateTime<Local>) -> String {
    t.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

pub(crate) async fn root() -> Response {
    reply::text(StatusCode::OK, "Ollama is running")
}

pub(crate) async fn version(State(shared): State<Arc<Shared>>) -> Response {
    #[derive(Serialize)]
    struct Version<'a> {
        version: &'a str,
    }
    reply::json(
        StatusCode::OK,
        &Version {
            version: &shared.options.version,
        },
    )
}

#[derive(Serialize)]
struct ListModel {
    name: String,
    model: String,
    modified_at: String,
    size: u64,
    digest: String,
    details: Details,
}

pub(crate) async fn tags(State(shared): State<Arc<Shared>>) -> Response {
    #[derive(Serialize)]
    struct Tags {
        models: Vec<ListModel>,
    }
    let models = shared
        .state()
        .installed_newest_first()
        .into_iter()
        .map(|m| ListModel {
            name: m.name.clone(),
            model: m.name,
            modified_at: local_time(m.modified_at),
            size: m.spec.size(),
            digest: m.spec.manifest_hex.clone(),
            details: m.spec.details(),
        })
        .collect();
    reply::json(StatusCode::OK, &Tags { models })
}

/// Show and delete name the model with `model`, or the deprecated `name`.
#[derive(Deserialize, Default)]
#[serde(default)]
pub(crate) struct ModelRequest {
    model: Option<String>,
    name: Option<String>,
}

impl ModelRequest {
    /// `cmp.Or(req.Model, req.Name)`: `model` unless it is empty.
    fn model_name(&self) -> &str {
        let model = self.model.as_deref().unwrap_or("");
        if model.is_empty() {
            self.name.as_deref().unwrap_or("")
        } else {
            model
        }
    }
}

pub(crate) async fn show(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Serialize)]
    struct Show {
        license: String,
        modelfile: String,
        parameters: String,
        template: String,
        details: Details,
        model_info: Value,
        capabilities: Vec<String>,
        modified_at: String,
    }
    let request: ModelRequest = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let Some(name) = ModelName::parse(request.model_name()) else {
        return reply::error(StatusCode::BAD_REQUEST, "model is required");
    };
    let found: Option<Installed> = shared.state().installed.get(&name.key()).cloned();
    let Some(model) = found else {
        // UNCONFIRMED (ref §4 show): the message carries the short form with the tag.
        return reply::error(
            StatusCode::NOT_FOUND,
            format!("model '{}' not found", name.short()),
        );
    };
    let spec = &model.spec;
    reply::json(
        StatusCode::OK,
        &Show {
            license: spec.license.clone(),
            modelfile: spec.modelfile(&model.name),
            parameters: spec.parameters_text(),
            template: spec.template.clone(),
            details: spec.details(),
            model_info: spec.model_info(),
            capabilities: spec.capabilities.clone(),
            modified_at: local_time(model.modified_at),
        },
    )
}

pub(crate) async fn delete_model(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let request: ModelRequest = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let as_sent = request.model_name();
    let Some(name) = ModelName::parse(as_sent) else {
        return reply::error(StatusCode::BAD_REQUEST, "model is required");
    };
    if shared.state().remove_installed(&name.key()) {
        reply::empty_ok()
    } else {
        reply::error(
            StatusCode::NOT_FOUND,
            format!("model '{as_sent}' not found"),
        )
    }
}

pub(crate) async fn copy(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    #[derive(Deserialize, Default)]
    #[serde(default)]
    struct CopyRequest {
        source: Option<String>,
        destination: Option<String>,
    }
    let request: CopyRequest = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    let source = request.source.unwrap_or_default();
    let destination = request.destination.unwrap_or_default();
    // Go's %q quoting; Rust's Debug quoting matches it for plain names.
    let Some(source_name) = ModelName::parse(&source) else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            format!("source {source:?} is invalid"),
        );
    };
    let Some(destination_name) = ModelName::parse(&destination) else {
        return reply::error(
            StatusCode::BAD_REQUEST,
            format!("destination {destination:?} is invalid"),
        );
    };
    let mut state = shared.state();
    let Some(original) = state.installed.get(&source_name.key()).cloned() else {
        return reply::error(StatusCode::NOT_FOUND, format!("model {source:?} not found"));
    };
    let destination_key = destination_name.key();
    // getExistingName: an existing destination keeps its spelling.
    let shown_name = state
        .installed
        .get(&destination_key)
        .map_or_else(|| destination_name.short(), |m| m.name.clone());
    // UNCONFIRMED (ref §4 copy): an existing destination is overwritten.
    state.installed.insert(
        destination_key,
        Installed {
            name: shown_name,
            spec: original.spec,
            modified_at: Local::now(),
        },
    );
    reply::empty_ok()
}

pub(crate) async fn ps(State(shared): State<Arc<Shared>>) -> Response {
    #[derive(Serialize)]
    struct ProcessModel {
        name: String,
        model: String,
        size: u64,
        digest: String,
        details: Details,
        expires_at: String,
        size_vram: u64,
        context_length: u64,
    }
    #[derive(Serialize)]
    struct Ps {
        models: Vec<ProcessModel>,
    }
    let gpu = shared.options.gpu;
    let models = shared
        .state()
        .loaded_latest_first()
        .into_iter()
        .map(|m| {
            let size = m.spec.loaded_size();
            ProcessModel {
                name: m.name.clone(),
                model: m.name,
                size,
                digest: m.spec.manifest_hex.clone(),
                // parent_model is always "" in ps (ref §4 ps).
                details: m.spec.details(),
                expires_at: local_time(m.expires_at),
                size_vram: if gpu { size } else { 0 },
                context_length: m.context_length,
            }
        })
        .collect();
    reply::json(StatusCode::OK, &Ps { models })
}
