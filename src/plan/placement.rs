//! llama.cpp's fixed placement: `-ngl`, `-ts`, `-sm`, `-mg` and the backend,
//! as the user already runs them, evaluated instead of searched.
//!
//! The layer-to-device rule is `llama_model::load_tensors` in llama.cpp's
//! `src/llama-model.cpp` (read at ggml-org/llama.cpp, 2026):
//!
//! ```text
//! splits[i]      = cumulative -ts (or free memory), normalised to end at 1 (f32)
//! i_gpu_start    = max(n_layer + 1 - n_gpu_layers, 0)
//! act_gpu_layers = min(n_gpu_layers, n_layer + 1)
//! slot il (0..=n_layer; n_layer is the output layer) is on the CPU when
//!   il < i_gpu_start, else on device upper_bound(splits, (il - i_gpu_start) / act_gpu_layers)
//! ```
//!
//! So the output counts as one of the `-ngl` layers, the CPU layers are the
//! first ones, and `-ngl n_layer + 1` offloads everything. (Builds before the
//! `--fit` rework of late 2025 used `i_gpu_start = n_layer - n_gpu_layers`,
//! which kept the output on the CPU until `-ngl` reached `n_layer + 1`.)
//!
//! Split modes, from the same file and `src/llama.cpp`
//! (`llama_prepare_model_devices`): `none` keeps only the `-mg` device;
//! `layer` and `row` assign layers — and with them the KV cache, which
//! `llama-kv-cache.cpp` puts on `model.dev_layer(il)` — by the rule above.
//! `row` differs only in `make_gpu_buft_list`: each GPU's buffer list starts
//! with the backend's split buffer type (`ggml_backend_cuda_split_buffer_type`
//! in ggml-cuda, given `-ts`), which takes the 2-D matrices of the layers that
//! device holds and spreads their rows over *all* GPUs in `-ts` proportions
//! (default: proportional to each GPU's memory). Expert tensors (3-D) and
//! norms stay in the device's own buffer. The help text's "KV on the main
//! GPU with -sm row" describes builds before the 2024 backend-registry
//! rework (all layers on `-mg`); current builds do not read `-mg` for `row`.
//! Only CUDA/ROCm (and SYCL) export a split buffer type: elsewhere `row`
//! falls back to `layer`.

use serde::Serialize;
use thiserror::Error;

/// `-sm, --split-mode`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SplitMode {
    /// Only the main GPU (`-mg`).
    None,
    /// Contiguous layer ranges per GPU (llama.cpp's default).
    #[default]
    Layer,
    /// Layers as `layer`, matrices' rows spread over all GPUs.
    Row,
}

impl SplitMode {
    pub fn id(self) -> &'static str {
        match self {
            SplitMode::None => "none",
            SplitMode::Layer => "layer",
            SplitMode::Row => "row",
        }
    }
}

/// The ggml backend llama.cpp is built with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Backend {
    Cuda,
    Rocm,
    Metal,
    Vulkan,
    Cpu,
}

impl Backend {
    pub const CHOICES: &'static str = "cuda, rocm, metal, vulkan, cpu";

    pub fn parse(text: &str) -> Option<Backend> {
        Some(match text.trim().to_ascii_lowercase().as_str() {
            "cuda" => Backend::Cuda,
            "rocm" | "hip" => Backend::Rocm,
            "metal" | "mps" => Backend::Metal,
            "vulkan" => Backend::Vulkan,
            "cpu" => Backend::Cpu,
            _ => return None,
        })
    }

    pub fn id(self) -> &'static str {
        match self {
            Backend::Cuda => "cuda",
            Backend::Rocm => "rocm",
            Backend::Metal => "metal",
            Backend::Vulkan => "vulkan",
            Backend::Cpu => "cpu",
        }
    }

    /// The backend a vendor's GPUs run by default.
    pub fn for_vendor(vendor: &str) -> Backend {
        match vendor {
            "apple" => Backend::Metal,
            "amd" => Backend::Rocm,
            "intel" => Backend::Vulkan,
            _ => Backend::Cuda,
        }
    }

    /// Whether the backend exports a split buffer type (`-sm row` works).
    pub fn splits_rows(self) -> bool {
        matches!(self, Backend::Cuda | Backend::Rocm)
    }
}

/// What the user fixed. Empty fields are llama.cpp's defaults, searched by
/// the planner when nothing at all is fixed.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Placement {
    /// `-ngl`: layers on GPUs, the output counted as one.
    pub n_gpu_layers: Option<usize>,
    /// `-ts`: proportions per GPU (trailing GPUs without one get 0).
    pub tensor_split: Vec<f32>,
    pub split_mode: SplitMode,
    /// `-mg`: the device for `-sm none`.
    pub main_gpu: usize,
    /// Whether `-sm` / `-mg` were given (echoed in the command).
    pub split_mode_given: bool,
    pub main_gpu_given: bool,
    /// `--n-cpu-moe`: the first layers whose expert tensors stay in host
    /// memory (`--cpu-moe`: all of them).
    pub n_cpu_moe: Option<usize>,
}

