//! Zamba2 (`modeling_zamba2.py`): Mamba2 layers, and hybrid layers that
//! run a shared transformer block before their own Mamba2 mixer.
//!
//! There are `num_mem_blocks` shared blocks, taken round-robin by the
//! hybrid layers in order and counted once, at the first layer that uses
//! each. A block's attention reads the hidden state concatenated with the
//! token embeddings (`2 × hidden_size` wide, heads of `2 × hidden_size /
//! num_attention_heads`) and writes `hidden_size`; its MLP is a gated one
//! of `intermediate_size` (4 × hidden when unset). Every hybrid layer has
//! its own `hidden × hidden` output linear and its own low-rank adapters
//! on the shared MLP's gate/up projection (and on Q, K and V with
//! `use_shared_attention_adapter`). A hybrid layer caches the attention's
//! K/V and its Mamba2 state; a Mamba2 layer only the state.
//!
//! transformers shares the blocks by tying them, and ties nothing when
//! `tie_word_embeddings` is false: every hybrid layer then holds its own
//! copy of its block, with the adapters of every layer that block serves.

use super::hybrid_common::mamba_heads;
use super::recurrent::{mamba2, Mamba2};
use super::*;

/// Zamba2-2.7B's layout, the class default: one Mamba2 layer, seven runs
/// of five Mamba2 layers and a hybrid, then four, a hybrid, three, a
/// hybrid and two (54 layers).
fn default_hybrid() -> Vec<bool> {
    let mut kinds = vec![false];
    for run in [5, 5, 5, 5, 5, 5, 5, 4, 3] {
        kinds.extend(std::iter::repeat_n(false, run));
        kinds.push(true);
    }
    kinds.extend([false; 2]);
    kinds
}

/// Which layers are hybrid: `layers_block_type` (or its alias
/// `layer_types`), whose length is the layer count, else the default.
fn hybrid_layers(f: &Fields) -> Result<Vec<bool>, ConfigError> {
    for field in ["layers_block_type", "layer_types"] {
        let Some(Value::Array(items)) = f.get(field) else {
            continue;
        };
        let field: &'static str = if field == "layer_types" {
            "layer_types"
        } else {
            "layers_block_type"
        };
        let n = items.len() as u64;
        if n > MAX_LAYERS {
            return Err(invalid(
                field,
                format!("lists {n} layers, more than {MAX_LAYERS}"),
            ));
        }
        return Ok(f
            .kinds(field, n, |k| match k {
                "hybrid" => Some(true),
                "mamba" | "linear_attention" => Some(false),
                _ => None,
            })?
            .unwrap_or_default());
    }
    Ok(default_hybrid())
}

/// A low-rank adapter `n_in → rank → n_out` (two bias-free Linears).
fn adapter(t: &mut Vec<Tensor>, name: &str, n_in: u64, rank: u64, n_out: u64) {
    t.push(Tensor::matrix(
        &format!("{name}_a.weight"),
        Kind::Other,
        n_in,
        rank,
    ));
    t.push(Tensor::matrix(
        &format!("{name}_b.weight"),
        Kind::Other,
        rank,
        n_out,
    ));
}

/// Reads `zamba2`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 2560)?;
    let hybrid = hybrid_layers(f)?;
    let n_head = f.dim_or("num_attention_heads", 32)?;
    let n_head_kv = f.dim_or("num_key_value_heads", n_head)?;
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(invalid(
            "num_key_value_heads",
            format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        ));
    }
    // The shared attention reads [hidden, embeddings]: 2 × hidden wide.
    let attn_in = 2 * n_embd;
    let head_dim = floor_head_dim(attn_in, n_head)?;
    let n_ff = f.dim_or("intermediate_size", 4 * n_embd)?;
    let expand = f.number("mamba_expand")?.unwrap_or(2.0);
    let d_inner = (expand * n_embd as f64) as u64;
    if d_inner == 0 || d_inner > MAX_DIM {
        return Err(invalid(
            "mamba_expand",
            format!("({expand}) gives a Mamba width of {d_inner}"),
        ));
    }
    let bias = f.flag("add_bias_linear", false)?;
    let m = Mamba2 {
        d_inner,
        d_state: f.dim_or("mamba_d_state", 64)?,
        d_conv: f.dim_or("mamba_d_conv", 4)?,
        n_heads: mamba_heads(f, "n_mamba_heads", 8, d_inner)?,
        n_groups: f.dim_or("mamba_ngroups", 1)?,
        // The conv is always built with a bias (`use_conv_bias` is unread).
        conv_bias: true,
        in_bias: bias,
        out_bias: bias,
        norm: true,
    };
    let n_blocks = f.dim_or("num_mem_blocks", 1)?;
    let tied = f.flag("tie_word_embeddings", true)?;
    let n_hybrid_layers = hybrid.iter().filter(|&&h| h).count() as u64;
    let rank = f.dim_or("adapter_rank", 128)?;
    let qkv_adapters = f.flag("use_shared_attention_adapter", false)?;
    let (q_dim, kv_dim) = (n_head * head_dim, n_head_kv * head_dim);
    let mut layers = Vec::with_capacity(hybrid.len());
    let mut n_hybrid = 0;
    for is_hybrid in hybrid {
        let mut t = Vec::new();
        let mut attn = None;
        if is_hybrid {
            // The shared block, counted at its first use when tied.
            if n_hybrid < n_blocks || !tied {
                norm(&mut t, "shared.attn_norm", attn_in, false);
                t.push(Tensor::matrix(
                    "shared.attn_q.weight",
                    Kind::AttnQ,
                    attn_in,
                    q_dim,
                ));
                t.push(Tensor::matrix(
                    "shared.attn_k.weight",
                    Kind::AttnK,
                    attn_in,
                    kv_dim,
                ));
                t.push(Tensor::matrix(
                    "shared.attn_v.weight",
                    Kind::AttnV,
                    attn_in,
                    kv_dim,
                ));
                t.push(Tensor::matrix(
                    "shared.attn_output.weight",
                    Kind::AttnOutput,
                    q_dim,
                    n_embd,
                ));
                norm(&mut t, "shared.ffn_norm", n_embd, false);
                mlp(&mut t, n_embd, n_ff, true, bias);
            }
            // This layer's adapters on the shared block (untied: those of
            // every layer its block serves) and its output linear.
            let block = n_hybrid % n_blocks;
            let adapters = if tied {
                1
            } else {
                (n_hybrid_layers - block).div_ceil(n_blocks)
            };
            for _ in 0..adapters {
                if qkv_adapters {
                    for name in ["attn_q_adapter", "attn_k_adapter", "attn_v_adapter"] {
                        adapter(&mut t, name, attn_in, rank, attn_in);
                    }
                }
                adapter(&mut t, "ffn_gate_up_adapter", n_embd, rank, 2 * n_ff);
            }
            t.push(Tensor::matrix(
                "shared_out.weight",
                Kind::Other,
                n_embd,
                n_embd,
            ));
            attn = Some(Attention::heads(n_head, n_head_kv, head_dim));
            n_hybrid += 1;
        }
        norm(&mut t, "attn_norm", n_embd, false);
        let state = mamba2(&mut t, n_embd, &m);
        layers.push(layer(attn, Some(state), t));
    }
    let long = f.flag("use_long_context", false)?;
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 32000)?,
            n_ctx_train: if long {
                16384
            } else {
                f.dim_or("max_position_embeddings", 4096)?
            },
            tied,
            norm_bias: false,
            moe: None,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
