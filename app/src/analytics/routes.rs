//! `GET /analytics/export?day=YYYY-MM-DD&format=json|csv&source=ID`: a day's requests per
//! route as a download, the same as `caretaker logs export`.

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use crate::core::error::AppError;
use crate::core::state::AppState;

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    day: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    source: String,
}

pub async fn export(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
) -> Result<Response, AppError> {
    let day = chrono::NaiveDate::parse_from_str(query.day.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!(
            "Day: “{}” is not a day; write it as YYYY-MM-DD.",
            query.day
        ))
    })?;
    let source = match query.source.trim() {
        "" => None,
        id => Some(
            super::service::source(
                &state,
                id.parse()
                    .map_err(|_| AppError::invalid("Source: not a source's number."))?,
            )
            .await?,
        ),
    };
    let counts = super::service::export_day(&state, day, source.as_ref()).await?;
    let name = format!("requests-{day}");
    match query.format.as_str() {
        "json" | "" => Ok((
            [(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}.json\""),
            )],
            axum::Json(counts),
        )
            .into_response()),
        "csv" => Ok((
            [
                (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{name}.csv\""),
                ),
            ],
            super::service::to_csv(&counts),
        )
            .into_response()),
        other => Err(AppError::invalid(format!(
            "Format: “{other}” is not an export format; use json or csv."
        ))),
    }
}
