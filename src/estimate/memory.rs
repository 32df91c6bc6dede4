//! Bytes a run allocates, per engine: model, context (KV) and compute
//! buffers plus runtime overhead, the way each runtime sizes them.
//!
//! **llama.cpp** (`src/llama-kv-cache.cpp`, `src/llama-kv-cache-iswa.cpp`,
//! `src/llama-context.cpp`):
//! - KV per layer: `n_embd_k_gqa × cells` of `type_k` plus `n_embd_v_gqa ×
//!   cells` of `type_v`. Each of the `-np` sequences has its own stream of
//!   `n_ctx / n_seq` cells padded to 256 (32 without flash attention).
//!   Sliding-window layers of iSWA models (Gemma 2/3, gpt-oss) hold
//!   `min(n_ctx_seq, pad256(n_swa + n_ubatch))` cells per stream. MLA models
//!   cache only K: the latent plus the RoPE key (V is a view of it).
//!   Encoder-decoder models cache the decoder's self-attention only.
//! - Compute buffers: the graph llama.cpp reserves for one micro-batch,
//!   placed per device as ggml's scheduler and allocator place it
//!   ([`super::ggml`]): exact on llama.cpp's own CPU buffers and on public
//!   GPU logs (tests/llama_cpp_graph.rs, tests/llama_cpp_gpu.rs). Layers the
//!   graph does not cover yet (latent attention, recurrent mixers,
//!   cross-attention, encoders) keep the closed form measured on the CPU:
//!   `n_ubatch × 4 × (n_vocab + 2·n_embd + 1)` with flash attention, plus
//!   the f32 scores (`n_ubatch × cells × n_head` floats) without it.
//! - Token embeddings stay in host memory; logits `n_seq × n_vocab × 4` too.
//!
//! **vLLM** (`vllm/v1/kv_cache_interface.py`, `v1/worker/gpu_worker.py`):
//! - KV in 16-token blocks: full layers `cdiv(n_ctx, 16)` blocks per
//!   sequence, sliding layers `cdiv(min(W − 1 + max_num_batched_tokens,
//!   n_ctx), 16) + 1`; `2 × n_kv × head_dim × bytes` per token (MLA:
//!   `kv_lora_rank + rope_dim` elements, no V).
//! - Compute: the profile run's activation peak, the budget's other terms
//!   and the KV blocks vLLM makes of the rest are in [`super::vllm`].
//!
//! **transformers** `generate()` (measured on an H200 with transformers
//! 5.17, tests/data/measured/transformers_gpu.json):
//! - KV: a `DynamicCache` of `n_ctx` tokens per sequence in the model dtype.
//!   Sliding layers keep their last `W − 1` tokens as a view of the whole
//!   prefill's K/V, so at the prefill's peak every layer holds all `n_ctx`
//!   tokens. MLA models cache the compressed latent (`kv_lora_rank +
//!   rope_dim` elements, plus DeepSeek-V3.2's indexer key of
//!   `index_head_dim`); encoder-decoder models also cache cross-attention
//!   K/V for the encoder's `n_ctx` tokens. DeepSeek-V4's compressed layers
//!   add their pooled entries and compressor state ([`compressed_kv`]).
//! - Compute: the prefill of `n_seq × n_ctx` tokens at its widest block
//!   (see [`transformers_token_width`]), eager attention's `[batch, heads, q,
//!   kv]` scores unless SDPA, the boolean `[batch, 1, q, kv]` masks of
//!   sliding-window models, and last-token logits (`logits_to_keep = 1`).
//!
//! Runtime overhead per GPU (CUDA context, cuBLAS/NCCL workspaces,
//! allocator slack) is 500 MiB by default, configurable: published
//! measurements range from ~110 MiB to ~550 MiB of CUDA context alone.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

use super::format::{normalise, GgmlType, KvType, TorchDtype, UnknownFormat, WeightFormat};
use super::model::{
    Attention, ImageTokens, Kind, KvLayout, Layer, ModelSpec, ModelType, ParamCount, Stack,
    StateDtype, Window,
};
use super::weights::{weight_bytes, WeightBytes};
use crate::units::MIB;

/// The runtime that will load the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Engine {
    LlamaCpp,
    Vllm,
    Transformers,
    /// ExLlamaV2 / TabbyAPI with EXL2 weights.
    ExLlamaV2,
    /// Ollama: llama.cpp underneath, its own settings.
    Ollama,
}

impl Engine {
    pub const ALL: [Engine; 5] = [
        Engine::LlamaCpp,
        Engine::Vllm,
        Engine::Transformers,
        Engine::ExLlamaV2,
        Engine::Ollama,
    ];

    /// llama.cpp and Ollama (which runs llama.cpp) allocate alike.
    pub fn is_llama_cpp(self) -> bool {
        matches!(self, Engine::LlamaCpp | Engine::Ollama)
    }

