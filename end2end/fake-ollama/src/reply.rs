//! How Ollama (through Gin) frames requests and replies (ref §1, §2).

use std::future::Future;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use futures::channel::mpsc;
use futures::{future, stream, FutureExt as _, Stream, StreamExt as _};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::json;

const JSON: &str = "application/json; charset=utf-8";
const NDJSON: &str = "application/x-ndjson";
/// Gin's `serveError` sets exactly this for its 404/405 bodies.
const PLAIN_GIN: &str = "text/plain";
const PLAIN: &str = "text/plain; charset=utf-8";

/// `c.JSON`: compact, no trailing newline.
pub(crate) fn json<T: Serialize>(status: StatusCode, value: &T) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_default();
    (status, [(header::CONTENT_TYPE, JSON)], body).into_response()
}

/// `{"error": message}`.
pub(crate) fn error(status: StatusCode, message: impl Into<String>) -> Response {
    json(status, &json!({ "error": message.into() }))
}

/// `c.String`-style plain text.
pub(crate) fn text(status: StatusCode, body: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, PLAIN)], body).into_response()
}

/// 200 with nothing in it (delete, copy).
pub(crate) fn empty_ok() -> Response {
    StatusCode::OK.into_response()
}

pub(crate) async fn not_found() -> Response {
    (
        StatusCode::NOT_FOUND,
        [(header::CONTENT_TYPE, PLAIN_GIN)],
        "404 page not found",
    )
        .into_response()
}

pub(crate) async fn method_not_allowed() -> Response {
    (
        StatusCode::METHOD_NOT_ALLOWED,
        [(header::CONTENT_TYPE, PLAIN_GIN)],
        "405 method not allowed",
    )
        .into_response()
}

/// Reads a request body the way Ollama's handlers do: whatever the
/// `Content-Type`, empty → 400 `missing request body`, `null` → an empty
/// request, unknown fields ignored, bad JSON or wrong types → 400.
#[allow(clippy::result_large_err)] // the Err is the reply to send, used once
pub(crate) fn parse_body<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, Response> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(error(StatusCode::BAD_REQUEST, "missing request body"));
    }
    match serde_json::from_slice::<Option<T>>(body) {
        Ok(request) => Ok(request.unwrap_or_default()),
        // Go's decoder words these differently; clients must branch on the status only.
        Err(e) => Err(error(StatusCode::BAD_REQUEST, e.to_string())),
    }
}

/// One NDJSON line: the object and `\n`.
pub(crate) fn ndjson_line<T: Serialize>(value: &T) -> Bytes {
    let mut line = serde_json::to_vec(value).unwrap_or_default();
    line.push(b'\n');
    Bytes::from(line)
}

/// A 200 NDJSON reply. Each item becomes one chunk, written and flushed as it
/// comes; an `Err` item makes hyper drop the connection without the final
/// chunk, which is how a fake "dies" mid-stream.
pub(crate) fn ndjson_stream<S>(lines: S) -> Response
where
    S: Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static,
{
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, NDJSON)],
        Body::from_stream(lines),
    )
        .into_response()
}

/// An async generator: `produce` sends items one by one; the stream yields
/// them. The producer runs only while the stream is polled, inside it, so
/// dropping the response (client gone, server stopped) also stops the work.
pub(crate) fn generator<T, F, Fut>(produce: F) -> impl Stream<Item = T> + Send + 'static
where
    T: Send + 'static,
    F: FnOnce(mpsc::Sender<T>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    // A zero buffer makes every send wait for the reader: no running ahead.
    let (sender, receiver) = mpsc::channel(0);
    let producer = produce(sender)
        .into_stream()
        .filter_map(|()| future::ready(None));
    stream::select(producer, receiver)
}
