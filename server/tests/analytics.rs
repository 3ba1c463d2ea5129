//! Request analytics on real files: known logs in every format with counts worked out by
//! hand, the exact `logs export` output, bad lines, the importer killed at random points,
//! and log rotation (rename, copytruncate, compression) while lines are being written.

mod common;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::NaiveDate;
use common::{test_app, TestApp, LOCAL_DOCKER};

use app::analytics::{service, store, LogSource};
use app::audit::service::Actor;

fn actor() -> Actor {
    Actor {
        user_id: None,
        name: "test".into(),
        address: "127.0.0.1".into(),
    }
}

fn day(text: &str) -> NaiveDate {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").unwrap()
}

async fn add_source(
    app: &TestApp,
    name: &str,
    format: &str,
    format_string: &str,
    path: &str,
) -> LogSource {
    let id = service::add_source(
        &app.state,
        &actor(),
        &LogSource {
            name: name.into(),
            format: format.into(),
            format_string: format_string.into(),
            path: path.into(),
            ..LogSource::default()
        },
    )
    .await
    .unwrap();
    service::source(&app.state, id).await.unwrap()
}

async fn import(
    app: &TestApp,
    source: &LogSource,
    files: &[PathBuf],
) -> app::analytics::IngestReport {
    service::import_files(&app.state, source, files, &|_| {})
        .await
        .unwrap()
}

