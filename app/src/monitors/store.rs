//! SQL of the monitors area.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::{Incident, Maintenance, MonitorSpec, MonitorState, Uptime};
use crate::core::db::{begin_immediate, from_millis, millis};
use crate::core::error::AppError;

const HOUR_MS: i64 = 3_600_000;
const DAY_MS: i64 = 24 * HOUR_MS;
/// Hourly rollups are kept this long (24 h and 7 d uptime, the hourly chart); daily ones
/// are kept for good.
const HOURLY_KEEP_DAYS: i64 = 8;

#[derive(Debug, Clone)]
pub struct MonitorRecord {
    pub id: i64,
    pub name: String,
    pub spec: MonitorSpec,
    pub paused: bool,
    pub published: bool,
    pub public_name: String,
    pub state: MonitorState,
    pub state_since: Option<DateTime<Utc>>,
    pub last_check_at: Option<DateTime<Utc>>,
    pub last_ok: Option<bool>,
    pub last_latency_ms: Option<i64>,
    pub last_message: String,
    pub cert_days: Option<i64>,
    pub updated_at: i64,
}

#[derive(sqlx::FromRow)]
struct MonitorRow {
    id: i64,
    name: String,
    spec: String,
    paused: bool,
    published: bool,
    public_name: String,
    state: String,
    state_since: Option<i64>,
    last_check_at: Option<i64>,
    last_ok: Option<bool>,
    last_latency_ms: Option<i64>,
    last_message: String,
    cert_days: Option<i64>,
    updated_at: i64,
}

const MONITOR_COLUMNS: &str =
    "id, name, spec, paused, published, public_name, state, state_since, \
     last_check_at, last_ok, last_latency_ms, last_message, cert_days, updated_at";

impl TryFrom<MonitorRow> for MonitorRecord {
    type Error = AppError;

