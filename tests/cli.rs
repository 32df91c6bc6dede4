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
