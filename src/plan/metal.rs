//! Apple Silicon's GPU memory limit: Metal's `recommendedMaxWorkingSetSize`,
//! what llama.cpp's Metal backend reports as the device's memory (and warns
//! past), not the unified memory.
//!
//! The rule is derived from logged values (tests/data/measured/
//! metal_working_set.json, with their URLs): two thirds of the unified
//! memory up to 36 GiB, three quarters above, exact for the 16, 32, 64 and
//! 96 GB Macs logged under macOS 13–14. macOS 15 and later grant more
//! (a stock 128 GB Mac on macOS 26 logs 107.52 GiB, 84 %), so there the rule
//! is a lower bound; `sudo sysctl iogpu.wired_limit_mb` raises it.

use crate::units::GIB;

/// Unified memory up to which macOS grants two thirds (above: three quarters).
pub const TWO_THIRDS_UP_TO: u64 = 36 * GIB;

/// `recommendedMaxWorkingSetSize` of a Mac with `unified` bytes of memory.
pub fn working_set(unified: u64) -> u64 {
    if unified <= TWO_THIRDS_UP_TO {
        unified / 3 * 2
    } else {
        unified / 4 * 3
    }
}

/// The rule in words, for the report.
pub fn rule(unified: u64) -> String {
    let fraction = if unified <= TWO_THIRDS_UP_TO {
        "2/3"
    } else {
        "3/4"
    };
    format!(
        "Metal's recommendedMaxWorkingSetSize: {fraction} of {} unified = {} (macOS 13–14; later macOS allows a little more)",
        crate::units::gib(unified),
        crate::units::gib(working_set(unified))
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_working_set_rule_reproduces_the_logged_macs() {
        let data: serde_json::Value = serde_json::from_str(include_str!(
            "../../tests/data/measured/metal_working_set.json"
        ))
        .unwrap();
        let runs = data["runs"].as_array().unwrap();
        assert!(runs.len() >= 5);
        for run in runs {
            let ram = run["ram_gib"].as_u64().unwrap() * GIB;
            let logged = run["working_set_bytes"].as_u64().unwrap();
            let ours = working_set(ram);
            if run["era"] == "macOS 13-14" {
                // Logged to 0.01 MiB.
                assert!(
                    ours.abs_diff(logged) < 1 << 14,
                    "{}: {ours} vs {logged}",
                    run["url"]
                );
            } else {
                assert!(
                    ours <= logged,
                    "{}: the rule must not promise more",
                    run["url"]
                );
            }
        }
    }
}
