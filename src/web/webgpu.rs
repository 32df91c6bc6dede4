//! The WebGPU hint: what `navigator.gpu.requestAdapter()` reveals about the
//! user's GPU (vendor, architecture, description, fallback flag, limits) for
//! both power preferences. Browsers never reveal memory size. Read through
//! `js_sys::Reflect` so no unstable web-sys bindings are needed.

use js_sys::{Object, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// One adapter's description.
#[derive(Debug, Clone, PartialEq)]
pub struct Adapter {
    pub power_preference: &'static str,
    pub vendor: String,
    pub architecture: String,
    pub description: String,
    pub device: String,
    pub is_fallback: bool,
    pub max_buffer_size: f64,
    pub max_storage_buffer_binding_size: f64,
}

/// What probing found.
#[derive(Debug, Clone, PartialEq)]
pub enum Probe {
    /// `navigator.gpu` is missing: this browser has no WebGPU (or it is off,
    /// or the page is not a secure context).
    NoWebGpu,
    /// WebGPU exists but the browser offered no adapter (blocklisted GPU,
    /// disabled hardware acceleration, headless without a GPU).
    NoAdapter,
    Adapters(Vec<Adapter>),
}

fn get(target: &JsValue, key: &str) -> JsValue {
    Reflect::get(target, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

fn text(target: &JsValue, key: &str) -> String {
    get(target, key).as_string().unwrap_or_default()
}

async fn adapter(gpu: &JsValue, power_preference: &'static str) -> Option<Adapter> {
    let options = Object::new();
    Reflect::set(
        &options,
        &"powerPreference".into(),
        &power_preference.into(),
    )
    .ok()?;
    let request: js_sys::Function = get(gpu, "requestAdapter").dyn_into().ok()?;
    let promise: js_sys::Promise = request.call1(gpu, &options).ok()?.dyn_into().ok()?;
    let adapter = JsFuture::from(promise).await.ok()?;
    if adapter.is_null() || adapter.is_undefined() {
        return None;
    }
    let info = get(&adapter, "info");
    let limits = get(&adapter, "limits");
    let fallback = get(&adapter, "isFallbackAdapter")
        .as_bool()
        .or_else(|| get(&info, "isFallbackAdapter").as_bool());
    Some(Adapter {
        power_preference,
        vendor: text(&info, "vendor"),
        architecture: text(&info, "architecture"),
        description: text(&info, "description"),
        device: text(&info, "device"),
        is_fallback: fallback.unwrap_or(false),
        max_buffer_size: get(&limits, "maxBufferSize").as_f64().unwrap_or(0.0),
        max_storage_buffer_binding_size: get(&limits, "maxStorageBufferBindingSize")
            .as_f64()
            .unwrap_or(0.0),
    })
}

/// Asks for a high-performance and a low-power adapter.
pub async fn probe() -> Probe {
    let Some(window) = web_sys::window() else {
        return Probe::NoWebGpu;
    };
    let gpu = get(&window.navigator(), "gpu");
    if gpu.is_undefined() || gpu.is_null() {
        return Probe::NoWebGpu;
    }
    let mut found = Vec::new();
    for power in ["high-performance", "low-power"] {
        if let Some(a) = adapter(&gpu, power).await {
            found.push(a);
        }
    }
    if found.is_empty() {
        Probe::NoAdapter
    } else {
        Probe::Adapters(found)
    }
}
