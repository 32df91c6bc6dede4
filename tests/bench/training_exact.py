#!/usr/bin/env python3
"""Exact bytes of fine-tuning memory, from the real libraries: ground truth for
vramfit's training (fine-tuning) formulas.

Two parts, both written to the JSON given as argv[1]:

* "states": model states of full-size catalog models (src/estimate/catalog/<id>.json)
  built with `AutoModelForCausalLM.from_config` on the meta device. Methods:
  full fine-tuning with float32 params (AMP master weights) and with bfloat16
  params (pure bf16); LoRA through peft (r=8/alpha=16 on q_proj,v_proj; r=16
  and r=64 on "all-linear") on a bfloat16 base; QLoRA (bitsandbytes NF4,
  double quant, bf16 compute, r=16 all-linear), once as loaded and once after
  peft's prepare_model_for_kbit_training (which casts every non-4-bit param to
  float32). phi-3 has no q_proj/v_proj (fused qkv_proj): its q,v row records
  peft's error and an extra row targets qkv_proj. Per row: trainable/frozen parameter counts, param bytes by dtype,
  gradient bytes, and optimizer-state bytes of each optimizer, read from
  `optimizer.state` after one real `optimizer.step()` on the meta device
  (every optimizer here, bitsandbytes' included, steps on meta tensors), with
  shared tensors (bnb's quantile maps) counted once and the per-parameter
  "step" counters kept apart. Each optimizer's bytes are also predicted from a
  per-tensor rule (see "rules") and `rule_ok` says whether they agree.
  The 4-bit weights of the QLoRA rows cannot be quantized on meta: their bytes
  come from bitsandbytes' storage rule, which `rules.nf4_check` verifies by
  quantizing real tensors (some of full-model shape) on the CPU with
  bitsandbytes and by loading a tiny model in 4 bits (part B).
* "small": tiny models with random weights on the CPU, built from shrunk
  catalog configs (the config each ran is inline as `config`, cfg.to_dict()).
  Per setup (full fine-tuning in float32 / bfloat16, LoRA r=8 q,v on a float32
  / bfloat16 base, and for llama QLoRA r=16 all-linear on a model really loaded
  in 4 bits) one forward+backward and one real step of each optimizer:
  state bytes from optimizer.state (and the same on the meta device, which
  must agree: `meta_step_equal`). Then activations: the tensors autograd saves
  for backward during one training forward with labels (so the loss path is
  included), caught with torch.autograd.graph.saved_tensors_hooks, counted once
  per storage (untyped_storage().data_ptr(), bytes = storage nbytes) among
  those still alive after the forward, leaving out parameters, buffers and
  bnb quant-state tensors (and views of them). Each is attributed to the innermost module running when it was saved
  (global module forward pre/post hooks); code outside any submodule (the loss)
  falls to the top-level *ForCausalLM class. Per combination of attention
  implementation (eager / sdpa), gradient checkpointing (off / on,
  use_reentrant=False), micro-batch B in {1, 2} and sequence L in {64, 256}.

    target/bench-venv-tf/bin/python tests/bench/training_exact.py \
        tests/data/measured/training_exact.json [--only llama,gemma3_text] [--no-states] [--no-small]

Needs torch, transformers, peft, bitsandbytes (CPU backend) and accelerate; no
network, no GPU. About 2 minutes on one CPU core. Output is deterministic
(seeded; no timings or pointers stored).
"""
import argparse
import gc
import json
import math
import os
import platform
import re
import shutil
import sys
import tempfile
import time
import traceback
import warnings
import weakref

import torch

torch.set_num_threads(1)  # tiny ops: one thread avoids OpenMP spin-waits when the cores are shared

import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForCausalLM, BitsAndBytesConfig  # noqa: E402
from transformers.optimization import Adafactor  # noqa: E402

import bitsandbytes as bnb  # noqa: E402
import bitsandbytes.functional as bnbF  # noqa: E402

from transformers_arch import clean, config_dict, write_json  # noqa: E402  (this folder)
import peft  # noqa: E402
from peft import LoraConfig, get_peft_model, prepare_model_for_kbit_training  # noqa: E402

transformers.logging.set_verbosity_error()
warnings.filterwarnings("ignore")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CATALOG = os.path.join(REPO, "src", "estimate", "catalog")

STATE_MODELS = ["llama-3.1-8b", "qwen2.5-7b", "qwen3-30b-a3b", "gemma-3-1b", "mistral-7b-v0.1", "phi-3-mini-4k"]

LR = 1e-5
BNB_BLOCK_8BIT = 256      # bnb Optimizer2State/Optimizer1State.init_state: blocksize = 256
BNB_MIN_8BIT = 4096       # min_8bit_size default: params with numel < 4096 keep float32 states
NF4_BLOCK = 64            # Params4bit / quantize_4bit default blocksize (CUDA/CPU; ROCm uses 128)
NF4_NESTED_BLOCK = 256    # quantize_blockwise(absmax - offset, blocksize=256) for double quant

LORA_CASES = [
    ("lora-r8-qv", dict(r=8, lora_alpha=16, target_modules=["q_proj", "v_proj"])),
    ("lora-r16-all", dict(r=16, lora_alpha=32, target_modules="all-linear")),
    ("lora-r64-all", dict(r=64, lora_alpha=128, target_modules="all-linear")),
]
QLORA_LORA = dict(r=16, lora_alpha=32, target_modules="all-linear")
# Models whose attention fuses q/k/v (phi3: qkv_proj, and gate/up: gate_up_proj) have no q_proj/v_proj for the
# r=8 q,v case to match (peft raises); this extra row targets the fused projection instead.
EXTRA_LORA = {"phi-3-mini-4k": [("lora-r8-qkv", dict(r=8, lora_alpha=16, target_modules=["qkv_proj"]))]}


