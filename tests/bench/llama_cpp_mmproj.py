#!/usr/bin/env python3
"""llama.cpp's own allocations for multimodal projectors (mmproj / CLIP files).

Writes mmproj GGUF files with the real widths of four projector families that
tools/mtmd/clip.cpp of the vendored llama.cpp supports, most with only two
vision blocks:

  gemma3    Gemma 3 4B: SigLIP so400m (896 px, patch 14, 1152 wide), 4x4
            average pool, soft-embedding RMS norm, input projection to 2560
  qwen2.5vl Qwen2.5-VL 3B: 1280-wide ViT with RMS norms, SwiGLU FFN, window
            attention, 2x2 merger MLP (mm.0, mm.2) to 2048; two blocks with
            n_wa_pattern 2 (one windowed layer), and the whole tower (32
            blocks, n_wa_pattern 8: 28 windowed layers)
  qwen2vl   Qwen2-VL 2B: 1280-wide ViT with LayerNorms, quick-GELU MLP, full
            attention in every block, the same merger to 1536
  mlp       LLaVA 1.5 7B: CLIP ViT-L/14-336 (1024 wide), class embedding,
            pre-LN, 2-layer GELU MLP projector (mm.0, mm.2) to 4096; also to
            5120 (LLaVA 1.5 13B) and 2048 (a small LLaVA-style text width)

Tensor names, shapes and F16/F32 types follow convert_hf_to_gguf.py
(conversion/gemma.py, qwenvl.py, llava.py; MmprojModel in conversion/base.py:
F16 matrices, F32 1-D tensors, norms and biases; Gemma 3 keeps its
embeddings in F32). The `clip.*` keys are the ones clip.cpp's load_hparams()
reads. A one-layer text model of the matching width (mtmd_init_from_file
checks n_embd, mtmd_tokenize needs a vocabulary) is written next to each.

Each mmproj is loaded through llama-cpp-python's `llama_cpp.mtmd_cpp`
bindings (mtmd_init_from_file, CPU) several times:

  * warmup on, flash attention auto (what llama-server does): clip.cpp
    reserves its compute buffer for a dummy image of hparams.warmup_image_size;
  * warmup on, flash attention off;
  * warmup off, then one solid-colour image (mtmd_bitmap_init) tokenized and
    encoded: clip_encode() reserves the compute buffer for that image's
    preprocessed size on first use. Images marked reserve-only are tokenized
    and reserved for but not computed (ggml_backend_sched_graph_compute is
    skipped): the buffer is sized before the graph runs, and the largest
    images would take minutes per encode and, without flash attention, touch
    18 GB;
  * for Qwen2.5-VL also warmup on, then an image larger than the warmup's:
    ggml_gallocr_alloc_graph reserves again and the buffer grows to the
    image's size (clip.cpp logs only the warmup's).

and the lines clip.cpp / ggml log are recorded: the per-tensor sizes (DEBUG),
"model size" (the weights buffer), "warmup with image size", every
"compute buffer size" and the graph node counts. clip.cpp prints the compute
buffer in MiB with two decimals; the exact bytes come from
tests/bench/ggml_alloc_trace.c, built here with gcc and preloaded (the
script re-executes itself under LD_PRELOAD): it records what
ggml_gallocr_get_buffer_size returns after every reservation. With --graphs
it also keeps each load's graphs under WORK/graphs/ for
tests/bench/ggml_alloc_replay.py, which shows what lies under the buffer's
high-water mark.

    target/bench-venv/bin/python tests/bench/llama_cpp_mmproj.py \\
        tests/data/measured/llama_cpp_mmproj.json --work target/llama-cpp-mmproj \\
        --headers tests/data/gguf-headers

With --headers DIR, the header of every file written (metadata and tensor
infos, up to the data section: a few KB) is copied into DIR under the same
name: vramfit's tests read those headers and compare the bytes they describe
with the buffers logged here (tests/llama_cpp_mmproj.rs). --no-load writes
the files and headers without loading anything.

(target/bench-venv: see tests/bench/llama_cpp_hybrid.py.) Takes a few
minutes on two cores, mostly the image encodes and writing the 32-block
Qwen2.5-VL file (1.3 GB, under --work).
"""
import argparse
import collections
import ctypes
import importlib.metadata
import json
import os
import re
import sys
import time

