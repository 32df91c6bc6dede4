//! What the CLI tests share: the built `vramfit` binary run as a person
//! runs it.

use std::io::Write;
use std::process::{Command, Stdio};

use serde_json::Value;

/// `(exit status success, stdout, stderr)` of `vramfit SUBCOMMAND ARGS`,
/// with `stdin` piped in.
pub fn vramfit(subcommand: &str, args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vramfit"))
        .arg(subcommand)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vramfit");
    if let Some(mut input) = child.stdin.take() {
        input.write_all(stdin.as_bytes()).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for vramfit");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The JSON `vramfit SUBCOMMAND ARGS --json` prints; fails the test on an error.
#[allow(dead_code)] // not every test file reads JSON
pub fn vramfit_json(subcommand: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.push("--json");
    let (ok, out, err) = vramfit(subcommand, &all, "");
    assert!(ok, "{err}");
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}"))
}
