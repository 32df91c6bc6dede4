//! Launch configs for a fine-tuning plan (being written).

use super::TrainSettings;

/// The configs that run `s` on `gpus` GPUs for `model_ref`, by name.
pub fn configs(_model_ref: &str, _s: &TrainSettings, _gpus: usize) -> Vec<(String, String)> {
    Vec::new()
}
