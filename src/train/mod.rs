//! Fine-tuning memory: full fine-tuning, LoRA and QLoRA, per GPU, with
//! the optimizer's states, activations, gradient checkpointing and
//! data-parallel sharding (DDP, DeepSpeed ZeRO-1/2/3, FSDP).
//!
//! The model states are exact where PyTorch's own rules are (parameters,
//! gradients, every optimizer's states, bitsandbytes' 4-bit storage:
//! [`params`], [`optimizer`]); activations follow what autograd saves in
//! transformers' layers ([`activations`]); the peak is the larger end of
//! the backward pass (everything saved plus the loss's transient at its
//! start, every gradient at its end) on top of the parameters and
//! optimizer states, plus each sharding scheme's buffers.
//!
//! Pure: a model, settings and GPUs in, a plan out. `launch` writes the
//! configs that run it.

pub mod activations;
pub mod launch;
pub mod optimizer;
pub mod params;

use serde::Serialize;

use crate::estimate::model::{ModelSpec, Tensor};
use crate::plan::device::Gpu;
use activations::{AttnImpl, Shape, Trains};
use optimizer::Optimizer;
use params::{Param, Part, Targets};

/// What trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    Full,
    Lora,
    /// LoRA over a 4-bit (NF4) base.
    Qlora,
}

/// Where numbers live and how they are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Precision {
    /// Everything float32.
    Fp32,
    /// float32 weights, bf16 autocast compute (the HF Trainer's `bf16=True`
    /// on a float32 model; DeepSpeed/FSDP: 16-bit copies, float32 master).
    AmpBf16,
    AmpFp16,
    /// Weights, gradients and optimizer states in bf16 (torchtune, LitGPT's
    /// `bf16-true`, LLaMA-Factory's `pure_bf16`).
    Bf16,
}

impl Precision {
    /// Bytes of a trained weight as the model holds it.
    fn weight_bytes(self) -> u64 {
        match self {
            Precision::Bf16 => 2,
            _ => 4,
        }
    }

    /// Bytes of an activation.
    fn act_bytes(self) -> u64 {
        match self {
            Precision::Fp32 => 4,
            _ => 2,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Precision::Fp32 => "fp32",
            Precision::AmpBf16 => "amp-bf16",
            Precision::AmpFp16 => "amp-fp16",
            Precision::Bf16 => "bf16",
        }
    }
}

/// Data-parallel sharding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharding {
    /// One copy per GPU (DDP when there are several).
    None,
    /// DeepSpeed ZeRO stage 1, 2 or 3.
    Zero(u8),
    /// PyTorch FSDP, full shard.
    FsdpFull,
    /// FSDP hybrid shard: sharded within a machine, replicated across.
    FsdpHybrid,
}

/// What leaves the GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Offload {
    None,
    /// Optimizer states (and the float32 master weights) in host memory.
    Optimizer,
    /// Those and the parameters (ZeRO-3 / FSDP CPU offload).
    Params,
}

/// LoRA's shape.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lora {
    pub r: u64,
    pub alpha: u64,
    pub targets: Targets,
    /// Adapter weight bytes: peft makes them float32 (its
    /// `autocast_adapter_dtype`); pure-bf16 recipes keep them bf16.
    pub adapter_bytes: u64,
    /// Dropout on the adapters' input (peft's default 0; 0.05 in many
    /// recipes): each adapter then saves its dropped copy and a mask.
    pub dropout: f64,
}

