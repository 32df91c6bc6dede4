#!/usr/bin/env python3
"""Parameter counts of transformers' own vision-language (image-text-to-text) models.

Ground truth for vramfit's multimodal formulas, taken from the real
`transformers` library rather than from reading its source:

* params: for each case (a multimodal config dict with `model_type`) the
  config is built with `AutoConfig.for_model(model_type, **fields)` and the
  full image-text-to-text model (`AutoModelForImageTextToText.from_config`,
  i.e. the family's ...ForConditionalGeneration class) is instantiated on the
  meta device. `total` is the sum of numel over `model.parameters()` (tied
  weights counted once, buffers excluded). `parts` splits that total into
  `text` (language model, its embeddings, lm_head), `vision` (the vision
  tower) and `projector` (multimodal projector / merger / connector), plus
  `audio` where a model has an audio tower; `parts_rule` lists the parameter
  name prefixes assigned to each part (first match wins, the longest prefixes
  are listed first) and `parts_detail` the numel per module (indices
  collapsed). Each case holds the config as `cfg.to_dict()` (JSON-clean:
  private keys, `transformers_version` and labels dropped, non-finite floats
  written as the string "inf"), the `fields` passed in, and `images`: the
  image-processing facts a memory calculator needs (tokens per image or the
  rule that gives them, patch / merge / tile sizes, pixel bounds), each
  `{"value", "source"}` with the class and attribute it was read from (config
  classes, image-processor class defaults, processor __init__ defaults; no
  checkpoint is downloaded, so these are library defaults, which often differ
  from a released checkpoint's preprocessor_config.json). Cases marked
  `"holdout": true` are meant to be scored separately.
* skipped: model types or cases that could not be built, with why.

    target/bench-venv-tf/bin/python tests/bench/transformers_vlm.py \
        tests/data/measured/transformers_vlm.json [--dump target/vlm-dump] \
        [--only gemma3,qwen2_5_vl]

`--dump DIR` also writes, per family, DIR/<family>.txt: the tiny config and
every parameter name and shape of the vision tower and projector (the text
model summarised by module totals), and DIR/INDEX.md with per-family notes.
Needs torch and transformers (no network, no GPU; meta device, no weights;
the whole run takes seconds). pillow lets the image-processor defaults be read
from instances of the PIL backend classes; torchvision-only classes (Llama4,
Kimi-K2.5, Gemma 4) are read from their class body with `ast` when torchvision
is missing. gemma3n's vision tower is a timm model: it needs timm and
torchvision, looked for in target/vlm-extra (or $VLM_EXTRA_SITE), e.g.
    pip install --no-deps --target target/vlm-extra torchvision==0.29.2 timm
and the family is recorded in "skipped" without them.
"""
import argparse
import ast
import inspect
import json
import math
import os
import platform
import re
import sys
import time
import traceback

# Optional extras kept outside the venv (gemma3n's vision tower is a timm MobileNetV5, and timm needs
# torchvision): `pip install --no-deps --target target/vlm-extra torchvision==<matching> timm`. Added to
# sys.path before transformers is imported (it probes for timm/torchvision at import time).
EXTRA_SITE = os.environ.get("VLM_EXTRA_SITE") or os.path.join(
    os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "target", "vlm-extra")
if os.path.isdir(EXTRA_SITE):
    sys.path.insert(0, EXTRA_SITE)

import torch  # noqa: E402
import transformers  # noqa: E402
from transformers import AutoConfig, AutoModelForImageTextToText  # noqa: E402

from transformers_arch import write_json  # noqa: E402  (this folder)

torch.set_num_threads(1)
transformers.logging.set_verbosity_error()

# ------------------------------------------------------------------ tiny bases
# Every dimension distinct so shapes read back unambiguously.
# Text: hidden 64, MLP 96, 4 heads x 20 (2 KV heads), vocab 320, 2 layers.
# Vision: hidden 48, MLP 80, 4 heads (head_dim 12), 3 layers, image 64 / patch 8 (8x8 = 64 patches).
TEXT_TINY = dict(
    vocab_size=320,
    hidden_size=64,
    intermediate_size=96,
    num_attention_heads=4,
    num_key_value_heads=2,
    head_dim=20,
    num_hidden_layers=2,
    max_position_embeddings=256,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)
TEXT_MID = dict(
    vocab_size=8192,
    hidden_size=512,
    intermediate_size=1408,
    num_attention_heads=8,
    num_key_value_heads=2,
    head_dim=80,
    num_hidden_layers=6,
    max_position_embeddings=4096,
    pad_token_id=0,
    bos_token_id=1,
    eos_token_id=2,
)


def text(base, model_type=None, drop=(), **kw):
    d = {k: v for k, v in base.items() if k not in drop}
    d.update(kw)
    if model_type:
        d["model_type"] = model_type
    return d


def tt(model_type=None, drop=(), **kw):
    return text(TEXT_TINY, model_type, drop, **kw)


def tm(model_type=None, drop=(), **kw):
    return text(TEXT_MID, model_type, drop, **kw)


# Generic ViT (CLIP / SigLIP / Idefics3 / Pixtral / InternViT / Mllama-ish) tiny + mid vision fields.
VIT_TINY = dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=4, image_size=64, patch_size=8)
VIT_MID = dict(hidden_size=384, intermediate_size=1536, num_hidden_layers=6, num_attention_heads=6, image_size=224, patch_size=16)


def vt(drop=(), **kw):
    d = {k: v for k, v in VIT_TINY.items() if k not in drop}
    d.update(kw)
    return d


def vm(drop=(), **kw):
    d = {k: v for k, v in VIT_MID.items() if k not in drop}
    d.update(kw)
    return d


def P(name, fields, holdout=False, model_type=None):
    """A perturbed case; model_type overrides the family's (wrappers / aliases)."""
    return (name, fields, holdout, model_type)


FAMILIES = {}


def family(key, model_type, defaults, tiny_cfg, perturbed, parts, images, notes, extra_defaults=(), defaults_fields=None):
    """parts: list of (prefix, part) tried in order; anything unmatched lands in part "other".
    defaults_fields: what the "defaults" case passes (default {}: the config class defaults); families that are
    another model_type with a different tower (pixtral, granite vision) pass their tower's defaults here."""
    FAMILIES[key] = dict(model_type=model_type, defaults=defaults, tiny=tiny_cfg, perturbed=perturbed,
                         parts=parts, images=images, notes=notes, extra_defaults=list(extra_defaults),
                         defaults_fields=defaults_fields or {})


# ---------------------------------------------------------------- image facts
class Facts:
    """Collects {"value", "source"} entries for a case's `images` dict."""

    def __init__(self):
        self.d = {}

    def put(self, key, value, source):
        self.d[key] = {"value": clean(value), "source": source}

    def cfg(self, key, cfg, path, label=None):
        """Read a dotted attribute path from the config; source names the config class and path."""
        obj = cfg
        for part in path.split("."):
            obj = getattr(obj, part, None) if not isinstance(obj, dict) else obj.get(part)
            if obj is None:
                break
        self.put(key, obj, f"{type(cfg).__name__}.{path}" + (f" ({label})" if label else ""))
        return obj

    def rule(self, key, value, rule):
        self.d[key] = {"value": clean(value), "source": "derived", "rule": rule}


def _ast_class_defaults(cls_name, module_name):
    """Class-level literal assignments of a class, read from its source file with ast (no import of
    the module, whose backend may be missing). Returns ({attr: value}, "file::Class")."""
    path = os.path.join(os.path.dirname(transformers.__file__), *module_name.split(".")[1:]) + ".py"
    if not os.path.exists(path):
        return None, None
    tree = ast.parse(open(path).read())
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls_name:
            out = {}
            for st in node.body:
                if isinstance(st, ast.Assign) and len(st.targets) == 1 and isinstance(st.targets[0], ast.Name):
                    try:
                        out[st.targets[0].id] = ast.literal_eval(st.value)
                    except Exception:
                        pass
            rel = path.split("site-packages/")[-1]
            return out, f"{rel}::{cls_name}"
    return None, None


IMAGE_KEYS = ("size", "crop_size", "patch_size", "merge_size", "temporal_patch_size", "max_image_tiles", "max_patches",
              "min_patches", "crop_to_patches", "max_image_size", "do_image_splitting", "image_grid_pinpoints",
              "do_pan_and_scan", "pan_and_scan_max_num_crops", "pan_and_scan_min_crop_size",
              "pan_and_scan_min_ratio_to_activate", "resize_to_max_canvas", "min_pixels", "max_pixels", "do_pad",
              "do_center_crop", "spatial_merge_size", "downsample_ratio", "max_num_patches", "min_num_patches",
              "max_soft_tokens", "pooling_kernel_size")


def image_processor_defaults(model_type, facts):
    """Defaults of the image processor class registered for model_type (PIL backend instance if pillow
    is installed, else torchvision backend, else the class body read with ast)."""
    from transformers.models.auto.image_processing_auto import IMAGE_PROCESSOR_MAPPING_NAMES
    names = IMAGE_PROCESSOR_MAPPING_NAMES.get(model_type)
    if not names:
        facts.put("image_processor", None, f"IMAGE_PROCESSOR_MAPPING_NAMES has no entry for {model_type!r}")
        return {}
    if isinstance(names, str):
        names = {"default": names}
    errors = []
    for backend in ("pil", "torchvision", "default"):
        name = names.get(backend)
        if not name:
            continue
        try:
            cls = getattr(transformers, name)
            inst = cls()
            d = inst.to_dict()
            got = {k: d[k] for k in IMAGE_KEYS if k in d}
            facts.put("image_processor", name, f"IMAGE_PROCESSOR_MAPPING_NAMES[{model_type!r}][{backend!r}]")
            for k, v in got.items():
                facts.put(f"processor.{k}", v, f"{name}().{k} (library default, not a checkpoint's)")
            return got
        except Exception as e:
            errors.append(f"{name}: {type(e).__name__}")
    # Fall back to the class body (class attributes only; inherited ones are not followed).
    for backend, name in names.items():
        if not name:
            continue
        module_name = f"transformers.models.{model_type}.image_processing_{model_type}"
        attrs, src = _ast_class_defaults(name, module_name)
        if attrs:
            got = {k: attrs[k] for k in IMAGE_KEYS if k in attrs}
            facts.put("image_processor", name, f"IMAGE_PROCESSOR_MAPPING_NAMES[{model_type!r}][{backend!r}] "
                      f"(not instantiable here: {'; '.join(errors)})")
            for k, v in got.items():
                facts.put(f"processor.{k}", v, f"{src} class attribute {k} (read with ast; library default)")
            return got
    facts.put("image_processor", None, "not readable: " + "; ".join(errors))
    return {}


