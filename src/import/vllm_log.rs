//! vLLM startup logs, as people paste them, read into what vLLM reported:
//! its version and engine, the settings it echoed, per rank the memory it
//! profiled (the same terms `estimate::vllm::startup` predicts), and its
//! failures verbatim.
//!
//! A line is read whatever wraps it: ANSI colours, a `docker compose`
//! prefix (`vllm-1  | `), a timestamp, the process prefix that names the
//! rank (`(VllmWorkerProcess pid=…)`, `(VllmWorker rank=1 pid=…)`,
//! `(Worker_TP1 pid=…)`, `(RayWorkerWrapper pid=…, ip=…)`,
//! `(EngineCore_DP0 pid=…)`), `[rank0]:`, then vLLM's own header
//! (`INFO 04-15 00:05:58 [worker.py:267]`, or the older
//! `INFO 02-26 09:54:02 model_runner.py:1115]`). Lines without a process
//! prefix belong to one unnamed rank (the driver in V0, the engine core
//! at TP 1 in V1). The messages read are those of vLLM 0.3 to 0.2x:
//!
//! - settings: `Initializing a V1 LLM engine (v…) with config: k=v, …`,
//!   `non-default args: {…}`, `args: Namespace(…)`, `Using max model len
//!   N`, `Chunked prefill is enabled with max_num_batched_tokens=N`, and a
//!   launch command or `LLM(…)` call pasted with the log (see [`command`]);
//! - memory: `Model loading took X GiB` / `Loading model weights took X GB`,
//!   V0's `model weights take …; non_torch_memory takes …; PyTorch
//!   activation peak memory takes …; the rest of the memory reserved for KV
//!   Cache is …` (one line, the tabular form of 0.6.5, and 0.6.4's
//!   `Memory profiling results: k=v …`), `total_gpu_memory (X) x
//!   gpu_memory_utilization (U) = Y`, V1's `Available KV cache memory:`,
//!   the `Free memory on device (F/T GiB) on startup … Actual usage is …`
//!   breakdown of newer releases, `GPU KV cache size: N tokens`,
//!   `Maximum concurrency for L tokens per request: X×`, `# GPU blocks`,
//!   `# cuda blocks`, `num_gpu_blocks is: N`, CUDA-graph sizes (`Graph
//!   capturing finished in … took X GiB`, `Estimated CUDA graph memory`,
//!   `CUDA graph pool memory`) and the encoder-cache budget of
//!   multimodal models;
//! - failures: the KV cache smaller than one request of `max_model_len`
//!   (V0's and V1's wording), `No available memory for the cache blocks`,
//!   CUDA out of memory, free memory below the requested utilisation, too
//!   few Mamba cache blocks, a multimodal item larger than the batch, and
//!   `EngineCore failed to start`.
//!
//! vLLM prints sizes as `GiB`, and as `GB` in older releases for the same
//! binary unit (it divides by `2**30`): both are read as GiB; `MB`/`MiB`
//! likewise. Sizes are the printed value in bytes and may be negative
//! (vLLM prints a negative KV budget when the profile overruns it).
//!
//! Parsing is total and bounded: any text in, a [`VllmLog`] out, never a
//! panic; input past [`MAX_INPUT`] bytes and lines past [`MAX_LINES`] are
//! not read, and vLLM lines that say nothing this module reads are counted
//! in [`VllmLog::unrecognised`] with a few samples.

mod command;
mod errors;
mod numbers;

use errors::*;
use numbers::*;

use serde::Serialize;

pub use command::{parse_command, EnvVar, Flag, FlagSpec, Launcher, VllmCommand, FLAGS};

use super::words::{bracketed, python_items, unquote, Item};

/// The most input read: 1 MiB (a long startup log is ~200 KiB).
pub const MAX_INPUT: usize = 1 << 20;
/// The most lines read.
pub const MAX_LINES: usize = 50_000;
/// Longer lines are read up to this many bytes.
const MAX_LINE: usize = 64 * 1024;
/// The most ranks (processes) kept; later ones are not read.
const MAX_RANKS: usize = 256;
/// The most distinct errors kept.
const MAX_ERRORS: usize = 32;
/// Samples of unrecognised lines kept, and their length in characters.
const MAX_SAMPLES: usize = 8;
const SAMPLE_CHARS: usize = 240;
/// Error messages are cut to this many characters.
const MAX_MESSAGE: usize = 1000;

/// vLLM's engine generation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    V0,
    V1,
}

/// What a vLLM startup log says.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct VllmLog {
    /// The release (`0.11.0`, `0.10.1.dev…`), from the API server banner or
    /// the engine's config line.
    pub version: Option<String>,
    /// V0 or V1: from the config line when it says, else from which
    /// workers and files the lines come from.
    pub engine: Option<Engine>,
    /// The model id or path.
    pub model: Option<String>,
    /// The settings the log (or a command pasted with it) shows.
    pub settings: Settings,
    /// A launch command found among the lines.
    pub command: Option<VllmCommand>,
    /// One entry per process that printed a figure, in order of its first.
    pub ranks: Vec<Rank>,
    /// vLLM's failures, each once, in order.
    pub errors: Vec<LoggedError>,
    /// vLLM lines (with vLLM's header) from which nothing was read.
    pub unrecognised: Unrecognised,
    /// Lines read.
    pub lines: usize,
    /// The input was longer than [`MAX_INPUT`] or [`MAX_LINES`].
    pub truncated: bool,
}

