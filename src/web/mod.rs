//! Browser glue only: nothing here computes a number shown to the user.

pub mod link;

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
