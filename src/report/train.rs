//! "Can I fine-tune it?": one training request in, one report out — the
//! shell the CLI's `vramfit train`, the app's Fine-tune mode and the JS
//! API's `vramfit.train` share. Fields are strings as typed, like
//! [`super::Request`]'s.

use serde::Serialize;

use super::{validate, InputError, Request};
use crate::train::activations::AttnImpl;
use crate::train::optimizer::Optimizer;
use crate::train::params::Targets;
use crate::train::{self, DeviceTrain, Method, Offload, Precision, Sharding, TrainSettings};
use crate::units::parse_size;

/// Every field, its default and what it means (the CLI's help, the link's
/// keys and the JS API's names).
pub const FIELDS: &[(&str, &str, &str)] = &[
    ("model", "llama-3.1-8b", "catalog id, alias or repository name"),
    ("config", "", "a pasted config.json (used instead of model)"),
    ("gpus", "rtx-4090", "GPU list: 2xrtx-4090, 80GB, 8xh100-sxm"),
    ("method", "lora", "full, lora or qlora"),
    ("lora_rank", "16", "LoRA rank r"),
    ("lora_alpha", "32", "LoRA alpha"),
    ("lora_targets", "all-linear", "all-linear or module names: q_proj,v_proj"),
    ("lora_dropout", "0", "LoRA dropout (peft's default 0; recipes often 0.05: each adapter then keeps its dropped input and a mask)"),
    ("lora_dtype", "", "adapter dtype: fp32 (peft's default) or bf16; empty: bf16 under --precision bf16, else fp32"),
    ("optimizer", "adamw", "adamw, adamw-8bit, paged-adamw, paged-adamw-8bit, adafactor, sgd, sgd-momentum, lion, lion-8bit"),
    ("precision", "amp-bf16", "fp32, amp-bf16, amp-fp16 or bf16 (pure)"),
    ("micro_batch", "1", "sequences per GPU per step"),
    ("seq", "2048", "tokens per sequence"),
    ("grad_checkpointing", "on", "recompute each layer in the backward pass"),
    ("attn", "sdpa", "sdpa (or flash attention) or eager"),
    ("loss_chunks", "1", "cross-entropy in this many chunks"),
    ("activation_offload", "off", "checkpointed activations in host memory"),
    ("freeze_embeddings", "off", "full fine-tuning without training the embeddings"),
    ("freeze_vision", "on", "a vision-language model's image tower stays frozen"),
    ("double_quant", "on", "QLoRA: double-quantized absmax"),
    ("bitsandbytes", "0.50.2", "QLoRA: the bitsandbytes release (before 0.43.2 its 4-bit matmul kept each layer's input)"),
    ("kbit_prepare", "on", "QLoRA: peft's prepare_model_for_kbit_training (non-4-bit weights in float32)"),
    ("zero", "", "DeepSpeed ZeRO stage 0-3"),
    ("fsdp", "", "FSDP: full or hybrid"),
    ("offload", "none", "none, optimizer or params"),
    ("overhead", "700MiB", "CUDA context and allocator slack per GPU"),
];

/// Raw training input, every field a string as typed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrainRequest {
    values: Vec<(String, String)>,
}

impl Default for TrainRequest {
    fn default() -> Self {
        TrainRequest {
            values: FIELDS
                .iter()
                .map(|(k, d, _)| (k.to_string(), d.to_string()))
                .collect(),
        }
    }
}

