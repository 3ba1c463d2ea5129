//! TLS certificate checks: reads the whole served chain (even expired, self-signed or
//! misnamed) and says in plain words when it expires and what is wrong with it.

use std::fmt::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::client::{verify_server_name, WebPkiServerVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, WebPkiSupportedAlgorithms};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::server::ParsedCertificate;
use rustls::{CertificateError, DigitallySignedStruct, RootCertStore, SignatureScheme};
use tokio::net::TcpStream;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;
use x509_parser::x509::X509Name;

/// Trusted roots: Mozilla's (webpki-roots) + the system's (rustls-native-certs; it honours
/// `SSL_CERT_FILE`) + optional extra PEM file(s).
#[derive(Clone)]
pub struct TrustRoots(Arc<RootCertStore>);

impl std::fmt::Debug for TrustRoots {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TrustRoots({} roots)", self.0.len())
    }
}

impl TrustRoots {
    /// Mozilla's roots and the system's. Reads files: call it once at startup, not per check.
    /// A system store that cannot be read is logged, not fatal: Mozilla's roots remain.
    pub fn system() -> TrustRoots {
        let mut store = RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let native = rustls_native_certs::load_native_certs();
        for error in &native.errors {
            tracing::warn!(%error, "a system root certificate store could not be read");
        }
        let (added, ignored) = store.add_parsable_certificates(native.certs);
        tracing::debug!(
            added,
            ignored,
            total = store.len(),
            "trusted roots for certificate checks"
        );
        TrustRoots(Arc::new(store))
    }

    /// No root at all: only what `with_extra_pem` adds is trusted (tests, private networks).
    pub fn empty() -> TrustRoots {
        TrustRoots(Arc::new(RootCertStore::empty()))
    }

    /// Also trusts every certificate in `pem` (a private CA, or tests' own).
    pub fn with_extra_pem(self, pem: &[u8]) -> Result<TrustRoots, String> {
        let mut store = Arc::unwrap_or_clone(self.0);
        let mut count = 0;
        for (index, certificate) in CertificateDer::pem_slice_iter(pem).enumerate() {
            let certificate = certificate.map_err(|e| {
                format!(
                    "Certificate {} of the PEM text cannot be read: {e}.",
                    index + 1
                )
            })?;
            store.add(certificate).map_err(|e| {
                format!(
                    "Certificate {} of the PEM text cannot be used as a root: {e}.",
                    index + 1
                )
            })?;
            count += 1;
        }
        if count == 0 {
            return Err("The PEM text holds no certificate.".to_owned());
        }
        Ok(TrustRoots(Arc::new(store)))
    }

    /// `with_extra_pem` with the content of a file.
    pub fn with_extra_pem_file(self, path: &Path) -> Result<TrustRoots, String> {
        let pem = std::fs::read(path)
            .map_err(|e| format!("The file {} cannot be read: {e}.", path.display()))?;
        self.with_extra_pem(&pem)
            .map_err(|e| format!("In {}: {e}", path.display()))
    }

    /// How many roots are trusted.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether no root is trusted at all.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// One certificate of the served chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateInfo {
    /// The subject's common name, or the whole distinguished name when it has none, or the
    /// first of `names` when the subject is empty.
    pub subject: String,
    /// The issuer's common name, or the whole distinguished name when it has none.
    pub issuer: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    /// Host names and IP addresses of the subject alternative name extension.
    pub names: Vec<String>,
    /// Subject and issuer are the same name (a root, or a self-signed leaf).
    pub self_issued: bool,
}

/// Something an admin has to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// A certificate of the served chain (leaf, intermediate or root) is past its end date.
    Expired { subject: String, on: DateTime<Utc> },
    /// A certificate of the served chain is not valid yet.
    NotYetValid {
        subject: String,
        from: DateTime<Utc>,
    },
    /// The leaf signed itself and no trusted root vouches for it (a self-signed certificate
    /// the admin added to the trusted roots is no problem).
    SelfSigned,
    /// The chain does not lead to a trusted root, for `reason` (a clause, e.g. "\"Test Root\"
    /// is not a trusted certificate authority").
    Untrusted { reason: String },
    /// The leaf is not valid for the name asked for; `presented` are the names it holds.
    NameMismatch {
        expected: String,
        presented: Vec<String>,
    },
}

