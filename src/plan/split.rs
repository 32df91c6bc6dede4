//! Placement: which GPU holds which layers, and whether it all fits.
//!
//! Each used GPU (or tensor-parallel group acting as one pipeline stage)
//! holds a contiguous range of layers — their weights **and** their KV cache
//! — plus its compute buffer and runtime overhead. The engine's fixed parts
//! go where the engine puts them: llama.cpp keeps token embeddings in host
//! memory and the output layer on the last GPU; transformers and vLLM put the
//! embeddings on the first device and norm + lm_head on the last.
//!
//! The split minimises the peak utilisation (bytes used / usable bytes) over
//! all contiguous partitions, leaving a GPU unused when that is better (an
//! unused GPU costs nothing: the plan then sets `CUDA_VISIBLE_DEVICES`). It
//! is a bisection on the utilisation bound whose feasibility test is exact: a
//! greedy pass gives each device as many layers as fit under the bound
//! (taking more layers early never hurts later devices) and, at each device,
//! checks whether it can take all remaining layers plus the output as the
//! last one. Because the test is exact, "longest context" and "most
//! sequences" searches built on it are optimal too (`tests` compare with
//! brute force over all partitions).
//!
//! When the GPUs are not enough, offload follows the engine: llama.cpp keeps
//! the first layers on the CPU (`-ngl`) or, for MoE models, only their
//! experts (`--n-cpu-moe`); accelerate puts the last layers on `cpu`; vLLM
//! moves whole weights to host memory (`--cpu-offload-gb`).

use serde::Serialize;

use super::device::Gpu;
use super::placement::{assign_layers, default_split, row_shares, Placement, SplitMode};
use crate::estimate::ggml::Role;
use crate::estimate::memory::estimate_with;
use crate::estimate::memory::Engine;
use crate::estimate::model::KvLayout;
use crate::estimate::vllm;
use crate::estimate::weights::WeightBytes;
use crate::estimate::{estimate, Estimate, ModelSpec, RunSettings};

mod fixed;
pub(crate) use fixed::plan_fixed;

/// Everything a plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    pub spec: &'a ModelSpec,
    pub settings: RunSettings,
    pub gpus: &'a [Gpu],
    /// Host RAM available for offload; `None` when not given (unchecked).
    pub host_ram: Option<u64>,
    /// Whether layers may go to the CPU when the GPUs are not enough.
    pub allow_offload: bool,
    /// llama.cpp's `-ngl` / `-ts` / `-sm` / `-mg` as the user fixed them:
    /// when set (and fixed), the plan evaluates that placement instead of
    /// searching one ([`super::placement`]).
    pub fixed: Option<&'a Placement>,
}

/// Tensor × pipeline parallel layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Layout {
    /// GPUs per tensor-parallel group (1: no tensor parallelism).
    pub tp: usize,
    /// Pipeline stages used.
    pub pp: usize,
}

/// What was moved to host memory to make it fit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Offload {
    /// Whole layers on the CPU (llama.cpp: the first ones, `-ngl` lowered;
    /// accelerate: the last ones, `"cpu"` in the device map).
    pub cpu_layers: usize,
    /// The first layers whose experts stay on the CPU (llama.cpp
    /// `--n-cpu-moe N`, which counts dense layers too).
    pub cpu_moe_layers: usize,
    /// Weight bytes per GPU kept in host memory (vLLM `--cpu-offload-gb`).
    pub cpu_weights_per_gpu: u64,
}

impl Offload {
    pub fn any(&self) -> bool {
        self.cpu_layers > 0 || self.cpu_moe_layers > 0 || self.cpu_weights_per_gpu > 0
    }
}

/// One GPU's share of the plan. All sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevicePlan {
    pub name: String,
    /// Index in the GPU list as given (the CUDA device order).
    pub index: usize,
    /// Node (machine) the GPU is in.
    pub node: usize,
    /// Pipeline stage, when the GPU is used.
    pub stage: Option<usize>,
    pub capacity_bytes: u64,
    pub usable_bytes: u64,
    /// First and last layer held, inclusive; `None` when it holds none.
    pub layers: Option<[usize; 2]>,
    pub weights_bytes: u64,
    /// Of `weights_bytes`, a vision-language model's image side.
    pub vision_bytes: u64,
    pub kv_bytes: u64,
    pub compute_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
}

impl DevicePlan {
    pub fn free_bytes(&self) -> u64 {
        self.usable_bytes.saturating_sub(self.total_bytes)
    }

    /// Bytes over what this device can hold.
    pub fn shortfall_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.usable_bytes)
    }

    pub fn layer_count(&self) -> usize {
        self.layers.map_or(0, |[a, b]| b - a + 1)
    }

    pub fn used(&self) -> bool {
        self.stage.is_some()
    }
}

/// What a plan keeps in host memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HostPlan {
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    pub compute_bytes: u64,
}

/// A placement and its verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub fits: bool,
    /// The settings this plan is for (the objective may change ctx or batch).
    pub settings: RunSettings,
    pub estimate: Estimate,
    pub layout: Layout,
    pub offload: Offload,
    /// Every GPU in the order given, used or not.
    pub devices: Vec<DevicePlan>,
    /// Bytes in host memory: offloaded weights and KV, llama.cpp's token
    /// embeddings and logits.
    pub host_bytes: u64,
    /// Of `host_bytes`: offloaded and host-resident weights, offloaded KV,
    /// and the engine's host buffers (llama.cpp's compute and output).
    pub host: HostPlan,
    /// Host RAM given by the user, if any.
    pub host_ram_bytes: Option<u64>,
    /// Total bytes missing across devices and host (0 when it fits).
    pub shortfall_bytes: u64,
    /// vLLM's startup accounting for this placement (`--engine vllm`).
    pub vllm: Option<vllm::Startup>,
    /// The llama.cpp placement this plan evaluates, when the user fixed
    /// one (`None`: the placement was searched).
    pub fixed: Option<Placement>,
}

