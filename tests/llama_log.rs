//! The llama.cpp / Ollama load-log parser on the real logs collected in
//! `data/measured/` (each with its URL) and `data/logs/llama/`: every
//! buffer people read off a log comes out with its device and size, the
//! settings the log shows come out right, and the model the log describes
//! imports with its logged shape.

use serde_json::Value;
use vramfit::import::llama_log::{model_document, parse, BufferKind, LlamaLog};
use vramfit::import::parse_config;

const GPU_LOGS: &str = include_str!("data/measured/llama_cpp_gpu_logs.json");
const CPU_RUNS: &str = include_str!("data/measured/llama_cpp_cpu.json");
const HYBRID_RUNS: &str = include_str!("data/measured/llama_cpp_hybrid.json");

/// A collected load's lines (the array under `key`) as one text.
fn text_of(load: &Value, key: &str) -> String {
    load[key]
        .as_array()
        .map(|lines| {
            lines
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join("\n")
        })
        .unwrap_or_default()
}

fn mib_bytes(mib: f64) -> u64 {
    (mib * 1048576.0).round() as u64
}

fn kind_of(key: &str) -> Option<BufferKind> {
    Some(match key {
        "model" => BufferKind::Model,
        "kv" | "KV" => BufferKind::Kv,
        "compute" => BufferKind::Compute,
        "output" => BufferKind::Output,
        "input" => BufferKind::Input,
        "rs" => BufferKind::Rs,
        _ => return None,
    })
}

/// Every `{kind: {device: MiB}}` of `buffers` is in the parsed log. A
/// device written `CPU (SWA)` / `CPU (non-SWA)` / `Metal (SWA part)` must be
/// that cache's buffer.
fn check_buffers(id: &str, log: &LlamaLog, buffers: &Value, failures: &mut Vec<String>) -> usize {
    let mut checked = 0;
    let Some(kinds) = buffers.as_object() else {
        return 0;
    };
    for (kind_key, devices) in kinds {
        let Some(kind) = kind_of(kind_key) else {
            continue;
        };
        let Some(devices) = devices.as_object() else {
            continue;
        };
        for (device, mib) in devices {
            let Some(mib) = mib.as_f64() else {
                continue;
            };
            let (name, swa) = match device.split_once(" (") {
                Some((n, note)) => (n, Some(!note.starts_with("non"))),
                None => (device.as_str(), None),
            };
            let bytes = mib_bytes(mib);
            let found = log.buffers.iter().any(|b| {
                b.kind == kind
                    && b.device == name
                    && b.bytes == bytes
                    && swa.is_none_or(|s| s == b.swa)
            });
            checked += 1;
            if !found {
                failures.push(format!("{id}: {kind_key} {device} {mib} MiB not found"));
            }
        }
    }
    checked
}

