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
//! sizes) are read as logfmt.
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

use super::config::parse_config;
use super::file::ImportError;
use super::gguf::{GgufHeader, Value};
use crate::estimate::format::GgufFtype;

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
    pub ollama: Option<OllamaOffload>,
    /// Allocation failures and out-of-memory lines, verbatim.
    pub errors: Vec<String>,
    pub unrecognised: Unrecognised,
    /// The input was longer than [`MAX_INPUT_BYTES`] or [`MAX_LINES`].
    pub truncated: bool,
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
        let words = split_args(line);
        let Some(at) = words.iter().position(|w| is_program(w)) else {
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
        }
    }
}

/// The first `tag:` in `line` that is a llama.cpp prefix, and what follows.
fn find_tag(line: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(at) = line.get(from..)?.find(':') {
        let colon = from + at;
        from = colon + 1;
        let after = line.get(colon + 1..).unwrap_or("");
        if !(after.is_empty() || after.starts_with(' ')) {
            continue;
        }
        let head = line.get(..colon).unwrap_or("");
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '~'))
            .map_or(0, |i| i + 1);
        let tag = head.get(start..).unwrap_or("");
        if TAGS.contains(&tag) || TAG_FAMILIES.iter().any(|f| tag.starts_with(f)) {
            return Some((tag.trim_start_matches('~'), after));
        }
    }
    None
}

/// Known lines that carry nothing read here.
fn informational(rest: &str) -> bool {
    const STARTS: &[&str] = &[
        "loading model tensors",
        "offloading ",
        "tensor '",
        "ggml ctx size",
        "layer ",
        "- layer",
        "constructing",
        "enumerating",
        "backend_ptrs",
        "max_nodes",
        "reserving",
        "worst-case",
        "n_ctx_per_seq (",
        "n_ctx_seq (",
        "LLAMA_SET_ROWS",
        "attn_rot",
        "non-unified KV cache",
        "warming up",
        "setting ",
        "added ",
        "model name",
        "reserve took",
        "realloc",
        "skipping",
        "CPU_REPACK",
        "special tokens",
        "token to piece",
        "n_threads",
        "allocated buffer",
        "picking default device",
        "GPU name",
        "GPU family",
        "simdgroup",
        "has ",
        "use ",
        "loaded kernel",
        "compiling",
        "loading '",
        "allocating",
        "found ",
        "initializing",
        "failed",
        "using ",
        "not ",
        "system info",
        "~",
        "pre-allocating",
        "EOG",
        "BOS",
        "EOS",
        "EOT",
        "LF ",
        "PAD",
        "UNK",
        "SEP",
        "FIM",
        "max token length",
        "llama backend init",
        "load the model",
    ];
    STARTS.iter().any(|s| rest.starts_with(s))
        || rest.is_empty()
        || rest.chars().all(|c| c == '.' || c == ' ')
}

/// Allocation failures and out-of-memory lines.
fn is_error(line: &str) -> bool {
    const MARKS: &[&str] = &[
        "out of memory",
        "failed to allocate",
        "unable to allocate",
        "cudaMalloc failed",
        "ErrorOutOfDeviceMemory",
        "allocation of size",
        "failed to create context",
        "failed to initialize the context",
        "error loading model",
        "OutOfDeviceMemory",
        "hipMalloc failed",
        "failed to load model",
    ];
    MARKS.iter().any(|m| line.contains(m))
}

/// `CUDA0` → (`CUDA`, 0); `Vulkan1` → (`Vulkan`, 1); `MTL0` → (`Metal`, 0).
fn split_label(label: &str) -> (String, Option<u32>) {
    let digits = label
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(label.len(), |(i, _)| i);
    let (name, index) = (
        label.get(..digits).unwrap_or(label),
        label.get(digits..).unwrap_or(""),
    );
    let name = match name {
        "MTL" => "Metal",
        other => other,
    };
    (name.to_string(), index.parse().ok())
}

/// `build: 6688 (898acba6) with cc …` → number and commit.
fn build(rest: &str) -> Option<Build> {
    let mut w = rest.split_whitespace();
    let number = w.next()?.parse().ok();
    let commit = w
        .next()
        .and_then(|c| c.strip_prefix('(')?.strip_suffix(')'))
        .map(str::to_string);
    (number.is_some() || commit.is_some()).then_some(Build { number, commit })
}

/// The first run of digits of `s` as a number.
fn leading_u64(s: &str) -> Option<u64> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.get(..end)?.parse().ok()
}

