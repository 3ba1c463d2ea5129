//! The Docker hosts caretaker watches and the last snapshot of each.
//!
//! A background worker refreshes every host on its own (`refresh_all`), each bounded by
//! its engine's time limit, so one slow or unreachable host never delays another, and
//! pages read snapshots instead of asking engines: a page for hundreds of containers is
//! rendered from memory.

use std::collections::HashMap;
use std::sync::{Mutex, RwLock};
use std::time::Duration;

use bollard::models::{ContainerStatsResponse, ContainerSummary};
use bollard::query_parameters::{ListContainersOptionsBuilder, StatsOptionsBuilder};
use chrono::{TimeZone, Utc};
use futures::{StreamExt, TryStreamExt};

use super::{ContainerRow, HostCheck, HostStatus, Usage, LOCAL_HOST_ID};
use crate::core::docker::DockerEngine;
use crate::core::error::AppError;

/// How often the background worker refreshes every host.
pub const REFRESH_INTERVAL: Duration = Duration::from_secs(5);
/// Stats calls one host answers at the same time during a refresh. dockerd samples every
/// container once a second and answers each stats call at its next sample, so calls made
/// together finish together: one call after another would take a second each.
const STATS_CONCURRENCY: usize = 128;

#[derive(Clone)]
pub struct Host {
    pub id: String,
    pub name: String,
    pub engine: DockerEngine,
}

#[derive(Debug, Clone)]
struct Snapshot {
    check: HostCheck,
    containers: Vec<ContainerRow>,
}

/// CPU counters of one container at one sample; a percentage needs two.
#[derive(Debug, Clone, Copy)]
struct CpuSample {
    container_ns: u64,
    system_ns: u64,
}

pub struct Fleet {
    local: Host,
    added: RwLock<Vec<Host>>,
    snapshots: RwLock<HashMap<String, Snapshot>>,
    cpu_samples: Mutex<HashMap<String, CpuSample>>,
    /// One refresh per host at a time (the worker and an action may both ask).
    refreshing: Mutex<HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>>,
}

impl Fleet {
    pub fn new(local: DockerEngine) -> Self {
        Self {
            local: Host {
                id: LOCAL_HOST_ID.to_owned(),
                name: "local".to_owned(),
                engine: local,
            },
            added: RwLock::default(),
            snapshots: RwLock::default(),
            cpu_samples: Mutex::default(),
            refreshing: Mutex::default(),
        }
    }

    /// The local host first, then the added ones by name.
    pub fn hosts(&self) -> Vec<Host> {
        let mut hosts = vec![self.local.clone()];
        hosts.extend(read(&self.added).iter().cloned());
        hosts
    }

    pub fn host(&self, id: &str) -> Option<Host> {
        self.hosts().into_iter().find(|host| host.id == id)
    }

    /// Replaces the added hosts (after one is added or removed); forgets removed ones.
    pub fn set_added(&self, hosts: Vec<Host>) {
        let mut known: Vec<String> = hosts.iter().map(|host| host.id.clone()).collect();
        known.push(LOCAL_HOST_ID.to_owned());
        *write(&self.added) = hosts;
        write(&self.snapshots).retain(|id, _| known.contains(id));
    }

    /// Every host with its last check.
    pub fn statuses(&self) -> Vec<HostStatus> {
        let snapshots = read(&self.snapshots);
        self.hosts()
            .into_iter()
            .map(|host| HostStatus {
                removable: host.id != LOCAL_HOST_ID,
                check: snapshots
                    .get(&host.id)
                    .map(|snapshot| snapshot.check.clone()),
                endpoint: host.engine.endpoint().to_string(),
                id: host.id,
                name: host.name,
            })
            .collect()
    }

    /// The containers of every host from the last snapshots, hosts in order.
    pub fn containers(&self) -> Vec<ContainerRow> {
        let snapshots = read(&self.snapshots);
        self.hosts()
            .iter()
            .filter_map(|host| snapshots.get(&host.id))
            .flat_map(|snapshot| snapshot.containers.iter().cloned())
            .collect()
    }

    pub fn container(&self, host_id: &str, id: &str) -> Option<ContainerRow> {
        read(&self.snapshots)
            .get(host_id)?
            .containers
            .iter()
            .find(|row| row.id == id)
            .cloned()
    }

    /// Whether every host has been checked at least once.
    pub fn has_snapshot(&self, host_id: &str) -> bool {
        read(&self.snapshots).contains_key(host_id)
    }

    /// Refreshes every host at once; each is bounded by its own time limit.
    pub async fn refresh_all(&self) {
        futures::future::join_all(self.hosts().iter().map(|host| self.refresh(host))).await;
    }

