//! "Check my setup" on what people really paste: the collected command
//! lines, GPU inventories and llama.cpp load logs (each with its URL in the
//! data files), recognised, read into a request that plans, and for the
//! logs whose model is known, the logged buffers against ours.

use serde_json::Value;
use vramfit::report::check::{check, detect, Kind};
use vramfit::report::{report, Request};

include!("data/gpu_loads.rs");

#[test]
fn every_collected_command_line_is_read_as_one_and_plans() {
    let commands: Value = serde_json::from_str(include_str!("data/commands.json")).unwrap();
    let commands = commands.as_array().unwrap();
    assert!(commands.len() >= 25);
    let mut planned = 0;
    for c in commands {
        let text = c["text"].as_str().unwrap();
        assert_eq!(detect(text), Kind::Command, "{}", c["url"]);
        let checked = check(text, &Request::default(), false);
        if report(&checked.request).is_ok() {
            planned += 1;
        }
    }
    // The ones naming a catalog model (the rest name private checkpoints).
    assert!(planned >= 16, "{planned} planned");
}

#[test]
fn every_collected_inventory_fills_the_gpus() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/inventories");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(detect(&text), Kind::Inventory, "{}", path.display());
        let checked = check(&text, &Request::default(), false);
        assert_ne!(
            checked.request.gpus,
            Request::default().gpus,
            "{}",
            path.display()
        );
        report(&checked.request).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        n += 1;
    }
    assert!(n >= 8);
}

#[test]
fn every_collected_gpu_load_log_is_read_as_one() {
    let logs: Value = serde_json::from_str(gpu_loads::LOGS).unwrap();
    for load in logs["loads"].as_array().unwrap() {
        let text = lines(load);
        assert_eq!(detect(&text), Kind::LlamaLog, "{}", load["id"]);
        let checked = check(&text, &Request::default(), false);
        let logged = checked.logged.unwrap();
        let gpus = load["buffers_mib"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|v| v.as_object())
            .flat_map(|m| m.keys())
            .map(|k| k.split(' ').next().unwrap_or(k))
            .filter(|k| !k.contains("Host") && !k.starts_with("CPU") && !k.contains("RPC"))
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        assert_eq!(logged.devices.len(), gpus, "{}", load["id"]);
    }
}