/// `1276.07 MiB`, `1276,07 MiB` (a decimal comma), `51539.61 MB`,
/// `11.5 GiB`, `0 B` → bytes. MiB/GiB/KiB are powers of two, MB/GB/KB
/// powers of ten; a number without a unit is not a size.
fn size(text: &str) -> Option<u64> {
    let t = text.trim().trim_matches('"').trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (num, unit) = (t.get(..end)?, t.get(end..)?.trim());
    if num.is_empty() || num.len() > 24 {
        return None;
    }
    let value: f64 = num.replace(',', ".").parse().ok()?;
    let unit = unit.split_whitespace().next().unwrap_or("");
    let unit = unit.trim_end_matches(|c: char| !c.is_ascii_alphabetic());
    let scale = match unit {
        "MiB" => 1048576.0,
        "GiB" => 1073741824.0,
        "KiB" => 1024.0,
        "TiB" => 1099511627776.0,
        "B" => 1.0,
        "MB" => 1e6,
        "GB" => 1e9,
        "KB" | "kB" => 1e3,
        _ => return None,
    };
    let bytes = (value * scale).round();
    // Beyond any machine (a zettabyte) is not a size.
    (bytes.is_finite() && (0.0..1e21).contains(&bytes)).then_some(bytes as u64)
}

/// `[22.0 GiB 22.0 GiB]` or `3.7 GiB` → bytes each.
fn size_list(text: &str) -> Vec<u64> {
    let words: Vec<&str> = text
        .trim_matches(['[', ']', '"'])
        .split_whitespace()
        .collect();
    words
        .chunks(2)
        .filter_map(|pair| match pair {
            [n, unit] => size(&format!("{n} {unit}")),
            _ => None,
        })
        .take(MAX_KEPT)
        .collect()
}

/// `key=value key="quoted \" value"` pairs.
fn logfmt_pairs(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = line.chars().peekable();
    while chars.peek().is_some() && pairs.len() < 256 {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ' ' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key, value));
    }
    pairs
}

/// Splits a command line into words, honouring simple quotes.
fn split_args(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    let mut quote: Option<char> = None;
    for c in line.chars() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), c) => word.push(c),
            (None, '"' | '\'') => quote = Some(c),
            (None, c) if c.is_whitespace() => {
                if !word.is_empty() {
                    push(&mut words, std::mem::take(&mut word));
                }
            }
            (None, c) => word.push(c),
        }
    }
    if !word.is_empty() {
        push(&mut words, word);
    }
    words
}

/// `llama-server`, `/path/llama-cli`, `C:\AI>vulkan\llama-server`,
/// `ollama_llama_server`, `./main`, `ollama runner`.
fn is_program(word: &str) -> bool {
    let base = word.rsplit(['/', '\\', '>']).next().unwrap_or(word);
    let base = base.trim_end_matches(".exe");
    base.starts_with("llama-")
        || base == "ollama_llama_server"
        || base == "main"
        || base == "server"
        || base == "ollama"
}

/// Flags that make a line a command line worth reading.
const MEMORY_FLAGS: &[&str] = &[
    "-m",
    "--model",
    "-hf",
    "-c",
    "--ctx-size",
    "-ngl",
    "--n-gpu-layers",
    "--gpu-layers",
    "-np",
    "--parallel",
    "-ts",
    "--tensor-split",
    "-ctk",
    "--cache-type-k",
    "-fa",
    "--flash-attn",
    "-ub",
    "--ubatch-size",
    "-b",
    "--batch-size",
];

