//! The SQL of jobs and their runs.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::{JobSpec, RunRecord, RunStatus};
use crate::core::error::AppError;

use crate::core::db::{from_millis, millis};

/// A job as stored.
#[derive(Debug, Clone)]
pub struct JobRecord {
    pub id: i64,
    pub spec: JobSpec,
    pub paused: bool,
    pub next_run_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct JobRow {
    id: i64,
    spec: String,
    paused: bool,
    next_run_at: Option<i64>,
}

impl TryFrom<JobRow> for JobRecord {
    type Error = AppError;

    fn try_from(row: JobRow) -> Result<Self, AppError> {
        let spec = serde_json::from_str(&row.spec).map_err(|error| {
            AppError::internal(format_args!(
                "job {} has an unreadable definition: {error}",
                row.id
            ))
        })?;
        Ok(JobRecord {
            id: row.id,
            spec,
            paused: row.paused,
            next_run_at: row.next_run_at.map(from_millis),
        })
    }
}

const JOB_COLUMNS: &str = "id, spec, paused, next_run_at";

/// Every job; a row that cannot be read is logged and left out, so one bad row does not
/// stop the others.
pub async fn list(pool: &SqlitePool) -> Result<Vec<JobRecord>, AppError> {
    let rows: Vec<JobRow> =
        sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs ORDER BY name"))
            .fetch_all(pool)
            .await?;
    Ok(rows
        .into_iter()
        .filter_map(|row| JobRecord::try_from(row).ok())
        .collect())
}

/// Takes a due run for the scheduler: moves the job's next run from `due` to `next`, only
/// if nobody changed the job meanwhile (an edit, a pause, another tick). Answers whether
/// this caller got it.
pub async fn claim_due(
    pool: &SqlitePool,
    id: i64,
    due: DateTime<Utc>,
    next: Option<DateTime<Utc>>,
) -> Result<bool, AppError> {
    let done = sqlx::query(
        "UPDATE jobs SET next_run_at = ? WHERE id = ? AND next_run_at = ? AND paused = 0",
    )
    .bind(next.map(millis))
    .bind(id)
    .bind(millis(due))
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Keeps the newest `keep` runs of a job.
pub async fn trim_runs(pool: &SqlitePool, job_id: i64, keep: i64) -> Result<(), AppError> {
    sqlx::query(
        "DELETE FROM job_runs WHERE job_id = ?1 AND id NOT IN \
         (SELECT id FROM job_runs WHERE job_id = ?1 ORDER BY id DESC LIMIT ?2)",
    )
    .bind(job_id)
    .bind(keep)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<JobRecord>, AppError> {
    let row: Option<JobRow> =
        sqlx::query_as(&format!("SELECT {JOB_COLUMNS} FROM jobs WHERE id = ?"))
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(JobRecord::try_from).transpose()
}

/// Adds a job; `None` when the name is taken.
pub async fn insert(
    pool: &SqlitePool,
    spec: &JobSpec,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let spec_json = serde_json::to_string(spec).map_err(AppError::internal)?;
    let id = sqlx::query_scalar(
        "INSERT INTO jobs (name, spec, next_run_at, created_at, updated_at) VALUES (?, ?, ?, ?, ?) \
         ON CONFLICT (name) DO NOTHING RETURNING id",
    )
    .bind(&spec.name)
    .bind(spec_json)
    .bind(next_run_at.map(millis))
    .bind(millis(now))
    .bind(millis(now))
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// Changes a job's definition; `Ok(false)` when the new name belongs to another job.
pub async fn update(
    pool: &SqlitePool,
    id: i64,
    spec: &JobSpec,
    next_run_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let spec_json = serde_json::to_string(spec).map_err(AppError::internal)?;
    let done = sqlx::query(
        "UPDATE jobs SET name = ?, spec = ?, next_run_at = ?, updated_at = ? WHERE id = ? \
         AND NOT EXISTS (SELECT 1 FROM jobs WHERE name = ? AND id != ?)",
    )
    .bind(&spec.name)
    .bind(spec_json)
    .bind(next_run_at.map(millis))
    .bind(millis(now))
    .bind(id)
    .bind(&spec.name)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn delete(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    let name = sqlx::query_scalar("DELETE FROM jobs WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(name)
}

pub async fn set_paused(pool: &SqlitePool, id: i64, paused: bool) -> Result<bool, AppError> {
    let done = sqlx::query("UPDATE jobs SET paused = ? WHERE id = ?")
        .bind(paused)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

pub async fn set_next_run(
    pool: &SqlitePool,
    id: i64,
    next_run_at: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    sqlx::query("UPDATE jobs SET next_run_at = ? WHERE id = ?")
        .bind(next_run_at.map(millis))
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    trigger: String,
    scheduled_for: Option<i64>,
    started_at: i64,
    finished_at: Option<i64>,
    status: String,
    attempts: i64,
    exit_code: Option<i64>,
    http_status: Option<i64>,
    output: String,
    message: String,
}

impl TryFrom<RunRow> for RunRecord {
    type Error = AppError;

    fn try_from(row: RunRow) -> Result<Self, AppError> {
        let status = RunStatus::parse(&row.status).ok_or_else(|| {
            AppError::internal(format_args!(
                "run {} has unknown status {}",
                row.id, row.status
            ))
        })?;
        Ok(RunRecord {
            id: row.id,
            trigger: row.trigger,
            scheduled_for: row.scheduled_for.map(from_millis),
            started_at: from_millis(row.started_at),
            finished_at: row.finished_at.map(from_millis),
            status,
            attempts: row.attempts.max(0) as u32,
            exit_code: row.exit_code,
            http_status: row
                .http_status
                .and_then(|status| u16::try_from(status).ok()),
            output: row.output,
            message: row.message,
        })
    }
}

const RUN_COLUMNS: &str = "id, trigger, scheduled_for, started_at, finished_at, status, attempts, exit_code, http_status, output, message";

/// Records the start of a run (or a run that is skipped, finished at once).
pub async fn insert_run(
    pool: &SqlitePool,
    job_id: i64,
    trigger: &str,
    scheduled_for: Option<DateTime<Utc>>,
    status: RunStatus,
    message: &str,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    let finished = (status != RunStatus::Running).then_some(millis(now));
    let id = sqlx::query_scalar(
        "INSERT INTO job_runs (job_id, trigger, scheduled_for, started_at, finished_at, status, message) \
         VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(job_id)
    .bind(trigger)
    .bind(scheduled_for.map(millis))
    .bind(millis(now))
    .bind(finished)
    .bind(status.as_str())
    .bind(message)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// How a finished run went.
pub struct RunEnd<'a> {
    pub status: RunStatus,
    pub attempts: u32,
    pub exit_code: Option<i64>,
    pub http_status: Option<u16>,
    pub output: &'a str,
    pub message: &'a str,
}

pub async fn finish_run(
    pool: &SqlitePool,
    run_id: i64,
    end: &RunEnd<'_>,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE job_runs SET finished_at = ?, status = ?, attempts = ?, exit_code = ?, http_status = ?, \
         output = ?, message = ? WHERE id = ?",
    )
    .bind(millis(now))
    .bind(end.status.as_str())
    .bind(end.attempts as i64)
    .bind(end.exit_code)
    .bind(end.http_status.map(i64::from))
    .bind(end.output)
    .bind(end.message)
    .bind(run_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn runs(pool: &SqlitePool, job_id: i64, limit: i64) -> Result<Vec<RunRecord>, AppError> {
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM job_runs WHERE job_id = ? ORDER BY started_at DESC, id DESC LIMIT ?"
    ))
    .bind(job_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(RunRecord::try_from).collect()
}

/// The newest run of every job that has one, in one query (the jobs list shows it).
pub async fn last_runs(
    pool: &SqlitePool,
) -> Result<std::collections::HashMap<i64, RunRecord>, AppError> {
    let rows: Vec<(i64, RunRow)> = sqlx::query_as::<_, RunRowWithJob>(&format!(
        "SELECT job_id, {RUN_COLUMNS} FROM job_runs r WHERE id = \
         (SELECT id FROM job_runs WHERE job_id = r.job_id ORDER BY started_at DESC, id DESC LIMIT 1)"
    ))
    .fetch_all(pool)
    .await?
    .into_iter()
    .map(|row| (row.job_id, row.run))
    .collect();
    rows.into_iter()
        .map(|(job, row)| Ok((job, RunRecord::try_from(row)?)))
        .collect()
}

#[derive(sqlx::FromRow)]
struct RunRowWithJob {
    job_id: i64,
    #[sqlx(flatten)]
    run: RunRow,
}

/// Runs left `running` by a process that is gone: marked interrupted. Called once at start;
/// answers the job, trigger and due time of each.
pub async fn mark_interrupted(
    pool: &SqlitePool,
    now: DateTime<Utc>,
) -> Result<Vec<(i64, String, Option<DateTime<Utc>>)>, AppError> {
    let rows: Vec<(i64, String, Option<i64>)> = sqlx::query_as(
        "UPDATE job_runs SET status = 'interrupted', \
         message = ? WHERE status = 'running' RETURNING job_id, trigger, scheduled_for",
    )
    .bind(format!(
        "caretaker stopped while this run was going; noticed when it started again at {}.",
        crate::ui::format::local_time(now)
    ))
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(job, trigger, due)| (job, trigger, due.map(from_millis)))
        .collect())
}
