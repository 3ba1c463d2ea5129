//! Notification channels of the monitors: render a [`Notice`] and deliver it by webhook,
//! chat webhook (Slack, Mattermost, Discord), ntfy or e-mail.
//!
//! De-duplication and maintenance windows are the caller's business; this module sends
//! exactly what it is given. Error texts reach the browser (the "send test" button), so
//! they are written here, in plain sentences, and never carry a webhook URL's path, a
//! token or a password: webhook URLs hold their secret in the path, and a 404 page may
//! echo it, so neither reqwest's URL nor the answer's body ends up in a message.
//!
//! The generic webhook receives one JSON object per notice:
//!
//! ```json
//! {
//!   "event": "down",                       // "down", "up" or "test"
//!   "monitor": "web",
//!   "text": "🔴 web is down: HTTP 502",     // the same line the chat channels show
//!   "detail": "HTTP 502",
//!   "at": "2025-05-01T12:00:03Z",          // RFC 3339, UTC
//!   "down_since": "2025-05-01T12:00:03Z",  // or null
//!   "down_seconds": 0,                     // at - down_since, or null
//!   "link": "https://caretaker.example.org/monitors/3"  // or null
//! }
//! ```

use std::time::Duration;

use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::message::Mailbox;
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use reqwest::Url;
use serde::{Deserialize, Serialize};
use serde_json::json;

/// Time allowed for one send, connection included.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

/// Where notices go. Stored as JSON (`{"kind": "slack", "url": "…"}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelConfig {
    /// Generic JSON webhook: POSTs the object described in the module documentation.
    Webhook { url: String },
    /// Slack and Mattermost incoming webhooks: `{"text": "…"}`.
    Slack { url: String },
    /// Discord webhooks: `{"content": "…"}`, with mentions disabled.
    Discord { url: String },
    /// ntfy, published as JSON to the server's root; `token` is an access token (`tk_…`)
    /// sent as a Bearer token.
    Ntfy {
        server: String,
        topic: String,
        token: Option<String>,
    },
    /// E-mail over SMTP: one message to all of `to`.
    Email {
        host: String,
        port: u16,
        security: SmtpSecurity,
        username: Option<String>,
        password: Option<String>,
        from: String,
        to: Vec<String>,
    },
}

/// How the SMTP connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpSecurity {
    /// No encryption: for a relay on this machine (a password is only accepted for localhost).
    Plain,
    /// Plain connection upgraded with STARTTLS, which is required (usually port 587).
    StartTls,
    /// TLS from the first byte (usually port 465).
    Tls,
}

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoticeKind {
    Down,
    Up,
    /// Sent by a channel's "send test" button.
    Test,
}

/// One notice about one monitor's change of state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notice {
    /// The monitor's name (empty for a test notice that is about no monitor).
    pub monitor: String,
    pub kind: NoticeKind,
    /// When the change was seen.
    pub at: DateTime<Utc>,
    /// What the check found, e.g. "HTTP 502 Bad Gateway" or "connection refused".
    pub detail: String,
    /// When the incident began: for an Up notice, the start of the outage it ends.
    pub down_since: Option<DateTime<Utc>>,
    /// The monitor's page in caretaker, if the public URL is known.
    pub link: Option<String>,
}

impl Notice {
    /// The one line every channel leads with.
    pub fn headline(&self) -> String {
        match self.kind {
            NoticeKind::Down => format!(
                "🔴 {} is down: {}",
                self.monitor,
                clip(one_line(&self.detail), 300)
            ),
            NoticeKind::Up => match self.down_for() {
                Some(outage) => format!(
                    "✅ {} is up again after {}",
                    self.monitor,
                    human_duration(outage)
                ),
                None => format!("✅ {} is up again", self.monitor),
            },
            NoticeKind::Test => "Test notice from caretaker".to_owned(),
        }
    }

    /// The headline without its emoji or detail: ntfy's title, which carries its emoji as a tag.
    fn title(&self) -> String {
        match self.kind {
            NoticeKind::Down => format!("{} is down", self.monitor),
            NoticeKind::Up => format!("{} is up again", self.monitor),
            NoticeKind::Test => "Test notice from caretaker".to_owned(),
        }
    }

