//! The Connect page's settings through the router: a refused form names every problem, a
//! saved one feeds the page, the PAC file and the audit log.

mod common;

use axum::http::StatusCode;
use common::{call_as, error_of, get_as, test_app, LOCAL_DOCKER};

const GOOD: &str =
    "form[host_alias]=&form[bastion]=bastion.example.org%3A2222&form[ssh_user]=alice\
&form[jump_host]=gw.example.org&form[second_jump_host]=&form[socks_port]=1080\
&form[private_url]=http%3A%2F%2F10.0.1.5%3A3000";

#[tokio::test]
async fn settings_are_checked_saved_audited_and_served_as_a_pac_file() {
    let app = test_app(LOCAL_DOCKER).await;
    let admin = app.admin_cookie().await;
    let router = &app.router;

    // Nothing saved: the page invites an admin to fill in the form; no PAC file yet.
    let page = get_as(router, Some(&admin), "/connect").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("No tunnel described yet"),
        "{}",
        page.body
    );
    let pac = get_as(router, Some(&admin), "/connect/proxy.pac").await;
    assert_eq!(pac.status, StatusCode::NOT_FOUND, "{}", pac.body);

    // A form that would inject a line, with a privileged port and a bad address.
    let bad = "form[host_alias]=x&form[bastion]=bastion%0AHost%20*&form[ssh_user]=alice\
&form[jump_host]=&form[second_jump_host]=inner&form[socks_port]=80&form[private_url]=10.0.1.5";
    let answer = call_as(router, Some(&admin), "/api/connect/save", bad).await;
    let (kind, sentence) = error_of(&answer);
    assert_eq!(kind, "Invalid");
    for expected in [
        "The bastion 'bastion\nHost *' is not accepted",
        "A second jump host needs a first one",
        "The SOCKS port '80' is not accepted: use a port from 1024 to 65535",
        "caretaker's private address '10.0.1.5' is not accepted",
    ] {
        assert!(sentence.contains(expected), "{expected}: {sentence}");
    }
    let stored: i64 = sqlx::query_scalar("SELECT count(*) FROM connect_settings")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(stored, 0);

    let answer = call_as(router, Some(&admin), "/api/connect/save", GOOD).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);

    let page = get_as(router, Some(&admin), "/connect").await;
    for line in [
        "Host caretaker-socks",
        "HostName bastion.example.org",
        "Port 2222",
        "ProxyJump gw.example.org",
        "DynamicForward 127.0.0.1:1080",
        "ServerAliveCountMax 3",
        "socks5://127.0.0.1:1080",
        "Proxy DNS when using SOCKS v5",
    ] {
        assert!(page.body.contains(line), "{line} missing from the page");
    }
    let pac = get_as(router, Some(&admin), "/connect/proxy.pac").await;
    assert_eq!(pac.status, StatusCode::OK);
    assert_eq!(
        pac.headers["content-type"],
        "application/x-ns-proxy-autoconfig"
    );
    assert!(
        pac.body.contains("if (host == \"10.0.1.5\")"),
        "{}",
        pac.body
    );
    assert!(pac.body.contains("SOCKS5 127.0.0.1:1080"), "{}", pac.body);

    let audited: Vec<(String, String)> =
        sqlx::query_as("SELECT action, target FROM audit_log WHERE area = 'connect'")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(
        audited,
        vec![("edit".to_owned(), "caretaker-socks".to_owned())]
    );
}
