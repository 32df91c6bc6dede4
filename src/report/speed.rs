//! The report's speed glue: host memory's bandwidth from the request, the
//! sweep's speeds and the "fastest" objective's search over GPU subsets
//! (the speed model itself is `plan::speed`).

use super::*;

/// Host memory's bandwidth: the one given (GB/s), else a Mac's unified
/// memory (its GPU's), else dual-channel DDR5-5600 (2 × 8 bytes × 5600 MT/s
/// = 89.6 GB/s), a typical desktop.
pub(super) fn host_bandwidth(
    text: &str,
    gpus: &[crate::plan::device::Gpu],
) -> Result<crate::plan::speed::Host, InputError> {
    use crate::plan::speed::Host;
    let t = text.trim();
    if !t.is_empty() {
        let number = t
            .trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '/' || c == ' ')
            .trim();
        return match number.parse::<f64>() {
            Ok(gb) if gb > 0.0 && gb.is_finite() && gb < 1e5 => Ok(Host {
                bandwidth: gb * 1e9,
                label: format!("{gb} GB/s as given"),
                fraction: crate::plan::speed::HOST_BANDWIDTH_FRACTION,
                experts: crate::plan::speed::HOST_EXPERT_SHARE,
            }),
            _ => Err(InputError::Bandwidth {
                field: "host_bw",
                text: text.to_string(),
            }),
        };
    }
    let apple = gpus
        .first()
        .and_then(|g| g.card)
        .and_then(crate::plan::gpus::find_card)
        .filter(|c| c.vendor == "apple");
    Ok(match apple {
        Some(card) => Host {
            bandwidth: card.bandwidth_gb_s * 1e9,
            label: format!("unified ({} GB/s)", card.bandwidth_gb_s),
            fraction: crate::plan::speed::APPLE_HOST_BANDWIDTH_FRACTION,
            experts: crate::plan::speed::HOST_EXPERT_SHARE,
        },
        None => Host {
            bandwidth: 89.6e9,
            label: "dual-channel DDR5-5600 (89.6 GB/s, the default)".into(),
            fraction: crate::plan::speed::HOST_BANDWIDTH_FRACTION,
            experts: crate::plan::speed::HOST_EXPERT_SHARE,
        },
    })
}

/// Each sweep row's aggregate decode speed on the plan of its batch and
/// longest context (the tensor-parallel size of `main` kept: the sweep
/// row changes the cache, not the layout worth searching).
pub(super) fn sweep_with_speed(v: &Validated, main: &Plan, rows: Vec<SweepRow>) -> Vec<SweepRow> {
    // GPUs given by size have no bandwidth: no plan would have a speed.
    if v.gpus
        .iter()
        .any(|g| g.card.and_then(crate::plan::gpus::find_card).is_none())
    {
        return rows;
    }
    let mut vllm = v.settings.vllm;
    if vllm.tensor_parallel == 0 {
        vllm.tensor_parallel = u16::try_from(main.layout.tp).unwrap_or(0);
    }
    rows.into_iter()
        .map(|row| {
            let total = row.max_context.and_then(|ctx| {
                let settings = RunSettings {
                    n_seq: row.batch,
                    n_ctx: ctx,
                    vllm,
                    ..v.settings
                };
                let p = plan(PlanRequest {
                    settings,
                    ..v.plan_request()
                });
                p.fits
                    .then(|| {
                        crate::plan::speed::plan_speed(&v.spec, &p, &v.gpus, v.backend, &v.host)
                    })
                    .flatten()
                    // With every sequence's cache full: the batch's longest
                    // context is what this row is about.
                    .map(|s| s.decode_tokens_per_s_at_context * row.batch as f64)
            });
            SweepRow {
                decode_tokens_per_s_total: total,
                ..row
            }
        })
        .collect()
}

/// The fastest plan that fits: the GPUs by bandwidth, fastest first, and
/// of the first k (the others left unused) the plan decoding fastest.
/// `fallback` (all GPUs) stands when no subset is faster or speed is
/// unknown.
pub(super) fn fastest_plan(v: &Validated, fallback: Plan) -> Plan {
    use crate::plan::speed::plan_speed;
    let speed = |p: &Plan, gpus: &[crate::plan::device::Gpu]| {
        plan_speed(&v.spec, p, gpus, v.backend, &v.host).map(|s| s.decode_tokens_per_s)
    };
    let bandwidth = |g: &crate::plan::device::Gpu| {
        g.card
            .and_then(crate::plan::gpus::find_card)
            .map_or(0.0, |c| c.bandwidth_gb_s)
    };
    let mut order: Vec<usize> = (0..v.gpus.len()).collect();
    order.sort_by(|&a, &b| bandwidth(&v.gpus[b]).total_cmp(&bandwidth(&v.gpus[a])));
    let mut best = speed(&fallback, &v.gpus).map(|s| (s, fallback.clone()));
    for k in 1..v.gpus.len() {
        // Leave the slower GPUs out by reserving all of their memory.
        let gpus: Vec<crate::plan::device::Gpu> = v
            .gpus
            .iter()
            .enumerate()
            .map(|(i, g)| {
                let mut g = g.clone();
                if !order[..k].contains(&i) {
                    g.reserve = g.capacity;
                }
                g
            })
            .collect();
        let p = plan(PlanRequest {
            gpus: &gpus,
            ..v.plan_request()
        });
        if !p.fits {
            continue;
        }
        if let Some(s) = speed(&p, &gpus) {
            if best.as_ref().is_none_or(|(b, _)| s > *b * (1.0 + 1e-9)) {
                best = Some((s, p));
            }
        }
    }
    best.map_or(fallback, |(_, mut p)| {
        // Stages count the GPUs used (the left-out ones hold nothing).
        let mut stages: Vec<usize> = p
            .devices
            .iter()
            .filter_map(|d| d.used().then_some(d.stage).flatten())
            .collect();
        stages.dedup();
        p.layout.pp = stages.len().max(1);
        // The left-out GPUs were planned with all their memory reserved;
        // the report shows what they really have (vLLM: its budget).
        for d in &mut p.devices {
            if let Some(g) = v.gpus.get(d.index) {
                d.usable_bytes = crate::plan::split::usable(g, &v.settings);
            }
        }
        p
    })
}
