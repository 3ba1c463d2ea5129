//! Monitors: checks on an interval, incidents, notifications, and the public status page.
//!
//! A monitor is a target (an HTTP(S) URL, a TCP port, a container, an Ollama server, a TLS
//! certificate, a backup plan's freshness, a job's heartbeat or the Swarm's nodes), an interval and two
//! thresholds: it goes down after `down_after` failed checks in a row and up again after
//! `up_after` good ones, so one lost packet does not page anybody. Each change of state
//! opens or closes an incident and sends one notice to every channel, unless a maintenance
//! window covers it.
//!
//! The runner (`runner.rs`) starts each monitor's checks on its interval, spread over the
//! interval so they do not fire together, with a bound on how many run at once. Results
//! go to one writer that stores them in batches and adds them to hourly and daily rollups
//! in the same transaction; uptime is read from the rollups.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod notify;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod probe;
#[cfg(feature = "ssr")]
pub mod runner;
#[cfg(feature = "ssr")]
pub mod service;
pub mod status;
#[cfg(feature = "ssr")]
mod store;
#[cfg(feature = "ssr")]
pub mod tls;
#[cfg(feature = "ssr")]
pub mod validate;

/// Monitors per page of the list.
pub const PAGE_SIZE: usize = 100;
/// Raw results are kept this long (the response-time chart); the rollups keep the rest.
pub const RAW_KEEP_HOURS: i64 = 48;
/// The shortest interval a monitor may have.
pub const MIN_INTERVAL_SECS: u32 = 10;

/// What a monitor checks.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Target {
    /// Up when the answer has an expected status and the keyword is (or is not) in it.
    Http {
        method: String,
        url: String,
        headers: Vec<(String, String)>,
        /// Headers whose names look secret (`Authorization`…): values sealed with
        /// caretaker's key, never shown again.
        #[serde(default)]
        secret_headers: Vec<(String, String)>,
        /// Accepted statuses, like "200-299" or "200,301".
        expected_status: String,
        keyword: String,
        keyword_absent: bool,
        follow_redirects: bool,
    },
    /// Up when a TCP connection opens.
    Tcp { host: String, port: u16 },
    /// Up when the container runs (and is healthy, when it has a health check).
    Container { host: String, container: String },
    /// Up when the Ollama server answers `GET /api/version`.
    Ollama { url: String },
    /// Up when the served chain is trusted, for this name, and expires in more than
    /// `warn_days` days.
    Tls {
        host: String,
        port: u16,
        /// The name asked for in the handshake (SNI) and checked in the certificate;
        /// the host when empty.
        server_name: String,
        warn_days: u32,
    },
    /// Up when every copy of the plan has a good backup within the backups area's
    /// freshness limit.
    BackupFreshness { plan_id: i64, plan: String },
    /// Up when the job's newest run did not fail, no run was missed, and (unless
    /// `within_minutes` is 0: the job's schedule alone decides) a run succeeded within
    /// `within_minutes`.
    JobHeartbeat {
        job_id: i64,
        job: String,
        within_minutes: u32,
    },
    /// Up when every node of the local engine's Docker Swarm is ready (the engine must be
    /// a Swarm manager); down, naming the nodes, when one is down or unreachable.
    SwarmNodes {},
}

impl Target {
    pub fn kind(&self) -> MonitorKind {
        match self {
            Self::Http { .. } => MonitorKind::Http,
            Self::Tcp { .. } => MonitorKind::Tcp,
            Self::Container { .. } => MonitorKind::Container,
            Self::Ollama { .. } => MonitorKind::Ollama,
            Self::Tls { .. } => MonitorKind::Tls,
            Self::BackupFreshness { .. } => MonitorKind::BackupFreshness,
            Self::JobHeartbeat { .. } => MonitorKind::JobHeartbeat,
            Self::SwarmNodes {} => MonitorKind::SwarmNodes,
        }
    }

