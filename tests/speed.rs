//! Speed against published llama-bench results (tests/data/measured/
//! llama_bench.json, each row with its URL): the constants in
//! `plan::speed::CALIBRATIONS` are what the fitted rows give, the held-out
//! rows (a third, by a hash of their id) are within the error asked for,
//! and the facts every speed model must keep hold.

include!("data/speed_cases.rs");
include!("data/vllm_speed_cases.rs");
use speed_cases::*;
use vramfit::plan::speed::{calibration_of, CALIBRATIONS};
use vramfit::report::{report, Request};

#[test]
fn the_calibrations_are_the_fit_of_the_published_rows() {
    let cases = cases();
    let mut all = Vec::new();
    let mut wrong = false;
    for (p, fit) in fitted(&cases) {
        let Some(fit) = fit else {
            wrong |= calibration_of(p).1;
            continue;
        };
        let (ours, own) = calibration_of(p);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * a.abs().max(b.abs()).max(1e-9);
        wrong |= !(close(ours.bandwidth, fit.bandwidth)
            && close(ours.per_layer_s, fit.per_layer_s)
            && close(ours.per_token_s, fit.per_token_s)
            && close(ours.per_hop_s, fit.per_hop_s)
            && close(ours.compute, fit.compute)
            && close(ours.compute_quantized, fit.compute_quantized)
            && ours.rows == fit.rows
            && own);
        all.push(format!(
            "    (\n        Platform::{p:?},\n        Calibration {{\n            bandwidth: {:.6},\n            per_token_s: {:.3e},\n            per_layer_s: {:.3e},\n            per_hop_s: {:.3e},\n            compute: {:.6},\n            compute_quantized: {:.6},\n            decode_compute: None,\n            rows: {},\n        }},\n    ),",
            fit.bandwidth, fit.per_token_s, fit.per_layer_s, fit.per_hop_s, fit.compute, fit.compute_quantized, fit.rows
        ));
    }
    assert!(
        !wrong,
        "refit; CALIBRATIONS should read:\n{}\n",
        all.join("\n")
    );
    assert!(CALIBRATIONS.len() >= 3);
}

/// Where the model is not yet within the bounds, with why (none now: AMD
/// prefill was, until Instinct cards got constants of their own — ROCm
/// reaches 1.4 % of the MI300X's matrix-core figure but 22–52 % of the
/// RDNA cards' FP16 figures).
const KNOWN_GAPS: &[(&str, &str)] = &[];

#[test]
fn held_out_rows_are_within_12_percent_decoding_and_25_percent_prefilling() {
    let cases = cases();
    let mut within = 0;
    let mut report = Vec::new();
    let mut failed = false;
    for p in GROUPS {
        let held: Vec<&Case> = cases
            .iter()
            .filter(|c| c.group == p && c.held_out)
            .collect();
        for (phase, limit, rows) in [
            (
                "decode",
                0.12,
                held.iter()
                    .copied()
                    .filter(|c| is_decode(c))
                    .collect::<Vec<_>>(),
            ),
            (
                "prefill",
                0.25,
                held.iter()
                    .copied()
                    .filter(|c| !is_decode(c))
                    .collect::<Vec<_>>(),
            ),
        ] {
            if rows.len() < 4 {
                continue;
            }
            let e = median_error(&rows).unwrap();
            report.push(format!(
                "{p} {phase}: {:.1} % over {} rows",
                e * 100.0,
                rows.len()
            ));
            if KNOWN_GAPS.contains(&(p, phase)) {
                // Still measured: a gap that closes should leave this list.
                assert!(
                    e > limit,
                    "{p} {phase} is now within {limit}: drop it from KNOWN_GAPS"
                );
            } else {
                failed |= e > limit;
                within += 1;
            }
        }
    }
    assert!(!failed, "held-out median errors:\n{}", report.join("\n"));
    assert!(
        within >= 7,
        "{within} platform × phase checks within bounds"
    );
}

fn decode(r: &Request) -> f64 {
    report(r).unwrap().speed.unwrap().decode_tokens_per_s
}

fn request(model: &str, gpus: &str, weights: &str) -> Request {
    let mut r = Request::default();
    r.set("model", model.into());
    r.set("gpus", gpus.into());
    r.set("weights", weights.into());
    r
}

