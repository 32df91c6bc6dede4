//! Parameter counts: exact against the transformers model classes.
//!
//! `data/reference_models.json` holds 22 published `config.json`s with the
//! count the transformers class reports (17 published, 5 derived by hand
//! from the modeling code and matching the model cards' rounded figures).
//! The perturbation tests compare the tensor-list count with closed forms
//! written independently from each family's modeling code, for configs no
//! one published.

use expect_test::{expect, Expect};
use vramfit::estimate::ParamCount;
use vramfit::import::parse_config;

const REFERENCE: &str = include_str!("data/reference_models.json");

include!("data/perturbed.rs");

fn params(config: &Value) -> ParamCount {
    parse_config(&config.to_string())
        .unwrap_or_else(|e| panic!("{config}: {e}"))
        .spec
        .params()
}

fn check(expected: Expect) {
    let models: Vec<Value> = serde_json::from_str(REFERENCE).unwrap();
    let mut table = String::new();
    for m in &models {
        let imported = parse_config(&m["config"].to_string()).unwrap();
        let p = imported.spec.params();
        let total = m["params_total"].as_u64().unwrap();
        let active = m["params_active"].as_u64().unwrap_or(total);
        assert_eq!((p.total, p.active), (total, active), "{}", m["id"]);
        assert!(
            imported.warnings.is_empty(),
            "{}: {:?}",
            m["id"],
            imported.warnings
        );
        table.push_str(&format!(
            "{:<24} {:>15} {:>15} {:?}\n",
            m["id"].as_str().unwrap(),
            p.total,
            p.active,
            imported.spec.class
        ));
    }
    expected.assert_eq(&table);
}