def qlora_config():
    return BitsAndBytesConfig(load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_use_double_quant=True,
                              bnb_4bit_compute_dtype=torch.bfloat16)


# ------------------------------------------------------------------ optimizers
OPTIMIZERS = {
    "adamw": ("torch.optim.AdamW(lr, betas=(0.9, 0.999), weight_decay=0.01): exp_avg + exp_avg_sq zeros_like(param) "
              "(param dtype); 'step' a float32 0-d tensor per param (CPU; on CUDA with fused/capturable it sits on "
              "the GPU). foreach/fused change temporaries only, not the state.",
              lambda ps: torch.optim.AdamW(ps, lr=LR)),
    "adamw_8bit": ("bitsandbytes.optim.AdamW8bit (HF optim 'adamw_bnb_8bit'): block-wise 8-bit state1/state2 "
                   "(uint8, numel) + absmax1/absmax2 float32 per 256-value block; params with numel < 4096 get "
                   "float32 state1/state2; qmap1/qmap2 (256 float32 each) are shared by all params; 'step' a python int.",
                   lambda ps: bnb.optim.AdamW8bit(ps, lr=LR)),
    "paged_adamw": ("bitsandbytes.optim.PagedAdamW (32-bit; HF 'paged_adamw_32bit'): float32 state1/state2 whatever "
                    "the param dtype; on CUDA tensors of >= 1e5 elements are paged (F.get_paged: managed memory of "
                    "prod(shape) * itemsize bytes, evictable to host), on CPU ordinary tensors; on meta get_paged "
                    "needs CUDA, so the meta step makes the same-sized buffers as ordinary meta tensors.",
                    lambda ps: bnb.optim.PagedAdamW(ps, lr=LR)),
    "paged_adamw_8bit": ("bitsandbytes.optim.PagedAdamW8bit: as adamw_8bit, paged on CUDA.",
                         lambda ps: bnb.optim.PagedAdamW8bit(ps, lr=LR)),
    "adafactor": ("transformers.optimization.Adafactor as HF Trainer makes it (scale_parameter=False, "
                  "relative_step=False, warmup_init=False, beta1=None): params with >= 2 dims keep float32 "
                  "exp_avg_sq_row (shape[:-1]) and exp_avg_sq_col (shape[:-2]+shape[-1:]), others a float32 "
                  "exp_avg_sq of the param's shape; 'RMS' a float32 0-d tensor per param; no exp_avg (beta1 None); "
                  "'step' a python int.",
                  lambda ps: Adafactor(ps, lr=LR, scale_parameter=False, relative_step=False, warmup_init=False)),
    "sgd": ("torch.optim.SGD(momentum=0): no state.", lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.0)),
    "sgd_momentum": ("torch.optim.SGD(momentum=0.9): one momentum_buffer per param (clone of the grad: param dtype).",
                     lambda ps: torch.optim.SGD(ps, lr=LR, momentum=0.9)),
    "lion": ("bitsandbytes.optim.Lion (32-bit): one float32 state1 per param whatever the param dtype.",
             lambda ps: bnb.optim.Lion(ps, lr=LR)),
    "lion_8bit": ("bitsandbytes.optim.Lion8bit: uint8 state1 + float32 absmax1 per 256-value block (numel < 4096: "
                  "float32 state1); one shared qmap1 (256 float32).",
                  lambda ps: bnb.optim.Lion8bit(ps, lr=LR)),
}


def esize(dt):
    return torch.empty((), dtype=dt).element_size()


def blocks(n, b):
    return n // b + bool(n % b)


def rule_bytes(name, params):
    """Predicted state bytes (excluding 'step' counters) from per-tensor rules."""
    total = 0
    eight = False
    for p in params:
        n = p.numel()
        es = esize(p.dtype)
        if name == "adamw":
            total += 2 * n * es
        elif name in ("adamw_8bit", "paged_adamw_8bit"):
            if n < BNB_MIN_8BIT:
                total += 8 * n
            else:
                total += 2 * n + 2 * 4 * blocks(n, BNB_BLOCK_8BIT)
                eight = True
        elif name == "paged_adamw":
            total += 8 * n
        elif name == "adafactor":
            s = list(p.shape)
            if len(s) >= 2:
                total += 4 * (math.prod(s[:-1]) + math.prod(s[:-2]) * s[-1])
            else:
                total += 4 * n
            total += 4  # RMS
        elif name == "sgd":
            pass
        elif name == "sgd_momentum":
            total += n * es
        elif name == "lion":
            total += 4 * n
        elif name == "lion_8bit":
            if n < BNB_MIN_8BIT:
                total += 4 * n
            else:
                total += n + 4 * blocks(n, BNB_BLOCK_8BIT)
                eight = True
    if eight:
        total += (2 if name in ("adamw_8bit", "paged_adamw_8bit") else 1) * 256 * 4  # shared qmaps
    return total


def rule_step_bytes(name, params):
    return 4 * len(params) if name == "adamw" else 0


def dn(dt):
    return str(dt).replace("torch.", "")


def tensor_key(t):
    if t.device.type == "meta":
        return ("meta", id(t))
    return (t.device.type, t.untyped_storage().data_ptr())