#[test]
fn more_bandwidth_is_never_slower() {
    for (slow, fast) in [
        ("rtx-3090", "rtx-3090-ti"),
        ("rtx-4080", "rtx-4090"),
        ("a100-40gb-pcie", "a100-80gb-sxm"),
    ] {
        let a = decode(&request("llama-3.1-8b", slow, "q4_k_m"));
        let b = decode(&request("llama-3.1-8b", fast, "q4_k_m"));
        assert!(b >= a, "{slow} {a} vs {fast} {b}");
    }
}

#[test]
fn a_layer_moved_to_the_cpu_is_never_faster() {
    let mut last = f64::INFINITY;
    for ngl in (20..=33).rev() {
        let mut r = request("llama-3.1-8b", "rtx-4090", "q8_0");
        r.set("ngl", ngl.to_string());
        let t = decode(&r);
        assert!(t <= last * (1.0 + 1e-9), "-ngl {ngl}: {t} after {last}");
        last = t;
    }
    // Experts left in host memory likewise.
    let mut last = f64::INFINITY;
    for k in [0, 8, 16, 32, 48] {
        let mut r = request("qwen3-30b-a3b", "rtx-4090", "q4_k_m");
        r.set("n_cpu_moe", k.to_string());
        let t = decode(&r);
        assert!(
            t <= last * (1.0 + 1e-9),
            "--n-cpu-moe {k}: {t} after {last}"
        );
        last = t;
    }
}

#[test]
fn a_bigger_quant_is_never_faster_at_batch_one() {
    let mut last = f64::INFINITY;
    for w in ["q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k", "q8_0", "f16"] {
        let t = decode(&request("llama-3.1-8b", "2xrtx-4090", w));
        assert!(t <= last * (1.0 + 1e-9), "{w}: {t} after {last}");
        last = t;
    }
}

#[test]
fn fp8_weights_prefill_on_fp8_units_where_the_card_has_them() {
    let prefill = |gpu: &str, weights: &str| {
        let mut r = request("llama-3.1-8b", gpu, weights);
        r.set("engine", "vllm".into());
        report(&r).unwrap().speed.unwrap().prefill_tokens_per_s
    };
    // H100: twice the dense rate in FP8; A100 has no FP8 units, so FP8
    // weights (dequantized to 16-bit, Marlin) are no faster to prefill.
    assert!(prefill("h100-sxm", "fp8") > 1.3 * prefill("h100-sxm", "bf16"));
    assert!(prefill("a100-80gb-sxm", "fp8") <= prefill("a100-80gb-sxm", "bf16") * 1.01);
}

#[test]
fn tensor_parallel_over_nvlink_is_faster_than_over_pcie() {
    // Same chip, same memory bandwidth: the A100 80GB SXM's NVLink against
    // the 40GB PCIe board's PCIe 4.0 (both 1555–2039 GB/s; compare per
    // step's all-reduce share by taking the 40GB SXM and PCIe boards).
    let tp = |gpus: &str| {
        let mut r = request("llama-3.1-8b", gpus, "bf16");
        r.set("engine", "vllm".into());
        r.set("tp", "4".into());
        decode(&r)
    };
    assert!(tp("4xa100-40gb-sxm") > tp("4xa100-40gb-pcie"));
}

#[test]
fn a_gpu_the_catalog_does_not_know_has_no_speed_rather_than_a_guess() {
    let r = report(&request("llama-3.1-8b", "24GB", "q4_k_m")).unwrap();
    assert!(r.speed.is_none());
}

