//! vLLM's startup accounting, the way `vllm serve` sizes its KV cache and
//! logs it: `total × gpu_memory_utilization`, minus the weights, the
//! profile run's activation peak, non-torch memory and (from v0.21) the
//! CUDA-graph estimate, becomes KV blocks; "GPU KV cache size: N tokens"
//! and "Maximum concurrency for L tokens per request: X×" follow, or the
//! error vLLM raises when one request of `max_model_len` does not fit.
//!
//! - [`era`]: the releases and what each subtracts (a table, one row per era);
//! - [`kv`]: each layer's cache spec, the block pool and what vLLM reports;
//! - [`profile`]: the activation peak, non-torch memory and graph estimate.
//!
//! Checked against the startup logs in tests/data/measured/vllm_logs.json
//! (tests/vllm_logs.rs; `./bench` prints predicted against logged).

pub mod era;
pub mod kv;
pub mod mxfp4;
pub mod profile;

use serde::Serialize;

pub use era::{Era, Version, CURRENT};
pub use kv::KvPool;

use crate::estimate::model::{KvLayout, Layer, ModelSpec};
use crate::estimate::RunSettings;
use crate::units::GIB;

/// The `vllm serve` arguments vramfit models beyond [`RunSettings`]
/// (which holds `--max-model-len`, `--max-num-seqs`, `--kv-cache-dtype`
/// and `--max-num-batched-tokens`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct VllmArgs {
    pub version: Version,
    /// `--gpu-memory-utilization` in ten-thousandths (0.9 is 9000).
    pub utilization: u32,
    /// `--block-size`; 0 for vLLM's choice (16, or 64 for MLA).
    pub block_size: u64,
    pub enforce_eager: bool,
    /// `--tensor-parallel-size`; 0 lets the planner choose.
    pub tensor_parallel: u16,
    /// `--pipeline-parallel-size`: at most this many stages; 0 lets the
    /// planner choose.
    pub pipeline_parallel: u16,
    /// The GPUs run FlashMLA (Hopper and newer), whose MLA cache uses
    /// 64-token blocks; elsewhere vLLM's MLA backends use 16.
    pub flash_mla: bool,
}

impl Default for VllmArgs {
    fn default() -> Self {
        VllmArgs {
            version: CURRENT,
            utilization: 9000,
            block_size: 0,
            enforce_eager: false,
            tensor_parallel: 0,
            pipeline_parallel: 0,
            flash_mla: true,
        }
    }
}

impl VllmArgs {
    pub fn utilization(&self) -> f64 {
        f64::from(self.utilization) / 10_000.0
    }

    /// The bytes vLLM may use on a GPU of `total` bytes.
    pub fn requested(&self, total: u64) -> u64 {
        (u128::from(total) * u128::from(self.utilization) / 10_000) as u64
    }

    /// Tokens per KV block: the flag, else 64 for MLA on FlashMLA GPUs,
    /// else 16.
    pub fn block_size(&self, spec: &ModelSpec) -> u64 {
        if self.block_size > 0 {
            return self.block_size;
        }
        let mla = spec
            .layers
            .iter()
            .filter_map(|l| l.attention)
            .any(|a| matches!(a.kv, KvLayout::Latent { .. }));
        if mla && self.flash_mla {
            64
        } else {
            16
        }
    }
}

/// vLLM's default `--max-num-batched-tokens` for `vllm serve`
/// (`vllm/engine/arg_utils.py`): from 0.9, 8192 on GPUs of 70 GiB or more
/// other than the A100 and 2048 below; V1 in 0.8, 2048; V0 without chunked
/// prefill (contexts up to 32k), the whole context. Never more than
/// `max_num_seqs × max_model_len`.
pub fn default_batched_tokens(
    version: Version,
    smallest_gpu: u64,
    a100: bool,
    n_ctx: u64,
    n_seq: u64,
) -> u64 {
    let era = Era::of(version);
    let tokens = if !era.v1 {
        if n_ctx <= 32 * 1024 {
            n_ctx.max(2048)
        } else {
            2048
        }
    } else if version >= Version::new(9, 0) && smallest_gpu >= 70 * GIB && !a100 {
        8192
    } else {
        2048
    };
    tokens.min(n_seq.max(1) * n_ctx.max(1))
}