impl Plan {
    /// The highest bytes used / usable over used GPUs.
    pub fn peak_utilisation(&self) -> f64 {
        self.devices
            .iter()
            .filter(|d| d.used())
            .map(|d| d.total_bytes as f64 / d.usable_bytes.max(1) as f64)
            .fold(0.0, f64::max)
    }

    pub fn used_devices(&self) -> impl Iterator<Item = &DevicePlan> {
        self.devices.iter().filter(|d| d.used())
    }

    /// Layers on GPUs (excluding CPU-offloaded ones).
    pub fn gpu_layers(&self) -> usize {
        self.estimate.layer_weights.len() - self.offload.cpu_layers
    }
}

/// Per-GPU bytes of a run for one tensor-parallel size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Costs {
    /// Each layer's weights + KV cache on one GPU of its stage.
    pub layer: Vec<u64>,
    pub layer_kv: Vec<u64>,
    /// Overhead and compute on every used GPU.
    pub fixed: u64,
    pub compute: u64,
    /// Extra weights on the first used stage (embeddings on the GPU, the
    /// image side of a vision-language model).
    pub first: u64,
    /// Of `first`, the image side's weights.
    pub first_vision: u64,
    /// Of `first`, the image encoder's compute buffer.
    pub first_compute: u64,
    /// Extra weights on the last used stage (norm + output projection).
    pub last_weights: u64,
    /// Extra compute on the last used stage (logits).
    pub last_compute: u64,
    /// Correction when one stage is both first and last (llama.cpp's
    /// single-GPU buffers are not its first's plus its last's).
    pub alone: i64,
}

/// KV heads one tensor-parallel rank holds, over the layer's KV heads.
fn kv_share(layout: KvLayout, tp: u64) -> (u64, u64) {
    match layout {
        // MLA's latent and a shared K=V head are not sharded: every rank
        // holds all of it.
        KvLayout::Latent { .. } | KvLayout::SharedKv { .. } => (1, 1),
        KvLayout::Heads { n_head_kv, .. } => ((n_head_kv / tp).max(1), n_head_kv),
    }
}

/// `stages` is how many pipeline stages the GPUs form: llama.cpp's compute
/// buffers differ on one GPU and on the first, middle and last of several.
pub(crate) fn costs(
    spec: &ModelSpec,
    e: &Estimate,
    tp: usize,
    stages: usize,
    s: &RunSettings,
) -> Costs {
    let tp = tp as u64;
    let shard = |total: u64, replicated: u64| replicated + (total - replicated).div_ceil(tp);
    let layer_kv: Vec<u64> = spec
        .layers
        .iter()
        .zip(&e.layer_kv)
        .map(|(l, &kv)| {
            // A recurrent state is split by heads like the KV cache; an
            // attention-less layer's state is treated as evenly sharded.
            let (held, all) = l.attention.map_or((1, tp), |a| kv_share(a.kv, tp));
            (kv * held).div_ceil(all)
        })
        .collect();
    let layer = e
        .layer_weights
        .iter()
        .zip(&e.weights.layer_replicated)
        .zip(&layer_kv)
        .map(|((&w, &r), &kv)| shard(w, r) + kv)
        .collect();
    if s.engine == Engine::Vllm {
        return vllm_costs(spec, e, tp, s, layer, layer_kv);
    }
    // llama.cpp's graph placed per role: one GPU, or the first, middle and
    // last of a pipeline (every layer offloaded) — see `finish` for the
    // exact buffers of the placement chosen.
    let (compute, first_extra, last_extra, alone) = match (&e.graph, stages > 1 && tp == 1) {
        (Some(g), true) => {
            let b = g.role(spec, &e.weights, Role::Split { pipeline: true });
            let middle = b[2];
            let (first, last) = (b[1].max(middle), b[3].max(middle));
            // One GPU used of several holds all of it, not a pipeline.
            let alone = g.single[1] as i64 - (first + last - middle) as i64;
            (middle, first - middle, last - middle, alone)
        }
        _ => (e.compute_layers, 0, e.compute_output, 0),
    };
    Costs {
        layer,
        layer_kv,
        fixed: e.overhead_per_gpu + compute,
        compute,
        // The image side sits with the embeddings on the first device
        // (llama.cpp loads its mmproj on the main GPU even though token
        // embeddings stay in host memory), split like them under TP.
        first: if e.token_embd_on_host {
            0
        } else {
            e.token_embd.div_ceil(tp)
        } + e.weights.vision.div_ceil(tp)
            + e.compute_vision
            + first_extra,
        first_vision: e.weights.vision.div_ceil(tp),
        first_compute: e.compute_vision + first_extra,
        last_weights: e.output.div_ceil(tp),
        last_compute: last_extra,
        alone,
    }
}

/// vLLM's costs on a rank of `tp`: its budget (`total × utilization`, see
/// [`stage_usable`]) holds the weights, the profile run's activation peak,
/// non-torch memory and, from v0.21, the CUDA-graph estimate; the CUDA
/// context sits outside it. The forward pass's peak is on every rank, the
/// sampler's on the last and the dummy images' on the first.
fn vllm_costs(
    spec: &ModelSpec,
    e: &Estimate,
    tp: u64,
    s: &RunSettings,
    layer: Vec<u64>,
    layer_kv: Vec<u64>,
) -> Costs {
    let era = vllm::Era::of(s.vllm.version);
    let act = vllm::profile::activation(spec, s, era, tp, true, true);
    let graphs = if era.subtracts_graphs && !s.vllm.enforce_eager {
        vllm::profile::cuda_graphs(spec, s, tp)
    } else {
        0
    };
    let images = act.embeddings + act.encoder.saturating_sub(act.forward);
    Costs {
        layer,
        layer_kv,
        fixed: vllm::profile::non_torch(era, tp, 1, e.overhead_per_gpu) + act.forward + graphs,
        compute: act.forward + graphs,
        first: e.token_embd.div_ceil(tp) + e.weights.vision.div_ceil(tp) + images,
        first_vision: e.weights.vision.div_ceil(tp),
        first_compute: images,
        last_weights: e.output.div_ceil(tp),
        last_compute: act.sampler.saturating_sub(act.forward),
        alone: 0,
    }
}

