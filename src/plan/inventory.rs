//! Pasted GPU inventories → GPU rows: what `nvidia-smi`, `rocm-smi`,
//! `system_profiler` or `llama-server --list-devices` print, read into each
//! GPU's name, memory and memory already in use.
//!
//! [`parse_inventory`] reads, from any text:
//!
//! * `nvidia-smi`'s table, old (`| 0  GeForce GTX 1080    Off  | …`) and new
//!   (`|   0  NVIDIA GeForce RTX 3090   Off |   …`) layouts: the name from a
//!   GPU's first row, `1234MiB / 24576MiB` from its second;
//! * `nvidia-smi --query-gpu=name,memory.total,memory.used --format=csv`
//!   with or without `noheader` / `nounits` (columns by the header when
//!   there is one, else name, total, used);
//! * `rocm-smi --showmeminfo vram` (`GPU[0] : VRAM Total Memory (B): …`,
//!   `VRAM Total Used Memory (B)`) with `--showproductname` names;
//! * `system_profiler SPDisplaysDataType` (`Chipset Model`, `VRAM (Total)`,
//!   and the unified memory from `SPHardwareDataType`'s `Memory:` when it is
//!   pasted too);
//! * `llama-server --list-devices` (`CUDA0: NVIDIA GeForce RTX 4090 (24080
//!   MiB, 23618 MiB free)`, Vulkan and Metal alike).
//!
//! A name the GPU catalog knows gets its [`InventoryGpu::card`] when the
//! catalog card's memory agrees with the size read (within 10 %), so a
//! 16 GB RTX 4060 Ti is not taken for the 8 GB one. [`to_gpu_list`] writes
//! the rows in the syntax of the request's `gpus` field.
//!
//! Pure and total: any text in (the first MiB is read), never a panic.

use serde::Serialize;

use super::gpus::find_card;
use crate::units::{GIB, MIB};

/// The most text read.
pub const MAX_INPUT: usize = 1 << 20;

/// The most GPUs read (a plan covers at most 64).
const MAX_GPUS: usize = super::device::MAX_GPUS;

/// One GPU as an inventory lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct InventoryGpu {
    /// The name as printed (`NVIDIA GeForce RTX 3090`).
    pub name: String,
    /// Total memory, bytes (0 when the text does not say).
    pub capacity_bytes: u64,
    /// Memory already in use, bytes.
    pub used_bytes: u64,
    /// The catalog card id, when the name and size match one.
    pub card: Option<String>,
}

/// Reads every GPU an inventory lists (see the module docs for the formats).
pub fn parse_inventory(text: &str) -> Vec<InventoryGpu> {
    let mut end = text.len().min(MAX_INPUT);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let text = &text[..end];
    let readers: [fn(&str) -> Vec<Raw>; 5] = [
        list_devices,
        nvidia_csv,
        nvidia_table,
        rocm_smi,
        system_profiler,
    ];
    for read in readers {
        let raw = read(text);
        if !raw.is_empty() {
            return raw.into_iter().take(MAX_GPUS).map(Raw::finish).collect();
        }
    }
    Vec::new()
}

