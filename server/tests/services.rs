//! Services through the router: forms, secrets sealed at rest, compose import, adoption.

mod common;

use axum::http::StatusCode;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use common::{
    call_as, docker, error_of, get_as, post_form, test_app, TestApp, TestContainer, LOCAL_DOCKER,
};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

async fn create(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> common::Answer {
    call_as(
        &app.router,
        Some(cookie),
        "/api/services/create",
        &form(fields),
    )
    .await
}

async fn stored(app: &TestApp) -> (Vec<String>, Vec<String>) {
    let specs = sqlx::query_scalar("SELECT spec FROM services ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    let sealed = sqlx::query_scalar("SELECT sealed FROM service_secrets ORDER BY name")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    (specs, sealed)
}

#[tokio::test]
async fn a_service_is_created_and_edited_with_its_secret_sealed() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let created = create(
        &app,
        &cookie,
        &[
            ("form[name]", "open-webui"),
            ("form[image]", "ghcr.io/open-webui/open-webui:main"),
            ("form[env]", "OLLAMA_BASE_URL=http://ollama:11434"),
            ("form[secrets]", "WEBUI_SECRET_KEY=t0p-s3cret"),
            ("form[ports]", "3000:8080"),
            ("form[volumes]", "open-webui:/app/backend/data"),
        ],
    )
    .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let id = created.json().as_i64().unwrap();

    let (specs, sealed) = stored(&app).await;
    assert!(
        !specs[0].contains("t0p-s3cret"),
        "the definition holds no secret value"
    );
    assert_eq!(sealed.len(), 1);
    assert!(!sealed[0].contains("t0p-s3cret"), "the secret is sealed");
    assert_eq!(app.state.secrets.unseal(&sealed[0]).unwrap(), "t0p-s3cret");

    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/containers/services/{id}"),
    )
    .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("t0p-s3cret"),
        "no page shows a secret value"
    );
    assert!(
        page.body.contains("WEBUI_SECRET_KEY: ${WEBUI_SECRET_KEY}"),
        "the compose export"
    );
    let list = get_as(&app.router, Some(&cookie), "/containers/services").await;
    assert!(list.body.contains(r#"data-service="open-webui""#));

    // Editing with the secret's name alone keeps its value.
    let keep = form(&[
        ("id", &id.to_string()),
        ("form[name]", "open-webui"),
        ("form[image]", "ghcr.io/open-webui/open-webui:v0.5"),
        ("form[secrets]", "WEBUI_SECRET_KEY"),
    ]);
    let edited = call_as(&app.router, Some(&cookie), "/api/services/update", &keep).await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let (specs, sealed_after) = stored(&app).await;
    assert!(specs[0].contains("v0.5"));
    assert_eq!(sealed_after, sealed, "kept as it was");

    // A new secret needs its value; a dropped name is deleted.
    let missing = form(&[
        ("id", &id.to_string()),
        ("form[name]", "open-webui"),
        ("form[image]", "ghcr.io/open-webui/open-webui:v0.5"),
        ("form[secrets]", "WEBUI_SECRET_KEY\nNEW_TOKEN"),
    ]);
    let (kind, sentence) =
        error_of(&call_as(&app.router, Some(&cookie), "/api/services/update", &missing).await);
    assert_eq!(kind, "Invalid");
    assert!(
        sentence.contains("NEW_TOKEN has no stored value yet"),
        "{sentence}"
    );
    let dropped = form(&[
        ("id", &id.to_string()),
        ("form[name]", "open-webui"),
        ("form[image]", "ghcr.io/open-webui/open-webui:v0.5"),
    ]);
    assert_eq!(
        call_as(&app.router, Some(&cookie), "/api/services/update", &dropped)
            .await
            .status,
        StatusCode::OK
    );
    assert!(stored(&app).await.1.is_empty());

    let audited: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE area = 'services' ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(audited, ["create", "edit", "edit"]);
}

#[tokio::test]
async fn bad_forms_are_refused_and_store_nothing() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (
            &[("form[name]", "web;reboot"), ("form[image]", "nginx")],
            "Name: 'web;reboot' is not accepted",
        ),
        (
            &[
                ("form[name]", "web"),
                ("form[image]", "nginx:latest; rm -rf /"),
            ],
            "is not an image reference",
        ),
        (
            &[
                ("form[name]", "web"),
                ("form[image]", "nginx"),
                ("form[volumes]", "/srv/../../etc:/etc"),
            ],
            "Volumes, line 1:",
        ),
        (
            &[
                ("form[name]", "web"),
                ("form[image]", "nginx"),
                ("form[ports]", "8080:80\n99999:80"),
            ],
            "Ports, line 2:",
        ),
        (
            &[
                ("form[name]", "web"),
                ("form[image]", "nginx"),
                ("form[host]", "elsewhere"),
            ],
            "Host: there is no Docker host 'elsewhere'",
        ),
    ];
    for (fields, expected) in cases {
        let (kind, sentence) = error_of(&create(&app, &cookie, fields).await);
        assert_eq!(kind, "Invalid", "{sentence}");
        assert!(sentence.contains(expected), "{expected} / {sentence}");
    }
    assert!(stored(&app).await.0.is_empty());

    // Without JavaScript a created service opens its page.
    let answer = post_form(
        &app.router,
        Some(&cookie),
        "/api/services/create",
        &form(&[("form[name]", "web"), ("form[image]", "nginx:1.27")]),
        "text/html",
    )
    .await;
    assert!(answer.status.is_redirection(), "{}", answer.status);
    assert_eq!(answer.headers["location"], "/containers/services/1");
    let (kind, _) = error_of(
        &create(
            &app,
            &cookie,
            &[("form[name]", "web"), ("form[image]", "nginx")],
        )
        .await,
    );
    assert_eq!(kind, "Conflict");
}

