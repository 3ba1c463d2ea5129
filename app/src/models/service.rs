//! The logic of the models area: servers, and what is done to models on them.

use std::time::{Duration, Instant};

use futures::future::join_all;

use super::ollama::{utc, OllamaClient, PullProgress, StreamError};
use super::{
    store, task_target, validate, LoadedModel, ModelDetails, ModelRow, ModelsOverview,
    OllamaServer, PromptMeasure, ServerForm, ServerModels, PROMPT_TASK, PULL_TASK, SYNC_TASK,
};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::docker::DockerEndpoint;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::services::ServiceSpec;
use crate::tasks::service::TaskHandle;
use crate::tasks::TaskStatus;

/// Ollama's port inside its container.
const OLLAMA_PORT: u16 = 11434;
/// How many recent pulls and syncs the page lists.
const RECENT_TASKS: i64 = 8;
/// The longest test prompt accepted.
const MAX_PROMPT: usize = 8_000;
/// How long an unload is waited for before the page is told it is under way.
const UNLOAD_WAIT: Duration = Duration::from_secs(5);

/// How long the page waits for one server; a slower one is shown as not answering.
const PAGE_ASK_LIMIT: Duration = Duration::from_secs(5);

const AREA: &str = "models";

pub async fn overview(state: &AppState) -> Result<ModelsOverview, AppError> {
    let servers = store::list_servers(&state.db).await?;
    let servers = join_all(servers.into_iter().map(|server| async move {
        let fallback = server.clone();
        tokio::time::timeout(PAGE_ASK_LIMIT, server_models(server))
            .await
            .unwrap_or_else(|_| ServerModels {
                reachable: Err(format!(
                    "The Ollama server {} ({}) did not answer within {} seconds.",
                    fallback.name,
                    fallback.base_url,
                    PAGE_ASK_LIMIT.as_secs()
                )),
                models: Vec::new(),
                loaded: Vec::new(),
                server: fallback,
            })
    }))
    .await;
    let mut tasks = state.tasks.recent(PULL_TASK, RECENT_TASKS).await?;
    tasks.extend(state.tasks.recent(SYNC_TASK, RECENT_TASKS).await?);
    tasks.sort_by_key(|task| std::cmp::Reverse(task.created_at));
    tasks.truncate(RECENT_TASKS as usize);
    let ollama_services = service_choices(state).await?;
    Ok(ModelsOverview {
        servers,
        tasks,
        ollama_services,
        actions_allowed: false,
    })
}

/// Asks one server for its version, models and loaded models, all at once.
async fn server_models(server: OllamaServer) -> ServerModels {
    let mut answer = ServerModels {
        reachable: Err(String::new()),
        models: Vec::new(),
        loaded: Vec::new(),
        server,
    };
    let client = match client_for(&answer.server) {
        Ok(client) => client,
        Err(error) => {
            answer.reachable = Err(error.to_string());
            return answer;
        }
    };
    let (version, tags, ps) = tokio::join!(client.version(), client.tags(), client.ps());
    answer.reachable = version.map_err(|error| error.to_string());
    if answer.reachable.is_err() {
        return answer;
    }
    match tags {
        Ok(tags) => {
            answer.models = tags
                .into_iter()
                .map(|tag| ModelRow {
                    name: tag.name,
                    size: tag.size,
                    digest: tag.digest,
                    family: tag.details.family.unwrap_or_default(),
                    parameter_size: tag.details.parameter_size.unwrap_or_default(),
                    quantization: tag.details.quantization_level.unwrap_or_default(),
                    modified_at: utc(tag.modified_at),
                })
                .collect()
        }
        Err(error) => answer.reachable = Err(error.to_string()),
    }
    // Servers before v0.1.38 have no /api/ps; they simply show nothing loaded.
    if let Ok(ps) = ps {
        answer.loaded = ps
            .into_iter()
            .map(|entry| LoadedModel {
                name: entry.name,
                size: entry.size,
                size_vram: entry.size_vram.min(entry.size),
                expires_at: utc(entry.expires_at),
                context_length: entry.context_length,
            })
            .collect();
    }
    answer
}

