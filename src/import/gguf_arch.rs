//! What llama.cpp's hybrid and state-space architectures store in GGUF
//! metadata, as the `config.json` fields vramfit's readers take.
//!
//! llama.cpp (`src/llama-model.cpp`, `load_hparams`; `src/llama-arch.cpp`
//! for the key names) keeps a layer's kind in per-layer arrays: a layer
//! with `attention.head_count_kv` 0 is recurrent, Nemotron-H's
//! `feed_forward_length` is non-zero only for its MLP layers; the SSM
//! sizes sit under `ssm.*` (`conv_kernel`, `inner_size`, `state_size`,
//! `time_step_rank` — the head count for Mamba2 and gated DeltaNet —,
//! `group_count`), LFM2's conv width under `shortconv.l_cache`. The
//! parameter count of an imported file comes from its tensors; these
//! fields decide what each layer caches.

use serde_json::{json, Map};

use super::gguf::{GgufHeader, Value as Meta};

/// The `model_type` vramfit reads a llama.cpp architecture as (names from
/// `src/llama-arch.cpp`). Kimi Linear and MiniMax-01 are left out: their
/// GGUF files do not say which layers are linear in a way read here yet,
/// so they are refused by name rather than read wrong.
pub(crate) fn model_type(arch: &str) -> &str {
    match arch {
        "gptneox" => "gpt_neox",
        "phi2" => "phi",
        "command-r" => "cohere",
        "glm4moe" => "glm4_moe",
        "ernie4_5-moe" => "ernie4_5_moe",
        "hunyuan-moe" => "hunyuan_v1_moe",
        "hunyuan-dense" => "hunyuan_v1_dense",
        "nemotron_h_moe" => "nemotron_h",
        "minimax-m2" => "minimax_m2",
        "deepseek32" => "deepseek_v32",
        "gemma4" => "gemma4_text",
        "mistral3" => "mistral",
        "qwen2moe" => "qwen2_moe",
        "qwen3moe" => "qwen3_moe",
        "gemma3" => "gemma3_text",
        "gemma3n" => "gemma3n_text",
        "deepseek2" => "deepseek_v3",
        "gpt-oss" => "gpt_oss",
        "qwen3next" => "qwen3_next",
        "qwen35" => "qwen3_5_text",
        "qwen35moe" => "qwen3_5_moe_text",
        "falcon-h1" => "falcon_h1",
        "granitehybrid" => "granitemoehybrid",
        "lfm2moe" => "lfm2_moe",
        "llama4" => "llama4_text",
        other => other,
    }
}