#[tokio::test]
async fn a_compose_file_imports_all_or_nothing() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let seed = include_str!("../../app/tests/fixtures/ollama-open-webui.compose.yml");
    let import = |text: &str| form(&[("host", "local"), ("compose", text)]);
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/services/import",
        &import(seed),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        answer.json()["created"],
        serde_json::json!(["ollama", "open-webui"])
    );
    let (_, sealed) = stored(&app).await;
    assert_eq!(sealed.len(), 1, "WEBUI_SECRET_KEY is sealed");

    // Again: the names exist, so nothing more is created.
    let (kind, sentence) = error_of(
        &call_as(
            &app.router,
            Some(&cookie),
            "/api/services/import",
            &import(seed),
        )
        .await,
    );
    assert_eq!(kind, "Conflict");
    assert!(sentence.contains("'ollama' exists already"), "{sentence}");
    let bad = "services:\n  cache:\n    image: redis:7\n  web:\n    image: nginx\n    ports: [\"http:80\"]\n";
    let (kind, sentence) = error_of(
        &call_as(
            &app.router,
            Some(&cookie),
            "/api/services/import",
            &import(bad),
        )
        .await,
    );
    assert_eq!(kind, "Invalid");
    assert!(
        sentence.starts_with("services.web.ports[0]: 'http:80'"),
        "{sentence}"
    );
    assert_eq!(
        stored(&app).await.0.len(),
        2,
        "the good service of a bad file was not kept"
    );
}

#[tokio::test]
async fn a_running_container_is_adopted_as_a_service() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let body = ContainerCreateBody {
        env: Some(vec!["API_TOKEN=abc123".into(), "MODE=demo".into()]),
        host_config: Some(HostConfig {
            port_bindings: Some(
                [(
                    "80/tcp".to_owned(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some("0".into()),
                    }]),
                )]
                .into(),
            ),
            restart_policy: Some(bollard::models::RestartPolicy {
                name: Some(bollard::models::RestartPolicyNameEnum::UNLESS_STOPPED),
                maximum_retry_count: None,
            }),
            ..Default::default()
        }),
        ..Default::default()
    };
    let container = TestContainer::start_with(&docker(), "adopt", body).await;
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/services/adopt",
        &form(&[("host", "local"), ("id", &container.name)]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = answer.json().as_i64().unwrap();
    let view = call_as(
        &app.router,
        Some(&cookie),
        "/api/services/get",
        &format!("id={id}"),
    )
    .await
    .json();
    let spec = &view["spec"];
    assert_eq!(spec["name"], container.name.as_str());
    assert_eq!(spec["image"], "caretaker-test/busybox");
    assert_eq!(spec["tag"], "1");
    assert_eq!(
        spec["command"],
        serde_json::json!(["/bin/busybox", "sleep", "600"])
    );
    assert_eq!(spec["restart"], "unless-stopped");
    assert_eq!(spec["secret_names"], serde_json::json!(["API_TOKEN"]));
    assert_eq!(spec["env"], serde_json::json!([["MODE", "demo"]]));
    assert!(!view.to_string().contains("abc123"));
    assert_eq!(spec["labels"], serde_json::json!([["caretaker.test", "1"]]));
}
