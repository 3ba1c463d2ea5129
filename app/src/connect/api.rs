//! Server functions of the connect area: viewers read, admins save.

use leptos::prelude::*;

use super::{ConnectForm, ConnectView};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "connect/get")]
pub async fn get_connect() -> Result<ConnectView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::view(&state, user.role >= Role::Admin).await
}

#[server(prefix = "/api", endpoint = "connect/save")]
pub async fn save_connect(form: ConnectForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::save(&state, &actor, &form).await?;
    Ok(())
}

/// The role each server function needs, for the access policy.
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetConnect::PATH, Access::Role(Role::Viewer)),
        (SaveConnect::PATH, Access::Role(Role::Admin)),
    ]
};
