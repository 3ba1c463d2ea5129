//! Start-up and graceful shutdown of the web server.

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use app::auth::github::GithubSettings;
use app::auth::service::{self, Auth, AuthSettings};
use app::core::db;
use app::core::docker::DockerEngine;
use app::core::state::AppState;
use tower_sessions_sqlx_store::SqliteStore;

use crate::config::Config;
use crate::tls::{self, Tls};

/// Opens the database (migrating it), recovers interrupted tasks and backups, and builds
/// the state.
pub async fn prepare(config: &Config) -> anyhow::Result<AppState> {
    let state = open_state(config).await?;
    state.tasks.recover_after_restart().await?;
    app::containers::service::load_hosts(&state).await?;
    // Backups whose process died: marked interrupted, their stopped containers started.
    app::backups::service::recover(&state, true).await?;
    Ok(state)
}

/// The state over the database, without recovering anything: for commands that may run
/// beside a serving caretaker (whose running tasks are not theirs to mark).
pub async fn open_state(config: &Config) -> anyhow::Result<AppState> {
    let pool = db::open(&config.data_dir)
        .await
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let sessions = SqliteStore::new(pool.clone());
    sessions
        .migrate()
        .await
        .context("preparing the session table")?;
    let docker = DockerEngine::new(config.docker_host.clone(), config.docker_timeout);
    let auth = Auth::new(auth_settings(config), sessions);
    let secrets = app::core::secrets::SecretBox::open(&config.data_dir)
        .with_context(|| format!("reading the secret key in {}", config.data_dir.display()))?;
    Ok(AppState::new(
        pool,
        docker,
        leptos_options(config),
        auth,
        secrets,
    ))
}

/// Login settings from the configuration.
pub fn auth_settings(config: &Config) -> AuthSettings {
    let github = match (&config.github_client_id, &config.github_client_secret) {
        (Some(client_id), Some(secret)) => Some(GithubSettings {
            client_id: client_id.clone(),
            client_secret: secret.expose().to_owned(),
            authorize_url: format!("{}/login/oauth/authorize", config.github_oauth_url),
            token_url: format!("{}/login/oauth/access_token", config.github_oauth_url),
            api_url: config.github_api_url.clone(),
            pkce: config.github_pkce,
        }),
        _ => None,
    };
    AuthSettings {
        public_url: config.effective_public_url(),
        public_url_configured: config.public_url.is_some(),
        github,
        idle_timeout: config.session_idle_timeout,
        absolute_timeout: config.session_absolute_timeout,
        trusted_proxies: config.trusted_proxies.clone(),
        metrics_token: config
            .metrics_token
            .as_ref()
            .map(|token| token.expose().to_owned()),
    }
}

/// On first run nobody can log in yet: print a one-time link for the local administrator.
/// It goes to standard error (the server's log) only, never into tracing's structured
/// output, which may be shipped elsewhere.
async fn offer_first_login(state: &AppState) -> anyhow::Result<()> {
    if !service::needs_first_admin(&state.db).await? {
        return Ok(());
    }
    let link = service::create_login_link(&state.db, &state.auth.settings.public_url).await?;
    eprintln!(
        "\n  No administrator yet. Open this one-time link within 15 minutes to log in as the local admin:\n\n    {link}\n\n  (A new one: `caretaker admin login-link`.)\n"
    );
    Ok(())
}

/// How leptos finds the compiled site. Built here rather than read from Cargo.toml, so
/// the binary runs anywhere, not only under cargo-leptos.
pub fn leptos_options(config: &Config) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name("caretaker")
        .site_root(config.site_root.display().to_string())
        .site_pkg_dir("pkg")
        .site_addr(config.bind)
        .build()
}

/// How long shutdown waits for requests in flight.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);
/// How long "before shutdown" jobs may take. Under systemd (TimeoutStopSec, 90 s by
/// default) this fits; under Docker set `stop_grace_period` above it (the default 10 s
/// is less).
const SHUTDOWN_JOBS_LIMIT: Duration = Duration::from_secs(60);
/// How often expired sessions are swept from the database.
const SESSION_SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// Deletes expired session data and logged-in sessions past their timeouts, now and then,
/// so the Users page lists live sessions only and the tables do not grow forever.
fn sweep_sessions(state: &AppState) {
    use tower_sessions::ExpiredDeletion;
    let store = state.auth.sessions.clone();
    tokio::spawn(store.continuously_delete_expired(SESSION_SWEEP_EVERY));
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SESSION_SWEEP_EVERY);
        loop {
            every.tick().await;
            if let Err(error) = service::sweep_sessions(&state).await {
                tracing::warn!(%error, "could not sweep expired sessions");
            }
        }
    });
}

