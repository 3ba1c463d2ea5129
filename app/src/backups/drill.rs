//! Restore drills: the proof that a backup restores. For each repository and source of a
//! plan, the latest snapshot is restored into a scratch directory with `--verify` (restic
//! reads every restored file back and compares it with the snapshot's checksums), the
//! restored tree is compared with the snapshot's listing (file count and each size), and
//! database copies are opened for real: SQLite files must pass `PRAGMA integrity_check`,
//! PostgreSQL and MySQL dumps must end with their tool's completion line. SQLite files
//! found among backed-up paths and volumes (by their header) are checked the same way: a
//! database copied while it was written is caught here, not on the day it is needed.

use std::path::{Path, PathBuf};

use super::restic::{Node, Repository};
use super::run::{dump_filename, plan_tag, Target};
use super::store::{self, RunEnd};
use super::{BackupStatus, DumpEngine, PlanSpec, Source};
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::tasks::service::TaskHandle;

/// What a drill of one source found.
struct Finding {
    files: u64,
    bytes: u64,
    problems: Vec<String>,
    notes: Vec<String>,
}

pub async fn drill(
    state: &AppState,
    plan_id: i64,
    plan: &PlanSpec,
    targets: &[Target],
    task: &TaskHandle,
) -> Result<String, AppError> {
    let steps = (targets.len() * plan.sources.len()).max(1) as f64;
    let mut step = 0.0;
    let mut sentences = Vec::new();
    let mut failed = false;
    for target in targets {
        let mut files = 0;
        let mut bytes = 0;
        let mut problems = Vec::new();
        let mut notes = Vec::new();
        for source in &plan.sources {
            task.progress(
                Some(step / steps),
                format!(
                    "Restoring the latest {} from {}",
                    source.label(),
                    target.name
                ),
            );
            step += 1.0;
            match drill_source(state, &target.repository, plan_id, source).await {
                Ok(finding) => {
                    files += finding.files;
                    bytes += finding.bytes;
                    for problem in &finding.problems {
                        task.log(format!("{} → {}: {problem}", target.name, source.label()));
                    }
                    problems.extend(
                        finding
                            .problems
                            .into_iter()
                            .map(|problem| format!("{}: {problem}", source.label())),
                    );
                    notes.extend(finding.notes);
                }
                Err(error) => {
                    task.log(format!("{} → {}: {error}", target.name, source.label()));
                    problems.push(format!("{}: {error}", source.label()));
                }
            }
        }
        let (status, message) = if problems.is_empty() {
            let mut message = format!(
                "Restored {} sources ({files} files, {}) and verified them against the snapshots.",
                plan.sources.len(),
                crate::ui::format::bytes(bytes)
            );
            for note in &notes {
                message.push(' ');
                message.push_str(note);
            }
            (BackupStatus::Succeeded, message)
        } else {
            failed = true;
            (
                BackupStatus::Failed,
                format!("The drill failed: {}", problems.join(" ")),
            )
        };
        sentences.push(format!("{}: {message}", target.name));
        let end = RunEnd {
            message,
            ..RunEnd::default()
        };
        store::finish_run(&state.db, target.run_id, status, &end).await?;
    }
    let summary = sentences.join(" ");
    if failed {
        Err(AppError::EngineUnavailable(summary))
    } else {
        Ok(summary)
    }
}

