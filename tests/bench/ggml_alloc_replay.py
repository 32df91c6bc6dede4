#!/usr/bin/env python3
"""Replays ggml's graph allocator on a traced graph and shows its high-water mark.

ggml/src/ggml-alloc.c (llama.cpp 0c1e570) places a graph's tensors in one
buffer: leafs and inputs first, then every node in order, each in the
best-fitting free block (sizes rounded up to 32 bytes, the CPU alignment)
or, for ops that may run in place, over a parent that has no other reader;
a tensor is freed after its last reader. The buffer is the highest address
that placement reaches. This script does the same on the graphs
tests/bench/ggml_alloc_trace.c dumps (GGML_ALLOC_TRACE_GRAPH=1; see
`llama_cpp_mmproj.py --graphs`), checks its size against the one ggml
reported, and prints what lies under the mark when it is reached: the live
tensors and the holes between them. That is where a closed form for a new
CLIP graph starts (src/estimate/clip.rs).

    python3 tests/bench/ggml_alloc_replay.py target/llama-cpp-mmproj/graphs/<load>.jsonl
"""
import json
import sys

ALIGN = 32
# ggml_op_can_inplace; GGML_OP_UNARY appears under its unary op's name (ggml_op_desc)
INPLACE = {"FILL", "SCALE", "DIAG_MASK_ZERO", "DIAG_MASK_INF", "ADD", "ADD_ID", "ADD1", "SUB", "MUL", "DIV", "SQR",
           "SQRT", "LOG", "ROPE", "ROPE_BACK", "SILU_BACK", "RMS_NORM", "RMS_NORM_BACK", "CLAMP", "SOFT_MAX",
           "SOFT_MAX_BACK", "ABS", "SGN", "NEG", "STEP", "TANH", "ELU", "RELU", "SIGMOID", "GELU", "GELU_QUICK",
           "SILU", "HARDSWISH", "HARDSIGMOID", "EXP", "GELU_ERF", "XIELU", "FLOOR", "CEIL", "ROUND", "TRUNC",
           "EXPM1", "SOFTPLUS"}
INPUT, OUTPUT = 1, 2


def aligned(n):
    return (n + ALIGN - 1) // ALIGN * ALIGN


class Buffer:
    """ggml_dyn_tallocr with one chunk: sorted free blocks, the last one unbounded."""

    def __init__(self):
        self.free = [[0, 1 << 62]]
        self.max = 0
        self.live = {}  # label -> (offset, size)
        self.at_max = ({}, [])  # live tensors and holes when max last grew

    def alloc(self, size, label):
        size = aligned(size)
        best, best_size = None, None
        for i, (_, s) in enumerate(self.free[:-1]):  # best fit, the last block only as a fallback
            if s >= size and (best_size is None or s <= best_size):
                best, best_size = i, s
        if best is None:
            best = len(self.free) - 1
        offset, s = self.free[best]
        self.free[best] = [offset + size, s - size]
        if s == size:
            del self.free[best]
        self.live[label] = (offset, size)
        if offset + size > self.max:
            self.max = offset + size
            self.at_max = (dict(self.live), [tuple(b) for b in self.free[:-1]])
        return offset

    def release(self, offset, size):
        size = aligned(size)
        blocks = self.free
        for i, b in enumerate(blocks):
            if b[0] + b[1] == offset:  # after this block
                b[1] += size
                if i + 1 < len(blocks) and b[0] + b[1] == blocks[i + 1][0]:
                    b[1] += blocks[i + 1][1]
                    del blocks[i + 1]
                return
            if offset + size == b[0]:  # before it
                b[0], b[1] = offset, b[1] + size
                if i > 0 and blocks[i - 1][0] + blocks[i - 1][1] == b[0]:
                    blocks[i - 1][1] += b[1]
                    del blocks[i]
                return
        i = 0
        while i < len(blocks) and blocks[i][0] < offset:
            i += 1
        blocks.insert(i, [offset, size])


