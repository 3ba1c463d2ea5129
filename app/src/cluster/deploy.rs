//! Caretaker services on the Swarm: their settings, deploys as Swarm rolling updates of a
//! pinned image, scaling, rolling back, and what runs where.
//!
//! The deploy flow is the single engine's (tag → digest → health gate → promote → roll
//! back), carried out by Swarm itself: the tag is resolved to an image id on the manager
//! and the service is updated to that id, so every node runs the same image; the health
//! gate is the service's health check (or the image's HEALTHCHECK) watched by Swarm for
//! `monitor` seconds per task; a task that fails it fails the update, and the update
//! policy's failure action `rollback` puts the previous image back without anybody
//! clicking. caretaker reads the outcome from the service's update status.

use std::collections::HashMap;

use bollard::models::{
    EndpointPortConfig, EndpointPortConfigProtocolEnum, EndpointPortConfigPublishModeEnum,
    EndpointSpec, Limit, Mount, MountTypeEnum, NetworkAttachmentConfig, ServiceSpec as SwarmSpec,
    ServiceSpecMode, ServiceSpecModeReplicated, ServiceSpecRollbackConfig,
    ServiceSpecRollbackConfigFailureActionEnum, ServiceSpecUpdateConfig,
    ServiceSpecUpdateConfigFailureActionEnum, ServiceSpecUpdateConfigOrderEnum, TaskSpec,
    TaskSpecContainerSpec, TaskSpecPlacement, TaskSpecResources,
};
use bollard::query_parameters::{InspectServiceOptions, UpdateServiceOptionsBuilder};

use super::{SwarmDeployed, SwarmForm, SwarmServiceView, SwarmSettings, SERVICE_LABEL, TAG_LABEL};
use crate::audit::service::{record, record_result, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::services::deploy::health_config;
use crate::services::store::StoredService;
use crate::services::ServiceSpec;

const SECOND_NS: i64 = 1_000_000_000;

/// A service's Swarm settings and, on a manager, what runs.
pub async fn view(state: &AppState, service_id: i64) -> Result<SwarmServiceView, AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let settings = super::store::settings(&state.db, service_id).await?;
    let manager = super::service::require_manager(state).await.is_ok();
    let deployed = if manager {
        deployed(state, &service.spec.name).await?
    } else {
        None
    };
    Ok(SwarmServiceView {
        service_id,
        name: service.spec.name,
        manager,
        form: SwarmForm::of(&settings.clone().unwrap_or_default()),
        settings,
        deployed,
        actions_allowed: false,
    })
}

async fn deployed(state: &AppState, name: &str) -> Result<Option<SwarmDeployed>, AppError> {
    let Some(service) = inspect(state, name).await? else {
        return Ok(None);
    };
    let spec = service.spec.unwrap_or_default();
    let labels = spec.labels.unwrap_or_default();
    let image = spec
        .task_template
        .and_then(|task| task.container_spec)
        .and_then(|container| container.image)
        .unwrap_or_default();
    let replicas = spec
        .mode
        .and_then(|mode| mode.replicated)
        .and_then(|replicated| replicated.replicas)
        .unwrap_or(0);
    let status = service.update_status.unwrap_or_default();
    let tasks = super::service::service_tasks(state, name).await?;
    Ok(Some(SwarmDeployed {
        image,
        tag: labels.get(TAG_LABEL).cloned().unwrap_or_default(),
        replicas: u64::try_from(replicas).unwrap_or(0),
        running: tasks
            .iter()
            .filter(|task| task.state == "running" && task.desired_state == "running")
            .count(),
        update_state: status
            .state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        update_message: status.message.unwrap_or_default(),
        tasks,
    }))
}

/// The Swarm service of this name, `None` when there is none.
async fn inspect(
    state: &AppState,
    name: &str,
) -> Result<Option<bollard::models::Service>, AppError> {
    let name = name.to_owned();
    match state
        .docker
        .call(|client| async move {
            client
                .inspect_service(&name, None::<InspectServiceOptions>)
                .await
        })
        .await
    {
        Ok(service) => Ok(Some(service)),
        Err(AppError::NotFound(_)) => Ok(None),
        Err(error) => Err(error),
    }
}

