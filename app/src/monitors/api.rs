//! Server functions of monitors: check the role, call the service.

use leptos::prelude::*;

use super::{
    ChannelForm, MaintenanceForm, MonitorForm, MonitorView, MonitorsOverview, PublicStatus,
};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "monitors/overview")]
pub async fn get_monitors(page: usize, filter: String) -> Result<MonitorsOverview, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut overview = super::service::overview(&state, page, &filter).await?;
    overview.can_edit = user.role >= Role::Admin;
    Ok(overview)
}

#[server(prefix = "/api", endpoint = "monitors/get")]
pub async fn get_monitor(id: i64) -> Result<MonitorView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view(&state, id).await?;
    view.can_edit = user.role >= Role::Admin;
    Ok(view)
}

/// Backup plans and jobs a monitor may watch: (id, name) each.
#[server(prefix = "/api", endpoint = "monitors/choices")]
pub async fn get_monitor_choices() -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::choices(&state).await
}

#[server(prefix = "/api", endpoint = "monitors/create")]
pub async fn create_monitor(form: MonitorForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let id = super::service::create(&state, &actor, &form).await?;
    leptos_axum::redirect(&crate::ui::paths::href(&format!("/monitors/{id}")));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "monitors/update")]
pub async fn update_monitor(id: i64, form: MonitorForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::update(&state, &actor, id, &form).await
}

#[server(prefix = "/api", endpoint = "monitors/delete")]
pub async fn delete_monitor(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete(&state, &actor, id).await?;
    leptos_axum::redirect(&crate::ui::paths::href("/monitors"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "monitors/pause")]
pub async fn pause_monitor(id: i64, paused: bool) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::set_paused(&state, &actor, id, paused).await
}

/// Checks a monitor now; answers what the check found.
#[server(prefix = "/api", endpoint = "monitors/check")]
pub async fn check_monitor(id: i64) -> Result<String, AppError> {
    crate::auth::policy::require(crate::auth::Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let outcome = super::service::check_now(&state, id).await?;
    let verdict = if outcome.ok { "Up" } else { "Down" };
    Ok(format!("{verdict}: {}", outcome.message))
}

#[server(prefix = "/api", endpoint = "monitors/channels/add")]
pub async fn add_channel(form: ChannelForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::add_channel(&state, &actor, &form).await
}

#[server(prefix = "/api", endpoint = "monitors/channels/remove")]
pub async fn remove_channel(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove_channel(&state, &actor, id).await
}

#[server(prefix = "/api", endpoint = "monitors/channels/test")]
pub async fn test_channel(id: i64) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::test_channel(&state, &actor, id).await
}

#[server(prefix = "/api", endpoint = "monitors/maintenance/add")]
pub async fn add_maintenance(form: MaintenanceForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::add_maintenance(&state, &actor, &form).await
}

#[server(prefix = "/api", endpoint = "monitors/maintenance/remove")]
pub async fn remove_maintenance(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove_maintenance(&state, &actor, id).await
}

/// The public status page's data: published services only, allow-listed fields only.
#[server(prefix = "/api", endpoint = "status")]
pub async fn get_public_status() -> Result<PublicStatus, AppError> {
    let state = crate::core::state::app_state()?;
    super::service::public_status(&state).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetMonitors::PATH, Access::Role(Role::Viewer)),
        (GetMonitor::PATH, Access::Role(Role::Viewer)),
        (GetMonitorChoices::PATH, Access::Role(Role::Viewer)),
        (CreateMonitor::PATH, Access::Role(Role::Admin)),
        (UpdateMonitor::PATH, Access::Role(Role::Admin)),
        (DeleteMonitor::PATH, Access::Role(Role::Admin)),
        (PauseMonitor::PATH, Access::Role(Role::Admin)),
        (CheckMonitor::PATH, Access::Role(Role::Admin)),
        (AddChannel::PATH, Access::Role(Role::Admin)),
        (RemoveChannel::PATH, Access::Role(Role::Admin)),
        (TestChannel::PATH, Access::Role(Role::Admin)),
        (AddMaintenance::PATH, Access::Role(Role::Admin)),
        (RemoveMaintenance::PATH, Access::Role(Role::Admin)),
        (GetPublicStatus::PATH, Access::Public),
    ]
};
