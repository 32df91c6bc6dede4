//! One request in, one report out: what the CLI prints and the app shows.
//!
//! [`Request`] is raw input as typed (strings from a form, a URL or the
//! command line); [`report`] validates it into a [`Validated`] setup and
//! derives everything else. Each field error names the field so the UI can
//! show it inline.

pub mod check;
pub mod command;
pub mod compare;
mod follow;
pub mod llama_args;
mod speed;
mod startup;
pub mod train;
pub mod vllm_args;
mod ways;

use std::collections::BTreeMap;

use speed::{fastest_plan, host_bandwidth, sweep_with_speed};

use serde::Serialize;
use thiserror::Error;

use crate::estimate::catalog::UnknownModel;
use crate::estimate::format::{kv_pair, UnknownFormat};
use crate::estimate::memory::Engine;
use crate::estimate::model::ModelSpec;
use crate::estimate::names::{resolve, Resolved};
use crate::estimate::weights::TypeShare;
use crate::estimate::{ParamCount, RunSettings, WeightFormat};
use crate::import::config::{parse_config, ConfigError};
use crate::launch::{self, LaunchContext};
use crate::plan::device::{parse_gpus, with_reserve, DeviceError, Gpu};
use crate::plan::profile::device_map;
use crate::plan::search::{max_batch, max_context, sweep, Objective, SweepRow};
use crate::plan::split::{plan, DevicePlan, Layout, Offload, Plan, PlanRequest};
use crate::units::{parse_size, SizeError};
use ways::ways_out;
pub use ways::WayOut;

/// Raw input, as typed. Every field is a string so that forms, links and
/// the command line share one vocabulary ([`Request::set`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Request {
    /// A catalog id or alias, or a repository name such as
    /// `RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic` ([`resolve`]).
    pub model: String,
    /// A pasted `config.json`; when non-empty it is used instead of `model`.
    pub config: String,
    /// GPU list, e.g. `2x24GB, 12GB` or `2xrtx-4090`.
    pub gpus: String,
    /// `llama.cpp`, `vllm`, `transformers`, `exllamav2` or `ollama`.
    pub engine: String,
    /// A weight format id; empty for "not chosen": the format the model
    /// name implies (a quantized repo), else the engine's default.
    pub weights: String,
    pub kv: String,
    pub ctx: String,
    pub batch: String,
    /// Runtime overhead reserved on each GPU (CUDA context, allocator
    /// slack); empty for the engine's default ([`default_overhead`]).
    pub overhead: String,
    /// Memory kept free on each GPU (desktop, other processes); empty or 0 for none.
    pub reserve: String,
    /// Host RAM for offload; empty when unknown.
    pub host_ram: String,
    /// Host memory bandwidth in GB/s, for the speed of offloaded layers
    /// (empty: a typical desktop's dual-channel DDR5, or a Mac's unified
    /// memory).
    pub host_bw: String,
    /// `on` to let layers go to the CPU when the GPUs are not enough.
    pub offload: String,
    /// `min-utilisation`, `max-context` or `max-batch`.
    pub objective: String,
    /// Images per request for a vision-language model (0: text only).
    pub images: String,
    /// vLLM `--gpu-memory-utilization` (empty: 0.9, vLLM's default).
    pub util: String,
    /// The vLLM release whose accounting to follow (empty: the current one).
    pub vllm_version: String,
    /// vLLM `--max-num-batched-tokens` (empty: vLLM's default for the GPU).
    pub batched_tokens: String,
    /// vLLM `--block-size` (empty: vLLM's choice).
    pub block_size: String,
    /// vLLM `--enforce-eager`: `on` or `off`.
    pub eager: String,
    /// llama.cpp `--swa-full`: `on` or `off`.
    pub swa_full: String,
    /// The llama.cpp build to follow (`b4462` or `4462`); empty: the current one.
    pub llama_cpp_build: String,
    /// vLLM `--tensor-parallel-size` (empty: chosen by the planner).
    pub tp: String,
    /// vLLM `--pipeline-parallel-size` (empty: chosen by the planner).
    pub pp: String,
    /// llama.cpp `-ub`: tokens per compute step (empty: 512).
    pub ubatch: String,
    /// Flash attention (llama.cpp `-fa`, SDPA for transformers): `on` or `off`.
    pub flash_attn: String,
    /// llama.cpp `-ngl`: layers on GPUs, the output counted (empty: searched).
    pub ngl: String,
    /// llama.cpp `-ts`: proportions per GPU such as `3,1` (empty: searched).
    pub tensor_split: String,
    /// llama.cpp `-sm`: `layer`, `row` or `none` (empty: layer).
    pub split_mode: String,
    /// llama.cpp `-mg`: the GPU for `-sm none` (empty: 0).
    pub main_gpu: String,
    /// llama.cpp `--n-cpu-moe`: the first layers whose experts stay in
    /// host memory (`all` for `--cpu-moe`; empty: searched with offload).
    pub n_cpu_moe: String,
    /// The ggml backend: `cuda`, `rocm`, `metal`, `vulkan` or `cpu` (empty:
    /// from the GPUs).
    pub backend: String,
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
            overhead: String::new(),
            reserve: String::new(),
            host_ram: String::new(),
            host_bw: String::new(),
            offload: "off".into(),
            objective: "min-utilisation".into(),
            images: "1".into(),
            util: String::new(),
            vllm_version: String::new(),
            batched_tokens: String::new(),
            block_size: String::new(),
            eager: "off".into(),
            swa_full: "off".into(),
            llama_cpp_build: String::new(),
            tp: String::new(),
            pp: String::new(),
            ubatch: String::new(),
            flash_attn: "on".into(),
            ngl: String::new(),
            tensor_split: String::new(),
            split_mode: String::new(),
            main_gpu: String::new(),
            n_cpu_moe: String::new(),
            backend: String::new(),
        }
    }
}

