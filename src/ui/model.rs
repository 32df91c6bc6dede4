//! Choosing the model: search the catalog, paste a `config.json`, or drop a
//! file (a `config.json` is read; GGUF — with its vision projector — and
//! safetensors files by their headers).

use leptos::prelude::*;

use super::app::Calc;
use super::inputs::Field;
use crate::estimate::catalog::{find, MODELS};
use crate::estimate::memory::Engine;
use crate::report::{report, Report, Request};
use crate::web::files::{files_of, Current, Dropped};

/// The line under the picker: the model's name and parameters, from the
/// request's report (`planned`), or — while another field (a link's context,
/// GPUs, weights) is wrong — from the report with those fields at their
/// defaults for the engine: the model line never waits for the plan.
/// `None` while the model itself is wrong.
fn model_line(request: &Request, planned: Option<&Report>) -> Option<String> {
    let line = |r: &Report| {
        let p = &r.params;
        let active =
            (p.active != p.total).then(|| format!(", {} active", crate::units::params(p.active)));
        format!(
            "{}: {} parameters{}",
            r.model,
            crate::units::params(p.total),
            active.unwrap_or_default()
        )
    };
    if let Some(r) = planned {
        return Some(line(r));
    }
    let mut probe = request.clone();
    let mut defaults = Request::default();
    defaults.set_engine(&request.engine);
    let mut reset: Vec<&str> = Vec::new();
    loop {
        match report(&probe) {
            Ok(r) => return Some(line(&r)),
            Err(e) => {
                let field = e.field();
                if matches!(field, "model" | "config") || reset.contains(&field) {
                    return None;
                }
                probe.set(field, defaults.get(field).unwrap_or_default().to_string());
                reset.push(field);
            }
        }
    }
}

