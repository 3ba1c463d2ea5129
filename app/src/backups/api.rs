//! Server functions of the backups area: check the role, call the service.

use leptos::prelude::*;

use super::{
    BackupsOverview, PlanForm, PlanView, RepositoryForm, RestoreForm, SnapshotRow, TreeEntry,
};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "backups/overview")]
pub async fn get_backups_overview() -> Result<BackupsOverview, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut overview = super::service::overview(&state).await?;
    overview.actions_allowed = user.role >= Role::Admin;
    Ok(overview)
}

/// Adds (and, when asked, initialises) a repository; answers its id.
#[server(prefix = "/api", endpoint = "backups/repositories/add")]
pub async fn add_repository(form: RepositoryForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::add(&state, &actor, &form).await
}

#[server(prefix = "/api", endpoint = "backups/repositories/remove")]
pub async fn remove_repository(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove(&state, &actor, id).await
}

/// Every plan's id and name, for the job form.
#[server(prefix = "/api", endpoint = "backups/plans/names")]
pub async fn list_plan_names() -> Result<Vec<(i64, String)>, AppError> {
    use crate::auth::{policy, Role};
    policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::plan_names(&state).await
}

#[server(prefix = "/api", endpoint = "backups/plans/get")]
pub async fn get_plan(id: i64) -> Result<PlanView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view_plan(&state, id).await?;
    view.actions_allowed = user.role >= Role::Admin;
    Ok(view)
}

/// Creates a plan; answers its id.
#[server(prefix = "/api", endpoint = "backups/plans/create")]
pub async fn create_plan(form: PlanForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let id = super::service::create_plan(&state, &actor, &form).await?;
    leptos_axum::redirect(&crate::ui::paths::href(&format!("/backups/plans/{id}")));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "backups/plans/update")]
pub async fn update_plan(id: i64, form: PlanForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::update_plan(&state, &actor, id, &form).await
}

#[server(prefix = "/api", endpoint = "backups/plans/delete")]
pub async fn delete_plan(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete_plan(&state, &actor, id).await?;
    leptos_axum::redirect(&crate::ui::paths::href("/backups"));
    Ok(())
}

/// Starts a plan's backup, check or drill (`work`); answers the task's id.
#[server(prefix = "/api", endpoint = "backups/plans/run")]
pub async fn run_plan(id: i64, work: String) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let work = super::Work::parse(&work)
        .ok_or_else(|| AppError::invalid("Work: choose backup, check or drill."))?;
    super::service::start_run(&state, &actor, id, work, "manual").await
}

/// A plan's snapshots in one of its repositories (admins: file names can be private).
#[server(prefix = "/api", endpoint = "backups/snapshots")]
pub async fn list_snapshots(plan: i64, repository: i64) -> Result<Vec<SnapshotRow>, AppError> {
    use crate::auth::{policy, Role};
    policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    super::service::snapshots(&state, plan, repository).await
}

#[server(prefix = "/api", endpoint = "backups/tree")]
pub async fn browse_snapshot(
    plan: i64,
    repository: i64,
    snapshot: String,
    dir: String,
) -> Result<Vec<TreeEntry>, AppError> {
    use crate::auth::{policy, Role};
    policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    super::service::tree(&state, plan, repository, &snapshot, &dir).await
}

/// Starts a restore; answers the task's id.
#[server(prefix = "/api", endpoint = "backups/restore")]
pub async fn restore_snapshot(form: RestoreForm) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::restore::start(&state, &actor, &form).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetBackupsOverview::PATH, Access::Role(Role::Viewer)),
        (AddRepository::PATH, Access::Role(Role::Admin)),
        (RemoveRepository::PATH, Access::Role(Role::Admin)),
        (ListPlanNames::PATH, Access::Role(Role::Viewer)),
        (GetPlan::PATH, Access::Role(Role::Viewer)),
        (CreatePlan::PATH, Access::Role(Role::Admin)),
        (UpdatePlan::PATH, Access::Role(Role::Admin)),
        (DeletePlan::PATH, Access::Role(Role::Admin)),
        (RunPlan::PATH, Access::Role(Role::Admin)),
        (ListSnapshots::PATH, Access::Role(Role::Admin)),
        (BrowseSnapshot::PATH, Access::Role(Role::Admin)),
        (RestoreSnapshot::PATH, Access::Role(Role::Admin)),
    ]
};
