//! Backup plans with the real restic (Debian's 0.14), real files and real Docker
//! volumes: back up and restore byte for byte, a killed run, the errors restic gives, the
//! stop hook, restore targets that try to escape, and restore drills.

mod common;

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use common::{call_as, error_of, test_app, TestApp, LOCAL_DOCKER};

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("form%5B{key}%5D={}", encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

const PASSWORD: &str = "test password for restic";

/// An app with an admin session and helpers for its backups.
struct Backups {
    app: TestApp,
    cookie: String,
}

impl Backups {
    async fn new() -> Self {
        let app = test_app(LOCAL_DOCKER).await;
        let cookie = app.admin_cookie().await;
        Self { app, cookie }
    }

    async fn call(&self, path: &str, body: &str) -> common::Answer {
        call_as(&self.app.router, Some(&self.cookie), path, body).await
    }

    /// Initialises a repository at `location` from the page; answers its id.
    async fn repository(&self, name: &str, location: &Path, offsite: bool) -> i64 {
        let location = location.display().to_string();
        let mut fields = vec![
            ("name", name),
            ("location", location.as_str()),
            ("password_source", "secret"),
            ("password", PASSWORD),
            ("init", "on"),
        ];
        if offsite {
            fields.push(("offsite", "on"));
        }
        let added = self
            .call("/api/backups/repositories/add", &form(&fields))
            .await;
        assert_eq!(added.status, StatusCode::OK, "{}", added.body);
        added.json().as_i64().unwrap()
    }

    /// Creates a plan from form fields (repositories as ids); answers its id.
    async fn plan(
        &self,
        fields: &[(&str, &str)],
        repositories: &[i64],
    ) -> Result<i64, (String, String)> {
        let mut body = form(fields);
        for (index, id) in repositories.iter().enumerate() {
            body.push_str(&format!("&form%5Brepositories%5D%5B{index}%5D={id}"));
        }
        let created = self.call("/api/backups/plans/create", &body).await;
        if created.status == StatusCode::OK {
            Ok(created.json().as_i64().unwrap())
        } else {
            Err(error_of(&created))
        }
    }

    /// Starts `work` on a plan from the page and waits for the task: its message.
    async fn run(&self, plan: i64, work: &str) -> Result<String, String> {
        let task = self.start(plan, work).await;
        app::backups::service::wait(&self.app.state, &task)
            .await
            .map_err(|error| error.to_string())
    }

    async fn start(&self, plan: i64, work: &str) -> String {
        let started = self
            .call("/api/backups/plans/run", &format!("id={plan}&work={work}"))
            .await;
        assert_eq!(started.status, StatusCode::OK, "{}", started.body);
        started.json().as_str().unwrap().to_owned()
    }

    async fn view(&self, plan: i64) -> serde_json::Value {
        let answer = self
            .call("/api/backups/plans/get", &format!("id={plan}"))
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json()
    }

    async fn snapshots(&self, plan: i64, repository: i64) -> Vec<serde_json::Value> {
        let answer = self
            .call(
                "/api/backups/snapshots",
                &format!("plan={plan}&repository={repository}"),
            )
            .await;
        assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
        answer.json().as_array().unwrap().clone()
    }

    async fn restore(&self, fields: &[(&str, &str)]) -> Result<String, (String, String)> {
        let answer = self.call("/api/backups/restore", &form(fields)).await;
        if answer.status != StatusCode::OK {
            return Err(error_of(&answer));
        }
        let task = answer.json().as_str().unwrap().to_owned();
        app::backups::service::wait(&self.app.state, &task)
            .await
            .map_err(|error| ("Task".to_owned(), error.to_string()))
    }

    async fn audit(&self, area: &str) -> Vec<(String, String, String)> {
        sqlx::query_as("SELECT action, target, result FROM audit_log WHERE area = ? ORDER BY id")
            .bind(area)
            .fetch_all(&self.app.state.db)
            .await
            .unwrap()
    }
}

/// restic itself, as an admin would run it by hand.
fn restic(repository: &Path, args: &[&str]) -> std::process::Output {
    let password = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(password.path(), PASSWORD).unwrap();
    Command::new("restic")
        .arg("--repo")
        .arg(repository)
        .arg("--password-file")
        .arg(password.path())
        .args(args)
        .env_remove("RESTIC_PASSWORD")
        .output()
        .expect("restic must be installed: the test command installs it")
}

/// Bytes that do not repeat (restic would deduplicate a repeated pattern to nothing).
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

/// A tree with names and kinds that break naive tools.
fn awkward_tree(root: &Path) {
    let dir = root.join("with space/ünïcødé ✓");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("a file with spaces.txt"), b"spaces\n").unwrap();
    std::fs::write(root.join("line\nbreak.txt"), b"a newline in the name\n").unwrap();
    std::fs::write(root.join("empty"), b"").unwrap();
    std::fs::write(root.join("-starts-with-dash"), b"not an option\n").unwrap();
    std::fs::write(root.join("big.bin"), noise(100 * 1024 * 1024, 7)).unwrap();
    symlink(
        "with space/ünïcødé ✓/a file with spaces.txt",
        root.join("relative link"),
    )
    .unwrap();
    symlink("/etc/hostname", root.join("absolute link")).unwrap();
    symlink("does-not-exist", root.join("dangling link")).unwrap();
    std::fs::create_dir_all(root.join("empty dir")).unwrap();
}

