//! Searches over the optimal split: the longest context for a number of
//! sequences, the most sequences for a context, and the sweep table.
//!
//! A setting "fits" here when the optimal split holds it on the GPUs alone
//! (no CPU offload): offload is a way out, not a capacity. Because the split
//! is optimal for every setting, these answers are optimal too.

use serde::Serialize;

use super::split::PlanRequest;
use crate::estimate::weights::{weight_bytes, WeightBytes};
use crate::estimate::RunSettings;

/// What the planner maximises or minimises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Objective {
    /// The longest context for the requested sequences.
    MaxContext,
    /// The most sequences for the requested context.
    MaxBatch,
    /// The lowest peak utilisation at the requested context and sequences.
    MinUtilisation,
    /// The fastest decode at the requested context and sequences: the
    /// fewest, fastest GPUs that hold it (each hand-off costs time).
    Fastest,
}

impl Objective {
    pub const ALL: [Objective; 4] = [
        Objective::MinUtilisation,
        Objective::MaxContext,
        Objective::MaxBatch,
        Objective::Fastest,
    ];

    pub fn id(self) -> &'static str {
        match self {
            Objective::MaxContext => "max-context",
            Objective::MaxBatch => "max-batch",
            Objective::MinUtilisation => "min-utilisation",
            Objective::Fastest => "fastest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Objective::MaxContext => "Longest context for these sequences",
            Objective::MaxBatch => "Most sequences for this context",
            Objective::MinUtilisation => "Lowest peak utilisation",
            Objective::Fastest => "Fastest decode",
        }
    }

    pub fn parse(text: &str) -> Option<Objective> {
        let key = crate::estimate::format::normalise(text);
        Objective::ALL
            .into_iter()
            .find(|o| crate::estimate::format::normalises_to(o.id(), &key))
    }
}

/// Whether `settings` fit on the GPUs alone (`weights` sized once per search).
fn fits_on_gpus(request: &PlanRequest, weights: &WeightBytes, settings: RunSettings) -> bool {
    super::split::fits_on_gpus(
        &PlanRequest {
            settings,
            allow_offload: false,
            ..*request
        },
        weights,
    )
}

fn weights_of(request: &PlanRequest) -> WeightBytes {
    weight_bytes(request.spec, request.settings.weights)
}

/// The longest context per sequence — a multiple of 256, at most the
/// model's trained length — that fits with the requested sequences; `None`
/// if even 256 tokens do not.
pub fn max_context(request: &PlanRequest) -> Option<u64> {
    max_context_with(request, &weights_of(request))
}

fn max_context_with(request: &PlanRequest, weights: &WeightBytes) -> Option<u64> {
    let fits = |n_ctx: u64| {
        fits_on_gpus(
            request,
            weights,
            RunSettings {
                n_ctx,
                ..request.settings
            },
        )
    };
    longest_context(request.spec.n_ctx_train, fits)
}

/// The longest context up to `limit` — `limit` itself or a multiple of 256 —
/// for which the monotone `fits` holds; `None` if not even 256 tokens.
pub fn longest_context(limit: u64, fits: impl Fn(u64) -> bool) -> Option<u64> {
    if fits(limit) {
        return Some(limit);
    }
    if limit < 256 || !fits(256) {
        return None;
    }
    // Invariant: fits(256·lo) and !fits(min(256·hi, limit)).
    let (mut lo, mut hi) = (1, limit.div_ceil(256));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid * 256) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo * 256)
}

/// The most sequences searched for.
pub const MAX_BATCH: u64 = 1024;

/// The most concurrent sequences (up to 1024) that fit at the requested
/// context; `None` if one does not.
pub fn max_batch(request: &PlanRequest) -> Option<u64> {
    let weights = weights_of(request);
    let fits = |n_seq: u64| {
        fits_on_gpus(
            request,
            &weights,
            RunSettings {
                n_seq,
                ..request.settings
            },
        )
    };
    most_sequences(fits)
}

/// The most sequences (up to [`MAX_BATCH`]) for which `fits` holds, by
/// bisection (memory only grows with sequences); `None` if one does not.
pub fn most_sequences(fits: impl Fn(u64) -> bool) -> Option<u64> {
    if !fits(1) {
        return None;
    }
    if fits(MAX_BATCH) {
        return Some(MAX_BATCH);
    }
    let (mut lo, mut hi) = (1, MAX_BATCH);
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo)
}

/// One row of the sweep table.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SweepRow {
    pub batch: u64,
    /// Longest context per sequence at this batch, `None` if none fits.
    pub max_context: Option<u64>,
    /// Decode tokens per second of all `batch` sequences together, each
    /// cache full, on the plan of that context (filled by the report,
    /// which knows the host and backend; `None` when unknown or nothing
    /// fits).
    pub decode_tokens_per_s_total: Option<f64>,
}

/// Sequences the sweep table lists.
pub const SWEEP_BATCHES: [u64; 6] = [1, 2, 4, 8, 16, 32];

/// The longest context for 1, 2, 4, 8, 16 and 32 sequences.
pub fn sweep(request: &PlanRequest) -> Vec<SweepRow> {
    let weights = weights_of(request);
    SWEEP_BATCHES
        .iter()
        .map(|&batch| {
            let settings = RunSettings {
                n_seq: batch,
                ..request.settings
            };
            SweepRow {
                batch,
                max_context: max_context_with(
                    &PlanRequest {
                        settings,
                        ..*request
                    },
                    &weights,
                ),
                decode_tokens_per_s_total: None,
            }
        })
        .collect()
}
