//! How fast a plan runs: decode and prefill from where its bytes sit.
//!
//! A decode step reads every weight it uses once — a mixture of experts
//! only the experts its tokens route to, the expected share of them for a
//! batch — and each sequence's KV cache, from the memory that holds them:
//! each GPU's at an achieved fraction of its peak bandwidth, host memory's
//! for layers or experts left there. Beyond that the step does arithmetic
//! (which rules at large batches: the roofline's larger side wins) and pays
//! a fixed cost per layer (kernel launches, synchronisation) and per
//! pipeline hand-off. With a layer split the devices work in turn (their
//! times add); with tensor parallelism at once, plus two all-reduces per
//! layer over the interconnect.
//!
//! Prefill of a prompt is arithmetic at an achieved fraction of the GPU's
//! dense FP16 tensor throughput — two FLOPs per active parameter per token,
//! plus attention growing with the prompt — or, for small micro-batches,
//! the weights read once per micro-batch. Layers in host memory are copied
//! to the GPU per micro-batch (llama.cpp's op offload) over PCIe.
//!
//! The achieved fractions and fixed costs per platform are fitted to
//! published llama-bench results ([`fit`], `tests/speed.rs`), kept here as
//! [`CALIBRATIONS`] with the rows they came from; some rows are held out of
//! the fit and their error is reported separately (docs/BENCHMARKS.md).

use serde::Serialize;

use super::gpus::Card;

mod calibrations;
mod fit;
pub use calibrations::*;
pub use fit::*;

/// Which measured constants a processor's speed uses: its vendor and its
/// memory's kind. At batch 1 llama.cpp reaches ~85 % of a GDDR card's
/// bandwidth but well under 60 % of an HBM card's (the step is short and
/// fixed costs weigh more), so the two are fitted apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Platform {
    /// GeForce and workstation cards (GDDR).
    NvidiaGddr,
    /// V100, A100, H100, H200, GH200, B200… (HBM).
    NvidiaHbm,
    /// Apple Silicon (unified LPDDR, Metal).
    Apple,
    /// Radeon and Radeon PRO (GDDR).
    Amd,
    /// Instinct (HBM, CDNA).
    AmdInstinct,
    /// Arc and Data Center GPU Max.
    Intel,
    /// Any GPU on llama.cpp's Vulkan backend (its own shaders, whatever
    /// the vendor).
    Vulkan,
}

/// Catalog ids of NVIDIA and Intel cards with HBM (by prefix).
const HBM: &[&str] = &[
    "v100",
    "p100",
    "a100",
    "a800",
    "h100",
    "h800",
    "h200",
    "h20",
    "gh200",
    "b200",
    "b300",
    "gb200",
    "intel-max",
];

impl Platform {
    pub fn of(card: &Card, backend: super::placement::Backend) -> Platform {
        let hbm = HBM.iter().any(|p| card.id.starts_with(p));
        if backend == super::placement::Backend::Vulkan {
            return Platform::Vulkan;
        }
        match (card.vendor.as_str(), hbm) {
            ("nvidia", false) => Platform::NvidiaGddr,
            ("nvidia", true) => Platform::NvidiaHbm,
            ("apple", _) => Platform::Apple,
            ("amd", _) if card.id.starts_with("mi") => Platform::AmdInstinct,
            ("amd", _) => Platform::Amd,
            _ => Platform::Intel,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Platform::NvidiaGddr => "NVIDIA GDDR",
            Platform::NvidiaHbm => "NVIDIA HBM",
            Platform::Apple => "Apple Silicon",
            Platform::Amd => "AMD",
            Platform::AmdInstinct => "AMD Instinct",
            Platform::Intel => "Intel",
            Platform::Vulkan => "Vulkan",
        }
    }
}

