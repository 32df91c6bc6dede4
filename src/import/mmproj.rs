//! llama.cpp's vision projector files (`mmproj-*.gguf`) → the image side of
//! a model ([`Vision`]).
//!
//! A vision-language model runs in llama.cpp as two GGUF files: the text
//! model and its `mmproj`, whose `general.architecture` is `clip`. The
//! `mmproj` holds the vision encoder (`v.patch_embd`, `v.position_embd`,
//! `v.blk.N.*`, `v.post_ln`) and the projector (`mm.*`; every tensor not
//! under `v.` is counted there), with the hyperparameters
//! `tools/mtmd/clip.cpp` reads in `load_hparams` under `clip.*`. Its tensor
//! infos give the bytes llama.cpp loads — `clip_model_loader` sums them
//! into its "model size" — so the image side of an imported GGUF is sized
//! from the file, not from the F16 rule used for configs.
//!
//! A header is first distilled into an [`Mmproj`] (the `clip.*` keys read
//! and the tensor list), which travels in the import document as
//! `"mmproj": {…}` like the text model's config does; [`read`] turns it
//! into a [`Vision`] whenever the document is read back, so a link or a
//! pasted document cannot carry a vision part that was not checked.
//!
//! How many context tokens an image becomes follows `clip_n_output_tokens`
//! and the per-projector limits of `load_hparams` (llama.cpp b11312):
//! `RULES`, one row per projector type; a projector not listed is
//! counted as its patch grid, with a warning.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use super::gguf::{GgufHeader, Value as Meta};
use crate::estimate::model::{ClipGraph, ImageTokens, Kind, Tensor, Vision};

/// Why a projector file cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MmprojError {
    #[error("{file}: the mmproj metadata lacks `{key}`")]
    Missing { file: String, key: &'static str },
    #[error("{file}: `{key}` is {value}; {why}")]
    Invalid {
        file: String,
        key: String,
        value: u64,
        why: String,
    },
    #[error("{file}: {why}")]
    Tensors { file: String, why: String },
    #[error(
        "{file}: this projector has no vision encoder (`clip.has_vision_encoder` is not true); vramfit plans the image side only"
    )]
    NoVision { file: String },
    #[error(
        "{file} turns images into {projector}-wide embeddings but the text model is {text} wide (n_embd): they are not a pair"
    )]
    Mismatch {
        file: String,
        projector: u64,
        text: u64,
    },
}

/// What vramfit keeps of an `mmproj` header: the `clip.*` keys it reads
/// and every tensor, as the import document carries them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mmproj {
    /// The file name (for `--mmproj` and messages).
    pub file: String,
    /// `clip.projector_type` (`gemma3`, `qwen2.5vl_merger`, `mlp`, …).
    pub projector_type: String,
    /// `clip.vision.embedding_length`, `block_count`, `attention.head_count`.
    pub n_embd: u64,
    pub n_layer: u64,
    pub n_head: u64,
    /// `clip.vision.patch_size` and `image_size`.
    pub patch_size: u64,
    pub image_size: u64,
    /// `clip.vision.projection_dim`: the text model's width in files
    /// convert_hf_to_gguf.py writes.
    pub projection_dim: u64,
    /// `clip.vision.projector.scale_factor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scale_factor: Option<u64>,
    /// `clip.vision.spatial_merge_size`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spatial_merge_size: Option<u64>,
    /// `clip.vision.preproc_max_tiles` (InternVL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preproc_max_tiles: Option<u64>,
    /// `clip.vision.preproc_image_size`: the longest edge images are
    /// sliced to (Idefics3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preproc_image_size: Option<u64>,
    /// `clip.vision.n_wa_pattern`: every n-th block attends over all
    /// patches, the others within windows (Qwen2.5-VL).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wa_pattern: Option<u64>,
    /// `clip.vision.image_grid_pinpoints`: `w, h, w, h, …` (LLaVA-NeXT).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub image_grid_pinpoints: Vec<u64>,
    /// `(name, dims in ggml order, ggml type, bytes)`, in file order.
    pub tensors: Vec<(String, Vec<u64>, String, u64)>,
}

