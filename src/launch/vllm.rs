//! `vllm serve` flags for a plan.
//!
//! Checked against vLLM's engine arguments (`docs/configuration/engine_args`,
//! `vllm/engine/arg_utils.py`) and the distributed-serving guide
//! (`docs/serving/parallelism_scaling.md`, `VLLM_PP_LAYER_PARTITION` in
//! `vllm/envs.py`).
//!
//! `--gpu-memory-utilization` is a fraction of each GPU's *total* memory:
//! vLLM budgets `total × utilization` for weights, activations and the KV
//! cache, and fills whatever the rest leaves with KV blocks
//! (`v1/worker/gpu_worker.py`). The command keeps the user's utilisation
//! (vLLM's 0.9 when none is given); the plan's `vllm` block says what KV
//! cache that gives. `--max-num-batched-tokens` is always written, since
//! vLLM's default depends on its release and the GPU.
//!
//! vLLM loads AWQ and GPTQ weights only from a checkpoint quantized that
//! way (FP8 and bitsandbytes can be applied at load): when the model named
//! is not such a checkpoint, the command says one is needed.

use super::{Flag, LaunchContext};
use crate::estimate::format::{TorchDtype, WeightFormat};
use crate::estimate::KvType;

/// The flags and environment variables [`command`] emits.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "--tensor-parallel-size",
        doc: "number of tensor parallel replicas (-tp)",
    },
    Flag {
        name: "--pipeline-parallel-size",
        doc: "number of pipeline stages (-pp)",
    },
    Flag {
        name: "--max-model-len",
        doc: "model context length (prompt and output)",
    },
    Flag {
        name: "--limit-mm-per-prompt",
        doc: "most items per prompt of each modality, as JSON; image 0 skips the vision encoder (text-only mode)",
    },
    Flag {
        name: "--max-num-seqs",
        doc: "maximum number of sequences per iteration",
    },
    Flag {
        name: "--max-num-batched-tokens",
        doc: "maximum number of batched tokens per iteration",
    },
    Flag {
        name: "--block-size",
        doc: "token block size for contiguous chunks of tokens",
    },
    Flag {
        name: "--enforce-eager",
        doc: "always use eager-mode PyTorch (no CUDA graphs)",
    },
    Flag {
        name: "--gpu-memory-utilization",
        doc: "fraction of GPU memory for the model executor, 0 to 1",
    },
    Flag {
        name: "--kv-cache-dtype",
        doc: "data type for the KV cache: auto, fp8, fp8_e4m3, fp8_e5m2",
    },
    Flag {
        name: "--quantization",
        doc: "method used to quantize the weights (-q): fp8, gptq, awq, bitsandbytes…",
    },
    Flag {
        name: "--dtype",
        doc: "data type for weights and activations: auto, half, float16, bfloat16, float32",
    },
    Flag {
        name: "--cpu-offload-gb",
        doc: "GiB of CPU memory per GPU to offload weights to",
    },
    Flag {
        name: "--distributed-executor-backend",
        doc: "backend for distributed serving: ray or mp",
    },
    Flag {
        name: "VLLM_PP_LAYER_PARTITION",
        doc: "env: comma-separated layer counts per pipeline stage",
    },
];

