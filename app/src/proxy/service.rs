//! The logic of routes: settings, routes, the generated file, applying it, and watching
//! the routes' certificates with TLS monitors.

use std::collections::HashMap;

use super::generate::{self, Resolved};
use super::store::{self, NewRoute};
use super::{
    validate, ApplyRecord, Preview, ProxySettings, Route, RouteForm, RouteRow, RouteTarget,
    RoutesOverview, SettingsForm,
};
use crate::audit::service::{record, Actor};
use crate::audit::Outcome;
use crate::core::docker::DockerEndpoint;
use crate::core::error::AppError;
use crate::core::state::AppState;
use crate::services::store::StoredService;

const AREA: &str = "routes";

/// What a page needs before the proxy is set up.
const NO_SETTINGS: &str =
    "Set up the proxy first: choose nginx or Caddy and where caretaker writes its file.";

pub async fn settings(state: &AppState) -> Result<Option<ProxySettings>, AppError> {
    store::settings(&state.db).await
}

fn require_settings(settings: Option<ProxySettings>) -> Result<ProxySettings, AppError> {
    settings.ok_or_else(|| AppError::Conflict(NO_SETTINGS.to_owned()))
}

#[tracing::instrument(skip_all)]
pub async fn overview(state: &AppState) -> Result<RoutesOverview, AppError> {
    let settings = store::settings(&state.db).await?;
    let services = crate::services::store::list_stored(&state.db).await?;
    let watchers = crate::monitors::service::tls_monitors(state).await?;
    let https_port = settings.as_ref().map_or(443, |s| s.https_port);
    let routes = store::routes(&state.db)
        .await?
        .into_iter()
        .map(|route| {
            let monitor = watchers
                .iter()
                .find(|(_, _, name, port)| *name == route.host && *port == https_port)
                .map(|(id, name, _, _)| (*id, name.clone()));
            RouteRow {
                upstream: upstream_of(state, &route, &services),
                route,
                monitor,
            }
        })
        .collect();
    let settings_form = match &settings {
        Some(settings) => SettingsForm::of(settings),
        None => SettingsForm {
            kind: "nginx".to_owned(),
            http_port: "80".to_owned(),
            https_port: "443".to_owned(),
            reload_mode: "command".to_owned(),
            ..SettingsForm::default()
        },
    };
    Ok(RoutesOverview {
        settings,
        settings_form,
        routes,
        services: services
            .iter()
            .map(|service| (service.id, service.spec.name.clone()))
            .collect(),
        docker_hosts: state
            .fleet
            .hosts()
            .into_iter()
            .map(|host| (host.id, host.name))
            .collect(),
        last_apply: store::last_apply(&state.db).await?,
        can_edit: false,
    })
}

/// Where a route's requests go now: the address, or why there is none.
pub fn upstream_of(
    state: &AppState,
    route: &Route,
    services: &[StoredService],
) -> Result<String, String> {
    let (id, name) = match &route.target {
        RouteTarget::Address { address } => return Ok(address.clone()),
        RouteTarget::Service { id, name } => (*id, name),
    };
    let Some(service) = services.iter().find(|service| service.id == id) else {
        return Err(format!(
            "The service {name} was deleted; choose another service or an address for {}.",
            route.public_name()
        ));
    };
    let Some(port) = service
        .spec
        .ports
        .iter()
        .find(|port| port.protocol != "udp")
    else {
        return Err(format!(
            "The service {name} publishes no TCP port; publish one (like 127.0.0.1:8080:80) or route {} to an address.",
            route.public_name()
        ));
    };
    let address = match port.host_ip.as_deref() {
        Some(ip) if !matches!(ip, "" | "0.0.0.0" | "::") => ip.to_owned(),
        _ => host_address(state, &service.host_id),
    };
    if address.contains(':') {
        Ok(format!("[{address}]:{}", port.host_port))
    } else {
        Ok(format!("{address}:{}", port.host_port))
    }
}

/// The address of a Docker host as the proxy reaches it: this machine for the local
/// engine, else the host of its TCP address.
fn host_address(state: &AppState, host_id: &str) -> String {
    let endpoint = state
        .fleet
        .host(host_id)
        .map(|host| host.engine.endpoint().clone());
    match endpoint {
        Some(DockerEndpoint::Tcp(address) | DockerEndpoint::Tls { address, .. }) => address
            .rsplit_once(':')
            .map_or(address.clone(), |(host, _)| host.to_owned())
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned(),
        _ => "127.0.0.1".to_owned(),
    }
}

