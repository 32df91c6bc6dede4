//! `llama-server` flags for a plan.
//!
//! Flags checked against llama.cpp's `tools/server/README.md` and
//! `common/arg.cpp` (`--help`), and `docs/multi-gpu.md`.
//!
//! `-ts` is written as layer counts: llama.cpp assigns layer `i` to the first
//! device whose cumulative split exceeds `i / (n_layer + 1)`
//! (`llama_model::load_tensors`), so counts — with the output layer counted
//! on the last GPU and `-ngl` = GPU layers + 1 — reproduce the plan's split
//! exactly. `-ngl` offloads the *last* layers, so CPU layers are the first.

use super::{Flag, LaunchContext};
use crate::plan::placement::{Placement, SplitMode};
use crate::plan::split::Plan;

/// The flags [`command`] emits.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "-m",
        doc: "model path (-m, --model FNAME)",
    },
    Flag {
        name: "--mmproj",
        doc: "the multimodal projector file of a vision-language model; loaded on the main GPU unless --no-mmproj-offload (--mmproj FILE)",
    },
    Flag {
        name: "-c",
        doc: "size of the prompt context, all slots together (-c, --ctx-size N)",
    },
    Flag {
        name: "-np",
        doc: "number of parallel sequences / server slots; each gets -c / -np (-np, --parallel N)",
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
        name: "-mg",
        doc: "the GPU for the model with -sm none (-mg, --main-gpu INDEX)",
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
    Flag {
        name: "--n-cpu-moe",
        doc: "keep the MoE weights of the first N layers on the CPU (-ncmoe, --n-cpu-moe N)",
    },
    Flag {
        name: "--rpc",
        doc: "comma-separated list of RPC servers host:port (--rpc SERVERS)",
    },
    Flag {
        name: "--swa-full",
        doc: "use full-size SWA cache (--swa-full)",
    },
];

/// `-ngl` and (over several GPUs) `-ts` that reproduce a searched plan's
/// split: the output counted on the last GPU, `-ts` as layer counts of
/// the used GPUs.
pub fn split_flags(plan: &Plan) -> (usize, Option<String>) {
    let n_layer = plan.estimate.layer_weights.len();
    let gpu_layers = n_layer - plan.offload.cpu_layers;
    let used: Vec<_> = plan.used_devices().collect();
    let ts = (used.len() > 1).then(|| {
        used.iter()
            .enumerate()
            .map(|(j, d)| (d.layer_count() + usize::from(j + 1 == used.len())).to_string())
            .collect::<Vec<_>>()
            .join(",")
    });
    (gpu_layers + 1, ts)
}

/// The placement flags the user fixed, as they gave them.
/// Without `-ngl`, the plan offloads every layer: the command says so.
fn fixed_flags(fixed: &Placement, n_layer: usize) -> Vec<String> {
    let mut args = vec![format!(
        "-ngl {}",
        fixed.n_gpu_layers.unwrap_or(n_layer + 1)
    )];
    if fixed.split_mode_given || fixed.split_mode != SplitMode::Layer {
        args.push(format!("-sm {}", fixed.split_mode.id()));
    }
    if !fixed.tensor_split.is_empty() {
        let ts: Vec<String> = fixed.tensor_split.iter().map(|x| x.to_string()).collect();
        args.push(format!("-ts {}", ts.join(",")));
    }
    if fixed.main_gpu_given {
        args.push(format!("-mg {}", fixed.main_gpu));
    }
    args
}

