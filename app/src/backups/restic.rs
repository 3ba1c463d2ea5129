//! Driving the `restic` binary, as `shared/reference/restic-cli.md` describes it for
//! restic 0.14 (Debian 12) and later: argument vectors, never a shell; the password from
//! a file (the admin's, or a private temporary one holding a sealed secret); stdin closed,
//! so restic never reads a password from it; JSON on stdout where the command has it;
//! errors told apart by exit code and, for 0.14's exit 1, by the stderr lines the
//! reference lists.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::process::Stdio;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, BufReader};

use crate::core::error::AppError;

/// Where the repository's password comes from.
pub enum Password {
    /// A file the admin keeps (restic reads it itself).
    File(PathBuf),
    /// The unsealed secret, written to a private temporary file for each command.
    Secret(String),
}

pub struct Repository {
    pub location: String,
    pub password: Password,
}

/// A snapshot as `restic snapshots --json` lists it.
#[derive(Debug, Clone, Deserialize)]
pub struct Snapshot {
    pub id: String,
    #[serde(default)]
    pub short_id: String,
    pub time: DateTime<FixedOffset>,
    #[serde(default)]
    pub paths: Vec<String>,
    #[serde(default)]
    pub tags: Option<Vec<String>>,
    #[serde(default)]
    pub hostname: String,
}

impl Snapshot {
    pub fn time_utc(&self) -> DateTime<Utc> {
        self.time.with_timezone(&Utc)
    }
}

/// What a finished restic command gave.
struct Finished {
    code: Option<i32>,
    /// The signal that ended it, when one did.
    signal: Option<i32>,
    stdout: String,
    stderr: String,
}

const NOT_INSTALLED: &str = "restic is not installed on this machine (no `restic` on the PATH). Install it, for example with apt install restic.";

impl Repository {
    /// `restic init`: creates the repository (format v2 on 0.14).
    pub async fn init(&self) -> Result<(), AppError> {
        let finished = self.run(&["init"]).await?;
        match finished.code {
            Some(0) => Ok(()),
            _ if finished.stderr.contains("config file already exists") => {
                Err(AppError::Conflict(format!(
                    "There is a restic repository at {} already; add it without initialising.",
                    self.location
                )))
            }
            _ => Err(self.failure("initialise the repository", &finished)),
        }
    }

    /// `restic snapshots --json`, oldest first.
    pub async fn snapshots(&self) -> Result<Vec<Snapshot>, AppError> {
        self.list_snapshots(&[]).await
    }

    /// `restic snapshots --json` with `filters` (such as `--tag a,b`).
    async fn list_snapshots(&self, filters: &[&str]) -> Result<Vec<Snapshot>, AppError> {
        // --no-lock: listing needs no lock, and a page must not wait for a check or prune.
        let mut args = vec!["snapshots", "--json", "--no-lock"];
        args.extend_from_slice(filters);
        let finished = self.run(&args).await?;
        if finished.code != Some(0) {
            return Err(self.failure("list the snapshots", &finished));
        }
        // Old versions print `null` for an empty repository.
        let listed: Option<Vec<Snapshot>> = serde_json::from_str(finished.stdout.trim())
            .map_err(|error| {
                AppError::EngineUnavailable(format!(
                    "restic listed the snapshots of {} in a form caretaker does not read ({error}).",
                    self.location
                ))
            })?;
        Ok(listed.unwrap_or_default())
    }

