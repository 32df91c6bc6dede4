//! The split is optimal: brute force over every contiguous partition on
//! small cases, properties on random ones, and never worse than the splits
//! llama.cpp and accelerate make by default. Native only (proptest).
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use vramfit::estimate::catalog::find;
use vramfit::estimate::ggml::Role;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::vllm;
use vramfit::estimate::{estimate, ModelSpec, RunSettings};
use vramfit::import::parse_config;
use vramfit::plan::baseline::{
    accelerate_balanced, llama_cpp_proportional, max_batch_with, max_context_with,
};
use vramfit::plan::{max_batch, max_context, parse_gpus, plan, Gpu, PlanRequest};

fn tiny_model(layers: u64) -> ModelSpec {
    let config = format!(
        r#"{{"model_type":"llama","hidden_size":1024,"intermediate_size":2816,"num_hidden_layers":{layers},
            "num_attention_heads":16,"num_key_value_heads":4,"vocab_size":32000,"max_position_embeddings":65536}}"#
    );
    parse_config(&config).unwrap().spec
}

fn request<'a>(
    spec: &'a ModelSpec,
    gpus: &'a [Gpu],
    engine: Engine,
    n_ctx: u64,
) -> PlanRequest<'a> {
    let weights = engine.default_weights();
    let settings = RunSettings {
        engine,
        weights,
        n_ctx,
        overhead_per_gpu: 64 << 20,
        ..RunSettings::default()
    };
    PlanRequest {
        spec,
        settings,
        gpus,
        host_ram: None,
        allow_offload: false,
        fixed: None,
    }
}

/// Every way to give `n` layers to `m` GPUs in order (0 = GPU unused).
fn compositions(n: usize, m: usize) -> Vec<Vec<usize>> {
    if m == 1 {
        return vec![vec![n]];
    }
    (0..=n)
        .flat_map(|first| {
            compositions(n - first, m - 1)
                .into_iter()
                .map(move |mut rest| {
                    rest.insert(0, first);
                    rest
                })
        })
        .collect()
}

/// Per-GPU bytes of a partition, written independently of the planner:
/// a used GPU holds its layers' weights and KV, the overhead and compute;
/// the first used one the embeddings (unless on the host), the output GPU
/// (the last with layers, or a later one holding only the output) the
/// output and the logits.
fn loads_with_output(r: &PlanRequest, counts: &[usize], output: usize) -> Vec<u64> {
    let e = estimate(r.spec, &r.settings);
    let mut used: Vec<usize> = (0..counts.len()).filter(|&j| counts[j] > 0).collect();
    if !used.contains(&output) {
        used.push(output);
    }
    let (first, last) = (used[0], output);
    // llama.cpp's compute buffer by what the GPU does: alone, or first,
    // middle or last of a pipeline (its graph placed by ggml's rules).
    let roles = e.graph.map(|g| {
        let b = g.role(r.spec, &e.weights, Role::Split { pipeline: true });
        (g.single[1], b[1].max(b[2]), b[2], b[3].max(b[2]))
    });
    let alone = used.len() == 1;
    let mut next = 0;
    let mut out = vec![0; counts.len()];
    for j in used {
        let range = next..next + counts[j];
        next = range.end;
        let mut bytes: u64 = range.map(|i| e.layer_weights[i] + e.layer_kv[i]).sum();
        bytes += overhead(r);
        bytes += match roles {
            Some((single, _, _, _)) if alone => single,
            Some((_, first_gpu, _, _)) if j == first => first_gpu,
            Some((_, _, _, last_gpu)) if j == last => last_gpu,
            Some((_, _, middle, _)) => middle,
            None => e.compute_layers + if j == last { e.compute_output } else { 0 },
        };
        if j == first && !e.token_embd_on_host {
            bytes += e.token_embd;
        }
        if j == last {
            bytes += e.output;
        }
        out[j] = bytes;
    }
    out
}

