//! The vLLM log reader on logs people posted: the 73 runs of
//! `data/measured/vllm_logs.json` (verbatim `lines`, the numbers people
//! read from them in `logged`, the settings in `flags`) and the whole logs
//! of `data/logs/vllm/*.log` (each opens with its URL).

use serde_json::Value;
use vramfit::import::vllm_log::{parse, parse_command, ErrorKind, VllmLog};

const GIB: f64 = (1u64 << 30) as f64;

fn runs() -> Vec<Value> {
    let data: Value = serde_json::from_str(include_str!("data/measured/vllm_logs.json")).unwrap();
    data["runs"].as_array().unwrap().clone()
}

/// Every figure the log reader gives for a `logged` field, in GiB or as a
/// count, from every rank and error.
fn candidates(log: &VllmLog, field: &str) -> Vec<f64> {
    let gib = |b: Option<i64>| b.map(|b| b as f64 / GIB);
    let mut out: Vec<Option<f64>> = Vec::new();
    for r in &log.ranks {
        match field {
            "total_gpu_memory_gib" => out.push(gib(r.total_bytes)),
            "usable_gib" => out.push(gib(r.requested_bytes)),
            "model_weights_gib" => {
                out.push(gib(r.weights_loaded_bytes));
                out.push(gib(r.weights_bytes));
            }
            "non_torch_gib" => out.push(gib(r.non_torch_bytes)),
            "activation_peak_gib" => out.push(gib(r.activation_bytes)),
            "kv_cache_gib" => out.push(gib(r.kv_cache_bytes)),
            "cuda_graph_gib" => {
                out.push(gib(r.cuda_graph_bytes));
                out.push(gib(r.cuda_graph_estimate_bytes));
            }
            "kv_cache_tokens" => out.push(r.kv_cache_tokens.map(|t| t as f64)),
            "num_gpu_blocks" => out.push(r.num_gpu_blocks.map(|b| b as f64)),
            "max_concurrency" => out.push(r.max_concurrency.map(|c| c.times)),
            "max_concurrency_tokens" => {
                out.push(r.max_concurrency.map(|c| c.tokens_per_request as f64))
            }
            "encoder_budget_tokens" => {
                out.push(r.encoder_cache.as_ref().map(|e| e.budget_tokens as f64))
            }
            "profiled_items" => out.push(
                r.encoder_cache
                    .as_ref()
                    .and_then(|e| e.items)
                    .map(|n| n as f64),
            ),
            _ => {}
        }
    }
    for e in &log.errors {
        match (&e.kind, field) {
            (
                ErrorKind::KvCacheTooSmall {
                    available_bytes, ..
                },
                "kv_cache_gib",
            ) => out.push(gib(*available_bytes)),
            (ErrorKind::KvCacheTooSmall { max_seq_len, .. }, "max_concurrency_tokens") => {
                out.push(max_seq_len.map(|n| n as f64))
            }
            (ErrorKind::OutOfMemory { total_bytes, .. }, "total_gpu_memory_gib")
            | (ErrorKind::FreeMemoryBelowUtilization { total_bytes, .. }, "total_gpu_memory_gib") => {
                out.push(gib(*total_bytes))
            }
            (ErrorKind::MambaCacheBlocks { blocks, .. }, "num_gpu_blocks") => {
                out.push(blocks.map(|n| n as f64))
            }
            _ => {}
        }
    }
    out.into_iter().flatten().collect()
}

