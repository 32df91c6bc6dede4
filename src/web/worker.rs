//! The page's side of the worker protocol ([`super::tasks`]): the worker
//! (`vramfit-worker`, a second WebAssembly module) starts on the first
//! task, so its bytes are not on the first render's critical path; replies
//! come back to the callback given with each task.

use std::cell::RefCell;
use std::collections::HashMap;

use serde_json::{json, Value};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{MessageEvent, Worker};

/// The worker module Trunk builds (`data-type="worker"`: wasm-bindgen's
/// no-modules output, which defines `wasm_bindgen` for `importScripts`),
/// beside the page's own files.
const SCRIPT: &str = "vramfit-worker.js";
const WASM: &str = "vramfit-worker_bg.wasm";

/// Where the app's files are: `window.vramfitBase` when `api.js` loaded the
/// module into a docs site's page, else beside this page.
fn base() -> Option<String> {
    let window = web_sys::window()?;
    let from_api = js_sys::Reflect::get(&window, &"vramfitBase".into())
        .ok()
        .and_then(|v| v.as_string());
    let page = window.location().href().ok()?;
    let base = from_api.unwrap_or_else(|| "./".to_string());
    web_sys::Url::new_with_base(&base, &page)
        .ok()
        .map(|u| u.href())
}

/// A worker started from a one-line loader made here, with absolute URLs,
/// so it works whichever page (or docs site) holds the module.
fn spawn() -> Result<Worker, JsValue> {
    let base = base().ok_or_else(|| JsValue::from_str("no page address"))?;
    let loader = format!(
        "importScripts({:?});wasm_bindgen({:?});",
        format!("{base}{SCRIPT}"),
        format!("{base}{WASM}")
    );
    let parts = js_sys::Array::of1(&JsValue::from_str(&loader));
    let options = web_sys::BlobPropertyBag::new();
    options.set_type("text/javascript");
    let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
    let url = web_sys::Url::create_object_url_with_blob(&blob)?;
    Worker::new(&url)
}

type Reply = Box<dyn FnOnce(Result<Value, String>)>;

struct Client {
    worker: Worker,
    next: u64,
    pending: HashMap<u64, Reply>,
    /// The worker's module has started and set its message handler; until
    /// then messages wait in `queue` (a worker drops what arrives before
    /// its handler exists).
    ready: bool,
    queue: Vec<JsValue>,
}

thread_local! {
    static CLIENT: RefCell<Option<Client>> = const { RefCell::new(None) };
}

fn settle(message: MessageEvent) {
    let Some(text) = message.data().as_string() else {
        return;
    };
    let Ok(reply) = serde_json::from_str::<Value>(&text) else {
        return;
    };
    if reply.get("ready").is_some() {
        CLIENT.with(|c| {
            if let Some(client) = c.borrow_mut().as_mut() {
                client.ready = true;
                for message in client.queue.drain(..) {
                    let _ = client.worker.post_message(&message);
                }
            }
        });
        return;
    }
    let Some(id) = reply.get("id").and_then(Value::as_u64) else {
        return;
    };
    let done = CLIENT.with(|c| c.borrow_mut().as_mut()?.pending.remove(&id));
    if let Some(done) = done {
        let outcome = match reply.get("ok") {
            Some(ok) => Ok(ok.clone()),
            None => Err(reply
                .get("error")
                .and_then(Value::as_str)
                .unwrap_or("the worker gave no answer")
                .to_string()),
        };
        done(outcome);
    }
}

fn start() -> Result<Client, String> {
    let worker = spawn().map_err(|e| format!("could not start the worker: {e:?}"))?;
    let on_message = Closure::<dyn Fn(MessageEvent)>::new(settle);
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    let on_error = Closure::<dyn Fn(web_sys::Event)>::new(|_| {
        // Every task waiting now fails; the next task starts a new worker.
        let pending = CLIENT.with(|c| c.borrow_mut().take().map(|c| c.pending));
        for (_, done) in pending.into_iter().flatten() {
            done(Err(
                "the worker module stopped unexpectedly; try again".to_string()
            ));
        }
    });
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    on_error.forget();
    Ok(Client {
        worker,
        next: 0,
        pending: HashMap::new(),
        ready: false,
        queue: Vec::new(),
    })
}

/// Sends `task` with `request` (the JS API's object) to the worker,
/// starting it first if needed; `done` gets the result or the error.
pub fn call(task: &str, request: Value, done: impl FnOnce(Result<Value, String>) + 'static) {
    send(
        |id| {
            Ok(JsValue::from_str(
                &json!({"id": id, "task": task, "request": request}).to_string(),
            ))
        },
        Box::new(done),
    );
}

/// Sends dropped files to the worker to read ([`super::files::answer_drop`]),
/// with what the page holds; `done` gets what they turned into.
pub fn read_drop(
    files: Vec<web_sys::File>,
    current: &super::files::Current,
    done: impl FnOnce(Result<Value, String>) + 'static,
) {
    let current = serde_json::to_string(current).unwrap_or_default();
    send(
        move |id| {
            let message = js_sys::Object::new();
            let list: js_sys::Array = files.iter().collect();
            for (key, value) in [
                ("id", JsValue::from_f64(id as f64)),
                ("task", JsValue::from_str(super::files::DROP)),
                ("files", list.into()),
                ("current", JsValue::from_str(&current)),
            ] {
                js_sys::Reflect::set(&message, &key.into(), &value)?;
            }
            Ok(message.into())
        },
        Box::new(done),
    );
}

/// Numbers a message (`message` makes it from its id), posts it or holds
/// it until the worker is ready, and keeps `done` for the reply.
fn send(message: impl FnOnce(u64) -> Result<JsValue, JsValue>, done: Reply) {
    let mut done = Some(done);
    let sent = CLIENT.with(|cell| {
        let mut cell = cell.borrow_mut();
        if cell.is_none() {
            *cell = Some(start()?);
        }
        let client = cell.as_mut().ok_or("no worker")?;
        client.next += 1;
        let id = client.next;
        let message = message(id).map_err(|e| format!("could not build the message: {e:?}"))?;
        if client.ready {
            client
                .worker
                .post_message(&message)
                .map_err(|e| format!("could not reach the worker: {e:?}"))?;
        } else {
            client.queue.push(message);
        }
        if let Some(done) = done.take() {
            client.pending.insert(id, done);
        }
        Ok::<(), String>(())
    });
    if let (Err(e), Some(done)) = (sent, done.take()) {
        done(Err(e));
    }
}
