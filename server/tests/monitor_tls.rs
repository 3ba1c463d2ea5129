//! The TLS certificate check of the monitors against real local TLS servers: chains made
//! with rcgen at test time (a test root, intermediates, leaves), served by tokio-rustls with
//! the certificate picked by SNI.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::monitors::tls::{
    days_between, inspect, CertificateInfo, CertificateReport, Problem, TrustRoots,
};
use chrono::{DateTime, TimeDelta, Utc};
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TIMEOUT: Duration = Duration::from_secs(5);
const ROOT: &str = "Caretaker Test Root";
const INTERMEDIATE: &str = "Caretaker Test Intermediate";

/// The moment every test judges at, in whole seconds (certificates hold no fractions).
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp(), 0).unwrap()
}

fn days(n: i64) -> TimeDelta {
    TimeDelta::days(n)
}

fn date(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn params(
    common_name: &str,
    names: &[&str],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    ca: bool,
) -> CertificateParams {
    let names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    let mut params = CertificateParams::new(names).unwrap();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params
        .distinguished_name
        .push(DnType::CommonName, common_name);
    params.not_before = time::OffsetDateTime::from_unix_timestamp(from.timestamp()).unwrap();
    params.not_after = time::OffsetDateTime::from_unix_timestamp(to.timestamp()).unwrap();
    if ca {
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    }
    params
}

/// A certificate authority that can sign others.
struct Authority {
    der: CertificateDer<'static>,
    pem: String,
    issuer: Issuer<'static, KeyPair>,
}

impl Authority {
    fn root(name: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Authority {
        let key = KeyPair::generate().unwrap();
        let params = params(name, &[], from, to, true);
        let certificate = params.self_signed(&key).unwrap();
        Authority {
            der: certificate.der().clone(),
            pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    fn intermediate(&self, name: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> Authority {
        let key = KeyPair::generate().unwrap();
        let params = params(name, &[], from, to, true);
        let certificate = params.signed_by(&key, &self.issuer).unwrap();
        Authority {
            der: certificate.der().clone(),
            pem: certificate.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    /// A leaf for `names` (its common name is the first), served with `chain` after it.
    fn leaf(
        &self,
        names: &[&str],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        chain: &[&Authority],
    ) -> Arc<CertifiedKey> {
        let key = KeyPair::generate().unwrap();
        let certificate = params(names[0], names, from, to, false)
            .signed_by(&key, &self.issuer)
            .unwrap();
        let mut served = vec![certificate.der().clone()];
        served.extend(chain.iter().map(|a| a.der.clone()));
        certified(served, &key)
    }
}

fn certified(chain: Vec<CertificateDer<'static>>, key: &KeyPair) -> Arc<CertifiedKey> {
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Arc::new(CertifiedKey::from_der(chain, key, &rustls::crypto::ring::default_provider()).unwrap())
}

fn self_signed(name: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> (Arc<CertifiedKey>, String) {
    let key = KeyPair::generate().unwrap();
    let certificate = params(name, &[name], from, to, false)
        .self_signed(&key)
        .unwrap();
    (
        certified(vec![certificate.der().clone()], &key),
        certificate.pem(),
    )
}

/// Picks the certificate by SNI, falls back to the first one, and remembers the SNI of
/// every handshake.
#[derive(Debug)]
struct ByName {
    by_name: HashMap<String, Arc<CertifiedKey>>,
    default: Arc<CertifiedKey>,
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

impl ResolvesServerCert for ByName {
    fn resolve(&self, hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        let sni = hello.server_name().map(str::to_owned);
        self.seen.lock().unwrap().push(sni.clone());
        Some(
            sni.and_then(|name| self.by_name.get(&name).cloned())
                .unwrap_or_else(|| self.default.clone()),
        )
    }
}

struct Server {
    address: SocketAddr,
    /// The SNI of each handshake (None: the client sent none).
    seen: Arc<Mutex<Vec<Option<String>>>>,
}

/// Serves TLS on 127.0.0.1 with these certificates, each for its name; the first is the
/// default for an unknown or missing SNI.
async fn serve(certificates: Vec<(&str, Arc<CertifiedKey>)>) -> Server {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let resolver = ByName {
        default: certificates[0].1.clone(),
        by_name: certificates
            .into_iter()
            .map(|(name, key)| (name.to_owned(), key))
            .collect(),
        seen: seen.clone(),
    };
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_cert_resolver(Arc::new(resolver));
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                if let Ok(mut tls) = acceptor.accept(tcp).await {
                    let mut byte = [0u8; 1];
                    let _ = tls.read(&mut byte).await;
                }
            });
        }
    });
    Server { address, seen }
}

/// A root, an intermediate under it (both valid for years), and roots trusting that root only.
fn authorities(now: DateTime<Utc>) -> (Authority, Authority, TrustRoots) {
    let root = Authority::root(ROOT, now - days(30), now + days(3650));
    let intermediate = root.intermediate(INTERMEDIATE, now - days(30), now + days(1825));
    let roots = TrustRoots::empty()
        .with_extra_pem(root.pem.as_bytes())
        .unwrap();
    (root, intermediate, roots)
}

async fn check(
    server: &Server,
    name: &str,
    roots: &TrustRoots,
    now: DateTime<Utc>,
) -> CertificateReport {
    inspect(server.address, name, roots, TIMEOUT, now)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_valid_certificate_has_no_problem_and_its_days_left() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["right.test"],
        now - days(1),
        now + days(90),
        &[&intermediate],
    );
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.problems, vec![]);
    assert!(report.trusted);
    assert_eq!(report.problem_sentence(), None);
    assert_eq!(report.days_left, 90);
    assert_eq!(report.first_expiring, "right.test");
    assert_eq!(report.first_expiry, now + days(90));
    let subjects: Vec<&str> = report.chain.iter().map(|c| c.subject.as_str()).collect();
    assert_eq!(subjects, ["right.test", INTERMEDIATE]);
    assert_eq!(report.chain[0].issuer, INTERMEDIATE);
    assert_eq!(report.chain[1].issuer, ROOT);
    assert_eq!(report.chain[0].names, ["right.test"]);
    assert_eq!(
        report.summary(),
        format!(
            "The certificate of right.test expires in 90 days ({}).",
            date(now + days(90))
        )
    );
}

#[tokio::test]
async fn a_certificate_expiring_in_five_days_says_so_without_a_problem() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["right.test"],
        now - days(85),
        now + days(5),
        &[&intermediate],
    );
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.days_left, 5);
    assert_eq!(report.problems, vec![]);
    assert_eq!(
        report.summary(),
        format!(
            "The certificate of right.test expires in 5 days ({}).",
            date(now + days(5))
        )
    );
    // A few hours later it is 4 whole days: rounded down.
    let report = check(&server, "right.test", &roots, now + TimeDelta::hours(3)).await;
    assert_eq!(report.days_left, 4);
}

