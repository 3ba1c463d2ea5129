//! Carrying out a backup of a plan: its containers stopped and started around it, each
//! source read (paths, volumes, caretaker's database, dumps made inside containers) and
//! sent to every repository of the plan, retention applied, and each repository's result
//! recorded.

use std::path::PathBuf;
use std::pin::Pin;

use futures::StreamExt;
use tokio::io::{AsyncRead, AsyncWriteExt};

use super::restic::{BackupInput, BackupOutcome, BackupProgress, Repository};
use super::store::{self, RunEnd};
use super::{BackupStatus, ContainerRef, DumpEngine, PlanSpec, Source};
use crate::audit::service::Actor;
use crate::containers::{ContainerAction, LOCAL_HOST_ID};
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::tasks::service::TaskHandle;

/// The tag every snapshot of a plan carries; restic tags may not contain commas.
pub fn plan_tag(plan_id: i64) -> String {
    format!("caretaker-plan-{plan_id}")
}

/// One repository of a run: where it goes and the run row that records it.
pub struct Target {
    pub run_id: i64,
    pub name: String,
    pub repository: Repository,
}

/// What one repository got from the whole run.
#[derive(Default)]
struct Tally {
    end: RunEnd,
    partial: Vec<String>,
    failures: Vec<String>,
}

/// Backs up every source of `plan` into every target, and records each target's result.
/// Returns a sentence for the task: how it went everywhere.
pub async fn backup(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    plan: &PlanSpec,
    targets: &[Target],
    task: &TaskHandle,
) -> Result<String, AppError> {
    let run_ids: Vec<i64> = targets.iter().map(|target| target.run_id).collect();
    let stopped =
        StoppedContainers::stop(state, actor, &plan.stop_containers, &run_ids, task).await;
    let outcome = match stopped {
        Ok(stopped) => {
            let mut tallies = back_up_all(state, plan_id, plan, targets, task).await;
            // The containers come back before retention: a prune can take long.
            stopped.start_again().await;
            apply_retention(plan_id, plan, targets, &mut tallies, task).await;
            Ok(tallies)
        }
        Err(error) => Err(error),
    };
    let tallies = match outcome {
        Ok(tallies) => tallies,
        Err(error) => {
            // Nothing was backed up: a container would not stop.
            for target in targets {
                let end = RunEnd {
                    message: error.to_string(),
                    ..RunEnd::default()
                };
                store::finish_run(&state.db, target.run_id, BackupStatus::Failed, &end).await?;
            }
            return Err(error);
        }
    };
    let mut sentences = Vec::new();
    let mut failed = 0;
    for (target, mut tally) in targets.iter().zip(tallies) {
        let status = if !tally.failures.is_empty() {
            failed += 1;
            tally.end.message = tally.failures.join(" ");
            BackupStatus::Failed
        } else if !tally.partial.is_empty() {
            failed += 1;
            tally.end.message = format!(
                "Partial: the snapshot was saved without files restic could not read: {}.",
                tally.partial.join(", ")
            );
            BackupStatus::Partial
        } else {
            tally.end.message = format!(
                "{} new, {} changed files; {} added.",
                tally.end.files_new.unwrap_or(0),
                tally.end.files_changed.unwrap_or(0),
                crate::ui::format::bytes(tally.end.bytes_added.unwrap_or(0).max(0) as u64)
            );
            BackupStatus::Succeeded
        };
        sentences.push(format!("{}: {}", target.name, tally.end.message));
        store::finish_run(&state.db, target.run_id, status, &tally.end).await?;
    }
    let summary = sentences.join(" ");
    if failed > 0 {
        Err(AppError::EngineUnavailable(summary))
    } else {
        Ok(summary)
    }
}

