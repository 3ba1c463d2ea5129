//! Deploys on the real Docker engine with images pulled from a real registry
//! (Debian's docker-registry on 127.0.0.1): test slot, health gate, promote, roll back.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use bollard::query_parameters::{
    InspectContainerOptions, ListContainersOptionsBuilder, RemoveContainerOptionsBuilder,
};
use common::registry::{push_web_image, remove_images, Registry, WebImage};
use common::{call_as, docker, test_app, TestApp, LOCAL_DOCKER};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The service form of the web image: busybox httpd on 8080, the HTTP check on its CGI.
fn service_form(name: &str, repository: &str, port: u16, secrets: &str, env: &str) -> String {
    [
        ("form[name]", name.to_owned()),
        ("form[image]", format!("{repository}:1")),
        (
            "form[command]",
            "/bin/busybox\nhttpd\n-f\n-p\n8080\n-h\n/www".to_owned(),
        ),
        ("form[ports]", format!("127.0.0.1:{port}:8080")),
        ("form[health_path]", "/cgi-bin/health".to_owned()),
        ("form[secrets]", secrets.to_owned()),
        ("form[env]", env.to_owned()),
    ]
    .iter()
    .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
    .collect::<Vec<_>>()
    .join("&")
}

/// Removes every container of the service and the images its deploys pulled when the
/// test ends, passed or not.
struct Cleanup {
    service: String,
    repository: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let (service, repository) = (self.service.clone(), self.repository.clone());
        let _ = std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap()
                .block_on(async {
                    let docker = docker();
                    let filter = format!("caretaker.service={service}");
                    let options = ListContainersOptionsBuilder::new()
                        .all(true)
                        .filters(&[("label", vec![filter.as_str()])].into())
                        .build();
                    for container in docker
                        .list_containers(Some(options))
                        .await
                        .unwrap_or_default()
                    {
                        let options = RemoveContainerOptionsBuilder::new().force(true).build();
                        let _ = docker
                            .remove_container(&container.id.unwrap_or_default(), Some(options))
                            .await;
                    }
                    remove_images(&docker, &repository).await;
                });
        })
        .join();
    }
}

async fn service_view(app: &TestApp, cookie: &str, id: i64) -> serde_json::Value {
    call_as(
        &app.router,
        Some(cookie),
        "/api/services/get",
        &format!("id={id}"),
    )
    .await
    .json()
}

