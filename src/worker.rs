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
        let message = event.data().as_string().unwrap_or_default();
        let reply = vramfit::web::tasks::answer(&message);
        let _ = replies.post_message(&JsValue::from_str(&reply));
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    // Tells the page the handler is set: a worker drops messages that
    // arrive before, so the page holds its tasks until this.
    let _ = scope.post_message(&JsValue::from_str(r#"{"ready":true}"#));
}
