//! Operational endpoints: `/healthz`, `/readyz`, `/metrics`.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::{Extension, Json};
use serde_json::json;

use app::auth::policy::RequestUser;
use app::core::db;
use app::core::state::AppState;

/// The process is alive and serving. Never touches an engine, so a slow engine cannot
/// make an orchestrator restart a healthy process.
pub async fn healthz() -> &'static str {
    "ok\n"
}

/// Whether the database and the Docker engine answer, as JSON; 503 when one does not.
/// The reasons (paths, addresses) are shown to logged-in users only; orchestrators get
/// the booleans.
pub async fn readyz(
    State(state): State<AppState>,
    Extension(RequestUser(user)): Extension<RequestUser>,
) -> impl IntoResponse {
    let database = db::ping(&state.db).await;
    let docker = state
        .docker
        .call(|client| async move { client.ping().await })
        .await;
    state.metrics.record_docker_reachable(docker.is_ok());
    let ready = database.is_ok() && docker.is_ok();
    let check = |result: Result<_, app::core::error::AppError>| match result {
        Ok(_) => json!({ "ok": true }),
        Err(error) if user.is_some() => json!({ "ok": false, "error": error.to_string() }),
        Err(_) => json!({ "ok": false }),
    };
    let body = json!({
        "ready": ready,
        "database": check(database.map(|_| ())),
        "docker": check(docker.map(|_| ())),
    });
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (status, Json(body))
}

/// Prometheus text format.
pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let database_up = db::ping(&state.db).await.is_ok();
    let tasks = state.tasks.count_by_status().await.unwrap_or_default();
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(&tasks, database_up),
    )
}
