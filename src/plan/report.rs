//! One request in, one report out: what the CLI prints and the app shows.
//!
//! [`Request`] is raw input as typed (strings from a form, a URL or the
//! command line); [`report`] validates it and derives everything else. Each
//! field error names the field so the UI can show it inline.

use serde::Serialize;
use thiserror::Error;

use super::device::{parse_gpus, DeviceError};
use super::split::{max_batch, max_context, plan, Plan, PlanRequest};
use crate::estimate::catalog::{find, UnknownModel};
use crate::estimate::format::UnknownFormat;
use crate::estimate::memory::Engine;
use crate::estimate::weights::TypeShare;
use crate::estimate::{KvType, ParamCount, RunSettings, WeightFormat};
use crate::import::config::{parse_config, ConfigError};
use crate::launch::llama_cpp;
use crate::units::{parse_size, SizeError};

/// Raw input, as typed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// A catalog id or alias.
    pub model: String,
    /// A pasted `config.json`; when non-empty it is used instead of `model`.
    pub config: String,
    /// GPU list, e.g. `2x24GB, 12GB`.
    pub gpus: String,
    /// `llama.cpp`, `vllm` or `transformers`.
    pub engine: String,
    pub weights: String,
    pub kv: String,
    pub ctx: String,
    pub batch: String,
    /// Runtime overhead reserved on each GPU (CUDA context, allocator slack).
    pub overhead: String,
}

impl Default for Request {
    /// The setup a newcomer sees: two 24 GB GPUs and Llama 3.1 8B in
    /// llama.cpp's most used format, Q4_K_M.
    fn default() -> Self {
        Request {
            model: crate::estimate::catalog::DEFAULT_MODEL.into(),
            config: String::new(),
            gpus: "2x24GB".into(),
            engine: "llama.cpp".into(),
            weights: "q4_k_m".into(),
            kv: "f16".into(),
            ctx: "8192".into(),
            batch: "1".into(),
            overhead: "500MiB".into(),
        }
    }
}

impl Request {
    /// The field names, in the order forms and links list them.
    pub const FIELDS: [&'static str; 9] = [
        "model", "config", "gpus", "engine", "weights", "kv", "ctx", "batch", "overhead",
    ];

    fn field_mut(&mut self, field: &str) -> Option<&mut String> {
        Some(match field {
            "model" => &mut self.model,
            "config" => &mut self.config,
            "gpus" => &mut self.gpus,
            "engine" => &mut self.engine,
            "weights" => &mut self.weights,
            "kv" => &mut self.kv,
            "ctx" => &mut self.ctx,
            "batch" => &mut self.batch,
            "overhead" => &mut self.overhead,
            _ => return None,
        })
    }

    /// Sets a field by name; `false` for a name that is not a field.
    pub fn set(&mut self, field: &str, value: String) -> bool {
        match self.field_mut(field) {
            Some(slot) => {
                *slot = value;
                true
            }
            None => false,
        }
    }

    /// Reads a field by name.
    pub fn get(&self, field: &str) -> Option<&str> {
        Some(match field {
            "model" => &self.model,
            "config" => &self.config,
            "gpus" => &self.gpus,
            "engine" => &self.engine,
            "weights" => &self.weights,
            "kv" => &self.kv,
            "ctx" => &self.ctx,
            "batch" => &self.batch,
            "overhead" => &self.overhead,
            _ => return None,
        })
    }
}

/// A field the user must correct.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum InputError {
    #[error(transparent)]
    Model(#[from] UnknownModel),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Gpus(#[from] DeviceError),
    #[error(transparent)]
    Format(#[from] UnknownFormat),
    #[error("{field} must be a whole number from 1 to {max}, got '{text}'")]
    Count {
        field: &'static str,
        text: String,
        max: u64,
    },
    #[error("overhead per GPU: {0}")]
    Overhead(SizeError),
    #[error("{engine} does not run {what}: {hint}")]
    Unsupported {
        field: &'static str,
        engine: Engine,
        what: String,
        hint: String,
    },
}

impl InputError {
    /// The request field this error belongs next to.
    pub fn field(&self) -> &'static str {
        match self {
            InputError::Model(_) => "model",
            InputError::Config(_) => "config",
            InputError::Gpus(_) => "gpus",
            InputError::Format(e) if e.what == "weight format" => "weights",
            InputError::Format(e) if e.what == "engine" => "engine",
            InputError::Format(_) => "kv",
            InputError::Unsupported { field, .. } => field,
            InputError::Overhead(_) => "overhead",
            InputError::Count { field, .. } => field,
        }
    }
}

/// Everything derived from one request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub model: String,
    pub engine: Engine,
    pub params: ParamCount,
    pub fits: bool,
    /// All model weights in the chosen format, wherever they are placed.
    pub weights_bytes: u64,
    /// The model file / checkpoint size (each tensor once).
    pub file_bytes: u64,
    /// Storage types and their shares: which tensors stay unquantized.
    pub weights_by_type: Vec<TypeShare>,
    pub kv_bytes: u64,
    pub shortfall_bytes: u64,
    pub host_bytes: u64,
    pub plan: Plan,
    /// Longest context per sequence that fits with the requested sequences.
    pub max_context: Option<u64>,
    /// Most sequences that fit at the requested context.
    pub max_batch: Option<u64>,
    pub n_ctx: u64,
    pub n_seq: u64,
    pub weights_label: String,
    /// The llama-server command, when the engine is llama.cpp.
    pub llama_cpp_command: Option<String>,
    pub warnings: Vec<String>,
}

