//! caretaker's configuration: defaults, then a TOML file, then `CARETAKER_*` environment
//! variables, then command-line flags; each later layer wins.
//!
//! Every setting is listed once in [`SETTINGS`] with its file key, its environment variable
//! and what it accepts. All layers go through the same parser, so an unknown key or a bad
//! value stops the start with the same kind of message wherever it came from: the key,
//! the value, and what is accepted.

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::core::docker::DockerEndpoint;

/// A value that must never be printed: `Debug` and `Display` show `***`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// One readable line per event, for a terminal or journald.
    Human,
    /// One JSON object per line, for log collectors.
    Json,
}

/// The effective configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Address the web server listens on. `bind`, CARETAKER_BIND, `--bind`.
    pub bind: SocketAddr,
    /// Directory of the SQLite database and other state. `data_dir`, CARETAKER_DATA_DIR, `--data-dir`.
    pub data_dir: PathBuf,
    /// Directory of the compiled site (wasm, js, css, public files). `site_root`, CARETAKER_SITE_ROOT.
    pub site_root: PathBuf,
    /// `log.format`, CARETAKER_LOG_FORMAT, `--log-format`.
    pub log_format: LogFormat,
    /// A tracing filter such as `info` or `caretaker=debug,info`. `log.level`, CARETAKER_LOG_LEVEL.
    pub log_level: String,
    /// The local Docker engine. `docker.host`, CARETAKER_DOCKER_HOST.
    pub docker_host: DockerEndpoint,
    /// Time limit of one Docker call. `docker.timeout_secs`, CARETAKER_DOCKER_TIMEOUT_SECS.
    pub docker_timeout: Duration,
    /// Where users reach caretaker; `None`: http://BIND. `public_url`, CARETAKER_PUBLIC_URL.
    pub public_url: Option<String>,
    /// `trusted_proxies`, CARETAKER_TRUSTED_PROXIES.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// `session.idle_timeout_mins`, CARETAKER_SESSION_IDLE_TIMEOUT_MINS.
    pub session_idle_timeout: Duration,
    /// `session.absolute_timeout_hours`, CARETAKER_SESSION_ABSOLUTE_TIMEOUT_HOURS.
    pub session_absolute_timeout: Duration,
    /// The GitHub OAuth app. `github.client_id`, CARETAKER_GITHUB_CLIENT_ID.
    pub github_client_id: Option<String>,
    /// `github.client_secret`, CARETAKER_GITHUB_CLIENT_SECRET.
    pub github_client_secret: Option<Secret>,
    /// `github.oauth_url`, CARETAKER_GITHUB_OAUTH_URL.
    pub github_oauth_url: String,
    /// `github.api_url`, CARETAKER_GITHUB_API_URL.
    pub github_api_url: String,
    /// `github.pkce`, CARETAKER_GITHUB_PKCE.
    pub github_pkce: bool,
    /// A bearer token that lets a Prometheus scraper read /metrics without logging in.
    /// `metrics.token`, CARETAKER_METRICS_TOKEN.
    pub metrics_token: Option<Secret>,
    /// PEM certificate chain for serving HTTPS itself. `tls.cert_file`, CARETAKER_TLS_CERT_FILE.
    pub tls_cert_file: Option<PathBuf>,
    /// The PEM private key of that certificate. `tls.key_file`, CARETAKER_TLS_KEY_FILE.
    pub tls_key_file: Option<PathBuf>,
    /// How many daily snapshots of the database are kept in DATA_DIR/snapshots; 0: none
    /// are taken. `snapshots.keep`, CARETAKER_SNAPSHOTS_KEEP.
    pub snapshots_keep: usize,
}

/// Where a setting's effective value came from, for `config check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Default,
    File,
    Env,
    Flag,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Default => "default",
            Self::File => "config file",
            Self::Env => "environment",
            Self::Flag => "command line",
        })
    }
}

/// One setting: its key in the file (`section.name`), its environment variable, and what it accepts.
pub struct Setting {
    pub key: &'static str,
    /// What the setting does, one sentence for the configuration reference.
    pub about: &'static str,
    /// The command-line flag, for the few settings that have one.
    pub flag: Option<&'static str>,
    pub env: &'static str,
    pub accepts: &'static str,
    pub secret: bool,
}

