//! Server functions of tasks.

use leptos::prelude::*;

use super::TaskSnapshot;
use crate::core::error::AppError;

/// The current state of one task.
#[server(prefix = "/api", endpoint = "tasks/get")]
pub async fn get_task(id: String) -> Result<TaskSnapshot, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    state.tasks.get(&id).await
}

/// Stops a running task.
#[server(prefix = "/api", endpoint = "tasks/cancel")]
pub async fn cancel_task(id: String) -> Result<(), AppError> {
    use crate::audit::{service::record, Outcome};
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let result = state.tasks.cancel(&id);
    let outcome = if result.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Failed
    };
    let actor = actor(&user, &policy::current_client());
    record(&state.db, &actor, "tasks", "cancel", &id, outcome, "").await;
    result
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetTask::PATH, Access::Role(Role::Viewer)),
        (CancelTask::PATH, Access::Role(Role::Admin)),
    ]
};