async fn back_up_all(
    state: &AppState,
    plan_id: i64,
    plan: &PlanSpec,
    targets: &[Target],
    task: &TaskHandle,
) -> Vec<Tally> {
    let mut tallies: Vec<Tally> = targets.iter().map(|_| Tally::default()).collect();
    let steps = (plan.sources.len() * targets.len()).max(1) as f64;
    let mut step = 0.0;
    // Each repository's bar counts the bytes read so far; the total grows source by source.
    let mut read: Vec<u64> = targets.iter().map(|_| 0).collect();
    for target in targets {
        task.part(&target.name, 0, None, "waiting");
    }
    for (position, source) in plan.sources.iter().enumerate() {
        for (index, target) in targets.iter().enumerate() {
            let tally = &mut tallies[index];
            let before = read[index];
            let sources_note = format!("{} of {} sources", position, plan.sources.len());
            let base = step / steps;
            task.progress(
                Some(base),
                format!("Backing up {} to {}", source.label(), target.name),
            );
            let mut tags = vec![plan_tag(plan_id), source.tag()];
            tags.extend(plan.tags.iter().cloned());
            let mut report = |progress: BackupProgress| {
                task.progress(
                    Some(base + progress.fraction.clamp(0.0, 1.0) / steps),
                    format!(
                        "Backing up {} to {}: {} of {} files",
                        source.label(),
                        target.name,
                        progress.files_done,
                        progress.total_files
                    ),
                );
                task.bytes(
                    progress.bytes_done,
                    (progress.total_bytes > 0).then_some(progress.total_bytes),
                );
                task.part(
                    &target.name,
                    before + progress.bytes_done,
                    (progress.total_bytes > 0).then_some(before + progress.total_bytes),
                    sources_note.clone(),
                );
            };
            match back_up_source(state, plan, source, target, &tags, &mut report).await {
                Ok(outcome) => {
                    let (summary, unreadable) = match outcome {
                        BackupOutcome::Complete(summary) => (summary, Vec::new()),
                        BackupOutcome::Partial {
                            summary,
                            unreadable,
                        } => (summary, unreadable),
                    };
                    let add = |slot: &mut Option<i64>, value: u64| {
                        *slot = Some(slot.unwrap_or(0) + value as i64);
                    };
                    add(&mut tally.end.files_new, summary.files_new);
                    add(&mut tally.end.files_changed, summary.files_changed);
                    add(&mut tally.end.bytes_added, summary.data_added);
                    read[index] += summary.total_bytes_processed;
                    task.bytes(
                        summary.total_bytes_processed,
                        Some(summary.total_bytes_processed),
                    );
                    tally.end.snapshot_ids.push(summary.snapshot_id.clone());
                    if unreadable.is_empty() {
                        task.log(format!(
                            "{} → {}: snapshot {}",
                            source.label(),
                            target.name,
                            short(&summary.snapshot_id)
                        ));
                    } else {
                        tally.end.exit_code = Some(3);
                        task.log(format!(
                            "{} → {}: partial snapshot {}; unreadable: {}",
                            source.label(),
                            target.name,
                            short(&summary.snapshot_id),
                            unreadable.join(", ")
                        ));
                        tally.partial.extend(unreadable);
                    }
                }
                Err(error) => {
                    task.log(format!("{} → {}: {error}", source.label(), target.name));
                    tally.failures.push(format!("{}: {error}", source.label()));
                    tally.end.exit_code.get_or_insert(1);
                }
            }
            step += 1.0;
            let finished = position + 1 == plan.sources.len();
            let note = match (tally.failures.is_empty(), finished) {
                (false, _) => "failed".to_owned(),
                (true, true) => "done".to_owned(),
                (true, false) => format!("{} of {} sources", position + 1, plan.sources.len()),
            };
            task.part(
                &target.name,
                read[index],
                finished.then_some(read[index]),
                note,
            );
        }
    }
    tallies
}

/// `forget --prune` on each repository that got a complete backup.
async fn apply_retention(
    plan_id: i64,
    plan: &PlanSpec,
    targets: &[Target],
    tallies: &mut [Tally],
    task: &TaskHandle,
) {
    if plan.retention.is_set() {
        for (index, target) in targets.iter().enumerate() {
            if !tallies[index].failures.is_empty() || !tallies[index].partial.is_empty() {
                // Never prune after a failure or a partial backup: the older, complete
                // snapshots may be the only good ones.
                continue;
            }
            task.progress(
                Some(0.99),
                format!(
                    "Applying retention ({}) on {}",
                    plan.retention.describe(),
                    target.name
                ),
            );
            match forget(&target.repository, &[plan_tag(plan_id)], &plan.retention).await {
                Ok(removed) => task.log(format!(
                    "{}: retention removed {removed} old snapshots",
                    target.name
                )),
                Err(error) if super::restic::is_locked(&error) => {
                    // Another plan's backup holds the repository: the snapshots are saved,
                    // and the next run applies the retention.
                    task.log(format!(
                        "{}: retention postponed to the next run, the repository is in use: {error}",
                        target.name
                    ));
                }
                Err(error) => {
                    task.log(format!("{}: retention failed: {error}", target.name));
                    tallies[index].failures.push(format!("Retention: {error}"));
                }
            }
        }
    }
}

