//! The model a log describes, through the same metadata → config path a
//! GGUF file's header takes.

use super::*;

/// The model a log describes.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogModel {
    /// A `config.json` text that [`parse_config`] reads: the fields a GGUF
    /// header with the same metadata would give. Logs list no tensor
    /// shapes, so there is no `stored` part: size the weights by `ftype`.
    pub document: String,
    /// llama.cpp's architecture name (`general.architecture`).
    pub arch: String,
    /// Where the model came from: `"metadata"` (the loader's kv lines) or
    /// `"hparams"` (`print_info` lines mapped onto GGUF keys).
    pub from: &'static str,
    /// The file's ftype (`general.file_type`, or the `file type` line).
    pub ftype: Option<GgufFtype>,
    /// GGUF keys the config would read that the log does not show (the
    /// reader's defaults stand in).
    pub missing: Vec<String>,
    pub warnings: Vec<String>,
}

/// `print_info` names → the GGUF keys (under `{arch}.`) they print.
pub(super) const HPARAM_KEYS: &[(&str, &str)] = &[
    ("n_ctx_train", "context_length"),
    ("n_embd", "embedding_length"),
    ("n_layer", "block_count"),
    ("n_head", "attention.head_count"),
    ("n_head_kv", "attention.head_count_kv"),
    ("n_ff", "feed_forward_length"),
    ("n_embd_head_k", "attention.key_length"),
    ("n_embd_head_v", "attention.value_length"),
    ("n_expert", "expert_count"),
    ("n_expert_used", "expert_used_count"),
    ("n_expert_shared", "expert_shared_count"),
    ("n_ff_exp", "expert_feed_forward_length"),
    ("n_ff_shexp", "expert_shared_feed_forward_length"),
    ("n_layer_dense_lead", "leading_dense_block_count"),
    ("n_lora_q", "attention.q_lora_rank"),
    ("n_lora_kv", "attention.kv_lora_rank"),
    ("n_rot", "rope.dimension_count"),
    ("n_embd_head_k_mla", "attention.key_length_mla"),
    ("n_embd_head_v_mla", "attention.value_length_mla"),
    ("ssm_d_conv", "ssm.conv_kernel"),
    ("ssm_d_inner", "ssm.inner_size"),
    ("ssm_d_state", "ssm.state_size"),
    ("ssm_dt_rank", "ssm.time_step_rank"),
    ("ssm_n_group", "ssm.group_count"),
    ("n_swa", "attention.sliding_window"),
    ("n_chunk", "attention.chunk_size"),
    ("n_moe_layer_step", "interleave_moe_layer_step"),
];

/// The keys every architecture's config needs.
pub(super) const NEEDED: &[&str] = &[
    "block_count",
    "embedding_length",
    "feed_forward_length",
    "attention.head_count",
    "attention.head_count_kv",
];

