//! TLS certificate checks (being written).