/// What an admin needs to know about a server's certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CertificateReport {
    /// The name asked for (sent as SNI unless an IP address).
    pub server_name: String,
    /// As served, leaf first.
    pub chain: Vec<CertificateInfo>,
    /// Earliest `not_after` over the whole served chain.
    pub first_expiry: DateTime<Utc>,
    /// Subject of that certificate.
    pub first_expiring: String,
    /// Whole days from `now` to `first_expiry`, rounded down: negative once past.
    pub days_left: i64,
    /// The served chain leads to a trusted root. Dates and name are judged apart (see
    /// `problems`): an expired certificate from a trusted authority is still trusted. A chain
    /// whose certificates were never all in date at once cannot be checked: false.
    pub trusted: bool,
    /// Empty when nothing is wrong.
    pub problems: Vec<Problem>,
}

impl CertificateReport {
    /// One plain sentence for the admin: the problems when there are any, else when the
    /// certificate expires, e.g. "The certificate of example.org expires in 5 days
    /// (2026-11-27)."
    pub fn summary(&self) -> String {
        if let Some(problems) = self.problem_sentence() {
            return problems;
        }
        let when = match self.days_left {
            ..=0 => "within a day".to_owned(),
            1 => "in 1 day".to_owned(),
            days => format!("in {days} days"),
        };
        let date = self.first_expiry.format("%Y-%m-%d");
        match self.position_of(&self.first_expiring) {
            Some(0) | None => format!(
                "The certificate of {} expires {when} ({date}).",
                self.server_name
            ),
            Some(_) => format!(
                "{} expires {when} ({date}), before the certificate of {}.",
                capitalise(&self.describe(&self.first_expiring)),
                self.server_name
            ),
        }
    }

    /// None when nothing is wrong (trusted, in date, right name); else one sentence naming
    /// every problem.
    pub fn problem_sentence(&self) -> Option<String> {
        let clauses: Vec<String> = self
            .problems
            .iter()
            .map(|problem| match problem {
                Problem::Expired { subject, on } => format!(
                    "{} expired on {}",
                    self.describe(subject),
                    on.format("%Y-%m-%d")
                ),
                Problem::NotYetValid { subject, from } => format!(
                    "{} is not valid before {}",
                    self.describe(subject),
                    from.format("%Y-%m-%d")
                ),
                Problem::SelfSigned => "the certificate is self-signed".to_owned(),
                Problem::Untrusted { reason } => {
                    format!("the certificate is not trusted: {reason}")
                }
                Problem::NameMismatch {
                    expected,
                    presented,
                } if presented.is_empty() => format!(
                    "the certificate names no host (only a subject alternative name counts), \
                     so it is not valid for {expected}"
                ),
                Problem::NameMismatch {
                    expected,
                    presented,
                } => format!(
                    "the certificate is for {}, not {expected}",
                    or_list(presented)
                ),
            })
            .collect();
        let (last, rest) = clauses.split_last()?;
        let mut sentence = rest.join("; ");
        if !rest.is_empty() {
            sentence.push_str(if rest.len() > 1 { "; and " } else { ", and " });
        }
        sentence.push_str(last);
        Some(format!("{}.", capitalise(&sentence)))
    }

    fn position_of(&self, subject: &str) -> Option<usize> {
        self.chain.iter().position(|c| c.subject == subject)
    }