fn short(id: &str) -> &str {
    &id[..id.len().min(8)]
}

/// `forget --prune`, clearing a stale lock once if one is in the way.
async fn forget(
    repository: &Repository,
    tags: &[String],
    retention: &super::Retention,
) -> Result<usize, AppError> {
    match repository.forget(tags, retention).await {
        Err(error) if super::restic::is_locked(&error) => {
            repository.unlock_stale().await?;
            Ok(repository.forget(tags, retention).await?.removed)
        }
        other => Ok(other?.removed),
    }
}

/// One source into one repository.
async fn back_up_source(
    state: &AppState,
    plan: &PlanSpec,
    source: &Source,
    target: &Target,
    tags: &[String],
    report: &mut (dyn FnMut(BackupProgress) + Send),
) -> Result<BackupOutcome, AppError> {
    match source {
        Source::Path { path } => {
            let path = PathBuf::from(path);
            if !path.exists() {
                return Err(AppError::NotFound(format!(
                    "{} does not exist on this machine.",
                    path.display()
                )));
            }
            if path.is_symlink() {
                // restic would store the link, not what it points to.
                let target = std::fs::canonicalize(&path).unwrap_or_default();
                return Err(AppError::invalid(format!(
                    "{} is a symbolic link to {}; write that path in the plan instead.",
                    path.display(),
                    target.display()
                )));
            }
            paths(target, vec![path], &plan.excludes, tags, report).await
        }
        Source::Volume { volume } => {
            let mountpoint = volume_mountpoint(state, volume).await?;
            paths(target, vec![mountpoint], &plan.excludes, tags, report).await
        }
        Source::CaretakerDatabase => {
            let folder = tempfile::tempdir().map_err(AppError::internal)?;
            let copy = folder.path().join("caretaker.db");
            sqlx::query("VACUUM INTO ?")
                .bind(copy.to_string_lossy().into_owned())
                .execute(&state.db)
                .await?;
            let file = tokio::fs::File::open(&copy)
                .await
                .map_err(AppError::internal)?;
            let input = BackupInput::Stdin {
                filename: "/caretaker/caretaker.db".to_owned(),
                reader: Box::pin(file),
            };
            target.repository.backup(input, tags, report).await
        }
        Source::Dump {
            host,
            container,
            engine,
            database,
            user,
        } => {
            dump(
                state, target, tags, report, host, container, *engine, database, user,
            )
            .await
        }
    }
}

async fn paths(
    target: &Target,
    paths: Vec<PathBuf>,
    excludes: &[String],
    tags: &[String],
    report: &mut (dyn FnMut(BackupProgress) + Send),
) -> Result<BackupOutcome, AppError> {
    let input = |paths: Vec<PathBuf>| BackupInput::Paths {
        paths,
        excludes: excludes.to_vec(),
    };
    match target
        .repository
        .backup(input(paths.clone()), tags, report)
        .await
    {
        // An exclusive lock left by a killed check or prune: cleared if stale, then again.
        Err(error) if super::restic::is_locked(&error) => {
            target.repository.unlock_stale().await?;
            target.repository.backup(input(paths), tags, report).await
        }
        other => other,
    }
}