impl Request {
    /// The field names, in the order forms and links list them.
    pub const FIELDS: [&'static str; 32] = [
        "model",
        "config",
        "gpus",
        "engine",
        "weights",
        "kv",
        "ctx",
        "batch",
        "overhead",
        "reserve",
        "host_ram",
        "host_bw",
        "offload",
        "objective",
        "images",
        "util",
        "vllm_version",
        "batched_tokens",
        "block_size",
        "eager",
        "swa_full",
        "llama_cpp_build",
        "tp",
        "pp",
        "ubatch",
        "flash_attn",
        "ngl",
        "tensor_split",
        "split_mode",
        "main_gpu",
        "n_cpu_moe",
        "backend",
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
            "reserve" => &mut self.reserve,
            "host_ram" => &mut self.host_ram,
            "host_bw" => &mut self.host_bw,
            "offload" => &mut self.offload,
            "objective" => &mut self.objective,
            "images" => &mut self.images,
            "util" => &mut self.util,
            "vllm_version" => &mut self.vllm_version,
            "batched_tokens" => &mut self.batched_tokens,
            "block_size" => &mut self.block_size,
            "eager" => &mut self.eager,
            "swa_full" => &mut self.swa_full,
            "llama_cpp_build" => &mut self.llama_cpp_build,
            "tp" => &mut self.tp,
            "pp" => &mut self.pp,
            "ubatch" => &mut self.ubatch,
            "flash_attn" => &mut self.flash_attn,
            "ngl" => &mut self.ngl,
            "tensor_split" => &mut self.tensor_split,
            "split_mode" => &mut self.split_mode,
            "main_gpu" => &mut self.main_gpu,
            "n_cpu_moe" => &mut self.n_cpu_moe,
            "backend" => &mut self.backend,
            _ => return None,
        })
    }

    /// Sets a field by name; `false` for a name that is not a field.
    /// A new model or config carries a format that followed the old one's
    /// default to the new one's ([`follow`]).
    pub fn set(&mut self, field: &str, value: String) -> bool {
        let moves = matches!(field, "model" | "config") && self.get(field) != Some(&value);
        let followed = moves && self.weights_follow();
        match self.field_mut(field) {
            Some(slot) => {
                *slot = value;
                self.follow(followed);
                true
            }
            None => false,
        }
    }

    /// A request from a JSON object with the same field names (the JS API's
    /// input): strings as typed, numbers for counts and sizes, `true`/`false`
    /// for `offload`, a list of GPU entries, and `config` as an object or
    /// text. Fields left out keep their defaults.
    pub fn from_json(value: &serde_json::Value) -> Result<Request, String> {
        let serde_json::Value::Object(fields) = value else {
            return Err("the input must be an object like {\"model\": \"llama-3.1-8b\", \"gpus\": \"2x24GB\"}".into());
        };
        let mut request = Request::default();
        for (key, value) in fields {
            let Some(text) = json_field_text(key, value)? else {
                continue;
            };
            if key == "engine" {
                request.set_engine(&text);
            } else if !request.set(key, text) {
                return Err(format!(
                    "unknown field `{key}`; fields are {}",
                    Request::FIELDS.join(", ")
                ));
            }
        }
        Ok(request)
    }

    /// Switches engine, keeping the weight format and KV type when the new
    /// engine runs them and taking its defaults otherwise; a format that
    /// was the default becomes the new engine's default for the model
    /// ([`follow`]).
    pub fn set_engine(&mut self, engine: &str) {
        let followed = self.weights_follow();
        self.engine = engine.to_string();
        let Ok(engine) = engine.parse::<Engine>() else {
            return;
        };
        let chosen = !self.weights.trim().is_empty();
        if chosen && !self.weights.parse().is_ok_and(|w| engine.supports(w)) {
            self.weights = engine.default_weights().id();
        }
        self.follow(followed);
        let supported =
            kv_pair(&self.kv).is_ok_and(|(k, v)| engine.supports_kv(k) && engine.supports_kv(v));
        if !supported {
            self.kv = "f16".into();
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
            "reserve" => &self.reserve,
            "host_ram" => &self.host_ram,
            "host_bw" => &self.host_bw,
            "offload" => &self.offload,
            "objective" => &self.objective,
            "images" => &self.images,
            "util" => &self.util,
            "vllm_version" => &self.vllm_version,
            "batched_tokens" => &self.batched_tokens,
            "block_size" => &self.block_size,
            "eager" => &self.eager,
            "swa_full" => &self.swa_full,
            "llama_cpp_build" => &self.llama_cpp_build,
            "tp" => &self.tp,
            "pp" => &self.pp,
            "ubatch" => &self.ubatch,
            "flash_attn" => &self.flash_attn,
            "ngl" => &self.ngl,
            "tensor_split" => &self.tensor_split,
            "split_mode" => &self.split_mode,
            "main_gpu" => &self.main_gpu,
            "n_cpu_moe" => &self.n_cpu_moe,
            "backend" => &self.backend,
            _ => return None,
        })
    }
}

