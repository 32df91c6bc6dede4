//! Hugging Face `config.json` → [`ModelSpec`].
//!
//! Each supported `model_type` is built as the transformers modeling code
//! builds it — the same modules with the same shapes — so summing the tensor
//! list gives the parameter count the model class reports (a tied
//! embedding/lm_head once, buffers such as rotary `inv_freq` or DeepSeek-V3's
//! `e_score_correction_bias` excluded). Optional fields take the defaults of
//! that model's transformers config class, so a real config from the Hub
//! works as it is; a missing required field or a contradiction is an error
//! naming the field. An unknown `model_type` with the standard fields is read
//! as a Llama-style decoder, with a warning.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::estimate::model::{
    Attention, Kind, KvLayout, Layer, ModelSpec, ModelType, Moe, Stack, Stored, Tensor,
};

/// Why a config could not be used; each names the field at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ConfigError {
    #[error("config.json is not valid JSON: {0}")]
    Json(String),
    #[error("config.json must be a JSON object")]
    NotAnObject,
    #[error("missing required field `{0}`")]
    Missing(&'static str),
    #[error("field `{field}` {why}")]
    Invalid { field: &'static str, why: String },
}

/// A parsed model with the soft problems found on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct Imported {
    pub spec: ModelSpec,
    pub warnings: Vec<String>,
}

/// The `model_type`s built exactly; anything else is read as a Llama-style
/// decoder with a warning.
pub const SUPPORTED_MODEL_TYPES: &[&str] = &[
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "phi3",
    "deepseek_v2",
    "deepseek_v3",
    "gpt_oss",
    "t5",
    "bart",
    "bert",
];

/// Parses `config.json` text.
pub fn parse_config(text: &str) -> Result<Imported, ConfigError> {
    if text.len() > MAX_CONFIG_BYTES {
        return Err(ConfigError::Invalid {
            field: "config.json",
            why: format!(
                "is {} bytes; a model config is far smaller than {MAX_CONFIG_BYTES}",
                text.len()
            ),
        });
    }
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(ConfigError::NotAnObject);
    };
    if fields.contains_key("vramfit_import") {
        return imported_file(&fields);
    }
    config_fields(fields)
}

/// An imported model file: `{"vramfit_import": 1, "config": {…}, "stored":
/// {…}}` — the architecture as a config, the weights as the file stores
/// them (see [`crate::import::file`]).
fn imported_file(fields: &Map<String, Value>) -> Result<Imported, ConfigError> {
    let Some(Value::Object(config)) = fields.get("config") else {
        return Err(ConfigError::Missing("config"));
    };
    let stored: Stored = serde_json::from_value(
        fields.get("stored").cloned().unwrap_or(Value::Null),
    )
    .map_err(|e| ConfigError::Invalid {
        field: "stored",
        why: e.to_string(),
    })?;
    let mut imported = config_fields(config.clone())?;
    if stored.layers.len() != imported.spec.layers.len()
        || stored.layer_experts.len() != stored.layers.len()
    {
        return Err(ConfigError::Invalid {
            field: "stored",
            why: format!(
                "lists {} layers but the architecture has {}",
                stored.layers.len(),
                imported.spec.layers.len()
            ),
        });
    }
    imported.spec.stored = Some(stored);
    Ok(imported)
}

fn config_fields(fields: Map<String, Value>) -> Result<Imported, ConfigError> {
    let model_type = fields
        .get("model_type")
        .and_then(Value::as_str)
        .unwrap_or("")
        .to_string();
    let mut warnings = Vec::new();
    // A multimodal Gemma 3 config nests the language model in `text_config`.
    let spec = match (model_type.as_str(), fields.get("text_config")) {
        ("gemma3", Some(Value::Object(text_config))) => {
            warnings
                .push("gemma3: the text model only; the vision tower is not counted".to_string());
            build(&Fields(text_config), "gemma3_text", &mut warnings)?
        }
        _ => build(&Fields(&fields), &model_type, &mut warnings)?,
    };
    Ok(Imported { spec, warnings })
}

/// Configs larger than this are rejected before parsing (real ones are a few KB).
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Largest dimension accepted: far above any real model, low enough that
/// products of a few dimensions cannot overflow `u64`.
const MAX_DIM: u64 = 1 << 24;

/// Most layers accepted.
const MAX_LAYERS: u64 = 4096;

/// Typed access to config fields with errors that name them.
struct Fields<'a>(&'a Map<String, Value>);

