//! The command line: `caretaker [serve]`, `migrate`, `healthcheck`, `config check`.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::{bail, Context};
use clap::{Args, Parser, Subcommand};

use crate::config::{Config, FlagValues, Inputs, SETTINGS};

#[derive(Debug, Parser)]
#[command(
    name = "caretaker",
    version,
    about = "A self-hosted admin dashboard for a few Docker hosts: containers, models, backups, monitors, request analytics.",
    long_about = "A self-hosted admin dashboard for a few Docker hosts.\n\n\
        Settings come from defaults, then a TOML file (--config or CARETAKER_CONFIG), then \
        CARETAKER_* environment variables, then flags. `caretaker config check` prints them."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Options of `serve`, the default command.
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the web server (the default).
    Serve(CommonArgs),
    /// Apply pending database migrations and exit.
    Migrate(CommonArgs),
    /// Exit 0 when the server answers GET /healthz (for Docker's HEALTHCHECK).
    Healthcheck(HealthcheckArgs),
    /// Configuration commands.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Administration commands.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Backups: list the plans, run one, list snapshots, restore.
    Backup {
        #[command(subcommand)]
        command: crate::backup_cli::BackupCommand,
    },
    /// Access logs: import files into the analytics, export a day's counts per route.
    Logs {
        #[command(subcommand)]
        command: crate::logs_cli::LogsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Print a one-time link (valid 15 minutes, single use) that logs in as the local admin.
    LoginLink(CommonArgs),
}

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the effective configuration and where each value came from; secrets as ***.
    Check(CommonArgs),
    /// Print the configuration reference (every setting, its environment variable, flag,
    /// default and accepted values) as Markdown; docs/configuration.md is this output.
    Reference,
}

#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// Address to listen on [default: 127.0.0.1:3000] [env: CARETAKER_BIND]
    #[arg(long, value_name = "ADDR", global = true)]
    pub bind: Option<String>,
    /// Directory of the database and state [default: ./data] [env: CARETAKER_DATA_DIR]
    #[arg(long, value_name = "DIR", global = true)]
    pub data_dir: Option<String>,
    /// TOML configuration file [env: CARETAKER_CONFIG]
    #[arg(long, value_name = "FILE", global = true)]
    pub config: Option<PathBuf>,
    /// Log format: human or json [default: human] [env: CARETAKER_LOG_FORMAT]
    #[arg(long, value_name = "FORMAT", global = true)]
    pub log_format: Option<String>,
}

#[derive(Debug, Clone, Args)]
pub struct HealthcheckArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// Seconds to wait for the answer.
    #[arg(long, default_value_t = 5)]
    pub timeout: u64,
}

impl CommonArgs {
    pub fn merged(&self, outer: &CommonArgs) -> CommonArgs {
        CommonArgs {
            bind: self.bind.clone().or_else(|| outer.bind.clone()),
            data_dir: self.data_dir.clone().or_else(|| outer.data_dir.clone()),
            config: self.config.clone().or_else(|| outer.config.clone()),
            log_format: self.log_format.clone().or_else(|| outer.log_format.clone()),
        }
    }

    fn flag_values(&self) -> FlagValues {
        let mut values = Vec::new();
        if let Some(bind) = &self.bind {
            values.push(("bind", bind.clone()));
        }
        if let Some(dir) = &self.data_dir {
            values.push(("data_dir", dir.clone()));
        }
        if let Some(format) = &self.log_format {
            values.push(("log.format", format.clone()));
        }
        FlagValues {
            config_file: self.config.clone(),
            values,
        }
    }

    /// The configuration from every layer, these flags last.
    pub fn load(
        &self,
    ) -> anyhow::Result<(
        Config,
        std::collections::BTreeMap<&'static str, crate::config::Source>,
    )> {
        let env: Vec<(String, String)> = std::env::vars().collect();
        Ok(Config::load(Inputs {
            flags: self.flag_values(),
            env: &env,
        })?)
    }
}

/// Runs the command line; returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(&cli.common).await,
        Some(Command::Serve(args)) => serve(&args.merged(&cli.common)).await,
        Some(Command::Migrate(args)) => {
            let (config, _) = args.merged(&cli.common).load()?;
            crate::logging::init(config.log_format, &config.log_level);
            app::core::db::open(&config.data_dir)
                .await
                .with_context(|| {
                    format!("migrating the database in {}", config.data_dir.display())
                })?;
            println!(
                "The database in {} is up to date.",
                config.data_dir.display()
            );
            Ok(())
        }
        Some(Command::Healthcheck(args)) => {
            let (config, _) = args.common.merged(&cli.common).load()?;
            healthcheck(
                config.bind,
                config.tls_cert_file.is_some(),
                Duration::from_secs(args.timeout),
            )
            .await
        }
        Some(Command::Admin {
            command: AdminCommand::LoginLink(args),
        }) => {
            let (config, _) = args.merged(&cli.common).load()?;
            let pool = app::core::db::open(&config.data_dir)
                .await
                .with_context(|| {
                    format!("opening the database in {}", config.data_dir.display())
                })?;
            let link = app::auth::service::create_login_link(&pool, &config.effective_public_url())
                .await?;
            println!("{link}");
            eprintln!("Open it within 15 minutes; it works once. Anyone with the link can log in as the local admin.");
            Ok(())
        }
        Some(Command::Backup { command }) => crate::backup_cli::run(command, &cli.common).await,
        Some(Command::Logs { command }) => crate::logs_cli::run(command, &cli.common).await,
        Some(Command::Config {
            command: ConfigCommand::Reference,
        }) => {
            print!("{}", crate::config::reference_markdown());
            Ok(())
        }
        Some(Command::Config {
            command: ConfigCommand::Check(args),
        }) => {
            let (config, sources) = args.merged(&cli.common).load()?;
            println!("# caretaker configuration (the value, then where it came from)");
            for setting in SETTINGS {
                println!(
                    "{:<22} = {:<40} # {}, {}",
                    setting.key,
                    config.shown(setting.key),
                    sources[setting.key],
                    setting.env
                );
            }
            println!("The configuration is valid.");
            Ok(())
        }
    }
}

async fn serve(args: &CommonArgs) -> anyhow::Result<()> {
    let (config, _) = args.load()?;
    crate::logging::init(config.log_format, &config.log_level);
    crate::serve::run(config).await
}

/// GET /healthz on the configured address, over HTTPS when caretaker serves TLS itself;
/// an unspecified bind address (0.0.0.0, ::) is reached on loopback. The certificate is
/// not checked: this asks the local process whether it is alive, and the certificate's
/// name rarely is the loopback address.
async fn healthcheck(bind: std::net::SocketAddr, tls: bool, limit: Duration) -> anyhow::Result<()> {
    let mut address = bind;
    if address.ip().is_unspecified() {
        address.set_ip(if address.is_ipv4() {
            std::net::Ipv4Addr::LOCALHOST.into()
        } else {
            std::net::Ipv6Addr::LOCALHOST.into()
        });
    }
    let url = format!("{}://{address}/healthz", if tls { "https" } else { "http" });
    let client = reqwest::Client::builder()
        .timeout(limit)
        .danger_accept_invalid_certs(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let answer = client.get(&url).send().await.map_err(|error| {
        if error.is_timeout() {
            anyhow::anyhow!("{url} did not answer within {} s", limit.as_secs())
        } else {
            anyhow::anyhow!("{url} cannot be reached: {error}")
        }
    })?;
    if answer.status().is_success() {
        println!("healthy: {url} answered {}", answer.status().as_u16());
        Ok(())
    } else {
        bail!("{url} answered {}", answer.status())
    }
}
