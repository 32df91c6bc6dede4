// Published measured fine-tuning peaks (tests/data/measured/
// training_peaks.json, each with its URL) as vramfit training requests, and
// what vramfit predicts for them: shared by tests/training_measured.rs and
// the accuracy bench (`include!`d).

#[allow(dead_code)]
mod training_cases {
    use serde_json::Value;
    use vramfit::report::train::{train_report, TrainRequest};

    pub const ROWS: &str = include_str!("measured/training_peaks.json");

    /// One published run vramfit can express.
    #[derive(Debug, Clone)]
    pub struct Case {
        pub id: String,
        pub url: String,
        pub tool: String,
        pub model: String,
        pub method: String,
        pub checkpointing: bool,
        /// The measured peak in bytes and what it measured (`allocated`,
        /// `reserved`).
        pub measured: f64,
        pub metric: &'static str,
        pub request: TrainRequest,
        /// vramfit's allocated peak for the request.
        pub predicted: f64,
        /// Why the row is shown but not in the medians: its peak is not a
        /// training step's, or the tool does what vramfit does not model.
        pub excluded: Option<&'static str>,
    }

    impl Case {
        pub fn error(&self) -> f64 {
            self.predicted / self.measured - 1.0
        }
    }

    /// LitGPT's and torchtune's LoRA target names → the modules vramfit
    /// knows (LitGPT's `q`/`k`/`v` are slices of one fused Linear; peft
    /// counts them the same).
    fn targets(lora: &Value) -> Option<String> {
        let mut out: Vec<&str> = Vec::new();
        for t in lora["targets"].as_array()? {
            let t = t.as_str()?;
            match t {
                "q" | "q_proj" => out.push("q_proj"),
                "k" | "k_proj" => out.push("k_proj"),
                "v" | "v_proj" => out.push("v_proj"),
                "attn_out_proj" | "output_proj" | "o_proj" => out.push("o_proj"),
                "mlp" => out.extend(["gate_proj", "up_proj", "down_proj"]),
                "w1" | "gate_proj" => out.push("gate_proj"),
                "w2" | "down_proj" => out.push("down_proj"),
                "w3" | "up_proj" => out.push("up_proj"),
                "query_key_value" => out.push("qkv_proj"),
                // The output layer's adapter: small beside the rest.
                t if t.starts_with("lm_head") => {}
                _ => return None,
            }
        }
        Some(out.join(","))
    }