    pub fn id(self) -> &'static str {
        match self {
            Engine::LlamaCpp => "llama.cpp",
            Engine::Vllm => "vllm",
            Engine::Transformers => "transformers",
            Engine::ExLlamaV2 => "exllamav2",
            Engine::Ollama => "ollama",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Engine::LlamaCpp => "llama.cpp",
            Engine::Vllm => "vLLM",
            Engine::Transformers => "transformers",
            Engine::ExLlamaV2 => "ExLlamaV2",
            Engine::Ollama => "Ollama",
        }
    }

    /// Whether this engine loads weights stored this way.
    pub fn supports(self, format: WeightFormat) -> bool {
        match (self, format) {
            (Engine::LlamaCpp | Engine::Ollama, WeightFormat::Gguf { .. }) => true,
            (Engine::LlamaCpp | Engine::Ollama, _) | (_, WeightFormat::Gguf { .. }) => false,
            (Engine::ExLlamaV2, WeightFormat::Exl2 { .. }) => true,
            (Engine::ExLlamaV2, WeightFormat::Torch { dtype }) => dtype != TorchDtype::F32,
            (Engine::ExLlamaV2, _) | (_, WeightFormat::Exl2 { .. }) => false,
            (Engine::Vllm, _) => true,
            (Engine::Transformers, _) => true,
        }
    }

    /// Whether this engine offers this KV-cache type.
    pub fn supports_kv(self, kv: KvType) -> bool {
        match self {
            Engine::LlamaCpp => KvType::LLAMA_CPP.contains(&kv),
            // OLLAMA_KV_CACHE_TYPE takes f16, q8_0 or q4_0.
            Engine::Ollama => matches!(
                kv,
                KvType::Ggml(GgmlType::F16 | GgmlType::Q8_0 | GgmlType::Q4_0)
            ),
            Engine::ExLlamaV2 => matches!(kv, KvType::F16 | KvType::Exl(_)),
            Engine::Vllm => matches!(
                kv,
                KvType::Fp8 | KvType::Ggml(GgmlType::F16 | GgmlType::BF16)
            ),
            Engine::Transformers => matches!(
                kv,
                KvType::Ggml(GgmlType::F16 | GgmlType::BF16 | GgmlType::F32)
            ),
        }
    }

    /// The weight formats this engine loads, in menu order.
    pub fn weight_formats(self) -> Vec<WeightFormat> {
        WeightFormat::all()
            .into_iter()
            .filter(|&f| self.supports(f))
            .collect()
    }

    /// The KV-cache names this engine offers, in menu order.
    pub fn kv_types(self) -> Vec<String> {
        let mut names: Vec<String> = KvType::LLAMA_CPP.iter().map(|k| k.id()).collect();
        names.extend(["fp8", "q8", "q6", "q4"].map(String::from));
        names
            .into_iter()
            .filter(|n| {
                super::format::kv_pair(n)
                    .is_ok_and(|(k, v)| self.supports_kv(k) && self.supports_kv(v))
            })
            .collect()
    }

    /// The weight format a newcomer starts from on this engine.
    pub fn default_weights(self) -> WeightFormat {
        match self {
            Engine::LlamaCpp => WeightFormat::Gguf {
                ftype: super::format::GgufFtype::Q4_K_M,
            },
            Engine::Ollama => WeightFormat::Gguf {
                ftype: super::format::GgufFtype::Q4_K_M,
            },
            Engine::ExLlamaV2 => WeightFormat::Exl2 { bpw_x100: 400 },
            Engine::Vllm | Engine::Transformers => WeightFormat::BF16,
        }
    }
}

impl fmt::Display for Engine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for Engine {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match normalise(s).as_str() {
            "llamacpp" | "llama" | "llamaserver" | "gguf" => Ok(Engine::LlamaCpp),
            "vllm" => Ok(Engine::Vllm),
            "transformers" | "hf" | "accelerate" | "huggingface" => Ok(Engine::Transformers),
            "exllamav2" | "exllama" | "exl2" | "tabbyapi" | "tabby" => Ok(Engine::ExLlamaV2),
            "ollama" => Ok(Engine::Ollama),
            _ => Err(UnknownFormat {
                what: "engine",
                name: s.to_string(),
                choices: "llama.cpp, vllm, transformers, exllamav2, ollama".into(),
            }),
        }
    }
}

/// What the user asks a run to hold: one struct, not many parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RunSettings {
    pub engine: Engine,
    pub weights: WeightFormat,
    pub type_k: KvType,
    pub type_v: KvType,
    /// Context length per sequence, in tokens.
    pub n_ctx: u64,
    /// Concurrent sequences (llama.cpp `-np`, vLLM `--max-num-seqs`, batch size).
    pub n_seq: u64,
    /// Tokens per compute step (llama.cpp `-ub`).
    pub n_ubatch: u64,
    /// Tokens per vLLM scheduler step (`--max-num-batched-tokens`).
    pub max_num_batched_tokens: u64,
    /// Flash attention (llama.cpp `-fa`; SDPA/flash for transformers).
    pub flash_attn: bool,
    /// llama.cpp `--swa-full`: sliding-window layers cache the whole
    /// context instead of their window.
    pub swa_full: bool,
    /// The llama.cpp build whose buffers to follow (`None`: the current
    /// release); see [`super::ggml::GraphEra::of_build`].
    pub llama_cpp_build: Option<u32>,
    /// CUDA context and allocator slack reserved on each GPU.
    pub overhead_per_gpu: u64,
    /// Images per request for a vision-language model. With 0, llama.cpp
    /// runs without `--mmproj` and vLLM with `--limit-mm-per-prompt
    /// image=0`, neither loading the image side; transformers still does.
    pub images: u64,
    /// vLLM's own arguments: release, utilisation, block size, eager mode.
    pub vllm: super::vllm::VllmArgs,
}

impl Default for RunSettings {
    fn default() -> Self {
        RunSettings {
            engine: Engine::LlamaCpp,
            weights: WeightFormat::Gguf {
                ftype: super::format::GgufFtype::F16,
            },
            type_k: KvType::F16,
            type_v: KvType::F16,
            n_ctx: 8192,
            n_seq: 1,
            n_ubatch: 512,
            max_num_batched_tokens: 2048,
            flash_attn: true,
            swa_full: false,
            llama_cpp_build: None,
            overhead_per_gpu: 500 * MIB,
            images: 1,
            vllm: super::vllm::VllmArgs::default(),
        }
    }
}

/// llama.cpp's host compute buffer, by part. The logged `CUDA_Host` (or
/// `ROCm_Host`, `Vulkan_Host`) compute buffer is `copies × mask + inputs`
/// (plus ~0.01 MiB), where `copies` is 4 when the model is split over
/// several GPUs whole (pipeline parallelism, `LLAMA_SCHED_MAX_COPIES`) and
/// 1 otherwise: equal to six logged loads in
/// tests/data/measured/llama_cpp_gpu_logs.json (tests/llama_cpp_gpu.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct HostCompute {
    /// `n_kv × n_ubatch` f32 (and the sliding-window layers' own mask).
    pub mask: u64,
    /// `n_embd × n_ubatch` f32: the input embeddings.
    pub inputs: u64,
}

impl HostCompute {
    pub fn bytes(&self, copies: u64) -> u64 {
        copies * self.mask + self.inputs
    }
}