async fn drill_source(
    state: &AppState,
    repository: &Repository,
    plan_id: i64,
    source: &Source,
) -> Result<Finding, AppError> {
    let mut snapshots = repository
        .snapshots_tagged(&[plan_tag(plan_id), source.tag()])
        .await?;
    snapshots.sort_by_key(|snapshot| snapshot.time);
    let latest = snapshots.pop().ok_or_else(|| {
        AppError::NotFound("there is no snapshot of it yet; back it up first.".to_owned())
    })?;
    let scratch = tempfile::Builder::new()
        .prefix("caretaker-drill-")
        .tempdir()
        .map_err(AppError::internal)?;
    repository
        .restore(&latest.id, scratch.path(), &[], true)
        .await?;
    let nodes = repository.ls_all(&latest.id).await?;
    let mut finding = compare(scratch.path(), &nodes);
    let database = match source {
        Source::CaretakerDatabase => {
            Some(("/caretaker/caretaker.db".to_owned(), DumpEngine::Sqlite))
        }
        Source::Dump {
            container,
            engine,
            database,
            ..
        } => Some((dump_filename(container, *engine, database), *engine)),
        _ => None,
    };
    if let Some((path, engine)) = database {
        let file = scratch.path().join(path.trim_start_matches('/'));
        let loaded = match source {
            Source::Dump {
                host, container, ..
            } if engine == DumpEngine::Postgres => match load(&file, engine).await {
                Ok(_) => super::postgres::load_in_throwaway(state, host, container, &file).await,
                Err(problem) => Err(problem),
            },
            _ => load(&file, engine).await,
        };
        match loaded {
            Ok(note) => finding.notes.push(format!("{}: {note}.", source.label())),
            Err(problem) => finding.problems.push(problem),
        }
    } else {
        let mut checked = 0;
        for node in nodes
            .iter()
            .filter(|node| node.kind == "file" && node.size.unwrap_or(0) >= 512)
        {
            if checked == SQLITE_FILES_CHECKED {
                break;
            }
            let file = scratch.path().join(node.path.trim_start_matches('/'));
            if !is_sqlite(&file) {
                continue;
            }
            checked += 1;
            if let Err(problem) = sqlite_integrity(&file).await {
                finding.problems.push(format!("{}: {problem}", node.path));
            }
        }
        if checked > 0 {
            finding.notes.push(format!(
                "{checked} SQLite files in it passed the integrity check."
            ));
        }
    }
    Ok(finding)
}

/// At most this many SQLite files found in one source are opened.
const SQLITE_FILES_CHECKED: usize = 50;

/// Whether a file starts with SQLite's header.
fn is_sqlite(file: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(file)
        .and_then(|mut opened| opened.read_exact(&mut header))
        .is_ok_and(|()| &header == b"SQLite format 3\0")
}

/// The restored tree against the snapshot's listing: every file there, with its size.
fn compare(root: &Path, nodes: &[Node]) -> Finding {
    let mut finding = Finding {
        files: 0,
        bytes: 0,
        problems: Vec::new(),
        notes: Vec::new(),
    };
    let mut missing = Vec::new();
    let mut wrong_size = Vec::new();
    for node in nodes {
        let restored: PathBuf = root.join(node.path.trim_start_matches('/'));
        let metadata = std::fs::symlink_metadata(&restored);
        match (node.kind.as_str(), metadata) {
            ("file", Ok(metadata)) if metadata.is_file() => {
                let expected = node.size.unwrap_or(0);
                if metadata.len() == expected {
                    finding.files += 1;
                    finding.bytes += expected;
                } else {
                    wrong_size.push(format!(
                        "{} ({} instead of {expected} bytes)",
                        node.path,
                        metadata.len()
                    ));
                }
            }
            ("dir", Ok(metadata)) if metadata.is_dir() => {}
            ("symlink", Ok(metadata)) if metadata.file_type().is_symlink() => {}
            ("file" | "dir" | "symlink", _) => missing.push(node.path.clone()),
            // Devices, FIFOs and sockets are not compared.
            _ => {}
        }
    }
    if !missing.is_empty() {
        finding.problems.push(format!(
            "{} items of the snapshot were not restored: {}",
            missing.len(),
            first_few(&missing)
        ));
    }
    if !wrong_size.is_empty() {
        finding.problems.push(format!(
            "{} files came back with another size: {}",
            wrong_size.len(),
            first_few(&wrong_size)
        ));
    }
    finding
}

fn first_few(items: &[String]) -> String {
    let mut text = items.iter().take(5).cloned().collect::<Vec<_>>().join(", ");
    if items.len() > 5 {
        text.push_str(", …");
    }
    text
}

/// Loads a restored database copy: what was checked, or the problem.
async fn load(file: &Path, engine: DumpEngine) -> Result<String, String> {
    match engine {
        DumpEngine::Sqlite => sqlite_integrity(file).await,
        DumpEngine::Postgres => {
            dump_trailer(file, "-- PostgreSQL database dump complete", "pg_dump")
        }
        DumpEngine::Mysql => dump_trailer(file, "-- Dump completed", "mysqldump"),
    }
}

