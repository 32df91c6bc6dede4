//! Fine-tune mode: the Run | Fine-tune switch, the training settings and
//! the training report — verdict, limits, memory per GPU, notes and launch
//! configs. The model and GPUs are the Run view's pickers; every number
//! comes from [`TrainReport`].

use leptos::prelude::*;

use super::app::Calc;
use super::inputs::{Choice, Field};
use super::results::CopyButton;
use crate::report::train::TrainReport;
use crate::train::Method;
use crate::units::{gb, gib, grouped, params};
use crate::web::link::Mode;

/// One training input: a select when it has choices, else typed text.
struct Input {
    label: &'static str,
    field: &'static str,
    choices: &'static [(&'static str, &'static str)],
    hint: &'static str,
    numeric: bool,
    /// Only LoRA and QLoRA use it (hidden for full fine-tuning).
    lora: bool,
}

const fn typed(label: &'static str, field: &'static str, hint: &'static str) -> Input {
    Input {
        label,
        field,
        choices: &[],
        hint,
        numeric: false,
        lora: false,
    }
}

const fn count(label: &'static str, field: &'static str, hint: &'static str) -> Input {
    Input {
        numeric: true,
        ..typed(label, field, hint)
    }
}

const fn pick(
    label: &'static str,
    field: &'static str,
    choices: &'static [(&'static str, &'static str)],
) -> Input {
    Input {
        choices,
        ..typed(label, field, "")
    }
}

const ON_OFF: &[(&str, &str)] = &[("on", "on"), ("off", "off")];

/// `Optimizer::ALL` by name (a test keeps them equal).
const OPTIMIZERS: &[(&str, &str)] = &[
    ("adamw", "adamw"),
    ("adamw-8bit", "adamw-8bit"),
    ("paged-adamw", "paged-adamw"),
    ("paged-adamw-8bit", "paged-adamw-8bit"),
    ("adafactor", "adafactor"),
    ("sgd", "sgd"),
    ("sgd-momentum", "sgd-momentum"),
    ("lion", "lion"),
    ("lion-8bit", "lion-8bit"),
];

/// The form, in order: method and LoRA's shape, then the memory's knobs.
const INPUTS: &[Input] = &[
    pick(
        "Method",
        "method",
        &[
            ("full", "full fine-tuning"),
            ("lora", "LoRA"),
            ("qlora", "QLoRA (4-bit base)"),
        ],
    ),
    Input {
        lora: true,
        ..typed(
            "LoRA targets",
            "lora_targets",
            "all-linear, or module names: q_proj,v_proj",
        )
    },
    Input {
        lora: true,
        ..count("LoRA rank", "lora_rank", "")
    },
    Input {
        lora: true,
        ..count("LoRA alpha", "lora_alpha", "")
    },
    Input {
        lora: true,
        ..typed(
            "LoRA dropout",
            "lora_dropout",
            "peft's default 0; with 0.05 each adapter keeps its dropped input.",
        )
    },
    pick("Optimizer", "optimizer", OPTIMIZERS),
    pick(
        "Precision",
        "precision",
        &[
            ("fp32", "fp32"),
            ("amp-bf16", "bf16 mixed (AMP)"),
            ("amp-fp16", "fp16 mixed (AMP)"),
            ("bf16", "pure bf16"),
        ],
    ),
    count("Micro-batch (sequences per GPU)", "micro_batch", ""),
    count("Sequence length (tokens)", "seq", ""),
    pick("Gradient checkpointing", "grad_checkpointing", ON_OFF),
    pick(
        "Attention",
        "attn",
        &[("sdpa", "SDPA / FlashAttention"), ("eager", "eager")],
    ),
    pick(
        "DeepSpeed ZeRO",
        "zero",
        &[
            ("", "none"),
            ("1", "stage 1"),
            ("2", "stage 2"),
            ("3", "stage 3"),
        ],
    ),
    pick(
        "FSDP",
        "fsdp",
        &[
            ("", "none"),
            ("full", "full shard"),
            ("hybrid", "hybrid shard"),
        ],
    ),
    pick(
        "Offload to the CPU",
        "offload",
        &[
            ("none", "none"),
            ("optimizer", "optimizer states"),
            ("params", "optimizer + parameters"),
        ],
    ),
    count(
        "Loss chunks",
        "loss_chunks",
        "Cross-entropy in this many chunks.",
    ),
];

