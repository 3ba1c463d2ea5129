//! The SQL of services: definitions and their sealed secrets.

use chrono::{DateTime, TimeZone, Utc};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::{ServiceSpec, ServiceSummary};
use crate::core::error::AppError;

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    host_id: String,
    spec: String,
    updated_at: i64,
}

/// A stored service: its id, host and definition.
#[derive(Debug, Clone)]
pub struct StoredService {
    pub id: i64,
    pub host_id: String,
    pub spec: ServiceSpec,
    pub updated_at: DateTime<Utc>,
}

impl Row {
    fn into_stored(self) -> Result<StoredService, AppError> {
        Ok(StoredService {
            spec: serde_json::from_str(&self.spec).map_err(AppError::internal)?,
            id: self.id,
            host_id: self.host_id,
            updated_at: Utc
                .timestamp_millis_opt(self.updated_at)
                .single()
                .unwrap_or_default(),
        })
    }
}

pub async fn list(pool: &SqlitePool) -> Result<Vec<ServiceSummary>, AppError> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, host_id, spec, updated_at FROM services ORDER BY name")
            .fetch_all(pool)
            .await?;
    rows.into_iter()
        .map(|row| {
            let stored = row.into_stored()?;
            Ok(ServiceSummary {
                id: stored.id,
                name: stored.spec.name.clone(),
                host_id: stored.host_id,
                image: stored.spec.image.clone(),
                tag: stored.spec.tag.clone(),
                ports: stored
                    .spec
                    .ports
                    .iter()
                    .map(super::validate::port_text)
                    .collect(),
                updated_at: stored.updated_at,
            })
        })
        .collect()
}

pub async fn get(pool: &SqlitePool, id: i64) -> Result<Option<StoredService>, AppError> {
    let row: Option<Row> =
        sqlx::query_as("SELECT id, host_id, spec, updated_at FROM services WHERE id = ?")
            .bind(id)
            .fetch_optional(pool)
            .await?;
    row.map(Row::into_stored).transpose()
}

/// Adds a service; `Ok(None)` when the name is taken.
pub async fn insert(
    tx: &mut Transaction<'_, Sqlite>,
    host_id: &str,
    spec: &ServiceSpec,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let json = serde_json::to_string(spec).map_err(AppError::internal)?;
    let done = sqlx::query(
        "INSERT INTO services (name, host_id, spec, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (name) DO NOTHING",
    )
    .bind(&spec.name)
    .bind(host_id)
    .bind(json)
    .bind(now.timestamp_millis())
    .bind(now.timestamp_millis())
    .execute(&mut **tx)
    .await?;
    Ok((done.rows_affected() == 1).then(|| done.last_insert_rowid()))
}

/// Replaces a service's definition; `Ok(false)` when the new name belongs to another.
pub async fn update(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    host_id: &str,
    spec: &ServiceSpec,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let taken: Option<i64> =
        sqlx::query_scalar("SELECT id FROM services WHERE name = ? AND id != ?")
            .bind(&spec.name)
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?;
    if taken.is_some() {
        return Ok(false);
    }
    let json = serde_json::to_string(spec).map_err(AppError::internal)?;
    sqlx::query("UPDATE services SET name = ?, host_id = ?, spec = ?, updated_at = ? WHERE id = ?")
        .bind(&spec.name)
        .bind(host_id)
        .bind(json)
        .bind(now.timestamp_millis())
        .bind(id)
        .execute(&mut **tx)
        .await?;
    Ok(true)
}

/// Deletes a service (and its secrets); its name when it existed.
pub async fn delete(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("DELETE FROM services WHERE id = ? RETURNING name")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}

pub async fn set_secret(
    tx: &mut Transaction<'_, Sqlite>,
    service_id: i64,
    name: &str,
    sealed: &str,
) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO service_secrets (service_id, name, sealed) VALUES (?, ?, ?)
         ON CONFLICT (service_id, name) DO UPDATE SET sealed = excluded.sealed",
    )
    .bind(service_id)
    .bind(name)
    .bind(sealed)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// The names of the secrets stored for a service.
