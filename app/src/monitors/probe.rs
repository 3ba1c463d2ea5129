//! One check of one monitor: what it found, as a verdict and a sentence for admins.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::StreamExt;

use super::guard::{self, HttpClients};
use super::tls::TrustRoots;
use super::{MonitorSpec, Target};
use crate::core::state::AppState;

/// How much of an answer a keyword is looked for in.
const KEYWORD_WINDOW: usize = 1024 * 1024;

/// What one check found.
#[derive(Debug, Clone, PartialEq)]
pub struct Outcome {
    pub ok: bool,
    /// How long the target took to answer (network kinds only).
    pub latency_ms: Option<i64>,
    /// A plain sentence for admins: why it failed, or what was seen.
    pub message: String,
    /// TLS monitors: days until the chain's first expiry.
    pub cert_days: Option<i64>,
}

impl Outcome {
    fn up(message: impl Into<String>, latency: Option<Duration>) -> Self {
        Self {
            ok: true,
            latency_ms: latency.map(millis),
            message: message.into(),
            cert_days: None,
        }
    }

    fn down(message: impl Into<String>, latency: Option<Duration>) -> Self {
        Self {
            ok: false,
            latency_ms: latency.map(millis),
            message: message.into(),
            cert_days: None,
        }
    }
}

fn millis(duration: Duration) -> i64 {
    i64::try_from(duration.as_millis()).unwrap_or(i64::MAX)
}

/// What checks need besides the app state.
pub struct Probes {
    pub http: HttpClients,
    pub roots: std::sync::RwLock<TrustRoots>,
}

/// Runs one check. Never fails: a check that cannot run is a failed check that says why.
pub async fn check(state: &AppState, spec: &MonitorSpec, now: DateTime<Utc>) -> Outcome {
    let timeout = Duration::from_secs(u64::from(spec.timeout_secs));
    let probes = &state.monitors.probes;
    let allow = spec.allow_link_local;
    // Every kind gets the time limit; the network kinds also have it inside (a timeout
    // there says which step was slow).
    let run = async {
        match &spec.target {
            Target::Http { .. } => http(state, probes, spec, timeout).await,
            Target::Tcp { host, port } => tcp(host, *port, allow, timeout).await,
            Target::Container { host, container } => container_state(state, host, container).await,
            Target::Ollama { url } => ollama(probes, url, allow, timeout).await,
            Target::Tls {
                host,
                port,
                server_name,
                warn_days,
            } => {
                tls(
                    probes,
                    host,
                    *port,
                    server_name,
                    *warn_days,
                    allow,
                    timeout,
                    now,
                )
                .await
            }
            Target::BackupFreshness { plan_id, .. } => backup(state, *plan_id, now).await,
            Target::JobHeartbeat {
                job_id,
                within_minutes,
                ..
            } => job(state, *job_id, *within_minutes, now).await,
            Target::SwarmNodes {} => {
                let started = Instant::now();
                match crate::cluster::service::node_check(state).await {
                    Ok(sentence) => Outcome::up(sentence, Some(started.elapsed())),
                    Err(sentence) => Outcome::down(sentence, Some(started.elapsed())),
                }
            }
        }
    };
    match tokio::time::timeout(timeout + Duration::from_secs(1), run).await {
        Ok(outcome) => outcome,
        Err(_) => Outcome::down(
            format!("The check did not finish within {} s.", timeout.as_secs()),
            Some(timeout),
        ),
    }
}

