//! Restore: chosen paths of a plan's snapshot into a directory, or back into a Docker
//! volume (its containers stopped and started around it). Audited, and confirmed first.
//!
//! A restore never writes outside the target the admin chose:
//! - a directory target must be new or empty, and no part of its path may be a symbolic
//!   link, so restic (which itself refuses nodes that would land outside its target) writes
//!   into a real, empty folder where nothing can redirect it;
//! - a volume is restored into a fresh staging folder beside the volume's `_data` (same
//!   disk), then moved into place entry by entry; a symbolic link found in the volume where
//!   a folder goes is replaced, never followed.

use std::path::{Path, PathBuf};

use super::restic::Repository;
use super::run::{self, plan_tag};
use super::{validate, ContainerRef, RestoreForm};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::containers::{ContainerAction, LOCAL_HOST_ID};
use crate::core::error::AppError;
use crate::core::state::AppState;

/// Where a restore goes.
pub enum Destination {
    Directory(PathBuf),
    Volume(String),
}

/// Checks the form and starts the restore as a task; answers the task's id.
pub async fn start(
    state: &AppState,
    actor: &Actor,
    form: &RestoreForm,
) -> Result<String, AppError> {
    if form.confirm.is_none() {
        return Err(AppError::invalid(
            "Confirm: tick the box to say you mean to restore; files already at the target are replaced.",
        ));
    }
    let snapshot = validate::snapshot_id(&form.snapshot).map_err(AppError::Invalid)?;
    let includes = includes(&form.paths)?;
    let destination = match form.target_kind.as_str() {
        "directory" => Destination::Directory(
            validate::restore_directory(&form.directory).map_err(AppError::Invalid)?,
        ),
        "volume" => {
            let volume = form.volume.trim();
            if volume.is_empty()
                || !volume
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
            {
                return Err(AppError::invalid(format!(
                    "Volume: “{volume}” is not a volume name; write the name docker volume ls shows."
                )));
            }
            Destination::Volume(volume.to_owned())
        }
        _ => {
            return Err(AppError::invalid(
                "Restore into: choose a directory or a Docker volume.",
            ))
        }
    };
    let (plan, repository) =
        super::service::plan_repository(state, form.plan, form.repository).await?;
    let snapshots = repository.snapshots_tagged(&[plan_tag(plan.id)]).await?;
    let snapshot = snapshots
        .into_iter()
        .find(|candidate| candidate.id.starts_with(&snapshot))
        .ok_or_else(|| {
            AppError::not_found(format!(
                "The plan {} has no snapshot {snapshot} in that repository.",
                plan.spec.name
            ))
        })?;
    // Checked before the task starts, so a bad target is a sentence on the form.
    let (kind, target) = match &destination {
        Destination::Directory(path) => {
            prepare_directory(path)?;
            ("directory", path.display().to_string())
        }
        Destination::Volume(volume) => {
            let tags = snapshot.tags.clone().unwrap_or_default();
            let odd_path = snapshot.paths.first().is_none_or(|path| {
                !path.starts_with('/') || path.split('/').any(|part| part == "..")
            });
            if !tags.iter().any(|tag| tag.starts_with("volume:"))
                || snapshot.paths.len() != 1
                || odd_path
            {
                return Err(AppError::invalid(
                    "Restore into: only a snapshot of a volume can go back into a volume; restore this one into a directory.",
                ));
            }
            run::volume_mountpoint(state, volume).await?;
            ("volume", volume.clone())
        }
    };
    let detail = format!(
        "snapshot {} of {} into {kind} {target}{}",
        &snapshot.id[..8],
        plan.spec.name,
        if includes.is_empty() {
            String::new()
        } else {
            format!(" (only {})", includes.join(", "))
        }
    );
    let task_state = state.clone();
    let task_actor = actor.clone();
    let task_detail = detail.clone();
    let snapshot_id = snapshot.id.clone();
    let snapshot_root = snapshot.paths.first().cloned().unwrap_or_default();
    let task_id = state
        .tasks
        .start(
            super::service::RESTORE_TASK,
            &plan.spec.name,
            move |task| async move {
                task.progress(None, format!("Restoring {task_detail}"));
                let result = match destination {
                    Destination::Directory(path) => repository
                        .restore(&snapshot_id, &path, &includes, true)
                        .await
                        .map(|()| format!("Restored into {}.", path.display())),
                    Destination::Volume(volume) => {
                        into_volume(
                            &task_state,
                            &task_actor,
                            &repository,
                            &snapshot_id,
                            &snapshot_root,
                            &includes,
                            &volume,
                        )
                        .await
                    }
                };
                let outcome = if result.is_ok() {
                    Outcome::Ok
                } else {
                    Outcome::Failed
                };
                let said = match &result {
                    Ok(message) => message.clone(),
                    Err(error) => error.to_string(),
                };
                record(
                    &task_state.db,
                    &task_actor,
                    "backups",
                    "restore finished",
                    &task_detail,
                    outcome,
                    &said,
                )
                .await;
                let message = result?;
                task.progress(Some(1.0), message.clone());
                Ok(Some(serde_json::Value::String(message)))
            },
        )
        .await?;
    record(
        &state.db,
        actor,
        "backups",
        "restore",
        &plan.spec.name,
        Outcome::Ok,
        &detail,
    )
    .await;
    Ok(task_id)
}

