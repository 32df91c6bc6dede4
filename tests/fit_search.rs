//! `search::fit` against the planner: for each setup below, every catalog
//! model × every weight format the engine loads is listed exactly when
//! `report::report` says it fits (and, with `min_tps`, decodes at least
//! that fast; with `min_ctx`, reaches that context); the list is best
//! first; the filters keep what they say; bad input is an error, never a
//! panic.

use std::collections::BTreeSet;
use std::time::Instant;

use vramfit::estimate::catalog::MODELS;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::weights::weight_bytes;
use vramfit::estimate::WeightFormat;
use vramfit::plan::speed::plan_speed;
use vramfit::plan::split::plan;
use vramfit::report::{report, validate, Request};
use vramfit::search::fit::{
    applies, best_first, better_format, fit, limits, FitReport, FitRequest, RUN_FIELDS,
};

/// A fit request from `(field, value)` pairs.
fn request(fields: &[(&str, &str)]) -> FitRequest {
    let mut r = FitRequest::default();
    for (field, value) in fields {
        assert!(r.set(field, value.to_string()), "{field}");
    }
    r
}

fn run(fields: &[(&str, &str)]) -> FitReport {
    fit(&request(fields)).unwrap_or_else(|e| panic!("{fields:?}: {e}"))
}

/// Every `(model, weights)` the report says fits for `fields` and passes
/// its `family`, `min_tps` and `min_ctx` filters, over every catalog model
/// and every format the engine loads that is the model's own. The report's
/// verdict and speed are the plan of its validated request and that plan's
/// speed (`report::report` sets `fits` and `speed` from exactly these); the
/// full report would add searches and ways out that do not change them.
/// Its longest context is `limits`' (compared with the report's below).
fn fitting_by_report(fields: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    let given = |name: &str| fields.iter().find(|(f, _)| *f == name).map(|f| f.1);
    let family = given("family");
    let min_tps: Option<f64> = given("min_tps").map(|t| t.parse().unwrap());
    let min_ctx: Option<u64> = given("min_ctx").map(|t| t.parse().unwrap());
    let base = fit(&request(fields)).unwrap().request;
    let engine: Engine = base.engine.parse().unwrap();
    let mut fits = BTreeSet::new();
    for m in MODELS {
        if family.is_some_and(|f| !f.eq_ignore_ascii_case(m.family)) {
            continue;
        }
        let spec = m.load().unwrap().spec;
        for f in engine.weight_formats() {
            if !applies(&spec, f) {
                continue;
            }
            let r = Request {
                model: m.id.into(),
                weights: f.id(),
                ..base.clone()
            };
            let v = validate(&r).unwrap_or_else(|e| panic!("{} {}: {e}", m.id, f.id()));
            let p = plan(v.plan_request());
            if !p.fits {
                continue;
            }
            let speed =
                plan_speed(&v.spec, &p, &v.gpus, v.backend, &v.host).map(|s| s.decode_tokens_per_s);
            if min_tps.is_some_and(|min| speed.is_none_or(|s| s < min)) {
                continue;
            }
            if min_ctx.is_some_and(|min| limits(&r).unwrap().max_context.is_none_or(|c| c < min)) {
                continue;
            }
            fits.insert((m.id.to_string(), f.id()));
        }
    }
    fits
}

/// Lists every format with `fields` and checks it against the planner,
/// candidate by candidate; then that each model's entry in the default
/// list is its first (best) one there.
fn lists_exactly_what_fits(fields: &[(&str, &str)]) {
    let mut every = fields.to_vec();
    every.push(("formats", "all"));
    let all = run(&every);
    let listed: BTreeSet<(String, String)> = all
        .entries
        .iter()
        .map(|e| (e.model.clone(), e.weights.clone()))
        .collect();
    let expected = fitting_by_report(fields);
    let missing: Vec<_> = expected.difference(&listed).collect();
    let extra: Vec<_> = listed.difference(&expected).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "{fields:?}: missing {missing:?}, not fitting but listed {extra:?}"
    );
    let best = run(fields);
    let models: BTreeSet<&str> = all.entries.iter().map(|e| e.model.as_str()).collect();
    assert_eq!(best.entries.len(), models.len(), "{fields:?}");
    for e in &best.entries {
        let first = all.entries.iter().find(|a| a.model == e.model).unwrap();
        assert_eq!(first, e, "{fields:?}");
    }
}

