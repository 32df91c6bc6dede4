//! llama.cpp / llama-server / Ollama server load logs → what they say: the
//! GGUF metadata the loader printed, the hyperparameters, the context
//! settings, the devices, every buffer llama.cpp allocated (model, KV,
//! compute, output, recurrent state) per device, and the allocation errors.
//!
//! Every era's prefixes are read (`llm_load_tensors:` / `load_tensors:`,
//! `llama_new_context_with_model:` / `llama_init_from_model:` /
//! `llama_context:` / `sched_reserve:`, `llama_kv_cache_init:` / `init:` /
//! `llama_kv_cache_unified:` / `llama_kv_cache:`), wherever they sit in the
//! line: after a journald prefix (`Sep 26 10:35:59 ollama[6664]: `), a
//! llama-server timestamp (`0.00.618.526 I `) or inside prose. Ollama's own
//! `time=… level=… msg=…` lines (its offload estimate, the runner's command
//! line, the new engine's `model weights` / `kv cache` / `compute graph`
//! sizes) are read as logfmt. A command line in the log (llama-server's,
//! Ollama's runner's) is split by [`super::words`], the shell reader the
//! other pasted-text readers share.
//!
//! Parsing is hand-written over `str` methods rather than with `regex`: the
//! formats are a handful of fixed shapes, the crate has no regex dependency
//! (it would add ~1 MB to the wasm page), and explicit code keeps every
//! step total. Nothing here indexes or unwraps on input; the input, each
//! line and every list kept are capped ([`MAX_INPUT_BYTES`], [`MAX_LINES`],
//! [`MAX_LINE_BYTES`], [`MAX_KEPT`]). A line with a llama.cpp prefix that
//! no rule understood is counted in [`LlamaLog::unrecognised`]; lines
//! without one (prompts, shell output) are ignored.
//!
//! [`model_document`] turns the log's model description into the config a
//! GGUF file's header would give ([`super::file`]'s `metadata_config`).

use serde::{Serialize, Serializer};
use serde_json::{json, Value as Json};

use crate::estimate::format::GgufFtype;
use crate::import::config::parse_config;
use crate::import::file::ImportError;
use crate::import::gguf::{GgufHeader, Value};
use crate::import::words::split_commands;

mod model;
mod pieces;
#[cfg(test)]
mod tests;

pub use model::{ftype_of_name, model_document, LogModel};
use pieces::*;

/// Bytes of input read; the rest is ignored (`truncated`).
pub const MAX_INPUT_BYTES: usize = 1 << 20;
/// Lines read at most.
pub const MAX_LINES: usize = 200_000;
/// Bytes of one line looked at (a chat template dump can be longer).
pub const MAX_LINE_BYTES: usize = 4096;
/// Entries kept per list (metadata, buffers, overrides, errors…).
pub const MAX_KEPT: usize = 4096;
/// Unrecognised lines kept as samples.
const SAMPLES: usize = 8;

/// Which program wrote the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tool {
    LlamaCpp,
    Ollama,
}

/// `build: 6688 (898acba6)` / `version: 6688 (898acba6)`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Build {
    pub number: Option<u64>,
    pub commit: Option<String>,
}

/// What a buffer holds, in llama.cpp's words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BufferKind {
    /// Weights (`model buffer`, or the bare `buffer size` of
    /// `llm_load_tensors`).
    Model,
    /// The KV cache (`KV buffer`).
    Kv,
    /// The scheduler's compute graph (`compute buffer`).
    Compute,
    /// Logits and embeddings (`output buffer`).
    Output,
    /// Old builds' input buffer (`input buffer`).
    Input,
    /// Recurrent state (`RS buffer`, `llama_memory_recurrent`).
    Rs,
}

/// One allocation the log reports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Buffer {
    pub kind: BufferKind,
    /// The buffer type as logged: `CUDA0`, `CUDA_Host`, `CPU_Mapped`,
    /// `CPU_REPACK`, `Metal`, `MTL0`, `Vulkan0`, `ROCm1`, `RPC[host:port]`.
    pub device: String,
    /// The MiB printed × 2^20, rounded (so within 0.005 MiB).
    pub bytes: u64,
    /// A KV buffer of an iSWA model's sliding-window cache.
    pub swa: bool,
}

/// A KV or recurrent cache's summary line (`KV self size = …`,
/// `llama_kv_cache: size = … ( 4096 cells, 40 layers, 1/1 seqs), K (f16): …`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CacheSummary {
    pub bytes: u64,
    pub cells: Option<u64>,
    pub layers: Option<u64>,
    pub type_k: Option<String>,
    pub k_bytes: Option<u64>,
    pub type_v: Option<String>,
    pub v_bytes: Option<u64>,
    pub swa: bool,
}

