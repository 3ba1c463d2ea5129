//! Notification channels (placeholder until the helper's version lands).
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SmtpSecurity {
    Plain,
    StartTls,
    Tls,
}
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChannelConfig {
    Webhook {
        url: String,
    },
    Slack {
        url: String,
    },
    Discord {
        url: String,
    },
    Ntfy {
        server: String,
        topic: String,
        token: Option<String>,
    },
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
impl ChannelConfig {
    pub fn validate(&self) -> Result<(), String> {
        Ok(())
    }
    pub fn describe(&self) -> String {
        String::new()
    }
}
pub enum NoticeKind {
    Down,
    Up,
    Test,
}
pub struct Notice {
    pub monitor: String,
    pub kind: NoticeKind,
    pub at: DateTime<Utc>,
    pub detail: String,
    pub down_since: Option<DateTime<Utc>>,
    pub link: Option<String>,
}
pub async fn send(_h: &reqwest::Client, _c: &ChannelConfig, _n: &Notice) -> Result<(), String> {
    Ok(())
}
