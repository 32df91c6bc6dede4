//! The original tool's model-profile API — `get_model_profile`,
//! `apply_profile`, `estimate_total_memory` — answered from the architecture.
//!
//! Same capabilities, none of its numbers: the profile is derived from the
//! model's config, the KV cache per token from its attention shapes, and the
//! split ratio and device map come from the planner's optimal split.
//! Adding a model is adding a config to the catalog.

use std::collections::BTreeMap;

use serde::Serialize;
use thiserror::Error;

use super::device::Gpu;
use super::search::max_batch;
use super::split::{plan, Plan, PlanRequest};
use crate::estimate::catalog::{find, UnknownModel};
use crate::estimate::format::UnknownFormat;
use crate::estimate::memory::{estimate, kv_row, Engine};
use crate::estimate::model::{ModelSpec, ModelType, Stack};
use crate::estimate::{RunSettings, WeightFormat};
use crate::import::config::ConfigError;

/// Why a profile could not be made.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProfileError {
    #[error(transparent)]
    Model(#[from] UnknownModel),
    #[error(transparent)]
    Config(#[from] ConfigError),
    #[error(transparent)]
    Format(#[from] UnknownFormat),
    #[error("give at least one GPU with a size above zero")]
    NoGpus,
}

/// A model's memory profile: the seed's `ModelMemoryProfile`, derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ModelMemoryProfile {
    pub name: String,
    pub model_type: ModelType,
    pub hidden_size: u64,
    pub num_layers: u64,
    pub num_attention_heads: u64,
    pub num_key_value_heads: u64,
    pub vocab_size: u64,
    pub max_sequence_length: u64,
    /// Exact parameter count (the seed's was in rounded billions).
    pub parameter_count: u64,
    pub active_parameter_count: u64,
    pub quantization: WeightFormat,
    pub expert_count: u64,
    pub activated_experts: u64,
    pub sliding_window: Option<u64>,
    /// Weight bytes in `quantization` (the seed's `base_memory`, in bytes).
    pub base_memory: u64,
    /// KV-cache bytes per token of context, all layers, 16-bit cache.
    pub kv_cache_per_token: u64,
    /// The engine the format implies: llama.cpp for GGUF, else transformers.
    pub engine: Engine,
    #[serde(skip)]
    spec: ModelSpec,
}

/// The seed's `estimate_total_memory` result, in bytes, for one GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct MemoryEstimate {
    pub weights: u64,
    pub kv_cache: u64,
    pub compute: u64,
    pub overhead: u64,
    pub total: u64,
}

/// Builds the profile of a catalog model; `quantization` takes any format
/// name, the seed's names (`INT4`, `GGUF_Q4_K_M`, …) included. `None` is
/// the seed's `NONE`: fp16.
pub fn get_model_profile(
    name: &str,
    quantization: Option<&str>,
) -> Result<ModelMemoryProfile, ProfileError> {
    let model = find(name)?;
    let spec = model.load()?.spec;
    let format: WeightFormat = quantization.unwrap_or("NONE").parse()?;
    let engine = match format {
        WeightFormat::Gguf { .. } => Engine::LlamaCpp,
        _ => Engine::Transformers,
    };
    let settings = RunSettings {
        engine,
        weights: format,
        ..RunSettings::default()
    };
    let e = estimate(&spec, &settings);
    let first = spec
        .layers
        .iter()
        .filter(|l| l.stack == Stack::Decoder)
        .find_map(|l| l.attention.as_ref())
        .or(spec.first_attention());
    let params = spec.params();
    let kv_cache_per_token = spec
        .layers
        .iter()
        .filter(|l| l.stack == Stack::Decoder)
        .filter_map(|l| l.attention.as_ref())
        .map(|a| {
            let (k, v) = kv_row(engine, a);
            (k + v) * 2
        })
        .sum();
    Ok(ModelMemoryProfile {
        name: model.name.to_string(),
        model_type: spec.class,
        hidden_size: spec.n_embd,
        num_layers: spec.layers.len() as u64,
        num_attention_heads: first.map_or(0, |a| a.n_head),
        num_key_value_heads: first.map_or(0, |a| a.n_head_kv()),
        vocab_size: spec.n_vocab,
        max_sequence_length: spec.n_ctx_train,
        parameter_count: params.total,
        active_parameter_count: params.active,
        quantization: format,
        expert_count: spec.moe.map_or(0, |m| m.n_expert),
        activated_experts: spec.moe.map_or(0, |m| m.n_expert_used),
        sliding_window: spec
            .layers
            .iter()
            .find_map(|l| l.attention.and_then(|a| a.window_len())),
        base_memory: e.weights_total(),
        kv_cache_per_token,
        engine,
        spec,
    })
}

