//! llama.cpp's compute buffers per device, by doing what ggml does: build
//! the graph llama.cpp reserves ([`graph`]), assign its nodes to devices
//! and add the copies between them ([`sched`]), then place every tensor
//! with ggml's allocator ([`alloc`]). The size of each device's compute
//! buffer is where that placement peaks.
//!
//! Exact against llama.cpp's own allocator on the CPU for the graphs it
//! covers (tests/llama_cpp_graph.rs, traced with tests/bench/ggml_alloc_trace.c);
//! on CUDA, ROCm, Metal and Vulkan it adds the scheduler's copies between
//! devices and the backend's alignment, checked against public load logs
//! (tests/llama_cpp_gpu.rs).

pub mod alloc;
pub mod graph;
pub mod sched;

pub use graph::{build, supported, GraphEra, Shape};
pub use sched::{schedule, Placement, HOST};

/// Bytes of every device's compute buffer (index 0: the host) for the
/// reserve graph of `layers` on `placement`; `None` when a layer has no
/// graph here. `align[d]` is device `d`'s buffer alignment.
pub fn compute_buffers(
    spec: &crate::estimate::ModelSpec,
    layers: &[usize],
    output: bool,
    shape: Shape,
    placement: &Placement,
    align: &[u64],
    weight_bytes: &dyn Fn(Option<usize>, &str) -> u64,
) -> Option<Vec<u64>> {
    let g = build(spec, layers, output, shape, weight_bytes)?;
    let scheduled = schedule(&g, placement);
    Some(alloc::reserve(&scheduled, align))
}

/// What each device's compute buffer holds at its peak: `(what, bytes)`
/// per live tensor, largest first — for `./bench` and for debugging a
/// mismatch with a log.
#[allow(clippy::too_many_arguments)]
pub fn explain(
    spec: &crate::estimate::ModelSpec,
    layers: &[usize],
    output: bool,
    shape: Shape,
    placement: &Placement,
    align: &[u64],
    weight_bytes: &dyn Fn(Option<usize>, &str) -> u64,
) -> Option<Vec<Vec<(String, u64)>>> {
    let g = build(spec, layers, output, shape, weight_bytes)?;
    let scheduled = schedule(&g, placement);
    let (_, peaks) = alloc::reserve_traced(&scheduled, align, true);
    let name = |i: usize| {
        let t = &g.tensors[i];
        match t.layer {
            Some(il) => format!("{}-{il}", t.name),
            None => t.name.to_string(),
        }
    };
    Some(
        peaks
            .iter()
            .map(|peak| {
                let mut rows: Vec<(String, u64)> = peak
                    .iter()
                    .map(|&(i, _, size)| {
                        let what = match scheduled.tensors[i].copy_of {
                            Some(c) => format!("copy of {}", name(c)),
                            None => name(i),
                        };
                        (what, size)
                    })
                    .collect();
                rows.sort_by_key(|r| std::cmp::Reverse(r.1));
                rows
            })
            .collect(),
    )
}

/// Bytes of one weight tensor, for the copies op offloading makes: a
/// layer's tensors at their layer's average bytes per element (its experts
/// at theirs), the output projection as sized.
pub fn weight_sizes<'a>(
    spec: &'a crate::estimate::ModelSpec,
    weights: &crate::estimate::weights::WeightBytes,
) -> impl Fn(Option<usize>, &str) -> u64 + 'a {
    let rates: Vec<(f64, f64)> = spec
        .layers
        .iter()
        .enumerate()
        .map(|(il, l)| {
            let (mut dense, mut experts) = (0u64, 0u64);
            for t in &l.tensors {
                if t.is_experts() {
                    experts += t.numel();
                } else {
                    dense += t.numel();
                }
            }
            let e = weights.layer_experts.get(il).copied().unwrap_or(0);
            let all = weights.layers.get(il).copied().unwrap_or(0);
            let rate = |bytes: u64, n: u64| if n == 0 { 0.0 } else { bytes as f64 / n as f64 };
            (rate(all.saturating_sub(e), dense), rate(e, experts))
        })
        .collect();
    let output = weights.output;
    move |layer: Option<usize>, name: &str| -> u64 {
        match layer {
            None => {
                if name.starts_with("output.") {
                    output
                } else {
                    0
                }
            }
            Some(il) => {
                let Some(t) = spec.layers[il].tensors.iter().find(|t| t.name == name) else {
                    return 0;
                };
                let (dense, experts) = rates[il];
                let rate = if t.is_experts() { experts } else { dense };
                (t.numel() as f64 * rate).round() as u64
            }
        }
    }
}

