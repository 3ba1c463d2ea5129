//! Logging in and who may do what, end to end through the router, with GitHub played by
//! `fake-github` (GitHub's documented OAuth web flow and REST calls, served on loopback).

mod common;

use axum::http::StatusCode;
use common::{call_as, get, get_as, post_form, session_cookie, test_app_with, TestApp};
use fake_github::{FakeGithub, FakeOrgMembership, FakeTeamMembership, FakeUser};

const DEAD_DOCKER: &str = "unix:///nonexistent/caretaker-test/docker.sock";
/// caretaker's default public URL is http://BIND; the fake accepts any loopback port.
const CALLBACK: &str = "http://127.0.0.1:3000/auth/github/callback";

struct World {
    app: TestApp,
    github: FakeGithub,
    admin: String,
}

/// caretaker with GitHub login against a fresh fake GitHub, and an admin session.
async fn world() -> World {
    world_with(&[]).await
}

async fn world_with(extra: &[(&'static str, String)]) -> World {
    let github = FakeGithub::new("Iv1.test", "test-secret", CALLBACK);
    let base = github.serve().await.unwrap();
    let mut settings = vec![
        ("github.client_id", "Iv1.test".to_owned()),
        ("github.client_secret", "test-secret".to_owned()),
        ("github.oauth_url", base.clone()),
        ("github.api_url", base),
    ];
    settings.extend(extra.iter().cloned());
    let app = test_app_with(DEAD_DOCKER, &settings).await;
    let admin = app.admin_cookie().await;
    World { app, github, admin }
}

impl World {
    async fn add_rule(&self, kind: &str, value: &str, role: &str) {
        let form = format!("kind={kind}&value={value}&role={role}");
        let answer = call_as(
            &self.app.router,
            Some(&self.admin),
            "/api/auth/rules/add",
            &form,
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    }

    /// Presses "Log in with GitHub" in a browser holding `cookie` (if any). Returns GitHub's
    /// authorize URL and the browser's session cookie.
    async fn start_github(&self, cookie: Option<&str>) -> (String, String) {
        let start = post_form(
            &self.app.router,
            cookie,
            "/auth/github/start",
            "",
            "text/html",
        )
        .await;
        assert_eq!(start.status, StatusCode::SEE_OTHER, "{}", start.body);
        let cookie = session_cookie(&start)
            .or(cookie.map(str::to_owned))
            .expect("the login attempt has a session");
        (
            start.headers["location"].to_str().unwrap().to_owned(),
            cookie,
        )
    }

    /// The browser's whole trip: caretaker → GitHub (signed in as `user`) → callback.
    /// Returns the callback's answer and the cookie the browser had before it.
    async fn github_login(&self, user: Option<u64>) -> (common::Answer, String) {
        self.github.sign_in_as(user);
        let (authorize, before) = self.start_github(None).await;
        let callback = follow_github(&authorize).await;
        let answer = get_as(&self.app.router, Some(&before), &callback).await;
        (answer, before)
    }

    async fn login_cookie(&self, user: u64) -> String {
        let (answer, _) = self.github_login(Some(user)).await;
        assert_eq!(
            answer.headers["location"],
            "/",
            "login refused: {:?}",
            answer.headers.get("location")
        );
        session_cookie(&answer).unwrap()
    }

    async fn audit_json(&self) -> Vec<serde_json::Value> {
        let answer = get_as(
            &self.app.router,
            Some(&self.admin),
            "/audit/export?format=json",
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK);
        serde_json::from_str(&answer.body).unwrap()
    }
}

/// Asks the fake GitHub's authorize endpoint and returns the path and query of the
/// callback it redirects to.
async fn follow_github(authorize: &str) -> String {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let answer = client.get(authorize).send().await.unwrap();
    assert_eq!(
        answer.status(),
        302,
        "{}",
        answer.text().await.unwrap_or_default()
    );
    let location = answer.headers()["location"].to_str().unwrap().to_owned();
    let path_start = location
        .find("/auth/github/callback")
        .expect("redirects to the callback");
    location[path_start..].to_owned()
}

/// The value of `name` in a URL's query.
fn query_param(url: &str, name: &str) -> String {
    let start = url
        .find(&format!("{name}="))
        .expect("the parameter is there")
        + name.len()
        + 1;
    url[start..].split('&').next().unwrap().to_owned()
}

fn octocat() -> FakeUser {
    FakeUser::new(583231, "octocat")
}

fn location(answer: &common::Answer) -> String {
    answer
        .headers
        .get("location")
        .map(|value| value.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_listed_user_logs_in_with_github_and_gets_a_new_session_id() {
    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "583231", "viewer").await;

    let (answer, before) = world.github_login(Some(583231)).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(location(&answer), "/");
    let after = session_cookie(&answer).unwrap();
    assert_ne!(before, after, "the session id must change at login");

    let page = get_as(&world.app.router, Some(&after), "/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("octocat · viewer"), "{}", page.body);
    // The browser's pre-login session is not logged in.
    let old = get_as(&world.app.router, Some(&before), "/").await;
    assert_eq!(location(&old), "/login");

    // PKCE and the documented credentials placement reached GitHub.
    let request = world.github.token_requests().pop().unwrap();
    assert!(request
        .param("code_verifier")
        .is_some_and(|v| v.len() >= 43));
    assert_eq!(request.param("client_secret"), Some("test-secret"));
    assert!(!request.basic_auth);
    // No org or team rule: no scope asked for.
    assert_eq!(world.github.authorize_scopes().pop().as_deref(), Some(""));

    let audit = world.audit_json().await;
    assert!(audit
        .iter()
        .any(|e| e["actor"] == "octocat" && e["action"] == "login" && e["outcome"] == "ok"));
}

#[tokio::test]
async fn someone_not_on_the_allow_list_is_refused_and_audited() {
    let world = world().await;
    world.github.add_user(FakeUser::new(99, "mallory"));
    world.add_rule("user", "583231", "admin").await;

    let (answer, _) = world.github_login(Some(99)).await;
    assert_eq!(location(&answer), "/login?error=not-allowed");
    // Whatever cookie the refusal leaves, it is not a logged-in session.
    if let Some(cookie) = session_cookie(&answer) {
        assert_eq!(
            location(&get_as(&world.app.router, Some(&cookie), "/").await),
            "/login"
        );
    }
    let page = get(&world.app.router, "/login?error=not-allowed").await;
    assert!(
        page.body.contains("not on caretaker&#x27;s allow-list")
            || page.body.contains("not on caretaker's allow-list"),
        "{}",
        page.body
    );

    let audit = world.audit_json().await;
    let refused = audit
        .iter()
        .find(|e| e["action"] == "login" && e["outcome"] == "refused")
        .expect("the refusal is audited");
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("mallory (GitHub id 99)"));
}

#[tokio::test]
async fn a_user_who_cancels_at_github_is_told_so() {
    let world = world().await;
    world.add_rule("user", "octocat", "viewer").await;
    let (answer, _) = world.github_login(None).await;
    assert_eq!(location(&answer), "/login?error=denied");
}

#[tokio::test]
async fn a_callback_with_a_wrong_or_missing_state_is_refused() {
    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "583231", "admin").await;
    world.github.sign_in_as(Some(583231));

    let (authorize, cookie) = world.start_github(None).await;
    let callback = follow_github(&authorize).await;
    let code = query_param(&callback, "code");

    // Right code, forged state.
    let forged = format!("/auth/github/callback?code={code}&state=forged");
    let answer = get_as(&world.app.router, Some(&cookie), &forged).await;
    assert_eq!(location(&answer), "/login?error=stale");
    // The state is single use: even the right one no longer works after an attempt.
    let answer = get_as(&world.app.router, Some(&cookie), &callback).await;
    assert_eq!(location(&answer), "/login?error=stale");
    // A browser that never started a login (no session) is refused too.
    let answer = get(&world.app.router, &callback).await;
    assert_eq!(location(&answer), "/login?error=stale");
}

#[tokio::test]
async fn a_code_exchanged_with_the_wrong_pkce_verifier_is_refused() {
    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "583231", "admin").await;
    world.github.sign_in_as(Some(583231));

    // Two attempts in one browser: the second replaces the first's state and verifier.
    let (first_authorize, cookie) = world.start_github(None).await;
    let first_callback = follow_github(&first_authorize).await;
    let (second_authorize, cookie) = world.start_github(Some(&cookie)).await;
    let second_state = query_param(&second_authorize, "state");

    // The first attempt's code with the current state: GitHub gets the second verifier,
    // which does not match the first challenge.
    let code = query_param(&first_callback, "code");
    let mixed = format!("/auth/github/callback?code={code}&state={second_state}");
    let answer = get_as(&world.app.router, Some(&cookie), &mixed).await;
    assert_eq!(location(&answer), "/login?error=github");
    let request = world.github.token_requests().pop().unwrap();
    assert_eq!(request.error.as_deref(), Some("bad_verification_code"));
}

#[tokio::test]
async fn org_and_team_rules_use_active_memberships_and_ask_for_read_org() {
    let world = world().await;
    let mut alice = FakeUser::new(1, "alice");
    alice
        .orgs
        .push(FakeOrgMembership::active("acme", 500, "member"));
    let mut bob = FakeUser::new(2, "bob");
    bob.orgs
        .push(FakeOrgMembership::pending("acme", 500, "member"));
    let mut carol = FakeUser::new(3, "carol");
    carol
        .orgs
        .push(FakeOrgMembership::active("other", 600, "member"));
    carol
        .teams
        .push(FakeTeamMembership::active("other", 600, "ops", 700));
    for user in [alice, bob, carol] {
        world.github.add_user(user);
    }
    world.add_rule("org", "acme", "viewer").await;
    world.add_rule("team", "other/ops", "admin").await;

    let alice = world.login_cookie(1).await;
    assert_eq!(
        world.github.authorize_scopes().pop().as_deref(),
        Some("read:org")
    );
    assert!(get_as(&world.app.router, Some(&alice), "/")
        .await
        .body
        .contains("alice · viewer"));

    let (answer, _) = world.github_login(Some(2)).await;
    assert_eq!(
        location(&answer),
        "/login?error=not-allowed",
        "a pending invitation does not count"
    );

    let carol = world.login_cookie(3).await;
    assert!(get_as(&world.app.router, Some(&carol), "/")
        .await
        .body
        .contains("carol · admin"));
}

#[tokio::test]
async fn a_login_rule_stays_with_the_account_after_a_rename() {
    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "octocat", "admin").await;
    world.login_cookie(583231).await;

    // octocat renames; someone else takes the old login.
    world.github.rename_user(583231, "octocat-renamed");
    world.github.add_user(FakeUser::new(4242, "octocat"));
    let (answer, _) = world.github_login(Some(4242)).await;
    assert_eq!(location(&answer), "/login?error=not-allowed");
    // The original account still gets in under its new name.
    let cookie = world.login_cookie(583231).await;
    assert!(get_as(&world.app.router, Some(&cookie), "/")
        .await
        .body
        .contains("octocat-renamed · admin"));
}

#[tokio::test]
async fn removing_a_rule_or_revoking_sessions_takes_effect_on_the_next_request() {
    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "583231", "viewer").await;
    let viewer = world.login_cookie(583231).await;
    assert_eq!(
        get_as(&world.app.router, Some(&viewer), "/").await.status,
        StatusCode::OK
    );

    // Revoke: the admin ends every session of the user.
    let users = call_as(&world.app.router, Some(&world.admin), "/api/auth/users", "")
        .await
        .json();
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["login"] == "octocat")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let answer = call_as(
        &world.app.router,
        Some(&world.admin),
        "/api/auth/users/revoke",
        &format!("user_id={id}"),
    )
    .await;
    assert_eq!(answer.body, "1");
    assert_eq!(
        location(&get_as(&world.app.router, Some(&viewer), "/").await),
        "/login"
    );

    // Rule removed: a fresh session stops working at once.
    let viewer = world.login_cookie(583231).await;
    let rules = call_as(&world.app.router, Some(&world.admin), "/api/auth/rules", "")
        .await
        .json();
    let rule = rules[0]["id"].as_i64().unwrap();
    call_as(
        &world.app.router,
        Some(&world.admin),
        "/api/auth/rules/remove",
        &format!("id={rule}"),
    )
    .await;
    assert_eq!(
        location(&get_as(&world.app.router, Some(&viewer), "/").await),
        "/login"
    );
    let (answer, _) = world.github_login(Some(583231)).await;
    assert_eq!(location(&answer), "/login?error=not-allowed");
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let world = world().await;
    let answer = post_form(
        &world.app.router,
        Some(&world.admin),
        "/auth/logout",
        "",
        "text/html",
    )
    .await;
    assert_eq!(location(&answer), "/login");
    // Replaying the old cookie gets nothing.
    assert_eq!(
        location(&get_as(&world.app.router, Some(&world.admin), "/").await),
        "/login"
    );
    let sessions: i64 = sqlx::query_scalar("SELECT count(*) FROM user_sessions")
        .fetch_one(&world.app.state.db)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
}