/// vLLM's settings, as its config line, non-default args or argparse echo
/// print them (`None`: not shown).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Settings {
    /// `max_model_len` (the config line's `max_seq_len`).
    pub max_model_len: Option<u64>,
    pub tensor_parallel_size: Option<u32>,
    pub pipeline_parallel_size: Option<u32>,
    pub data_parallel_size: Option<u32>,
    /// `bfloat16`, `float16`, `auto`… (`torch.` dropped).
    pub dtype: Option<String>,
    pub quantization: Option<String>,
    pub kv_cache_dtype: Option<String>,
    pub block_size: Option<u32>,
    pub gpu_memory_utilization: Option<f64>,
    pub max_num_seqs: Option<u64>,
    pub max_num_batched_tokens: Option<u64>,
    pub enforce_eager: Option<bool>,
    pub enable_prefix_caching: Option<bool>,
    /// GiB of weights per GPU kept in host memory.
    pub cpu_offload_gb: Option<f64>,
    /// Verbatim (`{'image': 3}`, `image=64`).
    pub limit_mm_per_prompt: Option<String>,
    /// Verbatim.
    pub mm_processor_kwargs: Option<String>,
    /// Verbatim, when a speculative config is set (not `None`).
    pub speculative_config: Option<String>,
}

/// What one process (a GPU rank, or the engine core) printed. Sizes are
/// bytes, as printed.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Rank {
    /// The process prefix as printed, without its parentheses
    /// (`VllmWorker rank=1 pid=7560`); empty for unprefixed lines.
    pub process: String,
    /// `rank=N` or `TPn` in the prefix.
    pub rank: Option<u32>,
    pub pid: Option<u32>,
    /// From the fused-MoE kernel config file name (`device_name=…`).
    pub gpu_name: Option<String>,
    /// The GPU's memory (`total_gpu_memory`, `Free memory on device
    /// (F/T)`, or an out-of-memory message's total capacity).
    pub total_bytes: Option<i64>,
    /// Free at startup (`Free memory on device (F/T GiB)`).
    pub free_bytes: Option<i64>,
    /// The utilisation this rank printed.
    pub gpu_memory_utilization: Option<f64>,
    /// `total × utilisation`, as printed.
    pub requested_bytes: Option<i64>,
    /// `Model loading took` / `Loading model weights took`.
    pub weights_loaded_bytes: Option<i64>,
    /// The profile's weights (`model weights take`, `… for weight`).
    pub weights_bytes: Option<i64>,
    /// The profile run's activation peak.
    pub activation_bytes: Option<i64>,
    pub non_torch_bytes: Option<i64>,
    /// 0.6.4's `peak_torch_memory` (weights included).
    pub peak_torch_bytes: Option<i64>,
    /// What is left for the KV cache (`the rest … for KV Cache`,
    /// `Available KV cache memory`, `kv_cache_size`).
    pub kv_cache_bytes: Option<i64>,
    /// CUDA graphs as captured (`Graph capturing … took`, `CUDA graph pool
    /// memory: X (actual)`, `… for CUDAGraph memory`).
    pub cuda_graph_bytes: Option<i64>,
    /// CUDA graphs as estimated before the KV cache (`Estimated CUDA graph
    /// memory`).
    pub cuda_graph_estimate_bytes: Option<i64>,
    /// `GPU KV cache size: N tokens`.
    pub kv_cache_tokens: Option<u64>,
    pub max_concurrency: Option<Concurrency>,
    /// `# GPU blocks`, `# cuda blocks`, `num_gpu_blocks is`.
    pub num_gpu_blocks: Option<u64>,
    pub num_cpu_blocks: Option<u64>,
    pub encoder_cache: Option<EncoderCache>,
}

/// `Maximum concurrency for {tokens_per_request} tokens per request: {times}x`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Concurrency {
    pub tokens_per_request: u64,
    pub times: f64,
}

/// `Encoder cache will be initialized with a budget of N tokens, and
/// profiled with K <modality> items of the maximum feature size.`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EncoderCache {
    pub budget_tokens: u64,
    pub items: Option<u64>,
    pub modality: Option<String>,
}

/// One of vLLM's failures: its message verbatim (from the exception name
/// when printed) and what was read from it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoggedError {
    pub kind: ErrorKind,
    pub message: String,
}

