//! What-ifs from a log's real sizes instead of vramfit's estimates.

use super::*;

/// What-ifs from the real numbers: the setup as the log ran it, with each
/// GPU's logged weights and compute in place of ours and its KV scaled by
/// logged over ours.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct WhatIf {
    /// The longest context per sequence (multiple of 256) that would fit
    /// with the placement as logged.
    pub max_context: Option<u64>,
    /// The same with one more GPU like the first.
    pub max_context_with_another_gpu: Option<u64>,
    /// llama.cpp: the placement to use at the logged context when the log
    /// kept layers on the CPU or did not fit (`-ngl 40`, `-ngl 81 -ts 41,40`).
    pub placement: Option<String>,
    /// vLLM: the `--gpu-memory-utilization` that holds one request of the
    /// request's context (at most 0.99).
    pub utilisation: Option<f64>,
    pub basis: String,
}

impl WhatIf {
    /// The what-ifs as one sentence (the CLI's line, the app's note).
    pub fn sentence(&self) -> String {
        let tokens = |t: Option<u64>| t.map_or("nothing".to_string(), |t| format!("{t} tokens"));
        let mut parts = vec![format!(
            "the longest context that fits is {}",
            tokens(self.max_context)
        )];
        if let Some(t) = self.max_context_with_another_gpu {
            parts.push(format!("with one more GPU like the first, {t} tokens"));
        }
        if let Some(p) = &self.placement {
            parts.push(format!("at the logged context use {p}"));
        }
        if let Some(u) = self.utilisation {
            parts.push(format!(
                "one request of the context asked for needs --gpu-memory-utilization {u:.2}"
            ));
        }
        format!(
            "From the logged sizes ({}): {}.",
            self.basis,
            parts.join("; ")
        )
    }
}

/// Per GPU (by plan name): logged − ours for weights and compute, and
/// logged / ours for the KV cache.
pub(super) struct Calibration {
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
        largest(1, (limit / 256).max(1), at).map(|k| k * 256)
    }
}

/// The largest `k` in `lo..=hi` with `at(k)`, for an `at` that holds up to
/// some point and not beyond; `None` when it does not hold at `lo`.
fn largest(lo: u64, hi: u64, at: impl Fn(u64) -> bool) -> Option<u64> {
    let (mut lo, mut hi) = (lo, hi.max(lo));
    if !at(lo) {
        return None;
    }
    if at(hi) {
        return Some(hi);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if at(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// The most layers on the GPUs that fit with the logged sizes, when the
/// log kept some on the CPU; else the searched split when the logged one
/// does not fit. `None` when the logged placement is already the best.
fn placement(request: &Request, calibration: &Calibration) -> Option<String> {
    let n_layer = crate::report::validate(request).ok()?.spec.n_layer() as u64;
    let ngl: Option<u64> = request.ngl.parse().ok();
    let at = |n: u64| {
        let mut r = request.clone();
        r.set("ngl", n.to_string());
        calibration.fits(&r)
    };
    if let Some(given) = ngl.filter(|&n| n <= n_layer) {
        // Binary search above the logged count (fits is monotone in -ngl
        // for a fixed split: each layer more only adds to the GPUs).
        let most = largest(given, n_layer + 1, at)?;
        return (most > given).then(|| format!("-ngl {most}"));
    }
    if calibration.fits(request) {
        return None;
    }
    let mut searched = request.clone();
    searched.set("ngl", String::new());
    searched.set("tensor_split", String::new());
    let plan = report(&searched).ok()?;
    if !plan.fits || !calibration.fits(&searched) {
        return None;
    }
    let (ngl, ts) = crate::launch::llama_cpp::split_flags(&plan.plan);
    Some(match ts {
        Some(ts) => format!("-ngl {ngl} -ts {ts}"),
        None => format!("-ngl {ngl}"),
    })
}

/// vLLM: from the logged KV memory and tokens, the utilisation whose KV
/// share holds one request of `ctx` tokens, and the longest request the
/// logged share holds.
pub(super) fn vllm_what_if(log: &crate::import::vllm_log::VllmLog, ctx: u64) -> Option<WhatIf> {
    let total = log.first(|k| k.total_bytes).filter(|&b| b > 0)? as f64;
    let util = log.first(|k| k.gpu_memory_utilization)?;
    let kv = log.first(|k| k.kv_cache_bytes)? as f64;
    // V0 prints blocks: 16 tokens each unless the block size was set.
    let block = u64::from(log.settings.block_size.unwrap_or(16));
    let tokens = log
        .first(|k| k.kv_cache_tokens)
        .or_else(|| log.first(|k| k.num_gpu_blocks).map(|b| b * block))
        .filter(|&t| t > 0)?;
    let per_token = kv / tokens as f64;
    let needed = (total * util - kv + per_token * ctx as f64) / total;
    let utilisation = (needed <= 0.99).then(|| (needed * 100.0).ceil() / 100.0);
    Some(WhatIf {
        max_context: Some(tokens),
        max_context_with_another_gpu: None,
        placement: None,
        utilisation,
        basis: format!(
            "the logged KV cache ({:.2} GiB for {tokens} tokens) at the logged utilisation {util}",
            kv / (1u64 << 30) as f64
        ),
    })
}

pub(super) fn what_if(request: &Request, rows: &[Row]) -> Option<WhatIf> {
    let calibration = Calibration::from_rows(rows);
    let limit = crate::report::validate(request).ok()?.spec.n_ctx_train;
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
        placement: placement(request, &calibration),
        utilisation: None,
        basis: "each GPU's logged weights and compute in place of vramfit's, its KV cache scaled by logged over vramfit's".into(),
    })
}