/// Fills the settings the log's lines left open from the command line.
fn apply_command(s: &mut Settings, cmd: &Command) {
    for (flag, value) in &cmd.flags {
        let v = value.as_deref();
        let n = || v.and_then(|v| v.parse::<u64>().ok());
        match flag.as_str() {
            "-c" | "--ctx-size" => s.n_ctx = s.n_ctx.or(n()),
            "-b" | "--batch-size" => s.n_batch = s.n_batch.or(n()),
            "-ub" | "--ubatch-size" => s.n_ubatch = s.n_ubatch.or(n()),
            "-np" | "--parallel" => s.n_seq_max = s.n_seq_max.or(n()),
            "-ngl" | "--n-gpu-layers" | "--gpu-layers" => {
                s.n_gpu_layers = s.n_gpu_layers.or(v.and_then(|v| v.parse().ok()))
            }
            "-fa" | "--flash-attn" if s.flash_attn.is_none() => match v {
                Some("auto") => s.flash_attn_auto = true,
                Some("off" | "0" | "false" | "disabled") => s.flash_attn = Some(false),
                _ => s.flash_attn = Some(true),
            },
            "-ctk" | "--cache-type-k" | "--kv-cache-type" => {
                if s.type_k.is_none() {
                    s.type_k = v.map(str::to_string);
                }
                if flag == "--kv-cache-type" && s.type_v.is_none() {
                    s.type_v = v.map(str::to_string);
                }
            }
            "-ctv" | "--cache-type-v" => s.type_v = s.type_v.take().or(v.map(str::to_string)),
            "-ts" | "--tensor-split" if s.tensor_split.is_none() => {
                s.tensor_split = v.map(|v| {
                    v.split([',', '/'])
                        .filter_map(|x| x.trim().parse().ok())
                        .collect()
                });
            }
            "-sm" | "--split-mode" => s.split_mode = s.split_mode.take().or(v.map(str::to_string)),
            "-mg" | "--main-gpu" => s.main_gpu = s.main_gpu.or(n()),
            "-m" | "--model" => s.model_path = s.model_path.take().or(v.map(str::to_string)),
            "-mm" | "--mmproj" => s.mmproj = s.mmproj.take().or(v.map(str::to_string)),
            "--n-cpu-moe" | "-ncmoe" => s.n_cpu_moe = s.n_cpu_moe.or(n()),
            "-ot" | "--override-tensor" => {
                if let Some(v) = v {
                    push(&mut s.override_tensor, v.to_string());
                }
            }
            "--no-mmap" => s.no_mmap = Some(true),
            "-nkvo" | "--no-kv-offload" => s.no_kv_offload = Some(true),
            "--swa-full" => s.swa_full = s.swa_full.or(Some(true)),
            _ => {}
        }
    }
}

/// A loader value: `u32 = 2880`, `str = llama`, `f32 = 0.000010`,
/// `bool = true`, `arr[str,151936] = ["!", …`, `arr[i32,8] = [3, 8, …]`.
fn metadata_value(ty: &str, value: &str) -> Option<Value> {
    if let Some(arr) = ty.strip_prefix("arr[") {
        let (elem, len) = arr.trim_end_matches(']').split_once(',')?;
        let len: u64 = len.trim().parse().ok()?;
        // Items only when the whole array was printed (llama.cpp cuts long
        // ones with `...`) and they are numbers.
        let inner = value
            .trim()
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'));
        let items = match inner {
            Some(inner) if elem != "str" && !inner.contains("...") && len <= 4096 => {
                let items: Option<Vec<Value>> = inner
                    .split(',')
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| scalar(elem, x.trim()))
                    .collect();
                items.filter(|i| i.len() as u64 == len).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        return Some(Value::Array { len, items });
    }
    scalar(ty, value)
}

fn scalar(ty: &str, value: &str) -> Option<Value> {
    Some(match ty {
        "u8" | "u16" | "u32" | "u64" => Value::Uint(value.parse().ok()?),
        "i8" | "i16" | "i32" | "i64" => Value::Int(value.parse().ok()?),
        "f32" | "f64" => Value::Float(value.parse().ok()?),
        "bool" => Value::Bool(value.parse().ok()?),
        "str" => Value::Str(value.to_string()),
        _ => return None,
    })
}

// ---- the model --------------------------------------------------------

/// The model a log describes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogModel {
    /// A `config.json` text that [`parse_config`] reads: the fields a GGUF
    /// header with the same metadata would give. Logs list no tensor
    /// shapes, so there is no `stored` part: size the weights by `ftype`.
    pub document: String,
    /// llama.cpp's architecture name (`general.architecture`).
    pub arch: String,
    /// Where the model came from: `"metadata"` (the loader's kv lines) or
    /// `"hparams"` (`print_info` lines mapped onto GGUF keys).
    pub from: &'static str,
    /// The file's ftype (`general.file_type`, or the `file type` line).
    pub ftype: Option<GgufFtype>,
    /// GGUF keys the config would read that the log does not show (the
    /// reader's defaults stand in).
    pub missing: Vec<String>,
    pub warnings: Vec<String>,
}