pub const SETTINGS: &[Setting] = &[
    Setting {
        key: "bind",
        about: "The address and port the web server listens on. In a container, 0.0.0.0:3000.",
        flag: Some("--bind"),
        env: "CARETAKER_BIND",
        accepts: "an IP address and port, like 127.0.0.1:3000",
        secret: false,
    },
    Setting {
        key: "data_dir",
        about: "Where the SQLite database, the secret key and the daily database snapshots are kept. Back this directory up.",
        flag: Some("--data-dir"),
        env: "CARETAKER_DATA_DIR",
        accepts: "a directory path",
        secret: false,
    },
    Setting {
        key: "site_root",
        about: "The compiled site (wasm, JavaScript, CSS, public files) the pages load.",
        flag: None,
        env: "CARETAKER_SITE_ROOT",
        accepts: "the directory cargo-leptos built the site into (target/site)",
        secret: false,
    },
    Setting {
        key: "log.format",
        about: "How log lines are written.",
        flag: Some("--log-format"),
        env: "CARETAKER_LOG_FORMAT",
        accepts: "human or json",
        secret: false,
    },
    Setting {
        key: "log.level",
        about: "Which log events are written.",
        flag: None,
        env: "CARETAKER_LOG_LEVEL",
        accepts: "a tracing filter, like info, debug or caretaker=debug,info",
        secret: false,
    },
    Setting {
        key: "docker.host",
        about: "The local Docker engine caretaker manages.",
        flag: None,
        env: "CARETAKER_DOCKER_HOST",
        accepts: "unix:///var/run/docker.sock, an absolute socket path, or tcp://HOST:PORT",
        secret: false,
    },
    Setting {
        key: "docker.timeout_secs",
        about: "The time limit of one Docker API call.",
        flag: None,
        env: "CARETAKER_DOCKER_TIMEOUT_SECS",
        accepts: "a whole number of seconds from 1 to 3600",
        secret: false,
    },
    Setting {
        key: "public_url",
        about: "The address users open; login redirects and links are built from it. Set it behind a reverse proxy or under a sub-path.",
        flag: None,
        env: "CARETAKER_PUBLIC_URL",
        accepts: "the address users open, like https://ops.example.org or https://example.org/caretaker",
        secret: false,
    },
    Setting {
        key: "trusted_proxies",
        about: "Reverse proxies whose X-Forwarded-For header names the real client (for the audit log and the access policy).",
        flag: None,
        env: "CARETAKER_TRUSTED_PROXIES",
        accepts: "comma-separated IP addresses of reverse proxies whose X-Forwarded-For is believed",
        secret: false,
    },
    Setting {
        key: "session.idle_timeout_mins",
        about: "A login ends after this long without a request.",
        flag: None,
        env: "CARETAKER_SESSION_IDLE_TIMEOUT_MINS",
        accepts: "minutes from 5 to 43200",
        secret: false,
    },
    Setting {
        key: "session.absolute_timeout_hours",
        about: "A login ends this long after it began, active or not.",
        flag: None,
        env: "CARETAKER_SESSION_ABSOLUTE_TIMEOUT_HOURS",
        accepts: "hours from 1 to 8760",
        secret: false,
    },
    Setting {
        key: "tls.cert_file",
        about: "Serve HTTPS directly with this certificate chain (PEM); reloaded when the file changes. Needs tls.key_file.",
        flag: None,
        env: "CARETAKER_TLS_CERT_FILE",
        accepts: "the path of a PEM file with the certificate (chain) to serve HTTPS with",
        secret: false,
    },
    Setting {
        key: "tls.key_file",
        about: "The private key (PEM) of tls.cert_file.",
        flag: None,
        env: "CARETAKER_TLS_KEY_FILE",
        accepts: "the path of a PEM file with that certificate's private key",
        secret: false,
    },
    Setting {
        key: "github.client_id",
        about: "The GitHub OAuth app that lets the team log in with GitHub. Needs github.client_secret.",
        flag: None,
        env: "CARETAKER_GITHUB_CLIENT_ID",
        accepts: "the Client ID of a GitHub OAuth app",
        secret: false,
    },
    Setting {
        key: "github.client_secret",
        about: "The secret of that OAuth app; never printed.",
        flag: None,
        env: "CARETAKER_GITHUB_CLIENT_SECRET",
        accepts: "the client secret of that GitHub OAuth app",
        secret: true,
    },
    Setting {
        key: "github.oauth_url",
        about: "Where GitHub's login pages are.",
        flag: None,
        env: "CARETAKER_GITHUB_OAUTH_URL",
        accepts: "GitHub's web address: https://github.com, or https://HOST for GitHub Enterprise Server",
        secret: false,
    },
    Setting {
        key: "github.api_url",
        about: "Where GitHub's REST API is (user, organisations, teams).",
        flag: None,
        env: "CARETAKER_GITHUB_API_URL",
        accepts: "GitHub's REST API: https://api.github.com, or https://HOST/api/v3 for Enterprise Server",
        secret: false,
    },
    Setting {
        key: "github.pkce",
        about: "Whether the GitHub login uses PKCE.",
        flag: None,
        env: "CARETAKER_GITHUB_PKCE",
        accepts: "true or false (false only for Enterprise Servers without PKCE)",
        secret: false,
    },
    Setting {
        key: "metrics.token",
        about: "Lets a Prometheus scraper read /metrics without logging in; never printed.",
        flag: None,
        env: "CARETAKER_METRICS_TOKEN",
        accepts: "a random string of at least 16 characters; a scraper sends it as Authorization: Bearer TOKEN",
        secret: true,
    },
    Setting {
        key: "snapshots.keep",
        about: "caretaker copies its own database (consistently, with VACUUM INTO) into DATA_DIR/snapshots once a day and keeps this many of the newest copies.",
        flag: None,
        env: "CARETAKER_SNAPSHOTS_KEEP",
        accepts: "a whole number from 0 (no snapshots) to 365",
        secret: false,
    },
];

