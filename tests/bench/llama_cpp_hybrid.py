#!/usr/bin/env python3
"""llama.cpp's own allocations for hybrid, state-space and recurrent models.

Writes tiny but realistically shaped F16 GGUF files (F32 where llama.cpp's
converter keeps F32: 1-D tensors, norms, biases, SSM A/D, conv kernels,
router gates, RWKV lerps) for the state-space, recurrent and hybrid
architectures of the llama.cpp that llama-cpp-python 0.3.36 vendors
(mamba, mamba2, jamba, falcon-h1, granitehybrid, nemotron_h, plamo2, lfm2,
qwen3next, qwen35, rwkv6, rwkv7) plus two attention controls with newer
attention layouts (llama4: chunked attention; gemma3n: KV sharing), loads
each through llama-cpp-python's low-level API on the CPU with a grid of
n_ctx, n_seq_max, flash attention and K/V cache types, and records what
llama.cpp logs: model, KV, recurrent-state (RS), compute and output buffers,
cell counts and which layers got KV or recurrent state. For every load the
KV and RS sizes are also recomputed from the formulas in
target/llama-cpp-hybrid/NOTES.md and checked against the log.

Tensor names and shapes follow load_arch_tensors() and the GGUF keys follow
load_arch_hparams() in src/models/<arch>.cpp of the vendored llama.cpp;
weights are constants and the vocabulary is a placeholder of the right
size, so nothing is ever evaluated, only allocated.

    target/bench-venv/bin/python tests/bench/llama_cpp_hybrid.py \\
        tests/data/measured/llama_cpp_hybrid.json --work target/llama-cpp-hybrid

(target/bench-venv comes from `./bench --llama-cpp`, or
`python3 -m venv target/bench-venv && target/bench-venv/bin/pip install
llama-cpp-python==0.3.36 gguf==0.19.0 numpy`: builds llama.cpp, ~10 min on 2 cores). The
measurement itself takes about ten seconds.
"""
import argparse
import ctypes
import importlib.metadata
import json
import os
import re
import sys
import time

import gguf
import llama_cpp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_cpp_log import log_callback as _log, metadata_of, mib_bytes, take_log  # noqa: E402

# llama-cpp-python's CHANGELOG: 0.3.36 = "update llama.cpp to ggml-org/llama.cpp@0c1e57098",
# which is release b11312. The vendored sdist has no .git, so the library itself reports build 1.
LLAMA_CPP = "b11312 (0c1e57098bba43ac29e6e3b677cdceebdd22334f)"

F16, F32, Q8_0 = llama_cpp.GGML_TYPE_F16, llama_cpp.GGML_TYPE_F32, llama_cpp.GGML_TYPE_Q8_0
KV_TYPES = {"f16": F16, "q8_0": Q8_0}
MIB = 1024 * 1024

# --------------------------------------------------------------------------
# GGUF construction
# --------------------------------------------------------------------------

# Tensors llama.cpp's converter always stores as F32 (conversion/base.py).
F32_ALWAYS = re.compile(
    r"(ffn_gate_inp(_shexp)?|ssm_conv1d|shortconv\.conv|time_mix_first|time_mix_w1|time_mix_w2|"
    r"time_mix_decay_w1|time_mix_decay_w2|time_mix_lerp_fused|altup_correct_coef|altup_predict_coef)\.weight$"
)


def tensor_type(name, ne):
    """F16 or F32 following llama.cpp's convert_hf_to_gguf rules for an F16 conversion."""
    n_rows = int(np.prod(ne[1:])) if len(ne) > 1 else 1
    if n_rows == 1 or name.endswith("_norm.weight") or not name.endswith(".weight") or F32_ALWAYS.search(name):
        return "F32"
    return "F16"


class Model:
    """A GGUF under construction: typed metadata and tensor shapes in ggml order (ne0 first)."""

    def __init__(self, name, arch, n_vocab, source):
        self.name, self.arch, self.n_vocab = name, arch, n_vocab
        self.notes = f"src/models/{source}: load_arch_hparams() and load_arch_tensors()"
        self.kv = []  # (key, value, kind)
        self.tensors = []  # (name, ne, type)
        self.expect = {}  # what the NOTES formulas need: see expected()

    def key(self, suffix, value, kind=None):
        """Adds `{arch}.{suffix}`; kind: u32, i32, f32, bool, str or arr (inferred when None)."""
        if kind is None:
            kind = {bool: "bool", int: "u32", float: "f32", str: "str", list: "arr"}[type(value)]
        self.kv.append((f"{self.arch}.{suffix}", value, kind))

    def t(self, name, *ne):
        self.tensors.append((name, list(ne), tensor_type(name, list(ne))))

    def write(self, path):
        w = gguf.GGUFWriter(path, self.arch)
        w.add_name(self.name)
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        for key, value, kind in self.kv:
            {
                "u32": w.add_uint32,
                "i32": w.add_int32,
                "f32": w.add_float32,
                "bool": w.add_bool,
                "str": w.add_string,
                "arr": w.add_array,
            }[kind](key, value)
        n = self.n_vocab
        w.add_tokenizer_model("llama")
        w.add_token_list(["<unk>", "<s>", "</s>"] + [f"<t{i}>" for i in range(3, n)])
        w.add_token_scores([0.0] * n)
        w.add_token_types([2, 3, 3] + [1] * (n - 3))
        w.add_bos_token_id(1)
        w.add_eos_token_id(2)
        w.add_unk_token_id(0)
        for name, ne, ttype in self.tensors:
            dtype = np.float16 if ttype == "F16" else np.float32
            w.add_tensor(name, np.full(tuple(reversed(ne)), 0.01, dtype=dtype))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()



def common(m, n_embd, n_layer, ctx_train, rms_eps=1e-5):
    m.key("context_length", ctx_train)
    m.key("embedding_length", n_embd)
    m.key("block_count", n_layer)
    if rms_eps is not None:
        m.key("attention.layer_norm_rms_epsilon", rms_eps)


def embeddings(m, n_embd, tied=True, out_norm="output_norm.weight"):
    m.t("token_embd.weight", n_embd, m.n_vocab)
    m.t(out_norm, n_embd)
    if not tied:
        m.t("output.weight", n_embd, m.n_vocab)


def attn(m, i, n_embd, n_q, n_kv):
    """Separate Q/K/V/O as create_tensor_qkv() accepts them (no fused attn_qkv)."""
    b = f"blk.{i}."
    m.t(b + "attn_q.weight", n_embd, n_q)
    m.t(b + "attn_k.weight", n_embd, n_kv)
    m.t(b + "attn_v.weight", n_embd, n_kv)


def swiglu(m, i, n_embd, n_ff):
    b = f"blk.{i}."
    m.t(b + "ffn_gate.weight", n_embd, n_ff)
    m.t(b + "ffn_down.weight", n_ff, n_embd)
    m.t(b + "ffn_up.weight", n_embd, n_ff)


def ssm_expect(m, d_conv, d_inner, d_state, n_group, recr_layers):
    """llama_hparams::n_embd_r()/n_embd_s() for Mamba-style and gated-delta-net layers."""
    m.expect["n_embd_r"] = (d_conv - 1) * (d_inner + 2 * n_group * d_state)
    m.expect["n_embd_s"] = d_state * d_inner
    m.expect["rs_layers"] = list(recr_layers)


