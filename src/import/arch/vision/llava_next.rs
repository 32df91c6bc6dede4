//! LLaVA-NeXT and LLaVA-OneVision (`modeling_llava_next.py`,
//! `modeling_llava_onevision.py`), Granite Vision among them: LLaVA's
//! tower and two-layer projector (the input widened by every
//! `vision_feature_layer` listed) plus `image_newline`, a learned vector of
//! the text width that ends each row of patches, counted with the
//! projector. Images are cut into tiles on the best `image_grid_pinpoints`
//! resolution plus a base image.

use super::*;
use crate::estimate::model::{ImageTokens, Vision};

/// LLaVA-NeXT / OneVision: [`super::others::llava`] with the row separator.
pub(crate) fn llava_next(
    wrapper: &Fields,
    v: &Fields,
    text_embd: u64,
) -> Result<Vision, ConfigError> {
    let mut vision = super::others::llava(wrapper, v, text_embd)?;
    vision
        .projector
        .push(Tensor::vector("mm.image_newline", text_embd));
    if let ImageTokens::Fixed { tokens } = vision.tokens {
        vision.tokens = ImageTokens::Tiles {
            per_tile: tokens,
            max_tiles: largest_grid(wrapper, vision.image_size) + 1,
        };
    }
    Ok(vision)
}

/// Tiles of the largest `image_grid_pinpoints` resolution (LlavaNextConfig's
/// default pinpoints reach 2 × 2 tiles of 336).
fn largest_grid(wrapper: &Fields, tile: u64) -> u64 {
    let Some(Value::Array(points)) = wrapper.get("image_grid_pinpoints") else {
        return 4;
    };
    points
        .iter()
        .filter_map(|p| match p {
            Value::Array(hw) if hw.len() == 2 => {
                let h = hw[0].as_u64()?;
                let w = hw[1].as_u64()?;
                Some(h.div_ceil(tile.max(1)) * w.div_ceil(tile.max(1)))
            }
            _ => None,
        })
        .max()
        .unwrap_or(4)
}
