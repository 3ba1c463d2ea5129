//! Notification channels against real receivers: a local HTTP server that records what it
//! gets (webhooks, Slack, Discord, ntfy) and a real SMTP server (Python's aiosmtpd).

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use app::monitors::notify::{send, ChannelConfig, Notice, NoticeKind, SmtpSecurity};
use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::response::IntoResponse;
use axum::Router;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};

/// One request as the receiver saw it.
#[derive(Debug, Clone)]
struct Hit {
    method: String,
    path: String,
    content_type: Option<String>,
    authorization: Option<String>,
    body: Value,
}

struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    fn only_hit(&self) -> Hit {
        let hits = self.hits.lock().unwrap();
        assert_eq!(hits.len(), 1, "expected one request, got {hits:?}");
        hits[0].clone()
    }
}

/// An HTTP server on 127.0.0.1:0 that records every request and answers `status`. Error
/// answers echo the path in their body, as many web frameworks' 404 pages do.
async fn receiver(status: StatusCode) -> Receiver {
    let hits = Arc::new(Mutex::new(Vec::new()));
    let recorded = hits.clone();
    let app = Router::new().fallback(move |request: Request<Body>| {
        let recorded = recorded.clone();
        async move {
            let (parts, body) = request.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            let header = |name: &str| {
                parts
                    .headers
                    .get(name)
                    .map(|v| v.to_str().unwrap().to_owned())
            };
            recorded.lock().unwrap().push(Hit {
                method: parts.method.to_string(),
                path: parts.uri.to_string(),
                content_type: header("content-type"),
                authorization: header("authorization"),
                body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            });
            (status, format!("Cannot POST {}", parts.uri.path())).into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Receiver { addr, hits }
}

fn down_notice() -> Notice {
    Notice {
        monitor: "web".into(),
        kind: NoticeKind::Down,
        at: Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 3).unwrap(),
        detail: "HTTP 502 Bad Gateway".into(),
        down_since: Some(Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 3).unwrap()),
        link: Some("https://caretaker.example.org/monitors/3".into()),
    }
}

fn up_notice() -> Notice {
    Notice {
        monitor: "web".into(),
        kind: NoticeKind::Up,
        at: Utc.with_ymd_and_hms(2025, 5, 1, 14, 5, 3).unwrap(),
        detail: String::new(),
        down_since: Some(Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 3).unwrap()),
        link: None,
    }
}

const DOWN_TEXT: &str = "🔴 web is down: HTTP 502 Bad Gateway\n\
                         Down since 2025-05-01 12:00:03 UTC.\n\
                         https://caretaker.example.org/monitors/3";

#[tokio::test]
async fn webhook_posts_the_documented_json_object() {
    let rx = receiver(StatusCode::NO_CONTENT).await;
    let channel = ChannelConfig::Webhook {
        url: rx.url("/in/abc?key=1"),
    };
    send(&reqwest::Client::new(), &channel, &up_notice())
        .await
        .unwrap();

    let hit = rx.only_hit();
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/in/abc?key=1");
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        hit.body,
        json!({
            "event": "up",
            "monitor": "web",
            "text": "✅ web is up again after 2 h 5 min",
            "detail": "",
            "at": "2025-05-01T14:05:03Z",
            "down_since": "2025-05-01T12:00:03Z",
            "down_seconds": 7500,
            "link": null,
        })
    );
}

#[tokio::test]
async fn slack_gets_text_with_its_markup_escaped() {
    let rx = receiver(StatusCode::OK).await;
    let channel = ChannelConfig::Slack {
        url: rx.url("/services/T0/B0/secret"),
    };
    let mut notice = down_notice();
    notice.detail = "<!channel> said 500 & <b>".into();
    notice.link = None;
    send(&reqwest::Client::new(), &channel, &notice)
        .await
        .unwrap();

    let hit = rx.only_hit();
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/services/T0/B0/secret");
    assert_eq!(hit.content_type.as_deref(), Some("application/json"));
    assert_eq!(
        hit.body,
        json!({ "text": "🔴 web is down: &lt;!channel&gt; said 500 &amp; &lt;b&gt;\nDown since 2025-05-01 12:00:03 UTC." })
    );
}

#[tokio::test]
async fn discord_gets_content_without_mentions() {
    let rx = receiver(StatusCode::NO_CONTENT).await;
    let channel = ChannelConfig::Discord {
        url: rx.url("/api/webhooks/1/secret"),
    };
    send(&reqwest::Client::new(), &channel, &down_notice())
        .await
        .unwrap();

    let hit = rx.only_hit();
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/api/webhooks/1/secret");
    assert_eq!(
        hit.body,
        json!({ "content": DOWN_TEXT, "allowed_mentions": { "parse": [] } })
    );
}