def kv_expect(m, layers, n_swa=0):
    """layers: [(il, n_embd_k_gqa, n_embd_v_gqa, is_swa)] that own K/V tensors."""
    m.expect["kv_layers"] = layers
    m.expect["n_swa"] = n_swa


# --------------------------------------------------------------------------
# Architectures (each follows src/models/<arch>.cpp of the vendored llama.cpp)
# --------------------------------------------------------------------------


def build_mamba():
    # Mamba-130m ratios: d_inner = 2*n_embd (llama.cpp requires it), d_state 16, dt_rank = n_embd/16.
    m = Model("mamba-tiny", "mamba", 2048, "mamba.cpp")
    d, L, d_conv, d_inner, d_state, dt_rank = 256, 8, 4, 512, 16, 16
    common(m, d, L, 2048)
    m.key("feed_forward_length", 0)
    m.key("attention.head_count", 0)
    m.key("attention.head_count_kv", 0)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", dt_rank)
    embeddings(m, d, tied=True)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        m.t(b + "ssm_in.weight", d, 2 * d_inner)
        m.t(b + "ssm_conv1d.weight", d_conv, d_inner)
        m.t(b + "ssm_conv1d.bias", d_inner)
        m.t(b + "ssm_x.weight", d_inner, dt_rank + 2 * d_state)
        m.t(b + "ssm_dt.weight", dt_rank, d_inner)
        m.t(b + "ssm_dt.bias", d_inner)
        m.t(b + "ssm_a", d_state, d_inner)
        m.t(b + "ssm_d", d_inner)
        m.t(b + "ssm_out.weight", d_inner, d)
    ssm_expect(m, d_conv, d_inner, d_state, 0, range(L))
    kv_expect(m, [])
    return m


def build_mamba2():
    # Mamba2-130m ratios: head_dim 64, d_state 128 -> 64 here, one group.
    m = Model("mamba2-tiny", "mamba2", 2048, "mamba2.cpp")
    d, L, d_conv, d_inner, d_state, n_group = 256, 8, 4, 512, 64, 1
    n_head = d_inner // 64  # ssm.time_step_rank = number of SSM heads
    common(m, d, L, 2048)
    m.key("feed_forward_length", 0)
    m.key("attention.head_count", 0)
    m.key("attention.head_count_kv", 0)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", n_head)
    m.key("ssm.group_count", n_group)
    embeddings(m, d, tied=True)
    conv_dim = d_inner + 2 * n_group * d_state
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        m.t(b + "ssm_in.weight", d, d_inner + conv_dim + n_head)
        m.t(b + "ssm_conv1d.weight", d_conv, conv_dim)
        m.t(b + "ssm_conv1d.bias", conv_dim)
        m.t(b + "ssm_dt.bias", n_head)
        m.t(b + "ssm_a", 1, n_head)
        m.t(b + "ssm_d", 1, n_head)
        m.t(b + "ssm_norm.weight", d_inner // n_group, n_group)
        m.t(b + "ssm_out.weight", d_inner, d)
    ssm_expect(m, d_conv, d_inner, d_state, n_group, range(L))
    kv_expect(m, [])
    return m


def build_jamba():
    # Jamba ratios: attention every 8th layer at offset 4, MoE every 2nd layer at offset 1,
    # Mamba-1 mixer with d_inner = 2*n_embd, d_state 16; GQA 32 heads / 8 kv -> 8 / 2 here.
    m = Model("jamba-tiny", "jamba", 2048, "jamba.cpp")
    d, L, d_conv, d_inner, d_state, dt_rank = 256, 8, 4, 512, 16, 16
    n_head, n_kv, hd, n_ff, n_expert = 8, 2, 32, 768, 4
    is_attn = [i % 8 == 4 for i in range(L)]
    is_moe = [i % 2 == 1 for i in range(L)]
    common(m, d, L, 262144, 1e-6)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", [n_kv if a else 0 for a in is_attn])
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", dt_rank)
    m.key("expert_count", n_expert)
    m.key("expert_used_count", 2)
    embeddings(m, d, tied=False)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        if not is_attn[i]:
            m.t(b + "ssm_in.weight", d, 2 * d_inner)
            m.t(b + "ssm_conv1d.weight", d_conv, d_inner)
            m.t(b + "ssm_conv1d.bias", d_inner)
            m.t(b + "ssm_x.weight", d_inner, dt_rank + 2 * d_state)
            m.t(b + "ssm_dt_norm.weight", dt_rank)
            m.t(b + "ssm_dt.weight", dt_rank, d_inner)
            m.t(b + "ssm_dt.bias", d_inner)
            m.t(b + "ssm_b_norm.weight", d_state)
            m.t(b + "ssm_c_norm.weight", d_state)
            m.t(b + "ssm_a", d_state, d_inner)
            m.t(b + "ssm_d", d_inner)
            m.t(b + "ssm_out.weight", d_inner, d)
        else:
            attn(m, i, d, d, n_kv * hd)
            m.t(b + "attn_output.weight", d, d)
        m.t(b + "ffn_norm.weight", d)
        if is_moe[i]:
            m.t(b + "ffn_gate_inp.weight", d, n_expert)
            m.t(b + "ffn_gate_exps.weight", d, n_ff, n_expert)
            m.t(b + "ffn_down_exps.weight", n_ff, d, n_expert)
            m.t(b + "ffn_up_exps.weight", d, n_ff, n_expert)
        else:
            swiglu(m, i, d, n_ff)
    ssm_expect(m, d_conv, d_inner, d_state, 0, [i for i in range(L) if not is_attn[i]])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if is_attn[i]])
    return m


def build_falcon_h1():
    # Falcon-H1-0.5B ratios: every layer runs attention and a Mamba-2 mixer in parallel;
    # 8 heads / 2 kv of 64, mamba heads of 64, one group -> n_embd 256, 4 heads / 2 kv here.
    m = Model("falcon-h1-tiny", "falcon-h1", 2048, "falcon-h1.cpp")
    d, L, n_head, n_kv, hd, n_ff = 256, 8, 4, 2, 64, 768
    d_conv, d_inner, d_state, n_group = 4, 384, 64, 1
    n_ssm_head = d_inner // 64
    common(m, d, L, 16384)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", n_kv)
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("rope.freq_base", 1e11)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", n_ssm_head)
    m.key("ssm.group_count", n_group)
    embeddings(m, d, tied=False)
    conv_dim = d_inner + 2 * n_group * d_state
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "ssm_in.weight", d, d_inner + conv_dim + n_ssm_head)
        m.t(b + "ssm_conv1d.weight", d_conv, conv_dim)
        m.t(b + "ssm_conv1d.bias", conv_dim)
        m.t(b + "ssm_dt.bias", n_ssm_head)
        m.t(b + "ssm_a", 1, n_ssm_head)
        m.t(b + "ssm_d", 1, n_ssm_head)
        m.t(b + "ssm_norm.weight", d_inner // n_group, n_group)
        m.t(b + "ssm_out.weight", d_inner, d)
        attn(m, i, d, n_head * hd, n_kv * hd)
        m.t(b + "attn_output.weight", n_head * hd, d)
        m.t(b + "attn_norm.weight", d)
        m.t(b + "ffn_norm", d)  # tn(LLM_TENSOR_FFN_NORM, i): no ".weight" suffix in this arch
        swiglu(m, i, d, n_ff)
    ssm_expect(m, d_conv, d_inner, d_state, n_group, range(L))
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L)])
    return m


