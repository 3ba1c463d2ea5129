//! Routes: public names for services, published through the team's reverse proxy.
//!
//! A route gives a service (or any upstream `host:port`) a public name: a subdomain
//! (`app.example.org`) or a sub-path (`example.org/app`). caretaker writes the whole
//! reverse-proxy file for all routes (nginx server blocks or a Caddyfile), shows it before
//! it is applied, has the real tool validate it (`nginx -t`, `caddy validate`), and reloads
//! the proxy only when it is valid: a refused file is replaced by the previous one, byte for
//! byte, and the running proxy never sees it.
//!
//! The certificates the routes serve are listed with their expiry (`certs.rs`): read from
//! the files the nginx configuration names and from live TLS handshakes to each route; a
//! route's certificate can be watched by a TLS monitor of the monitors area.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

pub mod api;
#[cfg(feature = "ssr")]
pub mod apply;
#[cfg(feature = "ssr")]
pub mod certs;
#[cfg(feature = "ssr")]
pub mod generate;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;
#[cfg(feature = "ssr")]
pub mod validate;

/// Which reverse proxy the generated file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProxyKind {
    Nginx,
    Caddy,
}

impl ProxyKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Caddy => "caddy",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Nginx => "nginx",
            Self::Caddy => "Caddy",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "nginx" => Some(Self::Nginx),
            "caddy" => Some(Self::Caddy),
            _ => None,
        }
    }

    /// The validate command an admin most likely wants, for the form's placeholder and an
    /// empty field.
    pub fn default_validate(self, config_path: &str) -> Vec<String> {
        match self {
            Self::Nginx => vec!["nginx".into(), "-t".into()],
            Self::Caddy => vec![
                "caddy".into(),
                "validate".into(),
                "--adapter".into(),
                "caddyfile".into(),
                "--config".into(),
                config_path.to_owned(),
            ],
        }
    }

    /// The reload command an admin most likely wants.
    pub fn default_reload(self, config_path: &str) -> Vec<String> {
        match self {
            Self::Nginx => vec!["nginx".into(), "-s".into(), "reload".into()],
            Self::Caddy => vec![
                "caddy".into(),
                "reload".into(),
                "--adapter".into(),
                "caddyfile".into(),
                "--config".into(),
                config_path.to_owned(),
            ],
        }
    }
}

/// How the proxy is told to read its configuration again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Reload {
    /// A command run by caretaker (or in the proxy container, when one is set).
    Command { argv: Vec<String> },
    /// SIGHUP sent to the proxy container through the Docker engine (nginx and Caddy both
    /// reload on it).
    Signal,
}

/// The admin-set proxy settings, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProxySettings {
    pub kind: ProxyKind,
    /// The file caretaker writes (absolute). nginx's main configuration includes it inside
    /// `http { }`; for Caddy it is the Caddyfile.
    pub config_path: String,
    /// Validates the configuration with the file in place, as an argument vector: run on
    /// this machine, or in the proxy container when one is set.
    pub validate: Vec<String>,
    pub reload: Reload,
    /// The proxy's container, when the proxy runs in one: validation and the reload run in
    /// it through the Docker engine. Empty: the proxy runs on this machine.
    pub container: String,
    /// The Docker host of that container (a host id of the containers area).
    pub docker_host: String,
    pub http_port: u16,
    pub https_port: u16,
    /// The address the generated servers listen on; empty: every address.
    pub listen_address: String,
}

/// The settings form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SettingsForm {
    pub kind: String,
    pub config_path: String,
    pub validate: String,
    /// "command" or "signal".
    pub reload_mode: String,
    pub reload_command: String,
    pub container: String,
    pub docker_host: String,
    pub http_port: String,
    pub https_port: String,
    pub listen_address: String,
}

impl SettingsForm {
    /// The form filled with stored settings.
    pub fn of(settings: &ProxySettings) -> Self {
        let join = |argv: &[String]| shell_words(argv);
        let (reload_mode, reload_command) = match &settings.reload {
            Reload::Command { argv } => ("command", join(argv)),
            Reload::Signal => ("signal", String::new()),
        };
        Self {
            kind: settings.kind.as_str().to_owned(),
            config_path: settings.config_path.clone(),
            validate: join(&settings.validate),
            reload_mode: reload_mode.to_owned(),
            reload_command,
            container: settings.container.clone(),
            docker_host: settings.docker_host.clone(),
            http_port: settings.http_port.to_string(),
            https_port: settings.https_port.to_string(),
            listen_address: settings.listen_address.clone(),
        }
    }
}