/// Layer counts per stage, and which stage is the last used one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Assignment {
    pub counts: Vec<usize>,
    pub last: usize,
}

/// Utilisation bounds are fixed-point fractions with this many bits, so the
/// search is exact integer arithmetic and deterministic on every platform.
const FRACTION_BITS: u32 = 32;

/// The assignment that minimises `max load / usable` over stages.
pub(crate) fn min_peak_split(c: &Costs, usable: &[u64]) -> Assignment {
    let total: u64 = c.layer.iter().sum();
    let everything = c.fixed + c.first + c.last_weights + c.last_compute + total;
    // At this bound the first stage could hold everything, so filling succeeds.
    let mut hi: u128 =
        (u128::from(everything) << FRACTION_BITS).div_ceil(u128::from(usable[0].max(1)));
    let mut lo: u128 = 0;
    let mut best = fill(c, usable, hi).expect("the first stage can hold everything at this bound");
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match fill(c, usable, mid) {
            Some(a) => {
                best = a;
                hi = mid;
            }
            None => lo = mid,
        }
    }
    best
}

/// Whether all layers fit under `bound × usable` on every used stage.
pub(crate) fn fill(c: &Costs, usable: &[u64], bound: u128) -> Option<Assignment> {
    greedy(c, usable, bound).ok().map(|(a, _)| a)
}

/// [`fill`]'s greedy pass. When a stage takes the rest as the last one:
/// the assignment and that stage's bytes under its budget; when none can:
/// the bytes the final stage misses holding all that is left (at least 1).
fn greedy(c: &Costs, usable: &[u64], bound: u128) -> Result<(Assignment, u128), u128> {
    let n = c.layer.len();
    let mut counts = vec![0; usable.len()];
    let mut next = 0;
    let mut rest: u128 = c.layer.iter().map(|&b| u128::from(b)).sum();
    let mut any_used = false;
    let mut missing = 1;
    for (j, &u) in usable.iter().enumerate() {
        let budget = (u128::from(u) * bound) >> FRACTION_BITS;
        let base = u128::from(c.fixed) + if any_used { 0 } else { u128::from(c.first) };
        // As the last stage: everything left plus the output.
        let alone = if any_used { 0 } else { c.alone };
        let last = (base + u128::from(c.last_weights + c.last_compute) + rest)
            .saturating_add_signed(i128::from(alone));
        if last <= budget && (next < n || any_used || j == 0 || c.first == 0) {
            counts[j] = n - next;
            return Ok((Assignment { counts, last: j }, budget - last));
        }
        missing = last.saturating_sub(budget).max(1);
        // As a middle stage: as many layers as fit; unused if none does.
        let mut used = base;
        let start = next;
        while next < n && used + u128::from(c.layer[next]) <= budget {
            used += u128::from(c.layer[next]);
            rest -= u128::from(c.layer[next]);
            next += 1;
        }
        counts[j] = next - start;
        any_used |= next > start;
    }
    Err(missing)
}

/// Bytes to spare when everything must fit under `usable` (negative:
/// missing): ≥ 0 exactly when [`fill`] succeeds at bound 1. Fitting, what
/// the last stage leaves plus what each unused stage after it could take
/// beyond its fixed costs; not fitting, what the final stage misses. Both
/// move close to linearly with the context and the sequences (greedy
/// stages before the last leave up to a layer unfilled), which is what
/// the searches interpolate on.
fn room(c: &Costs, usable: &[u64]) -> i128 {
    match greedy(c, usable, 1 << FRACTION_BITS) {
        Ok((a, free)) => {
            let unused: u128 = usable[a.last + 1..]
                .iter()
                .map(|&u| u128::from(u.saturating_sub(c.fixed)))
                .sum();
            i128::try_from(free + unused).unwrap_or(i128::MAX)
        }
        Err(missing) => -i128::try_from(missing).unwrap_or(i128::MAX),
    }
}

