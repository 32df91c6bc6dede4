//! Launch configs for a fine-tuning plan: what a person pastes to run the
//! run [`super::plan`] sized, by tool.
//!
//! - **transformers + peft**: a Python script through TRL's `SFTTrainer`
//!   (`SFTConfig` is transformers' `TrainingArguments` plus `max_length`,
//!   the tokens per sequence), with peft's `LoraConfig`, bitsandbytes'
//!   `BitsAndBytesConfig` and `prepare_model_for_kbit_training` as the
//!   method needs them.
//! - **DeepSpeed**: the `ds_config.json` of a ZeRO run.
//! - **accelerate**: the `accelerate launch` config of a multi-GPU,
//!   DeepSpeed or FSDP run.
//! - **torchtune**: a `tune run` command with overrides, where one of its
//!   recipes trains the same way (bf16 or fp32 without autocast, SDPA, one
//!   GPU or FSDP full shard, LoRA on the modules torchtune adapts, a
//!   llama/qwen/mistral/gemma model whose size the name gives).
//!
//! Names follow transformers 5 (`dtype=`; `TrainingArguments`' `optim`,
//! `fsdp`, `fsdp_config`, `deepspeed`), TRL's `SFTConfig` (`max_length`,
//! `loss_type`, `activation_offloading`), peft 0.21, DeepSpeed's config
//! JSON, accelerate's config templates and torchtune's recipe configs.
//! Pure: settings in, text out.

use std::fmt::Write;

use super::activations::AttnImpl;
use super::optimizer::Optimizer;
use super::params::Targets;
use super::{Method, Offload, Precision, Sharding, TrainSettings};

/// The configs that run `s` on `gpus` GPUs for `model_ref`, by name, in
/// the order a person reads them: the script, then what launches it.
pub fn configs(model_ref: &str, s: &TrainSettings, gpus: usize) -> Vec<(String, String)> {
    let gpus = gpus.max(1);
    let mut out = vec![(
        "transformers + peft".to_string(),
        transformers(model_ref, s, gpus),
    )];
    if let Sharding::Zero(stage) = s.sharding {
        out.push(("DeepSpeed".into(), deepspeed(s, stage)));
    }
    if gpus > 1 || s.sharding != Sharding::None {
        out.push(("accelerate".into(), accelerate(s, gpus)));
    }
    if let Some(command) = torchtune(model_ref, s, gpus) {
        out.push(("torchtune".into(), command));
    }
    out
}

fn py_bool(b: bool) -> &'static str {
    if b {
        "True"
    } else {
        "False"
    }
}

fn is_fsdp(s: &TrainSettings) -> bool {
    matches!(s.sharding, Sharding::FsdpFull | Sharding::FsdpHybrid)
}

/// The dtype the model loads in: what the plan counts its weights in
/// (full fine-tuning under autocast keeps float32 weights; adapters' base
/// weights are 16-bit unless everything is float32).
fn load_dtype(s: &TrainSettings) -> &'static str {
    match (s.method, s.precision) {
        (Method::Full, Precision::Bf16) => "bfloat16",
        (Method::Full, _) | (_, Precision::Fp32) => "float32",
        (_, Precision::AmpFp16) => "float16",
        _ => "bfloat16",
    }
}

/// The dtype matrix multiplications run in.
fn compute_dtype(p: Precision) -> &'static str {
    match p {
        Precision::Fp32 => "float32",
        Precision::AmpFp16 => "float16",
        Precision::AmpBf16 | Precision::Bf16 => "bfloat16",
    }
}

fn python_targets(t: &Targets) -> String {
    match t {
        Targets::AllLinear => "\"all-linear\"".into(),
        Targets::Modules(names) => {
            let quoted: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
            format!("[{}]", quoted.join(", "))
        }
    }
}

/// The `fsdp` string of `TrainingArguments`; `None` where it cannot say
/// it (transformers takes `offload` only with `full_shard`).
fn fsdp_option(s: &TrainSettings) -> Option<String> {
    let offload = if s.offload == Offload::Params {
        " offload"
    } else {
        ""
    };
    match s.sharding {
        Sharding::FsdpFull => Some(format!("full_shard auto_wrap{offload}")),
        Sharding::FsdpHybrid if offload.is_empty() => Some("hybrid_shard auto_wrap".into()),
        _ => None,
    }
}