/// Refreshes every Docker host's snapshot in the background: pages read the snapshots and
/// never wait for an engine. A slow host delays only its own next snapshot.
fn watch_docker_hosts(state: &AppState) {
    let state = state.clone();
    tokio::spawn(async move {
        let mut every = tokio::time::interval(app::containers::fleet::REFRESH_INTERVAL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            // Side by side: an engine that does not answer delays neither look.
            tokio::join!(
                app::cluster::service::refresh(&state),
                state.fleet.refresh_all()
            );
        }
    });
}

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(config: Config) -> anyhow::Result<()> {
    // The certificate first: an unusable one stops the start before anything is touched.
    let tls = config.tls().map(Tls::load).transpose()?;
    if !config.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %config.site_root.display(),
            "the compiled site is missing: pages render without style or scripts. Build it with `cargo leptos build --release`, or set CARETAKER_SITE_ROOT"
        );
    }
    let state = prepare(&config).await?;
    offer_first_login(&state).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let address: SocketAddr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    tracing::info!(
        url = %format!("{scheme}://{address}"),
        data_dir = %config.data_dir.display(),
        docker = %config.docker_host,
        "caretaker is serving"
    );
    let db = state.db.clone();
    sweep_sessions(&state);
    watch_docker_hosts(&state);
    // Jobs: runs missed while caretaker was down, startup jobs, then the timetable.
    app::jobs::service::start(&state).await?;
    // Monitors: each on its interval, until the process ends.
    tokio::spawn(app::monitors::runner::supervise(state.clone()));
    app::monitors::runner::register_retention(&state);
    tokio::spawn(app::analytics::service::tail(state.clone()));
    // caretaker's own database, copied daily into the data directory with no setup.
    app::backups::snapshot::register(
        &state.scheduler,
        state.db.clone(),
        config.data_dir.clone(),
        config.snapshots_keep,
    );
    let scheduler = state.scheduler.clone();
    tokio::spawn(scheduler.clone().run());
    // Requests in flight may finish, but not forever: a task's event stream stays open as
    // long as its task runs, so shutdown gives up waiting after SHUTDOWN_GRACE.
    let (stopping_tx, mut stopping) = tokio::sync::watch::channel(false);
    let shutdown = async move {
        shutdown_signal().await;
        let _ = stopping_tx.send(true);
    };
    tokio::select! {
        served = serve(listener, state, tls, tls::RELOAD_INTERVAL, shutdown) => served?,
        _ = async {
            let _ = stopping.wait_for(|stopping| *stopping).await;
            tokio::time::sleep(SHUTDOWN_GRACE).await;
        } => tracing::warn!("requests still open after {} s; stopping anyway", SHUTDOWN_GRACE.as_secs()),
    }
    // "Before shutdown" jobs, with their time limit, while the database is still open.
    scheduler.shutdown(SHUTDOWN_JOBS_LIMIT).await;
    db.close().await;
    tracing::info!("caretaker stopped");
    Ok(())
}

/// Serves the app on `listener` until `shutdown` completes, then finishes the requests in
/// flight. With `tls` it speaks HTTPS and looks at the certificate files every
/// `reload_interval` (the binary: [`tls::RELOAD_INTERVAL`]; tests pass less).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    tls: Option<Tls>,
    reload_interval: Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    // The access policy and the audit log read the peer address from ConnectInfo.
    let app = crate::build_router(state).into_make_service_with_connect_info::<SocketAddr>();
    let Some(tls) = tls else {
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        return Ok(());
    };
    let acceptor = axum_server::tls_rustls::RustlsAcceptor::new(tls.rustls_config());
    let handle = axum_server::Handle::new();
    let stop = tokio::spawn({
        let handle = handle.clone();
        async move {
            shutdown.await;
            // No time limit, like axum::serve: every request in flight may finish.
            handle.graceful_shutdown(None);
        }
    });
    let reload = tls.watch(reload_interval);
    let served = axum_server::Server::<SocketAddr>::from_listener(listener)
        .acceptor(acceptor)
        .handle(handle)
        .serve(app)
        .await;
    reload.abort();
    stop.abort();
    served.context("serving HTTPS")
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("stopping: finishing the requests in flight");
}