def read_state(opt):
    """State bytes of an optimizer after a step: shared tensors once, 'step' apart."""
    seen = set()
    total = 0
    step = 0
    by_key = {}
    step_kind = None
    for st in opt.state.values():
        for k, v in st.items():
            if not torch.is_tensor(v):
                if k == "step":
                    step_kind = type(v).__name__
                continue
            key = tensor_key(v)
            if key in seen:
                continue
            seen.add(key)
            if k == "step":
                step += v.nbytes
                step_kind = f"tensor {dn(v.dtype)}"
                continue
            total += v.nbytes
            label = f"{k}|{dn(v.dtype)}"
            by_key[label] = by_key.get(label, 0) + v.nbytes
    return {"bytes": total, "step_bytes": step, "by_key": by_key, "step_kind": step_kind or "none"}


def run_optimizers(params, meta, names=None):
    """One step of each optimizer; grads must already be set on params. Returns {name: {...}}."""
    out = {}
    for name, (_, make) in OPTIMIZERS.items():
        if names and name not in names:
            continue
        saved = None if meta else [p.detach().clone() for p in params]
        try:
            opt = make(params)
            if meta and getattr(opt, "is_paged", False):
                # bnb's paged buffers (F.get_paged: cudaMallocManaged of prod(shape) * itemsize bytes) need CUDA;
                # on meta make the same-sized buffers as ordinary tensors (get_state_buffer's non-paged branch).
                opt.get_state_buffer = lambda p, dtype=torch.float32: torch.zeros_like(p, dtype=dtype, device=p.device)
            opt.step()
            r = read_state(opt)
            r["rule_bytes"] = rule_bytes(name, params)
            r["rule_step_bytes"] = rule_step_bytes(name, params)
            r["rule_ok"] = r["rule_bytes"] == r["bytes"] and r["rule_step_bytes"] == r["step_bytes"]
            out[name] = r
            del opt
        except Exception as e:
            out[name] = {"error": short(e)}
        if saved is not None:
            with torch.no_grad():
                for p, s in zip(params, saved):
                    p.copy_(s)
    return out


# ------------------------------------------------------------------ helpers
def short(e):
    msg = f"{type(e).__name__}: {e}".replace("\n", " ")
    # Python sets print in hash order: sort "{'b', 'a'}" so reruns write the same text.
    msg = re.sub(r"\{('[^{}']*'(?:, '[^{}']*')*)\}",
                 lambda m: "{" + ", ".join(sorted(m.group(1).split(", "))) + "}", msg)
    return msg[:300]


def catalog_fields(mid):
    with open(os.path.join(CATALOG, f"{mid}.json")) as f:
        return json.load(f)


def make_config(fields, **kw):
    d = dict(json.loads(json.dumps(fields)))
    d.pop("torch_dtype", None)
    mt = d.pop("model_type")
    return AutoConfig.for_model(mt, **d, **kw)


IDX_RE = re.compile(r"\.\d+(?=\.|$)")


def collapse(name):
    name = name.removeprefix("base_model.model.")
    return IDX_RE.sub(".*", name)


def is_4bit(p):
    return type(p).__name__ == "Params4bit"


def logical_numel(p):
    qs = getattr(p, "quant_state", None)
    if is_4bit(p) and qs is not None:
        return math.prod(qs.shape)
    return p.numel()


def nf4_rule(n):
    """bitsandbytes 4-bit storage of a weight of n elements (uint8 quant storage, double quant)."""
    nblocks = blocks(n, NF4_BLOCK)
    return {
        "packed_uint8": (n + 1) // 2,                       # two 4-bit codes per byte, shape ((n+1)//2, 1)
        "absmax_uint8": nblocks,                            # per-64 absmax, itself 8-bit quantized
        "absmax2_float32": 4 * blocks(nblocks, NF4_NESTED_BLOCK),  # float32 absmax per 256 absmax values
        "offset_float32": 4,                                # mean of the absmax (0-d float32)
        "code_float32": 16 * 4,                             # the NF4 code (16 float32), a new tensor per weight
        "code2_float32": 256 * 4,                           # state2.code: a copy of the 256-value 'dynamic' map
    }                                                       # (quantize_blockwise: code.to(device, copy=True))


def add(d, k, v):
    d[k] = d.get(k, 0) + v


def param_summary(model, quant=False):
    """Counts and bytes of trainable / frozen params (tied params once; 4-bit weights by the NF4 rule)."""
    r = {"trainable_params": 0, "frozen_params": 0, "param_bytes": {"trainable": {}, "frozen": {}}}
    q = {"modules": 0, "params": 0, "bytes": {}, "unquantized_frozen": {}}
    trainable = []
    shapes = {}
    for name, p in model.named_parameters():
        n = logical_numel(p)
        side = "trainable" if p.requires_grad else "frozen"
        r[f"{side}_params"] += n
        if p.requires_grad:
            trainable.append(p)
            key = collapse(name)
            s = shapes.setdefault(key, {"shape": list(p.shape), "dtype": dn(p.dtype), "count": 0})
            s["count"] += 1
        if is_4bit(p):
            q["modules"] += 1
            q["params"] += n
            for k, v in nf4_rule(n).items():
                add(q["bytes"], k, v)
            add(r["param_bytes"][side], "uint8", nf4_rule(n)["packed_uint8"])
        else:
            add(r["param_bytes"][side], dn(p.dtype), p.numel() * p.element_size())
            if quant and not p.requires_grad:
                add(q["unquantized_frozen"], collapse(name), n)
    if quant:
        q["bytes_total"] = sum(q["bytes"].values())
    return r, trainable, shapes, q


# ------------------------------------------------------------------ part A
def meta_model(fields, dtype):
    cfg = make_config(fields)
    with torch.device("meta"):
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    return cfg, model


