#!/usr/bin/env python3
"""The type llama-quantize gives every tensor, per architecture and ftype.

Writes tiny F16 GGUF files of real architectures (catalog configs with the
widths cut to 256-multiples so every K-quant applies, the layer counts kept
realistic so the rules that look at the layer index bite: use_more_bits,
i < n/8, i < n/16, the 80-layer "70B" rule), random weights, F32 where
llama.cpp's converter keeps F32. Quantizes each to every ftype vramfit
offers with llama.cpp's own quantizer (`llama_model_quantize`, which
`llama-quantize` calls) — once without an importance matrix (as
`llama-quantize` runs by default; it refuses the IQ1/IQ2/IQ3_XXS/IQ3_XS/
Q2_K_S mixes: they are recorded as needing one, with the types its
`--dry-run` log shows they would get) and once with a flat one (all ones:
only its presence changes which type a tensor gets) — and reads the type
of every tensor back from the output file with the `gguf` package.

Records per model the config (what vramfit imports), and per run the
tensor types grouped as `{type: [names]}` with the layer numbers of a
repeated tensor folded into ranges (`blk.0-2,5.ffn_down.weight`), plus the
tensor bytes of the file. tests/llama_cpp_quant.rs replays every run
through vramfit. ./bench --llama-cpp reruns this script.

    target/bench-venv/bin/python tests/bench/llama_cpp_quant.py \\
        tests/data/measured/llama_cpp_quant.json --work target/llama-cpp-quant

What each quantization gave is kept in --work as a small JSON beside the
F16 source and reused (delete --work to requantize); the first run takes
about 15 minutes on 2 cores.
"""
import argparse
import ctypes
import importlib.metadata
import json
import os
import re
import sys
import time
from collections import defaultdict

import gguf
import llama_cpp
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_cpp_log import log_callback as _log, take_log  # noqa: E402

# llama-cpp-python's CHANGELOG: 0.3.36 = "update llama.cpp to ggml-org/llama.cpp@0c1e57098",
# which is release b11312. The vendored sdist has no .git, so the library itself reports build 1.
LLAMA_CPP = "b11312 (0c1e57098bba43ac29e6e3b677cdceebdd22334f)"

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "estimate", "catalog")

# Every GgufFtype of src/estimate/format.rs, by vramfit's id.
FTYPES = [
    "f32", "f16", "bf16", "q8_0", "q6_k", "q5_k_m", "q5_k_s", "q5_1", "q5_0", "q4_k_m", "q4_k_s",
    "q4_1", "q4_0", "iq4_xs", "iq4_nl", "q3_k_l", "q3_k_m", "q3_k_s", "iq3_m", "iq3_s", "iq3_xs",
    "iq3_xxs", "q2_k", "q2_k_s", "iq2_m", "iq2_s", "iq2_xs", "iq2_xxs", "iq1_m", "iq1_s", "mxfp4_moe",
]
FLOAT = {"f32", "f16", "bf16"}


def llama_ftype(name):
    if name == "f32":
        return llama_cpp.LLAMA_FTYPE_ALL_F32
    return getattr(llama_cpp, "LLAMA_FTYPE_MOSTLY_" + name.upper())


