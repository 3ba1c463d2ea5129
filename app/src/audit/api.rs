//! Server functions of the audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::{AuditEntry, AuditFilter};
use crate::core::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditPageData {
    pub entries: Vec<AuditEntry>,
    /// True when more entries match than the page shows.
    pub truncated: bool,
    pub actors: Vec<String>,
    pub areas: Vec<String>,
}

#[server(prefix = "/api", endpoint = "audit/list")]
pub async fn list_audit(filter: AuditFilter) -> Result<AuditPageData, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut entries =
        super::service::search(&state.db, &filter, Some(super::PAGE_LIMIT + 1)).await?;
    let truncated = entries.len() as i64 > super::PAGE_LIMIT;
    entries.truncate(super::PAGE_LIMIT as usize);
    let (actors, areas) = super::service::facets(&state.db).await?;
    Ok(AuditPageData {
        entries,
        truncated,
        actors,
        areas,
    })
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[(ListAudit::PATH, Access::Role(Role::Viewer))]
};