def lora_cfg(kw):
    return LoraConfig(task_type="CAUSAL_LM", **kw)


def quantize_meta(model, qc):
    """transformers' own bnb 4-bit replacement (what from_pretrained does before loading weights)."""
    from transformers.integrations import replace_with_bnb_linear
    from transformers.quantizers.quantizer_bnb_4bit import Bnb4BitHfQuantizer
    qz = Bnb4BitHfQuantizer(qc)
    skip = qz.get_modules_to_not_convert(model, qc.llm_int8_skip_modules, model._keep_in_fp32_modules)
    model = replace_with_bnb_linear(model, modules_to_not_convert=skip, quantization_config=qc)
    model.is_loaded_in_4bit = True
    model.is_quantized = True
    return model, sorted(skip)


def lora_field(kw, dtype):
    t = kw["target_modules"]
    return {"r": kw["r"], "alpha": kw["lora_alpha"], "targets": t if isinstance(t, str) else sorted(t),
            "dropout": 0.0, "dtype": dtype}


def states_row(mid, method, build):
    t0 = time.time()
    try:
        return _states_row(mid, method, build)
    finally:
        gc.collect()
        print(f"  {mid}/{method}: {time.time() - t0:.1f}s", flush=True)


def _states_row(mid, method, build):
    row = {"id": f"{mid}/{method}", "model": mid, "method": method, "lora": None, "quant": None}
    try:
        model, info = build()
    except Exception as e:
        row["error"] = short(e)
        if os.environ.get("TRAINING_TRACEBACK"):
            traceback.print_exc()
        return row
    quant = info.get("quant") is not None
    summary, trainable, shapes, q = param_summary(model, quant=quant)
    row.update(info)
    row.update(summary)
    if quant:
        row["quant"].update({"quantized_modules": q["modules"], "quantized_params": q["params"],
                             "storage_bytes": q["bytes"], "storage_bytes_total": q["bytes_total"],
                             "unquantized_frozen_params": q["unquantized_frozen"]})
    row["trainable_tensors"] = len(trainable)
    grad_dtypes = sorted({dn(p.dtype) for p in trainable})
    row["grad_dtype"] = grad_dtypes[0] if len(grad_dtypes) == 1 else grad_dtypes
    row["grad_bytes"] = sum(p.numel() * p.element_size() for p in trainable)
    if row["lora"] is not None:
        row["trainable_shapes"] = shapes
        if row["lora"]["dtype"] is None:
            row["lora"]["dtype"] = grad_dtypes[0] if len(grad_dtypes) == 1 else grad_dtypes
    for p in trainable:
        p.grad = torch.empty_like(p)
    res = run_optimizers(trainable, meta=True)
    row["optimizer_bytes"] = {k: v.get("bytes") for k, v in res.items()}
    row["optimizer_step_bytes"] = {k: v.get("step_bytes") for k, v in res.items()}
    row["optimizer_detail"] = {k: v.get("by_key") for k, v in res.items()}
    row["optimizer_rule_ok"] = {k: v.get("rule_ok") for k, v in res.items()}
    errs = {k: v["error"] for k, v in res.items() if "error" in v}
    if errs:
        row["optimizer_errors"] = errs
    row["optimizer_how"] = "meta-step"
    for p in trainable:
        p.grad = None
    del model
    return row


def states_rows(models):
    rows = []
    for mid in models:
        t0 = time.time()
        fields = catalog_fields(mid)

        def full(dtype):
            def b():
                _, m = meta_model(fields, dtype)
                m.requires_grad_(True)
                return m, {"param_dtype": dn(dtype)}
            return b

        rows.append(states_row(mid, "full-fp32", full(torch.float32)))
        rows.append(states_row(mid, "full-bf16", full(torch.bfloat16)))
        for label, kw in LORA_CASES + EXTRA_LORA.get(mid, []):
            def b(kw=kw):
                _, m = meta_model(fields, torch.bfloat16)
                pm = get_peft_model(m, lora_cfg(kw))
                return pm, {"param_dtype": "bfloat16", "lora": lora_field(kw, None)}
            rows.append(states_row(mid, label, b))
        for label, prepare in (("qlora-r16-all", False), ("qlora-r16-all-prepared", True)):
            def b(prepare=prepare):
                qc = qlora_config()
                _, m = meta_model(fields, torch.bfloat16)
                m, skip = quantize_meta(m, qc)
                if prepare:
                    m = prepare_model_for_kbit_training(m, use_gradient_checkpointing=False)
                pm = get_peft_model(m, lora_cfg(QLORA_LORA))
                quant = {"method": "bitsandbytes nf4", "double_quant": True, "compute_dtype": "bfloat16",
                         "blocksize": NF4_BLOCK, "nested_blocksize": NF4_NESTED_BLOCK, "quant_storage": "uint8",
                         "modules_to_not_convert": skip,
                         "prepare_model_for_kbit_training": prepare,
                         "how": "transformers.integrations.replace_with_bnb_linear on the meta model (only exact "
                                "nn.Linear modules become Linear4bit); 4-bit bytes from bitsandbytes' storage rule "
                                "(rules.nf4_check)"}
                return pm, {"param_dtype": "float32" if prepare else "bfloat16",
                            "lora": lora_field(QLORA_LORA, None), "quant": quant}
            rows.append(states_row(mid, label, b))
        print(f"states {mid}: {time.time() - t0:.1f}s", flush=True)
    return rows