async fn http(state: &AppState, probes: &Probes, spec: &MonitorSpec, timeout: Duration) -> Outcome {
    let Target::Http {
        method,
        url,
        headers,
        secret_headers,
        expected_status,
        keyword,
        keyword_absent,
        follow_redirects,
    } = &spec.target
    else {
        return Outcome::down("Not an HTTP monitor.", None);
    };
    let url = match guard::check_url(url, spec.allow_link_local) {
        Ok(url) => url,
        Err(why) => return Outcome::down(why, None),
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap_or(reqwest::Method::GET);
    let redirects = match (*follow_redirects, secret_headers.is_empty()) {
        (false, _) => guard::Redirects::None,
        (true, true) => guard::Redirects::Any,
        (true, false) => guard::Redirects::SameOrigin,
    };
    let mut request = probes
        .http
        .get(redirects, spec.allow_link_local)
        .request(method, url)
        .timeout(timeout);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    for (name, sealed) in secret_headers {
        match state.secrets.unseal(sealed) {
            Ok(value) => request = request.header(name, value),
            Err(_) => {
                return Outcome::down(
                    format!("The stored value of the {name} header cannot be read with this data directory's key; type it again."),
                    None,
                )
            }
        }
    }
    let started = Instant::now();
    let response = match request.send().await {
        Ok(response) => response,
        Err(error) => {
            return Outcome::down(request_error(&error, timeout), Some(started.elapsed()))
        }
    };
    let latency = started.elapsed();
    let status = response.status();
    let accepted = super::validate::statuses(expected_status).unwrap_or_default();
    let code = status.as_u16();
    if !accepted
        .iter()
        .any(|(low, high)| (*low..=*high).contains(&code))
    {
        return Outcome::down(
            format!("It answered {status}, not {expected_status}."),
            Some(latency),
        );
    }
    if keyword.is_empty() {
        return Outcome::up(format!("It answered {status}."), Some(latency));
    }
    let mut body = Vec::new();
    let mut stream = response.bytes_stream();
    while let Some(chunk) = stream.next().await {
        match chunk {
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(error) => return Outcome::down(request_error(&error, timeout), Some(latency)),
        }
        if body.len() >= KEYWORD_WINDOW {
            body.truncate(KEYWORD_WINDOW);
            break;
        }
    }
    let found = String::from_utf8_lossy(&body).contains(keyword.as_str());
    match (found, keyword_absent) {
        (true, false) => Outcome::up(
            format!("It answered {status} with “{keyword}”."),
            Some(latency),
        ),
        (false, true) => Outcome::up(
            format!("It answered {status} without “{keyword}”."),
            Some(latency),
        ),
        (false, false) => Outcome::down(
            format!("The answer does not contain “{keyword}”."),
            Some(latency),
        ),
        (true, true) => Outcome::down(
            format!("The answer contains “{keyword}”, which should be absent."),
            Some(latency),
        ),
    }
}

/// A request error as a sentence, without the URL (it may carry a token) and with the
/// underlying cause (refused address, DNS, TLS).
fn request_error(error: &reqwest::Error, timeout: Duration) -> String {
    if error.is_timeout() {
        return format!("No answer within {} s.", timeout.as_secs());
    }
    let mut causes = Vec::new();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        causes.push(cause.to_string());
        source = cause.source();
    }
    let what = if error.is_redirect() {
        "The redirect was not followed"
    } else if error.is_connect() {
        "Could not connect"
    } else {
        "The request failed"
    };
    match causes.last() {
        Some(cause) => format!("{what}: {cause}"),
        None => format!("{what}."),
    }
}

async fn tcp(host: &str, port: u16, allow: bool, timeout: Duration) -> Outcome {
    let addresses = match guard::resolve(host, port, allow).await {
        Ok(addresses) => addresses,
        Err(why) => return Outcome::down(why, None),
    };
    let started = Instant::now();
    let mut last_error = String::new();
    for address in addresses {
        match tokio::time::timeout(timeout, tokio::net::TcpStream::connect(address)).await {
            Ok(Ok(_)) => {
                return Outcome::up(
                    format!("{address} accepts connections."),
                    Some(started.elapsed()),
                )
            }
            Ok(Err(error)) => last_error = format!("{address} refused the connection ({error})."),
            Err(_) => {
                last_error = format!("{address} did not answer within {} s.", timeout.as_secs())
            }
        }
    }
    Outcome::down(last_error, Some(started.elapsed()))
}