/// The Python script: the model loaded as the plan counts it, the
/// adapters, and the trainer's arguments.
fn transformers(model_ref: &str, s: &TrainSettings, gpus: usize) -> String {
    let adapters = s.method != Method::Full;
    let qlora = s.method == Method::Qlora;
    let fsdp = is_fsdp(s);
    // FSDP checkpoints through its own wrapper: transformers refuses both.
    let hf_checkpointing = s.grad_checkpointing && !fsdp;
    let dtype = load_dtype(s);
    let mut py = String::new();
    let run = if gpus == 1 && s.sharding == Sharding::None {
        "python train.py".to_string()
    } else {
        "accelerate launch --config_file accelerate.yaml train.py".to_string()
    };
    let _ = writeln!(
        py,
        "# train.py: transformers + peft through TRL's SFTTrainer (SFTConfig is\n\
         # TrainingArguments plus max_length, the tokens per sequence).\n\
         # Run: {run}"
    );
    py.push_str("import torch\n");
    if qlora {
        py.push_str("from transformers import AutoModelForCausalLM, BitsAndBytesConfig\n");
    } else {
        py.push_str("from transformers import AutoModelForCausalLM\n");
    }
    if adapters {
        let prepare = if qlora && s.kbit_prepare {
            ", prepare_model_for_kbit_training"
        } else {
            ""
        };
        let _ = writeln!(py, "from peft import LoraConfig, get_peft_model{prepare}");
    }
    py.push_str("from trl import SFTConfig, SFTTrainer\n\n");
    let _ = writeln!(py, "model = AutoModelForCausalLM.from_pretrained(");
    let _ = writeln!(py, "    \"{model_ref}\",");
    let _ = writeln!(py, "    dtype=torch.{dtype},");
    let attn = match s.attn {
        AttnImpl::Sdpa => "sdpa",
        AttnImpl::Eager => "eager",
    };
    let _ = writeln!(py, "    attn_implementation=\"{attn}\",");
    if qlora {
        let compute = compute_dtype(s.precision);
        py.push_str("    quantization_config=BitsAndBytesConfig(\n");
        py.push_str("        load_in_4bit=True,\n");
        py.push_str("        bnb_4bit_quant_type=\"nf4\",\n");
        let _ = writeln!(
            py,
            "        bnb_4bit_use_double_quant={},",
            py_bool(s.double_quant)
        );
        let _ = writeln!(py, "        bnb_4bit_compute_dtype=torch.{compute},");
        if fsdp || s.sharding == Sharding::Zero(3) {
            // FSDP and ZeRO-3 flatten parameters of one dtype: the 4-bit
            // weights are stored as the 16-bit one.
            let _ = writeln!(py, "        bnb_4bit_quant_storage=torch.{dtype},");
        }
        py.push_str("    ),\n");
    }
    py.push_str(")\n");
    if s.method == Method::Full && s.freeze_embeddings {
        py.push_str("model.get_input_embeddings().requires_grad_(False)\n");
    }
    if qlora {
        if s.kbit_prepare {
            let _ = writeln!(
                py,
                "# norms, embeddings and lm_head to float32\n\
                 model = prepare_model_for_kbit_training(model, use_gradient_checkpointing={})",
                py_bool(hf_checkpointing)
            );
        } else {
            let _ = writeln!(
                py,
                "# without prepare_model_for_kbit_training: norms, embeddings and lm_head stay {dtype}"
            );
        }
    }
    if adapters {
        py.push_str("model = get_peft_model(\n    model,\n    LoraConfig(\n");
        let _ = writeln!(py, "        r={},", s.lora.r);
        let _ = writeln!(py, "        lora_alpha={},", s.lora.alpha);
        let _ = writeln!(
            py,
            "        target_modules={},",
            python_targets(&s.lora.targets)
        );
        let _ = writeln!(py, "        lora_dropout={:?},", s.lora.dropout);
        py.push_str("        task_type=\"CAUSAL_LM\",\n    ),\n");
        if s.lora.adapter_bytes >= 4 {
            py.push_str("    autocast_adapter_dtype=True,  # float32 adapters (peft's default)\n");
        } else {
            let _ = writeln!(
                py,
                "    autocast_adapter_dtype=False,  # adapters in the model's {dtype}"
            );
        }
        py.push_str(")\n");
        if s.lora.adapter_bytes < 4 && dtype == "float32" {
            py.push_str(
                "for name, p in model.named_parameters():  # 16-bit adapters on a float32 model\n    \
                 if \"lora_\" in name:\n        p.data = p.data.to(torch.bfloat16)\n",
            );
        }
    }
    py.push_str("\nargs = SFTConfig(\n    output_dir=\"out\",\n");
    let _ = writeln!(py, "    per_device_train_batch_size={},", s.micro_batch);
    py.push_str("    gradient_accumulation_steps=1,\n");
    let _ = writeln!(py, "    max_length={},", s.seq);
    let _ = writeln!(
        py,
        "    gradient_checkpointing={},",
        py_bool(hf_checkpointing)
    );
    if hf_checkpointing {
        py.push_str("    gradient_checkpointing_kwargs={\"use_reentrant\": False},\n");
    }
    let (bf16, fp16) = match s.precision {
        Precision::Fp32 => (false, false),
        Precision::AmpFp16 => (false, true),
        Precision::AmpBf16 | Precision::Bf16 => (true, false),
    };
    let _ = writeln!(py, "    bf16={},", py_bool(bf16));
    let _ = writeln!(py, "    fp16={},", py_bool(fp16));
    let _ = writeln!(py, "    optim=\"{}\",", s.optimizer.hf_name());
    if s.optimizer == Optimizer::SgdMomentum {
        py.push_str(
            "    # momentum 0.9: optim=\"sgd\" builds torch.optim.SGD without it; pass\n    \
             # optimizers=(torch.optim.SGD(model.parameters(), lr=..., momentum=0.9), None) to the trainer\n",
        );
    }
    if s.loss_chunks > 1 {
        let _ = writeln!(
            py,
            "    loss_type=\"chunked_nll\",  # the cross-entropy in chunks (TRL picks their size; vramfit counts {})",
            s.loss_chunks
        );
    } else {
        py.push_str("    loss_type=\"nll\",  # the whole cross-entropy at once\n");
    }
    let _ = writeln!(
        py,
        "    activation_offloading={},",
        py_bool(s.activation_offload)
    );
    if let Sharding::Zero(_) = s.sharding {
        py.push_str("    deepspeed=\"ds_config.json\",\n");
    }
    if fsdp {
        match fsdp_option(s) {
            Some(option) => {
                let _ = writeln!(py, "    fsdp=\"{option}\",");
                let _ = writeln!(
                    py,
                    "    fsdp_config={{\"activation_checkpointing\": {}}},",
                    py_bool(s.grad_checkpointing)
                );
            }
            None => py.push_str(
                "    # FSDP from accelerate.yaml: transformers' fsdp=\"... offload\" needs full_shard\n",
            ),
        }
    }
    py.push_str(")\n");
    if s.precision == Precision::Bf16 && matches!(s.sharding, Sharding::Zero(_)) {
        py.push_str(
            "# DeepSpeed's bf16 mode keeps float32 master weights and optimizer states that this\n\
             # pure-bf16 plan does not count: size a DeepSpeed run with --precision amp-bf16.\n",
        );
    }
    if s.offload == Offload::Optimizer && fsdp {
        py.push_str(
            "# FSDP offloads the optimizer only together with the parameters (--offload params).\n",
        );
    }
    if matches!(s.sharding, Sharding::Zero(_))
        && s.offload != Offload::None
        && s.optimizer == Optimizer::AdamW
    {
        py.push_str("# ds_config.json's optimizer (DeepSpeed's CPU AdamW on the offloaded states) replaces optim\n");
    }
    py.push_str(
        "# train_dataset: your datasets.Dataset (a \"text\" column, or \"messages\" for chat)\n",
    );
    py.push_str("trainer = SFTTrainer(model=model, args=args, train_dataset=train_dataset)\n");
    py.push_str("trainer.train()\n");
    py
}

