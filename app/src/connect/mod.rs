//! The connect area: how the team reaches caretaker inside a private network through an
//! SSH SOCKS5 tunnel. An admin sets a few values (the bastion, the ssh user, the local
//! SOCKS port, caretaker's private address, up to two jump hosts); the page writes the
//! `~/.ssh/config` entry and the browser proxy settings from them, and caretaker serves a
//! PAC file that sends only caretaker's address through the tunnel.
//!
//! caretaker itself needs nothing for this: it only ever sees the tunnel's far end as a
//! client, and every asset it serves comes from its own origin.

use serde::{Deserialize, Serialize};

pub mod api;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod routes;
#[cfg(feature = "ssr")]
pub mod service;
#[cfg(feature = "ssr")]
mod store;
pub mod validate;

/// The name of the ssh config entry when the admin gives none.
pub const DEFAULT_HOST_ALIAS: &str = "caretaker-socks";
/// The usual local SOCKS port.
pub const DEFAULT_SOCKS_PORT: u16 = 1080;
/// Seconds between ssh keep-alive messages, and how many may go unanswered before ssh
/// gives up: a dead tunnel is noticed within about 90 seconds instead of hanging.
pub const SERVER_ALIVE_INTERVAL: u32 = 30;
pub const SERVER_ALIVE_COUNT_MAX: u32 = 3;

/// The form as typed: every field as text, so a refused form comes back as it was.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectForm {
    pub host_alias: String,
    pub bastion: String,
    pub ssh_user: String,
    pub jump_host: String,
    pub second_jump_host: String,
    pub socks_port: String,
    pub private_url: String,
}

/// Checked values, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectSettings {
    pub host_alias: String,
    /// `host` or `host:port`.
    pub bastion: String,
    pub ssh_user: String,
    /// Passed through before the bastion, in this order; empty when not used.
    pub jump_host: String,
    pub second_jump_host: String,
    pub socks_port: u16,
    /// caretaker's address inside the private network, without a trailing slash.
    pub private_url: String,
}

impl ConnectSettings {
    pub fn to_form(&self) -> ConnectForm {
        ConnectForm {
            host_alias: self.host_alias.clone(),
            bastion: self.bastion.clone(),
            ssh_user: self.ssh_user.clone(),
            jump_host: self.jump_host.clone(),
            second_jump_host: self.second_jump_host.clone(),
            socks_port: self.socks_port.to_string(),
            private_url: self.private_url.clone(),
        }
    }

    /// The `~/.ssh/config` entry. `ssh -N HOST_ALIAS` then opens the SOCKS5 proxy on
    /// 127.0.0.1:SOCKS_PORT (bound to loopback only, so nobody else on the laptop's
    /// network can use the tunnel).
    pub fn ssh_config(&self) -> String {
        let (host, port) = split_port(&self.bastion);
        let mut lines = vec![
            format!("Host {}", self.host_alias),
            format!("    HostName {host}"),
        ];
        if let Some(port) = port {
            lines.push(format!("    Port {port}"));
        }
        lines.push(format!("    User {}", self.ssh_user));
        let jumps: Vec<&str> = [self.jump_host.as_str(), self.second_jump_host.as_str()]
            .into_iter()
            .filter(|jump| !jump.is_empty())
            .collect();
        if !jumps.is_empty() {
            lines.push(format!("    ProxyJump {}", jumps.join(",")));
        }
        lines.push(format!("    DynamicForward 127.0.0.1:{}", self.socks_port));
        lines.push(format!("    ServerAliveInterval {SERVER_ALIVE_INTERVAL}"));
        lines.push(format!("    ServerAliveCountMax {SERVER_ALIVE_COUNT_MAX}"));
        // A tunnel whose port is taken would otherwise run without its proxy.
        lines.push("    ExitOnForwardFailure yes".to_owned());
        lines.join("\n") + "\n"
    }

    /// The command that opens the tunnel and keeps it open.
    pub fn ssh_command(&self) -> String {
        format!("ssh -N {}", self.host_alias)
    }

