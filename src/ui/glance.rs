//! The verdict at a glance: one line pinned to the top of a narrow screen,
//! so a phone user editing the form (the full report is below it) still
//! sees whether the setup fits, at what context and how fast.

use leptos::prelude::*;

use super::app::Calc;
use super::results::{rate, verdict_text};
use crate::report::Report;
use crate::units::{gib, grouped};

/// The one-line verdict, short enough for 360 px: headline, context ×
/// sequences, decode speed when the report knows it.
fn glance_text(r: &Report) -> String {
    let headline = if r.fits {
        verdict_text(r)
    } else {
        format!("Short by {}", gib(r.shortfall_bytes))
    };
    let speed = r
        .speed
        .as_ref()
        .map(|s| format!(" · {}", rate(s.decode_tokens_per_s)))
        .unwrap_or_default();
    format!("{headline} · {} tok × {}{speed}", grouped(r.n_ctx), r.n_seq)
}

/// A sticky bar with the current verdict, shown by the stylesheet on narrow
/// screens only; it links down to the full report.
#[component]
pub fn Glance() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let state = move || {
        calc.result.with(|r| match r {
            Ok(r) if r.fits => "vf-glance vf-glance--fits",
            Ok(_) => "vf-glance vf-glance--short",
            Err(_) => "vf-glance vf-glance--invalid",
        })
    };
    let text = move || {
        calc.result.with(|r| match r {
            Ok(r) => glance_text(r),
            Err(_) => "Fix the highlighted input to see a plan".to_string(),
        })
    };
    view! {
        <section class=state aria-label="Verdict at a glance" data-testid="glance">
            <span class="vf-glance__text">{text}</span>
            <a class="vf-glance__link" href="#vf-results">"Plan ↓"</a>
        </section>
    }
}