/// The model as the log describes it, through the same metadata → config
/// path a GGUF file's header takes.
pub fn model_document(log: &LlamaLog) -> Result<LogModel, ImportError> {
    let (mut metadata, from) = if log
        .metadata
        .iter()
        .any(|(k, _)| k.ends_with(".block_count"))
    {
        (log.metadata.clone(), "metadata")
    } else {
        (hparams_metadata(log), "hparams")
    };
    // An excerpt that starts after `general.architecture` still names it
    // in every key (`llama.block_count`).
    if !metadata.iter().any(|(k, _)| k == "general.architecture") {
        let arch = metadata
            .iter()
            .find_map(|(k, _)| k.strip_suffix(".block_count"))
            .map(str::to_string);
        if let Some(arch) = arch {
            metadata.push(("general.architecture".into(), Value::Str(arch)));
        }
    }
    let header = GgufHeader {
        version: 3,
        metadata,
        tensors: Vec::new(),
        alignment: 32,
        header_bytes: 0,
        data_start: 0,
    };
    let arch = header
        .get("general.architecture")
        .and_then(Value::as_str)
        .ok_or_else(|| ImportError::Metadata("general.architecture (or print_info: arch)".into()))?
        .to_string();
    let mut missing: Vec<String> = NEEDED
        .iter()
        .map(|k| format!("{arch}.{k}"))
        .filter(|k| header.get(k).is_none())
        .collect();
    if header.get("tokenizer.ggml.tokens").is_none() {
        missing.push("tokenizer.ggml.tokens".into());
    }
    // Logs list no tensors: whether `output.weight` exists is unknown, so
    // the reader's default for tied embeddings stands unless the logged
    // parameter count tells.
    let (config, _) = crate::import::file::metadata_config(&header, None, &|_| false)?;
    let mut config = config;
    let mut warnings = Vec::new();
    if let Some(map) = config.as_object_mut() {
        map.remove("tie_word_embeddings");
    }
    let logged_params = log.hparam("model params").and_then(params_count);
    if let Some(logged) = logged_params {
        let count = |tied: bool| {
            let mut c = config.clone();
            if let Some(map) = c.as_object_mut() {
                map.insert("tie_word_embeddings".into(), json!(tied));
            }
            parse_config(&c.to_string())
                .ok()
                .map(|i| i.spec.params().total)
        };
        if let (Some(untied), Some(tied)) = (count(false), count(true)) {
            let tie = logged.abs_diff(tied) < logged.abs_diff(untied);
            if let Some(map) = config.as_object_mut() {
                map.insert("tie_word_embeddings".into(), json!(tie));
            }
        }
    } else {
        warnings.push(
            "the log shows no parameter count: tied embeddings are the architecture's default"
                .into(),
        );
    }
    let document = config.to_string();
    let imported = parse_config(&document)?;
    warnings.extend(imported.warnings);
    let ftype = header
        .get("general.file_type")
        .and_then(Value::as_u64)
        .and_then(ftype_of_id)
        .or_else(|| {
            log.hparam("file type")
                .or_else(|| log.hparam("model ftype"))
                .and_then(ftype_of_name)
        });
    Ok(LogModel {
        document,
        arch,
        from,
        ftype,
        missing,
        warnings,
    })
}

/// `8.03 B` / `494.03 M` / `7.24 K` → parameters.
pub(super) fn params_count(text: &str) -> Option<u64> {
    let mut w = text.split_whitespace();
    let n: f64 = w.next()?.parse().ok()?;
    let scale = match w.next()? {
        "T" => 1e12,
        "B" => 1e9,
        "M" => 1e6,
        "K" => 1e3,
        _ => return None,
    };
    let v = (n * scale).round();
    (v.is_finite() && (0.0..1e15).contains(&v)).then_some(v as u64)
}

/// The loader's metadata rebuilt from `print_info` lines.
pub(super) fn hparams_metadata(log: &LlamaLog) -> Vec<(String, Value)> {
    let mut meta: Vec<(String, Value)> = log.metadata.clone();
    let Some(arch) = log.hparam("arch").map(str::to_string) else {
        return meta;
    };
    let mut set = |k: String, v: Value| {
        if !meta.iter().any(|(key, _)| *key == k) {
            meta.push((k, v));
        }
    };
    set("general.architecture".into(), Value::Str(arch.clone()));
    let n_ctx_train = log
        .hparam("n_ctx_train")
        .and_then(|v| v.parse::<u64>().ok());
    for (name, key) in HPARAM_KEYS {
        let Some(text) = log.hparam(name) else {
            continue;
        };
        let Some(v) = hparam_value(text) else {
            continue;
        };
        // `n_swa` is printed for every model; 0 (or the whole context)
        // means no window.
        if *name == "n_swa" && (v.as_u64() == Some(0) || v.as_u64() == n_ctx_train) {
            continue;
        }
        set(format!("{arch}.{key}"), v);
    }
    if let Some(n) = log.hparam("n_vocab").and_then(|v| v.parse::<u64>().ok()) {
        set(
            "tokenizer.ggml.tokens".into(),
            Value::Array {
                len: n,
                items: Vec::new(),
            },
        );
    }
    meta
}

