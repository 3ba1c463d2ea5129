//! `caretaker backup …`: the backup plans from a terminal or a script. The work runs in
//! this process through the same service as the web page (the same history, locks and
//! audit), so a plan never runs twice at once, whoever starts it.

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use app::audit::service::Actor;
use app::backups::{service, RestoreForm, Work};
use app::core::state::AppState;

use crate::cli::CommonArgs;

#[derive(Debug, Subcommand)]
pub enum BackupCommand {
    /// List the plans: each copy's last good backup, 3-2-1, and the last restore drill.
    List(CommonArgs),
    /// Run a plan now and wait for it; exits non-zero when it fails or is partial.
    Run(RunArgs),
    /// List a plan's snapshots in one of its repositories, newest first.
    Snapshots(SnapshotArgs),
    /// Restore a snapshot (or chosen paths of it) into a new or empty directory, or back
    /// into a Docker volume.
    Restore(RestoreArgs),
    /// Copy caretaker's own database now into DATA_DIR/snapshots (as the daily snapshot
    /// does; safe while caretaker runs), keeping the newest `snapshots.keep`; prints the
    /// file's path. Take one before an upgrade.
    SelfSnapshot(CommonArgs),
}

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The plan's name.
    pub plan: String,
    /// What to run: backup, check (the repositories) or drill (restore and verify).
    #[arg(long, default_value = "backup", value_parser = ["backup", "check", "drill"])]
    pub work: String,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// The plan's name.
    pub plan: String,
    /// The repository's name [default: the plan's first]
    #[arg(long)]
    pub repository: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct RestoreArgs {
    /// The plan's name.
    pub plan: String,
    /// The snapshot's id (8 or 64 hex digits, as `backup snapshots` prints).
    #[arg(long)]
    pub snapshot: String,
    /// The repository's name [default: the plan's first]
    #[arg(long)]
    pub repository: Option<String>,
    /// A new or empty directory to restore into.
    #[arg(long, conflicts_with = "volume", required_unless_present = "volume")]
    pub target: Option<String>,
    /// A Docker volume to restore a volume's snapshot back into.
    #[arg(long)]
    pub volume: Option<String>,
    /// Only these paths of the snapshot (repeat for several).
    #[arg(long = "path")]
    pub paths: Vec<String>,
    /// Confirm: files at the target are replaced.
    #[arg(long)]
    pub yes: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(command: BackupCommand, outer: &CommonArgs) -> anyhow::Result<()> {
    match command {
        BackupCommand::List(args) => list(&state(&args.merged(outer)).await?).await,
        BackupCommand::SelfSnapshot(args) => {
            let (config, _) = args.merged(outer).load()?;
            let pool = app::core::db::open(&config.data_dir)
                .await
                .with_context(|| {
                    format!("opening the database in {}", config.data_dir.display())
                })?;
            let path =
                app::backups::snapshot::take(&pool, &config.data_dir, config.snapshots_keep.max(1))
                    .await?;
            println!("{}", path.display());
            Ok(())
        }
        BackupCommand::Run(args) => {
            let state = state(&args.common.merged(outer)).await?;
            let plan = service::plan_by_name(&state, &args.plan).await?;
            let work = Work::parse(&args.work).context("unknown work")?;
            let task_id = service::start_run(&state, &actor(), plan.id, work, "cli").await?;
            follow(&state, &task_id).await
        }
        BackupCommand::Snapshots(args) => {
            let state = state(&args.common.merged(outer)).await?;
            let (plan, repository) =
                plan_and_repository(&state, &args.plan, args.repository.as_deref()).await?;
            let snapshots = service::snapshots(&state, plan, repository).await?;
            if snapshots.is_empty() {
                println!("No snapshot of {} in that repository yet.", args.plan);
            }
            for snapshot in snapshots {
                println!(
                    "{}  {}  {}",
                    snapshot.short_id,
                    snapshot.time.format("%Y-%m-%d %H:%M:%S UTC"),
                    snapshot.paths.join(", ")
                );
            }
            Ok(())
        }
        BackupCommand::Restore(args) => {
            let state = state(&args.common.merged(outer)).await?;
            let (plan, repository) =
                plan_and_repository(&state, &args.plan, args.repository.as_deref()).await?;
            if !args.yes {
                bail!("Add --yes to restore: files already at the target are replaced.");
            }
            let form = RestoreForm {
                plan,
                repository,
                snapshot: args.snapshot,
                paths: args.paths.join("\n"),
                target_kind: if args.volume.is_some() {
                    "volume"
                } else {
                    "directory"
                }
                .to_owned(),
                directory: args.target.unwrap_or_default(),
                volume: args.volume.unwrap_or_default(),
                confirm: Some("on".to_owned()),
            };
            let task_id = app::backups::restore::start(&state, &actor(), &form).await?;
            follow(&state, &task_id).await
        }
    }
}

async fn state(args: &CommonArgs) -> anyhow::Result<AppState> {
    let (config, _) = args.load()?;
    crate::logging::init(config.log_format, &config.log_level);
    let state = crate::serve::open_state(&config).await?;
    app::containers::service::load_hosts(&state).await?;
    service::recover(&state, false).await?;
    Ok(state)
}

/// The audit names the command and the user running it.
pub(crate) fn actor() -> Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned());
    Actor {
        user_id: None,
        name: format!("command line ({user})"),
        address: String::new(),
    }
}

