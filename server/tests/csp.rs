//! Content-Security-Policy: pages allow only their own scripts (by the nonce leptos puts on
//! them, new for every response); every other answer runs and loads nothing.

mod common;

use axum::http::StatusCode;
use common::{get, get_as, test_app, Answer, TestApp};
use server::config::{Config, FlagValues, Inputs};

/// A Docker socket that does not exist: none of these answers needs Docker.
const DEAD_DOCKER: &str = "unix:///nonexistent/caretaker-test/docker.sock";

const STRICT: &str = "default-src 'none'; frame-ancestors 'none'";

fn page_policy(nonce: &str, form_action: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action {form_action}"
    )
}

fn policy(answer: &Answer) -> &str {
    answer
        .headers
        .get("content-security-policy")
        .expect("a Content-Security-Policy header")
        .to_str()
        .unwrap()
}

/// The nonce in the policy's script-src.
fn policy_nonce(answer: &Answer) -> String {
    let policy = policy(answer);
    let start = policy.find("'nonce-").expect("a nonce in the policy") + "'nonce-".len();
    let length = policy[start..].find('\'').unwrap();
    policy[start..start + length].to_owned()
}

/// The `nonce` attribute of every `<script>` tag of the page, in order.
fn script_nonces(body: &str) -> Vec<Option<String>> {
    body.match_indices("<script")
        .map(|(start, _)| {
            let tag = &body[start..start + body[start..].find('>').unwrap()];
            let value = tag.split_once("nonce=\"")?.1;
            Some(value[..value.find('"')?].to_owned())
        })
        .collect()
}

/// Asserts the page's policy is the page policy and its nonce is on all of its scripts.
fn assert_page_policy(answer: &Answer, form_action: &str) -> String {
    let nonce = policy_nonce(answer);
    assert!(nonce.len() >= 16, "{nonce}");
    assert_eq!(policy(answer), page_policy(&nonce, form_action));
    let scripts = script_nonces(&answer.body);
    assert!(!scripts.is_empty(), "the page has its hydration scripts");
    for script in scripts {
        assert_eq!(script.as_deref(), Some(nonce.as_str()), "{}", answer.body);
    }
    nonce
}

/// An app with more settings (file keys and values, as on the command line).
async fn app_with(settings: &[(&'static str, &str)]) -> (tempfile::TempDir, axum::Router) {
    let dir = tempfile::tempdir().unwrap();
    let mut values = vec![
        ("data_dir", dir.path().display().to_string()),
        ("docker.host", DEAD_DOCKER.to_owned()),
    ];
    values.extend(
        settings
            .iter()
            .map(|(key, value)| (*key, value.to_string())),
    );
    let flags = FlagValues {
        config_file: None,
        values,
    };
    let (config, _) = Config::load(Inputs { flags, env: &[] }).unwrap();
    let state = server::serve::prepare(&config).await.unwrap();
    (dir, server::build_router(state))
}

#[tokio::test]
async fn the_login_page_allows_only_scripts_with_its_own_nonce() {
    let app: TestApp = test_app(DEAD_DOCKER).await;
    let first = get(&app.router, "/login").await;
    assert_eq!(first.status, StatusCode::OK);
    let first_nonce = assert_page_policy(&first, "'self'");

    let second = get(&app.router, "/login").await;
    let second_nonce = assert_page_policy(&second, "'self'");
    assert_ne!(first_nonce, second_nonce, "a new nonce for every response");
    // Plain HTTP without an https public URL: no HSTS.
    assert!(!first.headers.contains_key("strict-transport-security"));
}

#[tokio::test]
async fn logged_in_and_not_found_pages_carry_the_policy_too() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let overview = get_as(&app.router, Some(&cookie), "/").await;
    assert_eq!(overview.status, StatusCode::OK, "{}", overview.body);
    assert_page_policy(&overview, "'self'");

    let missing = get_as(&app.router, Some(&cookie), "/no-such-page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_page_policy(&missing, "'self'");
}

#[tokio::test]
async fn the_login_form_may_lead_to_the_configured_github() {
    let (_dir, router) = app_with(&[
        ("github.client_id", "Iv1.test"),
        ("github.client_secret", "test-secret"),
        ("github.oauth_url", "https://github.example.org"),
    ])
    .await;
    let answer = get(&router, "/login").await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_page_policy(&answer, "'self' https://github.example.org");
}

#[tokio::test]
async fn answers_that_are_not_pages_get_the_strict_policy() {
    let app = test_app(DEAD_DOCKER).await;
    let cookie = app.admin_cookie().await;
    for path in ["/readyz", "/healthz", "/metrics"] {
        let answer = get_as(&app.router, Some(&cookie), path).await;
        assert_eq!(policy(&answer), STRICT, "{path}");
    }
    // A redirect to the login page is no page either.
    let answer = get(&app.router, "/").await;
    assert!(answer.status.is_redirection());
    assert_eq!(policy(&answer), STRICT);
}

#[tokio::test]
async fn an_https_public_url_turns_on_hsts() {
    let (_dir, router) = app_with(&[("public_url", "https://caretaker.example.org")]).await;
    for path in ["/healthz", "/login"] {
        let answer = get(&router, path).await;
        assert_eq!(
            answer.headers["strict-transport-security"], "max-age=31536000",
            "{path}"
        );
    }
}