/// (settings matched, settings the excerpt does not show).
fn check_settings(
    id: &str,
    log: &LlamaLog,
    settings: &Value,
    failures: &mut Vec<String>,
) -> (usize, usize) {
    let s = &log.settings;
    let mut checked = (0, 0);
    // A setting the collector read from the thread around the excerpt is
    // not in `lines`: absent is counted, a different value is a failure.
    let mut compare = |name: &str, got: Option<String>, want: &Value| {
        if want.is_null() {
            return;
        }
        let want = match want {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        match got {
            Some(got) if got == want => checked.0 += 1,
            Some(got) => failures.push(format!("{id}: {name} is {got}, the log says {want}")),
            None => checked.1 += 1,
        }
    };
    let n = |v: Option<u64>| v.map(|n| n.to_string());
    compare("n_ctx", n(s.n_ctx), &settings["n_ctx"]);
    compare("n_batch", n(s.n_batch), &settings["n_batch"]);
    compare("n_ubatch", n(s.n_ubatch), &settings["n_ubatch"]);
    compare("n_seq", n(s.n_seq_max), &settings["n_seq"]);
    compare("type_k", s.type_k.clone(), &settings["type_k"]);
    compare("type_v", s.type_v.clone(), &settings["type_v"]);
    compare("n_copies", n(s.n_copies), &settings["n_copies"]);
    let fa = match (s.flash_attn, s.flash_attn_auto) {
        (Some(on), _) => Some(on.to_string()),
        (None, true) => Some("auto".to_string()),
        (None, false) => None,
    };
    let want_fa = match &settings["flash_attn"] {
        // "auto" that the log resolves is read as what it became.
        Value::String(a) if a == "auto -> enabled" && s.flash_attn_auto => Value::Bool(true),
        Value::String(a) if a == "auto" && s.flash_attn.is_some() => Value::Null,
        v => v.clone(),
    };
    compare("flash_attn", fa, &want_fa);
    compare(
        "n_layers_offloaded",
        n(s.offload.map(|o| o.0)),
        &settings["n_layers_offloaded"],
    );
    compare(
        "n_layers_total",
        n(s.offload.map(|o| o.1)),
        &settings["n_layers_total"],
    );
    checked
}

/// The logged layer count of a model whose log prints it.
fn logged_layers(log: &LlamaLog) -> Option<u64> {
    log.metadata
        .iter()
        .find(|(k, _)| k.ends_with(".block_count"))
        .and_then(|(_, v)| v.as_u64())
        .or_else(|| {
            log.hparams
                .iter()
                .find(|(k, _)| k == "n_layer")
                .and_then(|(_, v)| v.parse().ok())
        })
}

#[test]
fn every_logged_gpu_buffer_and_setting_comes_out_of_the_log() {
    let logs: Value = serde_json::from_str(GPU_LOGS).unwrap();
    let loads = logs["loads"].as_array().unwrap();
    let mut failures = Vec::new();
    let (mut buffers, mut settings, mut unseen, mut clean) = (0, 0, 0, 0);
    for load in loads {
        let id = load["id"].as_str().unwrap();
        let mut text = text_of(load, "lines");
        // The thread's command line, when the excerpt quotes it apart.
        if let Some(cmd) = load["command"].as_str() {
            text = format!("{text}\n{cmd}");
        }
        let log = parse(&text);
        let before = failures.len();
        buffers += check_buffers(id, &log, &load["buffers_mib"], &mut failures);
        let (seen, not_shown) = check_settings(id, &log, &load["settings"], &mut failures);
        settings += seen;
        unseen += not_shown;
        if failures.len() == before {
            clean += 1;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} loads differ:\n{}",
        loads.len() - clean,
        loads.len(),
        failures.join("\n")
    );
    assert_eq!((loads.len(), buffers, settings, unseen), (53, 244, 219, 23));
}

#[test]
fn the_traced_cpu_and_hybrid_loads_give_every_buffer() {
    let mut failures = Vec::new();
    let mut checked = 0;
    let cpu: Value = serde_json::from_str(CPU_RUNS).unwrap();
    for model in cpu["models"].as_array().unwrap() {
        for load in model["loads"].as_array().unwrap() {
            let log = parse(&text_of(load, "log"));
            let id = model["model"].as_str().unwrap_or("?");
            // `mib` sums each kind per device (an iSWA model's two caches).
            for (kind, devices) in load["mib"].as_object().unwrap() {
                let kind = kind_of(kind).unwrap();
                for (device, mib) in devices.as_object().unwrap() {
                    let got: Vec<u64> = log
                        .buffers
                        .iter()
                        .filter(|b| b.kind == kind && b.device == *device)
                        .map(|b| b.bytes)
                        .collect();
                    let want = mib_bytes(mib.as_f64().unwrap());
                    checked += 1;
                    // Each printed size is rounded to 0.01 MiB.
                    let slack = got.len() as u64 * 5243;
                    if got.iter().sum::<u64>().abs_diff(want) > slack {
                        failures.push(format!("{id}: {kind:?} {device} {mib} MiB is {got:?}"));
                    }
                }
            }
            assert_eq!(log.unrecognised.count, 0, "{id}: {:?}", log.unrecognised);
        }
    }
    let hybrid: Value = serde_json::from_str(HYBRID_RUNS).unwrap();
    for model in hybrid["models"].as_array().unwrap() {
        for load in model["loads"].as_array().unwrap() {
            let log = parse(&text_of(load, "log"));
            let id = model["arch"].as_str().unwrap_or("?");
            // `buffers_mib` lists each kind's MiB strings, device-less.
            for (kind, values) in load["buffers_mib"].as_object().unwrap() {
                let Some(kind) = kind_of(kind) else {
                    continue;
                };
                for v in values.as_array().unwrap() {
                    let mib: f64 = v.as_str().unwrap().parse().unwrap();
                    checked += 1;
                    if !log
                        .buffers
                        .iter()
                        .any(|b| b.kind == kind && b.bytes == mib_bytes(mib))
                    {
                        failures.push(format!("{id}: {kind:?} {mib} MiB not found"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert_eq!(checked, 1411);
}

#[test]
fn logs_with_the_model_description_import_with_the_logged_layers() {
    let logs: Value = serde_json::from_str(GPU_LOGS).unwrap();
    let mut out = Vec::new();
    for load in logs["loads"].as_array().unwrap() {
        let log = parse(&text_of(load, "lines"));
        if log.metadata.is_empty() && log.hparams.is_empty() {
            continue;
        }
        let id = load["id"].as_str().unwrap();
        let line = match model_document(&log) {
            Ok(m) => {
                let spec = parse_config(&m.document).unwrap().spec;
                if let Some(n) = logged_layers(&log) {
                    assert_eq!(spec.layers.len() as u64, n, "{id}");
                }
                format!(
                    "{id}: {} from {}, {} layers, ftype {:?}, missing {:?}",
                    m.arch,
                    m.from,
                    spec.layers.len(),
                    m.ftype,
                    m.missing
                )
            }
            Err(e) => format!("{id}: {e}"),
        };
        out.push(line);
    }
    expect_test::expect![[r#"
        pr12449-t5-madlad400-7b-q6k-gtx1070: the GGUF metadata lacks `token_embd.weight or tokenizer.ggml.tokens`
        ollama4139-llama3-8b-partial-offload-ctx24576: the GGUF metadata lacks `token_embd.weight or tokenizer.ggml.tokens`
        ollama7047-40layer-5120-2gpu-fa-kv25600: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        ollama3158-mixtral-dolphin-2x7900xtx-rocm: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        ollama9221-64layer-32b-np4-ctx65536: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        ollama9782-deepseek-671b-8gpu-model-buffers: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        ik370-qwen3-235b-iq3k-1gpu-ot-cpu-ctx32768: missing required field `intermediate_size`
        issue6750-8x-rocm-llama-q2k-pp4: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        issue16424-gpt-oss-120b-3x-mi50-rocm-pp4-ctx131072: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        ollama9068-r1-distill-qwen32b-2gpu-pp4-ctx2048: the GGUF metadata lacks `general.architecture (or print_info: arch)`
        issue5206-mixtral-8x7b-q4km-metal-8gb-ctx512: the GGUF metadata lacks `general.architecture (or print_info: arch)`"#]].assert_eq(&out.join("\n"));
}

/// Logs collected from public threads (`data/logs/llama/*.log`, each
/// opening with its URL).
const COLLECTED: &[(&str, &str)] = &[
    (
        "llama.cpp-13729",
        include_str!("data/logs/llama/llama.cpp-13729-qwen3-30b-a3b-4080s.log"),
    ),
    (
        "ik_llama-370",
        include_str!("data/logs/llama/ik_llama-370-qwen3-235b-print-meta.log"),
    ),
    (
        "ik_llama-974",
        include_str!("data/logs/llama/ik_llama-974-qwen3-3gpu-overrides.log"),
    ),
    (
        "llamasharp-1099",
        include_str!("data/logs/llama/llamasharp-1099-qwen-4080s.log"),
    ),
    (
        "ollama-8922",
        include_str!("data/logs/llama/ollama-8922-3gpu-offload-command.log"),
    ),
    (
        "ollama-11090",
        include_str!("data/logs/llama/ollama-11090-new-engine-2gpu.log"),
    ),
];

#[test]
fn collected_logs_give_their_model_devices_settings_and_buffers() {
    let mut out = String::new();
    for (name, text) in COLLECTED {
        assert!(text.starts_with("# https://"), "{name} names its source");
        let log = parse(text);
        let s = &log.settings;
        out.push_str(&format!(
            "{name}: {:?} build {:?}; {} kv, {} types, {} hparams; devices {:?}\n",
            log.tool,
            log.build.as_ref().and_then(|b| b.number),
            log.metadata.len(),
            log.tensor_types.len(),
            log.hparams.len(),
            log.devices
                .iter()
                .map(|d| format!(
                    "{}{:?} {} free {:?}",
                    d.backend, d.index, d.name, d.free_bytes
                ))
                .collect::<Vec<_>>(),
        ));
        out.push_str(&format!(
            "  n_ctx {:?} n_batch {:?} n_seq {:?} offload {:?} split {:?} overrides {} types {:?}/{:?}\n",
            s.n_ctx,
            s.n_batch,
            s.n_seq_max,
            s.offload,
            s.tensor_split,
            s.tensor_overrides.len(),
            s.type_k,
            s.type_v
        ));
        for b in &log.buffers {
            out.push_str(&format!("  {:?} {} {}\n", b.kind, b.device, b.bytes));
        }
        if let Some(o) = &log.ollama {
            out.push_str(&format!(
                "  ollama: {:?} layers {:?}/{:?} split {:?}, {} memory fields\n",
                o.library,
                o.layers_offload,
                o.layers_model,
                o.layers_split,
                o.memory.len()
            ));
        }
        match model_document(&log) {
            Ok(m) => {
                let spec = parse_config(&m.document).unwrap().spec;
                out.push_str(&format!(
                    "  model: {} from {}, {} layers, n_embd {}, ftype {:?}, missing {:?}\n",
                    m.arch,
                    m.from,
                    spec.layers.len(),
                    spec.n_embd,
                    m.ftype,
                    m.missing
                ));
            }
            Err(e) => out.push_str(&format!("  model: {e}\n")),
        }
        out.push_str(&format!("  unrecognised {}\n", log.unrecognised.count));
    }
    expect_test::expect![[r#"
        llama.cpp-13729: LlamaCpp build None; 9 kv, 0 types, 0 hparams; devices ["CUDASome(0) NVIDIA GeForce RTX 4080 SUPER free Some(15765340160)"]
          n_ctx Some(4096) n_batch Some(2048) n_seq Some(1) offload Some((30, 49)) split None overrides 0 types None/None
          Model CUDA0 11273093775
          Model CPU_Mapped 7277620756
          model: the GGUF metadata lacks `token_embd.weight or tokenizer.ggml.tokens`
          unrecognised 0
        ik_llama-370: LlamaCpp build None; 2 kv, 5 types, 30 hparams; devices []
          n_ctx None n_batch None n_seq None offload None split None overrides 0 types None/None
          model: missing required field `moe_intermediate_size`
          unrecognised 0
        ik_llama-974: LlamaCpp build None; 0 kv, 0 types, 0 hparams; devices []
          n_ctx None n_batch None n_seq None offload Some((95, 95)) split None overrides 6 types None/None
          Model CUDA_Host 661221540
          Model CUDA0 82064724460
          Model CUDA1 82064724460
          Model CUDA2 84464747151
          model: the GGUF metadata lacks `general.architecture (or print_info: arch)`
          unrecognised 0
        llamasharp-1099: LlamaCpp build Some(4701); 0 kv, 0 types, 1 hparams; devices ["CUDASome(0) NVIDIA GeForce RTX 4080 SUPER free Some(15765340160)"]
          n_ctx None n_batch None n_seq None offload None split None overrides 0 types Some("f16")/Some("f16")
          Kv CUDA0 150994944
          Output CUDA_Host 608174
          Compute CUDA0 315359232
          Compute CUDA_Host 12593398
          model: the GGUF metadata lacks `general.architecture (or print_info: arch)`
          unrecognised 0
        ollama-8922: Ollama build None; 0 kv, 0 types, 0 hparams; devices []
          n_ctx Some(8192) n_batch Some(512) n_seq Some(4) offload Some((81, 81)) split Some([27.0, 27.0, 27.0]) overrides 0 types None/None
          ollama: Some("cuda") layers Some(81)/Some(81) split [27, 27, 27], 11 memory fields
          model: the GGUF metadata lacks `general.architecture (or print_info: arch)`
          unrecognised 0
        ollama-11090: Ollama build None; 1 kv, 0 types, 1 hparams; devices []
          n_ctx None n_batch None n_seq None offload Some((41, 41)) split None overrides 0 types None/None
          Model CUDA0 12348030976
          Model CUDA1 12777527706
          Model CPU 713031680
          Compute CUDA0 0
          model: the GGUF metadata lacks `token_embd.weight or tokenizer.ggml.tokens`
          unrecognised 0
    "#]].assert_eq(&out);
}
