//! The pieces of one log line: its tag, a size, a label, logfmt pairs,
//! whether a command line's word names llama.cpp, a metadata value.

use super::*;

/// The first `tag:` in `line` that is a llama.cpp prefix, and what follows.
pub(super) fn find_tag(line: &str) -> Option<(&str, &str)> {
    let mut from = 0;
    while let Some(at) = line.get(from..)?.find(':') {
        let colon = from + at;
        from = colon + 1;
        let after = line.get(colon + 1..).unwrap_or("");
        if !(after.is_empty() || after.starts_with(' ')) {
            continue;
        }
        let head = line.get(..colon).unwrap_or("");
        let start = head
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '~'))
            .map_or(0, |i| i + 1);
        let tag = head.get(start..).unwrap_or("");
        if TAGS.contains(&tag) || TAG_FAMILIES.iter().any(|f| tag.starts_with(f)) {
            return Some((tag.trim_start_matches('~'), after));
        }
    }
    None
}

/// Known lines that carry nothing read here.
pub(super) fn informational(rest: &str) -> bool {
    const STARTS: &[&str] = &[
        "loading model tensors",
        "offloading ",
        "tensor '",
        "ggml ctx size",
        "layer ",
        "- layer",
        "constructing",
        "enumerating",
        "backend_ptrs",
        "max_nodes",
        "reserving",
        "worst-case",
        "n_ctx_per_seq (",
        "n_ctx_seq (",
        "LLAMA_SET_ROWS",
        "attn_rot",
        "non-unified KV cache",
        "warming up",
        "setting ",
        "added ",
        "model name",
        "reserve took",
        "realloc",
        "skipping",
        "CPU_REPACK",
        "special tokens",
        "token to piece",
        "n_threads",
        "allocated buffer",
        "picking default device",
        "GPU name",
        "GPU family",
        "simdgroup",
        "has ",
        "use ",
        "loaded kernel",
        "compiling",
        "loading '",
        "allocating",
        "found ",
        "initializing",
        "failed",
        "using ",
        "not ",
        "system info",
        "~",
        "pre-allocating",
        "EOG",
        "BOS",
        "EOS",
        "EOT",
        "LF ",
        "PAD",
        "UNK",
        "SEP",
        "FIM",
        "max token length",
        "llama backend init",
        "load the model",
    ];
    STARTS.iter().any(|s| rest.starts_with(s))
        || rest.is_empty()
        || rest.chars().all(|c| c == '.' || c == ' ')
}

/// Allocation failures and out-of-memory lines.
pub(super) fn is_error(line: &str) -> bool {
    const MARKS: &[&str] = &[
        "out of memory",
        "failed to allocate",
        "unable to allocate",
        "cudaMalloc failed",
        "ErrorOutOfDeviceMemory",
        "allocation of size",
        "failed to create context",
        "failed to initialize the context",
        "error loading model",
        "OutOfDeviceMemory",
        "hipMalloc failed",
        "failed to load model",
    ];
    MARKS.iter().any(|m| line.contains(m))
}

/// `CUDA0` → (`CUDA`, 0); `Vulkan1` → (`Vulkan`, 1); `MTL0` → (`Metal`, 0).
pub(super) fn split_label(label: &str) -> (String, Option<u32>) {
    let digits = label
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_ascii_digit())
        .last()
        .map_or(label.len(), |(i, _)| i);
    let (name, index) = (
        label.get(..digits).unwrap_or(label),
        label.get(digits..).unwrap_or(""),
    );
    let name = match name {
        "MTL" => "Metal",
        other => other,
    };
    (name.to_string(), index.parse().ok())
}

/// `build: 6688 (898acba6) with cc …` → number and commit.
pub(super) fn build(rest: &str) -> Option<Build> {
    let mut w = rest.split_whitespace();
    let number = w.next()?.parse().ok();
    let commit = w
        .next()
        .and_then(|c| c.strip_prefix('(')?.strip_suffix(')'))
        .map(str::to_string);
    (number.is_some() || commit.is_some()).then_some(Build { number, commit })
}

/// The first run of digits of `s` as a number.
pub(super) fn leading_u64(s: &str) -> Option<u64> {
    let end = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    s.get(..end)?.parse().ok()
}