impl Fields<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    fn opt_dim(&self, field: &'static str) -> Result<Option<u64>, ConfigError> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => match v.as_u64() {
                Some(0) => Err(ConfigError::Invalid {
                    field,
                    why: "must be at least 1".into(),
                }),
                Some(n) if n > MAX_DIM => Err(ConfigError::Invalid {
                    field,
                    why: format!("is {n}, larger than any real model ({MAX_DIM})"),
                }),
                Some(n) => Ok(Some(n)),
                None => Err(ConfigError::Invalid {
                    field,
                    why: format!("must be a positive integer, got {v}"),
                }),
            },
        }
    }

    /// Like [`Fields::opt_dim`] but 0 is allowed (counts such as `n_shared_experts`).
    fn opt_count(&self, field: &'static str) -> Result<Option<u64>, ConfigError> {
        match self.get(field) {
            Some(v) if v.as_u64() == Some(0) => Ok(Some(0)),
            _ => self.opt_dim(field),
        }
    }

    fn dim(&self, field: &'static str) -> Result<u64, ConfigError> {
        self.opt_dim(field)?.ok_or(ConfigError::Missing(field))
    }

    fn dim_or(&self, field: &'static str, default: u64) -> Result<u64, ConfigError> {
        Ok(self.opt_dim(field)?.unwrap_or(default))
    }

    fn layers(&self, field: &'static str) -> Result<u64, ConfigError> {
        let n = self.dim(field)?;
        if n > MAX_LAYERS {
            return Err(ConfigError::Invalid {
                field,
                why: format!("is {n}, more than {MAX_LAYERS}"),
            });
        }
        Ok(n)
    }

    fn flag(&self, field: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(ConfigError::Invalid {
                field,
                why: format!("must be true or false, got {v}"),
            }),
        }
    }

    fn string(&self, field: &'static str) -> Result<Option<&str>, ConfigError> {
        match self.get(field) {
            None => Ok(None),
            Some(Value::String(s)) => Ok(Some(s)),
            Some(v) => Err(ConfigError::Invalid {
                field,
                why: format!("must be a string, got {v}"),
            }),
        }
    }

    /// A list of layer indices (`mlp_only_layers`).
    fn indices(&self, field: &'static str) -> Result<Vec<u64>, ConfigError> {
        match self.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_u64().ok_or_else(|| ConfigError::Invalid {
                        field,
                        why: format!("must list layer indices, found {v}"),
                    })
                })
                .collect(),
            Some(v) => Err(ConfigError::Invalid {
                field,
                why: format!("must be a list, got {v}"),
            }),
        }
    }

    /// `layer_types` (`"sliding_attention"` / `"full_attention"` per layer).
    fn layer_types(&self, n_layer: u64) -> Result<Option<Vec<bool>>, ConfigError> {
        const FIELD: &str = "layer_types";
        let Some(value) = self.get(FIELD) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(ConfigError::Invalid {
                field: FIELD,
                why: "must be a list".into(),
            });
        };
        if items.len() as u64 != n_layer {
            return Err(ConfigError::Invalid {
                field: FIELD,
                why: format!(
                    "lists {} layers but num_hidden_layers is {n_layer}",
                    items.len()
                ),
            });
        }
        items
            .iter()
            .map(|v| match v.as_str() {
                Some("sliding_attention" | "chunked_attention") => Ok(true),
                Some("full_attention") => Ok(false),
                _ => Err(ConfigError::Invalid {
                    field: FIELD,
                    why: format!("has an unknown layer type {v}"),
                }),
            })
            .collect::<Result<Vec<bool>, _>>()
            .map(Some)
    }
}

fn invalid(field: &'static str, why: String) -> ConfigError {
    ConfigError::Invalid { field, why }
}

/// Dispatches on `model_type`.
fn build(
    f: &Fields,
    model_type: &str,
    warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    match model_type {
        "t5" => t5(f),
        "bart" => bart(f),
        "bert" => bert(f),
        known if SUPPORTED_MODEL_TYPES.contains(&known) => decoder(f, known),
        unknown => {
            let shown = if unknown.is_empty() {
                "(none)"
            } else {
                unknown
            };
            warnings.push(format!(
                "model_type `{shown}` is not one vramfit knows: read as a Llama-style decoder from its standard fields"
            ));
            decoder(f, unknown)
        }
    }
}

/// The attention and MLP shapes every decoder family shares.
struct DecoderDims {
    n_embd: u64,
    n_ff: u64,
    n_layer: u64,
    n_head: u64,
    n_head_kv: u64,
    head_dim: u64,
    n_vocab: u64,
}

fn decoder_dims(f: &Fields, model_type: &str) -> Result<DecoderDims, ConfigError> {
    let n_embd = f.dim("hidden_size")?;
    let n_ff = f.dim("intermediate_size")?;
    let n_layer = f.layers("num_hidden_layers")?;
    let n_head = f.dim("num_attention_heads")?;
    let n_vocab = f.dim("vocab_size")?;
    let n_head_kv = f.opt_dim("num_key_value_heads")?.unwrap_or(n_head);
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(invalid(
            "num_key_value_heads",
            format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        ));
    }
    // Class defaults: Gemma sets head_dim 256, Qwen3 128; the others derive it.
    let class_head_dim = match model_type {
        "gemma" | "gemma2" | "gemma3_text" => Some(256),
        "qwen3" | "qwen3_moe" => Some(128),
        _ => None,
    };
    let head_dim = match f.opt_dim("head_dim")?.or(class_head_dim) {
        Some(d) => d,
        None if n_embd.is_multiple_of(n_head) => n_embd / n_head,
        None => {
            return Err(invalid(
                "num_attention_heads",
                format!("({n_head}) must divide hidden_size ({n_embd}) when head_dim is not given"),
            ))
        }
    };
    Ok(DecoderDims {
        n_embd,
        n_ff,
        n_layer,
        n_head,
        n_head_kv,
        head_dim,
        n_vocab,
    })
}

