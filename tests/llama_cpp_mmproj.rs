//! The image side against llama.cpp's `mmproj` files.
//!
//! `data/measured/llama_cpp_mmproj.json` is written by
//! `tests/bench/llama_cpp_mmproj.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570, CPU; `./bench --llama-cpp`): tiny-depth mmproj files of real
//! widths, written as llama.cpp's converter writes them, loaded through
//! `mtmd`. The same towers as Hugging Face configs must give the bytes of
//! the file's tensors — llama.cpp's CLIP model buffer.

use serde_json::{json, Value};
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::{estimate, RunSettings, WeightFormat};
use vramfit::import::parse_config;

const MEASURED: &str = include_str!("data/measured/llama_cpp_mmproj.json");

/// The Hugging Face config of the tower each measured file holds.
fn config(projector: &str, meta: &Value) -> Option<Value> {
    let v = |k: &str| meta[format!("clip.vision.{k}")].as_u64().unwrap();
    let text = |model_type: &str| {
        json!({"model_type": model_type, "hidden_size": v("projection_dim"), "intermediate_size": 256,
               "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 1000})
    };
    Some(match projector {
        "gemma3" => json!({"model_type": "gemma3", "text_config": text("gemma3_text"),
            "vision_config": {"hidden_size": v("embedding_length"), "intermediate_size": v("feed_forward_length"),
                "num_hidden_layers": v("block_count"), "num_attention_heads": v("attention.head_count"),
                "image_size": v("image_size"), "patch_size": v("patch_size"), "vision_use_head": false}}),
        "qwen2.5vl_merger" => {
            json!({"model_type": "qwen2_5_vl", "text_config": text("qwen2_5_vl_text"),
            "vision_config": {"hidden_size": v("embedding_length"), "intermediate_size": v("feed_forward_length"),
                "depth": v("block_count"), "num_heads": v("attention.head_count"), "patch_size": v("patch_size"),
                "out_hidden_size": v("projection_dim"), "spatial_merge_size": 2, "temporal_patch_size": 2}})
        }
        _ => return None,
    })
}

#[test]
fn the_image_side_in_gguf_is_the_size_of_llama_cpp_s_mmproj() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let mut checked = 0;
    for m in all["models"].as_array().unwrap() {
        let projector = m["projector_type"].as_str().unwrap();
        let Some(config) = config(projector, &m["metadata"]) else {
            continue;
        };
        let spec = parse_config(&config.to_string()).unwrap().spec;
        let settings = RunSettings {
            engine: Engine::LlamaCpp,
            weights: WeightFormat::Gguf {
                ftype: GgufFtype::Q4_K_M,
            },
            ..RunSettings::default()
        };
        let ours = estimate(&spec, &settings).weights.vision;
        let file: u64 = m["tensors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| {
                let n: u64 = t["shape"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|d| d.as_u64().unwrap())
                    .product();
                n * if t["type"] == "F32" { 4 } else { 2 }
            })
            .sum();
        assert_eq!(ours, file, "{projector}");
        let logged = m["loads"][0]["buffers"]["model"].as_u64().unwrap();
        assert!(
            ours.abs_diff(logged) <= 5243 + 64,
            "{projector}: {ours} vs logged {logged}"
        );
        checked += 1;
    }
    assert_eq!(checked, 3);
}

/// llama.cpp reserves its CLIP compute buffer for the largest image at
/// load; for the measured plain-ViT graph (Gemma 3's SigLIP) vramfit's
/// formula gives the logged bytes, with and without flash attention.
#[test]
fn the_clip_compute_buffer_is_what_llama_cpp_reserves() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let mut checked = 0;
    for m in all["models"].as_array().unwrap() {
        if m["projector_type"] != "gemma3" {
            continue;
        }
        let config = config("gemma3", &m["metadata"]).unwrap();
        let spec = parse_config(&config.to_string()).unwrap().spec;
        for load in m["loads"].as_array().unwrap() {
            let flash_attn = load["flash_attn"] != "disabled";
            let settings = RunSettings {
                engine: Engine::LlamaCpp,
                weights: WeightFormat::Gguf {
                    ftype: GgufFtype::Q4_K_M,
                },
                flash_attn,
                ..RunSettings::default()
            };
            let ours = estimate(&spec, &settings).compute_vision;
            assert_eq!(
                ours,
                load["buffers"]["compute"].as_u64().unwrap(),
                "fa {flash_attn}"
            );
            checked += 1;
        }
    }
    assert!(checked >= 2);
    // Text only: no projector loaded, no buffer.
    let m = &all["models"][0];
    let spec = parse_config(&config("gemma3", &m["metadata"]).unwrap().to_string())
        .unwrap()
        .spec;
    let text_only = RunSettings {
        engine: Engine::LlamaCpp,
        images: 0,
        ..RunSettings::default()
    };
    let e = estimate(&spec, &text_only);
    assert_eq!((e.compute_vision, e.weights.vision), (0, 0));
}