impl ModelMemoryProfile {
    fn settings(&self, batch: u64, seq: u64) -> RunSettings {
        RunSettings {
            engine: self.engine,
            weights: self.quantization,
            n_ctx: seq.max(1),
            n_seq: batch.max(1),
            ..RunSettings::default()
        }
    }

    /// Everything one GPU would hold for `batch` sequences of `seq` tokens.
    pub fn estimate_total_memory(&self, batch: u64, seq: u64) -> MemoryEstimate {
        let e = estimate(&self.spec, &self.settings(batch, seq));
        let weights = e.weights_total()
            - if e.token_embd_on_host {
                e.token_embd
            } else {
                0
            };
        let kv_cache = e.kv_total();
        let compute = e.compute_layers + e.compute_output;
        let overhead = e.overhead_per_gpu;
        MemoryEstimate {
            weights,
            kv_cache,
            compute,
            overhead,
            total: weights + kv_cache + compute + overhead,
        }
    }
}

/// The seed's `apply_profile` result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AppliedProfile {
    pub profile: ModelMemoryProfile,
    /// Bytes the run needs on GPUs (all devices together) at batch 1 and
    /// the model's full context, or 8192 tokens if that is longer.
    pub memory_required: u64,
    /// Most sequences that fit at that context on the optimal split.
    pub max_batch_size: u64,
    /// Each GPU's share of the layers.
    pub split_ratio: Vec<f64>,
    /// Module → GPU id, in the engine's module names.
    pub device_map: BTreeMap<String, String>,
    pub plan: Plan,
}

/// Plans `name` on `gpu_specs` (GPU id → bytes), as the seed's
/// `apply_profile` did for two GPUs, for any number of them.
pub fn apply_profile(
    name: &str,
    gpu_specs: &BTreeMap<String, u64>,
    quantization: Option<&str>,
) -> Result<AppliedProfile, ProfileError> {
    let profile = get_model_profile(name, quantization)?;
    if gpu_specs.is_empty() || gpu_specs.values().any(|&b| b == 0) {
        return Err(ProfileError::NoGpus);
    }
    let gpus: Vec<Gpu> = gpu_specs
        .iter()
        .map(|(id, &capacity)| Gpu {
            name: id.clone(),
            card: None,
            capacity,
            reserve: 0,
            cuda_total: capacity,
            node: 0,
        })
        .collect();
    let settings = profile.settings(1, profile.max_sequence_length.min(8192));
    let request = PlanRequest {
        spec: &profile.spec,
        settings,
        gpus: &gpus,
        host_ram: None,
        allow_offload: false,
        fixed: None,
    };
    let plan = plan(request);
    let n_layer = profile.spec.layers.len().max(1) as f64;
    let split_ratio = plan
        .devices
        .iter()
        .map(|d| d.layer_count() as f64 / n_layer)
        .collect();
    // The seed keyed GPUs by the caller's ids: map indices back to them.
    let ids: Vec<&String> = gpu_specs.keys().collect();
    let device_map = device_map(&profile.spec, &plan, profile.engine)
        .into_iter()
        .map(|(module, device)| {
            let id = device
                .parse::<usize>()
                .ok()
                .and_then(|i| ids.get(i))
                .map_or(device.clone(), |id| id.to_string());
            (module, id)
        })
        .collect();
    Ok(AppliedProfile {
        memory_required: plan.devices.iter().map(|d| d.total_bytes).sum(),
        max_batch_size: max_batch(&request).unwrap_or(0),
        split_ratio,
        device_map,
        plan,
        profile,
    })
}

