//! DeepSeek-V4 (`modeling_deepseek_v4.py`). Every layer attends with
//! shared-KV MQA: Q through a `q_lora_rank` bottleneck, one `head_dim`
//! vector per token read as both key and value, per-head sinks and a
//! grouped low-rank output projection (`o_groups` blocks to `o_lora_rank`
//! each, then one mix to the hidden size). Each layer keeps the last
//! `sliding_window` tokens; `layer_types` adds a compressor:
//! heavily compressed attention (HCA) pools every `compress_rates` tokens
//! into one entry, compressed sparse attention (CSA) pools overlapping
//! windows (two series per token) and has a lightning indexer compressing
//! its own keys the same way. The residual stream is `hc_mult` wide:
//! two hyper-connections per layer and one head before the final norm.
//! Every layer is MoE (hash-routed or top-k, the same weights) with one
//! shared expert of `moe_intermediate_size`. The MTP layer is not built.

use super::*;
use crate::estimate::model::{Compression, KvLayout};

/// What one layer's attention keeps beyond its window.
#[derive(Clone, Copy)]
enum LayerKind {
    /// Sliding window only.
    Sliding,
    /// CSA: overlapping compression at this rate, with the indexer.
    Csa(u64),
    /// HCA: plain compression at this rate.
    Hca(u64),
}

/// The most hyper-connection streams read (V4 uses 4).
const MAX_HC_MULT: u64 = 64;

const CSA: &str = "compressed_sparse_attention";
const HCA: &str = "heavily_compressed_attention";

/// Reads `deepseek_v4`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 4096)?;
    let n_layer = f.layers_or("num_hidden_layers", 43)?;
    let n_head = f.dim_or("num_attention_heads", 64)?;
    let head_dim = f.dim_or("head_dim", 512)?;
    let q_lora = f.dim_or("q_lora_rank", 1024)?;
    let o_groups = f.dim_or("o_groups", 8)?;
    let o_lora = f.dim_or("o_lora_rank", 1024)?;
    if (n_head * head_dim) % o_groups != 0 {
        return Err(invalid(
            "o_groups",
            format!("({o_groups}) must divide num_attention_heads × head_dim"),
        ));
    }
    let window = f.dim_or("sliding_window", 128)?;
    let hc = f.dim_or("hc_mult", 4)?;
    // Its weights grow as `hc³ × hidden_size`; real checkpoints use 4.
    if hc > MAX_HC_MULT {
        return Err(invalid(
            "hc_mult",
            format!("is {hc}, more than {MAX_HC_MULT} residual streams"),
        ));
    }
    let index_heads = f.dim_or("index_n_heads", 64)?;
    let index_dim = f.dim_or("index_head_dim", 128)?;
    let kinds = layer_kinds(f, n_layer)?;
    let m = routed_experts(
        f,
        &["n_routed_experts", "num_local_experts"],
        Some(256),
        &["num_experts_per_tok"],
        Some(6),
    )?;
    let moe_ff = f.dim_or("moe_intermediate_size", 2048)?;
    // `(2 + hc) × hc` mixing weights: pre, post and the `hc × hc` comb.
    let hc_weights = (2 + hc) * hc;
    let mut layers = Vec::with_capacity(kinds.len());
    for kind in kinds {
        let mut t = Vec::new();
        for name in ["attn_hc", "ffn_hc"] {
            t.push(Tensor::matrix(
                &format!("{name}.fn"),
                Kind::Other,
                hc * n_embd,
                hc_weights,
            ));
            t.push(Tensor::vector(&format!("{name}.base"), hc_weights));
            t.push(Tensor::vector(&format!("{name}.scale"), 3));
        }
        norm(&mut t, "attn_norm", n_embd, false);
        t.push(Tensor::matrix(
            "attn_q_a.weight",
            Kind::Other,
            n_embd,
            q_lora,
        ));
        norm(&mut t, "attn_q_a_norm", q_lora, false);
        t.push(Tensor::matrix(
            "attn_q_b.weight",
            Kind::AttnQ,
            q_lora,
            n_head * head_dim,
        ));
        t.push(Tensor::matrix(
            "attn_kv.weight",
            Kind::AttnK,
            n_embd,
            head_dim,
        ));
        norm(&mut t, "attn_kv_norm", head_dim, false);
        // Grouped output: each group's `n_head × head_dim / o_groups` to `o_lora_rank`.
        t.push(Tensor::matrix(
            "attn_output_a.weight",
            Kind::AttnOutput,
            n_head * head_dim / o_groups,
            o_groups * o_lora,
        ));
        t.push(Tensor::matrix(
            "attn_output_b.weight",
            Kind::AttnOutput,
            o_groups * o_lora,
            n_embd,
        ));
        t.push(Tensor::vector("attn_sinks", n_head));
        let compression = match kind {
            LayerKind::Sliding => None,
            LayerKind::Hca(rate) => {
                compressor(&mut t, "attn_compressor", n_embd, head_dim, rate, 1);
                Some(Compression {
                    rate,
                    dim: head_dim,
                    overlap: false,
                    indexer_dim: 0,
                })
            }
            LayerKind::Csa(rate) => {
                compressor(&mut t, "attn_compressor", n_embd, head_dim, rate, 2);
                compressor(&mut t, "attn_indexer", n_embd, index_dim, rate, 2);
                t.push(Tensor::matrix(
                    "attn_indexer.q_b.weight",
                    Kind::Other,
                    q_lora,
                    index_heads * index_dim,
                ));
                t.push(Tensor::matrix(
                    "attn_indexer.proj.weight",
                    Kind::Other,
                    n_embd,
                    index_heads,
                ));
                Some(Compression {
                    rate,
                    dim: head_dim,
                    overlap: true,
                    indexer_dim: index_dim,
                })
            }
        };
        norm(&mut t, "ffn_norm", n_embd, false);
        stacked_experts(&mut t, n_embd, moe_ff, m.n_expert);
        shared_expert(&mut t, n_embd, moe_ff);
        // transformers caches a sliding-only layer's K and V as two tensors
        // (`DynamicSlidingWindowLayer`); its compressed layers keep one.
        let kv = match compression {
            None => KvLayout::Heads {
                n_head_kv: 1,
                head_dim_k: head_dim,
                head_dim_v: head_dim,
            },
            Some(_) => KvLayout::SharedKv { head_dim },
        };
        let attention = Attention {
            n_head,
            kv,
            window: Window::Sliding(window),
            shares_kv: false,
            compression,
        };
        layers.push(layer(Some(attention), None, t));
    }
    let mut spec = decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 129_280)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 1_048_576)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: false,
            moe: Some(Moe {
                n_expert: m.n_expert,
                n_expert_used: m.n_expert_used,
                n_expert_shared: 1,
            }),
            // The window is all a layer keeps of raw tokens.
            llama_cpp_swa: true,
        },
        layers,
    );
    // The hyper-head collapsing the `hc_mult` streams before the final norm.
    spec.globals
        .push(Tensor::matrix("output_hc.fn", Kind::Other, hc * n_embd, hc));
    spec.globals.push(Tensor::vector("output_hc.base", hc));
    spec.globals.push(Tensor::vector("output_hc.scale", 1));
    Ok(spec)
}

