//! Deploys: pull a tag (a task with a progress bar), record its digest, start it in the
//! service's test slot, pass the health gate; then promote the same digest to production
//! (the old production kept stopped), or roll back to the one kept.
//!
//! Containers are named after the service: `NAME` (production), `NAME-test` (the test
//! slot, its ports on 127.0.0.1 at ports Docker picks) and `NAME-previous` (stopped, for
//! roll back). Every step is safe to repeat, so a deploy cut short by a restart or a
//! cancel is simply deployed again; production is only touched by promote and roll back.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use bollard::models::{
    ContainerCreateBody, DeviceRequest, HealthConfig, HostConfig, PortBinding, RestartPolicy,
    RestartPolicyNameEnum,
};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, InspectContainerOptions,
    RemoveContainerOptionsBuilder, RenameContainerOptionsBuilder, StartContainerOptions,
    StopContainerOptionsBuilder,
};
use chrono::Utc;
use futures::StreamExt;

use super::store::{self, StoredService};
use super::{ServiceSpec, DEPLOY_TASK};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::containers::fleet::Host;
use crate::core::db::begin_immediate;
use crate::core::docker::DockerEngine;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::tasks::service::TaskHandle;

/// How long a container may take to stop before Docker kills it.
const STOP_GRACE_SECS: i32 = 10;
/// Answers outside 2xx/3xx in a row after which an HTTP gate fails (a server that
/// answers is up; one that keeps failing is broken).
const BAD_ANSWERS: u32 = 5;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Slot {
    Test,
    Production,
}

fn test_name(name: &str) -> String {
    format!("{name}-test")
}

fn previous_name(name: &str) -> String {
    format!("{name}-previous")
}

/// Starts deploying `tag` of a service to its test slot; answers the task's id.
pub async fn start_deploy(
    state: &AppState,
    actor: &Actor,
    service_id: i64,
    tag: &str,
) -> Result<String, AppError> {
    let service = super::service::get(state, service_id).await?;
    let tag = tag.trim();
    let tag = if tag.is_empty() {
        service.spec.tag.clone()
    } else {
        tag.to_owned()
    };
    let (image, parsed_tag) =
        super::validate::parse_image("Tag", &format!("{}:{tag}", service.spec.image))?;
    if image != service.spec.image || parsed_tag != tag {
        return Err(AppError::invalid(format!(
            "Tag: '{tag}' is not a tag; use letters, digits, '_', '.' and '-', like 0.3.12."
        )));
    }
    let host = crate::containers::service::host(state, &service.host_id)?;
    if service.spec.health_path.is_some()
        && service.spec.healthcheck.is_none()
        && host.id != crate::containers::LOCAL_HOST_ID
    {
        return Err(AppError::invalid(
            "The HTTP check reaches the test slot on this machine only; for a service on another host, give it a Docker health check instead.",
        ));
    }
    // One deploy of a service at a time: a second would replace the first one's test slot.
    if let Some(task) = store::running_deploy_task(&state.db, service_id).await? {
        if state
            .tasks
            .get(&task)
            .await
            .is_ok_and(|task| !task.status.is_finished())
        {
            return Err(AppError::Conflict(format!(
                "A deploy of {} is running; wait for it to finish or cancel it first.",
                service.spec.name
            )));
        }
    }
    let deployment = store::start_deployment(
        &state.db,
        service_id,
        &tag,
        &actor.name,
        &service.spec,
        Utc::now(),
    )
    .await?;
    record(
        &state.db,
        actor,
        "services",
        "deploy",
        &format!("{}:{tag}", service.spec.name),
        Outcome::Ok,
        "to the test slot",
    )
    .await;
    let worker = state.clone();
    let target = service.spec.name.clone();
    let task = state
        .tasks
        .start(DEPLOY_TASK, &target, move |handle| async move {
            let result = run_deploy(&worker, &handle, &service, &host, deployment, &tag).await;
            let (status, message) = match &result {
                Ok(sentence) => ("ready", sentence.clone()),
                Err(error) => ("failed", error.to_string()),
            };
            store::finish_deployment(&worker.db, deployment, status, &message, Utc::now()).await?;
            result.map(|_| Some(serde_json::json!({ "deployment": deployment })))
        })
        .await?;
    store::set_task(&state.db, deployment, &task).await?;
    Ok(task)
}