    fn try_from(row: MonitorRow) -> Result<Self, AppError> {
        let spec = serde_json::from_str(&row.spec).map_err(|error| {
            AppError::internal(format_args!(
                "monitor {} has an unreadable spec: {error}",
                row.id
            ))
        })?;
        Ok(Self {
            id: row.id,
            name: row.name,
            spec,
            paused: row.paused,
            published: row.published,
            public_name: row.public_name,
            state: MonitorState::parse(&row.state),
            state_since: row.state_since.map(from_millis),
            last_check_at: row.last_check_at.map(from_millis),
            last_ok: row.last_ok,
            last_latency_ms: row.last_latency_ms,
            last_message: row.last_message,
            cert_days: row.cert_days,
            updated_at: row.updated_at,
        })
    }
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<MonitorRecord>, AppError> {
    let rows: Vec<MonitorRow> = sqlx::query_as(&format!(
        "SELECT {MONITOR_COLUMNS} FROM monitors ORDER BY name"
    ))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(MonitorRecord::try_from).collect()
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<MonitorRecord>, AppError> {
    let row: Option<MonitorRow> = sqlx::query_as(&format!(
        "SELECT {MONITOR_COLUMNS} FROM monitors WHERE id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(MonitorRecord::try_from).transpose()
}

/// What a monitor form saves.
pub struct Definition<'a> {
    pub name: &'a str,
    pub spec: &'a MonitorSpec,
    pub published: bool,
    pub public_name: &'a str,
}

/// Inserts a monitor; `None` when the name is taken.
pub async fn insert(
    pool: &SqlitePool,
    definition: &Definition<'_>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let spec = serde_json::to_string(definition.spec).map_err(AppError::internal)?;
    let id = sqlx::query_scalar(
        "INSERT INTO monitors (name, spec, published, public_name, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(definition.name)
    .bind(spec)
    .bind(definition.published)
    .bind(definition.public_name)
    .bind(millis(now))
    .bind(millis(now))
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// The heartbeat monitor made for a job with it, if it still exists.
pub async fn of_job(pool: &SqlitePool, job_id: i64) -> Result<Option<MonitorRecord>, AppError> {
    let row: Option<MonitorRow> = sqlx::query_as(&format!(
        "SELECT {MONITOR_COLUMNS} FROM monitors WHERE job_id = ? ORDER BY id LIMIT 1"
    ))
    .bind(job_id)
    .fetch_optional(pool)
    .await?;
    row.map(MonitorRecord::try_from).transpose()
}

/// Inserts a job's own heartbeat monitor; `None` when the name is taken.
pub async fn insert_for_job(
    pool: &SqlitePool,
    definition: &Definition<'_>,
    job_id: i64,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let spec = serde_json::to_string(definition.spec).map_err(AppError::internal)?;
    let id = sqlx::query_scalar(
        "INSERT INTO monitors (name, spec, published, public_name, paused, job_id, created_at, updated_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(definition.name)
    .bind(spec)
    .bind(definition.published)
    .bind(definition.public_name)
    .bind(paused)
    .bind(job_id)
    .bind(millis(now))
    .bind(millis(now))
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// Saves a changed monitor; `false` when another monitor has the name.
pub async fn update(
    pool: &SqlitePool,
    id: i64,
    definition: &Definition<'_>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let spec = serde_json::to_string(definition.spec).map_err(AppError::internal)?;
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM monitors WHERE name = ? AND id != ?")
            .bind(definition.name)
            .bind(id)
            .fetch_optional(pool)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    sqlx::query(
        "UPDATE monitors SET name = ?, spec = ?, published = ?, public_name = ?, updated_at = ? WHERE id = ?",
    )
    .bind(definition.name)
    .bind(spec)
    .bind(definition.published)
    .bind(definition.public_name)
    .bind(millis(now))
    .bind(id)
    .execute(pool)
    .await?;
    Ok(true)
}

pub async fn delete(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("DELETE FROM monitors WHERE id = ? RETURNING name")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn set_paused(
    pool: &SqlitePool,
    id: i64,
    paused: bool,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE monitors SET paused = ?, updated_at = ? WHERE id = ?")
        .bind(paused)
        .bind(millis(now))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// One check's result, as the writer stores it.
#[derive(Debug, Clone)]
pub struct CheckResult {
    pub monitor_id: i64,
    pub at: DateTime<Utc>,
    pub ok: bool,
    pub latency_ms: Option<i64>,
    pub message: String,
    pub cert_days: Option<i64>,
    pub down_after: u32,
    pub up_after: u32,
}

/// A change of state the writer recorded: who to tell about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    pub monitor_id: i64,
    pub monitor: String,
    pub incident_id: i64,
    pub down: bool,
    pub at: DateTime<Utc>,
    pub cause: String,
    pub down_since: DateTime<Utc>,
    /// In a maintenance window (or recovering from an incident that was): nobody is told.
    pub silenced: bool,
}

/// The next state and streaks after a check: down after `down_after` failures in a row,
/// up after `up_after` successes in a row (one, the first time).
pub fn decide(
    state: MonitorState,
    fail_streak: u32,
    ok_streak: u32,
    ok: bool,
    down_after: u32,
    up_after: u32,
) -> (MonitorState, u32, u32) {
    if ok {
        let streak = ok_streak.saturating_add(1);
        let needed = if state == MonitorState::Unknown {
            1
        } else {
            up_after
        };
        let next = if streak >= needed {
            MonitorState::Up
        } else {
            state
        };
        (next, 0, streak)
    } else {
        let streak = fail_streak.saturating_add(1);
        let next = if streak >= down_after {
            MonitorState::Down
        } else {
            state
        };
        (next, streak, 0)
    }
}

/// Stores a batch of results in one transaction: raw rows, rollups, the monitors' state
/// and incidents. Answers the changes of state, for notices.
pub async fn record_batch(
    pool: &SqlitePool,
    batch: &[CheckResult],
) -> Result<Vec<Change>, AppError> {
    let mut tx = begin_immediate(pool).await?;
    let mut changes = Vec::new();
    for result in batch {
        if let Some(change) = record_one(&mut tx, result).await? {
            changes.push(change);
        }
    }
    tx.commit().await?;
    Ok(changes)
}

async fn record_one(
    tx: &mut Transaction<'static, Sqlite>,
    result: &CheckResult,
) -> Result<Option<Change>, AppError> {
    let row: Option<(String, String, i64, i64, Option<i64>)> = sqlx::query_as(
        "SELECT name, state, fail_streak, ok_streak, state_since FROM monitors WHERE id = ?",
    )
    .bind(result.monitor_id)
    .fetch_optional(&mut **tx)
    .await?;
    // Deleted while its check ran.
    let Some((name, state, fail_streak, ok_streak, state_since)) = row else {
        return Ok(None);
    };
    let state = MonitorState::parse(&state);
    let (next, fail_streak, ok_streak) = decide(
        state,
        u32::try_from(fail_streak).unwrap_or(0),
        u32::try_from(ok_streak).unwrap_or(0),
        result.ok,
        result.down_after,
        result.up_after,
    );
    let at = millis(result.at);
    sqlx::query("INSERT INTO monitor_results (monitor_id, at, ok, latency_ms) VALUES (?, ?, ?, ?)")
        .bind(result.monitor_id)
        .bind(at)
        .bind(result.ok)
        .bind(result.latency_ms)
        .execute(&mut **tx)
        .await?;
    for (table, bucket) in [("monitor_hourly", "hour"), ("monitor_daily", "day")] {
        let size = if bucket == "hour" { HOUR_MS } else { DAY_MS };
        sqlx::query(&format!(
            "INSERT INTO {table} (monitor_id, {bucket}, checks, ups, latency_sum, latency_n, latency_max) \
             VALUES (?, ?, 1, ?, ?, ?, ?) ON CONFLICT (monitor_id, {bucket}) DO UPDATE SET \
             checks = checks + 1, ups = ups + excluded.ups, latency_sum = latency_sum + excluded.latency_sum, \
             latency_n = latency_n + excluded.latency_n, latency_max = max(latency_max, excluded.latency_max)"
        ))
        .bind(result.monitor_id)
        .bind(at - at.rem_euclid(size))
        .bind(i64::from(result.ok))
        .bind(result.latency_ms.unwrap_or(0))
        .bind(i64::from(result.latency_ms.is_some()))
        .bind(result.latency_ms.unwrap_or(0))
        .execute(&mut **tx)
        .await?;
    }
    let changed = next != state;
    sqlx::query(
        "UPDATE monitors SET state = ?, fail_streak = ?, ok_streak = ?, state_since = ?, last_check_at = ?, \
         last_ok = ?, last_latency_ms = ?, last_message = ?, cert_days = coalesce(?, cert_days) WHERE id = ?",
    )
    .bind(next.as_str())
    .bind(i64::from(fail_streak))
    .bind(i64::from(ok_streak))
    .bind(if changed { Some(at) } else { state_since })
    .bind(at)
    .bind(result.ok)
    .bind(result.latency_ms)
    .bind(&result.message)
    .bind(result.cert_days)
    .bind(result.monitor_id)
    .execute(&mut **tx)
    .await?;
    if !changed || next == MonitorState::Unknown {
        return Ok(None);
    }
    let in_maintenance: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM maintenance_windows WHERE starts_at <= ?1 AND ends_at > ?1 \
         AND (monitor_id IS NULL OR monitor_id = ?2))",
    )
    .bind(at)
    .bind(result.monitor_id)
    .fetch_one(&mut **tx)
    .await?;
    if next == MonitorState::Down {
        let incident_id: i64 = sqlx::query_scalar(
            "INSERT INTO monitor_incidents (monitor_id, started_at, cause, silenced) VALUES (?, ?, ?, ?) RETURNING id",
        )
        .bind(result.monitor_id)
        .bind(at)
        .bind(&result.message)
        .bind(in_maintenance)
        .fetch_one(&mut **tx)
        .await?;
        return Ok(Some(Change {
            monitor_id: result.monitor_id,
            monitor: name,
            incident_id,
            down: true,
            at: result.at,
            cause: result.message.clone(),
            down_since: result.at,
            silenced: in_maintenance,
        }));
    }
    // Up: from unknown there is nothing to recover from.
    let closed: Option<(i64, i64, bool, String)> = sqlx::query_as(
        "UPDATE monitor_incidents SET ended_at = ? WHERE monitor_id = ? AND ended_at IS NULL \
         RETURNING id, started_at, silenced, cause",
    )
    .bind(at)
    .bind(result.monitor_id)
    .fetch_optional(&mut **tx)
    .await?;
    Ok(
        closed.map(|(incident_id, started_at, silenced, cause)| Change {
            monitor_id: result.monitor_id,
            monitor: name,
            incident_id,
            down: false,
            at: result.at,
            cause,
            down_since: from_millis(started_at),
            // A recovery is announced exactly when its outage was, maintenance or not.
            silenced,
        }),
    )
}

/// Drops raw results and hourly rollups older than they are kept.
pub async fn prune(pool: &SqlitePool, now: DateTime<Utc>) -> Result<(), AppError> {
    let raw_before = millis(now - chrono::Duration::hours(super::RAW_KEEP_HOURS));
    sqlx::query("DELETE FROM monitor_results WHERE at < ?")
        .bind(raw_before)
        .execute(pool)
        .await?;
    let hourly_before = millis(now - chrono::Duration::days(HOURLY_KEEP_DAYS));
    sqlx::query("DELETE FROM monitor_hourly WHERE hour < ?")
        .bind(hourly_before)
        .execute(pool)
        .await?;
    Ok(())
}

/// Bucket starts for the uptime windows at `now`: (24 h and 7 d of hours, 30 d and 90 d
/// of days). A window counts whole buckets after its start.
fn window_starts(now: DateTime<Utc>) -> [i64; 4] {
    let now = millis(now);
    let hour_now = now - now.rem_euclid(HOUR_MS);
    let day_now = now - now.rem_euclid(DAY_MS);
    [
        hour_now - 24 * HOUR_MS,
        hour_now - 7 * DAY_MS,
        day_now - 30 * DAY_MS,
        day_now - 90 * DAY_MS,
    ]
}

fn share(checks: i64, ups: i64) -> Option<f64> {
    (checks > 0).then(|| ups as f64 / checks as f64)
}

/// The four uptimes of the given monitors (a page of the list, or the published ones):
/// for each, at most its last 168 hourly and 90 daily rollup rows, read by key in two
/// grouped statements.
pub async fn uptimes(
    pool: &SqlitePool,
    ids: &[i64],
    now: DateTime<Utc>,
) -> Result<HashMap<i64, Uptime>, AppError> {
    let mut uptimes: HashMap<i64, Uptime> = HashMap::new();
    if ids.is_empty() {
        return Ok(uptimes);
    }
    let [day, week, month, quarter] = window_starts(now);
    // Numbered like ?1 and ?2: sqlx counts unnumbered `?` from the first argument.
    let marks = (3..ids.len() + 3)
        .map(|n| format!("?{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    for (table, bucket, short, long) in [
        ("monitor_hourly", "hour", day, week),
        ("monitor_daily", "day", month, quarter),
    ] {
        let sql = format!(
            "SELECT monitor_id, coalesce(sum(CASE WHEN {bucket} > ?1 THEN checks END), 0), \
             coalesce(sum(CASE WHEN {bucket} > ?1 THEN ups END), 0), sum(checks), sum(ups) \
             FROM {table} WHERE {bucket} > ?2 AND monitor_id IN ({marks}) GROUP BY monitor_id"
        );
        let mut query = sqlx::query_as::<_, (i64, i64, i64, i64, i64)>(&sql)
            .bind(short)
            .bind(long);
        for id in ids {
            query = query.bind(id);
        }
        for (id, short_checks, short_ups, long_checks, long_ups) in query.fetch_all(pool).await? {
            let uptime = uptimes.entry(id).or_default();
            if bucket == "hour" {
                uptime.day = share(short_checks, short_ups);
                uptime.week = share(long_checks, long_ups);
            } else {
                uptime.month = share(short_checks, short_ups);
                uptime.quarter = share(long_checks, long_ups);
            }
        }
    }
    Ok(uptimes)
}

/// All four uptimes of one monitor.
pub async fn uptime_of(pool: &SqlitePool, id: i64, now: DateTime<Utc>) -> Result<Uptime, AppError> {
    Ok(uptimes(pool, &[id], now)
        .await?
        .remove(&id)
        .unwrap_or_default())
}

/// Raw results since a time: (at, ok, latency).
pub async fn results(
    pool: &SqlitePool,
    id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, bool, Option<i64>)>, AppError> {
    let rows: Vec<(i64, bool, Option<i64>)> = sqlx::query_as(
        "SELECT at, ok, latency_ms FROM monitor_results WHERE monitor_id = ? AND at >= ? ORDER BY at",
    )
    .bind(id)
    .bind(millis(since))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(at, ok, latency)| (from_millis(at), ok, latency))
        .collect())
}

/// Daily rollups since a time: (day, checks, ups).
pub async fn days(
    pool: &SqlitePool,
    id: i64,
    since: DateTime<Utc>,
) -> Result<Vec<(DateTime<Utc>, i64, i64)>, AppError> {
    let rows: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT day, checks, ups FROM monitor_daily WHERE monitor_id = ? AND day >= ? ORDER BY day",
    )
    .bind(id)
    .bind(millis(since))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(day, checks, ups)| (from_millis(day), checks, ups))
        .collect())
}

#[derive(sqlx::FromRow)]
struct IncidentRow {
    id: i64,
    monitor_id: i64,
    monitor: String,
    started_at: i64,
    ended_at: Option<i64>,
    cause: String,
    silenced: bool,
}

impl From<IncidentRow> for Incident {
    fn from(row: IncidentRow) -> Self {
        Self {
            id: row.id,
            monitor_id: row.monitor_id,
            monitor: row.monitor,
            started_at: from_millis(row.started_at),
            ended_at: row.ended_at.map(from_millis),
            cause: row.cause,
            silenced: row.silenced,
        }
    }
}

/// Incidents, newest first: of one monitor, or the open ones of all.
pub async fn incidents(
    pool: &SqlitePool,
    monitor: Option<i64>,
    limit: i64,
) -> Result<Vec<Incident>, AppError> {
    // Two statements rather than one with `?1 IS NULL OR …`, so each can use its index.
    const SELECT: &str = "SELECT i.id, i.monitor_id, m.name AS monitor, i.started_at, i.ended_at, \
         i.cause, i.silenced FROM monitor_incidents i JOIN monitors m ON m.id = i.monitor_id";
    let rows: Vec<IncidentRow> = match monitor {
        Some(monitor) => {
            sqlx::query_as(&format!(
                "{SELECT} WHERE i.monitor_id = ? ORDER BY i.started_at DESC LIMIT ?"
            ))
            .bind(monitor)
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
        None => {
            sqlx::query_as(&format!(
                "{SELECT} WHERE i.ended_at IS NULL ORDER BY i.started_at DESC LIMIT ?"
            ))
            .bind(limit)
            .fetch_all(pool)
            .await?
        }
    };
    Ok(rows.into_iter().map(Incident::from).collect())
}

/// Channels: (id, name, summary).
pub async fn channels(pool: &SqlitePool) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name, summary FROM notification_channels ORDER BY name")
            .fetch_all(pool)
            .await?,
    )
}

/// Channels with their sealed configuration: (id, name, sealed).
pub async fn sealed_channels(pool: &SqlitePool) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(
        sqlx::query_as("SELECT id, name, sealed FROM notification_channels ORDER BY id")
            .fetch_all(pool)
            .await?,
    )
}

