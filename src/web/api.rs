//! `window.vramfit` for docs sites: `plan(input)`, `train(input)`,
//! `compare([input…])` and `params(config)` take and return plain JSON
//! objects — the same schema as the CLI's `--json`; `fit(input)`,
//! `buy(input)` and `check(input)` return Promises of theirs (the searches
//! and the log and command readers run in the worker module).
//! Values cross the boundary as JSON text (`JSON.stringify` / `JSON.parse`)
//! rather than through serde-wasm-bindgen: the report's serializers are then
//! the ones the CLI and the JSON export already use, which keeps the page
//! smaller. Bad input throws an `Error` whose message says which field is
//! wrong; it never panics.

use js_sys::{Object, Reflect};
use serde::Serialize;
use wasm_bindgen::prelude::*;

use crate::estimate::catalog::find;
use crate::import::parse_config;
use crate::report::train::{train_report, TrainRequest};
use crate::report::{report, Request};

fn to_js<T: Serialize>(value: &T) -> Result<JsValue, JsValue> {
    let text = serde_json::to_string(value).map_err(|e| error(e.to_string()))?;
    js_sys::JSON::parse(&text)
}

fn from_js(value: &JsValue) -> Result<serde_json::Value, JsValue> {
    let text: String = js_sys::JSON::stringify(value)?.into();
    serde_json::from_str(&text).map_err(|e| error(e.to_string()))
}

fn error(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}

/// `vramfit.plan({model, gpus, engine, weights, kv, ctx, batch, …})` → the
/// CLI's `plan --json` object.
pub fn plan_js(input: JsValue) -> Result<JsValue, JsValue> {
    let value = from_js(&input)?;
    let request = Request::from_json(&value).map_err(error)?;
    let r = report(&request).map_err(|e| error(format!("{}: {e}", e.field())))?;
    to_js(&r)
}

/// `vramfit.train({model, gpus, method, optimizer, micro_batch, seq, …})`
/// → the fine-tuning report (`devices[i].peak_bytes`, `max_seq`, …). Bad
/// input throws one `Error` naming every faulty field.
pub fn train_js(input: JsValue) -> Result<JsValue, JsValue> {
    let value = from_js(&input)?;
    let request = TrainRequest::from_json(&value).map_err(error)?;
    let r = train_report(&request).map_err(|all| {
        let each: Vec<String> = all.iter().map(|e| format!("{}: {e}", e.field())).collect();
        error(each.join("; "))
    })?;
    to_js(&r)
}

/// `vramfit.params(config)` with a `config.json` object (or its text, or a
/// catalog id) → `{total, active, embedding, per_layer}`.
pub fn params_js(config: JsValue) -> Result<JsValue, JsValue> {
    let imported = match config.as_string() {
        Some(text) if !text.trim_start().starts_with('{') => find(&text)
            .map_err(|e| error(e.to_string()))?
            .load()
            .map_err(|e| error(e.to_string()))?,
        Some(text) => parse_config(&text).map_err(|e| error(e.to_string()))?,
        None => {
            let value = from_js(&config)?;
            parse_config(&value.to_string()).map_err(|e| error(e.to_string()))?
        }
    };
    to_js(&imported.spec.params())
}

/// `vramfit.compare([{…}, {…}])` (each `plan()`'s input) → `{setups,
/// differs}`: each setup's headline (fits, context, sequences, speed, list
/// price) and the fields whose values differ.
pub fn compare_js(input: JsValue) -> Result<JsValue, JsValue> {
    let value = from_js(&input)?;
    let list = value.as_array().ok_or_else(|| {
        error("compare: give a list of setups, e.g. [{model, gpus}, {model, gpus}]")
    })?;
    let requests = list
        .iter()
        .enumerate()
        .map(|(n, v)| Request::from_json(v).map_err(|e| error(format!("setup {}: {e}", n + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    to_js(&crate::report::compare::compare(&requests))
}

/// `vramfit.fit({gpus, engine, ctx, batch, family, moe, min_ctx, formats})`,
/// `vramfit.buy({model, weights, ctx, max_gpus, machines, mode, prices,
/// …})` and `vramfit.check({text, gpus?, model?})` (also `command` or `log`
/// for `text`) → a Promise of the CLI's `fit --json` / `buy --json` /
/// `check --json` object. They run in the worker module, loaded on the
/// first call.
fn worker_js(task: &'static str, input: JsValue) -> js_sys::Promise {
    let request = from_js(&input);
    js_sys::Promise::new(&mut |resolve, reject| match &request {
        Ok(request) => {
            let (resolve, reject) = (resolve.clone(), reject.clone());
            super::worker::call(task, request.clone(), move |answer| {
                let outcome = answer
                    .map_err(error)
                    .and_then(|v| js_sys::JSON::parse(&v.to_string()));
                let _ = match outcome {
                    Ok(v) => resolve.call1(&JsValue::NULL, &v),
                    Err(e) => reject.call1(&JsValue::NULL, &e),
                };
            });
        }
        Err(e) => {
            let _ = reject.call1(&JsValue::NULL, e);
        }
    })
}

/// Puts `{plan, train, params, check, compare, fit, buy, version}` on
/// `window.vramfit` and fires a `vramfit:ready` event.
pub fn install() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let api = Object::new();
    let plan = Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(plan_js).into_js_value();
    let params =
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(params_js).into_js_value();
    let _ = Reflect::set(&api, &"plan".into(), &plan);
    let train =
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(train_js).into_js_value();
    let _ = Reflect::set(&api, &"train".into(), &train);
    let _ = Reflect::set(&api, &"params".into(), &params);
    let check =
        Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(|input| worker_js("check", input))
            .into_js_value();
    let _ = Reflect::set(&api, &"check".into(), &check);
    let compare =
        Closure::<dyn Fn(JsValue) -> Result<JsValue, JsValue>>::new(compare_js).into_js_value();
    let _ = Reflect::set(&api, &"compare".into(), &compare);
    let fit = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(|input| worker_js("fit", input))
        .into_js_value();
    let _ = Reflect::set(&api, &"fit".into(), &fit);
    let buy = Closure::<dyn Fn(JsValue) -> js_sys::Promise>::new(|input| worker_js("buy", input))
        .into_js_value();
    let _ = Reflect::set(&api, &"buy".into(), &buy);
    let _ = Reflect::set(&api, &"version".into(), &env!("CARGO_PKG_VERSION").into());
    let _ = Reflect::set(&window, &"vramfit".into(), &api);
    if let Ok(event) = web_sys::Event::new("vramfit:ready") {
        let _ = window.dispatch_event(&event);
    }
}
