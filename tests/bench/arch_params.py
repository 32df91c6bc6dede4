#!/usr/bin/env python3
"""Parameter counts of transformers' causal-LM classes for the decoder
families read by `src/import/arch/` (granite … glm4_moe), written to
`tests/data/arch_params.json` for `tests/arch_params.rs`.

Each model_type gets its class-default config (`AutoConfig.for_model(t)`,
stored as `to_dict()`) and perturbed configs. A perturbed case stores only
the fields it passes (plus `model_type`), so the Rust readers must fill in
the rest from the same class defaults transformers uses. `total` is the sum
of numel over `model.parameters()` of the model built on the meta device
(tied weights once, buffers such as `inv_freq` or `e_score_correction_bias`
excluded, but parameters with requires_grad=False included). MoE cases also
carry `active`: routed-expert parameters (`….experts.…`, not
`shared_experts`) counted `top_k / n_experts` of their elements. Cases
with local attention carry `windows`: each layer's sliding window as its
attention module holds it (null: global).

    target/bench-venv-tf/bin/python tests/bench/arch_params.py \
        tests/data/arch_params.json

Needs torch and transformers (no network, no GPU, no weights).
"""
import json
import math
import sys

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()

# Small dimensions shared by the perturbed cases: every size distinct.
SMALL = dict(
    vocab_size=320,
    hidden_size=64,
    intermediate_size=96,
    num_hidden_layers=4,
    num_attention_heads=4,
    num_key_value_heads=2,
    pad_token_id=0,  # within the small vocabulary
)

MOE_SMALL = dict(SMALL, moe_intermediate_size=40)

