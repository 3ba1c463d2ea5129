//! `POST /api/generate` (ref §4 generate): a canned answer streamed one word
//! per tick, real timings as metrics, and the load/unload calls that drive
//! `/api/ps`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{Local, SecondsFormat, TimeDelta, Utc};
use futures::channel::mpsc;
use futures::{SinkExt as _, StreamExt as _};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::keep_alive;
use crate::reply;
use crate::state::{Installed, Loaded, Shared};

/// Ollama's default `num_ctx` when the request does not set one.
const DEFAULT_NUM_CTX: u64 = 4096;
/// Tokens the prompt template adds around the prompt's own words.
const TEMPLATE_TOKENS: u64 = 10;

#[derive(Deserialize, Default)]
#[serde(default)]
struct GenerateRequest {
    model: Option<String>,
    prompt: Option<String>,
    stream: Option<bool>,
    keep_alive: Option<Value>,
    options: Option<Value>,
}

/// `GenerateResponse`: metrics and `done_reason` are left out when zero/empty.
#[derive(Serialize, Default, Clone)]
struct GenerateChunk {
    model: String,
    created_at: String,
    response: String,
    done: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    done_reason: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    context: Option<Vec<u32>>,
    #[serde(skip_serializing_if = "is_zero")]
    total_duration: u64,
    #[serde(skip_serializing_if = "is_zero")]
    load_duration: u64,
    #[serde(skip_serializing_if = "is_zero")]
    prompt_eval_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    prompt_eval_duration: u64,
    #[serde(skip_serializing_if = "is_zero")]
    eval_count: u64,
    #[serde(skip_serializing_if = "is_zero")]
    eval_duration: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn now_utc() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

/// Nanoseconds, never 0, so that a measured metric is never left out.
fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX).max(1)
}

impl GenerateChunk {
    fn token(model: &str, text: &str) -> Self {
        GenerateChunk {
            model: model.to_owned(),
            created_at: now_utc(),
            response: text.to_owned(),
            ..Default::default()
        }
    }

    fn done(model: &str, reason: &'static str) -> Self {
        GenerateChunk {
            model: model.to_owned(),
            created_at: now_utc(),
            done: true,
            done_reason: Some(reason),
            ..Default::default()
        }
    }
}

/// The deterministic answer, as word tokens: the first bare, the others with
/// their leading space, so that joining them gives the text back.
fn answer_tokens(prompt: &str) -> Vec<String> {
    let asked = prompt.split_whitespace().collect::<Vec<_>>().join(" ");
    format!("You asked: {asked}. This is a fake answer from fake-ollama.")
        .split(' ')
        .enumerate()
        .map(|(i, word)| {
            if i == 0 {
                word.to_owned()
            } else {
                format!(" {word}")
            }
        })
        .collect()
}

/// Made-up token ids for `context`: stable per word.
fn token_id(word: &str) -> u32 {
    let hash = word.bytes().fold(2_166_136_261_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(16_777_619)
    });
    hash % 32_000
}

