//! The jobs pages: the list (`/jobs`), a new job (`/jobs/new`) and one job (`/jobs/:id`)
//! with its form, next runs, run-time chart and history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{
    get_job, get_job_runs, list_jobs, preview_schedule, CreateJob, DeleteJob, PauseJob, RunJobNow,
    UpdateJob,
};
use super::{JobForm, JobHealth, JobRuns, JobSummary, JobView, RunRecord};
use crate::services::api::list_services;
use crate::ui::form::ActionForm;
use crate::ui::format::Time;
use crate::ui::layout::{keep_fresh, ErrorNote};
use crate::ui::paths::href;

/// How often an open jobs page reads the runs again.
const PAGE_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

#[component]
pub fn JobsPage() -> impl IntoView {
    let run = ServerAction::<RunJobNow>::new();
    let pause = ServerAction::<PauseJob>::new();
    let jobs = Resource::new(
        move || (run.version().get(), pause.version().get()),
        |_| list_jobs(),
    );
    keep_fresh(jobs, PAGE_REFRESH);
    view! {
        <Title text="Jobs · caretaker"/>
        <h1>"Jobs"</h1>
        <p class="muted">"Recurring work run by caretaker: HTTP calls, commands in containers, service restarts. Every run is kept with its output; a job that fails or does not run when it should is flagged here."</p>
        {move || run.value().get().and_then(Result::err).or_else(|| pause.value().get().and_then(Result::err)).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the jobs…"</p> }>
            {move || jobs.get().map(|answer| match answer {
                Ok((jobs, actions_allowed)) => view! { <JobTable jobs actions_allowed run pause/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn JobTable(
    jobs: Vec<JobSummary>,
    actions_allowed: bool,
    run: ServerAction<RunJobNow>,
    pause: ServerAction<PauseJob>,
) -> impl IntoView {
    let new_link = actions_allowed
        .then(|| view! { <p><a class="button" href=href("/jobs/new")>"New job"</a></p> });
    if jobs.is_empty() {
        return view! {
            <p class="empty">"No jobs yet. A job runs an HTTP call, a command in a container or a service restart on a schedule, at startup or before shutdown — for example a POST to your app's /update-forecast every hour at :15."</p>
            {new_link}
        }
        .into_any();
    }
    view! {
        {new_link}
        <div class="table-scroll">
        <table class="jobs">
            <thead><tr>
                <th scope="col">"Job"</th><th scope="col">"When"</th><th scope="col">"Next run"</th>
                <th scope="col">"Last run"</th><th scope="col">"Attention"</th>
                {actions_allowed.then(|| view! { <th scope="col">"Actions"</th> })}
            </tr></thead>
            <tbody>
                {jobs.into_iter().map(|job| {
                    let link = href(&format!("/jobs/{}", job.id));
                    let actions = actions_allowed.then(|| view! { <td><JobActions id=job.id paused=job.paused name=job.name.clone() run pause/></td> });
                    view! {
                        <tr data-job=job.name.clone() data-health=job.health.class()>
                            <td><a href=link>{job.name.clone()}</a><br/><code class="muted small">{job.action.clone()}</code></td>
                            <td>{job.schedule.clone()}</td>
                            <td>{job.next_run_at.map(|at| view! { <Time at/> })}</td>
                            <td>{job.last_run.clone().map(|run| view! { <RunBadge run/> })}</td>
                            <td><HealthNote health=job.health.clone()/></td>
                            {actions}
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}

#[component]
fn RunBadge(run: RunRecord) -> impl IntoView {
    let status = run.status;
    view! {
        <span class=format!("badge run-{}", status.as_str())>{status.label()}</span>
        " " <span class="small muted"><Time at=run.started_at/></span>
    }
}

#[component]
fn HealthNote(health: JobHealth) -> impl IntoView {
    match health {
        JobHealth::Fine => view! { <span class="muted">"—"</span> }.into_any(),
        other => {
            view! { <span class=format!("badge health-{}", other.class())>{other.label()}</span> }
                .into_any()
        }
    }
}

#[component]
fn JobActions(
    id: i64,
    paused: bool,
    name: String,
    run: ServerAction<RunJobNow>,
    pause: ServerAction<PauseJob>,
) -> impl IntoView {
    let run_label = format!("Run {name} now");
    let pause_label = format!("{} {name}", if paused { "Resume" } else { "Pause" });
    view! {
        <div class="actions">
            <ActionForm action=run attr:class="inline">
                <input type="hidden" name="id" value=id.to_string()/>
                <button type="submit" aria-label=run_label>"Run now"</button>
            </ActionForm>
            <ActionForm action=pause attr:class="inline">
                <input type="hidden" name="id" value=id.to_string()/>
                <input type="hidden" name="paused" value=(!paused).to_string()/>
                <button type="submit" aria-label=pause_label>{if paused { "Resume" } else { "Pause" }}</button>
            </ActionForm>
        </div>
    }
}

#[component]
pub fn NewJobPage() -> impl IntoView {
    let create = ServerAction::<CreateJob>::new();
    // A plan's page links here to schedule its backup, check or drill.
    let query = leptos_router::hooks::use_query_map();
    let mut form = JobForm::default();
    query.with_untracked(|query| {
        if query.get("kind").as_deref() == Some("backup") {
            form.kind = "backup".to_owned();
            form.plan = query.get("plan").unwrap_or_default();
            form.work = query.get("work").unwrap_or_else(|| "backup".to_owned());
            form.name = query.get("name").unwrap_or_default();
            form.timeout = "6h".to_owned();
            form.expression = "30 2 * * *".to_owned();
        }
    });
    view! {
        <Title text="New job · caretaker"/>
        <p><a href=href("/jobs")>"← Jobs"</a></p>
        <h1>"New job"</h1>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <ActionForm action=create attr:class="stacked-form card">
            <JobFields form/>
            <button type="submit">"Create job"</button>
        </ActionForm>
    }
}

/// The fields of the job form, filled with `form`. Fields of the kinds not chosen are
/// ignored, so all are shown: the form works without JavaScript.
#[component]
fn JobFields(form: JobForm) -> impl IntoView {
    let services = Resource::new(|| (), |_| list_services());
    let plans = Resource::new(|| (), |_| crate::backups::api::list_plan_names());
    let log_sources = Resource::new(|| (), |_| crate::analytics::api::list_log_sources());
    let schedule_kind = RwSignal::new(form.schedule_kind.clone());
    let expression = RwSignal::new(form.expression.clone());
    let zone = RwSignal::new(form.zone.clone());
    let preview = Resource::new(
        move || (schedule_kind.get(), expression.get(), zone.get()),
        |(kind, expression, zone)| preview_schedule(kind, expression, zone),
    );
    let option = |value: &'static str, label: &'static str, current: &str| {
        let selected = value == current;
        view! { <option value=value selected=selected>{label}</option> }
    };
    let JobForm {
        name,
        kind,
        schedule_kind: kind_now,
        expression: expression_now,
        zone: zone_now,
        method,
        url,
        headers,
        body,
        expected_status,
        host,
        container,
        command,
        service,
        plan,
        work,
        log_source,
        timeout,
        retries,
        retry_delay,
        overlap,
        catch_up,
    } = form;
    view! {
        <label for="job-name">"Name"</label>
        <input id="job-name" name="form[name]" required value=name placeholder="update-forecast"/>
        <label for="job-kind">"What"</label>
        <select id="job-kind" name="form[kind]">
            {option("http", "an HTTP request", &kind)}
            {option("exec", "a command in a container", &kind)}
            {option("restart", "restart a service", &kind)}
            {option("backup", "a backup plan's backup, check or drill", &kind)}
            {option("ingest", "read a log source (analytics)", &kind)}
        </select>
        <label for="job-when">"When"</label>
        <select id="job-when" name="form[schedule_kind]" on:change=move |event| schedule_kind.set(event_target_value(&event))>
            {option("cron", "on a cron schedule", &kind_now)}
            {option("startup", "when caretaker starts", &kind_now)}
            {option("shutdown", "before caretaker stops", &kind_now)}
            {option("manual", "only when run by hand", &kind_now)}
        </select>
        <label for="job-cron">"Cron expression"</label>
        <input id="job-cron" name="form[expression]" value=expression_now spellcheck="false"
            aria-describedby="job-cron-help" on:input=move |event| expression.set(event_target_value(&event))/>
        <p id="job-cron-help" class="hint small muted">"minute hour day-of-month month day-of-week: " <code>"15 * * * *"</code> " is every hour at :15, " <code>"30 2 * * *"</code> " every night at 02:30."</p>
        <label for="job-zone">"Time zone"</label>
        <input id="job-zone" name="form[zone]" value=zone_now placeholder="UTC or Europe/Berlin"
            on:input=move |event| zone.set(event_target_value(&event))/>
        <div class="hint small" aria-live="polite" data-preview>
            <Transition fallback=|| ()>
                {move || preview.get().map(|answer| match answer {
                    Ok(times) if times.is_empty() => view! { <span class="muted">"No upcoming runs on a schedule."</span> }.into_any(),
                    Ok(times) => view! {
                        <span class="muted">"Next runs: "</span>
                        {times.into_iter().map(|at| view! { <Time at/> " · " }).collect_view()}
                    }.into_any(),
                    Err(error) => view! { <span class="error-note">{error.to_string()}</span> }.into_any(),
                })}
            </Transition>
        </div>
        <fieldset>
            <legend>"For an HTTP request"</legend>
            <div class="stacked-form">
                <label for="job-method">"Method"</label>
                <input id="job-method" name="form[method]" value=method/>
                <label for="job-url">"URL"</label>
                <input id="job-url" name="form[url]" value=url placeholder="http://127.0.0.1:5000/update-forecast"/>
                <label for="job-headers">"Headers"</label>
                <textarea id="job-headers" name="form[headers]" rows="2" placeholder="Authorization: Bearer …">{headers}</textarea>
                <label for="job-body">"Body"</label>
                <textarea id="job-body" name="form[body]" rows="2">{body}</textarea>
                <label for="job-status">"Expected status"</label>
                <input id="job-status" name="form[expected_status]" value=expected_status placeholder="any 2xx" inputmode="numeric"/>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For a command in a container"</legend>
            <div class="stacked-form">
                <label for="job-host">"Docker host"</label>
                <input id="job-host" name="form[host]" value=host/>
                <label for="job-container">"Container"</label>
                <input id="job-container" name="form[container]" value=container placeholder="web"/>
                <label for="job-command">"Command"</label>
                <input id="job-command" name="form[command]" value=command spellcheck="false" placeholder="python manage.py clearsessions"/>
                <p class="hint small muted">"Run as a list of arguments, never through a shell; write " <code>"sh -c '…'"</code> " to use one."</p>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For a service restart"</legend>
            <div class="stacked-form">
                <label for="job-service">"Service"</label>
                <select id="job-service" name="form[service]">
                    <option value="">"—"</option>
                    <Transition fallback=|| ()>
                        {move || services.get().and_then(Result::ok).map(|services| {
                            let chosen = service.clone();
                            services.into_iter().map(|item| {
                                let selected = item.id.to_string() == chosen;
                                view! { <option value=item.id.to_string() selected=selected>{item.name.clone()}</option> }
                            }).collect_view()
                        })}
                    </Transition>
                </select>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For a backup plan"</legend>
            <div class="stacked-form">
                <label for="job-plan">"Plan"</label>
                <select id="job-plan" name="form[plan]">
                    <option value="">"—"</option>
                    <Transition fallback=|| ()>
                        {move || plans.get().and_then(Result::ok).map(|plans| {
                            let chosen = plan.clone();
                            plans.into_iter().map(|(id, name)| {
                                let selected = id.to_string() == chosen;
                                view! { <option value=id.to_string() selected=selected>{name}</option> }
                            }).collect_view()
                        })}
                    </Transition>
                </select>
                <label for="job-work">"Work"</label>
                <select id="job-work" name="form[work]">
                    {option("backup", "back up", &work)}
                    {option("check", "check the repositories", &work)}
                    {option("drill", "restore drill", &work)}
                </select>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For a log source"</legend>
            <div class="stacked-form">
                <label for="job-log-source">"Log source"</label>
                <select id="job-log-source" name="form[log_source]">
                    <option value="">"—"</option>
                    <Transition fallback=|| ()>
                        {move || log_sources.get().and_then(Result::ok).map(|sources| {
                            let chosen = log_source.clone();
                            sources.into_iter().map(|(id, name)| {
                                let selected = id.to_string() == chosen;
                                view! { <option value=id.to_string() selected=selected>{name}</option> }
                            }).collect_view()
                        })}
                    </Transition>
                </select>
                <p class="hint small muted">"Sources with a log file are also read every 10 seconds by themselves; a job fits one filled by copying files in, or a fixed hour."</p>
            </div>
        </fieldset>
        <label for="job-timeout">"Time limit"</label>
        <input id="job-timeout" name="form[timeout]" value=timeout placeholder="60s"/>
        <label for="job-retries">"Retries"</label>
        <input id="job-retries" name="form[retries]" value=retries inputmode="numeric"/>
        <label for="job-delay">"First retry after"</label>
        <input id="job-delay" name="form[retry_delay]" value=retry_delay/>
        <p class="hint small muted">"Each further retry waits twice as long."</p>
        <label for="job-overlap">"While still running"</label>
        <select id="job-overlap" name="form[overlap]">
            {option("skip", "skip the new run", &overlap)}
            {option("queue", "run it after the previous one", &overlap)}
        </select>
        <label for="job-catch-up">"After downtime"</label>
        <select id="job-catch-up" name="form[catch_up]">
            {option("once", "run once for the missed runs", &catch_up)}
            {option("skip", "skip the missed runs", &catch_up)}
        </select>
    }
}

#[component]
pub fn JobPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let update = ServerAction::<UpdateJob>::new();
    let run = ServerAction::<RunJobNow>::new();
    let pause = ServerAction::<PauseJob>::new();
    let delete = ServerAction::<DeleteJob>::new();
    let job = Resource::new(
        move || {
            (
                id(),
                update.version().get(),
                run.version().get(),
                pause.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_job(id).await,
                None => Err(crate::core::error::AppError::not_found(
                    "There is no such job.",
                )),
            }
        },
    );
    view! {
        <Title text="Job · caretaker"/>
        <p><a href=href("/jobs")>"← Jobs"</a></p>
        {move || [update.value().get(), run.value().get(), pause.value().get()]
            .into_iter()
            .flatten()
            .find_map(Result::err)
            .or_else(|| delete.value().get().and_then(Result::err))
            .map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the job…"</p> }>
            {move || job.get().map(|answer| match answer {
                Ok(job) => view! { <JobBody job update run pause delete/> }.into_any(),
                Err(error) => view! { <h1>"Job"</h1><ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn JobBody(
    job: JobView,
    update: ServerAction<UpdateJob>,
    run: ServerAction<RunJobNow>,
    pause: ServerAction<PauseJob>,
    delete: ServerAction<DeleteJob>,
) -> impl IntoView {
    let JobView {
        summary,
        form,
        upcoming,
        monitor,
        actions_allowed,
    } = job;
    let id = summary.id;
    let name = summary.name.clone();
    view! {
        <Title text=format!("{} · Jobs · caretaker", summary.name)/>
        <h1>{summary.name.clone()}</h1>
        <p><code>{summary.action.clone()}</code> " · " {summary.schedule.clone()} " " <HealthNote health=summary.health.clone()/></p>
        <p class="small">{match monitor {
            Some((monitor_id, monitor_name)) => view! {
                "Alerts: a failed or missed run takes its monitor "
                <a href=href(&format!("/monitors/{monitor_id}"))>{monitor_name}</a>
                " down and notifies every channel."
            }.into_any(),
            None => view! {
                "No monitor watches this job: a failed or missed run is only flagged here. "
                <a href=href("/monitors/new")>"Add a job heartbeat monitor"</a>
                " to be alerted."
            }.into_any(),
        }}</p>
        {actions_allowed.then(|| view! { <JobActions id paused=summary.paused name=name.clone() run pause/> })}
        <section class="card" aria-labelledby="next-title">
            <h2 id="next-title">"Next runs"</h2>
            {if upcoming.is_empty() {
                view! { <p class="empty">{if summary.paused { "Paused: no runs until it is resumed." } else { "Not on a timetable: it runs at startup, before shutdown or by hand." }}</p> }.into_any()
            } else {
                view! { <ol class="upcoming">{upcoming.into_iter().map(|at| view! { <li><Time at/></li> }).collect_view()}</ol> }.into_any()
            }}
        </section>
        <RunsSection id run/>
        {actions_allowed.then(|| view! {
            <section class="card" aria-labelledby="edit-title">
                <h2 id="edit-title">"Edit"</h2>
                <ActionForm action=update attr:class="stacked-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <JobFields form/>
                    <button type="submit">"Save"</button>
                </ActionForm>
                <details class="confirm">
                    <summary>"Delete this job…"</summary>
                    <p class="small">"The job and its run history are deleted."</p>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="danger">"Yes, delete the job"</button>
                    </ActionForm>
                </details>
            </section>
        })}
    }
}

/// The runs and their chart, read again every few seconds on their own, so a running
/// job's result shows up without touching the edit form below.
#[component]
fn RunsSection(id: i64, run: ServerAction<RunJobNow>) -> impl IntoView {
    let runs = Resource::new(move || run.version().get(), move |_| get_job_runs(id));
    keep_fresh(runs, PAGE_REFRESH);
    view! {
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Runs"</h2>
            <Transition fallback=|| view! { <p class="muted">"Reading the runs…"</p> }>
                {move || runs.get().map(|answer| match answer {
                    Ok(JobRuns { runs, chart }) => view! {
                        <figure class="chart" inner_html=chart></figure>
                        <RunTable runs/>
                    }.into_any(),
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RunTable(runs: Vec<RunRecord>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty">"No runs yet. Run now to try the job."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="runs">
            <thead><tr>
                <th scope="col">"Started"</th><th scope="col">"Trigger"</th><th scope="col">"Result"</th>
                <th scope="col">"Took"</th><th scope="col">"Code"</th><th scope="col">"Output"</th>
            </tr></thead>
            <tbody>
                {runs.into_iter().map(|run| {
                    let took = run.duration_secs().map(|secs| if secs < 1.0 {
                        format!("{:.0} ms", secs * 1000.0)
                    } else {
                        format!("{secs:.1} s")
                    });
                    let code = run.http_status.map(|status| format!("HTTP {status}"))
                        .or_else(|| run.exit_code.map(|code| format!("exit {code}")));
                    let output = (!run.output.is_empty()).then(|| view! {
                        <details><summary>"output"</summary><pre class="log">{run.output.clone()}</pre></details>
                    });
                    view! {
                        <tr data-run=run.id.to_string() data-status=run.status.as_str()>
                            <td><Time at=run.started_at/></td>
                            <td>{run.trigger.clone()}</td>
                            <td><span class=format!("badge run-{}", run.status.as_str())>{run.status.label()}</span><br/><span class="small">{run.message.clone()}</span></td>
                            <td>{took}</td>
                            <td>{code}</td>
                            <td>{output}</td>
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }
    .into_any()
}
