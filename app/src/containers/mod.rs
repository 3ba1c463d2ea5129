//! The containers area: every container of every Docker host in one view, with actions,
//! details, logs and live stats.
//!
//! The list is served from a snapshot per host that a background worker refreshes
//! (`fleet::Fleet`), so a page never waits for an engine, and an unreachable host only
//! marks itself.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod fleet;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;

/// The id of the engine from the `docker.host` setting; added hosts have numeric ids.
pub const LOCAL_HOST_ID: &str = "local";

/// One Docker engine and what the last check of it found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostStatus {
    pub id: String,
    pub name: String,
    /// `unix:///var/run/docker.sock`, `tcp://10.0.0.2:2376 (TLS)`.
    pub endpoint: String,
    /// Added hosts can be removed; the local one comes from the configuration.
    pub removable: bool,
    pub check: Option<HostCheck>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HostCheck {
    pub at: DateTime<Utc>,
    /// The engine's version when it answered; the reason in a sentence when it did not.
    pub outcome: Result<String, String>,
    pub containers: usize,
    pub running: usize,
}

/// One container as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerRow {
    pub host_id: String,
    pub host_name: String,
    /// The full id; pages show the first 12 characters.
    pub id: String,
    pub name: String,
    pub image: String,
    /// created, running, paused, restarting, exited, dead…
    pub state: String,
    /// Docker's own summary, `Up 5 minutes`.
    pub status: String,
    /// healthy, unhealthy, starting; `None` without a health check.
    pub health: Option<String>,
    /// `127.0.0.1:8080→80/tcp`, or `80/tcp` when not published.
    pub ports: Vec<String>,
    pub created: Option<DateTime<Utc>>,
    pub usage: Option<Usage>,
    /// The Swarm node of a Swarm task's container: its id from the container's labels,
    /// named (`vm (10.0.0.2)`) when the list is served and the manager knows it.
    #[serde(default)]
    pub node: Option<String>,
}

impl ContainerRow {
    pub fn short_id(&self) -> &str {
        &self.id[..self.id.len().min(12)]
    }
}

/// CPU and memory of a running container from the last background sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// Percent of one CPU (200 = two CPUs busy); `None` until two samples exist.
    pub cpu_percent: Option<f64>,
    pub memory_bytes: u64,
    pub memory_limit: Option<u64>,
}

/// The list's search and filters, as they appear in the page's query string.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ContainerFilter {
    /// Matches name, image, id or host (case-insensitive).
    pub q: String,
    /// A host id, or empty for all.
    pub host: String,
    /// `running`, `exited`, …, or empty for all.
    pub state: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerList {
    pub hosts: Vec<HostStatus>,
    pub containers: Vec<ContainerRow>,
    /// How many containers there are before the filter.
    pub total: usize,
    /// The states present, for the filter's choices.
    pub states: Vec<String>,
    pub actions_allowed: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContainerAction {
    Start,
    Stop,
    Restart,
    Remove,
}

impl ContainerAction {
    pub fn verb(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Restart => "restart",
            Self::Remove => "remove",
        }
    }
}

/// What `docker inspect` says, with secret-looking values masked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerDetails {
    pub host_id: String,
    pub host_name: String,
    pub id: String,
    pub name: String,
    pub image: String,
    pub image_id: String,
    pub state: String,
    pub health: Option<String>,
    pub created: Option<DateTime<Utc>>,
    pub started_at: Option<DateTime<Utc>>,
    pub command: Vec<String>,
    pub restart_policy: String,
    pub env: Vec<EnvVar>,
    pub labels: Vec<(String, String)>,
    pub mounts: Vec<String>,
    pub ports: Vec<String>,
    pub networks: Vec<String>,
    pub usage: Option<Usage>,
    pub actions_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvVar {
    pub name: String,
    /// The value, or `••••••` when it looks like a secret.
    pub value: String,
    pub masked: bool,
}

pub const MASK: &str = "••••••";

/// Does an environment variable of this name probably hold a secret?
pub fn looks_secret(name: &str) -> bool {
    const HINTS: &[&str] = &[
        "PASS",
        "SECRET",
        "TOKEN",
        "KEY",
        "CREDENTIAL",
        "AUTH",
        "PRIVATE",
        "COOKIE",
        "SESSION",
        "SALT",
        "DSN",
        "CERT",
    ];
    let upper = name.to_ascii_uppercase();
    HINTS.iter().any(|hint| upper.contains(hint))
}

/// Is this variable a secret: a name that looks secret, or a value with a password in a
/// URL (`postgres://user:pw@db/app`)?
pub fn is_secret(name: &str, value: &str) -> bool {
    looks_secret(name) || url_with_password(value)
}

/// `NAME=value` → the variable, masked when it is a secret (see [`is_secret`]).
pub fn env_var(entry: &str) -> EnvVar {
    let (name, value) = entry.split_once('=').unwrap_or((entry, ""));
    let masked = is_secret(name, value);
    EnvVar {
        name: name.to_owned(),
        value: if masked {
            MASK.to_owned()
        } else {
            value.to_owned()
        },
        masked,
    }
}

fn url_with_password(value: &str) -> bool {
    let Some((_, rest)) = value.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    authority
        .rsplit_once('@')
        .is_some_and(|(user_info, _)| user_info.contains(':'))
}

/// Log lines of one container.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LogLines {
    pub lines: Vec<LogLine>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogLine {
    /// `stdout` or `stderr`.
    pub stream: String,
    pub text: String,
}

/// How many lines the log view reads when nothing else is asked.
pub const DEFAULT_TAIL: u32 = 200;
/// The most lines one request may ask for.
pub const MAX_TAIL: u32 = 5000;

/// The form that adds a Docker host over TCP with TLS client certificates.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewHost {
    pub name: String,
    /// `tcp://HOST:PORT` (Docker's TLS port is 2376).
    pub address: String,
    pub ca_file: String,
    pub cert_file: String,
    pub key_file: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_in_the_environment_are_masked() {
        assert!(env_var("POSTGRES_PASSWORD=hunter2").masked);
        assert!(env_var("GITHUB_TOKEN=ghp_x").masked);
        assert!(env_var("api_key=x").masked);
        assert!(env_var("DATABASE_URL=postgres://app:hunter2@db/app").masked);
        let plain = env_var("OLLAMA_HOST=0.0.0.0:11434");
        assert!(!plain.masked);
        assert_eq!(plain.value, "0.0.0.0:11434");
        assert!(!env_var("HOME_URL=https://example.org/a@b").masked);
        assert_eq!(env_var("EMPTY").value, "");
        assert_eq!(env_var("DB_PASS=a=b").value, MASK);
    }
}
