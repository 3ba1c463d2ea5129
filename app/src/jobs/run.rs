//! Running one job's action once: an HTTP request, a command in a container through the
//! Docker engine's exec API, or a service restart.

use std::time::Duration;

use futures::StreamExt;

use super::{JobAction, OUTPUT_KEPT};
use crate::core::state::AppState;

/// What one attempt gave.
#[derive(Debug, Clone, Default)]
pub struct Attempt {
    pub ok: bool,
    pub exit_code: Option<i64>,
    pub http_status: Option<u16>,
    pub output: String,
    /// How it went, in a sentence.
    pub message: String,
}

impl Attempt {
    fn failed(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            ..Self::default()
        }
    }
}

/// One HTTP client for every job: redirects are followed (a job may call an app that
/// redirects), a few at most.
static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();

fn http() -> reqwest::Client {
    HTTP.get_or_init(|| {
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::limited(5))
            .build()
            .unwrap_or_default()
    })
    .clone()
}

/// Runs the action once. The caller applies the time limit (dropping this future stops
/// the request; a command in a container is left to the engine, see [`exec`]).
pub async fn attempt(state: &AppState, action: &JobAction) -> Attempt {
    match action {
        JobAction::Http {
            method,
            url,
            headers,
            secret_headers,
            body,
            expected_status,
        } => {
            let mut all = headers.clone();
            for (name, sealed) in secret_headers {
                match state.secrets.unseal(sealed) {
                    Ok(value) => all.push((name.clone(), value)),
                    Err(_) => {
                        return Attempt::failed(format!(
                            "The stored value of the {name} header cannot be read with this data directory's key; type it again on the job's page."
                        ))
                    }
                }
            }
            request(method, url, &all, body, *expected_status).await
        }
        JobAction::Exec {
            host,
            container,
            command,
        } => exec(state, host, container, command).await,
        JobAction::Restart {
            service_id,
            service,
        } => restart(state, *service_id, service).await,
        JobAction::Backup { plan_id, work, .. } => backup(state, *plan_id, *work).await,
        JobAction::Ingest { source_id, .. } => ingest(state, *source_id).await,
    }
}

/// Reads a log source's new lines; the run's output says how many.
async fn ingest(state: &AppState, source_id: i64) -> Attempt {
    use crate::analytics::service;
    let source = match service::source(state, source_id).await {
        Ok(source) => source,
        Err(error) => return Attempt::failed(error.to_string()),
    };
    match service::ingest_source(state, &source, &|_| {}).await {
        Ok(report) => Attempt {
            ok: true,
            message: report.sentence(),
            ..Attempt::default()
        },
        Err(error) => Attempt::failed(error.to_string()),
    }
}

/// A backup plan's work as a task; the job waits for it. A job that hits its time limit
/// drops this future, and the guard cancels the task with it.
async fn backup(state: &AppState, plan_id: i64, work: crate::backups::Work) -> Attempt {
    use crate::backups::service;
    let task_id =
        match service::start_run(state, &service::scheduler_actor(), plan_id, work, "job").await {
            Ok(task_id) => task_id,
            Err(error) => return Attempt::failed(error.to_string()),
        };
    struct CancelOnDrop<'a>(&'a AppState, Option<String>);
    impl Drop for CancelOnDrop<'_> {
        fn drop(&mut self) {
            if let Some(id) = self.1.take() {
                let _ = self.0.tasks.cancel(&id);
            }
        }
    }
    let mut guard = CancelOnDrop(state, Some(task_id.clone()));
    let result = service::wait(state, &task_id).await;
    guard.1 = None;
    match result {
        Ok(message) => Attempt {
            ok: true,
            message,
            ..Attempt::default()
        },
        Err(error) => Attempt::failed(error.to_string()),
    }
}

async fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &str,
    expected: Option<u16>,
) -> Attempt {
    let Ok(method) = reqwest::Method::from_bytes(method.as_bytes()) else {
        return Attempt::failed(format!("{method} is not an HTTP method."));
    };
    let mut request = http().request(method, url);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    if !body.is_empty() {
        request = request.body(body.to_owned());
    }
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            let why = if error.is_connect() {
                "could not connect"
            } else if error.is_timeout() {
                "did not answer in time"
            } else {
                "failed"
            };
            return Attempt::failed(format!("The request to {url} {why}."));
        }
    };
    let status = response.status().as_u16();
    let mut output = Vec::new();
    let mut body = response.bytes_stream();
    while let Some(Ok(chunk)) = body.next().await {
        output.extend_from_slice(&chunk);
        if output.len() > OUTPUT_KEPT {
            output.truncate(OUTPUT_KEPT);
            break;
        }
    }
    let ok = match expected {
        Some(expected) => status == expected,
        None => (200..300).contains(&status),
    };
    let wanted = expected.map_or("a 2xx status".to_owned(), |status| format!("{status}"));
    Attempt {
        ok,
        exit_code: None,
        http_status: Some(status),
        output: String::from_utf8_lossy(&output).into_owned(),
        message: if ok {
            format!("Answered {status}.")
        } else {
            format!("Answered {status}, expected {wanted}.")
        },
    }
}

/// A command in a container. The engine runs it; caretaker reads its output and exit code.
/// When the time limit cuts the wait, the process is left running in the container (the
/// exec API has no way to stop it), which the run's message says.
async fn exec(state: &AppState, host: &str, container: &str, command: &[String]) -> Attempt {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    let Some(host) = state.fleet.host(host) else {
        return Attempt::failed(format!(
            "There is no Docker host {host} any more; edit the job to choose one."
        ));
    };
    let docker = match host.engine.streaming_client().await {
        Ok(docker) => docker,
        Err(error) => return Attempt::failed(error.to_string()),
    };
    let options = CreateExecOptions {
        cmd: Some(command.to_vec()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = match docker.create_exec(container, options).await {
        Ok(created) => created,
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => {
            return Attempt::failed(format!(
                "There is no container named {container} on {}.",
                host.name
            ))
        }
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => {
            return Attempt::failed(format!(
                "The container {container} is not running, so nothing can run in it."
            ))
        }
        Err(error) => {
            tracing::warn!(%error, container, "exec could not be created");
            return Attempt::failed(format!(
                "The Docker engine on {} could not start the command in {container}.",
                host.name
            ));
        }
    };
    let mut output = String::new();
    match docker.start_exec(&created.id, None).await {
        Ok(StartExecResults::Attached {
            output: mut stream, ..
        }) => {
            while let Some(Ok(chunk)) = stream.next().await {
                output.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
                keep_tail(&mut output);
            }
        }
        Ok(StartExecResults::Detached) => {}
        Err(error) => {
            tracing::warn!(%error, container, "exec could not be started");
            return Attempt::failed(format!(
                "The Docker engine on {} could not start the command in {container}.",
                host.name
            ));
        }
    }
    let exit_code = docker
        .inspect_exec(&created.id)
        .await
        .ok()
        .and_then(|inspect| inspect.exit_code);
    match exit_code {
        Some(0) => Attempt {
            ok: true,
            exit_code,
            output,
            message: "Exited with code 0.".to_owned(),
            ..Attempt::default()
        },
        Some(127) if output.contains("executable file not found") || output.is_empty() => Attempt {
            exit_code,
            message: format!(
                "{} was not found in {container}; check the command's first word.",
                command.first().map(String::as_str).unwrap_or_default()
            ),
            output,
            ..Attempt::default()
        },
        Some(code) => Attempt {
            exit_code,
            output,
            message: format!("Exited with code {code}."),
            ..Attempt::default()
        },
        None => Attempt {
            output,
            message: "The command's exit code could not be read.".to_owned(),
            ..Attempt::default()
        },
    }
}

async fn restart(state: &AppState, service_id: i64, service: &str) -> Attempt {
    match crate::services::service::restart_production(state, service_id).await {
        Ok(()) => Attempt {
            ok: true,
            message: format!("Restarted {service}."),
            ..Attempt::default()
        },
        Err(error) => Attempt::failed(error.to_string()),
    }
}

/// Keeps the last [`OUTPUT_KEPT`] bytes, cut at a character boundary.
pub fn keep_tail(output: &mut String) {
    if output.len() > OUTPUT_KEPT {
        let mut cut = output.len() - OUTPUT_KEPT;
        while !output.is_char_boundary(cut) {
            cut += 1;
        }
        output.drain(..cut);
    }
}
