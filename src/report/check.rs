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
}

/// What a text is: a vLLM log by the lines only vLLM prints; a llama.cpp
/// or Ollama log when its reader finds buffers, devices or the model in it;
/// an inventory by the tools' headers; anything else a command line.
pub fn detect(text: &str) -> Kind {
    let has = |markers: &[&str]| markers.iter().any(|m| text.contains(m));
    if has(&[
        "vLLM API server version",
        "LLM engine (v",
        "GPU KV cache size:",
        "Available KV cache memory",
        "model weights take",
        "[gpu_worker.py",
        "gpu_model_runner.py",
    ]) {
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
                notes,
            }
        }
        Kind::VllmLog => Check {
            kind: Kind::VllmLog,
            request: base.clone(),
            logged: None,
            rows: Vec::new(),
            model_known: false,
            notes: vec!["vLLM logs are not read yet".into()],
        },
    }
}

/// A llama.cpp or Ollama load log: the model it describes (its loader's
/// metadata or hyperparameters, else the catalog model of those shapes),
/// its settings, devices and layer split as a request, and its buffers.
pub fn check_llama_log(log: &LlamaLog, base: &Request, model_given: bool) -> Check {
    let mut r = base.clone();
    let mut notes = Vec::new();
    let mut model_known = true;
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
        r.set("gpus", gpus);
    } else if !logged.devices.is_empty() {
        notes.push(format!(
            "the log names {} GPU(s) but not their memory: the GPUs field is kept",
            logged.devices.len()
        ));
    }
    if let Some((offloaded, _)) = s.offload {
        r.set("ngl", offloaded.to_string());
    }
    let kv: Vec<u64> = logged
        .devices
        .iter()
        .map(|d| d.buffers.kv_bytes.unwrap_or(0))
        .collect();
    if kv.len() > 1 && kv.iter().all(|&b| b > 0) {
        // The KV each GPU holds is its layers' share: llama.cpp's own split.
        let unit = kv.iter().copied().min().unwrap_or(1).max(1);
        let ts: Vec<String> = kv
            .iter()
            .map(|&b| format!("{:.2}", b as f64 / unit as f64))
            .collect();
        r.set("tensor_split", ts.join(","));
    }
    if let Some(n) = log.build.as_ref().and_then(|b| b.number) {
        r.set("llama_cpp_build", n.to_string());
        notes.push(format!("logged by llama.cpp build {n}: its buffers are followed"));
    }
    // Without the model the buffers compare with nothing.
    let rows = match (model_known, report(&r)) {
        (true, Ok(plan)) => compare(&plan, &logged),
        _ => Vec::new(),
    };
    Check {
        kind: Kind::LlamaLog,
        request: r,
        logged: Some(logged),
        rows,
        model_known,
        notes,
    }
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
    let digits = device.trim_start_matches(|c: char| c.is_ascii_alphabetic());
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
