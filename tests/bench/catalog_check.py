#!/usr/bin/env python3
"""Counts every catalog model's parameters with transformers itself.

For each `src/estimate/catalog/*.json` this builds the config transformers
would build from that file (`AutoConfig.for_model`), instantiates the causal
LM on the meta device (no memory, no weights) and sums
`p.numel() for p in model.parameters()` — unique parameters, a tied
embedding once, buffers excluded: the count vramfit's tensor list must give.

A multimodal config (Gemma 3, Gemma 3n, Gemma 4, Llama 4, Mistral 3,
Qwen3.5) is counted twice: the text model alone (what vramfit plans for) and
the whole model with its vision/audio towers (what model cards publish).
The whole-model count is compared with the published size from
`PUBLISHED` below; a difference over 2 % means the config is wrong.

    tests/bench/catalog_check.py [OUT.json] [--only ID,ID]

Writes `tests/data/catalog_counts.json` by default; the Rust tests check that
vramfit counts the text model exactly as this file says. Needs torch and
transformers (no network, no GPU).
"""
import argparse
import json
import os
import re
import sys
import traceback

import torch
import transformers
from transformers import AutoConfig, AutoModel, AutoModelForCausalLM, AutoModelForSeq2SeqLM

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
CATALOG = os.path.join(ROOT, "src", "estimate", "catalog")
OUT = os.path.join(ROOT, "tests", "data", "catalog_counts.json")

# What each model's card (or its Hub page's safetensors total) publishes, and
# where. "total / active" for mixtures of experts. A size with more than two
# significant digits is the exact figure from the Hub page; names such as
# "8B" are rounded and only catch gross mistakes.
PUBLISHED = json.load(open(os.path.join(HERE, "catalog_published.json")))

# The text config inside a multimodal config, by model_type.
TEXT_CONFIG_KEY = "text_config"

# Where this transformers release builds a model differently from its
# published checkpoint: the count the checkpoint holds, and why.
def untied_t5_head(fields):
    """T5 v1.1 checkpoints store an lm_head of their own."""
    if fields.get("tie_word_embeddings", True) is False:
        return fields["vocab_size"] * fields["d_model"], (
            "transformers >= 5 builds every T5 with lm_head tied to the shared embedding "
            "(T5Config forces tie_word_embeddings=True); this checkpoint stores a separate "
            "lm_head, which vramfit counts"
        )
    return 0, None


CHECKPOINT_ADJUSTMENTS = {"t5": untied_t5_head}


def parse_size(text):
    """'30.5B' -> 30.5e9; '235B / 22B' -> (235e9, 22e9)."""
    units = {"K": 1e3, "M": 1e6, "B": 1e9, "T": 1e12}
    sizes = []
    for part in text.split("/"):
        m = re.fullmatch(r"\s*([0-9.]+)\s*([KMBT])\s*", part)
        if not m:
            raise ValueError(f"unreadable size {text!r}")
        sizes.append(float(m.group(1)) * units[m.group(2)])
    return sizes


def build(fields):
    """The transformers config for a catalog JSON."""
    fields = dict(fields)
    model_type = fields.pop("model_type")
    fields.pop("quantization_config", None)
    return AutoConfig.for_model(model_type, **fields)


def count(model):
    return sum(p.numel() for p in model.parameters())


def expert_share(model, config):
    """Parameters held by routed experts, and the fraction of them a token uses."""
    text = config.get_text_config()
    n = next(
        (
            getattr(text, k)
            for k in ("num_experts", "n_routed_experts", "num_local_experts", "moe_num_experts")
            if isinstance(getattr(text, k, None), int) and getattr(text, k) > 1
        ),
        None,
    )
    k = next(
        (
            getattr(text, a)
            for a in ("num_experts_per_tok", "moe_topk", "moe_k", "top_k", "num_experts_per_token", "top_k_experts")
            if isinstance(getattr(text, a, None), (int, list)) and getattr(text, a)
        ),
        None,
    )
    if isinstance(k, list):
        k = k[0]
    if not n or not k:
        return 0, 1.0
    routed = 0
    for name, p in model.named_parameters():
        parts = name.split(".")
        if any(re.fullmatch(r"experts?", s) for s in parts) and not any("shared" in s for s in parts):
            routed += p.numel()
    return routed, k / n


# Models that are not decoders: the class whose count vramfit matches.
NOT_CAUSAL = {"t5": AutoModelForSeq2SeqLM, "bart": AutoModelForSeq2SeqLM, "bert": AutoModel}


