//! The monitors pages: the list with incidents, channels and maintenance (`/monitors`),
//! a new monitor (`/monitors/new`) and one monitor (`/monitors/:id`) with its charts.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use super::api::{
    get_monitor, get_monitor_choices, get_monitors, AddChannel, AddMaintenance, CheckMonitor,
    CreateMonitor, DeleteMonitor, PauseMonitor, RemoveChannel, RemoveMaintenance, TestChannel,
    UpdateMonitor,
};
use super::{
    percent, Channel, Incident, Maintenance, MonitorForm, MonitorKind, MonitorState,
    MonitorSummary, MonitorView, MonitorsOverview,
};
use crate::ui::form::{successes, ActionForm};
use crate::ui::format::Time;
use crate::ui::layout::{keep_fresh, ErrorNote};
use crate::ui::paths::href;

/// How often an open monitors page reads the states again.
const PAGE_REFRESH: std::time::Duration = std::time::Duration::from_secs(5);

#[component]
pub fn MonitorsPage() -> impl IntoView {
    let pause = ServerAction::<PauseMonitor>::new();
    let add_channel = ServerAction::<AddChannel>::new();
    let remove_channel = ServerAction::<RemoveChannel>::new();
    let test_channel = ServerAction::<TestChannel>::new();
    let add_maintenance = ServerAction::<AddMaintenance>::new();
    let remove_maintenance = ServerAction::<RemoveMaintenance>::new();
    let changed_channels = successes(add_channel);
    let changed_windows = successes(add_maintenance);
    let query = leptos_router::hooks::use_query_map();
    let page = move || {
        query.with(|query| {
            query
                .get("page")
                .and_then(|page| page.parse::<usize>().ok())
                .unwrap_or(1)
        })
    };
    let filter = move || query.with(|query| query.get("q").unwrap_or_default());
    let overview = Resource::new(
        move || {
            (
                page(),
                filter(),
                pause.version().get(),
                changed_channels.get(),
                remove_channel.version().get(),
                changed_windows.get(),
                remove_maintenance.version().get(),
            )
        },
        |(page, filter, ..)| get_monitors(page, filter),
    );
    keep_fresh(overview, PAGE_REFRESH);
    view! {
        <Title text="Monitors · caretaker"/>
        <h1>"Monitors"</h1>
        <p class="muted">"Checks of your services on an interval: HTTP(S), TCP ports, containers, Ollama, TLS certificates, backup freshness, job heartbeats and Swarm nodes. A monitor goes down after several failed checks in a row and up after several good ones; each change opens or closes an incident and notifies every channel."</p>
        <p><a href=href("/status")>"Public status page"</a></p>
        {move || [pause.value().get().and_then(Result::err), remove_channel.value().get().and_then(Result::err), remove_maintenance.value().get().and_then(Result::err)]
            .into_iter().flatten().next()
            .map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the monitors…"</p> }>
            {move || overview.get().map(|answer| match answer {
                Ok(overview) => view! {
                    <Overview overview pause add_channel remove_channel test_channel add_maintenance remove_maintenance/>
                }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Overview(
    overview: MonitorsOverview,
    pause: ServerAction<PauseMonitor>,
    add_channel: ServerAction<AddChannel>,
    remove_channel: ServerAction<RemoveChannel>,
    test_channel: ServerAction<TestChannel>,
    add_maintenance: ServerAction<AddMaintenance>,
    remove_maintenance: ServerAction<RemoveMaintenance>,
) -> impl IntoView {
    let MonitorsOverview {
        monitors,
        matching,
        page,
        pages,
        filter,
        counts: (up, down, waiting, paused),
        names,
        open_incidents,
        channels,
        maintenance,
        can_edit,
    } = overview;
    let total = up + down + waiting + paused;
    let link = {
        let filter = filter.clone();
        move |page: usize| {
            let mut path = format!("/monitors?page={page}");
            if !filter.is_empty() {
                path.push_str(&format!("&q={}", crate::ui::paths::encode_query(&filter)));
            }
            href(&path)
        }
    };
    let pager = (pages > 1).then(|| {
        view! {
            <nav class="pager" aria-label="Pages of monitors">
                {(page > 1).then(|| view! { <a href=link(page - 1) rel="prev">"← Previous"</a> })}
                <span>{format!(" Page {page} of {pages} ")}</span>
                {(page < pages).then(|| view! { <a href=link(page + 1) rel="next">"Next →"</a> })}
            </nav>
        }
    });
    view! {
        {(total > 0).then(|| view! {
            <p class="counts" data-counts>
                <span class="monitor-up">{format!("{up} up")}</span> " · "
                <span class="monitor-down">{format!("{down} down")}</span> " · "
                {format!("{waiting} waiting for checks · {paused} paused")}
            </p>
            <form method="get" action=href("/monitors") class="inline filter" role="search">
                <label for="monitor-filter">"Find"</label>
                <input id="monitor-filter" name="q" type="search" value=filter.clone() placeholder="name or address"/>
                <button type="submit">"Find"</button>
                {(!filter.is_empty()).then(|| view! { " " <span class="small muted">{format!("{matching} of {total} match")}</span> " " <a href=href("/monitors")>"Show all"</a> })}
            </form>
        })}
        <MonitorTable monitors can_edit pause/>
        {pager}
        <section class="card" aria-labelledby="incidents-title">
            <h2 id="incidents-title">"Open incidents"</h2>
            <IncidentList incidents=open_incidents show_monitor=true/>
        </section>
        <Channels channels can_edit add_channel remove_channel test_channel/>
        <MaintenanceWindows windows=maintenance choices=names can_edit add_maintenance remove_maintenance/>
    }
    .into_any()
}

fn state_badge(state: MonitorState, paused: bool) -> impl IntoView {
    let (class, label) = if paused {
        ("paused", "Paused")
    } else {
        (state.as_str(), state.label())
    };
    view! { <span class=format!("badge monitor-{class}")>{label}</span> }
}

#[component]
fn MonitorTable(
    monitors: Vec<MonitorSummary>,
    can_edit: bool,
    pause: ServerAction<PauseMonitor>,
) -> impl IntoView {
    let new_link = can_edit
        .then(|| view! { <p><a class="button" href=href("/monitors/new")>"New monitor"</a></p> });
    if monitors.is_empty() {
        return view! {
            <p class="empty">"No monitors yet. Add one for each thing you would want to hear about when it breaks: your site's URL, a database port, the Ollama server, a certificate, last night's backup."</p>
            {new_link}
        }
        .into_any();
    }
    view! {
        {new_link}
        <div class="table-scroll">
        <table class="monitors">
            <thead><tr>
                <th scope="col">"Monitor"</th><th scope="col">"State"</th><th scope="col">"Last check"</th>
                <th scope="col">"Response"</th><th scope="col">"Uptime 24 h"</th><th scope="col">"30 d"</th>
                {can_edit.then(|| view! { <th scope="col">"Actions"</th> })}
            </tr></thead>
            <tbody>
                {monitors.into_iter().map(|monitor| {
                    let link = href(&format!("/monitors/{}", monitor.id));
                    let label = format!("{} {}", if monitor.paused { "Resume" } else { "Pause" }, monitor.name);
                    let actions = can_edit.then(|| view! {
                        <td>
                            <ActionForm action=pause attr:class="inline">
                                <input type="hidden" name="id" value=monitor.id.to_string()/>
                                <input type="hidden" name="paused" value=(!monitor.paused).to_string()/>
                                <button type="submit" aria-label=label>{if monitor.paused { "Resume" } else { "Pause" }}</button>
                            </ActionForm>
                        </td>
                    });
                    view! {
                        <tr data-monitor=monitor.name.clone() data-state=monitor.state.as_str()>
                            <td><a href=link>{monitor.name.clone()}</a><br/>
                                <span class="small muted">{monitor.kind.label()} " · " <code>{monitor.target.clone()}</code></span></td>
                            <td>{state_badge(monitor.state, monitor.paused)}
                                {monitor.state_since.map(|at| view! { <br/><span class="small muted">"since " <Time at/></span> })}</td>
                            <td>{monitor.last_check_at.map(|at| view! { <Time at/> })}
                                <br/><span class="small muted">{monitor.last_message.clone()}</span></td>
                            <td>{monitor.last_latency_ms.map(|ms| format!("{ms} ms"))}
                                {monitor.cert_days.map(|days| view! { <br/><span class="small">{format!("certificate: {}", super::certificate_left(days))}</span> })}</td>
                            <td>{percent(monitor.uptime.day)}</td>
                            <td>{percent(monitor.uptime.month)}</td>
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
fn IncidentList(incidents: Vec<Incident>, show_monitor: bool) -> impl IntoView {
    if incidents.is_empty() {
        return view! { <p class="empty">"None: everything that is checked is up, or has not failed often enough to count as down."</p> }.into_any();
    }
    view! {
        <table class="incidents">
            <thead><tr>
                {show_monitor.then(|| view! { <th scope="col">"Monitor"</th> })}
                <th scope="col">"Down from"</th><th scope="col">"Up again"</th><th scope="col">"Cause"</th>
            </tr></thead>
            <tbody>
                {incidents.into_iter().map(|incident| view! {
                    <tr data-incident=incident.id.to_string()>
                        {show_monitor.then(|| view! { <td><a href=href(&format!("/monitors/{}", incident.monitor_id))>{incident.monitor.clone()}</a></td> })}
                        <td><Time at=incident.started_at/></td>
                        <td>{match incident.ended_at {
                            Some(at) => view! { <Time at/> }.into_any(),
                            None => view! { <span class="badge monitor-down">"still down"</span> }.into_any(),
                        }}</td>
                        <td>{incident.cause.clone()}
                            {incident.silenced.then(|| view! { <br/><span class="small muted">"In a maintenance window: nobody was notified."</span> })}</td>
                    </tr>
                }.into_any()).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Channels(
    channels: Vec<Channel>,
    can_edit: bool,
    add_channel: ServerAction<AddChannel>,
    remove_channel: ServerAction<RemoveChannel>,
    test_channel: ServerAction<TestChannel>,
) -> impl IntoView {
    let list = if channels.is_empty() {
        view! { <p class="empty">"No channels yet: changes show on this page only. Add a webhook, ntfy topic or e-mail address to hear about them."</p> }.into_any()
    } else {
        view! {
            <ul class="channels">
                {channels.into_iter().map(|channel| {
                    let test_label = format!("Send a test notice to {}", channel.name);
                    view! {
                        <li data-channel=channel.name.clone()>
                            <strong>{channel.name.clone()}</strong> " — " {channel.summary.clone()}
                            {can_edit.then(|| view! {
                                <div class="actions">
                                    <ActionForm action=test_channel attr:class="inline">
                                        <input type="hidden" name="id" value=channel.id.to_string()/>
                                        <button type="submit" aria-label=test_label>"Send test"</button>
                                    </ActionForm>
                                    <details class="confirm">
                                        <summary>"Remove…"</summary>
                                        <ActionForm action=remove_channel>
                                            <input type="hidden" name="id" value=channel.id.to_string()/>
                                            <button type="submit" class="danger">"Yes, remove this channel"</button>
                                        </ActionForm>
                                    </details>
                                </div>
                            })}
                        </li>
                    }.into_any()
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="channels-title">
            <h2 id="channels-title">"Notification channels"</h2>
            <p class="small muted">"Every channel hears of every monitor going down and coming back up, once per change, except inside a maintenance window."</p>
            {move || test_channel.value().get().map(|answer| match answer {
                Ok(message) => view! { <p class="ok-note" role="status">{message}</p> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
            {list}
            {can_edit.then(|| view! { <ChannelFormView add_channel/> })}
        </section>
    }
    .into_any()
}

#[component]
fn ChannelFormView(add_channel: ServerAction<AddChannel>) -> impl IntoView {
    view! {
        <details>
            <summary>"Add a channel"</summary>
            {move || add_channel.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
            <ActionForm action=add_channel attr:class="stacked-form">
                <label for="channel-name">"Name"</label>
                <input id="channel-name" name="form[name]" required placeholder="ops-chat"/>
                <label for="channel-kind">"Kind"</label>
                <select id="channel-kind" name="form[kind]">
                    <option value="webhook">"JSON webhook"</option>
                    <option value="slack">"Slack or Mattermost webhook"</option>
                    <option value="discord">"Discord webhook"</option>
                    <option value="ntfy">"ntfy topic"</option>
                    <option value="email">"E-mail (SMTP)"</option>
                </select>
                <label for="channel-url">"URL (webhooks), or ntfy server"</label>
                <input id="channel-url" name="form[url]" placeholder="https://hooks.slack.com/services/… or https://ntfy.sh"/>
                <fieldset>
                    <legend>"For ntfy"</legend>
                    <div class="stacked-form">
                        <label for="channel-topic">"Topic"</label>
                        <input id="channel-topic" name="form[topic]" placeholder="lab-alerts"/>
                        <label for="channel-token">"Access token (optional)"</label>
                        <input id="channel-token" name="form[token]" type="password" autocomplete="off"/>
                    </div>
                </fieldset>
                <fieldset>
                    <legend>"For e-mail"</legend>
                    <div class="stacked-form">
                        <label for="channel-host">"SMTP server"</label>
                        <input id="channel-host" name="form[smtp_host]" placeholder="smtp.example.org"/>
                        <label for="channel-port">"Port"</label>
                        <input id="channel-port" name="form[smtp_port]" inputmode="numeric" value="587"/>
                        <label for="channel-security">"Security"</label>
                        <select id="channel-security" name="form[smtp_security]">
                            <option value="starttls">"STARTTLS (port 587)"</option>
                            <option value="tls">"TLS (port 465)"</option>
                            <option value="plain">"none (a relay on this machine only)"</option>
                        </select>
                        <label for="channel-user">"User name (optional)"</label>
                        <input id="channel-user" name="form[username]" autocomplete="off"/>
                        <label for="channel-password">"Password (optional)"</label>
                        <input id="channel-password" name="form[password]" type="password" autocomplete="off"/>
                        <label for="channel-from">"From"</label>
                        <input id="channel-from" name="form[from]" placeholder="caretaker@example.org"/>
                        <label for="channel-to">"To (comma-separated)"</label>
                        <input id="channel-to" name="form[to]" placeholder="ops@example.org"/>
                    </div>
                </fieldset>
                <p class="hint small muted">"URLs, tokens and passwords are stored encrypted and never shown again."</p>
                <button type="submit">"Add channel"</button>
            </ActionForm>
        </details>
    }
}

#[component]
fn MaintenanceWindows(
    windows: Vec<Maintenance>,
    choices: Vec<(i64, String)>,
    can_edit: bool,
    add_maintenance: ServerAction<AddMaintenance>,
    remove_maintenance: ServerAction<RemoveMaintenance>,
) -> impl IntoView {
    let list = if windows.is_empty() {
        view! { <p class="empty">"No maintenance planned. Plan a window before work that takes a service down, so nobody is woken for it."</p> }.into_any()
    } else {
        view! {
            <ul class="maintenance">
                {windows.into_iter().map(|window| view! {
                    <li>
                        <Time at=window.starts_at/> " – " <Time at=window.ends_at/> ": "
                        {window.monitor.clone().unwrap_or_else(|| "all monitors".to_owned())}
                        {(!window.note.is_empty()).then(|| format!(" ({})", window.note))}
                        {can_edit.then(|| view! {
                            <ActionForm action=remove_maintenance attr:class="inline">
                                <input type="hidden" name="id" value=window.id.to_string()/>
                                <button type="submit">"Remove"</button>
                            </ActionForm>
                        })}
                    </li>
                }.into_any()).collect_view()}
            </ul>
        }
        .into_any()
    };
    let zone = crate::ui::format::browser_zone("UTC");
    view! {
        <section class="card" aria-labelledby="maintenance-title">
            <h2 id="maintenance-title">"Maintenance windows"</h2>
            {list}
            {can_edit.then(|| view! {
                <details>
                    <summary>"Plan a maintenance window"</summary>
                    {move || add_maintenance.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
                    <ActionForm action=add_maintenance attr:class="stacked-form">
                        <label for="maintenance-monitor">"Monitor"</label>
                        <select id="maintenance-monitor" name="form[monitor_id]">
                            <option value="all">"all monitors"</option>
                            {choices.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                        </select>
                        <label for="maintenance-starts">"Starts"</label>
                        <input id="maintenance-starts" name="form[starts_at]" type="datetime-local" required/>
                        <label for="maintenance-ends">"Ends"</label>
                        <input id="maintenance-ends" name="form[ends_at]" type="datetime-local" required/>
                        <label for="maintenance-zone">"Time zone of these times"</label>
                        <input id="maintenance-zone" name="form[zone]" prop:value=move || zone.get()/>
                        <label for="maintenance-note">"Note"</label>
                        <input id="maintenance-note" name="form[note]" placeholder="router swap"/>
                        <button type="submit">"Plan window"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
    .into_any()
}

#[component]
pub fn NewMonitorPage() -> impl IntoView {
    let create = ServerAction::<CreateMonitor>::new();
    view! {
        <Title text="New monitor · caretaker"/>
        <p><a href=href("/monitors")>"← Monitors"</a></p>
        <h1>"New monitor"</h1>
        {move || create.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
        <ActionForm action=create attr:class="stacked-form card">
            <MonitorFields form=MonitorForm::default()/>
            <button type="submit">"Create monitor"</button>
        </ActionForm>
    }
}

/// The fields of the monitor form, filled with `form`. Fields of the kinds not chosen are
/// ignored, so all are shown: the form works without JavaScript.
#[component]
fn MonitorFields(form: MonitorForm) -> impl IntoView {
    let choices = Resource::new(|| (), |_| get_monitor_choices());
    let MonitorForm {
        name,
        kind,
        target,
        method,
        headers,
        expected_status,
        keyword,
        keyword_mode,
        follow_redirects,
        server_name,
        warn_days,
        plan_id,
        job_id,
        within_minutes,
        interval_secs,
        timeout_secs,
        down_after,
        up_after,
        allow_link_local,
        published,
        public_name,
    } = form;
    let select = |choices: Vec<(i64, String)>, chosen: String| {
        choices
            .into_iter()
            .map(|(id, name)| {
                let selected = id.to_string() == chosen;
                view! { <option value=id.to_string() selected=selected>{name}</option> }
            })
            .collect_view()
    };
    view! {
        <label for="monitor-name">"Name"</label>
        <input id="monitor-name" name="form[name]" required value=name placeholder="website"/>
        <label for="monitor-kind">"Kind"</label>
        <select id="monitor-kind" name="form[kind]">
            {MonitorKind::ALL.into_iter().map(|option| {
                let selected = option.as_str() == kind;
                view! { <option value=option.as_str() selected=selected>{option.label()}</option> }
            }).collect_view()}
        </select>
        <label for="monitor-target">"Target"</label>
        <input id="monitor-target" name="form[target]" value=target spellcheck="false" aria-describedby="monitor-target-help"
            placeholder="https://example.org/health"/>
        <p id="monitor-target-help" class="hint small muted">
            "HTTP(S): a URL. TCP: " <code>"host:port"</code> ". Container: its name, or " <code>"host/name"</code>
            ". Ollama: its base URL, like " <code>"http://127.0.0.1:11434"</code> ". TLS certificate: " <code>"host:port"</code> " (443 when left out). Swarm nodes: none (the Swarm this engine manages)."
        </p>
        <fieldset>
            <legend>"For HTTP(S)"</legend>
            <div class="stacked-form">
                <label for="monitor-method">"Method"</label>
                <input id="monitor-method" name="form[method]" value=method/>
                <label for="monitor-headers">"Headers"</label>
                <textarea id="monitor-headers" name="form[headers]" rows="2" placeholder="Authorization: Bearer …">{headers}</textarea>
                <label for="monitor-status">"Expected status"</label>
                <input id="monitor-status" name="form[expected_status]" value=expected_status placeholder="200-299"/>
                <label for="monitor-keyword">"Keyword"</label>
                <input id="monitor-keyword" name="form[keyword]" value=keyword placeholder="optional"/>
                <label for="monitor-keyword-mode">"The keyword must be"</label>
                <select id="monitor-keyword-mode" name="form[keyword_mode]">
                    <option value="present" selected=keyword_mode != "absent">"present"</option>
                    <option value="absent" selected=keyword_mode == "absent">"absent"</option>
                </select>
                <label class="check"><input type="checkbox" name="form[follow_redirects]" checked=follow_redirects.is_some()/>" Follow redirects"</label>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For a TLS certificate"</legend>
            <div class="stacked-form">
                <label for="monitor-sni">"Server name (SNI)"</label>
                <input id="monitor-sni" name="form[server_name]" value=server_name placeholder="the host"/>
                <label for="monitor-warn">"Down when it expires within (days)"</label>
                <input id="monitor-warn" name="form[warn_days]" value=warn_days inputmode="numeric"/>
            </div>
        </fieldset>
        <fieldset>
            <legend>"For backup freshness and job heartbeats"</legend>
            <div class="stacked-form">
                <label for="monitor-plan">"Backup plan"</label>
                <select id="monitor-plan" name="form[plan_id]">
                    <option value="">"—"</option>
                    <Transition fallback=|| ()>
                        {let plan_id = plan_id.clone(); move || choices.get().and_then(Result::ok).map(|(plans, _)| select(plans, plan_id.clone()))}
                    </Transition>
                </select>
                <label for="monitor-job">"Job"</label>
                <select id="monitor-job" name="form[job_id]">
                    <option value="">"—"</option>
                    <Transition fallback=|| ()>
                        {let job_id = job_id.clone(); move || choices.get().and_then(Result::ok).map(|(_, jobs)| select(jobs, job_id.clone()))}
                    </Transition>
                </select>
                <label for="monitor-within">"The job succeeds at least every (minutes; 0 = as its schedule says)"</label>
                <input id="monitor-within" name="form[within_minutes]" value=within_minutes inputmode="numeric"/>
            </div>
        </fieldset>
        <label for="monitor-interval">"Check every (seconds)"</label>
        <input id="monitor-interval" name="form[interval_secs]" value=interval_secs inputmode="numeric"/>
        <label for="monitor-timeout">"Time limit per check (seconds)"</label>
        <input id="monitor-timeout" name="form[timeout_secs]" value=timeout_secs inputmode="numeric"/>
        <label for="monitor-down">"Down after this many failed checks in a row"</label>
        <input id="monitor-down" name="form[down_after]" value=down_after inputmode="numeric"/>
        <label for="monitor-up">"Up again after this many good checks in a row"</label>
        <input id="monitor-up" name="form[up_after]" value=up_after inputmode="numeric"/>
        <label class="check"><input type="checkbox" name="form[allow_link_local]" checked=allow_link_local.is_some()/>" Allow link-local addresses (169.254.x.x); cloud metadata addresses stay refused"</label>
        <fieldset>
            <legend>"Public status page"</legend>
            <div class="stacked-form">
                <label class="check"><input type="checkbox" name="form[published]" checked=published.is_some()/>" Show on the public status page"</label>
                <label for="monitor-public-name">"Public name"</label>
                <input id="monitor-public-name" name="form[public_name]" value=public_name placeholder="Website"/>
                <p class="hint small muted">"The status page shows this name, the state, uptime, certificate days and backup time: never the target or error messages."</p>
            </div>
        </fieldset>
    }
}

#[component]
pub fn MonitorPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").and_then(|id| id.parse::<i64>().ok()));
    let update = ServerAction::<UpdateMonitor>::new();
    let check = ServerAction::<CheckMonitor>::new();
    let pause = ServerAction::<PauseMonitor>::new();
    let delete = ServerAction::<DeleteMonitor>::new();
    let saved = successes(update);
    let monitor = Resource::new(
        move || {
            (
                id(),
                saved.get(),
                check.version().get(),
                pause.version().get(),
            )
        },
        |(id, ..)| async move {
            match id {
                Some(id) => get_monitor(id).await,
                None => Err(crate::core::error::AppError::not_found(
                    "There is no such monitor.",
                )),
            }
        },
    );
    keep_fresh(monitor, PAGE_REFRESH);
    view! {
        <Title text="Monitor · caretaker"/>
        <p><a href=href("/monitors")>"← Monitors"</a></p>
        {move || [update.value().get().and_then(Result::err), pause.value().get().and_then(Result::err), delete.value().get().and_then(Result::err)]
            .into_iter().flatten().next()
            .map(|error| view! { <ErrorNote message=error.to_string()/> })}
        {move || check.value().get().map(|answer| match answer {
            Ok(message) => view! { <p class="ok-note" role="status" data-check-result>{message}</p> }.into_any(),
            Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
        })}
        <Transition fallback=|| view! { <p class="muted">"Reading the monitor…"</p> }>
            {move || monitor.get().map(|answer| match answer {
                Ok(view) => view! { <MonitorBody view update check pause delete/> }.into_any(),
                Err(error) => view! { <h1>"Monitor"</h1><ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn MonitorBody(
    view: MonitorView,
    update: ServerAction<UpdateMonitor>,
    check: ServerAction<CheckMonitor>,
    pause: ServerAction<PauseMonitor>,
    delete: ServerAction<DeleteMonitor>,
) -> impl IntoView {
    let MonitorView {
        summary,
        form,
        incidents,
        response_chart,
        uptime_chart,
        can_edit,
    } = view;
    let id = summary.id;
    let uptime = summary.uptime;
    view! {
        <Title text=format!("{} · Monitors · caretaker", summary.name)/>
        <h1>{summary.name.clone()}</h1>
        <p>
            <span data-state=summary.state.as_str()>{state_badge(summary.state, summary.paused)}</span>
            " " {summary.kind.label()} " · " <code>{summary.target.clone()}</code> " · every " {summary.interval_secs} " s"
        </p>
        <p class="small">
            {summary.last_check_at.map(|at| view! { "Last check " <Time at/> ": " })}
            <span data-last-message>{summary.last_message.clone()}</span>
        </p>
        {can_edit.then(|| view! {
            <div class="actions">
                <ActionForm action=check attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <button type="submit">"Check now"</button>
                </ActionForm>
                <ActionForm action=pause attr:class="inline">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <input type="hidden" name="paused" value=(!summary.paused).to_string()/>
                    <button type="submit">{if summary.paused { "Resume" } else { "Pause" }}</button>
                </ActionForm>
            </div>
        })}
        <section class="card" aria-labelledby="uptime-title">
            <h2 id="uptime-title">"Uptime"</h2>
            <dl class="facts">
                <div><dt>"24 hours"</dt><dd>{percent(uptime.day)}</dd></div>
                <div><dt>"7 days"</dt><dd>{percent(uptime.week)}</dd></div>
                <div><dt>"30 days"</dt><dd>{percent(uptime.month)}</dd></div>
                <div><dt>"90 days"</dt><dd>{percent(uptime.quarter)}</dd></div>
                {summary.cert_days.map(|days| view! { <div><dt>"Certificate"</dt><dd>{super::certificate_left(days)}</dd></div> })}
            </dl>
            <figure class="chart">
                <figcaption>"Response time, last 24 hours"</figcaption>
                <div inner_html=response_chart></div>
            </figure>
            <figure class="chart">
                <figcaption>"Uptime per day, last 90 days"</figcaption>
                <div inner_html=uptime_chart></div>
            </figure>
        </section>
        <section class="card" aria-labelledby="history-title">
            <h2 id="history-title">"Incidents"</h2>
            <IncidentList incidents show_monitor=false/>
        </section>
        {can_edit.then(|| view! {
            <section class="card" aria-labelledby="edit-title">
                <h2 id="edit-title">"Edit"</h2>
                <ActionForm action=update attr:class="stacked-form">
                    <input type="hidden" name="id" value=id.to_string()/>
                    <MonitorFields form/>
                    <button type="submit">"Save"</button>
                </ActionForm>
                <details class="confirm">
                    <summary>"Delete this monitor…"</summary>
                    <p class="small">"The monitor, its results and its incidents are deleted."</p>
                    <ActionForm action=delete>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <button type="submit" class="danger">"Yes, delete the monitor"</button>
                    </ActionForm>
                </details>
            </section>
        })}
    }
    .into_any()
}
