//! `fake-github`: the fake GitHub as a process, for browser end-to-end tests.
//!
//! Prints `fake-github listening on http://ADDR` on stdout once it accepts
//! connections, then serves until killed.

use std::io::Write as _;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::Parser;
use fake_github::{FakeGithub, FakeUser};

/// A fake of GitHub's OAuth App web flow and REST login checks, for tests.
///
/// Serves /login/oauth/authorize, /login/oauth/access_token, the REST routes
/// (/user, /user/orgs, /user/memberships/orgs/{org}, /user/teams,
/// /orgs/{org}/teams/{slug}/memberships/{username}) under --api-prefix, and
/// test controls: POST /_fake/sign-in-as/{id}, POST /_fake/sign-out,
/// POST /_fake/rename/{id}/{login}, POST /_fake/revoke-tokens,
/// POST /_fake/users, GET /_fake/token-requests, GET /_fake/authorize-scopes.
#[derive(Parser, Debug)]
#[command(name = "fake-github", version)]
struct Args {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0")]
    bind: SocketAddr,

    /// The OAuth App's client ID.
    #[arg(long)]
    client_id: String,

    /// The OAuth App's client secret.
    #[arg(long)]
    client_secret: String,

    /// The OAuth App's registered callback URL.
    #[arg(long)]
    callback: String,

    /// JSON file: an array of users
    /// ({"id", "login", "name"?, "orgs"?: [{"org_login", "org_id", "active"?, "role"?}],
    /// "teams"?: [{"org_login", "org_id", "team_slug", "team_id", "active"?}]}).
    #[arg(long)]
    users: PathBuf,

    /// Serve the REST API under this prefix, e.g. /api/v3 for GitHub Enterprise Server style.
    #[arg(long, default_value = "")]
    api_prefix: String,

    /// Start with this user id signed in (default: nobody, so authorize answers access_denied).
    #[arg(long)]
    sign_in_as: Option<u64>,
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
    let users_json = std::fs::read_to_string(&args.users)
        .map_err(|e| format!("reading {}: {e}", args.users.display()))?;
    let users: Vec<FakeUser> = serde_json::from_str(&users_json)
        .map_err(|e| format!("parsing {}: {e}", args.users.display()))?;

    let fake = FakeGithub::new(&args.client_id, &args.client_secret, &args.callback)
        .with_api_prefix(&args.api_prefix);
    for user in users {
        fake.add_user(user);
    }
    fake.sign_in_as(args.sign_in_as);

    let base = fake.serve_on(args.bind).await?;
    let mut stdout = std::io::stdout();
    writeln!(stdout, "fake-github listening on {base}")?;
    stdout.flush()?;

    tokio::signal::ctrl_c().await?;
    Ok(())
}
