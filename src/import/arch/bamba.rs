//! Bamba (`modeling_bamba.py`): Mamba2 layers with full attention at
//! `attn_layer_indices`, a gated MLP in every layer.

use super::hybrid_common::{head_dim, heads, n_layer, prefixed_mamba2, product};
use super::recurrent::mamba2;
use super::*;

/// Reads `bamba`.
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
    let attn = f.indices("attn_layer_indices")?;
    let d_inner = product("mamba_expand", f.dim_or("mamba_expand", 2)?, n_embd)?;
    let m = prefixed_mamba2(f, d_inner)?;
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, bias);
    let mlp_bias = f.flag("mlp_bias", false)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (attention, recurrent) = if attn.contains(&i) {
            (Some(attention(&mut t, &shape)), None)
        } else {
            (None, Some(mamba2(&mut t, n_embd, &m)))
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        mlp(&mut t, n_embd, n_ff, true, mlp_bias);
        layers.push(layer(attention, recurrent, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 128_000)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 262_144)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: None,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
