//! The GPU catalog against the GPUs published llama.cpp benchmarks ran on
//! (`data/measured/llama_bench.json`, each row with its URL): every device
//! string llama-bench printed names a catalog card of the row's vendor, and
//! an Apple string that states its GPU core count names that variant.

use std::collections::BTreeSet;

use vramfit::plan::gpus::find_card;

/// Each distinct (`gpu`, `platform`) pair of the benchmark rows.
fn benchmarked_gpus() -> BTreeSet<(String, String)> {
    let data: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/llama_bench.json")).unwrap();
    data["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| {
            let field = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            (field("gpu"), field("platform"))
        })
        .collect()
}

/// The catalog vendor of a row's platform (`nvidia_consumer` → `nvidia`).
fn vendor(platform: &str) -> &str {
    platform.split('_').next().unwrap_or_default()
}

/// The core count in `Apple M2 Ultra (76 GPU cores)`, when the string states one.
fn gpu_cores(name: &str) -> Option<u32> {
    let (_, tail) = name.split_once('(')?;
    tail.strip_suffix(" GPU cores)")?.parse().ok()
}

#[test]
fn every_benchmarked_gpu_names_a_card_of_its_vendor() {
    let gpus = benchmarked_gpus();
    assert!(gpus.len() >= 80, "only {} GPUs", gpus.len());
    let mut wrong = Vec::new();
    for (gpu, platform) in &gpus {
        match find_card(gpu) {
            None => wrong.push(format!("{gpu}: no card")),
            Some(card) if card.vendor != vendor(platform) => wrong.push(format!(
                "{gpu} ({platform}): {} is {}",
                card.id, card.vendor
            )),
            Some(_) => {}
        }
    }
    assert!(wrong.is_empty(), "{wrong:#?}");
}

#[test]
fn an_apple_gpu_core_count_picks_the_card_of_that_many_cores() {
    let mut checked = 0;
    for (gpu, _) in benchmarked_gpus() {
        let Some(cores) = gpu_cores(&gpu) else {
            continue;
        };
        let card = find_card(&gpu).unwrap_or_else(|| panic!("{gpu}: no card"));
        assert!(
            card.id.ends_with(&format!("-{cores}c"))
                || card.name.contains(&format!("{cores}-core")),
            "{gpu}: {} ({})",
            card.id,
            card.name
        );
        checked += 1;
    }
    assert!(checked >= 25, "only {checked} Apple core counts");
}
