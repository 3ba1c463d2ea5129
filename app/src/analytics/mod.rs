//! Request analytics: access logs (nginx, Apache, Caddy, Gunicorn) tailed into per-hour and
//! per-day counts by route, method and status class, with response-time histograms and
//! unique-visitor sketches, in SQLite. Raw lines and addresses are never stored.

use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
pub mod aggregate;
#[cfg(feature = "ssr")]
pub mod histogram;
#[cfg(feature = "ssr")]
pub mod ingest;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod route;
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
