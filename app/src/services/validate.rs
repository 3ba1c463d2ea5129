//! Checking service definitions, field by field, with sentences that say what is wrong
//! and what is accepted. Forms, compose imports and adopted containers all end here.
//!
//! Nothing here reaches a shell: caretaker hands Docker argument vectors. The rules keep
//! names to what Docker and file systems take without surprises, mounts to absolute paths
//! without `..`, and image references to Docker's grammar.

use std::net::IpAddr;

use super::{
    GpuRequest, Healthcheck, Mount, PortMapping, ServiceForm, ServiceSpec, RESTART_POLICIES,
};
use crate::core::error::AppError;

/// A problem in one field (and line), as the page shows it.
fn problem(field: &str, line: Option<usize>, message: impl std::fmt::Display) -> AppError {
    match line {
        Some(line) => AppError::invalid(format!("{field}, line {line}: {message}")),
        None => AppError::invalid(format!("{field}: {message}")),
    }
}

/// Service, network and volume names: lowercase letters, digits, `_` and `-`.
pub fn check_name(field: &str, name: &str) -> Result<(), AppError> {
    let ok = (1..=63).contains(&name.len())
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '-'));
    if ok {
        Ok(())
    } else {
        Err(problem(
            field,
            None,
            format!("'{name}' is not accepted; use 1 to 63 lowercase letters, digits, '_' and '-', starting with a letter or digit, like open-webui."),
        ))
    }
}

/// `ghcr.io/open-webui/open-webui:main` → (`ghcr.io/open-webui/open-webui`, `main`); no
/// tag means `latest`. Digests are refused: deploys record the digest themselves.
pub fn parse_image(field: &str, reference: &str) -> Result<(String, String), AppError> {
    let refuse = |why: &str| {
        problem(
            field,
            None,
            format!("'{reference}' is not an image reference ({why}); use NAME[:TAG], like ollama/ollama:0.3.12 or ghcr.io/open-webui/open-webui:main."),
        )
    };
    if reference.contains('@') {
        return Err(refuse("a digest is not accepted here: pick a tag, caretaker records the digest when it deploys"));
    }
    let last_slash = reference.rfind('/').map_or(0, |i| i + 1);
    let (image, tag) = match reference[last_slash..].rfind(':') {
        Some(colon) => (
            &reference[..last_slash + colon],
            &reference[last_slash + colon + 1..],
        ),
        None => (reference, "latest"),
    };
    if image.is_empty() || image.len() > 255 {
        return Err(refuse("the name is empty or too long"));
    }
    let tag_ok = (1..=128).contains(&tag.len())
        && tag
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        && tag
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if !tag_ok {
        return Err(refuse("the tag may hold letters, digits, '_', '.' and '-'"));
    }
    let mut parts: Vec<&str> = image.split('/').collect();
    // A first part with a dot, a colon or "localhost" is a registry host (and port).
    if parts.len() > 1 && (parts[0].contains(['.', ':']) || parts[0] == "localhost") {
        let registry = parts.remove(0);
        let (host, port) = registry.split_once(':').unwrap_or((registry, "1"));
        let host_ok = !host.is_empty()
            && host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'));
        if !host_ok || port.parse::<u16>().is_err() {
            return Err(refuse("the registry must be HOST or HOST:PORT"));
        }
    }
    for part in parts {
        let ok = !part.is_empty()
            && part
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part
                .chars()
                .last()
                .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
            && part.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-')
            });
        if !ok {
            return Err(refuse(
                "each part of the name is lowercase letters and digits, joined by '.', '_' or '-'",
            ));
        }
    }
    Ok((image.to_owned(), tag.to_owned()))
}

fn check_env_name(field: &str, line: Option<usize>, name: &str) -> Result<(), AppError> {
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok {
        Ok(())
    } else {
        Err(problem(
            field,
            line,
            format!(
                "'{name}' is not a variable name; use letters, digits and '_', like OLLAMA_HOST."
            ),
        ))
    }
}