/// Whether a GGUF header is a projector file rather than a model.
pub fn is_mmproj(header: &GgufHeader) -> bool {
    header.get("general.architecture").and_then(Meta::as_str) == Some("clip")
}

/// The parts of an `mmproj` header vramfit uses.
pub fn distill(file: &str, header: &GgufHeader) -> Result<Mmproj, MmprojError> {
    let get = |key: &str| header.get(key);
    let number = |key: &'static str| -> Result<u64, MmprojError> {
        get(key)
            .and_then(Meta::as_u64)
            .ok_or_else(|| MmprojError::Missing {
                file: file.into(),
                key,
            })
    };
    if get("clip.has_vision_encoder") != Some(&Meta::Bool(true)) {
        return Err(MmprojError::NoVision { file: file.into() });
    }
    // Files with audio too name each side's projector separately.
    let projector_type = get("clip.projector_type")
        .or_else(|| get("clip.vision.projector_type"))
        .and_then(Meta::as_str)
        .ok_or_else(|| MmprojError::Missing {
            file: file.into(),
            key: "clip.projector_type",
        })?
        .to_string();
    let pinpoints = match get("clip.vision.image_grid_pinpoints") {
        Some(Meta::Array { items, .. }) => items.iter().filter_map(Meta::as_u64).collect(),
        _ => Vec::new(),
    };
    let optional = |key: &str| get(key).and_then(Meta::as_u64);
    Ok(Mmproj {
        file: file.into(),
        projector_type,
        n_embd: number("clip.vision.embedding_length")?,
        n_layer: number("clip.vision.block_count")?,
        n_head: number("clip.vision.attention.head_count")?,
        patch_size: number("clip.vision.patch_size")?,
        image_size: number("clip.vision.image_size")?,
        projection_dim: number("clip.vision.projection_dim")?,
        scale_factor: optional("clip.vision.projector.scale_factor"),
        spatial_merge_size: optional("clip.vision.spatial_merge_size"),
        preproc_max_tiles: optional("clip.vision.preproc_max_tiles"),
        preproc_image_size: optional("clip.vision.preproc_image_size"),
        wa_pattern: optional("clip.vision.n_wa_pattern"),
        image_grid_pinpoints: pinpoints,
        tensors: header
            .tensors
            .iter()
            .map(|t| {
                (
                    t.name.clone(),
                    t.dims.clone(),
                    t.ty.name().to_string(),
                    t.bytes,
                )
            })
            .collect(),
    })
}

/// A projector read for a text model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Read {
    pub vision: Vision,
    /// Bytes of every tensor in the file.
    pub bytes: u64,
    pub warnings: Vec<String>,
}

/// Most elements or bytes of one projector (a real one is under 10⁹).
const MAX_TOTAL: u64 = 1 << 50;

