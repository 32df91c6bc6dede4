#!/usr/bin/env python3
"""Parameter counts and cache tensors of transformers' own model classes.

Ground truth for vramfit's architecture formulas, taken from the real
`transformers` library rather than from reading its source:

* params: for each case (a config dict with `model_type`) the causal-LM class
  is built on the meta device and `total` is the sum of numel over
  `model.parameters()` (tied weights counted once, buffers excluded). Each
  case holds the config as `cfg.to_dict()` (JSON-clean: private keys,
  `transformers_version` and labels dropped, non-finite floats written as the
  string "inf") so it can be read back as a config.json, plus the `fields`
  the case passed in (which may use legacy spellings such as
  `hybrid_override_pattern` or layer type "mamba"), `per_layer` (numel of
  each decoder layer) and `non_layer` (the rest, indices collapsed). Cases
  marked `"holdout": true` are meant to be scored separately.
* cache: tiny models (hidden 64, 4 layers) are built on the CPU with random
  weights in bfloat16 (and float32 for the recurrent families) and run
  `generate(max_new_tokens=2, do_sample=False, use_cache=True)` on a batch of
  random prompts; every tensor reachable from each layer of the returned
  cache is recorded with its attribute path, shape, dtype, nbytes and the
  nbytes of its underlying storage (sliding-window layers keep views of a
  larger buffer). `after_prefill` is the same total after one forward over
  the prompt alone, before any decode step (sliding layers then still view
  the whole prompt's K/V).
* skipped: model types or cases that could not be built or run, with why.

    target/bench-venv-tf/bin/python tests/bench/transformers_arch.py \
        tests/data/measured/transformers_arch.json [--dump target/arch-dump] \
        [--only qwen3_next,mamba]

`--dump DIR` also writes, per family, DIR/<family>.txt: the tiny config, every
parameter name and shape, the buffers, and the cache tensors per layer.
Needs torch and transformers (no network, no GPU; weights are random).
"""
import argparse
import json
import math
import os
import platform
import re
import sys
import time
import traceback

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()

BATCH = 2
PROMPT = 37
NEW_TOKENS = 2

# Shared by the tiny configs: every dimension distinct so shapes read back
# unambiguously (hidden 64, MLP 96, head_dim 24, 4 heads / 2 KV heads).
TINY = dict(
    vocab_size=320,
    hidden_size=64,
    intermediate_size=96,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=24,
    num_hidden_layers=4,
    max_position_embeddings=256,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)


def tiny(drop=(), **kw):
    d = {k: v for k, v in TINY.items() if k not in drop}
    d.update(kw)
    return d


# A mid-size base for perturbed params cases (meta device, so size is free).
MID = dict(
    vocab_size=8192,
    hidden_size=512,
    intermediate_size=1408,
    num_attention_heads=8,
    num_key_value_heads=2,
    head_dim=80,
    num_hidden_layers=8,
    max_position_embeddings=4096,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)


def mid(drop=(), **kw):
    d = {k: v for k, v in MID.items() if k not in drop}
    d.update(kw)
    return d


def P(name, fields, holdout=False, model_type=None):
    """A perturbed params case; model_type overrides the family's (wrappers)."""
    return (name, fields, holdout, model_type)

# family -> model_type, defaults label, tiny (dump + cache), perturbed params
# cases, whether the family keeps recurrent state (cache also run in float32).
FAMILIES = {}


def family(key, model_type, defaults, tiny_cfg, perturbed, recurrent=False, extra_defaults=()):
    FAMILIES[key] = dict(
        model_type=model_type,
        defaults=defaults,
        tiny=tiny_cfg,
        perturbed=perturbed,
        recurrent=recurrent,
        extra_defaults=list(extra_defaults),
    )


# ---------------------------------------------------------------- hybrids / SSM
family(
    "qwen3_next", "qwen3_next",
    "config-class defaults (docstring checkpoint Qwen/Qwen3-Next-80B-A3B-Instruct)",
    tiny(layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
         mlp_only_layers=[2], num_experts=6, num_experts_per_tok=2, moe_intermediate_size=40,
         shared_expert_intermediate_size=56, linear_num_key_heads=2, linear_num_value_heads=4,
         linear_key_head_dim=20, linear_value_head_dim=28, linear_conv_kernel_dim=3),
    [
        P("mid, 12 layers, full_attention_interval=3", mid(num_hidden_layers=12, full_attention_interval=3, num_experts=32,
          num_experts_per_tok=4, moe_intermediate_size=160, shared_expert_intermediate_size=320, linear_num_key_heads=4,
          linear_num_value_heads=8, linear_key_head_dim=64, linear_value_head_dim=96, head_dim=128)),
        P("mid, mlp_only_layers + decoder_sparse_step=2, conv 5", mid(num_hidden_layers=8, mlp_only_layers=[0, 5],
          decoder_sparse_step=2, num_experts=16, moe_intermediate_size=192, shared_expert_intermediate_size=256,
          linear_conv_kernel_dim=5, linear_num_key_heads=2, linear_num_value_heads=6, linear_key_head_dim=48,
          linear_value_head_dim=72), True),
        P("mid, explicit layer_types, tied", mid(num_hidden_layers=6, tie_word_embeddings=True, num_experts_per_tok=4,
          layer_types=["full_attention", "linear_attention", "linear_attention", "full_attention", "full_attention", "linear_attention"],
          num_experts=8, moe_intermediate_size=256, shared_expert_intermediate_size=512, linear_num_key_heads=8,
          linear_num_value_heads=8, linear_key_head_dim=32, linear_value_head_dim=32)),
    ],
    recurrent=True,
)

family(
    "qwen3_5", "qwen3_5_text",
    "config-class defaults (Qwen3_5TextConfig; docstring checkpoint Qwen/Qwen3.5-27B)",
    tiny(layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
         linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=20, linear_value_head_dim=28,
         linear_conv_kernel_dim=3),
    [
        P("mid, 12 layers, full_attention_interval=3", mid(num_hidden_layers=12, full_attention_interval=3,
          linear_num_key_heads=4, linear_num_value_heads=8, linear_key_head_dim=64, linear_value_head_dim=96, head_dim=128)),
        P("mid, 8 layers, kv heads 4, conv 6, tied", mid(num_hidden_layers=8, num_key_value_heads=4, linear_conv_kernel_dim=6,
          tie_word_embeddings=True, linear_num_key_heads=6, linear_num_value_heads=12, linear_key_head_dim=40,
          linear_value_head_dim=56)),
        P("mid, explicit layer_types", mid(num_hidden_layers=5, layer_types=["linear_attention", "linear_attention",
          "full_attention", "full_attention", "linear_attention"], linear_num_key_heads=4, linear_num_value_heads=4,
          linear_key_head_dim=80, linear_value_head_dim=80)),
        P("wrapper model_type qwen3_5 defaults (Qwen3_5ForCausalLM builds the text model only)", {}, model_type="qwen3_5"),
        P("wrapper qwen3_5 with nested text_config", {"text_config": dict(mid(num_hidden_layers=8, linear_num_key_heads=4,
          linear_num_value_heads=8, linear_key_head_dim=64, linear_value_head_dim=64), model_type="qwen3_5_text"),
          "tie_word_embeddings": False}, model_type="qwen3_5"),
    ],
    recurrent=True,
)

family(
    "qwen3_5_moe", "qwen3_5_moe_text",
    "config-class defaults (Qwen3_5MoeTextConfig; docstring checkpoint Qwen/Qwen3.5-35B-A3B)",
    tiny(drop=("intermediate_size",),
         layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
         num_experts=6, num_experts_per_tok=2, moe_intermediate_size=40, shared_expert_intermediate_size=56,
         linear_num_key_heads=2, linear_num_value_heads=4, linear_key_head_dim=20, linear_value_head_dim=28,
         linear_conv_kernel_dim=3),
    [
        P("mid, 12 layers, full_attention_interval=3", mid(drop=("intermediate_size",), num_hidden_layers=12,
          full_attention_interval=3, num_experts=32, num_experts_per_tok=4, moe_intermediate_size=160,
          shared_expert_intermediate_size=320, linear_num_key_heads=4, linear_num_value_heads=8,
          linear_key_head_dim=64, linear_value_head_dim=96, head_dim=128)),
        P("mid, 8 layers, 64 experts, shared 96", mid(drop=("intermediate_size",), num_hidden_layers=8, num_experts=64,
          moe_intermediate_size=96, shared_expert_intermediate_size=96, linear_num_key_heads=2, linear_num_value_heads=6,
          linear_key_head_dim=48, linear_value_head_dim=72, linear_conv_kernel_dim=5), True),
        P("mid, explicit layer_types, tied", mid(drop=("intermediate_size",), num_hidden_layers=6, tie_word_embeddings=True, num_experts_per_tok=4,
          layer_types=["full_attention", "linear_attention", "linear_attention", "full_attention", "full_attention",
                       "linear_attention"], num_experts=8, moe_intermediate_size=256, shared_expert_intermediate_size=512)),
        P("wrapper model_type qwen3_5_moe defaults (text model only)", {}, model_type="qwen3_5_moe"),
        P("wrapper qwen3_5_moe with nested text_config", {"text_config": dict(mid(drop=("intermediate_size",),
          num_hidden_layers=8, num_experts=16, moe_intermediate_size=128, shared_expert_intermediate_size=256),
          model_type="qwen3_5_moe_text")}, model_type="qwen3_5_moe", holdout=True),
    ],
    recurrent=True,
)

