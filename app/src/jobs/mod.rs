//! The jobs area: the team's recurring work, run by caretaker's one scheduler
//! (`core::scheduler`), with a history of every run and an alert when a job fails or does
//! not run when it should have.
//!
//! A job is an action (an HTTP request, a command in a container, a service restart), a
//! schedule (cron in a time zone, at startup, before shutdown, or by hand) and a policy
//! (time limit, retries, what to do when the previous run is still going or runs were
//! missed while caretaker was down).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
mod run;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;
#[cfg(feature = "ssr")]
pub mod validate;

/// The most output a run keeps: the start of an HTTP answer, the end of a command's
/// output (where errors usually are).
pub const OUTPUT_KEPT: usize = 8 * 1024;
/// How many runs a job page lists and charts.
pub const RUNS_SHOWN: i64 = 30;

/// What a job does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum JobAction {
    /// An HTTP request; it succeeds on the expected status (any 2xx when none is given).
    Http {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        /// Headers whose names look secret (`Authorization`, `X-Api-Key`…): their values
        /// are sealed with caretaker's key when stored, and never shown again.
        #[serde(default)]
        secret_headers: Vec<(String, String)>,
        body: String,
        expected_status: Option<u16>,
    },
    /// A command in a running container, as an argument vector (no shell unless the
    /// command names one); it succeeds on exit code 0.
    Exec {
        host: String,
        container: String,
        command: Vec<String>,
    },
    /// Restarts a service's production container.
    Restart { service_id: i64, service: String },
    /// Runs a backup plan's backup, repository check or restore drill (`backups` area).
    Backup {
        plan_id: i64,
        plan: String,
        work: crate::backups::Work,
    },
    /// Reads what is new in a log source's files (`analytics` area), as its tailer does.
    Ingest { source_id: i64, source: String },
}

impl JobAction {
    /// "GET https://…", "in web: python manage.py clearsessions", "restart web".
    pub fn summary(&self) -> String {
        match self {
            Self::Http { method, url, .. } => format!("{method} {url}"),
            Self::Exec {
                container, command, ..
            } => format!("in {container}: {}", command.join(" ")),
            Self::Restart { service, .. } => format!("restart {service}"),
            Self::Backup { plan, work, .. } => format!("{} {plan}", work.verb()),
            Self::Ingest { source, .. } => format!("read the log source {source}"),
        }
    }
}

/// When the previous run is still going at the next start.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Overlap {
    /// The new run is skipped (and recorded as skipped).
    Skip,
    /// The new run waits for the previous one, then runs.
    Queue,
}

/// Runs that fell due while caretaker was not running.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatchUp {
    /// Run once at start for all of them.
    Once,
    /// Skip them (recorded, and the job shows it missed runs).
    Skip,
}

/// A job as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSpec {
    pub name: String,
    pub action: JobAction,
    /// `core::schedule::Schedule` as its kind, expression and zone, so the browser can
    /// show it without the scheduler's code.
    pub schedule_kind: String,
    pub expression: String,
    pub zone: String,
    pub timeout_secs: u32,
    pub retries: u32,
    pub retry_delay_secs: u32,
    pub overlap: Overlap,
    pub catch_up: CatchUp,
}

/// How a run went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    Running,
    Succeeded,
    Failed,
    TimedOut,
    /// Not run: the previous run was still going, or runs were missed while caretaker
    /// was down and the job's policy skips them.
    Skipped,
    /// caretaker stopped while it ran.
    Interrupted,
}

impl RunStatus {
    pub const ALL: [RunStatus; 6] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::TimedOut,
        Self::Skipped,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::Skipped => "skipped",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::TimedOut => "timed out",
            Self::Skipped => "skipped",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn is_failure(self) -> bool {
        matches!(self, Self::Failed | Self::TimedOut | Self::Interrupted)
    }
}

/// One run of a job.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    pub id: i64,
    /// schedule, manual, startup, shutdown, catch-up.
    pub trigger: String,
    pub scheduled_for: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub status: RunStatus,
    pub attempts: u32,
    pub exit_code: Option<i64>,
    pub http_status: Option<u16>,
    /// The end of what the run printed or answered.
    pub output: String,
    /// How it went, in a sentence.
    pub message: String,
}

