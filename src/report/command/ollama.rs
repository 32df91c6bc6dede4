//! Ollama: `ollama run`, Modelfiles, `/set parameter` and `OLLAMA_*` environment.

use super::*;

/// `PARAMETER name value` lines of a Modelfile, `/set parameter` commands,
/// and the `FROM` model (as `from`).
pub(super) fn modelfile_params(text: &str, commands: &[Vec<String>]) -> BTreeMap<String, String> {
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
pub(super) fn ollama_candidates(raw: &str) -> (Vec<String>, Option<String>) {
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
    pub(super) fn ollama(&mut self, args: &[String]) {
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
    pub(super) fn ollama_model(&mut self, raw: &str) {
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
    pub(super) fn ollama_settings(&mut self, params: &BTreeMap<String, String>) {
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
