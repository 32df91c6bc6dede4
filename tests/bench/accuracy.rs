//! Accuracy against facts no one here chose, as Markdown tables:
//! `cargo bench --bench accuracy`. The exact cases are also tests
//! (tests/params.rs, estimate::weights, estimate::memory); this prints the
//! error of every case and the worst one.

use std::collections::BTreeMap;
use vramfit::estimate::catalog::find;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::weights::weight_bytes;

use vramfit::estimate::format::TorchDtype;
use vramfit::estimate::{estimate, GgmlType, KvType, RunSettings, WeightFormat};
use vramfit::import::config::supported_model_types;
use vramfit::import::file::gguf_import;
use vramfit::import::gguf::{GgufHeader, TensorInfo, Value as Meta};
use vramfit::import::parse_config;

const ARCH: &str = include_str!("../data/measured/transformers_arch.json");
const VLM: &str = include_str!("../data/measured/transformers_vlm.json");

include!("../data/hybrid_loads.rs");
include!("../data/vllm_runs.rs");
include!("../data/quant_runs.rs");
include!("../data/gpu_loads.rs");
include!("../data/graph_traces.rs");

const REFERENCE: &str = include_str!("../data/reference_models.json");

include!("../data/perturbed.rs");
include!("../data/speed_cases.rs");
include!("../data/vllm_speed_cases.rs");
include!("../data/training_exact_cases.rs");
include!("../data/training_cases.rs");

fn main() {
    // 1. Parameter counts.
    let models: Vec<serde_json::Value> = serde_json::from_str(REFERENCE).unwrap();
    println!("### Parameter counts (transformers model classes)\n");
    println!("| model | reference | vramfit | error |");
    println!("|---|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    for m in &models {
        let spec = parse_config(&m["config"].to_string()).unwrap().spec;
        let ours = spec.params().total;
        let reference = m["params_total"].as_u64().unwrap();
        let error = (ours as f64 - reference as f64).abs() / reference as f64;
        worst = worst.max(error);
        println!(
            "| {} | {reference} | {ours} | {:.4} % |",
            m["id"].as_str().unwrap(),
            error * 100.0
        );
    }
    println!(
        "\nWorst parameter-count error: {:.4} % over {} models.\n",
        worst * 100.0,
        models.len()
    );

    // 1b. Perturbed configs against closed forms.
    println!("### Perturbed configs against closed forms (total / active parameters)\n");
    println!("| config | closed form | vramfit | error |");
    println!("|---|---:|---:|---:|");
    let cases = perturbed();
    let mut worst: f64 = 0.0;
    for case in &cases {
        let p = parse_config(&case.config.to_string())
            .unwrap()
            .spec
            .params();
        let error = (p.total as f64 - case.total as f64).abs() / case.total as f64;
        let active = (p.active as f64 - case.active as f64).abs() / case.active as f64;
        worst = worst.max(error).max(active);
        println!(
            "| {} | {} / {} | {} / {} | {:.4} % |",
            case.label.replace('|', "\\|"),
            case.total,
            case.active,
            p.total,
            p.active,
            error.max(active) * 100.0
        );
    }
    println!(
        "\nWorst: {:.4} % over {} perturbed configs.\n",
        worst * 100.0,
        cases.len()
    );

    architectures();
    vision_language();
    vllm_logs();
    hybrid_kv();
    quant_mixes();

    // 2. GGUF file sizes (TheBloke/Llama-2-7B-GGUF).
    println!("### Llama-2-7B GGUF tensor data vs published file sizes\n");
    println!("| ftype | published | vramfit tensor data | difference |");
    println!("|---|---:|---:|---:|");
    let spec = find("llama-2-7b").unwrap().load().unwrap().spec;
    let published: [(&str, f64); 12] = [
        ("q2_k", 2.83e9),
        ("q3_k_s", 2.95e9),
        ("q3_k_m", 3.30e9),
        ("q3_k_l", 3.60e9),
        ("q4_0", 3.83e9),
        ("q4_k_s", 3.86e9),
        ("q4_k_m", 4_081_004_224.0),
        ("q5_0", 4.65e9),
        ("q5_k_s", 4.65e9),
        ("q5_k_m", 4.78e9),
        ("q6_k", 5.53e9),
        ("q8_0", 7.16e9),
    ];
    let mut worst_gguf: (f64, &str) = (0.0, "");
    for (ftype, bytes) in published {
        let ours = weight_bytes(&spec, ftype.parse().unwrap()).file as f64;
        let error = (ours - bytes) / bytes;
        if ftype != "q2_k" && error.abs() > worst_gguf.0.abs() {
            worst_gguf = (error, ftype);
        }
        let shown = if ftype == "q4_k_m" {
            format!("{bytes:.0} B")
        } else {
            format!("{:.2} GB", bytes / 1e9)
        };
        println!(
            "| {ftype} | {shown} | {ours:.0} B | {:+.3} % |",
            error * 100.0
        );
    }
    println!(
        "\nWorst (Q2_K aside: the published file predates llama.cpp's current Q2_K mix): {:+.3} % ({}). \
         Listed sizes are rounded to 0.01 GB and include under 1 MB of metadata.\n",
        worst_gguf.0 * 100.0,
        worst_gguf.1
    );

    // 3. KV cache against llama.cpp's formula.
    println!("### KV cache (llama.cpp) against worked examples\n");
    println!("| model | n_ctx | cache type | reference MiB | vramfit MiB |");
    println!("|---|---:|---|---:|---:|");
    let cases = [
        ("llama-2-7b", 4096, GgmlType::F16, 2048.0),
        ("llama-2-7b", 4096, GgmlType::Q8_0, 1088.0),
        ("llama-3.1-8b", 4096, GgmlType::F16, 512.0),
        ("llama-2-70b", 4096, GgmlType::F16, 1280.0),
        ("qwen2.5-7b", 2048, GgmlType::F16, 112.0),
        // n_layer × cells × (n_embd_k_gqa + n_embd_v_gqa) × bytes, q4_0 = 18/32.
        (
            "llama-3.1-8b",
            8192,
            GgmlType::Q4_0,
            32.0 * 8192.0 * 2048.0 * 18.0 / 32.0 / 1048576.0,
        ),
        // Gemma 2: 21 global layers × 32768 + 21 local × pad256(4096 + 512) cells, 8 × 256 × 2 × 2 bytes.
        (
            "gemma-2-9b",
            32768,
            GgmlType::F16,
            (21.0 * 32768.0 + 21.0 * 4608.0) * 8192.0 / 1048576.0,
        ),
        // DeepSeek-V2-Lite (MLA): 27 layers × cells × (512 + 64) × 2 bytes, K only.
        (
            "deepseek-v2-lite",
            8192,
            GgmlType::F16,
            27.0 * 8192.0 * 576.0 * 2.0 / 1048576.0,
        ),
    ];
    let mut worst_kv: f64 = 0.0;
    for (model, n_ctx, ty, reference) in cases {
        let spec = find(model).unwrap().load().unwrap().spec;
        let s = RunSettings {
            engine: Engine::LlamaCpp,
            type_k: KvType::Ggml(ty),
            type_v: KvType::Ggml(ty),
            n_ctx,
            ..RunSettings::default()
        };
        let ours = estimate(&spec, &s).kv_total() as f64 / 1048576.0;
        worst_kv = worst_kv.max((ours - reference).abs() / reference);
        println!(
            "| {model} | {n_ctx} | {} | {reference:.1} | {ours:.1} |",
            ty.name().to_lowercase()
        );
    }
    println!("\nWorst KV error: {:.4} %.", worst_kv * 100.0);

    llama_cpp_measured();
    llama_cpp_graph();
    llama_cpp_gpu_logs();
    speed();
    training();
    transformers_measured();
}

