//! What the fake "has on disk" and "has in memory".

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use chrono::{DateTime, Local, TimeDelta};

use crate::catalog::ModelSpec;
use crate::{names, Options, PullFailure};

/// How long after its `expires_at` a model still shows in `/api/ps`: Ollama
/// unloads asynchronously (ref §4 generate, "poll until it is gone").
pub(crate) const UNLOAD_DELAY: TimeDelta = TimeDelta::milliseconds(100);

pub(crate) struct Shared {
    pub options: Options,
    state: Mutex<State>,
}

impl Shared {
    pub fn new(options: Options, state: State) -> Self {
        Shared {
            options,
            state: Mutex::new(state),
        }
    }

    pub fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread must not make every later request fail too.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A model with a manifest on disk.
#[derive(Clone)]
pub(crate) struct Installed {
    /// Short form with the tag, in the case it was created with.
    pub name: String,
    pub spec: Arc<ModelSpec>,
    pub modified_at: DateTime<Local>,
}

/// A model in memory (an Ollama runner).
#[derive(Clone)]
pub(crate) struct Loaded {
    pub name: String,
    pub spec: Arc<ModelSpec>,
    pub expires_at: DateTime<Local>,
    pub context_length: u64,
}

/// A failure armed by a test for the next pull of one model.
#[derive(Clone)]
pub(crate) struct ArmedFailure {
    pub after_bytes: u64,
    pub failure: PullFailure,
}

#[derive(Default)]
pub(crate) struct State {
    /// Keyed by [`names::ModelName::key`].
    pub catalog: BTreeMap<String, Arc<ModelSpec>>,
    pub installed: BTreeMap<String, Installed>,
    /// Bytes on disk per blob hex digest, complete or partial: partial
    /// files survive a failed pull so that the next one resumes.
    pub blobs: HashMap<String, u64>,
    pub loaded: BTreeMap<String, Loaded>,
    pub armed_failures: HashMap<String, ArmedFailure>,
    /// `None` = unlimited. Goes down as blobs are written.
    pub free_disk: Option<u64>,
}

impl State {
    pub fn find_installed(&self, raw_name: &str) -> Option<&Installed> {
        self.installed.get(&names::key_of(raw_name)?)
    }

    /// Installed models, newest `modified_at` first (ref §4 tags).
    pub fn installed_newest_first(&self) -> Vec<Installed> {
        let mut models: Vec<Installed> = self.installed.values().cloned().collect();
        models.sort_by_key(|m| std::cmp::Reverse(m.modified_at));
        models
    }

    /// Loaded models, latest `expires_at` first (ref §4 ps), after dropping
    /// the ones whose unload has happened by now.
    pub fn loaded_latest_first(&mut self) -> Vec<Loaded> {
        let now = Local::now();
        self.loaded
            .retain(|_, model| model.expires_at + UNLOAD_DELAY > now);
        let mut models: Vec<Loaded> = self.loaded.values().cloned().collect();
        models.sort_by_key(|m| std::cmp::Reverse(m.expires_at));
        models
    }

    pub fn is_loaded(&mut self, key: &str) -> bool {
        self.loaded_latest_first();
        self.loaded.contains_key(key)
    }

    /// Removes a model's manifest and the blobs no other manifest uses (as
    /// `ollama rm` does); partial blobs of other pulls are left alone.
    pub fn remove_installed(&mut self, key: &str) -> bool {
        let Some(removed) = self.installed.remove(key) else {
            return false;
        };
        for blob in removed.spec.blobs() {
            let still_used = self
                .installed
                .values()
                .any(|other| other.spec.blobs().any(|b| b.hex == blob.hex));
            if still_used {
                continue;
            }
            if let Some(bytes) = self.blobs.remove(&blob.hex) {
                if let Some(free) = self.free_disk.as_mut() {
                    *free += bytes;
                }
            }
        }
        true
    }
}
