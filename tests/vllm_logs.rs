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

/// A unified-memory card's usable memory is what CUDA was seen to leave
/// free at startup on an idle, headless system, with its source.
#[test]
fn unified_memory_cards_use_what_was_logged_free_at_startup() {
    let evidence: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/unified_free.json")).unwrap();
    let mut checked = 0;
    for c in vramfit::plan::gpus::cards() {
        let Some(free) = c.unified_free_gib else {
            continue;
        };
        let source = evidence["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["card"] == c.id.as_str() && e["used"] == true)
            .unwrap_or_else(|| panic!("{}: no measurement", c.id));
        assert_eq!(source["free_gib_max"].as_f64(), Some(free), "{}", c.id);
        assert_eq!(source["total_gib"].as_f64(), c.cuda_total_gib, "{}", c.id);
        assert!(source["url"].as_str().unwrap().starts_with("https://"));
        assert_eq!(c.usable_bytes(), (free * (1u64 << 30) as f64) as u64);
        checked += 1;
    }
    assert!(checked >= 1);
}

/// On a DGX Spark vLLM's default share (0.9 of 121.69 GiB) is more than the
/// system leaves free, so vLLM stops at startup — as the thread's 0.87 did —
/// and the way out is the share that is free; llama.cpp gets what is free.
#[test]
fn vllm_on_a_dgx_spark_stops_at_the_default_share_and_runs_at_what_is_free() {
    use vramfit::report::{report, Request};
    let mut run = Request {
        model: "llama-3.1-70b".into(),
        gpus: "gb10".into(),
        ..Request::default()
    };
    run.set_engine("vllm");
    run.weights = "fp8".into();
    for (util, fits) in [("", false), ("0.87", false), ("0.83", true)] {
        let r = report(&Request {
            util: util.into(),
            ..run.clone()
        })
        .unwrap();
        assert_eq!(r.fits, fits, "util {util:?}");
    }
    let r = report(&run).unwrap();
    let error = r.vllm.as_ref().and_then(|v| v.error.clone()).unwrap();
    assert!(
        error.contains("Free memory on device (101.56/121.69 GiB)"),
        "{error}"
    );
    // Missing: the budget over what is free; no context runs at this share.
    let missing = (0.9f64 * 121.69 - 101.56) * (1u64 << 30) as f64;
    assert!((r.shortfall_bytes as f64 - missing).abs() < 0.02 * (1u64 << 30) as f64);
    assert_eq!((r.max_context, r.max_batch), (None, None));
    assert!(r.sweep.iter().all(|row| row.max_context.is_none()));
    let lower = r
        .ways_out
        .iter()
        .find(|w| w.label.starts_with("Lower --gpu-memory-utilization"))
        .unwrap();
    assert_eq!(
        lower.changes,
        vec![("util".to_string(), "0.83".to_string())]
    );
    let llama = report(&Request {
        model: "llama-3.1-70b".into(),
        gpus: "gb10".into(),
        ..Request::default()
    })
    .unwrap();
    assert_eq!(
        llama.devices[0].usable_bytes,
        (102.2 * (1u64 << 30) as f64) as u64
    );
    assert!(
        llama.memory_limit.contains("102.2 of 121.69 GiB"),
        "{}",
        llama.memory_limit
    );
}

/// What runs on a DGX Spark with vLLM: nothing at the default share, and
/// the note says why; at the share that is free, models do.
#[test]
fn what_runs_on_a_dgx_spark_with_vllm_says_why_nothing_does_at_the_default_share() {
    use vramfit::search::fit::{fit, FitRequest};
    let at = |util: &str| {
        let r = FitRequest::from_json(&serde_json::json!({
            "gpus": "gb10", "engine": "vllm", "util": util, "family": "Llama"
        }))
        .unwrap();
        fit(&r).unwrap()
    };
    let default = at("");
    assert!(default.entries.is_empty());
    assert!(
        default.notes[0].starts_with("vLLM stops at startup on these GPUs")
            && default.notes[0].ends_with("try util 0.83"),
        "{:?}",
        default.notes
    );
    assert!(!at("0.83").entries.is_empty());
}

/// vLLM stops if any of its workers fails the startup check. With another
/// process holding 4 GB of one RTX 4090, the plan runs on the GPUs that
/// pass it and says which it left out; its limits are those of the GPUs it
/// uses. With the tensor-parallel size fixed over both, nothing starts.
#[test]
fn vllm_leaves_out_a_gpu_where_it_would_stop_at_startup() {
    use vramfit::report::{report, Request};
    let run = |model: &str, weights: &str, gpus: &str, tp: &str| {
        let mut r = Request {
            model: model.into(),
            gpus: gpus.into(),
            weights: weights.into(),
            tp: tp.into(),
            ..Request::default()
        };
        r.set_engine("vllm");
        report(&r).unwrap()
    };
    let busy = run("llama-3.1-8b", "", "rtx-4090, rtx-4090:4GB", "");
    let alone = run("llama-3.1-8b", "", "rtx-4090", "");
    assert!(busy.fits);
    assert!(!busy.devices[1].used());
    assert_eq!(
        (busy.max_context, busy.max_batch),
        (alone.max_context, alone.max_batch)
    );
    assert!(busy.max_context < Some(131_072), "{:?}", busy.max_context);
    // Each sweep row is planned (and timed) on the GPU that starts, too.
    let rows = |r: &vramfit::report::Report| {
        r.sweep
            .iter()
            .map(|row| (row.batch, row.max_context, row.decode_tokens_per_s_total))
            .collect::<Vec<_>>()
    };
    assert_eq!(rows(&busy), rows(&alone));
    assert!(busy
        .sweep
        .iter()
        .all(|row| row.decode_tokens_per_s_total.is_some()));
    assert!(busy.commands["vllm"].starts_with("CUDA_VISIBLE_DEVICES=0 vllm serve"));
    let left_out = busy
        .warnings
        .iter()
        .find(|w| w.contains("is left out"))
        .unwrap();
    assert!(
        left_out.starts_with("GPU 1 (NVIDIA GeForce RTX 4090) is left out")
            && left_out.contains("2.00 GiB short")
            && left_out.ends_with("--gpu-memory-utilization 0.81 lets it in"),
        "{left_out}"
    );
    // Five cards, one busy: tensor parallel over the four that start.
    let five = run("llama-3.1-70b", "awq", "4xrtx-4090, rtx-4090:4GB", "");
    let four = run("llama-3.1-70b", "awq", "4xrtx-4090", "");
    assert!(five.commands["vllm"].contains("CUDA_VISIBLE_DEVICES=0,1,2,3 vllm serve"));
    assert!(five.commands["vllm"].contains("--tensor-parallel-size 4"));
    assert_eq!(five.max_context, four.max_context);
    // The user's tensor-parallel size spans the busy card: vLLM stops.
    let fixed = run("llama-3.1-8b", "", "rtx-4090, rtx-4090:4GB", "2");
    assert!(!fixed.fits);
    // Missing: the budget over what is free on the busy card, as vLLM's
    // error gives them (21.28 GiB, 19.28 of 23.64 GiB free).
    let error = fixed.vllm.as_ref().and_then(|v| v.error.clone()).unwrap();
    assert!(
        error.contains("(19.28/23.64 GiB)") && error.contains("21.28 GiB"),
        "{error}"
    );
    let gib = (1u64 << 30) as f64;
    assert!((fixed.shortfall_bytes as f64 / gib - 2.0).abs() < 0.01);
    assert_eq!((fixed.max_context, fixed.max_batch), (None, None));
    assert!(fixed.sweep.iter().all(|row| row.max_context.is_none()));
}

/// What runs on two RTX 4090s, one partly taken by another process, with
/// vLLM: what runs on the free one alone (vLLM leaves the other out), not
/// nothing.
#[test]
fn what_runs_with_vllm_when_one_gpu_would_stop_it_is_what_runs_on_the_others() {
    use vramfit::search::fit::{fit, FitRequest};
    let on = |gpus: &str| {
        let r = FitRequest::from_json(&serde_json::json!({
            "gpus": gpus, "engine": "vllm", "family": "Llama"
        }))
        .unwrap();
        let entries = fit(&r).unwrap().entries;
        entries
            .iter()
            .map(|e| {
                (
                    e.model.clone(),
                    e.weights.clone(),
                    e.limits.map(|l| l.max_context),
                )
            })
            .collect::<Vec<_>>()
    };
    let alone = on("rtx-4090");
    assert!(!alone.is_empty());
    assert_eq!(on("rtx-4090, rtx-4090:4GB"), alone);
}