fn client_for(server: &OllamaServer) -> Result<OllamaClient, AppError> {
    OllamaClient::new(
        &format!("{} ({})", server.name, server.base_url),
        &server.base_url,
    )
}

async fn server(state: &AppState, id: i64) -> Result<(OllamaServer, OllamaClient), AppError> {
    let server = store::get_server(&state.db, id).await?.ok_or_else(|| {
        AppError::not_found(format!(
            "There is no Ollama server with id {id}; it may have been removed."
        ))
    })?;
    let client = client_for(&server)?;
    Ok((server, client))
}

// ---------------------------------------------------------------------------------------
// Servers

/// Ollama services of the containers area, as (id, "name on host, port P").
async fn service_choices(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    let services = store::ollama_services(&state.db).await?;
    Ok(services
        .into_iter()
        .filter_map(|(id, name, host, spec)| {
            let spec: ServiceSpec = serde_json::from_str(&spec).ok()?;
            let port = ollama_port(&spec)?;
            Some((id, format!("{name} on {host}, port {}", port.host_port)))
        })
        .collect())
}

fn ollama_port(spec: &ServiceSpec) -> Option<&crate::services::PortMapping> {
    spec.ports
        .iter()
        .find(|port| port.container_port == OLLAMA_PORT && port.protocol == "tcp")
}

/// The address of an Ollama service: the host's address and the port it publishes.
async fn service_address(state: &AppState, id: i64) -> Result<(String, String), AppError> {
    let services = store::ollama_services(&state.db).await?;
    let Some((_, name, host_id, spec)) = services.into_iter().find(|(found, ..)| *found == id)
    else {
        return Err(AppError::invalid(
            "Service: choose one of the Ollama services listed, or give an address.",
        ));
    };
    let spec: ServiceSpec = serde_json::from_str(&spec).map_err(AppError::internal)?;
    let port = ollama_port(&spec).ok_or_else(|| {
        AppError::invalid(format!(
            "Service: {name} does not publish Ollama's port {OLLAMA_PORT}. Add a port such as 11434:11434 to it, or give the address."
        ))
    })?;
    // Where the engine runs: a remote host's address, or this machine for the local one.
    let remote_host = match state
        .fleet
        .host(&host_id)
        .map(|host| host.engine.endpoint().clone())
    {
        Some(DockerEndpoint::Tcp(address) | DockerEndpoint::Tls { address, .. }) => Some(
            address
                .rsplit_once(':')
                .map_or(address.clone(), |(host, _)| host.to_owned()),
        ),
        _ => None,
    };
    let published_on = port
        .host_ip
        .clone()
        .filter(|ip| !matches!(ip.as_str(), "0.0.0.0" | "::" | ""));
    let loopback = |ip: &str| ip.starts_with("127.") || ip == "::1";
    let host = match (published_on, remote_host) {
        (Some(ip), Some(remote)) if loopback(&ip) => {
            return Err(AppError::invalid(format!(
                "Service: {name} publishes Ollama on the loopback address of {remote} only, which caretaker cannot reach from here. Publish the port on an address caretaker can reach, or give the address."
            )))
        }
        (Some(ip), _) if ip.contains(':') => format!("[{ip}]"),
        (Some(ip), _) => ip,
        (None, Some(remote)) => remote,
        (None, None) => "127.0.0.1".to_owned(),
    };
    Ok((name, format!("http://{host}:{}", port.host_port)))
}