    /// Runs restic with `args` and waits for it.
    async fn run(&self, args: &[&str]) -> Result<Finished, AppError> {
        let (mut command, _password_file) = self.command(args)?;
        let output = command.output().await.map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                AppError::EngineUnavailable(NOT_INSTALLED.to_owned())
            } else {
                AppError::internal(format_args!("starting restic: {error}"))
            }
        })?;
        Ok(Finished {
            code: output.status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&output.status),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        })
    }

    /// The command line for `args`, and the temporary password file it reads (removed when
    /// dropped, so it must live as long as the command runs).
    pub fn command(
        &self,
        args: &[&str],
    ) -> Result<(tokio::process::Command, Option<tempfile::NamedTempFile>), AppError> {
        let mut command = tokio::process::Command::new("restic");
        command
            .arg("--repo")
            .arg(&self.location)
            // Settings from caretaker's own environment must not change what restic does.
            .env_remove("RESTIC_PASSWORD")
            .env_remove("RESTIC_PASSWORD_FILE")
            .env_remove("RESTIC_PASSWORD_COMMAND")
            .env_remove("RESTIC_REPOSITORY")
            .env_remove("RESTIC_REPOSITORY_FILE")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        let temporary = match &self.password {
            Password::File(path) => {
                command.arg("--password-file").arg(path);
                None
            }
            Password::Secret(secret) => {
                // tempfile creates the file readable by this user only (0600).
                let mut file = tempfile::NamedTempFile::new().map_err(AppError::internal)?;
                file.write_all(secret.as_bytes())
                    .and_then(|()| file.flush())
                    .map_err(AppError::internal)?;
                command.arg("--password-file").arg(file.path());
                Some(file)
            }
        };
        command.args(args);
        Ok((command, temporary))
    }

    /// The sentence for a failed command, from restic's exit code and stderr.
    fn failure(&self, doing: &str, finished: &Finished) -> AppError {
        let stderr = &finished.stderr;
        let location = &self.location;
        if let Some(signal) = finished.signal {
            return AppError::EngineUnavailable(format!(
                "restic was stopped by signal {signal} before it could {doing} at {location}; nothing of it was kept."
            ));
        }
        if finished.code == Some(10)
            || stderr.contains("Is there a repository at the following location?")
        {
            AppError::NotFound(format!(
                "There is no restic repository at {location}. Check the location, or initialise a new repository there."
            ))
        } else if finished.code == Some(12) || stderr.contains("wrong password or no key found") {
            AppError::invalid(format!(
                "Password: it does not open the repository at {location}."
            ))
        } else if stderr.contains("Resolving password failed") {
            AppError::invalid(format!(
                "Password file: restic could not read it ({}).",
                last_line(stderr)
            ))
        } else if finished.code == Some(11) || stderr.contains("repository is already locked") {
            AppError::Conflict(format!(
                "The repository at {location} {LOCKED}; try again when it has finished."
            ))
        } else if stderr.contains("no space left on device") {
            AppError::EngineUnavailable(format!(
                "The disk of the repository at {location} is full (no space left on device); free space there or forget old snapshots, then try again."
            ))
        } else {
            AppError::EngineUnavailable(format!(
                "restic could not {doing} at {location}: {}",
                last_line(stderr)
            ))
        }
    }
}

/// The words of the "locked" sentence, which [`is_locked`] looks for.
const LOCKED: &str = "is locked by another restic process";

/// Whether an error is restic finding the repository locked (perhaps by a dead process:
/// then [`Repository::unlock_stale`] clears it).
pub fn is_locked(error: &AppError) -> bool {
    matches!(error, AppError::Conflict(text) if text.contains(LOCKED))
}

/// What a backup reads.
pub enum BackupInput {
    /// Host paths (absolute), with `--exclude` patterns.
    Paths {
        paths: Vec<PathBuf>,
        excludes: Vec<String>,
    },
    /// A stream (a database dump) stored under `filename` (absolute, e.g. `/db/app.sql`).
    Stdin {
        filename: String,
        reader: Pin<Box<dyn AsyncRead + Send>>,
    },
}

/// A backup's progress, from restic's `status` lines.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct BackupProgress {
    /// 0 to 1.
    pub fraction: f64,
    pub files_done: u64,
    pub total_files: u64,
    pub bytes_done: u64,
    pub total_bytes: u64,
}

/// restic's `summary` line. Its snapshot id is the short one on restic 0.14 (the full
/// one from 0.15): ids are always matched by prefix, and looking the full one up would
/// cost another restic start (and key derivation) per backup.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackupSummary {
    pub files_new: u64,
    pub files_changed: u64,
    pub files_unmodified: u64,
    pub data_added: u64,
    pub total_files_processed: u64,
    pub total_bytes_processed: u64,
    pub snapshot_id: String,
}

