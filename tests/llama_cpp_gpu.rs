//! llama.cpp on GPU backends against load logs people posted
//! (`data/measured/llama_cpp_gpu_logs.json`, each load with its URL).
//!
//! So far: the host compute buffer (`CUDA_Host` / `ROCm_Host` /
//! `Vulkan_Host compute buffer size`) — the f32 KQ mask, once per pipeline
//! copy, and the input embeddings.

use serde_json::Value;
use vramfit::estimate::catalog::find;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::{estimate, RunSettings, WeightFormat};

const LOGS: &str = include_str!("data/measured/llama_cpp_gpu_logs.json");

/// Loads whose model the thread names (the log itself may not): the
/// catalog model of the same architecture and width, the micro-batch when
/// the log leaves llama.cpp's default (512), and whether llama.cpp ran the
/// GPUs as a pipeline (several GPUs, every layer offloaded, no overrides).
const LOADS: &[(&str, &str, Option<u64>, bool)] = &[
    // qwen2.5-coder:32b on 2× RTX 3090 Ti, -ngl 99 -ub 256.
    (
        "issue11200-qwen25coder32b-q8-2x3090ti-q8kv-ts10-6",
        "qwen2.5-coder-32b",
        None,
        true,
    ),
    // Llama 3 8B, partly offloaded (no pipeline).
    (
        "ollama4139-llama3-8b-partial-offload-ctx24576",
        "llama-3.1-8b",
        None,
        false,
    ),
    // qwen2.5-coder-32b on one 7900 XTX.
    (
        "issue11337-qwen25coder32b-q8kv-7900xtx-rocm",
        "qwen2.5-coder-32b",
        Some(512),
        false,
    ),
    // GLM-4.5-Air with its experts on the CPU: tensor overrides, no pipeline.
    (
        "pr14939-glm45-air-2gpu-cpu-moe-ctx2048",
        "glm-4.5-air",
        Some(512),
        false,
    ),
    // Llama 3.2 11B Vision's text model, partly offloaded.
    (
        "ollama8310-llama32-vision-11b-partial-kv-split",
        "llama-3.2-11b-vision",
        None,
        false,
    ),
];

#[test]
fn the_host_compute_buffer_is_the_mask_per_copy_and_the_inputs() {
    let logs: Value = serde_json::from_str(LOGS).unwrap();
    let loads = logs["loads"].as_array().unwrap();
    for (id, model, ubatch, pipeline) in LOADS {
        let load = loads.iter().find(|l| l["id"] == *id).unwrap();
        let s = &load["settings"];
        let logged = load["buffers_mib"]["compute"]
            .as_object()
            .unwrap()
            .iter()
            .find(|(k, _)| k.ends_with("_Host"))
            .map(|(_, v)| v.as_f64().unwrap())
            .unwrap();
        let spec = find(model).unwrap().load().unwrap().spec;
        let settings = RunSettings {
            engine: Engine::LlamaCpp,
            weights: WeightFormat::Gguf {
                ftype: vramfit::estimate::format::GgufFtype::Q8_0,
            },
            n_ctx: s["n_ctx"].as_u64().unwrap(),
            n_seq: 1,
            n_ubatch: s["n_ubatch"].as_u64().or(*ubatch).unwrap(),
            ..RunSettings::default()
        };
        let ours = estimate(&spec, &settings)
            .host_compute
            .bytes(if *pipeline { 4 } else { 1 });
        // llama.cpp adds a few KiB of small inputs (positions, output ids)
        // and prints MiB with two decimals.
        let mib = ours as f64 / (1u64 << 20) as f64;
        assert!(
            (logged - mib) >= 0.0 && logged - mib <= 0.015,
            "{id}: vramfit {mib:.3} MiB, logged {logged}"
        );
    }
}

include!("data/gpu_loads.rs");
use gpu_loads::{gpu_load, kv_per_device, model_per_device, GPU_LOADS};

#[test]
fn gpu_compute_buffers_are_ggml_s_placement_of_the_graph() {
    for load in GPU_LOADS {
        let (ours, logged) = gpu_load(load);
        for &d in load.exact {
            let logged = logged[d].unwrap();
            assert!(
                (ours[d] - logged).abs() < 0.01,
                "{}: device {d}: ours {:.2} MiB, logged {logged}",
                load.id,
                ours[d]
            );
        }
        for (d, logged) in logged.iter().enumerate() {
            let Some(logged) = logged else { continue };
            if load.unknown.contains(&d) {
                continue;
            }
            let error = (ours[d] - logged) / logged;
            assert!(
                error.abs() <= 0.05,
                "{}: device {d}: {:+.1} %",
                load.id,
                error * 100.0
            );
        }
    }
}

#[test]
fn gpu_kv_and_model_buffers_are_each_device_s_layers() {
    let mut checked = 0;
    for load in GPU_LOADS {
        for (ours, logged) in [kv_per_device(load), model_per_device(load)]
            .into_iter()
            .flatten()
        {
            for (d, logged) in logged.iter().enumerate() {
                let Some(logged) = logged else { continue };
                assert!(
                    (ours[d] - logged).abs() < 0.01,
                    "{}: device {d}: ours {:.2} MiB, logged {logged}",
                    load.id,
                    ours[d]
                );
                checked += 1;
            }
        }
    }
    // Eight KV buffers, two model buffers (the GPU's and the host's).
    assert!(checked >= 10, "{checked} buffers");
}
