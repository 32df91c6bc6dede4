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
//! three quarters of it by default (two thirds up to 36 GB), so such a
//! card's usable memory is Metal's working set ([`super::metal`]); its
//! `usable_fraction` states that share. On other systems on chip whose GPU
//! shares the system's memory (NVIDIA's GB10 in the DGX Spark) the
//! operating system holds part of the pool too: such a card's usable memory
//! is what CUDA reports free at startup on an idle system
//! (`unified_free_gib`), not the memory on the box.
//!
//! Prices are launch list prices, each with its date and source, the
//! defaults of [`crate::search::buy`]; a card without one is not bought.

use std::collections::HashMap;
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
    /// Dense FP8 and INT8 tensor rates (no sparsity), from the vendors'
    /// datasheets (NVIDIA Hopper/Ada/Blackwell, AMD CDNA 3/4); `None` where
    /// the card has no such units or the figure is not published.
    #[serde(default)]
    pub fp8_tflops: Option<f64>,
    #[serde(default)]
    pub int8_tops: Option<f64>,
    pub aliases: Vec<String>,
    /// Apple Silicon: the share of unified memory the GPU may use.
    pub usable_fraction: Option<f64>,
    /// A system on chip whose GPU shares the system's memory (DGX Spark):
    /// what CUDA reports free at startup on an idle, headless system, GiB —
    /// the operating system, its services and the firmware hold the rest
    /// of `cuda_total_gib`. What a run may use, and the most vLLM finds
    /// free at its startup check; tests/data/measured/unified_free.json has
    /// the measurements and URLs.
    #[serde(default)]
    pub unified_free_gib: Option<f64>,
    /// Total memory as CUDA reports it (`cudaMemGetInfo`, what vLLM
    /// multiplies by its utilisation), GiB, where a public log shows it:
    /// tests/data/measured/cuda_totals.json has the lines and URLs.
    #[serde(default)]
    pub cuda_total_gib: Option<f64>,
    /// The GPU-to-GPU link's total bandwidth as the vendor states it
    /// (NVLink on SXM/NVL boards, AMD's Infinity Fabric), GB/s both ways
    /// together; `None`: the cards talk over PCIe.
    #[serde(default)]
    pub link_gb_s: Option<f64>,
    /// The host link: PCIe generation and lanes (`None` on a system on chip).
    #[serde(default)]
    pub pcie_gen: Option<u8>,
    #[serde(default)]
    pub pcie_lanes: Option<u8>,
    /// The card's list price in US dollars: the vendor's launch MSRP
    /// (GeForce, Radeon, Arc; DGX Spark's system price for the GB10);
    /// `None` where no public source states one, as for datacenter cards,
    /// sold by quote, and Macs, whose price depends on the whole
    /// configuration. A default: `vramfit buy --prices` overrides it.
    #[serde(default)]
    pub price_usd: Option<f64>,
    /// When the source stated the price (`YYYY-MM-DD`).
    #[serde(default)]
    pub price_date: Option<String>,
    /// Where the price is stated (a URL).
    #[serde(default)]
    pub price_source: Option<String>,
}

impl Card {
    /// Bytes per second one way over PCIe, at the ~80 % of the link's
    /// rate a pinned copy or an NCCL ring reaches (PCIe 4.0 ×16: 25 GB/s);
    /// PCIe 4.0 ×16 when the card has no PCIe figure.
    pub fn pcie_bytes_per_s(&self) -> f64 {
        // 128b/130b-coded lanes: 0.985, 1.97, 3.94 GB/s per lane, gen 3/4/5.
        let per_lane = match self.pcie_gen.unwrap_or(4) {
            0..=3 => 0.985e9,
            4 => 1.969e9,
            _ => 3.938e9,
        };
        0.8 * per_lane * f64::from(self.pcie_lanes.unwrap_or(16))
    }

    /// Bytes per second one way between two of these cards: the GPU link's
    /// half (it is stated both ways), at NCCL's ~80 %, or PCIe.
    pub fn peer_bytes_per_s(&self) -> f64 {
        self.link_gb_s
            .map_or_else(|| self.pcie_bytes_per_s(), |l| 0.8 * l * 1e9 / 2.0)
    }

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

    /// Total memory as CUDA reports it, when known.
    pub fn cuda_total_bytes(&self) -> Option<u64> {
        self.cuda_total_gib.map(|gib| (gib * GIB as f64) as u64)
    }

