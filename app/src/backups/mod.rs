//! The backups area: restic repositories now; plans, runs, restore and restore drills
//! build on them (see issue "Backups that restore").
//!
//! restic is driven as a program (`restic.rs`) with argument vectors and its JSON output.
//! A repository's password is a file the admin keeps, or a secret sealed with caretaker's
//! key: it is never stored or shown in plain text.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod restic;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;
pub mod validate;

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
    pub actions_allowed: bool,
}