/// A dense MLP: `gate_proj` (when gated), `up_proj`, `down_proj`,
/// optionally biased.
fn mlp(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64, gated: bool, bias: bool) {
    if gated {
        tensors.push(Tensor::matrix(
            "ffn_gate.weight",
            Kind::FfnGate,
            n_embd,
            n_ff,
        ));
    }
    tensors.push(Tensor::matrix("ffn_up.weight", Kind::FfnUp, n_embd, n_ff));
    tensors.push(Tensor::matrix(
        "ffn_down.weight",
        Kind::FfnDown,
        n_ff,
        n_embd,
    ));
    if bias {
        if gated {
            tensors.push(Tensor::vector("ffn_gate.bias", n_ff));
        }
        tensors.push(Tensor::vector("ffn_up.bias", n_ff));
        tensors.push(Tensor::vector("ffn_down.bias", n_embd));
    }
}

/// A gated MLP's three tensors with a GGUF name suffix: routed experts
/// stacked `n_expert` deep (`ffn_*_exps`) or shared experts (`ffn_*_shexp`).
fn gated_ffn(tensors: &mut Vec<Tensor>, suffix: &str, n_embd: u64, n_ff: u64, n_expert: u64) {
    tensors.push(Tensor::experts(
        &format!("ffn_gate{suffix}.weight"),
        Kind::FfnGate,
        n_embd,
        n_ff,
        n_expert,
    ));
    tensors.push(Tensor::experts(
        &format!("ffn_up{suffix}.weight"),
        Kind::FfnUp,
        n_embd,
        n_ff,
        n_expert,
    ));
    tensors.push(Tensor::experts(
        &format!("ffn_down{suffix}.weight"),
        Kind::FfnDown,
        n_ff,
        n_embd,
        n_expert,
    ));
}

/// Stacked routed experts (`ffn_*_exps`), each a gated MLP of `n_ff`.
fn experts(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64, n_expert: u64) {
    gated_ffn(tensors, "_exps", n_embd, n_ff, n_expert);
}

/// Shared experts (`ffn_*_shexp`): one gated MLP of `n_ff`.
fn shared_expert(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64) {
    gated_ffn(tensors, "_shexp", n_embd, n_ff, 1);
}

/// The MoE router (`ffn_gate_inp`): `n_embd → n_expert`.
fn router(tensors: &mut Vec<Tensor>, n_embd: u64, n_expert: u64) {
    tensors.push(Tensor::matrix(
        "ffn_gate_inp.weight",
        Kind::FfnGateInp,
        n_embd,
        n_expert,
    ));
}

/// Routed-expert settings read from the family's field names.
struct MoeFields {
    n_expert: u64,
    n_expert_used: u64,
}

fn moe_fields(f: &Fields, experts_field: &'static str) -> Result<Option<MoeFields>, ConfigError> {
    let Some(n_expert) = f.opt_count(experts_field)? else {
        return Ok(None);
    };
    if n_expert == 0 {
        return Ok(None);
    }
    let n_expert_used = f.dim("num_experts_per_tok")?;
    if n_expert_used > n_expert {
        return Err(invalid(
            "num_experts_per_tok",
            format!("({n_expert_used}) must not exceed {experts_field} ({n_expert})"),
        ));
    }
    Ok(Some(MoeFields {
        n_expert,
        n_expert_used,
    }))
}

/// Which layers use a sliding window, per the family's convention.
fn sliding_layers(
    f: &Fields,
    model_type: &str,
    n_layer: u64,
) -> Result<(Option<u64>, Vec<bool>), ConfigError> {
    let n = n_layer as usize;
    let window = match model_type {
        // MistralConfig defaults sliding_window to 4096; null disables it.
        "mistral" if f.0.contains_key("sliding_window") => f.opt_dim("sliding_window")?,
        "mistral" => Some(4096),
        "gemma2" => Some(f.dim_or("sliding_window", 4096)?),
        "gemma3_text" => Some(f.dim_or("sliding_window", 4096)?),
        _ => f.opt_dim("sliding_window")?,
    };
    let Some(window) = window else {
        return Ok((None, vec![false; n]));
    };
    if let Some(types) = f.layer_types(n_layer)? {
        return Ok((Some(window), types));
    }
    let pattern: Vec<bool> = match model_type {
        "mistral" | "mixtral" | "phi3" | "llama" => vec![true; n],
        // Qwen2/Qwen3: only when use_sliding_window, and only from max_window_layers on.
        "qwen2" | "qwen2_moe" | "qwen3" | "qwen3_moe" => {
            if f.flag("use_sliding_window", false)? {
                let from = f.dim_or("max_window_layers", n_layer)? as usize;
                (0..n).map(|i| i >= from).collect()
            } else {
                vec![false; n]
            }
        }
        // Gemma 2: even layers local, odd layers global.
        "gemma2" => (0..n).map(|i| i % 2 == 0).collect(),
        // Gemma 3: every `sliding_window_pattern`-th layer global (default 6).
        "gemma3_text" => {
            let every = f.dim_or("sliding_window_pattern", 6)? as usize;
            (0..n).map(|i| (i + 1) % every != 0).collect()
        }
        // gpt-oss: alternating, starting with a sliding layer.
        "gpt_oss" => (0..n).map(|i| i % 2 == 0).collect(),
        _ => vec![false; n],
    };
    let any = pattern.iter().any(|&s| s);
    Ok((any.then_some(window), pattern))
}

