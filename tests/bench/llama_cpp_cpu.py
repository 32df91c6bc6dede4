#!/usr/bin/env python3
"""llama.cpp's own buffer sizes for real architectures, measured for docs/BENCHMARKS.md.

Writes F16 GGUF files of catalog models (real shapes, constant weights, a
placeholder vocabulary of the right size) with the `gguf` package,
quantizes them with llama.cpp's quantizer and loads each with chosen
n_ctx, n_ubatch, K/V cache types and flash attention through
llama-cpp-python (CPU). Records the "model buffer", "KV buffer", "compute
buffer" and "output buffer" sizes llama.cpp logs. `cargo bench --bench
accuracy` compares them with vramfit's llama.cpp estimate; ./bench
--llama-cpp reruns this script.

    python3 tests/bench/llama_cpp_cpu.py OUT.json [--work DIR]
"""
import argparse
import contextlib
import importlib.metadata
import io
import json
import os
import platform
import re
import sys
import time
from collections import Counter

import gguf
import llama_cpp
import numpy as np

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "estimate", "catalog")

F16, Q8_0, Q4_0 = llama_cpp.GGML_TYPE_F16, llama_cpp.GGML_TYPE_Q8_0, llama_cpp.GGML_TYPE_Q4_0
KV_NAMES = {F16: "f16", Q8_0: "q8_0", Q4_0: "q4_0"}
FTYPES = {"q4_k_m": llama_cpp.LLAMA_FTYPE_MOSTLY_Q4_K_M, "q8_0": llama_cpp.LLAMA_FTYPE_MOSTLY_Q8_0}

# (catalog id, quantized types to make, [(ftype, n_ctx, n_ubatch, kv type, flash attention)])
CASES = [
    (
        "qwen2.5-0.5b",
        ["q4_k_m"],
        [
            ("f16", 4096, 512, F16, False),
            ("f16", 32768, 512, F16, True),
            ("q4_k_m", 8192, 512, Q8_0, True),
        ],
    ),
    (
        "llama-3.2-1b",
        ["q4_k_m", "q8_0"],
        [
            ("f16", 4096, 512, F16, False),
            ("f16", 8192, 512, F16, True),
            ("f16", 8192, 256, Q8_0, True),
            ("f16", 16384, 512, Q4_0, True),
            ("q4_k_m", 4096, 512, F16, True),
            ("q8_0", 4096, 512, F16, True),
        ],
    ),
    (
        "gemma-3-1b",
        ["q4_k_m"],
        [
            ("f16", 8192, 512, F16, True),
            ("f16", 32768, 512, F16, True),
            ("q4_k_m", 32768, 1024, Q8_0, True),
        ],
    ),
]


def add_vocab(w, n_vocab):
    """A SentencePiece-style vocabulary of n_vocab distinct placeholder pieces."""
    tokens = ["<unk>", "<s>", "</s>"] + [f"<t{i}>" for i in range(3, n_vocab)]
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * n_vocab)
    w.add_token_types([2, 3, 3] + [1] * (n_vocab - 3))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)


def write_gguf(model_id, path):
    """An F16 GGUF of the catalog model with constant weights."""
    with open(os.path.join(CATALOG, model_id + ".json")) as f:
        c = json.load(f)
    model_type = c["model_type"]
    arch = {"llama": "llama", "qwen2": "qwen2", "gemma3_text": "gemma3"}[model_type]
    d, ff, n_layer = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    n_head, n_kv = c["num_attention_heads"], c["num_key_value_heads"]
    head_dim = c.get("head_dim") or d // n_head
    n_vocab = c["vocab_size"]

    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(c["max_position_embeddings"])
    w.add_embedding_length(d)
    w.add_block_count(n_layer)
    w.add_feed_forward_length(ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(head_dim)
    w.add_value_length(head_dim)
    w.add_rope_dimension_count(head_dim)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    w.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-6)))
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    if arch == "gemma3":
        w.add_sliding_window(c["sliding_window"])
    add_vocab(w, n_vocab)

    def matrix(name, rows, cols):  # ggml ne = [cols, rows]
        w.add_tensor(name, np.full((rows, cols), 0.01, dtype=np.float16))

    def vector(name, n):
        w.add_tensor(name, np.ones(n, dtype=np.float32))

    matrix("token_embd.weight", n_vocab, d)
    vector("output_norm.weight", d)
    if not c.get("tie_word_embeddings", False):
        matrix("output.weight", n_vocab, d)
    for i in range(n_layer):
        b = f"blk.{i}."
        vector(b + "attn_norm.weight", d)
        matrix(b + "attn_q.weight", n_head * head_dim, d)
        matrix(b + "attn_k.weight", n_kv * head_dim, d)
        matrix(b + "attn_v.weight", n_kv * head_dim, d)
        matrix(b + "attn_output.weight", d, n_head * head_dim)
        if arch == "qwen2":
            vector(b + "attn_q.bias", n_head * head_dim)
            vector(b + "attn_k.bias", n_kv * head_dim)
            vector(b + "attn_v.bias", n_kv * head_dim)
        if arch == "gemma3":
            vector(b + "attn_q_norm.weight", head_dim)
            vector(b + "attn_k_norm.weight", head_dim)
            vector(b + "post_attention_norm.weight", d)
            vector(b + "post_ffw_norm.weight", d)
        vector(b + "ffn_norm.weight", d)
        matrix(b + "ffn_gate.weight", ff, d)
        matrix(b + "ffn_up.weight", ff, d)
        matrix(b + "ffn_down.weight", d, ff)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def quantize(src, dst, ftype):
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = FTYPES[ftype]
    params.nthread = os.cpu_count() or 1
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params)
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize returned {rc}")


