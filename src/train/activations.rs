//! Activations a training step saves for the backward pass, per layer and
//! per token, from the architecture — what autograd keeps in transformers'
//! modeling code: each trainable Linear's input, attention's Q/K/V and its
//! softmax (eager) or output and log-sum-exp (SDPA / flash attention), the
//! gated MLP's three intermediates, RMSNorm's float32 input and reciprocal
//! RMS, a mixture of experts' routed copies, and the loss's float32
//! log-softmax over the vocabulary.
//!
//! Exact for llama-shaped layers against `torch.autograd.graph.
//! saved_tensors_hooks` on tiny real models (`tests/data/measured/
//! training_exact.json`'s `small` rows); recurrent layers are sized from
//! their projections' widths (approximate, and said so).

use serde::Serialize;

use super::params::Part;
use crate::estimate::model::{Kind, KvLayout, Layer, ModelSpec, Tensor};

/// How attention is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AttnImpl {
    /// Eager: the `[heads, q, k]` softmax is saved (float32 and a copy in
    /// the compute dtype).
    Eager,
    /// SDPA / FlashAttention: Q, K, V, the output and a float32
    /// log-sum-exp per head; nothing quadratic in the sequence.
    Sdpa,
}

/// What the activation count needs to know.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    /// Bytes of an activation element (2: bf16/fp16 or autocast, 4: fp32).
    pub act: u64,
    pub attn: AttnImpl,
    /// Tokens per micro-batch (micro-batch × sequence).
    pub tokens: u64,
    pub seq: u64,
    /// Adapter dtype bytes (LoRA), and its rank.
    pub adapter: u64,
    pub rank: u64,
    /// The adapters drop out their input (each keeps its copy and a mask).
    pub dropout: bool,
    /// Split the loss into this many chunks (1: the whole vocabulary at
    /// once).
    pub loss_chunks: u64,
    /// Experts each token is routed to (mixtures of experts).
    pub experts_used: u64,
    /// The token embeddings train (their output needs a gradient).
    pub embedding_trains: bool,
    /// Layers are checkpointed (the rotary tables live inside them).
    pub checkpointed: bool,
}

/// What trains in a layer: by the Linear's module name, and its norms.
pub trait Trains {
    /// The weight of this layer tensor trains (full fine-tuning, or an
    /// unfrozen part).
    fn weight(&self, part: Part, t: &Tensor) -> bool;
    /// LoRA adapts this tensor.
    fn adapted(&self, part: Part, t: &Tensor) -> bool;
    /// Its Linear keeps its input even though the weight is frozen (a
    /// bitsandbytes 4-bit Linear).
    fn keeps_input(&self, part: Part, t: &Tensor) -> bool;
}

fn width(t: &Tensor) -> u64 {
    t.ne[0]
}

