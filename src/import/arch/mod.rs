//! Architecture readers: one file per model family, each building a
//! [`ModelSpec`] from a `config.json` as that family's transformers
//! modeling file builds its modules, so the tensor list sums to the count
//! the model class reports.
//!
//! What the families share lives here: typed access to config fields with
//! errors that name them ([`Fields`]), the limits that keep arithmetic in
//! range, and the blocks most decoders are made of (attention projections,
//! MLPs, routed and shared experts, norms). The dispatch table
//! [`FAMILIES`] maps each `model_type` to its reader; a newcomer adds a
//! family by copying the nearest file and adding a row.
//!
//! Readers may branch on `model_type` (that is what they are for); nothing
//! outside them does: a layer's kind — global, sliding or chunked
//! attention, a recurrent state, cross-attention, experts — is data in the
//! [`ModelSpec`] every engine's accounting walks.

use serde_json::{Map, Value};

use super::config::ConfigError;
use crate::estimate::model::{
    Attention, Kind, Layer, ModelSpec, ModelType, Moe, Recurrent, Stack, Tensor, Window,
};

mod bamba;
mod bart;
mod bert;
mod cohere;
mod deepseek_v32;
mod deepseek_v4;
mod dots1;
mod ernie;
mod exaone;
mod falcon;
mod falcon_h1;
mod gemma3n;
mod gemma4;
mod glm;
mod glm_moe_dsa;
mod gpt_neox;
mod granite;
mod granitemoehybrid;
mod hunyuan;
mod hybrid_common;
mod jamba;
mod kimi_linear;
mod lfm2;
mod llama;
mod llama4;
mod mamba;
mod minimax;
mod minimax_m2;
mod mllama;
mod nemotron_h;
mod olmo;
mod phi;
mod phimoe;
mod qwen3_next;
mod recurrent;
mod rwkv;
mod seed_oss;
mod smollm3;
mod starcoder2;
mod t5;
pub(crate) mod vision;
mod zamba2;

/// A reader: config fields and the `model_type` it was chosen for.
pub(crate) type Reader = fn(&Fields, &str, &mut Vec<String>) -> Result<ModelSpec, ConfigError>;

/// Every `model_type` built exactly, with its reader.
pub(crate) const FAMILIES: &[(&str, Reader)] = &[
    ("llama", llama::read),
    ("mistral", llama::read),
    ("mixtral", llama::read),
    ("qwen2", llama::read),
    ("qwen2_moe", llama::read),
    ("qwen3", llama::read),
    ("qwen3_moe", llama::read),
    ("gemma", llama::read),
    ("gemma2", llama::read),
    ("gemma3", llama::read),
    ("gemma3_text", llama::read),
    ("phi3", llama::read),
    ("deepseek_v2", llama::read),
    ("deepseek_v3", llama::read),
    ("gpt_oss", llama::read),
    ("granite", granite::read),
    ("granitemoe", granite::read),
    ("cohere", cohere::read),
    ("cohere2", cohere::read),
    ("olmo2", olmo::read),
    ("olmo3", olmo::read),
    ("olmoe", olmo::read),
    ("phi", phi::read),
    ("gpt_neox", gpt_neox::read),
    ("falcon", falcon::read),
    ("starcoder2", starcoder2::read),
    ("exaone4", exaone::read),
    ("ernie4_5", ernie::read),
    ("ernie4_5_moe", ernie::read),
    ("hunyuan_v1_dense", hunyuan::read),
    ("hunyuan_v1_moe", hunyuan::read),
    ("smollm3", smollm3::read),
    ("seed_oss", seed_oss::read),
    ("dots1", dots1::read),
    ("glm4", glm::read),
    ("glm4_moe", glm::read),
    ("qwen3_next", qwen3_next::read),
    ("qwen3_5", qwen3_next::read),
    ("qwen3_5_text", qwen3_next::read),
    ("qwen3_5_moe", qwen3_next::read),
    ("qwen3_5_moe_text", qwen3_next::read),
    ("mamba", mamba::read),
    ("falcon_mamba", mamba::read),
    ("mamba2", mamba::read),
    ("jamba", jamba::read),
    ("bamba", bamba::read),
    ("granitemoehybrid", granitemoehybrid::read),
    ("nemotron_h", nemotron_h::read),
    ("falcon_h1", falcon_h1::read),
    ("zamba2", zamba2::read),
    ("kimi_linear", kimi_linear::read),
    ("minimax", minimax::read),
    ("minimax_m2", minimax_m2::read),
    ("phimoe", phimoe::read),
    ("deepseek_v32", deepseek_v32::read),
    ("deepseek_v4", deepseek_v4::read),
    ("glm_moe_dsa", glm_moe_dsa::read),
    ("gemma4_text", gemma4::read),
    ("gemma4", gemma4::read),
    ("lfm2", lfm2::read),
    ("lfm2_moe", lfm2::read),
    ("gemma3n_text", gemma3n::read),
    ("gemma3n", gemma3n::read),
    ("llama4_text", llama4::read),
    ("llama4", llama4::read),
    ("mllama_text_model", mllama::read),
    ("rwkv6", rwkv::read),
    ("rwkv7", rwkv::read),
    ("t5", t5::read),
    ("bart", bart::read),
    ("bert", bert::read),
];