/// Which failure, with its figures (bytes for sizes).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ErrorKind {
    /// The KV cache cannot hold one request of `max_model_len` tokens:
    /// V0 gives tokens, V1 bytes and the longest length that would fit.
    KvCacheTooSmall {
        max_seq_len: Option<u64>,
        kv_cache_tokens: Option<u64>,
        needed_bytes: Option<i64>,
        available_bytes: Option<i64>,
        estimated_max_model_len: Option<u64>,
    },
    /// `No available memory for the cache blocks`.
    NoCacheBlocks,
    /// `CUDA out of memory. Tried to allocate X. GPU N has a total capacity
    /// of T of which F is free.`
    OutOfMemory {
        tried_bytes: Option<i64>,
        device: Option<u32>,
        total_bytes: Option<i64>,
        free_bytes: Option<i64>,
    },
    /// `Free memory on device (F/T GiB) on startup is less than desired GPU
    /// memory utilization (U, R GiB)`.
    FreeMemoryBelowUtilization {
        free_bytes: Option<i64>,
        total_bytes: Option<i64>,
        utilization: Option<f64>,
        requested_bytes: Option<i64>,
    },
    /// `max_num_seqs (N) exceeds available Mamba cache blocks (M)`.
    MambaCacheBlocks {
        max_num_seqs: Option<u64>,
        blocks: Option<u64>,
    },
    /// `max_tokens_per_mm_item (N) is larger than max_num_batched_tokens (M)`.
    MultimodalItemTooLarge {
        item_tokens: Option<u64>,
        max_num_batched_tokens: Option<u64>,
    },
    /// `EngineCore failed to start.` or `EngineCore hit an exception` (the
    /// cause, when printed, is another entry).
    EngineFailedToStart,
}

/// vLLM lines nothing was read from.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Unrecognised {
    pub count: usize,
    /// The first few, cut to 240 characters.
    pub samples: Vec<String>,
}

impl VllmLog {
    /// The first rank that printed a value of `f`.
    pub fn first<T>(&self, f: impl Fn(&Rank) -> Option<T>) -> Option<T> {
        self.ranks.iter().find_map(f)
    }
}

/// Reads a vLLM startup log. Total: any text gives a [`VllmLog`].
pub fn parse(text: &str) -> VllmLog {
    let mut log = VllmLog {
        truncated: text.len() > MAX_INPUT,
        ..VllmLog::default()
    };
    let text = capped(text);
    let mut votes = Votes::default();
    let mut command_settings = None;
    let all: Vec<&str> = text.lines().collect();
    if all.len() > MAX_LINES {
        log.truncated = true;
    }
    let lines = &all[..all.len().min(MAX_LINES)];
    for (i, raw) in lines.iter().enumerate() {
        log.lines += 1;
        let raw = cut(raw, MAX_LINE);
        let line = Line::split(raw);
        votes.count(raw);
        let mut read = false;
        if !line.vllm && log.command.is_none() && !command::is_comment(raw) {
            if command::launcher_in(line.message).is_some() {
                let cmd = parse_command(&lines[i..lines.len().min(i + 256)].join("\n"));
                command_settings = Some(cmd.settings.clone());
                log.command = Some(cmd);
                read = true;
            } else if line.message.contains("LLM(") {
                let cmd = command::from_python(line.message);
                command_settings = Some(cmd.settings.clone());
                log.command = Some(cmd);
                read = true;
            }
        }
        read |= read_line(&mut log, &mut votes, &line);
        if line.vllm && !read {
            log.unrecognised.count += 1;
            if log.unrecognised.samples.len() < MAX_SAMPLES {
                let sample: String = raw.trim().chars().take(SAMPLE_CHARS).collect();
                log.unrecognised.samples.push(sample);
            }
        }
    }
    if let Some(cmd) = &log.command {
        if log.model.is_none() {
            log.model.clone_from(&cmd.model);
        }
        if votes.strong.is_none() {
            votes.strong = cmd.engine;
        }
    }
    shown_elsewhere(&mut log);
    if let Some(from_command) = command_settings {
        log.settings.fill_from(&from_command);
    }
    log.engine = votes.engine().or_else(|| {
        // V0 was removed in 0.11.0.
        let v = log.version.as_deref()?;
        let mut parts = v.split('.').map(|p| p.parse::<u32>().ok());
        let (major, minor) = (parts.next()??, parts.next()??);
        (major > 0 || minor >= 11).then_some(Engine::V1)
    });
    log
}

/// Settings the log shows outside the settings lines: the utilisation a
/// rank's profile prints, `max_model_len` as the request length of the
/// concurrency line or of a KV-cache failure, `max_num_seqs` of the Mamba
/// failure.
fn shown_elsewhere(log: &mut VllmLog) {
    let s = &mut log.settings;
    if s.gpu_memory_utilization.is_none() {
        s.gpu_memory_utilization = log.ranks.iter().find_map(|r| r.gpu_memory_utilization);
    }
    for e in &log.errors {
        match e.kind {
            ErrorKind::KvCacheTooSmall { max_seq_len, .. } if s.max_model_len.is_none() => {
                s.max_model_len = max_seq_len;
            }
            ErrorKind::MambaCacheBlocks { max_num_seqs, .. } if s.max_num_seqs.is_none() => {
                s.max_num_seqs = max_num_seqs;
            }
            _ => {}
        }
    }
    if s.max_model_len.is_none() {
        s.max_model_len = log
            .ranks
            .iter()
            .find_map(|r| r.max_concurrency.map(|c| c.tokens_per_request));
    }
}