# ------------------------------------------------------------------ rules
def nf4_check():
    """Quantize real tensors on the CPU with bitsandbytes and compare storage with nf4_rule."""
    out = []
    g = torch.Generator().manual_seed(0)
    shapes = [(4096, 4096), (1024, 4096), (14336, 4096), (512, 2048), (100, 37), (3, 5), (64,)]
    ok = True
    for shape in shapes:
        a = torch.randn(*shape, generator=g, dtype=torch.float32).to(torch.bfloat16)
        q, st = bnbF.quantize_4bit(a, blocksize=NF4_BLOCK, compress_statistics=True, quant_type="nf4",
                                   quant_storage=torch.uint8)
        n = a.numel()
        measured = {
            "packed_uint8": q.nbytes,
            "absmax_uint8": st.absmax.nbytes,
            "absmax2_float32": st.state2.absmax.nbytes,
            "offset_float32": st.offset.nbytes,
            "code_float32": st.code.nbytes,
            "code2_float32": st.state2.code.nbytes,
        }
        rule = nf4_rule(n)
        good = measured == rule and st.absmax.dtype == torch.uint8 and st.state2.absmax.dtype == torch.float32 \
            and st.blocksize == NF4_BLOCK and st.state2.blocksize == NF4_NESTED_BLOCK
        ok = ok and good
        out.append({"shape": list(shape), "numel": n, "measured": measured, "packed_shape": list(q.shape),
                    "rule_ok": good})
        del a, q, st
    # Is the NF4 code a new tensor per weight, and the nested code shared?
    a = torch.randn(64, 64, generator=g)
    _, s1 = bnbF.quantize_4bit(a, compress_statistics=True, quant_type="nf4")
    _, s2 = bnbF.quantize_4bit(a, compress_statistics=True, quant_type="nf4")
    code_shared = s1.code.data_ptr() == s2.code.data_ptr()
    code2_shared = s1.state2.code.data_ptr() == s2.state2.code.data_ptr()
    return {"tensors": out, "all_ok": ok, "nf4_code_shared_between_weights": code_shared,
            "nested_code_shared_between_weights": code2_shared}


RULES = {
    "adamw_8bit": {"block": BNB_BLOCK_8BIT, "min_8bit_size": BNB_MIN_8BIT,
                   "bytes": "numel < 4096: 8*numel (float32 state1+state2); else 2*numel (uint8) + 8*ceil(numel/256) "
                            "(float32 absmax1+absmax2); + 2048 once (qmap1+qmap2, shared) if any param is 8-bit",
                   "source": "bitsandbytes/optim/optimizer.py Optimizer2State.init_state"},
    "lion_8bit": {"block": BNB_BLOCK_8BIT, "min_8bit_size": BNB_MIN_8BIT,
                  "bytes": "numel < 4096: 4*numel; else numel + 4*ceil(numel/256); + 1024 once (qmap1)",
                  "source": "bitsandbytes/optim/optimizer.py Optimizer1State.init_state"},
    "adafactor": {"bytes": "ndim >= 2: 4*(prod(shape[:-1]) + prod(shape[:-2])*shape[-1]) (row + col, float32); "
                           "else 4*numel; + 4 (RMS 0-d float32) per param; beta1=None: no exp_avg",
                  "source": "transformers/optimization.py Adafactor.step"},
    "nf4": {"blocksize": NF4_BLOCK, "nested_blocksize": NF4_NESTED_BLOCK,
            "bytes": "per 4-bit weight of n values: ceil(n/2) packed uint8 + ceil(n/64) uint8 absmax + "
                     "4*ceil(ceil(n/64)/256) float32 nested absmax + 4 offset + 64 NF4 code (16 float32) + 1024 "
                     "nested code (256 float32, copied per weight); all per weight, nothing shared",
            "source": "bitsandbytes/functional.py quantize_4bit (compress_statistics=True)"},
}


# ------------------------------------------------------------------ part B
TINY_COMMON = dict(hidden_size=128, num_attention_heads=4, num_key_value_heads=2, head_dim=32, vocab_size=1000,
                   pad_token_id=0, bos_token_id=1, eos_token_id=2, max_position_embeddings=4096)

SMALL = {
    "llama": ("llama-3.1-8b", dict(intermediate_size=352, num_hidden_layers=2), ()),
    "qwen3_moe": ("qwen3-30b-a3b", dict(intermediate_size=352, moe_intermediate_size=64, num_experts=4,
                                         num_experts_per_tok=2, num_hidden_layers=2, max_window_layers=2), ()),
    "gemma3_text": ("gemma-3-1b", dict(intermediate_size=352, num_hidden_layers=3, query_pre_attn_scalar=32,
                                        sliding_window=32,
                                        layer_types=["sliding_attention", "sliding_attention", "full_attention"]),
                    ("sliding_window_pattern",)),
    "qwen3_next": ("qwen3-next-80b-a3b", dict(intermediate_size=352, moe_intermediate_size=64,
                                               shared_expert_intermediate_size=64, num_experts=4, num_experts_per_tok=2,
                                               num_hidden_layers=4,
                                               layer_types=["linear_attention", "full_attention", "linear_attention",
                                                            "full_attention"],
                                               linear_num_key_heads=2, linear_num_value_heads=4,
                                               linear_key_head_dim=32, linear_value_head_dim=32),
                   ("full_attention_interval",)),
}

BATCHES = (1, 2)
SEQS = (64, 256)
ATTNS = ("eager", "sdpa")


def small_fields(key):
    mid, over, drop = SMALL[key]
    f = {k: v for k, v in catalog_fields(mid).items() if k not in drop and k != "torch_dtype"}
    f.update(TINY_COMMON)
    f.update(over)
    return mid, f


