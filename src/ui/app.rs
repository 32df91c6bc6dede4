//! The calculator page: inputs on the left, the derived report on the right,
//! in Run or Fine-tune mode.

use leptos::prelude::*;

use super::check::{CheckSetup, Checked};
use super::compare::{AddToComparison, CompareView};
use super::glance::Glance;
use super::gpus::GpuEditor;
use super::inputs::Settings;
use super::model::ModelPicker;
use super::results::Results;
use super::search::{BuyResults, BuySettings, FitResults, FitSettings, Searches};
use super::share::{ShareBar, ThemeToggle};
use super::train::{ModeSwitch, TrainResults, TrainSettings};
use crate::report::train::{train_report, TrainReport, TrainRequest};
use crate::report::{all_errors, report, InputError, Report, Request};
use crate::web;
use crate::web::link::{encode_compare, search_pairs, train_pairs, Mode, BUY_KEYS, FIT_KEYS};

/// The requests being edited and the reports derived from them, shared by
/// all components through context. The model, config and GPUs live in the
/// run request; Fine-tune mode reads them from there, so they carry across.
#[derive(Clone, Copy)]
pub struct Calc {
    pub request: RwSignal<Request>,
    pub result: Memo<Result<Report, InputError>>,
    /// The last valid report, kept on screen while an input is being fixed.
    pub shown: Memo<Option<Report>>,
    /// Every field's error while the request is invalid.
    pub errors: Memo<Vec<InputError>>,
    pub embed: bool,
    pub mode: RwSignal<Mode>,
    /// Fine-tune mode's own fields (its model, config and GPUs unused).
    pub train: RwSignal<TrainRequest>,
    /// The training report for `train` with the run request's model and GPUs.
    pub trained: Memo<Result<TrainReport, Vec<InputError>>>,
    /// The setups pinned for the compare view, in order.
    pub compared: RwSignal<Vec<Request>>,
}

impl Calc {
    /// The inline error for `field`, if the current mode's request has one
    /// there.
    pub fn error(self, field: &'static str) -> impl Fn() -> Option<String> + Copy {
        let find = move |all: &[InputError]| {
            all.iter()
                .find(|e| e.field() == field)
                .map(ToString::to_string)
        };
        move || match self.mode.get() {
            Mode::Train => self
                .trained
                .with(|r| r.as_ref().err().and_then(|all| find(all))),
            Mode::Run | Mode::Fit | Mode::Buy | Mode::Compare => self.errors.with(|all| find(all)),
        }
    }

    /// A field's text: the training request's when `train`, else the run's.
    pub fn value(self, train: bool, field: &str) -> String {
        let text = |v: Option<&str>| v.unwrap_or_default().to_string();
        if train {
            self.train.with(|r| text(r.get(field)))
        } else {
            self.request.with(|r| text(r.get(field)))
        }
    }

    /// Sets a field of the training request when `train`, else the run's.
    pub fn set(self, train: bool, field: &str, value: String) {
        if train {
            self.train.update(|r| {
                r.set(field, value);
            });
        } else {
            self.request.update(|r| {
                r.set(field, value);
            });
        }
    }

    /// The full link to this setup in this mode, plus `extra` pairs.
    pub fn link(self, extra: &[(&str, &str)]) -> String {
        if self.mode.get() == Mode::Compare {
            let embed = extra.iter().any(|(k, _)| *k == "embed");
            return self
                .compared
                .with(|all| web::state::link_query(&encode_compare(all, embed)));
        }
        let mut pairs = self.mode_pairs();
        pairs.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.request.with(|r| web::state::link(r, &pairs))
    }

    /// The current mode's link pairs: `mode=…` and its own fields.
    fn mode_pairs(self) -> Vec<(String, String)> {
        let owned = |pairs: Vec<(&str, &str)>| -> Vec<(String, String)> {
            pairs
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect()
        };
        let searches = use_context::<Searches>();
        match self.mode.get() {
            Mode::Train => self.train.with(|t| owned(train_pairs(t))),
            Mode::Fit => searches.map_or_else(Vec::new, |s| {
                s.fit
                    .fields
                    .with(|f| owned(search_pairs(Mode::Fit, &FIT_KEYS, f)))
            }),
            Mode::Buy => searches.map_or_else(Vec::new, |s| {
                s.buy
                    .fields
                    .with(|f| owned(search_pairs(Mode::Buy, &BUY_KEYS, f)))
            }),
            Mode::Run | Mode::Compare => Vec::new(),
        }
    }
}

/// `train` with the run request's model, pasted config and GPUs.
fn with_model(request: &Request, train: &TrainRequest) -> TrainRequest {
    let mut t = train.clone();
    for field in ["model", "config", "gpus"] {
        t.set(field, request.get(field).unwrap_or_default().to_string());
    }
    t
}

