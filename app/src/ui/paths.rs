//! Addresses inside caretaker, which may be served under a sub-path
//! (`public_url = "https://example.org/caretaker"`).
//!
//! Inside the server every route stays at the root: a middleware strips the prefix when
//! the proxy passes it on, so `/caretaker/audit` and `/audit` reach the same page. Every
//! address written into a page, a form or a redirect goes through [`href`], which puts the
//! prefix back. The browser learns the prefix from `<meta name="caretaker-base">`.

/// The sub-path caretaker is served under: `""` at the root, else `/caretaker` (no
/// trailing slash).
pub fn base_path() -> String {
    #[cfg(feature = "ssr")]
    {
        leptos::prelude::use_context::<crate::core::state::AppState>()
            .map(|state| state.auth.settings.base_path().to_owned())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "ssr"))]
    {
        client::BASE.get().cloned().unwrap_or_default()
    }
}

/// `/audit` → `/caretaker/audit` under a sub-path; unchanged at the root.
pub fn href(path: &str) -> String {
    join(&base_path(), path)
}

/// The base and a root-relative path, joined.
pub fn join(base: &str, path: &str) -> String {
    if base.is_empty() {
        path.to_owned()
    } else if path == "/" {
        format!("{base}/")
    } else {
        format!("{base}{path}")
    }
}

/// A value made safe for a query string: everything but letters, digits and `-_.~:/` is
/// percent-encoded.
pub fn encode_query(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~:/".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The path of a root-relative address without the base: `/caretaker/audit` → `/audit`.
/// `None` when the path is outside the base.
pub fn strip_base<'a>(base: &str, path: &'a str) -> Option<&'a str> {
    if base.is_empty() {
        return Some(path);
    }
    match path.strip_prefix(base) {
        Some("") => Some("/"),
        Some(rest) if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// The base the browser-side router matches routes under. On the server the router sees
/// paths with the prefix already stripped, so it matches at the root.
pub fn router_base() -> String {
    if cfg!(feature = "ssr") {
        String::new()
    } else {
        base_path()
    }
}

/// Reads the base from the page before hydration and points server function calls at it.
#[cfg(feature = "hydrate")]
pub fn init_in_browser() {
    let base = leptos::prelude::document()
        .query_selector("meta[name=caretaker-base]")
        .ok()
        .flatten()
        .and_then(|meta| meta.get_attribute("content"))
        .unwrap_or_default();
    if !base.is_empty() {
        // Server function calls go to BASE/api/…; a leaked string, set once per page load.
        let _ =
            leptos::server_fn::client::try_set_server_url(Box::leak(base.clone().into_boxed_str()));
    }
    let _ = client::BASE.set(base);
}

#[cfg(not(feature = "ssr"))]
mod client {
    pub static BASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_values_keep_model_names_readable() {
        assert_eq!(encode_query("ns/llama3.2:1b"), "ns/llama3.2:1b");
        assert_eq!(encode_query("a b&c=d#é"), "a%20b%26c%3Dd%23%C3%A9");
    }

    #[test]
    fn joins_and_strips_the_base() {
        assert_eq!(join("", "/audit"), "/audit");
        assert_eq!(join("/caretaker", "/audit"), "/caretaker/audit");
        assert_eq!(join("/caretaker", "/"), "/caretaker/");
        assert_eq!(strip_base("/caretaker", "/caretaker/audit"), Some("/audit"));
        assert_eq!(strip_base("/caretaker", "/caretaker"), Some("/"));
        assert_eq!(strip_base("/caretaker", "/caretakers"), None);
        assert_eq!(strip_base("", "/audit"), Some("/audit"));
    }
}
