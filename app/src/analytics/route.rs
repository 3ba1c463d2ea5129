//! Request targets into routes, and bots. Depends on std only (the fuzz target includes
//! this file).
//!
//! Built-in normalisation: the query and fragment are dropped; a path segment that is a
//! number, a UUID, a hex id (8 or more hex digits with at least one digit) or a long token
//! (20 or more letters and digits mixed) becomes `:id`; empty segments (`//`) go. Admin
//! patterns, one per line (`/users/:name`, `/static/*`), then group what they match under
//! the pattern's own text.

/// Routes are cut to this many bytes, so unique URLs cannot make unbounded rows.
pub const MAX_ROUTE: usize = 200;

#[derive(Clone, Debug, PartialEq, Eq)]
enum Part {
    Literal(String),
    /// `:name`: any one segment.
    Any,
    /// A final `*`: any rest, even nothing.
    Rest,
}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Pattern {
    text: String,
    parts: Vec<Part>,
}

/// Admin-defined patterns on top of the built-in normalisation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RouteRules {
    patterns: Vec<Pattern>,
}

impl RouteRules {
    /// One pattern per line, like `/users/:name` or `/static/*`.
    pub fn new(patterns: &str) -> Result<Self, String> {
        let mut parsed = Vec::new();
        for (index, line) in patterns.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let number = index + 1;
            if !line.starts_with('/') {
                return Err(format!(
                    "line {number}: “{line}” must start with /, like /users/:name."
                ));
            }
            if line.len() > MAX_ROUTE {
                return Err(format!(
                    "line {number}: a pattern has at most {MAX_ROUTE} characters."
                ));
            }
            let segments: Vec<&str> = line[1..].split('/').filter(|s| !s.is_empty()).collect();
            let mut parts = Vec::new();
            for (position, segment) in segments.iter().enumerate() {
                let part = if *segment == "*" {
                    if position + 1 != segments.len() {
                        return Err(format!(
                            "line {number}: * may only end a pattern, like /static/*."
                        ));
                    }
                    Part::Rest
                } else if let Some(name) = segment.strip_prefix(':') {
                    if name.is_empty() {
                        return Err(format!(
                            "line {number}: name the segment after the colon, like :id."
                        ));
                    }
                    Part::Any
                } else if segment.contains('*') {
                    return Err(format!(
                        "line {number}: * stands for a whole rest of the path, like /static/*."
                    ));
                } else {
                    Part::Literal((*segment).to_owned())
                };
                parts.push(part);
            }
            parsed.push(Pattern {
                text: line.to_owned(),
                parts,
            });
        }
        Ok(Self { patterns: parsed })
    }

    /// The route of a request target: query dropped, ids replaced by `:id`, patterns applied.
    pub fn route(&self, target: &str) -> String {
        let path = target.split(['?', '#']).next().unwrap_or_default();
        // A proxy-style absolute URL ("GET http://host/path"): keep its path.
        let path = match path.find("://") {
            Some(scheme) if !path.starts_with('/') => {
                let after = &path[scheme + 3..];
                after.find('/').map_or("/", |slash| &after[slash..])
            }
            _ => path,
        };
        let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        for pattern in &self.patterns {
            if matches(&pattern.parts, &segments) {
                return pattern.text.clone();
            }
        }
        let mut route = String::with_capacity(path.len().min(MAX_ROUTE) + 1);
        for segment in &segments {
            route.push('/');
            if is_id(segment) {
                route.push_str(":id");
            } else {
                route.push_str(segment);
            }
            if route.len() >= MAX_ROUTE {
                break;
            }
        }
        if route.is_empty() {
            route.push('/');
        }
        if route.len() > MAX_ROUTE {
            let mut cut = MAX_ROUTE;
            while !route.is_char_boundary(cut) {
                cut -= 1;
            }
            route.truncate(cut);
        }
        route
    }
}

fn matches(parts: &[Part], segments: &[&str]) -> bool {
    match (parts.first(), segments.first()) {
        (None, None) => true,
        (Some(Part::Rest), _) => true,
        (Some(Part::Any), Some(_)) => matches(&parts[1..], &segments[1..]),
        (Some(Part::Literal(literal)), Some(segment)) => {
            literal == segment && matches(&parts[1..], &segments[1..])
        }
        _ => false,
    }
}

