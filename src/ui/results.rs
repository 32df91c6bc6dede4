//! The report: verdict and ways out first, then per-GPU bars, limits, the
//! device map, launch commands and the parameter breakdown.

use leptos::prelude::*;

use super::app::Calc;
use crate::plan::DevicePlan;
use crate::report::Report;
use crate::units::{gb, gib, grouped, params};
use crate::web::clipboard::copy;

/// The results panel: the current report, or the last valid one (dimmed)
/// while an input is being fixed.
#[component]
pub fn Results() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let stale = move || calc.result.with(|r| r.is_err());
    let body = move || {
        match calc.shown.get() {
        Some(report) => report_view(report).into_any(),
        None => view! { <p class="vf-verdict vf-verdict--invalid">"Fix the highlighted input to see a plan."</p> }.into_any(),
    }
    };
    let open_full = calc.embed.then(|| {
        let href = move || calc.link(&[]);
        view! { <a class="vf-open-full" href=href target="_blank" rel="noopener">"Open the full calculator ↗"</a> }
    });
    view! {
        <section id="vf-results" class="vf-panel vf-results" class:vf-results--stale=stale aria-label="Results" aria-live="polite">
            {open_full}
            <Show when=stale>
                <p class="vf-note" role="status">"An input needs fixing (see the message next to it); showing the last valid plan."</p>
            </Show>
            <super::check::LoggedTable />
            {body}
        </section>
    }
}

/// The verdict's headline: "Fits on 2 GPUs" or "Does not fit: short by …".
pub(super) fn verdict_text(r: &Report) -> String {
    let used = r.devices.iter().filter(|d| d.used()).count();
    if r.fits {
        let offload = if r.offload.any() {
            " with CPU offload"
        } else {
            ""
        };
        format!(
            "Fits on {used} GPU{}{offload}",
            if used == 1 { "" } else { "s" }
        )
    } else {
        format!("Does not fit: short by {}", gib(r.shortfall_bytes))
    }
}

/// A token rate as the report shows it.
pub(super) fn rate(t: f64) -> String {
    if t >= 100.0 {
        format!("{t:.0} tok/s")
    } else {
        format!("{t:.1} tok/s")
    }
}

