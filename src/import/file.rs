//! Model files → an import document: the architecture as a config and the
//! weights exactly as the file stores them.
//!
//! `{"vramfit_import": 1, "source": "gguf", "config": {…}, "stored": {…}}`
//! is text like a pasted `config.json`, so it travels the same way — in the
//! request, in links (compressed), to the planner — and `parse_config`
//! reads it back ([`crate::estimate::model::Stored`]).
//!
//! GGUF: the architecture comes from the `{arch}.*` metadata (llama.cpp's
//! key names), the bytes from the tensor infos: `blk.N.*` → layer N,
//! `token_embd`, `output`/`output_norm`, everything else. Split files
//! (`*-00001-of-00003.gguf`) are summed, and a missing shard is named. A
//! vision projector file given with the model (`mmproj-*.gguf`, in any
//! order) travels as `"mmproj": {…}` ([`super::mmproj`]).
//! safetensors: the architecture from the `config.json` beside it, the
//! bytes from the headers, `model.layers.N.*` → layer N.

use std::collections::BTreeMap;

use serde_json::{json, Map, Value};
use thiserror::Error;

use super::config::{parse_config, ConfigError};
use super::gguf::{GgufHeader, Value as Meta};
use super::mmproj::{distill, is_mmproj, read, Mmproj, MmprojError};
use super::safetensors::{detect_quantization, layer_of, Header};
use crate::estimate::format::GgufFtype;
use crate::estimate::model::Stored;

/// Why files could not be imported.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ImportError {
    #[error("{file}: {why}")]
    File { file: String, why: String },
    #[error("split GGUF: shard {missing} of {total} is missing (have {have})")]
    MissingShard {
        missing: u64,
        total: u64,
        have: String,
    },
    #[error("the GGUF metadata lacks `{0}`")]
    Metadata(String),
    #[error("`{key}` is {value}, more than {limit}")]
    TooLarge { key: String, value: u64, limit: u64 },
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error("{0}: this is a vision projector (mmproj) file; add the model GGUF too")]
    ProjectorAlone(String),
    #[error("{0} and {1} are both vision projector (mmproj) files: give one, with its model")]
    TwoProjectors(String, String),
    #[error(
        "{0} and {1} are two models: give one model GGUF (every shard of a split one) and at most one mmproj"
    )]
    TwoModels(String, String),
    #[error(transparent)]
    Mmproj(#[from] MmprojError),
}

/// `model-00002-of-00003.gguf` → `(2, 3)`.
pub fn shard_of(name: &str) -> Option<(u64, u64)> {
    let stem = name
        .rsplit('/')
        .next()?
        .trim_end_matches(".gguf")
        .trim_end_matches(".safetensors");
    let mut parts = stem.rsplitn(3, '-');
    let total = parts.next()?.parse().ok()?;
    (parts.next()? == "of").then_some(())?;
    let index = parts.next()?.rsplit('-').next()?.parse().ok()?;
    Some((index, total))
}

/// `model-00002-of-00003.gguf` → `("model", 3)`: what the shards of one
/// file share.
fn split_of(name: &str) -> Option<(&str, u64)> {
    let (_, total) = shard_of(name)?;
    let mut parts = name.rsplit('/').next()?.rsplitn(3, '-');
    parts.nth(1)?;
    Some((parts.next()?.rsplit_once('-')?.0, total))
}

/// Accumulates tensor bytes into a [`Stored`].
struct Tally {
    layers: Vec<u64>,
    experts: Vec<u64>,
    token_embd: u64,
    output: u64,
    other: u64,
    by_type: BTreeMap<String, (u64, u64)>,
}

impl Tally {
    fn new(n_layer: usize) -> Tally {
        Tally {
            layers: vec![0; n_layer],
            experts: vec![0; n_layer],
            token_embd: 0,
            output: 0,
            other: 0,
            by_type: BTreeMap::new(),
        }
    }

    fn add(
        &mut self,
        layer: Option<usize>,
        global: Global,
        expert: bool,
        storage: &str,
        bytes: u64,
    ) {
        match layer.filter(|&l| l < self.layers.len()) {
            Some(l) => {
                self.layers[l] += bytes;
                if expert {
                    self.experts[l] += bytes;
                }
            }
            None => match global {
                Global::Embedding => self.token_embd += bytes,
                Global::Output => self.output += bytes,
                Global::Other => self.other += bytes,
            },
        }
        let entry = self.by_type.entry(storage.to_string()).or_default();
        entry.0 += 1;
        entry.1 += bytes;
    }

