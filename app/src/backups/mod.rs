//! The backups area: restic repositories; plans (what to back up, where, how long to
//! keep it); runs with a history; restore; and restore drills that prove a backup can be
//! restored. Schedules are jobs (`jobs::JobAction::Backup`) on caretaker's one scheduler.
//!
//! restic is driven as a program (`restic.rs`) with argument vectors and its JSON output.
//! A repository's password is a file the admin keeps, or a secret sealed with caretaker's
//! key: it is never stored or shown in plain text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
mod drill;
pub mod pages;
pub mod plan_pages;
#[cfg(feature = "ssr")]
mod postgres;
#[cfg(feature = "ssr")]
pub mod restic;
#[cfg(feature = "ssr")]
pub mod restore;
#[cfg(feature = "ssr")]
mod run;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod snapshot;
#[cfg(feature = "ssr")]
mod store;
pub mod validate;

/// What a plan backs up. Each source becomes its own snapshot, tagged with the plan and
/// the source, so retention and restore work per source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Source {
    /// A directory or file on this machine.
    Path { path: String },
    /// A named Docker volume of the engine caretaker runs beside (its files on this disk).
    Volume { volume: String },
    /// caretaker's own database, copied consistently with `VACUUM INTO` first.
    CaretakerDatabase,
    /// A database inside a container, dumped by its own tool and streamed to restic.
    Dump {
        host: String,
        container: String,
        engine: DumpEngine,
        /// The database name (PostgreSQL, MySQL) or the file inside the container (SQLite).
        database: String,
        /// The database user (PostgreSQL, MySQL); unused for SQLite.
        #[serde(default)]
        user: String,
    },
}

impl Source {
    /// The tag that names this source in its snapshots: `path:/srv/app`, `volume:pgdata`.
    pub fn tag(&self) -> String {
        match self {
            Self::Path { path } => format!("path:{path}"),
            Self::Volume { volume } => format!("volume:{volume}"),
            Self::CaretakerDatabase => "caretaker-db".to_owned(),
            Self::Dump {
                container,
                database,
                ..
            } => format!("dump:{container}:{database}"),
        }
    }

    /// How the page names it: "/srv/app", "volume pgdata", "PostgreSQL app in db".
    pub fn label(&self) -> String {
        match self {
            Self::Path { path } => path.clone(),
            Self::Volume { volume } => format!("volume {volume}"),
            Self::CaretakerDatabase => "caretaker's database".to_owned(),
            Self::Dump {
                container,
                engine,
                database,
                ..
            } => format!("{} {database} in {container}", engine.label()),
        }
    }

    /// The one line the plan form shows for it (parsed back by `validate::sources`).
    pub fn line(&self) -> String {
        match self {
            Self::Path { path } => path.clone(),
            Self::Volume { volume } => format!("volume:{volume}"),
            Self::CaretakerDatabase => "caretaker-db".to_owned(),
            Self::Dump {
                host,
                container,
                engine,
                database,
                user,
            } => {
                let user = if user.is_empty() {
                    String::new()
                } else {
                    format!(" user={user}")
                };
                format!(
                    "{}:{container}:{database}{user}{}",
                    engine.as_str(),
                    if host == crate::containers::LOCAL_HOST_ID {
                        String::new()
                    } else {
                        format!(" host={host}")
                    }
                )
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DumpEngine {
    Postgres,
    Mysql,
    Sqlite,
}

impl DumpEngine {
    pub const ALL: [DumpEngine; 3] = [Self::Postgres, Self::Mysql, Self::Sqlite];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Postgres => "postgres",
            Self::Mysql => "mysql",
            Self::Sqlite => "sqlite",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Postgres => "PostgreSQL",
            Self::Mysql => "MySQL",
            Self::Sqlite => "SQLite",
        }
    }
}

/// The seeds' three kinds of data, kept apart (each plan has one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataClass {
    System,
    Application,
    User,
}

impl DataClass {
    pub const ALL: [DataClass; 3] = [Self::System, Self::Application, Self::User];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::System => "system",
            Self::Application => "application",
            Self::User => "user",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|class| class.as_str() == text)
    }
}