/// `32`, or a per-layer list `[8, 8, 0, …]` printed in full.
pub(super) fn hparam_value(text: &str) -> Option<Value> {
    if let Some(inner) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
        let items: Option<Vec<Value>> = inner
            .split(',')
            .take(4096)
            .map(|x| x.trim().parse().ok().map(Value::Uint))
            .collect();
        let items = items?;
        return Some(Value::Array {
            len: items.len() as u64,
            items,
        });
    }
    text.parse().ok().map(Value::Uint)
}

/// `general.file_type` ids (llama.cpp's `llama_ftype`).
pub(super) fn ftype_of_id(id: u64) -> Option<GgufFtype> {
    use GgufFtype as F;
    Some(match id {
        0 => F::F32,
        1 => F::F16,
        2 => F::Q4_0,
        3 => F::Q4_1,
        7 => F::Q8_0,
        8 => F::Q5_0,
        9 => F::Q5_1,
        10 => F::Q2_K,
        11 => F::Q3_K_S,
        12 => F::Q3_K_M,
        13 => F::Q3_K_L,
        14 => F::Q4_K_S,
        15 => F::Q4_K_M,
        16 => F::Q5_K_S,
        17 => F::Q5_K_M,
        18 => F::Q6_K,
        19 => F::IQ2_XXS,
        20 => F::IQ2_XS,
        21 => F::Q2_K_S,
        22 => F::IQ3_XS,
        23 => F::IQ3_XXS,
        24 => F::IQ1_S,
        25 => F::IQ4_NL,
        26 => F::IQ3_S,
        27 => F::IQ3_M,
        28 => F::IQ2_S,
        29 => F::IQ2_M,
        30 => F::IQ4_XS,
        31 => F::IQ1_M,
        32 => F::BF16,
        38 => F::MXFP4_MOE,
        _ => return None,
    })
}

/// `llama_model_ftype_name`'s words: `Q4_K - Medium`, `all F32`,
/// `IQ2_XXS - 2.0625 bpw`, `MXFP4 MoE`.
pub fn ftype_of_name(text: &str) -> Option<GgufFtype> {
    use GgufFtype as F;
    let t = text.trim().trim_start_matches("all ");
    let (base, detail) = match t.split_once(" - ") {
        Some((b, d)) => (b.trim(), d.trim()),
        None => (t.split_whitespace().next().unwrap_or(t), ""),
    };
    let size = detail.split_whitespace().next().unwrap_or("");
    let name = match (base, size) {
        ("Q4_K", "Small") => "Q4_K_S",
        ("Q4_K", _) => "Q4_K_M",
        ("Q5_K", "Small") => "Q5_K_S",
        ("Q5_K", _) => "Q5_K_M",
        ("Q3_K", "Small") => "Q3_K_S",
        ("Q3_K", "Large") => "Q3_K_L",
        ("Q3_K", _) => "Q3_K_M",
        ("Q2_K", "Small") => "Q2_K_S",
        ("Q2_K", _) => "Q2_K",
        ("Q6_K", _) => "Q6_K",
        ("MXFP4", _) => "MXFP4_MOE",
        ("IQ3_S", "3.66") => "IQ3_M",
        ("IQ1_S" | "IQ1_M" | "IQ2_XXS" | "IQ2_XS" | "IQ2_S" | "IQ2_M", _) => base,
        ("IQ3_XXS" | "IQ3_XS" | "IQ3_S" | "IQ3_M" | "IQ4_XS" | "IQ4_NL", _) => base,
        (other, _) => other,
    };
    F::ALL.iter().copied().find(|f| f.name() == name)
}
