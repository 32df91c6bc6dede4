//! The report of a request: its fields, searches, ways out and commands.

use super::*;

#[test]
fn micro_batch_and_flash_attention_size_llama_cpps_compute_buffer() {
    let plan = |ubatch: &str, fa: &str| {
        let mut r = Request::default();
        r.set("ctx", "32768".into());
        r.set("ubatch", ubatch.into());
        r.set("flash_attn", fa.into());
        report(&r).unwrap().plan.estimate.compute_layers
    };
    // Llama 3.1 8B: with flash attention the GPU peaks at the logits of
    // the micro-batch; without it, at the f32 scores of every head over
    // the whole context, next to the mask, Q and the hidden state.
    assert_eq!(plan("", "on"), 512 * 4 * (128_256 + 4096));
    let scores = 2048 * 32768 * 32 * 4;
    let off = plan("2048", "off");
    assert!(off > scores && off - scores < 2048 * 32768 * 4 + 64 * 2048 * 4096 * 4);
    assert_eq!(plan("", "auto"), plan("", "on"));
    let mut r = Request::default();
    r.set("flash_attn", "sometimes".into());
    assert_eq!(validate(&r).unwrap_err().field(), "flash_attn");
}

#[test]
fn row_split_spreads_matrices_by_ts_and_keeps_kv_with_the_layers() {
    let plan = |sm: &str, backend: &str| {
        let mut r = Request::default();
        r.set("tensor_split", "3,1".into());
        r.set("split_mode", sm.into());
        r.set("backend", backend.into());
        report(&r).unwrap()
    };
    let layer = plan("layer", "");
    let row = plan("row", "cuda");
    let weights = |r: &Report| {
        r.devices
            .iter()
            .map(|d| d.weights_bytes)
            .collect::<Vec<_>>()
    };
    let kv = |r: &Report| r.devices.iter().map(|d| d.kv_bytes).collect::<Vec<_>>();
    // Same layers (and KV) per GPU; the matrices move 3:1 over both.
    assert_eq!(kv(&layer), kv(&row));
    assert_eq!(
        weights(&layer)
            .iter()
            .sum::<u64>()
            .abs_diff(weights(&row).iter().sum()),
        0
    );
    let [a, b] = weights(&row)[..] else { panic!() };
    assert!((a as f64 / b as f64 - 3.0).abs() < 0.05, "{a} {b}");
    assert!(row.commands["llama.cpp"].contains("-sm row -ts 3,1"));
    // Vulkan has no split buffer type: llama.cpp splits by layer.
    let vulkan = plan("row", "vulkan");
    assert_eq!(weights(&vulkan), weights(&layer));
    assert!(vulkan
        .warnings
        .iter()
        .any(|w| w.starts_with("-sm row needs")));
}

#[test]
fn the_cpu_backend_keeps_everything_in_host_memory() {
    let mut r = Request::default();
    r.set("backend", "cpu".into());
    let rep = report(&r).unwrap();
    assert!(rep.devices.iter().all(|d| !d.used()));
    assert_eq!(rep.offload.cpu_layers, 32);
    assert!(rep.host.weights_bytes >= rep.weights_bytes - rep.vision_bytes);
}

#[test]
fn swa_full_caches_the_whole_context_in_sliding_layers() {
    let kv = |swa_full: &str| {
        let mut r = Request::default();
        r.set("model", "gemma-3-27b".into());
        r.set("ctx", "32768".into());
        r.set("swa_full", swa_full.into());
        report(&r).unwrap().kv_bytes
    };
    // Gemma 3 27B: 52 of its 62 layers slide over 1024 tokens.
    let (window, full) = (kv("off"), kv("on"));
    assert!(full > 4 * window, "{full} vs {window}");
    let mut r = Request::default();
    r.set("swa_full", "maybe".into());
    assert_eq!(validate(&r).unwrap_err().field(), "swa_full");
}

#[test]
fn the_default_request_fits_with_room_to_spare() {
    let r = report(&Request::default()).unwrap();
    assert!(r.fits);
    assert_eq!(r.params.total, 8_030_261_248);
    assert_eq!(r.devices.len(), 2);
    assert_eq!(r.max_context, Some(131_072));
    assert!(r.ways_out.is_empty());
}

#[test]
fn a_quantized_repo_name_sets_the_weights_unless_they_are_chosen() {
    let repo = "RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic";
    let request = |engine: &str, weights: &str| Request {
        model: repo.into(),
        engine: engine.into(),
        weights: weights.into(),
        ..Request::default()
    };
    let implied = validate(&request("vllm", "")).unwrap();
    assert_eq!(implied.settings.weights.id(), "fp8");
    assert_eq!(implied.model_ref, repo);
    assert_eq!(implied.spec.params().total, 8_030_261_248);
    assert!(implied
        .warnings
        .contains(&"planned with fp8, the format the name implies".to_string()));

    let chosen = validate(&request("vllm", "bf16")).unwrap();
    assert_eq!(chosen.settings.weights.id(), "bf16");
    assert!(chosen
        .warnings
        .contains(&"weights bf16 chosen explicitly, not the fp8 the name implies".to_string()));

    let gguf_engine = validate(&request("llama.cpp", "")).unwrap();
    assert_eq!(gguf_engine.settings.weights.id(), "q4_k_m");
    assert!(gguf_engine.warnings.iter().any(|w| {
        w
        == "llama.cpp does not load FP8 e4m3 (per-tensor scales): planned with its default, q4_k_m"
    }));
}