impl TrainRequest {
    /// Sets a field; `false` for a name that is not one.
    pub fn set(&mut self, field: &str, value: String) -> bool {
        match self.values.iter_mut().find(|(k, _)| k == field) {
            Some(slot) => {
                slot.1 = value;
                true
            }
            None => false,
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.values
            .iter()
            .find(|(k, _)| k == field)
            .map(|(_, v)| v.as_str())
    }

    fn text(&self, field: &str) -> &str {
        self.get(field).unwrap_or_default().trim()
    }

    /// The fields that differ from their defaults (for links).
    pub fn changed(&self) -> Vec<(&str, &str)> {
        self.values
            .iter()
            .zip(FIELDS)
            .filter(|((_, v), (_, d, _))| v != d)
            .map(|((k, v), _)| (k.as_str(), v.as_str()))
            .collect()
    }

    /// A request from a JSON object with these field names (the JS API's
    /// input); numbers and booleans as they come, the GPU list as a list.
    pub fn from_json(value: &serde_json::Value) -> Result<TrainRequest, String> {
        let serde_json::Value::Object(fields) = value else {
            return Err("the input must be an object like {\"model\": \"llama-3.1-8b\", \"gpus\": \"rtx-4090\", \"method\": \"qlora\"}".into());
        };
        let mut r = TrainRequest::default();
        for (key, value) in fields {
            let Some(text) = super::json_field_text(key, value)? else {
                continue;
            };
            if !r.set(key, text) {
                let names: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
                return Err(format!(
                    "unknown field `{key}`; fields are {}",
                    names.join(", ")
                ));
            }
        }
        Ok(r)
    }
}

/// A fine-tuning report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainReport {
    pub model: String,
    /// The repository the launch configs load.
    pub model_ref: String,
    pub settings: TrainSettings,
    pub trainable_params: u64,
    pub frozen_params: u64,
    pub devices: Vec<DeviceTrain>,
    pub fits: bool,
    pub shortfall_bytes: u64,
    /// What the offload keeps in host memory per GPU.
    pub host_bytes: u64,
    /// The longest sequence (a multiple of 64) and the largest micro-batch
    /// that fit with the other settings as given.
    pub max_seq: Option<u64>,
    pub max_micro_batch: Option<u64>,
    /// Launch configs by name (accelerate, DeepSpeed, transformers + peft,
    /// torchtune), in that order; an object keyed by name in JSON.
    #[serde(serialize_with = "named")]
    pub launch: Vec<(String, String)>,
    pub notes: Vec<String>,
}

/// A named choice: the value one of whose spellings is the text (any case,
/// `_` read as `-`).
fn pick<T: Copy>(
    field: &'static str,
    text: &str,
    table: &[(&[&str], T)],
    choices: &'static str,
) -> Result<T, InputError> {
    let key = text.trim().to_ascii_lowercase().replace('_', "-");
    table
        .iter()
        .find(|(names, _)| names.contains(&key.as_str()))
        .map(|(_, v)| *v)
        .ok_or(InputError::Choice {
            field,
            text: text.into(),
            choices,
        })
}

