//! Docker Swarm on a real two-node cluster on this machine: the local engine as manager and
//! a second dockerd in its own network namespace as worker. A service deployed with
//! replicas on both nodes, scaled, updated rolling to a second tag, rolled back by Swarm
//! when a tag fails its health check; a node drained from the page's server function; the
//! second engine stopped (shown down, its tasks moved, the monitor's alert) and started
//! again (shown ready); containers named by node; the navigation showing the cluster only
//! on a manager.
//!
//! One cluster, one test: the scenarios run in order on it, and a guard leaves the Swarm,
//! stops the second engine and removes its namespace even when an assertion fails.

mod common;

use std::collections::{HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use bollard::models::{SwarmInitRequest, SwarmJoinRequest};
use bollard::query_parameters::{
    CreateImageOptionsBuilder, ImportImageOptionsBuilder, LeaveSwarmOptionsBuilder,
    ListContainersOptionsBuilder, ListNodesOptions, RemoveContainerOptionsBuilder,
    RemoveImageOptionsBuilder,
};
use bollard::Docker;
use common::{call_as, docker, get_as, test_app, TestApp, LOCAL_DOCKER};
use futures::StreamExt;

use app::audit::service::Actor;
use app::cluster::{ClusterView, SwarmDeployed, SwarmForm, SwarmSettings, TaskRow};
use app::monitors::{MonitorForm, MonitorState};
use app::services::ServiceForm;

/// Everything the harness makes lives here or is named after it, so leftovers of a
/// killed run are found and removed by the next one.
const WORK_DIR: &str = "/tmp/caretaker-swarm-test";
const NAMESPACE: &str = "ct-swarm";
const VETH_HOST: &str = "ctswarm0";
const VETH_NODE: &str = "ctswarm1";
/// The manager's end of the virtual cable (its Swarm address) and the worker's.
const MANAGER_ADDRESS: &str = "10.232.0.1";
const WORKER_ADDRESS: &str = "10.232.0.2";
/// The test images: busybox, a /version file, and /ok (the health check's file) except
/// in the bad tag.
const IMAGE: &str = "ct-swarm/web";
const TAGS: [&str; 3] = ["1", "2", "bad"];
const SERVICE: &str = "ct-swarm-web";
/// Conditions on the cluster are waited for this long: Swarm notices a node failure after
/// missed heartbeats, and the machine is shared.
const DEADLINE: Duration = Duration::from_secs(240);

fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "test".into(),
        address: "127.0.0.1".into(),
    }
}

