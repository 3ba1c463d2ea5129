//! `GET /audit/export?format=csv|json&actor=&area=&from=&to=`: the whole filtered log.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::AuditFilter;
use crate::core::error::AppError;
use crate::core::state::AppState;

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    format: String,
    #[serde(flatten)]
    filter: AuditFilter,
}

pub async fn export(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let entries = super::service::search(&state.db, &query.filter, None).await?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    match query.format.as_str() {
        "csv" | "" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"caretaker-audit-{stamp}.csv\""),
                ),
            ],
            super::service::to_csv(&entries),
        )
            .into_response()),
        "json" => Ok((
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"caretaker-audit-{stamp}.json\""),
            )],
            axum::Json(entries),
        )
            .into_response()),
        other => Err(AppError::invalid(format!(
            "'{other}' is not an export format; use csv or json."
        ))),
    }
}