pub async fn save_settings(
    state: &AppState,
    actor: &Actor,
    form: &SettingsForm,
) -> Result<(), AppError> {
    let settings = validate::parse_settings(form, |id| state.fleet.host(id).is_some())?;
    store::save_settings(&state.db, &settings).await?;
    let detail = format!(
        "{} writing {}, HTTP {} / HTTPS {}",
        settings.kind.label(),
        settings.config_path,
        settings.http_port,
        settings.https_port
    );
    record(
        &state.db,
        actor,
        AREA,
        "settings",
        "proxy",
        Outcome::Ok,
        &detail,
    )
    .await;
    Ok(())
}

/// A route form, checked, with the services it may name.
async fn parse_route(
    state: &AppState,
    form: &RouteForm,
) -> Result<(String, String, RouteTarget, String, String), AppError> {
    let services = crate::services::store::list_stored(&state.db).await?;
    validate::parse_route(form, |id| {
        services
            .iter()
            .find(|service| service.id == id)
            .map(|service| service.spec.name.clone())
    })
}

fn describe_target(target: &RouteTarget) -> String {
    match target {
        RouteTarget::Service { name, .. } => format!("to the service {name}"),
        RouteTarget::Address { address } => format!("to {address}"),
    }
}

pub async fn create_route(
    state: &AppState,
    actor: &Actor,
    form: &RouteForm,
) -> Result<i64, AppError> {
    let (host, path, target, cert_file, key_file) = parse_route(state, form).await?;
    let route = NewRoute {
        host: &host,
        path: &path,
        target: &target,
        cert_file: &cert_file,
        key_file: &key_file,
    };
    let id = store::insert(&state.db, &route, state.scheduler.now())
        .await?
        .ok_or_else(|| AppError::Conflict(format!("A route for {host}{path} exists already.")))?;
    record(
        &state.db,
        actor,
        AREA,
        "create",
        &format!("{host}{path}"),
        Outcome::Ok,
        &describe_target(&target),
    )
    .await;
    Ok(id)
}

pub async fn update_route(
    state: &AppState,
    actor: &Actor,
    id: i64,
    form: &RouteForm,
) -> Result<(), AppError> {
    let (host, path, target, cert_file, key_file) = parse_route(state, form).await?;
    let route = NewRoute {
        host: &host,
        path: &path,
        target: &target,
        cert_file: &cert_file,
        key_file: &key_file,
    };
    match store::update(&state.db, id, &route, state.scheduler.now()).await? {
        None => return Err(AppError::not_found("This route was deleted.")),
        Some(false) => {
            return Err(AppError::Conflict(format!(
                "Another route is for {host}{path} already."
            )))
        }
        Some(true) => {}
    }
    record(
        &state.db,
        actor,
        AREA,
        "edit",
        &format!("{host}{path}"),
        Outcome::Ok,
        &describe_target(&target),
    )
    .await;
    Ok(())
}

pub async fn delete_route(state: &AppState, actor: &Actor, id: i64) -> Result<(), AppError> {
    let name = store::delete(&state.db, id)
        .await?
        .ok_or_else(|| AppError::not_found("This route was already deleted."))?;
    record(&state.db, actor, AREA, "delete", &name, Outcome::Ok, "").await;
    Ok(())
}

/// The file for the current routes, or the sentence saying why it cannot be written.
async fn candidate(state: &AppState, settings: &ProxySettings) -> Result<String, AppError> {
    let routes = store::routes(&state.db).await?;
    let services = crate::services::store::list_stored(&state.db).await?;
    let mut resolved = Vec::with_capacity(routes.len());
    for route in &routes {
        let upstream = upstream_of(state, route, &services).map_err(AppError::Invalid)?;
        resolved.push(Resolved { route, upstream });
    }
    generate::generate(settings, &resolved).map_err(AppError::Invalid)
}

/// The generated file next to the one on disk.
#[tracing::instrument(skip_all)]
pub async fn preview(state: &AppState) -> Result<Preview, AppError> {
    let settings = require_settings(store::settings(&state.db).await?)?;
    let candidate = candidate(state, &settings).await?;
    let (current, read_error) = match std::fs::read(&settings.config_path) {
        Ok(bytes) => (Some(String::from_utf8_lossy(&bytes).into_owned()), None),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => (None, None),
        Err(error) => (
            None,
            Some(format!(
                "The file {} cannot be read: {error}.",
                settings.config_path
            )),
        ),
    };
    let diff = generate::diff(current.as_deref().unwrap_or_default(), &candidate);
    Ok(Preview {
        kind: settings.kind,
        changed: current.as_deref() != Some(candidate.as_str()),
        config_path: settings.config_path,
        candidate,
        current,
        read_error,
        diff,
    })
}

