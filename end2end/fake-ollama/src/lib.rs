//! # fake-ollama
//!
//! A test double of Ollama's HTTP API: the native `/api/*` endpoints that
//! caretaker drives to list, pull, delete, copy, load and query models. It is
//! used in-process by Rust integration tests ([`FakeOllama::start`]) and as
//! the `fake-ollama` binary by browser end-to-end tests.
//!
//! ## What it follows
//!
//! Behaviour follows **Ollama's API at v0.33.0-rc2** (commit
//! `fb30760996871fa9460115c753afd2c60d4ab0f7`) as summarised, with sources,
//! in `shared/reference/ollama-api.md` (cited below as "ref §N"):
//!
//! * `GET`/`HEAD /` (`Ollama is running`), `GET`/`HEAD /api/version`,
//!   `GET /api/tags`, `POST /api/show`, `POST /api/pull`,
//!   `DELETE /api/delete`, `POST /api/copy`, `GET /api/ps` and
//!   `POST /api/generate` (ref §4);
//! * Gin's framing (ref §1): compact JSON without a trailing newline for
//!   single replies, `application/x-ndjson` streams flushed one object per
//!   line, `{"error": ...}` bodies with the statuses of ref §2, an empty body
//!   → 400 `missing request body`, plain-text `404 page not found` and
//!   `405 method not allowed`;
//! * model names as in ref §3: `llama3.2` is `llama3.2:latest`, lookups
//!   ignore case, tags and ps show the short form with its tag, generate
//!   echoes `model` as sent;
//! * pull progress as in ref §4 pull: `pulling manifest`, `pulling <12 hex>`
//!   lines per layer then config with growing `completed`, `verifying sha256
//!   digest`, `writing manifest`, `success`; failures after the first line
//!   are an in-stream `{"error": ...}` with status 200, or 500 with
//!   `stream: false`;
//! * `keep_alive` as seconds or a Go duration, negative = forever, and the
//!   asynchronous unload after `keep_alive: 0`.
//!
//! ## Where it is not Ollama
//!
//! * There is no registry, no weights and no inference. Pullable models come
//!   from a built-in catalog (`tinyllama:latest`, `llama3.2:1b`,
//!   `qwen2.5:0.5b`, `phi3:mini`, plus [`FakeOllama::add_to_catalog`]) with
//!   made-up sha256 digests and sizes of tens of MiB. Every other name pulls
//!   like a name the registry does not know.
//! * Generate answers `You asked: <prompt>. This is a fake answer from
//!   fake-ollama.`, one word per token, one token per
//!   [`Options::token_tick`]. Metrics are real timings of that.
//!   `num_predict` is honoured (then `done_reason` is `length`); other
//!   options, `system`, `images`, `format`, `raw` and `think` are ignored.
//! * Two pulls of the same model at once advance the same partial blobs
//!   rather than sharing one download; the pull is driven by the client
//!   reading the stream, so a client that goes away stops the "download"
//!   (Ollama would finish it in the background).
//! * Malformed JSON gets 400 with serde's wording, not Go's.
//! * `HEAD` is answered on every `GET` route (Ollama routes it only for `/`,
//!   `/api/version` and `/api/tags`). No `Host` check, no 403, no cloud
//!   models, no 401/499/503.
//! * No `/api/chat`, `/api/embed`, `/api/create`, `/api/push`, blobs or
//!   `/v1/*`: they answer 404 like an unknown route.
//! * Where the reference says **unconfirmed**, the choice is marked so in the
//!   code: the show 404 uses the short name (`model 'foo:latest' not
//!   found`), copy overwrites an existing destination, and "forever" is
//!   now + Go's largest duration (about 292 years).
//!
//! ## Test hooks
//!
//! * [`Options`]: installed models at start, pull and token speeds, GPU or CPU.
//! * [`FakeOllama::fail_next_pull`]: the next pull of a model fails partway,
//!   in-stream or by dropping the connection; the partial bytes stay, so a
//!   retry resumes.
//! * [`FakeOllama::set_free_disk`]: pulls beyond it fail with Ollama's
//!   ENOSPC message.
//! * [`FakeOllama::stop`] and [`FakeOllama::start_on`]: a server that goes
//!   down mid-stream and comes back on the same port.
//! * The same hooks over HTTP for the binary, under `/_fake/` (see
//!   [`FakeOllama::router`]).

