//! The logic of the containers area: the list from the fleet's snapshots, actions,
//! inspect, logs, and the added Docker hosts.

use std::time::Duration;

use bollard::container::LogOutput;
use bollard::models::{ContainerInspectResponse, Port, PortBinding};
use bollard::query_parameters::{
    InspectContainerOptions, LogsOptionsBuilder, RemoveContainerOptionsBuilder,
    RestartContainerOptionsBuilder, StartContainerOptions, StopContainerOptionsBuilder,
};
use chrono::{DateTime, Utc};
use futures::TryStreamExt;

use super::fleet::Host;
use super::{
    env_var, ContainerAction, ContainerDetails, ContainerFilter, ContainerList, LogLine, LogLines,
    NewHost, LOCAL_HOST_ID, MAX_TAIL,
};
use crate::audit::service::{record, record_result, Actor};
use crate::audit::Outcome;
use crate::core::docker::DockerEndpoint;
use crate::core::error::AppError;
use crate::core::state::AppState;

/// A page waits this long for a host that has never been checked (right after start),
/// then shows it as "checking" rather than keep the other hosts waiting.
const FIRST_CHECK_WAIT: Duration = Duration::from_secs(2);
/// Seconds Docker waits for a container to stop before it kills it (as `docker stop`).
const STOP_GRACE_SECS: i32 = 10;

/// Reads the added hosts from the database into the fleet.
pub async fn load_hosts(state: &AppState) -> Result<(), AppError> {
    let timeout = state.docker.timeout();
    let hosts = super::store::list_hosts(&state.db)
        .await?
        .into_iter()
        .map(|record| Host {
            id: record.id.to_string(),
            name: record.name,
            engine: crate::core::docker::DockerEngine::new(
                DockerEndpoint::Tls {
                    address: record
                        .address
                        .strip_prefix("tcp://")
                        .unwrap_or(&record.address)
                        .to_owned(),
                    ca_file: record.ca_file,
                    cert_file: record.cert_file,
                    key_file: record.key_file,
                },
                timeout,
            ),
        })
        .collect();
    state.fleet.set_added(hosts);
    Ok(())
}

/// The containers of every host, filtered. Served from snapshots; a host never checked
/// yet gets a short wait.
pub async fn list(state: &AppState, filter: &ContainerFilter) -> ContainerList {
    let unchecked: Vec<Host> = state
        .fleet
        .hosts()
        .into_iter()
        .filter(|host| !state.fleet.has_snapshot(&host.id))
        .collect();
    if !unchecked.is_empty() {
        let fleet = state.fleet.clone();
        // Spawned, so the check finishes (and is kept) even when the page stops waiting.
        let checks = tokio::spawn(async move {
            futures::future::join_all(unchecked.iter().map(|host| fleet.refresh(host))).await;
        });
        let _ = tokio::time::timeout(FIRST_CHECK_WAIT, checks).await;
    }
    let mut all = state.fleet.containers();
    for row in &mut all {
        if let Some(name) = row.node.as_deref().and_then(|id| state.swarm.node_name(id)) {
            row.node = Some(name);
        }
    }
    let mut states: Vec<String> = all.iter().map(|row| row.state.clone()).collect();
    states.sort();
    states.dedup();
    let total = all.len();
    let needle = filter.q.trim().to_lowercase();
    let containers = all
        .into_iter()
        .filter(|row| filter.host.is_empty() || row.host_id == filter.host)
        .filter(|row| filter.state.is_empty() || row.state == filter.state)
        .filter(|row| {
            needle.is_empty()
                || [&row.name, &row.image, &row.id, &row.host_name]
                    .iter()
                    .any(|field| field.to_lowercase().contains(&needle))
        })
        .collect();
    ContainerList {
        hosts: state.fleet.statuses(),
        containers,
        total,
        states,
        actions_allowed: false,
    }
}

pub(crate) fn host(state: &AppState, host_id: &str) -> Result<Host, AppError> {
    state
        .fleet
        .host(host_id)
        .ok_or_else(|| AppError::not_found(format!("There is no Docker host '{host_id}'.")))
}

/// Docker's container ids are hex; names are `[a-zA-Z0-9][a-zA-Z0-9_.-]*`. Anything else
/// never reaches the engine.
pub(crate) fn checked_container(reference: &str) -> Result<&str, AppError> {
    let valid = !reference.is_empty()
        && reference.len() <= 128
        && reference
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && reference
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if valid {
        Ok(reference)
    } else {
        Err(AppError::invalid(format!(
            "'{reference}' is not a container id or name; accepted: letters, digits, '_', '.' and '-'."
        )))
    }
}

