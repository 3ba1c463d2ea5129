//! Scheduled jobs: the schedule driven by a manual clock, HTTP jobs against a local
//! server, commands in containers on the real Docker engine, time limits, retries,
//! overlap, runs missed while caretaker was down, and startup and shutdown jobs in the
//! real binary.

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::any;
use axum::Router;
use chrono::{TimeZone, Utc};
use common::{call_as, docker, error_of, get_as, test_app, TestApp, TestContainer, LOCAL_DOCKER};

use app::audit::service::Actor;
use app::core::scheduler::ManualClock;
use app::jobs::JobForm;

/// A local app the jobs call: it records every request, and its paths behave as named:
/// `/ok`, `/slow` (answers after 3 s), `/flaky` (500 twice, then 200), `/missing` (404).
#[derive(Clone, Default)]
struct Calls(Arc<Mutex<Vec<Call>>>);

/// Method, path, body and Authorization header of one request.
type Call = (String, String, String, String);

impl Calls {
    fn to(&self, path: &str) -> Vec<(String, String)> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, seen, ..)| seen == path)
            .map(|(method, _, body, _)| (method.clone(), body.clone()))
            .collect()
    }

    /// The Authorization headers the calls to `path` carried.
    fn authorizations_to(&self, path: &str) -> Vec<String> {
        self.0
            .lock()
            .unwrap()
            .iter()
            .filter(|(_, seen, ..)| seen == path)
            .map(|(.., authorization)| authorization.clone())
            .collect()
    }
}

async fn answer(
    State(calls): State<Calls>,
    Path(path): Path<String>,
    method: axum::http::Method,
    headers: axum::http::HeaderMap,
    body: String,
) -> StatusCode {
    let path = format!("/{path}");
    let earlier = calls.to(&path).len();
    let authorization = headers
        .get("authorization")
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    calls
        .0
        .lock()
        .unwrap()
        .push((method.to_string(), path.clone(), body, authorization));
    match path.as_str() {
        "/slow" => {
            tokio::time::sleep(Duration::from_secs(3)).await;
            StatusCode::OK
        }
        "/flaky" if earlier < 2 => StatusCode::INTERNAL_SERVER_ERROR,
        "/missing" => StatusCode::NOT_FOUND,
        _ => StatusCode::OK,
    }
}

async fn local_app() -> (String, Calls) {
    let calls = Calls::default();
    let router = Router::new()
        .route("/{*path}", any(answer))
        .with_state(calls.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await.unwrap() });
    (format!("http://{address}"), calls)
}

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form_body(form: &JobForm) -> String {
    let value = serde_json::to_value(form).unwrap();
    value
        .as_object()
        .unwrap()
        .iter()
        .map(|(key, value)| format!("form%5B{key}%5D={}", encode(value.as_str().unwrap())))
        .collect::<Vec<_>>()
        .join("&")
}

fn http_job(name: &str, url: &str) -> JobForm {
    JobForm {
        name: name.into(),
        url: url.into(),
        body: "{\"source\":\"caretaker\"}".into(),
        ..JobForm::default()
    }
}