mod api;
mod catalog;
mod control;
mod generate;
mod keep_alive;
mod names;
mod pull;
mod reply;
mod state;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{delete, get, post};
use axum::Router;
use chrono::{Local, TimeDelta};
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::state::{ArmedFailure, Installed, Shared, State};

/// How the fake starts.
#[derive(Clone, Debug)]
pub struct Options {
    /// What `/api/version` reports.
    pub version: String,
    /// Catalog models on disk at start (any spelling, e.g. `llama3.2:1b`).
    /// The first one is the most recently modified.
    pub installed: Vec<String>,
    /// Time between two pull progress lines (Ollama sends one about every 60 ms).
    pub pull_tick: Duration,
    /// Bytes "downloaded" per tick.
    pub pull_bytes_per_tick: u64,
    /// Time per generated token, and for loading a model that is not loaded.
    pub token_tick: Duration,
    /// `true`: loaded models are all in VRAM (`size_vram == size`);
    /// `false`: CPU only (`size_vram == 0`).
    pub gpu: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            version: "0.33.0-rc2".to_owned(),
            installed: Vec::new(),
            pull_tick: Duration::from_millis(60),
            pull_bytes_per_tick: 4 * 1024 * 1024,
            token_tick: Duration::from_millis(20),
            gpu: false,
        }
    }
}

/// How an armed pull failure shows to the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PullFailure {
    /// An in-stream `{"error": message}` line, HTTP status still 200.
    Error(String),
    /// The connection is dropped without a terminator, as when the server dies.
    Disconnect,
}

/// A running fake Ollama. Dropping it stops it too, like [`FakeOllama::stop`]
/// but without waiting.
pub struct FakeOllama {
    shared: Arc<Shared>,
    addr: SocketAddr,
    shutdown: watch::Sender<bool>,
    server: Option<JoinHandle<()>>,
}

impl FakeOllama {
    /// Starts on `127.0.0.1` with a free port.
    pub async fn start(options: Options) -> std::io::Result<FakeOllama> {
        Self::start_on(options, SocketAddr::from(([127, 0, 0, 1], 0))).await
    }

