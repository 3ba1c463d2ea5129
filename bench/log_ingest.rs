//! Access-log ingest side by side with GoAccess 1.7 (Debian's `goaccess`), in one run on
//! the same file (issue: parse + aggregate on one core at 10x GoAccess or more, about 1M
//! lines/s; memory that does not grow with the file; re-reading an unchanged file costs
//! near nothing; per-route totals that agree).
//!
//! It writes a combined log of LINES lines (30 days, 120 routes with ids, 4xx/5xx, bots),
//! then measures:
//! - caretaker's parse + aggregate alone, on one thread, without the database;
//! - the same over a file three times as long, for the memory high-water mark;
//! - a whole `logs import` into SQLite, then the same import again (nothing new);
//! - `goaccess FILE --log-format=COMBINED -o report.json`, with its user CPU time.
//!
//! Then it compares the per-route totals of both (GoAccess's URLs normalised with
//! caretaker's own rules, its requests, static-requests and not-found panels summed).
//!
//! Run: `cargo bench -p server --bench log_ingest` (needs `goaccess` on PATH). The figures
//! go to docs/performance.md.

#[path = "../server/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::time::Instant;

use app::analytics::aggregate::Batch;
use app::analytics::ingest;
use app::analytics::parse::{LogFormat, Parser};
use app::analytics::route::RouteRules;
use app::analytics::{service, LogSource};
use app::audit::service::Actor;
use common::{test_app, LOCAL_DOCKER};

const LINES: u64 = 1_000_000;

/// A deterministic combined log: `lines` requests over 30 days of November 2026.
fn write_log(path: &Path, lines: u64) {
    let agents = [
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Safari/605.1.15",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:120.0) Gecko/20100101 Firefox/120.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "python-requests/2.31.0",
    ];
    let months = "Nov";
    let mut file = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).unwrap());
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for n in 0..lines {
        let r = next();
        // Spread evenly over 30 days, in order (logs are written in time order).
        let second = n * 30 * 86_400 / lines;
        let (day, rest) = (1 + second / 86_400, second % 86_400);
        let route = match r % 12 {
            0 => "/".to_owned(),
            1 => format!("/sample/{}", (r >> 8) % 500),
            2 => format!("/sample/{}/related", (r >> 8) % 500),
            3 => "/sample/matrix".to_owned(),
            4 => format!("/api/v1/items/{}?page={}", (r >> 8) % 300, (r >> 20) % 5),
            5 => format!(
                "/static/app.{}.js",
                ["3f9a2c1b", "77aa01de"][((r >> 8) % 2) as usize]
            ),
            6 => "/static/style.css".to_owned(),
            7 => format!(
                "/users/{:08x}-aaaa-4bbb-8ccc-{:012x}",
                (r >> 8) % 200,
                (r >> 16) % 200
            ),
            8 => "/update-forecast".to_owned(),
            9 => format!("/docs/page{}", (r >> 8) % 40),
            10 => "/favicon.ico".to_owned(),
            _ => format!("/api/v1/search?q=term{}", (r >> 8) % 1000),
        };
        let status = match (r >> 40) % 50 {
            0..=2 => 404,
            3 => 500,
            4 => 302,
            _ => 200,
        };
        let method = if (r >> 48) % 10 == 0 { "POST" } else { "GET" };
        writeln!(
            file,
            "10.{}.{}.{} - - [{day:02}/{months}/2026:{:02}:{:02}:{:02} +0000] \"{method} {route} HTTP/1.1\" {status} {} \"https://example.org/\" \"{}\"",
            (r >> 24) % 4,
            (r >> 32) % 256,
            (r >> 36) % 256,
            rest / 3600,
            (rest / 60) % 60,
            rest % 60,
            (r >> 12) % 20_000,
            agents[((r >> 52) % agents.len() as u64) as usize]
        )
        .unwrap();
    }
}

