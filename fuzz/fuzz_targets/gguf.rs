//! Any bytes through the GGUF header reader and the importer: never a
//! panic, and a parsed header always describes tensors that fit its counts.
//! A header that says it is a vision projector (`mmproj`) is also read as
//! one, paired with a model of the width it claims and with the sample
//! model, and the document read back.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use vramfit::import::file::{gguf_import, samples};
use vramfit::import::gguf::{check_offsets, parse_gguf, GgufHeader};
use vramfit::import::mmproj::{distill, is_mmproj, read};

fn sample_model() -> &'static GgufHeader {
    static MODEL: OnceLock<GgufHeader> = OnceLock::new();
    MODEL.get_or_init(|| parse_gguf(&samples::gguf_q4_k_m()).expect("sample model"))
}

fuzz_target!(|data: &[u8]| {
    if let Ok(header) = parse_gguf(data) {
        let _ = check_offsets(&header, data.len() as u64);
        assert!(header.header_bytes <= data.len() as u64);
        if is_mmproj(&header) {
            if let Ok(m) = distill("fuzz.gguf", &header) {
                let _ = read(&m, m.output_width()).map(|r| r.vision.tokens.max_per_image());
            }
            let pair = [
                ("model.gguf".to_string(), sample_model().clone()),
                ("fuzz.gguf".to_string(), header.clone()),
            ];
            if let Ok(doc) = gguf_import(&pair) {
                let _ = vramfit::import::parse_config(&doc).map(|i| i.spec.params());
            }
        }
        if let Ok(doc) = gguf_import(&[("fuzz.gguf".into(), header)]) {
            let _ = vramfit::import::parse_config(&doc).map(|i| i.spec.params());
        }
    }
});
