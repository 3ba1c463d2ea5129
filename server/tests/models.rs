//! The models area against fake Ollama servers (end2end/fake-ollama, which follows Ollama
//! v0.33's documented API): servers, pull with progress, failures and resumption, delete,
//! copy, details, loaded models and unloading, the test prompt, sync, a server that is down.

mod common;

use std::time::Duration;

use axum::http::StatusCode;
use common::{call_as, error_of, get_as, test_app, TestApp, LOCAL_DOCKER};
use fake_ollama::{FakeOllama, Options, PullFailure};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A fake that pulls quickly but in many steps, so progress is seen.
fn quick() -> Options {
    Options {
        pull_tick: Duration::from_millis(2),
        pull_bytes_per_tick: 2 * 1024 * 1024,
        token_tick: Duration::from_millis(2),
        ..Options::default()
    }
}

async fn add_server(app: &TestApp, cookie: &str, name: &str, url: &str) -> i64 {
    let answer = call_as(
        &app.router,
        Some(cookie),
        "/api/models/servers/add",
        &form(&[("form[name]", name), ("form[base_url]", url)]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json().as_i64().unwrap()
}

async fn call(app: &TestApp, cookie: &str, path: &str, fields: &[(&str, &str)]) -> common::Answer {
    call_as(&app.router, Some(cookie), path, &form(fields)).await
}

/// Starts a task through `path` and waits for its end.
async fn run_task(
    app: &TestApp,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> app::tasks::TaskSnapshot {
    let answer = call(app, cookie, path, fields).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = answer.json().as_str().unwrap().to_owned();
    wait_task(app, &id).await
}

async fn wait_task(app: &TestApp, id: &str) -> app::tasks::TaskSnapshot {
    for _ in 0..600 {
        let task = app.state.tasks.get(id).await.unwrap();
        if task.status.is_finished() {
            return task;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("task {id} did not finish within 30 s");
}

async fn overview(app: &TestApp, cookie: &str) -> serde_json::Value {
    let answer = call(app, cookie, "/api/models/overview", &[]).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

async fn audit_actions(app: &TestApp) -> Vec<(String, String, String)> {
    sqlx::query_as("SELECT action, target, result FROM audit_log WHERE area = 'models' ORDER BY id")
        .fetch_all(&app.state.db)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_pull_shows_progress_per_layer_and_the_model_appears_with_its_details() {
    // About twenty steps of 10 ms: slow enough to watch the bar move.
    let ollama = FakeOllama::start(Options {
        pull_tick: Duration::from_millis(10),
        pull_bytes_per_tick: 1024 * 1024,
        ..quick()
    })
    .await
    .unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "gpu-box", &ollama.url()).await;
    let server_id = server.to_string();

    // The server is listed as reachable with its version, and empty.
    let page = overview(&app, &cookie).await;
    let listed = &page["servers"][0];
    assert_eq!(listed["server"]["name"], "gpu-box");
    assert_eq!(listed["reachable"]["Ok"], "0.33.0-rc2");
    assert_eq!(listed["models"].as_array().unwrap().len(), 0);

    // Watch the task while it runs: the bar moves and every layer gets its own line.
    let answer = call(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server_id), ("model", "tinyllama")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let task_id = answer.json().as_str().unwrap().to_owned();
    let mut seen_fractions = Vec::new();
    if let Some(mut live) = app.state.tasks.subscribe(&task_id) {
        while live.changed().await.is_ok() {
            if let Some(fraction) = live.borrow().fraction {
                seen_fractions.push(fraction);
            }
        }
    }
    let task = wait_task(&app, &task_id).await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    assert_eq!(task.target, "gpu-box/tinyllama:latest");
    assert!(
        seen_fractions.iter().any(|f| *f > 0.0 && *f < 1.0),
        "the bar moved through partial values: {seen_fractions:?}"
    );
    assert_eq!(task.percent(), Some(100));
    assert!(
        task.parts.len() >= 2,
        "one line per layer: {:?}",
        task.parts
    );
    for part in &task.parts {
        assert!(part.label.starts_with("layer "), "{part:?}");
        assert_eq!(
            Some(part.done),
            part.total,
            "every layer complete: {part:?}"
        );
    }
    assert_eq!(task.bytes_done, task.bytes_total);
    assert!(task.bytes_total.unwrap() > 0);

    // The model is listed with its facts, and the totals add up.
    assert_eq!(ollama.installed(), vec!["tinyllama:latest".to_owned()]);
    let page = overview(&app, &cookie).await;
    let models = page["servers"][0]["models"].as_array().unwrap().clone();
    assert_eq!(models.len(), 1);
    let model = &models[0];
    assert_eq!(model["name"], "tinyllama:latest");
    assert!(model["size"].as_u64().unwrap() > 0);
    assert!(!model["family"].as_str().unwrap().is_empty());
    assert!(!model["parameter_size"].as_str().unwrap().is_empty());
    assert!(!model["quantization"].as_str().unwrap().is_empty());
    assert!(model["modified_at"].is_string());
    let html = get_as(&app.router, Some(&cookie), "/models").await;
    assert_eq!(html.status, StatusCode::OK);
    assert!(html.body.contains("tinyllama:latest"), "{}", html.body);
    assert!(
        html.body.contains("1 model · 20.0 MiB in all"),
        "the disk total is shown"
    );

    // Details: modelfile, template, license.
    let details = call(
        &app,
        &cookie,
        "/api/models/details",
        &[("server", &server_id), ("model", "tinyllama:latest")],
    )
    .await;
    assert_eq!(details.status, StatusCode::OK, "{}", details.body);
    let details = details.json();
    assert!(details["modelfile"].as_str().unwrap().contains("FROM"));
    assert!(!details["template"].as_str().unwrap().is_empty());
    assert!(!details["license"].as_str().unwrap().is_empty());
    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/models/details?server={server}&model=tinyllama:latest"),
    )
    .await;
    assert!(page.body.contains("Modelfile") && page.body.contains("License"));

    // Pulling what is there already is quick and says each layer is present.
    let again = run_task(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server_id), ("model", "tinyllama:latest")],
    )
    .await;
    assert_eq!(again.status, app::tasks::TaskStatus::Succeeded);
    assert!(again
        .log
        .iter()
        .any(|line| line.line.contains("already on the server")));

    let audit = audit_actions(&app).await;
    assert!(audit.contains(&(
        "pull".to_owned(),
        "gpu-box/tinyllama:latest".to_owned(),
        "ok".to_owned()
    )));
    assert_eq!(audit[0].0, "add server");
    ollama.stop().await;
}

#[tokio::test]
async fn a_pull_that_fails_half_way_resumes_when_pulled_again() {
    let ollama = FakeOllama::start(quick()).await.unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "lab", &ollama.url())
        .await
        .to_string();
    let pull = [("server", server.as_str()), ("model", "llama3.2:1b")];

    // The registry connection breaks after 8 MiB: Ollama reports it in the stream.
    ollama.fail_next_pull(
        "llama3.2:1b",
        8 * 1024 * 1024,
        PullFailure::Error("max retries exceeded: unexpected EOF".to_owned()),
    );
    let failed = run_task(&app, &cookie, "/api/models/pull", &pull).await;
    assert_eq!(failed.status, app::tasks::TaskStatus::Failed);
    assert!(
        failed.message.contains("unexpected EOF") && failed.message.contains("Pull again"),
        "{}",
        failed.message
    );
    let stopped_at = failed.bytes_done.unwrap();
    assert!(stopped_at >= 8 * 1024 * 1024, "{stopped_at}");
    assert!(failed.percent().unwrap() < 100);
    assert!(ollama.installed().is_empty());

    // Pulling again starts from what was kept, not from zero.
    let resumed = run_task(&app, &cookie, "/api/models/pull", &pull).await;
    assert_eq!(
        resumed.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        resumed.message
    );
    let resume_line = resumed
        .log
        .iter()
        .find(|line| line.line.contains("resuming at"))
        .unwrap_or_else(|| panic!("no resume in {:?}", resumed.log));
    assert!(resume_line.line.contains("kept from an earlier attempt"));
    assert_eq!(ollama.installed(), vec!["llama3.2:1b".to_owned()]);

    let audit = audit_actions(&app).await;
    assert!(audit.contains(&(
        "pull".to_owned(),
        "lab/llama3.2:1b".to_owned(),
        "failed".to_owned()
    )));
    ollama.stop().await;
}

#[tokio::test]
async fn unknown_models_full_disks_and_bad_names_get_plain_sentences() {
    let ollama = FakeOllama::start(quick()).await.unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "lab", &ollama.url())
        .await
        .to_string();

    let unknown = run_task(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server), ("model", "no-such-model:7b")],
    )
    .await;
    assert_eq!(unknown.status, app::tasks::TaskStatus::Failed);
    assert!(
        unknown
            .message
            .starts_with("There is no model named no-such-model:7b"),
        "{}",
        unknown.message
    );

    ollama.set_free_disk(Some(1024 * 1024));
    let full = run_task(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server), ("model", "qwen2.5:0.5b")],
    )
    .await;
    assert_eq!(full.status, app::tasks::TaskStatus::Failed);
    assert!(
        full.message.contains("no disk space left"),
        "{}",
        full.message
    );
    ollama.set_free_disk(None);

    // A bad name never reaches Ollama.
    let bad = call(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server), ("model", "llama 3; rm -rf /")],
    )
    .await;
    let (kind, sentence) = error_of(&bad);
    assert_eq!(kind, "Invalid");
    assert!(sentence.contains("for example llama3.2"), "{sentence}");

    // Unknown model for details, delete and copy: not found, said plainly.
    for (path, fields) in [
        (
            "/api/models/details",
            vec![("server", server.as_str()), ("model", "ghost")],
        ),
        (
            "/api/models/delete",
            vec![("server", server.as_str()), ("model", "ghost")],
        ),
        (
            "/api/models/copy",
            vec![
                ("server", server.as_str()),
                ("source", "ghost"),
                ("destination", "ghost2"),
            ],
        ),
    ] {
        let answer = call(&app, &cookie, path, &fields).await;
        let (kind, sentence) = error_of(&answer);
        assert_eq!(kind, "NotFound", "{path}");
        assert!(
            sentence.contains("ghost") && sentence.contains("Ollama says"),
            "{sentence}"
        );
    }

    // Server form: bad address and taken name.
    let bad_url = call(
        &app,
        &cookie,
        "/api/models/servers/add",
        &[
            ("form[name]", "x"),
            ("form[base_url]", "file:///etc/passwd"),
        ],
    )
    .await;
    assert!(error_of(&bad_url).1.contains("only http and https"));
    let taken = call(
        &app,
        &cookie,
        "/api/models/servers/add",
        &[
            ("form[name]", "lab"),
            ("form[base_url]", "http://127.0.0.1:1"),
        ],
    )
    .await;
    assert_eq!(error_of(&taken).0, "Conflict");
    ollama.stop().await;
}