/// llama.cpp's compute graph for a run ([`super::ggml`]): what the planner
/// places per device, and the buffers of one GPU holding everything.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct LlamaGraph {
    #[serde(skip)]
    pub shape: super::ggml::Shape,
    pub gpu_align: u64,
    /// `[host, gpu]` compute buffers with every layer on one GPU.
    pub single: [u64; 2],
}

impl LlamaGraph {
    /// The compute buffers of `role` (`[host, gpu…]`).
    pub fn role(
        &self,
        spec: &ModelSpec,
        weights: &WeightBytes,
        role: super::ggml::Role,
    ) -> Vec<u64> {
        if role == super::ggml::Role::Single {
            return self.single.to_vec();
        }
        // Every layer has a graph (checked when this was made).
        super::ggml::role(spec, weights, self.shape, self.gpu_align, role).unwrap_or_default()
    }
}

/// Every byte of a run, per layer where it is per layer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Estimate {
    pub params: ParamCount,
    /// Weights in the chosen format, with the per-type breakdown.
    pub weights: WeightBytes,
    /// Weight bytes of each repeated layer.
    pub layer_weights: Vec<u64>,
    /// KV-cache bytes of each layer for the requested context and
    /// sequences, its recurrent state included.
    pub layer_kv: Vec<u64>,
    /// Of `layer_kv`, the recurrent state (conv + SSM) each layer keeps
    /// per sequence whatever the context.
    pub layer_state: Vec<u64>,
    /// Token embeddings.
    pub token_embd: u64,
    /// Whether the engine keeps token embeddings in host memory (llama.cpp).
    pub token_embd_on_host: bool,
    /// Everything on the output device besides its layers: output norm and
    /// projection (a duplicate of tied embeddings on llama.cpp), other globals.
    pub output: u64,
    /// Compute buffer of every device holding layers.
    pub compute_layers: u64,
    /// Extra compute buffer of the device that holds the output (logits).
    pub compute_output: u64,
    /// The vision encoder's compute buffer on the first device (llama.cpp's
    /// CLIP graph reserved for the largest image; 0 where not measured).
    pub compute_vision: u64,
    /// Runtime overhead per GPU.
    pub overhead_per_gpu: u64,
    /// Host memory the engine uses besides offloaded weights (llama.cpp logits).
    pub host_output_buffer: u64,
    /// llama.cpp's host compute buffer (`CUDA_Host compute buffer`): the
    /// f32 KQ mask over the cache's cells for a micro-batch — one copy per
    /// pipeline copy — and the token embeddings looked up on the host.
    pub host_compute: HostCompute,
    /// llama.cpp's compute graph, when it covers the model: the compute
    /// buffers are then ggml's own placement of it, per device.
    pub graph: Option<LlamaGraph>,
    /// Soft problems with this combination.
    pub warnings: Vec<String>,
}

impl Estimate {
    /// All weight bytes resident for the run (a tied embedding counts twice
    /// on llama.cpp, which keeps a copy on the output device).
    pub fn weights_total(&self) -> u64 {
        self.token_embd + self.output + self.layer_weights.iter().sum::<u64>() + self.weights.vision
    }

    pub fn kv_total(&self) -> u64 {
        self.layer_kv.iter().sum()
    }

    /// Of [`Estimate::kv_total`], the recurrent states.
    pub fn state_total(&self) -> u64 {
        self.layer_state.iter().sum()
    }
}

/// Rounds `n` up to a multiple of `to`.
pub fn pad(n: u64, to: u64) -> u64 {
    n.div_ceil(to) * to
}

/// K and V elements one token caches in a layer, as `engine` stores them.
pub fn kv_row(engine: Engine, attention: &Attention) -> (u64, u64) {
    match attention.kv {
        KvLayout::Heads {
            n_head_kv,
            head_dim_k,
            head_dim_v,
        } => (n_head_kv * head_dim_k, n_head_kv * head_dim_v),
        KvLayout::Latent {
            kv_lora_rank,
            rope_dim,
            head_dim_k,
            head_dim_v,
            indexer_dim,
        } => match engine {
            // transformers keeps the indexer's keys beside the latent in the
            // model dtype (`DynamicIndexedLayer.indexer_keys`,
            // tests/data/measured/transformers_arch.json); the other engines'
            // indexer caches (quantized, apart from the KV pool) are not
            // modelled.
            Engine::Transformers => (kv_lora_rank + rope_dim + indexer_dim, 0),
            Engine::LlamaCpp | Engine::Ollama | Engine::Vllm => (kv_lora_rank + rope_dim, 0),
            Engine::ExLlamaV2 => (attention.n_head * head_dim_k, attention.n_head * head_dim_v),
        },
        KvLayout::SharedKv { head_dim } => (head_dim, 0),
    }
}

/// Bytes of a layer's compressed long-range branch (DeepSeek-V4's CSA and
/// HCA), for `s.n_seq` sequences of `s.n_ctx` tokens, beside what its
/// sliding window caches.
///
/// - transformers (`DeepseekV4HCACache` / `DeepseekV4CSACache`, exact on
///   tests/data/measured/transformers_arch.json): the pooled entries,
///   `n_ctx / rate` of `dim` per sequence; the buffer of tokens not yet
///   pooled, which after the prefill is a view of the whole prefill's K and
///   gate projections (`2 × dim` wide each when windows overlap); and with
///   overlap, the last window's first series carried over (`rate × dim`
///   of K in the model dtype, of gate in fp32). The indexer keeps the
///   same at its own width. All in the model dtype.
/// - llama.cpp, vLLM and the others: their sources could not be checked
///   offline, so the same compression rule is assumed: `n_ctx / rate`
///   entries of `dim` (plus the indexer's) per sequence, in `type_k`,
///   without the few tokens not yet pooled.
fn compressed_kv(attention: &Attention, s: &RunSettings) -> u64 {
    let Some(c) = attention.compression else {
        return 0;
    };
    let entries = s.n_seq * (s.n_ctx / c.rate.max(1));
    match s.engine {
        Engine::Transformers => {
            let m = model_dtype_bytes(s);
            let series = if c.overlap { 2 } else { 1 };
            let branch = |dim: u64| {
                let buffer = 2 * s.n_seq * s.n_ctx * series * dim * m;
                let carried = if c.overlap && s.n_ctx >= c.rate {
                    s.n_seq * c.rate * dim * (m + 4)
                } else {
                    0
                };
                buffer + entries * dim * m + carried
            };
            branch(c.dim)
                + if c.indexer_dim > 0 {
                    branch(c.indexer_dim)
                } else {
                    0
                }
        }
        _ => s.type_k.bytes(c.dim + c.indexer_dim, entries),
    }
}

