//! Repository names → the catalog model and the weight format the repo holds.
//!
//! People paste Hugging Face repo ids, and most of the repos they run are
//! someone's quantization of a catalog model: `RedHatAI/…-FP8-dynamic`,
//! `unsloth/…-GGUF:Q5_K_M`, `Qwen/…-AWQ`. [`resolve`] reads such a name
//! with a fixed list of rules and nothing else: an exact id or alias first,
//! then the namespace dropped, then known quantization suffixes (each naming
//! a weight format), then release suffixes (`-Instruct`, `-it`, `-Chat`,
//! `-Base`, `-pt`, `-hf`, a `-2507`-style date) — one word group at a time
//! from the end, looking the rest up exactly after each. A word the rules do
//! not know stops the reading: names are never matched by substring.
//!
//! The rules, in order:
//!
//! * `repo:TAG` or a `….gguf` file name: the GGUF quant type named by `TAG`
//!   or by the end of the file name (`Qwen3-8B-Q5_K_M.gguf`).
//! * `namespace/` is dropped when the whole id is not an alias; bartowski's
//!   `Org_` prefix on the repo name is dropped when `Org` is a namespace the
//!   catalog knows.
//! * `-GGUF` → GGUF of the type the name gives (`:TAG`, a file name, or an
//!   ftype right before `-GGUF`); none given → Q4_K_M, llama.cpp's usual
//!   pick (MXFP4_MOE for gpt-oss, whose GGUFs keep the native MXFP4 experts).
//! * `-FP8-dynamic`, `-FP8-static` → fp8. `-FP8` → fp8-block for DeepSeek
//!   and Qwen3-generation models (their makers' FP8 releases store 128×128
//!   block scales, `weight_block_size: [128, 128]`), fp8 otherwise.
//! * `-quantized.w8a8`, `-W8A8` → int8 (int8 weights with one scale per
//!   output row: vramfit's `int8` has exactly that size).
//! * `-quantized.w4a16`, `-W4A16`, `-GPTQ`, `-GPTQ-Int4` → gptq-4bit-g128;
//!   `-quantized.w8a16`, `-GPTQ-Int8` → gptq-8bit-g128; `-AWQ` → awq-4bit-g128.
//! * `-bnb-4bit`, `-unsloth-bnb-4bit` → nf4-dq (unsloth's uploads set
//!   `bnb_4bit_use_double_quant`).
//! * `-MLX-4bit`/`-8bit` (and `-4bit`… under `mlx-community/`), `-NVFP4`,
//!   `-FP4` → read, but no format vramfit models: a warning says so and the
//!   engine's format is used.

use super::catalog::{
    closest_ids, find_model, find_repo, is_namespace, CatalogModel, UnknownModel,
};
use super::format::{normalise, GgufFtype, WeightFormat};

/// What a model name resolves to.
#[derive(Debug, Clone)]
pub struct Resolved {
    pub model: &'static CatalogModel,
    /// The weight format the name implies (the repo's quantization), if any.
    pub format: Option<WeightFormat>,
    /// How the name was read, as a sentence; `None` for an exact id or alias.
    pub rule: Option<String>,
    /// Something the name says that vramfit cannot plan for.
    pub warning: Option<String>,
    /// The repository (or GGUF file) the name points at, for launch commands;
    /// `None` when the catalog's own repo is meant.
    pub load: Option<String>,
}

/// Reads `name` with the rules in the module docs.
pub fn resolve(name: &str) -> Result<Resolved, UnknownModel> {
    read(name).map_err(|base| UnknownModel {
        name: name.trim().to_string(),
        closest: closest_ids(&normalise(&base)),
    })
}

/// [`resolve`] for callers that try several spellings and drop the error:
/// `None` where `resolve` fails, without computing the closest ids (an edit
/// distance to every catalog id).
pub fn try_resolve(name: &str) -> Option<Resolved> {
    read(name).ok()
}

