//! `POST /api/generate` and `GET /api/ps`.

mod common;

use std::time::{Duration, Instant};

use chrono::{DateTime, Datelike as _, FixedOffset, Local};
use common::*;
use fake_ollama::{FakeOllama, Options};
use reqwest::StatusCode;
use serde_json::{json, Value};

const ANSWER: &str = "You asked: Why is the sky blue?. This is a fake answer from fake-ollama.";
const METRICS: [&str; 6] = [
    "total_duration",
    "load_duration",
    "prompt_eval_count",
    "prompt_eval_duration",
    "eval_count",
    "eval_duration",
];

fn metric(line: &Value, name: &str) -> u64 {
    line[name]
        .as_u64()
        .unwrap_or_else(|| panic!("{name} missing: {line}"))
}

fn assert_final_metrics(last: &Value) {
    for name in METRICS {
        assert!(metric(last, name) > 0, "{name}");
    }
    assert!(
        metric(last, "total_duration")
            >= metric(last, "load_duration")
                + metric(last, "prompt_eval_duration")
                + metric(last, "eval_duration")
    );
    assert!(!last["context"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn generate_streams_tokens_then_metrics() {
    let fake = start(&["tinyllama"]).await;
    let lines = ndjson(
        post(
            &fake,
            "/api/generate",
            json!({"model": "tinyllama", "prompt": "Why is the sky blue?"}),
        )
        .await,
    )
    .await;
    let (last, tokens) = lines.split_last().unwrap();
    assert!(tokens.len() > 5, "one word per line");
    for token in tokens {
        assert_eq!(token["model"], "tinyllama", "echoed as sent");
        assert_eq!(token["done"], false);
        let created = token["created_at"].as_str().unwrap();
        assert!(created.ends_with('Z'), "{created}");
        DateTime::parse_from_rfc3339(created).unwrap();
        assert!(token.get("done_reason").is_none());
        assert!(token.get("total_duration").is_none());
    }
    let text: String = tokens
        .iter()
        .map(|t| t["response"].as_str().unwrap())
        .collect();
    assert_eq!(text, ANSWER);

    assert_eq!(last["done"], true);
    assert_eq!(last["response"], "");
    assert_eq!(last["done_reason"], "stop");
    assert_eq!(metric(last, "eval_count"), tokens.len() as u64);
    assert_final_metrics(last);
}

#[tokio::test]
async fn generate_without_streaming_and_with_num_predict() {
    let fake = start(&["tinyllama"]).await;
    let response = post(
        &fake,
        "/api/generate",
        json!({"model": "TinyLlama:latest", "prompt": "Why is the sky blue?", "stream": false}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    let body = response.text().await.unwrap();
    assert!(!body.ends_with('\n'));
    let reply: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(reply["model"], "TinyLlama:latest");
    assert_eq!(reply["response"], ANSWER);
    assert_eq!(reply["done_reason"], "stop");
    assert_final_metrics(&reply);

    let reply: Value = post(
        &fake,
        "/api/generate",
        json!({"model": "tinyllama", "prompt": "hi", "stream": false,
               "options": {"num_predict": 2}}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(reply["response"], "You asked:");
    assert_eq!(reply["done_reason"], "length");
    assert_eq!(reply["eval_count"], 2);
}

#[tokio::test]
async fn generate_unknown_model_is_404_before_streaming() {
    let fake = start(&["tinyllama"]).await;
    for (model, expected) in [
        ("nope", r#"{"error":"model 'nope' not found"}"#),
        ("", r#"{"error":"model '' not found"}"#),
    ] {
        let response = post(
            &fake,
            "/api/generate",
            json!({"model": model, "prompt": "hi"}),
        )
        .await;
        assert_eq!(content_type(&response), "application/json; charset=utf-8");
        assert_eq!(
            status_text(response).await,
            (StatusCode::NOT_FOUND, expected.to_owned())
        );
    }
    let response = post(
        &fake,
        "/api/generate",
        json!({"model": "tinyllama", "keep_alive": "-1"}),
    )
    .await;
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"time: missing unit in duration \"-1\""}"#.to_owned()
        )
    );
}

fn expires_at(model: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(model["expires_at"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn ps_lists_a_model_after_generate() {
    let fake = start(&["tinyllama", "phi3:mini"]).await;
    assert_eq!(get_json(&fake, "/api/ps").await, json!({"models": []}));

    ndjson(
        post(
            &fake,
            "/api/generate",
            json!({"model": "tinyllama", "prompt": "hello", "options": {"num_ctx": 2048}}),
        )
        .await,
    )
    .await;
    let ps = get_json(&fake, "/api/ps").await;
    let models = ps["models"].as_array().unwrap();
    assert_eq!(models.len(), 1);
    let model = &models[0];
    assert_eq!(model["name"], "tinyllama:latest");
    assert_eq!(model["model"], "tinyllama:latest");
    assert_eq!(model["size_vram"], 0, "CPU only by default");
    assert_eq!(model["context_length"], 2048);
    assert_eq!(model["details"]["parent_model"], "");
    assert_eq!(model["digest"].as_str().unwrap().len(), 64);
    let tags = get_json(&fake, "/api/tags").await;
    let disk = tags["models"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "tinyllama:latest")
        .unwrap()["size"]
        .as_u64()
        .unwrap();
    assert!(model["size"].as_u64().unwrap() > disk);
    let in_five_minutes = Local::now() + chrono::TimeDelta::minutes(5);
    let delta = (expires_at(model) - in_five_minutes.fixed_offset()).num_seconds();
    assert!(delta.abs() <= 2, "default keep-alive 5m, off by {delta}s");

    // Load only: one object, no trailing newline, longer keep-alive comes first.
    let response = post(
        &fake,
        "/api/generate",
        json!({"model": "phi3:mini", "keep_alive": "10m"}),
    )
    .await;
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    let body = response.text().await.unwrap();
    assert!(!body.ends_with('\n'));
    let load: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(load["done"], true);
    assert_eq!(load["done_reason"], "load");
    assert_eq!(load["response"], "");
    assert_eq!(fake.loaded(), ["phi3:mini", "tinyllama:latest"]);

    // Forever, for a negative keep-alive.
    post(
        &fake,
        "/api/generate",
        json!({"model": "tinyllama", "keep_alive": -1}),
    )
    .await;
    let ps = get_json(&fake, "/api/ps").await;
    assert_eq!(ps["models"][0]["name"], "tinyllama:latest");
    assert!(expires_at(&ps["models"][0]).year() > 2200);
}

#[tokio::test]
async fn keep_alive_zero_unloads_shortly_after() {
    let fake = start(&["tinyllama"]).await;
    post(&fake, "/api/generate", json!({"model": "tinyllama"})).await;
    assert_eq!(fake.loaded(), ["tinyllama:latest"]);

    let reply: Value = post(
        &fake,
        "/api/generate",
        json!({"model": "tinyllama", "keep_alive": 0}),
    )
    .await
    .json()
    .await
    .unwrap();
    assert_eq!(reply["done_reason"], "unload");
    assert_eq!(reply["model"], "tinyllama");

    let deadline = Instant::now() + Duration::from_secs(2);
    loop {
        let ps = get_json(&fake, "/api/ps").await;
        if ps["models"].as_array().unwrap().is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "still loaded: {ps}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(fake.loaded().is_empty());

    // A normal call with keep_alive 0 generates, then unloads.
    let lines = ndjson(
        post(
            &fake,
            "/api/generate",
            json!({"model": "tinyllama", "prompt": "hi", "keep_alive": "0"}),
        )
        .await,
    )
    .await;
    assert_eq!(lines.last().unwrap()["done_reason"], "stop");
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(fake.loaded().is_empty());
}

#[tokio::test]
async fn gpu_reports_everything_in_vram() {
    let fake = FakeOllama::start(Options {
        gpu: true,
        ..fast(&["qwen2.5:0.5b"])
    })
    .await
    .unwrap();
    post(&fake, "/api/generate", json!({"model": "qwen2.5:0.5b"})).await;
    let ps = get_json(&fake, "/api/ps").await;
    assert_eq!(ps["models"][0]["size_vram"], ps["models"][0]["size"]);
}
