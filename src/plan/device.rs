//! GPUs as the user lists them: `2x24GB, 12GB`, `80GiB`, `24`.
//!
//! A bare number is GB (powers of ten), the unit printed on the box.

use serde::Serialize;
use thiserror::Error;

use crate::units::{parse_size, SizeError};

/// One GPU: its memory and what is already taken on it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Gpu {
    pub name: String,
    /// Total memory, bytes.
    pub capacity: u64,
    /// Memory not available to the run (desktop, other processes), bytes.
    pub reserve: u64,
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
    #[error("add at least one GPU, e.g. 24GB or 2x24GB")]
    NoGpus,
    #[error("GPU '{entry}': {source}")]
    Size { entry: String, source: SizeError },
    #[error("GPU '{entry}': the count must be between 1 and 64")]
    Count { entry: String },
    #[error("{0} GPUs listed; vramfit plans for at most 64")]
    TooMany(usize),
}

/// The most GPUs one plan covers.
pub const MAX_GPUS: usize = 64;

/// Parses a comma- or space-separated GPU list; `Nx` repeats an entry.
pub fn parse_gpus(text: &str) -> Result<Vec<Gpu>, DeviceError> {
    let mut gpus = Vec::new();
    for entry in text
        .split([',', ';', '+'])
        .map(str::trim)
        .filter(|e| !e.is_empty())
    {
        let lower = entry.to_ascii_lowercase();
        let (count, size) = match lower.split_once(['x', '×', '*']) {
            Some((n, rest))
                if !n.trim().is_empty() && n.trim().chars().all(|c| c.is_ascii_digit()) =>
            {
                let count: usize = n.trim().parse().map_err(|_| DeviceError::Count {
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
        let capacity = parse_size(&size).map_err(|source| DeviceError::Size {
            entry: entry.into(),
            source,
        })?;
        for _ in 0..count {
            if gpus.len() == MAX_GPUS {
                return Err(DeviceError::TooMany(MAX_GPUS + 1));
            }
            gpus.push(Gpu {
                name: format!("GPU {}", gpus.len()),
                capacity,
                reserve: 0,
            });
        }
    }
    if gpus.is_empty() {
        return Err(DeviceError::NoGpus);
    }
    Ok(gpus)
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(text: &str, expected: Expect) {
        let got = match parse_gpus(text) {
            Ok(gpus) => gpus
                .iter()
                .map(|g| format!("{}: {}", g.name, g.capacity))
                .collect::<Vec<_>>()
                .join("\n"),
            Err(e) => format!("error: {e}"),
        };
        expected.assert_eq(&got);
    }

    #[test]
    fn gpu_lists_repeat_and_mix_units() {
        check(
            "2x24GB, 12GiB",
            expect![[r#"
                GPU 0: 24000000000
                GPU 1: 24000000000
                GPU 2: 12884901888"#]],
        );
        check(
            "24 + 16",
            expect![[r#"
            GPU 0: 24000000000
            GPU 1: 16000000000"#]],
        );
    }

    #[test]
    fn bad_gpu_lists_say_what_to_write() {
        check(
            "",
            expect!["error: add at least one GPU, e.g. 24GB or 2x24GB"],
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
    }
}