def build_granitehybrid():
    # Granite-4.0-H ratios: Mamba-2 layers with a few attention layers (head_count_kv 0 marks
    # a recurrent layer), d_inner = 2*n_embd (required), 64-wide SSM heads, d_state 128 -> 64.
    m = Model("granitehybrid-tiny", "granitehybrid", 2048, "granite-hybrid.cpp")
    d, L, n_head, n_kv, hd, n_ff = 256, 8, 4, 1, 64, 768
    d_conv, d_inner, d_state, n_group = 4, 512, 64, 1
    n_ssm_head = d_inner // 64
    is_attn = [i % 4 == 3 for i in range(L)]
    common(m, d, L, 131072)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", [n_kv if a else 0 for a in is_attn])
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("logit_scale", 4.0)
    m.key("residual_scale", 0.22)
    m.key("embedding_scale", 12.0)
    m.key("attention.scale", 0.0078125)
    m.key("rope.scaling.finetuned", False)  # Granite 4.0-H uses no RoPE (NoPE)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", n_ssm_head)
    m.key("ssm.group_count", n_group)
    embeddings(m, d, tied=True)
    conv_dim = d_inner + 2 * n_group * d_state
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        if not is_attn[i]:
            m.t(b + "ssm_in.weight", d, 2 * d_inner + 2 * n_group * d_state + n_ssm_head)
            m.t(b + "ssm_conv1d.weight", d_conv, conv_dim)
            m.t(b + "ssm_conv1d.bias", conv_dim)
            m.t(b + "ssm_dt.bias", n_ssm_head)
            m.t(b + "ssm_a", 1, n_ssm_head)
            m.t(b + "ssm_d", 1, n_ssm_head)
            m.t(b + "ssm_norm.weight", d_inner // n_group, n_group)
            m.t(b + "ssm_out.weight", d_inner, d)
        else:
            attn(m, i, d, n_head * hd, n_kv * hd)
            m.t(b + "attn_output.weight", n_head * hd, d)
        m.t(b + "ffn_norm.weight", d)
        swiglu(m, i, d, n_ff)
    ssm_expect(m, d_conv, d_inner, d_state, n_group, [i for i in range(L) if not is_attn[i]])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if is_attn[i]])
    return m


def build_nemotron_h():
    # Nemotron-H ratios: three kinds of block, M (Mamba-2: head_count_kv 0, ff 0), * (attention:
    # head_count_kv > 0, ff 0) and - (squared-ReLU MLP: ff > 0); pattern M-M*M-M- here.
    m = Model("nemotron-h-tiny", "nemotron_h", 2048, "nemotron-h.cpp")
    d, n_head, n_kv, hd, n_ff = 256, 4, 2, 64, 1024
    d_conv, d_inner, d_state, n_group = 4, 512, 32, 2
    n_ssm_head = d_inner // 64
    pattern = "M-M*M-M-"
    L = len(pattern)
    common(m, d, L, 8192)
    m.key("attention.layer_norm_epsilon", 1e-5)
    m.key("feed_forward_length", [n_ff if c == "-" else 0 for c in pattern])
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", [n_kv if c == "*" else 0 for c in pattern])
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", n_ssm_head)
    m.key("ssm.group_count", n_group)
    embeddings(m, d, tied=False)
    conv_dim = d_inner + 2 * n_group * d_state
    for i, c in enumerate(pattern):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        if c == "M":
            m.t(b + "ssm_in.weight", d, 2 * d_inner + 2 * n_group * d_state + n_ssm_head)
            m.t(b + "ssm_conv1d.weight", d_conv, conv_dim)
            m.t(b + "ssm_conv1d.bias", conv_dim)
            m.t(b + "ssm_dt.bias", n_ssm_head)
            m.t(b + "ssm_a", 1, n_ssm_head)
            m.t(b + "ssm_d", 1, n_ssm_head)
            m.t(b + "ssm_norm.weight", d_inner // n_group, n_group)
            m.t(b + "ssm_out.weight", d_inner, d)
        elif c == "*":
            attn(m, i, d, n_head * hd, n_kv * hd)
            m.t(b + "attn_output.weight", n_head * hd, d)
        else:
            m.t(b + "ffn_down.weight", n_ff, d)
            m.t(b + "ffn_up.weight", d, n_ff)
    ssm_expect(m, d_conv, d_inner, d_state, n_group, [i for i, c in enumerate(pattern) if c == "M"])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i, c in enumerate(pattern) if c == "*"])
    return m


def build_plamo2():
    # PLaMo-2-1B ratios: mamba_step 2 (even layers Mamba, odd layers attention), Mamba with
    # intermediate = 2*n_embd, d_state 64, 64-wide heads, group_count 0 as the converter writes.
    m = Model("plamo2-tiny", "plamo2", 2048, "plamo2.cpp")
    d, L, n_head, n_kv, hd, n_ff = 256, 8, 4, 1, 64, 1024
    d_conv, d_inner, d_state = 4, 512, 64
    n_ssm_head = d_inner // 64
    dt_dim = max(64, d // 16)
    is_attn = [i % 2 == 1 for i in range(L)]
    common(m, d, L, 2048, 1e-6)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", [n_kv if a else 0 for a in is_attn])
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", d_inner)
    m.key("ssm.state_size", d_state)
    m.key("ssm.time_step_rank", n_ssm_head)
    m.key("ssm.group_count", 0)
    embeddings(m, d, tied=True)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        if not is_attn[i]:
            m.t(b + "ssm_in.weight", d, 2 * d_inner)
            m.t(b + "ssm_conv1d.weight", d_conv, d_inner)
            m.t(b + "ssm_x.weight", d_inner, dt_dim + 2 * d_state)
            m.t(b + "ssm_dt.weight", dt_dim, n_ssm_head)
            m.t(b + "ssm_dt.bias", n_ssm_head)
            m.t(b + "ssm_a", n_ssm_head)
            m.t(b + "ssm_d", n_ssm_head)
            m.t(b + "ssm_out.weight", d_inner, d)
            m.t(b + "ssm_dt_norm", dt_dim)  # no ".weight" suffix for these three
            m.t(b + "ssm_b_norm", d_state)
            m.t(b + "ssm_c_norm", d_state)
        else:
            m.t(b + "attn_qkv.weight", d, (n_head + 2 * n_kv) * hd)
            m.t(b + "attn_q_norm.weight", hd, n_head)
            m.t(b + "attn_k_norm.weight", hd, n_kv)
            m.t(b + "attn_output.weight", n_head * hd, d)
        m.t(b + "post_attention_norm", d)  # no ".weight" suffix
        m.t(b + "ffn_norm.weight", d)
        m.t(b + "ffn_down.weight", n_ff, d)
        m.t(b + "ffn_up.weight", d, 2 * n_ff)
        m.t(b + "post_ffw_norm", d)  # no ".weight" suffix
    ssm_expect(m, d_conv, d_inner, d_state, 0, [i for i in range(L) if not is_attn[i]])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if is_attn[i]])
    return m


