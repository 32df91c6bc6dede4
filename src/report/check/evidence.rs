//! Which catalog model a log is about when it does not print the whole
//! description: every fact it does print — hyperparameters, the loader's
//! keys, `offloaded 30/49 layers`, Ollama's `layers.model`, a cached
//! layer's K width, the logits buffer, expert tensors in overrides, the
//! weights' total size, the file's name — narrows the catalog, and the
//! models left are ranked by the architecture and name they share with it.

use super::*;
use crate::estimate::format::{GgufFtype, WeightFormat};
use crate::import::gguf::Value;

/// What a log shows of its model. `None`: not shown.
#[derive(Debug, Clone, Default, PartialEq)]
pub(super) struct Evidence {
    /// llama.cpp's architecture name (`qwen3moe`, `mistral3`).
    pub arch: Option<String>,
    pub n_layer: Option<u64>,
    /// At least this many layers (the highest `blk.N` named, plus one).
    pub min_layers: u64,
    pub n_embd: Option<u64>,
    pub n_head: Option<u64>,
    pub n_head_kv: Option<u64>,
    pub n_vocab: Option<u64>,
    /// The vocabulary's bounds from the logits buffer (`output buffer`:
    /// one f32 row per sequence, printed to 0.01 MiB).
    pub vocab_range: Option<(u64, u64)>,
    pub n_expert: Option<u64>,
    /// Expert tensors (`ffn_up_exps`) are named.
    pub moe: bool,
    /// (layer, K width) from the per-layer cache lines.
    pub kv_widths: Vec<(u64, u64)>,
    /// The K cache's bytes, its cells when printed and its type, from the
    /// one (global) cache's summary line.
    pub k_cache: Option<(u64, Option<u64>, crate::estimate::format::KvType)>,
    /// The weights' bytes in all (model buffers, or Ollama's estimate).
    pub weights_bytes: Option<u64>,
    pub ftype: Option<GgufFtype>,
    /// The file's path and `general.name` / `basename` / `size_label`,
    /// lower case.
    pub name: String,
}

/// A catalog model the evidence picks, or the ones it cannot tell apart.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Identified {
    One {
        id: &'static str,
        /// The file type whose size matched the logged weights (when the
        /// log does not name it).
        ftype: Option<GgufFtype>,
        /// What decided it, for the note.
        basis: Vec<&'static str>,
    },
    /// Several models fit the evidence equally (the first few, best first).
    Several(Vec<&'static str>),
    /// The evidence rules out every catalog model, or there is too little.
    Unknown,
}

/// The most the weights may differ from a candidate's size at the file
/// type (or the closest common one): logged buffers leave out nothing but
/// the few tensors llama.cpp skips, and Ollama's estimate is within a few
/// per cent of the file.
const SIZE_TOLERANCE: f64 = 0.12;

/// File types tried when the log does not name one and no model's size
/// is Q4_K_M's (the default of Ollama's library and most downloads, tried
/// first).
const COMMON_FTYPES: [GgufFtype; 12] = [
    GgufFtype::Q4_K_M,
    GgufFtype::Q4_0,
    GgufFtype::Q8_0,
    GgufFtype::F16,
    GgufFtype::BF16,
    GgufFtype::Q5_K_M,
    GgufFtype::Q6_K,
    GgufFtype::Q4_K_S,
    GgufFtype::Q3_K_M,
    GgufFtype::Q2_K,
    GgufFtype::IQ4_XS,
    GgufFtype::MXFP4_MOE,
];

