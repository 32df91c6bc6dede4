//! Reading what people drop on the page. A `config.json` is read whole (it
//! is a few KB); model files are only named here — reading GGUF and
//! safetensors headers in growing slices comes with the import readers.

use wasm_bindgen::JsCast;

/// What a dropped or chosen file is.
#[derive(Debug, Clone, PartialEq)]
pub enum Dropped {
    /// A Hugging Face `config.json` (or any `.json` that is not an index).
    Config(String),
    /// A `.gguf`, `.safetensors` or `model.safetensors.index.json`: the
    /// header reader is not in this build yet.
    ModelFile { name: String, size: f64 },
    /// Something else.
    Other(String),
}

/// Largest JSON file read whole.
const MAX_JSON: f64 = 4.0 * 1024.0 * 1024.0;

/// Classifies and reads one file.
pub async fn read(file: web_sys::File) -> Dropped {
    let name = file.name();
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".gguf") || lower.ends_with(".safetensors") || lower.ends_with(".index.json")
    {
        return Dropped::ModelFile {
            name,
            size: file.size(),
        };
    }
    if lower.ends_with(".json") && file.size() <= MAX_JSON {
        let text = wasm_bindgen_futures::JsFuture::from(file.text()).await;
        return match text.ok().and_then(|t| t.as_string()) {
            Some(text) => Dropped::Config(text),
            None => Dropped::Other(name),
        };
    }
    Dropped::Other(name)
}

/// The files of a drop or a file input change event.
pub fn files_of(event: &web_sys::Event) -> Vec<web_sys::File> {
    let list = if let Some(drag) = event.dyn_ref::<web_sys::DragEvent>() {
        drag.data_transfer().and_then(|d| d.files())
    } else {
        event
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .and_then(|input| input.files())
    };
    let Some(list) = list else {
        return Vec::new();
    };
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}
