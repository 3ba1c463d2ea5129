//! docker-compose files in and out: import the services of a compose file, export a
//! service back as compose YAML.
//!
//! Every problem names its place in the file (`services.open-webui.ports[1]`). Keys that
//! caretaker does not use are reported back rather than dropped without a word.

use serde_yaml::{Mapping, Value};

use super::validate::{
    check_name, check_spec, parse_duration, parse_image, parse_mount, parse_port, SecretInput,
};
use super::{GpuRequest, Healthcheck, ServiceSpec};
use crate::containers::is_secret;
use crate::core::error::AppError;

/// The services found in a compose file, with the secret values apart.
#[derive(Debug)]
pub struct Imported {
    pub services: Vec<(ServiceSpec, Vec<SecretInput>)>,
    pub ignored: Vec<String>,
}

fn at(path: &str, message: impl std::fmt::Display) -> AppError {
    AppError::invalid(format!("{path}: {message}"))
}

/// Scalars as compose writes them: strings, numbers and booleans.
fn scalar(path: &str, value: &Value) -> Result<String, AppError> {
    match value {
        Value::String(text) => Ok(text.clone()),
        Value::Number(number) => Ok(number.to_string()),
        Value::Bool(flag) => Ok(flag.to_string()),
        Value::Null => Ok(String::new()),
        _ => Err(at(
            path,
            "expected a single value, not a list or a mapping.",
        )),
    }
}

fn list<'a>(path: &str, value: &'a Value) -> Result<&'a Vec<Value>, AppError> {
    value
        .as_sequence()
        .ok_or_else(|| at(path, "expected a list (lines starting with '- ')."))
}

/// A list of `KEY=value` strings or a mapping, as compose allows for environment and labels.
fn pairs(path: &str, value: &Value) -> Result<Vec<(String, String)>, AppError> {
    match value {
        Value::Mapping(map) => map
            .iter()
            .map(|(key, value)| {
                Ok((
                    scalar(path, key)?,
                    scalar(&format!("{path}.{}", scalar(path, key)?), value)?,
                ))
            })
            .collect(),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| {
                let item_path = format!("{path}[{index}]");
                let text = scalar(&item_path, item)?;
                let (key, value) = text.split_once('=').ok_or_else(|| {
                    at(&item_path, format!("'{text}' has no '='; use KEY=value."))
                })?;
                Ok((key.to_owned(), value.to_owned()))
            })
            .collect(),
        _ => Err(at(path, "expected a mapping or a list of KEY=value.")),
    }
}

/// A scalar field of a long-syntax entry (`ports: - target: 80`), if present.
fn field_of(map: &Mapping, path: &str, key: &str) -> Result<Option<String>, AppError> {
    map.get(key)
        .map(|value| scalar(&format!("{path}.{key}"), value))
        .transpose()
}

/// Names from a list or from a mapping's keys (`depends_on`, `networks`).
fn names(path: &str, value: &Value) -> Result<Vec<String>, AppError> {
    match value {
        Value::Mapping(map) => map.keys().map(|key| scalar(path, key)).collect(),
        Value::Sequence(items) => items
            .iter()
            .enumerate()
            .map(|(index, item)| scalar(&format!("{path}[{index}]"), item))
            .collect(),
        _ => Err(at(path, "expected a list of names.")),
    }
}

pub fn import(text: &str) -> Result<Imported, AppError> {
    let root: Value = serde_yaml::from_str(text)
        .map_err(|error| AppError::invalid(format!("The file is not valid YAML: {error}.")))?;
    let root = root.as_mapping().ok_or_else(|| {
        AppError::invalid("The file is not a compose file: it has no top-level keys.")
    })?;
    let mut ignored = Vec::new();
    for key in root.keys() {
        let key = scalar("(top level)", key)?;
        if !matches!(
            key.as_str(),
            "services" | "volumes" | "networks" | "name" | "version"
        ) {
            ignored.push(key);
        }
    }
    let services = root
        .get("services")
        .and_then(Value::as_mapping)
        .ok_or_else(|| {
            at(
                "services",
                "missing; a compose file lists its containers under services:.",
            )
        })?;
    let mut imported = Vec::new();
    for (name, definition) in services {
        let name = scalar("services", name)?;
        let path = format!("services.{name}");
        check_name(&path, &name)?;
        let definition = definition
            .as_mapping()
            .ok_or_else(|| at(&path, "expected a mapping of settings."))?;
        imported.push(import_service(&name, &path, definition, &mut ignored)?);
    }
    if imported.is_empty() {
        return Err(at("services", "the file defines no service."));
    }
    Ok(Imported {
        services: imported,
        ignored,
    })
}

