//! Components and helpers shared by every area's pages.

#[cfg(feature = "ssr")]
pub mod chart;
pub mod form;
pub mod format;
pub mod layout;
pub mod paths;
