//! vLLM's KV cache on one rank: each layer's cache spec, how layers share
//! blocks, how many blocks fit, and what vLLM then reports.
//!
//! Sources (vllm-project/vllm): `vllm/v1/kv_cache_interface.py` (page
//! size and `max_memory_usage_bytes` of `FullAttentionSpec`,
//! `SlidingWindowSpec`, `ChunkedLocalAttentionSpec`, `MLAAttentionSpec`,
//! `MambaSpec`), `vllm/v1/core/kv_cache_utils.py` (`get_kv_cache_groups`,
//! `unify_kv_cache_spec_page_size`, `_get_kv_cache_groups_uniform_page_size`,
//! `get_max_concurrency_for_kv_cache_config`, `_report_kv_cache_config`,
//! `check_enough_kv_cache_memory`) and
//! `vllm/model_executor/models/config.py`
//! (`HybridAttentionMambaModelConfig`: the attention block grows until its
//! page holds a Mamba state).

use serde::Serialize;

use crate::estimate::memory::kv_row;
use crate::estimate::memory::Engine;
use crate::estimate::model::{KvLayout, Layer, RecurrentKind, Stack, Window};
use crate::estimate::KvType;

/// What one layer caches, as vLLM names its specs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "tokens", rename_all = "snake_case")]
pub enum SpecKind {
    Full,
    Sliding(u64),
    Chunked(u64),
    /// A recurrent layer's state: one page per sequence.
    Mamba,
}

/// One cache-holding layer on a rank.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LayerSpec {
    pub kind: SpecKind,
    /// Bytes one token takes in this layer (attention), or one sequence's
    /// state (Mamba).
    pub bytes: u64,
}

/// The block pool of one rank.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct KvPool {
    /// Tokens per block of the smallest-block group (what vLLM reports).
    pub block_size: u64,
    /// Bytes one block id takes over all layers that share it (the padded
    /// group of a hybrid model counts whole).
    pub bytes_per_block: u64,
    /// KV cache groups: the spec, its block size and its number of layers.
    pub groups: Vec<Group>,
}

/// A KV cache group: layers of one spec that share block tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    pub kind: SpecKind,
    pub block_size: u64,
}

/// Bytes per element of the cache: fp8 is one, auto the model dtype.
fn element_bytes(type_k: KvType, model_dtype: u64) -> u64 {
    match type_k {
        KvType::Fp8 => 1,
        _ => model_dtype,
    }
}

/// Before the hybrid KV cache manager (`Era::hybrid_kv`), local layers
/// cache every token like full ones.
pub fn without_windows(specs: &mut [LayerSpec]) {
    for s in specs {
        if matches!(s.kind, SpecKind::Sliding(_) | SpecKind::Chunked(_)) {
            s.kind = SpecKind::Full;
        }
    }
}

/// The cache specs of `layers` on one rank of `tp`.
pub fn layer_specs(layers: &[Layer], type_k: KvType, model_dtype: u64, tp: u64) -> Vec<LayerSpec> {
    let e = element_bytes(type_k, model_dtype);
    let tp = tp.max(1);
    let mut out = Vec::new();
    for l in layers.iter().filter(|l| l.stack == Stack::Decoder) {
        if let Some(a) = l.attention.filter(|a| !a.shares_kv) {
            let (k, v) = kv_row(Engine::Vllm, &a);
            // KV heads split over TP, replicated when fewer than ranks; an
            // MLA latent is one "head" every rank keeps.
            let heads = a.n_head_kv();
            let per_rank = match a.kv {
                KvLayout::Heads { .. } => (heads / tp).max(1),
                _ => 1,
            };
            let bytes = (k + v) / heads.max(1) * per_rank * e;
            let kind = match a.window {
                Window::Global => SpecKind::Full,
                Window::Sliding(w) => SpecKind::Sliding(w),
                Window::Chunked(c) => SpecKind::Chunked(c),
            };
            out.push(LayerSpec { kind, bytes });
        }
        if let Some(r) = &l.recurrent {
            // Conv inputs in the model dtype and the state in
            // `mamba_ssm_cache_dtype` — auto: the model dtype, but fp32 for
            // gated-DeltaNet models, whose configs ask for it (a v0.19
            // Qwen3.5-27B log's tokens and concurrency come out exactly
            // with it: tests/data/measured/vllm_logs.json) — split over TP.
            let state_bytes = match r.kind {
                RecurrentKind::GatedDeltaNet => 4,
                _ => model_dtype,
            };
            let bytes =
                r.conv_cached().div_ceil(tp) * model_dtype + r.state.div_ceil(tp) * state_bytes;
            out.push(LayerSpec {
                kind: SpecKind::Mamba,
                bytes,
            });
        }
        if let Some(c) = &l.cross_attention {
            let (k, v) = kv_row(Engine::Vllm, c);
            let heads = c.n_head_kv().max(1);
            let bytes = (k + v) / heads * (heads / tp).max(1) * e;
            out.push(LayerSpec {
                kind: SpecKind::Full,
                bytes,
            });
        }
    }
    out
}