/// `text` cut to [`MAX_INPUT`] bytes at a character boundary.
fn capped(text: &str) -> &str {
    cut(text, MAX_INPUT)
}

fn cut(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

/// Evidence for the engine: the config line says outright; otherwise
/// V0's and V1's file and process names are counted.
#[derive(Default)]
struct Votes {
    strong: Option<Engine>,
    v0: usize,
    v1: usize,
}

impl Votes {
    fn count(&mut self, line: &str) {
        const V1: &[&str] = &[
            "gpu_model_runner.py",
            "gpu_worker.py",
            "kv_cache_utils.py",
            "EngineCore",
            "Worker_TP",
            "VllmWorker rank=",
            "Available KV cache memory",
        ];
        const V0: &[&str] = &[
            "VllmWorkerProcess",
            " worker.py:",
            "[worker.py:",
            " model_runner.py:",
            "[model_runner.py:",
            "executor_base.py",
            "gpu_executor.py",
            "llm_engine.py",
            "the current vLLM instance can use",
        ];
        if V1.iter().any(|m| line.contains(m)) {
            self.v1 += 1;
        }
        if V0.iter().any(|m| line.contains(m)) {
            self.v0 += 1;
        }
    }

    fn engine(&self) -> Option<Engine> {
        self.strong.or(match self.v0.cmp(&self.v1) {
            std::cmp::Ordering::Greater => Some(Engine::V0),
            std::cmp::Ordering::Less => Some(Engine::V1),
            std::cmp::Ordering::Equal => None,
        })
    }
}

/// A line with its wrappers taken off.
struct Line<'a> {
    /// The process prefix, without parentheses; empty when none.
    process: &'a str,
    /// Whether the line carries vLLM's header (level, or `[file.py:N]`).
    vllm: bool,
    /// What follows the header (the whole line when there is none).
    message: &'a str,
}

impl<'a> Line<'a> {
    fn split(raw: &'a str) -> Self {
        let mut s = strip_ansi_start(raw.trim_start());
        let mut process = "";
        let mut vllm = false;
        for _ in 0..6 {
            s = s.trim_start();
            // `vllm-llm-1  | …` (docker compose).
            if let Some(bar) = s.find('|') {
                let name = s[..bar].trim_end();
                if bar < 64
                    && !name.is_empty()
                    && name
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
                {
                    s = &s[bar + 1..];
                    continue;
                }
            }
            // `2025-04-29T00:57:50.123Z` / `2026-02-02 18:25:03,837`.
            if s.len() > 10
                && s.as_bytes()[..4].iter().all(u8::is_ascii_digit)
                && s.as_bytes()[4] == b'-'
            {
                let (first, rest) = s.split_once(' ').unwrap_or((s, ""));
                s = rest;
                if !first.contains('T') && rest.starts_with(|c: char| c.is_ascii_digit()) {
                    s = rest.split_once(' ').map_or("", |(_, r)| r);
                }
                continue;
            }
            if s.starts_with('(') {
                if let Some(close) = cut(s, 160).find(')') {
                    if s[..close].contains("pid=") {
                        process = &s[1..close];
                        s = strip_ansi_start(&s[close + 1..]);
                        continue;
                    }
                }
            }
            // `[rank0]:`, `[Stage-0]` tags.
            if s.starts_with('[') {
                if let Some(close) = cut(s, 40).find(']') {
                    if !s[..close].contains(".py") {
                        s = s[close + 1..].strip_prefix(':').unwrap_or(&s[close + 1..]);
                        continue;
                    }
                }
            }
            break;
        }
        let s = s.trim_start();
        // Level, `mm-dd`, `hh:mm:ss`, then `[file.py:N]` or `file.py:N]`.
        let mut rest = s;
        for level in ["DEBUG", "INFO", "WARNING", "WARN", "ERROR", "CRITICAL"] {
            if let Some(r) = rest.strip_prefix(level) {
                if r.starts_with(' ') {
                    rest = r.trim_start();
                    vllm = true;
                    break;
                }
            }
        }
        if vllm {
            let word = |r: &'a str| {
                r.split_once(' ')
                    .map_or((r, ""), |(w, t)| (w, t.trim_start()))
            };
            let (w, t) = word(rest);
            if w.len() == 5 && w.as_bytes()[2] == b'-' {
                rest = t;
                let (w, t) = word(rest);
                if w.len() >= 8 && w.as_bytes()[2] == b':' {
                    rest = t;
                }
            }
        }
        let (w, t) = rest.split_once(' ').unwrap_or((rest, ""));
        if w.ends_with(']') && w.contains(".py:") {
            vllm = true;
            rest = t.trim_start();
        }
        Line {
            process,
            vllm,
            message: rest,
        }
    }
}