/// Numbers, UUIDs, hex ids and long mixed tokens.
fn is_id(segment: &str) -> bool {
    let bytes = segment.as_bytes();
    if bytes.iter().all(u8::is_ascii_digit) {
        return true;
    }
    let is_uuid = bytes.len() == 36
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            8 | 13 | 18 | 23 => *byte == b'-',
            _ => byte.is_ascii_hexdigit(),
        });
    if is_uuid {
        return true;
    }
    let has_digit = bytes.iter().any(u8::is_ascii_digit);
    if bytes.len() >= 8 && has_digit && bytes.iter().all(u8::is_ascii_hexdigit) {
        return true;
    }
    let has_letter = bytes.iter().any(u8::is_ascii_alphabetic);
    bytes.len() >= 20
        && has_digit
        && has_letter
        && bytes
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || *b == b'-' || *b == b'_')
}

/// Whether a user agent is a bot (crawler, monitor, script). Empty or `-` ones count as
/// bots: browsers always send one.
pub fn is_bot(user_agent: &str) -> bool {
    const MARKERS: [&str; 18] = [
        "bot",
        "crawl",
        "spider",
        "slurp",
        "curl/",
        "wget/",
        "python-requests",
        "python-urllib",
        "go-http-client",
        "headlesschrome",
        "uptimerobot",
        "uptime-kuma",
        "httpclient",
        "okhttp",
        "libwww",
        "java/",
        "facebookexternalhit",
        "monitor",
    ];
    let agent = user_agent.trim();
    if agent.is_empty() || agent == "-" {
        return true;
    }
    let lower = agent.to_ascii_lowercase();
    MARKERS.iter().any(|marker| lower.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_become_a_placeholder() {
        let rules = RouteRules::default();
        for (target, route) in [
            ("/", "/"),
            ("", "/"),
            ("/sample?page=2", "/sample"),
            ("/sample/1234", "/sample/:id"),
            ("/sample/5678/related#top", "/sample/:id/related"),
            ("/users/550e8400-e29b-41d4-a716-446655440000", "/users/:id"),
            ("/commit/3f9a2c1b7e", "/commit/:id"),
            ("/static/app.3f9a2c1b.js", "/static/app.3f9a2c1b.js"),
            ("/deadbeef", "/deadbeef"),
            ("/t/aB3dE5fG7hJ9kL1mN3pQ5", "/t/:id"),
            ("//double//slash/", "/double/slash"),
            ("http://example.org/proxy/7", "/proxy/:id"),
            ("/route3/12", "/route3/:id"),
        ] {
            assert_eq!(rules.route(target), route, "{target}");
        }
        let long = format!("/{}", "a/".repeat(300));
        assert!(rules.route(&long).len() <= MAX_ROUTE);
    }

    #[test]
    fn admin_patterns_group_routes() {
        let rules = RouteRules::new("/users/:name\n\n/static/*\n/api/:version/items").unwrap();
        assert_eq!(rules.route("/users/alice"), "/users/:name");
        assert_eq!(rules.route("/users/alice/posts"), "/users/alice/posts");
        assert_eq!(rules.route("/static/css/site.css"), "/static/*");
        assert_eq!(rules.route("/static"), "/static/*");
        assert_eq!(rules.route("/api/v2/items?x"), "/api/:version/items");
        for (bad, says) in [
            ("users/:name", "line 1"),
            ("/ok\n/static/*/more", "line 2: * may only end"),
            ("/a/:", "name the segment"),
            ("/a/b*", "whole rest"),
        ] {
            let error = RouteRules::new(bad).unwrap_err();
            assert!(error.contains(says), "{bad}: {error}");
        }
    }

    #[test]
    fn bots_are_told_apart() {
        for bot in [
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "curl/8.0.1",
            "python-requests/2.31",
            "Uptime-Kuma/2.0.0",
            "",
            "-",
        ] {
            assert!(is_bot(bot), "{bot}");
        }
        for person in [
            "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X)",
        ] {
            assert!(!is_bot(person), "{person}");
        }
    }
}