/// A JSON input field as the text a form would hold: strings as they are,
/// numbers written out, `true`/`false` as `on`/`off`, the GPU list's
/// entries joined, a `config` object as JSON; `None` for `null` (left out).
pub(crate) fn json_field_text(
    key: &str,
    value: &serde_json::Value,
) -> Result<Option<String>, String> {
    Ok(Some(match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        serde_json::Value::Bool(b) => if *b { "on" } else { "off" }.to_string(),
        serde_json::Value::Array(items) if key == "gpus" => items
            .iter()
            .map(|i| {
                i.as_str()
                    .map(str::to_string)
                    .unwrap_or_else(|| i.to_string())
            })
            .collect::<Vec<_>>()
            .join(", "),
        serde_json::Value::Object(_) if key == "config" => value.to_string(),
        serde_json::Value::Null => return Ok(None),
        other => return Err(format!("field `{key}` cannot be {other}")),
    }))
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
    #[error("{field} must be a whole number from {min} to {max}, got '{text}'")]
    Count {
        field: &'static str,
        text: String,
        min: u64,
        max: u64,
    },
    #[error("{field}: {source}")]
    Size {
        field: &'static str,
        source: SizeError,
    },
    #[error("{field} must be one of {choices}, got '{text}'")]
    Choice {
        field: &'static str,
        text: String,
        choices: &'static str,
    },
    #[error("{field} must be a fraction above 0 and at most 1, such as 0.9, got '{text}'")]
    Fraction { field: &'static str, text: String },
    #[error("{field} must be a bandwidth in GB/s above 0, such as 89.6, got '{text}'")]
    Bandwidth { field: &'static str, text: String },
    #[error("{field} must be a speed in tokens per second above 0, such as 20, got '{text}'")]
    Rate { field: &'static str, text: String },
    #[error(transparent)]
    Version(crate::estimate::vllm::era::BadVersion),
    #[error("{source}")]
    Placement {
        field: &'static str,
        source: crate::plan::placement::PlacementError,
    },
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
            InputError::Version(_) => "vllm_version",
            InputError::Count { field, .. }
            | InputError::Fraction { field, .. }
            | InputError::Bandwidth { field, .. }
            | InputError::Rate { field, .. }
            | InputError::Size { field, .. }
            | InputError::Choice { field, .. }
            | InputError::Placement { field, .. }
            | InputError::Unsupported { field, .. } => field,
        }
    }
}

/// A request after validation: typed, ready to plan.
#[derive(Debug, Clone)]
pub struct Validated {
    pub name: String,
    /// What commands load: a Hugging Face repo id or a file name.
    pub model_ref: String,
    pub spec: ModelSpec,
    pub warnings: Vec<String>,
    pub gpus: Vec<Gpu>,
    pub settings: RunSettings,
    pub host_ram: Option<u64>,
    /// Host memory's bandwidth, for the speed of what is offloaded.
    pub host: crate::plan::speed::Host,
    pub allow_offload: bool,
    pub objective: Objective,
    /// llama.cpp's placement flags as given (`-ngl`, `-ts`, `-sm`, `-mg`).
    pub placement: crate::plan::placement::Placement,
    /// The ggml backend and the memory limit it gives each GPU.
    pub backend: crate::plan::placement::Backend,
    pub memory_limit: String,
}

impl Validated {
    /// The GPUs `text` (as in the gpus field) names, with the request's
    /// reserve, and the settings that depend on them; `None` if it is not
    /// a valid list. Lets searches over GPU lists skip re-reading the model.
    pub fn on_gpus(&self, request: &Request, text: &str) -> Option<(Vec<Gpu>, RunSettings)> {
        let reserve = optional_size("reserve", &request.reserve)
            .ok()?
            .unwrap_or(0);
        let gpus = with_reserve(parse_gpus(text).ok()?, reserve);
        if gpus.iter().any(|g| g.usable() == 0) {
            return None;
        }
        let (vllm, max_num_batched_tokens) = vllm_args::on_gpus(
            request,
            self.settings.vllm,
            &gpus,
            self.settings.n_ctx,
            self.settings.n_seq,
        )
        .ok()?;
        let settings = RunSettings {
            max_num_batched_tokens,
            vllm,
            ..self.settings
        };
        Some((gpus, settings))
    }

    /// vLLM refuses to start on every GPU (each has less free than its
    /// budget): nothing runs at any context, whatever the model.
    pub fn vllm_refused_everywhere(&self) -> bool {
        let r = self.plan_request();
        self.gpus.iter().all(|g| {
            crate::plan::split::missing_at_startup(&r, g, self.settings.overhead_per_gpu) > 0
        })
    }