import gguf
import llama_cpp
import llama_cpp.mtmd_cpp as mtmd
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_cpp_log import log_callback as _log, metadata_of, mib_bytes, preload_trace, take_log  # noqa: E402

LLAMA_CPP = "b11312 (0c1e57098bba43ac29e6e3b677cdceebdd22334f)"
MIB = 1024 * 1024
FA = {"auto": -1, "disabled": 0, "enabled": 1}  # llama_flash_attn_type

# One image encoded after a load: its size, flash attention, whether the graph runs (computed=False only sizes
# the buffer) and whether the load warmed up first (the buffer then grows from the warmup size if it must).
Image = collections.namedtuple("Image", "width height flash computed warmup", defaults=(True, False))

OPENAI_CLIP_MEAN = [0.48145466, 0.4578275, 0.40821073]
OPENAI_CLIP_STD = [0.26862954, 0.26130258, 0.27577711]

# --------------------------------------------------------------------------
# mmproj construction
# --------------------------------------------------------------------------


class Mmproj:
    """An mmproj GGUF under construction: clip.* metadata and tensors in ggml order (ne0 first)."""

    def __init__(self, name, projector_type, like, text_arch):
        self.name, self.projector_type, self.like, self.text_arch = name, projector_type, like, text_arch
        self.kv = []  # (key, value, kind)
        self.tensors = []  # (name, ne, type)
        self.images = []  # Image rows: encoded after a load

    def key(self, k, value, kind=None):
        if kind is None:
            kind = {bool: "bool", int: "u32", float: "f32", str: "str", list: "arr"}[type(value)]
        self.kv.append((k, value, kind))

    def t(self, name, *ne, ttype=None):
        """F32 for 1-D tensors, norms and biases; F16 for matrices (an F16 conversion)."""
        if ttype is None:
            ttype = "F32" if len(ne) == 1 or not name.endswith(".weight") or "ln" in name.split(".")[-2] else "F16"
        self.tensors.append((name, list(ne), ttype))

    def vision(self, image_size, patch, n_embd, n_ff, n_layer, n_head, eps, proj_dim, mean, std):
        self.key("clip.projector_type", self.projector_type)
        self.key("clip.has_vision_encoder", True)
        self.key("clip.vision.projection_dim", proj_dim)
        self.key("clip.vision.image_size", image_size)
        self.key("clip.vision.patch_size", patch)
        self.key("clip.vision.embedding_length", n_embd)
        self.key("clip.vision.feed_forward_length", n_ff)
        self.key("clip.vision.block_count", n_layer)
        self.key("clip.vision.attention.head_count", n_head)
        self.key("clip.vision.attention.layer_norm_epsilon", eps)
        self.key("clip.vision.image_mean", [float(x) for x in mean])
        self.key("clip.vision.image_std", [float(x) for x in std])
        self.dims = dict(image_size=image_size, patch=patch, n_embd=n_embd, n_ff=n_ff, n_layer=n_layer,
                         n_head=n_head, proj_dim=proj_dim)

    def write(self, path):
        w = gguf.GGUFWriter(path, "clip")
        w.add_type(gguf.GGUFType.MMPROJ)
        w.add_name(self.name)
        w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
        for k, value, kind in self.kv:
            {"u32": w.add_uint32, "f32": w.add_float32, "bool": w.add_bool, "str": w.add_string,
             "arr": w.add_array}[kind](k, value)
        for name, ne, ttype in self.tensors:
            dtype = np.float16 if ttype == "F16" else np.float32
            w.add_tensor(name, np.full(tuple(reversed(ne)), 0.01, dtype=dtype))
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()


