//! Server functions of analytics: check the role, call the service.

use leptos::prelude::*;

use super::{AnalyticsQuery, AnalyticsView, SourceForm};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "analytics/view")]
pub async fn get_analytics(query: AnalyticsQuery) -> Result<AnalyticsView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view(&state, &query).await?;
    view.can_edit = user.role >= Role::Admin;
    if !view.can_edit {
        // Rejected lines may hold anything the file held: admins only.
        for source in &mut view.sources {
            source.samples.clear();
        }
    }
    Ok(view)
}

#[server(prefix = "/api", endpoint = "analytics/sources/add")]
pub async fn add_log_source(form: SourceForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let source = super::service::source_from_form(&form)?;
    super::service::add_source(&state, &actor, &source).await
}

#[server(prefix = "/api", endpoint = "analytics/sources/remove")]
pub async fn remove_log_source(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove_source(&state, &actor, id).await
}

/// Reads what is new in a source's files now, instead of at the tailer's next pass.
#[server(prefix = "/api", endpoint = "analytics/sources/read")]
pub async fn read_log_source(id: i64) -> Result<String, AppError> {
    crate::auth::policy::require(crate::auth::Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let source = super::service::source(&state, id).await?;
    if source.path.is_empty() {
        return Err(AppError::invalid(format!(
            "{} has no log file to read; it is filled by `caretaker logs import --source {}`.",
            source.name, source.name
        )));
    }
    let report = super::service::ingest_source(&state, &source, &|_| {}).await?;
    Ok(format!("{}: {}", source.name, report.sentence()))
}

/// Log sources as (id, name), for other areas' forms.
#[server(prefix = "/api", endpoint = "analytics/sources/names")]
pub async fn list_log_sources() -> Result<Vec<(i64, String)>, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    Ok(super::store::sources(&state.db)
        .await?
        .into_iter()
        .map(|source| (source.id, source.name))
        .collect())
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetAnalytics::PATH, Access::Role(Role::Viewer)),
        (ListLogSources::PATH, Access::Role(Role::Viewer)),
        (AddLogSource::PATH, Access::Role(Role::Admin)),
        (RemoveLogSource::PATH, Access::Role(Role::Admin)),
        (ReadLogSource::PATH, Access::Role(Role::Admin)),
    ]
};
