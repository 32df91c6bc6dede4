//! Pasted command lines → a [`Request`]: what a person already runs, read
//! into the fields vramfit plans with.
//!
//! [`parse_command`] reads llama.cpp (`llama-server`, `llama-cli`,
//! `llama-bench`, `./main`, `server`, also inside a `docker run` of a
//! llama.cpp image), Ollama (`ollama run`, a Modelfile, `/set parameter`,
//! `OLLAMA_*` environment), vLLM (`vllm serve`, `python -m
//! vllm.entrypoints.openai.api_server`, `docker run vllm/vllm-openai`, a
//! Python `LLM(...)` call), transformers (a `from_pretrained(...)` call) and
//! ExLlamaV2 / TabbyAPI (`--gpu_split`, a `config.yml`). Each flag that
//! changes memory sets a request field; flags that do not are returned in
//! [`Parsed::ignored`], and what vramfit reads but does not model (expert
//! offload patterns, draft models, RPC servers) or assumed (a default the
//! command leaves out) is said in [`Parsed::notes`].
//!
//! The words are split by a small hand-written shell reader rather than a
//! crate such as `shlex`: pasted commands mix POSIX quoting with
//! backslash-newline, `^` (cmd) and backtick (PowerShell) continuations,
//! `&&` chains, redirections and prompts, and the reader must return
//! something for any text, never an error — a tokenizer that rejects an
//! unbalanced quote would lose the whole command.
//!
//! Pure and total: any text in (the first [`MAX_INPUT`] bytes are read), a
//! [`Parsed`] out, never a panic; everything is bounded by the input size.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{Request, MAX_CTX};
use crate::estimate::names::resolve;
use crate::estimate::WeightFormat;

/// The most input read; the rest is cut and a note says so.
pub const MAX_INPUT: usize = 1 << 20;

/// At most this many entries in [`Parsed::ignored`] (a pasted log would
/// otherwise return every line).
const MAX_IGNORED: usize = 200;

/// The program a command line runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tool {
    LlamaServer,
    LlamaCli,
    LlamaBench,
    Ollama,
    Vllm,
    Transformers,
    #[serde(rename = "exllamav2")]
    ExLlamaV2,
    /// Nothing recognised: the request is vramfit's default.
    Unknown,
}

/// What a pasted command says.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Parsed {
    /// The request the command amounts to; fields the command leaves out
    /// keep vramfit's defaults (see `notes`).
    #[serde(serialize_with = "request_fields")]
    pub request: Request,
    pub tool: Tool,
    /// The model as the command names it (a file path, repo id or Ollama
    /// tag), before it is resolved into `request.model`.
    pub model_ref: Option<String>,
    /// Flags and words read but not used, as written (`--port 8080`).
    pub ignored: Vec<String>,
    /// What was assumed, approximated or is not modelled, as sentences.
    pub notes: Vec<String>,
}

/// The request as an object of its named fields (the JS API's input shape).
fn request_fields<S: Serializer>(request: &Request, s: S) -> Result<S::Ok, S::Error> {
    let mut map = s.serialize_map(Some(Request::FIELDS.len()))?;
    for field in Request::FIELDS {
        map.serialize_entry(field, request.get(field).unwrap_or_default())?;
    }
    map.end()
}

/// Reads a pasted command line, Modelfile, Python call or TabbyAPI config.
pub fn parse_command(text: &str) -> Parsed {
    let mut p = Parser::default();
    // Not chosen: the format the model's name implies, else the engine's.
    p.request.weights.clear();
    let text = if text.len() > MAX_INPUT {
        p.note(format!(
            "only the first {} KiB of the text were read",
            MAX_INPUT >> 10
        ));
        let mut end = MAX_INPUT;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        &text[..end]
    } else {
        text
    };
    let commands = split_commands(text);
    for words in &commands {
        p.collect_env(words);
    }
    let modelfile = modelfile_params(text, &commands);
    let mut found = false;
    for words in &commands {
        if let Some((tool, args)) = recognise(words, &mut p) {
            // `ollama serve` only carries environment: a later `ollama run`
            // names the model.
            if tool == Tool::Ollama && args.first().is_some_and(|a| a == "serve") {
                p.tool = Some(Tool::Ollama);
                continue;
            }
            p.read(tool, &args);
            found = true;
            break;
        } else if !words.is_empty() && !is_env_only(words) {
            p.ignore(words.join(" "));
        }
    }
    if !found {
        if let Some(call) = python_call(text, "LLM") {
            p.ignored.clear();
            p.vllm_python(text, &call);
        } else if let Some(call) = pretrained_call(text) {
            p.ignored.clear();
            p.transformers(text, &call);
        } else if let Some(yaml) = tabby_yaml(text) {
            p.ignored.clear();
            p.exllama_yaml(&yaml);
        } else if !modelfile.is_empty() || p.env.keys().any(|k| k.starts_with("OLLAMA_")) {
            p.ignored.clear();
            p.tool = Some(Tool::Ollama);
        }
    }
    if p.tool == Some(Tool::Ollama) {
        p.ollama_settings(&modelfile);
    }
    p.finish()
}

// ---------------------------------------------------------------------------
// Shell words

