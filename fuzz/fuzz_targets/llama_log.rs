//! Any text through the llama.cpp / Ollama load-log parser and the model
//! it describes: never a panic, never an unbounded allocation.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::import::llama_log::{model_document, parse};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let log = parse(&text);
    let _ = model_document(&log);
});
