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
/// makes — with an importance matrix for the I-quants (as they are
/// published) and the ftypes it refuses to make without one, which are
/// the ones vramfit knows need one.
#[test]
fn vramfit_sizes_i_quants_with_an_importance_matrix_and_the_rest_without() {
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
            // The imatrix run (where it changed the file) for I-quants and
            // the ftypes that need one, else the plain one.
            let with = f.needs_imatrix() || id.starts_with("iq");
            let made = match m["imatrix_runs"].get(&id).filter(|_| with) {
                Some(run) => run,
                // Unquantized files take no importance matrix.
                None if !with || matches!(id.as_str(), "f32" | "f16" | "bf16") => &m["runs"][&id],
                None => {
                    assert!(
                        m["imatrix_same"]
                            .as_array()
                            .is_some_and(|a| a.iter().any(|x| x == id.as_str())),
                        "{name} {id}: no imatrix run"
                    );
                    &m["runs"][&id]
                }
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

/// With no weights chosen, an MXFP4 checkpoint (gpt-oss) plans as the GGUF
/// llama.cpp's converter makes of it, MXFP4_MOE (ggml-org's and Ollama's
/// gpt-oss), not as a Q4_K_M quantization of it, whose experts fall back to
/// larger types (2880-wide rows are not a multiple of 256). An FP8
/// checkpoint has no GGUF kin and keeps the engine's default; an explicit
/// choice wins.
#[test]
fn an_mxfp4_checkpoint_plans_as_its_mxfp4_gguf_unless_weights_are_chosen() {
    use vramfit::report::{report, Request};
    let plan = |model: &str, engine: &str, weights: &str| {
        let mut r = Request {
            model: model.into(),
            gpus: "h100".into(),
            ..Request::default()
        };
        r.set_engine(engine);
        r.weights = weights.into();
        report(&r).unwrap()
    };
    for engine in ["llama.cpp", "ollama"] {
        let own = plan("gpt-oss-120b", engine, "");
        assert_eq!(own.weights_label, "GGUF MXFP4_MOE", "{engine}");
        assert!(own.warnings.iter().any(|w| w.contains("MXFP4 checkpoint")));
        let chosen = plan("gpt-oss-120b", engine, "q4_k_m");
        assert_eq!(chosen.weights_label, "GGUF Q4_K_M", "{engine}");
        assert!(own.weights_bytes < chosen.weights_bytes, "{engine}");
        assert_eq!(plan("deepseek-v3", engine, "").weights_label, "GGUF Q4_K_M");
    }
}
