//! The plan pages: `/backups/plans/new` and `/backups/plans/:id` (at a glance, run now,
//! schedules, history, edit, snapshot browser and restore).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{
    browse_snapshot, get_plan, list_snapshots, CreatePlan, DeletePlan, RestoreSnapshot, RunPlan,
    UpdatePlan,
};
use super::{BackupRun, BackupStatus, PlanForm, PlanSummary, PlanView};
use crate::tasks::pages::{CancelButton, TaskProgress};
use crate::ui::form::{successes, ActionForm};
use crate::ui::format::{bytes, Time};
use crate::ui::layout::ErrorNote;
use crate::ui::paths::{encode_query, href};

/// The copies of a plan at a glance: one line per repository.
#[component]
pub fn CopiesCell(summary: PlanSummary) -> impl IntoView {
    view! {
        <ul class="copies plain">
            {summary.copies.into_iter().map(|copy| {
                let state = if copy.stale { "stale" } else { "fresh" };
                view! {
                    <li data-copy=copy.repository.clone() data-copy-state=state>
                        <strong>{copy.repository.clone()}</strong>
                        {if copy.offsite { " (off-site)" } else { "" }} ": "
                        {match copy.last_good {
                            Some(at) => view! { "last good " <Time at/> }.into_any(),
                            None => view! { <span>"no good backup yet"</span> }.into_any(),
                        }}
                        {copy.stale.then(|| view! { " " <span class="badge failing">"stale"</span> })}
                        {copy.last_run.filter(|run| run.status != BackupStatus::Succeeded && run.status != BackupStatus::Running).map(|run| view! {
                            " " <RunBadge run/>
                        })}
                    </li>
                }.into_any()
            }).collect_view()}
        </ul>
    }
}

#[component]
pub fn RunBadge(run: BackupRun) -> impl IntoView {
    let class = match run.status {
        BackupStatus::Succeeded => "ok",
        BackupStatus::Running => "running",
        BackupStatus::Partial | BackupStatus::Interrupted => "missed",
        BackupStatus::Failed => "failing",
    };
    view! { <span class=format!("badge {class}") title=run.message.clone()>{run.status.as_str()}</span> }
}

