// Shared by tests/vllm_logs.rs and the accuracy bench (tests/bench/accuracy.rs):
// vLLM startup logs from public threads (data/measured/vllm_logs.json, each
// with its URL) against vramfit's vLLM accounting.
//
// Two comparisons per run, where the log has what they need:
// - the KV pool: from the "Available KV cache memory" the log prints, the
//   blocks, "GPU KV cache size" tokens and "Maximum concurrency" vramfit
//   derives (the page size, the hybrid groups, the token formula of the
//   release) against the logged ones;
// - the budget: the whole startup from the model, GPU and flags — weights,
//   the KV cache and its tokens — against the log.

#[allow(dead_code)]
mod vllm_runs {
    use serde_json::Value;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::names::resolve;
    use vramfit::estimate::vllm::era::Era;
    use vramfit::estimate::vllm::kv::{layer_specs, without_windows, KvPool};
    use vramfit::estimate::vllm::{default_batched_tokens, Version, VllmArgs};
    use vramfit::estimate::KvType;
    use vramfit::report::{report, Request};

    const GIB: f64 = (1u64 << 30) as f64;

    /// Runs whose log names no model id, but whose thread does (the model
    /// note in the JSON says how): the catalog model it is.
    const INFERRED: &[(&str, &str)] = &[
        ("vlm-qwen36-35b-a3b-nvfp4-5090-612", "qwen3.6-35b-a3b"),
        ("vlm-qwen36-35b-a3b-nvfp4-5090-652", "qwen3.6-35b-a3b"),
        ("qwen36-27b-autoround-2x3090-tp2-fp8e5m2", "qwen3.6-27b"),
        ("qwen36-27b-autoround-2x3090-mtp-p2pon", "qwen3.6-27b"),
        ("qwen36-27b-autoround-2x3090-mtp-p2poff", "qwen3.6-27b"),
        ("qwen3next-80b-int4-autoround-tp2-v011", "qwen3-next-80b-a3b"),
        ("minimax-m27-awq-2xspark-tp2-gmu085", "minimax-m2"),
        ("minimax-m27-awq-2xspark-tp2-gmu080", "minimax-m2"),
        ("qwen36-35b-a3b-fp8-dgxspark-mtp", "qwen3.6-35b-a3b"),
        ("dsv2-lite-4xl4-pp-pr20665", "deepseek-v2-lite"),
    ];

    /// Layouts the thread states but the JSON leaves null: (tp, pp).
    const LAYOUTS: &[(&str, u64, u64)] = &[("dsv2-lite-4xl4-pp-pr20665", 2, 2)];

    /// Runs vramfit does not model, and why (kept in the data for the day
    /// it does).
    pub const NOT_MODELLED: &[(&str, &str)] = &[
        ("vlm-qwen36-35b-a3b-nvfp4-5090-612", "prefix caching on a GDN hybrid (Mamba pages per request) and possibly MTP drafts: not modelled"),
        ("vlm-qwen36-35b-a3b-nvfp4-5090-652", "prefix caching on a GDN hybrid (Mamba pages per request) and possibly MTP drafts: not modelled"),
        ("qwen36-35b-a3b-fp8-dgxspark-mtp", "speculative decoding (MTP layers add KV groups: \"Add 3 padding layers\")"),
        ("qwen36-27b-autoround-2x3090-mtp-p2pon", "speculative decoding (MTP)"),
        ("qwen36-27b-autoround-2x3090-mtp-p2poff", "speculative decoding (MTP)"),
        ("qwen36-27b-autoround-2x3090-tp2-fp8e5m2", "the club-3090 recipe enables MTP speculative decoding; the excerpt does not show its flags"),
        ("qwen35-35b-a3b-tp4-80gb-dflash-breakdown", "speculative decoding (a DFlash drafter's weights and KV share the budget); TP not in the excerpt"),
        ("minimax-m27-awq-2xspark-tp2-gmu085", "the author's summary, not the log; MiniMax-M2.7's own config is not in the catalog (M2's is used)"),
    ];

    pub fn modelled(run: &Run) -> bool {
        !NOT_MODELLED.iter().any(|(id, _)| *id == run.id)
    }