/// The paths to restore, one per line: absolute paths inside the snapshot.
fn includes(text: &str) -> Result<Vec<String>, AppError> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .map(|line| {
            if line.starts_with('/') && !line.chars().any(char::is_control) {
                Ok(line.to_owned())
            } else {
                Err(AppError::invalid(format!(
                    "Paths: “{line}” is not a path inside the snapshot; write absolute paths as the browser shows them, one per line, or leave it empty for everything."
                )))
            }
        })
        .collect()
}

/// Makes sure `path` is a real, empty directory reached without symbolic links, creating
/// it when missing.
pub fn prepare_directory(path: &Path) -> Result<(), AppError> {
    let refused = |why: String| AppError::invalid(format!("Restore into: {why}"));
    let mut walked = PathBuf::from("/");
    for part in path.components().skip(1) {
        walked.push(part);
        match std::fs::symlink_metadata(&walked) {
            Ok(metadata) if metadata.file_type().is_symlink() => {
                return Err(refused(format!(
                    "{} is a symbolic link; caretaker restores only into real directories, so nothing lands outside the folder you chose.",
                    walked.display()
                )))
            }
            Ok(metadata) if !metadata.is_dir() => {
                return Err(refused(format!("{} is a file, not a directory.", walked.display())))
            }
            Ok(_) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => break,
            Err(error) => {
                return Err(refused(format!("{} cannot be read: {error}.", walked.display())))
            }
        }
    }
    if path.exists() {
        let mut entries = std::fs::read_dir(path)
            .map_err(|error| refused(format!("{} cannot be read: {error}.", path.display())))?;
        if entries.next().is_some() {
            return Err(refused(format!(
                "{} is not empty; choose a new or empty directory, so nothing there is overwritten.",
                path.display()
            )));
        }
    } else {
        std::fs::create_dir_all(path)
            .map_err(|error| refused(format!("{} cannot be created: {error}.", path.display())))?;
    }
    Ok(())
}

