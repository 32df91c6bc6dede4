//! Vision-language models against transformers itself.
//!
//! `data/measured/transformers_vlm.json` is written by
//! `tests/bench/transformers_vlm.py` (transformers 5.24, meta-device
//! models of the whole image-text-to-text class): each case's config with
//! the parameters transformers counts, split into the text model, the
//! vision encoder and the projector by module prefix.

use serde_json::Value;
use vramfit::import::parse_config;

const MEASURED: &str = include_str!("data/measured/transformers_vlm.json");

#[test]
fn vision_language_models_count_what_transformers_counts_by_part() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let mut wrong = Vec::new();
    let mut checked = std::collections::BTreeMap::new();
    for case in all["params"].as_array().unwrap() {
        let Ok(imported) = parse_config(&case["config"].to_string()) else {
            continue;
        };
        if imported.spec.vision.is_none() {
            continue; // a family whose image side vramfit does not build yet
        }
        let p = imported.spec.params();
        let parts = &case["parts"];
        let expected = (
            case["total"].as_u64().unwrap(),
            parts["text"].as_u64().unwrap(),
            parts["vision"].as_u64().unwrap(),
            parts["projector"].as_u64().unwrap(),
        );
        let got = (p.total, p.parts.text, p.parts.vision, p.parts.projector);
        *checked
            .entry(case["model_type"].as_str().unwrap().to_string())
            .or_insert(0) += 1;
        if got != expected {
            wrong.push(format!(
                "{}: total/text/vision/projector {got:?} vs transformers {expected:?}",
                case["name"]
            ));
        }
    }
    assert!(checked.len() >= 8, "only {checked:?}");
    assert!(
        wrong.is_empty(),
        "{} wrong of {checked:?}:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// `data/catalog_vlm_counts.json`: every catalog vision-language config
/// built whole by transformers (`tests/bench/catalog_vlm_check.py`, meta
/// device) and split into text / vision / projector by module prefix.
/// Where vramfit builds the image side, each part must be exact.
#[test]
fn catalog_vision_language_models_count_what_transformers_counts_by_part() {
    use vramfit::estimate::catalog::find;
    let counts: Value = serde_json::from_str(include_str!("data/catalog_vlm_counts.json")).unwrap();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for row in counts["models"].as_array().unwrap() {
        let id = row["id"].as_str().unwrap();
        let spec = find(id).unwrap().load().unwrap().spec;
        if spec.vision.is_none() {
            continue; // a wrapper whose image side vramfit does not build yet
        }
        let p = spec.params();
        let parts = &row["parts"];
        let expected = (
            row["total"].as_u64().unwrap(),
            parts["text"].as_u64().unwrap(),
            parts["vision"].as_u64().unwrap(),
            parts["projector"].as_u64().unwrap(),
        );
        let got = (p.total, p.parts.text, p.parts.vision, p.parts.projector);
        checked += 1;
        if got != expected {
            wrong.push(format!(
                "{id}: total/text/vision/projector {got:?} vs transformers {expected:?}"
            ));
        }
    }
    assert!(
        checked >= 30,
        "only {checked} catalog models have a vision tower"
    );
    assert!(
        wrong.is_empty(),
        "{} of {checked} wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}
