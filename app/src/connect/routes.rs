//! `GET /connect/proxy.pac`: the proxy auto-config file for the saved settings. Logged-in
//! users download it and point the browser at the saved file (the browser reads a PAC
//! file before it can reach caretaker through the tunnel, so a file:// address is used).

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::core::error::AppError;
use crate::core::state::AppState;

pub async fn proxy_pac(State(state): State<AppState>) -> Result<Response, AppError> {
    let settings = super::service::settings(&state).await?.ok_or_else(|| {
        AppError::not_found(
            "No proxy settings yet: an admin fills in the form on the Connect page first.",
        )
    })?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/x-ns-proxy-autoconfig".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"caretaker.pac\"".to_owned(),
            ),
        ],
        settings.pac_file(),
    )
        .into_response())
}
