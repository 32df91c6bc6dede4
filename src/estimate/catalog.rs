//! The built-in model catalog: each model stored as its `config.json` fields.
//!
//! Adding a model is adding a config (a JSON file under `catalog/`); every
//! number vramfit shows for it is derived from that config. Lookup is by exact
//! id or alias, ignoring case and separators — never by substring — and an
//! unknown name is an error that lists the closest ids.

use thiserror::Error;

use super::format::normalise;
use crate::import::config::{parse_config, ConfigError, Imported};

/// One catalog model.
#[derive(Debug, Clone, Copy)]
pub struct CatalogModel {
    /// Stable id, used in URLs and on the command line.
    pub id: &'static str,
    /// Human-readable name.
    pub name: &'static str,
    pub family: &'static str,
    /// Other names people type (Hugging Face repo ids, short forms).
    pub aliases: &'static [&'static str],
    /// The model's `config.json`, as published.
    pub config: &'static str,
}

impl CatalogModel {
    /// Parses the stored config; the catalog's own tests prove this succeeds.
    pub fn load(&self) -> Result<Imported, ConfigError> {
        parse_config(self.config)
    }
}

macro_rules! model {
    ($id:literal, $name:literal, $family:literal, [$($alias:literal),*]) => {
        CatalogModel {
            id: $id,
            name: $name,
            family: $family,
            aliases: &[$($alias),*],
            config: include_str!(concat!("catalog/", $id, ".json")),
        }
    };
}

