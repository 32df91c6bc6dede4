// Published llama-bench rows (tests/data/measured/llama_bench.json, each with
// its URL) as vramfit requests, and what the speed model makes of them:
// shared by tests/speed.rs and the accuracy bench (`include!`d).

#[allow(dead_code)]
mod speed_cases {
    use serde_json::Value;
    use vramfit::plan::speed::{self, Calibration, Observation, ObservationKind, Platform};
    use vramfit::report::{report, validate, Request};

    pub const ROWS: &str = include_str!("measured/llama_bench.json");

    /// One published row that vramfit can plan.
    #[derive(Debug, Clone)]
    pub struct Case {
        pub id: String,
        pub gpu: String,
        pub model: String,
        pub test: String,
        pub tokens_per_s: f64,
        /// Held out of the fit (a third of the rows, by a hash of the id).
        pub held_out: bool,
        pub request: Request,
        pub platform: Platform,
        /// One of [`GROUPS`].
        pub group: &'static str,
        pub observation: Observation,
    }

    /// The catalog model a llama-bench `model` column names (its
    /// architecture, size label and parameter count).
    fn catalog_model(model: &str, params_b: Option<f64>) -> Option<&'static str> {
        let m = model.to_ascii_lowercase();
        let near = |p: f64| params_b.is_none_or(|b| (b - p).abs() < 0.3);
        Some(match () {
            _ if m.starts_with("llama 7b") && params_b.is_some_and(|b| b > 7.0) => "mistral-7b-v0.1",
            _ if m.starts_with("llama 7b") => "llama-2-7b",
            _ if m.starts_with("llama 8b") => "llama-3.1-8b",
            _ if m.starts_with("llama 13b") => "llama-2-13b",
            _ if m.starts_with("llama 70b") && near(70.55) => "llama-3.1-70b",
            _ if m.starts_with("llama 1b") && near(1.1) => "tinyllama-1.1b",
            _ if m.starts_with("llama 3b") && near(3.21) => "llama-3.2-3b",
            _ if m.starts_with("llama ?b") && near(405.85) => "llama-3.1-405b",
            _ if m.starts_with("qwen3moe 30b.a3b") => "qwen3-30b-a3b",
            _ if m.starts_with("qwen2 7b") && near(7.62) => "qwen2.5-7b",
            _ if m.starts_with("gemma3 4b") => "gemma-3-4b",
            _ if m.starts_with("gpt-oss 20b") => "gpt-oss-20b",
            _ if m.starts_with("gpt-oss 120b") => "gpt-oss-120b",
            _ if m.starts_with("deepseek2 671b") => "deepseek-v3",
            _ => return None,
        })
    }

    /// The file type in the `model` column (`Q4_K - Medium`, `MXFP4 MoE`).
    fn ftype(model: &str) -> Option<String> {
        let words: Vec<&str> = model.split_whitespace().collect();
        let at = words.iter().position(|w| {
            let u = w.to_ascii_uppercase();
            u.starts_with('Q') || u.starts_with("IQ") || u.starts_with('F') || u.starts_with("BF") || u.starts_with("MXFP4")
        })?;
        let tail = words[at..].join(" ").replace("mostly ", "");
        let f = vramfit::import::llama_log::ftype_of_name(&tail)?;
        Some(f.name().to_ascii_lowercase())
    }

    include!("held_out.rs");

    /// Every row vramfit can plan: a catalog model and file type, catalog
    /// GPUs, a batch-1 pp or tg test, everything on the GPUs.
    pub fn cases() -> Vec<Case> {
        let doc: Value = serde_json::from_str(ROWS).unwrap();
        let mut out = Vec::new();
        for row in doc["rows"].as_array().unwrap() {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            let (id, gpu, model, test) = (text("id"), text("gpu"), text("model"), text("test"));
            let Some(tps) = row["tokens_per_s"].as_f64().filter(|t| *t > 0.0) else {
                continue;
            };
            let Some(card) = vramfit::plan::gpus::find_card(&gpu) else {
                continue;
            };
            let Some(id_model) = catalog_model(&model, row["params_b"].as_f64()) else {
                continue;
            };
            let Some(weights) = ftype(&model) else {
                continue;
            };
            let tokens: u64 = match test.get(2..).and_then(|n| n.parse().ok()) {
                Some(n) if test.starts_with("pp") || test.starts_with("tg") => n,
                _ => continue,
            };
            let count = row["gpu_count"].as_u64().unwrap_or(1).max(1);
            if row["ngl"].as_u64().is_some_and(|n| n < 99) && row["ngl"].as_u64() != Some(0) {
                // Partial offload rows are not in the fit (no host figures).
                continue;
            }
            let mut r = Request::default();
            r.set("model", id_model.into());
            r.set("weights", weights);
            r.set("engine", "llama.cpp".into());
            r.set("gpus", format!("{count}x{}", card.id));
            r.set("ctx", tokens.max(256).to_string());
            r.set("batch", "1".into());
            r.set("images", "0".into());
            r.set(
                "flash_attn",
                if row["fa"].as_u64() == Some(1) { "on" } else { "off" }.into(),
            );
            let backend = match text("backend").as_str() {
                "CUDA" => "cuda",
                "ROCm" => "rocm",
                "Metal" => "metal",
                "Vulkan" => "vulkan",
                _ => continue,
            };
            r.set("backend", backend.into());
            if let Some(ub) = row["n_ubatch"].as_u64() {
                r.set("ubatch", ub.to_string());
            }
            let Ok(plan) = report(&r) else { continue };
            if !plan.fits || plan.offload.any() {
                continue;
            }
            let v = validate(&r).unwrap();
            let Some((platform, decode, prefill)) =
                speed::observe(&v.spec, &plan.plan, &v.gpus, v.backend, tokens)
            else {
                continue;
            };
            let kind = if test.starts_with("tg") {
                decode
            } else {
                match prefill {
                    Some(p) => p,
                    None => continue,
                }
            };
            let group = match (card.vendor.as_str(), card.segment.as_str()) {
                ("nvidia", "consumer") => GROUPS[0],
                ("nvidia", _) => GROUPS[1],
                ("apple", _) => GROUPS[2],
                ("amd", _) => GROUPS[3],
                _ => GROUPS[4],
            };
            out.push(Case {
                group,
                held_out: held_out(&id),
                id,
                gpu,
                model,
                test,
                tokens_per_s: tps,
                request: r,
                platform,
                observation: Observation {
                    platform,
                    seconds: 1.0 / tps,
                    kind,
                },
            });
        }
        out
    }

    pub const PLATFORMS: [Platform; 7] = [
        Platform::NvidiaGddr,
        Platform::NvidiaHbm,
        Platform::Apple,
        Platform::Amd,
        Platform::AmdInstinct,
        Platform::Intel,
        Platform::Vulkan,
    ];

    /// The groups results are reported in: NVIDIA consumer, NVIDIA
    /// datacenter (workstation and HBM cards), Apple Silicon, AMD, Intel.
    pub const GROUPS: [&str; 5] = ["NVIDIA consumer", "NVIDIA datacenter", "Apple Silicon", "AMD", "Intel"];

    /// The constants each platform's fitted rows give.
    pub fn fitted(cases: &[Case]) -> Vec<(Platform, Option<Calibration>)> {
        PLATFORMS
            .iter()
            .map(|&p| {
                let rows: Vec<Observation> = cases
                    .iter()
                    .filter(|c| c.platform == p && !c.held_out)
                    .map(|c| c.observation.clone())
                    .collect();
                (p, speed::fit(&rows))
            })
            .collect()
    }

    /// vramfit's figure for a case (the report's speed, as a user gets it).
    pub fn predicted(c: &Case) -> Option<f64> {
        let s = report(&c.request).ok()?.speed?;
        Some(if c.test.starts_with("tg") {
            s.decode_tokens_per_s
        } else {
            s.prefill_tokens_per_s
        })
    }

    /// Median |predicted / measured − 1| of `cases`.
    pub fn median_error(cases: &[&Case]) -> Option<f64> {
        let mut errors: Vec<f64> = cases
            .iter()
            .filter_map(|c| predicted(c).map(|p| (p / c.tokens_per_s - 1.0).abs()))
            .collect();
        speed::median(&mut errors)
    }

    /// Whether a case is a decode row.
    pub fn is_decode(c: &Case) -> bool {
        matches!(c.observation.kind, ObservationKind::Decode { .. })
    }

    /// The published hybrid decode rows vramfit can plan (a catalog model and
    /// file type, every GPU-side tensor on one kind of GPU, experts of the
    /// overridden layers on the CPU): (id, request, measured tokens/s).
    pub fn hybrid_rows() -> Vec<(String, Request, f64)> {
        let doc: serde_json::Value =
            serde_json::from_str(include_str!("measured/llama_bench_cpu.json")).unwrap();
        let mut out = Vec::new();
        for r in doc["rows"].as_array().unwrap() {
            let test = r["test"].as_str().unwrap_or_default();
            if r["kind"] != "hybrid" || !test.starts_with("tg") {
                continue;
            }
            let model = r["model"].as_str().unwrap_or_default().to_ascii_lowercase();
            // ik_llama.cpp's own types (IQ6_K, …) are not llama.cpp's.
            if model.contains("iq") {
                continue;
            }
            let (id, weights) = match () {
                _ if model.contains("235b") && model.contains("q8_0") => ("qwen3-235b-a22b", "q8_0"),
                _ if model.contains("235b") && model.contains("q6_k") => ("qwen3-235b-a22b", "q6_k"),
                _ if model.starts_with("deepseek2 16b q4_k - medium") => ("deepseek-v2-lite", "q4_k_m"),
                _ => continue,
            };
            let Some(card) = r["gpu"].as_str().and_then(vramfit::plan::gpus::find_card) else {
                continue;
            };
            let patterns: Vec<String> = r["override_tensor"]
                .as_str()
                .unwrap_or_default()
                .split(';')
                .map(|p| p.trim().to_string())
                .filter(|p| !p.is_empty())
                .collect();
            let mut q = Request::default();
            q.set("model", id.into());
            q.set("weights", weights.into());
            q.set(
                "gpus",
                format!("{}x{}", r["gpu_count"].as_u64().unwrap_or(1), card.id),
            );
            q.set("ctx", "512".into());
            q.set("host_bw", r["memory_bandwidth_gb_s"].to_string());
            let n_layer = vramfit::report::validate(&q).unwrap().spec.n_layer();
            let Some((k, _)) = vramfit::plan::overrides::read(&patterns, n_layer).n_cpu_moe() else {
                continue;
            };
            q.set("n_cpu_moe", k.to_string());
            if !report(&q).unwrap().fits {
                continue;
            }
            out.push((
                r["id"].as_str().unwrap().to_string(),
                q,
                r["tokens_per_s"].as_f64().unwrap(),
            ));
        }
        out
    }
}