pub async fn add_server(
    state: &AppState,
    actor: &Actor,
    form: &ServerForm,
) -> Result<i64, AppError> {
    let service_id = match form.service.trim() {
        "" => None,
        id => Some(id.parse::<i64>().map_err(|_| {
            AppError::invalid("Service: choose one of the Ollama services listed.")
        })?),
    };
    let (name, base_url) = match service_id {
        Some(id) => {
            let (service_name, url) = service_address(state, id).await?;
            let name = if form.name.trim().is_empty() {
                service_name
            } else {
                form.name.clone()
            };
            (name, url)
        }
        None => (form.name.clone(), form.base_url.clone()),
    };
    let name = validate::server_name(&name).map_err(AppError::Invalid)?;
    let base_url = validate::base_url(&base_url).map_err(AppError::Invalid)?;
    let id = store::insert_server(&state.db, &name, &base_url, service_id)
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "A server named {name} or at {base_url} is already listed."
            ))
        })?;
    record(
        &state.db,
        actor,
        AREA,
        "add server",
        &name,
        Outcome::Ok,
        &base_url,
    )
    .await;
    Ok(id)
}

pub async fn remove_server(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete_server(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This Ollama server was already removed."))?;
    record(
        &state.db,
        actor,
        AREA,
        "remove server",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Models

pub async fn details(
    state: &AppState,
    server_id: i64,
    model: &str,
) -> Result<ModelDetails, AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    let (server, client) = server(state, server_id).await?;
    let show = client.show(&model).await?;
    let mut info: Vec<(String, String)> = show
        .model_info
        .iter()
        // Token lists and other arrays are long and say nothing to a reader.
        .filter(|(_, value)| !value.is_array() && !value.is_object())
        .map(|(key, value)| {
            let text = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            (key.clone(), text)
        })
        .collect();
    info.sort();
    let last_prompt = state
        .tasks
        .latest(
            PROMPT_TASK,
            &task_target(&server.name, &validate::canonical(&model)),
            None,
        )
        .await?;
    Ok(ModelDetails {
        name: model,
        family: show.details.family.unwrap_or_default(),
        parameter_size: show.details.parameter_size.unwrap_or_default(),
        quantization: show.details.quantization_level.unwrap_or_default(),
        format: show.details.format.unwrap_or_default(),
        capabilities: show.capabilities,
        modelfile: show.modelfile,
        parameters: show.parameters,
        template: show.template,
        system: show.system,
        license: show.license,
        info,
        last_prompt,
        server,
        actions_allowed: false,
    })
}

pub async fn delete(
    state: &AppState,
    actor: &Actor,
    server_id: i64,
    model: &str,
) -> Result<(), AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    let (server, client) = server(state, server_id).await?;
    let outcome = client.delete(&model).await;
    audit_outcome(
        state,
        actor,
        "delete",
        &task_target(&server.name, &model),
        "",
        &outcome,
    )
    .await;
    outcome
}

pub async fn copy(
    state: &AppState,
    actor: &Actor,
    server_id: i64,
    source: &str,
    destination: &str,
) -> Result<(), AppError> {
    let source = validate::model_name(source).map_err(AppError::Invalid)?;
    let destination = validate::model_name(destination)
        .map_err(|error| AppError::Invalid(error.replacen("Model:", "New name:", 1)))?;
    if validate::same_model(&source, &destination) {
        return Err(AppError::invalid(
            "New name: it is the model's own name; give another name or tag.",
        ));
    }
    let (server, client) = server(state, server_id).await?;
    let outcome = client.copy(&source, &destination).await;
    let target = task_target(&server.name, &source);
    let detail = format!("as {destination}");
    audit_outcome(state, actor, "copy", &target, &detail, &outcome).await;
    outcome
}

/// Unloads a model and waits briefly until Ollama no longer lists it as loaded.
pub async fn unload(
    state: &AppState,
    actor: &Actor,
    server_id: i64,
    model: &str,
) -> Result<(), AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    let (server, client) = server(state, server_id).await?;
    let outcome = client.unload(&model).await;
    audit_outcome(
        state,
        actor,
        "unload",
        &task_target(&server.name, &model),
        "",
        &outcome,
    )
    .await;
    outcome?;
    // Ollama unloads asynchronously; wait so the page the admin sees next is right.
    let still_loaded = async {
        loop {
            match client.ps().await {
                Ok(loaded)
                    if loaded
                        .iter()
                        .any(|entry| validate::same_model(&entry.name, &model)) =>
                {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                _ => break,
            }
        }
    };
    // Past the wait the unload goes on in Ollama; the page shows it once done.
    let _ = tokio::time::timeout(UNLOAD_WAIT, still_loaded).await;
    Ok(())
}

async fn audit_outcome(
    state: &AppState,
    actor: &Actor,
    action: &str,
    target: &str,
    detail: &str,
    outcome: &Result<(), AppError>,
) {
    let (result, detail) = match outcome {
        Ok(()) => (Outcome::Ok, detail.to_owned()),
        Err(error) => (Outcome::Failed, error.to_string()),
    };
    record(&state.db, actor, AREA, action, target, result, &detail).await;
}

// ---------------------------------------------------------------------------------------
// Pull and sync

/// Starts pulling `model` onto a server as a task; answers the task's id.
pub async fn pull(
    state: &AppState,
    actor: &Actor,
    server_id: i64,
    model: &str,
) -> Result<String, AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    let (server, client) = server(state, server_id).await?;
    let target = task_target(&server.name, &validate::canonical(&model));
    if let Some(running) = state
        .tasks
        .latest(PULL_TASK, &target, Some(TaskStatus::Running))
        .await?
    {
        return Err(AppError::Conflict(format!(
            "{model} is already being pulled onto {} (task {}); follow its progress on the models page.",
            server.name, running.id
        )));
    }
    audited_task(
        state,
        actor,
        PULL_TASK,
        "pull",
        &target,
        move |task| async move {
            pull_with_progress(&client, &model, &task)
                .await
                .map(|()| None)
        },
    )
    .await
}

