//! Server functions of the cluster area: check the role, call the service.

use leptos::prelude::*;

use super::{Availability, ClusterView, SwarmForm, SwarmServiceView};
use crate::core::error::AppError;

/// The Swarm's nodes and their tasks, asked of the manager now.
#[server(prefix = "/api", endpoint = "cluster/view")]
pub async fn get_cluster() -> Result<ClusterView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view(&state).await?;
    view.actions_allowed = user.role >= Role::Admin && view.manager;
    Ok(view)
}

/// Drains, pauses or activates one node.
#[server(prefix = "/api", endpoint = "cluster/availability")]
pub async fn set_node_availability(
    node: String,
    availability: Availability,
) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::set_availability(&state, &actor, &node, availability).await
}

/// One caretaker service's Swarm settings and what runs of it.
#[server(prefix = "/api", endpoint = "cluster/service")]
pub async fn get_swarm_service(id: i64) -> Result<SwarmServiceView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::deploy::view(&state, id).await?;
    view.actions_allowed = user.role >= Role::Admin && view.manager;
    Ok(view)
}

#[server(prefix = "/api", endpoint = "cluster/service/settings")]
pub async fn save_swarm_settings(id: i64, form: SwarmForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::save_settings(&state, &actor, id, &form)
        .await
        .map(|_| ())
}

/// Starts a Swarm rolling update to `tag` (or creates the Swarm service); answers the
/// pinned image.
#[server(prefix = "/api", endpoint = "cluster/service/deploy")]
pub async fn deploy_on_swarm(id: i64, tag: String) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::deploy(&state, &actor, id, &tag).await
}

#[server(prefix = "/api", endpoint = "cluster/service/scale")]
pub async fn scale_swarm_service(id: i64, replicas: String) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::scale(&state, &actor, id, &replicas).await
}

#[server(prefix = "/api", endpoint = "cluster/service/roll-back")]
pub async fn roll_back_on_swarm(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::roll_back(&state, &actor, id).await
}

#[server(prefix = "/api", endpoint = "cluster/service/remove")]
pub async fn remove_from_swarm(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::remove(&state, &actor, id).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetCluster::PATH, Access::Role(Role::Viewer)),
        (SetNodeAvailability::PATH, Access::Role(Role::Admin)),
        (GetSwarmService::PATH, Access::Role(Role::Viewer)),
        (SaveSwarmSettings::PATH, Access::Role(Role::Admin)),
        (DeployOnSwarm::PATH, Access::Role(Role::Admin)),
        (ScaleSwarmService::PATH, Access::Role(Role::Admin)),
        (RollBackOnSwarm::PATH, Access::Role(Role::Admin)),
        (RemoveFromSwarm::PATH, Access::Role(Role::Admin)),
    ]
};