/// Builds the device list for an assignment of layers `first_layer..` to
/// stages of `tp` GPUs each (`stages[j]` lists GPU indices).
pub(crate) fn build(
    request: &PlanRequest,
    c: &Costs,
    stages: &[Vec<usize>],
    a: &Assignment,
    first_layer: usize,
) -> Vec<DevicePlan> {
    let gpus = request.gpus;
    let mut devices: Vec<DevicePlan> = gpus
        .iter()
        .enumerate()
        .map(|(i, g)| DevicePlan {
            name: g.name.clone(),
            index: i,
            node: g.node,
            stage: None,
            capacity_bytes: g.capacity,
            usable_bytes: usable(g, &request.settings),
            layers: None,
            weights_bytes: 0,
            vision_bytes: 0,
            kv_bytes: 0,
            compute_bytes: 0,
            overhead_bytes: 0,
            total_bytes: 0,
        })
        .collect();
    let first_used = a
        .counts
        .iter()
        .position(|&n| n > 0)
        .unwrap_or(a.last)
        .min(a.last);
    let mut next = 0;
    for (j, stage) in stages.iter().enumerate().take(a.last + 1) {
        let count = a.counts[j];
        if count == 0 && j != a.last && j != first_used {
            continue;
        }
        let range = next..next + count;
        let kv: u64 = c.layer_kv[range.clone()].iter().sum();
        let weights = c.layer[range.clone()].iter().sum::<u64>() - kv
            + if j == first_used {
                c.first - c.first_compute
            } else {
                0
            }
            + if j == a.last { c.last_weights } else { 0 };
        let compute = c.compute
            + if j == a.last { c.last_compute } else { 0 }
            + if j == first_used { c.first_compute } else { 0 };
        let compute = if j == first_used && j == a.last {
            compute.saturating_add_signed(c.alone)
        } else {
            compute
        };
        for &g in stage {
            let d = &mut devices[g];
            d.stage = Some(j);
            d.layers = (!range.is_empty())
                .then(|| [first_layer + range.start, first_layer + range.end - 1]);
            d.weights_bytes = weights;
            d.vision_bytes = if j == first_used { c.first_vision } else { 0 };
            d.kv_bytes = kv;
            d.compute_bytes = compute;
            // The engine's fixed cost besides compute: the runtime overhead
            // (vLLM: the non-torch memory inside its budget).
            let overhead = c.fixed - c.compute;
            d.overhead_bytes = overhead;
            d.total_bytes = weights + kv + compute + overhead;
        }
        next = range.end;
    }
    devices
}

/// The tensor-parallel sizes to try: the one the user fixed (vLLM
/// `--tensor-parallel-size`), else every size the engine allows.
fn tp_sizes(request: &PlanRequest, planned: &[usize]) -> Vec<usize> {
    let all = candidates(request.spec, request.gpus, planned, request.settings.engine);
    let fixed = usize::from(request.settings.vllm.tensor_parallel);
    if request.settings.engine != Engine::Vllm || fixed == 0 || fixed > planned.len() {
        return all;
    }
    vec![fixed]
}

/// Tensor-parallel sizes an engine allows for this model on these GPUs.
pub fn tp_candidates(spec: &ModelSpec, gpus: &[Gpu], engine: Engine) -> Vec<usize> {
    let all: Vec<usize> = (0..gpus.len()).collect();
    candidates(spec, gpus, &all, engine)
}

/// [`tp_candidates`] on the GPUs at `planned`.
fn candidates(spec: &ModelSpec, all: &[Gpu], planned: &[usize], engine: Engine) -> Vec<usize> {
    let gpus = || planned.iter().map(|&i| &all[i]);
    if engine == Engine::ExLlamaV2 {
        // ExLlamaV2's tensor parallelism spans all GPUs of one machine and
        // splits heads (and KV heads) across them.
        let n = planned.len();
        let single_node = gpus().all(|g| g.node == 0);
        let divides = spec.first_attention().is_some_and(|a| {
            (a.n_head as usize).is_multiple_of(n) && (a.n_head_kv() as usize).is_multiple_of(n)
        });
        return if n > 1 && single_node && divides {
            vec![1, n]
        } else {
            vec![1]
        };
    }
    if engine != Engine::Vllm {
        return vec![1];
    }
    let per_node = gpus().fold(std::collections::BTreeMap::new(), |mut m, g| {
        *m.entry(g.node).or_insert(0usize) += 1;
        m
    });
    let smallest_node = per_node.values().copied().min().unwrap_or(1);
    let Some(attention) = spec.first_attention() else {
        return vec![1];
    };
    let n_head = attention.n_head as usize;
    let n_kv = attention.n_head_kv() as usize;
    (1..=smallest_node)
        .filter(|&tp| {
            // vLLM: heads split evenly; KV heads split or replicated evenly;
            // a TP group stays inside a node; every node splits the same way.
            n_head.is_multiple_of(tp)
                && (n_kv.is_multiple_of(tp) || tp.is_multiple_of(n_kv))
                && per_node.values().all(|&k| k.is_multiple_of(tp))
        })
        .collect()
}

/// Groups the GPUs at `indices` into stages of `tp` consecutive GPUs
/// within each node.
fn stages(gpus: &[Gpu], indices: impl Iterator<Item = usize>, tp: usize) -> Vec<Vec<usize>> {
    let mut stages: Vec<Vec<usize>> = Vec::new();
    for i in indices {
        match stages.last_mut() {
            Some(s) if s.len() < tp && gpus[s[0]].node == gpus[i].node => s.push(i),
            _ => stages.push(vec![i]),
        }
    }
    stages
}

/// The GPUs a plan is made on, by index. vLLM stops if any of its workers
/// fails the startup check (less free than its budget): while some GPU
/// passes it, only those that pass, and the plan leaves the others out
/// (`CUDA_VISIBLE_DEVICES`) instead of not running — unless a fixed
/// tensor-parallel size cannot be formed from them. Otherwise all of them
/// (when none passes, the plan's shortfall is the startup gap).
fn planned_gpus(request: &PlanRequest) -> Vec<usize> {
    let all: Vec<usize> = (0..request.gpus.len()).collect();
    let s = &request.settings;
    if s.engine != Engine::Vllm {
        return all;
    }
    let starting: Vec<usize> = all
        .iter()
        .copied()
        .filter(|&i| startup_gap(&request.gpus[i], s, s.overhead_per_gpu) == 0)
        .collect();
    let fixed = usize::from(s.vllm.tensor_parallel);
    let formed =
        fixed == 0 || candidates(request.spec, request.gpus, &starting, s.engine).contains(&fixed);
    if starting.is_empty() || !formed {
        return all;
    }
    starting
}

/// The stages a plan may use: all of them, or with vLLM's
/// `--pipeline-parallel-size` fixed, that many.
fn layout_stages(request: &PlanRequest, planned: &[usize], tp: usize) -> Vec<Vec<usize>> {
    let mut all = stages(request.gpus, planned.iter().copied(), tp);
    let fixed = usize::from(request.settings.vllm.pipeline_parallel);
    if request.settings.engine == Engine::Vllm && fixed > 0 {
        all.truncate(fixed);
    }
    all
}

