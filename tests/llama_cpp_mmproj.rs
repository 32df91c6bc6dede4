//! The image side against llama.cpp's `mmproj` files.
//!
//! `data/measured/llama_cpp_mmproj.json` is written by
//! `tests/bench/llama_cpp_mmproj.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570, CPU; `./bench --llama-cpp`): tiny-depth mmproj files of real
//! widths, written as llama.cpp's converter writes them, loaded through
//! `mtmd`. The same towers as Hugging Face configs must give the bytes of
//! the file's tensors — llama.cpp's CLIP model buffer — and the files'
//! own headers (`data/gguf-headers/`, copied from the measured files by the
//! same script), imported with their text models, must give those bytes
//! exactly.

use serde_json::{json, Value};
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::model::ImageTokens;
use vramfit::estimate::{estimate, RunSettings, WeightFormat};
use vramfit::import::file::gguf_import;
use vramfit::import::gguf::parse_gguf;
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
    assert_eq!(checked, 2);
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

/// The headers of the measured files: `(name, mmproj, text model)`.
const HEADERS: [(&str, &[u8], &[u8]); 3] = [
    (
        "gemma3-4b-mmproj-2l",
        include_bytes!("data/gguf-headers/mmproj-gemma3-4b-mmproj-2l-f16.gguf"),
        include_bytes!("data/gguf-headers/text-gemma3-2560.gguf"),
    ),
    (
        "qwen2.5vl-3b-mmproj-2l",
        include_bytes!("data/gguf-headers/mmproj-qwen2.5vl-3b-mmproj-2l-f16.gguf"),
        include_bytes!("data/gguf-headers/text-qwen2vl-2048.gguf"),
    ),
    (
        "llava1.5-7b-mmproj-2l",
        include_bytes!("data/gguf-headers/mmproj-llava1.5-7b-mmproj-2l-f16.gguf"),
        include_bytes!("data/gguf-headers/text-llama-4096.gguf"),
    ),
];

const MIB: f64 = 1024.0 * 1024.0;

/// A model GGUF dropped with its mmproj: the image side is the projector
/// file's tensor bytes, which is what clip.cpp loads. Its "model size" line
/// is that sum in MiB with two decimals (88,517,248 B → "84.42"; read back
/// as 88,520,786, 3,538 B off by rounding alone); the CPU buffer it
/// allocates pads each tensor to 32 bytes, which adds 64 B for Qwen2.5-VL
/// (its four 3,420-wide F32 biases are 13,680 B each) and nothing for the
/// others.
#[test]
fn an_imported_mmproj_is_exactly_llama_cpp_s_model_buffer() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    for (name, mmproj, text) in HEADERS {
        let m = all["models"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .unwrap();
        let files = [
            (
                format!("mmproj-{name}-f16.gguf"),
                parse_gguf(mmproj).unwrap(),
            ),
            ("text.gguf".to_string(), parse_gguf(text).unwrap()),
        ];
        let spec = parse_config(&gguf_import(&files).unwrap()).unwrap().spec;
        let settings = RunSettings {
            engine: Engine::LlamaCpp,
            ..RunSettings::default()
        };
        let e = estimate(&spec, &settings);
        let ours = e.weights.vision;
        assert_eq!(ours, m["model_tensor_bytes"].as_u64().unwrap(), "{name}");
        assert_eq!(
            format!("{:.2}", ours as f64 / MIB),
            m["loads"][0]["buffers_mib"]["model"].as_str().unwrap(),
            "{name}"
        );
        let padded: u64 = files[0]
            .1
            .tensors
            .iter()
            .map(|t| t.bytes.div_ceil(32) * 32)
            .sum();
        assert_eq!(
            padded,
            m["model_tensor_bytes_pad32"].as_u64().unwrap(),
            "{name}"
        );
        // The same tower from its Hugging Face config has as many parameters
        // (split by name here: Qwen's merger norm is `v.post_ln` in the file).
        let vision = spec.vision.as_ref().unwrap();
        let sum = |(encoder, projector): (u64, u64)| encoder + projector;
        if let Some(config) = config(m["projector_type"].as_str().unwrap(), &m["metadata"]) {
            let from_config = parse_config(&config.to_string()).unwrap().spec;
            assert_eq!(
                sum(vision.params()),
                sum(from_config.vision.unwrap().params()),
                "{name}"
            );
        }
        // Every image mtmd tokenized took the tokens the projector's rule gives.
        for load in m["loads"].as_array().unwrap() {
            let Some(n_tokens) = load["image"]["n_tokens"].as_u64() else {
                continue;
            };
            let (w, h) = (
                load["image"]["width"].as_u64().unwrap(),
                load["image"]["height"].as_u64().unwrap(),
            );
            let tokens = match vision.tokens {
                ImageTokens::Fixed { tokens } => tokens,
                ImageTokens::Dynamic {
                    patch,
                    merge,
                    min_pixels,
                    max_pixels,
                } => {
                    assert!((min_pixels..=max_pixels).contains(&(w * h)), "{name}");
                    w * h / (patch * merge).pow(2)
                }
                other => panic!("{name}: {other:?}"),
            };
            assert_eq!(tokens, n_tokens, "{name} {w}×{h}");
        }
        // Text only: no projector loaded.
        let text_only = RunSettings {
            images: 0,
            ..settings
        };
        assert_eq!(estimate(&spec, &text_only).weights.vision, 0);
    }
}

/// Gemma 3's projector read from its file reserves what llama.cpp logs.
#[test]
fn the_clip_compute_buffer_of_an_imported_gemma3_mmproj_is_llama_cpp_s() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let (name, mmproj, text) = HEADERS[0];
    let files = [
        ("mmproj.gguf".to_string(), parse_gguf(mmproj).unwrap()),
        ("text.gguf".to_string(), parse_gguf(text).unwrap()),
    ];
    let spec = parse_config(&gguf_import(&files).unwrap()).unwrap().spec;
    let m = &all["models"][0];
    assert_eq!(m["name"], name);
    for load in m["loads"].as_array().unwrap() {
        let settings = RunSettings {
            engine: Engine::LlamaCpp,
            flash_attn: load["flash_attn"] != "disabled",
            ..RunSettings::default()
        };
        assert_eq!(
            estimate(&spec, &settings).compute_vision,
            load["buffers"]["compute"].as_u64().unwrap()
        );
    }
}
