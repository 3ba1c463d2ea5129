//! The fake "registry": models that can be pulled, with made-up but
//! well-formed digests and small sizes so pulls finish quickly in tests.

use std::fmt::Write as _;

use serde::Serialize;
use serde_json::{json, Map, Value};
use sha2::{Digest as _, Sha256};

const MIB: u64 = 1024 * 1024;

/// One blob of a model: a layer or the config.
#[derive(Clone, Debug)]
pub(crate) struct Blob {
    /// 64 lowercase hex characters, without the `sha256:` prefix.
    pub hex: String,
    pub size: u64,
}

impl Blob {
    pub fn digest(&self) -> String {
        format!("sha256:{}", self.hex)
    }
}

/// `details` as in `/api/tags`, `/api/show` and `/api/ps` (ref §4).
#[derive(Clone, Debug, Serialize)]
pub(crate) struct Details {
    pub parent_model: String,
    pub format: String,
    pub family: String,
    pub families: Vec<String>,
    pub parameter_size: String,
    pub quantization_level: String,
}

/// Everything the fake knows about one pullable model.
#[derive(Debug)]
pub(crate) struct ModelSpec {
    /// Short form with the tag, e.g. `llama3.2:1b`.
    pub name: String,
    /// The weights first, then the small template/licence/params layers.
    pub layers: Vec<Blob>,
    pub config: Blob,
    /// sha256 of the "manifest": what tags and ps report as `digest`.
    pub manifest_hex: String,
    pub family: String,
    pub parameter_size: String,
    pub parameter_count: u64,
    pub quantization_level: String,
    /// GGUF `general.file_type` matching `quantization_level`.
    pub file_type: u32,
    pub context_length: u64,
    pub embedding_length: u64,
    pub template: String,
    pub license: String,
    pub stop_words: Vec<String>,
    pub capabilities: Vec<String>,
}

/// Deterministic fake digest: sha256 of a label.
fn sha256_hex(label: &str) -> String {
    Sha256::digest(label.as_bytes())
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

struct SpecInput<'a> {
    name: &'a str,
    family: &'a str,
    parameter_size: &'a str,
    parameter_count: u64,
    quantization_level: &'a str,
    file_type: u32,
    context_length: u64,
    embedding_length: u64,
    layer_sizes: &'a [u64],
    config_size: u64,
    template: &'a str,
    stop_words: &'a [&'a str],
    capabilities: &'a [&'a str],
}

fn build(input: SpecInput<'_>) -> ModelSpec {
    let name = input.name;
    let layers = input
        .layer_sizes
        .iter()
        .enumerate()
        .map(|(index, &size)| Blob {
            hex: sha256_hex(&format!("fake-ollama/{name}/layer/{index}")),
            size,
        })
        .collect();
    ModelSpec {
        name: name.to_owned(),
        layers,
        config: Blob {
            hex: sha256_hex(&format!("fake-ollama/{name}/config")),
            size: input.config_size,
        },
        manifest_hex: sha256_hex(&format!("fake-ollama/{name}/manifest")),
        family: input.family.to_owned(),
        parameter_size: input.parameter_size.to_owned(),
        parameter_count: input.parameter_count,
        quantization_level: input.quantization_level.to_owned(),
        file_type: input.file_type,
        context_length: input.context_length,
        embedding_length: input.embedding_length,
        template: input.template.to_owned(),
        license: format!(
            "FAKE LICENSE for {name}.\n\nThis model exists only inside fake-ollama, a test double; \
             it has no weights and answers every prompt with a canned sentence."
        ),
        stop_words: input.stop_words.iter().map(|s| (*s).to_owned()).collect(),
        capabilities: input.capabilities.iter().map(|s| (*s).to_owned()).collect(),
    }
}

const LLAMA3_TEMPLATE: &str =
    "<|start_header_id|>system<|end_header_id|>\n\n{{ .System }}<|eot_id|>\
<|start_header_id|>user<|end_header_id|>\n\n{{ .Prompt }}<|eot_id|>\
<|start_header_id|>assistant<|end_header_id|>\n\n{{ .Response }}<|eot_id|>";
const CHATML_TEMPLATE: &str =
    "{{- if .System }}<|im_start|>system\n{{ .System }}<|im_end|>\n{{ end }}\
<|im_start|>user\n{{ .Prompt }}<|im_end|>\n<|im_start|>assistant\n";
const ZEPHYR_TEMPLATE: &str =
    "<|system|>\n{{ .System }}</s>\n<|user|>\n{{ .Prompt }}</s>\n<|assistant|>\n";
const PHI3_TEMPLATE: &str = "{{ if .System }}<|system|>\n{{ .System }}<|end|>\n{{ end }}\
<|user|>\n{{ .Prompt }}<|end|>\n<|assistant|>\n{{ .Response }}<|end|>";

