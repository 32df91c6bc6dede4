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

/// Markers only a log or inventory of each kind prints; anything else is
/// read as a command line.
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
        Kind::VllmLog
    } else if has(&[
        "llama_model_loader:",
        "load_tensors:",
        "llm_load_tensors:",
        "llama_context:",
        "llama_new_context_with_model:",
        "print_info:",
        "llm_load_print_meta:",
        "ggml_cuda_init:",
        "compute buffer size",
    ]) {
        Kind::LlamaLog
    } else if has(&[
        "NVIDIA-SMI",
        "memory.total",
        "VRAM Total Memory",
        "Chipset Model:",
        "Available devices:",
        "MiB free)",
    ]) {
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
    /// For a log: buffer × device, logged against the plan's.
    pub rows: Vec<Row>,
    /// What was read but means nothing to vramfit, or was assumed.
    pub notes: Vec<String>,
}

impl Check {
    /// The plan of the request read.
    pub fn report(&self) -> Result<Report, InputError> {
        report(&self.request)
    }
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
