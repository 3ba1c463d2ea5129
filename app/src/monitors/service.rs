//! The monitors area's logic: monitors, channels and maintenance windows; the notices of
//! changes of state; the pages' and the status page's data.

use super::notify::{self, ChannelConfig, Notice, NoticeKind};
use super::store::{self, Change, Definition, MonitorRecord};
use super::{
    validate, Channel, ChannelForm, Incident, MaintenanceForm, MonitorForm, MonitorState,
    MonitorSummary, MonitorView, MonitorsOverview, PublicService, PublicStatus, Target, Uptime,
};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::ui::chart::{framed_time_series_svg, Frame, Point};

const AREA: &str = "monitors";
/// Incidents a monitor's page lists.
const INCIDENTS_SHOWN: i64 = 20;

/// The monitors page: one page of the monitors matching `filter` (in the name or the
/// target), the problems first.
pub async fn overview(
    state: &AppState,
    page: usize,
    filter: &str,
) -> Result<MonitorsOverview, AppError> {
    let now = state.scheduler.now();
    let all = store::list(&state.db).await?;
    let mut counts = (0, 0, 0, 0);
    for monitor in &all {
        match (monitor.paused, monitor.state) {
            (true, _) => counts.3 += 1,
            (false, MonitorState::Up) => counts.0 += 1,
            (false, MonitorState::Down) => counts.1 += 1,
            (false, MonitorState::Unknown) => counts.2 += 1,
        }
    }
    let names = all
        .iter()
        .map(|monitor| (monitor.id, monitor.name.clone()))
        .collect();
    let needle = filter.trim().to_lowercase();
    let mut matching: Vec<MonitorRecord> = all
        .into_iter()
        .filter(|monitor| {
            needle.is_empty()
                || monitor.name.to_lowercase().contains(&needle)
                || monitor
                    .spec
                    .target
                    .describe()
                    .to_lowercase()
                    .contains(&needle)
        })
        .collect();
    let rank = |monitor: &MonitorRecord| match (monitor.paused, monitor.state) {
        (false, MonitorState::Down) => 0,
        (false, MonitorState::Unknown) => 1,
        (false, MonitorState::Up) => 2,
        (true, _) => 3,
    };
    matching.sort_by_key(rank);
    let total = matching.len();
    let pages = total.div_ceil(super::PAGE_SIZE).max(1);
    let page = page.clamp(1, pages);
    let shown: Vec<MonitorRecord> = matching
        .into_iter()
        .skip((page - 1) * super::PAGE_SIZE)
        .take(super::PAGE_SIZE)
        .collect();
    let ids: Vec<i64> = shown.iter().map(|monitor| monitor.id).collect();
    let uptimes = store::uptimes(&state.db, &ids, now).await?;
    let monitors = shown
        .into_iter()
        .map(|monitor| {
            let uptime = uptimes.get(&monitor.id).copied().unwrap_or_default();
            summary(monitor, uptime)
        })
        .collect();
    Ok(MonitorsOverview {
        monitors,
        matching: total,
        page,
        pages,
        filter: filter.trim().to_owned(),
        counts,
        names,
        open_incidents: store::incidents(&state.db, None, 100).await?,
        channels: store::channels(&state.db)
            .await?
            .into_iter()
            .map(|(id, name, summary)| Channel { id, name, summary })
            .collect(),
        maintenance: store::maintenance(&state.db, now).await?,
        can_edit: false,
    })
}

fn summary(monitor: MonitorRecord, uptime: Uptime) -> MonitorSummary {
    MonitorSummary {
        id: monitor.id,
        kind: monitor.spec.target.kind(),
        target: monitor.spec.target.describe(),
        state: monitor.state,
        state_since: monitor.state_since,
        last_check_at: monitor.last_check_at,
        last_ok: monitor.last_ok,
        last_latency_ms: monitor.last_latency_ms,
        last_message: monitor.last_message,
        cert_days: monitor.cert_days,
        interval_secs: monitor.spec.interval_secs,
        paused: monitor.paused,
        published: monitor.published,
        name: monitor.name,
        uptime,
    }
}

