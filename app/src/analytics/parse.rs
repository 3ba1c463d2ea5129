//! Access-log lines into hits, for nginx/Apache `combined` and `common`, any nginx
//! `log_format`, Gunicorn's default format and Caddy's JSON access log.
//!
//! The text formats are all compiled into one sequence of literals and variables (nginx's
//! own model): `combined` is nginx's predefined format string, and Gunicorn's default
//! `%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"` writes the same fields in
//! the same places. A line is matched left to right without allocating: each variable's
//! value ends where the next literal starts. Depends on std, memchr and serde only (the
//! fuzz target includes this file).

use std::borrow::Cow;

/// nginx's predefined `combined` format (nginx docs, ngx_http_log_module).
pub const COMBINED: &str = r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer" "$http_user_agent""#;
/// Apache's `common` (CLF): combined without referer and user agent.
pub const COMMON: &str =
    r#"$remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent"#;

/// Lines longer than this are rejected (and never parsed).
pub const MAX_LINE: usize = 64 << 10;

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
        match kind {
            "combined" => Ok(Self::Combined),
            "common" => Ok(Self::Common),
            "caddy" => Ok(Self::Caddy),
            "gunicorn" => Ok(Self::Gunicorn),
            "nginx" if format.trim().is_empty() => Err(
                "give nginx's log_format string, like $remote_addr [$time_local] \"$request\" $status $body_bytes_sent $request_time.".to_owned(),
            ),
            "nginx" => {
                compile(format.trim())?;
                Ok(Self::Nginx(format.trim().to_owned()))
            }
            other => Err(format!(
                "“{other}” is not a log format; use combined, common, nginx, caddy or gunicorn."
            )),
        }
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

/// What a variable of a text format fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Field {
    Client,
    ForwardedFor,
    TimeLocal,
    TimeIso,
    Msec,
    Request,
    Method,
    Uri,
    Status,
    BodyBytes,
    Bytes,
    UserAgent,
    RequestTime,
    UpstreamTime,
    Ignored,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Token {
    Literal(Vec<u8>),
    Variable(Field),
}

/// A text format as tokens, each variable followed by a literal (or the end).
fn compile(format: &str) -> Result<Vec<Token>, String> {
    let bytes = format.as_bytes();
    let mut tokens = Vec::new();
    let mut literal = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        if bytes[at] != b'$' {
            literal.push(bytes[at]);
            at += 1;
            continue;
        }
        let (name, next) = if bytes.get(at + 1) == Some(&b'{') {
            let end = format[at + 2..]
                .find('}')
                .ok_or("a ${ in the format string has no closing }.")?;
            (&format[at + 2..at + 2 + end], at + 3 + end)
        } else {
            let length = bytes[at + 1..]
                .iter()
                .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                .count();
            (&format[at + 1..at + 1 + length], at + 1 + length)
        };
        if name.is_empty() {
            literal.push(b'$');
            at += 1;
            continue;
        }
        if !literal.is_empty() {
            tokens.push(Token::Literal(std::mem::take(&mut literal)));
        } else if matches!(tokens.last(), Some(Token::Variable(_))) {
            return Err(format!(
                "${name} follows another variable with nothing between them, so their values cannot be told apart."
            ));
        }
        tokens.push(Token::Variable(field_of(name)));
        at = next;
    }
    if !literal.is_empty() {
        tokens.push(Token::Literal(literal));
    }
    let has = |fields: &[Field]| {
        tokens
            .iter()
            .any(|token| matches!(token, Token::Variable(field) if fields.contains(field)))
    };
    if !has(&[Field::TimeLocal, Field::TimeIso, Field::Msec]) {
        return Err(
            "the format has no time: it needs $time_local, $time_iso8601 or $msec.".to_owned(),
        );
    }
    if !has(&[Field::Status]) {
        return Err("the format has no $status.".to_owned());
    }
    let has_request = has(&[Field::Request]) || (has(&[Field::Uri]) && has(&[Field::Method]));
    if !has_request {
        return Err(
            "the format has no request: it needs $request, or $request_method with $request_uri or $uri."
                .to_owned(),
        );
    }
    Ok(tokens)
}