    /// The target in a few words, for admins ("GET https://…", "db:5432").
    pub fn describe(&self) -> String {
        match self {
            Self::Http { method, url, .. } => format!("{method} {url}"),
            Self::Tcp { host, port } => format!("{host}:{port}"),
            Self::Container { host, container } => format!("{container} on {host}"),
            Self::Ollama { url } => url.clone(),
            Self::Tls {
                host,
                port,
                server_name,
                ..
            } if !server_name.is_empty() && server_name != host => {
                format!("{host}:{port} as {server_name}")
            }
            Self::Tls { host, port, .. } => format!("{host}:{port}"),
            Self::BackupFreshness { plan, .. } => format!("backup plan {plan}"),
            Self::JobHeartbeat {
                job,
                within_minutes: 0,
                ..
            } => format!("job {job}, on its schedule"),
            Self::JobHeartbeat {
                job,
                within_minutes,
                ..
            } => format!("job {job}, every {within_minutes} min"),
            Self::SwarmNodes {} => "every Swarm node".to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorKind {
    Http,
    Tcp,
    Container,
    Ollama,
    Tls,
    BackupFreshness,
    JobHeartbeat,
    SwarmNodes,
}

impl MonitorKind {
    pub const ALL: [MonitorKind; 8] = [
        Self::Http,
        Self::Tcp,
        Self::Container,
        Self::Ollama,
        Self::Tls,
        Self::BackupFreshness,
        Self::JobHeartbeat,
        Self::SwarmNodes,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Http => "http",
            Self::Tcp => "tcp",
            Self::Container => "container",
            Self::Ollama => "ollama",
            Self::Tls => "tls",
            Self::BackupFreshness => "backup_freshness",
            Self::JobHeartbeat => "job_heartbeat",
            Self::SwarmNodes => "swarm_nodes",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| kind.as_str() == text)
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Http => "HTTP(S)",
            Self::Tcp => "TCP port",
            Self::Container => "Container",
            Self::Ollama => "Ollama server",
            Self::Tls => "TLS certificate",
            Self::BackupFreshness => "Backup freshness",
            Self::JobHeartbeat => "Job heartbeat",
            Self::SwarmNodes => "Swarm nodes",
        }
    }
}

/// A monitor as stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorSpec {
    pub target: Target,
    pub interval_secs: u32,
    pub timeout_secs: u32,
    /// Failed checks in a row before it is down.
    pub down_after: u32,
    /// Good checks in a row before it is up again.
    pub up_after: u32,
    /// Link-local and cloud metadata addresses are refused unless this is set.
    #[serde(default)]
    pub allow_link_local: bool,
}

/// The monitor form, as typed. `target` is the URL, `host:port` or container, by kind.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorForm {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub target: String,
    #[serde(default)]
    pub method: String,
    /// `Name: value`, one per line.
    #[serde(default)]
    pub headers: String,
    #[serde(default)]
    pub expected_status: String,
    #[serde(default)]
    pub keyword: String,
    /// "present" or "absent".
    #[serde(default)]
    pub keyword_mode: String,
    #[serde(default)]
    pub follow_redirects: Option<String>,
    #[serde(default)]
    pub server_name: String,
    #[serde(default)]
    pub warn_days: String,
    #[serde(default)]
    pub plan_id: String,
    #[serde(default)]
    pub job_id: String,
    #[serde(default)]
    pub within_minutes: String,
    pub interval_secs: String,
    pub timeout_secs: String,
    pub down_after: String,
    pub up_after: String,
    #[serde(default)]
    pub allow_link_local: Option<String>,
    #[serde(default)]
    pub published: Option<String>,
    #[serde(default)]
    pub public_name: String,
}

impl Default for MonitorForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            kind: "http".to_owned(),
            target: String::new(),
            method: "GET".to_owned(),
            headers: String::new(),
            expected_status: "200-299".to_owned(),
            keyword: String::new(),
            keyword_mode: "present".to_owned(),
            follow_redirects: Some("on".to_owned()),
            server_name: String::new(),
            warn_days: "14".to_owned(),
            plan_id: String::new(),
            job_id: String::new(),
            within_minutes: "1500".to_owned(),
            interval_secs: "60".to_owned(),
            timeout_secs: "10".to_owned(),
            down_after: "3".to_owned(),
            up_after: "2".to_owned(),
            allow_link_local: None,
            published: None,
            public_name: String::new(),
        }
    }
}

/// A monitor's state: unknown until its thresholds first decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MonitorState {
    Unknown,
    Up,
    Down,
}

impl MonitorState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unknown => "unknown",
            Self::Up => "up",
            Self::Down => "down",
        }
    }

    pub fn parse(text: &str) -> Self {
        match text {
            "up" => Self::Up,
            "down" => Self::Down,
            _ => Self::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unknown => "Waiting for checks",
            Self::Up => "Up",
            Self::Down => "Down",
        }
    }
}

/// Share of good checks over 24 hours, 7, 30 and 90 days (`None` without checks).
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Uptime {
    pub day: Option<f64>,
    pub week: Option<f64>,
    pub month: Option<f64>,
    pub quarter: Option<f64>,
}