/// Decoder-only families (dense and MoE).
fn decoder(f: &Fields, model_type: &str) -> Result<ModelSpec, ConfigError> {
    let d = decoder_dims(f, model_type)?;
    let DecoderDims {
        n_embd,
        n_ff,
        n_layer,
        n_head,
        n_head_kv,
        head_dim,
        n_vocab,
    } = d;
    let is_gemma = matches!(model_type, "gemma" | "gemma2" | "gemma3_text");
    let tied_default = is_gemma;
    let tied = f.flag("tie_word_embeddings", tied_default)?;
    let mla = matches!(model_type, "deepseek_v2" | "deepseek_v3");

    // Attention biases: Qwen2 and Qwen2-MoE always bias q/k/v (not o);
    // gpt-oss biases all four by default; others follow `attention_bias`.
    let (qkv_bias, o_bias) = match model_type {
        "qwen2" | "qwen2_moe" => (f.flag("qkv_bias", true)?, false),
        "gpt_oss" => {
            let b = f.flag("attention_bias", true)?;
            (b, b)
        }
        _ => {
            let b = f.flag("attention_bias", false)?;
            (b, b)
        }
    };
    let mlp_bias = f.flag("mlp_bias", false)?;
    let qk_norm = matches!(model_type, "qwen3" | "qwen3_moe" | "gemma3_text");
    let sandwich_norms = matches!(model_type, "gemma2" | "gemma3_text");
    let fused = model_type == "phi3";
    let sinks = model_type == "gpt_oss";
    let (window, sliding) = sliding_layers(f, model_type, n_layer)?;

    // Mixture of experts.
    let moe = match model_type {
        "mixtral" | "gpt_oss" => moe_fields(f, "num_local_experts")?,
        "qwen2_moe" | "qwen3_moe" => moe_fields(f, "num_experts")?,
        "deepseek_v2" | "deepseek_v3" => moe_fields(f, "n_routed_experts")?,
        _ => None,
    };
    let moe_ff = match model_type {
        "qwen2_moe" | "qwen3_moe" | "deepseek_v2" | "deepseek_v3" if moe.is_some() => {
            f.dim("moe_intermediate_size")?
        }
        _ => n_ff,
    };
    let n_shared = match model_type {
        "deepseek_v2" | "deepseek_v3" => f.opt_count("n_shared_experts")?.unwrap_or(0),
        _ => 0,
    };
    let shared_expert_ff = match model_type {
        "qwen2_moe" if moe.is_some() => {
            f.opt_count("shared_expert_intermediate_size")?.unwrap_or(0)
        }
        _ => 0,
    };
    // Which layers are sparse.
    let sparse_step = match model_type {
        "qwen2_moe" | "qwen3_moe" => f.dim_or("decoder_sparse_step", 1)?,
        "deepseek_v2" | "deepseek_v3" => f.dim_or("moe_layer_freq", 1)?,
        _ => 1,
    };
    let mlp_only = f.indices("mlp_only_layers")?;
    let first_dense = match model_type {
        "deepseek_v2" | "deepseek_v3" => f.opt_count("first_k_dense_replace")?.unwrap_or(0),
        _ => 0,
    };
    if first_dense > n_layer {
        return Err(invalid(
            "first_k_dense_replace",
            format!("({first_dense}) is more than num_hidden_layers ({n_layer})"),
        ));
    }
    let is_sparse = |i: u64| -> bool {
        moe.is_some()
            && match model_type {
                "qwen2_moe" | "qwen3_moe" => {
                    !mlp_only.contains(&i) && (i + 1).is_multiple_of(sparse_step)
                }
                "deepseek_v2" | "deepseek_v3" => i >= first_dense && i.is_multiple_of(sparse_step),
                _ => true,
            }
    };

    // MLA dimensions (DeepSeek-V2/V3).
    let mla_dims = if mla {
        let kv_lora_rank = f.dim("kv_lora_rank")?;
        let q_lora_rank = f.opt_dim("q_lora_rank")?;
        let rope = f.dim("qk_rope_head_dim")?;
        let nope = f.dim("qk_nope_head_dim")?;
        let v_head = f.dim("v_head_dim")?;
        Some((kv_lora_rank, q_lora_rank, rope, nope, v_head))
    } else {
        None
    };

    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let mut t = Vec::new();
        t.push(Tensor::vector("attn_norm.weight", n_embd));
        let attention = if let Some((kv_lora_rank, q_lora_rank, rope, nope, v_head)) = mla_dims {
            let qk_head = nope + rope;
            match q_lora_rank {
                Some(q_lora) => {
                    t.push(Tensor::matrix(
                        "attn_q_a.weight",
                        Kind::Other,
                        n_embd,
                        q_lora,
                    ));
                    t.push(Tensor::vector("attn_q_a_norm.weight", q_lora));
                    t.push(Tensor::matrix(
                        "attn_q_b.weight",
                        Kind::AttnQ,
                        q_lora,
                        n_head * qk_head,
                    ));
                    if qkv_bias {
                        t.push(Tensor::vector("attn_q_a.bias", q_lora));
                    }
                }
                None => t.push(Tensor::matrix(
                    "attn_q.weight",
                    Kind::AttnQ,
                    n_embd,
                    n_head * qk_head,
                )),
            }
            t.push(Tensor::matrix(
                "attn_kv_a_mqa.weight",
                Kind::Other,
                n_embd,
                kv_lora_rank + rope,
            ));
            if qkv_bias {
                t.push(Tensor::vector("attn_kv_a_mqa.bias", kv_lora_rank + rope));
            }
            t.push(Tensor::vector("attn_kv_a_norm.weight", kv_lora_rank));
            t.push(Tensor::matrix(
                "attn_kv_b.weight",
                Kind::AttnKvB,
                kv_lora_rank,
                n_head * (nope + v_head),
            ));
            t.push(Tensor::matrix(
                "attn_output.weight",
                Kind::AttnOutput,
                n_head * v_head,
                n_embd,
            ));
            if o_bias {
                t.push(Tensor::vector("attn_output.bias", n_embd));
            }
            Attention {
                n_head,
                kv: KvLayout::Latent {
                    kv_lora_rank,
                    rope_dim: rope,
                    head_dim_k: qk_head,
                    head_dim_v: v_head,
                },
                sliding_window: None,
            }
        } else {
            let q_dim = n_head * head_dim;
            let kv_dim = n_head_kv * head_dim;
            if fused {
                t.push(Tensor::matrix(
                    "attn_qkv.weight",
                    Kind::AttnQkv,
                    n_embd,
                    q_dim + 2 * kv_dim,
                ));
            } else {
                t.push(Tensor::matrix("attn_q.weight", Kind::AttnQ, n_embd, q_dim));
                t.push(Tensor::matrix("attn_k.weight", Kind::AttnK, n_embd, kv_dim));
                t.push(Tensor::matrix("attn_v.weight", Kind::AttnV, n_embd, kv_dim));
            }
            t.push(Tensor::matrix(
                "attn_output.weight",
                Kind::AttnOutput,
                q_dim,
                n_embd,
            ));
            if qkv_bias {
                t.push(Tensor::vector("attn_q.bias", q_dim));
                t.push(Tensor::vector("attn_k.bias", kv_dim));
                t.push(Tensor::vector("attn_v.bias", kv_dim));
            }
            if o_bias {
                t.push(Tensor::vector("attn_output.bias", n_embd));
            }
            if qk_norm {
                t.push(Tensor::vector("attn_q_norm.weight", head_dim));
                t.push(Tensor::vector("attn_k_norm.weight", head_dim));
            }
            if sinks {
                t.push(Tensor::vector("attn_sinks.weight", n_head));
            }
            let mut attention = Attention::heads(n_head, n_head_kv, head_dim);
            attention.sliding_window = window.filter(|_| sliding[i as usize]);
            attention
        };
        if sandwich_norms {
            t.push(Tensor::vector("post_attention_norm.weight", n_embd));
            t.push(Tensor::vector("post_ffw_norm.weight", n_embd));
        }
        t.push(Tensor::vector("ffn_norm.weight", n_embd));
        match (&moe, is_sparse(i)) {
            (Some(m), true) => {
                router(&mut t, n_embd, m.n_expert);
                if model_type == "gpt_oss" {
                    t.push(Tensor::vector("ffn_gate_inp.bias", m.n_expert));
                    experts(&mut t, n_embd, moe_ff, m.n_expert);
                    t.push(Tensor::experts(
                        "ffn_gate_exps.bias",
                        Kind::Vector,
                        moe_ff,
                        1,
                        m.n_expert,
                    ));
                    t.push(Tensor::experts(
                        "ffn_up_exps.bias",
                        Kind::Vector,
                        moe_ff,
                        1,
                        m.n_expert,
                    ));
                    t.push(Tensor::experts(
                        "ffn_down_exps.bias",
                        Kind::Vector,
                        n_embd,
                        1,
                        m.n_expert,
                    ));
                } else {
                    experts(&mut t, n_embd, moe_ff, m.n_expert);
                }
                if n_shared > 0 {
                    shared_expert(&mut t, n_embd, moe_ff * n_shared);
                }
                if shared_expert_ff > 0 {
                    shared_expert(&mut t, n_embd, shared_expert_ff);
                    t.push(Tensor::matrix(
                        "ffn_gate_inp_shexp.weight",
                        Kind::FfnGateInp,
                        n_embd,
                        1,
                    ));
                }
            }
            _ if fused => {
                t.push(Tensor::matrix(
                    "ffn_up.weight",
                    Kind::FfnUp,
                    n_embd,
                    2 * n_ff,
                ));
                t.push(Tensor::matrix(
                    "ffn_down.weight",
                    Kind::FfnDown,
                    n_ff,
                    n_embd,
                ));
            }
            _ => mlp(&mut t, n_embd, n_ff, true, mlp_bias),
        }
        layers.push(Layer {
            stack: Stack::Decoder,
            attention,
            cross_attention: None,
            tensors: t,
        });
    }

    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, n_embd, n_vocab),
        Tensor::vector("output_norm.weight", n_embd),
    ];
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            n_embd,
            n_vocab,
        ));
    }
    let n_ctx_train = f.dim_or(
        "max_position_embeddings",
        if is_gemma { 8192 } else { 4096 },
    )?;
    let moe = moe.map(|m| Moe {
        n_expert: m.n_expert,
        n_expert_used: m.n_expert_used,
        n_expert_shared: n_shared + u64::from(shared_expert_ff > 0),
    });
    Ok(ModelSpec {
        model_type: model_type.to_string(),
        class: if moe.is_some() {
            ModelType::MixtureOfExperts
        } else {
            ModelType::DecoderOnly
        },
        n_embd,
        n_vocab,
        n_ctx_train,
        tied_embeddings: tied,
        moe,
        globals,
        layers,
        stored: None,
    })
}

