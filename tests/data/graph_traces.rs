// Shared by tests/llama_cpp_graph.rs and the accuracy bench
// (tests/bench/accuracy.rs): llama.cpp's compute graph of two layers of
// real widths, as ggml's allocator reserved it on the CPU
// (data/measured/llama_cpp_graph.json, traced), and vramfit's graph of the
// same layers placed by its port of the allocator.

#[allow(dead_code)]
mod graph_traces {
    use serde_json::Value;
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::format::GgufFtype;
    use vramfit::estimate::ggml::{compute_buffers, weight_sizes, GraphEra, Placement, Shape, HOST};
    use vramfit::estimate::memory::pad;
    use vramfit::estimate::weights::weight_bytes;
    use vramfit::estimate::WeightFormat;

    pub const TRACED: &str = include_str!("measured/llama_cpp_graph.json");

    /// Every traced load with ggml's bytes and ours.
    pub fn loads() -> Vec<(Value, u64, u64)> {
        let doc: Value = serde_json::from_str(TRACED).unwrap();
        doc["loads"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| {
                let (ggml, ours) = (l["compute_bytes"].as_u64().unwrap(), ours(l));
                (l.clone(), ggml, ours)
            })
            .collect()
    }

    /// Our CPU compute buffer for one traced load.
    fn ours(l: &Value) -> u64 {
        let spec = find(l["model"].as_str().unwrap()).unwrap().load().unwrap().spec;
        let n = l["n_layer"].as_u64().unwrap() as usize;
        let quantized = l["kv"] != "f16";
        let shape = Shape {
            n_ubatch: l["n_ubatch"].as_u64().unwrap(),
            n_kv: pad(l["n_ctx"].as_u64().unwrap(), 256),
            n_kv_swa: 0,
            flash_attn: l["flash_attn"].as_bool().unwrap(),
            era: GraphEra::Current,
            rotate_k: quantized,
            rotate_v: quantized,
        };
        let host = Placement {
            layer: vec![HOST; n],
            experts: vec![HOST; n],
            kv: vec![HOST; n],
            output: HOST,
            n_devices: 1,
            n_copies: 1,
            op_offload: true,
            pin_norms: false,
        };
        let weights = weight_bytes(&spec, WeightFormat::Gguf { ftype: GgufFtype::Q4_0 });
        let sizes = weight_sizes(&spec, &weights);
        let layers: Vec<usize> = (0..n).collect();
        compute_buffers(&spec, &layers, true, shape, &host, &[32], &sizes).unwrap()[HOST]
    }
}