/// One row of the monitors list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorSummary {
    pub id: i64,
    pub name: String,
    pub kind: MonitorKind,
    pub target: String,
    pub state: MonitorState,
    pub state_since: Option<DateTime<Utc>>,
    pub last_check_at: Option<DateTime<Utc>>,
    pub last_ok: Option<bool>,
    pub last_latency_ms: Option<i64>,
    pub last_message: String,
    pub cert_days: Option<i64>,
    pub interval_secs: u32,
    pub paused: bool,
    pub published: bool,
    pub uptime: Uptime,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    pub id: i64,
    pub monitor_id: i64,
    pub monitor: String,
    pub started_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub cause: String,
    pub silenced: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Channel {
    pub id: i64,
    pub name: String,
    pub summary: String,
}

/// The channel form. `kind` is webhook, slack, discord, ntfy or email; the other fields
/// are read by kind.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ChannelForm {
    pub name: String,
    pub kind: String,
    #[serde(default)]
    pub url: String,
    #[serde(default)]
    pub topic: String,
    #[serde(default)]
    pub token: String,
    #[serde(default)]
    pub smtp_host: String,
    #[serde(default)]
    pub smtp_port: String,
    #[serde(default)]
    pub smtp_security: String,
    #[serde(default)]
    pub username: String,
    #[serde(default)]
    pub password: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Maintenance {
    pub id: i64,
    /// `None`: every monitor.
    pub monitor_id: Option<i64>,
    pub monitor: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub note: String,
}

/// The maintenance form; times are typed in the viewer's zone (`zone`, an IANA name the
/// page fills in) as `YYYY-MM-DDTHH:MM` (what `<input type="datetime-local">` sends).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct MaintenanceForm {
    #[serde(default)]
    pub monitor_id: String,
    pub starts_at: String,
    pub ends_at: String,
    #[serde(default)]
    pub zone: String,
    #[serde(default)]
    pub note: String,
}

/// The monitors page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorsOverview {
    /// One page of the monitors that match the filter: down first, then waiting, up and
    /// paused, by name within each.
    pub monitors: Vec<MonitorSummary>,
    /// Monitors that match the filter, over all pages.
    pub matching: usize,
    pub page: usize,
    pub pages: usize,
    pub filter: String,
    /// Every monitor: (up, down, waiting, paused).
    pub counts: (usize, usize, usize, usize),
    /// Every monitor (id, name), for the maintenance form.
    pub names: Vec<(i64, String)>,
    pub open_incidents: Vec<Incident>,
    pub channels: Vec<Channel>,
    pub maintenance: Vec<Maintenance>,
    pub can_edit: bool,
}

/// A monitor's page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MonitorView {
    pub summary: MonitorSummary,
    pub form: MonitorForm,
    pub incidents: Vec<Incident>,
    /// Server-drawn SVG documents.
    pub response_chart: String,
    pub uptime_chart: String,
    pub can_edit: bool,
}

/// What the public status page shows of one published monitor: nothing else.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicService {
    pub name: String,
    pub state: MonitorState,
    pub uptime: Uptime,
    /// TLS monitors: days until the certificate chain's first expiry.
    pub certificate_days_left: Option<i64>,
    /// Backup-freshness monitors: when the plan's oldest copy was last backed up.
    pub last_backup: Option<DateTime<Utc>>,
    /// The open incident's start, when it is down.
    pub down_since: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublicStatus {
    pub services: Vec<PublicService>,
    pub generated_at: DateTime<Utc>,
}

impl PublicStatus {
    /// "All services are up", "1 service is down", "No services are published".
    pub fn headline(&self) -> String {
        let down = self
            .services
            .iter()
            .filter(|service| service.state == MonitorState::Down)
            .count();
        match (self.services.len(), down) {
            (0, _) => "No services are published yet".to_owned(),
            (_, 0) => "All services are up".to_owned(),
            (_, 1) => "1 service is down".to_owned(),
            (_, down) => format!("{down} services are down"),
        }
    }
}

/// A percentage for people: "99.95 %", "100 %", "—" without checks.
pub fn percent(share: Option<f64>) -> String {
    match share {
        None => "—".to_owned(),
        Some(share) if share >= 1.0 => "100 %".to_owned(),
        Some(share) => format!("{:.2} %", (share * 100.0).min(99.99)),
    }
}

/// A certificate's remaining life for people: "12 days left", "expires today", "expired 3
/// days ago".
pub fn certificate_left(days: i64) -> String {
    match days {
        ..-1 => format!("expired {} days ago", -days),
        -1 => "expired yesterday".to_owned(),
        0 => "expires today".to_owned(),
        1 => "1 day left".to_owned(),
        _ => format!("{days} days left"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn certificate_lives_read_well() {
        assert_eq!(super::certificate_left(30), "30 days left");
        assert_eq!(super::certificate_left(1), "1 day left");
        assert_eq!(super::certificate_left(0), "expires today");
        assert_eq!(super::certificate_left(-1), "expired yesterday");
        assert_eq!(super::certificate_left(-3), "expired 3 days ago");
    }
}
