//! Qwen3-Next and Qwen3.5 (`modeling_qwen3_next.py`, `modeling_qwen3_5.py`,
//! `modeling_qwen3_5_moe.py`): hybrids of gated DeltaNet linear attention
//! and gated full attention, three linear layers to one full by default
//! (`full_attention_interval` 4, or an explicit `layer_types`), with a
//! dense MLP (Qwen3.5) or routed experts plus a gated shared expert.

use super::hybrid_common::product;
use super::recurrent::{gated_deltanet, DeltaNet};
use super::*;
use crate::estimate::model::Moe;

/// A layer's token mixer as `layer_types` names it.
#[derive(Clone, Copy, PartialEq)]
enum Mixer {
    Linear,
    Full,
}

fn mixer(name: &str) -> Option<Mixer> {
    match name {
        "linear_attention" => Some(Mixer::Linear),
        "full_attention" => Some(Mixer::Full),
        _ => None,
    }
}

/// Reads `qwen3_next`, `qwen3_5(_text)` and `qwen3_5_moe(_text)`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let next = model_type == "qwen3_next";
    let moe_family = next || model_type.starts_with("qwen3_5_moe");
    let (hidden, ff, layers, heads, kv_heads, vocab) = if next {
        (2048, 5632, 48, 16, 2, 151_936)
    } else if moe_family {
        (2048, 12288, 40, 16, 2, 248_320)
    } else {
        (4096, 12288, 32, 16, 4, 248_320)
    };
    let n_embd = f.dim_or("hidden_size", hidden)?;
    let n_ff = f.dim_or("intermediate_size", ff)?;
    let n_layer = f.opt_dim("num_hidden_layers")?.unwrap_or(layers);
    if n_layer > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("is {n_layer}, more than {MAX_LAYERS}"),
        ));
    }
    let n_head = f.dim_or("num_attention_heads", heads)?;
    let n_head_kv = f.dim_or("num_key_value_heads", kv_heads)?;
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(invalid(
            "num_key_value_heads",
            format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        ));
    }
    let head_dim = f.dim_or("head_dim", 256)?;
    let n_vocab = f.dim_or("vocab_size", vocab)?;
    let delta = DeltaNet {
        n_k_heads: f.dim_or("linear_num_key_heads", 16)?,
        n_v_heads: f.dim_or("linear_num_value_heads", 32)?,
        head_k: f.dim_or("linear_key_head_dim", 128)?,
        head_v: f.dim_or("linear_value_head_dim", 128)?,
        d_conv: f.dim_or("linear_conv_kernel_dim", 4)?,
    };
    product("linear_key_head_dim", delta.n_k_heads, delta.head_k)?;
    product("linear_value_head_dim", delta.n_v_heads, delta.head_v)?;
    let kinds = match f.kinds("layer_types", n_layer, mixer)? {
        Some(kinds) => kinds,
        None => {
            let every = f.dim_or("full_attention_interval", 4)?;
            (0..n_layer)
                .map(|i| {
                    if (i + 1).is_multiple_of(every) {
                        Mixer::Full
                    } else {
                        Mixer::Linear
                    }
                })
                .collect()
        }
    };
    let n_expert = if moe_family {
        f.opt_count("num_experts")?
            .unwrap_or(if next { 512 } else { 256 })
    } else {
        0
    };
    let moe = if n_expert > 0 {
        let used = f.dim_or("num_experts_per_tok", if next { 10 } else { 8 })?;
        if used > n_expert {
            return Err(invalid(
                "num_experts_per_tok",
                format!("({used}) must not exceed num_experts ({n_expert})"),
            ));
        }
        Some(Moe {
            n_expert,
            n_expert_used: used,
            n_expert_shared: 1,
        })
    } else {
        None
    };
    let moe_ff = f.dim_or("moe_intermediate_size", 512)?;
    let shared_ff = f
        .opt_count("shared_expert_intermediate_size")?
        .unwrap_or(512);
    let sparse_step = f.dim_or("decoder_sparse_step", 1)?;
    let mlp_only = f.indices("mlp_only_layers")?;
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape {
        n_embd,
        n_head,
        n_head_kv,
        head_dim,
        qkv_bias: bias,
        o_bias: bias,
        gated_q: true,
        qk_norm: true,
    };
    let mut out = Vec::with_capacity(n_layer as usize);
    for (i, kind) in kinds.into_iter().enumerate() {
        let i = i as u64;
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (attention, recurrent) = match kind {
            Mixer::Full => (Some(attention(&mut t, &shape)), None),
            Mixer::Linear => (None, Some(gated_deltanet(&mut t, n_embd, &delta))),
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        let sparse = moe.is_some() && !mlp_only.contains(&i) && (i + 1).is_multiple_of(sparse_step);
        match moe {
            Some(m) if sparse => {
                stacked_experts(&mut t, n_embd, moe_ff, m.n_expert);
                if shared_ff > 0 {
                    shared_expert(&mut t, n_embd, shared_ff);
                    t.push(Tensor::matrix(
                        "ffn_gate_inp_shexp.weight",
                        Kind::FfnGateInp,
                        n_embd,
                        1,
                    ));
                }
            }
            _ => mlp(&mut t, n_embd, n_ff, true, false),
        }
        out.push(layer(attention, recurrent, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab,
            n_ctx_train: f.dim_or("max_position_embeddings", 32768)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        out,
    ))
}
