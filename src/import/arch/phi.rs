//! Microsoft Phi-1/1.5/2: `phi`, following transformers' `modeling_phi.py`.
//! One LayerNorm (with bias) per layer feeds attention and a dense GELU MLP
//! in parallel; Q/K/V and the output `dense` all carry biases, as do
//! `fc1`/`fc2`, the final LayerNorm and the lm_head (whose bias stays when
//! its weight is tied). Optional per-head Q/K LayerNorms
//! (`qk_layernorm`) span `hidden_size / heads`, whatever `head_dim` says.
//! Partial rotary embeddings change no shapes.

use super::*;

/// PhiConfig defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 51200,
    hidden_size: 2048,
    intermediate_size: 8192,
    num_hidden_layers: 24,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads a Phi (phi-2 style) decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let qk_layernorm = f.flag("qk_layernorm", false)?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = Vec::new();
        layer_norm(&mut t, "attn_norm", d.n_embd);
        attention_projections(&mut t, &d, true, true);
        if qk_layernorm {
            let per_head = d.n_embd / d.n_head;
            layer_norm(&mut t, "attn_q_norm", per_head);
            layer_norm(&mut t, "attn_k_norm", per_head);
        }
        mlp(&mut t, d.n_embd, d.n_ff, false, true);
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let mut globals = decoder_globals(&d, tied, true);
    globals.push(Tensor::vector("output.bias", d.n_vocab));
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        globals,
        layers,
    ))
}
