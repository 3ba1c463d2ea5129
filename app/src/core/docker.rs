//! The connection to a Docker engine through bollard: connects lazily, negotiates the API
//! version once, bounds every call with a timeout and turns engine errors into sentences.

use std::future::Future;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bollard::{ClientVersion, Docker};

use super::error::AppError;

/// One Docker engine. Cheap to clone.
///
/// No connection is held between calls: when the engine goes away and comes back (a
/// restart, an upgrade) the next call simply works again, without restarting caretaker.
#[derive(Clone)]
pub struct DockerEngine {
    endpoint: DockerEndpoint,
    timeout: Duration,
    /// The API version settled with the engine; forgotten when a call fails to connect,
    /// so an upgraded engine is negotiated again.
    negotiated: Arc<Mutex<Option<ClientVersion>>>,
}

/// Where an engine listens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DockerEndpoint {
    /// A Unix socket path such as /var/run/docker.sock.
    Unix(String),
    /// Plain HTTP, `tcp://host:port`.
    Tcp(String),
    /// `tcp://host:port` with TLS: the engine's CA, and this client's certificate and key
    /// (PEM files), as `dockerd --tlsverify` expects.
    Tls {
        address: String,
        ca_file: String,
        cert_file: String,
        key_file: String,
    },
}

impl DockerEndpoint {
    /// Accepts `unix:///path`, an absolute socket path, or `tcp://host:port`.
    pub fn parse(text: &str) -> Result<Self, String> {
        if let Some(path) = text.strip_prefix("unix://") {
            if path.starts_with('/') {
                return Ok(Self::Unix(path.to_owned()));
            }
        } else if text.starts_with('/') {
            return Ok(Self::Unix(text.to_owned()));
        } else if let Some(address) = text.strip_prefix("tcp://") {
            if !address.is_empty() && address.contains(':') {
                return Ok(Self::Tcp(address.to_owned()));
            }
        }
        Err(format!(
            "'{text}' is not a Docker host; accepted: unix:///var/run/docker.sock, an absolute socket path, or tcp://HOST:PORT"
        ))
    }
}

impl std::fmt::Display for DockerEndpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Unix(path) => write!(f, "unix://{path}"),
            Self::Tcp(address) => write!(f, "tcp://{address}"),
            Self::Tls { address, .. } => write!(f, "tcp://{address} (TLS)"),
        }
    }
}

impl DockerEngine {
    pub fn new(endpoint: DockerEndpoint, timeout: Duration) -> Self {
        Self {
            endpoint,
            timeout,
            negotiated: Arc::default(),
        }
    }