async fn container_state(state: &AppState, host: &str, container: &str) -> Outcome {
    let Some(engine) = state.fleet.host(host) else {
        return Outcome::down(format!("There is no Docker host {host}."), None);
    };
    let name = container.to_owned();
    let started = Instant::now();
    let inspected = engine
        .engine
        .call(|client| async move {
            client
                .inspect_container(
                    &name,
                    None::<bollard::query_parameters::InspectContainerOptions>,
                )
                .await
        })
        .await;
    let latency = Some(started.elapsed());
    let inspected = match inspected {
        Ok(inspected) => inspected,
        Err(error) => return Outcome::down(error.to_string(), latency),
    };
    let Some(container_state) = inspected.state else {
        return Outcome::down(
            format!("Docker did not say whether {container} runs."),
            latency,
        );
    };
    if container_state.running != Some(true) {
        let status = container_state
            .status
            .map(|status| status.to_string())
            .unwrap_or_else(|| "not running".to_owned());
        let exit = container_state
            .exit_code
            .map(|code| format!(" (exit code {code})"))
            .unwrap_or_default();
        return Outcome::down(format!("{container} is {status}{exit}."), latency);
    }
    match container_state.health.and_then(|health| health.status) {
        Some(bollard::models::HealthStatusEnum::HEALTHY) => {
            Outcome::up(format!("{container} runs and is healthy."), latency)
        }
        Some(bollard::models::HealthStatusEnum::UNHEALTHY) => Outcome::down(
            format!("{container} runs but its health check fails."),
            latency,
        ),
        Some(bollard::models::HealthStatusEnum::STARTING) => Outcome::down(
            format!("{container} runs; its health check has not passed yet."),
            latency,
        ),
        _ => Outcome::up(format!("{container} runs."), latency),
    }
}

async fn ollama(probes: &Probes, url: &str, allow: bool, timeout: Duration) -> Outcome {
    let url = match guard::check_url(&format!("{url}/api/version"), allow) {
        Ok(url) => url,
        Err(why) => return Outcome::down(why, None),
    };
    let started = Instant::now();
    let answer = probes
        .http
        .get(guard::Redirects::Any, allow)
        .get(url)
        .timeout(timeout)
        .send()
        .await;
    let latency = Some(started.elapsed());
    let response = match answer {
        Ok(response) => response,
        Err(error) => return Outcome::down(request_error(&error, timeout), latency),
    };
    if !response.status().is_success() {
        return Outcome::down(
            format!(
                "GET /api/version answered {}; is this an Ollama server?",
                response.status()
            ),
            latency,
        );
    }
    #[derive(serde::Deserialize)]
    struct Version {
        version: String,
    }
    match response.json::<Version>().await {
        Ok(found) => Outcome::up(format!("Ollama {} answers.", found.version), latency),
        Err(_) => Outcome::down(
            "GET /api/version did not answer with Ollama's {\"version\": …}; is this an Ollama server?",
            latency,
        ),
    }
}

#[allow(clippy::too_many_arguments)]
async fn tls(
    probes: &Probes,
    host: &str,
    port: u16,
    server_name: &str,
    warn_days: u32,
    allow: bool,
    timeout: Duration,
    now: DateTime<Utc>,
) -> Outcome {
    let address = match guard::resolve(host, port, allow).await {
        Ok(addresses) => addresses[0],
        Err(why) => return Outcome::down(why, None),
    };
    let name = if server_name.is_empty() {
        host
    } else {
        server_name
    };
    let roots = probes
        .roots
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let started = Instant::now();
    let report = super::tls::inspect(address, name, &roots, timeout, now).await;
    let latency = Some(started.elapsed());
    let report = match report {
        Ok(report) => report,
        Err(why) => return Outcome::down(why, latency),
    };
    let mut outcome = match report.problem_sentence() {
        Some(problem) => Outcome::down(problem, latency),
        None if report.days_left <= i64::from(warn_days) => Outcome::down(
            format!(
                "{} That is within the {warn_days} days warned about.",
                report.summary()
            ),
            latency,
        ),
        None => Outcome::up(report.summary(), latency),
    };
    outcome.cert_days = Some(report.days_left);
    outcome
}

async fn backup(state: &AppState, plan_id: i64, now: DateTime<Utc>) -> Outcome {
    match crate::backups::service::freshness(state, plan_id, now).await {
        Ok(freshness) => match freshness.problems.is_empty() {
            true => Outcome::up(freshness.summary, None),
            false => Outcome::down(freshness.problems.join(" "), None),
        },
        Err(error) => Outcome::down(error.to_string(), None),
    }
}

async fn job(state: &AppState, job_id: i64, within_minutes: u32, now: DateTime<Utc>) -> Outcome {
    match crate::jobs::service::heartbeat(state, job_id, within_minutes, now).await {
        Ok(Ok(message)) => Outcome::up(message, None),
        Ok(Err(problem)) => Outcome::down(problem, None),
        Err(error) => Outcome::down(error.to_string(), None),
    }
}
