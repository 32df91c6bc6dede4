#!/usr/bin/env python3
"""Peak CUDA memory of transformers generate(), measured for docs/BENCHMARKS.md.

Builds catalog models from their config.json with random bf16 weights on one
GPU, runs generate() at several batch x context points and records what
PyTorch's caching allocator saw: the weights, the KV cache generate() hands
back, the peak while it ran, and the memory CUDA itself takes outside the
allocator. `cargo bench --bench accuracy` compares these numbers with
vramfit's transformers estimate; ./bench --gpu reruns this script.

    python3 tests/bench/transformers_gpu.py OUT.json [--budget SECONDS] [--quick]

Each case is written as soon as it is measured, so a run cut short keeps what
it finished. Needs torch with CUDA and transformers; no network (weights are
random, configs come from src/estimate/catalog).
"""
import argparse
import gc
import json
import os
import platform
import sys
import time
import traceback

import torch
import transformers
from transformers import AutoConfig, AutoModelForCausalLM

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "estimate", "catalog")

# Prompt + generated tokens = the context of a case; generated tokens are few
# so the prefill (where the peak is) covers nearly the whole context.
NEW_TOKENS = 8

# (catalog id, attention implementation or None for transformers' default,
#  [(batch, context), ...]) in priority order: a run out of time stops early.
CASES = [
    ("llama-3.2-1b", None, [(1, 2048), (1, 16384), (8, 4096), (32, 1024)]),
    ("llama-3.2-1b", "eager", [(1, 2048), (2, 4096)]),
    ("llama-3.1-8b", None, [(1, 8192), (4, 8192), (1, 32768)]),
    ("qwen2.5-7b", None, [(1, 8192), (8, 4096)]),
    ("mistral-7b-v0.1", None, [(1, 8192), (1, 32768)]),
    ("gemma-2-9b", None, [(1, 8192), (2, 4096), (1, 16384)]),
    ("gemma-3-1b", None, [(1, 8192), (4, 4096), (1, 32768)]),
    ("phi-3-mini-4k", None, [(1, 4096), (4, 4096)]),
    ("qwen3-30b-a3b", None, [(1, 4096), (4, 2048)]),
    ("deepseek-v2-lite", None, [(1, 4096)]),
    ("gpt-oss-20b", None, [(1, 4096), (1, 8192)]),
    ("deepseek-v2-lite", None, [(4, 4096)]),
    ("qwen3-8b", None, [(2, 8192)]),
    ("llama-3.1-8b", "eager", [(1, 4096)]),
    ("qwen2.5-7b", "eager", [(1, 8192)]),
    ("mixtral-8x7b", None, [(1, 4096), (4, 4096)]),
]
QUICK = [("llama-3.2-1b", None, [(1, 2048)])]

# Where a prefill's peak sits: the memory each block of one decoder layer
# (attention, MLP or MoE, norms) allocates beyond what it was handed, at
# batch 1 and this many tokens.
PROFILE_TOKENS = 4096
PROFILE = [
    "llama-3.1-8b",
    "qwen2.5-7b",
    "gemma-2-9b",
    "phi-3-mini-4k",
    "qwen3-30b-a3b",
    "deepseek-v2-lite",
    "gpt-oss-20b",
    "mixtral-8x7b",
]


def mib(n):
    return round(n / 2**20, 1)


def tensor_bytes(obj, seen, depth=0):
    """Bytes of the distinct CUDA storages reachable from a cache object."""
    if depth > 6 or obj is None:
        return 0
    if isinstance(obj, torch.Tensor):
        if obj.device.type != "cuda":
            return 0
        storage = obj.untyped_storage()
        if storage.data_ptr() in seen:
            return 0
        seen.add(storage.data_ptr())
        return storage.nbytes()
    if isinstance(obj, (list, tuple)):
        return sum(tensor_bytes(o, seen, depth + 1) for o in obj)
    if isinstance(obj, dict):
        return sum(tensor_bytes(o, seen, depth + 1) for o in obj.values())
    if isinstance(obj, (torch.nn.Module, str, int, float, bool)):
        return 0
    if hasattr(obj, "__dict__"):
        return sum(tensor_bytes(o, seen, depth + 1) for o in vars(obj).values())
    return 0


