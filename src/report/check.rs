//! "Check my setup": what a person already has — a command line, an
//! engine's load log, a GPU inventory — read into vramfit's request, the
//! plan of exactly that, and for a log its buffers next to ours, device by
//! device.
//!
//! Everything here is pure: the parsers are in `import::llama_log`,
//! `import::vllm_log`, [`super::command`] and `plan::inventory`; this module
//! recognises which one a text is for, turns what it read into a
//! [`Request`] and the [`Logged`] buffers, and compares them with the
//! [`Report`].

use serde::Serialize;

use super::{report, InputError, Report, Request};
use crate::import::llama_log::{self, BufferKind, LlamaLog, Tool};
use crate::plan::gpus::find_card;
use crate::units::MIB;

/// What a pasted or dropped text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A llama.cpp, llama-server or Ollama load log.
    LlamaLog,
    /// A vLLM startup log.
    VllmLog,
    /// `nvidia-smi`, `rocm-smi`, `system_profiler` or `--list-devices`.
    Inventory,
    /// A command line (llama.cpp, Ollama, vLLM, transformers, ExLlamaV2).
    Command,
    /// PyTorch's "CUDA out of memory" (transformers, accelerate) without a
    /// vLLM startup around it.
    TorchOom,
}

/// What a text is: a vLLM log by the lines only vLLM prints; a llama.cpp
/// or Ollama log when its reader finds buffers, devices or the model in it;
/// an inventory by the tools' headers; anything else a command line.
pub fn detect(text: &str) -> Kind {
    let has = |markers: &[&str]| markers.iter().any(|m| text.contains(m));
    let vllm = crate::import::vllm_log::parse(text);
    let figures = vllm.ranks.iter().any(|k| {
        k.weights_bytes.is_some()
            || k.weights_loaded_bytes.is_some()
            || k.kv_cache_bytes.is_some()
            || k.kv_cache_tokens.is_some()
            || k.activation_bytes.is_some()
            || k.total_bytes.is_some()
            || k.num_gpu_blocks.is_some()
    });
    // PyTorch's own out-of-memory message, outside any vLLM startup.
    let oom_only = !vllm.errors.is_empty()
        && vllm.errors.iter().all(|e| {
            matches!(
                e.kind,
                crate::import::vllm_log::ErrorKind::OutOfMemory { .. }
            )
        })
        && vllm.version.is_none()
        && !text.contains("vllm")
        && !text.contains("vLLM");
    if oom_only {
        return Kind::TorchOom;
    }
    if figures || vllm.version.is_some() || !vllm.errors.is_empty() {
        return Kind::VllmLog;
    }
    if has(&[
        "NVIDIA-SMI",
        "memory.total",
        "VRAM Total Memory",
        "Chipset Model:",
        "Available devices:",
    ]) {
        return Kind::Inventory;
    }
    let log = llama_log::parse(text);
    if !log.buffers.is_empty()
        || !log.hparams.is_empty()
        || !log.metadata.is_empty()
        || log.ollama.is_some()
        || (!log.devices.is_empty() && !text.contains("MiB free)"))
    {
        return Kind::LlamaLog;
    }
    if has(&["MiB free)"]) {
        Kind::Inventory
    } else {
        Kind::Command
    }
}

/// Buffers of one device as a log printed them, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoggedBuffers {
    pub weights_bytes: Option<u64>,
    pub kv_bytes: Option<u64>,
    pub compute_bytes: Option<u64>,
}

/// One GPU of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LoggedDevice {
    pub name: String,
    #[serde(flatten)]
    pub buffers: LoggedBuffers,
}

/// What a log says was allocated, and the settings it shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Logged {
    /// GPUs in the engine's order (CUDA0, CUDA1…).
    pub devices: Vec<LoggedDevice>,
    /// Host buffers: CPU / mapped model buffers, host KV, the pinned
    /// (`CUDA_Host`) compute buffer.
    pub host: LoggedBuffers,
    /// vLLM's startup numbers, per rank as the plan's `vllm` object names them.
    pub vllm: Option<serde_json::Value>,
    /// The settings read (n_ctx, n_seq, n_ubatch, flash attention, KV
    /// types, layers offloaded, utilisation…), as printed.
    pub settings: Vec<(String, String)>,
    /// The architecture read (arch, n_layer, n_embd…), as printed.
    pub model: Vec<(String, String)>,
    /// Errors the engine printed (out of memory, refused to start).
    pub errors: Vec<String>,
}

/// One row of the comparison: a buffer on a device, logged and ours.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Row {
    /// `weights`, `kv` or `compute`.
    pub buffer: &'static str,
    /// The device as the plan names it (`GPU 0 (…)`, `host`).
    pub device: String,
    pub logged_bytes: u64,
    pub predicted_bytes: u64,
}

impl Row {
    /// Predicted − logged.
    pub fn diff_bytes(&self) -> i64 {
        self.predicted_bytes as i64 - self.logged_bytes as i64
    }
}

