//! Kimi K2.5's image side (`modeling_kimi_k25.py`, `Kimi_K25VisionModel`
//! and `Kimi_K25MultimodalProjection`): a MoonViT — a biased Conv2d patch
//! embedding, a learned `pos_emb_height × pos_emb_width` position grid
//! (interpolated; the time axis is a sinusoidal buffer), blocks of
//! LayerNorms, biased Q/K/V/output and a biased two-layer MLP, and a final
//! LayerNorm. The projector (`mm_projector`) is a LayerNorm of the
//! wrapper's `projection_hidden_size`, then two biased Linears: the
//! `merge_kernel_size` patches concatenated into the same width, and that
//! into the text width.

use super::vit::{encoder, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

/// The processor's default limit on patches per image
/// (`Kimi_K25ImageProcessor.max_patches`).
const MAX_PATCHES: u64 = 16384;

/// Kimi K2.5: MoonViT and its projection; an image is at most
/// `16384 / merge²` tokens.
pub(crate) fn kimi_k25(
    wrapper: &Fields,
    v: &Fields,
    text_embd: u64,
) -> Result<Vision, ConfigError> {
    let n_embd = v.dim_or("hidden_size", 1152)?;
    let n_head = v.dim_or("num_attention_heads", 16)?;
    let patch = v.dim_or("patch_size", 14)?;
    let d = Dims {
        n_embd,
        n_ff: v.dim_or("intermediate_size", 4304)?,
        n_layer: v.layers_or("num_hidden_layers", 27)?,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: 3,
        patch,
        image: MAX_PATCHES.isqrt() * patch,
    };
    let o = Vit {
        patch_bias: true,
        post_norm: true,
        qkv_bias: true,
        o_bias: true,
        mlp_bias: true,
        layer_norm: true,
        ..Vit::default()
    };
    let mut t = encoder(&d, &o)?;
    let grid = v.dim_or("pos_emb_height", 64)? * v.dim_or("pos_emb_width", 64)?;
    t.insert(
        2,
        Tensor::matrix("v.position_embd.weight", Kind::PosEmbd, n_embd, grid),
    );
    let (mh, mw) = match v.indices("merge_kernel_size")?[..] {
        [] => (2, 2),
        [h, w] => (h, w),
        _ => {
            return Err(invalid(
                "merge_kernel_size",
                "must list two sizes (height, width)".into(),
            ))
        }
    };
    let merged = n_embd * mh * mw;
    let mut projector = Vec::new();
    norm(
        &mut projector,
        "mm.pre_norm",
        wrapper.dim_or("projection_hidden_size", 1152)?,
        true,
    );
    linear(&mut projector, "mm.1", merged, merged, true);
    linear(&mut projector, "mm.2", merged, text_embd, true);
    Ok(Vision {
        encoder: t,
        projector,
        n_embd,
        n_layer: d.n_layer,
        n_head,
        patch_size: patch,
        image_size: d.image,
        tokens: ImageTokens::Dynamic {
            patch,
            merge: mh,
            min_pixels: patch * patch * mh * mw,
            max_pixels: MAX_PATCHES * patch * patch,
        },
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Unmeasured,
        video: false,
    })
}
