//! Llama 3.2 Vision's text model (`mllama_text_model`, following
//! transformers' `modeling_mllama.py`, `MllamaTextModel`): a Llama decoder
//! whose `cross_attention_layers` replace self-attention by gated
//! cross-attention over the image states (per-head Q/K RMSNorms, scalar
//! tanh gates on the attention and the MLP). Those layers cache K/V for the
//! image tokens, not the text. `embed_tokens` has `vocab_size + 8` rows
//! (the image and padding tokens) while `lm_head` keeps `vocab_size`;
//! `head_dim` is always `hidden_size / num_attention_heads`, whatever the
//! config says.

use super::*;
use crate::estimate::model::Layer;

/// MllamaTextConfig defaults.
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 128256,
    hidden_size: 4096,
    intermediate_size: 14336,
    num_hidden_layers: 40,
    num_attention_heads: 32,
    num_key_value_heads: Some(8),
    head_dim: None,
    max_position_embeddings: 131072,
    tie_word_embeddings: false,
};

/// The extra embedding rows beyond `vocab_size`.
const EXTRA_TOKENS: u64 = 8;

/// Reads `mllama_text_model` (an `mllama` config's `text_config`).
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let mut d = class_dims(f, &DEFAULTS)?;
    d.head_dim = floor_head_dim(d.n_embd, d.n_head)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let cross = match f.get("cross_attention_layers") {
        Some(_) => f.indices("cross_attention_layers")?,
        None => vec![3, 8, 13, 18, 23, 28, 33, 38],
    };
    if let Some(&i) = cross.iter().find(|&&i| i >= d.n_layer) {
        return Err(invalid(
            "cross_attention_layers",
            format!("names layer {i} but num_hidden_layers is {}", d.n_layer),
        ));
    }
    let shape = AttnShape::gqa(d.n_embd, d.n_head, d.n_head_kv, d.head_dim, false);
    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for i in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        let layer = if cross.contains(&i) {
            let mut a = Vec::new();
            let attention = attention(
                &mut a,
                &AttnShape {
                    qk_norm: true,
                    ..shape
                },
            );
            t.extend(a.into_iter().map(|mut x| {
                x.name = format!("cross_{}", x.name);
                x
            }));
            t.push(Tensor::vector("cross_attn_attn_gate", 1));
            t.push(Tensor::vector("cross_attn_mlp_gate", 1));
            Some(attention)
        } else {
            None
        };
        let self_attention = match layer {
            Some(_) => None,
            None => Some(attention(&mut t, &shape)),
        };
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        mlp(&mut t, d.n_embd, d.n_ff, true, false);
        layers.push(Layer {
            cross_attention: layer,
            ..super::layer(self_attention, None, t)
        });
    }
    let mut globals = decoder_globals(&d, tied, false);
    globals[0] = Tensor::matrix(
        "token_embd.weight",
        Kind::TokenEmbd,
        d.n_embd,
        d.n_vocab + EXTRA_TOKENS,
    );
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
