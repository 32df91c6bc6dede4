//! Gemma 3n's text model (`modeling_gemma3n.py`, `Gemma3nForCausalLM`):
//! Gemma-style sandwich-normed layers, four sliding to one global by
//! default, each with AltUp (`altup_num_inputs` parallel streams), a
//! LAuReL low-rank residual and a per-layer input embedding. The last
//! `num_kv_shared_layers` layers have no K/V projections: they read the
//! cache of the last earlier layer of their kind and cache nothing.
//! `intermediate_size` may be one width or one per layer.

use super::hybrid_common::{heads, n_layer, product};
use super::*;
use crate::estimate::model::Window;

/// Reads `gemma3n_text` (and a `gemma3n` config's `text_config`).
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 2048)?;
    let n_layer = n_layer(f, 35)?;
    let (n_head, n_head_kv) = heads(f, 8, 2)?;
    let head_dim = f.dim_or("head_dim", 256)?;
    let n_ff: Vec<u64> = match f.get("intermediate_size") {
        Some(Value::Array(_)) => {
            let widths = f.indices("intermediate_size")?;
            if widths.len() as u64 != n_layer || widths.iter().any(|&w| w == 0 || w > MAX_DIM) {
                return Err(invalid(
                    "intermediate_size",
                    format!("must list one width per layer ({n_layer})"),
                ));
            }
            widths
        }
        _ => vec![f.dim_or("intermediate_size", 16384)?; n_layer as usize],
    };
    let window = f.dim_or("sliding_window", 512)?;
    let sliding = f
        .kinds("layer_types", n_layer, |k| match k {
            "sliding_attention" => Some(true),
            "full_attention" => Some(false),
            _ => None,
        })?
        .unwrap_or_else(|| (0..n_layer).map(|i| !(i + 1).is_multiple_of(5)).collect());
    let shared = f.opt_count("num_kv_shared_layers")?.unwrap_or(15);
    if shared > n_layer {
        return Err(invalid(
            "num_kv_shared_layers",
            format!("({shared}) is more than num_hidden_layers ({n_layer})"),
        ));
    }
    let streams = f.dim_or("altup_num_inputs", 4)?;
    if streams > 64 {
        return Err(invalid(
            "altup_num_inputs",
            format!("is {streams}; Gemma 3n uses 4 streams"),
        ));
    }
    product(
        "hidden_size_per_layer_input",
        n_layer,
        f.dim_or("hidden_size_per_layer_input", 256)?,
    )?;
    let laurel = f.dim_or("laurel_rank", 64)?;
    let per_layer = f.dim_or("hidden_size_per_layer_input", 256)?;
    let per_layer_vocab = f.dim_or("vocab_size_per_layer_input", 262_144)?;
    let bias = f.flag("attention_bias", false)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let shares_kv = i >= n_layer - shared;
        let mut t = Vec::new();
        let q_dim = n_head * head_dim;
        let kv_dim = n_head_kv * head_dim;
        t.push(Tensor::matrix("attn_q.weight", Kind::AttnQ, n_embd, q_dim));
        norm(&mut t, "attn_q_norm", head_dim, false);
        if !shares_kv {
            t.push(Tensor::matrix("attn_k.weight", Kind::AttnK, n_embd, kv_dim));
            t.push(Tensor::matrix("attn_v.weight", Kind::AttnV, n_embd, kv_dim));
            norm(&mut t, "attn_k_norm", head_dim, false);
        }
        t.push(Tensor::matrix(
            "attn_output.weight",
            Kind::AttnOutput,
            q_dim,
            n_embd,
        ));
        if bias {
            t.push(Tensor::vector("attn_q.bias", q_dim));
            if !shares_kv {
                t.push(Tensor::vector("attn_k.bias", kv_dim));
                t.push(Tensor::vector("attn_v.bias", kv_dim));
            }
            t.push(Tensor::vector("attn_output.bias", n_embd));
        }
        mlp(&mut t, n_embd, n_ff[i as usize], true, false);
        for n in [
            "attn_norm",
            "post_attention_norm",
            "ffn_norm",
            "post_ffw_norm",
        ] {
            norm(&mut t, n, n_embd, false);
        }
        // AltUp: output scale, correction and prediction coefficients,
        // the modality router and its norm.
        t.push(Tensor::vector("altup_correct_scale.weight", n_embd));
        t.push(Tensor::matrix(
            "altup_correct_coef.weight",
            Kind::Other,
            streams,
            streams,
        ));
        t.push(Tensor::matrix(
            "altup_predict_coef.weight",
            Kind::Other,
            streams,
            streams * streams,
        ));
        t.push(Tensor::matrix(
            "altup_router.weight",
            Kind::Other,
            n_embd,
            streams,
        ));
        norm(&mut t, "altup_router_norm", n_embd, false);
        // LAuReL's low-rank residual.
        t.push(Tensor::matrix(
            "laurel_l.weight",
            Kind::Other,
            n_embd,
            laurel,
        ));
        t.push(Tensor::matrix(
            "laurel_r.weight",
            Kind::Other,
            laurel,
            n_embd,
        ));
        norm(&mut t, "laurel_post_norm", n_embd, false);
        per_layer_input(&mut t, n_embd, per_layer);
        let mut attention = Attention::heads(n_head, n_head_kv, head_dim);
        if sliding[i as usize] {
            attention.window = Window::Sliding(window);
        }
        attention.shares_kv = shares_kv;
        layers.push(layer(Some(attention), None, t));
    }
    let mut spec = decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd,
            n_vocab: f.dim_or("vocab_size", 262_400)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 32768)?,
            tied: f.flag("tie_word_embeddings", true)?,
            norm_bias: false,
            moe: None,
            llama_cpp_swa: true,
        },
        layers,
    );
    // Per-layer embeddings, their projection from the hidden state, and
    // AltUp's projections into and out of the extra streams.
    spec.globals.push(Tensor::matrix(
        "per_layer_token_embd.weight",
        Kind::TokenEmbd,
        n_layer * per_layer,
        per_layer_vocab,
    ));
    spec.globals.push(Tensor::matrix(
        "per_layer_model_proj.weight",
        Kind::Other,
        n_embd,
        n_layer * per_layer,
    ));
    spec.globals
        .push(Tensor::vector("per_layer_proj_norm.weight", per_layer));
    for s in 1..streams {
        spec.globals.push(Tensor::matrix(
            &format!("altup_proj.{s}.weight"),
            Kind::Other,
            n_embd,
            n_embd,
        ));
        spec.globals.push(Tensor::matrix(
            &format!("altup_unembd_proj.{s}.weight"),
            Kind::Other,
            n_embd,
            n_embd,
        ));
    }
    Ok(spec)
}

/// The per-layer input Gemma 3n and Gemma 4 add to a block: a gate from the
/// hidden state to `per_layer` wide, its projection back, and a norm.
pub(crate) fn per_layer_input(t: &mut Vec<Tensor>, n_embd: u64, per_layer: u64) {
    t.push(Tensor::matrix(
        "inp_gate.weight",
        Kind::Other,
        n_embd,
        per_layer,
    ));
    t.push(Tensor::matrix(
        "proj.weight",
        Kind::Other,
        per_layer,
        n_embd,
    ));
    norm(t, "post_norm", n_embd, false);
}