/// The fixed cost of a used GPU besides compute: the runtime overhead, or
/// in vLLM's budget its non-torch memory and CUDA-graph estimate (its CUDA
/// context sits outside the budget).
fn overhead(r: &PlanRequest) -> u64 {
    let s = &r.settings;
    if s.engine != Engine::Vllm {
        return s.overhead_per_gpu;
    }
    let era = vllm::Era::of(s.vllm.version);
    vllm::profile::non_torch(era, 1, 1, s.overhead_per_gpu)
        + vllm::profile::cuda_graphs(r.spec, s, 1)
}

/// What a GPU may hold: vLLM's budget is `total × utilization`, and nothing
/// where vLLM would stop at its startup check (less free than that budget):
/// the plan leaves such a GPU out, and runs nothing when all are.
fn usable(r: &PlanRequest, g: &Gpu) -> u64 {
    let s = &r.settings;
    match s.engine {
        Engine::Vllm => {
            let budget = |g: &Gpu| s.vllm.requested(g.capacity);
            let fails = g.capacity.saturating_sub(s.overhead_per_gpu + g.reserve) < budget(g);
            if fails {
                0
            } else {
                budget(g)
            }
        }
        _ => g.usable(),
    }
}

/// Where the output may go: the last GPU with layers or any later one.
fn output_choices(counts: &[usize]) -> std::ops::Range<usize> {
    let last = counts.iter().rposition(|&n| n > 0).unwrap_or(0);
    last..counts.len()
}

fn peak(r: &PlanRequest, counts: &[usize]) -> f64 {
    output_choices(counts)
        .map(|o| {
            let loads = loads_with_output(r, counts, o);
            loads
                .iter()
                .zip(r.gpus)
                .map(|(&b, g)| b as f64 / usable(r, g) as f64)
                .fold(0.0, f64::max)
        })
        .fold(f64::MAX, f64::min)
}

fn fits(r: &PlanRequest, counts: &[usize]) -> bool {
    output_choices(counts).any(|o| {
        loads_with_output(r, counts, o)
            .iter()
            .zip(r.gpus)
            .all(|(&b, g)| b <= usable(r, g))
    })
}

/// The longest context a fixed partition holds (multiple of 256).
fn brute_max_context(spec: &ModelSpec, gpus: &[Gpu], engine: Engine) -> Option<u64> {
    let n = spec.layers.len();
    let mut best = None;
    for counts in compositions(n, gpus.len()) {
        let ok = |ctx: u64| fits(&request(spec, gpus, engine, ctx), &counts);
        let mut top = None;
        for k in 1..=spec.n_ctx_train / 256 {
            if ok(k * 256) {
                top = Some(k * 256);
            } else {
                break;
            }
        }
        best = best.max(top);
    }
    best
}

#[test]
fn the_split_minimises_peak_utilisation_over_all_partitions() {
    for engine in [Engine::LlamaCpp, Engine::Transformers] {
        for (layers, gpus) in [
            (6, "1GB, 0.5GB, 0.8GB"),
            (8, "0.6GB, 2GB"),
            (5, "0.3GB, 0.3GB, 0.3GB, 1GB"),
            (7, "2GB, 0.2GB, 1GB"),
        ] {
            let spec = tiny_model(layers);
            let gpus = parse_gpus(gpus).unwrap();
            let r = request(&spec, &gpus, engine, 4096);
            let p = plan(r);
            let brute = compositions(layers as usize, gpus.len())
                .iter()
                .filter(|c| c.iter().any(|&n| n > 0))
                .map(|c| peak(&r, c))
                .fold(f64::MAX, f64::min);
            assert!(
                (p.peak_utilisation() - brute).abs() < 1e-6,
                "{engine}: {} vs brute {brute}",
                p.peak_utilisation()
            );
        }
    }
}

