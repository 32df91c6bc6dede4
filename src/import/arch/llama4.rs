//! Llama 4's text model (`modeling_llama4.py`, `Llama4ForCausalLM`):
//! RoPE layers attend within `attention_chunk_size`-token chunks, every
//! `no_rope_layer_interval`-th layer is a global NoPE layer; `moe_layers`
//! (every `interleave_moe_layer_step`-th) hold routed experts plus a
//! shared expert, the others a wider dense MLP (`intermediate_size_mlp`).

use super::hybrid_common::{heads, moe, n_layer};
use super::*;
use crate::estimate::model::Window;

#[derive(Clone, Copy, PartialEq)]
enum Kind4 {
    Chunked,
    Full,
}

fn kind(name: &str) -> Option<Kind4> {
    match name {
        "chunked_attention" => Some(Kind4::Chunked),
        "full_attention" => Some(Kind4::Full),
        _ => None,
    }
}

/// Reads `llama4_text` (and a `llama4` config's `text_config`).
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 5120)?;
    let n_layer = n_layer(f, 48)?;
    let (n_head, n_head_kv) = heads(f, 40, 8)?;
    let head_dim = f.dim_or("head_dim", 128)?;
    let n_ff = f.dim_or("intermediate_size", 8192)?;
    let n_ff_mlp = f.dim_or("intermediate_size_mlp", 16384)?;
    let chunk = match f.get("attention_chunk_size") {
        None if f.0.contains_key("attention_chunk_size") => None,
        _ => Some(f.dim_or("attention_chunk_size", 8192)?),
    };
    let kinds = match f.kinds("layer_types", n_layer, kind)? {
        Some(k) => k,
        None => {
            let every = f.dim_or("no_rope_layer_interval", 4)?;
            let rope: Vec<bool> = match f.get("no_rope_layers") {
                Some(Value::Array(items)) if !items.is_empty() => {
                    if items.len() as u64 != n_layer {
                        return Err(invalid(
                            "no_rope_layers",
                            format!("lists {} layers but the model has {n_layer}", items.len()),
                        ));
                    }
                    items.iter().map(|v| v.as_u64() != Some(0)).collect()
                }
                _ => (0..n_layer)
                    .map(|i| !(i + 1).is_multiple_of(every))
                    .collect(),
            };
            rope.into_iter()
                .map(|r| {
                    if r && chunk.is_some() {
                        Kind4::Chunked
                    } else {
                        Kind4::Full
                    }
                })
                .collect()
        }
    };
    let moe_layers = match f.get("moe_layers") {
        Some(_) => f.indices("moe_layers")?,
        None => {
            let step = f.dim_or("interleave_moe_layer_step", 1)?;
            (step - 1..n_layer).step_by(step as usize).collect()
        }
    };
    let moe = moe(f, "num_local_experts", 16, 1, 1)?;
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, bias);
    let mut layers = Vec::with_capacity(n_layer as usize);
    for (i, k) in kinds.into_iter().enumerate() {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let mut attn = attention(&mut t, &shape);
        if let (Kind4::Chunked, Some(c)) = (k, chunk) {
            attn.window = Window::Chunked(c);
        }
        norm(&mut t, "ffn_norm", n_embd, false);
        match moe {
            Some(m) if moe_layers.contains(&(i as u64)) => {
                stacked_experts(&mut t, n_embd, n_ff, m.n_expert);
                shared_expert(&mut t, n_embd, n_ff);
            }
            _ => mlp(&mut t, n_embd, n_ff_mlp, true, false),
        }
        layers.push(layer(Some(attn), None, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 202_048)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 131_072)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            // llama.cpp builds Llama 4 with a chunked iSWA cache.
            llama_cpp_swa: true,
        },
        layers,
    ))
}
