//! The models area: the team's Ollama servers and the models on them — pull with a
//! progress bar, delete, copy, inspect, the loaded models and unloading, a test prompt,
//! and syncing a model onto several servers.
//!
//! caretaker talks to Ollama only through its HTTP API (`ollama.rs`). Pulls, syncs and test
//! prompts run as tasks, so their progress is a task's progress bar and survives a reload.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tasks::TaskSnapshot;

pub mod api;
#[cfg(feature = "ssr")]
pub mod ollama;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod service;
pub mod stack;
#[cfg(feature = "ssr")]
mod store;
pub mod validate;

/// Where Ollama listens unless told otherwise.
pub const DEFAULT_OLLAMA_URL: &str = "http://127.0.0.1:11434";

/// Task kinds of this area.
pub const PULL_TASK: &str = "model pull";
pub const SYNC_TASK: &str = "model sync";
pub const PROMPT_TASK: &str = "test prompt";

/// One Ollama server caretaker knows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OllamaServer {
    pub id: i64,
    pub name: String,
    pub base_url: String,
    /// The caretaker service the address was taken from, by name.
    pub service: Option<String>,
}

/// A server and what asking it just now found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ServerModels {
    pub server: OllamaServer,
    /// The version when it answered; why not, in a sentence, when it did not.
    pub reachable: Result<String, String>,
    pub models: Vec<ModelRow>,
    pub loaded: Vec<LoadedModel>,
}

impl ServerModels {
    /// The disk all its models take (layers shared between models counted once per model,
    /// as Ollama reports sizes).
    pub fn disk_bytes(&self) -> u64 {
        self.models.iter().map(|model| model.size).sum()
    }
}

/// A model on a server's disk (`/api/tags`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelRow {
    /// The short name with its tag, `llama3.2:latest`.
    pub name: String,
    pub size: u64,
    pub digest: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization: String,
    pub modified_at: Option<DateTime<Utc>>,
}

/// A model held in memory (`/api/ps`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LoadedModel {
    pub name: String,
    /// Memory in use, RAM and VRAM together.
    pub size: u64,
    /// The part of `size` in GPU memory.
    pub size_vram: u64,
    pub expires_at: Option<DateTime<Utc>>,
    pub context_length: Option<u64>,
}

impl LoadedModel {
    /// "100 % GPU", "CPU only", "40 % GPU".
    pub fn placement(&self) -> String {
        if self.size_vram == 0 || self.size == 0 {
            "CPU only".to_owned()
        } else {
            let share = (self.size_vram as f64 / self.size as f64 * 100.0).round();
            format!("{share:.0} % GPU")
        }
    }
}

/// Everything the models page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelsOverview {
    pub servers: Vec<ServerModels>,
    /// Recent pulls and syncs, newest first; running ones carry live progress.
    pub tasks: Vec<TaskSnapshot>,
    /// Ollama services defined in the containers area, offered as servers to add.
    pub ollama_services: Vec<(i64, String)>,
    pub actions_allowed: bool,
}

/// `/api/show` of one model, for its details page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelDetails {
    pub server: OllamaServer,
    pub name: String,
    pub family: String,
    pub parameter_size: String,
    pub quantization: String,
    pub format: String,
    pub capabilities: Vec<String>,
    pub modelfile: String,
    pub parameters: String,
    pub template: String,
    pub system: String,
    pub license: String,
    /// Selected `model_info` entries (architecture, context length…), as text.
    pub info: Vec<(String, String)>,
    /// The newest test prompt of this model on this server.
    pub last_prompt: Option<TaskSnapshot>,
    pub actions_allowed: bool,
}

/// What a finished test prompt measured (the task's result).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PromptMeasure {
    /// From sending the request to the first piece of the answer, measured by caretaker.
    pub first_token_ms: Option<u64>,
    /// Ollama's `eval_count / eval_duration`.
    pub tokens_per_second: Option<f64>,
    pub tokens: Option<u64>,
    pub total_ms: u64,
}

impl PromptMeasure {
    /// "First token after 420 ms · 38.5 tokens/s · 96 tokens in 2.9 s".
    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        if let Some(ms) = self.first_token_ms {
            parts.push(format!("First token after {ms} ms"));
        }
        if let Some(rate) = self.tokens_per_second {
            parts.push(format!("{rate:.1} tokens/s"));
        }
        let seconds = self.total_ms as f64 / 1000.0;
        match self.tokens {
            Some(tokens) => parts.push(format!("{tokens} tokens in {seconds:.1} s")),
            None => parts.push(format!("{seconds:.1} s in all")),
        }
        parts.join(" · ")
    }
}

/// The form that adds a server: a name and either an address or an Ollama service.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ServerForm {
    pub name: String,
    #[serde(default)]
    pub base_url: String,
    /// A service id from the containers area, as text ("" when the address is given).
    #[serde(default)]
    pub service: String,
}

/// The sync form: a model and the servers it must be on.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SyncForm {
    pub model: String,
    /// Server ids; absent when no box is ticked.
    #[serde(default)]
    pub servers: Vec<i64>,
}

/// The target of a pull or prompt task: `server/model`.
pub fn task_target(server: &str, model: &str) -> String {
    format!("{server}/{model}")
}