/// Deploys `tag` and waits for its task; answers the task's final state.
async fn deploy(app: &TestApp, cookie: &str, id: i64, tag: &str) -> app::tasks::TaskSnapshot {
    let answer = call_as(
        &app.router,
        Some(cookie),
        "/api/services/deploy",
        &format!("id={id}&tag={tag}"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let task_id = answer.json().as_str().unwrap().to_owned();
    for _ in 0..1200 {
        let task = app.state.tasks.get(&task_id).await.unwrap();
        if task.status.is_finished() {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the deploy of {tag} did not finish within 2 minutes");
}

async fn post(app: &TestApp, cookie: &str, path: &str, id: i64) -> common::Answer {
    call_as(&app.router, Some(cookie), path, &format!("id={id}")).await
}

/// The image reference production runs, and what it serves at /version.
async fn production(name: &str, port: u16) -> (String, String) {
    let inspect = docker()
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .unwrap();
    let image = inspect.config.unwrap().image.unwrap();
    let mut served = String::new();
    for _ in 0..50 {
        if let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/version")).await {
            served = answer.text().await.unwrap();
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    (image, served)
}

fn deployment<'a>(view: &'a serde_json::Value, status: &str) -> &'a serde_json::Value {
    view["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["status"] == status)
        .unwrap_or_else(|| panic!("no {status} deployment: {}", view["deployments"]))
}

#[tokio::test]
async fn deploy_to_the_test_slot_promote_and_roll_back_by_digest() {
    let registry = Registry::start().await;
    let docker = docker();
    let repository = format!("{}/caretaker-test/web", registry.address);
    push_web_image(&docker, &repository, "1", WebImage::Healthy("one")).await;
    push_web_image(&docker, &repository, "2", WebImage::Healthy("two")).await;
    push_web_image(
        &docker,
        &repository,
        "no-health",
        WebImage::NoHealth("three"),
    )
    .await;
    push_web_image(&docker, &repository, "exits", WebImage::Exits).await;
    push_web_image(&docker, &repository, "answers-500", WebImage::Answers500).await;

    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let name = format!("web-{}", std::process::id());
    let _cleanup = Cleanup {
        service: name.clone(),
        repository: repository.clone(),
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let form = service_form(&name, &repository, port, "API_TOKEN=s3cret", "");
    let created = call_as(&app.router, Some(&cookie), "/api/services/create", &form).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = created.json().as_i64().unwrap();

    // Tag 1: pulled with progress, recorded by digest, healthy in the test slot.
    let task = deploy(&app, &cookie, id, "1").await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    assert!(
        task.bytes_total.unwrap_or(0) > 0,
        "the pull reported its bytes"
    );
    let view = service_view(&app, &cookie, id).await;
    let digest_1 = deployment(&view, "ready")["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(digest_1.starts_with("sha256:"), "{digest_1}");
    let test_slot = docker
        .inspect_container(&format!("{name}-test"), None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(
        test_slot.config.as_ref().unwrap().image.as_deref(),
        Some(format!("{repository}@{digest_1}").as_str())
    );
    assert!(
        test_slot
            .config
            .unwrap()
            .env
            .unwrap()
            .contains(&"API_TOKEN=s3cret".to_owned()),
        "secrets reach the container"
    );

    assert_eq!(
        post(&app, &cookie, "/api/services/promote", id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        production(&name, port).await,
        (format!("{repository}@{digest_1}"), "one".to_owned())
    );

    // Tag 2 waits in the test slot while production still runs tag 1; then replaces it.
    let task = deploy(&app, &cookie, id, "2").await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    assert_eq!(production(&name, port).await.1, "one");
    let view = service_view(&app, &cookie, id).await;
    let digest_2 = deployment(&view, "ready")["digest"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(digest_1, digest_2);
    assert_eq!(
        post(&app, &cookie, "/api/services/promote", id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        production(&name, port).await,
        (format!("{repository}@{digest_2}"), "two".to_owned())
    );
    let kept = docker
        .inspect_container(&format!("{name}-previous"), None::<InspectContainerOptions>)
        .await
        .unwrap();
    assert_eq!(
        kept.state.unwrap().running,
        Some(false),
        "the previous version is kept, stopped"
    );

    // One click back to tag 1.
    assert_eq!(
        post(&app, &cookie, "/api/services/roll-back", id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        production(&name, port).await,
        (format!("{repository}@{digest_1}"), "one".to_owned())
    );
    let again = post(&app, &cookie, "/api/services/roll-back", id).await;
    assert!(again.body.contains("no previous version"), "{}", again.body);

    // A health gate that fails (404 on /health, or a container that exits) leaves
    // production on tag 1.
    for (tag, says) in [
        ("no-health", "answered 404"),
        (
            "answers-500",
            "GET /cgi-bin/health answered 500, 5 times in a row",
        ),
        ("exits", "the container stopped (exit code 1)"),
    ] {
        let task = deploy(&app, &cookie, id, tag).await;
        assert_eq!(task.status, app::tasks::TaskStatus::Failed, "{tag}");
        assert!(
            task.message.contains(says) && task.message.contains("Production is unchanged"),
            "{}",
            task.message
        );
        assert_eq!(
            production(&name, port).await,
            (format!("{repository}@{digest_1}"), "one".to_owned()),
            "{tag}"
        );
        assert!(docker
            .inspect_container(&format!("{name}-test"), None::<InspectContainerOptions>)
            .await
            .is_err());
    }
    let nothing = post(&app, &cookie, "/api/services/promote", id).await;
    assert!(
        nothing.body.contains("Nothing waits in the test slot"),
        "{}",
        nothing.body
    );

    // A tag the registry does not have fails the pull in a sentence.
    let task = deploy(&app, &cookie, id, "9").await;
    assert_eq!(task.status, app::tasks::TaskStatus::Failed);
    assert!(
        task.message.contains("Pulling") && task.message.contains(":9 failed"),
        "{}",
        task.message
    );

    let view = service_view(&app, &cookie, id).await;
    let history: Vec<(String, String)> = view["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["tag"].as_str().unwrap().to_owned(),
                d["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        history,
        [
            ("9", "failed"),
            ("exits", "failed"),
            ("answers-500", "failed"),
            ("no-health", "failed"),
            ("2", "rolled back"),
            ("1", "production"),
        ]
        .map(|(tag, status)| (tag.to_owned(), status.to_owned()))
    );
    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE area = 'services' ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(
        audited,
        [
            "create",
            "deploy",
            "promote",
            "deploy",
            "promote",
            "roll back",
            "deploy",
            "deploy",
            "deploy",
            "deploy"
        ]
    );

    // A promote killed after it moved production aside (stopped, renamed) but before the
    // new version ran: promoting again finishes the job, and roll back still works.
    let task = deploy(&app, &cookie, id, "2").await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    let stop = bollard::query_parameters::StopContainerOptionsBuilder::new()
        .t(1)
        .build();
    docker.stop_container(&name, Some(stop)).await.unwrap();
    let aside = bollard::query_parameters::RenameContainerOptionsBuilder::new()
        .name(&format!("{name}-previous"))
        .build();
    docker.rename_container(&name, aside).await.unwrap();
    assert_eq!(
        post(&app, &cookie, "/api/services/promote", id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        production(&name, port).await,
        (format!("{repository}@{digest_2}"), "two".to_owned())
    );
    assert_eq!(
        post(&app, &cookie, "/api/services/roll-back", id)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        production(&name, port).await,
        (format!("{repository}@{digest_1}"), "one".to_owned())
    );

    // Two versions deployed in a row: only the newer one waits in the test slot.
    deploy(&app, &cookie, id, "2").await;
    deploy(&app, &cookie, id, "1").await;
    let view = service_view(&app, &cookie, id).await;
    let ready: Vec<&str> = view["deployments"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["status"] == "ready")
        .map(|d| d["tag"].as_str().unwrap())
        .collect();
    assert_eq!(ready, ["1"]);

    // Promote runs the definition that passed the gate, not one edited since.
    let edit = format!(
        "id={id}&{}",
        service_form(
            &name,
            &repository,
            port,
            "API_TOKEN",
            "EDITED=after-the-gate"
        )
    );
    let edited = call_as(&app.router, Some(&cookie), "/api/services/update", &edit).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    assert_eq!(
        post(&app, &cookie, "/api/services/promote", id)
            .await
            .status,
        StatusCode::OK
    );
    let env = docker
        .inspect_container(&name, None::<InspectContainerOptions>)
        .await
        .unwrap()
        .config
        .unwrap()
        .env
        .unwrap();
    assert!(
        !env.iter().any(|entry| entry.starts_with("EDITED=")),
        "{env:?}"
    );
    assert!(env.contains(&"API_TOKEN=s3cret".to_owned()));
}