/// The default as the reference shows it: the loader's own default value, except where
/// that depends on the machine.
fn documented_default(defaults: &Config, key: &str) -> String {
    match key {
        "site_root" => "`site` beside the binary's folder (`target/release/caretaker` serves `target/site`), else `./target/site`".to_owned(),
        "public_url" => "`http://BIND` (`https://BIND` when tls.cert_file is set)".to_owned(),
        _ => format!("`{}`", defaults.shown(key)),
    }
}

/// The configuration reference in Markdown, generated from [`SETTINGS`] and the loader's
/// defaults so that docs/configuration.md cannot drift from the code (a test compares them).
pub fn reference_markdown() -> String {
    let defaults = Config::defaults();
    let cell = |text: &str| text.replace('|', "\\|");
    let mut out = String::new();
    out.push_str("# Configuration reference\n\n");
    out.push_str("<!-- Generated by `caretaker config reference` from the settings table in server/src/config.rs. Do not edit: a test fails when this file differs from the generated text. Regenerate with `cargo run -p server -- config reference > docs/configuration.md`. -->\n\n");
    out.push_str("caretaker needs no configuration to start: every setting has a default. Settings come from, in order, the defaults, a TOML file (`--config FILE` or the environment variable `CARETAKER_CONFIG`), `CARETAKER_*` environment variables, then command-line flags; a later layer wins. In the file, a key written `section.name` below goes under `[section]`.\n\n");
    out.push_str("An unknown key or environment variable, or a value that is not accepted, stops the start with a message that names it and says what is accepted. `caretaker config check` prints the effective value of every setting and where it came from (secrets as `***`).\n\n");
    out.push_str(
        "| Setting | Environment variable | Flag | Default |\n| --- | --- | --- | --- |\n",
    );
    for setting in SETTINGS {
        out.push_str(&format!(
            "| [`{key}`](#{anchor}) | `{env}` | {flag} | {default} |\n",
            key = setting.key,
            anchor = setting.key.replace('.', ""),
            env = setting.env,
            flag = setting
                .flag
                .map_or("".to_owned(), |flag| format!("`{flag}`")),
            default = cell(&documented_default(&defaults, setting.key)),
        ));
    }
    for setting in SETTINGS {
        out.push_str(&format!("\n## {}\n\n{}\n\n", setting.key, setting.about));
        out.push_str(&format!("- Environment variable: `{}`\n", setting.env));
        if let Some(flag) = setting.flag {
            out.push_str(&format!("- Flag: `{flag}`\n"));
        }
        out.push_str(&format!(
            "- Default: {}\n",
            documented_default(&defaults, setting.key)
        ));
        out.push_str(&format!("- Accepts: {}\n", setting.accepts));
        if setting.secret {
            out.push_str("- Secret: never printed, in logs or by `config check`\n");
        }
    }
    out.push_str(
        "\n## Example file\n\n```toml\n\
         bind = \"0.0.0.0:3000\"\n\
         data_dir = \"/var/lib/caretaker\"\n\
         public_url = \"https://ops.example.org\"\n\
         trusted_proxies = \"127.0.0.1\"\n\n\
         [github]\n\
         client_id = \"Iv1.0123456789abcdef\"\n\
         client_secret = \"…\"\n\n\
         [log]\n\
         format = \"json\"\n\
         ```\n",
    );
    out
}

