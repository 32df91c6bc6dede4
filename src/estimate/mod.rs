//! Pure memory accounting: what a runtime allocates for a model.
//!
//! A model is described once, as the list of its tensors with their shapes
//! ([`model::ModelSpec`]); parameter counts and weight bytes in every format
//! are sums over that list, and the KV cache follows from the attention shape
//! of each layer. Nothing here is a per-model constant typed in by hand.
//!
//! The report is split the way llama.cpp logs it: **model** (weights),
//! **context** (KV cache) and **compute** buffers, plus runtime overhead.

pub mod catalog;
pub mod clip;
pub mod format;
pub mod ggml;
pub mod memory;
pub mod model;
pub mod names;
pub mod vllm;
pub mod weights;

pub use format::{GgmlType, KvType, WeightFormat};
pub use memory::{estimate, Estimate, RunSettings};
pub use model::{Kind, ModelSpec, ModelType, ParamCount, Tensor};
