//! Ollama: a Modelfile plus the server's environment.
//!
//! Checked against Ollama's `docs/modelfile.md` (`PARAMETER num_ctx`,
//! `num_gpu` — the number of layers sent to the GPU) and `docs/faq.md`
//! (`OLLAMA_NUM_PARALLEL`, `OLLAMA_FLASH_ATTENTION`, `OLLAMA_KV_CACHE_TYPE`).
//! `num_ctx` is per request; the server multiplies it by the parallel count.

use super::{Flag, LaunchContext};

/// The Modelfile parameters and environment variables emitted.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "num_ctx",
        doc: "Modelfile PARAMETER: context window per request",
    },
    Flag {
        name: "num_gpu",
        doc: "Modelfile PARAMETER: number of layers to send to the GPU(s)",
    },
    Flag {
        name: "OLLAMA_NUM_PARALLEL",
        doc: "server env: requests processed at once per model",
    },
    Flag {
        name: "OLLAMA_FLASH_ATTENTION",
        doc: "server env: 1 enables flash attention (needed for a quantized cache)",
    },
    Flag {
        name: "OLLAMA_KV_CACHE_TYPE",
        doc: "server env: f16, q8_0 or q4_0",
    },
];

/// A Modelfile and the `ollama serve` environment for the plan.
pub fn modelfile(cx: &LaunchContext) -> String {
    let plan = cx.plan;
    let s = &plan.settings;
    let gpu_layers = plan.estimate.layer_weights.len() - plan.offload.cpu_layers + 1;
    let mut env = vec![format!("OLLAMA_NUM_PARALLEL={}", s.n_seq)];
    if s.flash_attn {
        env.push("OLLAMA_FLASH_ATTENTION=1".into());
    }
    if s.type_k.id() != "f16" {
        env.push(format!("OLLAMA_KV_CACHE_TYPE={}", s.type_k.id()));
    }
    env.extend(cx.visible_devices());
    format!(
        "# Modelfile\nFROM ./{}\nPARAMETER num_ctx {}\nPARAMETER num_gpu {gpu_layers}\n\n# server\n{} ollama serve",
        cx.gguf_file(),
        s.n_ctx,
        env.join(" ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::golden::command_for;
    use expect_test::expect;

    #[test]
    fn golden_modelfiles() {
        let a = command_for(&[("engine", "ollama")]);
        let b = command_for(&[
            ("engine", "ollama"),
            ("kv", "q8_0"),
            ("batch", "4"),
            ("ctx", "16384"),
        ]);
        for text in [&a, &b] {
            for name in ["num_ctx", "num_gpu", "OLLAMA_NUM_PARALLEL"] {
                assert!(FLAGS.iter().any(|f| f.name == name) && text.contains(name));
            }
        }
        expect![[r#"
            # Modelfile
            FROM ./Llama-3.1-8B-Q4_K_M.gguf
            PARAMETER num_ctx 8192
            PARAMETER num_gpu 33

            # server
            OLLAMA_NUM_PARALLEL=1 OLLAMA_FLASH_ATTENTION=1 ollama serve
            ---
            # Modelfile
            FROM ./Llama-3.1-8B-Q4_K_M.gguf
            PARAMETER num_ctx 16384
            PARAMETER num_gpu 33

            # server
            OLLAMA_NUM_PARALLEL=4 OLLAMA_FLASH_ATTENTION=1 OLLAMA_KV_CACHE_TYPE=q8_0 ollama serve"#]].assert_eq(&format!("{a}\n---\n{b}"));
    }
}
