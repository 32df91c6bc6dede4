//! PaliGemma (`modeling_paligemma.py`): a SigLIP tower (`modeling_siglip.py`,
//! its pooling head only when `vision_use_head`, which released
//! checkpoints turn off) and one biased Linear from the tower's width to
//! `projection_dim`, the text width; `(image / patch)²` tokens per image.

use super::siglip::{pooling_head, SIGLIP};
use super::vit::{dims, encoder, vision};
use super::*;
use crate::estimate::model::{ImageTokens, Vision};

/// PaliGemma: SigLIP and its linear projection.
pub(crate) fn paligemma(
    _wrapper: &Fields,
    v: &Fields,
    _text_embd: u64,
) -> Result<Vision, ConfigError> {
    let d = dims(v, [768, 3072, 12, 12, 3, 16, 224])?;
    let mut t = encoder(&d, &SIGLIP)?;
    if v.flag("vision_use_head", true)? {
        pooling_head(&mut t, &d);
    }
    let mut projector = Vec::new();
    linear(
        &mut projector,
        "mm.0",
        d.n_embd,
        v.dim_or("projection_dim", 2048)?,
        true,
    );
    let side = d.image / d.patch;
    let tokens = ImageTokens::Fixed {
        tokens: side * side,
    };
    Ok(vision(&d, t, projector, tokens))
}
