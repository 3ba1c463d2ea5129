//! TLS certificate checks (placeholder until the helper's version lands).
use chrono::{DateTime, Utc};
use std::net::SocketAddr;
use std::time::Duration;
#[derive(Clone)]
pub struct TrustRoots;
impl TrustRoots {
    pub fn system() -> Self {
        TrustRoots
    }
}
pub struct CertificateReport {
    pub days_left: i64,
}
impl CertificateReport {
    pub fn summary(&self) -> String {
        String::new()
    }
    pub fn problem_sentence(&self) -> Option<String> {
        None
    }
}
pub async fn inspect(
    _a: SocketAddr,
    _n: &str,
    _r: &TrustRoots,
    _t: Duration,
    _now: DateTime<Utc>,
) -> Result<CertificateReport, String> {
    Err("not yet".into())
}