def build_lfm2():
    # LFM2-350M ratios: short-convolution blocks with attention at layers 2, 5, 8, 10, 12, 14 of 16
    # (head_count_kv 0 marks a conv layer), L_cache 3, 16 heads / 8 kv of 64 -> 4 / 2 here.
    m = Model("lfm2-tiny", "lfm2", 2048, "lfm2.cpp")
    d, L, n_head, n_kv, n_ff, l_cache = 256, 8, 4, 2, 1152, 3
    hd = d // n_head
    is_attn = [i in (2, 5, 7) for i in range(L)]
    common(m, d, L, 128000)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", [n_kv if a else 0 for a in is_attn])
    m.key("rope.freq_base", 1e6)
    m.key("shortconv.l_cache", l_cache)
    embeddings(m, d, tied=True, out_norm="token_embd_norm.weight")
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "ffn_norm.weight", d)
        swiglu(m, i, d, n_ff)
        m.t(b + "attn_norm.weight", d)
        if is_attn[i]:
            m.t(b + "attn_q_norm.weight", hd)
            m.t(b + "attn_k_norm.weight", hd)
            attn(m, i, d, d, n_kv * hd)
            m.t(b + "attn_output.weight", d, d)
        else:
            m.t(b + "shortconv.conv.weight", l_cache, d)
            m.t(b + "shortconv.in_proj.weight", d, 3 * d)
            m.t(b + "shortconv.out_proj.weight", d, d)
    m.expect["n_embd_r"] = d * (l_cache - 1)
    m.expect["n_embd_s"] = 0
    m.expect["rs_layers"] = [i for i in range(L) if not is_attn[i]]
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if is_attn[i]])
    return m


def gated_delta_net(m, b, d, d_conv, head_dim, n_k, n_v, beta_alpha_fused):
    key_dim, value_dim = head_dim * n_k, head_dim * n_v
    m.t(b + "attn_qkv.weight", d, 2 * key_dim + value_dim)
    m.t(b + "attn_gate.weight", d, value_dim)
    m.t(b + "ssm_conv1d.weight", d_conv, 2 * key_dim + value_dim)
    m.t(b + "ssm_dt.bias", n_v)
    m.t(b + "ssm_a", n_v)
    if beta_alpha_fused:
        m.t(b + "ssm_ba.weight", d, 2 * n_v)
    else:
        m.t(b + "ssm_beta.weight", d, n_v)
        m.t(b + "ssm_alpha.weight", d, n_v)
    m.t(b + "ssm_norm.weight", head_dim)
    m.t(b + "ssm_out.weight", value_dim, d)


def build_qwen3next():
    # Qwen3-Next-80B-A3B ratios: full attention every 4th layer (gated, q_proj twice wide),
    # gated delta net elsewhere with 16 key heads / 32 value heads of 128 -> 2 / 4 of 64 here;
    # MoE with a shared expert.
    m = Model("qwen3next-tiny", "qwen3next", 2048, "qwen3next.cpp")
    d, L, n_head, n_kv, hd = 256, 8, 4, 1, 64
    d_conv, head_dim, n_k, n_v = 4, 64, 2, 4
    n_expert, n_used, n_ff_exp = 8, 2, 128
    interval = 4
    is_recr = [(i + 1) % interval != 0 for i in range(L)]
    common(m, d, L, 262144, 1e-6)
    m.key("feed_forward_length", 512)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", n_kv)
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("rope.dimension_count", hd // 4)
    m.key("rope.freq_base", 1e7)
    m.key("expert_count", n_expert)
    m.key("expert_used_count", n_used)
    m.key("expert_feed_forward_length", n_ff_exp)
    m.key("expert_shared_feed_forward_length", n_ff_exp)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", head_dim * n_v)
    m.key("ssm.state_size", head_dim)
    m.key("ssm.time_step_rank", n_v)
    m.key("ssm.group_count", n_k)
    m.key("full_attention_interval", interval)
    embeddings(m, d, tied=False)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        m.t(b + "post_attention_norm.weight", d)
        if not is_recr[i]:
            attn(m, i, d, 2 * n_head * hd, n_kv * hd)
            m.t(b + "attn_output.weight", n_head * hd, d)
            m.t(b + "attn_q_norm.weight", hd)
            m.t(b + "attn_k_norm.weight", hd)
        else:
            gated_delta_net(m, b, d, d_conv, head_dim, n_k, n_v, beta_alpha_fused=True)
        m.t(b + "ffn_gate_inp.weight", d, n_expert)
        m.t(b + "ffn_down_exps.weight", n_ff_exp, d, n_expert)
        m.t(b + "ffn_gate_exps.weight", d, n_ff_exp, n_expert)
        m.t(b + "ffn_up_exps.weight", d, n_ff_exp, n_expert)
        m.t(b + "ffn_gate_inp_shexp.weight", d)
        m.t(b + "ffn_gate_shexp.weight", d, n_ff_exp)
        m.t(b + "ffn_up_shexp.weight", d, n_ff_exp)
        m.t(b + "ffn_down_shexp.weight", n_ff_exp, d)
    ssm_expect(m, d_conv, head_dim * n_v, head_dim, n_k, [i for i in range(L) if is_recr[i]])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if not is_recr[i]])
    return m


def build_qwen35():
    # Qwen3.5 (dense) ratios: like Qwen3-Next without MoE, separate beta/alpha projections,
    # interleaved M-RoPE sections.
    m = Model("qwen35-tiny", "qwen35", 2048, "qwen35.cpp")
    d, L, n_head, n_kv, hd, n_ff = 256, 8, 4, 1, 64, 768
    d_conv, head_dim, n_k, n_v = 4, 64, 2, 4
    interval = 4
    is_recr = [(i + 1) % interval != 0 for i in range(L)]
    common(m, d, L, 262144, 1e-6)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", n_kv)
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("rope.dimension_count", hd // 4)
    m.key("rope.dimension_sections", [3, 3, 2, 0])
    m.key("rope.freq_base", 1e7)
    m.key("ssm.conv_kernel", d_conv)
    m.key("ssm.inner_size", head_dim * n_v)
    m.key("ssm.state_size", head_dim)
    m.key("ssm.time_step_rank", n_v)
    m.key("ssm.group_count", n_k)
    m.key("full_attention_interval", interval)
    embeddings(m, d, tied=True)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        m.t(b + "post_attention_norm.weight", d)
        if not is_recr[i]:
            attn(m, i, d, 2 * n_head * hd, n_kv * hd)
            m.t(b + "attn_output.weight", n_head * hd, d)
            m.t(b + "attn_q_norm.weight", hd)
            m.t(b + "attn_k_norm.weight", hd)
        else:
            gated_delta_net(m, b, d, d_conv, head_dim, n_k, n_v, beta_alpha_fused=False)
        swiglu(m, i, d, n_ff)
    ssm_expect(m, d_conv, head_dim * n_v, head_dim, n_k, [i for i in range(L) if is_recr[i]])
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, False) for i in range(L) if not is_recr[i]])
    return m


