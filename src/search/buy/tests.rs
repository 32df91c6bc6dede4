//! The memory bound is sound: no set the planner accepts holds less than
//! [`need`] — checked where it is tightest, at each set's longest context
//! and most sequences, across engines and model families.

use super::goals::{need, per_gpu_share, settings_for, Planner, Target};
use crate::plan::search::{max_batch, max_context};
use crate::plan::split::usable;
use crate::report::{validate, Request};

#[test]
fn the_memory_bound_never_rules_out_a_set_that_fits() {
    let lists = [
        "rtx-3060",
        "2xrtx-3060",
        "rtx-3090, rtx-3060",
        "2xrtx-3090",
        "4xrtx-4060",
        "rtx-4090, 2xrtx-3060",
        "8xarc-b580",
        "4xl4",
        "h100-sxm",
        "2xh100-sxm",
        "4xh100-sxm; 4xh100-sxm",
        "apple-m3-max-128gb",
    ];
    let runs = [
        ("qwen2.5-14b", "llama.cpp", "q4_k_m", "8192", "1"),
        ("mixtral-8x7b", "llama.cpp", "q4_k_m", "32768", "1"),
        ("gemma-3-27b", "llama.cpp", "q8_0", "16384", "1"),
        ("qwen3-next-80b-a3b", "llama.cpp", "q4_k_m", "8192", "2"),
        ("llama-3.1-8b", "vllm", "bf16", "8192", "8"),
        ("llama-3.1-70b", "vllm", "fp8", "16384", "4"),
        ("gpt-oss-120b", "vllm", "", "8192", "1"),
        ("qwen3-30b-a3b", "transformers", "bf16", "4096", "2"),
        ("llama-3.1-8b", "exllamav2", "exl2-4.0bpw", "8192", "1"),
    ];
    let mut checked = 0;
    for (model, engine, weights, ctx, batch) in runs {
        let mut run = Request {
            gpus: "1024GB".into(),
            model: model.into(),
            ctx: ctx.into(),
            batch: batch.into(),
            ..Request::default()
        };
        run.set_engine(engine);
        run.weights = weights.into();
        let v = validate(&run).unwrap_or_else(|e| panic!("{model}: {e}"));
        let mut planner = Planner::new(&v, &run);
        let share = per_gpu_share(&v.settings);
        for list in lists {
            let (gpus, settings) = planner.gpus(list).unwrap();
            if !planner.fits(&gpus, settings) {
                continue;
            }
            let bound: u64 = gpus
                .iter()
                .map(|g| usable(g, &settings).saturating_sub(share))
                .sum();
            let request = planner.on(&gpus, settings);
            let targets = [
                Target::Options,
                Target::Context(max_context(&request).unwrap_or(settings.n_ctx)),
                Target::Batch(max_batch(&request).unwrap_or(settings.n_seq)),
            ];
            for target in targets {
                let at = settings_for(&settings, target);
                assert!(
                    need(&v, &at) <= bound,
                    "{model} on {engine}, {list} at {target:?}: needs {} but holds {bound}",
                    need(&v, &at)
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "only {checked} checks");
}
