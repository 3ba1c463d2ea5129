//! The SQL of the containers area: the added Docker hosts.

use chrono::{DateTime, Utc};
use sqlx::SqlitePool;

use super::NewHost;
use crate::core::error::AppError;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HostRecord {
    pub id: i64,
    pub name: String,
    pub address: String,
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

pub async fn list_hosts(pool: &SqlitePool) -> Result<Vec<HostRecord>, AppError> {
    Ok(sqlx::query_as(
        "SELECT id, name, address, ca_file, cert_file, key_file FROM docker_hosts ORDER BY name",
    )
    .fetch_all(pool)
    .await?)
}

/// Adds a host; `Ok(None)` when the name is taken.
pub async fn insert_host(
    pool: &SqlitePool,
    host: &NewHost,
    now: DateTime<Utc>,
) -> Result<Option<i64>, AppError> {
    let inserted = sqlx::query(
        "INSERT INTO docker_hosts (name, address, ca_file, cert_file, key_file, created_at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING",
    )
    .bind(&host.name)
    .bind(&host.address)
    .bind(&host.ca_file)
    .bind(&host.cert_file)
    .bind(&host.key_file)
    .bind(now.timestamp_millis())
    .execute(pool)
    .await?;
    Ok((inserted.rows_affected() == 1).then(|| inserted.last_insert_rowid()))
}

/// Removes a host; its name when it existed.
pub async fn delete_host(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    Ok(
        sqlx::query_scalar("DELETE FROM docker_hosts WHERE id = ? RETURNING name")
            .bind(id)
            .fetch_optional(pool)
            .await?,
    )
}
