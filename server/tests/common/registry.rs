//! Debian's `docker-registry` on 127.0.0.1 for pull tests, and web images built here:
//! busybox's httpd serving `/version` and, when healthy, `/health`.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use bollard::query_parameters::{
    CreateImageOptionsBuilder, PushImageOptionsBuilder, RemoveImageOptionsBuilder,
};
use bollard::Docker;
use futures::StreamExt;

pub struct Registry {
    _dir: tempfile::TempDir,
    child: Child,
    /// `127.0.0.1:PORT`
    pub address: String,
}

impl Registry {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let config = dir.path().join("config.yml");
        std::fs::write(
            &config,
            format!(
                "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\nhttp:\n  addr: {address}\n",
                dir.path().join("data").display()
            ),
        )
        .unwrap();
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(&config)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "docker-registry runs (Debian's docker-registry; the test command installs it)",
            );
        // Built first, so a registry that never answers is still stopped when this panics.
        let registry = Self {
            _dir: dir,
            child,
            address,
        };
        for _ in 0..100 {
            if reqwest::get(format!("http://{}/v2/", registry.address))
                .await
                .is_ok()
            {
                return registry;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("docker-registry did not start on {}", registry.address);
    }
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// What a test web image holds: busybox httpd serves `/version` and, as a CGI script,
/// `/cgi-bin/health`.
pub enum WebImage<'a> {
    /// `/version` with this text; `/cgi-bin/health` answers 200.
    Healthy(&'a str),
    /// `/version` only: `/cgi-bin/health` answers 404.
    NoHealth(&'a str),
    /// `/cgi-bin/health` answers 500.
    Answers500,
    /// No `/www`: httpd exits at start.
    Exits,
}

/// Builds `repository:tag` from busybox, pushes it to its registry and removes it from
/// the engine, so a deploy must pull it for real.
pub async fn push_web_image(docker: &Docker, repository: &str, tag: &str, image: WebImage<'_>) {
    let busybox = std::fs::read("/bin/busybox").expect("/bin/busybox (busybox-static)");
    let mut archive = tar::Builder::new(Vec::new());
    let mut add = |path: &str, bytes: &[u8], mode: u32| {
        let mut header = tar::Header::new_gnu();
        header.set_size(bytes.len() as u64);
        header.set_mode(mode);
        archive.append_data(&mut header, path, bytes).unwrap();
    };
    add("bin/busybox", &busybox, 0o755);
    // Unique content, so no layer of it is on the engine already and the pull is real.
    let nonce = format!("{repository}:{tag} {:?}", std::time::SystemTime::now());
    add("build", nonce.as_bytes(), 0o644);
    let health = |status: &str| {
        format!("#!/bin/busybox sh\necho 'Status: {status}'\necho 'Content-Type: text/plain'\necho\necho {status}\n")
    };
    match image {
        WebImage::Healthy(version) => {
            add("www/version", version.as_bytes(), 0o644);
            add("www/cgi-bin/health", health("200 OK").as_bytes(), 0o755);
        }
        WebImage::NoHealth(version) => add("www/version", version.as_bytes(), 0o644),
        WebImage::Answers500 => {
            add("www/version", b"broken", 0o644);
            add(
                "www/cgi-bin/health",
                health("500 Internal Server Error").as_bytes(),
                0o755,
            );
        }
        WebImage::Exits => {}
    }
    let tarball = archive.into_inner().unwrap();
    let options = CreateImageOptionsBuilder::new()
        .from_src("-")
        .repo(repository)
        .tag(tag)
        .build();
    let mut import = docker.create_image(
        Some(options),
        Some(bollard::body_full(tarball.into())),
        None,
    );
    while let Some(step) = import.next().await {
        step.expect("importing a test web image");
    }
    let options = PushImageOptionsBuilder::new().tag(tag).build();
    let mut push = docker.push_image(repository, Some(options), None);
    while let Some(step) = push.next().await {
        let info = step.expect("pushing a test web image");
        assert!(info.error.is_none(), "push: {:?}", info.error);
    }
    let options = RemoveImageOptionsBuilder::new().force(true).build();
    docker
        .remove_image(&format!("{repository}:{tag}"), Some(options), None)
        .await
        .unwrap();
}

/// Removes every image of `repository` from the engine (the ones deploys pulled).
pub async fn remove_images(docker: &Docker, repository: &str) {
    let filters = [("reference", vec![repository])].into();
    let options = bollard::query_parameters::ListImagesOptionsBuilder::new()
        .filters(&filters)
        .build();
    for image in docker.list_images(Some(options)).await.unwrap_or_default() {
        let options = RemoveImageOptionsBuilder::new().force(true).build();
        let _ = docker.remove_image(&image.id, Some(options), None).await;
    }
}
