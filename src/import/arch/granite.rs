//! IBM Granite: `granite` (dense) and `granitemoe`, following transformers'
//! `modeling_granite.py` and `modeling_granitemoe.py`. Llama-shaped
//! pre-norm blocks (the multipliers scale activations, not shapes); Granite
//! has `attention_bias` and `mlp_bias`, GraniteMoE replaces every MLP with
//! `num_local_experts` routed experts behind a bias-free router and has no
//! MLP bias.

use super::*;
use crate::estimate::model::Moe;

/// GraniteConfig / GraniteMoeConfig defaults (the same for both).
const DEFAULTS: ClassDefaults = ClassDefaults {
    vocab_size: 32000,
    hidden_size: 4096,
    intermediate_size: 11008,
    num_hidden_layers: 32,
    num_attention_heads: 32,
    num_key_value_heads: None,
    head_dim: None,
    max_position_embeddings: 2048,
    tie_word_embeddings: false,
};

/// Reads a Granite or GraniteMoE decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(f, &DEFAULTS)?;
    let tied = f.flag("tie_word_embeddings", DEFAULTS.tie_word_embeddings)?;
    let attention_bias = f.flag("attention_bias", false)?;
    let moe = if model_type == "granitemoe" {
        let m = routed_experts(
            f,
            &["num_local_experts"],
            Some(8),
            &["num_experts_per_tok"],
            Some(2),
        )?;
        Some(Moe {
            n_expert: m.n_expert,
            n_expert_used: m.n_expert_used,
            n_expert_shared: 0,
        })
    } else {
        None
    };
    let mlp_bias = moe.is_none() && f.flag("mlp_bias", false)?;

    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = vec![Tensor::vector("attn_norm.weight", d.n_embd)];
        attention_projections(&mut t, &d, attention_bias, attention_bias);
        t.push(Tensor::vector("ffn_norm.weight", d.n_embd));
        match &moe {
            Some(m) => {
                router(&mut t, d.n_embd, m.n_expert);
                experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
            }
            None => mlp(&mut t, d.n_embd, d.n_ff, true, mlp_bias),
        }
        let attention = Attention::heads(d.n_head, d.n_head_kv, d.head_dim);
        layers.push(decoder_layer(attention, t));
    }
    let n_ctx_train = f.dim_or("max_position_embeddings", DEFAULTS.max_position_embeddings)?;
    Ok(decoder_spec(
        model_type,
        &d,
        n_ctx_train,
        tied,
        moe,
        decoder_globals(&d, tied, false),
        layers,
    ))
}
