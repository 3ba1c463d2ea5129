//! The Swarm settings form, checked field by field: each error names the field, what is
//! wrong and what is accepted.

use super::{
    SwarmForm, SwarmSettings, UpdatePolicy, ROLLBACK_FAILURE_ACTIONS, UPDATE_FAILURE_ACTIONS,
};
use crate::core::error::AppError;

/// The most replicas one service may ask for (a typo guard, not a Swarm limit).
pub const MAX_REPLICAS: u32 = 1000;

pub fn parse_form(form: &SwarmForm) -> Result<SwarmSettings, AppError> {
    Ok(SwarmSettings {
        replicas: replicas(&form.replicas)?,
        constraints: constraints(&form.constraints)?,
        cpu_limit: cpu_limit(&form.cpu_limit)?,
        memory_limit_mib: optional_number(
            &form.memory_limit_mib,
            "Memory limit",
            4,
            16 * 1024 * 1024,
            "MiB",
        )?,
        update: UpdatePolicy {
            parallelism: number(
                &form.update_parallelism,
                "Update parallelism",
                0,
                1000,
                "tasks (0: all at once)",
            )?,
            delay_secs: number(&form.update_delay_secs, "Update delay", 0, 3600, "seconds")?,
            failure_action: choice(
                &form.update_failure_action,
                "Update failure action",
                UPDATE_FAILURE_ACTIONS,
            )?,
            monitor_secs: number(
                &form.update_monitor_secs,
                "Update monitor",
                0,
                3600,
                "seconds",
            )?,
        },
        rollback: UpdatePolicy {
            parallelism: number(
                &form.rollback_parallelism,
                "Rollback parallelism",
                0,
                1000,
                "tasks (0: all at once)",
            )?,
            delay_secs: number(
                &form.rollback_delay_secs,
                "Rollback delay",
                0,
                3600,
                "seconds",
            )?,
            failure_action: choice(
                &form.rollback_failure_action,
                "Rollback failure action",
                ROLLBACK_FAILURE_ACTIONS,
            )?,
            monitor_secs: number(
                &form.rollback_monitor_secs,
                "Rollback monitor",
                0,
                3600,
                "seconds",
            )?,
        },
    })
}

pub fn replicas(text: &str) -> Result<u32, AppError> {
    number(text, "Replicas", 0, MAX_REPLICAS, "replicas")
}

fn number(text: &str, field: &str, min: u32, max: u32, unit: &str) -> Result<u32, AppError> {
    let text = text.trim();
    match text.parse::<u32>() {
        Ok(value) if (min..=max).contains(&value) => Ok(value),
        _ => Err(AppError::invalid(format!(
            "{field}: “{text}” is not accepted; give a whole number from {min} to {max} ({unit})."
        ))),
    }
}

fn optional_number(
    text: &str,
    field: &str,
    min: u32,
    max: u32,
    unit: &str,
) -> Result<Option<u64>, AppError> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    number(text, field, min, max, unit).map(|value| Some(u64::from(value)))
}

fn cpu_limit(text: &str) -> Result<Option<f64>, AppError> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    match text.parse::<f64>() {
        Ok(cpus) if cpus.is_finite() && (0.01..=1024.0).contains(&cpus) => Ok(Some(cpus)),
        _ => Err(AppError::invalid(format!(
            "CPU limit: “{text}” is not accepted; give CPUs as a number from 0.01 to 1024 (0.5 is half a CPU), or leave it empty for no limit."
        ))),
    }
}

fn choice(text: &str, field: &str, accepted: &[&str]) -> Result<String, AppError> {
    let text = text.trim();
    if accepted.contains(&text) {
        Ok(text.to_owned())
    } else {
        Err(AppError::invalid(format!(
            "{field}: “{text}” is not accepted; choose {}.",
            accepted.join(", ")
        )))
    }
}

/// `node.role==worker`, `node.labels.zone!=b`: a name, `==` or `!=`, a value. Swarm
/// checks the names itself; here only the shape, so a typo is named before a deploy.
fn constraints(text: &str) -> Result<Vec<String>, AppError> {
    let mut found = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let split = line.split_once("==").or_else(|| line.split_once("!="));
        let plain = |part: &str| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '/' | ':'))
        };
        match split {
            Some((name, value)) if plain(name.trim()) && plain(value.trim()) => {
                found.push(line.to_owned())
            }
            _ => {
                return Err(AppError::invalid(format!(
                    "Placement constraints, line {}: “{line}” is not a constraint; write one per line as name==value or name!=value, like node.role==worker or node.labels.zone==a.",
                    number + 1
                )))
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_form_is_accepted_and_bad_fields_are_named() {
        let form = SwarmForm::of(&SwarmSettings::default());
        assert_eq!(parse_form(&form).unwrap(), SwarmSettings::default());

        let mut bad = form.clone();
        bad.replicas = "many".into();
        assert!(parse_form(&bad)
            .unwrap_err()
            .to_string()
            .starts_with("Replicas:"));

        let mut bad = form.clone();
        bad.update_failure_action = "explode".into();
        let error = parse_form(&bad).unwrap_err().to_string();
        assert!(error.contains("rollback, pause, continue"), "{error}");

        let mut bad = form.clone();
        bad.constraints = "node.role==worker\nnode.role worker".into();
        let error = parse_form(&bad).unwrap_err().to_string();
        assert!(error.contains("line 2"), "{error}");

        let mut good = form;
        good.constraints = "node.role==worker\n\nnode.labels.zone!=b".into();
        good.cpu_limit = "0.5".into();
        good.memory_limit_mib = "64".into();
        let settings = parse_form(&good).unwrap();
        assert_eq!(settings.constraints.len(), 2);
        assert_eq!(settings.cpu_limit, Some(0.5));
        assert_eq!(settings.memory_limit_mib, Some(64));
    }
}
