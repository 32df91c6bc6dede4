//! The command line on real files: the tests write sample GGUF and
//! safetensors files (`vramfit sample`) into a fresh folder and read them
//! back through `params` and `plan`.

use std::path::PathBuf;
use std::process::Command;

fn vramfit(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vramfit"))
        .args(args)
        .output()
        .expect("run vramfit");
    let text = String::from_utf8_lossy(if out.status.success() {
        &out.stdout
    } else {
        &out.stderr
    })
    .to_string();
    (out.status.success(), text)
}

fn samples(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vramfit-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, text) = vramfit(&["sample", dir.to_str().unwrap()]);
    assert!(ok, "{text}");
    dir
}

fn json(text: &str) -> serde_json::Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn gguf_safetensors_and_folders_plan_like_catalog_models() {
    let dir = samples("plan");
    let gguf = dir.join("sample-Q4_K_M.gguf");
    let (ok, text) = vramfit(&["params", gguf.to_str().unwrap(), "--json"]);
    assert!(ok, "{text}");
    let p = json(&text);
    assert_eq!(
        (p["total"].as_u64(), p["source"].as_str()),
        (Some(2_885_888), Some("gguf"))
    );
    let (ok, text) = vramfit(&["plan", gguf.to_str().unwrap(), "--gpu", "8GB", "--json"]);
    assert!(ok, "{text}");
    let r = json(&text);
    assert_eq!(r["source"], "gguf");
    assert_eq!(r["weights_label"], "GGUF Q4_K_M (from the file)");
    assert!(r["commands"]["llama.cpp"]
        .as_str()
        .unwrap()
        .contains("-m sample-Q4_K_M.gguf -c"));
    for model in [dir.join("model.safetensors"), dir.clone()] {
        let (ok, text) = vramfit(&[
            "plan",
            model.to_str().unwrap(),
            "--gpu",
            "8GB",
            "--engine",
            "vllm",
            "--json",
        ]);
        assert!(ok, "{text}");
        assert_eq!(json(&text)["source"], "safetensors");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn broken_files_are_errors_that_name_the_file() {
    let dir = samples("broken");
    let gguf = dir.join("sample-Q4_K_M.gguf");
    let bytes = std::fs::read(&gguf).unwrap();
    let bad = dir.join("bad.gguf");
    std::fs::write(&bad, &bytes[..40]).unwrap();
    let (ok, text) = vramfit(&["params", bad.to_str().unwrap()]);
    assert!(!ok);
    assert!(
        text.contains("bad.gguf") && text.contains("the header needs"),
        "{text}"
    );
    let shard = dir.join("m-00001-of-00002.gguf");
    std::fs::write(&shard, &bytes).unwrap();
    let (ok, text) = vramfit(&["params", shard.to_str().unwrap()]);
    assert!(!ok);
    assert!(text.contains("shard 2 of 2 is missing"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn vllm_plans_speak_vllms_language() {
    // Llama 3.1 8B on one H100 at vLLM's defaults: the log lines vLLM
    // prints, from a budget of its CUDA total × 0.9.
    let (ok, out) = vramfit(&[
        "plan",
        "llama-3.1-8b",
        "--gpu",
        "h100",
        "--engine",
        "vllm",
        "--max-model-len",
        "32768",
        "--max-num-seqs",
        "256",
        "--json",
    ]);
    assert!(ok, "{out}");
    let r = json(&out);
    let v = &r["vllm"];
    assert_eq!(v["version"], "0.29.0");
    assert_eq!(v["max_num_batched_tokens"], 8192);
    assert_eq!(v["block_size"], 16);
    let budget = v["ranks"][0]["requested_bytes"].as_u64().unwrap();
    // 0.9 of the H100's 79.22 GiB as CUDA reports it.
    assert_eq!(budget, (79.22 * (1u64 << 30) as f64) as u64 * 9 / 10);
    let parts = [
        "weights_bytes",
        "activation_bytes",
        "non_torch_bytes",
        "cuda_graph_bytes",
    ]
    .iter()
    .map(|k| v[k].as_u64().unwrap())
    .sum::<u64>();
    assert_eq!(v["kv_cache_bytes"].as_i64().unwrap() as u64, budget - parts);
    // 128 KiB per token over 32 layers: blocks of 16 tokens.
    let blocks = v["num_gpu_blocks"].as_u64().unwrap();
    assert_eq!(blocks, (budget - parts) / (16 * 128 * 1024));
    // One group: tokens are the blocks × 16 whichever formula the release uses.
    assert_eq!(v["kv_cache_tokens"].as_u64().unwrap(), blocks * 16);
    assert!(r["commands"]["vllm"]
        .as_str()
        .unwrap()
        .contains("--gpu-memory-utilization 0.9 "));
    assert!(v["error"].is_null());

    // A utilisation that leaves less than the weights: vLLM's own error.
    let (_, out) = vramfit(&[
        "plan",
        "llama-3.1-8b",
        "--gpu",
        "h100",
        "--engine",
        "vllm",
        "--gpu-memory-utilization",
        "0.15",
        "--json",
    ]);
    let r = json(&out);
    assert_eq!(r["fits"], false);
    assert!(r["vllm"]["error"]
        .as_str()
        .unwrap()
        .contains("No available memory for the cache blocks"));

    // The text form prints the lines as vLLM logs them.
    let (_, out) = vramfit(&["plan", "llama-3.1-8b", "--gpu", "h100", "--engine", "vllm"]);
    assert!(out.contains("GPU KV cache size: "), "{out}");
    assert!(
        out.contains("Maximum concurrency for 8,192 tokens per request: "),
        "{out}"
    );

    // AWQ needs a checkpoint quantized that way.
    let (_, out) = vramfit(&[
        "plan",
        "qwen2.5-72b",
        "--gpu",
        "2xh100",
        "--engine",
        "vllm",
        "--weights",
        "awq",
        "--json",
    ]);
    let command = json(&out)["commands"]["vllm"].as_str().unwrap().to_string();
    assert!(command.contains("vllm serve <AWQ checkpoint>"), "{command}");
    let (_, out) = vramfit(&[
        "plan",
        "Qwen/Qwen2.5-72B-Instruct-AWQ",
        "--gpu",
        "2xh100",
        "--engine",
        "vllm",
        "--json",
    ]);
    let command = json(&out)["commands"]["vllm"].as_str().unwrap().to_string();
    assert!(
        command.contains("vllm serve Qwen/Qwen2.5-72B-Instruct-AWQ"),
        "{command}"
    );
}
