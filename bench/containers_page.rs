//! How long the server takes to render the containers page for 200 containers on two
//! Docker hosts (issue: under 100 ms of server time).
//!
//! Real engines: 100 running containers on the local dockerd and 100 on a second dockerd
//! in its own network namespace, reached over TCP+TLS. The page is rendered through the
//! whole router (session, access policy, SSR) as a logged-in admin's browser asks for it.
//! Run: `cargo bench -p server --bench containers_page` (root: it starts a dockerd).
//! The figures go to docs/performance.md.

#[path = "../server/tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use bollard::models::{ContainerCreateBody, HostConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
    StartContainerOptions,
};
use bollard::Docker;
use common::engines::SecondEngine;
use common::{ensure_test_image, get_as, test_app, LOCAL_DOCKER, TEST_IMAGE};

const PER_HOST: usize = 100;
const RENDERS: usize = 50;
const LABEL: &str = "caretaker.bench";

#[tokio::main]
async fn main() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let local = common::docker();
    let (engine, files) = SecondEngine::start().await;
    let second = Docker::connect_with_unix(
        &engine.dir.path().join("docker.sock").display().to_string(),
        30,
        bollard::API_DEFAULT_VERSION,
    )
    .unwrap();

    let started = Instant::now();
    for (docker, network) in [(&local, "bridge"), (&second, "none")] {
        remove_bench_containers(docker).await;
        ensure_test_image(docker).await;
        start_containers(docker, network).await;
    }
    eprintln!(
        "started {} containers in {:.1} s",
        2 * PER_HOST,
        started.elapsed().as_secs_f64()
    );

    let form = app::containers::NewHost {
        name: "second".into(),
        address: engine.tcp_address(),
        ca_file: files.ca.display().to_string(),
        cert_file: files.cert.display().to_string(),
        key_file: files.key.display().to_string(),
    };
    let actor = app::audit::service::Actor {
        user_id: None,
        name: "benchmark".into(),
        address: "127.0.0.1".into(),
    };
    app::containers::service::add_host(&app.state, &actor, form)
        .await
        .unwrap();

    // What the background worker does every 5 s: both hosts, with stats.
    let mut refreshes = Vec::new();
    for _ in 0..5 {
        let at = Instant::now();
        app.state.fleet.refresh_all().await;
        refreshes.push(at.elapsed());
    }
    for host in app.state.fleet.hosts() {
        let at = Instant::now();
        app.state.fleet.refresh(&host).await;
        eprintln!("refresh of {}: {}", host.name, ms(at.elapsed()));
    }
    let rows = app.state.fleet.containers();
    let bench_rows = rows
        .iter()
        .filter(|row| row.name.starts_with("ct-bench-"))
        .count();
    assert_eq!(bench_rows, 2 * PER_HOST, "every container is listed");
    assert!(
        rows.iter().any(|row| row.usage.is_some()),
        "stats were gathered"
    );

    for _ in 0..5 {
        get_as(&app.router, Some(&cookie), "/containers").await;
    }
    let mut renders = Vec::new();
    let mut size = 0;
    for _ in 0..RENDERS {
        let at = Instant::now();
        let page = get_as(&app.router, Some(&cookie), "/containers").await;
        renders.push(at.elapsed());
        assert_eq!(page.status, axum::http::StatusCode::OK);
        size = page.body.len();
    }

    println!(
        "| containers page, {} containers on 2 hosts ({RENDERS} renders) | median {} | p95 {} | max {} | {} KiB of HTML |",
        rows.len(),
        ms(percentile(&mut renders, 50)),
        ms(percentile(&mut renders, 95)),
        ms(percentile(&mut renders, 100)),
        size / 1024
    );
    println!(
        "| background refresh of both hosts with stats (5 runs) | median {} | p95 {} | max {} | |",
        ms(percentile(&mut refreshes, 50)),
        ms(percentile(&mut refreshes, 95)),
        ms(percentile(&mut refreshes, 100)),
    );

    remove_bench_containers(&local).await;
    drop(engine);
}

async fn start_containers(docker: &Docker, network: &str) {
    let tasks = (0..PER_HOST).map(|index| {
        let docker = docker.clone();
        let network = network.to_owned();
        async move {
            let name = format!("ct-bench-{network}-{index}");
            let body = ContainerCreateBody {
                image: Some(TEST_IMAGE.to_owned()),
                cmd: Some(vec!["/bin/busybox".into(), "sleep".into(), "3600".into()]),
                labels: Some([(LABEL.to_owned(), "1".to_owned())].into()),
                host_config: Some(HostConfig {
                    network_mode: Some(network),
                    ..Default::default()
                }),
                ..Default::default()
            };
            let options = CreateContainerOptionsBuilder::new().name(&name).build();
            docker.create_container(Some(options), body).await.unwrap();
            docker
                .start_container(&name, None::<StartContainerOptions>)
                .await
                .unwrap();
        }
    });
    // Ten at a time: dockerd serialises much of container start anyway.
    use futures::StreamExt;
    futures::stream::iter(tasks)
        .buffer_unordered(10)
        .collect::<Vec<()>>()
        .await;
}

async fn remove_bench_containers(docker: &Docker) {
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&[("label", vec![LABEL])].into())
        .build();
    for container in docker
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
    {
        let id = container.id.unwrap_or_default();
        let options = RemoveContainerOptionsBuilder::new().force(true).build();
        let _ = docker.remove_container(&id, Some(options)).await;
    }
}

fn percentile(samples: &mut [Duration], percent: usize) -> Duration {
    samples.sort();
    let index = (samples.len() * percent / 100).min(samples.len() - 1);
    samples[index]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
