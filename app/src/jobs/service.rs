//! The logic of jobs: definitions, scheduling through `core::scheduler`, running with the
//! job's policy, history and health.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::run::{attempt, Attempt};
use super::store::{self, JobRecord, RunEnd};
use super::{
    validate, CatchUp, JobForm, JobHealth, JobRuns, JobSpec, JobSummary, JobView, Overlap,
    RunRecord, RunStatus, RUNS_SHOWN,
};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::schedule::Schedule;
use crate::core::state::AppState;

const AREA: &str = "jobs";
/// A cron job this late is shown as missed (the scheduler wakes at least every 30 s).
const LATE_AFTER: chrono::Duration = chrono::Duration::minutes(2);
/// The longest wait before a retry.
const MAX_RETRY_DELAY_SECS: u64 = 3600;
/// How many runs of a job are kept.
const RUNS_KEPT: i64 = 1000;
/// How many missed runs are counted when caretaker comes back.
const MISSED_COUNTED: usize = 1000;

/// One lock per job, held while it runs, and whether a queued run waits for it: the
/// overlap policy reads both.
#[derive(Default)]
pub struct JobLocks(Mutex<HashMap<i64, Arc<JobLock>>>);

#[derive(Default)]
struct JobLock {
    running: Arc<tokio::sync::Mutex<()>>,
    waiting: std::sync::atomic::AtomicBool,
}

impl JobLocks {
    fn of(&self, job: i64) -> Arc<JobLock> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .entry(job)
            .or_default()
            .clone()
    }

    fn forget(&self, job: i64) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&job);
    }
}

fn schedule_of(spec: &JobSpec) -> Schedule {
    match spec.schedule_kind.as_str() {
        "cron" => Schedule::Cron {
            expression: spec.expression.clone(),
            zone: spec.zone.clone(),
        },
        "startup" => Schedule::AtStartup,
        "shutdown" => Schedule::BeforeShutdown,
        _ => Schedule::Manual,
    }
}

// ---------------------------------------------------------------------------------------
// Scheduling

/// At start: marks runs of a dead process interrupted, deals with runs missed while
/// caretaker was down, hooks jobs into the scheduler and runs the startup jobs.
pub async fn start(state: &AppState) -> Result<(), AppError> {
    let interrupted = store::mark_interrupted(&state.db, state.scheduler.now()).await?;
    if !interrupted.is_empty() {
        tracing::warn!(
            count = interrupted.len(),
            "job runs were interrupted by the last stop"
        );
    }
    let caught_up = catch_up(state).await?;
    // A scheduled run cut by the stop is owed, like a missed one: run it again when the
    // job's policy runs missed work (and catch-up has not just done so).
    for (job_id, trigger, due) in interrupted {
        if !matches!(trigger.as_str(), "schedule" | "catch-up") || caught_up.contains(&job_id) {
            continue;
        }
        if let Some(job) = store::get(&state.db, job_id).await? {
            if !job.paused && job.spec.catch_up == CatchUp::Once {
                tokio::spawn(run_job(state.clone(), job, "catch-up", due));
            }
        }
    }
    register(state);
    let state = state.clone();
    tokio::spawn(async move { state.scheduler.startup().await });
    Ok(())
}

/// Hooks jobs into the scheduler: the ticker for cron jobs, startup and shutdown jobs.
pub fn register(state: &AppState) {
    let ticking = state.clone();
    state.scheduler.on_tick(
        AREA,
        Arc::new(move |now| {
            let state = ticking.clone();
            Box::pin(async move {
                tick(&state, now).await.unwrap_or_else(|error| {
                    tracing::error!(%error, "jobs could not be scheduled");
                    None
                })
            })
        }),
    );
    for (trigger, wanted) in [("startup", "startup"), ("shutdown", "shutdown")] {
        let hooked = state.clone();
        let hook: crate::core::scheduler::Hook = Arc::new(move || {
            let state = hooked.clone();
            Box::pin(async move {
                if let Err(error) = run_all_of_kind(&state, wanted, trigger).await {
                    tracing::error!(%error, trigger, "jobs could not be run");
                }
            })
        });
        if wanted == "startup" {
            state.scheduler.on_startup(AREA, hook);
        } else {
            state.scheduler.before_shutdown(AREA, hook);
        }
    }
}

