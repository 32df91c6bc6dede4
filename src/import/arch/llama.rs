//! Llama-style decoders: `llama`, `mistral`, `mixtral`, `qwen2`,
//! `qwen2_moe`, `qwen3`, `qwen3_moe`, `gemma`, `gemma2`, `gemma3_text`,
//! `phi3`, `deepseek_v2`/`deepseek_v3` (MLA) and `gpt_oss`, following
//! transformers' `modeling_llama.py` and its siblings: pre-norm blocks of
//! attention and a gated MLP or routed experts, with each family's biases,
//! Q/K norms, sandwich norms, fused projections, sinks and sliding layers.
//! It also reads an unknown `model_type` from the standard fields.

use super::*;
use crate::estimate::model::{Attention, Layer, ModelType, Moe, Stack, Window};

/// Reads a Llama-style decoder.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    decoder(f, model_type)
}

/// Which layers use a sliding window, per the family's convention.
fn sliding_layers(
    f: &Fields,
    model_type: &str,
    n_layer: u64,
) -> Result<(Option<u64>, Vec<bool>), ConfigError> {
    let n = n_layer as usize;
    let window = match model_type {
        // MistralConfig defaults sliding_window to 4096; null disables it.
        "mistral" if f.0.contains_key("sliding_window") => f.opt_dim("sliding_window")?,
        "mistral" => Some(4096),
        "gemma2" => Some(f.dim_or("sliding_window", 4096)?),
        "gemma3_text" => Some(f.dim_or("sliding_window", 4096)?),
        _ => f.opt_dim("sliding_window")?,
    };
    let Some(window) = window else {
        return Ok((None, vec![false; n]));
    };
    if let Some(types) = f.layer_types(n_layer)? {
        return Ok((Some(window), types));
    }
    let pattern: Vec<bool> = match model_type {
        "mistral" | "mixtral" | "phi3" | "llama" => vec![true; n],
        // Qwen2/Qwen3: only when use_sliding_window, and only from max_window_layers on.
        "qwen2" | "qwen2_moe" | "qwen3" | "qwen3_moe" => {
            if f.flag("use_sliding_window", false)? {
                let from = f.dim_or("max_window_layers", n_layer)? as usize;
                (0..n).map(|i| i >= from).collect()
            } else {
                vec![false; n]
            }
        }
        // Gemma 2: even layers local, odd layers global.
        "gemma2" => (0..n).map(|i| i % 2 == 0).collect(),
        // Gemma 3: every `sliding_window_pattern`-th layer global (default 6).
        "gemma3_text" => {
            let every = f.dim_or("sliding_window_pattern", 6)? as usize;
            (0..n).map(|i| (i + 1) % every != 0).collect()
        }
        // gpt-oss: alternating, starting with a sliding layer.
        "gpt_oss" => (0..n).map(|i| i % 2 == 0).collect(),
        _ => vec![false; n],
    };
    let any = pattern.iter().any(|&s| s);
    Ok((any.then_some(window), pattern))
}