async fn run_deploy(
    state: &AppState,
    task: &TaskHandle,
    service: &StoredService,
    host: &Host,
    deployment: i64,
    tag: &str,
) -> Result<String, AppError> {
    let spec = &service.spec;
    task.progress(Some(0.0), format!("Pulling {}:{tag}…", spec.image));
    pull(&host.engine, &spec.image, tag, task).await?;
    let (digest, image_ref) = resolve(&host.engine, &spec.image, tag).await?;
    store::set_image(&state.db, deployment, &digest, &image_ref).await?;
    task.log(format!("digest {digest}"));

    let name = test_name(&spec.name);
    task.progress(Some(0.7), format!("Starting {name}…"));
    let secrets = secrets(state, service.id).await?;
    remove_if_exists(&host.engine, &name).await?;
    let body = container_body(spec, &secrets, &image_ref, Slot::Test, deployment);
    create_and_start(&host.engine, &name, body).await?;

    task.progress(Some(0.8), "Waiting for the health gate…");
    match health_gate(&host.engine, &name, spec, task).await {
        Ok(how) => {
            task.progress(Some(1.0), "Ready in the test slot.");
            Ok(format!("{tag} ({}) passed the health gate ({how}) and waits in the test slot; promote it to put it in production.", short(&digest)))
        }
        Err(why) => {
            // Production was never touched; the failed try goes.
            let _ = remove_if_exists(&host.engine, &name).await;
            Err(AppError::Conflict(format!(
                "{tag} did not pass the health gate: {why} Production is unchanged."
            )))
        }
    }
}

fn short(digest: &str) -> &str {
    &digest[..digest.len().min(19)]
}

/// Pulls `image:tag`, reporting bytes and share done per layer as Docker reports them.
async fn pull(
    engine: &DockerEngine,
    image: &str,
    tag: &str,
    task: &TaskHandle,
) -> Result<(), AppError> {
    let client = engine.streaming_client().await?;
    let options = CreateImageOptionsBuilder::new()
        .from_image(image)
        .tag(tag)
        .build();
    let mut stream = client.create_image(Some(options), None, None);
    let mut layers: HashMap<String, (u64, u64)> = HashMap::new();
    while let Some(step) = stream.next().await {
        let info = step.map_err(|error| {
            AppError::EngineUnavailable(format!(
                "Pulling {image}:{tag} failed: {}",
                pull_sentence(&error)
            ))
        })?;
        if let Some(error) = info
            .error_detail
            .and_then(|detail| detail.message)
            .or(info.error)
        {
            return Err(AppError::EngineUnavailable(format!(
                "Pulling {image}:{tag} failed: {error}"
            )));
        }
        let (Some(id), Some(status)) = (info.id, info.status) else {
            continue;
        };
        let detail = info.progress_detail.unwrap_or_default();
        let entry = layers.entry(id).or_default();
        match status.as_str() {
            "Downloading" => {
                entry.0 = detail.current.unwrap_or(0).max(0) as u64;
                entry.1 = detail.total.unwrap_or(0).max(0) as u64;
            }
            "Download complete" | "Pull complete" | "Already exists" => entry.0 = entry.1,
            _ => {}
        }
        let (done, total) = layers
            .values()
            .fold((0, 0), |(done, total), (d, t)| (done + d, total + t));
        if total > 0 {
            task.bytes(done, Some(total));
            task.progress(
                Some(0.6 * done as f64 / total as f64),
                format!("Pulling {image}:{tag}: {status}"),
            );
        }
    }
    Ok(())
}

fn pull_sentence(error: &bollard::errors::Error) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError { message, .. }
        | bollard::errors::Error::DockerStreamError { error: message } => message.clone(),
        _ => "the Docker engine stopped answering".to_owned(),
    }
}

/// The pulled image's content digest and the reference that pins it.
async fn resolve(
    engine: &DockerEngine,
    image: &str,
    tag: &str,
) -> Result<(String, String), AppError> {
    let reference = format!("{image}:{tag}");
    let inspect = engine
        .call(|client| async move { client.inspect_image(&reference).await })
        .await?;
    let prefix = format!("{image}@");
    let pinned = inspect
        .repo_digests
        .unwrap_or_default()
        .into_iter()
        .find(|digest| digest.starts_with(&prefix));
    match pinned {
        Some(pinned) => Ok((pinned[prefix.len()..].to_owned(), pinned)),
        // Built on this host and never pushed: its id is the only pin there is.
        None => {
            let id = inspect.id.unwrap_or_default();
            Ok((id.clone(), id))
        }
    }
}

