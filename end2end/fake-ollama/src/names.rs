//! Model names, after `types/model/name.go` (ref §3): parsing, the short
//! display form with its tag, and a case-insensitive lookup key.

const DEFAULT_HOST: &str = "registry.ollama.ai";
const DEFAULT_NAMESPACE: &str = "library";
const DEFAULT_TAG: &str = "latest";

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct ModelName {
    host: String,
    namespace: String,
    model: String,
    tag: String,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Part {
    Host,
    Namespace,
    Model,
    Tag,
}

impl ModelName {
    /// `[scheme://][host/][namespace/]model[:tag][@digest]` with the missing
    /// parts filled with Ollama's defaults; `None` when a part is not valid.
    pub fn parse(raw: &str) -> Option<ModelName> {
        let without_scheme = raw.split_once("://").map_or(raw, |(_, rest)| rest);
        // The digest does not take part in naming a model here.
        let mut rest = without_scheme
            .rsplit_once('@')
            .map_or(without_scheme, |(name, _)| name);

        let mut tag = "";
        // "/" is not allowed in a tag, so a ":" before the last "/" is a host port.
        if rest.rfind(':') > rest.rfind('/') {
            if let Some((before, after)) = rest.rsplit_once(':') {
                rest = before;
                tag = after;
            }
        }
        let mut parts = rest.rsplitn(3, '/');
        let model = parts.next().unwrap_or("");
        let namespace = parts.next().unwrap_or("");
        let host = parts.next().unwrap_or("");

        let name = ModelName {
            host: or_default(host, DEFAULT_HOST),
            namespace: or_default(namespace, DEFAULT_NAMESPACE),
            model: model.to_owned(),
            tag: or_default(tag, DEFAULT_TAG),
        };
        let valid = is_valid_part(Part::Host, &name.host)
            && is_valid_part(Part::Namespace, &name.namespace)
            && is_valid_part(Part::Model, &name.model)
            && is_valid_part(Part::Tag, &name.tag);
        valid.then_some(name)
    }

    /// `DisplayShortest`: always with the tag, host and namespace only when
    /// they are not the defaults.
    pub fn short(&self) -> String {
        let model_tag = format!("{}:{}", self.model, self.tag);
        if !self.host.eq_ignore_ascii_case(DEFAULT_HOST) {
            format!("{}/{}/{model_tag}", self.host, self.namespace)
        } else if !self.namespace.eq_ignore_ascii_case(DEFAULT_NAMESPACE) {
            format!("{}/{model_tag}", self.namespace)
        } else {
            model_tag
        }
    }

    /// Lookups ignore case (`getExistingName`, ref §3).
    pub fn key(&self) -> String {
        self.short().to_lowercase()
    }
}

/// The lookup key of a name, `None` when it is not a valid model name.
pub(crate) fn key_of(raw: &str) -> Option<String> {
    ModelName::parse(raw).map(|n| n.key())
}

fn or_default(part: &str, default: &str) -> String {
    if part.is_empty() {
        default.to_owned()
    } else {
        part.to_owned()
    }
}

fn is_valid_part(kind: Part, s: &str) -> bool {
    let max_len = if kind == Part::Host { 350 } else { 80 };
    if s.is_empty() || s.len() > max_len {
        return false;
    }
    s.bytes().enumerate().all(|(i, c)| {
        let word_char = c.is_ascii_alphanumeric() || c == b'_';
        if i == 0 {
            return word_char;
        }
        match c {
            b'-' => true,
            b'.' => kind != Part::Namespace,
            b':' => kind == Part::Host,
            _ => word_char,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn short(raw: &str) -> Option<String> {
        ModelName::parse(raw).map(|n| n.short())
    }

    #[test]
    fn short_form_always_has_a_tag() {
        assert_eq!(short("llama3.2").as_deref(), Some("llama3.2:latest"));
        assert_eq!(short("llama3.2:1b").as_deref(), Some("llama3.2:1b"));
        assert_eq!(
            short("registry.ollama.ai/library/qwen2.5:0.5b").as_deref(),
            Some("qwen2.5:0.5b")
        );
        assert_eq!(short("me/mine").as_deref(), Some("me/mine:latest"));
        assert_eq!(
            short("http://localhost:5000/me/mine:v1").as_deref(),
            Some("localhost:5000/me/mine:v1")
        );
    }

    #[test]
    fn invalid_names_are_rejected() {
        for bad in ["", ":latest", "-x", "a b", "x:t/y", "a/b/c/d", "ns.x/m"] {
            assert!(ModelName::parse(bad).is_none(), "{bad:?} should be invalid");
        }
    }

    #[test]
    fn keys_ignore_case() {
        assert_eq!(key_of("Llama3.2"), key_of("llama3.2:LATEST"));
    }
}