fn count(field: &'static str, text: &str, max: u64) -> Result<u64, InputError> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(InputError::Count {
            field,
            text: text.to_string(),
            max,
        }),
    }
}

/// The longest context vramfit plans for (tokens per sequence).
pub const MAX_CTX: u64 = 16 << 20;

/// Validates `request` and derives the report.
pub fn report(request: &Request) -> Result<Report, InputError> {
    let (name, imported) = if request.config.trim().is_empty() {
        let model = find(&request.model)?;
        (model.name.to_string(), model.load()?)
    } else {
        (
            "Pasted config.json".to_string(),
            parse_config(&request.config)?,
        )
    };
    let gpus = parse_gpus(&request.gpus)?;
    let engine: Engine = request.engine.parse()?;
    let weights: WeightFormat = request.weights.parse()?;
    if !engine.supports(weights) {
        let hint = match engine {
            Engine::LlamaCpp => "it loads GGUF files; choose a GGUF type such as q4_k_m",
            _ => "GGUF files are for llama.cpp; choose bf16, fp8, gptq, awq…",
        };
        return Err(InputError::Unsupported {
            field: "weights",
            engine,
            what: weights.label(),
            hint: hint.to_string(),
        });
    }
    let kv: KvType = request.kv.parse()?;
    if !engine.supports_kv(kv) {
        let hint = match engine {
            Engine::LlamaCpp => "use f16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl, bf16 or f32",
            Engine::Vllm => "use f16 (auto) or fp8",
            Engine::Transformers => "use f16 or bf16",
        };
        return Err(InputError::Unsupported {
            field: "kv",
            engine,
            what: format!("a {} KV cache", kv.id()),
            hint: hint.to_string(),
        });
    }
    let n_ctx = count("ctx", &request.ctx, MAX_CTX)?;
    let n_seq = count("batch", &request.batch, 1024)?;
    let overhead_per_gpu = match request.overhead.trim() {
        "0" => 0,
        text => parse_size(text).map_err(InputError::Overhead)?,
    };
    let settings = RunSettings {
        engine,
        weights,
        type_k: kv,
        type_v: kv,
        n_ctx,
        n_seq,
        overhead_per_gpu,
        ..RunSettings::default()
    };
    let spec = &imported.spec;
    let req = PlanRequest {
        spec,
        settings,
        gpus: &gpus,
    };
    let plan = plan(req);
    let mut warnings = imported.warnings;
    warnings.extend(plan.estimate.warnings.iter().cloned());
    if n_ctx > spec.n_ctx_train {
        warnings.push(format!(
            "context {n_ctx} is past the model's max_position_embeddings ({}): quality degrades beyond it",
            spec.n_ctx_train
        ));
    }
    Ok(Report {
        model: name,
        engine,
        params: spec.params(),
        fits: plan.fits,
        weights_bytes: plan.estimate.weights_total(),
        file_bytes: plan.estimate.weights.file,
        weights_by_type: plan.estimate.weights.by_type.clone(),
        kv_bytes: plan.estimate.kv_total(),
        shortfall_bytes: plan.shortfall_bytes,
        host_bytes: plan.host_bytes,
        max_context: max_context(req),
        max_batch: max_batch(req),
        n_ctx,
        n_seq,
        weights_label: weights.label(),
        llama_cpp_command: (engine == Engine::LlamaCpp)
            .then(|| llama_cpp::command(&plan, &settings, "model.gguf")),
        plan,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_request_fits_with_room_to_spare() {
        let r = report(&Request::default()).unwrap();
        assert!(r.fits);
        assert_eq!(r.params.total, 8_030_261_248);
        assert_eq!(r.plan.devices.len(), 2);
        assert_eq!(r.max_context, Some(131_072));
    }

    #[test]
    fn each_bad_field_is_reported_against_that_field() {
        let cases = [
            ("gpus", "", "gpus"),
            ("model", "gpt-5", "model"),
            ("config", "{junk", "config"),
            ("weights", "q3", "weights"),
            ("weights", "bf16", "weights"),
            ("engine", "vllm", "weights"),
            ("engine", "tgi", "engine"),
            ("kv", "f8", "kv"),
            ("ctx", "0", "ctx"),
            ("ctx", "1e30", "ctx"),
            ("batch", "-1", "batch"),
            ("overhead", "lots", "overhead"),
        ];
        for (field, value, expected) in cases {
            let mut request = Request::default();
            assert!(request.set(field, value.to_string()), "{field}");
            assert_eq!(
                report(&request).unwrap_err().field(),
                expected,
                "{field}={value}"
            );
        }
        let mut request = Request::default();
        request.set("engine", "vllm".into());
        request.set("weights", "bf16".into());
        request.set("kv", "q8_0".into());
        assert_eq!(report(&request).unwrap_err().field(), "kv");
        assert!(!request.set("nonsense", String::new()));
        for field in Request::FIELDS {
            assert!(request.set(field, format!("value of {field}")));
            assert_eq!(
                request.get(field),
                Some(format!("value of {field}").as_str())
            );
        }
    }
}