/// The text model's `model_type` inside a multimodal wrapper whose
/// `text_config` does not say it.
pub(crate) fn text_model_type(wrapper: &str) -> String {
    match wrapper {
        "gemma3" => "gemma3_text".into(),
        "gemma3n" => "gemma3n_text".into(),
        "gemma4" => "gemma4_text".into(),
        "llama4" => "llama4_text".into(),
        "mistral3" => "mistral".into(),
        "mllama" => "mllama_text_model".into(),
        other => other.into(),
    }
}

/// A multimodal wrapper's text model as the reader it is built by takes
/// it: the reader's `model_type` ([`text_alias`]) and the config with the
/// fields the wrapper's text class reads differently. Qwen2-VL's,
/// Qwen2.5-VL's and GLM-4.1V's text attention derives its head size from
/// `hidden_size / heads` whatever `head_dim` says (for GLM-4.1V, whose
/// reader would otherwise take GLM-4's 128, set explicitly from
/// Glm4vTextConfig's defaults, 4096 wide and 32 heads).
pub(crate) fn text_model(
    text_type: &str,
    text_config: &Map<String, Value>,
) -> (String, Map<String, Value>) {
    let mut config = text_config.clone();
    match text_type {
        "qwen2_vl_text" | "qwen2_5_vl_text" => {
            config.remove("head_dim");
        }
        "glm4v_text" => {
            let size = |key: &str, default: u64| {
                config.get(key).and_then(Value::as_u64).unwrap_or(default)
            };
            let (hidden, heads) = (size("hidden_size", 4096), size("num_attention_heads", 32));
            if let Some(head_dim) = hidden.checked_div(heads) {
                config.insert("head_dim".into(), head_dim.into());
            }
        }
        _ => {}
    }
    (text_alias(text_type).to_string(), config)
}

/// The text model type a multimodal wrapper's `text_config` names, as the
/// reader it is built by (Qwen-VL's text models are Qwen2/Qwen3 ones, GLM-V's are GLM-4 ones).
fn text_alias(text_type: &str) -> &str {
    match text_type {
        "qwen2_vl_text" | "qwen2_5_vl_text" => "qwen2",
        "qwen3_vl_text" => "qwen3",
        "qwen3_vl_moe_text" => "qwen3_moe",
        // GLM-4.1V's and GLM-4.5V's language models are GLM-4 (0414) and
        // GLM-4.5 decoders with M-RoPE, which changes no tensor.
        "glm4v_text" => "glm4",
        "glm4v_moe_text" => "glm4_moe",
        other => other,
    }
}

/// Ties or unties the output projection to the token embeddings, as a
/// multimodal wrapper's own flag decides.
pub(crate) fn set_tied(spec: &mut ModelSpec, tied: bool) {
    let has_output = spec.globals.iter().any(|t| t.kind == Kind::Output);
    if tied && has_output {
        spec.globals.retain(|t| t.kind != Kind::Output);
    } else if !tied && !has_output {
        spec.globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            spec.n_embd,
            spec.n_vocab,
        ));
    }
    spec.tied_embeddings = tied;
}