/// What one rank holds before and after the KV cache is sized.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Rank {
    /// The GPU's index in the plan.
    pub device: usize,
    /// `total × gpu_memory_utilization`.
    pub requested_bytes: u64,
    pub weights_bytes: u64,
    pub activation_bytes: u64,
    pub non_torch_bytes: u64,
    pub cuda_graph_bytes: u64,
    /// What is left for the KV cache (negative when nothing is).
    pub kv_cache_bytes: i64,
    pub num_gpu_blocks: u64,
}

/// vLLM's startup as it would log it, per rank and for the engine.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Startup {
    pub version: String,
    /// The era's first release and the upstream rule.
    pub accounting: String,
    pub gpu_memory_utilization: f64,
    pub max_model_len: u64,
    pub max_num_seqs: u64,
    pub max_num_batched_tokens: u64,
    pub block_size: u64,
    /// The CUDA-graph memory was subtracted (v0.21 and later, not eager).
    pub cuda_graphs_subtracted: bool,
    /// A vision-language model's profiling: "Encoder cache will be
    /// initialized with a budget of N tokens, and profiled with M image
    /// items of the maximum feature size" (`None` without images).
    pub encoder_budget_tokens: Option<u64>,
    pub profiled_images: Option<u64>,
    pub ranks: Vec<Rank>,
    /// The rank with the fewest blocks, whose figures vLLM's engine uses
    /// (its fields at the top level of the JSON).
    #[serde(flatten)]
    pub binding: Rank,
    /// "GPU KV cache size: N tokens".
    pub kv_cache_tokens: u64,
    /// "Maximum concurrency for `max_model_len` tokens per request: X×".
    pub max_concurrency: f64,
    /// KV bytes one request of `max_model_len` takes on that rank.
    pub request_kv_bytes: u64,
    /// The longest `--max-model-len` this KV cache holds one request of.
    pub max_len_that_fits: u64,
    /// The error vLLM raises at startup, word for word where it has one.
    pub error: Option<String>,
}

impl Startup {
    /// vLLM starts and serves `max_num_seqs` requests of `max_model_len`.
    pub fn serves_all(&self) -> bool {
        self.error.is_none() && self.max_concurrency + 1e-9 >= self.max_num_seqs as f64
    }
}

/// One rank as the plan placed it.
#[derive(Debug, Clone)]
pub struct RankInput<'a> {
    pub device: usize,
    /// Total memory as CUDA reports it.
    pub total: u64,
    /// What the GPU may use at most: below `total` on a system on chip
    /// whose operating system holds part of the shared memory
    /// ([`crate::plan::gpus::Card::unified_free_gib`]).
    pub capacity: u64,
    /// Memory already used by other processes.
    pub reserve: u64,
    pub weights: u64,
    /// The layers this rank's pipeline stage holds.
    pub layers: &'a [Layer],
    pub first_stage: bool,
    pub last_stage: bool,
}

fn gib(b: f64) -> f64 {
    b / GIB as f64
}

/// What a GPU has free when vLLM checks at startup: its CUDA total less
/// other processes and vLLM's own CUDA context; on unified memory never
/// more than the GPU may use (the operating system's share is not free).
pub fn free_at_startup(total: u64, capacity: u64, reserve: u64, context: u64) -> u64 {
    total.min(capacity).saturating_sub(context + reserve)
}

/// Since 0.9.2 vLLM refuses to start when less is free than it was told to
/// use (`gpu_worker.py`'s "Free memory on device … on startup is less than
/// desired GPU memory utilization").
pub fn refuses_to_start(era: &Era, free: u64, requested: u64) -> bool {
    era.v1 && era.budget == era::Budget::Increases && free < requested
}