/// Plans the request: the best layout, the min-peak split, and offload when
/// the GPUs alone are not enough.
pub fn plan(request: PlanRequest) -> Plan {
    let e = estimate(request.spec, &request.settings);
    if let Some(fixed) = fixed_placement(&request) {
        return plan_fixed(&request, &e, fixed);
    }
    let mut best: Option<Plan> = None;
    let planned = planned_gpus(&request);
    for tp in tp_sizes(&request, &planned) {
        let candidate = plan_with_tp(&request, &e, &planned, tp);
        // Fits first, then less missing, then lower peak. A larger
        // tensor-parallel size (tried later) wins when its peak is within
        // two points: splitting each layer across GPUs beats a pipeline for
        // latency, which is why vLLM users use TP inside a machine.
        let better = match &best {
            None => true,
            Some(b) if candidate.fits != b.fits => candidate.fits,
            Some(b) if !candidate.fits => candidate.shortfall_bytes < b.shortfall_bytes,
            Some(b) => candidate.peak_utilisation() <= b.peak_utilisation() + 0.02,
        };
        if better {
            best = Some(candidate);
        }
    }
    let mut best = best.expect("at least one tensor-parallel size");
    vllm_view(&mut best);
    best
}

/// vLLM takes its whole budget: each GPU's KV is the pool vLLM allocates
/// (what is left of `total × utilization`), its compute the activation
/// peak and CUDA graphs, its overhead the non-torch memory.
fn vllm_view(plan: &mut Plan) {
    let Some(st) = &plan.vllm else {
        return;
    };
    for r in &st.ranks {
        if let Some(d) = plan.devices.iter_mut().find(|d| d.index == r.device) {
            d.kv_bytes = r.kv_cache_bytes.max(0) as u64;
            d.compute_bytes = r.activation_bytes + r.cuda_graph_bytes;
            d.overhead_bytes = r.non_torch_bytes;
            d.total_bytes = d.weights_bytes + d.kv_bytes + d.compute_bytes + d.overhead_bytes;
        }
    }
}

/// vLLM: what the used GPU worst off lacks for vLLM to start (its budget
/// over what is free at its startup check, as [`vllm_startup`] checks it);
/// 0 when all start, or for other engines.
fn vllm_missing_at_startup(request: &PlanRequest, devices: &[DevicePlan], context: u64) -> u64 {
    devices
        .iter()
        .filter(|d| d.used())
        .map(|d| missing_at_startup(request, &request.gpus[d.index], context))
        .max()
        .unwrap_or(0)
}

/// The largest `--gpu-memory-utilization` (in hundredths, floored) vLLM
/// starts with on every one of `gpus`: the share of each one's CUDA total
/// free at its startup check.
pub fn startup_share(gpus: &[Gpu], context: u64) -> u32 {
    let share = gpus
        .iter()
        .map(|g| {
            let free = vllm::free_at_startup(g.cuda_total, g.capacity, g.reserve, context);
            free as f64 / g.cuda_total.max(1) as f64
        })
        .fold(1.0, f64::min);
    (share * 100.0).floor() as u32
}

/// What `gpu` lacks for vLLM to start: its budget over what is free at
/// the startup check (0 when it starts, or for other engines).
pub fn missing_at_startup(request: &PlanRequest, gpu: &Gpu, context: u64) -> u64 {
    startup_gap(gpu, &request.settings, context)
}

/// [`missing_at_startup`] from the settings alone.
fn startup_gap(gpu: &Gpu, s: &RunSettings, context: u64) -> u64 {
    if s.engine != Engine::Vllm {
        return 0;
    }
    let era = vllm::Era::of(s.vllm.version);
    let free = vllm::free_at_startup(gpu.cuda_total, gpu.capacity, gpu.reserve, context);
    let requested = s.vllm.requested(gpu.cuda_total);
    if vllm::refuses_to_start(era, free, requested) {
        requested - free
    } else {
        0
    }
}

/// Each stage's usable bytes per GPU: a tensor-parallel group is limited by
/// its smallest GPU.
/// vLLM's is its budget, `total × gpu_memory_utilization`.
fn stage_usable(gpus: &[Gpu], stages: &[Vec<usize>], s: &RunSettings) -> Vec<u64> {
    stages
        .iter()
        .map(|st| st.iter().map(|&g| usable(&gpus[g], s)).min().unwrap_or(0))
        .collect()
}

/// What the GPU worst off among `stages` lacks for vLLM to start (0 when
/// all start): such a layout runs at no context.
fn stages_startup_gap(gpus: &[Gpu], stages: &[Vec<usize>], s: &RunSettings) -> u64 {
    stages
        .iter()
        .flatten()
        .map(|&g| startup_gap(&gpus[g], s, s.overhead_per_gpu))
        .max()
        .unwrap_or(0)
}

/// What a run may use of `gpu`.
pub(crate) fn usable(gpu: &Gpu, s: &RunSettings) -> u64 {
    match s.engine {
        Engine::Vllm => s.vllm.requested(gpu.cuda_total),
        _ => gpu.usable(),
    }
}

/// Whether the request fits on the GPUs alone — the same verdict as
/// [`plan`] without offload, from one exact feasibility pass per layout
/// instead of the whole split search (the longest-context and most-sequence
/// searches ask this dozens of times per keystroke).
pub fn fits_on_gpus(request: &PlanRequest, weights: &WeightBytes) -> bool {
    on_gpus(request, weights, |mut rooms| {
        Iterator::find(&mut rooms, |&r| r >= 0)
    }) >= 0
}