// Sizes and catalog cards, one GPU and several, both main engines (vLLM
// with tensor parallelism), offload with host RAM.
#[test]
fn llama_cpp_on_8_gb_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "8GB")]);
}

#[test]
fn llama_cpp_on_24_gb_at_32k_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "24GB"), ("ctx", "32768")]);
}

#[test]
fn llama_cpp_on_two_rtx_4090_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "2xrtx-4090")]);
}

#[test]
fn llama_cpp_offloading_to_32_gb_of_host_ram_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "12GB"), ("offload", "on"), ("host_ram", "32GB")]);
}

#[test]
fn vllm_on_80_gb_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "80GB"), ("engine", "vllm")]);
}

#[test]
fn vllm_on_two_rtx_4090_with_four_sequences_lists_exactly_what_fits() {
    lists_exactly_what_fits(&[("gpus", "2xrtx-4090"), ("engine", "vllm"), ("batch", "4")]);
}

// With a minimum speed: what fits and decodes at least that fast, per
// sequence, at the requested sequences; with `formats=best`, each model's
// best format that does.
#[test]
fn llama_cpp_on_an_rtx_4090_at_50_tokens_per_second_lists_exactly_what_is_fast_enough() {
    lists_exactly_what_fits(&[("gpus", "rtx-4090"), ("min_tps", "50")]);
}

#[test]
fn vllm_on_two_rtx_4090_with_four_sequences_at_30_tokens_per_second_lists_exactly_what_is_fast_enough(
) {
    lists_exactly_what_fits(&[
        ("gpus", "2xrtx-4090"),
        ("engine", "vllm"),
        ("batch", "4"),
        ("min_tps", "30"),
    ]);
}

#[test]
fn offloading_at_8_tokens_per_second_lists_exactly_what_is_fast_enough() {
    lists_exactly_what_fits(&[
        ("gpus", "rtx-3060-12gb"),
        ("offload", "on"),
        ("host_ram", "32GB"),
        ("min_tps", "8"),
    ]);
}

#[test]
fn family_context_and_speed_filters_combine_exactly() {
    lists_exactly_what_fits(&[
        ("gpus", "rtx-4090"),
        ("family", "Qwen"),
        ("min_ctx", "32768"),
        ("min_tps", "40"),
    ]);
}

#[test]
fn a_minimum_speed_passes_over_a_model_s_best_format_when_it_is_too_slow() {
    let plain = run(&[("gpus", "rtx-4090"), ("family", "Qwen")]);
    let fast = run(&[("gpus", "rtx-4090"), ("family", "Qwen"), ("min_tps", "60")]);
    assert!(fast
        .entries
        .iter()
        .all(|e| e.decode_tokens_per_s >= Some(60.0)));
    // Where a model's best format is too slow, a smaller one is listed.
    let mut swapped = 0;
    for e in &fast.entries {
        let best = plain.entries.iter().find(|p| p.model == e.model).unwrap();
        if best.weights != e.weights {
            assert!(best.decode_tokens_per_s < Some(60.0), "{best:?}");
            assert!(best.bits_per_weight > e.bits_per_weight, "{best:?}");
            swapped += 1;
        }
    }
    assert!(swapped > 0, "{:?}", fast.entries);
}

#[test]
fn gpus_given_by_size_have_no_speed_to_meet_a_minimum() {
    let sized = run(&[("gpus", "24GB"), ("min_tps", "5")]);
    assert!(sized.entries.is_empty());
    assert_eq!(sized.notes.len(), 1, "{:?}", sized.notes);
    assert!(
        sized.notes[0].contains("no known bandwidth"),
        "{:?}",
        sized.notes
    );
    // With a card and a size, a plan that uses the size is left out.
    let fields = [("gpus", "rtx-4090, 24GB"), ("min_tps", "20")];
    lists_exactly_what_fits(&fields);
    let mixed = run(&fields);
    assert!(
        mixed.notes.iter().any(|n| n.contains("no known speed")),
        "{:?}",
        mixed.notes
    );
    // A minimum nothing reaches: an empty list with a note naming it.
    let none = run(&[("gpus", "rtx-3060-12gb"), ("min_tps", "5000")]);
    assert!(none.entries.is_empty());
    assert!(none.notes[0].contains("lower min_tps"), "{:?}", none.notes);
}

