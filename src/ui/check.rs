//! "Check my setup": paste or drop a command line, a load log or
//! `nvidia-smi`; the form takes what it says, and for a log the results
//! set its buffers beside vramfit's — for the setup as edited since, so
//! every change is a what-if against what the engine really did.

use leptos::prelude::*;

use super::app::Calc;
use crate::report::check::{compare, Check, Kind};
use crate::units::mib;
use crate::web::files::{files_of, read_log};

/// The last text read, shared with the results' comparison table.
#[derive(Clone, Copy)]
pub struct Checked(pub RwSignal<Option<Check>>);

/// The paste box and drop zone.
#[component]
pub fn CheckSetup() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let checked = expect_context::<Checked>().0;
    let (text, set_text) = signal(String::new());
    let (error, set_error) = signal(String::new());
    // The readers run in the worker module (loaded on the first paste):
    // the text goes there with the form's request and comes back as the
    // check, which the form then takes.
    let read = move |pasted: String| {
        if pasted.trim().is_empty() {
            return;
        }
        let base = calc.request.get_untracked();
        let message = serde_json::json!({"text": pasted, "base": base, "model_given": false});
        crate::web::worker::call("read", message, move |answer| {
            let read =
                answer.and_then(|v| serde_json::from_value::<Check>(v).map_err(|e| e.to_string()));
            match read {
                Ok(c) => {
                    calc.request.set(c.request.clone());
                    checked.set(Some(c));
                    set_error.set(String::new());
                }
                Err(e) => set_error.set(format!("could not read it: {e}")),
            }
        });
    };
    let take_files = move |ev: web_sys::Event| {
        ev.prevent_default();
        let files = files_of(&ev);
        let Some(file) = files.into_iter().next() else {
            return;
        };
        leptos::task::spawn_local(async move {
            match read_log(&file).await {
                Ok(t) => {
                    set_text.set(t.clone());
                    read(t);
                }
                Err(e) => set_error.set(e),
            }
        });
    };
    let summary = move || {
        checked.with(|c| {
            c.as_ref().map(|c| {
                let kind = match c.kind {
                    Kind::LlamaLog => "a llama.cpp / Ollama load log",
                    Kind::VllmLog => "a vLLM startup log",
                    Kind::Inventory => "a GPU inventory",
                    Kind::Command => "a command line",
                    Kind::TorchOom => "PyTorch's out-of-memory message",
                };
                view! {
                    <p class="vf-field__hint" data-testid="check-kind">{format!("Read as {kind}; the form now holds what it says.")}</p>
                    <ul class="vf-check__notes">
                        {c.notes.iter().map(|n| view! { <li>{n.clone()}</li> }).collect_view()}
                    </ul>
                }
            })
        })
    };
    view! {
        <details class="vf-advanced vf-check" data-testid="check">
            <summary>"Check my setup: paste a command, a load log or nvidia-smi"</summary>
            <textarea
                class="vf-field__input vf-check__text"
                spellcheck="false"
                data-testid="check-text"
                rows="6"
                placeholder="llama-server -m …  |  a llama.cpp, Ollama or vLLM log  |  nvidia-smi"
                prop:value=text
                on:input=move |ev| set_text.set(event_target_value(&ev))
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| take_files(ev.into())
            ></textarea>
            <div class="vf-row">
                <button class="vf-button" data-testid="check-read" on:click=move |_| read(text.get_untracked())>"Read it"</button>
                <input type="file" data-testid="check-file" aria-label="A log file" on:change=take_files />
            </div>
            <Show when=move || !error.get().is_empty()>
                <p class="vf-field__error" role="alert">{move || error.get()}</p>
            </Show>
            {summary}
            <p class="vf-field__hint">"Nothing you paste leaves this page."</p>
        </details>
    }
}

/// A log's buffers beside vramfit's, for the setup as it is now.
#[component]
pub fn LoggedTable() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let checked = expect_context::<Checked>().0;
    move || {
        let logged = checked.with(|c| c.as_ref().and_then(|c| c.logged.clone()))?;
        let rows = calc
            .shown
            .with(|r| r.as_ref().map(|r| compare(r, &logged)))?;
        // A log that does not say its model compares with nothing until
        // the person picks one.
        let comparable = checked.with(|c| {
            c.as_ref().is_some_and(|c| {
                c.model_known
                    || calc
                        .request
                        .with(|r| (&r.model, &r.config) != (&c.request.model, &c.request.config))
            })
        });
        let what_if = checked
            .with(|c| c.as_ref().and_then(|c| c.what_if.clone()))
            .map(|w| {
                view! { <p class="vf-note" data-testid="what-if">{w.sentence()}</p> }
            });
        let has_rows = !rows.is_empty();
        (has_rows || what_if.is_some()).then(|| {
            view! {
                <section class="vf-logged" data-testid="logged-table">
                    <h2 class="vf-subtitle">"Logged vs vramfit"</h2>
                    <Show when=move || !comparable>
                        <p class="vf-note" data-testid="choose-model">"The log does not say which model it loaded: choose it in the form and vramfit's figures appear beside the logged ones."</p>
                    </Show>
                    <table class="vf-table" hidden=!has_rows>
                        <thead><tr><th>"Device"</th><th>"Buffer"</th><th>"Logged"</th><th>"vramfit"</th><th>"Difference"</th></tr></thead>
                        <tbody>
                            {rows.into_iter().map(|r| {
                                let tokens = r.buffer == "kv_cache_tokens";
                                let show = move |b: u64| if tokens { format!("{b} tokens") } else { mib(b) };
                                let ours = if comparable { show(r.predicted_bytes) } else { "—".to_string() };
                                let diff = if !comparable {
                                    "—".to_string()
                                } else if tokens {
                                    format!("{:+}", r.diff_bytes())
                                } else {
                                    format!("{:+.2} MiB", r.diff_bytes() as f64 / 1048576.0)
                                };
                                view! {
                                    <tr>
                                        <td>{r.device.clone()}</td>
                                        <td>{r.buffer}</td>
                                        <td>{show(r.logged_bytes)}</td>
                                        <td>{ours}</td>
                                        <td>{diff}</td>
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                    {what_if}
                    <p class="vf-field__hint">"Edit the form for what-ifs: the vramfit column follows, the logged one stays."</p>
                </section>
            }
        })
    }
}
