//! A vLLM launch command as pasted — `vllm serve MODEL --flag value …`,
//! `python -m vllm.entrypoints.openai.api_server --model …`, a
//! `docker run … vllm/vllm-openai … --model …` line, or a Python
//! `LLM(model=…, …)` call — read into its model, environment and flags.
//!
//! Flags are normalised the way vLLM's argument parser accepts them:
//! `--max_model_len` and `--max-model-len` are one flag, `--flag=value`
//! and `--flag value` are one form, the short aliases (`-tp`, `-pp`, `-dp`,
//! `-q`) are expanded, and an unambiguous prefix (`--tensor-parallel 2`,
//! which argparse accepts) becomes the whole name. [`FLAGS`] lists the
//! flags vramfit plans with; every other flag is kept and also listed in
//! [`VllmCommand::unused`].

use serde::Serialize;

use super::{Engine, Settings};
use crate::import::words::{bracketed, python_items, split_commands, unquote, Item, MAX_WORDS};

/// One flag vramfit reads from a vLLM command.
pub struct FlagSpec {
    /// The flag as vLLM documents it.
    pub name: &'static str,
    /// Its short alias, if vLLM has one.
    pub short: Option<&'static str>,
    /// Takes no value (a store-true flag).
    pub switch: bool,
    /// What vramfit does with it.
    pub doc: &'static str,
}

/// The flags vramfit plans with — what `vramfit check` reads from a command.
pub const FLAGS: &[FlagSpec] = &[
    FlagSpec {
        name: "--model",
        short: None,
        switch: false,
        doc: "the checkpoint: catalog, Hugging Face id or local path",
    },
    FlagSpec {
        name: "--max-model-len",
        short: None,
        switch: false,
        doc: "context per request (`--ctx`); 28k = 28000, 28K = 28672",
    },
    FlagSpec {
        name: "--tensor-parallel-size",
        short: Some("-tp"),
        switch: false,
        doc: "ranks sharing each layer",
    },
    FlagSpec {
        name: "--pipeline-parallel-size",
        short: Some("-pp"),
        switch: false,
        doc: "stages of consecutive layers",
    },
    FlagSpec {
        name: "--data-parallel-size",
        short: Some("-dp"),
        switch: false,
        doc: "replicas; each holds the whole model",
    },
    FlagSpec {
        name: "--dtype",
        short: None,
        switch: false,
        doc: "activation and unquantized weight type",
    },
    FlagSpec {
        name: "--quantization",
        short: Some("-q"),
        switch: false,
        doc: "weight format",
    },
    FlagSpec {
        name: "--kv-cache-dtype",
        short: None,
        switch: false,
        doc: "KV cache type (auto, fp8, fp8_e5m2, …)",
    },
    FlagSpec {
        name: "--block-size",
        short: None,
        switch: false,
        doc: "tokens per KV block",
    },
    FlagSpec {
        name: "--gpu-memory-utilization",
        short: None,
        switch: false,
        doc: "share of each GPU vLLM may use",
    },
    FlagSpec {
        name: "--max-num-seqs",
        short: None,
        switch: false,
        doc: "sequences per batch",
    },
    FlagSpec {
        name: "--max-num-batched-tokens",
        short: None,
        switch: false,
        doc: "tokens per step: sizes the profile run's activations",
    },
    FlagSpec {
        name: "--enforce-eager",
        short: None,
        switch: true,
        doc: "no CUDA graphs",
    },
    FlagSpec {
        name: "--enable-prefix-caching",
        short: None,
        switch: true,
        doc: "prefix caching on",
    },
    FlagSpec {
        name: "--no-enable-prefix-caching",
        short: None,
        switch: true,
        doc: "prefix caching off",
    },
    FlagSpec {
        name: "--cpu-offload-gb",
        short: None,
        switch: false,
        doc: "GiB of weights per GPU kept in host memory",
    },
    FlagSpec {
        name: "--limit-mm-per-prompt",
        short: None,
        switch: false,
        doc: "images/videos per prompt: sizes the multimodal profile",
    },
    FlagSpec {
        name: "--mm-processor-kwargs",
        short: None,
        switch: false,
        doc: "image processor settings (pixels per image)",
    },
    FlagSpec {
        name: "--speculative-config",
        short: None,
        switch: false,
        doc: "a draft model or MTP heads: more weights and KV",
    },
];