impl Evidence {
    pub(super) fn of(log: &LlamaLog) -> Evidence {
        let meta_num = |suffix: &str| {
            log.metadata.iter().find_map(|(k, v)| match v {
                Value::Uint(n) if k.ends_with(suffix) => Some(*n),
                Value::Array { len, .. } if k.ends_with(suffix) => Some(*len),
                _ => None,
            })
        };
        let num = |key: &str, suffix: &str| {
            log.hparam(key)
                .and_then(|v| v.trim().parse::<u64>().ok())
                .or_else(|| meta_num(suffix))
        };
        let meta_str = |key: &str| {
            log.metadata.iter().find_map(|(k, v)| match v {
                Value::Str(t) if k == key => Some(t.clone()),
                _ => None,
            })
        };
        let s = &log.settings;
        // `offloaded 30/49 layers` and Ollama's `layers.model` count the
        // output as a layer.
        let n_layer = num("n_layer", ".block_count")
            .or(s.offload.map(|(_, total)| total.saturating_sub(1)))
            .or(log
                .ollama
                .as_ref()
                .and_then(|o| o.layers_model)
                .map(|n| n.saturating_sub(1)))
            .filter(|&n| n > 0);
        let blocks = s
            .tensor_overrides
            .iter()
            .map(|(name, _)| name.as_str())
            .chain(s.override_tensor.iter().map(String::as_str));
        let mut min_layers = 0;
        let mut moe = false;
        for name in blocks {
            if let Some(n) = name
                .strip_prefix("blk.")
                .and_then(|t| t.split('.').next())
                .and_then(|n| n.parse::<u64>().ok())
            {
                min_layers = min_layers.max(n + 1);
            }
            moe |= name.contains("_exps");
        }
        let mut kv_widths: Vec<(u64, u64)> =
            log.kv_widths.iter().map(|&(l, k, _)| (l, k)).collect();
        kv_widths.dedup();
        if let Some(&(last, _)) = kv_widths.iter().max() {
            min_layers = min_layers.max(last + 1);
        }
        // The logits buffer: n_vocab f32 per sequence, to 0.01 MiB.
        let n_seq = s.n_seq_max.unwrap_or(1).max(1);
        let vocab_range = log
            .buffers
            .iter()
            .find(|b| b.kind == BufferKind::Output && b.bytes > 0)
            .map(|b| {
                let slack = MIB / 200;
                let per = |bytes: u64| bytes / 4 / n_seq;
                (per(b.bytes.saturating_sub(slack)), per(b.bytes + slack))
            });
        // Only a single global cache: an iSWA model's two are not summed.
        let k_cache = match log.caches.as_slice() {
            [c] if !c.swa => c
                .k_bytes
                .zip(c.type_k.as_deref())
                .and_then(|(bytes, ty)| Some((bytes, c.cells, ty.parse().ok()?))),
            _ => None,
        };
        Evidence {
            k_cache,
            arch: log
                .hparam("arch")
                .map(str::to_string)
                .or_else(|| meta_str("general.architecture")),
            n_layer,
            min_layers,
            n_embd: num("n_embd", ".embedding_length"),
            n_head: num("n_head", ".attention.head_count"),
            n_head_kv: num("n_head_kv", ".attention.head_count_kv"),
            n_vocab: num("n_vocab", "tokenizer.ggml.tokens"),
            vocab_range,
            n_expert: num("n_expert", ".expert_count"),
            moe,
            kv_widths,
            weights_bytes: weights_bytes(log),
            ftype: log
                .hparam("file type")
                .and_then(llama_log::ftype_of_name)
                .or_else(|| s.model_path.as_deref().and_then(ftype_in_name)),
            name: [
                s.model_path.clone(),
                meta_str("general.name"),
                meta_str("general.basename"),
                meta_str("general.size_label"),
                meta_str("general.finetune"),
            ]
            .into_iter()
            .flatten()
            .map(|t| t.to_ascii_lowercase())
            .collect::<Vec<_>>()
            .join(" "),
        }
    }

    /// Enough to single out a model: a size in layers, width or bytes, or
    /// a cached layer's width with the vocabulary.
    fn is_enough(&self) -> bool {
        self.n_layer.is_some()
            || self.n_embd.is_some()
            || self.weights_bytes.is_some()
            || (!self.kv_widths.is_empty()
                && (self.vocab_range.is_some() || self.n_vocab.is_some()))
    }

