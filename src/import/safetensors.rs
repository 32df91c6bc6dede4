//! safetensors headers and `model.safetensors.index.json`.
//!
//! A file is an 8-byte little-endian header length `N`, `N` bytes of JSON
//! (`{"__metadata__": {…}, "name": {"dtype", "shape", "data_offsets"}, …}`)
//! and the tensor data. Only the header is read.
//!
//! Hand-written rather than the `safetensors` crate: its default features
//! pull in `tempfile` (not for the browser) and its no-std build does not
//! expose header parsing; what is needed here is ~100 lines over
//! serde_json with vramfit's own limits and error messages.
//! Limits: header ≤ 100 MB (as the format's reference reader), ≤ 1M
//! tensors, ≤ 8 dimensions, shape products in checked arithmetic.

use std::collections::BTreeMap;

use serde_json::Value;
use thiserror::Error;

/// Largest header accepted.
pub const MAX_HEADER: u64 = 100_000_000;
/// Most tensors in one header.
pub const MAX_TENSORS: usize = 1 << 20;

/// Why a safetensors header or index could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SafetensorsError {
    #[error("the file ends at byte {have}; the header needs {need} bytes")]
    NeedMore { need: u64, have: u64 },
    #[error(
        "the header claims {0} bytes, over the {MAX_HEADER}-byte limit: not a safetensors file?"
    )]
    HeaderTooLarge(u64),
    #[error("the header is not valid JSON: {0}")]
    Json(String),
    #[error("tensor `{tensor}`: {why}")]
    Tensor { tensor: String, why: String },
    #[error("{0} tensors, over the limit of {MAX_TENSORS}")]
    TooMany(usize),
    #[error("index: {0}")]
    Index(String),
}

impl SafetensorsError {
    /// For a prefix that ends inside the header: how many bytes to read.
    pub fn need_more(&self) -> Option<u64> {
        match self {
            SafetensorsError::NeedMore { need, .. } => Some(*need),
            _ => None,
        }
    }
}

/// Bytes per element of a safetensors dtype.
pub fn dtype_bytes(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "BOOL" | "U8" | "I8" | "F8_E4M3" | "F8_E5M2" | "F8_E8M0" => 1,
        "U16" | "I16" | "F16" | "BF16" => 2,
        "U32" | "I32" | "F32" => 4,
        "U64" | "I64" | "F64" => 8,
        _ => return None,
    })
}

/// One tensor's entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub dtype: String,
    pub shape: Vec<u64>,
    /// Byte range in the data section.
    pub begin: u64,
    pub end: u64,
}

impl Entry {
    pub fn bytes(&self) -> u64 {
        self.end - self.begin
    }
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub metadata: BTreeMap<String, String>,
    /// Tensors in data order.
    pub tensors: Vec<Entry>,
    /// 8 + the JSON header's length: where the data starts.
    pub data_start: u64,
}

impl Header {
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(Entry::bytes).sum()
    }
}

/// Parses the header from a prefix of the file.
pub fn parse_safetensors(prefix: &[u8]) -> Result<Header, SafetensorsError> {
    let have = prefix.len() as u64;
    let Some(len) = prefix.get(..8) else {
        return Err(SafetensorsError::NeedMore { need: 8, have });
    };
    let n = u64::from_le_bytes(len.try_into().expect("8 bytes"));
    if n > MAX_HEADER {
        return Err(SafetensorsError::HeaderTooLarge(n));
    }
    let need = 8 + n;
    let Some(json) = prefix.get(8..need as usize) else {
        return Err(SafetensorsError::NeedMore { need, have });
    };
    let value: Value =
        serde_json::from_slice(json).map_err(|e| SafetensorsError::Json(e.to_string()))?;
    let Value::Object(fields) = value else {
        return Err(SafetensorsError::Json(
            "the header must be a JSON object".into(),
        ));
    };
    if fields.len() > MAX_TENSORS {
        return Err(SafetensorsError::TooMany(fields.len()));
    }
    let mut metadata = BTreeMap::new();
    let mut tensors = Vec::with_capacity(fields.len());
    for (name, info) in fields {
        if name == "__metadata__" {
            if let Value::Object(m) = info {
                for (k, v) in m {
                    metadata.insert(k, v.as_str().map_or_else(|| v.to_string(), str::to_string));
                }
            }
            continue;
        }
        let bad = |why: String| SafetensorsError::Tensor {
            tensor: name.clone(),
            why,
        };
        let dtype = info["dtype"]
            .as_str()
            .ok_or_else(|| bad("has no dtype".into()))?
            .to_string();
        let size = dtype_bytes(&dtype).ok_or_else(|| bad(format!("has unknown dtype {dtype}")))?;
        let shape: Vec<u64> = info["shape"]
            .as_array()
            .filter(|s| s.len() <= 8)
            .ok_or_else(|| bad("needs a shape of at most 8 dimensions".into()))?
            .iter()
            .map(|d| {
                d.as_u64()
                    .ok_or_else(|| bad(format!("has a bad dimension {d}")))
            })
            .collect::<Result<_, _>>()?;
        let offsets = info["data_offsets"].as_array().filter(|o| o.len() == 2);
        let (begin, end) = match offsets.map(|o| (o[0].as_u64(), o[1].as_u64())) {
            Some((Some(b), Some(e))) if b <= e => (b, e),
            _ => {
                return Err(bad(
                    "needs data_offsets [begin, end] with begin ≤ end".into()
                ))
            }
        };
        let expected = shape
            .iter()
            .try_fold(size, |acc, &d| acc.checked_mul(d))
            .ok_or_else(|| bad(format!("shape {shape:?} overflows")))?;
        if end - begin != expected {
            return Err(bad(format!(
                "holds {} bytes but {dtype} {shape:?} needs {expected}",
                end - begin
            )));
        }
        tensors.push(Entry {
            name,
            dtype,
            shape,
            begin,
            end,
        });
    }
    tensors.sort_by_key(|t| (t.begin, t.end));
    for pair in tensors.windows(2) {
        if pair[1].begin < pair[0].end {
            return Err(SafetensorsError::Tensor {
                tensor: pair[1].name.clone(),
                why: format!("overlaps `{}`", pair[0].name),
            });
        }
    }
    Ok(Header {
        metadata,
        tensors,
        data_start: need,
    })
}