/// The few constants speed rests on, for one platform.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Calibration {
    /// Achieved fraction of peak memory bandwidth while decoding.
    pub bandwidth: f64,
    /// Fixed seconds per decode step (sampling, graph set-up, sync).
    pub per_token_s: f64,
    /// Fixed seconds per layer per decode step.
    pub per_layer_s: f64,
    /// Fixed seconds per extra device a decode step passes through.
    pub per_hop_s: f64,
    /// Achieved fraction of dense FP16 tensor throughput in prefill, for
    /// 16-bit weights (cuBLAS's FP16 products)…
    pub compute: f64,
    /// …and for quantized weights (llama.cpp's own integer kernels).
    pub compute_quantized: f64,
    /// The fraction a batched decode step's arithmetic reaches; llama.cpp
    /// has no batched rows fitted, so its prefill fraction (for the
    /// weights' kind) stands in (`None`); set by [`calibration_for`] from
    /// an engine's own batched rows.
    pub decode_compute: Option<f64>,
    /// Published rows the constants were fitted to.
    pub rows: u32,
}

/// Host memory read while decoding layers or experts left on the CPU: the
/// achieved fraction of its peak bandwidth, the median of mainline
/// llama.cpp's CPU decode rows of dense models in
/// `tests/data/measured/llama_bench_cpu.json` (desktop and server DDR:
/// 0.60 to 1.02 over 6 rows; `tests/speed.rs` recomputes it).
pub const HOST_BANDWIDTH_FRACTION: f64 = 0.742;

/// Routed experts read from host memory reach only this share of the
/// dense rate (a token's few experts are scattered reads, and the CPU
/// also does their arithmetic): the median over the published hybrid
/// decode rows (GPU + experts on the CPU) of `llama_bench_cpu.json` of
/// the share that makes vramfit's step time theirs, with the GPU side as
/// vramfit plans it (`tests/speed.rs` recomputes it; no rows are held
/// out: there are five).
pub const HOST_EXPERT_SHARE: f64 = 0.7066;

/// The same for a Mac's CPU cores, as a share of the whole chip's unified
/// memory bandwidth (the CPU cluster reaches far less of it than the GPU):
/// the median of M2 Max's 4 rows.
pub const APPLE_HOST_BANDWIDTH_FRACTION: f64 = 0.289;

/// A processor's peak figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Peak {
    pub platform: Platform,
    /// Bytes per second.
    pub bandwidth: f64,
    /// Dense FP16 tensor FLOPs per second, when published.
    pub flops: Option<f64>,
    /// Dense FP8 tensor FLOPs per second, when the card has FP8 units.
    pub flops_fp8: Option<f64>,
}

impl Peak {
    pub fn of(card: &Card, backend: super::placement::Backend) -> Peak {
        // The catalog lists GeForce cards' FP16 tensor rate with FP32
        // accumulate, which NVIDIA halves on GeForce; llama.cpp's FP16
        // matrix products accumulate in FP16, at the full rate (twice).
        let geforce = card.vendor == "nvidia" && card.segment == "consumer";
        let scale = if geforce { 2.0 } else { 1.0 };
        Peak {
            platform: Platform::of(card, backend),
            bandwidth: card.bandwidth_gb_s * 1e9,
            flops: card
                .fp16_tflops
                .or(card.bf16_tflops)
                .map(|t| t * 1e12 * scale),
            flops_fp8: card.fp8_tflops.map(|t| t * 1e12),
        }
    }
}

/// What one device does for a decode step and a prefill.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Work {
    /// Weight bytes a decode step reads (experts: the batch's expected share).
    pub weights_read: f64,
    /// KV bytes a decode step reads (every sequence's context).
    pub kv_read: f64,
    /// FLOPs per decoded token (per sequence).
    pub flops_per_token: f64,
    /// Layers it runs.
    pub layers: u32,
    /// Every weight byte it holds (read once per prefill micro-batch).
    pub weights_held: f64,
    /// FLOPs of the whole prefill.
    pub prefill_flops: f64,
    /// The weights are quantized (not 16- or 32-bit floats).
    pub quantized: bool,
    /// FP8 weights, whose matrix products run on FP8 tensor units where
    /// the card has them (vLLM's W8A8 FP8 path).
    pub fp8: bool,
}

/// Decode seconds per step on one device: the roofline's larger side.
pub fn decode_seconds(peak: &Peak, c: &Calibration, w: &Work, batch: u64) -> (f64, Bound) {
    let memory = (w.weights_read + w.kv_read) / (peak.bandwidth * c.bandwidth);
    let fp8 = peak.flops_fp8.filter(|_| w.fp8);
    let fraction = if let Some(f) = c.decode_compute {
        f
    } else if w.quantized && fp8.is_none() {
        c.compute_quantized
    } else {
        c.compute
    };
    let compute = fp8
        .or(peak.flops)
        .map_or(0.0, |f| batch as f64 * w.flops_per_token / (f * fraction));
    let fixed = f64::from(w.layers) * c.per_layer_s;
    if compute > memory {
        (compute + fixed, Bound::Compute)
    } else {
        (memory + fixed, Bound::Memory)
    }
}