/// Splits text into commands of words: quotes, escapes and continuations
/// are undone; `;`, `&&`, `||`, `|`, `&` and unquoted newlines end a
/// command; `#` at the start of a word comments out the rest of the line;
/// redirections are dropped.
fn split_commands(text: &str) -> Vec<Vec<String>> {
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
fn clean_command(words: Vec<String>) -> Vec<String> {
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
fn assignment(word: &str) -> Option<(&str, &str)> {
    let word = word.strip_prefix("$env:").unwrap_or(word);
    let (name, value) = word.split_once('=')?;
    let mut chars = name.chars();
    let first = chars.next()?;
    ((first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
    .then_some((name, value))
}

fn is_env_only(words: &[String]) -> bool {
    words
        .iter()
        .enumerate()
        .all(|(i, w)| assignment(w).is_some() || (i == 0 && matches!(w.as_str(), "export" | "set")))
}

/// The program's name without its folder, `.exe`, `.py` or case.
fn program(word: &str) -> String {
    let base = word.rsplit(['/', '\\']).next().unwrap_or(word);
    let lower = base.to_ascii_lowercase();
    lower
        .strip_suffix(".exe")
        .or_else(|| lower.strip_suffix(".py"))
        .unwrap_or(&lower)
        .to_string()
}

/// Whether a command's first words name a tool; returns it and its arguments.
fn recognise(words: &[String], p: &mut Parser) -> Option<(Tool, Vec<String>)> {
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
fn docker(words: &[String], p: &mut Parser) -> Option<(Tool, Vec<String>)> {
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

// ---------------------------------------------------------------------------
// The parser's state

#[derive(Default)]
struct Parser {
    request: Request,
    tool: Option<Tool>,
    model_ref: Option<String>,
    ignored: Vec<String>,
    ignored_more: usize,
    notes: Vec<String>,
    env: BTreeMap<String, String>,
    /// GPUs the command implies (`-ts` entries, `-tp`, visible devices).
    gpu_count: Option<u64>,
    /// GPU sizes the command gives (transformers' `max_memory`).
    gpu_sizes: Vec<String>,
    /// The resolved model's layers and trained context, when in the catalog.
    model: Option<(usize, u64)>,
    ctx_given: bool,
}

impl Parser {
    fn note(&mut self, note: String) {
        if self.notes.len() < MAX_IGNORED && !self.notes.contains(&note) {
            self.notes.push(note);
        }
    }

    fn ignore(&mut self, text: String) {
        if self.ignored.len() < MAX_IGNORED {
            let text: String = text.chars().take(200).collect();
            self.ignored.push(text);
        } else {
            self.ignored_more += 1;
        }
    }

    fn set(&mut self, field: &str, value: impl Into<String>) {
        self.request.set(field, value.into());
    }

    fn more_gpus(&mut self, n: u64) {
        if n > 0 {
            self.gpu_count = Some(self.gpu_count.unwrap_or(0).max(n.min(64)));
        }
    }

    fn env_assign(&mut self, word: &str) {
        if let Some((name, value)) = assignment(word) {
            // systemd: Environment="OLLAMA_NUM_PARALLEL=4"
            if name == "Environment" {
                return self.env_assign(value);
            }
            self.env.insert(name.to_string(), value.to_string());
        }
    }

    fn collect_env(&mut self, words: &[String]) {
        for w in words {
            if assignment(w).is_some() {
                self.env_assign(w);
            } else if !matches!(w.as_str(), "export" | "set" | "env" | "sudo" | "-E") {
                break;
            }
        }
    }

    /// Resolves the model as written: the whole reference, then its file
    /// or folder name, then `parent/name`, then an Unsloth `_XL` quant read
    /// as `_M`.
    fn model(&mut self, raw: &str) {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        self.model_ref = Some(raw.to_string());
        let parts: Vec<&str> = raw
            .trim_end_matches(['/', '\\'])
            .split(['/', '\\'])
            .filter(|s| !s.is_empty())
            .collect();
        let mut candidates = vec![raw.to_string()];
        if let Some(last) = parts.last() {
            candidates.push(last.to_string());
            if parts.len() >= 2 {
                candidates.push(format!("{}/{last}", parts[parts.len() - 2]));
            }
        }
        if let Some(stripped) = raw
            .strip_prefix("hf.co/")
            .or_else(|| raw.strip_prefix("huggingface.co/"))
        {
            candidates.insert(0, stripped.to_string());
        }
        let fallback = parts.last().map_or(raw.to_string(), |l| l.to_string());
        // `qwen2.5-coder:32b-instruct-q8_0.gguf`: an Ollama tag as a file name.
        let mut quant = None;
        if fallback.contains(':') {
            let (names, q) = ollama_candidates(fallback.trim_end_matches(".gguf"));
            candidates.extend(names);
            quant = q;
        }
        self.model_candidates(candidates, fallback);
        if let Some(q) = quant.filter(|_| self.request.weights.is_empty()) {
            self.set("weights", q);
        }
    }

    /// Sets the model to the first candidate the catalog resolves, else to
    /// `fallback` with a note.
    fn model_candidates(&mut self, mut candidates: Vec<String>, fallback: String) {
        let xl: Vec<String> = candidates
            .iter()
            .filter(|c| c.to_ascii_uppercase().contains("_K_XL"))
            .map(|c| c.replace("_K_XL", "_K_M").replace("_k_xl", "_k_m"))
            .collect();
        let has_xl = !xl.is_empty();
        candidates.extend(xl);
        for c in &candidates {
            if let Ok(r) = resolve(c) {
                if has_xl && c.to_ascii_uppercase().contains("_K_M") {
                    self.note(
                        "an Unsloth _K_XL quant is planned as _K_M: it keeps a few more tensors at higher precision, so the estimate is a little low".into(),
                    );
                }
                self.model = r
                    .model
                    .load()
                    .ok()
                    .map(|i| (i.spec.layers.len(), i.spec.n_ctx_train));
                self.set("model", c.clone());
                return;
            }
        }
        self.note(format!(
            "'{fallback}' is not in vramfit's catalog: pick the model it is, paste its config.json or drop the GGUF"
        ));
        self.set("model", fallback);
    }

    /// Context per sequence: `n`, or the model's trained context for 0.
    fn ctx(&mut self, total: u64, seqs: u64) {
        let total = if total == 0 {
            match self.model {
                Some((_, train)) => {
                    self.note(format!(
                        "context 0 means the model's trained context, {train} tokens"
                    ));
                    train
                }
                None => return,
            }
        } else {
            total
        };
        let per = (total / seqs.max(1)).clamp(1, MAX_CTX);
        self.set("ctx", per.to_string());
        self.ctx_given = true;
    }

    /// `-ngl N`: llama.cpp clamps to the model's layers + output.
    fn ngl(&mut self, value: &str) {
        let v = value.trim().to_ascii_lowercase();
        let text = match (v.parse::<i64>(), self.model) {
            (Ok(n), _) if n < 0 => "all".to_string(),
            (Ok(n), Some((layers, _))) if n as u64 > layers as u64 => "all".to_string(),
            (Ok(n), _) => n.to_string(),
            _ if v == "auto" => String::new(),
            _ if v == "all" || v == "max" => "all".into(),
            _ => {
                self.note(format!("-ngl {value} is not a layer count"));
                return;
            }
        };
        self.set("ngl", text);
    }

    fn read(&mut self, tool: Tool, args: &[String]) {
        self.tool = Some(tool);
        match tool {
            Tool::LlamaServer | Tool::LlamaCli | Tool::LlamaBench => self.llama(tool, args),
            Tool::Ollama => self.ollama(args),
            Tool::Vllm => self.vllm(args),
            Tool::ExLlamaV2 => self.exllama(args),
            Tool::Transformers | Tool::Unknown => {}
        }
    }

    fn finish(mut self) -> Parsed {
        let tool = self.tool.unwrap_or(Tool::Unknown);
        if tool == Tool::Unknown {
            self.request.weights = Request::default().weights;
        }
        let engine = match tool {
            Tool::LlamaServer | Tool::LlamaCli | Tool::LlamaBench => "llama.cpp",
            Tool::Ollama => "ollama",
            Tool::Vllm => "vllm",
            Tool::Transformers => "transformers",
            Tool::ExLlamaV2 => "exllamav2",
            Tool::Unknown => "",
        };
        if !engine.is_empty() {
            self.set("engine", engine);
        }
        if tool != Tool::Unknown {
            if !self.gpu_sizes.is_empty() {
                let list = self.gpu_sizes.join(", ");
                self.set("gpus", list);
            } else if let Some(n) = self.gpu_count {
                self.set("gpus", format!("{n}x24GB"));
                self.note(format!(
                    "the command implies {n} GPU(s) but not their size: 24 GB each assumed; paste nvidia-smi to fill them"
                ));
            } else {
                self.note(
                    "the command does not say which GPUs: vramfit's default (2 × 24 GB) is kept; paste nvidia-smi to fill them".into(),
                );
            }
        }
        if self.ignored_more > 0 {
            self.ignored
                .push(format!("… and {} more lines", self.ignored_more));
        }
        Parsed {
            request: self.request,
            tool,
            model_ref: self.model_ref,
            ignored: self.ignored,
            notes: self.notes,
        }
    }
}

// ---------------------------------------------------------------------------
// Flags

/// One flag and its value as written: `--flag value` or `--flag=value`.
struct Flags<'a> {
    words: &'a [String],
    i: usize,
}

impl<'a> Flags<'a> {
    fn new(words: &'a [String]) -> Self {
        Flags { words, i: 0 }
    }

    /// The next word, split at `=` for a long flag.
    fn next_word(&mut self) -> Option<(String, Option<String>)> {
        let w = self.words.get(self.i)?;
        self.i += 1;
        if w.starts_with("--") {
            if let Some((f, v)) = w.split_once('=') {
                return Some((f.to_string(), Some(v.to_string())));
            }
        }
        Some((w.clone(), None))
    }

    /// The value of a flag that takes one.
    fn value(&mut self, inline: Option<String>) -> Option<String> {
        if inline.is_some() {
            return inline;
        }
        let w = self.words.get(self.i)?;
        self.i += 1;
        Some(w.clone())
    }

    /// The next word if it does not look like a flag (for flags whose
    /// value is optional, and for unknown ones).
    fn value_if(&mut self, inline: Option<String>, ok: impl Fn(&str) -> bool) -> Option<String> {
        if inline.is_some() {
            return inline;
        }
        let w = self.words.get(self.i)?;
        if ok(w) {
            self.i += 1;
            return Some(w.clone());
        }
        None
    }
}

fn not_a_flag(w: &str) -> bool {
    !w.starts_with('-') || w.parse::<f64>().is_ok()
}

/// A count such as `32768`, `32k` (×1000), `32K` (×1024) or `1M`.
fn count(text: &str) -> Option<u64> {
    let t = text.trim();
    let (number, scale) = match t.chars().last()? {
        'k' => (&t[..t.len() - 1], 1000),
        'K' => (&t[..t.len() - 1], 1024),
        'm' => (&t[..t.len() - 1], 1_000_000),
        'M' => (&t[..t.len() - 1], 1 << 20),
        _ => (t, 1),
    };
    // `4096*2` in a Python call.
    let mut product: u64 = scale;
    for factor in number.split('*') {
        let f: f64 = factor.trim().replace('_', "").parse().ok()?;
        if !f.is_finite() || !(0.0..=1e12).contains(&f) {
            return None;
        }
        product = product.checked_mul(f as u64)?;
    }
    Some(product)
}

/// llama-bench's comma lists: the first value, and a note on the rest.
fn first_of(p: &mut Parser, flag: &str, value: &str) -> String {
    let mut items = value.split(',');
    let first = items.next().unwrap_or_default().trim().to_string();
    let rest: Vec<&str> = items.collect();
    if !rest.is_empty() {
        p.note(format!(
            "{flag} {value}: llama-bench runs each value; planned for the first, {first}"
        ));
    }
    first
}

/// A KV-cache type vramfit plans (`q8_0`, `f16`, …), or `None`.
fn kv_type(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    crate::estimate::format::kv_pair(&v).is_ok().then_some(v)
}

impl Parser {
    fn llama(&mut self, tool: Tool, args: &[String]) {
        let bench = tool == Tool::LlamaBench;
        let mut f = Flags::new(args);
        let mut c: Option<u64> = None;
        let mut np: u64 = 1;
        let mut b: Option<u64> = None;
        let mut ub: Option<u64> = None;
        let (mut prompt, mut gen) = (512u64, 128u64);
        let (mut ctk, mut ctv): (Option<String>, Option<String>) = (None, None);
        let mut model: Option<String> = None;
        let mut hf: Option<String> = None;
        let mut ngl: Option<String> = None;
        let mut mmproj = false;
        let mut fa: Option<String> = None;
        while let Some((flag, inline)) = f.next_word() {
            let v = |f: &mut Flags, p: &mut Parser, flag: &str| -> Option<String> {
                let v = f.value(inline.clone())?;
                Some(if bench { first_of(p, flag, &v) } else { v })
            };
            match flag.as_str() {
                "-m" | "--model" => model = v(&mut f, self, &flag),
                "-hf" | "-hfr" | "--hf-repo" => hf = f.value(inline),
                "-hff" | "--hf-file" => {
                    if let Some(file) = f.value(inline) {
                        model = Some(file);
                    }
                }
                "-c" | "--ctx-size" => c = v(&mut f, self, &flag).and_then(|x| count(&x)),
                "-np" | "--parallel" => {
                    np = v(&mut f, self, &flag)
                        .and_then(|x| x.parse::<i64>().ok())
                        .filter(|&n| n > 0)
                        .map_or(1, |n| n as u64)
                }
                "-b" | "--batch-size" => b = v(&mut f, self, &flag).and_then(|x| count(&x)),
                "-ub" | "--ubatch-size" => ub = v(&mut f, self, &flag).and_then(|x| count(&x)),
                "-p" | "--n-prompt" if bench => {
                    prompt = v(&mut f, self, &flag).and_then(|x| count(&x)).unwrap_or(512)
                }
                "-n" | "--n-gen" if bench => {
                    gen = v(&mut f, self, &flag).and_then(|x| count(&x)).unwrap_or(128)
                }
                "-pg" if bench => {
                    if let Some(pg) = f.value(inline) {
                        let mut it = pg.split(',').filter_map(count);
                        if let (Some(pp), Some(tg)) = (it.next(), it.next()) {
                            prompt = pp;
                            gen = tg;
                        }
                    }
                }
                "-fa" | "--flash-attn" => {
                    let value = f.value_if(inline, |w| {
                        let w = w.to_ascii_lowercase();
                        matches!(w.as_str(), "on" | "off" | "auto" | "0" | "1" | "true" | "false")
                            || w.contains(',')
                    });
                    let value = match value {
                        Some(x) if bench => first_of(self, &flag, &x),
                        Some(x) => x,
                        None => "on".into(),
                    };
                    fa = Some(value);
                }
                "-ngl" | "--n-gpu-layers" | "--gpu-layers" => ngl = v(&mut f, self, &flag),
                "-ts" | "--tensor-split" => {
                    if let Some(ts) = f.value(inline) {
                        let ts = if bench { first_of(self, &flag, &ts) } else { ts };
                        let ts = ts.replace('/', ",");
                        self.more_gpus(ts.split(',').filter(|x| !x.trim().is_empty()).count() as u64);
                        self.set("tensor_split", ts);
                    }
                }
                "-sm" | "--split-mode" => {
                    if let Some(sm) = v(&mut f, self, &flag) {
                        match sm.to_ascii_lowercase().as_str() {
                            "layer" | "row" | "none" => self.set("split_mode", sm.to_ascii_lowercase()),
                            _ => self.note(format!("-sm {sm} is not a split mode vramfit plans (layer, row, none)")),
                        }
                    }
                }
                "-mg" | "--main-gpu" => {
                    if let Some(mg) = v(&mut f, self, &flag) {
                        self.set("main_gpu", mg);
                    }
                }
                "-ctk" | "--cache-type-k" => ctk = v(&mut f, self, &flag),
                "-ctv" | "--cache-type-v" => ctv = v(&mut f, self, &flag),
                "--n-cpu-moe" | "-ncmoe" => {
                    let n = f.value(inline).unwrap_or_default();
                    self.note(format!(
                        "--n-cpu-moe {n}: the experts of the first {n} layers stay on the CPU; vramfit does not plan expert offload, so its GPU figures are high"
                    ));
                }
                "--cpu-moe" | "-cmoe" => self.note(
                    "--cpu-moe: every layer's experts stay on the CPU; vramfit does not plan expert offload, so its GPU figures are high".into(),
                ),
                "-ot" | "--override-tensor" => {
                    let pattern = f.value(inline).unwrap_or_default();
                    let experts = pattern.to_ascii_lowercase().contains("exps")
                        && pattern.to_ascii_uppercase().contains("CPU");
                    self.note(if experts {
                        format!("-ot {pattern}: experts on the CPU; vramfit does not plan expert offload, so its GPU figures are high")
                    } else {
                        format!("-ot {pattern}: tensor overrides are not planned")
                    });
                }
                "--mmproj" | "-mm" | "--mmproj-url" | "-mmu" => {
                    let file = f.value(inline).unwrap_or_default();
                    mmproj = true;
                    self.note(format!(
                        "vision projector {file}: planned from the model's vision config; drop the mmproj GGUF for its exact size"
                    ));
                }
                "--no-mmproj" => mmproj = false,
                "-md" | "--model-draft" | "-hfd" | "--hf-repo-draft" => {
                    let file = f.value(inline).unwrap_or_default();
                    self.note(format!(
                        "draft model {file}: speculative decoding's second model is not planned"
                    ));
                }
                "--rpc" => {
                    let servers = f.value(inline).unwrap_or_default();
                    let n = servers.split(',').filter(|s| !s.trim().is_empty()).count();
                    self.note(format!(
                        "--rpc {servers}: {n} remote device(s) over RPC are not planned"
                    ));
                }
                "-dev" | "--device" => {
                    if let Some(devs) = f.value(inline) {
                        self.devices(&devs);
                    }
                }
                "--no-mmap" | "-nkvo" | "--no-kv-offload" | "--swa-full" | "--no-op-offload"
                | "--mlock" => {
                    let what = match flag.as_str() {
                        "--no-mmap" => "the weights are read into memory instead of mapped; GPU buffers are unchanged",
                        "-nkvo" | "--no-kv-offload" => "the KV cache stays in host memory: vramfit plans it on the GPUs, so its GPU figures are high",
                        "--swa-full" => "sliding-window layers keep a full-length cache: vramfit plans the window, so its KV is low",
                        "--no-op-offload" => "host-side ops stay on the CPU; compute buffers may differ",
                        _ => "host memory is pinned",
                    };
                    self.note(format!("{flag}: {what}"));
                }
                "-t" | "--threads" | "-tb" | "--threads-batch" | "--host" | "--port" | "-a"
                | "--alias" | "--temp" | "--top-k" | "--top-p" | "--min-p" | "-s" | "--seed"
                | "-r" | "--repetitions" | "-o" | "--output" | "--chat-template" | "-to"
                | "--timeout" | "--api-key" | "-ngld" | "--gpu-layers-draft" | "-devd"
                | "--device-draft" | "--draft-max" | "--draft-min" | "--numa" | "-prio" | "--prio"
                | "--reasoning-format" | "--reasoning-budget" | "-lv" | "--verbosity" | "--path"
                | "-cd" | "--ctx-size-draft" | "-f" | "--file" | "-sys" | "--system-prompt"
                | "--image" | "--repeat-penalty" | "-nr" | "--no-repack" | "-mmp" | "--mmap" => {
                    let value = f.value_if(inline, not_a_flag);
                    self.ignore(match value {
                        Some(v) => format!("{flag} {v}"),
                        None => flag.clone(),
                    });
                }
                _ if flag.starts_with('-') => {
                    let value = f.value_if(inline, not_a_flag);
                    self.ignore(match value {
                        Some(v) => format!("{flag} {v}"),
                        None => flag.clone(),
                    });
                }
                _ => self.ignore(flag.clone()),
            }
        }
        match (&model, &hf) {
            (Some(m), _) => self.model(&m.clone()),
            (None, Some(h)) => self.model(&h.clone()),
            (None, None) => self.note(
                "no model in the command (-m FILE or -hf REPO): vramfit's default model is kept"
                    .into(),
            ),
        }
        if model.is_some() && !mmproj && hf.is_none() {
            self.set("images", "0");
        }
        // ngl after the model, to clamp it to the model's layers.
        match ngl {
            Some(n) => self.ngl(&n),
            None if bench => self.ngl("99"),
            None => self.note(
                "-ngl not given: older llama.cpp builds keep every layer on the CPU, newer ones offload all that fit; vramfit searches the split".into(),
            ),
        }
        if bench {
            self.ctx(prompt + gen, 1);
            self.note(format!(
                "llama-bench's context is -p + -n: {prompt} + {gen} tokens"
            ));
        } else if let Some(c) = c {
            self.ctx(c, np);
            if np > 1 {
                self.note(format!(
                    "-c {c} is shared by -np {np} sequences: {} tokens each",
                    (c / np).max(1)
                ));
            }
        } else {
            self.ctx(4096, np);
            self.note(
                "-c not given: llama.cpp's default of 4096 tokens assumed (newer builds take the model's trained context)".into(),
            );
        }
        self.set("batch", np.to_string());
        let n_batch = b.unwrap_or(2048);
        let n_ubatch = ub.unwrap_or(512).min(n_batch).max(1);
        if b.is_some() || ub.is_some() {
            self.set("ubatch", n_ubatch.to_string());
        }
        let fa = match fa {
            Some(x) => x,
            None if bench => "off".into(),
            None => {
                self.note("-fa not given: auto (on for GPU backends) in builds since mid-2025, off before".into());
                "auto".into()
            }
        };
        let fa = match fa.to_ascii_lowercase().as_str() {
            "1" | "true" | "on" => "on",
            "0" | "false" | "off" => "off",
            _ => "auto",
        };
        self.set("flash_attn", fa);
        match (ctk, ctv) {
            (Some(k), _) if kv_type(&k).is_none() => {
                self.note(format!("cache type {k} is not one vramfit plans: f16 kept"));
            }
            (Some(k), Some(v)) if !k.eq_ignore_ascii_case(&v) => {
                self.note(format!(
                    "K cache {k} and V cache {v} differ: planned with {k} for both"
                ));
                self.set("kv", kv_type(&k).unwrap_or_default());
            }
            (Some(k), _) => self.set("kv", kv_type(&k).unwrap_or_default()),
            (None, Some(v)) => {
                self.note(format!(
                    "-ctv {v} with an f16 K cache: planned with f16 for both"
                ));
            }
            (None, None) => {}
        }
        self.visible_devices();
    }

    /// `-dev CUDA0,CUDA1`: the GPUs and their backend.
    fn devices(&mut self, devs: &str) {
        let list: Vec<&str> = devs
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .collect();
        let lower = devs.to_ascii_lowercase();
        if lower == "none" {
            self.set("backend", "cpu");
            return;
        }
        for (prefix, backend) in [
            ("cuda", "cuda"),
            ("rocm", "rocm"),
            ("hip", "rocm"),
            ("vulkan", "vulkan"),
            ("metal", "metal"),
            ("mtl", "metal"),
        ] {
            if lower.starts_with(prefix) {
                self.set("backend", backend);
            }
        }
        self.more_gpus(list.len() as u64);
    }

    /// `CUDA_VISIBLE_DEVICES=0,1` and its ROCm / Vulkan kin.
    fn visible_devices(&mut self) {
        for (var, backend) in [
            ("CUDA_VISIBLE_DEVICES", ""),
            ("HIP_VISIBLE_DEVICES", "rocm"),
            ("ROCR_VISIBLE_DEVICES", "rocm"),
            ("GGML_VK_VISIBLE_DEVICES", "vulkan"),
        ] {
            let Some(value) = self.env.get(var).cloned() else {
                continue;
            };
            let n = value.split(',').filter(|d| !d.trim().is_empty()).count() as u64;
            self.note(format!("{var}={value}: {n} GPU(s) visible"));
            self.more_gpus(n);
            let llama = matches!(
                self.tool,
                Some(Tool::LlamaServer | Tool::LlamaCli | Tool::LlamaBench | Tool::Ollama)
            );
            if !backend.is_empty() && llama && self.request.backend.is_empty() {
                self.set("backend", backend);
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Ollama

/// `PARAMETER name value` lines of a Modelfile, `/set parameter` commands,
/// and the `FROM` model (as `from`).
fn modelfile_params(text: &str, commands: &[Vec<String>]) -> BTreeMap<String, String> {
    let mut params = BTreeMap::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next().map(str::to_ascii_uppercase).as_deref() {
            Some("FROM") => {
                if let Some(m) = words.next() {
                    params.insert("from".to_string(), m.to_string());
                }
            }
            Some("PARAMETER") => {
                if let (Some(k), Some(v)) = (words.next(), words.next()) {
                    params.insert(k.to_ascii_lowercase(), v.to_string());
                }
            }
            _ => {}
        }
    }
    for words in commands {
        if let [set, parameter, k, v, ..] = words.as_slice() {
            if set == "/set" && parameter == "parameter" {
                params.insert(k.to_ascii_lowercase(), v.clone());
            }
        }
    }
    params
}

/// Catalog names an Ollama tag may be (`qwen2.5:7b-instruct-q4_K_M` →
/// `qwen2.5-7b-instruct`, `qwen2.5-7b`, `qwen2.5`, then the tag itself) and
/// the GGUF type it names (`q4_k_m`).
fn ollama_candidates(raw: &str) -> (Vec<String>, Option<String>) {
    let path = raw
        .trim_start_matches("registry.ollama.ai/")
        .trim_start_matches("library/");
    let (name, tag) = path.split_once(':').unwrap_or((path, "latest"));
    let name = name.rsplit('/').next().unwrap_or(name);
    let parts: Vec<&str> = tag.split('-').filter(|p| !p.is_empty()).collect();
    let quant = parts.iter().position(|p| {
        let l = p.to_ascii_lowercase();
        (l.starts_with('q')
            || l.starts_with("iq")
            || matches!(l.as_str(), "fp16" | "f16" | "bf16" | "fp32"))
            && l.parse::<WeightFormat>().is_ok()
    });
    let size = &parts[..quant.unwrap_or(parts.len())];
    let mut candidates = Vec::new();
    for k in (1..=size.len()).rev() {
        if size[..k] != ["latest"] {
            candidates.push(format!("{name}-{}", size[..k].join("-")));
        }
    }
    candidates.push(name.to_string());
    candidates.push(raw.to_string());
    let quant = quant
        .and_then(|i| parts.get(i))
        .map(|q| q.to_ascii_lowercase().replace("fp16", "f16"));
    (candidates, quant)
}

impl Parser {
    fn ollama(&mut self, args: &[String]) {
        let mut f = Flags::new(args);
        let Some((sub, _)) = f.next_word() else {
            return;
        };
        match sub.as_str() {
            "run" | "pull" | "show" | "push" | "cp" => {
                while let Some((w, inline)) = f.next_word() {
                    if w.starts_with('-') {
                        let v = if w == "--keepalive" || w == "--format" {
                            f.value(inline)
                        } else {
                            None
                        };
                        self.ignore(match v {
                            Some(v) => format!("{w} {v}"),
                            None => w,
                        });
                    } else if self.model_ref.is_none() {
                        self.ollama_model(&w);
                    } else {
                        self.ignore(w);
                    }
                }
            }
            "create" => {
                while let Some((w, inline)) = f.next_word() {
                    if w == "-f" || w == "--file" {
                        let file = f.value(inline).unwrap_or_default();
                        self.ignore(format!("{w} {file}"));
                    } else {
                        self.ignore(w);
                    }
                }
            }
            other => self.ignore(format!("ollama {other}")),
        }
    }

    /// `qwen2.5:7b-instruct-q4_K_M` → `qwen2.5-7b` at q4_k_m; `hf.co/…:Q5_K_M`
    /// is a repo with a quant selector.
    fn ollama_model(&mut self, raw: &str) {
        let raw = raw.trim();
        if raw.is_empty() {
            return;
        }
        let lower = raw.to_ascii_lowercase();
        if lower.starts_with("hf.co/") || lower.starts_with("huggingface.co/") {
            self.model(raw);
            return;
        }
        self.model_ref = Some(raw.to_string());
        let (candidates, quant) = ollama_candidates(raw);
        let fallback = candidates[0].clone();
        self.model_candidates(candidates, fallback);
        match quant {
            Some(q) => self.set("weights", q),
            None => {
                self.set("weights", "q4_k_m");
                self.note("no quant in the Ollama tag: its library's usual Q4_K_M assumed".into());
            }
        }
    }

    /// The Modelfile, `/set parameter` and `OLLAMA_*` environment.
    fn ollama_settings(&mut self, params: &BTreeMap<String, String>) {
        self.tool = Some(Tool::Ollama);
        if self.model_ref.is_none() {
            if let Some(from) = params.get("from") {
                if from.to_ascii_lowercase().ends_with(".gguf") {
                    self.model(from);
                } else {
                    self.ollama_model(from);
                }
            } else {
                self.note(
                    "no model named (ollama run MODEL or FROM): vramfit's default model is kept"
                        .into(),
                );
            }
        }
        let vars = self.env.clone();
        let env = |k: &str| vars.get(k).cloned();
        let parallel = env("OLLAMA_NUM_PARALLEL")
            .and_then(|v| v.trim().parse::<u64>().ok())
            .filter(|&n| n > 0);
        let ctx = params
            .get("num_ctx")
            .cloned()
            .or_else(|| env("OLLAMA_CONTEXT_LENGTH"))
            .and_then(|v| count(&v));
        match ctx {
            Some(c) => self.ctx(c, 1),
            None => {
                self.ctx(4096, 1);
                self.note("num_ctx not set: Ollama's 4096-token default assumed (2048 before 0.6.4; newer releases choose by VRAM)".into());
            }
        }
        match parallel {
            Some(n) => self.set("batch", n.to_string()),
            None => {
                self.set("batch", "1");
                self.note("OLLAMA_NUM_PARALLEL not set: one sequence assumed (Ollama may pick up to 4 when memory allows)".into());
            }
        }
        if let Some(n) = params.get("num_gpu") {
            self.ngl(&n.clone());
        }
        if let Some(n) = params.get("num_batch").and_then(|v| count(v)) {
            self.set("ubatch", n.max(1).to_string());
        }
        for k in [
            "num_thread",
            "temperature",
            "top_k",
            "top_p",
            "stop",
            "num_predict",
        ] {
            if let Some(v) = params.get(k) {
                self.ignore(format!("PARAMETER {k} {v}"));
            }
        }
        let on = |v: Option<String>| {
            v.is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "1" | "true" | "on" | "yes"
                )
            })
        };
        let flash = on(env("OLLAMA_FLASH_ATTENTION"));
        if env("OLLAMA_FLASH_ATTN").is_some() && env("OLLAMA_FLASH_ATTENTION").is_none() {
            self.note("OLLAMA_FLASH_ATTN is not a variable Ollama reads (OLLAMA_FLASH_ATTENTION is): flash attention stays off".into());
        }
        self.set("flash_attn", if flash { "on" } else { "off" });
        if let Some(kv) = env("OLLAMA_KV_CACHE_TYPE") {
            if let (true, Some(t)) = (flash, kv_type(&kv)) {
                self.set("kv", t);
            } else {
                self.note(format!(
                    "OLLAMA_KV_CACHE_TYPE={kv} needs OLLAMA_FLASH_ATTENTION=1; without it Ollama keeps an f16 cache"
                ));
            }
        }
        if let Some(bytes) = env("OLLAMA_GPU_OVERHEAD").and_then(|v| v.trim().parse::<u64>().ok()) {
            if bytes > 0 {
                self.set("reserve", format!("{bytes}B"));
            }
        }
        if on(env("OLLAMA_SCHED_SPREAD")) {
            self.note("OLLAMA_SCHED_SPREAD=1: Ollama spreads the model over every GPU even when one would do".into());
        }
        self.visible_devices();
    }
}

// ---------------------------------------------------------------------------
// vLLM

/// vLLM's long flags, for argparse's unique-prefix abbreviations.
const VLLM_FLAGS: &[&str] = &[
    "--model",
    "--max-model-len",
    "--max-num-seqs",
    "--gpu-memory-utilization",
    "--tensor-parallel-size",
    "--pipeline-parallel-size",
    "--data-parallel-size",
    "--kv-cache-dtype",
    "--quantization",
    "--dtype",
    "--max-num-batched-tokens",
    "--block-size",
    "--enforce-eager",
    "--cpu-offload-gb",
    "--limit-mm-per-prompt",
    "--served-model-name",
];

/// vLLM flags that take no value.
const VLLM_SWITCHES: &[&str] = &[
    "--trust-remote-code",
    "--enforce-eager",
    "--enable-prefix-caching",
    "--no-enable-prefix-caching",
    "--enable-chunked-prefill",
    "--no-enable-chunked-prefill",
    "--disable-log-requests",
    "--disable-log-stats",
    "--enable-log-requests",
    "--enable-auto-tool-choice",
    "--enable-reasoning",
    "--disable-custom-all-reduce",
    "--enable-expert-parallel",
    "--enable-lora",
    "--async-scheduling",
    "--skip-tokenizer-init",
    "--disable-frontend-multiprocessing",
    "--headless",
    "--disable-sliding-window",
    "--enable-sleep-mode",
    "--disable-cascade-attn",
    "--enable-eplb",
    "--disable-uvicorn-access-log",
    "--enable-prompt-tokens-details",
    "--enable-force-include-usage",
];

impl Parser {
    fn vllm(&mut self, args: &[String]) {
        let mut f = Flags::new(args);
        let mut model = None;
        while let Some((flag, inline)) = f.next_word() {
            if !flag.starts_with('-') || flag.parse::<f64>().is_ok() {
                if model.is_none() {
                    model = Some(flag);
                } else {
                    self.ignore(flag);
                }
                continue;
            }
            let mut name = if flag.starts_with("--") {
                flag.replace('_', "-")
            } else {
                flag.clone()
            };
            if !VLLM_FLAGS.contains(&name.as_str()) && name.starts_with("--") {
                let matches: Vec<&&str> =
                    VLLM_FLAGS.iter().filter(|f| f.starts_with(&name)).collect();
                if let [only] = matches.as_slice() {
                    name = only.to_string();
                }
            }
            let value = match name.as_str() {
                "--enforce-eager" => {
                    let v = f.value_if(inline, |w| {
                        matches!(w.to_ascii_lowercase().as_str(), "true" | "false")
                    });
                    Some(v.unwrap_or_else(|| "true".into()))
                }
                _ if VLLM_SWITCHES.contains(&name.as_str()) => {
                    self.ignore(flag);
                    continue;
                }
                _ => f.value_if(inline, not_a_flag),
            };
            if name == "--model" {
                model = value;
                continue;
            }
            if !self.vllm_option(&name, value.as_deref()) {
                self.ignore(match value {
                    Some(v) => format!("{flag} {v}"),
                    None => flag,
                });
            }
        }
        self.vllm_finish(model);
    }

    /// One vLLM option (a flag, or a Python keyword as `--keyword`);
    /// `false` when it does not concern memory.
    fn vllm_option(&mut self, name: &str, value: Option<&str>) -> bool {
        let Some(value) = value else {
            return false;
        };
        let value = value.trim().trim_matches(['"', '\'']);
        match name {
            "--max-model-len" => match count(value) {
                Some(n) if n > 0 => self.ctx(n, 1),
                _ => self.note(format!("--max-model-len {value} is not a token count")),
            },
            "--max-num-seqs" => {
                if let Some(n) = count(value).filter(|&n| n > 0) {
                    self.set("batch", n.min(crate::plan::search::MAX_BATCH).to_string());
                }
            }
            "--gpu-memory-utilization" => self.set("util", value),
            "-tp" | "--tensor-parallel-size" => self.set("tp", value),
            "-pp" | "--pipeline-parallel-size" => self.set("pp", value),
            "-dp" | "--data-parallel-size" => self.note(format!(
                "data parallel {value}: each replica is planned alone"
            )),
            "--kv-cache-dtype" => {
                let v = value.to_ascii_lowercase();
                if v.starts_with("fp8") {
                    self.set("kv", "fp8");
                } else if v != "auto" {
                    self.note(format!("--kv-cache-dtype {value} is planned as f16"));
                }
            }
            "-q" | "--quantization" => {
                let v = value.to_ascii_lowercase();
                let w = match v.as_str() {
                    "awq" | "awq-marlin" | "awq_marlin" => "awq",
                    "gptq" | "gptq-marlin" | "gptq_marlin" => "gptq",
                    "fp8" => "fp8",
                    "bitsandbytes" => "nf4",
                    "mxfp4" => "mxfp4",
                    _ => {
                        self.note(format!(
                            "--quantization {value}: the format is read from the checkpoint's name or config"
                        ));
                        return true;
                    }
                };
                self.set("weights", w);
            }
            "--dtype" => {
                let w = match value.to_ascii_lowercase().as_str() {
                    "half" | "float16" | "fp16" => "fp16",
                    "bfloat16" | "bf16" => "bf16",
                    "float" | "float32" | "fp32" => "fp32",
                    _ => return true,
                };
                self.dtype(w);
            }
            "--max-num-batched-tokens" => {
                if let Some(n) = count(value) {
                    self.set("batched_tokens", n.to_string());
                }
            }
            "--block-size" => self.set("block_size", value),
            "--enforce-eager" => {
                let on = !value.eq_ignore_ascii_case("false");
                self.set("eager", if on { "on" } else { "off" });
            }
            "--cpu-offload-gb" => {
                if value.parse::<f64>().is_ok_and(|g| g > 0.0) {
                    self.set("offload", "on");
                    self.note(format!(
                        "--cpu-offload-gb {value}: {value} GB of weights per GPU stay in host memory; vramfit plans CPU offload by layers instead"
                    ));
                }
            }
            "--limit-mm-per-prompt" => self.images(value),
            "--served-model-name" => {
                self.ignore(format!("--served-model-name {value}"));
            }
            _ => return false,
        }
        true
    }

    /// `--dtype`: the weights' format when the checkpoint is not quantized.
    fn dtype(&mut self, weights: &str) {
        if self.request.weights.is_empty() {
            self.request.weights = format!("dtype:{weights}");
        }
    }

    /// `{"image": 2}`, `image=2,video=1`: images per request.
    fn images(&mut self, value: &str) {
        let cleaned: String = value
            .chars()
            .map(|c| {
                if matches!(c, '{' | '}' | '"' | '\'') {
                    ' '
                } else {
                    c
                }
            })
            .collect();
        for item in cleaned.split(',') {
            let Some((k, v)) = item.split_once([':', '=']) else {
                continue;
            };
            if k.trim() == "image" {
                if let Ok(n) = v.trim().parse::<u64>() {
                    self.set("images", n.min(64).to_string());
                }
            }
        }
    }

    fn vllm_finish(&mut self, model: Option<String>) {
        self.tool = Some(Tool::Vllm);
        // `--dtype` counts only when neither the flags nor the name say how
        // the weights are quantized.
        let dtype = self
            .request
            .weights
            .strip_prefix("dtype:")
            .map(str::to_string);
        if dtype.is_some() {
            self.request.weights.clear();
        }
        match model {
            Some(m) => self.model(&m),
            None => self.note("no model in the command: vramfit's default model is kept".into()),
        }
        if let Some(w) = dtype {
            if plain_checkpoint(&self.request.model) {
                self.set("weights", w);
            }
        }
        if !self.ctx_given {
            if let Some((_, train)) = self.model {
                self.ctx(train, 1);
                self.note(format!(
                    "--max-model-len not given: vLLM uses the model's {train}-token context"
                ));
            }
        }
        let tp = self.request.tp.trim().parse::<u64>().unwrap_or(1).max(1);
        let pp = self.request.pp.trim().parse::<u64>().unwrap_or(1).max(1);
        if !self.request.tp.is_empty() || !self.request.pp.is_empty() {
            self.more_gpus(tp.saturating_mul(pp));
        }
        self.visible_devices();
    }

    /// A Python `LLM(...)` call: its keywords are vLLM's flags.
    fn vllm_python(&mut self, text: &str, call: &Call) {
        self.tool = Some(Tool::Vllm);
        let mut model = call.positional.first().map(|v| python_string(text, v));
        for (k, v) in &call.keywords {
            if k == "model" {
                model = Some(python_string(text, v));
                continue;
            }
            let name = format!("--{}", k.replace('_', "-"));
            let value = match v.as_str() {
                "True" => "true".to_string(),
                "False" => "false".to_string(),
                _ if name == "--limit-mm-per-prompt" => v.clone(),
                _ => python_string(text, v),
            };
            if name == "--enforce-eager" && value == "false" {
                continue;
            }
            if !self.vllm_option(&name, Some(&value)) {
                self.ignore(format!("{k}={v}"));
            }
        }
        self.vllm_finish(model);
    }
}

// ---------------------------------------------------------------------------
// Python calls: transformers and vLLM's LLM

/// A call's arguments, as source text.
struct Call {
    positional: Vec<String>,
    keywords: Vec<(String, String)>,
}

/// The text between `name(` and its matching `)`, split at top-level
/// commas; `name` must not be part of a longer identifier.
fn python_call(text: &str, name: &str) -> Option<Call> {
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find(&format!("{name}(")) {
        let start = from + at;
        let before = text[..start].chars().next_back();
        from = start + name.len() + 1;
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue;
        }
        return Some(call_args(&text[from..]));
    }
    None
}

/// The first `X.from_pretrained(` whose `X` is a model class (not a
/// tokenizer, processor or config).
fn pretrained_call(text: &str) -> Option<Call> {
    let mut from = 0;
    while let Some(at) = text.get(from..)?.find(".from_pretrained(") {
        let start = from + at;
        from = start + ".from_pretrained(".len();
        let receiver: String = text[..start]
            .chars()
            .rev()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let receiver = receiver.to_ascii_lowercase();
        if ["tokenizer", "processor", "config", "extractor"]
            .iter()
            .any(|w| receiver.contains(&w.chars().rev().collect::<String>()))
        {
            continue;
        }
        return Some(call_args(&text[from..]));
    }
    None
}

/// Splits a call's argument text (after the `(`) at top-level commas up to
/// the closing `)`.
fn call_args(text: &str) -> Call {
    let mut args = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut current = String::new();
    let mut escaped = false;
    let mut comment = false;
    for c in text.chars() {
        if comment {
            comment = c != '\n';
            continue;
        }
        if let Some(q) = quote {
            current.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == q {
                quote = None;
            }
            continue;
        }
        match c {
            '"' | '\'' => {
                quote = Some(c);
                current.push(c);
            }
            '(' | '[' | '{' => {
                depth += 1;
                current.push(c);
            }
            ')' | ']' | '}' if depth == 0 => break,
            ')' | ']' | '}' => {
                depth -= 1;
                current.push(c);
            }
            ',' if depth == 0 => args.push(std::mem::take(&mut current)),
            '#' => comment = true,
            _ => current.push(c),
        }
    }
    args.push(current);
    let mut call = Call {
        positional: Vec::new(),
        keywords: Vec::new(),
    };
    for a in args {
        let a = a.trim();
        if a.is_empty() {
            continue;
        }
        let keyword = a.split_once('=').filter(|(k, v)| {
            !v.starts_with('=')
                && !k.trim().is_empty()
                && k.trim().chars().all(|c| c.is_alphanumeric() || c == '_')
        });
        match keyword {
            Some((k, v)) => call
                .keywords
                .push((k.trim().to_string(), v.trim().to_string())),
            None => call.positional.push(a.to_string()),
        }
    }
    call
}

/// Whether `model` is a catalog model whose name and checkpoint imply no
/// quantization, so that a dtype says what the weights are.
fn plain_checkpoint(model: &str) -> bool {
    resolve(model).is_ok_and(|r| {
        r.format.is_none() && crate::import::config::checkpoint_format(r.model.config).is_none()
    })
}

/// A Python string literal's content; an identifier is looked up as
/// `name = "…"` in the text; anything else is returned as written.
fn python_string(text: &str, value: &str) -> String {
    let v = value.trim();
    let v = v
        .strip_prefix(['f', 'r'])
        .filter(|s| s.starts_with(['"', '\'']))
        .unwrap_or(v);
    if let Some(q) = v.chars().next().filter(|c| matches!(c, '"' | '\'')) {
        return v[1..].split(q).next().unwrap_or_default().to_string();
    }
    if !v.is_empty() && v.chars().all(|c| c.is_alphanumeric() || c == '_') {
        for line in text.lines() {
            if let Some((k, rhs)) = line.split_once('=') {
                if k.trim() == v {
                    let rhs = rhs.trim();
                    if rhs.starts_with(['"', '\'']) {
                        return python_string("", rhs);
                    }
                }
            }
        }
    }
    v.to_string()
}

impl Parser {
    fn transformers(&mut self, text: &str, call: &Call) {
        self.tool = Some(Tool::Transformers);
        let kw = |k: &str| {
            call.keywords
                .iter()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v.clone())
        };
        let model = call
            .positional
            .first()
            .cloned()
            .or_else(|| kw("pretrained_model_name_or_path"))
            .map(|v| python_string(text, &v));
        let mut weights: Option<&str> = None;
        let quant = kw("quantization_config").unwrap_or_default();
        let bnb = if quant.contains("BitsAndBytesConfig(") {
            quant.clone()
        } else if quant.is_empty() {
            String::new()
        } else {
            // A variable: its definition elsewhere in the text.
            text.find("BitsAndBytesConfig(")
                .map(|i| text[i..].chars().take(2000).collect())
                .unwrap_or_default()
        };
        let is_true = |s: &str, key: &str| {
            s.split(key).nth(1).is_some_and(|rest| {
                rest.trim_start()
                    .trim_start_matches('=')
                    .trim_start()
                    .starts_with("True")
            })
        };
        if kw("load_in_4bit").as_deref() == Some("True") || is_true(&bnb, "load_in_4bit") {
            weights = Some(if is_true(&bnb, "bnb_4bit_use_double_quant") {
                "nf4-dq"
            } else {
                "nf4"
            });
        } else if kw("load_in_8bit").as_deref() == Some("True") || is_true(&bnb, "load_in_8bit") {
            weights = Some("int8");
        } else if quant.contains("GPTQConfig") || text.contains("GPTQConfig(") && !quant.is_empty()
        {
            weights = Some(if quant.contains("bits=8") {
                "gptq-8bit-g128"
            } else {
                "gptq"
            });
        } else if quant.contains("AwqConfig") {
            weights = Some("awq");
        }
        match model {
            Some(m) => self.model(&m),
            None => self.note("no model in the call: vramfit's default model is kept".into()),
        }
        let dtype = kw("torch_dtype")
            .or_else(|| kw("dtype"))
            .unwrap_or_default();
        let dtype = dtype
            .trim_matches(['"', '\''])
            .trim_start_matches("torch.")
            .to_string();
        let dtype_weights = match dtype.as_str() {
            "bfloat16" | "bf16" => Some("bf16"),
            "float16" | "half" | "fp16" => Some("fp16"),
            "float32" | "float" => Some("fp32"),
            _ => None,
        };
        match (weights, dtype_weights) {
            (Some(w), _) => self.set("weights", w),
            (None, Some(w)) => {
                if plain_checkpoint(&self.request.model) {
                    self.set("weights", w);
                }
            }
            (None, None) => {
                if dtype.is_empty() {
                    self.note("torch_dtype not given: transformers loads the checkpoint's dtype (float32 before 4.56 unless torch_dtype=\"auto\")".into());
                }
            }
        }
        if let Some(attn) = kw("attn_implementation") {
            let off = attn.contains("eager");
            self.set("flash_attn", if off { "off" } else { "on" });
        }
        if let Some(map) = kw("device_map") {
            self.ignore(format!("device_map={map}"));
        }
        if let Some(mm) = kw("max_memory") {
            self.max_memory(text, &mm);
        }
        if self.model.is_some() {
            self.note("transformers allocates the cache as it generates: the plan is for the ctx and batch given".into());
        }
        self.visible_devices();
    }

    /// `{0: "20GiB", 1: "24GiB", "cpu": "64GiB"}` or `{i: "20GiB" for i in range(4)}`.
    fn max_memory(&mut self, text: &str, value: &str) {
        let mut v = value.trim().to_string();
        if !v.starts_with('{') {
            // A variable: `max_memory = {…}` elsewhere.
            let name = v.clone();
            if let Some(def) = text.lines().find_map(|l| {
                let (k, rhs) = l.split_once('=')?;
                (k.trim() == name && rhs.trim().starts_with('{')).then(|| rhs.trim().to_string())
            }) {
                v = def;
            } else {
                self.note(format!(
                    "max_memory={value}: not a literal dict; GPUs not read"
                ));
                return;
            }
        }
        let inner = v.trim_start_matches('{');
        let inner = inner.split('}').next().unwrap_or_default();
        let size = |s: &str| -> Option<String> {
            let s = s.trim().trim_matches(['"', '\'']).trim();
            if s.is_empty() {
                return None;
            }
            if s.chars().all(|c| c.is_ascii_digit() || c == '_') {
                return Some(format!("{}B", s.replace('_', "")));
            }
            crate::units::parse_size(s).ok().map(|_| s.replace(' ', ""))
        };
        if let Some((entry, range)) = inner.split_once(" for ") {
            let n = range
                .split("range(")
                .nth(1)
                .and_then(|r| r.split(')').next())
                .and_then(|n| n.trim().parse::<u64>().ok())
                .unwrap_or(0)
                .min(64);
            if let Some(s) = entry.split_once(':').and_then(|(_, s)| size(s)) {
                if n > 0 {
                    self.gpu_sizes = vec![format!("{n}x{s}")];
                }
            }
            return;
        }
        let mut gpus = Vec::new();
        for item in inner.split(',') {
            let Some((k, s)) = item.split_once(':') else {
                continue;
            };
            let k = k.trim().trim_matches(['"', '\'']);
            let Some(s) = size(s) else {
                continue;
            };
            if k.eq_ignore_ascii_case("cpu") {
                self.set("host_ram", s);
                self.set("offload", "on");
            } else if k.eq_ignore_ascii_case("disk") {
                self.note("max_memory's disk entry: disk offload is not planned".into());
            } else if let Ok(i) = k.trim_start_matches("cuda:").parse::<usize>() {
                gpus.push((i, s));
            }
        }
        gpus.sort();
        if !gpus.is_empty() {
            self.note("max_memory gives each GPU's budget: planned as the GPUs' sizes".into());
            self.gpu_sizes = gpus.into_iter().map(|(_, s)| s).take(64).collect();
        }
    }
}

// ---------------------------------------------------------------------------
// ExLlamaV2 / TabbyAPI

/// TabbyAPI's `config.yml` keys that concern memory, when the text has any.
fn tabby_yaml(text: &str) -> Option<BTreeMap<String, String>> {
    let mut keys = BTreeMap::new();
    let mut list_for: Option<String> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(item) = t.strip_prefix("- ") {
            if let Some(k) = &list_for {
                let entry = keys.entry(k.clone()).or_insert_with(String::new);
                if !entry.is_empty() {
                    entry.push(',');
                }
                entry.push_str(item.trim());
                continue;
            }
        }
        list_for = None;
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let k = k.trim();
        if !matches!(
            k,
            "model_name"
                | "max_seq_len"
                | "cache_mode"
                | "gpu_split"
                | "gpu_split_auto"
                | "tensor_parallel"
                | "cache_size"
        ) {
            continue;
        }
        let v = v.split(" #").next().unwrap_or_default().trim();
        if v.is_empty() {
            list_for = Some(k.to_string());
        }
        keys.insert(k.to_string(), v.to_string());
    }
    keys.keys()
        .any(|k| matches!(k.as_str(), "gpu_split" | "max_seq_len" | "cache_mode"))
        .then_some(keys)
}

/// `4.65bpw` in a model folder's name → `exl2-4.65bpw`.
fn exl2_bits(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    for word in lower.split(['-', '_', '/', '\\']) {
        if let Some(bits) = word.strip_suffix("bpw") {
            if bits.parse::<f64>().is_ok() {
                return Some(format!("exl2-{bits}bpw"));
            }
        }
    }
    None
}

/// The model folder without its EXL2 words (`-4.65bpw-h6-exl2`).
fn exl2_base(name: &str) -> String {
    let base = name.trim_end_matches(['/', '\\']);
    let base = base.rsplit(['/', '\\']).next().unwrap_or(base);
    base.split(['-', '_'])
        .filter(|w| {
            let l = w.to_ascii_lowercase();
            !(l.ends_with("bpw")
                || l == "exl2"
                || l == "exl3"
                || (l.len() == 2 && l.starts_with('h') && l[1..].parse::<u8>().is_ok()))
        })
        .collect::<Vec<_>>()
        .join("-")
}

impl Parser {
    fn exllama_model(&mut self, dir: &str) {
        let base = exl2_base(dir);
        self.model_ref = Some(dir.to_string());
        self.model_candidates(vec![base.clone(), dir.to_string()], base);
        match exl2_bits(dir) {
            Some(w) => self.set("weights", w),
            None => self.note(
                "no bits per weight in the model's name: ExLlamaV2's usual 4.0 bpw assumed".into(),
            ),
        }
    }

    fn exllama_cache(&mut self, mode: &str) {
        let kv = match mode.trim().to_ascii_uppercase().as_str() {
            "Q4" => "q4",
            "Q6" => "q6",
            "Q8" | "FP8" => "q8",
            _ => "f16",
        };
        self.set("kv", kv);
    }

    fn exllama_split(&mut self, split: &str) {
        let n = split
            .split([',', ' '])
            .filter(|s| s.trim().parse::<f64>().is_ok())
            .count() as u64;
        if n > 0 {
            self.note(format!(
                "gpu_split {split}: GB of weights per GPU, not the GPUs' size"
            ));
            self.more_gpus(n);
        }
    }

    fn exllama(&mut self, args: &[String]) {
        self.tool = Some(Tool::ExLlamaV2);
        let mut f = Flags::new(args);
        let mut model = None;
        while let Some((flag, inline)) = f.next_word() {
            let name = flag.replace('_', "-");
            match name.as_str() {
                "-m" | "-d" | "--model-dir" | "--model" | "--model-name" | "--directory" => {
                    model = f.value(inline)
                }
                "-l" | "--length" | "--max-seq-len" => {
                    if let Some(n) = f.value(inline).and_then(|v| count(&v)) {
                        self.ctx(n, 1);
                    }
                }
                "-gs" | "--gpu-split" => {
                    let mut split = f.value(inline).unwrap_or_default();
                    // TabbyAPI: `--gpu-split 20 24`.
                    while let Some(more) = f.value_if(None, |w| w.parse::<f64>().is_ok()) {
                        split.push(',');
                        split.push_str(&more);
                    }
                    if split != "auto" {
                        self.exllama_split(&split);
                    }
                }
                "-cq4" | "--cache-q4" => self.exllama_cache("Q4"),
                "-cq6" | "--cache-q6" => self.exllama_cache("Q6"),
                "-cq8" | "-c8" | "--cache-q8" | "--cache-8bit" => self.exllama_cache("Q8"),
                "--cache-mode" => {
                    let m = f.value(inline).unwrap_or_default();
                    self.exllama_cache(&m);
                }
                _ if flag.starts_with('-') => {
                    let value = f.value_if(inline, not_a_flag);
                    self.ignore(match value {
                        Some(v) => format!("{flag} {v}"),
                        None => flag,
                    });
                }
                _ => self.ignore(flag),
            }
        }
        match model {
            Some(m) => self.exllama_model(&m),
            None => {
                self.note("no model folder in the command: vramfit's default model is kept".into())
            }
        }
        self.exllama_defaults();
    }

    fn exllama_yaml(&mut self, keys: &BTreeMap<String, String>) {
        self.tool = Some(Tool::ExLlamaV2);
        if let Some(n) = keys.get("max_seq_len").and_then(|v| count(v)) {
            self.ctx(n, 1);
        }
        if let Some(m) = keys.get("cache_mode") {
            self.exllama_cache(m);
        }
        if let Some(split) = keys.get("gpu_split") {
            let split = split.trim_matches(['[', ']']).to_string();
            let auto = keys
                .get("gpu_split_auto")
                .is_some_and(|v| v.eq_ignore_ascii_case("true"));
            if !split.trim().is_empty() && !auto {
                self.exllama_split(&split);
            }
        }
        match keys.get("model_name").filter(|m| !m.is_empty()) {
            Some(m) => self.exllama_model(&m.clone()),
            None => {
                self.note("no model_name in the config: vramfit's default model is kept".into())
            }
        }
        self.exllama_defaults();
    }

    fn exllama_defaults(&mut self) {
        if !self.ctx_given {
            if let Some((_, train)) = self.model {
                self.ctx(train, 1);
                self.note(format!(
                    "max_seq_len not given: ExLlamaV2 uses the model's {train}-token context"
                ));
            }
        }
        self.visible_devices();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expected: Expect) {
        let p = parse_command(text);
        let defaults = Request::default();
        let mut out = format!("{:?}", p.tool);
        for field in Request::FIELDS {
            let v = p.request.get(field).unwrap_or_default();
            if v != defaults.get(field).unwrap_or_default() {
                out.push_str(&format!("\n{field}={v}"));
            }
        }
        for i in &p.ignored {
            out.push_str(&format!("\nignored: {i}"));
        }
        expected.assert_eq(&out);
    }

    #[test]
    fn shell_words_undo_quotes_continuations_and_chains() {
        let commands = split_commands(
            "CUDA_VISIBLE_DEVICES=0,1 ./llama-server \\\n  -m 'my model.gguf' --alias \"a \\\"b\\\"\" 2>&1 | tee log && echo done # comment",
        );
        assert_eq!(
            commands,
            vec![
                vec![
                    "CUDA_VISIBLE_DEVICES=0,1",
                    "./llama-server",
                    "-m",
                    "my model.gguf",
                    "--alias",
                    "a \"b\""
                ],
                vec!["tee", "log"],
                vec!["echo", "done"],
            ]
        );
        assert_eq!(split_commands("a ^\r\n b `\n c"), vec![vec!["a", "b", "c"]]);
        assert_eq!(
            split_commands("unterminated 'quote"),
            vec![vec!["unterminated", "quote"]]
        );
    }

    #[test]
    fn llama_server_flags_become_request_fields() {
        check(
            "llama-server -m Qwen3-8B-Q5_K_M.gguf -c 32768 -np 4 -ngl 99 -fa on -ctk q8_0 -ctv q8_0 -ts 3,1 -ub 1024 --port 8080",
            expect![[r#"
                LlamaServer
                model=Qwen3-8B-Q5_K_M.gguf
                weights=
                kv=q8_0
                batch=4
                images=0
                ubatch=1024
                ngl=all
                tensor_split=3,1
                ignored: --port 8080"#]],
        );
    }

    #[test]
    fn llama_bench_lists_take_the_first_value() {
        check(
            "./llama-bench -m models/llama-2-7b.Q4_0.gguf -p 512 -n 128 -ngl 99,0 -fa 1",
            expect![[r#"
                LlamaBench
                model=models/llama-2-7b.Q4_0.gguf
                weights=
                ctx=640
                images=0
                ngl=all"#]],
        );
    }

    #[test]
    fn ollama_tags_modelfiles_and_environment() {
        check(
            "OLLAMA_NUM_PARALLEL=2 OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0 ollama serve\nollama run qwen2.5:7b-instruct-q8_0",
            expect![[r#"
                Ollama
                model=qwen2.5-7b-instruct
                engine=ollama
                weights=q8_0
                kv=q8_0
                ctx=4096
                batch=2"#]],
        );
        check(
            "FROM llama3.1:8b\nPARAMETER num_ctx 16384\nPARAMETER num_gpu 20",
            expect![[r#"
                Ollama
                model=llama3.1-8b
                engine=ollama
                ctx=16384
                flash_attn=off
                ngl=20"#]],
        );
    }

    #[test]
    fn vllm_serve_and_python_calls() {
        check(
            "vllm serve Qwen/Qwen2.5-7B-Instruct-AWQ --max-model-len 28k --max-num-seqs 8 -tp 2 --kv-cache-dtype fp8 --gpu_memory_utilization 0.85 --enforce-eager --trust-remote-code",
            expect![[r#"
                Vllm
                model=Qwen/Qwen2.5-7B-Instruct-AWQ
                engine=vllm
                weights=
                kv=fp8
                ctx=28000
                batch=8
                util=0.85
                eager=on
                tp=2
                ignored: --trust-remote-code"#]],
        );
        check(
            "llm = LLM(model=\"Qwen/Qwen2.5-VL-7B-Instruct\", tensor_parallel_size=4, max_model_len=4096*2, limit_mm_per_prompt={\"image\": 10, \"video\": 1}, kv_cache_dtype=\"fp8_e5m2\")",
            expect![[r#"
                Vllm
                model=Qwen/Qwen2.5-VL-7B-Instruct
                gpus=4x24GB
                engine=vllm
                weights=
                kv=fp8
                images=10
                tp=4"#]],
        );
    }

    #[test]
    fn transformers_calls_read_dtype_quantization_and_max_memory() {
        check(
            "model = AutoModelForCausalLM.from_pretrained(\n  \"meta-llama/Llama-3.1-70B-Instruct\",\n  device_map=\"auto\",\n  max_memory={0: \"20GiB\", 1: \"24GiB\", \"cpu\": \"64GiB\"},\n  quantization_config=BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_use_double_quant=True),\n)",
            expect![[r#"
                Transformers
                model=meta-llama/Llama-3.1-70B-Instruct
                gpus=20GiB, 24GiB
                engine=transformers
                weights=nf4-dq
                host_ram=64GiB
                offload=on
                ignored: device_map="auto""#]],
        );
    }

    #[test]
    fn exllama_splits_and_tabby_configs() {
        check(
            "python examples/chat.py -m /models/Llama-3.1-70B-Instruct-4.65bpw-h6-exl2 -gs 20,24 -l 8192 -cq4",
            expect![[r#"
                ExLlamaV2
                model=Llama-3.1-70B-Instruct
                engine=exllamav2
                weights=exl2-4.65bpw
                kv=q4"#]],
        );
    }

    #[test]
    fn any_text_gives_a_result() {
        for text in [
            "",
            "-",
            "\\",
            "'",
            "\"",
            "llama-server -m",
            "vllm serve",
            "ollama",
            "from_pretrained(",
            "LLM(",
            "docker run",
            "python -m",
            "gpu_split:",
            "é\u{0}ß",
        ] {
            let _ = parse_command(text);
        }
        let p = parse_command("hello world");
        assert_eq!(p.tool, Tool::Unknown);
        assert_eq!(p.ignored, ["hello world"]);
    }
}
