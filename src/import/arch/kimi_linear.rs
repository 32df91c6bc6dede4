//! Kimi Linear (`modeling_kimi_linear.py`): Kimi Delta Attention linear
//! layers and multi-head latent attention full layers (every fourth by
//! default, or as `layer_types` or the checkpoint's `linear_attn_config`
//! lists them), each followed by a dense MLP or routed experts with shared
//! experts (`mlp_layer_types`, or the first `first_k_dense_replace` dense).
//!
//! The checkpoint's `linear_attn_config` numbers its `full_attn_layers` and
//! `kda_layers` from 1 and carries the KDA head size, head count and conv
//! width, which override `linear_head_dim`, `linear_num_heads` and
//! `linear_conv_kernel_dim`. A KDA layer keeps one conv window over Q, K
//! and V and a `head_dim × head_dim` state per head in fp32; an MLA layer
//! caches its latent.

use super::recurrent::kimi_delta;
use super::*;

const CONFIG: &str = "linear_attn_config";

/// `linear_attn_config`'s entries, when the config has one.
struct LinearAttnConfig<'a>(Option<&'a Map<String, Value>>);

impl LinearAttnConfig<'_> {
    fn dim(&self, key: &str) -> Result<Option<u64>, ConfigError> {
        let Some(v) = self.0.and_then(|m| m.get(key)).filter(|v| !v.is_null()) else {
            return Ok(None);
        };
        match v.as_u64() {
            Some(n) if (1..=MAX_DIM).contains(&n) => Ok(Some(n)),
            _ => Err(invalid(
                CONFIG,
                format!("has {key} {v}; it must be a positive integer"),
            )),
        }
    }

    /// A list of 1-based layer numbers, as 0-based indices.
    fn layers(&self, key: &str, n_layer: u64) -> Result<Option<Vec<u64>>, ConfigError> {
        let Some(v) = self.0.and_then(|m| m.get(key)) else {
            return Ok(None);
        };
        let bad = || {
            invalid(
                CONFIG,
                format!("has {key} {v}; it must list layer numbers from 1 to {n_layer}"),
            )
        };
        let Value::Array(items) = v else {
            return Err(bad());
        };
        items
            .iter()
            .map(|i| match i.as_u64() {
                Some(n) if (1..=n_layer).contains(&n) => Ok(n - 1),
                _ => Err(bad()),
            })
            .collect::<Result<Vec<u64>, _>>()
            .map(Some)
    }
}

/// Reads `kimi_linear`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 2304)?;
    let n_ff = f.dim_or("intermediate_size", 9216)?;
    let n_layer = f.layers_or("num_hidden_layers", 27)?;
    let n_head = f.dim_or("num_attention_heads", 32)?;
    let linear_config = match f.get(CONFIG) {
        None => LinearAttnConfig(None),
        Some(Value::Object(m)) => LinearAttnConfig(Some(m)),
        Some(v) => return Err(invalid(CONFIG, format!("must be an object, got {v}"))),
    };
    let full = match f.kinds("layer_types", n_layer, |k| match k {
        "full_attention" => Some(true),
        "linear_attention" => Some(false),
        _ => None,
    })? {
        Some(kinds) => kinds,
        None => match (
            linear_config.layers("full_attn_layers", n_layer)?,
            linear_config.layers("kda_layers", n_layer)?,
        ) {
            // Layers neither list names get KDA, as transformers builds them.
            (Some(full), Some(_)) => (0..n_layer).map(|i| full.contains(&i)).collect(),
            _ => (0..n_layer).map(|i| i > 0 && i.is_multiple_of(4)).collect(),
        },
    };
    let sparse = match f.kinds("mlp_layer_types", n_layer, |k| match k {
        "sparse" => Some(true),
        "dense" => Some(false),
        _ => None,
    })? {
        Some(kinds) => kinds,
        None => {
            let dense = f.opt_count("first_k_dense_replace")?.unwrap_or(1);
            (0..n_layer).map(|i| i >= dense).collect()
        }
    };
    let kda_heads = match linear_config.dim("num_heads")? {
        Some(n) => n,
        None => f.dim_or("linear_num_heads", 32)?,
    };
    let kda_head_dim = match linear_config.dim("head_dim")? {
        Some(n) => n,
        None => f.dim_or("linear_head_dim", 128)?,
    };
    let kda_conv = match linear_config.dim("short_conv_kernel_size")? {
        Some(n) => n,
        None => f.dim_or("linear_conv_kernel_dim", 4)?,
    };
    let bias = f.flag("attention_bias", false)?;
    let attn = Mla {
        n_embd,
        n_head,
        q_lora_rank: f.opt_dim("q_lora_rank")?,
        kv_lora_rank: f.dim_or("kv_lora_rank", 512)?,
        rope_dim: f.dim_or("qk_rope_head_dim", 64)?,
        nope_dim: f.dim_or("qk_nope_head_dim", 128)?,
        v_head_dim: f.dim_or("v_head_dim", 128)?,
        a_bias: bias,
        o_bias: bias,
    };
    let moe = if sparse.contains(&true) {
        let m = routed_experts(
            f,
            &["num_experts", "num_local_experts"],
            Some(256),
            &["num_experts_per_token", "num_experts_per_tok"],
            Some(8),
        )?;
        Some(Moe {
            n_expert: m.n_expert,
            n_expert_used: m.n_expert_used,
            n_expert_shared: f
                .count_of(&["num_shared_experts", "n_shared_experts"])?
                .unwrap_or(1),
        })
    } else {
        None
    };
    let moe_ff = f.dim_or("moe_intermediate_size", 1024)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for (is_full, is_sparse) in full.into_iter().zip(sparse) {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n_embd, false);
        let (attention, recurrent) = if is_full {
            (Some(mla(&mut t, &attn)), None)
        } else {
            let state = kimi_delta(&mut t, n_embd, kda_heads, kda_head_dim, kda_conv);
            (None, Some(state))
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        match moe {
            Some(m) if is_sparse => {
                stacked_experts(&mut t, n_embd, moe_ff, m.n_expert);
                if m.n_expert_shared > 0 {
                    shared_expert(&mut t, n_embd, moe_ff * m.n_expert_shared);
                }
            }
            _ => mlp(&mut t, n_embd, n_ff, true, false),
        }
        layers.push(layer(attention, recurrent, t));
    }
    let n_ctx_train = match f.opt_dim("model_max_length")? {
        Some(n) => n,
        None => f.dim_or("max_position_embeddings", 1_048_576)?,
    };
    Ok(decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 163_840)?,
            n_ctx_train,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: false,
        },
        layers,
    ))
}