/// The name resolved, or what was left of it when no rule found a model.
fn read(name: &str) -> Result<Resolved, String> {
    let typed = name.trim();
    if let Some(model) = find_model(typed) {
        return Ok(Resolved {
            model,
            format: None,
            rule: None,
            warning: None,
            load: None,
        });
    }
    let mut reading = Reading::new(typed);
    match reading.read() {
        Some(model) => Ok(reading.resolved(model)),
        None => Err(reading.base),
    }
}

/// A quantizer's suffix and what it says about the weights.
#[derive(Debug, Clone, Copy)]
enum Quant {
    Format(WeightFormat),
    /// `-FP8`: block-scaled for DeepSeek and Qwen3, per-tensor otherwise.
    Fp8,
    Gguf,
    /// A real quantization vramfit has no format for.
    Unmodeled(&'static str),
}

const GPTQ_4: WeightFormat = WeightFormat::Gptq {
    bits: 4,
    group: 128,
};
const GPTQ_8: WeightFormat = WeightFormat::Gptq {
    bits: 8,
    group: 128,
};

/// Quantization suffixes as lowercase words (split at `-`, `_`, `.`),
/// longest first so `-FP8-dynamic` wins over `-FP8`.
const QUANT_SUFFIXES: &[(&[&str], Quant)] = &[
    (&["unsloth", "bnb", "4bit"], Quant::Format(NF4_DQ)),
    (&["quantized", "w8a8"], Quant::Format(WeightFormat::Int8)),
    (&["quantized", "w4a16"], Quant::Format(GPTQ_4)),
    (&["quantized", "w8a16"], Quant::Format(GPTQ_8)),
    (&["fp8", "dynamic"], Quant::Format(FP8)),
    // AMD's Quark exports: FP8 weights, and scales for an FP8 KV cache.
    (&["fp8", "kv"], Quant::Format(FP8)),
    (&["fp8", "static"], Quant::Format(FP8)),
    (&["gptq", "int4"], Quant::Format(GPTQ_4)),
    (&["gptq", "int8"], Quant::Format(GPTQ_8)),
    (
        &["awq", "int4"],
        Quant::Format(WeightFormat::Awq { group: 128 }),
    ),
    (&["bnb", "4bit"], Quant::Format(NF4_DQ)),
    (&["mlx", "4bit"], Quant::Unmodeled("MLX 4-bit")),
    (&["mlx", "6bit"], Quant::Unmodeled("MLX 6-bit")),
    (&["mlx", "8bit"], Quant::Unmodeled("MLX 8-bit")),
    (&["w8a8"], Quant::Format(WeightFormat::Int8)),
    (&["w4a16"], Quant::Format(GPTQ_4)),
    (&["gptq"], Quant::Format(GPTQ_4)),
    (&["awq"], Quant::Format(WeightFormat::Awq { group: 128 })),
    (&["fp8"], Quant::Fp8),
    (&["gguf"], Quant::Gguf),
    (&["nvfp4"], Quant::Unmodeled("NVFP4")),
    (&["fp4"], Quant::Unmodeled("FP4")),
];

/// mlx-community names its quantizations with a bare bit count.
const MLX_SUFFIXES: &[&str] = &["3bit", "4bit", "6bit", "8bit"];

const NF4_DQ: WeightFormat = WeightFormat::Bnb4 { double_quant: true };
const FP8: WeightFormat = WeightFormat::Fp8 { block: false };

/// Release suffixes dropped only when the longer name is unknown. `qat`
/// (Google's quantization-aware-trained Gemma releases) keeps the
/// architecture; the format comes from the GGUF type next to it.
const RELEASE_SUFFIXES: &[&str] = &["instruct", "it", "chat", "base", "pt", "hf", "qat"];

/// Unsloth's "dynamic" GGUFs (`UD-Q4_K_XL`, `…-UD-IQ1_S.gguf`) keep some
/// tensors at more bits than the type they are named after.
const UNSLOTH_DYNAMIC: &str = "ud";

/// The state of reading one name: what is left of it and what was learnt.
struct Reading<'a> {
    typed: &'a str,
    /// What is left to look up.
    base: String,
    namespace: Option<String>,
    /// bartowski's `Org_` prefix, dropped.
    org_prefix: Option<String>,
    /// Suffix words dropped, in the order they were dropped.
    dropped: Vec<String>,
    quant: Option<(Quant, String)>,
    /// A GGUF type named by `:TAG`, a file name or the repo name.
    ftype: Option<GgufFtype>,
    /// A `:TAG` that is not a llama.cpp ftype.
    unknown_tag: Option<String>,
    /// A `.gguf` file name given instead of a repo.
    file: Option<String>,
    /// An Unsloth dynamic GGUF (`UD-`).
    dynamic: bool,
}