/// The GPUs as a `gpus` field: a catalog card id where one matched, else
/// the size in MiB, with `:USED` when memory is in use; repeats folded
/// (`2xrtx-3090:1234MiB, 16384MiB`).
pub fn to_gpu_list(gpus: &[InventoryGpu]) -> String {
    let mut entries: Vec<(usize, String)> = Vec::new();
    for g in gpus.iter().take(MAX_GPUS) {
        let card = g.card.as_deref().and_then(find_card);
        let (device, capacity) = match card {
            Some(c) => (c.id.clone(), c.usable_bytes()),
            None if g.capacity_bytes > 0 => (
                format!("{}MiB", g.capacity_bytes.div_ceil(MIB)),
                g.capacity_bytes.div_ceil(MIB) * MIB,
            ),
            None => continue,
        };
        // What parse_gpus accepts: something in use, less than the whole.
        let used_mib = g
            .used_bytes
            .div_ceil(MIB)
            .min((capacity / MIB).saturating_sub(1));
        let entry = if used_mib > 0 {
            format!("{device}:{used_mib}MiB")
        } else {
            device
        };
        match entries.last_mut() {
            Some((n, last)) if *last == entry => *n += 1,
            _ => entries.push((1, entry)),
        }
    }
    entries
        .into_iter()
        .map(|(n, e)| if n > 1 { format!("{n}x{e}") } else { e })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A GPU while it is being read.
#[derive(Debug, Default, Clone)]
struct Raw {
    name: String,
    /// Other names the printout gives (rocm-smi's `[Radeon RX 7900 XT/7900 XTX]`).
    aliases: Vec<String>,
    capacity: u64,
    used: u64,
}

impl Raw {
    fn finish(self) -> InventoryGpu {
        let name = self.name.trim().trim_end_matches("...").trim().to_string();
        let mut names = vec![name.clone()];
        names.extend(self.aliases);
        let card = names.iter().find_map(|n| card_for(n, self.capacity));
        let capacity = match (self.capacity, card) {
            (0, Some(id)) => find_card(id).map_or(0, |c| c.memory_bytes()),
            (c, _) => c,
        };
        InventoryGpu {
            name,
            capacity_bytes: capacity,
            used_bytes: self.used.min(capacity),
            card: card.map(str::to_string),
        }
    }
}

/// The catalog card `name` is, if its memory agrees with `capacity` (any
/// when the capacity is unknown). Tries the name, then without vendor
/// words, then shorter from the end, each also with the size (`3060 12gb`).
fn card_for(name: &str, capacity: u64) -> Option<&'static str> {
    let fits = |c: &crate::plan::gpus::Card| {
        let mem = c.memory_bytes();
        capacity == 0 || (mem.abs_diff(capacity) as f64) <= 0.1 * mem as f64
    };
    let spaced = name.replace(['-', '_'], " ");
    let words: Vec<&str> = spaced
        .split_whitespace()
        .filter(|w| {
            !matches!(
                w.to_ascii_lowercase().as_str(),
                "nvidia"
                    | "geforce"
                    | "tesla"
                    | "amd"
                    | "intel(r)"
                    | "apple"
                    | "rtx"
                    | "gtx"
                    | "graphics"
            )
        })
        .collect();
    let gib = (capacity as f64 / GIB as f64).round() as u64;
    let mut tries = vec![name.to_string(), spaced.clone()];
    for k in (1..=words.len().min(8)).rev() {
        let head = words[..k].join(" ");
        if gib > 0 {
            tries.push(format!("{head} {gib}gb"));
        }
        tries.push(head);
    }
    tries
        .iter()
        .filter_map(|t| find_card(t))
        .find(|c| fits(c))
        .map(|c| c.id.as_str())
}

/// Digits at the start of `text` as a number (saturating).
fn number(text: &str) -> Option<u64> {
    let digits: String = text
        .trim()
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .take(20)
        .collect();
    digits.parse::<u64>().ok()
}

/// `24576MiB`, `24576 MiB`, `24 GB`, `8192 MB`: bytes, with a default unit
/// for a bare number.
fn size(text: &str, bare: u64) -> Option<u64> {
    let t = text.trim();
    let n: String = t
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '.')
        .take(24)
        .collect();
    let value: f64 = n.parse().ok()?;
    let unit = t[n.len()..].trim().to_ascii_lowercase();
    let scale = match unit.split_whitespace().next().unwrap_or("") {
        "" => bare,
        "b" => 1,
        "kib" | "kb" => 1 << 10,
        "mib" | "mb" => MIB,
        "gib" | "gb" => GIB,
        "tib" | "tb" => 1 << 40,
        _ => return None,
    };
    let bytes = value * scale as f64;
    (bytes.is_finite() && bytes < 1e16).then_some(bytes as u64)
}