/// Runs every unpaused job with this schedule kind, all at once, and waits for them.
async fn run_all_of_kind(state: &AppState, kind: &str, trigger: &str) -> Result<(), AppError> {
    let jobs = store::list(&state.db).await?;
    let runs = jobs
        .into_iter()
        .filter(|job| !job.paused && job.spec.schedule_kind == kind)
        .map(|job| run_job(state.clone(), job, trigger, None));
    futures::future::join_all(runs).await;
    Ok(())
}

/// Starts every cron job that is due at `now` and plans its next run; answers the earliest
/// next run of all jobs.
pub async fn tick(state: &AppState, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, AppError> {
    let mut earliest: Option<DateTime<Utc>> = None;
    for job in store::list(&state.db).await? {
        if job.paused {
            continue;
        }
        let Some(due) = job.next_run_at else { continue };
        let next = if due <= now {
            let schedule = schedule_of(&job.spec);
            let next = schedule.next_after(now);
            // The next time is written before the run starts, so a crash during the run
            // does not run it twice; and only if the job is still as read, so an edit,
            // pause or delete in between wins.
            if store::claim_due(&state.db, job.id, due, next).await? {
                tokio::spawn(run_job(state.clone(), job, "schedule", Some(due)));
            }
            next
        } else {
            Some(due)
        };
        if let Some(next) = next {
            earliest = Some(earliest.map_or(next, |earliest| earliest.min(next)));
        }
    }
    Ok(earliest)
}

/// Runs that fell due while caretaker was down: run once, or record them skipped, as each
/// job's policy says. Either way the job shows it, and its next run is planned from now.
/// Answers the jobs it started a run of.
pub async fn catch_up(state: &AppState) -> Result<Vec<i64>, AppError> {
    let now = state.scheduler.now();
    let mut started = Vec::new();
    for job in store::list(&state.db).await? {
        let Some(due) = job.next_run_at.filter(|due| *due <= now) else {
            continue;
        };
        let schedule = schedule_of(&job.spec);
        store::set_next_run(&state.db, job.id, schedule.next_after(now)).await?;
        if job.paused {
            continue;
        }
        let missed =
            schedule.missed_between(due - chrono::Duration::milliseconds(1), now, MISSED_COUNTED);
        let count = if missed.len() >= MISSED_COUNTED {
            format!("{MISSED_COUNTED} or more runs")
        } else if missed.len() == 1 {
            "1 run".to_owned()
        } else {
            format!("{} runs", missed.len())
        };
        let first = crate::ui::format::local_time(due);
        tracing::warn!(job = %job.spec.name, missed = missed.len(), "runs were missed while caretaker was down");
        match job.spec.catch_up {
            CatchUp::Once => {
                started.push(job.id);
                tokio::spawn(run_job(state.clone(), job, "catch-up", Some(due)));
            }
            CatchUp::Skip => {
                let message = format!(
                    "caretaker was not running: {count} missed since {first}, skipped as this job's policy says."
                );
                store::insert_run(
                    &state.db,
                    job.id,
                    "catch-up",
                    Some(due),
                    RunStatus::Skipped,
                    &message,
                    now,
                )
                .await?;
            }
        }
    }
    Ok(started)
}

/// Runs a job with its policy (overlap, time limit, retries) and records the run.
pub async fn run_job(
    state: AppState,
    job: JobRecord,
    trigger: &str,
    scheduled_for: Option<DateTime<Utc>>,
) -> Option<i64> {
    let outcome = run_with_policy(&state, &job, trigger, scheduled_for).await;
    match outcome {
        Ok(run) => run,
        Err(error) => {
            tracing::error!(%error, job = %job.spec.name, "the run could not be recorded");
            None
        }
    }
}

async fn run_with_policy(
    state: &AppState,
    job: &JobRecord,
    trigger: &str,
    scheduled_for: Option<DateTime<Utc>>,
) -> Result<Option<i64>, AppError> {
    let lock = state.jobs.of(job.id);
    let skip = |message: &'static str| async move {
        store::insert_run(
            &state.db,
            job.id,
            trigger,
            scheduled_for,
            RunStatus::Skipped,
            message,
            state.scheduler.now(),
        )
        .await
        .map(Some)
    };
    let _running = match lock.running.clone().try_lock_owned() {
        Ok(guard) => guard,
        Err(_) if job.spec.overlap == Overlap::Skip => {
            return skip("The previous run was still going, so this one was skipped.").await
        }
        // Queue: one run may wait; more would pile up while the job is slow.
        Err(_) => {
            if lock.waiting.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return skip(
                    "A run was already waiting for the previous one, so this one was skipped.",
                )
                .await;
            }
            let guard = lock.running.clone().lock_owned().await;
            lock.waiting
                .store(false, std::sync::atomic::Ordering::SeqCst);
            guard
        }
    };
    // Read the job again: it may have been edited, paused or deleted while this run waited.
    let Some(job) = store::get(&state.db, job.id).await? else {
        return Ok(None);
    };
    if job.paused && trigger != "manual" {
        return Ok(None);
    }
    let job = &job;
    let run_id = store::insert_run(
        &state.db,
        job.id,
        trigger,
        scheduled_for,
        RunStatus::Running,
        "",
        state.scheduler.now(),
    )
    .await?;
    let limit = Duration::from_secs(u64::from(job.spec.timeout_secs));
    let mut attempts = 0;
    let (status, last) = loop {
        attempts += 1;
        let (status, result) =
            match tokio::time::timeout(limit, attempt(state, &job.spec.action)).await {
                Ok(result) if result.ok => (RunStatus::Succeeded, result),
                Ok(result) => (RunStatus::Failed, result),
                Err(_) => (
                    RunStatus::TimedOut,
                    Attempt {
                        message: format!(
                            "Stopped waiting after the time limit of {} s.{}",
                            job.spec.timeout_secs,
                            if matches!(job.spec.action, super::JobAction::Exec { .. }) {
                                " The command may still be running in its container."
                            } else {
                                ""
                            }
                        ),
                        ..Attempt::default()
                    },
                ),
            };
        // A command that timed out may still run in its container: never start a second.
        let exec_timed_out = status == RunStatus::TimedOut
            && matches!(job.spec.action, super::JobAction::Exec { .. });
        if status == RunStatus::Succeeded || attempts > job.spec.retries || exec_timed_out {
            break (status, result);
        }
        // Backoff: the delay doubles with each retry, up to an hour.
        let delay =
            (u64::from(job.spec.retry_delay_secs) << (attempts - 1)).min(MAX_RETRY_DELAY_SECS);
        tracing::info!(job = %job.spec.name, attempts, delay, "the run failed; retrying");
        tokio::time::sleep(Duration::from_secs(delay)).await;
    };
    let message = if attempts > 1 {
        format!(
            "{} (attempt {attempts} of {})",
            last.message,
            job.spec.retries + 1
        )
    } else {
        last.message.clone()
    };
    if status.is_failure() {
        tracing::warn!(job = %job.spec.name, %message, "a job failed");
    }
    let end = RunEnd {
        status,
        attempts,
        exit_code: last.exit_code,
        http_status: last.http_status,
        output: &last.output,
        message: &message,
    };
    store::finish_run(&state.db, run_id, &end, state.scheduler.now()).await?;
    store::trim_runs(&state.db, job.id, RUNS_KEPT).await?;
    Ok(Some(run_id))
}

