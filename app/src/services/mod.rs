//! Services: named applications (`ollama`, `open-webui`) whose container definition is
//! kept in caretaker, created in forms, imported from docker-compose files, exported back,
//! or adopted from a running container.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod compose;
#[cfg(feature = "ssr")]
pub mod deploy;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod store;
#[cfg(feature = "ssr")]
pub mod validate;

/// Everything needed to run a service's container, except secret values.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceSpec {
    pub name: String,
    /// The image without its tag: `ollama/ollama`, `ghcr.io/open-webui/open-webui`.
    pub image: String,
    /// The tag deployed by default: `latest`, `0.3.12`.
    pub tag: String,
    /// The command as separate arguments; empty: the image's own.
    pub command: Vec<String>,
    /// Plain environment variables.
    pub env: Vec<(String, String)>,
    /// Names of the secret environment variables (their values are stored apart).
    pub secret_names: Vec<String>,
    pub ports: Vec<PortMapping>,
    pub volumes: Vec<Mount>,
    pub networks: Vec<String>,
    pub labels: Vec<(String, String)>,
    /// `no`, `always`, `unless-stopped` or `on-failure`.
    pub restart: String,
    pub healthcheck: Option<Healthcheck>,
    /// A path the deploy's health gate asks over HTTP on the first port (`/health`), for
    /// images without a health check of their own.
    pub health_path: Option<String>,
    /// GPUs to reserve (NVIDIA); `None`: none.
    pub gpus: Option<GpuRequest>,
    /// Services that must be running first.
    pub depends_on: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PortMapping {
    /// The host address to publish on; `None`: every address.
    pub host_ip: Option<String>,
    pub host_port: u16,
    pub container_port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mount {
    /// An absolute host path, or the name of a Docker volume.
    pub source: String,
    /// An absolute path inside the container.
    pub target: String,
    pub read_only: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Healthcheck {
    /// As Docker takes it: `["CMD", "curl", "-f", "http://localhost/"]` or
    /// `["CMD-SHELL", "…"]`.
    pub test: Vec<String>,
    pub interval_secs: u32,
    pub timeout_secs: u32,
    pub retries: u32,
    pub start_period_secs: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GpuRequest {
    /// `None`: all GPUs.
    pub count: Option<u32>,
}

/// A service as the list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceSummary {
    pub id: i64,
    pub name: String,
    pub host_id: String,
    pub image: String,
    pub tag: String,
    pub ports: Vec<String>,
    pub updated_at: DateTime<Utc>,
}

/// One service with its definition, for the service page and the edit form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServiceView {
    pub id: i64,
    pub host_id: String,
    pub spec: ServiceSpec,
    pub form: ServiceForm,
    pub compose: String,
    pub deployments: Vec<Deployment>,
    /// The newest deploy task, to follow while it runs.
    pub deploy_task: Option<crate::tasks::TaskSnapshot>,
    pub actions_allowed: bool,
}

/// One deployment in a service's history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    pub id: i64,
    pub tag: String,
    pub digest: Option<String>,
    /// running, ready, failed, production, previous, retired, rolled back.
    pub status: String,
    pub actor: String,
    pub message: String,
    pub started_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub promoted_at: Option<DateTime<Utc>>,
}

impl Deployment {
    /// How long the pull and the health gate took, `1.4 s`.
    pub fn duration_text(&self) -> Option<String> {
        self.finished_at.map(|end| {
            let millis = (end - self.started_at).num_milliseconds().max(0);
            format!("{:.1} s", millis as f64 / 1000.0)
        })
    }
}

/// Task kind of a deploy.
pub const DEPLOY_TASK: &str = "Deploy";

/// The create and edit form: one text field per part, one entry per line (see
/// `validate` for what each line may be). Secret values are never sent back to the page.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServiceForm {
    pub name: String,
    pub host: String,
    /// `image:tag`.
    pub image: String,
    pub command: String,
    pub env: String,
    /// `NAME=value`; on edit, `NAME` alone keeps the stored value.
    pub secrets: String,
    pub ports: String,
    pub volumes: String,
    pub networks: String,
    pub labels: String,
    pub restart: String,
    /// Docker's test as one line: `CMD curl -f http://localhost/` or `CMD-SHELL …`.
    pub health_test: String,
    pub health_interval: String,
    /// `/health`: asked over HTTP on the first port by the deploy's health gate.
    pub health_path: String,
    pub gpus: String,
    pub depends_on: String,
}

/// What importing a compose file did.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportReport {
    pub created: Vec<String>,
    /// Compose keys caretaker does not use, named, so nothing is dropped silently.
    pub ignored: Vec<String>,
}

pub const RESTART_POLICIES: &[&str] = &["no", "always", "unless-stopped", "on-failure"];