# (name, catalog config it is cut from, what changes). Widths are multiples
# of 256 (K-quant blocks); layer counts are those of real models.
SMALL = dict(hidden_size=256, vocab_size=1024)
MODELS = [
    # GQA 4, untied (the bug report's case)
    ("llama-gqa4", "llama-3.2-1b", dict(SMALL, intermediate_size=768, num_hidden_layers=16, num_attention_heads=8,
                                        num_key_value_heads=2, head_dim=32, tie_word_embeddings=False)),
    # no GQA, 22 layers (n/8 = 2, n/16 = 1, use_more_bits' uneven tail)
    ("llama-mha", "llama-2-7b", dict(SMALL, intermediate_size=768, num_hidden_layers=22, num_attention_heads=4,
                                     num_key_value_heads=4)),
    # 80 layers with GQA: llama.cpp's LLM_TYPE_70B
    ("llama-80-layers", "llama-3.1-70b", dict(SMALL, intermediate_size=256, num_hidden_layers=80,
                                              num_attention_heads=8, num_key_value_heads=1, head_dim=32,
                                              vocab_size=512)),
    # 80 layers without GQA: LLM_TYPE_65B, no 70B rule
    ("llama-80-layers-mha", "llama-2-70b", dict(SMALL, intermediate_size=256, num_hidden_layers=80,
                                                num_attention_heads=4, num_key_value_heads=4, vocab_size=512)),
    # GQA 2, tied embeddings, attention biases
    ("qwen2-tied", "qwen2.5-0.5b", dict(SMALL, intermediate_size=768, num_hidden_layers=24, num_attention_heads=4,
                                        num_key_value_heads=2, max_window_layers=24)),
    # GQA 4, head_dim wider than hidden/heads, q/k norms
    ("qwen3", "qwen3-8b", dict(SMALL, intermediate_size=512, num_hidden_layers=28, num_attention_heads=4,
                               num_key_value_heads=1, head_dim=128, max_window_layers=28)),
    # 8 experts: llama.cpp's n_expert == 8 rules
    ("qwen3-moe-8", "qwen3-30b-a3b", dict(SMALL, intermediate_size=768, moe_intermediate_size=256,
                                          num_hidden_layers=16, num_attention_heads=8, num_key_value_heads=1,
                                          head_dim=32, num_experts=8, num_experts_per_tok=2,
                                          max_window_layers=16)),
    # 4 experts and a shared expert (ffn_*_shexp), GQA 2
    ("qwen2-moe-4", "qwen2-57b-a14b", dict(SMALL, intermediate_size=768, moe_intermediate_size=256,
                                           shared_expert_intermediate_size=512, num_hidden_layers=24,
                                           num_attention_heads=4, num_key_value_heads=2, num_experts=4,
                                           num_experts_per_tok=2, max_window_layers=24)),
    # Mixtral: llama's architecture with 8 experts
    ("mixtral", "mixtral-8x7b", dict(SMALL, intermediate_size=256, num_hidden_layers=32, num_attention_heads=8,
                                     num_key_value_heads=2)),
    # tied, GQA 4, head_dim 256, sliding window
    ("gemma3", "gemma-3-1b", dict(SMALL, intermediate_size=768, num_hidden_layers=26, num_attention_heads=4,
                                  num_key_value_heads=1, head_dim=256, query_pre_attn_scalar=256)),
    # fused attn_qkv, multi-query, tied, no gate: llama.cpp's LLM_ARCH_FALCON rules
    ("falcon", "falcon-7b", dict(SMALL, num_hidden_layers=32, num_attention_heads=4)),
    # fused attn_qkv and gate+up, no GQA
    ("phi3", "phi-3-mini-4k", dict(SMALL, intermediate_size=768, num_hidden_layers=32, num_attention_heads=4,
                                   num_key_value_heads=4)),
]

GGUF_ARCH = {
    "llama": "llama", "mixtral": "llama", "qwen2": "qwen2", "qwen3": "qwen3", "qwen3_moe": "qwen3moe",
    "qwen2_moe": "qwen2moe", "gemma3_text": "gemma3", "falcon": "falcon", "phi3": "phi3",
}

# Tensors llama.cpp's converter always stores as F32 (conversion/base.py).
F32_ALWAYS = re.compile(r"ffn_gate_inp(_shexp)?\.weight$")


def config_of(catalog_id, changes):
    with open(os.path.join(CATALOG, catalog_id + ".json")) as f:
        c = json.load(f)
    c.update(changes)
    if c["model_type"] == "gemma3_text":
        c["sliding_window"] = 512
    return c