#[tokio::test]
async fn delete_copy_and_unload_change_the_server() {
    let ollama = FakeOllama::start(Options {
        installed: vec!["phi3:mini".to_owned()],
        gpu: true,
        ..quick()
    })
    .await
    .unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "lab", &ollama.url())
        .await
        .to_string();

    let copied = call(
        &app,
        &cookie,
        "/api/models/copy",
        &[
            ("server", &server),
            ("source", "phi3:mini"),
            ("destination", "phi3:team"),
        ],
    )
    .await;
    assert_eq!(copied.status, StatusCode::OK, "{}", copied.body);
    let mut installed = ollama.installed();
    installed.sort();
    assert_eq!(
        installed,
        vec!["phi3:mini".to_owned(), "phi3:team".to_owned()]
    );

    // A test prompt loads the model: it shows as loaded, all in VRAM.
    let prompt = run_task(
        &app,
        &cookie,
        "/api/models/prompt",
        &[
            ("server", &server),
            ("model", "phi3:mini"),
            ("prompt", "Say hello."),
        ],
    )
    .await;
    assert_eq!(
        prompt.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        prompt.message
    );
    let page = overview(&app, &cookie).await;
    let loaded = page["servers"][0]["loaded"].as_array().unwrap().clone();
    assert_eq!(loaded.len(), 1, "{loaded:?}");
    assert_eq!(loaded[0]["name"], "phi3:mini");
    assert_eq!(loaded[0]["size_vram"], loaded[0]["size"]);
    assert!(loaded[0]["expires_at"].is_string());

    let unloaded = call(
        &app,
        &cookie,
        "/api/models/unload",
        &[("server", &server), ("model", "phi3:mini")],
    )
    .await;
    assert_eq!(unloaded.status, StatusCode::OK, "{}", unloaded.body);
    assert!(
        ollama.loaded().is_empty(),
        "unload waits until Ollama let go"
    );
    let page = overview(&app, &cookie).await;
    assert_eq!(page["servers"][0]["loaded"].as_array().unwrap().len(), 0);

    let deleted = call(
        &app,
        &cookie,
        "/api/models/delete",
        &[("server", &server), ("model", "phi3:team")],
    )
    .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    assert_eq!(ollama.installed(), vec!["phi3:mini".to_owned()]);

    let actions: Vec<String> = audit_actions(&app)
        .await
        .into_iter()
        .map(|(a, ..)| a)
        .collect();
    for action in ["copy", "test prompt", "unload", "delete"] {
        assert!(
            actions.iter().any(|a| a == action),
            "{action} audited: {actions:?}"
        );
    }
    ollama.stop().await;
}

