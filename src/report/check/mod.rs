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

use serde::{Deserialize, Serialize};

use super::{report, InputError, Report, Request};
use crate::import::llama_log::{self, BufferKind, LlamaLog, Tool};
use crate::plan::gpus::find_card;
use crate::units::MIB;

mod evidence;
mod llama;
mod vllm;
mod what_if;

use evidence::{identify, Identified};
pub use llama::check_llama_log;
pub use vllm::check_vllm_log;
use vllm::*;
pub use what_if::WhatIf;
use what_if::*;

/// What a pasted or dropped text is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
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
    read(text).kind()
}

/// A text as the reader it is for read it (each reader runs once).
enum Read {
    LlamaLog(Box<LlamaLog>),
    VllmLog(Box<crate::import::vllm_log::VllmLog>),
    TorchOom(Box<crate::import::vllm_log::VllmLog>),
    Inventory,
    Command,
}

impl Read {
    fn kind(&self) -> Kind {
        match self {
            Read::LlamaLog(_) => Kind::LlamaLog,
            Read::VllmLog(_) => Kind::VllmLog,
            Read::TorchOom(_) => Kind::TorchOom,
            Read::Inventory => Kind::Inventory,
            Read::Command => Kind::Command,
        }
    }
}

fn read(text: &str) -> Read {
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
        return Read::TorchOom(Box::new(vllm));
    }
    if figures || vllm.version.is_some() || !vllm.errors.is_empty() {
        return Read::VllmLog(Box::new(vllm));
    }
    if has(&[
        "NVIDIA-SMI",
        "memory.total",
        "VRAM Total Memory",
        "Chipset Model:",
        "Available devices:",
    ]) {
        return Read::Inventory;
    }
    let log = llama_log::parse(text);
    if !log.buffers.is_empty()
        || !log.hparams.is_empty()
        || !log.metadata.is_empty()
        || log.ollama.is_some()
        || (!log.devices.is_empty() && !text.contains("MiB free)"))
    {
        return Read::LlamaLog(Box::new(log));
    }
    if has(&["MiB free)"]) {
        Read::Inventory
    } else {
        Read::Command
    }
}

/// Buffers of one device as a log printed them, in bytes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedBuffers {
    pub weights_bytes: Option<u64>,
    pub kv_bytes: Option<u64>,
    pub compute_bytes: Option<u64>,
}

/// One GPU of a log.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoggedDevice {
    pub name: String,
    #[serde(flatten)]
    pub buffers: LoggedBuffers,
}

/// What a log says was allocated, and the settings it shows.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
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
///
/// The page gets it from the worker module as JSON (`web::tasks`'s `read`
/// task), without `rows`: it compares the log with the plan as edited.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Check {
    pub kind: Kind,
    /// The request the text amounts to (editable afterwards: the what-ifs).
    #[serde(deserialize_with = "request_fields")]
    pub request: Request,
    /// For a log: what it printed.
    pub logged: Option<Logged>,
    /// For a log: buffer × device, logged against the plan's (none while
    /// the model is unknown).
    #[serde(skip_deserializing)]
    pub rows: Vec<Row>,
    /// Whether the text says which model (else the request keeps `base`'s).
    pub model_known: bool,
    /// For a llama.cpp log: what the logged sizes allow, not our estimates.
    pub what_if: Option<WhatIf>,
    /// What was read but means nothing to vramfit, or was assumed.
    pub notes: Vec<String>,
}

/// A [`Request`] from its own JSON (every field a string), field by field,
/// so the page needs no second reader of requests.
fn request_fields<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Request, D::Error> {
    let fields = std::collections::BTreeMap::<String, String>::deserialize(d)?;
    let mut request = Request::default();
    for (field, value) in fields {
        if !request.set(&field, value) {
            return Err(serde::de::Error::unknown_field(&field, &Request::FIELDS));
        }
    }
    Ok(request)
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
    match read(text) {
        Read::LlamaLog(log) => check_llama_log(&log, base, model_given),
        Read::Inventory => {
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
        Read::Command => {
            let parsed = crate::report::command::parse_command(text);
            let mut request = parsed.request;
            let mut notes = parsed.notes;
            // GPUs the person gave win over a count the command implies.
            if base.gpus != Request::default().gpus {
                request.set("gpus", base.gpus.clone());
                notes.retain(|n| Some(n) != parsed.gpus_note.as_ref());
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
        Read::VllmLog(log) => check_vllm_log(&log, base, model_given),
        Read::TorchOom(log) => check_torch_oom(&log, base),
    }
}

/// `vramfit.check({text, gpus?, model?})` (also `command` or `log` for
/// `text`) → [`check_json`]: what the JS API's `check` answers, from the
/// worker module.
pub fn check_input(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    let field = |name: &str| value.get(name).and_then(|v| v.as_str()).map(str::to_string);
    let text = field("text")
        .or_else(|| field("command"))
        .or_else(|| field("log"))
        .ok_or("check: give {text} (a command line, a load log or an inventory)")?;
    let mut base = Request::default();
    if let Some(gpus) = field("gpus") {
        base.set("gpus", gpus);
    }
    let model = field("model");
    if let Some(m) = &model {
        base.set("model", m.clone());
    }
    Ok(check_json(&check(&text, &base, model.is_some())))
}

/// What the app's "Check my setup" box sends the worker: the text, the
/// form's request for what the text does not say, and whether its model
/// was chosen.
#[derive(Deserialize)]
struct Pasted {
    text: String,
    #[serde(deserialize_with = "request_fields")]
    base: Request,
    #[serde(default)]
    model_given: bool,
}

/// The app's reading of a pasted text ({text, base, model_given} in, the
/// [`Check`] out), run in the worker module.
pub fn read_input(value: &serde_json::Value) -> Result<serde_json::Value, String> {
    let p = Pasted::deserialize(value).map_err(|e| format!("not a pasted text: {e}"))?;
    serde_json::to_value(check(&p.text, &p.base, p.model_given)).map_err(|e| e.to_string())
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
        o.insert("model_known".into(), c.model_known.into());
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
