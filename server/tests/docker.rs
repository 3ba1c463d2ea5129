//! The overview against the real Docker engine: containers appear, a dead engine degrades
//! the page, an engine that comes back is seen without a restart, and disk use is measured
//! as a task.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{call_as, docker, get_as, test_app, TestContainer, LOCAL_DOCKER, TEST_IMAGE};

#[tokio::test]
async fn a_running_container_shows_on_the_overview_page() {
    let docker = docker();
    let container = TestContainer::start(&docker, "overview", false).await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;

    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::OK);
    let row_start = page
        .body
        .find(&format!("data-container=\"{}\"", container.name))
        .unwrap_or_else(|| panic!("{} is not on the page:\n{}", container.name, page.body));
    let row = &page.body[row_start..row_start + page.body[row_start..].find("</tr>").unwrap()];
    assert!(row.contains(TEST_IMAGE), "{row}");
    assert!(row.contains("badge state-running"), "{row}");
    assert!(row.contains(">Up "), "{row}");
    assert!(page.body.contains("data-engine=\"up\""));

    // The page shows the engine's own count (other tests may start containers meanwhile,
    // so the count is read from the page and checked to be plausible).
    let running = count_on_page(&page.body, "running");
    let total = count_on_page(&page.body, "total");
    assert!(
        running >= 1 && running <= total,
        "running {running}, total {total}"
    );
}

fn count_on_page(body: &str, which: &str) -> u64 {
    let marker = format!("data-count=\"{which}\"");
    let at = body
        .find(&marker)
        .unwrap_or_else(|| panic!("no {which} count"));
    let start = at + body[at..].find('>').unwrap() + 1;
    let digits: String = body[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().unwrap_or_else(|_| {
        panic!(
            "the {which} count is not a number: {}",
            &body[start..start + 40]
        )
    })
}

#[tokio::test]
async fn health_and_stopped_state_are_shown() {
    let docker = docker();
    let healthy = TestContainer::start(&docker, "healthy", true).await;
    let stopped = TestContainer::start(&docker, "stopped", false).await;
    docker
        .stop_container(
            &stopped.name,
            Some(
                bollard::query_parameters::StopContainerOptionsBuilder::new()
                    .t(0)
                    .build(),
            ),
        )
        .await
        .unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;

    let mut last = String::new();
    for _ in 0..40 {
        let overview = call_as(&app.router, Some(&cookie), "/api/overview/get", "")
            .await
            .json();
        let rows = overview["containers"].as_array().unwrap().clone();
        let find = |name: &str| rows.iter().find(|row| row["name"] == name).cloned();
        let healthy_row = find(&healthy.name).expect("healthy container listed");
        let stopped_row = find(&stopped.name).expect("stopped container listed");
        assert_eq!(stopped_row["state"], "exited");
        if healthy_row["health"] == "healthy" {
            return;
        }
        last = healthy_row.to_string();
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    panic!("the health check never showed healthy: {last}");
}

#[tokio::test]
async fn the_page_follows_the_engine_going_away_and_coming_back() {
    let docker = docker();
    let container = TestContainer::start(&docker, "comeback", false).await;
    // caretaker is pointed at a socket path that starts out dead; making it a link to the
    // real socket is the engine "coming back", with no restart of caretaker.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("docker.sock");
    let app = test_app(&format!("unix://{}", socket.display())).await;
    let cookie = app.admin_cookie().await;

    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("The Docker engine is not reachable."));
    assert!(!page.body.contains(&container.name));

    std::os::unix::fs::symlink("/var/run/docker.sock", &socket).unwrap();
    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert!(page.body.contains("data-engine=\"up\""), "{}", page.body);
    assert!(page.body.contains(&container.name));

    std::fs::remove_file(&socket).unwrap();
    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert!(page.body.contains("The Docker engine is not reachable."));
}

#[tokio::test]
async fn disk_use_is_measured_as_a_task_with_progress() {
    let docker = docker();
    let _container = TestContainer::start(&docker, "disk", false).await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;

    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert!(page.body.contains("Not measured yet."), "{}", page.body);

    let count_images = || async {
        docker
            .list_images(None::<bollard::query_parameters::ListImagesOptions>)
            .await
            .unwrap()
            .len() as u64
    };
    // Other tests (and other users of this engine) may add or remove images meanwhile:
    // the measured count lies between the counts before and after.
    let images_before = count_images().await;
    let started = call_as(&app.router, Some(&cookie), "/api/overview/measure-disk", "").await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let id: String = serde_json::from_str(&started.body).unwrap();

    let mut task = serde_json::Value::Null;
    for _ in 0..600 {
        task = call_as(
            &app.router,
            Some(&cookie),
            "/api/tasks/get",
            &format!("id={id}"),
        )
        .await
        .json();
        if task["status"] != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(task["status"], "succeeded", "{task}");
    assert_eq!(task["fraction"], 1.0);

    let overview = call_as(&app.router, Some(&cookie), "/api/overview/get", "")
        .await
        .json();
    let (usage, _measured_at) = (&overview["disk_use"][0], &overview["disk_use"][1]);
    let images_after = count_images().await;
    let measured = usage["images"].as_u64().unwrap();
    assert!(
        (images_before.min(images_after)..=images_before.max(images_after)).contains(&measured),
        "{measured} images measured; {images_before} before, {images_after} after"
    );
    assert!(usage["images_bytes"].as_u64().unwrap() > 0, "{usage}");

    let page = get_as(&app.router, Some(&cookie), "/").await;
    assert!(!page.body.contains("Not measured yet."));
    // The admin action is in the audit log, with who did it.
    let audit = get_as(&app.router, Some(&cookie), "/audit/export?format=csv").await;
    let line = audit
        .body
        .lines()
        .find(|line| line.contains("measure disk use"))
        .unwrap_or_else(|| panic!("not audited:\n{}", audit.body));
    assert!(
        line.contains("local admin") && line.contains(",ok,"),
        "{line}"
    );
    assert!(page.body.contains("Measured at"));
}
