//! Runs every monitor on its interval and writes the results.
//!
//! Each monitor has its own tokio task that sleeps until its next check; the first check
//! is offset by a hash of its id, so monitors with one interval spread over it instead of
//! firing together. A semaphore bounds how many checks run at once. Results go through a
//! channel to one writer task that stores them in batches (one transaction per batch),
//! then sends the notices of the changes of state. A supervisor reloads the monitors when
//! one is saved (and every half minute), restarting the tasks of changed ones.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use chrono::{DateTime, Utc};
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, Notify, Semaphore};
use tokio::time::Instant;

use super::probe::{self, Outcome, Probes};
use super::store::{self, CheckResult, MonitorRecord};
use crate::core::error::AppError;
use crate::core::state::AppState;

/// Checks running at once, at most.
const CONCURRENCY: usize = 256;
/// A batch is written when it has this many results, or `BATCH_WAIT` after its first.
const BATCH_MAX: usize = 500;
const BATCH_WAIT: Duration = Duration::from_millis(200);
/// How often the supervisor reloads the monitors without being asked.
const RELOAD_EVERY: Duration = Duration::from_secs(30);
/// Lateness samples kept (for the benchmark and `/metrics`).
const LATENESS_SAMPLES: usize = 20_000;

/// One result on its way to the writer, with who waits for it (a "check now").
struct Submitted {
    result: CheckResult,
    done: Option<oneshot::Sender<Result<(), AppError>>>,
}

/// The monitors' shared machinery, one per process (in `AppState`).
pub struct Monitors {
    pub probes: Probes,
    writer: OnceLock<mpsc::Sender<Submitted>>,
    reload: Notify,
    slots: Semaphore,
    /// How late checks started, in milliseconds: the newest LATENESS_SAMPLES.
    lateness: Mutex<Vec<u32>>,
    /// When the scheduler next prunes old results.
    next_prune: Mutex<Option<DateTime<Utc>>>,
}

impl Monitors {
    pub fn new() -> Result<Self, String> {
        Ok(Self {
            probes: Probes {
                http: super::guard::HttpClients::new()?,
                roots: std::sync::RwLock::new(super::tls::TrustRoots::system()),
            },
            writer: OnceLock::new(),
            reload: Notify::new(),
            slots: Semaphore::new(CONCURRENCY),
            lateness: Mutex::default(),
            next_prune: Mutex::default(),
        })
    }

    /// Tells the supervisor the monitors changed.
    pub fn reload(&self) {
        self.reload.notify_one();
    }

    /// Lateness of check starts so far: (count, p50, p99, max) in milliseconds.
    pub fn lateness(&self) -> (usize, u32, u32, u32) {
        let mut samples = self
            .lateness
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        samples.sort_unstable();
        let at = |share: f64| {
            samples
                .get(((samples.len() as f64 * share) as usize).min(samples.len().saturating_sub(1)))
                .copied()
                .unwrap_or(0)
        };
        (
            samples.len(),
            at(0.5),
            at(0.99),
            samples.last().copied().unwrap_or(0),
        )
    }

    pub fn clear_lateness(&self) {
        self.lateness
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clear();
    }

    fn note_lateness(&self, late: Duration) {
        let mut samples = self.lateness.lock().unwrap_or_else(PoisonError::into_inner);
        if samples.len() >= LATENESS_SAMPLES {
            samples.remove(0);
        }
        samples.push(u32::try_from(late.as_millis()).unwrap_or(u32::MAX));
    }

    /// The writer's channel, starting the writer on first use.
    fn writer(&self, state: &AppState) -> mpsc::Sender<Submitted> {
        self.writer
            .get_or_init(|| {
                let (sender, receiver) = mpsc::channel(4 * BATCH_MAX);
                tokio::spawn(write_loop(state.clone(), receiver));
                sender
            })
            .clone()
    }
}

/// Runs one check of a monitor now and stores it like a scheduled one; answers what it
/// found once it is stored (and its state decided).
pub async fn check_now(state: &AppState, monitor: &MonitorRecord) -> Result<Outcome, AppError> {
    let now = state.scheduler.now();
    let outcome = probe::check(state, &monitor.spec, now).await;
    let (done, stored) = oneshot::channel();
    submit(state, monitor, now, &outcome, Some(done)).await?;
    stored
        .await
        .map_err(|_| AppError::internal("the monitor writer stopped"))??;
    Ok(outcome)
}

async fn submit(
    state: &AppState,
    monitor: &MonitorRecord,
    at: chrono::DateTime<chrono::Utc>,
    outcome: &Outcome,
    done: Option<oneshot::Sender<Result<(), AppError>>>,
) -> Result<(), AppError> {
    let result = CheckResult {
        monitor_id: monitor.id,
        at,
        ok: outcome.ok,
        latency_ms: outcome.latency_ms,
        message: outcome.message.clone(),
        cert_days: outcome.cert_days,
        down_after: monitor.spec.down_after,
        up_after: monitor.spec.up_after,
    };
    state
        .monitors
        .writer(state)
        .send(Submitted { result, done })
        .await
        .map_err(|_| AppError::internal("the monitor writer stopped"))
}

