//! The monitor, channel and maintenance forms, checked field by field: each error names
//! the field, what is wrong and what is accepted.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use super::notify::{ChannelConfig, SmtpSecurity};
use super::{
    ChannelForm, MaintenanceForm, MonitorForm, MonitorKind, MonitorSpec, Target, MIN_INTERVAL_SECS,
};
use crate::core::error::AppError;

/// What the form says, before names of plans and jobs are looked up: `plan` and `job`
/// are left empty for the service to fill in.
pub struct Parsed {
    pub name: String,
    pub spec: MonitorSpec,
    pub published: bool,
    pub public_name: String,
}

pub fn parse_form(form: &MonitorForm) -> Result<Parsed, AppError> {
    let name = name(&form.name, "Name")?;
    let kind = MonitorKind::parse(form.kind.trim()).ok_or_else(|| {
        AppError::invalid("Kind: choose HTTP(S), TCP port, container, Ollama server, TLS certificate, backup freshness, job heartbeat or Swarm nodes.")
    })?;
    let allow_link_local = form.allow_link_local.is_some();
    let interval_secs = number(
        &form.interval_secs,
        "Interval",
        MIN_INTERVAL_SECS,
        86_400,
        "seconds",
    )?;
    let timeout_secs = number(&form.timeout_secs, "Timeout", 1, 120, "seconds")?;
    if timeout_secs >= interval_secs {
        return Err(AppError::invalid(format!(
            "Timeout: {timeout_secs} s is not shorter than the interval ({interval_secs} s); a check must end before the next one starts."
        )));
    }
    let down_after = number(&form.down_after, "Down after", 1, 100, "failed checks")?;
    let up_after = number(&form.up_after, "Up after", 1, 100, "good checks")?;
    let target = match kind {
        MonitorKind::Http => http(form, allow_link_local)?,
        MonitorKind::Tcp => {
            let (host, port) = host_port(&form.target, None)?;
            refuse_literal(&host, allow_link_local)?;
            Target::Tcp { host, port }
        }
        MonitorKind::Container => {
            let text = form.target.trim();
            let (host, container) = match text.split_once('/') {
                Some((host, container)) => (host.trim(), container.trim()),
                None => (crate::containers::LOCAL_HOST_ID, text),
            };
            let plain = |text: &str| {
                !text.is_empty()
                    && text
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
            };
            if !plain(host) || !plain(container) {
                return Err(AppError::invalid(
                    "Target: give a container name, like web, or host/name for a container on an added Docker host.",
                ));
            }
            Target::Container {
                host: host.to_owned(),
                container: container.to_owned(),
            }
        }
        MonitorKind::Ollama => {
            let url = super::guard::check_url(&form.target, allow_link_local)
                .map_err(|why| AppError::invalid(format!("Target: {why}")))?;
            Target::Ollama {
                url: url.as_str().trim_end_matches('/').to_owned(),
            }
        }
        MonitorKind::Tls => {
            let (host, port) = host_port(&form.target, Some(443))?;
            refuse_literal(&host, allow_link_local)?;
            let server_name = form.server_name.trim().to_owned();
            if !server_name.is_empty() && !is_host_name(&server_name) {
                return Err(AppError::invalid(format!(
                    "Server name: “{server_name}” is not a host name; give the name the certificate should carry, like example.org, or leave it empty to use the host."
                )));
            }
            Target::Tls {
                host,
                port,
                server_name,
                warn_days: number(&form.warn_days, "Warn days", 0, 365, "days")?,
            }
        }
        MonitorKind::BackupFreshness => Target::BackupFreshness {
            plan_id: id(&form.plan_id, "Backup plan", "choose a backup plan")?,
            plan: String::new(),
        },
        MonitorKind::JobHeartbeat => Target::JobHeartbeat {
            job_id: id(&form.job_id, "Job", "choose a job")?,
            job: String::new(),
            within_minutes: number(
                &form.within_minutes,
                "Expected every",
                0,
                60 * 24 * 60,
                "minutes",
            )?,
        },
        // No target: the local engine's Swarm, asked through its manager.
        MonitorKind::SwarmNodes => Target::SwarmNodes {},
    };
    let published = form.published.is_some();
    let public_name = form.public_name.trim().to_owned();
    if published && public_name.is_empty() {
        return Err(AppError::invalid(
            "Public name: a published monitor needs the name the status page shows, like “Website” (never its address).",
        ));
    }
    if public_name.chars().count() > 80 || public_name.chars().any(char::is_control) {
        return Err(AppError::invalid(
            "Public name: use at most 80 characters, without line breaks.",
        ));
    }
    Ok(Parsed {
        name,
        spec: MonitorSpec {
            target,
            interval_secs,
            timeout_secs,
            down_after,
            up_after,
            allow_link_local,
        },
        published,
        public_name,
    })
}

