//! AllenAI OLMo: `olmo2`, `olmo3` and `olmoe`, following transformers'
//! `modeling_olmo2.py`, `modeling_olmo3.py` and `modeling_olmoe.py`.
//!
//! OLMo 2 and 3 have no pre-norms: each block norms the outputs of
//! attention and of the gated MLP (`post_attention_layernorm`,
//! `post_feedforward_layernorm`), and Q and K are RMS-normed over all
//! heads at once (`heads × head_dim` weights). OLMo 3 adds sliding layers
//! (`layer_types`, by default three sliding then one global).
//!
//! OLMoE is pre-norm with routed experts in every layer; its Q norm spans
//! `hidden_size` and its K norm `hidden_size / heads × kv_heads`, whatever
//! `head_dim` says.

use super::*;
use crate::estimate::model::Moe;

/// Olmo2Config / Olmo3Config defaults.
const OLMO2: ClassDefaults = ClassDefaults {
    vocab_size: 50304,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// OlmoeConfig defaults.
const OLMOE: ClassDefaults = ClassDefaults {
    vocab_size: 50304,
    hidden_size: 2048,
    intermediate_size: 2048,
    num_hidden_layers: 16,
    num_attention_heads: 16,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 4096,
    tie_word_embeddings: false,
};

/// Reads an OLMo 2, OLMo 3 or OLMoE decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    if model_type == "olmoe" {
        return olmoe(f, model_type);
    }
    let d = class_dims(f, &OLMO2)?;
    let tied = f.flag("tie_word_embeddings", OLMO2.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let (window, sliding_layers) = if model_type == "olmo3" {
        let window = if f.0.contains_key("sliding_window") {
            f.opt_dim("sliding_window")?
        } else {
            Some(4096)
        };
        let pattern = match f.layer_types(d.n_layer)? {
            Some(types) => types,
            None => (0..d.n_layer).map(|i| !(i + 1).is_multiple_of(4)).collect(),
        };
        (window, pattern)
    } else {
        (None, vec![false; d.n_layer as usize])
    };

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for &is_sliding in &sliding_layers {
        let mut t = Vec::new();
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("attn_q_norm.weight", d.n_head * d.head_dim));
        t.push(Tensor::vector(
            "attn_k_norm.weight",
            d.n_head_kv * d.head_dim,
        ));
        t.push(Tensor::vector("post_attention_norm.weight", d.n_embd));
        mlp(&mut t, d.n_embd, d.n_ff, true, false);
        t.push(Tensor::vector("post_ffw_norm.weight", d.n_embd));
        let attention = sliding(
            Attention::heads(d.n_head, d.n_head_kv, d.head_dim),
            window,
            is_sliding,
        );
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", OLMO2.max_position_embeddings)?;
    let mut spec = decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        decoder_globals(&d, tied, false),
        layers,
    );
    // llama.cpp's OLMo 2 graph takes an iSWA cache when the GGUF has a window (OLMo 3).
    spec.llama_cpp_swa = spec
        .layers
        .iter()
        .any(|l| l.attention.is_some_and(|a| a.window_len().is_some()));
    Ok(spec)
}

/// OLMoE: pre-norm attention with Q/K norms, routed experts in every layer.
fn olmoe(f: &Fields, model_type: &str) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &OLMOE)?;
    let tied = f.flag("tie_word_embeddings", OLMOE.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let m = routed_experts(
        f,
        &["num_experts", "num_local_experts"],
        Some(64),
        &["num_experts_per_tok"],
        Some(8),
    )?;
    let k_norm = d.n_embd / d.n_head * d.n_head_kv;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("attn_q_norm.weight", d.n_embd));
        t.push(Tensor::vector("attn_k_norm.weight", k_norm));
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        router(&mut t, d.n_embd, m.n_expert);
        experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", OLMOE.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        Some(Moe {
            n_expert: m.n_expert,
            n_expert_used: m.n_expert_used,
            n_expert_shared: 0,
        }),
        decoder_globals(&d, tied, false),
        layers,
    ))
}