pub(crate) async fn secrets(
    state: &AppState,
    service_id: i64,
) -> Result<Vec<(String, String)>, AppError> {
    store::sealed_secrets(&state.db, service_id)
        .await?
        .into_iter()
        .map(|(name, sealed)| Ok((name, state.secrets.unseal(&sealed)?)))
        .collect()
}

/// The container Docker is asked to create for a slot.
fn container_body(
    spec: &ServiceSpec,
    secrets: &[(String, String)],
    image_ref: &str,
    slot: Slot,
    deployment: i64,
) -> ContainerCreateBody {
    let mut env: Vec<String> = spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
    env.extend(secrets.iter().map(|(k, v)| format!("{k}={v}")));
    let mut labels: HashMap<String, String> = spec.labels.iter().cloned().collect();
    labels.insert("caretaker.service".into(), spec.name.clone());
    labels.insert("caretaker.deployment".into(), deployment.to_string());
    labels.insert(
        "caretaker.slot".into(),
        if slot == Slot::Test {
            "test"
        } else {
            "production"
        }
        .into(),
    );
    let mut exposed = HashMap::new();
    let mut bindings: HashMap<String, Option<Vec<PortBinding>>> = HashMap::new();
    for port in &spec.ports {
        let key = format!("{}/{}", port.container_port, port.protocol);
        exposed.insert(key.clone(), HashMap::new());
        let binding = match slot {
            // The test slot never takes production's ports: Docker picks free ones, on
            // this machine only.
            Slot::Test => PortBinding {
                host_ip: Some("127.0.0.1".into()),
                host_port: Some(String::new()),
            },
            Slot::Production => PortBinding {
                host_ip: port.host_ip.clone(),
                host_port: Some(port.host_port.to_string()),
            },
        };
        bindings
            .entry(key)
            .or_insert_with(|| Some(Vec::new()))
            .get_or_insert_with(Vec::new)
            .push(binding);
    }
    let restart = match (slot, spec.restart.as_str()) {
        (Slot::Test, _) | (_, "no") => None,
        (_, "always") => Some(RestartPolicyNameEnum::ALWAYS),
        (_, "on-failure") => Some(RestartPolicyNameEnum::ON_FAILURE),
        _ => Some(RestartPolicyNameEnum::UNLESS_STOPPED),
    };
    ContainerCreateBody {
        image: Some(image_ref.to_owned()),
        cmd: (!spec.command.is_empty()).then(|| spec.command.clone()),
        env: Some(env),
        labels: Some(labels),
        exposed_ports: Some(exposed),
        healthcheck: spec.healthcheck.as_ref().map(health_config),
        host_config: Some(HostConfig {
            port_bindings: Some(bindings),
            binds: Some(
                spec.volumes
                    .iter()
                    .map(super::validate::mount_text)
                    .collect(),
            ),
            network_mode: spec.networks.first().cloned(),
            restart_policy: restart.map(|name| RestartPolicy {
                name: Some(name),
                maximum_retry_count: None,
            }),
            device_requests: spec.gpus.as_ref().map(|gpus| {
                vec![DeviceRequest {
                    driver: Some("nvidia".into()),
                    count: Some(gpus.count.map_or(-1, i64::from)),
                    capabilities: Some(vec![vec!["gpu".into()]]),
                    ..Default::default()
                }]
            }),
            ..Default::default()
        }),
        ..Default::default()
    }
}

/// A container known by its exact name: its id and the deployment it runs, from its
/// label. Docker also matches an id prefix when no name matches (a service called `db`
/// must never find a container whose id starts with "db"), so the name is checked.
struct Found {
    id: String,
    deployment: Option<i64>,
}