#[component]
pub fn NewPlanPage() -> impl IntoView {
    let create = ServerAction::<CreatePlan>::new();
    let overview = Resource::new(|| (), |_| super::api::get_backups_overview());
    view! {
        <Title text="New backup plan · caretaker"/>
        <p><a href=href("/backups")>"← Backups"</a></p>
        <h1>"New backup plan"</h1>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the repositories…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) if overview.repositories.is_empty() => view! {
                    <p class="empty">"A plan backs up into repositories, and there is none yet. " <a href=href("/backups")>"Add a repository"</a> " first."</p>
                }.into_any(),
                Ok(overview) => {
                    let choices = overview.repositories.iter().map(|repository| (repository.id, repository.name.clone(), repository.offsite)).collect();
                    view! {
                        <ActionForm action=create attr:class="stacked-form card">
                            <PlanFields form=PlanForm { data_class: "application".to_owned(), check_subset: "5%".to_owned(), keep_daily: "7".to_owned(), keep_weekly: "4".to_owned(), keep_monthly: "6".to_owned(), ..PlanForm::default() } choices/>
                            <button type="submit">"Create plan"</button>
                        </ActionForm>
                    }.into_any()
                }
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

/// The plan form's fields, filled with `form`.
#[component]
fn PlanFields(form: PlanForm, choices: Vec<(i64, String, bool)>) -> impl IntoView {
    let PlanForm {
        name,
        data_class,
        sources,
        excludes,
        tags,
        repositories,
        stop_containers,
        keep_last,
        keep_daily,
        keep_weekly,
        keep_monthly,
        check_subset,
    } = form;
    let class_option = |value: &'static str, label: &'static str| {
        view! { <option value=value selected=data_class == value>{label}</option> }
    };
    view! {
        <label for="plan-name">"Name"</label>
        <input id="plan-name" name="form[name]" required value=name placeholder="app-data" pattern="[a-z0-9][a-z0-9-]{0,39}"
            title="1 to 40 lowercase letters, digits and dashes"/>
        <label for="plan-class">"Data class"</label>
        <select id="plan-class" name="form[data_class]">
            {class_option("system", "system: the machine's own configuration")}
            {class_option("application", "application: services and their databases")}
            {class_option("user", "user: people's files")}
        </select>
        <label for="plan-sources">"Sources"</label>
        <textarea id="plan-sources" name="form[sources]" rows="4" required spellcheck="false" aria-describedby="plan-sources-help"
            placeholder="/srv/app\nvolume:pgdata\ncaretaker-db\npostgres:db:app user=postgres">{sources}</textarea>
        <p id="plan-sources-help" class="hint small muted">"One per line: a path on this machine (" <code>"/srv/app"</code> "), a Docker volume (" <code>"volume:NAME"</code> "), caretaker's own database (" <code>"caretaker-db"</code> "), or a database dumped inside its container: " <code>"postgres:CONTAINER:DATABASE user=USER"</code> ", " <code>"mysql:CONTAINER:DATABASE user=USER"</code> ", " <code>"sqlite:CONTAINER:/path/app.db"</code> ". Each source is its own snapshot."</p>
        <label for="plan-excludes">"Excludes"</label>
        <textarea id="plan-excludes" name="form[excludes]" rows="2" spellcheck="false" placeholder="*.tmp\n/srv/app/cache">{excludes}</textarea>
        <label for="plan-tags">"Tags"</label>
        <input id="plan-tags" name="form[tags]" value=tags placeholder="nightly, lab"/>
        <fieldset>
            <legend>"Repositories (one plan, several copies)"</legend>
            {choices.into_iter().enumerate().map(|(index, (id, name, offsite))| {
                let checked = repositories.contains(&id.to_string());
                let field = format!("plan-repo-{id}");
                view! {
                    <label class="check" for=field.clone()>
                        <input id=field.clone() type="checkbox" name=format!("form[repositories][{index}]") value=id.to_string() checked=checked/>
                        " " {name} {if offsite { " (off-site)" } else { " (on-site)" }}
                    </label>
                }
            }).collect_view()}
        </fieldset>
        <label for="plan-stop">"Stop during the backup"</label>
        <textarea id="plan-stop" name="form[stop_containers]" rows="2" spellcheck="false" placeholder="web" aria-describedby="plan-stop-help">{stop_containers}</textarea>
        <p id="plan-stop-help" class="hint small muted">"Containers, one per line (" <code>"NAME"</code> " or " <code>"HOST/NAME"</code> "): stopped before the backup and started after it, also when it fails."</p>
        <fieldset>
            <legend>"Keep (restic forget --prune, per source)"</legend>
            <div class="keep-grid">
                <label for="keep-last">"last"</label><input id="keep-last" name="form[keep_last]" value=keep_last inputmode="numeric" size="4"/>
                <label for="keep-daily">"daily"</label><input id="keep-daily" name="form[keep_daily]" value=keep_daily inputmode="numeric" size="4"/>
                <label for="keep-weekly">"weekly"</label><input id="keep-weekly" name="form[keep_weekly]" value=keep_weekly inputmode="numeric" size="4"/>
                <label for="keep-monthly">"monthly"</label><input id="keep-monthly" name="form[keep_monthly]" value=keep_monthly inputmode="numeric" size="4"/>
            </div>
            <p class="hint small muted">"Empty everywhere keeps every snapshot."</p>
        </fieldset>
        <label for="plan-check">"Check reads"</label>
        <input id="plan-check" name="form[check_subset]" value=check_subset placeholder="5%" aria-describedby="plan-check-help"/>
        <p id="plan-check-help" class="hint small muted">"How much data restic check reads back each time: " <code>"5%"</code> ", " <code>"1/10"</code> " or " <code>"500M"</code> "."</p>
    }.into_any()
}

#[component]
pub fn PlanPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|params| {
            params
                .get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let run = ServerAction::<RunPlan>::new();
    let update = ServerAction::<UpdatePlan>::new();
    let delete = ServerAction::<DeletePlan>::new();
    let restore = ServerAction::<RestoreSnapshot>::new();
    let (ran, updated, restored) = (successes(run), successes(update), successes(restore));
    let plan = Resource::new(
        move || (id(), ran.get(), updated.get(), restored.get()),
        |(id, ..)| get_plan(id),
    );
    // The page follows its running tasks live and reads the plan again when one ends,
    // so what an admin is typing in the forms below is never replaced by a refresh.
    let refetch = Callback::new(move |_| plan.refetch());
    view! {
        <Title text="Backup plan · caretaker"/>
        <p><a href=href("/backups")>"← Backups"</a></p>
        {move || {
            let error = run.value().get().and_then(Result::err)
                .or_else(|| update.value().get().and_then(Result::err))
                .or_else(|| delete.value().get().and_then(Result::err))
                .or_else(|| restore.value().get().and_then(Result::err));
            error.map(|error| view! { <ErrorNote message=error.to_string()/> })
        }}
        <Transition fallback=|| view! { <p class="muted">"Reading the plan…"</p> }>
            {move || plan.get().map(|answer| match answer {
                Ok(view) => view! { <PlanBody view run update delete restore refetch/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn PlanBody(
    view: PlanView,
    run: ServerAction<RunPlan>,
    update: ServerAction<UpdatePlan>,
    delete: ServerAction<DeletePlan>,
    restore: ServerAction<RestoreSnapshot>,
    refetch: Callback<crate::tasks::TaskSnapshot>,
) -> impl IntoView {
    let PlanView {
        summary,
        form,
        runs,
        repositories,
        choices,
        tasks,
        schedules,
        actions_allowed,
    } = view;
    let id = summary.id;
    let name = summary.spec.name.clone();
    let sources: Vec<String> = summary
        .spec
        .sources
        .iter()
        .map(super::Source::label)
        .collect();
    let three_two_one = summary.three_two_one;
    let drill = summary.last_drill.clone();
    let drill_state = drill.as_ref().map_or("none", |run| run.status.as_str());
    let run_buttons = actions_allowed.then(|| {
        view! {
            <div class="actions">
                {super::Work::ALL.into_iter().map(|work| {
                    let label = match work {
                        super::Work::Backup => "Back up now",
                        super::Work::Check => "Check repositories",
                        super::Work::Drill => "Run a restore drill",
                    };
                    view! {
                        <ActionForm action=run attr:class="inline">
                            <input type="hidden" name="id" value=id.to_string()/>
                            <input type="hidden" name="work" value=work.as_str()/>
                            <button type="submit" disabled=summary.running>{label}</button>
                        </ActionForm>
                    }
                }).collect_view()}
            </div>
        }
    });
    let schedule_links = actions_allowed.then(|| {
        super::Work::ALL.into_iter().map(|work| {
            let link = format!(
                "/jobs/new?kind=backup&plan={id}&work={}&name={}",
                work.as_str(),
                encode_query(&format!("{} {name}", work.as_str()))
            );
            view! { <a class="button secondary" href=href(&link)>{format!("Schedule {}", work.verb())}</a> " " }
        }).collect_view()
    });
    view! {
        <h1>{format!("Backup plan {name}")}</h1>
        <section class="card" aria-labelledby="glance-title">
            <h2 id="glance-title">"At a glance"</h2>
            <p class="small muted">{format!("{} data · {}", summary.spec.data_class.as_str(), sources.join(" · "))}</p>
            <CopiesCell summary=summary.clone()/>
            <p data-three-two-one=three_two_one.to_string()>
                {if three_two_one {
                    view! { <span class="badge ok">"3-2-1 met"</span> " the data and two good copies, one off-site." }.into_any()
                } else {
                    view! { <span class="badge missed">"3-2-1 not met"</span> " it needs two repositories with a good backup, one of them off-site." }.into_any()
                }}
            </p>
            <p data-drill=drill_state>
                "Last restore drill: "
                {match drill {
                    Some(run) => view! { <RunBadge run=run.clone()/> " " <Time at=run.started_at/> " · " {run.message.clone()} }.into_any(),
                    None => view! { <span class="muted">"none yet: a drill restores the latest snapshots and checks them."</span> }.into_any(),
                }}
            </p>
            {run_buttons}
        </section>
        {(!tasks.is_empty()).then(|| view! {
            <section class="card" aria-labelledby="tasks-title">
                <h2 id="tasks-title">"Work in progress and just done"</h2>
                {tasks.into_iter().map(|task| {
                    let cancel = (actions_allowed && !task.status.is_finished()).then(|| view! { <CancelButton id=task.id.clone()/> });
                    let (kind, created_at) = (task.kind.clone(), task.created_at);
                    view! {
                        <div class="task-card" data-task-kind=kind.clone()>
                            <p class="small">"Started " <Time at=created_at/></p>
                            <TaskProgress task on_finished=refetch/>
                            {cancel}
                        </div>
                    }.into_any()
                }).collect_view()}
            </section>
        })}
        <section class="card" aria-labelledby="schedules-title">
            <h2 id="schedules-title">"Schedules"</h2>
            {if schedules.is_empty() {
                view! { <p class="empty">"Not scheduled: this plan runs only when started by hand. Schedule backups, checks and drills as jobs:"</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {schedules.into_iter().map(|(job, what, when)| view! {
                            <li><a href=href(&format!("/jobs/{job}"))>{what}</a> " · " {when}</li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <p>{schedule_links}</p>
        </section>
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"History"</h2>
            <RunHistory runs/>
        </section>
        {actions_allowed.then(|| view! {
            <RestoreSection plan=id repositories restore/>
            <section class="card" aria-labelledby="edit-title">
                <h2 id="edit-title">"Edit"</h2>
                <ActionForm action=update attr:class="stacked-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <PlanFields form choices/>
                    <button type="submit">"Save plan"</button>
                </ActionForm>
                <details class="confirm">
                    <summary>"Delete this plan…"</summary>
                    <p class="small">"The plan, its history and its schedules are deleted. Its snapshots stay in the repositories."</p>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="danger">"Yes, delete the plan"</button>
                    </ActionForm>
                </details>
            </section>
        })}
    }.into_any()
}

#[component]
fn RunHistory(runs: Vec<BackupRun>) -> impl IntoView {
    if runs.is_empty() {
        return view! { <p class="empty">"No runs yet. Back up now to make the first snapshot."</p> }.into_any();
    }
    view! {
        <div class="table-scroll">
        <table class="backup-runs">
            <thead><tr>
                <th scope="col">"Started"</th><th scope="col">"Work"</th><th scope="col">"Repository"</th>
                <th scope="col">"Result"</th><th scope="col">"Took"</th><th scope="col">"Files new / changed"</th>
                <th scope="col">"Added"</th><th scope="col">"Snapshot"</th><th scope="col">"Exit"</th><th scope="col">"By"</th>
            </tr></thead>
            <tbody>
                {runs.into_iter().map(|run| {
                    let took = run.duration_secs().map(|secs| format!("{secs:.1} s")).unwrap_or_default();
                    let files = match (run.files_new, run.files_changed) {
                        (Some(new), Some(changed)) => format!("{new} / {changed}"),
                        _ => String::new(),
                    };
                    let added = run.bytes_added.map(|added| bytes(added.max(0) as u64)).unwrap_or_default();
                    let snapshots = run.snapshot_ids.iter().map(|id| id.chars().take(8).collect::<String>()).collect::<Vec<_>>().join(" ");
                    view! {
                        <tr data-run-status=run.status.as_str() data-work=run.work.as_str()>
                            <td><Time at=run.started_at/></td>
                            <td>{run.work.verb()}</td>
                            <td>{run.repository.clone()}</td>
                            <td><RunBadge run=run.clone()/><br/><span class="small">{run.message.clone()}</span></td>
                            <td>{took}</td>
                            <td>{files}</td>
                            <td>{added}</td>
                            <td><code class="small">{snapshots}</code></td>
                            <td>{run.exit_code.map(|code| code.to_string()).unwrap_or_default()}</td>
                            <td class="small">{format!("{} ({})", run.actor, run.trigger)}</td>
                        </tr>
                    }.into_any()
                }).collect_view()}
            </tbody>
        </table>
        </div>
    }.into_any()
}

/// Browse a repository's snapshots of the plan and restore from one. Works without
/// JavaScript: the choices are links that set the query (`repo`, `snapshot`, `dir`).
#[component]
fn RestoreSection(
    plan: i64,
    repositories: Vec<(i64, String)>,
    restore: ServerAction<RestoreSnapshot>,
) -> impl IntoView {
    let query = leptos_router::hooks::use_query_map();
    let first = repositories.first().map(|(id, _)| *id).unwrap_or(0);
    let repository = Memo::new(move |_| {
        query.with(|query| {
            query
                .get("repo")
                .and_then(|id| id.parse().ok())
                .unwrap_or(first)
        })
    });
    let snapshot =
        Memo::new(move |_| query.with(|query| query.get("snapshot").unwrap_or_default()));
    let dir =
        Memo::new(move |_| query.with(|query| query.get("dir").unwrap_or_else(|| "/".to_owned())));
    let snapshots = Resource::new(
        move || repository.get(),
        move |repository| list_snapshots(plan, repository),
    );
    let tree = Resource::new(
        move || (repository.get(), snapshot.get(), dir.get()),
        move |(repository, snapshot, dir)| async move {
            if snapshot.is_empty() {
                Ok(Vec::new())
            } else {
                browse_snapshot(plan, repository, snapshot, dir).await
            }
        },
    );
    let link = move |repository: i64, snapshot: &str, dir: &str| {
        href(&format!(
            "/backups/plans/{plan}?repo={repository}&snapshot={}&dir={}#restore-title",
            encode_query(snapshot),
            encode_query(dir)
        ))
    };
    view! {
        <section class="card" aria-labelledby="restore-title">
            <h2 id="restore-title">"Snapshots and restore"</h2>
            <p class="small">"Repository: "
                {repositories.into_iter().map(|(id, name)| view! {
                    <a href=link(id, "", "/") aria-current=move || (repository.get() == id).then_some("true")>{name}</a> " "
                }).collect_view()}
            </p>
            <Transition fallback=|| view! { <p class="muted">"Asking restic for the snapshots…"</p> }>
                {move || snapshots.get().map(|answer| match answer {
                    Ok(list) if list.is_empty() => view! { <p class="empty">"No snapshot of this plan in this repository yet. Back up now to make one."</p> }.into_any(),
                    Ok(list) => view! {
                        <div class="table-scroll">
                        <table class="snapshots">
                            <thead><tr><th scope="col">"Snapshot"</th><th scope="col">"Taken"</th><th scope="col">"Holds"</th></tr></thead>
                            <tbody>
                                {list.into_iter().map(|row| {
                                    let chosen = snapshot.get_untracked() == row.id;
                                    view! {
                                        <tr data-snapshot=row.short_id.clone() aria-selected=chosen.to_string()>
                                            <td><a href=link(repository.get_untracked(), &row.id, row.paths.first().map_or("/", String::as_str))><code>{row.short_id.clone()}</code></a></td>
                                            <td><Time at=row.time/></td>
                                            <td class="small">{row.paths.join(", ")}</td>
                                        </tr>
                                    }.into_any()
                                }).collect_view()}
                            </tbody>
                        </table>
                        </div>
                    }.into_any(),
                    Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                })}
            </Transition>
            {move || (!snapshot.get().is_empty()).then(|| view! {
                <h3>{format!("In {} at {}", snapshot.get().chars().take(8).collect::<String>(), dir.get())}</h3>
                <Transition fallback=|| view! { <p class="muted">"Listing…"</p> }>
                    {move || tree.get().map(|answer| match answer {
                        Ok(entries) => view! {
                            <ul class="tree plain">
                                {(dir.get() != "/").then(|| {
                                    let up = dir.get().rsplit_once('/').map(|(parent, _)| if parent.is_empty() { "/".to_owned() } else { parent.to_owned() }).unwrap_or_else(|| "/".to_owned());
                                    view! { <li><a href=link(repository.get_untracked(), &snapshot.get_untracked(), &up)>".. (up)"</a></li> }
                                })}
                                {entries.into_iter().map(|entry| {
                                    let label = match entry.kind.as_str() {
                                        "dir" => view! { <a href=link(repository.get_untracked(), &snapshot.get_untracked(), &entry.path)>{format!("{}/", entry.name)}</a> }.into_any(),
                                        _ => view! { <span>{entry.name.clone()}</span> }.into_any(),
                                    };
                                    view! {
                                        <li data-entry=entry.path.clone()>
                                            {label} " "
                                            <span class="small muted">{entry.size.map(bytes).unwrap_or_else(|| entry.kind.clone())}</span>
                                            " " <code class="small muted">{entry.path.clone()}</code>
                                        </li>
                                    }.into_any()
                                }).collect_view()}
                            </ul>
                        }.into_any(),
                        Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
                    })}
                </Transition>
                <ActionForm action=restore attr:class="stacked-form">
                    <input type="hidden" name="form[plan]" value=plan.to_string()/>
                    <input type="hidden" name="form[repository]" value=repository.get_untracked().to_string()/>
                    <input type="hidden" name="form[snapshot]" value=snapshot.get_untracked()/>
                    <label for="restore-paths">"Paths"</label>
                    <textarea id="restore-paths" name="form[paths]" rows="2" spellcheck="false" placeholder="empty: everything; or paths as listed above, one per line"></textarea>
                    <label for="restore-kind">"Restore into"</label>
                    <select id="restore-kind" name="form[target_kind]">
                        <option value="directory" selected=true>"a new or empty directory"</option>
                        <option value="volume">"a Docker volume (its containers are stopped during it)"</option>
                    </select>
                    <label for="restore-directory">"Directory"</label>
                    <input id="restore-directory" name="form[directory]" placeholder="/srv/restore/app" spellcheck="false"/>
                    <label for="restore-volume">"Volume"</label>
                    <input id="restore-volume" name="form[volume]" placeholder="pgdata" spellcheck="false"/>
                    <label class="check" for="restore-confirm"><input id="restore-confirm" type="checkbox" name="form[confirm]"/>" I mean it: files at the target are replaced"</label>
                    <span></span>
                    <button type="submit">"Restore"</button>
                </ActionForm>
            })}
        </section>
    }.into_any()
}
