//! Applying a generated file: write it, have the real tool validate it, reload the proxy
//! only when it is valid. A refused file is replaced by the previous one, byte for byte
//! (or removed when there was none), and the proxy is not reloaded, so the configuration it
//! runs keeps serving.

use std::path::Path;
use std::time::Duration;

use super::{ProxySettings, Reload};
use crate::core::error::AppError;
use crate::core::state::AppState;

/// The longest a validate or reload command may take.
const TOOL_LIMIT: Duration = Duration::from_secs(60);

/// Only one apply at a time: two would restore each other's files.
static APPLYING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What a tool said: whether it succeeded and its output (stderr, then stdout).
struct ToolRun {
    ok: bool,
    output: String,
}

/// Writes `candidate`, validates, reloads. Answers the sentence for the page.
pub async fn apply(
    state: &AppState,
    settings: &ProxySettings,
    candidate: &str,
) -> Result<String, AppError> {
    let _applying = APPLYING.lock().await;
    let path = Path::new(&settings.config_path);
    let tool = settings.kind.label();
    let previous = read_previous(path)?;
    write_atomically(path, candidate.as_bytes()).map_err(|error| {
        AppError::EngineUnavailable(format!(
            "The file {} cannot be written: {error}. Nothing was changed.",
            path.display()
        ))
    })?;

    let validated = run(state, settings, &settings.validate).await;
    let refusal = match validated {
        Ok(run) if run.ok => None,
        Ok(run) => Some(AppError::invalid(format!(
            "{tool} refused the new configuration, so it was not applied and the running configuration keeps serving: {}",
            tool_sentence(&run.output)
        ))),
        Err(error) => Some(AppError::EngineUnavailable(format!(
            "The configuration could not be validated, so it was not applied: {error}"
        ))),
    };
    if let Some(refusal) = refusal {
        restore(path, previous.as_deref())?;
        return Err(refusal);
    }

    let reloaded = match &settings.reload {
        Reload::Command { argv } => run(state, settings, argv).await.and_then(|run| {
            if run.ok {
                Ok(())
            } else {
                Err(format!(
                    "the reload command failed: {}",
                    tool_sentence(&run.output)
                ))
            }
        }),
        Reload::Signal => signal(state, settings).await,
    };
    if let Err(error) = reloaded {
        // The proxy still runs the old configuration: the file on disk must say the same.
        restore(path, previous.as_deref())?;
        return Err(AppError::EngineUnavailable(format!(
            "{tool} accepted the configuration but could not be reloaded ({error}), so the previous file was put back."
        )));
    }
    Ok(format!(
        "{tool} accepted the configuration in {} and was reloaded.",
        path.display()
    ))
}

/// The file as it is now; `None` when there is none yet.
fn read_previous(path: &Path) -> Result<Option<Vec<u8>>, AppError> {
    match std::fs::read(path) {
        Ok(bytes) => Ok(Some(bytes)),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(AppError::EngineUnavailable(format!(
            "The file {} cannot be read ({error}), so nothing was changed.",
            path.display()
        ))),
    }
}

/// Puts the previous file back exactly, or removes the new one when there was none.
fn restore(path: &Path, previous: Option<&[u8]>) -> Result<(), AppError> {
    let restored = match previous {
        Some(bytes) => write_atomically(path, bytes),
        None => std::fs::remove_file(path).or_else(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                Ok(())
            } else {
                Err(error)
            }
        }),
    };
    restored.map_err(|error| {
        AppError::internal(format_args!(
            "the previous proxy file {} could not be put back: {error}",
            path.display()
        ))
    })
}

/// Writes next to the file, then renames over it: the proxy never reads half a file.
/// A file that existed keeps its permissions.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let Some(parent) = path.parent() else {
        return Err(std::io::Error::other("it has no folder"));
    };
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let temporary = parent.join(format!(".{name}.caretaker-new"));
    std::fs::write(&temporary, bytes)?;
    if let Ok(metadata) = std::fs::metadata(path) {
        let _ = std::fs::set_permissions(&temporary, metadata.permissions());
    }
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// Runs `argv` on this machine, or in the proxy container when one is set.
async fn run(
    state: &AppState,
    settings: &ProxySettings,
    argv: &[String],
) -> Result<ToolRun, String> {
    let Some(program) = argv.first() else {
        return Err("the command is empty; set it in the proxy settings.".to_owned());
    };
    if !settings.container.is_empty() {
        return run_in_container(state, settings, argv).await;
    }
    let child = tokio::process::Command::new(program)
        .args(&argv[1..])
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(TOOL_LIMIT, child).await {
        Err(_) => {
            return Err(format!(
                "{program} did not finish within {} seconds.",
                TOOL_LIMIT.as_secs()
            ))
        }
        Ok(Err(error)) if error.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!(
                "{program} was not found on this machine; check the command in the proxy settings."
            ))
        }
        Ok(Err(error)) => return Err(format!("{program} could not be started: {error}.")),
        Ok(Ok(output)) => output,
    };
    let mut text = String::from_utf8_lossy(&output.stderr).into_owned();
    text.push_str(&String::from_utf8_lossy(&output.stdout));
    Ok(ToolRun {
        ok: output.status.success(),
        output: text,
    })
}