fn import_service(
    name: &str,
    path: &str,
    definition: &Mapping,
    ignored: &mut Vec<String>,
) -> Result<(ServiceSpec, Vec<SecretInput>), AppError> {
    let mut spec = ServiceSpec {
        name: name.to_owned(),
        restart: "no".to_owned(),
        ..Default::default()
    };
    let mut secrets = Vec::new();
    let Some(image) = definition.get("image") else {
        let why = if definition.contains_key("build") {
            "missing; caretaker deploys images and does not build them: build and push the image, then name it here."
        } else {
            "missing; name the image to run, like ollama/ollama:latest."
        };
        return Err(at(&format!("{path}.image"), why));
    };
    let image_path = format!("{path}.image");
    (spec.image, spec.tag) = parse_image(&image_path, &scalar(&image_path, image)?)?;
    for (key, value) in definition {
        let key = scalar(path, key)?;
        let field = format!("{path}.{key}");
        match key.as_str() {
            "image" => {}
            "command" => {
                spec.command = match value {
                    Value::Sequence(items) => items
                        .iter()
                        .enumerate()
                        .map(|(index, item)| scalar(&format!("{field}[{index}]"), item))
                        .collect::<Result<_, _>>()?,
                    other => {
                        let line = scalar(&field, other)?;
                        shlex::split(&line).ok_or_else(|| at(&field, "a quote is not closed."))?
                    }
                }
            }
            "environment" => {
                for (variable, text) in pairs(&field, value)? {
                    if is_secret(&variable, &text) {
                        spec.secret_names.push(variable.clone());
                        secrets.push((variable, Some(text)));
                    } else {
                        spec.env.push((variable, text));
                    }
                }
            }
            "ports" => {
                for (index, item) in list(&field, value)?.iter().enumerate() {
                    let item_path = format!("{field}[{index}]");
                    let text = match item {
                        Value::Mapping(long) => {
                            let get = |key: &str| field_of(long, &item_path, key);
                            let target = get("target")?
                                .ok_or_else(|| at(&item_path, "target is missing."))?;
                            let published = get("published")?.ok_or_else(|| at(&item_path, "published is missing: caretaker publishes every port it lists."))?;
                            let ip = get("host_ip")?
                                .map(|ip| format!("{ip}:"))
                                .unwrap_or_default();
                            let protocol = get("protocol")?
                                .map(|p| format!("/{p}"))
                                .unwrap_or_default();
                            format!("{ip}{published}:{target}{protocol}")
                        }
                        other => scalar(&item_path, other)?,
                    };
                    spec.ports.push(parse_port(&item_path, None, &text)?);
                }
            }
            "volumes" => {
                for (index, item) in list(&field, value)?.iter().enumerate() {
                    let item_path = format!("{field}[{index}]");
                    let text = match item {
                        Value::Mapping(long) => {
                            let get = |key: &str| field_of(long, &item_path, key);
                            let source = get("source")?
                                .ok_or_else(|| at(&item_path, "source is missing."))?;
                            let target = get("target")?
                                .ok_or_else(|| at(&item_path, "target is missing."))?;
                            let mode = if get("read_only")?.as_deref() == Some("true") {
                                ":ro"
                            } else {
                                ""
                            };
                            format!("{source}:{target}{mode}")
                        }
                        other => scalar(&item_path, other)?,
                    };
                    spec.volumes.push(parse_mount(&item_path, None, &text)?);
                }
            }
            "networks" => spec.networks = names(&field, value)?,
            "labels" => spec.labels = pairs(&field, value)?,
            "restart" => spec.restart = scalar(&field, value)?,
            "depends_on" => spec.depends_on = names(&field, value)?,
            "healthcheck" => spec.healthcheck = healthcheck(&field, value)?,
            "deploy" => spec.gpus = gpus(&field, value, ignored)?,
            _ => ignored.push(field),
        }
    }
    check_spec(&spec).map_err(|error| at(path, error))?;
    Ok((spec, secrets))
}