/// DeepSpeed's `ds_config.json`: the stage and offloads as planned,
/// "auto" where the HF Trainer fills the value from its arguments.
fn deepspeed(s: &TrainSettings, stage: u8) -> String {
    use serde_json::{json, Value};
    let offload_device = json!({"device": "cpu", "pin_memory": true});
    let mut zero = json!({
        "stage": stage,
        "overlap_comm": true,
        "contiguous_gradients": true,
        "reduce_bucket_size": "auto",
    });
    if s.offload != Offload::None {
        zero["offload_optimizer"] = offload_device.clone();
    }
    if stage >= 3 {
        if s.offload == Offload::Params {
            zero["offload_param"] = offload_device;
        }
        zero["stage3_prefetch_bucket_size"] = "auto".into();
        zero["stage3_param_persistence_threshold"] = "auto".into();
        zero["stage3_gather_16bit_weights_on_model_save"] = true.into();
    }
    let (bf16, fp16) = match s.precision {
        Precision::Fp32 => (false, false),
        Precision::AmpFp16 => (false, true),
        Precision::AmpBf16 | Precision::Bf16 => (true, false),
    };
    let mut config = json!({
        "zero_optimization": zero,
        "bf16": {"enabled": bf16},
        "fp16": {"enabled": fp16},
        "train_micro_batch_size_per_gpu": s.micro_batch,
        "gradient_accumulation_steps": "auto",
        "train_batch_size": "auto",
        "gradient_clipping": "auto",
    });
    if s.offload != Offload::None {
        if s.optimizer == Optimizer::AdamW {
            // DeepSpeed steps an offloaded AdamW with its CPU Adam.
            config["optimizer"] = json!({
                "type": "AdamW",
                "params": {"lr": "auto", "betas": "auto", "eps": "auto", "weight_decay": "auto"},
            });
        } else {
            // Keep the Trainer's optimizer on the offloaded states.
            config["zero_force_ds_cpu_optimizer"] = Value::Bool(false);
        }
    }
    serde_json::to_string_pretty(&config).unwrap_or_default()
}