/// Every entry under `root`: its kind and content (files), target (links).
fn contents(root: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            let path = entry.path();
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            let kind = entry.file_type().unwrap();
            let described = if kind.is_symlink() {
                format!("link → {}", std::fs::read_link(&path).unwrap().display())
            } else if kind.is_dir() {
                stack.push(path.clone());
                "dir".to_owned()
            } else {
                let bytes = std::fs::read(&path).unwrap();
                use sha2::Digest;
                format!("file {} {:x}", bytes.len(), sha2::Sha256::digest(&bytes))
            };
            found.insert(relative, described);
        }
    }
    found
}

#[tokio::test]
async fn an_awkward_tree_is_backed_up_restored_byte_for_byte_and_drilled() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    awkward_tree(&source);
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "awkward"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
                ("keep_last", "3"),
            ],
            &[repository],
        )
        .await
        .unwrap();

    let said = backups.run(plan, "backup").await.unwrap();
    assert!(said.contains("local:"), "{said}");
    let view = backups.view(plan).await;
    let run = &view["runs"][0];
    assert_eq!(run["status"], "succeeded", "{run}");
    assert_eq!(run["work"], "backup");
    assert_eq!(run["files_new"], 5, "five regular files: {run}");
    assert!(run["bytes_added"].as_i64().unwrap() >= 100 * 1024 * 1024);
    assert_eq!(run["exit_code"], serde_json::Value::Null);
    let snapshot_id = run["snapshot_ids"][0].as_str().unwrap().to_owned();
    assert!(
        snapshot_id.len() >= 8,
        "restic's id is recorded: {snapshot_id}"
    );
    assert!(run["finished_at"].is_string());
    assert_eq!(view["summary"]["copies"][0]["stale"], false);
    assert_eq!(
        view["summary"]["three_two_one"], false,
        "one on-site copy only"
    );

    // The snapshot is there, tagged with the plan, and browsable.
    let snapshots = backups.snapshots(plan, repository).await;
    assert_eq!(snapshots.len(), 1);
    assert!(snapshots[0]["id"]
        .as_str()
        .unwrap()
        .starts_with(&snapshot_id));
    let tree = backups
        .call(
            "/api/backups/tree",
            &format!(
                "plan={plan}&repository={repository}&snapshot={snapshot_id}&dir={}",
                encode(&source.display().to_string())
            ),
        )
        .await;
    assert_eq!(tree.status, StatusCode::OK, "{}", tree.body);
    let names: Vec<String> = tree
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(names.contains(&"line\nbreak.txt".to_owned()), "{names:?}");
    assert!(names.contains(&"with space".to_owned()), "{names:?}");

    // Restore everything into a new directory: the same bytes, names and links.
    let target = place.path().join("restored");
    let message = backups
        .restore(&[
            ("plan", &plan.to_string()),
            ("repository", &repository.to_string()),
            ("snapshot", &snapshot_id),
            ("target_kind", "directory"),
            ("directory", &target.display().to_string()),
            ("confirm", "on"),
        ])
        .await
        .unwrap();
    assert!(message.contains("Restored into"), "{message}");
    let restored_root = target.join(source.strip_prefix("/").unwrap());
    assert_eq!(contents(&restored_root), contents(&source));

    // A drill restores the latest snapshot and verifies it.
    let drilled = backups.run(plan, "drill").await.unwrap();
    assert!(drilled.contains("5 files"), "{drilled}");
    let view = backups.view(plan).await;
    assert_eq!(view["summary"]["last_drill"]["status"], "succeeded");

    // A check reads the data back and finds nothing wrong.
    let checked = backups.run(plan, "check").await.unwrap();
    assert!(checked.contains("No errors were found"), "{checked}");

    let actions: Vec<String> = backups
        .audit("backups")
        .await
        .into_iter()
        .map(|(action, _, _)| action)
        .collect();
    for expected in [
        "create plan",
        "back up",
        "restore",
        "restore finished",
        "restore drill",
        "check",
    ] {
        assert!(
            actions.contains(&expected.to_owned()),
            "{expected} in {actions:?}"
        );
    }
}

/// The pid of a running `restic backup` for `repository`, if one runs.
fn restic_backup_pid(repository: &Path) -> Option<i32> {
    let wanted = repository.display().to_string();
    std::fs::read_dir("/proc")
        .ok()?
        .flatten()
        .find_map(|entry| {
            let pid: i32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let words: Vec<String> = cmdline
                .split(|byte| *byte == 0)
                .map(|word| String::from_utf8_lossy(word).into_owned())
                .collect();
            let is_backup = words
                .first()
                .is_some_and(|program| program.ends_with("restic"))
                && words.iter().any(|word| word == "backup")
                && words.contains(&wanted);
            is_backup.then_some(pid)
        })
}

