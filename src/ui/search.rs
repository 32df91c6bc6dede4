//! The two catalog searches: "What runs here" (every catalog model and
//! format that fits the GPUs, `search::fit`) and "What to buy" (the
//! cheapest GPU sets, or cloud instances, that run the model,
//! `search::buy`). Both run in the worker module ([`crate::web::worker`]):
//! their code is not in the page's module and their work is off the main
//! thread. The results arrive as the CLI's `--json` objects and are only
//! formatted here.

use leptos::prelude::*;
use serde_json::Value;

use super::app::Calc;
use super::inputs::{engine_of, weight_options, Choice, Field};
use crate::estimate::catalog::MODELS;
use crate::estimate::memory::Engine;
use crate::report::Request;
use crate::units::{gb, grouped, params};
use crate::web::link::Mode;

/// One search's own fields (those that differ from its defaults), its
/// latest answer and whether a newer one is on its way.
#[derive(Clone, Copy)]
pub struct Search {
    pub fields: RwSignal<Vec<(String, String)>>,
    answer: RwSignal<Option<Result<Value, String>>>,
    busy: RwSignal<bool>,
    /// Milliseconds from asking to the answer, as the page measured it.
    took_ms: RwSignal<f64>,
    /// The number of the latest question; older answers are dropped.
    asked: StoredValue<u64>,
}

/// A buy option's price as the table and the glance show it: dollars for
/// a set bought, dollars per hour for one rented.
pub fn price_text(option: &Value, rent: bool) -> String {
    match (option["usd_per_hour"].as_f64(), option["price"].as_f64()) {
        (Some(h), _) => format!("${h:.2}/h"),
        (None, Some(p)) if rent => format!("${p:.2}/h"),
        (None, Some(p)) => format!("${}", grouped(p.round() as u64)),
        _ => "—".to_string(),
    }
}

/// Both searches, provided as context by the app.
#[derive(Clone, Copy)]
pub struct Searches {
    pub fit: Search,
    pub buy: Search,
}

impl Search {
    fn new(fields: Vec<(String, String)>) -> Search {
        Search {
            fields: RwSignal::new(fields),
            answer: RwSignal::new(None),
            busy: RwSignal::new(false),
            took_ms: RwSignal::new(0.0),
            asked: StoredValue::new(0),
        }
    }

    /// The latest answer (`None` until the first arrives).
    pub fn answer(self) -> RwSignal<Option<Result<Value, String>>> {
        self.answer
    }

    /// Whether a buy search asks for cloud instances.
    pub fn renting(self) -> bool {
        self.value("mode", "buy") == "rent"
    }

    fn value(self, field: &str, default: &str) -> String {
        self.fields.with(|all| {
            all.iter()
                .find(|(f, _)| f == field)
                .map_or(default.to_string(), |(_, v)| v.clone())
        })
    }

    fn set(self, field: &str, value: String, default: &str) {
        self.fields.update(|all| {
            all.retain(|(f, _)| f != field);
            if value != default {
                all.push((field.to_string(), value));
            }
        });
    }

