"""What the llama.cpp measuring scripts share: reading a GGUF file's
metadata as JSON values, capturing llama.cpp's (and clip.cpp's) log through
the llama-cpp-python callback, turning the MiB figures it prints into
bytes, and preloading the allocator tracer (ggml_alloc_trace.c). Imported
by llama_cpp_hybrid.py, llama_cpp_mmproj.py and llama_cpp_graph.py."""
import os
import subprocess
import sys

import gguf
import llama_cpp

MIB = 1024 * 1024

# ggml_log_level in the vendored ggml.h (llama-cpp-python's _logger.py still
# has the old order); 5 continues the previous line's level.
LEVELS = {0: "NONE", 1: "DEBUG", 2: "INFO", 3: "WARN", 4: "ERROR", 5: "CONT"}
LOG = []
_last_level = [2]


def _f32(value):
    """A stored f32 without float64 noise."""
    return float(f"{value:.7g}") if isinstance(value, float) else value


def metadata_of(path):
    """Every key/value of a GGUF file except tokenizer arrays, as JSON values."""
    out = {}
    for field in gguf.GGUFReader(path).fields.values():
        if field.name.startswith("GGUF."):
            continue
        if field.name.startswith("tokenizer.") and field.types and field.types[0] == gguf.GGUFValueType.ARRAY:
            continue
        value = field.contents()
        out[field.name] = [_f32(v) for v in value] if isinstance(value, list) else _f32(value)
    return out


@llama_cpp.llama_log_callback
def log_callback(level, text, _user):
    """Collects every log line; pass to llama_log_set / mtmd_log_set."""
    if level == 5:
        level = _last_level[0]
    else:
        _last_level[0] = level
    LOG.append((LEVELS.get(level, str(level)), text.decode("utf-8", "replace")))


def take_log():
    """The lines logged since the last call, as (level, line), with continuations joined."""
    merged = []
    for level, text in LOG:
        if merged and not merged[-1][1].endswith("\n"):
            merged[-1] = (merged[-1][0], merged[-1][1] + text)
        else:
            merged.append((level, text))
    LOG.clear()
    return [(lv, ln.rstrip()) for lv, t in merged for ln in t.splitlines() if ln.strip()]


def mib_bytes(s):
    """Bytes from a MiB figure printed with 2 (or 4) decimals: exact only to +-0.005 (0.00005) MiB."""
    return int(round(float(s) * MIB))


TRACE_SOURCE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "ggml_alloc_trace.c")


def preload_trace(work):
    """Builds ggml_alloc_trace.c against the venv's ggml and re-executes this script with it preloaded."""
    so = os.path.abspath(os.path.join(work, "ggml_alloc_trace.so"))
    if so in os.environ.get("LD_PRELOAD", "").split(":"):
        return so
    lib = os.path.join(os.path.dirname(llama_cpp.__file__), "lib")
    include = os.path.join(os.path.dirname(os.path.dirname(llama_cpp.__file__)), "include")
    if not os.path.exists(so) or os.path.getmtime(so) < os.path.getmtime(TRACE_SOURCE):
        subprocess.run(["gcc", "-O2", "-Wall", "-shared", "-fPIC", "-I", include, "-o", so, TRACE_SOURCE,
                        "-L", lib, f"-Wl,-rpath,{lib}", "-lggml-base", "-ldl"], check=True)
    env = dict(os.environ, LD_PRELOAD=":".join(filter(None, [so, os.environ.get("LD_PRELOAD")])))
    os.execve(sys.executable, [sys.executable] + sys.argv, env)