    /// Memory a run may use: all of a discrete card's, the GPU's share of
    /// unified memory.
    pub fn usable_bytes(&self) -> u64 {
        let total = self.memory_bytes();
        match (self.usable_fraction, self.unified_free_gib) {
            (Some(_), _) => super::metal::working_set(total),
            (None, Some(free)) => (free * GIB as f64) as u64,
            (None, None) => total,
        }
    }
}

/// Every catalog card, parsed once.
pub fn cards() -> &'static [Card] {
    static CARDS: OnceLock<Vec<Card>> = OnceLock::new();
    CARDS.get_or_init(|| serde_json::from_str(include_str!("gpus.json")).unwrap_or_default())
}

/// Finds a card by id, alias or full name, ignoring case and separators
/// (`rtx-4090`, `RTX 4090`, `4090`, `NVIDIA GeForce RTX 4090`). The names
/// are normalised once, into an index: the searches look cards up for
/// every set they plan. Where two cards share a name the first listed wins.
pub fn find_card(name: &str) -> Option<&'static Card> {
    static INDEX: OnceLock<HashMap<String, usize>> = OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut index = HashMap::new();
        for (i, c) in cards().iter().enumerate() {
            for n in [&c.id, &c.name].into_iter().chain(&c.aliases) {
                index.entry(normalise(n)).or_insert(i);
            }
        }
        index
    });
    index.get(&normalise(name)).map(|&i| &cards()[i])
}

/// The GPU architecture of a card, as WebGPU adapters name them (Dawn's
/// `architecture` strings), derived from the card id.
pub fn architecture(card: &Card) -> &'static str {
    let id = card.id.as_str();
    let starts = |prefixes: &[&str]| prefixes.iter().any(|p| id.starts_with(p));
    match card.vendor.as_str() {
        "nvidia" if starts(&["rtx-30", "rtx-a", "a10", "a40", "a100"]) => "ampere",
        "nvidia"
            if starts(&[
                "rtx-40",
                "rtx-4000-ada",
                "rtx-5000-ada",
                "rtx-6000-ada",
                "l4",
                "l40",
            ]) =>
        {
            "lovelace"
        }
        "nvidia" if starts(&["h100", "h200", "h20", "gh200"]) => "hopper",
        "nvidia" if starts(&["rtx-50", "rtx-pro", "b200", "b300", "gb200", "gb10"]) => "blackwell",
        "nvidia" if starts(&["t4", "rtx-20"]) => "turing",
        "nvidia" if starts(&["p40", "p100"]) => "pascal",
        "nvidia" => "volta",
        "amd" if starts(&["radeon-vii"]) => "gcn-5",
        "amd" if starts(&["rx-5"]) => "rdna-1",
        "amd" if starts(&["rx-6"]) => "rdna-2",
        "amd" if starts(&["rx-7", "radeon-pro-w7", "radeon-780m"]) => "rdna-3",
        "amd" if starts(&["radeon-8060s"]) => "rdna-3.5",
        "amd" if starts(&["rx-9", "radeon-ai-pro-r9"]) => "rdna-4",
        "amd" if starts(&["mi100"]) => "cdna-1",
        "amd" if starts(&["mi2"]) => "cdna-2",
        "amd" if starts(&["mi30", "mi32"]) => "cdna-3",
        "amd" => "cdna-4",
        "intel" if starts(&["arc-a"]) => "xe-hpg",
        "intel" if starts(&["arc-b"]) => "xe2-hpg",
        "intel" if starts(&["arc-140v"]) => "xe2-lpg",
        "intel" => "xe-hpc",
        _ => "apple",
    }
}

/// Catalog cards a WebGPU adapter could be: by the device description when
/// the browser gives one (every word of the card's short name in it), else
/// by vendor and architecture. Browsers never reveal memory size, so this
/// is a hint for the user to confirm.
pub fn matching_cards(
    vendor: &str,
    architecture_hint: &str,
    description: &str,
) -> Vec<&'static Card> {
    let vendor = normalise(vendor);
    let description = description.to_ascii_lowercase();
    if !description.trim().is_empty() {
        let by_name: Vec<&Card> = cards()
            .iter()
            .filter(|c| {
                let short = c.name.to_ascii_lowercase();
                let words: Vec<&str> = short
                    .split_whitespace()
                    .filter(|w| w.chars().any(|ch| ch.is_ascii_digit()))
                    .collect();
                !words.is_empty() && words.iter().all(|w| description.contains(w))
            })
            .collect();
        if !by_name.is_empty() {
            return by_name;
        }
    }
    let arch = normalise(architecture_hint);
    cards()
        .iter()
        .filter(|c| {
            vendor.contains(&normalise(&c.vendor)) || normalise(&c.vendor).contains(&vendor)
        })
        .filter(|c| {
            // Apple reports Metal families rather than chip generations.
            let a = normalise(architecture(c));
            c.vendor == "apple" || arch.is_empty() || arch.contains(&a) || a.contains(&arch)
        })
        .collect()
}