/// `print_info` names → the GGUF keys (under `{arch}.`) they print.
const HPARAM_KEYS: &[(&str, &str)] = &[
    ("n_ctx_train", "context_length"),
    ("n_embd", "embedding_length"),
    ("n_layer", "block_count"),
    ("n_head", "attention.head_count"),
    ("n_head_kv", "attention.head_count_kv"),
    ("n_ff", "feed_forward_length"),
    ("n_embd_head_k", "attention.key_length"),
    ("n_embd_head_v", "attention.value_length"),
    ("n_expert", "expert_count"),
    ("n_expert_used", "expert_used_count"),
    ("n_expert_shared", "expert_shared_count"),
    ("n_ff_exp", "expert_feed_forward_length"),
    ("n_ff_shexp", "expert_shared_feed_forward_length"),
    ("n_layer_dense_lead", "leading_dense_block_count"),
    ("n_lora_q", "attention.q_lora_rank"),
    ("n_lora_kv", "attention.kv_lora_rank"),
    ("n_rot", "rope.dimension_count"),
    ("n_embd_head_k_mla", "attention.key_length_mla"),
    ("n_embd_head_v_mla", "attention.value_length_mla"),
    ("ssm_d_conv", "ssm.conv_kernel"),
    ("ssm_d_inner", "ssm.inner_size"),
    ("ssm_d_state", "ssm.state_size"),
    ("ssm_dt_rank", "ssm.time_step_rank"),
    ("ssm_n_group", "ssm.group_count"),
    ("n_swa", "attention.sliding_window"),
    ("n_chunk", "attention.chunk_size"),
    ("n_moe_layer_step", "interleave_moe_layer_step"),
];

/// The keys every architecture's config needs.
const NEEDED: &[&str] = &[
    "block_count",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
];

/// The model as the log describes it, through the same metadata → config
/// path a GGUF file's header takes.
pub fn model_document(log: &LlamaLog) -> Result<LogModel, ImportError> {
    let (mut metadata, from) = if log
        .metadata
        .iter()
        .any(|(k, _)| k.ends_with(".block_count"))
    {
        (log.metadata.clone(), "metadata")
    } else {
        (hparams_metadata(log), "hparams")
    };
    // An excerpt that starts after `general.architecture` still names it
    // in every key (`llama.block_count`).
    if !metadata.iter().any(|(k, _)| k == "general.architecture") {
        let arch = metadata
            .iter()
            .find_map(|(k, _)| k.strip_suffix(".block_count"))
            .map(str::to_string);
        if let Some(arch) = arch {
            metadata.push(("general.architecture".into(), Value::Str(arch)));
        }
    }
    let header = GgufHeader {
        version: 3,
        metadata,
        tensors: Vec::new(),
        alignment: 32,
        header_bytes: 0,
        data_start: 0,
    };
    let arch = header
        .get("general.architecture")
        .and_then(Value::as_str)
        .ok_or_else(|| ImportError::Metadata("general.architecture (or print_info: arch)".into()))?
        .to_string();
    let mut missing: Vec<String> = NEEDED
        .iter()
        .map(|k| format!("{arch}.{k}"))
        .filter(|k| header.get(k).is_none())
        .collect();
    if header.get("tokenizer.ggml.tokens").is_none() {
        missing.push("tokenizer.ggml.tokens".into());
    }
    // Logs list no tensors: whether `output.weight` exists is unknown, so
    // the reader's default for tied embeddings stands unless the logged
    // parameter count tells.
    let (config, _) = super::file::metadata_config(&header, None, &|_| false)?;
    let mut config = config;
    let mut warnings = Vec::new();
    if let Some(map) = config.as_object_mut() {
        map.remove("tie_word_embeddings");
    }
    let logged_params = hparam(log, "model params").and_then(params_count);
    if let Some(logged) = logged_params {
        let count = |tied: bool| {
            let mut c = config.clone();
            if let Some(map) = c.as_object_mut() {
                map.insert("tie_word_embeddings".into(), json!(tied));
            }
            parse_config(&c.to_string())
                .ok()
                .map(|i| i.spec.params().total)
        };
        if let (Some(untied), Some(tied)) = (count(false), count(true)) {
            let tie = logged.abs_diff(tied) < logged.abs_diff(untied);
            if let Some(map) = config.as_object_mut() {
                map.insert("tie_word_embeddings".into(), json!(tie));
            }
        }
    } else {
        warnings.push(
            "the log shows no parameter count: tied embeddings are the architecture's default"
                .into(),
        );
    }
    let document = config.to_string();
    let imported = parse_config(&document)?;
    warnings.extend(imported.warnings);
    let ftype = header
        .get("general.file_type")
        .and_then(Value::as_u64)
        .and_then(ftype_of_id)
        .or_else(|| {
            hparam(log, "file type")
                .or_else(|| hparam(log, "model ftype"))
                .and_then(ftype_of_name)
        });
    Ok(LogModel {
        document,
        arch,
        from,
        ftype,
        missing,
        warnings,
    })
}

fn hparam<'a>(log: &'a LlamaLog, key: &str) -> Option<&'a str> {
    log.hparams
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.as_str())
}

