//! Zhipu GLM-4: `glm4` and `glm4_moe` (GLM-4.5), following transformers'
//! `modeling_glm4.py` and `modeling_glm4_moe.py`.
//!
//! GLM-4 sandwiches each sub-block between norms: a pre-norm and a
//! post-norm around attention (`post_self_attn_layernorm`) and around the
//! MLP (`post_mlp_layernorm`); its MLP fuses gate and up into one
//! `gate_up_proj`; Q/K/V are biased by default (`attention_bias`), the
//! output never; `head_dim` defaults to 128.
//!
//! GLM-4.5 is pre-norm with optional per-head Q/K norms (`use_qk_norm`),
//! Q/K/V biased only when `attention_bias`; the first
//! `first_k_dense_replace` layers (default 1) have a dense MLP, the rest
//! `n_routed_experts` routed experts of `moe_intermediate_size` plus shared
//! experts `n_shared_experts` times as wide. The router's
//! `e_score_correction_bias` is a buffer, not counted, and transformers
//! builds no multi-token-prediction layers (`num_nextn_predict_layers`).

use super::*;
use crate::estimate::model::Moe;

/// Glm4Config defaults.
const GLM4: ClassDefaults = ClassDefaults {
    vocab_size: 151552,
    hidden_size: 4096,
    intermediate_size: 13696,
    num_hidden_layers: 40,
    num_attention_heads: 32,
    num_key_value_heads: Some(2),
    head_dim: Some(128),
    max_position_embeddings: 131072,
    tie_word_embeddings: false,
};

/// Glm4MoeConfig defaults.
const GLM4_MOE: ClassDefaults = ClassDefaults {
    vocab_size: 151552,
    hidden_size: 4096,
    intermediate_size: 10944,
    num_hidden_layers: 46,
    num_attention_heads: 96,
    num_key_value_heads: Some(8),
    head_dim: None,
    max_position_embeddings: 131072,
    tie_word_embeddings: false,
};

/// Reads a GLM-4 or GLM-4.5 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    if model_type == "glm4_moe" {
        return glm4_moe(f, model_type);
    }
    let d = class_dims(f, &GLM4)?;
    let tied = f.flag("tie_word_embeddings", GLM4.tie_word_embeddings)?;
    let qkv_bias = f.flag("attention_bias", true)?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, qkv_bias, false);
        t.push(Tensor::vector("post_attention_norm.weight", d.n_embd));
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        t.push(Tensor::matrix(
            "ffn_up.weight",
            Kind::FfnUp,
            d.n_embd,
            2 * d.n_ff,
        ));
        t.push(Tensor::matrix(
            "ffn_down.weight",
            Kind::FfnDown,
            d.n_ff,
            d.n_embd,
        ));
        t.push(Tensor::vector("post_ffw_norm.weight", d.n_embd));
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", GLM4.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        decoder_globals(&d, tied, false),
        layers,
    ))
}

/// GLM-4.5: pre-norm attention, dense then routed-expert layers.
fn glm4_moe(f: &Fields, model_type: &str) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &GLM4_MOE)?;
    let tied = f.flag("tie_word_embeddings", GLM4_MOE.tie_word_embeddings)?;
    let qkv_bias = f.flag("attention_bias", false)?;
    let qk_norm = f.flag("use_qk_norm", false)?;
    let m = routed_experts(
        f,
        &["n_routed_experts", "num_local_experts"],
        Some(128),
        &["num_experts_per_tok"],
        Some(8),
    )?;
    let n_shared = f.opt_count("n_shared_experts")?.unwrap_or(1);
    let moe_ff = f.dim_or("moe_intermediate_size", 1408)?;
    let first_dense = f.opt_count("first_k_dense_replace")?.unwrap_or(1);

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for i in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, qkv_bias, false);
        if qk_norm {
            t.push(Tensor::vector("attn_q_norm.weight", d.head_dim));
            t.push(Tensor::vector("attn_k_norm.weight", d.head_dim));
        }
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
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", GLM4_MOE.max_position_embeddings)?;
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
