//! Pure flag generation: the command that runs a plan, per engine.
//!
//! Flags are data: each engine has one table of the flags vramfit emits,
//! each with the documentation it was checked against, and a test that
//! every emitted flag is in its table.

pub mod exllamav2;
pub mod llama_cpp;
pub mod ollama;
pub mod transformers;
pub mod vllm;

use std::collections::BTreeMap;

use crate::estimate::format::WeightFormat;
use crate::estimate::memory::Engine;
use crate::estimate::model::ModelSpec;
use crate::plan::Plan;

/// One command-line flag (or config key) vramfit may emit, with where it is
/// documented.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag {
    pub name: &'static str,
    pub doc: &'static str,
}

/// What a launcher needs besides the plan.
#[derive(Debug, Clone, Copy)]
pub struct LaunchContext<'a> {
    pub plan: &'a Plan,
    pub spec: &'a ModelSpec,
    /// Hugging Face repo id (or a path) of the model.
    pub model_ref: &'a str,
    /// Module → device index or `cpu`.
    pub device_map: &'a BTreeMap<String, String>,
}

impl LaunchContext<'_> {
    /// The model's file name for GGUF engines: `Llama-3.1-8B-Q4_K_M.gguf`.
    pub fn gguf_file(&self) -> String {
        let base = self.model_ref.rsplit('/').next().unwrap_or(self.model_ref);
        if base.to_ascii_lowercase().ends_with(".gguf") {
            return base.to_string();
        }
        match self.plan.settings.weights {
            WeightFormat::Gguf { ftype } => format!("{base}-{}.gguf", ftype.name()),
            _ => format!("{base}.gguf"),
        }
    }

    /// The projector file of a vision-language model for llama.cpp: the
    /// one imported with the model, else `mmproj-gemma-3-27b-it-F16.gguf`.
    pub fn mmproj_file(&self) -> String {
        let imported = self.spec.stored.as_ref().and_then(|s| s.mmproj.as_ref());
        if let Some(m) = imported {
            return m
                .file
                .rsplit(['/', '\\'])
                .next()
                .unwrap_or(&m.file)
                .to_string();
        }
        let base = self.model_ref.rsplit('/').next().unwrap_or(self.model_ref);
        let base = base.strip_suffix(".gguf").unwrap_or(base);
        format!("mmproj-{base}-F16.gguf")
    }

    /// `CUDA_VISIBLE_DEVICES=…` when the plan leaves some GPU of node 0 unused.
    pub fn visible_devices(&self) -> Option<String> {
        let local: Vec<_> = self.plan.devices.iter().filter(|d| d.node == 0).collect();
        let used: Vec<String> = local
            .iter()
            .filter(|d| d.used())
            .map(|d| d.index.to_string())
            .collect();
        (used.len() < local.len()).then(|| format!("CUDA_VISIBLE_DEVICES={}", used.join(",")))
    }

    /// Used GPUs on other machines (multi-node plans).
    pub fn remote_nodes(&self) -> Vec<usize> {
        let mut nodes: Vec<usize> = self
            .plan
            .used_devices()
            .map(|d| d.node)
            .filter(|&n| n > 0)
            .collect();
        nodes.dedup();
        nodes
    }
}

/// The command (or config file) that runs the plan on its engine.
pub fn command(context: &LaunchContext) -> String {
    match context.plan.settings.engine {
        Engine::LlamaCpp => llama_cpp::command(context),
        Engine::Vllm => vllm::command(context),
        Engine::Transformers => transformers::snippet(context),
        Engine::ExLlamaV2 => exllamav2::config(context),
        Engine::Ollama => ollama::modelfile(context),
    }
}

/// Checks every `-x`/`--xyz` word of a command against a flag table (tests).
#[cfg(test)]
pub(crate) fn assert_flags_documented(command: &str, flags: &[Flag]) {
    for word in command.split_whitespace().filter(|w| w.starts_with('-')) {
        assert!(
            flags.iter().any(|f| f.name == word),
            "{word} is not a documented flag"
        );
    }
}

#[cfg(test)]
pub(crate) mod golden {
    //! Helpers for the per-engine golden tests.
    use crate::report::{report, Request};

    /// The command a request produces, for golden comparisons.
    pub fn command_for(fields: &[(&str, &str)]) -> String {
        let mut request = Request::default();
        for (field, value) in fields {
            match *field {
                "engine" => request.set_engine(value),
                _ => assert!(request.set(field, value.to_string()), "{field}"),
            }
        }
        let r = report(&request).unwrap_or_else(|e| panic!("{e}"));
        r.commands.values().next().cloned().unwrap_or_default()
    }
}
