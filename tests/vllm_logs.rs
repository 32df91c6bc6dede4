//! vLLM's startup accounting against startup logs people posted
//! (`data/measured/vllm_logs.json`, each run with its URL).

include!("data/vllm_runs.rs");

use vllm_runs::*;

#[test]
fn kv_pool_tokens_and_concurrency_follow_from_the_logged_kv_memory() {
    let checks: Vec<PoolCheck> = runs().iter().filter_map(pool_check).collect();
    for c in &checks {
        println!(
            "{:45} tokens {:?} logged {:?}  concurrency {:.3}–{:.3} logged {:?}",
            c.id, c.tokens, c.logged_tokens, c.concurrency.0, c.concurrency.1, c.logged_concurrency
        );
    }
    let wrong: Vec<&PoolCheck> = checks
        .iter()
        .filter(|c| !c.tokens_ok() || !c.concurrency_ok())
        .collect();
    assert!(checks.len() >= 5, "only {} runs to check", checks.len());
    assert!(
        wrong.is_empty(),
        "{} of {} wrong: {wrong:#?}",
        wrong.len(),
        checks.len()
    );
}

#[test]
fn budget_against_logs() {
    for b in runs().iter().filter_map(budget_check) {
        println!(
            "{:45} W {:.2} ({:?})  A {:.2} ({:?})  KV {:.2} ({:?})  T {} ({:?})",
            b.id,
            b.weights_gib,
            b.logged_weights_gib,
            b.activation_gib,
            b.logged_activation_gib,
            b.kv_gib,
            b.logged_kv_gib,
            b.tokens,
            b.logged_tokens
        );
    }
}

#[test]
fn catalog_cuda_totals_are_the_logged_ones() {
    let evidence: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/cuda_totals.json")).unwrap();
    let cards = evidence["cards"].as_array().unwrap();
    // Our own GPU measurement (the H200 the transformers bench ran on).
    let measured: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/transformers_gpu.json")).unwrap();
    let own = measured["gpu_total_bytes"].as_f64().unwrap() / (1u64 << 30) as f64;
    let mut checked = 0;
    for c in vramfit::plan::gpus::cards() {
        let Some(total) = c.cuda_total_gib else {
            continue;
        };
        // The card's number (4090, H100, L40S…) must be in the logged card's name.
        let key =
            c.id.split('-')
                .find(|w| w.chars().any(|ch| ch.is_ascii_digit()))
                .unwrap();
        let found = cards.iter().any(|e| {
            e["cuda_total_gib"].as_f64() == Some(total)
                && e["card"]
                    .as_str()
                    .is_some_and(|n| n.to_ascii_lowercase().contains(key))
                && (e["url"].as_str().is_some_and(|u| u.starts_with("https://"))
                    || (e["measured_in"] == "tests/data/measured/transformers_gpu.json"
                        && (own - total).abs() < 0.005))
        }) || runs()
            .iter()
            .any(|r| r.total_gib == Some(total) && r.gpu.to_ascii_lowercase().contains(key));
        assert!(found, "{}: {total} GiB has no logged source", c.id);
        checked += 1;
    }
    assert!(checked >= 10);
}

#[test]
fn the_image_budget_is_the_one_vllm_profiles_with() {
    let checks = vllm_mm::checks();
    for (id, ours, logged) in &checks {
        println!(
            "{id:50} ours {} tokens × {} of {} | logged {} tokens, {} {} item(s)",
            ours.budget, ours.items, ours.tokens_per_item, logged.0, logged.1, logged.2
        );
    }
    // Runs whose profile used images: the budget and the item count match.
    // (vLLM profiles the modality with the most tokens per item; video,
    // where the model takes it and the command leaves it on, is not modelled.)
    let images: Vec<_> = checks.iter().filter(|(_, _, l)| l.2 == "image").collect();
    assert!(!images.is_empty());
    for (id, ours, logged) in images {
        assert_eq!((ours.budget, ours.items), (logged.0, logged.1), "{id}");
    }
}