/// The image side `m` gives a text model `text_n_embd` wide.
pub fn read(m: &Mmproj, text_n_embd: u64) -> Result<Read, MmprojError> {
    let invalid = |key: &str, value: u64, why: String| MmprojError::Invalid {
        file: m.file.clone(),
        key: key.into(),
        value,
        why,
    };
    // Far above any real tower; they keep the token arithmetic in u64.
    let bounds: [(&str, u64, u64, u64); 8] = [
        ("clip.vision.image_size", m.image_size, 1, 1 << 16),
        (
            "clip.vision.patch_size",
            m.patch_size,
            1,
            m.image_size.min(1 << 10),
        ),
        ("clip.vision.embedding_length", m.n_embd, 1, 1 << 20),
        ("clip.vision.block_count", m.n_layer, 0, 4096),
        ("clip.vision.attention.head_count", m.n_head, 1, 1 << 16),
        (
            "clip.vision.projector.scale_factor",
            m.scale_factor.unwrap_or(1),
            1,
            64,
        ),
        (
            "clip.vision.spatial_merge_size",
            m.spatial_merge_size.unwrap_or(1),
            1,
            64,
        ),
        (
            "clip.vision.preproc_max_tiles",
            m.preproc_max_tiles.unwrap_or(1),
            1,
            1024,
        ),
    ];
    for (key, value, min, max) in bounds {
        if !(min..=max).contains(&value) {
            return Err(invalid(key, value, format!("expected {min} to {max}")));
        }
    }
    for &edge in m.image_grid_pinpoints.iter().chain(&m.preproc_image_size) {
        if !(1..=1 << 16).contains(&edge) {
            return Err(invalid(
                "clip.vision image sizes",
                edge,
                "expected 1 to 65536".into(),
            ));
        }
    }
    let width = m.output_width();
    if width != text_n_embd {
        return Err(MmprojError::Mismatch {
            file: m.file.clone(),
            projector: width,
            text: text_n_embd,
        });
    }
    let (mut encoder, mut projector) = (Vec::new(), Vec::new());
    let (mut elements, mut bytes) = (0u64, 0u64);
    for (name, dims, _, size) in &m.tensors {
        let rows = dims
            .get(1..)
            .unwrap_or_default()
            .iter()
            .try_fold(1u64, |a, &d| a.checked_mul(d));
        let tensor = match (dims.first(), rows) {
            (Some(&row_len), Some(rows)) if row_len.checked_mul(rows).is_some() => Tensor {
                name: name.clone(),
                kind: if dims.len() == 1 {
                    Kind::Vector
                } else if name.contains("position_embd") {
                    Kind::PosEmbd
                } else {
                    Kind::Other
                },
                ne: [row_len, rows, 1],
            },
            _ => {
                return Err(MmprojError::Tensors {
                    file: m.file.clone(),
                    why: format!("tensor `{name}` has dimensions {dims:?}"),
                })
            }
        };
        elements = elements.saturating_add(tensor.numel());
        bytes = bytes.saturating_add(*size);
        if elements > MAX_TOTAL || bytes > MAX_TOTAL {
            return Err(MmprojError::Tensors {
                file: m.file.clone(),
                why: format!("the tensors hold more than {MAX_TOTAL} elements or bytes"),
            });
        }
        if name.starts_with("v.") {
            encoder.push(tensor);
        } else {
            projector.push(tensor);
        }
    }
    let mut warnings = Vec::new();
    let tokens = image_tokens(m, &mut warnings);
    let f32_embeddings = m
        .tensors
        .iter()
        .any(|(name, _, ty, _)| name == "v.patch_embd.weight" && ty == "F32");
    let vision = Vision {
        encoder,
        projector,
        n_embd: m.n_embd,
        n_layer: m.n_layer,
        n_head: m.n_head,
        patch_size: m.patch_size,
        image_size: m.image_size,
        tokens,
        mmproj_f32_embeddings: f32_embeddings,
        clip_graph: clip_graph(m),
        // llama.cpp takes images only.
        video: false,
    };
    Ok(Read {
        vision,
        bytes,
        warnings,
    })
}

/// The `clip.cpp` graph whose compute buffer vramfit sizes for a
/// projector type (see [`ClipGraph`]); others are not measured.
fn clip_graph(m: &Mmproj) -> ClipGraph {
    let has = |name: &str| m.tensors.iter().any(|(n, ..)| n == name);
    match m.projector_type.as_str() {
        "gemma3" => ClipGraph::Vit,
        "mlp" if has("v.class_embd") => ClipGraph::VitCls,
        "qwen2vl_merger" => ClipGraph::Qwen2Vl,
        "qwen2.5vl_merger" => {
            let full = m.wa_pattern.filter(|&p| p > 0).map_or(0, |p| m.n_layer / p);
            ClipGraph::QwenWindowed {
                windowed_layers: m.n_layer - full.min(m.n_layer),
            }
        }
        _ => ClipGraph::Unmeasured,
    }
}

/// Where `clip_n_mmproj_embd` (clip.cpp) reads the width of the embeddings
/// a projector produces: `(projector type, tensor, dimension)`. Others use
/// `clip.vision.projection_dim`, which older converters (LLaVA's
/// `convert_image_encoder_to_gguf.py`) set to CLIP's own projection, not
/// the text model's width — hence the tensor where it is known.
const OUTPUT_WIDTH: &[(&str, &str, usize)] = &[
    ("mlp", "mm.2.weight", 1),
    ("mlp_norm", "mm.3.bias", 0),
    ("pixtral", "mm.2.weight", 1),
    ("qwen2vl_merger", "mm.2.bias", 0),
    ("qwen2.5vl_merger", "mm.2.bias", 0),
    ("gemma3", "mm.input_projection.weight", 0),
    ("idefics3", "mm.model.fc.weight", 1),
    ("internvl", "mm.3.weight", 1),
];

