// Shared by tests/measured.rs and tests/bench/accuracy.rs: what
// tests/bench/transformers_gpu.py measured on a real GPU, next to vramfit's
// transformers estimate of the same run.

const TRANSFORMERS_GPU: &str = include_str!("measured/transformers_gpu.json");

/// One generate() run: measured bytes and ours.
#[allow(dead_code)]
struct Measured {
    model: String,
    attn: String,
    batch: u64,
    context: u64,
    /// Tokens the returned cache holds (the last generated one is not fed back).
    cached_tokens: u64,
    /// Whether any layer has a sliding window (its returned cache is trimmed).
    sliding: bool,
    /// Parameters of the model transformers built, and ours.
    params: u64,
    ours_params: u64,
    weights: u64,
    kv_after: u64,
    /// Peak allocated during generate() beyond the weights.
    peak: u64,
    ours_weights: u64,
    /// Our KV for the tokens the returned cache holds.
    ours_kv_cached: u64,
    /// Our KV and compute for the requested context: the peak beyond weights.
    ours_kv: u64,
    ours_compute: u64,
}

impl Measured {
    fn ours_peak(&self) -> u64 {
        self.ours_kv + self.ours_compute
    }
}

/// The GPU, library versions and every measured run with our numbers.
fn transformers_gpu() -> (serde_json::Value, Vec<Measured>) {
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::{estimate, RunSettings, WeightFormat};

    let doc: serde_json::Value = serde_json::from_str(TRANSFORMERS_GPU).unwrap();
    let mut runs = Vec::new();
    for model in doc["models"].as_array().unwrap() {
        let Some(points) = model["points"].as_array() else {
            continue;
        };
        let id = model["model"].as_str().unwrap();
        let attn = model["attn"].as_str().unwrap_or("?").to_string();
        let spec = find(id).unwrap().load().unwrap().spec;
        let sliding = spec.layers.iter().any(|l| l.attention.is_some_and(|a| a.window_len().is_some()));
        for p in points {
            if p.get("peak_bytes").is_none() {
                continue;
            }
            let u = |v: &serde_json::Value| v.as_u64().unwrap();
            let settings = |n_ctx| RunSettings {
                engine: Engine::Transformers,
                weights: WeightFormat::BF16,
                n_ctx,
                n_seq: u(&p["batch"]),
                flash_attn: attn != "eager",
                ..RunSettings::default()
            };
            let cached = estimate(&spec, &settings(u(&p["cached_tokens"])));
            let full = estimate(&spec, &settings(u(&p["context"])));
            runs.push(Measured {
                model: id.to_string(),
                attn: attn.clone(),
                batch: u(&p["batch"]),
                context: u(&p["context"]),
                cached_tokens: u(&p["cached_tokens"]),
                sliding,
                weights: u(&model["weights_bytes"]),
                params: u(&model["params"]),
                ours_params: full.params.total,
                kv_after: u(&p["kv_bytes"]),
                peak: u(&p["peak_bytes"]),
                ours_weights: full.weights_total(),
                ours_kv_cached: cached.kv_total(),
                ours_kv: full.kv_total(),
                ours_compute: full.compute_layers + full.compute_output,
            });
        }
    }
    (doc, runs)
}

const LLAMA_CPP_CPU: &str = include_str!("measured/llama_cpp_cpu.json");

/// One llama.cpp load (CPU) through llama-cpp-python: MiB it logged, ours.
#[allow(dead_code)]
#[derive(Debug)]
struct Loaded {
    model: String,
    ftype: String,
    n_ctx: u64,
    n_ubatch: u64,
    kv: String,
    flash_attn: bool,
    /// The mapped model buffer (a CPU_REPACK copy comes on top on CPU).
    model_mib: f64,
    repack_mib: f64,
    kv_mib: f64,
    compute_mib: f64,
    ours_model_mib: f64,
    ours_kv_mib: f64,
    /// Our compute buffer of a single device holding every layer and the output.
    ours_compute_mib: f64,
}

