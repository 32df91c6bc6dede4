//! The input form: GPUs, model, formats, context and sequences.

use leptos::prelude::*;

use crate::estimate::catalog::MODELS;
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
    /// `(value, text)` options.
    options: Vec<(&'static str, String)>,
    /// The request being edited.
    request: RwSignal<Request>,
    /// Reads this field from the request.
    get: fn(&Request) -> String,
    /// Writes this field into the request.
    set: fn(&mut Request, String),
) -> impl IntoView {
    let id = format!("vf-{field}");
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
                {options
                    .into_iter()
                    .map(|(value, text)| {
                        view! {
                            <option value=value selected=move || request.with(get) == value>
                                {text}
                            </option>
                        }
                    })
                    .collect_view()}
            </select>
        </div>
    }
}

const WEIGHT_FORMATS: [(&str, &str); 7] = [
    ("f16", "F16 (GGUF)"),
    ("q8_0", "Q8_0 (GGUF)"),
    ("q5_1", "Q5_1 (GGUF)"),
    ("q5_0", "Q5_0 (GGUF)"),
    ("q4_1", "Q4_1 (GGUF)"),
    ("q4_0", "Q4_0 (GGUF)"),
    ("f32", "F32 (GGUF)"),
];

const KV_TYPES: [(&str, &str); 6] = [
    ("f16", "f16"),
    ("q8_0", "q8_0"),
    ("q5_1", "q5_1"),
    ("q5_0", "q5_0"),
    ("q4_0", "q4_0"),
    ("f32", "f32"),
];

/// The input panel.
#[component]
pub fn Inputs(
    /// The request being edited.
    request: RwSignal<Request>,
    /// The derived report, for inline errors.
    result: Memo<Result<Report, InputError>>,
) -> impl IntoView {
    let models = MODELS.iter().map(|m| (m.id, m.name.to_string())).collect();
    let pairs = |list: &[(&'static str, &'static str)]| {
        list.iter().map(|(v, t)| (*v, t.to_string())).collect()
    };
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
                get=|r| r.model.clone()
                set=|r, v| r.model = v
            />
            <Choice
                label="Weights"
                field="weights"
                options=pairs(&WEIGHT_FORMATS)
                request=request
                get=|r| r.weights.clone()
                set=|r, v| r.weights = v
            />
            <Choice
                label="KV cache"
                field="kv"
                options=pairs(&KV_TYPES)
                request=request
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
                hint="llama-server slots (-np)."
                request=request
                result=result
                get=|r| r.batch.clone()
                set=|r, v| r.batch = v
            />
        </section>
    }
}
