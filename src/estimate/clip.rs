//! llama.cpp's CLIP compute buffer: the one `tools/mtmd/clip.cpp` reserves
//! for a vision encoder (the `mmproj` file) and logs as
//! `reserve_compute_meta: CPU compute buffer size = … MiB`.
//!
//! clip.cpp builds one ggml graph per image (`tools/mtmd/models/*.cpp`) and
//! ggml's graph allocator (`ggml/src/ggml-alloc.c`) lays its intermediate
//! tensors into one buffer: the graph's inputs first, then every node in
//! graph order, each in the best-fitting free block (its bytes rounded up
//! to 32, the CPU buffer's alignment), freed after its last reader, written
//! in place over a parent where the op allows. The buffer is the highest
//! address that placement reaches — the tensors live at that moment plus the
//! holes below them that were too small to take them — not a sum over the
//! graph. Each form below names what sits under that mark. With
//! `al(x) = ⌈x / 32⌉·32`, an image of `W × H` pixels after preprocessing,
//! `n = (W / patch)·(H / patch)` patches, `d` the width, `h` the heads, `f`
//! the FFN width and `P` the text width the projector maps into:
//!
//! - [`ClipGraph::Vit`] (`models/siglip.cpp`, Gemma 3): `4·n·(f + 3d)` with
//!   flash attention, `4·h·n² + 24·n·d` without.
//! - [`ClipGraph::VitCls`] (`models/llava.cpp` with the `mlp` projector,
//!   LLaVA 1.5 / NeXT): `N = n + 1` positions with the class token. The
//!   inputs `I = al(12·W·H) + al(4N) + al(4n)` (the f32 pixels, the
//!   positions, the patch rows the projector keeps) lie at the bottom; freed
//!   or not, no later tensor fits there. With flash attention
//!   `I + max(3·al(4dN) + al(4dn) + al(4fN), al(4dn) + 2·al(4Pn))`: a
//!   block's FFN (three hidden-state slots, one of them a hole, the hole the
//!   patch embeddings left, the `f`-wide activation) or the projector's two
//!   `P`-wide outputs over the `n` patches, whichever is higher. Without:
//!   `I + max(4·al(4dN) + al(4dn) + al(4hN²), al(4dn) + 2·al(4Pn))`, the f32
//!   scores of all heads over four hidden-state slots.
//! - [`ClipGraph::Qwen2Vl`] (`models/qwen2vl.cpp` without windows,
//!   Qwen2-VL): inputs `I = al(12·W·H) + al(16n)` (pixels, M-RoPE
//!   positions); with flash attention `I + al(4fn) + 2·al(4dn)`, without
//!   `I + max(al(4hn²) + 5·al(4dn), al(4fn) + 3·al(4dn))`.
//! - [`ClipGraph::QwenWindowed`] (`models/qwen2vl.cpp` with `n_wa_pattern`,
//!   Qwen2.5-VL): inputs `I = al(12·W·H) + al(16n) + 2·al(n)` (pixels,
//!   positions, the window index and its inverse) and the f32 window mask
//!   `M = al(4n²)`. Without flash attention
//!   `I + M + max(al(4hn²) + 5·al(4dn), 3·al(4dn) + 3·al(4fn))`. With it,
//!   the first windowed block peaks at `A = I + M + al(2n²) + 4·al(4dn)`
//!   (the mask while it is cast to f16, the f16 copy — live through every
//!   windowed block after — and four hidden-state slots), and a block's
//!   SwiGLU FFN adds those of its three `f`-wide f32 activations that do
//!   not fit into the hole the f32 mask leaves once cast,
//!   `F = al(4fn)·(3 − min(3, ⌊M / al(4fn)⌋))`: `A + F` with two or more
//!   windowed blocks (every released model), `max(A, I + M + 2·al(4dn) + F)`
//!   with one.
//!
//! Every form equals the bytes ggml allocates on the CPU
//! (`ggml_gallocr_get_buffer_size`, recorded exactly by
//! `tests/bench/ggml_alloc_trace.c`) for llama.cpp 0c1e570 (b11312, as
//! llama-cpp-python 0.3.36 vendors it) in
//! `tests/data/measured/llama_cpp_mmproj.json`, and over denser sweeps
//! (Qwen images from 84 to 1792 px in 28 px steps with 2 to 32 blocks and
//! FFN widths 3420 to 6144; LLaVA at 224 and 336 px into text widths 2048 to
//! 7168) — with one exception: with two or more windowed blocks, flash
//! attention and fewer than `f` patches (images below about 820 × 820 px for
//! Qwen2.5-VL), the FFN activations land in holes that earlier blocks left,
//! which depends on the block history; there the form is an upper bound, by
//! at most 21.5 % in those sweeps. GPU backends align to 128 bytes rather
//! than 32; the forms do not model that difference.

