// Shared by tests/params.rs and tests/bench/accuracy.rs: configs no one
// published, perturbed field by field, each with the parameter count of a
// closed form written independently from each family's modeling code.

use serde_json::{json, Value};

/// One perturbed config and its closed-form (total, active) count.
struct Perturbed {
    label: String,
    config: Value,
    total: u64,
    active: u64,
}

/// Llama-family closed form (LlamaForCausalLM / MistralForCausalLM /
/// Qwen2ForCausalLM): embeddings, lm_head unless tied, per layer q/k/v/o,
/// gated MLP, two RMSNorms, optional q/k/v (+o) biases; final norm.
fn llama_like(c: &Value, qkv_bias: bool, o_bias: bool) -> u64 {
    let g = |k: &str| c[k].as_u64().unwrap();
    let (h, i, l, nh, v) = (
        g("hidden_size"),
        g("intermediate_size"),
        g("num_hidden_layers"),
        g("num_attention_heads"),
        g("vocab_size"),
    );
    let nkv = c["num_key_value_heads"].as_u64().unwrap_or(nh);
    let hd = c["head_dim"].as_u64().unwrap_or(h / nh);
    let tied = c["tie_word_embeddings"].as_bool().unwrap_or(false);
    let attn = h * nh * hd * 2 + h * nkv * hd * 2;
    let bias = if qkv_bias { nh * hd + 2 * nkv * hd } else { 0 } + if o_bias { h } else { 0 };
    v * h * if tied { 1 } else { 2 } + l * (attn + bias + 3 * h * i + 2 * h) + h
}