pub(crate) async fn generate(State(shared): State<Arc<Shared>>, body: Bytes) -> Response {
    let received = Instant::now();
    let request: GenerateRequest = match reply::parse_body(&body) {
        Ok(r) => r,
        Err(e) => return e,
    };
    // keep_alive is decoded with the body, so its errors come first.
    let keep_alive = match keep_alive::parse(request.keep_alive.as_ref()) {
        Ok(k) => k,
        Err(message) => return reply::error(StatusCode::BAD_REQUEST, message),
    };
    let model = request.model.unwrap_or_default();
    let found = shared.state().find_installed(&model).cloned();
    let Some(installed) = found else {
        // Also for an empty or invalid name (ref §2): 404, echoing it as sent.
        return reply::error(StatusCode::NOT_FOUND, format!("model '{model}' not found"));
    };
    let options = request.options.unwrap_or(Value::Null);
    let num_ctx = options
        .get("num_ctx")
        .and_then(Value::as_u64)
        .unwrap_or(DEFAULT_NUM_CTX);
    let prompt = request.prompt.unwrap_or_default();

    if prompt.is_empty() {
        if keep_alive.is_zero() {
            // The reply comes at once; /api/ps drops it after UNLOAD_DELAY.
            if let Some(loaded) = shared.state().loaded.get_mut(&key(&installed)) {
                loaded.expires_at = Local::now();
            }
            return reply::json(StatusCode::OK, &GenerateChunk::done(&model, "unload"));
        }
        load(&shared, &installed, keep_alive, num_ctx).await;
        return reply::json(StatusCode::OK, &GenerateChunk::done(&model, "load"));
    }

    load(&shared, &installed, keep_alive, num_ctx).await;
    let load_duration = received.elapsed();

    let mut tokens = answer_tokens(&prompt);
    let mut done_reason = "stop";
    if let Some(limit) = options.get("num_predict").and_then(Value::as_i64) {
        // Negative means no limit, as in Ollama.
        if let Ok(limit) = usize::try_from(limit) {
            if limit < tokens.len() {
                tokens.truncate(limit);
                done_reason = "length";
            }
        }
    }
    let run = Generation {
        shared,
        installed,
        model,
        prompt,
        tokens,
        done_reason,
        keep_alive,
        received,
        load_duration,
    };
    let chunks = reply::generator(move |sender| run.run(sender));

    if request.stream.unwrap_or(true) {
        return reply::ndjson_stream(chunks.map(|chunk| Ok(reply::ndjson_line(&chunk))));
    }
    let all: Vec<GenerateChunk> = chunks.collect().await;
    let text: String = all.iter().map(|c| c.response.as_str()).collect();
    match all.last() {
        Some(last) if last.done => {
            let mut whole = last.clone();
            whole.response = text;
            reply::json(StatusCode::OK, &whole)
        }
        _ => reply::error(StatusCode::INTERNAL_SERVER_ERROR, "generation cut short"),
    }
}

fn key(installed: &Installed) -> String {
    installed.name.to_lowercase()
}

fn expiry(keep_alive: TimeDelta) -> chrono::DateTime<Local> {
    let now = Local::now();
    now.checked_add_signed(keep_alive).unwrap_or(now)
}

/// Puts the model in memory (taking a tick if it was not there) with
/// `expires_at` estimated as now + keep-alive, as the scheduler does while
/// a request runs.
async fn load(shared: &Shared, installed: &Installed, keep_alive: TimeDelta, num_ctx: u64) {
    let already_loaded = shared.state().is_loaded(&key(installed));
    if !already_loaded {
        tokio::time::sleep(shared.options.token_tick).await;
    }
    shared.state().loaded.insert(
        key(installed),
        Loaded {
            name: installed.name.clone(),
            spec: installed.spec.clone(),
            expires_at: expiry(keep_alive),
            context_length: num_ctx,
        },
    );
}

struct Generation {
    shared: Arc<Shared>,
    installed: Installed,
    model: String,
    prompt: String,
    tokens: Vec<String>,
    done_reason: &'static str,
    keep_alive: TimeDelta,
    received: Instant,
    load_duration: Duration,
}

impl Generation {
    async fn run(self, mut sender: mpsc::Sender<GenerateChunk>) {
        let tick = self.shared.options.token_tick;

        let prompt_started = Instant::now();
        tokio::time::sleep(tick).await;
        let prompt_eval_duration = prompt_started.elapsed();

        let eval_started = Instant::now();
        for token in &self.tokens {
            tokio::time::sleep(tick).await;
            if sender
                .send(GenerateChunk::token(&self.model, token))
                .await
                .is_err()
            {
                return;
            }
        }
        let eval_duration = eval_started.elapsed();

        let prompt_words: Vec<&str> = self.prompt.split_whitespace().collect();
        let prompt_eval_count = prompt_words.len() as u64 + TEMPLATE_TOKENS;
        let context: Vec<u32> = (1..=TEMPLATE_TOKENS as u32)
            .chain(prompt_words.iter().map(|w| token_id(w)))
            .chain(self.tokens.iter().map(|t| token_id(t.trim_start())))
            .collect();

        // The request has ended: the keep-alive counts from now (ref §4 ps).
        if let Some(loaded) = self.shared.state().loaded.get_mut(&key(&self.installed)) {
            loaded.expires_at = expiry(self.keep_alive);
        }
        let last = GenerateChunk {
            context: Some(context),
            total_duration: nanos(self.received.elapsed()),
            load_duration: nanos(self.load_duration),
            prompt_eval_count,
            prompt_eval_duration: nanos(prompt_eval_duration),
            eval_count: self.tokens.len() as u64,
            eval_duration: nanos(eval_duration),
            ..GenerateChunk::done(&self.model, self.done_reason)
        };
        let _ = sender.send(last).await;
    }
}