async fn counts(app: &TestApp, source: &LogSource, on: &str) -> BTreeMap<String, i64> {
    service::export_day(&app.state, day(on), Some(source))
        .await
        .unwrap()
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

fn map(pairs: &[(&str, i64)]) -> BTreeMap<String, i64> {
    pairs
        .iter()
        .map(|(route, count)| (route.to_string(), *count))
        .collect()
}

/// The seed's log: a handful of requests to its API on 20 November, one after midnight
/// UTC written in a zone two hours behind, a crawler, and a TLS handshake sent to port 80.
const COMBINED: &str = r#"203.0.113.5 - - [20/Nov/2026:10:15:00 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0 (X11; Linux x86_64)"
203.0.113.5 - - [20/Nov/2026:10:15:02 +0000] "GET /sample?page=2 HTTP/1.1" 200 1024 "http://example.org/" "Mozilla/5.0 (X11; Linux x86_64)"
203.0.113.6 - alice [20/Nov/2026:10:16:00 +0000] "POST /sample HTTP/1.1" 201 18 "-" "python-requests/2.31"
203.0.113.7 - - [20/Nov/2026:11:00:00 +0000] "GET /sample/1234 HTTP/1.1" 200 2048 "-" "Mozilla/5.0 (Macintosh)"
203.0.113.7 - - [20/Nov/2026:11:00:01 +0000] "GET /sample/5678/related HTTP/1.1" 200 99 "-" "Mozilla/5.0 (Macintosh)"
203.0.113.8 - - [20/Nov/2026:12:00:00 +0000] "GET /sample/matrix HTTP/1.1" 500 0 "-" "Mozilla/5.0 (Windows NT 10.0)"
66.249.66.1 - - [20/Nov/2026:12:30:00 +0000] "GET / HTTP/1.1" 200 612 "-" "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
203.0.113.9 - - [20/Nov/2026:13:00:00 +0000] "\x16\x03\x01\x00\xfc\x01\x00\x00\xf8\x03\x03" 400 157 "-" "-"
203.0.113.5 - - [20/Nov/2026:23:30:00 -0200] "GET /sample HTTP/1.1" 304 - "-" "Mozilla/5.0 (X11; Linux x86_64)"
203.0.113.5 - - [20/Nov/2026:20:30:00 -0200] "GET /sample HTTP/1.1" 200 1024 "-" "Mozilla/5.0 (X11; Linux x86_64)"
"#;

#[tokio::test]
async fn logs_export_of_a_fixed_log_prints_exactly_the_expected_json_and_csv() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    write(&log, COMBINED);
    let data = dir.path().join("data");
    let caretaker = |args: &[&str]| {
        let output = Command::new(env!("CARGO_BIN_EXE_caretaker"))
            .args(args)
            .arg("--data-dir")
            .arg(&data)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    let (ok, _, said) = caretaker(&[
        "logs",
        "import",
        "--format",
        "combined",
        log.to_str().unwrap(),
    ]);
    assert!(ok, "{said}");
    assert!(
        said.contains("10 lines read from 1 file (1 could not be read)"),
        "{said}"
    );

    let (ok, json, said) = caretaker(&["logs", "export", "--day", "2026-11-20"]);
    assert!(ok, "{said}");
    assert_eq!(
        json,
        "{\"/\":2,\"/sample\":3,\"/sample/:id\":1,\"/sample/:id/related\":1,\"/sample/matrix\":1}\n"
    );
    // The line written at 23:30 two hours behind UTC belongs to the 21st.
    let (_, json, _) = caretaker(&["logs", "export", "--day", "2026-11-21"]);
    assert_eq!(json, "{\"/sample\":1}\n");
    let (ok, csv, _) = caretaker(&["logs", "export", "--day", "2026-11-20", "--format", "csv"]);
    assert!(ok);
    assert_eq!(
        csv,
        "route,requests\n/,2\n/sample,3\n/sample/:id,1\n/sample/:id/related,1\n/sample/matrix,1\n"
    );

    // Importing it again reads nothing and counts nothing twice.
    let (ok, _, said) = caretaker(&[
        "logs",
        "import",
        "--format",
        "combined",
        log.to_str().unwrap(),
    ]);
    assert!(ok, "{said}");
    assert!(
        said.contains("0 lines read from 0 files; 1 file already read"),
        "{said}"
    );
    let (_, json, _) = caretaker(&["logs", "export", "--day", "2026-11-20"]);
    assert!(json.starts_with("{\"/\":2,\"/sample\":3,"), "{json}");

    // Bad input says what is wrong and what is accepted.
    let (ok, _, said) = caretaker(&[
        "logs",
        "import",
        "--format",
        "apache",
        log.to_str().unwrap(),
    ]);
    assert!(!ok);
    assert!(
        said.contains("combined") && said.contains("caddy"),
        "{said}"
    );
    let (ok, _, said) = caretaker(&["logs", "export", "--day", "20-11-2026"]);
    assert!(!ok);
    assert!(said.contains("YYYY-MM-DD"), "{said}");
}

#[tokio::test]
async fn every_format_counts_what_was_worked_out_by_hand() {
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();

    let common_log = dir.path().join("common.log");
    write(
        &common_log,
        "192.0.2.1 - - [20/Nov/2026:08:00:00 +0100] \"GET /api/items/42 HTTP/1.0\" 200 321\n\
         192.0.2.2 - bob [20/Nov/2026:08:00:01 +0100] \"DELETE /api/items/550e8400-e29b-41d4-a716-446655440000 HTTP/1.1\" 204 -\n\
         192.0.2.2 - - [20/Nov/2026:08:00:02 +0100] \"GET /api/items HTTP/1.1\" 404 12\n",
    );
    let source = add_source(&app, "common", "common", "", "").await;
    let report = import(&app, &source, &[common_log]).await;
    assert_eq!((report.lines, report.rejected), (3, 0));
    assert_eq!(
        counts(&app, &source, "2026-11-20").await,
        map(&[("/api/items", 1), ("/api/items/:id", 2)])
    );
    // The common format logs no user agent: its requests count as people, not bots.
    let from = day("2026-11-20")
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let series = store::series(&app.state.db, &[source.id], None, from, from + 86_400, true)
        .await
        .unwrap();
    assert_eq!(series.points.iter().map(|point| point.4).sum::<i64>(), 0);
    let visitors = store::visitors(&app.state.db, &[source.id], from, from + 86_400)
        .await
        .unwrap();
    assert_eq!(visitors, 2, "two addresses");

    // nginx with its own log_format, response time in seconds.
    let nginx_format = r#"$remote_addr [$time_local] "$request" $status $body_bytes_sent $request_time "$http_user_agent""#;
    let nginx_log = dir.path().join("timed.log");
    write(
        &nginx_log,
        "198.51.100.1 [20/Nov/2026:09:00:00 +0000] \"GET /predict HTTP/1.1\" 200 80 0.120 \"curl/8.0\"\n\
         198.51.100.2 [20/Nov/2026:09:00:01 +0000] \"GET /predict HTTP/1.1\" 200 80 0.480 \"Mozilla/5.0\"\n\
         198.51.100.3 [20/Nov/2026:09:30:00 +0000] \"POST /predict HTTP/1.1\" 502 0 2.000 \"Mozilla/5.0\"\n",
    );
    let source = add_source(&app, "timed", "nginx", nginx_format, "").await;
    let report = import(&app, &source, &[nginx_log]).await;
    assert_eq!((report.lines, report.rejected), (3, 0));
    assert_eq!(
        counts(&app, &source, "2026-11-20").await,
        map(&[("/predict", 3)])
    );
    let from = day("2026-11-20")
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc()
        .timestamp();
    let series = store::series(&app.state.db, &[source.id], None, from, from + 86_400, true)
        .await
        .unwrap();
    assert_eq!(series.points.len(), 1, "one hour: {:?}", series.points);
    let (_, requests, e4, e5, bots) = series.points[0];
    assert_eq!(
        (requests, e4, e5, bots),
        (3, 0, 1, 1),
        "curl counts as a bot"
    );
    let times = &series.response[&series.points[0].0];
    assert_eq!(times.count(), 3);
    let median = times.quantile(0.5).unwrap() as f64;
    assert!(
        (median - 480_000.0).abs() / 480_000.0 < 0.05,
        "median {median} µs"
    );

    // Caddy's JSON access log.
    let caddy_log = dir.path().join("caddy.log");
    write(
        &caddy_log,
        concat!(
            r#"{"level":"info","ts":1795687200.5,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.10","remote_port":"50000","client_ip":"192.0.2.10","proto":"HTTP/2.0","method":"GET","host":"example.org","uri":"/docs/intro?lang=en","headers":{"User-Agent":["Mozilla/5.0"]}},"bytes_read":0,"user_id":"","duration":0.0042,"size":5120,"status":200,"resp_headers":{}}"#,
            "\n",
            r#"{"level":"info","ts":1795687260.0,"logger":"http.log.access","msg":"handled request","request":{"remote_ip":"192.0.2.11","remote_port":"50001","client_ip":"192.0.2.11","proto":"HTTP/1.1","method":"GET","host":"example.org","uri":"/docs/missing","headers":{"User-Agent":["Mozilla/5.0"]}},"bytes_read":0,"user_id":"","duration":0.001,"size":0,"status":404,"resp_headers":{}}"#,
            "\n",
            r#"{"level":"info","ts":1795687270.0,"logger":"http","msg":"server running"}"#,
            "\n"
        ),
    );
    let source = add_source(&app, "caddy", "caddy", "", "").await;
    let report = import(&app, &source, &[caddy_log]).await;
    assert_eq!(
        (report.lines, report.rejected),
        (3, 1),
        "the non-request entry is rejected"
    );
    // 1795687200 is 2026-11-26 10:00:00 UTC.
    assert_eq!(
        counts(&app, &source, "2026-11-26").await,
        map(&[("/docs/intro", 1), ("/docs/missing", 1)])
    );

    // Gunicorn's default access log format.
    let gunicorn_log = dir.path().join("gunicorn.log");
    write(
        &gunicorn_log,
        "127.0.0.1 - - [20/Nov/2026:14:00:00 +0000] \"GET /update-forecast HTTP/1.0\" 200 14 \"-\" \"curl/8.0\"\n\
         127.0.0.1 - - [20/Nov/2026:15:00:00 +0000] \"GET /update-forecast HTTP/1.0\" 200 14 \"-\" \"curl/8.0\"\n",
    );
    let source = add_source(&app, "gunicorn", "gunicorn", "", "").await;
    let report = import(&app, &source, &[gunicorn_log]).await;
    assert_eq!((report.lines, report.rejected), (2, 0));
    assert_eq!(
        counts(&app, &source, "2026-11-20").await,
        map(&[("/update-forecast", 2)])
    );
}

#[tokio::test]
async fn bad_lines_are_counted_with_samples_and_never_stop_the_ingest() {
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("bad.log");
    let good = |path: &str| {
        format!("192.0.2.1 - - [20/Nov/2026:08:00:00 +0000] \"GET {path} HTTP/1.1\" 200 1 \"-\" \"Mozilla/5.0\"\n")
    };
    let mut bytes = Vec::new();
    bytes.extend_from_slice(good("/a").as_bytes());
    // A TLS handshake as nginx logs it on port 80, raw binary, a truncated line, invalid UTF-8
    // and a line of 70 KiB.
    bytes.extend_from_slice(
        b"192.0.2.9 - - [20/Nov/2026:08:00:01 +0000] \"\\x16\\x03\\x01\" 400 157 \"-\" \"-\"\n",
    );
    bytes.extend_from_slice(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\n");
    bytes.extend_from_slice(b"192.0.2.1 - - [20/Nov/2026:08:00:02 +0000] \"GET /trunc\n");
    bytes.extend_from_slice(
        b"192.0.2.1 - - [20/Nov/2026:08:00:03 +0000] \"GET /caf\xe9 HTTP/1.1\" 200 1 \"-\" \"x\"\n",
    );
    bytes.extend_from_slice(
        format!(
            "192.0.2.1 - - [20/Nov/2026:08:00:04 +0000] \"GET /{} HTTP/1.1\" 200 1 \"-\" \"x\"\n",
            "a".repeat(70 << 10)
        )
        .as_bytes(),
    );
    bytes.extend_from_slice(good("/b").as_bytes());
    std::fs::write(&log, bytes).unwrap();
    let source = add_source(&app, "bad", "combined", "", "").await;
    let report = import(&app, &source, &[log]).await;
    assert_eq!((report.lines, report.rejected), (7, 5), "{report:?}");
    assert_eq!(
        counts(&app, &source, "2026-11-20").await,
        map(&[("/a", 1), ("/b", 1)])
    );
    let (lines, rejected, samples) = store::reject_summary(&app.state.db, source.id)
        .await
        .unwrap();
    assert_eq!((lines, rejected), (7, 5));
    assert_eq!(samples.len(), 5);
    assert!(samples
        .iter()
        .all(|sample| sample.sample.chars().count() <= 300));
    assert!(
        samples
            .iter()
            .any(|sample| sample.reason.contains("64 KiB")),
        "{samples:?}"
    );
}

/// Writes combined lines to `path` (opened for appending, as nginx does), one per
/// request, until told to stop; the lock is what a rotation takes to copy and truncate.
struct Writer {
    written: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    lock: Arc<Mutex<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Writer {
    fn start(path: PathBuf) -> Self {
        let written = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let lock = Arc::new(Mutex::new(()));
        let thread = {
            let (written, stop, lock) = (written.clone(), stop.clone(), lock.clone());
            std::thread::spawn(move || {
                let mut file = open_append(&path);
                let mut opened = file_id(&path);
                while !stop.load(Ordering::SeqCst) {
                    {
                        let _held = lock.lock().unwrap();
                        // After a rename, nginx reopens its log on a signal; here: when the
                        // path names another file.
                        if file_id(&path) != opened {
                            file = open_append(&path);
                            opened = file_id(&path);
                        }
                        let n = written.load(Ordering::SeqCst);
                        writeln!(file, "192.0.2.{} - - [20/Nov/2026:10:{:02}:{:02} +0000] \"GET /item/{n} HTTP/1.1\" 200 {} \"-\" \"Mozilla/5.0\"", n % 250, (n / 60) % 60, n % 60, n % 1000).unwrap();
                        written.fetch_add(1, Ordering::SeqCst);
                    }
                    if written.load(Ordering::SeqCst) % 50 == 0 {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                }
            })
        };
        Writer {
            written,
            stop,
            lock,
            thread: Some(thread),
        }
    }

    fn finish(mut self) -> u64 {
        self.stop.store(true, Ordering::SeqCst);
        self.thread.take().unwrap().join().unwrap();
        self.written.load(Ordering::SeqCst)
    }
}

fn open_append(path: &Path) -> std::fs::File {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .unwrap()
}

fn file_id(path: &Path) -> Option<u64> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|metadata| metadata.ino())
}

fn gzip(from: &Path, to: &Path) {
    let status = Command::new("gzip")
        .arg("-c")
        .arg(from)
        .stdout(std::fs::File::create(to).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::remove_file(from).unwrap();
}

async fn total(app: &TestApp, source: &LogSource) -> i64 {
    counts(app, source, "2026-11-20").await.values().sum()
}

#[tokio::test]
async fn rotation_by_rename_and_by_copytruncate_while_lines_are_written_loses_and_doubles_nothing()
{
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access.log");
    let source = add_source(&app, "live", "combined", "", live.to_str().unwrap()).await;
    let pass = || async {
        service::ingest_source(&app.state, &source, &|_| {})
            .await
            .unwrap()
    };

    let writer = Writer::start(live.clone());
    tokio::time::sleep(Duration::from_millis(200)).await;
    pass().await;
    // logrotate's default: rename, and the server reopens its log.
    {
        let _held = writer.lock.lock().unwrap();
        std::fs::rename(&live, dir.path().join("access.log.1")).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    pass().await;
    // The next rotation compresses the previous one (delaycompress) and renames again.
    {
        let _held = writer.lock.lock().unwrap();
        gzip(
            &dir.path().join("access.log.1"),
            &dir.path().join("access.log.2.gz"),
        );
        std::fs::rename(&live, dir.path().join("access.log.1")).unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    pass().await;
    // copytruncate: copy the live file, then truncate it in place; the writer goes on in the
    // same file, from its start (it appends).
    {
        let _held = writer.lock.lock().unwrap();
        gzip(
            &dir.path().join("access.log.1"),
            &dir.path().join("access.log.3.gz"),
        );
        std::fs::rename(
            dir.path().join("access.log.2.gz"),
            dir.path().join("access.log.4.gz"),
        )
        .unwrap();
        std::fs::copy(&live, dir.path().join("access.log.1")).unwrap();
        std::fs::OpenOptions::new()
            .write(true)
            .open(&live)
            .unwrap()
            .set_len(0)
            .unwrap();
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    pass().await;
    let written = writer.finish();
    let last = pass().await;
    assert!(written > 100, "the writer wrote {written} lines");
    assert_eq!(
        total(&app, &source).await,
        written as i64,
        "every line counted once"
    );
    // Once everything is read, a pass reads nothing.
    let again = pass().await;
    assert_eq!(again.lines, 0, "{again:?} after {last:?}");
    assert_eq!(total(&app, &source).await, written as i64);
}

#[tokio::test]
async fn killing_the_importer_at_random_points_then_resuming_counts_like_a_clean_import() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("big.log");
    // About 40 MB over three days: several batches, so kills land between and inside commits.
    {
        let mut file = std::io::BufWriter::new(std::fs::File::create(&log).unwrap());
        for n in 0..240_000u64 {
            let day = 20 + n / 80_000;
            let second = (n % 80_000) % 86_400;
            writeln!(
                file,
                "10.0.{}.{} - - [{day}/Nov/2026:{:02}:{:02}:{:02} +0000] \"GET /route{}/{n} HTTP/1.1\" {} {} \"https://example.org/a/rather/long/referer/to/make/the/lines/realistic\" \"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36\"",
                n % 200, n % 250, second / 3600, (second / 60) % 60, second % 60, n % 17, [200, 200, 200, 404, 500][(n % 5) as usize], n % 4096
            ).unwrap();
        }
    }
    let import = |data: &Path| {
        Command::new(env!("CARGO_BIN_EXE_caretaker"))
            .args(["logs", "import", "--format", "combined", "--data-dir"])
            .arg(data)
            .arg(&log)
            .env_remove("RUST_LOG")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let clean = dir.path().join("clean");
    assert!(import(&clean).wait().unwrap().success());

    let killed = dir.path().join("killed");
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    println!("kill schedule seed {seed}");
    let mut kills = 0;
    loop {
        let mut child = import(&killed);
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let after = Duration::from_millis(100 + (seed >> 33) % 800);
        std::thread::sleep(after);
        match child.try_wait().unwrap() {
            Some(status) => {
                assert!(status.success(), "the import failed on its own: {status}");
                break;
            }
            None => {
                child.kill().unwrap();
                child.wait().unwrap();
                kills += 1;
            }
        }
        assert!(kills < 200, "the import never finished");
    }
    println!("killed {kills} times");
    assert!(
        kills >= 1,
        "the import finished before the first kill; the test proved nothing"
    );
    let export = |data: &Path, on: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_caretaker"))
            .args(["logs", "export", "--day", on, "--data-dir"])
            .arg(data)
            .env_remove("RUST_LOG")
            .output()
            .unwrap();
        assert!(output.status.success());
        String::from_utf8(output.stdout).unwrap()
    };
    for on in ["2026-11-20", "2026-11-21", "2026-11-22"] {
        let clean_counts = export(&clean, on);
        assert_eq!(export(&killed, on), clean_counts, "{on}");
        let counts: BTreeMap<String, i64> = serde_json::from_str(&clean_counts).unwrap();
        assert_eq!(counts.values().sum::<i64>(), 80_000, "{on}");
    }
}

#[tokio::test]
async fn a_job_of_the_ingest_kind_reads_a_source_on_the_scheduler() {
    use app::jobs::{service as jobs, JobForm, RunStatus};
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("access.log");
    write(&live, COMBINED);
    let source = add_source(&app, "site", "combined", "", live.to_str().unwrap()).await;
    // A typo in the folder is refused at once.
    let missing_folder = service::add_source(
        &app.state,
        &actor(),
        &LogSource {
            name: "typo".into(),
            format: "combined".into(),
            path: "/var/lgo/nginx/access.log".into(),
            ..LogSource::default()
        },
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(
        missing_folder.contains("the folder of /var/lgo/nginx/access.log does not exist"),
        "{missing_folder}"
    );
    // Bad input: no source chosen.
    let form = JobForm {
        name: "read-site".into(),
        kind: "ingest".into(),
        schedule_kind: "manual".into(),
        ..JobForm::default()
    };
    let error = jobs::create(&app.state, &actor(), &form)
        .await
        .unwrap_err()
        .to_string();
    assert!(error.contains("Log source: choose the source"), "{error}");
    let id = jobs::create(
        &app.state,
        &actor(),
        &JobForm {
            log_source: source.id.to_string(),
            ..form
        },
    )
    .await
    .unwrap();
    jobs::run_now(&app.state, &actor(), id).await.unwrap();
    let mut finished = None;
    for _ in 0..100 {
        let runs = jobs::runs(&app.state, id).await.unwrap().runs;
        if let Some(run) = runs.into_iter().find(|run| run.finished_at.is_some()) {
            finished = Some(run);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let run = finished.expect("the run finished");
    assert_eq!(run.status, RunStatus::Succeeded, "{}", run.message);
    assert!(
        run.message.contains("10 lines read from 1 file"),
        "{}",
        run.message
    );
    assert_eq!(total(&app, &source).await, 8);
}

#[tokio::test]
async fn the_page_compares_periods_marks_deployments_and_explains_a_bad_period() {
    use app::analytics::AnalyticsQuery;
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();
    // A service with one promotion on the 20th at 12:30 (the deploy flow's own rows).
    let service_id: i64 = sqlx::query_scalar(
        "INSERT INTO services (name, host_id, spec, created_at, updated_at) VALUES ('web', 'local', '{}', 0, 0) RETURNING id",
    )
    .fetch_one(&app.state.db)
    .await
    .unwrap();
    let promoted = day("2026-11-20")
        .and_hms_opt(12, 30, 0)
        .unwrap()
        .and_utc()
        .timestamp_millis();
    sqlx::query(
        "INSERT INTO deployments (service_id, tag, status, actor, started_at, promoted_at) VALUES (?, 'v2', 'production', 'test', ?, ?)",
    )
    .bind(service_id)
    .bind(promoted)
    .bind(promoted)
    .execute(&app.state.db)
    .await
    .unwrap();
    let log = dir.path().join("access.log");
    write(&log, COMBINED);
    let source = {
        let id = service::add_source(
            &app.state,
            &actor(),
            &LogSource {
                name: "web".into(),
                format: "combined".into(),
                service_id: Some(service_id),
                ..LogSource::default()
            },
        )
        .await
        .unwrap();
        service::source(&app.state, id).await.unwrap()
    };
    import(&app, &source, &[log]).await;

    let view = service::view(
        &app.state,
        &AnalyticsQuery {
            from: "2026-11-20".into(),
            to: "2026-11-21".into(),
            compare: Some("on".into()),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(view.problem, None);
    assert_eq!(view.totals.requests, 9);
    assert_eq!(view.totals.bots, 2, "Googlebot and python-requests");
    assert_eq!(view.totals.errors_5xx, 1);
    assert_eq!(
        view.totals.visitors, 3,
        "three people: address and agent pairs, bots apart"
    );
    assert_eq!(
        view.previous,
        Some(("2026-11-18".to_owned(), "2026-11-19".to_owned()))
    );
    assert_eq!(view.previous_totals.as_ref().unwrap().requests, 0);
    assert_eq!(view.routes[0].route, "/sample");
    assert_eq!(view.routes[0].requests, 4);
    assert_eq!(view.routes[0].previous, Some(0));
    assert_eq!(view.deployments.len(), 1);
    assert!(
        view.requests_chart.contains("web v2"),
        "the deployment is marked"
    );
    assert!(view.requests_chart.contains("Previous period"));
    assert!(view.requests_chart.contains("Requests per hour"));
    // One route only.
    let one = service::view(
        &app.state,
        &AnalyticsQuery {
            from: "2026-11-20".into(),
            to: "2026-11-20".into(),
            route: "/sample/:id".into(),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(one.totals.requests, 1);
    // Days are the viewer's: in São Paulo (UTC-3) the 20th runs to 03:00 UTC on the 21st,
    // so the request at 01:30 UTC that day is the 20th's.
    let local = service::view(
        &app.state,
        &AnalyticsQuery {
            from: "2026-11-20".into(),
            to: "2026-11-20".into(),
            zone: "America/Sao_Paulo".into(),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!((local.problem, local.totals.requests), (None, 9));
    let utc = service::view(
        &app.state,
        &AnalyticsQuery {
            from: "2026-11-20".into(),
            to: "2026-11-20".into(),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(utc.totals.requests, 8);
    // Over more than three days the chart has one point per local day.
    let week = service::view(
        &app.state,
        &AnalyticsQuery {
            from: "2026-11-16".into(),
            to: "2026-11-22".into(),
            zone: "America/Sao_Paulo".into(),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert_eq!(week.totals.requests, 9);
    assert!(week.requests_chart.contains("Requests per day"));
    // A bad period is explained, and the last 7 days are shown instead.
    let bad_zone = service::view(
        &app.state,
        &AnalyticsQuery {
            zone: "Mars/Olympus".into(),
            ..AnalyticsQuery::default()
        },
    )
    .await
    .unwrap();
    assert!(bad_zone
        .problem
        .unwrap_or_default()
        .contains("Time zone: “Mars/Olympus”"));
    for (from, to, says) in [
        ("20/11/2026", "", "From: “20/11/2026” is not a day"),
        ("2026-11-21", "2026-11-20", "is after"),
        ("2025-01-01", "2026-11-20", "choose at most 400"),
    ] {
        let view = service::view(
            &app.state,
            &AnalyticsQuery {
                from: from.into(),
                to: to.into(),
                ..AnalyticsQuery::default()
            },
        )
        .await
        .unwrap();
        let problem = view.problem.unwrap_or_default();
        assert!(problem.contains(says), "{from}..{to}: {problem}");
    }
}

#[tokio::test]
async fn the_day_export_downloads_for_logged_in_users_only() {
    let app = test_app(LOCAL_DOCKER).await;
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("access.log");
    write(&log, COMBINED);
    let source = add_source(&app, "web", "combined", "", "").await;
    import(&app, &source, &[log]).await;
    let cookie = app.admin_cookie().await;
    let json = common::get_as(
        &app.router,
        Some(&cookie),
        "/analytics/export?day=2026-11-20&format=json",
    )
    .await;
    assert_eq!(json.status, 200);
    assert_eq!(
        json.body,
        "{\"/\":2,\"/sample\":3,\"/sample/:id\":1,\"/sample/:id/related\":1,\"/sample/matrix\":1}"
    );
    let csv = common::get_as(
        &app.router,
        Some(&cookie),
        &format!(
            "/analytics/export?day=2026-11-21&format=csv&source={}",
            source.id
        ),
    )
    .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.body, "route,requests\n/sample,1\n");
    let bad = common::get_as(
        &app.router,
        Some(&cookie),
        "/analytics/export?day=yesterday",
    )
    .await;
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("YYYY-MM-DD"), "{}", bad.body);
    let anonymous = common::get_as(&app.router, None, "/analytics/export?day=2026-11-20").await;
    assert_ne!(anonymous.status, 200);
    assert!(!anonymous.body.contains("/sample"));
}