    /// Sends `task` with `request` to the worker; the answer replaces the
    /// shown one unless a newer question was asked meanwhile.
    fn ask(self, task: &'static str, request: Value) {
        let number = self.asked.get_value() + 1;
        self.asked.set_value(number);
        self.busy.set(true);
        let started = now_ms();
        crate::web::worker::call(task, request, move |answer| {
            if self.asked.get_value() == number {
                self.took_ms.set(now_ms() - started);
                self.answer.set(Some(answer));
                self.busy.set(false);
            }
        });
    }
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl Searches {
    /// The searches with the fields a link set; each asks the worker again
    /// whenever its mode is shown and its request changes.
    pub fn provide(calc: Calc, fit: Vec<(String, String)>, buy: Vec<(String, String)>) -> Searches {
        let searches = Searches {
            fit: Search::new(fit),
            buy: Search::new(buy),
        };
        provide_context(searches);
        Effect::new(move || {
            if calc.mode.get() != Mode::Fit {
                return;
            }
            let request = calc
                .request
                .with(|r| searches.fit.fields.with(|f| fit_request(r, f)));
            searches.fit.ask("fit", request);
        });
        Effect::new(move || {
            if calc.mode.get() != Mode::Buy {
                return;
            }
            let request = calc
                .request
                .with(|r| searches.buy.fields.with(|f| buy_request(r, f)));
            searches.buy.ask("buy", request);
        });
        searches
    }
}

/// The run fields a buy search takes from the Run view's request.
const BUY_RUN: [&str; 9] = [
    "model", "config", "engine", "weights", "kv", "ctx", "batch", "images", "overhead",
];

fn request_json(run: &Request, fields: &[&str], own: &[(String, String)]) -> Value {
    let mut object = serde_json::Map::new();
    for field in fields {
        object.insert(
            field.to_string(),
            Value::String(run.get(field).unwrap_or_default().to_string()),
        );
    }
    for (field, value) in own {
        object.insert(field.clone(), Value::String(value.clone()));
    }
    Value::Object(object)
}

fn fit_request(run: &Request, own: &[(String, String)]) -> Value {
    request_json(run, &crate::search::fit::RUN_FIELDS, own)
}

fn buy_request(run: &Request, own: &[(String, String)]) -> Value {
    request_json(run, &BUY_RUN, own)
}

/// A select bound to one of a search's own fields.
fn own_choice(
    search: Search,
    label: &'static str,
    field: &'static str,
    default: &'static str,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let id = format!("vf-s-{field}");
    let current = move || search.value(field, default);
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <select id=id class="vf-field__input" prop:value=current
                on:change=move |ev| search.set(field, event_target_value(&ev), default)>
                {options.into_iter().map(|(value, text)| {
                    let selected = value.clone();
                    view! { <option value=value selected=move || current() == selected>{text}</option> }
                }).collect_view()}
            </select>
        </div>
    }
}

/// A text input bound to one of a search's own fields.
fn own_field(
    search: Search,
    label: &'static str,
    field: &'static str,
    default: &'static str,
    hint: &'static str,
) -> impl IntoView {
    let id = format!("vf-s-{field}");
    let hint_id = format!("{id}-hint");
    view! {
        <div class="vf-field">
            <label class="vf-field__label" for=id.clone()>{label}</label>
            <input id=id class="vf-field__input" type="text" autocomplete="off" spellcheck="false"
                aria-describedby=hint_id.clone()
                prop:value=move || search.value(field, default)
                on:input=move |ev| search.set(field, event_target_value(&ev), default) />
            <p class="vf-field__hint" id=hint_id>{hint}</p>
        </div>
    }
}

fn engines() -> Vec<(String, String)> {
    Engine::ALL
        .iter()
        .map(|e| (e.id().to_string(), e.label().to_string()))
        .collect()
}

fn pairs(items: &[(&str, &str)]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|(v, t)| (v.to_string(), t.to_string()))
        .collect()
}

/// What runs here: the run settings every candidate is planned with, and
/// the filters.
#[component]
pub fn FitSettings() -> impl IntoView {
    let search = expect_context::<Searches>().fit;
    let mut families: Vec<&str> = MODELS.iter().map(|m| m.family).collect();
    families.sort_unstable();
    families.dedup();
    let family_options: Vec<(String, String)> =
        std::iter::once(("".to_string(), "all".to_string()))
            .chain(families.into_iter().map(|f| (f.to_string(), f.to_string())))
            .collect();
    view! {
        <fieldset class="vf-group" data-testid="fit-settings">
            <legend class="vf-group__title">"Run every model"</legend>
            <Choice label="Engine" field="engine" options=engines() />
            <div class="vf-row">
                <Field label="Context (tokens per sequence)" field="ctx" inputmode="numeric" />
                <Field label="Parallel sequences" field="batch" inputmode="numeric" />
            </div>
            {own_choice(search, "Family", "family", "", family_options)}
            {own_choice(search, "Architecture", "moe", "any", pairs(&[("any", "any"), ("moe", "mixture of experts"), ("dense", "dense")]))}
            <div class="vf-row">
                {own_field(search, "Longest context at least", "min_ctx", "", "Tokens; empty: any.")}
                {own_field(search, "Decode at least", "min_tps", "", "Tokens/s per sequence; needs catalog cards.")}
            </div>
            {own_choice(search, "Formats", "formats", "best", pairs(&[("best", "the best that fits, per model"), ("all", "every format that fits")]))}
        </fieldset>
    }
}