#[test]
fn mxfp4_on_a_dense_model_is_another_format_again() {
    // What `applies` leaves out is a duplicate: on a model without experts
    // MXFP4 is BF16 and GGUF MXFP4_MOE is Q8_0, byte for byte.
    let mxfp4_moe: WeightFormat = "mxfp4_moe".parse().unwrap();
    for m in MODELS {
        let spec = m.load().unwrap().spec;
        if spec.moe.is_some() {
            continue;
        }
        assert!(!applies(&spec, WeightFormat::Mxfp4) && !applies(&spec, mxfp4_moe));
        let bytes = |f: &str| weight_bytes(&spec, f.parse().unwrap());
        assert_eq!(bytes("mxfp4").layers, bytes("bf16").layers, "{}", m.id);
        assert_eq!(bytes("mxfp4").file, bytes("bf16").file, "{}", m.id);
        assert_eq!(bytes("mxfp4_moe").layers, bytes("q8_0").layers, "{}", m.id);
        assert_eq!(bytes("mxfp4_moe").file, bytes("q8_0").file, "{}", m.id);
    }
}

#[test]
fn entries_are_best_first_and_the_order_is_the_comparator_s() {
    let r = run(&[("gpus", "24GB"), ("formats", "all")]);
    assert!(r.entries.len() > 100);
    for pair in r.entries.windows(2) {
        assert!(best_first(&pair[0], &pair[1]).is_lt(), "{pair:?}");
        let (a, b) = (&pair[0], &pair[1]);
        assert!(a.params >= b.params);
        if a.model == b.model {
            assert!(better_format(a.bits_per_weight, b.bits_per_weight).is_le());
        }
    }
    // The largest model first; one model's formats from the most bits down.
    let first = &r.entries[0];
    assert!(r.entries.iter().all(|e| e.params <= first.params));
    let llama: Vec<&str> = r
        .entries
        .iter()
        .filter(|e| e.model == "llama-3.1-8b")
        .map(|e| e.weights.as_str())
        .collect();
    assert_eq!(llama.first(), Some(&"f16"), "{llama:?}");
    assert!(
        llama.contains(&"q4_k_m") && llama.ends_with(&["iq1_s"]),
        "{llama:?}"
    );
}

#[test]
fn the_comparator_puts_more_parameters_then_more_bits_then_longer_context_first() {
    let r = run(&[("gpus", "24GB"), ("formats", "all")]);
    let e = &r.entries[0];
    let with = |params: u64, bits: f64, ctx: Option<u64>| {
        let mut x = e.clone();
        x.params = params;
        x.bits_per_weight = bits;
        x.limits = Some(vramfit::search::fit::Limits {
            max_context: ctx,
            max_batch: Some(1),
        });
        x
    };
    let order = |a, b| best_first(&a, &b);
    assert!(order(with(8, 4.0, Some(1)), with(7, 16.0, Some(9))).is_lt());
    assert!(order(with(8, 4.5, Some(1)), with(8, 4.0, Some(9))).is_lt());
    // Past 16 bits nothing is gained: the smaller first.
    assert!(order(with(8, 16.0, Some(1)), with(8, 32.0, Some(9))).is_lt());
    assert!(order(with(8, 32.0, Some(1)), with(8, 8.5, Some(9))).is_lt());
    assert!(order(with(8, 4.0, Some(9)), with(8, 4.0, Some(1))).is_lt());
    assert!(order(with(8, 4.0, Some(256)), with(8, 4.0, None)).is_lt());
    let unsearched = vramfit::search::fit::FitEntry {
        limits: None,
        ..with(8, 4.0, None)
    };
    assert!(order(with(8, 4.0, None), unsearched).is_lt());
}