/// Starts, stops, restarts or removes a container; audited either way. The host's
/// snapshot is refreshed before the answer, so the list shows the new state.
pub async fn act(
    state: &AppState,
    actor: &Actor,
    host_id: &str,
    container: &str,
    action: ContainerAction,
) -> Result<(), AppError> {
    let host = host(state, host_id)?;
    let container = checked_container(container)?.to_owned();
    let name = state
        .fleet
        .container(host_id, &container)
        .map_or_else(|| container.clone(), |row| row.name);
    let target = format!("{}/{name}", host.name);
    let id = container.clone();
    let result = match action {
        ContainerAction::Start => {
            host.engine
                .call(|client| async move {
                    client
                        .start_container(&id, None::<StartContainerOptions>)
                        .await
                })
                .await
        }
        ContainerAction::Stop => {
            let limit = host.engine.timeout() + Duration::from_secs(STOP_GRACE_SECS as u64);
            host.engine
                .call_with_timeout(limit, |client| async move {
                    let options = StopContainerOptionsBuilder::new()
                        .t(STOP_GRACE_SECS)
                        .build();
                    client.stop_container(&id, Some(options)).await
                })
                .await
        }
        ContainerAction::Restart => {
            let limit = host.engine.timeout() + Duration::from_secs(STOP_GRACE_SECS as u64);
            host.engine
                .call_with_timeout(limit, |client| async move {
                    let options = RestartContainerOptionsBuilder::new()
                        .t(STOP_GRACE_SECS)
                        .build();
                    client.restart_container(&id, Some(options)).await
                })
                .await
        }
        ContainerAction::Remove => {
            // The page confirmed it; a running container is stopped and removed, its
            // anonymous volumes kept (named and anonymous data stays on the host).
            host.engine
                .call(|client| async move {
                    let options = RemoveContainerOptionsBuilder::new().force(true).build();
                    client.remove_container(&id, Some(options)).await
                })
                .await
        }
    };
    record_result(
        &state.db,
        actor,
        "containers",
        action.verb(),
        &target,
        &result,
        |_| String::new(),
    )
    .await;
    state.fleet.refresh(&host).await;
    result
}

/// `docker inspect`, with values that look secret masked.
pub async fn details(
    state: &AppState,
    host_id: &str,
    container: &str,
) -> Result<ContainerDetails, AppError> {
    let host = host(state, host_id)?;
    let id = checked_container(container)?.to_owned();
    let inspect: ContainerInspectResponse = host
        .engine
        .call(|client| async move {
            client
                .inspect_container(&id, None::<InspectContainerOptions>)
                .await
        })
        .await?;
    let config = inspect.config.clone().unwrap_or_default();
    let host_config = inspect.host_config.clone().unwrap_or_default();
    let container_state = inspect.state.clone().unwrap_or_default();
    let full_id = inspect.id.clone().unwrap_or_default();
    let mut labels: Vec<(String, String)> = config.labels.unwrap_or_default().into_iter().collect();
    labels.sort();
    let mounts = inspect
        .mounts
        .unwrap_or_default()
        .into_iter()
        .map(|mount| {
            let mode = if mount.rw == Some(false) { "ro" } else { "rw" };
            format!(
                "{} → {} ({mode})",
                mount.name.or(mount.source).unwrap_or_default(),
                mount.destination.unwrap_or_default()
            )
        })
        .collect();
    let ports = inspect
        .network_settings
        .as_ref()
        .and_then(|settings| settings.ports.clone())
        .map(|ports| published_ports(&ports))
        .unwrap_or_default();
    let networks = inspect
        .network_settings
        .and_then(|settings| settings.networks)
        .map(|networks| networks.into_keys().collect())
        .unwrap_or_default();
    let mut command = config.entrypoint.unwrap_or_default();
    command.extend(config.cmd.unwrap_or_default());
    Ok(ContainerDetails {
        host_id: host.id.clone(),
        host_name: host.name.clone(),
        usage: state
            .fleet
            .container(&host.id, &full_id)
            .and_then(|row| row.usage),
        id: full_id,
        name: inspect
            .name
            .unwrap_or_default()
            .trim_start_matches('/')
            .to_owned(),
        image: config.image.unwrap_or_default(),
        image_id: inspect.image.unwrap_or_default(),
        state: container_state
            .status
            .map(|status| status.to_string())
            .unwrap_or_default(),
        health: container_state
            .health
            .and_then(|health| health.status)
            .map(|status| status.to_string())
            .filter(|status| !status.is_empty() && status != "none"),
        created: inspect.created.as_deref().and_then(parse_time),
        started_at: container_state.started_at.as_deref().and_then(parse_time),
        command,
        restart_policy: host_config
            .restart_policy
            .and_then(|policy| policy.name)
            .map(|name| name.to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "no".to_owned()),
        env: config
            .env
            .unwrap_or_default()
            .iter()
            .map(|entry| env_var(entry))
            .collect(),
        labels,
        mounts,
        ports,
        networks,
        actions_allowed: false,
    })
}

