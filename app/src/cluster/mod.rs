//! The cluster area: Docker Swarm, when the local engine is a Swarm manager. Its nodes
//! and their tasks, draining and activating a node, and caretaker services deployed as
//! Swarm services (replicas, placement, limits, rolling updates that roll themselves back).
//!
//! caretaker drives the Swarm the engine already has, through the Docker API; it never
//! keeps cluster state of its own beyond each service's Swarm settings. On a single
//! engine none of this shows.

use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod deploy;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;
#[cfg(feature = "ssr")]
pub mod validate;

/// The Swarm as its manager sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClusterView {
    /// Whether the local engine is a Swarm manager; without it the rest is empty.
    pub manager: bool,
    /// Why the engine could not say, or what it is instead of a manager, in a sentence.
    pub note: Option<String>,
    pub nodes: Vec<NodeRow>,
    pub actions_allowed: bool,
}

/// One node and the tasks placed on it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NodeRow {
    pub id: String,
    pub hostname: String,
    /// `manager` or `worker`.
    pub role: String,
    pub leader: bool,
    /// `active`, `pause` or `drain`.
    pub availability: String,
    /// `ready`, `down`, `disconnected` or `unknown`.
    pub state: String,
    /// What the manager says about the state (`heartbeat failure`), if anything.
    pub message: String,
    /// The address the node is reached at.
    pub address: String,
    pub engine_version: String,
    pub cpus: f64,
    pub memory_bytes: i64,
    /// Tasks Swarm wants running on this node, and those that still run there.
    pub tasks: Vec<TaskRow>,
}

impl NodeRow {
    /// `vm (10.0.0.2)`: host names repeat when several engines share a machine.
    pub fn label(&self) -> String {
        if self.address.is_empty() {
            self.hostname.clone()
        } else {
            format!("{} ({})", self.hostname, self.address)
        }
    }
}

/// One Swarm task: one replica of a service on one node at one time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskRow {
    pub id: String,
    pub service: String,
    /// The replica number (1…replicas).
    pub slot: Option<i64>,
    pub node_id: String,
    /// `vm (10.0.0.2)`, or the node id when the node is gone.
    pub node: String,
    /// The image as pinned (`sha256:…`).
    pub image: String,
    /// The tags of that image on the manager (`web:2`), to recognise it.
    pub image_tags: Vec<String>,
    /// running, starting, failed, shutdown…
    pub state: String,
    /// What Swarm wants: running or shutdown.
    pub desired_state: String,
    /// Swarm's message or error (`unhealthy container`).
    pub message: String,
    /// When the state last changed, as the engine reported it.
    pub updated: String,
}

impl TaskRow {
    /// The image in a few characters: its tag if known, else the start of its id.
    pub fn image_text(&self) -> String {
        match self.image_tags.first() {
            Some(tag) => tag.clone(),
            None => {
                let id = self.image.strip_prefix("sha256:").unwrap_or(&self.image);
                id[..id.len().min(12)].to_owned()
            }
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Availability {
    /// Tasks may run here.
    Active,
    /// No new tasks, running ones stay.
    Pause,
    /// Tasks move elsewhere.
    Drain,
}

impl Availability {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Pause => "pause",
            Self::Drain => "drain",
        }
    }
}

/// How a caretaker service runs as a Swarm service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmSettings {
    pub replicas: u32,
    /// Swarm placement constraints, like `node.role==worker` or `node.labels.gpu==yes`.
    pub constraints: Vec<String>,
    /// CPUs each task may use (0.5 = half a CPU); `None`: no limit.
    pub cpu_limit: Option<f64>,
    /// Memory each task may use, in MiB; `None`: no limit.
    pub memory_limit_mib: Option<u64>,
    pub update: UpdatePolicy,
    pub rollback: UpdatePolicy,
}