/// The environment variable that names the config file (like `--config`).
pub const CONFIG_FILE_ENV: &str = "CARETAKER_CONFIG";

/// A configuration error, already phrased for the person starting caretaker.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// The values given on the command line (only those that were given).
#[derive(Debug, Default, Clone)]
pub struct FlagValues {
    pub config_file: Option<PathBuf>,
    pub values: Vec<(&'static str, String)>,
}

/// Everything the configuration is built from, so tests can pass their own environment.
pub struct Inputs<'a> {
    pub flags: FlagValues,
    pub env: &'a [(String, String)],
}

impl Config {
    fn defaults() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 3000)),
            data_dir: PathBuf::from("./data"),
            site_root: default_site_root(),
            log_format: LogFormat::Human,
            log_level: "info".to_owned(),
            docker_host: DockerEndpoint::Unix("/var/run/docker.sock".to_owned()),
            docker_timeout: Duration::from_secs(10),
            public_url: None,
            trusted_proxies: Vec::new(),
            session_idle_timeout: Duration::from_secs(12 * 3600),
            session_absolute_timeout: Duration::from_secs(7 * 24 * 3600),
            github_client_id: None,
            github_client_secret: None,
            github_oauth_url: "https://github.com".to_owned(),
            github_api_url: "https://api.github.com".to_owned(),
            github_pkce: true,
            metrics_token: None,
            tls_cert_file: None,
            tls_key_file: None,
            snapshots_keep: 7,
        }
    }

    /// Builds the configuration from all layers, with where each value came from.
    pub fn load(inputs: Inputs<'_>) -> Result<(Self, BTreeMap<&'static str, Source>), ConfigError> {
        let mut config = Self::defaults();
        let mut sources: BTreeMap<&'static str, Source> = SETTINGS
            .iter()
            .map(|setting| (setting.key, Source::Default))
            .collect();

        let file = inputs.flags.config_file.clone().or_else(|| {
            inputs
                .env
                .iter()
                .find(|(name, _)| name == CONFIG_FILE_ENV)
                .map(|(_, value)| PathBuf::from(value))
        });
        if let Some(path) = file {
            for (key, value) in read_file(&path)? {
                config
                    .set(key, &value)
                    .map_err(|error| ConfigError(format!("{}: {error}", path.display())))?;
                sources.insert(key, Source::File);
            }
        }

        for (name, value) in inputs.env {
            if !name.starts_with("CARETAKER_") || name == CONFIG_FILE_ENV {
                continue;
            }
            let setting = SETTINGS
                .iter()
                .find(|setting| setting.env == name)
                .ok_or_else(|| {
                    let known: Vec<&str> = SETTINGS
                        .iter()
                        .map(|s| s.env)
                        .chain([CONFIG_FILE_ENV])
                        .collect();
                    ConfigError(format!(
                        "Unknown environment variable {name}. caretaker reads: {}.",
                        known.join(", ")
                    ))
                })?;
            config
                .set(setting.key, value)
                .map_err(|error| ConfigError(format!("environment variable {name}: {error}")))?;
            sources.insert(setting.key, Source::Env);
        }

        for (key, value) in &inputs.flags.values {
            config
                .set(key, value)
                .map_err(|error| ConfigError(format!("command line: {error}")))?;
            sources.insert(key, Source::Flag);
        }
        if config.github_client_id.is_some() != config.github_client_secret.is_some() {
            return Err(ConfigError(
                "GitHub login needs both github.client_id and github.client_secret (CARETAKER_GITHUB_CLIENT_ID, CARETAKER_GITHUB_CLIENT_SECRET); only one is set.".to_owned(),
            ));
        }
        if config.tls_cert_file.is_some() != config.tls_key_file.is_some() {
            return Err(ConfigError(
                "HTTPS needs both tls.cert_file and tls.key_file (CARETAKER_TLS_CERT_FILE, CARETAKER_TLS_KEY_FILE); only one is set.".to_owned(),
            ));
        }
        // Serving HTTPS makes the public address https: cookies are marked Secure and HSTS
        // is sent because of it, so an http:// public_url would contradict the server.
        if let (Some(_), Some(url)) = (&config.tls_cert_file, &config.public_url) {
            if !url.starts_with("https://") {
                return Err(ConfigError(format!(
                    "tls.cert_file and tls.key_file make caretaker serve HTTPS, but public_url is {url}; set public_url to its https:// address (CARETAKER_PUBLIC_URL)."
                )));
            }
        }
        Ok((config, sources))
    }

    /// The address users open, without a trailing slash.
    pub fn effective_public_url(&self) -> String {
        match &self.public_url {
            Some(url) => url.clone(),
            None if self.tls().is_some() => format!("https://{}", self.bind),
            None => format!("http://{}", self.bind),
        }
    }

    /// The certificate and key files when caretaker serves HTTPS itself.
    pub fn tls(&self) -> Option<crate::tls::TlsFiles> {
        match (&self.tls_cert_file, &self.tls_key_file) {
            (Some(cert), Some(key)) => Some(crate::tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
            }),
            _ => None,
        }
    }

    /// Sets one setting from its text form. The error names the key and what it accepts.
    fn set(&mut self, key: &str, value: &str) -> Result<(), String> {
        let setting = SETTINGS
            .iter()
            .find(|setting| setting.key == key)
            .ok_or_else(|| unknown_key(key))?;
        let bad = || {
            let shown = if setting.secret { "***" } else { value };
            format!(
                "{key} = '{shown}' is not accepted; expected {}",
                setting.accepts
            )
        };
        match key {
            "bind" => self.bind = value.trim().parse().map_err(|_| bad())?,
            "data_dir" => self.data_dir = non_empty(value).ok_or_else(bad)?.into(),
            "site_root" => self.site_root = non_empty(value).ok_or_else(bad)?.into(),
            "log.format" => {
                self.log_format = match value.trim() {
                    "human" => LogFormat::Human,
                    "json" => LogFormat::Json,
                    _ => return Err(bad()),
                }
            }
            "log.level" => {
                tracing_subscriber::EnvFilter::try_new(value.trim()).map_err(|_| bad())?;
                self.log_level = value.trim().to_owned();
            }
            "docker.host" => {
                self.docker_host = DockerEndpoint::parse(value.trim())
                    .map_err(|error| format!("docker.host: {error}"))?
            }
            "docker.timeout_secs" => {
                let seconds: u64 = value.trim().parse().map_err(|_| bad())?;
                if !(1..=3600).contains(&seconds) {
                    return Err(bad());
                }
                self.docker_timeout = Duration::from_secs(seconds);
            }
            "public_url" => self.public_url = Some(parse_url(value, true).ok_or_else(bad)?),
            "trusted_proxies" => {
                self.trusted_proxies = value
                    .split(',')
                    .map(str::trim)
                    .filter(|part| !part.is_empty())
                    .map(|part| part.parse().map_err(|_| bad()))
                    .collect::<Result<_, _>>()?
            }
            "session.idle_timeout_mins" => {
                let minutes = in_range(value, 5, 43_200).ok_or_else(bad)?;
                self.session_idle_timeout = Duration::from_secs(minutes * 60);
            }
            "session.absolute_timeout_hours" => {
                let hours = in_range(value, 1, 8_760).ok_or_else(bad)?;
                self.session_absolute_timeout = Duration::from_secs(hours * 3600);
            }
            "github.oauth_url" => self.github_oauth_url = parse_url(value, true).ok_or_else(bad)?,
            "github.api_url" => self.github_api_url = parse_url(value, true).ok_or_else(bad)?,
            "metrics.token" => {
                let token = non_empty(value);
                if token.is_some_and(|token| token.len() < 16) {
                    return Err(bad());
                }
                self.metrics_token = token.map(|token| Secret(token.to_owned()));
            }
            "github.pkce" => {
                self.github_pkce = match value.trim() {
                    "true" => true,
                    "false" => false,
                    _ => return Err(bad()),
                }
            }
            "snapshots.keep" => {
                self.snapshots_keep = in_range(value, 0, 365).ok_or_else(bad)? as usize
            }
            "tls.cert_file" => self.tls_cert_file = non_empty(value).map(PathBuf::from),
            "tls.key_file" => self.tls_key_file = non_empty(value).map(PathBuf::from),
            "github.client_id" => self.github_client_id = non_empty(value).map(str::to_owned),
            "github.client_secret" => {
                self.github_client_secret = non_empty(value).map(|secret| Secret(secret.to_owned()))
            }
            _ => return Err(unknown_key(key)),
        }
        Ok(())
    }

    /// The effective value of a setting as `config check` prints it; secrets as `***`.
    pub fn shown(&self, key: &str) -> String {
        let optional = |value: Option<String>| value.unwrap_or_else(|| "(not set)".to_owned());
        match key {
            "bind" => self.bind.to_string(),
            "data_dir" => self.data_dir.display().to_string(),
            "site_root" => self.site_root.display().to_string(),
            "log.format" => match self.log_format {
                LogFormat::Human => "human".to_owned(),
                LogFormat::Json => "json".to_owned(),
            },
            "log.level" => self.log_level.clone(),
            "docker.host" => self.docker_host.to_string(),
            "docker.timeout_secs" => self.docker_timeout.as_secs().to_string(),
            "public_url" => self.effective_public_url(),
            "trusted_proxies" => {
                let list: Vec<String> = self
                    .trusted_proxies
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                if list.is_empty() {
                    "(none)".to_owned()
                } else {
                    list.join(",")
                }
            }
            "session.idle_timeout_mins" => (self.session_idle_timeout.as_secs() / 60).to_string(),
            "session.absolute_timeout_hours" => {
                (self.session_absolute_timeout.as_secs() / 3600).to_string()
            }
            "github.oauth_url" => self.github_oauth_url.clone(),
            "github.api_url" => self.github_api_url.clone(),
            "github.pkce" => self.github_pkce.to_string(),
            "metrics.token" => optional(self.metrics_token.as_ref().map(Secret::to_string)),
            "tls.cert_file" => {
                optional(self.tls_cert_file.as_ref().map(|p| p.display().to_string()))
            }
            "tls.key_file" => optional(self.tls_key_file.as_ref().map(|p| p.display().to_string())),
            "github.client_id" => optional(self.github_client_id.clone()),
            "snapshots.keep" => self.snapshots_keep.to_string(),
            "github.client_secret" => {
                optional(self.github_client_secret.as_ref().map(Secret::to_string))
            }
            _ => String::new(),
        }
    }
}

