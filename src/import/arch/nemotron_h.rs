//! Nemotron-H (`modeling_nemotron_h.py`): every layer is one norm and one
//! block — Mamba2, attention, a squared-ReLU MLP or routed experts with a
//! shared expert (optionally through a latent projection) — as
//! `layers_block_type` or the older `hybrid_override_pattern` (`M`, `*`,
//! `-`, `E`) lays them out; the pattern's length is the layer count.

use super::hybrid_common::{heads, moe, product};
use super::recurrent::{mamba2, Mamba2};
use super::*;

#[derive(Clone, Copy, PartialEq)]
enum Block {
    Mamba,
    Attention,
    Mlp,
    Moe,
}

fn block(name: &str) -> Option<Block> {
    match name {
        "mamba" | "linear_attention" | "M" => Some(Block::Mamba),
        "attention" | "full_attention" | "*" => Some(Block::Attention),
        "mlp" | "-" => Some(Block::Mlp),
        "moe" | "E" => Some(Block::Moe),
        _ => None,
    }
}

/// The block list: `layers_block_type` / `layer_types`, else the pattern
/// string, else the class default (one of each).
fn blocks(f: &Fields) -> Result<Vec<Block>, ConfigError> {
    for field in ["layers_block_type", "layer_types"] {
        if let Some(Value::Array(items)) = f.get(field) {
            let n = items.len() as u64;
            if n > MAX_LAYERS {
                return Err(invalid(
                    field,
                    format!("lists {n} layers, more than {MAX_LAYERS}"),
                ));
            }
            let field: &'static str = if field == "layer_types" {
                "layer_types"
            } else {
                "layers_block_type"
            };
            return Ok(f.kinds(field, n, block)?.unwrap_or_default());
        }
    }
    if let Some(pattern) = f.string("hybrid_override_pattern")? {
        if pattern.len() as u64 > MAX_LAYERS {
            return Err(invalid(
                "hybrid_override_pattern",
                format!("is longer than {MAX_LAYERS} layers"),
            ));
        }
        return pattern
            .chars()
            .map(|c| {
                block(c.encode_utf8(&mut [0; 4])).ok_or_else(|| {
                    invalid(
                        "hybrid_override_pattern",
                        format!(
                            "has '{c}'; layers are M (Mamba), * (attention), - (MLP), E (experts)"
                        ),
                    )
                })
            })
            .collect();
    }
    Ok(vec![Block::Mamba, Block::Moe, Block::Attention, Block::Mlp])
}

/// The block list, which must name at least one layer.
fn some_blocks(f: &Fields) -> Result<Vec<Block>, ConfigError> {
    let blocks = blocks(f)?;
    if blocks.is_empty() {
        return Err(invalid("layers_block_type", "lists no layers".into()));
    }
    Ok(blocks)
}

/// A squared-ReLU MLP: `up` and `down` only.
fn plain_mlp(t: &mut Vec<Tensor>, suffix: &str, n_embd: u64, n_ff: u64, bias: bool) {
    t.push(Tensor::matrix(
        &format!("ffn_up{suffix}.weight"),
        Kind::FfnUp,
        n_embd,
        n_ff,
    ));
    t.push(Tensor::matrix(
        &format!("ffn_down{suffix}.weight"),
        Kind::FfnDown,
        n_ff,
        n_embd,
    ));
    if bias {
        t.push(Tensor::vector(&format!("ffn_up{suffix}.bias"), n_ff));
        t.push(Tensor::vector(&format!("ffn_down{suffix}.bias"), n_embd));
    }
}

/// Reads `nemotron_h`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 4096)?;
    let blocks = some_blocks(f)?;
    let (n_head, n_head_kv) = heads(f, 32, 8)?;
    let head_dim = f.dim_or("head_dim", 128)?;
    let n_ff = f.dim_or("intermediate_size", 21504)?;
    let mlp_bias = f.flag("mlp_bias", false)?;
    let moe_ff = f.dim_or("moe_intermediate_size", 7688)?;
    let shared_ff = f
        .opt_count("moe_shared_expert_intermediate_size")?
        .unwrap_or(7688);
    let latent = f.opt_dim("moe_latent_size")?;
    let moe = if blocks.contains(&Block::Moe) {
        moe(f, "n_routed_experts", 8, 2, u64::from(shared_ff > 0))?
    } else {
        None
    };
    let n_heads = f.dim_or("mamba_num_heads", 128)?;
    let use_bias = f.flag("use_bias", false)?;
    let m = Mamba2 {
        d_inner: product("mamba_head_dim", n_heads, f.dim_or("mamba_head_dim", 64)?)?,
        d_state: f.dim_or("ssm_state_size", 128)?,
        d_conv: f.dim_or("conv_kernel", 4)?,
        n_heads,
        n_groups: f.dim_or("n_groups", 8)?,
        conv_bias: f.flag("use_conv_bias", true)?,
        in_bias: use_bias,
        out_bias: use_bias,
        norm: true,
    };
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(n_embd, n_head, n_head_kv, head_dim, bias);
    let mut layers = Vec::with_capacity(blocks.len());
    for b in blocks {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (mut attn, mut state) = (None, None);
        match b {
            Block::Mamba => state = Some(mamba2(&mut t, n_embd, &m)),
            Block::Attention => attn = Some(attention(&mut t, &shape)),
            Block::Mlp => plain_mlp(&mut t, "", n_embd, n_ff, mlp_bias),
            Block::Moe => {
                let n_expert = moe.map_or(0, |m| m.n_expert);
                let width = latent.unwrap_or(n_embd);
                router(&mut t, n_embd, n_expert);
                t.push(Tensor::experts(
                    "ffn_up_exps.weight",
                    Kind::FfnUp,
                    width,
                    moe_ff,
                    n_expert,
                ));
                t.push(Tensor::experts(
                    "ffn_down_exps.weight",
                    Kind::FfnDown,
                    moe_ff,
                    width,
                    n_expert,
                ));
                if shared_ff > 0 {
                    plain_mlp(&mut t, "_shexp", n_embd, shared_ff, mlp_bias);
                }
                if let Some(l) = latent {
                    t.push(Tensor::matrix(
                        "ffn_latent_in.weight",
                        Kind::Other,
                        n_embd,
                        l,
                    ));
                    t.push(Tensor::matrix(
                        "ffn_latent_out.weight",
                        Kind::Other,
                        l,
                        n_embd,
                    ));
                    if mlp_bias {
                        t.push(Tensor::vector("ffn_latent_in.bias", l));
                        t.push(Tensor::vector("ffn_latent_out.bias", n_embd));
                    }
                }
            }
        }
        layers.push(layer(attn, state, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 131_072)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 4096)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
