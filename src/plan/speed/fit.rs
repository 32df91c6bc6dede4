//! Fitting the constants to published rows: what a run reduces to
//! ([`observe`]) and the non-negative least squares ([`fit`]).

use super::{stages, works, Calibration, DecodeCalibration, Platform};

/// What a published batch-1 run of `plan` reduces to for [`fit`]: its
/// decode and prefill features, per platform of its (one kind of) GPU.
/// `tokens` is the prefill's prompt (pp512: 512).
pub fn observe(
    spec: &crate::estimate::model::ModelSpec,
    plan: &crate::plan::split::Plan,
    gpus: &[crate::plan::device::Gpu],
    backend: crate::plan::placement::Backend,
    tokens: u64,
) -> Option<(Platform, ObservationKind, Option<ObservationKind>)> {
    let (devices, _) = works(spec, plan, gpus, backend, 0, tokens)?;
    let platform = devices[0].peak.platform;
    let memory_s: f64 = devices
        .iter()
        .map(|d| (d.work.weights_read + d.work.kv_read) / d.peak.bandwidth)
        .sum();
    let layers: f64 = devices.iter().map(|d| f64::from(d.work.layers)).sum();
    let hops = stages(&devices).len().saturating_sub(1) as f64;
    let decode = ObservationKind::Decode {
        memory_s,
        layers,
        hops,
        known_s: 0.0,
        compute_s: 0.0,
    };
    let steps = tokens.div_ceil(plan.settings.n_ubatch.max(1)) as f64;
    let prefill = devices
        .iter()
        .map(|d| {
            d.peak.flops.map(|f| {
                (
                    d.work.prefill_flops / f / tokens as f64,
                    d.work.weights_held * steps / d.peak.bandwidth / tokens as f64,
                )
            })
        })
        .collect::<Option<Vec<_>>>()
        .map(|parts| ObservationKind::Prefill {
            compute_s: parts.iter().map(|p| p.0).sum(),
            memory_s: parts.iter().map(|p| p.1).sum(),
            quantized: devices[0].work.quantized,
        });
    Some((platform, decode, prefill))
}

/// What a published decode step of `plan` at context `ctx` reduces to for
/// [`fit_decode`], at the plan's batch and with tensor parallelism: each
/// stage's slowest rank's bytes / peak bandwidth, the stages' layers, the
/// hand-offs, and the all-reduces' seconds (known: not fitted).
pub fn observe_step(
    spec: &crate::estimate::model::ModelSpec,
    plan: &crate::plan::split::Plan,
    gpus: &[crate::plan::device::Gpu],
    backend: crate::plan::placement::Backend,
    ctx: u64,
) -> Option<(Platform, ObservationKind)> {
    let (devices, _) = works(spec, plan, gpus, backend, ctx, 1)?;
    let tp = plan.layout.tp.max(1) as f64;
    let batch = plan.settings.n_seq.max(1);
    let stages = stages(&devices);
    let mut memory_s = 0.0;
    let mut layers = 0.0;
    let mut known_s = 0.0;
    let mut compute_s = 0.0;
    for stage in &stages {
        compute_s += stage
            .iter()
            .filter_map(|d| {
                let rate = d.peak.flops_fp8.filter(|_| d.work.fp8).or(d.peak.flops)?;
                Some(batch as f64 * d.work.flops_per_token / rate)
            })
            .fold(0.0, f64::max);
        memory_s += stage
            .iter()
            .map(|d| (d.work.weights_read + d.work.kv_read) / d.peak.bandwidth)
            .fold(0.0, f64::max);
        layers += stage.first().map_or(0.0, |d| f64::from(d.work.layers));
        known_s += super::all_reduce_seconds(stage, tp, batch, spec.n_embd);
    }
    Some((
        devices[0].peak.platform,
        ObservationKind::Decode {
            memory_s,
            layers,
            hops: stages.len().saturating_sub(1) as f64,
            known_s,
            compute_s,
        },
    ))
}

/// One published measurement reduced to what the model needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub platform: Platform,
    /// Seconds per token (1 / tokens per second).
    pub seconds: f64,
    pub kind: ObservationKind,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ObservationKind {
    /// A decode step at batch 1: Σ bytes read / peak bandwidth over the
    /// devices in turn, the layers, the extra devices.
    Decode {
        memory_s: f64,
        layers: f64,
        hops: f64,
        /// Seconds the model knows without fitting (tensor-parallel
        /// all-reduces over the catalog's links).
        known_s: f64,
        /// The batch's arithmetic / peak tensor rate (FP8 for FP8
        /// weights), the slowest rank per stage; 0 where not observed.
        compute_s: f64,
    },
    /// Prefill per token: FLOPs / peak FLOPs, and the weights' per-token
    /// share of a micro-batch's read at the fitted bandwidth fraction.
    Prefill {
        compute_s: f64,
        memory_s: f64,
        quantized: bool,
    },
}

