//! The catalog's rows: one model per line — id, display name, family and
//! the other names people type — each stored as `<id>.json` beside this
//! file. Rows are brace-delimited macro calls so they stay one line each.

use super::CatalogModel;

macro_rules! model {
    ($id:literal, $name:literal, $family:literal, [$($alias:literal),*]) => {
        CatalogModel {
            id: $id,
            name: $name,
            family: $family,
            aliases: &[$($alias),*],
            config: include_str!(concat!($id, ".json")),
        }
    };
}

/// Every catalog model, in the order the UI lists them: families together,
/// the newest first within each.
///
/// A `// source:` note says where a config's numbers were cross-checked when
/// that is not the model's own Hub page. "aiconfigurator" means the copies of
/// published `config.json` files kept in github.com/ai-dynamo/aiconfigurator
/// (`model_configs/`). Every config's parameter count was compared with the
/// transformers model class and the model card: `tests/data/catalog_counts.json`.
#[rustfmt::skip]
pub const MODELS: &[CatalogModel] = &[
    // Llama
    // source: text_config from aiconfigurator; vision_config as published (equal to transformers' Llama4VisionConfig defaults)
    model! { "llama-4-maverick", "Llama 4 Maverick 17B-128E", "Llama", ["meta-llama/Llama-4-Maverick-17B-128E-Instruct", "meta-llama/Llama-4-Maverick-17B-128E", "llama-4-maverick-17b-128e"] },
    // source: text_config from aiconfigurator; vision_config as published (equal to transformers' Llama4VisionConfig defaults)
    model! { "llama-4-scout", "Llama 4 Scout 17B-16E", "Llama", ["meta-llama/Llama-4-Scout-17B-16E-Instruct", "meta-llama/Llama-4-Scout-17B-16E", "llama-4-scout-17b-16e"] },
    model! { "llama-3.3-70b", "Llama 3.3 70B Instruct", "Llama", ["meta-llama/Llama-3.3-70B-Instruct"] },
    model! { "llama-3.2-1b", "Llama 3.2 1B", "Llama", ["meta-llama/Llama-3.2-1B", "meta-llama/Llama-3.2-1B-Instruct"] },
    model! { "llama-3.2-11b-vision", "Llama 3.2 11B Vision", "Llama", ["meta-llama/Llama-3.2-11B-Vision", "meta-llama/Llama-3.2-11B-Vision-Instruct"] },
    model! { "llama-3.2-90b-vision", "Llama 3.2 90B Vision", "Llama", ["meta-llama/Llama-3.2-90B-Vision", "meta-llama/Llama-3.2-90B-Vision-Instruct"] },
    model! { "llama-3.2-3b", "Llama 3.2 3B", "Llama", ["meta-llama/Llama-3.2-3B", "meta-llama/Llama-3.2-3B-Instruct"] },
    model! { "llama-3.1-8b", "Llama 3.1 8B", "Llama", ["meta-llama/Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct", "meta-llama/Meta-Llama-3.1-8B", "meta-llama/Meta-Llama-3.1-8B-Instruct"] },
    model! { "llama-3.1-70b", "Llama 3.1 70B", "Llama", ["meta-llama/Llama-3.1-70B", "meta-llama/Llama-3.1-70B-Instruct", "meta-llama/Meta-Llama-3.1-70B", "meta-llama/Meta-Llama-3.1-70B-Instruct"] },
    model! { "llama-3.1-405b", "Llama 3.1 405B", "Llama", ["meta-llama/Llama-3.1-405B", "meta-llama/Llama-3.1-405B-Instruct", "meta-llama/Meta-Llama-3.1-405B", "meta-llama/Meta-Llama-3.1-405B-Instruct"] },
    model! { "codellama-34b", "Code Llama 34B", "Llama", ["meta-llama/CodeLlama-34b-hf", "meta-llama/CodeLlama-34b-Instruct-hf", "meta-llama/CodeLlama-34b-Python-hf", "codellama/CodeLlama-34b-hf", "codellama/CodeLlama-34b-Instruct-hf"] },
    model! { "codellama-13b", "Code Llama 13B", "Llama", ["meta-llama/CodeLlama-13b-hf", "meta-llama/CodeLlama-13b-Instruct-hf", "codellama/CodeLlama-13b-hf", "codellama/CodeLlama-13b-Instruct-hf"] },
    model! { "codellama-7b", "Code Llama 7B", "Llama", ["meta-llama/CodeLlama-7b-hf", "meta-llama/CodeLlama-7b-Instruct-hf", "codellama/CodeLlama-7b-hf", "codellama/CodeLlama-7b-Instruct-hf"] },
    model! { "llama-2-7b", "Llama 2 7B", "Llama", ["meta-llama/Llama-2-7b-hf", "meta-llama/Llama-2-7b-chat-hf"] },
    model! { "llama-2-13b", "Llama 2 13B", "Llama", ["meta-llama/Llama-2-13b-hf", "meta-llama/Llama-2-13b-chat-hf"] },
    model! { "llama-2-70b", "Llama 2 70B", "Llama", ["meta-llama/Llama-2-70b-hf", "meta-llama/Llama-2-70b-chat-hf"] },
    // Qwen
    // source: nvidia/Qwen3.6-27B-NVFP4 config in aiconfigurator (shape fields of the base model)
    model! { "qwen3.6-27b", "Qwen3.6 27B", "Qwen", ["Qwen/Qwen3.6-27B"] },
    // source: nvidia/Qwen3.6-35B-A3B-NVFP4 config in aiconfigurator (shape fields of the base model)
    model! { "qwen3.6-35b-a3b", "Qwen3.6 35B-A3B", "Qwen", ["Qwen/Qwen3.6-35B-A3B"] },
    // source: aiconfigurator
    model! { "qwen3.5-397b-a17b", "Qwen3.5 397B-A17B", "Qwen", ["Qwen/Qwen3.5-397B-A17B"] },
    // source: aiconfigurator
    model! { "qwen3.5-122b-a10b", "Qwen3.5 122B-A10B", "Qwen", ["Qwen/Qwen3.5-122B-A10B"] },
    // source: aiconfigurator
    model! { "qwen3.5-35b-a3b", "Qwen3.5 35B-A3B", "Qwen", ["Qwen/Qwen3.5-35B-A3B"] },
    // source: aiconfigurator
    model! { "qwen3.5-27b", "Qwen3.5 27B", "Qwen", ["Qwen/Qwen3.5-27B"] },
    // source: aiconfigurator
    model! { "qwen3-next-80b-a3b", "Qwen3-Next 80B-A3B", "Qwen", ["Qwen/Qwen3-Next-80B-A3B-Instruct", "Qwen/Qwen3-Next-80B-A3B-Thinking"] },
    // source: aiconfigurator
    model! { "qwen3-coder-480b-a35b", "Qwen3-Coder 480B-A35B", "Qwen", ["Qwen/Qwen3-Coder-480B-A35B-Instruct"] },
    model! { "qwen3-coder-30b-a3b", "Qwen3-Coder 30B-A3B", "Qwen", ["Qwen/Qwen3-Coder-30B-A3B-Instruct"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-235b-a22b", "Qwen3-VL 235B-A22B", "Qwen", ["Qwen/Qwen3-VL-235B-A22B-Instruct", "Qwen/Qwen3-VL-235B-A22B-Thinking"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-30b-a3b", "Qwen3-VL 30B-A3B", "Qwen", ["Qwen/Qwen3-VL-30B-A3B-Instruct", "Qwen/Qwen3-VL-30B-A3B-Thinking"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-32b", "Qwen3-VL 32B", "Qwen", ["Qwen/Qwen3-VL-32B-Instruct", "Qwen/Qwen3-VL-32B-Thinking"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-8b", "Qwen3-VL 8B", "Qwen", ["Qwen/Qwen3-VL-8B-Instruct", "Qwen/Qwen3-VL-8B-Thinking"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-4b", "Qwen3-VL 4B", "Qwen", ["Qwen/Qwen3-VL-4B-Instruct", "Qwen/Qwen3-VL-4B-Thinking"] },
    // source: aiconfigurator (Instruct and Thinking share the config)
    model! { "qwen3-vl-2b", "Qwen3-VL 2B", "Qwen", ["Qwen/Qwen3-VL-2B-Instruct", "Qwen/Qwen3-VL-2B-Thinking"] },
    model! { "qwen2.5-vl-72b", "Qwen2.5-VL 72B", "Qwen", ["Qwen/Qwen2.5-VL-72B-Instruct"] },
    model! { "qwen2.5-vl-32b", "Qwen2.5-VL 32B", "Qwen", ["Qwen/Qwen2.5-VL-32B-Instruct"] },
    model! { "qwen2.5-vl-7b", "Qwen2.5-VL 7B", "Qwen", ["Qwen/Qwen2.5-VL-7B-Instruct"] },
    model! { "qwen2.5-vl-3b", "Qwen2.5-VL 3B", "Qwen", ["Qwen/Qwen2.5-VL-3B-Instruct"] },
    // source: 2507 configs differ from the originals only in context: max_position_embeddings 262144 and rope_theta (Instruct and Thinking share one config)
    model! { "qwen3-235b-a22b-2507", "Qwen3 235B-A22B (2507)", "Qwen", ["Qwen/Qwen3-235B-A22B-Instruct-2507", "Qwen/Qwen3-235B-A22B-Thinking-2507"] },
    // source: 2507 configs differ from the originals only in context: max_position_embeddings 262144 and rope_theta (Instruct and Thinking share one config)
    model! { "qwen3-30b-a3b-2507", "Qwen3 30B-A3B (2507)", "Qwen", ["Qwen/Qwen3-30B-A3B-Instruct-2507", "Qwen/Qwen3-30B-A3B-Thinking-2507"] },
    // source: 2507 configs differ from the originals only in context: max_position_embeddings 262144 and rope_theta (Instruct and Thinking share one config)
    model! { "qwen3-4b-2507", "Qwen3 4B (2507)", "Qwen", ["Qwen/Qwen3-4B-Instruct-2507", "Qwen/Qwen3-4B-Thinking-2507"] },
    model! { "qwen3-235b-a22b", "Qwen3 235B-A22B", "Qwen", ["Qwen/Qwen3-235B-A22B"] },
    model! { "qwen3-30b-a3b", "Qwen3 30B-A3B", "Qwen", ["Qwen/Qwen3-30B-A3B", "Qwen/Qwen3-30B-A3B-Base"] },
    model! { "qwen3-32b", "Qwen3 32B", "Qwen", ["Qwen/Qwen3-32B"] },
    model! { "qwen3-14b", "Qwen3 14B", "Qwen", ["Qwen/Qwen3-14B", "Qwen/Qwen3-14B-Base"] },
    model! { "qwen3-8b", "Qwen3 8B", "Qwen", ["Qwen/Qwen3-8B", "Qwen/Qwen3-8B-Base"] },
    model! { "qwen3-4b", "Qwen3 4B", "Qwen", ["Qwen/Qwen3-4B", "Qwen/Qwen3-4B-Base"] },
    // source: aiconfigurator
    model! { "qwen3-1.7b", "Qwen3 1.7B", "Qwen", ["Qwen/Qwen3-1.7B", "Qwen/Qwen3-1.7B-Base"] },
    // source: aiconfigurator
    model! { "qwen3-0.6b", "Qwen3 0.6B", "Qwen", ["Qwen/Qwen3-0.6B", "Qwen/Qwen3-0.6B-Base"] },
    model! { "qwq-32b", "QwQ 32B", "Qwen", ["Qwen/QwQ-32B"] },
    model! { "qwen2.5-coder-32b", "Qwen2.5-Coder 32B", "Qwen", ["Qwen/Qwen2.5-Coder-32B", "Qwen/Qwen2.5-Coder-32B-Instruct"] },
    model! { "qwen2.5-coder-14b", "Qwen2.5-Coder 14B", "Qwen", ["Qwen/Qwen2.5-Coder-14B", "Qwen/Qwen2.5-Coder-14B-Instruct"] },
    model! { "qwen2.5-coder-7b", "Qwen2.5-Coder 7B", "Qwen", ["Qwen/Qwen2.5-Coder-7B", "Qwen/Qwen2.5-Coder-7B-Instruct"] },
    model! { "qwen2.5-0.5b", "Qwen2.5 0.5B", "Qwen", ["Qwen/Qwen2.5-0.5B", "Qwen/Qwen2.5-0.5B-Instruct"] },
    model! { "qwen2.5-1.5b", "Qwen2.5 1.5B", "Qwen", ["Qwen/Qwen2.5-1.5B", "Qwen/Qwen2.5-1.5B-Instruct"] },
    model! { "qwen2.5-3b", "Qwen2.5 3B", "Qwen", ["Qwen/Qwen2.5-3B", "Qwen/Qwen2.5-3B-Instruct"] },
    model! { "qwen2.5-7b", "Qwen2.5 7B", "Qwen", ["Qwen/Qwen2.5-7B", "Qwen/Qwen2.5-7B-Instruct"] },
    model! { "qwen2.5-14b", "Qwen2.5 14B", "Qwen", ["Qwen/Qwen2.5-14B", "Qwen/Qwen2.5-14B-Instruct"] },
    model! { "qwen2.5-32b", "Qwen2.5 32B", "Qwen", ["Qwen/Qwen2.5-32B", "Qwen/Qwen2.5-32B-Instruct"] },
    model! { "qwen2.5-72b", "Qwen2.5 72B", "Qwen", ["Qwen/Qwen2.5-72B", "Qwen/Qwen2.5-72B-Instruct"] },
    model! { "qwen2-57b-a14b", "Qwen2 57B-A14B", "Qwen", ["Qwen/Qwen2-57B-A14B", "Qwen/Qwen2-57B-A14B-Instruct"] },
    // Gemma
    // source: nvidia/Gemma-4-31B-IT-NVFP4 config in aiconfigurator
    model! { "gemma-4-31b", "Gemma 4 31B", "Gemma", ["google/gemma-4-31B", "google/gemma-4-31B-it"] },
    // source: aiconfigurator
    model! { "gemma-4-26b-a4b", "Gemma 4 26B-A4B", "Gemma", ["google/gemma-4-26B-A4B", "google/gemma-4-26B-A4B-it"] },
    // source: text_config as transformers' Gemma3nTextConfig defaults (documented as E4B); the USM audio and MobileNet-V5 towers are not in vramfit's count
    model! { "gemma-3n-e4b", "Gemma 3n E4B", "Gemma", ["google/gemma-3n-E4B", "google/gemma-3n-E4B-it"] },
    // source: E4B's text config with 30 layers, 8192-wide MLPs, 10 KV-shared layers; raw 5.44B = text 4.44B + the same 1.0B of towers as E4B
    model! { "gemma-3n-e2b", "Gemma 3n E2B", "Gemma", ["google/gemma-3n-E2B", "google/gemma-3n-E2B-it"] },
    model! { "gemma-3-27b", "Gemma 3 27B", "Gemma", ["google/gemma-3-27b-it", "google/gemma-3-27b-pt"] },
    model! { "gemma-3-12b", "Gemma 3 12B", "Gemma", ["google/gemma-3-12b-it", "google/gemma-3-12b-pt"] },
    model! { "gemma-3-4b", "Gemma 3 4B", "Gemma", ["google/gemma-3-4b-it", "google/gemma-3-4b-pt"] },
    model! { "gemma-3-1b", "Gemma 3 1B", "Gemma", ["google/gemma-3-1b-it", "google/gemma-3-1b-pt"] },
    model! { "gemma-3-270m", "Gemma 3 270M", "Gemma", ["google/gemma-3-270m", "google/gemma-3-270m-it"] },
    model! { "gemma-2-9b", "Gemma 2 9B", "Gemma", ["google/gemma-2-9b", "google/gemma-2-9b-it"] },
    model! { "gemma-2-27b", "Gemma 2 27B", "Gemma", ["google/gemma-2-27b", "google/gemma-2-27b-it"] },
    model! { "gemma-7b", "Gemma 7B", "Gemma", ["google/gemma-7b", "google/gemma-7b-it"] },
    // PaliGemma
    model! { "paligemma2-10b", "PaliGemma 2 10B", "PaliGemma", ["google/paligemma2-10b-pt-224", "google/paligemma2-10b-pt-448", "google/paligemma2-10b-mix-224", "google/paligemma2-10b-mix-448"] },
    model! { "paligemma2-3b", "PaliGemma 2 3B", "PaliGemma", ["google/paligemma2-3b-pt-224", "google/paligemma2-3b-pt-448", "google/paligemma2-3b-mix-224", "google/paligemma2-3b-mix-448"] },
    // Mistral
    // source: mistral-community/pixtral-12b, the transformers-format (llava) copy of mistralai/Pixtral-12B-2409
    model! { "pixtral-12b", "Pixtral 12B", "Mistral", ["mistral-community/pixtral-12b", "mistralai/Pixtral-12B-2409"] },
    // source: 3.2 (2506) ships the same config; whole model 24,011,361,280 = the Hub's figure
    model! { "mistral-small-3.1-24b", "Mistral Small 3.1/3.2 24B", "Mistral", ["mistralai/Mistral-Small-3.1-24B-Instruct-2503", "mistralai/Mistral-Small-3.1-24B-Base-2503", "mistralai/Mistral-Small-3.2-24B-Instruct-2506", "mistral-small-3.2-24b"] },
    model! { "magistral-small", "Magistral Small (2506/2507)", "Mistral", ["mistralai/Magistral-Small-2506", "mistralai/Magistral-Small-2507"] },
    model! { "devstral-small", "Devstral Small (2505/2507)", "Mistral", ["mistralai/Devstral-Small-2505", "mistralai/Devstral-Small-2507"] },
    model! { "mistral-small-24b", "Mistral Small 24B (2501)", "Mistral", ["mistralai/Mistral-Small-24B-Base-2501", "mistralai/Mistral-Small-24B-Instruct-2501"] },
    model! { "mistral-large-2", "Mistral Large 2 (123B)", "Mistral", ["mistralai/Mistral-Large-Instruct-2407", "mistralai/Mistral-Large-Instruct-2411"] },
    model! { "ministral-8b", "Ministral 8B", "Mistral", ["mistralai/Ministral-8B-Instruct-2410"] },
    model! { "mistral-nemo-12b", "Mistral NeMo 12B", "Mistral", ["mistralai/Mistral-Nemo-Base-2407", "mistralai/Mistral-Nemo-Instruct-2407"] },
    model! { "mixtral-8x22b", "Mixtral 8x22B Instruct", "Mistral", ["mistralai/Mixtral-8x22B-Instruct-v0.1"] },
    model! { "mixtral-8x7b", "Mixtral 8x7B", "Mistral", ["mistralai/Mixtral-8x7B-v0.1", "mistralai/Mixtral-8x7B-Instruct-v0.1"] },
    model! { "mistral-7b-v0.1", "Mistral 7B v0.1", "Mistral", ["mistralai/Mistral-7B-v0.1", "mistral-7b"] },
    // InternVL
    // source: the -hf (transformers-format) config; the original repo holds the same model as remote code
    model! { "internvl3-78b", "InternVL3 78B", "InternVL", ["OpenGVLab/InternVL3-78B-hf", "OpenGVLab/InternVL3-78B"] },
    model! { "internvl3-38b", "InternVL3 38B", "InternVL", ["OpenGVLab/InternVL3-38B-hf", "OpenGVLab/InternVL3-38B"] },
    model! { "internvl3-14b", "InternVL3 14B", "InternVL", ["OpenGVLab/InternVL3-14B-hf", "OpenGVLab/InternVL3-14B"] },
    model! { "internvl3-8b", "InternVL3 8B", "InternVL", ["OpenGVLab/InternVL3-8B-hf", "OpenGVLab/InternVL3-8B"] },
    model! { "internvl3-2b", "InternVL3 2B", "InternVL", ["OpenGVLab/InternVL3-2B-hf", "OpenGVLab/InternVL3-2B"] },
    model! { "internvl3-1b", "InternVL3 1B", "InternVL", ["OpenGVLab/InternVL3-1B-hf", "OpenGVLab/InternVL3-1B"] },
    // LLaVA
    model! { "llava-onevision-7b", "LLaVA-OneVision 7B", "LLaVA", ["llava-hf/llava-onevision-qwen2-7b-ov-hf", "llava-hf/llava-onevision-qwen2-7b-ov-chat-hf"] },
    model! { "llava-onevision-0.5b", "LLaVA-OneVision 0.5B", "LLaVA", ["llava-hf/llava-onevision-qwen2-0.5b-ov-hf"] },
    model! { "llava-1.6-mistral-7b", "LLaVA-NeXT Mistral 7B", "LLaVA", ["llava-hf/llava-v1.6-mistral-7b-hf", "llava-v1.6-mistral-7b"] },
    model! { "llava-1.5-13b", "LLaVA 1.5 13B", "LLaVA", ["llava-hf/llava-1.5-13b-hf"] },
    model! { "llava-1.5-7b", "LLaVA 1.5 7B", "LLaVA", ["llava-hf/llava-1.5-7b-hf"] },
    // SmolVLM
    model! { "smolvlm2-2.2b", "SmolVLM2 2.2B", "SmolVLM", ["HuggingFaceTB/SmolVLM2-2.2B-Instruct"] },
    model! { "smolvlm2-500m", "SmolVLM2 500M", "SmolVLM", ["HuggingFaceTB/SmolVLM2-500M-Video-Instruct", "HuggingFaceTB/SmolVLM2-500M-Instruct"] },
    model! { "smolvlm2-256m", "SmolVLM2 256M", "SmolVLM", ["HuggingFaceTB/SmolVLM2-256M-Video-Instruct", "HuggingFaceTB/SmolVLM2-256M-Instruct"] },
    // Idefics
    model! { "idefics3-8b", "Idefics3 8B (Llama 3)", "Idefics", ["HuggingFaceM4/Idefics3-8B-Llama3"] },
    // DeepSeek
    // source: aiconfigurator
    model! { "deepseek-v3.2", "DeepSeek-V3.2", "DeepSeek", ["deepseek-ai/DeepSeek-V3.2", "deepseek-ai/DeepSeek-V3.2-Exp"] },
    // source: nvidia/DeepSeek-V3.1-NVFP4 config in aiconfigurator
    model! { "deepseek-v3.1", "DeepSeek-V3.1", "DeepSeek", ["deepseek-ai/DeepSeek-V3.1", "deepseek-ai/DeepSeek-V3.1-Terminus", "deepseek-ai/DeepSeek-V3.1-Base"] },
    // source: aiconfigurator
    model! { "deepseek-r1", "DeepSeek-R1", "DeepSeek", ["deepseek-ai/DeepSeek-R1", "deepseek-ai/DeepSeek-R1-0528"] },
    model! { "deepseek-v3", "DeepSeek-V3", "DeepSeek", ["deepseek-ai/DeepSeek-V3", "deepseek-ai/DeepSeek-V3-Base", "deepseek-ai/DeepSeek-V3-0324"] },
    model! { "deepseek-r1-distill-llama-70b", "DeepSeek-R1-Distill-Llama 70B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Llama-70B"] },
    model! { "deepseek-r1-distill-qwen-32b", "DeepSeek-R1-Distill-Qwen 32B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Qwen-32B"] },
    model! { "deepseek-r1-distill-qwen-14b", "DeepSeek-R1-Distill-Qwen 14B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Qwen-14B"] },
    model! { "deepseek-r1-distill-llama-8b", "DeepSeek-R1-Distill-Llama 8B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Llama-8B"] },
    model! { "deepseek-r1-distill-qwen-7b", "DeepSeek-R1-Distill-Qwen 7B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Qwen-7B"] },
    model! { "deepseek-r1-distill-qwen-1.5b", "DeepSeek-R1-Distill-Qwen 1.5B", "DeepSeek", ["deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B"] },
    model! { "deepseek-v2-lite", "DeepSeek-V2-Lite", "DeepSeek", ["deepseek-ai/DeepSeek-V2-Lite", "deepseek-ai/DeepSeek-V2-Lite-Chat"] },
    // Kimi
    // source: Kimi K2 with 256K context (yarn factor 64); Kimi-K2-Thinking ships the same shapes with INT4 experts
    model! { "kimi-k2-0905", "Kimi K2 (0905 / Thinking)", "Kimi", ["moonshotai/Kimi-K2-Instruct-0905", "moonshotai/Kimi-K2-Thinking"] },
    // source: aiconfigurator; published model_type "kimi_k2" loads DeepseekV3 by remote code, stored as deepseek_v3
    model! { "kimi-k2", "Kimi K2", "Kimi", ["moonshotai/Kimi-K2-Instruct", "moonshotai/Kimi-K2-Base"] },
    // source: layer layout from huggingface/transformers#47875 (27 layers, MLA at 4,8,12,16,20,24,27); widths from transformers' KimiLinearConfig defaults (documented as this checkpoint)
    model! { "kimi-linear-48b-a3b", "Kimi Linear 48B-A3B", "Kimi", ["moonshotai/Kimi-Linear-48B-A3B-Instruct", "moonshotai/Kimi-Linear-48B-A3B-Base"] },
    // GLM
    model! { "glm-4.5v", "GLM-4.5V (106B-A12B)", "GLM", ["zai-org/GLM-4.5V"] },
    model! { "glm-4.1v-9b", "GLM-4.1V 9B", "GLM", ["zai-org/GLM-4.1V-9B-Thinking", "zai-org/GLM-4.1V-9B-Base", "THUDM/GLM-4.1V-9B-Thinking"] },
    // source: aiconfigurator (same shapes as GLM-4.6)
    model! { "glm-4.7", "GLM-4.7", "GLM", ["zai-org/GLM-4.7"] },
    model! { "glm-4.6", "GLM-4.6", "GLM", ["zai-org/GLM-4.6"] },
    model! { "glm-4.5", "GLM-4.5", "GLM", ["zai-org/GLM-4.5", "zai-org/GLM-4.5-Base"] },
    model! { "glm-4.5-air", "GLM-4.5-Air", "GLM", ["zai-org/GLM-4.5-Air", "zai-org/GLM-4.5-Air-Base"] },
    model! { "glm-4-32b-0414", "GLM-4 32B (0414)", "GLM", ["zai-org/GLM-4-32B-0414", "zai-org/GLM-4-32B-Base-0414", "zai-org/GLM-Z1-32B-0414", "THUDM/GLM-4-32B-0414"] },
    model! { "glm-4-9b-0414", "GLM-4 9B (0414)", "GLM", ["zai-org/GLM-4-9B-0414", "zai-org/GLM-Z1-9B-0414", "THUDM/GLM-4-9B-0414"] },
    // MiniMax
    // source: MiniMax-M2.5 config in aiconfigurator; M2, M2.1 and M2.5 share the architecture
    model! { "minimax-m2", "MiniMax-M2", "MiniMax", ["MiniMaxAI/MiniMax-M2", "MiniMaxAI/MiniMax-M2.1", "MiniMaxAI/MiniMax-M2.5"] },
    // source: the -hf conversion transformers loads (layer_types: softmax attention every 8th layer)
    model! { "minimax-m1", "MiniMax-M1", "MiniMax", ["MiniMaxAI/MiniMax-M1-80k", "MiniMaxAI/MiniMax-M1-40k", "MiniMaxAI/MiniMax-M1-80k-hf", "MiniMaxAI/MiniMax-Text-01-hf"] },
    // gpt-oss
    model! { "gpt-oss-20b", "gpt-oss 20B", "gpt-oss", ["openai/gpt-oss-20b"] },
    model! { "gpt-oss-120b", "gpt-oss 120B", "gpt-oss", ["openai/gpt-oss-120b"] },
    // Phi
    model! { "phi-4-reasoning", "Phi-4-reasoning", "Phi", ["microsoft/Phi-4-reasoning", "microsoft/Phi-4-reasoning-plus"] },
    // source: longrope factors omitted (no effect on memory)
    model! { "phi-4-mini", "Phi-4-mini", "Phi", ["microsoft/Phi-4-mini-instruct", "microsoft/Phi-4-mini-reasoning"] },
    model! { "phi-4", "Phi-4", "Phi", ["microsoft/phi-4"] },
    // source: longrope factors omitted (no effect on memory)
    model! { "phi-3.5-moe", "Phi-3.5-MoE", "Phi", ["microsoft/Phi-3.5-MoE-instruct"] },
    model! { "phi-3-mini-4k", "Phi-3 mini 4k", "Phi", ["microsoft/Phi-3-mini-4k-instruct"] },
    model! { "phi-3-medium-4k", "Phi-3 medium 4k", "Phi", ["microsoft/Phi-3-medium-4k-instruct"] },
    model! { "phi-2", "Phi-2", "Phi", ["microsoft/phi-2"] },
    // Granite
    model! { "granite-vision-3.2-2b", "Granite Vision 3.2 2B", "Granite", ["ibm-granite/granite-vision-3.2-2b"] },
    // source: GGUF metadata (ollama ibm/granite4:small-h): 72 experts, top-10, expert FFN 768,
    // shared FFN 1536, SSM inner 8192, context 1048576 (H-Tiny assumed the same context)
    model! { "granite-4.0-h-small", "Granite 4.0 H-Small", "Granite", ["ibm-granite/granite-4.0-h-small", "ibm-granite/granite-4.0-h-small-base"] },
    model! { "granite-4.0-h-tiny", "Granite 4.0 H-Tiny", "Granite", ["ibm-granite/granite-4.0-h-tiny", "ibm-granite/granite-4.0-h-tiny-base"] },
    // source: layer_types (attention at 5, 15, 25, 35) and Mamba widths from a published H-Micro fine-tune's config.json
    model! { "granite-4.0-h-micro", "Granite 4.0 H-Micro", "Granite", ["ibm-granite/granite-4.0-h-micro", "ibm-granite/granite-4.0-h-micro-base"] },
    model! { "granite-3.3-8b", "Granite 3.3 8B", "Granite", ["ibm-granite/granite-3.3-8b-instruct", "ibm-granite/granite-3.3-8b-base"] },
    model! { "granite-3.3-2b", "Granite 3.3 2B", "Granite", ["ibm-granite/granite-3.3-2b-instruct", "ibm-granite/granite-3.3-2b-base"] },
    model! { "granite-3.1-3b-a800m", "Granite 3.1 3B-A800M", "Granite", ["ibm-granite/granite-3.1-3b-a800m-instruct", "ibm-granite/granite-3.1-3b-a800m-base"] },
    model! { "granite-3.1-1b-a400m", "Granite 3.1 1B-A400M", "Granite", ["ibm-granite/granite-3.1-1b-a400m-instruct", "ibm-granite/granite-3.1-1b-a400m-base"] },
    // Nemotron
    // source: aiconfigurator
    model! { "nemotron-3-nano-30b-a3b", "Nemotron 3 Nano 30B-A3B", "Nemotron", ["nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16", "nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-Base-BF16"] },
    // source: NVIDIA-NeMo/Megatron-Bridge nemotron_h_provider.py
    model! { "nemotron-nano-12b-v2", "Nemotron Nano 12B v2", "Nemotron", ["nvidia/NVIDIA-Nemotron-Nano-12B-v2", "nvidia/NVIDIA-Nemotron-Nano-12B-v2-Base"] },
    // source: NVIDIA-NeMo/Megatron-Bridge nemotron_h_provider.py
    model! { "nemotron-nano-9b-v2", "Nemotron Nano 9B v2", "Nemotron", ["nvidia/NVIDIA-Nemotron-Nano-9B-v2", "nvidia/NVIDIA-Nemotron-Nano-9B-v2-Base"] },
    // source: aiconfigurator
    model! { "nemotron-h-56b", "Nemotron-H 56B", "Nemotron", ["nvidia/Nemotron-H-56B-Base-8K"] },
    // source: hybrid pattern and widths from NVIDIA-NeMo/Megatron-Bridge nemotron_h_provider.py
    model! { "nemotron-h-47b", "Nemotron-H 47B", "Nemotron", ["nvidia/Nemotron-H-47B-Base-8K", "nvidia/Nemotron-H-47B-Reasoning-128K"] },
    // source: NVIDIA-NeMo/Megatron-Bridge nemotron_h_provider.py; 8,100,852,736 parameters
    model! { "nemotron-h-8b", "Nemotron-H 8B", "Nemotron", ["nvidia/Nemotron-H-8B-Base-8K", "nvidia/Nemotron-H-8B-Reasoning-128K"] },
    // OLMo
    model! { "olmo-2-32b", "OLMo 2 32B", "OLMo", ["allenai/OLMo-2-0325-32B", "allenai/OLMo-2-0325-32B-Instruct"] },
    model! { "olmo-2-13b", "OLMo 2 13B", "OLMo", ["allenai/OLMo-2-1124-13B", "allenai/OLMo-2-1124-13B-Instruct"] },
    model! { "olmo-2-7b", "OLMo 2 7B", "OLMo", ["allenai/OLMo-2-1124-7B", "allenai/OLMo-2-1124-7B-Instruct"] },
    model! { "olmo-2-1b", "OLMo 2 1B", "OLMo", ["allenai/OLMo-2-0425-1B", "allenai/OLMo-2-0425-1B-Instruct"] },
    model! { "olmoe-1b-7b", "OLMoE 1B-7B", "OLMo", ["allenai/OLMoE-1B-7B-0924", "allenai/OLMoE-1B-7B-0125", "allenai/OLMoE-1B-7B-0125-Instruct"] },
    // SmolLM
    model! { "smollm3-3b", "SmolLM3 3B", "SmolLM", ["HuggingFaceTB/SmolLM3-3B", "HuggingFaceTB/SmolLM3-3B-Base"] },
    model! { "smollm2-1.7b", "SmolLM2 1.7B", "SmolLM", ["HuggingFaceTB/SmolLM2-1.7B", "HuggingFaceTB/SmolLM2-1.7B-Instruct"] },
    model! { "smollm2-135m", "SmolLM2 135M", "SmolLM", ["HuggingFaceTB/SmolLM2-135M", "HuggingFaceTB/SmolLM2-135M-Instruct"] },
    // Falcon
    // source: widths from the transformers Falcon-H1 doc table; intermediate 12288 and vocab 130048 from copies of the published config
    model! { "falcon-h1-7b", "Falcon-H1 7B", "Falcon", ["tiiuae/Falcon-H1-7B-Base", "tiiuae/Falcon-H1-7B-Instruct"] },
    // source: widths from the transformers Falcon-H1 doc table; intermediate 6144 from a copy of the published config
    model! { "falcon-h1-3b", "Falcon-H1 3B", "Falcon", ["tiiuae/Falcon-H1-3B-Base", "tiiuae/Falcon-H1-3B-Instruct"] },
    // source: widths from the transformers Falcon-H1 doc table; intermediate 4608 from a copy of the published config
    model! { "falcon-h1-1.5b", "Falcon-H1 1.5B", "Falcon", ["tiiuae/Falcon-H1-1.5B-Base", "tiiuae/Falcon-H1-1.5B-Instruct"] },
    model! { "falcon-mamba-7b", "Falcon Mamba 7B", "Falcon", ["tiiuae/falcon-mamba-7b", "tiiuae/falcon-mamba-7b-instruct"] },
    model! { "falcon-40b", "Falcon 40B", "Falcon", ["tiiuae/falcon-40b", "tiiuae/falcon-40b-instruct"] },
    model! { "falcon-7b", "Falcon 7B", "Falcon", ["tiiuae/falcon-7b", "tiiuae/falcon-7b-instruct"] },
    // LFM
    // source: attention layers 2, 6, 10, 14, 18, 21 (two independent copies of the published config)
    model! { "lfm2-8b-a1b", "LFM2 8B-A1B", "LFM", ["LiquidAI/LFM2-8B-A1B"] },
    // source: layer layout from LFM2-2.6B exports; feed_forward_length 10752 in its GGUF metadata
    model! { "lfm2-2.6b", "LFM2 2.6B", "LFM", ["LiquidAI/LFM2-2.6B"] },
    // source: parameter counts of the four LFM2 sizes match llama-bench in ggml-org/llama.cpp#16204
    model! { "lfm2-1.2b", "LFM2 1.2B", "LFM", ["LiquidAI/LFM2-1.2B"] },
    model! { "lfm2-700m", "LFM2 700M", "LFM", ["LiquidAI/LFM2-700M"] },
    model! { "lfm2-350m", "LFM2 350M", "LFM", ["LiquidAI/LFM2-350M"] },
    // Jamba
    model! { "jamba-large", "Jamba Large (1.5–1.7)", "Jamba", ["ai21labs/AI21-Jamba-Large-1.7", "ai21labs/AI21-Jamba-Large-1.6", "ai21labs/AI21-Jamba-1.5-Large"] },
    model! { "jamba-mini", "Jamba Mini (1.5–1.7)", "Jamba", ["ai21labs/AI21-Jamba-Mini-1.7", "ai21labs/AI21-Jamba-Mini-1.6", "ai21labs/AI21-Jamba-1.5-Mini", "ai21labs/Jamba-v0.1"] },
    // Bamba
    model! { "bamba-9b", "Bamba 9B", "Bamba", ["ibm-ai-platform/Bamba-9B", "ibm-ai-platform/Bamba-9B-v2", "ibm-fms/Bamba-9B"] },
    // Mamba
    model! { "mamba2-2.7b", "Mamba-2 2.7B", "Mamba", ["state-spaces/mamba2-2.7b"] },
    model! { "mamba-2.8b", "Mamba 2.8B", "Mamba", ["state-spaces/mamba-2.8b-hf"] },
    // Command
    model! { "command-a", "Command A (111B)", "Command", ["CohereLabs/c4ai-command-a-03-2025", "CohereForAI/c4ai-command-a-03-2025"] },
    // source: config.json copies of the 12-2024 release (max_position_embeddings 8192,
    // sliding window 4096 on three layers of four)
    model! { "command-r7b", "Command R7B", "Command", ["CohereLabs/c4ai-command-r7b-12-2024", "CohereForAI/c4ai-command-r7b-12-2024"] },
    // source: a config.json copy of the 08-2024 release (intermediate 24576, 8 KV heads)
    model! { "command-r-08-2024", "Command R (08-2024)", "Command", ["CohereLabs/c4ai-command-r-08-2024", "CohereForAI/c4ai-command-r-08-2024"] },
    model! { "command-r-v01", "Command R (v01)", "Command", ["CohereLabs/c4ai-command-r-v01", "CohereForAI/c4ai-command-r-v01"] },
    // Hunyuan
    model! { "hunyuan-a13b", "Hunyuan-A13B", "Hunyuan", ["tencent/Hunyuan-A13B-Instruct", "tencent/Hunyuan-A13B-Pretrain"] },
    model! { "hunyuan-7b", "Hunyuan 7B", "Hunyuan", ["tencent/Hunyuan-7B-Instruct", "tencent/Hunyuan-7B-Pretrain"] },
    // ERNIE
    model! { "ernie-4.5-300b-a47b", "ERNIE 4.5 300B-A47B", "ERNIE", ["baidu/ERNIE-4.5-300B-A47B-PT", "baidu/ERNIE-4.5-300B-A47B-Base-PT"] },
    model! { "ernie-4.5-21b-a3b", "ERNIE 4.5 21B-A3B", "ERNIE", ["baidu/ERNIE-4.5-21B-A3B-PT", "baidu/ERNIE-4.5-21B-A3B-Base-PT", "baidu/ERNIE-4.5-21B-A3B-Thinking"] },
    model! { "ernie-4.5-0.3b", "ERNIE 4.5 0.3B", "ERNIE", ["baidu/ERNIE-4.5-0.3B-PT", "baidu/ERNIE-4.5-0.3B-Base-PT"] },
    // EXAONE
    model! { "exaone-4.0-32b", "EXAONE 4.0 32B", "EXAONE", ["LGAI-EXAONE/EXAONE-4.0-32B"] },
    model! { "exaone-4.0-1.2b", "EXAONE 4.0 1.2B", "EXAONE", ["LGAI-EXAONE/EXAONE-4.0-1.2B"] },
    // Seed
    model! { "seed-oss-36b", "Seed-OSS 36B", "Seed", ["ByteDance-Seed/Seed-OSS-36B-Instruct", "ByteDance-Seed/Seed-OSS-36B-Base"] },
    // dots
    model! { "dots-llm1", "dots.llm1 (142B-A14B)", "dots", ["rednote-hilab/dots.llm1.inst", "rednote-hilab/dots.llm1.base"] },
    // StarCoder
    model! { "starcoder2-15b", "StarCoder2 15B", "StarCoder", ["bigcode/starcoder2-15b", "bigcode/starcoder2-15b-instruct-v0.1"] },
    model! { "starcoder2-7b", "StarCoder2 7B", "StarCoder", ["bigcode/starcoder2-7b"] },
    model! { "starcoder2-3b", "StarCoder2 3B", "StarCoder", ["bigcode/starcoder2-3b"] },
    // Pythia
    // source: 20,554,567,680 parameters, as in the GPT-NeoX-20B paper
    model! { "gpt-neox-20b", "GPT-NeoX 20B", "Pythia", ["EleutherAI/gpt-neox-20b"] },
    // source: counts equal the Pythia paper's Table 1 exactly
    model! { "pythia-12b", "Pythia 12B", "Pythia", ["EleutherAI/pythia-12b", "EleutherAI/pythia-12b-deduped"] },
    model! { "pythia-6.9b", "Pythia 6.9B", "Pythia", ["EleutherAI/pythia-6.9b", "EleutherAI/pythia-6.9b-deduped"] },
    model! { "pythia-1.4b", "Pythia 1.4B", "Pythia", ["EleutherAI/pythia-1.4b", "EleutherAI/pythia-1.4b-deduped"] },
    // TinyLlama
    model! { "tinyllama-1.1b", "TinyLlama 1.1B", "TinyLlama", ["TinyLlama/TinyLlama-1.1B-intermediate-step-1431k-3T", "TinyLlama/TinyLlama-1.1B-Chat-v1.0", "tinyllama"] },
    // T5
    model! { "flan-t5-xl", "FLAN-T5 XL", "T5", ["google/flan-t5-xl"] },
    model! { "t5-large", "T5 Large", "T5", ["google-t5/t5-large"] },
    model! { "t5-base", "T5 Base", "T5", ["google-t5/t5-base"] },
    // BART
    model! { "bart-large", "BART Large", "BART", ["facebook/bart-large"] },
    // BERT
    model! { "bert-large-uncased", "BERT large uncased", "BERT", ["google-bert/bert-large-uncased"] },
    model! { "bert-base-uncased", "BERT base uncased", "BERT", ["google-bert/bert-base-uncased"] },
];
