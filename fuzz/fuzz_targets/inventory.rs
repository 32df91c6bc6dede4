//! Any text through the GPU-inventory parser: never a panic, at most 64
//! GPUs, used memory never above capacity, and the `gpus` list written from
//! them is one the request accepts.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vramfit::plan::inventory::{parse_inventory, to_gpu_list};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let gpus = parse_inventory(&text);
    assert!(gpus.len() <= 64);
    for g in &gpus {
        assert!(g.used_bytes <= g.capacity_bytes);
    }
    let list = to_gpu_list(&gpus);
    if !list.is_empty() {
        if let Err(e) = vramfit::plan::parse_gpus(&list) {
            // Sizes too large for a GPU list (over 1 PB) are the only refusal.
            assert!(e.to_string().contains("too large"), "{list}: {e}");
        }
    }
});
