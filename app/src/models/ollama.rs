//! A client of Ollama's HTTP API, as described for Ollama v0.33 in
//! `shared/reference/ollama-api.md` (the `/api/*` endpoints), tolerant of the older
//! servers listed in its §6: `model` and `name` are both sent, unknown fields are ignored,
//! absent fields default.
//!
//! Errors become sentences for the page: "does not answer" for a server that cannot be
//! reached, and Ollama's own `{"error": …}` text, quoted, for what it refused. Callers
//! branch on the HTTP status (as the reference advises), never on the message.

use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use chrono::{DateTime, FixedOffset, Utc};
use futures::{Stream, StreamExt};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::core::error::AppError;

/// How long a connection may take to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// The whole of a short call (version, tags, ps, show, copy, delete).
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
/// The longest silence inside a stream. Ollama says nothing while it verifies a large
/// layer's digest or loads a model into memory, which can take minutes.
const STREAM_SILENCE: Duration = Duration::from_secs(600);
/// The longest answer a test prompt asks for, in tokens.
const PROMPT_TOKENS: u32 = 512;
/// The most of an error body that is read.
const MAX_ERROR_BODY: usize = 4 * 1024;
/// A streamed line longer than this is refused; Ollama's own client allows 8 MiB,
/// because a final generate line may carry a large `context`.
const MAX_LINE: usize = 8 * 1024 * 1024;

#[derive(Clone)]
pub struct OllamaClient {
    http: reqwest::Client,
    /// For messages: "gpu-box (http://10.0.0.2:11434)".
    label: String,
    base: String,
}

/// One model of `/api/tags`.
#[derive(Debug, Clone, Deserialize)]
pub struct TagEntry {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub digest: String,
    pub modified_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub details: Details,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub struct Details {
    #[serde(default)]
    pub format: Option<String>,
    #[serde(default)]
    pub family: Option<String>,
    #[serde(default)]
    pub parameter_size: Option<String>,
    #[serde(default)]
    pub quantization_level: Option<String>,
}

/// One model of `/api/ps`.
#[derive(Debug, Clone, Deserialize)]
pub struct PsEntry {
    pub name: String,
    #[serde(default)]
    pub size: u64,
    /// Missing on v0.1.38–0.1.41 when 0.
    #[serde(default)]
    pub size_vram: u64,
    pub expires_at: Option<DateTime<FixedOffset>>,
    #[serde(default)]
    pub context_length: Option<u64>,
}

/// `/api/show`. Every field but `model_info` may be missing.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ShowResponse {
    #[serde(default)]
    pub modelfile: String,
    #[serde(default)]
    pub parameters: String,
    #[serde(default)]
    pub template: String,
    #[serde(default)]
    pub system: String,
    #[serde(default)]
    pub license: String,
    #[serde(default)]
    pub details: Details,
    #[serde(default)]
    pub capabilities: Vec<String>,
    #[serde(default)]
    pub model_info: serde_json::Map<String, serde_json::Value>,
}

/// One line of a pull's progress.
#[derive(Debug, Clone, Deserialize)]
pub struct PullProgress {
    pub status: String,
    #[serde(default)]
    pub digest: Option<String>,
    #[serde(default)]
    pub total: Option<u64>,
    #[serde(default)]
    pub completed: Option<u64>,
}

/// One line of a generate stream; the metrics come on the last (`done`) line only.
#[derive(Debug, Clone, Deserialize)]
pub struct GenerateChunk {
    #[serde(default)]
    pub response: String,
    #[serde(default)]
    pub thinking: Option<String>,
    #[serde(default)]
    pub done: bool,
    #[serde(default)]
    pub done_reason: Option<String>,
    #[serde(default)]
    pub eval_count: Option<u64>,
    /// Nanoseconds.
    #[serde(default)]
    pub eval_duration: Option<u64>,
}

#[derive(Serialize)]
struct ModelRequest<'a> {
    model: &'a str,
    /// The same value for servers before v0.1.21, which read only `name`.
    name: &'a str,
}

#[derive(Deserialize)]
struct ErrorBody {
    error: String,
}

/// One connection pool for every Ollama server: building a client loads the TLS roots.
static HTTP: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();