def rwkv_common(m, d, L, n_ff, head_size):
    common(m, d, L, 1048576, None)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", 0)
    m.key("attention.layer_norm_epsilon", 1e-5)
    m.key("wkv.head_size", head_size)
    m.key("token_shift_count", 2)
    m.t("token_embd.weight", d, m.n_vocab)
    m.t("token_embd_norm.weight", d)
    m.t("token_embd_norm.bias", d)
    m.t("output_norm.weight", d)
    m.t("output_norm.bias", d)
    m.t("output.weight", d, m.n_vocab)


def build_rwkv6():
    # RWKV-6 "Finch" ratios: head size 64, ffn 3.5*n_embd, time-mix LoRA 32, decay LoRA 64.
    m = Model("rwkv6-tiny", "rwkv6", 2048, "rwkv6.cpp")
    d, L, n_ff, hs, tm_extra, td_extra = 256, 8, 896, 64, 32, 64
    rwkv_common(m, d, L, n_ff, hs)
    m.key("time_mix_extra_dim", tm_extra)
    m.key("time_decay_extra_dim", td_extra)
    m.key("rescale_every_n_layers", 6)
    for i in range(L):
        b = f"blk.{i}."
        for n in ("attn_norm", "attn_norm_2"):
            m.t(b + n + ".weight", d)
            m.t(b + n + ".bias", d)
        m.t(b + "time_mix_w1.weight", d, tm_extra * 5)
        m.t(b + "time_mix_w2.weight", tm_extra, d, 5)
        m.t(b + "time_mix_lerp_x.weight", d, 1, 1)
        m.t(b + "time_mix_lerp_fused.weight", d, 1, 1, 5)
        m.t(b + "time_mix_first.weight", hs, d // hs)
        m.t(b + "time_mix_decay.weight", d)
        m.t(b + "time_mix_decay_w1.weight", d, td_extra)
        m.t(b + "time_mix_decay_w2.weight", td_extra, d)
        for n in ("key", "value", "receptance", "gate"):
            m.t(b + f"time_mix_{n}.weight", d, d)
        m.t(b + "time_mix_ln.weight", d)
        m.t(b + "time_mix_ln.bias", d)
        m.t(b + "time_mix_output.weight", d, d)
        m.t(b + "channel_mix_lerp_k.weight", d, 1, 1)
        m.t(b + "channel_mix_lerp_r.weight", d, 1, 1)
        m.t(b + "channel_mix_key.weight", d, n_ff)
        m.t(b + "channel_mix_value.weight", n_ff, d)
        m.t(b + "channel_mix_receptance.weight", d, d)
    m.expect["n_embd_r"] = 2 * d  # token_shift_count * n_embd
    m.expect["n_embd_s"] = d * hs  # n_embd * wkv.head_size
    m.expect["rs_layers"] = list(range(L))
    kv_expect(m, [])
    return m


def build_rwkv7():
    # RWKV-7 "Goose" 0.1B ratios: head size 64, ffn 4*n_embd, LoRA ranks decay 64, iclr 64,
    # value-residual 32, gate 128 (halved here with n_embd 256).
    m = Model("rwkv7-tiny", "rwkv7", 2048, "rwkv7.cpp")
    d, L, n_ff, hs = 256, 8, 1024, 64
    r_decay, r_iclr, r_vres, r_gate = 32, 32, 16, 64
    rwkv_common(m, d, L, n_ff, hs)
    m.key("attention.decay_lora_rank", r_decay)
    m.key("attention.iclr_lora_rank", r_iclr)
    m.key("attention.value_residual_mix_lora_rank", r_vres)
    m.key("attention.gate_lora_rank", r_gate)
    for i in range(L):
        b = f"blk.{i}."
        for n in ("attn_norm", "attn_norm_2"):
            m.t(b + n + ".weight", d)
            m.t(b + n + ".bias", d)
        m.t(b + "time_mix_w0.weight", d)
        m.t(b + "time_mix_w1.weight", d, r_decay)
        m.t(b + "time_mix_w2.weight", r_decay, d)
        m.t(b + "time_mix_a0.weight", d)
        m.t(b + "time_mix_a1.weight", d, r_iclr)
        m.t(b + "time_mix_a2.weight", r_iclr, d)
        r_v = r_iclr if i == 0 else r_vres
        m.t(b + "time_mix_v0.weight", d)
        m.t(b + "time_mix_v1.weight", d, r_v)
        m.t(b + "time_mix_v2.weight", r_v, d)
        m.t(b + "time_mix_g1.weight", d, r_gate)
        m.t(b + "time_mix_g2.weight", r_gate, d)
        m.t(b + "time_mix_lerp_fused.weight", d, 1, 1, 6)
        for n in ("k_k", "k_a", "r_k"):
            m.t(b + f"time_mix_{n}.weight", d)
        for n in ("key", "value", "receptance"):
            m.t(b + f"time_mix_{n}.weight", d, d)
        m.t(b + "time_mix_ln.weight", d)
        m.t(b + "time_mix_ln.bias", d)
        m.t(b + "time_mix_output.weight", d, d)
        m.t(b + "channel_mix_lerp_k.weight", d, 1, 1)
        m.t(b + "channel_mix_key.weight", d, n_ff)
        m.t(b + "channel_mix_value.weight", n_ff, d)
    m.expect["n_embd_r"] = 2 * d
    m.expect["n_embd_s"] = d * hs
    m.expect["rs_layers"] = list(range(L))
    kv_expect(m, [])
    return m


def build_llama4():
    # Llama-4-Scout/Maverick ratios: 3 chunked-attention layers (8192-token chunks, hard-coded
    # when attention.sliding_window is absent) then one global NoPE layer; MoE with a shared
    # expert interleaved every 2nd layer (Maverick), 40 heads / 8 kv of 128 -> 4 / 1 of 64 here.
    m = Model("llama4-tiny", "llama4", 2048, "llama4.cpp")
    d, L, n_head, n_kv, hd, n_ff, n_ff_exp, n_expert = 256, 8, 4, 1, 64, 1024, 512, 4
    step = 2
    common(m, d, L, 1048576)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", n_kv)
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("rope.dimension_count", hd)
    m.key("rope.freq_base", 500000.0)
    m.key("expert_count", n_expert)
    m.key("expert_used_count", 1)
    m.key("expert_feed_forward_length", n_ff_exp)
    m.key("interleave_moe_layer_step", step)
    embeddings(m, d, tied=False)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        attn(m, i, d, n_head * hd, n_kv * hd)
        m.t(b + "attn_output.weight", n_head * hd, d)
        m.t(b + "ffn_norm.weight", d)
        if (i + 1) % step == 0:
            m.t(b + "ffn_gate_inp.weight", d, n_expert)
            m.t(b + "ffn_gate_exps.weight", d, n_ff_exp, n_expert)
            m.t(b + "ffn_down_exps.weight", n_ff_exp, d, n_expert)
            m.t(b + "ffn_up_exps.weight", d, n_ff_exp, n_expert)
            m.t(b + "ffn_gate_shexp.weight", d, n_ff_exp)
            m.t(b + "ffn_down_shexp.weight", n_ff_exp, d)
            m.t(b + "ffn_up_shexp.weight", d, n_ff_exp)
        else:
            swiglu(m, i, d, n_ff)
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, i % 4 < 3) for i in range(L)], n_swa=8192)
    return m


