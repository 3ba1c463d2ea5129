//! Tasks: long work (image pulls, backups, restores, scans) with progress, a bounded log
//! and a final status, persisted in SQLite and streamed to the browser.
//!
//! Every progress bar in caretaker is a view of a task: an area starts its work through
//! [`service::Tasks::start`] and renders [`pages::TaskProgress`] with the id it got back.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

/// How many log lines a task keeps; older lines are dropped first.
pub const LOG_LINES_KEPT: usize = 200;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TaskStatus {
    Running,
    Succeeded,
    Failed,
    Cancelled,
    /// The process stopped (crash, kill, restart) while the task was running.
    Interrupted,
}

impl TaskStatus {
    pub const ALL: [TaskStatus; 5] = [
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::Cancelled,
        Self::Interrupted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == text)
    }

    pub fn is_finished(self) -> bool {
        self != Self::Running
    }

    /// How the status reads on a page.
    pub fn label(self) -> &'static str {
        match self {
            Self::Running => "Running",
            Self::Succeeded => "Done",
            Self::Failed => "Failed",
            Self::Cancelled => "Cancelled",
            Self::Interrupted => "Interrupted by a restart",
        }
    }
}

/// How many bytes of output a task keeps; older text is dropped first.
pub const OUTPUT_KEPT: usize = 64 * 1024;

/// The progress of one part of a task, shown as its own small bar.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskPart {
    pub label: String,
    pub done: u64,
    /// `None` while the size of the part is not known yet.
    pub total: Option<u64>,
    /// How the part stands, in a few words ("already present", "failed: …").
    pub note: String,
}

impl TaskPart {
    pub fn percent(&self) -> Option<u8> {
        let total = self.total.filter(|total| *total > 0)?;
        Some(((self.done as f64 / total as f64).clamp(0.0, 1.0) * 100.0).round() as u8)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskLogLine {
    pub at: DateTime<Utc>,
    pub line: String,
}

/// Everything a page needs to draw one task.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TaskSnapshot {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub status: TaskStatus,
    /// Known share of the work done, 0.0 to 1.0; `None` while it cannot be told.
    pub fraction: Option<f64>,
    pub bytes_done: Option<u64>,
    pub bytes_total: Option<u64>,
    /// What the task is doing now or, once finished, how it ended (a plain sentence).
    pub message: String,
    /// What a finished task produced, as JSON, for the area that started it.
    pub result: Option<String>,
    pub log: Vec<TaskLogLine>,
    /// One progress line per part of the work (a layer of a pull, a server of a sync).
    #[serde(default)]
    pub parts: Vec<TaskPart>,
    /// Text the work produces as it goes (a prompt's answer); bounded by [`OUTPUT_KEPT`].
    #[serde(default)]
    pub output: String,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl TaskSnapshot {
    /// The share done as a whole percentage, when known.
    pub fn percent(&self) -> Option<u8> {
        self.fraction
            .map(|fraction| (fraction.clamp(0.0, 1.0) * 100.0).round() as u8)
    }
}
