//! The state every request handler and server function shares.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::config::LeptosOptions;
use sqlx::SqlitePool;

use super::docker::DockerEngine;
use super::error::AppError;
use super::metrics::Metrics;
use super::scheduler::{Scheduler, SystemClock};
use super::secrets::SecretBox;
use crate::auth::service::Auth;
use crate::containers::fleet::Fleet;
use crate::tasks::service::Tasks;

#[derive(Clone)]
pub struct AppState {
    /// The one SQLite pool of the process.
    pub db: SqlitePool,
    /// The local Docker engine (the `docker.host` setting).
    pub docker: DockerEngine,
    /// Seals secret values kept in the database (service environment).
    pub secrets: Arc<SecretBox>,
    /// Every Docker host, the local one first, and the last snapshot of each.
    pub fleet: Arc<Fleet>,
    /// Long work with progress, see `crate::tasks`.
    pub tasks: Tasks,
    /// Counters for `/metrics`.
    pub metrics: Arc<Metrics>,
    /// When scheduled work is due, and the clock everything reads the time from.
    pub scheduler: Arc<Scheduler>,
    /// Which jobs are running now (their overlap policy reads it).
    pub jobs: Arc<crate::jobs::service::JobLocks>,
    /// Where the compiled site (wasm, js, css, public files) is and how it is named.
    pub leptos_options: LeptosOptions,
    /// Login settings, the GitHub client, session store and rate limits.
    pub auth: Arc<Auth>,
    /// The monitors' HTTP clients, trusted roots, result writer and runner control.
    pub monitors: Arc<crate::monitors::runner::Monitors>,
    /// Whether the local engine is a Swarm manager, and its nodes' names, as last seen.
    pub swarm: Arc<crate::cluster::service::SwarmWatch>,
    /// Which log sources are being read now (one pass per source at a time).
    pub ingesting: Arc<crate::analytics::service::Ingesting>,
}

impl AppState {
    pub fn new(
        db: SqlitePool,
        docker: DockerEngine,
        leptos_options: LeptosOptions,
        auth: Auth,
        secrets: SecretBox,
    ) -> Self {
        Self {
            secrets: Arc::new(secrets),
            auth: Arc::new(auth),
            tasks: Tasks::new(db.clone()),
            db,
            fleet: Arc::new(Fleet::new(docker.clone())),
            docker,
            metrics: Arc::new(Metrics::new()),
            scheduler: Arc::new(Scheduler::new(Arc::new(SystemClock))),
            jobs: Arc::default(),
            ingesting: Arc::default(),
            swarm: Arc::default(),
            monitors: Arc::new(
                crate::monitors::runner::Monitors::new()
                    .expect("the monitors' HTTP client builds with fixed settings"),
            ),
            leptos_options,
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The app state inside a server function or a component rendered on the server.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>()
        .ok_or_else(|| AppError::internal("the app state was not provided to this request"))
}
