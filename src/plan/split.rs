//! The layer split across GPUs (llama.cpp `-sm layer`).
//!
//! Each GPU holds a contiguous range of layers — their weights **and** their
//! KV cache — plus its compute buffer and runtime overhead; the last GPU also
//! holds the output norm and projection with the logits part of the compute
//! buffer; token embeddings stay in host memory, as llama.cpp places them.
//!
//! The split minimises the peak utilisation (bytes used / usable bytes) over
//! all contiguous partitions: a bisection on the utilisation bound, where
//! feasibility of a bound is decided exactly by filling devices in order with
//! as many layers as fit (taking more layers early never hurts later devices).

use serde::Serialize;

use super::device::Gpu;
use crate::estimate::{estimate, Estimate, ModelSpec, RunSettings};

/// Everything a plan depends on.
#[derive(Debug, Clone, Copy)]
pub struct PlanRequest<'a> {
    pub spec: &'a ModelSpec,
    pub settings: RunSettings,
    pub gpus: &'a [Gpu],
}

/// One GPU's share of the plan. All sizes in bytes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevicePlan {
    pub name: String,
    pub capacity_bytes: u64,
    pub usable_bytes: u64,
    /// First and last layer held, inclusive; `None` when it holds none.
    pub layers: Option<[usize; 2]>,
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    pub compute_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
}

impl DevicePlan {
    pub fn free_bytes(&self) -> u64 {
        self.usable_bytes.saturating_sub(self.total_bytes)
    }

    /// Bytes over what this device can hold.
    pub fn shortfall_bytes(&self) -> u64 {
        self.total_bytes.saturating_sub(self.usable_bytes)
    }

    pub fn layer_count(&self) -> usize {
        self.layers.map_or(0, |[a, b]| b - a + 1)
    }
}

/// A placement and its verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub fits: bool,
    pub estimate: Estimate,
    pub devices: Vec<DevicePlan>,
    /// Bytes in host memory: token embeddings and the logits buffer.
    pub host_bytes: u64,
    /// Total bytes missing across devices (0 when it fits).
    pub shortfall_bytes: u64,
}

/// Places the model on the GPUs, minimising peak utilisation.
pub fn plan(request: PlanRequest) -> Plan {
    let estimate = estimate(request.spec, &request.settings);
    let layers: Vec<u64> = estimate
        .layer_weights
        .iter()
        .zip(&estimate.layer_kv)
        .map(|(w, kv)| w + kv)
        .collect();
    let n = request.gpus.len();
    let fixed: Vec<u64> = (0..n)
        .map(|j| fixed_bytes(&estimate, j == 0, j + 1 == n))
        .collect();
    let usable: Vec<u64> = request.gpus.iter().map(Gpu::usable).collect();
    let counts = min_peak_split(&layers, &fixed, &usable);
    build(request.gpus, &estimate, &counts, &fixed)
}

/// Bytes a GPU holds whatever its layers: overhead and compute; on the
/// first GPU the token embeddings (unless the engine keeps them in host
/// memory), on the last the output tensors and the logits.
fn fixed_bytes(e: &Estimate, first: bool, last: bool) -> u64 {
    e.overhead_per_gpu
        + e.compute_layers
        + fixed_weights(e, first, last)
        + if last { e.compute_output } else { 0 }
}

/// Weight bytes a GPU holds besides its layers.
fn fixed_weights(e: &Estimate, first: bool, last: bool) -> u64 {
    let embd = if first && !e.token_embd_on_host {
        e.token_embd
    } else {
        0
    };
    embd + if last { e.output } else { 0 }
}

/// Utilisation bounds are fixed-point fractions with this many bits, so the
/// search is exact integer arithmetic and deterministic on every platform.
const FRACTION_BITS: u32 = 32;

/// Layer counts per device that minimise `max (fixed + layers) / usable`.
fn min_peak_split(layers: &[u64], fixed: &[u64], usable: &[u64]) -> Vec<usize> {
    let total: u64 = layers.iter().sum();
    // At this bound every device could hold everything, so filling succeeds.
    let mut hi: u128 = usable
        .iter()
        .zip(fixed)
        .map(|(&u, &f)| (u128::from(f + total) << FRACTION_BITS).div_ceil(u128::from(u.max(1))))
        .max()
        .unwrap_or(0);
    let mut lo: u128 = 0;
    let mut best = fill(layers, fixed, usable, hi).unwrap_or_else(|| vec![0; usable.len()]);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match fill(layers, fixed, usable, mid) {
            Some(counts) => {
                best = counts;
                hi = mid;
            }
            None => lo = mid,
        }
    }
    best
}

/// Fills devices in order up to `bound × usable` (bound in fixed point);
/// `None` if layers remain.
fn fill(layers: &[u64], fixed: &[u64], usable: &[u64], bound: u128) -> Option<Vec<usize>> {
    let mut counts = Vec::with_capacity(usable.len());
    let mut next = 0;
    for (&u, &f) in usable.iter().zip(fixed) {
        let budget = (u128::from(u) * bound) >> FRACTION_BITS;
        let mut used = u128::from(f);
        if used > budget {
            return None;
        }
        let start = next;
        while next < layers.len() && used + u128::from(layers[next]) <= budget {
            used += u128::from(layers[next]);
            next += 1;
        }
        counts.push(next - start);
    }
    (next == layers.len()).then_some(counts)
}

