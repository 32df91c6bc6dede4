//! Sharing: the link to this setup, the iframe snippet, and the theme.

use leptos::prelude::*;

use super::app::Calc;
use super::results::CopyButton;
use crate::web::state;

/// "Copy link" and "Embed" in the header.
#[component]
pub fn ShareBar() -> impl IntoView {
    let calc = expect_context::<Calc>();
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let link = move || calc.link(&[]);
    let snippet = move || {
        let src = calc.link(&[("embed", "1")]);
        format!(
            "<iframe src=\"{src}\" title=\"vramfit: will this LLM fit?\" width=\"100%\" height=\"720\" style=\"border:0\" loading=\"lazy\"></iframe>"
        )
    };
    view! {
        {move || view! { <CopyButton text=link() label="Copy link to this setup".to_string() caption="Copy link" /> }}
        <button class="vf-button" on:click=move |_| {
            if let Some(d) = dialog.get() {
                let _ = d.show_modal();
            }
        }>"Embed"</button>
        <dialog class="vf-dialog" node_ref=dialog aria-labelledby="vf-embed-title">
            <h2 id="vf-embed-title" class="vf-subtitle">"Embed this calculator"</h2>
            <p>"Paste this into a docs page; the iframe opens with this setup in compact mode."</p>
            <label class="vf-field__label" for="vf-embed-snippet">"iframe snippet"</label>
            <textarea id="vf-embed-snippet" class="vf-field__input vf-config" rows="4" readonly prop:value=snippet></textarea>
            <div class="vf-actions">
                {move || view! { <CopyButton text=snippet() label="Copy the iframe snippet".to_string() /> }}
                <button class="vf-button" on:click=move |_| {
                    if let Some(d) = dialog.get() {
                        d.close();
                    }
                }>"Close"</button>
            </div>
        </dialog>
    }
}

/// The page's colour theme, shared through context: the saved choice, else
/// the system's preference; an effect writes it onto `<html>`.
#[derive(Clone, Copy)]
pub struct Theme(pub RwSignal<String>);

impl Theme {
    /// Starts the theme (embedded or not) and provides it to the toggle.
    pub fn provide() {
        let start = state::saved_theme().unwrap_or_else(|| {
            if state::system_prefers_dark() {
                "dark"
            } else {
                "light"
            }
            .into()
        });
        let theme = RwSignal::new(start);
        Effect::new(move || theme.with(|t| state::apply_theme(t)));
        provide_context(Theme(theme));
    }
}

/// Light / dark toggle.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    let Theme(theme) = expect_context::<Theme>();
    let label = move || {
        if theme.get() == "dark" {
            "Light theme"
        } else {
            "Dark theme"
        }
    };
    view! {
        <button class="vf-button" aria-pressed=move || (theme.get() == "dark").to_string()
            on:click=move |_| theme.update(|t| *t = if t == "dark" { "light".into() } else { "dark".into() })>
            {label}
        </button>
    }
}
