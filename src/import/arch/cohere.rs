//! Cohere Command-R: `cohere` and `cohere2`, following transformers'
//! `modeling_cohere.py` and `modeling_cohere2.py`. One bias-free LayerNorm
//! per layer feeds attention and the gated MLP in parallel; the lm_head is
//! tied by default. Cohere may norm Q and K per head (`use_qk_norm`);
//! Cohere 2 has no Q/K norms and alternates sliding and global layers
//! (`layer_types`, or the older `sliding_window_pattern`: every 4th layer
//! global). Both take `head_dim` when the config gives it, else
//! `hidden_size / num_attention_heads`.

use super::*;

/// CohereConfig / Cohere2Config defaults (the same sizes for both).
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 256000,
    hidden_size: 8192,
    intermediate_size: 22528,
    num_hidden_layers: 40,
    num_attention_heads: 64,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 8192,
    tie_word_embeddings: true,
};

/// Reads a Cohere or Cohere 2 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let cohere2 = model_type == "cohere2";
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let qk_norm = !cohere2 && f.flag("use_qk_norm", false)?;
    let (window, sliding_layers) = if cohere2 {
        let window = if f.0.contains_key("sliding_window") {
            f.opt_dim("sliding_window")?
        } else {
            Some(4096)
        };
        let pattern = match f.layer_types(d.n_layer)? {
            Some(types) => types,
            None => {
                let every = f.dim_or("sliding_window_pattern", 4)?;
                (0..d.n_layer)
                    .map(|i| !(i + 1).is_multiple_of(every))
                    .collect()
            }
        };
        (window, pattern)
    } else {
        (None, vec![false; d.n_layer as usize])
    };

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for &is_sliding in &sliding_layers {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        if qk_norm {
            // LayerNorm weights of shape (heads, head_dim), no bias.
            t.push(Tensor::vector("attn_q_norm.weight", d.n_head * d.head_dim));
            t.push(Tensor::vector(
                "attn_k_norm.weight",
                d.n_head_kv * d.head_dim,
            ));
        }
        mlp(&mut t, d.n_embd, d.n_ff, true, false);
        let attention = sliding(
            Attention::heads(d.n_head, d.n_head_kv, d.head_dim),
            window,
            is_sliding,
        );
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    let mut spec = decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        None,
        decoder_globals(&d, tied, false),
        layers,
    );
    // llama.cpp builds Cohere 2 with an iSWA cache.
    spec.llama_cpp_swa = cohere2;
    Ok(spec)
}
