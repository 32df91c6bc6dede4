//! The plain ViT encoder most vision towers are (SigLIP, CLIP, InternViT,
//! Llama 4's, Pixtral's), with the switches in which they differ; each
//! family file says which it uses.

use super::*;
use crate::estimate::model::{ClipGraph, ImageTokens, Vision};

/// How one family's ViT differs from the others.
#[derive(Clone, Copy, Default)]
pub(crate) struct Vit {
    /// A learned class token (CLIP, InternViT, Llama 4) — one more position.
    pub(crate) cls: bool,
    /// Learned absolute position embeddings (SigLIP, CLIP, InternViT).
    pub(crate) positions: bool,
    /// A bias on the patch embedding.
    pub(crate) patch_bias: bool,
    /// A norm before the blocks (CLIP's `pre_layrnorm`, Pixtral's `ln_pre`).
    pub(crate) pre_norm: bool,
    /// A norm after the blocks (SigLIP's and CLIP's `post_layernorm`).
    pub(crate) post_norm: bool,
    /// Biases on Q, K and V; on the attention output; on the MLP.
    pub(crate) qkv_bias: bool,
    pub(crate) o_bias: bool,
    pub(crate) mlp_bias: bool,
    /// LayerNorms with bias (false: RMSNorms).
    pub(crate) layer_norm: bool,
    /// A SwiGLU MLP (gate, up, down).
    pub(crate) gated: bool,
    /// InternViT's per-block layer-scale vectors (`lambda_1`, `lambda_2`).
    pub(crate) layer_scale: bool,
    /// The patch embedding has `temporal` frames (Qwen-VL's Conv3d).
    pub(crate) temporal: u64,
}

/// Reads the encoder's dimensions (with the family's defaults) and builds
/// its tensors.
pub(crate) struct Dims {
    pub(crate) n_embd: u64,
    pub(crate) n_ff: u64,
    pub(crate) n_layer: u64,
    pub(crate) n_head: u64,
    pub(crate) head_dim: u64,
    pub(crate) channels: u64,
    pub(crate) patch: u64,
    pub(crate) image: u64,
}

/// An encoder of `d` laid out as `o` says.
pub(crate) fn encoder(d: &Dims, o: &Vit) -> Result<Vec<Tensor>, ConfigError> {
    if d.n_layer > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("is {}, more than {MAX_LAYERS}", d.n_layer),
        ));
    }
    if d.patch > d.image {
        return Err(invalid(
            "patch_size",
            format!("({}) is larger than image_size ({})", d.patch, d.image),
        ));
    }
    let n = d.n_embd;
    let mut t = Vec::new();
    let frames = o.temporal.max(1);
    t.push(Tensor {
        name: "v.patch_embd.weight".into(),
        kind: Kind::Other,
        ne: [d.patch * d.patch * frames, d.channels, n],
    });
    if o.patch_bias {
        t.push(Tensor::vector("v.patch_embd.bias", n));
    }
    if o.cls {
        t.push(Tensor::vector("v.class_embd", n));
    }
    if o.positions {
        let side = d.image / d.patch;
        t.push(Tensor::matrix(
            "v.position_embd.weight",
            Kind::PosEmbd,
            n,
            side * side + u64::from(o.cls),
        ));
    }
    if o.pre_norm {
        norm(&mut t, "v.pre_ln", n, o.layer_norm);
    }
    let q = d.n_head * d.head_dim;
    for i in 0..d.n_layer {
        let p = format!("v.blk.{i}");
        norm(&mut t, &format!("{p}.ln1"), n, o.layer_norm);
        for name in ["attn_q", "attn_k", "attn_v"] {
            linear(&mut t, &format!("{p}.{name}"), n, q, o.qkv_bias);
        }
        linear(&mut t, &format!("{p}.attn_out"), q, n, o.o_bias);
        norm(&mut t, &format!("{p}.ln2"), n, o.layer_norm);
        if o.gated {
            linear(&mut t, &format!("{p}.ffn_gate"), n, d.n_ff, o.mlp_bias);
        }
        linear(&mut t, &format!("{p}.ffn_up"), n, d.n_ff, o.mlp_bias);
        linear(&mut t, &format!("{p}.ffn_down"), d.n_ff, n, o.mlp_bias);
        if o.layer_scale {
            t.push(Tensor::vector(&format!("{p}.ls1"), n));
            t.push(Tensor::vector(&format!("{p}.ls2"), n));
        }
    }
    if o.post_norm {
        norm(&mut t, "v.post_ln", n, o.layer_norm);
    }
    Ok(t)
}

/// A tower of `d`'s shape with the defaults most families share: matrices
/// F16 in the mmproj file, no measured CLIP graph, images only.
pub(crate) fn vision(
    d: &Dims,
    encoder: Vec<Tensor>,
    projector: Vec<Tensor>,
    tokens: ImageTokens,
) -> Vision {
    Vision {
        encoder,
        projector,
        n_embd: d.n_embd,
        n_layer: d.n_layer,
        n_head: d.n_head,
        patch_size: d.patch,
        image_size: d.image,
        tokens,
        mmproj_f32_embeddings: false,
        clip_graph: ClipGraph::Unmeasured,
        video: false,
    }
}

/// The common vision-config fields with a family's defaults: `hidden_size`,
/// `intermediate_size`, `num_hidden_layers`, `num_attention_heads`,
/// `num_channels`, `patch_size`, `image_size`.
pub(crate) fn dims(v: &Fields, defaults: [u64; 7]) -> Result<Dims, ConfigError> {
    let [hidden, ff, layers, heads, channels, patch, image] = defaults;
    let n_embd = v.dim_or("hidden_size", hidden)?;
    let n_head = v.dim_or("num_attention_heads", heads)?;
    Ok(Dims {
        n_embd,
        n_ff: v.dim_or("intermediate_size", ff)?,
        n_layer: v.dim_or("num_hidden_layers", layers)?,
        n_head,
        head_dim: v.dim_or("head_dim", n_embd / n_head.max(1))?,
        channels: v.dim_or("num_channels", channels)?,
        patch: v.dim_or("patch_size", patch)?,
        image: v.dim_or("image_size", image)?,
    })
}