MAMBA_TINY = dict(vocab_size=320, hidden_size=64, num_hidden_layers=3, pad_token_id=0, bos_token_id=1, eos_token_id=2)

family(
    "mamba", "mamba",
    "config-class defaults (docstring checkpoint state-spaces/mamba-2.8b; values are hidden 768 x 32 layers)",
    dict(MAMBA_TINY, state_size=12, conv_kernel=3, expand=2),
    [
        P("mamba-2.8b shape", dict(vocab_size=50280, hidden_size=2560, num_hidden_layers=64, state_size=16, expand=2,
          conv_kernel=4)),
        P("hidden 512, expand 3, state 24, dt rank 40, bias", dict(vocab_size=4096, hidden_size=512, num_hidden_layers=6,
          state_size=24, expand=3, conv_kernel=5, time_step_rank=40, use_bias=True, use_conv_bias=False)),
        P("untied, no conv bias", dict(vocab_size=5000, hidden_size=384, num_hidden_layers=10, state_size=8,
          tie_word_embeddings=False, use_conv_bias=False)),
    ],
    recurrent=True,
)

family(
    "mamba2", "mamba2",
    "config-class defaults (docstring checkpoint state-spaces/mamba2-2.8b; values are hidden 4096 x 64 layers, Codestral-Mamba-like)",
    dict(MAMBA_TINY, num_heads=8, head_dim=16, state_size=12, n_groups=2, conv_kernel=3, expand=2, chunk_size=16),
    [
        P("mamba2-2.7b shape", dict(vocab_size=50288, hidden_size=2560, num_hidden_layers=64, num_heads=80, head_dim=64,
          state_size=128, n_groups=1, expand=2, tie_word_embeddings=True)),
        P("hidden 512, 16 heads x 64, groups 4, state 32, conv 5", dict(vocab_size=4096, hidden_size=512, num_hidden_layers=6,
          num_heads=16, head_dim=64, state_size=32, n_groups=4, conv_kernel=5, expand=2, use_bias=True)),
        P("hidden 384, expand 4, 24 heads x 64, groups 8", dict(vocab_size=3000, hidden_size=384, num_hidden_layers=4,
          num_heads=24, head_dim=64, state_size=16, n_groups=8, expand=4, use_conv_bias=False), True),
    ],
    recurrent=True,
)

family(
    "jamba", "jamba",
    "config-class defaults (docstring checkpoint ai21labs/Jamba-v0.1)",
    tiny(drop=("head_dim",), attn_layer_period=2, attn_layer_offset=1, expert_layer_period=3, expert_layer_offset=0,
         num_experts=6, num_experts_per_tok=2, mamba_d_state=12, mamba_d_conv=3, mamba_expand=2, mamba_dt_rank=5,
         use_mamba_kernels=False),
    [
        P("mid, 8 layers, attn period 4 offset 2, experts period 2 offset 1", mid(drop=("head_dim",), attn_layer_period=4,
          attn_layer_offset=2, expert_layer_period=2, expert_layer_offset=1, num_experts=8, mamba_d_state=16,
          use_mamba_kernels=False)),
        P("mid, 12 layers, attn period 6, experts period 3, d_state 32, conv 5, proj bias", mid(drop=("head_dim",),
          num_hidden_layers=12, attn_layer_period=6, attn_layer_offset=5, expert_layer_period=3, expert_layer_offset=2,
          num_experts=4, mamba_d_state=32, mamba_d_conv=5, mamba_expand=3, mamba_proj_bias=True, mamba_conv_bias=False,
          use_mamba_kernels=False)),
        P("mid, no experts (period 1 offset 0, 1 expert)", mid(drop=("head_dim",), num_experts=1, expert_layer_period=1,
          expert_layer_offset=0, attn_layer_period=2, attn_layer_offset=0, use_mamba_kernels=False)),
    ],
    recurrent=True,
)

family(
    "bamba", "bamba",
    "config-class defaults (docstring checkpoint ibm-fms/Bamba-9.8b-2.2T-hf; attn_layer_indices=None => no attention layers)",
    tiny(drop=("head_dim",), attn_layer_indices=[1, 3], mamba_n_heads=8, mamba_d_head=16, mamba_n_groups=2,
         mamba_d_state=12, mamba_d_conv=3, mamba_expand=2, mamba_chunk_size=16),
    [
        P("Bamba-9B layout (attn at 9,18,27)", dict(attn_layer_indices=[9, 18, 27])),
        P("mid, 8 layers, attn [2,5], heads 16, groups 4, state 64", mid(drop=("head_dim",), attn_layer_indices=[2, 5],
          mamba_n_heads=16, mamba_d_head="auto", mamba_n_groups=4, mamba_d_state=64, mamba_d_conv=5, mlp_bias=True,
          attention_bias=True), True),
        P("mid, 6 layers, attn [0], expand 1, proj bias", mid(drop=("head_dim",), num_hidden_layers=6, attn_layer_indices=[0],
          mamba_n_heads=8, mamba_expand=1, mamba_d_head=64, mamba_proj_bias=True, mamba_conv_bias=False, tie_word_embeddings=True)),
    ],
    recurrent=True,
)

family(
    "nemotron_h", "nemotron_h",
    "config-class defaults (docstring checkpoint nvidia/NVIDIA-Nemotron-3-Nano-30B-A3B-BF16; layers_block_type defaults to a 4-layer M E * - demo)",
    tiny(drop=("num_hidden_layers",), layers_block_type=["linear_attention", "moe", "full_attention", "mlp"],
         ssm_state_size=12, mamba_num_heads=8, mamba_head_dim=16, n_groups=2, conv_kernel=3, chunk_size=16,
         n_routed_experts=6, num_experts_per_tok=2, moe_intermediate_size=40, moe_shared_expert_intermediate_size=56,
         use_mamba_kernels=False),
    [
        P("Nemotron-H-8B-like pattern via hybrid_override_pattern (dense)", mid(drop=("num_hidden_layers",),
          hybrid_override_pattern="M-M-M*-M-M-M-M*-M-", mamba_num_heads=16, mamba_head_dim=64, ssm_state_size=128, n_groups=8,
          mlp_hidden_act="relu2", use_mamba_kernels=False)),
        P("MoE pattern MEMEM*EMEME with latent-free shared experts", mid(drop=("num_hidden_layers",),
          hybrid_override_pattern="MEMEM*EMEME", mamba_num_heads=8, mamba_head_dim=48, ssm_state_size=64, n_groups=4,
          n_routed_experts=16, num_experts_per_tok=4, moe_intermediate_size=192, moe_shared_expert_intermediate_size=384,
          n_shared_experts=1, use_mamba_kernels=False)),
        P("MoE with moe_latent_size, conv 6, expand-free heads", mid(drop=("num_hidden_layers",),
          layers_block_type=["linear_attention", "moe", "full_attention", "moe", "linear_attention", "mlp"], mamba_num_heads=12,
          mamba_head_dim=32, ssm_state_size=32, n_groups=2, conv_kernel=6, n_routed_experts=8, moe_intermediate_size=256,
          moe_shared_expert_intermediate_size=128, moe_latent_size=96, use_mamba_kernels=False)),
    ],
    recurrent=True,
)

family(
    "falcon_h1", "falcon_h1",
    "config-class defaults (docstring checkpoint tiiuae/Falcon-H1-1.5B-Deep-Instruct; values are hidden 4096 x 32)",
    tiny(drop=("head_dim", "num_hidden_layers"), num_hidden_layers=3, mamba_d_ssm=96, mamba_n_heads=8, mamba_n_groups=2,
         mamba_d_state=12, mamba_d_conv=3, mamba_chunk_size=16),
    [
        P("mid, d_ssm None (expand*hidden), heads 16", mid(drop=("head_dim",), mamba_d_ssm=None, mamba_expand=2,
          mamba_n_heads=16, mamba_d_state=64, mamba_n_groups=2)),
        P("mid, d_ssm 768, rms norm, proj+conv bias, projectors bias", mid(drop=("head_dim",), mamba_d_ssm=768,
          mamba_n_heads=24, mamba_d_state=32, mamba_rms_norm=True, mamba_proj_bias=True, projectors_bias=True,
          attention_bias=True, mlp_bias=True), True),
        P("mid, explicit head_dim 96, tied", mid(num_hidden_layers=6, head_dim=96, mamba_d_ssm=512, mamba_n_heads=8,
          mamba_d_head=64, mamba_d_state=128, mamba_n_groups=1, tie_word_embeddings=True)),
    ],
    recurrent=True,
)