/// A checked setup: what was read, the plan of it and how they compare.
#[derive(Debug, Clone, Serialize)]
pub struct Check {
    pub kind: Kind,
    /// The request the text amounts to (editable afterwards: the what-ifs).
    pub request: Request,
    /// For a log: what it printed.
    pub logged: Option<Logged>,
    /// For a log: buffer × device, logged against the plan's (none while
    /// the model is unknown).
    pub rows: Vec<Row>,
    /// Whether the text says which model (else the request keeps `base`'s).
    pub model_known: bool,
    /// For a llama.cpp log: what the logged sizes allow, not our estimates.
    pub what_if: Option<WhatIf>,
    /// What was read but means nothing to vramfit, or was assumed.
    pub notes: Vec<String>,
}

impl Check {
    /// The plan of the request read.
    pub fn report(&self) -> Result<Report, InputError> {
        report(&self.request)
    }
}

/// Reads a pasted or dropped text. `base` supplies what the text does not
/// say (the GPUs a command line does not name); with `model_given`, its
/// model is the one to compare a log with when the log does not name it.
pub fn check(text: &str, base: &Request, model_given: bool) -> Check {
    match detect(text) {
        Kind::LlamaLog => check_llama_log(&llama_log::parse(text), base, model_given),
        Kind::Inventory => {
            let gpus = crate::plan::inventory::parse_inventory(text);
            let mut request = base.clone();
            let mut notes = Vec::new();
            if gpus.is_empty() {
                notes.push("no GPU found in the inventory: the GPUs field is kept".into());
            } else {
                request.set("gpus", crate::plan::inventory::to_gpu_list(&gpus));
            }
            Check {
                kind: Kind::Inventory,
                request,
                logged: None,
                rows: Vec::new(),
                model_known: false,
                what_if: None,
                notes,
            }
        }
        Kind::Command => {
            let parsed = super::command::parse_command(text);
            let mut request = parsed.request;
            let mut notes = parsed.notes;
            // GPUs the person gave win over a count the command implies.
            if base.gpus != Request::default().gpus {
                request.set("gpus", base.gpus.clone());
                notes.retain(|n| !n.contains("GPUs"));
            }
            if !parsed.ignored.is_empty() {
                notes.push(format!("not used: {}", parsed.ignored.join(" ")));
            }
            Check {
                kind: Kind::Command,
                request,
                logged: None,
                rows: Vec::new(),
                model_known: parsed.model_ref.is_some(),
                what_if: None,
                notes,
            }
        }
        Kind::VllmLog => check_vllm_log(&crate::import::vllm_log::parse(text), base, model_given),
        Kind::TorchOom => check_torch_oom(&crate::import::vllm_log::parse(text), base),
    }
}