/// Model search, pasted config and the drop zone.
#[component]
pub fn ModelPicker() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let request = calc.request;
    let config_error = calc.error("config");
    let (message, set_message) = signal(String::new());
    // The suggestions read every catalog config (about 200 of them) for
    // their size and context: filled just after the first render, which
    // does not show them, rather than before it.
    let (suggest, set_suggest) = signal(false);
    request_animation_frame(move || {
        set_timeout(move || set_suggest.set(true), std::time::Duration::ZERO)
    });
    let options = move || {
        suggest.get().then(|| {
            MODELS
                .iter()
                .map(|m| {
                    let facts = m.load().ok().map(|i| {
                        let p = i.spec.params();
                        format!(" · {} · {}k context", crate::units::params(p.total), i.spec.n_ctx_train / 1024)
                    });
                    view! { <option value=m.id>{format!("{} · {}{}", m.name, m.family, facts.unwrap_or_default())}</option> }
                })
                .collect_view()
        })
    };
    let summary = Memo::new(move |_| {
        calc.result
            .with(|planned| request.with(|r| model_line(r, planned.as_ref().ok())))
    });
    let take_files = move |ev: leptos::ev::Event| {
        ev.prevent_default();
        let files = files_of(&ev);
        if files.is_empty() {
            return;
        }
        // The architecture for safetensors dropped without a config.json:
        // the pasted config, else the catalog model's. A projector dropped
        // alone joins the imported model.
        let current = request.with(|r| Current {
            architecture: if !r.config.trim().is_empty() && !r.config.contains("vramfit_import") {
                r.config.clone()
            } else {
                find(&r.model)
                    .map(|m| m.config.to_string())
                    .unwrap_or_default()
            },
            config: r.config.clone(),
        });
        set_message.set("Reading headers…".into());
        // The worker module reads the files (their headers only).
        crate::web::worker::read_drop(files, &current, move |answer| {
            let dropped = answer
                .and_then(|v| serde_json::from_value::<Dropped>(v).map_err(|e| e.to_string()))
                .unwrap_or_else(|e| Dropped::Nothing(format!("could not read the files: {e}")));
            match dropped {
                Dropped::Config(text) => {
                    request.update(|r| r.config = text);
                    set_message.set("Read config.json: the plan now uses it.".into());
                }
                Dropped::Model {
                    document,
                    weights,
                    gguf,
                    bytes_read,
                    summary,
                } => {
                    request.update(|r| {
                        r.config = document;
                        let engine = r.engine.parse::<Engine>().unwrap_or(Engine::LlamaCpp);
                        if gguf && !engine.is_llama_cpp() {
                            r.set_engine("llama.cpp");
                        } else if !gguf && matches!(engine, Engine::LlamaCpp | Engine::Ollama) {
                            r.set_engine("vllm");
                        }
                        if let Some(w) = weights {
                            r.weights = w;
                        }
                    });
                    set_message.set(format!(
                        "Read {} KB of headers ({summary}): the plan uses the file's exact sizes.",
                        bytes_read.div_ceil(1024)
                    ));
                }
                Dropped::Nothing(why) => set_message.set(why),
            }
        });
    };
    let has_config = move || request.with(|r| !r.config.trim().is_empty());
    view! {
        <fieldset class="vf-group">
            <legend class="vf-group__title">"Model"</legend>
            <Field label="Catalog model (type to search)" field="model" list="vf-models" hint="An id or a Hugging Face name, e.g. qwen3-8b or meta-llama/Llama-3.1-8B." />
            <datalist id="vf-models">{options}</datalist>
            <p class="vf-model-summary" data-testid="model-summary">{summary}</p>
            <div class="vf-field">
                <label class="vf-field__label" for="vf-config">"…or paste a config.json"</label>
                <textarea
                    id="vf-config"
                    class="vf-field__input vf-config"
                    rows="3"
                    spellcheck="false"
                    placeholder="{\"model_type\": \"llama\", \"hidden_size\": 4096, …}"
                    aria-invalid=move || if config_error().is_some() { "true" } else { "false" }
                    prop:value=move || request.with(|r| r.config.clone())
                    on:input=move |ev| {
                        let value = event_target_value(&ev);
                        request.update(|r| r.config = value);
                    }
                ></textarea>
                <p class="vf-field__error" role="alert">{config_error}</p>
                <Show when=has_config>
                    <button class="vf-button vf-button--quiet" on:click=move |_| request.update(|r| r.config.clear())>
                        "Use the catalog model instead"
                    </button>
                </Show>
            </div>
            <label
                class="vf-drop"
                on:dragover=move |ev: leptos::ev::DragEvent| ev.prevent_default()
                on:drop=move |ev: leptos::ev::DragEvent| take_files(ev.into())
            >
                <input class="vf-drop__input" type="file" accept=".json,.gguf,.safetensors" multiple data-testid="file-input"
                    on:change=take_files />
                <span>"Drop a config.json, .gguf (with its mmproj-*.gguf for images) or .safetensors file here, or choose one"</span>
            </label>
            <p class="vf-field__hint" role="status">{message}</p>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(query: &str) -> Option<String> {
        let request = crate::web::link::decode(query).request;
        let planned = report(&request).ok();
        model_line(&request, planned.as_ref())
    }

    #[test]
    fn the_model_line_shows_whenever_the_model_itself_is_valid() {
        expect_test::expect![[r#"
            [
                Some(
                    "Llama 3.1 8B: 8.03B parameters",
                ),
                Some(
                    "Llama 3.1 70B: 70.55B parameters",
                ),
                Some(
                    "Qwen3 30B-A3B: 30.53B parameters, 3.35B active",
                ),
                None,
            ]
        "#]]
        .assert_debug_eq(&[
            line("v=1"),
            line("v=1&m=llama-3.1-70b&g=1x24GB&e=vllm&w=q4_k_m&c=oops"),
            line("v=1&m=qwen3-30b-a3b&g=nonsense"),
            line("v=1&m=no-such-model&c=oops"),
        ]);
    }
}
