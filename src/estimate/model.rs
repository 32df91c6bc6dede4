//! The model architecture as vramfit sees it: a list of tensors per layer.
//!
//! Tensor names follow GGUF (`token_embd.weight`, `attn_q.weight` inside
//! `blk.N`) because llama.cpp's quantization rules are phrased in them;
//! shapes follow ggml's order, `ne[0]` first (the row length, the dimension
//! quantization blocks run along) and `ne[2]` the expert count of a stacked
//! MoE tensor (1 otherwise). Counting parameters is summing `numel` over
//! this list; every format's bytes are a sum over it too.

use serde::Serialize;

/// The four architecture classes of the original model-profile module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ModelType {
    DecoderOnly,
    EncoderDecoder,
    EncoderOnly,
    MixtureOfExperts,
}

/// What a tensor does; decides which type each tensor gets in a quantization
/// mix (llama.cpp `llama_tensor_get_type`) and which stay unquantized.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// Token embeddings (`token_embd`).
    TokenEmbd,
    /// The output projection / lm_head (`output`).
    Output,
    AttnQ,
    AttnK,
    AttnV,
    /// Fused Q/K/V projection (Phi-3 `attn_qkv`).
    AttnQkv,
    /// MLA's K/V up-projection (`attn_kv_b`); quantized like `attn_v`.
    AttnKvB,
    AttnOutput,
    FfnGate,
    FfnUp,
    FfnDown,
    /// MoE router (`ffn_gate_inp`): never quantized.
    FfnGateInp,
    /// Position, token-type or relative-position embeddings: never quantized.
    PosEmbd,
    /// Any other matrix: takes the mix's default type.
    Other,
    /// Norm weights, biases, attention sinks: kept in F32 in GGUF.
    Vector,
}

/// One weight tensor: `ne = [row length, rows, experts]` in ggml order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tensor {
    /// GGUF name, without the `blk.N.` prefix inside a layer.
    pub name: String,
    pub kind: Kind,
    pub ne: [u64; 3],
}

impl Tensor {
    /// A 2-D weight of `rows` rows of `row_len` elements (`nn.Linear(row_len, rows)`).
    pub fn matrix(name: &str, kind: Kind, row_len: u64, rows: u64) -> Tensor {
        Tensor {
            name: name.into(),
            kind,
            ne: [row_len, rows, 1],
        }
    }

    /// `n_expert` stacked matrices (a MoE expert tensor such as `ffn_up_exps`).
    pub fn experts(name: &str, kind: Kind, row_len: u64, rows: u64, n_expert: u64) -> Tensor {
        Tensor {
            name: name.into(),
            kind,
            ne: [row_len, rows, n_expert],
        }
    }

    /// A 1-D tensor: a norm weight, a bias, attention sinks.
    pub fn vector(name: &str, len: u64) -> Tensor {
        Tensor {
            name: name.into(),
            kind: Kind::Vector,
            ne: [len, 1, 1],
        }
    }

    pub fn numel(&self) -> u64 {
        self.ne[0] * self.ne[1] * self.ne[2]
    }

    /// Norm weights and biases: llama.cpp never quantizes them.
    pub fn is_1d(&self) -> bool {
        self.kind == Kind::Vector || (self.ne[1] == 1 && self.ne[2] == 1)
    }

    /// A stacked MoE expert tensor.
    pub fn is_experts(&self) -> bool {
        self.ne[2] > 1
    }
}

/// What one layer's attention caches per token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum KvLayout {
    /// K and V per KV head (MHA, GQA, MQA).
    Heads {
        n_head_kv: u64,
        head_dim_k: u64,
        head_dim_v: u64,
    },
    /// Multi-head latent attention (DeepSeek-V2/V3): one compressed latent of
    /// `kv_lora_rank` plus the decoupled RoPE key of `rope_dim` per token.
    /// `head_dim_k`/`head_dim_v` are the per-head sizes after up-projection
    /// (what an engine that caches expanded K/V stores).
    Latent {
        kv_lora_rank: u64,
        rope_dim: u64,
        head_dim_k: u64,
        head_dim_v: u64,
        /// DeepSeek-V3.2's sparse-attention indexer caches one key of this
        /// width per token besides the latent (0: no indexer).
        indexer_dim: u64,
    },
    /// One vector of `head_dim` per token read as both key and value
    /// (DeepSeek-V4's shared-KV MQA): only K is cached.
    SharedKv { head_dim: u64 },
}

