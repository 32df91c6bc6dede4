//! The image side against llama.cpp's `mmproj` files.
//!
//! `data/measured/llama_cpp_mmproj.json` is written by
//! `tests/bench/llama_cpp_mmproj.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570, CPU; `./bench --llama-cpp`): mmproj files of real widths (most
//! of them two blocks deep), written as llama.cpp's converter writes them,
//! loaded through `mtmd`. The same towers as Hugging Face configs must give
//! the bytes of the file's tensors — llama.cpp's CLIP model buffer — and
//! the exact CLIP compute buffer of every load; the files' own headers
//! (`data/gguf-headers/`, copied from the measured files by the same
//! script), imported with their text models, must give those bytes exactly.

use serde_json::{json, Value};
use vramfit::estimate::clip::{compute_bytes, reserved_image};
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::model::{ImageTokens, Vision};
use vramfit::estimate::{estimate, ModelSpec, RunSettings, WeightFormat};
use vramfit::import::file::gguf_import;
use vramfit::import::gguf::parse_gguf;
use vramfit::import::parse_config;

const MEASURED: &str = include_str!("data/measured/llama_cpp_mmproj.json");

/// The Hugging Face config of the tower each measured file holds.
fn config(m: &Value) -> Option<Value> {
    let meta = &m["metadata"];
    let v = |k: &str| meta[format!("clip.vision.{k}")].as_u64().unwrap();
    // clip.cpp sizes the FFN by its tensors (Qwen2-VL's converter writes
    // the merger's width as feed_forward_length).
    let n_ff = m["tensors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["name"] == "v.blk.0.ffn_up.weight")
        .map(|t| t["shape"][1].as_u64().unwrap())
        .unwrap();
    let text = |model_type: &str| {
        json!({"model_type": model_type, "hidden_size": v("projection_dim"), "intermediate_size": 256,
               "num_hidden_layers": 1, "num_attention_heads": 4, "vocab_size": 1000})
    };
    Some(match m["projector_type"].as_str().unwrap() {
        "gemma3" => json!({"model_type": "gemma3", "text_config": text("gemma3_text"),
            "vision_config": {"hidden_size": v("embedding_length"), "intermediate_size": n_ff,
                "num_hidden_layers": v("block_count"), "num_attention_heads": v("attention.head_count"),
                "image_size": v("image_size"), "patch_size": v("patch_size"), "vision_use_head": false}}),
        "qwen2.5vl_merger" => {
            // clip.cpp's n_wa_pattern back into the blocks that attend over all patches
            let depth = v("block_count");
            let pattern = v("n_wa_pattern");
            let full: Vec<u64> = (0..depth).filter(|i| (i + 1) % pattern == 0).collect();
            json!({"model_type": "qwen2_5_vl", "text_config": text("qwen2_5_vl_text"),
            "vision_config": {"hidden_size": v("embedding_length"), "intermediate_size": n_ff,
                "depth": depth, "num_heads": v("attention.head_count"), "patch_size": v("patch_size"),
                "out_hidden_size": v("projection_dim"), "spatial_merge_size": 2, "temporal_patch_size": 2,
                "fullatt_block_indexes": full, "window_size": 112}})
        }
        "qwen2vl_merger" => {
            let embd = v("embedding_length");
            json!({"model_type": "qwen2_vl", "text_config": text("qwen2_vl_text"),
            "vision_config": {"embed_dim": embd, "mlp_ratio": n_ff as f64 / embd as f64,
                "depth": v("block_count"), "num_heads": v("attention.head_count"), "patch_size": v("patch_size"),
                "hidden_size": v("projection_dim"), "spatial_merge_size": 2, "temporal_patch_size": 2}})
        }
        "mlp" => json!({"model_type": "llava", "text_config": text("llama"),
            "vision_config": {"model_type": "clip_vision_model", "hidden_size": v("embedding_length"),
                "intermediate_size": n_ff, "num_hidden_layers": v("block_count"),
                "num_attention_heads": v("attention.head_count"), "image_size": v("image_size"),
                "patch_size": v("patch_size")}}),
        _ => return None,
    })
}

fn spec(m: &Value) -> Option<ModelSpec> {
    Some(parse_config(&config(m)?.to_string()).unwrap().spec)
}

fn gguf_settings(flash_attn: bool) -> RunSettings {
    RunSettings {
        engine: Engine::LlamaCpp,
        weights: WeightFormat::Gguf {
            ftype: GgufFtype::Q4_K_M,
        },
        flash_attn,
        ..RunSettings::default()
    }
}

#[test]
fn the_image_side_in_gguf_is_the_size_of_llama_cpp_s_mmproj() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let mut checked = 0;
    for m in all["models"].as_array().unwrap() {
        let projector = m["projector_type"].as_str().unwrap();
        // LLaVA's towers as measured leave out the post-norm the config's
        // CLIP has; their weights are not compared here.
        if projector == "mlp" {
            continue;
        }
        let Some(spec) = spec(m) else { continue };
        let ours = estimate(&spec, &gguf_settings(true)).weights.vision;
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
        assert_eq!(ours, file, "{}", m["name"]);
        let logged = m["loads"][0]["buffers"]["model"].as_u64().unwrap();
        assert!(
            ours.abs_diff(logged) <= 5243 + 64,
            "{projector}: {ours} vs logged {logged}"
        );
        checked += 1;
    }
    assert_eq!(checked, 4);
}