#[tokio::test]
async fn an_expired_certificate_is_read_and_reported() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["right.test"],
        now - days(93),
        now - days(3),
        &[&intermediate],
    );
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.days_left, -3);
    assert_eq!(report.first_expiring, "right.test");
    assert_eq!(
        report.problems,
        vec![Problem::Expired {
            subject: "right.test".to_owned(),
            on: now - days(3),
        }]
    );
    // From a trusted authority: only the date is wrong.
    assert!(report.trusted);
    let sentence = format!(
        "The certificate of right.test expired on {}.",
        date(now - days(3))
    );
    assert_eq!(
        report.problem_sentence().as_deref(),
        Some(sentence.as_str())
    );
    assert_eq!(report.summary(), sentence);
}

#[tokio::test]
async fn a_self_signed_certificate_is_read_and_reported() {
    let now = now();
    let (_root, _intermediate, roots) = authorities(now);
    let (leaf, pem) = self_signed("right.test", now - days(1), now + days(365));
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.problems, vec![Problem::SelfSigned]);
    assert!(!report.trusted);
    assert_eq!(report.chain.len(), 1);
    assert_eq!(report.chain[0].subject, "right.test");
    assert_eq!(report.chain[0].issuer, "right.test");
    assert_eq!(report.days_left, 365);
    assert_eq!(report.summary(), "The certificate is self-signed.");

    // Once the admin trusts that very certificate, it is fine.
    let trusting = roots.with_extra_pem(pem.as_bytes()).unwrap();
    let report = check(&server, "right.test", &trusting, now).await;
    assert_eq!(report.problems, vec![]);
    assert!(report.trusted);
}

#[tokio::test]
async fn an_expired_intermediate_under_a_valid_leaf_is_named_and_expires_first() {
    let now = now();
    let (root, _intermediate, roots) = authorities(now);
    let stale = root.intermediate(INTERMEDIATE, now - days(400), now - days(10));
    let leaf = stale.leaf(&["right.test"], now - days(1), now + days(60), &[&stale]);
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.first_expiring, INTERMEDIATE);
    assert_eq!(report.first_expiry, now - days(10));
    assert_eq!(report.days_left, -10);
    assert_eq!(
        report.problems,
        vec![Problem::Expired {
            subject: INTERMEDIATE.to_owned(),
            on: now - days(10),
        }]
    );
    // Never all in date at once: webpki cannot tell whether the chain is trusted.
    assert!(!report.trusted);
    assert_eq!(
        report.summary(),
        format!(
            "The intermediate certificate \"{INTERMEDIATE}\" expired on {}.",
            date(now - days(10))
        )
    );
}

