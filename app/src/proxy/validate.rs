//! The checks of the route and settings forms. Every refusal names the field and says
//! what is accepted. Values that reach the generated file are restricted to characters
//! that cannot end a directive or open a block, so no form can inject configuration.

use super::{ProxyKind, ProxySettings, Reload, RouteForm, RouteTarget, SettingsForm};
use crate::core::error::AppError;

/// A route form, checked: (host, path, target, cert file, key file). `service_name` looks
/// a service id up.
pub fn parse_route(
    form: &RouteForm,
    service_name: impl Fn(i64) -> Option<String>,
) -> Result<(String, String, RouteTarget, String, String), AppError> {
    let (host, path) = public_name(&form.public_name)?;
    let target = match form.service.trim() {
        "" => RouteTarget::Address {
            address: upstream(&form.address)?,
        },
        id => {
            let id: i64 = id
                .parse()
                .map_err(|_| AppError::invalid("Service: choose a service from the list."))?;
            if !form.address.trim().is_empty() {
                return Err(AppError::invalid(
                    "Choose a service or write an address, not both.",
                ));
            }
            let name = service_name(id).ok_or_else(|| {
                AppError::invalid("Service: that service no longer exists; choose another.")
            })?;
            RouteTarget::Service { id, name }
        }
    };
    let cert_file = file_path("Certificate file", &form.cert_file)?;
    let key_file = file_path("Key file", &form.key_file)?;
    if cert_file.is_empty() != key_file.is_empty() {
        return Err(AppError::invalid(
            "Give both the certificate file and the key file, or neither (Caddy then gets a certificate by itself).",
        ));
    }
    Ok((host, path, target, cert_file, key_file))
}

/// `app.example.org` → (`app.example.org`, ``); `example.org/app/` → (`example.org`,
/// `/app`). Upper case is folded; a scheme is refused (the proxy decides it).
pub fn public_name(text: &str) -> Result<(String, String), AppError> {
    let text = text.trim();
    let example = "Public name: write a host name like app.example.org, or a host and a path like example.org/app.";
    if text.is_empty() {
        return Err(AppError::invalid(example));
    }
    if text.contains("://") {
        return Err(AppError::invalid(format!(
            "{example} Leave out the scheme: routes are served over HTTPS, and HTTP is redirected."
        )));
    }
    let (host, path) = match text.find('/') {
        Some(at) => (&text[..at], &text[at..]),
        None => (text, ""),
    };
    let host = host.to_ascii_lowercase();
    if !is_host_name(&host) {
        return Err(AppError::invalid(format!(
            "{example} “{host}” is not a host name: letters, digits and hyphens in dot-separated parts."
        )));
    }
    Ok((host, sub_path(path)?))
}

/// `/app/` → `/app`; `/` and `` → ``. Segments of letters, digits and `-._~`.
pub fn sub_path(text: &str) -> Result<String, AppError> {
    let trimmed = text.trim_end_matches('/');
    if trimmed.is_empty() {
        return Ok(String::new());
    }
    let segments: Vec<&str> = trimmed.trim_start_matches('/').split('/').collect();
    let fine = |segment: &&str| {
        !segment.is_empty()
            && *segment != "."
            && *segment != ".."
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c))
    };
    if !segments.iter().all(fine) {
        return Err(AppError::invalid(format!(
            "Public name: the path “{text}” is not accepted; use parts of letters, digits, - . _ and ~, like /app or /tools/grafana."
        )));
    }
    Ok(format!("/{}", segments.join("/")))
}

/// A DNS name: dot-separated labels of letters, digits and hyphens, 1 to 63 characters,
/// not starting or ending with a hyphen; 253 characters at most.
pub fn is_host_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 253
        && text.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        })
}

/// `host:port` of an HTTP upstream: a host name, an IPv4 address or a bracketed IPv6
/// address, and a port from 1 to 65535. `http://` in front is dropped.
pub fn upstream(text: &str) -> Result<String, AppError> {
    let text = text.trim();
    let text = text.strip_prefix("http://").unwrap_or(text);
    let text = text.strip_suffix('/').unwrap_or(text);
    let example = "Address: write the upstream as host:port, like 127.0.0.1:8080, web.internal:5000 or [::1]:3000.";
    if text.is_empty() {
        return Err(AppError::invalid(format!(
            "{example} Or choose a service instead."
        )));
    }
    let Some((host, port)) = text.rsplit_once(':') else {
        return Err(AppError::invalid(format!(
            "{example} “{text}” has no port."
        )));
    };
    let port_ok = port.parse::<u16>().is_ok_and(|port| port > 0);
    if !port_ok {
        return Err(AppError::invalid(format!(
            "{example} “{port}” is not a port (1 to 65535)."
        )));
    }
    let host_ok = if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        inner.parse::<std::net::Ipv6Addr>().is_ok()
    } else {
        host.parse::<std::net::Ipv4Addr>().is_ok() || is_host_name(host)
    };
    if !host_ok {
        return Err(AppError::invalid(format!(
            "{example} “{host}” is not a host name or address."
        )));
    }
    Ok(format!("{}:{port}", host.to_ascii_lowercase()))
}

