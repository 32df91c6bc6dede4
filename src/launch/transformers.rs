//! transformers/accelerate: a Python snippet with the plan's `device_map`
//! and `max_memory`.
//!
//! Checked against transformers' `from_pretrained` (`device_map`,
//! `max_memory`, `torch_dtype`, `quantization_config`) and accelerate's
//! big-model-inference guide: `device_map` maps module names to a GPU index
//! or `"cpu"`; `max_memory` maps devices to sizes like `"20GiB"`.

use super::{Flag, LaunchContext};
use crate::estimate::format::{TorchDtype, WeightFormat};
use crate::estimate::model::ModelType;

/// The keyword arguments and config classes the snippet uses.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "device_map",
        doc: "from_pretrained: module name → GPU index or \"cpu\"",
    },
    Flag {
        name: "max_memory",
        doc: "from_pretrained: device → maximum memory, e.g. \"20GiB\"",
    },
    Flag {
        name: "torch_dtype",
        doc: "from_pretrained: dtype the weights load in",
    },
    Flag {
        name: "quantization_config",
        doc: "from_pretrained: BitsAndBytesConfig / FineGrainedFP8Config",
    },
];

fn gib(bytes: u64) -> String {
    format!("\"{:.2}GiB\"", bytes as f64 / crate::units::GIB as f64)
}

