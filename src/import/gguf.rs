//! GGUF headers (versions 2 and 3): magic, version, counts, metadata
//! key/values of every type (nested arrays included), tensor infos and the
//! alignment — read from a prefix of the file, never the tensor data.
//!
//! Layout (ggml `docs/gguf.md`): `"GGUF"`, `u32` version, `u64` tensor
//! count, `u64` metadata count; each metadata entry a string key, a `u32`
//! value type and the value; each tensor a string name, `u32` dimension
//! count, `u64` dimensions, `u32` ggml type and `u64` offset into the data
//! section, which starts at the next multiple of `general.alignment`
//! (default 32). Strings are a `u64` length and UTF-8 bytes; everything is
//! little-endian.
//!
//! Hostile input never crashes, hangs or allocates without bound: see
//! [`LIMITS`]. A prefix that ends inside the header is
//! [`GgufError::NeedMore`], telling a reader how many bytes to fetch.

use thiserror::Error;

use crate::estimate::GgmlType;

/// The bounds a header must stay within.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes of header read at most (the tokenizer of a large vocabulary
    /// takes a few MB; 256 MiB is far beyond any real file).
    pub header_bytes: u64,
    pub tensors: u64,
    pub metadata: u64,
    /// Bytes of one string (chat templates are a few KB).
    pub string_bytes: u64,
    /// Elements of one array (vocabularies are ~256k).
    pub array_len: u64,
    /// Array nesting depth.
    pub depth: u32,
    pub dims: u32,
}

/// vramfit's limits for GGUF headers.
pub const LIMITS: Limits = Limits {
    header_bytes: 256 << 20,
    tensors: 1 << 20,
    metadata: 1 << 16,
    string_bytes: 16 << 20,
    array_len: 1 << 24,
    depth: 4,
    dims: 4,
};

/// Why a GGUF header could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GgufError {
    #[error("the file ends at byte {have}; the header needs at least {need} bytes")]
    NeedMore { need: u64, have: u64 },
    #[error("not a GGUF file: it starts with {0:?}, not \"GGUF\"")]
    BadMagic([u8; 4]),
    #[error("GGUF version {0} is not supported (versions 2 and 3 are)")]
    Version(u32),
    #[error("{what} is {value}, over the limit of {limit}")]
    Limit {
        what: &'static str,
        value: u64,
        limit: u64,
    },
    #[error("metadata `{key}` has unknown value type {ty} at byte {at}")]
    ValueType { key: String, ty: u32, at: u64 },
    #[error("a string at byte {at} is not UTF-8")]
    Utf8 { at: u64 },
    #[error("tensor `{tensor}` has unknown ggml type {id}")]
    TensorType { tensor: String, id: u32 },
    #[error("tensor `{tensor}`: {why}")]
    Tensor { tensor: String, why: String },
}

impl GgufError {
    /// For a prefix that ends inside the header: how many bytes to read.
    pub fn need_more(&self) -> Option<u64> {
        match self {
            GgufError::NeedMore { need, .. } => Some(*need),
            _ => None,
        }
    }
}

/// A metadata value. Long arrays keep their length and first elements.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Uint(u64),
    Int(i64),
    Float(f64),
    Bool(bool),
    Str(String),
    Array { len: u64, items: Vec<Value> },
}

impl Value {
    pub fn as_u64(&self) -> Option<u64> {
        match *self {
            Value::Uint(n) => Some(n),
            Value::Int(n) => u64::try_from(n).ok(),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }
}

/// `Err(Limit)` when `value` is over `limit`.
fn within(what: &'static str, value: u64, limit: u64) -> Result<(), GgufError> {
    if value > limit {
        return Err(GgufError::Limit { what, value, limit });
    }
    Ok(())
}

/// Array elements kept per array (vocabularies are summarised by length).
const KEPT_ITEMS: u64 = 64;

/// One tensor's description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TensorInfo {
    pub name: String,
    /// ggml order: `dims[0]` is the row length.
    pub dims: Vec<u64>,
    pub ty: GgmlType,
    /// Offset into the data section.
    pub offset: u64,
    /// Bytes of the tensor's data.
    pub bytes: u64,
}

/// A parsed header.
#[derive(Debug, Clone, PartialEq)]
pub struct GgufHeader {
    pub version: u32,
    pub metadata: Vec<(String, Value)>,
    pub tensors: Vec<TensorInfo>,
    pub alignment: u64,
    /// Bytes of header actually read.
    pub header_bytes: u64,
    /// Where the data section starts (the header's size, padded).
    pub data_start: u64,
}