/// Reads an unknown `model_type` as a Llama-style decoder with a warning
/// saying so — unless a field shows a layout that reading would get
/// wrong (recurrent layers, routed experts, per-layer kinds), which is an
/// error naming that field rather than a silently wrong answer.
pub(crate) fn unknown(
    f: &Fields,
    model_type: &str,
    warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let shown = if model_type.is_empty() {
        "(none)"
    } else {
        model_type
    };
    if let Some(field) = REVEALING_FIELDS
        .iter()
        .find(|k| f.get(k).is_some_and(revealing))
    {
        return Err(invalid(
            field,
            format!(
                "shows a hybrid, recurrent or mixture-of-experts layout that model_type `{shown}` does not tell vramfit how to read; supported types: {}",
                FAMILIES.iter().map(|(t, _)| *t).collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    warnings.push(format!(
        "model_type `{shown}` is not one vramfit knows: read as a Llama-style decoder (pre-norm attention with hidden_size, num_attention_heads, num_key_value_heads, head_dim; a gated SiLU MLP of intermediate_size; untied lm_head unless tie_word_embeddings) — check the parameter count against the model card"
    ));
    llama::read(f, model_type, warnings)
}

/// Fields whose presence means a layout a Llama-style reading gets wrong.
const REVEALING_FIELDS: &[&str] = &[
    "layers_block_type",
    "hybrid_override_pattern",
    "layer_types",
    "full_attention_interval",
    "attn_layer_indices",
    "attn_layer_period",
    "linear_attn_config",
    "ssm_cfg",
    "mamba_d_state",
    "mamba_n_heads",
    "ssm_state_size",
    "state_size",
    "conv_L_cache",
    "num_local_experts",
    "num_experts",
    "n_routed_experts",
    "moe_num_experts",
    "num_experts_per_tok",
    "moe_intermediate_size",
    "kv_lora_rank",
];

/// Whether a revealing field's value really reveals something: a
/// `layer_types` of plain attention kinds, or zero experts, does not.
fn revealing(v: &Value) -> bool {
    match v {
        Value::Array(items) => items.iter().any(|i| {
            !matches!(
                i.as_str(),
                Some("full_attention" | "sliding_attention" | "attention")
            )
        }),
        Value::Number(n) => n.as_u64() != Some(0),
        Value::Bool(b) => *b,
        _ => true,
    }
}

/// The reader for `model_type`, if vramfit knows it.
pub(crate) fn reader(model_type: &str) -> Option<Reader> {
    FAMILIES
        .iter()
        .find(|(t, _)| *t == model_type)
        .map(|(_, r)| *r)
}

/// Configs larger than this are rejected before parsing (real ones are a few KB).
pub const MAX_CONFIG_BYTES: usize = 1 << 20;

/// Largest dimension accepted: far above any real model, low enough that
/// products of a few dimensions cannot overflow `u64`.
pub(crate) const MAX_DIM: u64 = 1 << 24;

/// Most layers accepted.
pub(crate) const MAX_LAYERS: u64 = 4096;

/// Typed access to config fields with errors that name them.
pub(crate) struct Fields<'a>(pub(crate) &'a Map<String, Value>);

impl Fields<'_> {
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.0.get(key).filter(|v| !v.is_null())
    }

    pub(crate) fn opt_dim(&self, field: &'static str) -> Result<Option<u64>, ConfigError> {
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
    pub(crate) fn opt_count(&self, field: &'static str) -> Result<Option<u64>, ConfigError> {
        match self.get(field) {
            Some(v) if v.as_u64() == Some(0) => Ok(Some(0)),
            _ => self.opt_dim(field),
        }
    }

    pub(crate) fn dim(&self, field: &'static str) -> Result<u64, ConfigError> {
        self.opt_dim(field)?.ok_or(ConfigError::Missing(field))
    }

    pub(crate) fn dim_or(&self, field: &'static str, default: u64) -> Result<u64, ConfigError> {
        Ok(self.opt_dim(field)?.unwrap_or(default))
    }

    pub(crate) fn layers(&self, field: &'static str) -> Result<u64, ConfigError> {
        let n = self.dim(field)?;
        if n > MAX_LAYERS {
            return Err(ConfigError::Invalid {
                field,
                why: format!("is {n}, more than {MAX_LAYERS}"),
            });
        }
        Ok(n)
    }

    pub(crate) fn flag(&self, field: &'static str, default: bool) -> Result<bool, ConfigError> {
        match self.get(field) {
            None => Ok(default),
            Some(Value::Bool(b)) => Ok(*b),
            Some(v) => Err(ConfigError::Invalid {
                field,
                why: format!("must be true or false, got {v}"),
            }),
        }
    }

    pub(crate) fn string(&self, field: &'static str) -> Result<Option<&str>, ConfigError> {
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
    pub(crate) fn indices(&self, field: &'static str) -> Result<Vec<u64>, ConfigError> {
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

    /// A per-layer list of kind names (`layer_types`, `layers_block_type`),
    /// checked to have one entry per layer; each name mapped by `kind`,
    /// which returns `None` for a name the family does not know.
    pub(crate) fn kinds<K>(
        &self,
        field: &'static str,
        n_layer: u64,
        kind: impl Fn(&str) -> Option<K>,
    ) -> Result<Option<Vec<K>>, ConfigError> {
        let Some(value) = self.get(field) else {
            return Ok(None);
        };
        let Value::Array(items) = value else {
            return Err(invalid(field, "must be a list".into()));
        };
        if items.len() as u64 != n_layer {
            return Err(invalid(
                field,
                format!("lists {} layers but the model has {n_layer}", items.len()),
            ));
        }
        items
            .iter()
            .map(|v| {
                v.as_str()
                    .and_then(&kind)
                    .ok_or_else(|| invalid(field, format!("has an unknown layer type {v}")))
            })
            .collect::<Result<Vec<K>, _>>()
            .map(Some)
    }

    /// A dimension that may be the string `"auto"`, which takes `auto`.
    pub(crate) fn dim_or_auto(&self, field: &'static str, auto: u64) -> Result<u64, ConfigError> {
        match self.get(field) {
            Some(Value::String(s)) if s == "auto" => Ok(auto),
            _ => self.dim_or(field, auto),
        }
    }

    /// A non-negative number (`block_ffn_dim_multiplier`).
    pub(crate) fn number(&self, field: &'static str) -> Result<Option<f64>, ConfigError> {
        match self.get(field) {
            None => Ok(None),
            Some(v) => v
                .as_f64()
                .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1e6)
                .map(Some)
                .ok_or_else(|| invalid(field, format!("must be a non-negative number, got {v}"))),
        }
    }

    /// `layer_types` (`"sliding_attention"` / `"full_attention"` per layer).
    pub(crate) fn layer_types(&self, n_layer: u64) -> Result<Option<Vec<bool>>, ConfigError> {
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

pub(crate) fn invalid(field: &'static str, why: String) -> ConfigError {
    ConfigError::Invalid { field, why }
}

/// The attention and MLP shapes every decoder family shares.
pub(crate) struct DecoderDims {
    pub(crate) n_embd: u64,
    pub(crate) n_ff: u64,
    pub(crate) n_layer: u64,
    pub(crate) n_head: u64,
    pub(crate) n_head_kv: u64,
    pub(crate) head_dim: u64,
    pub(crate) n_vocab: u64,
}

pub(crate) fn decoder_dims(f: &Fields, model_type: &str) -> Result<DecoderDims, ConfigError> {
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
        // Qwen3MoeConfig has no head_dim default: hidden_size / heads.
        "qwen3" => Some(128),
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
pub(crate) fn mlp(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64, gated: bool, bias: bool) {
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
pub(crate) fn gated_ffn(
    tensors: &mut Vec<Tensor>,
    suffix: &str,
    n_embd: u64,
    n_ff: u64,
    n_expert: u64,
) {
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
pub(crate) fn experts(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64, n_expert: u64) {
    gated_ffn(tensors, "_exps", n_embd, n_ff, n_expert);
}

/// Shared experts (`ffn_*_shexp`): one gated MLP of `n_ff`.
pub(crate) fn shared_expert(tensors: &mut Vec<Tensor>, n_embd: u64, n_ff: u64) {
    gated_ffn(tensors, "_shexp", n_embd, n_ff, 1);
}

/// The MoE router (`ffn_gate_inp`): `n_embd → n_expert`.
pub(crate) fn router(tensors: &mut Vec<Tensor>, n_embd: u64, n_expert: u64) {
    tensors.push(Tensor::matrix(
        "ffn_gate_inp.weight",
        Kind::FfnGateInp,
        n_embd,
        n_expert,
    ));
}

/// Routed-expert settings read from the family's field names.
pub(crate) struct MoeFields {
    pub(crate) n_expert: u64,
    pub(crate) n_expert_used: u64,
}

pub(crate) fn moe_fields(
    f: &Fields,
    experts_field: &'static str,
) -> Result<Option<MoeFields>, ConfigError> {
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

/// A Linear with bias: `{name}.weight` and `{name}.bias`.
pub(crate) fn biased(t: &mut Vec<Tensor>, name: &str, kind: Kind, row_len: u64, rows: u64) {
    t.push(Tensor::matrix(
        &format!("{name}.weight"),
        kind,
        row_len,
        rows,
    ));
    t.push(Tensor::vector(&format!("{name}.bias"), rows));
}

/// A LayerNorm with weight and bias.
pub(crate) fn layer_norm(t: &mut Vec<Tensor>, name: &str, dim: u64) {
    t.push(Tensor::vector(&format!("{name}.weight"), dim));
    t.push(Tensor::vector(&format!("{name}.bias"), dim));
}

/// A family's config-class defaults for the fields every decoder shares:
/// what transformers builds when a `config.json` leaves them out.
pub(crate) struct ClassDefaults {
    pub(crate) vocab_size: u64,
    pub(crate) hidden_size: u64,
    pub(crate) intermediate_size: u64,
    pub(crate) num_hidden_layers: u64,
    pub(crate) num_attention_heads: u64,
    /// `None`: as many as `num_attention_heads`.
    pub(crate) num_key_value_heads: Option<u64>,
    /// `None`: the class derives it as `hidden_size / num_attention_heads`.
    pub(crate) head_dim: Option<u64>,
    pub(crate) max_position_embeddings: u64,
    pub(crate) tie_word_embeddings: bool,
}

/// [`DecoderDims`] with the family's class defaults for missing fields.
pub(crate) fn class_dims(f: &Fields, c: &ClassDefaults) -> Result<DecoderDims, ConfigError> {
    let n_embd = f.dim_or("hidden_size", c.hidden_size)?;
    let n_ff = f.dim_or("intermediate_size", c.intermediate_size)?;
    let n_layer = f.layers_or("num_hidden_layers", c.num_hidden_layers)?;
    let n_head = f.dim_or("num_attention_heads", c.num_attention_heads)?;
    let n_vocab = f.dim_or("vocab_size", c.vocab_size)?;
    let n_head_kv = f
        .opt_dim("num_key_value_heads")?
        .or(c.num_key_value_heads)
        .unwrap_or(n_head);
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(invalid(
            "num_key_value_heads",
            format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        ));
    }
    let head_dim = match f.opt_dim("head_dim")?.or(c.head_dim) {
        Some(d) => d,
        None => floor_head_dim(n_embd, n_head)?,
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

/// `hidden_size // num_attention_heads` as the modeling files compute it
/// (GLM-4-MoE's class defaults, 4096 and 96 heads, give 42).
pub(crate) fn floor_head_dim(n_embd: u64, n_head: u64) -> Result<u64, ConfigError> {
    match n_embd / n_head {
        0 => Err(invalid(
            "num_attention_heads",
            format!("({n_head}) must not exceed hidden_size ({n_embd}) when head_dim is not given"),
        )),
        d => Ok(d),
    }
}

/// `hidden_size / num_attention_heads`, which must divide evenly (Falcon
/// refuses other shapes).
pub(crate) fn derived_head_dim(n_embd: u64, n_head: u64) -> Result<u64, ConfigError> {
    if n_embd.is_multiple_of(n_head) {
        Ok(n_embd / n_head)
    } else {
        Err(invalid(
            "num_attention_heads",
            format!("({n_head}) must divide hidden_size ({n_embd})"),
        ))
    }
}

impl Fields<'_> {
    /// Like [`Fields::layers`] with a class default.
    pub(crate) fn layers_or(&self, field: &'static str, default: u64) -> Result<u64, ConfigError> {
        if self.get(field).is_none() {
            return Ok(default);
        }
        self.layers(field)
    }

    /// The first of several spellings of a count that is present (a
    /// config class's `attribute_map` aliases), 0 allowed.
    pub(crate) fn count_of(&self, fields: &[&'static str]) -> Result<Option<u64>, ConfigError> {
        for field in fields {
            if self.get(field).is_some() {
                return self.opt_count(field);
            }
        }
        Ok(None)
    }
}

/// The Q, K, V and output projections of multi-head attention, with
/// biases on Q/K/V and on the output as the family sets them.
pub(crate) fn attention_projections(
    t: &mut Vec<Tensor>,
    d: &DecoderDims,
    qkv_bias: bool,
    o_bias: bool,
) {
    attention(
        t,
        &AttnShape {
            n_embd: d.n_embd,
            n_head: d.n_head,
            n_head_kv: d.n_head_kv,
            head_dim: d.head_dim,
            qkv_bias,
            o_bias,
            gated_q: false,
            qk_norm: false,
        },
    );
}

/// The tensors outside a decoder's layers: token embeddings, the final
/// norm (with a bias when it is a LayerNorm) and the output projection
/// unless it is tied to the embeddings.
pub(crate) fn decoder_globals(d: &DecoderDims, tied: bool, norm_bias: bool) -> Vec<Tensor> {
    globals(d.n_embd, d.n_vocab, tied, norm_bias)
}

fn globals(n_embd: u64, n_vocab: u64, tied: bool, norm_bias: bool) -> Vec<Tensor> {
    let mut globals = vec![Tensor::matrix(
        "token_embd.weight",
        Kind::TokenEmbd,
        n_embd,
        n_vocab,
    )];
    norm(&mut globals, "output_norm", n_embd, norm_bias);
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            n_embd,
            n_vocab,
        ));
    }
    globals
}

/// A decoder layer of self-attention and the given tensors.
pub(crate) fn decoder_layer(attention: Attention, tensors: Vec<Tensor>) -> Layer {
    layer(Some(attention), None, tensors)
}

/// A decoder-only [`ModelSpec`]; with `moe` it is a mixture of experts.
pub(crate) fn decoder_spec(
    model_type: &str,
    d: &DecoderDims,
    n_ctx_train: u64,
    tied: bool,
    moe: Option<Moe>,
    globals: Vec<Tensor>,
    layers: Vec<Layer>,
) -> ModelSpec {
    let head = Head {
        model_type: model_type.to_string(),
        n_embd: d.n_embd,
        n_vocab: d.n_vocab,
        n_ctx_train,
        tied,
        norm_bias: false,
        moe,
        llama_cpp_swa: false,
    };
    assemble(head, globals, layers)
}

/// Local attention over `window` tokens when the layer is sliding.
pub(crate) fn sliding(
    mut attention: Attention,
    window: Option<u64>,
    is_sliding: bool,
) -> Attention {
    if let Some(w) = window.filter(|_| is_sliding) {
        attention.window = Window::Sliding(w);
    }
    attention
}

/// Routed-expert counts read under the family's spellings (the first
/// present of each list, as a config class's `attribute_map` allows), with
/// its class defaults; a count the class leaves unset is required.
pub(crate) fn routed_experts(
    f: &Fields,
    experts_fields: &[&'static str],
    experts_default: Option<u64>,
    used_fields: &[&'static str],
    used_default: Option<u64>,
) -> Result<MoeFields, ConfigError> {
    let n_expert = f
        .count_of(experts_fields)?
        .or(experts_default)
        .ok_or(ConfigError::Missing(experts_fields[0]))?;
    if n_expert == 0 {
        return Err(invalid(experts_fields[0], "must be at least 1".into()));
    }
    let n_expert_used = f
        .count_of(used_fields)?
        .or(used_default)
        .ok_or(ConfigError::Missing(used_fields[0]))?;
    if n_expert_used == 0 || n_expert_used > n_expert {
        return Err(invalid(
            used_fields[0],
            format!(
                "({n_expert_used}) must be between 1 and {} ({n_expert})",
                experts_fields[0]
            ),
        ));
    }
    Ok(MoeFields {
        n_expert,
        n_expert_used,
    })
}

/// A norm's weight (RMSNorm) or weight and bias (LayerNorm).
pub(crate) fn norm(t: &mut Vec<Tensor>, name: &str, dim: u64, bias: bool) {
    t.push(Tensor::vector(&format!("{name}.weight"), dim));
    if bias {
        t.push(Tensor::vector(&format!("{name}.bias"), dim));
    }
}

/// Multi-head attention with `n_head_kv` K/V heads of `head_dim` (GQA).
#[derive(Clone, Copy)]
pub(crate) struct AttnShape {
    pub(crate) n_embd: u64,
    pub(crate) n_head: u64,
    pub(crate) n_head_kv: u64,
    pub(crate) head_dim: u64,
    /// Biases on Q, K and V.
    pub(crate) qkv_bias: bool,
    /// Bias on the output projection.
    pub(crate) o_bias: bool,
    /// Q projects to twice its width: the second half gates the output
    /// (Qwen3-Next's gated attention).
    pub(crate) gated_q: bool,
    /// Per-head RMSNorm weights on Q and K (`q_norm`, `k_norm`).
    pub(crate) qk_norm: bool,
}

impl AttnShape {
    /// Plain GQA, biased everywhere or nowhere, without gates or norms.
    pub(crate) fn gqa(n_embd: u64, n_head: u64, n_head_kv: u64, head_dim: u64, bias: bool) -> Self {
        AttnShape {
            n_embd,
            n_head,
            n_head_kv,
            head_dim,
            qkv_bias: bias,
            o_bias: bias,
            gated_q: false,
            qk_norm: false,
        }
    }
}

/// Q, K, V and output projections (`attn_q`, `attn_k`, `attn_v`,
/// `attn_output`) with the shape's biases and norms; returns what the
/// layer caches.
pub(crate) fn attention(t: &mut Vec<Tensor>, a: &AttnShape) -> Attention {
    let q_dim = a.n_head * a.head_dim;
    let kv_dim = a.n_head_kv * a.head_dim;
    let q_rows = if a.gated_q { 2 * q_dim } else { q_dim };
    t.push(Tensor::matrix(
        "attn_q.weight",
        Kind::AttnQ,
        a.n_embd,
        q_rows,
    ));
    t.push(Tensor::matrix(
        "attn_k.weight",
        Kind::AttnK,
        a.n_embd,
        kv_dim,
    ));
    t.push(Tensor::matrix(
        "attn_v.weight",
        Kind::AttnV,
        a.n_embd,
        kv_dim,
    ));
    t.push(Tensor::matrix(
        "attn_output.weight",
        Kind::AttnOutput,
        q_dim,
        a.n_embd,
    ));
    if a.qkv_bias {
        t.push(Tensor::vector("attn_q.bias", q_rows));
        t.push(Tensor::vector("attn_k.bias", kv_dim));
        t.push(Tensor::vector("attn_v.bias", kv_dim));
    }
    if a.o_bias {
        t.push(Tensor::vector("attn_output.bias", a.n_embd));
    }
    if a.qk_norm {
        t.push(Tensor::vector("attn_q_norm.weight", a.head_dim));
        t.push(Tensor::vector("attn_k_norm.weight", a.head_dim));
    }
    Attention::heads(a.n_head, a.n_head_kv, a.head_dim)
}

/// A decoder layer of the given parts.
pub(crate) fn layer(
    attention: Option<Attention>,
    recurrent: Option<Recurrent>,
    tensors: Vec<Tensor>,
) -> Layer {
    Layer {
        stack: Stack::Decoder,
        attention,
        recurrent,
        cross_attention: None,
        tensors,
    }
}

/// What a decoder-only model is besides its layers.
pub(crate) struct Head {
    pub(crate) model_type: String,
    pub(crate) n_embd: u64,
    pub(crate) n_vocab: u64,
    pub(crate) n_ctx_train: u64,
    pub(crate) tied: bool,
    /// The final norm's bias (LayerNorm).
    pub(crate) norm_bias: bool,
    pub(crate) moe: Option<Moe>,
    pub(crate) llama_cpp_swa: bool,
}

/// Token embeddings, the final norm and (untied) the output projection
/// around `layers`.
pub(crate) fn decoder_model(head: Head, layers: Vec<Layer>) -> ModelSpec {
    let globals = globals(head.n_embd, head.n_vocab, head.tied, head.norm_bias);
    assemble(head, globals, layers)
}

/// A decoder-only [`ModelSpec`] of these globals and layers; with experts
/// it is a mixture of experts.
fn assemble(head: Head, globals: Vec<Tensor>, layers: Vec<Layer>) -> ModelSpec {
    ModelSpec {
        model_type: head.model_type,
        class: if head.moe.is_some() {
            ModelType::MixtureOfExperts
        } else {
            ModelType::DecoderOnly
        },
        n_embd: head.n_embd,
        n_vocab: head.n_vocab,
        n_ctx_train: head.n_ctx_train,
        tied_embeddings: head.tied,
        moe: head.moe,
        llama_cpp_swa: head.llama_cpp_swa,
        globals,
        layers,
        vision: None,
        stored: None,
    }
}

/// Routed experts whose gate and up projections are one stacked tensor
/// (`gate_up_proj` of `2 × n_ff` rows, as transformers 5 stores them),
/// counted as llama.cpp's separate `ffn_gate_exps` and `ffn_up_exps`.
pub(crate) fn stacked_experts(t: &mut Vec<Tensor>, n_embd: u64, n_ff: u64, n_expert: u64) {
    router(t, n_embd, n_expert);
    experts(t, n_embd, n_ff, n_expert);
}

/// Multi-head latent attention (DeepSeek-V2/V3, Kimi Linear's full
/// layers): Q directly or through a `q_lora_rank` bottleneck, K/V from one
/// latent of `kv_lora_rank` plus a shared RoPE key of `rope_dim`.
#[derive(Clone, Copy)]
pub(crate) struct Mla {
    pub(crate) n_embd: u64,
    pub(crate) n_head: u64,
    pub(crate) q_lora_rank: Option<u64>,
    pub(crate) kv_lora_rank: u64,
    pub(crate) rope_dim: u64,
    pub(crate) nope_dim: u64,
    pub(crate) v_head_dim: u64,
    /// Biases on the down-projections (`q_a_proj`, `kv_a_proj_with_mqa`).
    pub(crate) a_bias: bool,
    /// Bias on the output projection.
    pub(crate) o_bias: bool,
}

/// MLA's projections (`attn_q` or `attn_q_a` + norm + `attn_q_b`,
/// `attn_kv_a_mqa` + norm, `attn_kv_b`, `attn_output`); returns the
/// latent it caches.
pub(crate) fn mla(t: &mut Vec<Tensor>, m: &Mla) -> Attention {
    let qk_head = m.nope_dim + m.rope_dim;
    match m.q_lora_rank {
        Some(q_lora) => {
            t.push(Tensor::matrix(
                "attn_q_a.weight",
                Kind::Other,
                m.n_embd,
                q_lora,
            ));
            t.push(Tensor::vector("attn_q_a_norm.weight", q_lora));
            t.push(Tensor::matrix(
                "attn_q_b.weight",
                Kind::AttnQ,
                q_lora,
                m.n_head * qk_head,
            ));
            if m.a_bias {
                t.push(Tensor::vector("attn_q_a.bias", q_lora));
            }
        }
        None => t.push(Tensor::matrix(
            "attn_q.weight",
            Kind::AttnQ,
            m.n_embd,
            m.n_head * qk_head,
        )),
    }
    t.push(Tensor::matrix(
        "attn_kv_a_mqa.weight",
        Kind::Other,
        m.n_embd,
        m.kv_lora_rank + m.rope_dim,
    ));
    if m.a_bias {
        t.push(Tensor::vector(
            "attn_kv_a_mqa.bias",
            m.kv_lora_rank + m.rope_dim,
        ));
    }
    t.push(Tensor::vector("attn_kv_a_norm.weight", m.kv_lora_rank));
    t.push(Tensor::matrix(
        "attn_kv_b.weight",
        Kind::AttnKvB,
        m.kv_lora_rank,
        m.n_head * (m.nope_dim + m.v_head_dim),
    ));
    t.push(Tensor::matrix(
        "attn_output.weight",
        Kind::AttnOutput,
        m.n_head * m.v_head_dim,
        m.n_embd,
    ));
    if m.o_bias {
        t.push(Tensor::vector("attn_output.bias", m.n_embd));
    }
    Attention {
        n_head: m.n_head,
        kv: crate::estimate::model::KvLayout::Latent {
            kv_lora_rank: m.kv_lora_rank,
            rope_dim: m.rope_dim,
            head_dim_k: qk_head,
            head_dim_v: m.v_head_dim,
            indexer_dim: 0,
        },
        window: Window::Global,
        shares_kv: false,
        compression: None,
    }
}
