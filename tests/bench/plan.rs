//! Native speed of a full recompute — what the app does on every keystroke:
//! validate, estimate, the optimal split, longest context, most sequences,
//! the sweep and the commands — for Llama 3.1 405B (126 layers) on 8 GPUs.
//! `cargo bench --bench plan` (criterion; native only).

#[cfg(not(target_arch = "wasm32"))]
use criterion::{criterion_group, criterion_main, Criterion};
#[cfg(not(target_arch = "wasm32"))]
use std::hint::black_box;
#[cfg(not(target_arch = "wasm32"))]
use vramfit::report::{report, Request};

#[cfg(target_arch = "wasm32")]
fn main() {}

#[cfg(not(target_arch = "wasm32"))]
fn full_plan(c: &mut Criterion) {
    let mut llama = Request::default();
    llama.set("model", "llama-3.1-405b".into());
    llama.set("gpus", "8xh100-sxm".into());
    llama.set("ctx", "32768".into());
    llama.set("batch", "4".into());
    let mut vllm = llama.clone();
    vllm.set_engine("vllm");
    vllm.set("weights", "fp8".into());
    let mut short = llama.clone();
    short.set("gpus", "4x24GB".into());
    let mut group = c.benchmark_group("full recompute, Llama 3.1 405B");
    group.bench_function("llama.cpp Q4_K_M on 8x H100", |b| {
        b.iter(|| report(black_box(&llama)).unwrap())
    });
    group.bench_function("vLLM FP8 on 8x H100 (TP search)", |b| {
        b.iter(|| report(black_box(&vllm)).unwrap())
    });
    group.bench_function("does not fit on 4x 24GB (ways out)", |b| {
        b.iter(|| report(black_box(&short)).unwrap())
    });
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, full_plan);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);
