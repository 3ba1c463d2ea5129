//! Server functions of jobs: check the role, call the service.

use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::{JobForm, JobRuns, JobSummary, JobView};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "jobs/list")]
pub async fn list_jobs() -> Result<(Vec<JobSummary>, bool), AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    Ok((
        super::service::list(&state).await?,
        user.role >= Role::Admin,
    ))
}

#[server(prefix = "/api", endpoint = "jobs/get")]
pub async fn get_job(id: i64) -> Result<JobView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view(&state, id).await?;
    view.actions_allowed = user.role >= Role::Admin;
    Ok(view)
}

#[server(prefix = "/api", endpoint = "jobs/runs")]
pub async fn get_job_runs(id: i64) -> Result<JobRuns, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::runs(&state, id).await
}

/// Creates a job; answers its id.
#[server(prefix = "/api", endpoint = "jobs/create")]
pub async fn create_job(form: JobForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let id = super::service::create(&state, &actor, &form).await?;
    leptos_axum::redirect(&crate::ui::paths::href(&format!("/jobs/{id}")));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "jobs/update")]
pub async fn update_job(id: i64, form: JobForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::update(&state, &actor, id, &form).await
}

#[server(prefix = "/api", endpoint = "jobs/delete")]
pub async fn delete_job(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete(&state, &actor, id).await?;
    leptos_axum::redirect(&crate::ui::paths::href("/jobs"));
    Ok(())
}

#[server(prefix = "/api", endpoint = "jobs/pause")]
pub async fn pause_job(id: i64, paused: bool) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::set_paused(&state, &actor, id, paused).await
}

#[server(prefix = "/api", endpoint = "jobs/run")]
pub async fn run_job_now(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::run_now(&state, &actor, id).await
}

/// The next five runs of a schedule as typed (nothing is saved).
#[server(prefix = "/api", endpoint = "jobs/preview")]
pub async fn preview_schedule(
    schedule_kind: String,
    expression: String,
    zone: String,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::preview(&state, &schedule_kind, &expression, &zone)
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (ListJobs::PATH, Access::Role(Role::Viewer)),
        (GetJob::PATH, Access::Role(Role::Viewer)),
        (GetJobRuns::PATH, Access::Role(Role::Viewer)),
        (CreateJob::PATH, Access::Role(Role::Admin)),
        (UpdateJob::PATH, Access::Role(Role::Admin)),
        (DeleteJob::PATH, Access::Role(Role::Admin)),
        (PauseJob::PATH, Access::Role(Role::Admin)),
        (RunJobNow::PATH, Access::Role(Role::Admin)),
        (PreviewSchedule::PATH, Access::Role(Role::Viewer)),
    ]
};
