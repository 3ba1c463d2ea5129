//! Monitors: checks on an interval, incidents, notifications, and the public status page.

#[cfg(feature = "ssr")]
pub mod notify;
#[cfg(feature = "ssr")]
pub mod tls;