#[tokio::test]
async fn a_test_prompt_streams_its_answer_and_measures_it() {
    let ollama = FakeOllama::start(Options {
        installed: vec!["qwen2.5:0.5b".to_owned()],
        token_tick: Duration::from_millis(30),
        ..quick()
    })
    .await
    .unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "lab", &ollama.url())
        .await
        .to_string();
    let answer = call(
        &app,
        &cookie,
        "/api/models/prompt",
        &[
            ("server", &server),
            ("model", "qwen2.5:0.5b"),
            ("prompt", "Why is the sky blue?"),
        ],
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let id = answer.json().as_str().unwrap().to_owned();

    // The answer grows while the task runs: seen partly written before it ends.
    let mut partial_seen = false;
    if let Some(mut live) = app.state.tasks.subscribe(&id) {
        while live.changed().await.is_ok() {
            let task = live.borrow().clone();
            if !task.status.is_finished() && !task.output.is_empty() {
                partial_seen = true;
            }
        }
    }
    let task = wait_task(&app, &id).await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    assert!(partial_seen, "the answer streamed");
    assert!(
        task.output.contains("Why is the sky blue?"),
        "{}",
        task.output
    );
    let measure: app::models::PromptMeasure =
        serde_json::from_str(task.result.as_deref().unwrap()).unwrap();
    assert!(measure.first_token_ms.is_some());
    assert!(measure.tokens.unwrap() > 1);
    assert!(measure.tokens_per_second.unwrap() > 0.0);
    assert!(
        task.message.starts_with("First token after"),
        "{}",
        task.message
    );

    // The model's page shows the answer and the measures.
    let page = get_as(
        &app.router,
        Some(&cookie),
        &format!("/models/details?server={server}&model=qwen2.5:0.5b"),
    )
    .await;
    assert!(page.body.contains("tokens/s"), "{}", page.body);

    // An empty prompt and an unknown model are refused plainly.
    let empty = call(
        &app,
        &cookie,
        "/api/models/prompt",
        &[
            ("server", &server),
            ("model", "qwen2.5:0.5b"),
            ("prompt", "  "),
        ],
    )
    .await;
    assert!(error_of(&empty).1.starts_with("Prompt: write something"));
    let unknown = call(
        &app,
        &cookie,
        "/api/models/prompt",
        &[("server", &server), ("model", "ghost"), ("prompt", "hi")],
    )
    .await;
    let id = unknown.json().as_str().unwrap().to_owned();
    let task = wait_task(&app, &id).await;
    assert_eq!(task.status, app::tasks::TaskStatus::Failed);
    assert!(task.message.contains("not found"), "{}", task.message);
    ollama.stop().await;
}