/// Module names → device index (or `cpu`), in llama.cpp's (`blk.N`) or
/// transformers' (`model.layers.N`, …) vocabulary.
pub fn device_map(spec: &ModelSpec, plan: &Plan, engine: Engine) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    let used: Vec<&super::split::DevicePlan> = plan.used_devices().collect();
    let cpu = "cpu".to_string();
    let first = used.first().map_or(cpu.clone(), |d| d.index.to_string());
    let mut last = used.last().map_or(cpu.clone(), |d| d.index.to_string());
    let n_enc = spec
        .layers
        .iter()
        .filter(|l| l.stack == Stack::Encoder)
        .count();
    let layer_name = |i: usize| -> String {
        match (engine.is_llama_cpp(), spec.model_type.as_str()) {
            (true, _) => format!("blk.{i}"),
            (_, "t5") if i < n_enc => format!("encoder.block.{i}"),
            (_, "t5") => format!("decoder.block.{}", i - n_enc),
            (_, "bart") if i < n_enc => format!("model.encoder.layers.{i}"),
            (_, "bart") => format!("model.decoder.layers.{}", i - n_enc),
            (_, "bert") => format!("encoder.layer.{i}"),
            _ => format!("model.layers.{i}"),
        }
    };
    for i in 0..spec.layers.len() {
        map.insert(layer_name(i), cpu.clone());
    }
    for d in &used {
        if let Some([a, b]) = d.layers {
            for i in a..=b {
                map.insert(layer_name(i), d.index.to_string());
            }
        }
    }
    // accelerate's CPU offload takes the last layers, and the head with them.
    if plan.offload.cpu_layers > 0 && !engine.is_llama_cpp() {
        last = cpu.clone();
    }
    if engine.is_llama_cpp() {
        map.insert("token_embd".into(), cpu);
        map.insert("output".into(), last);
        return map;
    }
    let globals: &[(&str, bool)] = match spec.model_type.as_str() {
        "t5" => &[
            ("shared", true),
            ("encoder.final_layer_norm", false),
            ("decoder.final_layer_norm", false),
            ("lm_head", false),
        ],
        "bart" => &[("model.shared", true), ("lm_head", false)],
        "bert" => &[("embeddings", true), ("pooler", false)],
        _ => &[
            ("model.embed_tokens", true),
            ("model.norm", false),
            ("lm_head", false),
        ],
    };
    for (module, on_first) in globals {
        map.insert(
            module.to_string(),
            if *on_first {
                first.clone()
            } else {
                last.clone()
            },
        );
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::units::GB;
    use expect_test::expect;

    #[test]
    fn profiles_are_derived_not_typed_in() {
        let p = get_model_profile("llama2-7b", None).unwrap();
        assert_eq!(p.parameter_count, 6_738_415_616);
        // 2 × 32 layers × 4096 × 2 bytes = 0.5 MiB per token (the seed said 0.000016 GB).
        assert_eq!(p.kv_cache_per_token, 524_288);
        assert_eq!(p.base_memory, 6_738_415_616 * 2);
        let mixtral = get_model_profile("mixtral-8x7b", Some("GGUF_Q4_K_M")).unwrap();
        assert_eq!((mixtral.expert_count, mixtral.activated_experts), (8, 2));
        assert_eq!(mixtral.model_type, ModelType::MixtureOfExperts);
        assert_eq!(
            get_model_profile("mistral-7b", None)
                .unwrap()
                .sliding_window,
            Some(4096)
        );
    }

    #[test]
    fn total_memory_grows_with_batch_and_sequence() {
        let p = get_model_profile("llama-2-7b", Some("q4_k_m")).unwrap();
        let small = p.estimate_total_memory(1, 4096);
        let big = p.estimate_total_memory(4, 4096);
        assert_eq!(small.kv_cache, 2048 << 20);
        assert_eq!(big.kv_cache, 4 * small.kv_cache);
        assert_eq!(
            small.total,
            small.weights + small.kv_cache + small.compute + small.overhead
        );
    }

    #[test]
    fn apply_profile_splits_by_the_optimal_plan() {
        let gpus = BTreeMap::from([("0".to_string(), 24 * GB), ("1".to_string(), 12 * GB)]);
        let applied = apply_profile("llama2-13b", &gpus, Some("q4_k_m")).unwrap();
        assert!(applied.plan.fits);
        let ratio: f64 = applied.split_ratio.iter().sum();
        assert!((ratio - 1.0).abs() < 1e-9);
        expect!["[0.7, 0.3] max_batch 7 layers on 0: 28"].assert_eq(&format!(
            "{:?} max_batch {} layers on 0: {}",
            applied.split_ratio,
            applied.max_batch_size,
            applied.device_map.values().filter(|d| *d == "0").count()
        ));
        assert_eq!(
            apply_profile("llama2-13b", &BTreeMap::new(), None).unwrap_err(),
            ProfileError::NoGpus
        );
    }
}