/// A llama.cpp or Ollama load log: the model it describes (its loader's
/// metadata or hyperparameters, else the catalog model of those shapes),
/// its settings, devices and layer split as a request, and its buffers.
pub fn check_llama_log(log: &LlamaLog, base: &Request, model_given: bool) -> Check {
    let mut notes = Vec::new();
    let mut model_known = true;
    // The command line the log quotes (or that was pasted with it) gives
    // what the log's lines do not: the file, -ub, -np, -ts…; the lines win.
    let quoted = log.command.as_ref().map(|c| {
        let mut words = vec![c.program.clone()];
        for (flag, value) in &c.flags {
            words.push(flag.clone());
            words.extend(value.clone());
        }
        super::command::parse_command(&words.join(" "))
    });
    let from_command = quoted.as_ref().is_some_and(|q| q.model_ref.is_some());
    let mut r = match &quoted {
        Some(q) if from_command => {
            let mut r = q.request.clone();
            if base.gpus != Request::default().gpus {
                r.set("gpus", base.gpus.clone());
            }
            notes.push("the command line in the log gives the settings its lines do not".into());
            r
        }
        _ => base.clone(),
    };
    r.set(
        "engine",
        match log.tool {
            Tool::Ollama => "ollama",
            Tool::LlamaCpp => "llama.cpp",
        }
        .into(),
    );
    // The model.
    match llama_log::model_document(log) {
        Ok(m) => {
            r.set("config", m.document);
            if let Some(ftype) = m.ftype {
                r.set("weights", ftype.name().to_ascii_lowercase());
            }
            if !m.missing.is_empty() {
                notes.push(format!(
                    "the log does not show {}: the reader's defaults stand in",
                    m.missing.join(", ")
                ));
            }
            notes.extend(m.warnings);
        }
        Err(e) if from_command => notes.push(format!(
            "the log does not describe the whole model ({e}): the model is the command's, {}",
            r.model
        )),
        Err(e) => match catalog_by_shape(log) {
            Some(id) => {
                r.set("config", String::new());
                r.set("model", id.into());
                notes.push(format!(
                    "the log does not describe the whole model ({e}); its shapes are the catalog's {id}"
                ));
            }
            None if model_given => {
                notes.push(format!(
                    "the log does not describe the whole model ({e}): compared with {}",
                    base.model
                ));
            }
            None => {
                model_known = false;
                notes.push(format!(
                    "the log does not describe the whole model ({e}): choose the model to compare with"
                ));
            }
        },
    }
    if let Some(ftype) = hparam(log, "file type").and_then(|t| ftype_of(&t)) {
        r.set("weights", ftype);
    }
    // The settings.
    let s = &log.settings;
    let n_seq = s.n_seq_max.unwrap_or(1).max(1);
    if let Some(ctx) = s.n_ctx_per_seq.or(s.n_ctx.map(|c| c / n_seq)) {
        r.set("ctx", ctx.to_string());
    }
    r.set("batch", n_seq.to_string());
    if let Some(ub) = s.n_ubatch {
        r.set("ubatch", ub.to_string());
    }
    if let Some(fa) = s.flash_attn {
        r.set("flash_attn", if fa { "on" } else { "off" }.into());
    }
    if let Some(k) = &s.type_k {
        r.set("kv", k.to_ascii_lowercase());
        if s.type_v.as_ref().is_some_and(|v| v != k) {
            notes.push(format!(
                "V is cached as {}, K as {k}: vramfit takes one cache type (K's)",
                s.type_v.as_deref().unwrap_or_default()
            ));
        }
    }
    if let Some(full) = s.swa_full {
        r.set("swa_full", if full { "on" } else { "off" }.into());
    }
    // The devices and how the layers went.
    let logged = logged_llama(log);
    let gpus = gpu_list(log);
    if !gpus.is_empty() {
        r.set("gpus", gpus.clone());
    }
    // As many GPUs as the log used, each like the first one given.
    let given = crate::plan::device::parse_gpus(&r.gpus).unwrap_or_default();
    let used = logged.devices.len();
    if gpus.is_empty() && used > 0 && given.len() != used {
        let size = given.first().map_or(24 * 1024, |g| g.capacity / MIB);
        r.set("gpus", format!("{used}x{size}MiB"));
        notes.push(format!(
            "the log used {used} GPU(s) without saying their memory: {used} × {size} MiB assumed"
        ));
    }
    if let Some((offloaded, _)) = s.offload {
        r.set("ngl", offloaded.to_string());
    } else if let Some(ngl) = layers_from_host_kv(&logged, &r) {
        r.set("ngl", ngl.to_string());
    }
    if let Some(ts) = split_from_kv(&logged, &r) {
        r.set("tensor_split", ts);
    }
    if let Some(n) = log.build.as_ref().and_then(|b| b.number) {
        r.set("llama_cpp_build", n.to_string());
        notes.push(format!(
            "logged by llama.cpp build {n}: its buffers are followed"
        ));
    } else {
        notes.push("no build line: the current release's buffers are assumed".into());
    }
    // What the comparison rests on that the text did not say.
    for (missing, what) in [
        (
            s.n_ubatch.is_none() && r.ubatch.is_empty(),
            "n_ubatch (512 assumed)",
        ),
        (s.flash_attn.is_none(), "flash attention (on assumed)"),
        (
            s.n_ctx.is_none() && s.n_ctx_per_seq.is_none(),
            "n_ctx (the request's kept)",
        ),
    ] {
        if missing {
            notes.push(format!("the log does not show {what}"));
        }
    }
    // Without the model the buffers compare with nothing.
    let rows = match (model_known, report(&r)) {
        (true, Ok(plan)) => compare(&plan, &logged),
        _ => Vec::new(),
    };
    let what_if = (!rows.is_empty()).then(|| what_if(&r, &rows)).flatten();
    Check {
        kind: Kind::LlamaLog,
        request: r,
        logged: Some(logged),
        rows,
        model_known,
        what_if,
        notes,
    }
}

/// What-ifs from the real numbers: the setup as the log ran it, with each
/// GPU's logged weights and compute in place of ours and its KV scaled by
/// logged over ours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// The longest context per sequence (multiple of 256) that would fit
    /// with the placement as logged.
    pub max_context: Option<u64>,
    /// The same with one more GPU like the first.
    pub max_context_with_another_gpu: Option<u64>,
    pub basis: String,
}

/// Per GPU (by plan name): logged − ours for weights and compute, and
/// logged / ours for the KV cache.
struct Calibration {
    devices: Vec<(String, i64, i64, f64)>,
}

impl Calibration {
    fn from_rows(rows: &[Row]) -> Calibration {
        let mut devices: Vec<(String, i64, i64, f64)> = Vec::new();
        for r in rows.iter().filter(|r| r.device != "host") {
            let at = match devices.iter().position(|d| d.0 == r.device) {
                Some(i) => i,
                None => {
                    devices.push((r.device.clone(), 0, 0, 1.0));
                    devices.len() - 1
                }
            };
            let d = &mut devices[at];
            match r.buffer {
                "weights" => d.1 = r.diff_bytes().saturating_neg(),
                "compute" => d.2 = r.diff_bytes().saturating_neg(),
                "kv" if r.predicted_bytes > 0 => {
                    d.3 = r.logged_bytes as f64 / r.predicted_bytes as f64
                }
                _ => {}
            }
        }
        Calibration { devices }
    }

    /// Whether `request` fits with the logged corrections on every GPU.
    fn fits(&self, request: &Request) -> bool {
        let Ok(plan) = report(request) else {
            return false;
        };
        plan.devices.iter().filter(|d| d.used()).all(|d| {
            let (dw, dc, kv) = self
                .devices
                .iter()
                .find(|c| c.0 == d.name)
                .map_or((0, 0, 1.0), |c| (c.1, c.2, c.3));
            let kv = (d.kv_bytes as f64 * kv) as i64;
            let total = d.total_bytes as i64 - d.kv_bytes as i64 + kv + dw + dc;
            total <= d.usable_bytes as i64
        })
    }

