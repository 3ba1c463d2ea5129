//! The audit log: every admin action and every login, logout and refused attempt — who,
//! what, target, when, from which address, result. Areas record through
//! [`service::record`]; the Audit page reads and exports it.

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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    Ok,
    /// Not allowed: wrong role, not on the allow-list, bad link, cross-origin…
    Refused,
    /// Allowed, but it did not work.
    Failed,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Refused => "refused",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "ok" => Some(Self::Ok),
            "refused" => Some(Self::Refused),
            "failed" => Some(Self::Failed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub address: String,
    pub area: String,
    pub action: String,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
}

/// Filters of the Audit page and its export. Empty fields do not filter.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    pub actor: String,
    #[serde(default)]
    pub area: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[serde(default)]
    pub from: String,
    /// `YYYY-MM-DD`, inclusive, UTC.
    #[serde(default)]
    pub to: String,
}

/// How many entries the page shows at most (the export has no limit).
pub const PAGE_LIMIT: i64 = 500;
