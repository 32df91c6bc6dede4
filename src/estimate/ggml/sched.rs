//! ggml's backend scheduler (`ggml/src/ggml-backend.cpp`,
//! `ggml_backend_sched_split_graph`, llama.cpp 0c1e570): which device runs
//! each node of the graph, and the copies of tensors a device reads from
//! another, which live in the reading device's compute buffer.
//!
//! Assignment, as the scheduler's passes do it:
//! 1. inputs run on the CPU; llama.cpp pins layer norms to their layer's
//!    device (see [`Placement::pin_norms`]); a node writing into the KV cache runs where the
//!    cache is; a node that uses a weight runs where the weight is — unless
//!    the weight is in host memory, the op's batch is 32 rows or more and a
//!    GPU is present: then the first GPU runs it and the weight is copied to
//!    it (`offload_op`; llama.cpp's `--no-op-offload` turns this off);
//! 2. the other nodes take the GPU of the nearest assigned node before
//!    them, else after them, else the CPU of either side; views go with
//!    their source.
//!
//! Then consecutive nodes of one device form a split; a split starts anew
//! at a weight from another device. Each tensor a split reads from another
//! device gets one copy per device, placed at the start of the first split
//! that needs it and freed after its last reader. With pipeline parallelism
//! (`n_copies` > 1) every such copy and every graph input exists `n_copies`
//! times and none is ever freed.

use super::alloc::{Graph, Layout, Node, Srcs};
use super::graph::{Home, LGraph};

/// The CPU (host memory) is device 0; GPUs are 1, 2, …
pub const HOST: usize = 0;

/// Where each part of the model lives.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Placement {
    /// Device of each layer's weights, by position in the graph's layers.
    pub layer: Vec<usize>,
    /// Device of each layer's expert weights (`--n-cpu-moe`, `-ot exps=CPU`).
    pub experts: Vec<usize>,
    /// Device of each layer's KV cache (`-nkvo`: the host).
    pub kv: Vec<usize>,
    /// Device of the output norm and projection.
    pub output: usize,
    /// Devices, the host included.
    pub n_devices: usize,
    /// `LLAMA_SCHED_MAX_COPIES` when llama.cpp pipelines several GPUs, else 1.
    pub n_copies: usize,
    pub op_offload: bool,
    /// llama.cpp pins each layer's RMS-norm nodes to the layer's device
    /// when every layer is offloaded or the batch is under 32 tokens
    /// (`llama_context::graph_get_cb`); otherwise the scheduler places
    /// them by their neighbours.
    pub pin_norms: bool,
}

/// Devices of every tensor of `g`.
fn assign(g: &LGraph, p: &Placement) -> Vec<usize> {
    const NONE: usize = usize::MAX;
    let gpus = p.n_devices > 1;
    let mut dev = vec![NONE; g.tensors.len()];
    for &l in &g.leafs {
        dev[l] = match g.tensors[l].home {
            Home::Input | Home::Node => HOST,
            Home::Weight { embd: true, .. } => HOST,
            Home::Weight {
                layer: Some(il),
                experts,
                ..
            } => {
                if experts {
                    p.experts[il]
                } else {
                    p.layer[il]
                }
            }
            Home::Weight { layer: None, .. } => p.output,
            Home::Kv(il) => p.kv[il],
        };
    }
    // Pass 1: KV writers and readers' views, weight users.
    for &n in &g.nodes {
        let t = &g.tensors[n];
        if let Home::Kv(il) = t.home {
            dev[n] = p.kv[il];
            continue;
        }
        if t.view_op {
            continue;
        }
        if let (true, "norm", Some(il)) = (p.pin_norms, t.name, t.layer) {
            dev[n] = p.layer[il];
            continue;
        }
        if let Some(w) = t
            .src
            .iter()
            .find(|&s| matches!(g.tensors[s].home, Home::Weight { .. }))
        {
            let d = dev[w];
            dev[n] = if d == HOST && gpus && p.op_offload && t.offloadable {
                1
            } else {
                d
            };
        }
    }
    // Pass 2: expand GPUs down then up, then anything down then up.
    let order: Vec<usize> = g
        .nodes
        .iter()
        .copied()
        .filter(|&n| !g.tensors[n].view_op)
        .collect();
    for gpu_only in [true, false] {
        for reverse in [false, true] {
            let mut cur = NONE;
            let mut visit = |n: usize, dev: &mut Vec<usize>| {
                if dev[n] != NONE {
                    cur = if gpu_only && dev[n] == HOST {
                        NONE
                    } else {
                        dev[n]
                    };
                } else if cur != NONE {
                    dev[n] = cur;
                }
            };
            if reverse {
                order.iter().rev().for_each(|&n| visit(n, &mut dev));
            } else {
                order.iter().for_each(|&n| visit(n, &mut dev));
            }
        }
    }
    for &n in &g.nodes {
        if dev[n] == NONE {
            dev[n] = g.tensors[n].view_of.map_or(HOST, |v| dev[v]);
        }
    }
    dev
}