fn check_env_value(field: &str, line: Option<usize>, value: &str) -> Result<(), AppError> {
    if value.contains('\0') {
        Err(problem(
            field,
            line,
            "a value may not contain a NUL character.",
        ))
    } else {
        Ok(())
    }
}

/// `8080:80`, `127.0.0.1:8080:80`, `[::1]:8080:80`, each optionally `/udp`.
pub fn parse_port(field: &str, line: Option<usize>, text: &str) -> Result<PortMapping, AppError> {
    let refuse = || {
        problem(
            field,
            line,
            format!("'{text}' is not a port mapping; use HOST:CONTAINER like 8080:80, or IP:HOST:CONTAINER, with /udp for UDP. Ports are 1 to 65535."),
        )
    };
    let (mapping, protocol) = match text.rsplit_once('/') {
        Some((mapping, protocol)) if matches!(protocol, "tcp" | "udp") => (mapping, protocol),
        Some(_) => return Err(refuse()),
        None => (text, "tcp"),
    };
    let (address, ports) = if let Some(rest) = mapping.strip_prefix('[') {
        let (ip, ports) = rest.split_once("]:").ok_or_else(refuse)?;
        (Some(ip), ports)
    } else {
        match mapping.matches(':').count() {
            1 => (None, mapping),
            2 => {
                let (ip, ports) = mapping.split_once(':').ok_or_else(refuse)?;
                (Some(ip), ports)
            }
            _ => return Err(refuse()),
        }
    };
    let host_ip = match address {
        Some(ip) => Some(ip.parse::<IpAddr>().map_err(|_| refuse())?.to_string()),
        None => None,
    };
    let (host, container) = ports.split_once(':').ok_or_else(refuse)?;
    let port = |text: &str| text.parse::<u16>().ok().filter(|port| *port > 0);
    Ok(PortMapping {
        host_ip,
        host_port: port(host).ok_or_else(refuse)?,
        container_port: port(container).ok_or_else(refuse)?,
        protocol: protocol.to_owned(),
    })
}

/// `/srv/data:/data`, `/srv/models:/models:ro`, or `VOLUME:/path` for a Docker volume.
pub fn parse_mount(field: &str, line: Option<usize>, text: &str) -> Result<Mount, AppError> {
    let parts: Vec<&str> = text.split(':').collect();
    let (source, target, read_only) = match parts.as_slice() {
        [source, target] => (*source, *target, false),
        [source, target, "ro"] => (*source, *target, true),
        [source, target, "rw"] => (*source, *target, false),
        _ => {
            return Err(problem(
                field,
                line,
                format!("'{text}' is not a mount; use SOURCE:TARGET[:ro], like /srv/models:/models:ro or ollama:/root/.ollama."),
            ))
        }
    };
    check_path(field, line, target, "the path inside the container")?;
    if source.starts_with('/') {
        check_path(field, line, source, "the host path")?;
    } else if source.starts_with('.') || source.starts_with('~') {
        return Err(problem(
            field,
            line,
            format!("'{source}' is a relative path; give an absolute host path (like /srv/app/data) or a volume name."),
        ));
    } else {
        check_volume_name(field, line, source)?;
    }
    Ok(Mount {
        source: source.to_owned(),
        target: target.to_owned(),
        read_only,
    })
}

fn check_path(field: &str, line: Option<usize>, path: &str, what: &str) -> Result<(), AppError> {
    let ok = path.starts_with('/')
        && !path.split('/').any(|part| part == "..")
        && !path.contains(['\0', '\n']);
    if ok {
        Ok(())
    } else {
        Err(problem(
            field,
            line,
            format!("'{path}' is not accepted as {what}; give an absolute path without '..'."),
        ))
    }
}

fn check_volume_name(field: &str, line: Option<usize>, name: &str) -> Result<(), AppError> {
    let ok = name.len() >= 2
        && name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if ok {
        Ok(())
    } else {
        Err(problem(
            field,
            line,
            format!("'{name}' is not a volume name or absolute path; volume names are letters, digits, '_', '.' and '-'."),
        ))
    }
}

