//! The command line on real files: the tests write sample GGUF and
//! safetensors files (`vramfit sample`) into a fresh folder and read them
//! back through `params` and `plan`; a measured model and its projector are
//! rebuilt from their committed headers (`data/gguf-headers/`).

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
fn a_model_gguf_with_its_mmproj_plans_the_image_side_in_either_order() {
    let dir = samples("mmproj");
    let model = dir.join("sample-Q4_K_M.gguf");
    let mmproj = dir.join("mmproj-sample-F16.gguf");
    let (model, mmproj) = (model.to_str().unwrap(), mmproj.to_str().unwrap());
    let plan = |files: [&str; 2], images: &str| {
        let (ok, text) = vramfit(&[
            "plan", files[0], files[1], "--gpu", "8GB", "--images", images, "--json",
        ]);
        assert!(ok, "{text}");
        json(&text)
    };
    let r = plan([model, mmproj], "1");
    assert_eq!(r, plan([mmproj, model], "1"));
    // The projector file's tensors: 1,928,192 elements, F16 matrices, F32 vectors.
    assert_eq!(r["vision_bytes"], 3_872_256);
    assert_eq!(r["image_tokens"], 256);
    assert_eq!(r["params"]["parts"]["projector"], 131_584);
    let command = r["commands"]["llama.cpp"].as_str().unwrap();
    assert!(
        command.contains("-m sample-Q4_K_M.gguf --mmproj mmproj-sample-F16.gguf -c"),
        "{command}"
    );
    // Text only: the projector is neither loaded nor passed.
    let text_only = plan([model, mmproj], "0");
    assert_eq!(text_only["vision_bytes"], 0);
    assert!(!text_only["commands"]["llama.cpp"]
        .as_str()
        .unwrap()
        .contains("--mmproj"));
    let (ok, text) = vramfit(&["plan", model, mmproj, "--gpu", "8GB"]);
    assert!(
        ok && text.contains("image side: 3.7 MiB of weights"),
        "{text}"
    );
    let (ok, text) = vramfit(&["plan", mmproj, "--gpu", "8GB"]);
    assert!(!ok);
    assert!(
        text.contains("this is a vision projector (mmproj) file; add the model GGUF too"),
        "{text}"
    );
    let (ok, text) = vramfit(&["plan", model, model, "--gpu", "8GB"]);
    assert!(!ok && text.contains("are two models"), "{text}");
    let _ = std::fs::remove_dir_all(dir);
}

/// A committed header as a whole file: the header, then zeroed tensor data
/// (a sparse file) up to where its last tensor ends.
fn from_header(dir: &std::path::Path, name: &str) -> PathBuf {
    let bytes = std::fs::read(format!("tests/data/gguf-headers/{name}")).unwrap();
    let header = vramfit::import::gguf::parse_gguf(&bytes).unwrap();
    let end = header
        .tensors
        .iter()
        .map(|t| t.offset + t.bytes)
        .max()
        .unwrap_or(0);
    let path = dir.join(name);
    std::fs::write(&path, &bytes).unwrap();
    let file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
    file.set_len(header.data_start + end).unwrap();
    path
}

