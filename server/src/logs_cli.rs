//! `caretaker logs …`: import access logs and export a day's per-route counts, through the
//! same service the tailer and the page use (same positions, so nothing is counted twice).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};

use app::analytics::{service, LogSource, FORMATS};
use app::core::state::AppState;

use crate::cli::CommonArgs;

#[derive(Debug, Subcommand)]
pub enum LogsCommand {
    /// Read access-log files into the analytics (each file once: importing it again only
    /// reads what was added since).
    Import(ImportArgs),
    /// Print one day's requests per route, every source or one, bots included.
    Export(ExportArgs),
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The files' format: combined, common, nginx (with --nginx-format), caddy or gunicorn.
    #[arg(long, value_name = "FORMAT")]
    pub format: String,
    /// nginx's log_format string, for --format nginx.
    #[arg(long, value_name = "STRING", default_value = "")]
    pub nginx_format: String,
    /// The source to count the lines in; made (import only) when it does not exist.
    #[arg(long, value_name = "NAME", default_value = "imported")]
    pub source: String,
    /// Files to read: plain or .gz.
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// The day (UTC), as YYYY-MM-DD.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub day: String,
    /// json (an object of route to count) or csv (route,requests).
    #[arg(long, default_value = "json", value_parser = ["json", "csv"])]
    pub format: String,
    /// Only this source [default: all]
    #[arg(long, value_name = "NAME")]
    pub source: Option<String>,
    #[command(flatten)]
    pub common: CommonArgs,
}

pub async fn run(command: LogsCommand, outer: &CommonArgs) -> anyhow::Result<()> {
    match command {
        LogsCommand::Import(args) => import(args, outer).await,
        LogsCommand::Export(args) => export(args, outer).await,
    }
}

async fn import(args: ImportArgs, outer: &CommonArgs) -> anyhow::Result<()> {
    if !FORMATS.iter().any(|(value, _)| *value == args.format) {
        bail!(
            "--format {} is not one of: {}.",
            args.format,
            FORMATS
                .iter()
                .map(|(value, label)| format!("{value} ({label})"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    for file in &args.files {
        if !file.is_file() {
            bail!("{} is not a file that can be read.", file.display());
        }
    }
    let state = state(&args.common.merged(outer)).await?;
    let source = match service::source_by_name(&state, &args.source).await {
        Ok(source) => {
            if source.format != args.format || source.format_string != args.nginx_format {
                bail!(
                    "The source {} reads the format {}{}; import these files into another --source, or with that --format.",
                    source.name,
                    source.format,
                    if source.format_string.is_empty() { String::new() } else { format!(" ({})", source.format_string) }
                );
            }
            source
        }
        Err(_) => {
            let new = LogSource {
                name: args.source.clone(),
                format: args.format.clone(),
                format_string: args.nginx_format.clone(),
                ..LogSource::default()
            };
            let id = service::add_source(&state, &crate::backup_cli::actor(), &new).await?;
            service::source(&state, id).await?
        }
    };
    let bar = Bar::new();
    let started = Instant::now();
    let report =
        service::import_files(&state, &source, &args.files, &|progress| bar.show(progress)).await;
    bar.finish();
    let report = report?;
    let seconds = started.elapsed().as_secs_f64();
    eprintln!(
        "{} ({:.1} s, {:.0} lines/s) into the source {}.",
        report.sentence().trim_end_matches('.'),
        seconds,
        report.lines as f64 / seconds.max(0.001),
        source.name
    );
    Ok(())
}

async fn export(args: ExportArgs, outer: &CommonArgs) -> anyhow::Result<()> {
    let day = chrono::NaiveDate::parse_from_str(&args.day, "%Y-%m-%d").with_context(|| {
        format!(
            "--day {} is not a date; write it as YYYY-MM-DD, like 2026-11-22.",
            args.day
        )
    })?;
    let state = state(&args.common.merged(outer)).await?;
    let source = match &args.source {
        Some(name) => Some(service::source_by_name(&state, name).await?),
        None => None,
    };
    let counts = service::export_day(&state, day, source.as_ref()).await?;
    let mut out = std::io::stdout().lock();
    if args.format == "csv" {
        write!(out, "{}", service::to_csv(&counts))?;
    } else {
        writeln!(out, "{}", serde_json::to_string(&counts)?)?;
    }
    Ok(())
}

async fn state(args: &CommonArgs) -> anyhow::Result<AppState> {
    let (config, _) = args.load()?;
    crate::logging::init(config.log_format, &config.log_level);
    crate::serve::open_state(&config).await
}

/// A progress bar on stderr when it is a terminal; nothing otherwise (scripts, CI logs).
struct Bar {
    terminal: bool,
    last: Mutex<Option<Instant>>,
}

impl Bar {
    fn new() -> Self {
        Self {
            terminal: std::io::stderr().is_terminal(),
            last: Mutex::new(None),
        }
    }

    fn show(&self, progress: &service::Progress) {
        if !self.terminal {
            return;
        }
        let mut last = self
            .last
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if last.is_some_and(|at| at.elapsed().as_millis() < 100) {
            return;
        }
        *last = Some(Instant::now());
        let width = 30;
        let (bar, percent) = match progress.total.filter(|total| *total > 0) {
            Some(total) => {
                let fraction = (progress.done as f64 / total as f64).min(1.0);
                let filled = (fraction * width as f64) as usize;
                (
                    format!("[{}{}]", "#".repeat(filled), " ".repeat(width - filled)),
                    format!("{:>3}%", (fraction * 100.0) as u32),
                )
            }
            None => (format!("[{}]", "?".repeat(width)), "   ".to_owned()),
        };
        eprint!(
            "\r{percent} {bar} file {}/{} {} lines {} MB   ",
            progress.file_index + 1,
            progress.files,
            progress.lines,
            progress.done >> 20
        );
    }

    fn finish(&self) {
        if self.terminal {
            eprintln!();
        }
    }
}
