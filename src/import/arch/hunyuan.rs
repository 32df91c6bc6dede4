//! Tencent Hunyuan: `hunyuan_v1_dense` and `hunyuan_v1_moe`, following
//! transformers' `modeling_hunyuan_v1_dense.py` and
//! `modeling_hunyuan_v1_moe.py`. Llama-shaped pre-norm blocks with Q and
//! K RMS-normed per head (`query_layernorm`, `key_layernorm`). The MoE
//! model routes in every layer to `num_experts` experts of
//! `intermediate_size` (default 1, top-1) and always adds one shared MLP of
//! the same width. `moe_topk` may list one value per layer; the largest is
//! taken as the active count. The configs default `head_dim` to None, which
//! the model classes cannot build; vramfit then takes `hidden_size /
//! num_attention_heads`, as their `getattr` fallback intends.

use super::*;
use crate::estimate::model::Moe;

/// HunYuanDenseV1Config / HunYuanMoEV1Config defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 290943,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads a Hunyuan (dense or MoE) decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let moe = if model_type == "hunyuan_v1_moe" {
        let n_expert = f
            .count_of(&["num_experts", "num_local_experts"])?
            .unwrap_or(1);
        if n_expert == 0 {
            return Err(invalid("num_experts", "must be at least 1".into()));
        }
        let n_expert_used = top_k(f)?;
        if n_expert_used == 0 || n_expert_used > n_expert {
            return Err(invalid(
                "moe_topk",
                format!("({n_expert_used}) must be between 1 and num_experts ({n_expert})"),
            ));
        }
        Some(Moe {
            n_expert,
            n_expert_used,
            n_expert_shared: 1,
        })
    } else {
        None
    };

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("attn_q_norm.weight", d.head_dim));
        t.push(Tensor::vector("attn_k_norm.weight", d.head_dim));
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        match &moe {
            Some(m) => {
                router(&mut t, d.n_embd, m.n_expert);
                experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
                shared_expert(&mut t, d.n_embd, d.n_ff);
            }
            None => mlp(&mut t, d.n_embd, d.n_ff, true, false),
        }
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        moe,
        decoder_globals(&d, tied, false),
        layers,
    ))
}

/// `moe_topk` (or `num_experts_per_tok`): one count, or one per layer.
fn top_k(f: &Fields) -> Result<u64, ConfigError> {
    const FIELD: &str = "moe_topk";
    let field = if f.get(FIELD).is_none() && f.get("num_experts_per_tok").is_some() {
        "num_experts_per_tok"
    } else {
        FIELD
    };
    match f.get(field) {
        None => Ok(1),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_u64()
                    .ok_or_else(|| invalid(field, format!("must list expert counts, found {v}")))
            })
            .try_fold(0, |max, k| k.map(|k| max.max(k))),
        Some(_) => f.dim(field),
    }
}