/// Least squares for `y ≈ Σ a_j x_j` with every `a_j ≥ 0` (a coefficient
/// that would go negative is dropped and the rest refitted). Hand-written:
/// three unknowns, no linear-algebra crate needed.
fn nonnegative_least_squares(rows: &[(Vec<f64>, f64)], n: usize) -> Vec<f64> {
    // A feature no row has (e.g. no 16-bit rows) is left at zero.
    let mut active: Vec<usize> = (0..n)
        .filter(|&j| {
            rows.iter()
                .any(|(x, _)| x.get(j).is_some_and(|v| *v != 0.0))
        })
        .collect();
    if active.is_empty() {
        return vec![0.0; n];
    }
    loop {
        let k = active.len();
        let mut a = vec![vec![0.0; k + 1]; k];
        for (x, y) in rows {
            for (i, &ci) in active.iter().enumerate() {
                for (j, &cj) in active.iter().enumerate() {
                    a[i][j] += x[ci] * x[cj];
                }
                a[i][k] += x[ci] * y;
            }
        }
        let solution = solve(a);
        let mut out = vec![0.0; n];
        match solution {
            Some(s) => {
                if let Some(worst) = (0..k)
                    .filter(|&i| s[i] < 0.0)
                    .min_by(|&i, &j| s[i].total_cmp(&s[j]))
                {
                    active.remove(worst);
                    if active.is_empty() {
                        return out;
                    }
                    continue;
                }
                for (i, &c) in active.iter().enumerate() {
                    out[c] = s[i];
                }
                return out;
            }
            None => {
                // Singular (a feature never varies): drop the last one.
                active.pop();
                if active.is_empty() {
                    return out;
                }
            }
        }
    }
}

/// Gaussian elimination with partial pivoting on an augmented matrix.
fn solve(mut a: Vec<Vec<f64>>) -> Option<Vec<f64>> {
    let n = a.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() < 1e-300 {
            return None;
        }
        a.swap(col, pivot);
        let pivot_row = a[col].clone();
        for (r, row) in a.iter_mut().enumerate() {
            if r != col {
                let f = row[col] / pivot_row[col];
                for (x, p) in row.iter_mut().zip(&pivot_row).skip(col) {
                    *x -= f * p;
                }
            }
        }
    }
    Some((0..n).map(|i| a[i][n] / a[i][i]).collect())
}

/// The constants for one platform from its observations: decode rows give
/// the bandwidth fraction and fixed costs, prefill rows the compute
/// fraction (their memory term at that bandwidth fraction). Relative
/// errors are what is minimised (each row weighted by 1 / its seconds).
/// The decode constants the rows' decode steps give: bandwidth fraction,
/// fixed seconds per layer, per hand-off and per step; `None` without
/// decode rows (or when the bandwidth term would not be positive).
pub fn fit_decode(observations: &[Observation]) -> Option<DecodeCalibration> {
    let decode: Vec<(Vec<f64>, f64)> = observations
        .iter()
        .filter_map(|o| match o.kind {
            ObservationKind::Decode {
                memory_s,
                layers,
                hops,
                known_s,
                ..
            } => Some((
                vec![
                    memory_s / o.seconds,
                    layers / o.seconds,
                    hops / o.seconds,
                    1.0 / o.seconds,
                ],
                (o.seconds - known_s) / o.seconds,
            )),
            _ => None,
        })
        .collect();
    if decode.is_empty() {
        return None;
    }
    let d = nonnegative_least_squares(&decode, 4);
    (d[0] > 0.0).then(|| DecodeCalibration {
        bandwidth: 1.0 / d[0],
        per_token_s: d[3],
        per_layer_s: d[1],
        per_hop_s: d[2],
        compute: None,
        rows: decode.len() as u32,
    })
}

