//! vLLM's startup as it would log it: the budget per GPU, "Available KV
//! cache memory", "GPU KV cache size", "Maximum concurrency", and the
//! error it would stop with. Formats [`Startup`]; computes nothing.

use leptos::prelude::*;

use crate::estimate::vllm::Startup;
use crate::units::{gib, grouped};

/// The vLLM block of the report, when the engine is vLLM.
pub fn vllm_view(v: &Startup) -> impl IntoView {
    let signed_gib = |b: i64| {
        if b < 0 {
            format!("−{}", gib(b.unsigned_abs()))
        } else {
            gib(b as u64)
        }
    };
    let ranks = v
        .ranks
        .iter()
        .map(|r| {
            view! {
                <tr>
                    <td>{format!("GPU {}", r.device)}</td>
                    <td>{gib(r.requested_bytes)}</td>
                    <td>{gib(r.weights_bytes)}</td>
                    <td>{gib(r.activation_bytes)}</td>
                    <td>{gib(r.non_torch_bytes)}</td>
                    <td>{gib(r.cuda_graph_bytes)}</td>
                    <td>{signed_gib(r.kv_cache_bytes)}</td>
                </tr>
            }
        })
        .collect_view();
    let encoder = match (v.encoder_budget_tokens, v.profiled_images) {
        (Some(budget), Some(items)) => format!("Encoder cache will be initialized with a budget of {budget} tokens, and profiled with {items} image items of the maximum feature size.\n"),
        _ => String::new(),
    };
    let log = format!(
        "{encoder}Available KV cache memory: {}\nGPU KV cache size: {} tokens\nMaximum concurrency for {} tokens per request: {:.2}x",
        signed_gib(v.binding.kv_cache_bytes),
        grouped(v.kv_cache_tokens),
        grouped(v.max_model_len),
        v.max_concurrency
    );
    let error = v.error.clone().map(|e| {
        view! { <pre class="vf-vllm__error" data-testid="vllm-error">{e}</pre> }
    });
    view! {
        <section class="vf-vllm" data-testid="vllm">
            <h2 class="vf-subtitle">{format!("vLLM {} at startup", v.version)}</h2>
            <p class="vf-note">
                {format!(
                    "--gpu-memory-utilization {} · --max-num-batched-tokens {} · blocks of {} tokens · CUDA graphs {}. Accounting {}.",
                    v.gpu_memory_utilization,
                    v.max_num_batched_tokens,
                    v.block_size,
                    if v.cuda_graphs_subtracted { "subtracted" } else { "not subtracted" },
                    v.accounting
                )}
            </p>
            <pre class="vf-vllm__log" data-testid="vllm-log">{log}</pre>
            {error}
            <table class="vf-table">
                <thead><tr><th>"GPU"</th><th>"budget"</th><th>"weights"</th><th>"activation peak"</th><th>"non-torch"</th><th>"CUDA graphs"</th><th>"KV cache"</th></tr></thead>
                <tbody>{ranks}</tbody>
            </table>
        </section>
    }
}
