//! EleutherAI GPT-NeoX / Pythia: `gpt_neox`, following transformers'
//! `modeling_gpt_neox.py`. Every layer has two LayerNorms (with bias)
//! whether attention and MLP run in parallel (`use_parallel_residual`) or
//! not; Q/K/V are one fused `query_key_value` projection of `3 ×
//! hidden_size`, biased with the output `dense` when `attention_bias`
//! (default true); the GELU MLP is always biased. Heads are always
//! `hidden_size / num_attention_heads` wide, with as many K/V heads as
//! query heads. Partial rotary embeddings change no shapes.

use super::*;

/// GPTNeoXConfig defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 50432,
    hidden_size: 6144,
    intermediate_size: 24576,
    num_hidden_layers: 44,
    num_attention_heads: 64,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads a GPT-NeoX decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let mut d = class_dims(f, &DEFAULTS)?;
    // GPTNeoXAttention knows neither head_dim nor grouped K/V heads.
    d.head_dim = floor_head_dim(d.n_embd, d.n_head)?;
    d.n_head_kv = d.n_head;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", true)?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = Vec::new();
        layer_norm(&mut t, "attn_norm", d.n_embd);
        t.push(Tensor::matrix(
            "attn_qkv.weight",
            Kind::AttnQkv,
            d.n_embd,
            3 * d.n_embd,
        ));
        t.push(Tensor::matrix(
            "attn_output.weight",
            Kind::AttnOutput,
            d.n_embd,
            d.n_embd,
        ));
        if attention_bias {
            t.push(Tensor::vector("attn_qkv.bias", 3 * d.n_embd));
            t.push(Tensor::vector("attn_output.bias", d.n_embd));
        }
        layer_norm(&mut t, "ffn_norm", d.n_embd);
        mlp(&mut t, d.n_embd, d.n_ff, false, true);
        let attention = Attention::heads(d.n_head, d.n_head, d.head_dim);
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
