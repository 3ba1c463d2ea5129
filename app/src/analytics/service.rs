//! The analytics logic: sources, ingest (the tailer, imports) and the day export.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{NaiveDate, Utc};

use super::aggregate::DAY;
use super::ingest::{self, Chunk};
use super::parse::{LogFormat, Parser};
use super::route::RouteRules;
use super::{store, IngestReport, LogSource};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::ui::chart::{lines_svg, Line, Marker, Point};

const AREA: &str = "analytics";
/// How often the tailer looks at live files for new lines.
pub const TAIL_EVERY: Duration = Duration::from_secs(10);

/// Sources being read in this process: a second pass over one is skipped (the tailer) or
/// refused (an import) instead of racing it.
#[derive(Default)]
pub struct Ingesting(Mutex<HashSet<i64>>);

struct Busy {
    ingesting: Arc<Ingesting>,
    source_id: i64,
}

impl Busy {
    fn claim(state: &AppState, source: &LogSource) -> Result<Self, AppError> {
        let mut busy = state
            .ingesting
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if !busy.insert(source.id) {
            return Err(AppError::Conflict(format!(
                "The log source {} is being read right now; try again when that ends.",
                source.name
            )));
        }
        Ok(Busy {
            ingesting: state.ingesting.clone(),
            source_id: source.id,
        })
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.ingesting
            .0
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&self.source_id);
    }
}

/// Where an import or pass stands, for progress bars.
#[derive(Clone, Debug, Default)]
pub struct Progress {
    pub file: String,
    pub file_index: usize,
    pub files: usize,
    /// Bytes read of this file (decompressed for .gz) and its size on disk when known.
    pub done: u64,
    pub total: Option<u64>,
    pub lines: u64,
}

/// Checks a source's fields; the format and patterns are compiled to prove them.
pub fn validate(source: &LogSource) -> Result<(), AppError> {
    let name = source.name.trim();
    if name.is_empty() || name.len() > 64 || name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Name: give 1 to 64 characters, for example “website”.",
        ));
    }
    if !super::FORMATS
        .iter()
        .any(|(value, _)| *value == source.format)
    {
        return Err(AppError::invalid(format!(
            "Format: “{}” is not one of {}.",
            source.format,
            super::FORMATS
                .iter()
                .map(|(value, _)| *value)
                .collect::<Vec<_>>()
                .join(", ")
        )));
    }
    let format = LogFormat::from_parts(&source.format, &source.format_string)
        .map_err(|why| AppError::invalid(format!("Format: {why}")))?;
    Parser::new(&format).map_err(|why| AppError::invalid(format!("Format: {why}")))?;
    RouteRules::new(&source.route_patterns)
        .map_err(|why| AppError::invalid(format!("Route patterns: {why}")))?;
    if !source.path.is_empty() {
        let path = Path::new(&source.path);
        if !path.is_absolute() {
            return Err(AppError::invalid(format!(
                "Log file: “{}” is not an absolute path; write it like /var/log/nginx/access.log.",
                source.path
            )));
        }
        // The file itself may not exist yet (a server not started); its folder must.
        if !path.parent().is_some_and(Path::is_dir) {
            return Err(AppError::invalid(format!(
                "Log file: the folder of {} does not exist or cannot be read by caretaker.",
                source.path
            )));
        }
    }
    Ok(())
}

/// The add-source form as a source (checked by [`add_source`]).
pub fn source_from_form(form: &super::SourceForm) -> Result<LogSource, AppError> {
    let service_id = match form.service_id.trim() {
        "" => None,
        text => Some(
            text.parse::<i64>()
                .map_err(|_| AppError::invalid("Service: choose one of the list, or none."))?,
        ),
    };
    Ok(LogSource {
        id: 0,
        name: form.name.trim().to_owned(),
        service_id,
        path: form.path.trim().to_owned(),
        format: form.format.trim().to_owned(),
        format_string: form.format_string.trim().to_owned(),
        route_patterns: form.route_patterns.trim().to_owned(),
    })
}