    /// The headline followed by the time, details and link, one per line.
    pub fn text(&self) -> String {
        let mut lines = vec![self.headline()];
        match self.kind {
            NoticeKind::Down => lines.push(format!(
                "Down since {}.",
                readable(self.down_since.unwrap_or(self.at))
            )),
            NoticeKind::Up => {
                lines.push(format!("Up at {}.", readable(self.at)));
                if !self.detail.trim().is_empty() {
                    lines.push(clip(one_line(&self.detail), 300));
                }
            }
            NoticeKind::Test => {
                lines.push(format!(
                    "Sent at {}. If you can read this, the channel works.",
                    readable(self.at)
                ));
            }
        }
        if let Some(link) = &self.link {
            lines.push(link.clone());
        }
        lines.join("\n")
    }

    fn down_for(&self) -> Option<chrono::TimeDelta> {
        self.down_since
            .map(|since| self.at - since)
            .filter(|d| *d >= chrono::TimeDelta::zero())
    }
}

impl ChannelConfig {
    /// Checks every field; Err is one sentence saying what is wrong and what is accepted.
    pub fn validate(&self) -> Result<(), String> {
        match self {
            ChannelConfig::Webhook { url }
            | ChannelConfig::Slack { url }
            | ChannelConfig::Discord { url } => http_url(url, "webhook URL").map(|_| ()),
            ChannelConfig::Ntfy {
                server,
                topic,
                token,
            } => {
                http_url(server, "ntfy server")?;
                if topic.is_empty()
                    || topic.len() > 64
                    || !topic
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
                {
                    return Err("The ntfy topic must be 1 to 64 characters, each a letter (A-Z, a-z), a digit, \"-\" or \"_\".".to_owned());
                }
                if let Some(token) = token {
                    if token.is_empty() || !token.bytes().all(|b| b.is_ascii_graphic()) {
                        return Err("The ntfy access token must be non-empty and made of printable characters without spaces (leave it out for a public topic).".to_owned());
                    }
                }
                Ok(())
            }
            ChannelConfig::Email {
                host,
                port,
                security,
                username,
                password,
                from,
                to,
            } => {
                let name_ok = !host.is_empty()
                    && host
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._".contains(&b));
                if !name_ok && host.parse::<std::net::IpAddr>().is_err() {
                    return Err("The mail server must be a host name or IP address, such as smtp.example.org or 192.0.2.25, without scheme, port or brackets.".to_owned());
                }
                if *port == 0 {
                    return Err("The mail server's port must be between 1 and 65535 (usually 587 for STARTTLS, 465 for TLS, 25 for a local relay).".to_owned());
                }
                match (username, password) {
                    (Some(u), Some(p)) if !u.is_empty() && !p.is_empty() => {
                        if *security == SmtpSecurity::Plain && !is_loopback(host) {
                            return Err("A password is only sent over an encrypted connection: choose STARTTLS or TLS, or use a relay on this machine (localhost).".to_owned());
                        }
                    }
                    (None, None) => {}
                    _ => {
                        return Err(
                            "The mail login needs both a user name and a password, or neither."
                                .to_owned(),
                        )
                    }
                }
                mailbox(from, "sender")?;
                if to.is_empty() {
                    return Err("Give at least one recipient address.".to_owned());
                }
                for address in to {
                    mailbox(address, "recipient")?;
                }
                Ok(())
            }
        }
    }

    /// Describes the channel without secrets (no URL path, token or password).
    pub fn describe(&self) -> String {
        match self {
            ChannelConfig::Webhook { url } => format!("JSON webhook at {}", host_of(url)),
            ChannelConfig::Slack { url } => format!("Slack-style webhook at {}", host_of(url)),
            ChannelConfig::Discord { url } => format!("Discord webhook at {}", host_of(url)),
            ChannelConfig::Ntfy { server, topic, .. } => {
                format!("ntfy topic \"{topic}\" on {}", host_of(server))
            }
            ChannelConfig::Email { host, port, to, .. } => {
                format!("e-mail to {} via {host}:{port}", to.join(", "))
            }
        }
    }

    /// What the channel is called in error messages: "the webhook at example.org".
    fn target(&self) -> String {
        match self {
            ChannelConfig::Webhook { url } => format!("The webhook at {}", host_of(url)),
            ChannelConfig::Slack { url } => format!("The Slack-style webhook at {}", host_of(url)),
            ChannelConfig::Discord { url } => format!("The Discord webhook at {}", host_of(url)),
            ChannelConfig::Ntfy { server, .. } => format!("The ntfy server {}", host_of(server)),
            ChannelConfig::Email { host, port, .. } => format!("The mail server {host}:{port}"),
        }
    }
}