impl<'a> Reading<'a> {
    fn new(typed: &'a str) -> Self {
        Reading {
            typed,
            base: typed.to_string(),
            namespace: None,
            org_prefix: None,
            dropped: Vec::new(),
            quant: None,
            ftype: None,
            unknown_tag: None,
            file: None,
            dynamic: false,
        }
    }

    fn read(&mut self) -> Option<&'static CatalogModel> {
        self.split_selector();
        if let Some((namespace, rest)) = self.base.split_once('/') {
            self.namespace = Some(namespace.to_string());
            self.base = rest.rsplit('/').next().unwrap_or(rest).to_string();
        }
        self.drop_org_prefix();
        if let Some(model) = lookup(&self.base) {
            return Some(model);
        }
        self.drop_quant_suffix();
        if self.is_gguf() {
            self.take_trailing_ftype();
        }
        loop {
            if let Some(model) = lookup(&self.base) {
                return Some(model);
            }
            if !self.drop_release_suffix() {
                return None;
            }
        }
    }

    /// `repo:TAG` (llama.cpp's and Ollama's quant selector) or a `.gguf` file.
    fn split_selector(&mut self) {
        let lower = self.base.to_ascii_lowercase();
        if lower.ends_with(".gguf") {
            let file = self.base.rsplit(['/', '\\']).next().unwrap_or(&self.base);
            self.file = Some(file.to_string());
            let stem = &file[..file.len() - ".gguf".len()];
            self.base = strip_shard(stem).to_string();
            return;
        }
        if let Some((repo, tag)) = self.base.rsplit_once(':') {
            if !tag.is_empty() && !tag.contains('/') {
                let dynamic = tag
                    .get(..3)
                    .filter(|p| p.eq_ignore_ascii_case("ud-") || p.eq_ignore_ascii_case("ud_"))
                    .map(|_| &tag[3..]);
                match ftype_named(dynamic.unwrap_or(tag)) {
                    Some(ftype) => {
                        self.ftype = Some(ftype);
                        self.dynamic = dynamic.is_some();
                    }
                    None => self.unknown_tag = Some(tag.to_string()),
                }
                self.base = repo.to_string();
            }
        }
    }

    /// bartowski's `Qwen_Qwen3-8B-GGUF`: the maker's namespace before `_`.
    fn drop_org_prefix(&mut self) {
        let Some((org, rest)) = self.base.split_once('_') else {
            return;
        };
        if is_namespace(org) && !rest.is_empty() {
            self.org_prefix = Some(format!("{org}_"));
            self.base = rest.to_string();
        }
    }

    fn drop_quant_suffix(&mut self) {
        let words = words(&self.base);
        let mlx = self
            .namespace
            .as_deref()
            .is_some_and(|n| n.eq_ignore_ascii_case("mlx-community"));
        let found = QUANT_SUFFIXES
            .iter()
            .find(|(suffix, _)| ends_with_words(&words, suffix))
            .map(|(suffix, quant)| (suffix.len(), *quant))
            .or_else(|| {
                let last = words.last().map(|w| w.1.to_ascii_lowercase())?;
                (mlx && MLX_SUFFIXES.contains(&last.as_str()))
                    .then_some((1, Quant::Unmodeled("MLX quantized")))
            });
        if let Some((n, quant)) = found {
            let cut = words[words.len() - n].0;
            let suffix = self.base[cut..].to_string();
            self.base = trim_separator(&self.base[..cut]).to_string();
            self.quant = Some((quant, suffix));
        }
    }

    /// `…-Q4_K_M` right before `-GGUF` or `.gguf`.
    fn take_trailing_ftype(&mut self) {
        let lower = self.base.to_ascii_lowercase();
        let mut ftypes = GgufFtype::ALL.to_vec();
        ftypes.sort_by_key(|f| std::cmp::Reverse(f.name().len()));
        for ftype in ftypes {
            let name = ftype.name().to_ascii_lowercase();
            let Some(head) = lower.strip_suffix(&name) else {
                continue;
            };
            if head.ends_with(['-', '_', '.']) {
                if self.ftype.is_none() {
                    self.ftype = Some(ftype);
                }
                self.base = trim_separator(&self.base[..head.len()]).to_string();
                let words = words(&self.base);
                if let [.., _, (start, w)] = words.as_slice() {
                    if w.eq_ignore_ascii_case(UNSLOTH_DYNAMIC) {
                        self.dynamic = true;
                        self.base = trim_separator(&self.base[..*start]).to_string();
                    }
                }
                return;
            }
        }
    }

    fn drop_release_suffix(&mut self) -> bool {
        let words = words(&self.base);
        let Some(&(start, last)) = words.last() else {
            return false;
        };
        let lower = last.to_ascii_lowercase();
        let date = last.len() == 4 && last.bytes().all(|b| b.is_ascii_digit());
        if words.len() < 2 || !(date || RELEASE_SUFFIXES.contains(&lower.as_str())) {
            return false;
        }
        self.dropped.push(format!("-{last}"));
        self.base = trim_separator(&self.base[..start]).to_string();
        true
    }

    fn is_gguf(&self) -> bool {
        matches!(self.quant, Some((Quant::Gguf, _))) || self.file.is_some()
    }

    fn resolved(self, model: &'static CatalogModel) -> Resolved {
        let gguf = self.is_gguf();
        let mut warning = None;
        let (format, holds) = if gguf {
            let (ftype, how) = match (self.ftype, &self.unknown_tag) {
                (Some(f), _) => (f, String::new()),
                (None, Some(tag)) => {
                    warning = Some(format!(
                        "'{tag}' is not a llama.cpp quant type; planned as Q4_K_M, the nearest common one"
                    ));
                    (GgufFtype::Q4_K_M, String::new())
                }
                (None, None) => {
                    let native = if model.family == "gpt-oss" {
                        GgufFtype::MXFP4_MOE
                    } else {
                        GgufFtype::Q4_K_M
                    };
                    (
                        native,
                        format!(
                            "; no quant type was named, so {} is assumed (add :Q5_K_M or a file name to choose)",
                            native.name()
                        ),
                    )
                }
            };
            if self.dynamic {
                warning = Some(format!(
                    "Unsloth dynamic (UD) quants keep some tensors above {}; planned as plain {}, so the estimate is a little low",
                    ftype.name(),
                    ftype.name()
                ));
            }
            let format = WeightFormat::Gguf { ftype };
            (Some(format), format!("GGUF {} weights{how}", ftype.name()))
        } else {
            match &self.quant {
                Some((Quant::Format(f), _)) => (Some(*f), format!("{} weights", holds(*f))),
                Some((Quant::Fp8, _)) => {
                    let block = model.family == "DeepSeek" || model.id.starts_with("qwen3");
                    let f = WeightFormat::Fp8 { block };
                    (Some(f), format!("{} weights", holds(f)))
                }
                Some((Quant::Unmodeled(what), suffix)) => {
                    warning = Some(format!(
                        "-{suffix} marks {what} weights, which vramfit does not model; planned with the engine's weight format"
                    ));
                    (None, format!("{what} weights"))
                }
                Some((Quant::Gguf, _)) | None => (None, String::new()),
            }
        };
        let mut how = Vec::new();
        if let Some(ns) = &self.namespace {
            how.push(format!("namespace '{ns}/' dropped"));
        }
        if let Some(prefix) = &self.org_prefix {
            how.push(format!("maker prefix '{prefix}' dropped"));
        }
        if let Some((_, suffix)) = &self.quant {
            how.push(format!("quantization suffix '{suffix}'"));
        }
        if !self.dropped.is_empty() {
            how.push(format!(
                "release suffix '{}' dropped",
                self.dropped.join("', '")
            ));
        }
        // How the name was read, when there is more to say than the name.
        let how = if how.is_empty() {
            String::new()
        } else {
            format!(" ({})", how.join("; "))
        };
        let rule = if holds.is_empty() {
            format!("{} is {}{how}", self.typed, model.name)
        } else {
            format!("{} holds {holds} of {}{how}", self.typed, model.name)
        };
        let load = match (&self.file, gguf) {
            (Some(file), _) => Some(file.clone()),
            (None, true) => None,
            (None, false) => self.typed.contains('/').then(|| self.typed.to_string()),
        };
        Resolved {
            model,
            format,
            rule: Some(rule),
            warning,
            load,
        }
    }
}