/// Bytes to spare on the GPUs alone, negative when missing: ≥ 0 exactly
/// when [`fits_on_gpus`] holds, at the same cost, and close to linear in
/// the context and the sequences — the best layout's [`room`], or the
/// host's when the host is the tighter (a fixed placement: its tightest
/// GPU's free bytes, or minus its shortfall). Only a guess's input: the
/// searches that interpolate on it decide by its sign.
pub fn room_on_gpus(request: &PlanRequest, weights: &WeightBytes) -> i64 {
    on_gpus(request, weights, |rooms| Iterator::max(rooms))
}

/// The room on the GPUs alone, from `pick` over each layout's room
/// (`None`: no layout fits).
fn on_gpus(
    request: &PlanRequest,
    weights: &WeightBytes,
    pick: impl FnOnce(&mut dyn Iterator<Item = i128>) -> Option<i128>,
) -> i64 {
    let e = estimate_with(request.spec, &request.settings, weights.clone());
    if let Some(fixed) = fixed_placement(request) {
        let plan = plan_fixed(request, &e, fixed);
        if !plan.fits {
            return -i64::try_from(plan.shortfall_bytes.max(1)).unwrap_or(i64::MAX);
        }
        let host = request
            .host_ram
            .map(|ram| ram.saturating_sub(plan.host_bytes));
        let free = plan.used_devices().map(DevicePlan::free_bytes).chain(host);
        return i64::try_from(free.min().unwrap_or(0)).unwrap_or(i64::MAX);
    }
    let host = if e.token_embd_on_host {
        e.token_embd
    } else {
        0
    } + e.host_output_buffer
        + e.graph.map_or(e.host_compute.bytes(1), |g| g.single[0]);
    let host_room = request
        .host_ram
        .map_or(i128::MAX, |ram| i128::from(ram) - i128::from(host));
    if host_room < 0 {
        return i64::try_from(host_room).unwrap_or(i64::MIN);
    }
    let planned = planned_gpus(request);
    let mut rooms = tp_sizes(request, &planned).into_iter().map(|tp| {
        let padded = vllm_mxfp4_padding(request, &e, tp);
        let e = padded.as_ref().unwrap_or(&e);
        let stages = layout_stages(request, &planned, tp);
        let usable = stage_usable(request.gpus, &stages, &request.settings);
        let gap = stages_startup_gap(request.gpus, &stages, &request.settings);
        if gap > 0 {
            return -i128::from(gap);
        }
        room(
            &costs(request.spec, e, tp, stages.len(), &request.settings),
            &usable,
        )
    });
    let best = pick(&mut rooms).unwrap_or(-1).min(host_room);
    i64::try_from(best).unwrap_or(if best < 0 { i64::MIN } else { i64::MAX })
}

/// vLLM's MXFP4 experts as its kernel on these GPUs allocates them
/// ([`vllm::mxfp4`]): the estimate with each layer's padding added, or
/// `None` when nothing is padded. The kernel follows the first GPU's
/// architecture; a GPU given only by its size gets none.
fn vllm_mxfp4_padding(request: &PlanRequest, e: &Estimate, tp: usize) -> Option<Estimate> {
    use crate::estimate::WeightFormat;
    use vllm::mxfp4::Kernel;
    let s = &request.settings;
    if s.engine != Engine::Vllm || s.weights != WeightFormat::Mxfp4 || request.spec.stored.is_some()
    {
        return None;
    }
    let card = request
        .gpus
        .first()?
        .card
        .and_then(super::gpus::find_card)?;
    let kernel = match super::gpus::architecture(card) {
        "ampere" | "lovelace" | "turing" | "volta" => Kernel::Marlin,
        "blackwell" if ["b200", "b300", "gb200"].contains(&card.id.as_str()) => Kernel::FlashInfer,
        "hopper" | "blackwell" => Kernel::Triton,
        _ => return None,
    };
    let pad = vllm::mxfp4::expert_padding(request.spec, kernel, tp as u64);
    if pad.iter().all(|&b| b == 0) {
        return None;
    }
    let mut e = e.clone();
    for (il, &extra) in pad.iter().enumerate() {
        e.layer_weights[il] += extra;
        e.weights.layers[il] += extra;
        e.weights.layer_experts[il] += extra;
    }
    Some(e)
}