fn perturbed() -> Vec<Perturbed> {
    let mut cases = Vec::new();
    let mut push = |label: String, config: Value, total: u64, active: u64| {
        cases.push(Perturbed {
            label,
            config,
            total,
            active,
        })
    };

    // Llama, Qwen2 and Mistral, one field at a time.
    let base = json!({"model_type": "llama", "hidden_size": 4096, "intermediate_size": 11008,
        "num_hidden_layers": 32, "num_attention_heads": 32, "vocab_size": 32000});
    let perturbations = [
        json!({}),
        json!({"num_hidden_layers": 7}),
        json!({"hidden_size": 2560, "num_attention_heads": 20}),
        json!({"vocab_size": 50257}),
        json!({"num_key_value_heads": 4}),
        json!({"num_key_value_heads": 1, "head_dim": 96}),
        json!({"tie_word_embeddings": true}),
        json!({"intermediate_size": 1}),
        json!({"attention_bias": true}),
    ];
    for p in perturbations {
        let mut c = base.clone();
        c.as_object_mut()
            .unwrap()
            .extend(p.as_object().unwrap().clone());
        let bias = c["attention_bias"].as_bool().unwrap_or(false);
        for (model_type, qkv_bias, o_bias) in
            [("llama", bias, bias), ("qwen2", true, false), ("mistral", bias, bias)]
        {
            c["model_type"] = json!(model_type);
            let total = llama_like(&c, qkv_bias, o_bias);
            let change = if p == json!({}) {
                "base (Llama-2-7B shapes)".to_string()
            } else {
                p.to_string()
            };
            push(format!("{model_type} {change}"), c.clone(), total, total);
        }
    }

    // Mixtral: router h×E plus E gated experts per layer; active takes k of E.
    for (experts, used, layers) in [(8u64, 2u64, 32u64), (4, 1, 3), (16, 4, 5)] {
        let c = json!({"model_type": "mixtral", "hidden_size": 512, "intermediate_size": 1024,
            "num_hidden_layers": layers, "num_attention_heads": 8, "num_key_value_heads": 2,
            "vocab_size": 1000, "num_local_experts": experts, "num_experts_per_tok": used});
        let (h, i, v) = (512u64, 1024u64, 1000u64);
        let attn = h * h * 2 + h * 128 * 2;
        let expert = 3 * h * i;
        let total = 2 * v * h + h + layers * (attn + 2 * h + h * experts + experts * expert);
        let active = total - layers * (experts - used) * expert;
        push(format!("mixtral {experts} experts, top {used}, {layers} layers"), c, total, active);
    }

    // Qwen3-MoE: dense layers from mlp_only_layers and decoder_sparse_step.
    let c = json!({"model_type": "qwen3_moe", "hidden_size": 256, "intermediate_size": 768,
        "moe_intermediate_size": 64, "num_hidden_layers": 6, "num_attention_heads": 4,
        "num_key_value_heads": 2, "head_dim": 64, "vocab_size": 1000, "num_experts": 16,
        "num_experts_per_tok": 4, "decoder_sparse_step": 2, "mlp_only_layers": [3]});
    // Sparse layers: (i+1) % 2 == 0 and i != 3 → 1, 5. Dense: 0, 2, 3, 4.
    let (h, v) = (256u64, 1000u64);
    let attn = h * 256 * 2 + h * 128 * 2 + 2 * 64 + 2 * h;
    let dense = 3 * h * 768;
    let sparse = h * 16 + 16 * 3 * h * 64;
    let total = 2 * v * h + h + 6 * attn + 4 * dense + 2 * sparse;
    let active = total - 2 * 12 * 3 * h * 64;
    push("qwen3_moe sparse step 2, mlp_only_layers [3]".into(), c, total, active);

    // DeepSeek-V2 with q_lora_rank (as V3 uses), 2 dense layers then MoE.
    let c = json!({"model_type": "deepseek_v3", "hidden_size": 256, "intermediate_size": 512,
        "moe_intermediate_size": 64, "num_hidden_layers": 5, "num_attention_heads": 4,
        "n_routed_experts": 8, "n_shared_experts": 1, "num_experts_per_tok": 2,
        "first_k_dense_replace": 2, "kv_lora_rank": 32, "q_lora_rank": 48, "qk_rope_head_dim": 16,
        "qk_nope_head_dim": 32, "v_head_dim": 24, "vocab_size": 1000});
    let (h, nh, v) = (256u64, 4u64, 1000u64);
    let attn = h * 48 + 48 + 48 * nh * 48 + h * (32 + 16) + 32 + 32 * nh * (32 + 24) + nh * 24 * h;
    let dense = 3 * h * 512;
    let moe = h * 8 + 8 * 3 * h * 64 + 3 * h * 64;
    let total = 2 * v * h + h + 5 * (attn + 2 * h) + 2 * dense + 3 * moe;
    let active = total - 3 * 6 * 3 * h * 64;
    push("deepseek_v3 MLA + q_lora, shared expert, 2 dense layers".into(), c, total, active);

    // T5 v1.0 (relu, tied) and v1.1 (gated, untied), decoder depth differing.
    for (gated, tied) in [(false, true), (true, false)] {
        let c = json!({"model_type": "t5", "d_model": 128, "d_ff": 320, "d_kv": 16, "num_heads": 4,
            "num_layers": 3, "num_decoder_layers": 2, "vocab_size": 500,
            "feed_forward_proj": if gated { "gated-gelu" } else { "relu" }, "tie_word_embeddings": tied});
        let (d, ff, inner, v) = (128u64, 320u64, 64u64, 500u64);
        let attn = 4 * d * inner;
        let ffn = if gated { 3 } else { 2 } * d * ff;
        let rel = 32 * 4;
        let enc = 3 * (attn + ffn + 2 * d) + rel + d;
        let dec = 2 * (2 * attn + ffn + 3 * d) + rel + d;
        let total = v * d * if tied { 1 } else { 2 } + enc + dec;
        let label = if gated { "t5 v1.1 gated, untied" } else { "t5 v1.0 relu, tied" };
        push(label.into(), c, total, total);
    }

    // BERT with a pooler.
    let c = json!({"model_type": "bert", "hidden_size": 64, "num_hidden_layers": 3,
        "num_attention_heads": 4, "intermediate_size": 100, "vocab_size": 300,
        "max_position_embeddings": 40, "type_vocab_size": 3});
    let (h, i) = (64u64, 100u64);
    let layer = 4 * (h * h + h) + (h * i + i) + (i * h + h) + 4 * h;
    let total = 300 * h + 40 * h + 3 * h + 2 * h + 3 * layer + h * h + h;
    push("bert with pooler, 3 token types".into(), c, total, total);
    cases
}