/// Docker writes "0001-01-01T00:00:00Z" for "never".
fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|time| time.with_timezone(&Utc))
        .filter(|time| time.timestamp() > 0)
}

fn published_ports(
    ports: &std::collections::HashMap<String, Option<Vec<PortBinding>>>,
) -> Vec<String> {
    let mut texts: Vec<String> = ports
        .iter()
        .flat_map(|(private, bindings)| match bindings {
            Some(bindings) if !bindings.is_empty() => bindings
                .iter()
                .map(|binding| {
                    format!(
                        "{}:{}→{private}",
                        binding.host_ip.as_deref().unwrap_or("0.0.0.0"),
                        binding.host_port.as_deref().unwrap_or("")
                    )
                })
                .collect(),
            _ => vec![private.clone()],
        })
        .collect();
    texts.sort();
    texts
}

/// The last `tail` lines of a container's log, those containing `search` when given.
pub async fn logs(
    state: &AppState,
    host_id: &str,
    container: &str,
    tail: u32,
    search: &str,
) -> Result<LogLines, AppError> {
    let host = host(state, host_id)?;
    let id = checked_container(container)?.to_owned();
    let tail = tail.clamp(1, MAX_TAIL);
    let needle = search.trim().to_lowercase();
    let outputs: Vec<LogOutput> = host
        .engine
        .call(|client| async move {
            let options = LogsOptionsBuilder::new()
                .stdout(true)
                .stderr(true)
                .tail(&tail.to_string())
                .build();
            client.logs(&id, Some(options)).try_collect().await
        })
        .await?;
    let lines = outputs
        .iter()
        .flat_map(log_lines)
        .filter(|line| needle.is_empty() || line.text.to_lowercase().contains(&needle))
        .collect();
    Ok(LogLines { lines })
}

/// One chunk of Docker's log stream as lines (a chunk may hold several or a part of one).
pub fn log_lines(output: &LogOutput) -> Vec<LogLine> {
    let stream = match output {
        LogOutput::StdErr { .. } => "stderr",
        _ => "stdout",
    };
    let text = output.to_string();
    text.lines()
        .map(|line| LogLine {
            stream: stream.to_owned(),
            text: line.to_owned(),
        })
        .collect()
}

/// Checks and adds a Docker host reached over TCP with TLS client certificates.
pub async fn add_host(state: &AppState, actor: &Actor, form: NewHost) -> Result<(), AppError> {
    let host = validate_new_host(form)?;
    let Some(_) = super::store::insert_host(&state.db, &host, Utc::now()).await? else {
        return Err(AppError::Conflict(format!(
            "A host named '{}' exists already; choose another name.",
            host.name
        )));
    };
    record(
        &state.db,
        actor,
        "containers",
        "add host",
        &host.name,
        Outcome::Ok,
        &host.address,
    )
    .await;
    load_hosts(state).await?;
    // The new host's first check, so the page shows whether it answers.
    if let Some(added) = state
        .fleet
        .hosts()
        .into_iter()
        .find(|h| h.name == host.name)
    {
        state.fleet.refresh(&added).await;
    }
    Ok(())
}

pub async fn remove_host(state: &AppState, actor: &Actor, host_id: &str) -> Result<(), AppError> {
    if host_id == LOCAL_HOST_ID {
        return Err(AppError::invalid(
            "The local host comes from the docker.host setting; change it there.",
        ));
    }
    let id: i64 = host_id
        .parse()
        .map_err(|_| AppError::not_found(format!("There is no Docker host '{host_id}'.")))?;
    let Some(name) = super::store::delete_host(&state.db, id).await? else {
        return Err(AppError::not_found(format!(
            "There is no Docker host '{host_id}'."
        )));
    };
    record(
        &state.db,
        actor,
        "containers",
        "remove host",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    load_hosts(state).await
}

/// Trims the form and says what is wrong with it, field by field.
pub fn validate_new_host(form: NewHost) -> Result<NewHost, AppError> {
    let host = NewHost {
        name: form.name.trim().to_owned(),
        address: form.address.trim().to_owned(),
        ca_file: form.ca_file.trim().to_owned(),
        cert_file: form.cert_file.trim().to_owned(),
        key_file: form.key_file.trim().to_owned(),
    };
    let name_ok = (1..=40).contains(&host.name.len())
        && host
            .name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && host
            .name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if !name_ok || host.name == LOCAL_HOST_ID {
        return Err(AppError::invalid(format!(
            "Name: '{}' is not accepted; use 1 to 40 lowercase letters, digits and '-' (not 'local'), like gpu-box.",
            host.name
        )));
    }
    if !valid_tcp_address(&host.address) {
        return Err(AppError::invalid(format!(
            "Address: '{}' is not accepted; use tcp://HOST:PORT, like tcp://10.0.0.2:2376.",
            host.address
        )));
    }
    for (label, path) in [
        ("CA certificate", &host.ca_file),
        ("Client certificate", &host.cert_file),
        ("Client key", &host.key_file),
    ] {
        check_pem_file(label, path)?;
    }
    Ok(host)
}

fn valid_tcp_address(address: &str) -> bool {
    let Some(rest) = address.strip_prefix("tcp://") else {
        return false;
    };
    let Some((host, port)) = rest.rsplit_once(':') else {
        return false;
    };
    let host_ok = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '[' | ']' | ':'));
    host_ok && port.parse::<u16>().is_ok_and(|port| port > 0)
}

