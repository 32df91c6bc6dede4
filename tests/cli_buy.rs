//! `vramfit buy` as a person runs it: the built binary, its table, its
//! JSON, a prices file from standard input, and its errors.

use serde_json::Value;

mod common;

fn buy(args: &[&str], stdin: &str) -> (bool, String, String) {
    common::vramfit("buy", args, stdin)
}

#[test]
fn the_table_lists_the_cheapest_sets_and_the_fronts() {
    let (ok, out, err) = buy(
        &["qwen2.5-14b", "--cards", "rtx-3090,rtx-4090", "--top", "2"],
        "",
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].starts_with("Qwen2.5 14B"), "{out}");
    assert!(
        lines[1].contains("price") && lines[1].contains("max ctx"),
        "{out}"
    );
    assert!(
        lines[2].contains("$1,499") && lines[2].contains("rtx-3090"),
        "{out}"
    );
    assert!(out.contains("price vs longest context"), "{out}");
    assert!(
        out.lines().last().unwrap().starts_with("searched:"),
        "{out}"
    );
}

#[test]
fn json_with_prices_from_stdin_and_renting() {
    let (ok, out, err) = buy(
        &[
            "qwen2.5-14b",
            "--cards",
            "rtx-3090",
            "--prices",
            "-",
            "--json",
            "--top",
            "1",
        ],
        r#"{"rtx-3090": 650}"#,
    );
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mode"], "buy");
    assert_eq!(r["options"][0]["gpus"][0], "rtx-3090");
    assert_eq!(r["options"][0]["price"], 650.0);
    assert_eq!(r["options"][0]["fits"], true);
    let (ok, out, err) = buy(&["llama-3.1-8b", "--rent", "--json", "--top", "1"], "");
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["mode"], "rent");
    assert!(
        r["options"][0]["usd_per_hour"].as_f64().unwrap() > 0.0,
        "{out}"
    );
    assert!(r["options"][0]["instance"].is_string(), "{out}");
}

#[test]
fn bad_values_are_errors_naming_their_flag() {
    for (args, flag) in [
        (vec!["llama-3.1-8b", "--max-gpus", "0"], "--max-gpus"),
        (vec!["llama-3.1-8b", "--cards", "rtx-9999"], "--cards"),
        (
            vec!["llama-3.1-8b", "--same-vendor", "sometimes"],
            "--same-vendor",
        ),
        (vec!["no-such-model-xyz"], "MODEL"),
        (vec!["llama-3.1-8b", "--min-tps", "fast"], "--min-tps"),
        (vec!["llama-3.1-8b", "--rank", "usd-per-mtok"], "--rank"),
        (vec!["llama-3.1-8b", "--rent", "--rank", "speed"], "--rank"),
    ] {
        let (ok, _, err) = buy(&args, "");
        assert!(!ok, "{args:?} was accepted");
        assert!(err.contains(flag), "{args:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let (ok, _, err) = buy(&["llama-3.1-8b", "--prices", "-"], "{not json");
    assert!(!ok);
    assert!(err.contains("--prices"), "{err}");
}

#[test]
fn a_minimum_speed_and_renting_per_token() {
    let (ok, out, err) = buy(
        &[
            "qwen2.5-14b",
            "--weights",
            "q4_k_m",
            "--max-gpus",
            "2",
            "--min-tps",
            "70",
            "--json",
        ],
        "",
    );
    assert!(ok, "{err}");
    let r: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(r["min_tps"], 70.0);
    let options = r["options"].as_array().unwrap();
    assert!(!options.is_empty(), "{out}");
    for o in options {
        assert!(o["decode_tokens_per_s"].as_f64().unwrap() >= 70.0, "{o}");
        assert!(o["usd_per_million_tokens"].is_null(), "{o}");
    }
    let (ok, out, err) = buy(
        &[
            "llama-3.1-8b",
            "--rent",
            "--rank",
            "usd-per-mtok",
            "--batch",
            "8",
            "--top",
            "3",
        ],
        "",
    );
    assert!(ok, "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert!(lines[0].contains("cheapest per million tokens"), "{out}");
    assert!(lines[1].ends_with("$/Mtok"), "{out}");
    let costs: Vec<f64> = lines[2..5]
        .iter()
        .map(|l| {
            let last = l.split_whitespace().last().unwrap();
            last.trim_start_matches('$').parse().unwrap()
        })
        .collect();
    assert!(costs.windows(2).all(|c| c[0] <= c[1]), "{out}");
    let (ok, out, err) = buy(&["llama-3.1-8b", "--min-tps", "100000"], "");
    assert!(ok, "{err}");
    assert!(out.contains("can decode 100000 tok/s"), "{out}");
}
