//! GLM-4.1V and GLM-4.5V's image side (`modeling_glm4v.py`,
//! `modeling_glm4v_moe.py`, `Glm4vVisionModel`): a biased Conv3d patch
//! embedding over `temporal_patch_size` frames, an RMSNorm after it, learned
//! positions on an `(image / patch)²` grid (interpolated), `depth` blocks of
//! RMSNorms, fused QKV and output biased only with `attention_bias`, and an
//! unbiased SwiGLU whose width is `out_hidden_size` (not
//! `intermediate_size`), then a final RMSNorm. The projector is the
//! `downsample` Conv2d (`spatial_merge_size²` patches into
//! `out_hidden_size`, biased) and the merger: an unbiased projection, a
//! LayerNorm and an unbiased SwiGLU of `intermediate_size`.

use super::vit::{encoder, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

/// GLM-4V: the tower, the downsampling conv and the merger; an image is
/// `pixels / (patch × merge)²` tokens.
pub(crate) fn glm4v(_wrapper: &Fields, v: &Fields, _text_embd: u64) -> Result<Vision, ConfigError> {
    let n_embd = v.dim_or("hidden_size", 1536)?;
    let n_head = v.dim_or("num_heads", 12)?;
    let out = v.dim_or("out_hidden_size", 4096)?;
    let d = Dims {
        n_embd,
        n_ff: out,
        n_layer: v.layers_or("depth", 24)?,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: v.dim_or("in_channels", 3)?,
        patch: v.dim_or("patch_size", 14)?,
        image: v.dim_or("image_size", 336)?,
    };
    let bias = v.flag("attention_bias", false)?;
    let o = Vit {
        cls: false,
        positions: true,
        patch_bias: true,
        pre_norm: true,
        post_norm: true,
        qkv_bias: bias,
        o_bias: bias,
        mlp_bias: false,
        layer_norm: false,
        gated: true,
        layer_scale: false,
        temporal: v.dim_or("temporal_patch_size", 2)?,
    };
    let t = encoder(&d, &o)?;
    let merge = v.dim_or("spatial_merge_size", 2)?;
    let n_ff = v.dim_or("intermediate_size", 13696)?;
    let mut projector = vec![Tensor {
        name: "mm.downsample.weight".into(),
        kind: Kind::Other,
        ne: [merge * merge, n_embd, out],
    }];
    projector.push(Tensor::vector("mm.downsample.bias", out));
    linear(&mut projector, "mm.merger.proj", out, out, false);
    norm(&mut projector, "mm.merger.norm", out, true);
    linear(&mut projector, "mm.merger.gate", out, n_ff, false);
    linear(&mut projector, "mm.merger.up", out, n_ff, false);
    linear(&mut projector, "mm.merger.down", n_ff, out, false);
    Ok(Vision {
        encoder: t,
        projector,
        n_embd,
        n_layer: d.n_layer,
        n_head,
        patch_size: d.patch,
        image_size: d.image,
        tokens: ImageTokens::Dynamic {
            patch: d.patch,
            merge,
            min_pixels: 112 * 112,
            max_pixels: 28 * 28 * 15000,
        },
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Unmeasured,
        video: true,
    })
}