/// `1276.07 MiB`, `1276,07 MiB` (a decimal comma), `51539.61 MB`,
/// `11.5 GiB`, `0 B` → bytes. MiB/GiB/KiB are powers of two, MB/GB/KB
/// powers of ten; a number without a unit is not a size.
pub(super) fn size(text: &str) -> Option<u64> {
    let t = text.trim().trim_matches('"').trim();
    let end = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(t.len());
    let (num, unit) = (t.get(..end)?, t.get(end..)?.trim());
    if num.is_empty() || num.len() > 24 {
        return None;
    }
    let value: f64 = num.replace(',', ".").parse().ok()?;
    let unit = unit.split_whitespace().next().unwrap_or("");
    let unit = unit.trim_end_matches(|c: char| !c.is_ascii_alphabetic());
    let scale = match unit {
        "MiB" => 1048576.0,
        "GiB" => 1073741824.0,
        "KiB" => 1024.0,
        "TiB" => 1099511627776.0,
        "B" => 1.0,
        "MB" => 1e6,
        "GB" => 1e9,
        "KB" | "kB" => 1e3,
        _ => return None,
    };
    let bytes = (value * scale).round();
    // Beyond any machine (a zettabyte) is not a size.
    (bytes.is_finite() && (0.0..1e21).contains(&bytes)).then_some(bytes as u64)
}

/// `[22.0 GiB 22.0 GiB]` or `3.7 GiB` → bytes each.
pub(super) fn size_list(text: &str) -> Vec<u64> {
    let words: Vec<&str> = text
        .trim_matches(['[', ']', '"'])
        .split_whitespace()
        .collect();
    words
        .chunks(2)
        .filter_map(|pair| match pair {
            [n, unit] => size(&format!("{n} {unit}")),
            _ => None,
        })
        .take(MAX_KEPT)
        .collect()
}

/// `key=value key="quoted \" value"` pairs.
pub(super) fn logfmt_pairs(line: &str) -> Vec<(String, String)> {
    let mut pairs = Vec::new();
    let mut chars = line.chars().peekable();
    while chars.peek().is_some() && pairs.len() < 256 {
        while chars.peek() == Some(&' ') {
            chars.next();
        }
        let mut key = String::new();
        while let Some(&c) = chars.peek() {
            if c == '=' || c == ' ' {
                break;
            }
            key.push(c);
            chars.next();
        }
        if chars.peek() != Some(&'=') {
            continue;
        }
        chars.next();
        let mut value = String::new();
        if chars.peek() == Some(&'"') {
            chars.next();
            while let Some(c) = chars.next() {
                match c {
                    '\\' => {
                        if let Some(n) = chars.next() {
                            value.push(n);
                        }
                    }
                    '"' => break,
                    c => value.push(c),
                }
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c == ' ' {
                    break;
                }
                value.push(c);
                chars.next();
            }
        }
        pairs.push((key, value));
    }
    pairs
}

/// `llama-server`, `/path/llama-cli`, `C:\AI>vulkan\llama-server`,
/// `ollama_llama_server`, `./main`, `ollama runner`.
pub(super) fn is_program(word: &str) -> bool {
    let base = word.rsplit(['/', '\\', '>']).next().unwrap_or(word);
    let base = base.trim_end_matches(".exe");
    base.starts_with("llama-")
        || base == "ollama_llama_server"
        || base == "main"
        || base == "server"
        || base == "ollama"
}

/// Flags that make a line a command line worth reading.
pub(super) const MEMORY_FLAGS: &[&str] = &[
    "-m",
    "--model",
    "-hf",
    "-c",
    "--ctx-size",
    "-ngl",
    "--n-gpu-layers",
    "--gpu-layers",
    "-np",
    "--parallel",
    "-ts",
    "--tensor-split",
    "-ctk",
    "--cache-type-k",
    "-fa",
    "--flash-attn",
    "-ub",
    "--ubatch-size",
    "-b",
    "--batch-size",
];

