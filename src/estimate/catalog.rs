//! The built-in model catalog: each model stored as its `config.json` fields.
//!
//! Adding a model is adding a config (a JSON file under `catalog/`) and its
//! row in `catalog/models.rs`; every
//! number vramfit shows for it is derived from that config. Lookup is by exact
//! id or alias, ignoring case and separators — never by substring — and an
//! unknown name is an error that lists the closest ids. The names are
//! normalised once, into an index built on the first lookup: pasted
//! commands try several spellings of each model name.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

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

mod models;

pub use models::MODELS;

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
    index()
        .names
        .get(&key)
        .copied()
        .ok_or_else(|| UnknownModel {
            name: name.to_string(),
            closest: closest_ids(&key),
        })
}

/// [`find`] without the error, whose closest ids cost an edit distance per
/// model: for callers that try several spellings.
pub(crate) fn find_model(name: &str) -> Option<&'static CatalogModel> {
    index().names.get(&normalise(name)).copied()
}

/// The model with an alias whose repo name (without its namespace)
/// normalises to `key`.
pub(crate) fn find_repo(key: &str) -> Option<&'static CatalogModel> {
    index().repos.get(key).copied()
}

/// Whether some alias lives under `namespace` (ignoring ASCII case).
pub(crate) fn is_namespace(namespace: &str) -> bool {
    index().namespaces.contains(&namespace.to_ascii_lowercase())
}

/// The three ids nearest to `key` by edit distance.
pub(crate) fn closest_ids(key: &str) -> Vec<&'static str> {
    let mut scored: Vec<(usize, &'static str)> = index()
        .ids
        .iter()
        .map(|(normal, id)| (edit_distance(key, normal), *id))
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

/// The catalog's names, normalised once. Where two models share a key the
/// first in [`MODELS`] keeps it, as a scan in order would find it.
struct Index {
    /// Ids and aliases.
    names: BTreeMap<String, &'static CatalogModel>,
    /// Aliases' repo names without their namespace.
    repos: BTreeMap<String, &'static CatalogModel>,
    /// Aliases' namespaces, ASCII lowercase.
    namespaces: BTreeSet<String>,
    /// Each id normalised, in catalog order.
    ids: Vec<(String, &'static str)>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = Index {
            names: BTreeMap::new(),
            repos: BTreeMap::new(),
            namespaces: BTreeSet::new(),
            ids: Vec::with_capacity(MODELS.len()),
        };
        for m in MODELS {
            index.ids.push((normalise(m.id), m.id));
            for name in std::iter::once(m.id).chain(m.aliases.iter().copied()) {
                index.names.entry(normalise(name)).or_insert(m);
            }
            for alias in m.aliases {
                if let Some((_, repo)) = alias.rsplit_once('/') {
                    index.repos.entry(normalise(repo)).or_insert(m);
                }
                if let Some((namespace, _)) = alias.split_once('/') {
                    index.namespaces.insert(namespace.to_ascii_lowercase());
                }
            }
        }
        index
    })
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
            let mut imported = m.load().unwrap_or_else(|e| panic!("{}: {e}", m.id));
            // Vision towers are counted by the vision-language reader, not here.
            imported
                .warnings
                .retain(|w| !w.ends_with("the vision tower is not counted"));
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
    fn every_id_and_alias_finds_its_own_model() {
        for m in MODELS {
            for name in std::iter::once(m.id).chain(m.aliases.iter().copied()) {
                assert_eq!(find(name).map(|f| f.id), Ok(m.id), "{name}");
            }
        }
    }

    #[test]
    fn ids_are_lowercase_slugs_and_families_come_from_one_list() {
        const FAMILIES: &[&str] = &[
            "Qwen",
            "Llama",
            "Gemma",
            "Mistral",
            "DeepSeek",
            "Kimi",
            "GLM",
            "Granite",
            "Phi",
            "Nemotron",
            "OLMo",
            "SmolLM",
            "Falcon",
            "Mamba",
            "Jamba",
            "LFM",
            "Command",
            "Hunyuan",
            "ERNIE",
            "EXAONE",
            "Seed",
            "dots",
            "StarCoder",
            "Pythia",
            "MiniMax",
            "gpt-oss",
            "T5",
            "BART",
            "BERT",
            "Zamba",
            "Bamba",
            "TinyLlama",
            "InternVL",
            "LLaVA",
            "SmolVLM",
            "Idefics",
            "PaliGemma",
        ];
        for m in MODELS {
            let slug = m
                .id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
            assert!(slug, "{}", m.id);
            assert!(FAMILIES.contains(&m.family), "{}: {}", m.id, m.family);
        }
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
