//! caretaker's own safety net, with no setup: a consistent copy of its SQLite database
//! (`VACUUM INTO`, safe while caretaker writes) into `DATA_DIR/snapshots/` once a day, the
//! newest few kept. It protects against a bad upgrade or a mistaken click; for a lost disk,
//! a backup plan with the source `caretaker-db` (or restic over the snapshots folder) sends
//! copies off-site.

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sqlx::SqlitePool;

use crate::core::error::AppError;

/// The folder inside the data directory.
pub const SNAPSHOT_DIR: &str = "snapshots";
/// How often a snapshot is taken.
pub const SNAPSHOT_EVERY: Duration = Duration::from_secs(24 * 3600);
const PREFIX: &str = "caretaker-";
const SUFFIX: &str = ".db";

/// The snapshots in `data_dir`, oldest first (their names sort by time).
pub fn list(data_dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(data_dir.join(SNAPSHOT_DIR)) else {
        return Vec::new();
    };
    let mut snapshots: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.file_name()
                .and_then(|name| name.to_str())
                .is_some_and(|name| name.starts_with(PREFIX) && name.ends_with(SUFFIX))
        })
        .collect();
    snapshots.sort();
    snapshots
}

/// Takes a snapshot now and deletes all but the newest `keep`; answers its path. The copy
/// is written under a temporary name and renamed, so a half-written file never counts.
#[tracing::instrument(skip_all, fields(data_dir = %data_dir.display()))]
pub async fn take(pool: &SqlitePool, data_dir: &Path, keep: usize) -> Result<PathBuf, AppError> {
    let folder = data_dir.join(SNAPSHOT_DIR);
    std::fs::create_dir_all(&folder).map_err(|error| {
        AppError::invalid(format!(
            "The snapshot folder {} cannot be created: {error}.",
            folder.display()
        ))
    })?;
    let stamp = chrono::Utc::now().format("%Y%m%d-%H%M%S");
    let path = folder.join(format!("{PREFIX}{stamp}{SUFFIX}"));
    let partial = folder.join(format!("{PREFIX}{stamp}.partial"));
    let _ = std::fs::remove_file(&partial);
    sqlx::query("VACUUM INTO ?")
        .bind(partial.to_string_lossy().into_owned())
        .execute(pool)
        .await?;
    std::fs::rename(&partial, &path).map_err(AppError::internal)?;
    let snapshots = list(data_dir);
    let excess = snapshots.len().saturating_sub(keep.max(1));
    for old in &snapshots[..excess] {
        if let Err(error) = std::fs::remove_file(old) {
            tracing::warn!(%error, path = %old.display(), "could not delete an old snapshot");
        }
    }
    tracing::info!(path = %path.display(), "database snapshot taken");
    Ok(path)
}

/// How long until the next snapshot is due: zero when there is none yet or the newest is
/// a day old.
pub fn due_in(data_dir: &Path) -> Duration {
    let newest = list(data_dir)
        .last()
        .and_then(|path| path.metadata().ok()?.modified().ok());
    match newest {
        Some(taken) => SNAPSHOT_EVERY
            .saturating_sub(SystemTime::now().duration_since(taken).unwrap_or_default()),
        None => Duration::ZERO,
    }
}

/// Hooks the daily snapshot into the scheduler, which runs all of caretaker's timed work.
/// `keep` 0 turns it off. A failed snapshot is tried again in an hour.
pub fn register(
    scheduler: &crate::core::scheduler::Scheduler,
    pool: SqlitePool,
    data_dir: PathBuf,
    keep: usize,
) {
    if keep == 0 {
        return;
    }
    // The scheduler calls every ticker whenever any area is due: remember our own time.
    let next = std::sync::Arc::new(std::sync::Mutex::new(None));
    scheduler.on_tick(
        "snapshots",
        std::sync::Arc::new(move |now| {
            let pool = pool.clone();
            let data_dir = data_dir.clone();
            let next = next.clone();
            Box::pin(async move {
                let planned = *next.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
                if planned.is_some_and(|at| now < at) {
                    return planned;
                }
                let mut wait = due_in(&data_dir);
                if wait.is_zero() {
                    wait = match take(&pool, &data_dir, keep).await {
                        Ok(_) => SNAPSHOT_EVERY,
                        Err(error) => {
                            tracing::warn!(%error, "the daily database snapshot failed; trying again in an hour");
                            Duration::from_secs(3600)
                        }
                    };
                }
                let at = now + chrono::Duration::from_std(wait).unwrap_or(chrono::TimeDelta::hours(1));
                *next.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(at);
                Some(at)
            })
        }),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_scheduler_takes_the_first_snapshot_at_once_then_daily() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::core::db::open(dir.path()).await.unwrap();
        let scheduler = crate::core::scheduler::Scheduler::new(std::sync::Arc::new(
            crate::core::scheduler::SystemClock,
        ));
        register(&scheduler, pool, dir.path().to_path_buf(), 3);
        let next = scheduler.tick().await.expect("a next time");
        assert_eq!(
            list(dir.path()).len(),
            1,
            "the first snapshot is taken at once"
        );
        assert!(next - scheduler.now() > chrono::Duration::hours(23));
        scheduler.tick().await;
        assert_eq!(
            list(dir.path()).len(),
            1,
            "not again before a day has passed"
        );
    }

    #[tokio::test]
    async fn snapshots_are_whole_databases_and_rotate() {
        let dir = tempfile::tempdir().unwrap();
        let pool = crate::core::db::open(dir.path()).await.unwrap();
        assert_eq!(due_in(dir.path()), Duration::ZERO);
        sqlx::query("CREATE TABLE marker (value TEXT)")
            .execute(&pool)
            .await
            .unwrap();
        sqlx::query("INSERT INTO marker VALUES ('kept')")
            .execute(&pool)
            .await
            .unwrap();
        let first = take(&pool, dir.path(), 2).await.unwrap();
        assert!(due_in(dir.path()) > Duration::from_secs(23 * 3600));
        // The snapshot opens on its own and holds the data.
        let options = sqlx::sqlite::SqliteConnectOptions::new().filename(&first);
        let snapshot = SqlitePool::connect_with(options).await.unwrap();
        let (value,): (String,) = sqlx::query_as("SELECT value FROM marker")
            .fetch_one(&snapshot)
            .await
            .unwrap();
        assert_eq!(value, "kept");
        snapshot.close().await;
        // Names are per second: make three distinct ones, only the newest two stay.
        for _ in 0..2 {
            while list(dir.path())
                .last()
                .map(|p| p.file_name().unwrap().to_owned())
                == Some(
                    format!(
                        "{PREFIX}{}{SUFFIX}",
                        chrono::Utc::now().format("%Y%m%d-%H%M%S")
                    )
                    .into(),
                )
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            take(&pool, dir.path(), 2).await.unwrap();
        }
        let left = list(dir.path());
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(!left.contains(&first));
    }
}
