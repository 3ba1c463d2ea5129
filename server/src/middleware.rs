//! Layers every request passes through: request metrics, the cross-origin check on
//! state-changing requests, and security headers.

use std::time::Instant;

use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use app::core::error::AppError;
use app::core::state::AppState;

/// Under a sub-path (`public_url = "https://example.org/caretaker"`), a proxy may pass
/// `/caretaker/audit` on as it is or strip it to `/audit`: both reach the same route.
/// Runs before routing (see `router::build_router`).
pub async fn strip_base_path(
    State(state): State<AppState>,
    mut request: Request,
    next: Next,
) -> Response {
    let base = state.auth.settings.base_path();
    let stripped = app::ui::paths::strip_base(base, request.uri().path())
        .filter(|rest| rest.len() != request.uri().path().len())
        .map(|rest| match request.uri().query() {
            Some(query) => format!("{rest}?{query}"),
            None => rest.to_owned(),
        });
    if let Some(path_and_query) = stripped.and_then(|text| text.parse().ok()) {
        let mut parts = request.uri().clone().into_parts();
        parts.path_and_query = Some(path_and_query);
        if let Ok(uri) = axum::http::Uri::from_parts(parts) {
            *request.uri_mut() = uri;
        }
    }
    next.run(request).await
}

/// Leptos answers every failed server function with 500; this gives the answer the
/// status of its error (422 for bad input, 404, 409, …), so API clients, metrics and the
/// request log tell a refused form from a fault. The body, the error itself, is unchanged.
pub async fn server_fn_error_status(request: Request, next: Next) -> Response {
    let is_server_fn = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_server_fn || response.status() != axum::http::StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Server function errors are one short sentence; anything larger is left alone.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return AppError::internal("a server function's error answer was too large")
            .into_response();
    };
    if let Ok(error) = serde_json::from_slice::<AppError>(&bytes) {
        if let Ok(status) = axum::http::StatusCode::from_u16(error.status()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

/// Counts the request and its latency for `/metrics`.
pub async fn record_metrics(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let started = Instant::now();
    let response = next.run(request).await;
    state
        .metrics
        .record_request(response.status().as_u16(), started.elapsed());
    response
}

/// Refuses a state-changing request that a browser sent from another site.
///
/// Browsers mark every request with `Sec-Fetch-Site` (or at least `Origin` on POST); a
/// page on another site cannot forge either. Requests without both come from non-browser
/// clients (curl, scripts), which cannot be driven by a foreign page.
pub async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    if is_safe_method(request.method()) || is_same_origin(&state, &request) {
        next.run(request).await
    } else {
        tracing::warn!(
            method = %request.method(),
            path = %request.uri().path(),
            "refused a cross-origin state-changing request"
        );
        if request.uri().path().starts_with("/api/") {
            AppError::Forbidden.into_server_fn_response()
        } else {
            AppError::Forbidden.into_response()
        }
    }
}

fn is_safe_method(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

fn is_same_origin(state: &AppState, request: &Request) -> bool {
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        // "none": typed in the address bar or a bookmark, which cannot be a forged write.
        if !matches!(site.as_bytes(), b"same-origin" | b"none") {
            return false;
        }
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return true;
    };
    let settings = &state.auth.settings;
    if settings.public_url_configured {
        // The configured public URL is the only origin; never a request header.
        let public_origin = origin_of(&settings.public_url);
        return origin
            .to_str()
            .is_ok_and(|origin| origin.eq_ignore_ascii_case(public_origin));
    }
    // HTTP/2 (which browsers speak over caretaker's own HTTPS) sends the host as the
    // request's authority instead of a Host header.
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    let origin_host = origin
        .to_str()
        .ok()
        .and_then(|origin| origin.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((origin_host, host), (Some(origin), Some(host)) if origin.eq_ignore_ascii_case(host))
}

/// `https://example.org/caretaker` → `https://example.org`.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |index| index + 3);
    match url[after_scheme..].find('/') {
        Some(slash) => &url[..after_scheme + slash],
        None => url,
    }
}

/// `Content-Security-Policy` of answers that are not pages: they run nothing and load nothing.
pub const STRICT_POLICY: &str = "default-src 'none'; frame-ancestors 'none'";

/// `Content-Security-Policy` of HTML that the app did not render (the "not allowed" page):
/// no scripts, only caretaker's own stylesheet and images.
pub const STATIC_PAGE_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Headers every answer carries. Pages rendered by the app come with their own
/// `Content-Security-Policy` (it holds the nonce of their scripts); every other answer gets
/// a fixed one here.
pub async fn security_headers(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        let is_html = headers
            .get(header::CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .is_some_and(|value| value.starts_with("text/html"));
        let policy = if is_html {
            STATIC_PAGE_POLICY
        } else {
            STRICT_POLICY
        };
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(policy),
        );
    }
    // Users reach caretaker over HTTPS (its own TLS makes the public URL https too): tell
    // browsers never to try plain HTTP for a year.
    if state.auth.settings.secure_cookies() {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    response
}