/// Checks and stores a service's Swarm settings; audited. A deployed service takes them
/// at its next deploy.
pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    service_id: i64,
    form: &SwarmForm,
) -> Result<SwarmSettings, AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let settings = super::validate::parse_form(form)?;
    super::store::save_settings(&state.db, service_id, &settings).await?;
    record(
        &state.db,
        actor,
        "cluster",
        "save swarm settings",
        &service.spec.name,
        Outcome::Ok,
        &format!("{} replicas", settings.replicas),
    )
    .await;
    Ok(settings)
}

/// Deploys `tag` (the service's own tag when empty) as a Swarm rolling update, or creates
/// the Swarm service the first time. Returns the pinned image. Swarm carries out the
/// update; its progress and outcome show in [`view`].
pub async fn deploy(
    state: &AppState,
    actor: &Actor,
    service_id: i64,
    tag: &str,
) -> Result<String, AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let tag = checked_tag(&service, tag)?;
    let target = format!("{}:{tag}", service.spec.name);
    let result = deploy_checked(state, &service, &tag).await;
    record_result(
        &state.db,
        actor,
        "cluster",
        "deploy on swarm",
        &target,
        &result,
        |image| format!("rolling update to {image}"),
    )
    .await;
    result
}

fn checked_tag(service: &StoredService, tag: &str) -> Result<String, AppError> {
    let tag = tag.trim();
    let tag = if tag.is_empty() {
        service.spec.tag.clone()
    } else {
        tag.to_owned()
    };
    let (image, parsed_tag) =
        crate::services::validate::parse_image("Tag", &format!("{}:{tag}", service.spec.image))?;
    if image != service.spec.image || parsed_tag != tag {
        return Err(AppError::invalid(format!(
            "Tag: '{tag}' is not a tag; use letters, digits, '_', '.' and '-', like 0.3.12."
        )));
    }
    Ok(tag)
}

async fn deploy_checked(
    state: &AppState,
    service: &StoredService,
    tag: &str,
) -> Result<String, AppError> {
    super::service::require_manager(state).await?;
    let settings = super::store::settings(&state.db, service.id)
        .await?
        .unwrap_or_default();
    let image = pinned_image(state, &service.spec.image, tag).await?;
    let secrets = crate::services::deploy::secrets(state, service.id).await?;
    let spec = swarm_spec(service, &settings, &secrets, &image, tag);
    match inspect(state, &service.spec.name).await? {
        None => {
            state
                .docker
                .call(|client| async move { client.create_service(spec, None).await })
                .await?;
        }
        Some(existing) => {
            let version = existing_version(&existing);
            let name = service.spec.name.clone();
            state
                .docker
                .call(|client| async move {
                    let options = UpdateServiceOptionsBuilder::new().version(version).build();
                    client.update_service(&name, spec, options, None).await
                })
                .await?;
        }
    }
    Ok(image)
}

fn existing_version(service: &bollard::models::Service) -> i32 {
    let index = service
        .version
        .as_ref()
        .and_then(|version| version.index)
        .unwrap_or_default();
    i32::try_from(index).unwrap_or(i32::MAX)
}

/// The tag pinned: the registry digest (`image@sha256:…`) when the image came from a
/// registry, so nodes without it can pull exactly it; else the image id (`sha256:…`),
/// which every node must already hold (Swarm does not pull an image named by id).
async fn pinned_image(state: &AppState, image: &str, tag: &str) -> Result<String, AppError> {
    let reference = format!("{image}:{tag}");
    let asked = reference.clone();
    let inspected = match state
        .docker
        .call(|client| async move { client.inspect_image(&asked).await })
        .await
    {
        Ok(inspected) => inspected,
        Err(AppError::NotFound(_)) => {
            return Err(AppError::not_found(format!(
                "The image {reference} is not on this Swarm manager; pull or load it first (every node needs it, or a registry they can all reach)."
            )))
        }
        Err(error) => return Err(error),
    };
    let from_registry = inspected
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find(|digest| {
            digest
                .split_once('@')
                .is_some_and(|(repository, _)| repository == image)
        });
    match (from_registry, inspected.id) {
        (Some(digest), _) => Ok(digest),
        (None, Some(id)) => Ok(id),
        (None, None) => Err(AppError::internal(format_args!(
            "the engine gave no id for {reference}"
        ))),
    }
}

