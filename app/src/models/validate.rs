//! Checking what admins type: server names, Ollama addresses and model names.
//!
//! Every check answers the sentence the form shows: what is wrong and what is accepted.

/// A server's name: 1 to 40 of `a-z 0-9 -`, starting with a letter or digit.
pub fn server_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let valid = !name.is_empty()
        && name.len() <= 40
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !name.starts_with('-');
    if valid {
        Ok(name.to_owned())
    } else {
        Err(format!(
            "Name: “{name}” is not accepted. Use 1 to 40 lowercase letters, digits and dashes, for example gpu-box."
        ))
    }
}

/// An Ollama base URL: `http(s)://host[:port][/path]`, without credentials, query or
/// fragment. Answers it without a trailing slash.
pub fn base_url(url: &str) -> Result<String, String> {
    let url = url.trim().trim_end_matches('/');
    let refuse = |why: &str| {
        Err(format!(
            "Address: {why}. Write it as http://host:port, for example {}.",
            super::DEFAULT_OLLAMA_URL
        ))
    };
    let Some((scheme, rest)) = url.split_once("://") else {
        return refuse("it needs http:// or https:// in front");
    };
    if !matches!(scheme, "http" | "https") {
        return refuse("only http and https are accepted");
    }
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() {
        return refuse("the host is missing");
    }
    if host.contains('@') {
        return refuse("user names and passwords in the address are not accepted");
    }
    if rest.contains(['?', '#']) || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return refuse("it may not contain spaces, ? or #");
    }
    let host_ok = host
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']' | '_'));
    if !host_ok {
        return refuse("the host has characters a host name cannot have");
    }
    Ok(url.to_owned())
}

/// A model name as Ollama takes it: `[host/][namespace/]model[:tag]`, where model and tag
/// are 1 to 80 letters, digits, `_`, `-` and `.` (Ollama's `ParseName`).
pub fn model_name(name: &str) -> Result<String, String> {
    let name = name.trim();
    let refuse = || {
        Err(format!(
            "Model: “{}” is not a model name. Write it as name or name:tag, for example llama3.2 or qwen2.5:0.5b; a namespace or registry may come first (namespace/name:tag).",
            name.chars().take(100).collect::<String>()
        ))
    };
    let part_ok = |part: &str, extra: &[char]| {
        !part.is_empty()
            && part.len() <= 80
            && part.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') || extra.contains(&c)
            })
    };
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() > 3 || name.len() > 250 {
        return refuse();
    }
    let (last, before) = parts.split_last().expect("split gives one part at least");
    let (model, tag) = match last.split_once(':') {
        Some((model, tag)) => (model, Some(tag)),
        None => (*last, None),
    };
    let registry_ok = match before {
        [host, namespace] => part_ok(host, &[':']) && part_ok(namespace, &[]),
        [namespace] => part_ok(namespace, &[]),
        _ => true,
    };
    if part_ok(model, &[]) && tag.is_none_or(|tag| part_ok(tag, &[])) && registry_ok {
        Ok(name.to_owned())
    } else {
        refuse()
    }
}

/// Ollama lists `llama3.2` as `llama3.2:latest`, and `registry.ollama.ai/library/x` as `x`;
/// names compare in that short form, ignoring case (Ollama's lookups ignore case too).
pub fn same_model(a: &str, b: &str) -> bool {
    canonical(a) == canonical(b)
}

/// The one form a name is kept and compared in: Ollama's short display form (default
/// registry and `library/` namespace left out, the tag always present), in lowercase.
/// `Library/Llama3.2` → `llama3.2:latest`.
pub fn canonical(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    let short = lower.strip_prefix("registry.ollama.ai/").unwrap_or(&lower);
    let short = short.strip_prefix("library/").unwrap_or(short);
    with_tag(short)
}

/// `llama3.2` → `llama3.2:latest`; a name with a tag stays as it is.
pub fn with_tag(name: &str) -> String {
    let last = name.rsplit('/').next().unwrap_or(name);
    if last.contains(':') {
        name.to_owned()
    } else {
        format!("{name}:latest")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn model_names_follow_ollamas_form() {
        for good in [
            "llama3.2",
            "qwen2.5:0.5b",
            "library/llama3.2:latest",
            "registry.example.org:5000/team/model:v1",
            "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M",
        ] {
            assert_eq!(model_name(good).as_deref(), Ok(good), "{good}");
        }
        for bad in [
            "",
            "llama 3",
            "llama3:",
            ":latest",
            "a/b/c/d",
            "x;rm -rf",
            "llama3.2:latest:x",
        ] {
            let error = model_name(bad).unwrap_err();
            assert!(error.contains("for example llama3.2"), "{bad}: {error}");
        }
        assert!(model_name(&"x".repeat(81)).is_err());
    }

    #[test]
    fn addresses_are_plain_http_urls() {
        assert_eq!(
            base_url(" http://127.0.0.1:11434/ ").as_deref(),
            Ok("http://127.0.0.1:11434")
        );
        assert_eq!(
            base_url("https://ollama.lab.example/api-proxy").as_deref(),
            Ok("https://ollama.lab.example/api-proxy")
        );
        assert!(base_url("127.0.0.1:11434").unwrap_err().contains("http://"));
        assert!(base_url("file:///etc/passwd")
            .unwrap_err()
            .contains("only http and https"));
        assert!(base_url("http://user:pw@host")
            .unwrap_err()
            .contains("passwords"));
        assert!(base_url("http://host/?x=1").is_err());
        assert!(base_url("http://").is_err());
    }

    #[test]
    fn names_compare_with_their_tag() {
        assert!(same_model("llama3.2", "llama3.2:latest"));
        assert!(same_model("Llama3.2:Latest", "llama3.2:latest"));
        assert!(!same_model("llama3.2:1b", "llama3.2:latest"));
        assert!(same_model("library/llama3.2", "llama3.2:latest"));
        assert!(same_model(
            "registry.ollama.ai/library/llama3.2:1b",
            "llama3.2:1b"
        ));
        assert!(!same_model("team/llama3.2", "llama3.2"));
        assert_eq!(canonical(" Library/Llama3.2 "), "llama3.2:latest");
        assert_eq!(with_tag("ns/model"), "ns/model:latest");
        assert_eq!(with_tag("host:5000/ns/model"), "host:5000/ns/model:latest");
    }

    #[test]
    fn server_names_are_short_slugs() {
        assert_eq!(server_name(" gpu-box ").as_deref(), Ok("gpu-box"));
        assert!(server_name("GPU box").is_err());
        assert!(server_name("-x").is_err());
    }
}