impl Mmproj {
    /// The width of the embeddings the projector produces: the text model's
    /// `n_embd` it pairs with.
    pub fn output_width(&self) -> u64 {
        OUTPUT_WIDTH
            .iter()
            .filter(|(ty, _, _)| *ty == self.projector_type)
            .find_map(|(_, tensor, dim)| {
                self.tensors
                    .iter()
                    .find(|(name, ..)| name == tensor)
                    .and_then(|(_, dims, ..)| dims.get(*dim).copied())
            })
            .unwrap_or(self.projection_dim)
    }
}

/// Where a projector's merge factor comes from: a `clip.*` key with
/// `clip.cpp`'s default, or a constant of the graph.
#[derive(Debug, Clone, Copy)]
enum Merge {
    ScaleFactor(u64),
    SpatialMergeSize(u64),
    Fixed(u64),
}

/// How many tiles an image is sliced into at most.
#[derive(Debug, Clone, Copy)]
enum Slices {
    /// `clip.vision.preproc_max_tiles` (this default without it), plus
    /// the thumbnail.
    MaxTiles(u64),
    /// Tiles of `image_size` covering `clip.vision.preproc_image_size`,
    /// plus the thumbnail; one image when the key is absent.
    LongestEdge,
}

/// What `clip_n_output_tokens` makes of one image.
#[derive(Debug, Clone, Copy)]
enum Rule {
    /// A token per patch of the square input, `(image / patch)²`; with
    /// `image_grid_pinpoints`, that many per tile of the largest grid plus
    /// the overview (llava-uhd slicing).
    Grid,
    /// Patches pooled `merge × merge` into a token.
    Pooled(Merge),
    /// Native resolution: between `min` and `max` tokens of
    /// `(patch × merge)²` pixels (`set_limit_image_tokens`).
    Dynamic { merge: Merge, min: u64, max: u64 },
    /// Tiles of the pooled grid.
    Tiles { merge: Merge, slices: Slices },
}

/// Each projector type's rule, from `clip_n_output_tokens` and
/// `load_hparams` in `tools/mtmd/clip.cpp` (llama.cpp b11312).
const RULES: &[(&str, Rule)] = &[
    ("mlp", Rule::Grid),
    ("mlp_norm", Rule::Grid),
    ("janus_pro", Rule::Grid),
    ("ldp", Rule::Pooled(Merge::Fixed(2))),
    ("ldpv2", Rule::Pooled(Merge::Fixed(2))),
    ("gemma3", Rule::Pooled(Merge::ScaleFactor(4))),
    (
        "idefics3",
        Rule::Tiles {
            merge: Merge::ScaleFactor(1),
            slices: Slices::LongestEdge,
        },
    ),
    (
        "internvl",
        Rule::Tiles {
            merge: Merge::ScaleFactor(1),
            slices: Slices::MaxTiles(12),
        },
    ),
    ("qwen2vl_merger", QWEN),
    ("qwen2.5vl_merger", QWEN),
    ("qwen3vl_merger", QWEN),
    ("glm4v", QWEN),
    (
        "pixtral",
        Rule::Dynamic {
            merge: Merge::SpatialMergeSize(1),
            min: 8,
            max: 1024,
        },
    ),
    (
        "kimivl",
        Rule::Dynamic {
            merge: Merge::ScaleFactor(1),
            min: 8,
            max: 1024,
        },
    ),
    (
        "lfm2",
        Rule::Dynamic {
            merge: Merge::ScaleFactor(1),
            min: 64,
            max: 256,
        },
    ),
    (
        "gemma4v",
        Rule::Dynamic {
            merge: Merge::ScaleFactor(3),
            min: 70,
            max: 1120,
        },
    ),
];

/// Qwen2-VL and its successors, GLM-4.1V: 2 × 2 merged patches, 8 to
/// 4096 tokens (`set_limit_image_tokens(8, 4096)`).
const QWEN: Rule = Rule::Dynamic {
    merge: Merge::SpatialMergeSize(2),
    min: 8,
    max: 4096,
};

