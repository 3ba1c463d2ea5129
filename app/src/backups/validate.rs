//! Checking the repository and plan forms: what is wrong and what is accepted.

use super::{ContainerRef, DataClass, DumpEngine, PlanForm, PlanSpec, Retention, Source};
use crate::containers::LOCAL_HOST_ID;

/// restic's location forms caretaker accepts.
const SCHEMES: &[&str] = &[
    "local:", "sftp:", "s3:", "rest:", "b2:", "azure:", "gs:", "swift:", "rclone:",
];

/// A repository name: 1 to 40 of `a-z 0-9 -`.
pub fn name(text: &str) -> Result<String, String> {
    let name = text.trim();
    let ok = !name.is_empty()
        && name.len() <= 40
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
    if ok {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "Name: “{name}” is not accepted. Use 1 to 40 lowercase letters, digits and dashes, for example nas-offsite."
        ))
    }
}

/// A restic repository location: an absolute path, or one of restic's backends.
pub fn location(text: &str) -> Result<String, String> {
    let location = text.trim();
    let accepted = "Write an absolute path (/srv/restic), or sftp:user@host:/path, s3:host/bucket, rest:http://host:8000/";
    if location.is_empty() {
        return Err(format!("Location: this is needed. {accepted}."));
    }
    if location.chars().any(|c| c.is_control()) {
        return Err(format!(
            "Location: it may not contain line breaks or control characters. {accepted}."
        ));
    }
    let backend = SCHEMES.iter().any(|scheme| location.starts_with(scheme));
    if !(location.starts_with('/') || backend) {
        return Err(format!(
            "Location: “{location}” is neither an absolute path nor a restic backend. {accepted}."
        ));
    }
    // A REST URL may carry user:password@; caretaker keeps locations in plain text, so a
    // password there would be stored unsealed.
    if location.starts_with("rest:")
        && location
            .split("://")
            .nth(1)
            .is_some_and(|rest| rest.split('/').next().unwrap_or_default().contains('@'))
    {
        return Err("Location: a password inside a REST address would be stored in plain text; give the address without user:password@.".to_owned());
    }
    if location.starts_with('/') && location.split('/').any(|part| part == "..") {
        return Err(format!(
            "Location: write the path without “..”. {accepted}."
        ));
    }
    Ok(location.to_owned())
}