/// Blocks one layer of `kind` needs for a request of `len` tokens
/// (`max_memory_usage_bytes / page_size`).
fn blocks_per_request(kind: SpecKind, block_size: u64, len: u64, batched: u64) -> u64 {
    match kind {
        SpecKind::Full => len.div_ceil(block_size),
        // The window may straddle a block boundary: one block more.
        SpecKind::Sliding(w) => {
            (w.saturating_sub(1) + batched)
                .min(len)
                .div_ceil(block_size)
                + 1
        }
        SpecKind::Chunked(c) => (c + batched).min(len).div_ceil(block_size),
        SpecKind::Mamba => 1,
    }
}

impl KvPool {
    /// The pool vLLM builds for `layers` with `block_size`-token blocks.
    ///
    /// One spec: every layer has its own tensor of `num_blocks` pages.
    /// Several (hybrid): pages are unified (attention blocks grow until a
    /// page holds a Mamba state; smaller attention pages get longer blocks),
    /// layers of a spec are dealt into groups of `group_size` (the fewest
    /// layers of any spec, or the most when that is within 1.5×), and one
    /// block id takes a page in every layer of a group-sized set.
    pub fn new(layers: &[LayerSpec], block_size: u64) -> KvPool {
        let block_size = block_size.max(1);
        let mut kinds: Vec<SpecKind> = Vec::new();
        for l in layers {
            if !kinds.contains(&l.kind) {
                kinds.push(l.kind);
            }
        }
        if kinds.len() <= 1 {
            let kind = kinds.first().copied().unwrap_or(SpecKind::Full);
            let bytes_per_block = match kind {
                SpecKind::Mamba => layers.iter().map(|l| l.bytes).sum(),
                _ => layers.iter().map(|l| l.bytes * block_size).sum(),
            };
            return KvPool {
                block_size,
                bytes_per_block,
                groups: vec![Group { kind, block_size }],
            };
        }
        // Attention pages first: the block size grows (in steps of 16
        // tokens) until one page holds the largest Mamba state.
        let attention_token = layers
            .iter()
            .filter(|l| l.kind != SpecKind::Mamba)
            .map(|l| l.bytes)
            .max()
            .unwrap_or(1)
            .max(1);
        let mamba_page = layers
            .iter()
            .filter(|l| l.kind == SpecKind::Mamba)
            .map(|l| l.bytes)
            .max()
            .unwrap_or(0);
        let align = 16;
        let attention_block = if mamba_page > attention_token * block_size {
            align * mamba_page.div_ceil(align * attention_token)
        } else {
            block_size
        };
        let page = attention_token * attention_block;
        let mut groups = Vec::new();
        let counts: Vec<u64> = kinds
            .iter()
            .map(|k| layers.iter().filter(|l| l.kind == *k).count() as u64)
            .collect();
        let fewest = *counts.iter().min().unwrap_or(&1);
        let most = *counts.iter().max().unwrap_or(&1);
        let group_size = if 2 * most < 3 * fewest { most } else { fewest }.max(1);
        for (kind, n) in kinds.iter().zip(&counts) {
            // A layer with a smaller page per token gets longer blocks.
            let token = layers
                .iter()
                .filter(|l| l.kind == *kind)
                .map(|l| l.bytes)
                .max()
                .unwrap_or(1)
                .max(1);
            let block = match kind {
                SpecKind::Mamba => attention_block,
                _ => (page / token).max(1),
            };
            for _ in 0..n.div_ceil(group_size) {
                groups.push(Group {
                    kind: *kind,
                    block_size: block,
                });
            }
        }
        KvPool {
            block_size: groups
                .iter()
                .map(|g| g.block_size)
                .min()
                .unwrap_or(block_size),
            bytes_per_block: page * group_size,
            groups,
        }
    }