/// How a repo's weights are called where people talk about them.
fn holds(format: WeightFormat) -> String {
    match format {
        WeightFormat::Fp8 { block: false } => "FP8".into(),
        WeightFormat::Fp8 { block: true } => "FP8 (128×128 block scales)".into(),
        WeightFormat::Int8 => "INT8 (W8A8)".into(),
        WeightFormat::Bnb4 { .. } => "bitsandbytes NF4".into(),
        other => other.label(),
    }
}

/// An exact id or alias, or an alias's repo name without its namespace.
fn lookup(name: &str) -> Option<&'static CatalogModel> {
    if name.is_empty() {
        return None;
    }
    find_model(name).or_else(|| find_repo(&normalise(name)))
}

/// The words of `name` (split at `-`, `_`, `.`) with their byte offsets.
fn words(name: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, c) in name.char_indices() {
        if matches!(c, '-' | '_' | '.') {
            if i > start {
                out.push((start, &name[start..i]));
            }
            start = i + 1;
        }
    }
    if start < name.len() {
        out.push((start, &name[start..]));
    }
    out
}

fn ends_with_words(words: &[(usize, &str)], suffix: &[&str]) -> bool {
    words.len() > suffix.len()
        && words[words.len() - suffix.len()..]
            .iter()
            .zip(suffix)
            .all(|((_, w), s)| w.eq_ignore_ascii_case(s))
}