#[tokio::test]
async fn sync_puts_a_model_on_every_chosen_server_with_one_progress_view() {
    let first = FakeOllama::start(Options {
        installed: vec!["tinyllama:latest".to_owned()],
        ..quick()
    })
    .await
    .unwrap();
    let second = FakeOllama::start(quick()).await.unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let a = add_server(&app, &cookie, "alpha", &first.url())
        .await
        .to_string();
    let b = add_server(&app, &cookie, "beta", &second.url())
        .await
        .to_string();

    let task = run_task(
        &app,
        &cookie,
        "/api/models/sync",
        &[
            ("form[model]", "tinyllama"),
            ("form[servers][]", &a),
            ("form[servers][]", &b),
        ],
    )
    .await;
    assert_eq!(
        task.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        task.message
    );
    let notes: Vec<(String, String)> = task
        .parts
        .iter()
        .map(|part| (part.label.clone(), part.note.clone()))
        .collect();
    assert_eq!(
        notes,
        vec![
            ("alpha".to_owned(), "already present".to_owned()),
            ("beta".to_owned(), "pulled".to_owned())
        ]
    );
    assert_eq!(second.installed(), vec!["tinyllama:latest".to_owned()]);
    assert!(
        task.message.contains("on all 2 servers (1 pulled it now)"),
        "{}",
        task.message
    );

    // With one server down, the others still get the model and the task names the failure.
    let third = FakeOllama::start(quick()).await.unwrap();
    let c = add_server(&app, &cookie, "gamma", &third.url())
        .await
        .to_string();
    third.stop().await;
    let task = run_task(
        &app,
        &cookie,
        "/api/models/sync",
        &[
            ("form[model]", "phi3:mini"),
            ("form[servers][]", &a),
            ("form[servers][]", &c),
        ],
    )
    .await;
    assert_eq!(task.status, app::tasks::TaskStatus::Failed);
    assert!(task.message.contains("gamma"), "{}", task.message);
    assert!(first.installed().contains(&"phi3:mini".to_owned()));

    let none = call(
        &app,
        &cookie,
        "/api/models/sync",
        &[("form[model]", "phi3:mini")],
    )
    .await;
    assert!(error_of(&none)
        .1
        .starts_with("Servers: choose at least one"));
    first.stop().await;
    second.stop().await;
}

