//! caretaker served under a sub-path (`public_url = "http://example.test/caretaker"`):
//! every address a page, form or redirect gives the browser carries the prefix, and the
//! routes answer whether the proxy passes the prefix on or strips it.

mod common;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use common::{get, get_as, send, test_app_with, Answer, LOCAL_DOCKER};

const PUBLIC_URL: &str = "http://example.test/caretaker";

async fn subpath_app() -> common::TestApp {
    test_app_with(LOCAL_DOCKER, &[("public_url", PUBLIC_URL.to_owned())]).await
}

/// Every `href`, `src` and `action` in the page that points into this site.
fn site_addresses(html: &str) -> Vec<String> {
    let mut found = Vec::new();
    for attribute in ["href=\"", "src=\"", "action=\""] {
        for (index, _) in html.match_indices(attribute) {
            let rest = &html[index + attribute.len()..];
            let value = &rest[..rest.find('"').unwrap()];
            if value.starts_with('/') {
                found.push(value.to_owned());
            }
        }
    }
    found
}

fn assert_all_under_prefix(answer: &Answer) {
    let addresses = site_addresses(&answer.body);
    assert!(!addresses.is_empty(), "no addresses in {}", answer.body);
    for address in &addresses {
        assert!(
            address.starts_with("/caretaker/"),
            "{address} leaves the sub-path; all: {addresses:?}"
        );
    }
}

#[tokio::test]
async fn pages_link_forms_and_assets_under_the_sub_path() {
    let app = subpath_app().await;
    let cookie = app.admin_cookie().await;

    for path in ["/caretaker/", "/caretaker/users", "/caretaker/audit"] {
        let page = get_as(&app.router, Some(&cookie), path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert_all_under_prefix(&page);
        assert!(page
            .body
            .contains(r#"<meta name="caretaker-base" content="/caretaker">"#));
    }

    let users = get_as(&app.router, Some(&cookie), "/caretaker/users").await;
    // The stylesheet, the wasm bundle, the navigation and a server function form.
    for expected in [
        r#"href="/caretaker/pkg/caretaker.css""#,
        r#"href="/caretaker/pkg/caretaker.js""#,
        r#"href="/caretaker/audit""#,
        r#"action="/caretaker/api/auth/rules/add""#,
    ] {
        assert!(
            users.body.contains(expected),
            "{expected} missing: {}",
            users.body
        );
    }
    // The current page is marked for screen readers, matched without the prefix.
    assert!(users
        .body
        .contains(r#"href="/caretaker/users" aria-current="page""#));

    let login = get(&app.router, "/caretaker/login").await;
    assert_eq!(login.status, StatusCode::OK);
    assert_all_under_prefix(&login);
}

#[tokio::test]
async fn a_proxy_that_strips_the_prefix_reaches_the_same_routes() {
    let app = subpath_app().await;
    let cookie = app.admin_cookie().await;
    let stripped = get_as(&app.router, Some(&cookie), "/audit").await;
    let kept = get_as(&app.router, Some(&cookie), "/caretaker/audit").await;
    assert_eq!(stripped.status, StatusCode::OK);
    assert_eq!(kept.status, StatusCode::OK);
    assert!(stripped.body.contains("Audit log") && kept.body.contains("Audit log"));
    // A look-alike prefix is not the sub-path.
    let other = get_as(&app.router, Some(&cookie), "/caretakers").await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn redirects_and_login_links_carry_the_prefix() {
    let app = subpath_app().await;

    let anonymous = get(&app.router, "/caretaker/users").await;
    assert_eq!(anonymous.headers["location"], "/caretaker/login");

    let link =
        app::auth::service::create_login_link(&app.state.db, &app.state.auth.settings.public_url)
            .await
            .unwrap();
    assert!(
        link.starts_with("http://example.test/caretaker/auth/link/"),
        "{link}"
    );

    // admin_cookie checks that the login redirects to /caretaker/.
    let cookie = app.admin_cookie().await;
    let logout = Request::post("/caretaker/auth/logout")
        .header("host", "example.test")
        .header("origin", "http://example.test")
        .header("cookie", &cookie)
        .body(Body::empty())
        .unwrap();
    let answer = send(&app.router, logout).await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(answer.headers["location"], "/caretaker/login");

    // A refused login goes back to the login page under the prefix too.
    let bad_link = Request::post("/caretaker/auth/link")
        .header("host", "example.test")
        .header("origin", "http://example.test")
        .header("content-type", "application/x-www-form-urlencoded")
        .body(Body::from("token=not-a-token"))
        .unwrap();
    let answer = send(&app.router, bad_link).await;
    assert_eq!(
        answer.headers["location"],
        "/caretaker/login?error=bad-link"
    );
}
