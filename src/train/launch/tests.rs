//! The launch configs' tests: snapshots of whole configs (refreshed with
//! `UPDATE_EXPECT=1`) and the settings each one carries.

use super::*;
use expect_test::{expect, Expect};

/// Every config of the plan, headed by its name as the CLI prints them.
fn check(model_ref: &str, s: &TrainSettings, gpus: usize, expect: Expect) {
    let text: Vec<String> = configs(model_ref, s, gpus)
        .into_iter()
        .map(|(name, config)| format!("# {name}\n{config}"))
        .collect();
    expect.assert_eq(&text.join("\n"));
}

#[test]
fn a_one_gpu_qlora_run_reads_like_this() {
    check(
        LLAMA,
        &qlora(),
        1,
        expect![[r##"
            # transformers + peft
            # train.py: transformers + peft through TRL's SFTTrainer (SFTConfig is
            # TrainingArguments plus max_length, the tokens per sequence).
            # Run: python train.py
            import torch
            from transformers import AutoModelForCausalLM, BitsAndBytesConfig
            from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training
            from trl import SFTConfig, SFTTrainer

            model = AutoModelForCausalLM.from_pretrained(
                "meta-llama/Llama-3.1-8B-Instruct",
                dtype=torch.bfloat16,
                attn_implementation="sdpa",
                quantization_config=BitsAndBytesConfig(
                    load_in_4bit=True,
                    bnb_4bit_quant_type="nf4",
                    bnb_4bit_use_double_quant=True,
                    bnb_4bit_compute_dtype=torch.bfloat16,
                ),
            )
            # norms, embeddings and lm_head to float32
            model = prepare_model_for_kbit_training(model, use_gradient_checkpointing=True)
            model = get_peft_model(
                model,
                LoraConfig(
                    r=16,
                    lora_alpha=32,
                    target_modules="all-linear",
                    lora_dropout=0.0,
                    task_type="CAUSAL_LM",
                ),
                autocast_adapter_dtype=True,  # float32 adapters (peft's default)
            )

            args = SFTConfig(
                output_dir="out",
                per_device_train_batch_size=1,
                gradient_accumulation_steps=1,
                max_length=2048,
                gradient_checkpointing=True,
                gradient_checkpointing_kwargs={"use_reentrant": False},
                bf16=True,
                fp16=False,
                optim="adamw_torch",
                loss_type="nll",  # the whole cross-entropy at once
                activation_offloading=False,
            )
            # train_dataset: your datasets.Dataset (a "text" column, or "messages" for chat)
            trainer = SFTTrainer(model=model, args=args, train_dataset=train_dataset)
            trainer.train()

            # torchtune
            # torchtune: the recipe and its config depend on the model family and size
            # (`tune ls` lists them); point checkpointer.checkpoint_dir and tokenizer.path
            # at `tune download`'s folder.
            # torchtune trains in bf16 without autocast: its adapters are bf16, a little
            # under the float32 ones this plan counts.
            tune run lora_finetune_single_device \
              --config llama3_1/8B_qlora_single_device \
              batch_size=1 \
              gradient_accumulation_steps=1 \
              tokenizer.max_seq_len=2048 \
              dtype=bf16 \
              enable_activation_checkpointing=True \
              enable_activation_offloading=False \
              optimizer._component_=torch.optim.AdamW \
              model.lora_rank=16 \
              model.lora_alpha=32 \
              model.lora_dropout=0.0 \
              'model.lora_attn_modules=[q_proj,k_proj,v_proj,output_proj]' \
              model.apply_lora_to_mlp=True \
              model.apply_lora_to_output=False \
              loss=torchtune.modules.loss.LinearCrossEntropyLoss \
              loss.num_output_chunks=1 \
              compile=False
        "##]],
    );
}

#[test]
fn a_zero_2_run_with_the_optimizer_offloaded_reads_like_this() {
    let s = TrainSettings {
        method: Method::Full,
        sharding: Sharding::Zero(2),
        offload: Offload::Optimizer,
        micro_batch: 2,
        seq: 4096,
        ..TrainSettings::default()
    };
    check(
        LLAMA,
        &s,
        2,
        expect![[r##"
        # transformers + peft
        # train.py: transformers + peft through TRL's SFTTrainer (SFTConfig is
        # TrainingArguments plus max_length, the tokens per sequence).
        # Run: accelerate launch --config_file accelerate.yaml train.py
        import torch
        from transformers import AutoModelForCausalLM
        from trl import SFTConfig, SFTTrainer

        model = AutoModelForCausalLM.from_pretrained(
            "meta-llama/Llama-3.1-8B-Instruct",
            dtype=torch.float32,
            attn_implementation="sdpa",
        )

        args = SFTConfig(
            output_dir="out",
            per_device_train_batch_size=2,
            gradient_accumulation_steps=1,
            max_length=4096,
            gradient_checkpointing=True,
            gradient_checkpointing_kwargs={"use_reentrant": False},
            bf16=True,
            fp16=False,
            optim="adamw_torch",
            loss_type="nll",  # the whole cross-entropy at once
            activation_offloading=False,
            deepspeed="ds_config.json",
        )
        # ds_config.json's optimizer (DeepSpeed's CPU AdamW on the offloaded states) replaces optim
        # train_dataset: your datasets.Dataset (a "text" column, or "messages" for chat)
        trainer = SFTTrainer(model=model, args=args, train_dataset=train_dataset)
        trainer.train()

        # DeepSpeed
        {
          "bf16": {
            "enabled": true
          },
          "fp16": {
            "enabled": false
          },
          "gradient_accumulation_steps": "auto",
          "gradient_clipping": "auto",
          "optimizer": {
            "params": {
              "betas": "auto",
              "eps": "auto",
              "lr": "auto",
              "weight_decay": "auto"
            },
            "type": "AdamW"
          },
          "train_batch_size": "auto",
          "train_micro_batch_size_per_gpu": 2,
          "zero_optimization": {
            "contiguous_gradients": true,
            "offload_optimizer": {
              "device": "cpu",
              "pin_memory": true
            },
            "overlap_comm": true,
            "reduce_bucket_size": "auto",
            "stage": 2
          }
        }
        # accelerate
        # accelerate.yaml: accelerate launch --config_file accelerate.yaml train.py
        compute_environment: LOCAL_MACHINE
        distributed_type: DEEPSPEED
        num_machines: 1  # several machines: set num_machines, and machine_rank on each
        machine_rank: 0
        num_processes: 2
        # mixed precision: ds_config.json's bf16/fp16
        deepspeed_config:
          deepspeed_config_file: ds_config.json
          zero3_init_flag: false
    "##]],
    );
}

const LLAMA: &str = "meta-llama/Llama-3.1-8B-Instruct";

fn config<'a>(all: &'a [(String, String)], name: &str) -> Option<&'a str> {
    all.iter().find(|(n, _)| n == name).map(|(_, c)| c.as_str())
}

fn names(all: &[(String, String)]) -> Vec<&str> {
    all.iter().map(|(n, _)| n.as_str()).collect()
}

fn qlora() -> TrainSettings {
    TrainSettings {
        method: Method::Qlora,
        ..TrainSettings::default()
    }
}

/// `key: value` of a YAML mapping's lines at `indent` spaces
/// (comments dropped).
fn yaml_keys(yaml: &str, indent: usize) -> Vec<(String, String)> {
    yaml.lines()
        .filter(|l| {
            let body = l.trim_start();
            l.len() - body.len() == indent && !body.starts_with('#') && body.contains(':')
        })
        .map(|l| {
            let (k, v) = l.trim().split_once(':').unwrap();
            let v = v.split(" #").next().unwrap().trim();
            (k.to_string(), v.to_string())
        })
        .collect()
}

fn yaml_value(yaml: &str, indent: usize, key: &str) -> Option<String> {
    yaml_keys(yaml, indent)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v)
}

#[test]
fn one_gpu_qlora_gets_a_script_and_a_torchtune_command_only() {
    // What they say is in the snapshot above.
    let all = configs(LLAMA, &qlora(), 1);
    assert_eq!(names(&all), ["transformers + peft", "torchtune"]);
    let py = config(&all, "transformers + peft").unwrap();
    for absent in ["deepspeed=", "fsdp=", "bnb_4bit_quant_storage"] {
        assert!(!py.contains(absent), "{absent} in\n{py}");
    }
}

#[test]
fn settings_reach_the_script() {
    let s = TrainSettings {
        method: Method::Lora,
        lora: crate::train::Lora {
            r: 64,
            alpha: 16,
            targets: Targets::parse("q_proj,v_proj"),
            adapter_bytes: 2,
            dropout: 0.05,
        },
        precision: Precision::Bf16,
        optimizer: Optimizer::PagedAdamW8bit,
        micro_batch: 4,
        seq: 4096,
        attn: AttnImpl::Eager,
        loss_chunks: 8,
        activation_offload: true,
        ..TrainSettings::default()
    };
    let all = configs(LLAMA, &s, 1);
    let py = config(&all, "transformers + peft").unwrap();
    for needle in [
        "r=64,",
        "lora_alpha=16,",
        "lora_dropout=0.05,",
        "target_modules=[\"q_proj\", \"v_proj\"]",
        "autocast_adapter_dtype=False",
        "optim=\"paged_adamw_8bit\"",
        "per_device_train_batch_size=4,",
        "max_length=4096,",
        "attn_implementation=\"eager\"",
        "loss_type=\"chunked_nll\"",
        "activation_offloading=True",
    ] {
        assert!(py.contains(needle), "{needle} missing from\n{py}");
    }
    // Eager attention saves what torchtune's SDPA does not.
    assert_eq!(config(&all, "torchtune"), None);
}

#[test]
fn full_fine_tuning_loads_float32_weights_under_autocast_and_bf16_when_pure() {
    let amp = TrainSettings {
        method: Method::Full,
        ..TrainSettings::default()
    };
    let all = configs(LLAMA, &amp, 1);
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("dtype=torch.float32"), "{py}");
    assert!(py.contains("bf16=True"), "{py}");
    assert!(
        !py.contains("LoraConfig") && !py.contains("peft import"),
        "{py}"
    );
    // torchtune has no autocast: a pure-bf16 run is a different plan.
    assert_eq!(names(&all), ["transformers + peft"]);
    let pure = TrainSettings {
        precision: Precision::Bf16,
        optimizer: Optimizer::Adafactor,
        ..amp
    };
    let all = configs(LLAMA, &pure, 1);
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("dtype=torch.bfloat16"), "{py}");
    assert!(py.contains("optim=\"adafactor\""), "{py}");
    let tune = config(&all, "torchtune").unwrap();
    assert!(
        tune.contains("tune run full_finetune_single_device"),
        "{tune}"
    );
    assert!(
        tune.contains("--config llama3_1/8B_full_single_device"),
        "{tune}"
    );
    assert!(
        tune.contains("optimizer._component_=torch.optim.Adafactor"),
        "{tune}"
    );
    assert!(tune.contains("optimizer_in_bwd=False"), "{tune}");
    assert!(!tune.contains("lora"), "{tune}");
}