fn plan_with_tp(request: &PlanRequest, e: &Estimate, planned: &[usize], tp: usize) -> Plan {
    let padded = vllm_mxfp4_padding(request, e, tp);
    let e = padded.as_ref().unwrap_or(e);
    let stages = layout_stages(request, planned, tp);
    let usable = stage_usable(request.gpus, &stages, &request.settings);
    let c = costs(request.spec, e, tp, stages.len(), &request.settings);
    let n = c.layer.len();
    let fits_with = |c: &Costs| -> bool { fill(c, &usable, 1 << FRACTION_BITS).is_some() };
    let engine = request.settings.engine;
    let mut offload = Offload::default();
    let mut gpu_costs = c.clone();
    let mut first_layer = 0;
    // With layers or experts in host memory, the first GPU also holds the
    // copies op offloading makes (llama.cpp's graph, per role; each role's
    // buffers are placed once).
    let roles: [std::cell::OnceCell<u64>; 2] = Default::default();
    let offloading = |c: &mut Costs, role: Role| {
        if let (Some(g), 1) = (&e.graph, tp) {
            let cell = &roles[usize::from(role == Role::CpuMoe)];
            let gpu = *cell.get_or_init(|| {
                g.role(request.spec, &e.weights, role)
                    .get(1)
                    .copied()
                    .unwrap_or(0)
            });
            let extra = gpu.saturating_sub(c.compute + c.first_compute - e.compute_vision);
            c.first += extra;
            c.first_compute += extra;
        }
    };
    if request.allow_offload && !fits_with(&c) {
        match engine {
            Engine::LlamaCpp | Engine::Ollama if e.weights.layer_experts.iter().any(|&x| x > 0) => {
                // Experts of the first N layers stay on the CPU.
                let with_cpu_moe = |k: usize| {
                    let mut c = c.clone();
                    for i in 0..k {
                        c.layer[i] -= e.weights.layer_experts[i].div_ceil(tp as u64);
                    }
                    if k > 0 {
                        offloading(&mut c, Role::CpuMoe);
                    }
                    c
                };
                if let Some(k) = smallest(0, n, |k| fits_with(&with_cpu_moe(k))) {
                    offload.cpu_moe_layers = k;
                    gpu_costs = with_cpu_moe(k);
                }
            }
            Engine::LlamaCpp | Engine::Ollama => {
                // The first layers stay on the CPU: -ngl counts from the end.
                let tail = |k: usize| {
                    let mut t = Costs {
                        layer: c.layer[k..].to_vec(),
                        layer_kv: c.layer_kv[k..].to_vec(),
                        ..c.clone()
                    };
                    if k > 0 {
                        offloading(&mut t, Role::Partial);
                    }
                    t
                };
                if let Some(k) = smallest(0, n, |k| fits_with(&tail(k))) {
                    offload.cpu_layers = k;
                    gpu_costs = tail(k);
                    first_layer = k;
                }
            }
            Engine::Transformers | Engine::ExLlamaV2 => {
                // accelerate fills GPUs in order; the last layers go to "cpu".
                let head = |k: usize| Costs {
                    layer: c.layer[..n - k].to_vec(),
                    layer_kv: c.layer_kv[..n - k].to_vec(),
                    last_weights: 0,
                    ..c.clone()
                };
                if engine == Engine::Transformers {
                    if let Some(k) = smallest(1, n, |k| fits_with(&head(k))) {
                        offload.cpu_layers = k;
                        gpu_costs = head(k);
                    }
                }
            }
            Engine::Vllm => {
                // --cpu-offload-gb: each GPU keeps that many GB of its own
                // weights in host memory, as if it had that much more room.
                let step = crate::units::GB;
                let most = c
                    .layer
                    .iter()
                    .zip(&c.layer_kv)
                    .map(|(l, kv)| l - kv)
                    .sum::<u64>()
                    .div_ceil(step);
                let roomier = |gb: usize| {
                    usable
                        .iter()
                        .map(|u| u + gb as u64 * step)
                        .collect::<Vec<_>>()
                };
                if let Some(gb) = smallest(1, most as usize, |gb| {
                    fill(&c, &roomier(gb), 1 << FRACTION_BITS).is_some()
                }) {
                    offload.cpu_weights_per_gpu = gb as u64 * step;
                }
            }
        }
    }
    let room: Vec<u64> = usable
        .iter()
        .map(|u| u + offload.cpu_weights_per_gpu)
        .collect();
    let assignment = min_peak_split(&gpu_costs, &room);
    let mut devices = build(request, &gpu_costs, &stages, &assignment, first_layer);
    for d in devices.iter_mut().filter(|d| d.used()) {
        let moved = offload.cpu_weights_per_gpu.min(d.weights_bytes);
        d.weights_bytes -= moved;
        d.total_bytes -= moved;
    }
    let used_stages = assignment.last + 1;
    finish(
        request,
        e.clone(),
        Layout {
            tp,
            pp: used_stages.min(stages.len()),
        },
        offload,
        devices,
    )
}

/// vLLM's startup over the used devices of a placement.
fn vllm_startup(
    request: &PlanRequest,
    layout: Layout,
    e: &Estimate,
    devices: &[DevicePlan],
) -> vllm::Startup {
    let used: Vec<&DevicePlan> = devices.iter().filter(|d| d.used()).collect();
    let first = used.iter().filter_map(|d| d.stage).min();
    let last = used.iter().filter_map(|d| d.stage).max();
    let layers = &request.spec.layers;
    let ranks: Vec<vllm::RankInput> = used
        .iter()
        .map(|d| {
            let gpu = &request.gpus[d.index];
            vllm::RankInput {
                device: d.index,
                total: gpu.cuda_total,
                capacity: gpu.capacity,
                reserve: gpu.reserve,
                weights: d.weights_bytes,
                layers: d.layers.map_or(&layers[..0], |[a, b]| {
                    &layers[a.min(layers.len())..(b + 1).min(layers.len())]
                }),
                first_stage: d.stage == first,
                last_stage: d.stage == last,
            }
        })
        .collect();
    vllm::startup(
        request.spec,
        &request.settings,
        layout.tp as u64,
        layout.pp as u64,
        e.overhead_per_gpu,
        &ranks,
    )
}

/// A plan from devices already built, without offload (for baselines).
pub(crate) fn finish_plan(request: &PlanRequest, e: Estimate, devices: Vec<DevicePlan>) -> Plan {
    let pp = devices.iter().filter(|d| d.used()).count();
    finish(
        request,
        e,
        Layout { tp: 1, pp },
        Offload::default(),
        devices,
    )
}