fn http(form: &MonitorForm, allow_link_local: bool) -> Result<Target, AppError> {
    let url = super::guard::check_url(&form.target, allow_link_local)
        .map_err(|why| AppError::invalid(format!("Target: {why}")))?;
    // Monitor URLs are shown on the overview and in notices; a password in one would be
    // shown with it.
    if url.password().is_some() {
        return Err(AppError::invalid(
            "Target: the URL carries a password (user:password@…), which would be stored and shown in plain text. Remove it and add an Authorization header instead (its value is kept sealed), for example Authorization: Basic followed by the base64 of user:password.",
        ));
    }
    let method = form.method.trim().to_ascii_uppercase();
    if !matches!(
        method.as_str(),
        "GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "OPTIONS" | "PATCH"
    ) {
        return Err(AppError::invalid(format!(
            "Method: “{method}” is not one of GET, HEAD, POST, PUT, DELETE, OPTIONS, PATCH."
        )));
    }
    let (headers, secret_headers) = crate::jobs::validate::headers(&form.headers)?;
    let expected_status = form.expected_status.trim();
    let expected_status = if expected_status.is_empty() {
        "200-299"
    } else {
        expected_status
    };
    statuses(expected_status).map_err(AppError::Invalid)?;
    let keyword = form.keyword.trim().to_owned();
    let keyword_absent = match form.keyword_mode.trim() {
        "" | "present" => false,
        "absent" => true,
        other => {
            return Err(AppError::invalid(format!(
                "Keyword: “{other}” is neither present nor absent."
            )))
        }
    };
    if keyword.is_empty() && keyword_absent {
        return Err(AppError::invalid(
            "Keyword: give the text that must be absent, or choose “present”.",
        ));
    }
    Ok(Target::Http {
        method,
        url: url.to_string(),
        headers,
        secret_headers,
        expected_status: expected_status.to_owned(),
        keyword,
        keyword_absent,
        follow_redirects: form.follow_redirects.is_some(),
    })
}

/// Statuses like "200-299,301" as inclusive ranges.
pub fn statuses(text: &str) -> Result<Vec<(u16, u16)>, String> {
    let bad = || {
        format!(
            "Expected status: “{text}” is not a list of statuses; write them like 200-299 or 200,301 (100 to 599)."
        )
    };
    let status = |part: &str| {
        part.trim()
            .parse::<u16>()
            .ok()
            .filter(|status| (100..=599).contains(status))
    };
    text.split(',')
        .map(|part| {
            let (low, high) = match part.split_once('-') {
                Some((low, high)) => (status(low), status(high)),
                None => (status(part), status(part)),
            };
            match (low, high) {
                (Some(low), Some(high)) if low <= high => Ok((low, high)),
                _ => Err(bad()),
            }
        })
        .collect()
}

fn host_port(text: &str, default_port: Option<u16>) -> Result<(String, u16), AppError> {
    let text = text.trim();
    let example = "Target: write host:port, like db.internal:5432 or 10.0.0.5:443.";
    let (host, port) = match text.rsplit_once(':') {
        // An IPv6 address without a port ("::1") has colons but no brackets.
        Some((host, port)) if !host.contains(':') || host.ends_with(']') => (host, Some(port)),
        _ => (text, None),
    };
    let port = match (port, default_port) {
        (Some(port), _) => port
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| {
                AppError::invalid(format!("{example} “{port}” is not a port (1 to 65535)."))
            })?,
        (None, Some(port)) => port,
        (None, None) => return Err(AppError::invalid(example)),
    };
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    if bare.parse::<std::net::IpAddr>().is_err() && !is_host_name(bare) {
        return Err(AppError::invalid(format!(
            "{example} “{host}” is not a host name or address."
        )));
    }
    Ok((bare.to_owned(), port))
}

/// An address typed as the host is checked now; names are checked when resolved.
fn refuse_literal(host: &str, allow_link_local: bool) -> Result<(), AppError> {
    match host.parse::<std::net::IpAddr>() {
        Ok(address) => match super::guard::refused(address, allow_link_local) {
            Some(why) => Err(AppError::invalid(format!("Target: {why}"))),
            None => Ok(()),
        },
        Err(_) => Ok(()),
    }
}

fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

fn name(text: &str, field: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 80 || text.chars().any(char::is_control) {
        return Err(AppError::invalid(format!(
            "{field}: give a name of 1 to 80 characters, without line breaks."
        )));
    }
    Ok(text.to_owned())
}

fn number(text: &str, field: &str, low: u32, high: u32, unit: &str) -> Result<u32, AppError> {
    text.trim()
        .parse::<u32>()
        .ok()
        .filter(|value| (low..=high).contains(value))
        .ok_or_else(|| {
            AppError::invalid(format!(
                "{field}: “{}” is not a whole number of {unit} from {low} to {high}.",
                text.trim()
            ))
        })
}

fn id(text: &str, field: &str, what: &str) -> Result<i64, AppError> {
    text.trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::invalid(format!("{field}: {what}.")))
}

/// The channel form as a channel; secrets typed in it are returned in the config, sealed
/// by the caller as a whole.
pub fn channel(form: &ChannelForm) -> Result<(String, ChannelConfig), AppError> {
    let name = name(&form.name, "Name")?;
    let optional = |text: &str| Some(text.trim().to_owned()).filter(|text| !text.is_empty());
    let config = match form.kind.trim() {
        "webhook" => ChannelConfig::Webhook { url: form.url.trim().to_owned() },
        "slack" => ChannelConfig::Slack { url: form.url.trim().to_owned() },
        "discord" => ChannelConfig::Discord { url: form.url.trim().to_owned() },
        "ntfy" => ChannelConfig::Ntfy {
            server: form.url.trim().trim_end_matches('/').to_owned(),
            topic: form.topic.trim().to_owned(),
            token: optional(&form.token),
        },
        "email" => ChannelConfig::Email {
            host: form.smtp_host.trim().to_owned(),
            port: form
                .smtp_port
                .trim()
                .parse()
                .map_err(|_| AppError::invalid("SMTP port: give a port number from 1 to 65535, usually 587 (STARTTLS) or 465 (TLS)."))?,
            security: match form.smtp_security.trim() {
                "starttls" | "" => SmtpSecurity::StartTls,
                "tls" => SmtpSecurity::Tls,
                "plain" => SmtpSecurity::Plain,
                other => {
                    return Err(AppError::invalid(format!(
                        "SMTP security: “{other}” is not STARTTLS, TLS or none."
                    )))
                }
            },
            username: optional(&form.username),
            password: optional(&form.password),
            from: form.from.trim().to_owned(),
            to: form
                .to
                .split([',', '\n'])
                .map(str::trim)
                .filter(|to| !to.is_empty())
                .map(str::to_owned)
                .collect(),
        },
        _ => {
            return Err(AppError::invalid(
                "Kind: choose a JSON webhook, Slack/Mattermost, Discord, ntfy or e-mail.",
            ))
        }
    };
    config.validate().map_err(AppError::Invalid)?;
    Ok((name, config))
}

/// A maintenance window as typed, checked.
#[derive(Debug)]
pub struct Window {
    /// `None`: every monitor.
    pub monitor: Option<i64>,
    pub starts: DateTime<Utc>,
    pub ends: DateTime<Utc>,
    pub note: String,
}

