//! SigLIP towers (`modeling_siglip.py`) and the families that project
//! them: Gemma 3 (`modeling_gemma3.py`: an RMSNorm and one projection after
//! pooling to `mm_tokens_per_image`) and Idefics3 / SmolVLM
//! (`modeling_idefics3.py`: pixel shuffle by `scale_factor`, one
//! projection; the encoder is SigLIP without its pooling head).

use super::vit::{dims, encoder, vision, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

pub(crate) const SIGLIP: Vit = Vit {
    cls: false,
    positions: true,
    patch_bias: true,
    pre_norm: false,
    post_norm: true,
    qkv_bias: true,
    o_bias: true,
    mlp_bias: true,
    layer_norm: true,
    gated: false,
    layer_scale: false,
    temporal: 1,
};

/// SigLIP's attention-pooling head (`vision_use_head`): a probe, a
/// `nn.MultiheadAttention`, a LayerNorm and an MLP.
pub(crate) fn pooling_head(t: &mut Vec<Tensor>, d: &Dims) {
    let n = d.n_embd;
    t.push(Tensor::vector("v.head.probe", n));
    linear(t, "v.head.attn_in", n, 3 * n, true);
    linear(t, "v.head.attn_out", n, n, true);
    norm(t, "v.head.ln", n, true);
    linear(t, "v.head.ffn_up", n, d.n_ff, true);
    linear(t, "v.head.ffn_down", d.n_ff, n, true);
}

/// Gemma 3: a SigLIP tower (a given `vision_config` takes
/// SiglipVisionConfig's defaults, pooling head included unless
/// `vision_use_head` is false, as released checkpoints set it), then the
/// soft-embedding RMSNorm and one projection into the text width.
pub(crate) fn gemma3(wrapper: &Fields, v: &Fields, text_embd: u64) -> Result<Vision, ConfigError> {
    let d = dims(v, [768, 3072, 12, 12, 3, 16, 224])?;
    let mut t = encoder(&d, &SIGLIP)?;
    if v.flag("vision_use_head", true)? {
        pooling_head(&mut t, &d);
    }
    let mut projector = Vec::new();
    norm(&mut projector, "mm.soft_emb_norm", d.n_embd, false);
    projector.push(Tensor::matrix(
        "mm.input_projection.weight",
        Kind::Other,
        d.n_embd,
        text_embd,
    ));
    let tokens = ImageTokens::Fixed {
        tokens: wrapper.dim_or("mm_tokens_per_image", 256)?,
    };
    Ok(Vision {
        mmproj_f32_embeddings: true,
        clip_graph: ClipGraph::Vit,
        video: false,
        ..vision(&d, t, projector, tokens)
    })
}

/// Idefics3 / SmolVLM: SigLIP without the head, pixel shuffle by
/// `scale_factor`, one unbiased projection; each image tile becomes
/// `(image / patch)² / scale²` tokens.
pub(crate) fn idefics3(
    wrapper: &Fields,
    v: &Fields,
    text_embd: u64,
) -> Result<Vision, ConfigError> {
    let d = dims(v, [1152, 3072, 12, 16, 3, 32, 224])?;
    let t = encoder(&d, &SIGLIP)?;
    let scale = wrapper.dim_or("scale_factor", 2)?;
    let mut projector = Vec::new();
    linear(
        &mut projector,
        "mm.proj",
        d.n_embd * scale * scale,
        text_embd,
        false,
    );
    let side = d.image / d.patch;
    let tokens = ImageTokens::Tiles {
        per_tile: (side * side) / (scale * scale).max(1),
        // The processor's default longest edge (4 × 364) in 364-pixel tiles,
        // plus the global thumbnail.
        max_tiles: 17,
    };
    Ok(vision(&d, t, projector, tokens))
}