    /// A run as read from the JSON, and what vramfit makes of it.
    #[derive(Debug, Clone)]
    pub struct Run {
        pub id: String,
        pub url: String,
        pub model: Option<String>,
        pub gpu: String,
        pub version: Option<Version>,
        pub v1: bool,
        pub tp: u64,
        pub pp: u64,
        pub gpu_count: u64,
        pub total_gib: Option<f64>,
        pub util: Option<f64>,
        pub util_defaulted: bool,
        pub max_model_len: Option<u64>,
        pub max_num_seqs: Option<u64>,
        pub batched: Option<u64>,
        pub kv_fp8: bool,
        pub block_size: Option<u64>,
        pub logged_kv_gib: Option<f64>,
        pub logged_tokens: Option<u64>,
        pub logged_concurrency: Option<f64>,
        pub logged_weights_gib: Option<f64>,
        pub logged_activation_gib: Option<f64>,
        /// "Encoder cache will be initialized with a budget of N tokens, and
        /// profiled with M <modality> items": (N, M, modality).
        pub logged_encoder: Option<(u64, u64, String)>,
        pub limit_images: Option<u64>,
    }

    fn first_number(v: &Value) -> Option<f64> {
        match v {
            Value::Number(n) => n.as_f64(),
            Value::Array(a) => a.first().and_then(first_number),
            _ => None,
        }
    }

    fn version_of(text: &str) -> Option<Version> {
        text.split(|c: char| c.is_whitespace() || c == '(' || c == ',')
            .find_map(|w| w.parse::<Version>().ok().filter(|v| v.minor > 0))
    }

