//! Server functions of the backups area: check the role, call the service.

use leptos::prelude::*;

use super::{BackupsOverview, RepositoryForm};
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
    ]
};