def replay(graph):
    """Places the graph as ggml_gallocr_alloc_graph_impl does; returns the Buffer."""
    t = {x["id"]: x for x in graph["leafs"] + graph["nodes"]}
    state = {}
    buf = Buffer()

    def st(i):
        return state.setdefault(i, {"children": 0, "views": 0, "own": False, "offset": None})

    def label(x):
        return f'{x["name"] or "?"} [{x["op"]} {x["type"]} {"x".join(map(str, x["ne"]))}] {x["id"][-6:]}'

    def same_layout(a, b):
        return a["type"] == b["type"] and a["ne"] == b["ne"] and a["nb"] == b["nb"]

    def reuse(x, parent, src):
        s, p = st(x["id"]), st(src["id"])
        s["offset"] = p["offset"]
        st(parent["id"])["own"] = p["own"] = False
        buf.live[label(x)] = buf.live.pop(label(src))
        if aligned(src["nbytes"]) > aligned(x["nbytes"]):  # ggml_gallocr_free_extra_space
            buf.release(p["offset"] + aligned(x["nbytes"]), aligned(src["nbytes"]) - aligned(x["nbytes"]))

    def allocate(x):
        s = st(x["id"])
        if x["ext"] or s["own"] or x["view_src"]:
            return
        s["own"] = True
        if x["op"] in INPLACE:
            for i in filter(None, x["src"]):
                parent, p = t[i], st(i)
                if not p["own"] or parent["ext"] or parent["flags"] & OUTPUT:
                    continue
                if parent["view_src"] and t[parent["view_src"]]["flags"] & OUTPUT:
                    continue
                if not same_layout(x, parent) or p["children"] != 1 or p["views"] != 0:
                    continue
                if parent["view_src"]:
                    src = t[parent["view_src"]]
                    v = st(src["id"])
                    if v["views"] == 1 and v["children"] == 0 and parent.get("view_offs", 0) == 0:
                        return reuse(x, parent, src)
                else:
                    return reuse(x, parent, parent)
        s["offset"] = buf.alloc(x["nbytes"], label(x))

    def free(x):
        if x["flags"] & OUTPUT:
            return
        s = st(x["id"])
        buf.live.pop(label(x), None)
        buf.release(s["offset"], x["nbytes"])
        s["own"] = False

    for leaf in graph["leafs"]:
        allocate(leaf)
    for node in graph["nodes"]:
        if node["view_src"] and node["op"] != "NONE":
            st(node["view_src"])["views"] += 1
        if node["flags"] & INPUT:
            allocate(node)
        for i in filter(None, node["src"]):
            st(i)["children"] += 1
            if t[i]["flags"] & INPUT:
                allocate(t[i])
    for node in graph["nodes"]:
        for i in filter(None, node["src"]):
            allocate(t[i])
        allocate(node)
        for i in filter(None, node["src"]):
            parent, p = t[i], st(i)
            p["children"] -= 1
            if p["children"] or p["views"]:
                continue
            if parent["view_src"]:
                src = t[parent["view_src"]]
                v = st(src["id"])
                v["views"] -= 1
                if v["views"] == 0 and v["children"] == 0 and v["own"]:
                    free(src)
            elif p["own"]:
                free(parent)
    return buf


def main():
    for path in sys.argv[1:]:
        with open(path) as fh:
            for k, line in enumerate(fh):
                graph = json.loads(line)
                if "nodes" not in graph:
                    continue
                buf = replay(graph)
                ggml = graph["buffer_bytes"][0]
                print(f"{path} #{k}: {graph['n_nodes']} nodes, replay {buf.max} bytes, ggml {ggml}"
                      + ("" if buf.max == ggml else "  MISMATCH"))
                live, holes = buf.at_max
                rows = [(o, s, name) for name, (o, s) in live.items()] + [(o, s, "(hole)") for o, s in holes]
                for o, s, name in sorted(rows):
                    print(f"  {o:>13} {s:>13}  {name}")


if __name__ == "__main__":
    main()