#[tokio::test]
async fn a_server_that_is_down_or_goes_down_mid_pull_is_said_plainly() {
    let ollama = FakeOllama::start(Options {
        pull_tick: Duration::from_millis(20),
        pull_bytes_per_tick: 1024 * 1024,
        ..Options::default()
    })
    .await
    .unwrap();
    let address = ollama.addr();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "flaky", &ollama.url())
        .await
        .to_string();

    // Down in the middle of a pull: the task fails with a sentence, it does not hang.
    let answer = call(
        &app,
        &cookie,
        "/api/models/pull",
        &[("server", &server), ("model", "llama3.2:1b")],
    )
    .await;
    let id = answer.json().as_str().unwrap().to_owned();
    for _ in 0..200 {
        if app
            .state
            .tasks
            .get(&id)
            .await
            .unwrap()
            .bytes_done
            .unwrap_or(0)
            > 0
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    ollama.stop().await;
    let task = wait_task(&app, &id).await;
    assert_eq!(task.status, app::tasks::TaskStatus::Failed);
    assert!(
        task.message
            .contains("before the pull of llama3.2:1b finished")
            && task.message.contains("pull again"),
        "{}",
        task.message
    );

    // Down: the page lists it as unreachable with the reason, and actions say so.
    let page = overview(&app, &cookie).await;
    let reason = page["servers"][0]["reachable"]["Err"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(reason.contains("refused the connection"), "{reason}");
    let html = get_as(&app.router, Some(&cookie), "/models").await;
    assert!(html.body.contains(r#"data-server-state="unreachable""#));
    let delete = call(
        &app,
        &cookie,
        "/api/models/delete",
        &[("server", &server), ("model", "x")],
    )
    .await;
    let (kind, sentence) = error_of(&delete);
    assert_eq!(kind, "EngineUnavailable");
    assert!(
        sentence.starts_with("The Ollama server flaky"),
        "{sentence}"
    );

    // Back on the same address: reachable again.
    let back = FakeOllama::start_on(Options::default(), address)
        .await
        .unwrap();
    let page = overview(&app, &cookie).await;
    assert!(page["servers"][0]["reachable"]["Ok"].is_string(), "{page}");
    back.stop().await;
}

#[tokio::test]
async fn the_llm_stack_form_creates_both_services_and_lists_the_ollama_server() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let suffix = std::process::id();
    let (ollama, webui) = (format!("ollama-t{suffix}"), format!("webui-t{suffix}"));
    let network = format!("{ollama}-net");
    let fields = [
        ("form[host]", "local"),
        ("form[ollama_name]", ollama.as_str()),
        ("form[ollama_port]", "11999"),
        ("form[webui_name]", webui.as_str()),
        ("form[webui_port]", "13999"),
        ("form[webui_url]", "https://chat.lab.example"),
        ("form[github_client_id]", "Iv1.team"),
        ("form[github_client_secret]", "gh-s3cret-value"),
        ("form[gpu]", "none"),
    ];

    // A missing value is named and nothing is created.
    let mut incomplete = fields;
    incomplete[5] = ("form[webui_url]", "");
    let refused = call(&app, &cookie, "/api/models/stack/create", &incomplete).await;
    assert_eq!(error_of(&refused).1, "Open WebUI address: this is needed.");
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM services")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(count, 0);

    let created = call(&app, &cookie, "/api/models/stack/create", &fields).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let specs: Vec<(String, String)> =
        sqlx::query_as("SELECT name, spec FROM services ORDER BY id")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(specs.len(), 2);
    assert_eq!(specs[0].0, ollama);
    assert!(specs[0].1.contains("ollama/ollama"));
    assert!(specs[0].1.contains(r#""gpus":null"#), "{}", specs[0].1);
    assert!(
        specs[1]
            .1
            .contains(&format!("OLLAMA_BASE_URL\",\"http://{ollama}:11434")),
        "{}",
        specs[1].1
    );
    for (_, spec) in &specs {
        assert!(
            !spec.contains("gh-s3cret-value"),
            "the secret is not in the definition"
        );
    }
    let sealed: Vec<String> = sqlx::query_scalar("SELECT sealed FROM service_secrets")
        .fetch_all(&app.state.db)
        .await
        .unwrap();
    assert_eq!(sealed.len(), 2, "client secret and session key");
    assert!(sealed
        .iter()
        .all(|value| !value.contains("gh-s3cret-value")));

    // The network Open WebUI finds Ollama on exists; the Ollama service is a listed server.
    let docker = common::docker();
    docker
        .inspect_network(
            &network,
            None::<bollard::query_parameters::InspectNetworkOptions>,
        )
        .await
        .expect("the stack's network was created");
    let page = overview(&app, &cookie).await;
    let server = &page["servers"][0]["server"];
    assert_eq!(server["name"], ollama.as_str());
    assert_eq!(server["base_url"], "http://127.0.0.1:11999");
    assert_eq!(server["service"], ollama.as_str());
    docker.remove_network(&network).await.unwrap();
}

#[tokio::test]
async fn a_cancelled_pull_stops_and_pulling_again_resumes() {
    let ollama = FakeOllama::start(Options {
        pull_tick: Duration::from_millis(20),
        pull_bytes_per_tick: 1024 * 1024,
        ..Options::default()
    })
    .await
    .unwrap();
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let server = add_server(&app, &cookie, "lab", &ollama.url())
        .await
        .to_string();
    let pull = [("server", server.as_str()), ("model", "phi3:mini")];
    let answer = call(&app, &cookie, "/api/models/pull", &pull).await;
    let id = answer.json().as_str().unwrap().to_owned();
    for _ in 0..200 {
        if app
            .state
            .tasks
            .get(&id)
            .await
            .unwrap()
            .bytes_done
            .unwrap_or(0)
            >= 4 * 1024 * 1024
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // A second pull of the same model while the first runs is refused, pointing at it.
    let twice = call(&app, &cookie, "/api/models/pull", &pull).await;
    let (kind, sentence) = error_of(&twice);
    assert_eq!(kind, "Conflict");
    assert!(sentence.contains("already being pulled"), "{sentence}");

    let cancelled = call(&app, &cookie, "/api/tasks/cancel", &[("id", &id)]).await;
    assert_eq!(cancelled.status, StatusCode::OK, "{}", cancelled.body);
    let task = wait_task(&app, &id).await;
    assert_eq!(task.status, app::tasks::TaskStatus::Cancelled);
    assert!(ollama.installed().is_empty());

    let resumed = run_task(&app, &cookie, "/api/models/pull", &pull).await;
    assert_eq!(
        resumed.status,
        app::tasks::TaskStatus::Succeeded,
        "{}",
        resumed.message
    );
    assert!(
        resumed
            .log
            .iter()
            .any(|line| line.line.contains("resuming at")),
        "{:?}",
        resumed.log
    );
    ollama.stop().await;
}
