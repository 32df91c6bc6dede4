//! `llama-server` flags for a plan.
//!
//! Flags checked against llama.cpp's `tools/server/README.md` and
//! `common/arg.cpp` (the `--help` text):
//! `-m` model path, `-c` total context (split across `-np` slots), `-np`
//! parallel sequences, `-ngl` layers on GPU, `-sm layer`, `-ts` split
//! proportions, `-fa on|off`, `-ctk`/`-ctv` cache types, `-ub` physical batch.
//!
//! `-ts` is written as layer counts: llama.cpp assigns layer `i` to the first
//! device whose cumulative split exceeds `i / (n_layer + 1)`
//! (`llama_model::load_tensors`), so counts — with the output layer counted on
//! the last GPU and `-ngl n_layer + 1` — reproduce the plan's split exactly.

use super::Flag;
use crate::estimate::RunSettings;
use crate::plan::Plan;

/// The flags [`command`] emits.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "-m",
        doc: "model path (tools/server/README.md: -m, --model FNAME)",
    },
    Flag {
        name: "-c",
        doc: "size of the prompt context, all slots together (-c, --ctx-size N)",
    },
    Flag {
        name: "-np",
        doc: "number of parallel sequences / server slots (-np, --parallel N)",
    },
    Flag {
        name: "-ngl",
        doc: "max. number of layers to store in VRAM (-ngl, --n-gpu-layers N)",
    },
    Flag {
        name: "-sm",
        doc: "how to split the model across GPUs: none, layer, row (-sm, --split-mode)",
    },
    Flag {
        name: "-ts",
        doc: "fraction of the model to offload to each GPU, comma-separated (-ts, --tensor-split)",
    },
    Flag {
        name: "-fa",
        doc: "flash attention: on, off or auto (-fa, --flash-attn)",
    },
    Flag {
        name: "-ctk",
        doc: "KV cache data type for K (-ctk, --cache-type-k)",
    },
    Flag {
        name: "-ctv",
        doc: "KV cache data type for V (-ctv, --cache-type-v)",
    },
    Flag {
        name: "-ub",
        doc: "physical maximum batch size (-ub, --ubatch-size N)",
    },
];

/// The `llama-server` command line for `plan` run with `settings`.
pub fn command(plan: &Plan, settings: &RunSettings, model_file: &str) -> String {
    let n_layer = plan.estimate.layer_weights.len();
    let mut args = vec![
        "llama-server".to_string(),
        format!("-m {model_file}"),
        format!("-c {}", settings.n_ctx * settings.n_seq),
        format!("-np {}", settings.n_seq),
        format!("-ngl {}", n_layer + 1),
    ];
    if plan.devices.len() > 1 {
        let last = plan.devices.len() - 1;
        let counts: Vec<String> = plan
            .devices
            .iter()
            .enumerate()
            .map(|(j, d)| (d.layer_count() + usize::from(j == last)).to_string())
            .collect();
        args.push("-sm layer".into());
        args.push(format!("-ts {}", counts.join(",")));
    }
    args.push(format!(
        "-fa {}",
        if settings.flash_attn { "on" } else { "off" }
    ));
    args.push(format!("-ctk {}", settings.type_k.id()));
    args.push(format!("-ctv {}", settings.type_v.id()));
    if settings.n_ubatch != 512 {
        args.push(format!("-ub {}", settings.n_ubatch));
    }
    args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::catalog::find;
    use crate::plan::{parse_gpus, plan, PlanRequest};
    use expect_test::expect;

    #[test]
    fn every_emitted_flag_is_in_the_table() {
        let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
        let gpus = parse_gpus("24GB, 12GB").unwrap();
        let settings = RunSettings {
            n_ubatch: 256,
            ..RunSettings::default()
        };
        let p = plan(PlanRequest {
            spec: &spec,
            settings,
            gpus: &gpus,
        });
        let cmd = command(&p, &settings, "model.gguf");
        for word in cmd.split(' ').filter(|w| w.starts_with('-')) {
            assert!(
                FLAGS.iter().any(|f| f.name == word),
                "{word} is not a documented flag"
            );
        }
    }

    #[test]
    fn split_is_written_as_layer_counts() {
        let spec = find("llama-3.1-8b").unwrap().load().unwrap().spec;
        let gpus = parse_gpus("24GB, 12GB").unwrap();
        let settings = RunSettings::default();
        let p = plan(PlanRequest {
            spec: &spec,
            settings,
            gpus: &gpus,
        });
        expect!["llama-server -m model.gguf -c 8192 -np 1 -ngl 33 -sm layer -ts 24,9 -fa on -ctk f16 -ctv f16"]
            .assert_eq(&command(&p, &settings, "model.gguf"));
    }
}