#[test]
fn zero_gets_a_deepspeed_json_that_parses_with_the_stage_and_offloads() {
    let s = TrainSettings {
        method: Method::Full,
        sharding: Sharding::Zero(3),
        offload: Offload::Params,
        micro_batch: 2,
        ..TrainSettings::default()
    };
    let all = configs(LLAMA, &s, 4);
    assert_eq!(
        names(&all),
        ["transformers + peft", "DeepSpeed", "accelerate"]
    );
    let ds: serde_json::Value = serde_json::from_str(config(&all, "DeepSpeed").unwrap()).unwrap();
    let zero = &ds["zero_optimization"];
    assert_eq!(zero["stage"], 3);
    assert_eq!(zero["offload_optimizer"]["device"], "cpu");
    assert_eq!(zero["offload_optimizer"]["pin_memory"], true);
    assert_eq!(zero["offload_param"]["device"], "cpu");
    assert_eq!(ds["bf16"]["enabled"], true);
    assert_eq!(ds["fp16"]["enabled"], false);
    assert_eq!(ds["train_micro_batch_size_per_gpu"], 2);
    assert_eq!(ds["gradient_clipping"], "auto");
    assert_eq!(ds["gradient_accumulation_steps"], "auto");
    assert_eq!(ds["optimizer"]["type"], "AdamW");
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("deepspeed=\"ds_config.json\""), "{py}");
    assert!(
        py.contains("accelerate launch --config_file accelerate.yaml"),
        "{py}"
    );
    let yaml = config(&all, "accelerate").unwrap();
    assert_eq!(
        yaml_value(yaml, 0, "distributed_type").as_deref(),
        Some("DEEPSPEED")
    );
    assert_eq!(yaml_value(yaml, 0, "num_processes").as_deref(), Some("4"));
    assert_eq!(
        yaml_value(yaml, 2, "deepspeed_config_file").as_deref(),
        Some("ds_config.json")
    );
    assert_eq!(
        yaml_value(yaml, 2, "zero3_init_flag").as_deref(),
        Some("true")
    );
    assert_eq!(yaml_value(yaml, 0, "mixed_precision"), None);

    // ZeRO-2 without offload: neither offload section, nor a DeepSpeed optimizer.
    let two = TrainSettings {
        sharding: Sharding::Zero(2),
        offload: Offload::None,
        precision: Precision::AmpFp16,
        optimizer: Optimizer::AdamW8bit,
        ..s
    };
    let ds: serde_json::Value =
        serde_json::from_str(config(&configs(LLAMA, &two, 2), "DeepSpeed").unwrap()).unwrap();
    assert_eq!(ds["zero_optimization"]["stage"], 2);
    assert!(ds["zero_optimization"].get("offload_optimizer").is_none());
    assert!(ds["zero_optimization"].get("offload_param").is_none());
    assert!(ds.get("optimizer").is_none());
    assert_eq!(ds["fp16"]["enabled"], true);
    // An offloaded optimizer that is not AdamW stays the Trainer's.
    let eight = TrainSettings {
        offload: Offload::Optimizer,
        ..two
    };
    let ds: serde_json::Value =
        serde_json::from_str(config(&configs(LLAMA, &eight, 2), "DeepSpeed").unwrap()).unwrap();
    assert_eq!(
        ds["zero_optimization"]["offload_optimizer"]["device"],
        "cpu"
    );
    assert!(ds["zero_optimization"].get("offload_param").is_none());
    assert_eq!(ds["zero_force_ds_cpu_optimizer"], false);
}

