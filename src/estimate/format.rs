//! Storage formats: ggml tensor types, whole-model weight formats, KV types.
//!
//! Bytes of a tensor row are `row_len / block_size × bytes_per_block` (ggml's
//! `ggml_row_size`); block sizes and bytes per block are ggml's own (see
//! `ggml/src/ggml.c` type traits, mirrored by gguf-py's `GGML_QUANT_SIZES`).

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

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
    IQ3_S,
    IQ2_S,
    IQ1_S,
    IQ1_M,
    MXFP4,
}

impl GgmlType {
    pub const ALL: [GgmlType; 24] = [
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
        GgmlType::IQ3_S,
        GgmlType::IQ2_S,
        GgmlType::IQ1_S,
        GgmlType::IQ1_M,
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
            GgmlType::IQ3_S => (21, 256, 110),
            GgmlType::IQ2_S => (22, 256, 82),
            GgmlType::IQ1_S => (19, 256, 50),
            GgmlType::IQ1_M => (29, 256, 56),
            GgmlType::MXFP4 => (39, 32, 17),
        }
    }

    /// The type with this ggml id, if vramfit knows it.
    pub fn from_id(id: u32) -> Option<GgmlType> {
        GgmlType::ALL.into_iter().find(|t| t.layout().0 == id)
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
            GgmlType::IQ3_S => "IQ3_S",
            GgmlType::IQ2_S => "IQ2_S",
            GgmlType::IQ1_S => "IQ1_S",
            GgmlType::IQ1_M => "IQ1_M",
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
    normalised(name).collect()
}

/// Format names are ASCII, so ASCII case folding is all it takes; here and
/// wherever vramfit changes case, the `to_ascii_*` forms keep core's Unicode
/// case tables out of the WebAssembly modules (16 KB gzip of the page).
fn normalised(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars()
        .filter(|c| !matches!(c, '-' | '_' | ' ' | '.'))
        .map(|c| c.to_ascii_lowercase())
}

/// Whether `name` normalises to `key` (already normalised), without
/// allocating: lookups compare one key against every known name on each
/// recompute.
pub fn normalises_to(name: &str, key: &str) -> bool {
    normalised(name).eq(key.chars())
}

/// A file-level GGUF type (`llama-quantize`'s ftype): one ggml type for most
/// tensors, with per-tensor exceptions for the mixes (see [`super::weights`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[allow(non_camel_case_types)]
pub enum GgufFtype {
    F32,
    F16,
    BF16,
    Q8_0,
    Q6_K,
    Q5_K_M,
    Q5_K_S,
    Q5_1,
    Q5_0,
    Q4_K_M,
    Q4_K_S,
    Q4_1,
    Q4_0,
    IQ4_XS,
    IQ4_NL,
    Q3_K_L,
    Q3_K_M,
    Q3_K_S,
    IQ3_M,
    IQ3_S,
    IQ3_XS,
    IQ3_XXS,
    Q2_K,
    Q2_K_S,
    IQ2_M,
    IQ2_S,
    IQ2_XS,
    IQ2_XXS,
    IQ1_M,
    IQ1_S,
    MXFP4_MOE,
}

impl GgufFtype {
    pub const ALL: [GgufFtype; 31] = [
        GgufFtype::F32,
        GgufFtype::F16,
        GgufFtype::BF16,
        GgufFtype::Q8_0,
        GgufFtype::Q6_K,
        GgufFtype::Q5_K_M,
        GgufFtype::Q5_K_S,
        GgufFtype::Q5_1,
        GgufFtype::Q5_0,
        GgufFtype::Q4_K_M,
        GgufFtype::Q4_K_S,
        GgufFtype::Q4_1,
        GgufFtype::Q4_0,
        GgufFtype::IQ4_XS,
        GgufFtype::IQ4_NL,
        GgufFtype::Q3_K_L,
        GgufFtype::Q3_K_M,
        GgufFtype::Q3_K_S,
        GgufFtype::IQ3_M,
        GgufFtype::IQ3_S,
        GgufFtype::IQ3_XS,
        GgufFtype::IQ3_XXS,
        GgufFtype::Q2_K,
        GgufFtype::Q2_K_S,
        GgufFtype::IQ2_M,
        GgufFtype::IQ2_S,
        GgufFtype::IQ2_XS,
        GgufFtype::IQ2_XXS,
        GgufFtype::IQ1_M,
        GgufFtype::IQ1_S,
        GgufFtype::MXFP4_MOE,
    ];