/// accelerate's config file for `accelerate launch`.
fn accelerate(s: &TrainSettings, gpus: usize) -> String {
    let mut y = String::from(
        "# accelerate.yaml: accelerate launch --config_file accelerate.yaml train.py\n\
         compute_environment: LOCAL_MACHINE\n",
    );
    let kind = match s.sharding {
        Sharding::None => "MULTI_GPU",
        Sharding::Zero(_) => "DEEPSPEED",
        Sharding::FsdpFull | Sharding::FsdpHybrid => "FSDP",
    };
    let _ = writeln!(y, "distributed_type: {kind}");
    let _ = writeln!(
        y,
        "num_machines: 1  # several machines: set num_machines, and machine_rank on each"
    );
    y.push_str("machine_rank: 0\n");
    let _ = writeln!(y, "num_processes: {gpus}");
    let mixed = match s.precision {
        Precision::Fp32 => "'no'",
        Precision::AmpFp16 => "fp16",
        Precision::AmpBf16 | Precision::Bf16 => "bf16",
    };
    match s.sharding {
        Sharding::Zero(stage) => {
            y.push_str("# mixed precision: ds_config.json's bf16/fp16\ndeepspeed_config:\n");
            y.push_str("  deepspeed_config_file: ds_config.json\n");
            let _ = writeln!(y, "  zero3_init_flag: {}", stage >= 3);
        }
        Sharding::None => {
            let _ = writeln!(y, "mixed_precision: {mixed}");
        }
        Sharding::FsdpFull | Sharding::FsdpHybrid => {
            let _ = writeln!(y, "mixed_precision: {mixed}");
            let strategy = if s.sharding == Sharding::FsdpFull {
                "FULL_SHARD"
            } else {
                "HYBRID_SHARD"
            };
            y.push_str("fsdp_config:\n  fsdp_version: 1\n");
            let _ = writeln!(y, "  fsdp_sharding_strategy: {strategy}");
            y.push_str("  fsdp_auto_wrap_policy: TRANSFORMER_BASED_WRAP\n");
            y.push_str("  fsdp_backward_prefetch: BACKWARD_PRE\n");
            let _ = writeln!(y, "  fsdp_offload_params: {}", s.offload == Offload::Params);
            if s.offload == Offload::Optimizer {
                y.push_str("  # FSDP has no optimizer-only offload: fsdp_offload_params moves the parameters too\n");
            }
            let _ = writeln!(
                y,
                "  fsdp_activation_checkpointing: {}",
                s.grad_checkpointing
            );
            y.push_str("  fsdp_cpu_ram_efficient_loading: true\n");
            y.push_str("  fsdp_sync_module_states: true\n");
            y.push_str("  fsdp_use_orig_params: true\n");
            y.push_str("  fsdp_state_dict_type: SHARDED_STATE_DICT\n");
        }
    }
    y
}