family(
    "granitemoehybrid", "granitemoehybrid",
    "config-class defaults (docstring checkpoint ibm-granite/granite-speech-3.2-8b; layer_types default all mamba)",
    tiny(drop=("head_dim",), layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
         num_local_experts=6, num_experts_per_tok=2, intermediate_size=40, shared_intermediate_size=56, mamba_n_heads=8,
         mamba_d_head=16, mamba_n_groups=2, mamba_d_state=12, mamba_d_conv=3, mamba_chunk_size=16),
    [
        P("Granite-4.0-H-like MoE, legacy layer names", mid(drop=("head_dim",), num_hidden_layers=8,
          layer_types=["mamba", "mamba", "mamba", "attention", "mamba", "mamba", "mamba", "attention"], num_local_experts=16,
          num_experts_per_tok=4, intermediate_size=256, shared_intermediate_size=768, mamba_n_heads=16, mamba_d_state=128,
          mamba_n_groups=1, position_embedding_type="nope")),
        P("dense (num_local_experts=0), attention-only 2 of 6", mid(drop=("head_dim",), num_hidden_layers=6,
          layer_types=["attention", "mamba", "mamba", "attention", "mamba", "mamba"], num_local_experts=0,
          shared_intermediate_size=1536, mamba_n_heads=8, mamba_d_state=64, mamba_d_conv=5, tie_word_embeddings=True)),
        P("all attention, MoE, rope", mid(drop=("head_dim",), num_hidden_layers=4, layer_types=["attention"] * 4,
          num_local_experts=8, intermediate_size=320, shared_intermediate_size=0, position_embedding_type="rope")),
    ],
    recurrent=True,
)

family(
    "lfm2", "lfm2",
    "config-class defaults (docstring checkpoint LiquidAI/LFM2-1.2B; default layer_types = all full_attention, unlike the real checkpoint)",
    tiny(drop=("head_dim",), layer_types=["conv", "full_attention", "conv", "full_attention"], conv_L_cache=3,
         block_multiple_of=8, block_auto_adjust_ff_dim=True),
    [
        P("LFM2-1.2B-like via full_attn_idxs", dict(vocab_size=65536, hidden_size=2048, num_hidden_layers=16,
          num_attention_heads=32, num_key_value_heads=8, intermediate_size=12288, full_attn_idxs=[2, 5, 8, 10, 12, 14],
          block_multiple_of=256, block_ffn_dim_multiplier=1.0, block_auto_adjust_ff_dim=True)),
        P("mid, no ff auto-adjust, conv bias, conv_L_cache 5", mid(drop=("head_dim",), full_attn_idxs=[3, 7],
          block_auto_adjust_ff_dim=False, conv_bias=True, conv_L_cache=5, tie_word_embeddings=False)),
        P("mid, ffn multiplier 1.5, multiple_of 128", mid(drop=("head_dim",), num_hidden_layers=10,
          layer_types=["conv", "conv", "full_attention"] * 3 + ["conv"], block_ffn_dim_multiplier=1.5, block_multiple_of=128,
          intermediate_size=2000), True),
    ],
    recurrent=True,
)

family(
    "lfm2_moe", "lfm2_moe",
    "config-class defaults (layer_types=None: expected to fail)",
    tiny(drop=("head_dim",), layer_types=["conv", "full_attention", "conv", "full_attention"], num_dense_layers=1,
         num_experts=6, num_experts_per_tok=2, moe_intermediate_size=40, conv_L_cache=3),
    [
        P("mid, 8 layers, 2 dense, 16 experts", mid(drop=("head_dim",), layer_types=["conv", "conv", "full_attention", "conv",
          "conv", "full_attention", "conv", "conv"], num_dense_layers=2, num_experts=16, moe_intermediate_size=192)),
        P("mid, 6 layers, 0 dense, no expert bias, conv bias", mid(drop=("head_dim",), num_hidden_layers=6,
          layer_types=["full_attention", "conv", "conv", "conv", "full_attention", "conv"], num_dense_layers=0, num_experts=8,
          moe_intermediate_size=320, use_expert_bias=False, conv_bias=True, conv_L_cache=4)),
    ],
    recurrent=True,
    extra_defaults=[("LFM2-8B-A1B layer pattern on defaults", dict(layer_types=[
        "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention",
        "conv", "conv", "conv", "full_attention", "conv", "conv", "conv", "full_attention", "conv", "conv", "full_attention",
        "conv", "conv"], num_hidden_layers=24))],
)

family(
    "zamba2", "zamba2",
    "config-class defaults (docstring checkpoint Zyphra/Zamba2-2.7B)",
    tiny(drop=("head_dim", "num_key_value_heads"), layers_block_type=["linear_attention", "hybrid", "linear_attention", "hybrid"],
         mamba_d_state=12, mamba_d_conv=3, mamba_expand=2, mamba_ngroups=2, n_mamba_heads=8, chunk_size=16,
         num_mem_blocks=2, use_shared_attention_adapter=True, adapter_rank=6, use_mamba_kernels=False),
    [
        P("Zamba2-1.2B-like: 1 shared block, adapters, mem rope", mid(drop=("head_dim", "num_key_value_heads"),
          num_hidden_layers=12, layers_block_type=["mamba", "mamba", "hybrid"] * 4, num_mem_blocks=1,
          use_shared_attention_adapter=True, adapter_rank=32, use_mem_rope=True, mamba_d_state=64, n_mamba_heads=16,
          use_mamba_kernels=False)),
        P("2 mem blocks, no adapters, intermediate None", mid(drop=("head_dim", "num_key_value_heads", "intermediate_size"),
          num_hidden_layers=10, layers_block_type=["mamba", "hybrid", "mamba", "mamba", "hybrid", "mamba", "hybrid", "mamba",
          "mamba", "hybrid"], num_mem_blocks=2, mamba_d_state=32, mamba_ngroups=2, n_mamba_heads=8, mamba_d_conv=5,
          use_mamba_kernels=False), True),
        P("kv heads 4, untied, bias linear", mid(drop=("head_dim",), num_key_value_heads=4, num_hidden_layers=6,
          layers_block_type=["hybrid", "mamba", "mamba", "hybrid", "mamba", "mamba"], add_bias_linear=True,
          tie_word_embeddings=False, use_mamba_kernels=False)),
    ],
    recurrent=True,
)

family(
    "kimi_linear", "kimi_linear",
    "config-class defaults (docstring checkpoint moonshotai/Kimi-Linear-48B-A3B-Instruct)",
    tiny(drop=("head_dim",), layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"],
         mlp_layer_types=["dense", "sparse", "sparse", "dense"], num_experts=6, num_experts_per_token=2,
         moe_intermediate_size=40, num_shared_experts=1, kv_lora_rank=32, q_lora_rank=None, qk_rope_head_dim=8,
         qk_nope_head_dim=16, v_head_dim=20, linear_head_dim=12, linear_num_heads=4, linear_conv_kernel_dim=3,
         num_key_value_heads=4),
    [
        P("mid, 8 layers, first_k_dense_replace=2, q_lora", mid(drop=("head_dim",), num_key_value_heads=8, first_k_dense_replace=2,
          num_experts=32, moe_intermediate_size=192, kv_lora_rank=128, q_lora_rank=192, qk_rope_head_dim=32,
          qk_nope_head_dim=64, v_head_dim=64, linear_head_dim=64, linear_num_heads=8)),
        P("mid, linear_attn_config (HF spelling), 2 shared experts", mid(drop=("head_dim",), num_key_value_heads=8,
          num_hidden_layers=6, linear_attn_config={"full_attn_layers": [3, 6], "kda_layers": [1, 2, 4, 5], "head_dim": 96,
          "num_heads": 6, "short_conv_kernel_size": 5}, num_experts=16, num_shared_experts=2, moe_intermediate_size=128,
          kv_lora_rank=96)),
    ],
    recurrent=True,
)

family(
    "minimax", "minimax",
    "config-class defaults (docstring checkpoint MiniMaxAI/MiniMax-Text-01-hf; values are hidden 4096 x 32, 8 experts)",
    tiny(layer_types=["linear_attention", "full_attention", "linear_attention", "full_attention"], num_local_experts=6,
         num_experts_per_tok=2, block_size=16),
    [
        P("mid, 8 layers, default alternation, 16 experts", mid(num_local_experts=16)),
        P("mid, 7 linear : 1 full, head_dim None", mid(drop=("head_dim",), layer_types=["linear_attention"] * 7 + ["full_attention"],
          num_local_experts=4, num_experts_per_tok=1), True),
    ],
    recurrent=True,
)

# ------------------------------------------------------------- attention-only
family(
    "glm4", "glm4",
    "config-class defaults (GLM-4-9B-0414-like)",
    tiny(),
    [
        P("mid, qkv bias default, partial rope", mid()),
        P("mid, 12 layers, kv 4, no attention bias, tied", mid(num_hidden_layers=12, num_key_value_heads=4, attention_bias=False,
          tie_word_embeddings=True)),
    ],
)

