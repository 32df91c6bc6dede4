//! The bounds are sound: no set the planner accepts holds less than
//! [`need`] — checked where it is tightest, at each set's longest context
//! and most sequences, across engines and model families — and no set
//! decodes faster than the speed bounds allow.

use super::goals::{need, per_gpu_share, settings_for, Planner, Target};
use super::PLACEHOLDER_GPUS;
use crate::plan::search::{max_batch, max_context};
use crate::plan::split::usable;
use crate::report::{validate, Request};

/// The run a search plans with, as `run_request` builds it: `model` on
/// `engine` in `weights`, `ctx` tokens × `batch` sequences, on the
/// placeholder GPUs, offload off.
fn search_run(model: &str, engine: &str, weights: &str, ctx: &str, batch: &str) -> Request {
    let mut run = Request {
        gpus: PLACEHOLDER_GPUS.into(),
        model: model.into(),
        ctx: ctx.into(),
        batch: batch.into(),
        offload: "off".into(),
        ..Request::default()
    };
    run.set_engine(engine);
    run.weights = weights.into();
    run
}

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
        let run = search_run(model, engine, weights, ctx, batch);
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

/// The speed bounds are sound: with the minimum set to the speed
/// `vramfit plan` reports for a set, neither the bound from the cards'
/// rates and rooms, nor the subtree bound of the price-ordered walk, nor
/// the planner's own split read at the cards' best rates rules it out —
/// across engines, dense and mixture-of-experts models, one sequence and
/// several, one machine and two. And they are not empty: at three times
/// that speed they rule sets out.
#[test]
fn the_speed_bounds_never_rule_out_a_set_fast_enough() {
    use super::goals::MinSpeed;
    use crate::plan::gpus::{find_card, Card};
    use crate::search::pace::reaches;
    let lists = [
        "rtx-3060-12gb",
        "2xrtx-3060-12gb",
        "rtx-3090, rtx-3060-12gb",
        "2xrtx-3090",
        "rtx-5090, rtx-3060-12gb",
        "2xrtx-5090, 3xrtx-4060",
        "rtx-4090, 2xrtx-3060-12gb",
        "4xrtx-4060-ti-16gb",
        "8xarc-b580",
        "2xrx-7900-xtx",
        "4xl4",
        "h100-sxm",
        "2xh100-sxm",
        "4xh100-sxm; 4xh100-sxm",
        "2xrtx-4090; 2xrtx-4090",
        "apple-m3-max-128gb",
    ];
    let runs = [
        ("qwen2.5-14b", "llama.cpp", "q4_k_m", "8192", "1"),
        ("mixtral-8x7b", "llama.cpp", "q4_k_m", "32768", "1"),
        ("qwen3-30b-a3b", "llama.cpp", "q4_k_m", "8192", "4"),
        ("gemma-3-27b", "llama.cpp", "q8_0", "16384", "1"),
        ("llama-3.1-70b", "llama.cpp", "q4_k_m", "8192", "1"),
        ("llama-3.1-8b", "vllm", "bf16", "8192", "8"),
        ("llama-3.1-70b", "vllm", "fp8", "16384", "4"),
        ("gpt-oss-120b", "vllm", "", "8192", "1"),
        ("qwen3-30b-a3b", "transformers", "bf16", "4096", "2"),
        ("llama-3.1-8b", "exllamav2", "exl2-4.0bpw", "8192", "1"),
    ];
    let (mut checked, mut ruled_out) = (0, 0);
    for (model, engine, weights, ctx, batch) in runs {
        let run = search_run(model, engine, weights, ctx, batch);
        let v = validate(&run).unwrap_or_else(|e| panic!("{model}: {e}"));
        let planner = Planner::new(&v, &run);
        let share = per_gpu_share(&v.settings);
        let room = |c: &Card| {
            planner.gpus(&c.id).map_or(0, |(gpus, settings)| {
                usable(&gpus[0], &settings).saturating_sub(share)
            })
        };
        let cards: Vec<&'static Card> = crate::plan::gpus::cards().iter().collect();
        for list in lists {
            let Ok((p, Some(speed))) = planner.full(list) else {
                continue;
            };
            if !p.fits {
                continue;
            }
            let decode = speed.decode_tokens_per_s;
            let (gpus, settings) = planner.gpus(list).unwrap();
            let machines = gpus.iter().map(|g| g.node).max().unwrap_or(0) + 1;
            let machine: Vec<&'static Card> = gpus
                .iter()
                .filter(|g| g.node == 0)
                .map(|g| find_card(g.card.unwrap()).unwrap())
                .collect();
            for (factor, must_reach) in [(1.0, true), (3.0, false)] {
                let mut min = MinSpeed::new(&v, cards.iter().copied(), decode * factor);
                let shares: Vec<(f64, u64)> =
                    machine.iter().map(|c| (min.rate(c), room(c))).collect();
                let need = min.rate_need();
                let best = if need.parallel {
                    shares.iter().map(|s| s.0).sum()
                } else {
                    shares.iter().map(|s| s.0).fold(0.0, f64::max)
                };
                let by_rates = min.could_reach(&shares, machines);
                let by_subtree = reaches(best, need.rate);
                let by_split = min.split_could_reach(&gpus, || {
                    crate::plan::split::plan(planner.on(&gpus, settings))
                });
                let what = format!("{model} on {engine}, {list}: {decode:.2} tok/s × {factor}");
                if must_reach {
                    assert!(by_rates, "{what}: the rates' bound rules it out");
                    assert!(by_subtree, "{what}: the subtree bound rules it out");
                    assert!(by_split, "{what}: the split's bound rules it out");
                    checked += 1;
                } else {
                    ruled_out += usize::from(!by_rates) + usize::from(!by_split);
                }
            }
        }
    }
    assert!(checked >= 60, "only {checked} checks");
    assert!(ruled_out >= checked, "{ruled_out} ruled out of {checked}");
}