/// Drops ANSI colour escapes at the start of `s` (vLLM colours the
/// process prefix).
fn strip_ansi_start(mut s: &str) -> &str {
    while let Some(r) = s.strip_prefix('\u{1b}') {
        let end = r
            .find(|c: char| c.is_ascii_alphabetic())
            .map_or(r.len(), |i| i + 1);
        s = &r[end..];
    }
    s
}

/// Reads one line into `log`; whether anything was read.
fn read_line(log: &mut VllmLog, votes: &mut Votes, line: &Line) -> bool {
    let m = line.message;
    let mut read = read_settings(log, votes, m);
    read |= read_errors(log, line);
    if is_settings_line(m) {
        // Its `gpu_memory_utilization=…` is a setting, not a rank's figure.
        return read;
    }
    // Figures, by what they are printed after.
    let mut figures = Figures::default();
    for &(label, field) in LABELS {
        if let Some(at) = m.find(label) {
            let after = skip_words(&m[at + label.len()..]);
            let value = match field {
                Field::Utilization => read_f64(after).map(|(v, _)| Value::Ratio(v)),
                _ => read_size(after).map(|(v, _)| Value::Bytes(v)),
            };
            if let Some(v) = value {
                figures.set(field, v);
            }
        }
    }
    if let Some(rest) = after(m, "the current vLLM instance can use") {
        let value = read_size(skip_words(rest))
            .or_else(|| rest.find("= ").and_then(|i| read_size(&rest[i + 2..])));
        if let Some((v, _)) = value {
            figures.set(Field::Requested, Value::Bytes(v));
        }
    }
    if let Some(rest) = after(m, "Free memory on device (") {
        if let Some((free, r)) = read_f64(rest) {
            if let Some((total, _)) = r.strip_prefix('/').and_then(read_size) {
                figures.set(Field::Total, Value::Bytes(total));
                figures.set(
                    Field::Free,
                    Value::Bytes(size_in_unit_of(free, r.strip_prefix('/').unwrap_or(""))),
                );
            }
        }
    }
    if let Some(rest) = after(m, "Desired GPU memory utilization is (") {
        if let Some((u, r)) = read_f64(rest) {
            figures.set(Field::Utilization, Value::Ratio(u));
            if let Some((req, _)) = r.strip_prefix(',').and_then(read_size) {
                figures.set(Field::Requested, Value::Bytes(req));
            }
        }
    }
    if let Some(rest) = after(m, "Actual usage is ") {
        for part in rest.split(", ") {
            let part = part.trim_start_matches("and ");
            if let Some((v, r)) = read_size(part) {
                let field = if r.starts_with(" for weight") {
                    Some(Field::Weights)
                } else if r.starts_with(" for peak activation") {
                    Some(Field::Activation)
                } else if r.starts_with(" for non-torch") {
                    Some(Field::NonTorch)
                } else if r.starts_with(" for CUDAGraph") {
                    Some(Field::CudaGraph)
                } else {
                    None
                };
                if let Some(f) = field {
                    figures.set(f, Value::Bytes(v));
                }
            }
        }
    }
    if let Some(rest) = after(m, "CUDA graph pool memory:") {
        if let Some((v, r)) = read_size(rest) {
            figures.set(Field::CudaGraph, Value::Bytes(v));
            if let Some((e, _)) = r.split_once(", ").and_then(|(_, e)| read_size(e)) {
                figures.set(Field::CudaGraphEstimate, Value::Bytes(e));
            }
        }
    }
    if let Some(rest) = after(m, "Graph capturing finished in") {
        if let Some(took) = after(rest, "took") {
            if let Some((v, _)) = read_size(took) {
                figures.set(Field::CudaGraph, Value::Bytes(v));
            }
        }
    }
    if let Some(rest) = after(m, "GPU KV cache size:") {
        if let Some((v, _)) = read_u64(rest) {
            figures.tokens = Some(v);
        }
    }
    if let Some(rest) = after(m, "Maximum concurrency for ") {
        if let Some((l, r)) = read_u64(rest) {
            if let Some((x, _)) = after(r, "per request:").and_then(read_f64) {
                figures.concurrency = Some(Concurrency {
                    tokens_per_request: l,
                    times: x,
                });
            }
        }
    }
    let lower = m.to_ascii_lowercase();
    for label in ["# gpu blocks:", "# cuda blocks:", "num_gpu_blocks is:"] {
        if let Some((v, _)) = after(&lower, label).and_then(read_u64) {
            figures.gpu_blocks = Some(v);
        }
    }
    if figures.gpu_blocks.is_none() && lower.starts_with("gpu blocks:") {
        figures.gpu_blocks = read_u64(&lower["gpu blocks:".len()..]).map(|(v, _)| v);
    }
    if let Some((v, _)) = after(&lower, "# cpu blocks:").and_then(read_u64) {
        figures.cpu_blocks = Some(v);
    }
    if let Some(rest) = after(m, "initialized with a budget of ") {
        if let Some((budget, r)) = read_u64(rest) {
            let (items, modality) = match after(r, "profiled with ").and_then(read_u64) {
                Some((n, r)) => (Some(n), r.split_whitespace().next().map(str::to_string)),
                None => (None, None),
            };
            figures.encoder = Some(EncoderCache {
                budget_tokens: budget,
                items,
                modality,
            });
        }
    }
    if let Some(rest) = after(m, "device_name=") {
        let end = rest.find([',', '.', '\'', ']', ' ']).unwrap_or(rest.len());
        if end > 0 {
            figures.gpu_name = Some(rest[..end].replace('_', " "));
        }
    }
    if !figures.is_empty() {
        store(log, line.process, figures);
        read = true;
    }
    read || is_known_noise(m)
}