family(
    "glm4_moe", "glm4_moe",
    "config-class defaults (GLM-4.5-like; 46 layers + num_nextn_predict_layers=1 not built)",
    tiny(drop=("head_dim",), first_k_dense_replace=1, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         moe_intermediate_size=40, use_qk_norm=True),
    [
        P("mid, first_k_dense_replace=3, 2 shared, qk norm", mid(first_k_dense_replace=3, n_routed_experts=32,
          n_shared_experts=2, moe_intermediate_size=192, use_qk_norm=True, attention_bias=True)),
        P("mid, first_k_dense_replace=0, 64 experts, head_dim 128", mid(first_k_dense_replace=0, n_routed_experts=64,
          n_shared_experts=1, moe_intermediate_size=96, head_dim=128)),
        P("mid, 12 layers, n_shared_experts=0 (zero-size shared expert tensors)", mid(num_hidden_layers=12, first_k_dense_replace=1,
          n_routed_experts=16, n_shared_experts=0, moe_intermediate_size=256), True),
    ],
)

family(
    "llama4", "llama4_text",
    "config-class defaults (Llama4TextConfig; Llama-4-Scout-17B-16E text)",
    tiny(intermediate_size_mlp=112, num_local_experts=6, num_experts_per_tok=1, interleave_moe_layer_step=2,
         attention_chunk_size=16, no_rope_layer_interval=2),
    [
        P("Maverick-like: interleave_moe_layer_step=2, 128 experts", mid(interleave_moe_layer_step=2, num_local_experts=128,
          intermediate_size=256, intermediate_size_mlp=1024, attention_chunk_size=2048)),
        P("explicit moe_layers, no_rope_layers, qk norm off", mid(num_hidden_layers=6, moe_layers=[1, 2, 5],
          no_rope_layers=[1, 0, 1, 1, 0, 1], num_local_experts=8, intermediate_size=384, intermediate_size_mlp=768,
          use_qk_norm=False)),
        P("attention_chunk_size None (all full), tied", mid(attention_chunk_size=None, num_local_experts=4,
          interleave_moe_layer_step=1, tie_word_embeddings=True)),
        P("wrapper model_type llama4 defaults (Llama4ForCausalLM builds the text model only)", {}, model_type="llama4"),
    ],
)

family(
    "granite", "granite",
    "config-class defaults (7B llama-shaped)",
    tiny(drop=("head_dim",)),
    [
        P("Granite-3-8B-like", dict(vocab_size=49155, hidden_size=4096, intermediate_size=12800, num_hidden_layers=40,
          num_attention_heads=32, num_key_value_heads=8, tie_word_embeddings=True)),
        P("mid, mlp bias + attention bias", mid(drop=("head_dim",), mlp_bias=True, attention_bias=True), True),
    ],
)

family(
    "granitemoe", "granitemoe",
    "config-class defaults",
    tiny(drop=("head_dim",), num_local_experts=6, num_experts_per_tok=2),
    [
        P("Granite-3.0-1B-A400M-like", dict(vocab_size=49155, hidden_size=1024, intermediate_size=512, num_hidden_layers=24,
          num_attention_heads=16, num_key_value_heads=8, num_local_experts=32, num_experts_per_tok=8, tie_word_embeddings=True)),
        P("mid, 40 experts, kv 8", mid(drop=("head_dim",), num_local_experts=40, intermediate_size=256, num_key_value_heads=8)),
    ],
)

family(
    "cohere", "cohere",
    "config-class defaults (Command-R-like, tied)",
    tiny(drop=("head_dim",)),
    [
        P("mid, qk norm", mid(drop=("head_dim",), use_qk_norm=True)),
        P("mid, attention bias, untied", mid(drop=("head_dim",), attention_bias=True, tie_word_embeddings=False), True),
    ],
)

