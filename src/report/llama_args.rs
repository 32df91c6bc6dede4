//! The request's llama.cpp placement fields (`ngl`, `tensor_split`,
//! `split_mode`, `main_gpu`) and the `backend`, read into a
//! [`Placement`], and the memory limit the backend gives each GPU.

use super::{InputError, Request};
use crate::estimate::memory::Engine;
use crate::plan::device::Gpu;
use crate::plan::gpus::find_card;
use crate::plan::metal;
use crate::plan::placement::{
    check_tensor_split, parse_gpu_layers, parse_tensor_split, Backend, Placement, PlacementError,
    SplitMode,
};

/// What the llama.cpp fields give.
pub struct LlamaArgs {
    pub placement: Placement,
    pub backend: Backend,
    /// The GPUs, with Metal's working set as the limit of typed sizes.
    pub gpus: Vec<Gpu>,
    /// Which limit each GPU's usable memory is, in words.
    pub memory_limit: String,
    pub warnings: Vec<String>,
}

fn placement_error(field: &'static str) -> impl Fn(PlacementError) -> InputError {
    move |source| InputError::Placement { field, source }
}

/// Reads the llama.cpp fields for `gpus` and a model of `n_layer` layers.
pub fn parse(
    request: &Request,
    engine: Engine,
    mut gpus: Vec<Gpu>,
    n_layer: usize,
) -> Result<LlamaArgs, InputError> {
    let mut warnings = Vec::new();
    let vendor = |g: &Gpu| g.card.and_then(find_card).map(|c| c.vendor.clone());
    let backend = match request.backend.trim() {
        "" | "auto" => gpus
            .first()
            .and_then(vendor)
            .map_or(Backend::Cuda, |v| Backend::for_vendor(&v)),
        text => Backend::parse(text).ok_or_else(|| InputError::Choice {
            field: "backend",
            text: text.to_string(),
            choices: Backend::CHOICES,
        })?,
    };
    let mut n_gpu_layers =
        parse_gpu_layers(&request.ngl, n_layer).map_err(placement_error("ngl"))?;
    let tensor_split =
        parse_tensor_split(&request.tensor_split).map_err(placement_error("tensor_split"))?;
    check_tensor_split(&tensor_split, gpus.len()).map_err(placement_error("tensor_split"))?;
    let mut split_mode = match request.split_mode.trim().to_ascii_lowercase().as_str() {
        "" | "layer" => SplitMode::Layer,
        "row" => SplitMode::Row,
        "none" => SplitMode::None,
        _ => {
            return Err(InputError::Choice {
                field: "split_mode",
                text: request.split_mode.clone(),
                choices: "layer, row, none",
            })
        }
    };
    let main_gpu = match request.main_gpu.trim() {
        "" => 0,
        text => match text.parse::<usize>() {
            Ok(i) if i < gpus.len() => i,
            Ok(given) => {
                return Err(InputError::Placement {
                    field: "main_gpu",
                    source: PlacementError::MainGpu {
                        given,
                        gpus: gpus.len(),
                    },
                })
            }
            Err(_) => {
                return Err(InputError::Count {
                    field: "main_gpu",
                    text: text.to_string(),
                    min: 0,
                    max: gpus.len() as u64 - 1,
                })
            }
        },
    };
    if split_mode == SplitMode::Row && !backend.splits_rows() {
        warnings.push(format!(
            "-sm row needs a split buffer type, which {} does not have: llama.cpp splits by layer",
            backend.id()
        ));
        split_mode = SplitMode::Layer;
    }
    if backend == Backend::Cpu {
        n_gpu_layers = Some(0);
    }
    let n_cpu_moe = match request.n_cpu_moe.trim().to_ascii_lowercase().as_str() {
        "" => None,
        "all" => Some(n_layer),
        text => match text.parse::<usize>() {
            Ok(k) => Some(k.min(n_layer)),
            Err(_) => {
                return Err(InputError::Count {
                    field: "n_cpu_moe",
                    text: request.n_cpu_moe.clone(),
                    min: 0,
                    max: n_layer as u64,
                })
            }
        },
    };
    let placement = Placement {
        n_gpu_layers,
        tensor_split,
        split_mode,
        main_gpu,
        split_mode_given: !request.split_mode.trim().is_empty(),
        main_gpu_given: !request.main_gpu.trim().is_empty(),
        n_cpu_moe,
    };
    let llama = matches!(engine, Engine::LlamaCpp | Engine::Ollama);
    if placement.is_fixed() && !llama {
        warnings.push(format!(
            "-ngl, -ts and -sm are llama.cpp's; {} places layers its own way, so they are ignored",
            engine.label()
        ));
    }
    let memory_limit = if backend == Backend::Metal {
        let unified = gpus.first().map_or(0, |g| {
            g.card
                .and_then(find_card)
                .map_or(g.capacity, |c| c.memory_bytes())
        });
        // A typed size is the Mac's unified memory; a catalog Mac already
        // has its working set as capacity.
        for g in gpus.iter_mut().filter(|g| g.card.is_none()) {
            g.capacity = metal::working_set(g.capacity);
            g.cuda_total = g.capacity;
            g.reserve = g.reserve.min(g.capacity);
        }
        metal::rule(unified)
    } else if backend == Backend::Cpu {
        "the CPU backend: nothing on the GPUs, everything in host memory".to_string()
    } else if let Some((card, free)) = gpus.iter().find_map(|g| {
        let card = g.card.and_then(find_card)?;
        Some((card, card.unified_free_gib?))
    }) {
        format!(
            "{}: the memory CUDA leaves free at startup on an idle system, {free} of {} GiB (the operating system holds the rest of the shared memory) ({})",
            card.name,
            card.cuda_total_gib.unwrap_or(free),
            backend.id()
        )
    } else {
        format!("each GPU's memory as given ({})", backend.id())
    };
    Ok(LlamaArgs {
        placement,
        backend,
        gpus,
        memory_limit,
        warnings,
    })
}
