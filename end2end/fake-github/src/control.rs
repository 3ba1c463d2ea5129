//! `/_fake/...`: test controls for browser tests that run the binary.
//! None of this exists on GitHub.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

use crate::{FakeGithub, FakeUser};

pub(crate) fn router() -> Router<FakeGithub> {
    Router::new()
        .route("/_fake/sign-in-as/{id}", post(sign_in_as))
        .route("/_fake/sign-out", post(sign_out))
        .route("/_fake/rename/{id}/{login}", post(rename))
        .route("/_fake/revoke-tokens", post(revoke_tokens))
        .route("/_fake/users", post(put_user))
        .route("/_fake/token-requests", get(token_requests))
        .route("/_fake/authorize-scopes", get(authorize_scopes))
}

async fn sign_in_as(State(gh): State<FakeGithub>, Path(id): Path<u64>) -> Response {
    if !gh.state().users.contains_key(&id) {
        return (StatusCode::NOT_FOUND, format!("no user with id {id}\n")).into_response();
    }
    gh.sign_in_as(Some(id));
    StatusCode::NO_CONTENT.into_response()
}

async fn sign_out(State(gh): State<FakeGithub>) -> StatusCode {
    gh.sign_in_as(None);
    StatusCode::NO_CONTENT
}

async fn rename(State(gh): State<FakeGithub>, Path((id, login)): Path<(u64, String)>) -> Response {
    let mut state = gh.state();
    if !state.users.contains_key(&id) {
        return (StatusCode::NOT_FOUND, format!("no user with id {id}\n")).into_response();
    }
    match state.try_rename(id, &login) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::CONFLICT, format!("{e}\n")).into_response(),
    }
}

async fn revoke_tokens(State(gh): State<FakeGithub>) -> StatusCode {
    gh.revoke_tokens();
    StatusCode::NO_CONTENT
}

/// Adds a user or replaces the one with the same id.
async fn put_user(State(gh): State<FakeGithub>, Json(user): Json<FakeUser>) -> Response {
    match gh.state().try_add_user(user) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => (StatusCode::CONFLICT, format!("{e}\n")).into_response(),
    }
}

async fn token_requests(State(gh): State<FakeGithub>) -> Response {
    Json(gh.token_requests()).into_response()
}

async fn authorize_scopes(State(gh): State<FakeGithub>) -> Response {
    Json(gh.authorize_scopes()).into_response()
}