/// `8.03 B` / `494.03 M` / `7.24 K` → parameters.
fn params_count(text: &str) -> Option<u64> {
    let mut w = text.split_whitespace();
    let n: f64 = w.next()?.parse().ok()?;
    let scale = match w.next()? {
        "T" => 1e12,
        "B" => 1e9,
        "M" => 1e6,
        "K" => 1e3,
        _ => return None,
    };
    let v = (n * scale).round();
    (v.is_finite() && (0.0..1e15).contains(&v)).then_some(v as u64)
}

/// The loader's metadata rebuilt from `print_info` lines.
fn hparams_metadata(log: &LlamaLog) -> Vec<(String, Value)> {
    let mut meta: Vec<(String, Value)> = log.metadata.clone();
    let Some(arch) = hparam(log, "arch").map(str::to_string) else {
        return meta;
    };
    let mut set = |k: String, v: Value| {
        if !meta.iter().any(|(key, _)| *key == k) {
            meta.push((k, v));
        }
    };
    set("general.architecture".into(), Value::Str(arch.clone()));
    let n_ctx_train = hparam(log, "n_ctx_train").and_then(|v| v.parse::<u64>().ok());
    for (name, key) in HPARAM_KEYS {
        let Some(text) = hparam(log, name) else {
            continue;
        };
        let Some(v) = hparam_value(text) else {
            continue;
        };
        // `n_swa` is printed for every model; 0 (or the whole context)
        // means no window.
        if *name == "n_swa" && (v.as_u64() == Some(0) || v.as_u64() == n_ctx_train) {
            continue;
        }
        set(format!("{arch}.{key}"), v);
    }
    if let Some(n) = hparam(log, "n_vocab").and_then(|v| v.parse::<u64>().ok()) {
        set(
            "tokenizer.ggml.tokens".into(),
            Value::Array {
                len: n,
                items: Vec::new(),
            },
        );
    }
    meta
}

/// `32`, or a per-layer list `[8, 8, 0, …]` printed in full.
fn hparam_value(text: &str) -> Option<Value> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner
            .split(',')
            .take(4096)
            .map(|x| x.trim().parse().ok().map(Value::Uint))
            .collect();
        let items = items?;
        return Some(Value::Array {
            len: items.len() as u64,
            items,
        });
    }
    text.parse().ok().map(Value::Uint)
}

/// `general.file_type` ids (llama.cpp's `llama_ftype`).
fn ftype_of_id(id: u64) -> Option<GgufFtype> {
    use GgufFtype as F;
    Some(match id {
        0 => F::F32,
        1 => F::F16,
        2 => F::Q4_0,
        3 => F::Q4_1,
        7 => F::Q8_0,
        8 => F::Q5_0,
        9 => F::Q5_1,
        10 => F::Q2_K,
        11 => F::Q3_K_S,
        12 => F::Q3_K_M,
        13 => F::Q3_K_L,
        14 => F::Q4_K_S,
        15 => F::Q4_K_M,
        16 => F::Q5_K_S,
        17 => F::Q5_K_M,
        18 => F::Q6_K,
        19 => F::IQ2_XXS,
        20 => F::IQ2_XS,
        21 => F::Q2_K_S,
        22 => F::IQ3_XS,
        23 => F::IQ3_XXS,
        24 => F::IQ1_S,
        25 => F::IQ4_NL,
        26 => F::IQ3_S,
        27 => F::IQ3_M,
        28 => F::IQ2_S,
        29 => F::IQ2_M,
        30 => F::IQ4_XS,
        31 => F::IQ1_M,
        32 => F::BF16,
        38 => F::MXFP4_MOE,
        _ => return None,
    })
}