#[tokio::test]
async fn a_killed_run_is_recorded_the_repository_stays_sound_and_the_next_run_works() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    for index in 0..4 {
        std::fs::write(
            source.join(format!("part-{index}.bin")),
            noise(64 * 1024 * 1024, index),
        )
        .unwrap();
    }
    let location = place.path().join("repo");
    let repository = backups.repository("local", &location, false).await;
    let plan = backups
        .plan(
            &[
                ("name", "big"),
                ("data_class", "application"),
                ("sources", &source.display().to_string()),
                ("keep_last", "1"),
            ],
            &[repository],
        )
        .await
        .unwrap();

    let task = backups.start(plan, "backup").await;
    // A second run of the same plan is refused while the first runs.
    let again = backups
        .call("/api/backups/plans/run", &format!("id={plan}&work=backup"))
        .await;
    let (kind, sentence) = error_of(&again);
    assert_eq!(kind, "Conflict");
    assert!(sentence.contains("never overlap"), "{sentence}");

    let mut pid = None;
    for _ in 0..200 {
        pid = restic_backup_pid(&location);
        if pid.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let pid = pid.expect("restic backup started");
    // Let it write some data first, then kill it the hard way (no chance to unlock).
    tokio::time::sleep(Duration::from_millis(700)).await;
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let failed = app::backups::service::wait(&backups.app.state, &task)
        .await
        .unwrap_err()
        .to_string();
    assert!(failed.contains("signal 9"), "{failed}");
    let view = backups.view(plan).await;
    assert_eq!(view["runs"][0]["status"], "failed", "{}", view["runs"][0]);

    // The killed restic left its lock behind; restic's own check still finds the
    // repository sound (it is told to ignore that one stale lock by unlocking first).
    let locks = restic(&location, &["list", "locks", "--no-lock"]);
    assert!(
        !String::from_utf8_lossy(&locks.stdout).trim().is_empty(),
        "a stale lock is there"
    );

    // The next run succeeds, and its retention (an exclusive lock) clears the stale lock.
    let said = backups.run(plan, "backup").await.unwrap();
    assert!(said.contains("new"), "{said}");
    let view = backups.view(plan).await;
    assert_eq!(
        view["runs"][0]["status"], "succeeded",
        "{}",
        view["runs"][0]
    );
    let check = restic(&location, &["check"]);
    assert!(
        check.status.success(),
        "restic check: {}{}",
        String::from_utf8_lossy(&check.stdout),
        String::from_utf8_lossy(&check.stderr)
    );
}

