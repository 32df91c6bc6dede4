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
//! The words are split by [`crate::import::words::split_commands`], the
//! shell reader the log readers share: POSIX quoting with Windows paths,
//! backslash-newline, `^` (cmd) and backtick (PowerShell) continuations,
//! `&&` chains, redirections and prompts; it returns something for any
//! text, never an error.
//!
//! Pure and total: any text in (the first [`MAX_INPUT`] bytes are read), a
//! [`Parsed`] out, never a panic; everything is bounded by the input size.

use std::collections::BTreeMap;

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::{Request, MAX_CTX};
use crate::estimate::names::try_resolve;
use crate::estimate::WeightFormat;
use crate::import::words::split_commands;

mod exllama;
mod llama;
mod ollama;
mod python;
mod shell;
#[cfg(test)]
mod tests;
mod vllm;

use exllama::*;
use llama::*;
use ollama::*;
use python::*;
use shell::*;

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
    /// Which of `notes` says the GPUs were assumed (the command does not
    /// give their sizes): a caller that knows the GPUs drops it.
    #[serde(skip)]
    pub gpus_note: Option<String>,
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
// The parser's state

#[derive(Default)]
struct Parser {
    request: Request,
    tool: Option<Tool>,
    model_ref: Option<String>,
    ignored: Vec<String>,
    ignored_more: usize,
    notes: Vec<String>,
    gpus_note: Option<String>,
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
            if let Some(r) = try_resolve(c) {
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

    /// `--n-cpu-moe N` / `--cpu-moe`, and `-ot` overrides that keep the
    /// experts of some layers on the CPU, as the request's `n_cpu_moe`.
    fn experts_on_cpu(&mut self, n_cpu_moe: Option<String>, overrides: &[String]) {
        if let Some(n) = n_cpu_moe {
            self.set("n_cpu_moe", n.trim());
        }
        if overrides.is_empty() {
            return;
        }
        let Some((n_layer, _)) = self.model else {
            self.note(format!(
                "-ot {}: the model's layers are unknown, so the overrides are not planned",
                overrides.join(" -ot ")
            ));
            return;
        };
        let o = crate::plan::overrides::read(overrides, n_layer);
        match o.n_cpu_moe() {
            Some((k, true)) => {
                self.set("n_cpu_moe", k.to_string());
                self.note(format!(
                    "-ot: the experts of the first {k} layers stay on the CPU, as --n-cpu-moe {k}"
                ));
            }
            Some((k, false)) => {
                self.set("n_cpu_moe", k.to_string());
                self.note(format!(
                    "-ot: the experts of {k} layers stay on the CPU; planned as the first {k} (--n-cpu-moe {k}), which moves the same bytes but may split the layers differently"
                ));
            }
            None => {}
        }
        if !o.partial_layers.is_empty() {
            self.note(format!(
                "-ot: {} layer(s) keep only some expert tensors on the CPU, which vramfit does not plan",
                o.partial_layers.len()
            ));
        }
        if !o.to_gpus.is_empty() {
            self.note(format!(
                "-ot {}: overrides to a GPU are not planned (vramfit splits by layer)",
                o.to_gpus.join(",")
            ));
        }
        if !o.invalid.is_empty() {
            self.note(format!(
                "-ot {}: not a PATTERN=BUFFER regular expression",
                o.invalid.join(",")
            ));
        }
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
            } else {
                let note = if let Some(n) = self.gpu_count {
                    self.set("gpus", format!("{n}x24GB"));
                    format!("the command implies {n} GPU(s) but not their size: 24 GB each assumed; paste nvidia-smi to fill them")
                } else {
                    "the command does not say which GPUs: vramfit's default (2 × 24 GB) is kept; paste nvidia-smi to fill them".into()
                };
                self.note(note.clone());
                self.gpus_note = Some(note);
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
            gpus_note: self.gpus_note,
        }
    }
}