/// How Swarm replaces tasks during an update (or a rollback).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdatePolicy {
    /// Tasks replaced at once; 0: all at once.
    pub parallelism: u32,
    /// Seconds between groups of tasks.
    pub delay_secs: u32,
    /// `rollback`, `pause` or `continue` (a rollback: `pause` or `continue`).
    pub failure_action: String,
    /// Seconds a new task is watched after it starts; failing within it fails the update.
    pub monitor_secs: u32,
}

impl Default for SwarmSettings {
    fn default() -> Self {
        Self {
            replicas: 1,
            constraints: Vec::new(),
            cpu_limit: None,
            memory_limit_mib: None,
            update: UpdatePolicy {
                parallelism: 1,
                delay_secs: 0,
                failure_action: "rollback".to_owned(),
                monitor_secs: 5,
            },
            rollback: UpdatePolicy {
                parallelism: 0,
                delay_secs: 0,
                failure_action: "pause".to_owned(),
                monitor_secs: 5,
            },
        }
    }
}

pub const UPDATE_FAILURE_ACTIONS: &[&str] = &["rollback", "pause", "continue"];
pub const ROLLBACK_FAILURE_ACTIONS: &[&str] = &["pause", "continue"];

/// The Swarm settings form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SwarmForm {
    pub replicas: String,
    /// One constraint per line.
    pub constraints: String,
    pub cpu_limit: String,
    pub memory_limit_mib: String,
    pub update_parallelism: String,
    pub update_delay_secs: String,
    pub update_failure_action: String,
    pub update_monitor_secs: String,
    pub rollback_parallelism: String,
    pub rollback_delay_secs: String,
    pub rollback_failure_action: String,
    pub rollback_monitor_secs: String,
}

impl SwarmForm {
    pub fn of(settings: &SwarmSettings) -> Self {
        let optional = |value: Option<String>| value.unwrap_or_default();
        Self {
            replicas: settings.replicas.to_string(),
            constraints: settings.constraints.join("\n"),
            cpu_limit: optional(settings.cpu_limit.map(|cpus| cpus.to_string())),
            memory_limit_mib: optional(settings.memory_limit_mib.map(|mib| mib.to_string())),
            update_parallelism: settings.update.parallelism.to_string(),
            update_delay_secs: settings.update.delay_secs.to_string(),
            update_failure_action: settings.update.failure_action.clone(),
            update_monitor_secs: settings.update.monitor_secs.to_string(),
            rollback_parallelism: settings.rollback.parallelism.to_string(),
            rollback_delay_secs: settings.rollback.delay_secs.to_string(),
            rollback_failure_action: settings.rollback.failure_action.clone(),
            rollback_monitor_secs: settings.rollback.monitor_secs.to_string(),
        }
    }
}

/// A caretaker service on the Swarm: its settings and, once deployed, what runs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmServiceView {
    pub service_id: i64,
    pub name: String,
    /// Whether the local engine is a Swarm manager (the section shows only then).
    pub manager: bool,
    /// Stored settings, `None` until saved once.
    pub settings: Option<SwarmSettings>,
    pub form: SwarmForm,
    pub deployed: Option<SwarmDeployed>,
    pub actions_allowed: bool,
}

/// The Swarm service as its manager reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SwarmDeployed {
    /// The pinned image (`sha256:…`) and the tag it was deployed from.
    pub image: String,
    pub tag: String,
    pub replicas: u64,
    pub running: usize,
    /// updating, completed, paused, rollback_started, rollback_completed…; empty before
    /// the first update.
    pub update_state: String,
    pub update_message: String,
    /// Every task Swarm remembers, newest first per replica: which image ran where.
    pub tasks: Vec<TaskRow>,
}

/// Label on a Swarm service: the caretaker service it runs.
pub const SERVICE_LABEL: &str = "caretaker.service";
/// Label on a Swarm service: the tag its pinned image was deployed from.
pub const TAG_LABEL: &str = "caretaker.tag";
