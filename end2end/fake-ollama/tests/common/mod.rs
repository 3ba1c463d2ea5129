//! Helpers shared by the integration tests.
#![allow(dead_code)] // each test binary uses a different subset

use std::time::Duration;

use fake_ollama::{FakeOllama, Options};
use reqwest::{Response, StatusCode};
use serde_json::Value;

pub const MIB: u64 = 1024 * 1024;

/// Fast ticks so that a pull or a generation takes milliseconds.
pub fn fast(installed: &[&str]) -> Options {
    Options {
        installed: installed.iter().map(|s| (*s).to_owned()).collect(),
        pull_tick: Duration::from_millis(5),
        pull_bytes_per_tick: 4 * MIB,
        token_tick: Duration::from_millis(2),
        ..Options::default()
    }
}

pub async fn start(installed: &[&str]) -> FakeOllama {
    FakeOllama::start(fast(installed)).await.unwrap()
}

pub fn http() -> reqwest::Client {
    reqwest::Client::new()
}

pub fn content_type(response: &Response) -> String {
    response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// Status and raw body.
pub async fn status_text(response: Response) -> (StatusCode, String) {
    let status = response.status();
    (status, response.text().await.unwrap())
}

/// A whole NDJSON body: checks that every object ends with `\n`.
pub async fn ndjson(response: Response) -> Vec<Value> {
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/x-ndjson");
    let text = response.text().await.unwrap();
    assert!(
        text.ends_with('\n'),
        "NDJSON body must end with a newline: {text:?}"
    );
    text.lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{line:?}: {e}")))
        .collect()
}

pub async fn post(fake: &FakeOllama, path: &str, body: Value) -> Response {
    http()
        .post(format!("{}{path}", fake.url()))
        .json(&body)
        .send()
        .await
        .unwrap()
}

pub async fn get_json(fake: &FakeOllama, path: &str) -> Value {
    let response = http()
        .get(format!("{}{path}", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.json().await.unwrap()
}

pub async fn tag_names(fake: &FakeOllama) -> Vec<String> {
    get_json(fake, "/api/tags").await["models"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_owned())
        .collect()
}