fn trim_separator(s: &str) -> &str {
    s.trim_end_matches(['-', '_', '.'])
}

/// `model-Q4_K_M-00001-of-00003` → `model-Q4_K_M`.
fn strip_shard(stem: &str) -> &str {
    let w = words(stem);
    let n = w.len();
    let shard = n >= 3
        && w[n - 2].1.eq_ignore_ascii_case("of")
        && [w[n - 3].1, w[n - 1].1]
            .iter()
            .all(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    if shard {
        trim_separator(&stem[..w[n - 3].0])
    } else {
        stem
    }
}

fn ftype_named(tag: &str) -> Option<GgufFtype> {
    let key = normalise(tag);
    GgufFtype::ALL
        .into_iter()
        .find(|f| normalise(f.name()) == key)
}

#[cfg(test)]
mod tests {
    use expect_test::{expect, Expect};

    use super::*;
    use crate::estimate::catalog::MODELS;

    /// Real repository names, one a line; `#` starts a comment.
    const NAMES: &str = include_str!("names/cases.txt");

    fn check(expected: Expect) {
        let mut table = String::new();
        for name in NAMES.lines().map(str::trim) {
            if name.is_empty() || name.starts_with('#') {
                continue;
            }
            let line = match resolve(name) {
                Ok(r) => format!(
                    "{name} → {} {}{}",
                    r.model.id,
                    r.format.map_or("-".to_string(), WeightFormat::id),
                    r.warning
                        .map(|w| format!(" [warning: {w}]"))
                        .unwrap_or_default()
                ),
                Err(e) => format!("{name} → error, closest {}", e.closest.join(", ")),
            };
            table.push_str(&line);
            table.push('\n');
        }
        expected.assert_eq(&table);
    }

    #[test]
    fn repository_names_resolve_to_a_model_and_the_format_they_hold() {
        check(expect![[r#"
            llama-3.1-8b → llama-3.1-8b -
            Qwen/Qwen3-30B-A3B-Instruct-2507 → qwen3-30b-a3b-2507 -
            meta-llama/Llama-4-Scout-17B-16E-Instruct → llama-4-scout -
            RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic → llama-3.1-8b fp8
            neuralmagic/Meta-Llama-3.1-70B-Instruct-FP8 → llama-3.1-70b fp8
            nvidia/Llama-3.1-8B-Instruct-FP8 → llama-3.1-8b fp8
            amd/Llama-3.1-70B-Instruct-FP8-KV → llama-3.1-70b fp8
            Qwen/Qwen3-8B-FP8 → qwen3-8b fp8-block
            Qwen/Qwen3-30B-A3B-Instruct-2507-FP8 → qwen3-30b-a3b-2507 fp8-block
            Qwen/Qwen3-Coder-480B-A35B-Instruct-FP8 → qwen3-coder-480b-a35b fp8-block
            deepseek-ai/DeepSeek-R1-Distill-Qwen-32B-FP8-dynamic → deepseek-r1-distill-qwen-32b fp8
            RedHatAI/Mistral-Small-3.1-24B-Instruct-2503-FP8-dynamic → mistral-small-3.1-24b fp8
            RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w8a8 → llama-3.1-8b int8
            neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w4a16 → llama-3.1-70b gptq-4bit-g128
            RedHatAI/Qwen3-8B-quantized.w4a16 → qwen3-8b gptq-4bit-g128
            Qwen/Qwen2.5-7B-Instruct-AWQ → qwen2.5-7b awq-4bit-g128
            Qwen/Qwen3-32B-AWQ → qwen3-32b awq-4bit-g128
            Qwen/Qwen2.5-72B-Instruct-GPTQ-Int4 → qwen2.5-72b gptq-4bit-g128
            Qwen/Qwen2.5-7B-Instruct-GPTQ-Int8 → qwen2.5-7b gptq-8bit-g128
            TheBloke/Llama-2-7B-Chat-GPTQ → llama-2-7b gptq-4bit-g128
            hugging-quants/Meta-Llama-3.1-8B-Instruct-AWQ-INT4 → llama-3.1-8b awq-4bit-g128
            unsloth/Llama-3.2-1B-Instruct-bnb-4bit → llama-3.2-1b nf4-dq
            unsloth/Qwen3-8B-unsloth-bnb-4bit → qwen3-8b nf4-dq
            unsloth/gemma-3-12b-it-bnb-4bit → gemma-3-12b nf4-dq
            unsloth/Qwen3-8B-GGUF → qwen3-8b q4_k_m
            unsloth/Qwen3-8B-GGUF:Q5_K_M → qwen3-8b q5_k_m
            unsloth/Qwen3-30B-A3B-Instruct-2507-GGUF:UD-Q4_K_XL → qwen3-30b-a3b-2507 q4_k_m [warning: 'UD-Q4_K_XL' is not a llama.cpp quant type; planned as Q4_K_M, the nearest common one]
            bartowski/Meta-Llama-3.1-8B-Instruct-GGUF → llama-3.1-8b q4_k_m
            bartowski/Qwen_Qwen3-14B-GGUF:Q6_K → qwen3-14b q6_k
            lmstudio-community/gemma-3-27b-it-GGUF → gemma-3-27b q4_k_m
            TheBloke/Llama-2-7B-Chat-GGUF → llama-2-7b q4_k_m
            google/gemma-3-4b-it-qat-q4_0-gguf → gemma-3-4b q4_0
            ggml-org/gpt-oss-20b-GGUF → gpt-oss-20b mxfp4_moe
            Qwen3-8B-Q5_K_M.gguf → qwen3-8b q5_k_m
            unsloth/DeepSeek-R1-GGUF/DeepSeek-R1-UD-IQ1_S-00001-of-00003.gguf → deepseek-r1 iq1_s [warning: Unsloth dynamic (UD) quants keep some tensors above IQ1_S; planned as plain IQ1_S, so the estimate is a little low]
            Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf → llama-3.1-8b q4_k_m
            mlx-community/Qwen3-8B-4bit → qwen3-8b - [warning: -4bit marks MLX quantized weights, which vramfit does not model; planned with the engine's weight format]
            mlx-community/Llama-3.2-3B-Instruct-MLX-4bit → llama-3.2-3b - [warning: -MLX-4bit marks MLX 4-bit weights, which vramfit does not model; planned with the engine's weight format]
            nvidia/DeepSeek-R1-FP4 → deepseek-r1 - [warning: -FP4 marks FP4 weights, which vramfit does not model; planned with the engine's weight format]
            microsoft/Phi-3.5-MoE-instruct → phi-3.5-moe -
            mixtral-8x7b-instruct → mixtral-8x7b -
            Qwen3-8B-Base → qwen3-8b -
            google/gemma-3-1b-it → gemma-3-1b -
            TheBloke/Mistral-7B-Instruct-v0.2-AWQ → error, closest mistral-7b-v0.1, mistral-large-2, mistral-nemo-12b
            meta-llama/Llama-3.1-8B-Instruct-abliterated → error, closest llava-1.6-mistral-7b, llama-3.1-8b, llama-3.2-11b-vision
            NousResearch/Hermes-3-Llama-3.1-8B → error, closest llama-3.1-8b, codellama-13b, codellama-34b
            Qwen/Qwen3-9B → error, closest qwen3-4b, qwen3-8b, qwen3-0.6b
            llama → error, closest llama-2-7b, glm-4.5, glm-4.6
        "#]]);
    }

    #[test]
    fn every_id_and_alias_resolves_to_its_own_model_without_a_rule() {
        for m in MODELS {
            for name in std::iter::once(m.id).chain(m.aliases.iter().copied()) {
                let r = resolve(name).unwrap();
                assert_eq!((r.model.id, r.rule), (m.id, None), "{name}");
            }
        }
    }

    #[test]
    fn alias_repo_names_belong_to_one_model_each() {
        for m in MODELS {
            for alias in m.aliases.iter().filter_map(|a| a.rsplit_once('/')) {
                let owner = lookup(alias.1).unwrap();
                assert_eq!(owner.id, m.id, "{}", alias.1);
            }
        }
    }

    #[test]
    fn the_rule_says_what_the_repo_holds() {
        let r = resolve("RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic").unwrap();
        assert_eq!(
            r.rule.unwrap(),
            "RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic holds FP8 weights of Llama 3.1 8B \
             (namespace 'RedHatAI/' dropped; quantization suffix 'FP8-dynamic')"
        );
        assert_eq!(
            r.load.as_deref(),
            Some("RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic")
        );
        let r = resolve("unsloth/Qwen3-8B-GGUF").unwrap();
        assert!(r
            .rule
            .unwrap()
            .contains("no quant type was named, so Q4_K_M is assumed"));
        assert_eq!(r.load, None);
    }

    #[test]
    fn an_unknown_name_lists_the_ids_nearest_its_stripped_form() {
        let err = resolve("TheBloke/Mistral-7B-Instruct-v0.2-AWQ").unwrap_err();
        assert_eq!(err.name, "TheBloke/Mistral-7B-Instruct-v0.2-AWQ");
        assert_eq!(err.closest[0], "mistral-7b-v0.1");
    }
}