/// An argument vector written back as one line, quoting what needs it.
pub fn shell_words(argv: &[String]) -> String {
    argv.iter()
        .map(|word| {
            let plain = !word.is_empty()
                && word
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_./:=@,+%".contains(c));
            if plain {
                word.clone()
            } else {
                format!("'{}'", word.replace('\'', r"'\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where a route sends its requests.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RouteTarget {
    /// A service of caretaker: its first published TCP port.
    Service { id: i64, name: String },
    /// Any `host:port` that speaks HTTP.
    Address { address: String },
}

/// A route as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Route {
    pub id: i64,
    /// The public host name, lower case.
    pub host: String,
    /// `""` for a route of the whole host, else `/app` (no trailing slash).
    pub path: String,
    pub target: RouteTarget,
    /// The certificate chain and key files (PEM) the proxy serves for this host. nginx
    /// needs them; Caddy uses them when given and gets certificates itself otherwise.
    pub cert_file: String,
    pub key_file: String,
}

impl Route {
    /// `app.example.org` or `example.org/app`.
    pub fn public_name(&self) -> String {
        format!("{}{}", self.host, self.path)
    }
}

/// The route form, as typed.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RouteForm {
    /// `app.example.org` or `example.org/app`.
    pub public_name: String,
    /// A service id, or empty to use `address`.
    pub service: String,
    pub address: String,
    pub cert_file: String,
    pub key_file: String,
}

impl RouteForm {
    /// The form filled with a stored route.
    pub fn of(route: &Route) -> Self {
        let (service, address) = match &route.target {
            RouteTarget::Service { id, .. } => (id.to_string(), String::new()),
            RouteTarget::Address { address } => (String::new(), address.clone()),
        };
        Self {
            public_name: route.public_name(),
            service,
            address,
            cert_file: route.cert_file.clone(),
            key_file: route.key_file.clone(),
        }
    }
}

/// One route in the list, with its upstream as it would be generated now.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RouteRow {
    pub route: Route,
    /// `127.0.0.1:8080`, or the sentence saying why there is none.
    pub upstream: Result<String, String>,
    /// The TLS monitor watching this route's certificate, if any: (id, name).
    pub monitor: Option<(i64, String)>,
}

/// The routes page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RoutesOverview {
    pub settings: Option<ProxySettings>,
    pub settings_form: SettingsForm,
    pub routes: Vec<RouteRow>,
    /// Services a route may point at: (id, name).
    pub services: Vec<(i64, String)>,
    /// Docker hosts: (id, name).
    pub docker_hosts: Vec<(String, String)>,
    pub last_apply: Option<ApplyRecord>,
    pub can_edit: bool,
}

/// One line of the difference between the file on disk and the generated one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiffLine {
    Same(String),
    Added(String),
    Removed(String),
}

/// The generated file next to the one on disk.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preview {
    pub kind: ProxyKind,
    pub config_path: String,
    pub candidate: String,
    /// `None` when there is no file yet (or it cannot be read: `read_error` says why).
    pub current: Option<String>,
    pub read_error: Option<String>,
    pub diff: Vec<DiffLine>,
    pub changed: bool,
}

/// The last time a configuration was applied.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyRecord {
    pub at: DateTime<Utc>,
    pub actor: String,
    pub ok: bool,
    pub message: String,
}

/// One certificate of the inventory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CertificateEntry {
    /// "file /etc/ssl/app.pem" or "app.example.org (live)".
    pub source: String,
    /// The routes it serves, by public name.
    pub routes: Vec<String>,
    /// Empty when it could not be read (see `problem`).
    pub subject: String,
    pub issuer: String,
    pub names: Vec<String>,
    pub not_after: Option<DateTime<Utc>>,
    pub days_left: Option<i64>,
    /// One plain sentence: what is wrong, or when it expires.
    pub summary: String,
    pub ok: bool,
}

/// The certificates page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inventory {
    pub files: Vec<CertificateEntry>,
    pub live: Vec<CertificateEntry>,
    pub checked_at: DateTime<Utc>,
    pub can_edit: bool,
}
