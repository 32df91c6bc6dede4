//! MiniMax-M2 (`modeling_minimax_m2.py`): every layer full attention with
//! RMSNorms over the whole Q and K projections (not per head), then routed
//! experts of `intermediate_size` behind a sigmoid router; no shared
//! expert. The checkpoints' `attn_type_list` is all softmax attention and
//! transformers reads no other layer kind; their MTP modules are not
//! built.

use super::*;

/// Reads `minimax_m2`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(
        f,
        &ClassDefaults {
            vocab_size: 200_064,
            hidden_size: 3072,
            intermediate_size: 1536,
            num_hidden_layers: 62,
            num_attention_heads: 48,
            num_key_value_heads: Some(8),
            head_dim: Some(128),
            max_position_embeddings: 196_608,
            tie_word_embeddings: false,
        },
    )?;
    let m = routed_experts(
        f,
        &["num_local_experts", "num_experts"],
        Some(256),
        &["num_experts_per_tok"],
        Some(8),
    )?;
    let shape = AttnShape::gqa(d.n_embd, d.n_head, d.n_head_kv, d.head_dim, false);
    let mut layers = Vec::with_capacity(d.n_layer as usize);
    for _ in 0..d.n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", d.n_embd, false);
        let attn = attention(&mut t, &shape);
        norm(&mut t, "attn_q_norm", d.n_head * d.head_dim, false);
        norm(&mut t, "attn_k_norm", d.n_head_kv * d.head_dim, false);
        norm(&mut t, "ffn_norm", d.n_embd, false);
        stacked_experts(&mut t, d.n_embd, d.n_ff, m.n_expert);
        layers.push(layer(Some(attn), None, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd: d.n_embd,
            n_vocab: d.n_vocab,
            n_ctx_train: f.dim_or("max_position_embeddings", 196_608)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: Some(Moe {
                n_expert: m.n_expert,
                n_expert_used: m.n_expert_used,
                n_expert_shared: 0,
            }),
            llama_cpp_swa: false,
        },
        layers,
    ))
}
