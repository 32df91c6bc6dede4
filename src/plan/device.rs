//! GPUs as the user lists them: `2x24GB, 12GB`, `80GiB`, `2xrtx-4090`,
//! `4xh100; 4xh100` (two nodes), `rtx-3090:1.5GB` (1.5 GB already used).
//!
//! Entries are separated by `,` or `+`; `;` or `|` starts the next node
//! (machine). An entry is an optional count (`2x`), a size or a catalog card
//! name, and an optional `:SIZE` of memory already taken on each of those
//! GPUs (desktop, other processes). A bare number is GB (10⁹ bytes), the
//! unit printed on the box; `GiB` means 2³⁰.

use serde::Serialize;
use thiserror::Error;

use super::gpus::{closest_cards, find_card};
use crate::units::{parse_size, SizeError};

/// One GPU: its memory and what is already taken on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gpu {
    pub name: String,
    /// The catalog card, when the entry named one.
    pub card: Option<&'static str>,
    /// Total memory, bytes (for unified memory: what the GPU may use).
    pub capacity: u64,
    /// Memory not available to the run (desktop, other processes), bytes.
    pub reserve: u64,
    /// Total memory as CUDA reports it (what vLLM multiplies by its
    /// utilisation): a catalog card's measured total where a log shows it,
    /// else the capacity. Looked up once, here, not in the planner's loops.
    pub cuda_total: u64,
    /// The machine this GPU is in (0-based).
    pub node: usize,
}

impl Gpu {
    /// Memory the run may use.
    pub fn usable(&self) -> u64 {
        self.capacity.saturating_sub(self.reserve)
    }
}

/// Why a GPU list could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DeviceError {
    #[error("add at least one GPU, e.g. 24GB, 2x24GB or 2xrtx-4090")]
    NoGpus,
    #[error("GPU '{entry}': {source}")]
    Size { entry: String, source: SizeError },
    #[error("GPU '{entry}' is neither a size nor a known card; did you mean {}?", closest.join(", "))]
    Unknown {
        entry: String,
        closest: Vec<&'static str>,
    },
    #[error("GPU '{entry}': the count must be between 1 and 64")]
    Count { entry: String },
    #[error("GPU '{entry}': {used} already used is not less than its {capacity}")]
    Full {
        entry: String,
        used: String,
        capacity: String,
    },
    #[error("{0} GPUs listed; vramfit plans for at most 64")]
    TooMany(usize),
}

/// The most GPUs one plan covers.
pub const MAX_GPUS: usize = 64;