/// vramfit's llama.cpp graph, placed by its port of ggml-alloc, against
/// ggml's own reservation on the CPU (traced to the byte).
fn llama_cpp_graph() {
    let doc: serde_json::Value = serde_json::from_str(graph_traces::TRACED).unwrap();
    println!(
        "\n### llama.cpp's compute graph against ggml's allocator (traced, CPU)\n\n\
         Two layers of each model's real widths (all-zero Q4_0 weights, the real vocabulary), \
         loaded by llama-cpp-python {} (llama.cpp 0c1e570) with ggml-alloc's reservations traced \
         to the byte by tests/bench/ggml_alloc_trace.c (`python3 tests/bench/llama_cpp_graph.py`, \
         {}); ours is vramfit's graph of the same layers placed by its port of the allocator \
         (src/estimate/ggml).\n",
        doc["llama_cpp_python"].as_str().unwrap(),
        doc["date"].as_str().unwrap()
    );
    println!("| model | n_ctx | n_ubatch | flash | cache | ggml bytes | vramfit bytes |");
    println!("|---|---:|---:|---|---|---:|---:|");
    let mut worst = 0u64;
    for (l, ggml, ours) in graph_traces::loads() {
        worst = worst.max(ours.abs_diff(ggml));
        println!(
            "| {} | {} | {} | {} | {} | {ggml} | {ours} |",
            l["model"].as_str().unwrap(),
            l["n_ctx"],
            l["n_ubatch"],
            if l["flash_attn"] == true { "on" } else { "off" },
            l["kv"].as_str().unwrap()
        );
    }
    println!("\nWorst difference: {worst} bytes.");
}