def load_config(model_id):
    with open(os.path.join(CATALOG, model_id + ".json")) as f:
        raw = json.load(f)
    # Random bf16 weights: no quantized checkpoint to read.
    raw.pop("quantization_config", None)
    raw.pop("torch_dtype", None)
    raw.pop("dtype", None)
    model_type = raw.pop("model_type")
    return AutoConfig.for_model(model_type, **raw)


def build(model_id, attn):
    config = load_config(model_id)
    kwargs = {}
    major = int(transformers.__version__.split(".")[0])
    kwargs["dtype" if major >= 5 else "torch_dtype"] = torch.bfloat16
    if attn:
        kwargs["attn_implementation"] = attn
    with torch.device("cuda"):
        model = AutoModelForCausalLM.from_config(config, **kwargs)
    model.eval()
    return model


def clear():
    gc.collect()
    torch.cuda.synchronize()
    torch.cuda.empty_cache()


def measure(model, batch, context, vocab):
    clear()
    base = torch.cuda.memory_allocated()
    prompt = context - NEW_TOKENS
    gen = torch.Generator(device="cuda").manual_seed(0)
    ids = torch.randint(10, vocab - 10, (batch, prompt), device="cuda", generator=gen)
    mask = torch.ones_like(ids)
    torch.cuda.reset_peak_memory_stats()
    start = time.time()
    with torch.inference_mode():
        out = model.generate(
            input_ids=ids,
            attention_mask=mask,
            max_new_tokens=NEW_TOKENS,
            min_new_tokens=NEW_TOKENS,
            do_sample=False,
            return_dict_in_generate=True,
            pad_token_id=0,
        )
    torch.cuda.synchronize()
    seconds = time.time() - start
    cache = out.past_key_values
    free, total = torch.cuda.mem_get_info()
    row = {
        "batch": batch,
        "context": context,
        "cached_tokens": int(cache.get_seq_length()) if hasattr(cache, "get_seq_length") else None,
        "cache_class": type(cache).__name__,
        "kv_bytes": tensor_bytes(cache, set()),
        "held_after_bytes": torch.cuda.memory_allocated() - base,
        "peak_bytes": torch.cuda.max_memory_allocated() - base,
        "peak_reserved_bytes": torch.cuda.max_memory_reserved(),
        "outside_allocator_bytes": (total - free) - torch.cuda.memory_reserved(),
        "seconds": round(seconds, 2),
    }
    del out, cache, ids, mask
    return row


def last_layer(model):
    for module in model.modules():
        if isinstance(module, torch.nn.ModuleList) and len(module) > 1:
            return len(module) - 1, module[-1]
    raise ValueError("no decoder layer list")


