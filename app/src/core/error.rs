//! The one error type of caretaker, shared by server functions, routes and pages.
//!
//! Policy:
//! - Area services return `Result<T, AppError>`. Anything the user can act on (bad input,
//!   a missing object, an engine that is down) is a variant whose text is a plain sentence
//!   written for the page: it says what is wrong and, where it helps, what is accepted.
//! - Everything else (a database fault, an unexpected engine answer, a bug) becomes
//!   `AppError::Internal` through [`AppError::internal`]: the detail is logged on the server
//!   with a short reference, and the browser only sees the reference. Never put
//!   `e.to_string()` of a database or engine error into any other variant.
//! - `anyhow` is fine in the binary's start-up code (config, CLI), which prints to a terminal;
//!   it never crosses into a request.
//! - The HTTP status of each variant is decided once, in [`AppError::status`], and tested.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// The request carried a value we cannot accept. The text names the field and what is accepted.
    #[error("{0}")]
    Invalid(String),
    /// The thing asked for does not exist (any more).
    #[error("{0}")]
    NotFound(String),
    /// The request needs a logged-in user.
    #[error("Please log in to see this page.")]
    Unauthenticated,
    /// The user is logged in but their role does not allow this.
    #[error("Your role does not allow this action.")]
    Forbidden,
    /// The request conflicts with the current state (for example: already running).
    #[error("{0}")]
    Conflict(String),
    /// An external engine (Docker, restic, Ollama) cannot be reached or refused the work.
    /// The text is a plain sentence for the page, never the raw engine error.
    #[error("{0}")]
    EngineUnavailable(String),
    /// A fault on our side. Only a reference goes to the browser; the detail is in the log.
    #[error(
        "Something went wrong on the server. The log has the details under reference {reference}."
    )]
    Internal { reference: String },
    /// The request itself failed between browser and server (network, encoding).
    #[error("The request did not reach the server: {0}")]
    Request(String),
}

impl AppError {
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::Invalid(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        Self::NotFound(message.into())
    }

    /// The HTTP status each variant answers with.
    pub fn status(&self) -> u16 {
        match self {
            Self::Invalid(_) => 422,
            Self::NotFound(_) => 404,
            Self::Unauthenticated => 401,
            Self::Forbidden => 403,
            Self::Conflict(_) => 409,
            Self::EngineUnavailable(_) => 503,
            Self::Internal { .. } => 500,
            Self::Request(_) => 400,
        }
    }
}

impl server_fn_error::FromServerFnError for AppError {
    type Encoder = server_fn_error::JsonEncoding;

    fn from_server_fn_error(value: server_fn_error::ServerFnErrorErr) -> Self {
        Self::Request(value.to_string())
    }
}

/// Re-exports from leptos' server-function machinery, kept in one place.
mod server_fn_error {
    pub use leptos::server_fn::codec::JsonEncoding;
    pub use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::AppError;
    use axum::response::{IntoResponse, Response};
    use rand::Rng;

    impl AppError {
        /// Logs `detail` with a fresh reference and returns the error the browser may see.
        #[track_caller]
        pub fn internal(detail: impl std::fmt::Display) -> Self {
            let reference: String = rand::rng()
                .sample_iter(rand::distr::Alphanumeric)
                .take(8)
                .map(char::from)
                .collect();
            let location = std::panic::Location::caller();
            tracing::error!(%reference, %location, "internal error: {detail}");
            Self::Internal { reference }
        }
    }

    impl From<sqlx::Error> for AppError {
        #[track_caller]
        fn from(error: sqlx::Error) -> Self {
            Self::internal(format_args!("database: {error}"))
        }
    }

    impl From<sqlx::migrate::MigrateError> for AppError {
        #[track_caller]
        fn from(error: sqlx::migrate::MigrateError) -> Self {
            Self::internal(format_args!("database migration: {error}"))
        }
    }

    impl AppError {
        /// The answer a server function's client can decode: the error itself, encoded
        /// as server functions encode it, with its status.
        pub fn into_server_fn_response(self) -> Response {
            use leptos::server_fn::error::FromServerFnError;
            let status = http::StatusCode::from_u16(self.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                [(http::header::CONTENT_TYPE, "application/json")],
                self.ser(),
            )
                .into_response()
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = http::StatusCode::from_u16(self.status())
                .unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            (
                status,
                axum::Json(serde_json::json!({ "error": self.to_string() })),
            )
                .into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::AppError;

    #[test]
    fn each_variant_has_its_status() {
        let cases = [
            (AppError::invalid("x"), 422),
            (AppError::not_found("x"), 404),
            (AppError::Unauthenticated, 401),
            (AppError::Forbidden, 403),
            (AppError::Conflict("x".into()), 409),
            (AppError::EngineUnavailable("x".into()), 503),
            (
                AppError::Internal {
                    reference: "r".into(),
                },
                500,
            ),
            (AppError::Request("x".into()), 400),
        ];
        for (error, status) in cases {
            assert_eq!(error.status(), status, "{error:?}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn internal_errors_hide_their_detail() {
        let error = AppError::internal("password=hunter2 at /var/lib/secret");
        let shown = error.to_string();
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("reference"), "{shown}");
    }

    #[cfg(feature = "ssr")]
    #[tokio::test]
    async fn a_server_function_client_can_read_the_error() {
        use leptos::server_fn::error::FromServerFnError;
        let response = AppError::Unauthenticated.into_server_fn_response();
        assert_eq!(response.status(), 401);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        assert_eq!(AppError::de(body), AppError::Unauthenticated);
    }

    #[cfg(feature = "ssr")]
    #[tokio::test]
    async fn the_response_carries_status_and_sentence() {
        use axum::response::IntoResponse;
        let response = AppError::invalid("The port must be between 1 and 65535.").into_response();
        assert_eq!(response.status(), 422);
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .unwrap();
        let json: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(json["error"], "The port must be between 1 and 65535.");
    }
}
