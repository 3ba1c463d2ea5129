//! Components and helpers shared by every area's pages.

pub mod form;
pub mod format;
pub mod layout;
pub mod paths;
