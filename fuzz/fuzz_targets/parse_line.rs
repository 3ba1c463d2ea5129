//! Any bytes, in every log format: the parser and the router must answer (a hit or a
//! reason), never panic. The product's own files are compiled in as they are.

#![no_main]

#[allow(dead_code)]
#[path = "../../app/src/analytics/parse.rs"]
mod parse;
#[allow(dead_code)]
#[path = "../../app/src/analytics/route.rs"]
mod route;

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let formats = [
        parse::LogFormat::Combined,
        parse::LogFormat::Common,
        parse::LogFormat::Gunicorn,
        parse::LogFormat::Caddy,
        parse::LogFormat::Nginx(
            r#"$remote_addr [$time_iso8601] "$request_method $request_uri" $status $bytes_sent $request_time $upstream_response_time "$http_user_agent" $msec"#
                .to_owned(),
        ),
    ];
    let rules = route::RouteRules::new("/users/:name\n/static/*").unwrap();
    for format in &formats {
        let mut parser = parse::Parser::new(format).unwrap();
        if let Ok(hit) = parser.parse(data) {
            let route = rules.route(&hit.target);
            assert!(route.starts_with('/') && route.len() <= route::MAX_ROUTE);
            let _ = route::is_bot(&hit.user_agent);
        }
    }
    // The input as a format string must be refused or compiled, never panic.
    if let Ok(text) = std::str::from_utf8(data) {
        if let Ok(format) = parse::LogFormat::from_parts("nginx", text) {
            let _ = parse::Parser::new(&format).map(|mut parser| parser.parse(data).is_ok());
        }
        let _ = route::RouteRules::new(text).map(|rules| rules.route(text));
    }
});