# (name, model_type, fields). fields None: the class default, stored as
# to_dict(). `base`: class defaults plus fields, stored as to_dict() too
# (for classes whose bare default cannot be built).
CASES = [
    ("granite-default", "granite", None),
    ("granite-bias-tied", "granite",
     dict(SMALL, attention_bias=True, mlp_bias=True, tie_word_embeddings=True)),
    ("granite-head-dim", "granite", dict(SMALL, head_dim=24, num_hidden_layers=3)),

    ("granitemoe-default", "granitemoe", None),
    ("granitemoe-bias-tied", "granitemoe",
     dict(SMALL, num_local_experts=6, num_experts_per_tok=2, attention_bias=True,
          tie_word_embeddings=True)),
    ("granitemoe-top1", "granitemoe", dict(SMALL, num_local_experts=4, num_experts_per_tok=1)),

    ("cohere-default", "cohere", None),
    ("cohere-qk-norm-bias", "cohere",
     dict(SMALL, use_qk_norm=True, attention_bias=True)),
    ("cohere-untied", "cohere", dict(SMALL, tie_word_embeddings=False, num_hidden_layers=3)),

    ("cohere2-default", "cohere2", None),
    ("cohere2-pattern-2", "cohere2", dict(SMALL, sliding_window_pattern=2, sliding_window=32)),
    ("cohere2-head-dim-untied", "cohere2",
     dict(SMALL, head_dim=24, attention_bias=True, tie_word_embeddings=False,
          layer_types=["full_attention", "sliding_attention", "sliding_attention",
                       "full_attention"])),

    ("olmo2-default", "olmo2", None),
    ("olmo2-bias-tied", "olmo2", dict(SMALL, attention_bias=True, tie_word_embeddings=True)),
    ("olmo2-head-dim", "olmo2", dict(SMALL, head_dim=24, num_hidden_layers=5)),

    ("olmo3-default", "olmo3", None),
    ("olmo3-layer-types", "olmo3",
     dict(SMALL, sliding_window=32,
          layer_types=["sliding_attention", "full_attention", "sliding_attention",
                       "full_attention"])),
    ("olmo3-head-dim-tied", "olmo3",
     dict(SMALL, head_dim=24, tie_word_embeddings=True, attention_bias=True)),

    ("olmoe-default", "olmoe", None),
    ("olmoe-gqa", "olmoe", dict(SMALL, num_experts=6, num_experts_per_tok=2)),
    ("olmoe-head-dim-bias-tied", "olmoe",
     dict(SMALL, head_dim=24, num_experts=4, num_experts_per_tok=3, attention_bias=True,
          tie_word_embeddings=True)),

    ("phi-default", "phi", None),
    ("phi-qk-layernorm-tied", "phi",
     dict(SMALL, qk_layernorm=True, tie_word_embeddings=True)),
    ("phi-head-dim", "phi", dict(SMALL, head_dim=24, qk_layernorm=True, num_hidden_layers=3)),

    ("gpt_neox-default", "gpt_neox", None),
    ("gpt_neox-no-bias-tied", "gpt_neox",
     dict(SMALL, num_key_value_heads=None, attention_bias=False, tie_word_embeddings=True,
          use_parallel_residual=False)),
    ("gpt_neox-small", "gpt_neox", dict(SMALL, num_key_value_heads=None, num_hidden_layers=3)),

    ("falcon-default", "falcon", None),
    ("falcon-new-arch", "falcon",
     dict(vocab_size=320, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
          num_kv_heads=2, new_decoder_architecture=True, bias=True)),
    ("falcon-sequential-mha-untied", "falcon",
     dict(vocab_size=320, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
          multi_query=False, parallel_attn=False, tie_word_embeddings=False,
          ffn_hidden_size=96)),
    ("falcon-new-arch-one-ln", "falcon",
     dict(vocab_size=320, hidden_size=64, num_hidden_layers=4, num_attention_heads=4,
          num_kv_heads=2, new_decoder_architecture=True, num_ln_in_parallel_attn=1,
          ffn_hidden_size=96)),
    ("falcon-old-arch-two-ln", "falcon",
     dict(vocab_size=320, hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
          num_ln_in_parallel_attn=2, bias=True)),

    ("starcoder2-default", "starcoder2", None),
    ("starcoder2-no-bias-untied", "starcoder2",
     dict(SMALL, use_bias=False, tie_word_embeddings=False, head_dim=24)),
    ("starcoder2-sliding", "starcoder2", dict(SMALL, sliding_window=32)),

    ("exaone4-default", "exaone4", None),
    ("exaone4-pattern-2-tied", "exaone4",
     dict(SMALL, sliding_window=32, sliding_window_pattern=2, tie_word_embeddings=True)),
    ("exaone4-head-dim-layer-types", "exaone4",
     dict(SMALL, head_dim=24, sliding_window=None,
          layer_types=["full_attention"] * 4)),

    ("ernie4_5-default", "ernie4_5", None),
    ("ernie4_5-bias-untied", "ernie4_5",
     dict(SMALL, use_bias=True, tie_word_embeddings=False)),
    ("ernie4_5-head-dim", "ernie4_5", dict(SMALL, head_dim=24, num_hidden_layers=3)),

    ("ernie4_5_moe-default", "ernie4_5_moe", None),
    ("ernie4_5_moe-interval-bias-untied", "ernie4_5_moe",
     dict(MOE_SMALL, num_hidden_layers=5, moe_num_experts=6, moe_k=2, moe_layer_start_index=1,
          moe_layer_interval=2, moe_num_shared_experts=0, use_bias=True,
          tie_word_embeddings=False)),
    ("ernie4_5_moe-end-index", "ernie4_5_moe",
     dict(MOE_SMALL, moe_num_experts=4, moe_k=1, moe_layer_start_index=0,
          moe_layer_end_index=2, moe_num_shared_experts=2)),

    # HunYuan's configs default head_dim to None, which the model classes
    # cannot build: the "default" cases add hidden_size / num_attention_heads.
    ("hunyuan_v1_dense-default-head-dim", "hunyuan_v1_dense", dict(base=True, head_dim=128)),
    ("hunyuan_v1_dense-bias-tied", "hunyuan_v1_dense",
     dict(SMALL, head_dim=24, attention_bias=True, tie_word_embeddings=True)),
    ("hunyuan_v1_dense-gqa", "hunyuan_v1_dense", dict(SMALL, head_dim=16, num_hidden_layers=3)),

    ("hunyuan_v1_moe-default-head-dim", "hunyuan_v1_moe", dict(base=True, head_dim=128)),
    ("hunyuan_v1_moe-experts", "hunyuan_v1_moe",
     dict(SMALL, head_dim=24, num_experts=6, moe_topk=2)),
    ("hunyuan_v1_moe-bias-tied", "hunyuan_v1_moe",
     dict(SMALL, head_dim=16, num_experts=4, moe_topk=1, attention_bias=True,
          tie_word_embeddings=True)),

    ("smollm3-default", "smollm3", None),
    ("smollm3-sliding-bias", "smollm3",
     dict(SMALL, use_sliding_window=True, sliding_window=32, no_rope_layer_interval=2,
          attention_bias=True, mlp_bias=True)),
    ("smollm3-no-rope-list-untied", "smollm3",
     dict(SMALL, no_rope_layers=[0, 1, 1, 0], tie_word_embeddings=False)),

    ("seed_oss-default", "seed_oss", None),
    ("seed_oss-out-bias-tied", "seed_oss",
     dict(SMALL, head_dim=24, attention_bias=False, attention_out_bias=True, mlp_bias=True,
          tie_word_embeddings=True)),
    ("seed_oss-head-dim", "seed_oss", dict(SMALL, head_dim=16, num_hidden_layers=3)),

    # Dots1Config leaves the expert counts None, which the model class cannot
    # build: the "default" case adds dots.llm1's counts to the class defaults.
    ("dots1-default-with-experts", "dots1",
     dict(base=True, n_routed_experts=128, n_shared_experts=2, num_experts_per_tok=6,
          first_k_dense_replace=1)),
    ("dots1-sliding", "dots1",
     dict(MOE_SMALL, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
          first_k_dense_replace=1, sliding_window=32, max_window_layers=2)),
    ("dots1-bias-tied-all-sparse", "dots1",
     dict(MOE_SMALL, n_routed_experts=4, n_shared_experts=2, num_experts_per_tok=3,
          attention_bias=True, tie_word_embeddings=True)),

    ("glm4-default", "glm4", None),
    ("glm4-no-bias-tied", "glm4", dict(SMALL, attention_bias=False, tie_word_embeddings=True)),
    ("glm4-head-dim", "glm4", dict(SMALL, head_dim=24, num_key_value_heads=4)),

    ("glm4_moe-default", "glm4_moe", None),
    ("glm4_moe-qk-norm-bias", "glm4_moe",
     dict(MOE_SMALL, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
          first_k_dense_replace=2, use_qk_norm=True, attention_bias=True)),
    ("glm4_moe-shared-tied", "glm4_moe",
     dict(MOE_SMALL, n_routed_experts=4, n_shared_experts=2, num_experts_per_tok=1,
          first_k_dense_replace=0, tie_word_embeddings=True, head_dim=24)),
]