def tensors_of(c):
    """(name, ne) in ggml order, following load_arch_tensors() in the vendored src/models/<arch>.cpp."""
    mt = c["model_type"]
    d, n_layer, vocab = c["hidden_size"], c["num_hidden_layers"], c["vocab_size"]
    n_head = c["num_attention_heads"]
    if mt == "falcon":
        n_kv = 1 if c.get("multi_query") else c.get("num_kv_heads", n_head)
    else:
        n_kv = c["num_key_value_heads"]
    hd = c.get("head_dim") or d // n_head
    ff = c.get("intermediate_size") or 4 * d
    n_exp = c.get("num_experts") or c.get("num_local_experts") or 0
    out = [("token_embd.weight", [d, vocab]), ("output_norm.weight", [d])]
    if mt == "falcon":
        out.append(("output_norm.bias", [d]))
    if not c.get("tie_word_embeddings", False):
        out.append(("output.weight", [d, vocab]))
    for i in range(n_layer):
        b = f"blk.{i}."
        t = [(b + "attn_norm.weight", [d])]
        if mt == "falcon":
            t += [(b + "attn_norm.bias", [d]), (b + "attn_qkv.weight", [d, (n_head + 2 * n_kv) * hd]),
                  (b + "attn_output.weight", [d, d]), (b + "ffn_up.weight", [d, ff]),
                  (b + "ffn_down.weight", [ff, d])]
            out += t
            continue
        if mt == "phi3":
            t.append((b + "attn_qkv.weight", [d, (n_head + 2 * n_kv) * hd]))
        else:
            t += [(b + "attn_q.weight", [d, n_head * hd]), (b + "attn_k.weight", [d, n_kv * hd]),
                  (b + "attn_v.weight", [d, n_kv * hd])]
        if mt in ("qwen2", "qwen2_moe"):
            t += [(b + "attn_q.bias", [n_head * hd]), (b + "attn_k.bias", [n_kv * hd]),
                  (b + "attn_v.bias", [n_kv * hd])]
        if mt in ("qwen3", "qwen3_moe", "gemma3_text"):
            t += [(b + "attn_q_norm.weight", [hd]), (b + "attn_k_norm.weight", [hd])]
        t.append((b + "attn_output.weight", [n_head * hd, d]))
        if mt == "gemma3_text":
            t += [(b + "post_attention_norm.weight", [d]), (b + "post_ffw_norm.weight", [d])]
        t.append((b + "ffn_norm.weight", [d]))
        if n_exp:
            fe = c.get("moe_intermediate_size") or ff
            t += [(b + "ffn_gate_inp.weight", [d, n_exp]), (b + "ffn_gate_exps.weight", [d, fe, n_exp]),
                  (b + "ffn_up_exps.weight", [d, fe, n_exp]), (b + "ffn_down_exps.weight", [fe, d, n_exp])]
            if mt == "qwen2_moe":
                fs = c["shared_expert_intermediate_size"]
                t += [(b + "ffn_gate_inp_shexp.weight", [d]), (b + "ffn_gate_shexp.weight", [d, fs]),
                      (b + "ffn_up_shexp.weight", [d, fs]), (b + "ffn_down_shexp.weight", [fs, d])]
        elif mt == "phi3":
            t += [(b + "ffn_up.weight", [d, 2 * ff]), (b + "ffn_down.weight", [ff, d])]
        else:
            t += [(b + "ffn_gate.weight", [d, ff]), (b + "ffn_up.weight", [d, ff]), (b + "ffn_down.weight", [ff, d])]
        out += t
    return out


def is_f32(name, ne):
    return len(ne) == 1 or name.endswith("_norm.weight") or not name.endswith(".weight") or F32_ALWAYS.search(name)


def write_gguf(c, path, seed):
    """An F16 GGUF of config `c`: the keys load_arch_hparams() reads, random weights."""
    mt = c["model_type"]
    arch = GGUF_ARCH[mt]
    d, n_head = c["hidden_size"], c["num_attention_heads"]
    n_kv = (1 if c.get("multi_query") else n_head) if mt == "falcon" else c["num_key_value_heads"]
    hd = c.get("head_dim") or d // n_head
    n_exp = c.get("num_experts") or c.get("num_local_experts") or 0
    w = gguf.GGUFWriter(path, arch)
    w.add_context_length(min(c.get("max_position_embeddings", 4096), 32768))
    w.add_embedding_length(d)
    w.add_block_count(c["num_hidden_layers"])
    w.add_feed_forward_length(c.get("intermediate_size") or 4 * d)
    w.add_head_count(n_head)
    w.add_head_count_kv(n_kv)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_rope_dimension_count(hd)
    w.add_rope_freq_base(float(c.get("rope_theta", 10000.0)))
    if mt == "falcon":
        w.add_layer_norm_eps(float(c.get("layer_norm_epsilon", 1e-5)))
    else:
        w.add_layer_norm_rms_eps(float(c.get("rms_norm_eps", 1e-6)))
    if n_exp:
        w.add_expert_count(n_exp)
        w.add_expert_used_count(c["num_experts_per_tok"])
        if c.get("moe_intermediate_size"):
            w.add_expert_feed_forward_length(c["moe_intermediate_size"])
        if c.get("shared_expert_intermediate_size"):
            w.add_expert_shared_feed_forward_length(c["shared_expert_intermediate_size"])
    if mt == "gemma3_text":
        w.add_sliding_window(c["sliding_window"])
    w.add_vocab_size(c["vocab_size"])
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    rng = np.random.default_rng(seed)
    for name, ne in tensors_of(c):
        shape = list(reversed(ne))  # numpy order: ne0 last
        if is_f32(name, ne):
            w.add_tensor(name, np.ones(shape, dtype=np.float32))
        else:
            w.add_tensor(name, (rng.standard_normal(shape, dtype=np.float32) * 0.02).astype(np.float16))
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