/// The whole plan form; the first problem found, as a sentence.
pub fn plan(form: &PlanForm) -> Result<PlanSpec, String> {
    let name = name(&form.name).map_err(|error| error.replace("nas-offsite", "app-data"))?;
    let data_class = DataClass::parse(form.data_class.trim()).ok_or(
        "Data class: choose system (the machine's own files), application (services and their databases) or user (people's files).",
    )?;
    let sources = sources(&form.sources)?;
    let excludes = lines(&form.excludes)
        .map(|pattern| {
            if pattern.chars().any(char::is_control) {
                Err("Excludes: a pattern may not contain control characters.".to_owned())
            } else {
                Ok(pattern.to_owned())
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let tags = form
        .tags
        .split([',', '\n', ' '])
        .map(str::trim)
        .filter(|tag| !tag.is_empty())
        .map(|tag| {
            if tag.len() <= 40
                && tag
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
            {
                Ok(tag.to_owned())
            } else {
                Err(format!("Tags: “{tag}” is not accepted. Use letters, digits, “-”, “_” and “.”, up to 40 each, separated by commas."))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut repositories = Vec::new();
    for id in &form.repositories {
        let id: i64 = id
            .trim()
            .parse()
            .map_err(|_| "Repositories: choose them from the list.".to_owned())?;
        if !repositories.contains(&id) {
            repositories.push(id);
        }
    }
    if repositories.is_empty() {
        return Err(
            "Repositories: choose at least one (two, one of them off-site, make a 3-2-1 backup)."
                .to_owned(),
        );
    }
    let stop_containers = lines(&form.stop_containers)
        .map(|line| {
            let (host, container) = line.split_once('/').unwrap_or((LOCAL_HOST_ID, line));
            if docker_name(container) && !host.is_empty() && !host.chars().any(char::is_control) {
                Ok(ContainerRef {
                    host: host.to_owned(),
                    container: container.to_owned(),
                })
            } else {
                Err(format!("Stop during the backup: “{line}” is not a container name. Write one per line, as NAME, or HOST/NAME for another Docker host."))
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let retention = Retention {
        keep_last: keep("Keep last", &form.keep_last)?,
        keep_daily: keep("Keep daily", &form.keep_daily)?,
        keep_weekly: keep("Keep weekly", &form.keep_weekly)?,
        keep_monthly: keep("Keep monthly", &form.keep_monthly)?,
    };
    let check_subset = check_subset(&form.check_subset)?;
    Ok(PlanSpec {
        name,
        data_class,
        sources,
        excludes,
        tags,
        repositories,
        stop_containers,
        retention,
        check_subset,
    })
}

fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines().map(str::trim).filter(|line| !line.is_empty())
}

/// The sources, one per line (see [`Source::line`]).
pub fn sources(text: &str) -> Result<Vec<Source>, String> {
    const ACCEPTED: &str = "Write one per line: an absolute path (/srv/app), volume:NAME, caretaker-db, or a database dump as postgres:CONTAINER:DATABASE user=USER, mysql:CONTAINER:DATABASE user=USER, sqlite:CONTAINER:/path/in/container.db (add host=HOST for another Docker host)";
    let mut sources = Vec::new();
    for line in lines(text) {
        let source = source(line).map_err(|why| format!("Sources: “{line}” {why}. {ACCEPTED}."))?;
        if !sources.contains(&source) {
            sources.push(source);
        }
    }
    if sources.is_empty() {
        return Err(format!(
            "Sources: name at least one thing to back up. {ACCEPTED}."
        ));
    }
    Ok(sources)
}

fn source(line: &str) -> Result<Source, String> {
    if line.chars().any(char::is_control) {
        return Err("contains control characters".to_owned());
    }
    if line.starts_with('/') {
        if line.split('/').any(|part| part == "..") {
            return Err("goes up with “..”; write the path without it".to_owned());
        }
        let path = if line.len() > 1 {
            line.trim_end_matches('/')
        } else {
            line
        };
        return Ok(Source::Path {
            path: path.to_owned(),
        });
    }
    if line == "caretaker-db" {
        return Ok(Source::CaretakerDatabase);
    }
    if let Some(volume) = line.strip_prefix("volume:") {
        return if docker_name(volume) {
            Ok(Source::Volume {
                volume: volume.to_owned(),
            })
        } else {
            Err("does not name a volume".to_owned())
        };
    }
    let mut words = line.split_whitespace();
    let head = words.next().unwrap_or_default();
    let mut parts = head.splitn(3, ':');
    let engine = parts.next().unwrap_or_default();
    let engine = DumpEngine::ALL
        .into_iter()
        .find(|known| known.as_str() == engine)
        .ok_or("is not a source caretaker knows")?;
    let container = parts.next().unwrap_or_default();
    let database = parts.next().unwrap_or_default();
    if !docker_name(container) {
        return Err("does not name a container".to_owned());
    }
    if database.is_empty() || database.starts_with('-') {
        return Err("needs a database (it may not start with “-”)".to_owned());
    }
    if engine == DumpEngine::Sqlite && !database.starts_with('/') {
        return Err("needs the database file's absolute path inside the container".to_owned());
    }
    let mut user = String::new();
    let mut host = LOCAL_HOST_ID.to_owned();
    for word in words {
        match word.split_once('=') {
            Some(("user", value)) if !value.is_empty() && !value.starts_with('-') => {
                user = value.to_owned()
            }
            Some(("host", value)) if !value.is_empty() => host = value.to_owned(),
            _ => {
                return Err(format!(
                    "has “{word}”, which is neither user=USER nor host=HOST"
                ))
            }
        }
    }
    if engine != DumpEngine::Sqlite && user.is_empty() {
        return Err("needs user=USER, the database user that dumps it".to_owned());
    }
    Ok(Source::Dump {
        host,
        container: container.to_owned(),
        engine,
        database: database.to_owned(),
        user,
    })
}

/// Docker's names for containers and volumes: `[a-zA-Z0-9][a-zA-Z0-9_.-]*`.
fn docker_name(text: &str) -> bool {
    let text = text.strip_prefix('/').unwrap_or(text);
    let mut chars = text.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c))
        && text.len() <= 128
}

fn keep(label: &str, text: &str) -> Result<Option<u32>, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(count @ 1..=100_000) => Ok(Some(count)),
        _ => Err(format!(
            "{label}: “{text}” is not accepted. Write a whole number from 1 up, or leave it empty."
        )),
    }
}

/// restic's `--read-data-subset`: `n/t`, `x%`, or a size such as `500M`.
pub fn check_subset(text: &str) -> Result<String, String> {
    let text = text.trim();
    if text.is_empty() {
        return Ok("5%".to_owned());
    }
    let accepted = "Write a share such as 5% or 2.5%, a part such as 1/10 (up to 256 parts), or a size such as 500M or 2G";
    let ok = if let Some(percent) = text.strip_suffix('%') {
        percent
            .parse::<f64>()
            .is_ok_and(|value| value > 0.0 && value <= 100.0)
    } else if let Some((part, parts)) = text.split_once('/') {
        match (part.parse::<u32>(), parts.parse::<u32>()) {
            (Ok(part), Ok(parts)) => (1..=parts).contains(&part) && parts <= 256,
            _ => false,
        }
    } else {
        let digits = text.trim_end_matches(['k', 'K', 'm', 'M', 'g', 'G', 't', 'T']);
        digits.len() + 1 >= text.len() && digits.parse::<u64>().is_ok_and(|value| value > 0)
    };
    if ok {
        Ok(text.to_owned())
    } else {
        Err(format!("Check: “{text}” is not accepted. {accepted}."))
    }
}

/// A snapshot id as restic prints it: 8 to 64 hex digits.
pub fn snapshot_id(text: &str) -> Result<String, String> {
    let text = text.trim();
    if (8..=64).contains(&text.len()) && text.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(text.to_ascii_lowercase())
    } else {
        Err(format!(
            "Snapshot: “{text}” is not a snapshot id; choose one from the list."
        ))
    }
}

/// A restore target directory: absolute, without `..`, not the root or a system directory.
pub fn restore_directory(text: &str) -> Result<std::path::PathBuf, String> {
    let text = text.trim();
    let accepted =
        "Give an absolute path to a new or empty directory, for example /srv/restore/app";
    if !text.starts_with('/') || text.chars().any(char::is_control) {
        return Err(format!(
            "Restore into: “{text}” is not an absolute path. {accepted}."
        ));
    }
    if text.split('/').any(|part| part == ".." || part == ".") {
        return Err(format!(
            "Restore into: write the path without “..” or “.”. {accepted}."
        ));
    }
    let path = text.trim_end_matches('/');
    const SYSTEM: &[&str] = &[
        "", "/bin", "/boot", "/dev", "/etc", "/lib", "/lib64", "/proc", "/sbin", "/sys", "/usr",
        "/var", "/root", "/home", "/srv", "/opt", "/tmp", "/run",
    ];
    if SYSTEM.contains(&path) {
        return Err(format!("Restore into: {} is a system directory; restore into a new directory below it. {accepted}.", if path.is_empty() { "/" } else { path }));
    }
    Ok(std::path::PathBuf::from(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_are_restics() {
        for good in [
            "/srv/restic",
            "local:/srv/restic",
            "sftp:backup@nas:/restic",
            "s3:s3.amazonaws.com/bucket/lab",
            "rest:http://10.0.0.5:8000/",
        ] {
            assert_eq!(location(good).as_deref(), Ok(good), "{good}");
        }
        assert!(location("backups")
            .unwrap_err()
            .contains("neither an absolute path"));
        assert!(location("/srv/../etc").unwrap_err().contains("“..”"));
        assert!(location("rest:https://user:pw@host:8000/")
            .unwrap_err()
            .contains("plain text"));
        assert!(location("/srv/x\n--password-file=/etc/shadow")
            .unwrap_err()
            .contains("line breaks"));
        assert!(location("").unwrap_err().contains("needed"));
    }

    #[test]
    fn names_are_slugs() {
        assert_eq!(name(" nas ").as_deref(), Ok("nas"));
        assert!(name("My NAS").is_err());
    }

    #[test]
    fn source_lines_round_trip() {
        let text = "/srv/app/\nvolume:pgdata\ncaretaker-db\npostgres:db:app user=postgres\nsqlite:web:/data/app.db host=2\n\n";
        let parsed = sources(text).unwrap();
        assert_eq!(parsed.len(), 5);
        assert_eq!(
            parsed[0],
            Source::Path {
                path: "/srv/app".to_owned()
            }
        );
        let lines: Vec<String> = parsed.iter().map(Source::line).collect();
        assert_eq!(sources(&lines.join("\n")).unwrap(), parsed);
        assert!(sources("").unwrap_err().contains("at least one"));
        assert!(sources("srv/app").unwrap_err().contains("not a source"));
        assert!(sources("/srv/../etc").unwrap_err().contains("“..”"));
        assert!(sources("postgres:db:app")
            .unwrap_err()
            .contains("user=USER"));
        assert!(sources("postgres:db:--help user=x")
            .unwrap_err()
            .contains("may not start"));
        assert!(sources("sqlite:web:app.db")
            .unwrap_err()
            .contains("absolute path"));
        assert!(sources("volume:../x").unwrap_err().contains("volume"));
    }

    #[test]
    fn check_subsets_are_restics() {
        for good in ["5%", "2.5%", "1/10", "256/256", "500M", "2G", "100"] {
            assert_eq!(check_subset(good).as_deref(), Ok(good), "{good}");
        }
        assert_eq!(check_subset(" ").as_deref(), Ok("5%"));
        for bad in ["0%", "101%", "0/3", "4/3", "1/300", "M", "5MB", "x"] {
            assert!(check_subset(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn restore_targets_stay_where_asked() {
        assert_eq!(
            restore_directory("/srv/restore/app/").unwrap(),
            std::path::PathBuf::from("/srv/restore/app")
        );
        assert!(restore_directory("/srv/restore/../../etc").is_err());
        assert!(restore_directory("restore").is_err());
        assert!(restore_directory("/").is_err());
        assert!(restore_directory("/etc").is_err());
    }

    #[test]
    fn a_plan_needs_a_repository_and_sane_retention() {
        let mut form = PlanForm {
            name: "app".to_owned(),
            data_class: "application".to_owned(),
            sources: "/srv/app".to_owned(),
            repositories: vec!["1".to_owned(), "1".to_owned()],
            keep_daily: "7".to_owned(),
            stop_containers: "web\n2/db".to_owned(),
            tags: "lab, nightly".to_owned(),
            ..PlanForm::default()
        };
        let spec = plan(&form).unwrap();
        assert_eq!(spec.repositories, vec![1]);
        assert_eq!(spec.retention.keep_daily, Some(7));
        assert_eq!(spec.stop_containers[1].host, "2");
        assert_eq!(spec.tags, vec!["lab", "nightly"]);
        assert_eq!(spec.check_subset, "5%");
        form.keep_last = "-1".to_owned();
        assert!(plan(&form).unwrap_err().contains("Keep last"));
        form.keep_last.clear();
        form.repositories.clear();
        assert!(plan(&form).unwrap_err().contains("at least one"));
    }
}
