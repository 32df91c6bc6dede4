//! vLLM: `vllm serve`, the API server module, docker and `LLM(...)`.

use super::*;

/// vLLM's long flags, for argparse's unique-prefix abbreviations.
pub(super) const VLLM_FLAGS: &[&str] = &[
    "--model",
    "--max-model-len",
    "--max-num-seqs",
    "--gpu-memory-utilization",
    "--tensor-parallel-size",
    "--pipeline-parallel-size",
    "--data-parallel-size",
    "--kv-cache-dtype",
    "--quantization",
    "--dtype",
    "--max-num-batched-tokens",
    "--block-size",
    "--enforce-eager",
    "--cpu-offload-gb",
    "--limit-mm-per-prompt",
    "--served-model-name",
];

/// vLLM flags that take no value.
pub(super) const VLLM_SWITCHES: &[&str] = &[
    "--trust-remote-code",
    "--enforce-eager",
    "--enable-prefix-caching",
    "--no-enable-prefix-caching",
    "--enable-chunked-prefill",
    "--no-enable-chunked-prefill",
    "--disable-log-requests",
    "--disable-log-stats",
    "--enable-log-requests",
    "--enable-auto-tool-choice",
    "--enable-reasoning",
    "--disable-custom-all-reduce",
    "--enable-expert-parallel",
    "--enable-lora",
    "--async-scheduling",
    "--skip-tokenizer-init",
    "--disable-frontend-multiprocessing",
    "--headless",
    "--disable-sliding-window",
    "--enable-sleep-mode",
    "--disable-cascade-attn",
    "--enable-eplb",
    "--disable-uvicorn-access-log",
    "--enable-prompt-tokens-details",
    "--enable-force-include-usage",
];

impl Parser {
    pub(super) fn vllm(&mut self, args: &[String]) {
        let mut f = Flags::new(args);
        let mut model = None;
        while let Some((flag, inline)) = f.next_word() {
            if !flag.starts_with('-') || flag.parse::<f64>().is_ok() {
                if model.is_none() {
                    model = Some(flag);
                } else {
                    self.ignore(flag);
                }
                continue;
            }
            let mut name = if flag.starts_with("--") {
                flag.replace('_', "-")
            } else {
                flag.clone()
            };
            if !VLLM_FLAGS.contains(&name.as_str()) && name.starts_with("--") {
                let matches: Vec<&&str> =
                    VLLM_FLAGS.iter().filter(|f| f.starts_with(&name)).collect();
                if let [only] = matches.as_slice() {
                    name = only.to_string();
                }
            }
            let value = match name.as_str() {
                "--enforce-eager" => {
                    let v = f.value_if(inline, |w| {
                        matches!(w.to_ascii_lowercase().as_str(), "true" | "false")
                    });
                    Some(v.unwrap_or_else(|| "true".into()))
                }
                _ if VLLM_SWITCHES.contains(&name.as_str()) => {
                    self.ignore(flag);
                    continue;
                }
                _ => f.value_if(inline, not_a_flag),
            };
            if name == "--model" {
                model = value;
                continue;
            }
            if !self.vllm_option(&name, value.as_deref()) {
                self.ignore(match value {
                    Some(v) => format!("{flag} {v}"),
                    None => flag,
                });
            }
        }
        self.vllm_finish(model);
    }