#[tokio::test]
async fn an_idle_or_too_old_session_expires() {
    let world = world().await;
    let cookie = world.admin.clone();
    assert_eq!(
        get_as(&world.app.router, Some(&cookie), "/").await.status,
        StatusCode::OK
    );
    // Pretend the last request was 13 hours ago (the idle limit is 12 hours).
    sqlx::query("UPDATE user_sessions SET last_seen_at = last_seen_at - 13 * 3600 * 1000")
        .execute(&world.app.state.db)
        .await
        .unwrap();
    assert_eq!(
        location(&get_as(&world.app.router, Some(&cookie), "/").await),
        "/login"
    );
    // The periodic sweep removes such rows even when their browser never comes back.
    let stale = world.app.admin_cookie().await;
    sqlx::query("UPDATE user_sessions SET last_seen_at = last_seen_at - 13 * 3600 * 1000")
        .execute(&world.app.state.db)
        .await
        .unwrap();
    assert_eq!(
        app::auth::service::sweep_sessions(&world.app.state)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        location(&get_as(&world.app.router, Some(&stale), "/").await),
        "/login"
    );

    // A session older than the absolute limit (7 days) ends even when busy.
    let cookie = world.app.admin_cookie().await;
    sqlx::query("UPDATE user_sessions SET created_at = created_at - 8 * 24 * 3600 * 1000")
        .execute(&world.app.state.db)
        .await
        .unwrap();
    assert_eq!(
        location(&get_as(&world.app.router, Some(&cookie), "/").await),
        "/login"
    );
}

