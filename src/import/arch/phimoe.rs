//! Phi-3.5-MoE (`modeling_phimoe.py`): Mixtral-shaped layers — attention
//! (biased with `attention_bias`) and routed experts of
//! `intermediate_size` in every layer — with LayerNorms (weight and bias)
//! instead of RMSNorms and, with `lm_head_bias`, a biased output
//! projection. A `sliding_window` makes every layer sliding (the released
//! checkpoint's 131072 equals its context).

use super::*;

/// Reads `phimoe`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(
        f,
        &ClassDefaults {
            vocab_size: 32064,
            hidden_size: 4096,
            intermediate_size: 6400,
            num_hidden_layers: 32,
            num_attention_heads: 32,
            num_key_value_heads: Some(8),
            head_dim: None,
            max_position_embeddings: 131_072,
            tie_word_embeddings: false,
        },
    )?;
    let m = routed_experts(
        f,
        &["num_local_experts"],
        Some(16),
        &["num_experts_per_tok"],
        Some(2),
    )?;
    let bias = f.flag("attention_bias", false)?;
    let shape = AttnShape::gqa(d.n_embd, d.n_head, d.n_head_kv, d.head_dim, bias);
    let window = f.opt_dim("sliding_window")?;
    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", d.n_embd, true);
        let attn = sliding(attention(&mut t, &shape), window, true);
        norm(&mut t, "ffn_norm", d.n_embd, true);
        stacked_experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
        layers.push(layer(Some(attn), None, t));
    }
    let tied = f.flag("tie_word_embeddings", false)?;
    let mut spec = decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd: d.n_embd,
            n_vocab: d.n_vocab,
            n_ctx_train: f.dim_or("max_position_embeddings", 131_072)?,
            tied,
            norm_bias: true,
            moe: Some(Moe {
                n_expert: m.n_expert,
                n_expert_used: m.n_expert_used,
                n_expert_shared: 0,
            }),
            llama_cpp_swa: false,
        },
        layers,
    );
    // The lm_head's bias is its own parameter even when the weight is tied.
    if f.flag("lm_head_bias", false)? {
        spec.globals.push(Tensor::vector("output.bias", d.n_vocab));
    }
    Ok(spec)
}
