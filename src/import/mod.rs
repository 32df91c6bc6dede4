//! Pure parsers of what people bring: a Hugging Face `config.json` (read by
//! one reader per model family, `arch`), GGUF and safetensors headers,
//! llama.cpp's vision projector (`mmproj`) GGUF files, llama.cpp and vLLM
//! logs, and the words of pasted shell commands and Python calls (`words`).
//!
//! Each importer turns untrusted text into a validated [`ModelSpec`] or a
//! typed error that names the field at fault; none of them panics.
//!
//! [`ModelSpec`]: crate::estimate::ModelSpec

mod arch;
pub mod config;
pub mod file;
pub mod gguf;
mod gguf_arch;
pub mod llama_log;
pub mod mmproj;
pub mod safetensors;
pub mod vllm_log;
pub mod words;

pub use config::{parse_config, ConfigError, Imported};