def clean(value):
    """JSON-clean a to_dict() value: non-finite floats as strings."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def top_k(cfg):
    for field in ("num_experts_per_tok", "moe_k", "moe_topk"):
        k = getattr(cfg, field, None)
        if isinstance(k, int):
            return k
    return None


def n_experts(cfg):
    for field in ("num_local_experts", "num_experts", "moe_num_experts", "n_routed_experts"):
        n = getattr(cfg, field, None)
        if isinstance(n, int):
            return n
    return None


def count(model_type, fields):
    base = fields is not None and fields.pop("base", False)
    cfg = AutoConfig.for_model(model_type, **(fields or {}))
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    total = 0
    routed = 0
    for name, p in model.named_parameters():
        total += p.numel()
        if ".experts." in name:
            routed += p.numel()
    if fields is None or base:
        config = {
            k: v for k, v in cfg.to_dict().items()
            if not k.startswith("_") and k != "transformers_version"
        }
    else:
        config = dict(fields, model_type=model_type)
    case = {"config": clean(config), "total": total}
    windows = layer_windows(model, cfg)
    if any(w is not None for w in windows):
        case["windows"] = windows
    if routed:
        k, n = top_k(cfg), n_experts(cfg)
        case["active"] = total - routed + routed // n * k
    return case


def layer_windows(model, cfg):
    """Each layer's sliding window as its attention module holds it (None: global)."""
    base = model.base_model
    layers = getattr(base, "layers", None) or getattr(base, "h", None)
    windows = []
    for layer in layers:
        attn = next(
            getattr(layer, n) for n in ("self_attn", "attention", "self_attention") if hasattr(layer, n)
        )
        if hasattr(attn, "is_sliding"):
            windows.append(cfg.sliding_window if attn.is_sliding else None)
        elif hasattr(attn, "sliding_window"):
            windows.append(attn.sliding_window)
        elif cfg.model_type == "starcoder2":
            # Starcoder2 masks every layer with config.sliding_window.
            windows.append(cfg.sliding_window)
        else:
            windows.append(None)
    return windows


def main():
    out = sys.argv[1]
    cases = []
    for name, model_type, fields in CASES:
        case = count(model_type, None if fields is None else dict(fields))
        cases.append({"name": name, **case})
        print(f"{name:<40} {case['total']:>15} {case.get('active', '')}", file=sys.stderr)
    with open(out, "w") as f:
        json.dump(cases, f, indent=1, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main()
