//! Hugging Face `config.json` → [`ModelSpec`].
//!
//! Optional fields take the defaults of the model's transformers config class
//! (`head_dim = hidden_size / num_attention_heads`, `num_key_value_heads =
//! num_attention_heads`, `tie_word_embeddings` as the class sets it), so a
//! real config from the Hub works as it is. The tensor list mirrors the
//! transformers modeling code of each family, so parameter counts are exact.

use serde_json::{Map, Value};
use thiserror::Error;

use crate::estimate::model::{Attention, Layer, ModelSpec, ModelType, Role, Tensor};

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

/// Parses `config.json` text.
pub fn parse_config(text: &str) -> Result<Imported, ConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| ConfigError::Json(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(ConfigError::NotAnObject);
    };
    from_fields(&Fields(&fields))
}

/// Typed access to config fields with errors that name them.
struct Fields<'a>(&'a Map<String, Value>);

/// Largest dimension accepted: far above any real model, low enough that
/// products of a few dimensions cannot overflow `u64`.
const MAX_DIM: u64 = 1 << 24;

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

    fn dim(&self, field: &'static str) -> Result<u64, ConfigError> {
        self.opt_dim(field)?.ok_or(ConfigError::Missing(field))
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

    fn model_type(&self) -> String {
        self.get("model_type")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_string()
    }
}

/// Families whose modeling code is the Llama decoder block, and what differs.
struct DecoderFamily {
    /// q/k/v projections carry biases (Qwen2), or only when `attention_bias`.
    qkv_bias_always: bool,
    /// `sliding_window` applies to every layer (Mistral) unless null.
    uses_sliding_window: bool,
}

fn decoder_family(model_type: &str) -> Option<DecoderFamily> {
    let family = match model_type {
        "llama" => DecoderFamily {
            qkv_bias_always: false,
            uses_sliding_window: false,
        },
        "mistral" => DecoderFamily {
            qkv_bias_always: false,
            uses_sliding_window: true,
        },
        "qwen2" => DecoderFamily {
            qkv_bias_always: true,
            uses_sliding_window: false,
        },
        _ => return None,
    };
    Some(family)
}