def build_small(fields, dtype, attn, setup, tmpdir=None):
    """A tiny CPU model for `setup` (full / lora / qlora) with seeded random weights."""
    cfg = make_config(fields, attn_implementation=attn)
    torch.manual_seed(0)
    if setup == "qlora":
        path = os.path.join(tmpdir, "base")
        if not os.path.isdir(path):
            AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16).save_pretrained(path)
        model = AutoModelForCausalLM.from_pretrained(path, quantization_config=qlora_config(), device_map="cpu",
                                                     dtype=torch.bfloat16, attn_implementation=attn)
        torch.manual_seed(1)
        model = get_peft_model(model, lora_cfg(QLORA_LORA))
    else:
        model = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
        if setup == "lora":
            torch.manual_seed(1)
            model = get_peft_model(model, lora_cfg(LORA_CASES[0][1]))
        else:
            model.requires_grad_(True)
    model.train()
    return cfg, model


def inputs(B, L, vocab):
    g = torch.Generator().manual_seed(B * 1000 + L)
    ids = torch.randint(3, vocab, (B, L), generator=g)
    return ids


def cls_name(m):
    c = type(m)
    return ("peft." if c.__module__.startswith("peft") else "") + c.__name__


def excluded_ptrs(model):
    ptrs = set()
    for p in model.parameters():
        ptrs.add(p.untyped_storage().data_ptr())
        qs = getattr(p, "quant_state", None)
        if qs is not None:
            for t in (qs.absmax, qs.code, qs.offset, getattr(qs.state2, "absmax", None), getattr(qs.state2, "code", None)):
                if torch.is_tensor(t):
                    ptrs.add(t.untyped_storage().data_ptr())
    for b in model.buffers():
        ptrs.add(b.untyped_storage().data_ptr())
    ptrs.discard(0)
    return ptrs


def measure_saved(model, ids):
    """Saved-for-backward bytes of one training forward with labels.

    Every packed tensor is remembered by weak reference; after the forward only those still alive count (a
    branch of the graph that was dropped frees its saved tensors, and their memory may be reused by later ones,
    so deduplicating by data_ptr during the forward would conflate them)."""
    stack = []
    packed = []
    skip = excluded_ptrs(model)

    def pre(mod, args):
        stack.append(mod)

    def post(mod, args, out):
        if stack and stack[-1] is mod:
            stack.pop()

    def pack(t):
        packed.append((weakref.ref(t), cls_name(stack[-1]) if stack else "<outside>"))
        return t

    def unpack(t):
        return t

    h1 = torch.nn.modules.module.register_module_forward_pre_hook(pre)
    h2 = torch.nn.modules.module.register_module_forward_hook(post)
    try:
        with torch.autograd.graph.saved_tensors_hooks(pack, unpack):
            out = model(input_ids=ids, labels=ids, use_cache=False)
    finally:
        h1.remove()
        h2.remove()
    seen = {}
    excluded = {}
    for ref, owner in packed:
        t = ref()
        if t is None:
            continue
        st = t.untyped_storage()
        ptr = st.data_ptr()
        if ptr == 0 or st.nbytes() == 0:
            continue
        if ptr in skip:
            excluded[ptr] = st.nbytes()
        elif ptr not in seen:
            seen[ptr] = (owner, dn(t.dtype), st.nbytes(), tuple(t.shape))
    logits = out.logits
    lptr = logits.untyped_storage().data_ptr()
    r = {
        "saved_bytes": sum(v[2] for v in seen.values()),
        "saved_storages": len(seen),
        "excluded_param_bytes": sum(excluded.values()),
        "logits_bytes": logits.nbytes,
        "logits_dtype": dn(logits.dtype),
        "logits_shape": list(logits.shape),
        "logits_saved": lptr in seen,
        "loss_dtype": dn(out.loss.dtype),
    }
    by_mod, by_dtype, detail = {}, {}, {}
    for cls, dt, nb, shape in seen.values():
        add(by_mod, cls, nb)
        add(by_dtype, dt, nb)
        k = f"{cls}|{dt}|{'x'.join(map(str, shape))}"
        d = detail.setdefault(k, [0, 0])
        d[0] += 1
        d[1] += nb
    top = cls_name(model.get_base_model() if hasattr(model, "get_base_model") else model)
    r["loss_path_bytes"] = by_mod.get(top, 0)
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    r["embedding_output_requires_grad"] = bool(getattr(base, "_require_grads_hooks", None)) or \
        hasattr(base, "_require_grads_hook")
    r["by_module"] = by_mod
    r["by_dtype"] = by_dtype
    r["detail"] = {k: {"count": v[0], "bytes": v[1]} for k, v in detail.items()}
    del out, logits
    return r


def set_gc(model, on):
    base = model.get_base_model() if hasattr(model, "get_base_model") else model
    if on:
        base.gradient_checkpointing_enable(gradient_checkpointing_kwargs={"use_reentrant": False})
    model.train()


def meta_twin(fields, dtype, setup):
    """The same setup on the meta device (for comparing the meta step with the real one)."""
    cfg = make_config(fields)
    with torch.device("meta"):
        m = AutoModelForCausalLM.from_config(cfg, dtype=dtype)
    if setup == "lora":
        m = get_peft_model(m, lora_cfg(LORA_CASES[0][1]))
    elif setup == "qlora":
        m, _ = quantize_meta(m, qlora_config())
        m = get_peft_model(m, lora_cfg(QLORA_LORA))
    else:
        m.requires_grad_(True)
    return m


