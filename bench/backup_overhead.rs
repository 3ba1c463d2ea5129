//! What caretaker adds to a backup's wall time, side by side with bare restic (issue:
//! under 5 %), in one run on the same data, alternating which goes first.
//!
//! Each round backs up the same tree (about 520 MB in 2,000 files) into two fresh
//! repositories: once with `restic backup` as an admin would run it by hand, once as a
//! caretaker plan started the way the page starts it (task, run rows, progress from
//! restic's JSON, history). A second pass backs up the unchanged tree again into the same
//! repositories, where caretaker's fixed costs weigh most. Repository creation is not
//! timed. Run: `cargo bench -p server --bench backup_overhead`. The figures go to
//! docs/performance.md.

#[path = "../server/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use app::audit::service::Actor;
use app::backups::{PlanForm, RepositoryForm, Work};
use common::{test_app, LOCAL_DOCKER};

const ROUNDS: usize = 5;
const PASSWORD: &str = "bench password";

fn noise(length: usize, seed: u64) -> Vec<u8> {
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    let mut bytes = Vec::with_capacity(length + 8);
    while bytes.len() < length {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(length);
    bytes
}

/// 500 files of 1 MiB and 1,500 small ones (1–8 KiB) in 20 folders.
fn dataset(root: &Path) -> u64 {
    let mut total = 0;
    for index in 0..2000u64 {
        let folder = root.join(format!("folder-{:02}", index % 20));
        std::fs::create_dir_all(&folder).unwrap();
        let size = if index % 4 == 0 {
            1024 * 1024
        } else {
            1024 * (1 + index as usize % 8)
        };
        std::fs::write(folder.join(format!("file-{index}.bin")), noise(size, index)).unwrap();
        total += size as u64;
    }
    total
}

fn bare_restic(repository: &Path, password: &Path, args: &[&str]) -> Duration {
    let started = Instant::now();
    let status = Command::new("restic")
        .arg("--repo")
        .arg(repository)
        .arg("--password-file")
        .arg(password)
        .args(args)
        .stdout(std::process::Stdio::null())
        .status()
        .expect("restic is installed");
    let took = started.elapsed();
    assert!(status.success(), "restic {args:?}");
    took
}

fn median(values: &mut [Duration]) -> Duration {
    values.sort();
    values[values.len() / 2]
}

fn seconds(duration: Duration) -> String {
    format!("{:.2} s", duration.as_secs_f64())
}

#[tokio::main]
async fn main() {
    let app = test_app(LOCAL_DOCKER).await;
    let actor = Actor {
        user_id: None,
        name: "bench".to_owned(),
        address: String::new(),
    };
    let place = tempfile::tempdir().unwrap();
    let data = place.path().join("data");
    let bytes = dataset(&data);
    let password = place.path().join("password");
    std::fs::write(&password, PASSWORD).unwrap();
    println!(
        "dataset: {:.0} MB in 2000 files; restic {}",
        bytes as f64 / 1e6,
        String::from_utf8_lossy(
            &Command::new("restic")
                .arg("version")
                .output()
                .unwrap()
                .stdout
        )
        .trim()
    );

    let mut bare_first = Vec::new();
    let mut caretaker_first = Vec::new();
    let mut bare_again = Vec::new();
    let mut caretaker_again = Vec::new();
    for round in 0..ROUNDS {
        let bare_repository: PathBuf = place.path().join(format!("bare-{round}"));
        let status = Command::new("restic")
            .arg("--repo")
            .arg(&bare_repository)
            .arg("--password-file")
            .arg(&password)
            .args(["init", "-q"])
            .status()
            .unwrap();
        assert!(status.success());
        let name = format!("bench-{round}");
        let repository = app::backups::service::add(
            &app.state,
            &actor,
            &RepositoryForm {
                name: name.clone(),
                location: place
                    .path()
                    .join(format!("caretaker-{round}"))
                    .display()
                    .to_string(),
                password_source: "file".to_owned(),
                password_file: password.display().to_string(),
                init: Some("on".to_owned()),
                ..RepositoryForm::default()
            },
        )
        .await
        .unwrap();
        let plan = app::backups::service::create_plan(
            &app.state,
            &actor,
            &PlanForm {
                name: name.clone(),
                data_class: "user".to_owned(),
                sources: data.display().to_string(),
                repositories: vec![repository.to_string()],
                ..PlanForm::default()
            },
        )
        .await
        .unwrap();
        let data_arg = data.display().to_string();
        let bare =
            |repository: &Path| bare_restic(repository, &password, &["backup", "-q", &data_arg]);
        let caretaker = || async {
            let started = Instant::now();
            let task =
                app::backups::service::start_run(&app.state, &actor, plan, Work::Backup, "bench")
                    .await
                    .unwrap();
            app::backups::service::wait(&app.state, &task)
                .await
                .unwrap();
            started.elapsed()
        };
        // Alternate which goes first, so the page cache favours neither.
        for pass in 0..2 {
            let (bare_took, caretaker_took) = if round % 2 == 0 {
                let bare_took = bare(&bare_repository);
                (bare_took, caretaker().await)
            } else {
                let caretaker_took = caretaker().await;
                (bare(&bare_repository), caretaker_took)
            };
            println!(
                "round {round} {}: bare restic {}, caretaker {}",
                if pass == 0 {
                    "first backup"
                } else {
                    "unchanged again"
                },
                seconds(bare_took),
                seconds(caretaker_took)
            );
            if pass == 0 {
                bare_first.push(bare_took);
                caretaker_first.push(caretaker_took);
            } else {
                bare_again.push(bare_took);
                caretaker_again.push(caretaker_took);
            }
        }
    }
    for (label, bare, caretaker) in [
        ("first backup", &mut bare_first, &mut caretaker_first),
        ("unchanged again", &mut bare_again, &mut caretaker_again),
    ] {
        let (bare, caretaker) = (median(bare), median(caretaker));
        let overhead = (caretaker.as_secs_f64() - bare.as_secs_f64()) / bare.as_secs_f64() * 100.0;
        println!(
            "{label}: median bare restic {}, caretaker {}, overhead {overhead:+.1} %",
            seconds(bare),
            seconds(caretaker)
        );
    }
}
