//! caretaker's own HTTPS: the certificate and key come from PEM files, and a changed pair
//! (a renewal by certbot, cert-manager, a script) is picked up without a restart.
//!
//! The files are polled rather than watched with inotify: polling also sees a changed
//! symlink target (how Kubernetes swaps secrets) and files on network mounts, and every
//! 10 s is soon enough for a certificate that is renewed weeks before it expires.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use anyhow::{anyhow, Context};
use axum_server::tls_rustls::RustlsConfig;
use rustls::pki_types::pem::{self, PemObject};
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::ServerConfig;

/// How often the binary looks at the certificate files.
pub const RELOAD_INTERVAL: Duration = Duration::from_secs(10);

/// Where the certificate (chain) and its private key are, both PEM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TlsFiles {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// The certificate being served and the files it came from.
pub struct Tls {
    files: TlsFiles,
    /// Shared with the acceptor: storing a new config here changes what new connections get.
    config: RustlsConfig,
    /// The files' state when they were last read, to notice a change.
    seen: Stamp,
}

/// What one look at the files found.
#[derive(Debug)]
pub enum Check {
    Unchanged,
    Reloaded,
    /// The files changed but the new pair is unusable; the previous certificate stays.
    Kept(anyhow::Error),
}

impl Tls {
    /// Reads and checks the pair. The error names the file and what is wrong with it.
    pub fn load(files: TlsFiles) -> anyhow::Result<Self> {
        let seen = Stamp::of(&files);
        let config = server_config(&files)?;
        Ok(Self {
            files,
            config: RustlsConfig::from_config(Arc::new(config)),
            seen,
        })
    }

    /// The configuration the acceptor serves; it follows reloads.
    pub fn rustls_config(&self) -> RustlsConfig {
        self.config.clone()
    }

    /// Reloads the pair if either file changed since it was last read.
    pub fn check(&mut self) -> Check {
        let now = Stamp::of(&self.files);
        if now == self.seen {
            return Check::Unchanged;
        }
        // Remembered even when the new pair is refused: the warning comes once per change,
        // and the next write (say, the key following its certificate) is tried again.
        self.seen = now;
        match server_config(&self.files) {
            Ok(config) => {
                self.config.reload_from_config(Arc::new(config));
                Check::Reloaded
            }
            Err(error) => Check::Kept(error),
        }
    }

    /// Looks at the files every `interval` until the returned task is aborted.
    pub fn watch(self, interval: Duration) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut tls = self;
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            ticker.tick().await; // The first tick is immediate; the files were just read.
            loop {
                ticker.tick().await;
                // File system calls block; a slow mount must not hold up a runtime thread.
                let looked = tokio::task::spawn_blocking(move || {
                    let check = tls.check();
                    (tls, check)
                })
                .await;
                let check;
                match looked {
                    Ok(looked) => (tls, check) = looked,
                    Err(error) => {
                        tracing::error!(%error, "checking the TLS certificate files failed; they are no longer reloaded");
                        return;
                    }
                }
                match check {
                    Check::Unchanged => {}
                    Check::Reloaded => tracing::info!(
                        cert_file = %tls.files.cert.display(),
                        "reloaded the TLS certificate"
                    ),
                    Check::Kept(error) => tracing::warn!(
                        error = format!("{error:#}"),
                        "the changed TLS certificate files are not usable; still serving the previous certificate"
                    ),
                }
            }
        })
    }
}

/// Modification time and length of both files; `None` for a file that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stamp([Option<(SystemTime, u64)>; 2]);

impl Stamp {
    fn of(files: &TlsFiles) -> Self {
        let of = |path: &Path| {
            let metadata = std::fs::metadata(path).ok()?;
            Some((metadata.modified().ok()?, metadata.len()))
        };
        Self([of(&files.cert), of(&files.key)])
    }
}

/// The rustls configuration of a certificate and key pair, with HTTP/2 and HTTP/1.1.
fn server_config(files: &TlsFiles) -> anyhow::Result<ServerConfig> {
    let certs = read_certificates(&files.cert)?;
    let key = read_key(&files.key)?;
    // ring, chosen explicitly: rustls then needs no process-wide default provider.
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("setting up TLS")?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| {
            anyhow!(
                "the TLS certificate {} and the key {} cannot be used together: {error}",
                files.cert.display(),
                files.key.display()
            )
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

fn read_certificates(path: &Path) -> anyhow::Result<Vec<CertificateDer<'static>>> {
    let text = std::fs::read(path).with_context(|| {
        format!(
            "the TLS certificate file (tls.cert_file) {} cannot be read",
            path.display()
        )
    })?;
    let certs = CertificateDer::pem_slice_iter(&text)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|error| {
            anyhow!(
                "the TLS certificate file (tls.cert_file) {} is not valid PEM: {}",
                path.display(),
                pem_problem(&error)
            )
        })?;
    if certs.is_empty() {
        return Err(anyhow!(
            "the TLS certificate file (tls.cert_file) {} holds no certificate: expected a PEM block '-----BEGIN CERTIFICATE-----'",
            path.display()
        ));
    }
    Ok(certs)
}