/// The whole app. The request is the only state; everything else is derived.
#[component]
pub fn App() -> impl IntoView {
    let initial = web::state::initial();
    let embed = initial.embed;
    let request = RwSignal::new(initial.request);
    let result = Memo::new(move |_| request.with(report));
    let shown = Memo::new(
        move |previous: Option<&Option<Report>>| match result.get() {
            Ok(r) => Some(r),
            Err(_) => previous.cloned().flatten(),
        },
    );
    let errors = Memo::new(move |_| {
        if result.with(|r| r.is_ok()) {
            Vec::new()
        } else {
            request.with(all_errors)
        }
    });
    let mode = RwSignal::new(initial.mode);
    let train = RwSignal::new(initial.train);
    let trained = Memo::new(move |_| {
        let t = request.with(|r| train.with(|t| with_model(r, t)));
        train_report(&t)
    });
    let compared = RwSignal::new(initial.compared);
    let calc = Calc {
        request,
        result,
        shown,
        errors,
        embed,
        mode,
        train,
        trained,
        compared,
    };
    provide_context(calc);
    Searches::provide(calc, initial.fit, initial.buy);
    provide_context(Checked(RwSignal::new(None)));
    super::share::Theme::provide();
    let (notes, set_notes) = signal(initial.dropped);
    // Effects only push state outward: the address bar, storage, marks.
    Effect::new(move || {
        if mode.get() == Mode::Compare {
            compared.with(|all| web::state::save_query(&encode_compare(all, embed), embed));
            return;
        }
        let pairs = calc.mode_pairs();
        let pairs: Vec<(&str, &str)> = pairs
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        request.with(|r| web::state::save(r, &pairs, embed));
    });
    Effect::new(move || {
        match mode.get() {
            Mode::Train => trained.track(),
            Mode::Compare => compared.track(),
            Mode::Run | Mode::Fit | Mode::Buy => result.track(),
        }
        web::mark_first_result();
        web::mark_update();
    });
    let run_mode = move || mode.get() == Mode::Run;
    let settings = move || match mode.get() {
        Mode::Run | Mode::Compare => view! { <Settings /> }.into_any(),
        Mode::Train => view! { <TrainSettings /> }.into_any(),
        Mode::Fit => view! { <FitSettings /> }.into_any(),
        Mode::Buy => view! { <BuySettings /> }.into_any(),
    };
    let restored = move || {
        let notes = notes.get();
        (!notes.is_empty()).then(|| {
            view! {
                <div class="vf-note" role="status">
                    <span>"This link restored what it could. Dropped: " {notes.join("; ")} "."</span>
                    <button class="vf-button vf-button--quiet" on:click=move |_| set_notes.set(Vec::new())>"Dismiss"</button>
                </div>
            }
        })
    };
    let header = (!embed).then(|| {
        view! {
            <header class="vf-header">
                <div class="vf-header__brand">
                    <h1 class="vf-header__title">"vramfit"</h1>
                    <p class="vf-header__tagline">"Will this LLM fit on these GPUs, and how do I split it?"</p>
                </div>
                <div class="vf-header__actions">
                    <ShareBar />
                    <ThemeToggle />
                </div>
            </header>
        }
    });
    let footer = (!embed).then(|| {
        view! {
            <footer class="vf-footer">
                "Every number is derived from the model's architecture, computed in your browser. "
                "Sizes: GB = 10⁹ bytes, GiB = 2³⁰ bytes; GPU cards from the catalog use their real (binary) capacity."
            </footer>
        }
    });
    view! {
        <div class=if embed { "vf-app vf-app--embed" } else { "vf-app" }>
            {header}
            {restored}
            <ModeSwitch />
            <Show when=move || mode.get() != Mode::Compare>
                <Glance />
            </Show>
            <main class="vf-main">
                <section class="vf-panel vf-inputs" aria-label="Inputs">
                    <Show when=run_mode>
                        <CheckSetup />
                    </Show>
                    <Show when=move || mode.get() != Mode::Buy>
                        <GpuEditor />
                    </Show>
                    <Show when=move || mode.get() != Mode::Fit>
                        <ModelPicker />
                    </Show>
                    {settings}
                    <Show when=run_mode>
                        <AddToComparison />
                    </Show>
                </section>
                {move || match mode.get() {
                    Mode::Run => view! { <Results /> }.into_any(),
                    Mode::Compare => view! { <CompareView /> }.into_any(),
                    Mode::Train => view! { <TrainResults /> }.into_any(),
                    Mode::Fit => view! { <FitResults /> }.into_any(),
                    Mode::Buy => view! { <BuyResults /> }.into_any(),
                }}
            </main>
            {footer}
        </div>
    }
}