#[derive(Debug, Clone, PartialEq)]
pub enum BackupOutcome {
    Complete(BackupSummary),
    /// restic exit 3: a snapshot was saved without some files it could not read.
    Partial {
        summary: BackupSummary,
        unreadable: Vec<String>,
    },
}

/// One line of `restic --json backup` (stdout) or of its errors (stderr).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct BackupLine {
    message_type: String,
    /// 0.14 sends its scan-finished line as a `status` with an action; not progress.
    action: Option<String>,
    percent_done: f64,
    total_files: u64,
    files_done: u64,
    total_bytes: u64,
    bytes_done: u64,
    files_new: u64,
    files_changed: u64,
    files_unmodified: u64,
    data_added: u64,
    total_files_processed: u64,
    total_bytes_processed: u64,
    snapshot_id: String,
    item: String,
}

pub struct ForgetReport {
    pub removed: usize,
    pub kept: usize,
}

pub struct CheckReport {
    pub ok: bool,
    /// restic's lines describing the damage.
    pub errors: Vec<String>,
}

/// A node of a snapshot's tree, as `restic ls --json` lists it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub mtime: Option<DateTime<FixedOffset>>,
}

/// A restic process that is stopped with SIGINT if it is dropped before it ends: restic
/// 0.14 releases its repository lock on SIGINT, but not when killed. After 10 seconds it
/// is killed anyway.
struct Running {
    child: Option<tokio::process::Child>,
    password_file: Option<tempfile::NamedTempFile>,
}

impl Running {
    fn interrupt(&self) {
        if let Some(pid) = self.child.as_ref().and_then(tokio::process::Child::id) {
            // The kill program, not a libc call: this crate has no unsafe code.
            let _ = std::process::Command::new("kill")
                .arg("-INT")
                .arg(pid.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
    }

    async fn wait(&mut self) -> std::io::Result<std::process::ExitStatus> {
        let child = self.child.as_mut().expect("waited once");
        let status = child.wait().await;
        self.child = None;
        status
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Some(pid) = child.id() {
            let _ = std::process::Command::new("kill")
                .arg("-INT")
                .arg(pid.to_string())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
        }
        let password_file = self.password_file.take();
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            runtime.spawn(async move {
                if tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_err()
                {
                    let _ = child.kill().await;
                }
                drop(password_file);
            });
        }
    }
}

impl Repository {
    /// Starts restic with `args`; stdin piped when `with_stdin`.
    fn spawn(&self, args: &[&str], with_stdin: bool) -> Result<Running, AppError> {
        let (mut command, password_file) = self.command(args)?;
        command.env("RESTIC_PROGRESS_FPS", "2").kill_on_drop(false);
        if with_stdin {
            command.stdin(Stdio::piped());
        }
        let child = command.spawn().map_err(|error| {
            if error.kind() == std::io::ErrorKind::NotFound {
                AppError::EngineUnavailable(NOT_INSTALLED.to_owned())
            } else {
                AppError::internal(format_args!("starting restic: {error}"))
            }
        })?;
        Ok(Running {
            child: Some(child),
            password_file,
        })
    }

    /// Runs a long command to its end, stopped with SIGINT if this future is dropped.
    async fn run_long(&self, args: &[&str]) -> Result<Finished, AppError> {
        let mut running = self.spawn(args, false)?;
        let child = running.child.as_mut().expect("just started");
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let (stdout, stderr) = tokio::join!(read_all(stdout), read_all(stderr));
        let status = running.wait().await.map_err(AppError::internal)?;
        Ok(Finished {
            code: status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&status),
            stdout,
            stderr,
        })
    }

