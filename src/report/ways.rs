//! Ways out of "does not fit": concrete changes to the request, each
//! re-planned, so the UI can apply one with a click and the CLI can print
//! what would work.

use serde::Serialize;

use super::{validate, Request, Validated};
use crate::estimate::memory::Engine;
use crate::estimate::weights::{weight_bytes, WeightBytes};
use crate::estimate::{RunSettings, WeightFormat};
use crate::plan::device::{gpu_rows, rows_text, GpuRow};
use crate::plan::split::PlanRequest;
use crate::plan::split::{plan, Plan};
use crate::units::gb;

/// One change that was re-planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WayOut {
    /// What to do, for people.
    pub label: String,
    /// Request fields to change: `(field, new value)`.
    pub changes: Vec<(String, String)>,
    /// Whether the changed request fits.
    pub fits: bool,
    /// Peak utilisation of the changed plan (used / usable on the fullest GPU).
    pub peak_utilisation: f64,
    /// Decode speed of the changed plan (per sequence), when known: what
    /// the way out costs in speed (offloading to the CPU costs most).
    pub decode_tokens_per_s: Option<f64>,
}

fn replan(request: &Request, changes: &[(&str, String)]) -> Option<(Request, Plan)> {
    replan_validated(request, changes).map(|(r, _, p)| (r, p))
}

fn replan_validated(
    request: &Request,
    changes: &[(&str, String)],
) -> Option<(Request, Validated, Plan)> {
    let mut changed = request.clone();
    for (field, value) in changes {
        changed.set(field, value.clone());
    }
    let v = validate(&changed).ok()?;
    let p = plan(v.plan_request());
    Some((changed, v, p))
}

/// A plan's decode speed per sequence, when its GPUs are catalog cards.
pub(super) fn decode_speed(v: &Validated, p: &Plan) -> Option<f64> {
    crate::plan::speed::plan_speed(&v.spec, p, &v.gpus, v.backend, &v.host)
        .map(|s| s.decode_tokens_per_s)
}

/// The change as a way out, if the changed request fits.
fn way(label: String, request: &Request, changes: Vec<(&str, String)>) -> Option<WayOut> {
    let (_, v, p) = replan_validated(request, &changes).filter(|(_, _, p)| p.fits)?;
    Some(WayOut {
        decode_tokens_per_s: decode_speed(&v, &p),
        label,
        changes: changes
            .into_iter()
            .map(|(f, v)| (f.to_string(), v))
            .collect(),
        fits: p.fits,
        peak_utilisation: p.peak_utilisation(),
    })
}

