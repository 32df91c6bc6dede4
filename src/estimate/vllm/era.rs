//! vLLM releases and the startup accounting each era used: one row per
//! era, with the release it starts at and the upstream file it comes from.
//!
//! Sources (vllm-project/vllm): `vllm/worker/worker.py`
//! `determine_num_available_blocks` (V0), `vllm/v1/worker/gpu_worker.py`
//! `init_device` / `determine_available_memory` (V1), `vllm/utils.py` and
//! later `vllm/utils/mem_utils.py` `memory_profiling`,
//! `vllm/v1/worker/gpu_model_runner.py` `profile_cudagraph_memory`, and
//! `vllm/v1/core/kv_cache_utils.py` `_report_kv_cache_config`.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// A vLLM release `0.minor.patch`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Version {
    pub minor: u16,
    pub patch: u16,
}

impl Version {
    pub const fn new(minor: u16, patch: u16) -> Version {
        Version { minor, patch }
    }
}

/// The release vramfit models by default: the newest one seen in the
/// collected startup logs (tests/data/measured/vllm_logs.json has
/// v0.29.1rc builds, so 0.29.0 is out).
pub const CURRENT: Version = Version::new(29, 0);

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0.{}.{}", self.minor, self.patch)
    }
}

/// A version that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not a vLLM version; write it as vLLM prints it, e.g. 0.10.1 or v0.8.5.post1")]
pub struct BadVersion(pub String);

impl FromStr for Version {
    type Err = BadVersion;

    /// `0.10.1`, `v0.10.1`, `0.8.5.post1`, `0.15.2rc1`, `0.8.3.dev172+g2b9…`
    /// and `0.10` (patch 0) all read; suffixes are ignored.
    fn from_str(s: &str) -> Result<Version, BadVersion> {
        let bad = || BadVersion(s.to_string());
        let t = s.trim().trim_start_matches(['v', 'V']);
        let mut parts = t.split('.');
        if parts.next() != Some("0") {
            return Err(bad());
        }
        let number = |p: Option<&str>| -> Option<u16> {
            let p = p?;
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        };
        let minor = number(parts.next()).ok_or_else(bad)?;
        let patch = match parts.next() {
            None => 0,
            Some(p) => number(Some(p)).unwrap_or(0),
        };
        Ok(Version { minor, patch })
    }
}

/// What vLLM subtracts from `total × gpu_memory_utilization` before the
/// rest becomes KV cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Budget {
    /// Everything in use on the GPU after the profile run: weights, the
    /// activation peak, the CUDA context, NCCL and any other process.
    WholeGpu,
    /// Only what this instance added since it started: weights, the torch
    /// activation peak and the non-torch memory that grew meanwhile.
    Increases,
}

/// One era of vLLM's startup accounting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Era {
    /// The first release of the era.
    pub from: Version,
    pub budget: Budget,
    /// The V1 engine (scheduler, profile run and logs) is the default.
    pub v1: bool,
    /// NCCL's buffers are created after the memory snapshot and so are
    /// subtracted from the budget (not left to the `1 − utilization` margin).
    pub counts_nccl: bool,
    /// CUDA-graph memory is estimated before the KV cache is sized and
    /// subtracted (`VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=1`).
    pub subtracts_graphs: bool,
    /// "GPU KV cache size" is `concurrency × max_model_len` (newer) rather
    /// than `blocks per group × block size`.
    pub tokens_from_concurrency: bool,
    /// The hybrid KV cache manager: sliding-window and chunked layers keep
    /// only their window (before it, every layer caches every token).
    pub hybrid_kv: bool,
    /// Where the rule is, upstream.
    pub source: &'static str,
}

