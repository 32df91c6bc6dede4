//! What vLLM's profile run measures on a rank besides the weights: the
//! activation peak, the non-torch memory and (from v0.21) the CUDA-graph
//! estimate.
//!
//! The profile run (`vllm/v1/worker/gpu_model_runner.py` `profile_run`;
//! V0 `vllm/worker/model_runner.py`) pushes `max_num_batched_tokens`
//! dummy tokens through the model, split over `min(tokens, max_num_seqs)`
//! requests, after encoding the most images the encoder budget allows
//! (their embeddings stay alive), then samples one row per request with
//! top-k and top-p on. The torch peak of all that is the activation term:
//! - the forward pass keeps the hidden state and the residual (`2 × N ×
//!   n_embd`) and, in its widest layer, the block's output plus the larger
//!   of the attention projections (Q, K, V and the attention output; the
//!   attention kernel itself is skipped) and the MLP (gate and up and their
//!   product), or for MoE the router logits and `fused_moe.py`'s two
//!   workspaces (`M·k·max(2I, H)` and `M·k·I`, M at most
//!   `VLLM_FUSED_MOE_CHUNK_SIZE` tokens);
//! - the sampler holds per (row × vocab) element the model-dtype logits,
//!   their fp32 copy, the sorted values and int64 indices, the sorted
//!   probabilities and the scattered result: 24 bytes in V1 (the
//!   bf16 logits are dropped once converted), and with V0's extra
//!   probabilities and log-probabilities about 40;
//! - a vision model's dummy images: the encoder's widest layer over their
//!   patches, then their embeddings (`tokens × n_embd`) kept to the end.

use super::era::Era;
use crate::estimate::model::{ImageTokens, Kind, ModelSpec, Stack};
use crate::estimate::RunSettings;
use crate::units::MIB;

/// `VLLM_FUSED_MOE_CHUNK_SIZE` (`vllm/envs.py`): 16384 in current releases.
const FUSED_MOE_CHUNK: u64 = 16 * 1024;

/// Sampler bytes per (row × vocab) element, V1 and V0 (see the module doc).
/// The V1 figure is the op sequence's live set; on the two v0.19 A100 logs
/// at 256 rows it leaves the KV cache within −0.01 GiB (Gemma 4 26B) and
/// −0.14 GiB (gpt-oss-20b, after its MXFP4 padding). A quoted v0.19 H100
/// figure for Llama 3.1 8B at 1024 rows (1.89 GiB, issue 13) suggests
/// nearer 16 there; that log is not in the collection. V0's agrees with
/// two V0 logs (39 and 41).
const SAMPLER_V1: u64 = 24;
const SAMPLER_V0: u64 = 40;

/// The three parts of the activation term on one rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Activation {
    /// The forward pass over `max_num_batched_tokens` tokens.
    pub forward: u64,
    /// The sampler's dummy run (last pipeline stage only).
    pub sampler: u64,
    /// The dummy images: the encoder's peak, and the embeddings kept.
    pub encoder: u64,
    pub embeddings: u64,
}

impl Activation {
    /// The torch peak increase: the largest phase, with the image
    /// embeddings alive through all of them.
    pub fn peak(&self) -> u64 {
        self.embeddings + self.forward.max(self.sampler).max(self.encoder)
    }
}

/// Widths of one layer's activations per token on one rank, in elements.
fn layer_width(
    spec: &ModelSpec,
    layer: &crate::estimate::model::Layer,
    tp: u64,
    tokens: u64,
) -> u64 {
    let width = |kind: Kind, experts: bool| -> u64 {
        layer
            .tensors
            .iter()
            .filter(|t| t.kind == kind && t.is_experts() == experts && !t.is_1d())
            .map(|t| t.ne[1])
            .sum()
    };
    let n_embd = spec.n_embd;
    let qkv = width(Kind::AttnQ, false)
        + width(Kind::AttnK, false)
        + width(Kind::AttnV, false)
        + width(Kind::AttnQkv, false);
    let q = width(Kind::AttnQ, false).max(width(Kind::AttnQkv, false) / 2);
    let attention = (qkv + q) / tp;
    // Dense MLP (or a shared expert): gate+up out, and act(gate)·up.
    let up = width(Kind::FfnUp, false) / tp;
    let gated = width(Kind::FfnGate, false) > 0;
    let mlp = if gated { 3 * up } else { 2 * up };
    // Routed experts, per token of the whole batch (chunked).
    let experts = layer
        .tensors
        .iter()
        .find(|t| t.kind == Kind::FfnUp && t.is_experts())
        .map_or(0, |t| {
            let n_expert = t.ne[2];
            let k = spec.moe.map_or(1, |m| m.n_expert_used);
            let i = t.ne[1] / tp;
            let m = tokens.min(FUSED_MOE_CHUNK);
            // Router logits and top-k ids/weights for every token, and the
            // two workspaces for a chunk, spread per token of the batch.
            let per_token = n_expert + 4 * k;
            let workspaces = m * k * ((2 * i).max(n_embd) + i);
            per_token + workspaces.div_ceil(tokens.max(1))
        });
    n_embd + attention.max(mlp).max(experts + n_embd)
}

