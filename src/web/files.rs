//! Reading what people drop on the page. A `config.json` is read whole (a
//! few KB). Model files are read in growing slices with `File.slice` — 1 MiB
//! first, then what the header parser asks for — so a 400 GB GGUF costs a
//! few MB of reading, never the tensor data. A GGUF model and its vision
//! projector (`mmproj-*.gguf`) are dropped together, or the projector alone
//! onto a GGUF model already imported. The worker module does the reading
//! ([`answer_drop`]); the page keeps only [`files_of`] and the result.

use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::import::file::{
    gguf_format, gguf_import, projector_of, safetensors_import, with_mmproj,
};
use crate::import::gguf::{check_offsets, parse_gguf, GgufError};
use crate::import::mmproj::is_mmproj;
use crate::import::safetensors::{parse_index, parse_safetensors, SafetensorsError};
use crate::units::{mib, params};

/// What a drop turned into (read in the worker module, sent to the page as
/// JSON).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Dropped {
    /// A Hugging Face `config.json`.
    Config(String),
    /// An import document from model files, the weight format they fix, the
    /// engine family they are for, and the header bytes read.
    Model {
        document: String,
        weights: Option<String>,
        gguf: bool,
        bytes_read: u64,
        summary: String,
    },
    /// Nothing usable, with why.
    Nothing(String),
}

/// Largest JSON file read whole.
const MAX_JSON: f64 = 4.0 * 1024.0 * 1024.0;

async fn read_bytes(file: &web_sys::File, end: f64) -> Result<Vec<u8>, String> {
    let blob = file
        .slice_with_f64_and_f64(0.0, end)
        .map_err(|_| format!("{}: cannot be read", file.name()))?;
    let buffer = JsFuture::from(blob.array_buffer())
        .await
        .map_err(|_| format!("{}: reading failed", file.name()))?;
    Ok(js_sys::Uint8Array::new(&buffer).to_vec())
}

/// A dropped log or inventory as text (at most 4 MB: logs are read whole).
pub async fn read_log(file: &web_sys::File) -> Result<String, String> {
    text_of(file, 4e6, "paste the part with the load lines").await
}

async fn read_text(file: &web_sys::File) -> Result<String, String> {
    text_of(file, MAX_JSON, "too large for a JSON file").await
}

/// A file's text, refused past `limit` bytes with `why`.
async fn text_of(file: &web_sys::File, limit: f64, why: &str) -> Result<String, String> {
    if file.size() > limit {
        return Err(format!(
            "{} is {:.1} MB: {why}",
            file.name(),
            file.size() / 1e6
        ));
    }
    let text = JsFuture::from(file.text())
        .await
        .map_err(|_| format!("{}: reading failed", file.name()))?;
    text.as_string()
        .ok_or_else(|| format!("{}: not text", file.name()))
}

/// Reads the start of `file` until `parse` succeeds; returns the value and
/// the bytes read.
async fn read_header<T, E: std::fmt::Display>(
    file: &web_sys::File,
    parse: impl Fn(&[u8]) -> Result<T, E>,
    need_more: impl Fn(&E) -> Option<u64>,
) -> Result<(T, u64), String> {
    let size = file.size();
    let mut want = (1024.0 * 1024.0f64).min(size);
    loop {
        let bytes = read_bytes(file, want).await?;
        match parse(&bytes) {
            Ok(value) => return Ok((value, bytes.len() as u64)),
            Err(e) => match need_more(&e) {
                Some(need) if (need as f64) <= size && (need as f64) > want => {
                    want = (need as f64).max(want * 2.0).min(size);
                }
                _ => return Err(format!("{}: {e}", file.name())),
            },
        }
    }
}

/// What the page holds when files are dropped.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Current {
    /// The config.json to use for safetensors dropped without one.
    pub architecture: String,
    /// The request's config: an import document when a model file was
    /// dropped before (a projector dropped alone joins it).
    pub config: String,
}

/// Turns dropped files into a config or an import document. The worker
/// module runs it (`src/worker.rs`, a [`DROP`] message): the GGUF,
/// safetensors and projector readers are not in the page's module.
async fn read_drop(files: Vec<web_sys::File>, current: Current) -> Dropped {
    match read_files(files, current).await {
        Ok(dropped) => dropped,
        Err(why) => Dropped::Nothing(why),
    }
}

