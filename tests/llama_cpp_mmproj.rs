//! The image side against llama.cpp's `mmproj` files.
//!
//! `data/measured/llama_cpp_mmproj.json` is written by
//! `tests/bench/llama_cpp_mmproj.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570, CPU; `./bench --llama-cpp`): mmproj files of real widths (most
//! of them two blocks deep), written as llama.cpp's converter writes them,
//! loaded through `mtmd`. The same towers as Hugging Face configs must give
//! the bytes of the file's tensors — llama.cpp's CLIP model buffer — and
//! the exact CLIP compute buffer of every load.

use serde_json::{json, Value};
use vramfit::estimate::clip::{compute_bytes, reserved_image};
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::model::Vision;
use vramfit::estimate::{estimate, ModelSpec, RunSettings, WeightFormat};
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