/// Prefill seconds on one device for `steps` micro-batches: arithmetic
/// plus the weights read once per micro-batch (the two overlap little in
/// llama.cpp's kernels; the fit takes them as a sum). Without an FP16
/// figure, only the reads.
pub fn prefill_seconds(peak: &Peak, c: &Calibration, w: &Work, steps: u64) -> f64 {
    let fp8 = peak.flops_fp8.filter(|_| w.fp8);
    let compute = fp8.or(peak.flops).map_or(0.0, |f| {
        // FP8 products are the units' native input: the 16-bit fraction.
        let fraction = if w.quantized && fp8.is_none() {
            c.compute_quantized
        } else {
            c.compute
        };
        w.prefill_flops / (f * fraction)
    });
    let memory = w.weights_held * steps as f64 / (peak.bandwidth * c.bandwidth);
    compute + memory
}

/// What limits a decode step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    Memory,
    Compute,
}

/// The expected share of a layer's routed experts that `batch` tokens
/// touch, each picking `used` of `n` uniformly: 1 − (1 − used/n)^batch.
pub fn experts_touched(used: u64, n: u64, batch: u64) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let p = (used as f64 / n as f64).min(1.0);
    1.0 - (1.0 - p).powf(batch as f64)
}

// ---- a plan's speed -------------------------------------------------------

/// A plan's speed (plan JSON's `"speed"`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Speed {
    /// Per sequence, at the start of generation (a short prompt).
    pub decode_tokens_per_s: f64,
    /// All sequences together, at the start of generation.
    pub decode_tokens_per_s_total: f64,
    /// Per sequence with every sequence's cache full (the plan's context).
    pub decode_tokens_per_s_at_context: f64,
    /// Prefill of one prompt as long as the plan's context.
    pub prefill_tokens_per_s: f64,
    /// That prefill plus the first decode step.
    pub time_to_first_token_s: f64,
    /// What limits a decode step on the slowest device.
    pub bound: Bound,
    /// The device (GPU index) whose share of a decode step is largest, or
    /// `None` when host memory's is.
    pub bottleneck: Option<usize>,
    /// Each used GPU's share of a decode step, milliseconds.
    pub devices: Vec<DeviceSpeed>,
    /// Host memory's share (offloaded layers or experts), milliseconds.
    pub host_ms: f64,
    /// Of that, reading routed experts.
    pub host_experts_ms: f64,
    /// Which constants were used, and what was assumed.
    pub basis: String,
}

