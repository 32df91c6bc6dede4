//! llama.cpp's flags (`llama-server`, `llama-cli`, `llama-bench`) and the flag reader the engines share.

use super::*;

/// One flag and its value as written: `--flag value` or `--flag=value`.
pub(super) struct Flags<'a> {
    words: &'a [String],
    i: usize,
}

impl<'a> Flags<'a> {
    pub(super) fn new(words: &'a [String]) -> Self {
        Flags { words, i: 0 }
    }

    /// The next word, split at `=` for a long flag.
    pub(super) fn next_word(&mut self) -> Option<(String, Option<String>)> {
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
    pub(super) fn value(&mut self, inline: Option<String>) -> Option<String> {
        if inline.is_some() {
            return inline;
        }
        let w = self.words.get(self.i)?;
        self.i += 1;
        Some(w.clone())
    }

    /// The next word if it does not look like a flag (for flags whose
    /// value is optional, and for unknown ones).
    pub(super) fn value_if(
        &mut self,
        inline: Option<String>,
        ok: impl Fn(&str) -> bool,
    ) -> Option<String> {
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

pub(super) fn not_a_flag(w: &str) -> bool {
    !w.starts_with('-') || w.parse::<f64>().is_ok()
}

/// A count such as `32768`, `32k` (×1000), `32K` (×1024) or `1M`.
pub(super) fn count(text: &str) -> Option<u64> {
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
pub(super) fn first_of(p: &mut Parser, flag: &str, value: &str) -> String {
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
pub(super) fn kv_type(value: &str) -> Option<String> {
    let v = value.trim().to_ascii_lowercase();
    crate::estimate::format::kv_pair(&v).is_ok().then_some(v)
}

impl Parser {
    pub(super) fn llama(&mut self, tool: Tool, args: &[String]) {
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
        let mut cpu_moe: Option<String> = None;
        let mut overrides: Vec<String> = Vec::new();
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
                    prompt = v(&mut f, self, &flag)
                        .and_then(|x| count(&x))
                        .unwrap_or(512)
                }
                "-n" | "--n-gen" if bench => {
                    gen = v(&mut f, self, &flag)
                        .and_then(|x| count(&x))
                        .unwrap_or(128)
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
                        matches!(
                            w.as_str(),
                            "on" | "off" | "auto" | "0" | "1" | "true" | "false"
                        ) || w.contains(',')
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
                        let ts = if bench {
                            first_of(self, &flag, &ts)
                        } else {
                            ts
                        };
                        let ts = ts.replace('/', ",");
                        self.more_gpus(
                            ts.split(',').filter(|x| !x.trim().is_empty()).count() as u64
                        );
                        self.set("tensor_split", ts);
                    }
                }
                "-sm" | "--split-mode" => {
                    if let Some(sm) = v(&mut f, self, &flag) {
                        match sm.to_ascii_lowercase().as_str() {
                            "layer" | "row" | "none" => {
                                self.set("split_mode", sm.to_ascii_lowercase())
                            }
                            _ => self.note(format!(
                                "-sm {sm} is not a split mode vramfit plans (layer, row, none)"
                            )),
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
                "--n-cpu-moe" | "-ncmoe" => cpu_moe = v(&mut f, self, &flag),
                "--cpu-moe" | "-cmoe" => cpu_moe = Some("all".into()),
                "-ot" | "--override-tensor" => {
                    if let Some(pattern) = f.value(inline) {
                        overrides.push(pattern);
                    }
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
                | "--device-draft" | "--draft-max" | "--draft-min" | "--numa" | "-prio"
                | "--prio" | "--reasoning-format" | "--reasoning-budget" | "-lv"
                | "--verbosity" | "--path" | "-cd" | "--ctx-size-draft" | "-f" | "--file"
                | "-sys" | "--system-prompt" | "--image" | "--repeat-penalty" | "-nr"
                | "--no-repack" | "-mmp" | "--mmap" => {
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
        // Expert placement after the model, whose layers it counts.
        self.experts_on_cpu(cpu_moe, &overrides);
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
    pub(super) fn devices(&mut self, devs: &str) {
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
    pub(super) fn visible_devices(&mut self) {
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