/// One fine-tuning run's settings.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainSettings {
    pub method: Method,
    pub lora: Lora,
    /// QLoRA: double quantization of the absmax (bitsandbytes
    /// `bnb_4bit_use_double_quant`).
    pub double_quant: bool,
    /// QLoRA: peft's `prepare_model_for_kbit_training` casts the
    /// non-quantized weights (embeddings, norms, lm_head) to float32.
    pub kbit_prepare: bool,
    /// QLoRA: the bitsandbytes release, `[major, minor, patch]`. Its 4-bit
    /// matmul (`bitsandbytes/autograd/_functions.py`, `MatMul4Bit.forward`)
    /// kept every 4-bit Linear's input for the backward pass (`ctx.tensors
    /// = (A, B)`) until 0.43.2, which keeps only the weight (#1270,
    /// 2024-07-16). Default: 0.50.2, the release measured.
    pub bitsandbytes: [u32; 3],
    pub precision: Precision,
    pub optimizer: Optimizer,
    pub micro_batch: u64,
    pub seq: u64,
    pub grad_checkpointing: bool,
    pub attn: AttnImpl,
    /// Cross-entropy in this many chunks (1: whole).
    pub loss_chunks: u64,
    /// Checkpointed activations kept in host memory (needs checkpointing).
    pub activation_offload: bool,
    pub freeze_embeddings: bool,
    pub freeze_vision: bool,
    pub sharding: Sharding,
    pub offload: Offload,
    /// CUDA context, cuBLAS/NCCL workspaces and allocator slack per GPU.
    pub overhead_per_gpu: u64,
}

impl Default for TrainSettings {
    fn default() -> Self {
        TrainSettings {
            method: Method::Lora,
            lora: Lora {
                r: 16,
                alpha: 32,
                targets: Targets::AllLinear,
                adapter_bytes: 4,
                dropout: 0.0,
            },
            double_quant: true,
            kbit_prepare: true,
            bitsandbytes: [0, 50, 2],
            precision: Precision::AmpBf16,
            optimizer: Optimizer::AdamW,
            micro_batch: 1,
            seq: 2048,
            grad_checkpointing: true,
            attn: AttnImpl::Sdpa,
            loss_chunks: 1,
            activation_offload: false,
            freeze_embeddings: false,
            freeze_vision: true,
            sharding: Sharding::None,
            offload: Offload::None,
            overhead_per_gpu: 700 * crate::units::MIB,
        }
    }
}

/// One GPU's share of the run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DeviceTrain {
    pub name: String,
    pub capacity_bytes: u64,
    pub usable_bytes: u64,
    pub params_bytes: u64,
    pub grads_bytes: u64,
    pub optimizer_bytes: u64,
    /// Saved for the backward pass at its start (with checkpointing: the
    /// layers' inputs plus one layer recomputed).
    pub activations_bytes: u64,
    /// Beyond those: the loss's transient, autocast's 16-bit weight copies,
    /// the sharding scheme's buckets and gathered layers.
    pub temporary_bytes: u64,
    pub overhead_bytes: u64,
    /// What PyTorch's allocator peaks at (`torch.cuda.max_memory_allocated`).
    pub allocated_peak_bytes: u64,
    /// The GPU's need: the allocated peak plus the overhead.
    pub peak_bytes: u64,
    pub fits: bool,
}

/// A fine-tuning plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainPlan {
    pub devices: Vec<DeviceTrain>,
    pub fits: bool,
    /// Bytes over the tightest GPU when it does not fit.
    pub shortfall_bytes: u64,
    pub trainable_params: u64,
    pub frozen_params: u64,
    /// What the offload keeps in host memory, per GPU's share.
    pub host_bytes: u64,
    /// What each number rests on and what is approximate.
    pub notes: Vec<String>,
}

/// The bitsandbytes release whose 4-bit matmul stopped keeping its input.
pub const BNB_DROPS_4BIT_INPUT: [u32; 3] = [0, 43, 2];

struct TrainsBy<'a> {
    s: &'a TrainSettings,
}

impl Trains for TrainsBy<'_> {
    fn weight(&self, part: Part, t: &Tensor) -> bool {
        weight_trains(
            self.s,
            part,
            t.kind == crate::estimate::model::Kind::TokenEmbd,
        )
    }

    fn keeps_input(&self, part: Part, t: &Tensor) -> bool {
        self.s.method == Method::Qlora
            && self.s.bitsandbytes < BNB_DROPS_4BIT_INPUT
            && params::quantized(&params::params_of(t, part))
    }

    fn adapted(&self, part: Part, t: &Tensor) -> bool {
        self.s.method != Method::Full && {
            let p = params::params_of(t, part);
            adapts(self.s, &p)
        }
    }
}

