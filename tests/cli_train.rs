//! `vramfit train` as a person runs it: the built binary, its text and
//! JSON, its errors and its help, which lists every field of
//! `report::train::FIELDS` as a flag.

use serde_json::Value;
use vramfit::report::train::FIELDS;

mod common;

fn train(args: &[&str]) -> (bool, String, String) {
    common::vramfit("train", args, "")
}

fn train_json(args: &[&str]) -> Value {
    common::vramfit_json("train", args)
}

fn launch<'a>(r: &'a Value, name: &str) -> Option<&'a str> {
    r["launch"].get(name)?.as_str()
}

#[test]
fn qlora_on_llama_3_1_8b_fits_one_rtx_4090_with_headroom() {
    let r = train_json(&["llama-3.1-8b", "--gpu", "rtx-4090", "--method", "qlora"]);
    assert_eq!(r["fits"], true);
    assert_eq!(r["shortfall_bytes"], 0);
    assert_eq!(r["settings"]["method"], "qlora");
    let devices = r["devices"].as_array().unwrap();
    assert_eq!(devices.len(), 1);
    let d = &devices[0];
    for key in [
        "name",
        "params_bytes",
        "grads_bytes",
        "optimizer_bytes",
        "activations_bytes",
        "temporary_bytes",
        "overhead_bytes",
        "peak_bytes",
        "usable_bytes",
    ] {
        assert!(!d[key].is_null(), "devices[0].{key} missing: {d}");
    }
    let peak = d["peak_bytes"].as_u64().unwrap();
    assert!(peak < d["usable_bytes"].as_u64().unwrap(), "{d}");
    // 4-bit weights of 8B parameters: well under 16-bit's 15 GiB.
    assert!(d["params_bytes"].as_u64().unwrap() < 10 << 30, "{d}");
    assert!(r["trainable_params"].as_u64().unwrap() > 0);
    assert!(r["max_seq"].as_u64().unwrap() >= 2048, "{r}");
    assert!(r["max_micro_batch"].as_u64().unwrap() >= 1, "{r}");
    let script = launch(&r, "transformers + peft").unwrap();
    assert!(script.contains("load_in_4bit=True"), "{script}");
    assert!(script.contains("r=16,"), "{script}");
    assert!(launch(&r, "torchtune")
        .unwrap()
        .contains("8B_qlora_single_device"));
    assert_eq!(launch(&r, "DeepSpeed"), None);
    assert_eq!(launch(&r, "accelerate"), None);

    let (ok, text, _) = train(&["llama-3.1-8b", "--gpu", "rtx-4090", "--method", "qlora"]);
    assert!(ok);
    let first = text.lines().next().unwrap();
    assert!(first.ends_with(": fits"), "{text}");
    for needle in [
        "run: QLoRA r=16 alpha=32 (all-linear), adamw, amp-bf16",
        "params      grads  optimizer activations  temporary   overhead       peak",
        "longest sequence at micro-batch 1: ",
        "largest micro-batch at 2048 tokens: ",
        "\n# transformers + peft\n",
        "\n# torchtune\n",
    ] {
        assert!(text.contains(needle), "{needle} missing from\n{text}");
    }
}

#[test]
fn full_fine_tuning_with_adamw_on_one_rtx_4090_prints_the_shortfall() {
    let args = [
        "llama-3.1-8b",
        "--gpu",
        "rtx-4090",
        "--method",
        "full",
        "--optimizer",
        "adamw",
    ];
    let (ok, text, err) = train(&args);
    // Not fitting is an answer, not an error.
    assert!(ok, "{err}");
    assert!(
        text.lines()
            .next()
            .unwrap()
            .contains("does NOT fit: short by "),
        "{text}"
    );
    assert!(
        text.contains("longest sequence at micro-batch 1: none fits"),
        "{text}"
    );
    let r = train_json(&args);
    assert_eq!(r["fits"], false);
    // 16 bytes a parameter before activations: far over 24 GiB.
    assert!(r["shortfall_bytes"].as_u64().unwrap() > 50 << 30, "{r}");
    assert_eq!(r["max_seq"], Value::Null);
}

