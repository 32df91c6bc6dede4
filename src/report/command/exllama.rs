//! ExLlamaV2 / TabbyAPI: `--gpu_split`, `config.yml`.

use super::*;

/// TabbyAPI's `config.yml` keys that concern memory, when the text has any.
pub(super) fn tabby_yaml(text: &str) -> Option<BTreeMap<String, String>> {
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
pub(super) fn exl2_bits(name: &str) -> Option<String> {
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
pub(super) fn exl2_base(name: &str) -> String {
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
    pub(super) fn exllama_model(&mut self, dir: &str) {
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

    pub(super) fn exllama_cache(&mut self, mode: &str) {
        let kv = match mode.trim().to_ascii_uppercase().as_str() {
            "Q4" => "q4",
            "Q6" => "q6",
            "Q8" | "FP8" => "q8",
            _ => "f16",
        };
        self.set("kv", kv);
    }

    pub(super) fn exllama_split(&mut self, split: &str) {
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

    pub(super) fn exllama(&mut self, args: &[String]) {
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

    pub(super) fn exllama_yaml(&mut self, keys: &BTreeMap<String, String>) {
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

    pub(super) fn exllama_defaults(&mut self) {
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