/// T5 (`T5ForConditionalGeneration`): shared embedding, relative position
/// bias in the first layer of each stack, gated or plain feed-forward.
fn t5(f: &Fields) -> Result<ModelSpec, ConfigError> {
    let d_model = f.dim_or("d_model", 512)?;
    let d_ff = f.dim_or("d_ff", 2048)?;
    let d_kv = f.dim_or("d_kv", 64)?;
    let n_head = f.dim_or("num_heads", 8)?;
    let n_enc = f.opt_dim("num_layers")?.unwrap_or(6);
    let n_dec = f.opt_dim("num_decoder_layers")?.unwrap_or(n_enc);
    if n_enc > MAX_LAYERS || n_dec > MAX_LAYERS {
        return Err(invalid(
            "num_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let n_vocab = f.dim_or("vocab_size", 32128)?;
    let buckets = f.dim_or("relative_attention_num_buckets", 32)?;
    let gated = match f.string("feed_forward_proj")?.unwrap_or("relu") {
        p if p.starts_with("gated-") => true,
        "relu" | "gelu" | "gelu_new" | "silu" => false,
        other => {
            return Err(invalid(
                "feed_forward_proj",
                format!("'{other}' is not `relu` or `gated-gelu`"),
            ))
        }
    };
    let tied = f.flag("tie_word_embeddings", true)?;
    let inner = n_head * d_kv;
    let attention_tensors = |t: &mut Vec<Tensor>, prefix: &str| {
        t.push(Tensor::matrix(
            &format!("{prefix}_q.weight"),
            Kind::AttnQ,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_k.weight"),
            Kind::AttnK,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_v.weight"),
            Kind::AttnV,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_o.weight"),
            Kind::AttnOutput,
            inner,
            d_model,
        ));
    };
    let feed_forward = |t: &mut Vec<Tensor>| {
        mlp(t, d_model, d_ff, gated, false);
        t.push(Tensor::vector("ffn_norm.weight", d_model));
    };
    // Self-attention and its norm; the first layer of each stack also
    // holds the relative-position bias table.
    let self_attention = |i: u64| {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        t.push(Tensor::vector("attn_norm.weight", d_model));
        if i == 0 {
            t.push(Tensor::matrix(
                "attn_rel_b.weight",
                Kind::PosEmbd,
                n_head,
                buckets,
            ));
        }
        t
    };
    let attention = Attention::heads(n_head, n_head, d_kv);
    let mut layers = Vec::new();
    for i in 0..n_enc {
        let mut t = self_attention(i);
        feed_forward(&mut t);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention,
            cross_attention: None,
            tensors: t,
        });
    }
    for i in 0..n_dec {
        let mut t = self_attention(i);
        attention_tensors(&mut t, "cross_attn");
        t.push(Tensor::vector("cross_attn_norm.weight", d_model));
        feed_forward(&mut t);
        layers.push(Layer {
            stack: Stack::Decoder,
            attention,
            cross_attention: Some(attention),
            tensors: t,
        });
    }
    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, d_model, n_vocab),
        Tensor::vector("enc.output_norm.weight", d_model),
        Tensor::vector("dec.output_norm.weight", d_model),
    ];
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            d_model,
            n_vocab,
        ));
    }
    Ok(ModelSpec {
        model_type: "t5".into(),
        class: ModelType::EncoderDecoder,
        n_embd: d_model,
        n_vocab,
        // T5 has relative positions and no hard limit; 512 is what it was trained on.
        n_ctx_train: f.dim_or("n_positions", 512)?,
        tied_embeddings: tied,
        moe: None,
        globals,
        layers,
        stored: None,
    })
}