/// Cached tokens (cells) of one layer's self-attention, all sequences together.
fn self_attention_cells(spec: &ModelSpec, layer: &Layer, s: &RunSettings) -> u64 {
    let Some(attention) = &layer.attention else {
        return 0;
    };
    if layer.stack == Stack::Encoder || attention.shares_kv {
        return 0;
    }
    match s.engine {
        Engine::LlamaCpp | Engine::Ollama => {
            let (per_stream, streams) = llama_cells(spec, attention.window_len(), s);
            per_stream * streams
        }
        // `vllm/v1/kv_cache_interface.py`: `SlidingWindowSpec` and
        // `ChunkedLocalAttentionSpec.max_memory_usage_bytes`.
        Engine::Vllm => {
            let blocks = match attention.window {
                Window::Sliding(w) => {
                    (w - 1 + s.max_num_batched_tokens).min(s.n_ctx).div_ceil(16) + 1
                }
                Window::Chunked(c) => (c + s.max_num_batched_tokens).min(s.n_ctx).div_ceil(16),
                Window::Global => s.n_ctx.div_ceil(16),
            };
            s.n_seq * blocks * 16
        }
        // The prefill holds every token even in sliding layers (see above).
        Engine::Transformers => s.n_seq * s.n_ctx,
        // ExLlamaV2 allocates max_seq_len (a multiple of 256) for every sequence.
        Engine::ExLlamaV2 => s.n_seq * pad(s.n_ctx, 256),
    }
}

/// Bytes per element of the model's activations (and so of the states and
/// caches a PyTorch engine keeps in the model dtype).
fn model_dtype_bytes(s: &RunSettings) -> u64 {
    match s.weights {
        WeightFormat::Torch {
            dtype: TorchDtype::F32,
        } => 4,
        _ => 2,
    }
}

/// Recurrent-state bytes of one layer for `s.n_seq` sequences: the conv
/// inputs and the SSM / delta-rule / WKV state, whatever the context.
///
/// - llama.cpp (`llama-memory-recurrent.cpp`): one cell per sequence
///   (`max(1, n_seq_max)`), `n_embd_r` conv elements (`(d_conv − 1) ×
///   channels`) and `n_embd_s` state elements, both f32.
/// - vLLM (`MambaSpec`): one state per sequence, conv keeping
///   `d_conv − 1` inputs, in the model dtype (`mamba_cache_dtype` /
///   `mamba_ssm_cache_dtype` "auto").
/// - transformers: the conv cache holds the whole kernel window; each part
///   in the dtype the modeling code keeps it in.
pub fn layer_state(layer: &Layer, s: &RunSettings) -> u64 {
    let Some(r) = &layer.recurrent else {
        return 0;
    };
    let model = model_dtype_bytes(s);
    let dtype = |d: StateDtype| match d {
        StateDtype::Model => model,
        StateDtype::F32 => 4,
    };
    let per_seq = match s.engine {
        Engine::LlamaCpp | Engine::Ollama => (r.conv_cached() + r.state) * 4,
        Engine::Vllm => (r.conv_cached() + r.state) * model,
        Engine::Transformers => {
            r.conv_channels * r.conv_kernel * dtype(r.conv_dtype) + r.state * dtype(r.state_dtype)
        }
        Engine::ExLlamaV2 => (r.conv_cached() + r.state) * model,
    };
    s.n_seq.max(1) * per_seq
}

/// KV bytes of one layer, its recurrent state included.
fn layer_kv(spec: &ModelSpec, layer: &Layer, s: &RunSettings) -> u64 {
    let cells = self_attention_cells(spec, layer, s);
    let (k, v) = layer
        .attention
        .as_ref()
        .map_or((0, 0), |a| kv_row(s.engine, a));
    let mut bytes = s.type_k.bytes(k, cells) + if v > 0 { s.type_v.bytes(v, cells) } else { 0 };
    if let Some(a) = layer.attention.as_ref().filter(|_| cells > 0) {
        bytes += compressed_kv(a, s);
    }
    bytes += layer_state(layer, s);
    // Cross-attention K/V over the encoder output: llama.cpp recomputes it
    // from the stored encoder output; transformers and vLLM cache it. A
    // decoder-only model's cross-attention (Llama 3.2 Vision) attends to
    // one image's states per sequence, every tile of it.
    if let (Some(cross), Engine::Transformers | Engine::Vllm) = (&layer.cross_attention, s.engine) {
        let (k, v) = kv_row(s.engine, cross);
        let per_seq = match (&spec.vision, spec.class) {
            (Some(vision), ModelType::DecoderOnly | ModelType::MixtureOfExperts) => {
                match vision.tokens {
                    ImageTokens::Tiles {
                        per_tile,
                        max_tiles,
                    } => per_tile * max_tiles,
                    ImageTokens::Fixed { tokens } => tokens,
                    ImageTokens::Dynamic { .. } => s.n_ctx,
                }
            }
            _ => s.n_ctx,
        };
        let cells = s.n_seq * per_seq;
        bytes += s.type_k.bytes(k, cells) + s.type_v.bytes(v, cells);
    }
    bytes
}