/// A line on how the search went.
fn status(search: Search, what: &'static str) -> impl IntoView {
    move || {
        if search.busy.get() && search.answer.with(Option::is_none) {
            return format!("Searching {what}…");
        }
        let took = search.took_ms.get();
        search.answer.with(|a| match a {
            Some(Ok(v)) => {
                let n = |k: &str| v[k].as_u64().unwrap_or(0);
                format!(
                    "{} candidates, {} planned, {} ruled out by the memory bound · {:.0} ms in the worker{}",
                    n("considered"),
                    n("planned"),
                    n("pruned") + n("bounded"),
                    took,
                    if search.busy.get() { " · updating…" } else { "" }
                )
            }
            Some(Err(_)) | None => String::new(),
        })
    }
}

fn error_line(search: Search) -> impl IntoView {
    move || {
        search.answer.with(|a| match a {
            Some(Err(e)) => Some(view! { <p class="vf-field__error" role="alert">{e.clone()}</p> }),
            _ => None,
        })
    }
}

fn count(v: &Value) -> String {
    v.as_u64().map_or("—".to_string(), grouped)
}

fn rate(v: &Value) -> String {
    v.as_f64()
        .map_or("—".to_string(), |t| format!("{t:.0} tok/s"))
}

/// The fit list, grouped by family in best-first order.
#[component]
pub fn FitResults() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let search = expect_context::<Searches>().fit;
    let groups = move || {
        search.answer.with(|a| {
            let Some(Ok(report)) = a else {
                return Vec::new();
            };
            let mut groups: Vec<(String, Vec<Value>)> = Vec::new();
            for entry in report["entries"].as_array().into_iter().flatten() {
                let family = entry["family"].as_str().unwrap_or("").to_string();
                match groups.iter_mut().find(|(f, _)| *f == family) {
                    Some((_, list)) => list.push(entry.clone()),
                    None => groups.push((family, vec![entry.clone()])),
                }
            }
            groups
        })
    };
    let open = move |model: String, weights: String| {
        calc.request.update(|r| {
            r.model = model;
            r.config.clear();
            r.weights = weights;
        });
        calc.mode.set(Mode::Run);
    };
    let summary = move || {
        search.answer.with(|a| match a {
            Some(Ok(r)) => {
                let n = r["entries"].as_array().map_or(0, Vec::len);
                let notes: Vec<String> = r["notes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect();
                Some(view! {
                    <p class="vf-verdict" data-testid="fit-count">
                        {if n == 0 { "Nothing in the catalog fits.".to_string() } else { format!("{n} fit, best first") }}
                    </p>
                    {notes.into_iter().map(|n| view! { <p class="vf-hint">{n}</p> }).collect_view()}
                })
            }
            _ => None,
        })
    };
    let table = move |family: String, entries: Vec<Value>| {
        // One row per model: its best entry, and (formats=all) the other
        // formats that fit, each opening its own plan.
        let mut models: Vec<(Value, Vec<Value>)> = Vec::new();
        for e in entries {
            match models
                .iter_mut()
                .find(|(best, _)| best["model"] == e["model"])
            {
                Some((_, others)) => others.push(e),
                None => models.push((e, Vec::new())),
            }
        }
        let rows = models
            .into_iter()
            .map(|(e, others)| {
                let model = e["model"].as_str().unwrap_or("").to_string();
                let weights = e["weights"].as_str().unwrap_or("").to_string();
                let name = e["name"].as_str().unwrap_or("").to_string();
                let format = e["weights_label"].as_str().unwrap_or("").to_string();
                let label = format!("Open the plan of {name} in {format}");
                let moe = e["moe"].as_bool().unwrap_or(false);
                let size = match (e["params"].as_u64(), e["active_params"].as_u64()) {
                    (Some(p), Some(a)) if moe && a != p => format!("{} ({} active)", params(p), params(a)),
                    (Some(p), _) => params(p),
                    _ => String::new(),
                };
                let detail = format!(
                    "{:.1} bits/weight · {}",
                    e["bits_per_weight"].as_f64().unwrap_or(0.0),
                    e["weights_bytes"].as_u64().map(gb).unwrap_or_default()
                );
                let also = (!others.is_empty()).then(|| {
                    let buttons = others
                        .into_iter()
                        .map(|o| {
                            let (model, weights) = (model.clone(), o["weights"].as_str().unwrap_or("").to_string());
                            let text = o["weights_label"].as_str().unwrap_or("").trim_start_matches("GGUF ").to_string();
                            let label = format!("Open the plan of {name} in {}", o["weights_label"].as_str().unwrap_or(""));
                            view! { <button class="vf-button vf-button--quiet vf-search__also" aria-label=label
                                on:click=move |_| open(model.clone(), weights.clone())>{text}</button> }
                        })
                        .collect_view();
                    view! { <span class="vf-table__cap">"also fits: " {buttons}</span> }
                });
                view! {
                    <tr>
                        <th scope="row">{name.clone()}<span class="vf-table__cap">{size}</span></th>
                        <td class="vf-search__format">{format}<span class="vf-table__cap">{detail}</span>{also}</td>
                        <td>{count(&e["max_context"])}</td>
                        <td>{count(&e["max_batch"])}</td>
                        <td>{rate(&e["decode_tokens_per_s"])}</td>
                        <td><button class="vf-button vf-button--quiet" aria-label=label
                            on:click=move |_| open(model.clone(), weights.clone())>"Plan"</button></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <h3 class="vf-search__group">{family.clone()}</h3>
            <div class="vf-scroll" tabindex="0" role="region" aria-label=format!("{family} models that fit")>
                <table class="vf-table" data-testid="fit-table">
                    <thead><tr>
                        <th scope="col">"Model"</th><th scope="col">"Best format that fits"</th>
                        <th scope="col">"Longest context"</th><th scope="col">"Most sequences"</th>
                        <th scope="col">"Decode"</th><th scope="col"><span class="vf-visually-hidden">"Open"</span></th>
                    </tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </div>
        }
    };
    view! {
        <section id="vf-results" class="vf-panel vf-results" aria-label="What runs here" aria-live="polite" data-testid="fit">
            <h2 class="vf-results__title">"What runs on these GPUs"</h2>
            <p class="vf-search__status" data-testid="fit-status">{status(search, "the catalog")}</p>
            {error_line(search)}
            {summary}
            {move || groups().into_iter().map(|(f, e)| table(f, e)).collect_view()}
        </section>
    }
}

/// What to buy: the model's run settings and the search's limits.
#[component]
pub fn BuySettings() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let search = expect_context::<Searches>().buy;
    let request = calc.request;
    let weights =
        Signal::derive(move || request.with(|r| weight_options(engine_of(r), &r.weights)));
    view! {
        <fieldset class="vf-group" data-testid="buy-settings">
            <legend class="vf-group__title">"Run it on GPUs to buy or rent"</legend>
            <Choice label="Engine" field="engine" options=engines() />
            <Choice label="Weights" field="weights" options=weights />
            <div class="vf-row">
                <Field label="Context (tokens per sequence)" field="ctx" inputmode="numeric" />
                <Field label="Parallel sequences" field="batch" inputmode="numeric" />
            </div>
            {own_choice(search, "Buy or rent", "mode", "buy", pairs(&[("buy", "buy cards (list price)"), ("rent", "rent cloud instances ($/hour)")]))}
            <div class="vf-row">
                {own_field(search, "Decode at least", "min_tps", "", "Tokens/s per sequence; empty: any.")}
                {own_choice(search, "Rank by", "rank", "price", pairs(&[("price", "price"), ("usd_per_mtok", "$ per million tokens (rent)")]))}
            </div>
            <div class="vf-row">
                {own_field(search, "Most GPUs per machine", "max_gpus", "8", "Up to 16.")}
                {own_field(search, "Machines", "machines", "1", "Each a copy of one machine's set.")}
            </div>
            {own_choice(search, "Mix vendors in a machine", "same_vendor", "on", pairs(&[("on", "no: one vendor per machine"), ("off", "yes")]))}
            {own_field(search, "Only these cards", "cards", "", "Catalog ids, comma-separated; empty: every card with a price.")}
            {own_field(search, "Your prices", "prices", "", r#"JSON replacing catalog prices, e.g. {"rtx-4090": 1800, "aws-p5.48xlarge": 55}."#)}
        </fieldset>
    }
}

/// The cheapest sets, and the price–context front.
#[component]
pub fn BuyResults() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let search = expect_context::<Searches>().buy;
    let rent = move || search.renting();
    let open = move |gpus: String| {
        calc.request.update(|r| r.gpus = gpus);
        calc.mode.set(Mode::Run);
    };
    let rows = move |list: &Value| {
        list.as_array()
            .into_iter()
            .flatten()
            .map(|o| {
                let gpus = o["gpu_list"].as_str().unwrap_or("").to_string();
                let what = match o["instance"].as_str() {
                    Some(i) => format!("{} {i} ({gpus})", o["provider"].as_str().unwrap_or("")),
                    None => gpus.clone(),
                };
                let label = format!("Open the plan on {gpus}");
                let sources = o["price_sources"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                view! {
                    <tr>
                        <th scope="row">{what}</th>
                        <td title=sources>{price_text(o, rent())}</td>
                        <td>{o["memory_bytes"].as_u64().map(gb).unwrap_or_default()}</td>
                        <td>{count(&o["max_context"])}</td>
                        <td>{count(&o["max_batch"])}</td>
                        <td>{rate(&o["decode_tokens_per_s"])}</td>
                        {rent().then(|| view! { <td>{o["usd_per_million_tokens"].as_f64().map_or("—".to_string(), |c| format!("${c:.2}"))}</td> })}
                        <td><button class="vf-button vf-button--quiet" aria-label=label
                            on:click=move |_| open(gpus.clone())>"Plan"</button></td>
                    </tr>
                }
            })
            .collect_view()
    };
    let table = move |list: Value, test_id: &'static str, caption: &'static str| {
        view! {
            <div class="vf-scroll" tabindex="0" role="region" aria-label=caption>
                <table class="vf-table" data-testid=test_id>
                    <caption>{caption}</caption>
                    <thead><tr>
                        <th scope="col">"GPUs"</th><th scope="col">"Price"</th><th scope="col">"Memory"</th>
                        <th scope="col">"Longest context"</th><th scope="col">"Most sequences"</th>
                        <th scope="col">"Decode"</th>
                        {rent().then(|| view! { <th scope="col">"$ per million tokens"</th> })}
                        <th scope="col"><span class="vf-visually-hidden">"Open"</span></th>
                    </tr></thead>
                    <tbody>{rows(&list)}</tbody>
                </table>
            </div>
        }
    };
    let body = move || {
        search.answer.with(|a| {
            let Some(Ok(r)) = a else {
                return None;
            };
            let n = r["options"].as_array().map_or(0, Vec::len);
            let notes: Vec<String> = r["notes"]
                .as_array()
                .into_iter()
                .flatten()
                .chain(r["warnings"].as_array().into_iter().flatten())
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            let verdict = if n == 0 {
                match r["shortfall_bytes"].as_u64() {
                    Some(short) => format!("No set within the limits runs it: the largest is {} short.", gb(short)),
                    None => "No set within the limits runs it.".to_string(),
                }
            } else {
                format!("The {n} cheapest that run it, cheapest first")
            };
            Some(view! {
                <p class="vf-verdict" data-testid="buy-count">{verdict}</p>
                {notes.into_iter().map(|n| view! { <p class="vf-hint">{n}</p> }).collect_view()}
                {(n > 0).then(|| table(r["options"].clone(), "buy-table", "Cheapest first"))}
                {r["pareto_context"].as_array().is_some_and(|p| p.len() > 1).then(|| {
                    table(r["pareto_context"].clone(), "buy-pareto", "Price against the longest context: each the cheapest to reach its context")
                })}
            })
        })
    };
    view! {
        <section id="vf-results" class="vf-panel vf-results" aria-label="What to buy" aria-live="polite" data-testid="buy">
            <h2 class="vf-results__title">"What to buy or rent to run it"</h2>
            <p class="vf-search__status" data-testid="buy-status">{status(search, "GPU sets")}</p>
            {error_line(search)}
            {body}
        </section>
    }
}
