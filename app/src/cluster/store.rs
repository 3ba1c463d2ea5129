//! The SQL of the cluster area: each service's Swarm settings.

use chrono::Utc;
use sqlx::SqlitePool;

use super::SwarmSettings;
use crate::core::error::AppError;

pub async fn settings(
    pool: &SqlitePool,
    service_id: i64,
) -> Result<Option<SwarmSettings>, AppError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT settings FROM swarm_services WHERE service_id = ?1")
            .bind(service_id)
            .fetch_optional(pool)
            .await
            .map_err(AppError::internal)?;
    text.map(|text| serde_json::from_str(&text).map_err(AppError::internal))
        .transpose()
}

pub async fn save_settings(
    pool: &SqlitePool,
    service_id: i64,
    settings: &SwarmSettings,
) -> Result<(), AppError> {
    let text = serde_json::to_string(settings).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO swarm_services (service_id, settings, updated_at) VALUES (?1, ?2, ?3) \
         ON CONFLICT (service_id) DO UPDATE SET settings = excluded.settings, updated_at = excluded.updated_at",
    )
    .bind(service_id)
    .bind(text)
    .bind(Utc::now().timestamp_millis())
    .execute(pool)
    .await
    .map_err(AppError::internal)?;
    Ok(())
}
