//! The request's vLLM fields (`util`, `vllm_version`, `batched_tokens`,
//! `block_size`, `eager`, `tp`, `pp`) read into [`VllmArgs`] and the batched-token
//! count vLLM would use on the chosen GPUs.

use super::{InputError, Request};
use crate::estimate::vllm::{default_batched_tokens, Version, VllmArgs, CURRENT};
use crate::plan::device::Gpu;

/// Reads the vLLM fields; empty ones take vLLM's defaults.
pub fn parse(request: &Request) -> Result<VllmArgs, InputError> {
    let utilization = match request.util.trim() {
        "" => 9000,
        t => match t.parse::<f64>() {
            Ok(u) if u > 0.0 && u <= 1.0 => (u * 10_000.0).round() as u32,
            _ => {
                return Err(InputError::Fraction {
                    field: "util",
                    text: request.util.clone(),
                })
            }
        },
    };
    let version = match request.vllm_version.trim() {
        "" | "current" | "latest" => CURRENT,
        t => t.parse::<Version>().map_err(InputError::Version)?,
    };
    let block_size = optional_count("block_size", &request.block_size, 4096)?;
    let enforce_eager = super::switch("eager", &request.eager)?;
    let tensor_parallel = optional_count("tp", &request.tp, 64)? as u16;
    let pipeline_parallel = optional_count("pp", &request.pp, 64)? as u16;
    Ok(VllmArgs {
        tensor_parallel,
        pipeline_parallel,
        version,
        utilization,
        block_size,
        enforce_eager,
        flash_mla: true,
    })
}

/// A count from 1 to `max`, or 0 for empty or `auto` (vLLM's choice).
fn optional_count(field: &'static str, text: &str, max: u64) -> Result<u64, InputError> {
    match text.trim() {
        "" | "auto" => Ok(0),
        _ => super::count(field, text, max),
    }
}

/// The most tokens a vLLM step takes: the field, else vLLM's default for
/// the smallest of `gpus` (see [`default_batched_tokens`]).
fn batched_tokens(
    request: &Request,
    args: &VllmArgs,
    gpus: &[Gpu],
    n_ctx: u64,
    n_seq: u64,
) -> Result<u64, InputError> {
    match request.batched_tokens.trim() {
        "" | "auto" => {
            let smallest = gpus.iter().map(|g| g.capacity).min().unwrap_or(0);
            let a100 = gpus.iter().any(|g| {
                g.card.is_some_and(|c| c.contains("a100"))
                    || g.name.to_ascii_lowercase().contains("a100")
            });
            Ok(default_batched_tokens(
                args.version,
                smallest,
                a100,
                n_ctx,
                n_seq,
            ))
        }
        _ => optional_count("batched_tokens", &request.batched_tokens, 1 << 24),
    }
}

/// vLLM's settings that depend on the GPUs — FlashMLA on every card, and
/// the default batched tokens for the smallest — with `args` otherwise:
/// `validate` and the searches' `Validated::on_gpus` both take them here.
pub fn on_gpus(
    request: &Request,
    args: VllmArgs,
    gpus: &[Gpu],
    n_ctx: u64,
    n_seq: u64,
) -> Result<(VllmArgs, u64), InputError> {
    let args = VllmArgs {
        flash_mla: flash_mla(gpus),
        ..args
    };
    let batched = batched_tokens(request, &args, gpus, n_ctx, n_seq)?;
    Ok((args, batched))
}

/// Whether every GPU runs FlashMLA (Hopper and newer); a size typed
/// without a card name counts as such.
pub fn flash_mla(gpus: &[Gpu]) -> bool {
    gpus.iter().all(|g| {
        g.card
            .and_then(crate::plan::gpus::find_card)
            .is_none_or(|c| matches!(crate::plan::gpus::architecture(c), "hopper" | "blackwell"))
    })
}