/// Which earlier tokens a layer's attention sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "tokens", rename_all = "snake_case")]
pub enum Window {
    /// Every earlier token.
    Global,
    /// The last `n` tokens (Mistral, Gemma 2/3, gpt-oss, Cohere 2).
    Sliding(u64),
    /// The tokens of the same `n`-token chunk (Llama 4's local layers).
    Chunked(u64),
}

/// A compressed long-range branch beside a sliding window (DeepSeek-V4's
/// CSA and HCA layers): every `rate` tokens are pooled into one entry of
/// `dim`, with a learned softmax gate over the window's tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Compression {
    /// Tokens pooled into one entry (`compress_rates`: 4 for CSA, 128 for HCA).
    pub rate: u64,
    /// Width of one compressed entry (the attention's `head_dim`).
    pub dim: u64,
    /// Overlapping windows (CSA): each token projects two series of `dim`
    /// and the last window's first series is carried into the next entry.
    pub overlap: bool,
    /// A lightning indexer compressing its own keys of this width at the
    /// same rate, with the same overlap (CSA; 0: none).
    pub indexer_dim: u64,
}

/// Attention shape of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Attention {
    pub n_head: u64,
    pub kv: KvLayout,
    pub window: Window,
    /// The layer reads the K/V of an earlier layer (Gemma 3n's last
    /// layers) and caches nothing of its own.
    pub shares_kv: bool,
    /// Compressed entries for the tokens beyond the window (DeepSeek-V4).
    pub compression: Option<Compression>,
}

impl Attention {
    /// Standard attention with `n_head_kv` heads of `head_dim`.
    pub fn heads(n_head: u64, n_head_kv: u64, head_dim: u64) -> Attention {
        Attention {
            n_head,
            kv: KvLayout::Heads {
                n_head_kv,
                head_dim_k: head_dim,
                head_dim_v: head_dim,
            },
            window: Window::Global,
            shares_kv: false,
            compression: None,
        }
    }

    /// The local window's length, sliding or chunked; `None` when global.
    pub fn window_len(&self) -> Option<u64> {
        match self.window {
            Window::Global => None,
            Window::Sliding(n) | Window::Chunked(n) => Some(n),
        }
    }

    /// KV heads (1 for a latent cache, which is shared by all heads).
    pub fn n_head_kv(&self) -> u64 {
        match self.kv {
            KvLayout::Heads { n_head_kv, .. } => n_head_kv,
            KvLayout::Latent { .. } | KvLayout::SharedKv { .. } => 1,
        }
    }
}

/// Which stack a layer belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Stack {
    Decoder,
    Encoder,
}

/// The kind of recurrent token mixer, as llama.cpp and transformers name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RecurrentKind {
    /// Mamba (selective SSM, `d_inner × d_state` state).
    Mamba,
    /// Mamba2 (SSD: heads × head_dim × d_state, grouped B/C).
    Mamba2,
    /// Gated DeltaNet (Qwen3-Next / Qwen3.5 linear attention).
    GatedDeltaNet,
    /// Kimi Delta Attention (Kimi Linear).
    KimiDelta,
    /// A gated short convolution with no state beyond its inputs (LFM2).
    ShortConv,
    /// Lightning / linear attention with a `head_dim × head_dim` state per head (MiniMax).
    LinearAttention,
    /// RWKV time mixing: token shift plus a WKV state per head.
    Rwkv,
}

/// Which dtype a recurrent state is kept in by the reference implementation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StateDtype {
    /// The model's dtype (bf16 for a bf16 model).
    Model,
    /// Always fp32.
    F32,
}

/// What a recurrent layer keeps per sequence, whatever the context length:
/// the last inputs of its causal convolution and its recurrent state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Recurrent {
    pub kind: RecurrentKind,
    /// Channels of the causal conv1d (0 when there is none).
    pub conv_channels: u64,
    /// Its kernel width: llama.cpp and vLLM keep the last `conv_kernel − 1`
    /// inputs, transformers' caches all `conv_kernel`.
    pub conv_kernel: u64,
    /// Elements of the recurrent state (SSM, delta-rule or WKV matrix).
    pub state: u64,
    /// The dtype transformers keeps the conv inputs and the state in.
    pub conv_dtype: StateDtype,
    pub state_dtype: StateDtype,
}

