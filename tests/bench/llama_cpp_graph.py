#!/usr/bin/env python3
"""llama.cpp's compute graph, traced, for tests/llama_cpp_graph.rs.

Writes two-layer GGUF files with the real widths of catalog models
(Llama 3.1 8B and 70B, Qwen2.5 32B with its biases, Qwen3-30B-A3B's
experts and Q/K norms, Mixtral 8x7B), all-zero Q4_0 weights and a
placeholder vocabulary of the real size, loads each on the CPU through
llama-cpp-python with chosen n_ctx, n_ubatch, flash attention and cache
type, and records the exact bytes ggml's allocator reserved for the
compute buffer (tests/bench/ggml_alloc_trace.c, preloaded: llama.cpp
logs MiB with two decimals). vramfit's graph of the same two layers,
placed by its port of ggml-alloc, must give the same bytes.

    python3 tests/bench/llama_cpp_graph.py OUT.json [--work DIR]
"""
import argparse
import contextlib
import io
import json
import os
import time

import gguf
import llama_cpp
import numpy as np

from llama_cpp_log import preload_trace

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "estimate", "catalog")
Q4_0 = gguf.GGMLQuantizationType.Q4_0
KV = {"f16": llama_cpp.GGML_TYPE_F16, "q8_0": llama_cpp.GGML_TYPE_Q8_0}
N_LAYER = 2

# (catalog id, [(n_ctx, n_ubatch, flash attention, cache type)])
CASES = [
    ("llama-3.1-8b", [(10240, 512, False, "f16"), (8192, 512, True, "f16"), (8192, 512, True, "q8_0"),
                      (32768, 1024, True, "f16"), (4096, 2048, False, "f16")]),
    ("llama-3.1-70b", [(10016, 512, False, "f16"), (16384, 256, True, "q8_0")]),
    ("qwen2.5-32b", [(8192, 256, True, "f16"), (32768, 512, True, "q8_0"), (2048, 512, False, "f16")]),
    ("qwen3-30b-a3b", [(4096, 512, True, "f16"), (16384, 512, False, "f16"), (8192, 1024, True, "q8_0")]),
    ("mixtral-8x7b", [(8192, 512, True, "f16"), (4096, 512, False, "f16")]),
]


def write_gguf(model_id, path):
    """Two layers of the catalog model's widths, all-zero Q4_0 matrices."""
    with open(os.path.join(CATALOG, model_id + ".json")) as f:
        c = json.load(f)
    arch = {"llama": "llama", "qwen2": "qwen2", "qwen3_moe": "qwen3moe", "mixtral": "llama"}[c["model_type"]]
    d, n_head, n_kv = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"]
    hd = c.get("head_dim") or d // n_head
    n_vocab = c["vocab_size"]
    n_expert = c.get("num_experts") or c.get("num_local_experts") or 0
    n_used = c.get("num_experts_per_tok") or 0
    ff = c["intermediate_size"]
    ff_exp = c.get("moe_intermediate_size") or ff
    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(d)
    w.add_block_count(N_LAYER)
    w.add_feed_forward_length(ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_rope_dimension_count(hd)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-6)))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)
    if n_expert:
        w.add_expert_count(n_expert)
        w.add_expert_used_count(n_used)
        if arch == "qwen3moe":
            w.add_expert_feed_forward_length(ff_exp)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<t{i}>" for i in range(3, n_vocab)]
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * n_vocab)
    w.add_token_types([2, 3, 3] + [1] * (n_vocab - 3))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def matrix(name, *ne):  # ggml ne: [row length, rows, experts]
        shape = tuple(reversed(ne[1:])) + (ne[0] // 32 * 18,)
        w.add_tensor(name, np.zeros(shape, dtype=np.uint8), raw_dtype=Q4_0)

    def vector(name, n):
        w.add_tensor(name, np.ones(n, dtype=np.float32))

    matrix("token_embd.weight", d, n_vocab)
    vector("output_norm.weight", d)
    matrix("output.weight", d, n_vocab)
    for i in range(N_LAYER):
        b = f"blk.{i}."
        vector(b + "attn_norm.weight", d)
        matrix(b + "attn_q.weight", d, n_head * hd)
        matrix(b + "attn_k.weight", d, n_kv * hd)
        matrix(b + "attn_v.weight", d, n_kv * hd)
        matrix(b + "attn_output.weight", n_head * hd, d)
        if arch == "qwen2":
            vector(b + "attn_q.bias", n_head * hd)
            vector(b + "attn_k.bias", n_kv * hd)
            vector(b + "attn_v.bias", n_kv * hd)
        if arch == "qwen3moe":
            vector(b + "attn_q_norm.weight", hd)
            vector(b + "attn_k_norm.weight", hd)
        vector(b + "ffn_norm.weight", d)
        if n_expert:
            w.add_tensor(b + "ffn_gate_inp.weight", np.zeros((n_expert, d), dtype=np.float32))
            matrix(b + "ffn_gate_exps.weight", d, ff_exp, n_expert)
            matrix(b + "ffn_up_exps.weight", d, ff_exp, n_expert)
            matrix(b + "ffn_down_exps.weight", ff_exp, d, n_expert)
        else:
            matrix(b + "ffn_gate.weight", d, ff)
            matrix(b + "ffn_up.weight", d, ff)
            matrix(b + "ffn_down.weight", ff, d)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def load(path, n_ctx, n_ubatch, flash, kv, trace):
    """The compute buffer bytes ggml reserved (the largest reservation) and what llama.cpp logged."""
    if os.path.exists(trace):
        os.remove(trace)
    os.environ["GGML_ALLOC_TRACE"] = trace
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        llm = llama_cpp.Llama(model_path=path, n_gpu_layers=0, n_ctx=n_ctx, n_batch=max(n_ubatch, 2048),
                              n_ubatch=n_ubatch, flash_attn=flash, type_k=KV[kv], type_v=KV[kv],
                              swa_full=False, verbose=True)
        del llm
    with open(trace) as fh:
        reserved = max(json.loads(line)["buffer_bytes"][0] for line in fh if line.strip())
    logged = [ln.strip() for ln in log.getvalue().splitlines() if "compute buffer size =" in ln]
    return reserved, logged


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--work", default="target/llama-cpp-graph")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    preload_trace(args.work)
    started = time.time()
    rows = []
    for model, loads in CASES:
        path = os.path.join(args.work, f"{model}-{N_LAYER}l-q4_0.gguf")
        if not os.path.exists(path):
            write_gguf(model, path)
        for n_ctx, n_ubatch, flash, kv in loads:
            trace = os.path.join(args.work, "alloc-trace.jsonl")
            reserved, logged = load(path, n_ctx, n_ubatch, flash, kv, trace)
            rows.append({"model": model, "n_layer": N_LAYER, "n_ctx": n_ctx, "n_ubatch": n_ubatch,
                         "flash_attn": flash, "kv": kv, "compute_bytes": reserved, "log": logged})
            print(model, n_ctx, n_ubatch, flash, kv, reserved, flush=True)
    out = {
        "script": "tests/bench/llama_cpp_graph.py",
        "date": time.strftime("%Y-%m-%d"),
        "llama_cpp_python": llama_cpp.__version__,
        "note": "compute_bytes: what ggml_gallocr_reserve_n asked for, the largest reservation (CPU backend, "
                "alignment 32); the model has the first n_layer layers of the catalog model",
        "loads": rows,
        "seconds": round(time.time() - started),
    }
    with open(args.out, "w") as fh:
        json.dump(out, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
