//! Driving the `restic` binary, as `shared/reference/restic-cli.md` describes it for
//! restic 0.14 (Debian 12) and later: argument vectors, never a shell; the password from
//! a file (the admin's, or a private temporary one holding a sealed secret); stdin closed,
//! so restic never reads a password from it; JSON on stdout where the command has it;
//! errors told apart by exit code and, for 0.14's exit 1, by the stderr lines the
//! reference lists.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::Stdio;

use chrono::{DateTime, FixedOffset, Utc};
use serde::Deserialize;

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
    stdout: String,
    stderr: String,
}

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
        let finished = self.run(&["snapshots", "--json"]).await?;
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
                AppError::EngineUnavailable(
                    "restic is not installed on this machine (no `restic` on the PATH). Install it, for example with apt install restic.".to_owned(),
                )
            } else {
                AppError::internal(format_args!("starting restic: {error}"))
            }
        })?;
        Ok(Finished {
            code: output.status.code(),
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
                "The repository at {location} is locked by another restic process; try again when it has finished."
            ))
        } else {
            AppError::EngineUnavailable(format!(
                "restic could not {doing} at {location}: {}",
                last_line(stderr)
            ))
        }
    }
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