#[test]
fn a_converted_gemma3_pair_plans_llama_cpp_s_projector_bytes() {
    let dir = std::env::temp_dir().join(format!("vramfit-cli-gemma3-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = from_header(&dir, "text-gemma3-2560.gguf");
    let mmproj = from_header(&dir, "mmproj-gemma3-4b-mmproj-2l-f16.gguf");
    let (ok, out) = vramfit(&[
        "plan",
        mmproj.to_str().unwrap(),
        text.to_str().unwrap(),
        "--gpu",
        "24GB",
        "--json",
    ]);
    assert!(ok, "{out}");
    let r = json(&out);
    // clip.cpp's tensor sum for this file (tests/data/measured/llama_cpp_mmproj.json).
    assert_eq!(r["vision_bytes"], 88_517_248);
    assert_eq!(r["image_tokens"], 256);
    assert_eq!(r["vision_compute_bytes"], 127_139_840);
    let _ = std::fs::remove_dir_all(dir);
}

/// `vramfit plan MODEL --gpu GPU --engine vllm ARGS… --json`, parsed.
fn vllm_plan(model: &str, gpu: &str, args: &[&str]) -> serde_json::Value {
    let mut all = vec!["plan", model, "--gpu", gpu, "--engine", "vllm"];
    all.extend_from_slice(args);
    all.push("--json");
    let (ok, out) = vramfit(&all);
    assert!(ok, "{out}");
    json(&out)
}

#[test]
fn vllm_plans_speak_vllms_language() {
    // Llama 3.1 8B on one H100 at vLLM's defaults: the log lines vLLM
    // prints, from a budget of its CUDA total × 0.9.
    let r = vllm_plan(
        "llama-3.1-8b",
        "h100",
        &["--max-model-len", "32768", "--max-num-seqs", "256"],
    );
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
    let r = vllm_plan(
        "llama-3.1-8b",
        "h100",
        &["--gpu-memory-utilization", "0.15"],
    );
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
    let command = |r: serde_json::Value| r["commands"]["vllm"].as_str().unwrap().to_string();
    let awq = command(vllm_plan("qwen2.5-72b", "2xh100", &["--weights", "awq"]));
    assert!(awq.contains("vllm serve <AWQ checkpoint>"), "{awq}");
    let repo = command(vllm_plan("Qwen/Qwen2.5-72B-Instruct-AWQ", "2xh100", &[]));
    assert!(
        repo.contains("vllm serve Qwen/Qwen2.5-72B-Instruct-AWQ"),
        "{repo}"
    );
}

fn llama_plan(args: &[&str]) -> (bool, String) {
    let mut all = vec!["plan", "llama-3.1-8b", "--gpu", "24GB", "--gpu", "24GB"];
    all.extend_from_slice(args);
    vramfit(&all)
}

#[test]
fn llama_cpps_own_placement_flags_are_evaluated_not_searched() {
    // llama.cpp's spellings: 13 CPU layers, 13-27 on GPU 0, 28-31 and the
    // output on GPU 1 (load_tensors with i_gpu_start 13 and splits 0.75, 1).
    let (ok, text) = llama_plan(&["-ngl", "20", "-ts", "3,1", "--json"]);
    assert!(ok, "{text}");
    let r = json(&text);
    let layers: Vec<&serde_json::Value> = r["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| &d["layers"])
        .collect();
    assert_eq!(
        layers,
        [&serde_json::json!([13, 27]), &serde_json::json!([28, 31])]
    );
    assert_eq!(r["offload"]["cpu_layers"], 13);
    assert_eq!(r["fixed_placement"]["flags"], "-ngl 20 -ts 3,1");
    assert!(r["commands"]["llama.cpp"]
        .as_str()
        .unwrap()
        .contains("-ngl 20 -ts 3,1"));
    assert_eq!(r["backend"], "cuda");

    // The long spellings, -sm none on the second GPU.
    let (ok, text) = llama_plan(&["--split-mode", "none", "--main-gpu", "1", "--json"]);
    assert!(ok, "{text}");
    let r = json(&text);
    assert_eq!(r["devices"][0]["layers"], serde_json::Value::Null);
    assert_eq!(r["devices"][1]["layers"], serde_json::json!([0, 31]));
    assert!(r["commands"]["llama.cpp"]
        .as_str()
        .unwrap()
        .contains("-sm none -mg 1"));
}

#[test]
fn a_placement_that_does_not_fit_names_the_gpu_and_the_split_that_would() {
    let (ok, text) = vramfit(&[
        "plan",
        "llama-3.1-70b",
        "--gpu",
        "24GB",
        "--gpu",
        "24GB",
        "-ts",
        "3,1",
    ]);
    assert!(ok, "{text}");
    assert!(text.contains("does NOT fit"), "{text}");
    assert!(
        text.contains("the given placement -ngl 81 -ts 3,1 does not fit: GPU 0 is"),
        "{text}"
    );
    assert!(text.contains("fits (the searched split)"), "{text}");
    assert!(
        text.contains("way out: Use the searched split: -ngl 81 -ts"),
        "{text}"
    );
}

#[test]
fn bad_placement_values_are_clear_errors() {
    for (args, message) in [
        (
            &["-ts", "1,1,1"][..],
            "-ts has 3 proportions but there are only 2 GPUs",
        ),
        (
            &["-ts", "1,-1"],
            "-ts proportions must be numbers of 0 or more",
        ),
        (&["-ts", "0,0"], "-ts proportions are all 0"),
        (
            &["-ngl", "40"],
            "-ngl 40 is more than the model's 32 layers plus the output (33)",
        ),
        (&["-sm", "none", "-mg", "2"], "-mg 2 names no GPU"),
        (
            &["--split-mode", "diagonal"],
            "split_mode must be one of layer, row, none",
        ),
        (
            &["--backend", "opencl"],
            "backend must be one of cuda, rocm, metal, vulkan, cpu",
        ),
    ] {
        let (ok, text) = llama_plan(args);
        assert!(!ok, "{args:?}");
        assert!(text.contains(message), "{args:?}: {text}");
    }
}

#[test]
fn on_a_mac_the_limit_is_metals_working_set() {
    let (ok, text) = vramfit(&[
        "plan",
        "llama-3.1-8b",
        "--gpu",
        "64GiB",
        "--backend",
        "metal",
        "--json",
    ]);
    assert!(ok, "{text}");
    let r = json(&text);
    assert_eq!(r["devices"][0]["capacity_bytes"], 48u64 << 30);
    assert!(
        r["memory_limit"]
            .as_str()
            .unwrap()
            .contains("recommendedMaxWorkingSetSize: 3/4 of 64.00 GiB"),
        "{}",
        r["memory_limit"]
    );
    let (ok, text) = vramfit(&[
        "plan",
        "llama-3.1-8b",
        "--gpu",
        "apple-m3-pro-36gb",
        "--json",
    ]);
    assert!(ok, "{text}");
    assert_eq!(json(&text)["backend"], "metal");
}

#[test]
fn check_reads_a_log_a_command_and_an_inventory() {
    let data = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data");
    // A llama.cpp load log from a public thread: the model from its
    // metadata's shapes, the GPU it names, its buffers beside ours.
    let log = data.join("logs/llama/llama.cpp-13729-qwen3-30b-a3b-4080s.log");
    let (ok, text) = vramfit(&["check", "--log", log.to_str().unwrap(), "--json"]);
    assert!(ok, "{text}");
    let v = json(&text);
    assert_eq!(v["kind"], "llama_log");
    assert_eq!(v["request"]["model"], "qwen3-30b-a3b");
    assert_eq!(v["logged"]["devices"][0]["name"], "CUDA0");
    assert!(v["diff"]["devices"][0]["weights_bytes"].is_i64());
    // A command line after `--`, with the GPUs given.
    let (ok, text) = vramfit(&[
        "check",
        "--gpu",
        "rtx-4090",
        "--json",
        "--",
        "llama-server",
        "-m",
        "Qwen3-8B-Q8_0.gguf",
        "-c",
        "16384",
        "-np",
        "2",
        "-ngl",
        "99",
    ]);
    assert!(ok, "{text}");
    let v = json(&text);
    assert_eq!(v["kind"], "command");
    assert_eq!(v["n_ctx"], 8192);
    assert_eq!(v["n_seq"], 2);
    assert_eq!(v["devices"][0]["name"], "GPU 0 (NVIDIA GeForce RTX 4090)");
    // An inventory: `gpus --from` lists it and gives the --gpu list.
    let smi = data.join("inventories/nvidia-smi-2x3090.txt");
    let (ok, text) = vramfit(&["gpus", "--from", smi.to_str().unwrap(), "--json"]);
    assert!(ok, "{text}");
    let v = json(&text);
    assert_eq!(v[0]["card"], "rtx-3090");
    assert_eq!(v[1]["used_bytes"], 23994u64 << 20);
}

/// `vramfit fit … | head -1` (600 KB, more than a pipe holds): the reader closing the pipe ends vramfit as
/// SIGPIPE ends other Unix tools, without a panic on stderr.
#[cfg(unix)]
#[test]
fn a_closed_pipe_ends_quietly() {
    use std::io::Read;
    use std::os::unix::process::ExitStatusExt;
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_vramfit"))
        .args(["fit", "--gpu", "2x80GB", "--all-formats"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vramfit");
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .expect("stdout")
        .read_exact(&mut first)
        .expect("read the first bytes");
    // Dropping the read end closes the pipe while vramfit still writes.
    let mut err = String::new();
    child
        .stderr
        .take()
        .expect("stderr")
        .read_to_string(&mut err)
        .expect("read stderr");
    let status = child.wait().expect("wait for vramfit");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        status.success() || status.signal() == Some(libc::SIGPIPE),
        "{status:?}: {err}"
    );
}