/// The three card ids nearest to `name`, for "did you mean".
/// Discrete cards of `bytes` of memory, for a GPU given by size only (its
/// speed needs one of them): the stated size read as GiB or as GB (`24GB`
/// typed is 24·10⁹ bytes, a "24GB" card 24 GiB).
pub fn cards_with_memory(bytes: u64) -> impl Iterator<Item = &'static Card> {
    cards().iter().filter(move |c| {
        let gib = c.memory_bytes();
        let gb = gib / GIB * 1_000_000_000;
        c.segment != "soc" && (gib == bytes || gb == bytes)
    })
}

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
    fn links_between_cards_follow_the_catalog_s_nvlink_and_pcie_figures() {
        let rate = |id: &str| find_card(id).unwrap().peer_bytes_per_s();
        // H100 SXM: 900 GB/s NVLink both ways → 360 GB/s one way at 80 %.
        assert!((rate("h100-sxm") - 360e9).abs() < 1e6);
        // PCIe 4.0 ×16 ≈ 25 GB/s; the 4060's ×8 half that; 5.0 twice.
        assert!((rate("rtx-4090") - 25.2e9).abs() < 0.1e9);
        assert!((rate("rtx-4060") * 2.0 - rate("rtx-4090")).abs() < 1e6);
        assert!((rate("h100-pcie") - 2.0 * rate("rtx-4090")).abs() < 0.1e9);
        for c in cards() {
            if let (Some(f8), Some(f16)) = (c.fp8_tflops, c.bf16_tflops.or(c.fp16_tflops)) {
                assert!(f8 >= f16, "{}: FP8 {f8} below 16-bit {f16}", c.id);
            }
            assert!(c
                .link_gb_s
                .is_none_or(|l| l * 1e9 / 2.0 > c.pcie_bytes_per_s()));
            assert_eq!(c.pcie_gen.is_none(), c.segment == "soc", "{}", c.id);
        }
    }

    #[test]
    fn a_size_names_the_cards_that_have_it() {
        let names: Vec<&str> = cards_with_memory(24 * GIB).map(|c| c.id.as_str()).collect();
        assert!(
            names.contains(&"rtx-3090") && names.contains(&"rtx-4090"),
            "{names:?}"
        );
        assert_eq!(cards_with_memory(24_000_000_000).count(), names.len());
        assert!(names.iter().all(|n| !n.starts_with("apple")));
        assert_eq!(cards_with_memory(7 * GIB).count(), 0);
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
    fn webgpu_adapters_suggest_matching_cards() {
        let ids = |v: Vec<&Card>| v.iter().map(|c| c.id.clone()).collect::<Vec<_>>();
        assert_eq!(
            ids(matching_cards(
                "nvidia",
                "lovelace",
                "NVIDIA GeForce RTX 4090"
            )),
            ["rtx-4090"]
        );
        let ampere = ids(matching_cards("nvidia", "ampere", ""));
        assert!(
            ampere.contains(&"rtx-3090".to_string())
                && ampere.contains(&"a100-80gb-sxm".to_string())
        );
        assert!(!ampere.iter().any(|id| id.starts_with("rtx-40")));
        assert!(matching_cards("google", "swiftshader", "").is_empty());
        assert!(!matching_cards("apple", "metal-3", "").is_empty());
    }

    #[test]
    fn cards_added_for_the_benchmarks_have_their_own_architecture() {
        let arch = |id: &str| architecture(find_card(id).unwrap());
        for (id, want) in [
            ("rtx-2080-ti", "turing"),
            ("p40", "pascal"),
            ("gb10", "blackwell"),
            ("radeon-vii", "gcn-5"),
            ("rx-5700-xt", "rdna-1"),
            ("rx-6700-xt", "rdna-2"),
            ("radeon-780m", "rdna-3"),
            ("radeon-8060s", "rdna-3.5"),
            ("radeon-ai-pro-r9700", "rdna-4"),
            ("rx-9070", "rdna-4"),
            ("arc-140v", "xe2-lpg"),
            ("mi300x", "cdna-3"),
        ] {
            assert_eq!(arch(id), want, "{id}");
        }
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
