//! ExLlamaV2 through TabbyAPI: the `model:` section of `config.yml`.
//!
//! Checked against TabbyAPI's `config_sample.yml` (ExLlamaV2 backend):
//! `max_seq_len`, `cache_size` (a multiple of 256), `cache_mode` (FP16, Q8,
//! Q6, Q4), `gpu_split_auto`, `gpu_split` (GB per GPU, which ExLlamaV2 reads
//! as `value × 1024³` bytes) and `max_batch_size`.

use super::{Flag, LaunchContext};
use crate::estimate::KvType;

/// The config keys [`config`] emits.
pub const FLAGS: &[Flag] = &[
    Flag {
        name: "model_name",
        doc: "folder of the EXL2 model under model_dir",
    },
    Flag {
        name: "max_seq_len",
        doc: "context length per sequence",
    },
    Flag {
        name: "cache_size",
        doc: "tokens of KV cache, a multiple of 256 (defaults to max_seq_len)",
    },
    Flag {
        name: "cache_mode",
        doc: "FP16, Q8, Q6 or Q4",
    },
    Flag {
        name: "gpu_split_auto",
        doc: "false to use gpu_split",
    },
    Flag {
        name: "gpu_split",
        doc: "list of GB (×1024³ bytes) per GPU",
    },
    Flag {
        name: "max_batch_size",
        doc: "prompts processed at once",
    },
    Flag {
        name: "tensor_parallel",
        doc: "split each layer across all GPUs (ExLlamaV2 TP)",
    },
];

/// The TabbyAPI `config.yml` model section for the plan.
pub fn config(cx: &LaunchContext) -> String {
    let plan = cx.plan;
    let s = &plan.settings;
    let cache_mode = match (s.type_k, s.type_v) {
        (KvType::Exl(8), KvType::Exl(8)) => "Q8",
        (KvType::Exl(8), KvType::Exl(4)) => "Q6",
        (KvType::Exl(4), _) => "Q4",
        _ => "FP16",
    };
    let split: Vec<String> = plan
        .used_devices()
        .map(|d| {
            format!(
                "{:.1}",
                (d.total_bytes as f64 / crate::units::GIB as f64 * 10.0).ceil() / 10.0
            )
        })
        .collect();
    let base = cx.model_ref.rsplit('/').next().unwrap_or(cx.model_ref);
    let mut lines = vec![
        "model:".to_string(),
        format!("  model_name: {base}-{}", s.weights.id()),
        format!("  max_seq_len: {}", s.n_ctx),
        format!(
            "  cache_size: {}",
            crate::estimate::memory::pad(s.n_ctx, 256) * s.n_seq
        ),
        format!("  cache_mode: {cache_mode}"),
        "  gpu_split_auto: false".to_string(),
        format!("  gpu_split: [{}]", split.join(", ")),
        format!("  max_batch_size: {}", s.n_seq),
    ];
    if plan.layout.tp > 1 {
        lines.push("  tensor_parallel: true".to_string());
    }
    if let Some(env) = cx.visible_devices() {
        lines.insert(0, format!("# start TabbyAPI with {env}"));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::launch::golden::command_for;
    use expect_test::expect;

    #[test]
    fn golden_configs() {
        let a = command_for(&[
            ("engine", "exllamav2"),
            ("model", "llama-3.1-70b"),
            ("gpus", "24GB, 24GB"),
            ("kv", "q6"),
        ]);
        let b = command_for(&[
            ("engine", "exllamav2"),
            ("weights", "exl2-6.0bpw"),
            ("gpus", "24GB"),
            ("kv", "q4"),
        ]);
        for text in [&a, &b] {
            for line in text.lines().filter(|l| l.starts_with("  ")) {
                let key = line.trim().split(':').next().unwrap();
                assert!(FLAGS.iter().any(|f| f.name == key), "{key}");
            }
        }
        expect![[r#"
            model:
              model_name: Llama-3.1-70B-exl2-4.0bpw
              max_seq_len: 8192
              cache_size: 8192
              cache_mode: Q6
              gpu_split_auto: false
              gpu_split: [18.4, 18.5]
              max_batch_size: 1
            ---
            model:
              model_name: Llama-3.1-8B-exl2-6.0bpw
              max_seq_len: 8192
              cache_size: 8192
              cache_mode: Q4
              gpu_split_auto: false
              gpu_split: [7.4]
              max_batch_size: 1"#]]
        .assert_eq(&format!("{a}\n---\n{b}"));
    }
}
