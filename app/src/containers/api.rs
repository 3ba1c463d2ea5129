//! Server functions of the containers area: check the role, call the service.

use leptos::prelude::*;

use super::{ContainerAction, ContainerDetails, ContainerFilter, ContainerList, LogLines};
use crate::core::error::AppError;

/// Every container of every host, filtered.
#[server(prefix = "/api", endpoint = "containers/list")]
pub async fn list_containers(filter: ContainerFilter) -> Result<ContainerList, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut list = super::service::list(&state, &filter).await;
    list.actions_allowed = user.role >= Role::Admin;
    Ok(list)
}

/// Start, stop, restart or remove one container.
#[server(prefix = "/api", endpoint = "containers/act")]
pub async fn act_on_container(
    host: String,
    id: String,
    action: ContainerAction,
) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::act(&state, &actor, &host, &id, action).await
}

/// One container's configuration (secrets masked) and last stats.
#[server(prefix = "/api", endpoint = "containers/details")]
pub async fn get_container_details(host: String, id: String) -> Result<ContainerDetails, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut details = super::service::details(&state, &host, &id).await?;
    details.actions_allowed = user.role >= Role::Admin;
    Ok(details)
}

/// The last lines of one container's log, optionally only those containing `search`.
#[server(prefix = "/api", endpoint = "containers/logs")]
pub async fn container_logs(
    host: String,
    id: String,
    tail: u32,
    search: String,
) -> Result<LogLines, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::logs(&state, &host, &id, tail, &search).await
}

/// Adds a Docker host reached over TCP with TLS client certificates.
#[server(prefix = "/api", endpoint = "containers/hosts/add")]
pub async fn add_docker_host(
    name: String,
    address: String,
    ca_file: String,
    cert_file: String,
    key_file: String,
) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let form = super::NewHost {
        name,
        address,
        ca_file,
        cert_file,
        key_file,
    };
    super::service::add_host(&state, &actor, form).await
}

/// Stops watching an added Docker host (its containers keep running).
#[server(prefix = "/api", endpoint = "containers/hosts/remove")]
pub async fn remove_docker_host(id: String) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove_host(&state, &actor, &id).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (ListContainers::PATH, Access::Role(Role::Viewer)),
        (ActOnContainer::PATH, Access::Role(Role::Admin)),
        (GetContainerDetails::PATH, Access::Role(Role::Viewer)),
        (ContainerLogs::PATH, Access::Role(Role::Viewer)),
        (AddDockerHost::PATH, Access::Role(Role::Admin)),
        (RemoveDockerHost::PATH, Access::Role(Role::Admin)),
    ]
};