async fn create(app: &TestApp, cookie: &str, form: &JobForm) -> i64 {
    let answer = call_as(
        &app.router,
        Some(cookie),
        "/api/jobs/create",
        &form_body(form),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json().as_i64().unwrap()
}

async fn view(app: &TestApp, cookie: &str, id: i64) -> serde_json::Value {
    let answer = call_as(
        &app.router,
        Some(cookie),
        "/api/jobs/get",
        &format!("id={id}"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

/// Waits until the job has `count` finished runs; answers them, newest first.
async fn finished_runs(
    app: &TestApp,
    cookie: &str,
    id: i64,
    count: usize,
) -> Vec<serde_json::Value> {
    for _ in 0..300 {
        let answer = call_as(
            &app.router,
            Some(cookie),
            "/api/jobs/runs",
            &format!("id={id}"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        let runs: Vec<serde_json::Value> = answer.json()["runs"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|run| run["status"] != "running")
            .cloned()
            .collect();
        if runs.len() >= count {
            return runs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("job {id} did not reach {count} finished runs");
}

fn manual_clock(app: &TestApp, at: chrono::DateTime<Utc>) -> Arc<ManualClock> {
    let clock = Arc::new(ManualClock::new(at));
    app.state.scheduler.use_clock(clock.clone());
    clock
}

#[tokio::test]
async fn an_hourly_http_job_runs_at_its_minute_and_plans_the_next() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let clock = manual_clock(&app, Utc.with_ymd_and_hms(2026, 11, 22, 10, 20, 0).unwrap());
    app::jobs::service::register(&app.state);
    let id = create(
        &app,
        &cookie,
        &http_job("update-forecast", &format!("{base}/update-forecast")),
    )
    .await;

    let job = view(&app, &cookie, id).await;
    assert_eq!(job["summary"]["schedule"], "every hour at :15");
    let upcoming: Vec<&str> = job["upcoming"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t.as_str().unwrap())
        .collect();
    assert_eq!(upcoming[0], "2026-11-22T11:15:00Z");
    assert_eq!(upcoming[4], "2026-11-22T15:15:00Z");

    // Before 11:15 nothing runs; the scheduler says when to look again.
    assert_eq!(
        app.state.scheduler.tick().await,
        Some(Utc.with_ymd_and_hms(2026, 11, 22, 11, 15, 0).unwrap())
    );
    assert!(calls.to("/update-forecast").is_empty());

    clock.set(Utc.with_ymd_and_hms(2026, 11, 22, 11, 15, 0).unwrap());
    assert_eq!(
        app.state.scheduler.tick().await,
        Some(Utc.with_ymd_and_hms(2026, 11, 22, 12, 15, 0).unwrap())
    );
    let runs = finished_runs(&app, &cookie, id, 1).await;
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["trigger"], "schedule");
    assert_eq!(runs[0]["http_status"], 200);
    assert_eq!(runs[0]["scheduled_for"], "2026-11-22T11:15:00Z");
    assert_eq!(
        calls.to("/update-forecast"),
        vec![("POST".to_owned(), "{\"source\":\"caretaker\"}".to_owned())]
    );
    // A second look at the same minute does not run it again.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 22, 11, 16, 0).unwrap());
    app.state.scheduler.tick().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(calls.to("/update-forecast").len(), 1);

    // The page shows the job, its history and its chart.
    let page = get_as(&app.router, Some(&cookie), &format!("/jobs/{id}")).await;
    assert!(page.body.contains("every hour at :15"));
    assert!(
        page.body
            .contains("Run time of the last 1 runs of update-forecast: median"),
        "the run-time chart is drawn with its description"
    );
    assert!(page.body.contains(r#"data-status="succeeded""#));
}

#[tokio::test]
async fn time_limits_retries_and_expected_statuses_decide_the_result() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;

    let flaky = create(
        &app,
        &cookie,
        &JobForm {
            retries: "2".into(),
            retry_delay: "1s".into(),
            schedule_kind: "manual".into(),
            ..http_job("flaky", &format!("{base}/flaky"))
        },
    )
    .await;
    let slow = create(
        &app,
        &cookie,
        &JobForm {
            timeout: "1s".into(),
            schedule_kind: "manual".into(),
            ..http_job("slow", &format!("{base}/slow"))
        },
    )
    .await;
    let missing = create(
        &app,
        &cookie,
        &JobForm {
            schedule_kind: "manual".into(),
            ..http_job("missing", &format!("{base}/missing"))
        },
    )
    .await;
    let expects_404 = create(
        &app,
        &cookie,
        &JobForm {
            expected_status: "404".into(),
            schedule_kind: "manual".into(),
            ..http_job("expects-404", &format!("{base}/missing"))
        },
    )
    .await;
    for id in [flaky, slow, missing, expects_404] {
        let answer = call_as(
            &app.router,
            Some(&cookie),
            "/api/jobs/run",
            &format!("id={id}"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    let run = &finished_runs(&app, &cookie, flaky, 1).await[0];
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["attempts"], 3);
    assert!(run["message"].as_str().unwrap().contains("attempt 3 of 3"));
    assert_eq!(calls.to("/flaky").len(), 3);

    let run = &finished_runs(&app, &cookie, slow, 1).await[0];
    assert_eq!(run["status"], "timed_out", "{run}");
    assert!(run["message"]
        .as_str()
        .unwrap()
        .contains("time limit of 1 s"));

    let run = &finished_runs(&app, &cookie, missing, 1).await[0];
    assert_eq!(run["status"], "failed");
    assert_eq!(run["message"], "Answered 404, expected a 2xx status.");
    let run = &finished_runs(&app, &cookie, expects_404, 1).await[0];
    assert_eq!(run["status"], "succeeded");

    // A failing job is flagged on the list.
    let list = call_as(&app.router, Some(&cookie), "/api/jobs/list", "")
        .await
        .json();
    let health: Vec<(String, String)> = list[0]
        .as_array()
        .unwrap()
        .iter()
        .map(|job| {
            (
                job["name"].as_str().unwrap().to_owned(),
                job["health"].to_string(),
            )
        })
        .collect();
    assert!(
        health
            .iter()
            .any(|(name, health)| name == "missing" && health.contains("Failing")),
        "{health:?}"
    );
    assert!(
        health
            .iter()
            .any(|(name, health)| name == "flaky" && health == "\"Fine\""),
        "{health:?}"
    );
}

#[tokio::test]
async fn a_run_still_going_makes_the_next_skip_or_wait_as_chosen() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let skip = create(
        &app,
        &cookie,
        &JobForm {
            schedule_kind: "manual".into(),
            ..http_job("slow-skip", &format!("{base}/slow"))
        },
    )
    .await;
    let queue = create(
        &app,
        &cookie,
        &JobForm {
            schedule_kind: "manual".into(),
            overlap: "queue".into(),
            ..http_job("slow-queue", &format!("{base}/slow"))
        },
    )
    .await;
    for id in [skip, skip, queue, queue] {
        call_as(
            &app.router,
            Some(&cookie),
            "/api/jobs/run",
            &format!("id={id}"),
        )
        .await;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let runs = finished_runs(&app, &cookie, skip, 2).await;
    let statuses: Vec<&str> = runs
        .iter()
        .map(|run| run["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        vec!["skipped", "succeeded"],
        "newest first: the second click, while the first ran, was skipped at once"
    );
    assert!(runs[0]["message"]
        .as_str()
        .unwrap()
        .contains("previous run was still going"));
    let runs = finished_runs(&app, &cookie, queue, 2).await;
    assert!(
        runs.iter().all(|run| run["status"] == "succeeded"),
        "{runs:?}"
    );
    // Queued: the second started when the first had finished (newest first).
    let time = |run: &serde_json::Value, field: &str| {
        chrono::DateTime::parse_from_rfc3339(run[field].as_str().unwrap()).unwrap()
    };
    assert!(time(&runs[0], "started_at") >= time(&runs[1], "finished_at"));
    assert_eq!(calls.to("/slow").len(), 3);
}

#[tokio::test]
async fn a_command_runs_in_a_container_as_an_argument_vector() {
    let docker = docker();
    let container = TestContainer::start(&docker, "jobs-exec", false).await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let job = |name: &str, command: &str, container: &str| JobForm {
        name: name.into(),
        kind: "exec".into(),
        schedule_kind: "manual".into(),
        container: container.into(),
        command: command.into(),
        ..JobForm::default()
    };
    let ok = create(
        &app,
        &cookie,
        &job(
            "echo",
            "/bin/busybox echo hello from the job",
            &container.name,
        ),
    )
    .await;
    let failing = create(
        &app,
        &cookie,
        &job(
            "exit-3",
            "/bin/busybox sh -c 'echo partial; exit 3'",
            &container.name,
        ),
    )
    .await;
    // No shell: a semicolon is just part of an argument.
    let literal = create(
        &app,
        &cookie,
        &job("literal", "/bin/busybox echo a;b $HOME", &container.name),
    )
    .await;
    let gone = create(
        &app,
        &cookie,
        &job("gone", "/bin/busybox true", "no-such-container-here"),
    )
    .await;
    for id in [ok, failing, literal, gone] {
        call_as(
            &app.router,
            Some(&cookie),
            "/api/jobs/run",
            &format!("id={id}"),
        )
        .await;
    }
    let run = &finished_runs(&app, &cookie, ok, 1).await[0];
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["exit_code"], 0);
    assert!(run["output"]
        .as_str()
        .unwrap()
        .contains("hello from the job"));
    let run = &finished_runs(&app, &cookie, failing, 1).await[0];
    assert_eq!(run["status"], "failed");
    assert_eq!(run["exit_code"], 3);
    assert_eq!(run["message"], "Exited with code 3.");
    assert!(run["output"].as_str().unwrap().contains("partial"));
    let run = &finished_runs(&app, &cookie, literal, 1).await[0];
    assert_eq!(run["output"].as_str().unwrap().trim(), "a;b $HOME");
    let run = &finished_runs(&app, &cookie, gone, 1).await[0];
    assert_eq!(run["status"], "failed");
    assert!(
        run["message"]
            .as_str()
            .unwrap()
            .contains("no container named no-such-container-here"),
        "{run}"
    );
}

#[tokio::test]
async fn runs_missed_while_down_follow_the_jobs_policy() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let clock = manual_clock(&app, Utc.with_ymd_and_hms(2026, 11, 22, 10, 20, 0).unwrap());
    let once = create(
        &app,
        &cookie,
        &http_job("catch-up-once", &format!("{base}/once")),
    )
    .await;
    let skip = create(
        &app,
        &cookie,
        &JobForm {
            catch_up: "skip".into(),
            ..http_job("catch-up-skip", &format!("{base}/skip"))
        },
    )
    .await;

    // caretaker was down from before 11:15 until 14:40: four hourly runs were missed.
    clock.set(Utc.with_ymd_and_hms(2026, 11, 22, 14, 40, 0).unwrap());
    app::jobs::service::catch_up(&app.state).await.unwrap();

    let runs = finished_runs(&app, &cookie, once, 1).await;
    assert_eq!(runs.len(), 1, "one run for all the missed ones");
    assert_eq!(runs[0]["trigger"], "catch-up");
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(calls.to("/once").len(), 1);
    // The scheduler's next look at 14:40 finds nothing more to do.
    app::jobs::service::register(&app.state);
    app.state.scheduler.tick().await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        calls.to("/once").len(),
        1,
        "no second run for the same missed time"
    );

    let runs = finished_runs(&app, &cookie, skip, 1).await;
    assert_eq!(runs[0]["status"], "skipped");
    assert!(
        runs[0]["message"]
            .as_str()
            .unwrap()
            .contains("4 runs missed since 2026-11-22 11:15:00 UTC"),
        "{}",
        runs[0]
    );
    assert!(calls.to("/skip").is_empty());
    let job = view(&app, &cookie, skip).await;
    assert!(
        job["summary"]["health"]["Missed"].is_string(),
        "the job is flagged: {}",
        job["summary"]
    );
    // Both plan their next run from now.
    assert_eq!(job["summary"]["next_run_at"], "2026-11-22T15:15:00Z");
    let html = get_as(&app.router, Some(&cookie), "/jobs").await;
    assert!(html.body.contains(r#"data-health="missed""#));
}

#[tokio::test]
async fn bad_forms_pause_and_resume_and_every_change_is_audited() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let bad = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/create",
        &form_body(&JobForm {
            expression: "15 * * *".into(),
            ..http_job("x", "http://127.0.0.1:9/")
        }),
    )
    .await;
    let (kind, sentence) = error_of(&bad);
    assert_eq!(kind, "Invalid");
    assert!(sentence.contains("Write five fields"), "{sentence}");
    let preview = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/preview",
        "schedule_kind=cron&expression=0+3+*+*+*&zone=Europe%2FBerlin",
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    assert_eq!(preview.json().as_array().unwrap().len(), 5);

    let id = create(&app, &cookie, &http_job("pausable", "http://127.0.0.1:9/")).await;
    call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/pause",
        &format!("id={id}&paused=true"),
    )
    .await;
    let job = view(&app, &cookie, id).await;
    assert_eq!(job["summary"]["health"], "Paused");
    assert!(job["upcoming"].as_array().unwrap().is_empty());
    call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/pause",
        &format!("id={id}&paused=false"),
    )
    .await;
    let job = view(&app, &cookie, id).await;
    assert_eq!(job["upcoming"].as_array().unwrap().len(), 5);
    let deleted = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/delete",
        &format!("id={id}"),
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let actions: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE area = 'jobs' ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(actions, vec!["create", "pause", "resume", "delete"]);
}

/// Startup jobs run when the binary starts, shutdown jobs when it gets SIGTERM, before
/// it exits.
#[tokio::test]
async fn startup_and_shutdown_jobs_run_at_the_right_moment_of_the_process() {
    let (base, calls) = local_app().await;
    let dir = tempfile::tempdir().unwrap();
    {
        let config = server::config::Config::load(server::config::Inputs {
            flags: server::config::FlagValues {
                config_file: None,
                values: vec![("data_dir", dir.path().display().to_string())],
            },
            env: &[],
        })
        .unwrap()
        .0;
        let state = server::serve::prepare(&config).await.unwrap();
        let actor = Actor {
            user_id: None,
            name: "test".into(),
            address: "127.0.0.1".into(),
        };
        for (name, kind, path) in [
            ("fetch-data", "startup", "/startup"),
            ("parse-logs", "shutdown", "/shutdown"),
        ] {
            let form = JobForm {
                schedule_kind: kind.into(),
                ..http_job(name, &format!("{base}{path}"))
            };
            app::jobs::service::create(&state, &actor, &form)
                .await
                .unwrap();
        }
        state.db.close().await;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_caretaker"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
            dir.path().to_str().unwrap(),
        ])
        .env_remove("CARETAKER_LOG_LEVEL")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if !calls.to("/startup").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(calls.to("/startup").len(), 1, "the startup job ran");
    assert!(calls.to("/shutdown").is_empty(), "not yet");

    let pid = child.id().unwrap().to_string();
    let status = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(exit.success(), "{exit:?}");
    assert_eq!(
        calls.to("/shutdown").len(),
        1,
        "the shutdown job ran before the process exited"
    );
}

#[tokio::test]
async fn a_restart_job_restarts_the_services_production_container() {
    let docker = docker();
    let container = TestContainer::start(&docker, "jobs-restart", false).await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    // A service whose production container is the running test container.
    let service = call_as(
        &app.router,
        Some(&cookie),
        "/api/services/create",
        &format!(
            "form%5Bname%5D={}&form%5Bimage%5D={}",
            container.name,
            encode(common::TEST_IMAGE)
        ),
    )
    .await;
    assert_eq!(service.status, StatusCode::OK, "{}", service.body);
    let service_id = service.json().as_i64().unwrap().to_string();
    let started_at = || async {
        docker
            .inspect_container(
                &container.name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .unwrap()
            .state
            .unwrap()
            .started_at
            .unwrap()
    };
    let before = started_at().await;
    let id = create(
        &app,
        &cookie,
        &JobForm {
            name: "nightly-restart".into(),
            kind: "restart".into(),
            schedule_kind: "manual".into(),
            service: service_id,
            ..JobForm::default()
        },
    )
    .await;
    call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/run",
        &format!("id={id}"),
    )
    .await;
    let run = &finished_runs(&app, &cookie, id, 1).await[0];
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["message"], format!("Restarted {}.", container.name));
    assert_ne!(
        started_at().await,
        before,
        "the container was started again"
    );
}

#[tokio::test]
async fn secret_headers_are_sent_but_never_stored_or_shown_in_plain_text() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let form = JobForm {
        headers: "Authorization: Bearer tok-12345\nX-Team: lab".into(),
        schedule_kind: "manual".into(),
        ..http_job("with-token", &format!("{base}/secured"))
    };
    let id = create(&app, &cookie, &form).await;
    let stored: String = sqlx::query_scalar("SELECT spec FROM jobs WHERE id = ?")
        .bind(id)
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert!(!stored.contains("tok-12345"), "{stored}");
    assert!(stored.contains("X-Team"));
    let job = view(&app, &cookie, id).await;
    assert_eq!(job["form"]["headers"], "X-Team: lab\nAuthorization:");
    let page = get_as(&app.router, Some(&cookie), &format!("/jobs/{id}")).await;
    assert!(!page.body.contains("tok-12345"));

    call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/run",
        &format!("id={id}"),
    )
    .await;
    assert_eq!(
        finished_runs(&app, &cookie, id, 1).await[0]["status"],
        "succeeded"
    );
    assert_eq!(
        calls.authorizations_to("/secured"),
        vec!["Bearer tok-12345"]
    );

    // Saving the form as shown keeps the stored value; a new value replaces it.
    let mut edited = form.clone();
    edited.headers = "X-Team: lab\nAuthorization:".into();
    let body = format!("id={id}&{}", form_body(&edited));
    let saved = call_as(&app.router, Some(&cookie), "/api/jobs/update", &body).await;
    assert_eq!(saved.status, StatusCode::OK, "{}", saved.body);
    call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/run",
        &format!("id={id}"),
    )
    .await;
    finished_runs(&app, &cookie, id, 2).await;
    assert_eq!(
        calls.authorizations_to("/secured"),
        vec!["Bearer tok-12345"; 2]
    );

    // Credentials inside the URL are refused: they would be stored in plain text.
    let refused = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/create",
        &form_body(&http_job("in-url", "https://user:pw@example.org/x")),
    )
    .await;
    assert!(
        error_of(&refused).1.contains("send it in a header"),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn a_scheduled_run_cut_by_a_stop_is_run_again_at_the_next_start() {
    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    manual_clock(&app, Utc.with_ymd_and_hms(2026, 11, 22, 11, 20, 0).unwrap());
    let once = create(
        &app,
        &cookie,
        &http_job("cut-once", &format!("{base}/cut-once")),
    )
    .await;
    let skip = create(
        &app,
        &cookie,
        &JobForm {
            catch_up: "skip".into(),
            ..http_job("cut-skip", &format!("{base}/cut-skip"))
        },
    )
    .await;
    // As a killed process leaves them: the 11:15 runs still marked running.
    let due = Utc
        .with_ymd_and_hms(2026, 11, 22, 11, 15, 0)
        .unwrap()
        .timestamp_millis();
    for id in [once, skip] {
        sqlx::query(
            "INSERT INTO job_runs (job_id, trigger, scheduled_for, started_at, status) VALUES (?, 'schedule', ?, ?, 'running')",
        )
        .bind(id)
        .bind(due)
        .bind(due)
        .execute(&app.state.db)
        .await
        .unwrap();
    }

    app::jobs::service::start(&app.state).await.unwrap();

    let runs = finished_runs(&app, &cookie, once, 2).await;
    assert_eq!(runs[0]["trigger"], "catch-up");
    assert_eq!(runs[0]["status"], "succeeded");
    assert_eq!(runs[0]["scheduled_for"], "2026-11-22T11:15:00Z");
    assert_eq!(runs[1]["status"], "interrupted");
    assert!(runs[1]["message"]
        .as_str()
        .unwrap()
        .starts_with("caretaker stopped while this run was going"));
    assert_eq!(calls.to("/cut-once").len(), 1);

    let runs = finished_runs(&app, &cookie, skip, 1).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0]["status"], "interrupted");
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(
        calls.to("/cut-skip").is_empty(),
        "its policy skips missed work"
    );
}