/// The forward pass's peak over `tokens` tokens on one rank, in bytes.
pub fn forward_bytes(spec: &ModelSpec, tp: u64, tokens: u64, dtype: u64) -> u64 {
    let widest = spec
        .layers
        .iter()
        .filter(|l| l.stack == Stack::Decoder)
        .map(|l| layer_width(spec, l, tp, tokens))
        .max()
        .unwrap_or(0);
    tokens * (2 * spec.n_embd + widest) * dtype
}

/// vLLM's multimodal profiling budget (`MultiModalBudget`,
/// `vllm/v1/worker/utils.py`; `compute_mm_encoder_budget`,
/// `vllm/v1/core/encoder_cache_manager.py`): the encoder budget is
/// `max(max_num_batched_tokens, tokens of the largest image)` and the dummy
/// batch holds as many images of the largest size as fit in it, at most
/// `max_num_seqs × images per prompt` — logged as "Encoder cache will be
/// initialized with a budget of N tokens, and profiled with M image items
/// of the maximum feature size".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MmBudget {
    pub budget: u64,
    pub items: u64,
    pub tokens_per_item: u64,
}

/// The image budget of a vision-language model's profile run, `None` for a
/// text-only model or text-only mode (no images).
///
/// V0 (`vllm/worker/model_runner.py` `profile_run`) instead gives each of
/// `min(max_num_seqs, max_num_batched_tokens / tokens per image)` dummy
/// sequences its full `--limit-mm-per-prompt` of images; a cross-attention
/// model's image takes one token of the sequence, so all `max_num_seqs`
/// sequences carry images (the 36.6 GiB peak Llama 3.2 Vision logs).
pub fn mm_budget(spec: &ModelSpec, s: &RunSettings) -> Option<MmBudget> {
    let v = spec.vision.as_ref().filter(|_| s.images > 0)?;
    let per_image = v.tokens.max_per_image().max(1);
    let budget = s.max_num_batched_tokens.max(per_image);
    let seqs = s.n_seq.max(1);
    let items = if Era::of(s.vllm.version).v1 {
        let per_prompt = s.images.min((s.n_ctx / per_image).max(1));
        (budget / per_image).min(seqs * per_prompt).max(1)
    } else {
        let cross = spec.layers.iter().any(|l| l.cross_attention.is_some());
        let in_sequence = if cross { 1 } else { per_image };
        (s.max_num_batched_tokens / in_sequence).clamp(1, seqs) * s.images
    };
    Some(MmBudget {
        budget,
        items,
        tokens_per_item: per_image,
    })
}

/// The vision encoder's peak and kept embeddings for vLLM's dummy images,
/// in bytes: `(encoder, embeddings)`.
fn images(spec: &ModelSpec, s: &RunSettings, dtype: u64) -> (u64, u64) {
    let (Some(v), Some(b)) = (spec.vision.as_ref(), mm_budget(spec, s)) else {
        return (0, 0);
    };
    let (items, per_image) = (b.items, b.tokens_per_item);
    let patches = match v.tokens {
        ImageTokens::Dynamic { merge, .. } => per_image * merge * merge,
        _ => {
            let side = v.image_size / v.patch_size.max(1);
            let tiles = match v.tokens {
                ImageTokens::Tiles { max_tiles, .. } => max_tiles,
                _ => 1,
            };
            side * side * tiles
        }
    };
    // The encoder's widest block per patch: the residual and normed input,
    // then the attention projections or the (gated) MLP.
    let width = |name: &str| {
        v.encoder
            .iter()
            .filter(|t| t.name.contains(name) && !t.is_1d())
            .map(|t| t.ne[1])
            .max()
            .unwrap_or(0)
    };
    let ff = match width("ffn_up") {
        0 => 4 * v.n_embd,
        f => f,
    };
    let mlp = if width("ffn_gate") > 0 {
        3 * ff
    } else {
        2 * ff
    };
    // A tiled encoder (mllama) also keeps the hidden states of the layers
    // its projector reads besides the last (`intermediate_layers_indices`):
    // the projector's input is that many encoder widths.
    let kept = match v.tokens {
        ImageTokens::Tiles { .. } => v
            .projector
            .iter()
            .filter(|t| !t.is_1d())
            .map(|t| t.ne[0])
            .max()
            .unwrap_or(0)
            .saturating_sub(v.n_embd),
        _ => 0,
    };
    let encoder = items * patches * (2 * v.n_embd + (4 * v.n_embd).max(mlp) + kept) * dtype;
    let embeddings = items * per_image * spec.n_embd * dtype;
    (encoder, embeddings)
}