def build_gemma3n():
    # Gemma-3n-E2B ratios: 30 layers (4 sliding-window of 512 then 1 global), KV computed only by
    # the first 20 layers (n_layer_kv_from_start is hard-coded to 20; later layers reuse layer 18
    # (SWA) or 19 (global)), AltUp/LAuReL/per-layer-embedding sizes hard-coded (256, 64, 4).
    m = Model("gemma3n-tiny", "gemma3n", 2048, "gemma3n.cpp")
    d, L, n_head, n_kv, hd, n_ff = 256, 30, 4, 1, 64, 1024
    n_altup, laurel, d_altup = 4, 64, 256
    common(m, d, L, 32768, 1e-6)
    m.key("feed_forward_length", n_ff)
    m.key("attention.head_count", n_head)
    m.key("attention.head_count_kv", n_kv)
    m.key("attention.key_length", hd)
    m.key("attention.value_length", hd)
    m.key("attention.sliding_window", 512)
    m.key("rope.freq_base", 1e6)
    m.key("rope.freq_base_swa", 10000.0)
    m.key("embedding_length_per_layer_input", d_altup)
    m.t("token_embd.weight", d, m.n_vocab)
    m.t("altup_proj.weight", d, d, n_altup - 1)
    m.t("altup_unembd_proj.weight", d, d, n_altup - 1)
    m.t("per_layer_token_embd.weight", d_altup * L, m.n_vocab)
    m.t("per_layer_model_proj.weight", d, d_altup * L)
    m.t("per_layer_proj_norm.weight", d_altup)
    m.t("output_norm.weight", d)
    for i in range(L):
        b = f"blk.{i}."
        m.t(b + "attn_norm.weight", d)
        attn(m, i, d, n_head * hd, n_kv * hd)
        m.t(b + "attn_output.weight", n_head * hd, d)
        m.t(b + "attn_q_norm.weight", hd)
        m.t(b + "attn_k_norm.weight", hd)
        m.t(b + "post_attention_norm.weight", d)
        m.t(b + "ffn_norm.weight", d)
        swiglu(m, i, d, n_ff)
        m.t(b + "post_ffw_norm.weight", d)
        m.t(b + "inp_gate.weight", d, d_altup)
        m.t(b + "proj.weight", d_altup, d)
        m.t(b + "post_norm.weight", d)
        m.t(b + "altup_correct_coef.weight", n_altup, n_altup)
        m.t(b + "altup_correct_scale.weight", d)
        m.t(b + "altup_predict_coef.weight", n_altup, n_altup * n_altup)
        m.t(b + "altup_router.weight", d, n_altup)
        m.t(b + "altup_router_norm.weight", d)
        m.t(b + "laurel_l.weight", d, laurel)
        m.t(b + "laurel_r.weight", laurel, d)
        m.t(b + "laurel_post_norm.weight", d)
    kv_expect(m, [(i, n_kv * hd, n_kv * hd, i % 5 < 4) for i in range(20)], n_swa=512)
    return m


BUILDERS = [
    build_mamba,
    build_mamba2,
    build_rwkv6,
    build_rwkv7,
    build_jamba,
    build_falcon_h1,
    build_granitehybrid,
    build_nemotron_h,
    build_plamo2,
    build_lfm2,
    build_qwen3next,
    build_qwen35,
    build_llama4,
    build_gemma3n,
]

# Archs where llama_context keeps n_rs_seq > 0 (llm_arch_supports_rs_rollback); others clamp it to 0.
RS_ROLLBACK = {"qwen35", "qwen35moe", "nemotron_h", "nemotron_h_moe", "lfm2", "lfm2moe"}
HYBRID = {"jamba", "falcon-h1", "plamo2", "granitehybrid", "lfm2", "nemotron_h", "qwen3next", "qwen35"}


def settings(m):
    """(n_ctx, n_seq_max, flash_attn, kv type, extra) for one model: the grid plus a few probes."""
    out = []
    for n_ctx in (512, 4096, 8192):
        for n_seq in (1, 4):
            for flash in (False, True):
                # a quantized V cache needs flash attention (llama_init_from_model refuses it
                # otherwise), so without it the q8_0 setting quantizes K only
                for kv in ("f16", "q8_0" if flash else "q8_0/f16"):
                    out.append((n_ctx, n_seq, flash, kv, {}))
    out.append((4096, 1, False, "q8_0", {}))  # the refusal itself, recorded once
    out.append((4096, 4, True, "f16", {"kv_unified": True}))
    if m.arch in RS_ROLLBACK:
        out.append((4096, 1, True, "f16", {"n_rs_seq": 2}))
        out.append((4096, 4, True, "f16", {"n_rs_seq": 2}))
    if m.arch == "llama4":
        for n_ctx in (16384, 32768):
            for n_seq in (1, 4):
                out.append((n_ctx, n_seq, True, "f16", {}))
        out.append((32768, 1, True, "f16", {"swa_full": True}))
        out.append((32768, 4, True, "f16", {"kv_unified": True}))
    if m.arch == "gemma3n":
        out.append((32768, 1, True, "f16", {}))
        out.append((8192, 1, True, "f16", {"swa_full": True}))
        out.append((8192, 4, True, "f16", {"kv_unified": True, "swa_full": False}))
    return out


# --------------------------------------------------------------------------
# Loading and log capture
# --------------------------------------------------------------------------







NUM = r"([\d.]+)"
RE = {
    "model": re.compile(r"(\S+) model buffer size =\s+" + NUM + " MiB"),
    "kv": re.compile(r"(\S+) KV buffer size =\s+" + NUM + " MiB"),
    "rs": re.compile(r"(\S+) RS buffer size =\s+" + NUM + " MiB"),
    "compute": re.compile(r"(\S+) compute buffer size =\s+" + NUM + " MiB"),
    "output": re.compile(r"(\S+)\s+output buffer size =\s+" + NUM + " MiB"),
    "compute_4dp": re.compile(r"(\S+) compute buffer size is\s+" + NUM + " MiB"),
    "kv_summary": re.compile(
        r"llama_kv_cache: size =\s+" + NUM + r" MiB \(\s*(\d+) cells,\s+(\d+) layers,\s+(\d+)/(\d+) seqs\), "
        r"K \((\w+)\):\s+" + NUM + r" MiB, V \((\w+)\):\s+" + NUM + " MiB"
    ),
    "rs_summary": re.compile(
        r"llama_memory_recurrent: size =\s+" + NUM
        + r" MiB \(\s*(\d+) cells,\s+(\d+) layers,\s+(\d+) seqs\s+(\d+) rs_seq\), "
        r"R \((\w+)\):\s+" + NUM + r" MiB, S \((\w+)\):\s+" + NUM + r" MiB, P \((\w+)\):\s+" + NUM + " MiB"
    ),
    "ctx_param": re.compile(
        r"llama_context: (n_seq_max|n_ctx|n_ctx_seq|n_batch|n_ubatch|flash_attn|kv_unified|n_rs_seq|n_outputs_max)\s+= (\S+)"
    ),
    "iswa": re.compile(r"creating\s+(non-SWA|SWA) KV cache, size = (\d+) cells"),
    "graph": re.compile(r"graph.*: nodes = (.+), splits = (.+?), input"),
    "kv_layer_dev": re.compile(r"llama_kv_cache: layer\s+(\d+): dev = "),
    "kv_layer_reuse": re.compile(r"llama_kv_cache: - layer\s+(\d+): reuse layer (\d+)"),
    "rs_layer_dev": re.compile(r"llama_memory_recurrent, layer\s+(\d+): dev = "),
}




