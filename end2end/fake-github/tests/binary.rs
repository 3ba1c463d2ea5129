//! The `fake-github` binary: flags, readiness line and `/_fake/` controls.

mod common;

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use common::*;
use reqwest::StatusCode;

const BIN: &str = env!("CARGO_BIN_EXE_fake-github");

/// Kills the child when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_works() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--bind",
        "--client-id",
        "--client-secret",
        "--callback",
        "--users",
        "--api-prefix",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
}

#[tokio::test]
async fn binary_serves_the_flow_and_controls() {
    let dir = std::env::temp_dir().join(format!("fake-github-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let users = dir.join("users.json");
    std::fs::write(
        &users,
        r#"[
          {"id": 1001, "login": "alice", "name": "Alice",
           "orgs": [{"org_login": "Acme", "org_id": 9001, "role": "admin"}],
           "teams": [{"org_login": "Acme", "org_id": 9001, "team_slug": "ops", "team_id": 7001}]},
          {"id": 1002, "login": "bob"}
        ]"#,
    )
    .unwrap();

    let mut child = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--client-id", CLIENT_ID])
        .args(["--client-secret", CLIENT_SECRET, "--callback", CALLBACK])
        .args(["--api-prefix", "/api/v3", "--users"])
        .arg(&users)
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let _running = Running(child);

    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("fake-github listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let authorize = format!("{base}/login/oauth/authorize?client_id={CLIENT_ID}&state=s1");

    // Nobody signed in at start: access_denied.
    let resp = http.get(&authorize).send().await.unwrap();
    let loc = location(&resp);
    assert_eq!(query_map(&loc)["error"], "access_denied");

    let resp = http
        .post(format!("{base}/_fake/sign-in-as/1001"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = http
        .post(format!("{base}/_fake/sign-in-as/999"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NOT_FOUND);

    let resp = http
        .get(format!("{authorize}&scope=read%3Aorg"))
        .send()
        .await
        .unwrap();
    let code = query_map(&location(&resp))["code"].clone();
    let token: serde_json::Value = http
        .post(format!("{base}/login/oauth/access_token"))
        .header("Accept", "application/json")
        .form(&[
            ("client_id", CLIENT_ID),
            ("client_secret", CLIENT_SECRET),
            ("code", &code),
        ])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let token = token["access_token"].as_str().unwrap().to_owned();

    let resp = http
        .post(format!("{base}/_fake/rename/1001/alice2"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    // A login already taken is refused.
    let resp = http
        .post(format!("{base}/_fake/rename/1001/bob"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);

    let user: serde_json::Value = http
        .get(format!("{base}/api/v3/user"))
        .header("User-Agent", UA)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(user["id"], 1001);
    assert_eq!(user["login"], "alice2");

    let resp = http
        .get(format!(
            "{base}/api/v3/orgs/acme/teams/ops/memberships/alice2"
        ))
        .header("User-Agent", UA)
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);

    let records: serde_json::Value = http
        .get(format!("{base}/_fake/token-requests"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(records[0]["basic_auth"], false);
    assert_eq!(records[0]["params"]["code"], code.as_str());

    let resp = http
        .post(format!("{base}/_fake/sign-out"))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = http.get(&authorize).send().await.unwrap();
    assert_eq!(query_map(&location(&resp))["error"], "access_denied");

    std::fs::remove_dir_all(&dir).ok();
}