fn run(program: &str, args: &[&str]) {
    let output = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| {
            panic!("{program} cannot run ({e}); the test command installs iproute2")
        });
    assert!(
        output.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

fn quietly(program: &str, args: &[&str]) {
    let _ = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

fn path(name: &str) -> String {
    format!("{WORK_DIR}/{name}")
}

/// A two-node Swarm: this machine's engine as manager, a second dockerd as worker.
struct Cluster {
    worker: Option<Child>,
    worker_socket: String,
}

impl Cluster {
    async fn form() -> Self {
        clean_up().await;
        let local = docker();
        let state = swarm_state(&local).await;
        assert!(
            state == "inactive",
            "the Docker engine at {LOCAL_DOCKER} is already in a Swarm ({state}) that this test did not make; it needs an engine outside any Swarm"
        );
        std::fs::create_dir_all(WORK_DIR).unwrap();
        run("ip", &["netns", "add", NAMESPACE]);
        run(
            "ip",
            &[
                "link", "add", VETH_HOST, "type", "veth", "peer", "name", VETH_NODE,
            ],
        );
        run("ip", &["link", "set", VETH_NODE, "netns", NAMESPACE]);
        run(
            "ip",
            &[
                "addr",
                "add",
                &format!("{MANAGER_ADDRESS}/30"),
                "dev",
                VETH_HOST,
            ],
        );
        run("ip", &["link", "set", VETH_HOST, "up"]);
        let inside = |args: &[&str]| {
            let mut all = vec!["netns", "exec", NAMESPACE];
            all.extend_from_slice(args);
            run("ip", &all);
        };
        inside(&[
            "ip",
            "addr",
            "add",
            &format!("{WORKER_ADDRESS}/30"),
            "dev",
            VETH_NODE,
        ]);
        inside(&["ip", "link", "set", VETH_NODE, "up"]);
        inside(&["ip", "link", "set", "lo", "up"]);

        let mut cluster = Self {
            worker: None,
            worker_socket: path("worker.sock"),
        };
        cluster.start_worker().await;

        // From here on the local engine is a Swarm manager: the marker lets a later run
        // know that a Swarm it finds is this harness's leftover.
        std::fs::write(path("formed"), "").unwrap();
        local
            .init_swarm(SwarmInitRequest {
                listen_addr: Some(format!("{MANAGER_ADDRESS}:2377")),
                advertise_addr: Some(MANAGER_ADDRESS.to_owned()),
                ..Default::default()
            })
            .await
            .expect("swarm init on the local engine");
        let token = local
            .inspect_swarm()
            .await
            .unwrap()
            .join_tokens
            .and_then(|tokens| tokens.worker)
            .expect("a worker join token");
        cluster
            .worker()
            .join_swarm(SwarmJoinRequest {
                listen_addr: Some(format!("{WORKER_ADDRESS}:2377")),
                advertise_addr: Some(WORKER_ADDRESS.to_owned()),
                remote_addrs: Some(vec![format!("{MANAGER_ADDRESS}:2377")]),
                join_token: Some(token),
                ..Default::default()
            })
            .await
            .expect("the second engine joins the Swarm");
        wait_for("two ready nodes", || async {
            let nodes = local.list_nodes(None::<ListNodesOptions>).await.ok()?;
            let ready = nodes
                .iter()
                .filter(|node| {
                    node.status
                        .as_ref()
                        .and_then(|s| s.state)
                        .map(|s| s.to_string())
                        == Some("ready".into())
                })
                .count();
            (ready == 2).then_some(())
        })
        .await;
        cluster
    }

    fn worker(&self) -> Docker {
        Docker::connect_with_unix(&self.worker_socket, 30, bollard::API_DEFAULT_VERSION).unwrap()
    }

    /// Starts (or starts again, with its Swarm state) the second engine.
    async fn start_worker(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path("worker.log"))
            .unwrap();
        // nsenter joins only the network namespace: the engine keeps this machine's /sys
        // and cgroups, which `ip netns exec` would hide.
        let child = Command::new("nsenter")
            .arg(format!("--net=/var/run/netns/{NAMESPACE}"))
            .arg("dockerd")
            .args(["--data-root", &path("data"), "--exec-root", &path("x")])
            .args(["--pidfile", &path("worker.pid")])
            .args(["-H", &format!("unix://{}", self.worker_socket)])
            .args(["--bridge=none", "--iptables=false", "--ip-masq=false"])
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("dockerd runs (Debian's docker.io; the test command installs it)");
        self.worker = Some(child);
        let started = Instant::now();
        loop {
            // The socket appears once dockerd listens.
            let client =
                Docker::connect_with_unix(&self.worker_socket, 30, bollard::API_DEFAULT_VERSION);
            if let Ok(client) = client {
                if client.ping().await.is_ok() {
                    return;
                }
            }
            if started.elapsed() > DEADLINE {
                let log = std::fs::read_to_string(path("worker.log")).unwrap_or_default();
                panic!("the second dockerd did not start:\n{log}");
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Stops the second engine as an operator (or a power cut) would: its node fails.
    fn stop_worker(&mut self) {
        if let Some(child) = self.worker.take() {
            stop_process(child);
        }
    }

    /// Leaves the Swarm on both engines, stops the second, removes what the test made.
    async fn dismantle(mut self) {
        self.stop_worker_after_leaving().await;
        clean_up().await;
    }

    async fn stop_worker_after_leaving(&mut self) {
        if self.worker.is_some() {
            let options = LeaveSwarmOptionsBuilder::new().force(true).build();
            let _ = self.worker().leave_swarm(Some(options)).await;
        }
        self.stop_worker();
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Drop cannot await: a short-lived runtime on its own thread cleans up, so a
        // failed assertion never leaves the shared engine a Swarm manager.
        let mut worker = self.worker.take();
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                if let Some(child) = worker.take() {
                    let options = LeaveSwarmOptionsBuilder::new().force(true).build();
                    if let Ok(client) = Docker::connect_with_unix(
                        &path("worker.sock"),
                        10,
                        bollard::API_DEFAULT_VERSION,
                    ) {
                        let _ = client.leave_swarm(Some(options)).await;
                    }
                    stop_process(child);
                }
                clean_up().await;
            });
        })
        .join();
    }
}

