//! Native speed of a full recompute — what the app does on every keystroke:
//! validate, estimate, the optimal split, longest context, most sequences,
//! the sweep and the commands — for Llama 3.1 405B (126 layers) on 8 GPUs;
//! and the two catalog searches, `search::fit` over the whole catalog and
//! `search::buy` over every priced card. `cargo bench --bench plan`
//! (criterion; native only).

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
fn searches(c: &mut Criterion) {
    use vramfit::search::buy::{buy, BuyRequest};
    use vramfit::search::fit::{fit, FitRequest};
    let mut two = FitRequest::default();
    two.set("gpus", "2xrtx-4090".into());
    let mut h100 = FitRequest::default();
    h100.set("gpus", "h100-sxm".into());
    h100.set("engine", "vllm".into());
    let mut seventy = BuyRequest::default();
    seventy.set("model", "llama-3.1-70b".into());
    let mut rent = seventy.clone();
    rent.set("mode", "rent".into());
    let mut group = c.benchmark_group("catalog search");
    group.sample_size(20);
    group.bench_function("fit: the whole catalog on 2x RTX 4090, llama.cpp", |b| {
        b.iter(|| fit(black_box(&two)).unwrap())
    });
    group.bench_function("fit: the whole catalog on an H100, vLLM", |b| {
        b.iter(|| fit(black_box(&h100)).unwrap())
    });
    group.bench_function(
        "buy: Llama 3.1 70B Q4_K_M, every priced card, up to 8",
        |b| b.iter(|| buy(black_box(&seventy)).unwrap()),
    );
    group.bench_function("buy: Llama 3.1 70B Q4_K_M, rented", |b| {
        b.iter(|| buy(black_box(&rent)).unwrap())
    });
    group.finish();
}

#[cfg(not(target_arch = "wasm32"))]
criterion_group!(benches, full_plan, searches);
#[cfg(not(target_arch = "wasm32"))]
criterion_main!(benches);