impl Speed {
    /// One line for people: decode per sequence and in all, at a full
    /// context, prefill and time to first token, what bounds it and where.
    pub fn summary(&self, n_seq: u64, n_ctx: u64, device_names: &[String]) -> String {
        let rate = |t: f64| {
            if t >= 100.0 {
                format!("{t:.0}")
            } else {
                format!("{t:.1}")
            }
        };
        let total = if n_seq > 1 {
            format!(
                ", {} in all over {n_seq} sequences",
                rate(self.decode_tokens_per_s_total)
            )
        } else {
            String::new()
        };
        let slowest = match self.bottleneck {
            Some(i) => device_names
                .get(i)
                .cloned()
                .unwrap_or_else(|| format!("GPU {i}")),
            None => "host memory".to_string(),
        };
        let bound = match self.bound {
            Bound::Memory => "memory-bound",
            Bound::Compute => "compute-bound",
        };
        format!(
            "decode {} tok/s per sequence{total} ({} with a full {n_ctx}-token context); prefill {} tok/s, first token after {:.2} s; {bound}, slowest: {slowest}",
            rate(self.decode_tokens_per_s),
            rate(self.decode_tokens_per_s_at_context),
            rate(self.prefill_tokens_per_s),
            self.time_to_first_token_s
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceSpeed {
    pub index: usize,
    pub decode_ms: f64,
    pub bound: Bound,
}

/// Per layer: parameters (dense, routed experts) and attention's
/// per-token cost factor (n_head × head_dim) with its window.
struct LayerCost {
    dense: f64,
    experts: f64,
    attention: Option<(f64, Option<u64>)>,
}

fn layer_costs(spec: &crate::estimate::model::ModelSpec) -> Vec<LayerCost> {
    use crate::estimate::model::KvLayout;
    spec.layers
        .iter()
        .map(|l| {
            let (mut dense, mut experts) = (0.0, 0.0);
            for t in &l.tensors {
                if t.is_experts() {
                    experts += t.numel() as f64;
                } else {
                    dense += t.numel() as f64;
                }
            }
            let attention = l.attention.map(|a| {
                let head_dim = match a.kv {
                    KvLayout::Heads { head_dim_k, .. } => head_dim_k,
                    KvLayout::Latent { .. } | KvLayout::SharedKv { .. } => {
                        spec.n_embd / a.n_head.max(1)
                    }
                };
                ((a.n_head * head_dim) as f64, a.window_len())
            });
            LayerCost {
                dense,
                experts,
                attention,
            }
        })
        .collect()
}

/// The host's memory bandwidth, bytes per second, what it is, and the
/// fraction of it a CPU's decode reaches.
#[derive(Debug, Clone, PartialEq)]
pub struct Host {
    pub bandwidth: f64,
    pub label: String,
    pub fraction: f64,
    /// Of that, the share left when reading routed experts (see
    /// [`HOST_EXPERT_SHARE`]).
    pub experts: f64,
}

/// One used GPU's share of a plan: its stage, peak figures and work.
#[derive(Debug, Clone, PartialEq)]
pub struct DeviceWork {
    pub index: usize,
    pub stage: Option<usize>,
    pub peak: Peak,
    pub card: &'static Card,
    pub work: Work,
}

/// Host memory's share: weight and KV bytes a decode step reads there,
/// and weight bytes copied to a GPU per prefill micro-batch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HostWork {
    /// Dense weights and KV read per decode step.
    pub read: f64,
    /// Routed experts read per decode step (scattered: a few of many).
    pub read_experts: f64,
    pub held: f64,
}

/// Every used GPU's work for a decode step at context `ctx` (each
/// sequence's cache that full) and a prefill of `prompt` tokens, and the
/// host's; `None` when a used GPU is not a catalog card.
pub fn works(
    spec: &crate::estimate::model::ModelSpec,
    plan: &super::split::Plan,
    gpus: &[super::device::Gpu],
    backend: super::placement::Backend,
    ctx: u64,
    prompt: u64,
) -> Option<(Vec<DeviceWork>, HostWork)> {
    let e = &plan.estimate;
    let s = &plan.settings;
    let tp = plan.layout.tp.max(1) as f64;
    let batch = s.n_seq.max(1);
    let costs = layer_costs(spec);
    let (used, n_expert) = spec.moe.map_or((1, 1), |m| (m.n_expert_used, m.n_expert));
    let touched = experts_touched(used, n_expert, batch);
    let per_token = used as f64 / n_expert.max(1) as f64;
    let cpu_moe = plan.offload.cpu_moe_layers;
    let n = e.layer_weights.len();
    let used_devices: Vec<&super::split::DevicePlan> =
        plan.devices.iter().filter(|d| d.used()).collect();
    let last_stage = used_devices.iter().filter_map(|d| d.stage).max();
    let on_gpu = |i: usize| {
        used_devices
            .iter()
            .any(|d| d.layers.is_some_and(|[a, b]| (a..=b).contains(&i)))
    };
    let filled = |bytes: u64| bytes as f64 * ctx as f64 / s.n_ctx.max(1) as f64;
    let quantized = match s.weights {
        crate::estimate::WeightFormat::Gguf { ftype } => !ftype.is_float(),
        crate::estimate::WeightFormat::Torch { .. } => false,
        _ => true,
    };
    let mut devices = Vec::new();
    for d in &used_devices {
        let card = gpus.get(d.index)?.card.and_then(super::gpus::find_card)?;
        let mut w = Work {
            weights_read: 0.0,
            kv_read: 0.0,
            flops_per_token: 0.0,
            layers: 0,
            weights_held: 0.0,
            prefill_flops: 0.0,
            quantized,
            fp8: matches!(s.weights, crate::estimate::WeightFormat::Fp8 { .. }),
        };
        if let Some([a, b]) = d.layers {
            for i in (a..=b).filter(|&i| i < n) {
                let experts = e.weights.layer_experts.get(i).copied().unwrap_or(0) as f64;
                let dense = e.layer_weights[i] as f64 - experts;
                let gpu_experts = if i < cpu_moe { 0.0 } else { experts };
                w.weights_read += (dense + gpu_experts * touched) / tp;
                w.weights_held += (dense + gpu_experts) / tp;
                if let Some(c) = costs.get(i) {
                    let active = c.dense + c.experts * per_token;
                    let window = |span: u64| {
                        c.attention.map_or(0.0, |(width, win)| {
                            width * win.map_or(span, |w| w.min(span)) as f64
                        })
                    };
                    w.flops_per_token += (2.0 * active + 4.0 * window(ctx)) / tp;
                    // Causal attention over the prompt: each token sees
                    // half of it on average (or its window).
                    w.prefill_flops += (2.0 * active * prompt as f64
                        + 4.0 * prompt as f64 * window(prompt / 2))
                        / tp;
                }
                // The sequences' cache, not the pool it sits in (vLLM's
                // blocks fill the budget's rest): the context's share of
                // what this layer keeps, its recurrent state in full.
                let kv = e.layer_kv.get(i).copied().unwrap_or(0) as f64;
                let state = e.layer_state.get(i).copied().unwrap_or(0) as f64;
                w.kv_read += (filled((kv - state) as u64) + state) / tp;
                w.layers += 1;
            }
        }
        if d.stage == last_stage {
            w.weights_read += e.output as f64 / tp;
            w.weights_held += e.output as f64 / tp;
            w.flops_per_token += 2.0 * e.params.embedding as f64 / tp;
            w.prefill_flops += 2.0 * e.params.embedding as f64 / tp;
        }
        devices.push(DeviceWork {
            index: d.index,
            stage: d.stage,
            peak: Peak::of(card, backend),
            card,
            work: w,
        });
    }
    if devices.is_empty() {
        return None;
    }
    let mut host = HostWork {
        read: filled(plan.host.kv_bytes),
        read_experts: 0.0,
        held: 0.0,
    };
    for i in 0..n {
        let experts = e.weights.layer_experts.get(i).copied().unwrap_or(0) as f64;
        if !on_gpu(i) {
            host.read += e.layer_weights[i] as f64 - experts;
            host.read_experts += experts * touched;
            host.held += e.layer_weights[i] as f64;
        } else if i < cpu_moe {
            host.read_experts += experts * touched;
            host.held += experts;
        }
    }
    Some((devices, host))
}

/// The stages in order, each with its devices (tensor-parallel ranks).
fn stages(devices: &[DeviceWork]) -> Vec<Vec<&DeviceWork>> {
    let mut keys: Vec<Option<usize>> = devices.iter().map(|d| d.stage).collect();
    keys.sort();
    keys.dedup();
    keys.iter()
        .map(|k| devices.iter().filter(|d| d.stage == *k).collect())
        .collect()
}

/// Seconds of one decode step: the stages in turn (within a stage the
/// slowest rank, plus two all-reduces per layer), the hand-offs, the host.
fn step_seconds(
    devices: &[DeviceWork],
    host: &HostWork,
    host_peak: &Host,
    plan: &super::split::Plan,
    n_embd: u64,
) -> (f64, Vec<DeviceSpeed>, f64, f64) {
    let tp = plan.layout.tp.max(1) as f64;
    let batch = plan.settings.n_seq.max(1);
    let mut total = 0.0;
    let mut per_device = Vec::new();
    let stages = stages(devices);
    for stage in &stages {
        let mut slowest = 0.0f64;
        for d in stage {
            let c = calibration_for(plan.settings.engine, d.peak.platform).0;
            let (mut t, bound) = decode_seconds(&d.peak, &c, &d.work, batch);
            if plan.settings.engine == crate::estimate::memory::Engine::Vllm {
                // `--cpu-offload-gb`: those weights cross PCIe every step.
                t += plan.offload.cpu_weights_per_gpu as f64 / d.card.pcie_bytes_per_s();
            }
            per_device.push(DeviceSpeed {
                index: d.index,
                decode_ms: t * 1e3,
                bound,
            });
            slowest = slowest.max(t);
        }
        total += slowest + all_reduce_seconds(stage, tp, batch, n_embd);
    }
    let hops = stages.len().saturating_sub(1) as f64;
    let c = calibration_for(plan.settings.engine, devices[0].peak.platform).0;
    total += hops * c.per_hop_s + c.per_token_s;
    let experts_s =
        host.read_experts / (host_peak.bandwidth * host_peak.fraction * host_peak.experts);
    let host_s = host.read / (host_peak.bandwidth * host_peak.fraction) + experts_s;
    (total + host_s, per_device, host_s, experts_s)
}

/// The speed of `plan` for `spec` on `gpus`; `None` when a used GPU is
/// not a catalog card (its bandwidth is unknown).
pub fn plan_speed(
    spec: &crate::estimate::model::ModelSpec,
    plan: &super::split::Plan,
    gpus: &[super::device::Gpu],
    backend: super::placement::Backend,
    host: &Host,
) -> Option<Speed> {
    let s = &plan.settings;
    let prompt = s.n_ctx.max(1);
    let batch = s.n_seq.max(1);
    let (start, host_start) = works(spec, plan, gpus, backend, 0, prompt)?;
    let (full, host_full) = works(spec, plan, gpus, backend, s.n_ctx, prompt)?;
    let (t0, devices, host_s, experts_s) =
        step_seconds(&start, &host_start, host, plan, spec.n_embd);
    let (t_full, _, _, _) = step_seconds(&full, &host_full, host, plan, spec.n_embd);
    // Prefill: a stage's ranks at once, the stages in turn; host-resident
    // weights copied to the GPU per micro-batch.
    let ubatch = match s.engine {
        crate::estimate::memory::Engine::Vllm => s.max_num_batched_tokens.max(1),
        _ => s.n_ubatch.max(1),
    };
    let steps = prompt.div_ceil(ubatch);
    let mut prefill: f64 = stages(&start)
        .iter()
        .map(|stage| {
            stage
                .iter()
                .map(|d| {
                    let c = calibration_for(s.engine, d.peak.platform).0;
                    prefill_seconds(&d.peak, &c, &d.work, steps)
                })
                .fold(0.0, f64::max)
        })
        .sum();
    let host_link = start
        .iter()
        .map(|d| d.card.pcie_bytes_per_s())
        .fold(f64::INFINITY, f64::min);
    prefill += host_start.held * steps as f64 / host_link;
    let (bottleneck, slowest_ms, bound) = devices
        .iter()
        .max_by(|a, b| a.decode_ms.total_cmp(&b.decode_ms))
        .map(|d| (Some(d.index), d.decode_ms, d.bound))?;
    let bottleneck = if host_s * 1e3 > slowest_ms {
        None
    } else {
        bottleneck
    };
    let mut platforms: Vec<&str> = start
        .iter()
        .map(|d| d.peak.platform)
        .filter(|p| calibration_of(*p).1)
        .map(Platform::label)
        .collect();
    platforms.dedup();
    if platforms.is_empty() {
        platforms.push(FALLBACK.label());
    }
    let mut basis = format!(
        "fractions of peak bandwidth and FP16 throughput fitted to published llama-bench results ({})",
        platforms.join(", ")
    );
    if host_s > 0.0 {
        basis.push_str(&format!(
            "; host memory {} at {:.0} % (published CPU decode rows)",
            host.label,
            host.fraction * 100.0
        ));
    }
    for d in &start {
        let p = d.peak.platform;
        if !calibration_of(p).1 && !basis.contains(p.label()) {
            basis.push_str(&format!(
                "; no published rows for {}: {}'s constants",
                p.label(),
                FALLBACK.label()
            ));
        }
    }
    let batched_rows = start.iter().all(|d| {
        calibration_for(s.engine, d.peak.platform)
            .0
            .decode_compute
            .is_some()
    });
    if batch > 1 && batched_rows {
        basis
            .push_str("; a batch's arithmetic at the fraction vLLM's published batched runs reach");
    } else if batch > 1 {
        basis.push_str(
            "; a batch's arithmetic at the prefill fraction (no batched decode rows fitted)",
        );
    }
    let engine_rows: Vec<&str> = start
        .iter()
        .map(|d| d.peak.platform)
        .filter(|p| !s.engine.is_llama_cpp() && calibration_for(s.engine, *p).1.engine_rows)
        .map(Platform::label)
        .collect();
    if !engine_rows.is_empty() {
        basis.push_str(&format!(
            "; decode at vLLM's own fractions fitted to published vLLM runs ({}), prefill at llama.cpp's",
            engine_rows[0]
        ));
    } else if !s.engine.is_llama_cpp() {
        basis.push_str(
            "; llama.cpp's fractions stand in for this engine's (no decode rows of it fitted)",
        );
    }
    if start.iter().any(|d| d.peak.flops.is_none()) {
        basis.push_str("; a GPU without a published FP16 figure: prefill from its bandwidth only");
    }
    let prefill_s = prefill.max(f64::MIN_POSITIVE);
    Some(Speed {
        decode_tokens_per_s: 1.0 / t0,
        decode_tokens_per_s_total: batch as f64 / t0,
        decode_tokens_per_s_at_context: 1.0 / t_full,
        prefill_tokens_per_s: prompt as f64 / prefill_s,
        time_to_first_token_s: prefill_s + t_full,
        bound,
        bottleneck,
        devices,
        host_ms: host_s * 1e3,
        host_experts_ms: experts_s * 1e3,
        basis,
    })
}

/// A decode step's all-reduces in one stage of `tp` ranks: two per layer
/// (after attention and after the MLP) of each sequence's 16-bit hidden
/// state, a ring's 2(tp − 1)/tp of it over the slowest link.
fn all_reduce_seconds(stage: &[&DeviceWork], tp: f64, batch: u64, n_embd: u64) -> f64 {
    if tp <= 1.0 {
        return 0.0;
    }
    let link = interconnect(stage.iter().map(|d| d.card));
    let bytes = batch as f64 * n_embd as f64 * 2.0 * 2.0 * (tp - 1.0) / tp;
    let layers = stage.first().map_or(0, |d| d.work.layers);
    2.0 * f64::from(layers) * (ALL_REDUCE_LATENCY_S + bytes / link)
}

/// Latency of one all-reduce of a decode step (NCCL's small-message cost).
pub const ALL_REDUCE_LATENCY_S: f64 = 10e-6;

/// The slowest link between the cards (each card's GPU link or PCIe,
/// from the catalog).
fn interconnect<'a>(cards: impl Iterator<Item = &'a Card>) -> f64 {
    cards
        .map(Card::peer_bytes_per_s)
        .fold(f64::INFINITY, f64::min)
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_summary_names_the_rates_the_bound_and_the_slowest_device() {
        let s = Speed {
            decode_tokens_per_s: 41.26,
            decode_tokens_per_s_total: 165.0,
            decode_tokens_per_s_at_context: 30.0,
            prefill_tokens_per_s: 2500.4,
            time_to_first_token_s: 3.3,
            bound: Bound::Memory,
            bottleneck: Some(1),
            devices: Vec::new(),
            host_ms: 0.0,
            host_experts_ms: 0.0,
            basis: String::new(),
        };
        let names = ["GPU 0".to_string(), "GPU 1 (RTX 3090)".to_string()];
        assert_eq!(
            s.summary(4, 8192, &names),
            "decode 41.3 tok/s per sequence, 165 in all over 4 sequences (30.0 with a full 8192-token context); prefill 2500 tok/s, first token after 3.30 s; memory-bound, slowest: GPU 1 (RTX 3090)"
        );
        let host = Speed {
            bottleneck: None,
            ..s
        };
        assert!(host
            .summary(1, 4096, &names)
            .ends_with("slowest: host memory"));
    }

    #[test]
    fn a_batch_touches_more_experts_never_more_than_all() {
        assert!((experts_touched(8, 128, 1) - 8.0 / 128.0).abs() < 1e-12);
        assert!(experts_touched(8, 128, 4) > experts_touched(8, 128, 2));
        assert!(experts_touched(8, 128, 10_000) <= 1.0);
        assert_eq!(experts_touched(2, 0, 3), 1.0);
    }
}