/// Store-true flags vramfit does not read, so that the word after one is
/// not taken as its value (it is the model, or the next flag).
const OTHER_SWITCHES: &[&str] = &[
    "--trust-remote-code",
    "--enable-chunked-prefill",
    "--no-enable-chunked-prefill",
    "--enable-auto-tool-choice",
    "--disable-log-requests",
    "--enable-log-requests",
    "--disable-log-stats",
    "--enable-expert-parallel",
    "--disable-custom-all-reduce",
    "--enable-lora",
    "--enable-reasoning",
    "--async-scheduling",
    "--enable-sleep-mode",
    "--skip-tokenizer-init",
    "--disable-sliding-window",
    "--enable-log-outputs",
    "--disable-frontend-multiprocessing",
    "--headless",
    "--enable-prompt-tokens-details",
    "--enable-force-include-usage",
    "--disable-fastapi-docs",
    "--enable-server-load-tracking",
    "--disable-cascade-attn",
    "--enable-eplb",
    "--enable-dbo",
    "--safetensors-load-strategy-eager",
];

/// How the command starts vLLM.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Launcher {
    /// `vllm serve MODEL …`
    Serve,
    /// `python -m vllm.entrypoints.openai.api_server …` (or the older
    /// `vllm.entrypoints.api_server`).
    ApiServer,
    /// `docker run … vllm/vllm-openai[:tag] …`
    Docker,
    /// `LLM(model=…, …)` in Python.
    Python,
}

/// One flag as given, normalised to `--kebab-case`; `value` is `None` for
/// a switch given alone.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Flag {
    pub name: String,
    pub value: Option<String>,
}

/// One `NAME=value` set for the command (before it, or with `docker -e`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

/// A vLLM launch command, read.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct VllmCommand {
    /// How vLLM is started; `None` when only flags were found.
    pub launcher: Option<Launcher>,
    /// The model (positional, `--model`, or `LLM(model=…)`).
    pub model: Option<String>,
    /// Environment set for the command, in order.
    pub env: Vec<EnvVar>,
    /// Every flag, in order, `--kebab-case`.
    pub flags: Vec<Flag>,
    /// The flags not in [`FLAGS`], in order, each once.
    pub unused: Vec<String>,
    /// What the flags set, in the terms of a startup log.
    pub settings: Settings,
    /// The engine `VLLM_USE_V1=0|1` asks for.
    pub engine: Option<Engine>,
}

/// Reads the first vLLM command in `text` (input past
/// [`MAX_INPUT`](super::MAX_INPUT) bytes is ignored). Text without a
/// launcher still yields the flags of its first line that has `--` flags.
pub fn parse_command(text: &str) -> VllmCommand {
    let text = super::capped(text);
    let lines: Vec<&str> = text.lines().take(super::MAX_LINES).collect();
    if let Some(i) = lines
        .iter()
        .position(|l| launcher_in(l).is_some() && !is_comment(l))
    {
        return from_words(&block(&lines, i));
    }
    if let Some(line) = lines.iter().find(|l| l.contains("LLM(") && !is_comment(l)) {
        return from_python(line);
    }
    if let Some(i) = lines
        .iter()
        .position(|l| l.split_whitespace().any(|w| w.starts_with("--")))
    {
        return from_words(&block(&lines, i));
    }
    VllmCommand::default()
}

/// A shell comment: commands in it are not run.
pub(super) fn is_comment(line: &str) -> bool {
    line.trim_start().starts_with('#')
}

