//! Searches over the optimal split: the longest context for a number of
//! sequences, the most sequences for a context, and the sweep table.
//!
//! A setting "fits" here when the optimal split holds it on the GPUs alone
//! (no CPU offload): offload is a way out, not a capacity. Because the split
//! is optimal for every setting, these answers are optimal too.
//!
//! Each search finds what bisection of that verdict would, from fewer
//! plans: it asks the room a setting leaves ([`super::split::room_on_gpus`],
//! ≥ 0 exactly when it fits), which grows and shrinks close to linearly
//! with the context and the sequences, and probes where the room is
//! guessed to cross zero ([`last_fitting`]). `tests/limit_search.rs`
//! compares them with bisection over the catalog and counts the plans.

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

/// Bytes to spare at `settings` on the GPUs alone, negative when missing:
/// ≥ 0 exactly when they fit ([`super::split::room_on_gpus`]; `weights`
/// sized once per search).
fn room_on_gpus(request: &PlanRequest, weights: &WeightBytes, settings: RunSettings) -> i64 {
    super::split::room_on_gpus(
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
    let weights = weights_of(request);
    let room = |n_ctx: u64| {
        room_on_gpus(
            request,
            &weights,
            RunSettings {
                n_ctx,
                ..request.settings
            },
        )
    };
    longest_context_by_room(request.spec.n_ctx_train, room)
}

/// Tokens per step of the context searches.
const CONTEXT_STEP: u64 = 256;

/// The longest context up to `limit` — `limit` itself or a multiple of 256 —
/// for which the monotone `fits` holds; `None` if not even 256 tokens. By
/// bisection: for a predicate with no measure of how far it is from
/// holding (with one, [`longest_context_by_room`] asks it fewer times).
pub fn longest_context(limit: u64, fits: impl Fn(u64) -> bool) -> Option<u64> {
    if fits(limit) {
        return Some(limit);
    }
    if limit < CONTEXT_STEP || !fits(CONTEXT_STEP) {
        return None;
    }
    // Invariant: fits(256·lo) and !fits(min(256·hi, limit)).
    let (mut lo, mut hi) = (1, limit.div_ceil(CONTEXT_STEP));
    while hi - lo > 1 {
        let mid = (lo + hi) / 2;
        if fits(mid * CONTEXT_STEP) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Some(lo * CONTEXT_STEP)
}

/// [`longest_context`] of `fits(n) = room(n) >= 0`, the same answer, for a
/// `room` (bytes to spare, negative when missing) close to linear in the
/// context: it guesses where `room` crosses zero and probes there
/// ([`last_fitting`]), `limit` first and 256 tokens next as bisection does.
pub fn longest_context_by_room(limit: u64, room: impl FnMut(u64) -> i64) -> Option<u64> {
    let steps = Steps::context(limit);
    let last = steps.last();
    steps.value(last_fitting(steps, 0, last + 1, &[last, 1], room))
}

/// The most sequences searched for.
pub const MAX_BATCH: u64 = 1024;

/// The most concurrent sequences (up to 1024) that fit at the requested
/// context; `None` if one does not.
pub fn max_batch(request: &PlanRequest) -> Option<u64> {
    let weights = weights_of(request);
    let room = |n_seq: u64| {
        room_on_gpus(
            request,
            &weights,
            RunSettings {
                n_seq,
                ..request.settings
            },
        )
    };
    most_sequences_by_room(room)
}

/// The most sequences (up to [`MAX_BATCH`]) for which `fits` holds, by
/// bisection (memory only grows with sequences); `None` if one does not.
/// With a measure of how far `fits` is from holding,
/// [`most_sequences_by_room`] asks fewer times.
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

/// [`most_sequences`] of `fits(n) = room(n) >= 0`, the same answer, for a
/// `room` close to linear in the sequences ([`last_fitting`]), one
/// sequence first and 1024 next as bisection does.
pub fn most_sequences_by_room(room: impl FnMut(u64) -> i64) -> Option<u64> {
    let steps = Steps {
        unit: 1,
        limit: MAX_BATCH,
    };
    steps.value(last_fitting(steps, 0, MAX_BATCH + 1, &[1, MAX_BATCH], room))
}

/// The values a search goes through: step `k` (from 1) is `k × unit`, the
/// last one `limit`; step 0 stands for none.
#[derive(Debug, Clone, Copy)]
struct Steps {
    unit: u64,
    limit: u64,
}

impl Steps {
    /// Contexts: 256 tokens a step up to `limit`.
    fn context(limit: u64) -> Steps {
        Steps {
            unit: CONTEXT_STEP,
            limit,
        }
    }

    /// The last step (`limit` itself, also when it is under one unit).
    fn last(self) -> u64 {
        self.limit.div_ceil(self.unit).max(1)
    }

    fn at(self, step: u64) -> u64 {
        (step * self.unit).min(self.limit)
    }

    /// The value of a search's answer, `None` for step 0.
    fn value(self, step: u64) -> Option<u64> {
        (step > 0).then(|| self.at(step))
    }
}

/// A step probed and the room found there.
#[derive(Debug, Clone, Copy)]
struct Probe {
    step: u64,
    /// The value at this step ([`Steps::at`]).
    at: u64,
    room: i64,
}

/// Probes a search may take beyond a bisection's.
const SPARE_PROBES: u32 = 4;

/// The last step that fits, knowing that every step up to `lo` fits (0:
/// none known) and none from `hi` does, and probing the steps of `first`
/// that are still in doubt first — what bisection finds, for `room`
/// monotone in sign, since the step where the sign changes is unique.
///
/// After those, each probe is a guess at the last step that fits: where
/// the line through the two latest probes crosses zero (the secant method;
/// a room near linear in the value is found in one guess), or the latest
/// probe itself when it is the only one. The guess is probed on the side
/// the latest probe did not move — the step below the crossing after the
/// bracket's top moved, the step above after its bottom did — so a right
/// guess closes the bracket in two probes. And, as the ITP method does, a
/// probe stays close enough to the bracket's middle that bisecting what is
/// left still ends within [`SPARE_PROBES`] of a bisection's
/// `⌈log2(hi - lo)⌉` probes, however wrong the guesses.
fn last_fitting(
    steps: Steps,
    mut lo: u64,
    mut hi: u64,
    first: &[u64],
    mut room: impl FnMut(u64) -> i64,
) -> u64 {
    let mut left = ceil_log2(hi - lo) + SPARE_PROBES;
    let mut first = first.iter().copied();
    // The two latest probes, older first, and the latest on either side.
    let (mut older, mut latest): (Option<Probe>, Option<Probe>) = (None, None);
    let (mut below, mut above): (Option<Probe>, Option<Probe>) = (None, None);
    while hi - lo > 1 {
        let wanted = match first.by_ref().find(|&s| lo < s && s < hi) {
            Some(step) => step,
            None => match latest {
                Some(p) => {
                    let guess = older
                        .and_then(|o| crossing(o, p, steps))
                        .or_else(|| crossing(below?, above?, steps))
                        .unwrap_or(p.step);
                    if p.room >= 0 {
                        guess.saturating_add(1)
                    } else {
                        guess
                    }
                }
                None => lo + (hi - lo) / 2,
            },
        };
        // With `left` probes, one here must leave at most 2^(left-1) steps.
        let reach = 1u64.checked_shl(left - 1).unwrap_or(u64::MAX);
        let step = wanted
            .clamp(hi.saturating_sub(reach), lo.saturating_add(reach))
            .clamp(lo + 1, hi - 1);
        left -= 1;
        let at = steps.at(step);
        let probe = Probe {
            step,
            at,
            room: room(at),
        };
        if probe.room >= 0 {
            lo = step;
            below = Some(probe);
        } else {
            hi = step;
            above = Some(probe);
        }
        (older, latest) = (latest, Some(probe));
    }
    lo
}

/// The step below where the line through `a` and `b` crosses zero; `None`
/// when the line is flat.
fn crossing(a: Probe, b: Probe, steps: Steps) -> Option<u64> {
    let (ya, yb) = (i128::from(a.room), i128::from(b.room));
    if ya == yb {
        return None;
    }
    let (xa, xb) = (i128::from(a.at), i128::from(b.at));
    // Floor division: the divisor made positive.
    let (num, den) = (yb * (xb - xa), ya - yb);
    let at = xb + (num * den.signum()).div_euclid(den.abs());
    Some(u64::try_from(at.max(0)).unwrap_or(u64::MAX) / steps.unit)
}

/// ⌈log2(n)⌉: the probes a bisection takes to narrow `n` steps to one.
fn ceil_log2(n: u64) -> u32 {
    u64::BITS - n.saturating_sub(1).leading_zeros()
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
    let room = |n_seq: u64, n_ctx: u64| {
        room_on_gpus(
            request,
            &weights,
            RunSettings {
                n_ctx,
                n_seq,
                ..request.settings
            },
        )
    };
    SWEEP_BATCHES
        .iter()
        .zip(sweep_by_room(request.spec.n_ctx_train, room))
        .map(|(&batch, max_context)| SweepRow {
            batch,
            max_context,
            decode_tokens_per_s_total: None,
        })
        .collect()
}

/// For each of [`SWEEP_BATCHES`], [`longest_context_by_room`] of
/// `room(batch, n_ctx)` — the same answers, from fewer probes: more
/// sequences never fit a longer context (memory only grows with
/// sequences, as [`most_sequences`] assumes), so each row after the first
/// searches below the previous row's answer, first where the tokens of all
/// sequences together (the KV cache's size) would be the same.
pub fn sweep_by_room(limit: u64, mut room: impl FnMut(u64, u64) -> i64) -> Vec<Option<u64>> {
    let steps = Steps::context(limit);
    let last = steps.last();
    // The previous row's sequences and answer (its step).
    let mut previous: Option<(u64, u64)> = None;
    SWEEP_BATCHES
        .iter()
        .map(|&batch| {
            let room = |n_ctx| room(batch, n_ctx);
            let found = match previous {
                Some((before, step)) if step < last => {
                    let same_tokens = steps.at(step) * before / batch / CONTEXT_STEP;
                    last_fitting(steps, 0, step + 1, &[same_tokens.max(1)], room)
                }
                _ => last_fitting(steps, 0, last + 1, &[last, 1], room),
            };
            previous = Some((batch, found));
            steps.value(found)
        })
        .collect()
}