async fn find(engine: &DockerEngine, name: &str) -> Result<Option<Found>, AppError> {
    let wanted = name.to_owned();
    let inspect = match engine
        .call(|client| async move {
            client
                .inspect_container(&wanted, None::<InspectContainerOptions>)
                .await
        })
        .await
    {
        Ok(inspect) => inspect,
        Err(AppError::NotFound(_)) => return Ok(None),
        Err(error) => return Err(error),
    };
    if inspect.name.as_deref() != Some(&format!("/{name}")) {
        return Ok(None);
    }
    let deployment = inspect
        .config
        .and_then(|config| config.labels)
        .and_then(|labels| {
            labels
                .get("caretaker.deployment")
                .and_then(|id| id.parse().ok())
        });
    Ok(Some(Found {
        id: inspect.id.unwrap_or_default(),
        deployment,
    }))
}

async fn remove(engine: &DockerEngine, id: &str) -> Result<(), AppError> {
    let id = id.to_owned();
    match engine
        .call(|client| async move {
            let options = RemoveContainerOptionsBuilder::new().force(true).build();
            client.remove_container(&id, Some(options)).await
        })
        .await
    {
        Ok(()) | Err(AppError::NotFound(_)) => Ok(()),
        Err(error) => Err(error),
    }
}

async fn remove_if_exists(engine: &DockerEngine, name: &str) -> Result<(), AppError> {
    match find(engine, name).await? {
        Some(found) => remove(engine, &found.id).await,
        None => Ok(()),
    }
}

async fn create_and_start(
    engine: &DockerEngine,
    name: &str,
    body: ContainerCreateBody,
) -> Result<(), AppError> {
    let created = name.to_owned();
    engine
        .call(|client| async move {
            let options = CreateContainerOptionsBuilder::new().name(&created).build();
            client.create_container(Some(options), body).await
        })
        .await?;
    start(engine, name).await
}

async fn start(engine: &DockerEngine, name: &str) -> Result<(), AppError> {
    let name = name.to_owned();
    engine
        .call(|client| async move {
            client
                .start_container(&name, None::<StartContainerOptions>)
                .await
        })
        .await
}

async fn stop(engine: &DockerEngine, name: &str) -> Result<(), AppError> {
    let name = name.to_owned();
    let limit = engine.timeout() + Duration::from_secs(STOP_GRACE_SECS as u64);
    engine
        .call_with_timeout(limit, |client| async move {
            let options = StopContainerOptionsBuilder::new()
                .t(STOP_GRACE_SECS)
                .build();
            client.stop_container(&name, Some(options)).await
        })
        .await
}

async fn rename(engine: &DockerEngine, from: &str, to: &str) -> Result<(), AppError> {
    let (from, to) = (from.to_owned(), to.to_owned());
    engine
        .call(|client| async move {
            let options = RenameContainerOptionsBuilder::new().name(&to).build();
            client.rename_container(&from, options).await
        })
        .await
}