family(
    "cohere2", "cohere2",
    "config-class defaults (Command-R7B/A-like, sliding 4096, 3:1 pattern)",
    tiny(layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"], sliding_window=16),
    [
        P("mid, explicit layer_types 1:1", mid(layer_types=["sliding_attention", "full_attention"] * 4, sliding_window=1024)),
        P("mid, 12 layers, default pattern, kv 8", mid(num_hidden_layers=12, num_key_value_heads=8, head_dim=64)),
    ],
)

family(
    "olmo2", "olmo2",
    "config-class defaults (OLMo-2-7B-like)",
    tiny(drop=("head_dim",)),
    [
        P("OLMo-2-1B-like", dict(vocab_size=100352, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
          num_attention_heads=16, num_key_value_heads=16)),
        P("mid, GQA kv 2, attention bias", mid(drop=("head_dim",), attention_bias=True), True),
    ],
)

family(
    "olmo3", "olmo3",
    "config-class defaults (OLMo-3-7B-like, sliding 4096 3:1)",
    tiny(drop=("head_dim",), sliding_window=16),
    [
        P("mid, explicit layer_types", mid(drop=("head_dim",), layer_types=["sliding_attention"] * 6 + ["full_attention"] * 2,
          sliding_window=512)),
        P("mid, 12 layers, kv 8", mid(drop=("head_dim",), num_hidden_layers=12, num_key_value_heads=8)),
    ],
)

family(
    "olmoe", "olmoe",
    "config-class defaults (OLMoE-1B-7B)",
    tiny(drop=("head_dim",), num_experts=6, num_experts_per_tok=2),
    [
        P("mid, 32 experts", mid(drop=("head_dim",), num_experts=32, intermediate_size=256)),
        P("mid, clip_qkv, kv 8, 12 layers", mid(drop=("head_dim",), clip_qkv=8.0, num_key_value_heads=8, num_hidden_layers=12,
          num_experts=16), True),
    ],
)

family(
    "phi", "phi",
    "config-class defaults (phi-1.5 / phi-2-like layout: hidden 2048 x 24)",
    tiny(drop=("head_dim",), num_key_value_heads=4),
    [
        P("phi-2 shape", dict(vocab_size=51200, hidden_size=2560, intermediate_size=10240, num_hidden_layers=32,
          num_attention_heads=32)),
        P("mid, qk_layernorm, GQA", mid(drop=("head_dim",), qk_layernorm=True, num_key_value_heads=4)),
        P("mid, tied", mid(drop=("head_dim",), num_key_value_heads=8, tie_word_embeddings=True)),
    ],
)

family(
    "gpt_neox", "gpt_neox",
    "config-class defaults (GPT-NeoX-20B)",
    tiny(drop=("head_dim", "num_key_value_heads")),
    [
        P("pythia-1b shape", dict(vocab_size=50304, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
          num_attention_heads=8)),
        P("mid, no attention bias, tied, sequential residual", mid(drop=("head_dim", "num_key_value_heads"),
          attention_bias=False, tie_word_embeddings=True, use_parallel_residual=False), True),
    ],
)

family(
    "falcon", "falcon",
    "config-class defaults (Falcon-7B: multi_query, parallel attn)",
    dict(vocab_size=320, hidden_size=64, num_attention_heads=4, num_hidden_layers=4, ffn_hidden_size=96, pad_token_id=0,
         bos_token_id=1, eos_token_id=2),
    [
        P("Falcon-40B-like new_decoder_architecture", dict(vocab_size=65024, hidden_size=8192, num_attention_heads=128,
          num_kv_heads=8, num_hidden_layers=60, new_decoder_architecture=True, parallel_attn=True)),
        P("mid, new arch kv 4, num_ln_in_parallel_attn 1, bias", dict(vocab_size=8192, hidden_size=512, num_attention_heads=8,
          num_kv_heads=4, num_hidden_layers=6, new_decoder_architecture=True, num_ln_in_parallel_attn=1, bias=True,
          ffn_hidden_size=1408)),
        P("mid, not multi_query, sequential, alibi", dict(vocab_size=8192, hidden_size=512, num_attention_heads=8,
          num_hidden_layers=6, multi_query=False, parallel_attn=False, alibi=True, tie_word_embeddings=False)),
    ],
)

family(
    "starcoder2", "starcoder2",
    "config-class defaults (StarCoder2-3B-like)",
    tiny(drop=("head_dim",), sliding_window=16),
    [
        P("StarCoder2-7B shape", dict(vocab_size=49152, hidden_size=4608, intermediate_size=18432, num_hidden_layers=32,
          num_attention_heads=36, num_key_value_heads=4, sliding_window=4096)),
        P("mid, no bias, untied", mid(drop=("head_dim",), use_bias=False, tie_word_embeddings=False), True),
    ],
)

family(
    "exaone4", "exaone4",
    "config-class defaults (EXAONE-4.0-32B-like hidden 4096 x 32, sliding 3:1)",
    tiny(drop=("head_dim",), sliding_window=16, sliding_window_pattern=4),
    [
        P("EXAONE-4.0-1.2B-like (no sliding, explicit all-full layer_types)", dict(vocab_size=102400, hidden_size=2048,
          intermediate_size=4096, num_hidden_layers=30, num_attention_heads=32, num_key_value_heads=8, sliding_window=None,
          layer_types=["full_attention"] * 30, tie_word_embeddings=True)),
        P("mid, sliding pattern 2", mid(sliding_window=256, sliding_window_pattern=2)),
        P("mid, explicit layer_types", mid(sliding_window=256, layer_types=["full_attention", "sliding_attention"] * 4)),
    ],
)

family(
    "ernie4_5", "ernie4_5",
    "config-class defaults (ERNIE-4.5-0.3B, tied)",
    tiny(),
    [
        P("mid, use_bias", mid(use_bias=True)),
        P("mid, untied, kv 8", mid(tie_word_embeddings=False, num_key_value_heads=8), True),
    ],
)

family(
    "ernie4_5_moe", "ernie4_5_moe",
    "config-class defaults (ERNIE-4.5-21B-A3B)",
    tiny(drop=("head_dim",), moe_num_experts=6, moe_k=2, moe_intermediate_size=40, moe_num_shared_experts=1,
         moe_layer_start_index=1, moe_layer_end_index=-1, moe_layer_interval=1),
    [
        P("mid, moe layers 2..6 interval 2, 2 shared", mid(drop=("head_dim",), moe_num_experts=16, moe_intermediate_size=192,
          moe_num_shared_experts=2, moe_layer_start_index=2, moe_layer_end_index=6, moe_layer_interval=2)),
        P("mid, no shared, all moe, untied, bias", mid(drop=("head_dim",), moe_num_experts=8, moe_num_shared_experts=0,
          moe_layer_start_index=0, moe_intermediate_size=256, tie_word_embeddings=False, use_bias=True)),
    ],
)

family(
    "hunyuan_v1_dense", "hunyuan_v1_dense",
    "config-class defaults (llama-7B-like shape, vocab 290943; head_dim=None)",
    tiny(),
    [
        P("mid, head_dim None (expected to fail)", mid(drop=("head_dim",))),
        P("mid, 12 layers, kv 8, head_dim 64", mid(num_hidden_layers=12, num_key_value_heads=8, head_dim=64)),
        P("mid, attention bias, tied", mid(attention_bias=True, tie_word_embeddings=True), True),
    ],
    extra_defaults=[("defaults + head_dim=128 (hidden/heads)", dict(head_dim=128))],
)

family(
    "hunyuan_v1_moe", "hunyuan_v1_moe",
    "config-class defaults (num_experts=1, moe_topk=1; head_dim=None)",
    tiny(num_experts=6, moe_topk=2),
    [
        P("Hunyuan-A13B-like: 64 experts top 8", mid(num_experts=64, moe_topk=8, intermediate_size=384)),
        P("mid, 16 experts, kv 4", mid(num_experts=16, moe_topk=2, num_key_value_heads=4)),
    ],
    extra_defaults=[("defaults + head_dim=128 (hidden/heads)", dict(head_dim=128))],
)

family(
    "smollm3", "smollm3",
    "config-class defaults (SmolLM3-3B, NoPE every 4th layer, tied)",
    tiny(drop=("head_dim",), no_rope_layer_interval=2),
    [
        P("mid, explicit no_rope_layers, sliding", mid(drop=("head_dim",), no_rope_layers=[1, 0] * 4, use_sliding_window=True,
          sliding_window=512)),
        P("mid, untied, mlp bias", mid(drop=("head_dim",), tie_word_embeddings=False, mlp_bias=True), True),
    ],
)

family(
    "seed_oss", "seed_oss",
    "config-class defaults (Seed-OSS-36B)",
    tiny(),
    [
        P("mid, attention_out_bias, mlp bias", mid(attention_out_bias=True, mlp_bias=True)),
        P("mid, no qkv bias, tied", mid(attention_bias=False, tie_word_embeddings=True)),
    ],
)

family(
    "dots1", "dots1",
    "config-class defaults (n_routed_experts=None: expected to fail)",
    tiny(drop=("head_dim",), first_k_dense_replace=1, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         moe_intermediate_size=40),
    [
        P("mid, first_k_dense_replace=2, 2 shared", mid(drop=("head_dim",), first_k_dense_replace=2, n_routed_experts=32,
          n_shared_experts=2, num_experts_per_tok=4, moe_intermediate_size=160)),
        P("mid, sliding on layers >= 6", mid(drop=("head_dim",), first_k_dense_replace=0, n_routed_experts=16,
          n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=128, sliding_window=256, max_window_layers=6), True),
    ],
    extra_defaults=[("dots.llm1-like: defaults + 128 routed, 2 shared, top 6, first_k_dense_replace=1",
                     dict(n_routed_experts=128, n_shared_experts=2, num_experts_per_tok=6, first_k_dense_replace=1))],
)

family(
    "gemma3n", "gemma3n_text",
    "config-class defaults (Gemma3nTextConfig; gemma-3n-E4B text, per-layer embeddings, KV sharing)",
    tiny(drop=("intermediate_size",), intermediate_size=[96, 96, 112, 112], num_hidden_layers=4, num_kv_shared_layers=2,
         layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"], sliding_window=16,
         vocab_size_per_layer_input=300, hidden_size_per_layer_input=20, laurel_rank=12, altup_num_inputs=3,
         activation_sparsity_pattern=[0.95, 0.0, 0.0, 0.0]),
    [
        P("gemma-3n-E2B-like: 30 layers, 10 kv-shared", dict(num_hidden_layers=30, num_kv_shared_layers=10,
          intermediate_size=8192, activation_sparsity_pattern=[0.95] * 10 + [0.0] * 20)),
        P("mid, no kv sharing, per-layer dims 64", mid(num_hidden_layers=10, num_kv_shared_layers=0, hidden_size_per_layer_input=64,
          vocab_size_per_layer_input=4096, laurel_rank=32)),
        P("mid, per-layer intermediate list, kv sharing 4", mid(drop=("intermediate_size",), num_hidden_layers=10,
          num_kv_shared_layers=4, intermediate_size=[1024] * 5 + [2048] * 5, altup_num_inputs=2)),
        P("wrapper model_type gemma3n defaults (Gemma3nForConditionalGeneration: text + vision + audio)", {},
          model_type="gemma3n"),
    ],
)

family(
    "deepseek_v3", "deepseek_v3",
    "config-class defaults (DeepSeek-V3 671B; MTP layer not built)",
    tiny(drop=("head_dim",), first_k_dense_replace=1, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         moe_intermediate_size=40, n_group=2, topk_group=1, kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8,
         qk_nope_head_dim=16, v_head_dim=20, num_key_value_heads=4),
    [
        P("mid, q_lora None (V2-Lite style)", mid(drop=("head_dim",), num_key_value_heads=8, first_k_dense_replace=1,
          n_routed_experts=32, n_shared_experts=2, num_experts_per_tok=4, moe_intermediate_size=192, n_group=4, topk_group=2,
          kv_lora_rank=128, q_lora_rank=None, qk_rope_head_dim=32, qk_nope_head_dim=64, v_head_dim=64)),
        P("mid, q_lora 256, first_k_dense_replace 3", mid(drop=("head_dim",), num_key_value_heads=8, first_k_dense_replace=3,
          n_routed_experts=16, n_shared_experts=1, num_experts_per_tok=2, moe_intermediate_size=256, n_group=1, topk_group=1,
          kv_lora_rank=96, q_lora_rank=256, qk_rope_head_dim=16, qk_nope_head_dim=48, v_head_dim=40), True),
        P("Kimi-K2-like widths at 4 layers", dict(vocab_size=163840, hidden_size=7168, intermediate_size=18432, num_hidden_layers=4,
          num_attention_heads=64, num_key_value_heads=64, first_k_dense_replace=1, n_routed_experts=384, n_shared_experts=1,
          num_experts_per_tok=8, moe_intermediate_size=2048, n_group=1, topk_group=1, kv_lora_rank=512, q_lora_rank=1536,
          qk_rope_head_dim=64, qk_nope_head_dim=128, v_head_dim=128)),
    ],
)

family(
    "gpt_oss", "gpt_oss",
    "config-class defaults (gpt-oss-120b: 36 layers, 128 experts)",
    tiny(intermediate_size=40, num_local_experts=6, num_experts_per_tok=2,
         layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"], sliding_window=16),
    [
        P("gpt-oss-20b shape", dict(num_hidden_layers=24, num_local_experts=32)),
        P("mid, explicit layer_types, no attention bias", mid(intermediate_size=256, num_local_experts=16,
          layer_types=["sliding_attention"] * 6 + ["full_attention"] * 2, sliding_window=64, attention_bias=False)),
    ],
)

family(
    "qwen3", "qwen3",
    "config-class defaults (Qwen3-8B-like attention, hidden 4096 x 32, kv 32)",
    tiny(),
    [
        P("Qwen3-0.6B shape, tied", dict(vocab_size=151936, hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
          num_attention_heads=16, num_key_value_heads=8, head_dim=128, tie_word_embeddings=True)),
        P("mid, sliding on upper layers", mid(use_sliding_window=True, sliding_window=256, max_window_layers=4), True),
        P("mid, attention bias", mid(attention_bias=True)),
    ],
)

family(
    "qwen3_moe", "qwen3_moe",
    "config-class defaults (Qwen3-30B-A3B-like: 24 layers here vs 48 in the checkpoint)",
    tiny(drop=("head_dim",), num_experts=6, num_experts_per_tok=2, moe_intermediate_size=40, mlp_only_layers=[1]),
    [
        P("Qwen3-30B-A3B shape", dict(hidden_size=2048, intermediate_size=6144, num_hidden_layers=48, num_attention_heads=32,
          num_key_value_heads=4, head_dim=128, num_experts=128, num_experts_per_tok=8, moe_intermediate_size=768)),
        P("mid, decoder_sparse_step=2, mlp_only_layers=[0]", mid(num_experts=16, moe_intermediate_size=192, decoder_sparse_step=2,
          mlp_only_layers=[0])),
        P("mid, head_dim 128, 64 experts", mid(head_dim=128, num_experts=64, moe_intermediate_size=96)),
    ],
)

family(
    "gemma3_text", "gemma3_text",
    "config-class defaults (Gemma3TextConfig: gemma-3-2b-ish hidden 2304 x 26, tied)",
    tiny(layer_types=["sliding_attention", "sliding_attention", "sliding_attention", "full_attention"], sliding_window=16,
         query_pre_attn_scalar=24),
    [
        P("gemma-3-1b shape", dict(vocab_size=262144, hidden_size=1152, intermediate_size=6912, num_hidden_layers=26,
          num_attention_heads=4, num_key_value_heads=1, head_dim=256, sliding_window=512)),
        P("gemma-3-27b text shape", dict(vocab_size=262208, hidden_size=5376, intermediate_size=21504, num_hidden_layers=62,
          num_attention_heads=32, num_key_value_heads=16, head_dim=128, sliding_window=1024), True),
        P("mid, sliding_window_pattern 3", mid(sliding_window_pattern=3, sliding_window=256)),
        P("wrapper model_type gemma3 defaults: Gemma3ForConditionalGeneration, INCLUDES vision tower + projector", {},
          model_type="gemma3"),
    ],
)

family(
    "mistral", "mistral",
    "config-class defaults (Mistral-7B-v0.1: sliding_window 4096 on every layer)",
    tiny(sliding_window=16),
    [
        P("Mistral-Nemo-like, no sliding", dict(vocab_size=131072, hidden_size=5120, intermediate_size=14336, num_hidden_layers=40,
          num_attention_heads=32, num_key_value_heads=8, head_dim=128, sliding_window=None)),
        P("mid, tied, head_dim None", mid(drop=("head_dim",), tie_word_embeddings=True, sliding_window=None)),
    ],
)

family(
    "llama", "llama",
    "config-class defaults (Llama-2-7B)",
    tiny(),
    [
        P("Llama-3.2-1B shape, tied", dict(vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
          num_attention_heads=32, num_key_value_heads=8, head_dim=64, tie_word_embeddings=True)),
        P("mid, attention+mlp bias", mid(attention_bias=True, mlp_bias=True)),
        P("Llama-3.1-70B shape", dict(vocab_size=128256, hidden_size=8192, intermediate_size=28672, num_hidden_layers=80,
          num_attention_heads=64, num_key_value_heads=8, head_dim=128), True),
    ],
)


# ------------------------------------------------------ added with more-arch
family(
    "minimax_m2", "minimax_m2",
    "config-class defaults (MiniMax-M2: 62 layers, 256 experts top 8; MTP modules not built)",
    tiny(num_local_experts=6, num_experts_per_tok=2),
    [
        P("mid, 16 experts top 4, expert width 256", mid(num_local_experts=16, num_experts_per_tok=4, intermediate_size=256)),
        P("mid, head_dim unset (class default 128), rotary_dim, tied", mid(drop=("head_dim",), num_local_experts=8,
          rotary_dim=64, tie_word_embeddings=True), True),
    ],
)

family(
    "phimoe", "phimoe",
    "config-class defaults (Phi-3.5-MoE-like: 32 layers, 16 experts top 2)",
    tiny(num_local_experts=6, num_experts_per_tok=2, attention_bias=True, lm_head_bias=True, sliding_window=16),
    [
        P("Phi-3.5-MoE-instruct shape (biases, sliding_window 131072)", dict(vocab_size=32064, hidden_size=4096,
          intermediate_size=6400, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8, num_local_experts=16,
          num_experts_per_tok=2, attention_bias=True, lm_head_bias=True, sliding_window=131072,
          max_position_embeddings=131072)),
        P("mid, head_dim unset, 8 experts, tied", mid(drop=("head_dim",), num_local_experts=8, tie_word_embeddings=True), True),
    ],
)

family(
    "deepseek_v32", "deepseek_v32",
    "config-class defaults (DeepSeek-V3.2: V3 shapes plus the DSA indexer; MTP layer not built)",
    tiny(drop=("head_dim",), first_k_dense_replace=1, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         moe_intermediate_size=40, n_group=2, topk_group=1, kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8,
         qk_nope_head_dim=16, v_head_dim=20, num_key_value_heads=4, index_n_heads=4, index_head_dim=12, index_topk=8),
    [
        P("mid, explicit mlp_layer_types, 2 shared, attention bias", mid(drop=("head_dim",), num_key_value_heads=8,
          mlp_layer_types=["dense", "sparse", "dense", "sparse", "sparse", "sparse", "dense", "sparse"], n_routed_experts=16,
          n_shared_experts=2, num_experts_per_tok=4, moe_intermediate_size=192, n_group=4, topk_group=2, kv_lora_rank=128,
          q_lora_rank=192, qk_rope_head_dim=32, qk_nope_head_dim=64, v_head_dim=64, index_n_heads=8, index_head_dim=64,
          attention_bias=True)),
        P("mid, first_k_dense_replace 3, num_experts (BC spelling)", mid(drop=("head_dim",), num_key_value_heads=8,
          first_k_dense_replace=3, num_experts=32, num_experts_per_tok=2, moe_intermediate_size=128, n_group=1,
          topk_group=1, kv_lora_rank=96, q_lora_rank=256, qk_rope_head_dim=16, qk_nope_head_dim=48, v_head_dim=40,
          index_n_heads=16, index_head_dim=32), True),
    ],
)

family(
    "deepseek_v4", "deepseek_v4",
    "config-class defaults (DeepSeek-V4-Flash: 43 layers HCA/CSA compressed attention, hyper-connections, hash routers)",
    tiny(drop=("head_dim", "intermediate_size"), head_dim=32, partial_rotary_factor=0.25, q_lora_rank=48, o_groups=2,
         o_lora_rank=16, n_routed_experts=6, num_experts_per_tok=2, moe_intermediate_size=40, hc_mult=2,
         hc_sinkhorn_iters=3, sliding_window=16, index_n_heads=4, index_head_dim=12, index_topk=4,
         compress_rates={"compressed_sparse_attention": 4, "heavily_compressed_attention": 8},
         layer_types=["sliding_attention", "compressed_sparse_attention", "heavily_compressed_attention",
                      "compressed_sparse_attention"]),
    [
        P("mid, 8 layers default schedule, hc_mult 3, 2 shared, 4 hash layers", mid(drop=("head_dim", "intermediate_size"),
          head_dim=128, q_lora_rank=256, o_groups=4, o_lora_rank=96, n_routed_experts=16, n_shared_experts=2,
          num_experts_per_tok=4, moe_intermediate_size=192, hc_mult=3, index_n_heads=8, index_head_dim=64,
          mlp_layer_types=["hash_moe"] * 4 + ["moe"] * 4, sliding_window=64)),
        P("mid, 6 layers legacy compress_ratios 0/4/128, rates 8/64, qk_rope_head_dim 32", mid(
          drop=("head_dim", "intermediate_size"), num_hidden_layers=6, head_dim=96, qk_rope_head_dim=32,
          q_lora_rank=192, o_groups=8, o_lora_rank=64, n_routed_experts=8, num_experts_per_tok=2,
          moe_intermediate_size=256, compress_ratios=[0, 4, 128, 4, 128, 0], compress_rate_csa=8, compress_rate_hca=64,
          num_hash_layers=1, index_n_heads=4, index_head_dim=32, tie_word_embeddings=True), True),
    ],
)

family(
    "glm_moe_dsa", "glm_moe_dsa",
    "config-class defaults (GLM-5 style: GLM MoE with MLA and the DSA indexer; MTP layer not built)",
    tiny(drop=("head_dim",), first_k_dense_replace=1, n_routed_experts=6, n_shared_experts=1, num_experts_per_tok=2,
         moe_intermediate_size=40, kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8, qk_nope_head_dim=16,
         v_head_dim=20, num_key_value_heads=4, index_n_heads=4, index_head_dim=12, index_topk=8,
         indexer_types=["full", "shared", "full", "shared"]),
    [
        P("mid, explicit mlp_layer_types, 2 shared experts, attention bias, index_topk_pattern", mid(drop=("head_dim",),
          num_key_value_heads=8, mlp_layer_types=["dense", "sparse", "dense", "sparse", "sparse", "sparse", "dense", "sparse"],
          n_routed_experts=16, n_shared_experts=2, num_experts_per_tok=4, moe_intermediate_size=192, kv_lora_rank=128,
          q_lora_rank=192, qk_rope_head_dim=32, qk_nope_head_dim=64, v_head_dim=64, index_n_heads=8, index_head_dim=64,
          attention_bias=True, index_topk_pattern="FFSSFSFS")),
        P("mid, first_k_dense_replace 2, index_topk_freq 3, num_experts (BC spelling)", mid(drop=("head_dim",),
          num_key_value_heads=8, num_hidden_layers=10, first_k_dense_replace=2, num_experts=32, num_experts_per_tok=2,
          moe_intermediate_size=128, kv_lora_rank=96, q_lora_rank=256, qk_rope_head_dim=16, qk_nope_head_dim=48,
          v_head_dim=40, index_n_heads=16, index_head_dim=32, index_topk_freq=3, index_skip_topk_offset=1), True),
    ],
)

family(
    "gemma4", "gemma4_text",
    "config-class defaults (Gemma4TextConfig: 30 layers 5:1 sliding, global head_dim 512, per-layer embeddings)",
    tiny(layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"], sliding_window=16,
         global_head_dim=32, num_kv_shared_layers=2, hidden_size_per_layer_input=20, vocab_size_per_layer_input=352,
         use_double_wide_mlp=True),
    [
        P("mid, 12 layers, no per-layer embeddings, k_eq_v with 1 global KV head", mid(num_hidden_layers=12,
          hidden_size_per_layer_input=0, attention_k_eq_v=True, num_global_key_value_heads=1, global_head_dim=160,
          sliding_window=256)),
        P("mid, 10 layers, 4 kv-shared, double-wide MLP, attention bias, untied", mid(num_hidden_layers=10,
          num_kv_shared_layers=4, use_double_wide_mlp=True, attention_bias=True, tie_word_embeddings=False,
          hidden_size_per_layer_input=64, vocab_size_per_layer_input=4096), True),
        P("mid, explicit layer_types ending sliding (forced full)", mid(num_hidden_layers=6,
          layer_types=["sliding_attention", "full_attention", "sliding_attention", "sliding_attention", "full_attention",
                       "sliding_attention"], hidden_size_per_layer_input=32, vocab_size_per_layer_input=2048)),
    ],
)

family(
    "gemma4_moe", "gemma4_text",
    "config-class defaults (as gemma4's; this family adds the MoE block's tiny cache case)",
    tiny(layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"], sliding_window=16,
         global_head_dim=32, num_global_key_value_heads=1, attention_k_eq_v=True, hidden_size_per_layer_input=0,
         enable_moe_block=True, num_experts=6, top_k_experts=2, moe_intermediate_size=40),
    [
        P("mid, MoE 16 experts top 4, k_eq_v off", mid(num_hidden_layers=6, hidden_size_per_layer_input=0,
          enable_moe_block=True, num_experts=16, top_k_experts=4, moe_intermediate_size=192, global_head_dim=128)),
        P("defaults + MoE block (experts 128 top 8, width 704), k_eq_v, 2 global KV heads",
          dict(enable_moe_block=True, num_experts=128, top_k_experts=8, moe_intermediate_size=704, attention_k_eq_v=True,
               num_global_key_value_heads=2, hidden_size_per_layer_input=0)),
    ],
)


# ------------------------------------------------------------------ helpers
def clean(obj):
    """JSON-clean a config value: no private keys, no non-finite floats."""
    if isinstance(obj, dict):
        return {str(k): clean(v) for k, v in obj.items() if not str(k).startswith("_")}
    if isinstance(obj, (list, tuple)):
        return [clean(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return "inf" if obj > 0 else ("-inf" if obj < 0 else "nan")
    if isinstance(obj, torch.dtype):
        return str(obj).replace("torch.", "")
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return str(obj)


DROP_KEYS = {"transformers_version", "id2label", "label2id"}


def config_dict(cfg):
    d = cfg.to_dict()
    return clean({k: v for k, v in d.items() if k not in DROP_KEYS})


def build_config(model_type, fields):
    return AutoConfig.for_model(model_type, **json.loads(json.dumps(fields)))


# Decoder layers of the language model only (not a vision tower's layers).
LAYER_RE = re.compile(r"^(?:model\.language_model\.|model\.|backbone\.|gpt_neox\.|transformer\.)?(?:layers|h)\.(\d+)\.")
INDEX_RE = re.compile(r"\.\d+\.")


def count_params(model):
    total = 0
    per_layer = {}
    other = {}
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        m = LAYER_RE.search(name)
        if m:
            i = int(m.group(1))
            per_layer[i] = per_layer.get(i, 0) + n
        else:
            # Collapse indices (vision towers have many layers) to keep this short.
            key = INDEX_RE.sub(".*.", INDEX_RE.sub(".*.", name))
            other[key] = other.get(key, 0) + n
    untied = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    layers = [per_layer.get(i, 0) for i in range(max(per_layer) + 1)] if per_layer else []
    return total, untied, layers, other


def params_case(name, model_type, fields, holdout):
    cfg = build_config(model_type, fields)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg)
    total, untied, layers, other = count_params(model)
    row = {
        "name": name,
        "model_type": model_type,
        "holdout": holdout,
        "fields": clean(fields),
        "config": config_dict(cfg),
        "total": total,
        "total_counting_tied_twice": untied,
        "per_layer": layers,
        "non_layer": other,
        "class": type(model).__name__,
    }
    del model
    return row


def walk_tensors(obj, path, out, seen, depth=0):
    if depth > 8 or obj is None:
        return
    if isinstance(obj, torch.Tensor):
        if id(obj) in seen:
            return
        seen.add(id(obj))
        out.append((path, obj))
        return
    if isinstance(obj, (str, bytes, int, float, bool, torch.dtype, torch.device, torch.nn.Module)):
        return
    if isinstance(obj, dict):
        for k, v in obj.items():
            walk_tensors(v, f"{path}[{k}]", out, seen, depth + 1)
        return
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            walk_tensors(v, f"{path}[{i}]", out, seen, depth + 1)
        return
    if hasattr(obj, "__dict__"):
        for k, v in vars(obj).items():
            walk_tensors(v, f"{path}.{k}" if path else k, out, seen, depth + 1)


def tensor_row(path, t):
    st = t.untyped_storage()
    return {
        "attr": path,
        "shape": list(t.shape),
        "dtype": str(t.dtype).replace("torch.", ""),
        "nbytes": t.numel() * t.element_size(),
        "storage_nbytes": st.nbytes(),
        "storage_ptr": st.data_ptr(),
    }


class _Rest:
    """The cache's own attributes other than `layers` (MiniMaxCache keeps its
    linear-attention states in `linear_cache`, outside the layers)."""

    def __init__(self, cache):
        self.__dict__.update({k: v for k, v in vars(cache).items() if k != "layers"})


def cache_layers(cache):
    """(layer index, layer object) pairs, and what else the cache holds."""
    layers = getattr(cache, "layers", None)
    if layers is not None:
        return list(enumerate(layers)), _Rest(cache)
    return [], cache


def describe_cache(cache):
    seen = set()
    layers_out = []
    storages = {}
    total = 0
    cached_tokens = None
    pairs, whole = cache_layers(cache)
    for i, layer in pairs:
        found = []
        walk_tensors(layer, "", found, seen)
        tensors = [tensor_row(p, t) for p, t in found]
        for r in tensors:
            total += r["nbytes"]
            storages[r["storage_ptr"]] = max(storages.get(r["storage_ptr"], 0), r["storage_nbytes"])
        keys = getattr(layer, "keys", None)
        sliding = bool(getattr(layer, "is_sliding", False))
        if cached_tokens is None and isinstance(keys, torch.Tensor) and keys.dim() >= 2 and keys.numel() and not sliding:
            cached_tokens = int(keys.shape[-2])
        layers_out.append({
            "index": i,
            "class": type(layer).__name__,
            "is_sliding": sliding,
            "tensors": tensors,
            "bytes": sum(r["nbytes"] for r in tensors),
        })
    found = []
    walk_tensors(whole, "", found, seen)
    if found:
        tensors = [tensor_row(p, t) for p, t in found]
        for r in tensors:
            total += r["nbytes"]
            storages[r["storage_ptr"]] = max(storages.get(r["storage_ptr"], 0), r["storage_nbytes"])
        # index None: held by the cache object itself, not by one of its layers.
        layers_out.append({"index": None, "class": type(cache).__name__ + " (cache-level attributes)",
                           "is_sliding": False, "tensors": tensors, "bytes": sum(r["nbytes"] for r in tensors)})
    # Storage pointers mean nothing outside this process: replace them by a
    # small id so rows sharing a storage can still be matched.
    ids = {}
    for layer in layers_out:
        for r in layer["tensors"]:
            r["storage_id"] = ids.setdefault(r.pop("storage_ptr"), len(ids))
    return {
        "cache_class": type(cache).__name__,
        "bytes": total,
        "storage_bytes": sum(storages.values()),
        "cached_tokens": cached_tokens,
        "layers": layers_out,
    }


def build_cpu(model_type, fields, dtype):
    cfg = build_config(model_type, fields)
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    model.eval()
    return cfg, model


def run_generate(model, cfg):
    vocab = cfg.get_text_config().vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (BATCH, PROMPT), generator=g)
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
            return_dict_in_generate=True,
            use_cache=True,
            pad_token_id=0,
        )
    return out


def prefill_only(model, cfg):
    """The cache one forward over the prompt leaves (before any decode step:
    sliding layers then still view the whole prompt's K/V)."""
    vocab = cfg.get_text_config().vocab_size
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(3, vocab, (BATCH, PROMPT), generator=g)
    with torch.inference_mode():
        out = model(input_ids=ids, attention_mask=torch.ones_like(ids), use_cache=True, logits_to_keep=1)
    d = describe_cache(out.past_key_values)
    return {k: d[k] for k in ("bytes", "storage_bytes", "cached_tokens")}


def cache_case(key, fam, dtype):
    model_type = fam["model_type"]
    fields = fam["tiny"]
    cfg, model = build_cpu(model_type, fields, dtype)
    out = run_generate(model, cfg)
    desc = describe_cache(out.past_key_values)
    try:
        desc["after_prefill"] = prefill_only(model, cfg)
    except Exception as e:
        desc["after_prefill"] = {"error": short(e)}
    row = {
        "name": f"{key} tiny",
        "family": key,
        "model_type": model_type,
        "dtype": str(dtype).replace("torch.", ""),
        "fields": clean(fields),
        "config": config_dict(cfg),
        "batch": BATCH,
        "prompt": PROMPT,
        "new_tokens": int(out.sequences.shape[1] - PROMPT),
    }
    row.update(desc)
    return row, cfg, model, out


def fmt_shape(t):
    return "[" + ", ".join(str(s) for s in t.shape) + "]"


def write_dump(dump_dir, key, fam, cfg, model, cache_rows, gen_error):
    lines = []
    lines.append(f"# {key}: model_type={fam['model_type']} class={type(model).__name__}")
    lines.append(f"# transformers {transformers.__version__}, torch {torch.__version__}")
    lines.append("")
    lines.append("## fields passed to AutoConfig.for_model")
    lines.append(json.dumps(clean(fam["tiny"]), sort_keys=True))
    lines.append("")
    lines.append("## cfg.to_dict()")
    lines.append(json.dumps(config_dict(cfg), sort_keys=True, indent=1))
    lines.append("")
    named = dict(model.named_parameters())
    all_named = list(model.named_parameters(remove_duplicate=False))
    tied = [(n, p) for n, p in all_named if n not in named]
    total = sum(p.numel() for p in named.values())
    lines.append(f"## parameters (deduplicated; total {total})")
    for n, p in named.items():
        lines.append(f"{n} {fmt_shape(p)} {str(p.dtype).replace('torch.', '')} numel={p.numel()}")
    if tied:
        lines.append("")
        lines.append("## tied (same tensor as an earlier name; not counted again)")
        by_id = {id(p): n for n, p in named.items()}
        for n, p in tied:
            lines.append(f"{n} -> {by_id.get(id(p), '?')}")
    lines.append("")
    lines.append("## buffers")
    persistent = set()
    for mod_name, mod in model.named_modules():
        for b in getattr(mod, "_buffers", {}):
            if b not in getattr(mod, "_non_persistent_buffers_set", set()):
                persistent.add(f"{mod_name}.{b}" if mod_name else b)
    for n, b in model.named_buffers():
        kind = "persistent" if n in persistent else "non-persistent"
        lines.append(f"BUFFER {n} {fmt_shape(b)} {str(b.dtype).replace('torch.', '')} ({kind})")
    lines.append("")
    lines.append(f"## cache after generate(batch={BATCH}, prompt={PROMPT}, max_new_tokens={NEW_TOKENS})")
    if gen_error:
        lines.append(f"generate failed: {gen_error}")
    for row in cache_rows:
        lines.append(f"### dtype {row['dtype']}: {row['cache_class']} bytes={row['bytes']} storage_bytes={row['storage_bytes']} "
                     f"cached_tokens={row['cached_tokens']} new_tokens={row['new_tokens']}; "
                     f"after prefill only: {json.dumps(row.get('after_prefill'))}")
        for layer in row["layers"]:
            lines.append(f"layer {layer['index']} {layer['class']} sliding={layer['is_sliding']} bytes={layer['bytes']}")
            for t in layer["tensors"]:
                view = "" if t["storage_nbytes"] == t["nbytes"] else f" VIEW of storage {t['storage_nbytes']} B"
                lines.append(f"    {t['attr']} {t['shape']} {t['dtype']} {t['nbytes']} B storage#{t['storage_id']}{view}")
    os.makedirs(dump_dir, exist_ok=True)
    with open(os.path.join(dump_dir, f"{key}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def short(e):
    return f"{type(e).__name__}: {e}".replace("\n", " ")[:400]


def write_json(path, result):
    """Write `result` as the committed JSON (sorted keys, 1-space indent, no
    NaN) and return its text. Shared with transformers_vlm.py and
    training_exact.py."""
    text = json.dumps(result, sort_keys=True, indent=1, allow_nan=False)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        f.write(text + "\n")
    return text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--dump", help="also write the per-family architecture dump here")
    parser.add_argument("--only", help="comma-separated family keys")
    parser.add_argument("--no-params", action="store_true", help="skip the meta-device params cases")
    parser.add_argument("--no-cache", action="store_true", help="skip the CPU generate() cases")
    args = parser.parse_args()
    started = time.time()
    only = set(args.only.split(",")) if args.only else None
    result = {
        "source": f"transformers {transformers.__version__}, torch {torch.__version__}, python {platform.python_version()}; "
                  "meta-device instantiation / CPU generate()",
        "script": "tests/bench/transformers_arch.py",
        "batch": BATCH,
        "prompt": PROMPT,
        "params": [],
        "cache": [],
        "skipped": [],
    }
    for key, fam in FAMILIES.items():
        if only and key not in only:
            continue
        t0 = time.time()
        mt = fam["model_type"]
        if not args.no_params:
            cases = [(fam["defaults"], {}, False, None)] + [(n, f, False, None) for n, f in fam["extra_defaults"]]
            cases += [(f"{key} tiny (cache/dump config)", fam["tiny"], False, None)] + fam["perturbed"]
            for name, fields, holdout, case_mt in cases:
                try:
                    row = params_case(name, case_mt or mt, fields, holdout)
                    row["family"] = key
                    result["params"].append(row)
                except Exception as e:
                    result["skipped"].append({"model_type": case_mt or mt, "family": key, "case": name, "what": "params",
                                              "why": short(e)})
        dtypes = [torch.bfloat16] + ([torch.float32] if fam["recurrent"] else [])
        if not args.no_cache or args.dump:
            rows = []
            model = cfg = None
            gen_error = None
            for dtype in dtypes:
                try:
                    row, cfg_d, model_d, _ = cache_case(key, fam, dtype)
                    rows.append(row)
                    if dtype == torch.bfloat16:
                        cfg, model = cfg_d, model_d
                except Exception as e:
                    gen_error = short(e)
                    result["skipped"].append({"model_type": mt, "family": key, "case": f"{key} tiny {dtype}", "what": "cache",
                                              "why": gen_error})
                    if os.environ.get("ARCH_TRACEBACK"):
                        traceback.print_exc()
            if not args.no_cache:
                result["cache"].extend(rows)
            if args.dump:
                if model is None:
                    try:
                        cfg, model = build_cpu(mt, fam["tiny"], torch.bfloat16)
                    except Exception as e:
                        gen_error = (gen_error or "") + f" / build failed: {short(e)}"
                if model is not None:
                    write_dump(args.dump, key, fam, cfg, model, rows, gen_error)
            del model
        print(f"{key}: {time.time() - t0:.1f}s", flush=True)
    seconds = round(time.time() - started, 1)  # printed, not stored: keeps reruns diff-free
    text = write_json(args.out, result)
    print(f"params {len(result['params'])}, cache {len(result['cache'])}, skipped {len(result['skipped'])}, "
          f"{len(text) / 1e6:.2f} MB, {seconds}s")


if __name__ == "__main__":
    sys.exit(main())