#[test]
fn limits_are_the_report_s_for_the_same_request() {
    for fields in [
        &[("gpus", "24GB"), ("formats", "all")][..],
        &[("gpus", "80GB"), ("engine", "vllm"), ("formats", "all")][..],
    ] {
        let r = run(fields);
        // Each model's best entry is searched; a few of each kind checked.
        let searched: Vec<_> = r.entries.iter().filter(|e| e.limits.is_some()).collect();
        let unsearched: Vec<_> = r.entries.iter().filter(|e| e.limits.is_none()).collect();
        assert!(!searched.is_empty() && !unsearched.is_empty());
        for e in searched
            .iter()
            .step_by(17)
            .chain(unsearched.iter().step_by(97))
        {
            let full = report(&r.request_for(e)).unwrap();
            assert!(full.fits, "{} {}", e.model, e.weights);
            let asked = limits(&r.request_for(e)).unwrap();
            assert_eq!(asked.max_context, full.max_context, "{}", e.model);
            assert_eq!(asked.max_batch, full.max_batch, "{}", e.model);
            if let Some(l) = e.limits {
                assert_eq!(l, asked, "{} {}", e.model, e.weights);
            }
            assert_eq!(e.weights_bytes, full.weights_bytes);
            assert_eq!(e.weights_label, full.weights_label);
            assert_eq!(e.offloaded, full.offload.any());
            assert_eq!(
                e.decode_tokens_per_s,
                full.speed.as_ref().map(|s| s.decode_tokens_per_s)
            );
        }
    }
}

#[test]
fn speed_is_given_for_catalog_cards_and_not_for_sizes() {
    let cards = run(&[("gpus", "rtx-4090")]);
    assert!(cards
        .entries
        .iter()
        .all(|e| e.decode_tokens_per_s.is_some()));
    let sizes = run(&[("gpus", "24GB")]);
    assert!(sizes
        .entries
        .iter()
        .all(|e| e.decode_tokens_per_s.is_none()));
}

#[test]
fn filters_keep_what_they_say() {
    let all = run(&[("gpus", "24GB")]);
    let qwen = run(&[("gpus", "24GB"), ("family", "qwen")]);
    assert!(!qwen.entries.is_empty());
    assert!(qwen.entries.iter().all(|e| e.family == "Qwen"));
    let kept: Vec<_> = all.entries.iter().filter(|e| e.family == "Qwen").collect();
    assert_eq!(qwen.entries.iter().collect::<Vec<_>>(), kept);

    let moe = run(&[("gpus", "24GB"), ("moe", "moe")]);
    let dense = run(&[("gpus", "24GB"), ("moe", "dense")]);
    assert!(moe.entries.iter().all(|e| e.moe) && !moe.entries.is_empty());
    assert!(dense.entries.iter().all(|e| !e.moe));
    assert_eq!(moe.entries.len() + dense.entries.len(), all.entries.len());

    // min_ctx: an entry's longest context reaches it, else a smaller
    // format of the model that does is listed instead, or nothing.
    let long = run(&[("gpus", "24GB"), ("family", "Qwen"), ("min_ctx", "65536")]);
    assert!(!long.entries.is_empty());
    for e in &long.entries {
        assert!(e.limits.unwrap().max_context.unwrap() >= 65536, "{e:?}");
    }
    let every = run(&[("gpus", "24GB"), ("family", "Qwen"), ("formats", "all")]);
    for e in &every.entries {
        let l = limits(&every.request_for(e)).unwrap();
        let reaches = l.max_context.is_some_and(|c| c >= 65536);
        let listed = long.entries.iter().any(|x| x.model == e.model);
        // A model is listed with min_ctx exactly when one of its formats reaches it.
        if reaches {
            assert!(listed, "{} {}", e.model, e.weights);
        }
    }
    for e in &long.entries {
        let better: Vec<_> = every
            .entries
            .iter()
            .filter(|x| x.model == e.model && best_first(x, e).is_lt() && x.weights != e.weights)
            .collect();
        for x in better {
            let l = limits(&every.request_for(x)).unwrap();
            assert!(
                l.max_context.is_none_or(|c| c < 65536),
                "{} {}",
                x.model,
                x.weights
            );
        }
    }
}

#[test]
fn nothing_fitting_is_an_empty_list_with_a_note() {
    let r = run(&[("gpus", "400MB")]);
    assert!(r.entries.is_empty());
    assert!(r.notes[0].contains("no catalog model"), "{:?}", r.notes);
}

