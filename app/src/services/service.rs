//! The logic of services: create, edit, delete, import from compose, adopt a container.

use chrono::Utc;

use super::compose;
use super::store::{self, StoredService};
use super::validate::{self, SecretInput};
use super::{ImportReport, ServiceForm, ServiceSpec, ServiceSummary, ServiceView};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::db::begin_immediate;
use crate::core::error::AppError;
use crate::core::state::AppState;

pub async fn list(state: &AppState) -> Result<Vec<ServiceSummary>, AppError> {
    store::list(&state.db).await
}

pub async fn get(state: &AppState, id: i64) -> Result<StoredService, AppError> {
    store::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no service with id {id}.")))
}

/// Restarts the service's production container (`NAME`) on its host, never in the middle
/// of a promote or roll back of the same service.
pub async fn restart_production(state: &AppState, id: i64) -> Result<(), AppError> {
    let state = state.clone();
    super::deploy::exclusively(id, async move { restart_now(&state, id).await }).await
}

async fn restart_now(state: &AppState, id: i64) -> Result<(), AppError> {
    let service = get(state, id).await?;
    let host = state.fleet.host(&service.host_id).ok_or_else(|| {
        AppError::not_found(format!(
            "The Docker host of {} is no longer listed.",
            service.spec.name
        ))
    })?;
    let name = service.spec.name.clone();
    let limit = host.engine.timeout() + std::time::Duration::from_secs(10);
    host.engine
        .call_with_timeout(limit, |client| async move {
            let options = bollard::query_parameters::RestartContainerOptionsBuilder::new()
                .t(10)
                .build();
            client.restart_container(&name, Some(options)).await
        })
        .await
}

pub async fn view(state: &AppState, id: i64) -> Result<ServiceView, AppError> {
    let stored = get(state, id).await?;
    Ok(ServiceView {
        id,
        deployments: store::deployments(&state.db, id).await?,
        deploy_task: state
            .tasks
            .latest(super::DEPLOY_TASK, &stored.spec.name, None)
            .await?,
        form: validate::form_of(&stored.spec, &stored.host_id),
        compose: compose::export(&stored.spec),
        host_id: stored.host_id,
        spec: stored.spec,
        actions_allowed: false,
    })
}

fn checked_host(state: &AppState, host: &str) -> Result<String, AppError> {
    let host = if host.trim().is_empty() {
        crate::containers::LOCAL_HOST_ID
    } else {
        host.trim()
    };
    state
        .fleet
        .host(host)
        .map(|host| host.id)
        .ok_or_else(|| AppError::invalid(format!("Host: there is no Docker host '{host}'.")))
}

fn name_taken(name: &str) -> AppError {
    AppError::Conflict(format!(
        "Name: a service named '{name}' exists already; choose another name or edit that one."
    ))
}

/// Stores new and changed secret values; a name given without a value keeps the stored
/// one (and must exist); stored secrets no longer named are deleted.
async fn save_secrets(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    service_id: i64,
    secrets: &[SecretInput],
) -> Result<(), AppError> {
    let stored = store::secret_names(tx, service_id).await?;
    for (name, value) in secrets {
        match value {
            Some(value) => {
                store::set_secret(tx, service_id, name, &state.secrets.seal(value)).await?
            }
            None if stored.contains(name) => {}
            None => {
                return Err(AppError::invalid(format!(
                    "Secrets: {name} has no stored value yet; write it as {name}=value."
                )))
            }
        }
    }
    for name in stored {
        if !secrets.iter().any(|(kept, _)| *kept == name) {
            store::delete_secret(tx, service_id, &name).await?;
        }
    }
    Ok(())
}

/// Adds a service and its secrets inside `tx`; a taken name is a conflict.
async fn insert_with_secrets(
    state: &AppState,
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    host: &str,
    spec: &ServiceSpec,
    secrets: &[SecretInput],
) -> Result<i64, AppError> {
    let id = store::insert(tx, host, spec, Utc::now())
        .await?
        .ok_or_else(|| name_taken(&spec.name))?;
    save_secrets(state, tx, id, secrets).await?;
    Ok(id)
}

