//! Routes on the real proxies: the generated nginx file and Caddyfile pass `nginx -t` and
//! `caddy validate`; a real nginx on loopback (a user-level instance with its own prefix,
//! pid and temp paths, on high ports) serves the routes over HTTPS from a busybox httpd
//! container, redirects HTTP to HTTPS, refuses a broken route with nginx's own words and
//! keeps serving; the certificate inventory reads the test certificate's expiry.

mod common;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use axum::http::StatusCode;
use bollard::models::{ContainerCreateBody, HostConfig, PortBinding};
use bollard::query_parameters::InspectContainerOptions;
use common::{call_as, docker, error_of, get_as, test_app, TestApp, TestContainer, LOCAL_DOCKER};

/// The test certificate's validity from now: the inventory must say 30 days.
const VALID_DAYS: i64 = 30;
/// How long anything asynchronous (an nginx reload, a container start) may take.
const DEADLINE: Duration = Duration::from_secs(60);

fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

fn form(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(value)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A port nobody listens on now (bound, then released), below the ephemeral range, so
/// the ports Docker picks for published containers cannot take it in between.
fn free_port() -> u16 {
    static NEXT: std::sync::atomic::AtomicU16 = std::sync::atomic::AtomicU16::new(0);
    let base = 20_000 + (std::process::id() % 400) as u16 * 20;
    loop {
        let offset = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let port = base + offset % 4_000;
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// A test CA and a certificate for `names` signed by it, valid for VALID_DAYS days and an
/// hour (so whole days left are exactly VALID_DAYS). Answers (CA PEM, cert file, key file).
fn write_certificate(dir: &Path, names: &[&str]) -> (String, PathBuf, PathBuf) {
    use rcgen::{
        BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair,
        KeyUsagePurpose,
    };
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "Caretaker Proxy Test CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    let ca = CertifiedIssuer::self_signed(ca_params, KeyPair::generate().unwrap()).unwrap();
    let key = KeyPair::generate().unwrap();
    let names: Vec<String> = names.iter().map(|name| (*name).to_owned()).collect();
    let mut params = CertificateParams::new(names.clone()).unwrap();
    params
        .distinguished_name
        .push(DnType::CommonName, &names[0]);
    let now = time::OffsetDateTime::now_utc();
    params.not_before = now - time::Duration::days(1);
    params.not_after = now + time::Duration::days(VALID_DAYS) + time::Duration::hours(1);
    let certificate = params.signed_by(&key, &ca).unwrap();
    let cert_file = dir.join("routes.pem");
    let key_file = dir.join("routes.key");
    std::fs::write(&cert_file, certificate.pem()).unwrap();
    std::fs::write(&key_file, key.serialize_pem()).unwrap();
    (ca.pem(), cert_file, key_file)
}

/// A user-level nginx: its own prefix, pid, logs and temp paths in `dir`, stopped on drop.
struct Nginx {
    dir: PathBuf,
}

impl Nginx {
    fn conf(&self) -> PathBuf {
        self.dir.join("nginx.conf")
    }

    /// The arguments that select this instance: prefix, main file, error log.
    fn instance_args(&self) -> Vec<String> {
        vec![
            "-p".into(),
            self.dir.display().to_string(),
            "-c".into(),
            self.conf().display().to_string(),
            "-e".into(),
            self.dir.join("error.log").display().to_string(),
        ]
    }

    /// Writes the main file, which includes `routes`, and starts nginx.
    fn start(dir: &Path, routes: &Path) -> Nginx {
        let path = |name: &str| dir.join(name).display().to_string();
        let main = format!(
            "pid {pid};\nerror_log {error};\nevents {{ worker_connections 64; }}\nhttp {{\n    access_log off;\n    client_body_temp_path {t}/body;\n    proxy_temp_path {t}/proxy;\n    fastcgi_temp_path {t}/fastcgi;\n    uwsgi_temp_path {t}/uwsgi;\n    scgi_temp_path {t}/scgi;\n    include {routes};\n}}\n",
            pid = path("nginx.pid"),
            error = path("error.log"),
            t = path("temp"),
            routes = routes.display(),
        );
        std::fs::create_dir_all(dir.join("temp")).unwrap();
        std::fs::write(dir.join("nginx.conf"), main).unwrap();
        let nginx = Nginx {
            dir: dir.to_owned(),
        };
        let output = Command::new("nginx")
            .args(nginx.instance_args())
            .output()
            .expect("nginx runs (Debian's nginx; the test command installs it)");
        assert!(
            output.status.success(),
            "nginx did not start: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        nginx
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = Command::new("nginx")
            .args(self.instance_args())
            .args(["-s", "stop"])
            .output();
    }
}

/// busybox httpd in the test image, serving `body` at / on port 8080, published on a free
/// port of 127.0.0.1. Answers the container and that port.
async fn web_container(body: &str) -> (TestContainer, u16) {
    let script = format!(
        "/bin/busybox mkdir -p /www && /bin/busybox echo '{body}' > /www/index.html && exec /bin/busybox httpd -f -p 8080 -h /www"
    );
    let body = ContainerCreateBody {
        cmd: Some(vec![
            "/bin/busybox".into(),
            "sh".into(),
            "-c".into(),
            script,
        ]),
        exposed_ports: Some([("8080/tcp".to_owned(), Default::default())].into()),
        host_config: Some(HostConfig {
            port_bindings: Some(
                [(
                    "8080/tcp".to_owned(),
                    Some(vec![PortBinding {
                        host_ip: Some("127.0.0.1".into()),
                        host_port: Some(String::new()),
                    }]),
                )]
                .into(),
            ),
            ..Default::default()
        }),
        ..Default::default()
    };
    let container = TestContainer::start_with(&docker(), "proxy-web", body).await;
    let inspect = docker()
        .inspect_container(&container.name, None::<InspectContainerOptions>)
        .await
        .unwrap();
    let port = inspect
        .network_settings
        .and_then(|settings| settings.ports)
        .and_then(|ports| ports.get("8080/tcp").cloned().flatten())
        .and_then(|bindings| bindings.first().and_then(|b| b.host_port.clone()))
        .and_then(|port| port.parse().ok())
        .expect("the engine publishes 8080 on a port of 127.0.0.1");
    // Ready when httpd answers on the published port.
    let started = std::time::Instant::now();
    loop {
        if let Ok(answer) = reqwest::get(format!("http://127.0.0.1:{port}/")).await {
            if answer.status().is_success() {
                break;
            }
        }
        assert!(started.elapsed() < DEADLINE, "busybox httpd did not answer");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    (container, port)
}

/// An HTTPS client that resolves the test names to the proxy and trusts only the test CA.
fn client(ca_pem: &str, names: &[&str]) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).unwrap())
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(10));
    for name in names {
        // reqwest uses the port of the URL; the address here only gives the IP.
        builder = builder.resolve(name, SocketAddr::from(([127, 0, 0, 1], 0)));
    }
    builder.build().unwrap()
}

/// GETs `url` until it answers `status`, within the deadline (an nginx reload is
/// asynchronous); answers the body and the Location header.
async fn wait_for(client: &reqwest::Client, url: &str, status: u16) -> (String, String) {
    let started = std::time::Instant::now();
    loop {
        let last = match client.get(url).send().await {
            Ok(answer) if answer.status().as_u16() == status => {
                let location = answer
                    .headers()
                    .get("location")
                    .map(|value| value.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                return (answer.text().await.unwrap(), location);
            }
            Ok(answer) => format!("status {}", answer.status()),
            Err(error) => format!("{error:?}"),
        };
        assert!(
            started.elapsed() < DEADLINE,
            "{url} did not answer {status}: last {last}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn save_settings(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) {
    let fields: Vec<(String, &str)> = fields
        .iter()
        .map(|(key, value)| (format!("form[{key}]"), *value))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    let answer = call_as(
        &app.router,
        Some(cookie),
        "/api/routes/settings",
        &form(&fields),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
}

async fn add_route(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> common::Answer {
    let fields: Vec<(String, &str)> = fields
        .iter()
        .map(|(key, value)| (format!("form[{key}]"), *value))
        .collect();
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    call_as(
        &app.router,
        Some(cookie),
        "/api/routes/create",
        &form(&fields),
    )
    .await
}

async fn created_route(app: &TestApp, cookie: &str, fields: &[(&str, &str)]) -> i64 {
    let answer = add_route(app, cookie, fields).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json().as_i64().unwrap()
}

async fn preview(app: &TestApp, cookie: &str) -> serde_json::Value {
    let answer = call_as(&app.router, Some(cookie), "/api/routes/preview", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    answer.json()
}

async fn apply(app: &TestApp, cookie: &str) -> common::Answer {
    call_as(&app.router, Some(cookie), "/api/routes/apply", "").await
}

#[tokio::test]
async fn routes_are_validated_with_clear_sentences() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    for (fields, expected) in [
        (
            vec![
                ("public_name", "https://app.test"),
                ("address", "127.0.0.1:80"),
            ],
            "Leave out the scheme",
        ),
        (
            vec![("public_name", "app.test/a b"), ("address", "127.0.0.1:80")],
            "is not accepted",
        ),
        (
            vec![("public_name", "app.test"), ("address", "web")],
            "has no port",
        ),
        (
            vec![
                ("public_name", "app.test"),
                ("address", "127.0.0.1:80"),
                ("cert_file", "/etc/ssl/a.pem; include /etc/shadow"),
                ("key_file", "/etc/ssl/a.key"),
            ],
            "may not hold spaces",
        ),
        (
            vec![
                ("public_name", "app.test"),
                ("address", "127.0.0.1:80"),
                ("cert_file", "/etc/ssl/a.pem"),
            ],
            "Give both the certificate file and the key file",
        ),
    ] {
        let answer = add_route(&app, &cookie, &fields).await;
        let (kind, sentence) = error_of(&answer);
        assert_eq!(kind, "Invalid", "{sentence}");
        assert!(sentence.contains(expected), "{fields:?}: {sentence}");
    }
    // Nothing to preview before the proxy is set up: the page says what to do.
    let answer = call_as(&app.router, Some(&cookie), "/api/routes/preview", "").await;
    let (_, sentence) = error_of(&answer);
    assert!(sentence.contains("Set up the proxy first"), "{sentence}");
    // Anonymous visitors cannot even read the routes.
    let answer = call_as(&app.router, None, "/api/routes/list", "").await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{}", answer.body);
}

#[tokio::test]
async fn the_generated_caddyfile_passes_caddy_validate() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let dir = tempfile::tempdir().unwrap();
    let caddyfile = dir.path().join("Caddyfile");
    let caddyfile_text = caddyfile.display().to_string();
    let (https, http) = (free_port().to_string(), free_port().to_string());
    save_settings(
        &app,
        &cookie,
        &[
            ("kind", "caddy"),
            ("config_path", &caddyfile_text),
            ("reload_mode", "command"),
            ("http_port", &http),
            ("https_port", &https),
            ("listen_address", "127.0.0.1"),
        ],
    )
    .await;
    created_route(
        &app,
        &cookie,
        &[
            ("public_name", "app.example.org"),
            ("address", "127.0.0.1:8080"),
        ],
    )
    .await;
    created_route(
        &app,
        &cookie,
        &[
            ("public_name", "example.org/app"),
            ("address", "127.0.0.1:8081"),
        ],
    )
    .await;
    let preview = preview(&app, &cookie).await;
    let text = preview["candidate"].as_str().unwrap().to_owned();
    assert!(text.contains("handle_path /app/*"), "{text}");
    assert!(text.contains(&format!("https_port {https}")), "{text}");
    std::fs::write(&caddyfile, &text).unwrap();
    let output = Command::new("caddy")
        .args([
            "validate",
            "--adapter",
            "caddyfile",
            "--config",
            &caddyfile_text,
        ])
        .env("HOME", dir.path())
        .output()
        .expect("caddy runs (Debian's caddy; the test command installs it)");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        output.status.success(),
        "caddy validate refused:\n{said}\n{text}"
    );
    // Caddy redirects HTTP to HTTPS by itself for these sites.
    assert!(
        said.contains("enabling automatic HTTP->HTTPS redirects"),
        "{said}"
    );
}

#[tokio::test]
async fn nginx_serves_the_routes_over_https_and_keeps_serving_when_a_route_is_refused() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let dir = tempfile::tempdir().unwrap();
    let (ca_pem, cert_file, key_file) =
        write_certificate(dir.path(), &["app.test", "example.test"]);
    let (cert, key) = (
        cert_file.display().to_string(),
        key_file.display().to_string(),
    );
    let routes_file = dir.path().join("routes.conf");
    std::fs::write(&routes_file, "# nothing routed yet\n").unwrap();
    let nginx = Nginx::start(dir.path(), &routes_file);
    let instance = nginx.instance_args().join(" ");
    let (https, http) = (free_port(), free_port());
    save_settings(
        &app,
        &cookie,
        &[
            ("kind", "nginx"),
            ("config_path", &routes_file.display().to_string()),
            ("validate", &format!("nginx -t {instance}")),
            ("reload_mode", "command"),
            ("reload_command", &format!("nginx {instance} -s reload")),
            ("http_port", &http.to_string()),
            ("https_port", &https.to_string()),
            ("listen_address", "127.0.0.1"),
        ],
    )
    .await;

    let (_web, web_port) = web_container("hello from the web container").await;
    // A service of caretaker publishing the container's port: the subdomain route uses it.
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/services/create",
        &form(&[
            ("form[name]", "web"),
            ("form[image]", common::TEST_IMAGE),
            ("form[ports]", &format!("127.0.0.1:{web_port}:8080")),
        ]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let service_id = answer.json().as_i64().unwrap().to_string();
    let app_route = created_route(
        &app,
        &cookie,
        &[
            ("public_name", "app.test"),
            ("service", &service_id),
            ("cert_file", &cert),
            ("key_file", &key),
        ],
    )
    .await;
    created_route(
        &app,
        &cookie,
        &[
            ("public_name", "example.test/app"),
            ("address", &format!("127.0.0.1:{web_port}")),
            ("cert_file", &cert),
            ("key_file", &key),
        ],
    )
    .await;

    // The page shows the file before it is applied, as a difference from the one on disk.
    let shown = preview(&app, &cookie).await;
    assert_eq!(shown["changed"], true);
    let candidate = shown["candidate"].as_str().unwrap().to_owned();
    assert!(
        candidate.contains(&format!("proxy_pass http://127.0.0.1:{web_port};")),
        "{candidate}"
    );
    assert!(candidate.contains("location /app/ {"), "{candidate}");
    let diff = shown["diff"].to_string();
    assert!(
        diff.contains("Removed") && diff.contains("nothing routed yet"),
        "{diff}"
    );
    let page = get_as(&app.router, Some(&cookie), "/routes").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("data-diff"),
        "the page shows the difference"
    );
    assert!(
        page.body.contains("server_name app.test;"),
        "the page shows the file"
    );

    let answer = apply(&app, &cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let said = answer.json().as_str().unwrap().to_owned();
    assert!(said.contains("nginx accepted the configuration"), "{said}");
    assert_eq!(std::fs::read_to_string(&routes_file).unwrap(), candidate);
    assert_eq!(preview(&app, &cookie).await["changed"], false);

    let client = client(&ca_pem, &["app.test", "example.test"]);
    let (body, _) = wait_for(&client, &format!("https://app.test:{https}/"), 200).await;
    assert!(body.contains("hello from the web container"), "{body}");
    // The sub-path reaches the same container without its prefix.
    let (body, _) = wait_for(&client, &format!("https://example.test:{https}/app/"), 200).await;
    assert!(body.contains("hello from the web container"), "{body}");
    let (_, location) = wait_for(&client, &format!("https://example.test:{https}/app"), 301).await;
    assert!(location.ends_with("/app/"), "{location}");
    // HTTP is redirected to HTTPS, on the HTTPS port.
    let (_, location) = wait_for(&client, &format!("http://app.test:{http}/page?x=1"), 301).await;
    assert_eq!(location, format!("https://app.test:{https}/page?x=1"));
    // Other paths of a host with only sub-path routes are not found.
    wait_for(&client, &format!("https://example.test:{https}/other"), 404).await;

    // A route nginx refuses: its upstream does not resolve. It is never applied.
    let broken = created_route(
        &app,
        &cookie,
        &[
            ("public_name", "broken.test"),
            ("address", "nonexistent.invalid:80"),
            ("cert_file", &cert),
            ("key_file", &key),
        ],
    )
    .await;
    let before = std::fs::read(&routes_file).unwrap();
    let answer = apply(&app, &cookie).await;
    let (kind, sentence) = error_of(&answer);
    assert_eq!(kind, "Invalid", "{sentence}");
    assert!(
        sentence.starts_with("nginx refused the new configuration, so it was not applied"),
        "{sentence}"
    );
    assert!(
        sentence.contains("host not found in upstream \"nonexistent.invalid"),
        "nginx's own words: {sentence}"
    );
    assert!(
        !sentence.contains("[emerg]"),
        "a plain sentence: {sentence}"
    );
    assert_eq!(
        std::fs::read(&routes_file).unwrap(),
        before,
        "the file on disk is the previous one, byte for byte"
    );
    // The running nginx keeps serving the old routes.
    let (body, _) = wait_for(&client, &format!("https://app.test:{https}/"), 200).await;
    assert!(body.contains("hello from the web container"), "{body}");
    // The page says what happened, and the audit log has it.
    let page = get_as(&app.router, Some(&cookie), "/routes").await;
    assert!(
        page.body.contains("host not found in upstream"),
        "last apply on the page"
    );
    let audit =
        app::audit::service::search(&app.state.db, &app::audit::AuditFilter::default(), Some(50))
            .await
            .unwrap();
    assert!(
        audit.iter().any(|entry| entry.area == "routes"
            && entry.action == "apply"
            && entry.outcome == app::audit::Outcome::Failed),
        "{audit:?}"
    );

    // Fixing the route by editing it: the next apply passes and serves it.
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/routes/update",
        &form(&[
            ("id", &broken.to_string()),
            ("form[public_name]", "example.test/second/"),
            ("form[address]", &format!("127.0.0.1:{web_port}")),
            ("form[cert_file]", &cert),
            ("form[key_file]", &key),
        ]),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let answer = apply(&app, &cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let (body, _) = wait_for(
        &client,
        &format!("https://example.test:{https}/second/"),
        200,
    )
    .await;
    assert!(body.contains("hello from the web container"), "{body}");

    // Certificates: the file and the live handshakes, with the days left.
    *app.state.monitors.probes.roots.write().unwrap() = app::monitors::tls::TrustRoots::empty()
        .with_extra_pem(ca_pem.as_bytes())
        .unwrap();
    let answer = call_as(&app.router, Some(&cookie), "/api/routes/certificates", "").await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let inventory = answer.json();
    let file = inventory["files"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["source"] == format!("file {cert}"))
        .unwrap_or_else(|| panic!("the test certificate file is listed: {inventory}"));
    assert_eq!(file["days_left"], VALID_DAYS, "{file}");
    assert_eq!(file["subject"], "app.test", "{file}");
    assert_eq!(file["issuer"], "Caretaker Proxy Test CA", "{file}");
    let live = inventory["live"].as_array().unwrap();
    for host in ["app.test", "example.test"] {
        let entry = live
            .iter()
            .find(|entry| entry["source"].as_str().unwrap().starts_with(host))
            .unwrap_or_else(|| panic!("{host} is checked live: {inventory}"));
        assert_eq!(entry["days_left"], VALID_DAYS, "{entry}");
        assert_eq!(entry["ok"], true, "{entry}");
        assert!(
            entry["summary"]
                .as_str()
                .unwrap()
                .contains(&format!("expires in {VALID_DAYS} days")),
            "{entry}"
        );
    }
    let page = get_as(&app.router, Some(&cookie), "/routes/certificates").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body
            .contains(&format!("data-days-left=\"{VALID_DAYS}\"")),
        "the page lists the days left"
    );

    // Watching a route's certificate creates a TLS monitor of the monitors area.
    let answer = call_as(
        &app.router,
        Some(&cookie),
        "/api/routes/watch",
        &format!("id={app_route}"),
    )
    .await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let monitors = app::monitors::service::tls_monitors(&app.state)
        .await
        .unwrap();
    assert!(
        monitors
            .iter()
            .any(|(_, name, server, port)| name == "Certificate of app.test"
                && server == "app.test"
                && *port == https),
        "{monitors:?}"
    );
    let routes = call_as(&app.router, Some(&cookie), "/api/routes/list", "")
        .await
        .json();
    let watched = routes["routes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["route"]["host"] == "app.test")
        .unwrap();
    assert_eq!(
        watched["monitor"][1], "Certificate of app.test",
        "{watched}"
    );
    drop(nginx);
}

/// Reads a file until `done` says its text is complete, within the deadline.
async fn wait_for_file(path: &Path, what: &str, done: impl Fn(&str) -> bool) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if done(&text) {
            return text;
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what} did not happen; {} holds: {text:?}",
            path.display()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn a_proxy_container_validates_inside_and_is_reloaded_with_sighup() {
    let app = test_app(LOCAL_DOCKER).await;
    let cookie = app.admin_cookie().await;
    let dir = tempfile::tempdir().unwrap();
    let shared = dir.path().display().to_string();
    let routes_file = dir.path().join("routes.conf");
    let routes_text = routes_file.display().to_string();
    let signals = dir.path().join("signals");
    // The "proxy": a shell that notes each SIGHUP, with the folder of the generated file
    // mounted at the same path (as a proxy container mounts its configuration).
    let script = format!(
        "trap 'echo reloaded >> {signals}' HUP; while true; do /bin/busybox sleep 1; done",
        signals = signals.display()
    );
    let body = ContainerCreateBody {
        cmd: Some(vec![
            "/bin/busybox".into(),
            "sh".into(),
            "-c".into(),
            script,
        ]),
        host_config: Some(HostConfig {
            binds: Some(vec![format!("{shared}:{shared}")]),
            ..Default::default()
        }),
        ..Default::default()
    };
    let proxy = TestContainer::start_with(&docker(), "proxy-box", body).await;
    // Validation runs in the container and sees the candidate file in place.
    let validate_in_container =
        format!("/bin/busybox grep -q 'server_name app.test;' {routes_text}");
    let settings = |validate: String| {
        vec![
            ("kind", "nginx".to_owned()),
            ("config_path", routes_text.clone()),
            ("validate", validate),
            ("reload_mode", "signal".to_owned()),
            ("container", proxy.name.clone()),
            ("docker_host", "local".to_owned()),
        ]
    };
    let owned = settings(validate_in_container.clone());
    let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    save_settings(&app, &cookie, &fields).await;
    created_route(
        &app,
        &cookie,
        &[
            ("public_name", "app.test"),
            ("address", "127.0.0.1:8080"),
            ("cert_file", "/etc/ssl/app.pem"),
            ("key_file", "/etc/ssl/app.key"),
        ],
    )
    .await;
    let answer = apply(&app, &cookie).await;
    assert_eq!(answer.status, StatusCode::OK, "{}", answer.body);
    let applied = std::fs::read(&routes_file).unwrap();
    assert!(String::from_utf8_lossy(&applied).contains("server_name app.test;"));
    wait_for_file(&signals, "the SIGHUP to the proxy container", |text| {
        text.lines().count() == 1
    })
    .await;

    // A check that fails inside the container: its words reach the page, the file is put
    // back.
    let refusing = "/bin/busybox sh -c 'echo \"nginx: [emerg] unknown directive \\\"bogus\\\" in /etc/nginx/conf.d/caretaker.conf:3\" >&2; exit 1'".to_owned();
    let owned = settings(refusing);
    let fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    save_settings(&app, &cookie, &fields).await;
    created_route(
        &app,
        &cookie,
        &[
            ("public_name", "example.test/app"),
            ("address", "127.0.0.1:8081"),
            ("cert_file", "/etc/ssl/app.pem"),
            ("key_file", "/etc/ssl/app.key"),
        ],
    )
    .await;
    let answer = apply(&app, &cookie).await;
    let (kind, sentence) = error_of(&answer);
    assert_eq!(kind, "Invalid", "{sentence}");
    assert!(
        sentence.ends_with(
            "keeps serving: unknown directive \"bogus\" in /etc/nginx/conf.d/caretaker.conf:3."
        ),
        "{sentence}"
    );
    assert_eq!(std::fs::read(&routes_file).unwrap(), applied);

    // A container that is gone: the sentence names it, nothing changes.
    let owned = settings(validate_in_container);
    let mut fields: Vec<(&str, &str)> = owned.iter().map(|(k, v)| (*k, v.as_str())).collect();
    fields.retain(|(key, _)| *key != "container");
    fields.push(("container", "no-such-proxy-container"));
    save_settings(&app, &cookie, &fields).await;
    let answer = apply(&app, &cookie).await;
    let (kind, sentence) = error_of(&answer);
    assert_eq!(kind, "EngineUnavailable", "{sentence}");
    assert!(
        sentence.contains("there is no container named no-such-proxy-container on local"),
        "{sentence}"
    );
    assert_eq!(std::fs::read(&routes_file).unwrap(), applied);
}
