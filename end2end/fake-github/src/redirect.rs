//! The `redirect_uri` rules of the authorize endpoint (ref §1, "Redirect URI rules").

use std::net::IpAddr;

use url::{Host, Url};

/// Whether `candidate` may be used as `redirect_uri` for an app whose
/// registered callback is `callback`:
///
/// * host equal to the callback's or a sub-domain of it;
/// * same port, except for a loopback callback (`127.0.0.1`, `::1`), where
///   any port is fine;
/// * path equal to the callback's or below it.
pub(crate) fn allowed(callback: &Url, candidate: &Url) -> bool {
    // UNCONFIRMED: the docs say nothing about the scheme; a different scheme
    // is refused here, as it would be a different origin.
    if candidate.scheme() != callback.scheme() {
        return false;
    }
    let (Some(cb_host), Some(host)) = (callback.host_str(), candidate.host_str()) else {
        return false;
    };
    let host_ok = host == cb_host
        || (matches!(callback.host(), Some(Host::Domain(_)))
            && host.ends_with(&format!(".{cb_host}")));
    // The loopback exemption is documented for IP literals; `localhost` is
    // not named, so it is treated like any other host (UNCONFIRMED).
    let port_ok = is_loopback_ip(callback)
        || candidate.port_or_known_default() == callback.port_or_known_default();
    host_ok && port_ok && path_within(callback.path(), candidate.path())
}

fn is_loopback_ip(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        _ => false,
    }
}

/// "The callback path or below it", by whole segments: `/path/subdir` is
/// below `/path`, `/pathology` is not. (`Url` has already resolved `..`.)
fn path_within(base: &str, path: &str) -> bool {
    if path == base {
        return true;
    }
    let base = base.trim_end_matches('/');
    path.strip_prefix(base)
        .is_some_and(|rest| rest.starts_with('/'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(callback: &str, candidate: &str) -> bool {
        allowed(
            &Url::parse(callback).unwrap(),
            &Url::parse(candidate).unwrap(),
        )
    }

    #[test]
    fn docs_examples() {
        let cb = "http://example.com/path";
        assert!(ok(cb, "http://example.com/path"));
        assert!(ok(cb, "http://example.com/path/subdir/other"));
        assert!(ok(cb, "http://oauth.example.com/path"));
        assert!(ok(cb, "http://oauth.example.com/path/subdir/other"));
        assert!(!ok(cb, "http://example.com/bar"));
        assert!(!ok(cb, "http://example.com/"));
        assert!(!ok(cb, "http://example.com:8080/path"));
        assert!(!ok(cb, "http://oauth.example.com:8080/path"));
        assert!(!ok(cb, "http://example.org"));
    }

    #[test]
    fn loopback_any_port() {
        assert!(ok("http://127.0.0.1/path", "http://127.0.0.1:1234/path"));
        assert!(ok("http://[::1]:80/cb", "http://[::1]:5555/cb/x"));
        assert!(!ok("http://127.0.0.1/path", "http://127.0.0.1:1234/other"));
        assert!(!ok("http://localhost:3000/cb", "http://localhost:3001/cb"));
    }

    #[test]
    fn segments_and_tricks() {
        let cb = "http://example.com/path";
        assert!(!ok(cb, "http://example.com/pathology"));
        assert!(!ok(cb, "http://example.com/path/../bar"));
        assert!(!ok(cb, "http://badexample.com/path"));
        assert!(!ok(cb, "https://example.com/path"));
        assert!(ok("http://example.com/", "http://example.com/anything"));
    }
}
