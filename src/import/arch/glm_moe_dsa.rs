//! GLM-5 style DSA (`modeling_glm_moe_dsa.py`): DeepSeek-V3.2's layers
//! (MLA with a `q_lora_rank` bottleneck, dense MLPs for the first
//! `first_k_dense_replace` layers, routed plus shared experts) with GLM's
//! shapes, and cross-layer top-k sharing: a layer whose `indexer_types`
//! entry is `"shared"` reuses the previous full layer's selection, so it
//! has no indexer and caches no indexer key.

use super::deepseek_v32::{build, Defaults};
use super::*;

const GLM: Defaults = Defaults {
    n_embd: 6144,
    n_ff: 12288,
    n_layer: 78,
    n_head: 64,
    q_lora: 2048,
    kv_lora: 512,
    rope: 64,
    nope: 192,
    v_head: 256,
    index_heads: 32,
    index_dim: 128,
    moe_ff: 2048,
    n_vocab: 154_880,
    n_ctx: 202_752,
};

/// Reads `glm_moe_dsa`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    build(f, model_type, &GLM, indexer_types)
}

/// Which layers run their own indexer: `indexer_types` (`"full"` /
/// `"shared"`), else `index_topk_pattern` (`"FSSF…"`), else every
/// `index_topk_freq`-th layer counted from `index_skip_topk_offset − 1`
/// (default 1 and 2: every layer).
fn indexer_types(f: &Fields, n_layer: u64) -> Result<Vec<bool>, ConfigError> {
    let by_name = |k: &str| match k {
        "full" => Some(true),
        "shared" => Some(false),
        _ => None,
    };
    if let Some(kinds) = f.kinds("indexer_types", n_layer, by_name)? {
        return Ok(kinds);
    }
    if let Some(Value::String(pattern)) = f.get("index_topk_pattern") {
        if pattern.len() as u64 != n_layer {
            return Err(invalid(
                "index_topk_pattern",
                format!(
                    "has {} letters but the model has {n_layer} layers",
                    pattern.len()
                ),
            ));
        }
        return pattern
            .chars()
            .map(|c| match c {
                'F' => Ok(true),
                'S' => Ok(false),
                _ => Err(invalid(
                    "index_topk_pattern",
                    format!("has {c:?}; only F (full) and S (shared)"),
                )),
            })
            .collect();
    }
    if let Some(kinds) = f.kinds("index_topk_pattern", n_layer, by_name)? {
        return Ok(kinds);
    }
    let freq = f.opt_count("index_topk_freq")?.unwrap_or(1).max(1);
    let offset = f.opt_count("index_skip_topk_offset")?.unwrap_or(2);
    Ok((0..n_layer)
        .map(|i| (i + 1).saturating_sub(offset) % freq == 0)
        .collect())
}