def text_model(config):
    """The language model over the text config alone (no vision/audio tower)."""
    text = config.get_text_config()
    auto = NOT_CAUSAL.get(text.model_type, AutoModelForCausalLM)
    return auto.from_config(text)


def whole_model(config):
    """Everything a multimodal checkpoint holds: language model and towers."""
    from transformers import AutoModelForImageTextToText

    for auto in (AutoModelForImageTextToText, AutoModel):
        try:
            return auto.from_config(config)
        except ValueError:
            continue
    raise ValueError(f"no multimodal class for {config.model_type}")


def text_part(model, model_type):
    """The language model's share of a whole multimodal model."""
    sys.path.insert(0, HERE)
    import transformers_vlm

    rules = next(f["parts"] for f in transformers_vlm.FAMILIES.values() if f["model_type"] == model_type)
    return sum(p.numel() for n, p in model.named_parameters() if transformers_vlm.part_of(n, rules) == "text")


def embedding_params(model):
    """Input embedding plus an untied output head: what 'non-embedding' counts leave out."""
    n = model.get_input_embeddings().weight.numel()
    head = model.get_output_embeddings()
    if head is not None and head.weight is not model.get_input_embeddings().weight:
        n += head.weight.numel()
    return n


def check(path):
    with open(path) as f:
        fields = json.load(f)
    cid = os.path.basename(path)[: -len(".json")]
    config = build(fields)
    multimodal = TEXT_CONFIG_KEY in fields
    with torch.device("meta"):
        whole = None
        try:
            text = text_model(config)
            total = count(text)
        except ValueError:
            # Qwen-VL's and GLM-V's text configs have no causal-LM class of
            # their own: count the whole model's text part, by the module
            # prefixes transformers_vlm.py splits it with.
            text = whole = whole_model(config)
            total = text_part(text, fields["model_type"])
        routed, used = expert_share(text, config)
        embeddings = embedding_params(text)
        if whole is not None:
            whole = count(text)
        del text
        if multimodal and whole is None:
            try:
                model = whole_model(config)
                whole = count(model)
                del model
            except ImportError as e:  # a tower needing timm: compare the text model
                print(f"  {cid}: whole model not built ({str(e).strip().splitlines()[0]})", file=sys.stderr)
    active = total - routed + round(routed * used) if routed else total
    row = {
        "id": cid,
        "model_type": fields["model_type"],
        "transformers_total": total,
        "transformers_active": active,
        "embedding_params": embeddings,
    }
    if whole is not None:
        row["transformers_whole_model"] = whole
    compared = whole if whole is not None else total
    adjust = CHECKPOINT_ADJUSTMENTS.get(fields["model_type"])
    if adjust:
        extra, why = adjust(fields)
        if extra:
            row["checkpoint_total"] = total + extra
            row["note"] = why
            compared += extra
    published = PUBLISHED.get(cid)
    if published:
        row["published"] = published["size"]
        row["source"] = published["source"]
        sizes = parse_size(published["size"])
        if multimodal and whole is None:
            row["note"] = "vision/audio towers not built here (they need timm); only the text model is counted"
        else:
            row["difference_percent"] = round(100 * (compared - sizes[0]) / sizes[0], 2)
        if len(sizes) > 1:
            # Cards quote active parameters with or without the embeddings;
            # compare with the nearer reading and say which.
            readings = {"with embeddings": active, "without embeddings": active - embeddings}
            how, value = min(readings.items(), key=lambda kv: abs(kv[1] - sizes[1]))
            row["active_difference_percent"] = round(100 * (value - sizes[1]) / sizes[1], 2)
            row["active_compared"] = how
    return row


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", nargs="?", default=OUT)
    ap.add_argument("--only", default="")
    args = ap.parse_args()
    torch.set_num_threads(1)
    transformers.logging.set_verbosity_error()
    only = set(filter(None, args.only.split(",")))
    paths = sorted(
        os.path.join(CATALOG, n)
        for n in os.listdir(CATALOG)
        if n.endswith(".json") and (not only or n[:-5] in only)
    )
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
        flag = ""
        if abs(row.get("difference_percent", 0)) > 2 or abs(row.get("active_difference_percent", 0)) > 2:
            flag = "  <-- off"
        print(
            f"{row['id']:<28} {row['transformers_total']:>16,} {row['transformers_active']:>16,} "
            f"{row.get('transformers_whole_model', ''):>16} {row.get('published', '?'):>12} "
            f"{row.get('difference_percent', '')!s:>7} {row.get('active_difference_percent', '')!s:>7}{flag}",
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