fn stop_process(mut child: Child) {
    quietly("kill", &["-TERM", &child.id().to_string()]);
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(60) {
        if child.try_wait().ok().flatten().is_some() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let _ = child.kill();
    let _ = child.wait();
}

/// Removes everything this harness makes: the service, the local engine's Swarm (only one
/// this harness formed), the second engine, the namespace, the images. Runs at the start
/// too, for leftovers of a run that was killed.
async fn clean_up() {
    let local = docker();
    let formed = std::path::Path::new(&path("formed")).exists();
    if formed {
        let _ = local.delete_service(SERVICE).await;
        let options = LeaveSwarmOptionsBuilder::new().force(true).build();
        let _ = local.leave_swarm(Some(options)).await;
        // Swarm made this bridge for its tasks and leaves it behind.
        let _ = local.remove_network("docker_gwbridge").await;
    }
    // The task containers on this engine, if leaving left any.
    let filters = HashMap::from([(
        "label".to_owned(),
        vec![format!("com.docker.swarm.service.name={SERVICE}")],
    )]);
    let options = ListContainersOptionsBuilder::new()
        .all(true)
        .filters(&filters)
        .build();
    for container in local
        .list_containers(Some(options))
        .await
        .unwrap_or_default()
    {
        if let Some(id) = container.id {
            let options = RemoveContainerOptionsBuilder::new().force(true).build();
            let _ = local.remove_container(&id, Some(options)).await;
        }
    }
    // A second engine of a killed run.
    if let Ok(pid) = std::fs::read_to_string(path("worker.pid")) {
        let pid = pid.trim().to_owned();
        // Only if that process is still our worker: a killed run's pid may since have
        // been reused, even by this machine's own dockerd, which must never be stopped.
        let ours = std::fs::read(format!("/proc/{pid}/cmdline"))
            .map(|command| String::from_utf8_lossy(&command).contains(WORK_DIR))
            .unwrap_or(false);
        if !pid.is_empty() && ours {
            quietly("kill", &["-TERM", &pid]);
            let proc = format!("/proc/{pid}");
            let started = Instant::now();
            while std::path::Path::new(&proc).exists()
                && started.elapsed() < Duration::from_secs(60)
            {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            quietly("kill", &["-KILL", &pid]);
        }
    }
    quietly("ip", &["netns", "del", NAMESPACE]);
    quietly("ip", &["link", "del", VETH_HOST]);
    for tag in TAGS {
        let options = RemoveImageOptionsBuilder::new().force(true).build();
        let _ = local
            .remove_image(&format!("{IMAGE}:{tag}"), Some(options), None)
            .await;
    }
    let _ = std::fs::remove_dir_all(WORK_DIR);
}

async fn swarm_state(client: &Docker) -> String {
    client
        .info()
        .await
        .expect("the local Docker engine answers (the test command starts dockerd)")
        .swarm
        .and_then(|swarm| swarm.local_node_state)
        .map(|state| state.to_string())
        .unwrap_or_default()
}

/// Waits until `probe` gives a value, or fails naming what was awaited.
async fn wait_for<T, F, Fut>(what: &str, mut probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let started = Instant::now();
    loop {
        if let Some(value) = probe().await {
            return value;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "waited {} s for {what}",
            DEADLINE.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

/// Builds the three test images on the local engine and loads the very same images (same
/// ids) into the second one: no registry can be reached here. Answers tag → image id.
async fn build_images(cluster: &Cluster) -> HashMap<String, String> {
    let local = docker();
    let busybox = std::fs::read("/bin/busybox")
        .expect("/bin/busybox is missing: install Debian's busybox-static (the test command does)");
    let mut ids = HashMap::new();
    for tag in TAGS {
        let mut archive = tar::Builder::new(Vec::new());
        let mut add = |name: &str, data: &[u8], mode: u32| {
            let mut header = tar::Header::new_gnu();
            header.set_size(data.len() as u64);
            header.set_mode(mode);
            archive.append_data(&mut header, name, data).unwrap();
        };
        add("bin/busybox", &busybox, 0o755);
        add("version", format!("{tag}\n").as_bytes(), 0o644);
        if tag != "bad" {
            add("ok", b"", 0o644);
        }
        let tarball = archive.into_inner().unwrap();
        let options = CreateImageOptionsBuilder::new()
            .from_src("-")
            .repo(IMAGE)
            .tag(tag)
            .build();
        let mut progress = local.create_image(
            Some(options),
            Some(bollard::body_full(tarball.into())),
            None,
        );
        while let Some(step) = progress.next().await {
            step.expect("importing a test image");
        }
        let id = local
            .inspect_image(&format!("{IMAGE}:{tag}"))
            .await
            .unwrap()
            .id
            .unwrap();
        ids.insert(tag.to_owned(), id);
    }
    let names: Vec<String> = TAGS.iter().map(|tag| format!("{IMAGE}:{tag}")).collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let mut saved = Vec::new();
    let mut export = local.export_images(&names);
    while let Some(chunk) = export.next().await {
        saved.extend_from_slice(&chunk.expect("saving the test images"));
    }
    let worker = cluster.worker();
    let mut loading = worker.import_image(
        ImportImageOptionsBuilder::new().build(),
        bollard::body_full(saved.into()),
        None,
    );
    while let Some(step) = loading.next().await {
        step.expect("loading the test images into the second engine");
    }
    for tag in TAGS {
        let id = worker
            .inspect_image(&format!("{IMAGE}:{tag}"))
            .await
            .unwrap()
            .id
            .unwrap();
        assert_eq!(Some(&id), ids.get(tag), "the same image on both engines");
    }
    ids
}

async fn cluster_view(app: &TestApp) -> ClusterView {
    app::cluster::service::view(&app.state).await.unwrap()
}

async fn deployed(app: &TestApp, id: i64) -> Option<SwarmDeployed> {
    app::cluster::deploy::view(&app.state, id)
        .await
        .unwrap()
        .deployed
}

fn running(tasks: &[TaskRow]) -> Vec<&TaskRow> {
    tasks
        .iter()
        .filter(|task| task.state == "running" && task.desired_state == "running")
        .collect()
}

/// Waits until the service runs `count` replicas, all of `image`; answers them.
async fn wait_running(
    app: &TestApp,
    id: i64,
    count: usize,
    image: &str,
    what: &str,
) -> Vec<TaskRow> {
    wait_for(what, || async {
        let deployed = deployed(app, id).await?;
        let tasks: Vec<TaskRow> = running(&deployed.tasks).into_iter().cloned().collect();
        (tasks.len() == count && tasks.iter().all(|task| task.image == image)).then_some(tasks)
    })
    .await
}

fn node_id(view: &ClusterView, address: &str) -> String {
    view.nodes
        .iter()
        .find(|node| node.address == address)
        .unwrap_or_else(|| panic!("no node at {address}: {view:?}"))
        .id
        .clone()
}

#[tokio::test]
async fn a_two_node_swarm_runs_updates_rolls_back_drains_and_survives_a_node_failure() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;

    // Before: a single engine (once a killed run's leftovers are gone); no cluster anywhere.
    clean_up().await;
    app::cluster::service::refresh(&app.state).await;
    let home = get_as(&app.router, Some(&cookie), "/").await;
    assert!(
        !home.body.contains("href=\"/cluster\""),
        "no cluster link on a single engine"
    );
    assert!(!cluster_view(&app).await.manager);

    let mut cluster = Cluster::form().await;
    let images = build_images(&cluster).await;

    // The cluster view: both nodes, ready, with their roles and addresses.
    let view = cluster_view(&app).await;
    assert!(view.manager);
    assert_eq!(view.nodes.len(), 2, "{view:?}");
    assert!(
        view.nodes.iter().all(|node| node.state == "ready"),
        "{view:?}"
    );
    let manager = node_id(&view, MANAGER_ADDRESS);
    let worker = node_id(&view, WORKER_ADDRESS);
    let manager_row = view.nodes.iter().find(|node| node.id == manager).unwrap();
    assert_eq!(manager_row.role, "manager");
    assert!(manager_row.leader);
    assert!(manager_row.cpus > 0.0 && manager_row.memory_bytes > 0);
    assert!(!manager_row.engine_version.is_empty());
    assert_eq!(
        view.nodes
            .iter()
            .find(|node| node.id == worker)
            .unwrap()
            .role,
        "worker"
    );
    // The navigation lists the cluster now, and the page shows both nodes.
    app::cluster::service::refresh(&app.state).await;
    let home = get_as(&app.router, Some(&cookie), "/").await;
    assert!(
        home.body.contains("href=\"/cluster\""),
        "the cluster link on a manager"
    );
    let page = get_as(&app.router, Some(&cookie), "/cluster").await;
    assert!(page.body.contains(WORKER_ADDRESS), "{}", page.body);
    assert!(page.body.contains("2 of 2 nodes ready"), "{}", page.body);

    // A caretaker service with a health check, deployed as a Swarm service of 4.
    let form = ServiceForm {
        name: SERVICE.to_owned(),
        host: "local".to_owned(),
        image: format!("{IMAGE}:1"),
        // Stops at once on SIGTERM (a bare sleep as PID 1 would wait for the kill).
        command: "/bin/busybox\nsh\n-c\ntrap 'exit 0' TERM; /bin/busybox sleep 3600 & wait"
            .to_owned(),
        health_test: "CMD /bin/busybox test -f /ok".to_owned(),
        health_interval: "1s".to_owned(),
        ..ServiceForm::default()
    };
    let id = app::services::service::create(&app.state, &actor(), &form)
        .await
        .unwrap();
    let mut settings = SwarmForm::of(&SwarmSettings::default());
    settings.replicas = "four".to_owned();
    let refused = app::cluster::deploy::save_settings(&app.state, &actor(), id, &settings)
        .await
        .unwrap_err();
    assert!(refused.to_string().starts_with("Replicas:"), "{refused}");
    settings.replicas = "4".to_owned();
    settings.update_parallelism = "2".to_owned();
    settings.update_monitor_secs = "3".to_owned();
    settings.memory_limit_mib = "64".to_owned();
    app::cluster::deploy::save_settings(&app.state, &actor(), id, &settings)
        .await
        .unwrap();
    let pinned = app::cluster::deploy::deploy(&app.state, &actor(), id, "1")
        .await
        .unwrap();
    assert_eq!(pinned, images["1"], "the tag is pinned to its image id");
    let tasks = wait_running(&app, id, 4, &images["1"], "4 replicas of tag 1").await;
    let nodes: HashSet<&str> = tasks.iter().map(|task| task.node_id.as_str()).collect();
    assert_eq!(nodes.len(), 2, "replicas on both nodes: {tasks:?}");
    // The cluster view lists each node's tasks.
    let view = cluster_view(&app).await;
    for node in &view.nodes {
        assert!(
            node.tasks.iter().any(|task| task.service == SERVICE),
            "tasks on {}: {view:?}",
            node.address
        );
    }

    // Scale from the page's server function.
    let scaled = call_as(
        &app.router,
        Some(&cookie),
        "/api/cluster/service/scale",
        &format!("id={id}&replicas=3"),
    )
    .await;
    assert!(scaled.status.is_success(), "{}", scaled.body);
    wait_running(&app, id, 3, &images["1"], "3 replicas after scaling").await;
    assert_eq!(deployed(&app, id).await.unwrap().replicas, 3);

    // A rolling update to tag 2: every replica runs the new image; the history shows
    // which image ran on which node.
    app::cluster::deploy::deploy(&app.state, &actor(), id, "2")
        .await
        .unwrap();
    wait_for("the update to tag 2 to complete", || async {
        let deployed = deployed(&app, id).await?;
        let done = deployed.update_state == "completed"
            && running(&deployed.tasks).len() == 3
            && running(&deployed.tasks)
                .iter()
                .all(|t| t.image == images["2"]);
        done.then_some(())
    })
    .await;
    let deployed_now = deployed(&app, id).await.unwrap();
    assert_eq!(deployed_now.tag, "2");
    assert!(
        deployed_now
            .tasks
            .iter()
            .any(|task| task.image == images["1"] && task.state != "running"),
        "the history keeps the tasks of tag 1: {:?}",
        deployed_now.tasks
    );
    assert!(deployed_now
        .tasks
        .iter()
        .all(|task| !task.node.is_empty() && task.node.contains("10.232.0.")));
    assert!(deployed_now
        .tasks
        .iter()
        .any(|task| task.image_tags.contains(&format!("{IMAGE}:2"))));

    // The service's page shows which image runs on which node.
    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/containers/services/{id}"),
    )
    .await;
    assert!(page.body.contains("On the Swarm"), "{}", page.body);
    assert!(
        page.body
            .contains(&format!("data-image=\"{}\"", images["2"])),
        "{}",
        page.body
    );
    assert!(page.body.contains(&format!("{IMAGE}:2")), "{}", page.body);
    assert!(page.body.contains("3 running of 3"), "{}", page.body);

    // A tag whose health check fails: Swarm rolls the update back by itself.
    app::cluster::deploy::deploy(&app.state, &actor(), id, "bad")
        .await
        .unwrap();
    wait_for("Swarm to roll the bad tag back", || async {
        let deployed = deployed(&app, id).await?;
        let back = deployed.update_state == "rollback_completed"
            && running(&deployed.tasks).len() == 3
            && running(&deployed.tasks)
                .iter()
                .all(|t| t.image == images["2"]);
        back.then_some(())
    })
    .await;
    let after = deployed(&app, id).await.unwrap();
    assert!(
        after
            .tasks
            .iter()
            .any(|task| task.image == images["bad"] && task.state != "running"),
        "the failed tasks of the bad tag are in the history: {:?}",
        after.tasks
    );

    // Drain the manager from the page's server function: its tasks move to the worker.
    let drained = call_as(
        &app.router,
        Some(&cookie),
        "/api/cluster/availability",
        &format!("node={manager}&availability=drain"),
    )
    .await;
    assert!(drained.status.is_success(), "{}", drained.body);
    wait_for(
        "the drained manager's tasks to move to the worker",
        || async {
            let deployed = deployed(&app, id).await?;
            let tasks = running(&deployed.tasks);
            (tasks.len() == 3 && tasks.iter().all(|task| task.node_id == worker)).then_some(())
        },
    )
    .await;
    let view = cluster_view(&app).await;
    let manager_row = view.nodes.iter().find(|node| node.id == manager).unwrap();
    assert_eq!(manager_row.availability, "drain");
    assert!(
        !manager_row.tasks.iter().any(|task| task.state == "running"),
        "{manager_row:?}"
    );
    app::cluster::service::set_availability(
        &app.state,
        &actor(),
        &manager,
        app::cluster::Availability::Active,
    )
    .await
    .unwrap();
    let view = cluster_view(&app).await;
    assert_eq!(
        view.nodes
            .iter()
            .find(|node| node.id == manager)
            .unwrap()
            .availability,
        "active"
    );
    let audit = app::audit::service::search(&app.state.db, &Default::default(), None)
        .await
        .unwrap();
    for action in ["drain node", "activate node", "deploy on swarm", "scale"] {
        assert!(
            audit
                .iter()
                .any(|entry| entry.area == "cluster" && entry.action == action),
            "audited: {action}"
        );
    }

    // The Swarm nodes monitor: up while both nodes are ready.
    let monitor = app::monitors::service::create(
        &app.state,
        &actor(),
        &MonitorForm {
            name: "swarm".to_owned(),
            kind: "swarm_nodes".to_owned(),
            interval_secs: "10".to_owned(),
            timeout_secs: "5".to_owned(),
            down_after: "1".to_owned(),
            up_after: "1".to_owned(),
            ..MonitorForm::default()
        },
    )
    .await
    .unwrap();
    let outcome = app::monitors::service::check_now(&app.state, monitor)
        .await
        .unwrap();
    assert!(outcome.ok, "{outcome:?}");

    // The worker's engine stops: the node is shown down, its tasks run on the manager,
    // and the monitor's alert fires.
    cluster.stop_worker();
    wait_for("the worker to be shown down", || async {
        let view = cluster_view(&app).await;
        let node = view.nodes.iter().find(|node| node.id == worker)?;
        (node.state == "down").then_some(())
    })
    .await;
    wait_for(
        "the worker's tasks to be rescheduled on the manager",
        || async {
            let deployed = deployed(&app, id).await?;
            let tasks = running(&deployed.tasks);
            (tasks.len() == 3 && tasks.iter().all(|task| task.node_id == manager)).then_some(())
        },
    )
    .await;
    let outcome = app::monitors::service::check_now(&app.state, monitor)
        .await
        .unwrap();
    assert!(!outcome.ok, "{outcome:?}");
    assert!(
        outcome.message.contains(WORKER_ADDRESS),
        "{}",
        outcome.message
    );
    let watched = app::monitors::service::view(&app.state, monitor)
        .await
        .unwrap();
    assert_eq!(watched.summary.state, MonitorState::Down);
    assert_eq!(watched.incidents.len(), 1);
    assert!(watched.incidents[0].ended_at.is_none());
    assert!(
        watched.incidents[0].cause.contains(WORKER_ADDRESS),
        "{}",
        watched.incidents[0].cause
    );

    // The containers page names each task container's node.
    app::cluster::service::refresh(&app.state).await;
    app.state.fleet.refresh_all().await;
    let list = app::containers::service::list(&app.state, &Default::default()).await;
    let ours: Vec<_> = list
        .containers
        .iter()
        .filter(|row| row.name.starts_with(SERVICE) && row.state == "running")
        .collect();
    assert!(!ours.is_empty());
    assert!(
        ours.iter().all(|row| row
            .node
            .as_deref()
            .is_some_and(|node| node.contains(MANAGER_ADDRESS))),
        "{ours:?}"
    );

    // The worker comes back: shown ready, and the monitor recovers.
    cluster.start_worker().await;
    wait_for("the worker to be shown ready again", || async {
        let view = cluster_view(&app).await;
        let node = view.nodes.iter().find(|node| node.id == worker)?;
        (node.state == "ready").then_some(())
    })
    .await;
    let outcome = app::monitors::service::check_now(&app.state, monitor)
        .await
        .unwrap();
    assert!(outcome.ok, "{outcome:?}");
    let watched = app::monitors::service::view(&app.state, monitor)
        .await
        .unwrap();
    assert_eq!(watched.summary.state, MonitorState::Up);
    assert!(watched.incidents[0].ended_at.is_some());

    // Leaving the Swarm: the engine is a single engine again, and the cluster is gone.
    cluster.dismantle().await;
    assert_eq!(swarm_state(&docker()).await, "inactive");
    app::cluster::service::refresh(&app.state).await;
    let home = get_as(&app.router, Some(&cookie), "/").await;
    assert!(!home.body.contains("href=\"/cluster\""));
    let view = cluster_view(&app).await;
    assert!(!view.manager);
    assert!(view.note.unwrap().contains("not part of a Swarm"));
}
