//! The GPU catalog: VRAM, memory bandwidth and fp16/bf16 tensor TFLOPS of
//! consumer, workstation and datacenter GPUs and Apple Silicon, from vendor
//! spec sheets (`gpus.json`, compiled in).
//!
//! GPU memory sizes are binary even where the box says "GB": an "80GB" H100
//! has 80 GiB of HBM and a "24GB" RTX 4090 24 GiB of GDDR6X, so catalog
//! memory is read as GiB. (A size the user types keeps its unit: `24GB` is
//! 24·10⁹ bytes, `24GiB` 24·2³⁰.)
//!
//! Apple Silicon shares memory with the CPU; macOS lets the GPU wire about
//! three quarters of it by default (two thirds below 64 GB), so such a
//! card's usable memory is its `usable_fraction` of the total.

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::super::estimate::format::normalise;
use crate::units::GIB;

/// One catalog card.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct Card {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub segment: String,
    /// Memory as the vendor states it (`24GB`, `80GB`, `128GB`).
    pub memory: String,
    pub bandwidth_gb_s: f64,
    pub fp16_tflops: Option<f64>,
    pub bf16_tflops: Option<f64>,
    pub aliases: Vec<String>,
    /// Apple Silicon: the share of unified memory the GPU may use.
    pub usable_fraction: Option<f64>,
}

impl Card {
    /// Total memory in bytes: the stated number of GiB.
    pub fn memory_bytes(&self) -> u64 {
        let number = self
            .memory
            .trim_end_matches(|c: char| c.is_ascii_alphabetic())
            .trim();
        number
            .parse::<f64>()
            .map_or(0, |gib| (gib * GIB as f64) as u64)
    }

    /// Memory a run may use: all of a discrete card's, the GPU's share of
    /// unified memory.
    pub fn usable_bytes(&self) -> u64 {
        let total = self.memory_bytes();
        match self.usable_fraction {
            Some(f) => (total as f64 * f) as u64,
            None => total,
        }
    }
}

/// Every catalog card, parsed once.
pub fn cards() -> &'static [Card] {
    static CARDS: OnceLock<Vec<Card>> = OnceLock::new();
    CARDS.get_or_init(|| serde_json::from_str(include_str!("gpus.json")).unwrap_or_default())
}

/// Finds a card by id, alias or full name, ignoring case and separators
/// (`rtx-4090`, `RTX 4090`, `4090`, `NVIDIA GeForce RTX 4090`).
pub fn find_card(name: &str) -> Option<&'static Card> {
    let key = normalise(name);
    if key.is_empty() {
        return None;
    }
    cards().iter().find(|c| {
        normalise(&c.id) == key
            || normalise(&c.name) == key
            || c.aliases.iter().any(|a| normalise(a) == key)
    })
}

/// The three card ids nearest to `name`, for "did you mean".
pub fn closest_cards(name: &str) -> Vec<&'static str> {
    let key = normalise(name);
    let mut scored: Vec<(usize, &'static str)> = cards()
        .iter()
        .map(|c| {
            let distance = std::iter::once(&c.id)
                .chain(&c.aliases)
                .map(|a| crate::estimate::catalog::edit_distance(&key, &normalise(a)))
                .min()
                .unwrap_or(usize::MAX);
            (distance, c.id.as_str())
        })
        .collect();
    scored.sort();
    scored.into_iter().take(3).map(|(_, id)| id).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_catalog_parses_and_covers_every_vendor() {
        let cards = cards();
        assert!(cards.len() >= 60, "{} cards", cards.len());
        for vendor in ["nvidia", "amd", "intel", "apple"] {
            assert!(cards.iter().any(|c| c.vendor == vendor), "{vendor}");
        }
        for c in cards {
            assert!(c.memory_bytes() > 0, "{}: memory {}", c.id, c.memory);
            assert!(c.bandwidth_gb_s > 0.0, "{}", c.id);
            assert_eq!(c.usable_fraction.is_some(), c.vendor == "apple", "{}", c.id);
        }
    }

    #[test]
    fn card_names_and_aliases_are_unique() {
        let mut keys: Vec<String> = cards()
            .iter()
            .flat_map(|c| std::iter::once(c.id.clone()).chain(c.aliases.iter().cloned()))
            .map(|k| normalise(&k))
            .collect();
        let n = keys.len();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), n);
    }

    #[test]
    fn cards_are_found_by_the_names_people_type() {
        for (typed, id) in [
            ("rtx-4090", "rtx-4090"),
            ("RTX 4090", "rtx-4090"),
            ("H100 SXM", "h100-sxm"),
        ] {
            assert_eq!(find_card(typed).map(|c| c.id.as_str()), Some(id), "{typed}");
        }
        let apple = cards().iter().find(|c| c.vendor == "apple").unwrap();
        assert!(apple.usable_bytes() < apple.memory_bytes());
    }
}