/// Every catalog model, in the order the UI lists them.
pub const MODELS: &[CatalogModel] = &[
    model!(
        "llama-3.1-8b",
        "Llama 3.1 8B",
        "Llama",
        [
            "meta-llama/Llama-3.1-8B",
            "meta-llama/Llama-3.1-8B-Instruct",
            "meta-llama/Meta-Llama-3.1-8B"
        ]
    ),
    model!(
        "llama-3.1-70b",
        "Llama 3.1 70B",
        "Llama",
        [
            "meta-llama/Llama-3.1-70B",
            "meta-llama/Llama-3.1-70B-Instruct"
        ]
    ),
    model!(
        "llama-3.1-405b",
        "Llama 3.1 405B",
        "Llama",
        [
            "meta-llama/Llama-3.1-405B",
            "meta-llama/Llama-3.1-405B-Instruct"
        ]
    ),
    model!(
        "llama-3.3-70b",
        "Llama 3.3 70B Instruct",
        "Llama",
        ["meta-llama/Llama-3.3-70B-Instruct"]
    ),
    model!(
        "llama-3.2-1b",
        "Llama 3.2 1B",
        "Llama",
        [
            "meta-llama/Llama-3.2-1B",
            "meta-llama/Llama-3.2-1B-Instruct"
        ]
    ),
    model!(
        "llama-3.2-3b",
        "Llama 3.2 3B",
        "Llama",
        [
            "meta-llama/Llama-3.2-3B",
            "meta-llama/Llama-3.2-3B-Instruct"
        ]
    ),
    model!(
        "llama-2-7b",
        "Llama 2 7B",
        "Llama",
        ["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-chat-hf"]
    ),
    model!(
        "llama-2-13b",
        "Llama 2 13B",
        "Llama",
        [
            "meta-llama/Llama-2-13b-hf",
            "meta-llama/Llama-2-13b-chat-hf"
        ]
    ),
    model!(
        "llama-2-70b",
        "Llama 2 70B",
        "Llama",
        [
            "meta-llama/Llama-2-70b-hf",
            "meta-llama/Llama-2-70b-chat-hf"
        ]
    ),
    model!(
        "tinyllama-1.1b",
        "TinyLlama 1.1B",
        "Llama",
        [
            "TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T",
            "tinyllama"
        ]
    ),
    model!(
        "mistral-7b-v0.1",
        "Mistral 7B v0.1",
        "Mistral",
        ["mistralai/Mistral-7B-v0.1", "mistral-7b"]
    ),
    model!(
        "mistral-nemo-12b",
        "Mistral NeMo 12B",
        "Mistral",
        [
            "mistralai/Mistral-Nemo-Base-2407",
            "mistralai/Mistral-Nemo-Instruct-2407"
        ]
    ),
    model!(
        "mistral-small-24b",
        "Mistral Small 24B (2501)",
        "Mistral",
        [
            "mistralai/Mistral-Small-24B-Base-2501",
            "mistralai/Mistral-Small-24B-Instruct-2501"
        ]
    ),
    model!(
        "mixtral-8x7b",
        "Mixtral 8x7B",
        "Mistral",
        [
            "mistralai/Mixtral-8x7B-v0.1",
            "mistralai/Mixtral-8x7B-Instruct-v0.1"
        ]
    ),
    model!(
        "mixtral-8x22b",
        "Mixtral 8x22B Instruct",
        "Mistral",
        ["mistralai/Mixtral-8x22B-Instruct-v0.1"]
    ),
    model!(
        "qwen2.5-0.5b",
        "Qwen2.5 0.5B",
        "Qwen",
        ["Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B-Instruct"]
    ),
    model!(
        "qwen2.5-1.5b",
        "Qwen2.5 1.5B",
        "Qwen",
        ["Qwen/Qwen2.5-1.5B", "Qwen/Qwen2.5-1.5B-Instruct"]
    ),
    model!(
        "qwen2.5-7b",
        "Qwen2.5 7B",
        "Qwen",
        ["Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"]
    ),
    model!(
        "qwen2.5-14b",
        "Qwen2.5 14B",
        "Qwen",
        ["Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"]
    ),
    model!(
        "qwen2.5-32b",
        "Qwen2.5 32B",
        "Qwen",
        ["Qwen/Qwen2.5-32B", "Qwen/Qwen2.5-32B-Instruct"]
    ),
    model!(
        "qwen2.5-72b",
        "Qwen2.5 72B",
        "Qwen",
        ["Qwen/Qwen2.5-72B", "Qwen/Qwen2.5-72B-Instruct"]
    ),
    model!(
        "qwen2-57b-a14b",
        "Qwen2 57B-A14B",
        "Qwen",
        ["Qwen/Qwen2-57B-A14B", "Qwen/Qwen2-57B-A14B-Instruct"]
    ),
    model!("qwen3-8b", "Qwen3 8B", "Qwen", ["Qwen/Qwen3-8B"]),
    model!("qwen3-32b", "Qwen3 32B", "Qwen", ["Qwen/Qwen3-32B"]),
    model!(
        "qwen3-30b-a3b",
        "Qwen3 30B-A3B",
        "Qwen",
        ["Qwen/Qwen3-30B-A3B"]
    ),
    model!(
        "qwen3-235b-a22b",
        "Qwen3 235B-A22B",
        "Qwen",
        ["Qwen/Qwen3-235B-A22B"]
    ),
    model!(
        "gemma-7b",
        "Gemma 7B",
        "Gemma",
        ["google/gemma-7b", "google/gemma-7b-it"]
    ),
    model!(
        "gemma-2-9b",
        "Gemma 2 9B",
        "Gemma",
        ["google/gemma-2-9b", "google/gemma-2-9b-it"]
    ),
    model!(
        "gemma-2-27b",
        "Gemma 2 27B",
        "Gemma",
        ["google/gemma-2-27b", "google/gemma-2-27b-it"]
    ),
    model!(
        "gemma-3-1b",
        "Gemma 3 1B",
        "Gemma",
        ["google/gemma-3-1b-it", "google/gemma-3-1b-pt"]
    ),
    model!(
        "gemma-3-27b",
        "Gemma 3 27B (text)",
        "Gemma",
        ["google/gemma-3-27b-it", "google/gemma-3-27b-pt"]
    ),
    model!(
        "phi-3-mini-4k",
        "Phi-3 mini 4k",
        "Phi",
        ["microsoft/Phi-3-mini-4k-instruct"]
    ),
    model!(
        "phi-3-medium-4k",
        "Phi-3 medium 4k",
        "Phi",
        ["microsoft/Phi-3-medium-4k-instruct"]
    ),
    model!("phi-4", "Phi-4", "Phi", ["microsoft/phi-4"]),
    model!(
        "deepseek-v2-lite",
        "DeepSeek-V2-Lite",
        "DeepSeek",
        [
            "deepseek-ai/DeepSeek-V2-Lite",
            "deepseek-ai/DeepSeek-V2-Lite-Chat"
        ]
    ),
    model!(
        "deepseek-v3",
        "DeepSeek-V3",
        "DeepSeek",
        ["deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-Base"]
    ),
    model!(
        "gpt-oss-20b",
        "gpt-oss 20B",
        "gpt-oss",
        ["openai/gpt-oss-20b"]
    ),
    model!(
        "gpt-oss-120b",
        "gpt-oss 120B",
        "gpt-oss",
        ["openai/gpt-oss-120b"]
    ),
    model!(
        "smollm2-135m",
        "SmolLM2 135M",
        "SmolLM",
        [
            "HuggingFaceTB/SmolLM2-135M",
            "HuggingFaceTB/SmolLM2-135M-Instruct"
        ]
    ),
    model!(
        "smollm2-1.7b",
        "SmolLM2 1.7B",
        "SmolLM",
        [
            "HuggingFaceTB/SmolLM2-1.7B",
            "HuggingFaceTB/SmolLM2-1.7B-Instruct"
        ]
    ),
    model!("t5-base", "T5 Base", "T5", ["google-t5/t5-base"]),
    model!("t5-large", "T5 Large", "T5", ["google-t5/t5-large"]),
    model!("flan-t5-xl", "FLAN-T5 XL", "T5", ["google/flan-t5-xl"]),
    model!("bart-large", "BART Large", "BART", ["facebook/bart-large"]),
    model!(
        "bert-base-uncased",
        "BERT base uncased",
        "BERT",
        ["google-bert/bert-base-uncased"]
    ),
    model!(
        "bert-large-uncased",
        "BERT large uncased",
        "BERT",
        ["google-bert/bert-large-uncased"]
    ),
];