/// Route → count as CSV (RFC 4180 quoting), with a header line.
pub fn to_csv(counts: &BTreeMap<String, i64>) -> String {
    let mut text = String::from("route,requests\n");
    for (route, count) in counts {
        if route.contains([',', '"', '\n', '\r']) {
            text.push_str(&format!("\"{}\",{count}\n", route.replace('"', "\"\"")));
        } else {
            text.push_str(&format!("{route},{count}\n"));
        }
    }
    text
}

pub async fn add_source(
    state: &AppState,
    actor: &Actor,
    source: &LogSource,
) -> Result<i64, AppError> {
    let source = LogSource {
        name: source.name.trim().to_owned(),
        path: source.path.trim().to_owned(),
        ..source.clone()
    };
    validate(&source)?;
    let id = store::insert_source(&state.db, &source, Utc::now().timestamp())
        .await?
        .ok_or_else(|| {
            AppError::Conflict(format!(
                "A log source named {} exists already; choose another name.",
                source.name
            ))
        })?;
    record(
        &state.db,
        actor,
        AREA,
        "add log source",
        &source.name,
        Outcome::Ok,
        &format!("{} {}", source.format, source.path),
    )
    .await;
    Ok(id)
}

pub async fn remove_source(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let source = source(state, id).await?;
    store::delete_source(&state.db, id).await?;
    record(
        &state.db,
        actor,
        AREA,
        "remove log source",
        &source.name,
        Outcome::Ok,
        "",
    )
    .await;
    Ok(())
}

