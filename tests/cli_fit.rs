//! `vramfit fit` as a person runs it: the built binary, its table grouped
//! by family, its JSON and its errors.

use serde_json::Value;

mod common;

fn fit(args: &[&str]) -> (bool, String, String) {
    common::vramfit("fit", args, "")
}

fn fit_json(args: &[&str]) -> Value {
    common::vramfit_json("fit", args)
}

#[test]
fn json_lists_model_and_weights_best_first_with_their_limits() {
    let r = fit_json(&["--gpu", "rtx-4090", "--family", "llama"]);
    let entries = r["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    let params: Vec<u64> = entries
        .iter()
        .map(|e| e["params"].as_u64().unwrap())
        .collect();
    assert!(params.windows(2).all(|p| p[0] >= p[1]), "{params:?}");
    for e in entries {
        assert_eq!(e["family"], "Llama");
        assert!(e["model"].is_string() && e["weights"].is_string(), "{e}");
        // Best formats are searched: a context and sequences, and a speed
        // on a catalog card.
        assert!(e["max_context"].as_u64().unwrap() >= 256, "{e}");
        assert!(e["max_batch"].as_u64().unwrap() >= 1, "{e}");
        assert!(e["decode_tokens_per_s"].as_f64().unwrap() > 0.0, "{e}");
    }
    // What opens an entry's plan: the shared request plus model and weights.
    assert_eq!(r["request"]["gpus"], "rtx-4090");
    assert_eq!(r["request"]["engine"], "llama.cpp");
    assert_eq!(r["request"]["model"], "");
}

#[test]
fn the_run_flags_are_plan_s() {
    let r = fit_json(&[
        "--gpu",
        "2x24GB",
        "--engine",
        "vllm",
        "--max-model-len",
        "16384",
        "--max-num-seqs",
        "4",
        "--kv",
        "fp8",
        "--gpu-memory-utilization",
        "0.85",
        "--moe",
        "dense",
        "--all-formats",
    ]);
    let q = &r["request"];
    assert_eq!(
        (
            &q["gpus"],
            &q["engine"],
            &q["ctx"],
            &q["batch"],
            &q["kv"],
            &q["util"]
        ),
        (
            &Value::from("2x24GB"),
            &Value::from("vllm"),
            &Value::from("16384"),
            &Value::from("4"),
            &Value::from("fp8"),
            &Value::from("0.85")
        )
    );
    let entries = r["entries"].as_array().unwrap();
    assert!(entries.iter().all(|e| e["moe"] == false));
    // Every format: some model is listed more than once.
    let models: std::collections::BTreeSet<&str> = entries
        .iter()
        .map(|e| e["model"].as_str().unwrap())
        .collect();
    assert!(models.len() < entries.len());
}

#[test]
fn the_table_groups_by_family() {
    let (ok, out, err) = fit(&["--gpu", "24GB", "--family", "Qwen"]);
    assert!(ok, "{err}");
    assert!(
        out.starts_with("on 24GB with llama.cpp, 8192 tokens × 1 sequence:"),
        "{out}"
    );
    assert!(out.contains("\nQwen\n"), "{out}");
    assert!(!out.contains("\nLlama\n"), "{out}");
    assert!(out.contains("Qwen3 8B"), "{out}");
}

#[test]
fn bad_flags_name_the_flag() {
    let (ok, _, err) = fit(&["--gpu", "banana"]);
    assert!(!ok);
    assert!(err.contains("--gpu"), "{err}");
    let (ok, _, err) = fit(&["--gpu", "24GB", "--moe", "sparse"]);
    assert!(!ok);
    assert!(
        err.contains("--moe") && err.contains("any, moe, dense"),
        "{err}"
    );
    let (ok, _, err) = fit(&["--gpu", "24GB", "--min-ctx", "lots"]);
    assert!(!ok);
    assert!(err.contains("--min-ctx"), "{err}");
    let (ok, _, err) = fit(&["--gpu", "rtx-4090", "--min-tps", "fast"]);
    assert!(!ok);
    assert!(
        err.contains("--min-tps") && err.contains("tokens per second"),
        "{err}"
    );
}

#[test]
fn a_minimum_speed_keeps_what_decodes_that_fast() {
    let r = fit_json(&["--gpu", "rtx-4090", "--family", "Qwen", "--min-tps", "60"]);
    let entries = r["entries"].as_array().unwrap();
    assert!(!entries.is_empty());
    for e in entries {
        assert!(e["decode_tokens_per_s"].as_f64().unwrap() >= 60.0, "{e}");
    }
    // On GPUs given by size there is no speed to meet: nothing, and why.
    let (ok, out, err) = fit(&["--gpu", "24GB", "--min-tps", "10"]);
    assert!(ok, "{err}");
    assert!(out.contains("0 models fit"), "{out}");
    assert!(out.contains("no known bandwidth"), "{out}");
}

#[test]
fn nothing_fitting_says_so() {
    let (ok, out, err) = fit(&["--gpu", "400MB"]);
    assert!(ok, "{err}");
    assert!(out.contains("0 models fit"), "{out}");
    assert!(out.contains("note: no catalog model fits"), "{out}");
}