/// Decoder-only families (dense and MoE).
fn decoder(f: &Fields, model_type: &str) -> Result<ModelSpec, ConfigError> {
    let d = decoder_dims(f, model_type)?;
    let DecoderDims {
        n_embd,
        n_ff,
        n_layer,
        n_head,
        n_head_kv,
        head_dim,
        n_vocab,
    } = d;
    let is_gemma = matches!(model_type, "gemma" | "gemma2" | "gemma3_text");
    let tied_default = is_gemma;
    let tied = f.flag("tie_word_embeddings", tied_default)?;
    let is_mla = matches!(model_type, "deepseek_v2" | "deepseek_v3");

    // Attention biases: Qwen2 and Qwen2-MoE always bias q/k/v (not o);
    // gpt-oss biases all four by default; others follow `attention_bias`.
    let (qkv_bias, o_bias) = match model_type {
        "qwen2" | "qwen2_moe" => (f.flag("qkv_bias", true)?, false),
        "gpt_oss" => {
            let b = f.flag("attention_bias", true)?;
            (b, b)
        }
        _ => {
            let b = f.flag("attention_bias", false)?;
            (b, b)
        }
    };
    let mlp_bias = f.flag("mlp_bias", false)?;
    let qk_norm = matches!(model_type, "qwen3" | "qwen3_moe" | "gemma3_text");
    let sandwich_norms = matches!(model_type, "gemma2" | "gemma3_text");
    let fused = model_type == "phi3";
    let sinks = model_type == "gpt_oss";
    let (window, sliding) = sliding_layers(f, model_type, n_layer)?;

    // Mixture of experts.
    let moe = match model_type {
        "mixtral" | "gpt_oss" => moe_fields(f, "num_local_experts")?,
        // transformers 5 writes Qwen's `num_experts` as `num_local_experts`.
        "qwen2_moe" | "qwen3_moe" if f.get("num_experts").is_none() => {
            moe_fields(f, "num_local_experts")?
        }
        "qwen2_moe" | "qwen3_moe" => moe_fields(f, "num_experts")?,
        "deepseek_v2" | "deepseek_v3" => moe_fields(f, "n_routed_experts")?,
        _ => None,
    };
    let moe_ff = match model_type {
        "qwen2_moe" | "qwen3_moe" | "deepseek_v2" | "deepseek_v3" if moe.is_some() => {
            f.dim("moe_intermediate_size")?
        }
        _ => n_ff,
    };
    let n_shared = match model_type {
        "deepseek_v2" | "deepseek_v3" => f.opt_count("n_shared_experts")?.unwrap_or(0),
        _ => 0,
    };
    let shared_expert_ff = match model_type {
        "qwen2_moe" if moe.is_some() => {
            f.opt_count("shared_expert_intermediate_size")?.unwrap_or(0)
        }
        _ => 0,
    };
    // Which layers are sparse.
    let sparse_step = match model_type {
        "qwen2_moe" | "qwen3_moe" => f.dim_or("decoder_sparse_step", 1)?,
        "deepseek_v2" | "deepseek_v3" => f.dim_or("moe_layer_freq", 1)?,
        _ => 1,
    };
    let mlp_only = f.indices("mlp_only_layers")?;
    let first_dense = match model_type {
        "deepseek_v2" | "deepseek_v3" => f.opt_count("first_k_dense_replace")?.unwrap_or(0),
        _ => 0,
    };
    if first_dense > n_layer {
        return Err(invalid(
            "first_k_dense_replace",
            format!("({first_dense}) is more than num_hidden_layers ({n_layer})"),
        ));
    }
    let is_sparse = |i: u64| -> bool {
        moe.is_some()
            && match model_type {
                "qwen2_moe" | "qwen3_moe" => {
                    !mlp_only.contains(&i) && (i + 1).is_multiple_of(sparse_step)
                }
                "deepseek_v2" | "deepseek_v3" => i >= first_dense && i.is_multiple_of(sparse_step),
                _ => true,
            }
    };

    // MLA dimensions (DeepSeek-V2/V3).
    let mla_dims = if is_mla {
        let kv_lora_rank = f.dim("kv_lora_rank")?;
        let q_lora_rank = f.opt_dim("q_lora_rank")?;
        let rope = f.dim("qk_rope_head_dim")?;
        let nope = f.dim("qk_nope_head_dim")?;
        let v_head = f.dim("v_head_dim")?;
        Some((kv_lora_rank, q_lora_rank, rope, nope, v_head))
    } else {
        None
    };

    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let mut t = Vec::new();
        t.push(Tensor::vector("attn_norm.weight", n_embd));
        let attention =
            if let Some((kv_lora_rank, q_lora_rank, rope_dim, nope_dim, v_head_dim)) = mla_dims {
                mla(
                    &mut t,
                    &Mla {
                        n_embd,
                        n_head,
                        q_lora_rank,
                        kv_lora_rank,
                        rope_dim,
                        nope_dim,
                        v_head_dim,
                        a_bias: qkv_bias,
                        o_bias,
                    },
                )
            } else {
                let q_dim = n_head * head_dim;
                let kv_dim = n_head_kv * head_dim;
                if fused {
                    t.push(Tensor::matrix(
                        "attn_qkv.weight",
                        Kind::AttnQkv,
                        n_embd,
                        q_dim + 2 * kv_dim,
                    ));
                } else {
                    t.push(Tensor::matrix("attn_q.weight", Kind::AttnQ, n_embd, q_dim));
                    t.push(Tensor::matrix("attn_k.weight", Kind::AttnK, n_embd, kv_dim));
                    t.push(Tensor::matrix("attn_v.weight", Kind::AttnV, n_embd, kv_dim));
                }
                t.push(Tensor::matrix(
                    "attn_output.weight",
                    Kind::AttnOutput,
                    q_dim,
                    n_embd,
                ));
                if qkv_bias {
                    t.push(Tensor::vector("attn_q.bias", q_dim));
                    t.push(Tensor::vector("attn_k.bias", kv_dim));
                    t.push(Tensor::vector("attn_v.bias", kv_dim));
                }
                if o_bias {
                    t.push(Tensor::vector("attn_output.bias", n_embd));
                }
                if qk_norm {
                    t.push(Tensor::vector("attn_q_norm.weight", head_dim));
                    t.push(Tensor::vector("attn_k_norm.weight", head_dim));
                }
                if sinks {
                    t.push(Tensor::vector("attn_sinks.weight", n_head));
                }
                let mut attention = Attention::heads(n_head, n_head_kv, head_dim);
                if let Some(w) = window.filter(|_| sliding[i as usize]) {
                    attention.window = Window::Sliding(w);
                }
                attention
            };
        if sandwich_norms {
            t.push(Tensor::vector("post_attention_norm.weight", n_embd));
            t.push(Tensor::vector("post_ffw_norm.weight", n_embd));
        }
        t.push(Tensor::vector("ffn_norm.weight", n_embd));
        match (&moe, is_sparse(i)) {
            (Some(m), true) => {
                router(&mut t, n_embd, m.n_expert);
                if model_type == "gpt_oss" {
                    t.push(Tensor::vector("ffn_gate_inp.bias", m.n_expert));
                    experts(&mut t, n_embd, moe_ff, m.n_expert);
                    t.push(Tensor::experts(
                        "ffn_gate_exps.bias",
                        Kind::Vector,
                        moe_ff,
                        1,
                        m.n_expert,
                    ));
                    t.push(Tensor::experts(
                        "ffn_up_exps.bias",
                        Kind::Vector,
                        moe_ff,
                        1,
                        m.n_expert,
                    ));
                    t.push(Tensor::experts(
                        "ffn_down_exps.bias",
                        Kind::Vector,
                        n_embd,
                        1,
                        m.n_expert,
                    ));
                } else {
                    experts(&mut t, n_embd, moe_ff, m.n_expert);
                }
                if n_shared > 0 {
                    shared_expert(&mut t, n_embd, moe_ff * n_shared);
                }
                if shared_expert_ff > 0 {
                    shared_expert(&mut t, n_embd, shared_expert_ff);
                    t.push(Tensor::matrix(
                        "ffn_gate_inp_shexp.weight",
                        Kind::FfnGateInp,
                        n_embd,
                        1,
                    ));
                }
            }
            _ if fused => {
                t.push(Tensor::matrix(
                    "ffn_up.weight",
                    Kind::FfnUp,
                    n_embd,
                    2 * n_ff,
                ));
                t.push(Tensor::matrix(
                    "ffn_down.weight",
                    Kind::FfnDown,
                    n_ff,
                    n_embd,
                ));
            }
            _ => mlp(&mut t, n_embd, n_ff, true, mlp_bias),
        }
        layers.push(Layer {
            stack: Stack::Decoder,
            attention: Some(attention),
            recurrent: None,
            cross_attention: None,
            tensors: t,
        });
    }

    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, n_embd, n_vocab),
        Tensor::vector("output_norm.weight", n_embd),
    ];
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            n_embd,
            n_vocab,
        ));
    }
    let n_ctx_train = f.dim_or(
        "max_position_embeddings",
        if is_gemma { 8192 } else { 4096 },
    )?;
    let moe = moe.map(|m| Moe {
        n_expert: m.n_expert,
        n_expert_used: m.n_expert_used,
        n_expert_shared: n_shared + u64::from(shared_expert_ff > 0),
    });
    Ok(ModelSpec {
        model_type: model_type.to_string(),
        class: if moe.is_some() {
            ModelType::MixtureOfExperts
        } else {
            ModelType::DecoderOnly
        },
        n_embd,
        n_vocab,
        n_ctx_train,
        tied_embeddings: tied,
        moe,
        llama_cpp_swa: matches!(model_type, "gemma2" | "gemma3_text" | "gpt_oss"),
        globals,
        layers,
        vision: None,
        stored: None,
    })
}
