//! Hits folded into the cells the database keeps: per hour (and day) × route × method ×
//! status class × bot, with bytes, a response-time histogram and unique-visitor sketches.
//! A batch is built on one thread from a chunk of lines, then written in one transaction
//! together with the position it reached.

use std::collections::HashMap;

use super::histogram::Histogram;
use super::parse::Hit;
use super::route::{is_bot, RouteRules};
use super::sketch::Visitors;

pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;
/// Rejected lines kept as samples per batch (the store keeps a few per source).
const SAMPLES: usize = 5;
/// Sample lines are clipped to this many characters.
const SAMPLE_CHARS: usize = 300;
/// Targets remembered with their route; beyond this the memo starts again, so a log of
/// unique URLs costs memory bounded by the batch, not by the file.
const MEMO_LIMIT: usize = 50_000;

/// The methods counted by name; anything else (garbage, WebDAV) is "OTHER", so a broken
/// client cannot create unbounded keys.
const METHODS: [&str; 9] = [
    "GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE",
];
const OTHER_METHOD: u8 = METHODS.len() as u8;

pub fn method_name(index: u8) -> &'static str {
    METHODS.get(usize::from(index)).copied().unwrap_or("OTHER")
}

fn method_index(method: &str) -> u8 {
    METHODS
        .iter()
        .position(|known| *known == method)
        .map_or(OTHER_METHOD, |index| index as u8)
}

/// 2 for 2xx and so on; 0 for a status outside 100..=599.
pub fn status_class(status: u16) -> u8 {
    match status {
        100..=599 => (status / 100) as u8,
        _ => 0,
    }
}