/// The model a newcomer sees first.
pub const DEFAULT_MODEL: &str = "llama-3.1-8b";

/// A name that matches no catalog id or alias.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("no catalog model is called '{name}'; closest ids: {}", closest.join(", "))]
pub struct UnknownModel {
    pub name: String,
    pub closest: Vec<&'static str>,
}

/// Finds a model by exact id or alias, ignoring case and separators.
pub fn find(name: &str) -> Result<&'static CatalogModel, UnknownModel> {
    let key = normalise(name);
    MODELS
        .iter()
        .find(|m| normalise(m.id) == key || m.aliases.iter().any(|a| normalise(a) == key))
        .ok_or_else(|| UnknownModel {
            name: name.to_string(),
            closest: closest_ids(&key),
        })
}

/// The three ids nearest to `key` by edit distance.
fn closest_ids(key: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = MODELS
        .iter()
        .map(|m| (edit_distance(key, &normalise(m.id)), m.id))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// Levenshtein distance. Hand-written: a dozen lines, not worth a dependency.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substitution.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Exact parameter counts as the transformers model class reports them
    /// (unique parameters, tied embedding once, buffers excluded), from the
    /// published checkpoints.
    const REFERENCE_COUNTS: &[(&str, u64)] = &[
        ("llama-2-7b", 6_738_415_616),
        ("llama-2-13b", 13_015_864_320),
        ("llama-2-70b", 68_976_648_192),
        ("llama-3.1-8b", 8_030_261_248),
        ("llama-3.1-70b", 70_553_706_496),
        ("llama-3.1-405b", 405_853_388_800),
        ("mistral-7b-v0.1", 7_241_732_096),
        ("qwen2.5-7b", 7_615_616_512),
        ("qwen2.5-72b", 72_706_203_648),
        ("qwen2.5-0.5b", 494_032_768),
        ("tinyllama-1.1b", 1_100_048_384),
    ];

    #[test]
    fn catalog_parameter_counts_are_exact() {
        for (id, expected) in REFERENCE_COUNTS {
            let spec = find(id).unwrap().load().unwrap().spec;
            assert_eq!(spec.params().total, *expected, "{id}");
        }
    }

    #[test]
    fn every_catalog_config_parses_without_warnings() {
        for m in MODELS {
            let imported = m.load().unwrap_or_else(|e| panic!("{}: {e}", m.id));
            assert!(
                imported.warnings.is_empty(),
                "{}: {:?}",
                m.id,
                imported.warnings
            );
        }
    }

    #[test]
    fn lookup_is_exact_never_by_substring() {
        assert_eq!(find("Meta-Llama/LLAMA-3.1-8b").unwrap().id, "llama-3.1-8b");
        assert_eq!(find("llama2_7b").unwrap().id, "llama-2-7b");
        // The original tool turned this into Llama-2-7B by substring match.
        let err = find("mixtral-8x7b-instruct").unwrap_err();
        assert_eq!(err.closest.len(), 3);
        assert!(err
            .to_string()
            .starts_with("no catalog model is called 'mixtral-8x7b-instruct'"));
    }

    #[test]
    fn ids_and_aliases_are_unique() {
        let mut keys: Vec<String> = MODELS
            .iter()
            .flat_map(|m| std::iter::once(m.id).chain(m.aliases.iter().copied()))
            .map(normalise)
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }
}