    /// Asks one host for its containers and their stats and keeps the answer.
    pub async fn refresh(&self, host: &Host) {
        let lock = self
            .refreshing
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(host.id.clone())
            .or_default()
            .clone();
        let _one_at_a_time = lock.lock().await;
        let at = Utc::now();
        let snapshot = match collect(&host.engine).await {
            Ok((version, summaries, stats)) => {
                let mut containers: Vec<ContainerRow> = summaries
                    .into_iter()
                    .map(|summary| row(host, summary))
                    .collect();
                for container in &mut containers {
                    if let Some(stats) = stats.get(&container.id) {
                        container.usage = Some(self.usage(&host.id, &container.id, stats));
                    }
                }
                containers.sort_by(|a, b| a.name.cmp(&b.name));
                let running = containers.iter().filter(|c| c.state == "running").count();
                Snapshot {
                    check: HostCheck {
                        at,
                        outcome: Ok(version),
                        containers: containers.len(),
                        running,
                    },
                    containers,
                }
            }
            Err(error) => Snapshot {
                check: HostCheck {
                    at,
                    outcome: Err(error.to_string()),
                    containers: 0,
                    running: 0,
                },
                containers: Vec::new(),
            },
        };
        write(&self.snapshots).insert(host.id.clone(), snapshot);
    }

    fn usage(&self, host_id: &str, container_id: &str, stats: &ContainerStatsResponse) -> Usage {
        let cpu = stats.cpu_stats.as_ref();
        let sample = cpu.and_then(|cpu| {
            Some(CpuSample {
                container_ns: cpu.cpu_usage.as_ref()?.total_usage?,
                system_ns: cpu.system_cpu_usage?,
            })
        });
        let cpus = cpu.and_then(|cpu| cpu.online_cpus).unwrap_or(1).max(1);
        let key = format!("{host_id}/{container_id}");
        let previous = {
            let mut samples = self.cpu_samples.lock().unwrap_or_else(|p| p.into_inner());
            match sample {
                Some(sample) => samples.insert(key, sample),
                None => samples.remove(&key),
            }
        };
        let cpu_percent = match (previous, sample) {
            (Some(before), Some(now)) if now.system_ns > before.system_ns => {
                let container = now.container_ns.saturating_sub(before.container_ns) as f64;
                let system = (now.system_ns - before.system_ns) as f64;
                Some(container / system * f64::from(cpus) * 100.0)
            }
            _ => None,
        };
        let memory = stats.memory_stats.as_ref();
        let used = memory.and_then(|m| m.usage).unwrap_or(0);
        // As `docker stats` does: page cache the kernel can drop does not count.
        let cache = memory
            .and_then(|m| m.stats.as_ref())
            .and_then(|s| {
                s.get("inactive_file")
                    .or_else(|| s.get("total_inactive_file"))
            })
            .copied()
            .unwrap_or(0);
        Usage {
            cpu_percent,
            memory_bytes: used.saturating_sub(cache),
            // Without a limit, Docker reports the host's memory (or a huge number).
            memory_limit: memory
                .and_then(|m| m.limit)
                .filter(|limit| *limit < 1 << 60),
        }
    }
}

type Collected = (
    String,
    Vec<ContainerSummary>,
    HashMap<String, ContainerStatsResponse>,
);

/// One host's containers and, for running ones, one stats sample each: one client, one
/// time limit for the whole refresh.
async fn collect(engine: &DockerEngine) -> Result<Collected, AppError> {
    let limit = engine.timeout() * 3;
    engine
        .call_with_timeout(limit, |client| async move {
            let version = client.version().await?.version.unwrap_or_default();
            let options = ListContainersOptionsBuilder::new().all(true).build();
            let summaries = client.list_containers(Some(options)).await?;
            let running: Vec<String> = summaries
                .iter()
                .filter(|summary| {
                    summary.state.map(|state| state.to_string()).as_deref() == Some("running")
                })
                .filter_map(|summary| summary.id.clone())
                .collect();
            let stats = futures::stream::iter(running)
                .map(|id| {
                    let client = client.clone();
                    async move {
                        let options = StatsOptionsBuilder::new()
                            .stream(false)
                            .one_shot(true)
                            .build();
                        // A container that stopped meanwhile has no stats: left out.
                        let sample = client.stats(&id, Some(options)).try_next().await;
                        sample.ok().flatten().map(|stats| (id, stats))
                    }
                })
                .buffer_unordered(STATS_CONCURRENCY)
                .filter_map(|found| async move { found })
                .collect::<HashMap<_, _>>()
                .await;
            Ok((version, summaries, stats))
        })
        .await
}

fn row(host: &Host, summary: ContainerSummary) -> ContainerRow {
    let status = summary.status.unwrap_or_default();
    ContainerRow {
        host_id: host.id.clone(),
        host_name: host.name.clone(),
        id: summary.id.unwrap_or_default(),
        name: super::service::container_name(summary.names.as_deref()),
        image: summary.image.unwrap_or_default(),
        state: summary
            .state
            .map(|state| state.to_string())
            .unwrap_or_default(),
        health: super::service::health_from_status(&status),
        ports: super::service::ports_text(summary.ports.as_deref().unwrap_or_default()),
        created: summary
            .created
            .and_then(|seconds| Utc.timestamp_opt(seconds, 0).single()),
        status,
        usage: None,
        node: summary
            .labels
            .as_ref()
            .and_then(|labels| labels.get("com.docker.swarm.node.id"))
            .cloned(),
    }
}

fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read().unwrap_or_else(|p| p.into_inner())
}

fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write().unwrap_or_else(|p| p.into_inner())
}
