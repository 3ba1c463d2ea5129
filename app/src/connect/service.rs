//! The connect settings: read them with what the page shows, save them checked and audited.

use super::{store, validate, ConnectForm, ConnectSettings, ConnectView};
use super::{DEFAULT_HOST_ALIAS, DEFAULT_SOCKS_PORT};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;

const AREA: &str = "connect";

/// The saved settings and the form; before anything is saved, the form suggests the usual
/// values and caretaker's own address.
pub async fn view(state: &AppState, can_edit: bool) -> Result<ConnectView, AppError> {
    let settings = store::load(&state.db).await?;
    let form = match &settings {
        Some(settings) => settings.to_form(),
        None => ConnectForm {
            host_alias: DEFAULT_HOST_ALIAS.to_owned(),
            socks_port: DEFAULT_SOCKS_PORT.to_string(),
            private_url: state.auth.settings.public_url.clone(),
            ..ConnectForm::default()
        },
    };
    Ok(ConnectView {
        settings,
        form,
        can_edit,
    })
}

/// The saved settings, for the PAC file.
pub async fn settings(state: &AppState) -> Result<Option<ConnectSettings>, AppError> {
    store::load(&state.db).await
}

/// Checks and saves the form; a refused form names every problem at once.
pub async fn save(
    state: &AppState,
    actor: &Actor,
    form: &ConnectForm,
) -> Result<ConnectSettings, AppError> {
    let settings =
        validate::check(form).map_err(|problems| AppError::invalid(problems.join(" ")))?;
    store::save(&state.db, &settings).await?;
    record(
        &state.db,
        actor,
        AREA,
        "edit",
        &settings.host_alias,
        Outcome::Ok,
        &format!(
            "{}@{} · SOCKS 127.0.0.1:{} · {}",
            settings.ssh_user, settings.bastion, settings.socks_port, settings.private_url
        ),
    )
    .await;
    Ok(settings)
}