impl OllamaClient {
    pub fn new(label: &str, base_url: &str) -> Result<Self, AppError> {
        let http = match HTTP.get() {
            Some(http) => http.clone(),
            None => {
                let http = reqwest::Client::builder()
                    .connect_timeout(CONNECT_TIMEOUT)
                    .read_timeout(STREAM_SILENCE)
                    // Ollama never redirects; following one would send requests to an
                    // address the admin did not configure.
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(AppError::internal)?;
                HTTP.get_or_init(|| http).clone()
            }
        };
        Ok(Self {
            http,
            label: label.to_owned(),
            base: base_url.trim_end_matches('/').to_owned(),
        })
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// `GET /api/version`: the server's version string, as it reports it.
    pub async fn version(&self) -> Result<String, AppError> {
        #[derive(Deserialize)]
        struct Version {
            version: String,
        }
        let reply: Version = self.get_json("/api/version").await?;
        Ok(reply.version)
    }

    /// `GET /api/tags`: the models on disk.
    pub async fn tags(&self) -> Result<Vec<TagEntry>, AppError> {
        #[derive(Deserialize)]
        struct Tags {
            #[serde(default)]
            models: Option<Vec<TagEntry>>,
        }
        let reply: Tags = self.get_json("/api/tags").await?;
        Ok(reply.models.unwrap_or_default())
    }

    /// `GET /api/ps`: the models in memory.
    pub async fn ps(&self) -> Result<Vec<PsEntry>, AppError> {
        #[derive(Deserialize)]
        struct Ps {
            #[serde(default)]
            models: Option<Vec<PsEntry>>,
        }
        let reply: Ps = self.get_json("/api/ps").await?;
        Ok(reply.models.unwrap_or_default())
    }

    /// `POST /api/show`.
    pub async fn show(&self, model: &str) -> Result<ShowResponse, AppError> {
        let request = self
            .http
            .post(self.url("/api/show"))
            .timeout(CALL_TIMEOUT)
            .json(&ModelRequest { model, name: model });
        let response = self.send(request).await?;
        self.json_of(response).await
    }

    /// `DELETE /api/delete` (the body goes with the DELETE).
    pub async fn delete(&self, model: &str) -> Result<(), AppError> {
        let request = self
            .http
            .delete(self.url("/api/delete"))
            .timeout(CALL_TIMEOUT)
            .json(&ModelRequest { model, name: model });
        self.send(request).await.map(drop)
    }

    /// `POST /api/copy`: `destination` becomes another name of `source`.
    pub async fn copy(&self, source: &str, destination: &str) -> Result<(), AppError> {
        let request = self
            .http
            .post(self.url("/api/copy"))
            .timeout(CALL_TIMEOUT)
            .json(&serde_json::json!({ "source": source, "destination": destination }));
        self.send(request).await.map(drop)
    }

    /// Asks Ollama to unload a model: a generate without a prompt and `keep_alive: 0`. It
    /// answers at once and unloads asynchronously, so `/api/ps` may list the model a moment
    /// longer.
    pub async fn unload(&self, model: &str) -> Result<(), AppError> {
        let request = self
            .http
            .post(self.url("/api/generate"))
            .timeout(CALL_TIMEOUT)
            .json(&serde_json::json!({ "model": model, "keep_alive": 0 }));
        self.send(request).await.map(drop)
    }

    /// `POST /api/pull`, streamed. Errors before the stream starts come back here; errors
    /// during it come as the stream's items.
    pub async fn pull(&self, model: &str) -> Result<NdjsonStream<PullProgress>, AppError> {
        let request = self
            .http
            .post(self.url("/api/pull"))
            .json(&serde_json::json!({ "model": model, "name": model, "stream": true }));
        let response = self.send(request).await?;
        Ok(NdjsonStream::new(response))
    }

    /// `POST /api/generate`, streamed.
    pub async fn generate(
        &self,
        model: &str,
        prompt: &str,
    ) -> Result<NdjsonStream<GenerateChunk>, AppError> {
        let request = self
            .http
            .post(self.url("/api/generate"))
            // A test needs a sample, not an essay: the answer stops at PROMPT_TOKENS.
            .json(&serde_json::json!({
                "model": model,
                "prompt": prompt,
                "stream": true,
                "options": { "num_predict": PROMPT_TOKENS },
            }));
        let response = self.send(request).await?;
        Ok(NdjsonStream::new(response))
    }

    async fn get_json<T: DeserializeOwned>(&self, path: &str) -> Result<T, AppError> {
        let request = self.http.get(self.url(path)).timeout(CALL_TIMEOUT);
        let response = self.send(request).await?;
        self.json_of(response).await
    }

    /// Sends a request; a status of 400 or above becomes the error it describes.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, AppError> {
        let response = request
            .send()
            .await
            .map_err(|error| self.unreachable(&error))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let mut body = Vec::new();
        let mut chunks = response.bytes_stream();
        while let Some(Ok(chunk)) = chunks.next().await {
            body.extend_from_slice(&chunk);
            if body.len() >= MAX_ERROR_BODY {
                body.truncate(MAX_ERROR_BODY);
                break;
            }
        }
        Err(self.refusal(status.as_u16(), &String::from_utf8_lossy(&body)))
    }

