//! caretaker serving HTTPS itself: the certificate from PEM files, HSTS, a renewed
//! certificate picked up while serving, and an unusable certificate refused at start.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use rcgen::{CertifiedKey, KeyPair};
use server::config::{Config, FlagValues, Inputs};
use server::tls::{Tls, TlsFiles};
use tokio::net::TcpListener;

/// A Docker socket that does not exist: /healthz never asks Docker.
const DEAD_DOCKER: &str = "unix:///nonexistent/caretaker-test/docker.sock";

/// A new self-signed certificate (new key, new serial) for 127.0.0.1 and localhost.
fn new_certificate() -> CertifiedKey<KeyPair> {
    rcgen::generate_simple_self_signed(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .unwrap()
}

fn write(files: &TlsFiles, certificate: &CertifiedKey<KeyPair>) {
    std::fs::write(&files.cert, certificate.cert.pem()).unwrap();
    std::fs::write(&files.key, certificate.signing_key.serialize_pem()).unwrap();
}

/// A client that trusts this one certificate and nothing else.
fn client_trusting(certificate: &CertifiedKey<KeyPair>) -> reqwest::Client {
    let root = reqwest::Certificate::from_pem(certificate.cert.pem().as_bytes()).unwrap();
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(root)
        .timeout(Duration::from_secs(5))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn config(data_dir: &Path, files: &TlsFiles) -> Config {
    let flags = FlagValues {
        config_file: None,
        values: vec![
            ("data_dir", data_dir.display().to_string()),
            ("docker.host", DEAD_DOCKER.to_owned()),
            ("tls.cert_file", files.cert.display().to_string()),
            ("tls.key_file", files.key.display().to_string()),
        ],
    };
    Config::load(Inputs { flags, env: &[] }).unwrap().0
}

#[tokio::test]
async fn serves_https_with_hsts_and_picks_up_a_renewed_certificate() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    let first = new_certificate();
    write(&files, &first);
    let data_dir = dir.path().join("data");
    let config = config(&data_dir, &files);
    assert!(config.effective_public_url().starts_with("https://"));

    let state = server::serve::prepare(&config).await.unwrap();
    let tls = Tls::load(config.tls().unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address: SocketAddr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = tokio::spawn(server::serve::serve(
        listener,
        state,
        Some(tls),
        Duration::from_millis(50),
        async {
            let _ = stopped.await;
        },
    ));
    let url = format!("https://127.0.0.1:{}/healthz", address.port());

    let answer = client_trusting(&first).get(&url).send().await.unwrap();
    assert_eq!(answer.status(), reqwest::StatusCode::OK);
    assert_eq!(
        answer.headers()["strict-transport-security"],
        "max-age=31536000"
    );
    // Browsers speak HTTP/2 here, which has no Host header: a same-origin form post must
    // still pass the cross-origin check, and a foreign one must not.
    assert_eq!(answer.version(), reqwest::Version::HTTP_2);
    assert_eq!(answer.text().await.unwrap(), "ok\n");
    // `caretaker healthcheck` (a Docker HEALTHCHECK) speaks TLS to a TLS server.
    let check = tokio::process::Command::new(env!("CARGO_BIN_EXE_caretaker"))
        .args(["healthcheck", "--bind", &address.to_string()])
        .env("CARETAKER_TLS_CERT_FILE", &files.cert)
        .env("CARETAKER_TLS_KEY_FILE", &files.key)
        .output()
        .await
        .unwrap();
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    assert!(String::from_utf8_lossy(&check.stdout).contains("https://"));
    let origin = format!("https://127.0.0.1:{}", address.port());
    let logout = format!("{origin}/auth/logout");
    let same = client_trusting(&first)
        .post(&logout)
        .header("origin", &origin)
        .send()
        .await
        .unwrap();
    assert_eq!(same.version(), reqwest::Version::HTTP_2);
    assert_eq!(same.status(), reqwest::StatusCode::SEE_OTHER);
    assert_eq!(same.headers()["location"], "/login");
    let foreign = client_trusting(&first)
        .post(&logout)
        .header("origin", "https://elsewhere.example")
        .send()
        .await
        .unwrap();
    assert_eq!(foreign.status(), reqwest::StatusCode::FORBIDDEN);

    // A renewal writes a new certificate and key over the old files.
    let second = new_certificate();
    write(&files, &second);
    let trusting_second = client_trusting(&second);
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        match trusting_second.get(&url).send().await {
            Ok(answer) => {
                assert_eq!(answer.status(), reqwest::StatusCode::OK);
                break;
            }
            Err(error) if Instant::now() < deadline => {
                // Still the old certificate: look again after the next check.
                let _ = error;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            Err(error) => panic!("the new certificate was not served within 10 s: {error:?}"),
        }
    }
    // The old certificate is gone for new connections.
    assert!(client_trusting(&first).get(&url).send().await.is_err());

    // A broken renewal keeps the certificate that works.
    std::fs::write(&files.cert, "-----BEGIN CERTIFICATE-----\ntruncated").unwrap();
    let after_a_few_checks = Instant::now() + Duration::from_millis(300);
    while Instant::now() < after_a_few_checks {
        let answer = client_trusting(&second).get(&url).send().await.unwrap();
        assert_eq!(answer.status(), reqwest::StatusCode::OK);
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    stop.send(()).unwrap();
    tokio::time::timeout(Duration::from_secs(10), serving)
        .await
        .expect("the server stops after the shutdown signal")
        .unwrap()
        .unwrap();
}

#[tokio::test]
async fn an_unusable_certificate_stops_the_start_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let files = TlsFiles {
        cert: dir.path().join("cert.pem"),
        key: dir.path().join("key.pem"),
    };
    write(&files, &new_certificate());
    std::fs::write(&files.cert, "this is not a certificate\n").unwrap();
    let data_dir = dir.path().join("data");

    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_caretaker"));
    // The tests' own environment must not leak CARETAKER_* settings into the binary.
    for (name, _) in std::env::vars() {
        if name.starts_with("CARETAKER_") {
            command.env_remove(name);
        }
    }
    command
        .args(["serve", "--bind", "127.0.0.1:0", "--data-dir"])
        .arg(&data_dir)
        .env("CARETAKER_DOCKER_HOST", DEAD_DOCKER)
        .env("CARETAKER_TLS_CERT_FILE", &files.cert)
        .env("CARETAKER_TLS_KEY_FILE", &files.key)
        .kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(60), command.output())
        .await
        .expect("caretaker must exit, not serve")
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "{stderr}");
    assert!(
        stderr.contains(&files.cert.display().to_string()),
        "{stderr}"
    );
    assert!(stderr.contains("holds no certificate"), "{stderr}");
    // Refused before anything was touched.
    assert!(!data_dir.exists());
}
