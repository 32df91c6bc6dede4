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
        assert_ne!(checked.request.gpus, Request::default().gpus, "{}", path.display());
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
            .filter(|k| !k.contains("Host") && !k.starts_with("CPU") && !k.contains("RPC") && !k.contains("SWA"))
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
    let logs: Value = serde_json::from_str(gpu_loads::LOGS).unwrap();
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
        let plan = report(&checked.request);
        eprintln!("{}: {:?}\n  request ctx {} batch {} ub {} fa {} kv {} gpus {:?} ngl {:?} ts {:?} build {:?}", load.id, plan.as_ref().map(|p| p.fits).map_err(|e| e.to_string()),
            checked.request.ctx, checked.request.batch, checked.request.ubatch, checked.request.flash_attn, checked.request.kv, checked.request.gpus, checked.request.ngl, checked.request.tensor_split, checked.request.llama_cpp_build);
        for r in &checked.rows {
            eprintln!("  {:<40} {:<8} {:>10.2} {:>10.2} {:>+9.2}", r.device, r.buffer, r.logged_bytes as f64 / 1048576.0, r.predicted_bytes as f64 / 1048576.0, r.diff_bytes() as f64 / 1048576.0);
        }
        for n in &checked.notes { eprintln!("  note: {n}"); }
    }
}
