//! The `fake-ollama` binary: flags, readiness line, `/_fake/` controls, SIGTERM.

use std::io::{BufRead as _, BufReader};
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;
use serde_json::{json, Value};

const BIN: &str = env!("CARGO_BIN_EXE_fake-ollama");

/// Kills the child when the test ends, pass or fail.
struct Running(Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn help_lists_the_flags() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--bind",
        "--installed",
        "--pull-tick-ms",
        "--pull-bytes-per-tick",
        "--token-tick-ms",
        "--gpu",
    ] {
        assert!(text.contains(flag), "{flag} missing from --help:\n{text}");
    }
}

#[tokio::test]
async fn binary_serves_the_api_and_controls() {
    let child = Command::new(BIN)
        .args(["--bind", "127.0.0.1:0", "--installed", "tinyllama"])
        .args(["--installed", "phi3:mini", "--pull-tick-ms", "5"])
        .args(["--pull-bytes-per-tick", "1048576", "--token-tick-ms", "1"])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut running = Running(child);
    let stdout = running.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let base = line
        .trim()
        .strip_prefix("fake-ollama listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    assert!(base.starts_with("http://127.0.0.1:"));

    let http = reqwest::Client::new();
    let state = |http: reqwest::Client, base: String| async move {
        http.get(format!("{base}/_fake/state"))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap()
    };
    assert_eq!(
        state(http.clone(), base.clone()).await,
        json!({"installed": ["tinyllama:latest", "phi3:mini"], "loaded": []})
    );

    let control = |path: &'static str, body: Value| {
        let http = http.clone();
        let base = base.clone();
        async move {
            let response = http
                .post(format!("{base}{path}"))
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), StatusCode::NO_CONTENT, "{path}");
        }
    };
    control(
        "/_fake/catalog",
        json!({"name": "extra:1b", "total_bytes": 3_000_000}),
    )
    .await;
    control(
        "/_fake/fail-next-pull",
        json!({"model": "extra:1b", "after_bytes": 1_048_576, "error": "registry hiccup"}),
    )
    .await;
    let pull = |http: reqwest::Client, base: String| async move {
        http.post(format!("{base}/api/pull"))
            .json(&json!({"model": "extra:1b"}))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let body = pull(http.clone(), base.clone()).await;
    assert!(
        body.ends_with("{\"error\":\"registry hiccup\"}\n"),
        "{body}"
    );
    let body = pull(http.clone(), base.clone()).await;
    assert!(body.contains("\"completed\":1048576"), "resumes: {body}");
    assert!(body.ends_with("{\"status\":\"success\"}\n"), "{body}");

    control("/_fake/free-disk", json!({"bytes": 0})).await;
    let body = http
        .post(format!("{base}/api/pull"))
        .json(&json!({"model": "qwen2.5:0.5b"}))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(body.contains("no space left on device"), "{body}");
    control("/_fake/free-disk", json!({"bytes": null})).await;

    http.post(format!("{base}/api/generate"))
        .json(&json!({"model": "phi3:mini"}))
        .send()
        .await
        .unwrap();
    let state = state(http.clone(), base.clone()).await;
    assert_eq!(state["installed"][0], "extra:1b");
    assert_eq!(state["loaded"], json!(["phi3:mini"]));

    // SIGTERM ends it cleanly.
    let pid = running.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let status = running.0.wait().unwrap();
    assert!(status.success(), "{status:?}");
}
