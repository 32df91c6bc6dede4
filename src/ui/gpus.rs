//! The GPU list editor — rows of `count × card or size`, memory already
//! used, machine — and the WebGPU hint. The rows are a view of the request's
//! GPU text ([`gpu_rows`] / [`rows_text`]), which stays the one state.

use leptos::prelude::*;

use super::app::Calc;
use crate::plan::device::{gpu_rows, rows_text, GpuRow};
use crate::plan::gpus::{cards, matching_cards};
use crate::units::gib;
use crate::web::webgpu::{probe, Probe};

/// Applies `change` to the editor rows and writes them back as text.
fn edit(calc: Calc, change: impl FnOnce(&mut Vec<GpuRow>)) {
    calc.request.update(|r| {
        let mut rows = gpu_rows(&r.gpus);
        change(&mut rows);
        r.gpus = rows_text(&rows);
    });
}

/// One editor row.
#[component]
fn Row(
    /// Row index in the editor.
    index: usize,
) -> impl IntoView {
    let calc = expect_context::<Calc>();
    let get = move |f: fn(&GpuRow) -> String| {
        move || {
            calc.request
                .with(|r| gpu_rows(&r.gpus).get(index).map(f).unwrap_or_default())
        }
    };
    let set = move |f: fn(&mut GpuRow, String)| {
        move |ev: leptos::ev::Event| {
            let value = event_target_value(&ev);
            edit(calc, |rows| {
                if let Some(row) = rows.get_mut(index) {
                    f(row, value);
                }
            });
        }
    };
    let n = index + 1;
    view! {
        <li class="vf-gpu">
            <input class="vf-field__input vf-gpu__count" type="number" min="1" max="64" inputmode="numeric"
                aria-label=format!("GPU row {n}: count")
                prop:value=get(|r| r.count.clone()) on:input=set(|r, v| r.count = v) />
            <span class="vf-gpu__times" aria-hidden="true">"×"</span>
            <input class="vf-field__input vf-gpu__device" type="text" list="vf-cards" autocomplete="off" spellcheck="false"
                aria-label=format!("GPU row {n}: card name or size (24GB, 80GiB)")
                prop:value=get(|r| r.device.clone()) on:input=set(|r, v| r.device = v) />
            <input class="vf-field__input vf-gpu__used" type="text" placeholder="used" autocomplete="off"
                aria-label=format!("GPU row {n}: memory already used")
                prop:value=get(|r| r.used.clone()) on:input=set(|r, v| r.used = v) />
            <input class="vf-field__input vf-gpu__node" type="number" min="1" max="64"
                aria-label=format!("GPU row {n}: machine")
                prop:value=get(|r| (r.node + 1).to_string())
                on:input=set(|r, v| r.node = v.trim().parse::<usize>().unwrap_or(1).clamp(1, 64) - 1) />
            <button class="vf-button vf-button--icon" title="Duplicate" aria-label=format!("Duplicate GPU row {n}")
                on:click=move |_| edit(calc, |rows| {
                    if let Some(row) = rows.get(index).cloned() {
                        rows.insert(index + 1, row);
                    }
                })>"+"</button>
            <button class="vf-button vf-button--icon" title="Remove" aria-label=format!("Remove GPU row {n}")
                on:click=move |_| edit(calc, |rows| {
                    if index < rows.len() {
                        rows.remove(index);
                    }
                })>"✕"</button>
        </li>
    }
}

