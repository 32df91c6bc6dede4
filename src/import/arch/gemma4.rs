//! Gemma 4's text model (`modeling_gemma4.py`, `Gemma4ForCausalLM`):
//! Gemma-style sandwich-normed layers, five sliding to one global by
//! default (the last layer is always global), per-head Q/K norms.
//!
//! Global layers have their own head size and, with `attention_k_eq_v`,
//! their own KV head count and no V projection (V is K): the config class
//! turns `global_head_dim` (512) and `num_global_key_value_heads` into a
//! `per_layer_config` of overrides by layer index, which is what a saved
//! config holds. The last `num_kv_shared_layers` layers have no K/V
//! projections and read the cache of the last earlier layer of their kind
//! (with `use_double_wide_mlp`, their MLP is twice as wide). With
//! `hidden_size_per_layer_input` (0 turns it off) every layer adds a
//! per-layer input embedding as Gemma 3n does; with `enable_moe_block`
//! every layer runs routed experts beside its dense MLP.

use super::*;

/// A layer's attention size: heads of `head_dim`, `n_head_kv` K/V heads.
#[derive(Clone, Copy)]
struct Size {
    head_dim: u64,
    n_head_kv: u64,
}

/// Per-layer overrides of `head_dim` and `num_key_value_heads`: the
/// config's `per_layer_config`, else the class's `global_head_dim` and
/// `num_global_key_value_heads` on the global layers.
fn layer_sizes(
    f: &Fields,
    base: Size,
    full: &[bool],
    k_eq_v: bool,
    warnings: &mut Vec<String>,
) -> Result<Vec<Size>, ConfigError> {
    const FIELD: &str = "per_layer_config";
    let mut sizes = vec![base; full.len()];
    let Some(overrides) = f.get(FIELD) else {
        let global = Size {
            head_dim: f.dim_or("global_head_dim", 512)?,
            n_head_kv: match f.opt_dim("num_global_key_value_heads")? {
                Some(n) if k_eq_v => n,
                _ => base.n_head_kv,
            },
        };
        for (size, _) in sizes.iter_mut().zip(full).filter(|(_, &full)| full) {
            *size = global;
        }
        return Ok(sizes);
    };
    let Value::Object(overrides) = overrides else {
        return Err(invalid(FIELD, "must map layer indices to overrides".into()));
    };
    for (key, value) in overrides {
        let size = key
            .parse::<usize>()
            .ok()
            .and_then(|i| sizes.get_mut(i))
            .ok_or_else(|| {
                invalid(
                    FIELD,
                    format!(
                        "has key {key:?}; keys are layer indices below {}",
                        full.len()
                    ),
                )
            })?;
        let Value::Object(fields) = value else {
            return Err(invalid(FIELD, format!("[{key}] must be an object")));
        };
        for (name, v) in fields {
            let n = v.as_u64().filter(|n| (1..=MAX_DIM).contains(n));
            match (name.as_str(), n) {
                ("head_dim", Some(n)) => size.head_dim = n,
                ("num_key_value_heads", Some(n)) => size.n_head_kv = n,
                ("head_dim" | "num_key_value_heads", None) => {
                    return Err(invalid(
                        FIELD,
                        format!("[{key}].{name} must be a positive integer, got {v}"),
                    ))
                }
                _ => warnings.push(format!(
                    "per_layer_config[{key}].{name} is not read: only head_dim and num_key_value_heads change a layer's shape"
                )),
            }
        }
    }
    Ok(sizes)
}