pub async fn secret_names(
    tx: &mut Transaction<'_, Sqlite>,
    service_id: i64,
) -> Result<Vec<String>, AppError> {
    Ok(
        sqlx::query_scalar("SELECT name FROM service_secrets WHERE service_id = ? ORDER BY name")
            .bind(service_id)
            .fetch_all(&mut **tx)
            .await?,
    )
}

pub async fn delete_secret(
    tx: &mut Transaction<'_, Sqlite>,
    service_id: i64,
    name: &str,
) -> Result<(), AppError> {
    sqlx::query("DELETE FROM service_secrets WHERE service_id = ? AND name = ?")
        .bind(service_id)
        .bind(name)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Every secret of a service, sealed.
pub async fn sealed_secrets(
    pool: &SqlitePool,
    service_id: i64,
) -> Result<Vec<(String, String)>, AppError> {
    Ok(sqlx::query_as(
        "SELECT name, sealed FROM service_secrets WHERE service_id = ? ORDER BY name",
    )
    .bind(service_id)
    .fetch_all(pool)
    .await?)
}

#[derive(sqlx::FromRow)]
struct DeploymentRow {
    id: i64,
    tag: String,
    digest: Option<String>,
    status: String,
    actor: String,
    message: String,
    started_at: i64,
    finished_at: Option<i64>,
    promoted_at: Option<i64>,
}

use crate::core::db::from_millis as time;

impl From<DeploymentRow> for super::Deployment {
    fn from(row: DeploymentRow) -> Self {
        Self {
            id: row.id,
            tag: row.tag,
            digest: row.digest,
            status: row.status,
            actor: row.actor,
            message: row.message,
            started_at: time(row.started_at),
            finished_at: row.finished_at.map(time),
            promoted_at: row.promoted_at.map(time),
        }
    }
}

const DEPLOYMENT_COLUMNS: &str =
    "id, tag, digest, status, actor, message, started_at, finished_at, promoted_at";

/// A service's deployments, newest first.
pub async fn deployments(
    pool: &SqlitePool,
    service_id: i64,
) -> Result<Vec<super::Deployment>, AppError> {
    let rows: Vec<DeploymentRow> = sqlx::query_as(&format!(
        "SELECT {DEPLOYMENT_COLUMNS} FROM deployments WHERE service_id = ? ORDER BY id DESC LIMIT 50"
    ))
    .bind(service_id)
    .fetch_all(pool)
    .await?;
    Ok(rows.into_iter().map(Into::into).collect())
}

/// The newest deployment of a service in `status`, with the reference it runs as.
pub async fn deployment_in(
    pool: &SqlitePool,
    service_id: i64,
    status: &str,
) -> Result<Option<(super::Deployment, Option<String>)>, AppError> {
    #[derive(sqlx::FromRow)]
    struct WithImage {
        #[sqlx(flatten)]
        row: DeploymentRow,
        image_ref: Option<String>,
    }
    let found: Option<WithImage> = sqlx::query_as(&format!(
        "SELECT {DEPLOYMENT_COLUMNS}, image_ref FROM deployments WHERE service_id = ? AND status = ? ORDER BY id DESC LIMIT 1"
    ))
    .bind(service_id)
    .bind(status)
    .fetch_optional(pool)
    .await?;
    Ok(found.map(|found| (found.row.into(), found.image_ref)))
}

pub async fn start_deployment(
    pool: &SqlitePool,
    service_id: i64,
    tag: &str,
    actor: &str,
    spec: &ServiceSpec,
    now: DateTime<Utc>,
) -> Result<i64, AppError> {
    // A deploy that a restart or a cancel cut short is over.
    sqlx::query(
        "UPDATE deployments SET status = 'failed', message = 'Interrupted before it finished.', finished_at = ?
         WHERE service_id = ? AND status = 'running'",
    )
    .bind(now.timestamp_millis())
    .bind(service_id)
    .execute(pool)
    .await?;
    let done = sqlx::query(
        "INSERT INTO deployments (service_id, tag, status, actor, spec, started_at) VALUES (?, ?, 'running', ?, ?, ?)",
    )
    .bind(service_id)
    .bind(tag)
    .bind(actor)
    .bind(serde_json::to_string(spec).map_err(AppError::internal)?)
    .bind(now.timestamp_millis())
    .execute(pool)
    .await?;
    Ok(done.last_insert_rowid())
}

/// The definition a deployment was tried with.
pub async fn deployment_spec(pool: &SqlitePool, id: i64) -> Result<Option<ServiceSpec>, AppError> {
    let text: Option<String> = sqlx::query_scalar("SELECT spec FROM deployments WHERE id = ?")
        .bind(id)
        .fetch_optional(pool)
        .await?
        .flatten();
    text.map(|text| serde_json::from_str(&text).map_err(AppError::internal))
        .transpose()
}

pub async fn set_task(pool: &SqlitePool, id: i64, task_id: &str) -> Result<(), AppError> {
    sqlx::query("UPDATE deployments SET task_id = ? WHERE id = ?")
        .bind(task_id)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn set_image(
    pool: &SqlitePool,
    id: i64,
    digest: &str,
    image_ref: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE deployments SET digest = ?, image_ref = ? WHERE id = ?")
        .bind(digest)
        .bind(image_ref)
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

/// Ends a running deploy: `ready` (the one in the test slot now; an older ready one is
/// retired, its container replaced) or `failed`, with its sentence.
pub async fn finish_deployment(
    pool: &SqlitePool,
    id: i64,
    status: &str,
    message: &str,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = crate::core::db::begin_immediate(pool).await?;
    if status == "ready" {
        sqlx::query(
            "UPDATE deployments SET status = 'retired'
             WHERE status = 'ready' AND id != ? AND service_id = (SELECT service_id FROM deployments WHERE id = ?)",
        )
        .bind(id)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(
        "UPDATE deployments SET status = ?, message = ?, finished_at = ? WHERE id = ? AND status = 'running'",
    )
    .bind(status)
    .bind(message)
    .bind(now.timestamp_millis())
    .bind(id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The task of the deploy of a service that is running, if any.
pub async fn running_deploy_task(
    pool: &SqlitePool,
    service_id: i64,
) -> Result<Option<String>, AppError> {
    Ok(sqlx::query_scalar(
        "SELECT task_id FROM deployments WHERE service_id = ? AND status = 'running' AND task_id IS NOT NULL ORDER BY id DESC LIMIT 1",
    )
    .bind(service_id)
    .fetch_optional(pool)
    .await?)
}

/// Moves every deployment of a service in status `from` to `to`.
pub async fn move_status(
    tx: &mut Transaction<'_, Sqlite>,
    service_id: i64,
    from: &str,
    to: &str,
) -> Result<(), AppError> {
    sqlx::query("UPDATE deployments SET status = ? WHERE service_id = ? AND status = ?")
        .bind(to)
        .bind(service_id)
        .bind(from)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

pub async fn set_status(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    status: &str,
    promoted_at: Option<DateTime<Utc>>,
) -> Result<(), AppError> {
    sqlx::query(
        "UPDATE deployments SET status = ?, promoted_at = COALESCE(?, promoted_at) WHERE id = ?",
    )
    .bind(status)
    .bind(promoted_at.map(|at| at.timestamp_millis()))
    .bind(id)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Every service with its definition, by name (the routes of the proxy area read their
/// ports in one query).
pub async fn list_stored(pool: &SqlitePool) -> Result<Vec<StoredService>, AppError> {
    let rows: Vec<Row> =
        sqlx::query_as("SELECT id, host_id, spec, updated_at FROM services ORDER BY name")
            .fetch_all(pool)
            .await?;
    rows.into_iter().map(Row::into_stored).collect()
}
