//! Parameter counts of the decoder families against transformers itself.
//!
//! `data/arch_params.json` is written by `tests/bench/arch_params.py`: per
//! `model_type`, the class-default config (`to_dict()`) and perturbed ones
//! (only the fields they change, so missing fields must take the class
//! defaults), each with the total that transformers' causal-LM class
//! reports when built on the meta device, for MoE families the active
//! count (routed experts at `top_k / n_experts`), and for local attention
//! each layer's sliding window as transformers' attention module holds it.

use serde_json::Value;
use vramfit::import::config::supported_model_types;
use vramfit::import::parse_config;

const CASES: &str = include_str!("data/arch_params.json");

fn cases() -> Vec<Value> {
    serde_json::from_str(CASES).unwrap()
}

#[test]
fn every_case_counts_exactly_as_transformers_does() {
    let mut wrong = Vec::new();
    for case in cases() {
        let name = case["name"].as_str().unwrap();
        let imported = match parse_config(&case["config"].to_string()) {
            Ok(imported) => imported,
            Err(e) => {
                wrong.push(format!("{name}: {e}"));
                continue;
            }
        };
        let p = imported.spec.params();
        let total = case["total"].as_u64().unwrap();
        let active = case["active"].as_u64().unwrap_or(total);
        if (p.total, p.active) != (total, active) {
            wrong.push(format!(
                "{name}: total {} active {}, transformers {total} {active} (off by {})",
                p.total,
                p.active,
                p.total as i64 - total as i64
            ));
        }
        let windows: Vec<Option<u64>> = imported
            .spec
            .layers
            .iter()
            .map(|l| l.attention.and_then(|a| a.window_len()))
            .collect();
        let expected: Vec<Option<u64>> = match case["windows"].as_array() {
            Some(w) => w.iter().map(Value::as_u64).collect(),
            None => vec![None; windows.len()],
        };
        if windows != expected {
            wrong.push(format!(
                "{name}: windows {windows:?}, transformers {expected:?}"
            ));
        }
        if !imported.warnings.is_empty() {
            wrong.push(format!("{name}: warnings {:?}", imported.warnings));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

#[test]
fn every_family_is_read_exactly_and_has_a_default_and_two_perturbed_cases() {
    let cases = cases();
    let mut types: Vec<&str> = cases
        .iter()
        .map(|c| c["config"]["model_type"].as_str().unwrap())
        .collect();
    types.dedup();
    let supported: Vec<&str> = supported_model_types().collect();
    for t in types {
        assert!(supported.contains(&t), "{t} has no reader in FAMILIES");
        let n = cases
            .iter()
            .filter(|c| c["config"]["model_type"] == t)
            .count();
        assert!(n >= 3, "{t}: {n} cases");
    }
}

fn kv_heads(config: &str) -> Vec<u64> {
    let spec = parse_config(config).unwrap().spec;
    spec.layers
        .iter()
        .map(|l| l.attention.unwrap().n_head_kv())
        .collect()
}

#[test]
fn falcon_caches_one_kv_head_when_multi_query_and_num_kv_heads_in_the_new_architecture() {
    let small = r#""hidden_size": 64, "num_attention_heads": 4, "num_hidden_layers": 2"#;
    let falcon = |rest: &str| format!(r#"{{"model_type": "falcon", {small}{rest}}}"#);
    assert_eq!(kv_heads(&falcon("")), [1, 1]);
    assert_eq!(kv_heads(&falcon(r#", "multi_query": false"#)), [4, 4]);
    assert_eq!(
        kv_heads(&falcon(
            r#", "new_decoder_architecture": true, "num_kv_heads": 2"#
        )),
        [2, 2]
    );
}

#[test]
fn missing_expert_counts_that_the_class_leaves_unset_are_errors_naming_the_field() {
    let err = parse_config(r#"{"model_type": "dots1"}"#).unwrap_err();
    assert_eq!(err.to_string(), "missing required field `n_routed_experts`");
    let err =
        parse_config(r#"{"model_type": "ernie4_5_moe", "moe_layer_end_index": -2}"#).unwrap_err();
    assert!(err.to_string().contains("moe_layer_end_index"), "{err}");
}

#[test]
fn hunyuan_without_head_dim_takes_hidden_size_over_heads() {
    let spec = parse_config(
        r#"{"model_type": "hunyuan_v1_dense", "hidden_size": 64, "num_attention_heads": 4}"#,
    )
    .unwrap()
    .spec;
    let q = &spec.layers[0].tensors[1];
    assert_eq!((q.name.as_str(), q.ne[1]), ("attn_q.weight", 64));
}