/// A compressor: K and gate projections of `series × dim` (two series
/// when windows overlap), a position bias per slot of the window and the
/// entry's norm.
fn compressor(t: &mut Vec<Tensor>, name: &str, n_embd: u64, dim: u64, rate: u64, series: u64) {
    for proj in ["kv", "gate"] {
        t.push(Tensor::matrix(
            &format!("{name}.{proj}.weight"),
            Kind::Other,
            n_embd,
            series * dim,
        ));
    }
    t.push(Tensor::matrix(
        &format!("{name}.position_bias"),
        Kind::Vector,
        series * dim,
        rate,
    ));
    norm(t, &format!("{name}.kv_norm"), dim, false);
}

/// Each layer's kind: `layer_types`, else the legacy per-layer
/// `compress_ratios` (0, 4, 128), else two HCA layers then CSA and HCA in
/// turn; with the rates of `compress_rates` (legacy `compress_rate_csa` /
/// `compress_rate_hca` override it).
fn layer_kinds(f: &Fields, n_layer: u64) -> Result<Vec<LayerKind>, ConfigError> {
    let mut csa = 4;
    let mut hca = 128;
    match f.get("compress_rates") {
        None => {}
        Some(Value::Object(rates)) => {
            let rates = Fields(rates);
            csa = rates.dim_or(CSA, csa)?;
            hca = rates.dim_or(HCA, hca)?;
        }
        Some(v) => {
            return Err(invalid(
                "compress_rates",
                format!("must map layer types to rates, got {v}"),
            ))
        }
    }
    csa = f.dim_or("compress_rate_csa", csa)?;
    hca = f.dim_or("compress_rate_hca", hca)?;
    let by_name = |name: &str| match name {
        "sliding_attention" => Some(LayerKind::Sliding),
        CSA => Some(LayerKind::Csa(csa)),
        HCA => Some(LayerKind::Hca(hca)),
        _ => None,
    };
    if let Some(kinds) = f.kinds("layer_types", n_layer, by_name)? {
        return Ok(kinds);
    }
    if let Some(value) = f.get("compress_ratios") {
        // transformers keeps the first `num_hidden_layers` (checkpoints list
        // the MTP layer too).
        let Value::Array(items) = value else {
            return Err(invalid("compress_ratios", "must be a list".into()));
        };
        if (items.len() as u64) < n_layer {
            return Err(invalid(
                "compress_ratios",
                format!("lists {} layers but the model has {n_layer}", items.len()),
            ));
        }
        return items
            .iter()
            .take(n_layer as usize)
            .map(|v| match v.as_u64() {
                Some(0) => Ok(LayerKind::Sliding),
                Some(4) => Ok(LayerKind::Csa(csa)),
                Some(128) => Ok(LayerKind::Hca(hca)),
                _ => Err(invalid(
                    "compress_ratios",
                    format!("has {v}; transformers knows 0, 4 and 128"),
                )),
            })
            .collect();
    }
    Ok((0..n_layer)
        .map(|i| {
            if i >= 2 && (i - 2) % 2 == 1 {
                LayerKind::Csa(csa)
            } else {
                LayerKind::Hca(hca)
            }
        })
        .collect())
}