/// `30s`, `1m`, `1m30s`, `90` (seconds).
pub fn parse_duration(field: &str, text: &str) -> Result<u32, AppError> {
    let refuse = || {
        problem(
            field,
            None,
            format!("'{text}' is not a duration; use seconds or a number with s, m or h, like 30s or 1m30s."),
        )
    };
    if let Ok(seconds) = text.parse::<u32>() {
        return Ok(seconds);
    }
    let mut total: u32 = 0;
    let mut number = String::new();
    for c in text.chars() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let unit = match c {
            's' => 1,
            'm' => 60,
            'h' => 3600,
            _ => return Err(refuse()),
        };
        let value: u32 = number.parse().map_err(|_| refuse())?;
        total = total.saturating_add(value.saturating_mul(unit));
        number.clear();
    }
    if !number.is_empty() || text.is_empty() {
        return Err(refuse());
    }
    Ok(total)
}

/// Checks every part of a definition (forms, imports and adoptions all come here).
pub fn check_spec(spec: &ServiceSpec) -> Result<(), AppError> {
    check_name("Name", &spec.name)?;
    parse_image("Image", &format!("{}:{}", spec.image, spec.tag))?;
    for (index, (name, value)) in spec.env.iter().enumerate() {
        check_env_name("Environment", Some(index + 1), name)?;
        check_env_value("Environment", Some(index + 1), value)?;
    }
    for (index, name) in spec.secret_names.iter().enumerate() {
        check_env_name("Secrets", Some(index + 1), name)?;
    }
    for (index, mount) in spec.volumes.iter().enumerate() {
        let text = format!("{}:{}", mount.source, mount.target);
        parse_mount("Volumes", Some(index + 1), &text)?;
    }
    for (index, network) in spec.networks.iter().enumerate() {
        check_volume_name("Networks", Some(index + 1), network)?;
    }
    for (index, (key, _)) in spec.labels.iter().enumerate() {
        if key.is_empty() || key.contains(char::is_whitespace) || key.contains('=') {
            return Err(problem(
                "Labels",
                Some(index + 1),
                format!("'{key}' is not a label key; use KEY=value without spaces in the key."),
            ));
        }
    }
    if !RESTART_POLICIES.contains(&spec.restart.as_str()) {
        return Err(problem(
            "Restart",
            None,
            format!(
                "'{}' is not a restart policy; accepted: {}.",
                spec.restart,
                RESTART_POLICIES.join(", ")
            ),
        ));
    }
    for (index, dependency) in spec.depends_on.iter().enumerate() {
        check_name(&format!("Depends on, line {}", index + 1), dependency)?;
        if *dependency == spec.name {
            return Err(problem(
                "Depends on",
                Some(index + 1),
                "a service cannot depend on itself.",
            ));
        }
    }
    if let Some(check) = &spec.healthcheck {
        if !matches!(
            check.test.first().map(String::as_str),
            Some("CMD" | "CMD-SHELL")
        ) || check.test.len() < 2
        {
            return Err(problem("Health check", None, "start with CMD (then the program and its arguments) or CMD-SHELL (then a command line), like CMD curl -f http://localhost:8080/health."));
        }
    }
    Ok(())
}

/// Non-empty, trimmed lines with their 1-based numbers.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, line)| (index + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
}

fn key_value<'a>(field: &str, line: usize, text: &'a str) -> Result<(&'a str, &'a str), AppError> {
    text.split_once('=').ok_or_else(|| {
        problem(
            field,
            Some(line),
            format!("'{text}' has no '='; use NAME=value."),
        )
    })
}

/// A secret from the form: its name and, when given, its new value.
pub type SecretInput = (String, Option<String>);