    pub fn runs() -> Vec<Run> {
        let data: Value =
            serde_json::from_str(include_str!("measured/vllm_logs.json")).expect("valid JSON");
        let mut out = Vec::new();
        for r in data["runs"].as_array().expect("runs") {
            let id = r["id"].as_str().unwrap_or_default().to_string();
            let flags = &r["flags"];
            let logged = &r["logged"];
            let inferred = INFERRED.iter().find(|(i, _)| *i == id).map(|(_, m)| m.to_string());
            let model = r["model"]
                .as_str()
                .map(str::to_string)
                .filter(|m| resolve(m).is_ok())
                .or(inferred);
            // The release: as logged, else from a line only some releases print.
            let lines: Vec<&str> = r["lines"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            let version = r["vllm_version"]
                .as_str()
                .or(r["version_source"].as_str())
                .and_then(version_of)
                .or_else(|| {
                lines
                    .iter()
                    .any(|l| l.contains("(default since v0.21.0)"))
                    .then_some(Version::new(21, 0))
            });
            let layout = LAYOUTS.iter().find(|(i, _, _)| *i == id);
            let v1 = match (r["engine"].as_str(), version) {
                (Some("v0"), _) => false,
                (Some("v1"), _) => true,
                (_, Some(v)) => Era::of(v).v1,
                _ => true,
            };
            let defaulted = r["flags_defaulted"]
                .as_array()
                .is_some_and(|a| a.iter().any(|x| x == "gpu_memory_utilization"));
            let kv = flags["kv_cache_dtype"].as_str().unwrap_or("auto");
            out.push(Run {
                url: r["url"].as_str().unwrap_or_default().to_string(),
                model,
                gpu: r["gpu"].as_str().unwrap_or_default().to_string(),
                version,
                v1,
                tp: r["tp"].as_u64().or(layout.map(|l| l.1)).unwrap_or(1),
                pp: r["pp"].as_u64().or(layout.map(|l| l.2)).unwrap_or(1),
                gpu_count: r["gpu_count"].as_u64().unwrap_or(1),
                total_gib: first_number(&logged["total_gpu_memory_gib"]),
                util: flags["gpu_memory_utilization"].as_f64(),
                util_defaulted: defaulted,
                // The length vLLM printed its concurrency for is the one
                // it ran with (the command in a thread may be another).
                max_model_len: logged["max_concurrency_tokens"]
                    .as_u64()
                    .or(flags["max_model_len"].as_u64()),
                max_num_seqs: flags["max_num_seqs"].as_u64(),
                batched: flags["max_num_batched_tokens"].as_u64(),
                kv_fp8: kv.starts_with("fp8"),
                block_size: flags["block_size"].as_u64(),
                logged_kv_gib: first_number(&logged["kv_cache_gib"]),
                logged_tokens: logged["kv_cache_tokens"].as_u64(),
                logged_concurrency: logged["max_concurrency"].as_f64(),
                logged_weights_gib: first_number(&logged["model_weights_gib"]),
                logged_activation_gib: first_number(&logged["activation_peak_gib"]),
                logged_encoder: logged["encoder_budget_tokens"].as_u64().map(|b| {
                    (
                        b,
                        logged["profiled_items"].as_u64().unwrap_or(0),
                        logged["profiled_modality"].as_str().unwrap_or("").to_string(),
                    )
                }),
                limit_images: flags["limit_mm_per_prompt"]["image"].as_u64(),
                id,
            });
        }
        out
    }

    /// The release a run is modelled at: the logged one, else a release of
    /// its engine's era (V0: 0.7.3, V1: 0.10.1).
    ///
    /// A V0 log from a release whose default was V1 (`VLLM_USE_V1=0`) is
    /// modelled as 0.7.3, the last release whose default engine was V0: the
    /// V0 worker's accounting did not change after it.
    pub fn version(run: &Run) -> Version {
        let v1_default = Era::of(run.version.unwrap_or(Version::new(10, 1))).v1;
        match run.version {
            Some(v) if run.v1 || !v1_default => v,
            _ if run.v1 => Version::new(10, 1),
            _ => Version::new(7, 3),
        }
    }

    /// vLLM keeps the small defaults on an A100 whatever its memory.
    pub fn a100(run: &Run) -> bool {
        run.gpu.to_ascii_lowercase().contains("a100")
            || card(run).is_some_and(|c| c.id.starts_with("a100"))
    }

    /// The batched tokens vLLM used: the flag, else its default (the GPU
    /// size from the log's total; 2048 when unknown).
    pub fn batched(run: &Run, len: u64, seqs: u64) -> u64 {
        run.batched.unwrap_or_else(|| {
            let total = (run.total_gib.or_else(|| card(run).and_then(|c| c.cuda_total_gib)).unwrap_or(0.0) * GIB) as u64;
            default_batched_tokens(version(run), total, a100(run), len, seqs)
        })
    }

    /// The KV pool check: tokens and concurrency vramfit derives from the
    /// logged available KV memory, as (lowest, highest) over the log's
    /// rounding to 0.01 GiB, beside the logged values.
    #[derive(Debug, Clone)]
    pub struct PoolCheck {
        pub id: String,
        pub tokens: (u64, u64),
        pub logged_tokens: Option<u64>,
        pub concurrency: (f64, f64),
        pub logged_concurrency: Option<f64>,
        pub version_known: bool,
    }

    impl PoolCheck {
        pub fn tokens_ok(&self) -> bool {
            // Exact for a known release; within 1 % when the log does not
            // say which (the token formula and page rules changed).
            let slack = if self.version_known { 0.0 } else { 0.01 };
            self.logged_tokens.is_none_or(|t| {
                let t = t as f64;
                self.tokens.0 as f64 * (1.0 - slack) <= t && t <= self.tokens.1 as f64 * (1.0 + slack)
            })
        }
        pub fn concurrency_ok(&self) -> bool {
            self.logged_concurrency.is_none_or(|c| {
                self.concurrency.0 - 0.006 <= c && c <= self.concurrency.1 + 0.006
            })
        }
    }

    pub fn pool_check(run: &Run) -> Option<PoolCheck> {
        if !modelled(run) {
            return None;
        }
        let model = run.model.as_ref()?;
        let kv_gib = run.logged_kv_gib;
        let len = run.max_model_len?;
        if run.logged_tokens.is_none() && run.logged_concurrency.is_none() {
            return None;
        }
        let spec = resolve(model).ok()?.model.load().ok()?.spec;
        let version = version(run);
        let era = Era::of(version);
        let seqs = run.max_num_seqs.unwrap_or(256);
        let batched = batched(run, len, seqs);
        let kv = if run.kv_fp8 { KvType::Fp8 } else { KvType::F16 };
        let gpu = run.gpu.to_ascii_lowercase();
        let args = VllmArgs {
            block_size: run.block_size.unwrap_or(0),
            flash_mla: ["h100", "h200", "h20", "gh200", "b200"].iter().any(|g| gpu.contains(g)),
            ..VllmArgs::default()
        };
        let block = args.block_size(&spec);
        // Each pipeline stage has its own pool; vLLM takes the fewest
        // blocks. Its default partition (`get_pp_indices`) gives the extra
        // layers to the stages before the last.
        let n = spec.layers.len() as u64;
        let mut sizes = vec![n / run.pp; run.pp as usize];
        for i in 0..(n % run.pp) as usize {
            let k = sizes.len() - 2 - i.min(sizes.len().saturating_sub(2));
            sizes[k] += 1;
        }
        let mut start = 0;
        let pools: Vec<KvPool> = sizes
            .iter()
            .map(|&k| {
                let layers = &spec.layers[start as usize..(start + k) as usize];
                start += k;
                let mut specs = layer_specs(layers, kv, 2, run.tp);
                if !era.hybrid_kv {
                    without_windows(&mut specs);
                }
                KvPool::new(&specs, block)
            })
            .collect();
        let pool = pools
            .iter()
            .max_by_key(|p| p.bytes_per_block)
            .expect("a stage")
            .clone();
        let at = |gib: f64| {
            let blocks = pool.num_blocks((gib * GIB) as u64);
            if era.v1 {
                (
                    pool.tokens(blocks, len, batched, era.tokens_from_concurrency),
                    pool.concurrency(blocks, len, batched),
                )
            } else {
                let t = blocks * pool.block_size;
                (t, t as f64 / len as f64)
            }
        };
        let (lo, hi) = match kv_gib {
            Some(kv_gib) => (at(kv_gib - 0.005), at(kv_gib + 0.005)),
            // No memory line: the block count the logged concurrency
            // implies, give or take the rounding, must give both lines.
            None => {
                let concurrency = run.logged_concurrency?;
                let per_request = pool.blocks_per_request(len, batched) as f64;
                let blocks = ((concurrency - 0.006) * per_request).ceil() as u64
                    ..=((concurrency + 0.006) * per_request).floor() as u64;
                let tokens = |b: u64| {
                    if era.v1 {
                        pool.tokens(b, len, batched, era.tokens_from_concurrency)
                    } else {
                        b * pool.block_size
                    }
                };
                let hit = blocks
                    .clone()
                    .find(|&b| Some(tokens(b)) == run.logged_tokens)
                    .unwrap_or(*blocks.start());
                let c = pool.concurrency(hit, len, batched);
                ((tokens(hit), c), (tokens(hit), c))
            }
        };
        Some(PoolCheck {
            id: run.id.clone(),
            tokens: (lo.0, hi.0),
            logged_tokens: run.logged_tokens,
            concurrency: (lo.1, hi.1),
            logged_concurrency: run.logged_concurrency,
            version_known: run.version.is_some(),
        })
    }

    /// The whole startup from the model, GPU and flags.
    #[derive(Debug, Clone)]
    pub struct BudgetCheck {
        pub id: String,
        pub budget_gib: f64,
        pub weights_gib: f64,
        pub activation_gib: f64,
        pub kv_gib: f64,
        pub tokens: u64,
        pub logged_weights_gib: Option<f64>,
        pub logged_activation_gib: Option<f64>,
        pub logged_kv_gib: Option<f64>,
        pub logged_tokens: Option<u64>,
    }

    /// GPUs a thread names without the memory size, and the card the
    /// logged numbers imply.
    const CARDS: &[(&str, &str, &str)] = &[
        ("gptoss-20b-a100-v019", "a100-80gb-sxm", "36.56 GiB of KV at 0.65 needs the 80 GB A100"),
        ("gemma4-26b-a4b-a100-v019", "a100-80gb-sxm", "48.5 GiB of weights needs the 80 GB A100"),
    ];

    /// The catalog card a run's GPU string names (its first words that do).
    pub fn card(run: &Run) -> Option<&'static vramfit::plan::gpus::Card> {
        if let Some((_, id, _)) = CARDS.iter().find(|(i, _, _)| *i == run.id) {
            return vramfit::plan::gpus::find_card(id);
        }
        let text = run.gpu.split(['(', ',']).next().unwrap_or_default().trim();
        let text = text
            .trim_end_matches(|c: char| c == 'x' || c.is_ascii_digit() || c == ' ')
            .trim_end_matches(" x");
        vramfit::plan::gpus::find_card(text)
            .or_else(|| vramfit::plan::gpus::find_card(text.trim_start_matches("NVIDIA ")))
    }