/// Starts `work` as a task and audits it twice: when it starts, and how it ended.
async fn audited_task<F, Fut>(
    state: &AppState,
    actor: &Actor,
    kind: &str,
    action: &'static str,
    target: &str,
    work: F,
) -> Result<String, AppError>
where
    F: FnOnce(TaskHandle) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Option<serde_json::Value>, AppError>> + Send + 'static,
{
    record(
        &state.db,
        actor,
        AREA,
        action,
        target,
        Outcome::Ok,
        "started",
    )
    .await;
    let (db, actor, audit_target) = (state.db.clone(), actor.clone(), target.to_owned());
    state
        .tasks
        .start(kind, target, move |task| async move {
            let outcome = work(task).await;
            let (result, detail) = match &outcome {
                Ok(_) => (Outcome::Ok, "finished".to_owned()),
                Err(error) => (Outcome::Failed, error.to_string()),
            };
            record(&db, &actor, AREA, action, &audit_target, result, &detail).await;
            outcome
        })
        .await
}

/// Byte counts of one pull, layer by layer, as Ollama reports them.
#[derive(Debug, Default)]
struct PullBytes {
    /// (digest, completed, total) in the order Ollama sent them.
    layers: Vec<(String, u64, u64)>,
}

impl PullBytes {
    /// Takes one progress line; answers the completed bytes the layer had when it was
    /// first reported (a resumed layer starts above zero).
    fn take(&mut self, line: &PullProgress) -> Option<u64> {
        let digest = line.digest.clone()?;
        let total = line.total.unwrap_or(0);
        let completed = line.completed.unwrap_or(0);
        match self.layers.iter_mut().find(|(known, ..)| *known == digest) {
            Some(layer) => {
                layer.1 = completed;
                layer.2 = total;
                None
            }
            None => {
                self.layers.push((digest, completed, total));
                Some(completed)
            }
        }
    }

    fn done(&self) -> u64 {
        self.layers.iter().map(|(_, done, _)| done).sum()
    }

    fn total(&self) -> u64 {
        self.layers.iter().map(|(.., total)| total).sum()
    }
}

