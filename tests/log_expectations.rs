//! Real logs, read as a person reading them would: the model they are
//! about and the settings they print. Two sets:
//! - `data/logs/expected.json`: each collected llama.cpp, Ollama and vLLM
//!   log with what its lines (and thread) say, written by hand;
//! - `data/measured/vllm_logs.json`: 70-odd vLLM startups with the flags
//!   and model each thread gives, annotated when they were collected.

use serde_json::Value;
use vramfit::estimate::names::resolve;
use vramfit::report::check::{check, detect, Kind};
use vramfit::report::{report, Request};

fn root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data")
}

#[test]
fn each_collected_log_gives_its_model_and_settings() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(root().join("logs/expected.json")).unwrap())
            .unwrap();
    let mut checked = 0;
    for want in doc["logs"].as_array().unwrap() {
        let file = want["file"].as_str().unwrap();
        let text = std::fs::read_to_string(root().join("logs").join(file)).unwrap();
        let kind = match want["kind"].as_str().unwrap() {
            "llama_log" => Kind::LlamaLog,
            _ => Kind::VllmLog,
        };
        assert_eq!(detect(&text), kind, "{file}");
        let c = check(&text, &Request::default(), false);
        let r = &c.request;
        if let Some(model) = want["model"].as_str() {
            let id = resolve(&r.model)
                .map(|m| m.model.id.to_string())
                .unwrap_or_default();
            assert_eq!(id, model, "{file}: {:?}", c.notes);
        }
        if let Some(prefix) = want["model_prefix"].as_str() {
            assert!(r.model.starts_with(prefix), "{file}: {}", r.model);
            let plan = report(r).unwrap();
            let b = plan.params.total as f64 / 1e9;
            let range = want["model_params_b"].as_array().unwrap();
            assert!(
                (range[0].as_f64().unwrap()..=range[1].as_f64().unwrap()).contains(&b),
                "{file}: {b}"
            );
        }
        for field in [
            "weights",
            "ctx",
            "batch",
            "ngl",
            "ubatch",
            "tensor_split",
            "util",
            "tp",
            "batched_tokens",
            "llama_cpp_build",
        ] {
            if let Some(v) = want[field].as_str() {
                assert_eq!(r.get(field), Some(v), "{file}: {field}");
            }
        }
        if let Some(n) = want["gpus"].as_u64() {
            let gpus = vramfit::plan::device::parse_gpus(&r.gpus).unwrap();
            assert_eq!(gpus.len() as u64, n, "{file}: {}", r.gpus);
        }
        if let Some(most) = want["tp_at_most"].as_u64() {
            let tp: u64 = r.tp.parse().unwrap();
            assert!(tp >= 1 && tp <= most, "{file}: tp {tp}");
        }
        if c.model_known {
            report(r).unwrap_or_else(|e| panic!("{file}: {e}"));
        }
        checked += 1;
    }
    assert!(checked >= 14);
}

/// Whether the lines print `n` (as `8192` or `8,192`).
fn prints(lines: &str, n: u64) -> bool {
    let plain = n.to_string();
    let grouped = {
        let digits: Vec<char> = plain.chars().collect();
        let mut out = String::new();
        for (i, d) in digits.iter().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(*d);
        }
        out
    };
    lines.contains(&plain) || lines.contains(&grouped)
}

#[test]
fn every_annotated_vllm_startup_gives_the_settings_its_lines_print() {
    let doc: Value = serde_json::from_str(include_str!("data/measured/vllm_logs.json")).unwrap();
    let (mut logs, mut named, mut all_right) = (0, 0, 0);
    for run in doc["runs"].as_array().unwrap() {
        let lines: Vec<&str> = run["lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str()).collect())
            .unwrap_or_default();
        let text = lines.join("\n");
        if lines.is_empty() || detect(&text) != Kind::VllmLog {
            continue;
        }
        logs += 1;
        let id = run["id"].as_str().unwrap();
        let flags = &run["flags"];
        let c = check(&text, &Request::default(), false);
        let r = &c.request;
        // A model the lines name, or that their per-rank weights and KV
        // cache single out, is the thread's.
        if c.model_known {
            if let (Ok(ours), Ok(theirs)) = (
                resolve(&r.model),
                resolve(run["model"].as_str().unwrap_or("-")),
            ) {
                assert_eq!(ours.model.id, theirs.model.id, "{id}");
                named += 1;
            }
        }
        // What the lines print is read; what they do not is not invented.
        let mut right = true;
        if let Some(u) = flags["gpu_memory_utilization"].as_f64() {
            if !r.util.is_empty() {
                assert_eq!(r.util.parse::<f64>().unwrap(), u, "{id}: util");
            } else {
                right &= !text.contains("gpu_memory_utilization");
            }
        }
        if let Some(len) = flags["max_model_len"].as_u64() {
            if prints(&text, len)
                && (text.contains("max_seq_len")
                    || text.contains("max_model_len")
                    || text.contains("tokens per request"))
            {
                assert_eq!(r.ctx, len.to_string(), "{id}: ctx");
            }
        }
        if let (Some(tp), false) = (run["tp"].as_u64(), r.tp.is_empty()) {
            let ours: u64 = r.tp.parse().unwrap();
            assert!(ours <= tp, "{id}: tp {ours} > {tp}");
            right &= ours == tp;
        }
        all_right += usize::from(right);
    }
    assert!(logs >= 60, "{logs} vLLM logs");
    assert!(
        named >= 12,
        "{named} named their model or were identified by it"
    );
    assert!(
        all_right * 10 >= logs * 8,
        "{all_right} of {logs} with every printed setting"
    );
}
