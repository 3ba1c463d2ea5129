//! Access-log lines into hits. SKELETON: the interface only; a helper fills it in.
//! Depends on std, memchr and serde_json only (the fuzz target includes this file).

use std::borrow::Cow;

/// A log format: how each line of a source is read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// nginx's and Apache's `combined`.
    Combined,
    /// Apache's and nginx's `common` (no referer, no user agent).
    Common,
    /// Caddy's JSON access log.
    Caddy,
    /// Gunicorn's default `access_log_format`.
    Gunicorn,
    /// Any nginx `log_format`, given as its format string.
    Nginx(String),
}

impl LogFormat {
    /// `kind` is one of combined, common, caddy, gunicorn, nginx; `format` is the nginx
    /// format string (ignored for the others).
    pub fn from_parts(kind: &str, format: &str) -> Result<Self, String> {
        let _ = (kind, format);
        unimplemented!()
    }
}

/// One request read from a line. Times are Unix seconds in UTC.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hit<'a> {
    pub at: i64,
    pub method: Cow<'a, str>,
    /// The request target as logged: path and query.
    pub target: Cow<'a, str>,
    pub status: u16,
    pub bytes: u64,
    /// When the format has it.
    pub response_us: Option<u64>,
    pub client: Cow<'a, str>,
    pub user_agent: Cow<'a, str>,
}

/// Reads lines of one format. Keeps small caches (the last timestamp), hence `&mut`.
pub struct Parser;

impl Parser {
    pub fn new(format: &LogFormat) -> Result<Self, String> {
        let _ = format;
        unimplemented!()
    }

    /// One line without its newline; the error says why it was rejected, in a few words.
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Hit<'a>, &'static str> {
        let _ = line;
        unimplemented!()
    }
}
