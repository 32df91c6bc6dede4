#!/usr/bin/env python3
"""Counts every catalog vision-language model with transformers itself, by part.

For each `src/estimate/catalog/*.json` that holds a `vision_config`, the
config transformers would build from that file is instantiated as the whole
image-text-to-text model (`AutoModelForImageTextToText.from_config`) on the
meta device. `total` is the sum of numel over `model.parameters()` (tied
weights once, buffers excluded); `parts` splits it into `text`, `vision` and
`projector` with the module-prefix rules of `transformers_vlm.py` (the same
rules the perturbed cases in `data/measured/transformers_vlm.json` use), so
the catalog and the perturbed cases are measured one way.

`published` is the model card's (or Hub page's safetensors) total, from
`catalog_published.json`; a difference over 1 % (or over half a unit of
the card's last digit, for a size such as "27B") means the config is wrong.

    target/bench-venv-tf/bin/python tests/bench/catalog_vlm_check.py [OUT.json] [--only ID,ID]

Writes `tests/data/catalog_vlm_counts.json` by default; tests/vlm.rs checks
that vramfit counts each part exactly as this file says. Needs torch and
transformers (no network, no GPU).
"""
import argparse
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoModelForImageTextToText  # noqa: E402

import catalog_check  # noqa: E402  (parse_size, build: one reading of a catalog file)
import transformers_vlm  # noqa: E402  (the parts rules per wrapper model_type)

ROOT = os.path.join(HERE, "..", "..")
CATALOG = os.path.join(ROOT, "src", "estimate", "catalog")
OUT = os.path.join(ROOT, "tests", "data", "catalog_vlm_counts.json")

# Parts rules by wrapper model_type: the first family of transformers_vlm.py
# that names it (pixtral and granite vision reuse llava's and llava_next's).
PARTS = {}
for fam in transformers_vlm.FAMILIES.values():
    PARTS.setdefault(fam["model_type"], fam["parts"])


def rounding(text):
    """Half a unit of the last digit of the first size in `text`: '27B' -> 0.5e9."""
    number = text.split("/")[0].strip()[:-1]
    unit = catalog_check.parse_size(text)[0] / float(number)
    decimals = len(number.split(".")[1]) if "." in number else 0
    return 0.5 * unit * 10 ** -decimals


def check(path):
    with open(path) as f:
        fields = json.load(f)
    cid = os.path.basename(path)[: -len(".json")]
    model_type = fields["model_type"]
    rules = PARTS.get(model_type)
    if rules is None:
        raise ValueError(f"transformers_vlm.py has no parts rule for {model_type}")
    config = catalog_check.build(fields)
    with torch.device("meta"):
        model = AutoModelForImageTextToText.from_config(config)
    total, _, parts, _ = transformers_vlm.count_parts(model, rules)
    row = {
        "id": cid,
        "model_type": model_type,
        "class": type(model).__name__,
        "total": total,
        "parts": {k: parts.get(k, 0) for k in sorted(set(parts) | {"text", "vision", "projector"})},
    }
    del model
    published = catalog_check.PUBLISHED.get(cid)
    if published:
        size = catalog_check.parse_size(published["size"])[0]
        row["published"] = published["size"]
        row["source"] = published["source"]
        row["difference_percent"] = round(100 * (total - size) / size, 2)
        row["within_rounding"] = abs(total - size) <= max(0.01 * size, rounding(published["size"]))
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=OUT)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    only = set(filter(None, args.only.split(",")))
    paths = []
    for n in sorted(os.listdir(CATALOG)):
        if not n.endswith(".json") or (only and n[:-5] not in only):
            continue
        with open(os.path.join(CATALOG, n)) as f:
            if "vision_config" in json.load(f):
                paths.append(os.path.join(CATALOG, n))
    rows, failed = [], []
    for path in paths:
        try:
            row = check(path)
        except Exception as e:  # one bad config must not hide the others
            failed.append(os.path.basename(path))
            print(f"FAIL {os.path.basename(path)}: {e!r}", file=sys.stderr)
            traceback.print_exc(limit=3)
            continue
        rows.append(row)
        p = row["parts"]
        off = not row.get("within_rounding", True)
        print(
            f"{row['id']:<26} {row['total']:>16,} text {p['text']:>16,} vision {p['vision']:>13,} "
            f"proj {p['projector']:>12,} {row.get('published', '?'):>8} "
            f"{row.get('difference_percent', '')!s:>6}{'  <-- off' if off else ''}",
            flush=True,
        )
    if only:
        return 1 if failed else 0
    with open(args.out, "w") as f:
        json.dump(
            {
                "transformers": transformers.__version__,
                "torch": torch.__version__.split("+")[0],
                "models": rows,
            },
            f,
            indent=1,
        )
        f.write("\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