fn weight_trains(s: &TrainSettings, part: Part, embedding: bool) -> bool {
    s.method == Method::Full
        && !(part == Part::Vision && s.freeze_vision)
        && !((part == Part::Embedding || embedding) && s.freeze_embeddings)
}

fn adapts(s: &TrainSettings, p: &Param) -> bool {
    s.method != Method::Full
        && !(p.part == Part::Vision && s.freeze_vision)
        && s.lora.targets.matches(p)
}

/// The model states before sharding: bytes of parameters (trained and
/// frozen), gradients and optimizer states, and the parameter counts.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct States {
    pub trainable: u64,
    pub frozen: u64,
    pub trainable_bytes: u64,
    pub frozen_bytes: u64,
    pub grads: u64,
    pub optimizer: u64,
    /// Trainable Linear weights (autocast keeps a 16-bit copy of each
    /// through the backward pass).
    pub trainable_linear: u64,
    /// The largest layer's parameters (ZeRO-3 / FSDP gather one at a time).
    pub largest_layer: u64,
}

/// Exact model-state bytes for `spec` under `s` (no sharding).
pub fn states(spec: &ModelSpec, s: &TrainSettings) -> States {
    let all = params::params(spec);
    let mut st = States::default();
    let weight = s.precision.weight_bytes();
    // Frozen weights: 16-bit for LoRA on a bf16/AMP run, float32 for fp32.
    let frozen_weight = match (s.method, s.precision) {
        (Method::Full, p) => p.weight_bytes(),
        (_, Precision::Fp32) => 4,
        _ => 2,
    };
    let mut any_8bit = false;
    let mut layer_sizes: Vec<u64> = Vec::new();
    let train_one = |st: &mut States, any_8bit: &mut bool, n: u64, shape: &[u64], bytes: u64| {
        st.trainable += n;
        st.trainable_bytes += n * bytes;
        st.grads += n * bytes;
        st.optimizer += s.optimizer.tensor_bytes(shape, bytes);
        *any_8bit |= s.optimizer.is_8bit_for(n);
    };
    for p in &all {
        let n = p.numel();
        if let Part::Layer(i) = p.part {
            if layer_sizes.len() <= i {
                layer_sizes.resize(i + 1, 0);
            }
            layer_sizes[i] += n;
        }
        let embedding = p.part == Part::Embedding;
        if s.method == Method::Full && weight_trains(s, p.part, embedding) {
            train_one(&mut st, &mut any_8bit, n, &p.shape, weight);
            if p.linear {
                st.trainable_linear += n;
            }
            continue;
        }
        st.frozen += n;
        st.frozen_bytes += if s.method == Method::Qlora && params::quantized(p) {
            params::nf4_bytes(n, s.double_quant)
        } else if s.method == Method::Qlora && (s.kbit_prepare || p.linear_bias) {
            4 * n
        } else {
            frozen_weight * n
        };
        if adapts(s, p) {
            for (m, shape) in params::lora_tensors(p, s.lora.r) {
                train_one(&mut st, &mut any_8bit, m, &shape, s.lora.adapter_bytes);
            }
        }
    }
    st.optimizer += s.optimizer.shared_bytes(any_8bit);
    st.largest_layer = layer_sizes.into_iter().max().unwrap_or(0);
    st
}

/// Activations of one micro-batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Activations {
    /// Saved when the forward pass ends (with checkpointing: each layer's
    /// input, and what lies outside the layers).
    pub forward: u64,
    /// With checkpointing, the layer recomputed in the backward pass (the
    /// largest layer's saved tensors); 0 without.
    pub recompute: u64,
    /// The loss's transient at the start of the backward pass.
    pub loss_transient: u64,
}