/// `CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23618 MiB free)`.
fn list_devices(text: &str) -> Vec<Raw> {
    let mut gpus = Vec::new();
    for line in text.lines() {
        let t = line.trim();
        let Some(body) = t.strip_suffix("free)") else {
            continue;
        };
        let Some((device, rest)) = body.split_once(": ") else {
            continue;
        };
        if device.contains(' ') {
            continue;
        }
        let Some(open) = rest.rfind('(') else {
            continue;
        };
        let Some((total, free)) = rest[open + 1..].split_once(',') else {
            continue;
        };
        let (Some(total), Some(free)) = (size(total, MIB), size(free, MIB)) else {
            continue;
        };
        let name = rest[..open].trim();
        // `AMD Radeon RX 7900 XTX (RADV NAVI31)`: the driver's name in
        // parentheses is not part of the card's.
        let short = match name.rfind(" (") {
            Some(i) if name.ends_with(')') => name[..i].to_string(),
            _ => name.to_string(),
        };
        gpus.push(Raw {
            name: short,
            aliases: vec![name.to_string()],
            capacity: total,
            used: total.saturating_sub(free),
        });
    }
    gpus
}

/// `nvidia-smi --query-gpu=… --format=csv[,noheader][,nounits]`.
fn nvidia_csv(text: &str) -> Vec<Raw> {
    let mut columns: Option<(usize, usize, Option<usize>, Option<usize>)> = None;
    let mut bytes = false;
    let mut gpus = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split(',').map(str::trim).collect();
        if cells.len() < 2 {
            continue;
        }
        let find = |keys: &[&str]| {
            cells.iter().position(|c| {
                let c = c.to_ascii_lowercase();
                keys.iter().any(|k| c.starts_with(k))
            })
        };
        // nvidia-smi's header, or rocm-smi --csv's (bytes, `Card Series`).
        if let Some(total) = find(&["memory.total", "vram total memory"]) {
            let name = find(&["name"])
                .or_else(|| find(&["card series"]))
                .or_else(|| find(&["device"]));
            if let Some(name) = name {
                columns = Some((
                    name,
                    total,
                    find(&["memory.used", "vram total used memory"]),
                    find(&["memory.free"]),
                ));
                bytes = cells[total].to_ascii_lowercase().contains("(b)");
            }
            continue;
        }
        let unit = if bytes { 1 } else { MIB };
        let (name, total, used, free) = match columns {
            Some(c) => c,
            None => {
                // No header: the first cell with a letter is the name, the
                // numbers after it are total, used (and free).
                let Some(n) = cells.iter().position(|c| {
                    c.chars().any(|ch| ch.is_ascii_alphabetic()) && size(c, MIB).is_none()
                }) else {
                    continue;
                };
                let numbers = cells.len() - n - 1;
                if numbers == 0 || !cells[n + 1..].iter().all(|c| size(c, MIB).is_some()) {
                    continue;
                }
                (
                    n,
                    n + 1,
                    (numbers >= 2).then_some(n + 2),
                    (numbers >= 3).then_some(n + 3),
                )
            }
        };
        let cell = |i: usize| cells.get(i).copied().unwrap_or("");
        let Some(capacity) = size(cell(total), unit) else {
            continue;
        };
        let used = match (
            used.and_then(|i| size(cell(i), unit)),
            free.and_then(|i| size(cell(i), unit)),
        ) {
            (Some(u), _) => u,
            (None, Some(f)) => capacity.saturating_sub(f),
            (None, None) => 0,
        };
        gpus.push(Raw {
            name: cell(name).to_string(),
            capacity,
            used,
            ..Raw::default()
        });
    }
    gpus
}

