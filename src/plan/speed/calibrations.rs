//! The fitted constants speed rests on, per platform (and per engine where
//! an engine's own rows exist), with the rows they came from.

use serde::Serialize;

use super::{Calibration, Platform};
use crate::estimate::memory::Engine;

/// Fitted by [`fit`] on the rows of `tests/data/measured/llama_bench.json`
/// not held out (`tests/speed.rs` checks these equal a fresh fit; its
/// failure message prints the entries to paste). A platform without
/// published rows has no entry and borrows [`FALLBACK`]'s.
pub const CALIBRATIONS: &[(Platform, Calibration)] = &[
    (
        Platform::NvidiaGddr,
        Calibration {
            bandwidth: 0.844990,
            per_token_s: 1.111e-3,
            per_layer_s: 1.477e-5,
            per_hop_s: 4.593e-4,
            compute: 0.589112,
            compute_quantized: 0.364783,
            decode_compute: None,
            rows: 124,
        },
    ),
    (
        Platform::NvidiaHbm,
        Calibration {
            bandwidth: 0.553905,
            per_token_s: 1.804e-3,
            per_layer_s: 6.761e-6,
            per_hop_s: 7.607e-4,
            compute: 0.583282,
            compute_quantized: 0.261255,
            decode_compute: None,
            rows: 38,
        },
    ),
    (
        Platform::Apple,
        Calibration {
            bandwidth: 0.886526,
            per_token_s: 1.036e-3,
            per_layer_s: 1.399e-4,
            per_hop_s: 0.000e0,
            compute: 0.767253,
            compute_quantized: 0.655813,
            decode_compute: None,
            rows: 122,
        },
    ),
    (
        Platform::Amd,
        Calibration {
            bandwidth: 0.761903,
            per_token_s: 0.000e0,
            per_layer_s: 1.457e-4,
            per_hop_s: 0.000e0,
            compute: 0.286691,
            compute_quantized: 0.286691,
            decode_compute: None,
            rows: 9,
        },
    ),
    (
        Platform::AmdInstinct,
        Calibration {
            bandwidth: 0.129655,
            per_token_s: 0.000e0,
            per_layer_s: 0.000e0,
            per_hop_s: 0.000e0,
            compute: 0.013230,
            compute_quantized: 0.013230,
            decode_compute: None,
            rows: 3,
        },
    ),
    (
        Platform::Vulkan,
        Calibration {
            bandwidth: 0.763173,
            per_token_s: 1.052e-3,
            per_layer_s: 0.000e0,
            per_hop_s: 0.000e0,
            compute: 0.339140,
            compute_quantized: 0.339140,
            decode_compute: None,
            rows: 23,
        },
    ),
];

/// Whose constants a platform without published rows borrows.
pub const FALLBACK: Platform = Platform::NvidiaGddr;

/// A platform's constants, and whether they are its own (else
/// [`FALLBACK`]'s).
pub fn calibration_of(p: Platform) -> (Calibration, bool) {
    let own = CALIBRATIONS.iter().find(|(q, _)| *q == p).map(|(_, c)| *c);
    let fallback = CALIBRATIONS
        .iter()
        .find(|(q, _)| *q == FALLBACK)
        .map(|(_, c)| *c)
        .unwrap_or(Calibration {
            bandwidth: 1.0,
            per_token_s: 0.0,
            per_layer_s: 0.0,
            per_hop_s: 0.0,
            compute: 1.0,
            compute_quantized: 1.0,
            decode_compute: None,
            rows: 0,
        });
    (own.unwrap_or(fallback), own.is_some())
}

pub fn calibration(p: Platform) -> Calibration {
    calibration_of(p).0
}

/// An engine's own decode constants on one platform (its prefill keeps
/// the platform's llama.cpp fractions: no prefill rows of it are fitted).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct DecodeCalibration {
    pub bandwidth: f64,
    pub per_token_s: f64,
    pub per_layer_s: f64,
    pub per_hop_s: f64,
    /// Achieved fraction of the dense tensor rate (FP8 for FP8 weights)
    /// in a large batch's decode step, when batched rows give one; else
    /// the platform's prefill fraction.
    pub compute: Option<f64>,
    pub rows: u32,
}

/// vLLM's decode constants, fitted by [`super::fit_decode`] to the
/// published vLLM serving and latency rows of
/// `tests/data/measured/vllm_serving.json` not held out (CUDA graphs on,
/// V1 engine unless a row says otherwise); `tests/speed.rs` checks these
/// equal a fresh fit. A platform without enough rows (3) has no entry and
/// keeps llama.cpp's constants.
pub const VLLM_DECODE: &[(Platform, DecodeCalibration)] = &[
    (
        Platform::NvidiaHbm,
        DecodeCalibration {
            bandwidth: 0.716661,
            per_token_s: 0.000e0,
            per_layer_s: 1.018e-5,
            per_hop_s: 0.000e0,
            compute: None,
            rows: 5,
        },
    ),
    (
        Platform::AmdInstinct,
        DecodeCalibration {
            bandwidth: 0.570939,
            per_token_s: 4.335e-3,
            per_layer_s: 0.000e0,
            per_hop_s: 0.000e0,
            compute: Some(0.049015),
            rows: 3,
        },
    ),
];

/// Whose constants a speed used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Source {
    /// The platform's own llama.cpp rows (else [`FALLBACK`]'s).
    pub platform_rows: bool,
    /// The engine's own decode rows (vLLM), else llama.cpp's.
    pub engine_rows: bool,
}

/// The constants `engine` decodes with on `p`: vLLM's own decode
/// constants where fitted, over the platform's llama.cpp ones.
pub fn calibration_for(engine: Engine, p: Platform) -> (Calibration, Source) {
    let (mut c, platform_rows) = calibration_of(p);
    let own = match engine {
        Engine::Vllm => VLLM_DECODE.iter().find(|(q, _)| *q == p).map(|(_, d)| *d),
        _ => None,
    };
    if let Some(d) = own {
        c.bandwidth = d.bandwidth;
        c.per_token_s = d.per_token_s;
        c.per_layer_s = d.per_layer_s;
        c.per_hop_s = d.per_hop_s;
        c.decode_compute = d.compute;
    }
    (
        c,
        Source {
            platform_rows,
            engine_rows: own.is_some() || engine.is_llama_cpp(),
        },
    )
}