/// BART (`BartForConditionalGeneration`): learned positions (offset 2),
/// biases everywhere, LayerNorm with bias, lm_head tied to the shared embedding.
/// A Linear with bias: `{name}.weight` and `{name}.bias`.
fn biased(t: &mut Vec<Tensor>, name: &str, kind: Kind, row_len: u64, rows: u64) {
    t.push(Tensor::matrix(
        &format!("{name}.weight"),
        kind,
        row_len,
        rows,
    ));
    t.push(Tensor::vector(&format!("{name}.bias"), rows));
}

/// A LayerNorm with weight and bias.
fn layer_norm(t: &mut Vec<Tensor>, name: &str, dim: u64) {
    t.push(Tensor::vector(&format!("{name}.weight"), dim));
    t.push(Tensor::vector(&format!("{name}.bias"), dim));
}

fn bart(f: &Fields) -> Result<ModelSpec, ConfigError> {
    let d_model = f.dim_or("d_model", 1024)?;
    let n_enc = f.dim_or("encoder_layers", 12)?;
    let n_dec = f.dim_or("decoder_layers", 12)?;
    if n_enc > MAX_LAYERS || n_dec > MAX_LAYERS {
        return Err(invalid(
            "encoder_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let enc_heads = f.dim_or("encoder_attention_heads", 16)?;
    let dec_heads = f.dim_or("decoder_attention_heads", 16)?;
    let enc_ff = f.dim_or("encoder_ffn_dim", 4096)?;
    let dec_ff = f.dim_or("decoder_ffn_dim", 4096)?;
    let n_vocab = f.dim_or("vocab_size", 50265)?;
    let n_pos = f.dim_or("max_position_embeddings", 1024)?;
    for (field, heads) in [
        ("encoder_attention_heads", enc_heads),
        ("decoder_attention_heads", dec_heads),
    ] {
        if !d_model.is_multiple_of(heads) {
            return Err(invalid(
                field,
                format!("({heads}) must divide d_model ({d_model})"),
            ));
        }
    }
    let attention_tensors = |t: &mut Vec<Tensor>, prefix: &str| {
        biased(t, &format!("{prefix}_q"), Kind::AttnQ, d_model, d_model);
        biased(t, &format!("{prefix}_k"), Kind::AttnK, d_model, d_model);
        biased(t, &format!("{prefix}_v"), Kind::AttnV, d_model, d_model);
        biased(
            t,
            &format!("{prefix}_o"),
            Kind::AttnOutput,
            d_model,
            d_model,
        );
        layer_norm(t, &format!("{prefix}_norm"), d_model);
    };
    let feed_forward = |t: &mut Vec<Tensor>, n_ff: u64| {
        biased(t, "ffn_up", Kind::FfnUp, d_model, n_ff);
        biased(t, "ffn_down", Kind::FfnDown, n_ff, d_model);
        layer_norm(t, "ffn_norm", d_model);
    };
    let mut layers = Vec::new();
    let enc_attention = Attention::heads(enc_heads, enc_heads, d_model / enc_heads);
    let dec_attention = Attention::heads(dec_heads, dec_heads, d_model / dec_heads);
    for _ in 0..n_enc {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        feed_forward(&mut t, enc_ff);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention: enc_attention,
            cross_attention: None,
            tensors: t,
        });
    }
    for _ in 0..n_dec {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        attention_tensors(&mut t, "cross_attn");
        feed_forward(&mut t, dec_ff);
        layers.push(Layer {
            stack: Stack::Decoder,
            attention: dec_attention,
            cross_attention: Some(dec_attention),
            tensors: t,
        });
    }
    let mut globals = vec![Tensor::matrix(
        "token_embd.weight",
        Kind::TokenEmbd,
        d_model,
        n_vocab,
    )];
    for stack in ["enc", "dec"] {
        globals.push(Tensor::matrix(
            &format!("{stack}.position_embd.weight"),
            Kind::PosEmbd,
            d_model,
            n_pos + 2,
        ));
        globals.push(Tensor::vector(
            &format!("{stack}.token_embd_norm.weight"),
            d_model,
        ));
        globals.push(Tensor::vector(
            &format!("{stack}.token_embd_norm.bias"),
            d_model,
        ));
    }
    let tied = f.flag("tie_word_embeddings", true)?;
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            d_model,
            n_vocab,
        ));
    }
    Ok(ModelSpec {
        model_type: "bart".into(),
        class: ModelType::EncoderDecoder,
        n_embd: d_model,
        n_vocab,
        n_ctx_train: n_pos,
        tied_embeddings: tied,
        moe: None,
        globals,
        layers,
        stored: None,
    })
}

