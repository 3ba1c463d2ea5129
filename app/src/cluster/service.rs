//! The logic of the cluster view: is the local engine a Swarm manager, its nodes and their
//! tasks, drain and activate, and the node check behind the "Swarm nodes" monitor.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::RwLock;

use bollard::models::{LocalNodeState, Node, Task};
use bollard::query_parameters::{
    ListImagesOptionsBuilder, ListNodesOptions, ListTasksOptionsBuilder, UpdateNodeOptionsBuilder,
};
use bollard::Docker;

use super::{Availability, ClusterView, NodeRow, TaskRow};
use crate::audit::service::{record_result, Actor};
use crate::core::docker::DockerEngine;
use crate::core::error::AppError;
use crate::core::state::AppState;

/// What caretaker last learnt of the local engine's Swarm role, so the navigation and the
/// containers page know without asking the engine on every page.
#[derive(Default)]
pub struct SwarmWatch {
    manager: AtomicBool,
    /// Node id → `hostname (address)`, to name the node of each container.
    node_names: RwLock<HashMap<String, String>>,
}

impl SwarmWatch {
    /// Whether the local engine was a Swarm manager at the last look.
    pub fn is_manager(&self) -> bool {
        self.manager.load(Ordering::Relaxed)
    }

    /// `hostname (address)` of a node id, when the manager listed it.
    pub fn node_name(&self, node_id: &str) -> Option<String> {
        self.node_names
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .get(node_id)
            .cloned()
    }

    fn remember(&self, manager: bool, nodes: &[NodeRow]) {
        self.manager.store(manager, Ordering::Relaxed);
        let names = nodes
            .iter()
            .map(|node| (node.id.clone(), node.label()))
            .collect();
        *self.node_names.write().unwrap_or_else(|p| p.into_inner()) = names;
    }
}

/// Looks at the local engine again (the background worker calls this with the fleet's
/// refresh): its Swarm role and node names. An engine that does not answer is not a
/// manager until it does.
pub async fn refresh(state: &AppState) {
    let nodes = async {
        if manager_role(&state.docker).await?.is_err() {
            return Ok(None);
        }
        let nodes = state
            .docker
            .call(|client| async move { client.list_nodes(None::<ListNodesOptions>).await })
            .await?;
        Ok::<_, AppError>(Some(nodes.into_iter().map(node_row).collect::<Vec<_>>()))
    };
    match nodes.await {
        Ok(Some(nodes)) => state.swarm.remember(true, &nodes),
        Ok(None) => state.swarm.remember(false, &[]),
        Err(error) => {
            tracing::debug!(%error, "no Swarm role");
            state.swarm.remember(false, &[]);
        }
    }
}

/// Whether the engine is a Swarm manager, or a sentence saying what it is instead.
async fn manager_role(engine: &DockerEngine) -> Result<Result<(), String>, AppError> {
    let info = engine
        .call(|client| async move { client.info().await })
        .await?;
    let swarm = info.swarm.unwrap_or_default();
    let state = swarm.local_node_state.unwrap_or(LocalNodeState::EMPTY);
    Ok(match (state, swarm.control_available.unwrap_or(false)) {
        (LocalNodeState::ACTIVE, true) => Ok(()),
        (LocalNodeState::ACTIVE, false) => Err(
            "This Docker engine is a Swarm worker: open caretaker on a manager to see the cluster."
                .to_owned(),
        ),
        _ => Err(
            "This Docker engine is not part of a Swarm: the cluster view appears once it is a Swarm manager (docker swarm init)."
                .to_owned(),
        ),
    })
}

/// The nodes and their tasks, asked of the local engine now.
pub async fn view(state: &AppState) -> Result<ClusterView, AppError> {
    if let Err(note) = manager_role(&state.docker).await? {
        state.swarm.remember(false, &[]);
        return Ok(ClusterView {
            manager: false,
            note: Some(note),
            nodes: Vec::new(),
            actions_allowed: false,
        });
    }
    let (nodes, tasks, tags) = state
        .docker
        .call(|client| async move {
            let nodes = client.list_nodes(None::<ListNodesOptions>).await?;
            let tasks = client
                .list_tasks(None::<bollard::query_parameters::ListTasksOptions>)
                .await?;
            let tags = image_tags(&client).await?;
            Ok((nodes, tasks, tags))
        })
        .await?;
    let mut rows: Vec<NodeRow> = nodes.into_iter().map(node_row).collect();
    // Managers first, then by address: the order stays put while states change.
    rows.sort_by(|a, b| (&a.role, &a.address).cmp(&(&b.role, &b.address)));
    let names: HashMap<String, String> = rows
        .iter()
        .map(|node| (node.id.clone(), node.label()))
        .collect();
    let services = service_names(state).await?;
    let mut task_rows: Vec<TaskRow> = tasks
        .into_iter()
        .map(|task| task_row(task, &names, &services, &tags))
        .collect();
    sort_tasks(&mut task_rows);
    for node in &mut rows {
        // What runs or should run; the shut-down history belongs to each service's page.
        node.tasks = task_rows
            .iter()
            .filter(|task| task.node_id == node.id)
            .filter(|task| task.desired_state == "running" || task.state == "running")
            .cloned()
            .collect();
    }
    state.swarm.remember(true, &rows);
    Ok(ClusterView {
        manager: true,
        note: None,
        nodes: rows,
        actions_allowed: false,
    })
}

