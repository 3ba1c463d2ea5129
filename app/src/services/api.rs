//! Server functions of services: check the role, call the service.

use leptos::prelude::*;

use super::{ImportReport, ServiceForm, ServiceSummary, ServiceView};
use crate::core::error::AppError;

#[server(prefix = "/api", endpoint = "services/list")]
pub async fn list_services() -> Result<Vec<ServiceSummary>, AppError> {
    crate::auth::policy::require(crate::auth::Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    super::service::list(&state).await
}

#[server(prefix = "/api", endpoint = "services/get")]
pub async fn get_service(id: i64) -> Result<ServiceView, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut view = super::service::view(&state, id).await?;
    view.actions_allowed = user.role >= Role::Admin;
    Ok(view)
}

/// Creates a service; answers its id.
#[server(prefix = "/api", endpoint = "services/create")]
pub async fn create_service(form: ServiceForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let id = super::service::create(&state, &actor, &form).await?;
    // Without JavaScript the browser follows this to the new service's page.
    leptos_axum::redirect(&crate::ui::paths::href(&format!(
        "/containers/services/{id}"
    )));
    Ok(id)
}

#[server(prefix = "/api", endpoint = "services/update")]
pub async fn update_service(id: i64, form: ServiceForm) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::update(&state, &actor, id, &form).await
}

#[server(prefix = "/api", endpoint = "services/delete")]
pub async fn delete_service(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete(&state, &actor, id).await?;
    leptos_axum::redirect(&crate::ui::paths::href("/containers/services"));
    Ok(())
}

/// Creates the services of a docker-compose file (all or none).
#[server(prefix = "/api", endpoint = "services/import")]
pub async fn import_compose(host: String, compose: String) -> Result<ImportReport, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::import_compose(&state, &actor, &host, &compose).await
}

/// Makes a service of an existing container; answers the service's id.
#[server(prefix = "/api", endpoint = "services/adopt")]
pub async fn adopt_container(host: String, id: String) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let service = super::service::adopt(&state, &actor, &host, &id).await?;
    leptos_axum::redirect(&crate::ui::paths::href(&format!(
        "/containers/services/{service}"
    )));
    Ok(service)
}

/// Pulls a tag and starts it in the test slot (a task); answers the task's id.
#[server(prefix = "/api", endpoint = "services/deploy")]
pub async fn deploy_service(id: i64, tag: String) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::start_deploy(&state, &actor, id, &tag).await
}

/// Puts the deployment waiting in the test slot into production.
#[server(prefix = "/api", endpoint = "services/promote")]
pub async fn promote_service(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::promote(&state, &actor, id).await
}

/// Goes back to the version kept at the last promote.
#[server(prefix = "/api", endpoint = "services/roll-back")]
pub async fn roll_back_service(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::deploy::roll_back(&state, &actor, id).await
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (ListServices::PATH, Access::Role(Role::Viewer)),
        (GetService::PATH, Access::Role(Role::Viewer)),
        (CreateService::PATH, Access::Role(Role::Admin)),
        (UpdateService::PATH, Access::Role(Role::Admin)),
        (DeleteService::PATH, Access::Role(Role::Admin)),
        (ImportCompose::PATH, Access::Role(Role::Admin)),
        (AdoptContainer::PATH, Access::Role(Role::Admin)),
        (DeployService::PATH, Access::Role(Role::Admin)),
        (PromoteService::PATH, Access::Role(Role::Admin)),
        (RollBackService::PATH, Access::Role(Role::Admin)),
    ]
};
