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

/// A family's class defaults for the DeepSeek-V3.2 layout.
pub(crate) struct Defaults {
    pub(crate) n_embd: u64,
    pub(crate) n_ff: u64,
    pub(crate) n_layer: u64,
    pub(crate) n_head: u64,
    pub(crate) q_lora: u64,
    pub(crate) kv_lora: u64,
    pub(crate) rope: u64,
    pub(crate) nope: u64,
    pub(crate) v_head: u64,
    pub(crate) index_heads: u64,
    pub(crate) index_dim: u64,
    pub(crate) moe_ff: u64,
    pub(crate) n_vocab: u64,
    pub(crate) n_ctx: u64,
}

const V32: Defaults = Defaults {
    n_embd: 7168,
    n_ff: 18432,
    n_layer: 61,
    n_head: 128,
    q_lora: 1536,
    kv_lora: 512,
    rope: 64,
    nope: 128,
    v_head: 128,
    index_heads: 64,
    index_dim: 128,
    moe_ff: 2048,
    n_vocab: 129_280,
    n_ctx: 163_840,
};

/// Reads `deepseek_v32`: every layer has its indexer.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    build(f, model_type, &V32, |_, n| Ok(vec![true; n as usize]))
}

/// The DeepSeek-V3.2 layout with `d`'s defaults; `indexed` says which of
/// the `n_layer` layers run (and cache) their own indexer.
pub(crate) fn build(
    f: &Fields,
    model_type: &str,
    d: &Defaults,
    indexed: impl Fn(&Fields, u64) -> Result<Vec<bool>, ConfigError>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", d.n_embd)?;
    let n_ff = f.dim_or("intermediate_size", d.n_ff)?;
    let n_layer = f.layers_or("num_hidden_layers", d.n_layer)?;
    let n_head = f.dim_or("num_attention_heads", d.n_head)?;
    let q_lora = f.dim_or("q_lora_rank", d.q_lora)?;
    let attn = Mla {
        n_embd,
        n_head,
        q_lora_rank: Some(q_lora),
        kv_lora_rank: f.dim_or("kv_lora_rank", d.kv_lora)?,
        rope_dim: f.dim_or("qk_rope_head_dim", d.rope)?,
        nope_dim: f.dim_or("qk_nope_head_dim", d.nope)?,
        v_head_dim: f.dim_or("v_head_dim", d.v_head)?,
        a_bias: f.flag("attention_bias", false)?,
        o_bias: f.flag("attention_bias", false)?,
    };
    let index_heads = f.dim_or("index_n_heads", d.index_heads)?;
    let index_dim = f.dim_or("index_head_dim", d.index_dim)?;
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
    let moe_ff = f.dim_or("moe_intermediate_size", d.moe_ff)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    let indexed = indexed(f, n_layer)?;
    for (is_sparse, has_indexer) in sparse.into_iter().zip(indexed) {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let attention = mla(&mut t, &attn);
        if !has_indexer {
            norm(&mut t, "ffn_norm", n_embd, false);
            moe_or_mlp(
                &mut t, is_sparse, n_embd, n_ff, moe_ff, m.n_expert, n_shared,
            );
            layers.push(layer(Some(attention), None, t));
            continue;
        }
        let mut attention = attention;
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
        moe_or_mlp(
            &mut t, is_sparse, n_embd, n_ff, moe_ff, m.n_expert, n_shared,
        );
        layers.push(layer(Some(attention), None, t));
    }
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", d.n_vocab)?,
            n_ctx_train: f.dim_or("max_position_embeddings", d.n_ctx)?,
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

/// Routed experts with shared experts after, or a dense MLP.
fn moe_or_mlp(
    t: &mut Vec<Tensor>,
    is_sparse: bool,
    n_embd: u64,
    n_ff: u64,
    moe_ff: u64,
    n_expert: u64,
    n_shared: u64,
) {
    if is_sparse {
        stacked_experts(t, n_embd, moe_ff, n_expert);
        if n_shared > 0 {
            shared_expert(t, n_embd, moe_ff * n_shared);
        }
    } else {
        mlp(t, n_embd, n_ff, true, false);
    }
}