/// Swarm service id → name, for the task rows.
async fn service_names(state: &AppState) -> Result<HashMap<String, String>, AppError> {
    let services = state
        .docker
        .call(|client| async move {
            client
                .list_services(None::<bollard::query_parameters::ListServicesOptions>)
                .await
        })
        .await?;
    Ok(services
        .into_iter()
        .filter_map(|service| Some((service.id?, service.spec?.name?)))
        .collect())
}

/// Image id → its tags on the manager.
pub(crate) async fn image_tags(
    client: &Docker,
) -> Result<HashMap<String, Vec<String>>, bollard::errors::Error> {
    let images = client
        .list_images(Some(ListImagesOptionsBuilder::new().all(false).build()))
        .await?;
    Ok(images
        .into_iter()
        .map(|image| {
            let tags = image
                .repo_tags
                .into_iter()
                .filter(|tag| tag != "<none>:<none>")
                .collect();
            (image.id, tags)
        })
        .collect())
}

fn node_row(node: Node) -> NodeRow {
    let spec = node.spec.unwrap_or_default();
    let description = node.description.unwrap_or_default();
    let status = node.status.unwrap_or_default();
    let resources = description.resources.unwrap_or_default();
    let manager = node.manager_status.unwrap_or_default();
    NodeRow {
        id: node.id.unwrap_or_default(),
        hostname: description.hostname.unwrap_or_default(),
        role: spec.role.map(|role| role.to_string()).unwrap_or_default(),
        leader: manager.leader.unwrap_or(false),
        availability: spec
            .availability
            .map(|availability| availability.to_string())
            .unwrap_or_default(),
        state: status
            .state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        message: status.message.unwrap_or_default(),
        address: status.addr.unwrap_or_default(),
        engine_version: description
            .engine
            .and_then(|engine| engine.engine_version)
            .unwrap_or_default(),
        cpus: resources.nano_cpus.unwrap_or(0) as f64 / 1e9,
        memory_bytes: resources.memory_bytes.unwrap_or(0),
        tasks: Vec::new(),
    }
}

pub(crate) fn task_row(
    task: Task,
    nodes: &HashMap<String, String>,
    services: &HashMap<String, String>,
    tags: &HashMap<String, Vec<String>>,
) -> TaskRow {
    let status = task.status.unwrap_or_default();
    let node_id = task.node_id.unwrap_or_default();
    let image = task
        .spec
        .and_then(|spec| spec.container_spec)
        .and_then(|container| container.image)
        .unwrap_or_default();
    let service_id = task.service_id.unwrap_or_default();
    let message = match status.err {
        Some(error) if !error.is_empty() => error,
        _ => status.message.unwrap_or_default(),
    };
    TaskRow {
        id: task.id.unwrap_or_default(),
        service: services.get(&service_id).cloned().unwrap_or(service_id),
        slot: task.slot,
        node: nodes
            .get(&node_id)
            .cloned()
            .unwrap_or_else(|| node_id.clone()),
        node_id,
        image_tags: tags.get(&image).cloned().unwrap_or_default(),
        image,
        state: status
            .state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        desired_state: task
            .desired_state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        message,
        updated: task.updated_at.map(|at| at.to_string()).unwrap_or_default(),
    }
}

/// By service and replica, the newest first within a replica.
pub(crate) fn sort_tasks(tasks: &mut [TaskRow]) {
    tasks.sort_by(|a, b| {
        (&a.service, a.slot)
            .cmp(&(&b.service, b.slot))
            .then_with(|| b.updated.cmp(&a.updated))
    });
}

/// Swarm node ids are 25 lowercase letters and digits; nothing else reaches the engine.
fn checked_node(id: &str) -> Result<&str, AppError> {
    if !id.is_empty()
        && id.len() <= 64
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
    {
        Ok(id)
    } else {
        Err(AppError::invalid(format!(
            "'{id}' is not a Swarm node id; accepted: the id from the cluster view (lowercase letters and digits)."
        )))
    }
}

