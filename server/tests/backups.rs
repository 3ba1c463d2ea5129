//! Backup repositories with the real restic (Debian's 0.14): initialise from the page,
//! open an existing one, the password sealed or read from a file, and the errors restic
//! gives for a wrong password, a missing repository or an existing one.

mod common;

use std::process::Command;

use axum::http::StatusCode;
use common::{call_as, error_of, get_as, test_app, TestApp, LOCAL_DOCKER};

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

async fn add(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> common::Answer {
    call_as(
        &app.router,
        Some(cookie),
        "/api/backups/repositories/add",
        &form(fields),
    )
    .await
}

async fn overview(app: &TestApp, cookie: &str) -> serde_json::Value {
    let answer = call_as(&app.router, Some(cookie), "/api/backups/overview", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

/// restic itself, as an admin would run it by hand.
fn restic(args: &[&str]) -> std::process::Output {
    let output = Command::new("restic")
        .args(args)
        .env_remove("RESTIC_PASSWORD")
        .output()
        .expect("restic must be installed: the test command installs it");
    assert!(
        output.status.success(),
        "restic {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

#[tokio::test]
async fn a_repository_is_initialised_from_the_page_with_its_password_sealed() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let place = tempfile::tempdir().unwrap();
    let location = place.path().join("repo").display().to_string();
    let password = "correct horse battery staple";
    let added = add(
        &app,
        &cookie,
        &[
            ("name", "local"),
            ("location", &location),
            ("password_source", "secret"),
            ("password", password),
            ("init", "on"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    assert!(
        place.path().join("repo/config").is_file(),
        "restic init made the repository"
    );

    // restic opens it with the same password: the page and restic agree.
    let listed = overview(&app, &cookie).await;
    let repository = &listed["repositories"][0];
    assert_eq!(repository["name"], "local");
    assert_eq!(repository["offsite"], false);
    assert_eq!(repository["facts"]["Ok"]["snapshots"], 0);
    assert_eq!(repository["password_from"], "a secret stored encrypted");

    // The password is nowhere in plain text: not in the database, not on the page.
    let stored: Vec<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT password_file, sealed_password FROM backup_repositories")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(stored.len(), 1);
    assert!(stored[0].0.is_none());
    assert!(!stored[0].1.as_deref().unwrap().contains("horse"));
    let page = get_as(&app.router, Some(&cookie), "/backups").await;
    assert!(page.body.contains(&location));
    assert!(!page.body.contains("horse"));
    let audit: Vec<String> =
        sqlx::query_scalar("SELECT action FROM audit_log WHERE area = 'backups'")
            .fetch_all(&app.state.db)
            .await
            .unwrap();
    assert_eq!(audit, vec!["init repository"]);

    // Initialising again where a repository exists is refused, plainly.
    let again = add(
        &app,
        &cookie,
        &[
            ("name", "again"),
            ("location", &location),
            ("password_source", "secret"),
            ("password", password),
            ("init", "on"),
        ],
    )
    .await;
    let (kind, sentence) = error_of(&again);
    assert_eq!(kind, "Conflict");
    assert!(sentence.contains("already"), "{sentence}");
}

#[tokio::test]
async fn an_existing_repository_opens_with_a_password_file_and_shows_its_snapshots() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let place = tempfile::tempdir().unwrap();
    let location = place.path().join("repo").display().to_string();
    let password_file = place.path().join("restic.pass");
    std::fs::write(&password_file, "s3cret-from-a-file\n").unwrap();
    let password_file = password_file.display().to_string();
    restic(&[
        "--repo",
        &location,
        "--password-file",
        &password_file,
        "init",
    ]);
    let data = place.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::write(data.join("notes.txt"), "hello").unwrap();
    restic(&[
        "--repo",
        &location,
        "--password-file",
        &password_file,
        "backup",
        data.to_str().unwrap(),
    ]);

    let added = add(
        &app,
        &cookie,
        &[
            ("name", "nas"),
            ("location", &location),
            ("password_source", "file"),
            ("password_file", &password_file),
            ("offsite", "on"),
        ],
    )
    .await;
    assert_eq!(added.status, StatusCode::OK, "{}", added.body);
    let listed = overview(&app, &cookie).await;
    let repository = &listed["repositories"][0];
    assert_eq!(repository["offsite"], true);
    assert_eq!(repository["facts"]["Ok"]["snapshots"], 1);
    assert!(repository["facts"]["Ok"]["latest"].is_string());
    assert_eq!(
        repository["password_from"],
        format!("the file {password_file}")
    );

    // The file changes under caretaker's feet: the page says the password is wrong.
    std::fs::write(place.path().join("restic.pass"), "not it").unwrap();
    let listed = overview(&app, &cookie).await;
    let reason = listed["repositories"][0]["facts"]["Err"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        reason.starts_with("Password: it does not open the repository"),
        "{reason}"
    );
}

#[tokio::test]
async fn wrong_passwords_missing_repositories_and_bad_fields_are_said_plainly() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let place = tempfile::tempdir().unwrap();
    let location = place.path().join("repo").display().to_string();
    let password_file = place.path().join("pass");
    std::fs::write(&password_file, "right").unwrap();
    restic(&[
        "--repo",
        &location,
        "--password-file",
        password_file.to_str().unwrap(),
        "init",
    ]);

    let wrong = add(
        &app,
        &cookie,
        &[
            ("name", "r"),
            ("location", &location),
            ("password_source", "secret"),
            ("password", "wrong"),
        ],
    )
    .await;
    let (kind, sentence) = error_of(&wrong);
    assert_eq!(kind, "Invalid");
    assert!(
        sentence.starts_with("Password: it does not open the repository"),
        "{sentence}"
    );

    let nowhere = place.path().join("nothing-here").display().to_string();
    let missing = add(
        &app,
        &cookie,
        &[
            ("name", "r"),
            ("location", &nowhere),
            ("password_source", "secret"),
            ("password", "x"),
        ],
    )
    .await;
    let (kind, sentence) = error_of(&missing);
    assert_eq!(kind, "NotFound");
    assert!(
        sentence.starts_with("There is no restic repository at"),
        "{sentence}"
    );

    let unreadable = add(
        &app,
        &cookie,
        &[
            ("name", "r"),
            ("location", &location),
            ("password_source", "file"),
            ("password_file", "/no/such/file"),
        ],
    )
    .await;
    assert!(
        error_of(&unreadable)
            .1
            .starts_with("Password file: restic could not read it"),
        "{}",
        unreadable.body
    );

    for (fields, expected) in [
        (
            vec![
                ("name", "R 1"),
                ("location", "/srv/x"),
                ("password_source", "secret"),
                ("password", "x"),
            ],
            "Name:",
        ),
        (
            vec![
                ("name", "r"),
                ("location", "backups"),
                ("password_source", "secret"),
                ("password", "x"),
            ],
            "Location:",
        ),
        (
            vec![
                ("name", "r"),
                ("location", "/srv/x"),
                ("password_source", "secret"),
                ("password", " "),
            ],
            "Password: type",
        ),
        (
            vec![
                ("name", "r"),
                ("location", "/srv/x"),
                ("password_source", "file"),
                ("password_file", "pass"),
            ],
            "Password file: give",
        ),
    ] {
        let answer = add(&app, &cookie, &fields).await;
        let (kind, sentence) = error_of(&answer);
        assert_eq!(kind, "Invalid");
        assert!(sentence.starts_with(expected), "{expected}: {sentence}");
    }
    let count: i64 = sqlx::query_scalar("SELECT count(*) FROM backup_repositories")
        .fetch_one(&app.state.db)
        .await
        .unwrap();
    assert_eq!(count, 0, "nothing was stored");
}
