//! Server functions of routes: check the role, call the service.

use leptos::prelude::*;

use super::{Inventory, Preview, RouteForm, RoutesOverview, SettingsForm};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "routes/list")]
pub async fn get_routes() -> Result<RoutesOverview, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut overview = super::service::overview(&state).await?;
    overview.can_edit = user.role >= Role::Admin;
    Ok(overview)
}

#[server(prefix = "/api", endpoint = "routes/settings")]
pub async fn save_proxy_settings(form: SettingsForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::save_settings(&state, &actor, &form).await
}

/// Adds a route; answers its id.
#[server(prefix = "/api", endpoint = "routes/create")]
pub async fn create_route(form: RouteForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::create_route(&state, &actor, &form).await
}

#[server(prefix = "/api", endpoint = "routes/update")]
pub async fn update_route(id: i64, form: RouteForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::update_route(&state, &actor, id, &form).await
}

#[server(prefix = "/api", endpoint = "routes/delete")]
pub async fn delete_route(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete_route(&state, &actor, id).await
}

/// The generated file next to the one on disk (nothing is written).
#[server(prefix = "/api", endpoint = "routes/preview")]
pub async fn preview_proxy() -> Result<Preview, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::preview(&state).await
}

/// Writes, validates and reloads; answers what happened in a sentence.
#[server(prefix = "/api", endpoint = "routes/apply")]
pub async fn apply_proxy() -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::apply(&state, &actor).await
}

/// A TLS monitor for the certificate of a route's host.
#[server(prefix = "/api", endpoint = "routes/watch")]
pub async fn watch_route_certificate(id: i64) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::watch_certificate(&state, &actor, id).await
}

/// A TLS monitor for every routed host without one.
#[server(prefix = "/api", endpoint = "routes/watch-all")]
pub async fn watch_all_certificates() -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::watch_all(&state, &actor).await
}

#[server(prefix = "/api", endpoint = "routes/certificates")]
pub async fn certificate_inventory() -> Result<Inventory, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut inventory = super::certs::inventory(&state).await?;
    inventory.can_edit = user.role >= Role::Admin;
    Ok(inventory)
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetRoutes::PATH, Access::Role(Role::Viewer)),
        (SaveProxySettings::PATH, Access::Role(Role::Admin)),
        (CreateRoute::PATH, Access::Role(Role::Admin)),
        (UpdateRoute::PATH, Access::Role(Role::Admin)),
        (DeleteRoute::PATH, Access::Role(Role::Admin)),
        (PreviewProxy::PATH, Access::Role(Role::Viewer)),
        (ApplyProxy::PATH, Access::Role(Role::Admin)),
        (WatchRouteCertificate::PATH, Access::Role(Role::Admin)),
        (WatchAllCertificates::PATH, Access::Role(Role::Admin)),
        (CertificateInventory::PATH, Access::Role(Role::Viewer)),
    ]
};