fn report_view(r: Report) -> impl IntoView {
    let verdict = verdict_text(&r);
    let detail = format!(
        "{} · {} · {} · {} tokens × {} sequence{}",
        r.model,
        r.engine.label(),
        r.weights_label,
        grouped(r.n_ctx),
        r.n_seq,
        if r.n_seq == 1 { "" } else { "s" }
    );
    let verdict_class = if r.fits {
        "vf-verdict vf-verdict--fits"
    } else {
        "vf-verdict vf-verdict--short"
    };
    let max_context = r.max_context.map_or("none fits".to_string(), |c| {
        format!("{} tokens", grouped(c))
    });
    let max_batch = r
        .max_batch
        .map_or("none fits".to_string(), |b| b.to_string());
    let layout = format!("TP {} × PP {}", r.layout.tp, r.layout.pp);
    let speed_line = r.speed.as_ref().map(|s| {
        format!(
            " · {} decode, first token after {:.1} s",
            rate(s.decode_tokens_per_s),
            s.time_to_first_token_s
        )
    });
    let names: Vec<String> = r.devices.iter().map(|d| d.name.clone()).collect();
    let speed_note = match &r.speed {
        Some(s) => format!(
            "Speed: {}. Basis: {}.",
            s.summary(r.n_seq, r.n_ctx, &names),
            s.basis
        ),
        None if !r.fits => {
            "Speed: each way out above shows the decode speed it would run at.".into()
        }
        None => {
            // Name a few cards of the first unnamed size, to pick from.
            let sized = r
                .devices
                .iter()
                .find(|d| crate::plan::gpus::find_card(&d.name).is_none());
            let examples: Vec<String> = sized
                .map(|d| {
                    crate::plan::gpus::cards_with_memory(d.capacity_bytes)
                        .take(3)
                        .map(|c| c.name.clone())
                        .collect()
                })
                .unwrap_or_default();
            if examples.is_empty() {
                "Speed: unknown — a GPU given by size only has no known bandwidth; pick its card."
                    .into()
            } else {
                format!(
                    "Speed: unknown — a GPU given by size only has no known bandwidth; pick its card (e.g. {}).",
                    examples.join(", ")
                )
            }
        }
    };
    let decode = r
        .speed
        .as_ref()
        .map_or("—".to_string(), |s| rate(s.decode_tokens_per_s));
    let prefill = r
        .speed
        .as_ref()
        .map_or("—".to_string(), |s| rate(s.prefill_tokens_per_s));
    view! {
        <div class=verdict_class data-testid="verdict">
            <strong>{verdict}</strong>
            <span class="vf-verdict__detail">{detail}{speed_line}</span>
        </div>
        {ways_view(&r)}
        <dl class="vf-facts">
            <div><dt>"Parameters"</dt><dd data-testid="params">{grouped(r.params.total)} " (" {params(r.params.total)} ")"</dd></div>
            <div><dt>"Active per token"</dt><dd>{params(r.params.active)}</dd></div>
            <div><dt>"Weights"</dt><dd>{gib(r.weights_bytes)}</dd></div>
            <div><dt>"KV cache"</dt><dd data-testid="kv">{gib(r.kv_bytes)}</dd></div>
            {(r.state_bytes > 0).then(|| view! {
                <div><dt>"of which recurrent state"</dt><dd data-testid="state">{gib(r.state_bytes)}</dd></div>
            })}
            <div><dt>"Host memory"</dt><dd>{gib(r.host_bytes)}</dd></div>
            <div><dt>"Longest context"</dt><dd data-testid="max-context">{max_context}</dd></div>
            <div><dt>"Most sequences"</dt><dd data-testid="max-batch">{max_batch}</dd></div>
            <div><dt>"Layout"</dt><dd>{layout}</dd></div>
            <div><dt>"Decode"</dt><dd data-testid="decode-speed">{decode}</dd></div>
            <div><dt>"Prefill"</dt><dd data-testid="prefill-speed">{prefill}</dd></div>
        </dl>
        <div class="vf-bars" data-testid="bars">{r.devices.iter().map(device_bar).collect_view()}</div>
        <ul class="vf-legend" aria-hidden="true">
            <li class="vf-legend__item vf-legend__item--weights">"weights"</li>
            {(r.vision_bytes > 0).then(|| view! {
                <li class="vf-legend__item vf-legend__item--vision">"vision"</li>
            })}
            <li class="vf-legend__item vf-legend__item--kv">"KV cache"</li>
            <li class="vf-legend__item vf-legend__item--compute">"compute"</li>
            <li class="vf-legend__item vf-legend__item--overhead">"overhead"</li>
            <li class="vf-legend__item vf-legend__item--free">"free"</li>
        </ul>
        {device_table(&r)}
        <p class="vf-note" data-testid="speed">{speed_note}</p>
        <p class="vf-note" data-testid="overhead-basis">{format!("Runtime overhead: {}.", r.overhead_basis)}</p>
        <p class="vf-note" data-testid="memory-limit">{format!("GPU memory limit: {}.", r.memory_limit)}</p>
        {r.vllm.as_ref().map(super::vllm::vllm_view)}
        {sweep_view(&r)}
        {commands_view(&r)}
        {breakdown_view(&r)}
        <ul class="vf-warnings">{r.warnings.iter().map(|w| view! { <li>{w.clone()}</li> }).collect_view()}</ul>
        {export_view(&r)}
    }
}

/// Ways out of "does not fit"; a click applies one.
fn ways_view(r: &Report) -> impl IntoView {
    let calc = expect_context::<Calc>();
    (!r.ways_out.is_empty()).then(|| {
        let items = r
            .ways_out
            .iter()
            .map(|w| {
                let changes = w.changes.clone();
                let apply = move |_| {
                    calc.request.update(|req| {
                        for (field, value) in &changes {
                            req.set(field, value.clone());
                        }
                    })
                };
                view! {
                    <li>
                        <button class="vf-button vf-button--way" on:click=apply>{w.label.clone()}</button>
                        <span class="vf-ways__peak">{format!(
                            "fits, fullest GPU at {:.0}%{}",
                            w.peak_utilisation * 100.0,
                            w.decode_tokens_per_s.map_or(String::new(), |t| format!(", {t:.1} tok/s"))
                        )}</span>
                    </li>
                }
            })
            .collect_view();
        view! {
            <div class="vf-ways" data-testid="ways">
                <h2 class="vf-subtitle">"Ways to make it fit (click to apply)"</h2>
                <ul>{items}</ul>
            </div>
        }
    })
}