/// A named volume's folder on this machine (only the local engine's volumes are here).
pub async fn volume_mountpoint(state: &AppState, volume: &str) -> Result<PathBuf, AppError> {
    let host = state
        .fleet
        .host(LOCAL_HOST_ID)
        .ok_or_else(|| AppError::internal("no local Docker host"))?;
    let name = volume.to_owned();
    let inspected = host
        .engine
        .call(|client| async move { client.inspect_volume(&name).await })
        .await
        .map_err(|error| match error {
            AppError::NotFound(_) => {
                AppError::NotFound(format!("There is no Docker volume named {volume}."))
            }
            other => other,
        })?;
    let mountpoint = PathBuf::from(inspected.mountpoint);
    if !mountpoint.is_dir() {
        return Err(AppError::EngineUnavailable(format!(
            "The volume {volume} keeps its files at {}, which caretaker cannot read on this machine (the engine runs elsewhere, or caretaker lacks the rights).",
            mountpoint.display()
        )));
    }
    Ok(mountpoint)
}

/// The dump command of each engine, as an argument vector run inside the container.
fn dump_command(engine: DumpEngine, database: &str, user: &str, scratch: &str) -> Vec<String> {
    let words: Vec<&str> = match engine {
        DumpEngine::Postgres => vec![
            "pg_dump",
            "-U",
            user,
            "--clean",
            "--if-exists",
            "--",
            database,
        ],
        DumpEngine::Mysql => vec![
            "mysqldump",
            "-u",
            user,
            "--single-transaction",
            "--routines",
            "--",
            database,
        ],
        // sqlite3's .backup is consistent while the application writes; it needs a file,
        // which is then read with cat and removed.
        DumpEngine::Sqlite => {
            return vec![
                "sqlite3".to_owned(),
                database.to_owned(),
                format!(".backup '{scratch}'"),
            ]
        }
    };
    words.into_iter().map(str::to_owned).collect()
}

/// The file name a dump is stored under in its snapshot.
pub fn dump_filename(container: &str, engine: DumpEngine, database: &str) -> String {
    let base = database.rsplit('/').next().unwrap_or(database);
    let extension = match engine {
        DumpEngine::Postgres | DumpEngine::Mysql => ".sql",
        DumpEngine::Sqlite => "",
    };
    format!("/dumps/{container}/{base}{extension}")
}

#[allow(clippy::too_many_arguments)]
async fn dump(
    state: &AppState,
    target: &Target,
    tags: &[String],
    report: &mut (dyn FnMut(BackupProgress) + Send),
    host_id: &str,
    container: &str,
    engine: DumpEngine,
    database: &str,
    user: &str,
) -> Result<BackupOutcome, AppError> {
    let host = state.fleet.host(host_id).ok_or_else(|| {
        AppError::NotFound(format!(
            "There is no Docker host {host_id} any more; edit the plan."
        ))
    })?;
    let docker = host.engine.streaming_client().await?;
    let scratch = format!("/tmp/caretaker-backup-{:016x}.db", rand::random::<u64>());
    let producing = if engine == DumpEngine::Sqlite {
        let made = exec_to_end(
            &docker,
            container,
            dump_command(engine, database, user, &scratch),
        )
        .await?;
        if made.0 != Some(0) {
            return Err(AppError::EngineUnavailable(format!(
                "sqlite3 could not copy {database} in {container}: {}",
                last_words(&made.1)
            )));
        }
        vec!["cat".to_owned(), scratch.clone()]
    } else {
        dump_command(engine, database, user, &scratch)
    };
    let (reader, finished) = exec_stream(&docker, container, producing).await?;
    let input = BackupInput::Stdin {
        filename: dump_filename(container, engine, database),
        reader,
    };
    let backed_up = target.repository.backup(input, tags, report).await;
    let (exit_code, stderr) = finished.await.unwrap_or((None, String::new()));
    if engine == DumpEngine::Sqlite {
        let _ = exec_to_end(
            &docker,
            container,
            vec!["rm".to_owned(), "-f".to_owned(), scratch],
        )
        .await;
    }
    let tool = match engine {
        DumpEngine::Postgres => "pg_dump",
        DumpEngine::Mysql => "mysqldump",
        DumpEngine::Sqlite => "sqlite3",
    };
    match (backed_up, exit_code) {
        (Ok(outcome), Some(0)) => Ok(outcome),
        (Ok(outcome), code) => {
            // restic cannot see the dump tool fail: the snapshot holds a truncated dump.
            let snapshot = match &outcome {
                BackupOutcome::Complete(summary) | BackupOutcome::Partial { summary, .. } => {
                    summary.snapshot_id.clone()
                }
            };
            if let Err(error) = target.repository.forget_ids(&[snapshot]).await {
                tracing::warn!(%error, "the snapshot of a failed dump could not be forgotten");
            }
            Err(AppError::EngineUnavailable(format!(
                "{tool} in {container} failed (exit code {}): {}; the partial dump was not kept.",
                code.map_or_else(|| "unknown".to_owned(), |code| code.to_string()),
                last_words(&stderr)
            )))
        }
        (Err(error), Some(0) | None) => Err(error),
        (Err(_), Some(code)) => Err(AppError::EngineUnavailable(format!(
            "{tool} in {container} failed (exit code {code}): {}",
            last_words(&stderr)
        ))),
    }
}

