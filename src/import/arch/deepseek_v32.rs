//! DeepSeek-V3.2 (`modeling_deepseek_v32.py`): DeepSeek-V3's layers — MLA
//! with a `q_lora_rank` bottleneck, dense MLPs for the first
//! `first_k_dense_replace` layers (or as `mlp_layer_types` says), routed
//! experts with shared experts after — plus, in every layer, the lightning
//! indexer of DeepSeek sparse attention: its own query projection from the
//! Q latent (`index_n_heads × index_head_dim`), one key of
//! `index_head_dim` (LayerNormed) and per-head weights. transformers caches
//! that key for every token beside the MLA latent.

use super::*;
use crate::estimate::model::KvLayout;

/// Reads `deepseek_v32`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 7168)?;
    let n_ff = f.dim_or("intermediate_size", 18432)?;
    let n_layer = f.layers_or("num_hidden_layers", 61)?;
    let n_head = f.dim_or("num_attention_heads", 128)?;
    let q_lora = f.dim_or("q_lora_rank", 1536)?;
    let attn = Mla {
        n_embd,
        n_head,
        q_lora_rank: Some(q_lora),
        kv_lora_rank: f.dim_or("kv_lora_rank", 512)?,
        rope_dim: f.dim_or("qk_rope_head_dim", 64)?,
        nope_dim: f.dim_or("qk_nope_head_dim", 128)?,
        v_head_dim: f.dim_or("v_head_dim", 128)?,
        a_bias: f.flag("attention_bias", false)?,
        o_bias: f.flag("attention_bias", false)?,
    };
    let index_heads = f.dim_or("index_n_heads", 64)?;
    let index_dim = f.dim_or("index_head_dim", 128)?;
    let sparse = match f.kinds("mlp_layer_types", n_layer, |k| match k {
        "sparse" => Some(true),
        "dense" => Some(false),
        _ => None,
    })? {
        Some(kinds) => kinds,
        None => {
            let dense = f.opt_count("first_k_dense_replace")?.unwrap_or(3);
            (0..n_layer).map(|i| i >= dense).collect()
        }
    };
    let m = routed_experts(
        f,
        // `num_experts`, kept for older configs, wins over `n_routed_experts`.
        &["num_experts", "n_routed_experts", "num_local_experts"],
        Some(256),
        &["num_experts_per_tok"],
        Some(8),
    )?;
    let n_shared = f.opt_count("n_shared_experts")?.unwrap_or(1);
    let moe_ff = f.dim_or("moe_intermediate_size", 2048)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for is_sparse in sparse {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let mut attention = mla(&mut t, &attn);
        if let KvLayout::Latent { indexer_dim, .. } = &mut attention.kv {
            *indexer_dim = index_dim;
        }
        // The indexer: queries from the Q latent, one key, head weights.
        t.push(Tensor::matrix(
            "indexer.q_b.weight",
            Kind::Other,
            q_lora,
            index_heads * index_dim,
        ));
        t.push(Tensor::matrix(
            "indexer.k.weight",
            Kind::Other,
            n_embd,
            index_dim,
        ));
        norm(&mut t, "indexer.k_norm", index_dim, true);
        t.push(Tensor::matrix(
            "indexer.proj.weight",
            Kind::Other,
            n_embd,
            index_heads,
        ));
        norm(&mut t, "ffn_norm", n_embd, false);
        if is_sparse {
            stacked_experts(&mut t, n_embd, moe_ff, m.n_expert);
            if n_shared > 0 {
                shared_expert(&mut t, n_embd, moe_ff * n_shared);
            }
        } else {
            mlp(&mut t, n_embd, n_ff, true, false);
        }
        layers.push(layer(Some(attention), None, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 129_280)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 163_840)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: Some(Moe {
                n_expert: m.n_expert,
                n_expert_used: m.n_expert_used,
                n_expert_shared: n_shared,
            }),
            llama_cpp_swa: false,
        },
        layers,
    ))
}
