//! Checking the job form: every field says what is wrong and what is accepted.

use super::{CatchUp, JobAction, JobForm, JobSpec, Overlap};
use crate::core::error::AppError;
use crate::core::schedule::Schedule;
use crate::services::validate::parse_duration;

const METHODS: &[&str] = &["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"];
/// The longest a run may be given.
const MAX_TIMEOUT_SECS: u32 = 24 * 3600;
const MAX_RETRIES: u32 = 10;

/// The form as a job definition and its schedule. `service_name` looks up the name of a
/// service id (for restart jobs); `None` when there is no such service.
pub fn parse_form(
    form: &JobForm,
    service_name: impl Fn(i64) -> Option<String>,
    plan_name: impl Fn(i64) -> Option<String>,
    log_source_name: impl Fn(i64) -> Option<String>,
) -> Result<(JobSpec, Schedule), AppError> {
    let name = form.name.trim().to_owned();
    let name_ok = !name.is_empty()
        && name.len() <= 60
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ' '));
    if !name_ok {
        return Err(AppError::invalid(
            "Name: use 1 to 60 letters, digits, spaces, dots, dashes or underscores, for example update-forecast.",
        ));
    }
    let schedule = Schedule::parse(&form.schedule_kind, &form.expression, zone(&form.zone))
        .map_err(AppError::Invalid)?;
    let action = match form.kind.as_str() {
        "http" => http_action(form)?,
        "exec" => exec_action(form)?,
        "restart" => {
            let id: i64 = form.service.trim().parse().map_err(|_| {
                AppError::invalid("Service: choose the service to restart.")
            })?;
            let service = service_name(id).ok_or_else(|| {
                AppError::invalid("Service: that service no longer exists; choose another.")
            })?;
            JobAction::Restart {
                service_id: id,
                service,
            }
        }
        "backup" => {
            let id: i64 = form
                .plan
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("Backup plan: choose the plan."))?;
            let plan = plan_name(id).ok_or_else(|| {
                AppError::invalid("Backup plan: that plan no longer exists; choose another.")
            })?;
            let work = crate::backups::Work::parse(form.work.trim()).ok_or_else(|| {
                AppError::invalid(
                    "Backup work: choose a backup, a repository check or a restore drill.",
                )
            })?;
            JobAction::Backup {
                plan_id: id,
                plan,
                work,
            }
        }
        "ingest" => {
            let id: i64 = form
                .log_source
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("Log source: choose the source to read."))?;
            let source = log_source_name(id).ok_or_else(|| {
                AppError::invalid("Log source: that source no longer exists; choose another.")
            })?;
            JobAction::Ingest {
                source_id: id,
                source,
            }
        }
        other => {
            return Err(AppError::invalid(format!(
                "Kind: “{other}” is not a kind of job; choose an HTTP request, a command in a container, a service restart, a backup plan or a log source."
            )))
        }
    };
    let timeout_secs = match form.timeout.trim() {
        // A backup, check or drill takes as long as the data needs.
        "" if form.kind == "backup" => 6 * 3600,
        "" => 60,
        text => parse_duration("Time limit", text)?,
    };
    if !(1..=MAX_TIMEOUT_SECS).contains(&timeout_secs) {
        return Err(AppError::invalid(
            "Time limit: give 1 second to 24 hours, like 30s, 5m or 2h.",
        ));
    }
    let retries: u32 = match form.retries.trim() {
        "" => 0,
        text => text
            .parse()
            .ok()
            .filter(|n| *n <= MAX_RETRIES)
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "Retries: “{text}” is not accepted; give a number from 0 to {MAX_RETRIES}."
                ))
            })?,
    };
    let retry_delay_secs = match form.retry_delay.trim() {
        "" => 10,
        text => parse_duration("Delay between retries", text)?,
    };
    let overlap = match form.overlap.as_str() {
        "" | "skip" => Overlap::Skip,
        "queue" => Overlap::Queue,
        other => {
            return Err(AppError::invalid(format!(
                "While still running: “{other}” is not a choice; use skip or queue."
            )))
        }
    };
    let catch_up = match form.catch_up.as_str() {
        "" | "once" => CatchUp::Once,
        "skip" => CatchUp::Skip,
        other => {
            return Err(AppError::invalid(format!(
                "After downtime: “{other}” is not a choice; use once or skip."
            )))
        }
    };
    let (schedule_kind, expression, zone) = match &schedule {
        Schedule::Cron { expression, zone } => ("cron", expression.clone(), zone.clone()),
        other => (other.kind(), String::new(), String::new()),
    };
    let spec = JobSpec {
        name,
        action,
        schedule_kind: schedule_kind.to_owned(),
        expression,
        zone,
        timeout_secs,
        retries,
        retry_delay_secs,
        overlap,
        catch_up,
    };
    Ok((spec, schedule))
}

fn zone(text: &str) -> &str {
    match text.trim() {
        "" => "UTC",
        zone => zone,
    }
}

fn http_action(form: &JobForm) -> Result<JobAction, AppError> {
    let method = form.method.trim().to_ascii_uppercase();
    if !METHODS.contains(&method.as_str()) {
        return Err(AppError::invalid(format!(
            "Method: use one of {}.",
            METHODS.join(", ")
        )));
    }
    let url = form.url.trim().to_owned();
    let authority = url
        .split("://")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .unwrap_or_default();
    if authority.contains('@') {
        return Err(AppError::invalid(
            "URL: a user name or password in the address would be stored in plain text; send it in a header such as Authorization instead, which is stored encrypted.",
        ));
    }
    let plain = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'));
    if !plain || url.chars().any(char::is_whitespace) {
        return Err(AppError::invalid(
            "URL: write the whole address with http:// or https://, for example http://127.0.0.1:5000/update-forecast.",
        ));
    }
    let (headers, secret_headers) = headers(&form.headers)?;
    let expected_status = match form.expected_status.trim() {
        "" => None,
        text => Some(
            text.parse::<u16>()
                .ok()
                .filter(|status| (100..=599).contains(status))
                .ok_or_else(|| {
                    AppError::invalid(format!(
                        "Expected status: “{text}” is not an HTTP status; give 100 to 599, or leave it empty for any 2xx."
                    ))
                })?,
        ),
    };
    Ok(JobAction::Http {
        method,
        url,
        headers,
        secret_headers,
        body: form.body.clone(),
        expected_status,
    })
}