impl GgufHeader {
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.metadata.iter().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    /// Bytes of all tensor data.
    pub fn tensor_bytes(&self) -> u64 {
        self.tensors.iter().map(|t| t.bytes).sum()
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: u64) -> Result<&[u8], GgufError> {
        let end = (self.pos as u64)
            .checked_add(n)
            .filter(|&e| e <= LIMITS.header_bytes)
            .ok_or(GgufError::Limit {
                what: "the header",
                value: self.pos as u64 + n,
                limit: LIMITS.header_bytes,
            })?;
        if end > self.bytes.len() as u64 {
            return Err(GgufError::NeedMore {
                need: end,
                have: self.bytes.len() as u64,
            });
        }
        let slice = &self.bytes[self.pos..end as usize];
        self.pos = end as usize;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], GgufError> {
        let mut out = [0; N];
        out.copy_from_slice(self.take(N as u64)?);
        Ok(out)
    }

    fn u32(&mut self) -> Result<u32, GgufError> {
        Ok(u32::from_le_bytes(self.array()?))
    }

    fn u64(&mut self) -> Result<u64, GgufError> {
        Ok(u64::from_le_bytes(self.array()?))
    }

    fn string(&mut self) -> Result<String, GgufError> {
        let len = self.u64()?;
        within("a string's length", len, LIMITS.string_bytes)?;
        let at = self.pos as u64;
        let bytes = self.take(len)?;
        String::from_utf8(bytes.to_vec()).map_err(|_| GgufError::Utf8 { at })
    }

    /// Skips a string without keeping it (vocabulary entries).
    fn skip_string(&mut self) -> Result<(), GgufError> {
        let len = self.u64()?;
        within("a string's length", len, LIMITS.string_bytes)?;
        self.take(len).map(|_| ())
    }

    fn value(&mut self, key: &str, ty: u32, depth: u32, keep: bool) -> Result<Value, GgufError> {
        let at = self.pos as u64;
        Ok(match ty {
            0 => Value::Uint(u64::from(self.array::<1>()?[0])),
            1 => Value::Int(i64::from(self.array::<1>()?[0] as i8)),
            2 => Value::Uint(u64::from(u16::from_le_bytes(self.array()?))),
            3 => Value::Int(i64::from(i16::from_le_bytes(self.array()?))),
            4 => Value::Uint(u64::from(self.u32()?)),
            5 => Value::Int(i64::from(i32::from_le_bytes(self.array()?))),
            6 => Value::Float(f64::from(f32::from_le_bytes(self.array()?))),
            7 => Value::Bool(self.array::<1>()?[0] != 0),
            8 if keep => Value::Str(self.string()?),
            8 => {
                self.skip_string()?;
                Value::Str(String::new())
            }
            9 => {
                if depth >= LIMITS.depth {
                    return Err(GgufError::Limit {
                        what: "array nesting",
                        value: u64::from(depth + 1),
                        limit: u64::from(LIMITS.depth),
                    });
                }
                let item_ty = self.u32()?;
                let len = self.u64()?;
                within("an array's length", len, LIMITS.array_len)?;
                let mut items = Vec::new();
                for i in 0..len {
                    let keep_item = keep && i < KEPT_ITEMS;
                    let item = self.value(key, item_ty, depth + 1, keep_item)?;
                    if keep_item {
                        items.push(item);
                    }
                }
                Value::Array { len, items }
            }
            10 => Value::Uint(self.u64()?),
            11 => Value::Int(i64::from_le_bytes(self.array()?)),
            12 => Value::Float(f64::from_le_bytes(self.array()?)),
            ty => {
                return Err(GgufError::ValueType {
                    key: key.to_string(),
                    ty,
                    at,
                })
            }
        })
    }
}