    /// The type most tensors get (llama.cpp `llama_ftype_get_default_type`).
    pub fn default_type(self) -> GgmlType {
        use GgmlType as T;
        match self {
            GgufFtype::F32 => T::F32,
            GgufFtype::F16 => T::F16,
            GgufFtype::BF16 => T::BF16,
            GgufFtype::Q8_0 => T::Q8_0,
            GgufFtype::Q6_K => T::Q6_K,
            GgufFtype::Q5_K_M | GgufFtype::Q5_K_S => T::Q5_K,
            GgufFtype::Q5_1 => T::Q5_1,
            GgufFtype::Q5_0 => T::Q5_0,
            GgufFtype::Q4_K_M | GgufFtype::Q4_K_S => T::Q4_K,
            GgufFtype::Q4_1 => T::Q4_1,
            GgufFtype::Q4_0 => T::Q4_0,
            GgufFtype::IQ4_XS => T::IQ4_XS,
            GgufFtype::IQ4_NL => T::IQ4_NL,
            GgufFtype::Q3_K_L | GgufFtype::Q3_K_M | GgufFtype::Q3_K_S => T::Q3_K,
            // IQ3_XS is IQ3_S with IQ3_XXS attn_q/attn_k and middle-layer
            // ffn_gate/ffn_up (`llama_tensor_get_type_impl`).
            GgufFtype::IQ3_M | GgufFtype::IQ3_S | GgufFtype::IQ3_XS => T::IQ3_S,
            GgufFtype::IQ3_XXS => T::IQ3_XXS,
            GgufFtype::Q2_K | GgufFtype::Q2_K_S => T::Q2_K,
            GgufFtype::IQ2_M => T::IQ2_S,
            GgufFtype::IQ2_S | GgufFtype::IQ2_XS => T::IQ2_XS,
            GgufFtype::IQ2_XXS => T::IQ2_XXS,
            GgufFtype::IQ1_M => T::IQ1_M,
            GgufFtype::IQ1_S => T::IQ1_S,
            GgufFtype::MXFP4_MOE => T::MXFP4,
        }
    }

    /// Whether `llama-quantize` refuses to make this ftype without an
    /// importance matrix: it gives some tensor IQ1/IQ2/IQ3_XXS (or Q2_K in
    /// Q2_K_S), types it will not make without one (llama.cpp
    /// `src/llama-quant.cpp`, `tensor_requires_imatrix`).
    pub fn needs_imatrix(self) -> bool {
        use GgufFtype as F;
        matches!(
            self,
            F::IQ3_XS
                | F::IQ3_XXS
                | F::Q2_K_S
                | F::IQ2_M
                | F::IQ2_S
                | F::IQ2_XS
                | F::IQ2_XXS
                | F::IQ1_M
                | F::IQ1_S
        )
    }

    /// F32/F16/BF16 files are converted, not quantized: no per-tensor rules.
    pub fn is_float(self) -> bool {
        matches!(self, GgufFtype::F32 | GgufFtype::F16 | GgufFtype::BF16)
    }

    pub fn name(self) -> &'static str {
        match self {
            GgufFtype::F32 => "F32",
            GgufFtype::F16 => "F16",
            GgufFtype::BF16 => "BF16",
            GgufFtype::Q8_0 => "Q8_0",
            GgufFtype::Q6_K => "Q6_K",
            GgufFtype::Q5_K_M => "Q5_K_M",
            GgufFtype::Q5_K_S => "Q5_K_S",
            GgufFtype::Q5_1 => "Q5_1",
            GgufFtype::Q5_0 => "Q5_0",
            GgufFtype::Q4_K_M => "Q4_K_M",
            GgufFtype::Q4_K_S => "Q4_K_S",
            GgufFtype::Q4_1 => "Q4_1",
            GgufFtype::Q4_0 => "Q4_0",
            GgufFtype::IQ4_XS => "IQ4_XS",
            GgufFtype::IQ4_NL => "IQ4_NL",
            GgufFtype::Q3_K_L => "Q3_K_L",
            GgufFtype::Q3_K_M => "Q3_K_M",
            GgufFtype::Q3_K_S => "Q3_K_S",
            GgufFtype::IQ3_M => "IQ3_M",
            GgufFtype::IQ3_S => "IQ3_S",
            GgufFtype::IQ3_XS => "IQ3_XS",
            GgufFtype::IQ3_XXS => "IQ3_XXS",
            GgufFtype::Q2_K => "Q2_K",
            GgufFtype::Q2_K_S => "Q2_K_S",
            GgufFtype::IQ2_M => "IQ2_M",
            GgufFtype::IQ2_S => "IQ2_S",
            GgufFtype::IQ2_XS => "IQ2_XS",
            GgufFtype::IQ2_XXS => "IQ2_XXS",
            GgufFtype::IQ1_M => "IQ1_M",
            GgufFtype::IQ1_S => "IQ1_S",
            GgufFtype::MXFP4_MOE => "MXFP4_MOE",
        }
    }
}