    fn stored(
        self,
        source: &str,
        files: Vec<String>,
        label: String,
        params: u64,
        active: u64,
    ) -> Stored {
        let mut by_type: Vec<(String, u64, u64)> = self
            .by_type
            .into_iter()
            .map(|(k, (n, b))| (k, n, b))
            .collect();
        by_type.sort_by_key(|t| std::cmp::Reverse(t.2));
        Stored {
            source: source.into(),
            files,
            label,
            layers: self.layers,
            layer_experts: self.experts,
            token_embd: self.token_embd,
            output: self.output,
            other: self.other,
            by_type,
            params,
            active_params: active,
            mmproj: None,
        }
    }
}

enum Global {
    Embedding,
    Output,
    Other,
}

/// The `llama_ftype` names of `general.file_type`.
fn ftype_name(id: u64) -> Option<&'static str> {
    let name = match id {
        0 => "F32",
        1 => "F16",
        7 => "Q8_0",
        2 => "Q4_0",
        3 => "Q4_1",
        8 => "Q5_0",
        9 => "Q5_1",
        10 => "Q2_K",
        11 => "Q3_K_S",
        12 => "Q3_K_M",
        13 => "Q3_K_L",
        14 => "Q4_K_S",
        15 => "Q4_K_M",
        16 => "Q5_K_S",
        17 => "Q5_K_M",
        18 => "Q6_K",
        19 => "IQ2_XXS",
        20 => "IQ2_XS",
        21 => "Q2_K_S",
        22 => "IQ3_XS",
        23 => "IQ3_XXS",
        24 => "IQ1_S",
        25 => "IQ4_NL",
        26 => "IQ3_S",
        27 => "IQ3_M",
        28 => "IQ2_S",
        29 => "IQ2_M",
        30 => "IQ4_XS",
        31 => "IQ1_M",
        32 => "BF16",
        38 => "MXFP4_MOE",
        _ => return None,
    };
    Some(name)
}

/// The GGUF ftype the model files name (a projector file's is its own),
/// as a vramfit weight format id (`q4_k_m`).
pub fn gguf_format(files: &[(String, GgufHeader)]) -> Option<String> {
    files
        .iter()
        .filter(|(_, h)| !is_mmproj(h))
        .find_map(|(_, h)| file_format(h))
}

fn file_format(header: &GgufHeader) -> Option<String> {
    let name = ftype_name(header.get("general.file_type")?.as_u64()?)?;
    GgufFtype::ALL
        .iter()
        .find(|f| f.name() == name)
        .map(|f| crate::estimate::WeightFormat::Gguf { ftype: *f }.id())
}

/// An import document for one GGUF model — one file or all shards of a
/// split one — and at most one vision projector (`mmproj`) file, in any
/// order.
pub fn gguf_import(files: &[(String, GgufHeader)]) -> Result<String, ImportError> {
    let (projectors, models): (Vec<_>, Vec<_>) = files.iter().partition(|(_, h)| is_mmproj(h));
    if let [a, b, ..] = projectors.as_slice() {
        return Err(ImportError::TwoProjectors(a.0.clone(), b.0.clone()));
    }
    if let [first, rest @ ..] = models.as_slice() {
        if let Some(other) = rest
            .iter()
            .find(|f| split_of(&first.0).is_none() || split_of(&f.0) != split_of(&first.0))
        {
            return Err(ImportError::TwoModels(first.0.clone(), other.0.clone()));
        }
    }
    let (config, stored) = match (models.as_slice(), projectors.first()) {
        ([], Some((name, _))) => return Err(ImportError::ProjectorAlone(name.clone())),
        _ => model_part(&models)?,
    };
    let mmproj = match projectors.first() {
        Some((name, header)) => {
            let m = distill(name, header)?;
            if let Some(n_embd) = config.get("hidden_size").and_then(Value::as_u64) {
                read(&m, n_embd)?;
            }
            Some(m)
        }
        None => None,
    };
    document("gguf", config, &stored, mmproj.as_ref())
}