pub fn maintenance(form: &MaintenanceForm, now: DateTime<Utc>) -> Result<Window, AppError> {
    let monitor = match form.monitor_id.trim() {
        "" | "all" => None,
        text => Some(id(text, "Monitor", "choose a monitor or all monitors")?),
    };
    let zone = match form.zone.trim() {
        "" => chrono_tz::UTC,
        zone => zone.parse::<chrono_tz::Tz>().map_err(|_| {
            AppError::invalid(format!(
                "Time zone: “{zone}” is not an IANA time zone like Europe/Berlin."
            ))
        })?,
    };
    let time = |text: &str, field: &str| -> Result<DateTime<Utc>, AppError> {
        let text = text.trim();
        let naive = NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M")
            .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M"))
            .map_err(|_| {
                AppError::invalid(format!(
                    "{field}: “{text}” is not a date and time; write it like 2026-11-22 18:30."
                ))
            })?;
        zone.from_local_datetime(&naive)
            .earliest()
            .map(|at| at.with_timezone(&Utc))
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "{field}: {text} does not exist in {zone} (a clock change)."
                ))
            })
    };
    let starts = time(&form.starts_at, "Starts")?;
    let ends = time(&form.ends_at, "Ends")?;
    if ends <= starts {
        return Err(AppError::invalid(
            "Ends: the window must end after it starts.",
        ));
    }
    if ends <= now {
        return Err(AppError::invalid(
            "Ends: this window is already over; give an end in the future.",
        ));
    }
    let note = form.note.trim().to_owned();
    if note.chars().count() > 200 {
        return Err(AppError::invalid("Note: use at most 200 characters."));
    }
    Ok(Window {
        monitor,
        starts,
        ends,
        note,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form(kind: &str, target: &str) -> MonitorForm {
        MonitorForm {
            name: "web".to_owned(),
            kind: kind.to_owned(),
            target: target.to_owned(),
            ..MonitorForm::default()
        }
    }

    #[test]
    fn each_kind_parses_its_target() {
        let parsed = parse_form(&form("http", "https://example.org/health")).unwrap();
        assert!(
            matches!(parsed.spec.target, Target::Http { ref url, .. } if url == "https://example.org/health")
        );
        let parsed = parse_form(&form("tcp", "db.internal:5432")).unwrap();
        assert_eq!(
            parsed.spec.target,
            Target::Tcp {
                host: "db.internal".to_owned(),
                port: 5432
            }
        );
        let parsed = parse_form(&form("tls", "example.org")).unwrap();
        assert!(matches!(parsed.spec.target, Target::Tls { port: 443, .. }));
        let parsed = parse_form(&form("tcp", "[::1]:22")).unwrap();
        assert_eq!(
            parsed.spec.target,
            Target::Tcp {
                host: "::1".to_owned(),
                port: 22
            }
        );
        let parsed = parse_form(&form("container", "web")).unwrap();
        assert!(
            matches!(parsed.spec.target, Target::Container { ref container, .. } if container == "web")
        );
    }

    #[test]
    fn every_bad_field_is_named() {
        let cases: Vec<(MonitorForm, &str)> = vec![
            (
                form("http", "file:///etc/passwd"),
                "http and https URLs only",
            ),
            (form("http", "http://169.254.169.254/"), "metadata"),
            (
                form("http", "https://admin:hunter2@example.org/"),
                "carries a password",
            ),
            (form("tcp", "db.internal"), "host:port"),
            (form("tcp", "db:99999"), "is not a port"),
            (form("gopher", "x"), "Kind:"),
            (
                MonitorForm {
                    interval_secs: "5".to_owned(),
                    ..form("tcp", "db:1")
                },
                "Interval:",
            ),
            (
                MonitorForm {
                    timeout_secs: "60".to_owned(),
                    ..form("tcp", "db:1")
                },
                "Timeout:",
            ),
            (
                MonitorForm {
                    expected_status: "2xx".to_owned(),
                    ..form("http", "http://a/")
                },
                "Expected status",
            ),
            (
                MonitorForm {
                    published: Some("on".to_owned()),
                    ..form("tcp", "db:1")
                },
                "Public name",
            ),
            (form("backup_freshness", ""), "Backup plan"),
        ];
        for (form, expected) in cases {
            let error = parse_form(&form).err().unwrap().to_string();
            assert!(error.contains(expected), "{expected}: {error}");
        }
    }

    #[test]
    fn status_lists_are_ranges() {
        assert_eq!(
            statuses("200-299,301").unwrap(),
            vec![(200, 299), (301, 301)]
        );
        assert!(statuses("299-200").is_err());
        assert!(statuses("700").is_err());
    }

    #[test]
    fn maintenance_times_are_read_in_the_viewers_zone() {
        let now = Utc.with_ymd_and_hms(2026, 11, 22, 12, 0, 0).unwrap();
        let form = MaintenanceForm {
            monitor_id: String::new(),
            starts_at: "2026-11-22T18:30".to_owned(),
            ends_at: "2026-11-22T19:30".to_owned(),
            zone: "Europe/Berlin".to_owned(),
            note: "router swap".to_owned(),
        };
        let Window {
            monitor,
            starts,
            ends,
            ..
        } = maintenance(&form, now).unwrap();
        assert_eq!(monitor, None);
        assert_eq!(
            starts,
            Utc.with_ymd_and_hms(2026, 11, 22, 17, 30, 0).unwrap()
        );
        assert_eq!(ends - starts, chrono::Duration::hours(1));
        let past = MaintenanceForm {
            ends_at: "2026-11-22T10:00".to_owned(),
            starts_at: "2026-11-22T09:00".to_owned(),
            ..form
        };
        assert!(maintenance(&past, now)
            .unwrap_err()
            .to_string()
            .contains("already over"));
    }
}
