//! Server functions of auth: who am I, the allow-list, users and their sessions.

use leptos::prelude::*;

use super::{AccessRule, LoginOptions, Role, RuleKind, UserSummary};
use crate::core::error::AppError;

/// Who is logged in (if anyone) and whether GitHub login is available. Public.
#[server(prefix = "/api", endpoint = "auth/whoami")]
pub async fn whoami() -> Result<LoginOptions, AppError> {
    let state = crate::core::state::app_state()?;
    Ok(LoginOptions {
        github_enabled: state.auth.settings.github.is_some(),
        user: super::policy::request_user(),
        swarm_manager: state.swarm.is_manager(),
    })
}

#[server(prefix = "/api", endpoint = "auth/rules")]
pub async fn list_rules() -> Result<Vec<AccessRule>, AppError> {
    super::policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    super::service::list_rules(&state).await
}

#[server(prefix = "/api", endpoint = "auth/rules/add")]
pub async fn add_rule(kind: RuleKind, value: String, role: Role) -> Result<i64, AppError> {
    let user = super::policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let client = super::policy::current_client();
    super::service::add_rule(&state, &user, &client, kind, &value, role).await
}

#[server(prefix = "/api", endpoint = "auth/rules/remove")]
pub async fn remove_rule(id: i64) -> Result<(), AppError> {
    let user = super::policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let client = super::policy::current_client();
    super::service::delete_rule(&state, &user, &client, id).await
}

#[server(prefix = "/api", endpoint = "auth/users")]
pub async fn list_users() -> Result<Vec<UserSummary>, AppError> {
    super::policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    super::service::list_users(&state).await
}

#[server(prefix = "/api", endpoint = "auth/users/revoke")]
pub async fn revoke_sessions(user_id: i64) -> Result<usize, AppError> {
    let user = super::policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let client = super::policy::current_client();
    super::service::revoke_sessions(&state, &user, &client, user_id).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, super::policy::Access)] = {
    use super::policy::Access;
    use leptos::server_fn::ServerFn;
    &[
        (Whoami::PATH, Access::Public),
        (ListRules::PATH, Access::Role(Role::Admin)),
        (AddRule::PATH, Access::Role(Role::Admin)),
        (RemoveRule::PATH, Access::Role(Role::Admin)),
        (ListUsers::PATH, Access::Role(Role::Admin)),
        (RevokeSessions::PATH, Access::Role(Role::Admin)),
    ]
};