/// How many snapshots `forget --prune` keeps, per source; none set keeps everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Retention {
    pub keep_last: Option<u32>,
    pub keep_daily: Option<u32>,
    pub keep_weekly: Option<u32>,
    pub keep_monthly: Option<u32>,
}

impl Retention {
    pub fn is_set(&self) -> bool {
        self.keep_last.is_some()
            || self.keep_daily.is_some()
            || self.keep_weekly.is_some()
            || self.keep_monthly.is_some()
    }

    /// "last 7, daily 14, weekly 8" or "everything".
    pub fn describe(&self) -> String {
        let parts: Vec<String> = [
            ("last", self.keep_last),
            ("daily", self.keep_daily),
            ("weekly", self.keep_weekly),
            ("monthly", self.keep_monthly),
        ]
        .into_iter()
        .filter_map(|(label, count)| count.map(|count| format!("{label} {count}")))
        .collect();
        if parts.is_empty() {
            "everything".to_owned()
        } else {
            parts.join(", ")
        }
    }
}

/// A container a plan stops during its backup and starts again after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerRef {
    pub host: String,
    pub container: String,
}

/// A plan as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSpec {
    pub name: String,
    pub data_class: DataClass,
    pub sources: Vec<Source>,
    pub excludes: Vec<String>,
    pub tags: Vec<String>,
    pub repositories: Vec<i64>,
    pub stop_containers: Vec<ContainerRef>,
    pub retention: Retention,
    pub check_subset: String,
}

/// The plan form, as typed: lists one item per line.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PlanForm {
    pub name: String,
    pub data_class: String,
    pub sources: String,
    #[serde(default)]
    pub excludes: String,
    #[serde(default)]
    pub tags: String,
    /// The chosen repositories' ids (checkboxes).
    #[serde(default)]
    pub repositories: Vec<String>,
    /// `container` or `host/container`, one per line.
    #[serde(default)]
    pub stop_containers: String,
    #[serde(default)]
    pub keep_last: String,
    #[serde(default)]
    pub keep_daily: String,
    #[serde(default)]
    pub keep_weekly: String,
    #[serde(default)]
    pub keep_monthly: String,
    #[serde(default)]
    pub check_subset: String,
}

/// What a run of a plan does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Work {
    Backup,
    Check,
    Drill,
}

impl Work {
    pub const ALL: [Work; 3] = [Self::Backup, Self::Check, Self::Drill];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Backup => "backup",
            Self::Check => "check",
            Self::Drill => "drill",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|work| work.as_str() == text)
    }

    /// The kind of the task that does it, as its progress bar is titled.
    pub fn task_kind(self) -> &'static str {
        match self {
            Self::Backup => "backup",
            Self::Check => "repository check",
            Self::Drill => "restore drill",
        }
    }

    /// "back up", "check", "drill".
    pub fn verb(self) -> &'static str {
        match self {
            Self::Backup => "back up",
            Self::Check => "check",
            Self::Drill => "restore drill",
        }
    }
}

/// How a run on one repository went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackupStatus {
    Running,
    Succeeded,
    /// restic exit 3: a snapshot was saved without some unreadable files. Never success.
    Partial,
    Failed,
    /// caretaker stopped, or the run was cancelled, before it finished.
    Interrupted,
}

impl BackupStatus {
    pub const ALL: [BackupStatus; 5] = [
        Self::Running,
        Self::Succeeded,
        Self::Partial,
        Self::Failed,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Partial => "partial",
            Self::Failed => "failed",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }
}

/// One row of a plan's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupRun {
    pub id: i64,
    pub repository: String,
    pub work: Work,
    pub status: BackupStatus,
    /// schedule, manual, cli.
    pub trigger: String,
    pub actor: String,
    pub task_id: Option<String>,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub files_new: Option<i64>,
    pub files_changed: Option<i64>,
    pub bytes_added: Option<i64>,
    pub snapshot_ids: Vec<String>,
    pub exit_code: Option<i64>,
    pub message: String,
}

