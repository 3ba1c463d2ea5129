//! Reading the Docker engine for the overview, and the disk-use measurement task.

use std::time::Duration;

use bollard::models::ContainerSummary;
use bollard::query_parameters::ListContainersOptionsBuilder;
use chrono::Utc;

use super::{ContainerRow, DiskUse, EngineFacts, EngineStatus, Overview, DISK_SCAN_TASK};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::tasks::TaskStatus;

/// `docker system df` sums every volume on disk; on a big host that takes minutes.
const DISK_SCAN_LIMIT: Duration = Duration::from_secs(600);

/// The overview never fails because of the engine: an unreachable engine is part of the
/// answer, in a sentence. Only a database fault is an error.
#[tracing::instrument(skip_all)]
pub async fn overview(state: &AppState) -> Overview {
    let docker = &state.docker;
    let facts = async {
        let (version, info, containers) = tokio::try_join!(
            docker.call(|client| async move { client.version().await }),
            docker.call(|client| async move { client.info().await }),
            docker.call(|client| async move {
                let options = ListContainersOptionsBuilder::new().all(true).build();
                client.list_containers(Some(options)).await
            }),
        )?;
        let facts = EngineFacts {
            version: version.version.unwrap_or_default(),
            api_version: version.api_version.unwrap_or_default(),
            operating_system: info.operating_system.unwrap_or_default(),
            containers_total: count(info.containers),
            containers_running: count(info.containers_running),
            containers_paused: count(info.containers_paused),
            containers_stopped: count(info.containers_stopped),
            images: count(info.images),
        };
        let mut rows: Vec<ContainerRow> = containers.into_iter().map(container_row).collect();
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        Ok::<_, AppError>((facts, rows))
    };
    let (engine, containers) = match facts.await {
        Ok((facts, rows)) => (EngineStatus::Reachable(facts), rows),
        Err(error) => (
            EngineStatus::Unreachable {
                reason: error.to_string(),
            },
            Vec::new(),
        ),
    };
    state
        .metrics
        .record_docker_reachable(matches!(engine, EngineStatus::Reachable(_)));

    let target = docker.endpoint().to_string();
    // On a database fault the page still shows the engine; disk use reads as unknown.
    let (disk_task, disk_use) = disk_measurements(state, &target).await.unwrap_or_default();
    Overview {
        endpoint: target,
        engine,
        containers,
        disk_task,
        disk_use,
        checked_at: Utc::now(),
        actions_allowed: false,
    }
}

async fn disk_measurements(
    state: &AppState,
    target: &str,
) -> Result<
    (
        Option<crate::tasks::TaskSnapshot>,
        Option<(DiskUse, chrono::DateTime<Utc>)>,
    ),
    AppError,
> {
    let latest = state.tasks.latest(DISK_SCAN_TASK, target, None).await?;
    let succeeded = match &latest {
        Some(task) if task.status == TaskStatus::Succeeded => latest.clone(),
        _ => {
            state
                .tasks
                .latest(DISK_SCAN_TASK, target, Some(TaskStatus::Succeeded))
                .await?
        }
    };
    let disk_use = succeeded.and_then(|task| {
        let usage = serde_json::from_str::<DiskUse>(task.result.as_deref()?).ok()?;
        Some((usage, task.finished_at?))
    });
    Ok((latest, disk_use))
}

/// Starts a disk-use measurement; while one runs, returns that one instead of a second.
#[tracing::instrument(skip_all)]
pub async fn start_disk_scan(state: &AppState, actor: &Actor) -> Result<String, AppError> {
    let target = state.docker.endpoint().to_string();
    record(
        &state.db,
        actor,
        "overview",
        "measure disk use",
        &target,
        Outcome::Ok,
        "",
    )
    .await;
    if let Some(task) = state.tasks.latest(DISK_SCAN_TASK, &target, None).await? {
        if task.status == TaskStatus::Running {
            return Ok(task.id);
        }
    }
    let docker = state.docker.clone();
    state
        .tasks
        .start(DISK_SCAN_TASK, &target, move |task| async move {
            task.progress(None, "Asking the Docker engine for its disk use…");
            task.log("GET /system/df");
            let usage = docker
                .call_with_timeout(
                    DISK_SCAN_LIMIT,
                    |client| async move { client.df(None).await },
                )
                .await?;
            let images = usage.images.unwrap_or_default();
            let containers = usage.containers.unwrap_or_default();
            let volumes = usage.volumes.unwrap_or_default();
            let build_cache = usage.build_cache.unwrap_or_default();
            task.progress(
                Some(0.9),
                format!(
                    "Adding up {} images, {} containers and {} volumes…",
                    images.len(),
                    containers.len(),
                    volumes.len()
                ),
            );
            let result = DiskUse {
                images: images.len() as u64,
                images_bytes: count(usage.layers_size),
                containers_bytes: containers.iter().map(|c| count(c.size_rw)).sum(),
                volumes: volumes.len() as u64,
                // Docker reports -1 for a volume whose size it could not read.
                volumes_bytes: volumes
                    .iter()
                    .filter_map(|v| v.usage_data.as_ref())
                    .map(|usage| count(Some(usage.size)))
                    .sum(),
                build_cache_bytes: build_cache.iter().map(|b| count(b.size)).sum(),
            };
            task.progress(Some(1.0), "Measured.");
            task.log(format!("total {} bytes", result.total_bytes()));
            Ok(Some(
                serde_json::to_value(result).map_err(AppError::internal)?,
            ))
        })
        .await
}

/// Docker counts are signed and sometimes -1 for "unknown"; those count as zero.
fn count(value: Option<i64>) -> u64 {
    value.unwrap_or(0).max(0) as u64
}

fn container_row(summary: ContainerSummary) -> ContainerRow {
    use crate::containers::service::{container_name, health_from_status, ports_text};
    let status = summary.status.unwrap_or_default();
    ContainerRow {
        id: summary.id.unwrap_or_default().chars().take(12).collect(),
        name: container_name(summary.names.as_deref()),
        image: summary.image.unwrap_or_default(),
        state: summary
            .state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        health: health_from_status(&status),
        ports: ports_text(summary.ports.as_deref().unwrap_or_default()),
        status,
    }
}