/// Bytes one layer saves for a micro-batch.
pub fn layer_bytes(i: usize, layer: &Layer, n_embd: u64, s: &Shape, trains: &dyn Trains) -> u64 {
    let part = Part::Layer(i);
    let a = s.act;
    let h = n_embd;
    let find = |k: Kind| {
        layer
            .tensors
            .iter()
            .find(|t| t.kind == k && !t.is_experts())
    };
    let experts = |k: Kind| layer.tensors.iter().find(|t| t.kind == k && t.is_experts());
    // A Linear keeps its input when its weight trains, or when it is a
    // 4-bit bitsandbytes Linear (its MatMul4Bit saves the input whatever
    // needs a gradient).
    let keeps = |t: &Tensor| trains.weight(part, t) || trains.keeps_input(part, t);
    let any_trains = |ks: &[Kind]| {
        layer
            .tensors
            .iter()
            .any(|t| ks.contains(&t.kind) && !t.is_experts() && keeps(t))
    };
    let mut per_token = 0u64;
    let mut per_layer = 0u64;
    // Norms over the hidden state: float32 input + 1/rms, and the
    // normalized values in the compute dtype when the weight trains. The
    // first layer's first norm saves nothing when its input (the frozen
    // embeddings' output) needs no gradient.
    let skip_first = i == 0 && !s.embedding_trains;
    for (k, t) in layer
        .tensors
        .iter()
        .filter(|t| t.is_1d() && t.name.contains("norm") && width(t) == h)
        .enumerate()
    {
        if skip_first && k == 0 && !trains.weight(part, t) {
            continue;
        }
        per_token += 4 * h + 4 + if trains.weight(part, t) { a * h } else { 0 };
    }
    if let Some(att) = &layer.attention {
        let hd = match att.kv {
            KvLayout::Heads { head_dim_k, .. } => head_dim_k,
            KvLayout::Latent { .. } | KvLayout::SharedKv { .. } => h / att.n_head.max(1),
        };
        let qd = att.n_head * hd;
        let kvd = att.n_head_kv() * hd;
        if any_trains(&[Kind::AttnQ, Kind::AttnK, Kind::AttnV, Kind::AttnQkv]) {
            per_token += h * a;
        }
        // Per-head q/k norms (Qwen3, Gemma 3): the same three tensors.
        for (name, w, heads) in [
            ("attn_q_norm", qd, att.n_head),
            ("attn_k_norm", kvd, att.n_head_kv()),
        ] {
            if let Some(t) = layer.tensors.iter().find(|t| t.name.starts_with(name)) {
                per_token += w * 4 + heads * 4 + if trains.weight(part, t) { w * a } else { 0 };
            }
        }
        let o_trains = any_trains(&[Kind::AttnOutput]);
        per_token += match s.attn {
            AttnImpl::Eager => {
                let probs = att.n_head * s.seq * (4 + if a == 4 { 0 } else { a });
                3 * qd * a + probs + if o_trains { qd * a } else { 0 }
            }
            AttnImpl::Sdpa => 2 * qd * a + 2 * kvd * a + 4 * att.n_head,
        };
    }
    // Feed-forward.
    let gate = find(Kind::FfnGate);
    let up = find(Kind::FfnUp);
    let down = find(Kind::FfnDown);
    if let (Some(up), Some(down)) = (up, down) {
        let f = width(down);
        if any_trains(&[Kind::FfnGate, Kind::FfnUp]) {
            per_token += h * a;
        }
        per_token += if gate.is_some() || up.ne[1] == 2 * f {
            // Gated: gate and up outputs, the activation's output.
            3 * f * a
        } else {
            // Plain: the up output (the activation's input) only.
            f * a
        };
        if keeps(down) {
            per_token += f * a;
        }
    }
    if let (Some(up), Some(m)) = (
        experts(Kind::FfnUp),
        layer.tensors.iter().find(|t| t.kind == Kind::FfnGateInp),
    ) {
        let ff = up.ne[1];
        let n_expert = m.ne[1];
        let used = s.experts_used.max(1);
        // Router: its input (when it trains), float32 scores, top-k
        // weights and int64 indices, an int32 count per expert. Per routed
        // copy: its weight and three int64 indices; the gathered input and
        // the fused gate/up output (the activation's input is a view of
        // it), the activation's output and, when the experts train, their
        // output and the down projection's input.
        per_token += if trains.weight(part, m) { h * a } else { 0 } + 4 * n_expert + 4 + 12 * used;
        per_layer += 4 * n_expert;
        per_token += used
            * (a + 24
                + if trains.weight(part, up) {
                    2 * h * a + 4 * ff * a
                } else {
                    h * a + 3 * ff * a
                });
    }
    // Recurrent mixers: each projection's input and output (approximate).
    if layer.attention.is_none() && layer.recurrent.is_some() {
        for t in layer
            .tensors
            .iter()
            .filter(|t| !t.is_1d() && !t.is_experts())
        {
            if !matches!(t.kind, Kind::FfnGate | Kind::FfnUp | Kind::FfnDown) {
                per_token += (t.ne[0] + t.ne[1]) * a;
            }
        }
        if let Some(r) = &layer.recurrent {
            per_token += 2 * r.conv_channels * a;
        }
    }
    // LoRA: each adapter saves its rank-wide middle and its input — cast
    // to the adapter's dtype, a copy per adapter, or when the dtypes agree
    // the shared input once per group of projections reading it.
    let mut groups_seen: Vec<u8> = Vec::new();
    for t in layer.tensors.iter().filter(|t| trains.adapted(part, t)) {
        let copies = if t.is_experts() {
            s.experts_used.max(1)
        } else {
            1
        };
        per_token += copies * s.rank * s.adapter;
        let group = match t.kind {
            Kind::AttnQ | Kind::AttnK | Kind::AttnV | Kind::AttnQkv => 0,
            Kind::FfnGate | Kind::FfnUp if !t.is_experts() => 1,
            _ => 2,
        };
        if s.dropout {
            // Its own dropped copy (saved by A) and the boolean mask.
            per_token += copies * width(t) * (s.adapter + 1);
            continue;
        }
        let shared = s.adapter == a && group < 2;
        if shared && (groups_seen.contains(&group) || trains.weight(part, t)) {
            continue;
        }
        groups_seen.push(group);
        per_token += copies * width(t) * s.adapter;
    }
    per_token.saturating_mul(s.tokens).saturating_add(per_layer)
}