SETUPS = [
    ("full-fp32", "full", torch.float32),
    ("full-bf16", "full", torch.bfloat16),
    ("lora-r8-qv-fp32", "lora", torch.float32),
    ("lora-r8-qv-bf16", "lora", torch.bfloat16),
    ("qlora-r16-all", "qlora", torch.bfloat16),
]


def small_row(key, label, setup, dtype, tmpdir):
    mid, fields = small_fields(key)
    row = {"id": f"{key}/{label}", "family": key, "shrunk_from": mid, "method": label, "setup": setup,
           "param_dtype": dn(dtype), "lora": None, "quant": None}
    if setup == "lora":
        row["lora"] = lora_field(LORA_CASES[0][1], None)
    if setup == "qlora":
        row["lora"] = lora_field(QLORA_LORA, None)
        row["quant"] = {"method": "bitsandbytes nf4", "double_quant": True, "compute_dtype": "bfloat16",
                        "how": "save_pretrained of the bf16 tiny model, from_pretrained(quantization_config=..., "
                               "device_map='cpu'): real 4-bit weights"}
    cfg, model = build_small(fields, dtype, "sdpa", setup, tmpdir)
    row["config"] = config_dict(cfg)
    row["experts_implementation"] = getattr(model.config, "_experts_implementation", None) \
        if "expert" in json.dumps(row["config"]) else None
    summary, trainable, shapes, q = param_summary(model, quant=(setup == "qlora"))
    row.update(summary)
    if setup != "full":
        row["lora"]["dtype"] = dn(trainable[0].dtype)
        row["trainable_shapes"] = shapes
    if setup == "qlora":
        # Real storage of the loaded 4-bit weights vs the rule.
        measured = {}
        shared = set()
        for name, p in model.named_parameters():
            if is_4bit(p):
                qs = p.quant_state
                add(measured, "packed_uint8", p.data.nbytes)
                add(measured, "absmax_uint8", qs.absmax.nbytes)
                add(measured, "absmax2_float32", qs.state2.absmax.nbytes)
                add(measured, "offset_float32", qs.offset.nbytes)
                add(measured, "code_float32", qs.code.nbytes)
                add(measured, "code2_float32", qs.state2.code.nbytes)
                shared.add(qs.state2.code.data_ptr())
        row["quant"].update({"quantized_modules": q["modules"], "quantized_params": q["params"],
                             "storage_bytes_rule": q["bytes"], "storage_bytes_measured": measured,
                             "distinct_nested_code_tensors": len(shared),
                             "rule_ok": measured == q["bytes"],
                             "unquantized_frozen_params": q["unquantized_frozen"]})
    # one forward/backward, then one step of each optimizer
    ids = inputs(1, 64, cfg.vocab_size)
    out = model(input_ids=ids, labels=ids, use_cache=False)
    out.loss.backward()
    del out
    row["grad_bytes"] = sum(p.grad.nbytes for p in trainable if p.grad is not None)
    row["grads_missing"] = sum(1 for p in trainable if p.grad is None)
    res = run_optimizers(trainable, meta=False)
    twin = meta_twin(fields, dtype, setup)
    tw_tr = [p for p in twin.parameters() if p.requires_grad]
    for p in tw_tr:
        p.grad = torch.empty_like(p)
    meta_res = run_optimizers(tw_tr, meta=True)
    del twin, tw_tr
    row["optimizer_bytes"] = {k: v.get("bytes") for k, v in res.items()}
    row["optimizer_step_bytes"] = {k: v.get("step_bytes") for k, v in res.items()}
    row["optimizer_detail"] = {k: v.get("by_key") for k, v in res.items()}
    row["optimizer_step_kind"] = {k: v.get("step_kind") for k, v in res.items()}
    row["optimizer_rule_ok"] = {k: v.get("rule_ok") for k, v in res.items()}
    row["meta_step_equal"] = {k: (meta_res[k].get("bytes"), meta_res[k].get("step_bytes")) ==
                              (v.get("bytes"), v.get("step_bytes")) for k, v in res.items()}
    errs = {k: v["error"] for k, v in res.items() if "error" in v}
    if errs:
        row["optimizer_errors"] = errs
    row["optimizer_how"] = "cpu-step"
    for p in trainable:
        p.grad = None
    # activations
    del model
    acts = []
    for attn in ATTNS:
        for ckpt in (False, True):
            # A fresh model per combination: gradient_checkpointing_enable() on a partly frozen (peft) model also
            # makes the embedding output require grad (enable_input_require_grads), which disable() keeps.
            _, model = build_small(fields, dtype, attn, setup, tmpdir)
            set_gc(model, ckpt)
            for B in BATCHES:
                for L in SEQS:
                    a = {"attn": attn, "gradient_checkpointing": ckpt, "batch": B, "seq": L}
                    try:
                        a.update(measure_saved(model, inputs(B, L, cfg.vocab_size)))
                    except Exception as e:
                        a["error"] = short(e)
                        if os.environ.get("TRAINING_TRACEBACK"):
                            traceback.print_exc()
                    acts.append(a)
            del model
    row["activations"] = acts
    return row