/// The image a load's compute buffer was reserved for, in pixels.
fn image(load: &Value) -> (u64, u64) {
    match &load["image_size"] {
        Value::Array(wh) => (wh[0].as_u64().unwrap(), wh[1].as_u64().unwrap()),
        side => (side.as_u64().unwrap(), side.as_u64().unwrap()),
    }
}

/// Every measured load of every tower with a CLIP graph vramfit sizes —
/// warmups (flash attention on and off) and first images of several sizes —
/// gets the exact bytes ggml's allocator held; the estimate uses the form
/// at the image it reserves for.
#[test]
fn the_clip_compute_buffer_is_what_llama_cpp_reserves() {
    let all: Value = serde_json::from_str(MEASURED).unwrap();
    let (mut checked, mut at_reserve, mut wrong) = (0, 0, Vec::new());
    for m in all["models"].as_array().unwrap() {
        let Some(spec) = spec(m) else { continue };
        let vision: &Vision = spec.vision.as_ref().unwrap();
        for load in m["loads"].as_array().unwrap() {
            let flash_attn = load["flash_attn_used"] == "enabled";
            let (w, h) = image(load);
            let measured = load["buffers"]["compute_exact"].as_u64().unwrap();
            let ours = compute_bytes(vision, w, h, flash_attn);
            if ours != measured {
                wrong.push(format!(
                    "{} {w}x{h} fa {flash_attn}: {ours} vs {measured}",
                    m["name"]
                ));
            }
            if (w, h) == reserved_image(vision) {
                let planned = estimate(&spec, &gguf_settings(flash_attn)).compute_vision;
                assert_eq!(planned, measured, "{} fa {flash_attn}", m["name"]);
                at_reserve += 1;
            }
            checked += 1;
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!((checked, at_reserve), (31, 17));
    // Text only: no projector loaded, no buffer.
    let spec = spec(&all["models"][0]).unwrap();
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
        if let Some(config) = config(m) {
            let from_config = parse_config(&config.to_string()).unwrap().spec;
            // LLaVA's converter leaves out the tower's post-layernorm, which
            // its feature layer (the second last) never reaches: 2 × n_embd.
            let unused = if m["projector_type"] == "mlp" {
                2 * vision.n_embd
            } else {
                0
            };
            let config_vision = from_config.vision.unwrap();
            assert_eq!(
                sum(vision.params()) + unused,
                sum(config_vision.params()),
                "{name}"
            );
            // The CLIP compute buffer read from the file is the one the
            // Hugging Face tower gives (exact against every measured load).
            for flash in [true, false] {
                assert_eq!(
                    vision.clip_compute(flash),
                    config_vision.clip_compute(flash),
                    "{name} flash {flash}"
                );
            }
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