impl Recurrent {
    /// Conv elements kept per sequence when the last `conv_kernel − 1`
    /// inputs are cached (llama.cpp's `n_embd_r`, vLLM's conv state).
    pub fn conv_cached(&self) -> u64 {
        self.conv_channels * self.conv_kernel.saturating_sub(1)
    }
}

/// One repeated block (`blk.N`, or `enc.blk.N` / `dec.blk.N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layer {
    pub stack: Stack,
    /// Self-attention; `None` for a layer whose token mixer is recurrent.
    /// Encoder layers have it but cache nothing.
    pub attention: Option<Attention>,
    /// A recurrent token mixer's per-sequence state (Mamba, gated
    /// DeltaNet, short conv, RWKV…); `None` for attention layers.
    pub recurrent: Option<Recurrent>,
    /// Cross-attention of a decoder layer over the encoder output
    /// (encoder-decoder models): caches K/V for every encoder token.
    pub cross_attention: Option<Attention>,
    pub tensors: Vec<Tensor>,
}

/// Mixture-of-experts shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Moe {
    pub n_expert: u64,
    pub n_expert_used: u64,
    pub n_expert_shared: u64,
}

/// A model: global tensors, per-layer tensors and the facts runtimes size by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelSpec {
    /// The `model_type` of the config it came from (`llama`, `qwen2`, …).
    pub model_type: String,
    pub class: ModelType,
    pub n_embd: u64,
    pub n_vocab: u64,
    /// `max_position_embeddings`: the longest context the model was trained for.
    pub n_ctx_train: u64,
    pub tied_embeddings: bool,
    pub moe: Option<Moe>,
    /// llama.cpp builds this architecture with an iSWA cache (`swa_type`
    /// set in `llama-model.cpp`): its local layers hold only their window.
    /// Other architectures with a window in their config get a full cache
    /// there (Mistral 7B v0.1 does).
    pub llama_cpp_swa: bool,
    /// Tensors outside the repeated layers: `token_embd`, `output_norm`,
    /// `output` (when untied), position embeddings, poolers…
    pub globals: Vec<Tensor>,
    /// Encoder layers first (if any), then decoder layers.
    pub layers: Vec<Layer>,
    /// The image side of a vision-language model, when it has one.
    pub vision: Option<Vision>,
    /// Exact weight bytes from an imported model file, when there is one.
    pub stored: Option<Stored>,
}

/// A vision-language model's image side: the vision encoder (ViT,
/// SigLIP, Pixtral…) and the projector that maps its features into the
/// text model's embedding space. llama.cpp keeps both in the separate
/// `mmproj` GGUF; the PyTorch engines load them with the model.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Vision {
    /// The encoder's tensors (patch embedding, position embeddings, every
    /// block, the final norm).
    pub encoder: Vec<Tensor>,
    /// The projector / merger / connector.
    pub projector: Vec<Tensor>,
    /// Width, depth and heads of the encoder, and its patch size.
    pub n_embd: u64,
    pub n_layer: u64,
    pub n_head: u64,
    pub patch_size: u64,
    /// The side of the image the encoder sees (or its largest tile).
    pub image_size: u64,
    /// How many text-context tokens one image becomes.
    pub tokens: ImageTokens,
    /// llama.cpp's converter keeps this family's patch and position
    /// embeddings in F32 in the `mmproj` file (Gemma 3's
    /// `tensor_force_quant`); other matrices are F16.
    pub mmproj_f32_embeddings: bool,
    /// The graph llama.cpp's `clip.cpp` builds for this tower, when its
    /// compute buffer has been measured.
    pub clip_graph: ClipGraph,
    /// The processor takes videos too. vLLM profiles the modality with the
    /// most tokens per item (a video, for these), so a command that keeps
    /// the image budget turns video off.
    pub video: bool,
}

