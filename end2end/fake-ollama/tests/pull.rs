//! `POST /api/pull`: the progress sequence, failures, resuming, a full disk,
//! and a server that goes down mid-pull.

mod common;

use std::collections::HashMap;
use std::time::Duration;

use common::*;
use fake_ollama::{FakeOllama, Options, PullFailure};
use reqwest::StatusCode;
use serde_json::{json, Value};

fn status(line: &Value) -> &str {
    line["status"].as_str().unwrap_or("")
}

/// The `(digest, completed)` pairs of the blob lines, in order.
fn blob_lines(lines: &[Value]) -> Vec<(String, u64, u64)> {
    lines
        .iter()
        .filter(|l| status(l).starts_with("pulling ") && status(l) != "pulling manifest")
        .map(|l| {
            (
                l["digest"].as_str().unwrap().to_owned(),
                l["total"].as_u64().unwrap(),
                l["completed"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

#[tokio::test]
async fn pull_streams_progress_then_the_model_is_installed() {
    let fake = start(&[]).await;
    let lines = ndjson(post(&fake, "/api/pull", json!({"model": "qwen2.5:0.5b"})).await).await;

    assert_eq!(
        lines.first().unwrap(),
        &json!({"status": "pulling manifest"})
    );
    let n = lines.len();
    assert_eq!(lines[n - 3], json!({"status": "verifying sha256 digest"}));
    assert_eq!(lines[n - 2], json!({"status": "writing manifest"}));
    assert_eq!(lines[n - 1], json!({"status": "success"}));

    let blobs = blob_lines(&lines);
    // 3 layers and the config, one after another, each ending complete.
    let mut order: Vec<String> = Vec::new();
    let mut last: HashMap<String, u64> = HashMap::new();
    for (line, (digest, total, completed)) in lines
        .iter()
        .filter(|l| l.get("digest").is_some())
        .zip(&blobs)
    {
        let hex = digest.strip_prefix("sha256:").unwrap();
        assert_eq!(hex.len(), 64);
        assert_eq!(status(line), format!("pulling {}", &hex[..12]));
        if order.last() != Some(digest) {
            assert!(
                !order.contains(digest),
                "blobs are pulled one after another"
            );
            order.push(digest.clone());
            if *total > 4 * MIB {
                assert!(line.get("completed").is_none(), "0 is left out: {line}");
            }
        }
        let previous = last.insert(digest.clone(), *completed).unwrap_or(0);
        assert!(*completed >= previous, "completed grows");
        assert!(completed <= total);
    }
    assert_eq!(order.len(), 4);
    for (digest, total, _) in &blobs {
        assert_eq!(last[digest], *total, "{digest} ends complete");
    }
    let weights_lines = blobs.iter().filter(|(d, ..)| *d == order[0]).count();
    assert!(weights_lines >= 4, "12 MiB at 4 MiB a tick: several lines");

    assert_eq!(tag_names(&fake).await, ["qwen2.5:0.5b"]);
    assert_eq!(fake.installed(), ["qwen2.5:0.5b"]);

    // Pulling again: every blob is on disk, one complete line each.
    let again = ndjson(post(&fake, "/api/pull", json!({"name": "qwen2.5:0.5b"})).await).await;
    let blobs = blob_lines(&again);
    assert_eq!(blobs.len(), 4);
    assert!(blobs.iter().all(|(_, total, completed)| total == completed));
    assert_eq!(status(again.last().unwrap()), "success");
}

#[tokio::test]
async fn pull_of_an_unknown_model() {
    let fake = start(&[]).await;
    let response = post(&fake, "/api/pull", json!({"model": "no-such-model"})).await;
    assert_eq!(content_type(&response), "application/x-ndjson");
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::OK,
            "{\"status\":\"pulling manifest\"}\n{\"error\":\"pull model manifest: file does not exist\"}\n"
                .to_owned()
        )
    );

    let response = post(
        &fake,
        "/api/pull",
        json!({"model": "no-such-model", "stream": false}),
    )
    .await;
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::INTERNAL_SERVER_ERROR,
            r#"{"error":"pull model manifest: file does not exist"}"#.to_owned()
        )
    );

    for body in [json!({"model": "bad name!"}), json!({})] {
        let response = post(&fake, "/api/pull", body).await;
        assert_eq!(
            status_text(response).await,
            (
                StatusCode::BAD_REQUEST,
                r#"{"error":"invalid model name"}"#.to_owned()
            )
        );
    }
}

#[tokio::test]
async fn pull_without_streaming() {
    let fake = start(&[]).await;
    let response = post(
        &fake,
        "/api/pull",
        json!({"model": "tinyllama", "stream": false}),
    )
    .await;
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    assert_eq!(
        status_text(response).await,
        (StatusCode::OK, r#"{"status":"success"}"#.to_owned())
    );
    assert_eq!(fake.installed(), ["tinyllama:latest"]);
}

#[tokio::test]
async fn failed_pull_keeps_partial_bytes_and_the_retry_resumes() {
    let fake = FakeOllama::start(Options {
        pull_bytes_per_tick: MIB,
        ..fast(&[])
    })
    .await
    .unwrap();
    fake.add_to_catalog("resumable", 10 * MIB);
    fake.fail_next_pull(
        "resumable:latest",
        3 * MIB,
        PullFailure::Error("boom".into()),
    );

    let lines = ndjson(post(&fake, "/api/pull", json!({"model": "resumable"})).await).await;
    assert_eq!(lines.last().unwrap(), &json!({"error": "boom"}));
    assert!(lines.iter().all(|l| status(l) != "success"));
    let blobs = blob_lines(&lines);
    let (weights, total, _) = blobs[0].clone();
    assert_eq!(blobs.iter().map(|b| b.2).max(), Some(3 * MIB));
    assert!(fake.installed().is_empty());

    let retry = ndjson(post(&fake, "/api/pull", json!({"model": "resumable"})).await).await;
    let blobs = blob_lines(&retry);
    assert_eq!(
        blobs[0],
        (weights.clone(), total, 3 * MIB),
        "starts at the partial bytes"
    );
    assert_eq!(
        blobs.iter().filter(|b| b.0 == weights).count(),
        1 + 7,
        "7 more ticks of 1 MiB"
    );
    assert_eq!(status(retry.last().unwrap()), "success");
    assert_eq!(fake.installed(), ["resumable:latest"]);
}

#[tokio::test]
async fn pull_cut_by_a_disconnect_then_resumed() {
    let fake = FakeOllama::start(Options {
        pull_bytes_per_tick: MIB,
        ..fast(&[])
    })
    .await
    .unwrap();
    fake.add_to_catalog("cut:v1", 6 * MIB);
    fake.fail_next_pull("cut:v1", 2 * MIB, PullFailure::Disconnect);

    let response = post(&fake, "/api/pull", json!({"model": "cut:v1"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response.text().await.is_err(), "the body must be cut");

    let retry = ndjson(post(&fake, "/api/pull", json!({"model": "cut:v1"})).await).await;
    assert_eq!(blob_lines(&retry)[0].2, 2 * MIB);
    assert_eq!(status(retry.last().unwrap()), "success");
}

#[tokio::test]
async fn full_disk_fails_in_stream() {
    let fake = start(&[]).await;
    fake.set_free_disk(Some(5 * MIB));
    let lines = ndjson(post(&fake, "/api/pull", json!({"model": "tinyllama"})).await).await;
    let weights = blob_lines(&lines)[0].0.clone();
    let hex = weights.strip_prefix("sha256:").unwrap();
    assert_eq!(
        lines.last().unwrap(),
        &json!({"error": format!(
            "write /root/.ollama/models/blobs/sha256-{hex}-partial: no space left on device"
        )})
    );
    assert!(fake.installed().is_empty());

    // With room again, the pull resumes and completes.
    fake.set_free_disk(None);
    let lines = ndjson(post(&fake, "/api/pull", json!({"model": "tinyllama"})).await).await;
    assert_eq!(blob_lines(&lines)[0].2, 5 * MIB);
    assert_eq!(status(lines.last().unwrap()), "success");
}

#[tokio::test]
async fn stop_cuts_a_running_pull_and_the_port_can_be_reused() {
    let fake = FakeOllama::start(Options {
        pull_tick: Duration::from_millis(20),
        pull_bytes_per_tick: MIB,
        ..Options::default()
    })
    .await
    .unwrap();
    let addr = fake.addr();
    let client = http();
    let mut response = client
        .post(format!("{}/api/pull", fake.url()))
        .json(&json!({"model": "phi3:mini"}))
        .send()
        .await
        .unwrap();
    let mut received = Vec::new();
    while !String::from_utf8_lossy(&received).contains("completed") {
        received.extend_from_slice(&response.chunk().await.unwrap().unwrap());
    }

    tokio::time::timeout(Duration::from_secs(2), fake.stop())
        .await
        .expect("stop returns promptly");
    let rest = tokio::time::timeout(Duration::from_secs(2), async {
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => received.extend_from_slice(&chunk),
                Ok(None) => return false,
                Err(_) => return true,
            }
        }
    })
    .await
    .expect("the stream ends once the server is down");
    assert!(rest, "the body is cut, not ended cleanly");
    assert!(!String::from_utf8_lossy(&received).contains("success"));

    let down = client.get(format!("http://{addr}/")).send().await;
    assert!(down.is_err(), "nothing listens after stop");

    let back = FakeOllama::start_on(fast(&[]), addr).await.unwrap();
    assert_eq!(back.addr(), addr);
    let response = client.get(back.url()).send().await.unwrap();
    assert_eq!(response.text().await.unwrap(), "Ollama is running");
    // The partial bytes belonged to the old process's state.
    let lines = ndjson(
        client
            .post(format!("{}/api/pull", back.url()))
            .json(&json!({"model": "phi3:mini"}))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status(lines.last().unwrap()), "success");
}
