//! The model architecture as vramfit sees it: a list of tensors per layer.
//!
//! Tensor names follow GGUF (`token_embd`, `blk.N.attn_q`, …) because
//! llama.cpp's quantization rules are phrased in them; shapes follow ggml's
//! order, `ne[0]` first (the row length, the dimension quantization blocks
//! run along). Counting parameters is summing `numel` over this list.

use serde::Serialize;

/// The four architecture classes of the original model-profile module.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ModelType {
    DecoderOnly,
    EncoderDecoder,
    EncoderOnly,
    MixtureOfExperts,
}

/// What a tensor is for; drives which format each tensor gets in a mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    TokenEmbd,
    Output,
    OutputNorm,
    AttnNorm,
    AttnQ,
    AttnK,
    AttnV,
    AttnOutput,
    AttnQBias,
    AttnKBias,
    AttnVBias,
    AttnOutputBias,
    FfnNorm,
    FfnGate,
    FfnUp,
    FfnDown,
    FfnGateBias,
    FfnUpBias,
    FfnDownBias,
}

impl Role {
    /// The GGUF tensor name without the `blk.N.` prefix.
    pub fn gguf_name(self) -> &'static str {
        match self {
            Role::TokenEmbd => "token_embd.weight",
            Role::Output => "output.weight",
            Role::OutputNorm => "output_norm.weight",
            Role::AttnNorm => "attn_norm.weight",
            Role::AttnQ => "attn_q.weight",
            Role::AttnK => "attn_k.weight",
            Role::AttnV => "attn_v.weight",
            Role::AttnOutput => "attn_output.weight",
            Role::AttnQBias => "attn_q.bias",
            Role::AttnKBias => "attn_k.bias",
            Role::AttnVBias => "attn_v.bias",
            Role::AttnOutputBias => "attn_output.bias",
            Role::FfnNorm => "ffn_norm.weight",
            Role::FfnGate => "ffn_gate.weight",
            Role::FfnUp => "ffn_up.weight",
            Role::FfnDown => "ffn_down.weight",
            Role::FfnGateBias => "ffn_gate.bias",
            Role::FfnUpBias => "ffn_up.bias",
            Role::FfnDownBias => "ffn_down.bias",
        }
    }
}

/// One weight tensor: `ne = [row length, rows]` in ggml order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tensor {
    pub role: Role,
    pub ne: [u64; 2],
}

impl Tensor {
    pub fn matrix(role: Role, row_len: u64, rows: u64) -> Tensor {
        Tensor {
            role,
            ne: [row_len, rows],
        }
    }

    pub fn vector(role: Role, len: u64) -> Tensor {
        Tensor { role, ne: [len, 1] }
    }

    pub fn numel(&self) -> u64 {
        self.ne[0] * self.ne[1]
    }

    /// Norm weights and biases: llama.cpp never quantizes them.
    pub fn is_1d(&self) -> bool {
        self.ne[1] == 1
    }
}

/// Attention shape of one layer: what its KV cache holds per token.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attention {
    pub n_head: u64,
    pub n_head_kv: u64,
    pub head_dim_k: u64,
    pub head_dim_v: u64,
    /// Sliding-window size for local-attention layers; `None` is global.
    pub sliding_window: Option<u64>,
}

impl Attention {
    /// llama.cpp's `n_embd_k_gqa`: K elements cached per token.
    pub fn n_embd_k_gqa(&self) -> u64 {
        self.head_dim_k * self.n_head_kv
    }

    /// llama.cpp's `n_embd_v_gqa`: V elements cached per token.
    pub fn n_embd_v_gqa(&self) -> u64 {
        self.head_dim_v * self.n_head_kv
    }
}

/// One repeated block (`blk.N`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Layer {
    pub attention: Attention,
    pub tensors: Vec<Tensor>,
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
    /// `token_embd`, `output_norm` and (when untied) `output`.
    pub globals: Vec<Tensor>,
    pub layers: Vec<Layer>,
}

/// Parameter counts as the transformers model class reports them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ParamCount {
    /// Unique parameters: a tied embedding/lm_head counted once.
    pub total: u64,
    /// Parameters used per token (equal to `total` for dense models).
    pub active: u64,
    pub embedding: u64,
    pub per_layer: Vec<u64>,
}

impl ModelSpec {
    pub fn n_layer(&self) -> usize {
        self.layers.len()
    }

    pub fn global(&self, role: Role) -> Option<&Tensor> {
        self.globals.iter().find(|t| t.role == role)
    }

    pub fn params(&self) -> ParamCount {
        let per_layer: Vec<u64> = self
            .layers
            .iter()
            .map(|l| l.tensors.iter().map(Tensor::numel).sum())
            .collect();
        let globals: u64 = self.globals.iter().map(Tensor::numel).sum();
        let total = globals + per_layer.iter().sum::<u64>();
        ParamCount {
            total,
            active: total,
            embedding: self.global(Role::TokenEmbd).map_or(0, Tensor::numel),
            per_layer,
        }
    }
}