#[test]
fn fsdp_gets_an_accelerate_config_with_its_strategy_and_checkpointing() {
    let s = TrainSettings {
        method: Method::Qlora,
        sharding: Sharding::FsdpFull,
        offload: Offload::Params,
        precision: Precision::Bf16,
        ..TrainSettings::default()
    };
    let all = configs("Qwen/Qwen2.5-7B-Instruct", &s, 2);
    assert_eq!(
        names(&all),
        ["transformers + peft", "accelerate", "torchtune"]
    );
    let yaml = config(&all, "accelerate").unwrap();
    let top: Vec<String> = yaml_keys(yaml, 0).into_iter().map(|(k, _)| k).collect();
    assert_eq!(
        top,
        [
            "compute_environment",
            "distributed_type",
            "num_machines",
            "machine_rank",
            "num_processes",
            "mixed_precision",
            "fsdp_config"
        ]
    );
    assert_eq!(
        yaml_value(yaml, 0, "distributed_type").as_deref(),
        Some("FSDP")
    );
    assert_eq!(
        yaml_value(yaml, 0, "mixed_precision").as_deref(),
        Some("bf16")
    );
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_sharding_strategy").as_deref(),
        Some("FULL_SHARD")
    );
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_offload_params").as_deref(),
        Some("true")
    );
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_activation_checkpointing").as_deref(),
        Some("true")
    );
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("fsdp=\"full_shard auto_wrap offload\""), "{py}");
    assert!(
        py.contains("fsdp_config={\"activation_checkpointing\": True}"),
        "{py}"
    );
    // FSDP checkpoints itself; the Trainer's flag would clash.
    assert!(py.contains("gradient_checkpointing=False"), "{py}");
    assert!(py.contains("use_gradient_checkpointing=False"), "{py}");
    assert!(py.contains("bnb_4bit_quant_storage=torch.bfloat16"), "{py}");
    let tune = config(&all, "torchtune").unwrap();
    assert!(
        tune.contains("tune run --nproc_per_node 2 lora_finetune_distributed"),
        "{tune}"
    );
    assert!(tune.contains("--config qwen2_5/7B_qlora"), "{tune}");
    assert!(tune.contains("fsdp_cpu_offload=True"), "{tune}");

    let hybrid = TrainSettings {
        sharding: Sharding::FsdpHybrid,
        offload: Offload::None,
        grad_checkpointing: false,
        ..s
    };
    let all = configs("Qwen/Qwen2.5-7B-Instruct", &hybrid, 16);
    let yaml = config(&all, "accelerate").unwrap();
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_sharding_strategy").as_deref(),
        Some("HYBRID_SHARD")
    );
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_offload_params").as_deref(),
        Some("false")
    );
    assert_eq!(
        yaml_value(yaml, 2, "fsdp_activation_checkpointing").as_deref(),
        Some("false")
    );
    assert_eq!(yaml_value(yaml, 0, "num_processes").as_deref(), Some("16"));
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("fsdp=\"hybrid_shard auto_wrap\""), "{py}");
    // torchtune shards fully; hybrid is another plan.
    assert_eq!(config(&all, "torchtune"), None);
}