#[test]
fn the_fastest_objective_uses_the_fewest_fastest_gpus_and_is_never_slower() {
    // Everything fits on the one RTX 4090: no hand-off through slower cards.
    let mut r = request(
        "llama-3.1-8b",
        "rtx-3060-12gb, rtx-4090, rtx-3090",
        "q4_k_m",
    );
    r.set("objective", "fastest".into());
    let fastest = report(&r).unwrap();
    let used: Vec<usize> = fastest
        .devices
        .iter()
        .filter(|d| d.used())
        .map(|d| d.index)
        .collect();
    assert_eq!(used, [1]);
    // The GPUs left out still show their memory.
    assert!(fastest.devices.iter().all(|d| d.usable_bytes > 10 << 30));
    assert_eq!(fastest.layout.pp, 1);
    assert!(fastest.commands["llama.cpp"].starts_with("CUDA_VISIBLE_DEVICES=1 "));
    // Never slower than the lowest-utilisation plan, and it still fits.
    for (model, gpus) in [
        ("llama-3.1-8b", "rtx-3060-12gb, rtx-4090, rtx-3090"),
        ("llama-3.1-70b", "rtx-3060-12gb, rtx-4090, rtx-3090"),
        ("qwen3-30b-a3b", "2xrtx-3090"),
        ("llama-3.1-70b", "4xa100-80gb-sxm"),
    ] {
        let mut r = request(model, gpus, "q4_k_m");
        let base = report(&r).unwrap();
        r.set("objective", "fastest".into());
        let fast = report(&r).unwrap();
        assert!(fast.fits, "{model} on {gpus}");
        let (a, b) = (
            base.speed.unwrap().decode_tokens_per_s,
            fast.speed.unwrap().decode_tokens_per_s,
        );
        assert!(b >= a * (1.0 - 1e-9), "{model} on {gpus}: {b} < {a}");
    }
}

/// With vLLM the fastest plan's GPUs show vLLM's budget as what they may
/// use, as every other vLLM plan does, and hold nothing beyond it.
#[test]
fn the_fastest_objective_on_vllm_shows_vllm_s_budget() {
    for gpus in ["rtx-3090", "rtx-3090, rtx-4090"] {
        let mut r = request("llama-3.1-8b", gpus, "bf16");
        r.set_engine("vllm");
        r.set("objective", "fastest".into());
        let fast = report(&r).unwrap();
        let budgets = report(&Request {
            objective: "min-utilisation".into(),
            ..r.clone()
        })
        .unwrap();
        assert!(fast.fits, "{gpus}");
        for (d, b) in fast.devices.iter().zip(&budgets.devices) {
            assert_eq!(d.usable_bytes, b.usable_bytes, "{gpus}: {}", d.name);
            assert!(d.total_bytes <= d.usable_bytes, "{gpus}: {}", d.name);
        }
    }
}

#[test]
fn the_host_fractions_are_the_median_of_published_cpu_decode_rows() {
    // Mainline llama.cpp's CPU-only decode of dense models, where the post
    // states the memory: bytes per token × tokens/s ÷ peak bandwidth.
    let doc: serde_json::Value =
        serde_json::from_str(include_str!("data/measured/llama_bench_cpu.json")).unwrap();
    let (mut pc, mut apple) = (Vec::new(), Vec::new());
    for r in doc["rows"].as_array().unwrap() {
        let model = r["model"].as_str().unwrap_or_default().to_ascii_lowercase();
        let dense = (format!(" {model}").contains(" 8b") || model.contains("72b"))
            && !model.contains("deepseek")
            && !model.contains("moe");
        let (Some(size), Some(bw), Some(tps)) = (
            r["size_gib"].as_f64(),
            r["memory_bandwidth_gb_s"].as_f64(),
            r["tokens_per_s"].as_f64(),
        ) else {
            continue;
        };
        if r["kind"] != "cpu"
            || r["fork"] != "llama.cpp"
            || !r["test"].as_str().unwrap_or_default().starts_with("tg")
            || !dense
        {
            continue;
        }
        let fraction = tps * size * (1u64 << 30) as f64 / (bw * 1e9);
        let cpu = r["cpu"].as_str().unwrap_or_default().to_ascii_lowercase();
        if cpu.contains("apple") || cpu.contains("m2") {
            apple.push(fraction);
        } else {
            pc.push(fraction);
        }
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        let m = v.len() / 2;
        if v.len().is_multiple_of(2) {
            (v[m - 1] + v[m]) / 2.0
        } else {
            v[m]
        }
    };
    assert!(
        pc.len() >= 6 && apple.len() >= 4,
        "{} {}",
        pc.len(),
        apple.len()
    );
    let (pc, apple) = (median(pc), median(apple));
    assert!(
        (pc - vramfit::plan::speed::HOST_BANDWIDTH_FRACTION).abs() < 5e-4,
        "{pc}"
    );
    assert!(
        (apple - vramfit::plan::speed::APPLE_HOST_BANDWIDTH_FRACTION).abs() < 5e-4,
        "{apple}"
    );
}

