//! The analytics page (`/analytics`): a period picked with a GET form (so it works
//! without JavaScript and can be bookmarked), totals, charts, top routes, the day export
//! and the log sources.

use leptos::prelude::*;
use leptos_meta::Title;

use super::api::{get_analytics, AddLogSource, ReadLogSource, RemoveLogSource};
use super::{AnalyticsQuery, AnalyticsView, RouteRow, SourceSummary, Totals, FORMATS};
use crate::ui::form::{successes, ActionForm};
use crate::ui::format::Time;
use crate::ui::layout::ErrorNote;
use crate::ui::paths::{encode_query, href};

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let add = ServerAction::<AddLogSource>::new();
    let remove = ServerAction::<RemoveLogSource>::new();
    let read = ServerAction::<ReadLogSource>::new();
    let added = successes(add);
    let query = leptos_router::hooks::use_query_map();
    // Days are the viewer's days: the browser's zone unless the URL names one (without
    // JavaScript, UTC).
    let zone = crate::ui::format::browser_zone("");
    let wanted = move || {
        query.with(|query| AnalyticsQuery {
            from: query.get("from").unwrap_or_default(),
            to: query.get("to").unwrap_or_default(),
            source: query.get("source").unwrap_or_default(),
            route: query.get("route").unwrap_or_default(),
            compare: query.get("compare"),
            zone: query
                .get("zone")
                .filter(|zone| !zone.is_empty())
                .unwrap_or_else(|| zone.get()),
        })
    };
    let analytics = Resource::new(
        move || {
            (
                wanted(),
                added.get(),
                remove.version().get(),
                read.version().get(),
            )
        },
        |(query, ..)| get_analytics(query),
    );
    view! {
        <Title text="Analytics · caretaker"/>
        <h1>"Analytics"</h1>
        <p class="muted">"Requests from your web servers' access logs, per route and per day: which parts of your apps are used, how fast they answer and how often they fail. Lines are counted, never stored; visitors' addresses are only kept as salted hashes inside a counting sketch."</p>
        {move || [remove.value().get().and_then(Result::err), read.value().get().and_then(Result::err)]
            .into_iter().flatten().next()
            .map(|error| view! { <ErrorNote message=error.to_string()/> })}
        {move || read.value().get().and_then(Result::ok).map(|message| view! { <p class="ok-note" role="status">{message}</p> })}
        <Transition fallback=|| view! { <p class="muted">"Reading the counts…"</p> }>
            {move || analytics.get().map(|answer| match answer {
                Ok(view) => view! { <Analytics view add remove read/> }.into_any(),
                Err(error) => view! { <ErrorNote message=error.to_string()/> }.into_any(),
            })}
        </Transition>
    }
}