/// A PyTorch dtype a checkpoint is loaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum TorchDtype {
    F32,
    F16,
    BF16,
}

impl TorchDtype {
    pub fn bytes(self) -> u64 {
        match self {
            TorchDtype::F32 => 4,
            TorchDtype::F16 | TorchDtype::BF16 => 2,
        }
    }
}

/// How a whole model's weights are stored in memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum WeightFormat {
    /// A GGUF file of this ftype (llama.cpp, Ollama).
    Gguf { ftype: GgufFtype },
    /// A PyTorch/safetensors checkpoint in one dtype: every tensor, norms included.
    Torch { dtype: TorchDtype },
    /// FP8 e4m3 Linear weights with fp32 scales: one per tensor, or one per
    /// 128×128 block (DeepSeek-V3's `weight_scale_inv`); the rest bf16.
    Fp8 { block: bool },
    /// bitsandbytes LLM.int8: int8 Linear weights plus one fp32 scale per
    /// output row (`SCB`); lm_head, embeddings and norms stay 16-bit.
    Int8,
    /// bitsandbytes 4-bit (NF4 or FP4, the same size): two weights per byte,
    /// an absmax per 64-weight block (fp32, or uint8 with double quant).
    Bnb4 { double_quant: bool },
    /// GPTQ: packed `qweight`, `qzeros` and fp16 `scales` per group, `g_idx`.
    Gptq { bits: u8, group: u16 },
    /// AWQ (GEMM): packed 4-bit `qweight`, `qzeros`, fp16 `scales` per group.
    Awq { group: u16 },
    /// gpt-oss's MXFP4: MoE expert weights in 32-value blocks of 17 bytes,
    /// everything else bf16.
    Mxfp4,
    /// ExLlamaV2's EXL2 at an average of `bpw_x100 / 100` bits per weight
    /// over the layers' Linear weights (scales included), lm_head at 6 bits
    /// (the converter's default `head_bits`), everything else fp16.
    Exl2 { bpw_x100: u16 },
}

impl WeightFormat {
    pub const BF16: WeightFormat = WeightFormat::Torch {
        dtype: TorchDtype::BF16,
    };

    /// The id used on the command line and in links (`q4_k_m`, `bf16`, `gptq-4bit-g128`).
    pub fn id(self) -> String {
        match self {
            WeightFormat::Gguf {
                ftype: GgufFtype::BF16,
            } => "gguf-bf16".into(),
            WeightFormat::Gguf { ftype } => ftype.name().to_ascii_lowercase(),
            WeightFormat::Torch {
                dtype: TorchDtype::F32,
            } => "fp32".into(),
            WeightFormat::Torch {
                dtype: TorchDtype::F16,
            } => "fp16".into(),
            WeightFormat::Torch {
                dtype: TorchDtype::BF16,
            } => "bf16".into(),
            WeightFormat::Fp8 { block: false } => "fp8".into(),
            WeightFormat::Fp8 { block: true } => "fp8-block".into(),
            WeightFormat::Int8 => "int8".into(),
            WeightFormat::Bnb4 {
                double_quant: false,
            } => "nf4".into(),
            WeightFormat::Bnb4 { double_quant: true } => "nf4-dq".into(),
            WeightFormat::Gptq { bits, group } => format!("gptq-{bits}bit-g{group}"),
            WeightFormat::Awq { group } => format!("awq-4bit-g{group}"),
            WeightFormat::Mxfp4 => "mxfp4".into(),
            WeightFormat::Exl2 { bpw_x100 } => format!("exl2-{}bpw", bpw_text(bpw_x100)),
        }
    }

