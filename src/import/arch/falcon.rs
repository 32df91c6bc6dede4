//! TII Falcon: `falcon`, following transformers' `modeling_falcon.py`.
//!
//! Q/K/V are one fused `query_key_value` projection whose width depends on
//! the layout: the new decoder architecture (Falcon-40B/180B,
//! `new_decoder_architecture`) has `num_kv_heads` K/V heads; the original
//! one has a single K/V head when `multi_query` (Falcon-7B) and as many as
//! query heads otherwise. Heads are `hidden_size / num_attention_heads`
//! wide. With `parallel_attn` attention and the MLP read the same input,
//! normed by one LayerNorm, or by two (`ln_attn`, `ln_mlp`) when
//! `num_ln_in_parallel_attn` is 2 — the new architecture's default;
//! sequential blocks have an input and a post-attention LayerNorm. Every
//! linear is biased when `bias`; the MLP is `ffn_hidden_size` (default
//! `4 × hidden_size`) wide; the lm_head is tied by default.

use super::*;

/// FalconConfig defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 65024,
    hidden_size: 4544,
    intermediate_size: 4 * 4544,
    num_hidden_layers: 32,
    num_attention_heads: 71,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: true,
};

/// Reads a Falcon decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    // `n_embed` is FalconConfig's older spelling of hidden_size.
    let n_embd = match f.opt_dim("n_embed")? {
        Some(n) => n,
        None => f.dim_or("hidden_size", DEFAULTS.hidden_size)?,
    };
    let n_layer = f.layers_or("num_hidden_layers", DEFAULTS.num_hidden_layers)?;
    let n_head = f.dim_or("num_attention_heads", DEFAULTS.num_attention_heads)?;
    let n_vocab = f.dim_or("vocab_size", DEFAULTS.vocab_size)?;
    let n_ff = f.dim_or("ffn_hidden_size", 4 * n_embd)?;
    let head_dim = derived_head_dim(n_embd, n_head)?;
    let new_arch = f.flag("new_decoder_architecture", false)?;
    let multi_query = f.flag("multi_query", true)?;
    let parallel_attn = f.flag("parallel_attn", true)?;
    let bias = f.flag("bias", false)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let n_head_kv = if new_arch {
        let kv = f.dim_or("num_kv_heads", n_head)?;
        if !n_head.is_multiple_of(kv) {
            return Err(invalid(
                "num_kv_heads",
                format!("({kv}) must divide num_attention_heads ({n_head})"),
            ));
        }
        kv
    } else if multi_query {
        1
    } else {
        n_head
    };
    let n_ln = match f.opt_dim("num_ln_in_parallel_attn")? {
        Some(n) => n,
        None if new_arch => 2,
        None => 1,
    };
    let d = DecoderDims {
        n_embd,
        n_ff,
        n_layer,
        n_head,
        n_head_kv,
        head_dim,
        n_vocab,
    };

    let qkv = (n_head + 2 * n_head_kv) * head_dim;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for _ in 0..n_layer {
        let mut t = Vec::new();
        layer_norm(&mut t, "attn_norm", n_embd);
        if parallel_attn && n_ln == 2 {
            layer_norm(&mut t, "attn_norm_2", n_embd);
        }
        t.push(Tensor::matrix(
            "attn_qkv.weight",
            Kind::AttnQkv,
            n_embd,
            qkv,
        ));
        t.push(Tensor::matrix(
            "attn_output.weight",
            Kind::AttnOutput,
            n_embd,
            n_embd,
        ));
        if bias {
            t.push(Tensor::vector("attn_qkv.bias", qkv));
            t.push(Tensor::vector("attn_output.bias", n_embd));
        }
        if !parallel_attn {
            layer_norm(&mut t, "ffn_norm", n_embd);
        }
        mlp(&mut t, n_embd, n_ff, false, bias);
        let attention = Attention::heads(n_head, n_head_kv, head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        decoder_globals(&d, tied, true),
        layers,
    ))
}