    /// "the certificate of example.org", "the intermediate certificate \"X\"", ...
    fn describe(&self, subject: &str) -> String {
        match self.position_of(subject) {
            Some(0) | None => format!("the certificate of {}", self.server_name),
            Some(index) if self.chain[index].self_issued => {
                format!("the root certificate \"{subject}\"")
            }
            Some(_) => format!("the intermediate certificate \"{subject}\""),
        }
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// "a", "a or b", "a, b or c".
fn or_list(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [only] => only.clone(),
        [rest @ .., last] => format!("{} or {last}", rest.join(", ")),
    }
}

/// Every certificate of a PEM text, in order (a chain file: the leaf first). Errors are
/// plain sentences completing "The file …".
pub fn read_pem_chain(pem: &[u8]) -> Result<Vec<CertificateInfo>, String> {
    let mut chain = Vec::new();
    for (index, der) in CertificateDer::pem_slice_iter(pem).enumerate() {
        let der =
            der.map_err(|e| format!("holds certificate {} that cannot be read: {e}", index + 1))?;
        let (_, certificate) = x509_parser::parse_x509_certificate(&der)
            .map_err(|e| format!("holds certificate {} that cannot be read: {e}", index + 1))?;
        chain.push(info(&certificate)?);
    }
    if chain.is_empty() {
        return Err("holds no PEM certificate".to_owned());
    }
    Ok(chain)
}

/// Whole days from `now` to `then`, rounded down (12 hours past is -1, not 0).
pub fn days_between(now: DateTime<Utc>, then: DateTime<Utc>) -> i64 {
    (then - now).num_seconds().div_euclid(86_400)
}

/// Connects to `address` (already resolved and vetted by the caller), sends SNI
/// `server_name` unless it is an IP literal, completes the handshake whatever the
/// certificate, reads the served chain and judges it as of `now`.
///
/// Errors are plain sentences ("Nothing answered on 127.0.0.1:443 within 10 s.").
#[tracing::instrument(skip_all, fields(%address, server_name))]
pub async fn inspect(
    address: SocketAddr,
    server_name: &str,
    roots: &TrustRoots,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Result<CertificateReport, String> {
    let name = parse_server_name(server_name)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    // With no root at all webpki refuses to build: then nothing is trusted.
    let webpki = if roots.is_empty() {
        None
    } else {
        let builder =
            WebPkiServerVerifier::builder_with_provider(roots.0.clone(), provider.clone());
        Some(
            builder
                .build()
                .map_err(|e| format!("The trusted roots cannot be used: {e}."))?,
        )
    };
    let verifier = Arc::new(RecordingVerifier {
        webpki,
        algorithms: provider.signature_verification_algorithms,
        now: UnixTime::since_unix_epoch(Duration::from_secs(
            u64::try_from(now.timestamp()).unwrap_or(0),
        )),
        verdict: Mutex::new(None),
    });
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS cannot be set up: {e}."))?
        .dangerous()
        .with_custom_certificate_verifier(verifier.clone())
        .with_no_client_auth();
    // Every check must see the certificate: a resumed session would not send it.
    config.resumption = rustls::client::Resumption::disabled();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));

    let deadline = tokio::time::Instant::now() + timeout;
    let within = format_duration(timeout);
    let tcp = match tokio::time::timeout_at(deadline, TcpStream::connect(address)).await {
        Err(_) => return Err(format!("Nothing answered on {address} within {within}.")),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            return Err(format!(
                "Nothing is listening on {address} (the connection was refused)."
            ))
        }
        Ok(Err(e)) => return Err(format!("Could not connect to {address}: {e}.")),
        Ok(Ok(tcp)) => tcp,
    };
    let tls = match tokio::time::timeout_at(deadline, connector.connect(name.clone(), tcp)).await {
        Err(_) => {
            return Err(format!(
                "The server at {address} accepted the connection but did not complete a TLS \
                 handshake within {within}."
            ))
        }
        Ok(Err(e)) => return Err(handshake_error(address, server_name, &e)),
        Ok(Ok(tls)) => tls,
    };
    let served: Vec<CertificateDer<'static>> = tls
        .get_ref()
        .1
        .peer_certificates()
        .map(|chain| chain.iter().map(|c| c.clone().into_owned()).collect())
        .unwrap_or_default();
    drop(tls);
    if served.is_empty() {
        return Err(format!("The server at {address} sent no certificate."));
    }
    let verdict = verifier
        .verdict
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .take();
    let report = judge(
        server_name,
        &name,
        &served,
        verdict,
        verifier.webpki.as_deref(),
        now,
    )
    .map_err(|e| format!("The server at {address} sent {e}."))?;
    tracing::debug!(
        days_left = report.days_left,
        problems = report.problems.len(),
        "certificate read"
    );
    Ok(report)
}

fn parse_server_name(server_name: &str) -> Result<ServerName<'static>, String> {
    // An IP literal may come in URL brackets; rustls sends no SNI for an IP address.
    let bare = server_name.trim_start_matches('[').trim_end_matches(']');
    if let Ok(ip) = bare.parse::<IpAddr>() {
        return Ok(ServerName::IpAddress(ip.into()));
    }
    ServerName::try_from(server_name.to_owned())
        .map_err(|_| format!("\"{server_name}\" is not a valid host name."))
}

fn format_duration(duration: Duration) -> String {
    if duration.subsec_millis() == 0 {
        format!("{} s", duration.as_secs())
    } else {
        format!("{} ms", duration.as_millis())
    }
}

fn handshake_error(address: SocketAddr, server_name: &str, error: &std::io::Error) -> String {
    let tls_error = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>());
    match tls_error {
        // rustls's own words ("received corrupt message of type InvalidContentType") mean
        // nothing to an admin.
        Some(rustls::Error::InvalidMessage(_)) => {
            format!("The server at {address} does not speak TLS: its answer is not a TLS message.")
        }
        Some(rustls::Error::AlertReceived(alert)) => {
            let why = match alert {
                rustls::AlertDescription::UnrecognisedName => {
                    format!("it has no certificate for {server_name}")
                }
                rustls::AlertDescription::ProtocolVersion => "no TLS version in common".to_owned(),
                rustls::AlertDescription::HandshakeFailure => {
                    "no cipher suite or parameters in common".to_owned()
                }
                other => format!("alert {other:?}"),
            };
            format!("The server at {address} refused the TLS handshake: {why}.")
        }
        Some(other) => format!("The TLS handshake with {address} failed: {other}."),
        None if error.kind() == std::io::ErrorKind::UnexpectedEof => {
            format!("The server at {address} closed the connection during the TLS handshake.")
        }
        None => format!("The TLS handshake with {address} failed: {error}."),
    }
}