// ---------------------------------------------------------------------------------------
// Definitions

/// Checks the form; restart jobs look their service up by id.
async fn parse_with_services(
    state: &AppState,
    form: &JobForm,
) -> Result<(JobSpec, Schedule), AppError> {
    let services = if form.kind == "restart" {
        crate::services::service::list(state).await?
    } else {
        Vec::new()
    };
    let plans = if form.kind == "backup" {
        crate::backups::service::plan_names(state).await?
    } else {
        Vec::new()
    };
    let log_sources = if form.kind == "ingest" {
        crate::analytics::store::sources(&state.db).await?
    } else {
        Vec::new()
    };
    validate::parse_form(
        form,
        |id| {
            services
                .iter()
                .find(|service| service.id == id)
                .map(|service| service.name.clone())
        },
        |id| {
            plans
                .iter()
                .find(|(plan, _)| *plan == id)
                .map(|(_, name)| name.clone())
        },
        |id| {
            log_sources
                .iter()
                .find(|source| source.id == id)
                .map(|source| source.name.clone())
        },
    )
}

/// Seals the values of secret headers; an empty value keeps the one `stored` has.
fn seal_secret_headers(
    state: &AppState,
    spec: &mut JobSpec,
    stored: Option<&JobSpec>,
) -> Result<(), AppError> {
    let super::JobAction::Http { secret_headers, .. } = &mut spec.action else {
        return Ok(());
    };
    let kept = match stored.map(|stored| &stored.action) {
        Some(super::JobAction::Http { secret_headers, .. }) => secret_headers.clone(),
        _ => Vec::new(),
    };
    for (name, value) in secret_headers.iter_mut() {
        if value.is_empty() {
            let (_, sealed) = kept
                .iter()
                .find(|(kept_name, _)| kept_name.eq_ignore_ascii_case(name))
                .ok_or_else(|| {
                    AppError::invalid(format!(
                        "Headers: {name} has no stored value yet; write it as {name}: value."
                    ))
                })?;
            *value = sealed.clone();
        } else {
            *value = state.secrets.seal(value);
        }
    }
    Ok(())
}

