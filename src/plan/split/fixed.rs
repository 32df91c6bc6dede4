//! The plan of a placement the user fixed with llama.cpp's `-ngl`, `-ts`,
//! `-sm` and `-mg`: no search, no offload decisions — the split llama.cpp
//! itself makes from those flags.

use super::*;

/// The plan of exactly the placement llama.cpp makes from `-ngl`, `-ts`,
/// `-sm` and `-mg` ([`assign_layers`]); no search, no offload decisions.
pub(crate) fn plan_fixed(request: &PlanRequest, e: &Estimate, fixed: &Placement) -> Plan {
    let gpus = request.gpus;
    let n = e.layer_weights.len();
    let usable_all: Vec<u64> = gpus.iter().map(|g| usable(g, &request.settings)).collect();
    // The devices llama.cpp uses, in order, and their split weights.
    let (devices_used, weights): (Vec<usize>, Vec<f32>) = match fixed.split_mode {
        SplitMode::None => (vec![fixed.main_gpu.min(gpus.len() - 1)], vec![1.0]),
        _ => {
            let mut ts = fixed.tensor_split.clone();
            if ts.is_empty() {
                ts = default_split(&usable_all);
            }
            ts.resize(gpus.len(), 0.0);
            ((0..gpus.len()).collect(), ts)
        }
    };
    let ngl = fixed.n_gpu_layers.unwrap_or(n + 1);
    let a = assign_layers(n, ngl, &weights);
    let mut c = costs(request.spec, e, 1, devices_used.len(), &request.settings);
    // `--n-cpu-moe`: the experts of the first layers stay in host memory
    // (their buffers and the op-offload copies are `finish`'s).
    let cpu_moe = fixed
        .n_cpu_moe
        .filter(|_| e.weights.layer_experts.iter().any(|&x| x > 0))
        .map_or(0, |k| k.min(n));
    for i in 0..cpu_moe {
        c.layer[i] -= e.weights.layer_experts[i];
    }
    let k = a.cpu_layers;
    let tail = Costs {
        layer: c.layer[k..].to_vec(),
        layer_kv: c.layer_kv[k..].to_vec(),
        ..c.clone()
    };
    let offload = Offload {
        cpu_layers: k,
        cpu_moe_layers: cpu_moe,
        ..Offload::default()
    };
    let stages: Vec<Vec<usize>> = devices_used.iter().map(|&g| vec![g]).collect();
    let mut devices = match a.output {
        Some(last) => build(
            request,
            &tail,
            &stages,
            &Assignment {
                counts: a.counts.clone(),
                last,
            },
            k,
        ),
        // -ngl 0: nothing on a GPU.
        None => build(
            request,
            &tail,
            &[],
            &Assignment {
                counts: vec![],
                last: 0,
            },
            k,
        ),
    };
    if fixed.split_mode == SplitMode::Row {
        split_rows(
            e,
            &c,
            &mut devices,
            &weights,
            a.output.map(|o| devices_used[o]),
        );
    }
    let used = devices.iter().filter(|d| d.used()).count();
    let mut plan = finish(
        request,
        e.clone(),
        Layout { tp: 1, pp: used },
        offload,
        devices,
    );
    plan.fixed = Some(fixed.clone());
    if a.output.is_none() {
        // The output layer stays in host memory with the CPU layers.
        plan.host.weights_bytes += e.output;
        plan.host_bytes += e.output;
        if let Some(ram) = request.host_ram {
            let gpu: u64 = plan.devices.iter().map(DevicePlan::shortfall_bytes).sum();
            plan.shortfall_bytes = gpu + plan.host_bytes.saturating_sub(ram);
            plan.fits = plan.shortfall_bytes == 0;
        }
    }
    plan
}

/// `-sm row`: the 2-D matrices of every GPU layer (and the output) move
/// out of their device's buffer into the split buffer, rows spread over all
/// GPUs in `-ts` proportions. Expert tensors stay; norms and biases are
/// counted with the matrices (a few KiB per layer); ggml-cuda's rounding
/// of row boundaries to the quantization block is not modelled.
fn split_rows(
    e: &Estimate,
    c: &Costs,
    devices: &mut [DevicePlan],
    weights: &[f32],
    output_device: Option<usize>,
) {
    let matrices = |i: usize| e.layer_weights[i] - e.weights.layer_experts[i];
    let mut total = 0;
    for d in devices.iter_mut() {
        let mut own = d
            .layers
            .map_or(0, |[a, b]| (a..=b).map(matrices).sum::<u64>());
        if Some(d.index) == output_device {
            own += e.output;
        }
        d.weights_bytes -= own;
        d.total_bytes -= own;
        total += own;
    }
    for (d, share) in devices.iter_mut().zip(row_shares(weights)) {
        let rows = (total as f64 * share) as u64;
        if rows == 0 {
            continue;
        }
        if !d.used() {
            // A GPU with a share but no layer still holds its rows (and
            // the backend's context).
            d.stage = Some(d.index);
            d.overhead_bytes = c.fixed - c.compute;
            d.total_bytes = d.overhead_bytes;
        }
        d.weights_bytes += rows;
        d.total_bytes += rows;
    }
}