/// Opens a restored SQLite file read-only and runs `PRAGMA integrity_check`.
async fn sqlite_integrity(file: &Path) -> Result<String, String> {
    use sqlx::sqlite::SqliteConnectOptions;
    use sqlx::ConnectOptions;
    let options = SqliteConnectOptions::new()
        .filename(file)
        .read_only(true)
        .immutable(true);
    let mut connection = options
        .connect()
        .await
        .map_err(|error| format!("the restored SQLite file does not open: {error}"))?;
    let results: Result<Vec<String>, _> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&mut connection)
        .await;
    let tables: Result<i64, _> =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_schema WHERE type = 'table'")
            .fetch_one(&mut connection)
            .await;
    match (results, tables) {
        (Ok(results), Ok(tables)) if results == ["ok"] => {
            Ok(format!("SQLite integrity check ok, {tables} tables"))
        }
        (Ok(results), Ok(_)) => Err(format!(
            "the restored SQLite file fails its integrity check: {}",
            results.into_iter().take(3).collect::<Vec<_>>().join("; ")
        )),
        (Err(error), _) | (Ok(_), Err(error)) => {
            Err(format!("the restored SQLite file cannot be read: {error}"))
        }
    }
}

/// A dump is whole when its tool's last line is there (a cut dump lacks it).
fn dump_trailer(file: &Path, trailer: &str, tool: &str) -> Result<String, String> {
    use std::io::{Read, Seek, SeekFrom};
    let mut opened = std::fs::File::open(file)
        .map_err(|error| format!("the restored dump cannot be read: {error}"))?;
    let length = opened
        .metadata()
        .map(|metadata| metadata.len())
        .unwrap_or(0);
    let start = length.saturating_sub(4096);
    let mut bytes = Vec::new();
    opened
        .seek(SeekFrom::Start(start))
        .and_then(|_| opened.read_to_end(&mut bytes).map(|_| ()))
        .map_err(|error| format!("the restored dump cannot be read: {error}"))?;
    // The tail may start inside a multi-byte character.
    let tail = String::from_utf8_lossy(&bytes);
    if tail.contains(trailer) {
        Ok(format!("{tool} dump complete"))
    } else {
        Err(format!(
            "the restored dump does not end with “{trailer}”: {tool} was cut short when it was made"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(path: &str, kind: &str, size: Option<u64>) -> Node {
        Node {
            name: path.rsplit('/').next().unwrap_or_default().to_owned(),
            kind: kind.to_owned(),
            path: path.to_owned(),
            size,
            mtime: None,
        }
    }

    #[test]
    fn a_missing_or_shortened_file_is_a_problem() {
        let root = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(root.path().join("srv/app")).unwrap();
        std::fs::write(root.path().join("srv/app/a"), b"12345").unwrap();
        std::fs::write(root.path().join("srv/app/b"), b"12").unwrap();
        let nodes = [
            node("/srv", "dir", None),
            node("/srv/app", "dir", None),
            node("/srv/app/a", "file", Some(5)),
            node("/srv/app/b", "file", Some(3)),
            node("/srv/app/c", "file", Some(0)),
        ];
        let finding = compare(root.path(), &nodes);
        assert_eq!(finding.files, 1);
        assert_eq!(finding.bytes, 5);
        assert_eq!(finding.problems.len(), 2, "{:?}", finding.problems);
        assert!(finding.problems[0].contains("/srv/app/c"));
        assert!(finding.problems[1].contains("/srv/app/b (2 instead of 3 bytes)"));
    }

    #[test]
    fn a_cut_dump_lacks_its_trailer() {
        let folder = tempfile::tempdir().unwrap();
        let whole = folder.path().join("whole.sql");
        std::fs::write(
            &whole,
            "CREATE TABLE t();\n--\n-- PostgreSQL database dump complete\n--\n",
        )
        .unwrap();
        let cut = folder.path().join("cut.sql");
        std::fs::write(&cut, "CREATE TABLE t();\nINSERT INTO").unwrap();
        assert!(dump_trailer(&whole, "-- PostgreSQL database dump complete", "pg_dump").is_ok());
        assert!(
            dump_trailer(&cut, "-- PostgreSQL database dump complete", "pg_dump")
                .unwrap_err()
                .contains("cut short")
        );
    }
}