fn healthcheck(path: &str, value: &Value) -> Result<Option<Healthcheck>, AppError> {
    let map = value
        .as_mapping()
        .ok_or_else(|| at(path, "expected a mapping (test, interval, …)."))?;
    if map.get("disable").and_then(Value::as_bool) == Some(true) {
        return Ok(None);
    }
    let test = match map.get("test") {
        Some(Value::Sequence(items)) => items
            .iter()
            .enumerate()
            .map(|(index, item)| scalar(&format!("{path}.test[{index}]"), item))
            .collect::<Result<Vec<_>, _>>()?,
        Some(other) => vec![
            "CMD-SHELL".to_owned(),
            scalar(&format!("{path}.test"), other)?,
        ],
        None => return Err(at(
            &format!("{path}.test"),
            "missing; say what to run, like [\"CMD\", \"curl\", \"-f\", \"http://localhost/\"].",
        )),
    };
    let seconds = |key: &str, default: u32| -> Result<u32, AppError> {
        match map.get(key) {
            Some(value) => {
                let key_path = format!("{path}.{key}");
                parse_duration(&key_path, &scalar(&key_path, value)?)
            }
            None => Ok(default),
        }
    };
    let retries = match map.get("retries") {
        Some(value) => {
            let text = scalar(&format!("{path}.retries"), value)?;
            text.parse().map_err(|_| {
                at(
                    &format!("{path}.retries"),
                    format!("'{text}' is not a number."),
                )
            })?
        }
        None => 3,
    };
    Ok(Some(Healthcheck {
        test,
        interval_secs: seconds("interval", 30)?,
        timeout_secs: seconds("timeout", 30)?,
        retries,
        start_period_secs: seconds("start_period", 0)?,
    }))
}

/// `deploy.resources.reservations.devices` with the `gpu` capability; the rest of
/// `deploy` is Swarm's and reported as ignored.
fn gpus(
    path: &str,
    value: &Value,
    ignored: &mut Vec<String>,
) -> Result<Option<GpuRequest>, AppError> {
    let devices = value
        .get("resources")
        .and_then(|resources| resources.get("reservations"))
        .and_then(|reservations| reservations.get("devices"));
    if let Some(map) = value.as_mapping() {
        for key in map.keys() {
            let key = scalar(path, key)?;
            if key != "resources" {
                ignored.push(format!("{path}.{key}"));
            }
        }
    }
    let Some(devices) = devices else {
        return Ok(None);
    };
    let devices_path = format!("{path}.resources.reservations.devices");
    for (index, device) in list(&devices_path, devices)?.iter().enumerate() {
        let device_path = format!("{devices_path}[{index}]");
        let is_gpu = device
            .get("capabilities")
            .and_then(Value::as_sequence)
            .is_some_and(|caps| caps.iter().any(|cap| cap.as_str() == Some("gpu")));
        if !is_gpu {
            continue;
        }
        let count = match device.get("count") {
            None => None,
            Some(Value::String(all)) if all == "all" => None,
            Some(other) => {
                let text = scalar(&format!("{device_path}.count"), other)?;
                Some(text.parse().ok().filter(|n: &u32| *n > 0).ok_or_else(|| {
                    at(
                        &format!("{device_path}.count"),
                        format!("'{text}' is not accepted; write all or a number like 1."),
                    )
                })?)
            }
        };
        return Ok(Some(GpuRequest { count }));
    }
    Ok(None)
}