/// `nvidia-smi`'s table: a GPU's first row has its index, name and
/// persistence mode; its second row `usedMiB / totalMiB`.
fn nvidia_table(text: &str) -> Vec<Raw> {
    let mut gpus: Vec<Raw> = Vec::new();
    let mut waiting = false;
    for line in text.lines() {
        let t = line.trim();
        if !t.starts_with('|') {
            continue;
        }
        let cells: Vec<&str> = t.trim_matches('|').split('|').collect();
        let first = cells.first().copied().unwrap_or("").trim();
        let mut words = first.split_whitespace();
        let index = words.next().and_then(|w| w.parse::<u32>().ok());
        let rest: Vec<&str> = words.collect();
        if let (Some(_), [name @ .., mode]) = (index, rest.as_slice()) {
            if matches!(*mode, "On" | "Off") && !name.is_empty() {
                gpus.push(Raw {
                    name: name.join(" "),
                    ..Raw::default()
                });
                waiting = true;
                continue;
            }
        }
        if waiting {
            if let Some(memory) = cells
                .iter()
                .find(|c| c.contains("MiB /") || c.contains("MiB/"))
            {
                if let Some((used, total)) = memory.split_once('/') {
                    if let (Some(u), Some(c)) = (size(used, MIB), size(total, MIB)) {
                        if let Some(g) = gpus.last_mut() {
                            g.used = u;
                            g.capacity = c;
                        }
                        waiting = false;
                    }
                }
            }
        }
    }
    gpus
}

/// `rocm-smi --showmeminfo vram` and `--showproductname`, by `GPU[i]`.
fn rocm_smi(text: &str) -> Vec<Raw> {
    let mut gpus: Vec<(u64, Raw)> = Vec::new();
    for line in text.lines() {
        let Some(rest) = line.trim().strip_prefix("GPU[") else {
            continue;
        };
        let Some((index, rest)) = rest.split_once(']') else {
            continue;
        };
        let Some(index) = number(index) else {
            continue;
        };
        let Some((_, rest)) = rest.split_once(':') else {
            continue;
        };
        let Some((key, value)) = rest.split_once(':') else {
            continue;
        };
        let key = key.trim().to_ascii_lowercase();
        let value = value.trim();
        let at = match gpus.iter().position(|(i, _)| *i == index) {
            Some(at) => at,
            None if gpus.len() < MAX_GPUS => {
                gpus.push((index, Raw::default()));
                gpus.len() - 1
            }
            None => continue,
        };
        let g = &mut gpus[at].1;
        match key.as_str() {
            "vram total memory (b)" => g.capacity = number(value).unwrap_or(0),
            "vram total used memory (b)" => g.used = number(value).unwrap_or(0),
            "card series" | "card model" | "marketing name" | "device name" => {
                let is_hex = value.starts_with("0x");
                if is_hex || value.is_empty() {
                    continue;
                }
                // `Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]`
                if let Some((_, inside)) = value.split_once('[') {
                    let inside = inside.trim_end_matches(']');
                    let mut parts = inside.split('/');
                    let head = parts.next().unwrap_or_default().trim().to_string();
                    let prefix: String = head
                        .rsplit_once(' ')
                        .map(|(p, _)| p.to_string())
                        .unwrap_or_default();
                    g.aliases.push(head);
                    for p in parts {
                        g.aliases.push(p.trim().to_string());
                        g.aliases.push(format!("{prefix} {}", p.trim()));
                    }
                }
                if g.name.is_empty() || key == "card series" || key == "marketing name" {
                    g.name = value.to_string();
                }
            }
            _ => {}
        }
    }
    gpus.retain(|(_, g)| g.capacity > 0 || !g.name.is_empty());
    for (i, g) in &mut gpus {
        if g.name.is_empty() {
            g.name = format!("AMD GPU {i}");
        }
    }
    gpus.into_iter().map(|(_, g)| g).collect()
}

