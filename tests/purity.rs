//! The core invariant: the pure modules import nothing from the browser
//! stack, read no clock and use no randomness.
//!
//! This test reads the source tree (it is about the source, not behaviour).

use std::fs;
use std::path::{Path, PathBuf};

const PURE: &[&str] = &[
    "src/estimate",
    "src/plan",
    "src/launch",
    "src/report",
    "src/import",
    "src/train",
    "src/search",
    "src/units.rs",
];

const FORBIDDEN: &[&str] = &[
    "leptos",
    "web_sys",
    "js_sys",
    "gloo",
    "wasm_bindgen",
    "std::time",
    "Instant::",
    "SystemTime",
    "rand::",
    "getrandom",
];

fn rust_files(path: &Path, out: &mut Vec<PathBuf>) {
    if path.is_dir() {
        let mut entries: Vec<_> = fs::read_dir(path)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for entry in entries {
            rust_files(&entry, out);
        }
    } else if path.extension().is_some_and(|e| e == "rs") {
        out.push(path.to_path_buf());
    }
}

#[test]
fn pure_modules_import_nothing_from_the_browser_a_clock_or_randomness() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    for dir in PURE {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(
        files.len() >= 10,
        "expected the pure modules' files, found {}",
        files.len()
    );
    let mut offences = Vec::new();
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        for (n, line) in text.lines().enumerate() {
            let code = line.split("//").next().unwrap_or("");
            for word in FORBIDDEN {
                if code.contains(word) {
                    offences.push(format!(
                        "{}:{}: {word}",
                        file.strip_prefix(root).unwrap().display(),
                        n + 1
                    ));
                }
            }
        }
    }
    assert!(
        offences.is_empty(),
        "pure modules must stay pure:\n{}",
        offences.join("\n")
    );
}

#[test]
fn the_purity_check_catches_an_import() {
    // Guards the guard: the same scan flags a line that imports leptos.
    let line = "use leptos::prelude::*;";
    assert!(FORBIDDEN.iter().any(|w| line.contains(w)));
}