/// Waits until the test container is healthy: Docker's health check when the service has
/// one, else its HTTP check, else five seconds of running. `Err` says why not.
async fn health_gate(
    engine: &DockerEngine,
    name: &str,
    spec: &ServiceSpec,
    task: &TaskHandle,
) -> Result<String, String> {
    let limit = match (&spec.healthcheck, &spec.health_path) {
        (Some(check), _) => {
            let (start, interval, timeout) = (
                u64::from(check.start_period_secs),
                u64::from(check.interval_secs),
                u64::from(check.timeout_secs),
            );
            let rounds = u64::from(check.retries).saturating_add(1);
            Duration::from_secs(
                start
                    .saturating_add(interval.saturating_mul(rounds))
                    .saturating_add(timeout)
                    .clamp(10, 600),
            )
        }
        (None, Some(_)) => Duration::from_secs(60),
        (None, None) => Duration::from_secs(15),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(3))
        .build()
        .map_err(|error| error.to_string())?;
    let started = Instant::now();
    let mut bad_answers = 0;
    let mut last = String::from("no answer yet");
    while started.elapsed() < limit {
        let container = name.to_owned();
        let inspect = engine
            .call(|client| async move {
                client
                    .inspect_container(&container, None::<InspectContainerOptions>)
                    .await
            })
            .await
            .map_err(|error| error.to_string())?;
        let state = inspect.state.clone().unwrap_or_default();
        if state.running != Some(true) {
            return Err(format!(
                "the container stopped (exit code {}) before it was healthy.",
                state.exit_code.unwrap_or_default()
            ));
        }
        if spec.healthcheck.is_some() {
            let health = state.health.unwrap_or_default();
            match health.status.map(|status| status.to_string()).as_deref() {
                Some("healthy") => return Ok("Docker's health check passed".to_owned()),
                Some("unhealthy") => {
                    let output = health
                        .log
                        .unwrap_or_default()
                        .last()
                        .and_then(|entry| entry.output.clone())
                        .unwrap_or_default();
                    return Err(format!(
                        "Docker's health check reports it unhealthy: {}.",
                        output.trim()
                    ));
                }
                _ => {}
            }
        } else if let Some(path) = &spec.health_path {
            if let Some(port) = first_published_port(&inspect, spec) {
                let url = format!("http://127.0.0.1:{port}{path}");
                match http.get(&url).send().await {
                    Ok(answer)
                        if answer.status().is_success() || answer.status().is_redirection() =>
                    {
                        return Ok(format!("GET {path} answered {}", answer.status().as_u16()));
                    }
                    Ok(answer) => {
                        bad_answers += 1;
                        last = format!("GET {path} answered {}", answer.status().as_u16());
                        if bad_answers >= BAD_ANSWERS {
                            return Err(format!("{last}, {BAD_ANSWERS} times in a row."));
                        }
                    }
                    Err(_) => last = format!("GET {path} got no answer"),
                }
                task.log(&last);
            }
        } else if started.elapsed() >= Duration::from_secs(5) {
            return Ok("it kept running for 5 seconds".to_owned());
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    Err(format!(
        "it was not healthy within {} seconds ({last}).",
        limit.as_secs()
    ))
}

/// The host port Docker picked for the test slot's first mapped port.
fn first_published_port(
    inspect: &bollard::models::ContainerInspectResponse,
    spec: &ServiceSpec,
) -> Option<String> {
    let first = spec.ports.first()?;
    let key = format!("{}/{}", first.container_port, first.protocol);
    inspect
        .network_settings
        .as_ref()?
        .ports
        .as_ref()?
        .get(&key)?
        .as_ref()?
        .first()?
        .host_port
        .clone()
}

async fn service_and_host(
    state: &AppState,
    service_id: i64,
) -> Result<(StoredService, Host), AppError> {
    let service = super::service::get(state, service_id).await?;
    let host = crate::containers::service::host(state, &service.host_id)?;
    Ok((service, host))
}

/// One change of a service's containers at a time (two promotes at once would rename and
/// remove each other's containers), and each runs to its end even when the browser that
/// asked goes away: the request only waits for it.
pub(crate) async fn exclusively<T, F>(service_id: i64, work: F) -> Result<T, AppError>
where
    F: std::future::Future<Output = Result<T, AppError>> + Send + 'static,
    T: Send + 'static,
{
    static LOCKS: std::sync::OnceLock<
        std::sync::Mutex<HashMap<i64, std::sync::Arc<tokio::sync::Mutex<()>>>>,
    > = std::sync::OnceLock::new();
    let lock = LOCKS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .entry(service_id)
        .or_default()
        .clone();
    tokio::spawn(async move {
        let _one_at_a_time = lock.lock().await;
        work.await
    })
    .await
    .map_err(AppError::internal)?
}

/// Puts the deployment waiting in the test slot into production: the same digest, with
/// production's ports and restart policy. The old production is stopped and kept as
/// `NAME-previous` for roll back; if the new one does not start, the old one comes back.
pub async fn promote(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let (state, actor) = (state.clone(), actor.clone());
    exclusively(service_id, async move {
        promote_now(&state, &actor, service_id).await
    })
    .await
}

async fn promote_now(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let (service, host) = service_and_host(state, service_id).await?;
    let engine = &host.engine;
    let name = service.spec.name.clone();
    let Some((ready, Some(image_ref))) =
        store::deployment_in(&state.db, service_id, "ready").await?
    else {
        return Err(AppError::Conflict(
            "Nothing waits in the test slot: deploy a version first.".into(),
        ));
    };
    let production = find(engine, &name).await?;
    // When production already runs this deployment, a promote was cut short after the
    // switch: only the record is left to do.
    if production.as_ref().and_then(|found| found.deployment) != Some(ready.id) {
        let tried = find(engine, &test_name(&name)).await?;
        if tried.and_then(|found| found.deployment) != Some(ready.id) {
            return Err(AppError::Conflict(format!(
                "The test slot no longer holds {}: deploy it again, then promote.",
                ready.tag
            )));
        }
        let secrets = secrets(state, service_id).await?;
        let mut moved_aside = None;
        if let Some(current) = &production {
            // The version kept for roll back makes room only for a production to keep.
            remove_if_exists(engine, &previous_name(&name)).await?;
            stop(engine, &current.id).await?;
            rename(engine, &current.id, &previous_name(&name)).await?;
            moved_aside = Some(current.id.clone());
        }
        // Exactly as it passed the gate, whatever was edited since.
        let tried_spec = store::deployment_spec(&state.db, ready.id)
            .await?
            .unwrap_or_else(|| service.spec.clone());
        let body = container_body(
            &tried_spec,
            &secrets,
            &image_ref,
            Slot::Production,
            ready.id,
        );
        if let Err(error) = create_and_start(engine, &name, body).await {
            let restored = async {
                remove_if_exists(engine, &name).await?;
                if let Some(id) = &moved_aside {
                    rename(engine, id, &name).await?;
                    start(engine, id).await?;
                }
                Ok::<_, AppError>(())
            }
            .await;
            let message = match restored {
                Ok(()) => format!("Promotion failed: {error} Production is back on the version it ran; {} still waits in the test slot.", ready.tag),
                Err(also) => format!("Promotion failed: {error} Bringing back the version it ran failed too: {also}"),
            };
            record(
                &state.db,
                actor,
                "services",
                "promote",
                &format!("{name}:{}", ready.tag),
                Outcome::Failed,
                &message,
            )
            .await;
            return Err(AppError::Conflict(message));
        }
    }
    remove_if_exists(engine, &test_name(&name)).await?;
    let mut tx = begin_immediate(&state.db).await?;
    store::move_status(&mut tx, service_id, "previous", "retired").await?;
    store::move_status(&mut tx, service_id, "production", "previous").await?;
    store::set_status(&mut tx, ready.id, "production", Some(Utc::now())).await?;
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "promote",
        &format!("{name}:{}", ready.tag),
        Outcome::Ok,
        ready.digest.as_deref().unwrap_or_default(),
    )
    .await;
    state.fleet.refresh(&host).await;
    Ok(())
}

/// Back to the version kept stopped at the last promote: the current production is
/// removed and `NAME-previous` runs as `NAME` again.
pub async fn roll_back(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let (state, actor) = (state.clone(), actor.clone());
    exclusively(service_id, async move {
        roll_back_now(&state, &actor, service_id).await
    })
    .await
}

async fn roll_back_now(state: &AppState, actor: &Actor, service_id: i64) -> Result<(), AppError> {
    let (service, host) = service_and_host(state, service_id).await?;
    let engine = &host.engine;
    let name = service.spec.name.clone();
    let previous = store::deployment_in(&state.db, service_id, "previous")
        .await?
        .map(|(deployment, _)| deployment.id);
    let current = find(engine, &name).await?;
    match find(engine, &previous_name(&name)).await? {
        Some(kept) => {
            if let Some(current) = &current {
                remove(engine, &current.id).await?;
            }
            rename(engine, &kept.id, &name).await?;
            start(engine, &kept.id).await?;
        }
        // A roll back cut short after the switch: only the record is left to do.
        None if previous.is_some() && current.as_ref().and_then(|found| found.deployment) == previous => {}
        None => {
            return Err(AppError::Conflict(format!(
                "There is no previous version of {name} to roll back to: it is kept from one promote to the next."
            )))
        }
    }
    let mut tx = begin_immediate(&state.db).await?;
    store::move_status(&mut tx, service_id, "production", "rolled back").await?;
    store::move_status(&mut tx, service_id, "previous", "production").await?;
    tx.commit().await?;
    record(
        &state.db,
        actor,
        "services",
        "roll back",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    state.fleet.refresh(&host).await;
    Ok(())
}

/// A service's health check as the engine takes it, for a container or a Swarm task.
pub(crate) fn health_config(check: &super::Healthcheck) -> HealthConfig {
    let seconds = |s: u32| i64::from(s) * 1_000_000_000;
    HealthConfig {
        test: Some(check.test.clone()),
        interval: Some(seconds(check.interval_secs)),
        timeout: Some(seconds(check.timeout_secs)),
        retries: Some(i64::from(check.retries)),
        start_period: Some(seconds(check.start_period_secs)),
        start_interval: None,
    }
}
