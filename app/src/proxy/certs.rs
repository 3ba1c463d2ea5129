//! The certificate inventory: the certificate files the nginx configuration names (and the
//! routes' own files), and what each routed host serves in a live TLS handshake, with the
//! days left before they expire. The handshake and its judgement are the monitors' own
//! (`monitors::tls`), so the inventory and a TLS monitor never disagree.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{CertificateEntry, Inventory, ProxyKind, ProxySettings};
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::monitors::tls::{self, days_between, CertificateInfo};

const HANDSHAKE_LIMIT: Duration = Duration::from_secs(10);

#[tracing::instrument(skip_all)]
pub async fn inventory(state: &AppState) -> Result<Inventory, AppError> {
    let now = state.scheduler.now();
    let settings = super::service::settings(state).await?;
    let hosts = super::service::routes_by_host(state).await?;

    // File → the routes it serves.
    let mut files: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for routes in hosts.values() {
        for route in routes.iter().filter(|route| !route.cert_file.is_empty()) {
            files
                .entry(route.cert_file.clone())
                .or_default()
                .push(route.public_name());
        }
    }
    if let Some(settings) = settings.as_ref().filter(|s| s.kind == ProxyKind::Nginx) {
        // Files the configuration on disk names, written by hand or by caretaker.
        if let Ok(text) = std::fs::read_to_string(&settings.config_path) {
            for path in certificate_directives(&text) {
                files.entry(path).or_default();
            }
        }
    }
    let files = files
        .into_iter()
        .map(|(path, routes)| from_file(&path, routes, now))
        .collect();

    let live = match &settings {
        Some(settings) => {
            let mut names: Vec<&String> = hosts.keys().collect();
            names.sort();
            let checks = names.into_iter().map(|host| {
                let routes = hosts[host].iter().map(super::Route::public_name).collect();
                live(state, settings, host, routes, now)
            });
            futures::future::join_all(checks).await
        }
        None => Vec::new(),
    };
    Ok(Inventory {
        files,
        live,
        checked_at: now,
        can_edit: false,
    })
}

/// The paths of `ssl_certificate` directives (not `ssl_certificate_key`), comments left out.
pub fn certificate_directives(config: &str) -> Vec<String> {
    let mut paths = Vec::new();
    for line in config.lines() {
        let line = line.split('#').next().unwrap_or_default();
        for statement in line.split(';') {
            let mut words = statement.split_whitespace();
            if words.next() == Some("ssl_certificate") {
                if let Some(path) = words.next() {
                    let path = path.trim_matches(['"', '\'']);
                    // A variable ($ssl_server_name…) is chosen per handshake: nothing to read.
                    if !path.contains('$') && !paths.iter().any(|p| p == path) {
                        paths.push(path.to_owned());
                    }
                }
            }
        }
    }
    paths
}

fn from_file(path: &str, routes: Vec<String>, now: DateTime<Utc>) -> CertificateEntry {
    let chain = std::fs::read(path)
        .map_err(|error| format!("The file {path} cannot be read: {error}."))
        .and_then(|pem| {
            tls::read_pem_chain(&pem).map_err(|error| format!("The file {path} {error}."))
        });
    let source = format!("file {path}");
    match chain {
        Ok(chain) => entry(source, routes, &chain[0], now, None),
        Err(summary) => unreadable(source, routes, summary),
    }
}

async fn live(
    state: &AppState,
    settings: &ProxySettings,
    host: &str,
    routes: Vec<String>,
    now: DateTime<Utc>,
) -> CertificateEntry {
    let probe = super::service::probe_host(settings, host);
    let source = format!("{host} (live, {probe} port {})", settings.https_port);
    let address = match tokio::net::lookup_host((probe.as_str(), settings.https_port)).await {
        Ok(mut addresses) => addresses.next(),
        Err(_) => None,
    };
    let Some(address) = address else {
        return unreadable(
            source,
            routes,
            format!("{probe} does not resolve to an address, so no handshake was tried."),
        );
    };
    let roots = state
        .monitors
        .probes
        .roots
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    match tls::inspect(address, host, &roots, HANDSHAKE_LIMIT, now).await {
        Ok(report) => {
            let summary = report.summary();
            let ok = report.problems.is_empty();
            let mut entry = entry(source, routes, &report.chain[0], now, Some(summary));
            // The whole chain's first expiry counts: an intermediate may expire first.
            entry.not_after = Some(report.first_expiry);
            entry.days_left = Some(report.days_left);
            entry.ok = ok && report.days_left >= 0;
            entry
        }
        Err(summary) => unreadable(source, routes, summary),
    }
}

fn entry(
    source: String,
    routes: Vec<String>,
    leaf: &CertificateInfo,
    now: DateTime<Utc>,
    summary: Option<String>,
) -> CertificateEntry {
    let days_left = days_between(now, leaf.not_after);
    let summary = summary.unwrap_or_else(|| {
        let date = leaf.not_after.format("%Y-%m-%d");
        match days_left {
            ..0 => format!("It expired on {date}."),
            0 => format!("It expires within a day ({date})."),
            1 => format!("It expires in 1 day ({date})."),
            days => format!("It expires in {days} days ({date})."),
        }
    });
    CertificateEntry {
        source,
        routes,
        subject: leaf.subject.clone(),
        issuer: leaf.issuer.clone(),
        names: leaf.names.clone(),
        not_after: Some(leaf.not_after),
        days_left: Some(days_left),
        summary,
        ok: days_left >= 0,
    }
}

fn unreadable(source: String, routes: Vec<String>, summary: String) -> CertificateEntry {
    CertificateEntry {
        source,
        routes,
        subject: String::new(),
        issuer: String::new(),
        names: Vec::new(),
        not_after: None,
        days_left: None,
        summary,
        ok: false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn certificate_directives_are_found_without_keys_or_comments() {
        let config = "server {\n  ssl_certificate /a/one.pem;\n  ssl_certificate_key /a/one.key;\n  # ssl_certificate /old.pem;\n  ssl_certificate \"/a/two.pem\"; ssl_certificate $ssl_server_name.pem;\n  ssl_certificate /a/one.pem;\n}\n";
        assert_eq!(
            certificate_directives(config),
            vec!["/a/one.pem".to_owned(), "/a/two.pem".to_owned()]
        );
    }
}