    pub fn plan_request(&self) -> PlanRequest<'_> {
        PlanRequest {
            spec: &self.spec,
            settings: self.settings,
            gpus: &self.gpus,
            host_ram: self.host_ram,
            allow_offload: self.allow_offload,
            fixed: Some(&self.placement),
        }
    }
}

/// Most images per request accepted.
const MAX_IMAGES: u64 = 64;

pub(crate) fn count(field: &'static str, text: &str, max: u64) -> Result<u64, InputError> {
    match text.trim().parse::<u64>() {
        Ok(n) if (1..=max).contains(&n) => Ok(n),
        _ => Err(InputError::Count {
            field,
            text: text.to_string(),
            min: 1,
            max,
        }),
    }
}

/// The runtime overhead per GPU an engine needs outside its allocations,
/// and where the figure comes from. PyTorch engines: the CUDA context and
/// cuBLAS workspace measured on an H200 with torch 2.11 and CUDA 13
/// (619 + 32 MiB, tests/data/measured/transformers_gpu.json); llama.cpp,
/// Ollama: 500 MiB, the upper end of published CUDA-context figures
/// without PyTorch's kernels (~110–550 MiB).
pub fn default_overhead(engine: Engine) -> (u64, &'static str) {
    const MIB: u64 = 1 << 20;
    match engine {
        Engine::Vllm | Engine::Transformers | Engine::ExLlamaV2 => (
            651 * MIB,
            "PyTorch's CUDA context and cuBLAS workspace, measured on an H200 (torch 2.11, CUDA 13)",
        ),
        Engine::LlamaCpp | Engine::Ollama => (
            500 * MIB,
            "a CUDA context without PyTorch: published figures run from ~110 to ~550 MiB",
        ),
    }
}

/// An on/off field (`on`, `yes`, `true`, `1` or their opposites; empty is off).
pub(crate) fn switch(field: &'static str, text: &str) -> Result<bool, InputError> {
    match text.trim().to_ascii_lowercase().as_str() {
        "on" | "yes" | "true" | "1" => Ok(true),
        "" | "off" | "no" | "false" | "0" => Ok(false),
        _ => Err(InputError::Choice {
            field,
            text: text.to_string(),
            choices: "on, off",
        }),
    }
}

/// llama.cpp's `-fa on|off|auto` (also yes/no/true/false/1/0). `auto`, its
/// default since late 2025, turns flash attention on where the backend runs
/// it for the model's head sizes (`llama-context.cpp`): every CUDA, ROCm,
/// Metal and Vulkan GPU vramfit plans for, so it counts as on.
fn flash_attn(text: &str) -> Result<bool, InputError> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(true);
    }
    switch("flash_attn", text).map_err(|_| InputError::Choice {
        field: "flash_attn",
        text: text.to_string(),
        choices: "on, off, auto",
    })
}

/// A size that may be left empty or 0.
fn optional_size(field: &'static str, text: &str) -> Result<Option<u64>, InputError> {
    match text.trim() {
        "" => Ok(None),
        "0" => Ok(Some(0)),
        t => parse_size(t)
            .map(Some)
            .map_err(|source| InputError::Size { field, source }),
    }
}

/// The longest context vramfit plans for (tokens per sequence).
pub const MAX_CTX: u64 = 16 << 20;

