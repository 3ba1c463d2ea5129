//! Helpers shared by the integration tests: an app on a temp database, requests through
//! the router, and containers on the real Docker engine.
#![allow(dead_code)] // Each test file uses a different part of these helpers.

pub mod engines;
pub mod registry;

use std::sync::atomic::{AtomicUsize, Ordering};

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use bollard::models::{ContainerCreateBody, HealthConfig};
use bollard::query_parameters::{
    CreateContainerOptionsBuilder, CreateImageOptionsBuilder, RemoveContainerOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;
use http_body_util::BodyExt;
use tower::ServiceExt;

use app::core::state::AppState;
use server::config::{Config, FlagValues, Inputs};

/// The local image every Docker test runs: Debian's static busybox as the only file.
/// No registry is reachable here, so the tests build it themselves.
pub const TEST_IMAGE: &str = "caretaker-test/busybox:1";
pub const LOCAL_DOCKER: &str = "unix:///var/run/docker.sock";

pub struct TestApp {
    pub dir: tempfile::TempDir,
    pub state: AppState,
    pub router: Router,
}

/// An app with its own database, talking to the Docker engine at `docker_host`.
pub async fn test_app(docker_host: &str) -> TestApp {
    test_app_with(docker_host, &[]).await
}

/// Like [`test_app`], with more settings (file keys and values, as on the command line).
pub async fn test_app_with(docker_host: &str, settings: &[(&'static str, String)]) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let mut values = vec![
        ("data_dir", dir.path().display().to_string()),
        ("docker.host", docker_host.to_owned()),
        ("docker.timeout_secs", "5".to_owned()),
    ];
    values.extend(settings.iter().cloned());
    let flags = FlagValues {
        config_file: None,
        values,
    };
    let (config, _) = Config::load(Inputs { flags, env: &[] }).unwrap();
    let state = server::serve::prepare(&config).await.unwrap();
    let router = server::build_router(state.clone());
    TestApp { dir, state, router }
}

pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    Answer {
        status,
        headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    }
}

/// A GET without a session.
pub async fn get(router: &Router, path: &str) -> Answer {
    get_as(router, None, path).await
}

/// A GET as a browser would send it, with the session cookie when given.
pub async fn get_as(router: &Router, cookie: Option<&str>, path: &str) -> Answer {
    let mut request = Request::get(path)
        .header("host", "localhost")
        .header("accept", "text/html,application/xhtml+xml,*/*");
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    send(router, request.body(Body::empty()).unwrap()).await
}

/// Calls a server function the way the hydrated page does: a same-origin form POST.
pub async fn call_as(router: &Router, cookie: Option<&str>, path: &str, form: &str) -> Answer {
    post_form(router, cookie, path, form, "application/json").await
}

/// A same-origin form POST.
pub async fn post_form(
    router: &Router,
    cookie: Option<&str>,
    path: &str,
    form: &str,
    accept: &str,
) -> Answer {
    let mut request = Request::post(path)
        .header("host", "localhost")
        .header("origin", "http://localhost")
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", accept);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    send(router, request.body(Body::from(form.to_owned())).unwrap()).await
}

/// A server function's error: its kind (`Invalid`, `NotFound`, …) and its sentence. The
/// answer's status must be the kind's (422, 404, 409, 500).
pub fn error_of(answer: &Answer) -> (String, String) {
    let json = answer.json();
    let (kind, sentence) = json
        .as_object()
        .and_then(|object| object.iter().next())
        .unwrap_or_else(|| panic!("not an error: {}", answer.body));
    let status = match kind.as_str() {
        "Invalid" => 422,
        "NotFound" => 404,
        "Conflict" => 409,
        "Unauthenticated" => 401,
        "Forbidden" => 403,
        "EngineUnavailable" => 503,
        "Request" => 400,
        _ => 500,
    };
    assert_eq!(answer.status.as_u16(), status, "{}", answer.body);
    (
        kind.clone(),
        sentence.as_str().unwrap_or_default().to_owned(),
    )
}

/// The `name=value` of the session cookie a response sets.
pub fn session_cookie(answer: &Answer) -> Option<String> {
    answer
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with("caretaker=") || value.starts_with("__Host-caretaker="))
        .map(|value| value.split(';').next().unwrap().to_owned())
}

