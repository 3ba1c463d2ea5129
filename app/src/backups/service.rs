//! The logic of the backups area: repositories, plans, runs (backup, check, drill), the
//! snapshot browser and restore.

use std::path::PathBuf;
use std::time::Duration;

use futures::future::join_all;

use super::restic::{Password, Repository};
use super::run::{plan_tag, Target};
use super::store::{self, NewRun, PlanRecord, RepositoryRow, RunEnd, StoredPassword};
use super::{
    validate, BackupStatus, BackupsOverview, CopyStatus, PlanForm, PlanSpec, PlanSummary, PlanView,
    RepositoryFacts, RepositoryForm, RepositoryStatus, SnapshotRow, TreeEntry, Work,
};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::tasks::service::TaskHandle;
use crate::tasks::TaskStatus;

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
    let mut plans = Vec::new();
    for plan in store::plans(&state.db).await? {
        plans.push(summary(state, &rows, plan).await?);
    }
    Ok(BackupsOverview {
        repositories,
        plans,
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
    let users = store::plans_using(&state.db, id).await?;
    if !users.is_empty() {
        return Err(AppError::Conflict(format!(
            "Plans back up into this repository: {}. Take it out of them first.",
            users.join(", ")
        )));
    }
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

/// The kinds of the tasks this area starts.
pub const TASK_KINDS: [&str; 4] = ["backup", "repository check", "restore drill", RESTORE_TASK];

/// The kind of a restore's task.
pub const RESTORE_TASK: &str = "restore";

/// How many runs a plan's page lists.
pub const RUNS_SHOWN: i64 = 40;

/// Who the scheduler's runs are recorded as.
pub fn scheduler_actor() -> Actor {
    Actor {
        user_id: None,
        name: "scheduler".to_owned(),
        address: String::new(),
    }
}

async fn summary(
    state: &AppState,
    repositories: &[RepositoryRow],
    plan: PlanRecord,
) -> Result<PlanSummary, AppError> {
    let runs = store::runs(&state.db, plan.id, 200).await?;
    let last_good = store::last_good(&state.db, plan.id).await?;
    let copies: Vec<CopyStatus> = plan
        .spec
        .repositories
        .iter()
        .filter_map(|id| repositories.iter().find(|row| row.id == *id))
        .map(|row| {
            let good = last_good
                .iter()
                .find(|(repository, _)| *repository == row.id)
                .map(|(_, at)| *at);
            (row, good)
        })
        .map(|(row, good)| CopyStatus {
            repository_id: row.id,
            repository: row.name.clone(),
            offsite: row.offsite,
            last_good: good,
            stale: good.is_none_or(|at| {
                chrono::Utc::now() - at > chrono::Duration::hours(super::STALE_AFTER_HOURS)
            }),
            last_run: runs
                .iter()
                .find(|(repository, run)| *repository == Some(row.id) && run.work == Work::Backup)
                .map(|(_, run)| run.clone()),
        })
        .collect();
    // The data itself plus two good backups, one of them away from this site.
    let good: Vec<&CopyStatus> = copies
        .iter()
        .filter(|copy| copy.last_good.is_some())
        .collect();
    let three_two_one = good.len() >= 2 && good.iter().any(|copy| copy.offsite);
    Ok(PlanSummary {
        id: plan.id,
        copies,
        three_two_one,
        last_drill: runs
            .iter()
            .find(|(_, run)| run.work == Work::Drill && run.status != BackupStatus::Running)
            .map(|(_, run)| run.clone()),
        running: runs
            .iter()
            .any(|(_, run)| run.status == BackupStatus::Running),
        spec: plan.spec,
    })
}

/// The form showing a stored plan.
pub fn form_of(spec: &PlanSpec) -> PlanForm {
    let number = |value: Option<u32>| value.map(|value| value.to_string()).unwrap_or_default();
    PlanForm {
        name: spec.name.clone(),
        data_class: spec.data_class.as_str().to_owned(),
        sources: spec
            .sources
            .iter()
            .map(super::Source::line)
            .collect::<Vec<_>>()
            .join("\n"),
        excludes: spec.excludes.join("\n"),
        tags: spec.tags.join(", "),
        repositories: spec.repositories.iter().map(i64::to_string).collect(),
        stop_containers: spec
            .stop_containers
            .iter()
            .map(|container| {
                if container.host == crate::containers::LOCAL_HOST_ID {
                    container.container.clone()
                } else {
                    format!("{}/{}", container.host, container.container)
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        keep_last: number(spec.retention.keep_last),
        keep_daily: number(spec.retention.keep_daily),
        keep_weekly: number(spec.retention.keep_weekly),
        keep_monthly: number(spec.retention.keep_monthly),
        check_subset: spec.check_subset.clone(),
    }
}

async fn plan_record(state: &AppState, id: i64) -> Result<PlanRecord, AppError> {
    store::plan(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no backup plan with id {id}.")))
}

pub async fn plan_by_name(state: &AppState, name: &str) -> Result<PlanRecord, AppError> {
    store::plan_by_name(&state.db, name)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no backup plan named {name}.")))
}

pub async fn view_plan(state: &AppState, id: i64) -> Result<PlanView, AppError> {
    let plan = plan_record(state, id).await?;
    let rows = store::list(&state.db).await?;
    let runs = store::runs(&state.db, id, RUNS_SHOWN)
        .await?
        .into_iter()
        .map(|(_, run)| run)
        .collect();
    let repositories = plan
        .spec
        .repositories
        .iter()
        .filter_map(|id| rows.iter().find(|row| row.id == *id))
        .map(|row| (row.id, row.name.clone()))
        .collect();
    let form = form_of(&plan.spec);
    let mut tasks = Vec::new();
    for kind in TASK_KINDS {
        tasks.extend(
            state
                .tasks
                .recent(kind, 10)
                .await?
                .into_iter()
                .filter(|task| task.target == plan.spec.name),
        );
    }
    tasks.sort_by_key(|task| {
        (
            task.status.is_finished(),
            std::cmp::Reverse(task.created_at),
        )
    });
    tasks.truncate(3);
    let schedules = crate::jobs::service::backup_schedules(state, id).await?;
    let choices = rows
        .iter()
        .map(|row| (row.id, row.name.clone(), row.offsite))
        .collect();
    Ok(PlanView {
        summary: summary(state, &rows, plan).await?,
        form,
        runs,
        repositories,
        choices,
        tasks,
        schedules,
        actions_allowed: false,
    })
}

/// Checks a plan form against what exists: its repositories and Docker hosts.
async fn checked_plan(state: &AppState, form: &PlanForm) -> Result<PlanSpec, AppError> {
    let spec = validate::plan(form).map_err(AppError::Invalid)?;
    let rows = store::list(&state.db).await?;
    if let Some(missing) = spec
        .repositories
        .iter()
        .find(|id| !rows.iter().any(|row| row.id == **id))
    {
        return Err(AppError::invalid(format!(
            "Repositories: the repository with id {missing} is no longer listed; choose from the list."
        )));
    }
    let hosts = spec
        .stop_containers
        .iter()
        .map(|container| container.host.as_str())
        .chain(spec.sources.iter().filter_map(|source| match source {
            super::Source::Dump { host, .. } => Some(host.as_str()),
            _ => None,
        }));
    for host in hosts {
        if state.fleet.host(host).is_none() {
            return Err(AppError::invalid(format!(
                "There is no Docker host {host}; write a container as NAME for this machine's engine, or use a host id from the Containers page."
            )));
        }
    }
    Ok(spec)
}

pub async fn create_plan(
    state: &AppState,
    actor: &Actor,
    form: &PlanForm,
) -> Result<i64, AppError> {
    let spec = checked_plan(state, form).await?;
    let id = store::save_plan(&state.db, None, &spec)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("A plan named {} exists already.", spec.name)))?;
    record(
        &state.db,
        actor,
        AREA,
        "create plan",
        &spec.name,
        Outcome::Ok,
        &describe(&spec),
    )
    .await;
    Ok(id)
}

pub async fn update_plan(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &PlanForm,
) -> Result<(), AppError> {
    plan_record(state, id).await?;
    let spec = checked_plan(state, form).await?;
    store::save_plan(&state.db, Some(id), &spec)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("Another plan is named {}.", spec.name)))?;
    record(
        &state.db,
        actor,
        AREA,
        "edit plan",
        &spec.name,
        Outcome::Ok,
        &describe(&spec),
    )
    .await;
    Ok(())
}

/// Deletes a plan, its history and its schedules; the snapshots stay in the repositories.
pub async fn delete_plan(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let running = store::runs(&state.db, id, 50)
        .await?
        .into_iter()
        .any(|(_, run)| run.status == BackupStatus::Running);
    if running {
        return Err(AppError::Conflict(
            "The plan is running; delete it when the run has finished (or cancel the run first)."
                .to_owned(),
        ));
    }
    let name = store::delete_plan(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This plan was already deleted."))?;
    crate::jobs::service::delete_backup_jobs(state, id).await?;
    record(
        &state.db,
        actor,
        AREA,
        "delete plan",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

fn describe(spec: &PlanSpec) -> String {
    format!(
        "{} sources ({}), {} repositories, keep {}",
        spec.sources.len(),
        spec.data_class.as_str(),
        spec.repositories.len(),
        spec.retention.describe()
    )
}

/// Whether the process `pid` still runs on this machine (runs are claimed by pid).
fn is_alive(pid: i64) -> bool {
    pid == i64::from(std::process::id()) || std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// At start: runs whose process died are marked interrupted, and the containers they had
/// stopped for a backup are started again.
///
/// `at_start`: this process has just started, so rows with its pid are an earlier
/// process's (the pid was reused); otherwise this process's own runs are live.
pub async fn recover(state: &AppState, at_start: bool) -> Result<(), AppError> {
    let own = i64::from(std::process::id());
    let left = store::mark_interrupted(&state.db, |pid| {
        if pid == own {
            !at_start
        } else {
            is_alive(pid)
        }
    })
    .await?;
    for (run_id, containers) in left {
        tracing::warn!(
            run_id,
            "starting containers a backup that did not finish had stopped"
        );
        super::run::start_all(state, &scheduler_actor(), &containers, &[run_id]).await;
    }
    Ok(())
}

/// The plan's repositories, ready for restic.
async fn targets_of(
    state: &AppState,
    plan: &PlanRecord,
) -> Result<Vec<(RepositoryRow, Repository)>, AppError> {
    let mut targets = Vec::new();
    for id in &plan.spec.repositories {
        if let Some(row) = store::repository(&state.db, *id).await? {
            let repository = repository(state, &row)?;
            targets.push((row, repository));
        }
    }
    if targets.is_empty() {
        return Err(AppError::Conflict(format!(
            "The plan {} has no repository left; edit it to choose one.",
            plan.spec.name
        )));
    }
    Ok(targets)
}

/// Starts a backup, check or drill of a plan as a task, and answers the task's id. Refused
/// while another run of the plan is going (in this process or another).
pub async fn start_run(
    state: &AppState,
    actor: &Actor,
    plan_id: i64,
    work: Work,
    trigger: &str,
) -> Result<String, AppError> {
    let plan = plan_record(state, plan_id).await?;
    let targets = targets_of(state, &plan).await?;
    // A run whose process died (a killed `caretaker backup run`) is closed first, and
    // what it stopped is started again.
    recover(state, false).await?;
    let new_runs: Vec<NewRun> = targets
        .iter()
        .map(|(row, _)| NewRun {
            plan_id,
            repository_id: row.id,
            repository_name: &row.name,
            work,
            trigger,
            actor: &actor.name,
            task_id: None,
        })
        .collect();
    let run_ids = match store::claim(&state.db, &new_runs, is_alive).await? {
        Ok(ids) => ids,
        Err(started) => {
            return Err(AppError::Conflict(format!(
                "A run of {} started at {} is still going; two runs of one plan never overlap.",
                plan.spec.name,
                started.format("%Y-%m-%d %H:%M:%S UTC")
            )))
        }
    };
    let targets: Vec<Target> = targets
        .into_iter()
        .zip(&run_ids)
        .map(|((row, repository), run_id)| Target {
            run_id: *run_id,
            name: row.name,
            repository,
        })
        .collect();
    let guard = OpenRuns {
        state: state.clone(),
        ids: run_ids.clone(),
    };
    let task_state = state.clone();
    let task_actor = actor.clone();
    let kind = work.task_kind();
    let plan_name = plan.spec.name.clone();
    let started = state
        .tasks
        .start(kind, &plan_name, move |task| async move {
            let guard = guard;
            let result = match work {
                Work::Backup => {
                    super::run::backup(
                        &task_state,
                        &task_actor,
                        plan.id,
                        &plan.spec,
                        &targets,
                        &task,
                    )
                    .await
                }
                Work::Check => check(&task_state, &plan.spec, &targets, &task).await,
                Work::Drill => {
                    super::drill::drill(&task_state, plan.id, &plan.spec, &targets, &task).await
                }
            };
            drop(guard);
            let message = result?;
            task.progress(Some(1.0), message.clone());
            Ok(Some(serde_json::Value::String(message)))
        })
        .await;
    let task_id = match started {
        Ok(task_id) => task_id,
        Err(error) => {
            store::set_task(&state.db, &run_ids, None).await.ok();
            return Err(error);
        }
    };
    store::set_task(&state.db, &run_ids, Some(&task_id)).await?;
    record(
        &state.db,
        actor,
        AREA,
        work.verb(),
        &plan_name,
        Outcome::Ok,
        &format!("started ({trigger})"),
    )
    .await;
    Ok(task_id)
}

/// The run rows of a task; when the task ends without finishing them (cancelled, or a
/// panic), they are marked interrupted.
struct OpenRuns {
    state: AppState,
    ids: Vec<i64>,
}

impl Drop for OpenRuns {
    fn drop(&mut self) {
        let pool = self.state.db.clone();
        let ids = std::mem::take(&mut self.ids);
        tokio::spawn(async move {
            if let Err(error) = store::interrupt_open(&pool, &ids).await {
                tracing::warn!(%error, "could not close the runs of an ended task");
            }
        });
    }
}

/// Waits for a task to end: its final message, or its failure as an error.
pub async fn wait(state: &AppState, task_id: &str) -> Result<String, AppError> {
    if let Some(mut receiver) = state.tasks.subscribe(task_id) {
        while !receiver.borrow().status.is_finished() {
            if receiver.changed().await.is_err() {
                break;
            }
        }
    }
    // The final state is saved a moment after the live one ends.
    for _ in 0..50 {
        let task = state.tasks.get(task_id).await?;
        match task.status {
            TaskStatus::Succeeded => return Ok(task.message),
            status if status.is_finished() => {
                return Err(AppError::EngineUnavailable(task.message))
            }
            _ => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
    Err(AppError::internal("the task did not report its end"))
}

/// `restic check --read-data-subset` on each repository; damage fails the run.
async fn check(
    state: &AppState,
    plan: &PlanSpec,
    targets: &[Target],
    task: &TaskHandle,
) -> Result<String, AppError> {
    let mut sentences = Vec::new();
    let mut failed = false;
    for (index, target) in targets.iter().enumerate() {
        task.progress(
            Some(index as f64 / targets.len() as f64),
            format!(
                "Checking {} (reading {} of the data)",
                target.name, plan.check_subset
            ),
        );
        let mut result = target.repository.check(Some(&plan.check_subset)).await;
        if matches!(&result, Err(error) if super::restic::is_locked(error)) {
            task.log(format!("{}: clearing a stale lock", target.name));
            target.repository.unlock_stale().await?;
            result = target.repository.check(Some(&plan.check_subset)).await;
        }
        let (status, message) = match result {
            Ok(report) if report.ok => (
                BackupStatus::Succeeded,
                format!(
                    "No errors were found (read {} of the data).",
                    plan.check_subset
                ),
            ),
            Ok(report) => (
                BackupStatus::Failed,
                format!("The repository is damaged: {}", report.errors.join("; ")),
            ),
            Err(error) => (BackupStatus::Failed, error.to_string()),
        };
        failed |= status != BackupStatus::Succeeded;
        task.log(format!("{}: {message}", target.name));
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

/// A repository of a plan, for browsing and restore.
pub(super) async fn plan_repository(
    state: &AppState,
    plan_id: i64,
    repository_id: i64,
) -> Result<(PlanRecord, Repository), AppError> {
    let plan = plan_record(state, plan_id).await?;
    if !plan.spec.repositories.contains(&repository_id) {
        return Err(AppError::not_found(format!(
            "The plan {} does not back up into that repository.",
            plan.spec.name
        )));
    }
    let row = store::repository(&state.db, repository_id)
        .await?
        .ok_or_else(|| AppError::not_found("That repository is no longer listed."))?;
    Ok((plan, repository(state, &row)?))
}

/// The plan's snapshots in one repository, newest first.
pub async fn snapshots(
    state: &AppState,
    plan_id: i64,
    repository_id: i64,
) -> Result<Vec<SnapshotRow>, AppError> {
    let (_, repository) = plan_repository(state, plan_id, repository_id).await?;
    let mut listed = repository.snapshots_tagged(&[plan_tag(plan_id)]).await?;
    listed.sort_by_key(|snapshot| std::cmp::Reverse(snapshot.time));
    Ok(listed
        .into_iter()
        .map(|snapshot| SnapshotRow {
            short_id: snapshot.id.chars().take(8).collect(),
            time: snapshot.time_utc(),
            paths: snapshot.paths,
            tags: snapshot.tags.unwrap_or_default(),
            id: snapshot.id,
        })
        .collect())
}

/// One folder of a snapshot (`dir` empty: the top).
pub async fn tree(
    state: &AppState,
    plan_id: i64,
    repository_id: i64,
    snapshot: &str,
    dir: &str,
) -> Result<Vec<TreeEntry>, AppError> {
    let (_, repository) = plan_repository(state, plan_id, repository_id).await?;
    let snapshot = validate::snapshot_id(snapshot).map_err(AppError::Invalid)?;
    let dir = if dir.is_empty() { "/" } else { dir };
    if !dir.starts_with('/') || dir.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Folder: give an absolute path inside the snapshot.",
        ));
    }
    let nodes = repository.ls(&snapshot, Some(dir)).await?;
    Ok(nodes
        .into_iter()
        .map(|node| TreeEntry {
            name: node.name,
            path: node.path,
            kind: node.kind,
            size: node.size,
        })
        .collect())
}

/// Every plan's id and name (for the job form).
pub async fn plan_names(state: &AppState) -> Result<Vec<(i64, String)>, AppError> {
    Ok(store::plans(&state.db)
        .await?
        .into_iter()
        .map(|plan| (plan.id, plan.spec.name))
        .collect())
}

/// How fresh a plan's backups are, for its backup-freshness monitor.
pub struct Freshness {
    /// What is fine, in a sentence.
    pub summary: String,
    /// What needs attention: stale or missing copies, a failed check or drill.
    pub problems: Vec<String>,
    /// The oldest of the copies' last good backups (the status page shows it).
    pub oldest_good: Option<chrono::DateTime<chrono::Utc>>,
}

pub async fn freshness(
    state: &AppState,
    plan_id: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Freshness, AppError> {
    let plan = plan_record(state, plan_id).await?;
    let rows = store::list(&state.db).await?;
    let name = plan.spec.name.clone();
    let summary = summary(state, &rows, plan).await?;
    let limit = chrono::Duration::hours(super::STALE_AFTER_HOURS);
    let mut problems = Vec::new();
    for copy in &summary.copies {
        match copy.last_good {
            None => problems.push(format!(
                "The copy on {} has no good backup yet.",
                copy.repository
            )),
            Some(at) if now - at > limit => problems.push(format!(
                "The copy on {} was last backed up {} hours ago (more than {} hours).",
                copy.repository,
                (now - at).num_hours(),
                super::STALE_AFTER_HOURS
            )),
            Some(_) => {}
        }
    }
    if summary.copies.is_empty() {
        problems.push(format!("The plan {name} has no repository."));
    }
    let runs = store::runs(&state.db, plan_id, 50).await?;
    for work in [Work::Check, Work::Drill] {
        let last = runs
            .iter()
            .map(|(_, run)| run)
            .find(|run| run.work == work && run.status != BackupStatus::Running);
        if let Some(run) = last.filter(|run| run.status != BackupStatus::Succeeded) {
            problems.push(format!(
                "The last {} {}: {}",
                work.verb(),
                run.status.as_str(),
                run.message
            ));
        }
    }
    let oldest_good = summary
        .copies
        .iter()
        .map(|copy| copy.last_good)
        .collect::<Option<Vec<_>>>()
        .and_then(|goods| goods.into_iter().min());
    Ok(Freshness {
        summary: format!(
            "Every copy of {name} ({}) has a good backup from the last {} hours.",
            summary.copies.len(),
            super::STALE_AFTER_HOURS
        ),
        problems,
        oldest_good,
    })
}