fn build(gpus: &[Gpu], e: &Estimate, counts: &[usize], fixed: &[u64]) -> Plan {
    let mut first = 0;
    let mut devices = Vec::with_capacity(gpus.len());
    for (j, gpu) in gpus.iter().enumerate() {
        let range = first..first + counts[j];
        let extra_weights = fixed_weights(e, j == 0, j + 1 == gpus.len());
        let weights = e.layer_weights[range.clone()].iter().sum::<u64>() + extra_weights;
        let kv = e.layer_kv[range.clone()].iter().sum::<u64>();
        let compute = fixed[j] - e.overhead_per_gpu - extra_weights;
        let total = weights + kv + compute + e.overhead_per_gpu;
        devices.push(DevicePlan {
            name: gpu.name.clone(),
            capacity_bytes: gpu.capacity,
            usable_bytes: gpu.usable(),
            layers: (!range.is_empty()).then(|| [range.start, range.end - 1]),
            weights_bytes: weights,
            kv_bytes: kv,
            compute_bytes: compute,
            overhead_bytes: e.overhead_per_gpu,
            total_bytes: total,
        });
        first = range.end;
    }
    let shortfall = devices.iter().map(DevicePlan::shortfall_bytes).sum();
    Plan {
        fits: shortfall == 0,
        estimate: e.clone(),
        devices,
        host_bytes: if e.token_embd_on_host {
            e.token_embd
        } else {
            0
        } + e.host_output_buffer,
        shortfall_bytes: shortfall,
    }
}

/// The longest context per sequence (a multiple of 256, at most the model's
/// trained length) that fits with the requested sequences; `None` if even
/// 256 tokens do not fit.
pub fn max_context(request: PlanRequest) -> Option<u64> {
    let fits = |n_ctx: u64| {
        let settings = RunSettings {
            n_ctx,
            ..request.settings
        };
        plan(PlanRequest {
            settings,
            ..request
        })
        .fits
    };
    let limit = request.spec.n_ctx_train;
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

/// The most concurrent sequences (up to 1024) that fit at the requested
/// context; `None` if one does not.
pub fn max_batch(request: PlanRequest) -> Option<u64> {
    let fits = |n_seq: u64| {
        let settings = RunSettings {
            n_seq,
            ..request.settings
        };
        plan(PlanRequest {
            settings,
            ..request
        })
        .fits
    };
    if !fits(1) {
        return None;
    }
    let (mut lo, mut hi) = (1, 1025);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::catalog::find;
    use crate::plan::parse_gpus;
    use crate::units::GB;

    fn request_plan(model: &str, gpus: &str, n_ctx: u64) -> Plan {
        let spec = find(model).unwrap().load().unwrap().spec;
        let gpus = parse_gpus(gpus).unwrap();
        plan(PlanRequest {
            spec: &spec,
            settings: RunSettings {
                n_ctx,
                ..RunSettings::default()
            },
            gpus: &gpus,
        })
    }

    #[test]
    fn every_layer_is_placed_once_and_in_order() {
        let p = request_plan("llama-3.1-8b", "24GB, 12GB, 8GB", 8192);
        let counts: usize = p.devices.iter().map(DevicePlan::layer_count).sum();
        assert_eq!(counts, 32);
        let ranges: Vec<_> = p.devices.iter().filter_map(|d| d.layers).collect();
        for pair in ranges.windows(2) {
            assert_eq!(pair[0][1] + 1, pair[1][0]);
        }
    }

    #[test]
    fn the_split_beats_or_equals_every_contiguous_partition() {
        // Brute force over all contiguous partitions for a 3-GPU case.
        let spec = find("tinyllama-1.1b").unwrap().load().unwrap().spec;
        let gpus = parse_gpus("3GB, 1.5GB, 2GB").unwrap();
        let request = PlanRequest {
            spec: &spec,
            settings: RunSettings::default(),
            gpus: &gpus,
        };
        let best = plan(request);
        let peak = |p: &Plan| {
            p.devices
                .iter()
                .map(|d| d.total_bytes as f64 / d.usable_bytes as f64)
                .fold(0.0, f64::max)
        };
        let e = &best.estimate;
        let n = e.layer_weights.len();
        let fixed: Vec<u64> = (0..3).map(|j| fixed_bytes(e, j == 0, j == 2)).collect();
        let mut brute = f64::MAX;
        for a in 0..=n {
            for b in 0..=n - a {
                let p = build(&gpus, e, &[a, b, n - a - b], &fixed);
                brute = brute.min(peak(&p));
            }
        }
        assert!(peak(&best) <= brute + 1e-9, "{} > {}", peak(&best), brute);
    }

    #[test]
    fn does_not_fit_reports_the_shortfall() {
        let p = request_plan("llama-3.1-70b", "24GB", 8192);
        assert!(!p.fits);
        assert!(p.shortfall_bytes > 100 * GB);
        assert_eq!(
            p.shortfall_bytes,
            p.devices[0].total_bytes - p.devices[0].usable_bytes
        );
    }

    #[test]
    fn max_context_is_the_edge_of_fitting() {
        let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
        let gpus = parse_gpus("24GB").unwrap();
        let request = PlanRequest {
            spec: &spec,
            settings: RunSettings::default(),
            gpus: &gpus,
        };
        let ctx = max_context(request).unwrap();
        let at = |n_ctx| {
            plan(PlanRequest {
                settings: RunSettings {
                    n_ctx,
                    ..request.settings
                },
                ..request
            })
            .fits
        };
        assert!(at(ctx));
        assert!(!at(ctx + 256));
        let batch = max_batch(request).unwrap();
        let at_batch = |n_seq| {
            plan(PlanRequest {
                settings: RunSettings {
                    n_seq,
                    ..request.settings
                },
                ..request
            })
            .fits
        };
        assert!(at_batch(batch) && !at_batch(batch + 1));
    }
}
