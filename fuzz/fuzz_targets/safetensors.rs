//! Any bytes through the safetensors header reader and the importer.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::import::file::{safetensors_import, samples};
use vramfit::import::safetensors::{check_offsets, parse_index, parse_safetensors};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_safetensors(data) {
        let _ = check_offsets(&header, data.len() as u64);
        let _ = safetensors_import(samples::CONFIG, &[("fuzz.safetensors".into(), header)]);
    }
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = parse_index(text);
    }
});