#[test]
fn zero_and_fsdp_runs_come_with_their_launch_configs() {
    let r = train_json(&[
        "llama-3.1-8b",
        "--gpu",
        "4xh100",
        "--method",
        "full",
        "--zero",
        "3",
        "--offload",
        "params",
    ]);
    assert_eq!(r["devices"].as_array().unwrap().len(), 4);
    assert!(r["host_bytes"].as_u64().unwrap() > 0);
    let ds: Value = serde_json::from_str(launch(&r, "DeepSpeed").unwrap()).unwrap();
    assert_eq!(ds["zero_optimization"]["stage"], 3);
    assert_eq!(ds["zero_optimization"]["offload_param"]["device"], "cpu");
    let yaml = launch(&r, "accelerate").unwrap();
    assert!(yaml.contains("distributed_type: DEEPSPEED"), "{yaml}");
    assert!(yaml.contains("num_processes: 4"), "{yaml}");

    let r = train_json(&["llama-3.1-8b", "--gpu", "2xrtx-4090", "--fsdp", "full"]);
    assert_eq!(launch(&r, "DeepSpeed"), None);
    let yaml = launch(&r, "accelerate").unwrap();
    assert!(
        yaml.contains("fsdp_sharding_strategy: FULL_SHARD"),
        "{yaml}"
    );
}

#[test]
fn bad_values_are_errors_naming_each_flag() {
    let (ok, out, err) = train(&[
        "llama-3.1-8b",
        "--lora-rank",
        "x",
        "--method",
        "half",
        "--zero",
        "7",
    ]);
    assert!(!ok);
    assert!(out.is_empty(), "{out}");
    for needle in [
        "error: --method must be one of full, lora, qlora, got 'half'",
        "error: --lora-rank must be a whole number from 1 to 4096, got 'x'",
        "error: --zero must be a whole number from 0 to 3, got '7'",
    ] {
        assert!(err.contains(needle), "{needle} missing from\n{err}");
    }
    let (ok, _, err) = train(&["no-such-model"]);
    assert!(!ok);
    assert!(err.starts_with("error: MODEL: "), "{err}");
    let (ok, _, err) = train(&["llama-3.1-8b", "--offload", "params"]);
    assert!(!ok);
    assert!(err.contains("--offload"), "{err}");
}

#[test]
fn help_lists_every_field_as_a_flag_with_its_help() {
    let (ok, help, err) = train(&["--help"]);
    assert!(ok, "{err}");
    for (field, default, text) in FIELDS {
        if *field == "model" {
            assert!(help.contains("[MODEL]..."), "{help}");
        } else {
            let flag = format!("--{}", field.replace('_', "-"));
            assert!(help.contains(&flag), "{flag} missing from\n{help}");
        }
        assert!(help.contains(text), "help of {field} missing from\n{help}");
        if !default.is_empty() && *field != "model" {
            let shown = format!("[default: {default}]");
            assert!(help.contains(&shown), "{shown} missing from\n{help}");
        }
    }
    assert!(help.contains("--json"), "{help}");
}

#[test]
fn switches_take_on_or_off() {
    let r = train_json(&[
        "llama-3.1-8b",
        "--grad-checkpointing",
        "off",
        "--activation-offload",
        "on",
    ]);
    assert_eq!(r["settings"]["grad_checkpointing"], false);
    assert_eq!(r["settings"]["activation_offload"], true);
    let (ok, _, err) = train(&["llama-3.1-8b", "--grad-checkpointing", "maybe"]);
    assert!(!ok);
    assert!(
        err.contains("--grad-checkpointing must be one of on, off, got 'maybe'"),
        "{err}"
    );
}