fn lines(load: &Value) -> String {
    load["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_logged_load_checked_with_its_model_sets_its_buffers_beside_ours() {
    // With the model given (these excerpts lack the loader's lines), the
    // log's devices, settings and layer split come from the log: each
    // GPU's KV matches the log's where the excerpt shows the settings.
    let logs: Value = serde_json::from_str(gpu_loads::LOGS).unwrap();
    let mut exact_kv = 0;
    for load in gpu_loads::GPU_LOADS {
        let entry = logs["loads"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == load.id)
            .unwrap();
        let mut base = Request::default();
        base.set("model", load.model.into());
        base.set("weights", load.ftype.name().to_ascii_lowercase());
        let checked = check(&lines(entry), &base, true);
        assert!(checked.model_known, "{}", load.id);
        report(&checked.request).unwrap_or_else(|e| panic!("{}: {e}", load.id));
        assert!(!checked.rows.is_empty(), "{}", load.id);
        exact_kv += checked
            .rows
            .iter()
            .filter(|r| r.buffer == "kv" && r.diff_bytes().unsigned_abs() < 10 << 10)
            .count();
    }
    // qwen2.5-coder 32B on two 3090 Ti, the R1 distill on two GPUs, the
    // 64-layer 32B, Llama 3 8B half on the CPU, the 7900 XTX.
    assert!(
        exact_kv >= 8,
        "{exact_kv} KV buffers to the logged precision"
    );
}

#[test]
fn every_collected_vllm_log_is_read_as_one_and_its_kv_tokens_compared() {
    let doc: Value = serde_json::from_str(include_str!("data/measured/vllm_logs.json")).unwrap();
    let mut compared = 0;
    for run in doc["runs"].as_array().unwrap() {
        let lines: Vec<&str> = run["lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        if lines.is_empty() {
            continue;
        }
        let text = lines.join("\n");
        if detect(&text) != Kind::VllmLog {
            continue;
        }
        // The model as the thread names it, when the lines do not.
        let mut base = Request::default();
        let model = run["model"].as_str().unwrap_or_default();
        let given = vramfit::estimate::names::resolve(model).is_ok();
        if given {
            base.set("model", model.into());
        }
        let checked = check(&text, &base, given);
        // Excerpts rarely show the GPUs' memory: how close the tokens come
        // is vLLM's accounting's test (tests/vllm_logs.rs); here, that the
        // log's figure is set beside ours.
        if checked.rows.iter().any(|r| r.buffer == "kv_cache_tokens") {
            compared += 1;
        }
    }
    assert!(compared >= 10, "{compared} runs' KV tokens compared");
}

#[test]
fn a_log_s_real_sizes_answer_what_fits_next() {
    // Qwen3-30B-A3B with 30 of its 49 layers on a 16 GB RTX 4080 SUPER
    // (llama.cpp#13729): with the logged sizes in place of ours, the
    // longest context the same placement holds is the trained one.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs/llama/llama.cpp-13729-qwen3-30b-a3b-4080s.log");
    let text = std::fs::read_to_string(path).unwrap();
    let checked = check(&text, &Request::default(), false);
    let w = checked.what_if.expect("a what-if from the logged sizes");
    assert_eq!(w.max_context, Some(40960));
    assert!(w.max_context_with_another_gpu >= w.max_context);
    // 30 of 49 layers were on the GPU with 4.6 GiB left: more fit.
    let ngl: u64 = w
        .placement
        .as_deref()
        .unwrap()
        .strip_prefix("-ngl ")
        .unwrap()
        .parse()
        .unwrap();
    assert!((31..=49).contains(&ngl), "{ngl}");
    assert!(w.sentence().contains(&format!("use -ngl {ngl}")));
}

#[test]
fn a_vllm_log_s_kv_cache_answers_which_utilisation_holds_the_context() {
    // Qwen2.5-1.5B on a 7.75 GiB GPU at 0.90 (vllm#12529): 2.20 GiB of KV
    // for 5148 blocks × 16 = 82368 tokens. One request of 2000 tokens needs
    // (7.75 × 0.90 − 2.20 + 2.20 × 2000 / 82368) / 7.75 = 0.623 → 0.63.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/logs/vllm/v0-qwen25-1.5b-int8-issue12529.log");
    let text = std::fs::read_to_string(path).unwrap();
    let checked = check(&text, &Request::default(), false);
    assert_eq!(checked.request.ctx, "2000");
    let w = checked.what_if.expect("a what-if from the logged KV cache");
    assert_eq!(w.max_context, Some(82368));
    assert_eq!(w.utilisation, Some(0.63));
}

#[test]
fn pytorch_s_out_of_memory_message_sets_the_gpu_it_names() {
    // The message transformers and accelerate users paste (the old and the
    // new wording).
    for text in [
        "torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 20.00 MiB (GPU 0; 23.69 GiB total capacity; 22.50 GiB already allocated; 6.31 MiB free; 22.8 GiB reserved in total by PyTorch)",
        "torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 4.69 GiB. GPU 1 has a total capacity of 31.74 GiB of which 3.56 GiB is free. Process 1865364 has 28.17 GiB memory in use.",
    ] {
        assert_eq!(detect(text), Kind::TorchOom, "{text}");
        let checked = check(text, &Request::default(), false);
        assert_eq!(checked.request.engine, "transformers");
        let gpus = vramfit::plan::device::parse_gpus(&checked.request.gpus).unwrap();
        let last = gpus.last().unwrap();
        assert!(last.capacity > 23 << 30, "{}", checked.request.gpus);
        assert!(checked.notes[0].starts_with("PyTorch ran out of memory on GPU"));
        report(&checked.request).unwrap();
    }
}

/// A command that implies a GPU count but not sizes plans 24 GB cards and
/// says so; with the GPUs given beside it, those are planned and the note
/// that they were assumed is gone.
#[test]
fn given_gpus_replace_the_ones_a_command_only_counts_and_its_note() {
    let command = "vllm serve meta-llama/Llama-3.1-8B --tensor-parallel-size 2";
    let assumed = |c: &vramfit::report::check::Check| {
        c.notes.iter().any(|n| n.contains("24 GB each assumed"))
    };
    let alone = check(command, &Request::default(), false);
    assert_eq!(alone.request.gpus, "2x24GB");
    assert!(assumed(&alone), "{:?}", alone.notes);
    let mut base = Request::default();
    base.set("gpus", "rtx-4090, rtx-4090:4GB".into());
    let given = check(command, &base, false);
    assert_eq!(given.request.gpus, "rtx-4090, rtx-4090:4GB");
    assert!(!assumed(&given), "{:?}", given.notes);
}