/// The `llama-server` command line for the plan.
pub fn command(cx: &LaunchContext) -> String {
    let plan = cx.plan;
    let s = &plan.settings;
    let mut args: Vec<String> = Vec::new();
    if plan.fixed.is_none() {
        args.extend(cx.visible_devices());
    }
    args.push("llama-server".into());
    args.push(format!("-m {}", cx.gguf_file()));
    if cx.spec.vision.is_some() && cx.plan.settings.images > 0 {
        args.push(format!("--mmproj {}", cx.mmproj_file()));
    }
    args.push(format!("-c {}", s.n_ctx * s.n_seq));
    args.push(format!("-np {}", s.n_seq));
    match &plan.fixed {
        Some(fixed) => args.extend(fixed_flags(fixed, plan.estimate.layer_weights.len())),
        None => {
            let (ngl, ts) = split_flags(plan);
            args.push(format!("-ngl {ngl}"));
            if let Some(ts) = ts {
                args.push("-sm layer".into());
                args.push(format!("-ts {ts}"));
            }
        }
    }
    if plan.offload.cpu_moe_layers > 0 {
        args.push(format!("--n-cpu-moe {}", plan.offload.cpu_moe_layers));
    }
    args.push(format!("-fa {}", if s.flash_attn { "on" } else { "off" }));
    args.push(format!("-ctk {}", s.type_k.id()));
    args.push(format!("-ctv {}", s.type_v.id()));
    if s.n_ubatch != 512 {
        args.push(format!("-ub {}", s.n_ubatch));
    }
    if s.swa_full {
        args.push("--swa-full".into());
    }
    let remote = cx.remote_nodes();
    if !remote.is_empty() {
        // One rpc-server per remote machine (start `rpc-server -H 0.0.0.0 -p 50052` there).
        let servers: Vec<String> = remote.iter().map(|n| format!("node{n}:50052")).collect();
        args.push(format!("--rpc {}", servers.join(",")));
    }
    args.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::{assert_flags_documented, golden::command_for};
    use expect_test::expect;

    #[test]
    fn golden_commands() {
        let cases = [
            command_for(&[]),
            command_for(&[
                ("gpus", "24GB, 12GB"),
                ("model", "llama-3.1-70b"),
                ("weights", "q3_k_m"),
                ("kv", "q8_0"),
            ]),
            command_for(&[
                ("gpus", "24GB"),
                ("model", "llama-3.1-70b"),
                ("offload", "on"),
            ]),
            command_for(&[
                ("gpus", "24GB"),
                ("model", "qwen3-30b-a3b"),
                ("weights", "q8_0"),
                ("offload", "on"),
            ]),
            command_for(&[
                ("gpus", "24GB, 2GB, 24GB"),
                ("model", "llama-3.1-8b"),
                ("batch", "4"),
            ]),
            command_for(&[
                ("gpus", "2x24GB; 2x24GB"),
                ("model", "llama-3.1-70b"),
                ("weights", "q6_k"),
            ]),
        ];
        for c in &cases {
            assert_flags_documented(c, FLAGS);
        }
        expect![[r#"
            llama-server -m Llama-3.1-8B-Q4_K_M.gguf -c 8192 -np 1 -ngl 33 -sm layer -ts 18,15 -fa on -ctk f16 -ctv f16
            llama-server -m Llama-3.1-70B-Q3_K_M.gguf -c 8192 -np 1 -ngl 81 -sm layer -ts 55,26 -fa on -ctk q8_0 -ctv q8_0
            llama-server -m Llama-3.1-70B-Q4_K_M.gguf -c 8192 -np 1 -ngl 41 -fa on -ctk f16 -ctv f16
            llama-server -m Qwen3-30B-A3B-Q8_0.gguf -c 8192 -np 1 -ngl 49 --n-cpu-moe 16 -fa on -ctk f16 -ctv f16
            CUDA_VISIBLE_DEVICES=0,2 llama-server -m Llama-3.1-8B-Q4_K_M.gguf -c 32768 -np 4 -ngl 33 -sm layer -ts 17,16 -fa on -ctk f16 -ctv f16
            llama-server -m Llama-3.1-70B-Q6_K.gguf -c 8192 -np 1 -ngl 81 -sm layer -ts 21,21,21,18 -fa on -ctk f16 -ctv f16 --rpc node1:50052"#]].assert_eq(&cases.join("\n"));
    }
}
