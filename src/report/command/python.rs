//! Python calls: transformers' `from_pretrained(...)` and vLLM's `LLM(...)` arguments,
//! split by [`crate::import::words::python_items`].

use super::*;
use crate::import::words::{python_items, until_closed, without_comments, Item};

/// A call's arguments, as source text.
pub(super) struct Call {
    pub(super) positional: Vec<String>,
    pub(super) keywords: Vec<(String, String)>,
}

/// The text between `name(` and its matching `)`, split at top-level
/// commas; `name` must not be part of a longer identifier.
pub(super) fn python_call(text: &str, name: &str) -> Option<Call> {
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
pub(super) fn pretrained_call(text: &str) -> Option<Call> {
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

/// A call's arguments from its text after the `(`, up to the closing `)`:
/// comments dropped, split at top-level commas.
pub(super) fn call_args(text: &str) -> Call {
    let code = without_comments(text);
    let mut call = Call {
        positional: Vec::new(),
        keywords: Vec::new(),
    };
    for item in python_items(until_closed(&code)) {
        match item {
            Item::Pair(k, v) => call.keywords.push((k.to_string(), v.to_string())),
            Item::Positional(v) => call.positional.push(v.to_string()),
        }
    }
    call
}

/// Whether `model` is a catalog model whose name and checkpoint imply no
/// quantization, so that a dtype says what the weights are.
pub(super) fn plain_checkpoint(model: &str) -> bool {
    try_resolve(model).is_some_and(|r| {
        r.format.is_none() && crate::import::config::checkpoint_format(r.model.config).is_none()
    })
}

/// A Python string literal's content; an identifier is looked up as
/// `name = "…"` in the text; anything else is returned as written.
pub(super) fn python_string(text: &str, value: &str) -> String {
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
    pub(super) fn transformers(&mut self, text: &str, call: &Call) {
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
    pub(super) fn max_memory(&mut self, text: &str, value: &str) {
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
