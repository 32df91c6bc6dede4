//! The compare view: setups side by side (`?v=1&a=…&b=…`), each planned in
//! full by [`compare`], the rows whose values differ highlighted. Setups are
//! added from the Run view ("Add to comparison") and opened back into it.

use leptos::prelude::*;

use super::app::Calc;
use crate::report::compare::{compare, Planned, FIELDS};
use crate::web::link::{Mode, SIDES};

/// The most setups a comparison holds (one link key each).
pub const MOST: usize = SIDES.len();

/// Adds the Run view's setup to the comparison (once) and opens the view.
#[component]
pub fn AddToComparison() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let add = move |_| {
        let current = calc.request.get();
        calc.compared.update(|all| {
            if !all.contains(&current) && all.len() < MOST {
                all.push(current);
            }
        });
    };
    let count = move || calc.compared.with(Vec::len);
    view! {
        <div class="vf-compare-add">
            <button class="vf-button" data-testid="add-to-comparison" on:click=add>
                "Add to comparison"
            </button>
            <button
                class="vf-button vf-button--quiet"
                disabled=move || count() == 0
                on:click=move |_| calc.mode.set(Mode::Compare)
            >
                {move || format!("Compare ({})", count())}
            </button>
        </div>
    }
}

/// The comparison table.
#[component]
pub fn CompareView() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let comparison = Memo::new(move |_| calc.compared.with(|all| compare(all)));
    let add_current = move |_| {
        let current = calc.request.get();
        calc.compared.update(|all| {
            if !all.contains(&current) && all.len() < MOST {
                all.push(current);
            }
        });
    };
    let header = move || {
        let c = comparison.get();
        c.setups
            .iter()
            .enumerate()
            .map(|(n, s)| {
                let letter = SIDES[n].to_ascii_uppercase();
                let title = match s {
                    Planned::Side(side) => side.label.clone(),
                    Planned::Invalid { error, field } => format!("invalid {field}: {error}"),
                };
                let open = move |_| {
                    if let Some(setup) = calc.compared.with(|all| all.get(n).cloned()) {
                        calc.request.set(setup);
                        calc.mode.set(Mode::Run);
                    }
                };
                let remove = move |_| {
                    calc.compared.update(|all| {
                        if n < all.len() {
                            all.remove(n);
                        }
                    })
                };
                view! {
                    <th scope="col">
                        <span class="vf-compare__letter">{letter.clone()}</span>
                        " " {title}
                        <span class="vf-compare__actions">
                            <button class="vf-button vf-button--quiet" on:click=open
                                aria-label=format!("Open setup {letter} in the Run view")>"Open"</button>
                            <button class="vf-button vf-button--quiet" on:click=remove
                                aria-label=format!("Remove setup {letter}")>"Remove"</button>
                        </span>
                    </th>
                }
            })
            .collect_view()
    };
    let rows = move || {
        let c = comparison.get();
        FIELDS
            .iter()
            .map(|&(field, label)| {
                let differs = c.differs.contains(&field);
                let cells = c
                    .setups
                    .iter()
                    .map(|s| {
                        let text = match s {
                            Planned::Side(side) => side.text(field),
                            Planned::Invalid { .. } => "—".to_string(),
                        };
                        view! { <td>{text}</td> }
                    })
                    .collect_view();
                view! {
                    <tr class:vf-compare__differs=differs data-field=field>
                        <th scope="row">{label} {differs.then_some(view! { <span class="vf-visually-hidden">" (differs)"</span> })}</th>
                        {cells}
                    </tr>
                }
            })
            .collect_view()
    };
    let empty = move || calc.compared.with(Vec::is_empty);
    view! {
        <section class="vf-panel vf-results vf-compare" aria-label="Comparison" data-testid="compare">
            <h2 class="vf-results__title">"Compare setups"</h2>
            <p class="vf-hint">
                "Each setup is planned in full; highlighted rows differ. Add setups from the Run view, "
                "or the one being edited here; the link holds them all."
            </p>
            <Show when=move || !empty() fallback=|| view! { <p>"No setups yet."</p> }>
                <div class="vf-scroll" tabindex="0" role="region" aria-label="Setups side by side">
                    <table class="vf-table vf-compare__table" data-testid="compare-table">
                        <thead><tr><th scope="col">"Setup"</th>{header}</tr></thead>
                        <tbody>{rows}</tbody>
                    </table>
                </div>
            </Show>
            <button class="vf-button" on:click=add_current
                disabled=move || calc.compared.with(|all| all.len() >= MOST)>
                "Add the setup being edited"
            </button>
        </section>
    }
}