impl Placement {
    /// Whether the plan must evaluate this placement rather than search one.
    pub fn is_fixed(&self) -> bool {
        self.n_gpu_layers.is_some()
            || !self.tensor_split.is_empty()
            || self.split_mode != SplitMode::Layer
            || self.n_cpu_moe.is_some()
    }
}

/// A fixed placement that llama.cpp would refuse or that cannot mean anything.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PlacementError {
    #[error("-ts has {given} proportions but there are only {gpus} GPUs")]
    MoreProportions { given: usize, gpus: usize },
    #[error("-ts proportions must be numbers of 0 or more, such as 3,1; got '{0}'")]
    BadProportion(String),
    #[error("-ts proportions are all 0: give at least one GPU a share, such as 3,1")]
    AllZero,
    #[error("-ngl {given} is more than the model's {n_layer} layers plus the output ({most}); use {most} or 'all' to offload everything")]
    TooManyLayers {
        given: usize,
        n_layer: usize,
        most: usize,
    },
    #[error("-ngl must be a whole number of layers or 'all', got '{0}'")]
    BadLayers(String),
    #[error("-mg {given} names no GPU: there are {gpus} (0 to {})", gpus.saturating_sub(1))]
    MainGpu { given: usize, gpus: usize },
}

/// Parses `-ts` text (`3,1`, `3/1` or `3 1`); empty for none.
pub fn parse_tensor_split(text: &str) -> Result<Vec<f32>, PlacementError> {
    let parts: Vec<&str> = text
        .split([',', '/', ' '])
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .collect();
    parts
        .iter()
        .map(|p| match p.parse::<f32>() {
            Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
            _ => Err(PlacementError::BadProportion(p.to_string())),
        })
        .collect()
}

/// Parses `-ngl` text: a count, or `all` / `-1` for every layer; empty for none.
pub fn parse_gpu_layers(text: &str, n_layer: usize) -> Result<Option<usize>, PlacementError> {
    let most = n_layer + 1;
    match text.trim().to_ascii_lowercase().as_str() {
        "" | "auto" => Ok(None),
        "all" | "-1" | "max" => Ok(Some(most)),
        t => match t.parse::<usize>() {
            Ok(given) if given > most => Err(PlacementError::TooManyLayers {
                given,
                n_layer,
                most,
            }),
            Ok(n) => Ok(Some(n)),
            Err(_) => Err(PlacementError::BadLayers(text.trim().to_string())),
        },
    }
}

/// Checks proportions against the GPU count: at most one per GPU, not all 0.
pub fn check_tensor_split(split: &[f32], gpus: usize) -> Result<(), PlacementError> {
    if split.len() > gpus {
        return Err(PlacementError::MoreProportions {
            given: split.len(),
            gpus,
        });
    }
    if !split.is_empty() && split.iter().all(|&x| x == 0.0) {
        return Err(PlacementError::AllZero);
    }
    Ok(())
}

/// Where llama.cpp puts each layer for `-ngl` and split fractions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LayerAssignment {
    /// The first layers, kept on the CPU.
    pub cpu_layers: usize,
    /// Repeating layers per device, in device order (contiguous ranges
    /// after the CPU layers).
    pub counts: Vec<usize>,
    /// The device holding the output layer; `None` when it is on the CPU.
    pub output: Option<usize>,
}

/// llama.cpp's `load_tensors` assignment of `n_layer` repeating layers and
/// the output to the CPU and `weights.len()` devices (`weights`: `-ts` or
/// the free memory per device; at least one positive). Arithmetic in `f32`
/// as llama.cpp does it, so boundary cases fall the same way.
pub fn assign_layers(n_layer: usize, n_gpu_layers: usize, weights: &[f32]) -> LayerAssignment {
    let n_devices = weights.len();
    let mut splits = Vec::with_capacity(n_devices);
    let mut sum = 0.0f32;
    for &w in weights {
        sum += w;
        splits.push(sum);
    }
    for s in &mut splits {
        *s /= sum;
    }
    let i_gpu_start = (n_layer + 1).saturating_sub(n_gpu_layers);
    let act_gpu_layers = if n_devices == 0 {
        0
    } else {
        n_gpu_layers.min(n_layer + 1)
    };
    let device_of = |il: usize| -> Option<usize> {
        if il < i_gpu_start || il - i_gpu_start >= act_gpu_layers {
            return None;
        }
        let x = (il - i_gpu_start) as f32 / act_gpu_layers as f32;
        // std::upper_bound: the first split point greater than x.
        Some(splits.partition_point(|&s| s <= x).min(n_devices - 1))
    };
    let mut counts = vec![0; n_devices];
    let mut cpu_layers = 0;
    for il in 0..n_layer {
        match device_of(il) {
            Some(d) => counts[d] += 1,
            None => cpu_layers += 1,
        }
    }
    LayerAssignment {
        cpu_layers,
        counts,
        output: device_of(n_layer),
    }
}

