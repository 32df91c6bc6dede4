//! The verdict at a glance: one line pinned to the top of a narrow screen,
//! so a phone user editing the form (the results are below it) still sees
//! the answer — in Run mode whether the setup fits, at what context and how
//! fast; in Fine-tune mode whether training fits; in the two searches what
//! came first. The lines are pure functions of the answers (tested below).

use leptos::prelude::*;
use serde_json::Value;

use super::app::Calc;
use super::results::{rate, verdict_text};
use super::search::{price_text, Searches};
use crate::report::train::TrainReport;
use crate::report::Report;
use crate::units::{gib, grouped};
use crate::web::link::Mode;

/// How the line reads: fits, does not, or nothing to judge yet.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Fits,
    Short,
    Pending,
}

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

/// Fine-tuning: fits on how many GPUs and the longest sequence that would
/// (the form above shows the one asked for), or the shortfall.
fn train_glance(r: &TrainReport) -> (State, String) {
    if !r.fits {
        return (State::Short, format!("Short by {}", gib(r.shortfall_bytes)));
    }
    let n = r.devices.len();
    let longest = r
        .max_seq
        .map(|s| format!(" · max {} tok", grouped(s)))
        .unwrap_or_default();
    let gpus = if n == 1 { "GPU" } else { "GPUs" };
    (State::Fits, format!("Fits on {n} {gpus}{longest}"))
}

/// What runs here (`fit --json`): how many fit and the best of them.
fn fit_glance(answer: &Value) -> (State, String) {
    let entries = answer["entries"].as_array().map_or(&[][..], Vec::as_slice);
    let Some(best) = entries.first() else {
        return (State::Short, "Nothing in the catalog fits".to_string());
    };
    let context = best["max_context"]
        .as_u64()
        .map(|c| format!(" · {} tok", grouped(c)))
        .unwrap_or_default();
    (
        State::Fits,
        format!(
            "{} fit · best {} {}{context}",
            entries.len(),
            best["name"].as_str().unwrap_or("?"),
            best["weights_label"].as_str().unwrap_or("")
        ),
    )
}

/// What to buy (`buy --json`): the cheapest set and its context, or how
/// short the largest falls.
fn buy_glance(answer: &Value, rent: bool) -> (State, String) {
    let Some(cheapest) = answer["options"].as_array().and_then(|o| o.first()) else {
        let line = match answer["shortfall_bytes"].as_u64() {
            Some(short) => format!("No set runs it: the largest is {} short", gib(short)),
            None => "No set within the limits runs it".to_string(),
        };
        return (State::Short, line);
    };
    let what = cheapest["instance"]
        .as_str()
        .or(cheapest["gpu_list"].as_str())
        .unwrap_or("?");
    let context = cheapest["max_context"]
        .as_u64()
        .map(|c| format!(" · {} tok", grouped(c)))
        .unwrap_or_default();
    (
        State::Fits,
        format!("Cheapest {} · {what}{context}", price_text(cheapest, rent)),
    )
}

/// A search's line: its answer's, or where it stands.
fn search_glance(
    answer: &Option<Result<Value, String>>,
    line: impl Fn(&Value) -> (State, String),
) -> (State, String) {
    match answer {
        Some(Ok(a)) => line(a),
        Some(Err(_)) => (State::Pending, "Fix the highlighted input".to_string()),
        None => (State::Pending, "Searching…".to_string()),
    }
}