def buffer(entries):
    """{'bytes', 'mib' (raw strings), 'by_buffer'} from [(buffer name, mib string)]."""
    if not entries:
        return None
    return {
        "bytes": sum(mib_bytes(s) for _, s in entries),
        "mib": [s for _, s in entries],
        "by_buffer": [name for name, _ in entries],
    }


def parse(lines):
    out = {"buffers": {}, "context": {}, "kv_caches": [], "rs_cache": None}
    out.update({"kv_layers": {}, "kv_reuse": {}, "rs_layers": []})
    found = {k: [] for k in ("model", "kv", "rs", "compute", "output", "compute_4dp")}
    section = None
    for _, line in lines:
        for k in found:
            m = RE[k].search(line)
            if m:
                found[k].append((m.group(1), m.group(2)))
        m = RE["kv_summary"].search(line)
        if m:
            g = m.groups()
            out["kv_caches"].append({
                "role": section or "kv",
                "mib": g[0], "cells": int(g[1]), "layers": int(g[2]), "n_seq_max": int(g[3]), "n_stream": int(g[4]),
                "type_k": g[5], "k_mib": g[6], "type_v": g[7], "v_mib": g[8],
            })
        m = RE["rs_summary"].search(line)
        if m:
            g = m.groups()
            out["rs_cache"] = {
                "mib": g[0], "cells": int(g[1]), "layers": int(g[2]), "n_seq_max": int(g[3]), "n_rs_seq": int(g[4]),
                "type_r": g[5], "r_mib": g[6], "type_s": g[7], "s_mib": g[8], "p_mib": g[10],
            }
        m = RE["ctx_param"].search(line)
        if m:
            v = m.group(2)
            out["context"][m.group(1)] = int(v) if v.isdigit() else v
        m = RE["iswa"].search(line)
        if m:
            section = "non-swa" if m.group(1) == "non-SWA" else "swa"
            out["context"]["cells_" + section] = int(m.group(2))
        m = RE["graph"].search(line)
        if m:
            out["context"]["graph_nodes"] = m.group(1)
            out["context"]["graph_splits"] = m.group(2)
        m = RE["kv_layer_dev"].search(line)
        if m:
            out["kv_layers"].setdefault(section or "kv", []).append(int(m.group(1)))
        m = RE["kv_layer_reuse"].search(line)
        if m:
            out["kv_reuse"][m.group(1)] = int(m.group(2))
        m = RE["rs_layer_dev"].search(line)
        if m:
            out["rs_layers"].append(int(m.group(1)))
    for k in ("model", "kv", "rs", "compute", "output"):
        out["buffers"][k] = buffer(found[k])
    if found["compute_4dp"]:
        out["buffers"]["compute_at_free_4dp"] = buffer(found["compute_4dp"])
    return out


# (the llama_context parameter lines, graph sizes and per-layer placement are parsed into
# "context" and the model's "layout" instead of being kept verbatim)
KEEP = re.compile(r"buffer size|llama_kv_cache: size|llama_memory_recurrent: size|creating .*KV cache")


def keep(level, line):
    """The log lines one load keeps verbatim: every buffer, cache size and cell count, warnings."""
    return level in ("WARN", "ERROR") or bool(KEEP.search(line))


# --------------------------------------------------------------------------
# The formulas of NOTES.md, checked against every load
# --------------------------------------------------------------------------


def pad(x, n):
    return (x + n - 1) // n * n


