//! The access policy: which role each route and server function needs, and the
//! middleware that enforces it for every request before any handler runs.
//!
//! Enforcement is central and fails closed: a server function that is not listed in an
//! area's `ACCESS` table is admin-only, and `server/tests/access.rs` walks every registered
//! server function and route so a missing entry fails the build's tests.

use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::service::{self, AuthSettings, ClientInfo};
use super::{CurrentUser, Role};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;

/// Who may reach something.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// Anyone, logged in or not.
    Public,
    /// A logged-in user with at least this role.
    Role(Role),
}

/// Every server function and the role it needs, gathered from each area's `api.rs`.
pub fn server_fn_access() -> Vec<(&'static str, Access)> {
    [
        crate::overview::api::ACCESS,
        crate::containers::api::ACCESS,
        crate::cluster::api::ACCESS,
        crate::services::api::ACCESS,
        crate::models::api::ACCESS,
        crate::models::stack::ACCESS,
        crate::jobs::api::ACCESS,
        crate::backups::api::ACCESS,
        crate::monitors::api::ACCESS,
        crate::analytics::api::ACCESS,
        crate::proxy::api::ACCESS,
        crate::tasks::api::ACCESS,
        crate::auth::api::ACCESS,
        crate::audit::api::ACCESS,
        crate::connect::api::ACCESS,
    ]
    .concat()
}

/// The access a request needs, from its path alone.
pub fn required_access(path: &str) -> Access {
    const PUBLIC_EXACT: &[&str] = &[
        "/healthz",
        "/readyz",
        "/login",
        "/favicon.svg",
        "/status",
        "/status.json",
    ];
    if PUBLIC_EXACT.contains(&path)
        || path.starts_with("/auth/")
        || path.starts_with("/pkg/")
        || path.starts_with("/status/badge/")
    {
        return Access::Public;
    }
    let is_stream = (path.starts_with("/api/tasks/") && path.ends_with("/events"))
        || (path.starts_with("/api/containers/") && path.ends_with("/logs"));
    if is_stream {
        return Access::Role(Role::Viewer);
    }
    if path.starts_with("/api/") {
        // Unknown server functions are admin-only: fail closed.
        return server_fn_access()
            .into_iter()
            .find(|(fn_path, _)| *fn_path == path)
            .map_or(Access::Role(Role::Admin), |(_, access)| access);
    }
    if path == "/users" || path.starts_with("/users/") {
        return Access::Role(Role::Admin);
    }
    // Pages, exports and /metrics: every logged-in user.
    Access::Role(Role::Viewer)
}

/// Works out the client, the user and the access; answers 401/403 (or sends a browser to
/// the login page) when the user may not reach the path. Runs inside the session layer.
pub async fn enforce(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let client = client_info(&state, &request);
    let session = request.extensions().get::<Session>().cloned();
    let user = match &session {
        Some(session) => match service::session_user(&state, session).await {
            Ok(user) => user,
            Err(error) => return error.into_response(),
        },
        None => None,
    };
    request.extensions_mut().insert(client.clone());
    request.extensions_mut().insert(RequestUser(user.clone()));

    let path = request.uri().path().to_owned();
    let Access::Role(needed) = required_access(&path) else {
        return next.run(request).await;
    };
    if path == "/metrics" {
        let authorization = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok());
        if state.auth.settings.is_metrics_scraper(authorization) {
            return next.run(request).await;
        }
    }
    let is_page =
        request.method() == Method::GET && !path.starts_with("/api/") && wants_html(&request);
    let (actor, logged_in) = match &user {
        Some(user) if user.role >= needed => return next.run(request).await,
        Some(user) => (service::actor(user, &client), true),
        None => (Actor::anonymous(client.address.clone()), false),
    };
    // Refused reads are ordinary (an expired session clicking a link); refused writes are
    // worth an audit line.
    // Anonymous refusals are rate limited and the path cut short, so nobody can fill the
    // log (and the disk) without logging in.
    if request.method() != Method::GET && (logged_in || state.auth.limiter.allow(&client.address)) {
        let reason = if logged_in {
            "role too low"
        } else {
            "not logged in"
        };
        let target: String = path.chars().take(200).collect();
        record(
            &state.db,
            &actor,
            "auth",
            "denied",
            &target,
            Outcome::Refused,
            reason,
        )
        .await;
    }
    let error = if logged_in {
        AppError::Forbidden
    } else {
        AppError::Unauthenticated
    };
    match (logged_in, is_page) {
        (true, true) => {
            let page = forbidden_page(&state.auth.settings);
            (StatusCode::FORBIDDEN, axum::response::Html(page)).into_response()
        }
        (false, true) => Redirect::to(&state.auth.settings.link("/login")).into_response(),
        _ if path.starts_with("/api/") => error.into_server_fn_response(),
        _ => error.into_response(),
    }
}