fn from_fields(f: &Fields) -> Result<Imported, ConfigError> {
    let model_type = f.model_type();
    let mut warnings = Vec::new();
    let family = decoder_family(&model_type).unwrap_or_else(|| {
        let shown = if model_type.is_empty() { "(none)" } else { model_type.as_str() };
        warnings.push(format!(
            "model_type `{shown}` is not one vramfit knows: read as a Llama-style decoder from its standard fields"
        ));
        DecoderFamily { qkv_bias_always: false, uses_sliding_window: false }
    });

    let n_embd = f.dim("hidden_size")?;
    let n_ff = f.dim("intermediate_size")?;
    let n_layer = f.dim("num_hidden_layers")?;
    let n_head = f.dim("num_attention_heads")?;
    let n_vocab = f.dim("vocab_size")?;
    let n_head_kv = f.opt_dim("num_key_value_heads")?.unwrap_or(n_head);
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(ConfigError::Invalid {
            field: "num_key_value_heads",
            why: format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        });
    }
    let head_dim = match f.opt_dim("head_dim")? {
        Some(d) => d,
        None if n_embd.is_multiple_of(n_head) => n_embd / n_head,
        None => {
            return Err(ConfigError::Invalid {
                field: "num_attention_heads",
                why: format!(
                    "({n_head}) must divide hidden_size ({n_embd}) when head_dim is not given"
                ),
            })
        }
    };
    if n_layer > 4096 {
        return Err(ConfigError::Invalid {
            field: "num_hidden_layers",
            why: format!("is {n_layer}, more than 4096"),
        });
    }
    let n_ctx_train = f.opt_dim("max_position_embeddings")?.unwrap_or(4096);
    let tied = f.flag("tie_word_embeddings", false)?;
    let attention_bias = family.qkv_bias_always || f.flag("attention_bias", false)?;
    let output_bias = !family.qkv_bias_always && attention_bias;
    let mlp_bias = f.flag("mlp_bias", false)?;
    let sliding_window = if family.uses_sliding_window {
        f.opt_dim("sliding_window")?
    } else {
        None
    };

    let q_dim = n_head * head_dim;
    let kv_dim = n_head_kv * head_dim;
    let mut tensors = vec![
        Tensor::vector(Role::AttnNorm, n_embd),
        Tensor::matrix(Role::AttnQ, n_embd, q_dim),
        Tensor::matrix(Role::AttnK, n_embd, kv_dim),
        Tensor::matrix(Role::AttnV, n_embd, kv_dim),
        Tensor::matrix(Role::AttnOutput, q_dim, n_embd),
        Tensor::vector(Role::FfnNorm, n_embd),
        Tensor::matrix(Role::FfnGate, n_embd, n_ff),
        Tensor::matrix(Role::FfnUp, n_embd, n_ff),
        Tensor::matrix(Role::FfnDown, n_ff, n_embd),
    ];
    if attention_bias {
        tensors.push(Tensor::vector(Role::AttnQBias, q_dim));
        tensors.push(Tensor::vector(Role::AttnKBias, kv_dim));
        tensors.push(Tensor::vector(Role::AttnVBias, kv_dim));
    }
    if output_bias {
        tensors.push(Tensor::vector(Role::AttnOutputBias, n_embd));
    }
    if mlp_bias {
        tensors.push(Tensor::vector(Role::FfnGateBias, n_ff));
        tensors.push(Tensor::vector(Role::FfnUpBias, n_ff));
        tensors.push(Tensor::vector(Role::FfnDownBias, n_embd));
    }
    let attention = Attention {
        n_head,
        n_head_kv,
        head_dim_k: head_dim,
        head_dim_v: head_dim,
        sliding_window,
    };
    let layer = Layer { attention, tensors };

    let mut globals = vec![
        Tensor::matrix(Role::TokenEmbd, n_embd, n_vocab),
        Tensor::vector(Role::OutputNorm, n_embd),
    ];
    if !tied {
        globals.push(Tensor::matrix(Role::Output, n_embd, n_vocab));
    }
    let spec = ModelSpec {
        model_type,
        class: ModelType::DecoderOnly,
        n_embd,
        n_vocab,
        n_ctx_train,
        tied_embeddings: tied,
        globals,
        layers: vec![layer; n_layer as usize],
    };
    Ok(Imported { spec, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(config: &str, expected: Expect) {
        let got = match parse_config(config) {
            Ok(imported) => {
                let p = imported.spec.params();
                let mut out = format!("total {} active {}", p.total, p.active);
                for w in imported.warnings {
                    out.push_str(&format!("\nwarning: {w}"));
                }
                out
            }
            Err(e) => format!("error: {e}"),
        };
        expected.assert_eq(&got);
    }

    #[test]
    fn bad_configs_name_the_field_at_fault() {
        check("{", expect!["error: config.json is not valid JSON: EOF while parsing an object at line 1 column 1"]);
        check("[1]", expect!["error: config.json must be a JSON object"]);
        check(
            r#"{"model_type":"llama","hidden_size":4096}"#,
            expect!["error: missing required field `intermediate_size`"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":4096,"intermediate_size":11008,"num_hidden_layers":32,
                "num_attention_heads":32,"num_key_value_heads":5,"vocab_size":32000}"#,
            expect!["error: field `num_key_value_heads` (5) must divide num_attention_heads (32)"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":-1}"#,
            expect!["error: field `hidden_size` must be a positive integer, got -1"],
        );
        check(
            r#"{"model_type":"llama","hidden_size":1e30}"#,
            expect!["error: field `hidden_size` must be a positive integer, got 1e+30"],
        );
    }

    #[test]
    fn unknown_model_types_are_read_as_decoders_with_a_warning() {
        check(
            r#"{"model_type":"brand_new","hidden_size":64,"intermediate_size":128,"num_hidden_layers":2,
                "num_attention_heads":4,"vocab_size":100}"#,
            expect![[r#"
                total 95040 active 95040
                warning: model_type `brand_new` is not one vramfit knows: read as a Llama-style decoder from its standard fields"#]],
        );
    }
}