/// llama.cpp's CLIP graphs whose compute buffer vramfit sizes: the graph
/// builder `tools/mtmd/clip.cpp` picks for the tower's projector type
/// (`models/*.cpp`). The bytes and where each form comes from are in
/// [`crate::estimate::clip`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClipGraph {
    /// Not measured: the encoder's compute buffer is not counted.
    Unmeasured,
    /// A plain ViT over `(image / patch)²` patches without a class token
    /// (`clip_graph_siglip`, SigLIP as Gemma 3 uses it): `4·n·(f + 3d)`
    /// bytes with flash attention, `4·h·n² + 24·n·d` without (the f32 KQ
    /// matrix).
    Vit,
    /// CLIP with a class token and LLaVA's two-layer MLP projector over the
    /// patches (`clip_graph_llava`, projector type `mlp`: LLaVA 1.5 and
    /// NeXT, one 336 px tile at a time): the larger of a block (its FFN, or
    /// with flash attention off its f32 KQ matrix over `n + 1` positions)
    /// and the projector's two outputs over the `n` patches.
    VitCls,
    /// Qwen2-VL's native-resolution ViT (`clip_graph_qwen2vl`, no windows):
    /// every block attends over all patches; the buffer grows with the
    /// image, reserved for the largest llama.cpp accepts.
    Qwen2Vl,
    /// Qwen2.5-VL's ViT (`clip_graph_qwen2vl` with `n_wa_pattern`):
    /// `windowed_layers` blocks attend within windows under an `n × n` f32
    /// mask (cast to f16 with flash attention), the others over all
    /// patches.
    QwenWindowed { windowed_layers: u64 },
}

impl Vision {
    /// Bytes of llama.cpp's CLIP compute buffer for the largest image it
    /// sizes the buffer for ([`crate::estimate::clip::reserved_image`]),
    /// 0 when unmeasured.
    pub fn clip_compute(&self, flash_attn: bool) -> u64 {
        let (width, height) = super::clip::reserved_image(self);
        super::clip::compute_bytes(self, width, height, flash_attn)
    }
}

/// The rule a processor turns an image into context tokens by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImageTokens {
    /// Always this many (Gemma 3's 256, LLaVA's patch grid).
    Fixed { tokens: u64 },
    /// Native resolution: `pixels / (patch × merge)²` tokens, the pixels
    /// clamped to `[min_pixels, max_pixels]` (Qwen2-VL and its successors).
    Dynamic {
        patch: u64,
        merge: u64,
        min_pixels: u64,
        max_pixels: u64,
    },
    /// Tiles of a fixed size, each `per_tile` tokens, at most `max_tiles`
    /// (plus a thumbnail where the model adds one).
    Tiles { per_tile: u64, max_tiles: u64 },
}

impl ImageTokens {
    /// Context tokens of the largest image the processor produces by
    /// default: the fixed count, `max_pixels / (patch × merge)²`, or every
    /// tile.
    pub fn max_per_image(&self) -> u64 {
        match *self {
            ImageTokens::Fixed { tokens } => tokens,
            ImageTokens::Dynamic {
                patch,
                merge,
                max_pixels,
                ..
            } => max_pixels / (patch * merge).max(1).pow(2),
            ImageTokens::Tiles {
                per_tile,
                max_tiles,
            } => per_tile * max_tiles,
        }
    }
}

impl Vision {
    /// Encoder and projector parameters.
    pub fn params(&self) -> (u64, u64) {
        (
            self.encoder.iter().map(Tensor::numel).sum(),
            self.projector.iter().map(Tensor::numel).sum(),
        )
    }
}

/// Weights as a model file stores them (an imported GGUF or safetensors
/// checkpoint): exact bytes summed from the file's tensor list, used
/// instead of a weight format's rules.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Stored {
    /// `gguf` or `safetensors`.
    pub source: String,
    /// The files read.
    pub files: Vec<String>,
    /// What the file says its format is (`GGUF Q4_K_M`, `safetensors BF16`).
    pub label: String,
    /// Bytes of each layer (`blk.N.*`, `model.layers.N.*`).
    pub layers: Vec<u64>,
    /// Of each layer, the routed-expert tensors.
    pub layer_experts: Vec<u64>,
    pub token_embd: u64,
    /// Output norm and projection.
    pub output: u64,
    /// Every other tensor outside the layers.
    pub other: u64,
    /// `(storage type, tensors, bytes)`, largest first.
    pub by_type: Vec<(String, u64, u64)>,
    /// Parameters counted from the file (elements of every tensor), and
    /// those active per token.
    pub params: u64,
    pub active_params: u64,
    /// The vision projector file read with a GGUF model (its tensors are
    /// [`ModelSpec::vision`]), when one was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mmproj: Option<StoredMmproj>,
}