/// Sends one notice. Err is a sentence fit for the user that holds no secret.
#[tracing::instrument(skip_all, fields(channel = %channel.describe(), kind = ?notice.kind))]
pub async fn send(
    http: &reqwest::Client,
    channel: &ChannelConfig,
    notice: &Notice,
) -> Result<(), String> {
    channel.validate()?;
    let result = match channel {
        ChannelConfig::Webhook { url } => {
            post(http, channel, url, None, &webhook_body(notice)).await
        }
        ChannelConfig::Slack { url } => {
            post(
                http,
                channel,
                url,
                None,
                &json!({ "text": slack_escape(&notice.text()) }),
            )
            .await
        }
        ChannelConfig::Discord { url } => {
            let body = json!({
                "content": clip(notice.text(), 2000),
                // A monitor's detail comes from elsewhere: it must not ping @everyone.
                "allowed_mentions": { "parse": [] },
            });
            post(http, channel, url, None, &body).await
        }
        ChannelConfig::Ntfy {
            server,
            topic,
            token,
        } => {
            // Publishing as JSON keeps UTF-8 titles intact (HTTP headers are ASCII). It goes
            // to the server's root, which may sit under a path behind a reverse proxy.
            let mut root = http_url(server, "ntfy server")?;
            if !root.path().ends_with('/') {
                let path = format!("{}/", root.path());
                root.set_path(&path);
            }
            post(
                http,
                channel,
                root.as_str(),
                token.as_deref(),
                &ntfy_body(topic, notice),
            )
            .await
        }
        ChannelConfig::Email { .. } => {
            match tokio::time::timeout(SEND_TIMEOUT, send_mail(channel, notice)).await {
                Ok(result) => result,
                Err(_) => Err(format!(
                    "{} did not answer within {} seconds.",
                    channel.target(),
                    SEND_TIMEOUT.as_secs()
                )),
            }
        }
    };
    if let Err(error) = &result {
        tracing::warn!(%error, "notice not sent");
    }
    result
}

fn webhook_body(notice: &Notice) -> serde_json::Value {
    json!({
        "event": notice.kind,
        "monitor": notice.monitor,
        "text": notice.headline(),
        "detail": notice.detail,
        "at": rfc3339(notice.at),
        "down_since": notice.down_since.map(rfc3339),
        "down_seconds": notice.down_since.map(|since| (notice.at - since).num_seconds()),
        "link": notice.link,
    })
}

fn ntfy_body(topic: &str, notice: &Notice) -> serde_json::Value {
    // Priorities per ntfy: 3 is the default, 4 "high" (long vibration burst).
    let (priority, tag) = match notice.kind {
        NoticeKind::Down => (4, "red_circle"),
        NoticeKind::Up => (3, "white_check_mark"),
        NoticeKind::Test => (3, "test_tube"),
    };
    let mut body = json!({
        "topic": topic,
        "title": notice.title(),
        "message": notice.text(),
        "priority": priority,
        "tags": [tag],
    });
    if let Some(link) = &notice.link {
        body["click"] = json!(link);
    }
    body
}

async fn post(
    http: &reqwest::Client,
    channel: &ChannelConfig,
    url: &str,
    bearer: Option<&str>,
    body: &serde_json::Value,
) -> Result<(), String> {
    let mut request = http.post(url).timeout(SEND_TIMEOUT).json(body);
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let target = channel.target();
    let response = request
        .send()
        .await
        .map_err(|e| http_error(&target, e.without_url()))?;
    let status = response.status();
    if status.is_success() {
        return Ok(());
    }
    // The body is not quoted: a 404 page may echo the secret path.
    Err(format!(
        "{target} answered {} {}.",
        status.as_u16(),
        status.canonical_reason().unwrap_or("(no reason given)")
    ))
}

fn http_error(target: &str, error: reqwest::Error) -> String {
    if error.is_timeout() {
        format!(
            "{target} did not answer within {} seconds.",
            SEND_TIMEOUT.as_secs()
        )
    } else if error.is_connect() {
        format!("{target} could not be reached: {}.", root_cause(&error))
    } else if error.is_redirect() {
        format!("{target} redirected too many times.")
    } else {
        format!("{target} could not be reached: {}.", root_cause(&error))
    }
}