/// An absolute path without spaces, quotes, `;`, braces or `$` (characters that would
/// change the meaning of the generated file); empty stays empty.
pub fn file_path(field: &str, text: &str) -> Result<String, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(String::new());
    }
    if !text.starts_with('/') {
        return Err(AppError::invalid(format!(
            "{field}: give an absolute path, like /etc/ssl/caretaker/app.example.org.pem."
        )));
    }
    if text
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || "\"';{}$#\\`".contains(c))
    {
        return Err(AppError::invalid(format!(
            "{field}: the path may not hold spaces, quotes, ; {{ }} $ # or backslashes."
        )));
    }
    Ok(text.to_owned())
}

fn port(field: &str, text: &str, default: u16) -> Result<u16, AppError> {
    match text.trim() {
        "" => Ok(default),
        text => text
            .parse::<u16>()
            .ok()
            .filter(|port| *port > 0)
            .ok_or_else(|| {
                AppError::invalid(format!(
                    "{field}: “{text}” is not a port; give a number from 1 to 65535 ({default} by default)."
                ))
            }),
    }
}

fn command(field: &str, text: &str, default: Vec<String>) -> Result<Vec<String>, AppError> {
    if text.trim().is_empty() {
        return Ok(default);
    }
    let argv = shlex::split(text.trim()).ok_or_else(|| {
        AppError::invalid(format!(
            "{field}: a quote is not closed; write the command as words, quoting those with spaces."
        ))
    })?;
    if argv.is_empty() {
        return Ok(default);
    }
    Ok(argv)
}