def processor_init_defaults(model_type, facts, keys=None):
    """Keyword defaults of the multimodal processor's __init__ (e.g. image_seq_length)."""
    from transformers.models.auto.processing_auto import PROCESSOR_MAPPING_NAMES
    name = PROCESSOR_MAPPING_NAMES.get(model_type)
    if not name:
        return {}
    try:
        cls = getattr(transformers, name)
        sig = inspect.signature(cls.__init__)
    except Exception as e:
        facts.put("processor", None, f"{name}: {type(e).__name__}")
        return {}
    out = {}
    for p in sig.parameters.values():
        if p.default is inspect.Parameter.empty or p.name in ("chat_template", "image_processor", "tokenizer",
                                                              "video_processor", "feature_extractor"):
            continue
        if isinstance(p.default, str) and ("<" in p.default or "[" in p.default):
            continue  # special-token strings
        if keys and p.name not in keys:
            continue
        out[p.name] = p.default
        facts.put(f"processor_init.{p.name}", p.default, f"{name}.__init__ default {p.name}")
    return out


def isqrt(n):
    r = int(math.isqrt(int(n)))
    return r if r * r == int(n) else None


def _size_hw(size):
    if isinstance(size, dict):
        if "height" in size:
            return size["height"], size["width"]
    return None