/// Validates every field of `request`.
pub fn validate(request: &Request) -> Result<Validated, InputError> {
    let mut resolved = None;
    let (name, model_ref, imported) = if request.config.trim().is_empty() {
        let r = resolve(&request.model)?;
        let model = r.model;
        let repo = r.load.clone().unwrap_or_else(|| {
            let alias = model.aliases.iter().find(|a| a.contains('/'));
            alias.unwrap_or(&model.id).to_string()
        });
        resolved = Some(r);
        (model.name.to_string(), repo, model.load()?)
    } else {
        let imported = parse_config(&request.config)?;
        let (name, model_ref) = match &imported.spec.stored {
            Some(stored) => {
                let file = stored
                    .files
                    .first()
                    .map_or("model", |f| f.rsplit(['/', '\\']).next().unwrap_or(f));
                (format!("{file} ({})", stored.source), file.to_string())
            }
            None => (
                "Pasted config.json".to_string(),
                "path/to/model".to_string(),
            ),
        };
        (name, model_ref, imported)
    };
    let engine: Engine = request.engine.parse()?;
    let (weights, name_notes) = weights_for(request, &request.weights, resolved.as_ref(), engine)?;
    if !engine.supports(weights) {
        let hint = match engine {
            Engine::LlamaCpp | Engine::Ollama => {
                "it loads GGUF files; choose a GGUF type such as q4_k_m"
            }
            Engine::ExLlamaV2 => "it loads EXL2 (or fp16) weights; choose exl2-4.0bpw or similar",
            _ => {
                "GGUF files are for llama.cpp and EXL2 for ExLlamaV2; choose bf16, fp8, gptq, awq…"
            }
        };
        return Err(InputError::Unsupported {
            field: "weights",
            engine,
            what: weights.label(),
            hint: hint.into(),
        });
    }
    let (type_k, type_v) = kv_pair(&request.kv)?;
    if !engine.supports_kv(type_k) || !engine.supports_kv(type_v) {
        return Err(InputError::Unsupported {
            field: "kv",
            engine,
            what: format!("a {} KV cache", request.kv.trim()),
            hint: format!("use {}", engine.kv_types().join(", ")),
        });
    }
    let n_ctx = count("ctx", &request.ctx, MAX_CTX)?;
    let n_seq = count("batch", &request.batch, crate::plan::search::MAX_BATCH)?;
    let images = match request.images.trim() {
        "" => 1,
        text => match text.parse::<u64>() {
            Ok(n) if n <= MAX_IMAGES => n,
            _ => {
                return Err(InputError::Count {
                    field: "images",
                    text: request.images.clone(),
                    min: 0,
                    max: MAX_IMAGES,
                })
            }
        },
    };
    let overhead_per_gpu =
        optional_size("overhead", &request.overhead)?.unwrap_or_else(|| default_overhead(engine).0);
    let reserve = optional_size("reserve", &request.reserve)?.unwrap_or(0);
    let host_ram = optional_size("host_ram", &request.host_ram)?;
    let allow_offload = switch("offload", &request.offload)?;
    let objective = Objective::parse(&request.objective).ok_or_else(|| InputError::Choice {
        field: "objective",
        text: request.objective.clone(),
        choices: "min-utilisation, max-context, max-batch, fastest",
    })?;
    let gpus = with_reserve(parse_gpus(&request.gpus)?, reserve);
    if let Some(g) = gpus.iter().find(|g| g.usable() == 0) {
        return Err(InputError::Size {
            field: "reserve",
            source: SizeError::TooLarge(format!(
                "{} leaves nothing usable on {}",
                request.reserve.trim(),
                g.name
            )),
        });
    }
    let host = host_bandwidth(&request.host_bw, &gpus)?;
    let llama = llama_args::parse(request, engine, gpus, imported.spec.layers.len())?;
    let gpus = llama.gpus;
    let (vllm, max_num_batched_tokens) =
        vllm_args::on_gpus(request, vllm_args::parse(request)?, &gpus, n_ctx, n_seq)?;
    let settings = RunSettings {
        engine,
        weights,
        type_k,
        type_v,
        n_ctx,
        n_seq,
        overhead_per_gpu,
        max_num_batched_tokens,
        images,
        vllm,
        n_ubatch: match request.ubatch.trim() {
            "" => RunSettings::default().n_ubatch,
            text => count("ubatch", text, 1 << 16)?,
        },
        flash_attn: flash_attn(&request.flash_attn)?,
        swa_full: switch("swa_full", &request.swa_full)?,
        llama_cpp_build: match request
            .llama_cpp_build
            .trim()
            .trim_start_matches(['b', 'B'])
        {
            "" => None,
            text => Some(count("llama_cpp_build", text, 1 << 20)? as u32),
        },
    };
    let mut warnings = imported.warnings;
    if let Some(vision) = &imported.spec.vision {
        let tokens = images * vision.tokens.max_per_image();
        if tokens > n_ctx {
            warnings.push(format!(
                "{images} image(s) of the largest size take {tokens} tokens, more than the {n_ctx}-token context; raise ctx or send smaller images"
            ));
        }
    }
    warnings.extend(name_notes);
    warnings.extend(llama.warnings);
    if n_ctx > imported.spec.n_ctx_train {
        warnings.push(format!(
            "context {n_ctx} is past the model's max_position_embeddings ({}): quality degrades beyond it",
            imported.spec.n_ctx_train
        ));
    }
    Ok(Validated {
        name,
        model_ref,
        spec: imported.spec,
        warnings,
        gpus,
        settings,
        host_ram,
        host,
        allow_offload,
        objective,
        placement: llama.placement,
        backend: llama.backend,
        memory_limit: llama.memory_limit,
    })
}

