//! Qwen2-VL's image side (`modeling_qwen2_vl.py`,
//! `Qwen2VisionTransformer`): an unbiased Conv3d patch embedding over
//! `temporal_patch_size` frames, `depth` blocks of LayerNorms, a fused
//! biased QKV, a biased output and a biased fc1/fc2 MLP of
//! `embed_dim × mlp_ratio`, 2-D RoPE and no learned positions; then the
//! patch merger (a LayerNorm, two biased layers over `spatial_merge_size²`
//! patches). Unlike its successors, `embed_dim` is the tower's width and
//! `hidden_size` the merger's output (the text width).

use super::vit::{encoder, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

const VIT: Vit = Vit {
    cls: false,
    positions: false,
    patch_bias: false,
    pre_norm: false,
    post_norm: false,
    qkv_bias: true,
    o_bias: true,
    mlp_bias: true,
    layer_norm: true,
    gated: false,
    layer_scale: false,
    temporal: 2,
};

/// Qwen2-VL: the native-resolution ViT and its merger; an image is
/// `pixels / (patch × merge)²` tokens.
pub(crate) fn qwen2_vl(
    _wrapper: &Fields,
    v: &Fields,
    _text_embd: u64,
) -> Result<Vision, ConfigError> {
    let n_embd = v.dim_or("embed_dim", 1280)?;
    let n_head = v.dim_or("num_heads", 16)?;
    let ratio = v.number("mlp_ratio")?.unwrap_or(4.0);
    if !(ratio > 0.0 && ratio <= 64.0) {
        return Err(invalid(
            "mlp_ratio",
            format!("must be in (0, 64], got {ratio}"),
        ));
    }
    let patch = v.dim_or("patch_size", 14)?;
    let d = Dims {
        n_embd,
        // int(embed_dim * mlp_ratio), as the modeling file truncates it.
        n_ff: (n_embd as f64 * ratio) as u64,
        n_layer: v.layers_or("depth", 32)?,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: v.dim_or("in_channels", 3)?,
        patch,
        image: patch,
    };
    let o = Vit {
        temporal: v.dim_or("temporal_patch_size", 2)?,
        ..VIT
    };
    let t = encoder(&d, &o)?;
    let merge = v.dim_or("spatial_merge_size", 2)?;
    let out = v.dim_or("hidden_size", 3584)?;
    let wide = n_embd * merge * merge;
    let mut projector = Vec::new();
    norm(&mut projector, "mm.merger.norm", n_embd, true);
    linear(&mut projector, "mm.merger.fc1", wide, wide, true);
    linear(&mut projector, "mm.merger.fc2", wide, out, true);
    Ok(Vision {
        encoder: t,
        projector,
        n_embd,
        n_layer: d.n_layer,
        n_head,
        patch_size: patch,
        image_size: 0,
        tokens: ImageTokens::Dynamic {
            patch,
            merge,
            min_pixels: 56 * 56,
            max_pixels: 28 * 28 * 16384,
        },
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Qwen2Vl,
        video: true,
    })
}