fn exec_action(form: &JobForm) -> Result<JobAction, AppError> {
    let container = form.container.trim().to_owned();
    let container_ok = !container.is_empty()
        && container
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !container_ok {
        return Err(AppError::invalid(
            "Container: give the container's name, for example web.",
        ));
    }
    let command = shlex::split(form.command.trim())
        .filter(|words| !words.is_empty())
        .ok_or_else(|| {
            AppError::invalid(
                "Command: write the program and its arguments, for example python manage.py clearsessions; quote arguments with spaces. It is not run by a shell: write sh -c '…' to use one.",
            )
        })?;
    let host = match form.host.trim() {
        "" => crate::containers::LOCAL_HOST_ID.to_owned(),
        host => host.to_owned(),
    };
    Ok(JobAction::Exec {
        host,
        container,
        command,
    })
}

/// Header names and values.
pub type Headers = Vec<(String, String)>;

/// Parses `Name: value` lines into plain headers and secret ones (names that look like
/// they carry credentials: their values get sealed by the caller). An empty secret value
/// on edit keeps the stored one (the caller checks there is one).
pub fn headers(text: &str) -> Result<(Headers, Headers), AppError> {
    let mut headers = Vec::new();
    let mut secret_headers = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let Some((name, value)) = line.split_once(':') else {
            return Err(AppError::invalid(format!(
                "Headers, line {}: write Name: value, for example Authorization: Bearer …",
                index + 1
            )));
        };
        let name = name.trim();
        let token = !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c));
        if !token {
            return Err(AppError::invalid(format!(
                "Headers, line {}: “{name}” is not a header name.",
                index + 1
            )));
        }
        let value = value.trim();
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(AppError::invalid(format!(
                "Headers, line {}: the value may not contain control characters.",
                index + 1
            )));
        }
        if crate::containers::looks_secret(&name.to_ascii_uppercase()) {
            secret_headers.push((name.to_owned(), value.to_owned()));
        } else {
            headers.push((name.to_owned(), value.to_owned()));
        }
    }
    Ok((headers, secret_headers))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn http_form() -> JobForm {
        JobForm {
            name: "update-forecast".into(),
            url: "http://127.0.0.1:5000/update-forecast".into(),
            ..JobForm::default()
        }
    }

    #[test]
    fn the_seeds_hourly_call_is_a_valid_job() {
        let (spec, schedule) = parse_form(&http_form(), |_| None, |_| None, |_| None).unwrap();
        assert_eq!(
            spec.action.summary(),
            "POST http://127.0.0.1:5000/update-forecast"
        );
        assert_eq!(schedule.describe(), "every hour at :15");
        assert_eq!(spec.timeout_secs, 60);
        assert_eq!(spec.overlap, Overlap::Skip);
    }

    #[test]
    fn commands_are_argument_vectors() {
        let form = JobForm {
            kind: "exec".into(),
            container: "web".into(),
            command: r#"python -c "print('hi; rm -rf /')""#.into(),
            ..http_form()
        };
        let (spec, _) = parse_form(&form, |_| None, |_| None, |_| None).unwrap();
        assert_eq!(
            spec.action,
            JobAction::Exec {
                host: "local".into(),
                container: "web".into(),
                command: vec!["python".into(), "-c".into(), "print('hi; rm -rf /')".into()],
            }
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(JobForm, &str)> = vec![
            (
                JobForm {
                    name: "".into(),
                    ..http_form()
                },
                "Name:",
            ),
            (
                JobForm {
                    expression: "61 * * * *".into(),
                    ..http_form()
                },
                "is not a cron expression",
            ),
            (
                JobForm {
                    zone: "Mars/Base".into(),
                    ..http_form()
                },
                "is not a time zone",
            ),
            (
                JobForm {
                    url: "127.0.0.1/x".into(),
                    ..http_form()
                },
                "URL:",
            ),
            (
                JobForm {
                    method: "BREW".into(),
                    ..http_form()
                },
                "Method:",
            ),
            (
                JobForm {
                    headers: "no colon".into(),
                    ..http_form()
                },
                "Headers, line 1",
            ),
            (
                JobForm {
                    expected_status: "2000".into(),
                    ..http_form()
                },
                "Expected status:",
            ),
            (
                JobForm {
                    timeout: "0s".into(),
                    ..http_form()
                },
                "Time limit:",
            ),
            (
                JobForm {
                    retries: "99".into(),
                    ..http_form()
                },
                "Retries:",
            ),
            (
                JobForm {
                    overlap: "both".into(),
                    ..http_form()
                },
                "While still running:",
            ),
            (
                JobForm {
                    kind: "exec".into(),
                    container: "web".into(),
                    command: "'unclosed".into(),
                    ..http_form()
                },
                "Command:",
            ),
            (
                JobForm {
                    kind: "restart".into(),
                    service: "7".into(),
                    ..http_form()
                },
                "Service:",
            ),
        ];
        for (form, expected) in cases {
            let error = parse_form(&form, |_| None, |_| None, |_| None)
                .unwrap_err()
                .to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }
}
