//! The input form: GPUs, model, formats, context and sequences.

use leptos::prelude::*;

use crate::estimate::catalog::MODELS;
use crate::estimate::memory::Engine;
use crate::plan::{InputError, Report, Request};

/// The error for `field`, if the current request has one there.
fn field_error(
    result: Memo<Result<Report, InputError>>,
    field: &'static str,
) -> impl Fn() -> Option<String> {
    move || {
        result.with(|r| {
            r.as_ref()
                .err()
                .filter(|e| e.field() == field)
                .map(ToString::to_string)
        })
    }
}

/// A labelled text input bound to one request field, with its inline error.
#[component]
fn Field(
    /// Label text.
    label: &'static str,
    /// Request field name, also the input's id suffix.
    field: &'static str,
    /// A short hint under the input.
    hint: &'static str,
    /// The request being edited.
    request: RwSignal<Request>,
    /// The derived report, for inline errors.
    result: Memo<Result<Report, InputError>>,
    /// Reads this field from the request.
    get: fn(&Request) -> String,
    /// Writes this field into the request.
    set: fn(&mut Request, String),
) -> impl IntoView {
    let id = format!("vf-{field}");
    let error = field_error(result, field);
    let invalid = {
        let error = field_error(result, field);
        move || error().is_some()
    };
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <input
                id=id
                class="vf-field__input"
                type="text"
                autocomplete="off"
                aria-invalid=move || if invalid() { "true" } else { "false" }
                prop:value=move || request.with(get)
                on:input=move |ev| {
                    let value = event_target_value(&ev);
                    request.update(|r| set(r, value));
                }
            />
            <p class="vf-field__hint">{hint}</p>
            <p class="vf-field__error" role="alert">{error}</p>
        </div>
    }
}

/// A labelled select bound to one request field.
#[component]
fn Choice(
    /// Label text.
    label: &'static str,
    /// Request field name, also the select's id suffix.
    field: &'static str,
    /// `(value, text)` options; may change with other fields.
    #[prop(into)]
    options: Signal<Vec<(String, String)>>,
    /// The request being edited.
    request: RwSignal<Request>,
    /// The derived report, for inline errors.
    result: Memo<Result<Report, InputError>>,
    /// Reads this field from the request.
    get: fn(&Request) -> String,
    /// Writes this field into the request.
    set: fn(&mut Request, String),
) -> impl IntoView {
    let id = format!("vf-{field}");
    let error = field_error(result, field);
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <select
                id=id
                class="vf-field__input"
                prop:value=move || request.with(get)
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    request.update(|r| set(r, value));
                }
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = value.clone();
                            view! {
                                <option value=value selected=move || request.with(get) == selected>
                                    {text}
                                </option>
                            }
                        })
                        .collect_view()
                }}
            </select>
            <p class="vf-field__error" role="alert">{error}</p>
        </div>
    }
}

/// The engine the request names, or llama.cpp while it names none we know.
fn engine_of(request: &Request) -> Engine {
    request.engine.parse().unwrap_or(Engine::LlamaCpp)
}

/// The input panel.
#[component]
pub fn Inputs(
    /// The request being edited.
    request: RwSignal<Request>,
    /// The derived report, for inline errors.
    result: Memo<Result<Report, InputError>>,
) -> impl IntoView {
    let models: Vec<(String, String)> = MODELS
        .iter()
        .map(|m| (m.id.to_string(), m.name.to_string()))
        .collect();
    let engines: Vec<(String, String)> = Engine::ALL
        .iter()
        .map(|e| (e.id().to_string(), e.label().to_string()))
        .collect();
    let weights = Signal::derive(move || {
        let engine = request.with(engine_of);
        engine
            .weight_formats()
            .into_iter()
            .map(|f| (f.id(), f.label()))
            .collect::<Vec<_>>()
    });
    let kv_types = Signal::derive(move || {
        let engine = request.with(engine_of);
        engine
            .kv_types()
            .into_iter()
            .map(|k| (k.clone(), k))
            .collect::<Vec<_>>()
    });
    view! {
        <section class="vf-panel vf-inputs" aria-label="Inputs">
            <Field
                label="GPUs"
                field="gpus"
                hint="Sizes separated by commas; 2x24GB repeats. A bare number is GB (10⁹ bytes); write GiB for 2³⁰."
                request=request
                result=result
                get=|r| r.gpus.clone()
                set=|r, v| r.gpus = v
            />
            <Choice
                label="Model"
                field="model"
                options=models
                request=request
                result=result
                get=|r| r.model.clone()
                set=|r, v| r.model = v
            />
            <Choice
                label="Engine"
                field="engine"
                options=engines
                request=request
                result=result
                get=|r| r.engine.clone()
                set=|r, v| r.set_engine(&v)
            />
            <Choice
                label="Weights"
                field="weights"
                options=weights
                request=request
                result=result
                get=|r| r.weights.clone()
                set=|r, v| r.weights = v
            />
            <Choice
                label="KV cache"
                field="kv"
                options=kv_types
                request=request
                result=result
                get=|r| r.kv.clone()
                set=|r, v| r.kv = v
            />
            <Field
                label="Context (tokens per sequence)"
                field="ctx"
                hint="llama.cpp -c is this times the sequences."
                request=request
                result=result
                get=|r| r.ctx.clone()
                set=|r, v| r.ctx = v
            />
            <Field
                label="Parallel sequences"
                field="batch"
                hint="llama-server slots (-np), vLLM --max-num-seqs, or the batch size."
                request=request
                result=result
                get=|r| r.batch.clone()
                set=|r, v| r.batch = v
            />
        </section>
    }
}
