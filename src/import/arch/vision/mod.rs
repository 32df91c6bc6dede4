//! Vision towers and projectors of vision-language models, one file per
//! family, read from a multimodal config's `vision_config` (and the
//! wrapper's own projector fields) as transformers builds them. Tensor
//! names follow llama.cpp's `mmproj` files (`v.patch_embd`, `v.blk.N.*`,
//! `mm.*`).

use super::*;
use crate::estimate::model::Vision;

mod gemma4;
mod glm4v;
mod kimi_k25;
mod llava_next;
mod mllama;
mod others;
mod paligemma;
mod qwen2_vl;
mod siglip;
mod vit;

/// A vision reader: the wrapper config, its `vision_config`, and the text
/// model's hidden size the projector maps into.
pub(crate) type VisionReader = fn(&Fields, &Fields, u64) -> Result<Vision, ConfigError>;

/// Whether a wrapper ties the text model's output to its embeddings: the
/// wrapper's own `tie_word_embeddings` decides (its class default when the
/// config leaves it out), and for some classes a tied text config also
/// ties the whole model.
#[derive(Clone, Copy)]
pub(crate) enum Tie {
    Wrapper(bool),
    WrapperOrText(bool),
}

/// One multimodal wrapper: its image side and how it ties the text model.
pub(crate) struct Family {
    pub(crate) model_type: &'static str,
    pub(crate) read: VisionReader,
    pub(crate) tie: Tie,
}

const fn family(model_type: &'static str, read: VisionReader, tie: Tie) -> Family {
    Family {
        model_type,
        read,
        tie,
    }
}

/// Every multimodal wrapper `model_type` whose image side vramfit builds,
/// with the tying rule of its transformers config class.
pub(crate) const VISION: &[Family] = &[
    family("gemma3", siglip::gemma3, Tie::Wrapper(true)),
    family("gemma4", gemma4::gemma4, Tie::Wrapper(true)),
    family("kimi_k25", kimi_k25::kimi_k25, Tie::Wrapper(true)),
    family("idefics3", siglip::idefics3, Tie::Wrapper(false)),
    family("smolvlm", siglip::idefics3, Tie::Wrapper(false)),
    family("llava", others::llava, Tie::WrapperOrText(false)),
    family("internvl", others::internvl, Tie::Wrapper(true)),
    family("mistral3", others::mistral3, Tie::Wrapper(true)),
    family("llama4", others::llama4, Tie::Wrapper(false)),
    family("qwen2_vl", qwen2_vl::qwen2_vl, Tie::WrapperOrText(false)),
    family("llava_next", llava_next::llava_next, Tie::Wrapper(false)),
    family(
        "llava_onevision",
        llava_next::llava_next,
        Tie::WrapperOrText(false),
    ),
    family("paligemma", paligemma::paligemma, Tie::Wrapper(true)),
    family("glm4v", glm4v::glm4v, Tie::WrapperOrText(false)),
    family("glm4v_moe", glm4v::glm4v, Tie::WrapperOrText(false)),
    family("qwen2_5_vl", others::qwen2_5_vl, Tie::WrapperOrText(false)),
    family("qwen3_vl", others::qwen3_vl, Tie::Wrapper(false)),
    family("qwen3_vl_moe", others::qwen3_vl, Tie::Wrapper(false)),
    family("qwen3_5", others::qwen3_5, Tie::Wrapper(false)),
    family("qwen3_5_moe", others::qwen3_5, Tie::Wrapper(false)),
    // MllamaConfig has no flag of its own: the text config's decides.
    family("mllama", mllama::mllama, Tie::WrapperOrText(false)),
];

/// The wrapper family of a `model_type`, if vramfit builds its image side.
pub(crate) fn family_of(model_type: &str) -> Option<&'static Family> {
    VISION.iter().find(|f| f.model_type == model_type)
}

/// Whether the whole model is tied, from the wrapper's fields and the text
/// config's own flag.
pub(crate) fn tied(
    family: &Family,
    wrapper: &Fields,
    text_tied: bool,
) -> Result<bool, ConfigError> {
    Ok(match family.tie {
        Tie::Wrapper(default) => wrapper.flag("tie_word_embeddings", default)?,
        Tie::WrapperOrText(default) => wrapper.flag("tie_word_embeddings", default)? || text_tied,
    })
}

/// A Linear of the image side, with an optional bias.
pub(crate) fn linear(t: &mut Vec<Tensor>, name: &str, row_len: u64, rows: u64, bias: bool) {
    t.push(Tensor::matrix(
        &format!("{name}.weight"),
        Kind::Other,
        row_len,
        rows,
    ));
    if bias {
        t.push(Tensor::vector(&format!("{name}.bias"), rows));
    }
}