    /// Whether the file's name has `part` of a catalog id as a word
    /// (`qwen3`, `30b`, `3.1`; not the `2` inside a hash).
    fn names(&self, part: &str) -> bool {
        self.name
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '.'))
            .any(|word| word == part || word.strip_suffix(".gguf") == Some(part))
    }

    /// Whether `spec` has every shape the log printed.
    fn admits(&self, spec: &crate::estimate::model::ModelSpec) -> bool {
        let Some(a) = spec.first_attention() else {
            return false;
        };
        let n_layer = spec.n_layer() as u64;
        let width = |layer: u64| {
            spec.layers
                .iter()
                .filter(|l| l.stack == crate::estimate::model::Stack::Decoder)
                .nth(layer as usize)
                .and_then(|l| l.attention)
                .and_then(|a| match a.kv {
                    crate::estimate::model::KvLayout::Heads {
                        n_head_kv,
                        head_dim_k,
                        ..
                    } => Some(n_head_kv * head_dim_k),
                    _ => None,
                })
        };
        self.n_layer.is_none_or(|n| n == n_layer)
            && n_layer >= self.min_layers
            && self.n_embd.is_none_or(|n| n == spec.n_embd)
            && self.n_head.is_none_or(|h| h == a.n_head)
            && self.n_head_kv.is_none_or(|h| h == a.n_head_kv())
            && self.n_vocab.is_none_or(|v| v == spec.n_vocab)
            && self
                .vocab_range
                .is_none_or(|(lo, hi)| (lo..=hi).contains(&spec.n_vocab))
            && self
                .n_expert
                .is_none_or(|e| e == spec.moe.map_or(0, |m| m.n_expert))
            && (!self.moe || spec.moe.is_some())
            && self.kv_widths.iter().all(|&(l, k)| width(l) == Some(k))
            && self.k_cache_fits(spec)
    }

    /// Whether the logged K cache is `spec`'s for a whole number of cells
    /// (a multiple of 32, the least llama.cpp ever padded the context to),
    /// or for the cells printed, to the 0.005 MiB the log rounds to.
    fn k_cache_fits(&self, spec: &crate::estimate::model::ModelSpec) -> bool {
        use crate::estimate::model::{KvLayout, Stack};
        let Some((bytes, cells, ty)) = self.k_cache else {
            return true;
        };
        if spec.llama_cpp_swa {
            return true;
        }
        let widths: Vec<u64> = spec
            .layers
            .iter()
            .filter(|l| l.stack == Stack::Decoder)
            .filter_map(|l| l.attention)
            .filter(|a| !a.shares_kv)
            .filter_map(|a| match a.kv {
                KvLayout::Heads {
                    n_head_kv,
                    head_dim_k,
                    ..
                } => Some(n_head_kv * head_dim_k),
                _ => None,
            })
            .collect();
        if widths.is_empty() {
            return true;
        }
        let at = |cells: u64| widths.iter().map(|&w| ty.bytes(w, cells)).sum::<u64>();
        let per_cell = at(32) / 32;
        if per_cell == 0 {
            return true;
        }
        let cells = cells.unwrap_or_else(|| (bytes + per_cell / 2) / per_cell);
        cells > 0
            && (cells % 32 == 0 || self.k_cache.is_some_and(|c| c.1.is_some()))
            && at(cells).abs_diff(bytes) <= MIB / 200
    }

    /// How far the logged weights are from `spec`'s at the file type (or
    /// the closest common one), as |ln ratio|, and that file type; `None`
    /// when no size was logged.
    fn size_error(
        &self,
        spec: &crate::estimate::model::ModelSpec,
        guesses: &[GgufFtype],
    ) -> Option<(f64, GgufFtype)> {
        let logged = self.weights_bytes? as f64;
        let tried: &[GgufFtype] = match &self.ftype {
            Some(f) => std::slice::from_ref(f),
            None => guesses,
        };
        tried
            .iter()
            .map(|&ftype| {
                let w = crate::estimate::weights::weight_bytes(spec, WeightFormat::Gguf { ftype });
                let text = w.file.saturating_sub(w.vision).max(1) as f64;
                ((logged / text).ln().abs(), ftype)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0))
    }
}