#[test]
fn the_longest_context_matches_brute_force() {
    for engine in [Engine::LlamaCpp, Engine::Vllm, Engine::Transformers] {
        for (layers, gpus) in [
            (6, "0.9GB, 0.45GB"),
            (4, "0.5GB, 0.3GB, 0.6GB"),
            (8, "1.2GB, 0.2GB"),
        ] {
            let spec = tiny_model(layers);
            let gpus = parse_gpus(gpus).unwrap();
            let ours = max_context(&request(&spec, &gpus, engine, 256));
            assert_eq!(
                ours,
                brute_max_context(&spec, &gpus, engine),
                "{engine} {layers} layers"
            );
        }
    }
}

include!("data/setups.rs");

#[test]
fn the_optimal_split_never_loses_to_llama_cpp_or_accelerate_defaults() {
    for (model, gpus, weights) in SETUPS {
        let mut spec = find(model).unwrap().load().unwrap().spec;
        spec.n_ctx_train = 1 << 21;
        let gpus = parse_gpus(gpus).unwrap();
        let mut r = request(&spec, &gpus, Engine::LlamaCpp, 256);
        r.settings.weights = weights.parse().unwrap();
        r.settings.overhead_per_gpu = 500 << 20;
        let ours = max_context(&r);
        let proportional = max_context_with(&r, llama_cpp_proportional);
        let balanced = max_context_with(&r, accelerate_balanced);
        assert!(
            ours >= proportional && ours >= balanced,
            "{model}: {ours:?} vs {proportional:?} / {balanced:?}"
        );
        // Most sequences at 8k tokens each.
        r.settings.n_ctx = 8192;
        let ours = max_batch(&r);
        let proportional = max_batch_with(&r, llama_cpp_proportional);
        let balanced = max_batch_with(&r, accelerate_balanced);
        assert!(
            ours >= proportional && ours >= balanced,
            "{model} batch: {ours:?} vs {proportional:?} / {balanced:?}"
        );
    }
}

fn gpus_from(sizes: &[u32]) -> Vec<Gpu> {
    let text: Vec<String> = sizes
        .iter()
        .map(|s| format!("{}GB", f64::from(*s) / 10.0))
        .collect();
    parse_gpus(&text.join(",")).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn plans_place_every_layer_once_and_respect_capacity(
        sizes in prop::collection::vec(2u32..30, 1..5),
        layers in 2u64..12,
        ctx in 1u64..64,
        engine in prop::sample::select(vec![Engine::LlamaCpp, Engine::Vllm, Engine::Transformers]),
    ) {
        let spec = tiny_model(layers);
        let gpus = gpus_from(&sizes);
        let p = plan(request(&spec, &gpus, engine, ctx * 256));
        let mut next = 0;
        let mut seen_stages = Vec::new();
        for d in p.devices.iter().filter(|d| d.used()) {
            if seen_stages.contains(&d.stage) { continue; }
            seen_stages.push(d.stage);
            if let Some([a, b]) = d.layers {
                prop_assert_eq!(a, next);
                next = b + 1;
            }
            if p.fits {
                prop_assert!(d.total_bytes <= d.usable_bytes);
            }
        }
        prop_assert_eq!(next, layers as usize);
    }

    #[test]
    fn more_vram_or_another_gpu_never_gives_a_worse_answer(
        sizes in prop::collection::vec(2u32..20, 1..4),
        grow in 0usize..4,
        extra in 1u32..20,
        layers in 2u64..10,
        engine in prop::sample::select(vec![Engine::LlamaCpp, Engine::Vllm, Engine::Transformers]),
    ) {
        let spec = tiny_model(layers);
        let base = max_context(&request(&spec, &gpus_from(&sizes), engine, 256));
        let mut bigger = sizes.clone();
        let i = grow % bigger.len();
        bigger[i] += extra;
        prop_assert!(max_context(&request(&spec, &gpus_from(&bigger), engine, 256)) >= base);
        let mut more = sizes.clone();
        more.push(extra);
        prop_assert!(max_context(&request(&spec, &gpus_from(&more), engine, 256)) >= base);
    }
}