    /// The longest context (multiple of 256, up to `limit`) that fits.
    fn max_context(&self, request: &Request, limit: u64) -> Option<u64> {
        let at = |k: u64| {
            let mut r = request.clone();
            r.set("ctx", (k * 256).to_string());
            self.fits(&r)
        };
        let (mut lo, mut hi) = (1, (limit / 256).max(1));
        if !at(lo) {
            return None;
        }
        if at(hi) {
            return Some(hi * 256);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if at(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo * 256)
    }
}

fn what_if(request: &Request, rows: &[Row]) -> Option<WhatIf> {
    let calibration = Calibration::from_rows(rows);
    let limit = super::validate(request).ok()?.spec.n_ctx_train;
    // The placement as logged; with another GPU, the split searched anew.
    let max_context = calibration.max_context(request, limit);
    let gpus = crate::plan::device::parse_gpus(&request.gpus).ok()?;
    let another = gpus.first().map(|g| g.capacity / MIB)?;
    let mut more = request.clone();
    more.set("tensor_split", String::new());
    more.set("ngl", String::new());
    more.set("gpus", format!("{}, {another}MiB", request.gpus));
    let max_context_with_another_gpu = calibration.max_context(&more, limit);
    Some(WhatIf {
        max_context,
        max_context_with_another_gpu,
        basis: "each GPU's logged weights and compute in place of vramfit's, its KV cache scaled by logged over vramfit's".into(),
    })
}

/// A vLLM startup log: the model, flags and GPUs it shows as a request,
/// and per rank what vLLM reported (weights, activation peak, KV cache,
/// its blocks and tokens) next to vramfit's startup of that request.
pub fn check_vllm_log(
    log: &crate::import::vllm_log::VllmLog,
    base: &Request,
    model_given: bool,
) -> Check {
    let mut r = base.clone();
    let mut notes = Vec::new();
    r.set("engine", "vllm".into());
    // vLLM's weights: what `--quantization` names, else what the checkpoint
    // holds (the repository name implies it, or the engine's default).
    let quantization = log
        .settings
        .quantization
        .clone()
        .or_else(|| {
            log.command
                .as_ref()
                .and_then(|c| c.settings.quantization.clone())
        })
        .filter(|q| q.parse::<crate::estimate::WeightFormat>().is_ok());
    r.set("weights", quantization.unwrap_or_default());
    let mut settings = log.settings.clone();
    if let Some(c) = &log.command {
        settings.fill_from(&c.settings);
    }
    let mut model_known = model_given;
    let model = log
        .model
        .clone()
        .or_else(|| log.command.as_ref().and_then(|c| c.model.clone()));
    if let Some(m) = model {
        match model_reference(&m) {
            Some(id) => {
                r.set("model", id);
                r.set("config", String::new());
                model_known = true;
            }
            None if !model_given => {
                notes.push(format!(
                    "{m} is not a catalog model: choose the model to compare with"
                ));
            }
            None => {}
        }
    }
    if log.version.is_none() && log.engine == Some(crate::import::vllm_log::Engine::V0) {
        r.set("vllm_version", "0.8.0".into());
        notes.push("a V0 engine without its release: 0.8.0's accounting is assumed".into());
    }
    let set = |r: &mut Request, field: &str, v: Option<String>| {
        if let Some(v) = v {
            r.set(field, v);
        }
    };
    set(&mut r, "ctx", settings.max_model_len.map(|v| v.to_string()));
    set(
        &mut r,
        "batch",
        settings.max_num_seqs.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "util",
        settings.gpu_memory_utilization.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "tp",
        settings.tensor_parallel_size.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "pp",
        settings.pipeline_parallel_size.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "block_size",
        settings.block_size.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "batched_tokens",
        settings.max_num_batched_tokens.map(|v| v.to_string()),
    );
    set(
        &mut r,
        "eager",
        settings
            .enforce_eager
            .map(|e| if e { "on" } else { "off" }.to_string()),
    );
    set(&mut r, "vllm_version", log.version.clone());
    if let Some(kv) = settings
        .kv_cache_dtype
        .as_deref()
        .filter(|k| k.starts_with("fp8"))
    {
        r.set("kv", if kv.starts_with("fp8") { "fp8" } else { kv }.into());
    }
    // The GPUs: one per rank of tensor × pipeline parallelism, of the total
    // CUDA memory vLLM printed.
    // Ranks: tensor × pipeline parallelism as set, else the worker
    // processes that reported weights.
    let reporting = log
        .ranks
        .iter()
        .filter(|k| k.weights_bytes.is_some() || k.weights_loaded_bytes.is_some())
        .count() as u32;
    let ranks = match (
        settings.tensor_parallel_size,
        settings.pipeline_parallel_size,
    ) {
        (None, None) if reporting > 1 => {
            r.set("tp", reporting.to_string());
            reporting
        }
        (tp, pp) => (tp.unwrap_or(1) * pp.unwrap_or(1)).max(1),
    };
    let total = log.first(|rank| rank.total_bytes).filter(|&b| b > 0);
    let card = log
        .first(|rank| rank.gpu_name.clone())
        .and_then(|n| find_card(&n))
        .map(|c| c.id.clone());
    match (card, total) {
        (Some(card), _) => {
            r.set("gpus", format!("{ranks}x{card}"));
        }
        (None, Some(total)) => {
            r.set("gpus", format!("{ranks}x{}MiB", total as u64 / MIB));
        }
        _ => {
            let given = crate::plan::device::parse_gpus(&r.gpus).unwrap_or_default();
            if given.len() != ranks as usize {
                let size = given.first().map_or(24 * 1024, |g| g.capacity / MIB);
                r.set("gpus", format!("{ranks}x{size}MiB"));
                notes.push(format!(
                    "the log does not show the GPUs' memory: {ranks} × {size} MiB assumed"
                ));
            } else {
                notes.push("the log does not show the GPUs' memory: the GPUs field is kept".into());
            }
        }
    }
    // What vLLM reported, per rank that printed it.
    let gpu_ranks: Vec<&crate::import::vllm_log::Rank> = log
        .ranks
        .iter()
        .filter(|k| {
            k.weights_bytes.is_some() || k.kv_cache_bytes.is_some() || k.activation_bytes.is_some()
        })
        .collect();
    let pos = |v: Option<i64>| v.map(|b| b.max(0) as u64);
    let devices = gpu_ranks
        .iter()
        .map(|k| LoggedDevice {
            name: k.process.clone(),
            buffers: LoggedBuffers {
                weights_bytes: pos(k.weights_bytes.or(k.weights_loaded_bytes)),
                kv_bytes: pos(k.kv_cache_bytes),
                compute_bytes: k
                    .activation_bytes
                    .map(|a| (a + k.cuda_graph_bytes.unwrap_or(0)).max(0) as u64),
            },
        })
        .collect();
    let vllm = serde_json::json!({
        "version": log.version,
        "kv_cache_tokens": log.first(|k| k.kv_cache_tokens),
        "max_concurrency": log.first(|k| k.max_concurrency.as_ref().map(|c| c.times)),
        "num_gpu_blocks": log.first(|k| k.num_gpu_blocks),
        "errors": log.errors.iter().map(|e| e.message.clone()).collect::<Vec<_>>(),
    });
    let logged = Logged {
        devices,
        host: LoggedBuffers::default(),
        vllm: Some(vllm),
        settings: Vec::new(),
        model: Vec::new(),
        errors: log.errors.iter().map(|e| e.message.clone()).collect(),
    };
    let mut rows = Vec::new();
    if model_known {
        if let Ok(plan) = report(&r) {
            rows = compare(&plan, &logged);
            if let (Some(st), Some(tokens)) = (&plan.vllm, log.first(|k| k.kv_cache_tokens)) {
                rows.push(Row {
                    buffer: "kv_cache_tokens",
                    device: "vLLM".into(),
                    logged_bytes: tokens,
                    predicted_bytes: st.kv_cache_tokens,
                });
            }
        }
    }
    Check {
        kind: Kind::VllmLog,
        request: r,
        logged: Some(logged),
        rows,
        model_known,
        what_if: None,
        notes,
    }
}

/// PyTorch's out-of-memory message: the GPU it names, its total and what
/// was free, as a transformers request (the model stays the one chosen:
/// the message does not name it).
fn check_torch_oom(log: &crate::import::vllm_log::VllmLog, base: &Request) -> Check {
    let mut r = base.clone();
    r.set("engine", "transformers".into());
    r.set("weights", String::new());
    let mut notes = Vec::new();
    let mut devices = Vec::new();
    for e in &log.errors {
        if let crate::import::vllm_log::ErrorKind::OutOfMemory {
            tried_bytes,
            device,
            total_bytes,
            free_bytes,
        } = &e.kind
        {
            let d = device.unwrap_or(0) as usize;
            let gib = |b: Option<i64>| b.map_or("?".into(), |b| crate::units::gib(b.max(0) as u64));
            notes.push(format!(
                "PyTorch ran out of memory on GPU {d}: it tried to allocate {} with {} free of {}",
                gib(*tried_bytes),
                gib(*free_bytes),
                gib(*total_bytes)
            ));
            if let Some(total) = total_bytes.filter(|&t| t > 0) {
                devices.resize(devices.len().max(d + 1), total as u64);
            }
        }
    }
    if !devices.is_empty() {
        let sizes: Vec<String> = devices.iter().map(|&b| format!("{}MiB", b / MIB)).collect();
        r.set("gpus", sizes.join(","));
    }
    notes.push("the message does not name the model: the form's is kept".into());
    Check {
        kind: Kind::TorchOom,
        request: r,
        logged: None,
        rows: Vec::new(),
        model_known: false,
        what_if: None,
        notes,
    }
}

/// A model as vLLM names it — a repository id, a local path or a Hugging
/// Face cache folder (`models--Org--Name`) — as something the catalog
/// resolves: the whole, else its last path part.
fn model_reference(m: &str) -> Option<String> {
    let trimmed = m.trim().trim_end_matches('/');
    let last = trimmed.rsplit(['/', '\\']).next().unwrap_or(trimmed);
    let cache = last
        .strip_prefix("models--")
        .map(|rest| rest.replacen("--", "/", 1));
    [Some(trimmed.to_string()), cache, Some(last.to_string())]
        .into_iter()
        .flatten()
        .find(|c| crate::estimate::names::resolve(c).is_ok())
}

/// The `-ts` that makes llama.cpp give each GPU the layers its logged KV
/// buffer holds: layer counts from the KV shares, then each split point in
/// the middle of the slot llama.cpp's `load_tensors` puts it in (layer `i`
/// of `n_layer + 1` goes to the first GPU whose cumulative share exceeds
/// `i / (n_layer + 1)`).
fn split_from_kv(logged: &Logged, r: &Request) -> Option<String> {
    let kv: Vec<u64> = logged
        .devices
        .iter()
        .map(|d| d.buffers.kv_bytes.unwrap_or(0))
        .collect();
    if kv.len() < 2 || kv.contains(&0) {
        return None;
    }
    let n_layer = super::validate(r).ok()?.spec.n_layer() as f64;
    let total: u64 = kv.iter().sum();
    let mut counts: Vec<f64> = kv
        .iter()
        .map(|&b| (n_layer * b as f64 / total as f64).round())
        .collect();
    // The output layer goes with the last GPU's.
    if let Some(last) = counts.last_mut() {
        *last += 1.0;
    }
    let slots = n_layer + 1.0;
    let mut cumulative = 0.0;
    let mut previous = 0.0;
    let mut shares = Vec::new();
    for (j, c) in counts.iter().enumerate() {
        cumulative += c;
        let point = if j + 1 == counts.len() {
            1.0
        } else {
            (cumulative - 0.5) / slots
        };
        shares.push(format!("{:.4}", (point - previous).max(0.0)));
        previous = point;
    }
    Some(shares.join(","))
}

/// `-ngl` from where the KV went when the log does not print the offload
/// line: the CPU's share of the cache is its share of the layers (the
/// first ones), the output counted with the GPUs'.
fn layers_from_host_kv(logged: &Logged, r: &Request) -> Option<u64> {
    let host = logged.host.kv_bytes.filter(|&b| b > 0)?;
    let gpu: u64 = logged
        .devices
        .iter()
        .filter_map(|d| d.buffers.kv_bytes)
        .sum();
    if gpu == 0 {
        return None;
    }
    let n_layer = super::validate(r).ok()?.spec.n_layer() as f64;
    let cpu = (n_layer * host as f64 / (host + gpu) as f64).round() as u64;
    Some(n_layer as u64 + 1 - cpu)
}

/// A `print_info` value by key.
fn hparam(log: &LlamaLog, key: &str) -> Option<String> {
    log.hparams
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// `Q4_K - Medium` → `q4_k_m` (llama.cpp's `llama_model_ftype_name`).
fn ftype_of(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_lowercase();
    let (base, size) = match t.split_once(" - ") {
        Some((b, s)) => (b.trim().to_string(), s.trim().to_string()),
        None => (t.split_whitespace().next()?.to_string(), String::new()),
    };
    let suffix = match size.as_str() {
        "small" => "_s",
        "medium" => "_m",
        "large" => "_l",
        "extra small" => "_xs",
        "extra extra small" => "_xxs",
        _ => "",
    };
    let id = format!("{base}{suffix}");
    id.parse::<crate::estimate::WeightFormat>()
        .is_ok()
        .then_some(id)
}

/// The first catalog model whose shapes are the log's hyperparameters.
fn catalog_by_shape(log: &LlamaLog) -> Option<&'static str> {
    // A print_info value, else the loader's metadata key it prints.
    let meta = |suffix: &str| {
        log.metadata.iter().find_map(|(k, v)| match v {
            crate::import::gguf::Value::Uint(n) if k.ends_with(suffix) => Some(*n),
            crate::import::gguf::Value::Array { len, .. } if k.ends_with(suffix) => Some(*len),
            _ => None,
        })
    };
    let num = |key: &str| {
        hparam(log, key)
            .and_then(|v| v.trim().parse::<u64>().ok())
            .or_else(|| {
                let suffix = match key {
                    "n_layer" => ".block_count",
                    "n_embd" => ".embedding_length",
                    "n_head" => ".attention.head_count",
                    "n_head_kv" => ".attention.head_count_kv",
                    "n_vocab" => "tokenizer.ggml.tokens",
                    "n_expert" => ".expert_count",
                    _ => return None,
                };
                meta(suffix)
            })
    };
    let n_layer = num("n_layer")?;
    let n_embd = num("n_embd")?;
    let (n_head, n_head_kv, n_vocab) = (num("n_head"), num("n_head_kv"), num("n_vocab"));
    let n_expert = num("n_expert");
    let arch = hparam(log, "arch").or_else(|| {
        log.metadata.iter().find_map(|(k, v)| match v {
            crate::import::gguf::Value::Str(a) if k == "general.architecture" => Some(a.clone()),
            _ => None,
        })
    });
    let squash = |t: &str| t.to_ascii_lowercase().replace(['_', '-'], "");
    // The file's own name (`general.name`, `general.basename`) breaks ties.
    let name: String = log
        .metadata
        .iter()
        .filter(|(k, _)| k == "general.name" || k == "general.basename" || k == "general.finetune")
        .filter_map(|(_, v)| match v {
            crate::import::gguf::Value::Str(t) => Some(t.to_ascii_lowercase()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join(" ");
    let unnamed = |id: &str| id.split('-').filter(|part| !name.contains(part)).count();
    // A text model before a vision-language one of the same shapes, and
    // one of the log's architecture before any other.
    let matches: Vec<(bool, bool, usize, &'static str)> = crate::estimate::catalog::MODELS
        .iter()
        .filter_map(|m| {
            let spec = m.load().ok()?.spec;
            let a = spec.first_attention()?;
            let other_arch = arch
                .as_ref()
                .is_some_and(|arch| squash(arch) != squash(&spec.model_type));
            let same = spec.n_layer() as u64 == n_layer
                && spec.n_embd == n_embd
                && n_head.is_none_or(|h| h == a.n_head)
                && n_head_kv.is_none_or(|h| h == a.n_head_kv())
                && n_vocab.is_none_or(|v| v == spec.n_vocab)
                && n_expert.is_none_or(|e| e == spec.moe.map_or(0, |m| m.n_expert));
            same.then_some((other_arch, spec.vision.is_some(), unnamed(m.id), m.id))
        })
        .collect();
    matches
        .iter()
        .min_by_key(|(other_arch, vision, unnamed, _)| (*other_arch, *vision, *unnamed))
        .map(|(_, _, _, id)| *id)
}

/// The GPUs a log announces, in vramfit's GPU-list syntax: the catalog
/// card when the name is one (with what was already in use), else the
/// size.
fn gpu_list(log: &LlamaLog) -> String {
    log.devices
        .iter()
        .filter(|d| !d.backend.eq_ignore_ascii_case("cpu"))
        .filter_map(|d| {
            let used = match (d.total_bytes, d.free_bytes) {
                (Some(t), Some(f)) if t > f => Some(t - f),
                _ => None,
            };
            match (find_card(&d.name), d.total_bytes, d.free_bytes) {
                (Some(card), _, _) => Some(match used {
                    Some(u) => format!("{}:{}MiB", card.id, u / MIB),
                    None => card.id.clone(),
                }),
                (None, Some(total), _) => Some(format!("{}MiB", total / MIB)),
                (None, None, Some(free)) => Some(format!("{}MiB", free / MIB)),
                _ => None,
            }
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// The log's buffers by GPU (in the backend's order) and host.
fn logged_llama(log: &LlamaLog) -> Logged {
    let mut devices: Vec<(u32, LoggedDevice)> = Vec::new();
    let mut host = LoggedBuffers::default();
    let add = |slot: &mut Option<u64>, bytes: u64| *slot = Some(slot.unwrap_or(0) + bytes);
    for b in &log.buffers {
        let target = match gpu_index(&b.device) {
            Some(i) => {
                if !devices.iter().any(|(k, _)| *k == i) {
                    devices.push((
                        i,
                        LoggedDevice {
                            name: b.device.clone(),
                            ..LoggedDevice::default()
                        },
                    ));
                }
                &mut devices.iter_mut().find(|(k, _)| *k == i).unwrap().1.buffers
            }
            None => &mut host,
        };
        match b.kind {
            BufferKind::Model => add(&mut target.weights_bytes, b.bytes),
            BufferKind::Kv | BufferKind::Rs => add(&mut target.kv_bytes, b.bytes),
            BufferKind::Compute | BufferKind::Output | BufferKind::Input => {
                add(&mut target.compute_bytes, b.bytes)
            }
        }
    }
    devices.sort_by_key(|(i, _)| *i);
    // A device whose only KV line is its sliding-window cache's: the
    // excerpt lost the rest, so its KV is not known.
    for (i, d) in devices.iter_mut() {
        let own =
            |b: &&llama_log::Buffer| b.kind == BufferKind::Kv && gpu_index(&b.device) == Some(*i);
        let lines: Vec<_> = log.buffers.iter().filter(own).collect();
        if !lines.is_empty() && lines.iter().all(|b| b.swa) && log.caches.iter().any(|c| !c.swa) {
            d.buffers.kv_bytes = None;
        }
    }
    let settings = [
        ("n_ctx", log.settings.n_ctx),
        ("n_ctx_per_seq", log.settings.n_ctx_per_seq),
        ("n_seq_max", log.settings.n_seq_max),
        ("n_batch", log.settings.n_batch),
        ("n_ubatch", log.settings.n_ubatch),
        ("n_copies", log.settings.n_copies),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| (k.to_string(), v.to_string())))
    .chain(
        log.settings
            .flash_attn
            .map(|fa| ("flash_attn".to_string(), fa.to_string())),
    )
    .chain(
        log.settings
            .type_k
            .clone()
            .map(|t| ("type_k".to_string(), t)),
    )
    .chain(
        log.settings
            .type_v
            .clone()
            .map(|t| ("type_v".to_string(), t)),
    )
    .chain(
        log.settings
            .offload
            .map(|(a, b)| ("offloaded".to_string(), format!("{a}/{b}"))),
    )
    .collect();
    Logged {
        devices: devices.into_iter().map(|(_, d)| d).collect(),
        host,
        vllm: None,
        settings,
        model: log.hparams.clone(),
        errors: log.errors.clone(),
    }
}

/// The GPU a buffer type names: `CUDA1` → 1, `ROCm0`, `Vulkan0`, `MTL0`,
/// `Metal` → 0; `None` for host buffers (`CPU`, `CUDA_Host`, `CPU_Mapped`…).
fn gpu_index(device: &str) -> Option<u32> {
    if device == "Metal" {
        return Some(0);
    }
    let lower = device.to_ascii_lowercase();
    if lower.contains("host") || lower.starts_with("cpu") || lower.starts_with("rpc") {
        return None;
    }
    // `MTL0_Mapped`: the device's mapped model buffer.
    let name = device.split('_').next().unwrap_or(device);
    let digits = name.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    digits.parse().ok()
}

/// Buffer × device rows for the buffers the log printed: the plan's GPU
/// devices in order against the log's, and the host.
pub fn compare(plan: &Report, logged: &Logged) -> Vec<Row> {
    let mut rows = Vec::new();
    let mut add = |buffer: &'static str, device: &str, logged: Option<u64>, ours: u64| {
        if let Some(logged) = logged {
            rows.push(Row {
                buffer,
                device: device.to_string(),
                logged_bytes: logged,
                predicted_bytes: ours,
            });
        }
    };
    for (d, l) in plan.devices.iter().zip(&logged.devices) {
        add("weights", &d.name, l.buffers.weights_bytes, d.weights_bytes);
        add("kv", &d.name, l.buffers.kv_bytes, d.kv_bytes);
        add("compute", &d.name, l.buffers.compute_bytes, d.compute_bytes);
    }
    let h = &logged.host;
    add("weights", "host", h.weights_bytes, plan.host.weights_bytes);
    add("kv", "host", h.kv_bytes, plan.host.kv_bytes);
    add("compute", "host", h.compute_bytes, plan.host.compute_bytes);
    rows
}

/// `vramfit check --json` (and the JS API's `check`): the plan's JSON
/// (or `{error, field}` when what was read does not plan) with `kind`,
/// `request`, `logged`, `diff` and `notes`.
pub fn check_json(c: &Check) -> serde_json::Value {
    let mut out = match c.report() {
        Ok(r) => serde_json::to_value(&r).unwrap_or_default(),
        Err(e) => serde_json::json!({ "error": e.to_string(), "field": e.field() }),
    };
    if let Some(o) = out.as_object_mut() {
        o.insert(
            "kind".into(),
            serde_json::to_value(c.kind).unwrap_or_default(),
        );
        o.insert(
            "request".into(),
            serde_json::to_value(&c.request).unwrap_or_default(),
        );
        o.insert(
            "logged".into(),
            serde_json::to_value(&c.logged).unwrap_or_default(),
        );
        o.insert("diff".into(), diff_json(&c.rows));
        o.insert(
            "what_if".into(),
            serde_json::to_value(&c.what_if).unwrap_or_default(),
        );
        o.insert(
            "notes".into(),
            serde_json::to_value(&c.notes).unwrap_or_default(),
        );
    }
    out
}

/// `"diff"` of `vramfit check --json`: predicted − logged per field, in the
/// shape of `"logged"`.
pub fn diff_json(rows: &[Row]) -> serde_json::Value {
    let mut devices: Vec<(String, serde_json::Map<String, serde_json::Value>)> = Vec::new();
    let mut host = serde_json::Map::new();
    for r in rows {
        let key = format!("{}_bytes", r.buffer);
        let value = serde_json::Value::from(r.diff_bytes());
        if r.device == "host" {
            host.insert(key, value);
            continue;
        }
        match devices.iter_mut().find(|(name, _)| *name == r.device) {
            Some((_, fields)) => {
                fields.insert(key, value);
            }
            None => {
                let mut fields = serde_json::Map::new();
                fields.insert("name".into(), r.device.clone().into());
                fields.insert(key, value);
                devices.push((r.device.clone(), fields));
            }
        }
    }
    serde_json::json!({
        "devices": devices.into_iter().map(|(_, f)| serde_json::Value::Object(f)).collect::<Vec<_>>(),
        "host": host,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_text_is_recognised_by_what_only_it_prints() {
        let cases = [
            (
                "llama_context:      CUDA0 compute buffer size =   672.01 MiB",
                Kind::LlamaLog,
            ),
            (
                "INFO 01-16 09:40:00 worker.py:238] model weights take 19.86GiB",
                Kind::VllmLog,
            ),
            (
                "| NVIDIA-SMI 550.54.14   Driver Version: 550.54.14 |",
                Kind::Inventory,
            ),
            (
                "llama-server -m Llama-3.1-8B-Q4_K_M.gguf -c 8192 -ngl 99",
                Kind::Command,
            ),
            (
                "vllm serve meta-llama/Llama-3.1-8B --max-model-len 8192",
                Kind::Command,
            ),
        ];
        for (text, kind) in cases {
            assert_eq!(detect(text), kind, "{text}");
        }
    }

    #[test]
    fn rows_pair_the_plan_s_devices_with_the_log_s_and_diff_is_ours_minus_logged() {
        let mut r = Request::default();
        r.set("gpus", "2x24GB".into());
        let plan = report(&r).unwrap();
        let logged = Logged {
            devices: vec![
                LoggedDevice {
                    name: "CUDA0".into(),
                    buffers: LoggedBuffers {
                        compute_bytes: Some(plan.devices[0].compute_bytes + 1024),
                        ..LoggedBuffers::default()
                    },
                },
                LoggedDevice::default(),
            ],
            host: LoggedBuffers {
                weights_bytes: Some(plan.host.weights_bytes),
                ..LoggedBuffers::default()
            },
            ..Logged::default()
        };
        let rows = compare(&plan, &logged);
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].diff_bytes(), -1024);
        assert_eq!(rows[1].device, "host");
        let diff = diff_json(&rows);
        assert_eq!(diff["devices"][0]["compute_bytes"], -1024);
        assert_eq!(diff["host"]["weights_bytes"], 0);
    }
}