fn check_pem_file(label: &str, path: &str) -> Result<(), AppError> {
    let file = std::path::Path::new(path);
    if !file.is_absolute() || path.split('/').any(|part| part == "..") {
        return Err(AppError::invalid(format!(
            "{label}: '{path}' is not accepted; give an absolute path without '..', like /etc/caretaker/docker/ca.pem."
        )));
    }
    match std::fs::read_to_string(file) {
        Ok(text) if text.contains("-----BEGIN ") => Ok(()),
        Ok(_) => Err(AppError::invalid(format!(
            "{label}: {path} is not a PEM file (it has no -----BEGIN line)."
        ))),
        Err(error) => Err(AppError::invalid(format!(
            "{label}: {path} cannot be read by caretaker ({error})."
        ))),
    }
}

/// The container's name without Docker's leading slash.
pub fn container_name(names: Option<&[String]>) -> String {
    names
        .and_then(|names| names.first())
        .map(|name| name.trim_start_matches('/').to_owned())
        .unwrap_or_default()
}

/// The list endpoint carries health only inside the status text, `Up 3 minutes (healthy)`;
/// reading it there spares one inspect call per container.
pub fn health_from_status(status: &str) -> Option<String> {
    let inside = status.rsplit_once('(')?.1.strip_suffix(')')?;
    match inside {
        "healthy" | "unhealthy" => Some(inside.to_owned()),
        "health: starting" => Some("starting".to_owned()),
        _ => None,
    }
}

/// Ports as `docker ps` shows them, sorted, without duplicates.
pub fn ports_text(ports: &[Port]) -> Vec<String> {
    let mut texts: Vec<String> = ports.iter().map(port_text).collect();
    texts.sort();
    texts.dedup();
    texts
}

fn port_text(port: &Port) -> String {
    let protocol = port
        .typ
        .map(|typ| typ.to_string())
        .unwrap_or_else(|| "tcp".to_owned());
    match port.public_port {
        Some(public) => {
            let ip = port.ip.as_deref().unwrap_or("0.0.0.0");
            // IPv6 addresses are bracketed so the port stays readable.
            let ip = if ip.contains(':') {
                format!("[{ip}]")
            } else {
                ip.to_owned()
            };
            format!("{ip}:{public}→{}/{protocol}", port.private_port)
        }
        None => format!("{}/{protocol}", port.private_port),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bollard::models::PortTypeEnum;

    #[test]
    fn health_is_read_from_the_status_text() {
        assert_eq!(
            health_from_status("Up 3 minutes (healthy)").as_deref(),
            Some("healthy")
        );
        assert_eq!(
            health_from_status("Up 1 second (health: starting)").as_deref(),
            Some("starting")
        );
        assert_eq!(
            health_from_status("Up 2 hours (unhealthy)").as_deref(),
            Some("unhealthy")
        );
        assert_eq!(health_from_status("Up 2 hours"), None);
        assert_eq!(health_from_status("Exited (0) 5 minutes ago"), None);
    }

    #[test]
    fn ports_read_like_docker_ps() {
        let published = Port {
            ip: Some("127.0.0.1".into()),
            private_port: 80,
            public_port: Some(8080),
            typ: Some(PortTypeEnum::TCP),
        };
        assert_eq!(port_text(&published), "127.0.0.1:8080→80/tcp");
        let v6 = Port {
            ip: Some("::".into()),
            private_port: 53,
            public_port: Some(5353),
            typ: Some(PortTypeEnum::UDP),
        };
        assert_eq!(port_text(&v6), "[::]:5353→53/udp");
        let exposed = Port {
            ip: None,
            private_port: 11434,
            public_port: None,
            typ: None,
        };
        assert_eq!(port_text(&exposed), "11434/tcp");
    }
}