#[tokio::test]
async fn ntfy_publishes_json_to_the_server_root_with_a_bearer_token() {
    let rx = receiver(StatusCode::OK).await;
    // A server under a base path: the JSON goes to that path's root.
    let channel = ChannelConfig::Ntfy {
        server: rx.url("/ntfy"),
        topic: "caretaker-alerts".into(),
        token: Some("tk_secret123".into()),
    };
    send(&reqwest::Client::new(), &channel, &down_notice())
        .await
        .unwrap();

    let hit = rx.only_hit();
    assert_eq!(hit.method, "POST");
    assert_eq!(hit.path, "/ntfy/");
    assert_eq!(hit.authorization.as_deref(), Some("Bearer tk_secret123"));
    assert_eq!(
        hit.body,
        json!({
            "topic": "caretaker-alerts",
            "title": "web is down",
            "message": DOWN_TEXT,
            "priority": 4,
            "tags": ["red_circle"],
            "click": "https://caretaker.example.org/monitors/3",
        })
    );

    // Without a token, no Authorization header; a test notice has default priority.
    let rx = receiver(StatusCode::OK).await;
    let channel = ChannelConfig::Ntfy {
        server: rx.url(""),
        topic: "t".into(),
        token: None,
    };
    let test = Notice {
        monitor: String::new(),
        kind: NoticeKind::Test,
        at: Utc.with_ymd_and_hms(2025, 5, 1, 12, 0, 3).unwrap(),
        detail: String::new(),
        down_since: None,
        link: None,
    };
    send(&reqwest::Client::new(), &channel, &test)
        .await
        .unwrap();
    let hit = rx.only_hit();
    assert_eq!(hit.path, "/");
    assert_eq!(hit.authorization, None);
    assert_eq!(
        hit.body,
        json!({
            "topic": "t",
            "title": "Test notice from caretaker",
            "message": "Test notice from caretaker\nSent at 2025-05-01 12:00:03 UTC. If you can read this, the channel works.",
            "priority": 3,
            "tags": ["test_tube"],
        })
    );
}

#[tokio::test]
async fn error_answers_are_errors_without_the_secret() {
    let http = reqwest::Client::new();

    let rx = receiver(StatusCode::INTERNAL_SERVER_ERROR).await;
    let channel = ChannelConfig::Webhook {
        url: rx.url("/hooks/s3cr3t-path?token=s3cr3t-query"),
    };
    let error = send(&http, &channel, &down_notice()).await.unwrap_err();
    assert_eq!(
        error,
        format!(
            "The webhook at {} answered 500 Internal Server Error.",
            rx.addr
        )
    );

    let rx = receiver(StatusCode::NOT_FOUND).await;
    let channel = ChannelConfig::Slack {
        url: rx.url("/services/T0/B0/s3cr3t-path"),
    };
    let error = send(&http, &channel, &down_notice()).await.unwrap_err();
    assert_eq!(
        error,
        format!(
            "The Slack-style webhook at {} answered 404 Not Found.",
            rx.addr
        )
    );

    let rx = receiver(StatusCode::FORBIDDEN).await;
    let channel = ChannelConfig::Ntfy {
        server: rx.url(""),
        topic: "alerts".into(),
        token: Some("tk_s3cr3t".into()),
    };
    let error = send(&http, &channel, &down_notice()).await.unwrap_err();
    assert_eq!(
        error,
        format!("The ntfy server {} answered 403 Forbidden.", rx.addr)
    );

    // Nobody listening: the network error, still without the path.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap()
    };
    let channel = ChannelConfig::Discord {
        url: format!("http://{closed}/api/webhooks/1/s3cr3t-path"),
    };
    let error = send(&http, &channel, &down_notice()).await.unwrap_err();
    assert!(
        error.starts_with(&format!(
            "The Discord webhook at {closed} could not be reached: "
        )),
        "{error}"
    );
    assert!(!error.contains("s3cr3t"), "{error}");
}