/// The Swarm service for a caretaker service, its settings and a pinned image.
fn swarm_spec(
    service: &StoredService,
    settings: &SwarmSettings,
    secrets: &[(String, String)],
    image: &str,
    tag: &str,
) -> SwarmSpec {
    let spec: &ServiceSpec = &service.spec;
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.extend(secrets.iter().map(|(k, v)| format!("{k}={v}")));
    let mut container_labels: HashMap<String, String> = spec.labels.iter().cloned().collect();
    container_labels.insert("caretaker.service".into(), spec.name.clone());
    let mounts = spec
        .volumes
        .iter()
        .map(|mount| Mount {
            target: Some(mount.target.clone()),
            source: Some(mount.source.clone()),
            typ: Some(if mount.source.starts_with('/') {
                MountTypeEnum::BIND
            } else {
                MountTypeEnum::VOLUME
            }),
            read_only: Some(mount.read_only),
            ..Default::default()
        })
        .collect();
    let seconds = |s: u32| i64::from(s) * SECOND_NS;
    let container = TaskSpecContainerSpec {
        image: Some(image.to_owned()),
        // caretaker's command is `docker run`'s: the image's entrypoint stays, as there.
        args: (!spec.command.is_empty()).then(|| spec.command.clone()),
        env: Some(env),
        labels: Some(container_labels),
        mounts: Some(mounts),
        health_check: spec.healthcheck.as_ref().map(health_config),
        ..Default::default()
    };
    let limits =
        (settings.cpu_limit.is_some() || settings.memory_limit_mib.is_some()).then(|| Limit {
            nano_cpus: settings.cpu_limit.map(|cpus| (cpus * 1e9) as i64),
            memory_bytes: settings
                .memory_limit_mib
                .map(|mib| i64::try_from(mib * 1024 * 1024).unwrap_or(i64::MAX)),
            pids: None,
        });
    let task_template = TaskSpec {
        container_spec: Some(container),
        resources: Some(TaskSpecResources {
            limits,
            reservations: None,
        }),
        placement: Some(TaskSpecPlacement {
            constraints: Some(settings.constraints.clone()),
            ..Default::default()
        }),
        networks: Some(
            spec.networks
                .iter()
                .map(|network| NetworkAttachmentConfig {
                    target: Some(network.clone()),
                    ..Default::default()
                })
                .collect(),
        ),
        ..Default::default()
    };
    let ports: Vec<EndpointPortConfig> = spec
        .ports
        .iter()
        .map(|port| EndpointPortConfig {
            protocol: Some(if port.protocol == "udp" {
                EndpointPortConfigProtocolEnum::UDP
            } else {
                EndpointPortConfigProtocolEnum::TCP
            }),
            target_port: Some(i64::from(port.container_port)),
            published_port: Some(i64::from(port.host_port)),
            publish_mode: Some(EndpointPortConfigPublishModeEnum::INGRESS),
            ..Default::default()
        })
        .collect();
    let update = &settings.update;
    let rollback = &settings.rollback;
    SwarmSpec {
        name: Some(spec.name.clone()),
        labels: Some(HashMap::from([
            (SERVICE_LABEL.to_owned(), service.id.to_string()),
            (TAG_LABEL.to_owned(), tag.to_owned()),
        ])),
        task_template: Some(task_template),
        mode: Some(ServiceSpecMode {
            replicated: Some(ServiceSpecModeReplicated {
                replicas: Some(i64::from(settings.replicas)),
            }),
            ..Default::default()
        }),
        update_config: Some(ServiceSpecUpdateConfig {
            parallelism: Some(i64::from(update.parallelism)),
            delay: Some(seconds(update.delay_secs)),
            failure_action: Some(match update.failure_action.as_str() {
                "pause" => ServiceSpecUpdateConfigFailureActionEnum::PAUSE,
                "continue" => ServiceSpecUpdateConfigFailureActionEnum::CONTINUE,
                _ => ServiceSpecUpdateConfigFailureActionEnum::ROLLBACK,
            }),
            monitor: Some(seconds(update.monitor_secs)),
            // One failed task is a failed update: the health gate is all or nothing.
            max_failure_ratio: Some(0.0),
            order: Some(ServiceSpecUpdateConfigOrderEnum::STOP_FIRST),
        }),
        rollback_config: Some(ServiceSpecRollbackConfig {
            parallelism: Some(i64::from(rollback.parallelism)),
            delay: Some(seconds(rollback.delay_secs)),
            failure_action: Some(match rollback.failure_action.as_str() {
                "continue" => ServiceSpecRollbackConfigFailureActionEnum::CONTINUE,
                _ => ServiceSpecRollbackConfigFailureActionEnum::PAUSE,
            }),
            monitor: Some(seconds(rollback.monitor_secs)),
            max_failure_ratio: Some(0.0),
            order: None,
        }),
        endpoint_spec: (!ports.is_empty()).then_some(EndpointSpec {
            mode: None,
            ports: Some(ports),
        }),
        ..Default::default()
    }
}