/// The settings form, checked. `host_known` says whether a Docker host id exists.
pub fn parse_settings(
    form: &SettingsForm,
    host_known: impl Fn(&str) -> bool,
) -> Result<ProxySettings, AppError> {
    let kind = ProxyKind::parse(form.kind.trim())
        .ok_or_else(|| AppError::invalid("Proxy: choose nginx or Caddy."))?;
    let config_path = file_path("Generated file", &form.config_path)?;
    if config_path.is_empty() {
        return Err(AppError::invalid(match kind {
            ProxyKind::Nginx => "Generated file: give the absolute path of the file caretaker writes, like /etc/nginx/conf.d/caretaker.conf (the main nginx.conf must include it inside http { }).",
            ProxyKind::Caddy => "Generated file: give the absolute path of the Caddyfile caretaker writes, like /etc/caddy/Caddyfile.",
        }));
    }
    if config_path.ends_with('/') {
        return Err(AppError::invalid(
            "Generated file: give a file, not a folder.",
        ));
    }
    let validate = command(
        "Validate command",
        &form.validate,
        kind.default_validate(&config_path),
    )?;
    let container = form.container.trim().to_owned();
    let container_ok = container
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "_.-".contains(c));
    if !container_ok {
        return Err(AppError::invalid(
            "Proxy container: give the container's name (letters, digits, _ . -), or leave it empty when the proxy runs on this machine.",
        ));
    }
    let docker_host = match form.docker_host.trim() {
        "" => crate::containers::LOCAL_HOST_ID.to_owned(),
        host if host_known(host) => host.to_owned(),
        _ => {
            return Err(AppError::invalid(
                "Docker host: that host is not listed any more; choose another.",
            ))
        }
    };
    let reload = match form.reload_mode.trim() {
        "" | "command" => Reload::Command {
            argv: command(
                "Reload command",
                &form.reload_command,
                kind.default_reload(&config_path),
            )?,
        },
        "signal" if container.is_empty() => {
            return Err(AppError::invalid(
                "Reload: a signal is sent to the proxy container; name the container, or reload with a command.",
            ))
        }
        "signal" => Reload::Signal,
        _ => {
            return Err(AppError::invalid(
                "Reload: choose a command or a signal to the proxy container.",
            ))
        }
    };
    let listen_address = form.listen_address.trim();
    let listen_address = match listen_address {
        "" => String::new(),
        text => {
            let bare = text.trim_start_matches('[').trim_end_matches(']');
            match bare.parse::<std::net::IpAddr>() {
                Ok(std::net::IpAddr::V6(v6)) => format!("[{v6}]"),
                Ok(ip) => ip.to_string(),
                Err(_) => {
                    return Err(AppError::invalid(format!(
                        "Listen address: “{text}” is not an IP address; give one like 127.0.0.1 or [::1], or leave it empty for every address."
                    )))
                }
            }
        }
    };
    let http_port = port("HTTP port", &form.http_port, 80)?;
    let https_port = port("HTTPS port", &form.https_port, 443)?;
    if http_port == https_port {
        return Err(AppError::invalid(
            "HTTPS port: it must differ from the HTTP port.",
        ));
    }
    Ok(ProxySettings {
        kind,
        config_path,
        validate,
        reload,
        container,
        docker_host,
        http_port,
        https_port,
        listen_address,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_names_split_into_host_and_path() {
        assert_eq!(
            public_name("App.Example.org").unwrap(),
            ("app.example.org".into(), String::new())
        );
        assert_eq!(
            public_name("example.org/app/").unwrap(),
            ("example.org".into(), "/app".into())
        );
        assert_eq!(
            public_name("example.org/tools/grafana").unwrap(),
            ("example.org".into(), "/tools/grafana".into())
        );
        assert_eq!(
            public_name("example.org/").unwrap(),
            ("example.org".into(), String::new())
        );
    }

    #[test]
    fn bad_public_names_are_named() {
        for (text, expected) in [
            ("", "write a host name"),
            ("https://example.org", "Leave out the scheme"),
            ("exa mple.org", "is not a host name"),
            ("-bad.org", "is not a host name"),
            ("example.org/a/../b", "is not accepted"),
            ("example.org/a;b", "is not accepted"),
            ("example.org/a{b", "is not accepted"),
        ] {
            let error = public_name(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn upstreams_are_host_and_port() {
        assert_eq!(upstream("127.0.0.1:8080").unwrap(), "127.0.0.1:8080");
        assert_eq!(
            upstream("http://Web.internal:5000/").unwrap(),
            "web.internal:5000"
        );
        assert_eq!(upstream("[::1]:3000").unwrap(), "[::1]:3000");
        for (text, expected) in [
            ("", "Or choose a service"),
            ("web", "has no port"),
            ("web:0", "is not a port"),
            ("web:70000", "is not a port"),
            ("we b:80", "is not a host name"),
            ("web;evil:80", "is not a host name"),
            ("[zz]:80", "is not a host name"),
        ] {
            let error = upstream(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{text}: {error}");
        }
    }

    #[test]
    fn file_paths_cannot_inject_directives() {
        assert_eq!(
            file_path("F", " /etc/ssl/a.pem ").unwrap(),
            "/etc/ssl/a.pem"
        );
        assert!(file_path("F", "etc/a.pem").is_err());
        assert!(file_path("F", "/a.pem; include /etc/shadow").is_err());
        assert!(file_path("F", "/a{b}").is_err());
    }

    #[test]
    fn settings_have_defaults_and_clear_refusals() {
        let form = SettingsForm {
            kind: "nginx".into(),
            config_path: "/etc/nginx/conf.d/caretaker.conf".into(),
            ..SettingsForm::default()
        };
        let settings = parse_settings(&form, |_| true).unwrap();
        assert_eq!(settings.http_port, 80);
        assert_eq!(settings.https_port, 443);
        assert_eq!(settings.validate, vec!["nginx", "-t"]);
        assert_eq!(
            settings.reload,
            Reload::Command {
                argv: vec!["nginx".into(), "-s".into(), "reload".into()]
            }
        );
        let with = |change: &dyn Fn(&mut SettingsForm)| {
            let mut form = form.clone();
            change(&mut form);
            parse_settings(&form, |_| true)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        };
        assert!(with(&|f| f.kind = "apache".into()).contains("choose nginx or Caddy"));
        assert!(with(&|f| f.https_port = "80".into()).contains("must differ"));
        assert!(with(&|f| f.http_port = "x".into()).contains("not a port"));
        assert!(with(&|f| f.reload_mode = "signal".into()).contains("name the container"));
        assert!(with(&|f| f.listen_address = "localhost".into()).contains("not an IP address"));
        assert!(with(&|f| f.validate = "nginx -t '-c".into()).contains("quote is not closed"));
        let settings = parse_settings(
            &SettingsForm {
                validate: "nginx -t -c '/etc/my nginx.conf'".into(),
                listen_address: "::1".into(),
                ..form.clone()
            },
            |_| true,
        )
        .unwrap();
        assert_eq!(settings.validate[3], "/etc/my nginx.conf");
        assert_eq!(settings.listen_address, "[::1]");
    }
}
