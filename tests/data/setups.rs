// Shared by tests/split.rs and tests/bench/split.rs.

/// Heterogeneous setups people ask about.
const SETUPS: &[(&str, &str, &str)] = &[
    ("llama-3.1-8b", "24GB, 12GB", "f16"),
    ("llama-3.1-8b", "24GB, 16GB, 8GB", "q8_0"),
    ("llama-3.1-70b", "80GB, 24GB", "q4_k_m"),
    ("llama-3.1-70b", "4x24GB, 2x12GB", "q4_k_m"),
    ("llama-3.1-405b", "8x80GB", "q4_k_m"),
    ("qwen2.5-32b", "24GB, 12GB", "q4_k_m"),
    ("qwen2.5-72b", "48GB, 24GB, 16GB", "q4_k_m"),
    ("mixtral-8x7b", "24GB, 24GB, 8GB", "q4_k_m"),
    ("gemma-2-27b", "16GB, 12GB, 8GB", "q4_k_m"),
    ("mistral-small-24b", "12GB, 10GB, 6GB", "q4_k_m"),
    ("qwen3-32b", "32GB, 8GB", "q5_k_m"),
    ("deepseek-v2-lite", "12GB, 8GB", "q8_0"),
];