/// Peak resident memory of this process so far, in MiB.
fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|rest| {
            rest.trim()
                .trim_end_matches("kB")
                .trim()
                .parse::<f64>()
                .ok()
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

/// Resets the high-water mark (Linux: writing 5 to clear_refs).
fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

/// Parses and aggregates a whole file on this thread, batches merged as the database
/// would; (lines, seconds, requests per route).
fn parse_only(path: &Path) -> (u64, f64, BTreeMap<String, u64>) {
    let file = ingest::identify(path).unwrap().unwrap();
    let mut parser = Parser::new(&LogFormat::Combined).unwrap();
    let rules = RouteRules::new("").unwrap();
    let salt = [7u8; 16];
    let mut lines = 0;
    let mut routes: BTreeMap<String, u64> = BTreeMap::new();
    let started = Instant::now();
    ingest::read_file(&file, 0, true, &mut parser, &rules, &salt, |chunk| {
        let batch: &Batch = &chunk.batch;
        lines += batch.lines;
        for (key, cell) in &batch.cells {
            *routes.entry(batch.route(key).to_owned()).or_default() += cell.requests;
        }
        true
    })
    .unwrap();
    (lines, started.elapsed().as_secs_f64(), routes)
}

/// Runs GoAccess on the file; (seconds of wall time, seconds of user+system CPU, report).
fn goaccess(path: &Path, report: &Path) -> (f64, f64, serde_json::Value) {
    let started = Instant::now();
    let before = children_cpu();
    let output = Command::new("goaccess")
        .arg(path)
        // JSON panels list at most 366 items unless told otherwise.
        .args([
            "--log-format=COMBINED",
            "--no-global-config",
            "--max-items=1000000",
            "-o",
        ])
        .arg(report)
        .output()
        .expect("goaccess is installed (apt-get install goaccess)");
    assert!(
        output.status.success(),
        "goaccess failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let wall = started.elapsed().as_secs_f64();
    let cpu = children_cpu() - before;
    let json = serde_json::from_slice(&std::fs::read(report).unwrap()).unwrap();
    (wall, cpu, json)
}

/// CPU seconds (user + system) of this process's reaped children, from /proc/self/stat
/// (cutime and cstime, in clock ticks of 1/100 s on Linux).
fn children_cpu() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // cutime and cstime are fields 16 and 17 of the line; field 3 (the state) is index 0 here.
    let ticks = |index: usize| {
        fields
            .get(index)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(13) + ticks(14)) / 100.0
}

/// GoAccess's hits per URL in the panels that hold requests, normalised to routes.
fn goaccess_routes(report: &serde_json::Value, rules: &RouteRules) -> BTreeMap<String, u64> {
    let mut routes: BTreeMap<String, u64> = BTreeMap::new();
    for panel in ["requests", "static_requests", "not_found"] {
        for item in report[panel]["data"].as_array().into_iter().flatten() {
            let url = item["data"].as_str().unwrap_or_default();
            let hits = item["hits"]["count"].as_u64().unwrap_or(0);
            *routes.entry(rules.route(url)).or_default() += hits;
        }
    }
    routes
}

#[tokio::main]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    let long_log = dir.path().join("access-3x.log");
    write_log(&log, LINES);
    write_log(&long_log, 3 * LINES);
    let size = std::fs::metadata(&log).unwrap().len();
    println!(
        "log: {LINES} lines, {:.0} MB (and one of {} lines for memory)",
        size as f64 / 1e6,
        3 * LINES
    );

    // caretaker: parse + aggregate only, one thread. Best of three (the machine is shared).
    let mut best = f64::MAX;
    let mut ours = BTreeMap::new();
    for _ in 0..3 {
        let (lines, seconds, routes) = parse_only(&log);
        assert_eq!(lines, LINES);
        best = best.min(seconds);
        ours = routes;
    }
    println!(
        "caretaker parse + aggregate, one thread: {:.2} s, {:.0} lines/s",
        best,
        LINES as f64 / best
    );
    reset_peak();
    let before = peak_rss_mib();
    parse_only(&log);
    let peak_1x = peak_rss_mib();
    reset_peak();
    parse_only(&long_log);
    let peak_3x = peak_rss_mib();
    println!(
        "peak resident memory: {before:.0} MiB before, {peak_1x:.0} MiB reading {LINES} lines, {peak_3x:.0} MiB reading {} lines",
        3 * LINES
    );

    // caretaker: the whole import into SQLite, then again with nothing new.
    let app = test_app(LOCAL_DOCKER).await;
    let actor = Actor {
        user_id: None,
        name: "bench".into(),
        address: String::new(),
    };
    let id = service::add_source(
        &app.state,
        &actor,
        &LogSource {
            name: "bench".into(),
            format: "combined".into(),
            ..LogSource::default()
        },
    )
    .await
    .unwrap();
    let source = service::source(&app.state, id).await.unwrap();
    let started = Instant::now();
    let report = service::import_files(&app.state, &source, std::slice::from_ref(&log), &|_| {})
        .await
        .unwrap();
    let import = started.elapsed().as_secs_f64();
    println!(
        "caretaker logs import into SQLite: {import:.2} s, {:.0} lines/s ({} lines)",
        report.lines as f64 / import,
        report.lines
    );
    let started = Instant::now();
    let again = service::import_files(&app.state, &source, std::slice::from_ref(&log), &|_| {})
        .await
        .unwrap();
    println!(
        "the same import again (unchanged file): {:.1} ms, {} lines read",
        started.elapsed().as_secs_f64() * 1000.0,
        again.lines
    );

    // GoAccess on the same file.
    let (wall, cpu, report) = goaccess(&log, &dir.path().join("report.json"));
    let version = Command::new("goaccess")
        .arg("--version")
        .output()
        .map(|output| {
            String::from_utf8_lossy(&output.stdout)
                .lines()
                .next()
                .unwrap_or_default()
                .to_owned()
        })
        .unwrap_or_default();
    println!(
        "{version}: {wall:.2} s wall, {cpu:.2} s CPU, {:.0} lines/s",
        LINES as f64 / wall
    );
    println!(
        "caretaker parse + aggregate is {:.1}x GoAccess's throughput",
        wall / best
    );

    // Do they agree?
    let rules = RouteRules::new("").unwrap();
    let theirs = goaccess_routes(&report, &rules);
    let total_theirs: u64 = theirs.values().sum();
    let total_ours: u64 = ours.values().sum();
    println!(
        "requests counted: caretaker {total_ours}, GoAccess {total_theirs} (general.valid_requests {})",
        report["general"]["valid_requests"]
    );
    let mut differing = 0;
    for route in ours
        .keys()
        .chain(theirs.keys())
        .collect::<std::collections::BTreeSet<_>>()
    {
        let (a, b) = (
            ours.get(route).copied().unwrap_or(0),
            theirs.get(route).copied().unwrap_or(0),
        );
        if a != b {
            differing += 1;
            if differing <= 10 {
                println!("  differs: {route}: caretaker {a}, GoAccess {b}");
            }
        }
    }
    println!(
        "per-route totals: {} routes, {differing} differ",
        ours.len().max(theirs.len())
    );
    println!("top routes (caretaker / GoAccess):");
    let mut top: Vec<(&String, &u64)> = ours.iter().collect();
    top.sort_by(|a, b| b.1.cmp(a.1));
    for (route, count) in top.into_iter().take(8) {
        println!(
            "  {route:<28} {count:>8} / {:>8}",
            theirs.get(route).copied().unwrap_or(0)
        );
    }
}
