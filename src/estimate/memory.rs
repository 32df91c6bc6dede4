//! Bytes a llama.cpp run allocates: model, context (KV) and compute buffers.
//!
//! Sources (llama.cpp, `src/llama-kv-cache.cpp`, `src/llama-context.cpp`):
//! - KV cache: per layer, `n_embd_k_gqa × cells` elements of `type_k` and
//!   `n_embd_v_gqa × cells` of `type_v`. With flash attention the cell count
//!   is padded to 256; with several sequences (`-np`) and a non-unified cache
//!   each sequence gets its own stream of `n_ctx / n_seq` cells, each padded.
//! - Compute buffer, flash attention on:
//!   `n_ubatch × 4 × (n_vocab + 2·n_embd + 1)` bytes — measured on eight architectures with llama.cpp 0c1e570
//!   (CPU backend); the `n_vocab` term is the logits of the output device.
//!   Flash attention off adds the f32 attention scores,
//!   `n_ubatch × cells × n_head × 4`.
//! - Runtime overhead per GPU (CUDA context, cuBLAS workspace, allocator
//!   slack): 500 MiB by default, configurable.

use serde::Serialize;

use super::format::{KvType, WeightFormat};
use super::model::{Attention, Kind, KvLayout, ModelSpec, ParamCount};
use crate::units::MIB;

/// What the user asks a run to hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSettings {
    pub weights: WeightFormat,
    pub type_k: KvType,
    pub type_v: KvType,
    /// Context length per sequence, in tokens.
    pub n_ctx: u64,
    /// Concurrent sequences (llama.cpp `-np`, vLLM `--max-num-seqs`).
    pub n_seq: u64,
    /// Tokens per compute step (llama.cpp `-ub`).
    pub n_ubatch: u64,
    pub flash_attn: bool,
    /// CUDA context and allocator slack reserved on each GPU.
    pub overhead_per_gpu: u64,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            weights: WeightFormat::Gguf(super::GgmlType::F16),
            type_k: KvType::F16,
            type_v: KvType::F16,
            n_ctx: 8192,
            n_seq: 1,
            n_ubatch: 512,
            flash_attn: true,
            overhead_per_gpu: 500 * MIB,
        }
    }
}

/// Every byte of a run, per layer where it is per layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub params: ParamCount,
    /// Weight bytes of each repeated layer.
    pub layer_weights: Vec<u64>,
    /// KV-cache bytes of each layer for the requested context and sequences.
    pub layer_kv: Vec<u64>,
    /// Token embeddings (llama.cpp keeps them in host memory).
    pub token_embd: u64,
    /// Output norm and output projection (on the last GPU). With tied
    /// embeddings llama.cpp duplicates `token_embd` here.
    pub output: u64,
    /// KV cells per layer (all sequences together, after padding).
    pub kv_cells: u64,
    /// Compute buffer of a device holding layers but not the output.
    pub compute_layers: u64,
    /// Extra compute buffer of the device that holds the output (logits).
    pub compute_output: u64,
    /// Runtime overhead per GPU.
    pub overhead_per_gpu: u64,
    /// Logits buffer in host memory: `n_seq × n_vocab × 4`.
    pub host_output_buffer: u64,
}

impl Estimate {
    pub fn weights_total(&self) -> u64 {
        self.token_embd + self.output + self.layer_weights.iter().sum::<u64>()
    }

    pub fn kv_total(&self) -> u64 {
        self.layer_kv.iter().sum()
    }
}

/// Rounds `n` up to a multiple of `to`.
pub fn pad(n: u64, to: u64) -> u64 {
    n.div_ceil(to) * to
}

/// The KV cells llama.cpp allocates per layer for `n_seq` streams of `n_ctx`.
pub fn kv_cells(settings: &RunSettings) -> u64 {
    let padding = if settings.flash_attn { 256 } else { 32 };
    settings.n_seq * pad(settings.n_ctx, padding)
}