fn read_key(path: &Path) -> anyhow::Result<PrivateKeyDer<'static>> {
    let text = std::fs::read(path).with_context(|| {
        format!(
            "the TLS key file (tls.key_file) {} cannot be read",
            path.display()
        )
    })?;
    PrivateKeyDer::from_pem_slice(&text).map_err(|error| match error {
        pem::Error::NoItemsFound => anyhow!(
            "the TLS key file (tls.key_file) {} holds no private key: expected a PEM block '-----BEGIN PRIVATE KEY-----' (or RSA PRIVATE KEY, EC PRIVATE KEY)",
            path.display()
        ),
        error => anyhow!(
            "the TLS key file (tls.key_file) {} is not valid PEM: {}",
            path.display(),
            pem_problem(&error)
        ),
    })
}

/// What is wrong with a PEM file, in words. The parser's own messages print bytes, and
/// some quote a line of the file, which in a key file would be key material.
fn pem_problem(error: &pem::Error) -> String {
    match error {
        pem::Error::MissingSectionEnd { end_marker } => format!(
            "a block has no '-----END {}-----' line; the file may be cut short",
            String::from_utf8_lossy(end_marker)
        ),
        pem::Error::IllegalSectionStart { .. } => "a '-----BEGIN' line is malformed".to_owned(),
        pem::Error::Base64Decode(_) => "a block is not valid base64".to_owned(),
        pem::Error::NoItemsFound => "it holds no PEM block".to_owned(),
        _ => "it cannot be parsed".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_pair(dir: &Path) -> TlsFiles {
        let generated = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
        let files = TlsFiles {
            cert: dir.join("cert.pem"),
            key: dir.join("key.pem"),
        };
        std::fs::write(&files.cert, generated.cert.pem()).unwrap();
        std::fs::write(&files.key, generated.signing_key.serialize_pem()).unwrap();
        files
    }

    fn error(files: TlsFiles) -> String {
        format!("{:#}", Tls::load(files).err().expect("the pair is refused"))
    }

    #[test]
    fn unusable_files_are_named_with_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let good = write_pair(dir.path());
        let garbage = dir.path().join("garbage.pem");
        std::fs::write(&garbage, "not a certificate\n").unwrap();
        let missing = dir.path().join("missing.pem");

        let message = error(TlsFiles {
            cert: missing.clone(),
            key: good.key.clone(),
        });
        assert!(
            message.contains(&missing.display().to_string()),
            "{message}"
        );
        assert!(message.contains("cannot be read"), "{message}");

        let message = error(TlsFiles {
            cert: garbage.clone(),
            key: good.key.clone(),
        });
        assert!(
            message.contains(&garbage.display().to_string()),
            "{message}"
        );
        assert!(message.contains("holds no certificate"), "{message}");

        let message = error(TlsFiles {
            cert: good.cert.clone(),
            key: garbage.clone(),
        });
        assert!(message.contains("tls.key_file"), "{message}");
        assert!(message.contains("holds no private key"), "{message}");

        // A key that belongs to another certificate.
        let other = tempfile::tempdir().unwrap();
        let other = write_pair(other.path());
        let message = error(TlsFiles {
            cert: good.cert.clone(),
            key: other.key.clone(),
        });
        assert!(message.contains("cannot be used together"), "{message}");
    }

    #[test]
    fn a_changed_pair_is_loaded_and_a_bad_one_keeps_the_old() {
        let dir = tempfile::tempdir().unwrap();
        let files = write_pair(dir.path());
        let mut tls = Tls::load(files.clone()).unwrap();
        let first = tls.rustls_config().get_inner();
        assert!(matches!(tls.check(), Check::Unchanged));

        std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\nMIIB").unwrap();
        let Check::Kept(error) = tls.check() else {
            panic!("a bad pair must be refused")
        };
        let message = format!("{error:#}");
        assert!(message.contains("cert.pem"), "{message}");
        assert!(
            message.contains("no '-----END CERTIFICATE-----' line"),
            "{message}"
        );
        assert!(Arc::ptr_eq(&tls.rustls_config().get_inner(), &first));
        // Refused once, not again on every look.
        assert!(matches!(tls.check(), Check::Unchanged));

        write_pair(dir.path());
        assert!(matches!(tls.check(), Check::Reloaded));
        assert!(!Arc::ptr_eq(&tls.rustls_config().get_inner(), &first));
    }
}