/// Re-planned alternatives for a request that does not fit.
pub fn ways_out(
    request: &Request,
    v: &Validated,
    requested: &Plan,
    max_context: Option<u64>,
    max_batch: Option<u64>,
) -> Vec<WayOut> {
    let mut ways = Vec::new();
    let engine = v.settings.engine;
    // A smaller weight format: the largest one below the current size that fits.
    let current = requested.estimate.weights.file;
    // Each format is sized once and checked with the validated request.
    let mut smaller: Vec<(WeightFormat, WeightBytes)> = engine
        .weight_formats()
        .into_iter()
        .map(|f| (f, weight_bytes(&v.spec, f)))
        .filter(|(_, w)| w.file < current)
        .collect();
    smaller.sort_by_key(|(_, w)| std::cmp::Reverse(w.file));
    let fitting = smaller.iter().find(|(f, w)| {
        let settings = RunSettings {
            weights: *f,
            ..v.settings
        };
        crate::plan::split::fits_on_gpus(
            &PlanRequest {
                settings,
                allow_offload: false,
                ..v.plan_request()
            },
            w,
        )
    });
    if let Some((format, w)) = fitting {
        let id = format.id();
        ways.extend(way(
            format!("Use {id} weights ({})", gb(w.file)),
            request,
            vec![("weights", id.clone())],
        ));
    }
    // A quantized KV cache.
    let kv = match engine {
        Engine::LlamaCpp | Engine::Ollama => Some("q8_0"),
        Engine::Vllm => Some("fp8"),
        Engine::ExLlamaV2 => Some("q4"),
        Engine::Transformers => None,
    };
    if let Some(kv) = kv.filter(|kv| request.kv.trim() != *kv) {
        ways.extend(way(
            format!("Quantize the KV cache to {kv}"),
            request,
            vec![("kv", kv.to_string())],
        ));
    }
    // vLLM: a larger share of each GPU, as far as its CUDA context and
    // other processes leave room (vLLM refuses to start otherwise).
    if engine == Engine::Vllm {
        let now = v.settings.vllm.utilization;
        let raised = [9200, 9500, 9700, 9800]
            .into_iter()
            .filter(|&u| u > now)
            .find_map(|u| {
                let text = format!("{}", f64::from(u) / 10_000.0);
                way(
                    format!("Raise --gpu-memory-utilization to {text}"),
                    request,
                    vec![("util", text.clone())],
                )
            });
        ways.extend(raised);
        // vLLM stops at startup when less is free than it was told to use
        // (other processes, or the operating system's share of unified
        // memory): the largest share that is free on every GPU.
        let lowered = crate::plan::split::startup_share(&v.gpus, v.settings.overhead_per_gpu) * 100;
        if (1..now).contains(&lowered) {
            let text = format!("{}", f64::from(lowered) / 10_000.0);
            ways.extend(way(
                format!(
                    "Lower --gpu-memory-utilization to {text}, what vLLM finds free at startup"
                ),
                request,
                vec![("util", text.clone())],
            ));
        }
    }
    // Shorter context, fewer sequences.
    if let Some(ctx) = max_context.filter(|&c| c < v.settings.n_ctx) {
        ways.extend(way(
            format!("Shorten the context to {ctx} tokens"),
            request,
            vec![("ctx", ctx.to_string())],
        ));
    }
    if let Some(batch) = max_batch.filter(|&b| b < v.settings.n_seq) {
        ways.extend(way(
            format!("Run {batch} sequence(s) at a time"),
            request,
            vec![("batch", batch.to_string())],
        ));
    }
    // Text only: the image side is not loaded (no --mmproj, image=0).
    if v.spec.vision.is_some() && v.settings.images > 0 && engine != Engine::Transformers {
        ways.extend(way(
            "Run text-only, without the vision encoder".to_string(),
            request,
            vec![("images", "0".to_string())],
        ));
    }
    // CPU offload.
    if !v.allow_offload && engine != Engine::ExLlamaV2 {
        if let Some((_, p)) = replan(request, &[("offload", "on".into())]).filter(|(_, p)| p.fits) {
            let what = if p.offload.cpu_moe_layers > 0 {
                // llama.cpp's --n-cpu-moe N takes the first N layers, dense
                // ones (which have no experts) included.
                format!(
                    "Keep the experts of the first {} layers on the CPU (--n-cpu-moe {})",
                    p.offload.cpu_moe_layers, p.offload.cpu_moe_layers
                )
            } else if p.offload.cpu_layers > 0 {
                format!("Offload {} layers to the CPU", p.offload.cpu_layers)
            } else {
                format!(
                    "Offload {} per GPU of weights to the CPU",
                    gb(p.offload.cpu_weights_per_gpu)
                )
            };
            ways.extend(way(what, request, vec![("offload", "on".into())]));
        }
    }
    // More GPUs of the same kind as the last one, on its machine.
    let rows = gpu_rows(&request.gpus);
    if let Some(last) = rows.last() {
        for extra in 1..=8u32 {
            let mut more = rows.clone();
            more.push(GpuRow {
                count: extra.to_string(),
                ..last.clone()
            });
            let gpus = rows_text(&more);
            // The quick, exact feasibility test on the weights already sized.
            let fits = v.on_gpus(request, &gpus).is_some_and(|(list, settings)| {
                let r = PlanRequest {
                    settings,
                    gpus: &list,
                    ..v.plan_request()
                };
                crate::plan::split::fits_on_gpus(&r, &requested.estimate.weights)
            });
            if fits {
                let label = format!("Add {extra} more {}", last.device.trim());
                ways.extend(way(label, request, vec![("gpus", gpus)]));
                break;
            }
        }
    }
    ways
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::report;

    #[test]
    fn every_way_out_is_re_planned_and_fits() {
        let mut request = Request::default();
        request.set("model", "llama-3.1-70b".into());
        request.set("gpus", "24GB".into());
        request.set("ctx", "32768".into());
        let r = report(&request).unwrap();
        assert!(!r.fits);
        let labels: Vec<&str> = r.ways_out.iter().map(|w| w.label.as_str()).collect();
        assert!(r.ways_out.iter().all(|w| w.fits), "{labels:?}");
        assert!(
            labels.iter().any(|l| l.starts_with("Offload")),
            "{labels:?}"
        );
        assert!(labels.iter().any(|l| l.starts_with("Add ")), "{labels:?}");
        for w in &r.ways_out {
            let mut applied = request.clone();
            for (field, value) in &w.changes {
                applied.set(field, value.clone());
            }
            assert!(report(&applied).unwrap().fits, "{}", w.label);
        }
    }

    #[test]
    fn a_vision_language_model_that_fits_without_its_image_side_can_run_text_only() {
        let mut request = Request::default();
        request.set("model", "gemma-3-27b".into());
        request.set("gpus", "18GB".into());
        request.set("weights", "q4_0".into());
        request.set("ctx", "4096".into());
        let r = report(&request).unwrap();
        assert!(!r.fits);
        let text_only = r
            .ways_out
            .iter()
            .find(|w| w.changes == [("images".to_string(), "0".to_string())])
            .expect("a text-only way out");
        let mut applied = request.clone();
        applied.set("images", "0".into());
        let applied = report(&applied).unwrap();
        assert!(applied.fits && text_only.fits);
        assert_eq!((applied.vision_bytes, applied.vision_compute_bytes), (0, 0));
    }
}
