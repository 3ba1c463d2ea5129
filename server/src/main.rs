//! The `caretaker` binary.

use clap::Parser;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = server::cli::Cli::parse();
    match server::cli::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            // `{:#}` prints the whole chain of context on one line.
            eprintln!("caretaker: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