def profile(model, vocab, target, prefix):
    """Transient peak of each child block of `target` (part of the last
    decoder layer) during a prefill of PROFILE_TOKENS tokens, and the memory
    held when it starts. Hooks do not nest, so one level per prefill."""
    blocks = {}
    handles = []

    def pre(name):
        def hook(_module, _args, _kwargs=None):
            torch.cuda.synchronize()
            blocks.setdefault(name, {})["held_bytes"] = torch.cuda.memory_allocated() - base
            torch.cuda.reset_peak_memory_stats()
            blocks[name]["start"] = torch.cuda.memory_allocated()
        return hook

    def post(name):
        def hook(_module, _args, _out):
            torch.cuda.synchronize()
            entry = blocks[name]
            entry["transient_bytes"] = torch.cuda.max_memory_allocated() - entry.pop("start")
        return hook

    for name, child in target.named_children():
        handles.append(child.register_forward_pre_hook(pre(prefix + name)))
        handles.append(child.register_forward_hook(post(prefix + name)))
    clear()
    base = torch.cuda.memory_allocated()
    ids = torch.randint(10, vocab - 10, (1, PROFILE_TOKENS), device="cuda")
    try:
        with torch.inference_mode():
            model(input_ids=ids, use_cache=True, logits_to_keep=1)
    finally:
        for h in handles:
            h.remove()
    return blocks


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--budget", type=float, default=360.0, help="seconds before no new case starts")
    parser.add_argument("--quick", action="store_true", help="one small case, to check the setup")
    parser.add_argument("--only", help="comma-separated catalog ids to run")
    parser.add_argument("--profile", action="store_true", help="also profile one layer's blocks")
    args = parser.parse_args()
    started = time.time()

    torch.cuda.init()
    torch.zeros(1, device="cuda")
    free, total = torch.cuda.mem_get_info()
    context = total - free - torch.cuda.memory_reserved()
    # The first bf16 matmul makes cuBLAS's workspace, which PyTorch takes
    # from its allocator and keeps: warm up so no run is charged for it.
    before = torch.cuda.memory_allocated()
    a = torch.ones(64, 64, device="cuda", dtype=torch.bfloat16)
    (a @ a).sum().item()
    del a
    clear()
    cublas_workspace = torch.cuda.memory_allocated() - before
    result = {
        "script": "tests/bench/transformers_gpu.py",
        "date": time.strftime("%Y-%m-%d"),
        "gpu": torch.cuda.get_device_name(0),
        "gpu_total_bytes": total,
        "cuda_context_bytes": context,
        "cublas_workspace_bytes": cublas_workspace,
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "transformers": transformers.__version__,
        "python": platform.python_version(),
        "new_tokens": NEW_TOKENS,
        "models": [],
    }

    def save():
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)

    save()
    only = set(args.only.split(",")) if args.only else None
    for model_id, attn, points in QUICK if args.quick else CASES:
        if only and model_id not in only:
            continue
        if time.time() - started > args.budget:
            result["models"].append({"model": model_id, "attn": attn, "skipped": "out of time"})
            continue
        entry = {"model": model_id, "attn_requested": attn, "points": []}
        result["models"].append(entry)
        model = None
        try:
            clear()
            before = torch.cuda.memory_allocated()
            t = time.time()
            model = build(model_id, attn)
            clear()
            entry["build_seconds"] = round(time.time() - t, 1)
            entry["weights_bytes"] = torch.cuda.memory_allocated() - before
            entry["params"] = sum(p.numel() for p in model.parameters())
            entry["buffers_bytes"] = sum(b.numel() * b.element_size() for b in model.buffers())
            entry["attn"] = getattr(model.config, "_attn_implementation", None)
            vocab = model.config.get_text_config().vocab_size
            for batch, context in points:
                if time.time() - started > args.budget:
                    entry["points"].append({"batch": batch, "context": context, "skipped": "out of time"})
                    continue
                try:
                    row = measure(model, batch, context, vocab)
                except Exception as e:  # an OOM or an unsupported path is a result too
                    row = {"batch": batch, "context": context, "error": f"{type(e).__name__}: {e}"[:300]}
                entry["points"].append(row)
                print(model_id, attn, json.dumps(row), flush=True)
                save()
            if args.profile and model_id in PROFILE and attn is None:
                try:
                    index, layer = last_layer(model)
                    blocks = profile(model, vocab, layer, "")
                    if hasattr(layer, "mlp"):
                        blocks.update(profile(model, vocab, layer.mlp, "mlp."))
                    entry["profile"] = {"tokens": PROFILE_TOKENS, "layer": index, "blocks": blocks}
                except Exception as e:
                    entry["profile"] = {"error": f"{type(e).__name__}: {e}"[:300]}
                print(model_id, "profile", json.dumps(entry["profile"]), flush=True)
        except Exception as e:
            entry["error"] = f"{type(e).__name__}: {e}"[:300]
            traceback.print_exc()
        del model
        clear()
        save()
    result["seconds"] = round(time.time() - started, 1)
    save()
    print(json.dumps({k: v for k, v in result.items() if k != "models"}))


if __name__ == "__main__":
    sys.exit(main())