/// The Python that loads the model as planned.
pub fn snippet(cx: &LaunchContext) -> String {
    let plan = cx.plan;
    let class = match cx.spec.class {
        ModelType::EncoderDecoder => "AutoModelForSeq2SeqLM",
        ModelType::EncoderOnly => "AutoModel",
        _ => "AutoModelForCausalLM",
    };
    let (dtype, quant, import) = match plan.settings.weights {
        WeightFormat::Torch { dtype: TorchDtype::F32 } => ("torch.float32", None, ""),
        WeightFormat::Torch { dtype: TorchDtype::F16 } => ("torch.float16", None, ""),
        WeightFormat::Int8 => ("torch.bfloat16", Some("BitsAndBytesConfig(load_in_8bit=True)".to_string()), ", BitsAndBytesConfig"),
        WeightFormat::Bnb4 { double_quant } => (
            "torch.bfloat16",
            Some(format!(
                "BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type=\"nf4\", bnb_4bit_use_double_quant={}, bnb_4bit_compute_dtype=torch.bfloat16)",
                if double_quant { "True" } else { "False" }
            )),
            ", BitsAndBytesConfig",
        ),
        WeightFormat::Fp8 { .. } => ("torch.bfloat16", Some("FineGrainedFP8Config()".to_string()), ", FineGrainedFP8Config"),
        _ => ("torch.bfloat16", None, ""),
    };
    let mut lines = vec![
        "import torch".to_string(),
        format!("from transformers import {class}{import}"),
        String::new(),
        "device_map = {".to_string(),
    ];
    // Modules in model order: embeddings, layers by number, then the rest.
    let mut entries: Vec<(&String, &String)> = cx.device_map.iter().collect();
    let order = |name: &str| -> (u8, usize) {
        let number = name
            .rsplit('.')
            .next()
            .and_then(|n| n.parse::<usize>().ok());
        match number {
            Some(n) if name.contains("encoder") => (1, n),
            Some(n) => (2, n),
            None if name.contains("embed") || name == "shared" || name == "embeddings" => (0, 0),
            None => (3, 0),
        }
    };
    entries.sort_by_key(|(name, _)| order(name));
    for (module, device) in entries {
        let device = if device == "cpu" {
            "\"cpu\"".to_string()
        } else {
            device.clone()
        };
        lines.push(format!("    \"{module}\": {device},"));
    }
    lines.push("}".into());
    let mut memory: Vec<String> = plan
        .used_devices()
        .map(|d| format!("{}: {}", d.index, gib(d.usable_bytes)))
        .collect();
    if let Some(ram) = plan.host_ram_bytes {
        memory.push(format!("\"cpu\": {}", gib(ram)));
    }
    lines.push(format!("max_memory = {{{}}}", memory.join(", ")));
    lines.push(String::new());
    lines.push(format!("model = {class}.from_pretrained("));
    lines.push(format!("    \"{}\",", cx.model_ref));
    lines.push("    device_map=device_map,".into());
    lines.push("    max_memory=max_memory,".into());
    lines.push(format!("    torch_dtype={dtype},"));
    if let Some(q) = quant {
        lines.push(format!("    quantization_config={q},"));
    }
    lines.push(")".into());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use crate::launch::golden::command_for;
    use expect_test::expect;

    #[test]
    fn golden_snippets() {
        let a = command_for(&[
            ("engine", "transformers"),
            ("model", "qwen2.5-0.5b"),
            ("gpus", "8GB, 4GB"),
            ("weights", "nf4"),
        ]);
        let b = command_for(&[
            ("engine", "transformers"),
            ("model", "t5-large"),
            ("gpus", "16GB"),
            ("ctx", "512"),
        ]);
        let c = command_for(&[
            ("engine", "transformers"),
            ("model", "llama-3.2-3b"),
            ("gpus", "4GB"),
            ("offload", "on"),
            ("host_ram", "32GB"),
            ("ctx", "4096"),
        ]);
        expect![[r#"
            import torch
            from transformers import AutoModelForCausalLM, BitsAndBytesConfig

            device_map = {
                "model.embed_tokens": 0,
                "model.layers.0": 0,
                "model.layers.1": 0,
                "model.layers.2": 0,
                "model.layers.3": 0,
                "model.layers.4": 0,
                "model.layers.5": 0,
                "model.layers.6": 0,
                "model.layers.7": 0,
                "model.layers.8": 0,
                "model.layers.9": 0,
                "model.layers.10": 0,
                "model.layers.11": 0,
                "model.layers.12": 0,
                "model.layers.13": 0,
                "model.layers.14": 0,
                "model.layers.15": 0,
                "model.layers.16": 0,
                "model.layers.17": 0,
                "model.layers.18": 0,
                "model.layers.19": 0,
                "model.layers.20": 0,
                "model.layers.21": 0,
                "model.layers.22": 0,
                "model.layers.23": 0,
                "lm_head": 0,
                "model.norm": 0,
            }
            max_memory = {0: "7.45GiB"}

            model = AutoModelForCausalLM.from_pretrained(
                "Qwen/Qwen2.5-0.5B",
                device_map=device_map,
                max_memory=max_memory,
                torch_dtype=torch.bfloat16,
                quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=False, bnb_4bit_compute_dtype=torch.bfloat16),
            )
            ---
            import torch
            from transformers import AutoModelForSeq2SeqLM

            device_map = {
                "shared": 0,
                "encoder.block.0": 0,
                "encoder.block.1": 0,
                "encoder.block.2": 0,
                "encoder.block.3": 0,
                "encoder.block.4": 0,
                "encoder.block.5": 0,
                "encoder.block.6": 0,
                "encoder.block.7": 0,
                "encoder.block.8": 0,
                "encoder.block.9": 0,
                "encoder.block.10": 0,
                "encoder.block.11": 0,
                "encoder.block.12": 0,
                "encoder.block.13": 0,
                "encoder.block.14": 0,
                "encoder.block.15": 0,
                "encoder.block.16": 0,
                "encoder.block.17": 0,
                "encoder.block.18": 0,
                "encoder.block.19": 0,
                "encoder.block.20": 0,
                "encoder.block.21": 0,
                "encoder.block.22": 0,
                "encoder.block.23": 0,
                "decoder.block.0": 0,
                "decoder.block.1": 0,
                "decoder.block.2": 0,
                "decoder.block.3": 0,
                "decoder.block.4": 0,
                "decoder.block.5": 0,
                "decoder.block.6": 0,
                "decoder.block.7": 0,
                "decoder.block.8": 0,
                "decoder.block.9": 0,
                "decoder.block.10": 0,
                "decoder.block.11": 0,
                "decoder.block.12": 0,
                "decoder.block.13": 0,
                "decoder.block.14": 0,
                "decoder.block.15": 0,
                "decoder.block.16": 0,
                "decoder.block.17": 0,
                "decoder.block.18": 0,
                "decoder.block.19": 0,
                "decoder.block.20": 0,
                "decoder.block.21": 0,
                "decoder.block.22": 0,
                "decoder.block.23": 0,
                "decoder.final_layer_norm": 0,
                "encoder.final_layer_norm": 0,
                "lm_head": 0,
            }
            max_memory = {0: "14.90GiB"}

            model = AutoModelForSeq2SeqLM.from_pretrained(
                "google-t5/t5-large",
                device_map=device_map,
                max_memory=max_memory,
                torch_dtype=torch.bfloat16,
            )
            ---
            import torch
            from transformers import AutoModelForCausalLM

            device_map = {
                "model.embed_tokens": 0,
                "model.layers.0": 0,
                "model.layers.1": 0,
                "model.layers.2": 0,
                "model.layers.3": 0,
                "model.layers.4": 0,
                "model.layers.5": 0,
                "model.layers.6": 0,
                "model.layers.7": 0,
                "model.layers.8": 0,
                "model.layers.9": 0,
                "model.layers.10": "cpu",
                "model.layers.11": "cpu",
                "model.layers.12": "cpu",
                "model.layers.13": "cpu",
                "model.layers.14": "cpu",
                "model.layers.15": "cpu",
                "model.layers.16": "cpu",
                "model.layers.17": "cpu",
                "model.layers.18": "cpu",
                "model.layers.19": "cpu",
                "model.layers.20": "cpu",
                "model.layers.21": "cpu",
                "model.layers.22": "cpu",
                "model.layers.23": "cpu",
                "model.layers.24": "cpu",
                "model.layers.25": "cpu",
                "model.layers.26": "cpu",
                "model.layers.27": "cpu",
                "lm_head": "cpu",
                "model.norm": "cpu",
            }
            max_memory = {0: "3.73GiB", "cpu": "29.80GiB"}

            model = AutoModelForCausalLM.from_pretrained(
                "meta-llama/Llama-3.2-3B",
                device_map=device_map,
                max_memory=max_memory,
                torch_dtype=torch.bfloat16,
            )"#]].assert_eq(&format!("{a}\n---\n{b}\n---\n{c}"));
    }
}