/// Capacity and card id of an entry's device part (a size or a card name).
/// A device's capacity, CUDA total, catalog id and name.
type Device = (u64, u64, Option<&'static str>, String);

fn device(entry: &str, text: &str) -> Result<Device, DeviceError> {
    if let Some(card) = find_card(text) {
        let capacity = card.usable_bytes();
        return Ok((
            capacity,
            card.cuda_total_bytes().unwrap_or(capacity),
            Some(card.id.as_str()),
            card.name.clone(),
        ));
    }
    let starts_numeric = text
        .trim()
        .starts_with(|c: char| c.is_ascii_digit() || c == '.' || c == '-');
    match parse_size(text) {
        Ok(bytes) => Ok((bytes, bytes, None, String::new())),
        Err(source) if starts_numeric || text.trim().is_empty() => Err(DeviceError::Size {
            entry: entry.into(),
            source,
        }),
        Err(_) => Err(DeviceError::Unknown {
            entry: entry.into(),
            closest: closest_cards(text),
        }),
    }
}

/// Parses a GPU list (see the module docs for the syntax).
pub fn parse_gpus(text: &str) -> Result<Vec<Gpu>, DeviceError> {
    let mut gpus = Vec::new();
    for (node, node_text) in text
        .split([';', '|'])
        .filter(|n| !n.trim().is_empty())
        .enumerate()
    {
        for entry in node_text
            .split([',', '+'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (device_text, used_text) = match entry.split_once(':') {
                Some((d, u)) => (d.trim(), Some(u.trim())),
                None => (entry, None),
            };
            let lower = device_text.to_ascii_lowercase();
            let (count, rest) = match lower.split_once(['x', '×', '*']) {
                Some((n, rest))
                    if !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()) =>
                {
                    let count = n.trim().parse::<usize>().map_err(|_| DeviceError::Count {
                        entry: entry.into(),
                    })?;
                    (count, rest.trim().to_string())
                }
                _ => (1, lower.clone()),
            };
            if count == 0 || count > MAX_GPUS {
                return Err(DeviceError::Count {
                    entry: entry.into(),
                });
            }
            let (capacity, cuda_total, card, card_name) = device(entry, &rest)?;
            let reserve = match used_text {
                Some(u) => parse_size(u).map_err(|source| DeviceError::Size {
                    entry: entry.into(),
                    source,
                })?,
                None => 0,
            };
            if reserve >= capacity {
                return Err(DeviceError::Full {
                    entry: entry.into(),
                    used: crate::units::gb(reserve),
                    capacity: crate::units::gb(capacity),
                });
            }
            for _ in 0..count {
                if gpus.len() == MAX_GPUS {
                    return Err(DeviceError::TooMany(MAX_GPUS + 1));
                }
                let index = gpus.len();
                let name = if card.is_some() {
                    format!("GPU {index} ({card_name})")
                } else {
                    format!("GPU {index}")
                };
                gpus.push(Gpu {
                    name,
                    card,
                    capacity,
                    reserve,
                    cuda_total,
                    node,
                });
            }
        }
    }
    if gpus.is_empty() {
        return Err(DeviceError::NoGpus);
    }
    Ok(gpus)
}

/// Applies a reserve (desktop, other processes) to every GPU that has none.
pub fn with_reserve(mut gpus: Vec<Gpu>, reserve: u64) -> Vec<Gpu> {
    for g in &mut gpus {
        if g.reserve == 0 {
            g.reserve = reserve.min(g.capacity);
        }
    }
    gpus
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expected: Expect) {
        let got = match parse_gpus(text) {
            Ok(gpus) => gpus
                .iter()
                .map(|g| {
                    format!(
                        "{} node {}: {} usable {}",
                        g.name,
                        g.node,
                        g.capacity,
                        g.usable()
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("error: {e}"),
        };
        expected.assert_eq(&got);
    }

    #[test]
    fn gpu_lists_repeat_mix_units_cards_and_nodes() {
        check(
            "2x24GB, 12GiB",
            expect![[r#"
            GPU 0 node 0: 24000000000 usable 24000000000
            GPU 1 node 0: 24000000000 usable 24000000000
            GPU 2 node 0: 12884901888 usable 12884901888"#]],
        );
        check(
            "24 + 16",
            expect![[r#"
            GPU 0 node 0: 24000000000 usable 24000000000
            GPU 1 node 0: 16000000000 usable 16000000000"#]],
        );
        check(
            "2xrtx-4090, RTX 3090:1.5GB",
            expect![[r#"
            GPU 0 (NVIDIA GeForce RTX 4090) node 0: 25769803776 usable 25769803776
            GPU 1 (NVIDIA GeForce RTX 4090) node 0: 25769803776 usable 25769803776
            GPU 2 (NVIDIA GeForce RTX 3090) node 0: 25769803776 usable 24269803776"#]],
        );
        check(
            "2xh100; 2xh100",
            expect![[r#"
            GPU 0 (NVIDIA H100 SXM5) node 0: 85899345920 usable 85899345920
            GPU 1 (NVIDIA H100 SXM5) node 0: 85899345920 usable 85899345920
            GPU 2 (NVIDIA H100 SXM5) node 1: 85899345920 usable 85899345920
            GPU 3 (NVIDIA H100 SXM5) node 1: 85899345920 usable 85899345920"#]],
        );
    }

    #[test]
    fn bad_gpu_lists_say_what_to_write() {
        check(
            "",
            expect!["error: add at least one GPU, e.g. 24GB, 2x24GB or 2xrtx-4090"],
        );
        check(
            "0x24GB",
            expect!["error: GPU '0x24GB': the count must be between 1 and 64"],
        );
        check(
            "24GB, -8",
            expect!["error: GPU '-8': size must not be negative"],
        );
        check(
            "65x8GB",
            expect!["error: GPU '65x8GB': the count must be between 1 and 64"],
        );
        check(
            "40x8GB, 30x8GB",
            expect!["error: 65 GPUs listed; vramfit plans for at most 64"],
        );
        check("rtx 9999", expect!["error: GPU 'rtx 9999' is neither a size nor a known card; did you mean rtx-3090, rtx-4090, rtx-5090?"]);
        check(
            "24GB:30GB",
            expect!["error: GPU '24GB:30GB': 30.00 GB already used is not less than its 24.00 GB"],
        );
    }
}

/// One row of the GPU editor: `count × device`, with memory already used,
/// on a machine. The editor's rows and the GPU list text convert both ways,
/// so the text stays the one source of truth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GpuRow {
    pub count: String,
    /// A card name or a size as typed.
    pub device: String,
    /// Memory already used on each GPU of the row (may be empty).
    pub used: String,
    /// Machine number, 0-based.
    pub node: usize,
}

impl Default for GpuRow {
    fn default() -> Self {
        GpuRow {
            count: "1".into(),
            device: "24GB".into(),
            used: String::new(),
            node: 0,
        }
    }
}

/// Splits a GPU list into editor rows, without validating it.
pub fn gpu_rows(text: &str) -> Vec<GpuRow> {
    let mut rows = Vec::new();
    for (node, node_text) in text.split([';', '|']).enumerate() {
        for entry in node_text
            .split([',', '+'])
            .map(str::trim)
            .filter(|e| !e.is_empty())
        {
            let (device, used) = match entry.split_once(':') {
                Some((d, u)) => (d.trim(), u.trim()),
                None => (entry, ""),
            };
            let (count, device) = match device.split_once(['x', '×', '*']) {
                Some((n, rest))
                    if !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()) =>
                {
                    (n.trim().to_string(), rest.trim().to_string())
                }
                _ => ("1".to_string(), device.to_string()),
            };
            rows.push(GpuRow {
                count,
                device,
                used: used.to_string(),
                node,
            });
        }
    }
    rows
}

/// Writes editor rows back as a GPU list.
pub fn rows_text(rows: &[GpuRow]) -> String {
    let last_node = rows.iter().map(|r| r.node).max().unwrap_or(0);
    let mut nodes = Vec::new();
    for node in 0..=last_node {
        let entries: Vec<String> = rows
            .iter()
            .filter(|r| r.node == node)
            .map(|r| {
                let count = if r.count.trim() == "1" {
                    String::new()
                } else {
                    format!("{}x", r.count.trim())
                };
                let used = if r.used.trim().is_empty() {
                    String::new()
                } else {
                    format!(":{}", r.used.trim())
                };
                format!("{count}{}{used}", r.device.trim())
            })
            .collect();
        if !entries.is_empty() {
            nodes.push(entries.join(", "));
        }
    }
    nodes.join("; ")
}

#[cfg(test)]
mod row_tests {
    use super::*;

    #[test]
    fn editor_rows_and_gpu_lists_convert_both_ways() {
        for text in ["2x24GB, 12GiB", "2xrtx-4090:1.5GB; 4xh100", "24GB"] {
            assert_eq!(rows_text(&gpu_rows(text)), text);
        }
        let mut rows = gpu_rows("2x24GB");
        rows.push(GpuRow {
            node: 1,
            ..GpuRow::default()
        });
        assert_eq!(rows_text(&rows), "2x24GB; 24GB");
        assert!(parse_gpus(&rows_text(&rows)).is_ok());
    }
}