#[tokio::test]
async fn a_one_time_link_works_once() {
    let world = world().await;
    let link = app::auth::service::create_login_link(&world.app.state.db, "http://127.0.0.1:3000")
        .await
        .unwrap();
    let token = link.rsplit('/').next().unwrap();
    // Opening the link only shows a button; it does not use the link up.
    let page = get(&world.app.router, &format!("/auth/link/{token}")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("action=\"/auth/link\""));
    let first = post_form(
        &world.app.router,
        None,
        "/auth/link",
        &format!("token={token}"),
        "text/html",
    )
    .await;
    assert_eq!(location(&first), "/");
    let replay = post_form(
        &world.app.router,
        None,
        "/auth/link",
        &format!("token={token}"),
        "text/html",
    )
    .await;
    assert_eq!(location(&replay), "/login?error=bad-link");
    let wrong = post_form(
        &world.app.router,
        None,
        "/auth/link",
        "token=0000",
        "text/html",
    )
    .await;
    assert_eq!(location(&wrong), "/login?error=bad-link");
}

#[tokio::test]
async fn login_attempts_are_rate_limited() {
    let world = world().await;
    let mut last = String::new();
    for _ in 0..25 {
        let answer = post_form(
            &world.app.router,
            None,
            "/auth/link",
            "token=guess",
            "text/html",
        )
        .await;
        last = location(&answer);
    }
    assert_eq!(last, "/login?error=too-many");
}