/// Adds the fields of hybrid and state-space architectures to `config`.
/// `n_layer` is the block count; `has(name)` tells whether a tensor exists.
pub(crate) fn hybrid_fields(
    arch: &str,
    meta: &GgufHeader,
    n_layer: u64,
    has: &dyn Fn(&str) -> bool,
    config: &mut Map<String, serde_json::Value>,
) {
    let get = |k: &str| meta.get(&format!("{arch}.{k}"));
    let key = |k: &str| get(k).and_then(Meta::as_u64);
    // A per-layer array, or one value for every layer.
    let per_layer = |k: &str| -> Option<Vec<u64>> {
        match get(k)? {
            Meta::Array { items, len } if *len == n_layer && items.len() as u64 == n_layer => {
                items.iter().map(Meta::as_u64).collect()
            }
            v => v.as_u64().map(|n| vec![n; n_layer as usize]),
        }
    };
    let kv_heads = per_layer("attention.head_count_kv").unwrap_or_default();
    let attention_at = |i: usize| kv_heads.get(i).is_some_and(|&n| n > 0);
    if kv_heads.iter().any(|&n| n > 0) {
        let max = kv_heads.iter().copied().max().unwrap_or(1);
        config.insert("num_key_value_heads".into(), json!(max));
    }
    let n_embd = key("embedding_length").unwrap_or(1);
    let inner = key("ssm.inner_size");
    let heads = key("ssm.time_step_rank");
    let mut set = |k: &str, v: serde_json::Value| {
        config.insert(k.into(), v);
    };
    let kinds = |attention: &str, other: &str| -> Vec<&'static str> {
        (0..n_layer as usize)
            .map(|i| {
                if attention_at(i) {
                    if attention == "full_attention" {
                        "full_attention"
                    } else {
                        "attention"
                    }
                } else if other == "conv" {
                    "conv"
                } else {
                    "mamba"
                }
            })
            .collect()
    };
    match arch {
        "mamba" | "mamba2" => {
            if let Some(inner) = inner {
                set("expand", json!(inner / n_embd.max(1)));
            }
            if let Some(s) = key("ssm.state_size") {
                set("state_size", json!(s));
            }
            if let Some(k) = key("ssm.conv_kernel") {
                set("conv_kernel", json!(k));
            }
            if arch == "mamba" {
                if let Some(r) = heads {
                    set("time_step_rank", json!(r));
                }
                set("tie_word_embeddings", json!(!has("output.weight")));
            } else {
                if let Some(h) = heads {
                    set("num_heads", json!(h));
                }
                if let Some(g) = key("ssm.group_count") {
                    set("n_groups", json!(g));
                }
            }
        }
        "jamba" => {
            set("layers_block_type", json!(kinds("attention", "mamba")));
            let experts: Vec<u64> = (0..n_layer)
                .map(|i| {
                    if has(&format!("blk.{i}.ffn_gate_inp.weight")) {
                        key("expert_count").unwrap_or(1)
                    } else {
                        1
                    }
                })
                .collect();
            set("layers_num_experts", json!(experts));
            ssm_fields(&key, inner, n_embd, &mut set, "mamba_");
            if let Some(r) = heads {
                set("mamba_dt_rank", json!(r));
            }
        }
        "granitehybrid" | "falcon-h1" => {
            if arch == "granitehybrid" {
                set("layer_types", json!(kinds("attention", "mamba")));
                set("num_local_experts", json!(key("expert_count").unwrap_or(0)));
                let shared = key("expert_shared_feed_forward_length")
                    .or(key("feed_forward_length"))
                    .unwrap_or(0);
                set("shared_intermediate_size", json!(shared));
            } else if let Some(inner) = inner {
                set("mamba_d_ssm", json!(inner));
                set("mamba_rms_norm", json!(has("blk.0.ssm_norm.weight")));
            }
            ssm_fields(&key, inner, n_embd, &mut set, "mamba_");
            if let Some(h) = heads {
                set("mamba_n_heads", json!(h));
            }
            if let Some(g) = key("ssm.group_count") {
                set("mamba_n_groups", json!(g));
            }
        }
        "nemotron_h" | "nemotron_h_moe" => {
            let ff = per_layer("feed_forward_length").unwrap_or_default();
            let blocks: Vec<&str> = (0..n_layer as usize)
                .map(|i| {
                    if attention_at(i) {
                        "attention"
                    } else if has(&format!("blk.{i}.ffn_gate_inp.weight")) {
                        "moe"
                    } else if ff.get(i).is_some_and(|&n| n > 0) {
                        "mlp"
                    } else {
                        "mamba"
                    }
                })
                .collect();
            set("layers_block_type", json!(blocks));
            if let Some(&m) = ff.iter().max() {
                set("intermediate_size", json!(m.max(1)));
            }
            if let (Some(inner), Some(h)) = (inner, heads) {
                set("mamba_num_heads", json!(h));
                set("mamba_head_dim", json!(inner / h.max(1)));
            }
            if let Some(s) = key("ssm.state_size") {
                set("ssm_state_size", json!(s));
            }
            if let Some(k) = key("ssm.conv_kernel") {
                set("conv_kernel", json!(k));
            }
            if let Some(g) = key("ssm.group_count") {
                set("n_groups", json!(g));
            }
        }
        "lfm2" | "lfm2moe" => {
            set("layer_types", json!(kinds("full_attention", "conv")));
            set("block_auto_adjust_ff_dim", json!(false));
            if let Some(l) = key("shortconv.l_cache") {
                set("conv_L_cache", json!(l));
            }
            if let Some(d) = key("leading_dense_block_count") {
                set("num_dense_layers", json!(d));
            }
        }
        "qwen3next" | "qwen35" | "qwen35moe" => {
            // llama.cpp's linear-attention sizes: inner = value heads ×
            // value head size, state = key head size, groups = key heads,
            // time-step rank = value heads.
            if let Some(nv) = heads {
                set("linear_num_value_heads", json!(nv));
                if let Some(inner) = inner {
                    set("linear_value_head_dim", json!(inner / nv.max(1)));
                }
            }
            if let Some(dk) = key("ssm.state_size") {
                set("linear_key_head_dim", json!(dk));
            }
            if let Some(nk) = key("ssm.group_count") {
                set("linear_num_key_heads", json!(nk));
            }
            if let Some(k) = key("ssm.conv_kernel") {
                set("linear_conv_kernel_dim", json!(k));
            }
            if let Some(every) = key("full_attention_interval") {
                set("full_attention_interval", json!(every));
            }
            if arch == "qwen35" {
                set("num_experts", json!(0));
            }
        }
        "llama4" => {
            if let Some(ff) = key("feed_forward_length") {
                set("intermediate_size_mlp", json!(ff));
            }
            if let Some(ff) = key("expert_feed_forward_length") {
                set("intermediate_size", json!(ff));
            }
            if let Some(step) = key("interleave_moe_layer_step") {
                set("interleave_moe_layer_step", json!(step));
            }
            if let Some(chunk) = key("attention.chunk_size") {
                set("attention_chunk_size", json!(chunk));
            }
        }
        "gemma3n" => {
            // llama.cpp's Gemma 3n keeps K/V for the first 20 layers
            // (`n_layer_kv_from_start`); the rest share them.
            set("num_kv_shared_layers", json!(n_layer.saturating_sub(20)));
            if let Some(p) = key("embedding_length_per_layer_input") {
                set("hidden_size_per_layer_input", json!(p));
            }
        }
        "rwkv6" | "rwkv7" => {
            let pairs: &[(&str, &str)] = &[
                ("wkv.head_size", "head_dim"),
                ("feed_forward_length", "intermediate_size"),
                ("token_shift_count", "token_shift_count"),
                ("time_mix_extra_dim", "time_mix_extra_dim"),
                ("time_decay_extra_dim", "time_decay_extra_dim"),
                ("attention.decay_lora_rank", "decay_low_rank_dim"),
                ("attention.iclr_lora_rank", "a_low_rank_dim"),
                ("attention.value_residual_mix_lora_rank", "v_low_rank_dim"),
                ("attention.gate_lora_rank", "gate_low_rank_dim"),
            ];
            for (gguf, field) in pairs {
                if let Some(v) = key(gguf) {
                    set(field, json!(v));
                }
            }
        }
        // An architecture vramfit has no reader for: when its metadata
        // shows recurrent layers, say so (the unknown-type path then
        // refuses it by this field) rather than read it as Llama.
        _ => {
            let recurrent = key("ssm.state_size").is_some()
                || key("wkv.head_size").is_some()
                || kv_heads.contains(&0);
            if recurrent {
                set("layers_block_type", json!(kinds("attention", "recurrent")));
            }
        }
    }
}

/// The Mamba sizes hybrids name with a prefix (`mamba_d_state`…).
fn ssm_fields(
    key: &dyn Fn(&str) -> Option<u64>,
    inner: Option<u64>,
    n_embd: u64,
    set: &mut dyn FnMut(&str, serde_json::Value),
    prefix: &str,
) {
    if let Some(s) = key("ssm.state_size") {
        set(&format!("{prefix}d_state"), json!(s));
    }
    if let Some(k) = key("ssm.conv_kernel") {
        set(&format!("{prefix}d_conv"), json!(k));
    }
    if let Some(inner) = inner {
        set(
            &format!("{prefix}expand"),
            json!((inner / n_embd.max(1)).max(1)),
        );
    }
}