    async fn json_of<T: DeserializeOwned>(
        &self,
        response: reqwest::Response,
    ) -> Result<T, AppError> {
        let body = response
            .bytes()
            .await
            .map_err(|error| self.unreachable(&error))?;
        serde_json::from_slice(&body).map_err(|error| {
            AppError::EngineUnavailable(format!(
                "{} answered with something that is not Ollama's API ({error}). Check that the address points at Ollama.",
                self.label
            ))
        })
    }

    /// The sentence for a server that could not be asked.
    pub fn unreachable(&self, error: &reqwest::Error) -> AppError {
        let why = if error.is_timeout() {
            "did not answer in time"
        } else if error.is_connect() {
            "refused the connection or cannot be reached"
        } else {
            "broke off the connection"
        };
        AppError::EngineUnavailable(format!(
            "The Ollama server {} {why}. Check that Ollama runs there and listens on that address.",
            self.label
        ))
    }

    /// The error for a status of 400 or above, carrying Ollama's own text.
    fn refusal(&self, status: u16, body: &str) -> AppError {
        let said = serde_json::from_str::<ErrorBody>(body)
            .map(|body| body.error)
            .unwrap_or_else(|_| body.trim().chars().take(200).collect());
        match status {
            404 if said.contains("page not found") || said.is_empty() => {
                AppError::EngineUnavailable(format!(
                    "{} does not offer this part of Ollama's API; it may be too old or not Ollama.",
                    self.label
                ))
            }
            404 => AppError::NotFound(format!("{}: Ollama says “{said}”.", self.label)),
            400 => AppError::invalid(format!(
                "{} refused the request: Ollama says “{said}”.",
                self.label
            )),
            _ => AppError::EngineUnavailable(format!(
                "{} could not do it: Ollama says “{said}” (HTTP {status}).",
                self.label
            )),
        }
    }

    pub fn label(&self) -> &str {
        &self.label
    }
}

/// How a stream went wrong.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamError {
    /// Ollama sent `{"error": …}` in the stream; the text is Ollama's.
    Reported(String),
    /// The connection broke or went silent too long.
    Cut(String),
    /// A line that is not what the API describes.
    Garbled(String),
}

/// The objects of a newline-delimited JSON body, one at a time. A body that is a single
/// object without a trailing newline (a generate that only loads) is read too.
pub struct NdjsonStream<T> {
    body: Pin<Box<dyn Stream<Item = Result<Bytes, StreamError>> + Send>>,
    buffer: Vec<u8>,
    /// How much of `buffer` is known to hold no newline, so it is not searched again.
    scanned: usize,
    ended: bool,
    _item: std::marker::PhantomData<fn() -> T>,
}

impl<T: DeserializeOwned> NdjsonStream<T> {
    fn new(response: reqwest::Response) -> Self {
        Self::from_chunks(response.bytes_stream().map(|chunk| {
            chunk.map_err(|error| {
                StreamError::Cut(
                    if error.is_timeout() {
                        "went silent for too long"
                    } else {
                        "closed the connection"
                    }
                    .to_owned(),
                )
            })
        }))
    }

    /// Reads objects from any stream of chunks, cut wherever the network cut them.
    pub fn from_chunks(
        chunks: impl Stream<Item = Result<Bytes, StreamError>> + Send + 'static,
    ) -> Self {
        Self {
            body: Box::pin(chunks),
            buffer: Vec::new(),
            scanned: 0,
            ended: false,
            _item: std::marker::PhantomData,
        }
    }