/// Writes, validates and reloads; answers the sentence for the page. Refusals are audited
/// too, with the tool's words.
#[tracing::instrument(skip_all)]
pub async fn apply(state: &AppState, actor: &Actor) -> Result<String, AppError> {
    let settings = require_settings(store::settings(&state.db).await?)?;
    let result = match candidate(state, &settings).await {
        Ok(candidate) => super::apply::apply(state, &settings, &candidate).await,
        Err(error) => Err(error),
    };
    let (outcome, message) = match &result {
        Ok(message) => (Outcome::Ok, message.clone()),
        Err(error) => (Outcome::Failed, error.to_string()),
    };
    store::set_last_apply(
        &state.db,
        &ApplyRecord {
            at: state.scheduler.now(),
            actor: actor.name.clone(),
            ok: result.is_ok(),
            message: message.clone(),
        },
    )
    .await?;
    record(
        &state.db,
        actor,
        AREA,
        "apply",
        &settings.config_path,
        outcome,
        &message,
    )
    .await;
    result
}

/// Where a handshake to a route's host goes: the proxy's listen address when it is a
/// specific one (caretaker beside the proxy), else the public name itself.
pub fn probe_host(settings: &ProxySettings, host: &str) -> String {
    let address = settings
        .listen_address
        .trim_start_matches('[')
        .trim_end_matches(']');
    match address.parse::<std::net::IpAddr>() {
        Ok(ip) if !ip.is_unspecified() => ip.to_string(),
        _ => host.to_owned(),
    }
}

/// Creates a TLS monitor for the certificate of a route's host, unless one watches it
/// already. Answers the sentence for the page.
pub async fn watch_certificate(
    state: &AppState,
    actor: &Actor,
    route_id: i64,
) -> Result<String, AppError> {
    let settings = require_settings(store::settings(&state.db).await?)?;
    let route = store::route(&state.db, route_id)
        .await?
        .ok_or_else(|| AppError::not_found("This route was deleted."))?;
    watch_host(state, actor, &settings, &route.host).await
}

/// A TLS monitor for every routed host that has none yet.
pub async fn watch_all(state: &AppState, actor: &Actor) -> Result<String, AppError> {
    let settings = require_settings(store::settings(&state.db).await?)?;
    let mut hosts: Vec<String> = store::routes(&state.db)
        .await?
        .into_iter()
        .map(|route| route.host)
        .collect();
    hosts.dedup();
    if hosts.is_empty() {
        return Err(AppError::Conflict(
            "There are no routes yet: add one, then watch its certificate.".to_owned(),
        ));
    }
    let mut created = 0;
    for host in &hosts {
        if watcher(state, &settings, host).await?.is_none() {
            watch_host(state, actor, &settings, host).await?;
            created += 1;
        }
    }
    Ok(match created {
        0 => "Every routed host's certificate is watched already.".to_owned(),
        1 => "Created 1 TLS monitor.".to_owned(),
        n => format!("Created {n} TLS monitors."),
    })
}

async fn watcher(
    state: &AppState,
    settings: &ProxySettings,
    host: &str,
) -> Result<Option<String>, AppError> {
    Ok(crate::monitors::service::tls_monitors(state)
        .await?
        .into_iter()
        .find(|(_, _, name, port)| name == host && *port == settings.https_port)
        .map(|(_, name, _, _)| name))
}

async fn watch_host(
    state: &AppState,
    actor: &Actor,
    settings: &ProxySettings,
    host: &str,
) -> Result<String, AppError> {
    if let Some(name) = watcher(state, settings, host).await? {
        return Ok(format!(
            "The certificate of {host} is watched already, by the monitor {name}."
        ));
    }
    let probe = probe_host(settings, host);
    let target = if probe.contains(':') {
        format!("[{probe}]:{}", settings.https_port)
    } else {
        format!("{probe}:{}", settings.https_port)
    };
    let name = format!("Certificate of {host}");
    let form = crate::monitors::MonitorForm {
        name: name.clone(),
        kind: "tls".to_owned(),
        target,
        server_name: host.to_owned(),
        warn_days: "14".to_owned(),
        interval_secs: "3600".to_owned(),
        timeout_secs: "10".to_owned(),
        ..crate::monitors::MonitorForm::default()
    };
    crate::monitors::service::create(state, actor, &form).await?;
    Ok(format!(
        "The monitor {name} now checks the certificate of {host} every hour, and warns 14 days before it expires."
    ))
}

/// The routes by host, for the certificate inventory.
pub async fn routes_by_host(state: &AppState) -> Result<HashMap<String, Vec<Route>>, AppError> {
    let mut hosts: HashMap<String, Vec<Route>> = HashMap::new();
    for route in store::routes(&state.db).await? {
        hosts.entry(route.host.clone()).or_default().push(route);
    }
    Ok(hosts)
}
