//! The `caretaker` binary's library: configuration, the router, start-up and shutdown.
//! It wires the areas of the `app` crate together and holds no area logic.

pub mod backup_cli;
pub mod cli;
pub mod config;
pub mod logging;
pub mod logs_cli;
pub mod middleware;
pub mod ops;
pub mod router;
pub mod serve;
pub mod tls;

pub use router::build_router;