/// llama.cpp's compute buffers for the placement chosen, from its graph
/// placed by role: each used GPU's (its image encoder's besides) is set in
/// `devices`; returns the host's.
fn graph_compute(
    request: &PlanRequest,
    e: &Estimate,
    g: &crate::estimate::memory::LlamaGraph,
    offload: &Offload,
    pipeline: bool,
    devices: &mut [DevicePlan],
) -> u64 {
    let spec = request.spec;
    let mut used: Vec<usize> = (0..devices.len()).filter(|&i| devices[i].used()).collect();
    used.sort_by_key(|&i| (devices[i].stage, i));
    let Some(&first) = used.first() else {
        return g.single[0];
    };
    let last = *used.last().unwrap_or(&first);
    // What the first GPU does besides its layers: the CPU layers' batches
    // or the CPU experts' (op offload).
    let offloaded = if offload.cpu_layers > 0 {
        Some(g.role(spec, &e.weights, Role::Partial))
    } else if offload.cpu_moe_layers > 0 {
        Some(g.role(spec, &e.weights, Role::CpuMoe))
    } else {
        None
    };
    let (host, buffers): (u64, Vec<(usize, u64)>) = if used.len() == 1 {
        let b = offloaded.unwrap_or_else(|| g.single.to_vec());
        (b[0], vec![(first, b[1])])
    } else {
        let b = g.role(spec, &e.weights, Role::Split { pipeline });
        let extra = offloaded.as_ref().map_or(0, |o| o[1]);
        let host = b[0].max(offloaded.as_ref().map_or(0, |o| o[0]));
        // The first and last GPUs hold at least a middle one's buffer (the
        // planner's costs assume as much; they differ by a hidden state).
        let middle = b[2];
        let per = used
            .iter()
            .map(|&i| {
                let role = if i == first {
                    b[1].max(middle).max(extra)
                } else if i == last {
                    b[3].max(middle)
                } else {
                    middle
                };
                (i, role)
            })
            .collect();
        (host, per)
    };
    for (i, bytes) in buffers {
        let d = &mut devices[i];
        let vision = if i == first { e.compute_vision } else { 0 };
        d.total_bytes = d.total_bytes - d.compute_bytes + bytes + vision;
        d.compute_bytes = bytes + vision;
    }
    host
}

/// The smallest `k` in `from..=to` with `ok(k)`, for monotone `ok`.
fn smallest(from: usize, to: usize, ok: impl Fn(usize) -> bool) -> Option<usize> {
    if !ok(to) {
        return None;
    }
    let (mut lo, mut hi) = (from, to);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if ok(mid) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    Some(lo)
}

fn finish(
    request: &PlanRequest,
    e: Estimate,
    layout: Layout,
    offload: Offload,
    devices: Vec<DevicePlan>,
) -> Plan {
    let n = e.layer_weights.len();
    // Host memory: llama.cpp's embeddings, logits and compute buffer, plus
    // whatever was offloaded.
    let mut weights = if e.token_embd_on_host {
        e.token_embd
    } else {
        0
    };
    let mut kv = 0;
    if offload.cpu_layers > 0 {
        let range = match request.settings.engine {
            Engine::LlamaCpp | Engine::Ollama => 0..offload.cpu_layers,
            _ => n - offload.cpu_layers..n,
        };
        weights += range.clone().map(|i| e.layer_weights[i]).sum::<u64>();
        kv += range.map(|i| e.layer_kv[i]).sum::<u64>();
        if !matches!(request.settings.engine, Engine::LlamaCpp | Engine::Ollama) {
            weights += e.output;
        }
    }
    weights += e
        .weights
        .layer_experts
        .iter()
        .take(offload.cpu_moe_layers)
        .sum::<u64>();
    let used = devices.iter().filter(|d| d.used()).count();
    weights += offload.cpu_weights_per_gpu * used as u64;
    // llama.cpp runs a model split whole over several GPUs as a pipeline
    // (`llama-context.cpp`: more than one device, every layer offloaded,
    // layer split, no tensor overrides), with 4 copies of its inputs.
    let pipeline = used > 1 && !offload.any();
    let mut devices = devices;
    let host_compute = match &e.graph {
        Some(g) if layout.tp == 1 => {
            graph_compute(request, &e, g, &offload, pipeline, &mut devices)
        }
        _ => e.host_compute.bytes(if pipeline { 4 } else { 1 }),
    };
    let compute = e.host_output_buffer + host_compute;
    let host_plan = HostPlan {
        weights_bytes: weights,
        kv_bytes: kv,
        compute_bytes: compute,
    };
    let host = weights + kv + compute;
    let gpu_shortfall: u64 = devices.iter().map(DevicePlan::shortfall_bytes).sum();
    let host_shortfall = request.host_ram.map_or(0, |ram| host.saturating_sub(ram));
    let mut shortfall = gpu_shortfall + host_shortfall;
    let startup = (request.settings.engine == Engine::Vllm)
        .then(|| vllm_startup(request, layout, &e, &devices));
    // vLLM refuses to start where less is free than its budget (other
    // processes, or the operating system's share of unified memory): what is
    // missing is that difference on the GPU worst off, and lowering the
    // utilisation the way out.
    if shortfall == 0 {
        shortfall = vllm_missing_at_startup(request, &devices, e.overhead_per_gpu);
    }
    if let Some(st) = &startup {
        // vLLM's verdict: it starts and holds max_num_seqs requests of
        // max_model_len; what is missing is the KV those need beyond its pool.
        if !st.serves_all() && shortfall == 0 {
            let needed = st.max_num_seqs * st.request_kv_bytes;
            shortfall = needed
                .saturating_sub(st.binding.kv_cache_bytes.max(0) as u64)
                .max(1);
        }
    }
    Plan {
        vllm: startup,
        fixed: None,
        fits: shortfall == 0,
        settings: request.settings,
        estimate: e,
        layout,
        offload,
        devices,
        host_bytes: host,
        host: host_plan,
        host_ram_bytes: request.host_ram,
        shortfall_bytes: shortfall,
    }
}

/// The user's llama.cpp placement, when there is one to evaluate.
fn fixed_placement<'a>(request: &PlanRequest<'a>) -> Option<&'a Placement> {
    let engine = request.settings.engine;
    request
        .fixed
        .filter(|p| p.is_fixed() && matches!(engine, Engine::LlamaCpp | Engine::Ollama))
}
