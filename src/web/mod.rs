//! Browser glue only: nothing here computes a number shown to the user.
//!
//! - [`link`]: the setup ⇄ query string (pure, tested natively).
//! - [`state`]: location, history, localStorage, theme.
//! - [`clipboard`], [`files`], [`webgpu`]: browser APIs the UI calls.
//! - [`api`]: the `window.vramfit` JS API for docs sites.
//! - [`worker`]: the page's client of the second WebAssembly module, which
//!   runs in a Web Worker and answers [`tasks`] (the catalog searches), so
//!   their code loads on first use, off the first render's critical path.

pub mod api;
pub mod clipboard;
pub mod files;
pub mod link;
pub mod state;
pub mod tasks;

pub mod webgpu;
pub mod worker;

/// Marks the first rendered result on the page's performance timeline
/// (`vf-first-result`), once; the e2e suite reads it to time first render.
pub fn mark_first_result() {
    let Some(performance) = web_sys::window().and_then(|w| w.performance()) else {
        return;
    };
    if performance.get_entries_by_name("vf-first-result").length() == 0 {
        let _ = performance.mark("vf-first-result");
    }
}

/// Marks each recompute (`vf-update`), so e2e can time input → update.
pub fn mark_update() {
    if let Some(performance) = web_sys::window().and_then(|w| w.performance()) {
        let _ = performance.mark("vf-update");
    }
}
