//! Where the setup lives outside memory: the URL (always current, so the
//! address bar is the share link), localStorage (the last setup, restored
//! when a page opens without a query), and the colour theme.

use super::link::{decode, encode, Decoded};
use crate::report::Request;

const STORAGE_KEY: &str = "vramfit:last";
const THEME_KEY: &str = "vramfit:theme";

fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// The setup to open with: the link's, else the last one, else defaults.
pub fn initial() -> Decoded {
    let search = web_sys::window()
        .and_then(|w| w.location().search().ok())
        .unwrap_or_default();
    let from_link = decode(&search);
    if from_link.any || !from_link.dropped.is_empty() || from_link.embed {
        return from_link;
    }
    match storage().and_then(|s| s.get_item(STORAGE_KEY).ok().flatten()) {
        Some(saved) => Decoded {
            dropped: Vec::new(),
            ..decode(&saved)
        },
        None => from_link,
    }
}

/// Writes the setup into the address bar (no history entry) and storage;
/// `mode` is the mode's pairs (`mode=train` and its fields, or a search's),
/// or nothing in Run mode.
pub fn save(request: &Request, mode: &[(&str, &str)], embed: bool) {
    let mut extra = mode.to_vec();
    if embed {
        extra.push(("embed", "1"));
    }
    write(&encode(request, &extra), &encode(request, mode), embed);
}

/// Writes a whole query (a compare link) into the address bar and storage.
pub fn save_query(query: &str, embed: bool) {
    write(query, query, embed);
}

/// `query` into the address bar (no history entry) and, outside an embed,
/// `stored` into storage.
fn write(query: &str, stored: &str, embed: bool) {
    if let Some(window) = web_sys::window() {
        if let Ok(history) = window.history() {
            let path = window.location().pathname().unwrap_or_default();
            let _ = history.replace_state_with_url(
                &wasm_bindgen::JsValue::NULL,
                "",
                Some(&format!("{path}?{query}")),
            );
        }
    }
    if !embed {
        if let Some(s) = storage() {
            let _ = s.set_item(STORAGE_KEY, stored);
        }
    }
}

/// This page's address with `query`.
pub fn link_query(query: &str) -> String {
    let base = web_sys::window()
        .and_then(|w| {
            let l = w.location();
            Some(format!("{}{}", l.origin().ok()?, l.pathname().ok()?))
        })
        .unwrap_or_default();
    format!("{base}?{query}")
}

/// The full link to this setup (for sharing or embedding).
pub fn link(request: &Request, extra: &[(&str, &str)]) -> String {
    link_query(&encode(request, extra))
}

/// The saved theme (`light`/`dark`), or `None` to follow the system.
pub fn saved_theme() -> Option<String> {
    storage().and_then(|s| s.get_item(THEME_KEY).ok().flatten())
}

/// Applies a theme to the page (`data-theme` on `<html>`) and saves it.
pub fn apply_theme(theme: &str) {
    if let Some(root) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = root.set_attribute("data-theme", theme);
    }
    if let Some(s) = storage() {
        let _ = s.set_item(THEME_KEY, theme);
    }
}

/// Whether the system asks for dark colours.
pub fn system_prefers_dark() -> bool {
    web_sys::window()
        .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten())
        .is_some_and(|m| m.matches())
}

/// Whether a docs site loaded the module for `window.vramfit` only
/// (`window.vramfitApiOnly = true`, set by `api.js`).
pub fn api_only() -> bool {
    web_sys::window()
        .and_then(|w| js_sys::Reflect::get(&w, &"vramfitApiOnly".into()).ok())
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Registers the service worker that keeps the app working offline.
pub fn register_service_worker() {
    if let Some(window) = web_sys::window() {
        let container = window.navigator().service_worker();
        let _ = container.register("./sw.js");
    }
}