    /// How Chromium (or Chrome) is started to go through the tunnel. With `socks5://`
    /// Chromium resolves host names through the proxy too.
    pub fn chromium_command(&self) -> String {
        format!(
            "chromium --proxy-server=\"socks5://127.0.0.1:{}\" {}",
            self.socks_port, self.private_url
        )
    }

    /// The host part of the private address, which the PAC file sends through the tunnel.
    pub fn private_host(&self) -> String {
        let rest = self
            .private_url
            .split_once("://")
            .map_or(self.private_url.as_str(), |(_, rest)| rest);
        let authority = rest.split('/').next().unwrap_or_default();
        split_port(authority).0.trim_matches(['[', ']']).to_owned()
    }

    /// A proxy auto-config file: only caretaker's private host goes through the SOCKS5
    /// proxy (host names resolved at the far end), everything else goes direct.
    pub fn pac_file(&self) -> String {
        format!(
            "// caretaker: reach {url} through the SSH SOCKS5 tunnel `{command}`.\n\
             function FindProxyForURL(url, host) {{\n  \
             if (host == \"{host}\") {{\n    \
             return \"SOCKS5 127.0.0.1:{port}\";\n  \
             }}\n  \
             return \"DIRECT\";\n\
             }}\n",
            url = self.private_url,
            command = self.ssh_command(),
            host = self.private_host(),
            port = self.socks_port,
        )
    }
}

/// `host:port` → (`host`, Some(`port`)); a bracketed IPv6 address keeps its brackets.
fn split_port(address: &str) -> (&str, Option<&str>) {
    if let Some(rest) = address.strip_prefix('[') {
        if let Some(end) = rest.find(']') {
            let host = &address[..end + 2];
            let port = address[end + 2..].strip_prefix(':');
            return (host, port);
        }
    }
    match address.rsplit_once(':') {
        Some((host, port)) if !host.contains(':') => (host, Some(port)),
        _ => (address, None),
    }
}

/// What the Connect page shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConnectView {
    /// `None` until an admin has saved the values.
    pub settings: Option<ConnectSettings>,
    /// The form, filled with the saved values (or suggestions).
    pub form: ConnectForm,
    pub can_edit: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings() -> ConnectSettings {
        ConnectSettings {
            host_alias: "caretaker-socks".into(),
            bastion: "bastion.example.org:2222".into(),
            ssh_user: "alice".into(),
            jump_host: "gw.example.org".into(),
            second_jump_host: "bob@inner.example.org:22".into(),
            socks_port: 1080,
            private_url: "http://10.0.1.5:3000".into(),
        }
    }

    #[test]
    fn the_ssh_entry_has_every_line() {
        let text = settings().ssh_config();
        assert_eq!(
            text,
            "Host caretaker-socks\n    HostName bastion.example.org\n    Port 2222\n    User alice\n    ProxyJump gw.example.org,bob@inner.example.org:22\n    DynamicForward 127.0.0.1:1080\n    ServerAliveInterval 30\n    ServerAliveCountMax 3\n    ExitOnForwardFailure yes\n"
        );
        let mut plain = settings();
        plain.jump_host.clear();
        plain.second_jump_host.clear();
        plain.bastion = "bastion.example.org".into();
        let text = plain.ssh_config();
        assert!(!text.contains("ProxyJump"), "{text}");
        assert!(!text.contains("Port "), "{text}");
    }

    #[test]
    fn the_pac_file_sends_only_caretaker_through_the_tunnel() {
        let pac = settings().pac_file();
        assert!(pac.contains("host == \"10.0.1.5\""), "{pac}");
        assert!(pac.contains("SOCKS5 127.0.0.1:1080"), "{pac}");
        assert!(pac.contains("return \"DIRECT\""), "{pac}");
        let mut v6 = settings();
        v6.private_url = "http://[fd00::5]:3000/caretaker".into();
        assert_eq!(v6.private_host(), "fd00::5");
    }
}