/// Checks that every tensor ends inside a file of `file_len` bytes.
pub fn check_offsets(header: &Header, file_len: u64) -> Result<(), SafetensorsError> {
    match header.tensors.last() {
        Some(t) if header.data_start + t.end > file_len => Err(SafetensorsError::Tensor {
            tensor: t.name.clone(),
            why: format!(
                "ends at byte {} of a {file_len}-byte file",
                header.data_start + t.end
            ),
        }),
        _ => Ok(()),
    }
}

/// `model.safetensors.index.json`: which shard holds each tensor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    pub total_size: Option<u64>,
    pub weight_map: BTreeMap<String, String>,
}

impl Index {
    /// The shard files, each once, in order.
    pub fn files(&self) -> Vec<&str> {
        let mut files: Vec<&str> = self.weight_map.values().map(String::as_str).collect();
        files.sort_unstable();
        files.dedup();
        files
    }
}

/// Parses an index file.
pub fn parse_index(text: &str) -> Result<Index, SafetensorsError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| SafetensorsError::Json(e.to_string()))?;
    let map = value["weight_map"]
        .as_object()
        .ok_or_else(|| SafetensorsError::Index("no `weight_map` object".into()))?;
    if map.len() > MAX_TENSORS {
        return Err(SafetensorsError::TooMany(map.len()));
    }
    let weight_map = map
        .iter()
        .map(|(k, v)| {
            v.as_str()
                .map(|f| (k.clone(), f.to_string()))
                .ok_or_else(|| {
                    SafetensorsError::Index(format!("`{k}` maps to {v}, not a file name"))
                })
        })
        .collect::<Result<_, _>>()?;
    Ok(Index {
        total_size: value["metadata"]["total_size"].as_u64(),
        weight_map,
    })
}

/// The layer a Hugging Face tensor name belongs to (`model.layers.12.…`,
/// `transformer.h.3.…`, `encoder.block.0.…`, `encoder.layer.5.…`).
pub fn layer_of(name: &str) -> Option<usize> {
    let parts: Vec<&str> = name.split('.').collect();
    parts.windows(2).find_map(|w| match w[0] {
        "layers" | "h" | "block" | "layer" | "blocks" => w[1].parse().ok(),
        _ => None,
    })
}

/// What quantization a checkpoint's tensor names reveal.
pub fn detect_quantization<'a>(names: impl IntoIterator<Item = &'a str>) -> Option<&'static str> {
    let mut found = None;
    for name in names {
        let kind = if name.ends_with(".qweight")
            || name.ends_with(".qzeros")
            || name.ends_with(".g_idx")
        {
            "gptq/awq"
        } else if name.ends_with("_blocks") || name.ends_with("_scales") {
            "mxfp4"
        } else if name.ends_with(".weight_scale") || name.ends_with(".weight_scale_inv") {
            "fp8"
        } else if name.ends_with(".absmax")
            || name.ends_with(".quant_map")
            || name.contains("quant_state")
            || name.ends_with(".SCB")
        {
            "bitsandbytes"
        } else {
            continue;
        };
        found = Some(kind);
        if kind != "gptq/awq" {
            break;
        }
    }
    found
}