async fn write_loop(state: AppState, mut receiver: mpsc::Receiver<Submitted>) {
    while let Some(first) = receiver.recv().await {
        let mut batch = vec![first];
        let deadline = Instant::now() + BATCH_WAIT;
        while batch.len() < BATCH_MAX {
            match tokio::time::timeout_at(deadline, receiver.recv()).await {
                Ok(Some(next)) => batch.push(next),
                _ => break,
            }
        }
        let results: Vec<CheckResult> = batch.iter().map(|item| item.result.clone()).collect();
        let written = store::record_batch(&state.db, &results).await;
        let reply = written.as_ref().map(|_| ()).map_err(Clone::clone);
        if let Err(error) = &written {
            tracing::error!(%error, results = results.len(), "monitor results could not be stored");
        }
        for item in batch {
            if let Some(done) = item.done {
                let _ = done.send(reply.clone());
            }
        }
        if let Ok(changes) = written {
            if !changes.is_empty() {
                tokio::spawn(super::service::announce(state.clone(), changes));
            }
        }
    }
}

/// Hooks the retention of old results into the scheduler, which runs all of caretaker's
/// timed work: raw results beyond RAW_KEEP_HOURS and old hourly rollups go once an hour.
pub fn register_retention(state: &AppState) {
    let pruning = state.clone();
    state.scheduler.on_tick(
        "monitors",
        Arc::new(move |now| {
            let state = pruning.clone();
            Box::pin(async move {
                let due = *state
                    .monitors
                    .next_prune
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner);
                if due.is_some_and(|at| now < at) {
                    return due;
                }
                if let Err(error) = store::prune(&state.db, now).await {
                    tracing::warn!(%error, "old monitor results could not be pruned");
                }
                let next = now + chrono::Duration::hours(1);
                *state
                    .monitors
                    .next_prune
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner) = Some(next);
                Some(next)
            })
        }),
    );
}

/// Keeps one task per active monitor, until the process ends.
pub async fn supervise(state: AppState) {
    let mut running: HashMap<i64, (i64, tokio::task::JoinHandle<()>)> = HashMap::new();
    loop {
        match store::list(&state.db).await {
            Ok(monitors) => {
                let active: Vec<MonitorRecord> = monitors
                    .into_iter()
                    .filter(|monitor| !monitor.paused)
                    .collect();
                running.retain(|id, (version, task)| {
                    let current = active.iter().find(|monitor| monitor.id == *id);
                    let keep = current.is_some_and(|monitor| monitor.updated_at == *version);
                    if !keep {
                        task.abort();
                    }
                    keep
                });
                for monitor in active {
                    if !running.contains_key(&monitor.id) {
                        let version = monitor.updated_at;
                        let id = monitor.id;
                        let task = tokio::spawn(run_monitor(state.clone(), monitor));
                        running.insert(id, (version, task));
                    }
                }
            }
            Err(error) => tracing::error!(%error, "the monitors could not be loaded"),
        }
        tokio::select! {
            () = state.monitors.reload.notified() => {}
            () = tokio::time::sleep(RELOAD_EVERY) => {}
        }
    }
}

/// Where in its interval a monitor's checks fall: a hash of its id, so the spread is the
/// same after every restart.
fn offset(id: i64, interval: Duration) -> Duration {
    let interval_ms = interval.as_millis().max(1) as u64;
    let hash = (id as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    Duration::from_millis(hash % interval_ms)
}

async fn run_monitor(state: AppState, monitor: MonitorRecord) {
    let interval = Duration::from_secs(u64::from(monitor.spec.interval_secs.max(1)));
    let mut due = Instant::now() + offset(monitor.id, interval);
    loop {
        tokio::time::sleep_until(due).await;
        let Ok(slot) = state.monitors.slots.acquire().await else {
            return;
        };
        state.monitors.note_lateness(Instant::now() - due);
        let now = state.scheduler.now();
        let outcome = probe::check(&state, &monitor.spec, now).await;
        drop(slot);
        if let Err(error) = submit(&state, &monitor, now, &outcome, None).await {
            tracing::error!(%error, monitor = %monitor.name, "a monitor result was lost");
        }
        due += interval;
        let now = Instant::now();
        if due < now {
            // Behind by a whole interval (a very slow check): skip, do not burst.
            due = now + interval;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_spread_over_the_interval() {
        let interval = Duration::from_secs(60);
        let mut seconds = [0_u32; 60];
        for id in 1..=2000 {
            let at = offset(id, interval);
            assert!(at < interval);
            seconds[at.as_secs() as usize] += 1;
        }
        // 2,000 monitors over 60 seconds: about 33 a second, none crowded.
        assert!(
            seconds.iter().all(|count| (15..=60).contains(count)),
            "{seconds:?}"
        );
    }
}