/// A device the backend announced.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// `CUDA`, `ROCm`, `Metal`, `Vulkan`, `SYCL`…
    pub backend: String,
    pub index: Option<u32>,
    pub name: String,
    pub free_bytes: Option<u64>,
    pub total_bytes: Option<u64>,
}

/// The run's settings, from the log's lines, else from the command line it
/// quotes. Every field is absent when neither says.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Settings {
    pub n_ctx: Option<u64>,
    /// `n_ctx_per_seq` (`n_ctx_seq` in newer builds).
    pub n_ctx_per_seq: Option<u64>,
    pub n_batch: Option<u64>,
    pub n_ubatch: Option<u64>,
    pub n_seq_max: Option<u64>,
    /// Resolved: `auto` counts only once the log says what it became.
    pub flash_attn: Option<bool>,
    /// `flash_attn = auto` (or `-fa auto`) was asked for.
    pub flash_attn_auto: bool,
    pub causal_attn: Option<bool>,
    pub kv_unified: Option<bool>,
    pub type_k: Option<String>,
    pub type_v: Option<String>,
    pub swa_full: Option<bool>,
    /// `offloaded 33/33 layers to GPU` → (33, 33).
    pub offload: Option<(u64, u64)>,
    /// `pipeline parallelism enabled (n_copies=4)`.
    pub n_copies: Option<u64>,
    pub graph_nodes: Option<u64>,
    pub graph_splits: Option<u64>,
    /// `(tensor, buffer type)` of each `buffer type overridden to …` line.
    pub tensor_overrides: Vec<(String, String)>,
    /// From the command line (`-ngl`, Ollama's `--n-gpu-layers`).
    pub n_gpu_layers: Option<i64>,
    pub tensor_split: Option<Vec<f64>>,
    pub split_mode: Option<String>,
    pub main_gpu: Option<u64>,
    pub model_path: Option<String>,
    pub mmproj: Option<String>,
    pub n_cpu_moe: Option<u64>,
    /// `-ot` patterns as given.
    pub override_tensor: Vec<String>,
    pub no_mmap: Option<bool>,
    pub no_kv_offload: Option<bool>,
    /// Context `key = value` lines not mapped above (`freq_base`…).
    pub other: Vec<(String, String)>,
}

/// A command line the log quotes (llama-server's, or Ollama's runner's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Command {
    pub program: String,
    /// Flags in order, each with the value that followed it (if any).
    pub flags: Vec<(String, Option<String>)>,
}

/// Ollama's `msg="offload to cuda"` estimate.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OllamaOffload {
    pub library: Option<String>,
    pub layers_requested: Option<i64>,
    pub layers_model: Option<u64>,
    pub layers_offload: Option<u64>,
    pub layers_split: Vec<u64>,
    /// `memory.*` fields in bytes (`memory.available` and
    /// `memory.required.allocations` list one size per GPU).
    pub memory: Vec<(String, Vec<u64>)>,
}

/// Lines with a llama.cpp prefix that no rule understood.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Unrecognised {
    pub count: usize,
    pub samples: Vec<String>,
}

/// Everything read from one log. Sizes are bytes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlamaLog {
    pub tool: Tool,
    pub build: Option<Build>,
    /// The loader's GGUF key/values as printed (long arrays keep their
    /// length; strings as printed, possibly cut with `...`).
    #[serde(serialize_with = "metadata_json")]
    pub metadata: Vec<(String, Value)>,
    /// `- type q4_K: 193 tensors`.
    pub tensor_types: Vec<(String, u64)>,
    /// `print_info:` / `llm_load_print_meta:` lines, key and value as printed.
    pub hparams: Vec<(String, String)>,
    pub settings: Settings,
    pub command: Option<Command>,
    pub devices: Vec<Device>,
    pub buffers: Vec<Buffer>,
    pub caches: Vec<CacheSummary>,
    /// `layer 35: n_embd_k_gqa = 256, n_embd_v_gqa = 256`: a cached
    /// layer's index and its K and V widths (old builds' debug lines).
    pub kv_widths: Vec<(u64, u64, u64)>,
    pub ollama: Option<OllamaOffload>,
    /// Allocation failures and out-of-memory lines, verbatim.
    pub errors: Vec<String>,
    pub unrecognised: Unrecognised,
    /// The input was longer than [`MAX_INPUT_BYTES`] or [`MAX_LINES`].
    pub truncated: bool,
}