pub async fn source(state: &AppState, id: i64) -> Result<LogSource, AppError> {
    store::source(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This log source does not exist (any more)."))
}

pub async fn source_by_name(state: &AppState, name: &str) -> Result<LogSource, AppError> {
    match store::source_by_name(&state.db, name).await? {
        Some(source) => Ok(source),
        None => {
            let names: Vec<String> = store::sources(&state.db)
                .await?
                .into_iter()
                .map(|source| source.name)
                .collect();
            Err(AppError::not_found(if names.is_empty() {
                format!("There is no log source named {name}, and none yet.")
            } else {
                format!(
                    "There is no log source named {name}; there are: {}.",
                    names.join(", ")
                )
            }))
        }
    }
}

/// Reads what is new in a source's live file and its rotated siblings.
pub async fn ingest_source(
    state: &AppState,
    source: &LogSource,
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<IngestReport, AppError> {
    if source.path.is_empty() {
        return Ok(IngestReport::default());
    }
    let live = PathBuf::from(&source.path);
    let family = {
        let live = live.clone();
        tokio::task::spawn_blocking(move || ingest::family(&live))
            .await
            .map_err(AppError::internal)?
    }
    .map_err(|error| {
        AppError::EngineUnavailable(format!(
            "The folder of {} cannot be read: {error}.",
            live.display()
        ))
    })?;
    let _busy = Busy::claim(state, source)?;
    let mut report = IngestReport::default();
    let count = family.len();
    for (index, path) in family.into_iter().enumerate() {
        // Rotated files no longer grow, so their last line is whole even without a newline.
        let complete = path != live;
        report
            .add(&ingest_path(state, source, &path, complete, (index, count), on_progress).await?);
    }
    Ok(report)
}

/// Imports files given by hand (`caretaker logs import`): each once, whatever its name;
/// a file read before is read on from where it stopped.
pub async fn import_files(
    state: &AppState,
    source: &LogSource,
    paths: &[PathBuf],
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<IngestReport, AppError> {
    let _busy = Busy::claim(state, source)?;
    let mut report = IngestReport::default();
    for (index, path) in paths.iter().enumerate() {
        report
            .add(&ingest_path(state, source, path, true, (index, paths.len()), on_progress).await?);
    }
    Ok(report)
}

async fn ingest_path(
    state: &AppState,
    source: &LogSource,
    path: &Path,
    complete: bool,
    (file_index, files): (usize, usize),
    on_progress: &(dyn Fn(&Progress) + Send + Sync),
) -> Result<IngestReport, AppError> {
    let cannot_read = |error: std::io::Error| {
        AppError::EngineUnavailable(format!("{} cannot be read: {error}.", path.display()))
    };
    let file = {
        let path = path.to_owned();
        tokio::task::spawn_blocking(move || ingest::identify(&path))
            .await
            .map_err(AppError::internal)?
            .map_err(cannot_read)?
    };
    let Some(file) = file else {
        // Empty, or its first line is still being written.
        return Ok(IngestReport::default());
    };
    let (from, done) = store::file_position(&state.db, source.id, &file.fingerprint)
        .await?
        .unwrap_or((0, false));
    if done || (!file.compressed && from >= file.size) {
        return Ok(IngestReport {
            unchanged: 1,
            ..IngestReport::default()
        });
    }
    let format = LogFormat::from_parts(&source.format, &source.format_string)
        .map_err(|why| AppError::invalid(format!("The log source {}: {why}", source.name)))?;
    let mut parser = Parser::new(&format)
        .map_err(|why| AppError::invalid(format!("The log source {}: {why}", source.name)))?;
    let rules = RouteRules::new(&source.route_patterns)
        .map_err(|why| AppError::invalid(format!("The log source {}: {why}", source.name)))?;
    let salt = state.secrets.derive("analytics visitors");
    // Two chunks in flight at most: parsing runs ahead of the database by one batch.
    let (sender, mut chunks) = tokio::sync::mpsc::channel::<Chunk>(1);
    let reader = {
        let file = file.clone();
        tokio::task::spawn_blocking(move || {
            ingest::read_file(&file, from, complete, &mut parser, &rules, &salt, |chunk| {
                sender.blocking_send(chunk).is_ok()
            })
        })
    };
    let mut report = IngestReport {
        files: 1,
        ..IngestReport::default()
    };
    let mut position = from;
    let shown = file.path.display().to_string();
    while let Some(chunk) = chunks.recv().await {
        let finished = chunk.at_end && file.compressed;
        if chunk.read_to == position && chunk.batch.lines == 0 && !finished {
            continue;
        }
        let now = Utc::now().timestamp();
        let committed = store::commit(
            &state.db,
            source.id,
            &file,
            store::Advance {
                from: position,
                read_to: chunk.read_to,
                done: finished,
            },
            &chunk.batch,
            now,
        )
        .await?;
        if committed.is_err() {
            return Err(AppError::Conflict(format!(
                "{shown} was read by another caretaker process at the same time; nothing was counted twice. Try again."
            )));
        }
        report.bytes += chunk.read_to - position;
        report.lines += chunk.batch.lines;
        report.rejected += chunk.batch.rejected;
        position = chunk.read_to;
        on_progress(&Progress {
            file: shown.clone(),
            file_index,
            files,
            done: position,
            total: (!file.compressed).then_some(file.size),
            lines: report.lines,
        });
    }
    reader
        .await
        .map_err(AppError::internal)?
        .map_err(|error| {
            AppError::EngineUnavailable(format!(
                "{shown} could not be read to its end: {error}. What was read before is counted; the next pass goes on from there."
            ))
        })?;
    Ok(report)
}

/// A day's requests per route, every source (or one) and bots included, as the seed's
/// daily JSON: `{"/": 7, "/sample": 24}`. Days are UTC days.
pub async fn export_day(
    state: &AppState,
    day: NaiveDate,
    source: Option<&LogSource>,
) -> Result<BTreeMap<String, i64>, AppError> {
    let from = day
        .and_hms_opt(0, 0, 0)
        .map(|start| start.and_utc().timestamp())
        .ok_or_else(|| AppError::invalid("Day: not a date."))?;
    let sources: Vec<i64> = match source {
        Some(source) => vec![source.id],
        None => store::sources(&state.db)
            .await?
            .into_iter()
            .map(|source| source.id)
            .collect(),
    };
    let totals = store::route_totals(&state.db, &sources, from, from + DAY).await?;
    Ok(totals
        .into_iter()
        .map(|(route, people, bots)| (route, people + bots))
        .filter(|(_, count)| *count > 0)
        .collect())
}

/// Follows every source with a live file: a pass every [`TAIL_EVERY`], each source on its
/// own so one unreadable file does not hold the others back.
pub async fn tail(state: AppState) {
    let mut tick = tokio::time::interval(TAIL_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let sources = match store::sources(&state.db).await {
            Ok(sources) => sources,
            Err(error) => {
                tracing::warn!(%error, "log sources could not be listed");
                continue;
            }
        };
        for source in sources.iter().filter(|source| !source.path.is_empty()) {
            match ingest_source(&state, source, &|_| {}).await {
                Ok(report) if report.lines > 0 => {
                    tracing::debug!(source = %source.name, lines = report.lines, "log lines read")
                }
                Ok(_) | Err(AppError::Conflict(_)) => {}
                Err(error) => {
                    tracing::warn!(source = %source.name, %error, "a log source could not be read")
                }
            }
        }
    }
}

/// Periods longer than this are refused (the daily table answers them, but a chart of more
/// points than pixels says nothing).
const LONGEST_PERIOD_DAYS: i64 = 400;
/// Routes listed in the table.
const TOP_ROUTES: usize = 50;

/// The analytics page: totals, top routes, charts and sources for the query's period.
pub async fn view(
    state: &AppState,
    query: &super::AnalyticsQuery,
) -> Result<super::AnalyticsView, AppError> {
    use super::{AnalyticsView, RouteRow, SourceSummary};
    let all_sources = store::sources(&state.db).await?;
    let mut problem = None;
    let zone = match query.zone.trim() {
        "" => chrono_tz::UTC,
        name => name.parse::<chrono_tz::Tz>().unwrap_or_else(|_| {
            problem = Some(format!(
                "Time zone: “{name}” is not a zone name such as Europe/Berlin or UTC; days are shown in UTC."
            ));
            chrono_tz::UTC
        }),
    };
    let today = Utc::now().with_timezone(&zone).date_naive();
    let (from, to) = match period(&query.from, &query.to, today) {
        Ok(period) => period,
        Err(why) => {
            problem.get_or_insert(why);
            (today - chrono::Days::new(6), today)
        }
    };
    let chosen: Vec<i64> = match query.source.trim() {
        "" => all_sources.iter().map(|source| source.id).collect(),
        text => {
            match text
                .parse::<i64>()
                .ok()
                .filter(|id| all_sources.iter().any(|s| s.id == *id))
            {
                Some(id) => vec![id],
                None => {
                    problem.get_or_insert_with(|| "Source: that log source does not exist (any more); all sources are shown.".to_owned());
                    all_sources.iter().map(|source| source.id).collect()
                }
            }
        }
    };
    let route = query.route.trim().to_owned();
    let compare = query.compare.is_some();
    let start = |day: NaiveDate| day_start(zone, day);
    let days = (to - from).num_days() + 1;
    let (from_ts, to_ts) = (start(from), start(to + chrono::Days::new(1)));
    let previous_from = from - chrono::Days::new(days as u64);
    let previous_ts = start(previous_from);
    let hourly = days <= 3;
    let buckets = if hourly {
        (0..)
            .map(|index| from_ts + index * 3600)
            .take_while(|at| *at < to_ts)
            .collect()
    } else {
        day_starts(zone, from, days)
    };
    let previous_buckets = if hourly {
        buckets
            .iter()
            .map(|at| at - (from_ts - previous_ts))
            .collect()
    } else {
        day_starts(zone, previous_from, days)
    };
    let route_filter = (!route.is_empty()).then_some(route.as_str());
    // The daily table holds UTC days: it answers only when the period's days are UTC days.
    let from_hours = |from: i64, to: i64| hourly || from % DAY != 0 || to % DAY != 0;

    let series = store::series(
        &state.db,
        &chosen,
        route_filter,
        from_ts,
        to_ts,
        from_hours(from_ts, to_ts),
    )
    .await?
    .regrouped(&buckets);
    let mut totals = totals_of(&series);
    if route.is_empty() {
        totals.visitors = store::visitors(&state.db, &chosen, from_ts, to_ts).await?;
    }
    let (previous_series, previous_totals, previous_routes) = if compare {
        let previous = store::series(
            &state.db,
            &chosen,
            route_filter,
            previous_ts,
            from_ts,
            from_hours(previous_ts, from_ts),
        )
        .await?
        .regrouped(&previous_buckets);
        let mut previous_totals = totals_of(&previous);
        if route.is_empty() {
            previous_totals.visitors =
                store::visitors(&state.db, &chosen, previous_ts, from_ts).await?;
        }
        let routes: HashMap<String, i64> =
            store::route_totals(&state.db, &chosen, previous_ts, from_ts)
                .await?
                .into_iter()
                .map(|(route, people, bots)| (route, people + bots))
                .collect();
        (Some(previous), Some(previous_totals), Some(routes))
    } else {
        (None, None, None)
    };
    let mut routes: Vec<RouteRow> = store::route_totals(&state.db, &chosen, from_ts, to_ts)
        .await?
        .into_iter()
        .map(|(route, people, bots)| RouteRow {
            previous: previous_routes
                .as_ref()
                .map(|previous| previous.get(&route).copied().unwrap_or(0)),
            route,
            requests: people + bots,
            bots,
        })
        .collect();
    routes.sort_by(|a, b| {
        b.requests
            .cmp(&a.requests)
            .then_with(|| a.route.cmp(&b.route))
    });
    routes.truncate(TOP_ROUTES);

    let deployments = store::deployments(&state.db, &chosen, from_ts, to_ts).await?;
    let markers: Vec<Marker> = deployments
        .iter()
        .filter_map(|(at, service, tag)| {
            Some(Marker {
                at: chrono::DateTime::from_timestamp(*at, 0)?,
                label: format!("{service} {tag}"),
            })
        })
        .collect();
    let window = (
        chrono::DateTime::from_timestamp(from_ts, 0).unwrap_or_default(),
        chrono::DateTime::from_timestamp(to_ts - 1, 0).unwrap_or_default(),
    );
    let what = if route.is_empty() {
        "all routes".to_owned()
    } else {
        route.clone()
    };
    let mut lines = vec![
        Line {
            label: "Requests".to_owned(),
            points: filled(&series, &buckets, 0, |requests, _, _| requests),
            dashed: false,
        },
        Line {
            label: "Errors (4xx and 5xx)".to_owned(),
            points: filled(&series, &buckets, 0, |_, e4, e5| e4 + e5),
            dashed: false,
        },
    ];
    if let Some(previous) = &previous_series {
        lines.push(Line {
            label: "Previous period".to_owned(),
            points: filled(
                previous,
                &previous_buckets,
                from_ts - previous_ts,
                |requests, _, _| requests,
            ),
            dashed: true,
        });
    }
    let per = if hourly { "hour" } else { "day" };
    let requests_chart = lines_svg(
        &format!("Requests per {per}, {what}"),
        &format!(
            "{} requests from {from} to {to} (days in {zone}), {} of them from bots{}{}.",
            totals.requests,
            totals.bots,
            previous_totals
                .as_ref()
                .map(|previous| format!("; {} in the period before", previous.requests))
                .unwrap_or_default(),
            if markers.is_empty() {
                String::new()
            } else {
                format!("; {} deployments marked", markers.len())
            }
        ),
        "requests",
        &lines,
        &markers,
        (900, 280),
        window,
    );
    let response_chart = (!series.response.is_empty()).then(|| {
        let quantile_line = |label: &str, q: f64| Line {
            label: label.to_owned(),
            points: series
                .response
                .iter()
                .filter_map(|(at, histogram)| {
                    Some(Point {
                        at: chrono::DateTime::from_timestamp(*at, 0)?,
                        value: histogram.quantile(q)? as f64 / 1000.0,
                        ok: true,
                    })
                })
                .collect(),
            dashed: false,
        };
        lines_svg(
            &format!("Response time per {per}, {what}"),
            &format!(
                "Over the period: p50 {}, p95 {}, p99 {}.",
                super::milliseconds(totals.p50_ms),
                super::milliseconds(totals.p95_ms),
                super::milliseconds(totals.p99_ms)
            ),
            "milliseconds",
            &[
                quantile_line("p50", 0.5),
                quantile_line("p95", 0.95),
                quantile_line("p99", 0.99),
            ],
            &markers,
            (900, 280),
            window,
        )
    });

    let mut sources = Vec::new();
    for source in all_sources {
        let (lines, rejected, samples) = store::reject_summary(&state.db, source.id).await?;
        sources.push(SourceSummary {
            source,
            lines,
            rejected,
            samples,
        });
    }
    let services = store::service_names(&state.db).await?;
    let day_text = |day: NaiveDate| day.format("%Y-%m-%d").to_string();
    Ok(AnalyticsView {
        sources,
        from: day_text(from),
        to: day_text(to),
        zone: zone.name().to_owned(),
        today: day_text(today),
        previous: compare.then(|| {
            (
                day_text(previous_from),
                day_text(from - chrono::Days::new(1)),
            )
        }),
        route,
        source: query.source.trim().to_owned(),
        compare,
        problem,
        totals,
        previous_totals,
        routes,
        requests_chart,
        response_chart,
        deployments: deployments
            .into_iter()
            .filter_map(|(at, service, tag)| {
                Some((chrono::DateTime::from_timestamp(at, 0)?, service, tag))
            })
            .collect(),
        services,
        can_edit: false,
    })
}

/// The period from the form's two days; both empty means the last 7 days.
fn period(from: &str, to: &str, today: NaiveDate) -> Result<(NaiveDate, NaiveDate), String> {
    let parse = |field: &str, text: &str| {
        NaiveDate::parse_from_str(text.trim(), "%Y-%m-%d").map_err(|_| {
            format!(
                "{field}: “{}” is not a day; write it as YYYY-MM-DD, like {today}.",
                text.trim()
            )
        })
    };
    let to = if to.trim().is_empty() {
        today
    } else {
        parse("To", to)?
    };
    let from = if from.trim().is_empty() {
        to - chrono::Days::new(6)
    } else {
        parse("From", from)?
    };
    if from > to {
        return Err(format!(
            "From: {from} is after {to}; choose a first day before the last."
        ));
    }
    if (to - from).num_days() >= LONGEST_PERIOD_DAYS {
        return Err(format!(
            "The period is {} days long; choose at most {LONGEST_PERIOD_DAYS}.",
            (to - from).num_days() + 1
        ));
    }
    Ok((from, to))
}

fn totals_of(series: &store::Series) -> super::Totals {
    let mut totals = super::Totals {
        bytes: series.bytes,
        ..super::Totals::default()
    };
    for (_, requests, e4, e5, bots) in &series.points {
        totals.requests += requests;
        totals.errors_4xx += e4;
        totals.errors_5xx += e5;
        totals.bots += bots;
    }
    let mut all = super::histogram::Histogram::default();
    for histogram in series.response.values() {
        all.merge(histogram);
    }
    let ms = |q: f64| all.quantile(q).map(|micros| micros as f64 / 1000.0);
    totals.p50_ms = ms(0.5);
    totals.p95_ms = ms(0.95);
    totals.p99_ms = ms(0.99);
    totals
}

/// One figure per bucket (`pick` takes requests, 4xx and 5xx), empty buckets as zero,
/// drawn `shift` seconds later (to lay a previous period over the current one).
fn filled(
    series: &store::Series,
    buckets: &[i64],
    shift: i64,
    pick: impl Fn(i64, i64, i64) -> i64,
) -> Vec<Point> {
    let counts: HashMap<i64, i64> = series
        .points
        .iter()
        .map(|(at, requests, e4, e5, _)| (*at, pick(*requests, *e4, *e5)))
        .collect();
    buckets
        .iter()
        .filter_map(|at| {
            Some(Point {
                at: chrono::DateTime::from_timestamp(at + shift, 0)?,
                value: counts.get(at).copied().unwrap_or(0) as f64,
                ok: true,
            })
        })
        .collect()
}

/// Where a local day starts, in Unix seconds, moved back to a whole hour (the finest
/// counts are per hour; zones a half hour off UTC see their days start on the hour before).
fn day_start(zone: chrono_tz::Tz, day: NaiveDate) -> i64 {
    use chrono::TimeZone;
    let midnight = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A midnight skipped by a daylight-saving change: the day starts an hour later.
    let at = zone
        .from_local_datetime(&midnight)
        .earliest()
        .or_else(|| {
            zone.from_local_datetime(&(midnight + chrono::Duration::hours(1)))
                .earliest()
        })
        .map_or_else(|| midnight.and_utc().timestamp(), |at| at.timestamp());
    at - at.rem_euclid(3600)
}

/// The starts of `count` local days from `first`.
fn day_starts(zone: chrono_tz::Tz, first: NaiveDate, count: i64) -> Vec<i64> {
    (0..count)
        .map(|offset| day_start(zone, first + chrono::Days::new(offset as u64)))
        .collect()
}
