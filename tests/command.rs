//! Pasted command lines and GPU inventories from public issues
//! (`data/commands.json`, `data/inventories/*.txt`, each with its URL): every
//! command is recognised and read into the request fields recorded with it,
//! and for a catalog model that request validates and plans; every
//! inventory gives its GPUs and a `gpus` list the request accepts.

use vramfit::plan::inventory::{parse_inventory, to_gpu_list};
use vramfit::report::command::parse_command;
use vramfit::report::{report, validate, Request};

#[derive(serde::Deserialize)]
struct Case {
    url: String,
    text: String,
    tool: String,
    model_ref: Option<String>,
    /// Whether the model is in vramfit's catalog (the request then plans).
    catalog: bool,
    /// The request fields that differ from `Request::default()`.
    fields: std::collections::BTreeMap<String, String>,
}

#[test]
fn real_command_lines_become_the_requests_they_describe() {
    let cases: Vec<Case> =
        serde_json::from_str(include_str!("data/commands.json")).expect("commands.json");
    assert!(cases.len() >= 25, "{} commands", cases.len());
    let defaults = Request::default();
    let mut planned = 0;
    for case in &cases {
        let parsed = parse_command(&case.text);
        let json = serde_json::to_value(&parsed).unwrap();
        assert_eq!(json["tool"], case.tool.as_str(), "{}", case.url);
        assert_eq!(parsed.model_ref, case.model_ref, "{}", case.url);
        for field in Request::FIELDS {
            let got = parsed.request.get(field).unwrap();
            let want = case
                .fields
                .get(field)
                .map_or_else(|| defaults.get(field).unwrap(), String::as_str);
            assert_eq!(got, want, "{}: field {field}", case.url);
        }
        assert_eq!(json["request"]["model"], parsed.request.model.as_str());
        if case.catalog {
            validate(&parsed.request).unwrap_or_else(|e| panic!("{}: {e}", case.url));
            report(&parsed.request).unwrap_or_else(|e| panic!("{}: {e}", case.url));
            planned += 1;
        }
    }
    assert!(planned >= 15, "{planned} planned");
}

#[test]
fn every_tool_is_among_the_real_commands() {
    let all: String = include_str!("data/commands.json").to_string();
    for tool in [
        "llama-server",
        "llama-cli",
        "llama-bench",
        "ollama",
        "vllm",
        "transformers",
        "exllamav2",
    ] {
        assert!(all.contains(&format!("\"tool\": \"{tool}\"")), "{tool}");
    }
}

/// Each inventory file, its GPUs as `name | MiB | MiB used | card`.
const INVENTORIES: &[(&str, &str, &str)] = &[
    (
        "nvidia-smi-5090-3090",
        include_str!("data/inventories/nvidia-smi-5090-3090.txt"),
        "NVIDIA GeForce RTX 5090 | 32607 | 18 | rtx-5090\nNVIDIA GeForce RTX 3090 | 24576 | 23352 | rtx-3090",
    ),
    (
        "nvidia-smi-2x3090",
        include_str!("data/inventories/nvidia-smi-2x3090.txt"),
        "NVIDIA GeForce RTX 3090 | 24576 | 22578 | rtx-3090\nNVIDIA GeForce RTX 3090 | 24576 | 23994 | rtx-3090",
    ),
    (
        "nvidia-smi-old-3090",
        include_str!("data/inventories/nvidia-smi-old-3090.txt"),
        "NVIDIA GeForce | 24259 | 392 | -",
    ),
    (
        "nvidia-smi-old-3070",
        include_str!("data/inventories/nvidia-smi-old-3070.txt"),
        "NVIDIA GeForce | 7979 | 15 | -",
    ),
    (
        "rocm-smi-meminfo",
        include_str!("data/inventories/rocm-smi-meminfo.txt"),
        "AMD GPU 0 | 4080 | 103 | -",
    ),
    (
        "rocm-smi-csv-7900xt",
        include_str!("data/inventories/rocm-smi-csv-7900xt.txt"),
        "Radeon RX 7900 XT | 20464 | 26 | rx-7900-xt",
    ),
    (
        "system-profiler-vega64",
        include_str!("data/inventories/system-profiler-vega64.txt"),
        "Radeon Pro Vega 64 | 16384 | 0 | -",
    ),
    (
        "list-devices-3080ti-pro4000",
        include_str!("data/inventories/list-devices-3080ti-pro4000.txt"),
        "NVIDIA GeForce RTX 3080 Ti | 11909 | 259 | rtx-3080-ti\nNVIDIA RTX PRO 4000 Blackwell SFF Edition | 24026 | 231 | -",
    ),
];

#[test]
fn real_inventories_fill_the_gpu_rows() {
    assert!(INVENTORIES.len() >= 8);
    for (name, text, want) in INVENTORIES {
        assert!(
            text.starts_with("# https://"),
            "{name}: first line is its URL"
        );
        let gpus = parse_inventory(text);
        let got: Vec<String> = gpus
            .iter()
            .map(|g| {
                format!(
                    "{} | {} | {} | {}",
                    g.name,
                    g.capacity_bytes >> 20,
                    g.used_bytes >> 20,
                    g.card.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(got.join("\n"), *want, "{name}");
        let list = to_gpu_list(&gpus);
        vramfit::plan::parse_gpus(&list).unwrap_or_else(|e| panic!("{name}: {list}: {e}"));
        let request = Request {
            gpus: list.clone(),
            ..Request::default()
        };
        validate(&request).unwrap_or_else(|e| panic!("{name}: {list}: {e}"));
    }
}