/// torchtune's model family directory for a repository name (most
/// specific spelling first).
const TORCHTUNE_FAMILIES: &[(&str, &str)] = &[
    ("llama-3.3", "llama3_3"),
    ("llama-3.2", "llama3_2"),
    ("llama-3.1", "llama3_1"),
    ("llama-3", "llama3"),
    ("llama-2", "llama2"),
    ("qwen3", "qwen3"),
    ("qwen2.5", "qwen2_5"),
    ("qwen2", "qwen2"),
    ("mistral", "mistral"),
    ("gemma-3", "gemma3"),
    ("gemma-2", "gemma2"),
    ("gemma", "gemma"),
];

/// `(family, size)` as torchtune names its configs (`llama3_1`, `8B`).
fn torchtune_model(model_ref: &str) -> Option<(&'static str, String)> {
    let name = model_ref.rsplit('/').next()?.to_ascii_lowercase();
    if name.contains("vision") {
        return None;
    }
    let family = TORCHTUNE_FAMILIES
        .iter()
        .find(|(spelling, _)| name.contains(spelling))?
        .1;
    let size = name
        .split(['-', '_'])
        .find(|w| w.len() > 1 && w.ends_with('b') && w[..w.len() - 1].parse::<f64>().is_ok())?;
    Some((family, format!("{}B", &size[..size.len() - 1])))
}

/// torchtune's LoRA placement for `targets`: attention modules (its
/// `output_proj` is transformers' `o_proj`) and whether the MLP's three
/// projections are adapted. `None` when torchtune cannot adapt exactly
/// those modules.
fn torchtune_lora(targets: &Targets) -> Option<(Vec<&'static str>, bool)> {
    const ATTN: [(&str, &str); 4] = [
        ("q_proj", "q_proj"),
        ("k_proj", "k_proj"),
        ("v_proj", "v_proj"),
        ("o_proj", "output_proj"),
    ];
    const MLP: [&str; 3] = ["gate_proj", "up_proj", "down_proj"];
    let names = match targets {
        Targets::AllLinear => return Some((ATTN.iter().map(|a| a.1).collect(), true)),
        Targets::Modules(names) => names,
    };
    if names
        .iter()
        .any(|n| !ATTN.iter().any(|a| a.0 == n) && !MLP.contains(&n.as_str()))
    {
        return None;
    }
    let mlp = MLP.iter().filter(|m| names.iter().any(|n| n == *m)).count();
    if mlp != 0 && mlp != MLP.len() {
        return None;
    }
    let attn = ATTN
        .iter()
        .filter(|a| names.iter().any(|n| n == a.0))
        .map(|a| a.1)
        .collect();
    Some((attn, mlp == MLP.len()))
}

/// The optimizer's `_component_` in a torchtune config.
fn torchtune_optimizer(o: Optimizer) -> &'static str {
    match o {
        Optimizer::AdamW => "torch.optim.AdamW",
        Optimizer::AdamW8bit => "bitsandbytes.optim.AdamW8bit",
        Optimizer::PagedAdamW => "bitsandbytes.optim.PagedAdamW",
        Optimizer::PagedAdamW8bit => "bitsandbytes.optim.PagedAdamW8bit",
        Optimizer::Adafactor => "torch.optim.Adafactor",
        Optimizer::Sgd | Optimizer::SgdMomentum => "torch.optim.SGD",
        Optimizer::Lion => "bitsandbytes.optim.Lion",
        Optimizer::Lion8bit => "bitsandbytes.optim.Lion8bit",
    }
}