/// The `vllm serve` command line for the plan.
pub fn command(cx: &LaunchContext) -> String {
    let plan = cx.plan;
    let s = &plan.settings;
    let used: Vec<_> = plan.used_devices().collect();
    let utilization = s.vllm.utilization();
    let mut env: Vec<String> = Vec::new();
    if plan.layout.pp > 1 {
        let mut counts: Vec<String> = Vec::new();
        for d in &used {
            if d.stage
                != used
                    .iter()
                    .take_while(|x| x.index != d.index)
                    .last()
                    .and_then(|x| x.stage)
            {
                counts.push(d.layer_count().to_string());
            }
        }
        env.push(format!("VLLM_PP_LAYER_PARTITION={}", counts.join(",")));
    }
    env.extend(cx.visible_devices());
    let mut args = env;
    let needs = match s.weights {
        WeightFormat::Gptq { .. } => Some("GPTQ"),
        WeightFormat::Awq { .. } => Some("AWQ"),
        _ => None,
    };
    let holds_format = crate::estimate::names::resolve(cx.model_ref)
        .is_ok_and(|r| r.format.is_some_and(|f| f.id() == s.weights.id()));
    let mut note = None;
    let model = match needs {
        Some(method) if !holds_format => {
            note = Some(format!(
                "# vLLM loads {method} weights only from a checkpoint quantized with {method}: put an {method} checkpoint of {} (a repository named …-{method}) in place of <{method} checkpoint>\n",
                cx.model_ref
            ));
            format!("<{method} checkpoint>")
        }
        _ => cx.model_ref.to_string(),
    };
    args.push(format!("vllm serve {model}"));
    args.push(format!("--tensor-parallel-size {}", plan.layout.tp));
    if plan.layout.pp > 1 {
        args.push(format!("--pipeline-parallel-size {}", plan.layout.pp));
    }
    args.push(format!("--max-model-len {}", s.n_ctx));
    args.push(format!("--max-num-seqs {}", s.n_seq));
    args.push(format!(
        "--max-num-batched-tokens {}",
        s.max_num_batched_tokens
    ));
    // A model whose processor takes videos is profiled with a video unless
    // it is turned off: vramfit sizes the image budget.
    if let Some(v) = &cx.spec.vision {
        let video = if v.video { ",\"video\":0" } else { "" };
        args.push(format!(
            "--limit-mm-per-prompt '{{\"image\":{}{video}}}'",
            s.images
        ));
    }
    args.push(format!("--gpu-memory-utilization {utilization}"));
    if s.type_k == KvType::Fp8 {
        args.push("--kv-cache-dtype fp8".into());
    }
    if s.vllm.block_size > 0 {
        args.push(format!("--block-size {}", s.vllm.block_size));
    }
    if s.vllm.enforce_eager {
        args.push("--enforce-eager".into());
    }
    match s.weights {
        WeightFormat::Torch {
            dtype: TorchDtype::BF16,
        } => args.push("--dtype bfloat16".into()),
        WeightFormat::Torch {
            dtype: TorchDtype::F16,
        } => args.push("--dtype float16".into()),
        WeightFormat::Torch {
            dtype: TorchDtype::F32,
        } => args.push("--dtype float32".into()),
        WeightFormat::Fp8 { .. } => args.push("--quantization fp8".into()),
        WeightFormat::Int8 | WeightFormat::Bnb4 { .. } => {
            args.push("--quantization bitsandbytes".into())
        }
        WeightFormat::Gptq { .. } => args.push("--quantization gptq".into()),
        WeightFormat::Awq { .. } => args.push("--quantization awq".into()),
        // MXFP4 checkpoints carry their quantization config.
        WeightFormat::Mxfp4 | WeightFormat::Gguf { .. } | WeightFormat::Exl2 { .. } => {}
    }
    if plan.offload.cpu_weights_per_gpu > 0 {
        let gib = plan.offload.cpu_weights_per_gpu.div_ceil(crate::units::GIB);
        args.push(format!("--cpu-offload-gb {gib}"));
    }
    if !cx.remote_nodes().is_empty() {
        args.push("--distributed-executor-backend ray".into());
    }
    note.unwrap_or_default() + &args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::{assert_flags_documented, golden::command_for};
    use expect_test::expect;

    #[test]
    fn golden_commands() {
        let vllm = [("engine", "vllm")];
        let with = |extra: &[(&'static str, &'static str)]| {
            let mut all = vllm.to_vec();
            all.extend_from_slice(extra);
            command_for(&all)
        };
        let cases = [
            with(&[]),
            with(&[
                ("model", "llama-3.1-70b"),
                ("gpus", "4xh100"),
                ("kv", "fp8"),
                ("batch", "32"),
            ]),
            with(&[
                ("model", "llama-3.1-405b"),
                ("gpus", "8xh100; 8xh100"),
                ("weights", "fp8"),
            ]),
            with(&[
                ("model", "qwen2.5-72b"),
                ("gpus", "2x48GB"),
                ("weights", "awq"),
            ]),
            with(&[
                ("model", "llama-3.1-70b"),
                ("gpus", "80GB"),
                ("offload", "on"),
            ]),
        ];
        for c in &cases {
            let flags: String = c
                .split_whitespace()
                .map(|w| w.split('=').next().unwrap_or(w))
                .collect::<Vec<_>>()
                .join(" ");
            let flags = flags.replace("CUDA_VISIBLE_DEVICES", "");
            for word in flags
                .split_whitespace()
                .filter(|w| w.starts_with("--") || w.starts_with("VLLM_"))
            {
                assert!(FLAGS.iter().any(|f| f.name == word), "{word}");
            }
            let _ = assert_flags_documented;
        }
        expect![[r#"
            vllm serve meta-llama/Llama-3.1-8B --tensor-parallel-size 2 --max-model-len 8192 --max-num-seqs 1 --max-num-batched-tokens 2048 --gpu-memory-utilization 0.9 --dtype bfloat16
            vllm serve meta-llama/Llama-3.1-70B --tensor-parallel-size 4 --max-model-len 8192 --max-num-seqs 32 --max-num-batched-tokens 8192 --gpu-memory-utilization 0.9 --kv-cache-dtype fp8 --dtype bfloat16
            VLLM_PP_LAYER_PARTITION=63,63 vllm serve meta-llama/Llama-3.1-405B --tensor-parallel-size 8 --pipeline-parallel-size 2 --max-model-len 8192 --max-num-seqs 1 --max-num-batched-tokens 8192 --gpu-memory-utilization 0.9 --quantization fp8 --distributed-executor-backend ray
            # vLLM loads AWQ weights only from a checkpoint quantized with AWQ: put an AWQ checkpoint of Qwen/Qwen2.5-72B (a repository named …-AWQ) in place of <AWQ checkpoint>
            vllm serve <AWQ checkpoint> --tensor-parallel-size 2 --max-model-len 8192 --max-num-seqs 1 --max-num-batched-tokens 2048 --gpu-memory-utilization 0.9 --quantization awq
            vllm serve meta-llama/Llama-3.1-70B --tensor-parallel-size 1 --max-model-len 8192 --max-num-seqs 1 --max-num-batched-tokens 8192 --gpu-memory-utilization 0.9 --dtype bfloat16 --cpu-offload-gb 69"#]].assert_eq(&cases.join("\n"));
    }
}