def flat_imatrix(c):
    """A flat importance matrix for every matmul weight (token_embd is a lookup, not in imatrix files)."""
    entries = []
    for name, ne in tensors_of(c):
        if len(ne) >= 2 and not is_f32(name, ne) and name != "token_embd.weight":
            n = ne[0] * (ne[2] if len(ne) > 2 else 1)
            entries.append((name, np.ones(n, dtype=np.float32)))
    arr = (llama_cpp.llama_model_imatrix_data * (len(entries) + 1))()
    for i, (name, data) in enumerate(entries):
        arr[i].name = name.encode()
        arr[i].data = data.ctypes.data_as(ctypes.POINTER(ctypes.c_float))
        arr[i].size = data.size
    arr[len(entries)].name = None
    return arr, entries  # keep the arrays alive with the struct


def quantize(src, dst, ftype, imatrix):
    """llama-quantize's result: the tensors' types and bytes, or the error it logged (and the
    types of a dry run). Kept in dst + ".json"; the quantized file itself is deleted."""
    if os.path.exists(dst + ".json"):
        with open(dst + ".json") as fh:
            return json.load(fh)
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_ftype(ftype)
    params.nthread = os.cpu_count() or 1
    if imatrix is not None:
        params.imatrix = ctypes.cast(imatrix[0], ctypes.POINTER(llama_cpp.llama_model_imatrix_data))
    take_log()
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), params)
    log = take_log()
    if rc != 0:
        errors = [ln.strip() for lv, ln in log if lv == "ERROR" and ln.strip("= ")]
        why = [e for e in errors if "offending tensor" in e or "target type" in e] or errors[-1:]
        got = {"error": "; ".join(e.lstrip("- ") for e in why) or f"llama_model_quantize returned {rc}"}
        if imatrix is None:
            got["dry_run"] = dry_run(src, ftype)
    else:
        reader = gguf.GGUFReader(dst)
        got = {
            "types": {t.name: t.tensor_type.name for t in reader.tensors},
            "tensor_bytes": int(sum(int(t.n_bytes) for t in reader.tensors)),
        }
        del reader
    if os.path.exists(dst):
        os.remove(dst)
    with open(dst + ".json", "w") as fh:
        json.dump(got, fh)
    return got


# "[  12/ 147]   blk.0.attn_k.weight - [  256,    64,     1,     1], type =    f16, size = … MiB -> … MiB (iq2_s)"
DRY_RUN = re.compile(r"^\[\s*\d+/\s*\d+\]\s+(\S+)\s+- \[.*\], type =\s*(\w+), size = .*?(?:\((\w+)\))?$")


def dry_run(src, ftype):
    """The types `llama-quantize --dry-run` picks without an importance matrix (what it would
    make if it did not refuse), read from its log: tensor name -> type."""
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = llama_ftype(ftype)
    params.dry_run = True
    take_log()
    if llama_cpp.llama_model_quantize(src.encode(), b"", params) != 0:
        raise RuntimeError(f"{src} {ftype}: --dry-run failed")
    types = {}
    for _, line in take_log():
        m = DRY_RUN.match(line.strip())
        if m:
            name, old, new = m.groups()
            types[name] = (new or old).upper()
    return types


LAYER = re.compile(r"^blk\.(\d+)\.(.*)$")


def ranges(numbers):
    """[0, 1, 2, 5, 7, 8] -> "0-2,5,7-8"."""
    out, start = [], None
    for i, n in enumerate(numbers):
        if start is None:
            start = n
        if i + 1 == len(numbers) or numbers[i + 1] != n + 1:
            out.append(str(start) if start == n else f"{start}-{n}")
            start = None
    return ",".join(out)