/// What a device does in a placement; llama.cpp's compute buffers depend
/// on it, not on how many layers the device holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Every layer and the output on one GPU.
    Single,
    /// Several GPUs, layer split: first, middle and last (with the output);
    /// `pipeline` when llama.cpp runs them as one (`n_copies` = 4).
    Split { pipeline: bool },
    /// The first layers on the CPU, the rest and the output on one GPU,
    /// which also runs the CPU layers' large batches (op offload).
    Partial,
    /// Every layer on one GPU but the first layers' experts in host memory
    /// (`--n-cpu-moe`), copied to the GPU for large batches.
    CpuMoe,
    /// No GPU: one CPU buffer for everything (`[host]`).
    Cpu,
}

/// One layer of each kind in `spec`, in order of first appearance, twice
/// over: enough for every device role to reach its steady peak.
pub fn representative_layers(spec: &crate::estimate::ModelSpec) -> Vec<usize> {
    let mut kinds: Vec<usize> = Vec::new();
    for (il, layer) in spec.layers.iter().enumerate() {
        let same = |&k: &usize| {
            let other = &spec.layers[k];
            other
                .attention
                .map(|a| (a.n_head, a.kv, a.window_len().is_some()))
                == layer
                    .attention
                    .map(|a| (a.n_head, a.kv, a.window_len().is_some()))
                && other.tensors == layer.tensors
        };
        if !kinds.iter().any(same) {
            kinds.push(il);
        }
    }
    kinds.iter().chain(kinds.iter()).copied().collect()
}

/// llama.cpp's compute buffers for `role`: `[host, gpu]`, or for a split
/// `[host, first, middle, last]`; `None` when a layer has no graph here.
/// `gpu_align` is the GPU backend's buffer alignment.
pub fn role(
    spec: &crate::estimate::ModelSpec,
    weights: &crate::estimate::weights::WeightBytes,
    shape: Shape,
    gpu_align: u64,
    role: Role,
) -> Option<Vec<u64>> {
    let r = representative_layers(spec);
    if r.is_empty() || r.iter().any(|&il| !supported(&spec.layers[il])) {
        return None;
    }
    let sizes = weight_sizes(spec, weights);
    let n = r.len();
    let (gpus, copies) = match role {
        Role::Cpu => (0, 1),
        Role::Single | Role::CpuMoe | Role::Partial => (1, 1),
        Role::Split { pipeline } => (3, if pipeline { 4 } else { 1 }),
    };
    let parts = match role {
        Role::Partial => 2,
        _ => gpus.max(1),
    };
    let layers: Vec<usize> = r.iter().cycle().take(n * parts).copied().collect();
    let devs: Vec<usize> = match role {
        Role::Partial => (0..2 * n).map(|k| usize::from(k >= n)).collect(),
        Role::Cpu => vec![HOST; n],
        _ => (0..n * parts).map(|k| 1 + k / n).collect(),
    };
    let mut experts = devs.clone();
    if role == Role::CpuMoe {
        experts.iter_mut().for_each(|d| *d = HOST);
    }
    // Experts kept on the CPU still count as offloaded layers (`-ngl 99`).
    let full = gpus > 0 && devs.iter().all(|&d| d != HOST);
    let p = Placement {
        kv: devs.clone(),
        experts,
        layer: devs,
        output: gpus,
        n_devices: gpus + 1,
        n_copies: copies,
        op_offload: true,
        pin_norms: full || shape.n_ubatch < 32,
    };
    let mut align = vec![gpu_align; gpus + 1];
    align[HOST] = 32;
    compute_buffers(spec, &layers, true, shape, &p, &align, &sizes)
}
