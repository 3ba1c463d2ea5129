//! The one scheduler of caretaker: it decides *when*, areas decide *what*.
//!
//! Areas keep their schedulable things in their own tables (a job, a backup plan, a log
//! source), each with a [`Schedule`](super::schedule::Schedule) and its next due time. They
//! register with the scheduler:
//! - a **ticker**: called with the current time, it starts whatever is due and answers when
//!   it next needs to be called;
//! - **startup** and **shutdown hooks**: run when caretaker starts, and when it is asked to
//!   stop (SIGTERM, Ctrl-C) before it exits, within a time limit.
//!
//! The time comes from a [`Clock`], so tests set the time instead of waiting for it.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::sync::Notify;

/// Where the scheduler and the areas read the time.
pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
}

/// The real time.
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until a test moves it.
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = at;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;
/// Starts what is due at the given time; answers when it is next due, if ever.
pub type Ticker = Arc<dyn Fn(DateTime<Utc>) -> BoxFuture<Option<DateTime<Utc>>> + Send + Sync>;
/// Work run once at startup or before shutdown.
pub type Hook = Arc<dyn Fn() -> BoxFuture<()> + Send + Sync>;

/// The longest the loop sleeps without looking: a clock change or a lost wake-up is
/// noticed within this.
const LONGEST_SLEEP: Duration = Duration::from_secs(30);

pub struct Scheduler {
    /// Swappable, so a test can put a [`ManualClock`] into a running app.
    clock: std::sync::RwLock<Arc<dyn Clock>>,
    tickers: Mutex<Vec<(&'static str, Ticker)>>,
    startup: Mutex<Vec<(&'static str, Hook)>>,
    shutdown: Mutex<Vec<(&'static str, Hook)>>,
    wake: Notify,
}

impl Scheduler {
    pub fn new(clock: Arc<dyn Clock>) -> Self {
        Self {
            clock: std::sync::RwLock::new(clock),
            tickers: Mutex::default(),
            startup: Mutex::default(),
            shutdown: Mutex::default(),
            wake: Notify::new(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .now()
    }

    /// Reads the time from `clock` from now on (tests).
    pub fn use_clock(&self, clock: Arc<dyn Clock>) {
        *self.clock.write().unwrap_or_else(PoisonError::into_inner) = clock;
    }

    pub fn on_tick(&self, area: &'static str, ticker: Ticker) {
        lock(&self.tickers).push((area, ticker));
        self.wake();
    }

    pub fn on_startup(&self, area: &'static str, hook: Hook) {
        lock(&self.startup).push((area, hook));
    }

    pub fn before_shutdown(&self, area: &'static str, hook: Hook) {
        lock(&self.shutdown).push((area, hook));
    }

    /// Something's schedule changed: look again now rather than at the planned time.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// Calls every ticker once with the current time; answers the earliest next due time.
    pub async fn tick(&self) -> Option<DateTime<Utc>> {
        let now = self.now();
        let tickers = lock(&self.tickers).clone();
        let mut next: Option<DateTime<Utc>> = None;
        for (_, ticker) in tickers {
            if let Some(due) = ticker(now).await {
                next = Some(next.map_or(due, |next| next.min(due)));
            }
        }
        next
    }

    /// Ticks for ever, sleeping until the next due time, a wake-up, or [`LONGEST_SLEEP`].
    pub async fn run(self: Arc<Self>) {
        loop {
            let next = self.tick().await;
            // A due time already past (to_std fails on a negative span) means: look again now.
            let sleep = match next {
                Some(due) => (due - self.now()).to_std().unwrap_or(Duration::ZERO),
                None => LONGEST_SLEEP,
            }
            .min(LONGEST_SLEEP);
            tokio::select! {
                _ = tokio::time::sleep(sleep) => {}
                _ = self.wake.notified() => {}
            }
        }
    }

    /// Runs every startup hook, all at once, and waits for them.
    pub async fn startup(&self) {
        let hooks = lock(&self.startup).clone();
        futures::future::join_all(hooks.into_iter().map(|(_, hook)| hook())).await;
    }

    /// Runs every shutdown hook, all at once, for at most `limit`; answers whether they
    /// all finished in time.
    pub async fn shutdown(&self, limit: Duration) -> bool {
        let hooks = lock(&self.shutdown).clone();
        let all = futures::future::join_all(hooks.into_iter().map(|(_, hook)| hook()));
        match tokio::time::timeout(limit, all).await {
            Ok(_) => true,
            Err(_) => {
                tracing::warn!(
                    limit_secs = limit.as_secs(),
                    "shutdown work did not finish within its time limit; stopping anyway"
                );
                false
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use chrono::TimeZone;

    use super::*;

    #[tokio::test]
    async fn tick_reports_the_earliest_next_time_of_all_areas() {
        let start = Utc.with_ymd_and_hms(2026, 11, 22, 10, 0, 0).unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let scheduler = Scheduler::new(clock.clone());
        let seen = Arc::new(Mutex::new(Vec::new()));
        for (area, minutes) in [("a", 15), ("b", 5)] {
            let seen = seen.clone();
            scheduler.on_tick(
                area,
                Arc::new(move |now| {
                    seen.lock().unwrap().push((area, now));
                    Box::pin(async move { Some(now + chrono::Duration::minutes(minutes)) })
                }),
            );
        }
        assert_eq!(
            scheduler.tick().await,
            Some(start + chrono::Duration::minutes(5))
        );
        clock.advance(chrono::Duration::minutes(5));
        scheduler.tick().await;
        let seen = seen.lock().unwrap().clone();
        assert_eq!(seen.len(), 4);
        assert_eq!(seen[3], ("b", start + chrono::Duration::minutes(5)));
    }

    #[tokio::test]
    async fn shutdown_work_gets_its_time_limit_and_no_more() {
        let scheduler = Scheduler::new(Arc::new(SystemClock));
        let finished = Arc::new(AtomicUsize::new(0));
        for delay in [10, 5_000] {
            let finished = finished.clone();
            scheduler.before_shutdown(
                "test",
                Arc::new(move || {
                    let finished = finished.clone();
                    Box::pin(async move {
                        tokio::time::sleep(Duration::from_millis(delay)).await;
                        finished.fetch_add(1, Ordering::SeqCst);
                    })
                }),
            );
        }
        assert!(!scheduler.shutdown(Duration::from_millis(200)).await);
        assert_eq!(
            finished.load(Ordering::SeqCst),
            1,
            "the quick one ran, the slow one was cut"
        );
    }
}