pub async fn create(state: &AppState, actor: &Actor, form: &ServiceForm) -> Result<i64, AppError> {
    let (spec, secrets) = validate::parse_form(form)?;
    let host = checked_host(state, &form.host)?;
    let mut tx = begin_immediate(&state.db).await?;
    let id = insert_with_secrets(state, &mut tx, &host, &spec, &secrets).await?;
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "create",
        &spec.name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(id)
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &ServiceForm,
) -> Result<(), AppError> {
    let (spec, secrets) = validate::parse_form(form)?;
    let host = checked_host(state, &form.host)?;
    let stored = get(state, id).await?;
    // Deployed containers carry the service's name on its host: renaming or moving the
    // service would leave them behind, unmanaged.
    if stored.spec.name != spec.name || stored.host_id != host {
        let deployed = store::deployments(&state.db, id)
            .await?
            .iter()
            .any(|deployment| {
                matches!(
                    deployment.status.as_str(),
                    "running" | "ready" | "production" | "previous"
                )
            });
        if deployed {
            return Err(AppError::Conflict(format!(
                "{} has deployed containers on {}; its name and host stay as they are (delete and create the service to move it).",
                stored.spec.name, stored.host_id
            )));
        }
    }
    let mut tx = begin_immediate(&state.db).await?;
    if !store::update(&mut tx, id, &host, &spec, Utc::now()).await? {
        return Err(name_taken(&spec.name));
    }
    save_secrets(state, &mut tx, id, &secrets).await?;
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "edit",
        &spec.name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no service with id {id}.")))?;
    record(
        &state.db,
        actor,
        "services",
        "delete",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// Creates several services in one transaction (all or none), in the order given; answers
/// their ids. Each form is checked like the new-service form.
pub async fn create_all(
    state: &AppState,
    actor: &Actor,
    forms: &[ServiceForm],
) -> Result<Vec<i64>, AppError> {
    let mut parsed = Vec::new();
    for form in forms {
        let (spec, secrets) = validate::parse_form(form)?;
        parsed.push((checked_host(state, &form.host)?, spec, secrets));
    }
    let mut tx = begin_immediate(&state.db).await?;
    let mut ids = Vec::new();
    for (host, spec, secrets) in &parsed {
        ids.push(insert_with_secrets(state, &mut tx, host, spec, secrets).await?);
    }
    tx.commit().await?;
    for (_, spec, _) in &parsed {
        record(
            &state.db,
            actor,
            "services",
            "create",
            &spec.name,
            Outcome::Ok,
            "",
        )
        .await;
    }
    Ok(ids)
}

/// Creates every service of a compose file, or none: a problem anywhere stops the import.
pub async fn import_compose(
    state: &AppState,
    actor: &Actor,
    host: &str,
    text: &str,
) -> Result<ImportReport, AppError> {
    let host = checked_host(state, host)?;
    let imported = compose::import(text)?;
    let mut tx = begin_immediate(&state.db).await?;
    let mut created = Vec::new();
    for (spec, secrets) in &imported.services {
        insert_with_secrets(state, &mut tx, &host, spec, secrets).await?;
        created.push(spec.name.clone());
    }
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "import compose",
        &created.join(", "),
        Outcome::Ok,
        "",
    )
    .await;
    Ok(ImportReport {
        created,
        ignored: imported.ignored,
    })
}

/// Makes a service of a running (or stopped) container, reading its configuration.
pub async fn adopt(
    state: &AppState,
    actor: &Actor,
    host_id: &str,
    container: &str,
) -> Result<i64, AppError> {
    let host = crate::containers::service::host(state, host_id)?;
    let id = crate::containers::service::checked_container(container)?.to_owned();
    let inspect = host
        .engine
        .call(|client| async move {
            client
                .inspect_container(
                    &id,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
        })
        .await?;
    let (spec, secrets) = spec_of_container(&inspect)?;
    let mut tx = begin_immediate(&state.db).await?;
    let service_id = insert_with_secrets(state, &mut tx, &host.id, &spec, &secrets).await?;
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "adopt",
        &format!("{}/{}", host.name, spec.name),
        Outcome::Ok,
        "",
    )
    .await;
    Ok(service_id)
}

/// A container's configuration as a service definition.
pub fn spec_of_container(
    inspect: &bollard::models::ContainerInspectResponse,
) -> Result<(ServiceSpec, Vec<SecretInput>), AppError> {
    let config = inspect.config.clone().unwrap_or_default();
    let host_config = inspect.host_config.clone().unwrap_or_default();
    let name = inspect
        .name
        .clone()
        .unwrap_or_default()
        .trim_start_matches('/')
        .to_owned();
    let (image, tag) = validate::parse_image("Image", &config.image.clone().unwrap_or_default())?;
    let mut spec = ServiceSpec {
        name,
        image,
        tag,
        command: config.cmd.clone().unwrap_or_default(),
        restart: host_config
            .restart_policy
            .and_then(|policy| policy.name)
            .map(|name| name.to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "no".to_owned()),
        ..Default::default()
    };
    let mut secrets = Vec::new();
    for entry in config.env.unwrap_or_default() {
        let (key, value) = entry.split_once('=').unwrap_or((&entry, ""));
        // PATH and friends come from the image; keep only what differs is not knowable
        // here, so PATH alone is left to the image.
        if key == "PATH" {
            continue;
        }
        if crate::containers::is_secret(key, value) {
            spec.secret_names.push(key.to_owned());
            secrets.push((key.to_owned(), Some(value.to_owned())));
        } else {
            spec.env.push((key.to_owned(), value.to_owned()));
        }
    }
    for (private, bindings) in host_config.port_bindings.unwrap_or_default() {
        let (port, protocol) = private.split_once('/').unwrap_or((&private, "tcp"));
        for binding in bindings.unwrap_or_default() {
            // Port 0 or none: Docker picked a free port, which cannot be asked for again.
            if matches!(binding.host_port.as_deref(), None | Some("" | "0")) {
                continue;
            }
            let ip = binding
                .host_ip
                .filter(|ip| !ip.is_empty() && ip != "0.0.0.0");
            let text = format!(
                "{}{}:{port}/{protocol}",
                ip.map(|ip| if ip.contains(':') {
                    format!("[{ip}]:")
                } else {
                    format!("{ip}:")
                })
                .unwrap_or_default(),
                binding.host_port.unwrap_or_default()
            );
            spec.ports.push(validate::parse_port("Ports", None, &text)?);
        }
    }
    for mount in inspect.mounts.clone().unwrap_or_default() {
        let source = match mount.typ.map(|typ| typ.to_string()).as_deref() {
            Some("volume") => mount.name.unwrap_or_default(),
            _ => mount.source.unwrap_or_default(),
        };
        let mode = if mount.rw == Some(false) { ":ro" } else { "" };
        let text = format!("{source}:{}{mode}", mount.destination.unwrap_or_default());
        spec.volumes
            .push(validate::parse_mount("Volumes", None, &text)?);
    }
    let mut labels: Vec<(String, String)> = config.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    spec.labels = labels;
    if let Some(check) = config.healthcheck.filter(|check| {
        check
            .test
            .as_ref()
            .is_some_and(|test| test.first().map(String::as_str) != Some("NONE"))
    }) {
        let seconds = |nanos: Option<i64>, default: u32| {
            nanos
                .filter(|n| *n > 0)
                .map_or(default, |n| (n / 1_000_000_000) as u32)
        };
        spec.healthcheck = Some(super::Healthcheck {
            test: check.test.unwrap_or_default(),
            interval_secs: seconds(check.interval, 30),
            timeout_secs: seconds(check.timeout, 30),
            retries: check.retries.unwrap_or(3).max(0) as u32,
            start_period_secs: seconds(check.start_period, 0),
        });
    }
    validate::check_spec(&spec)?;
    Ok((spec, secrets))
}