    /// Starts on `addr`, e.g. the address of a fake that was stopped, to
    /// bring "the same server" back. The new fake starts from `options`
    /// alone: nothing of the stopped one's state (models pulled since,
    /// partial blobs, loaded models) carries over, so list in
    /// [`Options::installed`] what should survive. Fails with `InvalidInput` when
    /// [`Options::installed`] names a model that is not in the catalog.
    pub async fn start_on(options: Options, addr: SocketAddr) -> std::io::Result<FakeOllama> {
        let state = initial_state(&options.installed)?;
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::new(options, state));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let router = router(shared.clone());
        let server = tokio::spawn(serve(listener, router, shutdown_rx));
        Ok(FakeOllama {
            shared,
            addr,
            shutdown,
            server: Some(server),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Makes the next pull of `model` fail once it has streamed `after_bytes`
    /// (counted over all blobs of that attempt, not counting bytes already on
    /// disk). The bytes written so far stay on disk, so a retry resumes from
    /// them. The failure is used up by the next pull of the model even if
    /// that pull has fewer bytes left to fetch and so succeeds.
    pub fn fail_next_pull(&self, model: &str, after_bytes: u64, failure: PullFailure) {
        let key = names::key_of(model).unwrap_or_else(|| model.to_lowercase());
        self.shared.state().armed_failures.insert(
            key,
            ArmedFailure {
                after_bytes,
                failure,
            },
        );
    }

    /// Free disk space for blobs; `None` (the default) is unlimited. A pull
    /// that needs more fails in-stream with
    /// `write /root/.ollama/models/blobs/sha256-<hex>-partial: no space left on device`
    /// after filling what is left. Writing blobs uses it up; deleting a model
    /// gives back its blobs.
    pub fn set_free_disk(&self, free: Option<u64>) {
        self.shared.state().free_disk = free;
    }

    /// Installed models, short names with the tag, newest first as in `/api/tags`.
    pub fn installed(&self) -> Vec<String> {
        let state = self.shared.state();
        state
            .installed_newest_first()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    /// Loaded models, short names with the tag, in `/api/ps` order.
    pub fn loaded(&self) -> Vec<String> {
        let mut state = self.shared.state();
        state
            .loaded_latest_first()
            .into_iter()
            .map(|m| m.name)
            .collect()
    }

    /// Adds a model that can be pulled (or replaces the catalog entry of that
    /// name): the weights and a config blob adding up to `total_bytes`.
    ///
    /// # Panics
    /// If `name` is not a valid Ollama model name.
    pub fn add_to_catalog(&self, name: &str, total_bytes: u64) {
        if let Err(e) = add_to_catalog(&self.shared, name, total_bytes) {
            panic!("add_to_catalog: {e}");
        }
    }

    /// The whole fake on one router: the Ollama routes of the crate docs and
    /// the test controls `POST /_fake/fail-next-pull`
    /// (`{"model", "after_bytes", "error"?}`, no `error` = disconnect),
    /// `POST /_fake/free-disk` (`{"bytes": n | null}`), `POST /_fake/catalog`
    /// (`{"name", "total_bytes"}`) and `GET /_fake/state`
    /// (`{"installed": [...], "loaded": [...]}`).
    pub fn router(&self) -> Router {
        router(self.shared.clone())
    }

    /// Closes the listener and drops every open connection at once, cutting
    /// streams in flight, then returns when the port is free again.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(server) = self.server.take() {
            let _ = server.await;
        }
    }
}

impl Drop for FakeOllama {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

pub(crate) fn add_to_catalog(shared: &Shared, name: &str, total_bytes: u64) -> Result<(), String> {
    let parsed =
        names::ModelName::parse(name).ok_or_else(|| format!("invalid model name {name:?}"))?;
    let spec = catalog::custom_model(&parsed.short(), total_bytes);
    shared.state().catalog.insert(parsed.key(), Arc::new(spec));
    Ok(())
}

fn initial_state(installed: &[String]) -> std::io::Result<State> {
    let mut state = State::default();
    for spec in catalog::default_catalog() {
        let key = spec.name.to_lowercase();
        state.catalog.insert(key, Arc::new(spec));
    }
    let now = Local::now();
    for (index, name) in installed.iter().enumerate() {
        let spec = names::key_of(name)
            .and_then(|key| state.catalog.get(&key).cloned())
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{name:?} is not in fake-ollama's catalog"),
                )
            })?;
        for blob in spec.blobs() {
            state.blobs.insert(blob.hex.clone(), blob.size);
        }
        // One hour apart, so that /api/tags lists them in the order given.
        let modified_at = now - TimeDelta::hours(index as i64);
        state.installed.insert(
            spec.name.to_lowercase(),
            Installed {
                name: spec.name.clone(),
                spec,
                modified_at,
            },
        );
    }
    Ok(state)
}

fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/", get(api::root))
        .route("/api/version", get(api::version))
        .route("/api/tags", get(api::tags))
        .route("/api/show", post(api::show))
        .route("/api/pull", post(pull::pull))
        .route("/api/delete", delete(api::delete_model))
        .route("/api/copy", post(api::copy))
        .route("/api/ps", get(api::ps))
        .route("/api/generate", post(generate::generate))
        .merge(control::router())
        .fallback(reply::not_found)
        .method_not_allowed_fallback(reply::method_not_allowed)
        .with_state(shared)
}

/// Our own accept loop rather than `axum::serve`, whose graceful shutdown
/// waits for open responses: here shutdown drops every connection task, so a
/// client mid-stream sees the body cut, as when a real server dies.
async fn serve(listener: TcpListener, router: Router, shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let mut accept_shutdown = shutdown.clone();
    loop {
        tokio::select! {
            () = stopped(&mut accept_shutdown) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let service = TowerToHyperService::new(router.clone());
                    let mut connection_shutdown = shutdown.clone();
                    connections.spawn(async move {
                        let connection = hyper::server::conn::http1::Builder::new()
                            .serve_connection(TokioIo::new(stream), service);
                        tokio::select! {
                            result = connection => {
                                if let Err(e) = result {
                                    tracing::debug!("fake-ollama connection ended: {e}");
                                }
                            }
                            () = stopped(&mut connection_shutdown) => {}
                        }
                    });
                }
                Err(e) => {
                    // E.g. too many open files: keep serving the others.
                    tracing::warn!("fake-ollama accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    connections.shutdown().await;
}

/// Resolves once `stop` has been called or the [`FakeOllama`] dropped.
async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    // Only the outcome matters; the guard `wait_for` returns is not Send.
    let _ = shutdown.wait_for(|down| *down).await.is_ok();
}