/// A sticky bar with the current mode's verdict, shown by the stylesheet on
/// narrow screens only; it links down to the results.
#[component]
pub fn Glance() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let searches = use_context::<Searches>();
    let line = Memo::new(move |_| match calc.mode.get() {
        Mode::Train => calc.trained.with(|r| match r {
            Ok(r) => train_glance(r),
            Err(_) => (State::Pending, "Fix the highlighted input".to_string()),
        }),
        Mode::Fit => searches.map_or((State::Pending, String::new()), |s| {
            s.fit.answer().with(|a| search_glance(a, fit_glance))
        }),
        Mode::Buy => searches.map_or((State::Pending, String::new()), |s| {
            let rent = s.buy.renting();
            s.buy
                .answer()
                .with(|a| search_glance(a, |v| buy_glance(v, rent)))
        }),
        Mode::Run | Mode::Compare => calc.result.with(|r| match r {
            Ok(r) if r.fits => (State::Fits, glance_text(r)),
            Ok(r) => (State::Short, glance_text(r)),
            Err(_) => (
                State::Pending,
                "Fix the highlighted input to see a plan".to_string(),
            ),
        }),
    });
    let class = move || match line.get().0 {
        State::Fits => "vf-glance vf-glance--fits",
        State::Short => "vf-glance vf-glance--short",
        State::Pending => "vf-glance vf-glance--invalid",
    };
    let link = move || match calc.mode.get() {
        Mode::Run => "Plan ↓",
        _ => "Results ↓",
    };
    view! {
        <section class=class aria-label="Verdict at a glance" data-testid="glance">
            <span class="vf-glance__text">{move || line.get().1}</span>
            <a class="vf-glance__link" href="#vf-results">{link}</a>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::train::{train_report, TrainRequest};
    use crate::search::{buy, fit};

    #[test]
    fn a_fit_line_names_the_count_and_the_best() {
        let request =
            fit::FitRequest::from_json(&serde_json::json!({"gpus": "rtx-4090", "family": "Llama"}))
                .unwrap();
        let answer = serde_json::to_value(fit::fit(&request).unwrap()).unwrap();
        let n = answer["entries"].as_array().unwrap().len();
        let best = &answer["entries"][0];
        let (state, line) = fit_glance(&answer);
        assert_eq!(state, State::Fits);
        assert!(
            line.starts_with(&format!(
                "{n} fit · best {} ",
                best["name"].as_str().unwrap()
            )),
            "{line}"
        );
        assert!(
            line.ends_with(&format!(
                "{} tok",
                grouped(best["max_context"].as_u64().unwrap())
            )),
            "{line}"
        );
        let none = fit_glance(&serde_json::json!({"entries": []}));
        assert_eq!(
            none,
            (State::Short, "Nothing in the catalog fits".to_string())
        );
    }

    #[test]
    fn a_buy_line_names_the_cheapest_or_the_shortfall() {
        let request = buy::BuyRequest::from_json(
            &serde_json::json!({"model": "llama-3.1-8b", "max_gpus": 2}),
        )
        .unwrap();
        let answer = serde_json::to_value(buy::buy(&request).unwrap()).unwrap();
        let first = &answer["options"][0];
        let (state, line) = buy_glance(&answer, false);
        assert_eq!(state, State::Fits);
        assert!(
            line.starts_with(&format!(
                "Cheapest {} · {}",
                price_text(first, false),
                first["gpu_list"].as_str().unwrap()
            )),
            "{line}"
        );
        let short = buy_glance(
            &serde_json::json!({"options": [], "shortfall_bytes": 3u64 << 30}),
            false,
        );
        assert_eq!(
            short,
            (
                State::Short,
                "No set runs it: the largest is 3.00 GiB short".to_string()
            )
        );
    }

    #[test]
    fn a_training_line_says_fits_or_short_by() {
        let mut t = TrainRequest::default();
        t.set("model", "llama-3.1-8b".into());
        t.set("gpus", "rtx-4090".into());
        t.set("method", "qlora".into());
        let r = train_report(&t).unwrap();
        assert!(r.fits);
        let (state, line) = train_glance(&r);
        assert_eq!(state, State::Fits);
        assert_eq!(
            line,
            format!("Fits on 1 GPU · max {} tok", grouped(r.max_seq.unwrap()))
        );
        t.set("method", "full".into());
        let r = train_report(&t).unwrap();
        assert!(!r.fits);
        assert_eq!(
            train_glance(&r),
            (State::Short, format!("Short by {}", gib(r.shortfall_bytes)))
        );
    }
}
