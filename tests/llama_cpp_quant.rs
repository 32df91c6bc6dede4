//! vramfit's GGUF mixes against llama.cpp's own quantizer, tensor by tensor.
//!
//! `data/measured/llama_cpp_quant.json` is written by
//! `tests/bench/llama_cpp_quant.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570; `./bench --llama-cpp` reruns it): tiny F16 models of real
//! architectures quantized by `llama_model_quantize` to every ftype vramfit
//! offers, without an importance matrix (llama-quantize's default) and with
//! one, and the type the output file stores for every tensor. The ftypes
//! llama.cpp refuses to make without an importance matrix are recorded
//! from `--dry-run` too: the types it would have given. Here each model's
//! config goes through vramfit's import and every tensor must get the same
//! type, and every file the same bytes.

include!("data/quant_runs.rs");

use quant_runs::{replay, runs, MEASURED};
use serde_json::Value;
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::weights::weight_bytes;
use vramfit::estimate::WeightFormat;
use vramfit::import::parse_config;

#[test]
fn every_tensor_gets_the_type_llama_quantize_gave_it() {
    let runs = runs();
    let mut wrong = Vec::new();
    let mut checked = 0;
    for run in &runs {
        let ours = replay(run);
        checked += ours.same + ours.wrong.len();
        wrong.extend(ours.wrong);
        match run.tensor_bytes {
            Some(theirs) if theirs != ours.bytes => wrong.push(format!(
                "{}: tensor bytes {theirs} vs vramfit's {} ({:+.3} %)",
                run.label(),
                ours.bytes,
                (ours.bytes as f64 - theirs as f64) / theirs as f64 * 100.0
            )),
            _ => {}
        }
    }
    assert!(runs.len() >= 600, "only {} runs", runs.len());
    assert!(
        wrong.is_empty(),
        "{} of {checked} tensors or files differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

/// What vramfit reports for a GGUF ftype is the file `llama-quantize`
/// makes by default: without an importance matrix, but with one for the
/// ftypes it refuses to make without.
#[test]
fn vramfit_assumes_an_imatrix_exactly_where_llama_quantize_needs_one() {
    let doc: Value = serde_json::from_str(MEASURED).unwrap();
    for m in doc["models"].as_array().unwrap() {
        let name = m["name"].as_str().unwrap();
        let spec = parse_config(&m["config"].to_string()).unwrap().spec;
        let refused = m["needs_imatrix"].as_object().unwrap();
        for f in GgufFtype::ALL {
            let id = f.name().to_lowercase();
            assert_eq!(
                f.needs_imatrix(),
                refused.contains_key(&id),
                "{name} {id}: {:?}",
                refused.get(&id)
            );
            let made = if f.needs_imatrix() {
                &m["imatrix_runs"][&id]
            } else {
                &m["runs"][&id]
            };
            assert_eq!(
                weight_bytes(&spec, WeightFormat::Gguf { ftype: f }).file,
                made["tensor_bytes"].as_u64().unwrap(),
                "{name} {id}"
            );
        }
    }
}

#[test]
fn the_recording_covers_what_the_rules_look_at() {
    let doc: Value = serde_json::from_str(MEASURED).unwrap();
    let models = doc["models"].as_array().unwrap();
    let config = |m: &Value, key: &str| m["config"][key].as_u64().unwrap_or(0);
    let any = |pred: &dyn Fn(&Value) -> bool| models.iter().any(pred);
    let gqa =
        |m: &Value| config(m, "num_attention_heads") / config(m, "num_key_value_heads").max(1);
    assert!(any(&|m| gqa(m) >= 4 && m["config"]["model_type"] == "llama"));
    assert!(any(&|m| (2..4).contains(&gqa(m))));
    assert!(any(&|m| m["config"]["tie_word_embeddings"] == true));
    assert!(any(
        &|m| config(m, "num_experts") == 8 || config(m, "num_local_experts") == 8
    ));
    assert!(any(&|m| config(m, "num_hidden_layers") == 80 && gqa(m) > 1));
    assert!(any(&|m| config(m, "num_hidden_layers") == 80 && gqa(m) == 1));
    for model_type in [
        "qwen2",
        "qwen3",
        "qwen3_moe",
        "gemma3_text",
        "falcon",
        "phi3",
    ] {
        assert!(
            any(&|m| m["config"]["model_type"] == model_type),
            "{model_type}"
        );
    }
    for m in models {
        for f in GgufFtype::ALL {
            let id = f.name().to_lowercase();
            assert!(
                m["runs"].get(&id).is_some() || m["imatrix_runs"].get(&id).is_some(),
                "{} {id}",
                m["name"]
            );
        }
    }
}