/// Adds a vision projector file to the import document of a GGUF model
/// (the app's second drop).
pub fn with_mmproj(document: &str, name: &str, header: &GgufHeader) -> Result<String, ImportError> {
    let imported = parse_config(document)?;
    let Some(stored) = imported.spec.stored.filter(|s| s.source == "gguf") else {
        return Err(ImportError::ProjectorAlone(name.into()));
    };
    let m = distill(name, header)?;
    read(&m, imported.spec.n_embd)?;
    let mut doc: Value =
        serde_json::from_str(document).map_err(|e| ConfigError::Json(e.to_string()))?;
    let config = doc["config"].take();
    let stored = Stored {
        mmproj: None,
        ..stored
    };
    self::document("gguf", config, &stored, Some(&m))
}

/// The vision projector an import document holds: its file, parameters
/// (encoder and projector) and bytes.
pub fn projector_of(document: &str) -> Option<(String, u64, u64)> {
    let spec = parse_config(document).ok()?.spec;
    let stored = spec.stored?.mmproj?;
    let (encoder, projector) = spec.vision?.params();
    Some((stored.file, encoder + projector, stored.bytes))
}

/// Most elements, and most bytes, of one model's tensors.
const MAX_TENSOR_TOTAL: u64 = 1 << 52;

/// The text model's config and stored bytes from its GGUF file(s).
fn model_part(files: &[&(String, GgufHeader)]) -> Result<(Value, Stored), ImportError> {
    let Some((first_name, _)) = files.first() else {
        return Err(ImportError::Metadata("a file".into()));
    };
    // Split files: every shard 1..=total present, metadata from shard 1.
    let mut ordered: Vec<&(String, GgufHeader)> = files.to_vec();
    if let Some((_, total)) = shard_of(first_name) {
        ordered.sort_by_key(|(name, _)| shard_of(name).map_or(0, |s| s.0));
        for missing in 1..=total {
            if !files
                .iter()
                .any(|(name, _)| shard_of(name).map(|s| s.0) == Some(missing))
            {
                let have = files
                    .iter()
                    .map(|(n, _)| n.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                return Err(ImportError::MissingShard {
                    missing,
                    total,
                    have,
                });
            }
        }
    }
    let meta = &ordered[0].1;
    let tensors: Vec<&super::gguf::TensorInfo> =
        ordered.iter().flat_map(|(_, h)| &h.tensors).collect();
    let find = |name: &str| tensors.iter().find(|t| t.name == name);
    let embd_rows = find("token_embd.weight").and_then(|t| t.dims.get(1).copied());
    let has = |name: &str| find(name).is_some();
    let (config, n_layer) = metadata_config(meta, embd_rows, &has)?;
    let key = |k: &str| {
        let arch = meta.get("general.architecture").and_then(Meta::as_str)?;
        meta.get(&format!("{arch}.{k}")).and_then(Meta::as_u64)
    };
    let mut tally = Tally::new(n_layer);
    let (mut params, mut expert_params, mut bytes) = (0u64, 0u64, 0u64);
    for t in &tensors {
        // Far above any real model (4 PB), and the sums below stay in u64.
        let numel = t.dims.iter().try_fold(1u64, |a, &d| a.checked_mul(d));
        bytes = bytes.saturating_add(t.bytes);
        params = numel.map_or(u64::MAX, |n| params.saturating_add(n));
        if params.max(bytes) > MAX_TENSOR_TOTAL {
            return Err(ImportError::TooLarge {
                key: "the tensors' total (elements or bytes)".into(),
                value: params.max(bytes),
                limit: MAX_TENSOR_TOTAL,
            });
        }
        let numel = numel.unwrap_or(0);
        let layer = t
            .name
            .strip_prefix("blk.")
            .and_then(|rest| rest.split('.').next())
            .and_then(|n| n.parse().ok());
        let global = match t.name.as_str() {
            "token_embd.weight" => Global::Embedding,
            "output.weight" | "output_norm.weight" => Global::Output,
            _ => Global::Other,
        };
        let expert = t.name.contains("_exps");
        if expert {
            expert_params += numel;
        }
        tally.add(layer, global, expert, t.ty.name(), t.bytes);
    }
    let used = key("expert_used_count").unwrap_or(0);
    let experts = key("expert_count").unwrap_or(0);
    let active = expert_params
        .checked_div(experts)
        .map_or(params, |per_expert| {
            params - expert_params + per_expert * used
        });
    let label = match file_format(meta) {
        Some(id) => format!("GGUF {} (from the file)", id.to_ascii_uppercase()),
        None => "GGUF (from the file)".into(),
    };
    let names = ordered.iter().map(|(n, _)| n.clone()).collect();
    let stored = tally.stored("gguf", names, label, params, active);
    Ok((config, stored))
}

/// The config a GGUF's metadata describes (llama.cpp's `{arch}.*` keys read
/// as `config.json` fields) and its layer count. `embd_rows` is the
/// vocabulary from `token_embd.weight` when the tensor list is known (else
/// the tokenizer's length is used); `has(name)` tells whether a tensor
/// exists. A GGUF file and a llama.cpp load log
/// ([`super::llama_log::model_document`]) both come through here.
pub(crate) fn metadata_config(
    meta: &GgufHeader,
    embd_rows: Option<u64>,
    has: &dyn Fn(&str) -> bool,
) -> Result<(Value, usize), ImportError> {
    let arch = meta
        .get("general.architecture")
        .and_then(Meta::as_str)
        .ok_or_else(|| ImportError::Metadata("general.architecture".into()))?
        .to_string();
    let key = |k: &str| meta.get(&format!("{arch}.{k}")).and_then(Meta::as_u64);
    let n_vocab = embd_rows
        .or_else(|| match meta.get("tokenizer.ggml.tokens") {
            Some(Meta::Array { len, .. }) => Some(*len),
            _ => None,
        })
        .ok_or_else(|| {
            ImportError::Metadata("token_embd.weight or tokenizer.ggml.tokens".into())
        })?;
    let mut config = Map::new();
    config.insert(
        "model_type".into(),
        json!(super::gguf_arch::model_type(&arch)),
    );
    config.insert("vocab_size".into(), json!(n_vocab));
    config.insert("tie_word_embeddings".into(), json!(!has("output.weight")));
    let fields: [(&str, &[&str]); 17] = [
        ("block_count", &["num_hidden_layers", "num_layers"]),
        ("embedding_length", &["hidden_size", "d_model"]),
        ("feed_forward_length", &["intermediate_size", "d_ff"]),
        (
            "attention.head_count",
            &["num_attention_heads", "num_heads"],
        ),
        ("attention.head_count_kv", &["num_key_value_heads"]),
        ("attention.key_length", &["head_dim", "d_kv"]),
        ("context_length", &["max_position_embeddings"]),
        ("attention.sliding_window", &["sliding_window"]),
        (
            "expert_count",
            &["num_local_experts", "num_experts", "n_routed_experts"],
        ),
        ("expert_used_count", &["num_experts_per_tok"]),
        ("expert_feed_forward_length", &["moe_intermediate_size"]),
        ("expert_shared_count", &["n_shared_experts"]),
        (
            "expert_shared_feed_forward_length",
            &["shared_expert_intermediate_size"],
        ),
        ("leading_dense_block_count", &["first_k_dense_replace"]),
        ("attention.kv_lora_rank", &["kv_lora_rank"]),
        ("attention.q_lora_rank", &["q_lora_rank"]),
        ("rope.dimension_count", &["qk_rope_head_dim"]),
    ];
    for (gguf_key, names) in fields {
        if let Some(v) = key(gguf_key) {
            for name in names {
                config.insert((*name).into(), json!(v));
            }
        }
    }
    // Bounded before anything is sized by it (per-layer arrays below).
    let n_layer = key("block_count")
        .ok_or_else(|| ImportError::Metadata(format!("{arch}.block_count")))?
        as usize;
    if n_layer > 4096 {
        return Err(ImportError::TooLarge {
            key: format!("{arch}.block_count"),
            value: n_layer as u64,
            limit: 4096,
        });
    }
    super::gguf_arch::hybrid_fields(&arch, meta, n_layer as u64, has, &mut config);
    if arch == "deepseek2" || arch == "deepseek32" {
        // MLA: llama.cpp stores the per-head K length (nope + rope) and V length.
        let rope = key("rope.dimension_count").unwrap_or(64);
        if let Some(k) = key("attention.key_length_mla").or(key("attention.key_length")) {
            config.insert("qk_nope_head_dim".into(), json!(k.saturating_sub(rope)));
        }
        if let Some(v) = key("attention.value_length_mla").or(key("attention.value_length")) {
            config.insert("v_head_dim".into(), json!(v));
        }
        config.remove("head_dim");
    }
    Ok((Value::Object(config), n_layer))
}

fn document(
    source: &str,
    config: Value,
    stored: &Stored,
    mmproj: Option<&Mmproj>,
) -> Result<String, ImportError> {
    let mut doc =
        json!({"vramfit_import": 1, "source": source, "config": config, "stored": stored});
    if let Some(m) = mmproj {
        doc["mmproj"] = serde_json::to_value(m).map_err(|e| ConfigError::Json(e.to_string()))?;
    }
    let text = doc.to_string();
    // Prove it reads back before handing it on.
    parse_config(&text)?;
    Ok(text)
}

/// An import document for safetensors files with their `config.json`.
pub fn safetensors_import(
    config_text: &str,
    files: &[(String, Header)],
) -> Result<String, ImportError> {
    let imported = parse_config(config_text)?;
    let spec = &imported.spec;
    let config: Value =
        serde_json::from_str(config_text).map_err(|e| ConfigError::Json(e.to_string()))?;
    let mut tally = Tally::new(spec.layers.len());
    let names = files
        .iter()
        .flat_map(|(_, h)| h.tensors.iter().map(|t| t.name.as_str()));
    let quantization = detect_quantization(names);
    for (_, header) in files {
        for t in &header.tensors {
            let n = &t.name;
            let global = if n.contains("embed_tokens")
                || n.contains("word_embeddings")
                || n.ends_with("wte.weight")
                || n == "shared.weight"
            {
                Global::Embedding
            } else if n.starts_with("lm_head") || n == "model.norm.weight" {
                Global::Output
            } else {
                Global::Other
            };
            let storage = match quantization {
                Some(q) if !matches!(t.dtype.as_str(), "BF16" | "F16" | "F32") => {
                    format!("{} {}", q, t.dtype)
                }
                _ => t.dtype.clone(),
            };
            tally.add(
                layer_of(n),
                global,
                n.contains(".experts."),
                &storage,
                t.bytes(),
            );
        }
    }
    let params = spec.params();
    let label = match quantization {
        Some(q) => format!("safetensors, {q} (from the files)"),
        None => {
            let main = tally
                .by_type
                .iter()
                .max_by_key(|(_, (_, b))| *b)
                .map_or("", |(k, _)| k.as_str());
            format!("safetensors {main} (from the files)")
        }
    };
    let names = files.iter().map(|(n, _)| n.clone()).collect();
    let stored = tally.stored("safetensors", names, label, params.total, params.active);
    document("safetensors", config, &stored, None)
}

/// Small, real-shaped model files written by vramfit itself: the tests'
/// inputs, the fuzzers' seed corpus and the e2e suite's dropped files
/// (`vramfit sample DIR` writes them).
pub mod samples {
    use super::*;
    use crate::estimate::weights::gguf_tensor_types;
    use crate::import::gguf::write::{gguf, Meta};

    /// The architecture of the samples (a 4-layer Llama).
    pub const CONFIG: &str = r#"{"model_type":"llama","hidden_size":256,"intermediate_size":512,"num_hidden_layers":4,"num_attention_heads":4,"num_key_value_heads":2,"vocab_size":1024,"max_position_embeddings":2048}"#;

    /// A Llama-shaped Q4_K_M GGUF: every tensor in the type llama-quantize
    /// gives it, with the metadata llama.cpp writes, data zeroed.
    pub fn gguf_q4_k_m() -> Vec<u8> {
        let spec = parse_config(CONFIG).expect("sample config").spec;
        let types = gguf_tensor_types(&spec, GgufFtype::Q4_K_M);
        let dims: Vec<Vec<u64>> = types
            .iter()
            .map(|(_, ne, _)| {
                if ne[1] == 1 && ne[2] == 1 {
                    vec![ne[0]]
                } else {
                    vec![ne[0], ne[1]]
                }
            })
            .collect();
        let tensors: Vec<(&str, &[u64], u32, u64)> = types
            .iter()
            .zip(&dims)
            .map(|((name, ne, ty), d)| {
                (
                    name.as_str(),
                    d.as_slice(),
                    ty.layout().0,
                    ty.bytes(ne[0], ne[1] * ne[2]).unwrap_or(0),
                )
            })
            .collect();
        gguf(
            &[
                ("general.architecture", Meta::Str("llama")),
                ("general.file_type", Meta::U32(15)),
                ("llama.block_count", Meta::U32(4)),
                ("llama.context_length", Meta::U32(2048)),
                ("llama.embedding_length", Meta::U32(256)),
                ("llama.feed_forward_length", Meta::U32(512)),
                ("llama.attention.head_count", Meta::U32(4)),
                ("llama.attention.head_count_kv", Meta::U32(2)),
                (
                    "tokenizer.ggml.tokens",
                    Meta::Strings(&["<s>", "</s>", "<unk>"]),
                ),
            ],
            &tensors,
        )
    }

    /// A vision projector for the sample model, as llama.cpp's converter
    /// writes LLaVA's (`projector_type` `mlp`): a 2-block CLIP ViT of the
    /// sample's width (patch 14, 224 px, a class embedding, pre-norm) and
    /// the 2-layer MLP projector; F16 matrices, F32 vectors, data zeroed.
    pub fn mmproj_f16() -> Vec<u8> {
        let (d, ff) = (256u64, 1024u64);
        let mut tensors: Vec<(String, Vec<u64>)> = vec![
            ("v.class_embd".into(), vec![d]),
            ("v.patch_embd.weight".into(), vec![14, 14, 3, d]),
            ("v.position_embd.weight".into(), vec![d, 16 * 16 + 1]),
            ("v.pre_ln.weight".into(), vec![d]),
            ("v.pre_ln.bias".into(), vec![d]),
        ];
        for i in 0..2 {
            for (part, ne0, ne1) in [
                ("attn_q", d, d),
                ("attn_k", d, d),
                ("attn_v", d, d),
                ("attn_out", d, d),
                ("ffn_up", d, ff),
                ("ffn_down", ff, d),
            ] {
                tensors.push((format!("v.blk.{i}.{part}.weight"), vec![ne0, ne1]));
                tensors.push((format!("v.blk.{i}.{part}.bias"), vec![ne1]));
            }
            for norm in ["ln1", "ln2"] {
                tensors.push((format!("v.blk.{i}.{norm}.weight"), vec![d]));
                tensors.push((format!("v.blk.{i}.{norm}.bias"), vec![d]));
            }
        }
        for layer in [0, 2] {
            tensors.push((format!("mm.{layer}.weight"), vec![d, d]));
            tensors.push((format!("mm.{layer}.bias"), vec![d]));
        }
        let typed: Vec<(&str, &[u64], u32, u64)> = tensors
            .iter()
            .map(|(name, dims)| {
                let numel: u64 = dims.iter().product();
                let (ty, size) = if dims.len() == 1 { (0, 4) } else { (1, 2) };
                (name.as_str(), dims.as_slice(), ty, numel * size)
            })
            .collect();
        gguf(
            &[
                ("general.architecture", Meta::Str("clip")),
                ("general.type", Meta::Str("mmproj")),
                ("general.file_type", Meta::U32(1)),
                ("clip.has_vision_encoder", Meta::Bool(true)),
                ("clip.projector_type", Meta::Str("mlp")),
                ("clip.vision.embedding_length", Meta::U32(256)),
                ("clip.vision.feed_forward_length", Meta::U32(1024)),
                ("clip.vision.block_count", Meta::U32(2)),
                ("clip.vision.attention.head_count", Meta::U32(4)),
                ("clip.vision.attention.layer_norm_epsilon", Meta::F32(1e-5)),
                ("clip.vision.patch_size", Meta::U32(14)),
                ("clip.vision.image_size", Meta::U32(224)),
                ("clip.vision.projection_dim", Meta::U32(256)),
            ],
            &typed,
        )
    }

    /// A BF16 safetensors checkpoint of the sample architecture.
    pub fn safetensors_bf16() -> Vec<u8> {
        let mut names: Vec<(String, Vec<u64>)> = vec![
            ("model.embed_tokens.weight".into(), vec![1024, 256]),
            ("model.norm.weight".into(), vec![256]),
            ("lm_head.weight".into(), vec![1024, 256]),
        ];
        for i in 0..4 {
            for (part, shape) in [
                ("self_attn.q_proj", vec![256, 256]),
                ("self_attn.k_proj", vec![128, 256]),
                ("self_attn.v_proj", vec![128, 256]),
                ("self_attn.o_proj", vec![256, 256]),
                ("mlp.gate_proj", vec![512, 256]),
                ("mlp.up_proj", vec![512, 256]),
                ("mlp.down_proj", vec![256, 512]),
                ("input_layernorm", vec![256]),
                ("post_attention_layernorm", vec![256]),
            ] {
                names.push((format!("model.layers.{i}.{part}.weight"), shape));
            }
        }
        let tensors: Vec<(&str, &str, &[u64])> = names
            .iter()
            .map(|(n, s)| (n.as_str(), "BF16", s.as_slice()))
            .collect();
        crate::import::safetensors::write(&tensors)
    }
}

#[cfg(test)]
mod tests {
    use super::samples::{gguf_q4_k_m as llama_q4_k_m, safetensors_bf16, CONFIG};
    use super::*;
    use crate::estimate::weights::weight_bytes;
    use crate::estimate::{estimate, RunSettings, WeightFormat};
    use crate::import::gguf::parse_gguf;
    use crate::import::safetensors::{parse_safetensors, write};

    #[test]
    fn a_synthetic_q4_k_m_gguf_gives_weight_bytes_equal_to_its_tensor_data() {
        let file = llama_q4_k_m();
        let header = parse_gguf(&file).unwrap();
        let doc = gguf_import(&[("tiny-Q4_K_M.gguf".into(), header.clone())]).unwrap();
        let imported = parse_config(&doc).unwrap();
        assert_eq!(
            gguf_format(&[("tiny-Q4_K_M.gguf".into(), header.clone())]).as_deref(),
            Some("q4_k_m")
        );
        let spec = &imported.spec;
        let e = estimate(spec, &RunSettings::default());
        assert_eq!(e.weights.file, header.tensor_bytes());
        // The same bytes vramfit's Q4_K_M rules predict for the config.
        let from_config = parse_config(CONFIG).unwrap().spec;
        assert_eq!(
            weight_bytes(
                &from_config,
                WeightFormat::Gguf {
                    ftype: GgufFtype::Q4_K_M
                }
            )
            .file,
            header.tensor_bytes()
        );
        assert_eq!(spec.params().total, from_config.params().total);
        assert_eq!(
            e.kv_total(),
            estimate(&from_config, &RunSettings::default()).kv_total()
        );
    }

    #[test]
    fn split_gguf_files_are_summed_and_a_missing_shard_is_named() {
        let file = llama_q4_k_m();
        let header = parse_gguf(&file).unwrap();
        let mut second = header.clone();
        second.metadata.clear();
        let blk3: Vec<_> = header
            .tensors
            .iter()
            .filter(|t| t.name.starts_with("blk.3."))
            .cloned()
            .collect();
        let mut first = header.clone();
        first.tensors.retain(|t| !t.name.starts_with("blk.3."));
        second.tensors = blk3;
        let whole = gguf_import(&[
            ("m-00002-of-00002.gguf".into(), second.clone()),
            ("m-00001-of-00002.gguf".into(), first.clone()),
        ])
        .unwrap();
        let spec = parse_config(&whole).unwrap().spec;
        assert_eq!(
            estimate(&spec, &RunSettings::default()).weights.file,
            header.tensor_bytes()
        );
        let missing = gguf_import(&[("m-00001-of-00002.gguf".into(), first)]).unwrap_err();
        assert_eq!(
            missing.to_string(),
            "split GGUF: shard 2 of 2 is missing (have m-00001-of-00002.gguf)"
        );
    }

    #[test]
    fn safetensors_checkpoints_count_bytes_per_layer() {
        let mut names: Vec<(String, &str, Vec<u64>)> = vec![
            ("model.embed_tokens.weight".into(), "BF16", vec![1024, 256]),
            ("model.norm.weight".into(), "BF16", vec![256]),
            ("lm_head.weight".into(), "BF16", vec![1024, 256]),
        ];
        for i in 0..4 {
            names.push((
                format!("model.layers.{i}.self_attn.q_proj.weight"),
                "BF16",
                vec![256, 256],
            ));
            names.push((
                format!("model.layers.{i}.mlp.down_proj.weight"),
                "BF16",
                vec![256, 512],
            ));
        }
        let tensors: Vec<(&str, &str, &[u64])> = names
            .iter()
            .map(|(n, d, s)| (n.as_str(), *d, s.as_slice()))
            .collect();
        let header = parse_safetensors(&write(&tensors)).unwrap();
        let doc =
            safetensors_import(CONFIG, &[("model.safetensors".into(), header.clone())]).unwrap();
        let spec = parse_config(&doc).unwrap().spec;
        let stored = spec.stored.as_ref().unwrap();
        assert_eq!(stored.layers, vec![(256 * 256 + 256 * 512) * 2; 4]);
        assert_eq!(stored.token_embd, 1024 * 256 * 2);
        assert_eq!(stored.label, "safetensors BF16 (from the files)");
        assert_eq!(
            estimate(&spec, &RunSettings::default()).weights.file,
            header.tensor_bytes()
        );
    }

    #[test]
    fn the_sample_safetensors_matches_the_bf16_rules() {
        let header = parse_safetensors(&safetensors_bf16()).unwrap();
        let doc =
            safetensors_import(CONFIG, &[("model.safetensors".into(), header.clone())]).unwrap();
        let spec = parse_config(&doc).unwrap().spec;
        let from_config = parse_config(CONFIG).unwrap().spec;
        assert_eq!(
            header.tensor_bytes(),
            weight_bytes(&from_config, WeightFormat::BF16).file
        );
        assert_eq!(
            estimate(&spec, &RunSettings::default()).weights.file,
            header.tensor_bytes()
        );
    }

    #[test]
    fn hostile_metadata_cannot_make_the_importer_allocate_without_bound() {
        use crate::import::gguf::write::{gguf, Meta};
        let file = gguf(
            &[
                ("general.architecture", Meta::Str("llama")),
                ("llama.block_count", Meta::U32(u32::MAX)),
            ],
            &[("token_embd.weight", &[32, 4], 0, 512)],
        );
        let header = parse_gguf(&file).unwrap();
        let err = gguf_import(&[("x.gguf".into(), header)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`llama.block_count` is 4294967295, more than 4096"
        );
    }

    #[test]
    fn a_huge_block_count_is_refused_before_per_layer_fields_are_built() {
        // Found by the gguf fuzz target: a scalar per-layer key was spread
        // over 822,083,588 layers before the count was checked.
        use crate::import::gguf::write::{gguf, Meta};
        let file = gguf(
            &[
                ("general.architecture", Meta::Str("llama")),
                ("llama.block_count", Meta::U32(822_083_588)),
                ("llama.attention.head_count_kv", Meta::U32(2)),
            ],
            &[("token_embd.weight", &[32, 4], 0, 512)],
        );
        let header = parse_gguf(&file).unwrap();
        let err = gguf_import(&[("x.gguf".into(), header)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`llama.block_count` is 822083588, more than 4096"
        );
    }

    #[test]
    fn tensor_totals_past_u64_are_an_error_not_an_overflow() {
        // Found by the gguf fuzz target: a Q4_0 tensor whose element count
        // (unlike its bytes) does not fit in u64.
        use crate::import::gguf::write::{gguf, Meta};
        let rows = u64::MAX / 18;
        let file = gguf(
            &[
                ("general.architecture", Meta::Str("llama")),
                ("llama.block_count", Meta::U32(1)),
            ],
            &[
                ("token_embd.weight", &[32, 4], 0, 512),
                ("blk.0.ffn_down.weight", &[32, rows], 2, 0),
            ],
        );
        let header = parse_gguf(&file).unwrap();
        let err = gguf_import(&[("x.gguf".into(), header)]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "`the tensors' total (elements or bytes)` is 18446744073709551615, more than 4503599627370496"
        );
    }

    #[test]
    fn shard_names_parse() {
        assert_eq!(
            shard_of("Llama-3.1-405B-Q4_K_M-00002-of-00006.gguf"),
            Some((2, 6))
        );
        assert_eq!(shard_of("model-00001-of-00002.safetensors"), Some((1, 2)));
        assert_eq!(shard_of("model.gguf"), None);
    }
}