/// The allocator's graph: `g` on the devices of `p`, with the scheduler's
/// copies. Buffers are indexed by device.
pub fn schedule(g: &LGraph, p: &Placement) -> Graph {
    let dev = assign(g, p);
    let copies_n = p.n_copies.max(1);
    let pipeline = copies_n > 1;
    let node = |i: usize| -> Node {
        let t = &g.tensors[i];
        Node {
            bytes: t.bytes,
            buffer: dev[i],
            layout: t.layout,
            src: t.src,
            view_of: t.view_of,
            inplace: t.inplace,
            input: t.home == Home::Input,
            output: t.output || (pipeline && t.home == Home::Input),
            external: matches!(t.home, Home::Weight { .. } | Home::Kv(_)),
            copy_of: None,
        }
    };
    let mut out = Graph {
        tensors: (0..g.tensors.len()).map(node).collect(),
        leafs: vec![],
        nodes: vec![],
    };
    let mut copy_leafs = Vec::new();
    // (tensor, device) → its copy there; a few dozen entries at most.
    let mut copy_of: Vec<((usize, usize), usize)> = Vec::new();
    let mut input_copied: Vec<bool> = vec![false; g.tensors.len()];

    // Splits: runs of non-view nodes on one device; a weight from another
    // device starts a new one once the split has inputs.
    let mut i = 0;
    let nodes = &g.nodes;
    while i < nodes.len() {
        let d = split_device(g, &dev, nodes, i);
        let mut j = i;
        let mut pre = Vec::new();
        let mut body = Vec::new();
        let mut has_inputs = false;
        while j < nodes.len() {
            let n = nodes[j];
            let t = &g.tensors[n];
            if !t.view_op {
                if dev[n] != d {
                    break;
                }
                let foreign_weight = t
                    .src
                    .iter()
                    .any(|s| matches!(g.tensors[s].home, Home::Weight { .. }) && dev[s] != d);
                if foreign_weight && has_inputs && j > i {
                    break;
                }
                let mut src = t.src;
                for (k, s) in t.src.iter().enumerate() {
                    if pipeline && g.tensors[s].home == Home::Input && !input_copied[s] {
                        input_copied[s] = true;
                        for _ in 1..copies_n {
                            let c = out.tensors.len();
                            let mut x = node(s);
                            x.output = true;
                            x.src = Srcs::default();
                            x.copy_of = Some(s);
                            out.tensors.push(x);
                            copy_leafs.push(c);
                        }
                    }
                    if dev[s] == d {
                        continue;
                    }
                    let key = (s, d);
                    if let Some(&(_, c)) = copy_of.iter().find(|(k, _)| *k == key) {
                        src.set(k, c);
                        continue;
                    }
                    has_inputs = true;
                    // The source stays alive until the copy is made: a
                    // reader of it on its own device (`ggml_view_tensor`,
                    // op NONE: a reader, not a view the allocator counts).
                    let dep = out.tensors.len();
                    out.tensors.push(Node {
                        bytes: 0,
                        buffer: dev[s],
                        layout: Layout {
                            type_id: u8::MAX,
                            ne: [0; 4],
                            contiguous: false,
                        },
                        src: Srcs::new(&[s]),
                        view_of: None,
                        inplace: false,
                        input: false,
                        output: false,
                        external: true,
                        copy_of: None,
                    });
                    pre.push(dep);
                    let from = &g.tensors[s];
                    let mut first = None;
                    for _ in 0..copies_n {
                        let c = out.tensors.len();
                        out.tensors.push(Node {
                            bytes: from.bytes,
                            buffer: d,
                            layout: Layout {
                                contiguous: true,
                                ..from.layout
                            },
                            src: Srcs::default(),
                            view_of: None,
                            inplace: false,
                            input: pipeline,
                            output: pipeline,
                            external: false,
                            copy_of: Some(s),
                        });
                        if pipeline {
                            copy_leafs.push(c);
                        }
                        first.get_or_insert(c);
                    }
                    let c = first.unwrap();
                    pre.push(c);
                    copy_of.push((key, c));
                    src.set(k, c);
                }
                out.tensors[n].src = src;
            }
            body.push(n);
            j += 1;
        }
        out.nodes.extend(pre);
        out.nodes.extend(body);
        i = j;
    }
    out.leafs = copy_leafs;
    out.leafs.extend(g.leafs.iter().copied());
    out
}

/// The device of the split starting at `nodes[i]`: its first non-view node's.
fn split_device(g: &LGraph, dev: &[usize], nodes: &[usize], i: usize) -> usize {
    nodes[i..]
        .iter()
        .find(|&&n| !g.tensors[n].view_op)
        .map_or(dev[nodes[i]], |&n| dev[n])
}
