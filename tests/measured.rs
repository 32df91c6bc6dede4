//! vramfit's transformers estimate against peak memory measured on a real
//! GPU (tests/bench/transformers_gpu.py; the JSON is committed, so this runs
//! without one). Weights and a full-attention cache are exact facts; the
//! activation peak is a model of what PyTorch allocates, held to a band.

include!("data/measured.rs");

#[test]
fn measured_runs_are_present() {
    let (doc, runs) = transformers_gpu();
    assert!(doc["gpu"].as_str().unwrap().contains("NVIDIA"));
    assert!(runs.len() >= 25, "{} runs", runs.len());
}

#[test]
fn weights_match_the_allocator() {
    for r in transformers_gpu().1 {
        assert_eq!(r.params, r.ours_params, "{} parameters", r.model);
        // bf16 parameters, plus rotary buffers and tensors some models
        // allocate while they are built (Gemma 3 1B: 50 MiB, 2.6 %).
        let extra = (r.weights as f64 - r.ours_weights as f64) / r.ours_weights as f64;
        assert!(
            (0.0..0.03).contains(&extra),
            "{} weights: measured {} ours {}",
            r.model,
            r.weights,
            r.ours_weights
        );
    }
}

#[test]
fn full_attention_cache_matches_to_the_byte() {
    for r in transformers_gpu().1.iter().filter(|r| !r.sliding) {
        // A few bytes per layer of bookkeeping tensors besides K and V.
        let extra = r.kv_after as i64 - r.ours_kv_cached as i64;
        assert!(
            (0..=4096).contains(&extra),
            "{} {}x{}: measured {} ours {}",
            r.model,
            r.batch,
            r.context,
            r.kv_after,
            r.ours_kv_cached
        );
    }
}

#[test]
fn peak_is_within_the_band() {
    for r in transformers_gpu().1 {
        // Beyond the weights: activations are modelled per block, so a
        // band (measured -1.4 % to +8.4 %; eager scores round up).
        let error = (r.ours_peak() as f64 - r.peak as f64) / r.peak as f64;
        let total = ((r.ours_weights + r.ours_peak()) as f64 - (r.weights + r.peak) as f64)
            / (r.weights + r.peak) as f64;
        assert!(
            (-0.05..=0.10).contains(&error) && (-0.03..=0.03).contains(&total),
            "{} {} {}x{}: measured {} ours {} ({:+.1} %)",
            r.model,
            r.attn,
            r.batch,
            r.context,
            r.peak,
            r.ours_peak(),
            error * 100.0
        );
    }
}

#[test]
fn llama_quantize_output_matches_to_the_byte_and_type() {
    let files = llama_cpp_files();
    assert!(files.len() >= 7);
    for f in files {
        assert_eq!(f.tensor_bytes, f.ours_bytes, "{} {}", f.model, f.ftype);
        assert_eq!(f.types, f.ours_types, "{} {}", f.model, f.ftype);
    }
}

#[test]
fn llama_cpp_kv_buffers_match_to_the_logged_precision() {
    let (_, loads) = llama_cpp_cpu();
    assert!(loads.len() >= 10);
    for l in loads {
        // llama.cpp logs MiB with two decimals.
        assert!((l.kv_mib - l.ours_kv_mib).abs() < 0.01, "{l:?}");
        if l.repack_mib == 0.0 {
            assert!((l.model_mib - l.ours_model_mib).abs() < 0.01, "{l:?}");
        }
    }
}

#[test]
fn llama_cpp_compute_buffer_is_its_graph_placed_by_ggml() {
    // The graph llama.cpp reserves, placed by ggml's allocator on the CPU
    // alone: to the logged precision (two decimals of MiB), with and
    // without flash attention, every cache type.
    let (_, loads) = llama_cpp_cpu();
    assert!(loads.len() >= 10);
    for l in loads {
        let diff = l.ours_compute_mib - l.compute_mib;
        assert!(diff.abs() < 0.01, "{l:?}: {diff:+.3} MiB");
    }
}

#[test]
fn accelerate_balanced_emulation_matches_accelerate() {
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::{RunSettings, WeightFormat};
    use vramfit::plan::baseline::accelerate_balanced;
    use vramfit::plan::{Gpu, PlanRequest};

    let doc: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/accelerate_balanced.json")).unwrap();
    let setups = doc["setups"].as_array().unwrap();
    assert!(setups.len() >= 10);
    for s in setups {
        let model = s["model"].as_str().unwrap();
        let spec = find(model).unwrap().load().unwrap().spec;
        let gpus: Vec<Gpu> = s["usable_bytes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| Gpu {
                name: "GPU".into(),
                card: None,
                capacity: b.as_u64().unwrap(),
                reserve: 0,
                cuda_total: b.as_u64().unwrap(),
                node: 0,
            })
            .collect();
        let request = PlanRequest {
            spec: &spec,
            settings: RunSettings {
                engine: Engine::Transformers,
                weights: WeightFormat::BF16,
                ..RunSettings::default()
            },
            gpus: &gpus,
            host_ram: None,
            allow_offload: false,
            fixed: None,
        };
        let ours = accelerate_balanced(&request);
        let theirs: Vec<usize> = s["layers_per_gpu"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n.as_u64().unwrap() as usize)
            .collect();
        // Where accelerate ran out of GPU memory it sends the rest of the
        // layers off the GPUs; the emulation leaves them on the last GPU
        // (whose plan then does not fit), so only the others compare.
        let compared = if s["layers_off_gpu"].as_u64().unwrap() == 0 {
            theirs.len()
        } else {
            theirs.len() - 1
        };
        assert_eq!(
            ours[..compared],
            theirs[..compared],
            "{model} {ours:?} vs {theirs:?}"
        );
    }
}