/// Whether a line holds a vLLM launcher word (a command, not a log line).
pub(super) fn launcher_in(line: &str) -> Option<Launcher> {
    if line.contains("vllm serve") {
        Some(Launcher::Serve)
    } else if line.contains("vllm.entrypoints.openai.api_server")
        || line.contains("vllm.entrypoints.api_server")
    {
        Some(Launcher::ApiServer)
    } else if line.contains("vllm/vllm-openai") || line.contains("vllm-openai:") {
        Some(Launcher::Docker)
    } else {
        None
    }
}

/// The logical line around `lines[i]`: joined with the lines that a
/// trailing backslash continues, before and after it.
fn block(lines: &[&str], i: usize) -> String {
    let continued = |l: &str| l.trim_end().ends_with('\\');
    let mut start = i;
    while start > 0 && continued(lines[start - 1]) && i - start < 64 {
        start -= 1;
    }
    let mut end = i;
    while end + 1 < lines.len() && continued(lines[end]) && end - i < 256 {
        end += 1;
    }
    lines[start..=end].join("\n")
}

pub(super) fn from_python(line: &str) -> VllmCommand {
    let mut cmd = VllmCommand {
        launcher: Some(Launcher::Python),
        ..VllmCommand::default()
    };
    let Some(at) = line.find("LLM(") else {
        return cmd;
    };
    let args = bracketed(line, at + 3);
    for item in python_items(args) {
        match item {
            Item::Positional(v) if cmd.model.is_none() && cmd.flags.is_empty() => {
                cmd.model = Some(unquote(v).to_string());
            }
            Item::Positional(_) => {}
            Item::Pair(key, value) => {
                let value = unquote(value).to_string();
                if key == "model" {
                    cmd.model = Some(value.clone());
                }
                push_flag(
                    &mut cmd,
                    format!("--{}", key.replace('_', "-")),
                    Some(value),
                );
            }
        }
    }
    finish(cmd)
}

/// The launcher a command's words name, and the index of the word naming it.
fn launcher_at(words: &[String]) -> Option<(Launcher, usize)> {
    words.iter().enumerate().find_map(|(i, w)| {
        let after_vllm = i
            .checked_sub(1)
            .and_then(|p| words.get(p))
            .is_some_and(|p| p.ends_with("vllm"));
        let launcher = if w == "serve" && after_vllm {
            Launcher::Serve
        } else if w.contains("vllm.entrypoints") {
            Launcher::ApiServer
        } else if w.contains("vllm-openai") {
            Launcher::Docker
        } else {
            return None;
        };
        Some((launcher, i))
    })
}