/// The weight format to plan with, and notes on what the model name said:
/// an explicit `weights` wins; otherwise the format the name implies, when
/// the engine loads it; otherwise the engine's default.
fn weights_for(
    request: &Request,
    weights: &str,
    resolved: Option<&Resolved>,
    engine: Engine,
) -> Result<(WeightFormat, Vec<String>), InputError> {
    let mut notes = Vec::new();
    let implied = resolved.and_then(|r| {
        notes.extend(r.rule.iter().chain(&r.warning).cloned());
        r.format
    });
    let text = weights.trim();
    if !text.is_empty() {
        let chosen: WeightFormat = text.parse()?;
        if let Some(f) = implied.filter(|&f| f != chosen) {
            notes.push(format!(
                "weights {} chosen explicitly, not the {} the name implies",
                chosen.id(),
                f.id()
            ));
        }
        return Ok((chosen, notes));
    }
    let weights = match implied {
        Some(f) if engine.supports(f) => {
            notes.push(format!(
                "planned with {}, the format the name implies",
                f.id()
            ));
            f
        }
        Some(f) => {
            let fallback = engine.default_weights();
            notes.push(format!(
                "{engine} does not load {}: planned with its default, {}",
                f.label(),
                fallback.id()
            ));
            fallback
        }
        // A checkpoint stored quantized (gpt-oss's MXFP4, DeepSeek's FP8)
        // is what vLLM and transformers load.
        None => {
            let config = resolved.map_or(request.config.as_str(), |r| r.model.config);
            let stored = crate::import::config::checkpoint_format(config);
            match (stored, engine) {
                (Some(f), Engine::Vllm | Engine::Transformers) if engine.supports(f) => {
                    notes.push(format!(
                        "planned with {}, the checkpoint's own quantization",
                        f.id()
                    ));
                    f
                }
                // llama.cpp's converter keeps an MXFP4 checkpoint's experts
                // in MXFP4 (convert_hf_to_gguf.py, gpt-oss): the GGUF people
                // run — ggml-org's, and Ollama's gpt-oss — is MXFP4_MOE.
                (Some(WeightFormat::Mxfp4), Engine::LlamaCpp | Engine::Ollama) => {
                    let f = WeightFormat::Gguf {
                        ftype: crate::estimate::format::GgufFtype::MXFP4_MOE,
                    };
                    notes.push(format!(
                        "planned with {}, the GGUF llama.cpp's converter makes of an MXFP4 checkpoint",
                        f.id()
                    ));
                    f
                }
                _ => engine.default_weights(),
            }
        }
    };
    Ok((weights, notes))
}

/// Every field error at once: validates, then puts the faulty field back to
/// its default and validates again, so each field can show its own message.
pub fn all_errors(request: &Request) -> Vec<InputError> {
    let mut errors = Vec::new();
    let mut probe = request.clone();
    let defaults = Request::default();
    while let Err(e) = validate(&probe) {
        let field = e.field();
        let fixed = defaults.get(field).unwrap_or_default().to_string();
        if errors.iter().any(|x: &InputError| x.field() == field) || !probe.set(field, fixed) {
            break;
        }
        errors.push(e);
    }
    errors
}

/// Everything derived from one request. The JSON of this is the CLI's
/// `plan --json` and the JS API's `plan()` result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub model: String,
    /// Where the model came from: `catalog`, `config`, `gguf` or `safetensors`.
    pub source: String,
    pub engine: Engine,
    pub objective: Objective,
    pub params: ParamCount,
    /// The requested context and sequences fit on the GPUs (with offload
    /// when it is allowed and needed).
    pub fits: bool,
    /// All model weights in the chosen format, wherever they are placed.
    pub weights_bytes: u64,
    /// The model file / checkpoint size (each tensor once).
    pub file_bytes: u64,
    /// The whole KV cache for the plan's context and sequences, recurrent
    /// states included.
    pub kv_bytes: u64,
    /// Of `weights_bytes`, the vision encoder and projector of a
    /// vision-language model (on the first GPU).
    pub vision_bytes: u64,
    /// Of the first GPU's compute, the image encoder's buffer (llama.cpp's
    /// CLIP graph for the largest image, where measured).
    pub vision_compute_bytes: u64,
    /// Context tokens one image of the processor's largest default size
    /// takes (0 for a text-only model).
    pub image_tokens: u64,
    /// Images per request the plan is for.
    pub images: u64,
    /// Of `kv_bytes`, the recurrent states of Mamba, linear-attention and
    /// short-conv layers: fixed per sequence, whatever the context.
    pub state_bytes: u64,
    pub shortfall_bytes: u64,
    pub host_bytes: u64,
    /// Of `host_bytes`: weights, KV and the engine's host buffers.
    pub host: crate::plan::split::HostPlan,
    /// Storage types and their shares: which tensors stay unquantized.
    pub weights_by_type: Vec<TypeShare>,
    pub layout: Layout,
    pub offload: Offload,
    /// Every GPU, used or not, with its share.
    pub devices: Vec<DevicePlan>,
    /// Context and sequences the plan (and the commands) are for.
    pub n_ctx: u64,
    pub n_seq: u64,
    /// Longest context per sequence that fits with the requested sequences.
    pub max_context: Option<u64>,
    /// Most sequences that fit at the requested context.
    pub max_batch: Option<u64>,
    /// Longest context for 1, 2, 4, 8, 16 and 32 sequences.
    pub sweep: Vec<SweepRow>,
    /// Each GPU's share of the layers, in GPU order.
    pub split_ratio: Vec<f64>,
    /// Module → device, in the engine's module names.
    pub device_map: BTreeMap<String, String>,
    /// Engine → the command (or config) that runs this plan.
    pub commands: BTreeMap<String, String>,
    /// When it does not fit: changes that make it fit, each re-planned.
    pub ways_out: Vec<WayOut>,
    pub weights_label: String,
    /// Where the runtime overhead per GPU comes from: the user's figure or
    /// the engine's default and its measurement.
    pub overhead_basis: String,
    /// vLLM's startup as it would log it (`--engine vllm`): its budget, the
    /// KV cache it allocates, "GPU KV cache size" and "Maximum concurrency".
    pub vllm: Option<crate::estimate::vllm::Startup>,
    /// llama.cpp's ggml backend (`--backend`, else from the GPUs).
    pub backend: crate::plan::placement::Backend,
    /// Which limit each GPU's usable memory is (Metal's working set on a Mac).
    pub memory_limit: String,
    /// The llama.cpp placement the user fixed and its verdict; `None` when
    /// the split was searched.
    pub fixed_placement: Option<FixedVerdict>,
    /// How fast the plan runs (`None` when it does not fit — each way out
    /// carries its speed — or a used GPU is not a catalog card, whose
    /// bandwidth is unknown).
    pub speed: Option<crate::plan::speed::Speed>,
    pub warnings: Vec<String>,
    #[serde(skip)]
    pub plan: Plan,
}