/// Accepts any certificate but keeps webpki's real verdict; handshake signatures are still
/// checked, with the provider's algorithms.
#[derive(Debug)]
struct RecordingVerifier {
    /// None when no root is trusted.
    webpki: Option<Arc<WebPkiServerVerifier>>,
    algorithms: WebPkiSupportedAlgorithms,
    /// The pinned time of the check, not the clock: tests judge as of a chosen day.
    now: UnixTime,
    verdict: Mutex<Option<Result<(), rustls::Error>>>,
}

impl ServerCertVerifier for RecordingVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        let verdict = match &self.webpki {
            Some(webpki) => webpki
                .verify_server_cert(
                    end_entity,
                    intermediates,
                    server_name,
                    ocsp_response,
                    self.now,
                )
                .map(|_| ()),
            None => Err(CertificateError::UnknownIssuer.into()),
        };
        *self.verdict.lock().unwrap_or_else(PoisonError::into_inner) = Some(verdict);
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

/// Reads the served chain and lists its problems. The error completes "The server at ... sent".
fn judge(
    server_name: &str,
    name: &ServerName<'_>,
    served: &[CertificateDer<'_>],
    verdict: Option<Result<(), rustls::Error>>,
    webpki: Option<&WebPkiServerVerifier>,
    now: DateTime<Utc>,
) -> Result<CertificateReport, String> {
    let mut parsed = Vec::with_capacity(served.len());
    for (index, der) in served.iter().enumerate() {
        let (_, certificate) = x509_parser::parse_x509_certificate(der).map_err(|e| {
            format!(
                "certificate {} of its chain, which cannot be read: {e}",
                index + 1
            )
        })?;
        parsed.push(certificate);
    }
    let chain: Vec<CertificateInfo> = parsed.iter().map(info).collect::<Result<_, _>>()?;

    let mut problems = Vec::new();
    for certificate in &chain {
        if certificate.not_after < now {
            problems.push(Problem::Expired {
                subject: certificate.subject.clone(),
                on: certificate.not_after,
            });
        } else if certificate.not_before > now {
            problems.push(Problem::NotYetValid {
                subject: certificate.subject.clone(),
                from: certificate.not_before,
            });
        }
    }
    let out_of_date = !problems.is_empty();

    let leaf = &parsed[0];
    let self_signed =
        leaf.subject().as_raw() == leaf.issuer().as_raw() && leaf.verify_signature(None).is_ok();
    let mut verdict = verdict;
    if out_of_date && matches!(&verdict, Some(Err(error)) if is_about_dates(error)) {
        // webpki stops at the first fault. The dates are reported above: ask again as of a
        // moment when every served certificate is in date, so that an expired certificate
        // from an unknown authority says both.
        if let (Some(webpki), Some(at)) = (webpki, moment_all_in_date(&chain)) {
            let again = webpki.verify_server_cert(&served[0], &served[1..], name, &[], at);
            verdict = Some(again.map(|_| ()));
        }
    }
    let (trusted, untrusted_reason) = match &verdict {
        Some(Ok(())) => (true, None),
        Some(Err(rustls::Error::InvalidCertificate(
            CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
        ))) => (true, None),
        Some(Err(error)) if out_of_date && is_about_dates(error) => (false, None),
        Some(Err(rustls::Error::InvalidCertificate(CertificateError::UnknownIssuer)))
            if self_signed =>
        {
            (false, None)
        }
        Some(Err(error)) => (false, Some(untrusted_reason(error, &chain))),
        None => (false, Some("it could not be checked".to_owned())),
    };
    if self_signed && !trusted {
        problems.push(Problem::SelfSigned);
    }
    if let Some(reason) = untrusted_reason {
        problems.push(Problem::Untrusted { reason });
    }
    // webpki checks the name only once the chain is trusted: check it here in every case.
    if let Ok(end_entity) = ParsedCertificate::try_from(&served[0]) {
        if verify_server_name(&end_entity, name).is_err() {
            problems.push(Problem::NameMismatch {
                expected: server_name.to_owned(),
                presented: chain[0].names.clone(),
            });
        }
    }

    let first = chain
        .iter()
        .min_by_key(|c| c.not_after)
        .unwrap_or(&chain[0]);
    Ok(CertificateReport {
        server_name: server_name.to_owned(),
        first_expiry: first.not_after,
        first_expiring: first.subject.clone(),
        days_left: days_between(now, first.not_after),
        trusted,
        problems,
        chain,
    })
}

fn is_about_dates(error: &rustls::Error) -> bool {
    matches!(
        error,
        rustls::Error::InvalidCertificate(
            CertificateError::Expired
                | CertificateError::ExpiredContext { .. }
                | CertificateError::NotValidYet
                | CertificateError::NotValidYetContext { .. }
        )
    )
}

/// The latest `not_before` of the chain, if every certificate is still valid then.
fn moment_all_in_date(chain: &[CertificateInfo]) -> Option<UnixTime> {
    let at = chain.iter().map(|c| c.not_before).max()?;
    let until = chain.iter().map(|c| c.not_after).min()?;
    let seconds = u64::try_from(at.timestamp()).ok()?;
    (at <= until).then(|| UnixTime::since_unix_epoch(Duration::from_secs(seconds)))
}

fn info(certificate: &X509Certificate<'_>) -> Result<CertificateInfo, String> {
    let time = |t: &x509_parser::time::ASN1Time| {
        DateTime::from_timestamp(t.timestamp(), 0)
            .ok_or_else(|| format!("a certificate with an impossible date ({t})"))
    };
    let validity = certificate.validity();
    let mut names = Vec::new();
    if let Ok(Some(san)) = certificate.subject_alternative_name() {
        for general in &san.value.general_names {
            match general {
                GeneralName::DNSName(dns) => names.push((*dns).to_owned()),
                GeneralName::IPAddress(bytes) => {
                    if let Ok(v4) = <[u8; 4]>::try_from(*bytes) {
                        names.push(IpAddr::from(v4).to_string());
                    } else if let Ok(v6) = <[u8; 16]>::try_from(*bytes) {
                        names.push(IpAddr::from(v6).to_string());
                    }
                }
                _ => {}
            }
        }
    }
    // Some leaves have an empty subject (the names are in the extension only).
    let subject = match display_name(certificate.subject()) {
        empty if empty.is_empty() => names.first().cloned().unwrap_or(empty),
        subject => subject,
    };
    Ok(CertificateInfo {
        subject,
        issuer: display_name(certificate.issuer()),
        not_before: time(&validity.not_before)?,
        not_after: time(&validity.not_after)?,
        names,
        self_issued: certificate.subject().as_raw() == certificate.issuer().as_raw(),
    })
}

/// The common name when there is one (what admins recognise), else the whole name.
fn display_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_owned)
        .unwrap_or_else(|| name.to_string())
}

