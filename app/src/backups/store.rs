//! The SQL of the backups area.

use chrono::Utc;
use sqlx::SqlitePool;

use crate::core::error::AppError;

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
