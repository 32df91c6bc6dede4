//! LG EXAONE 4.0: `exaone4`, following transformers' `modeling_exaone4.py`.
//! Like OLMo 2 there are no pre-norms — each block norms the outputs of
//! attention and of the gated MLP — but Q and K are normed per head
//! (`head_dim` weights). Sliding layers come from `layer_types`, or from
//! `sliding_window_pattern`: an integer `n` makes every `n`-th layer global
//! (default 4), a string such as `"LLLG"` repeats `L` (local) and `G`
//! (global) with the last layer global; without a `sliding_window` every
//! layer is global. llama.cpp keeps only the window for the local layers.

use super::*;

/// Exaone4Config defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 102400,
    hidden_size: 4096,
    intermediate_size: 16384,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads an EXAONE 4.0 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let window = if f.0.contains_key("sliding_window") {
        f.opt_dim("sliding_window")?
    } else {
        Some(4096)
    };
    let sliding_layers = sliding_layers(f, d.n_layer, window.is_some())?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for &is_sliding in &sliding_layers {
        let mut t = Vec::new();
        attention_projections(&mut t, &d, false, false);
        t.push(Tensor::vector("attn_q_norm.weight", d.head_dim));
        t.push(Tensor::vector("attn_k_norm.weight", d.head_dim));
        t.push(Tensor::vector("post_attention_norm.weight", d.n_embd));
        mlp(&mut t, d.n_embd, d.n_ff, true, false);
        t.push(Tensor::vector("post_ffw_norm.weight", d.n_embd));
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
    spec.llama_cpp_swa = spec
        .layers
        .iter()
        .any(|l| l.attention.is_some_and(|a| a.window_len().is_some()));
    Ok(spec)
}

/// Which layers are local.
fn sliding_layers(f: &Fields, n_layer: u64, has_window: bool) -> Result<Vec<bool>, ConfigError> {
    if let Some(types) = f.layer_types(n_layer)? {
        return Ok(types);
    }
    if !has_window {
        return Ok(vec![false; n_layer as usize]);
    }
    const FIELD: &str = "sliding_window_pattern";
    match f.get(FIELD) {
        Some(Value::String(pattern)) => {
            let kinds: Vec<char> = pattern.chars().collect();
            if kinds.is_empty() || kinds.iter().any(|c| !matches!(c, 'L' | 'G')) {
                return Err(invalid(
                    FIELD,
                    format!("must be an integer or a string of L and G, got {pattern:?}"),
                ));
            }
            Ok((0..n_layer)
                .map(|i| i + 1 < n_layer && kinds[i as usize % kinds.len()] == 'L')
                .collect())
        }
        _ => {
            let every = f.dim_or(FIELD, 4)?;
            Ok((0..n_layer)
                .map(|i| !(i + 1).is_multiple_of(every))
                .collect())
        }
    }
}