/// One GPU as a stacked SVG bar; each segment's title gives exact bytes.
fn device_bar(d: &DevicePlan) -> impl IntoView {
    let scale = d.usable_bytes.max(d.total_bytes).max(1) as f64;
    let parts = [
        ("weights", d.weights_bytes - d.vision_bytes),
        ("vision", d.vision_bytes),
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
    let exact = format!(
        "{}: weights {} B (vision {} B), KV cache {} B, compute {} B, overhead {} B, free {} B of {} B usable",
        d.name,
        grouped(d.weights_bytes),
        grouped(d.vision_bytes),
        grouped(d.kv_bytes),
        grouped(d.compute_bytes),
        grouped(d.overhead_bytes),
        grouped(d.free_bytes()),
        grouped(d.usable_bytes)
    );
    let label = if d.used() {
        format!(
            "{}: {} of {} used{}",
            d.name,
            gib(d.total_bytes),
            gib(d.usable_bytes),
            if d.shortfall_bytes() > 0 {
                format!(", over by {}", gib(d.shortfall_bytes()))
            } else {
                String::new()
            }
        )
    } else {
        format!(
            "{}: unused (leave it out with CUDA_VISIBLE_DEVICES)",
            d.name
        )
    };
    let bar_class = if d.shortfall_bytes() > 0 {
        "vf-bar vf-bar--over"
    } else {
        "vf-bar"
    };
    view! {
        <figure class=bar_class tabindex="0" title=exact.clone() aria-label=exact>
            <figcaption class="vf-bar__label">{label}</figcaption>
            <svg class="vf-bar__svg" viewBox="0 0 100 10" preserveAspectRatio="none" aria-hidden="true">{rects}</svg>
        </figure>
    }
}

fn device_table(r: &Report) -> impl IntoView {
    let rows = r
        .devices
        .iter()
        .map(|d| {
            let layers = d.layers.map_or("—".to_string(), |[a, b]| format!("{a}–{b} ({})", b - a + 1));
            let step = r
                .speed
                .as_ref()
                .and_then(|s| s.devices.iter().find(|x| x.index == d.index))
                .map_or("—".to_string(), |x| format!("{:.2} ms", x.decode_ms));
            view! {
                <tr>
                    <th scope="row">{d.name.clone()} <span class="vf-table__cap">{gb(d.capacity_bytes)}</span></th>
                    <td>{layers}</td>
                    <td>{gib(d.weights_bytes)}</td>
                    <td>{gib(d.kv_bytes)}</td>
                    <td>{gib(d.compute_bytes)}</td>
                    <td>{gib(d.overhead_bytes)}</td>
                    <td>{if d.used() { gib(d.free_bytes()) } else { "unused".into() }}</td>
                    <td>{step}</td>
                </tr>
            }
        })
        .collect_view();
    let map = r
        .device_map
        .iter()
        .map(|(module, device)| view! { <li><code>{module.clone()}</code> " → " {device.clone()}</li> })
        .collect_view();
    let offload = r.offload.any().then(|| {
        view! {
            <p class="vf-note">
                {format!(
                    "On the CPU: {} layers, the experts of the first {} layers, {} of weights per GPU — {} in host memory.",
                    r.offload.cpu_layers,
                    r.offload.cpu_moe_layers,
                    gib(r.offload.cpu_weights_per_gpu),
                    gib(r.host_bytes)
                )}
            </p>
        }
    });
    view! {
        <div class="vf-scroll" tabindex="0" role="region" aria-label="Device map">
            <table class="vf-table" data-testid="device-table">
                <caption>{format!("Device map ({} split)", r.engine.label())}</caption>
                <thead>
                    <tr>
                        <th scope="col">"GPU"</th>
                        <th scope="col">"Layers"</th>
                        <th scope="col">"Weights"</th>
                        <th scope="col">"KV cache"</th>
                        <th scope="col">"Compute"</th>
                        <th scope="col">"Overhead"</th>
                        <th scope="col">"Free"</th>
                        <th scope="col" title="This GPU's share of one decode step">"Decode step"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        {offload}
        <details class="vf-map">
            <summary>"Full device map (module → device)"</summary>
            <ul class="vf-map__list">{map}</ul>
        </details>
    }
}

fn sweep_view(r: &Report) -> impl IntoView {
    let cells = r
        .sweep
        .iter()
        .map(|s| {
            let ctx = s.max_context.map_or("—".to_string(), grouped);
            let speed = s
                .decode_tokens_per_s_total
                .map_or("—".to_string(), |t| format!("{t:.0} tok/s"));
            view! { <tr><th scope="row">{s.batch}</th><td>{ctx}</td><td>{speed}</td></tr> }
        })
        .collect_view();
    view! {
        <div class="vf-scroll" tabindex="0" role="region" aria-label="Longest context and speed by sequences">
            <table class="vf-table vf-table--sweep" data-testid="sweep">
                <caption>"Longest context per sequence, by parallel sequences, and the decode speed of them all"</caption>
                <thead><tr><th scope="col">"Sequences"</th><th scope="col">"Longest context"</th><th scope="col">"Decode, all"</th></tr></thead>
                <tbody>{cells}</tbody>
            </table>
        </div>
    }
}

/// A copy button with feedback.
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
    /// Accessible name, e.g. "Copy the vLLM command".
    label: String,
    /// The button's text before copying.
    #[prop(default = "Copy")]
    caption: &'static str,
) -> impl IntoView {
    let (done, set_done) = signal(false);
    let copy_it = move |_| {
        let text = text.clone();
        leptos::task::spawn_local(async move {
            set_done.set(copy(&text).await);
        });
    };
    // The accessible name starts with the visible text (WCAG 2.5.3).
    let name = move || {
        if done.get() {
            label.replacen("Copy", "Copied", 1)
        } else {
            label.clone()
        }
    };
    view! {
        <button class="vf-button vf-button--copy" aria-label=name on:click=copy_it>
            {move || if done.get() { "Copied" } else { caption }}
        </button>
    }
}