#[tokio::test]
async fn wrong_password_missing_repository_full_disk_and_damage_each_say_what_happened() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("a.bin"), noise(2 * 1024 * 1024, 1)).unwrap();

    // A password file that no longer opens the repository.
    let password_file = place.path().join("restic.pass");
    std::fs::write(&password_file, PASSWORD).unwrap();
    let location = place.path().join("repo");
    let init = restic(&location, &["init"]);
    assert!(init.status.success());
    let added = backups
        .call(
            "/api/backups/repositories/add",
            &form(&[
                ("name", "by-file"),
                ("location", &location.display().to_string()),
                ("password_source", "file"),
                ("password_file", &password_file.display().to_string()),
            ]),
        )
        .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let by_file = added.json().as_i64().unwrap();
    let plan = backups
        .plan(
            &[
                ("name", "errors"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[by_file],
        )
        .await
        .unwrap();
    std::fs::write(&password_file, "not the password").unwrap();
    let error = backups.run(plan, "backup").await.unwrap_err();
    assert!(
        error.contains("Password: it does not open the repository"),
        "{error}"
    );
    std::fs::write(&password_file, PASSWORD).unwrap();
    backups.run(plan, "backup").await.unwrap();

    // A corrupted pack file: the check reads it back, fails, and says so.
    let pack = std::fs::read_dir(location.join("data"))
        .unwrap()
        .flatten()
        .flat_map(|bucket| std::fs::read_dir(bucket.path()).unwrap().flatten())
        .map(|entry| entry.path())
        .max_by_key(|path| std::fs::metadata(path).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&pack).unwrap();
    let middle = bytes.len() / 2;
    for byte in &mut bytes[middle..middle + 64] {
        *byte ^= 0xff;
    }
    std::fs::write(&pack, bytes).unwrap();
    let edited = backups
        .call(
            "/api/backups/plans/update",
            &format!(
                "id={plan}&{}&form%5Brepositories%5D%5B0%5D={by_file}",
                form(&[
                    ("name", "errors"),
                    ("data_class", "user"),
                    ("sources", &source.display().to_string()),
                    ("check_subset", "100%"),
                ])
            ),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let damaged = backups.run(plan, "check").await.unwrap_err();
    assert!(damaged.contains("The repository is damaged"), "{damaged}");
    let view = backups.view(plan).await;
    assert_eq!(view["runs"][0]["work"], "check");
    assert_eq!(view["runs"][0]["status"], "failed");

    // A repository that is gone.
    let gone_place = place.path().join("gone");
    let gone = backups.repository("gone", &gone_place, false).await;
    let plan_gone = backups
        .plan(
            &[
                ("name", "gone"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[gone],
        )
        .await
        .unwrap();
    std::fs::remove_dir_all(&gone_place).unwrap();
    let error = backups.run(plan_gone, "backup").await.unwrap_err();
    assert!(
        error.contains("There is no restic repository at"),
        "{error}"
    );

    // A full disk: a repository on a 16 MB tmpfs, and 40 MB to back up.
    let small = place.path().join("small");
    std::fs::create_dir_all(&small).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=16m", "tmpfs"])
        .arg(&small)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "mounting a small tmpfs (the tests run as root)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(small.clone());
    let full = backups.repository("full", &small.join("repo"), false).await;
    let big = place.path().join("big");
    std::fs::create_dir_all(&big).unwrap();
    std::fs::write(big.join("big.bin"), noise(40 * 1024 * 1024, 3)).unwrap();
    let plan_full = backups
        .plan(
            &[
                ("name", "full"),
                ("data_class", "user"),
                ("sources", &big.display().to_string()),
            ],
            &[full],
        )
        .await
        .unwrap();
    let error = backups.run(plan_full, "backup").await.unwrap_err();
    assert!(error.contains("no space left on device"), "{error}");
    let view = backups.view(plan_full).await;
    assert_eq!(view["runs"][0]["status"], "failed");

    // A source that does not exist.
    let error = backups
        .plan(
            &[
                ("name", "nothing"),
                ("data_class", "user"),
                ("sources", "relative/path"),
            ],
            &[full],
        )
        .await
        .unwrap_err();
    assert_eq!(error.0, "Invalid");
    assert!(error.1.starts_with("Sources:"), "{}", error.1);
}

#[tokio::test]
async fn restore_targets_that_try_to_escape_are_refused() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("secret.txt"), b"restored\n").unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "escape"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[repository],
        )
        .await
        .unwrap();
    backups.run(plan, "backup").await.unwrap();
    let snapshot = backups.snapshots(plan, repository).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let outside = tempfile::tempdir().unwrap();
    let link = place.path().join("innocent");
    symlink(outside.path(), &link).unwrap();
    let occupied = place.path().join("occupied");
    std::fs::create_dir_all(&occupied).unwrap();
    std::fs::write(occupied.join("keep.txt"), b"mine").unwrap();
    let plan_text = plan.to_string();
    let repository_text = repository.to_string();
    let attempt = |directory: String| {
        vec![
            ("plan", plan_text.clone()),
            ("repository", repository_text.clone()),
            ("snapshot", snapshot.clone()),
            ("target_kind", "directory".to_owned()),
            ("directory", directory),
            ("confirm", "on".to_owned()),
        ]
    };
    let cases = [
        (
            format!("{}/restore/../../etc", place.path().display()),
            "“..”",
        ),
        (format!("{}/inside", link.display()), "symbolic link"),
        (occupied.display().to_string(), "not empty"),
        ("/etc".to_owned(), "system directory"),
        ("relative/dir".to_owned(), "not an absolute path"),
    ];
    for (directory, expected) in cases {
        let fields = attempt(directory.clone());
        let borrowed: Vec<(&str, &str)> = fields
            .iter()
            .map(|(key, value)| (*key, value.as_str()))
            .collect();
        let (kind, sentence) = backups.restore(&borrowed).await.unwrap_err();
        assert_eq!(kind, "Invalid", "{directory}: {sentence}");
        assert!(sentence.contains(expected), "{directory}: {sentence}");
    }
    assert_eq!(
        std::fs::read_dir(outside.path()).unwrap().count(),
        0,
        "nothing written through the link"
    );
    assert_eq!(std::fs::read(occupied.join("keep.txt")).unwrap(), b"mine");

    // Without the confirmation nothing happens either.
    let mut fields = attempt(place.path().join("fine").display().to_string());
    fields.retain(|(key, _)| *key != "confirm");
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let (_, sentence) = backups.restore(&borrowed).await.unwrap_err();
    assert!(sentence.starts_with("Confirm:"), "{sentence}");
    assert!(!place.path().join("fine").exists());

    // A snapshot id of another plan, or made up, is not found.
    let mut fields = attempt(place.path().join("fine").display().to_string());
    fields[2].1 = "0123456789abcdef".to_owned();
    let borrowed: Vec<(&str, &str)> = fields
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let (kind, _) = backups.restore(&borrowed).await.unwrap_err();
    assert_eq!(kind, "NotFound");
}

/// A SQLite database with a table and rows, written by the sqlite3 program.
fn sqlite_database(path: &Path) {
    let made = Command::new("sqlite3")
        .arg(path)
        .arg("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT); WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM n WHERE i < 2000) INSERT INTO notes(body) SELECT hex(randomblob(64)) FROM n;")
        .status()
        .expect("sqlite3 must be installed: the test command installs it");
    assert!(made.success());
}

#[tokio::test]
async fn a_drill_catches_a_corrupted_sqlite_database_and_passes_caretakers_own() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("app");
    std::fs::create_dir_all(&source).unwrap();
    sqlite_database(&source.join("good.db"));
    sqlite_database(&source.join("broken.db"));
    // Damage the second database's pages but keep its header: it still looks like SQLite.
    let mut bytes = std::fs::read(source.join("broken.db")).unwrap();
    let page = 4096;
    for byte in &mut bytes[page + 100..page * 3] {
        *byte = 0x5a;
    }
    std::fs::write(source.join("broken.db"), bytes).unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "databases"),
                ("data_class", "application"),
                ("sources", &format!("{}\ncaretaker-db", source.display())),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let said = backups.run(plan, "backup").await.unwrap();
    assert!(said.contains("local:"), "{said}");
    let snapshots = backups.snapshots(plan, repository).await;
    assert_eq!(snapshots.len(), 2, "one snapshot per source");

    let failed = backups.run(plan, "drill").await.unwrap_err();
    assert!(failed.contains("broken.db"), "{failed}");
    assert!(!failed.contains("good.db"), "{failed}");
    let view = backups.view(plan).await;
    assert_eq!(view["summary"]["last_drill"]["status"], "failed");

    // With the damaged file gone, the drill passes, caretaker's own database included.
    std::fs::remove_file(source.join("broken.db")).unwrap();
    backups.run(plan, "backup").await.unwrap();
    let passed = backups.run(plan, "drill").await.unwrap();
    assert!(
        passed.contains("caretaker's database: SQLite integrity check ok"),
        "{passed}"
    );
    assert!(passed.contains("1 SQLite files in it passed"), "{passed}");
}