#[test]
fn a_gguf_selector_picks_the_quant_type() {
    let request = Request {
        model: "unsloth/Qwen3-8B-GGUF:Q5_K_M".into(),
        weights: String::new(),
        ..Request::default()
    };
    let v = validate(&request).unwrap();
    assert_eq!(v.settings.weights.id(), "q5_k_m");
    assert_eq!(v.model_ref, "Qwen/Qwen3-8B");
}

#[test]
fn each_bad_field_is_reported_against_that_field() {
    let cases = [
        ("gpus", "", "gpus"),
        ("gpus", "rtx 9999", "gpus"),
        ("model", "gpt-5", "model"),
        ("config", "{junk", "config"),
        ("weights", "q3", "weights"),
        ("weights", "bf16", "weights"),
        ("engine", "vllm", "weights"),
        ("engine", "tgi", "engine"),
        ("kv", "f8", "kv"),
        ("kv", "fp8", "kv"),
        ("ctx", "0", "ctx"),
        ("ctx", "1e30", "ctx"),
        ("batch", "-1", "batch"),
        ("overhead", "lots", "overhead"),
        ("reserve", "-2GB", "reserve"),
        ("reserve", "30GB", "reserve"),
        ("host_ram", "x", "host_ram"),
        ("offload", "maybe", "offload"),
        ("objective", "quickest", "objective"),
        ("host_bw", "fast", "host_bw"),
        ("host_bw", "-5", "host_bw"),
    ];
    for (field, value, expected) in cases {
        let mut request = Request::default();
        assert!(request.set(field, value.to_string()), "{field}");
        assert_eq!(
            report(&request).unwrap_err().field(),
            expected,
            "{field}={value}"
        );
    }
    let mut request = Request::default();
    assert!(!request.set("nonsense", String::new()));
    for field in Request::FIELDS {
        assert!(request.set(field, format!("value of {field}")));
        assert_eq!(
            request.get(field),
            Some(format!("value of {field}").as_str())
        );
    }
}

#[test]
fn every_faulty_field_gets_its_own_error() {
    let mut request = Request::default();
    request.set("ctx", "lots".into());
    request.set("batch", "0".into());
    request.set("gpus", "-8".into());
    let fields: Vec<&str> = all_errors(&request).iter().map(InputError::field).collect();
    assert_eq!(fields, ["ctx", "batch", "gpus"]);
    assert!(all_errors(&Request::default()).is_empty());
}

#[test]
fn json_inputs_become_requests() {
    let value = serde_json::json!({
        "model": "qwen3-8b", "gpus": ["2xrtx-4090", "12GB"], "engine": "vllm", "ctx": 32768,
        "offload": false, "config": null
    });
    let r = Request::from_json(&value).unwrap();
    assert_eq!(
        (r.gpus.as_str(), r.weights.as_str(), r.ctx.as_str()),
        ("2xrtx-4090, 12GB", "bf16", "32768")
    );
    assert!(report(&r).is_ok());
    assert!(Request::from_json(&serde_json::json!({"gpu": "24GB"}))
        .unwrap_err()
        .starts_with("unknown field `gpu`"));
    assert!(Request::from_json(&serde_json::json!([1])).is_err());
    let with_config =
        Request::from_json(&serde_json::json!({"config": {"model_type": "llama"}})).unwrap();
    assert_eq!(with_config.config, r#"{"model_type":"llama"}"#);
}

#[test]
fn objectives_move_the_operating_point() {
    let mut request = Request::default();
    request.set("objective", "max-context".into());
    let r = report(&request).unwrap();
    assert_eq!(r.n_ctx, r.max_context.unwrap());
    request.set("objective", "max-batch".into());
    let r = report(&request).unwrap();
    assert_eq!(r.n_seq, r.max_batch.unwrap());
}

/// The app's form, links and the JS API hold a format; while it is the
/// model's and engine's default it follows them, as the CLI's unchosen
/// format does (gpt-oss's MXFP4, a repository's FP8); a chosen one stays.
#[test]
fn a_format_that_was_the_default_follows_the_model_and_engine() {
    let from = |v: serde_json::Value| Request::from_json(&v).unwrap().weights;
    assert_eq!(
        from(serde_json::json!({"model": "gpt-oss-120b"})),
        "mxfp4_moe"
    );
    assert_eq!(
        from(serde_json::json!({"model": "gpt-oss-120b", "engine": "vllm"})),
        "mxfp4"
    );
    let fp8 = from(serde_json::json!({
        "model": "RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic", "engine": "vllm"
    }));
    assert!(fp8.starts_with("fp8"), "{fp8}");
    assert_eq!(
        from(serde_json::json!({"model": "gpt-oss-120b", "weights": "q4_k_m"})),
        "q4_k_m"
    );
    // Along a form's edits: the default follows; a choice stays.
    let mut r = Request::default();
    r.set("model", "gpt-oss-120b".into());
    assert_eq!(r.weights, "mxfp4_moe");
    r.set_engine("vllm");
    assert_eq!(r.weights, "mxfp4");
    r.set_engine("llama.cpp");
    r.set("model", "llama-3.1-8b".into());
    assert_eq!(r.weights, "q4_k_m");
    r.set("weights", "q8_0".into());
    r.set("model", "gpt-oss-120b".into());
    assert_eq!(r.weights, "q8_0");
    // Typing through names that do not resolve keeps following.
    let mut typed = Request::default();
    for prefix in ["g", "gpt-oss-1", "gpt-oss-120b"] {
        typed.set("model", prefix.into());
    }
    assert_eq!(typed.weights, "mxfp4_moe");
    assert_eq!(report(&typed).unwrap().weights_label, "GGUF MXFP4_MOE");
}