fn forbidden_page(settings: &AuthSettings) -> String {
    format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Not allowed · caretaker</title>\
<link rel=\"stylesheet\" href=\"{}\"></head><body><main><h1>Not allowed</h1>\
<p>Your role does not allow this page. Ask an admin if you need it.</p><p><a href=\"{}\">Back to the overview</a></p></main></body></html>",
        settings.link("/pkg/caretaker.css"),
        settings.link("/"),
    )
}

/// Browsers ask for HTML when they navigate; scripts and scrapers do not.
fn wants_html(request: &Request) -> bool {
    request
        .headers()
        .get(header::ACCEPT)
        .and_then(|accept| accept.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"))
}

/// The user of the request, put there by [`enforce`].
#[derive(Debug, Clone)]
pub struct RequestUser(pub Option<CurrentUser>);

/// The client's address: the TCP peer, or — only when the peer is a trusted proxy — the
/// last address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn client_info(state: &AppState, request: &Request) -> ClientInfo {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    let trusted = &state.auth.settings.trusted_proxies;
    let address = match peer {
        Some(peer) if trusted.contains(&peer) => request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .filter_map(|part| part.trim().parse::<IpAddr>().ok())
            .rev()
            .find(|address| !trusted.contains(address))
            .unwrap_or(peer),
        Some(peer) => peer,
        None => IpAddr::from([0, 0, 0, 0]),
    };
    let user_agent = request
        .headers()
        .get(header::USER_AGENT)
        .and_then(|agent| agent.to_str().ok())
        .unwrap_or("")
        .chars()
        .take(200)
        .collect();
    ClientInfo {
        address: address.to_string(),
        user_agent,
    }
}

/// Inside a server function: the logged-in user, or `Unauthenticated`.
pub fn current_user() -> Result<CurrentUser, AppError> {
    request_user().ok_or(AppError::Unauthenticated)
}

/// Inside a server function or a server-rendered component: the user, if logged in.
pub fn request_user() -> Option<CurrentUser> {
    let parts = leptos::prelude::use_context::<http::request::Parts>()?;
    parts.extensions.get::<RequestUser>()?.0.clone()
}

/// Inside a server function: where the request came from.
pub fn current_client() -> ClientInfo {
    leptos::prelude::use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<ClientInfo>().cloned())
        .unwrap_or(ClientInfo {
            address: "unknown".to_owned(),
            user_agent: String::new(),
        })
}

/// Inside a server function: the user, when their role is at least `role`.
pub fn require(role: Role) -> Result<CurrentUser, AppError> {
    let user = current_user()?;
    if user.role >= role {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_need_what_they_should() {
        assert_eq!(required_access("/healthz"), Access::Public);
        assert_eq!(required_access("/login"), Access::Public);
        assert_eq!(required_access("/auth/github/callback"), Access::Public);
        assert_eq!(required_access("/"), Access::Role(Role::Viewer));
        assert_eq!(required_access("/metrics"), Access::Role(Role::Viewer));
        assert_eq!(required_access("/users"), Access::Role(Role::Admin));
        assert_eq!(
            required_access("/api/no-such-function"),
            Access::Role(Role::Admin)
        );
        assert_eq!(
            required_access("/api/tasks/abc/events"),
            Access::Role(Role::Viewer)
        );
    }
}
