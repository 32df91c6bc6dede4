//! llama.cpp on GPU backends against load logs people posted
//! (`data/measured/llama_cpp_gpu_logs.json`, each load with its URL).
//!
//! So far: the host compute buffer (`CUDA_Host` / `ROCm_Host` /
//! `Vulkan_Host compute buffer size`) — the f32 KQ mask, once per pipeline
//! copy, and the input embeddings.

use serde_json::Value;
use vramfit::estimate::catalog::find;
use vramfit::estimate::format::GgufFtype;
use vramfit::estimate::ggml::{compute_buffers, weight_sizes, GraphEra, Placement, Shape, HOST};
use vramfit::estimate::memory::Engine;
use vramfit::estimate::weights::weight_bytes;
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

/// A logged GPU load whose model and settings the log (or its thread)
/// shows: the catalog model of the same shapes, the build's era, the KV
/// cells per stream, where its layers went, and the compute buffers to
/// match (MiB as logged; device 0 is the host's `*_Host` buffer).
struct GpuLoad {
    id: &'static str,
    model: &'static str,
    era: GraphEra,
    n_kv: u64,
    n_kv_swa: u64,
    n_ubatch: u64,
    flash_attn: bool,
    /// Layers per device, in order (0: the CPU).
    layers: &'static [(usize, usize)],
    output: usize,
    n_copies: usize,
    experts_on_host: bool,
    /// The file's type where the log gives it (it sizes the weights copied
    /// for the GPU to run host-resident layers' batches).
    ftype: GgufFtype,
    /// Devices whose logged buffer the model must match to the logged
    /// precision; the others must be within 5 % …
    exact: &'static [usize],
    /// … except these, whose buffer depends on what the log does not show.
    unknown: &'static [usize],
}

const GPU_LOADS: &[GpuLoad] = &[
    // qwen2.5-coder 32B Q8_0 on 2× RTX 3090 Ti, -ub 256, flash attention,
    // q8_0 cache, pipeline (b4462).
    GpuLoad {
        id: "issue11200-qwen25coder32b-q8-2x3090ti-q8kv-ts10-6",
        model: "qwen2.5-32b",
        era: GraphEra::Cpy,
        n_kv: 32768,
        n_kv_swa: 0,
        n_ubatch: 256,
        flash_attn: true,
        layers: &[(1, 40), (2, 24)],
        output: 2,
        n_copies: 4,
        experts_on_host: false,
        ftype: GgufFtype::Q8_0,
        exact: &[0, 1, 2],
        unknown: &[],
    },
    // An 80-layer Llama 3 70B on two GPUs, flash attention off: 10016
    // cells (padded to 32 without flash attention then).
    GpuLoad {
        id: "issue11132-70b-asym-2gpu-ctx10016",
        model: "llama-3.1-70b",
        era: GraphEra::Cpy,
        n_kv: 10016,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: false,
        layers: &[(1, 53), (2, 27)],
        output: 2,
        n_copies: 1,
        experts_on_host: false,
        ftype: GgufFtype::Q4_K_M,
        exact: &[1, 2],
        unknown: &[],
    },
    // DeepSeek-R1-Distill-Qwen-32B Q4_K_M on two GPUs, pipeline (Ollama).
    GpuLoad {
        id: "ollama9068-r1-distill-qwen32b-2gpu-pp4-ctx2048",
        model: "deepseek-r1-distill-qwen-32b",
        era: GraphEra::Cpy,
        n_kv: 2048,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: false,
        layers: &[(1, 33), (2, 31)],
        output: 2,
        n_copies: 4,
        experts_on_host: false,
        ftype: GgufFtype::Q4_K_M,
        exact: &[0, 1, 2],
        unknown: &[],
    },
    // A 64-layer 32B (Qwen2 shapes) on one GPU, 4 sequences of 16384 in
    // one unified cache (Ollama, early 2025).
    GpuLoad {
        id: "ollama9221-64layer-32b-np4-ctx65536",
        model: "qwen2.5-32b",
        era: GraphEra::Cpy,
        n_kv: 65536,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: false,
        layers: &[(1, 64)],
        output: 1,
        n_copies: 1,
        experts_on_host: false,
        ftype: GgufFtype::Q4_K_M,
        exact: &[1],
        unknown: &[],
    },
    // Llama 3 8B Q4_0, half its layers on the CPU (Ollama, 2024): the GPU
    // also runs the CPU layers' large batches, their KV copied to it.
    GpuLoad {
        id: "ollama4139-llama3-8b-partial-offload-ctx24576",
        model: "llama-3.1-8b",
        era: GraphEra::Cpy,
        n_kv: 24576,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: false,
        layers: &[(0, 16), (1, 16)],
        output: 1,
        n_copies: 1,
        experts_on_host: false,
        ftype: GgufFtype::Q4_0,
        exact: &[0, 1],
        unknown: &[],
    },
    // qwen2.5-coder 32B on one 7900 XTX (ROCm), q8_0 cache.
    GpuLoad {
        id: "issue11337-qwen25coder32b-q8kv-7900xtx-rocm",
        model: "qwen2.5-32b",
        era: GraphEra::Cpy,
        n_kv: 32768,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: true,
        layers: &[(1, 64)],
        output: 1,
        n_copies: 1,
        experts_on_host: false,
        ftype: GgufFtype::Q4_K_M,
        exact: &[0, 1],
        unknown: &[],
    },
    // GLM-4.5-Air on two GPUs with every expert on the CPU (LLAMA_SET_ROWS=0).
    // The first GPU runs the experts' large batches on copies of them: its
    // buffer depends on the file's expert type, which the log does not show.
    GpuLoad {
        id: "pr14939-glm45-air-2gpu-cpu-moe-ctx2048",
        model: "glm-4.5-air",
        era: GraphEra::Cpy,
        n_kv: 2048,
        n_kv_swa: 0,
        n_ubatch: 512,
        flash_attn: false,
        layers: &[(1, 23), (2, 23)],
        output: 2,
        n_copies: 1,
        experts_on_host: true,
        ftype: GgufFtype::Q4_K_M,
        exact: &[0, 2],
        unknown: &[1],
    },
    // gpt-oss-120b on 3× MI50 (ROCm), pipeline, 131072 tokens, flash
    // attention (b6688): 14/12/10 layers from the SWA cache per device.
    // The host and first GPU are exact; the later GPUs hold 22.5 MiB more
    // than ours (one more hidden state's 4 pipeline copies: gpt-oss's
    // attention sinks and expert biases are not in our graph).
    GpuLoad {
        id: "issue16424-gpt-oss-120b-3x-mi50-rocm-pp4-ctx131072",
        model: "gpt-oss-120b",
        era: GraphEra::SetRows,
        n_kv: 131072,
        n_kv_swa: 768,
        n_ubatch: 512,
        flash_attn: true,
        layers: &[(1, 14), (2, 12), (3, 10)],
        output: 3,
        n_copies: 4,
        experts_on_host: false,
        ftype: GgufFtype::MXFP4_MOE,
        exact: &[0, 1],
        unknown: &[],
    },
];

