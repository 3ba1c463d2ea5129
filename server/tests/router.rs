//! The router without a network: operational endpoints, pages, server functions, the
//! cross-origin guard and the task stream, each through `build_router(state).oneshot`.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{call_as, get, get_as, send, test_app, LOCAL_DOCKER};

/// A Docker socket that does not exist: the engine is "down" for these tests.
const DEAD_DOCKER: &str = "unix:///nonexistent/caretaker-test/docker.sock";

#[tokio::test]
async fn healthz_answers_without_touching_engines() {
    let app = test_app(DEAD_DOCKER).await;
    let answer = get(&app.router, "/healthz").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.body, "ok\n");
    assert!(answer.headers.contains_key("x-request-id"));
    assert_eq!(answer.headers["x-content-type-options"], "nosniff");
}

#[tokio::test]
async fn readyz_reports_each_engine_and_fails_when_docker_is_down() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let answer = get_as(&app.router, Some(&cookie), "/readyz").await;
    assert_eq!(answer.status, StatusCode::SERVICE_UNAVAILABLE);
    let json = answer.json();
    assert_eq!(json["ready"], false);
    assert_eq!(json["database"]["ok"], true);
    assert_eq!(json["docker"]["ok"], false);
    let reason = json["docker"]["error"].as_str().unwrap();
    assert!(
        reason.contains("/nonexistent/caretaker-test/docker.sock"),
        "{reason}"
    );
}

#[tokio::test]
async fn readyz_is_ready_with_the_real_engine() {
    let app = test_app(LOCAL_DOCKER).await;
    let answer = get(&app.router, "/readyz").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    assert_eq!(answer.json()["docker"]["ok"], true);
}

#[tokio::test]
async fn metrics_count_requests_tasks_and_engine_state() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    get(&app.router, "/healthz").await;
    get(&app.router, "/readyz").await;
    let answer = get_as(&app.router, Some(&cookie), "/metrics").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain"));
    let text = answer.body;
    assert!(
        text.contains("caretaker_http_requests_total{status=\"2xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("caretaker_http_requests_total{status=\"5xx\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("caretaker_engine_up{engine=\"docker\"} 0"),
        "{text}"
    );
    assert!(
        text.contains("caretaker_engine_up{engine=\"database\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("caretaker_tasks{status=\"running\"} 0"),
        "{text}"
    );
}

#[tokio::test]
async fn the_overview_page_renders_and_says_when_docker_is_down() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let answer = get_as(&app.router, Some(&cookie), "/").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(
        answer.body.contains("<title>Overview · caretaker</title>"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("The Docker engine is not reachable."),
        "{}",
        answer.body
    );
    assert!(answer
        .body
        .contains("there is no socket at /nonexistent/caretaker-test/docker.sock"));
    assert!(answer.body.contains("/pkg/caretaker.css"));
}

#[tokio::test]
async fn an_unknown_page_is_a_404_with_a_way_back() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let answer = get_as(&app.router, Some(&cookie), "/no-such-page").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(answer.body.contains("Page not found"), "{}", answer.body);
    assert!(answer.body.contains("href=\"/\""));
}

#[tokio::test]
async fn a_server_function_answers_json_to_a_same_origin_post() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let answer = call_as(&app.router, Some(&cookie), "/api/overview/get", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let json = answer.json();
    assert!(json["engine"]["Unreachable"]["reason"]
        .as_str()
        .unwrap()
        .contains("not reachable"));
}

#[tokio::test]
async fn a_cross_origin_post_is_refused() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    for (header, value) in [
        ("origin", "https://evil.example"),
        ("sec-fetch-site", "cross-site"),
    ] {
        let request = Request::post("/api/overview/measure-disk")
            .header("host", "localhost")
            .header(header, value)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::empty())
            .unwrap();
        let answer = send(&app.router, request).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{header}: {value}");
    }
    // Nothing was started by the refused requests.
    let metrics = get_as(&app.router, Some(&cookie), "/metrics").await.body;
    assert!(
        metrics.contains("caretaker_tasks{status=\"running\"} 0"),
        "{metrics}"
    );
    assert!(
        metrics.contains("caretaker_tasks{status=\"failed\"} 0"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_server_function_error_is_a_plain_sentence() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let answer = call_as(&app.router, Some(&cookie), "/api/tasks/get", "id=0000").await;
    assert_ne!(answer.status, StatusCode::OK);
    assert!(
        answer.body.contains("There is no task with id 0000."),
        "{}",
        answer.body
    );
}

#[tokio::test]
async fn the_task_stream_sends_a_finished_task_and_ends() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let id = app
        .state
        .tasks
        .start("test", "stream", |task| async move {
            task.progress(Some(0.5), "half");
            Ok(None)
        })
        .await
        .unwrap();
    // Wait for the end through the public server function.
    let mut finished = false;
    for _ in 0..100 {
        let answer = call_as(
            &app.router,
            Some(&cookie),
            "/api/tasks/get",
            &format!("id={id}"),
        )
        .await;
        if answer.json()["status"] == "succeeded" {
            finished = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(finished);
    let answer = get_as(
        &app.router,
        Some(&cookie),
        &format!("/api/tasks/{id}/events"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.headers["content-type"], "text/event-stream");
    assert!(
        answer.body.starts_with("event: task\ndata: {"),
        "{}",
        answer.body
    );
    assert!(
        answer.body.contains("\"status\":\"succeeded\""),
        "{}",
        answer.body
    );

    let missing = get_as(&app.router, Some(&cookie), "/api/tasks/nope/events").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_scraper_reads_metrics_with_the_token_only() {
    let token = "scrape-me-please-0123456789";
    let app = common::test_app_with(DEAD_DOCKER, &[("metrics.token", token.to_owned())]).await;
    let scrape = |value: String| {
        Request::get("/metrics")
            .header("authorization", value)
            .body(Body::empty())
            .unwrap()
    };
    let answer = send(&app.router, scrape(format!("Bearer {token}"))).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert!(answer.body.contains("caretaker_http_requests_total"));
    let wrong = send(&app.router, scrape("Bearer not-the-token".to_owned())).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The token opens /metrics and nothing else.
    let request = Request::get("/audit/export")
        .header("authorization", format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    assert_eq!(
        send(&app.router, request).await.status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn x_forwarded_for_is_believed_only_from_a_trusted_proxy() {
    use axum::extract::ConnectInfo;
    use std::net::SocketAddr;
    let app =
        common::test_app_with(DEAD_DOCKER, &[("trusted_proxies", "127.0.0.1".to_owned())]).await;
    let cookie = app.admin_cookie().await;
    for peer in ["127.0.0.1:50000", "10.9.9.9:50000"] {
        let mut request = Request::post("/auth/link")
            .header("host", "localhost")
            .header("origin", "http://localhost")
            .header("content-type", "application/x-www-form-urlencoded")
            .header("x-forwarded-for", "198.51.100.9, 127.0.0.1")
            .body(Body::from("token=wrong"))
            .unwrap();
        let peer: SocketAddr = peer.parse().unwrap();
        request.extensions_mut().insert(ConnectInfo(peer));
        send(&app.router, request).await;
    }
    let audit = get_as(&app.router, Some(&cookie), "/audit/export?format=json")
        .await
        .json();
    let addresses: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["outcome"] == "refused")
        .map(|entry| entry["address"].as_str().unwrap())
        .collect();
    // Newest first: the untrusted peer is recorded as itself, the proxy's client as the client.
    assert_eq!(addresses, ["10.9.9.9", "198.51.100.9"]);
}
