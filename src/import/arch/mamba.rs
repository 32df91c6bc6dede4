//! Pure state-space models: Mamba and Falcon-Mamba (`modeling_mamba.py`,
//! `modeling_falcon_mamba.py`) and Mamba2 (`modeling_mamba2.py`). Every
//! layer is a norm and one mixer; nothing is cached per token.

use super::hybrid_common::product;
use super::recurrent::{mamba, mamba2, Mamba, Mamba2};
use super::*;

/// Reads `mamba`, `falcon_mamba` and `mamba2`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let v2 = model_type == "mamba2";
    let n_embd = f.dim_or("hidden_size", if v2 { 4096 } else { 768 })?;
    let n_layer = f
        .opt_dim("num_hidden_layers")?
        .unwrap_or(if v2 { 64 } else { 32 });
    if n_layer > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("is {n_layer}, more than {MAX_LAYERS}"),
        ));
    }
    let n_vocab = f.dim_or("vocab_size", if v2 { 32768 } else { 50280 })?;
    let d_state = f.dim_or("state_size", if v2 { 128 } else { 16 })?;
    let d_conv = f.dim_or("conv_kernel", 4)?;
    let expand = f.dim_or("expand", 2)?;
    let conv_bias = f.flag("use_conv_bias", true)?;
    let proj_bias = f.flag("use_bias", false)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for _ in 0..n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let state = if v2 {
            let n_heads = f.dim_or("num_heads", 128)?;
            mamba2(
                &mut t,
                n_embd,
                &Mamba2 {
                    d_inner: product("expand", expand, n_embd)?,
                    d_state,
                    d_conv,
                    n_heads,
                    n_groups: f.dim_or("n_groups", 8)?,
                    conv_bias,
                    in_bias: proj_bias,
                    out_bias: proj_bias,
                    norm: true,
                },
            )
        } else {
            // MambaConfig sets intermediate_size to expand × hidden_size;
            // FalconMambaConfig keeps the one it is given.
            let d_inner = if model_type == "falcon_mamba" {
                f.dim_or("intermediate_size", product("expand", expand, n_embd)?)?
            } else {
                product("expand", expand, n_embd)?
            };
            mamba(
                &mut t,
                n_embd,
                &Mamba {
                    d_inner,
                    d_state,
                    d_conv,
                    dt_rank: f.dim_or_auto("time_step_rank", n_embd.div_ceil(16))?,
                    conv_bias,
                    proj_bias,
                    dt_bc_norms: false,
                },
            )
        };
        layers.push(layer(None, Some(state), t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab,
            // No positions: the context is not limited by the architecture.
            n_ctx_train: f.dim_or("max_position_embeddings", 1 << 20)?,
            tied: f.flag("tie_word_embeddings", !v2)?,
            norm_bias: false,
            moe: None,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