def row_bytes(kind, n):
    return {"f16": 2 * n, "q8_0": n // 32 * 34, "f32": 4 * n}[kind]


def expected(m, n_ctx, n_seq, flash, type_k, type_v, unified, swa_full, n_ubatch, n_rs_seq):
    """KV and RS bytes, cells and layers as llama.cpp b11312 computes them (see NOTES.md)."""
    e = m.expect
    n_ctx_pad = pad(n_ctx, 256)
    if unified:
        n_ctx_seq, n_stream = n_ctx_pad, 1
    else:
        n_ctx_seq, n_stream = pad(n_ctx_pad // n_seq, 256), n_seq
    kv = {}
    layers = e.get("kv_layers", [])
    iswa = e.get("n_swa", 0) > 0
    for role in (("non-swa", "swa") if iswa else ("kv",)):
        mine = [layer for layer in layers if not iswa or layer[3] == (role == "swa")]
        if role == "swa" and not swa_full:
            size = pad(min(n_ctx_seq, e["n_swa"] * (n_seq if unified else 1) + n_ubatch), 256)
        else:
            size = n_ctx_seq
        # without flash attention V is stored transposed and padded to the widest layer
        v_max = max((v for _, _, v, _ in layers), default=0)
        nbytes = sum(
            (row_bytes(type_k, k_gqa) + row_bytes(type_v, v_gqa if flash else v_max)) * size * n_stream
            for _, k_gqa, v_gqa, _ in mine
        )
        if mine:
            kv[role] = {"bytes": nbytes, "cells": size, "layers": len(mine)}
    rs_bytes, rs_cells = 0, 0
    if e.get("rs_layers"):
        rs_cells = max(1, n_seq)
        rs_bytes = len(e["rs_layers"]) * 4 * (e["n_embd_r"] + e["n_embd_s"]) * rs_cells * (1 + n_rs_seq)
    return {"kv": kv, "n_ctx_seq": n_ctx_seq, "n_stream": n_stream, "rs_bytes": rs_bytes, "rs_cells": rs_cells}


def load(model, m, n_ctx, n_seq, flash, kv, extra, n_ubatch=512):
    cp = llama_cpp.llama_context_default_params()
    cp.n_ctx = n_ctx
    cp.n_batch = max(n_ubatch, 2048)
    cp.n_ubatch = n_ubatch
    cp.n_seq_max = n_seq
    cp.n_threads = cp.n_threads_batch = os.cpu_count() or 1
    cp.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED if flash else llama_cpp.LLAMA_FLASH_ATTN_TYPE_DISABLED
    type_k, type_v = (kv.split("/") + [kv])[:2]
    cp.type_k, cp.type_v = KV_TYPES[type_k], KV_TYPES[type_v]
    cp.swa_full = extra.get("swa_full", False)
    cp.kv_unified = extra.get("kv_unified", False)
    cp.n_rs_seq = extra.get("n_rs_seq", 0)
    take_log()
    ctx = llama_cpp.llama_init_from_model(model, cp)
    error = None
    if not ctx:
        error = "llama_init_from_model returned NULL"
    else:
        llama_cpp.llama_free(ctx)  # logs the compute buffer size with 4 decimals (DEBUG)
    lines = take_log()
    p = parse(lines)
    row = {
        "n_ctx": n_ctx,
        "n_seq_max": n_seq,
        "n_ubatch": n_ubatch,
        "n_batch": cp.n_batch,
        "flash_attn": flash,
        "type_k": type_k,
        "type_v": type_v,
        "swa_full": bool(cp.swa_full),
        "kv_unified": bool(cp.kv_unified),
        "n_rs_seq": int(cp.n_rs_seq),
        "buffers": {k: (v["bytes"] if v else 0) for k, v in p["buffers"].items() if k != "compute_at_free_4dp"},
        # the MiB figures as printed, one per buffer (two for an iSWA cache: non-SWA, then SWA)
        "buffers_mib": {k: v["mib"] for k, v in p["buffers"].items() if v and k != "model"},
        "context": p["context"],
        "kv_caches": p["kv_caches"],
        "rs_cache": p["rs_cache"],
        "log": [line for level, line in lines if keep(level, line)],
    }
    layout = {"kv_layers": p["kv_layers"], "kv_reuse": p["kv_reuse"], "rs_layers": p["rs_layers"]}
    if p["buffers"].get("compute_at_free_4dp"):
        row["buffers"]["compute_4dp"] = p["buffers"]["compute_at_free_4dp"]["bytes"]
        row["buffers_mib"]["compute_4dp"] = row["buffers_mib"].pop("compute_at_free_4dp")
    if error:
        row["error"] = error
        row["error_log"] = [line for level, line in lines if level in ("ERROR", "WARN")]
        return row, None
    n_rs = p["context"].get("n_rs_seq", 0)
    n_rs = n_rs if isinstance(n_rs, int) else 0
    exp = expected(m, n_ctx, n_seq, flash, type_k, type_v, cp.kv_unified, cp.swa_full, n_ubatch, n_rs)
    # the log prints MiB with two decimals: agree within 0.005 MiB (+ float rounding), per cache
    close = lambda b, mib: abs(b - mib_bytes(mib)) <= 0.0051 * MIB  # noqa: E731
    logged = {c["role"]: c for c in p["kv_caches"]}
    kv_ok = set(logged) == set(exp["kv"]) and all(
        close(e["bytes"], logged[r]["mib"]) and e["cells"] == logged[r]["cells"] and e["layers"] == logged[r]["layers"]
        for r, e in exp["kv"].items()
    )
    rs = p["rs_cache"]
    rs_ok = (rs is None and exp["rs_bytes"] == 0) or (
        rs is not None and close(exp["rs_bytes"], rs["mib"]) and rs["cells"] == exp["rs_cells"]
    )
    row["formula"] = {
        "kv_bytes": sum(e["bytes"] for e in exp["kv"].values()),
        "kv": exp["kv"],
        "rs_bytes": exp["rs_bytes"],
        "rs_cells": exp["rs_cells"],
        "n_ctx_seq": exp["n_ctx_seq"],
        "n_stream": exp["n_stream"],
        "kv_matches_log": kv_ok,
        "rs_matches_log": rs_ok,
    }
    return row, layout


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--work", default="target/llama-cpp-hybrid", help="where GGUF files are written")
    parser.add_argument("--only", nargs="*", help="arch names to measure (default: all)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    llama_cpp.llama_log_set(_log, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    started = time.time()
    result = {
        "source": f"llama-cpp-python {llama_cpp.__version__} (llama.cpp {LLAMA_CPP}), "
        f"gguf {importlib.metadata.version('gguf')}, CPU",
        "script": "tests/bench/llama_cpp_hybrid.py",
        "date": time.strftime("%Y-%m-%d"),
        "units": "bytes; llama.cpp logs buffer sizes in MiB with 2 decimals "
        "(compute_4dp: 4 decimals, logged at llama_free), "
        "so *_bytes from the log are exact only to +-5243 bytes (+-53 for compute_4dp); model_size_bytes "
        "(llama_model_size) and formula.* are exact",
        "models": [],
    }
    for builder in BUILDERS:
        m = builder()
        if args.only and m.arch not in args.only:
            continue
        path = os.path.join(args.work, m.name + "-f16.gguf")
        m.write(path)
        take_log()
        mp = llama_cpp.llama_model_default_params()
        mp.n_gpu_layers = 0
        model = llama_cpp.llama_model_load_from_file(path.encode(), mp)
        model_lines = take_log()
        entry = {
            "name": m.name,
            "arch": m.arch,
            "notes": "Tensor list and GGUF keys follow " + m.notes + " (vendored llama.cpp " + LLAMA_CPP + "); "
            "memory kind from llama_model::create_memory in src/llama-model.cpp ("
            + ("llama_memory_hybrid" if m.arch in HYBRID
               else "llama_memory_recurrent" if m.expect.get("rs_layers") else "llama_kv_cache_iswa")
            + "). F16 weights, F32 where convert_hf_to_gguf keeps F32.",
            "file_bytes": os.path.getsize(path),
            "metadata": metadata_of(path),
            "tensors": [{"name": n, "shape": ne, "type": t} for n, ne, t in m.tensors],
            "formula_inputs": m.expect,
            "loads": [],
        }
        result["models"].append(entry)
        if not model:
            entry["error"] = "llama_model_load_from_file returned NULL"
            entry["error_log"] = [line for level, line in model_lines if level in ("ERROR", "WARN")][-20:]
            print(m.name, "FAILED TO LOAD:", "\n".join(entry["error_log"]), file=sys.stderr, flush=True)
            continue
        entry["model_size_bytes"] = int(llama_cpp.llama_model_size(model))
        entry["model_n_params"] = int(llama_cpp.llama_model_n_params(model))
        entry["model_log"] = [
            line for level, line in model_lines if level != "DEBUG" and ("print_info" in line or "buffer size" in line)
        ]
        model_buf = parse(model_lines)["buffers"]["model"]
        entry["model_buffer_mib"] = model_buf["mib"] if model_buf else None
        for n_ctx, n_seq, flash, kv, extra in settings(m):
            row, layout = load(model, m, n_ctx, n_seq, flash, kv, extra)
            row["buffers"]["model"] = model_buf["bytes"] if model_buf else 0
            entry["loads"].append(row)
            if layout is not None:
                # which layers own K/V or r/s rows never depends on the load settings: kept once
                if "layout" not in entry:
                    entry["layout"] = layout
                elif entry["layout"] != layout:
                    row["layout"] = layout
            f = row.get("formula", {})
            print(
                f"{m.name:20s} ctx={n_ctx:6d} seq={n_seq} fa={int(flash)} kv={kv:5s} {extra or ''} "
                + ("ERROR " + " | ".join(row.get("error_log", []))[:160] if "error" in row else
                   " ".join(f"{k}={v}" for k, v in row["buffers"].items())
                   + f" kv_ok={f.get('kv_matches_log')} rs_ok={f.get('rs_matches_log')}"),
                flush=True,
            )
        llama_cpp.llama_model_free(model)
        take_log()
        with open(args.out, "w") as fh:
            json.dump(result, fh, indent=1, sort_keys=True)
    result["seconds"] = round(time.time() - started, 1)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
