//! Restore drills for PostgreSQL dumps: the dump is loaded, for real, into a throwaway
//! container of the same image as the database it came from, and what it created is
//! counted. The container is removed afterwards, whatever happened.

use std::path::Path;
use std::time::Duration;

use bollard::exec::{CreateExecOptions, StartExecResults};
use bollard::models::ContainerCreateBody;
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, RemoveContainerOptionsBuilder, StartContainerOptions,
};
use bollard::Docker;
use futures::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::core::state::AppState;

/// How long a throwaway PostgreSQL may take to accept connections.
const READY_WITHIN: Duration = Duration::from_secs(90);

/// Loads `dump` into a new container of `container`'s image; a sentence either way.
pub async fn load_in_throwaway(
    state: &AppState,
    host_id: &str,
    container: &str,
    dump: &Path,
) -> Result<String, String> {
    let host = state
        .fleet
        .host(host_id)
        .ok_or_else(|| format!("there is no Docker host {host_id} to load the dump on"))?;
    let docker = host
        .engine
        .streaming_client()
        .await
        .map_err(|error| error.to_string())?;
    let image = docker
        .inspect_container(
            container,
            None::<bollard::query_parameters::InspectContainerOptions>,
        )
        .await
        .ok()
        .and_then(|inspected| inspected.config.and_then(|config| config.image))
        .ok_or_else(|| {
            format!(
                "the container {container} is gone, so its image for a throwaway copy is unknown"
            )
        })?;
    let name = format!("caretaker-drill-{}", uuid_like());
    let body = ContainerCreateBody {
        image: Some(image.clone()),
        env: Some(vec![
            // Only reachable from inside the container: nothing is published.
            "POSTGRES_HOST_AUTH_METHOD=trust".to_owned(),
            format!("POSTGRES_PASSWORD={}", uuid_like()),
        ]),
        labels: Some([("caretaker.drill".to_owned(), "1".to_owned())].into()),
        // No network at all: it holds a copy of production data with trust auth, and
        // psql reaches it through exec on its own socket.
        host_config: Some(bollard::models::HostConfig {
            network_mode: Some("none".to_owned()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let options = CreateContainerOptionsBuilder::new().name(&name).build();
    docker
        .create_container(Some(options), body)
        .await
        .map_err(|error| {
            format!("a throwaway container of {image} could not be created: {error}")
        })?;
    let mut throwaway = Throwaway {
        docker: docker.clone(),
        name: name.clone(),
    };
    let result = load(&docker, &name, &image, dump).await;
    throwaway.remove().await;
    result
}

/// Removes the throwaway container when the drill ends, also when it is cancelled.
struct Throwaway {
    docker: Docker,
    name: String,
}

impl Throwaway {
    async fn remove(&mut self) {
        let name = std::mem::take(&mut self.name);
        let options = RemoveContainerOptionsBuilder::new()
            .force(true)
            .v(true)
            .build();
        if let Err(error) = self.docker.remove_container(&name, Some(options)).await {
            tracing::warn!(%error, container = %name, "a drill's throwaway container was not removed");
        }
    }
}

impl Drop for Throwaway {
    fn drop(&mut self) {
        if self.name.is_empty() {
            return;
        }
        let docker = self.docker.clone();
        let name = std::mem::take(&mut self.name);
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                let options = RemoveContainerOptionsBuilder::new().force(true).v(true).build();
                if let Err(error) = docker.remove_container(&name, Some(options)).await {
                    tracing::warn!(%error, container = %name, "a drill's throwaway container was not removed");
                }
            });
        }
    }
}

async fn load(docker: &Docker, name: &str, image: &str, dump: &Path) -> Result<String, String> {
    docker
        .start_container(name, None::<StartContainerOptions>)
        .await
        .map_err(|error| format!("a throwaway container of {image} did not start: {error}"))?;
    let deadline = tokio::time::Instant::now() + READY_WITHIN;
    loop {
        let (code, _) = exec(docker, name, &["pg_isready", "-U", "postgres", "-q"], None).await?;
        if code == Some(0) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            return Err(format!(
                "the throwaway PostgreSQL of {image} did not accept connections within {} seconds",
                READY_WITHIN.as_secs()
            ));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let psql = [
        "psql",
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-v",
        "ON_ERROR_STOP=1",
        "-q",
        "-f",
        "-",
    ];
    let (code, output) = exec(docker, name, &psql, Some(dump)).await?;
    if code != Some(0) {
        return Err(format!(
            "the dump does not load into PostgreSQL: {}",
            output
                .lines()
                .rev()
                .take(3)
                .collect::<Vec<_>>()
                .join(" ")
                .chars()
                .take(400)
                .collect::<String>()
        ));
    }
    let count = [
        "psql",
        "-U",
        "postgres",
        "-d",
        "postgres",
        "-tAc",
        "SELECT count(*) FROM pg_catalog.pg_tables WHERE schemaname NOT IN ('pg_catalog', 'information_schema')",
    ];
    let (_, tables) = exec(docker, name, &count, None).await?;
    Ok(format!(
        "the dump loaded into a throwaway PostgreSQL ({} tables)",
        tables.trim()
    ))
}

/// Runs a command in the container, feeding it `input` on stdin when given: its exit code
/// and output (stdout and stderr).
async fn exec(
    docker: &Docker,
    container: &str,
    command: &[&str],
    input: Option<&Path>,
) -> Result<(Option<i64>, String), String> {
    let options = CreateExecOptions {
        cmd: Some(command.iter().map(|word| (*word).to_owned()).collect()),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        attach_stdin: Some(input.is_some()),
        ..Default::default()
    };
    let created = docker
        .create_exec(container, options)
        .await
        .map_err(|error| format!("the throwaway container refused a command: {error}"))?;
    let started = docker
        .start_exec(&created.id, None)
        .await
        .map_err(|error| format!("the throwaway container refused a command: {error}"))?;
    let StartExecResults::Attached {
        mut output,
        input: mut stdin,
    } = started
    else {
        return Err("the command in the throwaway container started detached".to_owned());
    };
    let feeding = match input {
        Some(path) => {
            let mut file = tokio::fs::File::open(path)
                .await
                .map_err(|error| format!("the restored dump cannot be read: {error}"))?;
            Some(tokio::spawn(async move {
                let copied = tokio::io::copy(&mut file, &mut stdin).await;
                let _ = stdin.shutdown().await;
                copied
            }))
        }
        None => None,
    };
    let mut text = String::new();
    while let Some(Ok(chunk)) = output.next().await {
        if text.len() < 64 * 1024 {
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
    }
    if let Some(feeding) = feeding {
        let _ = feeding.await;
    }
    let code = super::run::exec_exit_code(docker, &created.id).await;
    Ok((code, text))
}

/// A random name part.
fn uuid_like() -> String {
    use rand::Rng;
    let value: u64 = rand::rng().random();
    format!("{value:016x}")
}