/// Logged llama.cpp loads on GPU backends against the graph placed per
/// device (compute) and each device's layers (KV).
fn llama_cpp_gpu_logs() {
    let logs: serde_json::Value = serde_json::from_str(gpu_loads::LOGS).unwrap();
    let url = |id: &str| {
        logs["loads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == id)
            .and_then(|l| l["url"].as_str())
            .unwrap_or("")
            .to_string()
    };
    println!(
        "\n### llama.cpp on GPU backends: logged buffers (public threads, tests/data/measured/llama_cpp_gpu_logs.json)\n\n\
         {} loads collected; these {} name their model (or their thread does) and show their settings. \
         Device 0 is the host's pinned buffer (`CUDA_Host`, `ROCm_Host`); MiB as logged (two decimals) / ours.\n",
        logs["loads"].as_array().unwrap().len(),
        gpu_loads::GPU_LOADS.len()
    );
    println!("| load | model (era) | device | compute logged / ours | error | KV logged / ours | model logged / ours |");
    println!("|---|---|---:|---:|---:|---:|---:|");
    let mut errors = Vec::new();
    let mut exact = (0, 0);
    for load in gpu_loads::GPU_LOADS {
        let (ours, logged) = gpu_loads::gpu_load(load);
        let kv = gpu_loads::kv_per_device(load);
        let model = gpu_loads::model_per_device(load);
        for (d, l) in logged.iter().enumerate() {
            let Some(l) = l else { continue };
            let error = (ours[d] - l) / l;
            let cell = |pair: &Option<(Vec<f64>, Vec<Option<f64>>)>| match pair {
                Some((o, g)) => g[d].map_or("–".to_string(), |g| format!("{g:.2} / {:.2}", o[d])),
                None => "–".to_string(),
            };
            let (kv_cell, model_cell) = (cell(&kv), cell(&model));
            let note = if load.unknown.contains(&d) {
                " (expert type not logged)"
            } else {
                ""
            };
            if !load.unknown.contains(&d) {
                errors.push(error.abs());
                exact.1 += 1;
                if (ours[d] - l).abs() < 0.01 {
                    exact.0 += 1;
                }
            }
            println!(
                "| [{}]({}) | {} ({:?}) | {d} | {l:.2} / {:.2} | {:+.2} %{note} | {kv_cell} | {model_cell} |",
                load.id,
                url(load.id),
                load.model,
                load.era,
                ours[d],
                error * 100.0
            );
        }
    }
    errors.sort_by(f64::total_cmp);
    println!(
        "\nCompute buffers: {} of {} to the logged precision, median error {:.2} %, worst {:.2} %. \
         The worst are gpt-oss-120b's second and third GPUs (22.5 MiB, one hidden state's four pipeline copies, \
         under ours: its attention sinks and expert biases are not in our graph). GLM-4.5-Air's first GPU holds \
         a copy of one expert tensor for the CPU experts' large batches; its size depends on the file's expert \
         type, which the log does not show (its second GPU and host buffer are exact).",
        exact.0,
        exact.1,
        errors[errors.len() / 2] * 100.0,
        errors.last().unwrap() * 100.0
    );
}

include!("../data/measured.rs");

/// transformers generate() on a real GPU against our transformers estimate.
fn transformers_measured() {
    let (doc, runs) = transformers_gpu();
    let gib = |b: u64| b as f64 / (1u64 << 30) as f64;
    println!(
        "\n### transformers generate() on {} (measured)\n\n\
         torch {}, transformers {}, CUDA {}; random bf16 weights built from each catalog \
         config, `generate()` of {} new tokens after a prompt filling the context. \
         Measured by `python3 tests/bench/transformers_gpu.py` on {} (`./bench --gpu`); \
         \"peak\" is `torch.cuda.max_memory_allocated()` during `generate()` beyond the \
         weights, ours is KV + compute for the same batch × context.\n",
        doc["gpu"].as_str().unwrap(),
        doc["torch"].as_str().unwrap(),
        doc["transformers"].as_str().unwrap(),
        doc["cuda"].as_str().unwrap(),
        doc["new_tokens"],
        doc["date"].as_str().unwrap(),
    );
    println!("| model | attention | batch × context | weights GiB (ours) | peak beyond weights GiB | ours GiB | error | total error |");
    println!("|---|---|---:|---:|---:|---:|---:|---:|");
    let mut worst = (0.0f64, String::new());
    let mut worst_total = (0.0f64, String::new());
    for r in &runs {
        let error = (r.ours_peak() as f64 - r.peak as f64) / r.peak as f64;
        let total = ((r.ours_weights + r.ours_peak()) as f64 - (r.weights + r.peak) as f64)
            / (r.weights + r.peak) as f64;
        let case = format!("{} {} {}×{}", r.model, r.attn, r.batch, r.context);
        if error.abs() > worst.0.abs() {
            worst = (error, case.clone());
        }
        if total.abs() > worst_total.0.abs() {
            worst_total = (total, case);
        }
        println!(
            "| {} | {} | {} × {} | {:.2} ({:.2}) | {:.3} | {:.3} | {:+.1} % | {:+.2} % |",
            r.model,
            r.attn,
            r.batch,
            r.context,
            gib(r.weights),
            gib(r.ours_weights),
            gib(r.peak),
            gib(r.ours_peak()),
            error * 100.0,
            total * 100.0
        );
    }
    println!(
        "\nWorst error beyond the weights: {:+.1} % ({}); worst error of the whole peak: {:+.2} % ({}).",
        worst.0 * 100.0,
        worst.1,
        worst_total.0 * 100.0,
        worst_total.1
    );
    let exact = runs.iter().filter(|r| !r.sliding).count();
    let kv_worst = runs
        .iter()
        .filter(|r| !r.sliding)
        .map(|r| r.kv_after.abs_diff(r.ours_kv_cached))
        .max()
        .unwrap_or(0);
    println!(
        "KV cache returned by `generate()` (full-attention models, {exact} runs): within {kv_worst} bytes of ours."
    );
    println!(
        "CUDA context (memory outside PyTorch's allocator before any model): {:.0} MiB; with cuBLAS \
         workspaces after the runs: {:.0} MiB; cuBLAS's workspace inside PyTorch's allocator: \
         {:.0} MiB. vramfit's default overhead is 500 MiB per GPU.",
        doc["cuda_context_bytes"].as_f64().unwrap() / 1048576.0,
        runs_outside(&doc) / 1048576.0,
        doc["cublas_workspace_bytes"].as_f64().unwrap_or(0.0) / 1048576.0
    );
}

fn runs_outside(doc: &serde_json::Value) -> f64 {
    doc["models"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| m["points"].as_array().into_iter().flatten())
        .filter_map(|p| p["outside_allocator_bytes"].as_f64())
        .fold(0.0, f64::max)
}

/// llama.cpp's own files and buffers (CPU, through llama-cpp-python).
fn llama_cpp_measured() {
    let (doc, loads) = llama_cpp_cpu();
    println!(
        "\n### llama.cpp's own numbers (measured)\n\n\
         llama-cpp-python {} (llama.cpp built from source, CPU), gguf {}: F16 GGUF files of \
         catalog architectures with constant weights, quantized by llama.cpp's quantizer, \
         then loaded with each n_ctx, n_ubatch, cache type and flash-attention setting. \
         Measured by `python3 tests/bench/llama_cpp_cpu.py` on {} (`./bench --llama-cpp`).\n",
        doc["llama_cpp_python"].as_str().unwrap(),
        doc["gguf"].as_str().unwrap_or("?"),
        doc["date"].as_str().unwrap(),
    );
    println!("| model | type | tensor data written by llama-quantize | vramfit | tensors per type equal |");
    println!("|---|---|---:|---:|---|");
    let mut worst_file: u64 = 0;
    for f in llama_cpp_files() {
        worst_file = worst_file.max(f.tensor_bytes.abs_diff(f.ours_bytes));
        println!(
            "| {} | {} | {} B | {} B | {} |",
            f.model,
            f.ftype,
            f.tensor_bytes,
            f.ours_bytes,
            if f.types == f.ours_types {
                "yes"
            } else {
                "**no**"
            }
        );
    }
    println!("\nWorst tensor-data difference: {worst_file} bytes.\n");
    println!("| model | type | n_ctx | n_ubatch | cache | flash | KV MiB (ours) | compute MiB (ours) | compute error |");
    println!("|---|---|---:|---:|---|---|---:|---:|---:|");
    let mut worst_kv: f64 = 0.0;
    let mut worst_fa: f64 = 0.0;
    let mut worst_no_fa: f64 = 0.0;
    for l in &loads {
        worst_kv = worst_kv.max((l.kv_mib - l.ours_kv_mib).abs());
        let error = (l.ours_compute_mib - l.compute_mib) / l.compute_mib;
        let worst = if l.flash_attn {
            &mut worst_fa
        } else {
            &mut worst_no_fa
        };
        if error.abs() > worst.abs() {
            *worst = error;
        }
        println!(
            "| {} | {} | {} | {} | {} | {} | {:.2} ({:.2}) | {:.2} ({:.2}) | {:+.2} % |",
            l.model,
            l.ftype,
            l.n_ctx,
            l.n_ubatch,
            l.kv,
            if l.flash_attn { "on" } else { "off" },
            l.kv_mib,
            l.ours_kv_mib,
            l.compute_mib,
            l.ours_compute_mib,
            error * 100.0
        );
    }
    println!(
        "\nKV buffers: worst difference {worst_kv:.3} MiB (llama.cpp logs two decimals). Compute \
         buffer (vramfit's graph placed on the CPU alone, src/estimate/ggml) with flash attention: \
         worst {:+.2} %; without: {:+.2} %. On GPU backends the same graph is placed per device \
         with the scheduler's copies between them (below); CPU_REPACK copies do not exist there, \
         and the model buffer is the tensor data above.",
        worst_fa * 100.0,
        worst_no_fa * 100.0
    );
}

/// Every `model_type` against transformers 5.24 (tests/arch.rs has the
/// same cases as exact tests): parameter counts of class defaults, real and
/// perturbed configs, with the held-out ones apart, and `generate()` caches.
fn architectures() {
    let all: Value = serde_json::from_str(ARCH).unwrap();
    let supported = |c: &Value| {
        let t = c["config"]["model_type"].as_str().unwrap_or("");
        c["config"].get("vision_config").is_none() && supported_model_types().any(|s| s == t)
    };
    // model_type → [dev cases, dev exact, holdout cases, holdout exact, worst %]
    let mut rows: BTreeMap<String, [f64; 5]> = BTreeMap::new();
    for case in all["params"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| supported(c))
    {
        let t = case["config"]["model_type"].as_str().unwrap().to_string();
        let expected = case["total"].as_u64().unwrap();
        let got = parse_config(&case["config"].to_string()).map_or(0, |i| i.spec.params().total);
        let error = (got as f64 - expected as f64).abs() / expected as f64 * 100.0;
        let row = rows.entry(t).or_default();
        let at = if case["holdout"] == true { 2 } else { 0 };
        row[at] += 1.0;
        row[at + 1] += f64::from(u8::from(got == expected));
        row[4] = row[4].max(error);
    }
    let mut caches: BTreeMap<String, (u32, u32)> = BTreeMap::new();
    for case in all["cache"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| supported(c))
    {
        let spec = parse_config(&case["config"].to_string()).unwrap().spec;
        let (dtype, kv) = if case["dtype"] == "float32" {
            (TorchDtype::F32, GgmlType::F32)
        } else {
            (TorchDtype::BF16, GgmlType::BF16)
        };
        let prefill = &case["after_prefill"];
        let settings = RunSettings {
            engine: Engine::Transformers,
            weights: WeightFormat::Torch { dtype },
            type_k: KvType::Ggml(kv),
            type_v: KvType::Ggml(kv),
            n_ctx: prefill["cached_tokens"]
                .as_u64()
                .unwrap_or(case["prompt"].as_u64().unwrap()),
            n_seq: case["batch"].as_u64().unwrap(),
            ..RunSettings::default()
        };
        let scalars: u64 = case["layers"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|l| l["tensors"].as_array().cloned().unwrap_or_default())
            .filter(|t| t["shape"].as_array().is_some_and(|s| s.is_empty()))
            .map(|t| t["nbytes"].as_u64().unwrap())
            .sum();
        let expected = prefill["storage_bytes"].as_u64().unwrap() - scalars;
        let got = estimate(&spec, &settings).kv_total();
        let entry = caches
            .entry(case["config"]["model_type"].as_str().unwrap().to_string())
            .or_default();
        entry.0 += 1;
        entry.1 += u32::from(got == expected);
    }
    println!("### Every architecture against transformers 5.24 (meta-device counts, CPU generate() caches)\n");
    println!(
        "| model_type | parameter counts exact | held out, exact | worst error | caches exact |"
    );
    println!("|---|---:|---:|---:|---:|");
    let (mut n, mut exact) = (0.0, 0.0);
    for (t, r) in &rows {
        let (c, e) = caches.get(t).copied().unwrap_or_default();
        n += r[0] + r[2];
        exact += r[1] + r[3];
        println!(
            "| {t} | {}/{} | {}/{} | {:.4} % | {} |",
            r[1],
            r[0],
            r[3],
            r[2],
            r[4],
            if c == 0 {
                "—".to_string()
            } else {
                format!("{e}/{c}")
            }
        );
    }
    println!(
        "\n{exact} of {n} parameter counts exact over {} model types.\n",
        rows.len()
    );
}

/// llama.cpp's KV + recurrent-state buffers on hybrid, state-space and
/// new-attention architectures (tests/llama_cpp_hybrid.rs).
fn hybrid_kv() {
    let mut by_arch: BTreeMap<String, (u32, u32, u64)> = BTreeMap::new();
    for l in hybrid_loads() {
        let e = by_arch.entry(l.arch.clone()).or_default();
        e.0 += 1;
        e.1 += u32::from(l.ours == l.exact);
        e.2 = e.2.max(l.ours.abs_diff(l.logged));
    }
    println!(
        "### KV cache + recurrent state against llama.cpp 0c1e570 (CPU, llama-cpp-python 0.3.36)\n"
    );
    println!("| architecture | loads exact | worst difference from the logged MiB |");
    println!("|---|---:|---:|");
    for (arch, (n, e, worst)) in &by_arch {
        println!("| {arch} | {e}/{n} | {worst} B |");
    }
    println!();
}

/// GGUF mixes against llama.cpp's quantizer (tests/llama_cpp_quant.rs).
fn quant_mixes() {
    // model → [runs, runs typed alike, tensors, tensors typed alike], worst byte error
    let mut rows: BTreeMap<String, ([usize; 4], f64)> = BTreeMap::new();
    for run in quant_runs::runs() {
        let ours = quant_runs::replay(&run);
        let (n, worst) = rows.entry(run.model.clone()).or_default();
        n[0] += 1;
        n[1] += usize::from(ours.wrong.is_empty());
        n[2] += ours.same + ours.wrong.len();
        n[3] += ours.same;
        if let Some(theirs) = run.tensor_bytes {
            let error = (ours.bytes as f64 - theirs as f64) / theirs as f64;
            if error.abs() > worst.abs() {
                *worst = error;
            }
        }
    }
    println!(
        "### GGUF mixes against llama.cpp 0c1e570's quantizer (every ftype, with and without an imatrix)\n"
    );
    println!("| tiny model | files typed alike | tensors typed alike | worst tensor-byte error |");
    println!("|---|---:|---:|---:|");
    for (model, (n, worst)) in &rows {
        println!(
            "| {model} | {}/{} | {}/{} | {:+.3} % |",
            n[1],
            n[0],
            n[3],
            n[2],
            worst * 100.0
        );
    }
    println!();
}

/// Vision-language models by part against transformers 5.24 (tests/vlm.rs
/// has the same cases as exact tests).
fn vision_language() {
    let all: Value = serde_json::from_str(VLM).unwrap();
    // wrapper → [cases, exact, held out, held out exact]
    let mut rows: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    for case in all["params"].as_array().unwrap() {
        let Ok(imported) = parse_config(&case["config"].to_string()) else {
            continue;
        };
        if imported.spec.vision.is_none() {
            continue;
        }
        let p = imported.spec.params();
        let parts = &case["parts"];
        let exact = p.total == case["total"].as_u64().unwrap()
            && p.parts.text == parts["text"].as_u64().unwrap()
            && p.parts.vision == parts["vision"].as_u64().unwrap()
            && p.parts.projector == parts["projector"].as_u64().unwrap();
        let row = rows
            .entry(case["model_type"].as_str().unwrap().to_string())
            .or_default();
        let at = if case["holdout"] == true { 2 } else { 0 };
        row[at] += 1;
        row[at + 1] += u32::from(exact);
    }
    println!("### Vision-language models against transformers 5.24 (total, text, vision and projector parameters)\n");
    println!("| wrapper | cases exact | held out, exact |");
    println!("|---|---:|---:|");
    for (t, r) in &rows {
        println!("| {t} | {}/{} | {}/{} |", r[1], r[0], r[3], r[2]);
    }
    println!();
}

/// vLLM startup logs (tests/vllm_logs.rs): the KV pool from the logged
/// KV memory, and the whole budget from the model, GPU and flags.
fn vllm_logs() {
    let runs = vllm_runs::runs();
    println!("### vLLM startup logs (public threads, tests/data/measured/vllm_logs.json)\n");
    println!(
        "{} runs collected; {} not modelled (speculative decoding, prefix-cached hybrids, summaries instead of logs).\n",
        runs.len(),
        vllm_runs::NOT_MODELLED.len()
    );
    println!("KV pool: \"GPU KV cache size\" and \"Maximum concurrency\" from the logged available KV memory (page size, hybrid groups, the release's token formula).\n");
    println!("| run | release | vramfit tokens | logged tokens | vramfit concurrency | logged concurrency | |");
    println!("|---|---|---:|---:|---:|---:|---|");
    for run in &runs {
        let Some(c) = vllm_runs::pool_check(run) else {
            continue;
        };
        let ok = if c.tokens_ok() && c.concurrency_ok() {
            "✓"
        } else {
            "✗"
        };
        println!(
            "| [{}]({}) | {} | {} | {} | {:.2} | {} | {ok} |",
            run.id,
            run.url,
            run.version.map_or("?".to_string(), |v| v.to_string()),
            c.tokens.0,
            c.logged_tokens.map_or("–".into(), |t| t.to_string()),
            c.concurrency.0,
            c.logged_concurrency
                .map_or("–".into(), |t| format!("{t:.2}")),
        );
    }
    println!("\nBudget: the whole startup from the model, the GPU's CUDA total and the flags, against what the log printed (GiB).\n");
    println!("| run | weights vramfit / logged | activation vramfit / logged | KV cache vramfit / logged | error in KV |");
    println!("|---|---:|---:|---:|---:|");
    let show = |x: Option<f64>| x.map_or("–".to_string(), |v| format!("{v:.2}"));
    for run in &runs {
        let Some(b) = vllm_runs::budget_check(run) else {
            continue;
        };
        // Against the budget (total × utilization): a thin KV remainder
        // makes any relative KV error look huge.
        let error = b.logged_kv_gib.map_or("–".to_string(), |l| {
            format!(
                "{:+.2} GiB ({:+.1} % of the budget)",
                b.kv_gib - l,
                (b.kv_gib - l) / b.budget_gib * 100.0
            )
        });
        println!(
            "| [{}]({}) | {:.2} / {} | {:.2} / {} | {:.2} / {} | {error} |",
            run.id,
            run.url,
            b.weights_gib,
            show(b.logged_weights_gib),
            b.activation_gib,
            show(b.logged_activation_gib),
            b.kv_gib,
            show(b.logged_kv_gib),
        );
    }
    println!("\nWorst cases: Qwen2.5-VL-72B on 4 × A100 40 GB (V0) leaves 0.13 GiB of KV where vramfit leaves 1.04: its activation peak is 0.7 GiB under the logged one, which is large beside so thin a margin. Llama 3.2 Vision (V0, 128 sequences each with a 4-tile image): the encoder peak counts the intermediate states mllama keeps for its projector (6400 of its 7680-wide input), 2.9 % under the logged activation. The Llama 3.1 8B V0 runs on an RTX 3090 leave 0.23 GiB that the logs do not break down (non-torch memory on a desktop GPU). Gemma 3 12B at TP 2 (V0) is 0.6 GiB under in weights. gpt-oss-20b on an A100 is within 0.05 GiB since vramfit pads its MXFP4 experts as vLLM's Marlin kernel does (2880 × 2880 to 2944 × 3072 per expert, +0.86 GiB).");
    println!("\nVision-language startups: the image budget vLLM profiles with and its activation peak (dummy images through the encoder, their embeddings kept, then the text pass), against the log.\n");
    println!("| run | release | vramfit budget / images | logged budget / items | activation vramfit / logged (GiB) |");
    println!("|---|---|---:|---:|---:|");
    for run in runs.iter().filter(|r| {
        r.model
            .as_deref()
            .and_then(|m| vramfit::estimate::names::resolve(m).ok())
            .and_then(|m| m.model.load().ok())
            .is_some_and(|m| m.spec.vision.is_some())
    }) {
        let mm = vllm_mm::mm_check(run);
        let budget = vllm_runs::budget_check(run);
        if mm.is_none()
            && budget
                .as_ref()
                .is_none_or(|b| b.logged_activation_gib.is_none())
        {
            continue;
        }
        let ours = mm.as_ref().map_or("–".to_string(), |(b, _)| {
            format!("{} / {}", b.budget, b.items)
        });
        let logged = mm.as_ref().map_or("–".to_string(), |(_, l)| {
            format!("{} / {} {}", l.0, l.1, l.2)
        });
        let act = budget.as_ref().map_or("–".to_string(), |b| {
            format!(
                "{:.2} / {}",
                b.activation_gib,
                show(b.logged_activation_gib)
            )
        });
        println!(
            "| [{}]({}) | {} | {ours} | {logged} | {act} |",
            run.id,
            run.url,
            vllm_runs::version(run),
        );
    }
    println!("\nNot modelled:\n");
    for (id, why) in vllm_runs::NOT_MODELLED {
        println!("- {id}: {why}");
    }
    println!();
}

/// Decode and prefill speed against published llama-bench rows: the
/// fitted constants per platform, then the error on the held-out third,
/// per group the issue names.
fn speed() {
    use speed_cases::*;
    let cases = cases();
    println!("\n### Speed against published llama-bench results\n");
    println!(
        "{} rows of `tests/data/measured/llama_bench.json` plan on catalog GPUs (each row has its URL); a third, chosen by a hash of the row id, is held out of the fit. Errors are |vramfit / measured − 1| of `report().speed` (decode at batch 1 for tg rows, prefill for pp rows).\n",
        cases.len()
    );
    println!("| constants | rows | bandwidth fraction | per step | per layer | per hop | FP16 fraction (16-bit / quantized) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (p, c) in vramfit::plan::speed::CALIBRATIONS {
        println!(
            "| {} | {} | {:.3} | {:.1} µs | {:.1} µs | {:.1} µs | {:.3} / {:.3} |",
            p.label(),
            c.rows,
            c.bandwidth,
            c.per_token_s * 1e6,
            c.per_layer_s * 1e6,
            c.per_hop_s * 1e6,
            c.compute,
            c.compute_quantized
        );
    }
    println!(
        "\n| group | phase | held-out rows | median error | fitted rows | median error (fitted) |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for g in GROUPS {
        for (phase, decode) in [("decode", true), ("prefill", false)] {
            let of = |held: bool| -> Vec<&Case> {
                cases
                    .iter()
                    .filter(|c| c.group == g && c.held_out == held && is_decode(c) == decode)
                    .collect()
            };
            let (held, fit) = (of(true), of(false));
            if held.is_empty() && fit.is_empty() {
                continue;
            }
            let pct = |rows: &[&Case]| {
                median_error(rows).map_or("—".to_string(), |e| format!("{:.1} %", e * 100.0))
            };
            println!(
                "| {g} | {phase} | {} | {} | {} | {} |",
                held.len(),
                pct(&held),
                fit.len(),
                pct(&fit)
            );
        }
    }
    let hybrid = hybrid_rows();
    println!("\nExperts in host memory (llama.cpp and ik_llama.cpp runs with `-ot …exps=CPU` on a GPU plus a server or desktop CPU, `tests/data/measured/llama_bench_cpu.json`): the experts' share of host bandwidth ({:.3}) is the median these {} rows need, so they are not held out; each row's decode error:\n", vramfit::plan::speed::HOST_EXPERT_SHARE, hybrid.len());
    println!("| row | measured tok/s | vramfit tok/s | error |");
    println!("|---|---:|---:|---:|");
    for (id, q, measured) in &hybrid {
        if let Some(s) = vramfit::report::report(q).ok().and_then(|r| r.speed) {
            println!(
                "| {id} | {measured:.2} | {:.2} | {:+.1} % |",
                s.decode_tokens_per_s,
                (s.decode_tokens_per_s / measured - 1.0) * 100.0
            );
        }
    }
    println!("\nThe bounds asked for are 12 % (decode) and 25 % (prefill) on held-out rows; AMD Instinct has constants of its own from 3 MI300X rows (ROCm reaches 1.4 % of its matrix-core figure, against 22–52 % of the RDNA cards' FP16 figures); Intel has 3 rows and borrows NVIDIA GDDR's constants.");
    vllm_speed();
}

/// Decode steps against published vLLM serving and latency runs: vLLM's
/// own decode constants, then every run with its error.
fn vllm_speed() {
    use vllm_speed_cases::*;
    let cases = cases();
    println!("\n### vLLM decode against published serving and latency runs\n");
    println!(
        "{} runs of `tests/data/measured/vllm_serving.json` plan on catalog GPUs (TPOT from `benchmark_serving` / `vllm bench serve`, or a batch's latency over its output tokens where the prompt is at most a quarter of them; runs with `--enforce-eager` and saturated runs are left out). Runs of up to {FITTED_BATCH} sequences fit vLLM's decode constants on platforms with 3 such runs or more, a third held out by a hash of the id; larger batches fit the batched arithmetic fraction. Elsewhere vLLM uses llama.cpp's constants.\n",
        cases.len()
    );
    println!("| platform | rows | bandwidth fraction | per step | per layer | batched FP8/FP16 fraction |");
    println!("|---|---:|---:|---:|---:|---:|");
    for (p, c) in vramfit::plan::speed::VLLM_DECODE {
        println!(
            "| {} | {} | {:.3} | {:.1} µs | {:.1} µs | {} |",
            p.label(),
            c.rows,
            c.bandwidth,
            c.per_token_s * 1e6,
            c.per_layer_s * 1e6,
            c.compute.map_or("—".to_string(), |f| format!("{f:.3}"))
        );
    }
    let pct = |rows: &[&Case]| {
        median_error(rows).map_or("—".to_string(), |e| format!("{:.1} %", e * 100.0))
    };
    let held: Vec<&Case> = cases.iter().filter(|c| c.held_out && c.fitted).collect();
    let fit: Vec<&Case> = cases.iter().filter(|c| !c.held_out && c.fitted).collect();
    let batched: Vec<&Case> = cases.iter().filter(|c| !c.fitted).collect();
    println!(
        "\nMedian error of the decode step: held out {} ({} runs), fitted {} ({} runs), batches over {FITTED_BATCH} {} ({} runs).\n",
        pct(&held),
        held.len(),
        pct(&fit),
        fit.len(),
        pct(&batched),
        batched.len()
    );
    println!("| run | GPUs | TP | batch | measured ms/step | vramfit ms/step | error | |");
    println!("|---|---|---:|---:|---:|---:|---:|---|");
    for c in &cases {
        let Some(p) = predicted_step_s(&c.request, c.ctx) else {
            continue;
        };
        println!(
            "| [{}]({}) | {} | {} | {} | {:.2} | {:.2} | {:+.1} % | {} |",
            c.id,
            c.url,
            c.gpu,
            c.tp,
            c.batch,
            c.step_s * 1e3,
            p * 1e3,
            (p / c.step_s - 1.0) * 100.0,
            match (c.fitted, c.held_out) {
                (true, true) => "held out",
                (true, false) => "fitted",
                (false, true) => "batched, held out",
                (false, false) => "batched, fitted",
            }
        );
    }
}

/// Fine-tuning memory: the exact parts against PyTorch, activations
/// against autograd, peaks against published runs.
fn training() {
    println!("\n### Fine-tuning memory\n");
    let (checked, wrong) = training_exact_cases::state_checks();
    println!(
        "Model states against transformers 5.24 + peft 0.21 + bitsandbytes 0.50 on the meta device (`tests/data/measured/training_exact.json`: llama-3.1-8b, qwen2.5-7b, qwen3-30b-a3b, gemma-3-1b, mistral-7b-v0.1, phi-3-mini-4k; full fp32/bf16, LoRA r8 q,v / r16 / r64 all-linear, QLoRA NF4 with and without `prepare_model_for_kbit_training`; nine optimizers): **{} of {checked}** parameter, gradient and optimizer-state byte counts equal PyTorch's.\n",
        checked - wrong.len()
    );
    let acts = training_exact_cases::activation_cases();
    println!("Activations saved for the backward pass, against `torch.autograd.graph.saved_tensors_hooks` on tiny real models (one forward with labels; B ∈ {{1, 2}}, L ∈ {{64, 256}}, eager and SDPA, with and without checkpointing, fp32 and bf16):\n");
    println!("| family | method | cases | exact | median error | worst |");
    println!("|---|---|---:|---:|---:|---:|");
    let mut keys: Vec<String> = acts.iter().map(|c| c.id.clone()).collect();
    keys.dedup();
    for k in keys {
        let rows: Vec<&training_exact_cases::ActCase> = acts.iter().filter(|c| c.id == k).collect();
        let mut e: Vec<f64> = rows.iter().map(|c| c.error().abs()).collect();
        e.sort_by(f64::total_cmp);
        let (family, method) = k.split_once('/').unwrap_or((&k, ""));
        println!(
            "| {family} | {method} | {} | {} | {:.1} % | {:.1} % |",
            rows.len(),
            rows.iter().filter(|c| c.ours == c.theirs).count(),
            e[e.len() / 2] * 100.0,
            e[e.len() - 1] * 100.0
        );
    }
    println!("\nGemma 3's norms scale by (1 + w) in float32 and its sliding-window layers hand SDPA a mask (the math kernel then saves the softmax); Qwen3-Next's gated-DeltaNet layers are sized from their projections: both not yet modelled exactly.\n");
    let cases = training_cases::cases();
    let pct = |rows: &[&training_cases::Case]| {
        training_cases::median_error(rows)
            .map_or("—".to_string(), |e| format!("{:.1} %", e * 100.0))
    };
    let with: Vec<&training_cases::Case> = cases
        .iter()
        .filter(|c| c.checkpointing && c.excluded.is_none())
        .collect();
    let without: Vec<&training_cases::Case> = cases
        .iter()
        .filter(|c| !c.checkpointing && c.excluded.is_none())
        .collect();
    println!(
        "Peaks against published runs (`tests/data/measured/training_peaks.json`, LitGPT's and torchtune's tables; nothing is fitted to them, so all are held out): median |error| **{}** with checkpointing ({} runs), **{}** without ({} runs); the bounds asked for are 10 % and 20 %. vramfit predicts `max_memory_allocated`; the torchtune tutorial rows measured the reserved peak, which adds the allocator's fragmentation. Rows marked as not compared are shown with why.\n",
        pct(&with),
        with.len(),
        pct(&without),
        without.len()
    );
    println!("| run | method | checkpointing | metric | measured GB | vramfit GB | error | |");
    println!("|---|---|---|---|---:|---:|---:|---|");
    for c in &cases {
        println!(
            "| [{}]({}) | {} | {} | {} | {:.2} | {:.2} | {:+.1} % | {} |",
            c.id,
            c.url,
            c.method,
            if c.checkpointing { "yes" } else { "no" },
            c.metric,
            c.measured / 1e9,
            c.predicted / 1e9,
            c.error() * 100.0,
            c.excluded
                .map_or(String::new(), |w| format!("not compared: {w}"))
        );
    }
}
