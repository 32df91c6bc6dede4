//! The calculator page: inputs on the left, the derived report on the right.

use leptos::prelude::*;

use super::inputs::Inputs;
use super::results::Results;
use crate::plan::{report, Request};

/// The whole app. The request is the only state; the report is derived from
/// it on every change.
#[component]
pub fn App() -> impl IntoView {
    let request = RwSignal::new(Request::default());
    let result = Memo::new(move |_| request.with(report));
    Effect::new(move || {
        if result.with(|r| r.is_ok()) {
            crate::web::mark_first_result();
        }
    });
    view! {
        <div class="vf-app">
            <header class="vf-header">
                <h1 class="vf-header__title">"vramfit"</h1>
                <p class="vf-header__tagline">"Will this LLM fit on these GPUs, and how do I split it?"</p>
            </header>
            <main class="vf-main">
                <Inputs request=request result=result />
                <Results result=result />
            </main>
            <footer class="vf-footer">
                "Numbers are derived from each model's architecture. Sizes: GB = 10⁹ bytes, GiB = 2³⁰ bytes."
            </footer>
        </div>
    }
}
