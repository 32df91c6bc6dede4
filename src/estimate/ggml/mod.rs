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

use crate::estimate::model::KvLayout;

/// The reserve graph of `layers` on `placement`, as ggml's allocator sees
/// it (with the scheduler's copies), and the graph it came from; `None`
/// when a layer has no graph here.
fn scheduled(
    spec: &crate::estimate::ModelSpec,
    layers: &[usize],
    output: bool,
    shape: Shape,
    placement: &Placement,
    weight_bytes: &dyn Fn(Option<usize>, &str) -> u64,
) -> Option<(graph::LGraph, alloc::Graph)> {
    let g = build(spec, layers, output, shape, weight_bytes)?;
    let s = schedule(&g, placement);
    Some((g, s))
}

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
    let (_, s) = scheduled(spec, layers, output, shape, placement, weight_bytes)?;
    Some(alloc::reserve(&s, align))
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
    let (g, scheduled) = scheduled(spec, layers, output, shape, placement, weight_bytes)?;
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
/// at theirs), the output projection as sized. `name` is the GGUF name
/// without `blk.N.` (a bare name means its `.weight`).
pub fn weight_sizes<'a>(
    spec: &'a crate::estimate::ModelSpec,
    weights: &'a crate::estimate::weights::WeightBytes,
) -> impl Fn(Option<usize>, &str) -> u64 + 'a {
    move |layer: Option<usize>, name: &str| -> u64 {
        let Some(il) = layer else {
            return if name == "output" { weights.output } else { 0 };
        };
        let tensors = &spec.layers[il].tensors;
        let Some(t) = tensors.iter().find(|t| graph::is_named(&t.name, name)) else {
            return 0;
        };
        let (mut dense, mut experts) = (0u64, 0u64);
        for t in tensors {
            if t.is_experts() {
                experts += t.numel();
            } else {
                dense += t.numel();
            }
        }
        let e = weights.layer_experts.get(il).copied().unwrap_or(0);
        let all = weights.layers.get(il).copied().unwrap_or(0);
        let (bytes, n) = if t.is_experts() {
            (e, experts)
        } else {
            (all.saturating_sub(e), dense)
        };
        if n == 0 {
            0
        } else {
            (u128::from(t.numel()) * u128::from(bytes) / u128::from(n)) as u64
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
    // Same attention and the same tensors (kinds and shapes: a model's
    // layers of one kind name them alike).
    let same = |a: &crate::estimate::model::Layer, b: &crate::estimate::model::Layer| {
        a.attention
            .map(|x| (x.n_head, x.kv, x.window_len().is_some()))
            == b.attention
                .map(|x| (x.n_head, x.kv, x.window_len().is_some()))
            && a.tensors.len() == b.tensors.len()
            && a.tensors
                .iter()
                .zip(&b.tensors)
                .all(|(x, y)| x.kind == y.kind && x.ne == y.ne)
    };
    let mut kinds: Vec<usize> = Vec::new();
    for (il, layer) in spec.layers.iter().enumerate() {
        if !kinds.iter().any(|&k| same(&spec.layers[k], layer)) {
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
    let key = Key {
        model: fingerprint(spec, weights, &r),
        shape,
        gpu_align,
        role,
    };
    if let Some(hit) = MEMO.with(|m| m.borrow().get(&key).cloned()) {
        return hit;
    }
    let out = place_role(spec, weights, shape, gpu_align, role, &r);
    MEMO.with(|m| m.borrow_mut().put(key, out.clone()));
    out
}

/// What a placement's result depends on, for [`MEMO`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Key {
    model: u64,
    shape: Shape,
    gpu_align: u64,
    role: Role,
}

/// The last placements made: the planner's searches ask for the same few
/// shapes many times per input (a sweep's rows share contexts, bisections
/// share their first steps). A pure function's memo: the same key always
/// maps to the same buffers.
struct Memo {
    entries: Vec<(Key, Option<Vec<u64>>)>,
    next: usize,
}

impl Memo {
    const SIZE: usize = 256;

    fn get(&self, key: &Key) -> Option<&Option<Vec<u64>>> {
        self.entries.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    fn put(&mut self, key: Key, value: Option<Vec<u64>>) {
        if self.entries.len() < Self::SIZE {
            self.entries.push((key, value));
        } else {
            self.entries[self.next] = (key, value);
            self.next = (self.next + 1) % Self::SIZE;
        }
    }
}

thread_local! {
    static MEMO: std::cell::RefCell<Memo> = const {
        std::cell::RefCell::new(Memo { entries: Vec::new(), next: 0 })
    };
}

/// A hash of everything in `spec` and `weights` a placement of the
/// representative layers `r` reads (FNV-1a over their shapes and sizes;
/// a tensor by its kind, shape and name length: a bias and a weight of one
/// kind differ in both).
fn fingerprint(
    spec: &crate::estimate::ModelSpec,
    weights: &crate::estimate::weights::WeightBytes,
    r: &[usize],
) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut mix = |x: u64| {
        for b in x.to_le_bytes() {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    mix(spec.n_embd);
    mix(spec.n_vocab);
    mix(u64::from(spec.llama_cpp_swa));
    mix(spec.moe.map_or(0, |m| m.n_expert_used));
    mix(weights.output);
    for &il in r {
        let layer = &spec.layers[il];
        mix(il as u64);
        mix(weights.layers.get(il).copied().unwrap_or(0));
        mix(weights.layer_experts.get(il).copied().unwrap_or(0));
        if let Some(a) = layer.attention {
            mix(a.n_head);
            mix(a.window_len().unwrap_or(0));
            if let KvLayout::Heads {
                n_head_kv,
                head_dim_k,
                head_dim_v,
            } = a.kv
            {
                mix(n_head_kv);
                mix(head_dim_k);
                mix(head_dim_v);
            }
        }
        for t in &layer.tensors {
            mix(t.kind as u64);
            mix(t.name.len() as u64);
            t.ne.iter().for_each(|&n| mix(n));
        }
    }
    h
}

/// [`role`] without the memo.
fn place_role(
    spec: &crate::estimate::ModelSpec,
    weights: &crate::estimate::weights::WeightBytes,
    shape: Shape,
    gpu_align: u64,
    role: Role,
    r: &[usize],
) -> Option<Vec<u64>> {
    if r.is_empty() || r.iter().any(|&il| !supported(&spec.layers[il])) {
        return None;
    }
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
