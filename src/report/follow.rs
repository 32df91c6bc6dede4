//! The weight format a request follows until one is chosen.
//!
//! The CLI plans with no format chosen: [`super::weights_for`] picks what
//! the model's name implies, else a quantized checkpoint's own format,
//! else the engine's default. The app's form, links and the JS API always
//! hold a format, so they would plan a Q4_K_M of gpt-oss, or BF16 for a
//! `…-FP8` repository on vLLM. Here a held format that is the one the
//! model and engine would default to is *following*: when the model, its
//! config or the engine changes, it becomes the new default; a format that
//! differs was chosen and stays.

use super::{weights_for, Request};
use crate::estimate::memory::Engine;
use crate::estimate::names::resolve;
use crate::estimate::WeightFormat;

impl Request {
    /// The format this request's model and engine default to (`None` when
    /// the engine is not one vramfit knows).
    fn own_weights(&self) -> Option<WeightFormat> {
        let engine: Engine = self.engine.parse().ok()?;
        let resolved = if self.config.trim().is_empty() {
            resolve(&self.model).ok()
        } else {
            None
        };
        weights_for(self, "", resolved.as_ref(), engine)
            .ok()
            .map(|(w, _)| w)
    }

    /// Whether the held format is the default, and so follows the model.
    pub(super) fn weights_follow(&self) -> bool {
        let held = self.weights.trim().parse::<WeightFormat>().ok();
        held.is_some() && held == self.own_weights()
    }

    /// After a change of model, config or engine: a format that followed
    /// becomes the new default.
    pub(super) fn follow(&mut self, followed: bool) {
        if !followed {
            return;
        }
        if let Some(w) = self.own_weights() {
            self.weights = w.id();
        }
    }
}