use super::model::{ClipGraph, ImageTokens, Vision};

/// The most tokens (after the 2 × 2 merge) llama.cpp lets one image become
/// for Qwen2-VL and Qwen2.5-VL: `hparams.set_limit_image_tokens(8, 4096)` in
/// clip.cpp's `load_hparams`, whatever the model's processor allows
/// (`--image-max-tokens` raises it).
pub const QWEN_MAX_IMAGE_TOKENS: u64 = 4096;

/// ggml's tensor alignment in the CPU buffer (`TENSOR_ALIGNMENT`).
fn al(bytes: u64) -> u64 {
    bytes.div_ceil(32) * 32
}

/// Rows of a tensor of the tower or its projector (its `ne[1]`), 0 when absent.
fn rows(v: &Vision, name: &str) -> u64 {
    v.encoder
        .iter()
        .chain(&v.projector)
        .find(|t| t.name == name)
        .map_or(0, |t| t.ne[1])
}

/// The image llama.cpp's compute buffer ends up sized for: the tower's
/// fixed input size, or for Qwen's native resolution the largest image its
/// preprocessor lets through by default, [`QWEN_MAX_IMAGE_TOKENS`] merged
/// tokens (1792 × 1792 px). clip.cpp warms up smaller (46 × 46 tokens,
/// 1288 px, "to avoid OOM") and grows the buffer on the first larger image;
/// a plan has to hold what that image needs.
pub fn reserved_image(v: &Vision) -> (u64, u64) {
    match (v.clip_graph, v.tokens) {
        (
            ClipGraph::Qwen2Vl | ClipGraph::QwenWindowed { .. },
            ImageTokens::Dynamic { patch, merge, .. },
        ) => {
            let side = QWEN_MAX_IMAGE_TOKENS.isqrt() * merge * patch;
            (side, side)
        }
        _ => (v.image_size, v.image_size),
    }
}

/// Bytes of llama.cpp's CLIP compute buffer for one preprocessed image of
/// `width × height` pixels (see the module docs for each graph's form);
/// 0 for a graph vramfit has not measured.
pub fn compute_bytes(v: &Vision, width: u64, height: u64, flash_attn: bool) -> u64 {
    let p = v.patch_size.max(1);
    let n = (width / p) * (height / p);
    let (d, h) = (v.n_embd, v.n_head);
    let f = rows(v, "v.blk.0.ffn_up.weight");
    let pixels = al(12 * width * height);
    match v.clip_graph {
        ClipGraph::Unmeasured => 0,
        ClipGraph::Vit => {
            if flash_attn {
                4 * n * (f + 3 * d)
            } else {
                4 * h * n * n + 24 * n * d
            }
        }
        ClipGraph::VitCls => {
            let big_n = n + 1;
            let inputs = pixels + al(4 * big_n) + al(4 * n);
            let hidden = al(4 * d * big_n);
            let patches = al(4 * d * n);
            let projector = patches + 2 * al(4 * rows(v, "mm.2.weight") * n);
            let block = if flash_attn {
                3 * hidden + patches + al(4 * f * big_n)
            } else {
                4 * hidden + patches + al(4 * h * big_n * big_n)
            };
            inputs + block.max(projector)
        }
        ClipGraph::Qwen2Vl => {
            let inputs = pixels + al(16 * n);
            let hidden = al(4 * d * n);
            if flash_attn {
                inputs + al(4 * f * n) + 2 * hidden
            } else {
                inputs + (al(4 * h * n * n) + 5 * hidden).max(al(4 * f * n) + 3 * hidden)
            }
        }
        ClipGraph::QwenWindowed { windowed_layers } => {
            let inputs = pixels + al(16 * n) + 2 * al(n);
            let mask = al(4 * n * n);
            let hidden = al(4 * d * n);
            let act = al(4 * f * n);
            if !flash_attn {
                return inputs + mask + (al(4 * h * n * n) + 5 * hidden).max(3 * hidden + 3 * act);
            }
            let ffn = act * (3 - (mask / act.max(1)).min(3));
            let first = inputs + mask + al(2 * n * n) + 4 * hidden;
            if windowed_layers >= 2 {
                first + ffn
            } else {
                first.max(inputs + mask + 2 * hidden + ffn)
            }
        }
    }
}