/// The built-in catalog. Sizes are small (tens of MiB) so that pulls in
/// tests take a handful of ticks.
pub(crate) fn default_catalog() -> Vec<ModelSpec> {
    vec![
        build(SpecInput {
            name: "tinyllama:latest",
            family: "llama",
            parameter_size: "1B",
            parameter_count: 1_100_048_384,
            quantization_level: "Q4_0",
            file_type: 2,
            context_length: 2048,
            embedding_length: 2048,
            layer_sizes: &[20 * MIB, 98, 110],
            config_size: 483,
            template: ZEPHYR_TEMPLATE,
            stop_words: &["<|system|>", "<|user|>", "<|assistant|>", "</s>"],
            capabilities: &["completion"],
        }),
        build(SpecInput {
            name: "llama3.2:1b",
            family: "llama",
            parameter_size: "1.2B",
            parameter_count: 1_235_814_432,
            quantization_level: "Q8_0",
            file_type: 7,
            context_length: 131_072,
            embedding_length: 2048,
            layer_sizes: &[40 * MIB, 1_423, 7_711],
            config_size: 485,
            template: LLAMA3_TEMPLATE,
            stop_words: &["<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"],
            capabilities: &["completion", "tools"],
        }),
        build(SpecInput {
            name: "qwen2.5:0.5b",
            family: "qwen2",
            parameter_size: "494.03M",
            parameter_count: 494_032_768,
            quantization_level: "Q4_K_M",
            file_type: 15,
            context_length: 32_768,
            embedding_length: 896,
            layer_sizes: &[12 * MIB, 1_482, 11_343],
            config_size: 488,
            template: CHATML_TEMPLATE,
            stop_words: &["<|im_start|>", "<|im_end|>"],
            capabilities: &["completion", "tools"],
        }),
        build(SpecInput {
            name: "phi3:mini",
            family: "phi3",
            parameter_size: "3.8B",
            parameter_count: 3_821_079_552,
            quantization_level: "Q4_0",
            file_type: 2,
            context_length: 4096,
            embedding_length: 3072,
            layer_sizes: &[60 * MIB, 1_084, 148],
            config_size: 483,
            template: PHI3_TEMPLATE,
            stop_words: &["<|end|>", "<|user|>", "<|assistant|>"],
            capabilities: &["completion"],
        }),
    ]
}

/// A model added by a test: the weights and a config blob that add up to
/// exactly `total_bytes`.
pub(crate) fn custom_model(name: &str, total_bytes: u64) -> ModelSpec {
    let config_size = 485.min(total_bytes / 2);
    build(SpecInput {
        name,
        family: "llama",
        parameter_size: "1B",
        parameter_count: 1_000_000_000,
        quantization_level: "Q4_K_M",
        file_type: 15,
        context_length: 8192,
        embedding_length: 2048,
        layer_sizes: &[total_bytes - config_size],
        config_size,
        template: ZEPHYR_TEMPLATE,
        stop_words: &["</s>"],
        capabilities: &["completion"],
    })
}

impl ModelSpec {
    /// Blobs in the order a pull fetches them: the layers, then the config.
    pub fn blobs(&self) -> impl Iterator<Item = &Blob> {
        self.layers.iter().chain(std::iter::once(&self.config))
    }

    /// Size on disk, as `/api/tags` reports it.
    pub fn size(&self) -> u64 {
        self.blobs().map(|b| b.size).sum()
    }

    /// Memory in use once loaded: the weights plus a KV cache and graph,
    /// so a bit more than the size on disk (as with Ollama).
    pub fn loaded_size(&self) -> u64 {
        let disk = self.size();
        disk + disk / 4 + 16 * MIB
    }

    pub fn details(&self) -> Details {
        Details {
            parent_model: String::new(),
            format: "gguf".to_owned(),
            family: self.family.clone(),
            families: vec![self.family.clone()],
            parameter_size: self.parameter_size.clone(),
            quantization_level: self.quantization_level.clone(),
        }
    }

    /// The `parameters` text block of `/api/show`: Ollama prints each
    /// option as `%-30s %#v`, one line per value.
    pub fn parameters_text(&self) -> String {
        self.stop_words
            .iter()
            .map(|word| format!("{:<30} {word:?}", "stop"))
            .collect::<Vec<_>>()
            .join("\n")
    }

    /// The Modelfile as `ollama show --modelfile` prints it.
    pub fn modelfile(&self, shown_name: &str) -> String {
        let weights = self.layers.first().map_or("", |b| b.hex.as_str());
        let mut text = format!(
            "# Modelfile generated by \"ollama show\"\n\
             # To build a new Modelfile based on this, replace FROM with:\n\
             # FROM {shown_name}\n\n\
             FROM /root/.ollama/models/blobs/sha256-{weights}\n\
             TEMPLATE \"\"\"{}\"\"\"\n",
            self.template
        );
        for word in &self.stop_words {
            let _ = writeln!(text, "PARAMETER stop {word}");
        }
        let _ = writeln!(text, "LICENSE \"\"\"{}\"\"\"", self.license);
        text
    }

    /// `model_info`: a few GGUF metadata keys, the token arrays left out as
    /// Ollama does without `verbose`.
    pub fn model_info(&self) -> Value {
        let arch = &self.family;
        let mut info = Map::new();
        info.insert("general.architecture".into(), json!(arch));
        info.insert("general.file_type".into(), json!(self.file_type));
        info.insert(
            "general.parameter_count".into(),
            json!(self.parameter_count),
        );
        info.insert("general.quantization_version".into(), json!(2));
        info.insert(format!("{arch}.context_length"), json!(self.context_length));
        info.insert(
            format!("{arch}.embedding_length"),
            json!(self.embedding_length),
        );
        info.insert("tokenizer.ggml.model".into(), json!("gpt2"));
        Value::Object(info)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_are_64_hex_and_stable() {
        let a = default_catalog();
        let b = default_catalog();
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.manifest_hex, y.manifest_hex);
            for blob in x.blobs() {
                assert_eq!(blob.hex.len(), 64);
                assert!(blob.hex.bytes().all(|c| c.is_ascii_hexdigit()));
            }
        }
    }

    #[test]
    fn custom_model_adds_up() {
        assert_eq!(custom_model("x:latest", 10_000_000).size(), 10_000_000);
        assert_eq!(custom_model("x:latest", 7).size(), 7);
    }
}