fn last_words(text: &str) -> String {
    let text = text.trim();
    if text.is_empty() {
        "it printed no reason".to_owned()
    } else {
        text.lines()
            .rev()
            .take(3)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join(" ")
            .chars()
            .take(400)
            .collect()
    }
}

async fn create_exec(
    docker: &bollard::Docker,
    container: &str,
    command: Vec<String>,
) -> Result<String, AppError> {
    use bollard::exec::CreateExecOptions;
    let options = CreateExecOptions {
        cmd: Some(command),
        attach_stdout: Some(true),
        attach_stderr: Some(true),
        ..Default::default()
    };
    match docker.create_exec(container, options).await {
        Ok(created) => Ok(created.id),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 404, ..
        }) => Err(AppError::NotFound(format!(
            "There is no container named {container}."
        ))),
        Err(bollard::errors::Error::DockerResponseServerError {
            status_code: 409, ..
        }) => Err(AppError::Conflict(format!(
            "The container {container} is not running, so its database cannot be dumped."
        ))),
        Err(error) => Err(AppError::EngineUnavailable(format!(
            "The Docker engine could not run the dump in {container}: {error}"
        ))),
    }
}

/// Runs a command in a container to its end: its exit code and output.
pub(super) async fn exec_to_end(
    docker: &bollard::Docker,
    container: &str,
    command: Vec<String>,
) -> Result<(Option<i64>, String), AppError> {
    let (mut reader, finished) = exec_stream(docker, container, command).await?;
    let mut sink = Vec::new();
    tokio::io::copy(&mut reader, &mut sink)
        .await
        .map_err(AppError::internal)?;
    let (code, stderr) = finished.await.unwrap_or((None, String::new()));
    Ok((code, format!("{stderr}{}", String::from_utf8_lossy(&sink))))
}

type ExecEnd = tokio::task::JoinHandle<(Option<i64>, String)>;

/// Starts a command in a container; its stdout comes out of the reader, and the handle
/// ends with its exit code and stderr.
async fn exec_stream(
    docker: &bollard::Docker,
    container: &str,
    command: Vec<String>,
) -> Result<(Pin<Box<dyn AsyncRead + Send>>, ExecEnd), AppError> {
    use bollard::container::LogOutput;
    use bollard::exec::StartExecResults;
    let id = create_exec(docker, container, command).await?;
    let started = docker.start_exec(&id, None).await.map_err(|error| {
        AppError::EngineUnavailable(format!(
            "The Docker engine could not start the dump in {container}: {error}"
        ))
    })?;
    let StartExecResults::Attached { mut output, .. } = started else {
        return Err(AppError::internal("exec started detached"));
    };
    let (mut writer, reader) = tokio::io::duplex(256 * 1024);
    let docker = docker.clone();
    let finished = tokio::spawn(async move {
        let mut stderr = String::new();
        while let Some(chunk) = output.next().await {
            match chunk {
                Ok(LogOutput::StdOut { message }) => {
                    if writer.write_all(&message).await.is_err() {
                        // restic stopped reading: it failed or was stopped.
                        break;
                    }
                }
                Ok(LogOutput::StdErr { message }) => {
                    if stderr.len() < 16 * 1024 {
                        stderr.push_str(&String::from_utf8_lossy(&message));
                    }
                }
                Ok(_) => {}
                Err(error) => {
                    stderr.push_str(&format!("(the stream broke: {error})"));
                    break;
                }
            }
        }
        let _ = writer.shutdown().await;
        drop(writer);
        (exec_exit_code(&docker, &id).await, stderr)
    });
    Ok((Box::pin(reader), finished))
}