/// The weights' bytes in all: every device's model buffer once (a repacked
/// copy is not counted twice), else Ollama's `memory.weights.total`.
fn weights_bytes(log: &LlamaLog) -> Option<u64> {
    let mut per_device: Vec<(&str, u64)> = Vec::new();
    for b in log.buffers.iter().filter(|b| b.kind == BufferKind::Model) {
        if b.device.contains("REPACK") {
            continue;
        }
        match per_device.iter_mut().find(|(d, _)| *d == b.device) {
            Some(slot) => slot.1 = b.bytes,
            None => per_device.push((&b.device, b.bytes)),
        }
    }
    let buffers: u64 = per_device.iter().map(|(_, b)| b).sum();
    if buffers > 0 {
        return Some(buffers);
    }
    log.ollama.as_ref().and_then(|o| {
        o.memory
            .iter()
            .find(|(k, _)| k == "memory.weights.total")
            .and_then(|(_, v)| v.first().copied())
    })
}

/// A GGUF file type named in a file name (`…-Q4_K_M.gguf`, `q8_0`).
fn ftype_in_name(path: &str) -> Option<GgufFtype> {
    let upper = path.to_ascii_uppercase();
    let stem = upper.rsplit(['/', '\\']).next().unwrap_or(&upper);
    // Longest names first, so `Q4_K_M` is not read as `Q4_K`… or `Q4_0`.
    let mut all = GgufFtype::ALL;
    all.sort_by_key(|f| std::cmp::Reverse(f.name().len()));
    all.into_iter().find(|f| {
        let name = f.name();
        stem.match_indices(name).any(|(i, _)| {
            let before = stem[..i].chars().next_back();
            let after = stem[i + name.len()..].chars().next();
            let edge = |c: Option<char>| c.is_none_or(|c| !c.is_ascii_alphanumeric() && c != '_');
            edge(before) && edge(after)
        })
    })
}

