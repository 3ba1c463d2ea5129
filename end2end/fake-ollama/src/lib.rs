//! fake-ollama: see the crate description.
