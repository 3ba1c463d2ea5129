//! The SQL of the connect settings (one row).

use sqlx::SqlitePool;

use super::ConnectSettings;
use crate::core::error::AppError;

#[derive(sqlx::FromRow)]
struct Row {
    host_alias: String,
    bastion: String,
    ssh_user: String,
    jump_host: String,
    second_jump_host: String,
    socks_port: i64,
    private_url: String,
}

#[tracing::instrument(skip_all)]
pub async fn load(pool: &SqlitePool) -> Result<Option<ConnectSettings>, AppError> {
    let row: Option<Row> = sqlx::query_as(
        "SELECT host_alias, bastion, ssh_user, jump_host, second_jump_host, socks_port, private_url
         FROM connect_settings WHERE id = 1",
    )
    .fetch_optional(pool)
    .await?;
    Ok(row.map(|row| ConnectSettings {
        host_alias: row.host_alias,
        bastion: row.bastion,
        ssh_user: row.ssh_user,
        jump_host: row.jump_host,
        second_jump_host: row.second_jump_host,
        socks_port: u16::try_from(row.socks_port).unwrap_or(super::DEFAULT_SOCKS_PORT),
        private_url: row.private_url,
    }))
}

#[tracing::instrument(skip_all)]
pub async fn save(pool: &SqlitePool, settings: &ConnectSettings) -> Result<(), AppError> {
    sqlx::query(
        "INSERT INTO connect_settings
             (id, host_alias, bastion, ssh_user, jump_host, second_jump_host, socks_port, private_url, updated_at)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT (id) DO UPDATE SET
             host_alias = excluded.host_alias, bastion = excluded.bastion,
             ssh_user = excluded.ssh_user, jump_host = excluded.jump_host,
             second_jump_host = excluded.second_jump_host, socks_port = excluded.socks_port,
             private_url = excluded.private_url, updated_at = excluded.updated_at",
    )
    .bind(&settings.host_alias)
    .bind(&settings.bastion)
    .bind(&settings.ssh_user)
    .bind(&settings.jump_host)
    .bind(&settings.second_jump_host)
    .bind(i64::from(settings.socks_port))
    .bind(&settings.private_url)
    .bind(crate::core::db::millis(chrono::Utc::now()))
    .execute(pool)
    .await?;
    Ok(())
}
