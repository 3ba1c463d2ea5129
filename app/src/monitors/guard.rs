//! Where a monitor may connect: `http`/`https` URLs and TCP `host:port`, never link-local
//! or cloud metadata addresses (unless the monitor allows link-local explicitly).
//!
//! Names are checked after they are resolved, by the resolver every connection goes
//! through (so a name that points at 169.254.169.254 is refused too), and literal
//! addresses are checked before the request and at every redirect, where no resolver runs.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::Url;

/// Addresses of cloud instance metadata services outside 169.254.0.0/16: AWS's IPv6 one
/// and Alibaba Cloud's.
const METADATA: [IpAddr; 2] = [
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
];

/// Why an address is refused, or `None` when a monitor may reach it.
pub fn refused(address: IpAddr, allow_link_local: bool) -> Option<String> {
    let address = address.to_canonical();
    if METADATA.contains(&address) || address == IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)) {
        return Some(format!(
            "{address} is a cloud metadata address, which monitors may not reach."
        ));
    }
    let link_local = match address {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => (v6.segments()[0] & 0xffc0) == 0xfe80,
    };
    (link_local && !allow_link_local).then(|| {
        format!(
            "{address} is a link-local address, which monitors may reach only when the monitor allows link-local addresses."
        )
    })
}

/// Checks a monitor URL: `http` or `https` with a host, and no refused literal address.
pub fn check_url(text: &str, allow_link_local: bool) -> Result<Url, String> {
    let url = Url::parse(text.trim()).map_err(|error| {
        format!("\"{text}\" is not a URL ({error}). Write it like https://example.org/health.")
    })?;
    check_parsed(&url, allow_link_local)?;
    Ok(url)
}

fn check_parsed(url: &Url, allow_link_local: bool) -> Result<(), String> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!(
            "Monitors check http and https URLs only, not {}:.",
            url.scheme()
        ));
    }
    let address = match url.host() {
        None => return Err("The URL has no host name.".to_owned()),
        Some(url::Host::Domain(_)) => return Ok(()),
        Some(url::Host::Ipv4(v4)) => IpAddr::V4(v4),
        Some(url::Host::Ipv6(v6)) => IpAddr::V6(v6),
    };
    refused(address, allow_link_local).map_or(Ok(()), Err)
}

/// Resolves `host` and keeps the addresses a monitor may reach; an error says why none.
pub async fn resolve(
    host: &str,
    port: u16,
    allow_link_local: bool,
) -> Result<Vec<SocketAddr>, String> {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    let found: Vec<SocketAddr> = match tokio::net::lookup_host((host, port)).await {
        Ok(found) => found.collect(),
        Err(error) => return Err(format!("{host} could not be resolved: {error}.")),
    };
    let mut why = None;
    let allowed: Vec<SocketAddr> = found
        .into_iter()
        .filter(|address| match refused(address.ip(), allow_link_local) {
            Some(reason) => {
                why = Some(reason);
                false
            }
            None => true,
        })
        .collect();
    match (allowed.is_empty(), why) {
        (false, _) => Ok(allowed),
        (true, Some(why)) => Err(format!("{host} resolves to {why}")),
        (true, None) => Err(format!("{host} resolves to no address.")),
    }
}

/// The resolver of monitor HTTP clients: every name is vetted with [`resolve`].
struct GuardedResolver {
    allow_link_local: bool,
}

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let allow = self.allow_link_local;
        Box::pin(async move {
            let addresses = resolve(name.as_str(), 0, allow)
                .await
                .map_err(|why| -> Box<dyn std::error::Error + Send + Sync> { why.into() })?;
            let addresses: reqwest::dns::Addrs = Box::new(addresses.into_iter());
            Ok(addresses)
        })
    }
}

/// Which redirects a monitor's HTTP client follows.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Redirects {
    None,
    /// To any vetted URL.
    Any,
    /// Only within the first URL's origin (scheme, host and port): for requests carrying
    /// secret headers, which must never be sent to another server.
    SameOrigin,
}

