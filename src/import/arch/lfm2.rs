//! LFM2 and LFM2-MoE (`modeling_lfm2.py`, `modeling_lfm2_moe.py`): gated
//! short-convolution layers and attention layers (with Q/K norms) as
//! `layer_types` or `full_attn_idxs` say, each followed by a SwiGLU MLP
//! (LFM2 shrinks it to `2/3 × intermediate_size`, rounded up to
//! `block_multiple_of`) or, after `num_dense_layers`, routed experts.

use super::hybrid_common::{head_dim, heads, moe, n_layer};
use super::recurrent::short_conv;
use super::*;

#[derive(Clone, Copy, PartialEq)]
enum Mixer {
    Conv,
    Attention,
}

fn mixer(name: &str) -> Option<Mixer> {
    match name {
        "conv" => Some(Mixer::Conv),
        "full_attention" | "attention" => Some(Mixer::Attention),
        _ => None,
    }
}

/// LFM2's feed-forward width (`Lfm2MLP`): `2/3 ×` intermediate, times
/// the multiplier, rounded up to a multiple.
fn lfm2_ff(f: &Fields, n_ff: u64) -> Result<u64, ConfigError> {
    if !f.flag("block_auto_adjust_ff_dim", true)? {
        return Ok(n_ff);
    }
    let mut ff = 2 * n_ff / 3;
    if let Some(mult) = f.number("block_ffn_dim_multiplier")? {
        ff = (mult * ff as f64) as u64;
    }
    let multiple = f.dim_or("block_multiple_of", 256)?;
    Ok(ff.div_ceil(multiple) * multiple)
}

/// Reads `lfm2` and `lfm2_moe`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let is_moe = model_type == "lfm2_moe";
    let n_embd = f.dim_or("hidden_size", if is_moe { 2048 } else { 2560 })?;
    // LFM2's published configs call it `block_ff_dim`.
    let n_ff = match f.opt_dim("block_ff_dim")? {
        Some(n) => n,
        None => f.dim_or("intermediate_size", if is_moe { 7168 } else { 12288 })?,
    };
    let n_layer = n_layer(f, 32)?;
    let (n_head, n_head_kv) = heads(f, 32, 8)?;
    let head_dim = head_dim(f, n_embd, n_head)?;
    let kinds = match f.kinds("layer_types", n_layer, mixer)? {
        Some(k) => k,
        None => {
            let full = match f.get("full_attn_idxs") {
                Some(_) => f.indices("full_attn_idxs")?,
                None => (0..n_layer).collect(),
            };
            (0..n_layer)
                .map(|i| {
                    if full.contains(&i) {
                        Mixer::Attention
                    } else {
                        Mixer::Conv
                    }
                })
                .collect()
        }
    };
    let (moe, dense_ff, first_sparse) = if is_moe {
        (
            moe(f, "num_experts", 32, 4, 0)?,
            n_ff,
            f.opt_count("num_dense_layers")?.unwrap_or(2),
        )
    } else {
        (None, lfm2_ff(f, n_ff)?, u64::MAX)
    };
    let moe_ff = f.dim_or("moe_intermediate_size", 1792)?;
    let l_cache = f.dim_or("conv_L_cache", 3)?;
    let conv_bias = f.flag("conv_bias", false)?;
    let shape = AttnShape {
        n_embd,
        n_head,
        n_head_kv,
        head_dim,
        qkv_bias: false,
        o_bias: false,
        gated_q: false,
        qk_norm: true,
    };
    let mut layers = Vec::with_capacity(n_layer as usize);
    for (i, kind) in kinds.into_iter().enumerate() {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (attn, state) = match kind {
            Mixer::Attention => (Some(attention(&mut t, &shape)), None),
            Mixer::Conv => (None, Some(short_conv(&mut t, n_embd, l_cache, conv_bias))),
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        match moe {
            Some(m) if i as u64 >= first_sparse => {
                stacked_experts(&mut t, n_embd, moe_ff, m.n_expert)
            }
            _ => mlp(&mut t, n_embd, dense_ff, true, false),
        }
        layers.push(layer(attn, state, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 65536)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 128_000)?,
            tied: f.flag("tie_word_embeddings", true)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