fn commands_view(r: &Report) -> impl IntoView {
    r.commands
        .iter()
        .map(|(engine, command)| {
            let label = format!("Copy the {engine} command");
            view! {
                <div class="vf-command-block">
                    <div class="vf-command-block__head">
                        <h2 class="vf-subtitle">{engine.clone()}</h2>
                        <CopyButton text=command.clone() label=label />
                    </div>
                    <pre class="vf-command" data-testid="command"><code>{command.clone()}</code></pre>
                </div>
            }
        })
        .collect_view()
}

fn breakdown_view(r: &Report) -> impl IntoView {
    let p = &r.params;
    let mut runs: Vec<(usize, usize, u64)> = Vec::new();
    for (i, &count) in p.per_layer.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.2 == count => run.1 = i,
            _ => runs.push((i, i, count)),
        }
    }
    let layers = runs
        .into_iter()
        .map(|(a, b, count)| {
            let range = if a == b {
                format!("layer {a}")
            } else {
                format!("layers {a}–{b}")
            };
            view! { <li>{format!("{range}: {} each", grouped(count))}</li> }
        })
        .collect_view();
    let types = r
        .weights_by_type
        .iter()
        .map(|t| view! { <li>{format!("{} — {} tensors, {}", t.storage, t.tensors, gib(t.bytes))}</li> })
        .collect_view();
    view! {
        <details class="vf-breakdown" open>
            <summary>"Parameters and storage"</summary>
            <div class="vf-breakdown__cols">
                <ul data-testid="param-breakdown">
                    <li>{format!("total {}", grouped(p.total))}</li>
                    <li>{format!("active per token {}", grouped(p.active))}</li>
                    <li>{format!("token embeddings {}", grouped(p.embedding))}</li>
                    {layers}
                </ul>
                <ul data-testid="types">{types}</ul>
            </div>
        </details>
    }
}

fn export_view(r: &Report) -> impl IntoView {
    let json = serde_json::to_string_pretty(r).unwrap_or_default();
    let set_href = move |ev: leptos::ev::MouseEvent| {
        use wasm_bindgen::JsCast;
        if let Some(a) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlAnchorElement>().ok())
        {
            let encoded: String = js_sys::encode_uri_component(&json).into();
            a.set_href(&format!("data:application/json;charset=utf-8,{encoded}"));
        }
    };
    view! {
        <p class="vf-export">
            <a class="vf-button" href="#" download="vramfit-plan.json" on:click=set_href>"Export JSON"</a>
        </p>
    }
}
