//! Server functions of the models area: check the role, call the service.

use leptos::prelude::*;

use super::{ModelDetails, ModelsOverview, ServerForm, SyncForm};
use crate::core::error::AppError;

/// Every server with its models and loaded models, and the recent pulls and syncs.
#[server(prefix = "/api", endpoint = "models/overview")]
pub async fn get_models_overview() -> Result<ModelsOverview, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut overview = super::service::overview(&state).await?;
    overview.actions_allowed = user.role >= Role::Admin;
    Ok(overview)
}

#[server(prefix = "/api", endpoint = "models/details")]
pub async fn get_model_details(server: i64, model: String) -> Result<ModelDetails, AppError> {
    use crate::auth::{policy, Role};
    let user = policy::require(Role::Viewer)?;
    let state = crate::core::state::app_state()?;
    let mut details = super::service::details(&state, server, &model).await?;
    details.actions_allowed = user.role >= Role::Admin;
    // An admin's test prompt and its answer are theirs to read, not every viewer's.
    if !details.actions_allowed {
        details.last_prompt = None;
    }
    Ok(details)
}

#[server(prefix = "/api", endpoint = "models/servers/add")]
pub async fn add_ollama_server(form: ServerForm) -> Result<i64, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::add_server(&state, &actor, &form).await
}

#[server(prefix = "/api", endpoint = "models/servers/remove")]
pub async fn remove_ollama_server(id: i64) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::remove_server(&state, &actor, id).await
}

/// Starts a pull; answers the task's id.
#[server(prefix = "/api", endpoint = "models/pull")]
pub async fn pull_model(server: i64, model: String) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::pull(&state, &actor, server, &model).await
}

#[server(prefix = "/api", endpoint = "models/delete")]
pub async fn delete_model(server: i64, model: String) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::delete(&state, &actor, server, &model).await
}

#[server(prefix = "/api", endpoint = "models/copy")]
pub async fn copy_model(server: i64, source: String, destination: String) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::copy(&state, &actor, server, &source, &destination).await
}

#[server(prefix = "/api", endpoint = "models/unload")]
pub async fn unload_model(server: i64, model: String) -> Result<(), AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::unload(&state, &actor, server, &model).await
}

/// Starts a sync; answers the task's id.
#[server(prefix = "/api", endpoint = "models/sync")]
pub async fn sync_model(form: SyncForm) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    super::service::sync(&state, &actor, &form.model, &form.servers).await
}

/// Starts a test prompt; answers the task's id. It loads the model, so it is an admin's.
#[server(prefix = "/api", endpoint = "models/prompt")]
pub async fn test_prompt(server: i64, model: String, prompt: String) -> Result<String, AppError> {
    use crate::auth::{policy, service::actor, Role};
    let user = policy::require(Role::Admin)?;
    let state = crate::core::state::app_state()?;
    let actor = actor(&user, &policy::current_client());
    let id = super::service::prompt(&state, &actor, server, &model, &prompt).await?;
    // Without JavaScript the browser follows this back to the model, where the answer shows.
    leptos_axum::redirect(&crate::ui::paths::href(&format!(
        "/models/details?server={server}&model={}",
        crate::ui::paths::encode_query(&model)
    )));
    Ok(id)
}

/// Who may call each server function here (enforced by `auth::policy`).
#[cfg(feature = "ssr")]
pub const ACCESS: &[(&str, crate::auth::policy::Access)] = {
    use crate::auth::policy::Access;
    use crate::auth::Role;
    use leptos::server_fn::ServerFn;
    &[
        (GetModelsOverview::PATH, Access::Role(Role::Viewer)),
        (GetModelDetails::PATH, Access::Role(Role::Viewer)),
        (AddOllamaServer::PATH, Access::Role(Role::Admin)),
        (RemoveOllamaServer::PATH, Access::Role(Role::Admin)),
        (PullModel::PATH, Access::Role(Role::Admin)),
        (DeleteModel::PATH, Access::Role(Role::Admin)),
        (CopyModel::PATH, Access::Role(Role::Admin)),
        (UnloadModel::PATH, Access::Role(Role::Admin)),
        (SyncModel::PATH, Access::Role(Role::Admin)),
        (TestPrompt::PATH, Access::Role(Role::Admin)),
    ]
};