/// llama.cpp's split weights when `-ts` is not given: each device's free
/// memory (here: what the run may use).
pub fn default_split(usable: &[u64]) -> Vec<f32> {
    usable.iter().map(|&u| u as f32).collect()
}

/// The fraction of each GPU in the row split of `-ts` (ggml-cuda's
/// `tensor_split` normalised; without `-ts`, proportional to memory).
pub fn row_shares(weights: &[f32]) -> Vec<f64> {
    let sum: f64 = weights.iter().map(|&w| f64::from(w)).sum();
    weights
        .iter()
        .map(|&w| if sum > 0.0 { f64::from(w) / sum } else { 0.0 })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `(n_layer, ngl, -ts, cpu layers, counts per GPU, output device)`,
    /// each checked by hand against load_tensors' arithmetic.
    type Case = (
        usize,
        usize,
        &'static [f32],
        usize,
        &'static [usize],
        Option<usize>,
    );
    const CASES: &[Case] = &[
        // 32 layers + output = 33 slots; -ngl 20: i_gpu_start 13, act 20;
        // splits [0.75, 1]: slots 13..=27 (x < 0.75) on GPU 0, 28..=32 on
        // GPU 1 (x = 15/20 = 0.75 is not < 0.75), the output among them.
        (32, 20, &[3.0, 1.0], 13, &[15, 4], Some(1)),
        // Everything: -ngl 33 = 32 + 1.
        (32, 33, &[1.0, 1.0], 0, &[17, 15], Some(1)),
        // -ngl 32 keeps layer 0 on the CPU, the output still on a GPU.
        (32, 32, &[1.0], 1, &[31], Some(0)),
        // -ngl 1 is the output alone; -ngl 0 is all CPU.
        (32, 1, &[1.0, 1.0], 32, &[0, 0], Some(0)),
        (32, 0, &[1.0, 1.0], 32, &[0, 0], None),
        // A zero share gets nothing; the middle GPU is skipped.
        (32, 33, &[1.0, 0.0, 1.0], 0, &[17, 0, 15], Some(2)),
        // Three equal shares of 81 slots (Llama 70B): 27 each, output last.
        (80, 81, &[1.0, 1.0, 1.0], 0, &[27, 27, 26], Some(2)),
        // The searched plan's -ts as layer counts reproduces itself.
        (32, 33, &[18.0, 15.0], 0, &[18, 14], Some(1)),
    ];

    #[test]
    fn layers_go_where_llama_cpps_load_tensors_puts_them() {
        for &(n_layer, ngl, ts, cpu, counts, output) in CASES {
            let a = assign_layers(n_layer, ngl, ts);
            assert_eq!(
                (a.cpu_layers, a.counts.as_slice(), a.output),
                (cpu, counts, output),
                "n_layer {n_layer} -ngl {ngl} -ts {ts:?}"
            );
            let on_gpus: usize = a.counts.iter().sum::<usize>() + usize::from(a.output.is_some());
            assert_eq!(on_gpus, ngl.min(n_layer + 1));
        }
    }

    #[test]
    fn bad_placements_are_errors_not_panics() {
        assert_eq!(
            parse_tensor_split("3,-1"),
            Err(PlacementError::BadProportion("-1".into()))
        );
        assert_eq!(parse_tensor_split("3, 1").unwrap(), [3.0, 1.0]);
        assert_eq!(
            check_tensor_split(&[1.0, 1.0, 1.0], 2),
            Err(PlacementError::MoreProportions { given: 3, gpus: 2 })
        );
        assert_eq!(
            check_tensor_split(&[0.0, 0.0], 2),
            Err(PlacementError::AllZero)
        );
        assert!(matches!(
            parse_gpu_layers("99", 32),
            Err(PlacementError::TooManyLayers { most: 33, .. })
        ));
        assert_eq!(parse_gpu_layers("all", 32), Ok(Some(33)));
        assert_eq!(parse_gpu_layers("", 32), Ok(None));
        assert!(parse_gpu_layers("many", 32).is_err());
        // No device at all: everything stays on the CPU.
        assert_eq!(assign_layers(4, 5, &[]).cpu_layers, 4);
    }
}
