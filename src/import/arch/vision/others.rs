//! The other vision towers: CLIP for LLaVA (`modeling_llava.py`,
//! `modeling_clip.py`), InternViT for InternVL (`modeling_internvl.py`),
//! Pixtral for Mistral 3 (`modeling_pixtral.py`, `modeling_mistral3.py`),
//! Llama 4's (`modeling_llama4.py`) and Qwen-VL's (`modeling_qwen2_5_vl.py`,
//! `modeling_qwen3_vl.py`).

use std::collections::BTreeSet;

use super::vit::{dims, encoder, vision, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

/// How many layers' features a LLaVA-style projector concatenates.
fn feature_layers(wrapper: &Fields) -> u64 {
    match wrapper.get("vision_feature_layer") {
        Some(Value::Array(items)) => items.len().max(1) as u64,
        _ => 1,
    }
}

/// LLaVA: a CLIP (or SigLIP) tower whole, then a two-layer MLP projector;
/// `(image / patch)²` tokens per image (the class token is dropped).
pub(crate) fn llava(wrapper: &Fields, v: &Fields, text_embd: u64) -> Result<Vision, ConfigError> {
    let tower = v.string("model_type")?;
    let siglip = tower == Some("siglip_vision_model");
    let (d, o) = if tower == Some("pixtral") {
        let d = dims(v, [1024, 4096, 24, 16, 3, 16, 1024])?;
        (d, PIXTRAL)
    } else if siglip {
        let d = dims(v, [768, 3072, 12, 12, 3, 16, 224])?;
        let o = Vit {
            positions: true,
            patch_bias: true,
            post_norm: true,
            qkv_bias: true,
            o_bias: true,
            mlp_bias: true,
            layer_norm: true,
            temporal: 1,
            ..Vit::default()
        };
        (d, o)
    } else {
        let d = dims(v, [768, 3072, 12, 12, 3, 32, 224])?;
        let o = Vit {
            cls: true,
            positions: true,
            pre_norm: true,
            post_norm: true,
            qkv_bias: true,
            o_bias: true,
            mlp_bias: true,
            layer_norm: true,
            temporal: 1,
            ..Vit::default()
        };
        (d, o)
    };
    let mut t = encoder(&d, &o)?;
    if siglip && v.flag("vision_use_head", true)? {
        siglip_head(&mut t, &d);
    }
    let bias = wrapper.flag("multimodal_projector_bias", true)?;
    let mut projector = Vec::new();
    linear(
        &mut projector,
        "mm.0",
        d.n_embd * feature_layers(wrapper),
        text_embd,
        bias,
    );
    linear(&mut projector, "mm.2", text_embd, text_embd, bias);
    let side = d.image / d.patch;
    let tokens = ImageTokens::Fixed {
        tokens: side * side,
    };
    // clip.cpp's `clip_graph_llava` for a CLIP tower (class token) feeding
    // one layer's features to the MLP projector; a list of feature layers
    // (Granite Vision) keeps earlier hidden states alive, not measured.
    let one_layer = !matches!(wrapper.get("vision_feature_layer"), Some(Value::Array(_)));
    let clip_graph = if o.cls && one_layer {
        ClipGraph::VitCls
    } else {
        ClipGraph::Unmeasured
    };
    Ok(Vision {
        clip_graph,
        ..vision(&d, t, projector, tokens)
    })
}

/// SigLIP's pooling head, for LLaVA towers that keep it.
fn siglip_head(t: &mut Vec<Tensor>, d: &Dims) {
    let n = d.n_embd;
    t.push(Tensor::vector("v.head.probe", n));
    linear(t, "v.head.attn_in", n, 3 * n, true);
    linear(t, "v.head.attn_out", n, n, true);
    norm(t, "v.head.ln", n, true);
    linear(t, "v.head.ffn_up", n, d.n_ff, true);
    linear(t, "v.head.ffn_down", d.n_ff, n, true);
}

/// InternVL: InternViT (class token, absolute positions, layer scale,
/// optional Q/K norms, no final norm with mean pooling), then a LayerNorm
/// and two layers over the pixel-shuffled features (`downsample_ratio`).
pub(crate) fn internvl(
    wrapper: &Fields,
    v: &Fields,
    text_embd: u64,
) -> Result<Vision, ConfigError> {
    let pair = |field: &'static str, default: u64| -> Result<u64, ConfigError> {
        match v.get(field) {
            Some(Value::Array(items)) => items
                .first()
                .and_then(Value::as_u64)
                .filter(|&n| n > 0 && n <= MAX_DIM)
                .ok_or_else(|| invalid(field, "must be a positive size or pair".into())),
            _ => v.dim_or(field, default),
        }
    };
    let n_embd = v.dim_or("hidden_size", 1024)?;
    let n_head = v.dim_or("num_attention_heads", 16)?;
    let d = Dims {
        n_embd,
        n_ff: v.dim_or("intermediate_size", 4096)?,
        n_layer: v.dim_or("num_hidden_layers", 24)?,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: v.dim_or("num_channels", 3)?,
        patch: pair("patch_size", 14)?,
        image: pair("image_size", 448)?,
    };
    let layer_norm = v.string("norm_type")?.unwrap_or("layer_norm") == "layer_norm";
    let o = Vit {
        cls: true,
        positions: v.flag("use_absolute_position_embeddings", true)?,
        patch_bias: true,
        post_norm: !v.flag("use_mean_pooling", true)?,
        qkv_bias: v.flag("attention_bias", false)?,
        o_bias: true,
        mlp_bias: true,
        layer_norm,
        layer_scale: true,
        temporal: 1,
        ..Vit::default()
    };
    let mut t = encoder(&d, &o)?;
    if !o.positions {
        // The class token still needs its slot; nothing else changes.
    }
    if v.flag("use_mask_token", false)? {
        t.push(Tensor::vector("v.mask_token", n_embd));
    }
    if v.flag("use_qk_norm", false)? {
        for i in 0..d.n_layer {
            norm(
                &mut t,
                &format!("v.blk.{i}.attn_q_norm"),
                n_embd,
                layer_norm,
            );
            norm(
                &mut t,
                &format!("v.blk.{i}.attn_k_norm"),
                n_embd,
                layer_norm,
            );
        }
    }
    // `downsample_ratio` is a fraction (0.5): the features are shuffled
    // into `1 / ratio²` times the width.
    let ratio = wrapper.number("downsample_ratio")?.unwrap_or(0.5);
    if !(ratio > 0.0 && ratio <= 1.0) {
        return Err(invalid(
            "downsample_ratio",
            format!("must be in (0, 1], got {ratio}"),
        ));
    }
    let widen = (1.0 / (ratio * ratio)).round() as u64;
    let mut projector = Vec::new();
    norm(&mut projector, "mm.ln", n_embd * widen, true);
    linear(&mut projector, "mm.1", n_embd * widen, text_embd, true);
    linear(&mut projector, "mm.2", text_embd, text_embd, true);
    let tokens = ImageTokens::Tiles {
        per_tile: wrapper.dim_or("image_seq_length", 256)?,
        max_tiles: 13,
    };
    // InternVL's processor takes videos too.
    Ok(Vision {
        video: true,
        ..vision(&d, t, projector, tokens)
    })
}