/// Behind "Advanced".
const ADVANCED: &[Input] = &[
    Input {
        lora: true,
        ..pick(
            "Adapter dtype",
            "lora_dtype",
            &[
                ("", "from the precision"),
                ("fp32", "fp32"),
                ("bf16", "bf16"),
            ],
        )
    },
    pick("Activations in host memory", "activation_offload", ON_OFF),
    pick("Freeze embeddings", "freeze_embeddings", ON_OFF),
    pick("Freeze the vision tower", "freeze_vision", ON_OFF),
    Input {
        lora: true,
        ..pick("QLoRA double quant", "double_quant", ON_OFF)
    },
    Input {
        lora: true,
        ..pick("QLoRA kbit prepare", "kbit_prepare", ON_OFF)
    },
    Input {
        lora: true,
        ..typed(
            "bitsandbytes release",
            "bitsandbytes",
            "Before 0.43.2 its 4-bit layers kept their inputs.",
        )
    },
    typed(
        "Overhead per GPU",
        "overhead",
        "CUDA context and allocator slack.",
    ),
];

/// `inputs` as fields in a two-column grid; the LoRA ones hidden unless
/// `lora()`. One loop instead of one view per field keeps the page small.
fn inputs_view(inputs: &'static [Input], lora: Signal<bool>) -> impl IntoView {
    let cells = inputs
        .iter()
        .map(|i| {
            let control = if i.choices.is_empty() {
                let inputmode = if i.numeric { "numeric" } else { "" };
                view! { <Field label=i.label field=i.field hint=i.hint inputmode=inputmode train=true /> }.into_any()
            } else {
                let options: Vec<(String, String)> = i
                    .choices
                    .iter()
                    .map(|(v, t)| (v.to_string(), t.to_string()))
                    .collect();
                view! { <Choice label=i.label field=i.field options=options train=true /> }.into_any()
            };
            let only_lora = i.lora;
            view! { <div hidden=move || only_lora && !lora.get()>{control}</div> }
        })
        .collect_view();
    view! { <div class="vf-row">{cells}</div> }
}

/// "Run | Fine-tune": which question the page answers.
#[component]
pub fn ModeSwitch() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let button = move |mode: Mode, text: &'static str| {
        view! {
            <button
                class="vf-button vf-modes__button"
                aria-pressed=move || (calc.mode.get() == mode).to_string()
                on:click=move |_| calc.mode.set(mode)
            >
                {text}
            </button>
        }
    };
    view! {
        <nav class="vf-modes" aria-label="Mode">
            {button(Mode::Run, "Run")}
            {button(Mode::Train, "Fine-tune")}
            {button(Mode::Fit, "What runs here")}
            {button(Mode::Buy, "What to buy")}
            {button(Mode::Compare, "Compare")}
        </nav>
    }
}

/// Method, LoRA shape, optimizer, precision, batch, sequence, memory savers
/// and sharding.
#[component]
pub fn TrainSettings() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let lora = Signal::derive(move || {
        !calc
            .value(true, "method")
            .trim()
            .eq_ignore_ascii_case("full")
    });
    view! {
        <fieldset class="vf-group" data-testid="train-settings">
            <legend class="vf-group__title">"Fine-tune"</legend>
            {inputs_view(INPUTS, lora)}
            <details class="vf-advanced">
                <summary>"Advanced: adapter dtype, offloaded activations, frozen embeddings, QLoRA, overhead"</summary>
                {inputs_view(ADVANCED, lora)}
            </details>
        </fieldset>
    }
}

/// The training report, or the last valid one (dimmed) while an input is
/// being fixed.
#[component]
pub fn TrainResults() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let shown = Memo::new(
        move |previous: Option<&Option<TrainReport>>| match calc.trained.get() {
            Ok(r) => Some(r),
            Err(_) => previous.cloned().flatten(),
        },
    );
    let stale = move || calc.trained.with(|r| r.is_err());
    let body = move || {
        match shown.get() {
        Some(r) => report_view(r).into_any(),
        None => view! { <p class="vf-verdict vf-verdict--invalid">"Fix the highlighted input to see a plan."</p> }.into_any(),
    }
    };
    let open_full = calc.embed.then(|| {
        view! { <a class="vf-open-full" href=move || calc.link(&[]) target="_blank" rel="noopener">"Open the full calculator ↗"</a> }
    });
    view! {
        <section id="vf-results" class="vf-panel vf-results" class:vf-results--stale=stale aria-label="Results" aria-live="polite">
            {open_full}
            <Show when=stale>
                <p class="vf-note" role="status">"An input needs fixing (see the message next to it); showing the last valid plan."</p>
            </Show>
            {body}
        </section>
    }
}