    /// Blocks that fit in `available` bytes.
    pub fn num_blocks(&self, available: u64) -> u64 {
        available / self.bytes_per_block.max(1)
    }

    /// Blocks one request of `len` tokens takes, over all groups.
    pub fn blocks_per_request(&self, len: u64, batched: u64) -> u64 {
        self.groups
            .iter()
            .map(|g| blocks_per_request(g.kind, g.block_size, len, batched))
            .sum()
    }

    /// Bytes one request of `len` tokens needs (`check_enough_kv_cache_memory`).
    pub fn request_bytes(&self, len: u64, batched: u64) -> u64 {
        self.bytes_per_block * self.blocks_per_request(len, batched)
    }

    /// Requests of `len` tokens that fit in `num_blocks` blocks, as vLLM
    /// prints it ("Maximum concurrency for L tokens per request: X×").
    pub fn concurrency(&self, num_blocks: u64, len: u64, batched: u64) -> f64 {
        num_blocks as f64 / self.blocks_per_request(len, batched).max(1) as f64
    }

    /// vLLM's "GPU KV cache size: N tokens": blocks per group times the
    /// block size, or (newer releases) concurrency times `len`.
    pub fn tokens(&self, num_blocks: u64, len: u64, batched: u64, from_concurrency: bool) -> u64 {
        if from_concurrency {
            (self.concurrency(num_blocks, len, batched) * len as f64) as u64
        } else {
            num_blocks / (self.groups.len() as u64).max(1) * self.block_size
        }
    }

    /// The longest request that still fits in `num_blocks` blocks
    /// (vLLM's `estimate_max_model_len`), 0 when not even one token does.
    pub fn max_len(&self, num_blocks: u64, len: u64, batched: u64) -> u64 {
        let fits = |l: u64| self.blocks_per_request(l, batched) <= num_blocks;
        if !fits(1) {
            return 0;
        }
        let (mut lo, mut hi) = (1, len);
        while lo < hi {
            let mid = lo + (hi - lo).div_ceil(2);
            if fits(mid) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        lo
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full(n: usize, bytes: u64) -> Vec<LayerSpec> {
        vec![
            LayerSpec {
                kind: SpecKind::Full,
                bytes
            };
            n
        ]
    }

    #[test]
    fn a_uniform_model_has_one_group_and_counts_blocks_times_block_size() {
        // Llama 3.1 8B, one rank: 32 layers × 8 KV heads × 128 × (K+V) × 2 B.
        let pool = KvPool::new(&full(32, 8 * 128 * 2 * 2), 16);
        assert_eq!(pool.bytes_per_block, 32 * 4096 * 16);
        let blocks = pool.num_blocks(19_370_000_000);
        assert_eq!(pool.tokens(blocks, 32768, 2048, false), blocks * 16);
        assert_eq!(pool.blocks_per_request(32768, 2048), 2048);
        assert_eq!(pool.max_len(100, 32768, 2048), 1600);
    }

    #[test]
    fn sliding_layers_need_window_plus_batch_blocks_and_share_block_ids() {
        // gpt-oss-120b: 18 full + 18 sliding (128) layers, equal pages.
        let mut layers = full(18, 1024);
        layers.extend(vec![
            LayerSpec {
                kind: SpecKind::Sliding(128),
                bytes: 1024
            };
            18
        ]);
        let pool = KvPool::new(&layers, 16);
        assert_eq!(pool.groups.len(), 2);
        assert_eq!(pool.bytes_per_block, 1024 * 16 * 18);
        // One 32k request: 2048 full blocks + cdiv(127 + 2048, 16) + 1.
        assert_eq!(pool.blocks_per_request(32768, 2048), 2048 + 136 + 1);
        let n = pool.num_blocks(10 << 30);
        assert_eq!(pool.tokens(n, 32768, 2048, false), n / 2 * 16);
    }

    #[test]
    fn a_mamba_state_grows_the_attention_block() {
        // A 3:1 GDN hybrid: state of 1 MiB per layer, 4 KiB per token.
        let mut layers = vec![
            LayerSpec {
                kind: SpecKind::Mamba,
                bytes: 1 << 20
            };
            36
        ];
        layers.extend(full(12, 4096));
        let pool = KvPool::new(&layers, 16);
        assert_eq!(pool.block_size, 256);
        assert_eq!(pool.bytes_per_block, 4096 * 256 * 12);
        assert_eq!(pool.groups.len(), 4);
        assert_eq!(pool.blocks_per_request(8192, 2048), 3 + 32);
    }
}
