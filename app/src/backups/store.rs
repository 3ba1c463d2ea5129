//! The SQL of the backups area.

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::SqlitePool;

use super::{BackupRun, BackupStatus, ContainerRef, DataClass, PlanSpec, Retention, Work};
use crate::core::db::{begin_immediate, from_millis, millis};
use crate::core::error::AppError;

/// A list column as stored.
fn to_json(value: &impl Serialize) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "[]".to_owned())
}

/// A repository as stored: the password as a file path or a sealed secret.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RepositoryRow {
    pub id: i64,
    pub name: String,
    pub location: String,
    pub password_file: Option<String>,
    pub sealed_password: Option<String>,
    pub offsite: bool,
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<RepositoryRow>, AppError> {
    let rows = sqlx::query_as(
        "SELECT id, name, location, password_file, sealed_password, offsite FROM backup_repositories ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}

/// Where a new repository's password comes from.
pub enum StoredPassword<'a> {
    File(&'a str),
    Sealed(&'a str),
}

/// Adds a repository; `None` when its name or location is taken.
pub async fn insert(
    pool: &SqlitePool,
    name: &str,
    location: &str,
    password: StoredPassword<'_>,
    offsite: bool,
) -> Result<Option<i64>, AppError> {
    let (file, sealed) = match password {
        StoredPassword::File(path) => (Some(path), None),
        StoredPassword::Sealed(sealed) => (None, Some(sealed)),
    };
    let id = sqlx::query_scalar(
        "INSERT INTO backup_repositories (name, location, password_file, sealed_password, offsite, created_at) \
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(location)
    .bind(file)
    .bind(sealed)
    .bind(offsite)
    .bind(Utc::now().timestamp_millis())
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

pub async fn delete(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    let name = sqlx::query_scalar("DELETE FROM backup_repositories WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(name)
}

/// A plan as stored, with its id.
#[derive(Debug, Clone)]
pub struct PlanRecord {
    pub id: i64,
    pub spec: PlanSpec,
}

#[derive(sqlx::FromRow)]
struct PlanRow {
    id: i64,
    name: String,
    data_class: String,
    sources: String,
    excludes: String,
    tags: String,
    stop_containers: String,
    keep_last: Option<i64>,
    keep_daily: Option<i64>,
    keep_weekly: Option<i64>,
    keep_monthly: Option<i64>,
    check_subset: String,
    repositories: String,
}

const PLAN_COLUMNS: &str = "p.id, p.name, p.data_class, p.sources, p.excludes, p.tags, p.stop_containers, \
     p.keep_last, p.keep_daily, p.keep_weekly, p.keep_monthly, p.check_subset, \
     COALESCE((SELECT json_group_array(repository_id) FROM backup_plan_repositories r WHERE r.plan_id = p.id), '[]') AS repositories";

impl PlanRow {
    fn into_record(self) -> Result<PlanRecord, AppError> {
        let json = |what: &str, text: &str| -> Result<serde_json::Value, AppError> {
            serde_json::from_str(text).map_err(|error| {
                AppError::internal(format_args!("plan {} {what}: {error}", self.id))
            })
        };
        let keep = |value: Option<i64>| value.and_then(|value| u32::try_from(value).ok());
        let spec = PlanSpec {
            name: self.name.clone(),
            data_class: DataClass::parse(&self.data_class).unwrap_or(DataClass::Application),
            sources: serde_json::from_value(json("sources", &self.sources)?)
                .map_err(AppError::internal)?,
            excludes: serde_json::from_value(json("excludes", &self.excludes)?)
                .map_err(AppError::internal)?,
            tags: serde_json::from_value(json("tags", &self.tags)?).map_err(AppError::internal)?,
            repositories: serde_json::from_value(json("repositories", &self.repositories)?)
                .map_err(AppError::internal)?,
            stop_containers: serde_json::from_value(json(
                "stop_containers",
                &self.stop_containers,
            )?)
            .map_err(AppError::internal)?,
            retention: Retention {
                keep_last: keep(self.keep_last),
                keep_daily: keep(self.keep_daily),
                keep_weekly: keep(self.keep_weekly),
                keep_monthly: keep(self.keep_monthly),
            },
            check_subset: self.check_subset.clone(),
        };
        Ok(PlanRecord { id: self.id, spec })
    }
}

pub async fn plans(pool: &SqlitePool) -> Result<Vec<PlanRecord>, AppError> {
    let rows: Vec<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM backup_plans p ORDER BY p.name"
    ))
    .fetch_all(pool)
    .await?;
    rows.into_iter().map(PlanRow::into_record).collect()
}

pub async fn plan(pool: &SqlitePool, id: i64) -> Result<Option<PlanRecord>, AppError> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM backup_plans p WHERE p.id = ?"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    row.map(PlanRow::into_record).transpose()
}

pub async fn plan_by_name(pool: &SqlitePool, name: &str) -> Result<Option<PlanRecord>, AppError> {
    let row: Option<PlanRow> = sqlx::query_as(&format!(
        "SELECT {PLAN_COLUMNS} FROM backup_plans p WHERE p.name = ?"
    ))
    .bind(name)
    .fetch_optional(pool)
    .await?;
    row.map(PlanRow::into_record).transpose()
}

/// Saves a plan (a new one when `id` is `None`); `None` back when the name is taken.
pub async fn save_plan(
    pool: &SqlitePool,
    id: Option<i64>,
    spec: &PlanSpec,
) -> Result<Option<i64>, AppError> {
    let mut transaction = begin_immediate(pool).await?;
    let saved: Option<i64> = match id {
        None => {
            sqlx::query_scalar(
                "INSERT INTO backup_plans (name, data_class, sources, excludes, tags, stop_containers, \
                 keep_last, keep_daily, keep_weekly, keep_monthly, check_subset, created_at) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&spec.name)
            .bind(spec.data_class.as_str())
            .bind(to_json(&spec.sources))
            .bind(to_json(&spec.excludes))
            .bind(to_json(&spec.tags))
            .bind(to_json(&spec.stop_containers))
            .bind(spec.retention.keep_last)
            .bind(spec.retention.keep_daily)
            .bind(spec.retention.keep_weekly)
            .bind(spec.retention.keep_monthly)
            .bind(&spec.check_subset)
            .bind(millis(Utc::now()))
            .fetch_optional(&mut *transaction)
            .await?
        }
        Some(id) => {
            let taken: Option<i64> =
                sqlx::query_scalar("SELECT id FROM backup_plans WHERE name = ? AND id != ?")
                    .bind(&spec.name)
                    .bind(id)
                    .fetch_optional(&mut *transaction)
                    .await?;
            if taken.is_some() {
                None
            } else {
                sqlx::query_scalar(
                    "UPDATE backup_plans SET name = ?, data_class = ?, sources = ?, excludes = ?, tags = ?, \
                     stop_containers = ?, keep_last = ?, keep_daily = ?, keep_weekly = ?, keep_monthly = ?, \
                     check_subset = ? WHERE id = ? RETURNING id",
                )
                .bind(&spec.name)
                .bind(spec.data_class.as_str())
                .bind(to_json(&spec.sources))
                .bind(to_json(&spec.excludes))
                .bind(to_json(&spec.tags))
                .bind(to_json(&spec.stop_containers))
                .bind(spec.retention.keep_last)
                .bind(spec.retention.keep_daily)
                .bind(spec.retention.keep_weekly)
                .bind(spec.retention.keep_monthly)
                .bind(&spec.check_subset)
                .bind(id)
                .fetch_optional(&mut *transaction)
                .await?
            }
        }
    };
    let Some(plan_id) = saved else {
        return Ok(None);
    };
    sqlx::query("DELETE FROM backup_plan_repositories WHERE plan_id = ?")
        .bind(plan_id)
        .execute(&mut *transaction)
        .await?;
    for repository in &spec.repositories {
        sqlx::query("INSERT INTO backup_plan_repositories (plan_id, repository_id) VALUES (?, ?)")
            .bind(plan_id)
            .bind(repository)
            .execute(&mut *transaction)
            .await?;
    }
    transaction.commit().await?;
    Ok(Some(plan_id))
}

pub async fn delete_plan(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    let name = sqlx::query_scalar("DELETE FROM backup_plans WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(name)
}

/// The plans that use a repository, by name.
pub async fn plans_using(pool: &SqlitePool, repository_id: i64) -> Result<Vec<String>, AppError> {
    let names = sqlx::query_scalar(
        "SELECT p.name FROM backup_plans p JOIN backup_plan_repositories r ON r.plan_id = p.id \
         WHERE r.repository_id = ? ORDER BY p.name",
    )
    .bind(repository_id)
    .fetch_all(pool)
    .await?;
    Ok(names)
}

pub async fn repository(pool: &SqlitePool, id: i64) -> Result<Option<RepositoryRow>, AppError> {
    let row = sqlx::query_as(
        "SELECT id, name, location, password_file, sealed_password, offsite FROM backup_repositories WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    Ok(row)
}

/// The start of one run on one repository.
pub struct NewRun<'a> {
    pub plan_id: i64,
    pub repository_id: i64,
    pub repository_name: &'a str,
    pub work: Work,
    pub trigger: &'a str,
    pub actor: &'a str,
    pub task_id: Option<&'a str>,
}

/// Claims the plan for a run: marks runs whose process died as interrupted, then inserts
/// one `running` row per repository, unless a live run of the plan is going (then the
/// start time of that run comes back as the error). One transaction, so two processes
/// cannot both claim it.
pub async fn claim(
    pool: &SqlitePool,
    runs: &[NewRun<'_>],
    is_alive: impl Fn(i64) -> bool,
) -> Result<Result<Vec<i64>, DateTime<Utc>>, AppError> {
    let Some(first) = runs.first() else {
        return Ok(Ok(Vec::new()));
    };
    let mut transaction = begin_immediate(pool).await?;
    let going: Vec<(i64, i64, i64)> = sqlx::query_as(
        "SELECT id, pid, started_at FROM backup_runs WHERE plan_id = ? AND status = 'running'",
    )
    .bind(first.plan_id)
    .fetch_all(&mut *transaction)
    .await?;
    let now = millis(Utc::now());
    for (id, pid, started_at) in going {
        if is_alive(pid) {
            transaction.rollback().await?;
            return Ok(Err(from_millis(started_at)));
        }
        sqlx::query(
            "UPDATE backup_runs SET status = 'interrupted', finished_at = ?, \
             message = 'caretaker stopped before this run finished.' WHERE id = ?",
        )
        .bind(now)
        .bind(id)
        .execute(&mut *transaction)
        .await?;
    }
    let mut ids = Vec::new();
    for run in runs {
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO backup_runs (plan_id, repository_id, repository_name, kind, status, trigger, actor, task_id, pid, started_at) \
             VALUES (?, ?, ?, ?, 'running', ?, ?, ?, ?, ?) RETURNING id",
        )
        .bind(run.plan_id)
        .bind(run.repository_id)
        .bind(run.repository_name)
        .bind(run.work.as_str())
        .bind(run.trigger)
        .bind(run.actor)
        .bind(run.task_id)
        .bind(i64::from(std::process::id()))
        .bind(now)
        .fetch_one(&mut *transaction)
        .await?;
        ids.push(id);
    }
    transaction.commit().await?;
    Ok(Ok(ids))
}

/// Runs whose process is gone: those left `running` are marked interrupted. Back come the
/// runs (of any status) that still list containers they stopped and did not start again,
/// so the caller starts them (and then clears the list).
pub async fn mark_interrupted(
    pool: &SqlitePool,
    is_alive: impl Fn(i64) -> bool,
) -> Result<Vec<(i64, Vec<ContainerRef>)>, AppError> {
    let mut transaction = begin_immediate(pool).await?;
    let open: Vec<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT id, pid, status, stopped FROM backup_runs WHERE status = 'running' OR stopped != '[]'",
    )
    .fetch_all(&mut *transaction)
    .await?;
    let mut left_stopped = Vec::new();
    for (id, pid, status, containers) in open {
        if is_alive(pid) {
            continue;
        }
        if status == "running" {
            sqlx::query(
                "UPDATE backup_runs SET status = 'interrupted', finished_at = ?, \
                 message = 'caretaker stopped before this run finished.' WHERE id = ?",
            )
            .bind(millis(Utc::now()))
            .bind(id)
            .execute(&mut *transaction)
            .await?;
        }
        let containers: Vec<ContainerRef> = serde_json::from_str(&containers).unwrap_or_default();
        if !containers.is_empty() {
            left_stopped.push((id, containers));
        }
    }
    transaction.commit().await?;
    Ok(left_stopped)
}

/// Notes which containers the runs stopped (and, with an empty list, that they are back).
pub async fn set_stopped(
    pool: &SqlitePool,
    run_ids: &[i64],
    containers: &[ContainerRef],
) -> Result<(), AppError> {
    let json = serde_json::to_string(containers).map_err(AppError::internal)?;
    for id in run_ids {
        sqlx::query("UPDATE backup_runs SET stopped = ? WHERE id = ?")
            .bind(&json)
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// How a run on one repository ended.
#[derive(Debug, Clone, Default)]
pub struct RunEnd {
    pub files_new: Option<i64>,
    pub files_changed: Option<i64>,
    pub bytes_added: Option<i64>,
    pub snapshot_ids: Vec<String>,
    pub exit_code: Option<i64>,
    pub message: String,
}

pub async fn finish_run(
    pool: &SqlitePool,
    id: i64,
    status: BackupStatus,
    end: &RunEnd,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE backup_runs SET status = ?, finished_at = ?, files_new = ?, files_changed = ?, \
         bytes_added = ?, snapshot_ids = ?, exit_code = ?, message = ? WHERE id = ?",
    )
    .bind(status.as_str())
    .bind(millis(Utc::now()))
    .bind(end.files_new)
    .bind(end.files_changed)
    .bind(end.bytes_added)
    .bind(serde_json::to_string(&end.snapshot_ids).map_err(AppError::internal)?)
    .bind(end.exit_code)
    .bind(&end.message)
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

#[derive(sqlx::FromRow)]
struct RunRow {
    id: i64,
    repository_id: Option<i64>,
    repository_name: String,
    kind: String,
    status: String,
    trigger: String,
    actor: String,
    task_id: Option<String>,
    started_at: i64,
    finished_at: Option<i64>,
    files_new: Option<i64>,
    files_changed: Option<i64>,
    bytes_added: Option<i64>,
    snapshot_ids: String,
    exit_code: Option<i64>,
    message: String,
}

const RUN_COLUMNS: &str = "id, repository_id, repository_name, kind, status, trigger, actor, task_id, \
     started_at, finished_at, files_new, files_changed, bytes_added, snapshot_ids, exit_code, message";

impl RunRow {
    fn into_run(self) -> (Option<i64>, BackupRun) {
        (
            self.repository_id,
            BackupRun {
                id: self.id,
                repository: self.repository_name,
                work: Work::parse(&self.kind).unwrap_or(Work::Backup),
                status: BackupStatus::parse(&self.status).unwrap_or(BackupStatus::Failed),
                trigger: self.trigger,
                actor: self.actor,
                task_id: self.task_id,
                started_at: from_millis(self.started_at),
                finished_at: self.finished_at.map(from_millis),
                files_new: self.files_new,
                files_changed: self.files_changed,
                bytes_added: self.bytes_added,
                snapshot_ids: serde_json::from_str(&self.snapshot_ids).unwrap_or_default(),
                exit_code: self.exit_code,
                message: self.message,
            },
        )
    }
}

/// A plan's newest runs, newest first, each with its repository's id.
pub async fn runs(
    pool: &SqlitePool,
    plan_id: i64,
    limit: i64,
) -> Result<Vec<(Option<i64>, BackupRun)>, AppError> {
    let rows: Vec<RunRow> = sqlx::query_as(&format!(
        "SELECT {RUN_COLUMNS} FROM backup_runs WHERE plan_id = ? ORDER BY started_at DESC, id DESC LIMIT ?"
    ))
    .bind(plan_id)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(RunRow::into_run).collect())
}

/// Per repository of a plan, the newest successful backup's end.
pub async fn last_good(
    pool: &SqlitePool,
    plan_id: i64,
) -> Result<Vec<(i64, DateTime<Utc>)>, AppError> {
    let rows: Vec<(i64, i64)> = sqlx::query_as(
        "SELECT repository_id, MAX(finished_at) FROM backup_runs \
         WHERE plan_id = ? AND kind = 'backup' AND status = 'succeeded' AND repository_id IS NOT NULL \
         GROUP BY repository_id",
    )
    .bind(plan_id)
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(repository, at)| (repository, from_millis(at)))
        .collect())
}

pub async fn set_task(
    pool: &SqlitePool,
    run_ids: &[i64],
    task_id: Option<&str>,
) -> Result<(), AppError> {
    for id in run_ids {
        sqlx::query("UPDATE backup_runs SET task_id = ? WHERE id = ?")
            .bind(task_id)
            .bind(id)
            .execute(pool)
            .await?;
    }
    Ok(())
}

/// Runs of an ended task that are still `running`: cancelled or cut short.
pub async fn interrupt_open(pool: &SqlitePool, run_ids: &[i64]) -> Result<(), AppError> {
    for id in run_ids {
        sqlx::query(
            "UPDATE backup_runs SET status = 'interrupted', finished_at = ?, \
             message = 'The run was cancelled or stopped before it finished.' \
             WHERE id = ? AND status = 'running'",
        )
        .bind(millis(Utc::now()))
        .bind(id)
        .execute(pool)
        .await?;
    }
    Ok(())
}
