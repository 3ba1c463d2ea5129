//! The login and logout endpoints. Plain HTML forms post here, so they work without
//! JavaScript; each answers with a redirect.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;
use tower_sessions::Session;

use super::policy::RequestUser;
use super::service::{self, ClientInfo, LoginRefusal};
use crate::core::state::AppState;

fn to_login(state: &AppState, refusal: LoginRefusal) -> Response {
    let login = state.auth.settings.link("/login");
    Redirect::to(&format!("{login}?error={}", refusal.code())).into_response()
}

fn to_page(state: &AppState, path: &str) -> Response {
    Redirect::to(&state.auth.settings.link(path)).into_response()
}

/// `POST /auth/github/start`: off to GitHub.
pub async fn github_start(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
) -> Response {
    if !state.auth.limiter.allow(&client.address) {
        return to_login(&state, LoginRefusal::TooMany);
    }
    match service::start_github_login(&state, &session).await {
        Ok(url) => Redirect::to(&url).into_response(),
        Err(error) => error.into_response(),
    }
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /auth/github/callback?code=…&state=…`: GitHub sends the browser back here.
pub async fn github_callback(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
    Query(callback): Query<Callback>,
) -> Response {
    if !state.auth.limiter.allow(&client.address) {
        return to_login(&state, LoginRefusal::TooMany);
    }
    let result = service::finish_github_login(
        &state,
        &session,
        &client,
        callback.code.as_deref(),
        callback.state.as_deref(),
        callback.error.as_deref(),
    )
    .await;
    match result {
        Ok(_) => to_page(&state, "/"),
        Err(refusal) => to_login(&state, refusal),
    }
}

#[derive(Deserialize)]
pub struct LinkForm {
    token: String,
}

/// `POST /auth/link` with the one-time token in the form body (never in a query).
pub async fn link_login(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    session: Session,
    Form(form): Form<LinkForm>,
) -> Response {
    if !state.auth.limiter.allow(&client.address) {
        return to_login(&state, LoginRefusal::TooMany);
    }
    match service::login_with_link(&state, &session, &client, &form.token).await {
        Ok(_) => to_page(&state, "/"),
        Err(refusal) => to_login(&state, refusal),
    }
}

/// `POST /auth/logout`: ends the session on the server.
pub async fn logout(
    State(state): State<AppState>,
    Extension(client): Extension<ClientInfo>,
    Extension(RequestUser(user)): Extension<RequestUser>,
    session: Session,
) -> Response {
    match service::logout(&state, &session, user.as_ref(), &client).await {
        Ok(()) => to_page(&state, "/login"),
        Err(error) => error.into_response(),
    }
}
