//! A vLLM startup log, and PyTorch's out-of-memory message, as the
//! request they amount to and what vLLM reported per rank.

use super::evidence::{identify_vllm, VllmEvidence};
use super::*;

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
    // The GPU ranks seen: V0's worker processes plus its unprefixed
    // driver, V1's `VllmWorker rank=N` (an excerpt may leave some out:
    // `rank=2` alone means at least three).
    let workers: Vec<&crate::import::vllm_log::Rank> = log
        .ranks
        .iter()
        .filter(|k| k.process.contains("Worker"))
        .collect();
    let v0_workers = workers
        .iter()
        .filter(|k| k.process.contains("WorkerProcess"))
        .count() as u32;
    let highest = workers
        .iter()
        .filter_map(|k| k.rank)
        .map(|n| n + 1)
        .max()
        .unwrap_or(0);
    let reporting = (v0_workers + u32::from(v0_workers > 0))
        .max(highest)
        .max(workers.len() as u32);
    let ranks = match (
        settings.tensor_parallel_size,
        settings.pipeline_parallel_size,
    ) {
        (None, None) if reporting > 1 => {
            r.set("tp", reporting.to_string());
            notes.push(format!(
                "the log does not print the parallel sizes: tensor parallel {reporting}, from the ranks that reported (an excerpt may show fewer than ran)"
            ));
            reporting
        }
        (tp, pp) => (tp.unwrap_or(1) * pp.unwrap_or(1)).max(1),
    };
    // The model from the per-rank weights and KV cache, when no line names it.
    if !model_known {
        if let Some(e) = VllmEvidence::of(log, u64::from(ranks)) {
            match identify_vllm(&e) {
                (Identified::One { id, basis, .. }, format) => {
                    r.set("model", id.into());
                    r.set("config", String::new());
                    if let Some(f) = format.filter(|_| r.weights.is_empty()) {
                        r.set("weights", f.id());
                    }
                    model_known = true;
                    notes.push(format!(
                        "the log does not name the model; its {} are the catalog's {id}{}",
                        basis.join(" and "),
                        format.map_or(String::new(), |f| format!(" in {}", f.label()))
                    ));
                }
                (Identified::Several(ids), _) => notes.push(format!(
                    "the log does not name the model; its KV cache and weights fit {}: choose the model to compare with",
                    ids.join(", ")
                )),
                (Identified::Unknown, _) => {}
            }
        }
    }
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
    let ctx = r.ctx.parse().unwrap_or(0);
    Check {
        kind: Kind::VllmLog,
        what_if: vllm_what_if(log, ctx),
        request: r,
        logged: Some(logged),
        rows,
        model_known,
        notes,
    }
}

/// PyTorch's out-of-memory message: the GPU it names, its total and what
/// was free, as a transformers request (the model stays the one chosen:
/// the message does not name it).
pub(super) fn check_torch_oom(log: &crate::import::vllm_log::VllmLog, base: &Request) -> Check {
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
pub(super) fn model_reference(m: &str) -> Option<String> {
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
