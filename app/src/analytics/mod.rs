//! Request analytics: access logs (nginx, Apache, Caddy, Gunicorn) tailed into per-hour,
//! per-route counts, response-time histograms and unique-visitor sketches in SQLite.

#[cfg(feature = "ssr")]
pub mod histogram;
#[cfg(feature = "ssr")]
pub mod parse;
#[cfg(feature = "ssr")]
pub mod route;
#[cfg(feature = "ssr")]
pub mod sketch;