    /// One vLLM option (a flag, or a Python keyword as `--keyword`);
    /// `false` when it does not concern memory.
    pub(super) fn vllm_option(&mut self, name: &str, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return false;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        match name {
            "--max-model-len" => match count(value) {
                Some(n) if n > 0 => self.ctx(n, 1),
                _ => self.note(format!("--max-model-len {value} is not a token count")),
            },
            "--max-num-seqs" => {
                if let Some(n) = count(value).filter(|&n| n > 0) {
                    self.set("batch", n.min(crate::plan::search::MAX_BATCH).to_string());
                }
            }
            "--gpu-memory-utilization" => self.set("util", value),
            "-tp" | "--tensor-parallel-size" => self.set("tp", value),
            "-pp" | "--pipeline-parallel-size" => self.set("pp", value),
            "-dp" | "--data-parallel-size" => self.note(format!(
                "data parallel {value}: each replica is planned alone"
            )),
            "--kv-cache-dtype" => {
                let v = value.to_ascii_lowercase();
                if v.starts_with("fp8") {
                    self.set("kv", "fp8");
                } else if v != "auto" {
                    self.note(format!("--kv-cache-dtype {value} is planned as f16"));
                }
            }
            "-q" | "--quantization" => {
                let v = value.to_ascii_lowercase();
                let w = match v.as_str() {
                    "awq" | "awq-marlin" | "awq_marlin" => "awq",
                    "gptq" | "gptq-marlin" | "gptq_marlin" => "gptq",
                    "fp8" => "fp8",
                    "bitsandbytes" => "nf4",
                    "mxfp4" => "mxfp4",
                    _ => {
                        self.note(format!(
                            "--quantization {value}: the format is read from the checkpoint's name or config"
                        ));
                        return true;
                    }
                };
                self.set("weights", w);
            }
            "--dtype" => {
                let w = match value.to_ascii_lowercase().as_str() {
                    "half" | "float16" | "fp16" => "fp16",
                    "bfloat16" | "bf16" => "bf16",
                    "float" | "float32" | "fp32" => "fp32",
                    _ => return true,
                };
                self.dtype(w);
            }
            "--max-num-batched-tokens" => {
                if let Some(n) = count(value) {
                    self.set("batched_tokens", n.to_string());
                }
            }
            "--block-size" => self.set("block_size", value),
            "--enforce-eager" => {
                let on = !value.eq_ignore_ascii_case("false");
                self.set("eager", if on { "on" } else { "off" });
            }
            "--cpu-offload-gb" => {
                if value.parse::<f64>().is_ok_and(|g| g > 0.0) {
                    self.set("offload", "on");
                    self.note(format!(
                        "--cpu-offload-gb {value}: {value} GB of weights per GPU stay in host memory; vramfit plans CPU offload by layers instead"
                    ));
                }
            }
            "--limit-mm-per-prompt" => self.images(value),
            "--served-model-name" => {
                self.ignore(format!("--served-model-name {value}"));
            }
            _ => return false,
        }
        true
    }

    /// `--dtype`: the weights' format when the checkpoint is not quantized.
    pub(super) fn dtype(&mut self, weights: &str) {
        if self.request.weights.is_empty() {
            self.request.weights = format!("dtype:{weights}");
        }
    }

    /// `{"image": 2}`, `image=2,video=1`: images per request.
    pub(super) fn images(&mut self, value: &str) {
        let cleaned: String = value
            .chars()
            .map(|c| {
                if matches!(c, '{' | '}' | '"' | '\'') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        for item in cleaned.split(',') {
            let Some((k, v)) = item.split_once([':', '=']) else {
                continue;
            };
            if k.trim() == "image" {
                if let Ok(n) = v.trim().parse::<u64>() {
                    self.set("images", n.min(64).to_string());
                }
            }
        }
    }

    pub(super) fn vllm_finish(&mut self, model: Option<String>) {
        self.tool = Some(Tool::Vllm);
        // `--dtype` counts only when neither the flags nor the name say how
        // the weights are quantized.
        let dtype = self
            .request
            .weights
            .strip_prefix("dtype:")
            .map(str::to_string);
        if dtype.is_some() {
            self.request.weights.clear();
        }
        match model {
            Some(m) => self.model(&m),
            None => self.note("no model in the command: vramfit's default model is kept".into()),
        }
        if let Some(w) = dtype {
            if plain_checkpoint(&self.request.model) {
                self.set("weights", w);
            }
        }
        if !self.ctx_given {
            if let Some((_, train)) = self.model {
                self.ctx(train, 1);
                self.note(format!(
                    "--max-model-len not given: vLLM uses the model's {train}-token context"
                ));
            }
        }
        let tp = self.request.tp.trim().parse::<u64>().unwrap_or(1).max(1);
        let pp = self.request.pp.trim().parse::<u64>().unwrap_or(1).max(1);
        if !self.request.tp.is_empty() || !self.request.pp.is_empty() {
            self.more_gpus(tp.saturating_mul(pp));
        }
        self.visible_devices();
    }

    /// A Python `LLM(...)` call: its keywords are vLLM's flags.
    pub(super) fn vllm_python(&mut self, text: &str, call: &Call) {
        self.tool = Some(Tool::Vllm);
        let mut model = call.positional.first().map(|v| python_string(text, v));
        for (k, v) in &call.keywords {
            if k == "model" {
                model = Some(python_string(text, v));
                continue;
            }
            let name = format!("--{}", k.replace('_', "-"));
            let value = match v.as_str() {
                "True" => "true".to_string(),
                "False" => "false".to_string(),
                _ if name == "--limit-mm-per-prompt" => v.clone(),
                _ => python_string(text, v),
            };
            if name == "--enforce-eager" && value == "false" {
                continue;
            }
            if !self.vllm_option(&name, Some(&value)) {
                self.ignore(format!("{k}={v}"));
            }
        }
        self.vllm_finish(model);
    }
}
