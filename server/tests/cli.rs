//! The `caretaker` binary as a user runs it: help, config check, migrate, serve and
//! healthcheck, and refusals of bad configuration.

use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

fn caretaker() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_caretaker"));
    // The tests' own environment must not leak CARETAKER_* settings into the binary.
    for (name, _) in std::env::vars() {
        if name.starts_with("CARETAKER_") {
            command.env_remove(name);
        }
    }
    command
}

fn run(command: &mut Command) -> (bool, String, String) {
    let Output {
        status,
        stdout,
        stderr,
    } = command.output().unwrap();
    (
        status.success(),
        String::from_utf8_lossy(&stdout).into_owned(),
        String::from_utf8_lossy(&stderr).into_owned(),
    )
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn every_command_has_help() {
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["healthcheck", "--help"],
        vec!["config", "check", "--help"],
    ] {
        let (ok, stdout, _) = run(caretaker().args(&args));
        assert!(ok, "{args:?}");
        assert!(stdout.contains("Usage: caretaker"), "{args:?}: {stdout}");
    }
}

#[test]
fn config_check_prints_sources_and_hides_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("caretaker.toml");
    std::fs::write(
        &file,
        "[github]\nclient_id = \"Iv1.abc\"\nclient_secret = \"shh-do-not-print\"\n",
    )
    .unwrap();
    let (ok, stdout, stderr) = run(caretaker()
        .args([
            "config",
            "check",
            "--config",
            file.to_str().unwrap(),
            "--bind",
            "127.0.0.1:4444",
        ])
        .env("CARETAKER_DOCKER_TIMEOUT_SECS", "7"));
    assert!(ok, "{stderr}");
    assert!(!stdout.contains("shh-do-not-print"), "{stdout}");
    let line = |key: &str| {
        stdout
            .lines()
            .find(|line| line.starts_with(key))
            .unwrap()
            .to_owned()
    };
    assert!(line("github.client_secret").contains("***"));
    assert!(line("github.client_secret").contains("config file"));
    assert!(line("bind").contains("127.0.0.1:4444") && line("bind").contains("command line"));
    assert!(
        line("docker.timeout_secs").contains("= 7")
            && line("docker.timeout_secs").contains("environment")
    );
    assert!(line("data_dir").contains("default"));
}

#[test]
fn a_bad_setting_stops_the_start_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("caretaker.toml");
    std::fs::write(&file, "bind = \"127.0.0.1:3000\"\ndatadir = \"/tmp/x\"\n").unwrap();
    let (ok, _, stderr) = run(caretaker().args(["serve", "--config", file.to_str().unwrap()]));
    assert!(!ok);
    assert!(stderr.contains("unknown key 'datadir'"), "{stderr}");
    assert!(stderr.contains("data_dir"), "{stderr}");

    let (ok, _, stderr) = run(caretaker().args(["serve", "--bind", "localhost"]));
    assert!(!ok);
    assert!(
        stderr.contains("bind = 'localhost' is not accepted"),
        "{stderr}"
    );
}

#[test]
fn migrate_creates_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (ok, stdout, stderr) =
        run(caretaker().args(["migrate", "--data-dir", data.to_str().unwrap()]));
    assert!(ok, "{stderr}");
    assert!(stdout.contains("up to date"), "{stdout}");
    assert!(data.join("caretaker.db").exists());
}

#[test]
fn serve_answers_healthcheck_and_logs_json_on_request() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let mut child = caretaker()
        .args([
            "serve",
            "--bind",
            &bind,
            "--data-dir",
            dir.path().to_str().unwrap(),
            "--log-format",
            "json",
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);

    // Wait for the server through the command under test itself.
    let started = Instant::now();
    loop {
        let (ok, _, _) = run(caretaker().args(["healthcheck", "--bind", &bind]));
        if ok {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "caretaker did not become healthy"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    drop(server);

    let lines: Vec<String> = BufReader::new(stderr)
        .lines()
        .map_while(Result::ok)
        .collect();
    let serving = lines
        .iter()
        .find(|line| line.contains("caretaker is serving"))
        .unwrap_or_else(|| panic!("no start line in {lines:?}"));
    let event: serde_json::Value = serde_json::from_str(serving).unwrap();
    assert_eq!(event["level"], "INFO");
    assert_eq!(event["url"], format!("http://{bind}"));
}

#[test]
fn healthcheck_fails_when_nothing_answers() {
    let bind = format!("127.0.0.1:{}", free_port());
    let (ok, _, stderr) = run(caretaker().args(["healthcheck", "--bind", &bind, "--timeout", "2"]));
    assert!(!ok);
    assert!(stderr.contains("cannot be reached"), "{stderr}");
}
