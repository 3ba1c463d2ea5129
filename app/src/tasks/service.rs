//! Starting, running, watching and cancelling tasks.
//!
//! A running task lives in memory (a `watch` channel that the SSE stream and pages read)
//! and is written to SQLite when it starts, about once a second while it changes, and when
//! it ends. So a page reload sees it, and a crash leaves a `running` row that the next
//! start marks interrupted.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::Utc;
use rand::Rng;
use sqlx::SqlitePool;
use tokio::sync::watch;
use tracing::Instrument;

use super::{store, TaskLogLine, TaskPart, TaskSnapshot, TaskStatus, LOG_LINES_KEPT, OUTPUT_KEPT};
use crate::core::error::AppError;

/// How often a changing task is written to the database.
const PERSIST_EVERY: Duration = Duration::from_secs(1);

/// The task registry: one per process, cloned cheaply.
#[derive(Clone)]
pub struct Tasks {
    pool: SqlitePool,
    live: Arc<Mutex<HashMap<String, LiveTask>>>,
}

struct LiveTask {
    snapshot: watch::Receiver<TaskSnapshot>,
    cancel: watch::Sender<bool>,
}

/// Given to the work of a task to report how it goes.
#[derive(Clone)]
pub struct TaskHandle {
    snapshot: watch::Sender<TaskSnapshot>,
}

impl TaskHandle {
    /// Sets the share done (`None`: unknown) and what is happening now.
    pub fn progress(&self, fraction: Option<f64>, message: impl Into<String>) {
        let message = message.into();
        self.snapshot.send_modify(|task| {
            task.fraction = fraction.map(|f| f.clamp(0.0, 1.0));
            task.message = message;
        });
    }

    /// Sets the bytes done and, when known, the total; the fraction follows from them.
    pub fn bytes(&self, done: u64, total: Option<u64>) {
        self.snapshot.send_modify(|task| {
            task.bytes_done = Some(done);
            task.bytes_total = total;
            if let Some(total) = total.filter(|total| *total > 0) {
                task.fraction = Some((done as f64 / total as f64).clamp(0.0, 1.0));
            }
        });
    }

    /// Sets the part labelled `label` (added at the end when new).
    pub fn part(&self, label: &str, done: u64, total: Option<u64>, note: impl Into<String>) {
        let note = note.into();
        self.snapshot.send_modify(|task| {
            match task.parts.iter_mut().find(|part| part.label == label) {
                Some(part) => {
                    part.done = done;
                    part.total = total;
                    part.note = note;
                }
                None => task.parts.push(TaskPart {
                    label: label.to_owned(),
                    done,
                    total,
                    note,
                }),
            }
        });
    }

    /// Appends text to the task's output; only the last [`OUTPUT_KEPT`] bytes are kept.
    pub fn output(&self, text: &str) {
        self.snapshot.send_modify(|task| {
            task.output.push_str(text);
            if task.output.len() > OUTPUT_KEPT {
                let mut cut = task.output.len() - OUTPUT_KEPT;
                while !task.output.is_char_boundary(cut) {
                    cut += 1;
                }
                task.output.drain(..cut);
            }
        });
    }

    /// Adds a line to the task's log; only the last [`LOG_LINES_KEPT`] are kept.
    pub fn log(&self, line: impl Into<String>) {
        let line = TaskLogLine {
            at: Utc::now(),
            line: line.into(),
        };
        self.snapshot.send_modify(|task| {
            task.log.push(line);
            let excess = task.log.len().saturating_sub(LOG_LINES_KEPT);
            task.log.drain(..excess);
        });
    }
}

impl Tasks {
    pub fn new(pool: SqlitePool) -> Self {
        Self {
            pool,
            live: Arc::default(),
        }
    }