/// A finished exec's exit code. Docker records it a moment after the output ends, so it
/// is asked again (for up to 10 s) while the exec still counts as running.
pub(super) async fn exec_exit_code(docker: &bollard::Docker, id: &str) -> Option<i64> {
    for _ in 0..100 {
        match docker.inspect_exec(id).await {
            Ok(inspected) if inspected.running != Some(true) => return inspected.exit_code,
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(100)).await,
            Err(_) => return None,
        }
    }
    None
}

/// The containers a run stopped. They are started again when the backup ends, fails or
/// is cancelled (dropping this starts them from a spawned task); a crash leaves them
/// listed on the run rows, and the next start of caretaker starts them.
pub struct StoppedContainers {
    state: AppState,
    actor: Actor,
    containers: Vec<ContainerRef>,
    run_ids: Vec<i64>,
    started: bool,
}

impl StoppedContainers {
    async fn stop(
        state: &AppState,
        actor: &Actor,
        containers: &[ContainerRef],
        run_ids: &[i64],
        task: &TaskHandle,
    ) -> Result<Self, AppError> {
        let mut stopped = Self {
            state: state.clone(),
            actor: actor.clone(),
            containers: Vec::new(),
            run_ids: run_ids.to_vec(),
            started: false,
        };
        if containers.is_empty() {
            return Ok(stopped);
        }
        // Listed before stopping, so a crash in between still starts them again.
        store::set_stopped(&state.db, run_ids, containers).await?;
        for container in containers {
            if !is_running(state, container).await {
                // Stopped on purpose by someone: it stays stopped after the backup too.
                task.log(format!(
                    "{} is not running; left as it is",
                    container.container
                ));
                continue;
            }
            task.progress(None, format!("Stopping {}", container.container));
            // Listed first: a cancel while Docker stops it still starts it again.
            stopped.containers.push(container.clone());
            let result = crate::containers::service::act(
                state,
                actor,
                &container.host,
                &container.container,
                ContainerAction::Stop,
            )
            .await;
            if let Err(error) = result {
                stopped.start_again().await;
                return Err(AppError::EngineUnavailable(format!(
                    "The container {} could not be stopped before the backup, so nothing was backed up: {error}",
                    container.container
                )));
            }
            task.log(format!("Stopped {} for the backup", container.container));
        }
        Ok(stopped)
    }

    pub async fn start_again(mut self) {
        start_all(&self.state, &self.actor, &self.containers, &self.run_ids).await;
        self.started = true;
    }
}

impl Drop for StoppedContainers {
    fn drop(&mut self) {
        if !self.started && !self.containers.is_empty() {
            let state = self.state.clone();
            let actor = self.actor.clone();
            let containers = std::mem::take(&mut self.containers);
            let run_ids = std::mem::take(&mut self.run_ids);
            tokio::spawn(async move { start_all(&state, &actor, &containers, &run_ids).await });
        }
    }
}

/// Whether a container runs now (asked of its engine; unknown counts as running, so it
/// is stopped and started like the plan says).
async fn is_running(state: &AppState, container: &ContainerRef) -> bool {
    let Some(host) = state.fleet.host(&container.host) else {
        return true;
    };
    let name = container.container.clone();
    host.engine
        .call(|client| async move {
            client
                .inspect_container(
                    &name,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
        })
        .await
        .ok()
        .and_then(|inspected| inspected.state.and_then(|state| state.running))
        .unwrap_or(true)
}

/// Starts containers a backup stopped (in reverse order) and clears them from the runs.
pub async fn start_all(
    state: &AppState,
    actor: &Actor,
    containers: &[ContainerRef],
    run_ids: &[i64],
) {
    let mut all_started = true;
    for container in containers.iter().rev() {
        if let Err(error) = crate::containers::service::act(
            state,
            actor,
            &container.host,
            &container.container,
            ContainerAction::Start,
        )
        .await
        {
            all_started = false;
            tracing::error!(%error, container = %container.container, "a container stopped for a backup did not start again");
        }
    }
    if all_started {
        if let Err(error) = store::set_stopped(&state.db, run_ids, &[]).await {
            tracing::warn!(%error, "could not note that the stopped containers are back");
        }
    }
}