/// The catalog model the log's evidence picks.
pub(super) fn identify(log: &LlamaLog) -> Identified {
    let e = Evidence::of(log);
    if !e.is_enough() {
        return Identified::Unknown;
    }
    let squash = |t: &str| t.to_ascii_lowercase().replace(['_', '-'], "");
    struct Candidate {
        id: &'static str,
        other_arch: bool,
        /// Parts of the id the file's name has, and has not.
        named: usize,
        unnamed: usize,
        size: Option<(f64, GgufFtype)>,
        vision: bool,
        params: u64,
    }
    // Each admitted model with its config's own `model_type` (a
    // vision-language model's, e.g. `mistral3`, beside its text model's).
    let specs: Vec<(&'static str, String, crate::estimate::model::ModelSpec)> =
        crate::estimate::catalog::MODELS
            .iter()
            .filter_map(|m| {
                let spec = m.load().ok()?.spec;
                e.admits(&spec).then_some(())?;
                let outer = serde_json::from_str::<serde_json::Value>(m.config)
                    .ok()
                    .and_then(|c| c["model_type"].as_str().map(str::to_string))
                    .unwrap_or_default();
                Some((m.id, outer, spec))
            })
            .collect();
    let fitting = |guesses: &[GgufFtype]| -> Vec<Candidate> {
        specs
            .iter()
            .filter_map(|(id, outer, spec)| {
                let size = e.size_error(spec, guesses);
                if size.is_some_and(|(err, _)| err > SIZE_TOLERANCE) {
                    return None;
                }
                Some(Candidate {
                    id,
                    other_arch: e.arch.as_ref().is_some_and(|a| {
                        squash(a) != squash(&spec.model_type) && squash(a) != squash(outer)
                    }),
                    named: id.split('-').filter(|part| e.names(part)).count(),
                    unnamed: id.split('-').filter(|part| !e.names(part)).count(),
                    size,
                    vision: spec.vision.is_some(),
                    params: spec.params().total,
                })
            })
            .collect()
    };
    let mut candidates = fitting(&[GgufFtype::Q4_K_M]);
    if candidates.is_empty() {
        candidates = fitting(&COMMON_FTYPES);
    }
    // The architecture and the name first (the most of the id named, then
    // the least left over), then the closest size (to the per cent), then a
    // text model before a vision one; catalog order last.
    let key = |c: &Candidate| {
        (
            c.other_arch,
            std::cmp::Reverse(c.named),
            if c.named > 0 { c.unnamed } else { 0 },
            c.size.map_or(0, |(err, _)| (err * 100.0).round() as u64),
            c.vision,
        )
    };
    // Of same-shape siblings, the plainest id (the original release).
    candidates.sort_by_key(|c| (key(c), c.id.split('-').count()));
    let Some(best) = candidates.first() else {
        return Identified::Unknown;
    };
    // Models tied with the best that are not the same shapes (a same-shape
    // sibling — an Instruct or a later release — plans identically).
    let rivals: Vec<&Candidate> = candidates
        .iter()
        .skip(1)
        .filter(|c| key(c) == key(best) && c.params != best.params)
        .collect();
    if !rivals.is_empty() {
        return Identified::Several(
            std::iter::once(best)
                .chain(rivals)
                .take(6)
                .map(|c| c.id)
                .collect(),
        );
    }
    let mut basis = Vec::new();
    if e.arch.is_some() && !best.other_arch {
        basis.push("architecture");
    }
    if e.n_layer.is_some() {
        basis.push("layers");
    }
    if e.n_embd.is_some() || e.n_head.is_some() || !e.kv_widths.is_empty() {
        basis.push("widths");
    }
    if e.vocab_range.is_some() || e.n_vocab.is_some() {
        basis.push("vocabulary");
    }
    if best.size.is_some() {
        basis.push("weights' size");
    }
    if best.named > 0 {
        basis.push("file name");
    }
    Identified::One {
        id: best.id,
        ftype: best.size.map(|(_, f)| f).filter(|_| e.ftype.is_none()),
        basis,
    }
}

/// Formats a vLLM checkpoint's weights come in, tried against the logged
/// per-rank weights.
const VLLM_FORMATS: [WeightFormat; 5] = [
    WeightFormat::BF16,
    WeightFormat::Fp8 { block: false },
    WeightFormat::Int8,
    WeightFormat::Awq { group: 128 },
    WeightFormat::Mxfp4,
];

/// What a vLLM startup shows of its model: each rank's weights and KV
/// cache, the cache's tokens and their dtype.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct VllmEvidence {
    pub weights_bytes: u64,
    /// KV bytes per token on one rank, and how far off the printed
    /// (rounded) figures allow it to be.
    pub kv_per_token: f64,
    pub kv_slack: f64,
    pub kv_dtype_bytes: u64,
    pub tp: u64,
}

impl VllmEvidence {
    pub(super) fn of(log: &crate::import::vllm_log::VllmLog, tp: u64) -> Option<VllmEvidence> {
        let weights = log
            .first(|k| k.weights_bytes.or(k.weights_loaded_bytes))
            .filter(|&b| b > 0)? as u64;
        let kv = log.first(|k| k.kv_cache_bytes).filter(|&b| b > 0)? as f64;
        let block = u64::from(log.settings.block_size.unwrap_or(16));
        let tokens = log
            .first(|k| k.kv_cache_tokens)
            .or_else(|| log.first(|k| k.num_gpu_blocks).map(|b| b * block))
            .filter(|&t| t > 0)? as f64;
        let fp8 = log
            .settings
            .kv_cache_dtype
            .as_deref()
            .is_some_and(|d| d.starts_with("fp8"));
        Some(VllmEvidence {
            weights_bytes: weights,
            kv_per_token: kv / tokens,
            // GiB printed to 0.01, tokens to a block.
            kv_slack: (0.006 * (1u64 << 30) as f64) / tokens + kv / tokens * 0.01,
            kv_dtype_bytes: if fp8 { 1 } else { 2 },
            tp: tp.max(1),
        })
    }