/// Restores a volume's snapshot back into a volume, its running containers stopped
/// around it. Without chosen paths the volume's content is replaced by the snapshot's;
/// with paths, those are put back over what is there.
async fn into_volume(
    state: &AppState,
    actor: &Actor,
    repository: &Repository,
    snapshot: &str,
    snapshot_root: &str,
    includes: &[String],
    volume: &str,
) -> Result<String, AppError> {
    let mountpoint = run::volume_mountpoint(state, volume).await?;
    let volume_dir = mountpoint
        .parent()
        .ok_or_else(|| AppError::internal("a volume mountpoint without a parent"))?
        .to_path_buf();
    let staging = tempfile::Builder::new()
        .prefix("caretaker-restore-")
        .tempdir_in(&volume_dir)
        .map_err(|error| {
            AppError::EngineUnavailable(format!(
                "caretaker cannot write beside the volume at {}: {error}",
                volume_dir.display()
            ))
        })?;
    repository
        .restore(snapshot, &staging.path().join("restored"), includes, true)
        .await?;
    let restored_root = staging
        .path()
        .join("restored")
        .join(snapshot_root.trim_start_matches('/'));
    if !restored_root.is_dir() {
        // Nothing came back where the volume's files belong: the volume is left as it is.
        return Err(AppError::EngineUnavailable(format!(
            "The snapshot held nothing under {snapshot_root}, so the volume {volume} was left as it was."
        )));
    }
    let users = containers_using(state, volume).await?;
    for (index, container) in users.iter().enumerate() {
        let stopped = crate::containers::service::act(
            state,
            actor,
            &container.host,
            &container.container,
            ContainerAction::Stop,
        )
        .await;
        if let Err(error) = stopped {
            // The volume is untouched; what was stopped for it runs again.
            run::start_all(state, actor, &users[..index], &[]).await;
            return Err(AppError::EngineUnavailable(format!(
                "{} could not be stopped, so the volume {volume} was left as it was: {error}",
                container.container
            )));
        }
    }
    let moved = if includes.is_empty() {
        replace_all(&mountpoint, &restored_root, staging.path())
    } else {
        merge(&restored_root, &mountpoint)
    };
    run::start_all(state, actor, &users, &[]).await;
    let count = match moved {
        Ok(count) => count,
        Err(error) => {
            // Half moved: nothing is deleted, so the admin can put things back by hand.
            let kept = staging.keep();
            return Err(AppError::EngineUnavailable(format!(
                "The restored files could not all be moved into the volume {volume} ({error}). Nothing was deleted: the volume's previous content and the restored files are in {}.",
                kept.display()
            )));
        }
    };
    let restarted = if users.is_empty() {
        String::new()
    } else {
        format!(
            " {} was stopped during it and started again.",
            users
                .iter()
                .map(|container| container.container.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    Ok(format!(
        "Restored {count} items into the volume {volume}.{restarted}"
    ))
}

/// The running containers that mount `volume` on the local engine.
async fn containers_using(state: &AppState, volume: &str) -> Result<Vec<ContainerRef>, AppError> {
    use bollard::query_parameters::ListContainersOptionsBuilder;
    let host = state
        .fleet
        .host(LOCAL_HOST_ID)
        .ok_or_else(|| AppError::internal("no local Docker host"))?;
    let filters = std::collections::HashMap::from([("volume", vec![volume])]);
    let listed = host
        .engine
        .call(|client| async move {
            client
                .list_containers(Some(
                    ListContainersOptionsBuilder::new()
                        .filters(&filters)
                        .build(),
                ))
                .await
        })
        .await?;
    Ok(listed
        .into_iter()
        .map(|container| ContainerRef {
            host: LOCAL_HOST_ID.to_owned(),
            container: crate::containers::service::container_name(container.names.as_deref()),
        })
        .collect())
}

/// The volume's content becomes the restored tree: the old content is moved into the
/// staging folder (and deleted with it), the restored folder takes its place.
fn replace_all(mountpoint: &Path, restored: &Path, staging: &Path) -> std::io::Result<usize> {
    let old = staging.join("previous");
    std::fs::create_dir_all(&old)?;
    for entry in std::fs::read_dir(mountpoint)? {
        let entry = entry?;
        std::fs::rename(entry.path(), old.join(entry.file_name()))?;
    }
    let mut count = 0;
    for entry in std::fs::read_dir(restored)? {
        let entry = entry?;
        std::fs::rename(entry.path(), mountpoint.join(entry.file_name()))?;
        count += 1;
    }
    Ok(count)
}

/// Moves each restored file into the same place under `into`, creating folders; an
/// existing symbolic link where a folder goes is removed first, never followed.
fn merge(restored: &Path, into: &Path) -> std::io::Result<usize> {
    let mut count = 0;
    if !restored.is_dir() {
        return Ok(0);
    }
    for entry in std::fs::read_dir(restored)? {
        let entry = entry?;
        let from = entry.path();
        let to = into.join(entry.file_name());
        let kind = entry.file_type()?;
        let existing = std::fs::symlink_metadata(&to).ok();
        if kind.is_dir() {
            match existing {
                Some(metadata) if metadata.is_dir() && !metadata.file_type().is_symlink() => {
                    count += merge(&from, &to)?;
                }
                Some(_) => {
                    std::fs::remove_file(&to)?;
                    std::fs::rename(&from, &to)?;
                    count += 1;
                }
                None => {
                    std::fs::rename(&from, &to)?;
                    count += 1;
                }
            }
        } else {
            if let Some(metadata) = existing {
                if metadata.is_dir() && !metadata.file_type().is_symlink() {
                    std::fs::remove_dir_all(&to)?;
                }
            }
            // rename replaces a file or symbolic link at `to` itself, without following it.
            std::fs::rename(&from, &to)?;
            count += 1;
        }
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_target_must_be_real_and_empty() {
        let root = tempfile::tempdir().unwrap();
        let fresh = root.path().join("new/restore");
        prepare_directory(&fresh).unwrap();
        assert!(fresh.is_dir());
        std::fs::write(fresh.join("x"), b"x").unwrap();
        assert!(prepare_directory(&fresh)
            .unwrap_err()
            .to_string()
            .contains("not empty"));
        let elsewhere = tempfile::tempdir().unwrap();
        let link = root.path().join("link");
        std::os::unix::fs::symlink(elsewhere.path(), &link).unwrap();
        let error = prepare_directory(&link.join("inside"))
            .unwrap_err()
            .to_string();
        assert!(error.contains("symbolic link"), "{error}");
        assert!(!elsewhere.path().join("inside").exists());
    }

    #[test]
    fn merging_replaces_a_link_instead_of_following_it() {
        let root = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        let restored = root.path().join("restored");
        std::fs::create_dir_all(restored.join("conf")).unwrap();
        std::fs::write(restored.join("conf/app.ini"), b"restored").unwrap();
        let volume = root.path().join("volume");
        std::fs::create_dir_all(&volume).unwrap();
        std::os::unix::fs::symlink(outside.path(), volume.join("conf")).unwrap();
        assert_eq!(merge(&restored, &volume).unwrap(), 1);
        assert!(!outside.path().join("app.ini").exists());
        assert_eq!(
            std::fs::read(volume.join("conf/app.ini")).unwrap(),
            b"restored"
        );
    }
}