/// Sets the number of replicas of a deployed service (and in its settings, so the next
/// deploy keeps it); audited.
pub async fn scale(
    state: &AppState,
    actor: &Actor,
    service_id: i64,
    replicas: &str,
) -> Result<(), AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let replicas = super::validate::replicas(replicas)?;
    let result = scale_checked(state, &service, replicas).await;
    record_result(
        &state.db,
        actor,
        "cluster",
        "scale",
        &service.spec.name,
        &result,
        |_| format!("{replicas} replicas"),
    )
    .await;
    result
}

async fn scale_checked(
    state: &AppState,
    service: &StoredService,
    replicas: u32,
) -> Result<(), AppError> {
    super::service::require_manager(state).await?;
    let Some(existing) = inspect(state, &service.spec.name).await? else {
        return Err(AppError::Conflict(format!(
            "{} is not deployed on the Swarm yet; deploy it first.",
            service.spec.name
        )));
    };
    let version = existing_version(&existing);
    let mut spec = existing.spec.unwrap_or_default();
    spec.mode = Some(ServiceSpecMode {
        replicated: Some(ServiceSpecModeReplicated {
            replicas: Some(i64::from(replicas)),
        }),
        ..Default::default()
    });
    let name = service.spec.name.clone();
    state
        .docker
        .call(|client| async move {
            let options = UpdateServiceOptionsBuilder::new().version(version).build();
            client.update_service(&name, spec, options, None).await
        })
        .await?;
    let mut settings = super::store::settings(&state.db, service.id)
        .await?
        .unwrap_or_default();
    settings.replicas = replicas;
    super::store::save_settings(&state.db, service.id, &settings).await
}

/// Puts the service's previous definition back (Swarm keeps one); audited.
pub async fn roll_back(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let result = async {
        super::service::require_manager(state).await?;
        let Some(existing) = inspect(state, &service.spec.name).await? else {
            return Err(AppError::Conflict(format!(
                "{} is not deployed on the Swarm; there is nothing to roll back.",
                service.spec.name
            )));
        };
        let version = existing_version(&existing);
        let spec = existing.spec.unwrap_or_default();
        let name = service.spec.name.clone();
        state
            .docker
            .call(|client| async move {
                let options = UpdateServiceOptionsBuilder::new()
                    .version(version)
                    .rollback("previous")
                    .build();
                client.update_service(&name, spec, options, None).await
            })
            .await
            .map(|_| ())
    }
    .await;
    record_result(
        &state.db,
        actor,
        "cluster",
        "roll back on swarm",
        &service.spec.name,
        &result,
        |_| String::new(),
    )
    .await;
    result
}

/// Removes the Swarm service (its tasks stop everywhere); the caretaker service and its
/// settings stay. Audited.
pub async fn remove(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let service = crate::services::service::get(state, service_id).await?;
    let name = service.spec.name.clone();
    let result = async {
        super::service::require_manager(state).await?;
        state
            .docker
            .call(|client| async move { client.delete_service(&name).await })
            .await
    }
    .await;
    record_result(
        &state.db,
        actor,
        "cluster",
        "remove from swarm",
        &service.spec.name,
        &result,
        |_| String::new(),
    )
    .await;
    result
}
