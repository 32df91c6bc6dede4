// Shared by tests/llama_cpp_gpu.rs and the accuracy bench
// (tests/bench/accuracy.rs): llama.cpp loads on GPU backends from public
// threads (data/measured/llama_cpp_gpu_logs.json, each with its URL)
// against vramfit's graph of them placed by ggml's rules.

#[allow(dead_code)]
mod gpu_loads {
    use serde_json::Value;
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::format::{GgmlType, GgufFtype};
    use vramfit::estimate::ggml::{compute_buffers, weight_sizes, GraphEra, Placement, Shape, HOST};
    use vramfit::estimate::weights::weight_bytes;
    use vramfit::estimate::{KvType, WeightFormat};

    pub const LOGS: &str = include_str!("measured/llama_cpp_gpu_logs.json");

    /// A logged GPU load whose model and settings the log (or its thread)
    /// shows: the catalog model of the same shapes, the build's era, the KV
    /// cells per stream, where its layers went, and the compute buffers to
    /// match (MiB as logged; device 0 is the host's `*_Host` buffer).
    pub struct GpuLoad {
        pub id: &'static str,
        pub model: &'static str,
        pub era: GraphEra,
        pub n_kv: u64,
        pub n_kv_swa: u64,
        pub n_ubatch: u64,
        pub flash_attn: bool,
        /// Layers per device, in order (0: the CPU).
        pub layers: &'static [(usize, usize)],
        pub output: usize,
        pub n_copies: usize,
        pub experts_on_host: bool,
        /// The cache type, where the log's KV lines fit the layer split (its
        /// per-device KV buffers are then compared too).
        pub kv: Option<GgmlType>,
        /// The file's type where the log gives it (it sizes the weights copied
        /// for the GPU to run host-resident layers' batches).
        pub ftype: GgufFtype,
        /// Whether `ftype` is the file's (the model buffers are then compared).
        pub ftype_logged: bool,
        /// Devices whose logged buffer the model must match to the logged
        /// precision; the others must be within 5 % …
        pub exact: &'static [usize],
        /// … except these, whose buffer depends on what the log does not show.
        pub unknown: &'static [usize],
    }

    pub const GPU_LOADS: &[GpuLoad] = &[
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
            layers: &[(1, 41), (2, 23)],
            output: 2,
            n_copies: 4,
            experts_on_host: false,
            kv: Some(GgmlType::Q8_0),
            ftype: GgufFtype::Q8_0,
            ftype_logged: false,
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
            kv: None,
            ftype: GgufFtype::Q4_K_M,
            ftype_logged: false,
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
            kv: Some(GgmlType::F16),
            ftype: GgufFtype::Q4_K_M,
            ftype_logged: false,
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
            kv: Some(GgmlType::F16),
            ftype: GgufFtype::Q4_K_M,
            ftype_logged: true,
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
            kv: Some(GgmlType::F16),
            ftype: GgufFtype::Q4_0,
            ftype_logged: false,
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
            kv: Some(GgmlType::Q8_0),
            ftype: GgufFtype::Q4_K_M,
            ftype_logged: false,
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
            kv: None,
            ftype: GgufFtype::Q4_K_M,
            ftype_logged: false,
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
            kv: None,
            ftype: GgufFtype::MXFP4_MOE,
            ftype_logged: false,
            exact: &[0, 1],
            unknown: &[],
        },
    ];

    /// Our compute buffers (MiB) for a logged load, and the logged ones by device.
    pub fn gpu_load(load: &GpuLoad) -> (Vec<f64>, Vec<Option<f64>>) {
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
        let by_device = logged_by_device(load, "compute", n_devices);
        (
            ours.iter().map(|&b| b as f64 / 1048576.0).collect(),
            by_device,
        )
    }

    /// Our KV buffer per device (MiB) for a load with a known cache type:
    /// each layer's cells (`n_kv`, or `n_kv_swa` for a sliding layer) of K
    /// and V rows; and the logged ones.
    pub fn kv_per_device(load: &GpuLoad) -> Option<(Vec<f64>, Vec<Option<f64>>)> {
        let ty = KvType::Ggml(load.kv?);
        let spec = find(load.model).unwrap().load().unwrap().spec;
        let n_devices = load.layers.iter().map(|l| l.0).max().unwrap().max(load.output) + 1;
        let mut ours = vec![0u64; n_devices];
        let devices = load
            .layers
            .iter()
            .flat_map(|&(d, n)| std::iter::repeat_n(d, n));
        for (layer, d) in spec.layers.iter().zip(devices) {
            let Some(a) = layer.attention else { continue };
            let cells = if a.window_len().is_some() && spec.llama_cpp_swa {
                load.n_kv_swa
            } else {
                load.n_kv
            };
            let (k, v) = match a.kv {
                vramfit::estimate::model::KvLayout::Heads {
                    n_head_kv,
                    head_dim_k,
                    head_dim_v,
                } => (n_head_kv * head_dim_k, n_head_kv * head_dim_v),
                _ => continue,
            };
            ours[d] += ty.bytes(k, cells) + ty.bytes(v, cells);
        }
        Some((
            ours.iter().map(|&b| b as f64 / 1048576.0).collect(),
            logged_by_device(load, "kv", n_devices),
        ))
    }

    /// A logged buffer kind (`compute`, `kv`, `model`) by device index.
    pub fn logged_by_device(load: &GpuLoad, kind: &str, n_devices: usize) -> Vec<Option<f64>> {
        let logs: Value = serde_json::from_str(LOGS).unwrap();
        let logged = logs["loads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == load.id)
            .unwrap_or_else(|| panic!("{} is not in the logs", load.id));
        let buffers = &logged["buffers_mib"][kind];
        (0..n_devices)
            .map(|d| {
                buffers.as_object()?.iter().find_map(|(name, mib)| {
                    let device = if name.ends_with("_Host") || name == "CPU" {
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
            .collect()
    }

    /// Our model buffer per device (MiB) where the file's type is known:
    /// each device's layers, the output on its device, the token
    /// embeddings on the host; and the logged ones.
    pub fn model_per_device(load: &GpuLoad) -> Option<(Vec<f64>, Vec<Option<f64>>)> {
        if !load.ftype_logged {
            return None;
        }
        let spec = find(load.model).unwrap().load().unwrap().spec;
        let w = weight_bytes(&spec, WeightFormat::Gguf { ftype: load.ftype });
        let n_devices = load.layers.iter().map(|l| l.0).max().unwrap().max(load.output) + 1;
        let mut ours = vec![0u64; n_devices];
        let devices = load
            .layers
            .iter()
            .flat_map(|&(d, n)| std::iter::repeat_n(d, n));
        for (bytes, d) in w.layers.iter().zip(devices) {
            ours[d] += bytes;
        }
        ours[load.output] += w.output + w.other_globals;
        ours[HOST] += w.token_embd;
        Some((
            ours.iter().map(|&b| b as f64 / 1048576.0).collect(),
            logged_by_device(load, "model", n_devices),
        ))
    }
}