fn non_empty(value: &str) -> Option<&str> {
    let value = value.trim();
    (!value.is_empty()).then_some(value)
}

fn in_range(value: &str, low: u64, high: u64) -> Option<u64> {
    value
        .trim()
        .parse()
        .ok()
        .filter(|number| (low..=high).contains(number))
}

/// An http(s) URL without query or fragment, returned without a trailing slash.
fn parse_url(value: &str, allow_path: bool) -> Option<String> {
    let value = value.trim().trim_end_matches('/');
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))?;
    let (host, path) = rest.split_once('/').unwrap_or((rest, ""));
    let host_ok = !host.is_empty() && !host.contains(['@', ' ', '?', '#']);
    let path_ok = (allow_path || path.is_empty()) && !path.contains(['?', '#', ' ']);
    (host_ok && path_ok).then(|| value.to_owned())
}

fn unknown_key(key: &str) -> String {
    let known: Vec<&str> = SETTINGS.iter().map(|setting| setting.key).collect();
    format!("unknown key '{key}'; accepted keys: {}", known.join(", "))
}

/// Reads a TOML file into (key, text value) pairs, keys flattened as `section.name`.
fn read_file(path: &Path) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        ConfigError(format!(
            "The config file {} cannot be read: {error}.",
            path.display()
        ))
    })?;
    let table: toml::Table = text.parse().map_err(|error: toml::de::Error| {
        ConfigError(format!(
            "{} is not valid TOML: {}",
            path.display(),
            error.message()
        ))
    })?;
    let mut pairs = Vec::new();
    let mut flatten = |key: String, value: &toml::Value| -> Result<(), ConfigError> {
        let setting = SETTINGS
            .iter()
            .find(|setting| setting.key == key)
            .ok_or_else(|| ConfigError(format!("{}: {}", path.display(), unknown_key(&key))))?;
        let text = match value {
            toml::Value::String(text) => text.clone(),
            toml::Value::Integer(number) => number.to_string(),
            toml::Value::Boolean(flag) => flag.to_string(),
            other => {
                return Err(ConfigError(format!(
                    "{}: {key} cannot be a TOML {}; expected {}",
                    path.display(),
                    other.type_str(),
                    setting.accepts
                )))
            }
        };
        pairs.push((setting.key, text));
        Ok(())
    };
    for (key, value) in &table {
        match value {
            toml::Value::Table(section) => {
                for (name, value) in section {
                    flatten(format!("{key}.{name}"), value)?;
                }
            }
            value => flatten(key.clone(), value)?,
        }
    }
    Ok(pairs)
}