impl TestApp {
    /// Logs in as the local administrator through a one-time link, like a new user
    /// following the link the server printed; returns the session cookie.
    pub async fn admin_cookie(&self) -> String {
        let link = app::auth::service::create_login_link(
            &self.state.db,
            &self.state.auth.settings.public_url,
        )
        .await
        .unwrap();
        let token = link.rsplit('/').next().unwrap();
        let settings = &self.state.auth.settings;
        // The browser's origin is the public URL when one is configured.
        let (origin, host) = if settings.public_url_configured {
            let (scheme, rest) = settings.public_url.split_once("://").unwrap();
            let host = rest.split('/').next().unwrap().to_owned();
            (format!("{scheme}://{host}"), host)
        } else {
            ("http://localhost".to_owned(), "localhost".to_owned())
        };
        let request = Request::post("/auth/link")
            .header("host", host)
            .header("origin", origin)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(Body::from(format!("token={token}")))
            .unwrap();
        let answer = send(&self.router, request).await;
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.headers["location"], settings.link("/").as_str());
        session_cookie(&answer).expect("the login sets a session cookie")
    }
}

pub fn docker() -> Docker {
    Docker::connect_with_unix_defaults().expect(
        "the Docker socket /var/run/docker.sock must exist: the test command starts dockerd",
    )
}

/// Imports [`TEST_IMAGE`] from /bin/busybox (Debian's busybox-static) unless it exists.
pub async fn ensure_test_image(docker: &Docker) {
    if docker.inspect_image(TEST_IMAGE).await.is_ok() {
        return;
    }
    let busybox = std::fs::read("/bin/busybox")
        .expect("/bin/busybox is missing: install Debian's busybox-static (the test command does)");
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(busybox.len() as u64);
    header.set_mode(0o755);
    archive
        .append_data(&mut header, "bin/busybox", busybox.as_slice())
        .unwrap();
    let tarball = archive.into_inner().unwrap();
    let (repo, tag) = TEST_IMAGE.split_once(':').unwrap();
    let options = CreateImageOptionsBuilder::new()
        .from_src("-")
        .repo(repo)
        .tag(tag)
        .build();
    let mut progress = docker.create_image(
        Some(options),
        Some(bollard::body_full(tarball.into())),
        None,
    );
    while let Some(step) = progress.next().await {
        step.expect("importing the test image");
    }
}

static NEXT: AtomicUsize = AtomicUsize::new(0);

/// A unique container name for this test process.
pub fn unique_name(prefix: &str) -> String {
    format!(
        "ct-{prefix}-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    )
}

/// A container that is removed (forcefully) when dropped.
pub struct TestContainer {
    pub name: String,
}

impl TestContainer {
    /// Creates and starts `sleep` in the test image, optionally with a health check.
    pub async fn start(docker: &Docker, prefix: &str, with_health: bool) -> Self {
        let body = ContainerCreateBody {
            healthcheck: with_health.then(|| HealthConfig {
                test: Some(vec!["CMD".into(), "/bin/busybox".into(), "true".into()]),
                interval: Some(500_000_000),
                timeout: Some(1_000_000_000),
                retries: Some(1),
                start_period: None,
                start_interval: None,
            }),
            ..Default::default()
        };
        Self::start_with(docker, prefix, body).await
    }

    /// Creates and starts a container of the test image from `body`; the image, a
    /// `sleep 600` command when `body` has none, and the test label are filled in.
    pub async fn start_with(docker: &Docker, prefix: &str, mut body: ContainerCreateBody) -> Self {
        ensure_test_image(docker).await;
        let name = unique_name(prefix);
        body.image = Some(TEST_IMAGE.to_owned());
        body.cmd
            .get_or_insert_with(|| vec!["/bin/busybox".into(), "sleep".into(), "600".into()]);
        body.labels = Some([("caretaker.test".to_owned(), "1".to_owned())].into());
        let options = CreateContainerOptionsBuilder::new().name(&name).build();
        docker.create_container(Some(options), body).await.unwrap();
        docker
            .start_container(
                &name,
                None::<bollard::query_parameters::StartContainerOptions>,
            )
            .await
            .unwrap();
        Self { name }
    }
}

impl Drop for TestContainer {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop cannot await; a short-lived runtime on its own thread removes the container.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let options = RemoveContainerOptionsBuilder::new().force(true).build();
                let _ = docker().remove_container(&name, Some(options)).await;
            });
        })
        .join();
    }
}
