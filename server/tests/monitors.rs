//! Monitors on real targets: a local HTTP server that fails on demand, real TCP ports, a
//! real Docker container, the fake Ollama server (Ollama's documented /api/version), a
//! job run by the jobs area; incidents after N failures and M successes, one notice per
//! change to a local webhook, maintenance windows, refused targets, rollup uptime, and
//! a status page that shows only what was published.

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use axum::Router;
use chrono::Utc;
use common::{call_as, docker, error_of, get_as, test_app, TestApp, TestContainer, LOCAL_DOCKER};

use app::audit::service::Actor;
use app::core::scheduler::ManualClock;
use app::monitors::service;
use app::monitors::{ChannelForm, MaintenanceForm, MonitorForm, MonitorState};

fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "test".into(),
        address: "127.0.0.1".into(),
    }
}

/// The watched site: `/flip` answers 200 "hello" or 500 as `failing` says; `/to-metadata`
/// redirects to the cloud metadata address; `/hook` records what it is sent.
#[derive(Clone, Default)]
struct Site {
    failing: Arc<AtomicBool>,
    hooks: Arc<Mutex<Vec<serde_json::Value>>>,
}

impl Site {
    async fn start() -> (Self, String) {
        let site = Site::default();
        let router = Router::new()
            .route("/flip", get(flip))
            .route(
                "/to-metadata",
                get(|| async {
                    (
                        StatusCode::FOUND,
                        [(header::LOCATION, "http://169.254.169.254/latest/meta-data/")],
                    )
                }),
            )
            .route(
                "/to-flip",
                get(|| async { (StatusCode::FOUND, [(header::LOCATION, "/flip")]) }),
            )
            .route("/hook", post(hook))
            .with_state(site.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let address = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
        (site, format!("http://{address}"))
    }

    fn fail(&self, failing: bool) {
        self.failing.store(failing, Ordering::SeqCst);
    }

    fn hooks(&self) -> Vec<serde_json::Value> {
        self.hooks.lock().unwrap().clone()
    }

    /// Waits until `count` notices arrived (they are sent after the results are stored).
    async fn wait_for_hooks(&self, count: usize) -> Vec<serde_json::Value> {
        for _ in 0..100 {
            if self.hooks().len() >= count {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        self.hooks()
    }
}

async fn flip(State(site): State<Site>) -> impl IntoResponse {
    if site.failing.load(Ordering::SeqCst) {
        (StatusCode::INTERNAL_SERVER_ERROR, "broken").into_response()
    } else {
        (StatusCode::OK, "hello from the site").into_response()
    }
}

async fn hook(State(site): State<Site>, body: String) -> StatusCode {
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::String(body));
    site.hooks.lock().unwrap().push(json);
    StatusCode::NO_CONTENT
}

fn http_form(name: &str, url: &str) -> MonitorForm {
    MonitorForm {
        name: name.to_owned(),
        kind: "http".to_owned(),
        target: url.to_owned(),
        ..MonitorForm::default()
    }
}

async fn create(app: &TestApp, form: MonitorForm) -> i64 {
    service::create(&app.state, &actor(), &form).await.unwrap()
}

async fn check(app: &TestApp, id: i64) -> app::monitors::probe::Outcome {
    service::check_now(&app.state, id).await.unwrap()
}

async fn state_of(app: &TestApp, id: i64) -> MonitorState {
    service::view(&app.state, id).await.unwrap().summary.state
}

async fn add_webhook(app: &TestApp, url: &str) {
    service::add_channel(
        &app.state,
        &actor(),
        &ChannelForm {
            name: "hook".to_owned(),
            kind: "webhook".to_owned(),
            url: format!("{url}/hook"),
            ..ChannelForm::default()
        },
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn a_site_goes_down_after_n_failures_notifies_once_and_recovers_after_m_successes() {
    let app = test_app(LOCAL_DOCKER).await;
    let (site, url) = Site::start().await;
    add_webhook(&app, &url).await;
    let id = create(
        &app,
        MonitorForm {
            down_after: "3".to_owned(),
            up_after: "2".to_owned(),
            keyword: "hello".to_owned(),
            ..http_form("site", &format!("{url}/flip"))
        },
    )
    .await;
    assert_eq!(state_of(&app, id).await, MonitorState::Unknown);
    let first = check(&app, id).await;
    assert!(first.ok, "{first:?}");
    assert!(first.message.contains("200"), "{}", first.message);
    assert_eq!(state_of(&app, id).await, MonitorState::Up);

    site.fail(true);
    for _ in 0..2 {
        let outcome = check(&app, id).await;
        assert!(!outcome.ok);
        assert!(outcome.message.contains("500"), "{}", outcome.message);
        assert_eq!(
            state_of(&app, id).await,
            MonitorState::Up,
            "two failures are not down yet"
        );
    }
    check(&app, id).await;
    assert_eq!(state_of(&app, id).await, MonitorState::Down);
    // More failures: still one incident, still one notice.
    check(&app, id).await;
    check(&app, id).await;
    let view = service::view(&app.state, id).await.unwrap();
    assert_eq!(view.incidents.len(), 1);
    assert!(view.incidents[0].ended_at.is_none());
    assert!(
        view.incidents[0].cause.contains("500"),
        "{}",
        view.incidents[0].cause
    );
    let hooks = site.wait_for_hooks(1).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(site.hooks().len(), 1, "one notice per change: {hooks:?}");
    let down = hooks[0].to_string();
    assert!(down.contains("site") && down.contains("down"), "{down}");

    site.fail(false);
    check(&app, id).await;
    assert_eq!(
        state_of(&app, id).await,
        MonitorState::Down,
        "one success is not up yet"
    );
    check(&app, id).await;
    assert_eq!(state_of(&app, id).await, MonitorState::Up);
    let view = service::view(&app.state, id).await.unwrap();
    assert!(
        view.incidents[0].ended_at.is_some(),
        "the incident is closed"
    );
    let hooks = site.wait_for_hooks(2).await;
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    let up = hooks[1].to_string();
    assert!(up.contains("site") && up.contains("up"), "{up}");
    check(&app, id).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(site.hooks().len(), 2, "nothing more while it stays up");
}

#[tokio::test]
async fn a_maintenance_window_silences_the_notices() {
    let app = test_app(LOCAL_DOCKER).await;
    let (site, url) = Site::start().await;
    add_webhook(&app, &url).await;
    let id = create(
        &app,
        MonitorForm {
            down_after: "1".to_owned(),
            up_after: "1".to_owned(),
            ..http_form("site", &format!("{url}/flip"))
        },
    )
    .await;
    let now = Utc::now();
    let format = |at: chrono::DateTime<Utc>| at.format("%Y-%m-%dT%H:%M").to_string();
    service::add_maintenance(
        &app.state,
        &actor(),
        &MaintenanceForm {
            monitor_id: id.to_string(),
            starts_at: format(now - chrono::Duration::minutes(5)),
            ends_at: format(now + chrono::Duration::hours(1)),
            zone: "UTC".to_owned(),
            note: "router swap".to_owned(),
        },
    )
    .await
    .unwrap();
    check(&app, id).await;
    site.fail(true);
    check(&app, id).await;
    assert_eq!(state_of(&app, id).await, MonitorState::Down);
    site.fail(false);
    check(&app, id).await;
    assert_eq!(state_of(&app, id).await, MonitorState::Up);
    let view = service::view(&app.state, id).await.unwrap();
    assert!(
        view.incidents[0].silenced,
        "the incident is marked as silenced"
    );
    // A control monitor outside the window notifies: the channel works.
    let control = create(
        &app,
        MonitorForm {
            down_after: "1".to_owned(),
            up_after: "1".to_owned(),
            ..http_form("control", &format!("{url}/flip"))
        },
    )
    .await;
    check(&app, control).await;
    site.fail(true);
    check(&app, control).await;
    let hooks = site.wait_for_hooks(1).await;
    assert_eq!(hooks.len(), 1, "{hooks:?}");
    assert!(hooks[0].to_string().contains("control"), "{}", hooks[0]);
    // Its outage was announced, so its recovery is too, even inside a window opened since.
    service::add_maintenance(
        &app.state,
        &actor(),
        &MaintenanceForm {
            monitor_id: control.to_string(),
            starts_at: format(now - chrono::Duration::minutes(1)),
            ends_at: format(now + chrono::Duration::hours(1)),
            zone: "UTC".to_owned(),
            note: "late window".to_owned(),
        },
    )
    .await
    .unwrap();
    site.fail(false);
    check(&app, control).await;
    let hooks = site.wait_for_hooks(2).await;
    assert_eq!(hooks.len(), 2, "{hooks:?}");
    assert!(hooks[1].to_string().contains("control"), "{}", hooks[1]);
}

#[tokio::test]
async fn file_urls_metadata_addresses_and_redirects_to_them_are_refused() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let (_site, url) = Site::start().await;
    let create_form = |kind: &str, target: &str| {
        serde_urlencoded::to_string([
            ("form[name]", "x"),
            ("form[kind]", kind),
            ("form[target]", target),
            ("form[interval_secs]", "60"),
            ("form[timeout_secs]", "10"),
            ("form[down_after]", "3"),
            ("form[up_after]", "2"),
            ("form[expected_status]", "200-299"),
        ])
        .unwrap()
    };
    for (kind, target, expected) in [
        ("http", "file:///etc/passwd", "http and https URLs only"),
        (
            "http",
            "http://169.254.169.254/latest/meta-data/",
            "cloud metadata address",
        ),
        ("http", "http://[fd00:ec2::254]/", "cloud metadata address"),
        (
            "ollama",
            "file:///var/run/docker.sock",
            "http and https URLs only",
        ),
        ("tcp", "169.254.169.254:80", "cloud metadata address"),
        ("tls", "169.254.10.1:443", "link-local"),
    ] {
        let answer = call_as(
            &app.router,
            Some(&cookie),
            "/api/monitors/create",
            &create_form(kind, target),
        )
        .await;
        let (kind_of_error, sentence) = error_of(&answer);
        assert_eq!(kind_of_error, "Invalid", "{target}");
        assert!(sentence.contains(expected), "{target}: {sentence}");
    }
    // A redirect to the metadata address is refused when it happens.
    let id = create(&app, http_form("redirect", &format!("{url}/to-metadata"))).await;
    let outcome = check(&app, id).await;
    assert!(!outcome.ok);
    assert!(outcome.message.contains("metadata"), "{}", outcome.message);
    // An ordinary redirect is followed.
    let id = create(&app, http_form("redirect-ok", &format!("{url}/to-flip"))).await;
    assert!(check(&app, id).await.ok);
    // A viewer cannot create monitors, and nobody can without an Origin check.
    let anonymous = call_as(
        &app.router,
        None,
        "/api/monitors/create",
        &create_form("http", &url),
    )
    .await;
    assert_eq!(anonymous.status, 401);
}

/// A server that records the `X-Api-Key` header of every request it is sent, and answers 200.
async fn key_recorder() -> (Arc<Mutex<Vec<String>>>, String) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let router =
        Router::new()
            .route(
                "/",
                get(
                    |State(seen): State<Arc<Mutex<Vec<String>>>>,
                     headers: axum::http::HeaderMap| async move {
                        let key = headers
                            .get("x-api-key")
                            .map(|v| v.to_str().unwrap_or("?").to_owned());
                        seen.lock().unwrap().push(key.unwrap_or_default());
                        "fine"
                    },
                ),
            )
            .with_state(seen.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (seen, format!("http://{address}"))
}

/// A server whose every answer redirects to `to`.
async fn redirector(to: String) -> String {
    let router = Router::new().fallback(move || {
        let to = to.clone();
        async move { (StatusCode::FOUND, [(header::LOCATION, to)]) }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    format!("http://{address}")
}

#[tokio::test]
async fn secret_headers_never_follow_a_redirect_to_another_server_and_urls_hold_no_password() {
    let app = test_app(LOCAL_DOCKER).await;
    let (seen, other) = key_recorder().await;
    let redirecting = redirector(format!("{other}/")).await;
    let with_key = |name: &str| MonitorForm {
        headers: "X-Api-Key: s3cret-key".to_owned(),
        follow_redirects: Some("on".to_owned()),
        ..http_form(name, &redirecting)
    };
    // With a secret header the redirect to another server is not followed, and says why.
    let id = create(&app, with_key("keyed")).await;
    let outcome = check(&app, id).await;
    assert!(!outcome.ok);
    assert!(
        outcome.message.contains("another server"),
        "{}",
        outcome.message
    );
    assert!(
        seen.lock().unwrap().is_empty(),
        "the other server was asked"
    );
    // Without one it is followed, and the other server is reached without any key.
    let plain = MonitorForm {
        follow_redirects: Some("on".to_owned()),
        ..http_form("plain", &redirecting)
    };
    let id = create(&app, plain).await;
    assert!(check(&app, id).await.ok);
    assert_eq!(*seen.lock().unwrap(), vec![String::new()]);
    // Straight at the server, the key is sent.
    let direct = MonitorForm {
        headers: "X-Api-Key: s3cret-key".to_owned(),
        ..http_form("direct", &other)
    };
    let id = create(&app, direct).await;
    assert!(check(&app, id).await.ok);
    assert_eq!(seen.lock().unwrap().last().unwrap(), "s3cret-key");
    // A password in the URL is refused at the form, with what to do instead.
    let error = service::create(
        &app.state,
        &actor(),
        &http_form("pw", "https://admin:hunter2@example.org/"),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("Authorization header"), "{error}");
}

#[tokio::test]
async fn the_status_page_shows_only_what_was_published() {
    let app = test_app(LOCAL_DOCKER).await;
    let (site, url) = Site::start().await;
    let published = create(
        &app,
        MonitorForm {
            down_after: "1".to_owned(),
            published: Some("on".to_owned()),
            public_name: "Website".to_owned(),
            headers: "Authorization: Bearer token-that-is-secret".to_owned(),
            ..http_form(
                "internal-web-check",
                &format!("{url}/flip?key=secret-path-123"),
            )
        },
    )
    .await;
    let hidden = create(&app, http_form("internal-db", &format!("{url}/flip"))).await;
    check(&app, published).await;
    site.fail(true);
    let failed = check(&app, published).await;
    check(&app, hidden).await;
    assert!(failed.message.contains("500"));

    let page = get_as(&app.router, None, "/status").await;
    assert_eq!(page.status, 200, "no login needed");
    assert!(page.body.contains("Website"), "{}", page.body);
    assert!(page.body.contains("1 service is down"));
    for leak in [
        "internal-web-check",
        "internal-db",
        "secret-path-123",
        "127.0.0.1",
        "token-that-is-secret",
        "500 Internal Server Error",
        "Monitors",
    ] {
        assert!(!page.body.contains(leak), "the status page shows {leak}");
    }

    let json = get_as(&app.router, None, "/status.json").await;
    assert_eq!(json.status, 200);
    let json = json.json();
    let services = json["services"].as_array().unwrap();
    assert_eq!(services.len(), 1);
    let mut keys: Vec<&str> = services[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "certificate_days_left",
            "down_since",
            "last_backup",
            "name",
            "state",
            "uptime"
        ]
    );
    assert_eq!(services[0]["name"], "Website");
    assert_eq!(services[0]["state"], "down");
    let text = json.to_string();
    assert!(
        !text.contains("secret-path-123") && !text.contains("internal"),
        "{text}"
    );

    let badge = get_as(&app.router, None, "/status/badge/website.svg").await;
    assert_eq!(badge.status, 200);
    assert!(
        badge.body.contains("Website") && badge.body.contains("down"),
        "{}",
        badge.body
    );
    let unpublished = get_as(&app.router, None, "/status/badge/internal-db.svg").await;
    assert_eq!(unpublished.status, 404);
    // The admin pages stay closed to visitors.
    assert_ne!(
        get_as(&app.router, None, "/api/monitors/overview")
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn uptime_is_read_from_the_hourly_and_daily_rollups() {
    let app = test_app(LOCAL_DOCKER).await;
    let (site, url) = Site::start().await;
    let clock = Arc::new(ManualClock::new(Utc::now() - chrono::Duration::days(40)));
    app.state.scheduler.use_clock(clock.clone());
    let id = create(&app, http_form("site", &format!("{url}/flip"))).await;
    // Forty days ago: two failures, two good checks.
    site.fail(true);
    check(&app, id).await;
    check(&app, id).await;
    site.fail(false);
    check(&app, id).await;
    check(&app, id).await;
    // Now: three good checks and one failure.
    clock.set(Utc::now());
    for failing in [false, false, true, false] {
        site.fail(failing);
        check(&app, id).await;
    }
    let uptime = service::view(&app.state, id).await.unwrap().summary.uptime;
    assert_eq!(uptime.day, Some(0.75));
    assert_eq!(uptime.week, Some(0.75));
    assert_eq!(uptime.month, Some(0.75));
    assert_eq!(uptime.quarter, Some(5.0 / 8.0));

    // Retention runs on the scheduler: raw results older than two days go, the daily
    // rollups keep the quarter's uptime.
    let raw = |app: &TestApp| {
        let db = app.state.db.clone();
        async move {
            sqlx::query_scalar::<_, i64>(
                "SELECT COUNT(*) FROM monitor_results WHERE monitor_id = ?",
            )
            .bind(id)
            .fetch_one(&db)
            .await
            .unwrap()
        }
    };
    assert_eq!(raw(&app).await, 8);
    app::monitors::runner::register_retention(&app.state);
    let next = app.state.scheduler.tick().await;
    assert_eq!(raw(&app).await, 4, "the forty-day-old results are pruned");
    assert!(
        next.is_some_and(|at| at > app.state.scheduler.now()),
        "pruned again later"
    );
    let uptime = service::view(&app.state, id).await.unwrap().summary.uptime;
    assert_eq!(uptime.quarter, Some(5.0 / 8.0));
    let page = service::view(&app.state, id).await.unwrap();
    assert!(
        page.response_chart.contains("<title"),
        "an accessible chart"
    );
    assert!(page.response_chart.contains("Response time of site"));
    assert!(page.uptime_chart.contains("Uptime of site per day"));
}

#[tokio::test]
async fn tcp_container_and_ollama_monitors_check_the_real_things() {
    let app = test_app(LOCAL_DOCKER).await;
    // TCP: a listening port, then a closed one.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let tcp = create(
        &app,
        MonitorForm {
            name: "port".to_owned(),
            kind: "tcp".to_owned(),
            target: format!("127.0.0.1:{port}"),
            ..MonitorForm::default()
        },
    )
    .await;
    assert!(check(&app, tcp).await.ok);
    drop(listener);
    let closed = check(&app, tcp).await;
    assert!(!closed.ok);
    assert!(closed.message.contains("refused"), "{}", closed.message);

    // A container: running, then stopped.
    let docker = docker();
    let container = TestContainer::start(&docker, "monitored", false).await;
    let watched = create(
        &app,
        MonitorForm {
            name: "container".to_owned(),
            kind: "container".to_owned(),
            target: container.name.clone(),
            ..MonitorForm::default()
        },
    )
    .await;
    let running = check(&app, watched).await;
    assert!(running.ok, "{running:?}");
    docker
        .stop_container(
            &container.name,
            None::<bollard::query_parameters::StopContainerOptions>,
        )
        .await
        .unwrap();
    let stopped = check(&app, watched).await;
    assert!(!stopped.ok);
    assert!(stopped.message.contains("exited"), "{}", stopped.message);

    // Ollama: the fake server answers /api/version like Ollama does.
    let ollama = fake_ollama::FakeOllama::start(fake_ollama::Options::default())
        .await
        .unwrap();
    let id = create(
        &app,
        MonitorForm {
            name: "ollama".to_owned(),
            kind: "ollama".to_owned(),
            target: ollama.url(),
            ..MonitorForm::default()
        },
    )
    .await;
    let outcome = check(&app, id).await;
    assert!(outcome.ok, "{outcome:?}");
    assert!(
        outcome.message.starts_with("Ollama "),
        "{}",
        outcome.message
    );
    drop(ollama);
}

#[tokio::test]
async fn a_job_heartbeat_is_down_until_the_job_succeeds() {
    let app = test_app(LOCAL_DOCKER).await;
    let (_site, url) = Site::start().await;
    let job_id = app::jobs::service::create(
        &app.state,
        &actor(),
        &app::jobs::JobForm {
            name: "nightly-call".to_owned(),
            kind: "http".to_owned(),
            schedule_kind: "manual".to_owned(),
            method: "GET".to_owned(),
            url: format!("{url}/flip"),
            ..app::jobs::JobForm::default()
        },
    )
    .await
    .unwrap();
    let id = create(
        &app,
        MonitorForm {
            name: "heartbeat".to_owned(),
            kind: "job_heartbeat".to_owned(),
            job_id: job_id.to_string(),
            within_minutes: "60".to_owned(),
            down_after: "1".to_owned(),
            up_after: "1".to_owned(),
            ..MonitorForm::default()
        },
    )
    .await;
    let before = check(&app, id).await;
    assert!(!before.ok);
    assert!(
        before.message.contains("has not succeeded yet"),
        "{}",
        before.message
    );
    app::jobs::service::run_now(&app.state, &actor(), job_id)
        .await
        .unwrap();
    let mut after = check(&app, id).await;
    for _ in 0..50 {
        if after.ok {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        after = check(&app, id).await;
    }
    assert!(after.ok, "{after:?}");
    assert!(after.message.contains("nightly-call"), "{}", after.message);
    assert_eq!(state_of(&app, id).await, MonitorState::Up);
}