impl LlamaLog {
    /// A `print_info:` / `llm_load_print_meta:` value by key, as printed.
    pub fn hparam(&self, key: &str) -> Option<&str> {
        self.hparams
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn metadata_json<S: Serializer>(meta: &[(String, Value)], s: S) -> Result<S::Ok, S::Error> {
    fn value(v: &Value) -> Json {
        match v {
            Value::Uint(n) => json!(n),
            Value::Int(n) => json!(n),
            Value::Float(f) => json!(f),
            Value::Bool(b) => json!(b),
            Value::Str(t) => json!(t),
            Value::Array { len, items } => {
                json!({"len": len, "items": items.iter().map(value).collect::<Vec<_>>()})
            }
        }
    }
    let map: serde_json::Map<String, Json> =
        meta.iter().map(|(k, v)| (k.clone(), value(v))).collect();
    map.serialize(s)
}

/// The prefixes (`tag:`) of llama.cpp's log lines that are read. Others
/// that look like llama.cpp's (`llama_*`, `llm_*`, `ggml_*`…) count as
/// llama.cpp lines too.
const TAGS: &[&str] = &[
    "llama_model_loader",
    "llm_load_print_meta",
    "print_info",
    "llm_load_tensors",
    "load_tensors",
    "llama_new_context_with_model",
    "llama_init_from_model",
    "llama_context",
    "sched_reserve",
    "graph_reserve",
    "llama_kv_cache_init",
    "llama_kv_cache",
    "llama_kv_cache_unified",
    "llama_kv_cache_iswa",
    "llama_kv_cache_unified_iswa",
    "llama_memory_recurrent",
    "init",
    "build",
    "version",
    "main",
    "generate",
    "system_info",
    "common_init_from_params",
    "llm_load_vocab",
    "load",
];

const TAG_FAMILIES: &[&str] = &["llama_", "llm_", "ggml_", "gguf_", "~llama_", "clip_"];

/// Parses a load log. Total: any text gives a result.
pub fn parse(text: &str) -> LlamaLog {
    let mut p = Parser::default();
    let mut truncated = text.len() > MAX_INPUT_BYTES;
    let text = cut(text, MAX_INPUT_BYTES);
    for (i, line) in text.lines().enumerate() {
        if i >= MAX_LINES {
            truncated = true;
            break;
        }
        p.line(cut(line, MAX_LINE_BYTES));
    }
    p.finish(truncated)
}

/// `s` cut to at most `max` bytes at a char boundary.
fn cut(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while end > 0 && !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or("")
}

#[derive(Default)]
struct Parser {
    ollama: bool,
    build: Option<Build>,
    metadata: Vec<(String, Value)>,
    tensor_types: Vec<(String, u64)>,
    hparams: Vec<(String, String)>,
    settings: Settings,
    command: Option<Command>,
    devices: Vec<Device>,
    /// The backend of the last `found N … devices` line.
    announced: Option<String>,
    buffers: Vec<Buffer>,
    caches: Vec<CacheSummary>,
    kv_widths: Vec<(u64, u64, u64)>,
    offload: Option<OllamaOffload>,
    errors: Vec<String>,
    unrecognised: Unrecognised,
    /// Inside an iSWA model's sliding-window cache section.
    in_swa: bool,
}

fn push<T>(list: &mut Vec<T>, item: T) {
    if list.len() < MAX_KEPT {
        list.push(item);
    }
}

impl Parser {
    fn line(&mut self, line: &str) {
        let trimmed = line.trim();
        if trimmed.is_empty() {
            return;
        }
        if is_error(trimmed) {
            push(&mut self.errors, trimmed.to_string());
        }
        if trimmed.contains("level=") && trimmed.contains("msg=") {
            self.ollama = true;
            self.logfmt(trimmed);
            return;
        }
        let understood = match find_tag(trimmed) {
            Some((tag, rest)) => self.tagged(tag, rest.trim()),
            None => {
                self.untagged(trimmed);
                return;
            }
        };
        if !understood && !is_error(trimmed) {
            self.unrecognised.count += 1;
            if self.unrecognised.samples.len() < SAMPLES {
                self.unrecognised
                    .samples
                    .push(cut(trimmed, 200).to_string());
            }
        }
    }

    /// Lines without a llama.cpp prefix: CUDA device lines, old tensor
    /// overrides, buffer sizes quoted in prose, command lines.
    fn untagged(&mut self, line: &str) {
        if let Some((_, rest)) = line.split_once("Device ") {
            self.device_line(rest);
        } else if line.contains("buffer type overrid") {
            self.tensor_override(line);
        } else if line.contains(" buffer size") {
            self.buffers_in(line, None);
        } else {
            self.command_line(line);
        }
    }

    /// A line whose llama.cpp prefix is `tag`; `rest` is what follows it.
    /// Whether it was understood.
    fn tagged(&mut self, tag: &str, rest: &str) -> bool {
        match tag {
            "llama_model_loader" => return self.loader(rest),
            "llm_load_print_meta" | "print_info" => {
                if let Some((k, v)) = rest.split_once(" = ").or_else(|| rest.split_once('=')) {
                    let (k, v) = (k.trim(), v.trim());
                    if !k.is_empty() && k.len() < 64 {
                        push(&mut self.hparams, (k.to_string(), v.to_string()));
                        return true;
                    }
                }
                return informational(rest);
            }
            "build" | "version" => {
                self.build = build(rest).or(self.build.take());
                return self.build.is_some();
            }
            "ggml_cuda_init" | "ggml_init_cublas" => return self.found_devices(rest),
            "ggml_metal_init" => return self.metal(rest),
            "ggml_vulkan" => return self.vulkan(rest),
            _ => {}
        }
        if tag.starts_with("llama_model_load")
            || tag == "llama_load_model_from_file"
            || tag == "llama_model_load_from_file_impl"
        {
            if let Some(d) = rest.strip_prefix("using device ") {
                return self.using_device(d);
            }
        }
        if rest.contains("buffer type overrid") {
            self.tensor_override(rest);
            return true;
        }
        if rest.contains(" buffer size") || rest.contains("buffer size =") {
            let before = self.buffers.len();
            self.buffers_in(rest, Some(tag));
            if self.buffers.len() > before {
                return true;
            }
        }
        self.context(tag, rest) || informational(rest)
    }

    fn finish(mut self, truncated: bool) -> LlamaLog {
        let s = &mut self.settings;
        // The KV cache's cells are the context (padded) when no line says
        // `n_ctx`: excerpts often start at the cache.
        if s.n_ctx.is_none() {
            s.n_ctx = self.caches.iter().find(|c| !c.swa).and_then(|c| c.cells);
        }
        if let Some(cmd) = &self.command {
            apply_command(s, cmd);
        }
        if let Some(o) = &self.offload {
            if s.offload.is_none() {
                if let (Some(n), Some(total)) = (o.layers_offload, o.layers_model) {
                    s.offload = Some((n, total));
                }
            }
        }
        LlamaLog {
            tool: if self.ollama {
                Tool::Ollama
            } else {
                Tool::LlamaCpp
            },
            build: self.build,
            metadata: self.metadata,
            tensor_types: self.tensor_types,
            hparams: self.hparams,
            settings: self.settings,
            command: self.command,
            devices: self.devices,
            buffers: self.buffers,
            caches: self.caches,
            kv_widths: self.kv_widths,
            ollama: self.offload,
            errors: self.errors,
            unrecognised: self.unrecognised,
            truncated,
        }
    }

    // ---- the model loader ------------------------------------------------

    fn loader(&mut self, rest: &str) -> bool {
        if let Some(kv) = rest.strip_prefix("- kv") {
            // `- kv  22:   gpt-oss.expert_feed_forward_length u32   = 2880`
            let Some((_, entry)) = kv.split_once(':') else {
                return false;
            };
            let Some((lhs, value)) = entry.split_once(" = ").or_else(|| entry.split_once('='))
            else {
                return false;
            };
            let mut words = lhs.split_whitespace();
            let (Some(key), Some(ty)) = (words.next(), words.next()) else {
                return false;
            };
            match metadata_value(ty, value.trim()) {
                Some(v) => {
                    push(&mut self.metadata, (key.to_string(), v));
                    true
                }
                None => false,
            }
        } else if let Some(t) = rest.strip_prefix("- type") {
            // `- type q4_K:  193 tensors`
            let Some((ty, n)) = t.split_once(':') else {
                return false;
            };
            let n = n.trim().trim_end_matches("tensors").trim();
            match n.parse() {
                Ok(n) => {
                    push(&mut self.tensor_types, (ty.trim().to_string(), n));
                    true
                }
                Err(_) => false,
            }
        } else if let Some(t) = rest.strip_prefix("loaded meta data with ") {
            if let Some((_, path)) = t.split_once(" tensors from ") {
                let path = path.split(" (version").next().unwrap_or(path).trim();
                if self.settings.model_path.is_none() && !path.is_empty() {
                    self.settings.model_path = Some(path.to_string());
                }
            }
            true
        } else {
            rest.starts_with("- tensor")
                || rest.starts_with("Dumping metadata")
                || rest.starts_with("file ")
                || informational(rest)
        }
    }

    // ---- devices ---------------------------------------------------------

    /// `found 2 CUDA devices:` (`ROCm devices` on HIP builds).
    fn found_devices(&mut self, rest: &str) -> bool {
        if let Some(t) = rest.strip_prefix("found ") {
            let mut w = t.split_whitespace();
            w.next();
            if let Some(b) = w.next() {
                self.announced = Some(b.to_string());
            }
            return true;
        }
        rest.starts_with("GGML_") || rest.starts_with("CUDA_")
    }

    /// `0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes`, or
    /// on ROCm `0: AMD Radeon RX 7900 XTX, gfx1100 (0x1100), VMM: no, …`.
    fn device_line(&mut self, rest: &str) {
        let Some((index, desc)) = rest.split_once(':') else {
            return;
        };
        let Ok(index) = index.trim().parse::<u32>() else {
            return;
        };
        let mut fields = desc.split(',');
        let name = fields.next().unwrap_or("").trim();
        let second = fields.next().unwrap_or("").trim();
        let backend = if second.starts_with("gfx") {
            "ROCm".to_string()
        } else {
            match self.announced.as_deref() {
                Some("ROCm") | Some("HIP") => "ROCm".into(),
                Some("SYCL") => "SYCL".into(),
                _ => "CUDA".into(),
            }
        };
        self.device(&backend, Some(index), name, None, None);
    }

    fn device(
        &mut self,
        backend: &str,
        index: Option<u32>,
        name: &str,
        free: Option<u64>,
        total: Option<u64>,
    ) {
        if let Some(d) = self
            .devices
            .iter_mut()
            .find(|d| d.backend == backend && d.index == index)
        {
            if d.name.is_empty() {
                d.name = name.to_string();
            }
            d.free_bytes = free.or(d.free_bytes);
            d.total_bytes = total.or(d.total_bytes);
            return;
        }
        push(
            &mut self.devices,
            Device {
                backend: backend.to_string(),
                index,
                name: name.to_string(),
                free_bytes: free,
                total_bytes: total,
            },
        );
    }

    /// `CUDA0 (NVIDIA GeForce GTX 1070) - 7828 MiB free`.
    fn using_device(&mut self, rest: &str) -> bool {
        let Some((label, after)) = rest.split_once(' ') else {
            return false;
        };
        let (backend, index) = split_label(label);
        let name = after
            .strip_prefix('(')
            .and_then(|a| a.split_once(") ").or_else(|| a.rsplit_once(')')))
            .map_or("", |(n, _)| n);
        let free = after
            .rsplit_once(" - ")
            .and_then(|(_, f)| f.strip_suffix(" free"))
            .and_then(size);
        self.device(&backend, index, name, free, None);
        true
    }

    fn metal(&mut self, rest: &str) -> bool {
        if let Some(name) = rest.strip_prefix("found device:") {
            self.device("Metal", Some(0), name.trim(), None, None);
            return true;
        }
        if let Some(v) = rest.strip_prefix("recommendedMaxWorkingSetSize") {
            let total = v.trim_start().strip_prefix('=').and_then(size);
            self.device("Metal", Some(0), "", None, total);
            return total.is_some();
        }
        true
    }

    /// `0 = AMD Radeon Graphics (RADV VEGA20) (radv) | uma: 0 | fp16: 1 | …`.
    fn vulkan(&mut self, rest: &str) -> bool {
        if let Some((index, desc)) = rest.split_once(" = ") {
            if let Ok(index) = index.trim().parse::<u32>() {
                let name = desc.split(" | ").next().unwrap_or("").trim();
                self.device("Vulkan", Some(index), name, None, None);
                return true;
            }
        }
        rest.starts_with("Found ") || is_error(rest) || rest.starts_with("Device memory")
    }

    // ---- buffers ---------------------------------------------------------

    /// Every `<device> [<kind>] buffer size = <n> MiB` in `text`.
    fn buffers_in(&mut self, text: &str, tag: Option<&str>) {
        let mut rest = text;
        while let Some(at) = rest.find("buffer size") {
            let (before, after) = (rest.get(..at).unwrap_or(""), rest.get(at..).unwrap_or(""));
            rest = after.get("buffer size".len()..).unwrap_or("");
            let value = rest.trim_start();
            let Some(value) = value.strip_prefix('=') else {
                continue;
            };
            if let Some(bytes) = size(value) {
                self.buffer_before(before, tag, bytes);
            }
        }
    }

    fn buffer_before(&mut self, before: &str, tag: Option<&str>, bytes: u64) {
        let mut words = before.split_whitespace().rev();
        let Some(last) = words.next() else {
            return;
        };
        let kind = match last {
            "model" => Some(BufferKind::Model),
            "KV" => Some(BufferKind::Kv),
            "compute" => Some(BufferKind::Compute),
            "output" => Some(BufferKind::Output),
            "input" => Some(BufferKind::Input),
            "RS" => Some(BufferKind::Rs),
            _ => None,
        };
        let (kind, device) = match kind {
            Some(k) => (k, words.next()),
            None => {
                let k = match tag {
                    Some("llm_load_tensors" | "load_tensors") => BufferKind::Model,
                    Some(t) if t.contains("kv_cache") => BufferKind::Kv,
                    _ => return,
                };
                (k, Some(last))
            }
        };
        let Some(device) = device else {
            return;
        };
        let device = device.trim_start_matches(['`', '\'', '"', '(']);
        if device.is_empty()
            || !device
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_[]:.-".contains(c))
        {
            return;
        }
        let swa = kind == BufferKind::Kv && self.in_swa;
        push(
            &mut self.buffers,
            Buffer {
                kind,
                device: device.to_string(),
                bytes,
                swa,
            },
        );
    }

    /// `Tensor blk.82.ffn_gate_exps.weight buffer type overriden to CPU`,
    /// `tensor blk.3.ffn_up_exps.weight (134 MiB q4_K) buffer type overridden to CUDA_Host`.
    fn tensor_override(&mut self, text: &str) {
        let Some((_, rest)) = text.split_once("ensor ") else {
            return;
        };
        let name = rest.split_whitespace().next().unwrap_or("");
        let to = rest
            .rsplit_once(" to ")
            .map_or("", |(_, b)| b.trim().trim_end_matches('.'));
        if !name.is_empty() {
            push(
                &mut self.settings.tensor_overrides,
                (name.to_string(), to.to_string()),
            );
        }
    }

    // ---- context ---------------------------------------------------------

    fn context(&mut self, tag: &str, rest: &str) -> bool {
        let s = &mut self.settings;
        if let Some(t) = rest
            .strip_prefix("KV self size")
            .and_then(|t| t.trim_start().strip_prefix('='))
        {
            return self.cache_summary(t);
        }
        if tag == "llama_memory_recurrent" {
            // The recurrent state's summary: its buffers are the RS lines.
            return rest.starts_with("size");
        }
        if let Some(t) = rest.strip_prefix("size =") {
            return self.cache_summary(t);
        }
        if let Some(t) = rest.strip_prefix("offloaded ") {
            let (n, total) = t.split_once('/').unwrap_or(("", ""));
            let total = total.split_whitespace().next().unwrap_or("");
            if let (Ok(n), Ok(total)) = (n.trim().parse(), total.parse()) {
                s.offload = Some((n, total));
                return true;
            }
            return false;
        }
        if let Some((layer, widths)) = rest.strip_prefix("layer ").and_then(|t| t.split_once(':')) {
            // `layer 35: n_embd_k_gqa = 256, n_embd_v_gqa = 256`.
            let width = |key: &str| {
                widths
                    .split(',')
                    .filter_map(|p| p.split_once('='))
                    .find(|(k, _)| k.trim() == key)
                    .and_then(|(_, v)| v.trim().parse::<u64>().ok())
            };
            let layer = layer.trim().parse::<u64>().ok();
            if let (Some(layer), Some(k), Some(v)) =
                (layer, width("n_embd_k_gqa"), width("n_embd_v_gqa"))
            {
                push(&mut self.kv_widths, (layer, k, v));
                return true;
            }
            return false;
        }
        if let Some(t) = rest.strip_prefix("pipeline parallelism enabled (n_copies=") {
            s.n_copies = t.trim_end_matches(')').trim().parse().ok();
            return s.n_copies.is_some();
        }
        if let Some(t) = rest.strip_prefix("Flash Attention was auto, set to ") {
            s.flash_attn_auto = true;
            s.flash_attn = Some(t.trim().starts_with("enabled"));
            return true;
        }
        if let Some(t) = rest.strip_prefix("creating") {
            // `creating     SWA KV cache, size = 768 cells` / `non-SWA`.
            let t = t.trim_start();
            self.in_swa = t.starts_with("SWA");
            return true;
        }
        if let Some(t) = rest.strip_prefix("graph splits") {
            // `= 98`, `= 524 (with bs=512), 121 (with bs=1)`, `(measure): 5`.
            let v = t.trim_start_matches(|c: char| !c.is_ascii_digit());
            s.graph_splits = leading_u64(v);
            return s.graph_splits.is_some();
        }
        if let Some(t) = rest.strip_prefix("graph nodes") {
            let v = t.trim_start_matches(|c: char| !c.is_ascii_digit());
            s.graph_nodes = leading_u64(v);
            return s.graph_nodes.is_some();
        }
        // `key = value` or `a = 1, b = 'f16', …`.
        if rest.contains(" = ") || rest.contains('=') {
            let pairs: Vec<(&str, &str)> = rest
                .split(", ")
                .filter_map(|p| p.split_once('='))
                .map(|(k, v)| (k.trim(), v.trim()))
                .collect();
            if pairs.is_empty() || pairs.iter().any(|(k, _)| k.is_empty() || k.contains(' ')) {
                return false;
            }
            for (k, v) in pairs {
                self.setting(k, v);
            }
            return true;
        }
        false
    }

    fn setting(&mut self, key: &str, value: &str) {
        let s = &mut self.settings;
        let v = value.trim_matches('\'');
        let n = || v.parse::<u64>().ok();
        let flag = || match v {
            "1" | "true" | "enabled" | "on" => Some(true),
            "0" | "false" | "disabled" | "off" => Some(false),
            _ => None,
        };
        match key {
            "n_ctx" => s.n_ctx = n().or(s.n_ctx),
            // The cache's cells: the context when nothing else says.
            "kv_size" | "n_kv_max" => s.n_ctx = s.n_ctx.or(n()),
            "n_ctx_per_seq" | "n_ctx_seq" => s.n_ctx_per_seq = n(),
            "n_batch" => s.n_batch = n(),
            "n_ubatch" => s.n_ubatch = n(),
            "n_seq_max" => s.n_seq_max = n(),
            "flash_attn" => {
                if v == "auto" {
                    s.flash_attn_auto = true;
                } else {
                    s.flash_attn = flag();
                }
            }
            "causal_attn" => s.causal_attn = flag(),
            "kv_unified" => s.kv_unified = flag(),
            "swa_full" => s.swa_full = flag(),
            "type_k" => s.type_k = Some(v.to_string()),
            "type_v" => s.type_v = Some(v.to_string()),
            "n_gpu_layers" => s.n_gpu_layers = v.parse().ok(),
            _ => push(&mut s.other, (key.to_string(), value.to_string())),
        }
    }

    /// `5120.00 MiB, K (f16): 2560.00 MiB, V (f16): 2560.00 MiB`, or
    /// `640.00 MiB (  4096 cells,  40 layers,  1/1 seqs), K (f16): …`.
    fn cache_summary(&mut self, text: &str) -> bool {
        let (total, tail) = match text.split_once(" MiB") {
            Some((t, tail)) => (t, tail),
            None => return false,
        };
        let Some(bytes) = size(&format!("{total} MiB")) else {
            return false;
        };
        let mut c = CacheSummary {
            bytes,
            cells: None,
            layers: None,
            type_k: None,
            k_bytes: None,
            type_v: None,
            v_bytes: None,
            swa: self.in_swa,
        };
        if let Some(inner) = tail.trim_start().strip_prefix('(') {
            let inner = inner.split(')').next().unwrap_or("");
            for part in inner.split(',') {
                let mut w = part.split_whitespace();
                let (Some(n), Some(what)) = (w.next(), w.next()) else {
                    continue;
                };
                match what {
                    "cells" => c.cells = n.parse().ok(),
                    "layers" => c.layers = n.parse().ok(),
                    _ => {}
                }
            }
        }
        // `K (f16): 2560.00 MiB` — and also `c^KV (f16)` of ik_llama's MLA.
        // Past the `(cells, layers, seqs)` group.
        let mut rest = match tail.trim_start().strip_prefix('(') {
            Some(t) => t.split_once(')').map_or("", |(_, r)| r),
            None => tail,
        };
        while let Some(open) = rest.find(" (") {
            let name = rest.get(..open).unwrap_or("");
            let name = name.rsplit([' ', ',']).next().unwrap_or("");
            let after = rest.get(open + 2..).unwrap_or("");
            let Some((ty, value)) = after.split_once("):") else {
                break;
            };
            let b = size(
                value
                    .split(" MiB")
                    .next()
                    .map(|v| format!("{v} MiB"))
                    .as_deref()
                    .unwrap_or(""),
            );
            match name {
                "K" | "c^KV" => {
                    c.type_k = Some(ty.to_string());
                    c.k_bytes = b;
                }
                "V" => {
                    c.type_v = Some(ty.to_string());
                    c.v_bytes = b;
                }
                _ => {}
            }
            rest = value;
        }
        let s = &mut self.settings;
        if s.type_k.is_none() {
            s.type_k.clone_from(&c.type_k);
        }
        if s.type_v.is_none() {
            s.type_v.clone_from(&c.type_v);
        }
        push(&mut self.caches, c);
        true
    }

    // ---- command lines ---------------------------------------------------

    fn command_line(&mut self, line: &str) {
        // The command that runs llama.cpp (`cd /models && ./llama-server …`).
        let commands = split_commands(line);
        let Some((words, at)) = commands
            .iter()
            .find_map(|words| Some((words, words.iter().position(|w| is_program(w))?)))
        else {
            return;
        };
        let (program, args) = match (words.get(at), words.get(at + 1..)) {
            (Some(p), Some(a)) => (p, a),
            _ => return,
        };
        if !args.iter().any(|a| a.starts_with('-')) {
            return;
        }
        let mut flags: Vec<(String, Option<String>)> = Vec::new();
        let mut i = 0;
        while let Some(a) = args.get(i) {
            i += 1;
            if !a.starts_with('-') || a.len() < 2 {
                continue;
            }
            let (flag, inline) = match a.split_once('=') {
                Some((f, v)) if a.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (a.clone(), None),
            };
            let value = inline.or_else(|| {
                let next = args.get(i)?;
                // `-ngl -1` takes a negative number.
                let negative = next
                    .strip_prefix('-')
                    .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                let is_value = !next.starts_with('-') || negative;
                is_value.then(|| {
                    i += 1;
                    next.clone()
                })
            });
            push(&mut flags, (flag, value));
        }
        // Prose that names a program is not a command line.
        if !flags
            .iter()
            .any(|(f, _)| MEMORY_FLAGS.contains(&f.as_str()))
        {
            return;
        }
        self.command = Some(Command {
            program: program.clone(),
            flags,
        });
    }

    // ---- Ollama ----------------------------------------------------------

    fn logfmt(&mut self, line: &str) {
        let pairs = logfmt_pairs(line);
        let get = |k: &str| {
            pairs
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        let msg = get("msg").unwrap_or("");
        if msg.starts_with("offload to") || msg == "offload" {
            let mut o = OllamaOffload {
                library: get("library")
                    .map(str::to_string)
                    .or_else(|| msg.strip_prefix("offload to ").map(str::to_string)),
                layers_requested: get("layers.requested").and_then(|v| v.parse().ok()),
                layers_model: get("layers.model").and_then(|v| v.parse().ok()),
                layers_offload: get("layers.offload").and_then(|v| v.parse().ok()),
                layers_split: get("layers.split")
                    .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
                    .unwrap_or_default(),
                memory: Vec::new(),
            };
            for (k, v) in &pairs {
                if k.starts_with("memory.") {
                    push(&mut o.memory, (k.clone(), size_list(v)));
                }
            }
            self.offload = Some(o);
        } else if let Some(t) = msg.strip_prefix("offloaded ") {
            // The new engine's `offloaded 41/41 layers to GPU`.
            let (n, total) = t.split_once('/').unwrap_or(("", ""));
            let total = total.split_whitespace().next().unwrap_or("");
            if let (Ok(n), Ok(total)) = (n.parse(), total.parse()) {
                self.settings.offload = Some((n, total));
            }
        } else if msg == "starting llama server" || msg == "starting runner" {
            if let Some(cmd) = get("cmd") {
                self.command_line(cmd);
            }
        } else if let Some(kind) = match msg {
            "model weights" => Some(BufferKind::Model),
            "kv cache" => Some(BufferKind::Kv),
            "compute graph" => Some(BufferKind::Compute),
            _ => None,
        } {
            let device = get("buffer")
                .or(get("buffer_type"))
                .or(get("device"))
                .or(get("backend"));
            if let (Some(device), Some(bytes)) = (device, get("size").and_then(size)) {
                push(
                    &mut self.buffers,
                    Buffer {
                        kind,
                        device: device.to_string(),
                        bytes,
                        swa: false,
                    },
                );
            }
        } else if let Some(cmd) = get("cmd") {
            self.command_line(cmd);
        } else if let Some(arch) = get("architecture").filter(|a| !a.is_empty()) {
            // The new engine's model line (`source=ggml.go`):
            // `architecture=mistral3 file_type=Q8_0 num_tensors=585`.
            if !self
                .metadata
                .iter()
                .any(|(k, _)| k == "general.architecture")
            {
                push(
                    &mut self.metadata,
                    ("general.architecture".into(), Value::Str(arch.to_string())),
                );
            }
            if let Some(t) = get("file_type").filter(|t| !t.is_empty()) {
                if !self.hparams.iter().any(|(k, _)| k == "file type") {
                    push(&mut self.hparams, ("file type".into(), t.to_string()));
                }
            }
        }
    }
}