#[test]
fn bad_input_is_an_error_on_its_field_never_a_panic() {
    let cases: &[(&str, &str, &str)] = &[
        ("gpus", "banana", "gpus"),
        ("gpus", "", "gpus"),
        ("gpus", "99999999x24GB", "gpus"),
        ("gpus", "-5GB", "gpus"),
        ("ctx", "0", "ctx"),
        ("ctx", "lots", "ctx"),
        ("ctx", "99999999999999999999999", "ctx"),
        ("batch", "-1", "batch"),
        ("engine", "tensorrt", "engine"),
        ("kv", "q4_0", "kv"),
        ("host_ram", "plenty", "host_ram"),
        ("offload", "maybe", "offload"),
        ("family", "Nonexistent", "family"),
        ("moe", "sparse", "moe"),
        ("min_ctx", "-3", "min_ctx"),
        ("min_tps", "fast", "min_tps"),
        ("min_tps", "-2", "min_tps"),
        ("formats", "some", "formats"),
    ];
    for (field, value, expected) in cases {
        let mut r = request(&[]);
        if *field == "kv" {
            r.set("engine", "vllm".into());
        }
        r.set(field, value.to_string());
        match fit(&r) {
            Err(e) => assert_eq!(e.field(), *expected, "{field}={value}: {e}"),
            Ok(_) => panic!("{field}={value} was accepted"),
        }
    }
    // The run's fields default as a plan's do; per-model ones are not fields.
    for field in RUN_FIELDS {
        assert_eq!(
            FitRequest::default().get(field),
            Request::default().get(field)
        );
    }
    assert!(!FitRequest::default().set("weights", "q4_k_m".into()));
    assert!(!FitRequest::default().set("model", "llama-3.1-8b".into()));
}

#[test]
fn json_input_uses_the_field_names() {
    let json = serde_json::json!({"gpus": ["rtx-4090", "rtx-3090"], "offload": false, "ctx": 16384, "family": "Llama", "formats": "best", "min_tps": 12.5});
    let r = FitRequest::from_json(&json).unwrap();
    assert_eq!(r.get("min_tps"), Some("12.5"));
    assert_eq!(r.get("gpus"), Some("rtx-4090, rtx-3090"));
    assert_eq!(r.get("ctx"), Some("16384"));
    assert_eq!(r.get("offload"), Some("off"));
    let listed = fit(&r).unwrap();
    assert!(listed.entries.iter().all(|e| e.family == "Llama"));
    assert!(listed
        .entries
        .iter()
        .all(|e| e.decode_tokens_per_s >= Some(12.5)));
    assert_eq!(listed.request.ctx, "16384");
    let bad = FitRequest::from_json(&serde_json::json!({"model": "llama-3.1-8b"}));
    assert!(bad.unwrap_err().contains("unknown field `model`"));
    assert!(FitRequest::from_json(&serde_json::json!([1, 2])).is_err());
    let out = serde_json::to_value(&listed).unwrap();
    let first = &out["entries"][0];
    for key in [
        "model",
        "weights",
        "family",
        "max_context",
        "max_batch",
        "params",
    ] {
        assert!(first.get(key).is_some(), "{key}: {first}");
    }
}

/// Not an assertion: how long the searches take here, printed (run it
/// alone with `--nocapture` for the first search's cost, which parses the
/// catalog; in release for what the app ships).
#[test]
fn timing() {
    for fields in [
        &[("gpus", "24GB")][..],
        &[("gpus", "2xrtx-4090")][..],
        &[("gpus", "80GB"), ("engine", "vllm")][..],
        &[("gpus", "24GB"), ("formats", "all")][..],
        &[("gpus", "rtx-4090")][..],
        &[("gpus", "rtx-4090"), ("min_tps", "50")][..],
        &[("gpus", "rtx-4090"), ("min_tps", "5000")][..],
        &[("gpus", "rtx-4090"), ("formats", "all"), ("min_tps", "50")][..],
    ] {
        let t = Instant::now();
        let first = run(fields);
        let cold = t.elapsed();
        let t = Instant::now();
        let r = run(fields);
        let warm = t.elapsed();
        assert_eq!(first, r);
        eprintln!(
            "{fields:?}: first {cold:.1?}, again {warm:.1?}: {} entries, {} considered, {} planned, {} pruned",
            r.entries.len(),
            r.considered,
            r.planned,
            r.pruned
        );
    }
}