    pub fn budget_check(run: &Run) -> Option<BudgetCheck> {
        if !modelled(run) {
            return None;
        }
        let model = run.model.as_ref()?;
        let card = card(run);
        let total = run
            .total_gib
            .or_else(|| card.and_then(|c| c.cuda_total_gib))?;
        let util = run.util.or(run.util_defaulted.then_some(0.9))?;
        let version = version(run);
        let len = run.max_model_len.unwrap_or(8192);
        let default_seqs = if version >= Version::new(9, 0) && total >= 70.0 && !a100(run) {
            1024
        } else {
            256
        };
        let seqs = run.max_num_seqs.unwrap_or(default_seqs);
        let request = Request {
            model: model.clone(),
            // The card when the log names one the catalog knows with the
            // same CUDA total, else a size.
            gpus: match card.filter(|c| run.total_gib.is_none_or(|t| c.cuda_total_gib == Some(t))) {
                Some(c) => format!("{}x{}", run.gpu_count.max(run.tp * run.pp), c.id),
                None => format!("{}x{total}GiB", run.gpu_count.max(run.tp * run.pp)),
            },
            engine: Engine::Vllm.id().to_string(),
            weights: String::new(),
            kv: if run.kv_fp8 { "fp8" } else { "f16" }.into(),
            ctx: len.to_string(),
            batch: seqs.to_string(),
            util: util.to_string(),
            vllm_version: version.to_string(),
            batched_tokens: batched(run, len, seqs).to_string(),
            block_size: run.block_size.map(|b| b.to_string()).unwrap_or_default(),
            tp: run.tp.to_string(),
            images: "1".into(),
            ..Request::default()
        };
        let r = report(&request).ok()?;
        let v = r.vllm?;
        Some(BudgetCheck {
            id: run.id.clone(),
            budget_gib: v.ranks.first().map_or(0.0, |r| r.requested_bytes as f64 / GIB),
            weights_gib: v.binding.weights_bytes as f64 / GIB,
            activation_gib: v.binding.activation_bytes as f64 / GIB,
            kv_gib: v.binding.kv_cache_bytes as f64 / GIB,
            tokens: v.kv_cache_tokens,
            logged_weights_gib: run.logged_weights_gib,
            logged_activation_gib: run.logged_activation_gib,
            logged_kv_gib: run.logged_kv_gib,
            logged_tokens: run.logged_tokens,
        })
    }
}