/// Runs vLLM's startup accounting over the ranks of a plan.
pub fn startup(
    spec: &ModelSpec,
    s: &RunSettings,
    tp: u64,
    pp: u64,
    context: u64,
    ranks: &[RankInput],
) -> Startup {
    let args = s.vllm;
    let era = Era::of(args.version);
    let block_size = args.block_size(spec);
    let len = s.n_ctx;
    let batched = s.max_num_batched_tokens;
    let graphs = era.subtracts_graphs && !args.enforce_eager;
    let dtype = profile::model_dtype(s);
    let mut out = Vec::new();
    let mut pools = Vec::new();
    let mut free_error = None;
    for r in ranks {
        let requested = args.requested(r.total);
        let act = profile::activation(spec, s, era, tp, r.first_stage, r.last_stage).peak();
        let non_torch = profile::non_torch(era, tp, pp, context);
        let graph = if graphs {
            profile::cuda_graphs(spec, s, tp)
        } else {
            0
        };
        let kv = requested as i64 - (r.weights + act + non_torch + graph) as i64;
        let mut specs = kv::layer_specs(r.layers, s.type_k, dtype, tp);
        if !era.hybrid_kv {
            kv::without_windows(&mut specs);
        }
        let pool = KvPool::new(&specs, block_size);
        let blocks = if kv > 0 {
            pool.num_blocks(kv as u64)
        } else {
            0
        };
        let free = free_at_startup(r.total, r.capacity, r.reserve, context);
        if refuses_to_start(era, free, requested) && free_error.is_none() {
            free_error = Some(format!(
                "ValueError: Free memory on device ({:.2}/{:.2} GiB) on startup is less than desired GPU memory utilization ({}, {:.2} GiB). Decrease GPU memory utilization or reduce GPU memory used by other processes.",
                gib(free as f64),
                gib(r.total as f64),
                args.utilization(),
                gib(requested as f64),
            ));
        }
        out.push(Rank {
            device: r.device,
            requested_bytes: requested,
            weights_bytes: r.weights,
            activation_bytes: act,
            non_torch_bytes: non_torch,
            cuda_graph_bytes: graph,
            kv_cache_bytes: kv,
            num_gpu_blocks: blocks,
        });
        pools.push(pool);
    }
    // The engine takes the smallest block count over all ranks.
    let binding = (0..out.len())
        .min_by_key(|&i| (out[i].num_gpu_blocks, out[i].kv_cache_bytes))
        .unwrap_or(0);
    let empty = KvPool::new(&[], block_size);
    let pool = pools.get(binding).unwrap_or(&empty);
    let rank = out.get(binding).cloned().unwrap_or_default();
    let blocks = rank.num_gpu_blocks;
    let (tokens, concurrency) = if era.v1 {
        (
            pool.tokens(blocks, len, batched, era.tokens_from_concurrency),
            pool.concurrency(blocks, len, batched),
        )
    } else {
        // V0 gives every layer the whole context.
        let tokens = blocks * block_size;
        (tokens, tokens as f64 / len.max(1) as f64)
    };
    let max_len = if era.v1 {
        pool.max_len(blocks, len, batched)
    } else {
        tokens.min(len)
    };
    let needed = pool.request_bytes(len, batched);
    let mm = profile::mm_budget(spec, s);
    let error = free_error.or_else(|| {
        if rank.kv_cache_bytes <= 0 {
            Some("ValueError: No available memory for the cache blocks. Try increasing `gpu_memory_utilization` when initializing the engine.".to_string())
        } else if !era.v1 && tokens < len {
            Some(format!(
                "ValueError: The model's max seq len ({len}) is larger than the maximum number of tokens that can be stored in KV cache ({tokens}). Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine."
            ))
        } else if era.v1 && concurrency < 1.0 {
            Some(format!(
                "ValueError: To serve at least one request with the model's max seq len ({len}), ({:.2} GiB KV cache is needed, which is larger than the available KV cache memory ({:.2} GiB). Based on the available memory, the estimated maximum model length is {max_len}. Try increasing `gpu_memory_utilization` or decreasing `max_model_len` when initializing the engine.",
                gib(needed as f64),
                gib(rank.kv_cache_bytes as f64),
            ))
        } else {
            None
        }
    });
    Startup {
        version: args.version.to_string(),
        accounting: era.describe(),
        gpu_memory_utilization: args.utilization(),
        max_model_len: len,
        max_num_seqs: s.n_seq,
        max_num_batched_tokens: batched,
        block_size: pool.block_size,
        cuda_graphs_subtracted: graphs,
        encoder_budget_tokens: mm.map(|b| b.budget),
        profiled_images: mm.map(|b| b.items),
        binding: rank,
        kv_cache_tokens: tokens,
        max_concurrency: (concurrency * 100.0).floor() / 100.0,
        max_len_that_fits: max_len,
        request_kv_bytes: needed,
        error,
        ranks: out,
    }
}
