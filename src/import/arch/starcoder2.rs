//! BigCode StarCoder2: `starcoder2`, following transformers'
//! `modeling_starcoder2.py`. Pre-norm blocks with LayerNorms (with bias),
//! grouped-query attention and a dense GELU MLP (`c_fc`, `c_proj`); every
//! linear is biased when `use_bias` (default true). A `sliding_window`, when
//! set, masks every layer; the lm_head is tied by default.

use super::*;

/// Starcoder2Config defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 49152,
    hidden_size: 3072,
    intermediate_size: 12288,
    num_hidden_layers: 30,
    num_attention_heads: 24,
    num_key_value_heads: Some(2),
    head_dim: None,
    max_position_embeddings: 4096,
    tie_word_embeddings: true,
};

/// Reads a StarCoder2 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let bias = f.flag("use_bias", true)?;
    let window = f.opt_dim("sliding_window")?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = Vec::new();
        layer_norm(&mut t, "attn_norm", d.n_embd);
        attention_projections(&mut t, &d, bias, bias);
        layer_norm(&mut t, "ffn_norm", d.n_embd);
        mlp(&mut t, d.n_embd, d.n_ff, false, bias);
        let attention = sliding(
            Attention::heads(d.n_head, d.n_head_kv, d.head_dim),
            window,
            true,
        );
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