#[test]
fn reference_models_count_exactly_as_transformers_does() {
    check(expect![[r#"
        llama2-7b                     6738415616      6738415616 DecoderOnly
        llama2-13b                   13015864320     13015864320 DecoderOnly
        llama2-70b                   68976648192     68976648192 DecoderOnly
        llama3.1-8b                   8030261248      8030261248 DecoderOnly
        llama3.1-70b                 70553706496     70553706496 DecoderOnly
        llama3.1-405b               405853388800    405853388800 DecoderOnly
        mistral-7b-v0.1               7241732096      7241732096 DecoderOnly
        mixtral-8x7b                 46702792704     12879925248 MixtureOfExperts
        mixtral-8x22b-instruct      140630071296     39161468928 MixtureOfExperts
        qwen2.5-7b                    7615616512      7615616512 DecoderOnly
        qwen2.5-72b                  72706203648     72706203648 DecoderOnly
        qwen3-30b-a3b                30532122624      3353032704 MixtureOfExperts
        gemma2-9b                     9241705984      9241705984 DecoderOnly
        gemma2-27b                   27227128320     27227128320 DecoderOnly
        phi3-mini-4k                  3821079552      3821079552 DecoderOnly
        deepseek-v2-lite             15706484224      2661150208 MixtureOfExperts
        gpt-oss-20b                  20914757184      4187440704 MixtureOfExperts
        flan-t5-xl                    2849757184      2849757184 EncoderDecoder
        t5-large                       737668096       737668096 EncoderDecoder
        bert-base-uncased              109482240       109482240 EncoderOnly
        tinyllama-1.1b                1100048384      1100048384 DecoderOnly
        qwen2.5-0.5b                   494032768       494032768 DecoderOnly
    "#]]);
}

#[test]
fn perturbed_configs_count_as_their_closed_forms() {
    let cases = perturbed();
    assert!(cases.len() >= 35, "{} cases", cases.len());
    for case in cases {
        let p = params(&case.config);
        assert_eq!(
            (p.total, p.active),
            (case.total, case.active),
            "{}",
            case.label
        );
    }
}

/// Every catalog model against the size its model card or Hub page
/// publishes (rounded there, so compared within half a unit of the last
/// published digit). Active counts here include embeddings; cards that
/// exclude them are noted.
#[test]
fn catalog_models_match_their_model_cards() {
    use vramfit::estimate::catalog::find;
    // (id, published total, published digits after the point in billions, active)
    let cards: &[(&str, f64, i32, Option<f64>)] = &[
        ("llama-3.2-1b", 1.24, 2, None),
        ("llama-3.2-3b", 3.21, 2, None),
        ("llama-3.3-70b", 70.6, 1, None),
        ("mistral-nemo-12b", 12.2, 1, None),
        ("mistral-small-24b", 23.6, 1, None),
        ("mixtral-8x22b", 141.0, 0, Some(39.0)),
        ("qwen2.5-1.5b", 1.54, 2, None),
        ("qwen2.5-14b", 14.8, 1, None),
        ("qwen2.5-32b", 32.8, 1, None),
        ("qwen2-57b-a14b", 57.0, 0, Some(14.0)),
        ("qwen3-8b", 8.2, 1, None),
        ("qwen3-32b", 32.8, 1, None),
        ("qwen3-235b-a22b", 235.0, 0, Some(22.0)),
        ("gemma-7b", 8.54, 2, None),
        ("gemma-2-27b", 27.2, 1, None),
        ("gemma-3-1b", 1.0, 1, None),
        ("phi-3-medium-4k", 14.0, 0, None),
        ("phi-4", 14.7, 1, None),
        // DeepSeek: 671B without the multi-token-prediction layer.
        ("deepseek-v3", 671.0, 0, Some(37.6)),
        // gpt-oss cards give active parameters without the embedding table.
        ("gpt-oss-120b", 116.8, 1, None),
        ("smollm2-135m", 0.135, 3, None),
        ("smollm2-1.7b", 1.71, 2, None),
        ("t5-base", 0.223, 3, None),
        ("bart-large", 0.406, 3, None),
        ("bert-large-uncased", 0.335, 3, None),
    ];
    for &(id, total, digits, active) in cards {
        let p = find(id).unwrap().load().unwrap().spec.params();
        let tolerance = 0.5 * 10f64.powi(-digits);
        assert!(
            (p.total as f64 / 1e9 - total).abs() <= tolerance,
            "{id}: {} vs {total}B",
            p.total
        );
        if let Some(active) = active {
            assert!(
                (p.active as f64 / 1e9 - active).abs() <= 0.5,
                "{id}: active {} vs {active}B",
                p.active
            );
        }
    }
}

/// `data/catalog_counts.json`: every catalog config built by transformers
/// itself (`tests/bench/catalog_check.py`, meta device). vramfit's tensor
/// list must count what the model class counts — or, where this transformers
/// release builds a model differently from its checkpoint (noted in the
/// file), what the checkpoint holds.
#[test]
fn catalog_counts_equal_the_transformers_model_classes() {
    use vramfit::estimate::catalog::find;
    let counts: Value = serde_json::from_str(include_str!("data/catalog_counts.json")).unwrap();
    let rows = counts["models"].as_array().unwrap();
    let mut wrong = Vec::new();
    for row in rows {
        let id = row["id"].as_str().unwrap();
        let expected = row["checkpoint_total"]
            .as_u64()
            .or(row["transformers_total"].as_u64())
            .unwrap();
        let got = find(id)
            .map_err(|e| e.to_string())
            .and_then(|m| m.load().map_err(|e| e.to_string()))
            // The catalog counts hold the text model of a vision-language
            // config; its image side is checked in tests/vlm.rs.
            .map(|i| {
                let p = i.spec.params();
                if i.spec.vision.is_some() {
                    p.parts.text
                } else {
                    p.total
                }
            });
        if got.as_ref() != Ok(&expected) {
            wrong.push(format!(
                "{id} ({}): vramfit {got:?}, transformers {expected}",
                row["model_type"].as_str().unwrap()
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} configs count differently:\n{}",
        wrong.len(),
        rows.len(),
        wrong.join("\n")
    );
}