/// Our compute buffers (MiB) for a logged load, and the logged ones by device.
fn gpu_load(load: &GpuLoad) -> (Vec<f64>, Vec<Option<f64>>) {
    let logs: Value = serde_json::from_str(LOGS).unwrap();
    let logged = logs["loads"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["id"] == load.id)
        .unwrap_or_else(|| panic!("{} is not in the logs", load.id));
    let spec = find(load.model).unwrap().load().unwrap().spec;
    let layer: Vec<usize> = load
        .layers
        .iter()
        .flat_map(|&(d, n)| std::iter::repeat_n(d, n))
        .collect();
    assert_eq!(layer.len(), spec.layers.len(), "{}", load.id);
    let n_devices = load
        .layers
        .iter()
        .map(|l| l.0)
        .max()
        .unwrap()
        .max(load.output)
        + 1;
    let placement = Placement {
        experts: if load.experts_on_host {
            vec![HOST; layer.len()]
        } else {
            layer.clone()
        },
        kv: layer.clone(),
        pin_norms: layer.iter().all(|&d| d != HOST),
        layer,
        output: load.output,
        n_devices,
        n_copies: load.n_copies,
        op_offload: true,
    };
    let shape = Shape {
        n_ubatch: load.n_ubatch,
        n_kv: load.n_kv,
        n_kv_swa: load.n_kv_swa,
        flash_attn: load.flash_attn,
        era: load.era,
        rotate_k: false,
        rotate_v: false,
    };
    let weights = weight_bytes(&spec, WeightFormat::Gguf { ftype: load.ftype });
    let sizes = weight_sizes(&spec, &weights);
    let mut align = vec![128; n_devices];
    align[HOST] = 32;
    let layers: Vec<usize> = (0..spec.layers.len()).collect();
    let ours = compute_buffers(&spec, &layers, true, shape, &placement, &align, &sizes).unwrap();
    let compute = &logged["buffers_mib"]["compute"];
    let by_device = (0..n_devices)
        .map(|d| {
            compute.as_object().unwrap().iter().find_map(|(name, mib)| {
                let device = if name.ends_with("_Host") {
                    Some(HOST)
                } else {
                    name.trim_start_matches(|c: char| c.is_ascii_alphabetic())
                        .parse::<usize>()
                        .ok()
                        .map(|i| i + 1)
                };
                (device == Some(d)).then(|| mib.as_f64().unwrap())
            })
        })
        .collect();
    (
        ours.iter().map(|&b| b as f64 / 1048576.0).collect(),
        by_device,
    )
}

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