#[tokio::test]
async fn forwarded_headers_from_an_untrusted_address_change_nothing() {
    let world = world_with(&[("public_url", "https://caretaker.example".to_owned())]).await;
    // A POST claiming another host and client address, from a peer that is no proxy.
    let request = axum::http::Request::post("/auth/github/start")
        .header("host", "caretaker.example")
        .header("origin", "https://caretaker.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "http")
        .header("x-forwarded-for", "203.0.113.7")
        .body(axum::body::Body::empty())
        .unwrap();
    let answer = common::send(&world.app.router, request).await;
    let to_github = location(&answer);
    assert!(
        to_github
            .contains("redirect_uri=https%3A%2F%2Fcaretaker.example%2Fauth%2Fgithub%2Fcallback"),
        "{to_github}"
    );
    assert!(!to_github.contains("evil"));
    // Over HTTPS the cookie is Secure and __Host- prefixed.
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("__Host-caretaker="), "{cookie}");
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    // With a configured public URL, only its origin may POST.
    let request = axum::http::Request::post("/auth/logout")
        .header("host", "evil.example")
        .header("origin", "https://evil.example")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(
        common::send(&world.app.router, request).await.status,
        StatusCode::FORBIDDEN
    );

    // The audit log records the TCP peer, not the forged X-Forwarded-For.
    world.github.add_user(FakeUser::new(7, "eve"));
    let request = axum::http::Request::get("/auth/github/callback?code=x&state=y")
        .header("x-forwarded-for", "203.0.113.7")
        .body(axum::body::Body::empty())
        .unwrap();
    common::send(&world.app.router, request).await;
    let audit = world.audit_json().await;
    assert!(
        audit.iter().all(|e| e["address"] != "203.0.113.7"),
        "{audit:?}"
    );
}