    /// `restic backup` of paths or a stream, with its progress reported as it goes.
    pub async fn backup(
        &self,
        input: BackupInput,
        tags: &[String],
        on_progress: &mut (dyn FnMut(BackupProgress) + Send),
    ) -> Result<BackupOutcome, AppError> {
        let mut args: Vec<String> = vec!["--json".into(), "backup".into()];
        for tag in tags {
            args.push("--tag".into());
            args.push(tag.clone());
        }
        let (reader, with_stdin) = match input {
            BackupInput::Paths { paths, excludes } => {
                for pattern in excludes {
                    args.push("--exclude".into());
                    args.push(pattern);
                }
                args.push("--".into());
                args.extend(paths.iter().map(|path| path.display().to_string()));
                (None, false)
            }
            BackupInput::Stdin { filename, reader } => {
                args.extend(["--stdin".into(), "--stdin-filename".into(), filename]);
                (Some(reader), true)
            }
        };
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        let mut running = self.spawn(&borrowed, with_stdin)?;
        let child = running.child.as_mut().expect("just started");
        let stdout = child.stdout.take().expect("piped");
        let stderr = child.stderr.take();
        // The stream is copied in; on EOF restic's stdin is closed. If the stream breaks,
        // stdin is kept open until restic has been interrupted, so restic never takes a
        // cut stream for a whole one.
        let feeding = match (reader, child.stdin.take()) {
            (Some(mut reader), Some(mut stdin)) => Some(tokio::spawn(async move {
                let copied = tokio::io::copy(&mut reader, &mut stdin).await;
                match copied {
                    Ok(_) => {
                        drop(stdin);
                        (Ok(()), None)
                    }
                    Err(error) => (Err(error), Some(stdin)),
                }
            })),
            _ => None,
        };
        let errors = tokio::spawn(read_all(stderr));
        let mut lines = BufReader::new(stdout).lines();
        let mut summary = None;
        let mut feed_failure = None;
        let mut feeding = feeding;
        loop {
            tokio::select! {
                line = lines.next_line() => match line {
                    Ok(Some(line)) => {
                        let Ok(parsed) = serde_json::from_str::<BackupLine>(&line) else { continue };
                        match parsed.message_type.as_str() {
                            "status" if parsed.action.is_none() => on_progress(BackupProgress {
                                fraction: parsed.percent_done.clamp(0.0, 1.0),
                                files_done: parsed.files_done,
                                total_files: parsed.total_files,
                                bytes_done: parsed.bytes_done,
                                total_bytes: parsed.total_bytes,
                            }),
                            "summary" => summary = Some(parsed),
                            _ => {}
                        }
                    }
                    _ => break,
                },
                fed = async { feeding.as_mut().expect("guarded").await }, if feeding.is_some() => {
                    feeding = None;
                    if let Ok((Err(error), stdin)) = fed {
                        running.interrupt();
                        feed_failure = Some(error);
                        // Closed only after the interrupt reached restic.
                        tokio::time::sleep(Duration::from_millis(200)).await;
                        drop(stdin);
                    }
                }
            }
        }
        let status = running.wait().await.map_err(AppError::internal)?;
        let stderr = errors.await.unwrap_or_default();
        if let Some(error) = feed_failure {
            return Err(AppError::EngineUnavailable(format!(
                "The data to back up stopped arriving ({error}); restic was stopped and no snapshot was kept."
            )));
        }
        let finished = Finished {
            code: status.code(),
            signal: std::os::unix::process::ExitStatusExt::signal(&status),
            stdout: String::new(),
            stderr,
        };
        let unreadable = || -> Vec<String> {
            finished
                .stderr
                .lines()
                .filter_map(|line| serde_json::from_str::<BackupLine>(line).ok())
                .filter(|line| line.message_type == "error" && !line.item.is_empty())
                .map(|line| line.item)
                .take(20)
                .collect()
        };
        match (finished.code, summary) {
            (Some(code @ (0 | 3)), Some(line)) => {
                let summary = BackupSummary {
                    files_new: line.files_new,
                    files_changed: line.files_changed,
                    files_unmodified: line.files_unmodified,
                    data_added: line.data_added,
                    total_files_processed: line.total_files_processed,
                    total_bytes_processed: line.total_bytes_processed,
                    snapshot_id: line.snapshot_id,
                };
                if code == 0 {
                    Ok(BackupOutcome::Complete(summary))
                } else {
                    let mut unreadable = unreadable();
                    if unreadable.is_empty() {
                        unreadable.push("(restic did not name them)".to_owned());
                    }
                    Ok(BackupOutcome::Partial {
                        summary,
                        unreadable,
                    })
                }
            }
            _ if finished.stderr.contains("snapshot is empty") => Err(AppError::EngineUnavailable(
                "There was nothing to back up: the data came out empty, so no snapshot was saved."
                    .to_owned(),
            )),
            _ => Err(self.failure("back up", &finished)),
        }
    }

