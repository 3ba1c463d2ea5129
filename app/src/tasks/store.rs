//! The SQL of tasks.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{TaskLogLine, TaskSnapshot, TaskStatus};
use crate::core::db::{from_millis, millis};
use crate::core::error::AppError;

const COLUMNS: &str = "id, kind, target, status, fraction, bytes_done, bytes_total, message, result, log, parts, output, created_at, finished_at";

#[derive(sqlx::FromRow)]
struct TaskRow {
    id: String,
    kind: String,
    target: String,
    status: String,
    fraction: Option<f64>,
    bytes_done: Option<i64>,
    bytes_total: Option<i64>,
    message: String,
    result: Option<String>,
    log: String,
    parts: String,
    output: String,
    created_at: i64,
    finished_at: Option<i64>,
}

impl TryFrom<TaskRow> for TaskSnapshot {
    type Error = AppError;

    fn try_from(row: TaskRow) -> Result<Self, AppError> {
        let status = TaskStatus::parse(&row.status).ok_or_else(|| {
            AppError::internal(format_args!(
                "task {} has unknown status {}",
                row.id, row.status
            ))
        })?;
        let log: Vec<TaskLogLine> = serde_json::from_str(&row.log).map_err(|error| {
            AppError::internal(format_args!(
                "task {} has an unreadable log: {error}",
                row.id
            ))
        })?;
        let parts = serde_json::from_str(&row.parts).map_err(|error| {
            AppError::internal(format_args!(
                "task {} has unreadable parts: {error}",
                row.id
            ))
        })?;
        Ok(TaskSnapshot {
            id: row.id,
            kind: row.kind,
            target: row.target,
            status,
            fraction: row.fraction,
            bytes_done: row.bytes_done.map(|n| n.max(0) as u64),
            bytes_total: row.bytes_total.map(|n| n.max(0) as u64),
            message: row.message,
            result: row.result,
            log,
            parts,
            output: row.output,
            created_at: from_millis(row.created_at),
            finished_at: row.finished_at.map(from_millis),
        })
    }
}

pub async fn insert(pool: &SqlitePool, task: &TaskSnapshot) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO tasks (id, kind, target, status, message, log, created_at) VALUES (?, ?, ?, ?, ?, '[]', ?)",
    )
    .bind(&task.id)
    .bind(&task.kind)
    .bind(&task.target)
    .bind(task.status.as_str())
    .bind(&task.message)
    .bind(millis(task.created_at))
    .execute(pool)
    .await?;
    Ok(())
}

/// Writes the changing part of a task (everything but identity and creation time).
pub async fn save_progress(pool: &SqlitePool, task: &TaskSnapshot) -> Result<(), AppError> {
    let log = serde_json::to_string(&task.log).map_err(AppError::internal)?;
    let parts = serde_json::to_string(&task.parts).map_err(AppError::internal)?;
    sqlx::query(
        "UPDATE tasks SET status = ?, fraction = ?, bytes_done = ?, bytes_total = ?, message = ?, result = ?, log = ?, parts = ?, output = ?, finished_at = ? WHERE id = ?",
    )
    .bind(task.status.as_str())
    .bind(task.fraction)
    .bind(task.bytes_done.map(|n| n as i64))
    .bind(task.bytes_total.map(|n| n as i64))
    .bind(&task.message)
    .bind(&task.result)
    .bind(log)
    .bind(parts)
    .bind(&task.output)
    .bind(task.finished_at.map(millis))
    .bind(&task.id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &SqlitePool, id: &str) -> Result<Option<TaskSnapshot>, AppError> {
    let row: Option<TaskRow> = sqlx::query_as(&format!("SELECT {COLUMNS} FROM tasks WHERE id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    row.map(TaskSnapshot::try_from).transpose()
}

/// The newest task of this kind and target, optionally only one with the given status.
pub async fn latest(
    pool: &SqlitePool,
    kind: &str,
    target: &str,
    status: Option<TaskStatus>,
) -> Result<Option<TaskSnapshot>, AppError> {
    let row: Option<TaskRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tasks WHERE kind = ? AND target = ? AND (?3 IS NULL OR status = ?3) \
         ORDER BY created_at DESC, rowid DESC LIMIT 1"
    ))
    .bind(kind)
    .bind(target)
    .bind(status.map(TaskStatus::as_str))
    .fetch_optional(pool)
    .await?;
    row.map(TaskSnapshot::try_from).transpose()
}

/// The newest tasks of a kind, newest first.
pub async fn recent(
    pool: &SqlitePool,
    kind: &str,
    limit: i64,
) -> Result<Vec<TaskSnapshot>, AppError> {
    let rows: Vec<TaskRow> = sqlx::query_as(&format!(
        "SELECT {COLUMNS} FROM tasks WHERE kind = ? ORDER BY created_at DESC, rowid DESC LIMIT ?"
    ))
    .bind(kind)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(TaskSnapshot::try_from).collect()
}

/// Marks every task still `running` in the database as interrupted. Called once at start,
/// before any new task exists, so every such row belongs to a process that is gone.
pub async fn mark_interrupted(pool: &SqlitePool, now: DateTime<Utc>) -> Result<u64, AppError> {
    let done = sqlx::query(
        "UPDATE tasks SET status = 'interrupted', finished_at = ?, \
         message = 'caretaker stopped while this was running; start it again to resume.' \
         WHERE status = 'running'",
    )
    .bind(millis(now))
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}

/// How many tasks are in each status, for `/metrics`.
pub async fn count_by_status(pool: &SqlitePool) -> Result<Vec<(String, i64)>, AppError> {
    Ok(
        sqlx::query_as("SELECT status, count(*) FROM tasks GROUP BY status ORDER BY status")
            .fetch_all(pool)
            .await?,
    )
}
