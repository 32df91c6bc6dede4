//! Copying text (commands, links, the embed snippet) to the clipboard.

/// Copies `text`; resolves to whether the browser accepted it.
pub async fn copy(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let promise = window.navigator().clipboard().write_text(text);
    wasm_bindgen_futures::JsFuture::from(promise).await.is_ok()
}
