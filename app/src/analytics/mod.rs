//! Request analytics: access logs (nginx, Apache, Caddy, Gunicorn) tailed into per-hour and
//! per-day counts by route, method and status class, with response-time histograms and
//! unique-visitor sketches, in SQLite. Raw lines and addresses are never stored.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod aggregate;
pub mod api;
#[cfg(feature = "ssr")]
pub mod histogram;
#[cfg(feature = "ssr")]
pub mod ingest;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod route;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
pub mod sketch;
#[cfg(feature = "ssr")]
pub mod store;

/// A log caretaker reads.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogSource {
    pub id: i64,
    pub name: String,
    pub service_id: Option<i64>,
    /// The live file, followed with its rotated siblings; empty for import-only sources.
    pub path: String,
    /// combined, common, caddy, gunicorn or nginx.
    pub format: String,
    /// The nginx `log_format` string when `format` is nginx.
    pub format_string: String,
    pub route_patterns: String,
}

/// The log formats, as (value, label) for forms and `--help`.
pub const FORMATS: [(&str, &str); 5] = [
    ("combined", "nginx / Apache combined"),
    ("common", "Apache / nginx common"),
    ("nginx", "nginx log_format (give the format string)"),
    ("caddy", "Caddy JSON access log"),
    ("gunicorn", "Gunicorn access log"),
];

/// A line that could not be read, as a sample for the page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RejectSample {
    pub reason: String,
    pub sample: String,
}

/// What an ingest pass or an import did.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestReport {
    pub files: u64,
    /// Files skipped because they were read before (unchanged or done).
    pub unchanged: u64,
    pub bytes: u64,
    pub lines: u64,
    pub rejected: u64,
}

impl IngestReport {
    pub fn add(&mut self, other: &IngestReport) {
        self.files += other.files;
        self.unchanged += other.unchanged;
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.rejected += other.rejected;
    }

    /// "1,204 lines from 2 files (3 rejected); 1 file unchanged".
    pub fn sentence(&self) -> String {
        let mut text = format!(
            "{} lines read from {} file{}",
            self.lines,
            self.files,
            if self.files == 1 { "" } else { "s" }
        );
        if self.rejected > 0 {
            text.push_str(&format!(" ({} could not be read)", self.rejected));
        }
        if self.unchanged > 0 {
            text.push_str(&format!(
                "; {} file{} already read",
                self.unchanged,
                if self.unchanged == 1 { "" } else { "s" }
            ));
        }
        text.push('.');
        text
    }
}

/// The analytics page's query, read from the URL (a GET form, so it works without
/// JavaScript and a view can be bookmarked). Days are days in `zone`, `to` included.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnalyticsQuery {
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    /// A source's id, or empty for all.
    #[serde(default)]
    pub source: String,
    /// One route, or empty for all.
    #[serde(default)]
    pub route: String,
    /// "on": compare with the period of the same length just before.
    #[serde(default)]
    pub compare: Option<String>,
    /// The viewer's time zone (IANA name); empty for UTC. The browser fills it in.
    #[serde(default)]
    pub zone: String,
}

/// Sums over a period.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Totals {
    pub requests: i64,
    pub bots: i64,
    pub visitors: u64,
    pub errors_4xx: i64,
    pub errors_5xx: i64,
    pub bytes: i64,
    /// Response-time percentiles in milliseconds, when the format logs them.
    pub p50_ms: Option<f64>,
    pub p95_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RouteRow {
    pub route: String,
    pub requests: i64,
    pub bots: i64,
    /// Requests in the previous period, when comparing.
    pub previous: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SourceSummary {
    pub source: LogSource,
    pub lines: i64,
    pub rejected: i64,
    pub samples: Vec<RejectSample>,
}

/// Everything the analytics page shows.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AnalyticsView {
    pub sources: Vec<SourceSummary>,
    /// The period shown (YYYY-MM-DD, both included) and the previous one when comparing.
    pub from: String,
    pub to: String,
    /// The zone the days are in, and today there.
    pub zone: String,
    pub today: String,
    pub previous: Option<(String, String)>,
    pub route: String,
    pub source: String,
    pub compare: bool,
    /// A sentence when the query could not be used (the defaults are shown instead).
    pub problem: Option<String>,
    pub totals: Totals,
    pub previous_totals: Option<Totals>,
    pub routes: Vec<RouteRow>,
    pub requests_chart: String,
    pub response_chart: Option<String>,
    /// Deployments in the period: (time, service, tag).
    pub deployments: Vec<(chrono::DateTime<chrono::Utc>, String, String)>,
    pub services: Vec<(i64, String)>,
    /// The viewer may add, read and remove sources.
    pub can_edit: bool,
}

/// The add-source form.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourceForm {
    pub name: String,
    #[serde(default)]
    pub service_id: String,
    #[serde(default)]
    pub path: String,
    pub format: String,
    #[serde(default)]
    pub format_string: String,
    #[serde(default)]
    pub route_patterns: String,
}

/// A response time for people: "4.2 ms", "130 ms", "—" when unknown.
pub fn milliseconds(value: Option<f64>) -> String {
    match value {
        None => "—".to_owned(),
        Some(ms) if ms < 10.0 => format!("{ms:.1} ms"),
        Some(ms) => format!("{ms:.0} ms"),
    }
}