/// Pixtral's ViT: RMSNorms, SwiGLU, no biases, 2-D RoPE.
const PIXTRAL: Vit = Vit {
    cls: false,
    positions: false,
    patch_bias: false,
    pre_norm: true,
    post_norm: false,
    qkv_bias: false,
    o_bias: false,
    mlp_bias: false,
    layer_norm: false,
    gated: true,
    layer_scale: false,
    temporal: 1,
};

/// Mistral 3: Pixtral (RMSNorms, SwiGLU, no biases, 2-D RoPE), then a norm,
/// the patch merger over `spatial_merge_size²` patches and two layers.
pub(crate) fn mistral3(
    wrapper: &Fields,
    v: &Fields,
    text_embd: u64,
) -> Result<Vision, ConfigError> {
    let d = dims(v, [1024, 4096, 24, 16, 3, 16, 1024])?;
    let t = encoder(&d, &PIXTRAL)?;
    let merge = wrapper.dim_or("spatial_merge_size", 2)?;
    let bias = wrapper.flag("multimodal_projector_bias", false)?;
    let mut projector = Vec::new();
    norm(&mut projector, "mm.input_norm", d.n_embd, false);
    linear(
        &mut projector,
        "mm.patch_merger",
        d.n_embd * merge * merge,
        d.n_embd,
        false,
    );
    linear(&mut projector, "mm.1", d.n_embd, text_embd, bias);
    linear(&mut projector, "mm.2", text_embd, text_embd, bias);
    let tokens = ImageTokens::Dynamic {
        patch: d.patch,
        merge,
        min_pixels: d.patch * d.patch * merge * merge,
        max_pixels: d.image * d.image,
    };
    Ok(vision(&d, t, projector, tokens))
}

/// Llama 4: a ViT with class token, learned positions, pre/post norms and
/// biases everywhere, an unbiased linear patch embedding; its pixel-shuffle
/// adapter MLP and the projector count as the projector.
pub(crate) fn llama4(wrapper: &Fields, v: &Fields, text_embd: u64) -> Result<Vision, ConfigError> {
    let d = dims(v, [768, 5632, 34, 16, 3, 14, 448])?;
    let o = Vit {
        cls: true,
        positions: true,
        pre_norm: true,
        post_norm: true,
        qkv_bias: true,
        o_bias: true,
        mlp_bias: true,
        layer_norm: true,
        temporal: 1,
        ..Vit::default()
    };
    let t = encoder(&d, &o)?;
    let input = v.dim_or("projector_input_dim", 4096)?;
    let output = v.dim_or("projector_output_dim", 4096)?;
    let vision_out = v.dim_or("vision_output_dim", 7680)?;
    let bias = wrapper.flag("multi_modal_projector_bias", false)?;
    let mut projector = Vec::new();
    linear(&mut projector, "mm.adapter.fc1", d.n_ff, input, false);
    linear(&mut projector, "mm.adapter.fc2", output, output, false);
    linear(&mut projector, "mm.1", vision_out, text_embd, bias);
    let side = d.image / d.patch;
    let tokens = ImageTokens::Tiles {
        // Pixel shuffle by 0.5 keeps a quarter of the patches per tile.
        per_tile: side * side / 4,
        max_tiles: 16,
    };
    Ok(vision(&d, t, projector, tokens))
}