fn from_words(text: &str) -> VllmCommand {
    let commands = split_commands(text);
    // The command that starts vLLM (`cd /srv && vllm serve …`), else the
    // first with flags.
    let (words, at) = match commands
        .iter()
        .find_map(|words| Some((words, launcher_at(words)?)))
    {
        Some((words, at)) => (words.as_slice(), Some(at)),
        None => {
            let flagged = commands
                .iter()
                .find(|words| words.iter().any(|w| w.starts_with("--")));
            (flagged.map_or(&[][..], Vec::as_slice), None)
        }
    };
    let mut cmd = VllmCommand::default();
    // Where vLLM's own arguments start, and whether a positional model may
    // come first.
    let mut start = None;
    if let Some((launcher, i)) = at {
        cmd.launcher = Some(launcher);
        start = Some(i + 1);
        if launcher == Launcher::Docker {
            // `docker run … -e K=V …` before the image.
            let before = words.get(..i).unwrap_or_default();
            let mut j = 0;
            while let Some(w) = before.get(j) {
                if w == "-e" || w == "--env" {
                    if let Some(v) = before.get(j + 1) {
                        push_env(&mut cmd, v);
                        j += 1;
                    }
                } else if let Some(v) = w.strip_prefix("--env=") {
                    push_env(&mut cmd, v);
                }
                j += 1;
            }
        }
    }
    let start = match start {
        Some(s) => {
            // `NAME=value` words before the launcher (not docker's own).
            if cmd.launcher != Some(Launcher::Docker) {
                for w in &words[..s] {
                    push_env(&mut cmd, w);
                }
            }
            s
        }
        None => words
            .iter()
            .position(|w| w.starts_with("--"))
            .unwrap_or(words.len()),
    };
    let mut i = start;
    while i < words.len() {
        let w = &words[i];
        i += 1;
        if !w.starts_with('-') || w == "-" || w == "--" {
            if cmd.model.is_none() && cmd.launcher.is_some() && !w.contains('=') {
                cmd.model = Some(w.clone());
            }
            continue;
        }
        let (raw, inline) = match w.split_once('=') {
            Some((n, v)) => (n, Some(v.to_string())),
            None => (w.as_str(), None),
        };
        let name = normalise(raw);
        let switch = is_switch(&name);
        let value = match inline {
            Some(v) => Some(v),
            None => match words.get(i) {
                Some(next) if switch => {
                    let is_bool = matches!(next.as_str(), "true" | "false" | "True" | "False");
                    is_bool.then(|| {
                        i += 1;
                        next.clone()
                    })
                }
                Some(next) if !starts_flag(next) => {
                    i += 1;
                    Some(next.clone())
                }
                _ => None,
            },
        };
        if name == "--model" {
            if let Some(v) = &value {
                cmd.model = Some(v.clone());
            }
        }
        push_flag(&mut cmd, name, value);
    }
    finish(cmd)
}

fn starts_flag(word: &str) -> bool {
    word.starts_with('-') && word.len() > 1 && word.parse::<f64>().is_err()
}

fn push_env(cmd: &mut VllmCommand, word: &str) {
    let Some((name, value)) = word.split_once('=') else {
        return;
    };
    let ok = !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if ok && cmd.env.len() < MAX_WORDS {
        if name == "VLLM_USE_V1" {
            cmd.engine = match value {
                "0" => Some(Engine::V0),
                "1" => Some(Engine::V1),
                _ => cmd.engine,
            };
        }
        cmd.env.push(EnvVar {
            name: name.to_string(),
            value: value.to_string(),
        });
    }
}

fn push_flag(cmd: &mut VllmCommand, name: String, value: Option<String>) {
    if cmd.flags.len() < MAX_WORDS {
        cmd.flags.push(Flag { name, value });
    }
}

/// `-tp` → `--tensor-parallel-size`, `--max_model_len` →
/// `--max-model-len`, `--tensor-parallel` → `--tensor-parallel-size`.
fn normalise(raw: &str) -> String {
    if let Some(spec) = FLAGS.iter().find(|f| f.short == Some(raw)) {
        return spec.name.to_string();
    }
    let bare = raw.trim_start_matches('-').replace('_', "-");
    let name = format!("--{bare}");
    let known = FLAGS
        .iter()
        .map(|f| f.name)
        .chain(OTHER_SWITCHES.iter().copied());
    let mut prefixed = None;
    for k in known {
        if k == name {
            return name;
        }
        if bare.len() >= 4 && k.starts_with(&name) {
            if prefixed.is_some() {
                return name; // ambiguous: argparse would refuse it too
            }
            prefixed = Some(k);
        }
    }
    prefixed.map_or(name, str::to_string)
}

fn is_switch(name: &str) -> bool {
    FLAGS.iter().any(|f| f.switch && f.name == name) || OTHER_SWITCHES.contains(&name)
}