/// `llama_model_ftype_name`'s words: `Q4_K - Medium`, `all F32`,
/// `IQ2_XXS - 2.0625 bpw`, `MXFP4 MoE`.
pub fn ftype_of_name(text: &str) -> Option<GgufFtype> {
    use GgufFtype as F;
    let t = text.trim().trim_start_matches("all ");
    let (base, detail) = match t.split_once(" - ") {
        Some((b, d)) => (b.trim(), d.trim()),
        None => (t.split_whitespace().next().unwrap_or(t), ""),
    };
    let size = detail.split_whitespace().next().unwrap_or("");
    let name = match (base, size) {
        ("Q4_K", "Small") => "Q4_K_S",
        ("Q4_K", _) => "Q4_K_M",
        ("Q5_K", "Small") => "Q5_K_S",
        ("Q5_K", _) => "Q5_K_M",
        ("Q3_K", "Small") => "Q3_K_S",
        ("Q3_K", "Large") => "Q3_K_L",
        ("Q3_K", _) => "Q3_K_M",
        ("Q2_K", "Small") => "Q2_K_S",
        ("Q2_K", _) => "Q2_K",
        ("Q6_K", _) => "Q6_K",
        ("MXFP4", _) => "MXFP4_MOE",
        ("IQ3_S", "3.66") => "IQ3_M",
        ("IQ1_S" | "IQ1_M" | "IQ2_XXS" | "IQ2_XS" | "IQ2_S" | "IQ2_M", _) => base,
        ("IQ3_XXS" | "IQ3_XS" | "IQ3_S" | "IQ3_M" | "IQ4_XS" | "IQ4_NL", _) => base,
        (other, _) => other,
    };
    F::ALL.iter().copied().find(|f| f.name() == name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    /// The parsed log as compact JSON, without the empty parts.
    fn check(text: &str, expected: Expect) {
        let log = parse(text);
        let mut v = serde_json::to_value(&log).unwrap();
        let map = v.as_object_mut().unwrap();
        map.retain(|_, x| {
            !(x.is_null()
                || x == &json!([])
                || x == &json!({})
                || x == &json!({"count": 0, "samples": []})
                || x == &json!(false)
                || x == &json!("llama_cpp"))
        });
        if let Some(s) = map.get_mut("settings").and_then(Json::as_object_mut) {
            s.retain(|_, x| !(x.is_null() || x == &json!([]) || x == &json!(false)));
            if s.is_empty() {
                map.remove("settings");
            }
        }
        expected.assert_eq(&v.to_string());
    }

    #[test]
    fn buffer_lines_of_every_era_give_kind_device_and_bytes() {
        check(
            "llm_load_tensors:        CPU buffer size =  1640.62 MiB\n\
             load_tensors: RPC[10.0.2.242:50052] model buffer size = 97323.94 MiB\n\
             llama_kv_cache_init:  CUDA_Host KV buffer size =  1536.00 MiB\n\
             llama_new_context_with_model:  ROCm_Host input buffer size   =    40.38 MiB\n\
             llama_context:  CUDA_Host  output buffer size =     0.58 MiB\n\
             0.00.618.526 I sched_reserve:       MTL0 compute buffer size =  2161.01 MiB\n\
             Sep 26 10:35:59 ollama[6664]: llama_memory_recurrent:      CUDA0 RS buffer size =    62.34 MiB\n\
             llama_context:      ROCm0 compute buffer size =  1276,07 MiB",
            expect![[r#"{"buffers":[{"bytes":1720314757,"device":"CPU","kind":"model","swa":false},{"bytes":102051547709,"device":"RPC[10.0.2.242:50052]","kind":"model","swa":false},{"bytes":1610612736,"device":"CUDA_Host","kind":"kv","swa":false},{"bytes":42341499,"device":"ROCm_Host","kind":"input","swa":false},{"bytes":608174,"device":"CUDA_Host","kind":"output","swa":false},{"bytes":2265983222,"device":"MTL0","kind":"compute","swa":false},{"bytes":65368228,"device":"CUDA0","kind":"rs","swa":false},{"bytes":1338056376,"device":"ROCm0","kind":"compute","swa":false}]}"#]],
        );
    }

    #[test]
    fn buffers_quoted_in_prose_are_read_too() {
        check(
            "larger than `ROCm0 model buffer size = 17827.35 MiB` + `ROCm0 KV buffer size =  3280.00 MiB`.",
            expect![[r#"{"buffers":[{"bytes":18693331354,"device":"ROCm0","kind":"model","swa":false},{"bytes":3439329280,"device":"ROCm0","kind":"kv","swa":false}]}"#]],
        );
    }

    #[test]
    fn the_sliding_window_cache_of_iswa_models_is_marked() {
        check(
            "llama_kv_cache_iswa: creating non-SWA KV cache, size = 4096 cells\n\
             llama_kv_cache:      Metal KV buffer size =    96.00 MiB\n\
             llama_kv_cache: size =   96.00 MiB (  4096 cells,  12 layers,  1/1 seqs), K (f16):   48.00 MiB, V (f16):   48.00 MiB\n\
             llama_kv_cache_iswa: creating     SWA KV cache, size = 768 cells\n\
             llama_kv_cache:      Metal KV buffer size =    18.00 MiB\n\
             llama_kv_cache: size =   18.00 MiB (   768 cells,  12 layers,  1/1 seqs), K (q8_0):    9.00 MiB, V (f16):    9.00 MiB",
            expect![[r#"{"buffers":[{"bytes":100663296,"device":"Metal","kind":"kv","swa":false},{"bytes":18874368,"device":"Metal","kind":"kv","swa":true}],"caches":[{"bytes":100663296,"cells":4096,"k_bytes":50331648,"layers":12,"swa":false,"type_k":"f16","type_v":"f16","v_bytes":50331648},{"bytes":18874368,"cells":768,"k_bytes":9437184,"layers":12,"swa":true,"type_k":"q8_0","type_v":"f16","v_bytes":9437184}],"settings":{"n_ctx":4096,"type_k":"f16","type_v":"f16"}}"#]],
        );
    }

    #[test]
    fn context_lines_give_the_settings() {
        check(
            "llama_context: n_seq_max     = 4\n\
             llama_context: n_ctx         = 65536\n\
             llama_context: n_ctx_seq     = 16384\n\
             llama_context: n_batch       = 2048\n\
             llama_context: n_ubatch      = 512\n\
             llama_context: causal_attn   = 1\n\
             llama_context: flash_attn    = auto\n\
             llama_context: kv_unified    = false\n\
             llama_context: freq_base     = 1000000.0\n\
             llama_kv_cache_init: kv_size = 65536, offload = 1, type_k = 'q8_0', type_v = 'q8_0', n_layer = 64, can_shift = 1\n\
             llama_context: Flash Attention was auto, set to enabled\n\
             load_tensors: offloaded 30/49 layers to GPU\n\
             llama_new_context_with_model: pipeline parallelism enabled (n_copies=4)\n\
             llama_context: graph nodes  = 1606\n\
             llama_context: graph splits = 524 (with bs=512), 121 (with bs=1)\n\
             Tensor blk.82.ffn_gate_exps.weight buffer type overriden to CPU\n\
             load_tensors: tensor blk.3.ffn_up_exps.weight (134 MiB q4_K) buffer type overridden to CUDA_Host",
            expect![[r#"{"settings":{"causal_attn":true,"flash_attn":true,"flash_attn_auto":true,"graph_nodes":1606,"graph_splits":524,"n_batch":2048,"n_copies":4,"n_ctx":65536,"n_ctx_per_seq":16384,"n_seq_max":4,"n_ubatch":512,"offload":[30,49],"other":[["freq_base","1000000.0"],["offload","1"],["n_layer","64"],["can_shift","1"]],"tensor_overrides":[["blk.82.ffn_gate_exps.weight","CPU"],["blk.3.ffn_up_exps.weight","CUDA_Host"]],"type_k":"q8_0","type_v":"q8_0"}}"#]],
        );
    }

    #[test]
    fn the_loader_metadata_keeps_values_and_array_lengths() {
        check(
            "llama_model_loader: - kv   0:                       general.architecture str              = gpt-oss\n\
             llama_model_loader: - kv  22:         gpt-oss.expert_feed_forward_length u32              = 2880\n\
             llama_model_loader: - kv   9:     llama.attention.layer_norm_rms_epsilon f32              = 0.000010\n\
             llama_model_loader: - kv  15:    mllama.attention.cross_attention_layers arr[i32,8]       = [3, 8, 13, 18, 23, 28, 33, 38]\n\
             llama_model_loader: - kv  13:                      tokenizer.ggml.tokens arr[str,151936]  = [\"!\", \"\\\"\", \"#\", ...\n\
             llama_model_loader: - kv  22:               tokenizer.ggml.add_bos_token bool             = true\n\
             llama_model_loader: - type  f32:   65 tensors\n\
             llama_model_loader: - type q4_K:  193 tensors\n\
             build: 6688 (898acba6) with cc (GCC) 11.2.0 for x86_64-slackware-linux",
            expect![[r#"{"build":{"commit":"898acba6","number":6688},"metadata":{"general.architecture":"gpt-oss","gpt-oss.expert_feed_forward_length":2880,"llama.attention.layer_norm_rms_epsilon":0.00001,"mllama.attention.cross_attention_layers":{"items":[3,8,13,18,23,28,33,38],"len":8},"tokenizer.ggml.add_bos_token":true,"tokenizer.ggml.tokens":{"items":[],"len":151936}},"tensor_types":[["f32",65],["q4_K",193]]}"#]],
        );
    }

    #[test]
    fn devices_of_each_backend_are_read() {
        check(
            "ggml_cuda_init: found 2 CUDA devices:\n\
             \x20 Device 0: NVIDIA GeForce RTX 3090, compute capability 8.6, VMM: yes\n\
             \x20 Device 1: AMD Radeon RX 7900 XTX, gfx1100 (0x1100), VMM: no, Wave Size: 32\n\
             llama_model_load_from_file_impl: using device CUDA0 (NVIDIA GeForce RTX 3090) - 23040 MiB free\n\
             ggml_metal_init: found device: Apple M1 Max\n\
             ggml_metal_init: recommendedMaxWorkingSetSize  = 51539.61 MB\n\
             ggml_vulkan: 0 = AMD Radeon Graphics (RADV VEGA20) (radv) | uma: 0 | fp16: 1 | warp size: 64",
            expect![[r#"{"devices":[{"backend":"CUDA","free_bytes":24159191040,"index":0,"name":"NVIDIA GeForce RTX 3090","total_bytes":null},{"backend":"ROCm","free_bytes":null,"index":1,"name":"AMD Radeon RX 7900 XTX","total_bytes":null},{"backend":"Metal","free_bytes":null,"index":0,"name":"Apple M1 Max","total_bytes":51539610000},{"backend":"Vulkan","free_bytes":null,"index":0,"name":"AMD Radeon Graphics (RADV VEGA20) (radv)","total_bytes":null}]}"#]],
        );
    }

    #[test]
    fn allocation_failures_are_kept_verbatim() {
        check(
            "ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory\n\
             ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 8589934592\n\
             llama_init_from_model: failed to initialize the context: failed to allocate compute pp buffers\n\
             llama_context: something new = printed here and there",
            expect![[r#"{"errors":["ggml_backend_cuda_buffer_type_alloc_buffer: allocating 8192.00 MiB on device 0: cudaMalloc failed: out of memory","ggml_gallocr_reserve_n: failed to allocate CUDA0 buffer of size 8589934592","llama_init_from_model: failed to initialize the context: failed to allocate compute pp buffers"],"unrecognised":{"count":1,"samples":["llama_context: something new = printed here and there"]}}"#]],
        );
    }

    #[test]
    fn ollama_lines_give_its_estimate_its_command_and_its_buffers() {
        check(
            r#"time=2025-02-08T00:53:31.135Z level=INFO source=memory.go:356 msg="offload to cuda" layers.requested=-1 layers.model=81 layers.offload=81 layers.split=27,27,27 memory.available="[23.5 GiB 23.5 GiB 23.5 GiB]" memory.required.full="47.8 GiB" memory.required.kv="2.5 GiB"
time=2025-02-08T00:53:31.135Z level=INFO source=server.go:376 msg="starting llama server" cmd="/usr/lib/ollama/runners/cuda_v11_avx/ollama_llama_server runner --model /root/.ollama/models/blobs/sha256-4cd5 --ctx-size 8192 --batch-size 512 --n-gpu-layers 81 --threads 24 --flash-attn --kv-cache-type q8_0 --parallel 4 --tensor-split 27,27,27 --port 34895"
time=2025-07-18T14:50:57.066Z level=INFO source=ggml.go:365 msg="model weights" buffer=CUDA0 size="11.5 GiB""#,
            expect![[
                r#"{"buffers":[{"bytes":12348030976,"device":"CUDA0","kind":"model","swa":false}],"command":{"flags":[["--model","/root/.ollama/models/blobs/sha256-4cd5"],["--ctx-size","8192"],["--batch-size","512"],["--n-gpu-layers","81"],["--threads","24"],["--flash-attn",null],["--kv-cache-type","q8_0"],["--parallel","4"],["--tensor-split","27,27,27"],["--port","34895"]],"program":"/usr/lib/ollama/runners/cuda_v11_avx/ollama_llama_server"},"ollama":{"layers_model":81,"layers_offload":81,"layers_requested":-1,"layers_split":[27,27,27],"library":"cuda","memory":[["memory.available",[25232932864,25232932864,25232932864]],["memory.required.full",[51324859187]],["memory.required.kv",[2684354560]]]},"settings":{"flash_attn":true,"model_path":"/root/.ollama/models/blobs/sha256-4cd5","n_batch":512,"n_ctx":8192,"n_gpu_layers":81,"n_seq_max":4,"offload":[81,81],"tensor_split":[27.0,27.0,27.0],"type_k":"q8_0","type_v":"q8_0"},"tool":"ollama"}"#
            ]],
        );
    }

    #[test]
    fn hostile_input_gives_a_result() {
        let long = "llama_context: ".to_string() + &"é".repeat(10_000);
        assert!(parse(&long).unrecognised.count <= 1);
        let many = "load_tensors: CUDA0 model buffer size = 1 MiB\n".repeat(30_000);
        let log = parse(&many);
        assert!(log.truncated);
        assert_eq!(log.buffers.len(), MAX_KEPT);
        for text in [
            "buffer size =",
            "buffer size = 1e999 MiB",
            ": : :",
            "Device 9999999999:",
            "size = 1 MiB (",
            "KV self size = 1 MiB, K (",
            "x buffer size = 99999999999999999999999 MiB",
        ] {
            let log = parse(text);
            let _ = model_document(&log);
        }
    }
}
