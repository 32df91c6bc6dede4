//! Every architecture against transformers itself.
//!
//! `data/measured/transformers_arch.json` is written by
//! `tests/bench/transformers_arch.py` (transformers 5.24, meta-device
//! models; `./bench --transformers` reruns it): for each `model_type`, the
//! class-default config, a tiny one and perturbed ones (layer counts,
//! layer-kind patterns, state sizes, expert counts) with the parameter
//! count the model class reports, and tiny models' `generate()` caches on
//! the CPU with their bytes right after the prefill.
//!
//! Every case must be exact, holdout cases included (they were kept out of
//! development and are reported apart by `cargo bench --bench accuracy`).

use serde_json::Value;
use vramfit::estimate::format::TorchDtype;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::{estimate, GgmlType, KvType, RunSettings, WeightFormat};
use vramfit::import::config::supported_model_types;
use vramfit::import::parse_config;

const MEASURED: &str = include_str!("data/measured/transformers_arch.json");

fn cases(kind: &str) -> Vec<Value> {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    all[kind].as_array().unwrap().clone()
}

/// Whether vramfit reads this case's `model_type`. Multimodal wrappers
/// count their vision tower too, which is the vision-language models'
/// work (`vision_config`): their text model is checked through the
/// `*_text` cases.
fn supported(case: &Value) -> bool {
    let config = &case["config"];
    let t = config["model_type"].as_str().unwrap_or("");
    config.get("vision_config").is_none() && supported_model_types().any(|s| s == t)
}