/// A `tune run` command for the plan, where a torchtune recipe trains the
/// same way.
fn torchtune(model_ref: &str, s: &TrainSettings, gpus: usize) -> Option<String> {
    // torchtune trains without autocast: dtype bf16 or fp32 throughout.
    let dtype = match (s.precision, s.method) {
        (Precision::Bf16, _) => "bf16",
        (Precision::Fp32, _) => "fp32",
        (Precision::AmpBf16, Method::Lora | Method::Qlora) => "bf16",
        _ => return None,
    };
    let distributed = match (s.sharding, gpus) {
        (Sharding::None, 1) => false,
        (Sharding::FsdpFull, _) => true,
        _ => return None,
    };
    // torchtune's NF4 always double-quantizes its scales.
    if s.attn != AttnImpl::Sdpa
        || (s.method == Method::Qlora && !s.double_quant)
        || s.offload == Offload::Optimizer
        || (s.method == Method::Full && s.freeze_embeddings)
    {
        return None;
    }
    let (family, size) = torchtune_model(model_ref)?;
    let kind = match s.method {
        Method::Full => "full",
        Method::Lora => "lora",
        Method::Qlora => "qlora",
    };
    let recipe = match (s.method, distributed) {
        (Method::Full, false) => "full_finetune_single_device",
        (Method::Full, true) => "full_finetune_distributed",
        (_, false) => "lora_finetune_single_device",
        (_, true) => "lora_finetune_distributed",
    };
    let config = if distributed {
        format!("{family}/{size}_{kind}")
    } else {
        format!("{family}/{size}_{kind}_single_device")
    };
    let mut t = String::from(
        "# torchtune: the recipe and its config depend on the model family and size\n\
         # (`tune ls` lists them); point checkpointer.checkpoint_dir and tokenizer.path\n\
         # at `tune download`'s folder.\n",
    );
    if s.precision == Precision::AmpBf16 {
        t.push_str(
            "# torchtune trains in bf16 without autocast: its adapters are bf16, a little\n\
             # under the float32 ones this plan counts.\n",
        );
    }
    let launcher = if distributed {
        format!("tune run --nproc_per_node {gpus} {recipe}")
    } else {
        format!("tune run {recipe}")
    };
    let mut args = vec![
        format!("--config {config}"),
        format!("batch_size={}", s.micro_batch),
        "gradient_accumulation_steps=1".into(),
        format!("tokenizer.max_seq_len={}", s.seq),
        format!("dtype={dtype}"),
        format!(
            "enable_activation_checkpointing={}",
            py_bool(s.grad_checkpointing)
        ),
        format!(
            "enable_activation_offloading={}",
            py_bool(s.activation_offload)
        ),
        format!("optimizer._component_={}", torchtune_optimizer(s.optimizer)),
    ];
    if s.optimizer == Optimizer::SgdMomentum {
        args.push("optimizer.momentum=0.9".into());
    }
    if s.method == Method::Full {
        // The plan holds every gradient until the step.
        args.push("optimizer_in_bwd=False".into());
    } else {
        let (attn, mlp) = torchtune_lora(&s.lora.targets)?;
        args.push(format!("model.lora_rank={}", s.lora.r));
        args.push(format!("model.lora_alpha={}", s.lora.alpha));
        args.push(format!("model.lora_dropout={:?}", s.lora.dropout));
        args.push(format!("'model.lora_attn_modules=[{}]'", attn.join(",")));
        args.push(format!("model.apply_lora_to_mlp={}", py_bool(mlp)));
        args.push("model.apply_lora_to_output=False".into());
    }
    args.push("loss=torchtune.modules.loss.LinearCrossEntropyLoss".into());
    args.push(format!("loss.num_output_chunks={}", s.loss_chunks.max(1)));
    if distributed && s.offload == Offload::Params {
        args.push("fsdp_cpu_offload=True".into());
    }
    args.push("compile=False".into());
    if !matches!(
        s.optimizer,
        Optimizer::AdamW | Optimizer::Sgd | Optimizer::SgdMomentum
    ) {
        t.push_str("# bitsandbytes and Adafactor take no `fused`: add ~optimizer.fused if the config sets it\n");
    }
    t.push_str(&launcher);
    for a in args {
        t.push_str(" \\\n  ");
        t.push_str(&a);
    }
    t.push('\n');
    Some(t)
}

#[cfg(test)]
mod tests;