async fn run_in_container(
    state: &AppState,
    settings: &ProxySettings,
    argv: &[String],
) -> Result<ToolRun, String> {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures::StreamExt;
    let container = &settings.container;
    let host = state.fleet.host(&settings.docker_host).ok_or_else(|| {
        "the proxy's Docker host is no longer listed; choose it again in the settings.".to_owned()
    })?;
    let docker = host
        .engine
        .streaming_client()
        .await
        .map_err(|error| error.to_string())?;
    let options = CreateExecOptions {
        cmd: Some(argv.to_vec()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    let created = docker
        .create_exec(container, options)
        .await
        .map_err(|error| container_error(&error, container, &host.name))?;
    let attempt = async {
        let mut output = String::new();
        if let StartExecResults::Attached {
            output: mut stream, ..
        } = docker
            .start_exec(&created.id, None)
            .await
            .map_err(|error| container_error(&error, container, &host.name))?
        {
            while let Some(Ok(chunk)) = stream.next().await {
                output.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
            }
        }
        let code = docker
            .inspect_exec(&created.id)
            .await
            .map_err(|error| container_error(&error, container, &host.name))?
            .exit_code;
        Ok::<_, String>(ToolRun {
            ok: code == Some(0),
            output,
        })
    };
    tokio::time::timeout(TOOL_LIMIT, attempt)
        .await
        .unwrap_or_else(|_| {
            Err(format!(
                "the command in {container} did not finish within {} seconds.",
                TOOL_LIMIT.as_secs()
            ))
        })
}

/// SIGHUP to the proxy container: nginx and Caddy both read their configuration again.
async fn signal(state: &AppState, settings: &ProxySettings) -> Result<(), String> {
    let container = settings.container.clone();
    let host = state.fleet.host(&settings.docker_host).ok_or_else(|| {
        "the proxy's Docker host is no longer listed; choose it again in the settings.".to_owned()
    })?;
    let name = container.clone();
    host.engine
        .call(|client| async move {
            let options = bollard::query_parameters::KillContainerOptionsBuilder::new()
                .signal("SIGHUP")
                .build();
            client.kill_container(&name, Some(options)).await
        })
        .await
        .map_err(|error| error.to_string())
}

fn container_error(error: &bollard::errors::Error, container: &str, host: &str) -> String {
    match error {
        bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        } => format!("there is no container named {container} on {host}."),
        bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        } => format!("the container {container} on {host} is not running."),
        other => {
            tracing::warn!(error = %other, container, "the proxy container could not be reached");
            format!("the Docker engine on {host} could not run the command in {container}.")
        }
    }
}

/// The tool's own words as one sentence: nginx's `[emerg]` lines without their prefix,
/// Caddy's `Error:` line, else the last line it wrote.
pub fn tool_sentence(output: &str) -> String {
    let lines: Vec<&str> = output
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('{'))
        .collect();
    let mut said: Vec<String> = lines
        .iter()
        .filter_map(|line| {
            for level in ["[emerg] ", "[alert] ", "[crit] ", "[error] "] {
                if let Some((_, rest)) = line.split_once(level) {
                    return Some(rest.to_owned());
                }
            }
            line.strip_prefix("Error: ").map(str::to_owned)
        })
        .collect();
    if said.is_empty() {
        said = lines
            .iter()
            .rev()
            .find(|line| !line.ends_with("test failed"))
            .map(|line| vec![(*line).to_owned()])
            .unwrap_or_default();
    }
    let mut sentence = said.join("; ");
    if sentence.is_empty() {
        return "it gave no reason.".to_owned();
    }
    if sentence.chars().count() > 600 {
        sentence = sentence.chars().take(600).collect::<String>() + "…";
    }
    if !sentence.ends_with(['.', '…']) {
        sentence.push('.');
    }
    sentence
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nginx_and_caddy_messages_become_sentences() {
        let nginx = "nginx: [emerg] host not found in upstream \"nonexistent.invalid\" in /tmp/x/routes.conf:30\nnginx: configuration file /tmp/x/nginx.conf test failed\n";
        assert_eq!(
            tool_sentence(nginx),
            "host not found in upstream \"nonexistent.invalid\" in /tmp/x/routes.conf:30."
        );
        let caddy = "{\"level\":\"info\",\"msg\":\"using provided configuration\"}\nError: adapting config using caddyfile: Caddyfile:3: unrecognized directive: revers_proxy\n";
        assert_eq!(
            tool_sentence(caddy),
            "adapting config using caddyfile: Caddyfile:3: unrecognized directive: revers_proxy."
        );
        assert_eq!(tool_sentence(""), "it gave no reason.");
        assert_eq!(tool_sentence("something odd\n"), "something odd.");
    }

    #[test]
    fn a_refused_file_is_put_back_exactly() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("routes.conf");
        std::fs::write(&path, b"old\r\nbytes").unwrap();
        let previous = read_previous(&path).unwrap();
        write_atomically(&path, b"new").unwrap();
        restore(&path, previous.as_deref()).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"old\r\nbytes");
        let fresh = dir.path().join("fresh.conf");
        let previous = read_previous(&fresh).unwrap();
        write_atomically(&fresh, b"new").unwrap();
        restore(&fresh, previous.as_deref()).unwrap();
        assert!(!fresh.exists());
    }
}