#[test]
fn validate_says_what_is_wrong() {
    let webhook = |url: &str| ChannelConfig::Webhook { url: url.into() }.validate();
    assert_eq!(webhook("https://example.org/in/x"), Ok(()));
    assert_eq!(
        webhook("file:///etc/passwd"),
        Err("The webhook URL must start with https:// or http://, not file://.".into())
    );
    assert_eq!(
        webhook("ftp://example.org/x"),
        Err("The webhook URL must start with https:// or http://, not ftp://.".into())
    );
    assert_eq!(
        webhook("hooks.slack.com/services/x"),
        Err(
            "The webhook URL must start with https:// or http://, as in https://example.org/…."
                .into()
        )
    );
    assert_eq!(
        webhook("http://"),
        Err(
            "The webhook URL has no host name; give a full address such as https://example.org/…."
                .into()
        )
    );
    assert_eq!(
        webhook("https://exa mple.org/"),
        Err("The webhook URL is not a valid URL; give a full address such as https://example.org/….".into())
    );

    let ntfy = |server: &str, topic: &str| {
        ChannelConfig::Ntfy {
            server: server.into(),
            topic: topic.into(),
            token: None,
        }
        .validate()
    };
    assert_eq!(ntfy("https://ntfy.sh", "alerts_1-a"), Ok(()));
    assert_eq!(
        ntfy("https://ntfy.sh", "a/b"),
        Err("The ntfy topic must be 1 to 64 characters, each a letter (A-Z, a-z), a digit, \"-\" or \"_\".".into())
    );
    assert!(ntfy("https://ntfy.sh", &"a".repeat(65)).is_err());
    assert_eq!(
        ntfy("ntfy.sh", "alerts"),
        Err(
            "The ntfy server must start with https:// or http://, as in https://example.org/…."
                .into()
        )
    );

    let email = |port: u16, security: SmtpSecurity, from: &str, to: &[&str], login: bool| {
        ChannelConfig::Email {
            host: "smtp.example.org".into(),
            port,
            security,
            username: login.then(|| "ops".into()),
            password: login.then(|| "pw".into()),
            from: from.into(),
            to: to.iter().map(|s| s.to_string()).collect(),
        }
        .validate()
    };
    let ok = "caretaker@example.org";
    assert_eq!(
        email(587, SmtpSecurity::StartTls, ok, &["ops@example.org"], true),
        Ok(())
    );
    assert_eq!(
        email(
            587,
            SmtpSecurity::StartTls,
            "Caretaker <caretaker@example.org>",
            &["ops@example.org"],
            false
        ),
        Ok(())
    );
    assert_eq!(
        email(0, SmtpSecurity::StartTls, ok, &["ops@example.org"], false),
        Err("The mail server's port must be between 1 and 65535 (usually 587 for STARTTLS, 465 for TLS, 25 for a local relay).".into())
    );
    assert_eq!(
        email(587, SmtpSecurity::StartTls, ok, &["ops.example.org"], false),
        Err("The recipient \"ops.example.org\" is not an e-mail address; write it as name@example.org or \"Name <name@example.org>\".".into())
    );
    assert_eq!(
        email(587, SmtpSecurity::StartTls, "caretaker", &["ops@example.org"], false),
        Err("The sender \"caretaker\" is not an e-mail address; write it as name@example.org or \"Name <name@example.org>\".".into())
    );
    assert_eq!(
        email(587, SmtpSecurity::StartTls, ok, &[], false),
        Err("Give at least one recipient address.".into())
    );
    assert_eq!(
        email(25, SmtpSecurity::Plain, ok, &["ops@example.org"], true),
        Err("A password is only sent over an encrypted connection: choose STARTTLS or TLS, or use a relay on this machine (localhost).".into())
    );
    let host = |host: &str| {
        ChannelConfig::Email {
            host: host.into(),
            port: 587,
            security: SmtpSecurity::StartTls,
            username: None,
            password: None,
            from: ok.into(),
            to: vec!["ops@example.org".into()],
        }
        .validate()
    };
    assert_eq!(host("192.0.2.25"), Ok(()));
    assert_eq!(host("2001:db8::25"), Ok(()));
    let bad_host = Err("The mail server must be a host name or IP address, such as smtp.example.org or 192.0.2.25, without scheme, port or brackets.".into());
    assert_eq!(host("smtp://smtp.example.org"), bad_host);
    assert_eq!(host("smtp.example.org:587"), bad_host);
    assert_eq!(host("[2001:db8::25]"), bad_host);
    assert_eq!(host(""), bad_host);
}

/// A real SMTP server: aiosmtpd's Mailbox handler writing a Maildir, with a login that
/// accepts only ops / right-password (over plain SMTP, as a local relay would).
struct SmtpServer {
    child: Child,
    maildir: tempfile::TempDir,
    port: u16,
}

