//! Components and helpers shared by every area's pages.

pub mod format;
pub mod layout;