async fn plan_and_repository(
    state: &AppState,
    plan: &str,
    repository: Option<&str>,
) -> anyhow::Result<(i64, i64)> {
    let view = service::view_plan(state, service::plan_by_name(state, plan).await?.id).await?;
    let chosen = match repository {
        None => view.repositories.first(),
        Some(name) => view
            .repositories
            .iter()
            .find(|(_, candidate)| candidate == name),
    };
    match chosen {
        Some((id, _)) => Ok((view.summary.id, *id)),
        None => bail!(
            "The plan {plan} does not back up into {}; it uses: {}.",
            repository.unwrap_or("any repository"),
            view.repositories
                .iter()
                .map(|(_, name)| name.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// Prints the task's progress as it goes, then its end; an error when it failed.
async fn follow(state: &AppState, task_id: &str) -> anyhow::Result<()> {
    if let Some(mut receiver) = state.tasks.subscribe(task_id) {
        let mut last = String::new();
        let mut logged = 0;
        loop {
            let (line, log, finished) = {
                let task = receiver.borrow_and_update();
                let percent = task
                    .percent()
                    .map(|percent| format!("{percent:>3}% "))
                    .unwrap_or_default();
                let log: Vec<String> = task
                    .log
                    .iter()
                    .skip(logged)
                    .map(|line| line.line.clone())
                    .collect();
                (
                    format!("{percent}{}", task.message),
                    log,
                    task.status.is_finished(),
                )
            };
            logged += log.len();
            for line in log {
                eprintln!("  {line}");
            }
            if line != last && !finished {
                eprintln!("{line}");
                last = line;
            }
            if finished || receiver.changed().await.is_err() {
                break;
            }
        }
    }
    match service::wait(state, task_id).await {
        Ok(message) => {
            println!("{message}");
            Ok(())
        }
        Err(error) => bail!("{error}"),
    }
}

async fn list(state: &AppState) -> anyhow::Result<()> {
    let overview = service::overview(state).await?;
    if overview.plans.is_empty() {
        println!("No backup plan yet. Create one on the Backups page.");
        return Ok(());
    }
    for plan in overview.plans {
        println!(
            "{}  ({} data; 3-2-1 {})",
            plan.spec.name,
            plan.spec.data_class.as_str(),
            if plan.three_two_one { "met" } else { "not met" }
        );
        for copy in plan.copies {
            let good = copy
                .last_good
                .map(|at| at.format("%Y-%m-%d %H:%M UTC").to_string())
                .unwrap_or_else(|| "never".to_owned());
            println!(
                "  {:<16} {:<9} last good {}{}",
                copy.repository,
                if copy.offsite { "off-site" } else { "on-site" },
                good,
                if copy.stale { "  STALE" } else { "" }
            );
        }
        match plan.last_drill {
            Some(drill) => println!(
                "  last drill {} {}: {}",
                drill.started_at.format("%Y-%m-%d %H:%M UTC"),
                drill.status.as_str(),
                drill.message
            ),
            None => println!("  no restore drill yet"),
        }
    }
    Ok(())
}