/// Fills the settings the log's lines left open from the command line.
pub(super) fn apply_command(s: &mut Settings, cmd: &Command) {
    for (flag, value) in &cmd.flags {
        let v = value.as_deref();
        let n = || v.and_then(|v| v.parse::<u64>().ok());
        match flag.as_str() {
            "-c" | "--ctx-size" => s.n_ctx = s.n_ctx.or(n()),
            "-b" | "--batch-size" => s.n_batch = s.n_batch.or(n()),
            "-ub" | "--ubatch-size" => s.n_ubatch = s.n_ubatch.or(n()),
            "-np" | "--parallel" => s.n_seq_max = s.n_seq_max.or(n()),
            "-ngl" | "--n-gpu-layers" | "--gpu-layers" => {
                s.n_gpu_layers = s.n_gpu_layers.or(v.and_then(|v| v.parse().ok()))
            }
            "-fa" | "--flash-attn" if s.flash_attn.is_none() => match v {
                Some("auto") => s.flash_attn_auto = true,
                Some("off" | "0" | "false" | "disabled") => s.flash_attn = Some(false),
                _ => s.flash_attn = Some(true),
            },
            "-ctk" | "--cache-type-k" | "--kv-cache-type" => {
                if s.type_k.is_none() {
                    s.type_k = v.map(str::to_string);
                }
                if flag == "--kv-cache-type" && s.type_v.is_none() {
                    s.type_v = v.map(str::to_string);
                }
            }
            "-ctv" | "--cache-type-v" => s.type_v = s.type_v.take().or(v.map(str::to_string)),
            "-ts" | "--tensor-split" if s.tensor_split.is_none() => {
                s.tensor_split = v.map(|v| {
                    v.split([',', '/'])
                        .filter_map(|x| x.trim().parse().ok())
                        .collect()
                });
            }
            "-sm" | "--split-mode" => s.split_mode = s.split_mode.take().or(v.map(str::to_string)),
            "-mg" | "--main-gpu" => s.main_gpu = s.main_gpu.or(n()),
            "-m" | "--model" => s.model_path = s.model_path.take().or(v.map(str::to_string)),
            "-mm" | "--mmproj" => s.mmproj = s.mmproj.take().or(v.map(str::to_string)),
            "--n-cpu-moe" | "-ncmoe" => s.n_cpu_moe = s.n_cpu_moe.or(n()),
            "-ot" | "--override-tensor" => {
                if let Some(v) = v {
                    push(&mut s.override_tensor, v.to_string());
                }
            }
            "--no-mmap" => s.no_mmap = Some(true),
            "-nkvo" | "--no-kv-offload" => s.no_kv_offload = Some(true),
            "--swa-full" => s.swa_full = s.swa_full.or(Some(true)),
            _ => {}
        }
    }
}

/// A loader value: `u32 = 2880`, `str = llama`, `f32 = 0.000010`,
/// `bool = true`, `arr[str,151936] = ["!", …`, `arr[i32,8] = [3, 8, …]`.
pub(super) fn metadata_value(ty: &str, value: &str) -> Option<Value> {
    if let Some(arr) = ty.strip_prefix("arr[") {
        let (elem, len) = arr.trim_end_matches(']').split_once(',')?;
        let len: u64 = len.trim().parse().ok()?;
        // Items only when the whole array was printed (llama.cpp cuts long
        // ones with `...`) and they are numbers.
        let inner = value
            .trim()
            .strip_prefix('[')
            .and_then(|v| v.strip_suffix(']'));
        let items = match inner {
            Some(inner) if elem != "str" && !inner.contains("...") && len <= 4096 => {
                let items: Option<Vec<Value>> = inner
                    .split(',')
                    .filter(|x| !x.trim().is_empty())
                    .map(|x| scalar(elem, x.trim()))
                    .collect();
                items.filter(|i| i.len() as u64 == len).unwrap_or_default()
            }
            _ => Vec::new(),
        };
        return Some(Value::Array { len, items });
    }
    scalar(ty, value)
}

pub(super) fn scalar(ty: &str, value: &str) -> Option<Value> {
    Some(match ty {
        "u8" | "u16" | "u32" | "u64" => Value::Uint(value.parse().ok()?),
        "i8" | "i16" | "i32" | "i64" => Value::Int(value.parse().ok()?),
        "f32" | "f64" => Value::Float(value.parse().ok()?),
        "bool" => Value::Bool(value.parse().ok()?),
        "str" => Value::Str(value.to_string()),
        _ => return None,
    })
}
