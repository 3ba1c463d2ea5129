//! The SQL of the models area.

use chrono::Utc;
use sqlx::SqlitePool;

use super::OllamaServer;
use crate::core::error::AppError;

#[derive(sqlx::FromRow)]
struct ServerRow {
    id: i64,
    name: String,
    base_url: String,
    service: Option<String>,
}

impl From<ServerRow> for OllamaServer {
    fn from(row: ServerRow) -> Self {
        Self {
            id: row.id,
            name: row.name,
            base_url: row.base_url,
            service: row.service,
        }
    }
}

const SELECT_SERVERS: &str = "SELECT o.id, o.name, o.base_url, s.name AS service \
     FROM ollama_servers o LEFT JOIN services s ON s.id = o.service_id";

pub async fn list_servers(pool: &SqlitePool) -> Result<Vec<OllamaServer>, AppError> {
    let rows: Vec<ServerRow> = sqlx::query_as(&format!("{SELECT_SERVERS} ORDER BY o.name"))
        .fetch_all(pool)
        .await?;
    Ok(rows.into_iter().map(OllamaServer::from).collect())
}

pub async fn get_server(pool: &SqlitePool, id: i64) -> Result<Option<OllamaServer>, AppError> {
    let row: Option<ServerRow> = sqlx::query_as(&format!("{SELECT_SERVERS} WHERE o.id = ?"))
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(row.map(OllamaServer::from))
}

/// Adds a server; `None` when its name or address is already taken.
pub async fn insert_server(
    pool: &SqlitePool,
    name: &str,
    base_url: &str,
    service_id: Option<i64>,
) -> Result<Option<i64>, AppError> {
    let id = sqlx::query_scalar(
        "INSERT INTO ollama_servers (name, base_url, service_id, created_at) VALUES (?, ?, ?, ?) \
         ON CONFLICT DO NOTHING RETURNING id",
    )
    .bind(name)
    .bind(base_url)
    .bind(service_id)
    .bind(Utc::now().timestamp_millis())
    .fetch_optional(pool)
    .await?;
    Ok(id)
}

/// Removes a server; answers its name, `None` when there was none.
pub async fn delete_server(pool: &SqlitePool, id: i64) -> Result<Option<String>, AppError> {
    let name = sqlx::query_scalar("DELETE FROM ollama_servers WHERE id = ? RETURNING name")
        .bind(id)
        .fetch_optional(pool)
        .await?;
    Ok(name)
}

/// Services of the containers area whose image is Ollama's: (id, name, host, ports).
pub async fn ollama_services(
    pool: &SqlitePool,
) -> Result<Vec<(i64, String, String, String)>, AppError> {
    let rows = sqlx::query_as(
        "SELECT id, name, host_id, spec FROM services \
         WHERE json_extract(spec, '$.image') LIKE '%ollama/ollama%' ORDER BY name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows)
}