/// The typed settings of `r`: every faulty field's error.
pub fn train_settings(r: &TrainRequest) -> Result<TrainSettings, Vec<InputError>> {
    let mut errors = Vec::new();
    let mut s = TrainSettings::default();
    let mut take = |e: Result<(), InputError>| {
        if let Err(e) = e {
            errors.push(e);
        }
    };
    take(
        pick(
            "method",
            r.text("method"),
            &[
                (&["full", ""], Method::Full),
                (&["lora"], Method::Lora),
                (&["qlora"], Method::Qlora),
            ],
            "full, lora, qlora",
        )
        .map(|v| s.method = v),
    );
    take(super::count("lora_rank", r.text("lora_rank"), 4096).map(|v| s.lora.r = v));
    take(super::count("lora_alpha", r.text("lora_alpha"), 1 << 20).map(|v| s.lora.alpha = v));
    s.lora.targets = Targets::parse(r.text("lora_targets"));
    take(
        r.text("lora_dropout")
            .parse::<f64>()
            .ok()
            .filter(|d| (0.0..1.0).contains(d))
            .map(|d| s.lora.dropout = d)
            .ok_or(InputError::Choice {
                field: "lora_dropout",
                text: r.text("lora_dropout").into(),
                choices: "a fraction from 0 up to (not including) 1, such as 0.05",
            }),
    );
    take(
        pick(
            "precision",
            r.text("precision"),
            &[
                (&["fp32", "32", "float32"], Precision::Fp32),
                (&["amp-bf16", "bf16-mixed", "amp"], Precision::AmpBf16),
                (
                    &["amp-fp16", "fp16", "16-mixed", "fp16-mixed"],
                    Precision::AmpFp16,
                ),
                (&["bf16", "bf16-true", "pure-bf16"], Precision::Bf16),
            ],
            "fp32, amp-bf16, amp-fp16, bf16",
        )
        .map(|v| s.precision = v),
    );
    // Empty: bf16 adapters under pure bf16, else peft's float32.
    let adapter_default = if s.precision == Precision::Bf16 { 2 } else { 4 };
    take(
        pick(
            "lora_dtype",
            r.text("lora_dtype"),
            &[
                (&[""], adapter_default),
                (&["fp32", "float32"], 4),
                (&["bf16", "bfloat16", "fp16", "float16"], 2),
            ],
            "fp32, bf16",
        )
        .map(|v| s.lora.adapter_bytes = v),
    );
    take(
        r.text("optimizer")
            .parse::<Optimizer>()
            .map(|o| s.optimizer = o)
            .map_err(|_| InputError::Choice {
                field: "optimizer",
                text: r.text("optimizer").into(),
                choices: "adamw, adamw-8bit, paged-adamw, paged-adamw-8bit, adafactor, sgd, sgd-momentum, lion, lion-8bit",
            }),
    );
    take(super::count("micro_batch", r.text("micro_batch"), 4096).map(|v| s.micro_batch = v));
    take(super::count("seq", r.text("seq"), 1 << 24).map(|v| s.seq = v));
    take(
        super::switch("grad_checkpointing", r.text("grad_checkpointing"))
            .map(|v| s.grad_checkpointing = v),
    );
    take(
        pick(
            "attn",
            r.text("attn"),
            &[
                (
                    &[
                        "sdpa",
                        "flash",
                        "flash-attention-2",
                        "flash-attention",
                        "fa2",
                        "",
                    ],
                    AttnImpl::Sdpa,
                ),
                (&["eager"], AttnImpl::Eager),
            ],
            "sdpa, eager",
        )
        .map(|v| s.attn = v),
    );
    take(super::count("loss_chunks", r.text("loss_chunks"), 1024).map(|v| s.loss_chunks = v));
    take(
        super::switch("activation_offload", r.text("activation_offload"))
            .map(|v| s.activation_offload = v),
    );
    take(
        super::switch("freeze_embeddings", r.text("freeze_embeddings"))
            .map(|v| s.freeze_embeddings = v),
    );
    take(super::switch("freeze_vision", r.text("freeze_vision")).map(|v| s.freeze_vision = v));
    take(super::switch("double_quant", r.text("double_quant")).map(|v| s.double_quant = v));
    take(super::switch("kbit_prepare", r.text("kbit_prepare")).map(|v| s.kbit_prepare = v));
    take((|| {
        let text = r.text("bitsandbytes");
        let parts: Vec<Option<u32>> = text
            .trim_start_matches('v')
            .split('.')
            .map(|p| p.parse().ok())
            .collect();
        s.bitsandbytes = match parts.as_slice() {
            [Some(a), Some(b)] => [*a, *b, 0],
            [Some(a), Some(b), Some(c)] => [*a, *b, *c],
            _ => {
                return Err(InputError::Choice {
                    field: "bitsandbytes",
                    text: text.into(),
                    choices: "a release such as 0.42.0 or 0.50.2",
                })
            }
        };
        Ok(())
    })());
    take((|| {
        let fsdp = pick(
            "fsdp",
            r.text("fsdp"),
            &[
                (&["", "off", "none"], None),
                (&["full", "full-shard"], Some(Sharding::FsdpFull)),
                (&["hybrid", "hybrid-shard"], Some(Sharding::FsdpHybrid)),
            ],
            "full, hybrid",
        )?;
        s.sharding = match (r.text("zero"), fsdp) {
            ("" | "0", None) => Sharding::None,
            ("" | "0", Some(f)) => f,
            (z, None) => match z.parse::<u8>() {
                Ok(stage @ 1..=3) => Sharding::Zero(stage),
                _ => {
                    return Err(InputError::Count {
                        field: "zero",
                        text: z.into(),
                        min: 0,
                        max: 3,
                    })
                }
            },
            (_, Some(_)) => {
                return Err(InputError::Choice {
                    field: "fsdp",
                    text: r.text("fsdp").into(),
                    choices: "empty when --zero is set (one of the two)",
                })
            }
        };
        Ok(())
    })());
    take((|| {
        s.offload = pick(
            "offload",
            r.text("offload"),
            &[
                (&["", "none", "off"], Offload::None),
                (&["optimizer", "opt"], Offload::Optimizer),
                (&["params", "parameters", "param"], Offload::Params),
            ],
            "none, optimizer, params",
        )?;
        if s.offload == Offload::Params
            && !matches!(
                s.sharding,
                Sharding::Zero(3) | Sharding::FsdpFull | Sharding::FsdpHybrid
            )
        {
            return Err(InputError::Choice {
                field: "offload",
                text: "params".into(),
                choices: "none or optimizer without --zero 3 or --fsdp (parameters offload needs sharded parameters)",
            });
        }
        Ok(())
    })());
    take(
        parse_size(r.text("overhead"))
            .map(|v| s.overhead_per_gpu = v)
            .map_err(|source| InputError::Size {
                field: "overhead",
                source,
            }),
    );
    if errors.is_empty() {
        Ok(s)
    } else {
        Err(errors)
    }
}

