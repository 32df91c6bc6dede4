//! Granite 4 (`modeling_granitemoehybrid.py`): Mamba2 and attention layers
//! as `layer_types` lists them (all Mamba by default), each followed by
//! routed experts (when `num_local_experts > 0`) and a shared MLP whose
//! gate and up projections are one `input_linear`.

use super::hybrid_common::{head_dim, heads, moe, n_layer, prefixed_mamba2, product};
use super::recurrent::mamba2;
use super::*;

#[derive(Clone, Copy)]
enum Mixer {
    Mamba,
    Attention,
}

fn mixer(name: &str) -> Option<Mixer> {
    match name {
        "mamba" | "linear_attention" => Some(Mixer::Mamba),
        "attention" | "full_attention" => Some(Mixer::Attention),
        _ => None,
    }
}

/// Reads `granitemoehybrid`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 4096)?;
    let n_ff = f.dim_or("intermediate_size", 11008)?;
    let n_layer = n_layer(f, 32)?;
    let (n_head, n_head_kv) = heads(f, 32, u64::MAX)?;
    let head_dim = head_dim(f, n_embd, n_head)?;
    let kinds = match f.kinds("layer_types", n_layer, mixer)? {
        Some(k) => k,
        None => f
            .kinds("layers_block_type", n_layer, mixer)?
            .unwrap_or_else(|| vec![Mixer::Mamba; n_layer as usize]),
    };
    let shared_ff = f.opt_count("shared_intermediate_size")?.unwrap_or(1024);
    let moe = moe(f, "num_local_experts", 8, 2, u64::from(shared_ff > 0))?;
    let d_inner = product("mamba_expand", f.dim_or("mamba_expand", 2)?, n_embd)?;
    let m = prefixed_mamba2(f, d_inner)?;
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, bias);
    let mut layers = Vec::with_capacity(n_layer as usize);
    for kind in kinds {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (attention, recurrent) = match kind {
            Mixer::Attention => (Some(attention(&mut t, &shape)), None),
            Mixer::Mamba => (None, Some(mamba2(&mut t, n_embd, &m))),
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        if let Some(moe) = moe {
            stacked_experts(&mut t, n_embd, n_ff, moe.n_expert);
        }
        if shared_ff > 0 {
            shared_expert(&mut t, n_embd, shared_ff);
        }
        layers.push(layer(attention, recurrent, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 32000)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 2048)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
