//! ByteDance Seed-OSS: `seed_oss`, following transformers'
//! `modeling_seed_oss.py`. A Llama-shaped decoder whose Q/K/V carry biases
//! by default (`attention_bias`) while the output projection has its own
//! switch (`attention_out_bias`, default off); `head_dim` defaults to 128
//! rather than `hidden_size / num_attention_heads`.

use super::*;

/// SeedOssConfig defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 155136,
    hidden_size: 4096,
    intermediate_size: 27648,
    num_hidden_layers: 64,
    num_attention_heads: 80,
    num_key_value_heads: Some(8),
    head_dim: Some(128),
    max_position_embeddings: 524288,
    tie_word_embeddings: false,
};

/// Reads a Seed-OSS decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let qkv_bias = f.flag("attention_bias", true)?;
    let o_bias = f.flag("attention_out_bias", false)?;
    let mlp_bias = f.flag("mlp_bias", false)?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, qkv_bias, o_bias);
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        mlp(&mut t, d.n_embd, d.n_ff, true, mlp_bias);
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        decoder_globals(&d, tied, false),
        layers,
    ))
}