/// Logged figures no line of the run shows (they come from the thread's
/// prose, a table, or a log line the excerpt cut), each with why.
const NOT_IN_LINES: &[(&str, &str, &str)] = &[
    ("vlm-gemma4-31b-awq-a100-v020-v021", "", "no lines stored"),
    (
        "r1-distill-qwen14b-2x4090-tp2-v07-fail",
        "non_torch_gib",
        "from the author's prose",
    ),
    (
        "r1-distill-qwen14b-2x4090-tp2-v07-fail",
        "activation_peak_gib",
        "from the author's prose",
    ),
    (
        "r1-distill-qwen14b-2x4090-tp2-v07-fail",
        "kv_cache_gib",
        "from the author's prose",
    ),
    (
        "kimi-linear-48b-awq-2x3090-tp2",
        "kv_cache_gib",
        "from the author's prose",
    ),
    (
        "minimax-m27-awq-2xspark-tp2-gmu085",
        "*",
        "from the issue's prose",
    ),
    (
        "qwen38-27b-fp8-2x5090-tp2-262k-mtp",
        "*",
        "from a markdown table",
    ),
    (
        "qwen38-27b-fp8-2x3090-tp2-fp8kv",
        "kv_cache_gib",
        "the Available line is not in the excerpt",
    ),
    (
        "qwen35-35b-a3b-tp4-80gb-dflash-breakdown",
        "kv_cache_gib",
        "the line is cut before `Current kv cache memory`",
    ),
    (
        "qwen36-35b-a3b-fp8-a800-dflash-gmu062",
        "max_concurrency_tokens",
        "the --max-model-len of the command, no concurrency line",
    ),
    (
        "qwen36-35b-a3b-fp8-dgxspark-mtp",
        "max_concurrency_tokens",
        "the --max-model-len of the command, no concurrency line",
    ),
    (
        "dscoder-6.7b-2xt4-tp2-v04",
        "error",
        "the worker error is cut in the excerpt",
    ),
    (
        "qwen3-30b-a3b-4xa10-v085",
        "error",
        "the CUDA-graph OOM is in the thread, not the lines",
    ),
    ("qwen3-30b-a3b-4xa10-v085", "max_concurrency_tokens", ""),
    (
        "gptoss-120b-h100-v011-fail",
        "error",
        "the thread's words; the lines end at EngineCore failed",
    ),
    ("vlm-qwen3vl-30b-a3b-a800-fail", "error", ""),
    (
        "qwen25-7b-rtx4060-8gb-v07-fail",
        "error",
        "the thread's reading of `# cuda blocks: 0`; no raise in the lines",
    ),
    (
        "i10569-llama32-11b-vision-l20-v063-oom",
        "error",
        "the OOM traceback is not in the lines",
    ),
    (
        "i27250-internvl35-14b-hf-h100-budget28511",
        "error",
        "the ValueError is in the thread, not the lines",
    ),
    (
        "i42687-gemma4-31b-v0200-lt70gb-mnbt-error",
        "error",
        "the thread's prose",
    ),
];

fn allowed_missing(id: &str, field: &str) -> bool {
    NOT_IN_LINES
        .iter()
        .any(|(i, f, _)| *i == id && (*f == field || *f == "*" || f.is_empty()))
}

#[derive(Debug)]
enum Outcome {
    Match,
    Missing,
    Wrong(String),
}

fn compare(log: &VllmLog, field: &str, logged: &Value) -> Outcome {
    let wanted: Vec<f64> = match logged {
        Value::Array(a) => a.iter().filter_map(Value::as_f64).collect(),
        v => v.as_f64().into_iter().collect(),
    };
    let got = candidates(log, field);
    if got.is_empty() {
        return Outcome::Missing;
    }
    for w in &wanted {
        if !got.iter().any(|g| (g - w).abs() <= 1e-6 * w.abs().max(1.0)) {
            return Outcome::Wrong(format!("{field}: logged {w}, read {got:?}"));
        }
    }
    Outcome::Match
}

