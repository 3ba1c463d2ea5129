//! Who may do what: GitHub login, the one-time local login link, roles, sessions, the
//! allow-list and the access policy every route and server function is checked against.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod github;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod policy;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;

/// What a logged-in user may do. Anonymous visitors have no role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Every page, no change.
    Viewer,
    /// Everything.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Viewer => "viewer",
            Self::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "viewer" => Some(Self::Viewer),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The user behind a request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: i64,
    /// How the user is shown: a GitHub login, or "local admin".
    pub login: String,
    pub role: Role,
}

/// A kind of allow-list rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleKind {
    /// A GitHub user, by numeric id or login.
    User,
    /// Members of a GitHub organisation.
    Org,
    /// Members of a GitHub team, written `org/team-slug`.
    Team,
}

impl RuleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Org => "org",
            Self::Team => "team",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "user" => Some(Self::User),
            "org" => Some(Self::Org),
            "team" => Some(Self::Team),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRule {
    pub id: i64,
    pub kind: RuleKind,
    pub value: String,
    pub pinned_id: Option<String>,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

/// One row of the Users page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserSummary {
    pub id: i64,
    pub provider: String,
    pub login: String,
    pub name: Option<String>,
    pub role: Option<Role>,
    pub last_login_at: Option<DateTime<Utc>>,
    pub last_seen_at: Option<DateTime<Utc>>,
    pub sessions: Vec<SessionSummary>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionSummary {
    /// A short, non-secret handle for the session (its first characters are never shown).
    pub handle: String,
    pub created_at: DateTime<Utc>,
    pub last_seen_at: DateTime<Utc>,
    pub address: String,
    pub user_agent: String,
}

/// What the login page needs to know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginOptions {
    pub github_enabled: bool,
    pub user: Option<CurrentUser>,
    /// Whether the local engine is a Swarm manager: the navigation lists the cluster then.
    #[serde(default)]
    pub swarm_manager: bool,
}
