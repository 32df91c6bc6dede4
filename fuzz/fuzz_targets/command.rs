//! Any text through the command-line parser: never a panic, and what it
//! returns is bounded by the input (the `ignored` and `notes` lists are
//! capped) and serialises.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::report::command::parse_command;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let parsed = parse_command(&text);
    assert!(parsed.ignored.len() <= 201 && parsed.notes.len() <= 200);
    let _ = serde_json::to_string(&parsed);
});
