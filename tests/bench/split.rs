//! Split quality: the longest context (one sequence) and the most
//! sequences (at 8192 tokens each) the optimal split reaches versus
//! llama.cpp's default split proportional to free VRAM and accelerate's
//! `balanced` map, on heterogeneous setups, llama.cpp engine, 500 MiB
//! overhead per GPU, searching past each model's trained length. `cargo
//! bench --bench split`. Prints two tables; asserts nothing (tests/split.rs
//! checks "never worse").

use vramfit::estimate::catalog::find;
use vramfit::estimate::memory::Engine;
use vramfit::estimate::{ModelSpec, RunSettings};
use vramfit::plan::baseline::{
    accelerate_balanced, llama_cpp_proportional, max_batch_with, max_context_with,
};
use vramfit::plan::{max_batch, max_context, parse_gpus, Gpu, PlanRequest};

include!("../data/setups.rs");

fn show(ctx: Option<u64>) -> String {
    ctx.map_or("does not fit".to_string(), |c| c.to_string())
}

fn request<'a>(spec: &'a ModelSpec, gpus: &'a [Gpu], weights: &str, n_ctx: u64) -> PlanRequest<'a> {
    PlanRequest {
        spec,
        settings: RunSettings {
            engine: Engine::LlamaCpp,
            weights: weights.parse().unwrap(),
            n_ctx,
            ..RunSettings::default()
        },
        gpus,
        host_ram: None,
        allow_offload: false,
        fixed: None,
    }
}

fn main() {
    let setups: Vec<_> = SETUPS
        .iter()
        .map(|(model, gpus_text, weights)| {
            let mut spec = find(model).unwrap().load().unwrap().spec;
            // Past the trained length on purpose: compare capacity, not caps.
            spec.n_ctx_train = 1 << 21;
            (
                model,
                gpus_text,
                weights,
                spec,
                parse_gpus(gpus_text).unwrap(),
            )
        })
        .collect();
    println!("Longest context, one sequence:\n");
    println!("| model | weights | GPUs | optimal | llama.cpp default -ts | accelerate balanced |");
    println!("|---|---|---|---:|---:|---:|");
    for (model, gpus_text, weights, spec, gpus) in &setups {
        let r = request(spec, gpus, weights, 256);
        println!(
            "| {model} | {weights} | {gpus_text} | {} | {} | {} |",
            show(max_context(&r)),
            show(max_context_with(&r, llama_cpp_proportional)),
            show(max_context_with(&r, accelerate_balanced))
        );
    }
    println!("\nMost parallel sequences of 8192 tokens each (`-np`, up to 1024):\n");
    println!("| model | weights | GPUs | optimal | llama.cpp default -ts | accelerate balanced |");
    println!("|---|---|---|---:|---:|---:|");
    for (model, gpus_text, weights, spec, gpus) in &setups {
        let r = request(spec, gpus, weights, 8192);
        println!(
            "| {model} | {weights} | {gpus_text} | {} | {} | {} |",
            show(max_batch(&r)),
            show(max_batch_with(&r, llama_cpp_proportional)),
            show(max_batch_with(&r, accelerate_balanced))
        );
    }
}
