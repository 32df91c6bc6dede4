//! Falcon-H1 (`modeling_falcon_h1.py`): every layer runs attention and a
//! Mamba2 mixer side by side on the same input, then a gated MLP — so
//! every layer holds both a KV cache and a recurrent state.

use super::hybrid_common::{head_dim, heads, n_layer, prefixed_mamba2, product};
use super::recurrent::{mamba2, Mamba2};
use super::*;

/// Reads `falcon_h1`.
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
    let d_inner = match f.opt_dim("mamba_d_ssm")? {
        Some(d) => d,
        None if f.get("mamba_d_ssm").is_none() && f.0.contains_key("mamba_d_ssm") => {
            product("mamba_expand", f.dim_or("mamba_expand", 2)?, n_embd)?
        }
        None => 1024,
    };
    // Falcon-H1's out_proj bias and gated norm have their own switches.
    let m = Mamba2 {
        out_bias: f.flag("projectors_bias", false)?,
        norm: f.flag("mamba_rms_norm", false)?,
        ..prefixed_mamba2(f, d_inner)?
    };
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, bias);
    let mlp_bias = f.flag("mlp_bias", false)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for _ in 0..n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let attn = attention(&mut t, &shape);
        let state = mamba2(&mut t, n_embd, &m);
        norm(&mut t, "ffn_norm", n_embd, false);
        mlp(&mut t, n_embd, n_ff, true, mlp_bias);
        layers.push(layer(Some(attn), Some(state), t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 128_000)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 8192)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: None,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
