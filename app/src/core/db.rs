//! The SQLite database: one pool for the whole process, opened with the settings every
//! store relies on, and migrated at start.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

use super::error::AppError;

/// The file name of caretaker's database inside the data directory.
pub const DATABASE_FILE: &str = "caretaker.db";

/// Opens (creating when missing) the database in `data_dir` and applies pending migrations.
/// A time as stored: Unix milliseconds, UTC (every table keeps times this way).
pub fn millis(time: chrono::DateTime<chrono::Utc>) -> i64 {
    time.timestamp_millis()
}

/// A stored time back; an impossible value reads as the Unix epoch.
pub fn from_millis(millis: i64) -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc
        .timestamp_millis_opt(millis)
        .single()
        .unwrap_or_default()
}

pub async fn open(data_dir: &Path) -> Result<SqlitePool, AppError> {
    std::fs::create_dir_all(data_dir).map_err(|error| {
        AppError::invalid(format!(
            "The data directory {} cannot be created: {error}.",
            data_dir.display()
        ))
    })?;
    let options = SqliteConnectOptions::new()
        .filename(data_dir.join(DATABASE_FILE))
        .create_if_missing(true);
    open_with(options).await
}

/// Opens a private in-memory database, for tests. One connection, so every query sees
/// the same database.
pub async fn open_in_memory() -> Result<SqlitePool, AppError> {
    let options = SqliteConnectOptions::from_str("sqlite::memory:")?;
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(tuned(options))
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

async fn open_with(options: SqliteConnectOptions) -> Result<SqlitePool, AppError> {
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(tuned(options))
        .await?;
    migrate(&pool).await?;
    Ok(pool)
}

fn tuned(options: SqliteConnectOptions) -> SqliteConnectOptions {
    options
        .journal_mode(SqliteJournalMode::Wal)
        // WAL + NORMAL is durable across process crashes; only a power loss can lose the
        // last transactions, never corrupt the file.
        .synchronous(SqliteSynchronous::Normal)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5))
}

/// Applies the migrations in `migrations/` that this database has not seen yet.
pub async fn migrate(pool: &SqlitePool) -> Result<(), AppError> {
    sqlx::migrate!("../migrations").run(pool).await?;
    Ok(())
}

/// Starts a transaction that takes the write lock at once (`BEGIN IMMEDIATE`).
///
/// Use it whenever a transaction reads and then writes: a deferred transaction that
/// upgrades from read to write fails with SQLITE_BUSY at once, ignoring the busy timeout.
pub async fn begin_immediate(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, AppError> {
    Ok(pool.begin_with("BEGIN IMMEDIATE").await?)
}

/// Is the database answering? Used by `/readyz`.
pub async fn ping(pool: &SqlitePool) -> Result<(), AppError> {
    sqlx::query("SELECT 1").execute(pool).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_file_database_uses_wal_and_foreign_keys() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(mode, "wal");
        let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(foreign_keys, 1);
        let timeout: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(timeout, 5000);
        assert!(dir.path().join(DATABASE_FILE).exists());
    }

    #[tokio::test]
    async fn opening_twice_keeps_the_data_and_migrates_once() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        sqlx::query("INSERT INTO tasks (id, kind, target, status, message, created_at) VALUES ('t1', 'k', 'x', 'succeeded', '', 0)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        let pool = open(dir.path()).await.unwrap();
        let count: i64 = sqlx::query_scalar("SELECT count(*) FROM tasks")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(count, 1);
    }

    #[tokio::test]
    async fn immediate_transactions_wait_for_each_other_instead_of_failing() {
        let dir = tempfile::tempdir().unwrap();
        let pool = open(dir.path()).await.unwrap();
        sqlx::query("CREATE TABLE counter (n INTEGER NOT NULL)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO counter (n) VALUES (0)")
            .execute(&pool)
            .await
            .unwrap();
        // Eight concurrent read-then-write increments: with deferred transactions some
        // would fail with SQLITE_BUSY; with BEGIN IMMEDIATE all of them land.
        let mut handles = Vec::new();
        for _ in 0..8 {
            let pool = pool.clone();
            handles.push(tokio::spawn(async move {
                let mut tx = begin_immediate(&pool).await.unwrap();
                let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
                    .fetch_one(&mut *tx)
                    .await
                    .unwrap();
                tokio::task::yield_now().await;
                sqlx::query("UPDATE counter SET n = ?")
                    .bind(n + 1)
                    .execute(&mut *tx)
                    .await
                    .unwrap();
                tx.commit().await.unwrap();
            }));
        }
        for handle in handles {
            handle.await.unwrap();
        }
        let n: i64 = sqlx::query_scalar("SELECT n FROM counter")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(n, 8);
    }
}