/// A service as a compose file. Secret values are not written: each becomes
/// `${NAME}`, for compose to take from the environment or an `.env` file.
pub fn export(spec: &ServiceSpec) -> String {
    let mut service = Mapping::new();
    let text = |s: &str| Value::String(s.to_owned());
    let strings =
        |items: Vec<String>| Value::Sequence(items.into_iter().map(Value::String).collect());
    service.insert(text("image"), text(&format!("{}:{}", spec.image, spec.tag)));
    if !spec.command.is_empty() {
        service.insert(text("command"), strings(spec.command.clone()));
    }
    if !spec.env.is_empty() || !spec.secret_names.is_empty() {
        let mut environment = Mapping::new();
        for (name, value) in &spec.env {
            environment.insert(text(name), text(value));
        }
        for name in &spec.secret_names {
            environment.insert(text(name), text(&format!("${{{name}}}")));
        }
        service.insert(text("environment"), Value::Mapping(environment));
    }
    if !spec.ports.is_empty() {
        service.insert(
            text("ports"),
            strings(spec.ports.iter().map(super::validate::port_text).collect()),
        );
    }
    if !spec.volumes.is_empty() {
        service.insert(
            text("volumes"),
            strings(
                spec.volumes
                    .iter()
                    .map(super::validate::mount_text)
                    .collect(),
            ),
        );
    }
    if !spec.networks.is_empty() {
        service.insert(text("networks"), strings(spec.networks.clone()));
    }
    if !spec.labels.is_empty() {
        let mut labels = Mapping::new();
        for (key, value) in &spec.labels {
            labels.insert(text(key), text(value));
        }
        service.insert(text("labels"), Value::Mapping(labels));
    }
    service.insert(text("restart"), text(&spec.restart));
    if let Some(check) = &spec.healthcheck {
        let mut health = Mapping::new();
        health.insert(text("test"), strings(check.test.clone()));
        health.insert(text("interval"), text(&format!("{}s", check.interval_secs)));
        health.insert(text("timeout"), text(&format!("{}s", check.timeout_secs)));
        health.insert(text("retries"), Value::Number(check.retries.into()));
        if check.start_period_secs > 0 {
            health.insert(
                text("start_period"),
                text(&format!("{}s", check.start_period_secs)),
            );
        }
        service.insert(text("healthcheck"), Value::Mapping(health));
    }
    if !spec.depends_on.is_empty() {
        service.insert(text("depends_on"), strings(spec.depends_on.clone()));
    }
    if let Some(gpus) = &spec.gpus {
        let mut device = Mapping::new();
        device.insert(text("driver"), text("nvidia"));
        device.insert(
            text("count"),
            gpus.count
                .map_or_else(|| text("all"), |count| Value::Number(count.into())),
        );
        device.insert(text("capabilities"), strings(vec!["gpu".to_owned()]));
        let mut reservations = Mapping::new();
        reservations.insert(
            text("devices"),
            Value::Sequence(vec![Value::Mapping(device)]),
        );
        let mut resources = Mapping::new();
        resources.insert(text("reservations"), Value::Mapping(reservations));
        let mut deploy = Mapping::new();
        deploy.insert(text("resources"), Value::Mapping(resources));
        service.insert(text("deploy"), Value::Mapping(deploy));
    }
    let mut services = Mapping::new();
    services.insert(text(&spec.name), Value::Mapping(service));
    let mut root = Mapping::new();
    root.insert(text("services"), Value::Mapping(services));
    let named: Vec<&str> = spec
        .volumes
        .iter()
        .filter(|mount| !mount.source.starts_with('/'))
        .map(|mount| mount.source.as_str())
        .collect();
    if !named.is_empty() {
        let mut volumes = Mapping::new();
        for name in named {
            volumes.insert(text(name), Value::Null);
        }
        root.insert(text("volumes"), Value::Mapping(volumes));
    }
    serde_yaml::to_string(&Value::Mapping(root)).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::{Mount, PortMapping};

    const SEED: &str = include_str!("../../tests/fixtures/ollama-open-webui.compose.yml");

    #[test]
    fn the_seed_stack_imports_as_two_services() {
        let imported = import(SEED).unwrap();
        let names: Vec<&str> = imported
            .services
            .iter()
            .map(|(spec, _)| spec.name.as_str())
            .collect();
        assert_eq!(names, ["ollama", "open-webui"]);
        let (ollama, none) = &imported.services[0];
        assert!(none.is_empty());
        assert_eq!(
            (ollama.image.as_str(), ollama.tag.as_str()),
            ("ollama/ollama", "latest")
        );
        assert_eq!(ollama.gpus, Some(GpuRequest { count: None }));
        assert_eq!(
            ollama.ports,
            [PortMapping {
                host_ip: Some("127.0.0.1".into()),
                host_port: 11434,
                container_port: 11434,
                protocol: "tcp".into()
            }]
        );
        assert_eq!(
            ollama.volumes,
            [Mount {
                source: "ollama".into(),
                target: "/root/.ollama".into(),
                read_only: false
            }]
        );
        assert_eq!(ollama.restart, "unless-stopped");

        let (webui, secrets) = &imported.services[1];
        assert_eq!(webui.image, "ghcr.io/open-webui/open-webui");
        assert_eq!(webui.depends_on, ["ollama"]);
        assert_eq!(webui.ports[0].host_port, 3000);
        assert_eq!(webui.ports[0].container_port, 8080);
        assert_eq!(webui.secret_names, ["WEBUI_SECRET_KEY"]);
        assert_eq!(
            secrets,
            &[("WEBUI_SECRET_KEY".to_owned(), Some("t0p-s3cret".to_owned()))]
        );
        assert!(!webui.env.iter().any(|(name, _)| name == "WEBUI_SECRET_KEY"));
        assert!(webui
            .env
            .contains(&("ENABLE_SIGNUP".into(), "false".into())));
        let check = webui.healthcheck.as_ref().unwrap();
        assert_eq!(
            (
                check.interval_secs,
                check.timeout_secs,
                check.retries,
                check.start_period_secs
            ),
            (30, 5, 5, 60)
        );
        assert_eq!(
            imported.ignored,
            [
                "services.ollama.container_name",
                "services.open-webui.container_name",
                "services.open-webui.extra_hosts"
            ]
        );
    }

    #[test]
    fn an_exported_service_imports_as_the_same_service_without_its_secret() {
        for (spec, _) in import(SEED).unwrap().services {
            let yaml = export(&spec);
            assert!(!yaml.contains("t0p-s3cret"));
            let (again, secrets) = import(&yaml).unwrap().services.remove(0);
            assert_eq!(again, spec, "{yaml}");
            if spec.name == "open-webui" {
                assert!(
                    yaml.contains("WEBUI_SECRET_KEY: ${WEBUI_SECRET_KEY}"),
                    "{yaml}"
                );
                assert_eq!(secrets[0].1.as_deref(), Some("${WEBUI_SECRET_KEY}"));
            }
        }
    }

    #[test]
    fn a_bad_compose_file_names_the_field() {
        let cases = [
            ("services: [a]", "services: missing"),
            ("services:\n  web:\n    build: .\n", "services.web.image: missing; caretaker deploys images and does not build them"),
            ("services:\n  web:\n    image: nginx\n    ports:\n      - \"80:80\"\n      - \"80:abc\"\n", "services.web.ports[1]: '80:abc' is not a port mapping"),
            ("services:\n  web:\n    image: nginx\n    volumes:\n      - ./html:/usr/share/nginx/html\n", "services.web.volumes[0]: './html' is a relative path"),
            ("services:\n  Web_App:\n    image: nginx\n", "services.Web_App: 'Web_App' is not accepted"),
            ("services:\n  web:\n    image: NGINX\n", "services.web.image: 'NGINX' is not an image reference"),
            ("services:\n  web:\n    image: nginx\n    environment:\n      - NOVALUE\n", "services.web.environment[0]: 'NOVALUE' has no '='"),
            ("services:\n  web:\n    image: nginx\n    restart: sometimes\n", "services.web: Restart: 'sometimes' is not a restart policy"),
            ("services: {web: {image: nginx", "The file is not valid YAML"),
        ];
        for (text, expected) in cases {
            let error = import(text).unwrap_err().to_string();
            assert!(error.contains(expected), "{expected}\n  got: {error}");
        }
    }
}
