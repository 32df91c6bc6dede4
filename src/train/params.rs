//! A model's parameters as PyTorch holds them for training: the tensors of
//! the Hugging Face module tree (transformers 5's layout: a mixture of
//! experts' gate and up projections fused into one 3-D `gate_up_proj`),
//! which of them train, LoRA's adapters and QLoRA's 4-bit storage.
//!
//! Checked against transformers 5.24 + peft 0.21 + bitsandbytes 0.50 on
//! the meta device (`tests/data/measured/training_exact.json`,
//! `tests/bench/training_exact.py`).

use serde::Serialize;

use crate::estimate::model::{Kind, ModelSpec, Tensor};

/// Where a parameter sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// Token embeddings (and position embeddings).
    Embedding,
    /// The output projection (`lm_head`), when not tied.
    Head,
    /// A repeated layer of the text model (its index).
    Layer(usize),
    /// Globals besides those: the final norm, poolers.
    Other,
    /// The image side of a vision-language model.
    Vision,
}

/// One parameter tensor as PyTorch shapes it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Param {
    /// The module's name as peft matches it (`q_proj`, `down_proj`,
    /// `experts`, `embed_tokens`, `lm_head`, a norm's or bias's name).
    pub module: String,
    pub part: Part,
    /// PyTorch's shape: `[out, in]` for a Linear weight, `[experts, out,
    /// in]` for stacked experts, `[n]` for a vector.
    pub shape: Vec<u64>,
    /// An `nn.Linear` weight (what `all-linear` and bitsandbytes replace)
    /// or stacked experts (peft wraps them too; bitsandbytes does not).
    pub linear: bool,
    /// The bias of a layer's Linear (bitsandbytes' `Linear4bit` keeps it
    /// float32 when it replaces the module).
    pub linear_bias: bool,
}

impl Param {
    pub fn numel(&self) -> u64 {
        self.shape.iter().product()
    }

    pub fn is_experts(&self) -> bool {
        self.shape.len() == 3
    }

    /// Input and output widths of a Linear (per expert for experts).
    pub fn in_out(&self) -> (u64, u64) {
        match self.shape.as_slice() {
            [out, inp] | [_, out, inp] => (*inp, *out),
            _ => (0, 0),
        }
    }
}

/// The module name peft matches for a tensor of this kind.
fn module_name(t: &Tensor) -> String {
    let gguf = t.name.trim_end_matches(".weight");
    let shared = gguf.contains("shexp");
    match t.kind {
        Kind::TokenEmbd => "embed_tokens".into(),
        Kind::Output => "lm_head".into(),
        Kind::AttnQ => "q_proj".into(),
        Kind::AttnK => "k_proj".into(),
        Kind::AttnV => "v_proj".into(),
        Kind::AttnQkv => "qkv_proj".into(),
        Kind::AttnOutput => "o_proj".into(),
        Kind::AttnKvB => "kv_b_proj".into(),
        Kind::FfnGate if shared => "shared_expert.gate_proj".into(),
        Kind::FfnUp if shared => "shared_expert.up_proj".into(),
        Kind::FfnDown if shared => "shared_expert.down_proj".into(),
        Kind::FfnGate => "gate_proj".into(),
        Kind::FfnUp => "up_proj".into(),
        Kind::FfnDown => "down_proj".into(),
        Kind::FfnGateInp => "gate".into(),
        _ => match gguf {
            "attn_q_a" => "q_a_proj".into(),
            "attn_q_b" => "q_b_proj".into(),
            "attn_kv_a_mqa" => "kv_a_proj_with_mqa".into(),
            "ssm_in" => "in_proj".into(),
            "ssm_out" => "out_proj".into(),
            other => other.to_string(),
        },
    }
}

/// One spec tensor as a parameter of `part` (experts unfused).
pub fn params_of(t: &Tensor, part: Part) -> Param {
    let [row_len, rows, experts] = t.ne;
    let vector = t.is_1d();
    let shape = if vector {
        vec![row_len]
    } else if experts > 1 {
        vec![experts, rows, row_len]
    } else {
        vec![rows, row_len]
    };
    let linear = !vector
        && !matches!(
            t.kind,
            Kind::TokenEmbd | Kind::PosEmbd | Kind::Output | Kind::Vector
        );
    let linear_bias = vector
        && t.name.ends_with(".bias")
        && !t.name.contains("norm")
        && (t.name.starts_with("attn_") || t.name.starts_with("ffn_"));
    Param {
        module: module_name(t),
        part,
        shape,
        linear,
        linear_bias,
    }
}