#[component]
fn Analytics(
    view: AnalyticsView,
    add: ServerAction<AddLogSource>,
    remove: ServerAction<RemoveLogSource>,
    read: ServerAction<ReadLogSource>,
) -> impl IntoView {
    let AnalyticsView {
        sources,
        from,
        to,
        zone,
        today,
        previous,
        route,
        source,
        compare,
        problem,
        totals,
        previous_totals,
        routes,
        requests_chart,
        response_chart,
        deployments,
        services,
        can_edit,
    } = view;
    let has_sources = !sources.is_empty();
    let source_options = sources
        .iter()
        .map(|summary| (summary.source.id.to_string(), summary.source.name.clone()))
        .collect::<Vec<_>>();
    let period_text = match &previous {
        Some((previous_from, previous_to)) => {
            format!("{from} to {to} ({zone}), compared with {previous_from} to {previous_to}")
        }
        None => format!("{from} to {to} ({zone})"),
    };
    let route_link = {
        let (from, to, source, zone) = (from.clone(), to.clone(), source.clone(), zone.clone());
        move |route: &str| {
            href(&format!(
                "/analytics?from={from}&to={to}&source={}&route={}&zone={}{}",
                encode_query(&source),
                encode_query(route),
                encode_query(&zone),
                if compare { "&compare=on" } else { "" }
            ))
        }
    };
    let quick = {
        let (today, zone) = (today.clone(), zone.clone());
        move |days: u64| {
            let to = chrono::NaiveDate::parse_from_str(&today, "%Y-%m-%d").unwrap_or_default();
            let from = to - chrono::Days::new(days - 1);
            href(&format!(
                "/analytics?from={from}&to={to}&zone={}",
                encode_query(&zone)
            ))
        }
    };
    view! {
        {problem.map(|problem| view! { <ErrorNote message=problem/> })}
        {(!has_sources).then(|| view! {
            <p class="empty">"No log sources yet. Add one below with the path of a web server's access log (caretaker follows it and its rotated files), or import files from a terminal: "<code>"caretaker logs import --format combined /var/log/nginx/access.log"</code></p>
        })}
        <form method="get" action=href("/analytics") class="inline-form period" role="search" aria-label="Period">
            <div class="field">
                <label for="analytics-from">"From"</label>
                <input id="analytics-from" name="from" type="date" value=from.clone() required/>
            </div>
            <div class="field">
                <label for="analytics-to">"To"</label>
                <input id="analytics-to" name="to" type="date" value=to.clone() required/>
            </div>
            <div class="field">
                <label for="analytics-source">"Source"</label>
                <select id="analytics-source" name="source">
                    <option value="" selected=source.is_empty()>"All sources"</option>
                    {source_options.into_iter().map(|(id, name)| {
                        let selected = id == source;
                        view! { <option value=id selected=selected>{name}</option> }
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label for="analytics-route">"Route"</label>
                <input id="analytics-route" name="route" value=route.clone() placeholder="all routes, or like /sample/:id"/>
            </div>
            <div class="field check">
                <input id="analytics-compare" name="compare" type="checkbox" checked=compare/>
                <label for="analytics-compare">"Compare with the period before"</label>
            </div>
            <input type="hidden" name="zone" value=zone.clone()/>
            <button type="submit">"Show"</button>
        </form>
        <p class="small">
            "Quick: " <a href=quick(1)>"today"</a> " · " <a href=quick(7)>"7 days"</a> " · "
            <a href=quick(30)>"30 days"</a> " · " <a href=quick(90)>"90 days"</a>
            {(!route.is_empty()).then(|| view! { " · " <a href=route_link("")>"all routes"</a> })}
        </p>
        <h2 data-period>{period_text}{(!route.is_empty()).then(|| format!(", route {route}"))}</h2>
        <TotalsList totals previous=previous_totals/>
        <figure class="chart">
            <figcaption>"Requests"</figcaption>
            <div inner_html=requests_chart></div>
        </figure>
        {response_chart.map(|chart| view! {
            <figure class="chart">
                <figcaption>"Response time (p50, p95, p99)"</figcaption>
                <div inner_html=chart></div>
            </figure>
        })}
        {(!deployments.is_empty()).then(|| view! {
            <section aria-labelledby="deployments-title">
                <h3 id="deployments-title">"Deployments in this period"</h3>
                <ul>
                    {deployments.into_iter().map(|(at, service, tag)| view! {
                        <li><Time at/> " — " {service} " " <code>{tag}</code></li>
                    }).collect_view()}
                </ul>
            </section>
        })}
        <RouteTable routes route_link=route_link.clone() compare/>
        <section class="card" aria-labelledby="export-title">
            <h2 id="export-title">"Export a day"</h2>
            <p class="small muted">"A UTC day's requests per route, bots included, as JSON (an object of route to count) or CSV; the same as "<code>"caretaker logs export"</code>"."</p>
            <form method="get" action=href("/analytics/export") class="inline">
                <label for="export-day">"Day"</label>
                <input id="export-day" name="day" type="date" value=to.clone() required/>
                <input type="hidden" name="source" value=source.clone()/>
                <label for="export-format">"Format"</label>
                <select id="export-format" name="format">
                    <option value="json">"JSON"</option>
                    <option value="csv">"CSV"</option>
                </select>
                <button type="submit">"Download"</button>
            </form>
        </section>
        <Sources sources services can_edit add remove read/>
    }
}

#[component]
fn TotalsList(totals: Totals, previous: Option<Totals>) -> impl IntoView {
    let change = move |now: i64, before: Option<i64>| {
        before.map(|before| match before {
            0 if now == 0 => " (no change)".to_owned(),
            0 => " (none before)".to_owned(),
            before => format!(" ({:+.0} %)", (now - before) as f64 * 100.0 / before as f64),
        })
    };
    let rate = |part: i64, all: i64| {
        if all == 0 {
            "—".to_owned()
        } else {
            format!("{:.1} %", part as f64 * 100.0 / all as f64)
        }
    };
    let previous_requests = previous.as_ref().map(|p| p.requests);
    let previous_visitors = previous.as_ref().map(|p| p.visitors as i64);
    view! {
        <dl class="facts" data-totals>
            <div><dt>"Requests"</dt><dd data-requests=totals.requests.to_string()>{totals.requests.to_string()}{change(totals.requests, previous_requests)}</dd></div>
            <div><dt>"From bots"</dt><dd>{totals.bots.to_string()}</dd></div>
            <div><dt>"Unique visitors (estimate)"</dt><dd>{totals.visitors.to_string()}{change(totals.visitors as i64, previous_visitors)}</dd></div>
            <div><dt>"Client errors (4xx)"</dt><dd>{rate(totals.errors_4xx, totals.requests)}</dd></div>
            <div><dt>"Server errors (5xx)"</dt><dd>{rate(totals.errors_5xx, totals.requests)}</dd></div>
            <div><dt>"Data sent"</dt><dd>{crate::ui::format::bytes(totals.bytes.max(0) as u64)}</dd></div>
            <div><dt>"Response time p50 / p95 / p99"</dt><dd>{format!("{} / {} / {}",
                super::milliseconds(totals.p50_ms),
                super::milliseconds(totals.p95_ms),
                super::milliseconds(totals.p99_ms))}</dd></div>
        </dl>
    }
}

#[component]
fn RouteTable<F>(routes: Vec<RouteRow>, route_link: F, compare: bool) -> impl IntoView
where
    F: Fn(&str) -> String + 'static,
{
    if routes.is_empty() {
        return view! { <p class="empty">"No requests in this period. Pick another period, or check the sources below."</p> }.into_any();
    }
    let total: i64 = routes.iter().map(|row| row.requests).sum();
    view! {
        <table class="routes">
            <caption>"Top routes"</caption>
            <thead>
                <tr>
                    <th scope="col">"Route"</th>
                    <th scope="col" class="number">"Requests"</th>
                    <th scope="col" class="number">"Share"</th>
                    <th scope="col" class="number">"Bots"</th>
                    {compare.then(|| view! { <th scope="col" class="number">"Before"</th> })}
                </tr>
            </thead>
            <tbody>
                {routes.into_iter().map(|row| {
                    let share = if total > 0 { format!("{:.1} %", row.requests as f64 * 100.0 / total as f64) } else { String::new() };
                    view! {
                        <tr data-route=row.route.clone()>
                            <td><a href=route_link(&row.route)><code>{row.route.clone()}</code></a></td>
                            <td class="number">{row.requests.to_string()}</td>
                            <td class="number">{share}</td>
                            <td class="number">{row.bots.to_string()}</td>
                            {compare.then(|| view! { <td class="number">{row.previous.unwrap_or(0).to_string()}</td> })}
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

#[component]
fn Sources(
    sources: Vec<SourceSummary>,
    services: Vec<(i64, String)>,
    can_edit: bool,
    add: ServerAction<AddLogSource>,
    remove: ServerAction<RemoveLogSource>,
    read: ServerAction<ReadLogSource>,
) -> impl IntoView {
    view! {
        <section class="card" aria-labelledby="sources-title">
            <h2 id="sources-title">"Log sources"</h2>
            <ul class="sources">
                {sources.into_iter().map(|summary| {
                    let SourceSummary { source, lines, rejected, samples } = summary;
                    let where_from = if source.path.is_empty() {
                        format!("imported with caretaker logs import --source {}", source.name)
                    } else {
                        format!("follows {}", source.path)
                    };
                    let read_label = format!("Read {} now", source.name);
                    view! {
                        <li data-source=source.name.clone()>
                            <strong>{source.name.clone()}</strong> " — " {source.format.clone()} ", " {where_from}
                            <br/><span class="small muted">{format!("{lines} lines read, {rejected} could not be read")}</span>
                            {(!samples.is_empty()).then(|| view! {
                                <details>
                                    <summary>"Lines that could not be read"</summary>
                                    <ul class="small">
                                        {samples.into_iter().map(|sample| view! {
                                            <li>{sample.reason}": " <code>{sample.sample}</code></li>
                                        }).collect_view()}
                                    </ul>
                                </details>
                            })}
                            {can_edit.then(|| view! {
                                <div class="actions">
                                    {(!source.path.is_empty()).then(|| view! {
                                        <ActionForm action=read attr:class="inline">
                                            <input type="hidden" name="id" value=source.id.to_string()/>
                                            <button type="submit" aria-label=read_label>"Read now"</button>
                                        </ActionForm>
                                    })}
                                    <details class="confirm">
                                        <summary>"Remove…"</summary>
                                        <p class="small">"Its counts are deleted with it."</p>
                                        <ActionForm action=remove>
                                            <input type="hidden" name="id" value=source.id.to_string()/>
                                            <button type="submit" class="danger">"Yes, remove this source and its counts"</button>
                                        </ActionForm>
                                    </details>
                                </div>
                            })}
                        </li>
                    }
                }).collect_view()}
            </ul>
            {can_edit.then(|| view! { <SourceFormView add services/> })}
        </section>
    }
}

#[component]
fn SourceFormView(add: ServerAction<AddLogSource>, services: Vec<(i64, String)>) -> impl IntoView {
    // Open while it shows an error, so a page sent back without JavaScript shows it too.
    let failed = move || add.value().get().is_some_and(|answer| answer.is_err());
    view! {
        <details open=failed>
            <summary>"Add a log source"</summary>
            {move || add.value().get().and_then(Result::err).map(|error| view! { <ErrorNote message=error.to_string()/> })}
            <ActionForm action=add attr:class="stacked-form">
                <label for="source-name">"Name"</label>
                <input id="source-name" name="form[name]" required maxlength="64" placeholder="website"/>
                <label for="source-path">"Log file"</label>
                <input id="source-path" name="form[path]" placeholder="/var/log/nginx/access.log"/>
                <p class="hint small muted">"An absolute path. Its rotated files beside it (access.log.1, access.log.2.gz) are read once each. Leave it empty for a source filled only by caretaker logs import."</p>
                <label for="source-format">"Format"</label>
                <select id="source-format" name="form[format]">
                    {FORMATS.iter().map(|(value, label)| view! { <option value=*value>{*label}</option> }).collect_view()}
                </select>
                <label for="source-format-string">"nginx log_format (for the nginx format only)"</label>
                <input id="source-format-string" name="form[format_string]" placeholder="$remote_addr - $remote_user [$time_local] \"$request\" $status $body_bytes_sent $request_time"/>
                <label for="source-service">"Service"</label>
                <select id="source-service" name="form[service_id]">
                    <option value="">"None"</option>
                    {services.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                </select>
                <p class="hint small muted">"Its deployments are marked on the charts."</p>
                <label for="source-patterns">"Route patterns (optional, one per line)"</label>
                <textarea id="source-patterns" name="form[route_patterns]" rows="3" placeholder="/users/:name\n/static/*"></textarea>
                <p class="hint small muted">"Numbers, UUIDs and long hex ids become :id by themselves; a pattern groups more, like /users/:name."</p>
                <button type="submit">"Add the source"</button>
            </ActionForm>
        </details>
    }
}