/// Reads the form into a definition and the secrets (a name alone keeps the stored value).
pub fn parse_form(form: &ServiceForm) -> Result<(ServiceSpec, Vec<SecretInput>), AppError> {
    let name = form.name.trim().to_owned();
    check_name("Name", &name)?;
    let (image, tag) = parse_image("Image", form.image.trim())?;
    let mut env = Vec::new();
    for (line, text) in lines(&form.env) {
        let (key, value) = key_value("Environment", line, text)?;
        check_env_name("Environment", Some(line), key)?;
        env.push((key.to_owned(), value.to_owned()));
    }
    let mut secrets = Vec::new();
    for (line, text) in lines(&form.secrets) {
        let (key, value) = match text.split_once('=') {
            Some((key, value)) => (key, Some(value.to_owned())),
            None => (text, None),
        };
        check_env_name("Secrets", Some(line), key)?;
        if env.iter().any(|(name, _)| name == key) {
            return Err(problem(
                "Secrets",
                Some(line),
                format!("{key} is also in Environment; keep it in one place."),
            ));
        }
        secrets.push((key.to_owned(), value));
    }
    let ports = lines(&form.ports)
        .map(|(line, text)| parse_port("Ports", Some(line), text))
        .collect::<Result<Vec<_>, _>>()?;
    let volumes = lines(&form.volumes)
        .map(|(line, text)| parse_mount("Volumes", Some(line), text))
        .collect::<Result<Vec<_>, _>>()?;
    let mut labels = Vec::new();
    for (line, text) in lines(&form.labels) {
        let (key, value) = key_value("Labels", line, text)?;
        labels.push((key.to_owned(), value.to_owned()));
    }
    let healthcheck = match form.health_test.trim() {
        "" => None,
        test => {
            let mut words: Vec<String> = match test.split_once(' ') {
                Some(("CMD-SHELL", rest)) => vec!["CMD-SHELL".to_owned(), rest.trim().to_owned()],
                _ => shlex::split(test)
                    .ok_or_else(|| problem("Health check", None, "a quote is not closed."))?,
            };
            if words.first().map(String::as_str) == Some("CMD")
                || words.first().map(String::as_str) == Some("CMD-SHELL")
            {
                // As written.
            } else {
                words.insert(0, "CMD".to_owned());
            }
            let interval = match form.health_interval.trim() {
                "" => 30,
                text => parse_duration("Health check interval", text)?,
            };
            Some(Healthcheck {
                test: words,
                interval_secs: interval.max(1),
                timeout_secs: 10,
                retries: 3,
                start_period_secs: 0,
            })
        }
    };
    let health_path = match form.health_path.trim() {
        "" => None,
        path if path.starts_with('/') && !path.contains(char::is_whitespace) => {
            Some(path.to_owned())
        }
        path => {
            return Err(problem(
                "HTTP check",
                None,
                format!("'{path}' is not accepted; give a path starting with '/', like /health."),
            ))
        }
    };
    let gpus = match form.gpus.trim() {
        "" | "0" | "none" => None,
        "all" => Some(GpuRequest { count: None }),
        count => Some(GpuRequest {
            count: Some(count.parse().ok().filter(|n| *n > 0).ok_or_else(|| {
                problem("GPUs", None, format!("'{count}' is not accepted; leave empty for none, or write all or a number like 1."))
            })?),
        }),
    };
    let command = match form.command.trim() {
        "" => Vec::new(),
        // One argument per line: no quoting rules to get wrong, nothing for a shell.
        text => text
            .lines()
            .map(|line| line.trim_end_matches('\r').to_owned())
            .filter(|line| !line.is_empty())
            .collect(),
    };
    let restart = match form.restart.trim() {
        "" => "unless-stopped".to_owned(),
        restart => restart.to_owned(),
    };
    let spec = ServiceSpec {
        name,
        image,
        tag,
        command,
        env,
        secret_names: secrets.iter().map(|(name, _)| name.clone()).collect(),
        ports,
        volumes,
        networks: lines(&form.networks)
            .map(|(_, text)| text.to_owned())
            .collect(),
        labels,
        restart,
        healthcheck,
        health_path,
        gpus,
        depends_on: lines(&form.depends_on)
            .map(|(_, text)| text.to_owned())
            .collect(),
    };
    check_spec(&spec)?;
    Ok((spec, secrets))
}