#[allow(dead_code)]
mod vllm_mm {
    use super::vllm_runs::{batched, runs, version, Run};
    use vramfit::estimate::names::resolve;
    use vramfit::estimate::vllm::profile::{mm_budget, MmBudget};
    use vramfit::estimate::vllm::VllmArgs;
    use vramfit::estimate::memory::Engine;
    use vramfit::estimate::RunSettings;

    /// The encoder budget and dummy images vramfit derives for a run that
    /// logged them, beside the logged ones.
    pub fn mm_check(run: &Run) -> Option<(MmBudget, (u64, u64, String))> {
        let logged = run.logged_encoder.clone()?;
        let spec = resolve(run.model.as_ref()?).ok()?.model.load().ok()?.spec;
        let len = run.max_model_len.unwrap_or(spec.n_ctx_train);
        let seqs = run.max_num_seqs.unwrap_or(256);
        let s = RunSettings {
            engine: Engine::Vllm,
            n_ctx: len,
            n_seq: seqs,
            images: run.limit_images.unwrap_or(1),
            max_num_batched_tokens: batched(run, len, seqs),
            vllm: VllmArgs {
                version: version(run),
                ..VllmArgs::default()
            },
            ..RunSettings::default()
        };
        Some((mm_budget(&spec, &s)?, logged))
    }

    pub fn checks() -> Vec<(String, MmBudget, (u64, u64, String))> {
        runs()
            .iter()
            .filter_map(|r| mm_check(r).map(|(b, l)| (r.id.clone(), b, l)))
            .collect()
    }
}
