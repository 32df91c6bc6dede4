//! llama.cpp's tensor overrides (`-ot PATTERN=BUFFER`, comma-separated, as
//! many as given): which layers' expert tensors they keep in host memory.
//!
//! llama.cpp tests each tensor's name against each pattern in order with
//! `std::regex_search` (a match anywhere in the name) and the first pattern
//! that matches picks the tensor's buffer type. vramfit plans experts in
//! host memory per layer, as `--n-cpu-moe` does: a layer counts when its
//! expert tensors go to a CPU buffer.

use regex_lite::Regex;
use serde::Serialize;

/// What a set of overrides does to a model of `n_layer` layers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Overrides {
    /// Layers whose expert tensors (`ffn_{up,gate,down}_exps`) all go to a
    /// CPU buffer, ascending.
    pub cpu_expert_layers: Vec<usize>,
    /// Layers with only some of their expert tensors on the CPU.
    pub partial_layers: Vec<usize>,
    /// Overrides to a GPU buffer (`=CUDA1`), which vramfit does not plan.
    pub to_gpus: Vec<String>,
    /// Patterns that are not valid regular expressions, or lack `=BUFFER`.
    pub invalid: Vec<String>,
}

impl Overrides {
    /// `--n-cpu-moe` with the same effect: the count, and whether it is
    /// exact (the layers are the first ones, every expert tensor of each).
    pub fn n_cpu_moe(&self) -> Option<(usize, bool)> {
        if self.cpu_expert_layers.is_empty() {
            return None;
        }
        let k = self.cpu_expert_layers.len();
        let prefix = self
            .cpu_expert_layers
            .iter()
            .enumerate()
            .all(|(i, &l)| i == l);
        Some((k, prefix && self.partial_layers.is_empty()))
    }
}

/// Patterns longer than this are not compiled (a pasted log is untrusted).
const MAX_PATTERN: usize = 512;

/// Reads `-ot` values (each may hold several `PATTERN=BUFFER` pairs).
pub fn read(values: &[String], n_layer: usize) -> Overrides {
    let mut out = Overrides::default();
    let mut rules: Vec<(Regex, bool)> = Vec::new();
    for value in values {
        for pair in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let Some((pattern, buffer)) = pair.rsplit_once('=') else {
                out.invalid.push(pair.to_string());
                continue;
            };
            let cpu = buffer.trim().to_ascii_uppercase().starts_with("CPU");
            match (pattern.len() <= MAX_PATTERN)
                .then(|| Regex::new(pattern).ok())
                .flatten()
            {
                Some(re) => {
                    if !cpu {
                        out.to_gpus.push(pair.to_string());
                    }
                    rules.push((re, cpu));
                }
                None => out.invalid.push(pair.to_string()),
            }
        }
    }
    if rules.is_empty() {
        return out;
    }
    for layer in 0..n_layer {
        let on_cpu = ["ffn_up_exps", "ffn_gate_exps", "ffn_down_exps"]
            .iter()
            .filter(|t| {
                let name = format!("blk.{layer}.{t}.weight");
                rules
                    .iter()
                    .find(|(re, _)| re.is_match(&name))
                    .is_some_and(|(_, cpu)| *cpu)
            })
            .count();
        match on_cpu {
            3 => out.cpu_expert_layers.push(layer),
            0 => {}
            _ => out.partial_layers.push(layer),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ot(values: &[&str], n_layer: usize) -> Overrides {
        read(
            &values.iter().map(|v| v.to_string()).collect::<Vec<_>>(),
            n_layer,
        )
    }

    #[test]
    fn every_layer_s_experts_or_a_range_of_them() {
        assert_eq!(ot(&["exps=CPU"], 4).n_cpu_moe(), Some((4, true)));
        assert_eq!(ot(&[".ffn_.*_exps.=CPU"], 48).n_cpu_moe(), Some((48, true)));
        // The first twenty layers, as people write it.
        let first = ot(&["blk\\.([0-9]|1[0-9])\\.ffn_.*_exps\\.=CPU"], 48);
        assert_eq!(first.n_cpu_moe(), Some((20, true)));
        // Layers 10 to 47: as many layers, not the first ones.
        let late = ot(&["blk\\.(1[0-9]|[2-4][0-9])\\.ffn.*exps=CPU"], 48);
        assert_eq!(late.n_cpu_moe(), Some((38, false)));
    }

    #[test]
    fn the_first_matching_pattern_decides_and_gpu_overrides_are_listed() {
        // Layers 0-3 go to CUDA0 first; the rest of the experts to the CPU.
        let o = ot(&["blk\\.[0-3]\\.ffn_.*=CUDA0", "exps=CPU"], 10);
        assert_eq!(o.cpu_expert_layers, (4..10).collect::<Vec<_>>());
        assert_eq!(o.to_gpus, ["blk\\.[0-3]\\.ffn_.*=CUDA0"]);
        // Only up and down of each layer: partial.
        let o = ot(&["ffn_(up|down)_exps=CPU"], 3);
        assert_eq!((o.cpu_expert_layers.len(), o.partial_layers.len()), (0, 3));
        assert_eq!(o.n_cpu_moe(), None);
    }

    #[test]
    fn bad_patterns_are_listed_not_fatal() {
        let o = ot(&["blk.(=CPU", "noequals", "exps=CPU"], 2);
        assert_eq!(o.invalid, ["blk.(=CPU", "noequals"]);
        assert_eq!(o.n_cpu_moe(), Some((2, true)));
        assert_eq!(
            ot(&[&"a".repeat(600).replace("aa", "a=")], 2)
                .cpu_expert_layers
                .len(),
            0
        );
    }
}
