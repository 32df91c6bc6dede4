// What ggml's graph allocator does, for the llama.cpp measuring scripts.
//
// clip.cpp logs its compute buffer in MiB with two decimals (+-5243 bytes);
// this LD_PRELOAD library wraps ggml_gallocr_reserve_n (libggml-base calls
// it through its PLT, from ggml_backend_sched_reserve and _alloc_graph) and
// appends one JSON line per reservation to $GGML_ALLOC_TRACE: the exact
// bytes the allocator asked for per buffer, and with GGML_ALLOC_TRACE_GRAPH=1
// the graph it sized (every node and leaf: op, type, shape, strides, flags,
// sources, view source), enough to replay ggml-alloc.c's allocation and see
// which tensors are live at its peak (tests/bench/ggml_alloc_replay.py).
//
//   gcc -O2 -shared -fPIC -I <site-packages>/include -o trace.so ggml_alloc_trace.c -ldl
//
// Built and preloaded by tests/bench/llama_cpp_mmproj.py; nothing else.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml.h"
#include "ggml-alloc.h"
#include "ggml-backend.h"

// The head of ggml-impl.h's struct ggml_cgraph (unchanged since 2024).
struct cgraph_head {
    int size;
    int n_nodes;
    int n_leafs;
    struct ggml_tensor ** nodes;
    struct ggml_tensor ** grads;
    struct ggml_tensor ** grad_accs;
    struct ggml_tensor ** leafs;
};

typedef bool (*reserve_n_fn)(ggml_gallocr_t, struct ggml_cgraph *, const int *, const int *);

static void tensor_json(FILE * f, const struct ggml_tensor * t) {
    fprintf(f, "{\"id\":\"%p\",\"name\":\"", (const void *) t);
    for (const char * c = t->name; *c; c++) {
        if (*c == '"' || *c == '\\') {
            fputc('\\', f);
        }
        fputc(*c, f);
    }
    fprintf(f, "\",\"op\":\"%s\",\"type\":\"%s\",\"flags\":%d,\"ext\":%d,\"nbytes\":%zu,",
            ggml_op_desc(t), ggml_type_name(t->type), t->flags,
            (t->data != NULL || t->buffer != NULL) ? 1 : 0, ggml_nbytes(t));
    fprintf(f, "\"ne\":[%lld,%lld,%lld,%lld],\"nb\":[%zu,%zu,%zu,%zu],",
            (long long) t->ne[0], (long long) t->ne[1], (long long) t->ne[2], (long long) t->ne[3],
            t->nb[0], t->nb[1], t->nb[2], t->nb[3]);
    if (t->view_src) {
        fprintf(f, "\"view_src\":\"%p\",\"view_offs\":%zu,\"src\":[", (const void *) t->view_src, t->view_offs);
    } else {
        fprintf(f, "\"view_src\":null,\"src\":[");
    }
    int first = 1;
    for (int j = 0; j < GGML_MAX_SRC; j++) {
        fprintf(f, "%s", first ? "" : ",");
        first = 0;
        if (t->src[j]) {
            fprintf(f, "\"%p\"", (const void *) t->src[j]);
        } else {
            fprintf(f, "null");
        }
    }
    fprintf(f, "]}");
}

bool ggml_gallocr_reserve_n(ggml_gallocr_t galloc, struct ggml_cgraph * graph, const int * node_buffer_ids,
                            const int * leaf_buffer_ids) {
    static reserve_n_fn real = NULL;
    if (!real) {
        real = (reserve_n_fn) dlsym(RTLD_NEXT, "ggml_gallocr_reserve_n");
    }
    const char * path = getenv("GGML_ALLOC_TRACE");
    if (!path || !*path) {
        return real(galloc, graph, node_buffer_ids, leaf_buffer_ids);
    }
    // the graph as the allocator receives it (before it is sized)
    const struct cgraph_head * g = (const struct cgraph_head *) graph;
    char * dump = NULL;
    size_t dump_len = 0;
    const char * want_graph = getenv("GGML_ALLOC_TRACE_GRAPH");
    if (want_graph && *want_graph == '1') {
        FILE * m = open_memstream(&dump, &dump_len);
        fprintf(m, ",\"leafs\":[");
        for (int i = 0; i < g->n_leafs; i++) {
            fprintf(m, "%s", i ? "," : "");
            tensor_json(m, g->leafs[i]);
        }
        fprintf(m, "],\"nodes\":[");
        for (int i = 0; i < g->n_nodes; i++) {
            fprintf(m, "%s", i ? "," : "");
            tensor_json(m, g->nodes[i]);
        }
        fprintf(m, "],\"node_buffer_ids\":[");
        for (int i = 0; node_buffer_ids && i < g->n_nodes; i++) {
            fprintf(m, "%s%d", i ? "," : "", node_buffer_ids[i]);
        }
        fprintf(m, "]");
        fclose(m);
    }
    bool ok = real(galloc, graph, node_buffer_ids, leaf_buffer_ids);
    int n_buffers = 1;
    for (int i = 0; node_buffer_ids && i < g->n_nodes; i++) {
        if (node_buffer_ids[i] + 1 > n_buffers) {
            n_buffers = node_buffer_ids[i] + 1;
        }
    }
    FILE * f = fopen(path, "a");
    if (f) {
        fprintf(f, "{\"ok\":%d,\"n_nodes\":%d,\"n_leafs\":%d,\"buffer_bytes\":[", ok ? 1 : 0, g->n_nodes,
                g->n_leafs);
        for (int i = 0; i < n_buffers; i++) {
            fprintf(f, "%s%zu", i ? "," : "", ggml_gallocr_get_buffer_size(galloc, i));
        }
        fprintf(f, "]%s}\n", dump ? dump : "");
        fclose(f);
    }
    free(dump);
    return ok;
}

// With GGML_ALLOC_TRACE_NO_COMPUTE=1 a scheduled graph is allocated but not
// run: an image encode then only sizes its buffer (the output is garbage), so
// large images cost no encode time while exploring.
typedef enum ggml_status (*graph_compute_fn)(ggml_backend_sched_t, struct ggml_cgraph *);

enum ggml_status ggml_backend_sched_graph_compute(ggml_backend_sched_t sched, struct ggml_cgraph * graph) {
    static graph_compute_fn real = NULL;
    if (!real) {
        real = (graph_compute_fn) dlsym(RTLD_NEXT, "ggml_backend_sched_graph_compute");
    }
    const char * skip = getenv("GGML_ALLOC_TRACE_NO_COMPUTE");
    if (skip && *skip == '1') {
        return GGML_STATUS_SUCCESS; // clip.cpp allocated the graph already
    }
    return real(sched, graph);
}
