//! The calculator page: inputs on the left, the derived report on the right.

use leptos::prelude::*;

use super::check::{CheckSetup, Checked};
use super::gpus::GpuEditor;
use super::inputs::Settings;
use super::model::ModelPicker;
use super::results::Results;
use super::share::{ShareBar, ThemeToggle};
use crate::report::{all_errors, report, InputError, Report, Request};
use crate::web;

/// The request being edited and the report derived from it, shared by all
/// components through context.
#[derive(Clone, Copy)]
pub struct Calc {
    pub request: RwSignal<Request>,
    pub result: Memo<Result<Report, InputError>>,
    /// The last valid report, kept on screen while an input is being fixed.
    pub shown: Memo<Option<Report>>,
    /// Every field's error while the request is invalid.
    pub errors: Memo<Vec<InputError>>,
    pub embed: bool,
}

impl Calc {
    /// The inline error for `field`, if the current request has one there.
    pub fn error(self, field: &'static str) -> impl Fn() -> Option<String> + Copy {
        let errors = self.errors;
        move || {
            errors.with(|all| {
                all.iter()
                    .find(|e| e.field() == field)
                    .map(ToString::to_string)
            })
        }
    }
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
    let calc = Calc {
        request,
        result,
        shown,
        errors,
        embed,
    };
    provide_context(calc);
    provide_context(Checked(RwSignal::new(None)));
    super::share::Theme::provide();
    let (notes, set_notes) = signal(initial.dropped);
    // Effects only push state outward: the address bar, storage, marks.
    Effect::new(move || request.with(|r| web::state::save(r, embed)));
    Effect::new(move || {
        result.track();
        web::mark_first_result();
        web::mark_update();
    });
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
            <main class="vf-main">
                <section class="vf-panel vf-inputs" aria-label="Inputs">
                    <CheckSetup />
                    <GpuEditor />
                    <ModelPicker />
                    <Settings />
                </section>
                <Results />
            </main>
            {footer}
        </div>
    }
}
