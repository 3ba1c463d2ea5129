//! 2,000 HTTP monitors at a 60 s interval against a local target, with 90 days of
//! history: how late checks start (p50/p99/max), the process's resident memory, and the
//! server time of the monitors page, the status page and /status.json (p50/p95).
//!
//! The whole app runs in this process (router, runner, writer, SQLite on disk) with the
//! target, a minimal axum server, beside it. History is seeded straight into the rollup
//! tables (90 days of daily rows and 8 days of hourly rows per monitor) and 48 hours of
//! raw results for the first 100 monitors (the monitor pages' charts).
//! Run: `cargo bench -p server --bench monitor_runner` (MONITOR_BENCH_MINUTES=3 by
//! default). The figures go to docs/performance.md.

#[path = "../server/tests/common/mod.rs"]
mod common;

use std::time::{Duration, Instant};

use axum::routing::get;
use axum::Router;
use common::{get_as, test_app, LOCAL_DOCKER};

use app::audit::service::Actor;
use app::monitors::MonitorForm;

const MONITORS: usize = 2_000;
const PUBLISHED: usize = 100;
const RENDERS: usize = 100;

fn resident_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let kib: f64 = status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap();
    kib / 1024.0
}

/// User and system CPU time of this process so far, in seconds.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap();
    // Fields after the command name, which is in parentheses and may hold spaces.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .unwrap()
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>().unwrap() + fields[12].parse::<f64>().unwrap();
    // Linux reports these in USER_HZ, 100 on every mainstream architecture.
    ticks / 100.0
}

fn percentile(samples: &mut [f64], share: f64) -> f64 {
    samples.sort_by(f64::total_cmp);
    samples[((samples.len() as f64 * share) as usize).min(samples.len() - 1)]
}

#[tokio::main]
async fn main() {
    let minutes: u64 = std::env::var("MONITOR_BENCH_MINUTES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(3);
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let target = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let target_address = target.local_addr().unwrap();
    tokio::spawn(async move {
        let router = Router::new().route("/health", get(|| async { "ok" }));
        axum::serve(target, router).await.unwrap()
    });

    let actor = Actor {
        user_id: None,
        name: "bench".into(),
        address: "127.0.0.1".into(),
    };
    let started = Instant::now();
    for index in 0..MONITORS {
        let form = MonitorForm {
            name: format!("site-{index:04}"),
            kind: "http".to_owned(),
            target: format!("http://{target_address}/health?n={index}"),
            interval_secs: "60".to_owned(),
            published: (index < PUBLISHED).then(|| "on".to_owned()),
            public_name: format!("Service {index:04}"),
            ..MonitorForm::default()
        };
        app::monitors::service::create(&app.state, &actor, &form)
            .await
            .unwrap();
    }
    println!(
        "{MONITORS} monitors created in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    seed_history(&app.state.db).await;
    println!(
        "90 days of history seeded in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let before = resident_mib();
    let cpu_before = cpu_seconds();
    let window = Instant::now();
    tokio::spawn(app::monitors::runner::supervise(app.state.clone()));
    // The first interval spreads the starts; lateness is measured over the whole run.
    let mut rss = Vec::new();
    let until = Instant::now() + Duration::from_secs(60 * minutes);
    while Instant::now() < until {
        tokio::time::sleep(Duration::from_secs(5)).await;
        rss.push(resident_mib());
    }
    let cpu_share = (cpu_seconds() - cpu_before) / window.elapsed().as_secs_f64() * 100.0;
    let (count, p50, p99, max) = app.state.monitors.lateness();
    let checks: i64 = sqlx::query_scalar("SELECT count(*) FROM monitor_results WHERE at > ?")
        .bind(app::core::db::millis(
            chrono::Utc::now() - chrono::Duration::minutes(minutes as i64),
        ))
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    let rss_max = rss.iter().copied().fold(0.0, f64::max);
    println!(
        "runner, {minutes} min: {count} check starts, lateness p50 {p50} ms, p99 {p99} ms, max {max} ms; {checks} results stored"
    );
    println!(
        "resident memory: {before:.1} MiB before the runner, {:.1} MiB at the end, {rss_max:.1} MiB at most",
        rss.last().copied().unwrap_or(before)
    );
    println!(
        "CPU over the {minutes} min: {cpu_share:.1} % of one core (runner, writer and the target server together)"
    );

    // Pages while the runner keeps going.
    for (path, anonymous) in [
        ("/monitors", false),
        ("/status", true),
        ("/status.json", true),
        ("/monitors/1", false),
    ] {
        let mut times = Vec::new();
        for _ in 0..RENDERS {
            let started = Instant::now();
            let answer = get_as(
                &app.router,
                if anonymous { None } else { Some(&cookie) },
                path,
            )
            .await;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(
                answer.status,
                200,
                "{path}: {}",
                &answer.body[..answer.body.len().min(300)]
            );
        }
        println!(
            "{path}: p50 {:.1} ms, p95 {:.1} ms over {RENDERS} requests",
            percentile(&mut times, 0.5),
            percentile(&mut times, 0.95)
        );
    }
}

/// 90 daily rollups and 192 hourly ones per monitor, and 48 h of raw results (one a
/// minute) for the first 100 monitors, written with SQL in a few statements.
async fn seed_history(db: &sqlx::SqlitePool) {
    const HOUR: i64 = 3_600_000;
    const DAY: i64 = 24 * HOUR;
    let now = app::core::db::millis(chrono::Utc::now());
    let today = now - now.rem_euclid(DAY);
    let this_hour = now - now.rem_euclid(HOUR);
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 90) \
         INSERT INTO monitor_daily (monitor_id, day, checks, ups, latency_sum, latency_n, latency_max) \
         SELECT m.id, ?1 - n.i * ?2, 1440, 1440 - (m.id + n.i) % 3, 1440 * 2, 1440, 40 FROM monitors m, n",
    )
    .bind(today)
    .bind(DAY)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 192) \
         INSERT INTO monitor_hourly (monitor_id, hour, checks, ups, latency_sum, latency_n, latency_max) \
         SELECT m.id, ?1 - n.i * ?2, 60, 60 - (m.id + n.i) % 2, 120, 60, 30 FROM monitors m, n",
    )
    .bind(this_hour)
    .bind(HOUR)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2880) \
         INSERT INTO monitor_results (monitor_id, at, ok, latency_ms) \
         SELECT m.id, ?1 - n.i * 60000, (m.id + n.i) % 50 != 0, 1 + (n.i % 7) FROM monitors m, n WHERE m.id <= 100",
    )
    .bind(now)
    .execute(db)
    .await
    .unwrap();
}