/// The task name of a drop message: `{id, task: "drop", files: [File…],
/// current: "{…}"}` — a JS object, since files cannot travel as text (the
/// worker reads their slices itself).
pub const DROP: &str = "drop";

/// The worker's side of a drop message: its id and the reply text
/// (`{"id", "ok": Dropped}`); `None` when `data` is not one.
pub async fn answer_drop(data: &wasm_bindgen::JsValue) -> Option<String> {
    let field = |name: &str| js_sys::Reflect::get(data, &name.into()).ok();
    if field("task")?.as_string()? != DROP {
        return None;
    }
    let id = field("id")?.as_f64()?;
    let current = field("current")
        .and_then(|c| c.as_string())
        .and_then(|c| serde_json::from_str(&c).ok())
        .unwrap_or_default();
    let files: Vec<web_sys::File> = js_sys::Array::from(&field("files")?)
        .iter()
        .filter_map(|f| f.dyn_into().ok())
        .collect();
    let dropped = read_drop(files, current).await;
    Some(serde_json::json!({"id": id as u64, "ok": dropped}).to_string())
}

async fn read_files(files: Vec<web_sys::File>, current: Current) -> Result<Dropped, String> {
    let lower = |f: &web_sys::File| f.name().to_ascii_lowercase();
    let ggufs: Vec<&web_sys::File> = files
        .iter()
        .filter(|f| lower(f).ends_with(".gguf"))
        .collect();
    let shards: Vec<&web_sys::File> = files
        .iter()
        .filter(|f| lower(f).ends_with(".safetensors"))
        .collect();
    let index = files.iter().find(|f| lower(f).ends_with(".index.json"));
    let config = files
        .iter()
        .find(|f| lower(f).ends_with(".json") && !lower(f).ends_with(".index.json"));
    let mut read = 0u64;
    if !ggufs.is_empty() {
        let mut headers = Vec::new();
        for file in ggufs {
            let (header, bytes) = read_header(file, parse_gguf, GgufError::need_more).await?;
            check_offsets(&header, file.size() as u64)
                .map_err(|e| format!("{}: {e}", file.name()))?;
            read += bytes;
            headers.push((file.name(), header));
        }
        let projector_alone = matches!(headers.as_slice(), [(_, h)] if is_mmproj(h));
        let (document, weights, mut summary) = match headers.as_slice() {
            [(name, header)] if projector_alone && current.config.contains("vramfit_import") => (
                with_mmproj(&current.config, name, header).map_err(|e| e.to_string())?,
                None,
                format!("{name} added to the imported model"),
            ),
            _ => (
                gguf_import(&headers).map_err(|e| e.to_string())?,
                gguf_format(&headers),
                format!(
                    "{} GGUF file(s), {} tensors",
                    headers.len(),
                    headers.iter().map(|(_, h)| h.tensors.len()).sum::<usize>()
                ),
            ),
        };
        if let Some((_, n, bytes)) = projector_of(&document) {
            summary.push_str(&format!(
                " + vision projector: {} params, {}",
                params(n),
                mib(bytes)
            ));
        }
        return Ok(Dropped::Model {
            document,
            weights,
            gguf: true,
            bytes_read: read,
            summary,
        });
    }
    let config_text = match config {
        Some(f) => Some(read_text(f).await?),
        None => None,
    };
    if shards.is_empty() {
        if let Some(f) = index {
            let text = read_text(f).await?;
            let index = parse_index(&text).map_err(|e| format!("{}: {e}", f.name()))?;
            let list = index.files().join(", ");
            return Err(format!(
                "{} lists {list}: drop those .safetensors files together with it",
                f.name()
            ));
        }
        return match config_text {
            Some(text) => Ok(Dropped::Config(text)),
            None => Err("drop a config.json, .gguf or .safetensors file".into()),
        };
    }
    let mut headers = Vec::new();
    for file in shards {
        let (header, bytes) =
            read_header(file, parse_safetensors, SafetensorsError::need_more).await?;
        read += bytes;
        headers.push((file.name(), header));
    }
    let architecture = config_text.unwrap_or(current.architecture);
    let document = safetensors_import(&architecture, &headers).map_err(|e| e.to_string())?;
    let summary = format!(
        "{} safetensors file(s), {} tensors",
        headers.len(),
        headers.iter().map(|(_, h)| h.tensors.len()).sum::<usize>()
    );
    Ok(Dropped::Model {
        document,
        weights: None,
        gguf: false,
        bytes_read: read,
        summary,
    })
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