fn image_tokens(m: &Mmproj, warnings: &mut Vec<String>) -> ImageTokens {
    let merge_of = |merge: Merge| match merge {
        Merge::ScaleFactor(default) => m.scale_factor.unwrap_or(default),
        Merge::SpatialMergeSize(default) => m.spatial_merge_size.unwrap_or(default),
        Merge::Fixed(n) => n,
    };
    let side = m.image_size / m.patch_size;
    let grid = side * side;
    let rule = RULES
        .iter()
        .find(|(ty, _)| *ty == m.projector_type)
        .map(|(_, rule)| *rule);
    match rule {
        Some(Rule::Grid) if m.image_grid_pinpoints.len() >= 2 => {
            let largest = m
                .image_grid_pinpoints
                .chunks_exact(2)
                .map(|wh| wh[0].div_ceil(m.image_size) * wh[1].div_ceil(m.image_size))
                .max()
                .unwrap_or(1);
            ImageTokens::Tiles {
                per_tile: grid,
                max_tiles: largest + 1,
            }
        }
        Some(Rule::Grid) => ImageTokens::Fixed { tokens: grid },
        Some(Rule::Pooled(merge)) => ImageTokens::Fixed {
            tokens: grid / merge_of(merge).pow(2),
        },
        Some(Rule::Dynamic { merge, min, max }) => {
            let merge = merge_of(merge);
            let area = (m.patch_size * merge).pow(2);
            ImageTokens::Dynamic {
                patch: m.patch_size,
                merge,
                min_pixels: min * area,
                max_pixels: max * area,
            }
        }
        Some(Rule::Tiles { merge, slices }) => {
            let per_tile = grid / merge_of(merge).pow(2);
            let max_tiles = match slices {
                Slices::MaxTiles(default) => m.preproc_max_tiles.unwrap_or(default) + 1,
                Slices::LongestEdge => m
                    .preproc_image_size
                    .map_or(1, |edge| edge.div_ceil(m.image_size).pow(2) + 1),
            };
            ImageTokens::Tiles {
                per_tile,
                max_tiles,
            }
        }
        None => {
            warnings.push(format!(
                "{}: projector `{}` is not one vramfit knows how llama.cpp turns images into tokens for: counted as its patch grid, {grid} tokens per image",
                m.file, m.projector_type
            ));
            ImageTokens::Fixed { tokens: grid }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::file::{gguf_import, projector_of, samples, with_mmproj};
    use crate::import::gguf::parse_gguf;
    use crate::import::parse_config;
    use expect_test::{expect, Expect};

    const GEMMA3: &[u8] =
        include_bytes!("../../tests/data/gguf-headers/mmproj-gemma3-4b-mmproj-2l-f16.gguf");
    const QWEN25VL: &[u8] =
        include_bytes!("../../tests/data/gguf-headers/mmproj-qwen2.5vl-3b-mmproj-2l-f16.gguf");
    const LLAVA: &[u8] =
        include_bytes!("../../tests/data/gguf-headers/mmproj-llava1.5-7b-mmproj-2l-f16.gguf");
    const GEMMA3_TEXT: &[u8] =
        include_bytes!("../../tests/data/gguf-headers/text-gemma3-2560.gguf");
    const QWEN25VL_TEXT: &[u8] =
        include_bytes!("../../tests/data/gguf-headers/text-qwen2vl-2048.gguf");

    fn header(bytes: &[u8]) -> GgufHeader {
        parse_gguf(bytes).unwrap()
    }

    /// What a projector header reads as for a text model of its width.
    fn check(bytes: &[u8], expected: Expect) {
        let m = distill("mmproj.gguf", &header(bytes)).unwrap();
        let r = read(&m, m.output_width()).unwrap();
        let (encoder, projector) = r.vision.params();
        let v = &r.vision;
        let mut out = format!(
            "{} {}×{} ({} heads), {}/{} px: {} bytes; encoder {encoder}, projector {projector} params; {:?}; {:?}",
            m.projector_type,
            v.n_layer,
            v.n_embd,
            v.n_head,
            v.image_size,
            v.patch_size,
            r.bytes,
            v.tokens,
            v.clip_graph
        );
        for w in r.warnings {
            out.push_str(&format!("\nwarning: {w}"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn converted_projector_headers_read_as_their_towers() {
        check(
            GEMMA3,
            expect!["gemma3 2×1152 (16 heads), 896/14 px: 88517248 bytes; encoder 35878432, projector 2950272 params; Fixed { tokens: 256 }; Vit"],
        );
        check(
            QWEN25VL,
            expect!["qwen2.5vl_merger 2×1280 (16 heads), 560/14 px: 155316672 bytes; encoder 40910960, projector 36707328 params; Dynamic { patch: 14, merge: 2, min_pixels: 6272, max_pixels: 3211264 }; QwenWindowed { windowed_layers: 1 }"],
        );
        check(
            LLAVA,
            expect!["mlp 2×1024 (16 heads), 336/14 px: 94812160 bytes; encoder 26388480, projector 20979712 params; Fixed { tokens: 576 }; VitCls"],
        );
        check(
            &samples::mmproj_f16(),
            expect!["mlp 2×256 (4 heads), 224/14 px: 3872256 bytes; encoder 1796608, projector 131584 params; Fixed { tokens: 256 }; VitCls"],
        );
    }

    /// The image-token rule of each projector type, on one tower.
    fn tokens(projector_type: &str, change: impl Fn(&mut Mmproj)) -> String {
        let mut m = distill("m.gguf", &header(LLAVA)).unwrap();
        m.projector_type = projector_type.into();
        change(&mut m);
        let mut warnings = Vec::new();
        let t = image_tokens(&m, &mut warnings);
        let mut out = format!("{projector_type}: {t:?} → {} at most", t.max_per_image());
        for w in warnings {
            out.push_str(&format!("\n  warning: {w}"));
        }
        out
    }

    #[test]
    fn image_tokens_follow_clip_cpp_per_projector() {
        let rows = [
            tokens("mlp", |_| {}),
            tokens("mlp", |m| {
                m.image_grid_pinpoints = vec![336, 672, 672, 672, 1008, 336]
            }),
            tokens("ldp", |_| {}),
            tokens("gemma3", |_| {}),
            tokens("gemma3", |m| m.scale_factor = Some(2)),
            tokens("idefics3", |m| m.scale_factor = Some(3)),
            tokens("idefics3", |m| {
                m.scale_factor = Some(3);
                m.preproc_image_size = Some(1344);
            }),
            tokens("internvl", |m| m.scale_factor = Some(2)),
            tokens("qwen2vl_merger", |_| {}),
            tokens("pixtral", |m| m.spatial_merge_size = Some(2)),
            tokens("lfm2", |m| m.scale_factor = Some(2)),
            tokens("gemma4v", |_| {}),
            tokens("cogvlm", |_| {}),
        ];
        expect![[r#"
            mlp: Fixed { tokens: 576 } → 576 at most
            mlp: Tiles { per_tile: 576, max_tiles: 5 } → 2880 at most
            ldp: Fixed { tokens: 144 } → 144 at most
            gemma3: Fixed { tokens: 36 } → 36 at most
            gemma3: Fixed { tokens: 144 } → 144 at most
            idefics3: Tiles { per_tile: 64, max_tiles: 1 } → 64 at most
            idefics3: Tiles { per_tile: 64, max_tiles: 17 } → 1088 at most
            internvl: Tiles { per_tile: 144, max_tiles: 13 } → 1872 at most
            qwen2vl_merger: Dynamic { patch: 14, merge: 2, min_pixels: 6272, max_pixels: 3211264 } → 4096 at most
            pixtral: Dynamic { patch: 14, merge: 2, min_pixels: 6272, max_pixels: 802816 } → 1024 at most
            lfm2: Dynamic { patch: 14, merge: 2, min_pixels: 50176, max_pixels: 200704 } → 256 at most
            gemma4v: Dynamic { patch: 14, merge: 3, min_pixels: 123480, max_pixels: 1975680 } → 1120 at most
            cogvlm: Fixed { tokens: 576 } → 576 at most
              warning: m.gguf: projector `cogvlm` is not one vramfit knows how llama.cpp turns images into tokens for: counted as its patch grid, 576 tokens per image"#]]
        .assert_eq(&rows.join("\n"));
    }

    fn error(files: &[(&str, &[u8])]) -> String {
        let headers: Vec<(String, GgufHeader)> = files
            .iter()
            .map(|(n, b)| (n.to_string(), header(b)))
            .collect();
        match gguf_import(&headers) {
            Ok(_) => "ok".into(),
            Err(e) => e.to_string(),
        }
    }

    #[test]
    fn a_projector_needs_exactly_one_model_of_its_width() {
        let text = samples::gguf_q4_k_m();
        let sample = samples::mmproj_f16();
        let checks = [
            error(&[("mmproj-x.gguf", &sample)]),
            error(&[
                ("a.gguf", &text),
                ("mmproj-x.gguf", &sample),
                ("mmproj-y.gguf", &sample),
            ]),
            error(&[
                ("a.gguf", &text),
                ("b.gguf", &text),
                ("mmproj-x.gguf", &sample),
            ]),
            error(&[
                ("a-00001-of-00002.gguf", &text),
                ("b-00002-of-00002.gguf", &text),
            ]),
            error(&[("a.gguf", &text), ("mmproj-gemma3.gguf", GEMMA3)]),
            error(&[("gemma3.gguf", GEMMA3_TEXT), ("mmproj-gemma3.gguf", GEMMA3)]),
        ];
        expect![[r#"
            mmproj-x.gguf: this is a vision projector (mmproj) file; add the model GGUF too
            mmproj-x.gguf and mmproj-y.gguf are both vision projector (mmproj) files: give one, with its model
            a.gguf and b.gguf are two models: give one model GGUF (every shard of a split one) and at most one mmproj
            a-00001-of-00002.gguf and b-00002-of-00002.gguf are two models: give one model GGUF (every shard of a split one) and at most one mmproj
            mmproj-gemma3.gguf turns images into 2560-wide embeddings but the text model is 256 wide (n_embd): they are not a pair
            ok"#]]
        .assert_eq(&checks.join("\n"));
    }

    #[test]
    fn file_order_does_not_matter_and_a_second_drop_adds_the_projector() {
        let text = header(GEMMA3_TEXT);
        let projector = header(GEMMA3);
        let both = |files: [(&str, &GgufHeader); 2]| {
            let files: Vec<_> = files
                .iter()
                .map(|(n, h)| (n.to_string(), (*h).clone()))
                .collect();
            gguf_import(&files).unwrap()
        };
        let forward = both([("text.gguf", &text), ("mmproj.gguf", &projector)]);
        let backward = both([("mmproj.gguf", &projector), ("text.gguf", &text)]);
        assert_eq!(forward, backward);
        let alone = gguf_import(&[("text.gguf".into(), text)]).unwrap();
        assert_eq!(
            with_mmproj(&alone, "mmproj.gguf", &projector).unwrap(),
            forward
        );
        let spec = parse_config(&forward).unwrap().spec;
        let stored = spec.stored.as_ref().unwrap().mmproj.as_ref().unwrap();
        assert_eq!(
            (stored.file.as_str(), stored.bytes),
            ("mmproj.gguf", 88_517_248)
        );
        assert_eq!(spec.vision.unwrap().tokens.max_per_image(), 256);
        assert_eq!(
            projector_of(&forward),
            Some(("mmproj.gguf".into(), 35_878_432 + 2_950_272, 88_517_248))
        );
        assert_eq!(projector_of(&alone), None);
        // A projector cannot join a model that did not come from a GGUF.
        let config = r#"{"model_type":"llama","hidden_size":2560,"intermediate_size":256,"num_hidden_layers":1,"num_attention_heads":20,"vocab_size":512}"#;
        expect!["mmproj.gguf: this is a vision projector (mmproj) file; add the model GGUF too"]
            .assert_eq(
                &with_mmproj(config, "mmproj.gguf", &projector)
                    .unwrap_err()
                    .to_string(),
            );
    }

    #[test]
    fn older_llava_files_are_paired_by_their_projector_s_output() {
        // convert_image_encoder_to_gguf.py wrote CLIP's projection_dim (768);
        // llama.cpp pairs by mm.2's output width, and so does vramfit.
        let mut m = distill("mmproj-llava.gguf", &header(LLAVA)).unwrap();
        m.projection_dim = 768;
        assert!(read(&m, 4096).is_ok());
        expect!["mmproj-llava.gguf turns images into 4096-wide embeddings but the text model is 768 wide (n_embd): they are not a pair"]
            .assert_eq(&read(&m, 768).unwrap_err().to_string());
    }

    #[test]
    fn every_prefix_and_byte_flip_of_a_projector_header_is_handled() {
        // The fuzz target's walk, exhaustively over one real header: each
        // prefix, and each byte xor-ed with 0xff and set to 0x00, through
        // the header reader, the pairing and the document read-back.
        let text = header(QWEN25VL_TEXT);
        let mut seen = [0usize; 2];
        let mut run = |bytes: &[u8]| {
            let Ok(h) = parse_gguf(bytes) else { return };
            let files = [
                ("text.gguf".to_string(), text.clone()),
                ("m.gguf".to_string(), h),
            ];
            let ok = gguf_import(&files).and_then(|doc| Ok(parse_config(&doc)?.spec.params()));
            seen[usize::from(ok.is_ok())] += 1;
        };
        for cut in 0..QWEN25VL.len() {
            run(&QWEN25VL[..cut]);
        }
        let mut bytes = QWEN25VL.to_vec();
        for i in 0..bytes.len() {
            for flip in [!bytes[i], 0] {
                let kept = std::mem::replace(&mut bytes[i], flip);
                run(&bytes);
                bytes[i] = kept;
            }
        }
        // Both outcomes occur: flips in names and values that still pair.
        assert!(seen[0] > 0 && seen[1] > 0, "{seen:?}");
    }

    #[test]
    fn hostile_projector_values_are_errors_not_panics() {
        let base = distill("m.gguf", &header(LLAVA)).unwrap();
        type Change = fn(&mut Mmproj);
        let cases: [(&str, Change); 6] = [
            ("patch 0", |m| m.patch_size = 0),
            ("patch above the image", |m| m.patch_size = 400),
            ("image huge", |m| m.image_size = u64::MAX),
            ("merge 0", |m| m.spatial_merge_size = Some(0)),
            ("dims overflow", |m| m.tensors[0].1 = vec![u64::MAX, 3]),
            ("bytes overflow", |m| {
                m.tensors[0].3 = u64::MAX;
                m.tensors[1].3 = u64::MAX;
            }),
        ];
        let out: Vec<String> = cases
            .iter()
            .map(|(what, change)| {
                let mut m = base.clone();
                change(&mut m);
                format!("{what}: {}", read(&m, 4096).unwrap_err())
            })
            .collect();
        expect![[r#"
            patch 0: m.gguf: `clip.vision.patch_size` is 0; expected 1 to 336
            patch above the image: m.gguf: `clip.vision.patch_size` is 400; expected 1 to 336
            image huge: m.gguf: `clip.vision.image_size` is 18446744073709551615; expected 1 to 65536
            merge 0: m.gguf: `clip.vision.spatial_merge_size` is 0; expected 1 to 64
            dims overflow: m.gguf: tensor `v.class_embd` has dimensions [18446744073709551615, 3]
            bytes overflow: m.gguf: the tensors hold more than 1125899906842624 elements or bytes"#]]
        .assert_eq(&out.join("\n"));
        let mut no_vision = header(LLAVA);
        no_vision
            .metadata
            .retain(|(k, _)| k != "clip.has_vision_encoder");
        expect!["m.gguf: this projector has no vision encoder (`clip.has_vision_encoder` is not true); vramfit plans the image side only"]
            .assert_eq(&distill("m.gguf", &no_vision).unwrap_err().to_string());
        let mut no_size = header(LLAVA);
        no_size
            .metadata
            .retain(|(k, _)| k != "clip.vision.image_size");
        expect!["m.gguf: the mmproj metadata lacks `clip.vision.image_size`"]
            .assert_eq(&distill("m.gguf", &no_size).unwrap_err().to_string());
    }
}