/// A clause completing "the certificate is not trusted: ".
fn untrusted_reason(error: &rustls::Error, chain: &[CertificateInfo]) -> String {
    let rustls::Error::InvalidCertificate(error) = error else {
        return error.to_string();
    };
    match error {
        CertificateError::UnknownIssuer => {
            let top = chain.last().map_or("", |c| c.issuer.as_str());
            let mut reason = format!("\"{top}\" is not a trusted certificate authority");
            if chain.len() == 1 && !chain[0].self_issued {
                let _ = write!(
                    reason,
                    " (or the server does not send its intermediate certificate)"
                );
            }
            reason
        }
        CertificateError::BadSignature => "a signature in its chain does not verify".to_owned(),
        CertificateError::Revoked => "it has been revoked".to_owned(),
        CertificateError::InvalidPurpose | CertificateError::InvalidPurposeContext { .. } => {
            "it is not meant for TLS servers".to_owned()
        }
        CertificateError::Expired
        | CertificateError::ExpiredContext { .. }
        | CertificateError::NotValidYet
        | CertificateError::NotValidYetContext { .. } => {
            "a certificate of its chain is out of date".to_owned()
        }
        CertificateError::BadEncoding => "it is not correctly encoded".to_owned(),
        CertificateError::UnhandledCriticalExtension => {
            "it has a critical extension that is not understood".to_owned()
        }
        CertificateError::UnsupportedSignatureAlgorithmContext { .. }
        | CertificateError::UnsupportedSignatureAlgorithmForPublicKeyContext { .. } => {
            "its chain uses an unsupported signature algorithm".to_owned()
        }
        other => rustls::Error::InvalidCertificate(other.clone()).to_string(),
    }
}
