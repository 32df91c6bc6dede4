//! rednote dots.llm1: `dots1`, following transformers' `modeling_dots1.py`.
//! Pre-norm blocks with Q and K RMS-normed per head; the first
//! `first_k_dense_replace` layers (default 0) have a dense MLP of
//! `intermediate_size`, the rest `n_routed_experts` routed experts of
//! `moe_intermediate_size` plus shared experts `n_shared_experts` times as
//! wide. The router's `e_score_correction_bias` is a buffer, not counted.
//! The config class leaves the expert counts unset, so a config must give
//! them. Layers from `max_window_layers` on slide when a `sliding_window`
//! is set (or as `layer_types` says).

use super::*;
use crate::estimate::model::Moe;

/// Dots1Config defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 152064,
    hidden_size: 4608,
    intermediate_size: 10944,
    num_hidden_layers: 62,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads a dots.llm1 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let m = routed_experts(
        f,
        &["n_routed_experts", "num_local_experts"],
        None,
        &["num_experts_per_tok"],
        None,
    )?;
    let n_shared = f
        .opt_count("n_shared_experts")?
        .ok_or(ConfigError::Missing("n_shared_experts"))?;
    let moe_ff = f.dim_or("moe_intermediate_size", 1408)?;
    let first_dense = f.opt_count("first_k_dense_replace")?.unwrap_or(0);
    let window = if f.0.contains_key("sliding_window") {
        f.opt_dim("sliding_window")?
    } else {
        Some(4096)
    };
    let sliding_layers = match f.layer_types(d.n_layer)? {
        Some(types) => types,
        None => {
            let from = f.opt_count("max_window_layers")?.unwrap_or(62);
            (0..d.n_layer).map(|i| i >= from).collect()
        }
    };

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for (i, &is_sliding) in (0..).zip(&sliding_layers) {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("attn_q_norm.weight", d.head_dim));
        t.push(Tensor::vector("attn_k_norm.weight", d.head_dim));
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        if i >= first_dense {
            router(&mut t, d.n_embd, m.n_expert);
            experts(&mut t, d.n_embd, moe_ff, m.n_expert);
            if n_shared > 0 {
                shared_expert(&mut t, d.n_embd, moe_ff * n_shared);
            }
        } else {
            mlp(&mut t, d.n_embd, d.n_ff, true, false);
        }
        let attention = sliding(
            Attention::heads(d.n_head, d.n_head_kv, d.head_dim),
            window,
            is_sliding,
        );
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    let moe = Moe {
        n_expert: m.n_expert,
        n_expert_used: m.n_expert_used,
        n_expert_shared: n_shared,
    };
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        Some(moe),
        decoder_globals(&d, tied, false),
        layers,
    ))
}