pub async fn create(state: &AppState, actor: &Actor, form: &JobForm) -> Result<i64, AppError> {
    let (mut spec, schedule) = parse_with_services(state, form).await?;
    seal_secret_headers(state, &mut spec, None)?;
    let now = state.scheduler.now();
    let id = store::insert(&state.db, &spec, schedule.next_after(now), now)
        .await?
        .ok_or_else(|| AppError::Conflict(format!("A job named {} exists already.", spec.name)))?;
    state.scheduler.wake();
    crate::monitors::service::watch_new_job(state, actor, id, &spec.name).await?;
    record(
        &state.db,
        actor,
        AREA,
        "create",
        &spec.name,
        Outcome::Ok,
        &spec.action.summary(),
    )
    .await;
    Ok(id)
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &JobForm,
) -> Result<(), AppError> {
    let (mut spec, schedule) = parse_with_services(state, form).await?;
    let stored = get(state, id).await?;
    seal_secret_headers(state, &mut spec, Some(&stored.spec))?;
    let now = state.scheduler.now();
    if !store::update(&state.db, id, &spec, schedule.next_after(now), now).await? {
        return Err(AppError::Conflict(format!(
            "Another job is named {}.",
            spec.name
        )));
    }
    state.scheduler.wake();
    crate::monitors::service::follow_job(state, id, &spec.name, stored.paused).await?;
    record(
        &state.db,
        actor,
        AREA,
        "edit",
        &spec.name,
        Outcome::Ok,
        &spec.action.summary(),
    )
    .await;
    Ok(())
}

/// The jobs that run a backup plan: (id, what they do, their schedule in words).
pub async fn backup_schedules(
    state: &AppState,
    plan_id: i64,
) -> Result<Vec<(i64, String, String)>, AppError> {
    Ok(store::list(&state.db)
        .await?
        .into_iter()
        .filter(|job| matches!(job.spec.action, super::JobAction::Backup { plan_id: id, .. } if id == plan_id))
        .map(|job| {
            let schedule = schedule_of(&job.spec).describe();
            let paused = if job.paused { " (paused)" } else { "" };
            (job.id, job.spec.action.summary(), format!("{schedule}{paused}"))
        })
        .collect())
}

/// Deletes the jobs that run a backup plan (the plan is being deleted).
pub async fn delete_backup_jobs(state: &AppState, plan_id: i64) -> Result<(), AppError> {
    for job in store::list(&state.db).await? {
        if matches!(job.spec.action, super::JobAction::Backup { plan_id: id, .. } if id == plan_id)
        {
            store::delete(&state.db, job.id).await?;
            state.jobs.forget(job.id);
        }
    }
    // Their heartbeat monitors went with them.
    state.monitors.reload();
    Ok(())
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This job was already deleted."))?;
    state.jobs.forget(id);
    // Its heartbeat monitor went with it.
    state.monitors.reload();
    record(&state.db, actor, AREA, "delete", &name, Outcome::Ok, "").await;
    Ok(())
}

