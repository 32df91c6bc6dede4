//! Hugging Face SmolLM3: `smollm3`, following transformers'
//! `modeling_smollm3.py`. A Llama-shaped decoder (optional
//! `attention_bias` and `mlp_bias`, lm_head tied by default) whose
//! NoPE layers — every `no_rope_layer_interval`-th (default 4), or those
//! marked 0 in `no_rope_layers` — skip rotary embeddings, which changes no
//! parameters. With `use_sliding_window` and a `sliding_window`, the NoPE
//! layers are the sliding ones (unless `layer_types` says otherwise).

use super::*;

/// SmolLM3Config defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 128256,
    hidden_size: 2048,
    intermediate_size: 11008,
    num_hidden_layers: 36,
    num_attention_heads: 16,
    num_key_value_heads: Some(4),
    head_dim: None,
    max_position_embeddings: 32768,
    tie_word_embeddings: true,
};

/// Reads a SmolLM3 decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let mlp_bias = f.flag("mlp_bias", false)?;
    let window = if f.flag("use_sliding_window", false)? {
        f.opt_dim("sliding_window")?
    } else {
        None
    };
    let sliding_layers = match f.layer_types(d.n_layer)? {
        Some(types) => types,
        None => {
            let nope = nope_layers(f, d.n_layer)?;
            nope.into_iter().map(|n| n && window.is_some()).collect()
        }
    };

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for &is_sliding in &sliding_layers {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        mlp(&mut t, d.n_embd, d.n_ff, true, mlp_bias);
        let attention = sliding(
            Attention::heads(d.n_head, d.n_head_kv, d.head_dim),
            window,
            is_sliding,
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
        decoder_globals(&d, tied, false),
        layers,
    ))
}

/// Which layers skip rotary embeddings (`no_rope_layers[i] == 0`).
fn nope_layers(f: &Fields, n_layer: u64) -> Result<Vec<bool>, ConfigError> {
    const FIELD: &str = "no_rope_layers";
    match f.get(FIELD) {
        None => {
            let every = f.dim_or("no_rope_layer_interval", 4)?;
            Ok((0..n_layer)
                .map(|i| (i + 1).is_multiple_of(every))
                .collect())
        }
        Some(Value::Array(items)) if items.len() as u64 == n_layer => items
            .iter()
            .map(|v| match v.as_u64() {
                Some(0) => Ok(true),
                Some(1) => Ok(false),
                _ => Err(invalid(
                    FIELD,
                    format!("must list 0 or 1 per layer, found {v}"),
                )),
            })
            .collect(),
        Some(v) => Err(invalid(
            FIELD,
            format!("must list 0 or 1 for each of the {n_layer} layers, got {v}"),
        )),
    }
}