#[test]
fn the_expert_share_of_host_bandwidth_is_the_median_the_hybrid_rows_need() {
    let rows = hybrid_rows();
    assert!(rows.len() >= 5, "{} hybrid rows", rows.len());
    let share = vramfit::plan::speed::HOST_EXPERT_SHARE;
    let mut needed: Vec<f64> = rows
        .iter()
        .map(|(_, q, measured)| {
            let s = report(q).unwrap().speed.unwrap();
            let step_ms = 1e3 / s.decode_tokens_per_s;
            let rest_ms = step_ms - s.host_experts_ms;
            // The share that makes the experts' time the measured rest.
            share * s.host_experts_ms / (1e3 / measured - rest_ms)
        })
        .collect();
    needed.sort_by(f64::total_cmp);
    let m = needed.len() / 2;
    let median = if needed.len().is_multiple_of(2) {
        (needed[m - 1] + needed[m]) / 2.0
    } else {
        needed[m]
    };
    assert!(
        (median - share).abs() < 5e-4,
        "HOST_EXPERT_SHARE should be {median:.4} ({needed:?})"
    );
}

#[test]
fn vllm_constants_are_the_fit_of_published_vllm_runs_and_held_out_runs_are_close() {
    use vramfit::plan::speed::VLLM_DECODE;
    let cases = vllm_speed_cases::cases();
    let mut lines = Vec::new();
    let mut wrong = false;
    for (p, fit) in vllm_speed_cases::fitted(&cases) {
        let ours = VLLM_DECODE.iter().find(|(q, _)| *q == p).map(|(_, c)| *c);
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-3 * a.abs().max(b.abs()).max(1e-9);
        match (fit, ours) {
            (Some(f), Some(o)) => {
                wrong |= !(close(f.bandwidth, o.bandwidth)
                    && close(f.per_token_s, o.per_token_s)
                    && close(f.per_layer_s, o.per_layer_s)
                    && close(f.per_hop_s, o.per_hop_s)
                    && f.compute.map(|x| (x * 1e6).round()) == o.compute.map(|x| (x * 1e6).round())
                    && f.rows == o.rows)
            }
            (None, None) => {}
            _ => wrong = true,
        }
        if let Some(f) = fit {
            lines.push(format!(
                "    (\n        Platform::{p:?},\n        DecodeCalibration {{\n            bandwidth: {:.6},\n            per_token_s: {:.3e},\n            per_layer_s: {:.3e},\n            per_hop_s: {:.3e},\n            compute: {},\n            rows: {},\n        }},\n    ),",
                f.bandwidth, f.per_token_s, f.per_layer_s, f.per_hop_s,
                f.compute.map_or("None".to_string(), |x| format!("Some({:.6})", (x * 1e6).round() / 1e6)),
                f.rows
            ));
        }
    }
    for c in &cases {
        eprintln!(
            "{:<48} {:>3}x tp{} b{:<3} ctx {:>5} measured {:>7.2} ms predicted {:>7.2} ms {}{}",
            c.id,
            c.gpu,
            c.tp,
            c.batch,
            c.ctx,
            c.step_s * 1e3,
            vllm_speed_cases::predicted_step_s(&c.request, c.ctx).unwrap_or(f64::NAN) * 1e3,
            if c.held_out { "held out" } else { "" },
            if c.fitted {
                ""
            } else {
                " (batched: compared only)"
            },
        );
    }
    assert!(
        !wrong,
        "refit; VLLM_DECODE should read:\n{}\n",
        lines.join("\n")
    );
    let held: Vec<&vllm_speed_cases::Case> =
        cases.iter().filter(|c| c.held_out && c.fitted).collect();
    let fitted: Vec<&vllm_speed_cases::Case> =
        cases.iter().filter(|c| !c.held_out && c.fitted).collect();
    assert!(
        held.len() >= 4 && fitted.len() >= 8,
        "{} held out, {} fitted",
        held.len(),
        fitted.len()
    );
    let e = vllm_speed_cases::median_error(&held).unwrap();
    assert!(
        e <= 0.15,
        "held-out vLLM decode median error {:.1} %",
        e * 100.0
    );
}