#[test]
fn parameter_counts_equal_transformers_for_every_supported_architecture() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in cases("params").iter().filter(|c| supported(c)) {
        checked += 1;
        let expected = case["total"].as_u64().unwrap();
        match parse_config(&case["config"].to_string()) {
            Ok(imported) => {
                let got = imported.spec.params().total;
                if got != expected {
                    wrong.push(format!(
                        "{}: {got} vs transformers {expected} ({:+})",
                        case["name"],
                        got as i64 - expected as i64
                    ));
                }
            }
            Err(e) => wrong.push(format!("{}: {e}", case["name"])),
        }
    }
    assert!(
        checked >= 220,
        "only {checked} cases are of supported types"
    );
    assert!(
        wrong.is_empty(),
        "{} wrong of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn the_transformers_kv_cache_equals_the_cache_generate_builds() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in cases("cache").iter().filter(|c| supported(c)) {
        checked += 1;
        let spec = parse_config(&case["config"].to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", case["name"]))
            .spec;
        let f32 = case["dtype"] == "float32";
        let (dtype, kv) = if f32 {
            (TorchDtype::F32, GgmlType::F32)
        } else {
            (TorchDtype::BF16, GgmlType::BF16)
        };
        let prefill = &case["after_prefill"];
        let settings = RunSettings {
            engine: Engine::Transformers,
            weights: WeightFormat::Torch { dtype },
            type_k: KvType::Ggml(kv),
            type_v: KvType::Ggml(kv),
            n_ctx: prefill["cached_tokens"]
                .as_u64()
                .unwrap_or(case["prompt"].as_u64().unwrap()),
            n_seq: case["batch"].as_u64().unwrap(),
            ..RunSettings::default()
        };
        let got = estimate(&spec, &settings).kv_total();
        // Sliding and chunked layers hold views of the whole prefill's K/V
        // until the first decode step: the storage is what is allocated.
        let expected = prefill["storage_bytes"].as_u64().unwrap();
        // Scalar bookkeeping tensors (a sliding layer's window, 8 bytes).
        let scalars: u64 = case["layers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["tensors"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["shape"].as_array().is_some_and(|s| s.is_empty()))
            .map(|t| t["nbytes"].as_u64().unwrap())
            .sum();
        if got != expected - scalars {
            wrong.push(format!(
                "{} ({}): {got} vs transformers {} ({:+})",
                case["name"],
                case["dtype"],
                expected - scalars,
                got as i64 - (expected - scalars) as i64
            ));
        }
    }
    assert!(
        checked >= 60,
        "only {checked} cache cases are of supported types"
    );
    assert!(
        wrong.is_empty(),
        "{} wrong of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// The families `arch/llama.rs` reads require the fields every real
/// `config.json` of theirs has, instead of taking class defaults.
const REQUIRE_FIELDS: &[&str] = &[
    "llama",
    "mistral",
    "mixtral",
    "qwen2",
    "qwen2_moe",
    "qwen3",
    "qwen3_moe",
    "gemma",
    "gemma2",
    "gemma3",
    "gemma3_text",
    "phi3",
    "deepseek_v2",
    "deepseek_v3",
    "gpt_oss",
];

/// A case's config as it was written, before transformers filled in its
/// defaults and rewrote legacy spellings (`linear_attn_config`,
/// `global_head_dim`, `hybrid_override_pattern`…) in `to_dict()`.
#[test]
fn configs_as_written_count_what_transformers_counts() {
    let mut wrong = Vec::new();
    let mut checked = 0;
    for case in cases("params").iter().filter(|c| supported(c)) {
        let model_type = case["config"]["model_type"].as_str().unwrap();
        if REQUIRE_FIELDS.contains(&model_type) {
            continue;
        }
        checked += 1;
        let mut fields = case["fields"].as_object().cloned().unwrap_or_default();
        fields.insert("model_type".into(), model_type.into());
        let expected = case["total"].as_u64().unwrap();
        match parse_config(&Value::Object(fields).to_string()) {
            Ok(imported) if imported.spec.params().total == expected => {}
            Ok(imported) => wrong.push(format!(
                "{}: {} vs transformers {expected}",
                case["name"],
                imported.spec.params().total
            )),
            Err(e) => wrong.push(format!("{}: {e}", case["name"])),
        }
    }
    assert!(checked >= 190, "only {checked} cases");
    assert!(
        wrong.is_empty(),
        "{} wrong of {checked}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

const CATALOG_COUNTS: &str = include_str!("data/catalog_counts.json");

#[test]
fn every_catalog_model_counts_what_transformers_counts() {
    let counts: Value = serde_json::from_str(CATALOG_COUNTS).unwrap();
    let mut wrong = Vec::new();
    let models = counts["models"].as_array().unwrap();
    for m in models {
        let id = m["id"].as_str().unwrap();
        let Some(expected) = m["transformers_total"].as_u64() else {
            continue;
        };
        let model = vramfit::estimate::catalog::find(id).unwrap_or_else(|e| panic!("{id}: {e}"));
        let imported = model.load().unwrap_or_else(|e| panic!("{id}: {e}"));
        let got = imported.spec.params().total;
        // Vision towers are the vision-language reader's; transformers'
        // causal-LM class for T5 is not T5ForConditionalGeneration (that
        // count is checked in tests/params.rs).
        let other_class = model.config.contains("\"vision_config\"")
            || imported.spec.class == vramfit::estimate::ModelType::EncoderDecoder;
        if got != expected && !other_class {
            wrong.push(format!("{id}: {got} vs transformers {expected}"));
        }
    }
    assert!(models.len() >= 120, "{} catalog counts", models.len());
    assert!(
        wrong.is_empty(),
        "{} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// Bad input is an error naming a field, never a panic (a panic in wasm
/// kills the page): every numeric or list field of one config per family,
/// set to extreme or malformed values, then read and estimated.
#[test]
fn extreme_and_malformed_fields_are_errors_not_panics() {
    let mut seen = std::collections::BTreeSet::new();
    let mut panics = Vec::new();
    std::panic::set_hook(Box::new(|_| {}));
    let bad = [
        serde_json::json!(0),
        serde_json::json!(1),
        serde_json::json!(16_777_216),
        serde_json::json!(16_777_217),
        serde_json::json!(-1),
        serde_json::json!(1e30),
        serde_json::json!("auto"),
        serde_json::json!([]),
        serde_json::json!([0, 0]),
        Value::Null,
    ];
    for case in cases("params").iter().filter(|c| supported(c)) {
        let t = case["config"]["model_type"].as_str().unwrap().to_string();
        if !seen.insert(t) {
            continue;
        }
        let Value::Object(config) = &case["config"] else {
            continue;
        };
        for (key, value) in config {
            if !(value.is_number() || value.is_array() || value.is_string()) {
                continue;
            }
            for b in &bad {
                let mut mutated = config.clone();
                mutated.insert(key.clone(), b.clone());
                let text = Value::Object(mutated).to_string();
                let run = std::panic::catch_unwind(|| {
                    if let Ok(imported) = parse_config(&text) {
                        for engine in [Engine::LlamaCpp, Engine::Vllm, Engine::Transformers] {
                            let settings = RunSettings {
                                engine,
                                weights: engine.default_weights(),
                                n_ctx: 4096,
                                n_seq: 4,
                                ..RunSettings::default()
                            };
                            estimate(&imported.spec, &settings);
                        }
                    }
                });
                if run.is_err() {
                    panics.push(format!("{}: {key} = {b}", case["name"]));
                }
            }
        }
    }
    let _ = std::panic::take_hook();
    assert!(seen.len() >= 40, "{} families", seen.len());
    assert!(
        panics.is_empty(),
        "{} panics:\n{}",
        panics.len(),
        panics.join("\n")
    );
}