/// The report for `r`, or every faulty field's error.
pub fn train_report(r: &TrainRequest) -> Result<TrainReport, Vec<InputError>> {
    let mut model = Request::default();
    model.set("model", r.text("model").into());
    model.set("config", r.text("config").into());
    model.set("gpus", r.text("gpus").into());
    model.set("engine", "transformers".into());
    model.set("weights", "bf16".into());
    let settings = train_settings(r);
    let validated = validate(&model);
    let (s, v) = match (settings, validated) {
        (Ok(s), Ok(v)) => (s, v),
        (Err(mut e), Err(m)) => {
            e.insert(0, m);
            return Err(e);
        }
        (Err(e), _) => return Err(e),
        (_, Err(m)) => return Err(vec![m]),
    };
    let plan = train::plan(&v.spec, &s, &v.gpus);
    let limit = v.spec.n_ctx_train.clamp(64, 1 << 20);
    let max_seq = train::longest_seq(&v.spec, &s, &v.gpus, limit);
    let max_micro_batch = train::largest_micro_batch(&v.spec, &s, &v.gpus, 1024);
    let launch = train::launch::configs(&v.model_ref, &s, v.gpus.len());
    Ok(TrainReport {
        model: v.name.clone(),
        model_ref: v.model_ref.clone(),
        trainable_params: plan.trainable_params,
        frozen_params: plan.frozen_params,
        fits: plan.fits,
        shortfall_bytes: plan.shortfall_bytes,
        host_bytes: plan.host_bytes,
        devices: plan.devices,
        max_seq,
        max_micro_batch,
        launch,
        notes: plan.notes,
        settings: s,
    })
}

/// `[(name, text)]` as a JSON object, keeping the order.
fn named<S: serde::Serializer>(items: &[(String, String)], s: S) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = s.serialize_map(Some(items.len()))?;
    for (k, v) in items {
        map.serialize_entry(k, v)?;
    }
    map.end()
}