    /// `spec`'s KV bytes per token on one rank: every layer global self-
    /// or cross-attention (else `None`: vLLM's hybrid allocator sizes
    /// differently).
    fn kv_per_token(&self, spec: &crate::estimate::model::ModelSpec) -> Option<f64> {
        use crate::estimate::model::{KvLayout, Stack};
        let mut bytes = 0u64;
        for l in spec.layers.iter().filter(|l| l.stack == Stack::Decoder) {
            // A cross-attention layer's cache is allocated per token too.
            let a = l.attention.or(l.cross_attention)?;
            if l.recurrent.is_some() || a.window_len().is_some() {
                return None;
            }
            if a.shares_kv {
                continue;
            }
            bytes += match a.kv {
                KvLayout::Heads {
                    n_head_kv,
                    head_dim_k,
                    head_dim_v,
                } => (n_head_kv / self.tp).max(1) * (head_dim_k + head_dim_v),
                KvLayout::Latent { .. } | KvLayout::SharedKv { .. } => return None,
            } * self.kv_dtype_bytes;
        }
        Some(bytes as f64)
    }
}

/// The catalog model a vLLM startup's per-rank weights and KV cache fit,
/// and the format its weights' size matched.
pub(super) fn identify_vllm(e: &VllmEvidence) -> (Identified, Option<WeightFormat>) {
    let specs: Vec<(&'static str, crate::estimate::model::ModelSpec)> =
        crate::estimate::catalog::MODELS
            .iter()
            .filter_map(|m| Some((m.id, m.load().ok()?.spec)))
            .filter(|(_, spec)| {
                e.kv_per_token(spec)
                    .is_some_and(|kv| (kv - e.kv_per_token).abs() <= e.kv_slack)
            })
            .collect();
    // BF16 checkpoints first (most of what vLLM serves), then the rest.
    let mut fits = fitting_vllm(e, &specs, &VLLM_FORMATS[..1]);
    if fits.is_empty() {
        fits = fitting_vllm(e, &specs, &VLLM_FORMATS);
    }
    // The closest weights first; of same-size siblings the plainest id.
    fits.sort_by(|a, b| {
        ((a.3 * 100.0).round() as u64, a.0.split('-').count())
            .cmp(&((b.3 * 100.0).round() as u64, b.0.split('-').count()))
    });
    let Some(&(id, params, format, err)) = fits.first() else {
        return (Identified::Unknown, None);
    };
    let tied: Vec<&'static str> = fits
        .iter()
        .filter(|c| (c.3 * 100.0).round() == (err * 100.0).round() && c.1 != params)
        .map(|c| c.0)
        .collect();
    if !tied.is_empty() {
        return (
            Identified::Several(std::iter::once(id).chain(tied).take(6).collect()),
            None,
        );
    }
    (
        Identified::One {
            id,
            ftype: None,
            basis: vec!["KV cache per token", "weights' size"],
        },
        Some(format),
    )
}

/// The admitted models whose weights per rank fit in one of `formats`:
/// (id, parameters, format, |ln ratio|).
fn fitting_vllm(
    e: &VllmEvidence,
    specs: &[(&'static str, crate::estimate::model::ModelSpec)],
    formats: &[WeightFormat],
) -> Vec<(&'static str, u64, WeightFormat, f64)> {
    let mut fits = Vec::new();
    for (id, spec) in specs {
        let best = formats
            .iter()
            .map(|&f| {
                let w = crate::estimate::weights::weight_bytes(spec, f);
                let per_rank = w.file.div_ceil(e.tp).max(1) as f64;
                ((e.weights_bytes as f64 / per_rank).ln().abs(), f)
            })
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((err, f)) = best.filter(|(err, _)| *err <= SIZE_TOLERANCE) {
            fits.push((*id, spec.params().total, f, err));
        }
    }
    fits
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identify_text(text: &str) -> Identified {
        identify(&llama_log::parse(text))
    }

    #[test]
    fn a_file_type_is_found_in_a_file_name_only_whole() {
        assert_eq!(
            ftype_in_name("C:\\m\\Qwen3-30B-A3B-Q4_K_M.gguf"),
            Some(GgufFtype::Q4_K_M)
        );
        assert_eq!(
            ftype_in_name("/models/llama-2-7b.q8_0.gguf"),
            Some(GgufFtype::Q8_0)
        );
        assert_eq!(ftype_in_name("gpt-oss-20b-mxfp4.gguf"), None);
        assert_eq!(ftype_in_name("sha256-4cd576d9aa16"), None);
    }

    #[test]
    fn layers_and_weights_size_single_out_a_model_and_its_file_type() {
        // Ollama's estimate for an 80-layer model of 40.7 GiB: a 70B Llama
        // at Q4_K_M (Qwen2.5-72B, also 80 layers, is 8 % bigger).
        let text = r#"time=2025-02-08T00:53:31.135Z level=INFO source=memory.go:356 msg="offload to cuda" layers.requested=-1 layers.model=81 layers.offload=81 layers.split=27,27,27 memory.weights.total="40.7 GiB""#;
        match identify_text(text) {
            Identified::One { id, ftype, basis } => {
                assert!(
                    id.starts_with("llama-3") || id.contains("llama-70b"),
                    "{id}"
                );
                assert_eq!(ftype, Some(GgufFtype::Q4_K_M));
                assert_eq!(basis, ["layers", "weights' size"]);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_layer_count_alone_names_several_models_and_nothing_names_none() {
        match identify_text("load_tensors: offloaded 33/33 layers to GPU") {
            Identified::Several(ids) => assert!(ids.len() > 1, "{ids:?}"),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            identify_text("llama_context: n_ctx = 4096"),
            Identified::Unknown
        );
        // Shapes no catalog model has.
        assert_eq!(
            identify_text("print_info: n_layer = 7\nprint_info: n_embd = 333"),
            Identified::Unknown
        );
    }

    #[test]
    fn expert_tensors_in_overrides_require_a_mixture_of_experts() {
        let text = "Tensor blk.93.ffn_up_exps.weight buffer type overriden to CUDA2\n\
                    load_tensors: offloaded 95/95 layers to GPU";
        match identify_text(text) {
            Identified::One { id, .. } => assert!(id.starts_with("qwen3-235b-a22b"), "{id}"),
            Identified::Several(ids) => assert!(ids.iter().all(|i| i.contains("235b")), "{ids:?}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_vllm_rank_s_kv_per_token_and_weights_single_out_a_model() {
        // Llama 3.1 8B in BF16 on one GPU: 32 layers × 8 KV heads × 128 ×
        // (K + V) × 2 bytes = 131072 bytes a token, 14.96 GiB of weights.
        let e = VllmEvidence {
            weights_bytes: (14.96 * (1u64 << 30) as f64) as u64,
            kv_per_token: 131072.0,
            kv_slack: 1000.0,
            kv_dtype_bytes: 2,
            tp: 1,
        };
        match identify_vllm(&e) {
            (Identified::One { id, .. }, Some(f)) => {
                assert_eq!((id, f), ("llama-3.1-8b", WeightFormat::BF16));
            }
            other => panic!("{other:?}"),
        }
        // The same shapes over two ranks: half the heads and weights each.
        let e = VllmEvidence {
            weights_bytes: e.weights_bytes / 2,
            kv_per_token: 65536.0,
            tp: 2,
            ..e
        };
        assert!(matches!(
            identify_vllm(&e).0,
            Identified::One {
                id: "llama-3.1-8b",
                ..
            }
        ));
        // A cache no model has.
        let e = VllmEvidence {
            kv_per_token: 12345.0,
            ..e
        };
        assert_eq!(identify_vllm(&e), (Identified::Unknown, None));
    }
}
