//! Checks the Connect form. Every value ends up in an ssh config file or a PAC file, so
//! besides being what ssh accepts, none may carry a space, a quote or a line break that
//! would add lines of its own.

use super::{ConnectForm, ConnectSettings, DEFAULT_HOST_ALIAS};

/// The checked settings, or every problem with the form, one sentence each.
pub fn check(form: &ConnectForm) -> Result<ConnectSettings, Vec<String>> {
    let mut problems = Vec::new();
    let host_alias = match form.host_alias.trim() {
        "" => DEFAULT_HOST_ALIAS.to_owned(),
        alias if is_alias(alias) => alias.to_owned(),
        alias => {
            problems.push(format!(
                "The entry name '{alias}' is not accepted: use 1 to 63 letters, digits, dots, dashes or underscores, like {DEFAULT_HOST_ALIAS}."
            ));
            String::new()
        }
    };
    let bastion = form.bastion.trim();
    if bastion.is_empty() {
        problems.push(
            "The bastion is missing: give the host ssh connects to, like bastion.example.org or 203.0.113.7:2222.".to_owned(),
        );
    } else if !is_host_port(bastion) {
        problems.push(format!(
            "The bastion '{bastion}' is not accepted: use a host name or IP address, optionally with :PORT (1 to 65535), like bastion.example.org:2222."
        ));
    }
    let ssh_user = form.ssh_user.trim();
    if !is_user(ssh_user) {
        problems.push(if ssh_user.is_empty() {
            "The ssh user is missing: give the account name on the bastion, like alice.".to_owned()
        } else {
            format!("The ssh user '{ssh_user}' is not accepted: use 1 to 32 letters, digits, dots, dashes or underscores, starting with a letter or underscore.")
        });
    }
    let jump_host = form.jump_host.trim();
    let second_jump_host = form.second_jump_host.trim();
    for (label, jump) in [
        ("jump host", jump_host),
        ("second jump host", second_jump_host),
    ] {
        if !jump.is_empty() && !is_jump(jump) {
            problems.push(format!(
                "The {label} '{jump}' is not accepted: use HOST, HOST:PORT or USER@HOST:PORT, like gw.example.org or alice@gw.example.org:22; leave it empty when not needed."
            ));
        }
    }
    if jump_host.is_empty() && !second_jump_host.is_empty() {
        problems.push(
            "A second jump host needs a first one: fill in the jump host, or move the value there."
                .to_owned(),
        );
    }
    let socks_port = match form.socks_port.trim().parse::<u16>() {
        Ok(port) if port >= 1024 => port,
        _ => {
            problems.push(format!(
                "The SOCKS port '{}' is not accepted: use a port from 1024 to 65535 (lower ports need root on the laptop), like 1080.",
                form.socks_port.trim()
            ));
            0
        }
    };
    let private_url = form.private_url.trim().trim_end_matches('/');
    if !is_private_url(private_url) {
        problems.push(format!(
            "caretaker's private address '{private_url}' is not accepted: use http:// or https://, the host or IP address inside the private network and its port, like http://10.0.1.5:3000."
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(ConnectSettings {
        host_alias,
        bastion: bastion.to_owned(),
        ssh_user: ssh_user.to_owned(),
        jump_host: jump_host.to_owned(),
        second_jump_host: second_jump_host.to_owned(),
        socks_port,
        private_url: private_url.to_owned(),
    })
}

fn is_alias(alias: &str) -> bool {
    (1..=63).contains(&alias.len())
        && alias
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn is_user(user: &str) -> bool {
    let mut chars = user.chars();
    (1..=32).contains(&user.len())
        && chars
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

/// A host name, an IPv4 address, or a bracketed IPv6 address.
fn is_host(host: &str) -> bool {
    if let Some(inner) = host.strip_prefix('[').and_then(|h| h.strip_suffix(']')) {
        return inner.parse::<std::net::Ipv6Addr>().is_ok();
    }
    (1..=253).contains(&host.len())
        && !host.starts_with(['-', '.'])
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
}

fn is_port(port: &str) -> bool {
    port.parse::<u16>().is_ok_and(|port| port > 0)
}

fn is_host_port(value: &str) -> bool {
    if value.starts_with('[') {
        return match value.find(']') {
            Some(end) => {
                is_host(&value[..=end])
                    && match &value[end + 1..] {
                        "" => true,
                        rest => rest.strip_prefix(':').is_some_and(is_port),
                    }
            }
            None => false,
        };
    }
    match value.split_once(':') {
        Some((host, port)) => is_host(host) && is_port(port),
        None => is_host(value),
    }
}

fn is_jump(value: &str) -> bool {
    match value.split_once('@') {
        Some((user, rest)) => is_user(user) && is_host_port(rest),
        None => is_host_port(value),
    }
}

fn is_private_url(url: &str) -> bool {
    let Some(rest) = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
    else {
        return false;
    };
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    is_host_port(authority)
        && path
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '/' | '-' | '_' | '.' | '~'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ConnectForm {
        ConnectForm {
            host_alias: String::new(),
            bastion: "bastion.example.org".into(),
            ssh_user: "alice".into(),
            jump_host: String::new(),
            second_jump_host: String::new(),
            socks_port: "1080".into(),
            private_url: "http://10.0.1.5:3000/".into(),
        }
    }

    #[test]
    fn a_good_form_is_accepted_with_defaults() {
        let settings = check(&form()).unwrap();
        assert_eq!(settings.host_alias, DEFAULT_HOST_ALIAS);
        assert_eq!(settings.private_url, "http://10.0.1.5:3000");
        let mut with_jumps = form();
        with_jumps.jump_host = "bob@gw.example.org:2200".into();
        with_jumps.second_jump_host = "[fd00::1]:22".into();
        with_jumps.bastion = "[fd00::2]".into();
        assert!(check(&with_jumps).is_ok());
    }

    #[test]
    fn each_bad_value_is_named() {
        type Spoil = fn(&mut ConnectForm);
        let cases: [(&str, Spoil); 8] = [
            ("bastion is missing", |f| f.bastion.clear()),
            ("bastion 'bastion.example.org\nHost", |f| {
                f.bastion = "bastion.example.org\nHost *".into()
            }),
            ("ssh user 'al ice'", |f| f.ssh_user = "al ice".into()),
            ("jump host 'gw example'", |f| {
                f.jump_host = "gw example".into()
            }),
            ("needs a first one", |f| f.second_jump_host = "gw".into()),
            ("SOCKS port '80'", |f| f.socks_port = "80".into()),
            ("SOCKS port 'many'", |f| f.socks_port = "many".into()),
            ("private address 'ftp://x'", |f| {
                f.private_url = "ftp://x".into()
            }),
        ];
        for (expected, spoil) in cases {
            let mut bad = form();
            spoil(&mut bad);
            let problems = check(&bad).unwrap_err().join(" ");
            assert!(problems.contains(expected), "{expected}: {problems}");
        }
    }
}
