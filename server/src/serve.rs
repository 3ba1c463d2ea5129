//! Start-up and graceful shutdown of the web server.

use std::net::SocketAddr;

use anyhow::Context;
use leptos::config::LeptosOptions;
use tokio::net::TcpListener;

use app::core::db;
use app::core::docker::DockerEngine;
use app::core::state::AppState;

use crate::config::Config;

/// Opens the database (migrating it), recovers interrupted tasks, and builds the state.
pub async fn prepare(config: &Config) -> anyhow::Result<AppState> {
    let pool = db::open(&config.data_dir)
        .await
        .with_context(|| format!("opening the database in {}", config.data_dir.display()))?;
    let docker = DockerEngine::new(config.docker_host.clone(), config.docker_timeout);
    let state = AppState::new(pool, docker, leptos_options(config));
    state.tasks.recover_after_restart().await?;
    Ok(state)
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

/// Serves until Ctrl-C or SIGTERM, then finishes the requests in flight.
pub async fn run(config: Config) -> anyhow::Result<()> {
    if !config.site_root.join("pkg").is_dir() {
        tracing::warn!(
            site_root = %config.site_root.display(),
            "the compiled site is missing: pages render without style or scripts. Build it with `cargo leptos build --release`, or set CARETAKER_SITE_ROOT"
        );
    }
    let state = prepare(&config).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .with_context(|| format!("listening on {}", config.bind))?;
    let address: SocketAddr = listener.local_addr()?;
    tracing::info!(
        url = %format!("http://{address}"),
        data_dir = %config.data_dir.display(),
        docker = %config.docker_host,
        "caretaker is serving"
    );
    let db = state.db.clone();
    axum::serve(listener, crate::build_router(state))
        .with_graceful_shutdown(shutdown_signal())
        .await?;
    db.close().await;
    tracing::info!("caretaker stopped");
    Ok(())
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
