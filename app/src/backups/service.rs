//! The logic of the backups area: repositories.

use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;

use super::restic::{Password, Repository};
use super::store::{self, RepositoryRow, StoredPassword};
use super::{validate, BackupsOverview, RepositoryFacts, RepositoryForm, RepositoryStatus};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;

const AREA: &str = "backups";
/// How long the page waits for restic to list one repository.
const LIST_LIMIT: Duration = Duration::from_secs(20);

/// A stored repository, ready for restic.
fn repository(state: &AppState, row: &RepositoryRow) -> Result<Repository, AppError> {
    let password = match (&row.password_file, &row.sealed_password) {
        (Some(path), _) => Password::File(PathBuf::from(path)),
        (None, Some(sealed)) => Password::Secret(state.secrets.unseal(sealed)?),
        (None, None) => {
            return Err(AppError::internal(format_args!(
                "repository {} has no password source",
                row.id
            )))
        }
    };
    Ok(Repository {
        location: row.location.clone(),
        password,
    })
}

pub async fn overview(state: &AppState) -> Result<BackupsOverview, AppError> {
    let rows = store::list(&state.db).await?;
    let repositories = join_all(rows.iter().map(|row| status(state, row))).await;
    Ok(BackupsOverview {
        repositories,
        actions_allowed: false,
    })
}

async fn status(state: &AppState, row: &RepositoryRow) -> RepositoryStatus {
    let facts = match repository(state, row) {
        Err(error) => Err(error.to_string()),
        Ok(repository) => match tokio::time::timeout(LIST_LIMIT, repository.snapshots()).await {
            Ok(Ok(snapshots)) => Ok(RepositoryFacts {
                snapshots: snapshots.len(),
                latest: snapshots.iter().map(|snapshot| snapshot.time_utc()).max(),
            }),
            Ok(Err(error)) => Err(error.to_string()),
            Err(_) => Err(format!(
                "restic did not list the snapshots within {} seconds.",
                LIST_LIMIT.as_secs()
            )),
        },
    };
    RepositoryStatus {
        id: row.id,
        name: row.name.clone(),
        location: row.location.clone(),
        password_from: match &row.password_file {
            Some(path) => format!("the file {path}"),
            None => "a secret stored encrypted".to_owned(),
        },
        offsite: row.offsite,
        facts,
    }
}

/// Adds a repository: initialises it when asked, else opens it to check the password.
pub async fn add(state: &AppState, actor: &Actor, form: &RepositoryForm) -> Result<i64, AppError> {
    let name = validate::name(&form.name).map_err(AppError::Invalid)?;
    let location = validate::location(&form.location).map_err(AppError::Invalid)?;
    let (password, stored) = match form.password_source.as_str() {
        "file" => {
            let path = form.password_file.trim();
            if !path.starts_with('/') {
                return Err(AppError::invalid(
                    "Password file: give the file's absolute path, for example /etc/caretaker/restic.pass; caretaker must be able to read it.",
                ));
            }
            (Password::File(PathBuf::from(path)), None)
        }
        "secret" => {
            if form.password.trim().is_empty() {
                return Err(AppError::invalid(
                    "Password: type the repository's password; it is stored encrypted and never shown again.",
                ));
            }
            let sealed = state.secrets.seal(&form.password);
            (Password::Secret(form.password.clone()), Some(sealed))
        }
        _ => {
            return Err(AppError::invalid(
                "Password from: choose a password typed here or a password file.",
            ))
        }
    };
    let repository = Repository {
        location: location.clone(),
        password,
    };
    let initialise = form.init.is_some();
    if initialise {
        repository.init().await?;
    } else {
        repository.snapshots().await?;
    }
    let stored = match &stored {
        Some(sealed) => StoredPassword::Sealed(sealed),
        None => StoredPassword::File(form.password_file.trim()),
    };
    let id = store::insert(&state.db, &name, &location, stored, form.offsite.is_some())
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "A repository named {name} or at {location} is already listed."
            ))
        })?;
    let action = if initialise {
        "init repository"
    } else {
        "add repository"
    };
    record(
        &state.db,
        actor,
        AREA,
        action,
        &name,
        Outcome::Ok,
        &location,
    )
    .await;
    Ok(id)
}

/// caretaker forgets the repository; its data stays where it is.
pub async fn remove(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This repository was already removed."))?;
    record(
        &state.db,
        actor,
        AREA,
        "remove repository",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}