/// What one micro-batch saves for the backward pass.
pub fn activations(spec: &ModelSpec, s: &TrainSettings) -> Activations {
    let shape = Shape {
        act: s.precision.act_bytes(),
        attn: s.attn,
        tokens: s.micro_batch.max(1).saturating_mul(s.seq.max(1)),
        seq: s.seq.max(1),
        adapter: s.lora.adapter_bytes,
        rank: s.lora.r,
        dropout: s.lora.dropout > 0.0,
        loss_chunks: s.loss_chunks.max(1),
        experts_used: spec.moe.map_or(1, |m| m.n_expert_used),
        embedding_trains: s.method == Method::Full && !s.freeze_embeddings,
        checkpointed: s.grad_checkpointing,
    };
    let trains = TrainsBy { s };
    let layers: Vec<u64> = spec
        .layers
        .iter()
        .enumerate()
        .map(|(i, l)| activations::layer_bytes(i, l, spec.n_embd, &shape, &trains))
        .collect();
    let outside = activations::outside_bytes(spec, &shape, &trains);
    let (forward, recompute) = if s.grad_checkpointing {
        let kept = if s.activation_offload {
            // Checkpoints in host memory; two on the GPU in flight.
            2 * activations::checkpoint_bytes(spec.n_embd, &shape)
        } else {
            (layers.len() as u64).saturating_mul(activations::checkpoint_bytes(spec.n_embd, &shape))
        };
        (
            kept.saturating_add(outside),
            layers.iter().copied().max().unwrap_or(0),
        )
    } else {
        (layers.iter().fold(outside, |a, b| a.saturating_add(*b)), 0)
    };
    Activations {
        forward,
        recompute,
        loss_transient: activations::loss_transient(spec, &shape),
    }
}

/// The plan for `spec` fine-tuned under `s` on `gpus` (data parallel over
/// all of them).
pub fn plan(spec: &ModelSpec, s: &TrainSettings, gpus: &[Gpu]) -> TrainPlan {
    let st = states(spec, s);
    let act = activations(spec, s);
    let (saved, loss) = (
        act.forward.saturating_add(act.recompute),
        act.loss_transient,
    );
    let n = gpus.len().max(1) as u64;
    let amp = matches!(s.precision, Precision::AmpBf16 | Precision::AmpFp16);
    let mut notes = Vec::new();
    // DeepSpeed and FSDP mixed precision keep 16-bit weights and gradients
    // on the GPU and the float32 master copy with the optimizer.
    let deepspeed_amp = amp && matches!(s.sharding, Sharding::Zero(_)) && s.method == Method::Full;
    let (mut params_b, mut grads_b, mut opt_b) = if deepspeed_amp {
        (
            st.trainable_bytes / 2 + st.frozen_bytes,
            st.grads / 2,
            st.optimizer + st.trainable_bytes,
        )
    } else {
        (st.trainable_bytes + st.frozen_bytes, st.grads, st.optimizer)
    };
    let shard = match s.sharding {
        Sharding::FsdpHybrid => {
            let per_node = gpus
                .iter()
                .filter(|g| g.node == gpus.first().map_or(0, |f| f.node))
                .count();
            per_node.max(1) as u64
        }
        _ => n,
    };
    let mut temporary = loss;
    // Autocast's 16-bit copies of trained float32 weights, saved for the
    // backward pass.
    if amp && s.method == Method::Full && !deepspeed_amp {
        temporary += 2 * st.trainable_linear;
    }
    let mut end_temporary = 0;
    match s.sharding {
        Sharding::None if n > 1 => {
            // DDP's gradient buckets (a copy of the gradients unless
            // `gradient_as_bucket_view`).
            end_temporary += grads_b;
            notes.push("DDP: its gradient buckets copy the gradients (gradient_as_bucket_view=False, the default)".into());
        }
        Sharding::None => {}
        Sharding::Zero(stage) => {
            opt_b = opt_b.div_ceil(n);
            let bucket = 2 * spec.n_embd * spec.n_embd * 2;
            // Mixed precision: the optimizer steps on a float32 copy of this
            // rank's gradient partition (stage 3 reduces straight into it,
            // freeing the 16-bit gradients).
            let fp32_grads = if deepspeed_amp {
                4 * st.trainable / n
            } else {
                0
            };
            if stage >= 2 {
                grads_b = grads_b.div_ceil(n);
                end_temporary += bucket;
            }
            if stage >= 3 {
                params_b = params_b.div_ceil(n);
                if deepspeed_amp {
                    grads_b = fp32_grads;
                }
                // Two layers gathered (the current and the prefetched one).
                temporary += 2 * st.largest_layer * 2 + bucket;
            } else {
                end_temporary += fp32_grads;
            }
        }
        Sharding::FsdpFull | Sharding::FsdpHybrid => {
            params_b = params_b.div_ceil(shard);
            grads_b = grads_b.div_ceil(shard);
            opt_b = opt_b.div_ceil(shard);
            // The unsharded 16-bit layer in use and the prefetched one,
            // and its gradient before the reduce-scatter.
            let unit = st.largest_layer * if s.precision == Precision::Fp32 { 4 } else { 2 };
            temporary += 2 * unit + unit;
        }
    }
    let mut host = 0;
    match s.offload {
        Offload::None => {}
        Offload::Optimizer => {
            host += opt_b;
            opt_b = 0;
        }
        Offload::Params => {
            host += opt_b + params_b;
            opt_b = 0;
            params_b = 2 * st.largest_layer * 2;
        }
    }
    if s.optimizer.paged() {
        notes.push("paged optimizer: its states may move to host memory under pressure, so the peak shown counts them on the GPU".into());
    }
    if spec
        .layers
        .iter()
        .any(|l| l.attention.is_none() && l.recurrent.is_some())
    {
        notes.push(
            "recurrent layers' activations are sized from their projections' widths (approximate)"
                .into(),
        );
    }
    // The backward pass starts with every activation saved and the loss's
    // transient, and ends with every gradient: the peak is the larger.
    let start = saved.saturating_add(temporary);
    let end = grads_b.saturating_add(end_temporary);
    let allocated = params_b
        .saturating_add(opt_b)
        .saturating_add(start.max(end));
    let devices: Vec<DeviceTrain> = gpus
        .iter()
        .map(|g| {
            let usable = g.capacity.saturating_sub(g.reserve);
            let peak = allocated.saturating_add(s.overhead_per_gpu);
            DeviceTrain {
                name: g.name.clone(),
                capacity_bytes: g.capacity,
                usable_bytes: usable,
                params_bytes: params_b,
                grads_bytes: grads_b,
                optimizer_bytes: opt_b,
                activations_bytes: saved,
                temporary_bytes: temporary.max(end_temporary),
                overhead_bytes: s.overhead_per_gpu,
                allocated_peak_bytes: allocated,
                peak_bytes: peak,
                fits: peak <= usable,
            }
        })
        .collect();
    let shortfall = devices
        .iter()
        .map(|d| d.peak_bytes.saturating_sub(d.usable_bytes))
        .max()
        .unwrap_or(0);
    TrainPlan {
        fits: !devices.is_empty() && devices.iter().all(|d| d.fits),
        devices,
        shortfall_bytes: shortfall,
        trainable_params: st.trainable,
        frozen_params: st.frozen,
        host_bytes: host,
        notes,
    }
}