#[tokio::test]
async fn an_intermediate_expiring_before_the_leaf_sets_the_days_left() {
    let now = now();
    let (root, _intermediate, roots) = authorities(now);
    let short = root.intermediate(INTERMEDIATE, now - days(300), now + days(20));
    let leaf = short.leaf(&["right.test"], now - days(1), now + days(90), &[&short]);
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.days_left, 20);
    assert_eq!(report.first_expiring, INTERMEDIATE);
    assert_eq!(
        report.summary(),
        format!(
            "The intermediate certificate \"{INTERMEDIATE}\" expires in 20 days ({}), before \
             the certificate of right.test.",
            date(now + days(20))
        )
    );
}

#[tokio::test]
async fn sni_is_sent_and_a_certificate_for_another_name_is_a_mismatch() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let other = intermediate.leaf(
        &["other.test"],
        now - days(1),
        now + days(90),
        &[&intermediate],
    );
    let right = intermediate.leaf(
        &["right.test"],
        now - days(1),
        now + days(90),
        &[&intermediate],
    );
    let server = serve(vec![("other.test", other), ("right.test", right)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(report.problems, vec![]);
    assert_eq!(report.chain[0].subject, "right.test");

    let report = check(&server, "wrong.test", &roots, now).await;
    assert_eq!(report.chain[0].subject, "other.test");
    assert_eq!(
        report.problems,
        vec![Problem::NameMismatch {
            expected: "wrong.test".to_owned(),
            presented: vec!["other.test".to_owned()],
        }]
    );
    // The chain itself is fine: only the name is wrong.
    assert!(report.trusted);
    assert_eq!(
        report.summary(),
        "The certificate is for other.test, not wrong.test."
    );

    // An IP address is not sent as SNI.
    let report = check(&server, "127.0.0.1", &roots, now).await;
    assert_eq!(report.chain[0].subject, "other.test");
    assert_eq!(
        report.summary(),
        "The certificate is for other.test, not 127.0.0.1."
    );

    let seen = server.seen.lock().unwrap().clone();
    assert_eq!(
        seen,
        [
            Some("right.test".to_owned()),
            Some("wrong.test".to_owned()),
            None
        ]
    );
}

#[tokio::test]
async fn wildcards_and_ip_addresses_match_like_browsers() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["*.example.test", "127.0.0.1"],
        now - days(1),
        now + days(90),
        &[&intermediate],
    );
    let server = serve(vec![("a.example.test", leaf)]).await;

    for name in ["a.example.test", "b.example.test", "127.0.0.1"] {
        let report = check(&server, name, &roots, now).await;
        assert_eq!(report.problems, vec![], "{name}");
    }
    // A wildcard covers one label only.
    let report = check(&server, "a.b.example.test", &roots, now).await;
    assert_eq!(
        report.summary(),
        "The certificate is for *.example.test or 127.0.0.1, not a.b.example.test."
    );
}

#[tokio::test]
async fn a_certificate_from_an_unknown_authority_is_untrusted() {
    let now = now();
    let (_root, intermediate, _roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["right.test"],
        now - days(1),
        now + days(90),
        &[&intermediate],
    );
    let server = serve(vec![("right.test", leaf)]).await;

    // Mozilla's and the system's roots do not know the test root.
    let report = check(&server, "right.test", &TrustRoots::system(), now).await;
    assert!(!report.trusted);
    assert_eq!(
        report.summary(),
        format!(
            "The certificate is not trusted: \"{ROOT}\" is not a trusted certificate authority."
        )
    );
}

#[tokio::test]
async fn an_expired_certificate_from_an_unknown_authority_says_both() {
    let now = now();
    let (_root, intermediate, _roots) = authorities(now);
    let leaf = intermediate.leaf(
        &["right.test"],
        now - days(93),
        now - days(3),
        &[&intermediate],
    );
    let server = serve(vec![("right.test", leaf)]).await;
    let stranger = Authority::root("Another Root", now - days(30), now + days(3650));
    let strangers = TrustRoots::empty()
        .with_extra_pem(stranger.pem.as_bytes())
        .unwrap();

    let report = check(&server, "right.test", &strangers, now).await;
    assert!(!report.trusted);
    assert_eq!(
        report.summary(),
        format!(
            "The certificate of right.test expired on {}, and the certificate is not trusted: \
             \"{ROOT}\" is not a trusted certificate authority.",
            date(now - days(3))
        )
    );
}

