//! Hybrid, state-space and new-attention architectures against llama.cpp.
//!
//! `data/measured/llama_cpp_hybrid.json` is written by
//! `tests/bench/llama_cpp_hybrid.py` (llama-cpp-python 0.3.36, llama.cpp
//! 0c1e570, CPU; `./bench --llama-cpp` reruns it): tiny GGUF files of
//! each architecture — their metadata and tensor list are stored — loaded
//! at several contexts, sequence counts, cache types and flash-attention
//! settings, with the KV and recurrent-state ("RS") buffers llama.cpp
//! logs. Here the same metadata goes through vramfit's GGUF import and
//! its llama.cpp estimate must equal those buffers.

use serde_json::Value;
use vramfit::estimate::format::KvType;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::{estimate, GgmlType, RunSettings};
use vramfit::import::file::gguf_import;
use vramfit::import::gguf::{GgufHeader, TensorInfo, Value as Meta};
use vramfit::import::parse_config;

include!("data/hybrid_loads.rs");

#[test]
fn kv_and_recurrent_state_equal_what_llama_cpp_allocates() {
    let loads = hybrid_loads();
    let archs: std::collections::BTreeSet<&str> = loads.iter().map(|l| l.arch.as_str()).collect();
    // llama.cpp prints MiB with two decimals: the KV and RS buffers are each
    // within 0.005 MiB of what it logs.
    let wrong: Vec<String> = loads
        .iter()
        .filter(|l| l.ours != l.exact || l.ours.abs_diff(l.logged) > 2 * 5243 + 1)
        .map(|l| {
            format!(
                "{}: {} vs llama.cpp {} (logged {})",
                l.label, l.ours, l.exact, l.logged
            )
        })
        .collect();
    assert!(archs.len() >= 8, "only {archs:?}");
    assert!(loads.len() >= 200, "only {} loads", loads.len());
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        loads.len(),
        wrong.join("\n")
    );
}