async fn get(state: &AppState, id: i64) -> Result<MonitorRecord, AppError> {
    store::get(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("There is no monitor with id {id}.")))
}

pub async fn view(state: &AppState, id: i64) -> Result<MonitorView, AppError> {
    let monitor = get(state, id).await?;
    let now = state.scheduler.now();
    let uptime = store::uptime_of(&state.db, id, now).await?;
    let results = store::results(&state.db, id, now - chrono::Duration::hours(24)).await?;
    let days = store::days(&state.db, id, now - chrono::Duration::days(90)).await?;
    let name = monitor.name.clone();
    let latencies: Vec<i64> = results
        .iter()
        .filter_map(|(_, _, latency)| *latency)
        .collect();
    let response_chart = framed_time_series_svg(
        &format!("Response time of {name}, last 24 hours"),
        &match latencies.iter().max() {
            Some(max) => format!(
                "{} checks; slowest {max} ms, average {} ms. Failed checks are marked with crosses.",
                results.len(),
                latencies.iter().sum::<i64>() / latencies.len() as i64
            ),
            None => "No timed checks in the last 24 hours.".to_owned(),
        },
        "ms",
        &results
            .iter()
            .filter_map(|(at, ok, latency)| {
                latency.map(|latency| Point {
                    at: *at,
                    value: latency as f64,
                    ok: *ok,
                })
            })
            .collect::<Vec<_>>(),
        (720, 220),
        Frame {
            window: Some((now - chrono::Duration::hours(24), now)),
            top: None,
        },
    );
    let uptime_chart = framed_time_series_svg(
        &format!("Uptime of {name} per day, last 90 days"),
        &format!(
            "{} days with checks; uptime {} over 30 days and {} over 90 days.",
            days.len(),
            super::percent(uptime.month),
            super::percent(uptime.quarter)
        ),
        "% up",
        &days
            .iter()
            .map(|(day, checks, ups)| Point {
                at: *day,
                value: *ups as f64 * 100.0 / (*checks).max(1) as f64,
                ok: ups == checks,
            })
            .collect::<Vec<_>>(),
        (720, 220),
        Frame {
            window: Some((now - chrono::Duration::days(90), now)),
            top: Some(100.0),
        },
    );
    Ok(MonitorView {
        form: form_of(&monitor),
        incidents: store::incidents(&state.db, Some(id), INCIDENTS_SHOWN).await?,
        summary: summary(monitor, uptime),
        response_chart,
        uptime_chart,
        can_edit: false,
    })
}