const SMTP_SERVER: &str = r#"
import socket, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

def authenticate(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword) and auth_data.login == b"ops"
          and auth_data.password == b"right-password")
    return AuthResult(success=ok, handled=False)

with socket.socket() as probe:
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
controller = Controller(Mailbox(sys.argv[1]), hostname="127.0.0.1", port=port,
                        authenticator=authenticate, auth_require_tls=False)
controller.start()
print(port, flush=True)
threading.Event().wait()
"#;

/// Reads one Maildir message and prints its decoded headers and body as JSON.
const READ_MAIL: &str = r#"
import email, email.policy, json, sys
with open(sys.argv[1], "rb") as f:
    m = email.message_from_binary_file(f, policy=email.policy.default)
print(json.dumps({"subject": m["subject"], "from": m["from"], "to": m["to"],
                  "rcpt_to": m["X-RcptTo"], "content_type": m.get_content_type(),
                  "body": m.get_content()}))
"#;

/// Debian's Python with Debian's aiosmtpd package: the `python3` first on PATH may be
/// another installation without it.
const PYTHON: &str = "/usr/bin/python3";

const INSTALL_HINT: &str = "The e-mail test needs Debian's aiosmtpd: install it with \
     `apt-get install python3-aiosmtpd` (scripts/test does this).";

impl SmtpServer {
    fn start() -> SmtpServer {
        let maildir = tempfile::tempdir().unwrap();
        let mut child = Command::new(PYTHON)
            .args(["-c", SMTP_SERVER])
            .arg(maildir.path().join("mail"))
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{PYTHON} could not be started ({e}). {INSTALL_HINT}"));
        // The script prints its port once the server accepts connections.
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let Ok(port) = line.trim().parse() else {
            let mut stderr = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut stderr)
                .unwrap();
            let _ = child.wait();
            panic!("The SMTP server did not start. {INSTALL_HINT}\n{stderr}");
        };
        SmtpServer {
            child,
            maildir,
            port,
        }
    }

    fn channel(&self, username: Option<&str>, password: Option<&str>) -> ChannelConfig {
        ChannelConfig::Email {
            host: "127.0.0.1".into(),
            port: self.port,
            security: SmtpSecurity::Plain,
            username: username.map(Into::into),
            password: password.map(Into::into),
            from: "Caretaker <caretaker@example.org>".into(),
            to: vec!["ops@example.org".into(), "oncall@example.org".into()],
        }
    }

    /// The messages delivered so far, decoded.
    fn mails(&self) -> Vec<Value> {
        let new = self.maildir.path().join("mail").join("new");
        let mut mails = Vec::new();
        for entry in std::fs::read_dir(new).unwrap() {
            let output = Command::new(PYTHON)
                .args(["-c", READ_MAIL])
                .arg(entry.unwrap().path())
                .output()
                .unwrap();
            assert!(output.status.success(), "{output:?}");
            mails.push(serde_json::from_slice(&output.stdout).unwrap());
        }
        mails
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn email_arrives_at_a_real_smtp_server() {
    let smtp = tokio::task::spawn_blocking(SmtpServer::start)
        .await
        .unwrap();
    let http = reqwest::Client::new();

    // A wrong password: refused, and the sentence does not repeat it.
    let error = send(
        &http,
        &smtp.channel(Some("ops"), Some("wrong-s3cr3t")),
        &down_notice(),
    )
    .await
    .unwrap_err();
    assert_eq!(
        error,
        format!(
            "The mail server 127.0.0.1:{} refused the login \
             (535: 5.7.8 Authentication credentials invalid).",
            smtp.port
        )
    );
    assert!(!error.contains("s3cr3t"), "{error}");
    assert!(smtp.mails().is_empty());

    send(
        &http,
        &smtp.channel(Some("ops"), Some("right-password")),
        &down_notice(),
    )
    .await
    .unwrap();
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail["subject"], "🔴 web is down: HTTP 502 Bad Gateway");
    assert_eq!(mail["from"], "Caretaker <caretaker@example.org>");
    assert_eq!(mail["to"], "ops@example.org, oncall@example.org");
    assert_eq!(mail["rcpt_to"], "ops@example.org, oncall@example.org");
    assert_eq!(mail["content_type"], "text/plain");
    // SMTP ends the body with a line break of its own.
    assert_eq!(
        mail["body"].as_str().unwrap().trim_end(),
        format!("{DOWN_TEXT}\n\n-- \nSent by caretaker.")
    );
}
