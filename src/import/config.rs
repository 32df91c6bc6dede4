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

use super::arch::{self, Fields};
use super::mmproj::{self, Mmproj};
use crate::estimate::model::{ModelSpec, Stored, StoredMmproj};

pub use super::arch::MAX_CONFIG_BYTES;

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
/// decoder with a warning, unless its fields reveal a layout that reading
/// would get wrong.
pub fn supported_model_types() -> impl Iterator<Item = &'static str> {
    arch::FAMILIES.iter().map(|(t, _)| *t)
}

/// The format a checkpoint's own `quantization_config` says its weights
/// are stored in (gpt-oss's `mxfp4`, DeepSeek's block `fp8`, an AWQ or GPTQ
/// upload), which vLLM and transformers load as they are; `None` for an
/// unquantized checkpoint or a method vramfit does not size.
pub fn checkpoint_format(text: &str) -> Option<crate::estimate::WeightFormat> {
    use crate::estimate::WeightFormat;
    let config: Value = serde_json::from_str(text).ok()?;
    let q = config
        .get("quantization_config")
        .or_else(|| config.get("text_config")?.get("quantization_config"))?;
    let group = |default: u16| {
        q.get("group_size")
            .and_then(Value::as_u64)
            .and_then(|g| u16::try_from(g).ok())
            .unwrap_or(default)
    };
    match q.get("quant_method")?.as_str()? {
        "mxfp4" => Some(WeightFormat::Mxfp4),
        "fp8" => Some(WeightFormat::Fp8 {
            block: q.get("weight_block_size").is_some(),
        }),
        "awq" => Some(WeightFormat::Awq { group: group(128) }),
        "gptq" => Some(WeightFormat::Gptq {
            bits: q
                .get("bits")
                .and_then(Value::as_u64)
                .and_then(|b| u8::try_from(b).ok())
                .unwrap_or(4),
            group: group(128),
        }),
        _ => None,
    }
}

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
/// them (see [`crate::import::file`]) — and, for a GGUF model with its
/// vision projector, `"mmproj": {…}` ([`crate::import::mmproj`]).
fn imported_file(fields: &Map<String, Value>) -> Result<Imported, ConfigError> {
    let Some(Value::Object(config)) = fields.get("config") else {
        return Err(ConfigError::Missing("config"));
    };
    let mut stored: Stored = serde_json::from_value(
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
    // The image side is read again from the projector's own tensors, and
    // only from them.
    stored.mmproj = None;
    if let Some(value) = fields.get("mmproj") {
        let invalid = |why: String| ConfigError::Invalid {
            field: "mmproj",
            why,
        };
        let m: Mmproj =
            serde_json::from_value(value.clone()).map_err(|e| invalid(e.to_string()))?;
        let read = mmproj::read(&m, imported.spec.n_embd).map_err(|e| invalid(e.to_string()))?;
        imported.spec.vision = Some(read.vision);
        imported.warnings.extend(read.warnings);
        stored.mmproj = Some(StoredMmproj {
            file: m.file,
            bytes: read.bytes,
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
    // A multimodal config nests the language model in `text_config`.
    let spec = match fields.get("text_config") {
        // A wrapper without its vision part still nests the text model.
        Some(Value::Object(text_config))
            if fields.contains_key("vision_config") || !fields.contains_key("hidden_size") =>
        {
            let text_type = text_config
                .get("model_type")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| arch::text_model_type(&model_type));
            let (text_type, text_config) = arch::text_model(&text_type, text_config);
            let mut spec = build(&Fields(&text_config), &text_type, &mut warnings)?;
            if let Some(Value::Object(vision_config)) = fields.get("vision_config") {
                match arch::vision::family_of(&model_type) {
                    Some(family) => {
                        let wrapper = Fields(&fields);
                        let vision = (family.read)(&wrapper, &Fields(vision_config), spec.n_embd)?;
                        let tied = arch::vision::tied(family, &wrapper, spec.tied_embeddings)?;
                        arch::set_tied(&mut spec, tied);
                        spec.vision = Some(vision);
                    }
                    None => warnings.push(format!(
                        "{model_type}: the text model only; the vision tower is not counted"
                    )),
                }
            }
            spec
        }
        _ => build(&Fields(&fields), &model_type, &mut warnings)?,
    };
    Ok(Imported { spec, warnings })
}

/// Dispatches on `model_type`.
fn build(
    f: &Fields,
    model_type: &str,
    warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    if let Some(read) = arch::reader(model_type) {
        return read(f, model_type, warnings);
    }
    arch::unknown(f, model_type, warnings)
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
                warning: model_type `brand_new` is not one vramfit knows: read as a Llama-style decoder (pre-norm attention with hidden_size, num_attention_heads, num_key_value_heads, head_dim; a gated SiLU MLP of intermediate_size; untied lm_head unless tie_word_embeddings) — check the parameter count against the model card"#]],
        );
        check(
            &format!("{{{TINY}}}"),
            expect![[r#"
                DecoderOnly total 95040 active 95040
                warning: model_type `(none)` is not one vramfit knows: read as a Llama-style decoder (pre-norm attention with hidden_size, num_attention_heads, num_key_value_heads, head_dim; a gated SiLU MLP of intermediate_size; untied lm_head unless tie_word_embeddings) — check the parameter count against the model card"#]],
        );
    }

    #[test]
    fn multimodal_configs_count_the_vision_tower_when_vramfit_builds_it() {
        // Gemma 3: SigLIP's defaults (224/16, 12 × 768, pooling head) and
        // the projector into the 64-wide text model.
        let gemma3 = format!(
            r#"{{"model_type":"gemma3","text_config":{{"model_type":"gemma3_text",{TINY},"head_dim":16}},"vision_config":{{}}}}"#
        );
        check(
            &gemma3,
            expect!["DecoderOnly total 93023104 active 93023104"],
        );
        // A wrapper vramfit has no vision reader for: the text model, said so.
        let other = format!(
            r#"{{"model_type":"brand_new_vlm","text_config":{{"model_type":"gemma",{TINY}}},"vision_config":{{}}}}"#
        );
        check(
            &other,
            expect![[r#"
                DecoderOnly total 580160 active 580160
                warning: brand_new_vlm: the text model only; the vision tower is not counted"#]],
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
