//! MiniMax-Text-01 and MiniMax-M1 (`modeling_minimax.py`): lightning
//! (linear) attention layers and softmax attention layers, as
//! `layer_types` lists them — or the original checkpoints' `attn_type_list`
//! (1 for softmax attention, 0 for lightning); transformers' default
//! alternates, softmax on even layers — each followed by routed experts
//! of `intermediate_size`.
//!
//! A lightning layer projects Q, K and V in one `qkv_proj`, gates its
//! output (`output_gate`) after a norm over all heads, and keeps a
//! `head_dim × head_dim` state per head, which transformers holds in the
//! model's dtype (`MiniMaxCache.linear_cache`), not in fp32. Softmax layers
//! cache K/V for every token: the config's `sliding_window` only masks.

use super::*;
use crate::estimate::model::{RecurrentKind, StateDtype};

/// Lightning attention over `n_head` heads of `head_dim`: the fused QKV
/// projection, the output gate, the norm, `out_proj`.
fn lightning(t: &mut Vec<Tensor>, n_embd: u64, n_head: u64, head_dim: u64) -> Recurrent {
    let dim = n_head * head_dim;
    t.push(Tensor::matrix(
        "attn_qkv.weight",
        Kind::AttnQkv,
        n_embd,
        3 * dim,
    ));
    t.push(Tensor::matrix("attn_gate.weight", Kind::Other, n_embd, dim));
    norm(t, "attn_sub_norm", dim, false);
    t.push(Tensor::matrix(
        "attn_output.weight",
        Kind::AttnOutput,
        dim,
        n_embd,
    ));
    Recurrent {
        kind: RecurrentKind::LinearAttention,
        conv_channels: 0,
        conv_kernel: 0,
        state: n_head * head_dim * head_dim,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::Model,
    }
}

/// Which layers are softmax attention: `layer_types`, else
/// `attn_type_list`, else every even layer.
fn full_layers(f: &Fields, n_layer: u64) -> Result<Vec<bool>, ConfigError> {
    if let Some(kinds) = f.kinds("layer_types", n_layer, |k| match k {
        "full_attention" => Some(true),
        "linear_attention" => Some(false),
        _ => None,
    })? {
        return Ok(kinds);
    }
    if f.get("attn_type_list").is_some() {
        let types = f.indices("attn_type_list")?;
        if types.len() as u64 != n_layer || types.iter().any(|&t| t > 1) {
            return Err(invalid(
                "attn_type_list",
                format!(
                    "must list 0 (lightning) or 1 (softmax attention) for each of the {n_layer} layers"
                ),
            ));
        }
        return Ok(types.into_iter().map(|t| t == 1).collect());
    }
    Ok((0..n_layer).map(|i| i % 2 == 0).collect())
}

/// Reads `minimax`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(
        f,
        &ClassDefaults {
            vocab_size: 32000,
            hidden_size: 4096,
            intermediate_size: 14336,
            num_hidden_layers: 32,
            num_attention_heads: 32,
            num_key_value_heads: Some(8),
            head_dim: None,
            max_position_embeddings: 131_072,
            tie_word_embeddings: false,
        },
    )?;
    let full = full_layers(f, d.n_layer)?;
    let m = routed_experts(
        f,
        &["num_local_experts", "num_experts"],
        Some(8),
        &["num_experts_per_tok"],
        Some(2),
    )?;
    let shape = AttnShape::gqa(d.n_embd, d.n_head, d.n_head_kv, d.head_dim, false);
    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for is_full in full {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", d.n_embd, false);
        let (attn, state) = if is_full {
            (Some(attention(&mut t, &shape)), None)
        } else {
            let state = lightning(&mut t, d.n_embd, d.n_head, d.head_dim);
            (None, Some(state))
        };
        norm(&mut t, "ffn_norm", d.n_embd, false);
        stacked_experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
        layers.push(layer(attn, state, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd: d.n_embd,
            n_vocab: d.n_vocab,
            n_ctx_train: f.dim_or("max_position_embeddings", 131_072)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: Some(Moe {
                n_expert: m.n_expert,
                n_expert_used: m.n_expert_used,
                n_expert_shared: 0,
            }),
            llama_cpp_swa: false,
        },
        layers,
    ))
}