fn field_of(name: &str) -> Field {
    match name {
        "remote_addr" => Field::Client,
        "http_x_forwarded_for" => Field::ForwardedFor,
        "time_local" => Field::TimeLocal,
        "time_iso8601" => Field::TimeIso,
        "msec" => Field::Msec,
        "request" => Field::Request,
        "request_method" => Field::Method,
        "request_uri" | "uri" => Field::Uri,
        "status" => Field::Status,
        "body_bytes_sent" => Field::BodyBytes,
        "bytes_sent" => Field::Bytes,
        "http_user_agent" => Field::UserAgent,
        "request_time" => Field::RequestTime,
        "upstream_response_time" => Field::UpstreamTime,
        _ => Field::Ignored,
    }
}

/// Reads lines of one format. Keeps the last timestamp it read (consecutive lines share
/// it), hence `&mut`.
pub struct Parser {
    kind: Kind,
    last_time: Vec<u8>,
    last_seconds: i64,
}

enum Kind {
    Text(Vec<Token>),
    Caddy,
}

impl Parser {
    pub fn new(format: &LogFormat) -> Result<Self, String> {
        let kind = match format {
            LogFormat::Combined | LogFormat::Gunicorn => Kind::Text(compile(COMBINED)?),
            LogFormat::Common => Kind::Text(compile(COMMON)?),
            LogFormat::Nginx(format) => Kind::Text(compile(format)?),
            LogFormat::Caddy => Kind::Caddy,
        };
        Ok(Self {
            kind,
            last_time: Vec::new(),
            last_seconds: 0,
        })
    }

    /// Whether the format logs user agents (`common` does not: its hits cannot be told
    /// apart as bots).
    pub fn has_user_agent(&self) -> bool {
        match &self.kind {
            Kind::Caddy => true,
            Kind::Text(tokens) => tokens.contains(&Token::Variable(Field::UserAgent)),
        }
    }

    /// One line without its newline; the error says why it was rejected, in a few words.
    pub fn parse<'a>(&mut self, line: &'a [u8]) -> Result<Hit<'a>, &'static str> {
        if line.len() > MAX_LINE {
            return Err("longer than 64 KiB");
        }
        if line.is_empty() {
            return Err("empty line");
        }
        match &self.kind {
            Kind::Caddy => caddy(line),
            Kind::Text(_) => self.text(line),
        }
    }

    fn text<'a>(&mut self, line: &'a [u8]) -> Result<Hit<'a>, &'static str> {
        let Kind::Text(tokens) = &self.kind else {
            return Err("not a text format");
        };
        let mut values: [Option<&'a [u8]>; 15] = [None; 15];
        let mut at = 0;
        for (index, token) in tokens.iter().enumerate() {
            match token {
                Token::Literal(literal) => {
                    if !line[at..].starts_with(literal) {
                        return Err("does not match the format");
                    }
                    at += literal.len();
                }
                Token::Variable(field) => {
                    let end = match tokens.get(index + 1) {
                        None => line.len(),
                        Some(Token::Literal(next)) => {
                            value_end(&line[at..], next).ok_or("does not match the format")? + at
                        }
                        Some(Token::Variable(_)) => return Err("does not match the format"),
                    };
                    values[*field as usize] = Some(&line[at..end]);
                    at = end;
                }
            }
        }
        let get = |field: Field| values[field as usize];
        let at_seconds = if let Some(time) = get(Field::TimeLocal) {
            self.cached_time(time, time_local)?
        } else if let Some(time) = get(Field::TimeIso) {
            self.cached_time(time, time_iso)?
        } else if let Some(time) = get(Field::Msec) {
            seconds_number(time).ok_or("bad time")?.0
        } else {
            return Err("bad time");
        };
        let (method, target) = match get(Field::Request) {
            Some(request) => split_request(request)?,
            None => {
                let method = get(Field::Method).ok_or("no request")?;
                let target = get(Field::Uri).ok_or("no request")?;
                if !is_method(method) || target.is_empty() || target == b"-" {
                    return Err("no request");
                }
                (method, target)
            }
        };
        let status = get(Field::Status)
            .and_then(three_digits)
            .ok_or("bad status")?;
        let bytes = get(Field::BodyBytes)
            .or_else(|| get(Field::Bytes))
            .map_or(Some(0), count)
            .ok_or("bad byte count")?;
        let response_us = get(Field::RequestTime)
            .and_then(|time| seconds_number(time).map(|(s, frac)| micros(s, frac)))
            .or_else(|| {
                get(Field::UpstreamTime)
                    .and_then(|time| seconds_number(first_of_list(time)).map(|(s, f)| micros(s, f)))
            });
        let client = get(Field::Client)
            .filter(|client| *client != b"-")
            .or_else(|| get(Field::ForwardedFor).map(first_of_list))
            .unwrap_or(b"");
        let user_agent = get(Field::UserAgent).unwrap_or(b"");
        Ok(Hit {
            at: at_seconds,
            method: utf8(method)?,
            target: utf8(target)?,
            status,
            bytes,
            response_us,
            client: utf8(client)?,
            user_agent: utf8(user_agent)?,
        })
    }

    fn cached_time(
        &mut self,
        text: &[u8],
        parse: fn(&[u8]) -> Option<i64>,
    ) -> Result<i64, &'static str> {
        if text == self.last_time.as_slice() {
            return Ok(self.last_seconds);
        }
        let seconds = parse(text).ok_or("bad time")?;
        self.last_time.clear();
        self.last_time.extend_from_slice(text);
        self.last_seconds = seconds;
        Ok(seconds)
    }
}