/// Per-token activation width of the widest layer, for the compute buffers
/// of ExLlamaV2's prefill chunks: hidden states, QKV and the MLP's intermediates.
fn activation_width(spec: &ModelSpec) -> u64 {
    let moe_used = spec.moe.map_or(1, |m| m.n_expert_used);
    spec.layers
        .iter()
        .map(|l| {
            let (k, v) = l
                .attention
                .as_ref()
                .map_or((0, 0), |a| kv_row(Engine::Vllm, a));
            let q = l
                .tensors
                .iter()
                .find(|t| t.name.starts_with("attn_q"))
                .map_or(spec.n_embd, |t| t.ne[1]);
            // The widest MLP intermediate: gate+up outputs and the activation.
            let ff = l
                .tensors
                .iter()
                .filter(|t| t.name.starts_with("ffn_up"))
                .map(|t| {
                    if t.is_experts() {
                        t.ne[1] * moe_used
                    } else {
                        t.ne[1]
                    }
                })
                .max()
                .unwrap_or(0);
            3 * spec.n_embd + (q + k + v).max(3 * ff)
        })
        .max()
        .unwrap_or(0)
}

/// 16-bit elements per prefill token alive at transformers' widest block,
/// as measured per block on an H200 (transformers 5.17): the residual
/// stream, the normed input, the block's output and rotary cos/sin (`4 ×
/// n_embd + 2 × head_dim`), plus the larger of
/// - attention: Q, K and V before and after rotary, and the output;
/// - a gated MLP: `act(gate)`, `up` and their product (`3 × n_ff`; a fused
///   `gate_up` keeps both halves: `4 × n_ff`; a plain MLP `2 × n_ff`);
/// - routed experts (grouped GEMM over `top_k` copies of each token): the
///   gathered input with `gate_up` and its masked copy (`n_embd + 4 ×
///   n_ff`), or, after the down projection, the gathered input, the output,
///   its weighted copy and that copy put back in token order (`4 × n_embd`;
///   `6 × n_embd` when the router's weights are fp32, as DeepSeek's are,
///   which makes the weighted copies fp32).
fn transformers_token_width(spec: &ModelSpec) -> u64 {
    let n_embd = spec.n_embd;
    let top_k = spec.moe.map_or(1, |m| m.n_expert_used);
    let weighted = if matches!(spec.model_type.as_str(), "deepseek_v2" | "deepseek_v3") {
        6
    } else {
        4
    };
    spec.layers
        .iter()
        .map(|l| {
            let widths = |kind: Kind, experts: bool| {
                l.tensors
                    .iter()
                    .filter(move |t| t.kind == kind && t.is_experts() == experts && !t.is_1d())
                    .map(|t| t.ne[1])
            };
            let qkv: u64 = [
                Kind::AttnQ,
                Kind::AttnK,
                Kind::AttnV,
                Kind::AttnQkv,
                Kind::AttnKvB,
            ]
            .into_iter()
            .flat_map(|k| widths(k, false))
            .sum();
            let attention = 2 * qkv + n_embd;
            // The first dense MLP (a shared expert's, in MoE layers).
            let up = widths(Kind::FfnUp, false).next().unwrap_or(0);
            let gated = widths(Kind::FfnGate, false).next().is_some();
            let mlp = if gated { 3 * up } else { 2 * up };
            let experts = widths(Kind::FfnUp, true)
                .next()
                .map_or(0, |f| top_k * (n_embd + 4 * f).max(weighted * n_embd));
            let head_dim = l.attention.as_ref().map_or(0, |a| match a.kv {
                KvLayout::Heads { head_dim_k, .. } => head_dim_k,
                KvLayout::Latent { rope_dim, .. } => rope_dim,
                KvLayout::SharedKv { head_dim } => head_dim,
            });
            4 * n_embd + 2 * head_dim + attention.max(mlp).max(experts)
        })
        .max()
        .unwrap_or(0)
}

/// Boolean `[q, kv]` masks transformers builds per sequence: none for
/// causal SDPA/flash, one per kind of layer (full, sliding) when a model
/// has sliding-window layers or attention is eager.
fn transformers_masks(spec: &ModelSpec, eager: bool) -> u64 {
    let decoder = || {
        spec.layers
            .iter()
            .filter(|l| l.stack != Stack::Encoder && l.attention.is_some())
    };
    let sliding = decoder()
        .filter(|l| l.attention.is_some_and(|a| a.window != Window::Global))
        .count();
    match (sliding, eager) {
        (0, false) => 0,
        (0, true) => 1,
        (n, _) if n == decoder().count() => 1,
        _ => 2,
    }
}

/// llama.cpp's reserve graph for a run, when [`super::ggml`] covers every
/// layer of the model, with the compute buffers of one GPU holding it all.
fn llama_graph(spec: &ModelSpec, s: &RunSettings, weights: &WeightBytes) -> Option<LlamaGraph> {
    let cells = |window: Option<u64>| llama_cells(spec, window, s).0;
    let era = super::ggml::GraphEra::of_build(s.llama_cpp_build);
    let window = spec
        .layers
        .iter()
        .filter_map(|l| l.attention.and_then(|a| a.window_len()))
        .max();
    let shape = super::ggml::Shape {
        // `graph_reserve`: a micro-batch of at most the context's tokens.
        n_ubatch: s.n_ubatch.min(s.n_ctx * s.n_seq).max(1),
        // One stream per sequence (the library's default, `kv_unified`
        // off): each attends to its own cells; older builds' one cache.
        n_kv: cells(None),
        n_kv_swa: cells(window),
        flash_attn: s.flash_attn,
        era,
        rotate_k: quantized(s.type_k),
        rotate_v: quantized(s.type_v),
    };
    let gpu_align = LLAMA_GPU_ALIGN;
    let single = super::ggml::role(spec, weights, shape, gpu_align, super::ggml::Role::Single)?;
    Some(LlamaGraph {
        shape,
        gpu_align,
        single: [single[0], single[1]],
    })
}