BUFFER = re.compile(r"(\w+)\s+(model|KV|compute|output) buffer size =\s+([\d.]+) MiB")


def load(path, n_ctx, n_ubatch, kv, flash):
    """The buffer sizes llama.cpp logs while it loads `path`, in MiB."""
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        llm = llama_cpp.Llama(
            model_path=path,
            n_gpu_layers=0,
            n_ctx=n_ctx,
            n_batch=max(n_ubatch, 2048),
            n_ubatch=n_ubatch,
            type_k=kv,
            type_v=kv,
            flash_attn=flash,
            swa_full=False,
            verbose=True,
        )
        del llm
    sizes = {}
    lines = []
    for line in log.getvalue().splitlines():
        m = BUFFER.search(line)
        if m:
            backend, kind, mib = m.groups()
            sizes.setdefault(kind, {}).setdefault(backend, 0.0)
            sizes[kind][backend] += float(mib)
            lines.append(line.strip())
    return sizes, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--work", default="target/llama-cpp", help="where GGUF files are written")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    started = time.time()
    result = {
        "script": "tests/bench/llama_cpp_cpu.py",
        "date": time.strftime("%Y-%m-%d"),
        "llama_cpp_python": llama_cpp.__version__,
        "gguf": importlib.metadata.version("gguf"),
        "cpu": platform.processor() or platform.machine(),
        "models": [],
    }
    for model_id, ftypes, loads in CASES:
        entry = {"model": model_id, "files": {}, "loads": []}
        result["models"].append(entry)
        paths = {"f16": os.path.join(args.work, f"{model_id}-f16.gguf")}
        if not os.path.exists(paths["f16"]):
            write_gguf(model_id, paths["f16"])
        for ftype in ftypes:
            paths[ftype] = os.path.join(args.work, f"{model_id}-{ftype}.gguf")
            if not os.path.exists(paths[ftype]):
                quantize(paths["f16"], paths[ftype], ftype)
        for ftype, path in paths.items():
            # What llama-quantize wrote: the file and its tensor data. On CPU
            # the mapped buffer can be smaller than the tensor data when
            # tensors at the end of the file move to a CPU_REPACK copy.
            tensors = gguf.GGUFReader(path).tensors
            entry["files"][ftype] = {
                "file_bytes": os.path.getsize(path),
                "tensor_bytes": int(sum(int(t.n_bytes) for t in tensors)),
                "types": dict(Counter(t.tensor_type.name for t in tensors)),
            }
        for ftype, n_ctx, n_ubatch, kv, flash in loads:
            sizes, lines = load(paths[ftype], n_ctx, n_ubatch, kv, flash)
            row = {
                "ftype": ftype,
                "n_ctx": n_ctx,
                "n_ubatch": n_ubatch,
                "kv": KV_NAMES[kv],
                "flash_attn": flash,
                "mib": sizes,
                "log": lines,
            }
            entry["loads"].append(row)
            print(model_id, json.dumps({k: v for k, v in row.items() if k != "log"}), flush=True)
            with open(args.out, "w") as f:
                json.dump(result, f, indent=1)
    result["seconds"] = round(time.time() - started, 1)
    with open(args.out, "w") as f:
        json.dump(result, f, indent=1)


if __name__ == "__main__":
    sys.exit(main())
