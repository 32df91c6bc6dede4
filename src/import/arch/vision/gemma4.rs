//! Gemma 4's image side (`modeling_gemma4.py`, `Gemma4VisionModel` and
//! `Gemma4MultimodalEmbedder`): an unbiased Linear from `3·patch²` pixels
//! to the tower width, two factorised position tables (x and y) of
//! `position_embedding_size` rows each, and Gemma-style blocks — Q/K/V/O
//! without bias (K and V on `num_key_value_heads`), RMSNorms on Q and K of
//! `head_dim`, four RMSNorms around attention and MLP, an unbiased SwiGLU.
//! No norm after the blocks; the pooler has no weights, and the clipping
//! bounds (`use_clipped_linears`) and `standardize` scales are buffers, not
//! parameters. The projector is one unbiased Linear into the text width
//! (its pre-projection RMSNorm has no scale). The audio tower
//! (`audio_config`) is not built here.

use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

/// The processor's default budget of soft tokens per image
/// (`Gemma4Processor.image_seq_length`).
const SOFT_TOKENS_PER_IMAGE: u64 = 280;

/// Gemma 4: the tower and `embed_vision`; an image is at most 280 soft
/// tokens, each pooled from `pooling_kernel_size²` patches.
pub(crate) fn gemma4(_wrapper: &Fields, v: &Fields, text_embd: u64) -> Result<Vision, ConfigError> {
    let n = v.dim_or("hidden_size", 768)?;
    let n_ff = v.dim_or("intermediate_size", 3072)?;
    let n_layer = v.layers_or("num_hidden_layers", 16)?;
    let n_head = v.dim_or("num_attention_heads", 12)?;
    let n_head_kv = v.dim_or("num_key_value_heads", 12)?;
    let head_dim = v.dim_or("head_dim", 64)?;
    let patch = v.dim_or("patch_size", 16)?;
    let positions = v.dim_or("position_embedding_size", 10 * 1024)?;
    let pool = v.dim_or("pooling_kernel_size", 3)?;

    let mut t = vec![
        Tensor::matrix("v.patch_embd.weight", Kind::Other, 3 * patch * patch, n),
        Tensor {
            name: "v.position_embd.weight".into(),
            kind: Kind::PosEmbd,
            ne: [n, positions, 2],
        },
    ];
    let (q, kv) = (n_head * head_dim, n_head_kv * head_dim);
    for i in 0..n_layer {
        let p = format!("v.blk.{i}");
        linear(&mut t, &format!("{p}.attn_q"), n, q, false);
        linear(&mut t, &format!("{p}.attn_k"), n, kv, false);
        linear(&mut t, &format!("{p}.attn_v"), n, kv, false);
        linear(&mut t, &format!("{p}.attn_out"), q, n, false);
        norm(&mut t, &format!("{p}.attn_q_norm"), head_dim, false);
        norm(&mut t, &format!("{p}.attn_k_norm"), head_dim, false);
        linear(&mut t, &format!("{p}.ffn_gate"), n, n_ff, false);
        linear(&mut t, &format!("{p}.ffn_up"), n, n_ff, false);
        linear(&mut t, &format!("{p}.ffn_down"), n_ff, n, false);
        for name in ["ln1", "attn_post_norm", "ln2", "ffn_post_norm"] {
            norm(&mut t, &format!("{p}.{name}"), n, false);
        }
    }
    let mut projector = Vec::new();
    linear(&mut projector, "mm.input_projection", n, text_embd, false);
    // The largest image: 280 soft tokens of pool² patches each, as a square.
    let side = (SOFT_TOKENS_PER_IMAGE * pool * pool).isqrt() * patch;
    Ok(Vision {
        encoder: t,
        projector,
        n_embd: n,
        n_layer,
        n_head,
        patch_size: patch,
        image_size: side,
        tokens: ImageTokens::Fixed {
            tokens: SOFT_TOKENS_PER_IMAGE,
        },
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Unmeasured,
        video: true,
    })
}