#[test]
fn ddp_gets_a_multi_gpu_accelerate_config_and_no_deepspeed() {
    let all = configs(LLAMA, &TrainSettings::default(), 2);
    assert_eq!(names(&all), ["transformers + peft", "accelerate"]);
    let yaml = config(&all, "accelerate").unwrap();
    assert_eq!(
        yaml_value(yaml, 0, "distributed_type").as_deref(),
        Some("MULTI_GPU")
    );
    assert_eq!(yaml_value(yaml, 0, "num_processes").as_deref(), Some("2"));
    assert_eq!(
        yaml_value(yaml, 0, "mixed_precision").as_deref(),
        Some("bf16")
    );
    assert!(!yaml.contains("fsdp_config") && !yaml.contains("deepspeed_config"));
}

#[test]
fn torchtune_maps_only_the_families_modules_and_optimizers_it_has() {
    assert_eq!(
        torchtune_model("meta-llama/Llama-3.2-1B-Instruct"),
        Some(("llama3_2", "1B".into()))
    );
    assert_eq!(
        torchtune_model("Qwen/Qwen2.5-0.5B"),
        Some(("qwen2_5", "0.5B".into()))
    );
    assert_eq!(
        torchtune_model("mistralai/Mistral-7B-v0.1"),
        Some(("mistral", "7B".into()))
    );
    assert_eq!(torchtune_model("meta-llama/Llama-3.2-11B-Vision"), None);
    assert_eq!(torchtune_model("deepseek-ai/DeepSeek-V3"), None);
    assert_eq!(torchtune_model("path/to/model"), None);
    assert_eq!(
        torchtune_lora(&Targets::parse("q_proj,v_proj,o_proj")),
        Some((vec!["q_proj", "v_proj", "output_proj"], false))
    );
    assert_eq!(
        torchtune_lora(&Targets::parse("q_proj,gate_proj,up_proj,down_proj")),
        Some((vec!["q_proj"], true))
    );
    // Part of the MLP, or a module torchtune does not name: no command.
    assert_eq!(torchtune_lora(&Targets::parse("q_proj,up_proj")), None);
    assert_eq!(torchtune_lora(&Targets::parse("experts")), None);
    let s = TrainSettings {
        optimizer: Optimizer::SgdMomentum,
        ..qlora()
    };
    let tune = config(&configs(LLAMA, &s, 1), "torchtune")
        .unwrap()
        .to_string();
    assert!(
        tune.contains("optimizer._component_=torch.optim.SGD"),
        "{tune}"
    );
    assert!(tune.contains("optimizer.momentum=0.9"), "{tune}");
    // Optimizer offload has no torchtune recipe; DDP neither.
    let offloaded = TrainSettings {
        offload: Offload::Optimizer,
        sharding: Sharding::Zero(2),
        ..qlora()
    };
    assert_eq!(config(&configs(LLAMA, &offloaded, 2), "torchtune"), None);
    assert_eq!(config(&configs(LLAMA, &qlora(), 2), "torchtune"), None);
}

#[test]
fn qlora_without_double_quant_or_kbit_preparation_says_so() {
    let s = TrainSettings {
        double_quant: false,
        kbit_prepare: false,
        precision: Precision::AmpFp16,
        ..qlora()
    };
    let all = configs(LLAMA, &s, 1);
    let py = config(&all, "transformers + peft").unwrap();
    assert!(py.contains("bnb_4bit_use_double_quant=False"), "{py}");
    assert!(py.contains("bnb_4bit_compute_dtype=torch.float16"), "{py}");
    assert!(py.contains("dtype=torch.float16"), "{py}");
    assert!(py.contains("fp16=True"), "{py}");
    assert!(!py.contains("prepare_model_for_kbit_training("), "{py}");
    assert!(
        !py.contains("import LoraConfig, get_peft_model, prepare"),
        "{py}"
    );
    // fp16 autocast is not torchtune's.
    assert_eq!(config(&all, "torchtune"), None);
}