/// Reads `gemma4_text` (and a `gemma4` config's `text_config`).
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d = class_dims(
        f,
        &ClassDefaults {
            vocab_size: 262_144,
            hidden_size: 2304,
            intermediate_size: 9216,
            num_hidden_layers: 30,
            num_attention_heads: 8,
            num_key_value_heads: Some(4),
            head_dim: Some(256),
            max_position_embeddings: 131_072,
            tie_word_embeddings: true,
        },
    )?;
    let n_embd = d.n_embd;
    let n = d.n_layer as usize;
    let mut full = f
        .kinds("layer_types", d.n_layer, |k| match k {
            "sliding_attention" => Some(false),
            "full_attention" => Some(true),
            _ => None,
        })?
        .unwrap_or_else(|| (0..d.n_layer).map(|i| (i + 1).is_multiple_of(6)).collect());
    // The config class forces the last layer to global attention.
    if let Some(last) = full.last_mut() {
        *last = true;
    }
    let mut window = f.dim_or("sliding_window", 512)?;
    if f.string("use_bidirectional_attention")? == Some("all") {
        window = window / 2 + 1;
    }
    let k_eq_v = f.flag("attention_k_eq_v", false)?;
    let base = Size {
        head_dim: d.head_dim,
        n_head_kv: d.n_head_kv,
    };
    let sizes = layer_sizes(f, base, &full, k_eq_v, warnings)?;
    let shared = f.opt_count("num_kv_shared_layers")?.unwrap_or(0) as usize;
    if shared > n {
        return Err(invalid(
            "num_kv_shared_layers",
            format!("({shared}) is more than num_hidden_layers ({n})"),
        ));
    }
    let first_shared = n - shared;
    if shared > 0 && shared < n {
        let produced = |kind: bool| full[..first_shared].contains(&kind);
        if full[first_shared..].iter().any(|&k| !produced(k)) {
            return Err(invalid(
                "num_kv_shared_layers",
                format!(
                    "({shared}) leaves a kind of layer among the last {shared} that no earlier layer caches"
                ),
            ));
        }
    }
    let double_wide = f.flag("use_double_wide_mlp", false)?;
    let per_layer = f.opt_count("hidden_size_per_layer_input")?.unwrap_or(256);
    let per_layer_vocab = f.dim_or("vocab_size_per_layer_input", 262_144)?;
    let moe = if f.flag("enable_moe_block", false)? {
        let m = routed_experts(f, &["num_experts"], None, &["top_k_experts"], None)?;
        Some(Moe {
            n_expert: m.n_expert,
            n_expert_used: m.n_expert_used,
            n_expert_shared: 0,
        })
    } else {
        None
    };
    let moe_ff = match moe {
        Some(_) => f.dim("moe_intermediate_size")?,
        None => 0,
    };
    let bias = f.flag("attention_bias", false)?;
    let mut layers = Vec::with_capacity(n);
    for (i, (&is_full, size)) in full.iter().zip(&sizes).enumerate() {
        let shares_kv = i >= first_shared;
        let mut t = Vec::new();
        let q_dim = d.n_head * size.head_dim;
        let kv_dim = size.n_head_kv * size.head_dim;
        t.push(Tensor::matrix("attn_q.weight", Kind::AttnQ, n_embd, q_dim));
        norm(&mut t, "attn_q_norm", size.head_dim, false);
        if bias {
            t.push(Tensor::vector("attn_q.bias", q_dim));
        }
        if !shares_kv {
            norm(&mut t, "attn_k_norm", size.head_dim, false);
            t.push(Tensor::matrix("attn_k.weight", Kind::AttnK, n_embd, kv_dim));
            if bias {
                t.push(Tensor::vector("attn_k.bias", kv_dim));
            }
            // Global layers with `attention_k_eq_v` reuse K as V.
            if !(k_eq_v && is_full) {
                t.push(Tensor::matrix("attn_v.weight", Kind::AttnV, n_embd, kv_dim));
                if bias {
                    t.push(Tensor::vector("attn_v.bias", kv_dim));
                }
            }
        }
        t.push(Tensor::matrix(
            "attn_output.weight",
            Kind::AttnOutput,
            q_dim,
            n_embd,
        ));
        if bias {
            t.push(Tensor::vector("attn_output.bias", n_embd));
        }
        let n_ff = if double_wide && shares_kv {
            2 * d.n_ff
        } else {
            d.n_ff
        };
        mlp(&mut t, n_embd, n_ff, true, false);
        for name in [
            "attn_norm",
            "post_attention_norm",
            "ffn_norm",
            "post_ffw_norm",
        ] {
            norm(&mut t, name, n_embd, false);
        }
        if per_layer > 0 {
            super::gemma3n::per_layer_input(&mut t, n_embd, per_layer);
        }
        if let Some(m) = moe {
            // The router: a scale on its normed input, the projection and
            // a scale per expert; then the experts and their three norms.
            t.push(Tensor::vector("ffn_gate_inp.scale", n_embd));
            router(&mut t, n_embd, m.n_expert);
            t.push(Tensor::vector("ffn_gate_inp.expert_scale", m.n_expert));
            experts(&mut t, n_embd, moe_ff, m.n_expert);
            for name in ["post_ffw_norm_1", "post_ffw_norm_2", "pre_ffw_norm_2"] {
                norm(&mut t, name, n_embd, false);
            }
        }
        let mut attention = Attention::heads(d.n_head, size.n_head_kv, size.head_dim);
        if !is_full {
            attention.window = Window::Sliding(window);
        }
        attention.shares_kv = shares_kv;
        layers.push(layer(Some(attention), None, t));
    }
    let mut spec = decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: d.n_vocab,
            n_ctx_train: f.dim_or("max_position_embeddings", 131_072)?,
            tied: f.flag("tie_word_embeddings", true)?,
            norm_bias: false,
            moe,
            llama_cpp_swa: true,
        },
        layers,
    );
    if per_layer > 0 {
        // Per-layer embeddings, packed for all layers, and their projection
        // from the hidden state.
        spec.globals.push(Tensor::matrix(
            "per_layer_token_embd.weight",
            Kind::TokenEmbd,
            d.n_layer * per_layer,
            per_layer_vocab,
        ));
        spec.globals.push(Tensor::matrix(
            "per_layer_model_proj.weight",
            Kind::Other,
            n_embd,
            d.n_layer * per_layer,
        ));
        spec.globals
            .push(Tensor::vector("per_layer_proj_norm.weight", per_layer));
    }
    Ok(spec)
}