def grouped(types):
    """{name: type} -> {type: [names]}, blk.N. tensors folded into blk.<ranges>.<name>."""
    by_type = defaultdict(lambda: defaultdict(list))
    for name, ty in types.items():
        m = LAYER.match(name)
        if m:
            by_type[ty][m.group(2)].append(int(m.group(1)))
        else:
            by_type[ty][name] = None
    out = {}
    for ty in sorted(by_type):
        names = []
        for rest, layers in sorted(by_type[ty].items()):
            names.append(rest if layers is None else f"blk.{ranges(sorted(layers))}.{rest}")
        out[ty] = names
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--work", default="target/llama-cpp-quant", help="where GGUF files are written")
    parser.add_argument("--only", nargs="*", help="model names to measure (default: all)")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    llama_cpp.llama_log_set(_log, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    started = time.time()
    result = {
        "source": f"llama-cpp-python {llama_cpp.__version__} (llama.cpp {LLAMA_CPP}), "
        f"gguf {importlib.metadata.version('gguf')}, llama_model_quantize on the CPU",
        "script": "tests/bench/llama_cpp_quant.py",
        "imatrix": "runs: each ftype without an importance matrix (llama-quantize's default); "
        "needs_imatrix: the ftypes llama.cpp refuses to make without one, and the first tensor it "
        "refused; dry_runs: for those, the types --dry-run's log shows without one; imatrix_runs: "
        "with a flat importance matrix for every matmul weight, where that changes a type or the "
        "ftype needs one; imatrix_same: the ftypes where it changes nothing.",
        "models": [],
    }
    for seed, (name, catalog_id, changes) in enumerate(MODELS):
        if args.only and name not in args.only:
            continue
        c = config_of(catalog_id, changes)
        src = os.path.join(args.work, f"{name}-source-f16.gguf")
        if not os.path.exists(src):
            write_gguf(c, src + ".part", seed)
            os.replace(src + ".part", src)
        tensors = tensors_of(c)
        entry = {
            "name": name,
            "from": catalog_id,
            "config": c,
            "n_tensors": len(tensors),
            "runs": {},
            "needs_imatrix": {},
            "dry_runs": {},
            "imatrix_runs": {},
            "imatrix_same": [],
        }
        imatrix = flat_imatrix(c)
        for ftype in FTYPES:
            for with_imatrix in (False, True):
                if with_imatrix and ftype in FLOAT:
                    continue
                dst = os.path.join(args.work, f"{name}-{ftype}{'-imatrix' if with_imatrix else ''}.gguf")
                t0 = time.time()
                got = quantize(src, dst, ftype, imatrix if with_imatrix else None)
                if "error" in got:
                    if with_imatrix:
                        raise RuntimeError(f"{name} {ftype} with an imatrix: {got['error']}")
                    entry["needs_imatrix"][ftype] = got["error"]
                    entry["dry_runs"][ftype] = {"types": grouped(got["dry_run"])}
                    print(f"{name:16s} {ftype:9s} needs an imatrix: {got['error']}", flush=True)
                    continue
                if sorted(got["types"]) != sorted(n for n, _ in tensors):
                    raise RuntimeError(f"{name} {ftype}: the file's tensors are not the ones written")
                run = {"tensor_bytes": got["tensor_bytes"], "types": grouped(got["types"])}
                if not with_imatrix:
                    entry["runs"][ftype] = run
                elif entry["runs"].get(ftype) == run:
                    entry["imatrix_same"].append(ftype)
                else:
                    entry["imatrix_runs"][ftype] = run
                print(f"{name:16s} {ftype:9s} imatrix={int(with_imatrix)} {got['tensor_bytes']:10d} bytes "
                      f"{time.time() - t0:5.1f} s", flush=True)
        result["models"].append(entry)
    print(f"{time.time() - started:.0f} s", file=sys.stderr)
    with open(args.out, "w") as fh:
        fh.write(dump(result))


def dump(result):
    """JSON with one line per run, so a rerun's diff shows which mixes moved."""
    lines = {}
    for m in result["models"]:
        for key in ("runs", "dry_runs", "imatrix_runs"):
            for ftype, run in m[key].items():
                lines[f"@{len(lines)}@"] = json.dumps(run)
                m[key][ftype] = f"@{len(lines) - 1}@"
    text = json.dumps(result, indent=1)
    for mark, line in lines.items():
        text = text.replace(json.dumps(mark), line, 1)
    return text + "\n"


if __name__ == "__main__":
    sys.exit(main())