/// Pulls with a progress line per layer and the total in the task's bar.
async fn pull_with_progress(
    client: &OllamaClient,
    model: &str,
    task: &TaskHandle,
) -> Result<(), AppError> {
    task.progress(None, format!("Asking {} for {model}…", client.label()));
    // Ollama names the layers one after another, so the known total grows as they appear;
    // the bar never goes back when a new layer shows up.
    let mut shown = 0.0_f64;
    let mut fraction = move |bytes: &PullBytes| {
        let total = bytes.total();
        if total > 0 {
            shown = shown.max(bytes.done() as f64 / total as f64);
        }
        (shown > 0.0).then_some(shown)
    };
    run_pull(client, model, |line, bytes, first_seen| {
        if let Some(digest) = &line.digest {
            let short = short_digest(digest);
            if let Some(already) = first_seen.filter(|already| *already > 0) {
                let total = line.total.unwrap_or(0);
                if already < total {
                    task.log(format!(
                        "Layer {short}: resuming at {} of {} (kept from an earlier attempt).",
                        crate::ui::format::bytes(already),
                        crate::ui::format::bytes(total)
                    ));
                } else {
                    task.log(format!("Layer {short}: already on the server."));
                }
            }
            task.part(
                &format!("layer {short}"),
                line.completed.unwrap_or(0),
                line.total,
                "",
            );
            task.bytes(bytes.done(), Some(bytes.total()));
            task.progress(
                fraction(bytes),
                format!("Downloading layer {} of {model}", bytes.layers.len()),
            );
        } else {
            task.log(status_sentence(&line.status));
            task.progress(fraction(bytes), status_sentence(&line.status));
        }
    })
    .await?;
    task.progress(Some(1.0), format!("{model} is on {}.", client.label()));
    Ok(())
}

fn short_digest(digest: &str) -> &str {
    let hex = digest.strip_prefix("sha256:").unwrap_or(digest);
    hex.get(..12).unwrap_or(hex)
}

/// Ollama's status words as a sentence for the page.
fn status_sentence(status: &str) -> String {
    match status {
        "pulling manifest" => "Reading the model's manifest…".to_owned(),
        "verifying sha256 digest" => "Verifying the downloaded layers…".to_owned(),
        "writing manifest" => "Writing the manifest…".to_owned(),
        "removing unused layers" | "removing any unused layers" => {
            "Removing layers no model uses any more…".to_owned()
        }
        "success" => "Done.".to_owned(),
        other => format!("Ollama: {other}"),
    }
}

/// Reads a pull's stream to its end. `on_line` sees every progress line, the byte counts
/// so far and, for a layer's first line, the bytes it started with.
async fn run_pull(
    client: &OllamaClient,
    model: &str,
    mut on_line: impl FnMut(&PullProgress, &PullBytes, Option<u64>),
) -> Result<(), AppError> {
    let mut stream = client.pull(model).await.map_err(|error| match error {
        AppError::Invalid(_) => AppError::Invalid(format!(
            "Model: Ollama does not accept “{model}” as a model name. Write it as name or name:tag, for example llama3.2."
        )),
        other => other,
    })?;
    let mut bytes = PullBytes::default();
    while let Some(line) = stream.next().await {
        match line {
            Ok(line) if line.status == "success" => return Ok(()),
            Ok(line) => {
                let first_seen = bytes.take(&line);
                on_line(&line, &bytes, first_seen);
            }
            Err(StreamError::Reported(said)) => return Err(pull_refusal(client, model, &said)),
            Err(StreamError::Cut(why)) => return Err(pull_cut(client, model, &bytes, &why)),
            Err(StreamError::Garbled(what)) => {
                return Err(AppError::EngineUnavailable(format!(
                    "{} sent {what} during the pull of {model}; it may not be Ollama.",
                    client.label()
                )))
            }
        }
    }
    Err(pull_cut(client, model, &bytes, "closed the connection"))
}

