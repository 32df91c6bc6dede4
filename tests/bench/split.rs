//! Split quality: the longest context (one sequence) the optimal split
//! reaches versus llama.cpp's default split proportional to free VRAM and
//! accelerate's `balanced` map, on heterogeneous setups, llama.cpp engine,
//! 500 MiB overhead per GPU, searching past each model's trained length. `cargo bench --bench split`. Prints a table;
//! asserts nothing (tests/split.rs checks "never worse").

use vramfit::estimate::catalog::find;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::RunSettings;
use vramfit::plan::baseline::{accelerate_balanced, llama_cpp_proportional, max_context_with};
use vramfit::plan::{max_context, parse_gpus, PlanRequest};

include!("../data/setups.rs");

fn show(ctx: Option<u64>) -> String {
    ctx.map_or("does not fit".to_string(), |c| c.to_string())
}

fn main() {
    println!("| model | weights | GPUs | optimal | llama.cpp default -ts | accelerate balanced |");
    println!("|---|---|---|---:|---:|---:|");
    for (model, gpus_text, weights) in SETUPS {
        let mut spec = find(model).unwrap().load().unwrap().spec;
        // Past the trained length on purpose: compare capacity, not caps.
        spec.n_ctx_train = 1 << 21;
        let gpus = parse_gpus(gpus_text).unwrap();
        let settings = RunSettings {
            engine: Engine::LlamaCpp,
            weights: weights.parse().unwrap(),
            n_ctx: 256,
            ..RunSettings::default()
        };
        let r = PlanRequest {
            spec: &spec,
            settings,
            gpus: &gpus,
            host_ram: None,
            allow_offload: false,
        };
        let ours = max_context(&r);
        let proportional = max_context_with(&r, llama_cpp_proportional);
        let balanced = max_context_with(&r, accelerate_balanced);
        println!(
            "| {model} | {weights} | {gpus_text} | {} | {} | {} |",
            show(ours),
            show(proportional),
            show(balanced)
        );
    }
}
