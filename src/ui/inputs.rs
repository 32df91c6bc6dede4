//! Labelled inputs bound to request fields, and the run settings panel.

use leptos::prelude::*;

use super::app::Calc;
use crate::estimate::memory::Engine;
use crate::estimate::WeightFormat;
use crate::plan::search::Objective;
use crate::report::Request;

/// A labelled text input bound to one request field, with its inline error.
#[component]
pub fn Field(
    /// Label text.
    label: &'static str,
    /// Request field name; the input's id is `vf-<field>`.
    field: &'static str,
    /// A short hint under the input.
    #[prop(optional)]
    hint: &'static str,
    /// `inputmode` for touch keyboards (`numeric` for counts).
    #[prop(optional)]
    inputmode: &'static str,
    /// Id of a `<datalist>` of suggestions.
    #[prop(optional)]
    list: &'static str,
    /// A Fine-tune field: bound to the training request, id `vf-t-<field>`.
    #[prop(optional)]
    train: bool,
) -> impl IntoView {
    let calc = expect_context::<Calc>();
    let id = if train {
        format!("vf-t-{field}")
    } else {
        format!("vf-{field}")
    };
    let hint_id = format!("{id}-hint");
    let error = calc.error(field);
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <input
                id=id
                class="vf-field__input"
                type="text"
                inputmode=(!inputmode.is_empty()).then_some(inputmode)
                list=(!list.is_empty()).then_some(list)
                autocomplete="off"
                spellcheck="false"
                aria-describedby=hint_id.clone()
                aria-invalid=move || if error().is_some() { "true" } else { "false" }
                prop:value=move || calc.value(train, field)
                on:input=move |ev| calc.set(train, field, event_target_value(&ev))
            />
            <p class="vf-field__hint" id=hint_id>{hint}</p>
            <p class="vf-field__error" role="alert">{error}</p>
        </div>
    }
}

