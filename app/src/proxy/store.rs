//! The SQL of routes, the proxy settings and the last apply.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{ApplyRecord, ProxySettings, Route, RouteTarget};
use crate::core::db::{from_millis, millis};
use crate::core::error::AppError;

#[derive(sqlx::FromRow)]
struct RouteRow {
    id: i64,
    host: String,
    path: String,
    target: String,
    cert_file: String,
    key_file: String,
}

impl TryFrom<RouteRow> for Route {
    type Error = AppError;

    fn try_from(row: RouteRow) -> Result<Self, AppError> {
        let target = serde_json::from_str(&row.target).map_err(|error| {
            AppError::internal(format_args!(
                "route {} has an unreadable target: {error}",
                row.id
            ))
        })?;
        Ok(Route {
            id: row.id,
            host: row.host,
            path: row.path,
            target,
            cert_file: row.cert_file,
            key_file: row.key_file,
        })
    }
}

const ROUTE_COLUMNS: &str = "id, host, path, target, cert_file, key_file";

#[tracing::instrument(skip_all)]
pub async fn routes(pool: &SqlitePool) -> Result<Vec<Route>, AppError> {
    let rows: Vec<RouteRow> = sqlx::query_as(&format!(
        "SELECT {ROUTE_COLUMNS} FROM proxy_routes ORDER BY host, path"
    ))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(Route::try_from).collect()
}

pub async fn route(pool: &SqlitePool, id: i64) -> Result<Option<Route>, AppError> {
    let row: Option<RouteRow> = sqlx::query_as(&format!(
        "SELECT {ROUTE_COLUMNS} FROM proxy_routes WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(Route::try_from).transpose()
}

/// The fields a route form saves.
pub struct NewRoute<'a> {
    pub host: &'a str,
    pub path: &'a str,
    pub target: &'a RouteTarget,
    pub cert_file: &'a str,
    pub key_file: &'a str,
}

/// Adds a route; `None` when the public name is taken.
#[tracing::instrument(skip_all, fields(host = route.host, path = route.path))]
pub async fn insert(
    pool: &SqlitePool,
    route: &NewRoute<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let target = serde_json::to_string(route.target).map_err(AppError::internal)?;
    let id = sqlx::query_scalar(
        "INSERT INTO proxy_routes (host, path, target, cert_file, key_file, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (host, path) DO NOTHING RETURNING id",
    )
    .bind(route.host)
    .bind(route.path)
    .bind(target)
    .bind(route.cert_file)
    .bind(route.key_file)
    .bind(millis(now))
    .bind(millis(now))
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// Changes a route. Answers `None` when the route is gone, `Some(false)` when another
/// route has that public name.
#[tracing::instrument(skip_all, fields(id))]
pub async fn update(
    pool: &SqlitePool,
    id: i64,
    route: &NewRoute<'_>,
    now: DateTime<Utc>,
) -> Result<Option<bool>, AppError> {
    let target = serde_json::to_string(route.target).map_err(AppError::internal)?;
    let mut tx = crate::core::db::begin_immediate(pool).await?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM proxy_routes WHERE host = ? AND path = ? AND id <> ?")
            .bind(route.host)
            .bind(route.path)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
    if taken.is_some() {
        return Ok(Some(false));
    }
    let done = sqlx::query(
        "UPDATE proxy_routes SET host = ?, path = ?, target = ?, cert_file = ?, key_file = ?, \
         updated_at = ? WHERE id = ?",
    )
    .bind(route.host)
    .bind(route.path)
    .bind(target)
    .bind(route.cert_file)
    .bind(route.key_file)
    .bind(millis(now))
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok((done.rows_affected() == 1).then_some(true))
}

/// Removes a route; answers its public name, `None` when it was gone.
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    let name: Option<(String, String)> =
        sqlx::query_as("DELETE FROM proxy_routes WHERE id = ? RETURNING host, path")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    Ok(name.map(|(host, path)| format!("{host}{path}")))
}

pub async fn settings(pool: &SqlitePool) -> Result<Option<ProxySettings>, AppError> {
    let text: Option<String> =
        sqlx::query_scalar("SELECT settings FROM proxy_settings WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    text.map(|text| {
        serde_json::from_str(&text).map_err(|error| {
            AppError::internal(format_args!("the proxy settings are unreadable: {error}"))
        })
    })
    .transpose()
}

pub async fn save_settings(pool: &SqlitePool, settings: &ProxySettings) -> Result<(), AppError> {
    let text = serde_json::to_string(settings).map_err(AppError::internal)?;
    sqlx::query(
        "INSERT INTO proxy_settings (id, settings) VALUES (1, ?) \
         ON CONFLICT (id) DO UPDATE SET settings = excluded.settings",
    )
    .bind(text)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn last_apply(pool: &SqlitePool) -> Result<Option<ApplyRecord>, AppError> {
    let row: Option<(i64, String, bool, String)> =
        sqlx::query_as("SELECT at, actor, ok, message FROM proxy_last_apply WHERE id = 1")
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(at, actor, ok, message)| ApplyRecord {
        at: from_millis(at),
        actor,
        ok,
        message,
    }))
}

pub async fn set_last_apply(pool: &SqlitePool, record: &ApplyRecord) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO proxy_last_apply (id, at, actor, ok, message) VALUES (1, ?, ?, ?, ?) \
         ON CONFLICT (id) DO UPDATE SET at = excluded.at, actor = excluded.actor, \
         ok = excluded.ok, message = excluded.message",
    )
    .bind(millis(record.at))
    .bind(&record.actor)
    .bind(record.ok)
    .bind(&record.message)
    .execute(pool)
    .await?;
    Ok(())
}