def small_rows(keys, skipped):
    rows = []
    tmp = tempfile.mkdtemp(prefix="training_exact_")
    try:
        for key in keys:
            t0 = time.time()
            for label, setup, dtype in SETUPS:
                if setup == "qlora" and key != "llama":
                    continue
                tdir = os.path.join(tmp, key)
                os.makedirs(tdir, exist_ok=True)
                try:
                    rows.append(small_row(key, label, setup, dtype, tdir))
                except Exception as e:
                    skipped.append({"id": f"{key}/{label}", "why": short(e)})
                    if os.environ.get("TRAINING_TRACEBACK"):
                        traceback.print_exc()
                print(f"small {key}/{label}: {time.time() - t0:.1f}s", flush=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def checks(result):
    """Self-checks over the rows (all should be true)."""
    def all_true(rows, key):
        vals = [v for r in rows for v in (r.get(key) or {}).values()]
        return all(v is True for v in vals) if vals else None
    acts = [a for r in result["small"] for a in r.get("activations", [])]
    return {
        "states_optimizer_rules_ok": all_true(result["states"], "optimizer_rule_ok"),
        "small_optimizer_rules_ok": all_true(result["small"], "optimizer_rule_ok"),
        "small_meta_step_equals_cpu_step": all_true(result["small"], "meta_step_equal"),
        "nf4_quantize_matches_rule": bool(result["rules"].get("nf4_check", {}).get("all_ok")),
        "nf4_loaded_model_matches_rule": all(r["quant"].get("rule_ok") for r in result["small"] if r.get("quant")),
        "states_rows_failed": sorted(r["id"] for r in result["states"] if "error" in r),
        "optimizer_errors": sorted(f"{r['id']}:{k}" for r in result["states"] + result["small"]
                                   for k in (r.get("optimizer_errors") or {})),
        "activation_errors": sum(1 for a in acts if "error" in a),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--only", help="comma-separated: catalog ids for part A and/or family keys for part B")
    parser.add_argument("--no-states", action="store_true")
    parser.add_argument("--no-small", action="store_true")
    args = parser.parse_args()
    started = time.time()
    only = set(args.only.split(",")) if args.only else None
    result = {
        "source": (f"torch {torch.__version__}, transformers {transformers.__version__}, peft {peft.__version__}, "
                   f"bitsandbytes {bnb.__version__}, python {platform.python_version()}; CPU only. states: "
                   "AutoModelForCausalLM.from_config on the meta device, peft get_peft_model, transformers' bnb "
                   "4-bit module replacement, one optimizer.step() per optimizer on meta tensors; small: tiny "
                   "random-weight models on the CPU, real steps, saved_tensors_hooks"),
        "date": "2026-11-30",
        "script": "tests/bench/training_exact.py",
        "optimizers": {k: v[0] for k, v in OPTIMIZERS.items()},
        "rules": dict(RULES),
        "notes": [
            "dtype keys are torch dtype names (float32, bfloat16, uint8).",
            "param counts: named_parameters() (tied weights once); a 4-bit weight counts its logical numel.",
            "grad_bytes = trainable numel x param dtype size (torch grads take the param dtype); in part B it is "
            "the sum of p.grad.nbytes after a real backward.",
            "optimizer_bytes exclude the per-param 'step' counters (optimizer_step_bytes); shared tensors (bnb "
            "qmaps) counted once. Paged optimizers hold the same bytes (paged on CUDA only).",
            "LoRA adapters: peft's default autocast_adapter_dtype=True makes them float32 on a bf16 base; "
            "lora_dropout 0 (nn.Identity: no dropout masks saved).",
            "trainable_shapes keys: parameter names with layer indices collapsed to * and peft's "
            "'base_model.model.' prefix dropped.",
            "qwen3_moe in transformers 5 stores experts as 3-D nn.Parameters (not nn.Linear): bnb 4-bit leaves "
            "them in bf16, and peft's 'all-linear' wraps them through target_parameters (see trainable_shapes).",
            "activations: bytes of unique storages saved for backward (parameters, buffers and bnb quant states "
            "left out); the logits tensor is reported apart (logits_bytes) and is inside saved_bytes only when "
            "logits_saved. With gradient checkpointing (non-reentrant) the checkpointed layers' inputs are what "
            "torch saves (via _NoopSaveInputs) and show under the decoder-layer class.",
            "param_bytes counts a 4-bit weight's packed uint8 data only; its quant state (absmax, nested absmax, "
            "offset, codes) is in quant.storage_bytes (storage_bytes_total = packed + quant state).",
            "Activations are measured on the CPU: 'sdpa' is PyTorch's CPU scaled_dot_product_attention (it saves "
            "q, k, v, the output and the logsumexp; k/v unexpanded with GQA), 'eager' saves the B x H x L x L "
            "softmax probabilities; qwen3_next's gated delta-net runs transformers' torch fallback (no "
            "flash-linear-attention / causal-conv1d kernels on the CPU). Saved tensors of graph branches that were "
            "dropped before the forward ended are not counted (only those still alive after the forward).",
            "MoE tiny models route by random weights (seeded): expert-loop saved tensors depend on the routing.",
        ],
        "states": [],
        "small": [],
        "skipped": [],
    }
    try:
        result["rules"]["nf4_check"] = nf4_check()
    except Exception as e:
        result["rules"]["nf4_check"] = {"error": short(e)}
    print(f"nf4 check: {time.time() - started:.1f}s", flush=True)
    if not args.no_states:
        models = [m for m in STATE_MODELS if not only or m in only]
        result["states"] = states_rows(models)
    if not args.no_small:
        keys = [k for k in SMALL if not only or k in only]
        result["small"] = small_rows(keys, result["skipped"])
    result["checks"] = checks(result)
    seconds = round(time.time() - started, 1)
    text = write_json(args.out, result)
    print(f"states {len(result['states'])}, small {len(result['small'])}, skipped {len(result['skipped'])}, "
          f"{len(text) / 1e6:.2f} MB, {seconds}s")


if __name__ == "__main__":
    sys.exit(main())