/// Writes a safetensors file with zeroed data — for tests and fuzz seeds.
pub fn write(tensors: &[(&str, &str, &[u64])]) -> Vec<u8> {
    let mut header = serde_json::Map::new();
    header.insert("__metadata__".into(), serde_json::json!({"format": "pt"}));
    let mut offset = 0u64;
    for (name, dtype, shape) in tensors {
        let bytes = shape.iter().product::<u64>() * dtype_bytes(dtype).unwrap_or(1);
        header.insert(name.to_string(), serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + bytes]}));
        offset += bytes;
    }
    let json = Value::Object(header).to_string();
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json.as_bytes());
    out.resize(out.len() + offset as usize, 0);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn llama_like() -> Vec<u8> {
        write(&[
            ("model.embed_tokens.weight", "BF16", &[32, 16]),
            ("model.layers.0.self_attn.q_proj.weight", "BF16", &[16, 16]),
            ("model.layers.0.input_layernorm.weight", "BF16", &[16]),
            ("model.layers.1.mlp.down_proj.weight", "BF16", &[16, 40]),
            ("lm_head.weight", "BF16", &[32, 16]),
        ])
    }

    #[test]
    fn a_written_file_reads_back_with_its_bytes_and_layers() {
        let file = llama_like();
        let h = parse_safetensors(&file).unwrap();
        assert_eq!(h.tensor_bytes(), (512 + 256 + 16 + 640 + 512) * 2);
        assert_eq!(h.metadata["format"], "pt");
        check_offsets(&h, file.len() as u64).unwrap();
        assert!(check_offsets(&h, file.len() as u64 - 1).is_err());
        let layers: Vec<Option<usize>> = h.tensors.iter().map(|t| layer_of(&t.name)).collect();
        assert_eq!(layers, [None, Some(0), Some(0), Some(1), None]);
    }

    #[test]
    fn every_prefix_is_safe_and_short_ones_ask_for_more() {
        let file = llama_like();
        let need = parse_safetensors(&file).unwrap().data_start as usize;
        for cut in 0..need {
            assert!(
                matches!(
                    parse_safetensors(&file[..cut]),
                    Err(SafetensorsError::NeedMore { .. })
                ),
                "{cut}"
            );
        }
    }

    #[test]
    fn hostile_headers_are_errors() {
        let mut huge = u64::MAX.to_le_bytes().to_vec();
        huge.extend(b"{}");
        assert_eq!(
            parse_safetensors(&huge).unwrap_err(),
            SafetensorsError::HeaderTooLarge(u64::MAX)
        );
        let lie = |json: &str| {
            let mut f = (json.len() as u64).to_le_bytes().to_vec();
            f.extend(json.as_bytes());
            parse_safetensors(&f).unwrap_err().to_string()
        };
        assert_eq!(
            lie("[]"),
            "the header is not valid JSON: the header must be a JSON object"
        );
        assert_eq!(
            lie(r#"{"w":{"dtype":"F16","shape":[4],"data_offsets":[0,4]}}"#),
            "tensor `w`: holds 4 bytes but F16 [4] needs 8"
        );
        assert_eq!(
            lie(
                r#"{"w":{"dtype":"F16","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,4]}}"#
            ),
            "tensor `w`: shape [4294967296, 4294967296, 4294967296] overflows"
        );
        assert_eq!(
            lie(r#"{"w":{"dtype":"Q4","shape":[4],"data_offsets":[0,2]}}"#),
            "tensor `w`: has unknown dtype Q4"
        );
        assert!(lie(r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#)
            .contains("overlaps"));
    }

    #[test]
    fn indexes_list_their_shards_and_quantization_shows_in_names() {
        let index = parse_index(
            r#"{"metadata":{"total_size":100},"weight_map":{"a":"model-00002-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}"#,
        )
        .unwrap();
        assert_eq!(index.total_size, Some(100));
        assert_eq!(
            index.files(),
            [
                "model-00001-of-00002.safetensors",
                "model-00002-of-00002.safetensors"
            ]
        );
        assert!(parse_index(r#"{"weight_map":{"a":1}}"#).is_err());
        assert_eq!(
            detect_quantization(["model.layers.0.self_attn.q_proj.qweight"]),
            Some("gptq/awq")
        );
        assert_eq!(
            detect_quantization(["model.layers.0.mlp.experts.gate_up_proj_blocks"]),
            Some("mxfp4")
        );
        assert_eq!(
            detect_quantization(["model.layers.0.mlp.up_proj.weight_scale_inv"]),
            Some("fp8")
        );
        assert_eq!(
            detect_quantization(["model.layers.0.mlp.up_proj.weight"]),
            None
        );
    }
}
