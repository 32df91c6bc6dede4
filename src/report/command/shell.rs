//! Shell commands: which tool a command's words run, with what arguments
//! and environment. The words come from [`crate::import::words`].

use super::*;

/// `NAME=value` with a shell variable name.
pub(super) fn assignment(word: &str) -> Option<(&str, &str)> {
    let word = word.strip_prefix("$env:").unwrap_or(word);
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((name, value))
}

pub(super) fn is_env_only(words: &[String]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(i, w)| assignment(w).is_some() || (i == 0 && matches!(w.as_str(), "export" | "set")))
}

/// The program's name without its folder, `.exe`, `.py` or case.
pub(super) fn program(word: &str) -> String {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let lower = base.to_ascii_lowercase();
    lower
        .strip_suffix(".exe")
        .or_else(|| lower.strip_suffix(".py"))
        .unwrap_or(&lower)
        .to_string()
}

/// Whether a command's first words name a tool; returns it and its arguments.
pub(super) fn recognise(words: &[String], p: &mut Parser) -> Option<(Tool, Vec<String>)> {
    let mut rest: &[String] = words;
    // Environment assignments and wrappers before the program.
    loop {
        let first = rest.first()?;
        if assignment(first).is_some() {
            rest = &rest[1..];
            continue;
        }
        match first.as_str() {
            "nohup" | "exec" | "time" | "env" | "command" | "stdbuf" | "export" | "set" => {
                rest = &rest[1..]
            }
            "sudo" => {
                rest = &rest[1..];
                while rest.first().is_some_and(|w| w.starts_with('-')) {
                    rest = &rest[1..];
                }
            }
            "uv" | "poetry" | "pipenv" if rest.get(1).is_some_and(|w| w == "run") => {
                rest = &rest[2..]
            }
            "!" | "%" | "PS" => rest = &rest[1..],
            _ => break,
        }
    }
    // A prompt before the command: `(venv) user@host:~$`, `[root@box bin]#`,
    // `PS C:\llama>`.
    if let Some(at) = rest
        .iter()
        .take(6)
        .position(|w| w.len() > 1 && w.ends_with(['$', '#', '>']))
    {
        if at + 1 < rest.len() {
            rest = &rest[at + 1..];
        }
    }
    // A wrapper the list above does not know (`bwrap … ./llama-bench`,
    // `srun … vllm serve`): the first word naming a tool unambiguously.
    let named = |w: &String| {
        matches!(
            program(w).as_str(),
            "llama-server" | "llama-cli" | "llama-bench" | "vllm" | "ollama"
        )
    };
    if !rest.first().is_some_and(named) {
        if let Some(at) = rest.iter().position(named) {
            rest = &rest[at..];
        }
    }
    let name = program(rest.first()?);
    let args = |from: usize| rest.get(from..).unwrap_or_default().to_vec();
    let tool = match name.as_str() {
        "llama-server" | "server" | "llama-server-cuda" => Tool::LlamaServer,
        "llama-cli" | "main" | "llama-mtmd-cli" | "llama-run" | "llama-simple" => Tool::LlamaCli,
        "llama-bench" => Tool::LlamaBench,
        "ollama" => return Some((Tool::Ollama, args(1))),
        "vllm" if rest.get(1).is_some_and(|w| w == "serve") => return Some((Tool::Vllm, args(2))),
        "python" | "python3" | "py" => {
            if rest.get(1).is_some_and(|w| w == "-m") {
                let module = rest.get(2)?;
                if module.starts_with("vllm.entrypoints") {
                    return Some((Tool::Vllm, args(3)));
                }
                return None;
            }
            let script = rest.get(1).map(|w| program(w)).unwrap_or_default();
            let split = rest.iter().any(|w| {
                let f = w.split('=').next().unwrap_or(w);
                matches!(f, "-gs" | "--gpu_split" | "--gpu-split")
            });
            if split || matches!(script.as_str(), "test_inference" | "chat") {
                return Some((Tool::ExLlamaV2, args(2)));
            }
            return None;
        }
        "docker" | "podman" | "nerdctl" => return docker(rest, p),
        _ => return None,
    };
    Some((tool, args(1)))
}

/// `docker run [options] IMAGE [args]`: `-e` sets environment; the image
/// says which tool reads the arguments.
pub(super) fn docker(words: &[String], p: &mut Parser) -> Option<(Tool, Vec<String>)> {
    let run = words.iter().position(|w| w == "run")?;
    let mut i = run + 1;
    const BOOLEAN: &[&str] = &[
        "-d",
        "--rm",
        "-it",
        "-ti",
        "-i",
        "-t",
        "--privileged",
        "--init",
        "--detach",
        "--interactive",
        "--tty",
    ];
    while let Some(w) = words.get(i) {
        if !w.starts_with('-') {
            break;
        }
        let (flag, inline) = match w.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_string())),
            _ => (w.as_str(), None),
        };
        i += 1;
        if BOOLEAN.contains(&flag) {
            continue;
        }
        let value = match inline {
            Some(v) => v,
            None => {
                i += 1;
                words.get(i - 1).cloned().unwrap_or_default()
            }
        };
        match flag {
            "-e" | "--env" => p.env_assign(&value),
            "--gpus" => p.note(format!("docker --gpus {value}")),
            _ => {}
        }
    }
    let image = words.get(i)?.to_ascii_lowercase();
    let args = words.get(i + 1..).unwrap_or_default().to_vec();
    if image.contains("vllm") {
        let args = match args.first().map(String::as_str) {
            Some("vllm") if args.get(1).is_some_and(|a| a == "serve") => args[2..].to_vec(),
            Some("serve") => args[1..].to_vec(),
            _ => args,
        };
        Some((Tool::Vllm, args))
    } else if image.contains("llama.cpp")
        || image.contains("llama-cpp")
        || image.contains("llamacpp")
    {
        let args = match args.first().map(String::as_str) {
            Some("--server" | "-s") => args[1..].to_vec(),
            Some("--run" | "-r") => return Some((Tool::LlamaCli, args[1..].to_vec())),
            Some("--bench" | "-b") => return Some((Tool::LlamaBench, args[1..].to_vec())),
            _ => args,
        };
        Some((Tool::LlamaServer, args))
    } else if image.contains("ollama") {
        Some((Tool::Ollama, vec!["serve".into()]))
    } else if image.contains("tabby") {
        Some((Tool::ExLlamaV2, args))
    } else {
        None
    }
}
