//! Any bytes through the GGUF header reader and the importer: never a
//! panic, and a parsed header always describes tensors that fit its counts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::import::file::gguf_import;
use vramfit::import::gguf::{check_offsets, parse_gguf};

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_gguf(data) {
        let _ = check_offsets(&header, data.len() as u64);
        assert!(header.header_bytes <= data.len() as u64);
        if let Ok(doc) = gguf_import(&[("fuzz.gguf".into(), header)]) {
            let _ = vramfit::import::parse_config(&doc).map(|i| i.spec.params());
        }
    }
});
