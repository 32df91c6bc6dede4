#!/usr/bin/env python3
"""accelerate's own device_map="balanced" layer split, for tests/measured.rs.

Builds catalog models on the meta device (no weights, no GPU needed), asks
accelerate for the balanced max_memory and the device map over GPUs of the
given sizes, and records how many decoder layers each GPU gets. vramfit's
emulation (src/plan/baseline.rs) must give the same counts.

    python3 tests/bench/accelerate_balanced.py OUT.json
"""
import collections
import json
import os
import sys
import time

import accelerate
import torch
import transformers
from accelerate import infer_auto_device_map, init_empty_weights
from accelerate.utils import get_balanced_memory
from transformers import AutoConfig, AutoModelForCausalLM

CATALOG = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "estimate", "catalog")

# (catalog id, usable bytes per GPU)
SETUPS = [
    ("llama-3.1-8b", [24e9, 12e9]),
    ("llama-3.1-8b", [12e9, 12e9, 8e9]),
    ("qwen2.5-14b", [24e9, 16e9]),
    ("mistral-small-24b", [24e9, 24e9, 12e9]),
    ("qwen2.5-32b", [48e9, 24e9]),
    ("llama-3.1-70b", [80e9, 80e9]),
    ("llama-3.1-70b", [80e9, 48e9, 24e9]),
    ("gemma-2-27b", [24e9, 24e9, 16e9]),
    ("qwen2.5-7b", [16e9, 8e9]),
    ("phi-3-medium-4k", [16e9, 12e9, 12e9]),
]

# The map is pure arithmetic on module sizes: pretend the GPUs exist.
torch.cuda.is_available = lambda: True
torch.cuda.device_count = lambda: 8


def main():
    out = {
        "script": "tests/bench/accelerate_balanced.py",
        "date": time.strftime("%Y-%m-%d"),
        "accelerate": accelerate.__version__,
        "transformers": transformers.__version__,
        "setups": [],
    }
    for model_id, usable in SETUPS:
        with open(os.path.join(CATALOG, model_id + ".json")) as f:
            raw = json.load(f)
        raw.pop("quantization_config", None)
        config = AutoConfig.for_model(raw.pop("model_type"), **raw)
        with init_empty_weights():
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        max_memory = {i: int(u) for i, u in enumerate(usable)}
        split = model._no_split_modules
        balanced = get_balanced_memory(model, max_memory=max_memory, no_split_module_classes=split, dtype=torch.bfloat16)
        device_map = infer_auto_device_map(model, max_memory=balanced, no_split_module_classes=split, dtype=torch.bfloat16)
        counts = collections.Counter(
            device for name, device in device_map.items() if ".layers." in name and name.split(".")[-1].isdigit()
        )
        out["setups"].append(
            {
                "model": model_id,
                "usable_bytes": [int(u) for u in usable],
                "layers_per_gpu": [counts.get(i, 0) for i in range(len(usable))],
                "layers_off_gpu": sum(v for k, v in counts.items() if not isinstance(k, int)),
                "device_map": {k: str(v) for k, v in device_map.items()},
            }
        )
        print(model_id, usable, out["setups"][-1]["layers_per_gpu"], flush=True)
    with open(sys.argv[1], "w") as f:
        json.dump(out, f, indent=1)


if __name__ == "__main__":
    main()
