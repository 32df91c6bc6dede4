//! The report: verdict first, then per-GPU bars, the device map, limits and
//! the launch command.

use leptos::prelude::*;

use crate::plan::{DevicePlan, InputError, Report};
use crate::units::{gb, gib, grouped, params};

/// The results panel for the current report, or a hint while input is invalid.
#[component]
pub fn Results(
    /// The derived report.
    result: Memo<Result<Report, InputError>>,
) -> impl IntoView {
    view! {
        <section class="vf-panel vf-results" aria-label="Results" aria-live="polite">
            {move || match result.get() {
                Ok(report) => report_view(report).into_any(),
                Err(e) => {
                    view! {
                        <p class="vf-verdict vf-verdict--invalid">
                            "Fix the highlighted input to see a plan: " {e.to_string()}
                        </p>
                    }
                        .into_any()
                }
            }}
        </section>
    }
}

fn report_view(r: Report) -> impl IntoView {
    let verdict = if r.fits {
        let n = r.plan.devices.len();
        format!("Fits on {n} GPU{} ", if n == 1 { "" } else { "s" })
    } else {
        format!("Does not fit: short by {} ", gb(r.shortfall_bytes))
    };
    let detail = format!(
        "{} · {} · {} tokens × {} sequence{}",
        r.model,
        r.weights_label,
        grouped(r.n_ctx),
        r.n_seq,
        if r.n_seq == 1 { "" } else { "s" }
    );
    let max_context = r.max_context.map_or("none fits".to_string(), |c| {
        format!("{} tokens", grouped(c))
    });
    let max_batch = r
        .max_batch
        .map_or("none fits".to_string(), |b| b.to_string());
    let verdict_class = if r.fits {
        "vf-verdict vf-verdict--fits"
    } else {
        "vf-verdict vf-verdict--short"
    };
    let bars = r.plan.devices.iter().map(device_bar).collect_view();
    let rows = r.plan.devices.iter().map(device_row).collect_view();
    let types = r
        .weights_by_type
        .iter()
        .map(|t| view! { <li>{format!("{} — {} tensors, {}", t.storage, t.tensors, gib(t.bytes))}</li> })
        .collect_view();
    let command = r
        .commands
        .iter()
        .map(|(engine, c)| {
            view! {
                <h2 class="vf-subtitle">{engine.clone()}</h2>
                <pre class="vf-command" data-testid="command"><code>{c.clone()}</code></pre>
            }
        })
        .collect_view();
    let warnings = r
        .warnings
        .iter()
        .map(|w| view! { <li>{w.clone()}</li> })
        .collect_view();
    view! {
        <div class=verdict_class data-testid="verdict">
            <strong>{verdict}</strong>
            <span class="vf-verdict__detail">{detail}</span>
        </div>
        <dl class="vf-facts">
            <div><dt>"Parameters"</dt><dd data-testid="params">{grouped(r.params.total)} " (" {params(r.params.total)} ")"</dd></div>
            <div><dt>"Weights"</dt><dd>{gib(r.weights_bytes)}</dd></div>
            <div><dt>"KV cache"</dt><dd>{gib(r.kv_bytes)}</dd></div>
            <div><dt>"Host memory"</dt><dd>{gib(r.host_bytes)}</dd></div>
            <div><dt>"Max context"</dt><dd data-testid="max-context">{max_context}</dd></div>
            <div><dt>"Max sequences"</dt><dd data-testid="max-batch">{max_batch}</dd></div>
        </dl>
        <div class="vf-bars">{bars}</div>
        <ul class="vf-legend" aria-hidden="true">
            <li class="vf-legend__item vf-legend__item--weights">"weights"</li>
            <li class="vf-legend__item vf-legend__item--kv">"KV cache"</li>
            <li class="vf-legend__item vf-legend__item--compute">"compute"</li>
            <li class="vf-legend__item vf-legend__item--overhead">"overhead"</li>
            <li class="vf-legend__item vf-legend__item--free">"free"</li>
        </ul>
        <table class="vf-table">
            <caption>{format!("Device map ({} layer split)", r.engine)}</caption>
            <thead>
                <tr>
                    <th scope="col">"GPU"</th>
                    <th scope="col">"Layers"</th>
                    <th scope="col">"Weights"</th>
                    <th scope="col">"KV cache"</th>
                    <th scope="col">"Compute"</th>
                    <th scope="col">"Overhead"</th>
                    <th scope="col">"Free"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
        <h2 class="vf-subtitle">"Weights by storage type"</h2>
        <ul class="vf-types" data-testid="types">{types}</ul>
        {command}
        <ul class="vf-warnings">{warnings}</ul>
    }
}

/// One GPU as a stacked SVG bar; each segment's title gives exact bytes.
fn device_bar(d: &DevicePlan) -> impl IntoView {
    let scale = d.usable_bytes.max(d.total_bytes).max(1) as f64;
    let parts = [
        ("weights", d.weights_bytes),
        ("kv", d.kv_bytes),
        ("compute", d.compute_bytes),
        ("overhead", d.overhead_bytes),
        ("free", d.free_bytes()),
    ];
    let mut x = 0.0;
    let rects = parts
        .into_iter()
        .filter(|(_, bytes)| *bytes > 0)
        .map(|(kind, bytes)| {
            let width = bytes as f64 / scale * 100.0;
            let rect = view! {
                <rect class=format!("vf-bar__part vf-bar__part--{kind}") x=format!("{x:.3}") y="0" width=format!("{width:.3}") height="10">
                    <title>{format!("{kind}: {} bytes ({})", grouped(bytes), gib(bytes))}</title>
                </rect>
            };
            x += width;
            rect
        })
        .collect_view();
    let label = format!(
        "{}: {} of {} used{}",
        d.name,
        gib(d.total_bytes),
        gib(d.usable_bytes),
        if d.shortfall_bytes() > 0 {
            format!(", over by {}", gib(d.shortfall_bytes()))
        } else {
            String::new()
        }
    );
    let bar_class = if d.shortfall_bytes() > 0 {
        "vf-bar vf-bar--over"
    } else {
        "vf-bar"
    };
    view! {
        <figure class=bar_class>
            <figcaption class="vf-bar__label">{label.clone()}</figcaption>
            <svg class="vf-bar__svg" viewBox="0 0 100 10" preserveAspectRatio="none" role="img" aria-label=label>
                {rects}
            </svg>
        </figure>
    }
}

fn device_row(d: &DevicePlan) -> impl IntoView {
    let layers = d.layers.map_or("—".to_string(), |[a, b]| {
        format!("{a}–{b} ({})", b - a + 1)
    });
    view! {
        <tr>
            <th scope="row">{d.name.clone()} <span class="vf-table__cap">{gb(d.capacity_bytes)}</span></th>
            <td>{layers}</td>
            <td>{gib(d.weights_bytes)}</td>
            <td>{gib(d.kv_bytes)}</td>
            <td>{gib(d.compute_bytes)}</td>
            <td>{gib(d.overhead_bytes)}</td>
            <td>{gib(d.free_bytes())}</td>
        </tr>
    }
}
