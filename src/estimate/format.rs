//! Storage formats: ggml tensor types, whole-model weight formats, KV types.
//!
//! Bytes of a tensor row are `row_len / block_size × bytes_per_block` (ggml's
//! `ggml_row_size`); block sizes and bytes per block are ggml's own (see
//! `ggml/src/ggml.c` type traits, mirrored by gguf-py's `GGML_QUANT_SIZES`).

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

use super::model::Tensor;

/// A ggml tensor type with its block layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(non_camel_case_types)]
pub enum GgmlType {
    F32,
    F16,
    BF16,
    Q4_0,
    Q4_1,
    Q5_0,
    Q5_1,
    Q8_0,
    Q2_K,
    Q3_K,
    Q4_K,
    Q5_K,
    Q6_K,
    Q8_K,
    IQ2_XXS,
    IQ2_XS,
    IQ3_XXS,
    IQ4_NL,
    IQ4_XS,
    MXFP4,
}

impl GgmlType {
    pub const ALL: [GgmlType; 20] = [
        GgmlType::F32,
        GgmlType::F16,
        GgmlType::BF16,
        GgmlType::Q4_0,
        GgmlType::Q4_1,
        GgmlType::Q5_0,
        GgmlType::Q5_1,
        GgmlType::Q8_0,
        GgmlType::Q2_K,
        GgmlType::Q3_K,
        GgmlType::Q4_K,
        GgmlType::Q5_K,
        GgmlType::Q6_K,
        GgmlType::Q8_K,
        GgmlType::IQ2_XXS,
        GgmlType::IQ2_XS,
        GgmlType::IQ3_XXS,
        GgmlType::IQ4_NL,
        GgmlType::IQ4_XS,
        GgmlType::MXFP4,
    ];

    /// `(ggml type id, weights per block, bytes per block)`.
    pub const fn layout(self) -> (u32, u64, u64) {
        match self {
            GgmlType::F32 => (0, 1, 4),
            GgmlType::F16 => (1, 1, 2),
            GgmlType::BF16 => (30, 1, 2),
            GgmlType::Q4_0 => (2, 32, 18),
            GgmlType::Q4_1 => (3, 32, 20),
            GgmlType::Q5_0 => (6, 32, 22),
            GgmlType::Q5_1 => (7, 32, 24),
            GgmlType::Q8_0 => (8, 32, 34),
            GgmlType::Q2_K => (10, 256, 84),
            GgmlType::Q3_K => (11, 256, 110),
            GgmlType::Q4_K => (12, 256, 144),
            GgmlType::Q5_K => (13, 256, 176),
            GgmlType::Q6_K => (14, 256, 210),
            GgmlType::Q8_K => (15, 256, 292),
            GgmlType::IQ2_XXS => (16, 256, 66),
            GgmlType::IQ2_XS => (17, 256, 74),
            GgmlType::IQ3_XXS => (18, 256, 98),
            GgmlType::IQ4_NL => (20, 32, 18),
            GgmlType::IQ4_XS => (23, 256, 136),
            GgmlType::MXFP4 => (39, 32, 17),
        }
    }

    pub const fn block_size(self) -> u64 {
        self.layout().1
    }

    pub const fn bytes_per_block(self) -> u64 {
        self.layout().2
    }

    /// Bytes of `rows` rows of `row_len` elements; `None` when the row length
    /// is not a whole number of blocks (the type cannot store it).
    pub fn bytes(self, row_len: u64, rows: u64) -> Option<u64> {
        let (_, block, bytes) = self.layout();
        row_len
            .is_multiple_of(block)
            .then(|| row_len / block * bytes * rows)
    }

    pub fn name(self) -> &'static str {
        match self {
            GgmlType::F32 => "F32",
            GgmlType::F16 => "F16",
            GgmlType::BF16 => "BF16",
            GgmlType::Q4_0 => "Q4_0",
            GgmlType::Q4_1 => "Q4_1",
            GgmlType::Q5_0 => "Q5_0",
            GgmlType::Q5_1 => "Q5_1",
            GgmlType::Q8_0 => "Q8_0",
            GgmlType::Q2_K => "Q2_K",
            GgmlType::Q3_K => "Q3_K",
            GgmlType::Q4_K => "Q4_K",
            GgmlType::Q5_K => "Q5_K",
            GgmlType::Q6_K => "Q6_K",
            GgmlType::Q8_K => "Q8_K",
            GgmlType::IQ2_XXS => "IQ2_XXS",
            GgmlType::IQ2_XS => "IQ2_XS",
            GgmlType::IQ3_XXS => "IQ3_XXS",
            GgmlType::IQ4_NL => "IQ4_NL",
            GgmlType::IQ4_XS => "IQ4_XS",
            GgmlType::MXFP4 => "MXFP4",
        }
    }
}

impl fmt::Display for GgmlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Normalises a user-typed format name: case and `-`/`_`/space/`.` ignored.
pub fn normalise(name: &str) -> String {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The storage of a whole model's weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum WeightFormat {
    /// A GGUF file whose 2-D tensors are all one ggml type; 1-D tensors stay
    /// F32, as `convert_hf_to_gguf.py` writes them and `llama-quantize`
    /// leaves them.
    Gguf(GgmlType),
    /// A PyTorch checkpoint loaded in one dtype (F32, F16 or BF16): every
    /// tensor, norms included, in that dtype.
    Torch(GgmlType),
}

