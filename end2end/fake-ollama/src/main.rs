//! `fake-ollama`: the fake Ollama as a process, for browser end-to-end tests.
//!
//! Prints `fake-ollama listening on http://ADDR` on stdout once it accepts
//! connections, then serves until SIGTERM or ctrl-c.

use std::io::Write as _;
use std::net::SocketAddr;
use std::time::Duration;

use clap::Parser;
use fake_ollama::{FakeOllama, Options};

/// A fake of Ollama's HTTP API (v0.33.0-rc2), for tests.
///
/// Serves GET / , /api/version, /api/tags, /api/ps, POST /api/show,
/// /api/pull, /api/copy, /api/generate and DELETE /api/delete, with a
/// built-in catalog of pullable models (tinyllama:latest, llama3.2:1b,
/// qwen2.5:0.5b, phi3:mini). Test controls: POST /_fake/fail-next-pull
/// {"model","after_bytes","error"?}, POST /_fake/free-disk {"bytes"},
/// POST /_fake/catalog {"name","total_bytes"}, GET /_fake/state.
#[derive(Parser, Debug)]
#[command(name = "fake-ollama", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,

    /// A catalog model installed at start (repeatable), e.g. llama3.2:1b.
    #[arg(long = "installed", value_name = "NAME")]
    installed: Vec<String>,

    /// Milliseconds between two pull progress lines.
    #[arg(long, default_value_t = 60)]
    pull_tick_ms: u64,

    /// Bytes "downloaded" per pull tick.
    #[arg(long, default_value_t = 4 * 1024 * 1024)]
    pull_bytes_per_tick: u64,

    /// Milliseconds per generated token.
    #[arg(long, default_value_t = 20)]
    token_tick_ms: u64,

    /// Report loaded models as fully in VRAM (default: CPU only, size_vram 0).
    #[arg(long)]
    gpu: bool,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();

    let args = Args::parse();
    let options = Options {
        installed: args.installed,
        pull_tick: Duration::from_millis(args.pull_tick_ms),
        pull_bytes_per_tick: args.pull_bytes_per_tick,
        token_tick: Duration::from_millis(args.token_tick_ms),
        gpu: args.gpu,
        ..Options::default()
    };
    let fake = FakeOllama::start_on(options, args.bind).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "fake-ollama listening on {}", fake.url())?;
    stdout.flush()?;

    wait_for_termination().await?;
    fake.stop().await;
    Ok(())
}

/// Test runners stop the process with SIGTERM; a person uses ctrl-c.
async fn wait_for_termination() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut sigterm =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result,
            _ = sigterm.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}
