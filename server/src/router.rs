//! Every route of caretaker, in one place.

use std::sync::OnceLock;

use axum::routing::{get, post};
use axum::{middleware, Router};
use leptos::prelude::provide_context;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};

use app::core::state::AppState;
use app::{shell, App};

use crate::{middleware as layers, ops};

/// The whole web application. The binary serves it; tests call it with `oneshot`.
pub fn build_router(state: AppState) -> Router {
    let has_base = !state.auth.settings.base_path().is_empty();
    let routes = routes(state.clone());
    if !has_base {
        return routes;
    }
    // A layer on a Router runs after routing; the prefix must go before it, so the routes
    // sit behind an outer router whose only route is the fallback.
    Router::new()
        .fallback_service(routes)
        .layer(middleware::from_fn_with_state(
            state,
            layers::strip_base_path,
        ))
}

fn routes(state: AppState) -> Router {
    let pages = page_routes();
    let context = {
        let state = state.clone();
        move || provide_context(state.clone())
    };
    let render = {
        let options = state.leptos_options.clone();
        move || shell(options.clone())
    };
    Router::new()
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .route(
            "/api/tasks/{id}/events",
            get(app::tasks::routes::task_events),
        )
        .route(
            "/api/containers/{host}/{id}/logs",
            get(app::containers::routes::follow_logs),
        )
        .route("/auth/github/start", post(app::auth::routes::github_start))
        .route(
            "/auth/github/callback",
            get(app::auth::routes::github_callback),
        )
        .route("/auth/link", post(app::auth::routes::link_login))
        .route("/auth/logout", post(app::auth::routes::logout))
        .route("/audit/export", get(app::audit::routes::export))
        .route("/connect/proxy.pac", get(app::connect::routes::proxy_pac))
        .route("/analytics/export", get(app::analytics::routes::export))
        .route(
            "/status.json",
            get(app::monitors::status::routes::status_json),
        )
        .route(
            "/status/badge/{file}",
            get(app::monitors::status::routes::badge),
        )
        // Pages, and every #[server] function under /api.
        .leptos_routes_with_context(&state, pages, context.clone(), render)
        // Static files of the site (wasm, js, css, public/), else the not-found page.
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        // Innermost first: the access policy needs the session; the origin check runs
        // before anything else can change state.
        .layer(middleware::from_fn(layers::server_fn_error_status))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            app::auth::policy::enforce,
        ))
        .layer(session_layer(&state))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::same_origin_writes,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::security_headers,
        ))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            layers::record_metrics,
        ))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(DefaultOnResponse::new().level(tracing::Level::INFO)),
        )
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .with_state(state)
}

/// The page routes, listed once per process. Listing them renders the app with a
/// process-wide leptos flag set that leaves any resource first polled meanwhile pending
/// forever (leptos-rs/leptos#4773): tests build routers while other tests render pages.
/// Every router waits here for the one listing, so no page renders while it runs.
fn page_routes() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

/// Session cookies: HttpOnly, SameSite=Lax, and `Secure` with the `__Host-` prefix when
/// caretaker is reached over HTTPS. Server-side data in SQLite, so a restart logs nobody out.
fn session_layer(state: &AppState) -> SessionManagerLayer<tower_sessions_sqlx_store::SqliteStore> {
    let settings = &state.auth.settings;
    let secure = settings.secure_cookies();
    let absolute = tower_sessions::cookie::time::Duration::seconds(
        i64::try_from(settings.absolute_timeout.as_secs()).unwrap_or(i64::MAX),
    );
    SessionManagerLayer::new(state.auth.sessions.clone())
        .with_name(if secure {
            "__Host-caretaker"
        } else {
            "caretaker"
        })
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Lax)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(absolute))
}

/// One span per request: method, path (never the query: it may carry tokens) and id.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|value| value.to_str().ok())
        .unwrap_or("-");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %loggable_path(request.uri().path()),
        id = %id,
    )
}

/// The path as it may be logged: a one-time login link carries its token in the path.
fn loggable_path(path: &str) -> &str {
    if path.starts_with("/auth/link/") {
        "/auth/link/[redacted]"
    } else {
        path
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn login_link_tokens_are_not_logged() {
        assert_eq!(
            super::loggable_path("/auth/link/3f9c0d"),
            "/auth/link/[redacted]"
        );
        assert_eq!(super::loggable_path("/audit"), "/audit");
    }
}