pub async fn set_paused(
    state: &AppState,
    actor: &Actor,
    id: i64,
    paused: bool,
) -> Result<(), AppError> {
    let job = get(state, id).await?;
    store::set_paused(&state.db, id, paused).await?;
    if !paused {
        // Resumed: the next run is planned from now; runs during the pause are not owed.
        let next = schedule_of(&job.spec).next_after(state.scheduler.now());
        store::set_next_run(&state.db, id, next).await?;
    }
    state.scheduler.wake();
    crate::monitors::service::follow_job(state, id, &job.spec.name, paused).await?;
    let action = if paused { "pause" } else { "resume" };
    record(
        &state.db,
        actor,
        AREA,
        action,
        &job.spec.name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// Starts a run now, whatever the schedule; answers at once.
pub async fn run_now(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let job = get(state, id).await?;
    record(
        &state.db,
        actor,
        AREA,
        "run now",
        &job.spec.name,
        Outcome::Ok,
        "",
    )
    .await;
    tokio::spawn(run_job(state.clone(), job, "manual", None));
    Ok(())
}

async fn get(state: &AppState, id: i64) -> Result<JobRecord, AppError> {
    store::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no job with id {id}.")))
}

/// The next five runs of a schedule as typed, to check the expression before saving.
pub fn preview(
    state: &AppState,
    kind: &str,
    expression: &str,
    zone: &str,
) -> Result<Vec<DateTime<Utc>>, AppError> {
    let zone = if zone.trim().is_empty() { "UTC" } else { zone };
    let schedule = Schedule::parse(kind, expression, zone).map_err(AppError::Invalid)?;
    Ok(schedule.upcoming(state.scheduler.now(), 5))
}

// ---------------------------------------------------------------------------------------
// Reading

pub async fn list(state: &AppState) -> Result<Vec<JobSummary>, AppError> {
    let now = state.scheduler.now();
    let mut last_runs = store::last_runs(&state.db).await?;
    Ok(store::list(&state.db)
        .await?
        .into_iter()
        .map(|job| {
            let last = last_runs.remove(&job.id);
            summary(&job, last, now)
        })
        .collect())
}

fn summary(job: &JobRecord, last_run: Option<RunRecord>, now: DateTime<Utc>) -> JobSummary {
    let health = health(job, last_run.as_ref(), now);
    JobSummary {
        id: job.id,
        name: job.spec.name.clone(),
        action: job.spec.action.summary(),
        schedule: schedule_of(&job.spec).describe(),
        paused: job.paused,
        next_run_at: job.next_run_at.filter(|_| !job.paused),
        last_run,
        health,
    }
}

/// Whether the job needs attention: failed last time, or did not run when it should have.
fn health(job: &JobRecord, last: Option<&RunRecord>, now: DateTime<Utc>) -> JobHealth {
    if job.paused {
        return JobHealth::Paused;
    }
    if let Some(last) = last {
        if last.status.is_failure() {
            return JobHealth::Failing(format!(
                "last run {}: {}",
                last.status.label(),
                last.message
            ));
        }
        if last.status == RunStatus::Skipped && last.trigger == "catch-up" {
            return JobHealth::Missed(last.message.clone());
        }
    }
    if let Some(due) = job.next_run_at.filter(|due| *due + LATE_AFTER < now) {
        return JobHealth::Missed(format!(
            "did not run at {}, when it was due",
            crate::ui::format::local_time(due)
        ));
    }
    JobHealth::Fine
}

pub async fn view(state: &AppState, id: i64) -> Result<JobView, AppError> {
    let job = get(state, id).await?;
    let now = state.scheduler.now();
    let last = store::runs(&state.db, id, 1).await?.pop();
    let upcoming = if job.paused {
        Vec::new()
    } else {
        schedule_of(&job.spec).upcoming(now, 5)
    };
    Ok(JobView {
        summary: summary(&job, last, now),
        form: form_of(&job.spec),
        upcoming,
        monitor: crate::monitors::service::of_job(state, id).await?,
        actions_allowed: false,
    })
}

pub async fn runs(state: &AppState, id: i64) -> Result<JobRuns, AppError> {
    let job = get(state, id).await?;
    let runs = store::runs(&state.db, id, RUNS_SHOWN).await?;
    let chart = run_time_chart(&job.spec.name, &runs);
    Ok(JobRuns { runs, chart })
}

fn run_time_chart(name: &str, runs: &[RunRecord]) -> String {
    use crate::ui::chart::{time_series_svg, Point};
    let mut points: Vec<Point> = runs
        .iter()
        // Skipped and interrupted runs have no run time to show.
        .filter(|run| {
            matches!(
                run.status,
                RunStatus::Succeeded | RunStatus::Failed | RunStatus::TimedOut
            )
        })
        .filter_map(|run| {
            Some(Point {
                at: run.started_at,
                value: run.duration_secs()?,
                ok: !run.status.is_failure(),
            })
        })
        .collect();
    points.sort_by_key(|point| point.at);
    let failed = points.iter().filter(|point| !point.ok).count();
    let mut seconds: Vec<f64> = points.iter().map(|point| point.value).collect();
    seconds.sort_by(f64::total_cmp);
    let description = match (seconds.get(seconds.len() / 2), seconds.last()) {
        (Some(median), Some(longest)) => format!(
            "Run time of the last {} runs of {name}: median {median:.1} s, longest {longest:.1} s; {failed} failed.",
            seconds.len()
        ),
        _ => format!("{name} has no finished runs yet."),
    };
    time_series_svg(
        &format!("Run time of {name}"),
        &description,
        "seconds",
        &points,
        (640, 220),
    )
}

/// The form filled with a stored job, for editing.
fn form_of(spec: &JobSpec) -> JobForm {
    let mut form = JobForm {
        name: spec.name.clone(),
        schedule_kind: spec.schedule_kind.clone(),
        expression: spec.expression.clone(),
        zone: spec.zone.clone(),
        timeout: format!("{}s", spec.timeout_secs),
        retries: spec.retries.to_string(),
        retry_delay: format!("{}s", spec.retry_delay_secs),
        overlap: match spec.overlap {
            Overlap::Skip => "skip",
            Overlap::Queue => "queue",
        }
        .to_owned(),
        catch_up: match spec.catch_up {
            CatchUp::Once => "once",
            CatchUp::Skip => "skip",
        }
        .to_owned(),
        ..JobForm::default()
    };
    match &spec.action {
        super::JobAction::Http {
            method,
            url,
            headers,
            secret_headers,
            body,
            expected_status,
        } => {
            form.kind = "http".to_owned();
            form.method = method.clone();
            form.url = url.clone();
            // Secret headers show their name only; kept as they are unless a value is typed.
            form.headers = headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .chain(secret_headers.iter().map(|(name, _)| format!("{name}:")))
                .collect::<Vec<_>>()
                .join("\n");
            form.body = body.clone();
            form.expected_status = expected_status
                .map(|status| status.to_string())
                .unwrap_or_default();
        }
        super::JobAction::Exec {
            host,
            container,
            command,
        } => {
            form.kind = "exec".to_owned();
            form.host = host.clone();
            form.container = container.clone();
            form.command = shlex::try_join(command.iter().map(String::as_str)).unwrap_or_default();
        }
        super::JobAction::Restart { service_id, .. } => {
            form.kind = "restart".to_owned();
            form.service = service_id.to_string();
        }
        super::JobAction::Backup { plan_id, work, .. } => {
            form.kind = "backup".to_owned();
            form.plan = plan_id.to_string();
            form.work = work.as_str().to_owned();
        }
        super::JobAction::Ingest { source_id, .. } => {
            form.kind = "ingest".to_owned();
            form.log_source = source_id.to_string();
        }
    }
    form
}

/// A job's heartbeat, for its monitor: `Ok(sentence)` when its newest run did not fail,
/// nothing was missed and (unless `within_minutes` is 0) a run succeeded within
/// `within_minutes`; else `Err(what is wrong)`.
pub async fn heartbeat(
    state: &AppState,
    id: i64,
    within_minutes: u32,
    now: DateTime<Utc>,
) -> Result<Result<String, String>, AppError> {
    let job = get(state, id).await?;
    let runs = store::runs(&state.db, id, 20).await?;
    let name = &job.spec.name;
    match health(&job, runs.first(), now) {
        JobHealth::Failing(why) | JobHealth::Missed(why) => {
            return Ok(Err(format!(
                "The job {name} {}.",
                why.trim_end_matches('.')
            )))
        }
        JobHealth::Paused => return Ok(Err(format!("The job {name} is paused."))),
        JobHealth::Fine => {}
    }
    let last_success = runs
        .iter()
        .filter(|run| run.status == RunStatus::Succeeded)
        .filter_map(|run| run.finished_at)
        .max();
    if within_minutes == 0 {
        // The job's own schedule decides, and `health` found nothing late or failed.
        return Ok(Ok(match last_success {
            Some(at) => format!(
                "The job {name} runs as planned; it last succeeded {} minutes ago.",
                (now - at).num_minutes()
            ),
            None => format!("The job {name} has not run yet; nothing is overdue."),
        }));
    }
    let limit = chrono::Duration::minutes(i64::from(within_minutes));
    Ok(match last_success {
        Some(at) if now - at <= limit => Ok(format!(
            "The job {name} last succeeded {} minutes ago.",
            (now - at).num_minutes()
        )),
        Some(at) => Err(format!(
            "The job {name} last succeeded {} minutes ago, more than the {within_minutes} expected.",
            (now - at).num_minutes()
        )),
        None => Err(format!("The job {name} has not succeeded yet.")),
    })
}