/// Every parameter of the model, transformers-shaped: tied embeddings
/// once, stacked experts' gate and up fused into one `gate_up_proj`.
pub fn params(spec: &ModelSpec) -> Vec<Param> {
    let mut out = Vec::new();
    for t in &spec.globals {
        let part = match t.kind {
            Kind::TokenEmbd | Kind::PosEmbd => Part::Embedding,
            Kind::Output => Part::Head,
            _ => Part::Other,
        };
        let mut p = params_of(t, part);
        if t.kind == Kind::Output {
            p.linear = true;
        }
        out.push(p);
    }
    for (i, layer) in spec.layers.iter().enumerate() {
        let experts_gate = layer
            .tensors
            .iter()
            .find(|t| t.is_experts() && t.kind == Kind::FfnGate);
        for t in &layer.tensors {
            let mut p = params_of(t, Part::Layer(i));
            if t.is_experts() {
                match (t.kind, experts_gate) {
                    // The gate joins the up projection below.
                    (Kind::FfnGate, _) => continue,
                    (Kind::FfnUp, Some(g)) => {
                        p.shape[1] += g.ne[1];
                        p.module = "experts.gate_up_proj".into();
                    }
                    (Kind::FfnDown, _) => p.module = "experts.down_proj".into(),
                    _ => p.module = format!("experts.{}", p.module),
                }
            }
            out.push(p);
        }
    }
    if let Some(v) = &spec.vision {
        for t in v.encoder.iter().chain(&v.projector) {
            let mut p = params_of(t, Part::Vision);
            p.linear =
                !t.is_1d() && t.kind != Kind::PosEmbd && t.ne[1] > 1 && !t.name.contains("patch");
            out.push(p);
        }
    }
    out
}

/// Which modules LoRA adapts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Targets {
    /// peft's `all-linear`: every Linear but the output layer, stacked
    /// experts included (peft 0.21 wraps them, rank doubled for the fused
    /// `gate_up_proj`).
    AllLinear,
    /// Modules by name (`q_proj`, `v_proj`…), matched as peft does: the
    /// name's last component.
    Modules(Vec<String>),
}

impl Targets {
    /// `all-linear`, or a comma-separated list of module names.
    pub fn parse(text: &str) -> Targets {
        let t = text.trim();
        if t.is_empty() || t.eq_ignore_ascii_case("all-linear") || t.eq_ignore_ascii_case("all") {
            return Targets::AllLinear;
        }
        Targets::Modules(
            t.split([',', ' '])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        )
    }

    pub fn matches(&self, p: &Param) -> bool {
        if !p.linear || p.part == Part::Head {
            return false;
        }
        match self {
            Targets::AllLinear => true,
            Targets::Modules(names) => {
                !p.is_experts()
                    && names
                        .iter()
                        .any(|n| p.module.rsplit('.').next() == Some(n.as_str()))
            }
        }
    }
}

/// LoRA's trainable tensors over `p` at rank `r`: `(numel, shape)` of A
/// and B. Stacked experts get one pair per expert (A `[E·r', in]`, B
/// `[out, E·r']`), r' = 2r for the fused gate/up projection.
pub fn lora_tensors(p: &Param, r: u64) -> [(u64, Vec<u64>); 2] {
    let (inp, out) = p.in_out();
    if p.is_experts() {
        let e = p.shape[0];
        let rank = if p.module.ends_with("gate_up_proj") {
            2 * r
        } else {
            r
        };
        [
            (e * rank * inp, vec![e * rank, inp]),
            (e * rank * out, vec![out, e * rank]),
        ]
    } else {
        [(r * inp, vec![r, inp]), (r * out, vec![out, r])]
    }
}

/// bitsandbytes' NF4/FP4 storage of one Linear weight of `n` values:
/// packed pairs, an absmax per 64 values (uint8 with double quantization,
/// plus a float32 absmax per 256 of them and an offset; else float32),
/// the 16-entry code and, double-quantized, the 256-entry nested code —
/// each kept per weight (`quantize_4bit`, bitsandbytes 0.50).
pub fn nf4_bytes(n: u64, double_quant: bool) -> u64 {
    let blocks = n.div_ceil(64);
    if double_quant {
        n.div_ceil(2) + blocks + 4 * blocks.div_ceil(256) + 4 + 64 + 1024
    } else {
        n.div_ceil(2) + 4 * blocks + 64
    }
}

/// Whether bitsandbytes quantizes this parameter: every `nn.Linear` but
/// the output layer (stacked experts and transformers 5's MoE routers are
/// plain parameters, not `nn.Linear`: they stay 16-bit).
pub fn quantized(p: &Param) -> bool {
    p.linear && !p.is_experts() && p.part != Part::Head && p.module != "gate"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nf4_storage_is_bitsandbytes_own_per_weight() {
        // 4096×4096 quantized on the CPU by bitsandbytes 0.50.2:
        // 8,388,608 packed + 262,144 absmax + 4,096 nested absmax + 4 + 64 + 1,024.
        assert_eq!(
            nf4_bytes(4096 * 4096, true),
            8_388_608 + 262_144 + 4_096 + 4 + 64 + 1_024
        );
        // An odd 100×37 weight: 1,850 + 58 + 4·1 + 1,092.
        assert_eq!(nf4_bytes(3700, true), 1850 + 58 + 4 + 4 + 64 + 1024);
    }

    #[test]
    fn targets_parse_and_match_by_the_last_name() {
        assert_eq!(Targets::parse("all-linear"), Targets::AllLinear);
        let t = Targets::parse("q_proj, v_proj");
        let q = Param {
            module: "q_proj".into(),
            part: Part::Layer(0),
            shape: vec![4096, 4096],
            linear: true,
            linear_bias: false,
        };
        let shared = Param {
            module: "shared_expert.down_proj".into(),
            ..q.clone()
        };
        assert!(t.matches(&q));
        assert!(Targets::parse("down_proj").matches(&shared));
        assert!(!t.matches(&shared));
    }
}