/// Everything outside the layers for a micro-batch: input ids, rotary
/// tables, the final norm, the output layer's input, and the loss's
/// float32 log-softmax with its labels.
pub fn outside_bytes(spec: &ModelSpec, s: &Shape, trains: &dyn Trains) -> u64 {
    let h = spec.n_embd;
    let a = s.act;
    let mut per_token = 0;
    let embedding = spec.globals.iter().find(|t| t.kind == Kind::TokenEmbd);
    if embedding.is_some_and(|t| trains.weight(Part::Embedding, t)) {
        per_token += 8;
    }
    // Rotary cos/sin tables: one per position, shared by the layers (made
    // inside each checkpointed layer otherwise).
    let mut per_position = 0;
    if let (Some(KvLayout::Heads { head_dim_k, .. }), false) =
        (spec.first_attention().map(|a| a.kv), s.checkpointed)
    {
        per_position += 2 * head_dim_k * a;
    }
    if let Some(t) = spec
        .globals
        .iter()
        .find(|t| t.is_1d() && t.name.contains("norm"))
    {
        per_token += 4 * h
            + 4
            + if trains.weight(Part::Other, t) {
                a * h
            } else {
                0
            };
    }
    let head = spec
        .globals
        .iter()
        .find(|t| t.kind == Kind::Output)
        .map(|t| (Part::Head, t))
        .or(embedding.map(|t| (Part::Embedding, t)));
    if head.is_some_and(|(p, t)| trains.weight(p, t) || trains.adapted(p, t)) {
        per_token += h * a;
    }
    // The shifted int64 labels (for one sequence a view of the padded
    // labels, one longer; for several a contiguous copy) and the loss.
    let labels = s.tokens.saturating_mul(8) + if s.tokens == s.seq { 8 } else { 0 } + 4;
    per_token
        .saturating_mul(s.tokens)
        .saturating_add(per_position.saturating_mul(s.seq))
        .saturating_add(labels)
        .saturating_add(loss_saved(spec, s))
}

/// The loss's saved float32 log-softmax (whole), or with a chunked loss
/// the logits in the compute dtype (each chunk's float32 recomputed).
pub fn loss_saved(spec: &ModelSpec, s: &Shape) -> u64 {
    if s.loss_chunks > 1 {
        s.tokens.saturating_mul(spec.n_vocab * s.act)
    } else {
        s.tokens.saturating_mul(spec.n_vocab * 4)
    }
}

/// The loss's transient at the start of the backward pass, beyond what is
/// saved: the float32 gradient of the log-softmax and the logits' gradient
/// in the compute dtype (one chunk's, when chunked).
pub fn loss_transient(spec: &ModelSpec, s: &Shape) -> u64 {
    s.tokens
        .div_ceil(s.loss_chunks.max(1))
        .saturating_mul(spec.n_vocab * (4 + s.act))
}

/// A layer's checkpoint: its input hidden state in the compute dtype.
pub fn checkpoint_bytes(n_embd: u64, s: &Shape) -> u64 {
    (n_embd * s.act).saturating_mul(s.tokens)
}