    pub fn cases() -> Vec<Case> {
        let doc: Value = serde_json::from_str(ROWS).unwrap();
        let mut out = Vec::new();
        for row in doc["rows"].as_array().unwrap() {
            let text = |k: &str| row[k].as_str().unwrap_or_default().to_string();
            let tool = text("tool");
            let litgpt = tool.starts_with("litgpt") || tool.starts_with("lit-gpt");
            let torchtune = tool.starts_with("torchtune");
            // unsloth's own kernels and offloaded checkpoints, and runs whose
            // sequence length or settings are not printed, are not expressible.
            let Some(seq) = row["seq_len"].as_u64() else { continue };
            if row["kind"] != "measured" || !(litgpt || torchtune) {
                continue;
            }
            let id = text("id");
            // torchtune's flag table is cumulative after `packed`: compile,
            // optimizer-in-backward, offload are not modelled.
            if id.starts_with("torchtune-3b-flags-") && !id.ends_with("packed") && !id.ends_with("chunkedce") {
                continue;
            }
            if id.contains("pr961") {
                continue; // optimizer in the backward pass: not modelled
            }
            let mut r = TrainRequest::default();
            r.set("model", text("model"));
            let method = text("method");
            r.set("method", method.clone());
            let precision = text("precision");
            r.set(
                "precision",
                match () {
                    _ if precision.starts_with("bf16-true") || precision.starts_with("bf16") && !precision.contains("mixed") => "bf16",
                    _ if precision.starts_with("fp32") => "fp32",
                    _ if precision.contains("bf16-mixed") => "amp-bf16",
                    _ => "amp-fp16",
                }
                .into(),
            );
            let optimizer = text("optimizer");
            let opt = match () {
                _ if optimizer.starts_with("paged-adamw-32bit") => "paged-adamw",
                _ if optimizer.starts_with("paged-adamw-8bit") => "paged-adamw-8bit",
                _ if optimizer.starts_with("adamw-8bit") => "adamw-8bit",
                _ if optimizer.starts_with("adamw") => "adamw",
                _ => continue,
            };
            r.set("optimizer", opt.into());
            if let Some(lora) = row["lora"].as_object().map(|_| &row["lora"]) {
                let Some(t) = targets(lora) else { continue };
                r.set("lora_targets", t);
                r.set("lora_rank", lora["r"].as_u64().unwrap_or(8).to_string());
                r.set("lora_dropout", lora["dropout"].as_f64().unwrap_or(0.0).to_string());
                // LitGPT and torchtune keep adapters in the model's dtype.
                r.set("lora_dtype", "bf16".into());
            }
            let quant = text("quantization");
            r.set("double_quant", if quant.contains("no double") || quant.ends_with("nf4") && !quant.contains("double") { "off" } else { "on" }.into());
            if litgpt && !quant.contains("double-quant") {
                r.set("double_quant", "off".into());
            }
            r.set("kbit_prepare", "off".into());
            // LitGPT pinned bitsandbytes 0.42.0 through 2024 (its QLoRA
            // tables predate 0.43.2, when the 4-bit matmul stopped keeping
            // its input).
            if litgpt {
                r.set("bitsandbytes", "0.42.0".into());
            }
            let ckpt = row["gradient_checkpointing"].as_bool().unwrap_or(false);
            r.set("grad_checkpointing", if ckpt { "on" } else { "off" }.into());
            let b = row["micro_batch"].as_u64().unwrap_or(1);
            r.set("micro_batch", b.to_string());
            r.set("seq", seq.to_string());
            // LitGPT's fine-tuning scripts compute the loss in chunks of 128
            // tokens; torchtune's chunked-CE row in 8 chunks.
            if litgpt {
                r.set("loss_chunks", (b * seq).div_ceil(128).to_string());
            } else if id.ends_with("chunkedce") {
                r.set("loss_chunks", "8".into());
            }
            let gpus = row["gpu_count"].as_u64().unwrap_or(1);
            r.set("gpus", format!("{gpus}x80GB"));
            if text("sharding").starts_with("fsdp") {
                r.set("fsdp", "full".into());
            }
            let unit = text("peak_unit");
            let peak = row["peak_gb"].as_f64().unwrap_or(0.0);
            let measured = if unit.starts_with("GiB") || unit.contains("/1024**3") {
                peak * (1u64 << 30) as f64
            } else {
                peak * 1e9
            };
            let metric_text = text("peak_metric");
            let metric = if metric_text.contains("reserved") {
                "reserved"
            } else if metric_text.contains("allocated") || metric_text.contains("active") {
                "allocated"
            } else {
                continue;
            };
            let Ok(report) = train_report(&r) else { continue };
            let excluded = if text("note").contains("peak reserved after model init") {
                Some("the peak is at model loading (its note: 9.13 GB right after init)")
            } else if litgpt && text("sharding").starts_with("fsdp") {
                Some("lit-gpt 2023's FSDP: two GPUs use more than one does, the frozen weights are not sharded the way FSDP shards")
            } else {
                None
            };
            out.push(Case {
                excluded,
                url: text("url"),
                model: text("model"),
                method,
                checkpointing: ckpt,
                measured,
                metric,
                predicted: report.devices[0].allocated_peak_bytes as f64,
                request: r,
                tool,
                id,
            });
        }
        out
    }

    /// Median of |error| over `cases` not excluded.
    pub fn median_error(cases: &[&Case]) -> Option<f64> {
        let mut e: Vec<f64> = cases
            .iter()
            .filter(|c| c.excluded.is_none())
            .map(|c| c.error().abs())
            .collect();
        vramfit::plan::speed::median(&mut e)
    }
}