impl WeightFormat {
    /// Bytes of one tensor in this format.
    pub fn tensor_bytes(self, tensor: &Tensor) -> u64 {
        let [row_len, rows, experts] = tensor.ne;
        let rows = rows * experts;
        let ty = match self {
            WeightFormat::Gguf(_) if tensor.is_1d() => GgmlType::F32,
            WeightFormat::Gguf(ty) | WeightFormat::Torch(ty) => ty,
        };
        // llama-quantize falls back to F16 when a row is not a whole number
        // of blocks (llama-quant.cpp, "shape fallback").
        ty.bytes(row_len, rows)
            .unwrap_or_else(|| row_len * rows * GgmlType::F16.bytes_per_block())
    }

    pub fn label(self) -> String {
        match self {
            WeightFormat::Gguf(ty) => format!("GGUF {ty}"),
            WeightFormat::Torch(ty) => format!("{} (safetensors)", ty.name().to_lowercase()),
        }
    }
}

/// Why a format name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{name}': choose one of {choices}")]
pub struct UnknownFormat {
    pub what: &'static str,
    pub name: String,
    pub choices: String,
}

impl FromStr for WeightFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use GgmlType::*;
        let format = match normalise(s).as_str() {
            "fp32" | "float32" => WeightFormat::Torch(F32),
            "fp16" | "float16" | "half" | "none" => WeightFormat::Torch(F16),
            "bf16" | "bfloat16" => WeightFormat::Torch(BF16),
            "f32" => WeightFormat::Gguf(F32),
            "f16" => WeightFormat::Gguf(F16),
            "q80" | "ggufq80" => WeightFormat::Gguf(Q8_0),
            "q40" => WeightFormat::Gguf(Q4_0),
            "q41" => WeightFormat::Gguf(Q4_1),
            "q50" => WeightFormat::Gguf(Q5_0),
            "q51" => WeightFormat::Gguf(Q5_1),
            _ => {
                return Err(UnknownFormat {
                    what: "weight format",
                    name: s.to_string(),
                    choices: "bf16, fp16, fp32, f16, f32, q8_0, q5_1, q5_0, q4_1, q4_0".into(),
                })
            }
        };
        Ok(format)
    }
}

/// The element type of the K and V caches (llama.cpp `-ctk`/`-ctv`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct KvType(pub GgmlType);

impl KvType {
    pub const F16: KvType = KvType(GgmlType::F16);

    /// Bytes of `cells` cached tokens of `n_embd_gqa` elements each.
    pub fn bytes(self, n_embd_gqa: u64, cells: u64) -> u64 {
        let KvType(ty) = self;
        // A cache row is one token's `n_embd_gqa` elements; llama.cpp asserts
        // it is a whole number of blocks for quantized cache types.
        ty.bytes(n_embd_gqa, cells)
            .unwrap_or_else(|| n_embd_gqa * cells * GgmlType::F16.bytes_per_block())
    }

    /// The name llama.cpp's `-ctk`/`-ctv` take.
    pub fn flag_name(self) -> String {
        self.0.name().to_lowercase()
    }
}

impl FromStr for KvType {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        use GgmlType::*;
        let ty = match normalise(s).as_str() {
            "f32" | "fp32" => F32,
            "f16" | "fp16" => F16,
            "bf16" => BF16,
            "q80" => Q8_0,
            "q40" => Q4_0,
            "q41" => Q4_1,
            "q50" => Q5_0,
            "q51" => Q5_1,
            "iq4nl" => IQ4_NL,
            _ => {
                return Err(UnknownFormat {
                    what: "KV-cache type",
                    name: s.to_string(),
                    choices: "f32, f16, bf16, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl".into(),
                })
            }
        };
        Ok(KvType(ty))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ggml_layouts_give_the_published_bits_per_weight() {
        // (type, bits per weight) from ggml's type traits.
        let cases = [
            (GgmlType::Q4_0, 4.5),
            (GgmlType::Q8_0, 8.5),
            (GgmlType::Q2_K, 2.625),
            (GgmlType::Q3_K, 3.4375),
            (GgmlType::Q4_K, 4.5),
            (GgmlType::Q5_K, 5.5),
            (GgmlType::Q6_K, 6.5625),
            (GgmlType::IQ2_XXS, 2.0625),
            (GgmlType::IQ4_XS, 4.25),
            (GgmlType::MXFP4, 4.25),
        ];
        for (ty, bits) in cases {
            let (_, block, bytes) = ty.layout();
            assert_eq!(bytes as f64 * 8.0 / block as f64, bits, "{ty}");
        }
    }

    #[test]
    fn quantized_kv_rows_carry_their_block_overhead() {
        // q8_0: 34 bytes per 32 elements.
        assert_eq!(KvType(GgmlType::Q8_0).bytes(1024, 1), 1088);
        assert_eq!(KvType::F16.bytes(1024, 1), 2048);
    }

    #[test]
    fn format_names_ignore_case_and_separators() {
        assert_eq!("Q8_0".parse(), Ok(WeightFormat::Gguf(GgmlType::Q8_0)));
        assert_eq!("q8-0".parse(), Ok(WeightFormat::Gguf(GgmlType::Q8_0)));
        assert_eq!("BF16".parse(), Ok(WeightFormat::Torch(GgmlType::BF16)));
        assert_eq!("q8_0".parse(), Ok(KvType(GgmlType::Q8_0)));
        let err = "q3".parse::<WeightFormat>().unwrap_err();
        assert!(err.to_string().starts_with("unknown weight format 'q3'"));
    }
}
