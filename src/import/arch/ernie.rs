//! Baidu ERNIE 4.5: `ernie4_5` and `ernie4_5_moe`, following transformers'
//! `modeling_ernie4_5.py` and `modeling_ernie4_5_moe.py`. Llama-shaped
//! pre-norm blocks with every linear biased when `use_bias`; the lm_head is
//! tied by default (and biased when `use_bias` in the MoE model).
//!
//! ERNIE 4.5 MoE routes in the layers from `moe_layer_start_index` to
//! `moe_layer_end_index` (-1: the last) whose number is a multiple of
//! `moe_layer_interval`; the others have a dense MLP of
//! `intermediate_size`. A sparse layer has `moe_num_experts` routed
//! experts of `moe_intermediate_size`, shared experts of
//! `moe_num_shared_experts × moe_intermediate_size`, and the router's
//! `e_score_correction_bias` — a parameter in transformers (frozen, but
//! counted), `exp_probs_b` in GGUF.

use super::*;
use crate::estimate::model::Moe;

/// Ernie4_5Config defaults.
const DENSE: ClassDefaults = ClassDefaults {
    vocab_size: 103424,
    hidden_size: 1024,
    intermediate_size: 3072,
    num_hidden_layers: 18,
    num_attention_heads: 16,
    num_key_value_heads: Some(2),
    head_dim: Some(128),
    max_position_embeddings: 131072,
    tie_word_embeddings: true,
};

/// Ernie4_5_MoeConfig defaults.
const MOE: ClassDefaults = ClassDefaults {
    vocab_size: 103424,
    hidden_size: 2560,
    intermediate_size: 12288,
    num_hidden_layers: 28,
    num_attention_heads: 20,
    num_key_value_heads: Some(4),
    head_dim: None,
    max_position_embeddings: 131072,
    tie_word_embeddings: true,
};

/// Reads an ERNIE 4.5 (dense or MoE) decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let is_moe = model_type == "ernie4_5_moe";
    let c = if is_moe { &MOE } else { &DENSE };
    let d = class_dims(f, c)?;
    let tied = f.flag("tie_word_embeddings", c.tie_word_embeddings)?;
    let bias = f.flag("use_bias", false)?;
    let moe = if is_moe {
        Some(routed_experts(
            f,
            &["moe_num_experts", "num_experts"],
            Some(64),
            &["moe_k", "num_experts_per_tok"],
            Some(6),
        )?)
    } else {
        None
    };
    let moe_ff = if is_moe {
        f.dim_or("moe_intermediate_size", 1536)?
    } else {
        0
    };
    let n_shared = if is_moe {
        f.opt_count("moe_num_shared_experts")?.unwrap_or(2)
    } else {
        0
    };
    let start = f.opt_count("moe_layer_start_index")?.unwrap_or(1);
    let interval = f.dim_or("moe_layer_interval", 1)?;
    let end = end_index(f, d.n_layer)?;
    let is_sparse =
        |i: u64| moe.is_some() && (i + 1).is_multiple_of(interval) && i >= start && i <= end;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for i in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, bias, bias);
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        match &moe {
            Some(m) if is_sparse(i) => {
                router(&mut t, d.n_embd, m.n_expert);
                t.push(Tensor::vector("exp_probs_b.bias", m.n_expert));
                experts(&mut t, d.n_embd, moe_ff, m.n_expert);
                if n_shared > 0 {
                    shared_expert(&mut t, d.n_embd, moe_ff * n_shared);
                    if bias {
                        t.push(Tensor::vector("ffn_gate_shexp.bias", moe_ff * n_shared));
                        t.push(Tensor::vector("ffn_up_shexp.bias", moe_ff * n_shared));
                        t.push(Tensor::vector("ffn_down_shexp.bias", d.n_embd));
                    }
                }
            }
            _ => mlp(&mut t, d.n_embd, d.n_ff, true, bias),
        }
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let mut globals = decoder_globals(&d, tied, false);
    if is_moe && bias {
        globals.push(Tensor::vector("output.bias", d.n_vocab));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", c.max_position_embeddings)?;
    let moe = moe.map(|m| Moe {
        n_expert: m.n_expert,
        n_expert_used: m.n_expert_used,
        n_expert_shared: n_shared,
    });
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        moe,
        globals,
        layers,
    ))
}

/// `moe_layer_end_index`: the last sparse layer, -1 (the default) for the last layer.
fn end_index(f: &Fields, n_layer: u64) -> Result<u64, ConfigError> {
    const FIELD: &str = "moe_layer_end_index";
    match f.get(FIELD) {
        None => Ok(n_layer - 1),
        Some(v) => match v.as_i64() {
            Some(-1) => Ok(n_layer - 1),
            Some(n) if n >= 0 => Ok(n as u64),
            _ => Err(invalid(
                FIELD,
                format!("must be a layer index or -1, got {v}"),
            )),
        },
    }
}