/// The form for editing a definition (secret values left out).
pub fn form_of(spec: &ServiceSpec, host: &str) -> ServiceForm {
    let join = |items: Vec<String>| items.join("\n");
    ServiceForm {
        name: spec.name.clone(),
        host: host.to_owned(),
        image: format!("{}:{}", spec.image, spec.tag),
        command: spec.command.join("\n"),
        env: join(spec.env.iter().map(|(k, v)| format!("{k}={v}")).collect()),
        secrets: spec.secret_names.join("\n"),
        ports: join(spec.ports.iter().map(port_text).collect()),
        volumes: join(spec.volumes.iter().map(mount_text).collect()),
        networks: spec.networks.join("\n"),
        labels: join(
            spec.labels
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect(),
        ),
        restart: spec.restart.clone(),
        health_test: spec
            .healthcheck
            .as_ref()
            .map(|check| match check.test.first().map(String::as_str) {
                Some("CMD-SHELL") => format!("CMD-SHELL {}", check.test[1..].join(" ")),
                _ => shlex::try_join(check.test.iter().map(String::as_str)).unwrap_or_default(),
            })
            .unwrap_or_default(),
        health_interval: spec
            .healthcheck
            .as_ref()
            .map(|check| format!("{}s", check.interval_secs))
            .unwrap_or_default(),
        health_path: spec.health_path.clone().unwrap_or_default(),
        gpus: match &spec.gpus {
            None => String::new(),
            Some(GpuRequest { count: None }) => "all".to_owned(),
            Some(GpuRequest { count: Some(count) }) => count.to_string(),
        },
        depends_on: spec.depends_on.join("\n"),
    }
}

pub fn port_text(port: &PortMapping) -> String {
    let address = match &port.host_ip {
        Some(ip) if ip.contains(':') => format!("[{ip}]:"),
        Some(ip) => format!("{ip}:"),
        None => String::new(),
    };
    let protocol = if port.protocol == "udp" { "/udp" } else { "" };
    format!(
        "{address}{}:{}{protocol}",
        port.host_port, port.container_port
    )
}

