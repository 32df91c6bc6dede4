//! A llama.cpp or Ollama load log as the request it amounts to: its
//! model, settings, GPUs and llama.cpp's own split, and its buffers.

use super::*;

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
        crate::report::command::parse_command(&words.join(" "))
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
        Err(e) => match identify(log) {
            Identified::One { id, ftype, basis } => {
                r.set("config", String::new());
                r.set("model", id.into());
                if let Some(f) = ftype {
                    r.set("weights", f.name().to_ascii_lowercase());
                }
                let size = ftype.map_or(String::new(), |f| format!(", {} by its size", f.name()));
                notes.push(format!(
                    "the log does not describe the whole model ({e}); its {} are the catalog's {id}{size}",
                    basis.join(", ")
                ));
            }
            _ if model_given => {
                notes.push(format!(
                    "the log does not describe the whole model ({e}): compared with {}",
                    base.model
                ));
            }
            Identified::Several(ids) => {
                model_known = false;
                notes.push(format!(
                    "the log does not describe the whole model ({e}); it fits {}: choose the model to compare with",
                    ids.join(", ")
                ));
            }
            Identified::Unknown => {
                model_known = false;
                notes.push(format!(
                    "the log does not describe the whole model ({e}): choose the model to compare with"
                ));
            }
        },
    }
    if let Some(ftype) = log.hparam("file type").and_then(llama_log::ftype_of_name) {
        r.set("weights", ftype.name().to_ascii_lowercase());
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
    // Ollama's estimate gives each GPU's free memory when nothing else does.
    let available = log.ollama.as_ref().and_then(|o| {
        o.memory
            .iter()
            .find(|(k, _)| k == "memory.available")
            .map(|(_, v)| v.clone())
    });
    if let Some(free) = available.filter(|v| gpus.is_empty() && !v.is_empty()) {
        let list: Vec<String> = free.iter().map(|b| format!("{}MiB", b / MIB)).collect();
        r.set("gpus", list.join(", "));
        notes.push(format!(
            "the GPUs are Ollama's free memory ({}): what it had, not their capacity",
            list.join(", ")
        ));
    } else if gpus.is_empty() && !logged.devices.is_empty() {
        // As many GPUs as the log used, each like the first one given, or
        // the smallest common size that holds what the busiest one held.
        let given = crate::plan::device::parse_gpus(&r.gpus).unwrap_or_default();
        let used = logged.devices.len();
        let held = logged
            .devices
            .iter()
            .map(|d| {
                let b = &d.buffers;
                b.weights_bytes.unwrap_or(0)
                    + b.kv_bytes.unwrap_or(0)
                    + b.compute_bytes.unwrap_or(0)
            })
            .max()
            .unwrap_or(0);
        let first = given.first().map_or(24 << 30, |g| g.capacity);
        if given.len() != used || first < held {
            let size = if first >= held + (512 << 20) {
                first / MIB
            } else {
                COMMON_GIB
                    .iter()
                    .map(|g| g << 10)
                    .find(|&mib| mib << 20 >= held + (512 << 20))
                    .unwrap_or((held >> 20) + 1024)
            };
            r.set("gpus", format!("{used}x{size}MiB"));
            notes.push(format!(
                "the log used {used} GPU(s) without saying their memory: {used} × {size} MiB assumed"
            ));
        }
    }
    if let Some((offloaded, _)) = s.offload {
        r.set("ngl", offloaded.to_string());
    } else if let Some(ngl) = layers_from_host_kv(&logged, &r) {
        r.set("ngl", ngl.to_string());
    }
    if let Some(note) = experts_on_cpu(log, &mut r) {
        notes.push(note);
    }
    let to_gpus = log
        .settings
        .tensor_overrides
        .iter()
        .filter(|(_, to)| !to.to_ascii_uppercase().starts_with("CPU"))
        .count();
    if to_gpus > 0 {
        notes.push(format!(
            "{to_gpus} tensor(s) were overridden to another GPU, which vramfit does not plan (it splits by whole layers): the GPUs' weights differ by what moved"
        ));
    }
    if let Some(ts) = split_from_kv(&logged, &r) {
        r.set("tensor_split", ts);
    } else if let Some(ts) = s.tensor_split.as_ref().filter(|t| t.len() > 1) {
        // The runner's `--tensor-split` (Ollama passes its own split).
        let ts: Vec<String> = ts.iter().map(|x| x.to_string()).collect();
        r.set("tensor_split", ts.join(","));
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
    // The context from the cache's size when no line prints it: the KV
    // cache is linear in the cells, a multiple of 256.
    if model_known && s.n_ctx.is_none() && s.n_ctx_per_seq.is_none() {
        if let Some(cells) = cells_from_kv(&logged, &r) {
            r.set("ctx", (cells / n_seq).max(1).to_string());
            notes.push(format!(
                "n_ctx {cells}, from the KV cache's size (the log does not print it)"
            ));
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

/// The `-ts` that makes llama.cpp give each GPU the layers its logged KV
/// buffer holds: layer counts from the KV shares, then each split point in
/// the middle of the slot llama.cpp's `load_tensors` puts it in (layer `i`
/// of `n_layer + 1` goes to the first GPU whose cumulative share exceeds
/// `i / (n_layer + 1)`).
pub(super) fn split_from_kv(logged: &Logged, r: &Request) -> Option<String> {
    let kv: Vec<u64> = logged
        .devices
        .iter()
        .map(|d| d.buffers.kv_bytes.unwrap_or(0))
        .collect();
    if kv.len() < 2 || kv.contains(&0) {
        return None;
    }
    let n_layer = crate::report::validate(r).ok()?.spec.n_layer() as f64;
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

/// The layers whose experts the log kept in host memory, as the request's
/// `n_cpu_moe`: from the per-tensor override lines (exact), else the
/// `--n-cpu-moe` or `-ot` of the command it quotes.
fn experts_on_cpu(log: &LlamaLog, r: &mut Request) -> Option<String> {
    let s = &log.settings;
    let n_layer = crate::report::validate(r).ok()?.spec.n_layer();
    let mut per_layer = vec![0u8; n_layer];
    for (name, to) in &s.tensor_overrides {
        let layer = name
            .strip_prefix("blk.")
            .and_then(|t| t.split('.').next())
            .and_then(|n| n.parse::<usize>().ok());
        if let Some(slot) = layer.and_then(|l| per_layer.get_mut(l)) {
            if name.contains("_exps") && to.to_ascii_uppercase().starts_with("CPU") {
                *slot = slot.saturating_add(1);
            }
        }
    }
    let logged: Vec<usize> = (0..n_layer).filter(|&l| per_layer[l] >= 3).collect();
    let (k, exact, how) = if !logged.is_empty() {
        let prefix = logged.iter().enumerate().all(|(i, &l)| i == l);
        (logged.len(), prefix, "the override lines")
    } else if let Some(k) = s.n_cpu_moe {
        (k as usize, true, "--n-cpu-moe")
    } else {
        let (k, exact) = crate::plan::overrides::read(&s.override_tensor, n_layer).n_cpu_moe()?;
        (k, exact, "-ot")
    };
    let k = k.min(n_layer);
    r.set("n_cpu_moe", k.to_string());
    Some(if exact {
        format!("{how}: the experts of the first {k} layers stayed in host memory")
    } else {
        format!("{how}: the experts of {k} layers stayed in host memory, planned as the first {k}")
    })
}

/// The cache's cells from its logged bytes: ours at the request's context
/// scaled, kept when it lands on a multiple of 256 within the log's rounding.
fn cells_from_kv(logged: &Logged, r: &Request) -> Option<u64> {
    let bytes: u64 = logged
        .devices
        .iter()
        .filter_map(|d| d.buffers.kv_bytes)
        .chain(logged.host.kv_bytes)
        .sum();
    if bytes == 0 {
        return None;
    }
    let kv_at = |ctx: u64| {
        let mut at = r.clone();
        at.set("ctx", ctx.to_string());
        report(&at)
            .ok()
            .map(|p| p.devices.iter().map(|d| d.kv_bytes).sum::<u64>() + p.host.kv_bytes)
    };
    let n_seq: u64 = r.batch.parse().unwrap_or(1).max(1);
    let ctx = 4096;
    let ours = kv_at(ctx)?;
    let cells_now = ctx * n_seq;
    // Only a cache linear in the context (no window, no recurrent state).
    if ours == 0 || kv_at(2 * ctx)? != 2 * ours {
        return None;
    }
    let per_cell = ours as f64 / cells_now as f64;
    let cells = (bytes as f64 / per_cell / 256.0).round() as u64 * 256;
    let expected = per_cell * cells as f64;
    (cells > 0 && (expected - bytes as f64).abs() <= (MIB / 100) as f64 * 2.0).then_some(cells)
}

/// `-ngl` from where the KV went when the log does not print the offload
/// line: the CPU's share of the cache is its share of the layers (the
/// first ones), the output counted with the GPUs'.
pub(super) fn layers_from_host_kv(logged: &Logged, r: &Request) -> Option<u64> {
    let host = logged.host.kv_bytes.filter(|&b| b > 0)?;
    let gpu: u64 = logged
        .devices
        .iter()
        .filter_map(|d| d.buffers.kv_bytes)
        .sum();
    if gpu == 0 {
        return None;
    }
    let n_layer = crate::report::validate(r).ok()?.spec.n_layer() as f64;
    let cpu = (n_layer * host as f64 / (host + gpu) as f64).round() as u64;
    Some(n_layer as u64 + 1 - cpu)
}

/// GPU memory sizes people have, GiB: a log that does not name its GPUs
/// is given the smallest that holds what it allocated.
const COMMON_GIB: [u64; 16] = [
    8, 12, 16, 20, 24, 32, 40, 48, 64, 80, 96, 128, 141, 180, 192, 288,
];

/// The GPUs a log announces, in vramfit's GPU-list syntax: the catalog
/// card when the name is one (with what was already in use), else the
/// size.
pub(super) fn gpu_list(log: &LlamaLog) -> String {
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
pub(super) fn logged_llama(log: &LlamaLog) -> Logged {
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
pub(super) fn gpu_index(device: &str) -> Option<u32> {
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