/// Where a variable's value ends: at the next literal. A quoted value (the literal starts
/// with `"`) skips quotes escaped with a backslash, as Apache writes them.
fn value_end(rest: &[u8], next: &[u8]) -> Option<usize> {
    let first = next[0];
    let mut from = 0;
    loop {
        let found = memchr::memchr(first, &rest[from..])? + from;
        let escaped = first == b'"' && found > 0 && rest[found - 1] == b'\\';
        if !escaped && rest[found..].starts_with(next) {
            return Some(found);
        }
        from = found + 1;
    }
}

fn utf8(bytes: &[u8]) -> Result<Cow<'_, str>, &'static str> {
    std::str::from_utf8(bytes)
        .map(Cow::Borrowed)
        .map_err(|_| "not UTF-8")
}

fn is_method(method: &[u8]) -> bool {
    (1..=20).contains(&method.len())
        && method
            .iter()
            .all(|b| b.is_ascii_uppercase() || *b == b'-' || *b == b'_')
}

/// "GET /path?q HTTP/1.1" into method and target; "-", TLS bytes and the like are refused.
fn split_request(request: &[u8]) -> Result<(&[u8], &[u8]), &'static str> {
    let space = memchr::memchr(b' ', request).ok_or("no request")?;
    let method = &request[..space];
    let rest = &request[space + 1..];
    let target = match memchr::memrchr(b' ', rest) {
        Some(end) if rest[end + 1..].starts_with(b"HTTP/") => &rest[..end],
        _ => rest,
    };
    if !is_method(method) || target.is_empty() {
        return Err("no request");
    }
    Ok((method, target))
}

fn three_digits(text: &[u8]) -> Option<u16> {
    match text {
        [a, b, c] if a.is_ascii_digit() && b.is_ascii_digit() && c.is_ascii_digit() => {
            Some(u16::from(a - b'0') * 100 + u16::from(b - b'0') * 10 + u16::from(c - b'0'))
        }
        _ => None,
    }
}

/// A byte count; `-` is 0.
fn count(text: &[u8]) -> Option<u64> {
    if text == b"-" {
        return Some(0);
    }
    if text.is_empty() || text.len() > 19 || !text.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(text.iter().fold(0, |n, b| n * 10 + u64::from(b - b'0')))
}

/// "12.345" as whole seconds and the fraction's digits in microseconds.
fn seconds_number(text: &[u8]) -> Option<(i64, u64)> {
    let (whole, fraction) = match memchr::memchr(b'.', text) {
        Some(dot) => (&text[..dot], &text[dot + 1..]),
        None => (text, &b""[..]),
    };
    if whole.is_empty() || whole.len() > 12 || !whole.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if !fraction.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let seconds = whole.iter().fold(0i64, |n, b| n * 10 + i64::from(b - b'0'));
    let mut micros = 0u64;
    for position in 0..6 {
        micros = micros * 10 + fraction.get(position).map_or(0, |b| u64::from(b - b'0'));
    }
    Some((seconds, micros))
}

fn micros(seconds: i64, fraction_micros: u64) -> u64 {
    (seconds.max(0) as u64) * 1_000_000 + fraction_micros
}