/// How the placement the user fixed (`-ngl`, `-ts`, `-sm`, `-mg`) fares.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FixedVerdict {
    /// The flags as evaluated, e.g. `-ngl 20 -ts 3,1`.
    pub flags: String,
    pub fits: bool,
    /// Each GPU over its limit: `(index, name, bytes over)`.
    pub over: Vec<(usize, String, u64)>,
    /// The searched split's flags, when it fits (what would work instead).
    pub instead: Option<String>,
    /// `instead` as a way out the app can apply.
    #[serde(skip)]
    pub way: Option<WayOut>,
}

/// The verdict on a fixed placement, with the searched split as the
/// suggestion when it does not fit.
fn fixed_verdict(v: &Validated, fixed_plan: &Plan) -> Option<FixedVerdict> {
    let fixed = fixed_plan.fixed.as_ref()?;
    let n_layer = fixed_plan.estimate.layer_weights.len();
    let mut flags = vec![format!(
        "-ngl {}",
        fixed.n_gpu_layers.unwrap_or(n_layer + 1)
    )];
    if fixed.split_mode != crate::plan::placement::SplitMode::Layer {
        flags.push(format!("-sm {}", fixed.split_mode.id()));
    }
    if !fixed.tensor_split.is_empty() {
        let ts: Vec<String> = fixed.tensor_split.iter().map(|x| x.to_string()).collect();
        flags.push(format!("-ts {}", ts.join(",")));
    }
    if fixed.split_mode == crate::plan::placement::SplitMode::None {
        flags.push(format!("-mg {}", fixed.main_gpu));
    }
    if let Some(k) = fixed.n_cpu_moe {
        flags.push(format!("--n-cpu-moe {k}"));
    }
    let over = fixed_plan
        .devices
        .iter()
        .filter(|d| d.shortfall_bytes() > 0)
        .map(|d| (d.index, d.name.clone(), d.shortfall_bytes()))
        .collect();
    let instead = (!fixed_plan.fits)
        .then(|| {
            let searched = plan(PlanRequest {
                fixed: None,
                ..v.plan_request()
            });
            searched.fits.then(|| {
                let (ngl, ts) = crate::launch::llama_cpp::split_flags(&searched);
                let flags = match &ts {
                    Some(ts) => format!("-ngl {ngl} -ts {ts}"),
                    None => format!("-ngl {ngl}"),
                };
                let way = WayOut {
                    label: format!("Use the searched split: {flags}"),
                    changes: vec![
                        ("ngl".to_string(), ngl.to_string()),
                        ("tensor_split".to_string(), ts.unwrap_or_default()),
                        ("split_mode".to_string(), String::new()),
                        ("n_cpu_moe".to_string(), String::new()),
                    ],
                    fits: true,
                    peak_utilisation: searched.peak_utilisation(),
                    decode_tokens_per_s: ways::decode_speed(v, &searched),
                };
                (flags, way)
            })
        })
        .flatten();
    let (instead, way) = instead.unzip();
    Some(FixedVerdict {
        flags: flags.join(" "),
        fits: fixed_plan.fits,
        over,
        instead,
        way,
    })
}

/// The plan at the objective's operating point.
fn objective_plan(v: &Validated, max_context: Option<u64>, max_batch: Option<u64>) -> Plan {
    let request = v.plan_request();
    let settings = match v.objective {
        Objective::MaxContext => RunSettings {
            n_ctx: max_context.unwrap_or(v.settings.n_ctx),
            ..v.settings
        },
        Objective::MaxBatch => RunSettings {
            n_seq: max_batch.unwrap_or(v.settings.n_seq),
            ..v.settings
        },
        Objective::MinUtilisation | Objective::Fastest => v.settings,
    };
    let searched = plan(PlanRequest {
        settings,
        ..request
    });
    if v.objective == Objective::Fastest && request.fixed.is_none_or(|f| !f.is_fixed()) {
        return fastest_plan(v, searched);
    }
    searched
}

/// The sweep where nothing runs at any context (vLLM refusing to start).
fn no_sweep() -> Vec<SweepRow> {
    crate::plan::search::SWEEP_BATCHES
        .iter()
        .map(|&batch| SweepRow {
            batch,
            max_context: None,
            decode_tokens_per_s_total: None,
        })
        .collect()
}

