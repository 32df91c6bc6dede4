// Published vLLM serving and latency runs (tests/data/measured/
// vllm_serving.json, each with its URL) as vramfit requests, and what the
// speed model makes of them: shared by tests/speed.rs and the accuracy
// bench (`include!`d).

#[allow(dead_code)]
mod vllm_speed_cases {
    use serde_json::Value;
    use vramfit::plan::speed::{self, DecodeCalibration, Observation, Platform};
    use vramfit::report::{report, validate, Request};

    pub const ROWS: &str = include_str!("measured/vllm_serving.json");

    /// Batches up to this many sequences are fitted (their steps read
    /// weights: memory-bound); larger ones are only compared.
    pub const FITTED_BATCH: u64 = 8;

    /// One published vLLM run that vramfit can plan.
    #[derive(Debug, Clone)]
    pub struct Case {
        pub id: String,
        pub url: String,
        pub gpu: String,
        pub model: String,
        pub tp: u64,
        pub batch: u64,
        /// Mean seconds per decode step, from TPOT or latency / output
        /// tokens (runs whose prompt is a small share).
        pub step_s: f64,
        /// The context a mean step sees (prompt + half the output; 512 when
        /// the run does not say).
        pub ctx: u64,
        pub held_out: bool,
        pub fitted: bool,
        pub request: Request,
        pub platform: Platform,
        pub observation: Observation,
    }

    include!("held_out.rs");

    /// The catalog card a row's GPU string names (H100 and A100 rows that
    /// do not say which board are the SXM ones: HBM3 / 80 GB).
    fn card(gpu: &str) -> Option<&'static str> {
        let g = gpu.to_ascii_lowercase();
        Some(match () {
            _ if g.contains("h100") => "h100-sxm",
            _ if g.contains("a100") => "a100-80gb-sxm",
            _ if g.contains("mi300x") => "mi300x",
            _ if g.contains("4090") => "rtx-4090",
            _ => return None,
        })
    }

    /// The weights column's format (`bf16 (assumed…)`, `fp8 (Quark…)`).
    fn weights(w: &str) -> Option<&'static str> {
        let w = w.to_ascii_lowercase();
        Some(match w.split_whitespace().next()? {
            "bf16" => "bf16",
            "fp16" => "fp16",
            "fp8" => "fp8",
            "awq" => "awq",
            "mxfp4" => "mxfp4",
            _ => return None,
        })
    }

    /// The predicted seconds of a mean decode step at `ctx`: the step at
    /// an empty cache and at a full one, linear between (the KV read is).
    pub fn predicted_step_s(r: &Request, ctx: u64) -> Option<f64> {
        let plan = report(r).ok()?;
        let s = plan.speed?;
        let n_ctx = plan.plan.settings.n_ctx.max(1) as f64;
        let (t0, t1) = (1.0 / s.decode_tokens_per_s, 1.0 / s.decode_tokens_per_s_at_context);
        Some(t0 + (t1 - t0) * ctx as f64 / n_ctx)
    }

    pub fn cases() -> Vec<Case> {
        let doc: Value = serde_json::from_str(ROWS).unwrap();
        let mut out = Vec::new();
        for row in doc["rows"].as_array().unwrap() {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            let id = text("id");
            let Some(batch) = row["concurrency"].as_u64() else {
                continue; // saturated runs: a scheduler's queue, not a step
            };
            if text("note").contains("--enforce-eager") {
                continue; // no CUDA graphs: a launch per kernel, not fitted
            }
            let (Some(gpu), Some(w)) = (card(&text("gpu")), weights(&text("weights"))) else {
                continue;
            };
            let tp = row["tensor_parallel"].as_u64().unwrap_or(1).max(1);
            let (input, output) = (row["input_len"].as_u64(), row["output_len"].as_u64());
            let ctx_max = input.zip(output).map_or(1024, |(i, o)| i + o);
            let ctx = input.zip(output).map_or(512, |(i, o)| i + o / 2);
            let mut r = Request::default();
            r.set("model", text("model"));
            r.set("engine", "vllm".into());
            r.set("weights", w.into());
            r.set("gpus", format!("{}x{gpu}", row["gpu_count"].as_u64().unwrap_or(tp)));
            r.set("tp", tp.to_string());
            r.set("ctx", ctx_max.to_string());
            r.set("batch", batch.to_string());
            r.set("images", "0".into());
            if text("kv_cache_dtype") == "fp8" {
                r.set("kv", "fp8".into());
            }
            let Ok(plan) = report(&r) else { continue };
            if !plan.fits {
                continue;
            }
            let m = &row["metrics"];
            let tpot = m["mean_tpot_ms"].as_f64().or(m["median_tpot_ms"].as_f64());
            let step_s = match (tpot, m["avg_latency_s"].as_f64(), output) {
                (Some(t), _, _) => t / 1e3,
                (None, Some(latency), Some(out)) => {
                    // The batch's prompt comes first, in one prefill whose
                    // tokens cost a small fraction of a decode step's each:
                    // only runs with a prompt at most a quarter of the
                    // output are kept, their steps the time over the output
                    // tokens (the figure stays the publisher's, not a
                    // function of vramfit's constants).
                    if input.unwrap_or(0) * 4 > out {
                        continue;
                    }
                    latency / out as f64
                }
                _ => continue,
            };
            let v = validate(&r).unwrap();
            let Some((platform, kind)) =
                speed::observe_step(&v.spec, &plan.plan, &v.gpus, v.backend, ctx)
            else {
                continue;
            };
            let fitted = batch <= FITTED_BATCH;
            out.push(Case {
                held_out: held_out(&id),
                fitted,
                url: text("url"),
                gpu: gpu.into(),
                model: text("model"),
                tp,
                batch,
                step_s,
                ctx,
                request: r,
                platform,
                observation: Observation {
                    platform,
                    seconds: step_s,
                    kind,
                },
                id,
            });
        }
        out
    }

    /// The constants each platform's fitted vLLM rows give (3 rows at
    /// least; fewer leave the platform on llama.cpp's).
    pub fn fitted(cases: &[Case]) -> Vec<(Platform, Option<DecodeCalibration>)> {
        let mut platforms: Vec<Platform> = cases.iter().map(|c| c.platform).collect();
        platforms.dedup();
        let mut seen = Vec::new();
        for p in platforms {
            if seen.iter().any(|(q, _)| *q == p) {
                continue;
            }
            let rows: Vec<Observation> = cases
                .iter()
                .filter(|c| c.platform == p && c.fitted && !c.held_out)
                .map(|c| c.observation.clone())
                .collect();
            let mut fit = (rows.len() >= 3).then(|| speed::fit_decode(&rows)).flatten();
            if let Some(f) = &mut fit {
                let batched: Vec<Observation> = cases
                    .iter()
                    .filter(|c| c.platform == p && !c.fitted && !c.held_out)
                    .map(|c| c.observation.clone())
                    .collect();
                f.compute = speed::fit_batched_compute(f, &batched);
            }
            seen.push((p, fit));
        }
        seen
    }

    /// Median |predicted / measured − 1| of decode steps over `cases`.
    pub fn median_error(cases: &[&Case]) -> Option<f64> {
        let mut errors: Vec<f64> = cases
            .iter()
            .filter_map(|c| predicted_step_s(&c.request, c.ctx).map(|p| (p / c.step_s - 1.0).abs()))
            .collect();
        speed::median(&mut errors)
    }
}
