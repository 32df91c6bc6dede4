//! Jamba (`modeling_jamba.py`): Mamba layers with dt/B/C norms and one
//! attention layer every `attn_layer_period` (at `attn_layer_offset`);
//! every `expert_layer_period`-th MLP is routed experts.

use super::hybrid_common::{head_dim, heads, moe, n_layer, product};
use super::recurrent::{mamba, Mamba};
use super::*;

/// Reads `jamba`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 4096)?;
    let n_ff = f.dim_or("intermediate_size", 14336)?;
    let n_layer = n_layer(f, 32)?;
    let (n_head, n_head_kv) = heads(f, 32, 8)?;
    let head_dim = head_dim(f, n_embd, n_head)?;
    let attn_period = f.dim_or("attn_layer_period", 8)?;
    let attn_offset = f.opt_count("attn_layer_offset")?.unwrap_or(4);
    let expert_period = f.dim_or("expert_layer_period", 2)?;
    let expert_offset = f.opt_count("expert_layer_offset")?.unwrap_or(1);
    // One expert is a dense MLP: `num_experts_per_tok` is then unused.
    let moe = if f.opt_count("num_experts")?.unwrap_or(16) > 1 {
        moe(f, "num_experts", 16, 2, 0)?
    } else {
        None
    };
    // A GGUF import (or a config that lists them) names each layer's kind
    // and expert count instead of the periods.
    let listed_kinds = f.kinds("layers_block_type", n_layer, |k| match k {
        "attention" | "full_attention" => Some(true),
        "mamba" | "linear_attention" => Some(false),
        _ => None,
    })?;
    let listed_experts = match f.get("layers_num_experts") {
        Some(_) => Some(f.indices("layers_num_experts")?),
        None => None,
    };
    let m = Mamba {
        d_inner: product("mamba_expand", f.dim_or("mamba_expand", 2)?, n_embd)?,
        d_state: f.dim_or("mamba_d_state", 16)?,
        d_conv: f.dim_or("mamba_d_conv", 4)?,
        dt_rank: f.dim_or_auto("mamba_dt_rank", n_embd.div_ceil(16))?,
        conv_bias: f.flag("mamba_conv_bias", true)?,
        proj_bias: f.flag("mamba_proj_bias", false)?,
        dt_bc_norms: true,
    };
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, false);
    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let is_attention = match &listed_kinds {
            Some(kinds) => kinds[i as usize],
            None => i % attn_period == attn_offset,
        };
        let is_sparse = match &listed_experts {
            Some(n) => n.get(i as usize).is_some_and(|&n| n > 1),
            None => i % expert_period == expert_offset,
        };
        let (attention, recurrent) = if is_attention {
            (Some(attention(&mut t, &shape)), None)
        } else {
            (None, Some(mamba(&mut t, n_embd, &m)))
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        match moe {
            Some(moe) if is_sparse => stacked_experts(&mut t, n_embd, n_ff, moe.n_expert),
            _ => mlp(&mut t, n_embd, n_ff, true, false),
        }
        layers.push(layer(attention, recurrent, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 65536)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 262_144)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