#[tokio::test]
async fn a_missing_intermediate_is_untrusted() {
    let now = now();
    let (_root, intermediate, roots) = authorities(now);
    let leaf = intermediate.leaf(&["right.test"], now - days(1), now + days(90), &[]);
    let server = serve(vec![("right.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert!(!report.trusted);
    assert_eq!(report.chain.len(), 1);
    assert_eq!(
        report.summary(),
        format!(
            "The certificate is not trusted: \"{INTERMEDIATE}\" is not a trusted certificate \
             authority (or the server does not send its intermediate certificate)."
        )
    );
}

#[tokio::test]
async fn several_problems_make_one_sentence() {
    let now = now();
    let (_root, _intermediate, roots) = authorities(now);
    let (leaf, _) = self_signed("other.test", now - days(100), now - days(2));
    let server = serve(vec![("other.test", leaf)]).await;

    let report = check(&server, "right.test", &roots, now).await;
    assert_eq!(
        report.problems,
        vec![
            Problem::Expired {
                subject: "other.test".to_owned(),
                on: now - days(2),
            },
            Problem::SelfSigned,
            Problem::NameMismatch {
                expected: "right.test".to_owned(),
                presented: vec!["other.test".to_owned()],
            },
        ]
    );
    assert_eq!(
        report.summary(),
        format!(
            "The certificate of right.test expired on {}; the certificate is self-signed; and \
             the certificate is for other.test, not right.test.",
            date(now - days(2))
        )
    );
}

#[tokio::test]
async fn a_silent_listener_fails_within_the_timeout() {
    // Bound but never accepting: the kernel completes TCP, nobody speaks TLS.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let started = Instant::now();
    let error = inspect(
        address,
        "right.test",
        &TrustRoots::empty(),
        Duration::from_millis(300),
        now(),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(
        error,
        format!(
            "The server at {address} accepted the connection but did not complete a TLS \
             handshake within 300 ms."
        )
    );
    drop(listener);
}

#[tokio::test]
async fn nothing_listening_and_plain_http_are_plain_sentences() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let closed = listener.local_addr().unwrap();
    drop(listener);
    let error = inspect(closed, "right.test", &TrustRoots::empty(), TIMEOUT, now())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        format!("Nothing is listening on {closed} (the connection was refused).")
    );

    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let http = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.unwrap();
        let _ = tcp
            .write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            .await;
        let _ = tcp.shutdown().await;
    });
    let error = inspect(http, "right.test", &TrustRoots::empty(), TIMEOUT, now())
        .await
        .unwrap_err();
    assert_eq!(
        error,
        format!("The server at {http} does not speak TLS: its answer is not a TLS message.")
    );
}

#[test]
fn days_left_round_down() {
    let now = now();
    assert_eq!(days_between(now, now + days(5)), 5);
    assert_eq!(days_between(now, now + days(5) - TimeDelta::seconds(1)), 4);
    assert_eq!(days_between(now, now), 0);
    assert_eq!(days_between(now, now - TimeDelta::hours(12)), -1);
    assert_eq!(days_between(now, now - days(3)), -3);
}

#[test]
fn sentences_for_the_last_day_and_a_not_yet_valid_root() {
    let now = now();
    let info = |subject: &str, issuer: &str, to: DateTime<Utc>| CertificateInfo {
        subject: subject.to_owned(),
        issuer: issuer.to_owned(),
        not_before: now - days(10),
        not_after: to,
        names: vec![],
        self_issued: subject == issuer,
    };
    let mut report = CertificateReport {
        server_name: "example.org".to_owned(),
        chain: vec![
            info("example.org", INTERMEDIATE, now + TimeDelta::hours(20)),
            info(INTERMEDIATE, ROOT, now + days(300)),
            info(ROOT, ROOT, now + days(900)),
        ],
        first_expiry: now + TimeDelta::hours(20),
        first_expiring: "example.org".to_owned(),
        days_left: 0,
        trusted: true,
        problems: vec![],
    };
    assert_eq!(
        report.summary(),
        format!(
            "The certificate of example.org expires within a day ({}).",
            date(now + TimeDelta::hours(20))
        )
    );
    report.days_left = 1;
    assert!(report.summary().contains(" expires in 1 day ("));

    report.problems = vec![
        Problem::NotYetValid {
            subject: ROOT.to_owned(),
            from: now + days(2),
        },
        Problem::Untrusted {
            reason: "a signature in its chain does not verify".to_owned(),
        },
    ];
    assert_eq!(
        report.summary(),
        format!(
            "The root certificate \"{ROOT}\" is not valid before {}, and the certificate is not \
             trusted: a signature in its chain does not verify.",
            date(now + days(2))
        )
    );
}