    /// Marks tasks left `running` by an earlier process as interrupted. Call once at start.
    pub async fn recover_after_restart(&self) -> Result<u64, AppError> {
        let count = store::mark_interrupted(&self.pool, Utc::now()).await?;
        if count > 0 {
            tracing::warn!(count, "tasks were interrupted by the last stop");
        }
        Ok(count)
    }

    /// Starts `work` as a task and returns its id at once.
    ///
    /// `work` gets a [`TaskHandle`] to report progress. It returns what the task produced
    /// (stored as JSON for the page) or an error, whose sentence becomes the task's message.
    pub async fn start<F, Fut>(&self, kind: &str, target: &str, work: F) -> Result<String, AppError>
    where
        F: FnOnce(TaskHandle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<serde_json::Value>, AppError>> + Send + 'static,
    {
        let task = TaskSnapshot {
            id: new_task_id(),
            kind: kind.to_owned(),
            target: target.to_owned(),
            status: TaskStatus::Running,
            fraction: None,
            bytes_done: None,
            bytes_total: None,
            message: "Starting…".to_owned(),
            result: None,
            log: Vec::new(),
            parts: Vec::new(),
            output: String::new(),
            created_at: Utc::now(),
            finished_at: None,
        };
        store::insert(&self.pool, &task).await?;
        let id = task.id.clone();
        let (snapshot_tx, snapshot_rx) = watch::channel(task);
        let (cancel_tx, cancel_rx) = watch::channel(false);
        self.live_tasks().insert(
            id.clone(),
            LiveTask {
                snapshot: snapshot_rx,
                cancel: cancel_tx,
            },
        );
        let span = tracing::info_span!("task", id = %id, kind, target);
        let registry = self.clone();
        let handle = TaskHandle {
            snapshot: snapshot_tx,
        };
        tokio::spawn(
            async move {
                registry.run(handle, cancel_rx, work).await;
            }
            .instrument(span),
        );
        Ok(id)
    }

    async fn run<F, Fut>(&self, handle: TaskHandle, mut cancel: watch::Receiver<bool>, work: F)
    where
        F: FnOnce(TaskHandle) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Option<serde_json::Value>, AppError>> + Send + 'static,
    {
        tracing::info!("task started");
        // The work runs in its own tokio task, so a panic in it fails this task instead
        // of leaving it running forever, and a cancel can abort it.
        let mut work = tokio::spawn(work(handle.clone()));
        let mut changes = handle.snapshot.subscribe();
        let mut persist = tokio::time::interval(PERSIST_EVERY);
        persist.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let outcome = loop {
            tokio::select! {
                joined = &mut work => break match joined {
                    Ok(Ok(result)) => (TaskStatus::Succeeded, None, result),
                    Ok(Err(error)) => (TaskStatus::Failed, Some(error.to_string()), None),
                    Err(join_error) => {
                        let error = AppError::internal(format_args!("task panicked: {join_error}"));
                        (TaskStatus::Failed, Some(error.to_string()), None)
                    }
                },
                Ok(()) = cancel.changed() => {
                    if *cancel.borrow() {
                        work.abort();
                        break (TaskStatus::Cancelled, Some("Cancelled.".to_owned()), None);
                    }
                }
                _ = persist.tick() => {
                    if changes.has_changed().unwrap_or(false) {
                        let snapshot = changes.borrow_and_update().clone();
                        if let Err(error) = store::save_progress(&self.pool, &snapshot).await {
                            tracing::warn!(%error, "could not save task progress");
                        }
                    }
                }
            }
        };
        let (status, failure, result) = outcome;
        handle.snapshot.send_modify(|task| {
            task.status = status;
            task.finished_at = Some(Utc::now());
            if status == TaskStatus::Succeeded {
                task.fraction = Some(1.0);
                if task.message == "Starting…" {
                    task.message = "Done.".to_owned();
                }
            }
            if let Some(failure) = failure {
                task.message = failure;
            }
            task.result = result.map(|value| value.to_string());
        });
        let final_snapshot = handle.snapshot.borrow().clone();
        tracing::info!(status = status.as_str(), message = %final_snapshot.message, "task finished");
        // The final state must reach the database; retry briefly if it is busy.
        for attempt in 1..=5 {
            match store::save_progress(&self.pool, &final_snapshot).await {
                Ok(()) => break,
                Err(error) if attempt < 5 => {
                    tracing::warn!(%error, attempt, "could not save the task's end, retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(error) => tracing::error!(%error, "the task's end was not saved"),
            }
        }
        self.live_tasks().remove(&final_snapshot.id);
    }

    /// The task as it is now: from memory while it runs, else from the database.
    pub async fn get(&self, id: &str) -> Result<TaskSnapshot, AppError> {
        if let Some(snapshot) = self.subscribe(id) {
            return Ok(snapshot.borrow().clone());
        }
        store::get(&self.pool, id)
            .await?
            .ok_or_else(|| AppError::not_found(format!("There is no task with id {id}.")))
    }

    /// The newest task of this kind and target; with `status`, the newest in that status.
    pub async fn latest(
        &self,
        kind: &str,
        target: &str,
        status: Option<TaskStatus>,
    ) -> Result<Option<TaskSnapshot>, AppError> {
        let Some(stored) = store::latest(&self.pool, kind, target, status).await? else {
            return Ok(None);
        };
        Ok(Some(match self.subscribe(&stored.id) {
            Some(live) => live.borrow().clone(),
            None => stored,
        }))
    }

    /// A live view of a running task; `None` once it has finished.
    pub fn subscribe(&self, id: &str) -> Option<watch::Receiver<TaskSnapshot>> {
        self.live_tasks().get(id).map(|live| live.snapshot.clone())
    }

    /// Asks a running task to stop. Its work is dropped at its next await point.
    pub fn cancel(&self, id: &str) -> Result<(), AppError> {
        match self.live_tasks().get(id) {
            Some(live) => {
                live.cancel.send_replace(true);
                Ok(())
            }
            None => Err(AppError::Conflict(
                "This task is not running, so it cannot be cancelled.".to_owned(),
            )),
        }
    }

    /// The newest tasks of a kind, live state for the running ones.
    pub async fn recent(&self, kind: &str, limit: i64) -> Result<Vec<TaskSnapshot>, AppError> {
        let stored = store::recent(&self.pool, kind, limit).await?;
        Ok(stored
            .into_iter()
            .map(|task| match self.subscribe(&task.id) {
                Some(live) => live.borrow().clone(),
                None => task,
            })
            .collect())
    }

    pub async fn count_by_status(&self) -> Result<Vec<(String, i64)>, AppError> {
        store::count_by_status(&self.pool).await
    }

    fn live_tasks(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveTask>> {
        // The map is only touched in short, non-async sections, so a poisoned lock can
        // only come from a panic in those few lines; the data is still usable.
        self.live
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// 128 random bits, hex encoded.
fn new_task_id() -> String {
    let bits: u128 = rand::rng().random();
    format!("{bits:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::db;

    async fn wait_finished(tasks: &Tasks, id: &str) -> TaskSnapshot {
        for _ in 0..200 {
            let task = tasks.get(id).await.unwrap();
            if task.status.is_finished() && tasks.subscribe(id).is_none() {
                return task;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        panic!("task {id} did not finish");
    }

    #[tokio::test]
    async fn a_task_reports_progress_and_its_result_is_stored() {
        let pool = db::open_in_memory().await.unwrap();
        let tasks = Tasks::new(pool.clone());
        let (go_tx, go_rx) = tokio::sync::oneshot::channel::<()>();
        let id = tasks
            .start("test", "target-a", |task| async move {
                task.bytes(50, Some(200));
                task.log("half way there");
                go_rx.await.ok();
                Ok(Some(serde_json::json!({ "answer": 42 })))
            })
            .await
            .unwrap();

        let mut live = tasks.subscribe(&id).expect("running task is live");
        live.wait_for(|task| task.bytes_done == Some(50))
            .await
            .unwrap();
        let running = tasks.get(&id).await.unwrap();
        assert_eq!(running.status, TaskStatus::Running);
        assert_eq!(running.percent(), Some(25));
        assert_eq!(running.log[0].line, "half way there");

        go_tx.send(()).unwrap();
        let done = wait_finished(&tasks, &id).await;
        assert_eq!(done.status, TaskStatus::Succeeded);
        assert_eq!(done.percent(), Some(100));
        assert_eq!(done.result.as_deref(), Some(r#"{"answer":42}"#));
        // What a page reload reads comes from the database now.
        let stored = store::get(&pool, &id).await.unwrap().unwrap();
        assert_eq!(stored, done);
        assert_eq!(
            tasks.latest("test", "target-a", None).await.unwrap(),
            Some(done)
        );
    }

    #[tokio::test]
    async fn a_failing_task_keeps_the_plain_message() {
        let tasks = Tasks::new(db::open_in_memory().await.unwrap());
        let id = tasks
            .start("test", "x", |_| async {
                Err(AppError::EngineUnavailable(
                    "The Docker engine is not reachable.".into(),
                ))
            })
            .await
            .unwrap();
        let done = wait_finished(&tasks, &id).await;
        assert_eq!(done.status, TaskStatus::Failed);
        assert_eq!(done.message, "The Docker engine is not reachable.");
    }

    #[tokio::test]
    async fn a_panicking_task_fails_without_leaking_the_panic() {
        let tasks = Tasks::new(db::open_in_memory().await.unwrap());
        let id = tasks
            .start("test", "x", |_| async { panic!("secret detail") })
            .await
            .unwrap();
        let done = wait_finished(&tasks, &id).await;
        assert_eq!(done.status, TaskStatus::Failed);
        assert!(!done.message.contains("secret detail"), "{}", done.message);
    }

    #[tokio::test]
    async fn a_cancelled_task_stops_and_says_so() {
        let tasks = Tasks::new(db::open_in_memory().await.unwrap());
        let id = tasks
            .start("test", "x", |_| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(None)
            })
            .await
            .unwrap();
        tasks.cancel(&id).unwrap();
        let done = wait_finished(&tasks, &id).await;
        assert_eq!(done.status, TaskStatus::Cancelled);
        assert!(matches!(tasks.cancel(&id), Err(AppError::Conflict(_))));
    }

    #[tokio::test]
    async fn the_log_is_bounded() {
        let tasks = Tasks::new(db::open_in_memory().await.unwrap());
        let id = tasks
            .start("test", "x", |task| async move {
                for n in 0..(LOG_LINES_KEPT + 50) {
                    task.log(format!("line {n}"));
                }
                Ok(None)
            })
            .await
            .unwrap();
        let done = wait_finished(&tasks, &id).await;
        assert_eq!(done.log.len(), LOG_LINES_KEPT);
        assert_eq!(done.log[0].line, "line 50");
    }

    #[tokio::test]
    async fn tasks_running_when_the_process_died_are_marked_interrupted() {
        let dir = tempfile::tempdir().unwrap();
        let pool = db::open(dir.path()).await.unwrap();
        let tasks = Tasks::new(pool.clone());
        let id = tasks
            .start("test", "x", |_| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                Ok(None)
            })
            .await
            .unwrap();
        // The process "dies": the pool closes with the task still running.
        pool.close().await;
        drop(tasks);

        let pool = db::open(dir.path()).await.unwrap();
        let tasks = Tasks::new(pool);
        assert_eq!(tasks.recover_after_restart().await.unwrap(), 1);
        let task = tasks.get(&id).await.unwrap();
        assert_eq!(task.status, TaskStatus::Interrupted);
        assert!(task.finished_at.is_some());
    }
}