/// `system_profiler SPDisplaysDataType` (and `SPHardwareDataType`'s memory
/// for Apple Silicon's unified memory).
fn system_profiler(text: &str) -> Vec<Raw> {
    let mut gpus: Vec<Raw> = Vec::new();
    let mut unified = 0;
    let mut apple = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        let value = value.trim();
        match key.trim() {
            "Chipset Model" if gpus.len() < MAX_GPUS => {
                if value.starts_with("Apple") {
                    apple.push(gpus.len());
                }
                gpus.push(Raw {
                    name: value.to_string(),
                    ..Raw::default()
                });
            }
            "VRAM (Total)" | "VRAM (Dynamic, Max)" => {
                if let Some(g) = gpus.last_mut() {
                    g.capacity = size(value, MIB).unwrap_or(0);
                }
            }
            "Memory" => unified = size(value, GIB).unwrap_or(0),
            _ => {}
        }
    }
    // Apple's GB here are binary: "64 GB" of unified memory is 64 GiB.
    for i in apple {
        if let Some(g) = gpus.get_mut(i) {
            if g.capacity == 0 {
                g.capacity = unified;
            }
        }
    }
    gpus
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expected: Expect) {
        let gpus = parse_inventory(text);
        let mut out: Vec<String> = gpus
            .iter()
            .map(|g| {
                format!(
                    "{} | {} MiB | {} MiB used | {}",
                    g.name,
                    g.capacity_bytes / MIB,
                    g.used_bytes / MIB,
                    g.card.as_deref().unwrap_or("-")
                )
            })
            .collect();
        out.push(format!("gpus: {}", to_gpu_list(&gpus)));
        expected.assert_eq(&out.join("\n"));
    }

    #[test]
    fn csv_queries_with_and_without_header() {
        check(
            "name, memory.total [MiB], memory.used [MiB]\nNVIDIA GeForce RTX 3090, 24576 MiB, 1234 MiB\nNVIDIA GeForce RTX 4060 Ti, 16380 MiB, 0 MiB",
            expect![[r#"
                NVIDIA GeForce RTX 3090 | 24576 MiB | 1234 MiB used | rtx-3090
                NVIDIA GeForce RTX 4060 Ti | 16380 MiB | 0 MiB used | rtx-4060-ti-16gb
                gpus: rtx-3090:1234MiB, rtx-4060-ti-16gb"#]],
        );
        check(
            "NVIDIA A100-SXM4-80GB, 81920, 4\nNVIDIA A100-SXM4-80GB, 81920, 4",
            expect![[r#"
                NVIDIA A100-SXM4-80GB | 81920 MiB | 4 MiB used | a100-80gb-sxm
                NVIDIA A100-SXM4-80GB | 81920 MiB | 4 MiB used | a100-80gb-sxm
                gpus: 2xa100-80gb-sxm:4MiB"#]],
        );
    }

    #[test]
    fn list_devices_and_rocm_smi() {
        check(
            "Available devices:\n  CUDA0: NVIDIA GeForce RTX 4090 (24080 MiB, 23618 MiB free)\n  Vulkan0: AMD Radeon RX 7900 XTX (RADV NAVI31) (24560 MiB, 24000 MiB free)",
            expect![[r#"
                NVIDIA GeForce RTX 4090 | 24080 MiB | 462 MiB used | rtx-4090
                AMD Radeon RX 7900 XTX | 24560 MiB | 560 MiB used | rx-7900-xtx
                gpus: rtx-4090:462MiB, rx-7900-xtx:560MiB"#]],
        );
        check(
            "GPU[0]\t\t: VRAM Total Memory (B): 25753026560\nGPU[0]\t\t: VRAM Total Used Memory (B): 1073741824\nGPU[0]\t\t: Card series: \t\tNavi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M]",
            expect![[r#"
                Navi 31 [Radeon RX 7900 XT/7900 XTX/7900 GRE/7900M] | 24560 MiB | 1024 MiB used | rx-7900-xtx
                gpus: rx-7900-xtx:1024MiB"#]],
        );
    }

    #[test]
    fn any_text_gives_a_list() {
        for text in [
            "",
            "|",
            "| 0 Off |",
            "GPU[",
            "GPU[9]: a",
            "x: (1 MiB, 2 MiB free)",
            ",,,",
            "é,1,2",
            "Chipset Model:",
        ] {
            let gpus = parse_inventory(text);
            let _ = to_gpu_list(&gpus);
        }
    }
}
