//! Llama 3.2 Vision's image side (`modeling_mllama.py`,
//! `MllamaVisionModel` and `MllamaForConditionalGeneration`'s projector).
//!
//! A ViT over tiles of `image_size` pixels: an unbiased patch embedding, a
//! class token, a gated position embedding (one row per patch plus the
//! class token) and a gated *tile* embedding — one row per supported aspect
//! ratio (plus padding) holding `max_num_tiles × (patches + 1) × hidden`
//! values, the largest tensor outside the layers — with pre- and post-tile
//! aspect-ratio embeddings (`max_num_tiles × hidden` per ratio, gated),
//! LayerNorms before and after, `num_hidden_layers` local layers (Q/K/V/O
//! without bias, a biased fc1/fc2 MLP, biased LayerNorms) and
//! `num_global_layers` more of the same shape with scalar gates. The
//! projector is one biased Linear from `vision_output_dim` (the last
//! hidden state concatenated with the `intermediate_layers_indices` ones)
//! into the text width. The image states feed the text model's
//! cross-attention layers, not its sequence.

use super::vit::{encoder, Dims, Vit};
use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

const VIT: Vit = Vit {
    cls: true,
    positions: true,
    patch_bias: false,
    pre_norm: true,
    post_norm: true,
    qkv_bias: false,
    o_bias: false,
    mlp_bias: true,
    layer_norm: true,
    gated: false,
    layer_scale: false,
    temporal: 1,
};

/// Mllama: the tiled ViT with its local and gated global layers, then one
/// projection; each image is up to `max_num_tiles` tiles of
/// `(image / patch)² + 1` states.
pub(crate) fn mllama(_wrapper: &Fields, v: &Fields, text_embd: u64) -> Result<Vision, ConfigError> {
    let n_embd = v.dim_or("hidden_size", 1280)?;
    let n_head = v.dim_or("attention_heads", 16)?;
    let local = v.layers_or("num_hidden_layers", 32)?;
    let global = v.layers_or("num_global_layers", 8)?;
    let d = Dims {
        n_embd,
        n_ff: v.dim_or("intermediate_size", 5120)?,
        n_layer: local + global,
        n_head,
        head_dim: n_embd / n_head.max(1),
        channels: v.dim_or("num_channels", 3)?,
        patch: v.dim_or("patch_size", 14)?,
        image: v.dim_or("image_size", 448)?,
    };
    let max_tiles = v.dim_or("max_num_tiles", 4)?;
    let ratios = match v.get("supported_aspect_ratios") {
        Some(Value::Array(items)) => items.len() as u64,
        Some(other) => {
            return Err(invalid(
                "supported_aspect_ratios",
                format!("must list [width, height] pairs, got {other}"),
            ))
        }
        // Every (w, h) with w × h ≤ max_num_tiles.
        None => (1..=max_tiles).map(|w| max_tiles / w).sum(),
    };
    let mut t = encoder(&d, &VIT)?;
    let side = d.image / d.patch;
    let states = side * side + 1;
    t.push(Tensor::vector("v.position_embd.gate", 1));
    t.push(Tensor::matrix(
        "v.tile_position_embd.weight",
        Kind::PosEmbd,
        max_tiles * states * n_embd,
        ratios + 1,
    ));
    for name in ["v.pre_tile_position_embd", "v.post_tile_position_embd"] {
        t.push(Tensor::vector(&format!("{name}.gate"), 1));
        t.push(Tensor::matrix(
            &format!("{name}.weight"),
            Kind::PosEmbd,
            max_tiles * n_embd,
            ratios + 1,
        ));
    }
    for i in local..local + global {
        t.push(Tensor::vector(&format!("v.blk.{i}.gate_attn"), 1));
        t.push(Tensor::vector(&format!("v.blk.{i}.gate_ffn"), 1));
    }
    let mut projector = Vec::new();
    linear(
        &mut projector,
        "mm.0",
        v.dim_or("vision_output_dim", 7680)?,
        text_embd,
        true,
    );
    Ok(Vision {
        encoder: t,
        projector,
        n_embd,
        n_layer: d.n_layer,
        n_head,
        patch_size: d.patch,
        image_size: d.image,
        tokens: ImageTokens::Tiles {
            per_tile: states,
            max_tiles,
        },
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Unmeasured,
        video: false,
    })
}