    /// A label for people.
    pub fn label(self) -> String {
        match self {
            WeightFormat::Gguf { ftype } => format!("GGUF {}", ftype.name()),
            WeightFormat::Torch {
                dtype: TorchDtype::F32,
            } => "FP32".into(),
            WeightFormat::Torch {
                dtype: TorchDtype::F16,
            } => "FP16".into(),
            WeightFormat::Torch {
                dtype: TorchDtype::BF16,
            } => "BF16".into(),
            WeightFormat::Fp8 { block: false } => "FP8 e4m3 (per-tensor scales)".into(),
            WeightFormat::Fp8 { block: true } => "FP8 e4m3 (128×128 block scales)".into(),
            WeightFormat::Int8 => "bitsandbytes LLM.int8".into(),
            WeightFormat::Bnb4 {
                double_quant: false,
            } => "bitsandbytes NF4/FP4".into(),
            WeightFormat::Bnb4 { double_quant: true } => {
                "bitsandbytes NF4/FP4, double quant".into()
            }
            WeightFormat::Gptq { bits, group } => format!("GPTQ {bits}-bit, group {group}"),
            WeightFormat::Awq { group } => format!("AWQ 4-bit, group {group}"),
            WeightFormat::Mxfp4 => "MXFP4 experts + BF16".into(),
            WeightFormat::Exl2 { bpw_x100 } => format!("EXL2 {} bpw", bpw_text(bpw_x100)),
        }
    }

    /// Every format vramfit offers, in the order menus list them.
    pub fn all() -> Vec<WeightFormat> {
        let mut all: Vec<WeightFormat> = GgufFtype::ALL
            .iter()
            .map(|&ftype| WeightFormat::Gguf { ftype })
            .collect();
        all.extend([
            WeightFormat::BF16,
            WeightFormat::Torch {
                dtype: TorchDtype::F16,
            },
            WeightFormat::Torch {
                dtype: TorchDtype::F32,
            },
            WeightFormat::Fp8 { block: false },
            WeightFormat::Fp8 { block: true },
            WeightFormat::Int8,
            WeightFormat::Bnb4 {
                double_quant: false,
            },
            WeightFormat::Bnb4 { double_quant: true },
            WeightFormat::Gptq {
                bits: 4,
                group: 128,
            },
            WeightFormat::Gptq { bits: 4, group: 64 },
            WeightFormat::Gptq { bits: 4, group: 32 },
            WeightFormat::Gptq {
                bits: 8,
                group: 128,
            },
            WeightFormat::Awq { group: 128 },
            WeightFormat::Awq { group: 64 },
            WeightFormat::Awq { group: 32 },
            WeightFormat::Mxfp4,
        ]);
        all.extend(
            [800, 600, 500, 465, 400, 350, 300, 250]
                .map(|bpw_x100| WeightFormat::Exl2 { bpw_x100 }),
        );
        all
    }
}

/// `4.65`, `4.0`: bits per weight with at least one decimal.
fn bpw_text(bpw_x100: u16) -> String {
    let text = format!("{}.{:02}", bpw_x100 / 100, bpw_x100 % 100);
    text.strip_suffix('0').map(str::to_string).unwrap_or(text)
}

/// Why a format name was not understood.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} '{name}': choose one of {choices}")]
pub struct UnknownFormat {
    pub what: &'static str,
    pub name: String,
    pub choices: String,
}

/// The original tool's `QuantizationType` names, mapped to real formats.
/// Their flat factors (0.5, 0.25, 0.27…) are never used for arithmetic.
pub const SEED_QUANTIZATION_NAMES: &[(&str, &str)] = &[
    ("NONE", "fp16"),
    ("INT8", "int8"),
    ("INT4", "nf4"),
    ("GPTQ", "gptq-4bit-g128"),
    ("GGUF_Q4_K_M", "q4_k_m"),
    ("GGUF_Q5_K_M", "q5_k_m"),
    ("GGUF_Q8_0", "q8_0"),
    ("AWQ", "awq-4bit-g128"),
    ("AWQQUANT", "awq-4bit-g128"),
];