/// Validates `request` and derives the report.
pub fn report(request: &Request) -> Result<Report, InputError> {
    let v = validate(request)?;
    let r = v.plan_request();
    let requested = plan(r);
    // vLLM refusing to start on every GPU (less free than its budget) runs
    // nothing at any context: no limits to search.
    let refused = v.vllm_refused_everywhere();
    let (max_context, max_batch) = if refused {
        (None, None)
    } else {
        (max_context(&r), max_batch(&r))
    };
    let plan = if requested.fits {
        objective_plan(&v, max_context, max_batch)
    } else {
        requested.clone()
    };
    let mut warnings = v.warnings.clone();
    warnings.extend(plan.estimate.warnings.iter().cloned());
    let fixed_placement = fixed_verdict(&v, &requested);
    if let Some(f) = fixed_placement.as_ref().filter(|f| !f.fits) {
        let over: Vec<String> = f
            .over
            .iter()
            .map(|(i, name, bytes)| {
                let gpu = if name.starts_with("GPU") {
                    name.clone()
                } else {
                    format!("GPU {i} ({name})")
                };
                format!("{gpu} is {} over", crate::units::gib(*bytes))
            })
            .collect();
        let over = if over.is_empty() {
            "host memory is short".to_string()
        } else {
            over.join(", ")
        };
        let instead = f.instead.as_ref().map_or_else(
            || "no split of these GPUs fits either".to_string(),
            |i| format!("{i} fits (the searched split)"),
        );
        warnings.push(format!(
            "the given placement {} does not fit: {over}; {instead}",
            f.flags
        ));
    }
    let vision_loaded = v.settings.images > 0 || v.settings.engine == Engine::Transformers;
    let encoder_counted = plan.estimate.compute_vision > 0 || v.settings.engine == Engine::Vllm;
    if v.spec.vision.is_some() && vision_loaded && !encoder_counted {
        warnings.push(format!(
            "the vision encoder and projector sit on the first GPU with the embeddings; the encoder's activations for an image are not counted for {} on {} yet",
            v.name,
            v.settings.engine.label()
        ));
    }
    warnings.extend(startup::left_out(&v, &plan));
    if plan.offload.any() {
        warnings
            .push("part of the model runs from host memory: expect much slower generation".into());
    }
    let n_layer = plan.estimate.layer_weights.len().max(1) as f64;
    let split_ratio = plan
        .devices
        .iter()
        .map(|d| d.layer_count() as f64 / n_layer)
        .collect();
    let device_map = device_map(&v.spec, &plan, v.settings.engine);
    let context = LaunchContext {
        plan: &plan,
        spec: &v.spec,
        model_ref: &v.model_ref,
        device_map: &device_map,
    };
    let commands = BTreeMap::from([(
        v.settings.engine.id().to_string(),
        launch::command(&context),
    )]);
    let mut ways = if requested.fits {
        Vec::new()
    } else {
        ways_out(request, &v, &requested, max_context, max_batch)
    };
    if let Some(way) = fixed_placement.as_ref().and_then(|f| f.way.clone()) {
        ways.insert(0, way);
    }
    let source = match (&v.spec.stored, request.config.trim().is_empty()) {
        (Some(stored), _) => stored.source.clone(),
        (None, true) => "catalog".to_string(),
        (None, false) => "config".to_string(),
    };
    let weights_label = v
        .spec
        .stored
        .as_ref()
        .map_or_else(|| v.settings.weights.label(), |s| s.label.clone());
    // A plan that does not fit runs at no speed: its ways out carry theirs.
    let speed = plan
        .fits
        .then(|| crate::plan::speed::plan_speed(&v.spec, &plan, &v.gpus, v.backend, &v.host))
        .flatten();
    Ok(Report {
        speed,
        model: v.name.clone(),
        source,
        engine: v.settings.engine,
        objective: v.objective,
        params: v.spec.params(),
        fits: requested.fits,
        weights_bytes: plan.estimate.weights_total(),
        file_bytes: plan.estimate.weights.file,
        kv_bytes: plan.estimate.kv_total(),
        state_bytes: plan.estimate.state_total(),
        vision_bytes: plan.estimate.weights.vision,
        vision_compute_bytes: plan.estimate.compute_vision,
        image_tokens: v
            .spec
            .vision
            .as_ref()
            .map_or(0, |vision| vision.tokens.max_per_image()),
        images: v.settings.images,
        shortfall_bytes: requested.shortfall_bytes,
        host_bytes: plan.host_bytes,
        host: plan.host,
        weights_by_type: plan.estimate.weights.by_type.clone(),
        layout: plan.layout,
        offload: plan.offload,
        devices: plan.devices.clone(),
        n_ctx: plan.settings.n_ctx,
        n_seq: plan.settings.n_seq,
        max_context,
        max_batch,
        sweep: sweep_with_speed(&v, &plan, if refused { no_sweep() } else { sweep(&r) }),
        split_ratio,
        device_map,
        commands,
        ways_out: ways,
        weights_label,
        overhead_basis: if request.overhead.trim().is_empty() {
            format!(
                "{} per GPU: {}",
                crate::units::gib(v.settings.overhead_per_gpu),
                default_overhead(v.settings.engine).1
            )
        } else {
            format!("{} per GPU, as given", request.overhead.trim())
        },
        vllm: requested.vllm.clone(),
        backend: v.backend,
        memory_limit: v.memory_limit.clone(),
        fixed_placement,
        warnings,
        plan,
    })
}

#[cfg(test)]
mod tests;