/// llama.cpp's KV cells for a layer attending over `window` (`None`:
/// global): the cells of one stream and how many streams. The current
/// release pads every stream (one per sequence) to 256 cells
/// (`llama-context.cpp`; tests/data/measured/llama_cpp_hybrid.json); older
/// builds kept one cache for all sequences, padded to 32 cells without
/// flash attention ([`super::ggml::GraphEra::unified_cache`]). Sliding
/// layers of the architectures llama.cpp builds with an iSWA cache
/// (`swa_type` in `llama-model.cpp`) hold their window plus a micro-batch
/// (a chunk at most its own tokens), unless `--swa-full`.
fn llama_cells(spec: &ModelSpec, window: Option<u64>, s: &RunSettings) -> (u64, u64) {
    let unified = super::ggml::GraphEra::of_build(s.llama_cpp_build).unified_cache();
    let (tokens, streams, to) = if unified {
        (s.n_ctx * s.n_seq, 1, if s.flash_attn { 256 } else { 32 })
    } else {
        (s.n_ctx, s.n_seq, 256)
    };
    let full = pad(tokens, to);
    let cells = match window {
        Some(w) if spec.llama_cpp_swa && !s.swa_full => full.min(pad(w + s.n_ubatch, to)),
        _ => full,
    };
    (cells, streams)
}

/// A block-quantized llama.cpp cache type (q8_0, q4_0…).
fn quantized(t: KvType) -> bool {
    matches!(t, KvType::Ggml(g) if g.block_size() > 1)
}

/// CUDA's (and ROCm's) buffer alignment; Metal's and the CPU's are 32.
pub const LLAMA_GPU_ALIGN: u64 = 128;

/// Accounts a run of `spec` with `settings`.
pub fn estimate(spec: &ModelSpec, settings: &RunSettings) -> Estimate {
    estimate_with(spec, settings, weight_bytes(spec, settings.weights))
}