fn is_settings_line(m: &str) -> bool {
    m.contains("with config:") || m.contains("non-default args:") || m.contains("Namespace(")
}

/// Messages that carry nothing to read but are understood.
fn is_known_noise(m: &str) -> bool {
    m.starts_with("Memory profiling takes")
        || m.starts_with("Memory profiling results")
        || m.starts_with("duration ")
}

/// Where each labelled figure goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Field {
    Total,
    Free,
    Utilization,
    Requested,
    WeightsLoaded,
    Weights,
    Activation,
    NonTorch,
    PeakTorch,
    Kv,
    CudaGraph,
    CudaGraphEstimate,
}

/// `label` then (after `:`, `=`, `(`, blanks, `take(s)`, `is`) a figure.
const LABELS: &[(&str, Field)] = &[
    ("Model loading took", Field::WeightsLoaded),
    ("Loading model weights took", Field::WeightsLoaded),
    ("model weights take", Field::Weights),
    ("non_torch_memory", Field::NonTorch),
    ("PyTorch activation peak memory", Field::Activation),
    ("the rest of the memory reserved for KV Cache is", Field::Kv),
    ("available_kv_cache_memory", Field::Kv),
    ("kv_cache_size=", Field::Kv),
    ("Available KV cache memory:", Field::Kv),
    ("Current kv cache memory in use is", Field::Kv),
    ("total_gpu_memory", Field::Total),
    ("gpu_memory_utilization", Field::Utilization),
    ("The current --gpu-memory-utilization=", Field::Utilization),
    ("peak_torch_memory", Field::PeakTorch),
    ("Estimated CUDA graph memory:", Field::CudaGraphEstimate),
    ("has a total capacity of", Field::Total),
];

enum Value {
    Bytes(i64),
    Ratio(f64),
}

#[derive(Default)]
struct Figures {
    sizes: Vec<(Field, i64)>,
    utilization: Option<f64>,
    tokens: Option<u64>,
    concurrency: Option<Concurrency>,
    gpu_blocks: Option<u64>,
    cpu_blocks: Option<u64>,
    encoder: Option<EncoderCache>,
    gpu_name: Option<String>,
}

impl Figures {
    fn set(&mut self, field: Field, value: Value) {
        match value {
            Value::Ratio(u)
                if field == Field::Utilization && u.is_finite() && (0.0..=1.0).contains(&u) =>
            {
                self.utilization = Some(u);
            }
            Value::Bytes(b) if field != Field::Utilization => self.sizes.push((field, b)),
            _ => {}
        }
    }

    fn is_empty(&self) -> bool {
        self.sizes.is_empty()
            && self.utilization.is_none()
            && self.tokens.is_none()
            && self.concurrency.is_none()
            && self.gpu_blocks.is_none()
            && self.cpu_blocks.is_none()
            && self.encoder.is_none()
            && self.gpu_name.is_none()
    }
}

fn store(log: &mut VllmLog, process: &str, f: Figures) {
    let at = match log.ranks.iter().position(|r| r.process == process) {
        Some(at) => at,
        None if log.ranks.len() < MAX_RANKS => {
            log.ranks.push(Rank {
                process: process.to_string(),
                rank: rank_of(process),
                pid: after(process, "pid=")
                    .and_then(read_u64)
                    .and_then(|(p, _)| u32::try_from(p).ok()),
                ..Rank::default()
            });
            log.ranks.len() - 1
        }
        None => return,
    };
    let r = &mut log.ranks[at];
    for (field, v) in f.sizes {
        let slot = match field {
            Field::Total => &mut r.total_bytes,
            Field::Free => &mut r.free_bytes,
            Field::Requested => &mut r.requested_bytes,
            Field::WeightsLoaded => &mut r.weights_loaded_bytes,
            Field::Weights => &mut r.weights_bytes,
            Field::Activation => &mut r.activation_bytes,
            Field::NonTorch => &mut r.non_torch_bytes,
            Field::PeakTorch => &mut r.peak_torch_bytes,
            Field::Kv => &mut r.kv_cache_bytes,
            Field::CudaGraph => &mut r.cuda_graph_bytes,
            Field::CudaGraphEstimate => &mut r.cuda_graph_estimate_bytes,
            Field::Utilization => continue,
        };
        *slot = Some(v);
    }
    set(&mut r.gpu_memory_utilization, f.utilization);
    set(&mut r.kv_cache_tokens, f.tokens);
    set(&mut r.max_concurrency, f.concurrency);
    set(&mut r.num_gpu_blocks, f.gpu_blocks);
    set(&mut r.num_cpu_blocks, f.cpu_blocks);
    set(&mut r.encoder_cache, f.encoder);
    set(&mut r.gpu_name, f.gpu_name);
}