#[tokio::test]
async fn a_volume_backup_stops_its_container_and_starts_it_again_even_when_the_backup_fails() {
    use bollard::models::{ContainerCreateBody, HostConfig};
    let backups = Backups::new().await;
    let docker = common::docker();
    let volume = common::unique_name("ct-volume");
    docker
        .create_volume(bollard::models::VolumeCreateOptions {
            name: Some(volume.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    struct RemoveVolume(String);
    impl Drop for RemoveVolume {
        fn drop(&mut self) {
            let _ = Command::new("docker")
                .args(["volume", "rm", "-f", &self.0])
                .output();
        }
    }
    let _cleanup = RemoveVolume(volume.clone());
    let container = common::TestContainer::start_with(
        &docker,
        "ct-backup",
        ContainerCreateBody {
            host_config: Some(HostConfig {
                binds: Some(vec![format!("{volume}:/data")]),
                ..Default::default()
            }),
            cmd: Some(vec![
                "/bin/busybox".into(),
                "sh".into(),
                "-c".into(),
                "echo first > /data/note.txt; exec /bin/busybox sleep 600".into(),
            ]),
            ..Default::default()
        },
    )
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let place = tempfile::tempdir().unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "volume"),
                ("data_class", "application"),
                ("sources", &format!("volume:{volume}")),
                ("stop_containers", &container.name),
            ],
            &[repository],
        )
        .await
        .unwrap();
    backups.run(plan, "backup").await.unwrap();
    let started_at = |inspect: bollard::models::ContainerInspectResponse| {
        let state = inspect.state.unwrap();
        (state.running.unwrap(), state.started_at.unwrap())
    };
    let (running, first_start) = started_at(
        docker
            .inspect_container(
                &container.name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .unwrap(),
    );
    assert!(running, "started again after the backup");
    let containers = backups.audit("containers").await;
    let actions: Vec<&str> = containers
        .iter()
        .map(|(action, _, _)| action.as_str())
        .collect();
    assert_eq!(actions, ["stop", "start"], "{containers:?}");

    // Restore the snapshot back into the volume after the data changed.
    let mountpoint = docker.inspect_volume(&volume).await.unwrap().mountpoint;
    std::fs::write(Path::new(&mountpoint).join("note.txt"), b"changed\n").unwrap();
    std::fs::write(Path::new(&mountpoint).join("extra.txt"), b"new\n").unwrap();
    let snapshot = backups.snapshots(plan, repository).await[0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let restored = backups
        .restore(&[
            ("plan", &plan.to_string()),
            ("repository", &repository.to_string()),
            ("snapshot", &snapshot),
            ("target_kind", "volume"),
            ("volume", &volume),
            ("confirm", "on"),
        ])
        .await
        .unwrap();
    assert!(
        restored.contains("was stopped during it and started again"),
        "{restored}"
    );
    assert_eq!(
        std::fs::read(Path::new(&mountpoint).join("note.txt")).unwrap(),
        b"first\n"
    );
    assert!(
        !Path::new(&mountpoint).join("extra.txt").exists(),
        "the volume is as it was"
    );

    // A backup that fails (its second source is gone) still starts the container again.
    let edited = backups
        .call(
            "/api/backups/plans/update",
            &format!(
                "id={plan}&{}&form%5Brepositories%5D%5B0%5D={repository}",
                form(&[
                    ("name", "volume"),
                    ("data_class", "application"),
                    ("sources", &format!("volume:{volume}\n/does/not/exist")),
                    ("stop_containers", &container.name),
                ])
            ),
        )
        .await;
    assert_eq!(edited.status, StatusCode::OK, "{}", edited.body);
    let error = backups.run(plan, "backup").await.unwrap_err();
    assert!(error.contains("/does/not/exist does not exist"), "{error}");
    let (running, second_start) = started_at(
        docker
            .inspect_container(
                &container.name,
                None::<bollard::query_parameters::InspectContainerOptions>,
            )
            .await
            .unwrap(),
    );
    assert!(running, "started again after the failed backup");
    assert_ne!(first_start, second_start, "it was stopped and started");
}

#[tokio::test]
async fn three_two_one_needs_two_good_copies_one_off_site() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("a.txt"), b"a").unwrap();
    let near = backups
        .repository("near", &place.path().join("near"), false)
        .await;
    let far = backups
        .repository("far", &place.path().join("far"), true)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "both"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[near, far],
        )
        .await
        .unwrap();
    let before = backups.view(plan).await;
    assert_eq!(before["summary"]["three_two_one"], false, "no backup yet");
    assert_eq!(before["summary"]["copies"][0]["stale"], true);
    backups.run(plan, "backup").await.unwrap();
    let after = backups.view(plan).await;
    assert_eq!(after["summary"]["three_two_one"], true);
    assert_eq!(
        after["runs"].as_array().unwrap().len(),
        2,
        "one run per repository"
    );

    // The repository cannot be removed while a plan uses it.
    let removed = backups
        .call("/api/backups/repositories/remove", &format!("id={far}"))
        .await;
    let (kind, sentence) = error_of(&removed);
    assert_eq!(kind, "Conflict");
    assert!(sentence.contains("both"), "{sentence}");
}

