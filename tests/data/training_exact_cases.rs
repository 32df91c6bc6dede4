// Fine-tuning memory's exact parts against PyTorch itself (tests/data/
// measured/training_exact.json, written by tests/bench/training_exact.py):
// the comparisons, shared by tests/training.rs and the accuracy bench
// (`include!`d).

#[allow(dead_code)]
mod training_exact_cases {
    use serde_json::Value;
    use vramfit::report::{validate, Request};
    use vramfit::train::optimizer::Optimizer;
    use vramfit::train::params::Targets;
    use vramfit::train::{self, Method, Precision, TrainSettings};

    pub const EXACT: &str = include_str!("measured/training_exact.json");

    pub fn spec_of(model: &str) -> vramfit::estimate::model::ModelSpec {
        let mut r = Request::default();
        r.set("model", model.into());
        r.set("engine", "transformers".into());
        r.set("weights", "bf16".into());
        validate(&r).unwrap().spec
    }


    /// The settings a row's method names (`full-bf16`, `lora-r8-qv`,
    /// `qlora-r16-all-prepared`…), on a bf16 base for adapters.
    pub fn settings(method: &str, row: &Value) -> TrainSettings {
        let mut s = TrainSettings::default();
        let lora = &row["lora"];
        if method.starts_with("full") {
            s.method = Method::Full;
            s.precision = if method.contains("bf16") { Precision::Bf16 } else { Precision::Fp32 };
            s.freeze_vision = false;
            return s;
        }
        s.method = if method.starts_with("qlora") { Method::Qlora } else { Method::Lora };
        s.kbit_prepare = method.ends_with("prepared");
        s.precision = if method.ends_with("fp32") { Precision::Fp32 } else { Precision::AmpBf16 };
        s.lora.r = lora["r"].as_u64().unwrap();
        s.lora.targets = match &lora["targets"] {
            Value::String(t) => Targets::parse(t),
            Value::Array(a) => Targets::Modules(a.iter().map(|v| v.as_str().unwrap().to_string()).collect()),
            _ => panic!("targets"),
        };
        s.lora.adapter_bytes = if lora["dtype"] == "bfloat16" { 2 } else { 4 };
        s
    }

    pub fn opt(name: &str) -> Option<Optimizer> {
        Some(match name {
            "adamw" => Optimizer::AdamW,
            "adamw_8bit" => Optimizer::AdamW8bit,
            "paged_adamw" => Optimizer::PagedAdamW,
            "paged_adamw_8bit" => Optimizer::PagedAdamW8bit,
            "adafactor" => Optimizer::Adafactor,
            "sgd" => Optimizer::Sgd,
            "sgd_momentum" => Optimizer::SgdMomentum,
            "lion" => Optimizer::Lion,
            "lion_8bit" => Optimizer::Lion8bit,
            _ => return None,
        })
    }

    pub fn sum(v: &Value) -> u64 {
        v.as_object().map_or(0, |o| o.values().map(|x| x.as_u64().unwrap_or(0)).sum())
    }

    pub fn spec_of_config(config: &Value) -> vramfit::estimate::model::ModelSpec {
        let mut r = Request::default();
        r.set("config", config.to_string());
        r.set("engine", "transformers".into());
        r.set("weights", "bf16".into());
        validate(&r).unwrap().spec
    }


    /// Every model-state comparison: how many were made, and those that
    /// differ (`id what: vramfit n, PyTorch m`).
    pub fn state_checks() -> (usize, Vec<String>) {
        let doc: Value = serde_json::from_str(EXACT).unwrap();
        let mut wrong = Vec::new();
        let mut checked = 0;
        for row in doc["states"].as_array().unwrap() {
            let Some(trainable) = row["trainable_params"].as_u64() else { continue };
            let id = row["id"].as_str().unwrap();
            let spec = spec_of(row["model"].as_str().unwrap());
            let method = row["method"].as_str().unwrap();
            let mut s = settings(method, row);
            let mut check = |what: &str, ours: u64, theirs: u64| {
                checked += 1;
                if ours != theirs {
                    wrong.push(format!("{id} {what}: vramfit {ours}, PyTorch {theirs}"));
                }
            };
            let st = train::states(&spec, &s);
            check("trainable", st.trainable, trainable);
            check("frozen", st.frozen, row["frozen_params"].as_u64().unwrap());
            check("trainable bytes", st.trainable_bytes, sum(&row["param_bytes"]["trainable"]));
            // 4-bit weights: the packed parameter plus its quantization
            // state (absmax, nested absmax, offset, codes), not parameters.
            let quant_state = row["quant"]["storage_bytes_total"].as_u64().map_or(0, |t| {
                t - row["quant"]["storage_bytes"]["packed_uint8"].as_u64().unwrap()
            });
            check("frozen bytes", st.frozen_bytes, sum(&row["param_bytes"]["frozen"]) + quant_state);
            check("grads", st.grads, row["grad_bytes"].as_u64().unwrap());
            for (name, bytes) in row["optimizer_bytes"].as_object().unwrap() {
                let Some(o) = opt(name) else { continue };
                s.optimizer = o;
                let ours = train::states(&spec, &s).optimizer;
                let theirs = bytes.as_u64().unwrap() + row["optimizer_step_bytes"][name].as_u64().unwrap_or(0);
                check(name, ours, theirs);
            }
        }
        (checked, wrong)
    }

    /// One forward pass of a tiny real model: what vramfit and autograd's
    /// saved-tensor hooks count.
    #[derive(Debug, Clone)]
    pub struct ActCase {
        pub id: String,
        pub family: String,
        pub attn: String,
        pub batch: u64,
        pub seq: u64,
        pub checkpointing: bool,
        pub ours: u64,
        pub theirs: u64,
    }

    impl ActCase {
        pub fn error(&self) -> f64 {
            self.ours as f64 / self.theirs as f64 - 1.0
        }
    }

    pub fn activation_cases() -> Vec<ActCase> {
        let doc: Value = serde_json::from_str(EXACT).unwrap();
        let mut out = Vec::new();
        for row in doc["small"].as_array().unwrap() {
            let id = row["id"].as_str().unwrap();
            let spec = spec_of_config(&row["config"]);
            let method = row["method"].as_str().unwrap();
            let mut s = settings(method, row);
            s.precision = match (method.starts_with("full"), row["param_dtype"].as_str()) {
                (_, Some("float32")) => Precision::Fp32,
                _ => Precision::Bf16,
            };
            for a in row["activations"].as_array().unwrap() {
                s.micro_batch = a["batch"].as_u64().unwrap();
                s.seq = a["seq"].as_u64().unwrap();
                s.grad_checkpointing = a["gradient_checkpointing"].as_bool().unwrap();
                s.attn = if a["attn"] == "eager" {
                    vramfit::train::activations::AttnImpl::Eager
                } else {
                    vramfit::train::activations::AttnImpl::Sdpa
                };
                out.push(ActCase {
                    id: id.into(),
                    family: row["family"].as_str().unwrap_or_default().into(),
                    attn: a["attn"].as_str().unwrap_or_default().into(),
                    batch: s.micro_batch,
                    seq: s.seq,
                    checkpointing: s.grad_checkpointing,
                    ours: train::activations(&spec, &s).forward,
                    theirs: a["saved_bytes"].as_u64().unwrap(),
                });
            }
        }
        out
    }
}