    /// The time limit of one ordinary call.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    pub fn endpoint(&self) -> &DockerEndpoint {
        &self.endpoint
    }

    /// Runs one engine call with the normal timeout.
    pub async fn call<T, F, Fut>(&self, call: F) -> Result<T, AppError>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        self.call_with_timeout(self.timeout, call).await
    }

    /// Runs one engine call with its own time limit (for calls known to be slow, like
    /// disk use on a host with many volumes).
    pub async fn call_with_timeout<T, F, Fut>(
        &self,
        limit: Duration,
        call: F,
    ) -> Result<T, AppError>
    where
        F: FnOnce(Docker) -> Fut,
        Fut: Future<Output = Result<T, bollard::errors::Error>>,
    {
        let attempt = async {
            // bollard bounds each request by its own timeout too; a second more, so the
            // limit below fires first and its sentence says what happened.
            let client = self
                .client()
                .await?
                .with_timeout(limit + Duration::from_secs(1));
            call(client).await
        };
        match tokio::time::timeout(limit, attempt).await {
            Ok(Ok(value)) => Ok(value),
            Ok(Err(error)) => Err(self.explain(error)),
            Err(_) => {
                self.forget_version();
                Err(AppError::EngineUnavailable(format!(
                    "The Docker engine at {} did not answer within {} seconds.",
                    self.endpoint,
                    limit.as_secs()
                )))
            }
        }
    }

    /// A client for a long stream (logs as they are written): connected within the normal
    /// time limit, then without one, since the stream lasts as long as the viewer wants.
    pub async fn streaming_client(&self) -> Result<Docker, AppError> {
        const A_DAY: Duration = Duration::from_secs(24 * 3600);
        match tokio::time::timeout(self.timeout, self.client()).await {
            Ok(Ok(client)) => Ok(client.with_timeout(A_DAY)),
            Ok(Err(error)) => Err(self.explain(error)),
            Err(_) => Err(AppError::EngineUnavailable(format!(
                "The Docker engine at {} did not answer within {} seconds.",
                self.endpoint,
                self.timeout.as_secs()
            ))),
        }
    }

    async fn client(&self) -> Result<Docker, bollard::errors::Error> {
        let known = *self.negotiated.lock().unwrap_or_else(|p| p.into_inner());
        let version = known.unwrap_or(*bollard::API_DEFAULT_VERSION);
        let seconds = self.timeout.as_secs().max(1);
        let client = match &self.endpoint {
            DockerEndpoint::Unix(path) => Docker::connect_with_unix(path, seconds, &version)?,
            DockerEndpoint::Tcp(address) => Docker::connect_with_http(address, seconds, &version)?,
            DockerEndpoint::Tls {
                address,
                ca_file,
                cert_file,
                key_file,
            } => Docker::connect_with_ssl(
                address,
                Path::new(key_file),
                Path::new(cert_file),
                Path::new(ca_file),
                seconds,
                &version,
            )?,
        };
        if known.is_some() {
            return Ok(client);
        }
        let client = client.negotiate_version().await?;
        *self.negotiated.lock().unwrap_or_else(|p| p.into_inner()) = Some(client.client_version());
        Ok(client)
    }

    fn forget_version(&self) {
        *self.negotiated.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// A sentence for the page; the raw error goes to the log.
    fn explain(&self, error: bollard::errors::Error) -> AppError {
        use bollard::errors::Error;
        tracing::warn!(endpoint = %self.endpoint, %error, "Docker call failed");
        match error {
            Error::DockerResponseServerError {
                status_code,
                message,
            } => {
                if status_code == 404 {
                    AppError::not_found(format!("The Docker engine says: {message}"))
                } else if status_code == 409 {
                    AppError::Conflict(format!("The Docker engine says: {message}"))
                } else {
                    AppError::EngineUnavailable(format!(
                        "The Docker engine refused the request: {message}"
                    ))
                }
            }
            Error::SocketNotFoundError(path) => {
                self.forget_version();
                AppError::EngineUnavailable(format!(
                    "The Docker engine is not reachable: there is no socket at {path}. Is dockerd running?"
                ))
            }
            Error::RequestTimeoutError => {
                self.forget_version();
                AppError::EngineUnavailable(format!(
                    "The Docker engine at {} did not answer in time.",
                    self.endpoint
                ))
            }
            Error::CertPathError { path } => AppError::EngineUnavailable(format!(
                "The TLS file {} for the Docker engine at {} cannot be read.",
                path.display(),
                self.endpoint
            )),
            Error::CertParseError { path } => AppError::EngineUnavailable(format!(
                "The TLS file {} for the Docker engine at {} is not a PEM certificate or key.",
                path.display(),
                self.endpoint
            )),
            Error::JsonDataError { .. } | Error::JsonSerdeError { .. } => {
                AppError::internal(format_args!(
                    "unexpected answer from the Docker engine at {}",
                    self.endpoint
                ))
            }
            _ => {
                self.forget_version();
                AppError::EngineUnavailable(format!(
                    "The Docker engine at {} is not reachable (the connection failed).",
                    self.endpoint
                ))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints_parse_or_say_what_is_accepted() {
        assert_eq!(
            DockerEndpoint::parse("unix:///var/run/docker.sock"),
            Ok(DockerEndpoint::Unix("/var/run/docker.sock".into()))
        );
        assert_eq!(
            DockerEndpoint::parse("/run/docker.sock"),
            Ok(DockerEndpoint::Unix("/run/docker.sock".into()))
        );
        assert_eq!(
            DockerEndpoint::parse("tcp://10.0.0.2:2375"),
            Ok(DockerEndpoint::Tcp("10.0.0.2:2375".into()))
        );
        for bad in ["docker.sock", "unix://relative", "tcp://", "http://x"] {
            let error = DockerEndpoint::parse(bad).unwrap_err();
            assert!(error.contains("accepted"), "{error}");
        }
    }

    #[tokio::test]
    async fn a_missing_socket_is_a_plain_sentence() {
        let engine = DockerEngine::new(
            DockerEndpoint::Unix("/nonexistent/docker.sock".into()),
            Duration::from_secs(2),
        );
        let error = engine
            .call(|docker| async move { docker.ping().await })
            .await
            .unwrap_err();
        assert_eq!(error.status(), 503);
        assert!(
            error.to_string().contains("/nonexistent/docker.sock"),
            "{error}"
        );
    }
}