/// The longest sequence (a multiple of 64, up to `limit`) whose plan fits;
/// `None` when not even 64 tokens do.
pub fn longest_seq(spec: &ModelSpec, s: &TrainSettings, gpus: &[Gpu], limit: u64) -> Option<u64> {
    let fits = |seq: u64| {
        let mut t = s.clone();
        t.seq = seq;
        plan(spec, &t, gpus).fits
    };
    largest(64, limit.max(64), 64, fits)
}

/// The largest micro-batch (up to `limit`) whose plan fits.
pub fn largest_micro_batch(
    spec: &ModelSpec,
    s: &TrainSettings,
    gpus: &[Gpu],
    limit: u64,
) -> Option<u64> {
    let fits = |b: u64| {
        let mut t = s.clone();
        t.micro_batch = b;
        plan(spec, &t, gpus).fits
    };
    largest(1, limit.max(1), 1, fits)
}

/// The largest multiple of `step` in `[low, high]` for which `fits` holds
/// (it holds below any value it holds at: memory only grows).
fn largest(low: u64, high: u64, step: u64, fits: impl Fn(u64) -> bool) -> Option<u64> {
    if !fits(low) {
        return None;
    }
    let (mut lo, mut hi) = (low / step, high / step);
    if fits(hi * step) {
        return Some(hi * step);
    }
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid * step) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo * step)
}