impl FromStr for WeightFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = normalise(s);
        let seed = SEED_QUANTIZATION_NAMES
            .iter()
            .find(|(name, _)| normalises_to(name, &key));
        let key = match seed {
            Some((_, id)) => normalise(id),
            None => key,
        };
        let key = key
            .strip_prefix("gguf")
            .filter(|k| !k.is_empty() && *k != "bf16")
            .unwrap_or(&key);
        let aliases: [(&str, WeightFormat); 12] = [
            (
                "float32",
                WeightFormat::Torch {
                    dtype: TorchDtype::F32,
                },
            ),
            (
                "float16",
                WeightFormat::Torch {
                    dtype: TorchDtype::F16,
                },
            ),
            (
                "half",
                WeightFormat::Torch {
                    dtype: TorchDtype::F16,
                },
            ),
            ("bfloat16", WeightFormat::BF16),
            ("fp8e4m3", WeightFormat::Fp8 { block: false }),
            ("bnbint8", WeightFormat::Int8),
            ("llmint8", WeightFormat::Int8),
            (
                "fp4",
                WeightFormat::Bnb4 {
                    double_quant: false,
                },
            ),
            ("fp4dq", WeightFormat::Bnb4 { double_quant: true }),
            (
                "gptq",
                WeightFormat::Gptq {
                    bits: 4,
                    group: 128,
                },
            ),
            (
                "gptqint8",
                WeightFormat::Gptq {
                    bits: 8,
                    group: 128,
                },
            ),
            ("awq", WeightFormat::Awq { group: 128 }),
        ];
        if let Some((_, format)) = aliases.iter().find(|(name, _)| *name == key) {
            return Ok(*format);
        }
        if key == "gptqint4" {
            return Ok(WeightFormat::Gptq {
                bits: 4,
                group: 128,
            });
        }
        WeightFormat::all()
            .into_iter()
            .find(|f| normalises_to(&f.id(), key))
            .ok_or_else(|| UnknownFormat {
                what: "weight format",
                name: s.to_string(),
                choices: WeightFormat::all()
                    .iter()
                    .map(|f| f.id())
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// The element type of the K and V caches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum KvType {
    /// A ggml type (llama.cpp `-ctk`/`-ctv`; f16 is also every engine's 16-bit cache).
    Ggml(GgmlType),
    /// One byte per element (vLLM `--kv-cache-dtype fp8`).
    Fp8,
    /// ExLlamaV2's quantized cache: `bits` per element plus an fp16 scale
    /// per 32 (`cache.py`); its Q6 mode is 8-bit K with 4-bit V.
    Exl(u8),
}

impl KvType {
    pub const F16: KvType = KvType::Ggml(GgmlType::F16);

    /// Bytes of `cells` cached tokens of `n_embd_gqa` elements each.
    pub fn bytes(self, n_embd_gqa: u64, cells: u64) -> u64 {
        match self {
            // A cache row is one token's elements; llama.cpp requires it to
            // be a whole number of blocks for quantized cache types.
            KvType::Ggml(ty) => ty
                .bytes(n_embd_gqa, cells)
                .unwrap_or_else(|| n_embd_gqa * cells * GgmlType::F16.bytes_per_block()),
            KvType::Fp8 => n_embd_gqa * cells,
            KvType::Exl(bits) => {
                cells * (n_embd_gqa * u64::from(bits) / 8 + n_embd_gqa.div_ceil(32) * 2)
            }
        }
    }

    /// The id used in flags and links (`f16`, `q8_0`, `fp8`).
    pub fn id(self) -> String {
        match self {
            KvType::Ggml(ty) => ty.name().to_ascii_lowercase(),
            KvType::Fp8 => "fp8".into(),
            KvType::Exl(bits) => format!("q{bits}"),
        }
    }

    /// The cache types llama.cpp accepts for `-ctk`/`-ctv`.
    pub const LLAMA_CPP: [KvType; 9] = [
        KvType::Ggml(GgmlType::F16),
        KvType::Ggml(GgmlType::Q8_0),
        KvType::Ggml(GgmlType::Q5_1),
        KvType::Ggml(GgmlType::Q5_0),
        KvType::Ggml(GgmlType::Q4_1),
        KvType::Ggml(GgmlType::Q4_0),
        KvType::Ggml(GgmlType::IQ4_NL),
        KvType::Ggml(GgmlType::BF16),
        KvType::Ggml(GgmlType::F32),
    ];
}

impl FromStr for KvType {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key = normalise(s);
        match key.as_str() {
            "fp8" | "fp8e4m3" | "fp8e5m2" => return Ok(KvType::Fp8),
            "fp16" | "auto" | "float16" => return Ok(KvType::F16),
            "fp32" => return Ok(KvType::Ggml(GgmlType::F32)),
            "q8" => return Ok(KvType::Exl(8)),
            "q4" => return Ok(KvType::Exl(4)),
            _ => {}
        }
        KvType::LLAMA_CPP
            .iter()
            .copied()
            .find(|k| normalises_to(&k.id(), &key))
            .ok_or_else(|| UnknownFormat {
                what: "KV-cache type",
                name: s.to_string(),
                choices: "f16, bf16, f32, q8_0, q5_1, q5_0, q4_1, q4_0, iq4_nl, fp8 (vLLM), q8, q6, q4 (ExLlamaV2)"
                    .into(),
            })
    }
}