/// Qwen2.5-VL: a windowed ViT (Conv3d patches over `temporal_patch_size`
/// frames, no bias; RMSNorms; fused biased QKV; SwiGLU with biases; 2-D
/// RoPE), then the merger (RMSNorm, two layers over `spatial_merge_size²`
/// patches).
pub(crate) fn qwen2_5_vl(
    _wrapper: &Fields,
    v: &Fields,
    _text_embd: u64,
) -> Result<Vision, ConfigError> {
    qwen_vl(v, false, 0)
}

/// Qwen3.5 / 3.6: Qwen3-VL's tower without deepstack mergers by default.
pub(crate) fn qwen3_5(
    _wrapper: &Fields,
    v: &Fields,
    _text_embd: u64,
) -> Result<Vision, ConfigError> {
    qwen_vl(v, true, 0)
}

/// Qwen3-VL: a biased Conv3d, learned positions (a square grid of
/// `num_position_embeddings`), LayerNorms, fc1/fc2 with biases; the merger
/// with LayerNorm, plus one "deepstack" merger per
/// `deepstack_visual_indexes` entry (its norm over the merged width).
pub(crate) fn qwen3_vl(
    _wrapper: &Fields,
    v: &Fields,
    _text_embd: u64,
) -> Result<Vision, ConfigError> {
    qwen_vl(v, true, 3)
}

fn qwen_vl(v: &Fields, v3: bool, deepstack_default: usize) -> Result<Vision, ConfigError> {
    let (hidden, ff, depth, patch) = if v3 {
        (1152, 4304, 27, 16)
    } else {
        (3584, 3420, 32, 14)
    };
    let n_embd = v.dim_or("hidden_size", hidden)?;
    let n_head = v.dim_or("num_heads", 16)?;
    let n_layer = v.dim_or("depth", depth)?;
    let d = Dims {
        n_embd,
        n_ff: v.dim_or("intermediate_size", ff)?,
        n_layer,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: v.dim_or("in_channels", 3)?,
        patch: v.dim_or("patch_size", patch)?,
        image: u64::MAX / 4,
    };
    let o = Vit {
        patch_bias: v3,
        qkv_bias: true,
        o_bias: true,
        mlp_bias: true,
        layer_norm: v3,
        gated: !v3,
        temporal: v.dim_or("temporal_patch_size", 2)?,
        ..Vit::default()
    };
    let mut t = encoder(
        &Dims {
            image: d.patch,
            ..d
        },
        &o,
    )?;
    if v3 {
        t.push(Tensor::matrix(
            "v.position_embd.weight",
            Kind::PosEmbd,
            n_embd,
            v.dim_or("num_position_embeddings", 2304)?,
        ));
    }
    let merge = v.dim_or("spatial_merge_size", 2)?;
    let out = v.dim_or("out_hidden_size", 3584)?;
    let wide = n_embd * merge * merge;
    let mut projector = Vec::new();
    let merger = |p: &mut Vec<Tensor>, name: &str, norm_width: u64| {
        norm(p, &format!("{name}.norm"), norm_width, v3);
        linear(p, &format!("{name}.fc1"), wide, wide, true);
        linear(p, &format!("{name}.fc2"), wide, out, true);
    };
    merger(&mut projector, "mm.merger", n_embd);
    if v3 {
        let deepstack = match v.get("deepstack_visual_indexes") {
            Some(_) => v.indices("deepstack_visual_indexes")?.len(),
            None => deepstack_default,
        };
        for i in 0..deepstack {
            merger(&mut projector, &format!("mm.deepstack.{i}"), wide);
        }
    }
    let tokens = ImageTokens::Dynamic {
        patch: d.patch,
        merge,
        min_pixels: 56 * 56,
        max_pixels: 28 * 28 * 16384,
    };
    let clip_graph = if v3 {
        ClipGraph::Unmeasured
    } else {
        // Every block attends within windows but those listed (clip.cpp
        // reads them as `n_wa_pattern`); Qwen2_5_VLVisionConfig's default
        // lists 7, 15, 23 and 31.
        let full: BTreeSet<u64> = match v.get("fullatt_block_indexes") {
            Some(_) => v.indices("fullatt_block_indexes")?.into_iter().collect(),
            None => [7, 15, 23, 31].into(),
        };
        let windowed_layers = n_layer - full.range(..n_layer).count() as u64;
        if windowed_layers > 0 {
            ClipGraph::QwenWindowed { windowed_layers }
        } else {
            ClipGraph::Unmeasured
        }
    };
    Ok(Vision {
        encoder: t,
        projector,
        n_embd,
        n_layer,
        n_head,
        patch_size: d.patch,
        image_size: 0,
        tokens,
        mmproj_f32_embeddings: false,
        clip_graph,
        video: true,
    })
}
