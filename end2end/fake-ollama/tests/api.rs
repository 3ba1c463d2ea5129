//! Liveness, version, routing errors, tags, show, delete and copy against
//! the reference (`shared/reference/ollama-api.md`).

mod common;

use chrono::{DateTime, FixedOffset};
use common::*;
use fake_ollama::{FakeOllama, Options};
use reqwest::StatusCode;
use serde_json::{json, Value};

#[tokio::test]
async fn root_and_version() {
    let fake = start(&[]).await;
    let response = http().get(fake.url()).send().await.unwrap();
    assert_eq!(content_type(&response), "text/plain; charset=utf-8");
    assert_eq!(
        status_text(response).await,
        (StatusCode::OK, "Ollama is running".to_owned())
    );
    let head = http().head(fake.url()).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);

    let response = http()
        .get(format!("{}/api/version", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "application/json; charset=utf-8");
    assert_eq!(
        status_text(response).await,
        (StatusCode::OK, r#"{"version":"0.33.0-rc2"}"#.to_owned())
    );

    let custom = FakeOllama::start(Options {
        version: "0.5.7".to_owned(),
        ..Options::default()
    })
    .await
    .unwrap();
    assert_eq!(
        get_json(&custom, "/api/version").await,
        json!({"version": "0.5.7"})
    );
}

#[tokio::test]
async fn unknown_route_and_wrong_method_are_plain_text() {
    let fake = start(&[]).await;
    let response = http()
        .get(format!("{}/api/nope", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(content_type(&response), "text/plain");
    assert_eq!(
        status_text(response).await,
        (StatusCode::NOT_FOUND, "404 page not found".to_owned())
    );
    for (method, path) in [
        (reqwest::Method::POST, "/api/delete"),
        (reqwest::Method::POST, "/api/tags"),
        (reqwest::Method::GET, "/api/pull"),
    ] {
        let response = http()
            .request(method, format!("{}{path}", fake.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(
            status_text(response).await,
            (
                StatusCode::METHOD_NOT_ALLOWED,
                "405 method not allowed".to_owned()
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn tags_empty_is_an_empty_array() {
    let fake = start(&[]).await;
    let response = http()
        .get(format!("{}/api/tags", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_text(response).await,
        (StatusCode::OK, r#"{"models":[]}"#.to_owned())
    );
}

#[tokio::test]
async fn tags_lists_installed_models_newest_first() {
    let fake = start(&["llama3.2:1b", "TinyLlama"]).await;
    let tags = get_json(&fake, "/api/tags").await;
    let models = tags["models"].as_array().unwrap();
    assert_eq!(models.len(), 2);
    assert_eq!(models[0]["name"], "llama3.2:1b");
    assert_eq!(models[1]["name"], "tinyllama:latest");
    let mut previous: Option<DateTime<FixedOffset>> = None;
    for model in models {
        assert_eq!(model["model"], model["name"]);
        let modified =
            DateTime::parse_from_rfc3339(model["modified_at"].as_str().unwrap()).unwrap();
        if let Some(previous) = previous {
            assert!(modified <= previous, "newest first");
        }
        previous = Some(modified);
        let digest = model["digest"].as_str().unwrap();
        assert_eq!(digest.len(), 64);
        assert!(digest.bytes().all(|c| c.is_ascii_hexdigit()));
        assert!(model["size"].as_u64().unwrap() > 10 * MIB);
        let details = &model["details"];
        assert_eq!(details["format"], "gguf");
        assert_eq!(details["parent_model"], "");
        assert_eq!(details["family"], "llama");
        assert_eq!(details["families"], json!(["llama"]));
        assert!(details["parameter_size"].is_string());
        assert!(details["quantization_level"].is_string());
    }
    assert_eq!(fake.installed(), ["llama3.2:1b", "tinyllama:latest"]);
}

#[tokio::test]
async fn start_refuses_models_outside_the_catalog() {
    let error = FakeOllama::start(fast(&["nonexistent"]))
        .await
        .err()
        .unwrap();
    assert_eq!(error.kind(), std::io::ErrorKind::InvalidInput);
}

#[tokio::test]
async fn show_answers_and_404s() {
    let fake = start(&["llama3.2:1b"]).await;
    let response = post(&fake, "/api/show", json!({"model": "LLAMA3.2:1b"})).await;
    assert_eq!(response.status(), StatusCode::OK);
    let show: Value = response.json().await.unwrap();
    for field in [
        "modelfile",
        "parameters",
        "template",
        "license",
        "modified_at",
    ] {
        assert!(show[field].is_string(), "{field}: {show}");
    }
    assert!(show["modelfile"].as_str().unwrap().contains("FROM "));
    assert_eq!(show["details"]["family"], "llama");
    assert_eq!(show["model_info"]["general.architecture"], "llama");
    assert_eq!(show["capabilities"], json!(["completion", "tools"]));

    let response = post(&fake, "/api/show", json!({"name": "foo"})).await;
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"model 'foo:latest' not found"}"#.to_owned()
        )
    );
    let response = post(&fake, "/api/show", json!({})).await;
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"model is required"}"#.to_owned()
        )
    );
}

#[tokio::test]
async fn request_body_errors() {
    let fake = start(&[]).await;
    let response = http()
        .post(format!("{}/api/show", fake.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        status_text(response).await,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"missing request body"}"#.to_owned()
        )
    );
    let response = http()
        .post(format!("{}/api/pull", fake.url()))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"].is_string());
    let response = post(&fake, "/api/pull", json!({"model": "x", "stream": "yes"})).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

async fn delete(fake: &FakeOllama, body: Option<Value>) -> (StatusCode, String) {
    let mut request = http().delete(format!("{}/api/delete", fake.url()));
    if let Some(body) = body {
        request = request.json(&body);
    }
    status_text(request.send().await.unwrap()).await
}

#[tokio::test]
async fn delete_model() {
    let fake = start(&["tinyllama", "phi3:mini"]).await;
    assert_eq!(
        delete(&fake, Some(json!({"model": "tinyllama"}))).await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(tag_names(&fake).await, ["phi3:mini"]);
    assert_eq!(
        delete(&fake, Some(json!({"model": "tinyllama"}))).await,
        (
            StatusCode::NOT_FOUND,
            r#"{"error":"model 'tinyllama' not found"}"#.to_owned()
        )
    );
    // The deprecated field still works.
    assert_eq!(
        delete(&fake, Some(json!({"name": "phi3:mini"}))).await,
        (StatusCode::OK, String::new())
    );
    assert_eq!(
        delete(&fake, None).await,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"missing request body"}"#.to_owned()
        )
    );
    assert_eq!(
        delete(&fake, Some(json!({"model": ""}))).await,
        (
            StatusCode::BAD_REQUEST,
            r#"{"error":"model is required"}"#.to_owned()
        )
    );
}

#[tokio::test]
async fn copy_model() {
    let fake = start(&["tinyllama", "phi3:mini"]).await;
    let response = post(
        &fake,
        "/api/copy",
        json!({"source": "tinyllama", "destination": "backup"}),
    )
    .await;
    assert_eq!(status_text(response).await, (StatusCode::OK, String::new()));
    let tags = get_json(&fake, "/api/tags").await;
    let digest_of = |name: &str| {
        tags["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["digest"].clone())
            .unwrap_or_else(|| panic!("{name} not in {tags}"))
    };
    assert_eq!(digest_of("backup:latest"), digest_of("tinyllama:latest"));
    assert_eq!(
        tags["models"][0]["name"], "backup:latest",
        "a copy is the newest"
    );

    // An existing destination is overwritten.
    let response = post(
        &fake,
        "/api/copy",
        json!({"source": "phi3:mini", "destination": "backup:latest"}),
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let show: Value = post(&fake, "/api/show", json!({"model": "backup"}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(show["details"]["family"], "phi3");

    let cases = [
        (
            json!({"source": "nope", "destination": "x"}),
            StatusCode::NOT_FOUND,
            r#"{"error":"model \"nope\" not found"}"#,
        ),
        (
            json!({"source": "", "destination": "x"}),
            StatusCode::BAD_REQUEST,
            r#"{"error":"source \"\" is invalid"}"#,
        ),
        (
            json!({"source": "tinyllama", "destination": ""}),
            StatusCode::BAD_REQUEST,
            r#"{"error":"destination \"\" is invalid"}"#,
        ),
    ];
    for (body, status, expected) in cases {
        let response = post(&fake, "/api/copy", body).await;
        assert_eq!(status_text(response).await, (status, expected.to_owned()));
    }
}