/// A rejected line as kept for the page, with IP addresses masked: addresses are never
/// stored, not even in samples. IPv4 is four dotted numbers; IPv6 a run of hex digits and
/// colons with `::` or at least five colons (so times like 10:15:00 stay).
pub fn mask_addresses(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    while at < chars.len() {
        let run_end = |allowed: &dyn Fn(char) -> bool| {
            let mut end = at;
            while end < chars.len() && allowed(chars[end]) {
                end += 1;
            }
            end
        };
        let v4_end = run_end(&|c: char| c.is_ascii_digit() || c == '.');
        let v4: String = chars[at..v4_end].iter().collect();
        let parts: Vec<&str> = v4.trim_end_matches('.').split('.').collect();
        if parts.len() == 4 && parts.iter().all(|p| !p.is_empty() && p.len() <= 3) {
            out.push_str("x.x.x.x");
            at += v4.trim_end_matches('.').chars().count();
            continue;
        }
        let v6_end = run_end(&|c: char| c.is_ascii_hexdigit() || c == ':');
        let v6: String = chars[at..v6_end].iter().collect();
        if v6.len() >= 3 && (v6.contains("::") || v6.matches(':').count() >= 5) {
            out.push_str("x:x::x");
            at = v6_end;
            continue;
        }
        // Not an address here: copy up to the next character that could start one.
        out.push(chars[at]);
        at += 1;
        while at < chars.len() && chars[at - 1].is_ascii_hexdigit() && chars[at].is_ascii_hexdigit()
        {
            out.push(chars[at]);
            at += 1;
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CellKey {
    /// Start of the hour, Unix seconds.
    pub hour: i64,
    /// Index into [`Batch::routes`].
    pub route: u32,
    pub method: u8,
    pub status_class: u8,
    pub bot: bool,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Cell {
    pub requests: u64,
    pub bytes: u64,
    /// None until a hit with a response time arrives.
    pub response: Option<Histogram>,
}

impl Cell {
    pub fn merge(&mut self, other: &Cell) {
        self.requests += other.requests;
        self.bytes += other.bytes;
        if let Some(theirs) = &other.response {
            self.response
                .get_or_insert_with(Histogram::default)
                .merge(theirs);
        }
    }
}

/// What a chunk of lines produced.
#[derive(Default)]
pub struct Batch {
    pub routes: Vec<String>,
    route_ids: HashMap<String, u32>,
    /// Target as logged → route id: most targets repeat, and routing is the costly part.
    memo: HashMap<Box<str>, u32>,
    /// User agent → bot or not: a few dozen agents make most lines.
    bots: HashMap<Box<str>, bool>,
    pub cells: HashMap<CellKey, Cell>,
    /// Unique visitors (not bots) per day start.
    pub visitors: HashMap<i64, Visitors>,
    pub lines: u64,
    pub rejected: u64,
    /// (reason, clipped line) of the first few rejected lines.
    pub samples: Vec<(String, String)>,
    /// The format logs no user agent: no hit can be told to be a bot, so all count as
    /// people (an empty agent otherwise marks a bot).
    pub agentless: bool,
}

impl Batch {
    pub fn add(&mut self, hit: &Hit<'_>, rules: &RouteRules, salt: &[u8; 16]) {
        self.lines += 1;
        let route = self.route_id(&hit.target, rules);
        let bot = !self.agentless && self.is_bot(&hit.user_agent);
        let key = CellKey {
            hour: hit.at - hit.at.rem_euclid(HOUR),
            route,
            method: method_index(&hit.method),
            status_class: status_class(hit.status),
            bot,
        };
        let cell = self.cells.entry(key).or_default();
        cell.requests += 1;
        cell.bytes += hit.bytes;
        if let Some(micros) = hit.response_us {
            cell.response
                .get_or_insert_with(Histogram::default)
                .record(micros);
        }
        if !bot {
            self.visitors
                .entry(hit.at - hit.at.rem_euclid(DAY))
                .or_default()
                .insert(salt, &hit.client, &hit.user_agent);
        }
    }

    pub fn reject(&mut self, line: &[u8], reason: &str) {
        self.lines += 1;
        self.rejected += 1;
        if self.samples.len() < SAMPLES {
            let text: String = String::from_utf8_lossy(line)
                .chars()
                .map(|c| if c.is_control() { '\u{fffd}' } else { c })
                .take(SAMPLE_CHARS)
                .collect();
            self.samples
                .push((reason.to_owned(), mask_addresses(&text)));
        }
    }

    fn is_bot(&mut self, user_agent: &str) -> bool {
        if let Some(bot) = self.bots.get(user_agent) {
            return *bot;
        }
        let bot = is_bot(user_agent);
        if self.bots.len() >= MEMO_LIMIT {
            self.bots.clear();
        }
        self.bots.insert(user_agent.into(), bot);
        bot
    }

    fn route_id(&mut self, target: &str, rules: &RouteRules) -> u32 {
        if let Some(id) = self.memo.get(target) {
            return *id;
        }
        let route = rules.route(target);
        let id = match self.route_ids.get(&route) {
            Some(id) => *id,
            None => {
                let id = self.routes.len() as u32;
                self.routes.push(route.clone());
                self.route_ids.insert(route, id);
                id
            }
        };
        if self.memo.len() >= MEMO_LIMIT {
            self.memo.clear();
        }
        self.memo.insert(target.into(), id);
        id
    }

    pub fn route(&self, key: &CellKey) -> &str {
        &self.routes[key.route as usize]
    }

    /// The cells summed per day, for the daily table.
    pub fn days(&self) -> HashMap<CellKey, Cell> {
        let mut days: HashMap<CellKey, Cell> = HashMap::new();
        for (key, cell) in &self.cells {
            let day = CellKey {
                hour: key.hour - key.hour.rem_euclid(DAY),
                ..*key
            };
            days.entry(day).or_default().merge(cell);
        }
        days
    }

    /// Requests counted (not rejected) in this batch.
    pub fn requests(&self) -> u64 {
        self.lines - self.rejected
    }
}

#[cfg(test)]
mod tests {
    use super::mask_addresses;

    #[test]
    fn samples_keep_no_address() {
        assert_eq!(
            mask_addresses(r#"203.0.113.9 - - [20/Nov/2026:13:00:00 +0000] "\x16\x03" 400"#),
            r#"x.x.x.x - - [20/Nov/2026:13:00:00 +0000] "\x16\x03" 400"#
        );
        assert_eq!(
            mask_addresses(r#"{"remote_ip":"2001:db8::1","ts":1.5}"#),
            r#"{"remote_ip":"x:x::x","ts":1.5}"#
        );
        assert_eq!(
            mask_addresses("GET /v1.2.3 and 10.0.0.1."),
            "GET /v1.2.3 and x.x.x.x."
        );
        assert_eq!(mask_addresses("fe80:0:0:0:0:0:0:1 ok"), "x:x::x ok");
    }
}