/// The first of "a, b, c" (proxies list several upstream times or addresses).
fn first_of_list(text: &[u8]) -> &[u8] {
    let end = memchr::memchr(b',', text).unwrap_or(text.len());
    let value = &text[..end];
    let start = value.iter().take_while(|b| **b == b' ').count();
    &value[start..]
}

fn two(text: &[u8], at: usize) -> Option<i64> {
    let (a, b) = (*text.get(at)?, *text.get(at + 1)?);
    (a.is_ascii_digit() && b.is_ascii_digit())
        .then(|| i64::from(a - b'0') * 10 + i64::from(b - b'0'))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's days_from_civil).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

fn checked_seconds(
    year: i64,
    month: i64,
    day: i64,
    hour: i64,
    minute: i64,
    second: i64,
) -> Option<i64> {
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let valid = (1..=12).contains(&month)
        && (1..=month_days).contains(&day)
        && (0..=23).contains(&hour)
        && (0..=59).contains(&minute)
        && (0..=60).contains(&second)
        && (1970..=9999).contains(&year);
    valid.then(|| days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// "10/Oct/2000:13:55:36 -0700" (nginx's $time_local, Apache's %t, Gunicorn's %(t)s).
fn time_local(text: &[u8]) -> Option<i64> {
    if text.len() != 26
        || text[2] != b'/'
        || text[6] != b'/'
        || text[11] != b':'
        || text[20] != b' '
    {
        return None;
    }
    const MONTHS: [&[u8; 3]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let month = MONTHS.iter().position(|name| text[3..6] == name[..])? as i64 + 1;
    let year = two(text, 7)? * 100 + two(text, 9)?;
    let local = checked_seconds(
        year,
        month,
        two(text, 0)?,
        two(text, 12)?,
        two(text, 15)?,
        two(text, 18)?,
    )?;
    Some(local - offset(&text[21..])?)
}

/// "+0200" or "-07:00" in seconds east of UTC.
fn offset(text: &[u8]) -> Option<i64> {
    let sign = match text.first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let minutes_at = if text.get(3) == Some(&b':') { 4 } else { 3 };
    let expected = minutes_at + 2;
    if text.len() != expected {
        return None;
    }
    Some(sign * (two(text, 1)? * 3600 + two(text, minutes_at)? * 60))
}

/// "2026-11-20T10:15:00+00:00" (nginx's $time_iso8601); "Z" is accepted too.
fn time_iso(text: &[u8]) -> Option<i64> {
    if text.len() < 20
        || text[4] != b'-'
        || text[7] != b'-'
        || text[10] != b'T'
        || text[13] != b':'
        || text[16] != b':'
    {
        return None;
    }
    let year = two(text, 0)? * 100 + two(text, 2)?;
    let local = checked_seconds(
        year,
        two(text, 5)?,
        two(text, 8)?,
        two(text, 11)?,
        two(text, 14)?,
        two(text, 17)?,
    )?;
    let mut zone = &text[19..];
    if zone.first() == Some(&b'.') {
        let digits = zone[1..].iter().take_while(|b| b.is_ascii_digit()).count();
        zone = &zone[1 + digits..];
    }
    match zone {
        b"Z" => Some(local),
        zone => Some(local - offset(zone)?),
    }
}

/// Caddy's JSON access log (Caddy 2: `ts` in float Unix seconds by default, `duration` in
/// float seconds, `size` in bytes; see caddyserver.com/docs/caddyfile/directives/log).
fn caddy(line: &[u8]) -> Result<Hit<'_>, &'static str> {
    #[derive(serde::Deserialize)]
    struct Entry<'a> {
        ts: Option<serde_json::Value>,
        #[serde(borrow)]
        request: Option<Request<'a>>,
        status: Option<u16>,
        size: Option<u64>,
        duration: Option<f64>,
    }
    #[derive(serde::Deserialize)]
    struct Request<'a> {
        #[serde(borrow)]
        method: Cow<'a, str>,
        #[serde(borrow)]
        uri: Cow<'a, str>,
        #[serde(borrow, default)]
        remote_ip: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        client_ip: Option<Cow<'a, str>>,
        #[serde(borrow, default)]
        headers: Option<std::collections::HashMap<Cow<'a, str>, Vec<Cow<'a, str>>>>,
    }
    let entry: Entry<'_> = serde_json::from_slice(line).map_err(|_| "not a JSON access entry")?;
    let request = entry.request.ok_or("not a request entry")?;
    let at = match entry.ts {
        Some(serde_json::Value::Number(number)) => number
            .as_f64()
            .filter(|ts| ts.is_finite() && *ts >= 0.0 && *ts < 253_402_300_800.0)
            .map(|ts| ts.floor() as i64),
        Some(serde_json::Value::String(text)) => time_iso(text.as_bytes()),
        _ => None,
    }
    .ok_or("bad time")?;
    let status = entry
        .status
        .filter(|s| (100..=999).contains(s))
        .ok_or("bad status")?;
    if request.method.is_empty() || request.uri.is_empty() {
        return Err("no request");
    }
    let user_agent = request
        .headers
        .and_then(|mut headers| {
            let key = headers
                .keys()
                .find(|key| key.eq_ignore_ascii_case("user-agent"))?
                .clone();
            headers.remove(&key)?.into_iter().next()
        })
        .unwrap_or(Cow::Borrowed(""));
    Ok(Hit {
        at,
        method: request.method,
        target: request.uri,
        status,
        bytes: entry.size.unwrap_or(0),
        response_us: entry
            .duration
            .filter(|d| d.is_finite() && *d >= 0.0 && *d < 1e9)
            .map(|d| (d * 1e6).round() as u64),
        client: request
            .client_ip
            .filter(|ip| !ip.is_empty())
            .or(request.remote_ip)
            .unwrap_or(Cow::Borrowed("")),
        user_agent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(format: LogFormat, line: &str) -> Result<Hit<'_>, &'static str> {
        Parser::new(&format)
            .unwrap()
            .parse(line.as_bytes())
            .map(|hit| {
                // Borrowing the parser only for the call: copy out.
                Hit {
                    method: Cow::Owned(hit.method.into_owned()),
                    target: Cow::Owned(hit.target.into_owned()),
                    client: Cow::Owned(hit.client.into_owned()),
                    user_agent: Cow::Owned(hit.user_agent.into_owned()),
                    ..hit
                }
            })
    }

    #[test]
    fn combined_lines_give_every_field() {
        let hit = parse(
            LogFormat::Combined,
            r#"203.0.113.5 - alice [10/Oct/2000:13:55:36 -0700] "GET /sample?page=2 HTTP/1.1" 200 2326 "http://example.org/" "Mozilla/5.0 (X11)""#,
        )
        .unwrap();
        // 2000-10-10 13:55:36 at -07:00 is 20:55:36 UTC: 971211336.
        assert_eq!(hit.at, 971_211_336);
        assert_eq!(hit.method, "GET");
        assert_eq!(hit.target, "/sample?page=2");
        assert_eq!(hit.status, 200);
        assert_eq!(hit.bytes, 2326);
        assert_eq!(hit.client, "203.0.113.5");
        assert_eq!(hit.user_agent, "Mozilla/5.0 (X11)");
        assert_eq!(hit.response_us, None);
    }

    #[test]
    fn common_gunicorn_and_escaped_quotes() {
        let hit = parse(
            LogFormat::Common,
            r#"192.0.2.1 - - [20/Nov/2026:08:00:00 +0100] "DELETE /api/items/7 HTTP/1.0" 204 -"#,
        )
        .unwrap();
        assert_eq!((hit.at, hit.status, hit.bytes), (1_795_158_000, 204, 0));
        let hit = parse(
            LogFormat::Gunicorn,
            r#"127.0.0.1 - - [20/Nov/2026:14:00:00 +0000] "GET /update-forecast HTTP/1.0" 200 14 "-" "curl/8.0""#,
        )
        .unwrap();
        assert_eq!(
            (hit.target.as_ref(), hit.user_agent.as_ref()),
            ("/update-forecast", "curl/8.0")
        );
        // Apache escapes a quote inside a field as \".
        let hit = parse(
            LogFormat::Combined,
            r#"192.0.2.1 - - [20/Nov/2026:14:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "say \"hi\" bot""#,
        )
        .unwrap();
        assert_eq!(hit.user_agent, r#"say \"hi\" bot"#);
    }

    #[test]
    fn nginx_format_strings_with_times_and_iso_dates() {
        let format = LogFormat::from_parts(
            "nginx",
            r#"$remote_addr [$time_iso8601] "$request" $status $body_bytes_sent $request_time $upstream_response_time "$http_user_agent""#,
        )
        .unwrap();
        let hit = parse(
            format,
            r#"198.51.100.1 [2026-11-20T09:00:00+02:00] "POST /predict HTTP/2.0" 502 0 2.005 1.500, 0.480 "Mozilla/5.0""#,
        )
        .unwrap();
        assert_eq!(hit.at, 1_795_158_000, "07:00 UTC");
        assert_eq!(hit.response_us, Some(2_005_000));
        assert_eq!(hit.status, 502);
        let combined = LogFormat::from_parts("nginx", COMBINED).unwrap();
        let line = r#"203.0.113.5 - - [20/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0""#;
        assert_eq!(parse(combined, line), parse(LogFormat::Combined, line));
        for (bad, says) in [
            ("$remote_addr $status", "no time"),
            ("[$time_local] $request", "no $status"),
            ("[$time_local] $status", "no request"),
            ("[$time_local]$status$request", "follows another variable"),
        ] {
            let error = LogFormat::from_parts("nginx", bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
        assert!(LogFormat::from_parts("apache", "")
            .unwrap_err()
            .contains("combined"));
    }

    #[test]
    fn garbage_is_rejected_with_a_reason_never_a_panic() {
        let mut parser = Parser::new(&LogFormat::Combined).unwrap();
        for (line, reason) in [
            (&br#"203.0.113.9 - - [20/Nov/2026:13:00:00 +0000] "\x16\x03\x01\x00\xfc" 400 157 "-" "-""#[..], "no request"),
            (br#"203.0.113.9 - - [20/Nov/2026:13:00:00 +0000] "-" 400 0 "-" "-""#, "no request"),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", "does not match the format"),
            (br#"192.0.2.1 - - [20/Nov/2026:08:00:02 +0000] "GET /trunc"#, "does not match the format"),
            (b"192.0.2.1 - - [20/Nov/2026:08:00:03 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 1 \"-\" \"x\"", "not UTF-8"),
            (br#"192.0.2.1 - - [31/Feb/2026:08:00:03 +0000] "GET / HTTP/1.1" 200 1 "-" "x""#, "bad time"),
            (br#"192.0.2.1 - - [20/Nov/2026:08:00:03 +0000] "GET / HTTP/1.1" 2000 1 "-" "x""#, "bad status"),
            (b"", "empty line"),
        ] {
            assert_eq!(parser.parse(line).unwrap_err(), reason, "{}", String::from_utf8_lossy(line));
        }
        let long = vec![b'a'; MAX_LINE + 1];
        assert_eq!(parser.parse(&long).unwrap_err(), "longer than 64 KiB");
    }

    #[test]
    fn caddy_entries() {
        let line = r#"{"level":"info","ts":1795687200.5,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.10","client_ip":"192.0.2.11","method":"GET","uri":"/docs?x=1","headers":{"User-Agent":["Mozilla/5.0"]}},"duration":0.0042,"size":5120,"status":200}"#;
        let hit = parse(LogFormat::Caddy, line).unwrap();
        assert_eq!((hit.at, hit.status, hit.bytes), (1_795_687_200, 200, 5120));
        assert_eq!(hit.response_us, Some(4200));
        assert_eq!(
            (hit.client.as_ref(), hit.user_agent.as_ref()),
            ("192.0.2.11", "Mozilla/5.0")
        );
        assert_eq!(
            parse(
                LogFormat::Caddy,
                r#"{"level":"info","ts":1795687270.0,"msg":"server running"}"#
            )
            .unwrap_err(),
            "not a request entry"
        );
        assert_eq!(
            parse(LogFormat::Caddy, "{not json").unwrap_err(),
            "not a JSON access entry"
        );
    }

    #[test]
    fn time_zones_and_calendar() {
        assert_eq!(time_local(b"01/Jan/1970:00:00:00 +0000"), Some(0));
        assert_eq!(
            time_local(b"29/Feb/2024:12:00:00 +0000"),
            Some(1_709_208_000)
        );
        assert_eq!(
            time_local(b"01/Jan/2026:00:30:00 +0130"),
            Some(1_767_225_600 - 3600)
        );
        assert_eq!(time_iso(b"2026-01-01T00:00:00Z"), Some(1_767_225_600));
        assert_eq!(
            time_iso(b"2026-01-01T00:00:00.250-01:00"),
            Some(1_767_229_200)
        );
        assert_eq!(time_local(b"01/Foo/2026:00:30:00 +0130"), None);
    }
}