fn finish(mut cmd: VllmCommand) -> VllmCommand {
    let mut settings = Settings::default();
    for flag in &cmd.flags {
        let key = flag.name.trim_start_matches('-').replace('-', "_");
        let value = flag.value.as_deref().unwrap_or("True");
        if key == "no_enable_prefix_caching" {
            settings.set("enable_prefix_caching", "False");
        } else {
            settings.set(&key, value);
        }
        let used = FLAGS.iter().any(|f| f.name == flag.name);
        if !used && !cmd.unused.contains(&flag.name) {
            cmd.unused.push(flag.name.clone());
        }
    }
    cmd.settings = settings;
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expected: Expect) {
        let cmd = parse_command(text);
        let flags: Vec<String> = cmd
            .flags
            .iter()
            .map(|f| match &f.value {
                Some(v) => format!("{} {v}", f.name),
                None => f.name.clone(),
            })
            .collect();
        let env: Vec<String> = cmd
            .env
            .iter()
            .map(|e| format!("{}={}", e.name, e.value))
            .collect();
        expected.assert_eq(&format!(
            "{:?} model={:?} engine={:?}\nenv: {env:?}\nflags: {flags:?}\nunused: {:?}\n",
            cmd.launcher, cmd.model, cmd.engine, cmd.unused
        ));
    }

    #[test]
    fn vllm_serve_with_env_underscores_equals_and_an_abbreviation() {
        check(
            "PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True VLLM_USE_V1=1 CUDA_VISIBLE_DEVICES=0,1 \\\n      vllm serve cyankiwi/Kimi-Linear-48B-A3B-Instruct-AWQ-4bit \\        \n      --gpu-memory-utilization=0.95 --max_model_len 120000 --tensor_parallel 2 --enable_prefix_caching \\\n      --max-num-seqs 8 --trust-remote-code --tool-call-parser kimi_k2",
            expect![[r#"
                Some(Serve) model=Some("cyankiwi/Kimi-Linear-48B-A3B-Instruct-AWQ-4bit") engine=Some(V1)
                env: ["PYTORCH_CUDA_ALLOC_CONF=expandable_segments:True", "VLLM_USE_V1=1", "CUDA_VISIBLE_DEVICES=0,1"]
                flags: ["--gpu-memory-utilization 0.95", "--max-model-len 120000", "--tensor-parallel-size 2", "--enable-prefix-caching", "--max-num-seqs 8", "--trust-remote-code", "--tool-call-parser kimi_k2"]
                unused: ["--trust-remote-code", "--tool-call-parser"]
            "#]],
        );
    }

    #[test]
    fn a_positional_model_after_a_switch_and_short_aliases() {
        check(
            "$ vllm serve --trust-remote-code -tp 2 --gpu_memory_utilization=0.98  /root/DeepSeek-R1-Distill-Qwen-14B",
            expect![[r#"
                Some(Serve) model=Some("/root/DeepSeek-R1-Distill-Qwen-14B") engine=None
                env: []
                flags: ["--trust-remote-code", "--tensor-parallel-size 2", "--gpu-memory-utilization 0.98"]
                unused: ["--trust-remote-code"]
            "#]],
        );
    }

    #[test]
    fn the_api_server_module_with_quoted_values() {
        check(
            r#"CUDA_VISIBLE_DEVICES=0,1 python -m vllm.entrypoints.api_server --model="/cm/deepseek-coder-6.7b-instruct/" --tensor-parallel-size=2 --trust-remote-code --dtype="float16""#,
            expect![[r#"
                Some(ApiServer) model=Some("/cm/deepseek-coder-6.7b-instruct/") engine=None
                env: ["CUDA_VISIBLE_DEVICES=0,1"]
                flags: ["--model /cm/deepseek-coder-6.7b-instruct/", "--tensor-parallel-size 2", "--trust-remote-code", "--dtype float16"]
                unused: ["--trust-remote-code"]
            "#]],
        );
    }

    #[test]
    fn docker_run_skips_dockers_own_flags_and_keeps_its_env() {
        check(
            "docker run --runtime nvidia --gpus all \\\n    -v ~/.cache/huggingface:/root/.cache/huggingface \\\n    --env \"HUGGING_FACE_HUB_TOKEN=<secret>\" -e VLLM_USE_V1=0 \\\n    -p 8000:8000 \\\n    --ipc=host \\\n    vllm/vllm-openai:latest \\\n    --model mistralai/Mistral-7B-v0.1 --limit-mm-per-prompt '{\"image\": 2}' --kv-cache-dtype fp8",
            expect![[r#"
                Some(Docker) model=Some("mistralai/Mistral-7B-v0.1") engine=Some(V0)
                env: ["HUGGING_FACE_HUB_TOKEN=<secret>", "VLLM_USE_V1=0"]
                flags: ["--model mistralai/Mistral-7B-v0.1", "--limit-mm-per-prompt {\"image\": 2}", "--kv-cache-dtype fp8"]
                unused: []
            "#]],
        );
    }

    #[test]
    fn the_command_that_starts_vllm_is_read_from_a_chain() {
        check(
            "source ~/venv/bin/activate && CUDA_VISIBLE_DEVICES=0 vllm serve Qwen/Qwen3-8B --max-model-len 8192 > vllm.log 2>&1 &",
            expect![[r#"
                Some(Serve) model=Some("Qwen/Qwen3-8B") engine=None
                env: ["CUDA_VISIBLE_DEVICES=0"]
                flags: ["--max-model-len 8192"]
                unused: []
            "#]],
        );
    }

    #[test]
    fn a_python_llm_call_and_bare_flags() {
        check(
            r#"llm = LLM(model="DeepSeek-V4-Flash", tensor_parallel_size=2, max_model_len=30_000, kv_cache_dtype="fp8", compilation_config={"cudagraph_mode": "FULL_AND_PIECEWISE"})"#,
            expect![[r#"
                Some(Python) model=Some("DeepSeek-V4-Flash") engine=None
                env: []
                flags: ["--model DeepSeek-V4-Flash", "--tensor-parallel-size 2", "--max-model-len 30_000", "--kv-cache-dtype fp8", "--compilation-config {\"cudagraph_mode\": \"FULL_AND_PIECEWISE\"}"]
                unused: ["--compilation-config"]
            "#]],
        );
        check(
            "--tensor-parallel-size=1 --model=/models/Phi-3-vision-128k-instruct",
            expect![[r#"
                None model=Some("/models/Phi-3-vision-128k-instruct") engine=None
                env: []
                flags: ["--tensor-parallel-size 1", "--model /models/Phi-3-vision-128k-instruct"]
                unused: []
            "#]],
        );
    }

    #[test]
    fn settings_follow_the_flags() {
        let cmd = parse_command(
            "vllm serve m --max-model-len 28k --no-enable-prefix-caching --enforce-eager -q awq --speculative-config '{\"method\": \"mtp\"}'",
        );
        expect![[r#"
            Settings {
                max_model_len: Some(
                    28000,
                ),
                tensor_parallel_size: None,
                pipeline_parallel_size: None,
                data_parallel_size: None,
                dtype: None,
                quantization: Some(
                    "awq",
                ),
                kv_cache_dtype: None,
                block_size: None,
                gpu_memory_utilization: None,
                max_num_seqs: None,
                max_num_batched_tokens: None,
                enforce_eager: Some(
                    true,
                ),
                enable_prefix_caching: Some(
                    false,
                ),
                cpu_offload_gb: None,
                limit_mm_per_prompt: None,
                mm_processor_kwargs: None,
                speculative_config: Some(
                    "{\"method\": \"mtp\"}",
                ),
            }
        "#]]
        .assert_debug_eq(&cmd.settings);
    }

    #[test]
    fn every_flag_in_the_table_is_kebab_case_and_documented() {
        for f in FLAGS {
            assert!(
                f.name.starts_with("--") && !f.name.contains('_'),
                "{}",
                f.name
            );
            assert!(!f.doc.is_empty());
            assert_eq!(normalise(f.name), f.name);
        }
    }
}