/// The K and V cache types a cache name means: the same type for both,
/// except ExLlamaV2's `q6`, which is 8-bit K with 4-bit V.
pub fn kv_pair(name: &str) -> Result<(KvType, KvType), UnknownFormat> {
    match normalise(name).as_str() {
        "q6" => Ok((KvType::Exl(8), KvType::Exl(4))),
        _ => name.parse().map(|k| (k, k)),
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
            (GgmlType::IQ2_XS, 2.3125),
            (GgmlType::IQ3_XXS, 3.0625),
            (GgmlType::IQ4_XS, 4.25),
            (GgmlType::IQ3_S, 3.4375),
            (GgmlType::IQ2_S, 2.5625),
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
        assert_eq!(KvType::Ggml(GgmlType::Q8_0).bytes(1024, 1), 1088);
        assert_eq!(KvType::F16.bytes(1024, 1), 2048);
        assert_eq!(KvType::Fp8.bytes(1024, 1), 1024);
    }

    #[test]
    fn format_names_round_trip_and_ignore_case_and_separators() {
        for f in WeightFormat::all() {
            assert_eq!(f.id().parse::<WeightFormat>(), Ok(f), "{}", f.id());
            assert_eq!(
                f.id().to_ascii_uppercase().parse::<WeightFormat>(),
                Ok(f),
                "{}",
                f.id()
            );
        }
        let q4km = WeightFormat::Gguf {
            ftype: GgufFtype::Q4_K_M,
        };
        assert_eq!("Q4_K_M".parse(), Ok(q4km));
        assert_eq!("q4-k-m".parse(), Ok(q4km));
        assert_eq!("GGUF_Q4_K_M".parse(), Ok(q4km));
        assert_eq!(
            "gptq".parse(),
            Ok(WeightFormat::Gptq {
                bits: 4,
                group: 128
            })
        );
        for k in KvType::LLAMA_CPP {
            assert_eq!(k.id().parse::<KvType>(), Ok(k));
        }
        let err = "q3".parse::<WeightFormat>().unwrap_err();
        assert!(err.to_string().starts_with("unknown weight format 'q3'"));
    }

    #[test]
    fn seed_quantization_names_map_to_real_formats() {
        let got: Vec<String> = SEED_QUANTIZATION_NAMES
            .iter()
            .map(|(name, _)| {
                format!(
                    "{name} -> {}",
                    name.parse::<WeightFormat>().unwrap().label()
                )
            })
            .collect();
        expect_test::expect![[r#"
            NONE -> FP16
            INT8 -> bitsandbytes LLM.int8
            INT4 -> bitsandbytes NF4/FP4
            GPTQ -> GPTQ 4-bit, group 128
            GGUF_Q4_K_M -> GGUF Q4_K_M
            GGUF_Q5_K_M -> GGUF Q5_K_M
            GGUF_Q8_0 -> GGUF Q8_0
            AWQ -> AWQ 4-bit, group 128
            AWQQUANT -> AWQ 4-bit, group 128"#]]
        .assert_eq(&got.join("\n"));
    }
}