/// Redirects hop to vetted URLs only, at most ten times.
fn redirect_policy(redirects: Redirects, allow_link_local: bool) -> reqwest::redirect::Policy {
    if redirects == Redirects::None {
        return reqwest::redirect::Policy::none();
    }
    reqwest::redirect::Policy::custom(move |attempt| {
        if attempt.previous().len() >= 10 {
            return attempt.error("more than 10 redirects");
        }
        if let Err(why) = check_parsed(attempt.url(), allow_link_local) {
            return attempt.error(format!("redirected to a refused address: {why}"));
        }
        let first = attempt.previous().first().map(Url::origin);
        if redirects == Redirects::SameOrigin
            && first.is_some_and(|first| first != attempt.url().origin())
        {
            let to = attempt.url().origin().ascii_serialization();
            return attempt.error(format!(
                "redirected to another server ({to}); the monitor's secret headers are never sent to another server, so point the monitor at the final address"
            ));
        }
        attempt.follow()
    })
}

/// The HTTP clients monitors and notices use: one per combination of redirect policy and
/// "allow link-local", shared by every monitor (one connection pool each). They ignore
/// `HTTP_PROXY` and friends: a check measures the target, and a proxy would also see the
/// secret headers.
#[derive(Clone)]
pub struct HttpClients {
    clients: Arc<[reqwest::Client; 6]>,
}

impl HttpClients {
    pub fn new() -> Result<Self, String> {
        let build = |redirects: Redirects, allow: bool| {
            reqwest::Client::builder()
                .user_agent(concat!("caretaker-monitor/", env!("CARGO_PKG_VERSION")))
                .dns_resolver(Arc::new(GuardedResolver {
                    allow_link_local: allow,
                }))
                .redirect(redirect_policy(redirects, allow))
                .no_proxy()
                .pool_max_idle_per_host(4)
                .build()
                .map_err(|error| format!("The HTTP client could not be built: {error}"))
        };
        Ok(Self {
            clients: Arc::new([
                build(Redirects::None, false)?,
                build(Redirects::None, true)?,
                build(Redirects::Any, false)?,
                build(Redirects::Any, true)?,
                build(Redirects::SameOrigin, false)?,
                build(Redirects::SameOrigin, true)?,
            ]),
        })
    }

    pub fn get(&self, redirects: Redirects, allow_link_local: bool) -> &reqwest::Client {
        let policy = match redirects {
            Redirects::None => 0,
            Redirects::Any => 1,
            Redirects::SameOrigin => 2,
        };
        &self.clients[policy * 2 + usize::from(allow_link_local)]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_and_link_local_addresses_are_refused() {
        for address in [
            "169.254.169.254",
            "169.254.1.1",
            "fd00:ec2::254",
            "100.100.100.200",
            "fe80::1",
            "::ffff:169.254.169.254",
        ] {
            let address: IpAddr = address.parse().unwrap();
            assert!(refused(address, false).is_some(), "{address} was allowed");
        }
        assert!(refused("169.254.169.254".parse().unwrap(), true).is_some());
        assert!(refused("169.254.1.1".parse().unwrap(), true).is_none());
        for address in [
            "127.0.0.1",
            "10.0.0.5",
            "192.168.1.1",
            "::1",
            "93.184.216.34",
        ] {
            assert_eq!(refused(address.parse().unwrap(), false), None, "{address}");
        }
    }

    #[test]
    fn only_http_urls_with_allowed_hosts_pass() {
        assert!(check_url("https://example.org/health", false).is_ok());
        assert!(check_url("http://127.0.0.1:8080/", false).is_ok());
        let file = check_url("file:///etc/passwd", false).unwrap_err();
        assert!(file.contains("http and https URLs only"), "{file}");
        assert!(check_url("gopher://example.org/", false).is_err());
        assert!(check_url("http://169.254.169.254/latest/meta-data/", false).is_err());
        // The same address written as one decimal number.
        assert!(check_url("http://2852039166/", false).is_err());
        assert!(check_url("http://[fd00:ec2::254]/", false).is_err());
        assert!(check_url("not a url", false).is_err());
    }
}