/// `caretaker backup …` on the same data directory as the app.
fn caretaker(data_dir: &Path, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_caretaker"))
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("CARETAKER_CONFIG")
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_command_line_lists_runs_and_restores_a_plan() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("notes.txt"), b"from the command line\n").unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    backups
        .plan(
            &[
                ("name", "cli"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let data_dir = backups.app.dir.path();

    let listed = caretaker(data_dir, &["backup", "list"]);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{text}");
    assert!(text.contains("cli  (user data; 3-2-1 not met)"), "{text}");
    assert!(text.contains("last good never"), "{text}");

    let ran = caretaker(data_dir, &["backup", "run", "cli"]);
    assert!(
        ran.status.success(),
        "{}",
        String::from_utf8_lossy(&ran.stderr)
    );
    assert!(String::from_utf8_lossy(&ran.stdout).contains("1 new"));
    let listed = caretaker(data_dir, &["backup", "list"]);
    assert!(!String::from_utf8_lossy(&listed.stdout).contains("last good never"));

    let snapshots = caretaker(data_dir, &["backup", "snapshots", "cli"]);
    let text = String::from_utf8_lossy(&snapshots.stdout).into_owned();
    let short_id = text.split_whitespace().next().unwrap().to_owned();
    assert_eq!(short_id.len(), 8, "{text}");

    let target = place.path().join("restored");
    let target_text = target.display().to_string();
    let unconfirmed = caretaker(
        data_dir,
        &[
            "backup",
            "restore",
            "cli",
            "--snapshot",
            &short_id,
            "--target",
            &target_text,
        ],
    );
    assert!(!unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stderr).contains("--yes"));
    let restored = caretaker(
        data_dir,
        &[
            "backup",
            "restore",
            "cli",
            "--snapshot",
            &short_id,
            "--target",
            &target_text,
            "--yes",
        ],
    );
    assert!(
        restored.status.success(),
        "{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    let file = target
        .join(source.strip_prefix("/").unwrap())
        .join("notes.txt");
    assert_eq!(std::fs::read(file).unwrap(), b"from the command line\n");

    let missing = caretaker(data_dir, &["backup", "run", "no-such-plan"]);
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr)
        .contains("There is no backup plan named no-such-plan"));
    let help = caretaker(data_dir, &["backup", "--help"]);
    assert!(String::from_utf8_lossy(&help.stdout).contains("restore"));

    // The web page sees the command line's run, recorded as such.
    let plan = app::backups::service::plan_by_name(&backups.app.state, "cli")
        .await
        .unwrap();
    let view = backups.view(plan.id).await;
    assert_eq!(view["runs"][0]["trigger"], "cli");
    assert!(view["runs"][0]["actor"]
        .as_str()
        .unwrap()
        .starts_with("command line"));
}