/// K and V elements one token caches in a layer with this attention.
pub fn kv_row(attention: &Attention) -> (u64, u64) {
    match attention.kv {
        KvLayout::Heads {
            n_head_kv,
            head_dim_k,
            head_dim_v,
        } => (n_head_kv * head_dim_k, n_head_kv * head_dim_v),
        KvLayout::Latent {
            kv_lora_rank,
            rope_dim,
        } => (kv_lora_rank + rope_dim, kv_lora_rank),
    }
}

/// Accounts a llama.cpp run of `spec` with `settings`.
pub fn estimate(spec: &ModelSpec, settings: &RunSettings) -> Estimate {
    let weights = settings.weights;
    let layer_weights = spec
        .layers
        .iter()
        .map(|l| l.tensors.iter().map(|t| weights.tensor_bytes(t)).sum())
        .collect();
    let cells = kv_cells(settings);
    let layer_kv = spec
        .layers
        .iter()
        .map(|l| {
            let (k, v) = kv_row(&l.attention);
            settings.type_k.bytes(k, cells) + settings.type_v.bytes(v, cells)
        })
        .collect();
    let token_embd = spec
        .global(Kind::TokenEmbd)
        .map_or(0, |t| weights.tensor_bytes(t));
    let output_norm = spec
        .global(Kind::Vector)
        .map_or(0, |t| weights.tensor_bytes(t));
    let output_proj = match spec.global(Kind::Output) {
        Some(t) => weights.tensor_bytes(t),
        None => token_embd,
    };
    let n_head_max = spec
        .layers
        .iter()
        .map(|l| l.attention.n_head)
        .max()
        .unwrap_or(0);
    let scores = if settings.flash_attn {
        0
    } else {
        settings.n_ubatch * pad(settings.n_ctx, 32) * n_head_max * 4
    };
    Estimate {
        params: spec.params(),
        layer_weights,
        layer_kv,
        token_embd,
        output: output_norm + output_proj,
        kv_cells: cells,
        compute_layers: settings.n_ubatch * 4 * (2 * spec.n_embd + 1) + scores,
        compute_output: settings.n_ubatch * 4 * spec.n_vocab,
        overhead_per_gpu: settings.overhead_per_gpu,
        host_output_buffer: settings.n_seq * spec.n_vocab * 4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::catalog::find;
    use crate::estimate::{GgmlType, KvType};

    fn kv_mib(model: &str, n_ctx: u64, kv: GgmlType) -> f64 {
        let spec = find(model).unwrap().load().unwrap().spec;
        let settings = RunSettings {
            type_k: KvType(kv),
            type_v: KvType(kv),
            n_ctx,
            ..RunSettings::default()
        };
        estimate(&spec, &settings).kv_total() as f64 / MIB as f64
    }

    #[test]
    fn kv_cache_matches_llama_cpp_worked_examples() {
        // llama.cpp: n_layer × cells × (n_embd_k_gqa + n_embd_v_gqa) × bytes.
        let cases = [
            ("llama-2-7b", 4096, GgmlType::F16, 2048.0),
            ("llama-2-7b", 4096, GgmlType::Q8_0, 1088.0),
            ("llama-3.1-8b", 4096, GgmlType::F16, 512.0),
            ("llama-2-70b", 4096, GgmlType::F16, 1280.0),
            ("qwen2.5-7b", 2048, GgmlType::F16, 112.0),
        ];
        for (model, n_ctx, kv, expected) in cases {
            assert_eq!(kv_mib(model, n_ctx, kv), expected, "{model} {n_ctx} {kv}");
        }
    }

    #[test]
    fn kv_cells_are_padded_per_sequence_stream() {
        let settings = RunSettings {
            n_ctx: 300,
            n_seq: 4,
            ..RunSettings::default()
        };
        assert_eq!(kv_cells(&settings), 4 * 512);
    }

    #[test]
    fn f16_gguf_weights_are_two_bytes_per_matrix_element_and_f32_norms() {
        let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
        let e = estimate(&spec, &RunSettings::default());
        let norms = (2 * 32 + 1) * 4096;
        assert_eq!(e.weights_total(), (8_030_261_248 - norms) * 2 + norms * 4);
    }
}
