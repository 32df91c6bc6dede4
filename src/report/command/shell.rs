//! Shell words: pasted text split into commands of words, and the tool each runs.

use super::*;

/// Splits text into commands of words: quotes, escapes and continuations
/// are undone; `;`, `&&`, `||`, `|`, `&` and unquoted newlines end a
/// command; `#` at the start of a word comments out the rest of the line;
/// redirections are dropped.
pub(super) fn split_commands(text: &str) -> Vec<Vec<String>> {
    let mut commands = Vec::new();
    let mut words: Vec<String> = Vec::new();
    let mut word = String::new();
    let mut in_word = false;
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    let end_word = |words: &mut Vec<String>, word: &mut String, in_word: &mut bool| {
        if *in_word {
            words.push(std::mem::take(word));
            *in_word = false;
        }
    };
    let end_command = |commands: &mut Vec<Vec<String>>, words: &mut Vec<String>| {
        let cmd = clean_command(std::mem::take(words));
        if !cmd.is_empty() {
            commands.push(cmd);
        }
    };
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        // Line continuations: `\`, `^` (cmd) or a backtick (PowerShell)
        // right before a newline.
        if matches!(c, '\\' | '^' | '`') {
            let mut j = i + 1;
            while j < chars.len() && matches!(chars[j], ' ' | '\t' | '\r') && c != '\\' {
                j += 1;
            }
            if chars.get(j) == Some(&'\r') {
                j += 1;
            }
            if chars.get(j) == Some(&'\n') {
                end_word(&mut words, &mut word, &mut in_word);
                i = j + 1;
                continue;
            }
        }
        match c {
            // A backslash escapes only what the shell would otherwise read
            // (space, quotes, operators); elsewhere it is a Windows path
            // separator and kept (`vulkan\llama-server`, `C:\models\x.gguf`).
            '\\' => {
                match next {
                    Some(n) if " \t'\"\\$&|;<>()`#".contains(n) => {
                        word.push(n);
                        i += 2;
                    }
                    _ => {
                        word.push('\\');
                        i += 1;
                    }
                }
                in_word = true;
                continue;
            }
            '\'' => {
                i += 1;
                while i < chars.len() && chars[i] != '\'' {
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
                in_word = true;
                continue;
            }
            '"' => {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    if chars[i] == '\\'
                        && matches!(chars.get(i + 1), Some('"' | '\\' | '$' | '`' | '\n'))
                    {
                        if chars[i + 1] != '\n' {
                            word.push(chars[i + 1]);
                        }
                        i += 2;
                        continue;
                    }
                    word.push(chars[i]);
                    i += 1;
                }
                i += 1;
                in_word = true;
                continue;
            }
            '#' if !in_word => {
                while i < chars.len() && chars[i] != '\n' {
                    i += 1;
                }
                continue;
            }
            ' ' | '\t' | '\r' => end_word(&mut words, &mut word, &mut in_word),
            '\n' | ';' => {
                end_word(&mut words, &mut word, &mut in_word);
                end_command(&mut commands, &mut words);
            }
            '&' | '|' => {
                // `2>&1`, `>|`: part of a redirection, not a separator.
                if word.ends_with(['>', '<']) {
                    word.push(c);
                    in_word = true;
                } else {
                    end_word(&mut words, &mut word, &mut in_word);
                    end_command(&mut commands, &mut words);
                    if next == Some(c) {
                        i += 1;
                    }
                }
            }
            _ => {
                word.push(c);
                in_word = true;
            }
        }
        i += 1;
    }
    end_word(&mut words, &mut word, &mut in_word);
    end_command(&mut commands, &mut words);
    commands
}

/// Drops prompts (`$`, `>`, `PS C:\>`), redirections and their targets.
pub(super) fn clean_command(words: Vec<String>) -> Vec<String> {
    let mut out = Vec::with_capacity(words.len());
    let mut skip_next = false;
    for (i, w) in words.into_iter().enumerate() {
        if skip_next {
            skip_next = false;
            continue;
        }
        if i == 0 && matches!(w.as_str(), "$" | ">" | "%" | ">>>" | "PS") {
            continue;
        }
        if out.is_empty() && w.ends_with('>') && w.contains(":\\") {
            continue; // `C:\llama>` prompt
        }
        let redirect = w.trim_start_matches(|c: char| c.is_ascii_digit() || c == '&');
        if redirect.starts_with(['>', '<']) {
            // `> log.txt` takes the next word; `>log.txt`, `2>&1` do not.
            skip_next = redirect.trim_start_matches(['>', '<', '|']).is_empty();
            continue;
        }
        out.push(w);
    }
    out
}

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
