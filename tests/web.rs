//! In-browser tests of the mounted app (wasm-bindgen-test in headless Chrome).
//!
//! Run with `cargo test --target wasm32-unknown-unknown --test web`; `./test`
//! does. Natively this file compiles to nothing.
#![cfg(target_arch = "wasm32")]

use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Event, HtmlElement, HtmlInputElement};

wasm_bindgen_test_configure!(run_in_browser);

/// Mounts the app into a fresh container and returns it.
fn mount() -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: HtmlElement = document.create_element("div").unwrap().unchecked_into();
    document.body().unwrap().append_child(&root).unwrap();
    leptos::mount::mount_to(root.clone(), vramfit::ui::App).forget();
    root
}

fn type_into(root: &HtmlElement, selector: &str, value: &str) {
    let input: HtmlInputElement = root
        .query_selector(selector)
        .unwrap()
        .unwrap()
        .unchecked_into();
    input.set_value(value);
    input.dispatch_event(&Event::new("input").unwrap()).unwrap();
}

#[wasm_bindgen_test]
async fn the_default_setup_renders_a_real_plan() {
    let root = mount();
    leptos::task::tick().await;
    let text = root.text_content().unwrap();
    assert!(text.contains("Fits on 2 GPUs"), "{text}");
    assert!(text.contains("8,030,261,248"), "{text}");
    assert!(text.contains("llama-server"), "{text}");
}

#[wasm_bindgen_test]
async fn a_bad_gpu_size_shows_an_inline_error_and_recovers() {
    let root = mount();
    leptos::task::tick().await;
    type_into(&root, "input.vf-gpu__device", "-8");
    leptos::task::tick().await;
    let error = root
        .query_selector("[data-testid=gpus-error]")
        .unwrap()
        .unwrap()
        .text_content()
        .unwrap();
    assert_eq!(error, "GPU '2x-8': size must not be negative");
    type_into(&root, "input.vf-gpu__count", "1");
    type_into(&root, "input.vf-gpu__device", "80GiB");
    leptos::task::tick().await;
    let text = root.text_content().unwrap();
    assert!(text.contains("Fits on 1 GPU"), "{text}");
}