/// Without tensor parallelism a plan depends on its GPUs only through
/// their sizes and machines, so the speed bound shares one split between
/// sets of other cards of the same sizes (`MinSpeed::split_could_reach`).
#[test]
fn a_split_depends_on_the_gpus_sizes_not_their_cards() {
    use std::collections::BTreeMap;
    let lists = [
        "rtx-4090",
        "rtx-3090",
        "rtx-3090-ti",
        "rtx-4080, rtx-4060-ti-16gb",
        "rtx-5080, rtx-5060-ti-16gb",
        "rtx-5070-ti, rtx-4060-ti-16gb",
        "rtx-4070, rtx-5070, rtx-3060-12gb",
        "rtx-4070-super, rtx-3060-12gb, rtx-5070",
        "2xrx-7900-xtx",
        "rx-7900-xtx, rtx-4090",
    ];
    let mut shared = 0;
    for (model, engine, weights) in [
        ("qwen2.5-14b", "llama.cpp", "q8_0"),
        ("qwen3-30b-a3b", "llama.cpp", "q4_k_m"),
        ("llama-3.1-8b", "transformers", "bf16"),
    ] {
        let run = search_run(model, engine, weights, "8192", "1");
        let v = validate(&run).unwrap();
        let planner = Planner::new(&v, &run);
        let mut by_profile: BTreeMap<Vec<(u64, u64, u64, usize)>, Vec<_>> = BTreeMap::new();
        for list in lists {
            let (gpus, settings) = planner.gpus(list).unwrap();
            let p = crate::plan::split::plan(planner.on(&gpus, settings));
            let split: Vec<_> = p
                .devices
                .iter()
                .map(|d| (d.index, d.stage, d.layers, d.total_bytes))
                .collect();
            let profile = gpus
                .iter()
                .map(|g| (g.capacity, g.reserve, g.cuda_total, g.node))
                .collect();
            by_profile
                .entry(profile)
                .or_default()
                .push((list, p.fits, p.layout, split));
        }
        for plans in by_profile.values() {
            for other in &plans[1..] {
                assert_eq!(
                    (other.1, other.2, &other.3),
                    (plans[0].1, plans[0].2, &plans[0].3),
                    "{model}: {} and {}",
                    plans[0].0,
                    other.0
                );
                shared += 1;
            }
        }
    }
    assert!(shared >= 3, "only {shared} sets shared a profile");
}

/// The planner re-derives what depends on the cards for each set exactly
/// as `validate` does for a typed list: vLLM's MLA cache blocks (64 tokens
/// on FlashMLA cards, 16 elsewhere) and its batched tokens.
#[test]
fn a_sets_settings_are_those_validate_gives_its_list() {
    let mut checked = 0;
    for (model, weights) in [("deepseek-v2-lite", "bf16"), ("llama-3.1-8b", "bf16")] {
        let run = search_run(model, "vllm", weights, "8192", "1");
        let v = validate(&run).unwrap();
        let planner = Planner::new(&v, &run);
        for list in [
            "rtx-4090",
            "2xrtx-3090",
            "a100-80gb",
            "h100-pcie",
            "2xh100-sxm",
            "l40s, rtx-4090",
        ] {
            let (gpus, settings) = planner.gpus(list).unwrap();
            let typed = validate(&Request {
                gpus: list.into(),
                ..run.clone()
            })
            .unwrap();
            assert_eq!(settings, typed.settings, "{model} on {list}");
            assert_eq!(gpus, typed.gpus, "{model} on {list}");
            checked += 1;
        }
    }
    assert_eq!(checked, 12);
}