/// A llama.cpp vision projector file (`mmproj-*.gguf`) as stored: the
/// image side's exact bytes, used instead of the F16 rule of
/// [`crate::estimate::weights::WeightBytes::vision`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct StoredMmproj {
    /// The file name, for `--mmproj`.
    pub file: String,
    /// Bytes of its tensors: what `clip_model_loader` logs as "model size"
    /// and loads.
    pub bytes: u64,
}

/// Parameter counts as the transformers model class reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamCount {
    /// Unique parameters: a tied embedding/lm_head counted once.
    pub total: u64,
    /// Parameters used per token (equal to `total` for dense models): each
    /// expert tensor counts `n_expert_used / n_expert` of its elements.
    pub active: u64,
    /// Token embeddings.
    pub embedding: u64,
    /// Every layer's parameters, in layer order.
    pub per_layer: Vec<u64>,
    /// The text model, the vision encoder and the projector (`total` is
    /// their sum).
    pub parts: Parts,
}

/// A model's parameters by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub struct Parts {
    pub text: u64,
    pub vision: u64,
    pub projector: u64,
}

impl ModelSpec {
    pub fn n_layer(&self) -> usize {
        self.layers.len()
    }

    /// The first layer's attention that is not shared: heads and KV heads
    /// for tensor parallelism and quantization rules.
    pub fn first_attention(&self) -> Option<&Attention> {
        self.layers.iter().find_map(|l| l.attention.as_ref())
    }

    /// The global tensor of this kind, if there is one.
    pub fn global(&self, kind: Kind) -> Option<&Tensor> {
        self.globals.iter().find(|t| t.kind == kind)
    }

    fn active(&self, tensor: &Tensor) -> u64 {
        match self.moe {
            Some(moe) if tensor.is_experts() => tensor.numel() / moe.n_expert * moe.n_expert_used,
            _ => tensor.numel(),
        }
    }

    pub fn params(&self) -> ParamCount {
        let sum = |tensors: &[Tensor]| -> (u64, u64) {
            tensors
                .iter()
                .fold((0, 0), |(t, a), x| (t + x.numel(), a + self.active(x)))
        };
        let (mut total, mut active) = sum(&self.globals);
        let mut per_layer = Vec::with_capacity(self.layers.len());
        for layer in &self.layers {
            let (t, a) = sum(&layer.tensors);
            per_layer.push(t);
            total += t;
            active += a;
        }
        if let Some(stored) = &self.stored {
            total = stored.params;
            active = stored.active_params;
        }
        let (vision, projector) = self.vision.as_ref().map_or((0, 0), Vision::params);
        ParamCount {
            total: total + vision + projector,
            // The image side runs in full for every image.
            active: active + vision + projector,
            embedding: self.global(Kind::TokenEmbd).map_or(0, Tensor::numel),
            per_layer,
            parts: Parts {
                text: total,
                vision,
                projector,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::ImageTokens;

    #[test]
    fn the_largest_image_takes_the_rule_s_most_tokens() {
        // Gemma 3: always 256; Qwen2.5-VL: 12,845,056 pixels in 28-pixel
        // merged patches; Idefics3: 64 tokens per tile, 17 tiles.
        assert_eq!(ImageTokens::Fixed { tokens: 256 }.max_per_image(), 256);
        let qwen = ImageTokens::Dynamic {
            patch: 14,
            merge: 2,
            min_pixels: 56 * 56,
            max_pixels: 28 * 28 * 16384,
        };
        assert_eq!(qwen.max_per_image(), 16384);
        let tiles = ImageTokens::Tiles {
            per_tile: 64,
            max_tiles: 17,
        };
        assert_eq!(tiles.max_per_image(), 1088);
    }
}