/// BERT (`BertModel`, with its pooler): absolute position and token-type
/// embeddings, post-LayerNorm blocks, biases everywhere.
fn bert(f: &Fields) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 768)?;
    let n_layer = f.opt_dim("num_hidden_layers")?.unwrap_or(12);
    if n_layer > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let n_head = f.dim_or("num_attention_heads", 12)?;
    let n_ff = f.dim_or("intermediate_size", 3072)?;
    let n_vocab = f.dim_or("vocab_size", 30522)?;
    let n_pos = f.dim_or("max_position_embeddings", 512)?;
    let n_types = f.dim_or("type_vocab_size", 2)?;
    if !n_embd.is_multiple_of(n_head) {
        return Err(invalid(
            "num_attention_heads",
            format!("({n_head}) must divide hidden_size ({n_embd})"),
        ));
    }
    let attention = Attention::heads(n_head, n_head, n_embd / n_head);
    let mut layers = Vec::new();
    for _ in 0..n_layer {
        let mut t = Vec::new();
        biased(&mut t, "attn_q", Kind::AttnQ, n_embd, n_embd);
        biased(&mut t, "attn_k", Kind::AttnK, n_embd, n_embd);
        biased(&mut t, "attn_v", Kind::AttnV, n_embd, n_embd);
        biased(&mut t, "attn_output", Kind::AttnOutput, n_embd, n_embd);
        layer_norm(&mut t, "attn_output_norm", n_embd);
        biased(&mut t, "ffn_up", Kind::FfnUp, n_embd, n_ff);
        biased(&mut t, "ffn_down", Kind::FfnDown, n_ff, n_embd);
        layer_norm(&mut t, "layer_output_norm", n_embd);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention,
            cross_attention: None,
            tensors: t,
        });
    }
    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, n_embd, n_vocab),
        Tensor::matrix("position_embd.weight", Kind::PosEmbd, n_embd, n_pos),
        Tensor::matrix("token_types.weight", Kind::PosEmbd, n_embd, n_types),
    ];
    layer_norm(&mut globals, "token_embd_norm", n_embd);
    biased(&mut globals, "pooler", Kind::Other, n_embd, n_embd);
    Ok(ModelSpec {
        model_type: "bert".into(),
        class: ModelType::EncoderOnly,
        n_embd,
        n_vocab,
        n_ctx_train: n_pos,
        tied_embeddings: false,
        moe: None,
        globals,
        layers,
        stored: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(config: &str, expected: Expect) {
        let got = match parse_config(config) {
            Ok(imported) => {
                let p = imported.spec.params();
                let mut out = format!(
                    "{:?} total {} active {}",
                    imported.spec.class, p.total, p.active
                );
                for w in imported.warnings {
                    out.push_str(&format!("\nwarning: {w}"));
                }
                out
            }
            Err(e) => format!("error: {e}"),
        };
        expected.assert_eq(&got);
    }

    const TINY: &str = r#""hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":100"#;

    #[test]
    fn bad_configs_name_the_field_at_fault() {
        check("{", expect!["error: config.json is not valid JSON: EOF while parsing an object at line 1 column 1"]);
        check("[1]", expect!["error: config.json must be a JSON object"]);
        check(
            r#"{"model_type":"llama","hidden_size":4096}"#,
            expect!["error: missing required field `intermediate_size`"],
        );
        check(
            &format!(r#"{{"model_type":"llama",{TINY},"num_key_value_heads":3}}"#),
            expect!["error: field `num_key_value_heads` (3) must divide num_attention_heads (4)"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":-1}"#,
            expect!["error: field `hidden_size` must be a positive integer, got -1"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":1e30}"#,
            expect!["error: field `hidden_size` must be a positive integer, got 1e+30"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":"4096"}"#,
            expect![[r#"error: field `hidden_size` must be a positive integer, got "4096""#]],
        );
        check(
            &format!(r#"{{"model_type":"llama",{TINY},"tie_word_embeddings":"yes"}}"#),
            expect![[r#"error: field `tie_word_embeddings` must be true or false, got "yes""#]],
        );
        check(
            &format!(
                r#"{{"model_type":"mixtral",{TINY},"num_local_experts":4,"num_experts_per_tok":8}}"#
            ),
            expect!["error: field `num_experts_per_tok` (8) must not exceed num_local_experts (4)"],
        );
        check(
            &format!(r#"{{"model_type":"gemma2",{TINY},"layer_types":["full_attention"]}}"#),
            expect!["error: field `layer_types` lists 1 layers but num_hidden_layers is 2"],
        );
        check(
            &format!(r#"{{"model_type":"llama",{TINY},"num_hidden_layers":100000}}"#),
            expect!["error: field `num_hidden_layers` is 100000, more than 4096"],
        );
        check(
            r#"{"model_type":"t5","feed_forward_proj":"swish"}"#,
            expect!["error: field `feed_forward_proj` 'swish' is not `relu` or `gated-gelu`"],
        );
    }

    #[test]
    fn unknown_model_types_are_read_as_decoders_with_a_warning() {
        check(
            &format!(r#"{{"model_type":"brand_new",{TINY}}}"#),
            expect![[r#"
            DecoderOnly total 95040 active 95040
            warning: model_type `brand_new` is not one vramfit knows: read as a Llama-style decoder from its standard fields"#]],
        );
        check(
            &format!("{{{TINY}}}"),
            expect![[r#"
            DecoderOnly total 95040 active 95040
            warning: model_type `(none)` is not one vramfit knows: read as a Llama-style decoder from its standard fields"#]],
        );
    }

    #[test]
    fn multimodal_gemma3_counts_its_text_model() {
        let text = format!(
            r#"{{"model_type":"gemma3","text_config":{{"model_type":"gemma3_text",{TINY},"head_dim":16}},"vision_config":{{}}}}"#
        );
        check(
            &text,
            expect![[r#"
            DecoderOnly total 88960 active 88960
            warning: gemma3: the text model only; the vision tower is not counted"#]],
        );
    }

    #[test]
    fn class_defaults_fill_missing_optional_fields() {
        // Gemma: head_dim 256 and tied embeddings by default; Llama: untied, head_dim = hidden/heads.
        let gemma = parse_config(&format!(r#"{{"model_type":"gemma",{TINY}}}"#))
            .unwrap()
            .spec;
        assert!(gemma.tied_embeddings);
        assert_eq!(gemma.layers[0].tensors[1].ne, [64, 4 * 256, 1]);
        let llama = parse_config(&format!(r#"{{"model_type":"llama",{TINY}}}"#))
            .unwrap()
            .spec;
        assert!(!llama.tied_embeddings);
        assert_eq!(llama.layers[0].tensors[1].ne, [64, 64, 1]);
        assert_eq!(llama.n_ctx_train, 4096);
    }
}