#[test]
fn every_number_people_read_from_the_logged_lines_comes_out_the_same() {
    let mut matched = 0;
    let mut runs_all_read = 0;
    let mut failures = Vec::new();
    let runs = runs();
    for run in &runs {
        let id = run["id"].as_str().unwrap();
        let lines: Vec<&str> = run["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect();
        let log = parse(&lines.join("\n"));
        let mut all = true;
        for (field, value) in run["logged"].as_object().unwrap() {
            if value.is_null() || field == "profiled_modality" {
                continue;
            }
            let outcome = if field == "error" {
                if log.errors.is_empty() {
                    Outcome::Missing
                } else {
                    Outcome::Match
                }
            } else {
                compare(&log, field, value)
            };
            match outcome {
                Outcome::Match => matched += 1,
                Outcome::Missing if allowed_missing(id, field) => all = false,
                Outcome::Missing => failures.push(format!("{id}: {field} not read")),
                Outcome::Wrong(why) => failures.push(format!("{id}: {why}")),
            }
        }
        if let Some(modality) = run["logged"]["profiled_modality"].as_str() {
            let read = log.first(|r| r.encoder_cache.as_ref().and_then(|e| e.modality.clone()));
            if read.as_deref() != Some(modality) {
                failures.push(format!("{id}: modality {modality}, read {read:?}"));
            }
        }
        if all {
            runs_all_read += 1;
        }
    }
    println!(
        "{matched} logged numbers read; {runs_all_read} of {} runs read whole",
        runs.len()
    );
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(matched >= 200, "only {matched} numbers matched");
}

/// Settings the lines show (their name is printed in them) against the
/// settings recorded for the run.
#[test]
fn the_settings_the_lines_show_come_out_the_same() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for run in runs() {
        let id = run["id"].as_str().unwrap();
        let text = run["lines"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(Value::as_str)
            .collect::<Vec<_>>()
            .join("\n");
        let log = parse(&text);
        let settings = serde_json::to_value(&log.settings).unwrap();
        for (key, want) in run["flags"].as_object().unwrap() {
            if want.is_null() || key == "other" || key == "speculative" {
                continue;
            }
            let shown = text.contains(key.as_str())
                || text.contains(&format!("--{}", key.replace('_', "-")))
                || (key == "max_model_len" && text.contains("max_seq_len"));
            if !shown {
                continue;
            }
            let got = &settings[key.as_str()];
            let same = match (want, got) {
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (Value::Bool(a), Value::Bool(b)) => a == b,
                (Value::String(a), Value::String(b)) => {
                    a.to_lowercase().starts_with(&b.to_lowercase())
                }
                // `{"image": 3}` recorded as JSON, read verbatim.
                (Value::Object(a), Value::String(b)) => a
                    .iter()
                    .all(|(k, v)| b.contains(k.as_str()) && b.contains(&v.to_string())),
                _ => false,
            };
            if same {
                checked += 1;
            } else if !SETTING_NOT_SHOWN.contains(&(id, key.as_str())) {
                failures.push(format!("{id}: {key} recorded {want}, read {got}"));
            }
        }
    }
    println!("{checked} settings read the same");
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(checked >= 40, "only {checked} settings checked");
}

/// Settings whose name appears in the lines only in another sense.
const SETTING_NOT_SHOWN: &[(&str, &str)] = &[
    // "FP4 quantization is being used" (a kernel warning).
    ("gptoss-120b-h100-v010x-fail", "quantization"),
    // `--port 8111--gpu-memory-utilization 0.95`: glued to the port's
    // value as typed, so vLLM never saw the flag either.
    ("kimi-linear-48b-awq-2x3090-tp2", "gpu_memory_utilization"),
    // The issue's prose quoting the flag.
    (
        "minimax-m27-awq-2xspark-tp2-gmu085",
        "gpu_memory_utilization",
    ),
];

fn fields(v: &Value) -> String {
    let mut out = Vec::new();
    for (k, v) in v.as_object().unwrap() {
        match v {
            Value::Null => {}
            Value::String(s) => out.push(format!("{k}={s}")),
            other => out.push(format!("{k}={other}")),
        }
    }
    out.join(" ")
}

/// The whole logs collected under `data/logs/vllm/`, each read into a
/// summary: what a person pasting it would see read.
fn summary(log: &VllmLog) -> String {
    let mut s = format!(
        "version={:?} engine={:?} model={:?}\n",
        log.version, log.engine, log.model
    );
    let settings = fields(&serde_json::to_value(&log.settings).unwrap());
    if !settings.is_empty() {
        s += &format!("settings: {settings}\n");
    }
    if let Some(cmd) = &log.command {
        s += &format!("command: {:?} unused {:?}\n", cmd.launcher, cmd.unused);
    }
    for r in &log.ranks {
        let mut v = serde_json::to_value(r).unwrap();
        v.as_object_mut().unwrap().remove("process");
        s += &format!("[{}] {}\n", r.process, fields(&v));
    }
    for e in &log.errors {
        s += &format!(
            "error {}\n",
            fields(&serde_json::to_value(&e.kind).unwrap())
        );
    }
    s += &format!(
        "lines {} unrecognised {}\n",
        log.lines, log.unrecognised.count
    );
    s
}

/// A whole log file: the log read, and the `# command:` its thread shows.
fn check(file: &str, expected: expect_test::Expect) {
    assert!(
        file.starts_with("# https://"),
        "each log opens with its URL"
    );
    let mut s = summary(&parse(file));
    if let Some(line) = file.lines().find_map(|l| l.strip_prefix("# command: ")) {
        let cmd = parse_command(line);
        s += &format!(
            "# command: {:?} model={:?} settings: {}\n",
            cmd.launcher,
            cmd.model,
            fields(&serde_json::to_value(&cmd.settings).unwrap())
        );
    }
    expected.assert_eq(&s);
}

macro_rules! log_file {
    ($name:literal) => {
        include_str!(concat!("data/logs/vllm/", $name, ".log"))
    };
}

#[test]
fn whole_logs_from_public_threads() {
    use expect_test::expect;
    check(
        log_file!("v0-opt125m-pr3120"),
        expect![[r#"
        version=None engine=Some(V0) model=Some("facebook/opt-125m")
        settings: dtype=float16 enforce_eager=false kv_cache_dtype=auto max_model_len=2048 tensor_parallel_size=1
        [] num_cpu_blocks=7281 num_gpu_blocks=76240 weights_loaded_bytes=256492175
        lines 6 unrecognised 1
        # command: Some(Python) model=Some("facebook/opt-125m") settings: 
    "#]],
    );
    check(
        log_file!("v0-qwen25-1.5b-int8-issue12529"),
        expect![[r#"
        version=None engine=Some(V0) model=None
        settings: gpu_memory_utilization=0.9 max_model_len=2000
        [] activation_bytes=1492501135 gpu_memory_utilization=0.9 kv_cache_bytes=2362232013 max_concurrency={"times":41.18,"tokens_per_request":2000} non_torch_bytes=42949673 num_cpu_blocks=9362 num_gpu_blocks=5148 requested_bytes=7483980513 total_bytes=8321499136 weights_bytes=3586297692 weights_loaded_bytes=3587800931
        lines 15 unrecognised 4
    "#]],
    );
    check(
        log_file!("v1-engine-core-pr20707"),
        expect![[r#"
        version=None engine=Some(V1) model=None
        settings: max_model_len=40000
        [EngineCore_0 pid=1399537] kv_cache_bytes=120914066801 kv_cache_tokens=922496 max_concurrency={"times":23.06,"tokens_per_request":40000} pid=1399537
        [APIServer pid=1391815] num_gpu_blocks=57656 pid=1391815
        lines 10 unrecognised 5
    "#]],
    );
    check(
        log_file!("v0-tp-3090s-pr14447"),
        expect![[r#"
        version=None engine=Some(V0) model=None
        settings: gpu_memory_utilization=0.99
        [VllmWorkerProcess pid=521] activation_bytes=397284475 kv_cache_bytes=1685774664 non_torch_bytes=214748365 pid=521 weights_bytes=22774064087
        [VllmWorkerProcess pid=507] activation_bytes=397284475 gpu_memory_utilization=0.99 kv_cache_bytes=1685774664 non_torch_bytes=214748365 pid=507 requested_bytes=25071871590 total_bytes=25318832210 weights_bytes=22774064087
        [VllmWorkerProcess pid=577] activation_bytes=397284475 gpu_memory_utilization=0.99 kv_cache_bytes=1685774664 non_torch_bytes=214748365 pid=577 requested_bytes=25071871590 total_bytes=25318832210 weights_bytes=22774064087
        lines 8 unrecognised 0
    "#]],
    );
    check(
        log_file!("v1-qwen25-0.5b-tp2-pr24162"),
        expect![[r#"
        version=Some("0.10.2.dev378+g4d7fe40fc.d20250829") engine=None model=Some("/data/datasets/models-hf/Qwen2.5-0.5B/")
        settings: max_model_len=32768 max_num_batched_tokens=2048 tensor_parallel_size=2
        lines 10 unrecognised 5
    "#]],
    );
    check(
        log_file!("v0-llama405b-fp8-8xh100-issue6746"),
        expect![[r#"
            version=None engine=Some(V0) model=Some("/models/Meta-Llama-3.1-405B-Instruct-FP8")
            [VllmWorkerProcess pid=6494] pid=6494 weights_loaded_bytes=62010737820
            [VllmWorkerProcess pid=6498] pid=6498 weights_loaded_bytes=62010737820
            [] weights_loaded_bytes=62010737820
            [VllmWorkerProcess pid=6500] pid=6500 weights_loaded_bytes=62010737820
            lines 11 unrecognised 5
        "#]],
    );
    check(
        log_file!("v0-mistral7b-docker-issue3435"),
        expect![[r#"
        version=None engine=None model=None
        settings: max_model_len=32768
        error kind=kv_cache_too_small kv_cache_tokens=16832 max_seq_len=32768
        lines 3 unrecognised 0
        # command: Some(Docker) model=Some("mistralai/Mistral-7B-v0.1") settings: 
    "#]],
    );
    check(
        log_file!("v0-qwen15-7b-api-server-issue295"),
        expect![[r#"
        version=None engine=None model=Some("/models--Qwen--Qwen1.5-7B-Chat")
        settings: max_model_len=32768
        command: Some(ApiServer) unused ["--served-model-name"]
        error kind=kv_cache_too_small kv_cache_tokens=7344 max_seq_len=32768
        lines 6 unrecognised 0
        # command: Some(ApiServer) model=Some("/models--Qwen--Qwen1.5-7B-Chat") settings: 
    "#]],
    );
}
