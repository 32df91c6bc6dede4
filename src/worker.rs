//! The Web Worker's WebAssembly entry: answers the page's task messages
//! ([`vramfit::web::tasks::answer`]) — the catalog searches, the log and
//! command readers of "check my setup", and what else the first render does
//! not need — so their code is not in the page's module and their work is
//! off the main thread.

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

fn main() {
    console_error_panic_hook::set_once();
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let replies = scope.clone();
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(move |event: MessageEvent| {
        let data = event.data();
        match data.as_string() {
            Some(message) => {
                let reply = vramfit::web::tasks::answer(&message);
                let _ = replies.post_message(&JsValue::from_str(&reply));
            }
            // Dropped files come as an object and are read asynchronously.
            None => {
                let replies = replies.clone();
                wasm_bindgen_futures::spawn_local(async move {
                    if let Some(reply) = vramfit::web::files::answer_drop(&data).await {
                        let _ = replies.post_message(&JsValue::from_str(&reply));
                    }
                });
            }
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Tells the page the handler is set: a worker drops messages that
    // arrive before, so the page holds its tasks until this.
    let _ = scope.post_message(&JsValue::from_str(r#"{"ready":true}"#));
}
