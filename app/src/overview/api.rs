//! Server functions of the overview.

use leptos::prelude::*;

use super::Overview;
use crate::core::error::AppError;

/// The engine, its containers and the last disk-use measurement.
#[server(prefix = "/api", endpoint = "overview/get")]
pub async fn get_overview() -> Result<Overview, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut overview = super::service::overview(&state).await;
    overview.actions_allowed = user.role >= Role::Admin;
    Ok(overview)
}

/// Starts measuring the engine's disk use (or returns the measurement already running).
#[server(prefix = "/api", endpoint = "overview/measure-disk")]
pub async fn measure_disk_use() -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    super::service::start_disk_scan(&state, &actor(&user, &policy::current_client())).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetOverview::PATH, Access::Role(Role::Viewer)),
        (MeasureDiskUse::PATH, Access::Role(Role::Admin)),
    ]
};