    /// The next object; `None` once the body has ended.
    pub async fn next(&mut self) -> Option<Result<T, StreamError>> {
        loop {
            let newline = self.buffer[self.scanned..]
                .iter()
                .position(|byte| *byte == b'\n')
                .map(|at| self.scanned + at);
            if let Some(end) = newline {
                let line: Vec<u8> = self.buffer.drain(..=end).collect();
                self.scanned = 0;
                if line.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                return Some(parse_line(&line));
            }
            self.scanned = self.buffer.len();
            if self.ended {
                if self.buffer.iter().all(u8::is_ascii_whitespace) {
                    return None;
                }
                let rest = std::mem::take(&mut self.buffer);
                self.scanned = 0;
                return Some(parse_line(&rest));
            }
            if self.buffer.len() > MAX_LINE {
                self.ended = true;
                self.buffer.clear();
                self.scanned = 0;
                return Some(Err(StreamError::Garbled(
                    "a line longer than 8 MiB".to_owned(),
                )));
            }
            match self.body.next().await {
                Some(Ok(chunk)) => self.buffer.extend_from_slice(&chunk),
                Some(Err(error)) => {
                    self.ended = true;
                    self.buffer.clear();
                    self.scanned = 0;
                    return Some(Err(error));
                }
                None => self.ended = true,
            }
        }
    }
}

fn parse_line<T: DeserializeOwned>(line: &[u8]) -> Result<T, StreamError> {
    let value: serde_json::Value = serde_json::from_slice(line)
        .map_err(|error| StreamError::Garbled(format!("a line that is not JSON ({error})")))?;
    if let Some(message) = value.get("error").and_then(serde_json::Value::as_str) {
        return Err(StreamError::Reported(message.to_owned()));
    }
    serde_json::from_value(value)
        .map_err(|error| StreamError::Garbled(format!("an unexpected line ({error})")))
}

/// Ollama's local times, in UTC for the page.
pub fn utc(time: Option<DateTime<FixedOffset>>) -> Option<DateTime<Utc>> {
    time.map(|time| time.with_timezone(&Utc))
        // The zero time `0001-01-01T00:00:00Z` means "not set".
        .filter(|time| time.timestamp() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_of(chunks: Vec<&'static str>) -> NdjsonStream<PullProgress> {
        NdjsonStream::from_chunks(futures::stream::iter(
            chunks
                .into_iter()
                .map(|chunk| Ok(Bytes::from_static(chunk.as_bytes()))),
        ))
    }

    async fn statuses(mut stream: NdjsonStream<PullProgress>) -> Vec<Result<String, StreamError>> {
        let mut seen = Vec::new();
        while let Some(item) = stream.next().await {
            seen.push(item.map(|line| line.status));
        }
        seen
    }

    #[tokio::test]
    async fn lines_are_read_however_the_network_cuts_them() {
        let stream = lines_of(vec![
            "{\"status\":\"pulling manifest\"}\n{\"sta",
            "tus\":\"pulling abc\",\"digest\":\"sha256:abc\",\"total\":10}\n\n",
            "{\"status\":\"verifying sha256 digest\"}\n{\"status\":\"success\"}",
        ]);
        assert_eq!(
            statuses(stream).await,
            vec![
                Ok("pulling manifest".to_owned()),
                Ok("pulling abc".to_owned()),
                Ok("verifying sha256 digest".to_owned()),
                // The last object may come without its newline.
                Ok("success".to_owned()),
            ]
        );
    }

    #[tokio::test]
    async fn an_error_line_and_a_cut_are_told_apart() {
        let stream = lines_of(vec![
            "{\"status\":\"pulling manifest\"}\n",
            "{\"error\":\"pull model manifest: file does not exist\"}\n",
        ]);
        assert_eq!(
            statuses(stream).await,
            vec![
                Ok("pulling manifest".to_owned()),
                Err(StreamError::Reported(
                    "pull model manifest: file does not exist".to_owned()
                )),
            ]
        );
        let cut = NdjsonStream::<PullProgress>::from_chunks(futures::stream::iter(vec![
            Ok(Bytes::from_static(
                b"{\"status\":\"pulling manifest\"}\n{\"status\"",
            )),
            Err(StreamError::Cut("closed the connection".to_owned())),
        ]));
        assert_eq!(
            statuses(cut).await,
            vec![
                Ok("pulling manifest".to_owned()),
                Err(StreamError::Cut("closed the connection".to_owned())),
            ]
        );
        let garbled = lines_of(vec!["<html>502 Bad Gateway</html>\n"]);
        assert!(matches!(
            statuses(garbled).await.as_slice(),
            [Err(StreamError::Garbled(_))]
        ));
    }

    #[tokio::test]
    async fn an_endless_line_is_refused_not_buffered() {
        let chunk: &'static str = Box::leak("x".repeat(1024 * 1024).into_boxed_str());
        let stream = lines_of(vec![chunk; 9]);
        let seen = statuses(stream).await;
        assert_eq!(
            seen,
            vec![Err(StreamError::Garbled(
                "a line longer than 8 MiB".to_owned()
            ))]
        );
    }
}
