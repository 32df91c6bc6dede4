//! vLLM's startup check as the report tells it: the GPUs a plan leaves out
//! because vLLM would stop there ([`crate::plan::split`] plans on the
//! others).

use super::Validated;
use crate::plan::split::{missing_at_startup, startup_share, Plan};
use crate::units::gib;

/// vLLM: each GPU the plan leaves out because vLLM would stop at its
/// startup check there, and the utilisation that would let it in.
pub(super) fn left_out(v: &Validated, plan: &Plan) -> Vec<String> {
    let r = v.plan_request();
    let context = v.settings.overhead_per_gpu;
    let share = startup_share(&v.gpus, context);
    plan.devices
        .iter()
        .filter(|d| !d.used())
        .filter_map(|d| {
            let gpu = v.gpus.get(d.index)?;
            let missing = missing_at_startup(&r, gpu, context);
            (missing > 0).then(|| {
                let lets_in = if share > 0 {
                    format!("; --gpu-memory-utilization {} lets it in", f64::from(share) / 100.0)
                } else {
                    String::new()
                };
                format!(
                    "{} is left out: vLLM would stop at its startup check there, {} short of its {} budget{lets_in}",
                    gpu.name,
                    gib(missing),
                    gib(v.settings.vllm.requested(gpu.cuda_total)),
                )
            })
        })
        .collect()
}
