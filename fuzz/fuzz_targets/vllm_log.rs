//! Any text through the vLLM startup-log and launch-command readers: never
//! a panic, and what they promise about bounds holds.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::import::vllm_log::{parse, parse_command, MAX_LINES};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let log = parse(&text);
    assert!(log.lines <= MAX_LINES);
    assert!(log.unrecognised.samples.len() <= log.unrecognised.count);
    let _ = serde_json::to_string(&log);
    let cmd = parse_command(&text);
    let _ = serde_json::to_string(&cmd);
});