/// Parses a GGUF header from the start of a file.
pub fn parse_gguf(prefix: &[u8]) -> Result<GgufHeader, GgufError> {
    let mut r = Reader {
        bytes: prefix,
        pos: 0,
    };
    let magic: [u8; 4] = r.array()?;
    if &magic != b"GGUF" {
        return Err(GgufError::BadMagic(magic));
    }
    let version = r.u32()?;
    if !(2..=3).contains(&version) {
        return Err(GgufError::Version(version));
    }
    let n_tensors = r.u64()?;
    let n_metadata = r.u64()?;
    within("the tensor count", n_tensors, LIMITS.tensors)?;
    within("the metadata count", n_metadata, LIMITS.metadata)?;
    let mut metadata = Vec::new();
    for _ in 0..n_metadata {
        let key = r.string()?;
        let ty = r.u32()?;
        let value = r.value(&key, ty, 0, true)?;
        metadata.push((key, value));
    }
    let mut tensors = Vec::new();
    for _ in 0..n_tensors {
        let name = r.string()?;
        let n_dims = r.u32()?;
        if n_dims == 0 || n_dims > LIMITS.dims {
            return Err(GgufError::Tensor {
                tensor: name,
                why: format!("has {n_dims} dimensions (1 to 4 allowed)"),
            });
        }
        let mut dims = Vec::with_capacity(n_dims as usize);
        for _ in 0..n_dims {
            dims.push(r.u64()?);
        }
        let id = r.u32()?;
        let offset = r.u64()?;
        let ty = GgmlType::from_id(id).ok_or_else(|| GgufError::TensorType {
            tensor: name.clone(),
            id,
        })?;
        let overflow = || GgufError::Tensor {
            tensor: name.clone(),
            why: format!("shape {dims:?} overflows"),
        };
        let rows = dims[1..]
            .iter()
            .try_fold(1u64, |acc, &d| acc.checked_mul(d))
            .ok_or_else(overflow)?;
        let row_len = dims[0];
        if !row_len.is_multiple_of(ty.block_size()) {
            return Err(GgufError::Tensor {
                tensor: name,
                why: format!(
                    "rows of {row_len} are not whole {} blocks of {}",
                    ty.name(),
                    ty.block_size()
                ),
            });
        }
        let bytes = (row_len / ty.block_size())
            .checked_mul(ty.bytes_per_block())
            .and_then(|b| b.checked_mul(rows))
            .ok_or_else(overflow)?;
        tensors.push(TensorInfo {
            name,
            dims,
            ty,
            offset,
            bytes,
        });
    }
    let alignment = metadata
        .iter()
        .find(|(k, _)| k == "general.alignment")
        .and_then(|(_, v)| v.as_u64())
        .unwrap_or(32);
    if alignment == 0 || !alignment.is_power_of_two() {
        return Err(GgufError::Tensor {
            tensor: "general.alignment".into(),
            why: format!("{alignment} is not a power of two"),
        });
    }
    let data_start = (r.pos as u64).div_ceil(alignment) * alignment;
    Ok(GgufHeader {
        version,
        metadata,
        tensors,
        alignment,
        header_bytes: r.pos as u64,
        data_start,
    })
}

/// Checks tensor offsets against the file's size: each tensor must end
/// inside the file.
pub fn check_offsets(header: &GgufHeader, file_len: u64) -> Result<(), GgufError> {
    for t in &header.tensors {
        let end = header
            .data_start
            .checked_add(t.offset)
            .and_then(|s| s.checked_add(t.bytes));
        if end.is_none_or(|e| e > file_len) {
            return Err(GgufError::Tensor {
                tensor: t.name.clone(),
                why: format!(
                    "data at offset {} ({} bytes) runs past the end of the {file_len}-byte file",
                    t.offset, t.bytes
                ),
            });
        }
    }
    Ok(())
}