pub fn mount_text(mount: &Mount) -> String {
    let mode = if mount.read_only { ":ro" } else { "" };
    format!("{}:{}{mode}", mount.source, mount.target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(error: AppError) -> String {
        error.to_string()
    }

    #[test]
    fn image_references_follow_dockers_grammar() {
        assert_eq!(
            parse_image("Image", "ollama/ollama").unwrap(),
            ("ollama/ollama".into(), "latest".into())
        );
        assert_eq!(
            parse_image("Image", "ghcr.io/open-webui/open-webui:main").unwrap(),
            ("ghcr.io/open-webui/open-webui".into(), "main".into())
        );
        assert_eq!(
            parse_image("Image", "127.0.0.1:5000/caretaker-test/app:2").unwrap(),
            ("127.0.0.1:5000/caretaker-test/app".into(), "2".into())
        );
        for bad in [
            "Ollama/ollama",
            "ollama;rm -rf /",
            "ollama/ollama:la test",
            "a//b",
            "ollama@sha256:abc",
            "",
            "-x",
            "x:",
        ] {
            assert!(
                message(parse_image("Image", bad).unwrap_err())
                    .contains("is not an image reference"),
                "{bad}"
            );
        }
    }

    #[test]
    fn ports_and_mounts_say_what_is_accepted() {
        assert_eq!(
            parse_port("Ports", None, "3000:8080").unwrap().host_port,
            3000
        );
        let udp = parse_port("Ports", None, "127.0.0.1:5353:53/udp").unwrap();
        assert_eq!(
            (udp.host_ip.as_deref(), udp.protocol.as_str()),
            (Some("127.0.0.1"), "udp")
        );
        assert_eq!(
            parse_port("Ports", None, "[::1]:80:80")
                .unwrap()
                .host_ip
                .as_deref(),
            Some("::1")
        );
        for bad in [
            "80",
            "0:80",
            "70000:80",
            "a:80",
            "80:80/sctp",
            "1.2.3:80:80",
        ] {
            assert!(
                message(parse_port("Ports", Some(2), bad).unwrap_err())
                    .starts_with("Ports, line 2: "),
                "{bad}"
            );
        }
        assert!(parse_mount("Volumes", None, "ollama:/root/.ollama").is_ok());
        assert!(
            parse_mount("Volumes", None, "/srv/models:/models:ro")
                .unwrap()
                .read_only
        );
        for (bad, says) in [
            ("/srv/../etc:/data", "without '..'"),
            ("./data:/data", "relative path"),
            ("vol:data", "absolute path"),
            ("/srv:/data:rx", "SOURCE:TARGET"),
            ("vol$(id):/data", "not a volume name"),
        ] {
            assert!(
                message(parse_mount("Volumes", Some(1), bad).unwrap_err()).contains(says),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_form_becomes_a_definition_and_back() {
        let form = ServiceForm {
            name: "open-webui".into(),
            image: "ghcr.io/open-webui/open-webui:main".into(),
            env: "OLLAMA_BASE_URL=http://ollama:11434\n\n# a comment\n".into(),
            secrets: "WEBUI_SECRET_KEY=s3cr3t\nKEEP_ME".into(),
            ports: "3000:8080".into(),
            volumes: "open-webui:/app/backend/data".into(),
            health_test: "CMD curl -f http://localhost:8080/health".into(),
            health_interval: "1m".into(),
            gpus: "all".into(),
            depends_on: "ollama".into(),
            ..Default::default()
        };
        let (spec, secrets) = parse_form(&form).unwrap();
        assert_eq!(spec.restart, "unless-stopped");
        assert_eq!(
            spec.env,
            vec![("OLLAMA_BASE_URL".into(), "http://ollama:11434".into())]
        );
        assert_eq!(
            secrets,
            vec![
                ("WEBUI_SECRET_KEY".into(), Some("s3cr3t".into())),
                ("KEEP_ME".into(), None)
            ]
        );
        assert_eq!(spec.healthcheck.as_ref().unwrap().interval_secs, 60);
        assert_eq!(spec.gpus, Some(GpuRequest { count: None }));
        let again = form_of(&spec, "local");
        assert_eq!(
            again.secrets, "WEBUI_SECRET_KEY\nKEEP_ME",
            "secret values never go back to the page"
        );
        assert_eq!(parse_form(&again).unwrap().0, spec);
    }

    #[test]
    fn bad_names_and_values_are_refused_with_the_field() {
        let base = ServiceForm {
            name: "web".into(),
            image: "nginx:1.27".into(),
            ..Default::default()
        };
        let cases = [
            (
                ServiceForm {
                    name: "web; rm -rf /".into(),
                    ..base.clone()
                },
                "Name: 'web; rm -rf /' is not accepted",
            ),
            (
                ServiceForm {
                    env: "A=1\nBAD NAME=2".into(),
                    ..base.clone()
                },
                "Environment, line 2: 'BAD NAME' is not a variable name",
            ),
            (
                ServiceForm {
                    env: "NOEQUALS".into(),
                    ..base.clone()
                },
                "Environment, line 1: 'NOEQUALS' has no '='",
            ),
            (
                ServiceForm {
                    restart: "sometimes".into(),
                    ..base.clone()
                },
                "Restart: 'sometimes' is not a restart policy",
            ),
            (
                ServiceForm {
                    gpus: "many".into(),
                    ..base.clone()
                },
                "GPUs: 'many'",
            ),
            (
                ServiceForm {
                    health_interval: "soon".into(),
                    health_test: "CMD true".into(),
                    ..base.clone()
                },
                "not a duration",
            ),
            (
                ServiceForm {
                    depends_on: "web".into(),
                    ..base.clone()
                },
                "cannot depend on itself",
            ),
        ];
        for (form, expected) in cases {
            let error = message(parse_form(&form).unwrap_err());
            assert!(error.contains(expected), "{expected} / {error}");
        }
        // Shell metacharacters in values are data, passed to Docker as they are.
        let value = ServiceForm {
            env: "GREETING=$(whoami); `id` && echo hi".into(),
            ..base
        };
        assert_eq!(
            parse_form(&value).unwrap().0.env[0].1,
            "$(whoami); `id` && echo hi"
        );
    }
}