pub async fn insert_channel(
    pool: &SqlitePool,
    name: &str,
    sealed: &str,
    summary: &str,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO notification_channels (name, sealed, summary, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(sealed)
    .bind(summary)
    .bind(millis(now))
    .fetch_optional(pool)
    .await?)
}

pub async fn delete_channel(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("DELETE FROM notification_channels WHERE id = ? RETURNING name")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

/// Claims the one notice of a change for a channel; `false` when it was claimed before.
pub async fn claim_notice(
    pool: &SqlitePool,
    incident_id: i64,
    channel_id: i64,
    down: bool,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "INSERT INTO monitor_notices (incident_id, channel_id, change) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(incident_id)
    .bind(channel_id)
    .bind(if down { "down" } else { "up" })
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn finish_notice(
    pool: &SqlitePool,
    incident_id: i64,
    channel_id: i64,
    down: bool,
    error: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE monitor_notices SET sent_at = ?, error = ? WHERE incident_id = ? AND channel_id = ? AND change = ?",
    )
    .bind(millis(now))
    .bind(error)
    .bind(incident_id)
    .bind(channel_id)
    .bind(if down { "down" } else { "up" })
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn insert_maintenance(
    pool: &SqlitePool,
    monitor: Option<i64>,
    starts: DateTime<Utc>,
    ends: DateTime<Utc>,
    note: &str,
) -> Result<i64, AppError> {
    Ok(sqlx::query_scalar(
        "INSERT INTO maintenance_windows (monitor_id, starts_at, ends_at, note) VALUES (?, ?, ?, ?) RETURNING id",
    )
    .bind(monitor)
    .bind(millis(starts))
    .bind(millis(ends))
    .bind(note)
    .fetch_one(pool)
    .await?)
}

/// Windows that have not ended.
pub async fn maintenance(
    pool: &SqlitePool,
    now: DateTime<Utc>,
) -> Result<Vec<Maintenance>, AppError> {
    let rows: Vec<MaintenanceRow> = sqlx::query_as(
        "SELECT w.id, w.monitor_id, m.name AS monitor, w.starts_at, w.ends_at, w.note FROM maintenance_windows w \
         LEFT JOIN monitors m ON m.id = w.monitor_id WHERE w.ends_at > ? ORDER BY w.starts_at",
    )
    .bind(millis(now))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| Maintenance {
            id: row.id,
            monitor_id: row.monitor_id,
            monitor: row.monitor,
            starts_at: from_millis(row.starts_at),
            ends_at: from_millis(row.ends_at),
            note: row.note,
        })
        .collect())
}

#[derive(sqlx::FromRow)]
struct MaintenanceRow {
    id: i64,
    monitor_id: Option<i64>,
    monitor: Option<String>,
    starts_at: i64,
    ends_at: i64,
    note: String,
}

pub async fn delete_maintenance(pool: &SqlitePool, id: i64) -> Result<bool, AppError> {
    let done = sqlx::query("DELETE FROM maintenance_windows WHERE id = ?")
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_changes_only_after_the_thresholds() {
        use MonitorState::*;
        assert_eq!(decide(Unknown, 0, 0, true, 3, 2), (Up, 0, 1));
        assert_eq!(decide(Up, 0, 5, false, 3, 2), (Up, 1, 0));
        assert_eq!(decide(Up, 1, 0, false, 3, 2), (Up, 2, 0));
        assert_eq!(decide(Up, 2, 0, false, 3, 2), (Down, 3, 0));
        assert_eq!(decide(Down, 3, 0, true, 3, 2), (Down, 0, 1));
        assert_eq!(decide(Down, 0, 1, false, 3, 2), (Down, 1, 0));
        assert_eq!(decide(Down, 0, 1, true, 3, 2), (Up, 0, 2));
    }
}
