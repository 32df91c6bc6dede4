//! vramfit's model of llama.cpp's compute graph ([`vramfit::estimate::ggml`])
//! against ggml's own allocator: two layers of real widths, loaded on the
//! CPU by llama-cpp-python 0.3.36 (llama.cpp 0c1e570), the exact bytes
//! ggml reserved traced by tests/bench/ggml_alloc_trace.c
//! (`data/measured/llama_cpp_graph.json`, `./bench --llama-cpp`).

use vramfit::estimate::catalog::find;
use vramfit::estimate::ggml::{explain, GraphEra, Placement, Shape};
use vramfit::estimate::weights::weight_bytes;
use vramfit::estimate::{format::GgufFtype, WeightFormat};

include!("data/graph_traces.rs");

#[test]
fn the_graph_placed_on_the_cpu_reserves_what_ggml_reserved_to_the_byte() {
    let loads = graph_traces::loads();
    assert!(loads.len() >= 15);
    let mut models = std::collections::BTreeSet::new();
    for (l, ggml, ours) in &loads {
        models.insert(l["model"].as_str().unwrap().to_string());
        assert_eq!(ours, ggml, "{l}");
    }
    // Dense with and without biases, experts with Q/K norms and without.
    assert_eq!(models.len(), 5);
}

#[test]
fn a_buffer_is_explained_by_what_it_holds_at_its_peak() {
    // Llama 3.1 8B without flash attention: the peak is the first layer's
    // f32 scores, next to Q, the mask and the hidden states.
    let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
    let weights = weight_bytes(
        &spec,
        WeightFormat::Gguf {
            ftype: GgufFtype::Q4_0,
        },
    );
    let sizes = vramfit::estimate::ggml::weight_sizes(&spec, &weights);
    let shape = Shape {
        n_ubatch: 512,
        n_kv: 10240,
        n_kv_swa: 0,
        flash_attn: false,
        era: GraphEra::SetRows,
        rotate_k: false,
        rotate_v: false,
    };
    let gpu = Placement {
        layer: vec![1, 1],
        experts: vec![1, 1],
        kv: vec![1, 1],
        output: 1,
        n_devices: 2,
        n_copies: 1,
        op_offload: true,
        pin_norms: true,
    };
    let peaks = explain(&spec, &[0, 1], true, shape, &gpu, &[32, 128], &sizes).unwrap();
    let top: Vec<&str> = peaks[1]
        .iter()
        .take(3)
        .map(|(what, _)| what.as_str())
        .collect();
    assert_eq!(top, ["kq-0", "copy of kq_mask", "Qcur-0"]);
    assert_eq!(peaks[1][0].1, 10240 * 512 * 32 * 4);
}
