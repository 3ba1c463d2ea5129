//! The overview page: this machine's Docker engine at a glance.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tasks::TaskSnapshot;

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;

/// Task kind of a disk-use measurement.
pub const DISK_SCAN_TASK: &str = "Docker disk use";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Overview {
    /// Where the engine is, as configured (`unix:///var/run/docker.sock`).
    pub endpoint: String,
    pub engine: EngineStatus,
    pub containers: Vec<ContainerRow>,
    /// The newest disk-use measurement task, running or finished.
    pub disk_task: Option<TaskSnapshot>,
    /// The newest successful measurement and when it finished.
    pub disk_use: Option<(DiskUse, DateTime<Utc>)>,
    pub checked_at: DateTime<Utc>,
    /// Whether the viewer may start actions here (admins); the server checks again.
    pub actions_allowed: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum EngineStatus {
    Reachable(EngineFacts),
    /// The engine did not answer; `reason` is a plain sentence.
    Unreachable {
        reason: String,
    },
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EngineFacts {
    pub version: String,
    pub api_version: String,
    pub operating_system: String,
    pub containers_total: u64,
    pub containers_running: u64,
    pub containers_paused: u64,
    pub containers_stopped: u64,
    pub images: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ContainerRow {
    pub id: String,
    pub name: String,
    pub image: String,
    /// created, running, paused, restarting, exited, dead…
    pub state: String,
    /// healthy, unhealthy, starting; `None` when the container has no health check.
    pub health: Option<String>,
    /// Published ports, `127.0.0.1:8080→80/tcp`, or exposed ones, `80/tcp`.
    pub ports: Vec<String>,
    /// Docker's own summary, `Up 5 minutes`.
    pub status: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DiskUse {
    pub images: u64,
    pub images_bytes: u64,
    pub containers_bytes: u64,
    pub volumes: u64,
    pub volumes_bytes: u64,
    pub build_cache_bytes: u64,
}

impl DiskUse {
    pub fn total_bytes(&self) -> u64 {
        self.images_bytes + self.containers_bytes + self.volumes_bytes + self.build_cache_bytes
    }
}