/// The heartbeat monitor made for `job`: its id, name and whether it is paused.
async fn monitor_of_job(app: &TestApp, job: i64) -> Option<(i64, String, bool)> {
    sqlx::query_as("SELECT id, name, paused FROM monitors WHERE job_id = ?")
        .bind(job)
        .fetch_optional(&app.state.db)
        .await
        .unwrap()
}

/// No admin adds a monitor: every job gets its own, which goes down (and notifies the
/// team's channels) when a run fails or a run is missed, is paused with its job, follows
/// a rename and goes with the job.
#[tokio::test]
async fn every_job_has_a_heartbeat_monitor_that_alerts_when_it_fails_or_misses_a_run() {
    use app::monitors::{service as monitors, ChannelForm, MonitorState};

    let (base, calls) = local_app().await;
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let clock = manual_clock(&app, Utc.with_ymd_and_hms(2026, 11, 22, 10, 20, 0).unwrap());
    let actor = Actor {
        user_id: None,
        name: "test".into(),
        address: "127.0.0.1".into(),
    };
    monitors::add_channel(
        &app.state,
        &actor,
        &ChannelForm {
            name: "team".into(),
            kind: "webhook".into(),
            url: format!("{base}/alert"),
            ..ChannelForm::default()
        },
    )
    .await
    .unwrap();
    let state_of = |id| {
        let state = app.state.clone();
        async move { monitors::view(&state, id).await.unwrap().summary.state }
    };

    // A job that fails: its monitor exists at once and is up until a run goes wrong.
    let report = create(
        &app,
        &cookie,
        &http_job("nightly-report", &format!("{base}/missing")),
    )
    .await;
    let (monitor, name, paused) = monitor_of_job(&app, report).await.expect("a monitor");
    assert_eq!(name, "Job nightly-report");
    assert!(!paused);
    let page = get_as(&app.router, Some(&cookie), &format!("/jobs/{report}")).await;
    assert!(
        page.body.contains(&format!(
            r#"<a href="/monitors/{monitor}">Job nightly-report</a>"#
        )),
        "the job's page links its monitor"
    );
    let fresh = monitors::check_now(&app.state, monitor).await.unwrap();
    assert!(fresh.ok, "{}", fresh.message);
    assert!(
        fresh.message.contains("has not run yet"),
        "{}",
        fresh.message
    );
    assert_eq!(state_of(monitor).await, MonitorState::Up);

    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/run",
        &format!("id={report}"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(
        finished_runs(&app, &cookie, report, 1).await[0]["status"],
        "failed"
    );
    let failed = monitors::check_now(&app.state, monitor).await.unwrap();
    assert!(!failed.ok);
    assert!(
        failed
            .message
            .contains("The job nightly-report last run failed"),
        "{}",
        failed.message
    );
    assert_eq!(state_of(monitor).await, MonitorState::Down);
    let mut alerts = Vec::new();
    for _ in 0..200 {
        alerts = calls.to("/alert");
        if !alerts.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(alerts.len(), 1, "one notice for the outage");
    assert_eq!(alerts[0].0, "POST");
    assert!(
        alerts[0].1.contains("Job nightly-report"),
        "{}",
        alerts[0].1
    );
    let html = get_as(&app.router, Some(&cookie), "/monitors").await;
    assert!(html.body.contains("Job nightly-report"));
    assert!(html.body.contains("job nightly-report, on its schedule"));

    // A job whose runs were missed while caretaker was down, and skipped by its policy.
    let sync = create(
        &app,
        &cookie,
        &JobForm {
            catch_up: "skip".into(),
            ..http_job("hourly-sync", &format!("{base}/ok"))
        },
    )
    .await;
    let (sync_monitor, ..) = monitor_of_job(&app, sync).await.expect("a monitor");
    clock.set(Utc.with_ymd_and_hms(2026, 11, 22, 14, 40, 0).unwrap());
    app::jobs::service::catch_up(&app.state).await.unwrap();
    finished_runs(&app, &cookie, sync, 1).await;
    let missed = monitors::check_now(&app.state, sync_monitor).await.unwrap();
    assert!(!missed.ok);
    assert!(
        missed
            .message
            .contains("4 runs missed since 2026-11-22 11:15:00 UTC"),
        "{}",
        missed.message
    );
    assert_eq!(state_of(sync_monitor).await, MonitorState::Down);

    // Paused and resumed with its job; renamed with it.
    for paused in [true, false] {
        let answer = call_as(
            &app.router,
            Some(&cookie),
            "/api/jobs/pause",
            &format!("id={sync}&paused={paused}"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        assert_eq!(monitor_of_job(&app, sync).await.unwrap().2, paused);
    }
    let mut renamed = app::jobs::service::view(&app.state, sync)
        .await
        .unwrap()
        .form;
    renamed.name = "hourly-mirror".into();
    app::jobs::service::update(&app.state, &actor, sync, &renamed)
        .await
        .unwrap();
    let view = monitors::view(&app.state, sync_monitor).await.unwrap();
    assert_eq!(view.summary.target, "job hourly-mirror, on its schedule");

    // Deleted with its job.
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/jobs/delete",
        &format!("id={report}"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert!(monitor_of_job(&app, report).await.is_none());
    assert!(monitors::view(&app.state, monitor).await.is_err());
}

/// Jobs made before every job had its own monitor get theirs when the database is
/// upgraded, paused as their job is.
#[tokio::test]
async fn an_upgrade_gives_the_jobs_made_before_their_heartbeat_monitors() {
    use std::borrow::Cow;
    const JOB_MONITORS: i64 = 20261204000013;

    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .in_memory(true)
                .foreign_keys(true),
        )
        .await
        .unwrap();
    let mut migrator = sqlx::migrate!("../migrations");
    let every = migrator.migrations.clone();
    migrator.migrations = Cow::Owned(
        every
            .iter()
            .filter(|migration| migration.version < JOB_MONITORS)
            .cloned()
            .collect(),
    );
    migrator.run(&pool).await.unwrap();
    let spec = serde_json::to_string(&app::jobs::JobSpec {
        name: "old-report".into(),
        action: app::jobs::JobAction::Http {
            method: "POST".into(),
            url: "http://127.0.0.1:9/report".into(),
            headers: Vec::new(),
            secret_headers: Vec::new(),
            body: String::new(),
            expected_status: None,
        },
        schedule_kind: "cron".into(),
        expression: "15 * * * *".into(),
        zone: "UTC".into(),
        timeout_secs: 60,
        retries: 0,
        retry_delay_secs: 30,
        overlap: app::jobs::Overlap::Skip,
        catch_up: app::jobs::CatchUp::Once,
    })
    .unwrap();
    for (name, paused) in [("old-report", false), ("old-paused", true)] {
        sqlx::query(
            "INSERT INTO jobs (name, spec, paused, created_at, updated_at) VALUES (?, ?, ?, 0, 0)",
        )
        .bind(name)
        .bind(spec.replace("old-report", name))
        .bind(paused)
        .execute(&pool)
        .await
        .unwrap();
    }

    migrator.migrations = every;
    migrator.run(&pool).await.unwrap();
    let monitors: Vec<(String, String, bool)> = sqlx::query_as(
        "SELECT monitors.name, monitors.spec, monitors.paused FROM monitors \
         JOIN jobs ON jobs.id = monitors.job_id ORDER BY monitors.name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(monitors.len(), 2);
    assert_eq!(monitors[0].0, "Job old-paused");
    assert!(monitors[0].2);
    assert_eq!(monitors[1].0, "Job old-report");
    assert!(!monitors[1].2);
    // The spec reads back as the monitors area writes it.
    let spec: app::monitors::MonitorSpec = serde_json::from_str(&monitors[1].1).unwrap();
    assert_eq!(spec.target.describe(), "job old-report, on its schedule");
    assert_eq!(spec.interval_secs, 60);
}