/// Drains, pauses or activates a node; audited either way. Draining moves its tasks to
/// other nodes (Swarm does the moving).
pub async fn set_availability(
    state: &AppState,
    actor: &Actor,
    node_id: &str,
    availability: Availability,
) -> Result<(), AppError> {
    let node_id = checked_node(node_id)?.to_owned();
    if let Err(note) = manager_role(&state.docker).await? {
        return Err(AppError::Conflict(note));
    }
    let id = node_id.clone();
    let result = state
        .docker
        .call(|client| async move {
            let node = client.inspect_node(&id).await?;
            let version = node
                .version
                .and_then(|version| version.index)
                .unwrap_or_default();
            let mut spec = node.spec.unwrap_or_default();
            spec.availability = Some(match availability {
                Availability::Active => bollard::models::NodeSpecAvailabilityEnum::ACTIVE,
                Availability::Pause => bollard::models::NodeSpecAvailabilityEnum::PAUSE,
                Availability::Drain => bollard::models::NodeSpecAvailabilityEnum::DRAIN,
            });
            let options = UpdateNodeOptionsBuilder::new()
                .version(i64::try_from(version).unwrap_or(i64::MAX))
                .build();
            client.update_node(&id, spec, options).await
        })
        .await;
    let target = state
        .swarm
        .node_name(&node_id)
        .map_or_else(|| node_id.clone(), |name| format!("{name} {node_id}"));
    let action = match availability {
        Availability::Active => "activate node",
        Availability::Pause => "pause node",
        Availability::Drain => "drain node",
    };
    record_result(
        &state.db,
        actor,
        "cluster",
        action,
        &target,
        &result,
        |_| String::new(),
    )
    .await;
    result
}

/// The "Swarm nodes" monitor: up when every node is ready; down, naming the nodes, when
/// any is not (a drained node that is ready counts as ready: draining is deliberate).
pub async fn node_check(state: &AppState) -> Result<String, String> {
    let view = view(state).await.map_err(|error| error.to_string())?;
    if !view.manager {
        return Err(view
            .note
            .unwrap_or_else(|| "This Docker engine is not a Swarm manager.".to_owned()));
    }
    let not_ready: Vec<String> = view
        .nodes
        .iter()
        .filter(|node| node.state != "ready")
        .map(|node| {
            let why = if node.message.is_empty() {
                String::new()
            } else {
                format!(": {}", node.message)
            };
            format!("{} is {}{why}", node.label(), node.state)
        })
        .collect();
    if not_ready.is_empty() {
        Ok(format!("All {} Swarm nodes are ready.", view.nodes.len()))
    } else {
        Err(format!("Swarm node {}.", not_ready.join("; ")))
    }
}

/// The tasks of one Swarm service (by name), every node named.
pub(crate) async fn service_tasks(
    state: &AppState,
    service_name: &str,
) -> Result<Vec<TaskRow>, AppError> {
    let name = service_name.to_owned();
    let (nodes, tasks, tags) = state
        .docker
        .call(|client| async move {
            let nodes = client.list_nodes(None::<ListNodesOptions>).await?;
            let filters = HashMap::from([("service".to_owned(), vec![name])]);
            let tasks = client
                .list_tasks(Some(
                    ListTasksOptionsBuilder::new().filters(&filters).build(),
                ))
                .await?;
            let tags = image_tags(&client).await?;
            Ok((nodes, tasks, tags))
        })
        .await?;
    let names: HashMap<String, String> = nodes
        .into_iter()
        .map(node_row)
        .map(|node| (node.id.clone(), node.label()))
        .collect();
    let services = HashMap::new();
    let mut rows: Vec<TaskRow> = tasks
        .into_iter()
        .map(|task| {
            let mut row = task_row(task, &names, &services, &tags);
            row.service = service_name.to_owned();
            row
        })
        .collect();
    sort_tasks(&mut rows);
    Ok(rows)
}

/// Whether the engine is a Swarm manager; a conflict saying what it is otherwise.
pub(crate) async fn require_manager(state: &AppState) -> Result<(), AppError> {
    manager_role(&state.docker)
        .await?
        .map_err(AppError::Conflict)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_node_ids_reach_the_engine() {
        assert!(checked_node("jgs4aa0ate91cuerc5d29wk51").is_ok());
        for bad in ["", "../nodes", "a b", "ABC"] {
            assert!(checked_node(bad).is_err(), "{bad}");
        }
    }
}