    /// The snapshots that carry every tag in `tags`.
    pub async fn snapshots_tagged(&self, tags: &[String]) -> Result<Vec<Snapshot>, AppError> {
        let joined = tags.join(",");
        self.list_snapshots(&["--tag", &joined]).await
    }

    /// `forget --prune` by the retention, per source (snapshots grouped by paths and tags)
    /// among the snapshots carrying all of `tags`. `prune` runs only when something went.
    pub async fn forget(
        &self,
        tags: &[String],
        retention: &super::Retention,
    ) -> Result<ForgetReport, AppError> {
        if !retention.is_set() {
            return Ok(ForgetReport {
                removed: 0,
                kept: 0,
            });
        }
        let joined = tags.join(",");
        let mut args: Vec<String> = [
            "--json",
            "forget",
            "--tag",
            &joined,
            "--group-by",
            "paths,tags",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        for (flag, count) in [
            ("--keep-last", retention.keep_last),
            ("--keep-daily", retention.keep_daily),
            ("--keep-weekly", retention.keep_weekly),
            ("--keep-monthly", retention.keep_monthly),
        ] {
            if let Some(count) = count {
                args.push(flag.to_owned());
                args.push(count.to_string());
            }
        }
        let borrowed: Vec<&str> = args.iter().map(String::as_str).collect();
        let finished = self.run_long(&borrowed).await?;
        if finished.code != Some(0) {
            return Err(self.failure("forget old snapshots", &finished));
        }
        #[derive(Deserialize)]
        struct Group {
            #[serde(default)]
            keep: Option<Vec<serde_json::Value>>,
            #[serde(default)]
            remove: Option<Vec<serde_json::Value>>,
        }
        let groups: Vec<Group> = finished
            .stdout
            .lines()
            .next()
            .and_then(|line| serde_json::from_str(line).ok())
            .unwrap_or_default();
        let removed = groups
            .iter()
            .map(|group| group.remove.as_ref().map_or(0, Vec::len))
            .sum();
        let kept = groups
            .iter()
            .map(|group| group.keep.as_ref().map_or(0, Vec::len))
            .sum();
        if removed > 0 {
            let pruned = self.run_long(&["prune"]).await?;
            if pruned.code != Some(0) {
                return Err(self.failure("prune the forgotten data", &pruned));
            }
        }
        Ok(ForgetReport { removed, kept })
    }

    /// Forgets snapshots by id (a dump that failed half-way).
    pub async fn forget_ids(&self, ids: &[String]) -> Result<(), AppError> {
        let mut args = vec!["forget"];
        args.extend(ids.iter().map(String::as_str));
        let finished = self.run_long(&args).await?;
        if finished.code == Some(0) {
            Ok(())
        } else {
            Err(self.failure("forget a snapshot", &finished))
        }
    }

    /// `restic check`, reading back `read_data_subset` of the data when given.
    pub async fn check(&self, read_data_subset: Option<&str>) -> Result<CheckReport, AppError> {
        let mut args = vec!["check"];
        if let Some(subset) = read_data_subset {
            args.extend(["--read-data-subset", subset]);
        }
        let finished = self.run_long(&args).await?;
        if finished.code == Some(0) {
            return Ok(CheckReport {
                ok: true,
                errors: Vec::new(),
            });
        }
        if finished.stderr.contains("repository contains errors") {
            let errors = finished
                .stderr
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty() && !line.starts_with("Fatal:"))
                .take(20)
                .map(str::to_owned)
                .collect();
            return Ok(CheckReport { ok: false, errors });
        }
        Err(self.failure("check the repository", &finished))
    }

    /// `restic unlock`: removes stale locks only (a dead process on this host, or older
    /// than 30 minutes), never a live run's.
    pub async fn unlock_stale(&self) -> Result<(), AppError> {
        let finished = self.run(&["unlock"]).await?;
        if finished.code == Some(0) {
            Ok(())
        } else {
            Err(self.failure("remove stale locks", &finished))
        }
    }