fn pull_refusal(client: &OllamaClient, model: &str, said: &str) -> AppError {
    let server = client.label();
    if said.contains("file does not exist") || said.contains("not found") {
        AppError::NotFound(format!(
            "There is no model named {model} in the registry (Ollama on {server} says “{said}”). Check the name and tag in Ollama's library."
        ))
    } else if said.contains("no space left") {
        AppError::EngineUnavailable(format!(
            "{server} has no disk space left for {model} (Ollama says “{said}”). Delete models you do not need, then pull again: what was downloaded is kept."
        ))
    } else {
        AppError::EngineUnavailable(format!(
            "{server} could not pull {model}: Ollama says “{said}”. Pull again to resume."
        ))
    }
}

fn pull_cut(client: &OllamaClient, model: &str, bytes: &PullBytes, why: &str) -> AppError {
    use crate::ui::format::bytes as human;
    AppError::EngineUnavailable(format!(
        "The Ollama server {} {why} before the pull of {model} finished ({} of {} downloaded). When it is back, pull again: Ollama resumes where it stopped.",
        client.label(),
        human(bytes.done()),
        human(bytes.total())
    ))
}

/// Makes `model` present on every chosen server: those that have it are left alone, the
/// others pull it, all at once. One task, one part per server.
pub async fn sync(
    state: &AppState,
    actor: &Actor,
    model: &str,
    server_ids: &[i64],
) -> Result<String, AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    if server_ids.is_empty() {
        return Err(AppError::invalid(
            "Servers: choose at least one server to put the model on.",
        ));
    }
    let mut servers = Vec::new();
    for id in server_ids {
        let (server, client) = server(state, *id).await?;
        servers.push((server.name, client));
    }
    servers.sort_by(|a, b| a.0.cmp(&b.0));
    servers.dedup_by(|a, b| a.0 == b.0);
    let names: Vec<String> = servers.iter().map(|(name, _)| name.clone()).collect();
    let target = format!("{} on {}", validate::with_tag(&model), names.join(", "));
    audited_task(
        state,
        actor,
        SYNC_TASK,
        "sync",
        &target,
        move |task| async move { sync_servers(&servers, &model, &task).await.map(|()| None) },
    )
    .await
}

async fn sync_servers(
    servers: &[(String, OllamaClient)],
    model: &str,
    task: &TaskHandle,
) -> Result<(), AppError> {
    task.progress(
        None,
        format!("Looking for {model} on {} servers…", servers.len()),
    );
    for (name, _) in servers {
        task.part(name, 0, None, "waiting");
    }
    // Per server: done and total bytes, to add up into the one bar.
    let totals = std::sync::Mutex::new(vec![(0u64, 0u64); servers.len()]);
    let outcomes = join_all(servers.iter().enumerate().map(|(index, (name, client))| {
        let totals = &totals;
        async move {
            let present = client.tags().await?;
            if present
                .iter()
                .any(|entry| validate::same_model(&entry.name, model))
            {
                task.part(name, 1, Some(1), "already present");
                task.log(format!("{name}: {model} is already there."));
                return Ok(false);
            }
            task.part(name, 0, None, "pulling");
            run_pull(client, model, |_, bytes, _| {
                task.part(name, bytes.done(), Some(bytes.total()), "pulling");
                let mut all = totals
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                all[index] = (bytes.done(), bytes.total());
                let done = all.iter().map(|(done, _)| done).sum();
                let total = all.iter().map(|(_, total)| total).sum();
                task.bytes(done, Some(total));
            })
            .await?;
            task.part(name, 1, Some(1), "pulled");
            task.log(format!("{name}: pulled {model}."));
            Ok::<bool, AppError>(true)
        }
    }))
    .await;
    let mut failures = Vec::new();
    let mut pulled = 0;
    for ((name, _), outcome) in servers.iter().zip(outcomes) {
        match outcome {
            Ok(true) => pulled += 1,
            Ok(false) => {}
            Err(error) => {
                task.part(name, 0, None, format!("failed: {error}"));
                failures.push(format!("{name}: {error}"));
            }
        }
    }
    if failures.is_empty() {
        task.progress(
            Some(1.0),
            format!(
                "{model} is on all {} servers ({pulled} pulled it now).",
                servers.len()
            ),
        );
        Ok(())
    } else {
        Err(AppError::EngineUnavailable(format!(
            "{model} is not on every server yet. {} Sync again to finish: servers that have it are skipped, and pulls resume.",
            failures.join(" ")
        )))
    }
}