fn set<T>(slot: &mut Option<T>, value: Option<T>) {
    if value.is_some() {
        *slot = value;
    }
}

/// `rank=N` or `TPn` (`Worker_TP1`, `VllmWorker TP1`) in a process prefix.
fn rank_of(process: &str) -> Option<u32> {
    if let Some(r) = after(process, "rank=") {
        return read_u64(r).and_then(|(v, _)| u32::try_from(v).ok());
    }
    let at = process.find("TP")?;
    let digits: String = process[at + 2..]
        .chars()
        .take_while(char::is_ascii_digit)
        .take(9)
        .collect();
    digits.parse().ok()
}

fn read_settings(log: &mut VllmLog, votes: &mut Votes, m: &str) -> bool {
    let mut read = false;
    if let Some(rest) = after(m, "vLLM API server version ") {
        log.version = rest.split_whitespace().next().map(str::to_string);
        read = true;
    } else if m.contains('█') {
        if let Some(rest) = after(m, "version ") {
            log.version = rest.split_whitespace().next().map(str::to_string);
            read = true;
        }
    }
    if let Some(at) = m.find("LLM engine") {
        let before = &m[..at];
        let engine = if before.ends_with("V1 ") {
            Some(Engine::V1)
        } else if before.ends_with("V0 ") || before.ends_with("an ") {
            Some(Engine::V0)
        } else {
            None
        };
        if engine.is_some() && before.contains("Initializing") {
            votes.strong = engine;
            read = true;
            if let Some(v) = after(&m[at..], "(v") {
                let end = v.find(')').unwrap_or(v.len());
                log.version = Some(v[..end].to_string());
            }
        }
    }
    if let Some(rest) = after(m, "with config:") {
        read_items(log, rest, true);
        read = true;
    } else if let Some(rest) = after(m, "non-default args:") {
        let rest = rest.trim_start();
        let body = if rest.starts_with('{') {
            bracketed(rest, 0)
        } else {
            rest
        };
        read_items(log, body, true);
        read = true;
    } else if let Some(at) = m.find("Namespace(") {
        read_items(log, bracketed(m, at + "Namespace".len()), true);
        read = true;
    }
    if let Some((v, _)) =
        after(m, "Chunked prefill is enabled with max_num_batched_tokens=").and_then(read_u64)
    {
        log.settings.max_num_batched_tokens = Some(v);
        read = true;
    }
    if let Some((v, _)) = after(m, "Using max model len ").and_then(read_u64) {
        log.settings.max_model_len = Some(v);
        read = true;
    }
    // `model_runner.py: Starting to load model /models/X...`: the model
    // when no config line named it.
    if let Some(rest) = after(m, "Starting to load model ") {
        let model = rest.trim().trim_end_matches('.').trim();
        if !model.is_empty() && log.model.is_none() {
            log.model = Some(model.to_string());
            read = true;
        }
    }
    read
}

fn read_items(log: &mut VllmLog, text: &str, overwrite: bool) {
    for item in python_items(text) {
        if let Item::Pair(key, value) = item {
            if key == "model" {
                let model = unquote(value);
                if !model.is_empty() && (overwrite || log.model.is_none()) {
                    log.model = Some(model.to_string());
                }
            } else {
                let key = if key == "max_seq_len" {
                    "max_model_len"
                } else {
                    key
                };
                log.settings.set(key, value);
            }
        }
    }
}

