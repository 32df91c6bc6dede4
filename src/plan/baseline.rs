//! The splits people get without vramfit, to compare against the optimal
//! one: llama.cpp's default `-ts` (proportional to each GPU's free memory)
//! and accelerate's `device_map="balanced"`.
//!
//! - llama.cpp (`llama_model::load_tensors`): without `-ts`, the split
//!   fractions are the devices' free memory; layer `i` of the `n_layer + 1`
//!   offloaded (the output counts as the last) goes to the first device whose
//!   cumulative fraction exceeds `i / (n_layer + 1)`.
//! - accelerate (`get_balanced_memory`, `infer_auto_device_map`): each GPU
//!   but the last is capped at `model size / n_gpus + 1.25 × max(largest
//!   layer, mean leaf)`; GPU 0, the "main device", also keeps room for the
//!   largest module (embeddings, a layer or lm_head) to bring offloaded
//!   weights back; modules are then placed in order on the first GPU with
//!   room. It sizes weights only — the KV cache is not in its budget.
//!   Checked against accelerate 1.15 itself on ten bf16 setups
//!   (tests/bench/accelerate_balanced.py, tests/measured.rs).

use super::split::{build, costs, Assignment, Plan, PlanRequest};
use crate::estimate::{estimate, RunSettings};

/// Layer counts per GPU under llama.cpp's default proportional split.
pub fn llama_cpp_proportional(request: &PlanRequest) -> Vec<usize> {
    let n = request.spec.layers.len();
    let free: Vec<f64> = request.gpus.iter().map(|g| g.usable() as f64).collect();
    let total: f64 = free.iter().sum();
    let mut cumulative = Vec::with_capacity(free.len());
    let mut acc = 0.0;
    for f in &free {
        acc += f / total;
        cumulative.push(acc);
    }
    let mut counts = vec![0; free.len()];
    for i in 0..n {
        let x = i as f64 / (n + 1) as f64;
        let device = cumulative
            .iter()
            .position(|&c| c > x)
            .unwrap_or(free.len() - 1);
        counts[device] += 1;
    }
    counts
}

/// Layer counts per GPU under accelerate's `balanced` device map.
pub fn accelerate_balanced(request: &PlanRequest) -> Vec<usize> {
    let e = estimate(request.spec, &request.settings);
    let layers = &e.layer_weights;
    let m = request.gpus.len();
    let model = e.weights_total();
    let largest = layers.iter().copied().max().unwrap_or(0);
    let leaves = layers.len() as u64 + 3;
    let mean_leaf = model / leaves;
    let buffer = (largest.max(mean_leaf) as f64 * 1.25) as u64;
    let per_gpu = model / m as u64 + buffer;
    let largest_module = largest.max(e.token_embd).max(e.output);
    let caps: Vec<u64> = request
        .gpus
        .iter()
        .enumerate()
        .map(|(j, g)| {
            let cap = if j + 1 < m {
                g.usable().min(per_gpu)
            } else {
                g.usable()
            };
            if j == 0 {
                cap.saturating_sub(largest_module)
            } else {
                cap
            }
        })
        .collect();
    let mut counts = vec![0; m];
    let mut device = 0;
    let mut used = if e.token_embd_on_host {
        0
    } else {
        e.token_embd
    };
    for &layer in layers {
        while device + 1 < m && used + layer > caps[device] {
            device += 1;
            used = 0;
        }
        counts[device] += 1;
        used += layer;
    }
    counts
}

/// The plan a fixed layer split gives (every GPU used, the last one holds
/// the output), for comparing baselines with the optimal split.
pub fn plan_with_counts(request: &PlanRequest, counts: &[usize]) -> Plan {
    let e = estimate(request.spec, &request.settings);
    let c = costs(request.spec, &e, 1, request.gpus.len(), &request.settings);
    let stages: Vec<Vec<usize>> = (0..request.gpus.len()).map(|i| vec![i]).collect();
    let a = Assignment {
        counts: counts.to_vec(),
        last: counts.len() - 1,
    };
    let devices = build(request, &c, &stages, &a, 0);
    super::split::finish_plan(request, e, devices)
}

/// Whether the split `counts` gives for `request` run with `settings` fits.
fn fits_with(
    request: &PlanRequest,
    counts: &impl Fn(&PlanRequest) -> Vec<usize>,
    settings: RunSettings,
) -> bool {
    let r = PlanRequest {
        settings,
        ..*request
    };
    plan_with_counts(&r, &counts(&r)).fits
}

/// The longest context (multiple of 256, at most the trained length) a
/// fixed split holds with the requested sequences; `None` if none.
pub fn max_context_with(
    request: &PlanRequest,
    counts: impl Fn(&PlanRequest) -> Vec<usize>,
) -> Option<u64> {
    let fits = |n_ctx: u64| {
        fits_with(
            request,
            &counts,
            RunSettings {
                n_ctx,
                ..request.settings
            },
        )
    };
    super::search::longest_context(request.spec.n_ctx_train, fits)
}

/// The most concurrent sequences (up to [`super::search::MAX_BATCH`]) a
/// fixed split holds at the requested context; `None` if one does not.
pub fn max_batch_with(
    request: &PlanRequest,
    counts: impl Fn(&PlanRequest) -> Vec<usize>,
) -> Option<u64> {
    let fits = |n_seq: u64| {
        fits_with(
            request,
            &counts,
            RunSettings {
                n_seq,
                ..request.settings
            },
        )
    };
    super::search::most_sequences(fits)
}