impl RunRecord {
    pub fn duration_secs(&self) -> Option<f64> {
        self.finished_at
            .map(|end| (end - self.started_at).num_milliseconds() as f64 / 1000.0)
    }
}

/// Whether a job needs someone's attention.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum JobHealth {
    /// Nothing to report.
    Fine,
    /// Paused by an admin.
    Paused,
    /// Its last run failed or timed out.
    Failing(String),
    /// It should have run and did not (caretaker was down, or the scheduler is behind).
    Missed(String),
}

impl JobHealth {
    pub fn class(&self) -> &'static str {
        match self {
            Self::Fine => "ok",
            Self::Paused => "paused",
            Self::Failing(_) => "failing",
            Self::Missed(_) => "missed",
        }
    }

    pub fn label(&self) -> String {
        match self {
            Self::Fine => "fine".to_owned(),
            Self::Paused => "paused".to_owned(),
            Self::Failing(why) | Self::Missed(why) => why.clone(),
        }
    }
}

/// A job as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobSummary {
    pub id: i64,
    pub name: String,
    pub action: String,
    pub schedule: String,
    pub paused: bool,
    pub next_run_at: Option<DateTime<Utc>>,
    pub last_run: Option<RunRecord>,
    pub health: JobHealth,
}

/// One job with everything its page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobView {
    pub summary: JobSummary,
    pub form: JobForm,
    /// The next five runs, as a check of the expression.
    pub upcoming: Vec<DateTime<Utc>>,
    /// The monitor that alerts when the job fails or misses a run: id and name.
    pub monitor: Option<(i64, String)>,
    pub actions_allowed: bool,
}

/// A job's recent runs, newest first, and their run-time chart (SVG drawn on the server).
/// Apart from [`JobView`], so the runs can refresh without touching the edit form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobRuns {
    pub runs: Vec<RunRecord>,
    pub chart: String,
}

/// The job form, as typed. Fields of the other kinds are ignored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct JobForm {
    pub name: String,
    /// `http`, `exec` or `restart`.
    pub kind: String,
    /// `cron`, `startup`, `shutdown` or `manual`.
    pub schedule_kind: String,
    #[serde(default)]
    pub expression: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub method: String,
    #[serde(default)]
    pub url: String,
    /// One `Name: value` per line.
    #[serde(default)]
    pub headers: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub expected_status: String,
    #[serde(default)]
    pub host: String,
    #[serde(default)]
    pub container: String,
    /// Words, quoted like a shell would (`python -c "print(1)"`), but never run by one.
    #[serde(default)]
    pub command: String,
    #[serde(default)]
    pub service: String,
    /// The backup plan's id, and `backup`, `check` or `drill`.
    #[serde(default)]
    pub plan: String,
    #[serde(default)]
    pub work: String,
    /// The log source's id, for `ingest` jobs.
    #[serde(default)]
    pub log_source: String,
    #[serde(default)]
    pub timeout: String,
    #[serde(default)]
    pub retries: String,
    #[serde(default)]
    pub retry_delay: String,
    #[serde(default)]
    pub overlap: String,
    #[serde(default)]
    pub catch_up: String,
}

impl Default for JobForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: "http".to_owned(),
            schedule_kind: "cron".to_owned(),
            expression: "15 * * * *".to_owned(),
            zone: "UTC".to_owned(),
            method: "POST".to_owned(),
            url: String::new(),
            headers: String::new(),
            body: String::new(),
            expected_status: String::new(),
            host: "local".to_owned(),
            container: String::new(),
            command: String::new(),
            service: String::new(),
            plan: String::new(),
            work: String::new(),
            log_source: String::new(),
            timeout: "60s".to_owned(),
            retries: "0".to_owned(),
            retry_delay: "10s".to_owned(),
            overlap: "skip".to_owned(),
            catch_up: "once".to_owned(),
        }
    }
}