/// A GGUF file llama-quantize wrote: its tensor data and types, and ours.
#[allow(dead_code)]
#[derive(Debug)]
struct Quantized {
    model: String,
    ftype: String,
    tensor_bytes: u64,
    ours_bytes: u64,
    /// Tensor count per ggml type, sorted by type name.
    types: Vec<(String, u64)>,
    ours_types: Vec<(String, u64)>,
}

fn llama_cpp_files() -> Vec<Quantized> {
    use std::collections::BTreeMap;
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::weights::{gguf_tensor_types, weight_bytes};
    use vramfit::estimate::WeightFormat;

    let doc: serde_json::Value = serde_json::from_str(LLAMA_CPP_CPU).unwrap();
    let mut files = Vec::new();
    for model in doc["models"].as_array().unwrap() {
        let id = model["model"].as_str().unwrap();
        let spec = find(id).unwrap().load().unwrap().spec;
        for (ftype, file) in model["files"].as_object().unwrap() {
            let format: WeightFormat = ftype.parse().unwrap();
            let WeightFormat::Gguf { ftype: gguf } = format else {
                panic!("{ftype} is not a GGUF type");
            };
            let mut ours_types = BTreeMap::new();
            for (_, _, ty) in gguf_tensor_types(&spec, gguf) {
                *ours_types.entry(ty.name().to_string()).or_insert(0) += 1;
            }
            let types = file["types"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect::<BTreeMap<_, _>>();
            files.push(Quantized {
                model: id.to_string(),
                ftype: ftype.clone(),
                tensor_bytes: file["tensor_bytes"].as_u64().unwrap(),
                ours_bytes: weight_bytes(&spec, format).file,
                types: types.into_iter().collect(),
                ours_types: ours_types.into_iter().collect(),
            });
        }
    }
    files
}

fn llama_cpp_cpu() -> (serde_json::Value, Vec<Loaded>) {
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::weights::weight_bytes;
    use vramfit::estimate::{estimate, KvType, RunSettings, WeightFormat};

    let doc: serde_json::Value = serde_json::from_str(LLAMA_CPP_CPU).unwrap();
    let mib = |b: u64| b as f64 / 1048576.0;
    let mut loads = Vec::new();
    for model in doc["models"].as_array().unwrap() {
        let id = model["model"].as_str().unwrap();
        let spec = find(id).unwrap().load().unwrap().spec;
        for l in model["loads"].as_array().unwrap() {
            let ftype = l["ftype"].as_str().unwrap();
            let weights: WeightFormat = ftype.parse().unwrap();
            let kv: KvType = l["kv"].as_str().unwrap().parse().unwrap();
            let settings = RunSettings {
                engine: Engine::LlamaCpp,
                weights,
                type_k: kv,
                type_v: kv,
                n_ctx: l["n_ctx"].as_u64().unwrap(),
                n_seq: 1,
                n_ubatch: l["n_ubatch"].as_u64().unwrap(),
                flash_attn: l["flash_attn"].as_bool().unwrap(),
                ..RunSettings::default()
            };
            let e = estimate(&spec, &settings);
            let logged = |kind: &str, backend: &str| l["mib"][kind][backend].as_f64().unwrap_or(0.0);
            loads.push(Loaded {
                model: id.to_string(),
                ftype: ftype.to_string(),
                n_ctx: settings.n_ctx,
                n_ubatch: settings.n_ubatch,
                kv: l["kv"].as_str().unwrap().to_string(),
                flash_attn: settings.flash_attn,
                model_mib: logged("model", "CPU_Mapped"),
                repack_mib: logged("model", "CPU_REPACK"),
                kv_mib: logged("KV", "CPU"),
                compute_mib: logged("compute", "CPU"),
                ours_model_mib: mib(weight_bytes(&spec, weights).file),
                ours_kv_mib: mib(e.kv_total()),
                // One CPU buffer: the graph placed on the host alone.
                ours_compute_mib: mib(e.graph.map_or(e.compute_layers + e.compute_output, |g| {
                    g.role(&spec, &e.weights, vramfit::estimate::ggml::Role::Cpu)[0]
                })),
            });
        }
    }
    (doc, loads)
}