fn report_view(r: TrainReport) -> impl IntoView {
    let n = r.devices.len();
    let verdict = if r.fits {
        format!("Fits on {n} GPU{}", if n == 1 { "" } else { "s" })
    } else {
        format!("Does not fit: short by {}", gib(r.shortfall_bytes))
    };
    let s = &r.settings;
    let method = match s.method {
        Method::Full => "full fine-tuning",
        Method::Lora => "LoRA",
        Method::Qlora => "QLoRA",
    };
    let detail = format!(
        "{} · {method} · {} · {} · {} × {} tokens",
        r.model,
        s.precision.name(),
        s.optimizer.name(),
        s.micro_batch,
        grouped(s.seq)
    );
    let verdict_class = if r.fits {
        "vf-verdict vf-verdict--fits"
    } else {
        "vf-verdict vf-verdict--short"
    };
    let none = || "none fits".to_string();
    let max_seq = r
        .max_seq
        .map_or_else(none, |t| format!("{} tokens", grouped(t)));
    let max_micro_batch = r.max_micro_batch.map_or_else(none, |b| b.to_string());
    let rows = r
        .devices
        .iter()
        .map(|d| {
            view! {
                <tr class:vf-table__over=!d.fits>
                    <th scope="row">{d.name.clone()} <span class="vf-table__cap">{gb(d.capacity_bytes)}</span></th>
                    <td>{gib(d.params_bytes)}</td>
                    <td>{gib(d.grads_bytes)}</td>
                    <td>{gib(d.optimizer_bytes)}</td>
                    <td>{gib(d.activations_bytes)}</td>
                    <td>{gib(d.temporary_bytes)}</td>
                    <td>{gib(d.overhead_bytes)}</td>
                    <td title=format!("of {} usable", gib(d.usable_bytes))>{gib(d.peak_bytes)}</td>
                </tr>
            }
        })
        .collect_view();
    let launch = r
        .launch
        .iter()
        .map(|(name, text)| {
            view! {
                <div class="vf-command-block">
                    <div class="vf-command-block__head">
                        <h2 class="vf-subtitle">{name.clone()}</h2>
                        <CopyButton text=text.clone() label=format!("Copy the {name} config") />
                    </div>
                    <pre class="vf-command" data-testid="launch"><code>{text.clone()}</code></pre>
                </div>
            }
        })
        .collect_view();
    view! {
        <div class=verdict_class data-testid="verdict">
            <strong>{verdict}</strong>
            <span class="vf-verdict__detail">{detail}</span>
        </div>
        <dl class="vf-facts">
            <div><dt>"Trainable parameters"</dt><dd data-testid="trainable">{grouped(r.trainable_params)} " (" {params(r.trainable_params)} ")"</dd></div>
            <div><dt>"Frozen parameters"</dt><dd data-testid="frozen">{grouped(r.frozen_params)}</dd></div>
            <div><dt>"Longest sequence"</dt><dd data-testid="max-seq">{max_seq}</dd></div>
            <div><dt>"Largest micro-batch"</dt><dd data-testid="max-micro-batch">{max_micro_batch}</dd></div>
            {(r.host_bytes > 0).then(|| view! {
                <div><dt>"Host memory per GPU"</dt><dd>{gib(r.host_bytes)}</dd></div>
            })}
        </dl>
        <div class="vf-scroll" tabindex="0" role="region" aria-label="Memory per GPU">
            <table class="vf-table vf-table--train" data-testid="train-table">
                <caption>"Memory per GPU: what it holds at the peak of a step"</caption>
                <thead>
                    <tr>
                        <th scope="col">"GPU"</th>
                        <th scope="col">"Params"</th>
                        <th scope="col">"Grads"</th>
                        <th scope="col">"Optimizer"</th>
                        <th scope="col">"Activations"</th>
                        <th scope="col">"Temporary"</th>
                        <th scope="col">"Overhead"</th>
                        <th scope="col">"Peak"</th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
        <ul class="vf-train__notes" data-testid="train-notes">
            {r.notes.iter().map(|note| view! { <li>{note.clone()}</li> }).collect_view()}
        </ul>
        {launch}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::train::FIELDS;
    use crate::train::optimizer::Optimizer;

    #[test]
    fn the_form_offers_every_optimizer_and_every_training_field_once() {
        let names: Vec<&str> = OPTIMIZERS.iter().map(|(v, _)| *v).collect();
        assert_eq!(names, Optimizer::ALL.map(Optimizer::name));
        let mut shown: Vec<&str> = INPUTS.iter().chain(ADVANCED).map(|i| i.field).collect();
        shown.extend(["model", "config", "gpus"]);
        shown.sort_unstable();
        let mut all: Vec<&str> = FIELDS.iter().map(|f| f.0).collect();
        all.sort_unstable();
        assert_eq!(shown, all);
    }
}