impl BackupRun {
    pub fn duration_secs(&self) -> Option<f64> {
        self.finished_at
            .map(|end| (end - self.started_at).num_milliseconds() as f64 / 1000.0)
    }
}

/// A plan at a glance: per repository, the last good backup and drill.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanSummary {
    pub id: i64,
    pub spec: PlanSpec,
    pub copies: Vec<CopyStatus>,
    /// Three copies (the original and two backups), one of them off-site.
    pub three_two_one: bool,
    pub last_drill: Option<BackupRun>,
    pub running: bool,
}

/// One repository's copy of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CopyStatus {
    pub repository_id: i64,
    pub repository: String,
    pub offsite: bool,
    pub last_good: Option<DateTime<Utc>>,
    /// No good backup within [`STALE_AFTER_HOURS`].
    pub stale: bool,
    pub last_run: Option<BackupRun>,
}

/// A copy older than this is stale: a daily backup, with a few hours of slack.
pub const STALE_AFTER_HOURS: i64 = 26;

/// A plan's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanView {
    pub summary: PlanSummary,
    pub form: PlanForm,
    pub runs: Vec<BackupRun>,
    /// Each repository of the plan (id, name), for the snapshot browser.
    pub repositories: Vec<(i64, String)>,
    /// Every listed repository (id, name, off-site), for the form's checkboxes.
    pub choices: Vec<(i64, String, bool)>,
    /// The plan's newest tasks (backups, checks, drills, restores), running ones first.
    pub tasks: Vec<crate::tasks::TaskSnapshot>,
    /// The jobs that run this plan on a schedule: (job id, what, schedule).
    pub schedules: Vec<(i64, String, String)>,
    pub actions_allowed: bool,
}

/// One snapshot of a plan, as the restore browser lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SnapshotRow {
    pub id: String,
    pub short_id: String,
    pub time: DateTime<Utc>,
    pub paths: Vec<String>,
    pub tags: Vec<String>,
}

/// One entry of a snapshot's tree.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TreeEntry {
    pub name: String,
    pub path: String,
    pub kind: String,
    pub size: Option<u64>,
}

/// What the restore form sends.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RestoreForm {
    pub plan: i64,
    pub repository: i64,
    pub snapshot: String,
    /// Paths inside the snapshot, one per line; empty restores everything.
    #[serde(default)]
    pub paths: String,
    /// `directory` or `volume`.
    pub target_kind: String,
    #[serde(default)]
    pub directory: String,
    #[serde(default)]
    pub volume: String,
    /// The ticked confirmation.
    #[serde(default)]
    pub confirm: Option<String>,
}

/// A repository and what asking restic just now found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepositoryStatus {
    pub id: i64,
    pub name: String,
    pub location: String,
    /// "the file /etc/caretaker/restic.pass", "a secret stored encrypted".
    pub password_from: String,
    pub offsite: bool,
    /// The snapshots when restic opened it; why not, in a sentence.
    pub facts: Result<RepositoryFacts, String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RepositoryFacts {
    pub snapshots: usize,
    pub latest: Option<DateTime<Utc>>,
}

/// The form that adds a repository.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RepositoryForm {
    pub name: String,
    pub location: String,
    /// `secret` (typed here, stored encrypted) or `file` (a path caretaker reads).
    pub password_source: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub password_file: String,
    /// A ticked box sends `on`.
    #[serde(default)]
    pub offsite: Option<String>,
    /// Ticked: create a new repository there (`restic init`); else open an existing one.
    #[serde(default)]
    pub init: Option<String>,
}

/// The repositories page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackupsOverview {
    pub repositories: Vec<RepositoryStatus>,
    pub plans: Vec<PlanSummary>,
    pub actions_allowed: bool,
}
