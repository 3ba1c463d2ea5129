//! `keep_alive` as Ollama's `api.Duration` decodes it (ref §4 generate): a
//! JSON number is seconds, a string is a Go duration (`"5m"`, `"30s"`, `"0"`),
//! anything negative means "keep loaded forever".

use chrono::TimeDelta;
use serde_json::Value;

/// The default when `keep_alive` is left out (`OLLAMA_KEEP_ALIVE` unset).
pub(crate) const DEFAULT_KEEP_ALIVE: TimeDelta = TimeDelta::minutes(5);

/// Go's largest `time.Duration`, which Ollama uses for "forever".
pub(crate) fn forever() -> TimeDelta {
    TimeDelta::nanoseconds(i64::MAX)
}

/// Decodes the `keep_alive` field. `Err` carries the message Ollama's
/// decoder gives, which becomes a 400.
pub(crate) fn parse(value: Option<&Value>) -> Result<TimeDelta, String> {
    let nanos = match value {
        None | Some(Value::Null) => return Ok(DEFAULT_KEEP_ALIVE),
        Some(Value::Number(n)) => {
            let seconds = n.as_f64().unwrap_or(0.0);
            // `as` saturates, like Go's conversion does in practice here.
            (seconds * 1e9) as i64
        }
        Some(Value::String(s)) => parse_go_duration(s)?,
        Some(Value::Bool(_)) => return Err("Unsupported type: 'bool'".to_owned()),
        Some(Value::Array(_)) => return Err("Unsupported type: '[]interface {}'".to_owned()),
        Some(Value::Object(_)) => {
            return Err("Unsupported type: 'map[string]interface {}'".to_owned())
        }
    };
    if nanos < 0 {
        Ok(forever())
    } else {
        Ok(TimeDelta::nanoseconds(nanos))
    }
}

/// Go's `time.ParseDuration`, with its error texts, in nanoseconds.
fn parse_go_duration(original: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration \"{original}\"");
    let mut rest = original;
    let mut negative = false;
    if let Some(stripped) = rest.strip_prefix('-') {
        negative = true;
        rest = stripped;
    } else if let Some(stripped) = rest.strip_prefix('+') {
        rest = stripped;
    }
    // "0" is the one value allowed without a unit.
    if rest == "0" {
        return Ok(0);
    }
    if rest.is_empty() {
        return Err(invalid());
    }
    let mut total: f64 = 0.0;
    while !rest.is_empty() {
        let number_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_len];
        if number.is_empty() || number == "." || number.matches('.').count() > 1 {
            return Err(invalid());
        }
        let value: f64 = number.parse().map_err(|_| invalid())?;
        rest = &rest[number_len..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let scale = match unit {
            "" => return Err(format!("time: missing unit in duration \"{original}\"")),
            "ns" => 1.0,
            "us" | "µs" | "μs" => 1e3,
            "ms" => 1e6,
            "s" => 1e9,
            "m" => 60e9,
            "h" => 3600e9,
            other => {
                return Err(format!(
                    "time: unknown unit \"{other}\" in duration \"{original}\""
                ))
            }
        };
        total += value * scale;
    }
    if total > i64::MAX as f64 {
        return Err(invalid());
    }
    let nanos = total as i64;
    Ok(if negative { -nanos } else { nanos })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn secs(v: Value) -> Result<i64, String> {
        parse(Some(&v)).map(|d| d.num_seconds())
    }

    #[test]
    fn numbers_are_seconds_and_strings_go_durations() {
        assert_eq!(parse(None), Ok(DEFAULT_KEEP_ALIVE));
        assert_eq!(secs(json!(30)), Ok(30));
        assert_eq!(secs(json!(0)), Ok(0));
        assert_eq!(secs(json!("5m")), Ok(300));
        assert_eq!(secs(json!("1h30m")), Ok(5400));
        assert_eq!(secs(json!("1.5s")).unwrap(), 1);
        assert_eq!(secs(json!("0")), Ok(0));
    }

    #[test]
    fn negative_is_forever() {
        assert_eq!(parse(Some(&json!(-1))), Ok(forever()));
        assert_eq!(parse(Some(&json!("-1m"))), Ok(forever()));
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(
            secs(json!("-1")),
            Err("time: missing unit in duration \"-1\"".to_owned())
        );
        assert_eq!(
            secs(json!("5x")),
            Err("time: unknown unit \"x\" in duration \"5x\"".to_owned())
        );
        assert_eq!(
            secs(json!("")),
            Err("time: invalid duration \"\"".to_owned())
        );
        assert_eq!(
            secs(json!(true)),
            Err("Unsupported type: 'bool'".to_owned())
        );
    }
}
