// Shared by tests/measured.rs and tests/bench/accuracy.rs: what
// tests/bench/transformers_gpu.py measured on a real GPU, next to vramfit's
// transformers estimate of the same run.

const TRANSFORMERS_GPU: &str = include_str!("measured/transformers_gpu.json");

/// One generate() run: measured bytes and ours.
#[allow(dead_code)]
struct Measured {
    model: String,
    attn: String,
    batch: u64,
    context: u64,
    /// Tokens the returned cache holds (the last generated one is not fed back).
    cached_tokens: u64,
    /// Whether any layer has a sliding window (its returned cache is trimmed).
    sliding: bool,
    /// Parameters of the model transformers built, and ours.
    params: u64,
    ours_params: u64,
    weights: u64,
    kv_after: u64,
    /// Peak allocated during generate() beyond the weights.
    peak: u64,
    ours_weights: u64,
    /// Our KV for the tokens the returned cache holds.
    ours_kv_cached: u64,
    /// Our KV and compute for the requested context: the peak beyond weights.
    ours_kv: u64,
    ours_compute: u64,
}

impl Measured {
    fn ours_peak(&self) -> u64 {
        self.ours_kv + self.ours_compute
    }
}

/// The GPU, library versions and every measured run with our numbers.
fn transformers_gpu() -> (serde_json::Value, Vec<Measured>) {
    use vramfit::estimate::catalog::find;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::{estimate, RunSettings, WeightFormat};

    let doc: serde_json::Value = serde_json::from_str(TRANSFORMERS_GPU).unwrap();
    let mut runs = Vec::new();
    for model in doc["models"].as_array().unwrap() {
        let Some(points) = model["points"].as_array() else {
            continue;
        };
        let id = model["model"].as_str().unwrap();
        let attn = model["attn"].as_str().unwrap_or("?").to_string();
        let spec = find(id).unwrap().load().unwrap().spec;
        let sliding = spec.layers.iter().any(|l| l.attention.sliding_window.is_some());
        for p in points {
            if p.get("peak_bytes").is_none() {
                continue;
            }
            let u = |v: &serde_json::Value| v.as_u64().unwrap();
            let settings = |n_ctx| RunSettings {
                engine: Engine::Transformers,
                weights: WeightFormat::BF16,
                n_ctx,
                n_seq: u(&p["batch"]),
                flash_attn: attn != "eager",
                ..RunSettings::default()
            };
            let cached = estimate(&spec, &settings(u(&p["cached_tokens"])));
            let full = estimate(&spec, &settings(u(&p["context"])));
            runs.push(Measured {
                model: id.to_string(),
                attn: attn.clone(),
                batch: u(&p["batch"]),
                context: u(&p["context"]),
                cached_tokens: u(&p["cached_tokens"]),
                sliding,
                weights: u(&model["weights_bytes"]),
                params: u(&model["params"]),
                ours_params: full.params.total,
                kv_after: u(&p["kv_bytes"]),
                peak: u(&p["peak_bytes"]),
                ours_weights: full.weights_total(),
                ours_kv_cached: cached.kv_total(),
                ours_kv: full.kv_total(),
                ours_compute: full.compute_layers + full.compute_output,
            });
        }
    }
    (doc, runs)
}