/// The GPU list editor.
#[component]
pub fn GpuEditor() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let count = Memo::new(move |_| calc.request.with(|r| gpu_rows(&r.gpus).len()));
    let error = calc.error("gpus");
    let options = cards()
        .iter()
        .map(|c| view! { <option value=c.id.clone()>{format!("{} — {}", c.name, c.memory)}</option> })
        .collect_view();
    view! {
        <fieldset class="vf-group">
            <legend class="vf-group__title">"GPUs"</legend>
            <p class="vf-field__hint" id="vf-gpus-hint">
                "Count × a card (type to search) or a size: 24GB or 24GiB — a bare number is GB (10⁹ bytes). "
                "“Used” is memory already taken; “machine” groups GPUs per node."
            </p>
            <div class="vf-gpu vf-gpu--head" aria-hidden="true">
                <span class="vf-gpu__count">"#"</span><span class="vf-gpu__times"></span>
                <span class="vf-gpu__device">"Card or size"</span><span class="vf-gpu__used">"Used"</span>
                <span class="vf-gpu__node">"Machine"</span>
            </div>
            <ol class="vf-gpus" id="vf-gpus" aria-describedby="vf-gpus-hint">
                <For each=move || 0..count.get() key=|i| *i children=move |index| view! { <Row index=index /> } />
            </ol>
            <datalist id="vf-cards">{options}</datalist>
            <p class="vf-field__error" role="alert" data-testid="gpus-error">{error}</p>
            <div class="vf-actions">
                <button class="vf-button" on:click=move |_| edit(calc, |rows| {
                    let node = rows.last().map_or(0, |r| r.node);
                    rows.push(GpuRow { node, ..GpuRow::default() });
                })>"Add GPU"</button>
                <button class="vf-button" on:click=move |_| edit(calc, |rows| {
                    let node = rows.iter().map(|r| r.node + 1).max().unwrap_or(0);
                    rows.push(GpuRow { node, ..GpuRow::default() });
                })>"Add machine"</button>
                <WebGpuHint />
            </div>
        </fieldset>
    }
}

/// Asks the browser which GPU it has, and offers the matching catalog cards.
#[component]
fn WebGpuHint() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let (found, set_found) = signal(None::<Probe>);
    let (busy, set_busy) = signal(false);
    let ask = move |_| {
        set_busy.set(true);
        leptos::task::spawn_local(async move {
            let p = probe().await;
            set_found.set(Some(p));
            set_busy.set(false);
        });
    };
    let use_card = move |id: String| {
        edit(calc, |rows| {
            rows.push(GpuRow {
                device: id,
                ..GpuRow::default()
            })
        })
    };
    let details = move || {
        found.get().map(|p| match p {
            Probe::NoWebGpu => view! {
                <p data-testid="webgpu">"This browser has no WebGPU (navigator.gpu is missing), so it cannot tell which GPU you have. Enter it by hand."</p>
            }
            .into_any(),
            Probe::NoAdapter => view! {
                <p data-testid="webgpu">"WebGPU is available but the browser offered no GPU adapter (hardware acceleration off, a blocklisted driver, or no GPU). Enter your GPU by hand."</p>
            }
            .into_any(),
            Probe::Adapters(adapters) => {
                let items = adapters
                    .into_iter()
                    .map(|a| {
                        let matches = matching_cards(&a.vendor, &a.architecture, &a.description);
                        let fallback = a.is_fallback.then(|| {
                            view! { <p class="vf-warn">"This is a fallback (software) adapter, not your GPU — it says nothing about your hardware."</p> }
                        });
                        let buttons = (!a.is_fallback).then(|| {
                            matches
                                .into_iter()
                                .take(12)
                                .map(|c| {
                                    let id = c.id.clone();
                                    view! {
                                        <button class="vf-button vf-button--chip" on:click=move |_| use_card(id.clone())>
                                            {format!("{} ({})", c.name, c.memory)}
                                        </button>
                                    }
                                })
                                .collect_view()
                        });
                        view! {
                            <li>
                                <strong>{format!("{} adapter: ", a.power_preference)}</strong>
                                {format!(
                                    "vendor “{}”, architecture “{}”, description “{}”, max buffer {}",
                                    a.vendor, a.architecture, a.description, gib(a.max_buffer_size as u64)
                                )}
                                {fallback}
                                <div class="vf-chips">{buttons}</div>
                            </li>
                        }
                    })
                    .collect_view();
                view! {
                    <div data-testid="webgpu">
                        <p>"Browsers never reveal how much memory a GPU has: confirm the card below, or type yours."</p>
                        <ul class="vf-webgpu">{items}</ul>
                    </div>
                }
                .into_any()
            }
        })
    };
    view! {
        <button class="vf-button" on:click=ask disabled=busy>"Detect with WebGPU"</button>
        <div class="vf-webgpu-result" aria-live="polite">{details}</div>
    }
}
