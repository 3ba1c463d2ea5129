//! The containers area on the real Docker engine: the list of every host, search and
//! filters, actions, inspect with secrets masked, logs, and a second engine over TCP+TLS.

mod common;

use std::time::Duration;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::InspectContainerOptions;
use common::engines::{write_certificates, ClientFiles, SecondEngine};
use common::{call_as, docker, error_of, get_as, test_app, TestApp, TestContainer, LOCAL_DOCKER};
use http_body_util::BodyExt;
use tower::ServiceExt;

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

async fn list(app: &TestApp, cookie: &str, query: &str) -> serde_json::Value {
    let query = if query.is_empty() {
        "filter[q]="
    } else {
        query
    };
    let answer = call_as(&app.router, Some(cookie), "/api/containers/list", query).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

fn names(list: &serde_json::Value) -> Vec<String> {
    list["containers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["name"].as_str().unwrap().to_owned())
        .collect()
}

fn row<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list["containers"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == name)
        .unwrap_or_else(|| panic!("{name} is not listed: {list}"))
}

async fn act(app: &TestApp, cookie: &str, id: &str, action: &str) -> common::Answer {
    let form = format!("host=local&id={}&action={action}", encode(id));
    call_as(&app.router, Some(cookie), "/api/containers/act", &form).await
}

async fn is_running(name: &str) -> Option<bool> {
    let inspect = docker()
        .inspect_container(name, None::<InspectContainerOptions>)
        .await
        .ok()?;
    inspect.state?.running
}

#[tokio::test]
async fn the_list_shows_every_container_with_health_cpu_and_memory() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let container = TestContainer::start(&docker(), "list", true).await;
    // Two samples make a CPU percentage; the worker takes them in the background.
    app.state.fleet.refresh_all().await;
    app.state.fleet.refresh_all().await;

    let answer = list(&app, &cookie, "").await;
    let listed = row(&answer, &container.name);
    assert_eq!(listed["host_name"], "local");
    assert_eq!(listed["state"], "running");
    assert_eq!(listed["image"], common::TEST_IMAGE);
    let usage = &listed["usage"];
    assert!(usage["memory_bytes"].as_u64().unwrap() > 0, "{listed}");
    assert!(usage["cpu_percent"].as_f64().is_some(), "{listed}");
    let local = &answer["hosts"][0];
    assert_eq!(local["id"], "local");
    assert!(
        local["check"]["outcome"]["Ok"].as_str().is_some(),
        "{local}"
    );

    let page = get_as(&app.router, Some(&cookie), "/containers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(&format!(r#"data-container="{}""#, container.name)));
    assert!(page.body.contains(r#"data-host-state="reachable""#));
    // Admins get the actions; removing asks first.
    assert!(page
        .body
        .contains(&format!(r#"aria-label="Remove {}…""#, container.name)));
}

#[tokio::test]
async fn search_and_filters_narrow_the_list() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let running = TestContainer::start(&docker(), "filter-up", false).await;
    let stopped = TestContainer::start(&docker(), "filter-down", false).await;
    docker()
        .stop_container(
            &stopped.name,
            None::<bollard::query_parameters::StopContainerOptions>,
        )
        .await
        .unwrap();
    app.state.fleet.refresh_all().await;

    let by_name = list(&app, &cookie, &format!("filter[q]={}", running.name)).await;
    assert_eq!(names(&by_name), vec![running.name.clone()]);
    let exited = list(&app, &cookie, "filter[state]=exited").await;
    assert!(names(&exited).contains(&stopped.name));
    assert!(!names(&exited).contains(&running.name));
    assert!(exited["states"]
        .as_array()
        .unwrap()
        .contains(&"running".into()));
    let nowhere = list(&app, &cookie, "filter[host]=no-such-host").await;
    assert!(names(&nowhere).is_empty());
    assert!(nowhere["total"].as_u64().unwrap() >= 2);

    // Without JavaScript the same search is a GET form.
    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/containers?q={}", running.name),
    )
    .await;
    assert!(page
        .body
        .contains(&format!(r#"data-container="{}""#, running.name)));
    assert!(!page
        .body
        .contains(&format!(r#"data-container="{}""#, stopped.name)));
}

#[tokio::test]
async fn stop_start_restart_and_remove_are_done_and_audited() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let container = TestContainer::start(&docker(), "act", false).await;
    app.state.fleet.refresh_all().await;
    let id = row(&list(&app, &cookie, "").await, &container.name)["id"]
        .as_str()
        .unwrap()
        .to_owned();

    assert_eq!(act(&app, &cookie, &id, "stop").await.status, StatusCode::OK);
    assert_eq!(is_running(&container.name).await, Some(false));
    // The answer comes after the host's snapshot was refreshed: the list agrees at once.
    assert_eq!(
        row(&list(&app, &cookie, "").await, &container.name)["state"],
        "exited"
    );

    assert_eq!(
        act(&app, &cookie, &id, "start").await.status,
        StatusCode::OK
    );
    assert_eq!(is_running(&container.name).await, Some(true));
    assert_eq!(
        act(&app, &cookie, &id, "restart").await.status,
        StatusCode::OK
    );
    assert_eq!(is_running(&container.name).await, Some(true));
    assert_eq!(
        act(&app, &cookie, &id, "remove").await.status,
        StatusCode::OK
    );
    assert_eq!(is_running(&container.name).await, None, "removed");

    // Starting what no longer exists is a sentence from the engine, audited as failed.
    let (kind, sentence) = error_of(&act(&app, &cookie, &id, "start").await);
    assert_eq!(kind, "NotFound");
    assert!(sentence.contains("No such container"), "{sentence}");

    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT action, target, result FROM audit_log WHERE area = 'containers' ORDER BY id",
    )
    .fetch_all(&app.state.db)
    .await
    .unwrap();
    let target = format!("local/{}", container.name);
    let expected: Vec<(String, String, String)> = [
        ("stop", "ok"),
        ("start", "ok"),
        ("restart", "ok"),
        ("remove", "ok"),
        ("start", "failed"),
    ]
    .iter()
    .map(|(action, result)| {
        let target = if *result == "failed" {
            format!("local/{id}")
        } else {
            target.clone()
        };
        (action.to_string(), target, result.to_string())
    })
    .collect();
    assert_eq!(audited, expected);
}

#[tokio::test]
async fn inspect_masks_values_that_look_secret() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let body = ContainerCreateBody {
        env: Some(vec![
            "POSTGRES_PASSWORD=hunter2".into(),
            "DATABASE_URL=postgres://app:s3cr3t@db/app".into(),
            "OLLAMA_HOST=0.0.0.0:11434".into(),
        ]),
        ..Default::default()
    };
    let container = TestContainer::start_with(&docker(), "inspect", body).await;
    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/containers/local/{}", container.name),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("0.0.0.0:11434"));
    assert!(page.body.contains("POSTGRES_PASSWORD"));
    assert!(
        !page.body.contains("hunter2"),
        "a password reached the page"
    );
    assert!(
        !page.body.contains("s3cr3t"),
        "a URL password reached the page"
    );
    assert!(page.body.contains("looks like a secret"));
}

#[tokio::test]
async fn logs_are_tailed_searched_and_followed() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let script = "i=1; while [ $i -le 30 ]; do echo \"line $i\"; i=$((i+1)); done; echo oops >&2; \
                  while true; do echo tick; sleep 0.2; done";
    let body = ContainerCreateBody {
        cmd: Some(vec![
            "/bin/busybox".into(),
            "sh".into(),
            "-c".into(),
            script.into(),
        ]),
        ..Default::default()
    };
    let container = TestContainer::start_with(&docker(), "logs", body).await;
    let logs = |tail: u32, search: &str| {
        let form = format!(
            "host=local&id={}&tail={tail}&search={}",
            container.name,
            encode(search)
        );
        let router = app.router.clone();
        let cookie = cookie.clone();
        async move { call_as(&router, Some(&cookie), "/api/containers/logs", &form).await }
    };
    // Wait until the container has written its first 31 lines.
    let mut found = serde_json::Value::Null;
    for _ in 0..100 {
        found = logs(1000, "").await.json();
        if found.to_string().contains("oops") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let lines = found["lines"].as_array().unwrap();
    // stdout and stderr are copied apart, so only the order within each stream is certain.
    let stdout: Vec<&str> = lines
        .iter()
        .filter(|line| line["stream"] == "stdout")
        .map(|line| line["text"].as_str().unwrap())
        .take(30)
        .collect();
    let expected: Vec<String> = (1..=30).map(|i| format!("line {i}")).collect();
    assert_eq!(stdout, expected);
    let oops = lines.iter().find(|line| line["text"] == "oops").unwrap();
    assert_eq!(oops["stream"], "stderr");

    let last_three = logs(3, "").await.json();
    assert_eq!(last_three["lines"].as_array().unwrap().len(), 3);
    let searched = logs(1000, "LINE 2").await.json();
    let texts: Vec<&str> = searched["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|line| line["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 11, "line 2 and line 20..29: {texts:?}");

    // Following: new lines arrive as server-sent events while the container writes them.
    let request = Request::get(format!(
        "/api/containers/local/{}/logs?tail=0",
        container.name
    ))
    .header("host", "localhost")
    .header("cookie", &cookie)
    .body(Body::empty())
    .unwrap();
    let response = app.router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.headers()["content-type"], "text/event-stream");
    let mut body = response.into_body();
    let mut seen = String::new();
    while seen.matches("event: line").count() < 3 {
        let frame = tokio::time::timeout(Duration::from_secs(10), body.frame())
            .await
            .expect("a new line within 10 s")
            .unwrap()
            .unwrap();
        if let Some(data) = frame.data_ref() {
            seen.push_str(&String::from_utf8_lossy(data));
        }
    }
    assert!(
        seen.contains(r#"{"stream":"stdout","text":"tick"}"#),
        "{seen}"
    );
    assert!(
        !seen.contains("line 1\""),
        "tail=0 sends only new lines: {seen}"
    );
}

#[tokio::test]
async fn bad_references_and_host_forms_are_refused_with_a_sentence() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let injected = error_of(&act(&app, &cookie, "x; docker rm -f $(docker ps -q)", "stop").await);
    assert_eq!(injected.0, "Invalid");
    assert!(
        injected.1.contains("is not a container id or name"),
        "{}",
        injected.1
    );
    let traversal = error_of(&act(&app, &cookie, "../../containers/json", "start").await);
    assert_eq!(traversal.0, "Invalid");
    let no_host = call_as(
        &app.router,
        Some(&cookie),
        "/api/containers/act",
        "host=elsewhere&id=abc&action=start",
    )
    .await;
    assert_eq!(
        error_of(&no_host),
        (
            "NotFound".to_owned(),
            "There is no Docker host 'elsewhere'.".to_owned()
        )
    );

    let pem = app.dir.path().join("ca.pem");
    std::fs::write(&pem, "-----BEGIN CERTIFICATE-----\n").unwrap();
    let not_pem = app.dir.path().join("notes.txt");
    std::fs::write(&not_pem, "hello").unwrap();
    let pem = pem.display().to_string();
    let cases = [
        (
            "Gpu Box",
            "tcp://10.0.0.2:2376",
            pem.clone(),
            "Name: 'Gpu Box' is not accepted",
        ),
        ("local", "tcp://10.0.0.2:2376", pem.clone(), "Name: 'local'"),
        (
            "gpu",
            "http://10.0.0.2:2376",
            pem.clone(),
            "Address: 'http://10.0.0.2:2376' is not accepted",
        ),
        ("gpu", "tcp://10.0.0.2", pem.clone(), "use tcp://HOST:PORT"),
        ("gpu", "tcp://a;b:2376", pem.clone(), "Address:"),
        (
            "gpu",
            "tcp://10.0.0.2:2376",
            "certs/ca.pem".into(),
            "give an absolute path",
        ),
        (
            "gpu",
            "tcp://10.0.0.2:2376",
            "/etc/../etc/shadow".into(),
            "without '..'",
        ),
        (
            "gpu",
            "tcp://10.0.0.2:2376",
            "/no/such/ca.pem".into(),
            "cannot be read",
        ),
        (
            "gpu",
            "tcp://10.0.0.2:2376",
            not_pem.display().to_string(),
            "is not a PEM file",
        ),
    ];
    for (name, address, ca, expected) in cases {
        let form = format!(
            "name={}&address={}&ca_file={}&cert_file={pem}&key_file={pem}",
            encode(name),
            encode(address),
            encode(&ca)
        );
        let answer = call_as(
            &app.router,
            Some(&cookie),
            "/api/containers/hosts/add",
            &form,
        )
        .await;
        let (kind, sentence) = error_of(&answer);
        assert_eq!(kind, "Invalid", "{name} {address} {ca}");
        assert!(sentence.contains(expected), "{expected}: {sentence}");
    }
    let hosts: i64 = sqlx::query_scalar("SELECT count(*) FROM docker_hosts")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(hosts, 0, "nothing refused was stored");
}

async fn add_host(
    app: &TestApp,
    cookie: &str,
    name: &str,
    address: &str,
    files: &ClientFiles,
) -> common::Answer {
    let form = format!(
        "name={name}&address={}&ca_file={}&cert_file={}&key_file={}",
        encode(address),
        encode(&files.ca.display().to_string()),
        encode(&files.cert.display().to_string()),
        encode(&files.key.display().to_string()),
    );
    call_as(
        &app.router,
        Some(cookie),
        "/api/containers/hosts/add",
        &form,
    )
    .await
}

fn host<'a>(list: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    list["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|host| host["name"] == name)
        .unwrap_or_else(|| panic!("no host {name}: {list}"))
}

#[tokio::test]
async fn a_second_engine_over_tls_is_a_second_host_and_going_away_marks_only_it() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let local_container = TestContainer::start(&docker(), "two-hosts", false).await;
    let (mut second, files) = SecondEngine::start().await;

    let added = add_host(&app, &cookie, "second", &second.tcp_address(), &files).await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let both = list(&app, &cookie, "").await;
    let checked = &host(&both, "second")["check"];
    assert!(
        checked["outcome"]["Ok"]
            .as_str()
            .unwrap()
            .starts_with("20."),
        "the second engine answers over TLS: {checked}"
    );
    assert!(host(&both, "second")["endpoint"]
        .as_str()
        .unwrap()
        .ends_with("(TLS)"));
    let duplicate = add_host(&app, &cookie, "second", &second.tcp_address(), &files).await;
    assert_eq!(error_of(&duplicate).0, "Conflict");

    // Without the client certificate the engine refuses: the same host with the CA as
    // its certificate is unreachable, with a sentence.
    let wrong = ClientFiles {
        ca: files.ca.clone(),
        cert: files.ca.clone(),
        key: files.key.clone(),
    };
    assert_eq!(
        add_host(&app, &cookie, "wrong-cert", &second.tcp_address(), &wrong)
            .await
            .status,
        StatusCode::OK
    );
    let refused = list(&app, &cookie, "").await;
    assert!(host(&refused, "wrong-cert")["check"]["outcome"]["Err"]
        .as_str()
        .is_some());

    second.stop();
    app.state.fleet.refresh_all().await;
    let after = list(&app, &cookie, "").await;
    let reason = host(&after, "second")["check"]["outcome"]["Err"]
        .as_str()
        .unwrap_or_else(|| panic!("the stopped engine is unreachable: {after}"))
        .to_owned();
    assert!(reason.contains(&second.address), "{reason}");
    assert!(
        names(&after).contains(&local_container.name),
        "the local host still lists"
    );
    let page = get_as(&app.router, Some(&cookie), "/containers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains(r#"data-host="second" data-host-state="unreachable""#));

    // Removing the host stops watching it.
    let id = host(&after, "second")["id"].as_str().unwrap().to_owned();
    let removed = call_as(
        &app.router,
        Some(&cookie),
        "/api/containers/hosts/remove",
        &format!("id={id}"),
    )
    .await;
    assert_eq!(removed.status, StatusCode::OK, "{}", removed.body);
    let left = list(&app, &cookie, "").await;
    assert!(left["hosts"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["name"] != "second"));
}

#[tokio::test]
async fn a_host_that_never_answers_does_not_hold_up_the_page() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    // Accepts connections and never says a word: the worst kind of unreachable.
    let silent = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = silent.local_addr().unwrap().port();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = silent.accept().await {
            open.push(socket);
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let files = write_certificates(dir.path(), "127.0.0.1");
    let form = format!(
        "name=silent&address={}&ca_file={}&cert_file={}&key_file={}",
        encode(&format!("tcp://127.0.0.1:{port}")),
        encode(&files.ca.display().to_string()),
        encode(&files.cert.display().to_string()),
        encode(&files.key.display().to_string()),
    );
    // Stored directly, so the add does not wait for the first check.
    app::containers::store::insert_host(
        &app.state.db,
        &app::containers::service::validate_new_host(serde_urlencoded::from_str(&form).unwrap())
            .unwrap(),
        chrono::Utc::now(),
    )
    .await
    .unwrap();
    app::containers::service::load_hosts(&app.state)
        .await
        .unwrap();
    app.state.fleet.refresh_all().await;
    let fleet = app.state.fleet.clone();
    let refreshing = tokio::spawn(async move { fleet.refresh_all().await });
    tokio::time::sleep(Duration::from_millis(100)).await;

    let page = get_as(&app.router, Some(&cookie), "/containers").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !refreshing.is_finished(),
        "the page was served while the silent host was still being asked"
    );
    assert!(page
        .body
        .contains(r#"data-host="local" data-host-state="reachable""#));
    assert!(page
        .body
        .contains(r#"data-host="silent" data-host-state="unreachable""#));
    let silent_row = &page.body[page.body.find(r#"data-host="silent""#).unwrap()..];
    assert!(
        silent_row[..600].contains("did not answer"),
        "{}",
        &silent_row[..600]
    );
    refreshing.abort();
    held.abort();
}