def vit_block(m, i, d, ff, qkv_bias=True, ln_bias=True, gate=False, ffn_bias=True):
    b = f"v.blk.{i}."
    for p in ("attn_q", "attn_k", "attn_v", "attn_out"):
        m.t(b + p + ".weight", d, d)
        if qkv_bias:
            m.t(b + p + ".bias", d)
    for p in ("ln1", "ln2"):
        m.t(b + p + ".weight", d)
        if ln_bias:
            m.t(b + p + ".bias", d)
    if gate:
        m.t(b + "ffn_gate.weight", d, ff)
        if ffn_bias:
            m.t(b + "ffn_gate.bias", ff)
    m.t(b + "ffn_up.weight", d, ff)
    if ffn_bias:
        m.t(b + "ffn_up.bias", ff)
    m.t(b + "ffn_down.weight", ff, d)
    if ffn_bias:
        m.t(b + "ffn_down.bias", d)


def build_gemma3():
    # google/gemma-3-4b-it vision_config: SigLIP 896/14, hidden 1152, ff 4304, 27 layers, 16 heads
    m = Mmproj("gemma3-4b-mmproj-2l", "gemma3", "google/gemma-3-4b-it (27 vision blocks -> 2)", "gemma3")
    d, ff, L, patch, size = 1152, 4304, 2, 14, 896
    m.vision(size, patch, d, ff, L, 16, 1e-6, 2560, [0.5] * 3, [0.5] * 3)
    m.key("clip.use_gelu", True)
    n_pos = (size // patch) ** 2
    # Gemma3VisionModel.tensor_force_quant: ".embeddings." -> F32, input_projection -> F16
    m.t("v.patch_embd.weight", patch, patch, 3, d, ttype="F32")
    m.t("v.patch_embd.bias", d)
    m.t("v.position_embd.weight", d, n_pos, ttype="F32")
    for i in range(L):
        vit_block(m, i, d, ff)
    m.t("v.post_ln.weight", d)
    m.t("v.post_ln.bias", d)
    m.t("mm.input_projection.weight", 2560, d, ttype="F16")  # HF [1152, 2560] as stored
    m.t("mm.soft_emb_norm.weight", d)
    m.images = [Image(640, 480, "auto")]
    return m


def build_qwen25vl(name="qwen2.5vl-3b-mmproj-2l", n_layer=2, n_wa_pattern=2, images=None, ff=3420, out=2048):
    # Qwen/Qwen2.5-VL-3B-Instruct vision_config: hidden 1280, ff 3420, depth 32, 16 heads,
    # patch 14, spatial_merge 2, out_hidden 2048, fullatt_block_indexes [7,15,23,31] -> n_wa_pattern 8
    d, L, patch = 1280, n_layer, 14
    like = "Qwen/Qwen2.5-VL-3B-Instruct" + ("" if (L, n_wa_pattern) == (32, 8) else
                                            f" (32 vision blocks -> {L}, n_wa_pattern 8 -> {n_wa_pattern})")
    m = Mmproj(name, "qwen2.5vl_merger", like, "qwen2vl")
    m.vision(560, patch, d, ff, L, 16, 1e-6, out, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD)
    m.key("clip.use_silu", True)
    m.key("clip.vision.n_wa_pattern", n_wa_pattern)
    # Conv3D patch embedding split into two Conv2D (temporal patch 2), F16 (MmprojModel rule)
    m.t("v.patch_embd.weight", patch, patch, 3, d, ttype="F16")
    m.t("v.patch_embd.weight.1", patch, patch, 3, d, ttype="F16")
    for i in range(L):
        vit_block(m, i, d, ff, ln_bias=False, gate=True)  # RMSNorm: no ln bias
    m.t("v.post_ln.weight", d)  # merger.ln_q
    m.t("mm.0.weight", 4 * d, 4 * d)
    m.t("mm.0.bias", 4 * d)
    m.t("mm.2.weight", 4 * d, out)
    m.t("mm.2.bias", out)
    m.dims["n_wa_pattern"] = n_wa_pattern
    m.images = images if images is not None else [
        Image(448, 448, "auto"), Image(896, 896, "auto"), Image(1288, 1288, "auto"), Image(448, 448, "disabled"),
        Image(1792, 1792, "auto", False), Image(1792, 1792, "disabled", False),
        Image(1792, 1792, "auto", False, warmup=True)]
    return m


def build_qwen25vl_whole():
    # every block: the window pattern as released (7 windowed blocks, then a full one, four times); its
    # images are reserved for, not computed (32 blocks at 1792 px would take minutes per encode)
    return build_qwen25vl("qwen2.5vl-3b-mmproj", 32, 8, images=[
        Image(896, 896, "auto", False), Image(1792, 1792, "auto", False), Image(896, 3584, "auto", False),
        Image(1792, 1792, "disabled", False)])


def build_qwen2vl(n_layer=2, ff=5120, out=1536):
    # Qwen/Qwen2-VL-2B-Instruct vision_config: embed_dim 1280, mlp_ratio 4 (fc1 5120), depth 32, 16 heads,
    # patch 14, spatial_merge 2, hidden_size 1536 (the merger's output); LayerNorms, quick GELU, no windows
    d, L, patch = 1280, n_layer, 14
    m = Mmproj(f"qwen2vl-2b-mmproj-{L}l", "qwen2vl_merger", f"Qwen/Qwen2-VL-2B-Instruct (32 vision blocks -> {L})",
               "qwen2vl")
    m.vision(560, patch, d, ff, L, 16, 1e-6, out, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD)
    # the converter writes feed_forward_length = the vision config's hidden_size (1536, the merger's output);
    # clip.cpp sizes the FFN by its tensors
    m.kv = [(k, out if k == "clip.vision.feed_forward_length" else v, kind) for k, v, kind in m.kv]
    m.t("v.patch_embd.weight", patch, patch, 3, d, ttype="F16")
    m.t("v.patch_embd.weight.1", patch, patch, 3, d, ttype="F16")
    for i in range(L):
        vit_block(m, i, d, ff)
    m.t("v.post_ln.weight", d)  # merger.ln_q (LayerNorm)
    m.t("v.post_ln.bias", d)
    m.t("mm.0.weight", 4 * d, 4 * d)
    m.t("mm.0.bias", 4 * d)
    m.t("mm.2.weight", 4 * d, out)
    m.t("mm.2.bias", out)
    m.images = [Image(448, 448, "auto"), Image(448, 448, "disabled"), Image(1792, 1792, "auto", False),
                Image(1792, 1792, "disabled", False)]
    return m


def build_llava(name="llava1.5-7b-mmproj-2l", like="llava-hf/llava-1.5-7b-hf", out=4096, n_layer=2, size=336):
    # llava-hf/llava-1.5-7b-hf: CLIP ViT-L/14-336 (1024 wide, ff 4096, 16 heads), feature layer -2
    # (the converter drops the last block: 23 of 24 written), MLP projector 1024 -> 4096 -> 4096
    m = Mmproj(name, "mlp", f"{like} (23 vision blocks -> {n_layer})", "llama")
    d, ff, L, patch = 1024, 4096, n_layer, 14
    m.vision(size, patch, d, ff, L, 16, 1e-5, out, OPENAI_CLIP_MEAN, OPENAI_CLIP_STD)
    n_pos = (size // patch) ** 2 + 1
    m.t("v.class_embd", d)
    m.t("v.patch_embd.weight", patch, patch, 3, d, ttype="F16")
    m.t("v.position_embd.weight", d, n_pos, ttype="F16")
    m.t("v.pre_ln.weight", d)
    m.t("v.pre_ln.bias", d)
    for i in range(L):
        vit_block(m, i, d, ff)
    m.t("mm.0.weight", d, out)
    m.t("mm.0.bias", out)
    m.t("mm.2.weight", out, out)
    m.t("mm.2.bias", out)
    m.images = [Image(640, 480, "auto")] if out == 4096 else []
    return m


BUILDERS = [
    build_gemma3,
    build_qwen25vl,
    build_qwen25vl_whole,
    build_qwen2vl,
    build_llava,
    # the same tower into a 5120-wide text model (llava-hf/llava-1.5-13b-hf), and into a 2048-wide one (a
    # small LLaVA-style model; no checkpoint meant), where the projector's outputs no longer outgrow an FFN
    lambda: build_llava("llava1.5-13b-mmproj-2l", "llava-hf/llava-1.5-13b-hf", 5120),
    lambda: build_llava("llava-clip336-p2048-mmproj-2l", "CLIP ViT-L/14-336 into a 2048-wide text model", 2048),
]


def copy_header(path, headers):
    """Copies the start of a GGUF file up to its data section into the folder `headers`."""
    offset = gguf.GGUFReader(path).data_offset
    with open(path, "rb") as src, open(os.path.join(headers, os.path.basename(path)), "wb") as dst:
        dst.write(src.read(offset))


def write_text_model(path, arch, n_embd):
    """A one-layer text model of width n_embd: only its n_embd, rope type and vocabulary matter."""
    n_vocab, hd, ff = 512, 128, 256
    n_head = n_embd // hd
    w = gguf.GGUFWriter(path, arch)
    w.add_name(f"{arch}-text-{n_embd}")
    w.add_file_type(gguf.LlamaFileType.MOSTLY_F16)
    w.add_context_length(4096)
    w.add_embedding_length(n_embd)
    w.add_block_count(1)
    w.add_feed_forward_length(ff)
    w.add_head_count(n_head)
    w.add_head_count_kv(1)
    w.add_key_length(hd)
    w.add_value_length(hd)
    w.add_rope_dimension_count(hd)
    w.add_layer_norm_rms_eps(1e-6)
    if arch == "gemma3":
        w.add_sliding_window(1024)
    if arch == "qwen2vl":
        w.add_rope_dimension_sections([16, 24, 24, 0])
    w.add_tokenizer_model("llama")
    # byte tokens: the SPM tokenizer falls back to <0xXX> for text such as "<start_of_image>"
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{i:02X}>" for i in range(256)]
    tokens += [f"<t{i}>" for i in range(len(tokens), n_vocab)]
    w.add_token_list(tokens)
    w.add_token_scores([0.0] * n_vocab)
    w.add_token_types([2, 3, 3] + [6] * 256 + [1] * (n_vocab - 259))
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)

    def mat(name, ne0, ne1):
        w.add_tensor(name, np.full((ne1, ne0), 0.01, dtype=np.float16))

    def vec(name, n):
        w.add_tensor(name, np.ones(n, dtype=np.float32))

    mat("token_embd.weight", n_embd, n_vocab)
    vec("output_norm.weight", n_embd)
    b = "blk.0."
    vec(b + "attn_norm.weight", n_embd)
    mat(b + "attn_q.weight", n_embd, n_head * hd)
    mat(b + "attn_k.weight", n_embd, hd)
    mat(b + "attn_v.weight", n_embd, hd)
    mat(b + "attn_output.weight", n_head * hd, n_embd)
    if arch == "qwen2vl":
        vec(b + "attn_q.bias", n_head * hd)
        vec(b + "attn_k.bias", hd)
        vec(b + "attn_v.bias", hd)
    if arch == "gemma3":
        vec(b + "attn_q_norm.weight", hd)
        vec(b + "attn_k_norm.weight", hd)
        vec(b + "post_attention_norm.weight", n_embd)
        vec(b + "post_ffw_norm.weight", n_embd)
    vec(b + "ffn_norm.weight", n_embd)
    mat(b + "ffn_gate.weight", n_embd, ff)
    mat(b + "ffn_up.weight", n_embd, ff)
    mat(b + "ffn_down.weight", ff, n_embd)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()



# --------------------------------------------------------------------------
# logging: llama.cpp/ggml (llama_log_set) and clip.cpp (mtmd_log_set)
# --------------------------------------------------------------------------







NUM = r"([\d.]+)"
RE = {
    "tensor": re.compile(r"tensor\[\d+\]: n_dims = \d+, name = (\S+), tensor_size=(\d+),"),
    "model": re.compile(r"model size:\s+" + NUM + " MiB"),
    "compute": re.compile(r"(\S+) compute buffer size =\s+" + NUM + " MiB"),
    "warmup": re.compile(r"warmup with image size = (\d+) x (\d+)"),
    "graph": re.compile(r"graph splits = (\d+), nodes = (\d+)"),
    "fa": re.compile(r"flash attention is (enabled|disabled)"),
    "realloc": re.compile(r"reallocating (\S+) buffer from size " + NUM + " MiB to " + NUM + " MiB"),
}
KEEP = re.compile(r"MiB|warmup|flash attention|graph splits|projector:|n_merge|image_(min|max)_pixels|"
                  r"n_wa_pattern|image_size|patch_size|n_embd|n_layer|encoding image|image slice")




def parse(lines):
    out = {"compute": [], "warmup": None, "graph": [], "flash_attn": [], "realloc": []}
    tensor_bytes, model_mib = {}, None
    for _, line in lines:
        if (m := RE["tensor"].search(line)):
            tensor_bytes[m.group(1)] = int(m.group(2))
        if (m := RE["model"].search(line)):
            model_mib = m.group(1)
        if (m := RE["compute"].search(line)):
            out["compute"].append((m.group(1), m.group(2)))
        if (m := RE["warmup"].search(line)):
            out["warmup"] = int(m.group(1))
        if (m := RE["graph"].search(line)):
            out["graph"].append({"splits": int(m.group(1)), "nodes": int(m.group(2))})
        if (m := RE["fa"].search(line)):
            out["flash_attn"].append(m.group(1))
        if (m := RE["realloc"].search(line)):
            out["realloc"].append(line.strip())
    out["tensor_bytes"], out["model_mib"] = tensor_bytes, model_mib
    return out


# --------------------------------------------------------------------------
# loading and encoding
# --------------------------------------------------------------------------


def traced_reservations(path):
    """The exact buffer bytes after each reservation the preloaded tracer recorded, oldest first."""
    if not os.path.exists(path):
        return []
    with open(path) as fh:
        return [json.loads(line)["buffer_bytes"] for line in fh if line.strip()]


def ctx_params(flash, warmup):
    p = mtmd.mtmd_context_params_default()
    p.use_gpu = False
    p.print_timings = True
    p.n_threads = os.cpu_count() or 1
    p.flash_attn_type = FA[flash]
    p.warmup = warmup
    return p


def encode(ctx, width, height):
    """Tokenizes one solid-colour image and encodes its image chunk; returns what the chunk reports."""
    rgb = np.empty((height, width, 3), dtype=np.uint8)
    rgb[...] = (200, 120, 40)
    data = rgb.ctypes.data_as(ctypes.POINTER(ctypes.c_uint8))
    bitmap = mtmd.mtmd_bitmap_init(width, height, data)
    chunks = mtmd.mtmd_input_chunks_init()
    marker = mtmd.mtmd_default_marker()
    text = mtmd.mtmd_input_text(marker, len(marker), False, True)
    bitmaps = (mtmd.mtmd_bitmap_p_ctypes * 1)(bitmap)
    info = {"width": width, "height": height}
    rc = mtmd.mtmd_tokenize(ctx, chunks, ctypes.byref(text), bitmaps, 1)
    if rc != 0:
        info["error"] = f"mtmd_tokenize returned {rc}"
    else:
        for i in range(mtmd.mtmd_input_chunks_size(chunks)):
            chunk = mtmd.mtmd_input_chunks_get(chunks, i)
            if mtmd.mtmd_input_chunk_get_type(chunk) != mtmd.MTMD_INPUT_CHUNK_TYPE_IMAGE:
                continue
            tok = mtmd.mtmd_input_chunk_get_tokens_image(chunk)
            info["n_tokens"] = int(mtmd.mtmd_image_tokens_get_n_tokens(tok))
            info["tokens_nx"] = int(mtmd.mtmd_image_tokens_get_nx(tok))
            info["tokens_ny"] = int(mtmd.mtmd_image_tokens_get_ny(tok))
            t0 = time.time()
            rc = mtmd.mtmd_encode_chunk(ctx, chunk)
            info["encode_seconds"] = round(time.time() - t0, 1)
            if rc != 0:
                info["error"] = f"mtmd_encode_chunk returned {rc}"
    mtmd.mtmd_input_chunks_free(chunks)
    mtmd.mtmd_bitmap_free(bitmap)
    return info


def run_load(path, text_model, flash, warmup, image, computed, trace):
    """One mtmd context: load (warmup or not), optionally one image; computed=False reserves for the image
    without running the graph (the preloaded tracer skips ggml_backend_sched_graph_compute)."""
    take_log()
    if os.path.exists(trace):
        os.remove(trace)
    os.environ["GGML_ALLOC_TRACE"] = trace
    ctx = mtmd.mtmd_init_from_file(path.encode(), text_model, ctx_params(flash, warmup))
    row = {"flash_attn": flash, "warmup": warmup}
    if not ctx:
        lines = take_log()
        row["error"] = "mtmd_init_from_file returned NULL"
        row["error_log"] = [ln for lv, ln in lines if lv in ("ERROR", "WARN")][-20:]
        return row, lines
    init_lines = take_log()
    enc_lines = []
    if image is not None:
        os.environ["GGML_ALLOC_TRACE_NO_COMPUTE"] = "0" if computed else "1"
        row["image"] = encode(ctx, *image)
        row["image"]["computed"] = computed
        os.environ["GGML_ALLOC_TRACE_NO_COMPUTE"] = "0"
        enc_lines = take_log()
    mtmd.mtmd_free(ctx)
    take_log()
    lines = init_lines + enc_lines
    p = parse(lines)
    reservations = traced_reservations(trace)
    # side of the square image the compute buffer was last sized for: the warmup size, or the preprocessed
    # size of the encoded image when there was no warmup or the image needed more (filled in by main())
    row["image_size"] = p["warmup"] if warmup else None
    row["warmup_image_size"] = p["warmup"]
    row["buffers"] = {
        "model": mib_bytes(p["model_mib"]) if p["model_mib"] else 0,
        "compute": sum(mib_bytes(s) for _, s in p["compute"][-1:]),
        # the CPU buffer ggml's allocator holds after the load's last reservation
        "compute_exact": reservations[-1][0] if reservations else None,
    }
    row["reservations"] = [r[0] for r in reservations]
    row["buffers_mib"] = {"model": p["model_mib"], "compute": [s for _, s in p["compute"]]}
    row["graph"] = p["graph"]
    row["flash_attn_used"] = p["flash_attn"][-1] if p["flash_attn"] else None
    if p["realloc"]:
        row["realloc"] = p["realloc"]
    row["log"] = [ln for lv, ln in lines if lv in ("WARN", "ERROR") or KEEP.search(ln)]
    return row, lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--work", default="target/llama-cpp-mmproj", help="where GGUF files are written")
    parser.add_argument("--only", nargs="*", help="projector types to measure (default: all)")
    parser.add_argument("--no-encode", action="store_true", help="skip the image encodes")
    parser.add_argument("--headers", help="copy each written file's header (up to its data) into this folder")
    parser.add_argument("--no-load", action="store_true", help="only write the files (and headers)")
    parser.add_argument("--graphs", action="store_true", help="keep each load's allocator trace with the graphs "
                        "under WORK/graphs/, for tests/bench/ggml_alloc_replay.py")
    args = parser.parse_args()
    os.makedirs(args.work, exist_ok=True)
    if args.headers:
        os.makedirs(args.headers, exist_ok=True)
    preload_trace(args.work)
    if args.graphs:
        os.makedirs(os.path.join(args.work, "graphs"), exist_ok=True)
        os.environ["GGML_ALLOC_TRACE_GRAPH"] = "1"
    llama_cpp.llama_log_set(_log, ctypes.c_void_p(0))
    mtmd.mtmd_log_set(_log, ctypes.c_void_p(0))
    llama_cpp.llama_backend_init()
    started = time.time()
    result = {
        "source": f"llama-cpp-python {llama_cpp.__version__} (llama.cpp {LLAMA_CPP}), "
        f"gguf {importlib.metadata.version('gguf')}, CPU, tools/mtmd via llama_cpp.mtmd_cpp",
        "script": "tests/bench/llama_cpp_mmproj.py",
        "date": time.strftime("%Y-%m-%d"),
        "units": "bytes. buffers.model is clip.cpp's 'model size' line (sum of ggml_nbytes over all "
        "tensors, 2 decimals: +-5243 bytes); model_tensor_bytes is the exact sum of the per-tensor DEBUG "
        "sizes. buffers.compute is the last 'CPU compute buffer size' line of the load (2 decimals); "
        "buffers.compute_exact is the same buffer's exact size (ggml_gallocr_get_buffer_size after the load's "
        "last reservation, recorded by tests/bench/ggml_alloc_trace.c); reservations lists it after each one.",
        "models": [],
    }
    for builder in BUILDERS:
        m = builder()
        if args.only and m.projector_type not in args.only:
            continue
        path = os.path.join(args.work, f"mmproj-{m.name}-f16.gguf")
        text_path = os.path.join(args.work, f"text-{m.text_arch}-{m.dims['proj_dim']}.gguf")
        m.write(path)
        write_text_model(text_path, m.text_arch, m.dims["proj_dim"])
        if args.headers:
            copy_header(path, args.headers)
            copy_header(text_path, args.headers)
        if args.no_load:
            continue
        take_log()
        mp = llama_cpp.llama_model_default_params()
        mp.n_gpu_layers = 0
        text_model = llama_cpp.llama_model_load_from_file(text_path.encode(), mp)
        take_log()
        entry = {
            "name": m.name,
            "projector_type": m.projector_type,
            "like": m.like,
            "text_model": {"arch": m.text_arch, "n_embd": m.dims["proj_dim"]},
            "dims": m.dims,
            "file_bytes": os.path.getsize(path),
            "metadata": metadata_of(path),
            "tensors": [{"name": n, "shape": ne, "type": t} for n, ne, t in m.tensors],
            "loads": [],
        }
        result["models"].append(entry)
        if not text_model:
            entry["error"] = "text model failed to load"
            continue
        plan = [("auto", True, None, True), ("disabled", True, None, True)]
        if not args.no_encode:
            plan += [(i.flash, i.warmup, (i.width, i.height), i.computed) for i in m.images]
        for flash, warmup, image, computed in plan:
            trace = os.path.join(args.work, "alloc-trace.jsonl")
            if args.graphs:
                size = "x".join(map(str, image)) if image else "warmup"
                load = f"{m.name}-fa-{flash}-{'warm-' if warmup else ''}{size}"
                trace = os.path.join(args.work, "graphs", load + ".jsonl")
            row, lines = run_load(path, text_model, flash, warmup, image, computed, trace)
            img = row.get("image", {})
            if image is not None and "tokens_nx" in img:
                if m.projector_type in ("qwen2.5vl_merger", "qwen2vl_merger"):  # tokens grid x patch x n_merge (2)
                    w, h = img["tokens_nx"] * m.dims["patch"] * 2, img["tokens_ny"] * m.dims["patch"] * 2
                else:  # fixed_size preprocessors resize every image to clip.vision.image_size
                    w = h = m.dims["image_size"]
                if not warmup or len(row["reservations"]) > 1:
                    row["image_size"] = w if w == h else [w, h]
            if "model_tensor_bytes" not in entry:
                tb = parse(lines)["tensor_bytes"]
                if tb:
                    entry["model_tensor_bytes"] = sum(tb.values())
                    entry["model_tensor_bytes_pad32"] = sum((b + 31) // 32 * 32 for b in tb.values())
            entry["loads"].append(row)
            print(f"{m.name:24s} fa={flash:8s} warmup={int(warmup)} image={image} -> "
                  + (row.get("error", "") or f"size={row['image_size']} model={row['buffers']['model']} "
                     f"compute={row['buffers']['compute']} exact={row['buffers']['compute_exact']} "
                     f"mib={row['buffers_mib']['compute']} "
                     f"fa_used={row['flash_attn_used']} {row.get('image', '')}"), flush=True)
            with open(args.out, "w") as fh:
                json.dump(result, fh, indent=1, sort_keys=True)
        llama_cpp.llama_model_free(text_model)
        take_log()
    if args.no_load:
        return 0
    result["seconds"] = round(time.time() - started, 1)
    with open(args.out, "w") as fh:
        json.dump(result, fh, indent=1, sort_keys=True)
        fh.write("\n")


if __name__ == "__main__":
    sys.exit(main())