/// A labelled select bound to one request field.
#[component]
pub fn Choice(
    /// Label text.
    label: &'static str,
    /// Request field name; the select's id is `vf-<field>`.
    field: &'static str,
    /// `(value, text)` options; may change with other fields.
    #[prop(into)]
    options: Signal<Vec<(String, String)>>,
    /// A Fine-tune field: bound to the training request, id `vf-t-<field>`.
    #[prop(optional)]
    train: bool,
) -> impl IntoView {
    let calc = expect_context::<Calc>();
    let id = if train {
        format!("vf-t-{field}")
    } else {
        format!("vf-{field}")
    };
    let error = calc.error(field);
    let current = move || calc.value(train, field);
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <select
                id=id
                class="vf-field__input"
                prop:value=current
                on:change=move |ev| {
                    let value = event_target_value(&ev);
                    if !train && field == "engine" {
                        calc.request.update(|r| r.set_engine(&value));
                    } else {
                        calc.set(train, field, value);
                    }
                }
            >
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(value, text)| {
                            let selected = value.clone();
                            view! {
                                <option value=value selected=move || current() == selected>
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
pub(super) fn engine_of(request: &Request) -> Engine {
    request.engine.parse().unwrap_or(Engine::LlamaCpp)
}

/// The Weights menu: the formats `engine` loads, with the request's own
/// text (`current`) as the value of the one it names, so a link's alias
/// (`awq`, `Q4_K_M`) shows selected. A format the engine does not load, text
/// that names none, or an empty field (not chosen: the format the model name
/// implies, else the engine's default) is listed too, so the menu always shows
/// what the plan was asked for; the inline error says what is wrong with it.
pub(super) fn weight_options(engine: Engine, current: &str) -> Vec<(String, String)> {
    let named = current.trim().parse::<WeightFormat>().ok();
    let mut options: Vec<(String, String)> = engine
        .weight_formats()
        .into_iter()
        .map(|f| {
            let value = if Some(f) == named {
                current.to_string()
            } else {
                f.id()
            };
            (value, f.label())
        })
        .collect();
    if !options.iter().any(|(value, _)| value == current) {
        let text = match named {
            Some(f) => f.label(),
            None if current.trim().is_empty() => {
                "not chosen: the model's own, else the engine's default".to_string()
            }
            None => current.to_string(),
        };
        options.insert(0, (current.to_string(), text));
    }
    options
}

/// Engine, formats, context, sequences, objective and the advanced knobs.
#[component]
pub fn Settings() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let request = calc.request;
    let engines: Vec<(String, String)> = Engine::ALL
        .iter()
        .map(|e| (e.id().to_string(), e.label().to_string()))
        .collect();
    let weights =
        Signal::derive(move || request.with(|r| weight_options(engine_of(r), &r.weights)));
    let kv_types = Signal::derive(move || {
        let engine = request.with(engine_of);
        engine
            .kv_types()
            .into_iter()
            .map(|k| (k.clone(), k))
            .collect::<Vec<_>>()
    });
    let objectives: Vec<(String, String)> = Objective::ALL
        .iter()
        .map(|o| (o.id().to_string(), o.label().to_string()))
        .collect();
    let offload_on =
        move || request.with(|r| matches!(r.offload.trim(), "on" | "yes" | "true" | "1"));
    view! {
        <fieldset class="vf-group">
            <legend class="vf-group__title">"Run"</legend>
            <Choice label="Engine" field="engine" options=engines />
            <Choice label="Weights" field="weights" options=weights />
            <Choice label="KV cache" field="kv" options=kv_types />
            <div class="vf-row">
                <Field label="Context (tokens per sequence)" field="ctx" inputmode="numeric" hint="Per sequence; llama.cpp's -c is this × sequences." />
                <Field label="Parallel sequences" field="batch" inputmode="numeric" hint="Slots (-np), --max-num-seqs or batch size." />
            </div>
            <div class="vf-row">
                <Field label="Micro-batch (tokens)" field="ubatch" inputmode="numeric" hint="llama.cpp's -ub; 512 by default. Compute buffers grow with it." />
                <Choice label="Flash attention" field="flash_attn" options=vec![("on".to_string(), "on".to_string()), ("off".to_string(), "off".to_string()), ("auto".to_string(), "auto".to_string())] />
            </div>
            <Show when=move || matches!(request.with(engine_of), Engine::LlamaCpp | Engine::Ollama)>
                <details class="vf-advanced" data-testid="llama-placement">
                    <summary>"llama.cpp: your own -ngl, -ts, split mode, backend"</summary>
                    <div class="vf-row">
                        <Field label="GPU layers (-ngl)" field="ngl" inputmode="numeric" hint="Layers on the GPUs, the output counted: layers + 1 (or all) offloads everything; the first ones stay on the CPU. Empty: searched." />
                        <Field label="Tensor split (-ts)" field="tensor_split" hint="Proportions per GPU, e.g. 3,1. Given, vramfit evaluates your split instead of searching one." />
                    </div>
                    <div class="vf-row">
                        <Choice label="Split mode (-sm)" field="split_mode" options=vec![(String::new(), "layer (default)".to_string()), ("row".to_string(), "row".to_string()), ("none".to_string(), "none: main GPU only".to_string())] />
                        <Field label="Main GPU (-mg)" field="main_gpu" inputmode="numeric" hint="The GPU for split mode none; 0 by default." />
                        <Field label="Experts on the CPU (--n-cpu-moe)" field="n_cpu_moe" inputmode="numeric" hint="Mixture-of-experts models: the first N layers' experts stay in host memory (all: --cpu-moe). Empty: searched when offload is on." />
                    </div>
                    <div class="vf-row">
                        <Choice label="Backend" field="backend" options=vec![(String::new(), "from the GPUs".to_string()), ("cuda".to_string(), "CUDA".to_string()), ("rocm".to_string(), "ROCm".to_string()), ("metal".to_string(), "Metal".to_string()), ("vulkan".to_string(), "Vulkan".to_string()), ("cpu".to_string(), "CPU".to_string())] />
                        <Choice label="Sliding-window cache" field="swa_full" options=vec![("off".to_string(), "window only (default)".to_string()), ("on".to_string(), "whole context: --swa-full".to_string())] />
                    </div>
                    <Field label="llama.cpp build" field="llama_cpp_build" hint="Whose buffers to follow, e.g. b4462 (older builds padded the cache to 32 cells and built a different graph); empty: the current release." />
                </details>
            </Show>
            <Field label="Images per request" field="images" inputmode="numeric" hint="Vision-language models: each image takes context tokens; 0 runs text-only (no --mmproj, --limit-mm-per-prompt image=0)." />
            <Choice label="Objective" field="objective" options=objectives />
            <Show when=move || request.with(engine_of) == Engine::Vllm>
                <details class="vf-advanced" data-testid="vllm-options">
                    <summary>"vLLM: utilisation, release, batched tokens, block size, TP"</summary>
                    <div class="vf-row">
                        <Field label="GPU memory utilisation" field="util" inputmode="decimal" hint="--gpu-memory-utilization; empty: 0.9, vLLM's default." />
                        <Field label="vLLM release" field="vllm_version" hint="Whose memory accounting to follow, e.g. 0.10.1; empty: the current one." />
                    </div>
                    <div class="vf-row">
                        <Field label="Max batched tokens" field="batched_tokens" inputmode="numeric" hint="--max-num-batched-tokens; empty: vLLM's default for the GPU." />
                        <Field label="Block size" field="block_size" inputmode="numeric" hint="--block-size; empty: 16 (64 for MLA on Hopper)." />
                    </div>
                    <div class="vf-row">
                        <Field label="Tensor parallel size" field="tp" inputmode="numeric" hint="--tensor-parallel-size; empty: the planner chooses." />
                        <Field label="Pipeline stages" field="pp" inputmode="numeric" hint="--pipeline-parallel-size: at most this many; empty: the planner chooses." />
                    </div>
                    <div class="vf-row">
                        <Choice label="CUDA graphs" field="eager" options=vec![("off".to_string(), "captured (default)".to_string()), ("on".to_string(), "off: --enforce-eager".to_string())] />
                    </div>
                </details>
            </Show>
            <details class="vf-advanced">
                <summary>"Advanced: offload, host RAM, reserve, overhead"</summary>
                <div class="vf-field vf-field--check">
                    <input
                        id="vf-offload"
                        type="checkbox"
                        prop:checked=offload_on
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            request.update(|r| r.offload = if on { "on" } else { "off" }.into());
                        }
                    />
                    <label for="vf-offload">"Allow CPU offload when the GPUs are not enough"</label>
                </div>
                <Field label="Host RAM" field="host_ram" hint="For offload, e.g. 64GB. Empty: not checked." />
                <Field label="Host memory bandwidth (GB/s)" field="host_bw" inputmode="decimal" hint="For the speed of what is offloaded. Empty: dual-channel DDR5-5600 (89.6), or a Mac's unified memory. DDR4-3200 ×2: 51.2; 8-channel DDR5-4800: 307." />
                <Field label="Reserve per GPU" field="reserve" hint="Kept free on every GPU (desktop, other programs), e.g. 1.5GB." />
                <Field label="Runtime overhead per GPU" field="overhead" hint="CUDA context and allocator slack; empty: 651MiB for PyTorch engines (measured on an H200), 500MiB for llama.cpp." />
            </details>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn selected(engine: Engine, current: &str) -> Option<String> {
        weight_options(engine, current)
            .into_iter()
            .find(|(value, _)| value == current)
            .map(|(_, text)| text)
    }

    #[test]
    fn the_weights_menu_always_holds_the_value_it_is_given() {
        let vllm = weight_options(Engine::Vllm, "awq");
        assert_eq!(vllm.len(), Engine::Vllm.weight_formats().len());
        expect_test::expect![[r#"
            [
                Some(
                    "AWQ 4-bit, group 128",
                ),
                Some(
                    "BF16",
                ),
                Some(
                    "GGUF Q4_K_M",
                ),
                Some(
                    "not chosen: the model's own, else the engine's default",
                ),
                Some(
                    "bananas",
                ),
            ]
        "#]]
        .assert_debug_eq(&[
            selected(Engine::Vllm, "awq"),
            selected(Engine::Vllm, "bf16"),
            selected(Engine::Vllm, "q4_k_m"),
            selected(Engine::LlamaCpp, ""),
            selected(Engine::LlamaCpp, "bananas"),
        ]);
    }
}