/// Writes a GGUF header (and zero tensor data) — for tests and fuzz seeds.
pub mod write {
    /// A metadata value to write.
    pub enum Meta<'a> {
        U32(u32),
        Str(&'a str),
        Strings(&'a [&'a str]),
        F32(f32),
        Bool(bool),
    }

    fn string(out: &mut Vec<u8>, s: &str) {
        out.extend((s.len() as u64).to_le_bytes());
        out.extend(s.as_bytes());
    }

    /// A GGUF v3 file: metadata, then tensors `(name, dims, ggml type id,
    /// data bytes)` laid out contiguously, with zeroed data.
    pub fn gguf(metadata: &[(&str, Meta)], tensors: &[(&str, &[u64], u32, u64)]) -> Vec<u8> {
        let mut out = b"GGUF".to_vec();
        out.extend(3u32.to_le_bytes());
        out.extend((tensors.len() as u64).to_le_bytes());
        out.extend((metadata.len() as u64).to_le_bytes());
        for (key, value) in metadata {
            string(&mut out, key);
            match value {
                Meta::U32(n) => {
                    out.extend(4u32.to_le_bytes());
                    out.extend(n.to_le_bytes());
                }
                Meta::F32(x) => {
                    out.extend(6u32.to_le_bytes());
                    out.extend(x.to_le_bytes());
                }
                Meta::Bool(b) => {
                    out.extend(7u32.to_le_bytes());
                    out.push(u8::from(*b));
                }
                Meta::Str(s) => {
                    out.extend(8u32.to_le_bytes());
                    string(&mut out, s);
                }
                Meta::Strings(items) => {
                    out.extend(9u32.to_le_bytes());
                    out.extend(8u32.to_le_bytes());
                    out.extend((items.len() as u64).to_le_bytes());
                    for s in *items {
                        string(&mut out, s);
                    }
                }
            }
        }
        let mut offset = 0u64;
        for (name, dims, ty, bytes) in tensors {
            string(&mut out, name);
            out.extend((dims.len() as u32).to_le_bytes());
            for d in *dims {
                out.extend(d.to_le_bytes());
            }
            out.extend(ty.to_le_bytes());
            out.extend(offset.to_le_bytes());
            offset += bytes.div_ceil(32) * 32;
        }
        out.resize(out.len().div_ceil(32) * 32 + offset as usize, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::write::{gguf, Meta};
    use super::*;

    fn tiny() -> Vec<u8> {
        gguf(
            &[
                ("general.architecture", Meta::Str("llama")),
                ("llama.block_count", Meta::U32(1)),
                ("llama.rope.freq_base", Meta::F32(10000.0)),
                (
                    "tokenizer.ggml.tokens",
                    Meta::Strings(&["<s>", "</s>", "a"]),
                ),
            ],
            &[
                ("token_embd.weight", &[256, 3], 12, 3 * 144),
                ("blk.0.attn_norm.weight", &[256], 0, 1024),
                ("blk.0.ffn_down.weight", &[512, 256], 14, 256 * 2 * 210),
            ],
        )
    }

    #[test]
    fn a_written_header_reads_back_with_exact_tensor_bytes() {
        let file = tiny();
        let h = parse_gguf(&file).unwrap();
        assert_eq!(h.version, 3);
        assert_eq!(
            h.get("general.architecture").and_then(Value::as_str),
            Some("llama")
        );
        assert_eq!(
            h.get("tokenizer.ggml.tokens"),
            Some(&Value::Array {
                len: 3,
                items: vec![
                    Value::Str("<s>".into()),
                    Value::Str("</s>".into()),
                    Value::Str("a".into())
                ]
            })
        );
        let bytes: Vec<u64> = h.tensors.iter().map(|t| t.bytes).collect();
        assert_eq!(bytes, [432, 1024, 107_520]);
        assert_eq!(h.data_start % 32, 0);
        check_offsets(&h, file.len() as u64).unwrap();
    }

    #[test]
    fn a_short_prefix_asks_for_more_and_every_prefix_is_safe() {
        let file = tiny();
        let h = parse_gguf(&file).unwrap();
        for cut in 0..h.header_bytes as usize {
            match parse_gguf(&file[..cut]) {
                Err(GgufError::NeedMore { need, have }) => {
                    assert!(need > have && have == cut as u64)
                }
                other => panic!("prefix of {cut} bytes: {other:?}"),
            }
        }
    }

    #[test]
    fn hostile_headers_are_errors_naming_what_and_where() {
        let mut bad = tiny();
        bad[0] = b'X';
        assert_eq!(parse_gguf(&bad).unwrap_err(), GgufError::BadMagic(*b"XGUF"));
        let mut v1 = tiny();
        v1[4] = 1;
        assert_eq!(parse_gguf(&v1).unwrap_err(), GgufError::Version(1));
        let huge = gguf(&[], &[("t", &[u64::MAX, u64::MAX], 0, 0)]);
        assert!(matches!(
            parse_gguf(&huge).unwrap_err(),
            GgufError::Tensor { .. }
        ));
        let unknown = gguf(&[], &[("t", &[32], 99, 0)]);
        assert_eq!(
            parse_gguf(&unknown).unwrap_err(),
            GgufError::TensorType {
                tensor: "t".into(),
                id: 99
            }
        );
        let mut many = b"GGUF".to_vec();
        many.extend(3u32.to_le_bytes());
        many.extend(u64::MAX.to_le_bytes());
        many.extend(0u64.to_le_bytes());
        assert!(matches!(
            parse_gguf(&many).unwrap_err(),
            GgufError::Limit {
                what: "the tensor count",
                ..
            }
        ));
        let file = tiny();
        let h = parse_gguf(&file).unwrap();
        assert!(check_offsets(&h, file.len() as u64 - 1).is_err());
    }
}