/// The eras, oldest first.
pub const ERAS: &[Era] = &[
    Era {
        from: Version::new(0, 0),
        budget: Budget::WholeGpu,
        v1: false,
        counts_nccl: true,
        subtracts_graphs: false,
        hybrid_kv: false,
        tokens_from_concurrency: false,
        source: "vllm/worker/worker.py determine_num_available_blocks: peak = total − free after the profile run (PR #2031)",
    },
    Era {
        from: Version::new(6, 4),
        budget: Budget::WholeGpu,
        v1: false,
        counts_nccl: true,
        subtracts_graphs: false,
        hybrid_kv: false,
        tokens_from_concurrency: false,
        source: "vllm/worker/worker.py: torch allocated peak plus all non-torch memory (PR #9352)",
    },
    Era {
        from: Version::new(6, 5),
        budget: Budget::Increases,
        v1: false,
        counts_nccl: true,
        subtracts_graphs: false,
        hybrid_kv: false,
        tokens_from_concurrency: false,
        source: "vllm/utils.py memory_profiling: weights + torch peak increase + non-torch increase (PR #10511)",
    },
    Era {
        from: Version::new(8, 0),
        budget: Budget::WholeGpu,
        v1: true,
        counts_nccl: true,
        subtracts_graphs: false,
        hybrid_kv: false,
        tokens_from_concurrency: false,
        source: "vllm/v1/worker/gpu_worker.py determine_available_memory: torch peak + all non-torch memory (V1 default engine)",
    },
    Era {
        from: Version::new(9, 2),
        budget: Budget::Increases,
        v1: true,
        counts_nccl: true,
        subtracts_graphs: false,
        hybrid_kv: true,
        tokens_from_concurrency: false,
        source: "vllm/v1/worker/gpu_worker.py reuses memory_profiling (PR #19312)",
    },
    Era {
        from: Version::new(11, 0),
        budget: Budget::Increases,
        v1: true,
        counts_nccl: false,
        subtracts_graphs: false,
        hybrid_kv: true,
        tokens_from_concurrency: false,
        source: "vllm/v1/worker/gpu_worker.py init_device: snapshot after NCCL init; vllm/utils/mem_utils.py memory_profiling",
    },
    Era {
        from: Version::new(20, 0),
        budget: Budget::Increases,
        v1: true,
        counts_nccl: false,
        subtracts_graphs: false,
        hybrid_kv: true,
        tokens_from_concurrency: true,
        source: "vllm/v1/core/kv_cache_utils.py _report_kv_cache_config: tokens = concurrency × max_model_len",
    },
    Era {
        from: Version::new(21, 0),
        budget: Budget::Increases,
        v1: true,
        counts_nccl: false,
        subtracts_graphs: true,
        hybrid_kv: true,
        tokens_from_concurrency: true,
        source: "vllm/v1/worker/gpu_worker.py determine_available_memory − gpu_model_runner.profile_cudagraph_memory (default since v0.21.0)",
    },
];

impl Era {
    /// The era `version` belongs to.
    pub fn of(version: Version) -> &'static Era {
        ERAS.iter()
            .rev()
            .find(|e| e.from <= version)
            .unwrap_or(&ERAS[0])
    }

    /// The era's first release and its source, for reports.
    pub fn describe(&self) -> String {
        format!("from {}: {}", self.from, self.source)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_read_the_way_vllm_prints_them() {
        for (text, minor, patch) in [
            ("0.10.1", 10, 1),
            ("v0.8.5.post1", 8, 5),
            ("0.15.2rc1", 15, 2),
            ("0.8.3.dev172+g2b93162f", 8, 3),
            ("0.21", 21, 0),
        ] {
            assert_eq!(text.parse(), Ok(Version::new(minor, patch)), "{text}");
        }
        for bad in ["", "1.0", "latest", "0.x"] {
            assert!(bad.parse::<Version>().is_err(), "{bad}");
        }
    }

    #[test]
    fn every_era_row_is_the_era_of_its_first_release() {
        for (i, e) in ERAS.iter().enumerate() {
            assert_eq!(Era::of(e.from), e, "row {i}");
            if i > 0 {
                assert!(ERAS[i - 1].from < e.from, "rows are in release order");
                let before = Version::new(e.from.minor, e.from.patch.saturating_sub(1));
                if e.from.patch > 0 {
                    assert_eq!(Era::of(before), &ERAS[i - 1]);
                }
            }
        }
        assert!(Era::of(CURRENT).subtracts_graphs);
        assert!(!Era::of(Version::new(20, 2)).subtracts_graphs);
        assert!(!Era::of(Version::new(10, 1)).v1 || Era::of(Version::new(10, 1)).counts_nccl);
    }
}