/// [`estimate`] with the weights already sized (they do not depend on the
/// context or the sequences, so searches over those size them once).
pub fn estimate_with(
    spec: &ModelSpec,
    settings: &RunSettings,
    mut weights: WeightBytes,
) -> Estimate {
    let s = settings;
    if s.images == 0 && s.engine != Engine::Transformers {
        weights.vision = 0;
    }
    let layer_kv = spec.layers.iter().map(|l| layer_kv(spec, l, s)).collect();
    let layer_state = spec.layers.iter().map(|l| layer_state(l, s)).collect();
    let n_head_max = spec
        .layers
        .iter()
        .filter_map(|l| l.attention.map(|a| a.n_head))
        .max()
        .unwrap_or(0);
    let mut warnings = Vec::new();
    // Built once: the planner estimates many times per input.
    let graph = match s.engine {
        Engine::LlamaCpp | Engine::Ollama => llama_graph(spec, s, &weights),
        _ => None,
    };
    let (compute_layers, compute_output, host_output_buffer, token_embd_on_host) =
        match (s.engine, &graph) {
            (Engine::LlamaCpp | Engine::Ollama, Some(g)) => {
                let width = if spec.class == ModelType::EncoderOnly {
                    spec.n_embd
                } else {
                    spec.n_vocab
                };
                (g.single[1], 0, s.n_seq * width * 4, true)
            }
            (Engine::LlamaCpp | Engine::Ollama, _) => {
                let scores = if s.flash_attn {
                    0
                } else {
                    s.n_ubatch * pad(s.n_ctx, 32) * n_head_max * 4
                };
                let layers = s.n_ubatch * 4 * (2 * spec.n_embd + 1) + scores;
                // An encoder-only model (BERT) has no output head in llama.cpp:
                // it outputs pooled embeddings, `n_embd` floats per sequence.
                let (logits, out_width) = if spec.class == ModelType::EncoderOnly {
                    (0, spec.n_embd)
                } else {
                    (s.n_ubatch * 4 * spec.n_vocab, spec.n_vocab)
                };
                (
                    layers,
                    logits.saturating_sub(scores),
                    s.n_seq * out_width * 4,
                    true,
                )
            }
            // The profile run's peak on one GPU (`vllm::profile`); the planner
            // recomputes it per tensor-parallel rank.
            (Engine::Vllm, _) => {
                let era = super::vllm::Era::of(s.vllm.version);
                let act = super::vllm::profile::activation(spec, s, era, 1, true, true);
                (
                    act.forward,
                    act.sampler.saturating_sub(act.forward),
                    0,
                    false,
                )
            }
            (Engine::Transformers, _) => {
                let tokens = s.n_seq * s.n_ctx;
                let square = s.n_seq * s.n_ctx * s.n_ctx;
                // gpt-oss's attention sinks have no SDPA path: it runs eager.
                let sinks = spec
                    .layers
                    .iter()
                    .any(|l| l.tensors.iter().any(|t| t.name.starts_with("attn_sinks")));
                let eager = !s.flash_attn || sinks;
                // Eager scores per [head, q, kv]: the bf16 product, an fp32
                // softmax and its bf16 copy (measured 9.4–9.8 bytes); the sink
                // softmax stays in bf16 (6.1).
                let scores = match (eager, sinks) {
                    (false, _) => 0,
                    (true, false) => square * n_head_max * 10,
                    (true, true) => square * n_head_max * 6,
                };
                let masks = square * transformers_masks(spec, eager);
                let layers = tokens * transformers_token_width(spec) * 2 + scores + masks;
                (layers, s.n_seq * spec.n_vocab * (4 + 2), 0, false)
            }
            (Engine::ExLlamaV2, _) => {
                // Prefill in chunks of max_input_len (2048) tokens; a quantized
                // cache also keeps one layer's K/V in fp16 while it works.
                let chunk = (s.n_ctx * s.n_seq).min(2048);
                let temp = match s.type_k {
                    KvType::Exl(_) => spec
                        .layers
                        .iter()
                        .filter_map(|l| l.attention.as_ref())
                        .map(|a| {
                            let (k, v) = kv_row(s.engine, a);
                            (k + v) * 2 * s.n_seq * pad(s.n_ctx, 256)
                        })
                        .max()
                        .unwrap_or(0),
                    _ => 0,
                };
                let layers = chunk * activation_width(spec) * 2 + temp;
                // Embeddings live in system RAM in ExLlamaV2.
                (layers, chunk * spec.n_vocab * 4, 0, true)
            }
        };
    if s.engine == Engine::Vllm && spec.class == ModelType::EncoderDecoder {
        warnings.push(format!(
            "vLLM does not serve {} encoder-decoder models; numbers assume it did",
            spec.model_type
        ));
    }
    if s.engine == Engine::ExLlamaV2 && spec.layers.iter().any(|l| l.recurrent.is_some()) {
        warnings.push(format!(
            "ExLlamaV2 does not run {}'s recurrent layers; numbers assume it did",
            spec.model_type
        ));
    }
    if s.engine == Engine::Vllm && spec.layers.iter().any(|l| l.recurrent.is_some()) {
        warnings.push(
            "vLLM: recurrent states are counted per sequence in the model dtype; vLLM also pads attention blocks to the state's page size, which is not modelled yet"
                .to_string(),
        );
    }
    if spec.class == ModelType::EncoderOnly {
        warnings.push("encoder-only model: no KV cache; context is the input length".to_string());
    }
    let output = weights.output + weights.other_globals;
    let compute_vision = match (&spec.vision, s.engine) {
        (Some(v), Engine::LlamaCpp | Engine::Ollama) if s.images > 0 => {
            v.clip_compute(s.flash_attn)
        }
        _ => 0,
    };
    let host_compute = match s.engine {
        Engine::LlamaCpp | Engine::Ollama => {
            let full = s.n_seq * pad(s.n_ctx, 256);
            let swa = spec
                .layers
                .iter()
                .filter_map(|l| l.attention.and_then(|a| a.window_len()))
                .max()
                .filter(|_| spec.llama_cpp_swa)
                .map_or(0, |w| {
                    s.n_seq * pad(s.n_ctx, 256).min(pad(w + s.n_ubatch, 256))
                });
            HostCompute {
                mask: (full + swa) * s.n_ubatch * 4,
                inputs: spec.n_embd * s.n_ubatch * 4,
            }
        }
        _ => HostCompute::default(),
    };
    Estimate {
        host_compute,
        compute_vision,
        params: spec.params(),
        layer_weights: weights.layers.clone(),
        layer_kv,
        layer_state,
        token_embd: weights.token_embd,
        token_embd_on_host,
        // Tied embeddings: llama.cpp duplicates token_embd on the output
        // device; the others share one tensor on the first device.
        // llama.cpp's BERT has no output head at all (its converter drops
        // the masked-LM head).
        output: if (spec.tied_embeddings && !s.engine.is_llama_cpp())
            || (s.engine.is_llama_cpp() && spec.class == ModelType::EncoderOnly)
        {
            weights.other_globals
        } else {
            output
        },
        weights,
        compute_layers,
        compute_output,
        overhead_per_gpu: s.overhead_per_gpu,
        host_output_buffer,
        graph,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::catalog::find;
    use expect_test::{expect, Expect};

    fn kv_mib(model: &str, engine: Engine, n_ctx: u64, n_seq: u64, kv: KvType) -> f64 {
        let spec = find(model).unwrap().load().unwrap().spec;
        let settings = RunSettings {
            engine,
            type_k: kv,
            type_v: kv,
            n_ctx,
            n_seq,
            ..RunSettings::default()
        };
        estimate(&spec, &settings).kv_total() as f64 / MIB as f64
    }

    #[test]
    fn kv_cache_matches_llama_cpp_worked_examples() {
        // llama.cpp: n_layer × cells × (n_embd_k_gqa + n_embd_v_gqa) × bytes.
        let q8 = KvType::Ggml(GgmlType::Q8_0);
        let cases = [
            ("llama-2-7b", 4096, KvType::F16, 2048.0),
            ("llama-2-7b", 4096, q8, 1088.0),
            ("llama-3.1-8b", 4096, KvType::F16, 512.0),
            ("llama-2-70b", 4096, KvType::F16, 1280.0),
            ("qwen2.5-7b", 2048, KvType::F16, 112.0),
        ];
        for (model, n_ctx, kv, expected) in cases {
            assert_eq!(
                kv_mib(model, Engine::LlamaCpp, n_ctx, 1, kv),
                expected,
                "{model} {n_ctx} {kv:?}"
            );
        }
    }

    fn check(model: &str, n_ctx: u64, n_seq: u64, expected: Expect) {
        let mut out = String::new();
        for engine in Engine::ALL {
            for kv in [KvType::F16, KvType::Ggml(GgmlType::Q8_0), KvType::Fp8] {
                if !engine.supports_kv(kv) {
                    continue;
                }
                let mib = kv_mib(model, engine, n_ctx, n_seq, kv);
                out.push_str(&format!(
                    "{:<12} {:<5} {mib:>10.1} MiB\n",
                    engine.id(),
                    kv.id()
                ));
            }
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn kv_cache_per_engine_for_sliding_window_latent_and_encoder_decoder_models() {
        // Gemma 2: 21 local layers (window 4096) + 21 global, 8 KV heads × 256.
        check(
            "gemma-2-9b",
            32768,
            1,
            expect![[r#"
                llama.cpp    f16       6132.0 MiB
                llama.cpp    q8_0      3257.6 MiB
                vllm         f16       6386.6 MiB
                vllm         fp8       3193.3 MiB
                transformers f16      10752.0 MiB
                exllamav2    f16      10752.0 MiB
                ollama       f16       6132.0 MiB
                ollama       q8_0      3257.6 MiB
            "#]],
        );
        // gpt-oss: 12 sliding layers (window 128) + 12 full, 8 × 64.
        check(
            "gpt-oss-20b",
            32768,
            4,
            expect![[r#"
                llama.cpp    f16       3144.0 MiB
                llama.cpp    q8_0      1670.2 MiB
                vllm         f16       3277.5 MiB
                vllm         fp8       1638.8 MiB
                transformers f16       6144.0 MiB
                exllamav2    f16       6144.0 MiB
                ollama       f16       3144.0 MiB
                ollama       q8_0      1670.2 MiB
            "#]],
        );
        // DeepSeek-V2-Lite: MLA latent 512 + 64 per layer on llama.cpp/vLLM.
        check(
            "deepseek-v2-lite",
            8192,
            1,
            expect![[r#"
                llama.cpp    f16        243.0 MiB
                llama.cpp    q8_0       129.1 MiB
                vllm         f16        243.0 MiB
                vllm         fp8        121.5 MiB
                transformers f16        243.0 MiB
                exllamav2    f16       2160.0 MiB
                ollama       f16        243.0 MiB
                ollama       q8_0       129.1 MiB
            "#]],
        );
        // T5: decoder self-attention (+ cross-attention outside llama.cpp).
        check(
            "flan-t5-xl",
            512,
            1,
            expect![[r#"
                llama.cpp    f16         96.0 MiB
                llama.cpp    q8_0        51.0 MiB
                vllm         f16        192.0 MiB
                vllm         fp8         96.0 MiB
                transformers f16        192.0 MiB
                exllamav2    f16         96.0 MiB
                ollama       f16         96.0 MiB
                ollama       q8_0        51.0 MiB
            "#]],
        );
        // BERT: nothing cached.
        check(
            "bert-base-uncased",
            512,
            1,
            expect![[r#"
                llama.cpp    f16          0.0 MiB
                llama.cpp    q8_0         0.0 MiB
                vllm         f16          0.0 MiB
                vllm         fp8          0.0 MiB
                transformers f16          0.0 MiB
                exllamav2    f16          0.0 MiB
                ollama       f16          0.0 MiB
                ollama       q8_0         0.0 MiB
            "#]],
        );
    }

    #[test]
    fn compressed_layers_cache_a_window_plus_one_entry_per_rate_tokens() {
        // DeepSeek-V4-Flash's class defaults: 43 layers, 2 HCA then CSA/HCA
        // in turn, window 128, head_dim 512, indexer keys of 128.
        let spec = crate::import::parse_config(r#"{"model_type": "deepseek_v4"}"#)
            .unwrap()
            .spec;
        let mut out = String::new();
        for engine in [Engine::LlamaCpp, Engine::Vllm, Engine::Transformers] {
            for n_ctx in [4096, 131_072] {
                let settings = RunSettings {
                    engine,
                    weights: WeightFormat::Torch {
                        dtype: TorchDtype::BF16,
                    },
                    type_k: KvType::F16,
                    type_v: KvType::F16,
                    n_ctx,
                    ..RunSettings::default()
                };
                let mib = estimate(&spec, &settings).kv_total() as f64 / MIB as f64;
                out.push_str(&format!("{:<12} {n_ctx:>6} {mib:>8.1} MiB\n", engine.id()));
            }
        }
        expect![[r#"
            llama.cpp      4096     58.0 MiB
            llama.cpp    131072    855.2 MiB
            vllm           4096    117.8 MiB
            vllm         131072    915.0 MiB
            transformers   4096    782.0 MiB
            transformers 131072  25015.3 MiB
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn image_cross_attention_caches_one_image_of_tiles_per_sequence() {
        // Llama 3.2 Vision's class defaults: 32 self-attention layers and 8
        // cross-attention layers of 8 KV heads × 128; each image is 4 tiles
        // of (448 / 14)² + 1 = 1025 states, whatever the context.
        let spec = crate::import::parse_config(
            r#"{"model_type": "mllama", "text_config": {}, "vision_config": {}}"#,
        )
        .unwrap()
        .spec;
        let mut out = String::new();
        for engine in [Engine::LlamaCpp, Engine::Transformers] {
            for n_ctx in [4096, 8192] {
                let settings = RunSettings {
                    engine,
                    type_k: KvType::F16,
                    type_v: KvType::F16,
                    n_ctx,
                    ..RunSettings::default()
                };
                let mib = estimate(&spec, &settings).kv_total() as f64 / MIB as f64;
                out.push_str(&format!("{:<12} {n_ctx:>6} {mib:>8.3} MiB\n", engine.id()));
            }
        }
        expect![[r#"
            llama.cpp      4096  512.000 MiB
            llama.cpp      8192 1024.000 MiB
            transformers   4096  640.125 MiB
            transformers   8192 1152.125 MiB
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn kv_cells_are_padded_per_sequence_stream() {
        // -c 1200 -np 4: 300 cells per stream, padded to 512 each.
        let spec = find("tinyllama-1.1b").unwrap().load().unwrap().spec;
        let s = RunSettings {
            n_ctx: 300,
            n_seq: 4,
            ..RunSettings::default()
        };
        assert_eq!(self_attention_cells(&spec, &spec.layers[0], &s), 4 * 512);
    }

    #[test]
    fn llama_cpp_compute_buffer_is_its_graph_placed_on_one_gpu() {
        // Llama 3.1 8B, 8192 tokens, flash attention: the GPU peaks at the
        // output, holding the normed hidden state and the logits of every
        // token of the micro-batch; the host keeps the token embeddings it
        // looked up, the f16 mask, the unused embeddings input and the
        // cache indices.
        let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
        let e = estimate(&spec, &RunSettings::default());
        let g = e.graph.unwrap();
        assert_eq!(e.compute_layers, g.single[1]);
        assert_eq!(g.single[1], 512 * 4 * (128_256 + 4096));
        assert_eq!(
            g.single[0],
            2 * 512 * 4096 * 4 + 8192 * 512 * 2 + 2 * 512 * 8 + 3 * 512 * 4
        );
    }

    #[test]
    fn tied_embeddings_are_duplicated_on_llama_cpp_only() {
        let spec = find("qwen2.5-0.5b").unwrap().load().unwrap().spec;
        let llama = estimate(&spec, &RunSettings::default());
        let vllm = estimate(
            &spec,
            &RunSettings {
                engine: Engine::Vllm,
                weights: WeightFormat::BF16,
                ..RunSettings::default()
            },
        );
        assert_eq!(llama.output, llama.token_embd + 896 * 4);
        assert_eq!(vllm.output, 896 * 2);
        assert_eq!(vllm.weights_total(), vllm.weights.file);
    }

    #[test]
    fn llamas_bert_outputs_embeddings_not_logits() {
        let spec = crate::estimate::catalog::find("bert-base-uncased")
            .unwrap()
            .load()
            .unwrap()
            .spec;
        let s = RunSettings {
            n_seq: 4,
            ..RunSettings::default()
        };
        let e = estimate(&spec, &s);
        assert_eq!(e.compute_output, 0);
        assert_eq!(e.host_output_buffer, 4 * 768 * 4);
        assert_eq!(e.output, e.weights.other_globals);
    }
}