/// The fraction of the tensor rate large batches' decode steps reach, given
/// the memory-side constants `d`: per row beyond its memory-bound time, the
/// rate that makes the arithmetic (plus the fixed costs) take what it
/// took; the median over such rows (2 at least, else `None`).
pub fn fit_batched_compute(d: &DecodeCalibration, batched: &[Observation]) -> Option<f64> {
    let mut fractions: Vec<f64> = batched
        .iter()
        .filter_map(|o| match o.kind {
            ObservationKind::Decode {
                memory_s,
                layers,
                hops,
                known_s,
                compute_s,
            } => {
                let fixed = layers * d.per_layer_s + hops * d.per_hop_s + d.per_token_s + known_s;
                let memory = memory_s / d.bandwidth + fixed;
                (compute_s > 0.0 && o.seconds > 1.05 * memory)
                    .then(|| compute_s / (o.seconds - fixed))
            }
            ObservationKind::Prefill { .. } => None,
        })
        .collect();
    if fractions.len() < 2 {
        return None;
    }
    median(&mut fractions)
}

/// The median (the mean of the middle two for an even count); `None` for
/// no values.
pub fn median(values: &mut [f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

pub fn fit(observations: &[Observation]) -> Option<Calibration> {
    let d = fit_decode(observations)?;
    let bandwidth = d.bandwidth;
    let prefill: Vec<(Vec<f64>, f64)> = observations
        .iter()
        .filter_map(|o| match o.kind {
            ObservationKind::Prefill {
                compute_s,
                memory_s,
                quantized,
            } => {
                let left = o.seconds - memory_s / bandwidth;
                let x = compute_s / o.seconds;
                let features = if quantized {
                    vec![0.0, x]
                } else {
                    vec![x, 0.0]
                };
                Some((features, left / o.seconds))
            }
            _ => None,
        })
        .collect();
    // Each kind of weights its own fraction; a kind without rows takes
    // the other's.
    let p = nonnegative_least_squares(&prefill, 2);
    let fraction = |k: f64| (k > 0.0).then(|| 1.0 / k);
    let (float, quantized) = (fraction(p[0]), fraction(p[1]));
    Some(Calibration {
        bandwidth,
        per_token_s: d.per_token_s,
        per_layer_s: d.per_layer_s,
        per_hop_s: d.per_hop_s,
        compute: float.or(quantized).unwrap_or(1.0),
        compute_quantized: quantized.or(float).unwrap_or(1.0),
        decode_compute: None,
        rows: observations.len() as u32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fit_recovers_constants_that_made_the_rows() {
        let truth = Calibration {
            bandwidth: 0.72,
            per_token_s: 0.0,
            per_layer_s: 2e-5,
            per_hop_s: 3e-4,
            compute: 0.41,
            compute_quantized: 0.5,
            decode_compute: None,
            rows: 0,
        };
        let mut rows = Vec::new();
        for (m, layers, hops) in [
            (0.004, 32.0, 0.0),
            (0.02, 80.0, 1.0),
            (0.011, 32.0, 3.0),
            (0.05, 80.0, 7.0),
        ] {
            rows.push(Observation {
                platform: Platform::NvidiaGddr,
                seconds: m / truth.bandwidth + layers * truth.per_layer_s + hops * truth.per_hop_s,
                kind: ObservationKind::Decode {
                    memory_s: m,
                    layers,
                    hops,
                    known_s: 0.0,
                    compute_s: 0.0,
                },
            });
        }
        for (c, mem) in [(1e-4, 1e-5), (3e-4, 2e-6)] {
            rows.push(Observation {
                platform: Platform::NvidiaGddr,
                seconds: c / truth.compute + mem / truth.bandwidth,
                kind: ObservationKind::Prefill {
                    compute_s: c,
                    memory_s: mem,
                    quantized: false,
                },
            });
        }
        let got = fit(&rows).unwrap();
        assert!((got.bandwidth - 0.72).abs() < 1e-9, "{got:?}");
        assert!((got.per_layer_s - 2e-5).abs() < 1e-12);
        assert!((got.per_hop_s - 3e-4).abs() < 1e-12);
        assert!((got.compute - 0.41).abs() < 1e-9);
    }

    #[test]
    fn a_negative_fixed_cost_is_dropped_not_fitted() {
        // Rows a fixed cost cannot help with: the fit keeps it at zero.
        let rows: Vec<Observation> = [(0.01, 32.0), (0.02, 32.0), (0.04, 80.0)]
            .iter()
            .map(|&(m, layers)| Observation {
                platform: Platform::Apple,
                seconds: m / 0.8 - layers * 1e-6,
                kind: ObservationKind::Decode {
                    memory_s: m,
                    layers,
                    hops: 0.0,
                    known_s: 0.0,
                    compute_s: 0.0,
                },
            })
            .collect();
        let got = fit(&rows).unwrap();
        assert!(got.per_layer_s >= 0.0 && got.per_hop_s >= 0.0, "{got:?}");
    }
}