    /// The direct children of `dir` in a snapshot (`None`: the top level).
    pub async fn ls(&self, snapshot: &str, dir: Option<&str>) -> Result<Vec<Node>, AppError> {
        let dir = dir.unwrap_or("/");
        let nodes = self.list_nodes(snapshot, Some(dir)).await?;
        let dir = if dir.len() > 1 {
            dir.trim_end_matches('/')
        } else {
            dir
        };
        Ok(nodes
            .into_iter()
            .filter(|node| {
                let parent = node.path.rsplit_once('/').map_or("", |(parent, _)| parent);
                parent == dir || (dir == "/" && parent.is_empty())
            })
            .collect())
    }

    /// Every node of a snapshot.
    pub async fn ls_all(&self, snapshot: &str) -> Result<Vec<Node>, AppError> {
        self.list_nodes(snapshot, None).await
    }

    async fn list_nodes(&self, snapshot: &str, dir: Option<&str>) -> Result<Vec<Node>, AppError> {
        let mut args = vec!["--json", "ls", "--no-lock", snapshot];
        if let Some(dir) = dir {
            args.push(dir);
        }
        let finished = self.run_long(&args).await?;
        if finished.code != Some(0) {
            return Err(self.failure("list the snapshot", &finished));
        }
        #[derive(Deserialize)]
        struct Kind {
            #[serde(default)]
            struct_type: String,
            #[serde(default)]
            message_type: String,
        }
        let mut nodes = Vec::new();
        let mut saw_snapshot = false;
        for line in finished.stdout.lines() {
            let Ok(kind) = serde_json::from_str::<Kind>(line) else {
                continue;
            };
            if kind.struct_type == "snapshot" || kind.message_type == "snapshot" {
                saw_snapshot = true;
            } else if kind.struct_type == "node" || kind.message_type == "node" {
                if let Ok(node) = serde_json::from_str::<Node>(line) {
                    nodes.push(node);
                }
            }
        }
        if !saw_snapshot {
            return Err(AppError::NotFound(format!(
                "There is no snapshot {snapshot} in the repository at {}.",
                self.location
            )));
        }
        Ok(nodes)
    }

    /// `restic restore` into `target` (a fresh directory the caller chose and checked).
    pub async fn restore(
        &self,
        snapshot: &str,
        target: &Path,
        includes: &[String],
        verify: bool,
    ) -> Result<(), AppError> {
        let target_text = target.display().to_string();
        let mut args = vec!["restore", snapshot, "--target", &target_text];
        for include in includes {
            args.extend(["--include", include]);
        }
        if verify {
            args.push("--verify");
        }
        let finished = self.run_long(&args).await?;
        if finished.code == Some(0) {
            return Ok(());
        }
        if finished.stderr.contains("There were") && finished.stderr.contains("errors") {
            let detail: Vec<&str> = finished
                .stderr
                .lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .take(3)
                .collect();
            return Err(AppError::EngineUnavailable(format!(
                "restic could not restore everything into {target_text}: {}",
                detail.join("; ")
            )));
        }
        Err(self.failure("restore the snapshot", &finished))
    }
}

async fn read_all(stream: Option<impl AsyncRead + Unpin>) -> String {
    let mut text = Vec::new();
    if let Some(mut stream) = stream {
        let _ = stream.read_to_end(&mut text).await;
    }
    String::from_utf8_lossy(&text).into_owned()
}

/// restic's last meaningful stderr line, for a message.
fn last_line(stderr: &str) -> String {
    stderr
        .lines()
        .map(str::trim)
        .rfind(|line| !line.is_empty())
        .map(|line| line.chars().take(300).collect())
        .unwrap_or_else(|| "it gave no reason".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_line_is_the_reason() {
        assert_eq!(
            last_line("Fatal: unable to open config file\nIs there a repository at the following location?\n/x\n\n"),
            "/x"
        );
        assert_eq!(last_line(""), "it gave no reason");
    }
}