#[tokio::test]
async fn a_backup_job_runs_the_plan_and_goes_when_the_plan_goes() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("a.txt"), b"scheduled").unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "nightly"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let created = backups
        .call(
            "/api/jobs/create",
            &form(&[
                ("name", "back up nightly"),
                ("kind", "backup"),
                ("plan", &plan.to_string()),
                ("work", "backup"),
                ("schedule_kind", "cron"),
                ("expression", "30 2 * * *"),
                ("zone", "UTC"),
                ("timeout", "1h"),
            ]),
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    let job = created.json().as_i64().unwrap();
    let view = backups.view(plan).await;
    assert_eq!(view["schedules"][0][1], "back up nightly");
    assert_eq!(view["schedules"][0][2], "at 02:30 every day (UTC)");

    // A job for a plan that does not exist is refused with a sentence.
    let refused = backups
        .call(
            "/api/jobs/create",
            &form(&[
                ("name", "ghost"),
                ("kind", "backup"),
                ("plan", "9999"),
                ("work", "backup"),
                ("schedule_kind", "manual"),
            ]),
        )
        .await;
    let (kind, sentence) = error_of(&refused);
    assert_eq!(kind, "Invalid");
    assert!(sentence.starts_with("Backup plan:"), "{sentence}");

    let ran = backups.call("/api/jobs/run", &format!("id={job}")).await;
    assert_eq!(ran.status, StatusCode::OK, "{}", ran.body);
    let mut runs = serde_json::Value::Null;
    for _ in 0..100 {
        runs = backups
            .call("/api/jobs/runs", &format!("id={job}"))
            .await
            .json();
        if runs["runs"][0]["status"] == "succeeded" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(runs["runs"][0]["status"], "succeeded", "{runs}");
    let view = backups.view(plan).await;
    assert_eq!(view["runs"][0]["trigger"], "job");
    assert_eq!(view["runs"][0]["actor"], "scheduler");
    assert_eq!(view["runs"][0]["status"], "succeeded");

    let deleted = backups
        .call("/api/backups/plans/delete", &format!("id={plan}"))
        .await;
    assert_eq!(deleted.status, StatusCode::OK, "{}", deleted.body);
    let jobs = backups.call("/api/jobs/list", "").await.json();
    assert_eq!(jobs[0].as_array().map(Vec::len), Some(0), "{jobs}");
}

#[tokio::test]
async fn an_unreadable_file_makes_a_partial_backup_never_a_success() {
    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("fine.txt"), b"fine").unwrap();
    // Even root cannot open another process's memory: a file restic cannot read.
    let locked = source.join("locked.bin");
    std::fs::write(&locked, b"").unwrap();
    let mounted = Command::new("mount")
        .arg("--bind")
        .arg("/proc/1/mem")
        .arg(&locked)
        .status()
        .unwrap();
    assert!(
        mounted.success(),
        "bind-mounting a file (the tests run as root)"
    );
    struct Unmount(PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(locked.clone());
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "partial"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let error = backups.run(plan, "backup").await.unwrap_err();
    assert!(error.contains("Partial"), "{error}");
    assert!(error.contains("locked.bin"), "{error}");
    let view = backups.view(plan).await;
    let run = &view["runs"][0];
    assert_eq!(run["status"], "partial", "{run}");
    assert_eq!(run["exit_code"], 3);
    assert_eq!(
        run["snapshot_ids"].as_array().unwrap().len(),
        1,
        "the snapshot was saved"
    );
    assert_eq!(
        view["summary"]["copies"][0]["last_good"],
        serde_json::Value::Null,
        "partial is not good"
    );
}

/// The PostgreSQL test image (scripts/postgres-image.sh builds it once per machine).
const POSTGRES_IMAGE: &str = "caretaker-test/postgres:15";

fn ensure_postgres_image() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/postgres-image.sh");
    let built = Command::new(script).status().unwrap();
    assert!(built.success(), "building {POSTGRES_IMAGE}");
}