# Per-family image facts --------------------------------------------------------
def img_gemma3(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    tok = f.cfg("tokens_per_image", cfg, "mm_tokens_per_image", "fixed soft tokens per image / per pan-and-scan crop")
    side = img // patch
    f.rule("vision_patches_per_image", side * side, "(vision_config.image_size // patch_size)^2, all go through the tower")
    tps = isqrt(tok)
    f.rule("projector_pool_kernel", (side // tps) if tps else None,
           "AvgPool2d kernel = patches_per_side // sqrt(mm_tokens_per_image); 0 means the config cannot run "
           "(fewer patches per side than tokens per side, as with the class defaults 224/16 vs 256 tokens)")
    got = image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    f.rule("text_tokens_per_image", tok + 2 if tok else None,
           "processor replaces each <start_of_image> with '\\n\\n' <start_of_image> + image_seq_length x <image_soft_token> "
           "+ <end_of_image> '\\n\\n' (the '\\n\\n' pieces are ordinary text tokens, not counted here); with "
           "do_pan_and_scan (off by default) each crop adds the same sequence again plus some text")
    hw = _size_hw(got.get("size"))
    if hw and hw[0] != img:
        f.rule("processor_vs_config_image_size_mismatch", [hw[0], img],
               "image-processor class default size vs vision_config.image_size (a checkpoint's preprocessor config overrides)")
    return f.d


def img_gemma3n(cfg, mt):
    f = Facts()
    f.cfg("tokens_per_image", cfg, "vision_soft_tokens_per_image")
    f.cfg("audio_tokens_per_clip", cfg, "audio_soft_tokens_per_image")
    f.cfg("vision.architecture", cfg, "vision_config.architecture", "timm MobileNetV5 encoder")
    image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    return f.d


def img_qwen_vl(cfg, mt):
    f = Facts()
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    merge = f.cfg("vision.spatial_merge_size", cfg, "vision_config.spatial_merge_size")
    f.cfg("vision.temporal_patch_size", cfg, "vision_config.temporal_patch_size")
    if getattr(cfg.vision_config, "num_position_embeddings", None):
        f.cfg("vision.num_position_embeddings", cfg, "vision_config.num_position_embeddings",
                  "learned pos-embed grid, bilinearly interpolated to the image's patch grid")
    if hasattr(cfg.vision_config, "window_size"):
        f.cfg("vision.window_size", cfg, "vision_config.window_size", "window attention span in pixels")
        f.cfg("vision.fullatt_block_indexes", cfg, "vision_config.fullatt_block_indexes")
    if hasattr(cfg.vision_config, "deepstack_visual_indexes"):
        f.cfg("vision.deepstack_visual_indexes", cfg, "vision_config.deepstack_visual_indexes")
    if hasattr(cfg.vision_config, "image_size"):
        f.cfg("vision.image_size", cfg, "vision_config.image_size", "only sizes the learned position embedding")
    got = image_processor_defaults(mt, f)
    size = got.get("size") or {}
    ppatch = got.get("patch_size", patch)
    pmerge = got.get("merge_size", merge)
    unit = ppatch * pmerge
    if size.get("longest_edge"):
        f.rule("max_pixels", size["longest_edge"], "processor size['longest_edge'] is max_pixels")
        f.rule("max_tokens_per_image", size["longest_edge"] // (unit * unit),
               "max_pixels // (patch*merge)^2 with the processor's patch_size and merge_size")
    if size.get("shortest_edge"):
        f.rule("min_pixels", size["shortest_edge"], "processor size['shortest_edge'] is min_pixels")
        f.rule("min_tokens_per_image", size["shortest_edge"] // (unit * unit), "min_pixels // (patch*merge)^2")
    f.rule("tokens_per_image", None,
           f"smart_resize H,W to multiples of patch*merge ({ppatch}*{pmerge}={unit} px with the processor "
           f"defaults; config patch {patch} x merge {merge} = {patch * merge} px) with min_pixels <= H*W <= max_pixels; "
           "tokens = (H/unit)*(W/unit); the tower sees merge^2 times as many patches (each patch is "
           "temporal_patch_size frames, an image is repeated to fill them)")
    if ppatch != patch:
        f.rule("processor_vs_config_patch_mismatch", [ppatch, patch],
               "the processor class registered for this model_type has a different patch_size than the config: "
               "a checkpoint's preprocessor_config.json must override it")
    processor_init_defaults(mt, f)
    return f.d


def img_mllama(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size", "tile side")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    f.cfg("vision.max_num_tiles", cfg, "vision_config.max_num_tiles")
    f.cfg("vision.supported_aspect_ratios", cfg, "vision_config.supported_aspect_ratios")
    f.cfg("vision.intermediate_layers_indices", cfg, "vision_config.intermediate_layers_indices")
    n = (img // patch) ** 2 + 1
    f.rule("vision_tokens_per_tile", n, "(image_size // patch_size)^2 + 1 class token (padded to a multiple of 8 "
           "inside the tower, trimmed before the projector)")
    f.rule("cross_attention_states_per_image", n * cfg.vision_config.max_num_tiles,
           "max_num_tiles * vision_tokens_per_tile; these go to the cross-attention layers' K/V, not the text "
           "sequence (one <|image|> text token per image)")
    f.cfg("text.cross_attention_layers", cfg, "text_config.cross_attention_layers")
    got = image_processor_defaults(mt, f)
    hw = _size_hw(got.get("size"))
    if hw and hw[0] != img:
        f.rule("processor_vs_config_tile_mismatch", [hw[0], img],
               "image-processor class default tile size vs vision_config.image_size (the tower's position/tile "
               "embeddings are sized by image_size, so a checkpoint's processor must use image_size)")
    return f.d


def img_llama4(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size", "tile side for the tower's position embedding")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    r = f.cfg("vision.pixel_shuffle_ratio", cfg, "vision_config.pixel_shuffle_ratio")
    got = image_processor_defaults(mt, f)
    processor_init_defaults(mt, f, keys=("patch_size", "pixel_shuffle_ratio"))
    side = img // patch
    f.rule("tokens_per_tile", int(side * side * r * r),
           "(vision_config.image_size // patch_size)^2 * pixel_shuffle_ratio^2 (the class token is appended, then "
           "dropped before the adapter); positional_embedding_vlm is sized by image_size, so the processor tile must "
           "equal it")
    f.rule("tokens_per_image", None,
           "tiles = chosen canvas / tile size (up to processor max_patches); if more than one tile a global "
           "thumbnail tile is added; each tile gives tokens_per_tile <|patch|> tokens plus separator tokens")
    if got.get("size"):
        hw = _size_hw(got["size"])
        if hw and hw[0] != img:
            f.rule("processor_vs_config_tile_mismatch", [hw[0], img], "processor tile size vs config image_size")
    return f.d


def img_pixtral_like(cfg, mt, merge_attr=None):
    f = Facts()
    vc = "vision_config"
    img = f.cfg("vision.image_size", cfg, f"{vc}.image_size", "max side the rope grid covers")
    patch = f.cfg("vision.patch_size", cfg, f"{vc}.patch_size")
    merge = 1
    if merge_attr:
        merge = f.cfg("spatial_merge_size", cfg, merge_attr)
    got = image_processor_defaults(mt if mt in ("mistral3", "pixtral") else "pixtral", f)
    edge = (got.get("size") or {}).get("longest_edge")
    pp = got.get("patch_size")
    pp = pp.get("height") if isinstance(pp, dict) else pp
    f.rule("tokens_per_image", None,
           f"resize so the longest side <= processor size['longest_edge'], sides rounded up to multiples of "
           f"patch_size; tokens = (H/(patch*{merge}))*(W/(patch*{merge})) [IMG] + one [IMG_BREAK]/[IMG_END] per row")
    if edge and pp:
        s = edge // (pp * merge)
        f.rule("max_tokens_per_image_processor_defaults", s * s + s,
               f"({edge}/({pp}*{merge}))^2 + rows, with the processor defaults")
    s = img // (patch * merge)
    f.rule("max_tokens_per_image_config", s * s + s, f"({img}/({patch}*{merge}))^2 + rows, with the config's image_size/patch")
    if pp and pp != patch:
        f.rule("processor_vs_config_patch_mismatch", [pp, patch],
               "processor patch_size default vs vision_config.patch_size (checkpoint processor config overrides)")
    return f.d


def img_llava(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    strat = f.cfg("vision_feature_select_strategy", cfg, "vision_feature_select_strategy",
                  "'default' drops the CLS token, 'full' keeps it")
    f.cfg("vision_feature_layer", cfg, "vision_feature_layer")
    if hasattr(cfg, "image_seq_length"):
        f.cfg("config.image_seq_length", cfg, "image_seq_length")
    side = img // patch
    has_cls = getattr(cfg.vision_config, "model_type", "") == "clip_vision_model"
    base = side * side + (1 if strat == "full" and has_cls else 0)
    f.rule("tokens_per_image" if mt == "llava" else "tokens_per_base_image", base,
           "(image_size // patch_size)^2, +1 if strategy 'full' and the tower has a CLS token (CLIP does; SigLIP does not)")
    if hasattr(cfg, "image_grid_pinpoints"):
        f.cfg("image_grid_pinpoints", cfg, "image_grid_pinpoints")
        pins = cfg.image_grid_pinpoints
        best = max(pins, key=lambda hw: hw[0] * hw[1])
        tiles = (best[0] // img) * (best[1] // img)
        rows = (best[0] // img) * side
        f.rule("max_tokens_per_image_anyres", base + tiles * side * side + rows,
               "base image + (pinpoint H/image_size * W/image_size) tiles of patches_per_side^2 + one image_newline per "
               "row of the unpadded grid (upper bound: largest pinpoint, square image); llava_onevision "
               "additionally bilinearly downsizes when the grid exceeds vision_aspect_ratio anyres_max_N")
    if hasattr(cfg, "vision_aspect_ratio"):
        f.cfg("vision_aspect_ratio", cfg, "vision_aspect_ratio")
    image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    return f.d


def img_internvl(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    ds = f.cfg("downsample_ratio", cfg, "downsample_ratio", "pixel shuffle")
    f.cfg("config.image_seq_length", cfg, "image_seq_length")
    s = img[0] // patch[0]
    f.rule("tokens_per_tile", int(s * s * ds * ds), "(image_size/patch)^2 * downsample_ratio^2")
    got = image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    f.rule("tokens_per_image", None, "tiles = 1 unless processor crop_to_patches (then min_patches..max_patches "
           "tiles + 1 thumbnail when more than one); each tile = image_seq_length <IMG_CONTEXT> tokens + <img></img>")
    hw = _size_hw(got.get("size"))
    if hw and hw[0] != img[0]:
        f.rule("processor_vs_config_tile_mismatch", [hw[0], img[0]], "processor size default vs vision image_size")
    return f.d


def img_idefics3(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size", "tile side")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    sf = f.cfg("scale_factor", cfg, "scale_factor", "pixel shuffle factor")
    side = img // patch
    f.rule("tokens_per_tile", (side * side) / (sf * sf),
           "(image_size/patch)^2 / scale_factor^2 (the config class defaults do not divide evenly: a checkpoint uses 512/16 or 364/14)")
    image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    f.rule("tokens_per_image", None, "with do_image_splitting: ceil(H/max_image_size) * ceil(W/max_image_size) tiles "
           "(after resizing the longest edge to size['longest_edge']) + 1 global tile; each tile = image_seq_len "
           "<image> tokens + wrappers")
    return f.d


def img_glm4v(cfg, mt):
    return img_qwen_vl(cfg, mt)


def img_paligemma(cfg, mt):
    f = Facts()
    img = f.cfg("vision.image_size", cfg, "vision_config.image_size")
    patch = f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    f.cfg("text_config.num_image_tokens", cfg, "text_config.num_image_tokens")
    f.rule("tokens_per_image", (img // patch) ** 2, "(image_size // patch_size)^2, fixed")
    image_processor_defaults(mt, f)
    return f.d


def img_kimi(cfg, mt):
    f = Facts()
    f.cfg("vision.patch_size", cfg, "vision_config.patch_size")
    f.cfg("vision.merge_kernel_size", cfg, "vision_config.merge_kernel_size")
    f.cfg("vision.pos_emb_height", cfg, "vision_config.pos_emb_height")
    f.cfg("vision.pos_emb_width", cfg, "vision_config.pos_emb_width")
    image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    f.rule("tokens_per_image", None, "(H/patch)*(W/patch)/(merge_kernel_h*merge_kernel_w) after the processor's resize")
    return f.d


def img_gemma4(cfg, mt):
    f = Facts()
    got = image_processor_defaults(mt, f)
    processor_init_defaults(mt, f)
    if cfg.vision_config is None:
        f.put("vision_config", None, f"{type(cfg).__name__}.vision_config is None: no vision tower is built")
        return f.d
    for k in ("patch_size", "pooling_kernel_size", "position_embedding_size"):
        if hasattr(cfg.vision_config, k):
            f.cfg(f"vision.{k}", cfg, f"vision_config.{k}")
    k = cfg.vision_config.pooling_kernel_size
    f.rule("tokens_per_image", got.get("max_soft_tokens"),
           f"variable resolution: the processor resizes so that (H/patch)*(W/patch)/pooling_kernel^2 <= max_soft_tokens "
           f"(patch {cfg.vision_config.patch_size}, kernel {k}: up to max_soft_tokens*{k * k} patches go through the tower); "
           "value = processor max_soft_tokens (an upper bound)")
    return f.d


# ---------------------------------------------------------------- parts rules
VISION_TOWER = [("model.multi_modal_projector.", "projector"), ("model.vision_tower.", "vision")]
TEXT_STD = [("model.language_model.", "text"), ("lm_head.", "text")]
QWEN_PARTS = [("model.visual.merger.", "projector"), ("model.visual.deepstack_merger_list.", "projector"),
              ("model.visual.", "vision")] + TEXT_STD


# ---------------------------------------------------------------- families
family(
    "gemma3", "gemma3",
    "config-class defaults (Gemma3Config: SigLIP vision defaults 768x12, 224/16, WITH the pooling head; text = Gemma3TextConfig "
    "defaults 2304x26, gemma-2-2b-shaped, not a released Gemma 3 size)",
    dict(text_config=tt("gemma3_text", query_pre_attn_scalar=20, sliding_window=16),
         vision_config=vt(vision_use_head=False), mm_tokens_per_image=16),
    [
        P("Gemma-3-4B-like (SigLIP 1152x27, 896/14, no head, 256 tokens; text 2560x34)", dict(
            text_config=dict(model_type="gemma3_text", vocab_size=262208, hidden_size=2560, intermediate_size=10240,
                             num_hidden_layers=34, num_attention_heads=8, num_key_value_heads=4, head_dim=256,
                             sliding_window=1024, query_pre_attn_scalar=256),
            vision_config=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                               image_size=896, patch_size=14, vision_use_head=False),
            mm_tokens_per_image=256)),
        P("mid text, SigLIP-mid 448/16 no head, 64 tokens", dict(text_config=tm("gemma3_text", query_pre_attn_scalar=80),
          vision_config=vm(image_size=448, vision_use_head=False), mm_tokens_per_image=64)),
        P("mid text, vision depth 10 + head kept, 784/14 -> 196 tokens", dict(text_config=tm("gemma3_text", num_hidden_layers=8),
          vision_config=vm(num_hidden_layers=10, image_size=784, patch_size=14, vision_use_head=True), mm_tokens_per_image=196),
          True),
        P("mid text untied, vision hidden 512 x 4", dict(text_config=tm("gemma3_text", hidden_size=640, head_dim=64),
          vision_config=vm(hidden_size=512, intermediate_size=2048, num_hidden_layers=4, num_attention_heads=8,
                           vision_use_head=False), tie_word_embeddings=False)),
    ],
    [("model.multi_modal_projector.", "projector"), ("model.vision_tower.", "vision")] + TEXT_STD,
    img_gemma3,
    "vision = SiglipVisionModel (vision_config: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads, "
    "image_size, patch_size -> learned position_embedding of (image_size/patch)^2 rows, no CLS; vision_use_head adds a "
    "MAP pooling head (probe + nn.MultiheadAttention + LN + MLP) that Gemma 3 never uses but the class default "
    "SiglipVisionConfig() has vision_use_head=True: released Gemma 3 configs set it False). Projector = "
    "Gemma3MultiModalProjector: mm_input_projection_weight [vision_hidden, text_hidden] (a bare Parameter, no bias) + "
    "mm_soft_emb_norm RMSNorm(vision_hidden); AvgPool2d to mm_tokens_per_image has no params. Tied lm_head by default.",
)

family(
    "gemma3n", "gemma3n",
    "config-class defaults (Gemma3nConfig; E4B-like text, MobileNetV5-300M vision via timm, conformer audio)",
    dict(text_config=dict(model_type="gemma3n_text", vocab_size=320, vocab_size_per_layer_input=288, hidden_size=64,
                          hidden_size_per_layer_input=16, intermediate_size=96, num_hidden_layers=4,
                          num_attention_heads=4, num_key_value_heads=2, head_dim=20, num_kv_shared_layers=1,
                          laurel_rank=8, altup_num_inputs=4, sliding_window=16,
                          layer_types=["sliding_attention", "full_attention", "sliding_attention", "full_attention"],
                          activation_sparsity_pattern=[0.95, 0.0, 0.0, 0.0]),
         vision_config=dict(architecture="mobilenetv5_base", hidden_size=2048, vocab_size=16),
         audio_config=dict(hidden_size=48, conf_num_hidden_layers=2, conf_num_attention_heads=4,
                           sscp_conv_channel_size=[16, 8], vocab_size=12, input_feat_size=32),
         vision_soft_tokens_per_image=16, audio_soft_tokens_per_image=24),
    [
        P("E2B-like text (30 layers, 8192 MLP, 10 shared-KV layers), default vision/audio", dict(text_config=dict(
          model_type="gemma3n_text", num_hidden_layers=30, intermediate_size=8192, num_kv_shared_layers=10,
          layer_types=(["sliding_attention"] * 4 + ["full_attention"]) * 6, activation_sparsity_pattern=[0.95] * 10 + [0.0] * 20))),
        P("mid text, MobileNetV5-base vision (timm num_features 2048), audio 768 x 6", dict(text_config=dict(
          model_type="gemma3n_text", vocab_size=8192, vocab_size_per_layer_input=8192, hidden_size=512,
          hidden_size_per_layer_input=64, intermediate_size=1408, num_hidden_layers=6, num_attention_heads=8,
          num_key_value_heads=2, head_dim=80, num_kv_shared_layers=2, layer_types=["sliding_attention", "full_attention"] * 3,
          activation_sparsity_pattern=[0.0] * 6), vision_config=dict(architecture="mobilenetv5_base"),
          audio_config=dict(hidden_size=768, conf_num_hidden_layers=6, conf_num_attention_heads=12)), True),
    ],
    [("model.embed_vision.", "projector"), ("model.vision_tower.", "vision"), ("model.embed_audio.", "audio"),
     ("model.audio_tower.", "audio")] + TEXT_STD,
    img_gemma3n,
    "vision = model.vision_tower.timm_model, a timm MobileNetV5 built from vision_config.architecture by name "
    "(mobilenetv5_300m_enc 294.1M, mobilenetv5_base 80.6M; no config field changes its size except the name), needs timm "
    "(+torchvision). vision_config.hidden_size must equal the timm model's num_features (2048 for both). Projector "
    "(here) = model.embed_vision (Gemma3nMultimodalEmbedder): embedding Embedding(vision vocab_size=128, vision hidden) for "
    "hard (token-id) embeddings, hard/soft_embedding_norm, embedding_projection Linear(vision hidden -> text hidden, no "
    "bias). Audio = model.audio_tower (conformer: sscp conv subsampling + conf_num_hidden_layers conformer blocks) + "
    "model.embed_audio (same embedder shape with audio hidden). Text includes embed_tokens_per_layer "
    "Embedding(vocab_size_per_layer_input, num_hidden_layers*hidden_size_per_layer_input) = 2.35B at defaults, "
    "per_layer_model_projection, altup_projections / altup_unembed_projections ((altup_num_inputs-1) x hidden^2 each) "
    "and laurel low-rank blocks in every layer.",
)

family(
    "qwen2_vl", "qwen2_vl",
    "config-class defaults (Qwen2VLConfig: vision 1280x32 (embed_dim), text Qwen2-VL-72B-shaped 8192x80)",
    dict(text_config=tt(), vision_config=dict(depth=3, embed_dim=48, hidden_size=64, mlp_ratio=2, num_heads=4, patch_size=8,
                                            spatial_merge_size=2, temporal_patch_size=2)),
    [
        P("Qwen2-VL-7B-like vision on mid text", dict(text_config=tm(), vision_config=dict(depth=32, embed_dim=1280,
          hidden_size=512, mlp_ratio=4, num_heads=16, patch_size=14, spatial_merge_size=2))),
        P("mid, vision depth 8, embed 640, mlp_ratio 3, patch 16, merge 3", dict(text_config=tm(num_hidden_layers=4),
          vision_config=dict(depth=8, embed_dim=640, hidden_size=512, mlp_ratio=3, num_heads=10, patch_size=16,
                             spatial_merge_size=3, temporal_patch_size=1)), True),
        P("mid, vision embed 384, out hidden 768 (text hidden 768), tied", dict(text_config=tm(hidden_size=768, head_dim=96),
          vision_config=dict(depth=6, embed_dim=384, hidden_size=768, num_heads=6), tie_word_embeddings=True)),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "vision = Qwen2VisionTransformer: patch_embed Conv3d(in_channels*temporal_patch_size*patch^2 -> embed_dim, no bias), "
    "depth blocks of (LayerNorm, fused qkv with bias, proj, fc1/fc2 MLP of embed_dim*mlp_ratio with quick_gelu), "
    "no learned position embedding (2D rope). NOTE vision_config.hidden_size is the OUTPUT (text) hidden size and "
    "embed_dim the tower width. Projector = visual.merger (PatchMerger): ln_q LayerNorm(embed_dim), mlp Linear(embed_dim*merge^2 "
    "-> same) + GELU + Linear(-> hidden_size).",
)

family(
    "qwen2_5_vl", "qwen2_5_vl",
    "config-class defaults (Qwen2_5_VLConfig: vision 1280x32 with window attention, text Qwen2.5-VL-72B-shaped 8192x80)",
    dict(text_config=tt(), vision_config=dict(depth=4, hidden_size=48, intermediate_size=80, num_heads=4, patch_size=8,
                                            spatial_merge_size=2, temporal_patch_size=2, window_size=32,
                                            fullatt_block_indexes=[1, 3], out_hidden_size=64)),
    [
        P("Qwen2.5-VL-7B-like vision on mid text", dict(text_config=tm(), vision_config=dict(depth=32, hidden_size=1280,
          intermediate_size=3420, num_heads=16, out_hidden_size=512, fullatt_block_indexes=[7, 15, 23, 31]))),
        P("mid, vision depth 12 x 768 (MLP 2048), patch 16, out 512", dict(text_config=tm(num_hidden_layers=8),
          vision_config=dict(depth=12, hidden_size=768, intermediate_size=2048, num_heads=12, patch_size=16,
                             out_hidden_size=512, fullatt_block_indexes=[5, 11]))),
        P("mid, vision 512 x 6, merge 4, temporal 1, out 512", dict(text_config=tm(),
          vision_config=dict(depth=6, hidden_size=512, intermediate_size=1376, num_heads=8, spatial_merge_size=4,
                             temporal_patch_size=1, out_hidden_size=512, fullatt_block_indexes=[2, 5])), True),
        P("mid tied text, out_hidden_size != text hidden (768 vs 512)", dict(text_config=tm(), tie_word_embeddings=True,
          vision_config=dict(depth=4, hidden_size=640, intermediate_size=1024, num_heads=10, out_hidden_size=768))),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "vision = Qwen2_5_VisionTransformer: patch_embed Conv3d (no bias), depth blocks of (RMSNorm x2, fused qkv with bias, proj, "
    "gated SwiGLU MLP gate/up/down with bias, intermediate_size), no learned position embedding (2D rope). "
    "window_size / fullatt_block_indexes change compute and activation shapes, not params. Projector = visual.merger: "
    "ln_q RMSNorm(hidden), mlp Linear(hidden*merge^2 -> same) + GELU + Linear(-> out_hidden_size). out_hidden_size "
    "must equal the text hidden size for the model to run, but instantiation does not check it.",
)

QWEN3_VIS_TINY = dict(depth=4, hidden_size=48, intermediate_size=80, num_heads=4, patch_size=8, spatial_merge_size=2,
                      temporal_patch_size=2, out_hidden_size=64, num_position_embeddings=64)

family(
    "qwen3_vl", "qwen3_vl",
    "config-class defaults (Qwen3VLConfig: SigLIP2-so400m-shaped vision 1152x27 patch 16, deepstack [8,16,24]; text 4096x32)",
    dict(text_config=tt(), vision_config=dict(QWEN3_VIS_TINY, deepstack_visual_indexes=[1, 2])),
    [
        P("Qwen3-VL-2B-like vision (1024x24, out 512) on mid text", dict(text_config=tm(), vision_config=dict(depth=24,
          hidden_size=1024, intermediate_size=4096, num_heads=16, out_hidden_size=512, deepstack_visual_indexes=[5, 11, 17]))),
        P("mid, no deepstack, pos-embed 1024 (32^2), patch 14", dict(text_config=tm(num_hidden_layers=4),
          vision_config=dict(depth=8, hidden_size=768, intermediate_size=3072, num_heads=12, out_hidden_size=512,
                             deepstack_visual_indexes=[], num_position_embeddings=1024, patch_size=14))),
        P("mid, 5 deepstack layers, merge 3, temporal 1", dict(text_config=tm(),
          vision_config=dict(depth=10, hidden_size=640, intermediate_size=2560, num_heads=10, out_hidden_size=512,
                             spatial_merge_size=3, temporal_patch_size=1, deepstack_visual_indexes=[1, 3, 5, 7, 9])), True),
        P("mid tied text, vision depth 27 default width", dict(text_config=tm(), tie_word_embeddings=True,
          vision_config=dict(out_hidden_size=512))),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "vision = Qwen3VLVisionModel: patch_embed Conv3d WITH bias, learned pos_embed Embedding(num_position_embeddings, hidden) "
    "(a square grid, bilinearly interpolated) + 2D rope, depth blocks of (LayerNorm x2, fused qkv with bias, proj, "
    "linear_fc1/linear_fc2 MLP with bias, gelu_pytorch_tanh). Projector = visual.merger (norm LayerNorm(hidden), "
    "linear_fc1 hidden*merge^2 -> same, linear_fc2 -> out_hidden_size) PLUS visual.deepstack_merger_list: one more "
    "merger per deepstack_visual_indexes entry whose norm is over hidden*merge^2 (use_postshuffle_norm) - each adds a "
    "full merger's params (3 x ~37.8M at defaults) and injects features into the first len(deepstack) text layers.",
)

family(
    "qwen3_vl_moe", "qwen3_vl_moe",
    "config-class defaults (Qwen3VLMoeConfig: Qwen3-VL vision defaults; MoE text 2048x24)",
    dict(text_config=tt(drop=("intermediate_size",), moe_intermediate_size=40, num_experts=6, num_experts_per_tok=2,
                         decoder_sparse_step=1), vision_config=dict(QWEN3_VIS_TINY, deepstack_visual_indexes=[1, 2])),
    [
        P("mid MoE text 16 experts, vision 768x8 deepstack [2,5]", dict(text_config=tm(moe_intermediate_size=192,
          num_experts=16, num_experts_per_tok=4), vision_config=dict(depth=8, hidden_size=768, intermediate_size=3072,
          num_heads=12, out_hidden_size=512, deepstack_visual_indexes=[2, 5]))),
        P("mid MoE text mlp_only_layers [0], 8 experts, Qwen3-VL-30B-A3B vision width", dict(text_config=tm(
          moe_intermediate_size=256, num_experts=8, mlp_only_layers=[0]), vision_config=dict(out_hidden_size=512))),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "same vision/projector as qwen3_vl.",
)

family(
    "qwen3_5", "qwen3_5",
    "config-class defaults (Qwen3_5Config: Qwen3-VL-style vision 1152x27 without deepstack; hybrid linear-attention text 4096x32)",
    dict(text_config=tt(layer_types=["linear_attention", "full_attention"], linear_num_key_heads=2, linear_num_value_heads=4,
                        linear_key_head_dim=20, linear_value_head_dim=28, linear_conv_kernel_dim=3),
         vision_config=dict(QWEN3_VIS_TINY)),
    [
        P("mid hybrid text, vision 768x12 out 512", dict(text_config=tm(num_hidden_layers=8, linear_num_key_heads=4,
          linear_num_value_heads=8, linear_key_head_dim=64, linear_value_head_dim=64), vision_config=dict(depth=12,
          hidden_size=768, intermediate_size=3072, num_heads=12, out_hidden_size=512))),
        P("mid hybrid text, default vision width, patch 14, merge 3, pos 1024", dict(text_config=tm(num_hidden_layers=4,
          linear_num_key_heads=2, linear_num_value_heads=4), vision_config=dict(out_hidden_size=512, patch_size=14,
          spatial_merge_size=3, num_position_embeddings=1024))),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "vision = Qwen3_5VisionModel (Qwen3-VL vision without deepstack_merger_list).",
)

family(
    "qwen3_5_moe", "qwen3_5_moe",
    "config-class defaults (Qwen3_5MoeConfig: vision 1152x27; hybrid MoE text 2048x40)",
    None,
    [
        P("mid hybrid MoE text, vision 640x6 out 512", dict(text_config=tm(drop=("intermediate_size",), num_hidden_layers=4,
          num_experts=8, moe_intermediate_size=128, shared_expert_intermediate_size=256),
          vision_config=dict(depth=6, hidden_size=640, intermediate_size=2560, num_heads=10, out_hidden_size=512))),
    ],
    QWEN_PARTS,
    img_qwen_vl,
    "same vision/projector as qwen3_5.",
)

family(
    "mllama", "mllama",
    "config-class defaults (MllamaConfig: vision 1280 x (32 local + 8 global), 448/14, 4 tiles; text 4096x40 with cross-attention)",
    dict(text_config=tt(num_hidden_layers=4, cross_attention_layers=[1, 3]),
         vision_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_global_layers=2, attention_heads=4,
                            image_size=64, patch_size=8, max_num_tiles=4, intermediate_layers_indices=[0, 2],
                            vision_output_dim=144)),
    [
        P("Llama-3.2-11B-Vision-like vision (560/14) on mid text", dict(text_config=tm(num_hidden_layers=10,
          cross_attention_layers=[2, 6]), vision_config=dict(image_size=560))),
        P("mid, vision 512 x (6+2), 3 intermediate, 224/16, 6 tiles", dict(text_config=tm(num_hidden_layers=8,
          cross_attention_layers=[1, 4, 7]), vision_config=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=6,
          num_global_layers=2, attention_heads=8, image_size=224, patch_size=16, max_num_tiles=6,
          supported_aspect_ratios=[[w, h] for w in range(1, 7) for h in range(1, 7) if w * h <= 6],
          intermediate_layers_indices=[1, 3, 5], vision_output_dim=2048))),
        P("mid, vision 640 x (4+1), 336/14, 2 tiles, 1 intermediate", dict(text_config=tm(num_hidden_layers=5,
          cross_attention_layers=[4]), vision_config=dict(hidden_size=640, intermediate_size=2560, num_hidden_layers=4,
          num_global_layers=1, attention_heads=10, image_size=336, patch_size=14, max_num_tiles=2,
          supported_aspect_ratios=[[1, 1], [1, 2], [2, 1]], intermediate_layers_indices=[2], vision_output_dim=1280)), True),
    ],
    [("model.multi_modal_projector.", "projector"), ("model.vision_model.", "vision")] + TEXT_STD,
    img_mllama,
    "vision = MllamaVisionModel: patch_embedding Conv2d (no bias), class_embedding [hidden], gated_positional_embedding "
    "(embedding [num_patches=(img/patch)^2+1, hidden] + tile_embedding Embedding(len(supported_aspect_ratios)+1, "
    "max_num_tiles*num_patches*hidden) + scalar gate: the tile embedding is the big one, 47.2M at defaults (448), 73.8M at 560, and scales "
    "with image_size^2 * max_num_tiles * number of aspect ratios), pre/post_tile_positional_embedding (Embedding("
    "len(supported_aspect_ratios)+1, max_num_tiles*hidden) + gate), layernorm_pre/post (with bias), transformer "
    "(num_hidden_layers layers: q/k/v/o NO bias, fc1/fc2 with bias, LayerNorms with bias) + global_transformer "
    "(num_global_layers layers of the same shape + scalar gate_attn/gate_ffn). supported_aspect_ratios defaults to all "
    "(w,h) with w*h <= 4 (8 ratios) and the config refuses any other max_num_tiles unless it is given explicitly. "
    "Projector = multi_modal_projector "
    "Linear(vision_output_dim -> text hidden, with bias); vision_output_dim should be hidden*(1+len(intermediate_layers_indices)). "
    "Text: embed_tokens has vocab_size+8 rows (extra image/pad tokens) while lm_head has vocab_size; cross-attention "
    "decoder layers (cross_attention_layers) have their own q/k/v/o + q_norm/k_norm + tanh gates and count as text.",
)

family(
    "llama4", "llama4",
    "config-class defaults (Llama4Config: Scout-like text 5120x48 16 experts; vision 768 x 34, 448/14, pixel shuffle 0.5)",
    dict(text_config=tt("llama4_text", intermediate_size_mlp=112, num_local_experts=4, num_experts_per_tok=1,
                        interleave_moe_layer_step=1, attention_chunk_size=16),
         vision_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=4, image_size=64,
                            patch_size=8, pixel_shuffle_ratio=0.5, projector_input_dim=40, projector_output_dim=56,
                            vision_output_dim=72)),
    [
        P("Llama-4-Scout/Maverick-like vision (1408x34, 336/14, projector 4096) on mid MoE text", dict(
          text_config=tm("llama4_text", intermediate_size=256, intermediate_size_mlp=1024, num_local_experts=8,
                         interleave_moe_layer_step=2),
          vision_config=dict(hidden_size=1408, intermediate_size=5632, num_hidden_layers=34, num_attention_heads=16,
                             image_size=336, patch_size=14, projector_input_dim=4096, projector_output_dim=4096,
                             vision_output_dim=4096))),
        P("mid, vision 512 x 8, 336/14, projector dims 1024", dict(text_config=tm("llama4_text",
          intermediate_size=256, intermediate_size_mlp=1024, num_local_experts=4),
          vision_config=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=8, num_attention_heads=8,
                             image_size=336, patch_size=14, projector_input_dim=1024, projector_output_dim=1024,
                             vision_output_dim=1024))),
        P("mid, vision 320 x 5, pixel_shuffle 0.25 (MLP 5120), patch 16, projector 640", dict(text_config=tm("llama4_text",
          intermediate_size=256, intermediate_size_mlp=1024, num_local_experts=4), vision_config=dict(hidden_size=320,
          intermediate_size=5120, num_hidden_layers=5, num_attention_heads=5, image_size=512, patch_size=16,
          pixel_shuffle_ratio=0.25, projector_input_dim=640, projector_output_dim=640, vision_output_dim=640)), True),
    ],
    [("vision_model.vision_adapter.", "projector"), ("multi_modal_projector.", "projector"), ("vision_model.", "vision"),
     ("language_model.", "text")],
    img_llama4,
    "vision = Llama4VisionModel (top-level `vision_model`, `language_model` and `multi_modal_projector`, not under "
    "`model.`): patch_embedding.linear Linear(C*patch^2 -> hidden, no bias) (unfold, not a conv), class_embedding [hidden], "
    "positional_embedding_vlm [(image_size/patch)^2+1, hidden], layernorm_pre/post (LayerNorm with bias), "
    "num_hidden_layers encoder layers (q/k/v/o WITH bias, fc1/fc2 hidden<->intermediate_size with bias, LayerNorms "
    "with bias). vision_adapter = Llama4VisionPixelShuffleMLP (assigned to projector here, though it sits inside "
    "vision_model): mlp.fc1 Linear(vision intermediate_size -> projector_input_dim) and mlp.fc2 "
    "Linear(projector_output_dim -> projector_output_dim), both no bias. Then multi_modal_projector.linear_1 "
    "Linear(vision_output_dim -> text hidden, no bias). To actually run: hidden/pixel_shuffle_ratio^2 == "
    "intermediate_size (the adapter input is the pixel-shuffled hidden state, and fc1 is sized by intermediate_size), "
    "projector_input_dim == projector_output_dim == vision_output_dim. Nothing checks this at build time, and the "
    "Llama4VisionConfig defaults violate it (hidden 768 but intermediate 5632 = 1408*4; vision_output_dim 7680 vs "
    "projector_output_dim 4096): the defaults case is not a runnable model, Scout/Maverick use hidden 1408, "
    "intermediate 5632, 336/14, projector dims 4096, vision_output_dim 4096 (perturbed case 1).",
)

family(
    "mistral3", "mistral3",
    "config-class defaults (Mistral3Config: Pixtral vision 1024x24, 1540/14; text Mistral-Small-24B-shaped 5120x40, tied by the wrapper default)",
    dict(text_config=tt("mistral"), vision_config=dict(vt(), head_dim=12), spatial_merge_size=2),
    [
        P("Mistral-Small-3.1-like vision on mid text, untied", dict(text_config=tm("mistral"), tie_word_embeddings=False)),
        P("mid, vision 512x6, patch 16, merge 3, projector bias", dict(text_config=tm("mistral"),
          vision_config=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=6, num_attention_heads=8, head_dim=64,
                             image_size=1024, patch_size=16), spatial_merge_size=3, multimodal_projector_bias=True)),
        P("mid, vision 768x4 head_dim 96, merge 1", dict(text_config=tm("mistral", num_hidden_layers=4),
          vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=4, num_attention_heads=8,
                             head_dim=96), spatial_merge_size=1), True),
    ],
    [("model.multi_modal_projector.", "projector"), ("model.vision_tower.", "vision")] + TEXT_STD,
    lambda cfg, mt: img_pixtral_like(cfg, mt, "spatial_merge_size"),
    "vision = PixtralVisionModel: patch_conv Conv2d (no bias), ln_pre RMSNorm, transformer layers (attention_norm/ffn_norm "
    "RMSNorm, q/k/v/o no bias, SwiGLU gate/up/down no bias), 2D rope (no learned position embedding, so image_size only "
    "bounds the rope table). head_dim is a separate vision field. Projector = Mistral3MultiModalProjector: norm RMSNorm(vision hidden), "
    "patch_merger.merging_layer Linear(hidden*merge^2 -> hidden, no bias), linear_1 Linear(hidden -> text hidden), linear_2 "
    "Linear(text hidden -> text hidden), bias = multimodal_projector_bias (False by default).",
)

family(
    "pixtral", "llava",
    "llava with vision_config model_type pixtral: PixtralVisionConfig defaults (1024x24, 1540/14) and LlavaConfig's "
    "llama-7B text defaults (Pixtral-12B uses this wrapper with a mistral-nemo text model)",
    dict(text_config=tt("mistral"), vision_config=dict(vt(model_type="pixtral"), head_dim=12),
         vision_feature_layer=-1, multimodal_projector_bias=True),
    [
        P("pixtral vision defaults + mid mistral text", dict(text_config=tm("mistral"), vision_config=dict(model_type="pixtral"),
          vision_feature_layer=-1)),
        P("pixtral vision 640x6 head_dim 80 on mid text, projector no bias", dict(text_config=tm("mistral"),
          vision_config=dict(model_type="pixtral", hidden_size=640, intermediate_size=2560, num_hidden_layers=6,
                             num_attention_heads=8, head_dim=80), vision_feature_layer=-1, multimodal_projector_bias=False)),
    ],
    VISION_TOWER + TEXT_STD,
    lambda cfg, mt: img_pixtral_like(cfg, "pixtral"),
    "llava wrapper around PixtralVisionModel; projector = LlavaMultiModalProjector (linear_1 vision hidden -> text hidden, "
    "linear_2 text -> text, bias multimodal_projector_bias). No patch merger (1 token per patch + row breaks).",
    defaults_fields=dict(vision_config=dict(model_type="pixtral")),
)

family(
    "llava", "llava",
    "config-class defaults (LlavaConfig: CLIP ViT-L/14-336 vision, llama-7B text: LLaVA-1.5-7B-shaped)",
    dict(text_config=tt("llama"), vision_config=vt(projection_dim=40), image_seq_length=64),
    [
        P("CLIP ViT-L/14-336 vision on mid llama text", dict(text_config=tm("llama"))),
        P("SigLIP-so400m-like vision 1152x27 384/14 on mid qwen2 text", dict(text_config=tm("qwen2"),
          vision_config=dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304,
                             num_hidden_layers=27, num_attention_heads=16, image_size=384, patch_size=14,
                             vision_use_head=False), vision_feature_select_strategy="full", vision_feature_layer=-1)),
        P("CLIP 768x12 224/32, projector no bias, feature layers [-2,-5]", dict(text_config=tm("llama"),
          vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                             image_size=224, patch_size=32), multimodal_projector_bias=False, vision_feature_layer=[-2, -5]),
          True),
    ],
    VISION_TOWER + TEXT_STD,
    img_llava,
    "vision = CLIPVisionModel (embeddings: class_embedding, patch_embedding Conv2d no bias, position_embedding "
    "[(img/patch)^2+1, hidden]; pre_layrnorm; encoder layers with biased q/k/v/out and fc1/fc2; post_layernorm; no "
    "projection - projection_dim is unused) or SiglipVisionModel when vision_config.model_type is siglip. The whole "
    "tower is instantiated even though features come from vision_feature_layer (-2): the last layer is dead weight "
    "(still counted). Projector = LlavaMultiModalProjector linear_1 (vision hidden * len(vision_feature_layer) if a list "
    "-> text hidden) + GELU + linear_2 (text -> text), bias multimodal_projector_bias.",
)

family(
    "llava_next", "llava_next",
    "config-class defaults (LlavaNextConfig: CLIP ViT-L/14-336, llama-7B text; anyres pinpoints up to 672x672)",
    dict(text_config=tt("llama"), vision_config=vt(projection_dim=40), image_grid_pinpoints=[[64, 128], [128, 64], [128, 128]]),
    [
        P("CLIP ViT-L/14-336 on mid mistral text (LLaVA-NeXT-Mistral-like)", dict(text_config=tm("mistral"))),
        P("CLIP 640x8 224/16 on mid llama, projector no bias", dict(text_config=tm("llama"), vision_config=dict(hidden_size=640,
          intermediate_size=2560, num_hidden_layers=8, num_attention_heads=10, image_size=224, patch_size=16),
          multimodal_projector_bias=False, image_grid_pinpoints=[[224, 448], [448, 224], [448, 448]])),
    ],
    [("model.image_newline", "projector")] + VISION_TOWER + TEXT_STD,
    img_llava,
    "as llava, plus model.image_newline [text hidden] (a learned row separator; counted as projector here).",
)

family(
    "granite_vision", "llava_next",
    "llava_next defaults with SigLIP-so400m vision (1152x27, 384/14, no head), full strategy, 4 feature layers and a "
    "granite text of Granite-Vision-3.2-2B shape (2048x40, vocab 49156, tied)",
    dict(text_config=tt("granite", drop=("head_dim",)), vision_config=vt(model_type="siglip_vision_model", vision_use_head=False),
         vision_feature_layer=[-1, -2, -3], vision_feature_select_strategy="full",
         image_grid_pinpoints=[[64, 128], [128, 64], [128, 128]]),
    [
        P("granite-vision-like on mid granite text", dict(text_config=tm("granite", drop=("head_dim",)),
          vision_config=dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304, num_hidden_layers=27,
                             num_attention_heads=16, image_size=384, patch_size=14, vision_use_head=False),
          vision_feature_layer=[-24, -20, -12, -1], vision_feature_select_strategy="full",
          image_grid_pinpoints=[[384, 768], [768, 384], [768, 768], [1152, 384], [384, 1152]])),
        P("siglip 768x12 224/16 with head, 2 feature layers, mid granite", dict(text_config=tm("granite", drop=("head_dim",)),
          vision_config=dict(model_type="siglip_vision_model", hidden_size=768, intermediate_size=3072, num_hidden_layers=12,
                             num_attention_heads=12, image_size=224, patch_size=16, vision_use_head=True),
          vision_feature_layer=[-2, -6], vision_feature_select_strategy="full",
          image_grid_pinpoints=[[224, 448], [448, 224], [448, 448]]), True),
    ],
    [("model.image_newline", "projector")] + VISION_TOWER + TEXT_STD,
    img_llava,
    "llava_next with siglip vision: projector linear_1 input = vision hidden * len(vision_feature_layer) "
    "(4*1152 = 4608 for Granite Vision). transformers 5.24 also has a separate granite4_vision model_type (not covered).",
    defaults_fields=(dict(text_config=dict(model_type="granite", vocab_size=49156, hidden_size=2048, intermediate_size=8192,
                                           num_hidden_layers=40, num_attention_heads=32, num_key_value_heads=8,
                                           tie_word_embeddings=True),
                          vision_config=dict(model_type="siglip_vision_model", hidden_size=1152, intermediate_size=4304,
                                             num_hidden_layers=27, num_attention_heads=16, image_size=384, patch_size=14,
                                             vision_use_head=False),
                          vision_feature_layer=[-24, -20, -12, -1], vision_feature_select_strategy="full",
                          tie_word_embeddings=True)),
)

family(
    "llava_onevision", "llava_onevision",
    "config-class defaults (LlavaOnevisionConfig: SigLIP-so400m 1152x26 384/14 no head, qwen2-7B-shaped text)",
    dict(text_config=tt("qwen2"), vision_config=vt(model_type="siglip_vision_model", vision_use_head=False),
         image_grid_pinpoints=[[64, 64], [64, 128], [128, 64], [128, 128]]),
    [
        P("default vision on mid qwen2 text", dict(text_config=tm("qwen2"))),
        P("siglip 768x10 448/16 on mid qwen2, projector no bias", dict(text_config=tm("qwen2"),
          vision_config=dict(model_type="siglip_vision_model", hidden_size=768, intermediate_size=3072, num_hidden_layers=10,
                             num_attention_heads=12, image_size=448, patch_size=16, vision_use_head=False),
          multimodal_projector_bias=False)),
    ],
    [("model.image_newline", "projector")] + VISION_TOWER + TEXT_STD,
    img_llava,
    "as llava_next (image_newline counted as projector), SigLIP vision without head.",
)

family(
    "internvl", "internvl",
    "config-class defaults (InternVLConfig: InternViT-300M 1024x24 448/14; qwen2-7B-shaped text; pixel shuffle 0.5)",
    dict(text_config=tt("qwen2"), vision_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3,
                                                     num_attention_heads=4, image_size=[64, 64], patch_size=[8, 8])),
    [
        P("InternViT-300M on mid qwen2 text", dict(text_config=tm("qwen2"))),
        P("InternViT-6B-like: rms norm, qk norm, 1536x10 on mid text", dict(text_config=tm("qwen2"),
          vision_config=dict(hidden_size=1536, intermediate_size=6144, num_hidden_layers=10, num_attention_heads=12,
                             norm_type="rms_norm", use_qk_norm=True, attention_bias=False))),
        P("vision 512x6 224/16 attention bias, downsample 0.25, no mean pooling", dict(text_config=tm("qwen2"),
          vision_config=dict(hidden_size=512, intermediate_size=2048, num_hidden_layers=6, num_attention_heads=8,
                             image_size=[224, 224], patch_size=[16, 16], attention_bias=True, use_mean_pooling=False),
          downsample_ratio=0.25), True),
    ],
    VISION_TOWER + TEXT_STD,
    img_internvl,
    "vision = InternVLVisionModel: embeddings (cls_token, patch_embeddings Conv2d with bias, position_embeddings "
    "[(img/patch)^2+1, hidden] when use_absolute_position_embeddings, mask_token if use_mask_token), encoder layers "
    "(q/k/v with attention_bias, projection_layer with bias, optional q_norm/k_norm (use_qk_norm), layernorm_before/after "
    "(norm_type layer_norm|rms_norm), lambda_1/lambda_2 layer-scale vectors, mlp fc1/fc2 with bias); layernorm only "
    "when use_mean_pooling is False (Identity otherwise). Projector = multi_modal_projector: layer_norm(vision hidden / "
    "downsample_ratio^2), linear_1 (-> text hidden), linear_2 (text -> text).",
)

family(
    "idefics3", "idefics3",
    "config-class defaults (Idefics3Config: SigLIP-ish vision 1152x12 224/32; llama-7B-shaped text)",
    dict(text_config=tt("llama"), vision_config=vt(), scale_factor=2),
    [
        P("Idefics3-8B-like vision (1152x27, 364/14) on mid llama", dict(text_config=tm("llama"),
          vision_config=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                             image_size=364, patch_size=14))),
        P("vision 768x12 512/16, scale_factor 4", dict(text_config=tm("llama"), vision_config=dict(hidden_size=768,
          intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=512, patch_size=16), scale_factor=4),
          True),
        P("vision 640x6 384/16 scale 3, tied", dict(text_config=tm("llama"), vision_config=dict(hidden_size=640,
          intermediate_size=2560, num_hidden_layers=6, num_attention_heads=10, image_size=384, patch_size=16),
          scale_factor=3, tie_word_embeddings=True)),
    ],
    [("model.connector.", "projector"), ("model.vision_model.", "vision"), ("model.text_model.", "text"), ("lm_head.", "text")],
    img_idefics3,
    "vision = Idefics3VisionTransformer (SigLIP-like: patch_embedding Conv2d with bias, position_embedding "
    "[(img/patch)^2, hidden], no CLS; layers with biased q/k/v/out + fc1/fc2; post_layernorm; no head). Projector = "
    "connector.modality_projection.proj Linear(vision hidden * scale_factor^2 -> text hidden, no bias). Text lives under "
    "model.text_model (not language_model).",
)

family(
    "smolvlm", "smolvlm",
    "config-class defaults (SmolVLMConfig: same shapes as Idefics3Config)",
    dict(text_config=tt("llama"), vision_config=vt(), scale_factor=2),
    [
        P("SmolVLM2-2.2B-like vision (1152x27, 384/14) scale 3 on mid llama", dict(text_config=tm("llama"),
          vision_config=dict(hidden_size=1152, intermediate_size=4304, num_hidden_layers=27, num_attention_heads=16,
                             image_size=384, patch_size=14), scale_factor=3)),
        P("SmolVLM-256M-like vision (768x12 512/16) scale 4, tied", dict(text_config=tm("llama"),
          vision_config=dict(hidden_size=768, intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12,
                             image_size=512, patch_size=16), scale_factor=4, tie_word_embeddings=True)),
    ],
    [("model.connector.", "projector"), ("model.vision_model.", "vision"), ("model.text_model.", "text"), ("lm_head.", "text")],
    img_idefics3,
    "same structure as idefics3.",
)

family(
    "glm4v", "glm4v",
    "config-class defaults (Glm4vConfig: vision 1536x24 336/14 with SwiGLU 13696; GLM-4.1V-9B-shaped text 4096x40)",
    dict(text_config=tt(), vision_config=dict(depth=3, hidden_size=48, intermediate_size=80, num_heads=4, image_size=64,
                                            patch_size=8, spatial_merge_size=2, temporal_patch_size=2, out_hidden_size=64)),
    [
        P("default vision, out 512, on mid text", dict(text_config=tm(), vision_config=dict(out_hidden_size=512,
          intermediate_size=1408))),
        P("vision 768x8 448/16, merge 3, MLP 2048", dict(text_config=tm(), vision_config=dict(depth=8, hidden_size=768,
          intermediate_size=2048, num_heads=12, image_size=448, patch_size=16, spatial_merge_size=3, out_hidden_size=512))),
    ],
    [("model.visual.merger.", "projector"), ("model.visual.downsample.", "projector"), ("model.visual.", "vision")] + TEXT_STD,
    img_glm4v,
    "vision = Glm4vVisionModel: patch_embed Conv3d (with bias), post_conv_layernorm RMSNorm, learned "
    "embeddings.position_embedding Embedding((image_size/patch)^2, hidden) (interpolated), depth blocks (RMSNorm x2, fused "
    "qkv (bias = attention_bias, False), proj (same), SwiGLU gate/up/down no bias), post_layernorm RMSNorm. SURPRISE: "
    "the vision blocks' MLP width is vision_config.out_hidden_size (4096 at defaults), NOT vision_config.intermediate_size; "
    "intermediate_size (13696) sizes the merger instead. Projector (here) = visual.downsample Conv2d(hidden -> "
    "out_hidden_size, kernel=stride=spatial_merge_size, with bias) + visual.merger (proj Linear(out_hidden -> out_hidden), "
    "post_projection_norm LayerNorm, gate_proj/up_proj Linear(out_hidden -> intermediate_size), down_proj back; no bias).",
)

family(
    "glm4v_moe", "glm4v_moe",
    "config-class defaults (Glm4vMoeConfig: GLM-4.5V-shaped MoE text 4096x46, 128 experts)",
    None,
    [
        P("default vision, out 512, mid MoE text", dict(text_config=tm(drop=("head_dim",), n_routed_experts=8,
          moe_intermediate_size=256, first_k_dense_replace=1), vision_config=dict(out_hidden_size=512, intermediate_size=1408))),
    ],
    [("model.visual.merger.", "projector"), ("model.visual.downsample.", "projector"), ("model.visual.", "vision")] + TEXT_STD,
    img_glm4v,
    "same vision as glm4v.",
)

family(
    "paligemma", "paligemma",
    "config-class defaults (PaliGemmaConfig: SigLIP-so400m 1152x27 224/14 no head; gemma-2B text, tied)",
    dict(text_config=tt("gemma"), vision_config=vt(vision_use_head=False, projection_dim=64), projection_dim=64, hidden_size=64),
    [
        P("PaliGemma-448-like vision on mid gemma text", dict(text_config=tm("gemma"), vision_config=dict(image_size=448,
          projection_dim=512), projection_dim=512, hidden_size=512)),
        P("vision 768x12 224/16, gemma2 mid text", dict(text_config=tm("gemma2"), vision_config=dict(hidden_size=768,
          intermediate_size=3072, num_hidden_layers=12, num_attention_heads=12, image_size=224, patch_size=16,
          projection_dim=512), projection_dim=512, hidden_size=512), True),
    ],
    VISION_TOWER + TEXT_STD,
    img_paligemma,
    "vision = SiglipVisionModel (no head); projector = multi_modal_projector.linear Linear(vision hidden -> "
    "vision_config.projection_dim, with bias); projection_dim must equal the text hidden size.",
)

family(
    "gemma4", "gemma4",
    "config-class defaults (Gemma4Config: vision_config=None, so NO vision tower is built - text-only 2304x30)",
    dict(text_config=dict(model_type="gemma4_text", vocab_size=320, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                          num_attention_heads=4, num_key_value_heads=2, head_dim=20, vocab_size_per_layer_input=288,
                          hidden_size_per_layer_input=16, layer_types=["sliding_attention", "full_attention"],
                          sliding_window=16, per_layer_config={"01": {"head_dim": 28}}),
         vision_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=4,
                            num_key_value_heads=4, head_dim=12, patch_size=8, pooling_kernel_size=3,
                            position_embedding_size=64)),
    [
        P("mid text, vision 512x6 (heads 8x64), patch 14, pooling 2, pos 4096", dict(text_config=dict(
          model_type="gemma4_text", vocab_size=8192, hidden_size=512, intermediate_size=1408, num_hidden_layers=6,
          num_attention_heads=8, num_key_value_heads=2, head_dim=80, vocab_size_per_layer_input=8192,
          hidden_size_per_layer_input=64, layer_types=["sliding_attention"] * 5 + ["full_attention"],
          per_layer_config={"05": {"head_dim": 160}}), vision_config=dict(hidden_size=512, intermediate_size=2048,
          num_hidden_layers=6, num_attention_heads=8, num_key_value_heads=8, head_dim=64, patch_size=14,
          pooling_kernel_size=2, position_embedding_size=4096))),
    ],
    [("model.embed_vision.", "projector"), ("model.vision_tower.", "vision"), ("model.embed_audio.", "audio"),
     ("model.audio_tower.", "audio")] + TEXT_STD,
    img_gemma4,
    "not in the brief's list, added because transformers 5.24 has it. Defaults build a text-only model (vision_config "
    "None); the extra defaults case passes vision_config={} (Gemma4VisionConfig defaults 768x16). vision = "
    "Gemma4VisionModel: patch_embedder.input_proj Linear(3*patch^2 -> hidden, no bias), "
    "patch_embedder.position_embedding_table [2, position_embedding_size, hidden] (factorised x/y tables), encoder "
    "layers Gemma-style (q/k/v/o no bias, q_norm/k_norm [head_dim], 4 RMSNorms, SwiGLU gate/up/down no bias; "
    "num_key_value_heads separate). Projector = model.embed_vision.embedding_projection Linear(vision hidden -> text "
    "hidden, no bias) (no norm weights). Text: per-layer embeddings (embed_tokens_per_layer) like gemma3n and "
    "per_layer_config overriding head_dim of single layers (full-attention layers 512 at defaults).",
    extra_defaults=[("Gemma4Config defaults with vision_config={} (Gemma4VisionConfig defaults)", dict(vision_config={}))],
)

family(
    "granite4_vision", "granite4_vision",
    "config-class defaults (Granite4VisionConfig)",
    None,
    [],
    [("model.image_newline", "projector"), ("model.multi_modal_projector", "projector"), ("model.vision_tower.", "vision")]
    + TEXT_STD,
    img_llava,
    "transformers 5.24 model_type granite4_vision (window Q-Former downsamplers, deepstack_layer_map); the class defaults "
    "do not build (deepstack_layer_map=None) and no case here fills it in.",
)

family(
    "kimi_k25", "kimi_k25",
    "config-class defaults (Kimi_K25Config: MoonViT-like vision 1152x27; DeepSeek-V3-shaped text 7168x61) [kimi_vl is not in transformers 5.24]",
    dict(text_config=dict(model_type="deepseek_v3", vocab_size=320, hidden_size=64, intermediate_size=96,
                          moe_intermediate_size=40, num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=4,
                          n_routed_experts=4, num_experts_per_tok=2, n_shared_experts=1, first_k_dense_replace=1,
                          kv_lora_rank=32, q_lora_rank=48, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=20,
                          n_group=1, topk_group=1),
         vision_config=dict(hidden_size=48, intermediate_size=80, num_hidden_layers=3, num_attention_heads=4, patch_size=8,
                            pos_emb_height=8, pos_emb_width=8, pos_emb_time=2), projection_hidden_size=56),
    [
        P("vision defaults on mid deepseek_v3 text", dict(text_config=dict(model_type="deepseek_v3", vocab_size=8192,
          hidden_size=512, intermediate_size=1408, moe_intermediate_size=192, num_hidden_layers=4, num_attention_heads=8,
          num_key_value_heads=8, n_routed_experts=16, num_experts_per_tok=4, first_k_dense_replace=1, n_group=1, topk_group=1))),
    ],
    [("model.mm_projector.", "projector"), ("model.multi_modal_projector.", "projector"), ("model.vision_tower.", "vision")]
    + TEXT_STD,
    img_kimi,
    "kimi_vl (Kimi-VL-A3B) is not a transformers 5.24 model_type (trust_remote_code only); its successor kimi_k25 is. "
    "vision = MoonViT-like: patch_embed.proj Conv2d (with bias), patch_embed.pos_emb.position_embeddings "
    "[pos_emb_height, pos_emb_width, hidden] (pos_emb_time adds no params), layers with q/k/v/proj and fc1/fc2 all with "
    "bias, LayerNorm norm1/norm2, final_layernorm. Projector = model.mm_projector: pre_norm LayerNorm, in_proj "
    "Linear(hidden*merge_h*merge_w -> same), out_proj Linear(-> text hidden), biases. Text = DeepSeek-V3 (MLA + MoE); "
    "the wrapper's tie_word_embeddings defaults to True (ties lm_head to the 129280-row embedding).",
)


# Things a formula writer would not guess from the checkpoints' config.json alone (checked on this library version).
SURPRISES = [
    "Tying is decided by the wrapper's top-level tie_word_embeddings, not text_config's: Mistral3Config, InternVLConfig "
    "and Kimi_K25Config default to True at top level (text_config False) and the lm_head IS tied; Qwen3VLMoeConfig has "
    "text_config True but top level False and it is NOT tied. Compare total with total_counting_tied_twice.",
    "Config-class defaults are often not a runnable (or released) model: Gemma3Config pairs SigLIP 224/16 (14x14 patches, "
    "WITH the 7.1M pooling head, vision_use_head=True) with mm_tokens_per_image=256 (pool kernel 0) and a gemma-2-2b-shaped "
    "text; Idefics3/SmolVLM default to 224/32 with scale_factor 2 (12.25 tokens per tile); Llama4VisionConfig has hidden "
    "768 but intermediate 5632 (=1408*4) and vision_output_dim 7680 vs projector dims 4096; Gemma4Config defaults build "
    "no vision tower at all (vision_config None); Granite4VisionConfig defaults do not build.",
    "Qwen2-VL: vision_config.hidden_size is the OUTPUT (text) width and embed_dim the tower width (MLP = embed_dim*mlp_ratio); "
    "Qwen2.5-VL / Qwen3-VL / Qwen3.5 use hidden_size = tower width and out_hidden_size = output width.",
    "Qwen3-VL deepstack: every deepstack_visual_indexes entry adds a full extra merger (37.8M each at defaults, 113M for "
    "three) - the projector is 151M vs 37.8M for Qwen3.5 (same tower, no deepstack). Qwen3-VL also has a learned "
    "pos_embed (num_position_embeddings rows) and a biased patch Conv3d that Qwen2.5-VL lacks.",
    "GLM-4V: the vision blocks' SwiGLU width is vision_config.out_hidden_size (4096), NOT vision_config.intermediate_size; "
    "intermediate_size (13696) sizes the merger's gate/up/down. The merge is a Conv2d 'downsample' (hidden -> out_hidden).",
    "Llama 4: vision_model / multi_modal_projector / language_model sit at the top level (no `model.` prefix); the pixel-"
    "shuffle adapter (vision_model.vision_adapter, counted as projector here) has fc1 sized by vision intermediate_size and "
    "fc2 by projector_output_dim x projector_output_dim; the class token is appended at the END and dropped before it.",
    "Mllama: embed_tokens has vocab_size+8 rows but lm_head vocab_size; the vision tile_embedding "
    "(len(supported_aspect_ratios)+1) x (max_num_tiles*((img/patch)^2+1)*hidden) is the biggest non-layer tensor (47.2M at "
    "448, 73.8M at 560); any max_num_tiles other than 4 needs explicit supported_aspect_ratios; the image states "
    "(max_num_tiles*1025 at 448, *1601 at 560) feed the cross-attention K/V, not the text sequence; the text config "
    "ignores head_dim (hidden/heads).",
    "Llava family: the whole CLIP/SigLIP tower is built and counted even though features come from vision_feature_layer "
    "(-2: the last layer is dead weight); CLIP's projection_dim is unused; a list vision_feature_layer multiplies the "
    "projector's linear_1 input (Granite Vision: 4 x 1152). llava_next/onevision add model.image_newline [text hidden].",
    "The image-processor CLASS defaults are generic and often disagree with the config: Gemma3 224 (checkpoints 896), "
    "Mllama 224 (config 448, checkpoints 560), InternVL (GotOcr2) 384 vs vision 448, Llama4 336 vs config 448, Pixtral 16 "
    "px patches vs Mistral3 config 14, and qwen3_vl/qwen3_5 are registered to Qwen2VLImageProcessor (patch 14) while "
    "their config says 16. A calculator must read the checkpoint's preprocessor_config.json / processor_config.json; "
    "`images` records both and flags the mismatches.",
    "Gemma 3n: the vision tower is a timm MobileNetV5 chosen by name (vision_config.architecture) - no size field; "
    "building it needs timm and torchvision. Its text part carries embed_tokens_per_layer (2.35B at defaults), AltUp "
    "projections and LAuReL blocks; the audio tower (685M) is a separate part.",
    "InternVL: use_mean_pooling=True (default) replaces the final layernorm by Identity; q/k/v bias follow attention_bias "
    "(False) but the output projection_layer always has a bias; every layer has layer-scale vectors lambda_1/lambda_2.",
    "kimi_vl is not a 5.24 model_type (its successor kimi_k25 is); pixtral is only a vision config (no "
    "image-text-to-text mapping), used through llava (Pixtral-12B) or mistral3.",
]


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
    if hasattr(obj, "value") and isinstance(getattr(obj, "value"), (int, str)):  # enums (PIL resampling)
        return obj.value
    return str(obj)


DROP_KEYS = {"transformers_version", "id2label", "label2id"}


def config_dict(cfg):
    def strip(d):
        return {k: (strip(v) if isinstance(v, dict) else v) for k, v in d.items() if k not in DROP_KEYS}
    return clean(strip(cfg.to_dict()))


def build_config(model_type, fields):
    return AutoConfig.for_model(model_type, **json.loads(json.dumps(fields)))


def build_model(cfg):
    with torch.device("meta"):
        return AutoModelForImageTextToText.from_config(cfg)


INDEX_RE = re.compile(r"\.\d+(?=\.|$)")


def part_of(name, rules):
    for prefix, part in rules:
        if name.startswith(prefix):
            return part
    return "other"


def detail_key(name):
    """Module path with indices collapsed, cut after the first collapsed index (keeps the JSON short)."""
    coll = INDEX_RE.sub(".*", name)
    bits = coll.split(".")
    if "*" in bits:
        return ".".join(bits[:bits.index("*") + 1])
    return ".".join(bits[:-1]) if len(bits) > 1 else coll


def count_parts(model, rules):
    total = 0
    parts = {}
    detail = {}
    for name, p in model.named_parameters():
        n = p.numel()
        total += n
        part = part_of(name, rules)
        parts[part] = parts.get(part, 0) + n
        if part != "text":
            k = detail_key(name)
            detail[k] = detail.get(k, 0) + n
    untied = sum(p.numel() for _, p in model.named_parameters(remove_duplicate=False))
    return total, untied, parts, detail


def text_detail(model, rules):
    """Coarse text-part breakdown: embeddings, lm_head, layers, rest."""
    out = {}
    for name, p in model.named_parameters():
        if part_of(name, rules) != "text":
            continue
        if "embed_tokens" in name:
            k = "embed_tokens"
        elif name.startswith("lm_head") or ".lm_head." in name:
            k = "lm_head"
        elif re.search(r"\.layers\.\d+\.", name):
            k = "layers"
        else:
            k = "other"
        out[k] = out.get(k, 0) + p.numel()
    return out


def params_case(key, fam, name, model_type, fields, holdout):
    cfg = build_config(model_type, fields)
    model = build_model(cfg)
    total, untied, parts, detail = count_parts(model, fam["parts"])
    row = {
        "name": name,
        "family": key,
        "model_type": model_type,
        "holdout": holdout,
        "fields": clean(fields),
        "config": config_dict(cfg),
        "total": total,
        "total_counting_tied_twice": untied,
        "parts": {k: parts.get(k, 0) for k in sorted(set(parts) | {"text", "vision", "projector"})},
        "parts_rule": [[p, part] for p, part in fam["parts"]] + [["(anything else)", "other"]],
        "parts_detail": detail,
        "text_detail": text_detail(model, fam["parts"]),
        "class": type(model).__name__,
    }
    try:
        row["images"] = fam["images"](cfg, model_type)
    except Exception as e:
        row["images"] = {"error": short(e)}
    del model
    return row, cfg


def fmt_shape(p):
    return "x".join(str(s) for s in p.shape) or "scalar"


def write_dump(dump_dir, key, fam, cfg, model):
    os.makedirs(dump_dir, exist_ok=True)
    rules = fam["parts"]
    lines = [f"# {key}: model_type {fam['model_type']}, class {type(model).__name__}, transformers {transformers.__version__}",
             "", "## tiny fields passed to AutoConfig.for_model", json.dumps(clean(fam["tiny"]), sort_keys=True), "",
             "## parts rule (first match wins)"]
    lines += [f"  {p!r:45} -> {part}" for p, part in rules]
    total, untied, parts, _ = count_parts(model, rules)
    lines += ["", f"## totals: {total} (counting tied twice {untied}); parts {json.dumps(parts, sort_keys=True)}", ""]
    sections = {}
    for name, p in model.named_parameters():
        sections.setdefault(part_of(name, rules), []).append((name, p))
    for part in ("vision", "projector", "audio", "other"):
        if part not in sections:
            continue
        lines.append(f"## {part}: every parameter (name shape numel)")
        for name, p in sections[part]:
            lines.append(f"{name} {fmt_shape(p)} {p.numel()}")
        lines.append(f"## {part} total {sum(p.numel() for _, p in sections[part])}")
        lines.append("")
    tp = sections.get("text", [])
    lines.append("## text: summary by module (indices collapsed), then each distinct decoder-layer layout")
    agg = {}
    for name, p in tp:
        k = INDEX_RE.sub(".*", name)
        k = k.split(".*")[0] + (".*" if ".*" in k else "") if re.search(r"\.layers\.\d+\.", name) else k
        agg[k] = agg.get(k, 0) + p.numel()
    for k, v in agg.items():
        lines.append(f"{k} {v}")
    # Every distinct text-layer layout once (dense / MoE / cross-attention / linear-attention layers differ).
    layouts = {}
    for name, p in tp:
        m = re.search(r"^(.*?\.layers)\.(\d+)\.(.*)$", name)
        if m:
            layouts.setdefault(int(m.group(2)), []).append((m.group(1), m.group(3), fmt_shape(p)))
    seen = {}
    for i in sorted(layouts):
        sig = tuple((suffix, shape) for _, suffix, shape in layouts[i])
        seen.setdefault(sig, []).append(i)
    for sig, idx in seen.items():
        prefix = layouts[idx[0]][0][0]
        lines.append(f"  layout of {prefix}.{idx} ({sum(1 for _ in sig)} tensors):")
        for suffix, shape in sig:
            lines.append(f"    {suffix} {shape}")
    lines.append(f"## text total {sum(p.numel() for _, p in tp)}")
    bufs = [(n, b) for n, b in model.named_buffers() if part_of(n, rules) != "text"]
    if bufs:
        lines += ["", "## vision/projector buffers (not counted)"] + [f"{n} {fmt_shape(b)} {b.dtype}" for n, b in bufs]
    lines += ["", "## tiny config.to_dict()", json.dumps(config_dict(cfg), sort_keys=True, indent=1)]
    with open(os.path.join(dump_dir, f"{key}.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


def write_index(dump_dir, result, done_keys):
    lines = [f"# vlm dump index (transformers {transformers.__version__})", "",
             "Per family: the tiny-config dump file, the part prefixes, and notes on which config fields size the vision "
             "tower and the projector. Defaults-case parts (numel) are from the JSON run.", ""]
    defaults = {}
    for row in result["params"]:
        if row["name"] == FAMILIES[row["family"]]["defaults"] and row["family"] not in defaults:
            defaults[row["family"]] = row
    for key in done_keys:
        fam = FAMILIES[key]
        lines.append(f"## {key} (model_type {fam['model_type']}) - {key}.txt")
        lines.append("")
        lines.append("parts: " + "; ".join(f"`{p}` -> {part}" for p, part in fam["parts"]))
        if key in defaults:
            r = defaults[key]
            lines.append(f"defaults: total {r['total']:,}; " + ", ".join(f"{k} {v:,}" for k, v in r["parts"].items()))
        lines.append("")
        lines.append(fam["notes"])
        lines.append("")
    lines.append("## surprises")
    lines.append("")
    for i, t in enumerate(SURPRISES, 1):
        lines.append(f"{i}. {t}")
    lines.append("")
    skipped = [s for s in result["skipped"]]
    if skipped:
        lines.append("## skipped")
        for s in skipped:
            lines.append(f"- {s['family']} / {s['case']}: {s['why']}")
    with open(os.path.join(dump_dir, "INDEX.md"), "w") as f:
        f.write("\n".join(lines) + "\n")


def short(e):
    return f"{type(e).__name__}: {e}".replace("\n", " ")[:400]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--dump", help="also write the per-family tiny-config dump here")
    parser.add_argument("--only", help="comma-separated family keys")
    args = parser.parse_args()
    started = time.time()
    only = args.only.split(",") if args.only else None
    result = {
        "source": f"transformers {transformers.__version__}, torch {torch.__version__}, python {platform.python_version()}; "
                  "AutoModelForImageTextToText.from_config on the meta device",
        "script": "tests/bench/transformers_vlm.py",
        "params": [],
        "skipped": [],
        "surprises": SURPRISES,
        "families": {},
    }
    keys = [k for k in (only or FAMILIES) if k in FAMILIES]
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES
    for key in keys:
        fam = FAMILIES[key]
        t0 = time.time()
        mt = fam["model_type"]
        if mt not in CONFIG_MAPPING_NAMES:
            result["skipped"].append({"family": key, "model_type": mt, "case": "*", "why": "model_type not in transformers"})
            continue
        result["families"][key] = {"model_type": mt, "parts_rule": [[p, part] for p, part in fam["parts"]],
                                   "notes": fam["notes"]}
        cases = [(fam["defaults"], fam["defaults_fields"], False, None)] + [(n, f, False, None) for n, f in fam["extra_defaults"]]
        if fam["tiny"] is not None:
            cases.append((f"{key} tiny (dump config)", fam["tiny"], False, None))
        cases += fam["perturbed"]
        tiny_cfg = None
        for name, fields, holdout, case_mt in cases:
            try:
                row, cfg = params_case(key, fam, name, case_mt or mt, fields, holdout)
                result["params"].append(row)
                if fields is fam["tiny"]:
                    tiny_cfg = cfg
            except Exception as e:
                result["skipped"].append({"family": key, "model_type": case_mt or mt, "case": name, "why": short(e)})
                if os.environ.get("VLM_TRACEBACK"):
                    traceback.print_exc()
        if args.dump and tiny_cfg is not None:
            try:
                write_dump(args.dump, key, fam, tiny_cfg, build_model(tiny_cfg))
            except Exception as e:
                result["skipped"].append({"family": key, "model_type": mt, "case": "dump", "why": short(e)})
        print(f"{key}: {time.time() - t0:.1f}s", flush=True)
    if args.dump:
        write_index(args.dump, result, [k for k in keys if os.path.exists(os.path.join(args.dump, f"{k}.txt"))])
    seconds = round(time.time() - started, 1)  # printed, not stored: keeps reruns diff-free
    text = write_json(args.out, result)
    print(f"params {len(result['params'])}, skipped {len(result['skipped'])}, {len(text) / 1e6:.2f} MB, {seconds}s")
    for s in result["skipped"]:
        print(f"  skipped {s['family']} / {s['case']}: {s['why'][:200]}")


if __name__ == "__main__":
    sys.exit(main())