/// The form showing a stored monitor. Secret header values are not shown: their names
/// are, with an empty value that keeps them.
pub fn form_of(monitor: &MonitorRecord) -> MonitorForm {
    let spec = &monitor.spec;
    let mut form = MonitorForm {
        name: monitor.name.clone(),
        kind: spec.target.kind().as_str().to_owned(),
        interval_secs: spec.interval_secs.to_string(),
        timeout_secs: spec.timeout_secs.to_string(),
        down_after: spec.down_after.to_string(),
        up_after: spec.up_after.to_string(),
        allow_link_local: spec.allow_link_local.then(|| "on".to_owned()),
        published: monitor.published.then(|| "on".to_owned()),
        public_name: monitor.public_name.clone(),
        ..MonitorForm::default()
    };
    match &spec.target {
        Target::Http {
            method,
            url,
            headers,
            secret_headers,
            expected_status,
            keyword,
            keyword_absent,
            follow_redirects,
        } => {
            form.target = url.clone();
            form.method = method.clone();
            form.headers = headers
                .iter()
                .map(|(name, value)| format!("{name}: {value}"))
                .chain(secret_headers.iter().map(|(name, _)| format!("{name}:")))
                .collect::<Vec<_>>()
                .join("\n");
            form.expected_status = expected_status.clone();
            form.keyword = keyword.clone();
            form.keyword_mode = if *keyword_absent { "absent" } else { "present" }.to_owned();
            form.follow_redirects = follow_redirects.then(|| "on".to_owned());
        }
        Target::Tcp { host, port } => form.target = host_port(host, *port),
        Target::Container { host, container } => {
            form.target = if host == crate::containers::LOCAL_HOST_ID {
                container.clone()
            } else {
                format!("{host}/{container}")
            }
        }
        Target::Ollama { url } => form.target = url.clone(),
        Target::Tls {
            host,
            port,
            server_name,
            warn_days,
        } => {
            form.target = host_port(host, *port);
            form.server_name = server_name.clone();
            form.warn_days = warn_days.to_string();
        }
        Target::BackupFreshness { plan_id, .. } => form.plan_id = plan_id.to_string(),
        Target::JobHeartbeat {
            job_id,
            within_minutes,
            ..
        } => {
            form.job_id = job_id.to_string();
            form.within_minutes = within_minutes.to_string();
        }
        Target::SwarmNodes {} => {}
    }
    form
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Parses the form, fills in plan and job names, and seals secret header values (an
/// empty one keeps the value `stored` has).
async fn definition(
    state: &AppState,
    form: &MonitorForm,
    stored: Option<&MonitorRecord>,
) -> Result<validate::Parsed, AppError> {
    let mut parsed = validate::parse_form(form)?;
    match &mut parsed.spec.target {
        Target::BackupFreshness { plan_id, plan } => {
            *plan = crate::backups::service::plan_names(state)
                .await?
                .into_iter()
                .find(|(id, _)| id == plan_id)
                .map(|(_, name)| name)
                .ok_or_else(|| {
                    AppError::invalid(
                        "Backup plan: that plan does not exist any more; choose another.",
                    )
                })?;
        }
        Target::JobHeartbeat { job_id, job, .. } => {
            *job = crate::jobs::service::list(state)
                .await?
                .into_iter()
                .find(|summary| summary.id == *job_id)
                .map(|summary| summary.name)
                .ok_or_else(|| {
                    AppError::invalid("Job: that job does not exist any more; choose another.")
                })?;
        }
        Target::Http { secret_headers, .. } => {
            let kept = match stored.map(|stored| &stored.spec.target) {
                Some(Target::Http { secret_headers, .. }) => secret_headers.clone(),
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
        }
        _ => {}
    }
    Ok(parsed)
}

pub async fn create(state: &AppState, actor: &Actor, form: &MonitorForm) -> Result<i64, AppError> {
    let parsed = definition(state, form, None).await?;
    let id = store::insert(
        &state.db,
        &Definition {
            name: &parsed.name,
            spec: &parsed.spec,
            published: parsed.published,
            public_name: &parsed.public_name,
        },
        state.scheduler.now(),
    )
    .await?
    .ok_or_else(|| {
        AppError::Conflict(format!("A monitor named {} exists already.", parsed.name))
    })?;
    state.monitors.reload();
    record(
        &state.db,
        actor,
        AREA,
        "create",
        &parsed.name,
        Outcome::Ok,
        &parsed.spec.target.describe(),
    )
    .await;
    Ok(id)
}

/// Gives a new job its own heartbeat monitor, so a failed or missed run raises an alert
/// without an admin having to add one. The monitor follows the job's schedule
/// (`within_minutes` 0), is paused with it and deleted with it (a foreign key).
pub async fn watch_new_job(
    state: &AppState,
    actor: &Actor,
    job_id: i64,
    job: &str,
) -> Result<(), AppError> {
    let spec = super::MonitorSpec {
        target: Target::JobHeartbeat {
            job_id,
            job: job.to_owned(),
            within_minutes: 0,
        },
        interval_secs: 60,
        timeout_secs: 10,
        down_after: 1,
        up_after: 1,
        allow_link_local: false,
    };
    let now = state.scheduler.now();
    // The plain name, or with the job's number when an admin's monitor has it already.
    for name in [format!("Job {job}"), format!("Job {job} (#{job_id})")] {
        let definition = Definition {
            name: &name,
            spec: &spec,
            published: false,
            public_name: "",
        };
        if store::insert_for_job(&state.db, &definition, job_id, false, now)
            .await?
            .is_some()
        {
            state.monitors.reload();
            record(
                &state.db,
                actor,
                AREA,
                "create",
                &name,
                Outcome::Ok,
                &spec.target.describe(),
            )
            .await;
            return Ok(());
        }
    }
    Err(AppError::Conflict(format!(
        "Monitors named Job {job} and Job {job} (#{job_id}) exist already: rename one to let the job have its heartbeat monitor."
    )))
}

/// A job's own heartbeat monitor, for the job's page: id and name.
pub async fn of_job(state: &AppState, job_id: i64) -> Result<Option<(i64, String)>, AppError> {
    Ok(store::of_job(&state.db, job_id)
        .await?
        .map(|monitor| (monitor.id, monitor.name)))
}

/// Keeps a job's own heartbeat monitor in step with the job: its name in the target, and
/// paused while the job is. Nothing when an admin deleted that monitor.
pub async fn follow_job(
    state: &AppState,
    job_id: i64,
    job: &str,
    paused: bool,
) -> Result<(), AppError> {
    let Some(monitor) = store::of_job(&state.db, job_id).await? else {
        return Ok(());
    };
    let now = state.scheduler.now();
    if let Target::JobHeartbeat {
        job: shown,
        within_minutes,
        ..
    } = &monitor.spec.target
    {
        if shown != job {
            let spec = super::MonitorSpec {
                target: Target::JobHeartbeat {
                    job_id,
                    job: job.to_owned(),
                    within_minutes: *within_minutes,
                },
                ..monitor.spec.clone()
            };
            let definition = Definition {
                name: &monitor.name,
                spec: &spec,
                published: monitor.published,
                public_name: &monitor.public_name,
            };
            store::update(&state.db, monitor.id, &definition, now).await?;
        }
    }
    if monitor.paused != paused {
        store::set_paused(&state.db, monitor.id, paused, now).await?;
    }
    state.monitors.reload();
    Ok(())
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &MonitorForm,
) -> Result<(), AppError> {
    let stored = get(state, id).await?;
    let parsed = definition(state, form, Some(&stored)).await?;
    let definition = Definition {
        name: &parsed.name,
        spec: &parsed.spec,
        published: parsed.published,
        public_name: &parsed.public_name,
    };
    if !store::update(&state.db, id, &definition, state.scheduler.now()).await? {
        return Err(AppError::Conflict(format!(
            "Another monitor is named {}.",
            parsed.name
        )));
    }
    state.monitors.reload();
    record(
        &state.db,
        actor,
        AREA,
        "edit",
        &parsed.name,
        Outcome::Ok,
        &parsed.spec.target.describe(),
    )
    .await;
    Ok(())
}

/// The TLS monitors: (id, name, the name their handshake asks for, port). The routes of the
/// proxy area show which of their hosts are watched.
pub async fn tls_monitors(state: &AppState) -> Result<Vec<(i64, String, String, u16)>, AppError> {
    Ok(store::list(&state.db)
        .await?
        .into_iter()
        .filter_map(|monitor| match &monitor.spec.target {
            super::Target::Tls {
                host,
                port,
                server_name,
                ..
            } => {
                let name = if server_name.is_empty() {
                    host
                } else {
                    server_name
                };
                Some((monitor.id, monitor.name.clone(), name.clone(), *port))
            }
            _ => None,
        })
        .collect())
}

pub async fn delete(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This monitor was already deleted."))?;
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
    let monitor = get(state, id).await?;
    store::set_paused(&state.db, id, paused, state.scheduler.now()).await?;
    state.monitors.reload();
    let action = if paused { "pause" } else { "resume" };
    record(
        &state.db,
        actor,
        AREA,
        action,
        &monitor.name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// Checks a monitor now; answers the sentence of what was found.
pub async fn check_now(state: &AppState, id: i64) -> Result<super::probe::Outcome, AppError> {
    let monitor = get(state, id).await?;
    super::runner::check_now(state, &monitor).await
}

/// Sends the notices of changes of state: one per change and channel, claimed in the
/// database first so a change recorded twice (or a restart mid-send) never sends twice.
pub async fn announce(state: AppState, changes: Vec<Change>) {
    let channels = match channel_configs(&state).await {
        Ok(channels) => channels,
        Err(error) => {
            tracing::error!(%error, "notification channels could not be read");
            return;
        }
    };
    for change in changes {
        if change.silenced {
            tracing::info!(monitor = %change.monitor, down = change.down, "state change in a maintenance window: no notice");
            continue;
        }
        let notice = Notice {
            monitor: change.monitor.clone(),
            kind: if change.down {
                NoticeKind::Down
            } else {
                NoticeKind::Up
            },
            at: change.at,
            detail: change.cause.clone(),
            down_since: Some(change.down_since),
            link: None,
        };
        for (channel_id, channel_name, config) in &channels {
            match store::claim_notice(&state.db, change.incident_id, *channel_id, change.down).await
            {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) => {
                    tracing::error!(%error, "a notice could not be claimed");
                    continue;
                }
            }
            let sent = notify::send(
                state
                    .monitors
                    .probes
                    .http
                    .get(super::guard::Redirects::None, false),
                config,
                &notice,
            )
            .await;
            if let Err(error) = &sent {
                tracing::warn!(channel = %channel_name, monitor = %change.monitor, %error, "a notice was not delivered");
            }
            let error = sent.err();
            if let Err(error) = store::finish_notice(
                &state.db,
                change.incident_id,
                *channel_id,
                change.down,
                error.as_deref(),
                state.scheduler.now(),
            )
            .await
            {
                tracing::error!(%error, "a notice's delivery could not be recorded");
            }
        }
    }
}

async fn channel_configs(state: &AppState) -> Result<Vec<(i64, String, ChannelConfig)>, AppError> {
    let mut configs = Vec::new();
    for (id, name, sealed) in store::sealed_channels(&state.db).await? {
        match state
            .secrets
            .unseal(&sealed)
            .and_then(|plain| serde_json::from_str(&plain).map_err(AppError::internal))
        {
            Ok(config) => configs.push((id, name, config)),
            Err(error) => {
                tracing::error!(channel = %name, %error, "a channel's settings cannot be read")
            }
        }
    }
    Ok(configs)
}

pub async fn add_channel(
    state: &AppState,
    actor: &Actor,
    form: &ChannelForm,
) -> Result<i64, AppError> {
    let (name, config) = validate::channel(form)?;
    let plain = serde_json::to_string(&config).map_err(AppError::internal)?;
    let summary = config.describe();
    let id = store::insert_channel(
        &state.db,
        &name,
        &state.secrets.seal(&plain),
        &summary,
        state.scheduler.now(),
    )
    .await?
    .ok_or_else(|| AppError::Conflict(format!("A channel named {name} exists already.")))?;
    record(
        &state.db,
        actor,
        AREA,
        "add channel",
        &name,
        Outcome::Ok,
        &summary,
    )
    .await;
    Ok(id)
}

pub async fn remove_channel(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete_channel(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This channel was already removed."))?;
    record(
        &state.db,
        actor,
        AREA,
        "remove channel",
        &name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// Sends a test notice through one channel; the error says what the channel answered.
pub async fn test_channel(state: &AppState, actor: &Actor, id: i64) -> Result<String, AppError> {
    let (_, name, config) = channel_configs(state)
        .await?
        .into_iter()
        .find(|(channel_id, _, _)| *channel_id == id)
        .ok_or_else(|| AppError::not_found("This channel was removed."))?;
    let notice = Notice {
        monitor: "caretaker".to_owned(),
        kind: NoticeKind::Test,
        at: state.scheduler.now(),
        detail: format!("A test of the channel {name}, sent by {}.", actor.name),
        down_since: None,
        link: None,
    };
    let sent = notify::send(
        state
            .monitors
            .probes
            .http
            .get(super::guard::Redirects::None, false),
        &config,
        &notice,
    )
    .await;
    let outcome = if sent.is_ok() {
        Outcome::Ok
    } else {
        Outcome::Failed
    };
    record(
        &state.db,
        actor,
        AREA,
        "test channel",
        &name,
        outcome,
        sent.as_ref().err().map_or("", String::as_str),
    )
    .await;
    match sent {
        Ok(()) => Ok(format!("A test notice went to {name}.")),
        Err(why) => Err(AppError::EngineUnavailable(format!(
            "The test notice to {name} failed: {why}"
        ))),
    }
}

pub async fn add_maintenance(
    state: &AppState,
    actor: &Actor,
    form: &MaintenanceForm,
) -> Result<i64, AppError> {
    let validate::Window {
        monitor,
        starts,
        ends,
        note,
    } = validate::maintenance(form, state.scheduler.now())?;
    let target = match monitor {
        Some(id) => get(state, id).await?.name,
        None => "all monitors".to_owned(),
    };
    let id = store::insert_maintenance(&state.db, monitor, starts, ends, &note).await?;
    record(
        &state.db,
        actor,
        AREA,
        "add maintenance",
        &target,
        Outcome::Ok,
        &format!("{} to {} {note}", starts.to_rfc3339(), ends.to_rfc3339()),
    )
    .await;
    Ok(id)
}

pub async fn remove_maintenance(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    if !store::delete_maintenance(&state.db, id).await? {
        return Err(AppError::not_found(
            "This maintenance window was already removed.",
        ));
    }
    record(
        &state.db,
        actor,
        AREA,
        "remove maintenance",
        &id.to_string(),
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

/// The public status page's data: published monitors only, and of them only their public
/// name, state, uptime, certificate days, backup time and the start of an open incident.
pub async fn public_status(state: &AppState) -> Result<PublicStatus, AppError> {
    let now = state.scheduler.now();
    let open = store::incidents(&state.db, None, 1000).await?;
    let published: Vec<_> = store::list(&state.db)
        .await?
        .into_iter()
        .filter(|monitor| monitor.published)
        .collect();
    let ids: Vec<i64> = published.iter().map(|monitor| monitor.id).collect();
    let mut uptimes = store::uptimes(&state.db, &ids, now).await?;
    let mut services = Vec::new();
    for monitor in published {
        let last_backup = match &monitor.spec.target {
            Target::BackupFreshness { plan_id, .. } => {
                crate::backups::service::freshness(state, *plan_id, now)
                    .await
                    .ok()
                    .and_then(|freshness| freshness.oldest_good)
            }
            _ => None,
        };
        let certificate_days_left = match monitor.spec.target {
            Target::Tls { .. } => monitor.cert_days,
            _ => None,
        };
        services.push(PublicService {
            name: monitor.public_name.clone(),
            state: if monitor.paused {
                MonitorState::Unknown
            } else {
                monitor.state
            },
            uptime: uptimes.remove(&monitor.id).unwrap_or_default(),
            certificate_days_left,
            last_backup,
            // A paused monitor's open incident is stale: its state shows as unknown.
            down_since: open
                .iter()
                .filter(|_| !monitor.paused)
                .find(|incident: &&Incident| incident.monitor_id == monitor.id)
                .map(|incident| incident.started_at),
        });
    }
    services.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(PublicStatus {
        services,
        generated_at: now,
    })
}

/// Plans and jobs a monitor may watch, for the form's choices.
pub async fn choices(
    state: &AppState,
) -> Result<(Vec<(i64, String)>, Vec<(i64, String)>), AppError> {
    let plans = crate::backups::service::plan_names(state).await?;
    let jobs = crate::jobs::service::list(state)
        .await?
        .into_iter()
        .map(|job| (job.id, job.name))
        .collect();
    Ok((plans, jobs))
}
