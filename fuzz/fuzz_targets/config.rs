//! Any text through the config.json importer and, when it parses, the
//! whole estimate: never a panic, never an overflow.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::estimate::{estimate, RunSettings};
use vramfit::import::parse_config;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(imported) = parse_config(text) {
        let spec = imported.spec;
        let _ = spec.params();
        let _ = estimate(&spec, &RunSettings::default());
    }
});