/// The activation term of one rank of `tp`.
pub fn activation(
    spec: &ModelSpec,
    s: &RunSettings,
    era: &Era,
    tp: u64,
    first_stage: bool,
    last_stage: bool,
) -> Activation {
    let dtype = model_dtype(s);
    let batched = s.max_num_batched_tokens.max(1);
    let rows = batched.min(s.n_seq.max(1));
    let forward = forward_bytes(spec, tp, batched, dtype);
    let per_element = if era.v1 { SAMPLER_V1 } else { SAMPLER_V0 };
    let vocab = spec.n_vocab.div_ceil(64) * 64;
    let sampler = if last_stage {
        batched * spec.n_embd * dtype + rows * vocab * per_element
    } else {
        0
    };
    let (encoder, embeddings) = if first_stage {
        images(spec, s, dtype)
    } else {
        (0, 0)
    };
    Activation {
        forward,
        sampler,
        encoder,
        embeddings,
    }
}

/// Bytes per element of activations: 4 for an fp32 model, else 2.
pub fn model_dtype(s: &RunSettings) -> u64 {
    use crate::estimate::format::{TorchDtype, WeightFormat};
    match s.weights {
        WeightFormat::Torch {
            dtype: TorchDtype::F32,
        } => 4,
        _ => 2,
    }
}

/// Memory outside PyTorch's allocator that the budget counts on a rank:
/// cuBLAS and attention workspaces and, under tensor parallelism, the
/// all-reduce buffers NCCL and the custom all-reduce allocate while the
/// profile run's collectives first execute; where the era counts
/// everything on the GPU, the CUDA context (`context`) too.
///
/// The V0 logs in tests/data/measured/vllm_logs.json give 0.03–0.20 GiB on
/// one GPU and 0.34–0.43 GiB per rank at TP 4; V1 logs rarely print it
/// (0.13 GiB in one). Reports of about 2 GiB per rank at TP 2–4 on v0.19
/// could not be checked against a log and are not assumed. Pipeline
/// stages' send/receive buffers are not counted (`pp` is unused).
pub fn non_torch(era: &Era, tp: u64, pp: u64, context: u64) -> u64 {
    let _ = pp;
    let base = if era.v1 { 256 * MIB } else { 160 * MIB };
    let all_reduce = if tp > 1 { 224 * MIB } else { 0 };
    let whole = match era.budget {
        super::era::Budget::WholeGpu => context,
        super::era::Budget::Increases => 0,
    };
    base + all_reduce + whole
}

/// The CUDA-graph sizes vLLM captures (`max_cudagraph_capture_size` =
/// `min(2 × max_num_seqs, 512)`; sizes 1, 2, 4, then steps of 8 to 256
/// and of 16 beyond), as `(piecewise, full)` counts: full graphs only for
/// decode batches up to `max_num_seqs`.
pub fn capture_sizes(max_num_seqs: u64, batched: u64) -> (Vec<u64>, u64) {
    let largest = (2 * max_num_seqs).min(512).min(batched).max(1);
    let mut sizes: Vec<u64> = [1, 2, 4].into_iter().filter(|&x| x <= largest).collect();
    sizes.extend((8..256).step_by(8).filter(|&x| x <= largest));
    sizes.extend((256..=largest).step_by(16));
    let full = sizes.iter().filter(|&&x| x <= max_num_seqs).count() as u64;
    (sizes, full)
}

/// vLLM's estimate of CUDA-graph memory (`profile_cudagraph_memory`):
/// the largest capture's pool (the forward activations of that many
/// tokens) plus a per-graph cost times the other graphs — the estimate
/// extrapolates linearly from the two largest captures. The per-graph cost
/// is at least 1 MiB there; 2 MiB matches the logged estimates (0.17 GiB
/// with 84 graphs at TP 4).
pub fn cuda_graphs(spec: &ModelSpec, s: &RunSettings, tp: u64) -> u64 {
    let (sizes, full) = capture_sizes(s.n_seq.max(1), s.max_num_batched_tokens.max(1));
    let largest = sizes.last().copied().unwrap_or(1);
    let first = forward_bytes(spec, tp, largest, model_dtype(s));
    let graphs = sizes.len() as u64 + full;
    first + graphs.saturating_sub(2) * 2 * MIB
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_sizes_follow_the_logged_counts() {
        // "PIECEWISE=51 (largest=512), FULL=35 (largest=256)" at 256 seqs.
        let (sizes, full) = capture_sizes(256, 8192);
        assert_eq!((sizes.len(), full, *sizes.last().unwrap()), (51, 35, 512));
        // "PIECEWISE=13 (largest=80), FULL=8 (largest=40)" at 40 seqs.
        let (sizes, full) = capture_sizes(40, 8192);
        assert_eq!((sizes.len(), full, *sizes.last().unwrap()), (13, 8, 80));
    }
}