// ---------------------------------------------------------------------------------------
// Test prompt

/// Sends a prompt as a task whose output is the answer as it streams; answers the task id.
pub async fn prompt(
    state: &AppState,
    actor: &Actor,
    server_id: i64,
    model: &str,
    prompt: &str,
) -> Result<String, AppError> {
    let model = validate::model_name(model).map_err(AppError::Invalid)?;
    let prompt = prompt.trim().to_owned();
    if prompt.is_empty() {
        return Err(AppError::invalid(
            "Prompt: write something for the model to answer, for example “Say hello in one sentence.”",
        ));
    }
    if prompt.chars().count() > MAX_PROMPT {
        return Err(AppError::invalid(format!(
            "Prompt: at most {MAX_PROMPT} characters are accepted for a test."
        )));
    }
    let (server, client) = server(state, server_id).await?;
    let target = task_target(&server.name, &validate::canonical(&model));
    audited_task(
        state,
        actor,
        PROMPT_TASK,
        "test prompt",
        &target,
        move |task| async move {
            let measure = run_prompt(&client, &model, &prompt, &task).await?;
            Ok(Some(
                serde_json::to_value(measure).map_err(AppError::internal)?,
            ))
        },
    )
    .await
}

async fn run_prompt(
    client: &OllamaClient,
    model: &str,
    prompt: &str,
    task: &TaskHandle,
) -> Result<PromptMeasure, AppError> {
    task.progress(
        None,
        format!("Waiting for {model} (it may have to load first)…"),
    );
    let sent = Instant::now();
    let mut stream = client.generate(model, prompt).await?;
    let mut first_token_ms = None;
    while let Some(chunk) = stream.next().await {
        let chunk = match chunk {
            Ok(chunk) => chunk,
            Err(StreamError::Reported(said)) => {
                return Err(AppError::EngineUnavailable(format!(
                    "{model} stopped answering: Ollama says “{said}”."
                )))
            }
            Err(StreamError::Cut(why)) => {
                return Err(AppError::EngineUnavailable(format!(
                    "The Ollama server {} {why} before {model} finished its answer.",
                    client.label()
                )))
            }
            Err(StreamError::Garbled(what)) => {
                return Err(AppError::EngineUnavailable(format!(
                    "{} sent {what} while {model} answered; it may not be Ollama.",
                    client.label()
                )))
            }
        };
        // A thinking model's first words are its thinking: they count for the first
        // token, but the output shows the answer only.
        let thinking = chunk
            .thinking
            .as_deref()
            .is_some_and(|text| !text.is_empty());
        if first_token_ms.is_none() && (thinking || !chunk.response.is_empty()) {
            let ms = sent.elapsed().as_millis() as u64;
            first_token_ms = Some(ms);
            task.progress(None, format!("First token after {ms} ms; answering…"));
        }
        if !chunk.response.is_empty() {
            task.output(&chunk.response);
        }
        if chunk.done {
            let tokens_per_second = match (chunk.eval_count, chunk.eval_duration) {
                (Some(count), Some(ns)) if ns > 0 => Some(count as f64 / ns as f64 * 1e9),
                _ => None,
            };
            let measure = PromptMeasure {
                first_token_ms,
                tokens_per_second,
                tokens: chunk.eval_count,
                total_ms: sent.elapsed().as_millis() as u64,
            };
            task.progress(Some(1.0), measure.summary());
            return Ok(measure);
        }
    }
    Err(AppError::EngineUnavailable(format!(
        "The Ollama server {} closed the connection before {model} finished its answer.",
        client.label()
    )))
}