/// The compiled site sits beside the binary's directory: `target/release/caretaker` serves
/// `target/site`. Falls back to `./target/site` (running from a checkout).
fn default_site_root() -> PathBuf {
    std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.parent()?.join("site")))
        .filter(|site| site.join("pkg").is_dir())
        .unwrap_or_else(|| PathBuf::from("./target/site"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn load(flags: FlagValues, env: &[(String, String)]) -> Result<Config, ConfigError> {
        Config::load(Inputs { flags, env }).map(|(config, _)| config)
    }

    fn file(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("caretaker.toml");
        std::fs::write(&path, text).unwrap();
        (dir, path)
    }

    #[test]
    fn defaults_need_nothing() {
        let config = load(FlagValues::default(), &[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:3000");
        assert_eq!(config.data_dir, PathBuf::from("./data"));
        assert_eq!(
            config.docker_host.to_string(),
            "unix:///var/run/docker.sock"
        );
        assert_eq!(config.log_format, LogFormat::Human);
    }

    #[test]
    fn later_layers_win_file_then_env_then_flags() {
        let (_dir, path) = file("bind = \"127.0.0.1:4000\"\ndata_dir = \"/srv/file\"\n[docker]\ntimeout_secs = 30\n[log]\nformat = \"json\"\n");
        let flags = FlagValues {
            config_file: Some(path),
            values: vec![("bind", "127.0.0.1:6000".into())],
        };
        let env = env(&[
            ("CARETAKER_BIND", "127.0.0.1:5000"),
            ("CARETAKER_DATA_DIR", "/srv/env"),
        ]);
        let (config, sources) = Config::load(Inputs { flags, env: &env }).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:6000");
        assert_eq!(sources["bind"], Source::Flag);
        assert_eq!(config.data_dir, PathBuf::from("/srv/env"));
        assert_eq!(sources["data_dir"], Source::Env);
        assert_eq!(config.docker_timeout, Duration::from_secs(30));
        assert_eq!(sources["docker.timeout_secs"], Source::File);
        assert_eq!(config.log_format, LogFormat::Json);
        assert_eq!(sources["log.level"], Source::Default);
    }

    #[test]
    fn the_config_file_can_be_named_by_the_environment() {
        let (_dir, path) = file("bind = \"127.0.0.1:4100\"\n");
        let env = env(&[("CARETAKER_CONFIG", path.to_str().unwrap())]);
        assert_eq!(
            load(FlagValues::default(), &env).unwrap().bind.to_string(),
            "127.0.0.1:4100"
        );
    }

    #[test]
    fn an_unknown_file_key_names_it_and_the_accepted_keys() {
        let (_dir, path) = file("[docker]\nsocket = \"/x\"\n");
        let flags = FlagValues {
            config_file: Some(path),
            values: vec![],
        };
        let error = load(flags, &[]).unwrap_err().to_string();
        assert!(error.contains("unknown key 'docker.socket'"), "{error}");
        assert!(error.contains("docker.host"), "{error}");
    }

    #[test]
    fn an_unknown_environment_variable_is_refused() {
        let env = env(&[("CARETAKER_BINDD", "127.0.0.1:1")]);
        let error = load(FlagValues::default(), &env).unwrap_err().to_string();
        assert!(error.contains("CARETAKER_BINDD"), "{error}");
        assert!(error.contains("CARETAKER_BIND,"), "{error}");
    }

    #[test]
    fn bad_values_name_the_key_and_what_is_accepted() {
        let cases = [
            ("CARETAKER_BIND", "localhost", "bind = 'localhost'"),
            ("CARETAKER_LOG_FORMAT", "xml", "human or json"),
            ("CARETAKER_DOCKER_TIMEOUT_SECS", "0", "1 to 3600"),
            ("CARETAKER_DOCKER_HOST", "docker.sock", "tcp://HOST:PORT"),
        ];
        for (name, value, expected) in cases {
            let error = load(FlagValues::default(), &env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(name), "{error}");
            assert!(error.contains(expected), "{error}");
        }
        let (_dir, path) = file("[docker]\ntimeout_secs = [1]\n");
        let flags = FlagValues {
            config_file: Some(path),
            values: vec![],
        };
        let error = load(flags, &[]).unwrap_err().to_string();
        assert!(
            error.contains("docker.timeout_secs cannot be a TOML array"),
            "{error}"
        );
    }

    #[test]
    fn secrets_never_print() {
        let env = env(&[
            ("CARETAKER_GITHUB_CLIENT_SECRET", "gh-very-secret"),
            ("CARETAKER_GITHUB_CLIENT_ID", "Iv1.x"),
        ]);
        let config = load(FlagValues::default(), &env).unwrap();
        assert_eq!(config.shown("github.client_secret"), "***");
        assert!(!format!("{config:?}").contains("gh-very-secret"));
        assert_eq!(
            config.github_client_secret.unwrap().expose(),
            "gh-very-secret"
        );
    }

    #[test]
    fn urls_proxies_and_github_pairs_are_checked() {
        let env_ok = env(&[
            ("CARETAKER_PUBLIC_URL", "https://example.org/caretaker/"),
            ("CARETAKER_TRUSTED_PROXIES", "127.0.0.1, ::1"),
        ]);
        let config = load(FlagValues::default(), &env_ok).unwrap();
        assert_eq!(
            config.effective_public_url(),
            "https://example.org/caretaker"
        );
        assert_eq!(config.trusted_proxies.len(), 2);
        for (name, value) in [
            ("CARETAKER_PUBLIC_URL", "example.org"),
            ("CARETAKER_PUBLIC_URL", "https://example.org/?x=1"),
            ("CARETAKER_TRUSTED_PROXIES", "10.0.0.0/8"),
            ("CARETAKER_GITHUB_PKCE", "yes"),
            ("CARETAKER_METRICS_TOKEN", "short"),
        ] {
            let error = load(FlagValues::default(), &env(&[(name, value)]))
                .unwrap_err()
                .to_string();
            assert!(error.contains(name), "{error}");
        }
        let half = env(&[("CARETAKER_GITHUB_CLIENT_ID", "Iv1.x")]);
        let error = load(FlagValues::default(), &half).unwrap_err().to_string();
        assert!(error.contains("needs both"), "{error}");
    }

    #[test]
    fn tls_needs_both_files_and_makes_the_public_url_https() {
        let both = env(&[
            ("CARETAKER_TLS_CERT_FILE", "/etc/caretaker/cert.pem"),
            ("CARETAKER_TLS_KEY_FILE", "/etc/caretaker/key.pem"),
            ("CARETAKER_BIND", "0.0.0.0:8443"),
        ]);
        let config = load(FlagValues::default(), &both).unwrap();
        let files = config.tls().unwrap();
        assert_eq!(files.cert, PathBuf::from("/etc/caretaker/cert.pem"));
        assert_eq!(files.key, PathBuf::from("/etc/caretaker/key.pem"));
        assert_eq!(config.effective_public_url(), "https://0.0.0.0:8443");
        assert_eq!(config.shown("tls.key_file"), "/etc/caretaker/key.pem");

        let (_dir, path) = file("[tls]\ncert_file = \"/c.pem\"\nkey_file = \"/k.pem\"\n");
        let flags = FlagValues {
            config_file: Some(path),
            values: vec![("public_url", "https://caretaker.example.org".into())],
        };
        let config = load(flags, &[]).unwrap();
        assert!(config.tls().is_some());
        assert_eq!(
            config.effective_public_url(),
            "https://caretaker.example.org"
        );

        let config = load(FlagValues::default(), &[]).unwrap();
        assert!(config.tls().is_none());
        assert_eq!(config.shown("tls.cert_file"), "(not set)");
        assert_eq!(config.effective_public_url(), "http://127.0.0.1:3000");

        for half in [
            ("CARETAKER_TLS_CERT_FILE", "/c.pem"),
            ("CARETAKER_TLS_KEY_FILE", "/k.pem"),
        ] {
            let error = load(FlagValues::default(), &env(&[half]))
                .unwrap_err()
                .to_string();
            assert!(error.contains("tls.cert_file"), "{error}");
            assert!(error.contains("tls.key_file"), "{error}");
        }

        let mut plain = both.clone();
        plain.push(("CARETAKER_PUBLIC_URL".into(), "http://example.org".into()));
        let error = load(FlagValues::default(), &plain).unwrap_err().to_string();
        assert!(
            error.contains("public_url is http://example.org"),
            "{error}"
        );
    }

    #[test]
    fn the_configuration_reference_in_docs_is_the_generated_one() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
        let written = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            written == reference_markdown(),
            "{} differs from the generated reference; regenerate it with `cargo run -p server -- config reference > docs/configuration.md`",
            path.display()
        );
        for setting in SETTINGS {
            assert!(
                written.contains(&format!("`{}`", setting.env)),
                "{}",
                setting.env
            );
        }
    }

    #[test]
    fn every_setting_can_be_shown() {
        let config = load(FlagValues::default(), &[]).unwrap();
        for setting in SETTINGS {
            assert!(!config.shown(setting.key).is_empty(), "{}", setting.key);
        }
    }
}
