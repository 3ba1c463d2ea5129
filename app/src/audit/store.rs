//! The SQL of the audit log.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use sqlx::SqlitePool;

use super::{AuditEntry, AuditFilter, Outcome};
use crate::core::error::AppError;

pub struct NewEntry<'a> {
    pub at: DateTime<Utc>,
    pub user_id: Option<i64>,
    pub actor: &'a str,
    pub address: &'a str,
    pub area: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub outcome: Outcome,
    pub detail: &'a str,
}

pub async fn insert(pool: &SqlitePool, entry: NewEntry<'_>) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO audit_log (at, user_id, actor, address, area, action, target, result, detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.at.timestamp_millis())
    .bind(entry.user_id)
    .bind(entry.actor)
    .bind(entry.address)
    .bind(entry.area)
    .bind(entry.action)
    .bind(entry.target)
    .bind(entry.outcome.as_str())
    .bind(entry.detail)
    .execute(pool)
    .await?;
    Ok(())
}

fn day_start(day: &str) -> Result<Option<i64>, AppError> {
    if day.trim().is_empty() {
        return Ok(None);
    }
    let date = NaiveDate::parse_from_str(day.trim(), "%Y-%m-%d").map_err(|_| {
        AppError::invalid(format!("'{day}' is not a date; use the form 2026-11-22."))
    })?;
    let start = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default());
    Ok(Some(start.timestamp_millis()))
}

/// Entries matching the filter, newest first; `limit` of `None` means all.
pub async fn search(
    pool: &SqlitePool,
    filter: &AuditFilter,
    limit: Option<i64>,
) -> Result<Vec<AuditEntry>, AppError> {
    let from = day_start(&filter.from)?;
    // "to" is inclusive: entries before the start of the next day.
    let to = day_start(&filter.to)?.map(|start| start + 86_400_000);
    let actor = filter.actor.trim();
    let area = filter.area.trim();
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        i64,
        i64,
        String,
        String,
        String,
        String,
        String,
        String,
        String,
    )> = sqlx::query_as(
        "SELECT id, at, actor, address, area, action, target, result, detail FROM audit_log \
         WHERE (?1 = '' OR actor = ?1) AND (?2 = '' OR area = ?2) \
           AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4) \
         ORDER BY at DESC, id DESC LIMIT ?5",
    )
    .bind(actor)
    .bind(area)
    .bind(from)
    .bind(to)
    .bind(limit.unwrap_or(-1))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(
            |(id, at, actor, address, area, action, target, result, detail)| AuditEntry {
                id,
                at: Utc.timestamp_millis_opt(at).single().unwrap_or_default(),
                actor,
                address,
                area,
                action,
                target,
                outcome: Outcome::parse(&result).unwrap_or(Outcome::Failed),
                detail,
            },
        )
        .collect())
}

/// The actors and areas present, for the filter menus.
pub async fn facets(pool: &SqlitePool) -> Result<(Vec<String>, Vec<String>), AppError> {
    let actors = sqlx::query_scalar("SELECT DISTINCT actor FROM audit_log ORDER BY actor")
        .fetch_all(pool)
        .await?;
    let areas = sqlx::query_scalar("SELECT DISTINCT area FROM audit_log ORDER BY area")
        .fetch_all(pool)
        .await?;
    Ok((actors, areas))
}