async fn psql(docker: &bollard::Docker, container: &str, sql: &str) -> (Option<i64>, String) {
    use bollard::exec::{CreateExecOptions, StartExecResults};
    use futures::StreamExt;
    let created = docker
        .create_exec(
            container,
            CreateExecOptions::<String> {
                cmd: Some(vec![
                    "psql".into(),
                    "-U".into(),
                    "postgres".into(),
                    "-d".into(),
                    "app".into(),
                    "-tAc".into(),
                    sql.into(),
                ]),
                attach_stdout: Some(true),
                attach_stderr: Some(true),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let mut text = String::new();
    if let StartExecResults::Attached { mut output, .. } =
        docker.start_exec(&created.id, None).await.unwrap()
    {
        while let Some(Ok(chunk)) = output.next().await {
            text.push_str(&String::from_utf8_lossy(&chunk.into_bytes()));
        }
    }
    (
        docker.inspect_exec(&created.id).await.unwrap().exit_code,
        text,
    )
}

#[tokio::test]
async fn a_postgres_dump_is_streamed_to_restic_and_a_drill_loads_it_into_a_throwaway_container() {
    use bollard::models::ContainerCreateBody;
    ensure_postgres_image();
    let backups = Backups::new().await;
    let docker = common::docker();
    let name = common::unique_name("ct-pg");
    docker
        .create_container(
            Some(
                bollard::query_parameters::CreateContainerOptionsBuilder::new()
                    .name(&name)
                    .build(),
            ),
            ContainerCreateBody {
                image: Some(POSTGRES_IMAGE.to_owned()),
                env: Some(vec![
                    "POSTGRES_PASSWORD=secret".into(),
                    "POSTGRES_DB=app".into(),
                ]),
                labels: Some([("caretaker.test".to_owned(), "1".to_owned())].into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    let container = common::TestContainer { name: name.clone() };
    docker
        .start_container(
            &name,
            None::<bollard::query_parameters::StartContainerOptions>,
        )
        .await
        .unwrap();
    let mut ready = false;
    for _ in 0..120 {
        if psql(&docker, &name, "SELECT 1").await.0 == Some(0) {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ready, "PostgreSQL in the test container is up");
    let (code, text) = psql(
        &docker,
        &name,
        "CREATE TABLE orders(id serial PRIMARY KEY, item text); INSERT INTO orders(item) SELECT 'item ' || n FROM generate_series(1, 500) n; CREATE TABLE customers(id int);",
    )
    .await;
    assert_eq!(code, Some(0), "{text}");

    let place = tempfile::tempdir().unwrap();
    let repository = backups
        .repository("local", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "orders"),
                ("data_class", "application"),
                (
                    "sources",
                    &format!("postgres:{}:app user=postgres", container.name),
                ),
            ],
            &[repository],
        )
        .await
        .unwrap();
    backups.run(plan, "backup").await.unwrap();
    let snapshots = backups.snapshots(plan, repository).await;
    assert_eq!(snapshots.len(), 1);
    let expected = format!("/dumps/{}/app.sql", container.name);
    assert_eq!(snapshots[0]["paths"][0], expected.as_str());
    let dumped = restic(
        &place.path().join("repo"),
        &["dump", snapshots[0]["id"].as_str().unwrap(), &expected],
    );
    let dump = String::from_utf8_lossy(&dumped.stdout);
    assert!(dump.contains("item 500"), "the rows are in the dump");
    assert!(dump.contains("PostgreSQL database dump complete"));

    let drilled = backups.run(plan, "drill").await.unwrap();
    assert!(
        drilled.contains("the dump loaded into a throwaway PostgreSQL (2 tables)"),
        "{drilled}"
    );
    let leftovers = Command::new("docker")
        .args(["ps", "-aq", "--filter", "label=caretaker.drill"])
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&leftovers.stdout).trim().is_empty(),
        "the throwaway container is gone"
    );

    // A dump that fails (no such database) fails the run and keeps no snapshot of it.
    let broken = backups
        .plan(
            &[
                ("name", "no-database"),
                ("data_class", "application"),
                (
                    "sources",
                    &format!("postgres:{}:nothing user=postgres", container.name),
                ),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let error = backups.run(broken, "backup").await.unwrap_err();
    assert!(error.contains("pg_dump in"), "{error}");
    assert!(error.contains("\"nothing\" does not exist"), "{error}");
    assert!(
        backups.snapshots(broken, repository).await.is_empty(),
        "no snapshot of a failed dump"
    );
}

/// Issue 6's "at a glance" alert: a backup-freshness monitor of a plan is down until every
/// copy has a good backup, goes down again once the last one is older than the limit, and
/// the public status page shows when the plan was last backed up.
#[tokio::test]
async fn a_stale_plan_is_a_down_freshness_monitor_and_the_status_page_shows_its_last_backup() {
    use app::core::scheduler::ManualClock;
    use app::monitors::{service as monitors, MonitorForm, MonitorState};
    use std::sync::Arc;

    let backups = Backups::new().await;
    let place = tempfile::tempdir().unwrap();
    let source = place.path().join("data");
    std::fs::create_dir_all(&source).unwrap();
    std::fs::write(source.join("notes.txt"), b"keep me").unwrap();
    let repository = backups
        .repository("nightly", &place.path().join("repo"), false)
        .await;
    let plan = backups
        .plan(
            &[
                ("name", "documents"),
                ("data_class", "user"),
                ("sources", &source.display().to_string()),
            ],
            &[repository],
        )
        .await
        .unwrap();
    let actor = app::audit::service::Actor {
        user_id: None,
        name: "test".into(),
        address: "127.0.0.1".into(),
    };
    let state = &backups.app.state;
    let monitor = monitors::create(
        state,
        &actor,
        &MonitorForm {
            name: "documents backup".into(),
            kind: "backup_freshness".into(),
            plan_id: plan.to_string(),
            down_after: "1".into(),
            up_after: "1".into(),
            published: Some("on".into()),
            public_name: "Document backups".into(),
            ..MonitorForm::default()
        },
    )
    .await
    .unwrap();
    let state_of = |id| async move { monitors::view(state, id).await.unwrap().summary.state };

    let never = monitors::check_now(state, monitor).await.unwrap();
    assert!(
        never.message.contains("no good backup yet"),
        "{}",
        never.message
    );
    assert_eq!(state_of(monitor).await, MonitorState::Down);

    backups.run(plan, "backup").await.unwrap();
    let fresh = monitors::check_now(state, monitor).await.unwrap();
    assert!(fresh.ok, "{}", fresh.message);
    assert_eq!(state_of(monitor).await, MonitorState::Up);
    let status = monitors::public_status(state).await.unwrap();
    let service = &status.services[0];
    assert_eq!(service.name, "Document backups");
    let last = service.last_backup.expect("the last backup is published");
    assert!((chrono::Utc::now() - last).num_minutes() < 10, "{last}");
    let page = common::get(&backups.app.router, "/status").await;
    assert!(page.body.contains("Last backup"), "{}", page.body);
    assert!(
        !page.body.contains(&source.display().to_string()),
        "the backed-up paths stay internal"
    );

    // Two days on, without another backup: stale, and down again.
    let clock = Arc::new(ManualClock::new(
        chrono::Utc::now() + chrono::Duration::hours(app::backups::STALE_AFTER_HOURS + 22),
    ));
    state.scheduler.use_clock(clock);
    let stale = monitors::check_now(state, monitor).await.unwrap();
    assert!(!stale.ok);
    assert!(stale.message.contains("hours ago"), "{}", stale.message);
    assert_eq!(state_of(monitor).await, MonitorState::Down);
}
