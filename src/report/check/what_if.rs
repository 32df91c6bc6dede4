//! What-ifs from a log's real sizes instead of vramfit's estimates.

use super::*;

/// What-ifs from the real numbers: the setup as the log ran it, with each
/// GPU's logged weights and compute in place of ours and its KV scaled by
/// logged over ours.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct WhatIf {
    /// The longest context per sequence (multiple of 256) that would fit
    /// with the placement as logged.
    pub max_context: Option<u64>,
    /// The same with one more GPU like the first.
    pub max_context_with_another_gpu: Option<u64>,
    pub basis: String,
}

/// Per GPU (by plan name): logged − ours for weights and compute, and
/// logged / ours for the KV cache.
pub(super) struct Calibration {
    devices: Vec<(String, i64, i64, f64)>,
}

impl Calibration {
    fn from_rows(rows: &[Row]) -> Calibration {
        let mut devices: Vec<(String, i64, i64, f64)> = Vec::new();
        for r in rows.iter().filter(|r| r.device != "host") {
            let at = match devices.iter().position(|d| d.0 == r.device) {
                Some(i) => i,
                None => {
                    devices.push((r.device.clone(), 0, 0, 1.0));
                    devices.len() - 1
                }
            };
            let d = &mut devices[at];
            match r.buffer {
                "weights" => d.1 = r.diff_bytes().saturating_neg(),
                "compute" => d.2 = r.diff_bytes().saturating_neg(),
                "kv" if r.predicted_bytes > 0 => {
                    d.3 = r.logged_bytes as f64 / r.predicted_bytes as f64
                }
                _ => {}
            }
        }
        Calibration { devices }
    }

    /// Whether `request` fits with the logged corrections on every GPU.
    fn fits(&self, request: &Request) -> bool {
        let Ok(plan) = report(request) else {
            return false;
        };
        plan.devices.iter().filter(|d| d.used()).all(|d| {
            let (dw, dc, kv) = self
                .devices
                .iter()
                .find(|c| c.0 == d.name)
                .map_or((0, 0, 1.0), |c| (c.1, c.2, c.3));
            let kv = (d.kv_bytes as f64 * kv) as i64;
            let total = d.total_bytes as i64 - d.kv_bytes as i64 + kv + dw + dc;
            total <= d.usable_bytes as i64
        })
    }

    /// The longest context (multiple of 256, up to `limit`) that fits.
    fn max_context(&self, request: &Request, limit: u64) -> Option<u64> {
        let at = |k: u64| {
            let mut r = request.clone();
            r.set("ctx", (k * 256).to_string());
            self.fits(&r)
        };
        let (mut lo, mut hi) = (1, (limit / 256).max(1));
        if !at(lo) {
            return None;
        }
        if at(hi) {
            return Some(hi * 256);
        }
        while hi - lo > 1 {
            let mid = lo + (hi - lo) / 2;
            if at(mid) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        Some(lo * 256)
    }
}

pub(super) fn what_if(request: &Request, rows: &[Row]) -> Option<WhatIf> {
    let calibration = Calibration::from_rows(rows);
    let limit = crate::report::validate(request).ok()?.spec.n_ctx_train;
    // The placement as logged; with another GPU, the split searched anew.
    let max_context = calibration.max_context(request, limit);
    let gpus = crate::plan::device::parse_gpus(&request.gpus).ok()?;
    let another = gpus.first().map(|g| g.capacity / MIB)?;
    let mut more = request.clone();
    more.set("tensor_split", String::new());
    more.set("ngl", String::new());
    more.set("gpus", format!("{}, {another}MiB", request.gpus));
    let max_context_with_another_gpu = calibration.max_context(&more, limit);
    Some(WhatIf {
        max_context,
        max_context_with_another_gpu,
        basis: "each GPU's logged weights and compute in place of vramfit's, its KV cache scaled by logged over vramfit's".into(),
    })
}