/// Every registered server function and every route, as anonymous, viewer and admin, and
/// from another origin. A server function added without an entry in its area's `ACCESS`
/// table fails here.
#[tokio::test]
async fn every_server_function_and_route_checks_the_role() {
    use app::auth::policy::{server_fn_access, Access};
    use app::auth::Role;

    let world = world().await;
    world.github.add_user(octocat());
    world.add_rule("user", "583231", "viewer").await;
    let viewer = world.login_cookie(583231).await;
    let router = &world.app.router;

    let table = server_fn_access();
    let registered: Vec<(&str, axum::http::Method)> =
        leptos::server_fn::axum::server_fn_paths().collect();
    assert!(
        registered.len() >= 10,
        "server functions are registered: {registered:?}"
    );
    for (path, method) in registered {
        let access = table
            .iter()
            .find(|(listed, _)| *listed == path)
            .map(|(_, access)| *access)
            .unwrap_or_else(|| panic!("{path} has no entry in its area's ACCESS table"));
        // Server functions change state or read it, never over GET.
        assert_eq!(method, axum::http::Method::POST, "{path}");

        let anonymous = call_as(router, None, path, "").await.status;
        let as_viewer = call_as(router, Some(&viewer), path, "").await.status;
        match access {
            Access::Public => {
                assert_ne!(anonymous, StatusCode::UNAUTHORIZED, "{path}");
                assert_ne!(as_viewer, StatusCode::FORBIDDEN, "{path}");
            }
            Access::Role(Role::Viewer) => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{path}");
                assert!(
                    ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&as_viewer),
                    "{path}: {as_viewer}"
                );
            }
            Access::Role(Role::Admin) => {
                assert_eq!(anonymous, StatusCode::UNAUTHORIZED, "{path}");
                assert_eq!(as_viewer, StatusCode::FORBIDDEN, "{path}");
                let as_admin = call_as(router, Some(&world.admin), path, "").await.status;
                assert_ne!(as_admin, StatusCode::FORBIDDEN, "{path}");
            }
        }
        // Another site's page cannot make the admin's browser call it.
        let forged = axum::http::Request::post(path)
            .header("host", "localhost")
            .header("origin", "https://evil.example")
            .header("cookie", &world.admin)
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(
            common::send(router, forged).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }

    // Pages: anonymous users go to the login page; viewers see all but the admin's.
    for page in [
        "/",
        "/containers",
        "/containers/local/abc",
        "/audit",
        "/users",
    ] {
        assert_eq!(location(&get(router, page).await), "/login", "{page}");
    }
    assert_eq!(
        get_as(router, Some(&viewer), "/").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_as(router, Some(&viewer), "/audit").await.status,
        StatusCode::OK
    );
    assert_eq!(
        get_as(router, Some(&viewer), "/users").await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get_as(router, Some(&world.admin), "/users").await.status,
        StatusCode::OK
    );
    // Other routes: 401 (or, for a browser, the login page) for anonymous; open to viewers.
    for route in [
        "/metrics",
        "/audit/export?format=csv",
        "/api/tasks/none/events",
        "/api/containers/local/no-such-container/logs",
    ] {
        let anonymous = get(router, route).await;
        assert!(
            anonymous.status == StatusCode::UNAUTHORIZED || location(&anonymous) == "/login",
            "{route}: {}",
            anonymous.status
        );
        let status = get_as(router, Some(&viewer), route).await.status;
        assert!(
            ![StatusCode::UNAUTHORIZED, StatusCode::FORBIDDEN].contains(&status),
            "{route}: {status}"
        );
    }
    // Public: health, the login page, the one-time link page.
    for route in ["/healthz", "/login", "/auth/link/abc"] {
        assert_eq!(get(router, route).await.status, StatusCode::OK, "{route}");
    }
    // State-changing routes refuse other origins.
    for route in ["/auth/logout", "/auth/link", "/auth/github/start"] {
        let forged = axum::http::Request::post(route)
            .header("host", "localhost")
            .header("sec-fetch-site", "cross-site")
            .header("cookie", &world.admin)
            .body(axum::body::Body::empty())
            .unwrap();
        assert_eq!(
            common::send(router, forged).await.status,
            StatusCode::FORBIDDEN,
            "{route}"
        );
    }
    // The admin's session survived all of that.
    assert_eq!(
        get_as(router, Some(&world.admin), "/").await.status,
        StatusCode::OK
    );
}