/// The innermost cause, e.g. "Connection refused (os error 111)": these come from the
/// network stack and TLS, which know no URL.
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    one_line(&cause.to_string())
}

async fn send_mail(channel: &ChannelConfig, notice: &Notice) -> Result<(), String> {
    let ChannelConfig::Email {
        host,
        port,
        security,
        username,
        password,
        from,
        to,
    } = channel
    else {
        return Err("This channel does not send e-mail.".to_owned());
    };
    let target = channel.target();
    let mut message = Message::builder()
        .from(mailbox(from, "sender")?)
        .subject(clip(one_line(&notice.headline()), 200))
        .header(ContentType::TEXT_PLAIN);
    for address in to {
        message = message.to(mailbox(address, "recipient")?);
    }
    let body = format!("{}\n\n-- \nSent by caretaker.", notice.text());
    let message = message
        .body(body)
        .map_err(|e| format!("The e-mail could not be written: {e}."))?;

    let builder = match security {
        SmtpSecurity::Plain => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(host),
        SmtpSecurity::StartTls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(host)
            .map_err(|e| format!("{target} cannot be used with TLS: {}.", root_cause(&e)))?,
        SmtpSecurity::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(host)
            .map_err(|e| format!("{target} cannot be used with TLS: {}.", root_cause(&e)))?,
    };
    let mut builder = builder.port(*port).timeout(Some(SEND_TIMEOUT));
    if let (Some(user), Some(pass)) = (username, password) {
        builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
    }
    let mailer = builder.build();
    mailer
        .send(message)
        .await
        .map(|_| ())
        .map_err(|e| smtp_error(&target, &e))
}

fn smtp_error(target: &str, error: &lettre::transport::smtp::Error) -> String {
    if let Some(code) = error.status() {
        let code = code.to_string();
        // The server's own words help (e.g. "Relaying denied"); they never hold the
        // password, which only travels base64-encoded in the AUTH command.
        let said = std::error::Error::source(error)
            .map(|s| format!(": {}", clip(one_line(&s.to_string()), 200)))
            .unwrap_or_default();
        return match code.as_str() {
            "535" | "534" | "538" | "454" => {
                format!("{target} refused the login ({code}{said}).")
            }
            "530" => {
                format!("{target} requires a login ({code}{said}); set a user name and password.")
            }
            _ if error.is_transient() => {
                format!(
                    "{target} turned the message away for now ({code}{said}); it may work later."
                )
            }
            _ => format!("{target} refused the message ({code}{said})."),
        };
    }
    if error.is_timeout() {
        return format!(
            "{target} did not answer within {} seconds.",
            SEND_TIMEOUT.as_secs()
        );
    }
    if error.is_tls() {
        return format!(
            "The TLS connection to {} failed: {}.",
            lower_first(target),
            root_cause(error)
        );
    }
    let cause = root_cause(error);
    if cause.contains("STARTTLS is not supported") {
        return format!(
            "{target} does not offer STARTTLS; choose TLS (usually port 465) or check the port."
        );
    }
    if cause.contains("No compatible authentication mechanism") {
        return format!("{target} offers no login method caretaker knows (PLAIN, LOGIN, XOAUTH2), or none on this connection; leave the login empty if it needs none.");
    }
    if error.is_client() || error.is_response() {
        return format!("{target} and caretaker did not understand each other: {cause}.");
    }
    format!("{target} could not be reached: {cause}.")
}

/// Parses an http(s) URL with a host; `what` names the field in the error.
fn http_url(raw: &str, what: &str) -> Result<Url, String> {
    // url's own messages ("empty host", …) are terse; these two cases are the usual typos.
    let url = Url::parse(raw.trim()).map_err(|e| match e.to_string().as_str() {
        "empty host" => format!(
            "The {what} has no host name; give a full address such as https://example.org/…."
        ),
        "relative URL without a base" => {
            format!("The {what} must start with https:// or http://, as in https://example.org/….")
        }
        _ => format!(
            "The {what} is not a valid URL; give a full address such as https://example.org/…."
        ),
    })?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "The {what} must start with https:// or http://, not {}://.",
            url.scheme()
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(format!(
            "The {what} has no host name; give a full address such as https://example.org/…."
        ));
    }
    // The same address rules as monitors: notices never go to cloud metadata or
    // link-local addresses (names resolving there are refused when the notice is sent).
    super::guard::check_url(url.as_str(), false).map_err(|why| format!("The {what}: {why}"))?;
    Ok(url)
}