impl Settings {
    /// Sets the setting named `key` (vLLM's engine-argument name) from a
    /// printed or typed value; `None`, unreadable values and unknown keys
    /// are ignored. Whether `key` is one of the settings.
    pub fn set(&mut self, key: &str, raw: &str) -> bool {
        let v = unquote(raw);
        if v == "None" || v.is_empty() {
            return SETTING_KEYS.contains(&key);
        }
        match key {
            "max_model_len" => put(&mut self.max_model_len, human_int(v)),
            "tensor_parallel_size" => put(&mut self.tensor_parallel_size, small(v)),
            "pipeline_parallel_size" => put(&mut self.pipeline_parallel_size, small(v)),
            "data_parallel_size" => put(&mut self.data_parallel_size, small(v)),
            "dtype" => put(
                &mut self.dtype,
                Some(v.trim_start_matches("torch.").to_string()),
            ),
            "quantization" => put(&mut self.quantization, Some(v.to_string())),
            "kv_cache_dtype" => put(&mut self.kv_cache_dtype, Some(v.to_string())),
            "block_size" => put(&mut self.block_size, small(v)),
            "gpu_memory_utilization" => put(
                &mut self.gpu_memory_utilization,
                v.parse().ok().filter(|u: &f64| u.is_finite()),
            ),
            "max_num_seqs" => put(&mut self.max_num_seqs, human_int(v)),
            "max_num_batched_tokens" => put(&mut self.max_num_batched_tokens, human_int(v)),
            "enforce_eager" => put(&mut self.enforce_eager, boolean(v)),
            "enable_prefix_caching" => put(&mut self.enable_prefix_caching, boolean(v)),
            "cpu_offload_gb" => put(
                &mut self.cpu_offload_gb,
                v.parse().ok().filter(|g: &f64| g.is_finite()),
            ),
            "limit_mm_per_prompt" => put(&mut self.limit_mm_per_prompt, Some(v.to_string())),
            "mm_processor_kwargs" => put(&mut self.mm_processor_kwargs, Some(v.to_string())),
            "speculative_config" => put(&mut self.speculative_config, Some(v.to_string())),
            _ => false,
        }
    }

    /// Fills what `self` lacks from `other` (a command pasted with the log:
    /// what the log printed wins).
    pub fn fill_from(&mut self, other: &Settings) {
        fn fill<T: Clone>(a: &mut Option<T>, b: &Option<T>) {
            if a.is_none() {
                a.clone_from(b);
            }
        }
        fill(&mut self.max_model_len, &other.max_model_len);
        fill(&mut self.tensor_parallel_size, &other.tensor_parallel_size);
        fill(
            &mut self.pipeline_parallel_size,
            &other.pipeline_parallel_size,
        );
        fill(&mut self.data_parallel_size, &other.data_parallel_size);
        fill(&mut self.dtype, &other.dtype);
        fill(&mut self.quantization, &other.quantization);
        fill(&mut self.kv_cache_dtype, &other.kv_cache_dtype);
        fill(&mut self.block_size, &other.block_size);
        fill(
            &mut self.gpu_memory_utilization,
            &other.gpu_memory_utilization,
        );
        fill(&mut self.max_num_seqs, &other.max_num_seqs);
        fill(
            &mut self.max_num_batched_tokens,
            &other.max_num_batched_tokens,
        );
        fill(&mut self.enforce_eager, &other.enforce_eager);
        fill(
            &mut self.enable_prefix_caching,
            &other.enable_prefix_caching,
        );
        fill(&mut self.cpu_offload_gb, &other.cpu_offload_gb);
        fill(&mut self.limit_mm_per_prompt, &other.limit_mm_per_prompt);
        fill(&mut self.mm_processor_kwargs, &other.mm_processor_kwargs);
        fill(&mut self.speculative_config, &other.speculative_config);
    }
}

const SETTING_KEYS: &[&str] = &[
    "max_model_len",
    "tensor_parallel_size",
    "pipeline_parallel_size",
    "data_parallel_size",
    "dtype",
    "quantization",
    "kv_cache_dtype",
    "block_size",
    "gpu_memory_utilization",
    "max_num_seqs",
    "max_num_batched_tokens",
    "enforce_eager",
    "enable_prefix_caching",
    "cpu_offload_gb",
    "limit_mm_per_prompt",
    "mm_processor_kwargs",
    "speculative_config",
];

fn put<T>(slot: &mut Option<T>, value: Option<T>) -> bool {
    let ok = value.is_some();
    set(slot, value);
    ok
}

fn small(v: &str) -> Option<u32> {
    human_int(v).and_then(|n| u32::try_from(n).ok())
}

fn boolean(v: &str) -> Option<bool> {
    match v {
        "True" | "true" | "1" => Some(true),
        "False" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// vLLM's `human_readable_int`: `28k` = 28 000, `28K` = 28 672, `1m`,
/// `1M`, `1g`, `1G` likewise; `_` and `,` separators (`30_000`).
fn human_int(v: &str) -> Option<u64> {
    let v: String = v.chars().filter(|c| *c != '_' && *c != ',').collect();
    let (digits, mult) = match v.chars().last()? {
        'k' => (&v[..v.len() - 1], 1e3),
        'm' => (&v[..v.len() - 1], 1e6),
        'g' => (&v[..v.len() - 1], 1e9),
        'K' => (&v[..v.len() - 1], 1024.0),
        'M' => (&v[..v.len() - 1], 1024.0 * 1024.0),
        'G' => (&v[..v.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (v.as_str(), 1.0),
    };
    if mult == 1.0 {
        return digits.parse().ok();
    }
    let x: f64 = digits.parse().ok()?;
    let n = x * mult;
    (n.is_finite() && (0.0..1e18).contains(&n)).then(|| n.round() as u64)
}

#[cfg(test)]
mod tests;