fn mailbox(raw: &str, role: &str) -> Result<Mailbox, String> {
    raw.trim().parse::<Mailbox>().map_err(|_| {
        format!("The {role} \"{}\" is not an e-mail address; write it as name@example.org or \"Name <name@example.org>\".", clip(one_line(raw), 100))
    })
}

/// Host (and explicit port) of a URL, for descriptions; never its path, query or user.
fn host_of(raw: &str) -> String {
    match Url::parse(raw.trim()) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(host), Some(port)) => format!("{host}:{port}"),
            (Some(host), None) => host.to_owned(),
            (None, _) => "an invalid address".to_owned(),
        },
        Err(_) => "an invalid address".to_owned(),
    }
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Slack reads `&`, `<` and `>` as markup (links, `<!channel>`); its docs ask for these
/// three, and only these, as HTML entities. Mattermost decodes them the same way.
fn slack_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn rfc3339(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn readable(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

/// "45 s", "3 min 20 s", "2 h 5 min", "3 d 4 h": the two largest units are enough.
pub fn human_duration(d: chrono::TimeDelta) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, mins, s) = (secs / 86_400, secs / 3600 % 24, secs / 60 % 60, secs % 60);
    match (days, hours, mins) {
        (0, 0, 0) => format!("{s} s"),
        (0, 0, m) if s == 0 => format!("{m} min"),
        (0, 0, m) => format!("{m} min {s} s"),
        (0, h, 0) => format!("{h} h"),
        (0, h, m) => format!("{h} h {m} min"),
        (d, 0, _) => format!("{d} d"),
        (d, h, _) => format!("{d} d {h} h"),
    }
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn clip(text: String, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text;
    }
    let mut clipped: String = text.chars().take(max_chars - 1).collect();
    clipped.push('…');
    clipped
}

fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_well() {
        let d = chrono::TimeDelta::seconds;
        assert_eq!(human_duration(d(45)), "45 s");
        assert_eq!(human_duration(d(200)), "3 min 20 s");
        assert_eq!(human_duration(d(180)), "3 min");
        assert_eq!(human_duration(d(7500)), "2 h 5 min");
        assert_eq!(human_duration(d(3600)), "1 h");
        assert_eq!(human_duration(d(3 * 86_400 + 4 * 3600 + 7)), "3 d 4 h");
        assert_eq!(human_duration(d(-5)), "0 s");
    }

    #[test]
    fn descriptions_hold_no_secret() {
        let slack = ChannelConfig::Slack {
            url: "https://hooks.slack.com/services/T000/B000/SECRET".into(),
        };
        assert_eq!(slack.describe(), "Slack-style webhook at hooks.slack.com");
        let hook = ChannelConfig::Webhook {
            url: "http://user:pw@example.org:8080/in/SECRET?k=SECRET".into(),
        };
        assert_eq!(hook.describe(), "JSON webhook at example.org:8080");
        let ntfy = ChannelConfig::Ntfy {
            server: "https://ntfy.sh".into(),
            topic: "alerts".into(),
            token: Some("tk_SECRET".into()),
        };
        assert_eq!(ntfy.describe(), "ntfy topic \"alerts\" on ntfy.sh");
    }

    #[test]
    fn channels_never_point_at_metadata_or_link_local_addresses() {
        for url in [
            "http://169.254.169.254/latest/meta-data/",
            "http://[fd00:ec2::254]/",
            "http://169.254.10.1:8080/hook",
        ] {
            let hook = ChannelConfig::Webhook { url: url.into() };
            let why = hook.validate().unwrap_err();
            assert!(why.contains("The webhook URL:"), "{url}: {why}");
            assert!(why.contains("address"), "{url}: {why}");
        }
        let ntfy = ChannelConfig::Ntfy {
            server: "http://169.254.169.254".into(),
            topic: "alerts".into(),
            token: None,
        };
        assert!(ntfy.validate().unwrap_err().contains("metadata"));
        let fine = ChannelConfig::Webhook {
            url: "http://127.0.0.1:9000/hook".into(),
        };
        assert_eq!(fine.validate(), Ok(()));
    }

    #[test]
    fn slack_markup_is_escaped() {
        assert_eq!(
            slack_escape("<!channel> a & b > c"),
            "&lt;!channel&gt; a &amp; b &gt; c"
        );
    }
}
