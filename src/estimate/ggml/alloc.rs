//! ggml's graph allocator (`ggml/src/ggml-alloc.c`, llama.cpp 0c1e570):
//! where each tensor of a graph lands in its backend's compute buffer, and
//! so how large that buffer must be.
//!
//! Per buffer, a list of free blocks sorted by offset, the last one
//! unbounded. Graph inputs and leafs are placed first; then every node in
//! order takes the best-fitting free block (the last block only when none
//! fits), or runs in place over a parent of the same layout that nothing
//! else reads; a tensor
//! is freed after its last reader, a view's source after the view's last
//! reader. The buffer is the highest offset ever reached. Outputs (and the
//! scheduler's input copies under pipeline parallelism) are never freed.
//!
//! Written by hand: no crate models ggml's allocator, and the sizes must be
//! the ones ggml computes, byte for byte (checked against traced graphs in
//! `tests/llama_cpp_graph.rs`).

/// One tensor of a graph, as the allocator sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Node {
    /// `ggml_nbytes` (before the buffer's alignment).
    pub bytes: u64,
    /// Which compute buffer it lives in (a device index of the graph).
    pub buffer: usize,
    /// Type and shape: an in-place op reuses a parent of the same layout.
    pub layout: Layout,
    pub src: Srcs,
    /// A view shares its source's memory and allocates nothing.
    pub view_of: Option<usize>,
    /// `ggml_op_can_inplace`: element-wise ops, norms, RoPE, softmax.
    pub inplace: bool,
    /// Graph input (`ggml_set_input`): placed before the nodes.
    pub input: bool,
    /// Graph output (`ggml_set_output`): never freed nor overwritten.
    pub output: bool,
    /// Memory owned elsewhere (weights, KV cache): never allocated here.
    pub external: bool,
    /// For the scheduler's copies: the tensor copied (to explain a peak).
    pub copy_of: Option<usize>,
}

/// A tensor's sources (ggml has at most 10; llama.cpp's ops use 4), kept
/// inline so that graphs copy without allocating.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Srcs {
    ids: [u32; 4],
    len: u8,
}

impl Srcs {
    pub fn new(ids: &[usize]) -> Srcs {
        let mut s = Srcs::default();
        for &i in ids.iter().take(4) {
            s.ids[usize::from(s.len)] = i as u32;
            s.len += 1;
        }
        s
    }

    pub fn iter(&self) -> impl Iterator<Item = usize> + '_ {
        self.ids[..usize::from(self.len)]
            .iter()
            .map(|&i| i as usize)
    }

    /// Replaces source `k` (in order) by `to`.
    pub fn set(&mut self, k: usize, to: usize) {
        self.ids[k] = to as u32;
    }
}

/// Element type and `ne` of a tensor; `contiguous` is false for permuted
/// views, which never match a node's layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub type_id: u8,
    pub ne: [u64; 4],
    pub contiguous: bool,
}

/// A graph in allocation order: `leafs` are placed first, then `nodes`
/// are computed in order (indices into `tensors`).
#[derive(Debug, Clone, Default)]
pub struct Graph {
    pub tensors: Vec<Node>,
    pub leafs: Vec<usize>,
    pub nodes: Vec<usize>,
}

/// One buffer's free list (`ggml_dyn_tallocr` with a single chunk).
struct Buffer {
    /// `(offset, size)`, sorted by offset; the last block is unbounded.
    free: Vec<(u64, u64)>,
    max: u64,
    align: u64,
}

impl Buffer {
    fn new(align: u64) -> Buffer {
        Buffer {
            free: vec![(0, u64::MAX / 2)],
            max: 0,
            align: align.max(1),
        }
    }

    fn aligned(&self, n: u64) -> u64 {
        n.div_ceil(self.align) * self.align
    }

    fn alloc(&mut self, size: u64) -> u64 {
        let size = self.aligned(size);
        let last = self.free.len() - 1;
        // Best fit among the bounded blocks, the unbounded one as fallback;
        // ties go to the later block (ggml compares with `<=`).
        let mut best = last;
        let mut best_size = u64::MAX;
        for (i, &(_, s)) in self.free[..last].iter().enumerate() {
            if s >= size && s <= best_size {
                best = i;
                best_size = s;
            }
        }
        let (offset, s) = self.free[best];
        if s == size {
            self.free.remove(best);
        } else {
            self.free[best] = (offset + size, s - size);
        }
        self.max = self.max.max(offset + size);
        offset
    }

    fn release(&mut self, offset: u64, size: u64) {
        let size = self.aligned(size);
        let blocks = &mut self.free;
        for i in 0..blocks.len() {
            let (o, s) = blocks[i];
            if o + s == offset {
                blocks[i].1 += size;
                if i + 1 < blocks.len() && blocks[i].0 + blocks[i].1 == blocks[i + 1].0 {
                    blocks[i].1 += blocks[i + 1].1;
                    blocks.remove(i + 1);
                }
                return;
            }
            if offset + size == o {
                blocks[i] = (offset, s + size);
                if i > 0 && blocks[i - 1].0 + blocks[i - 1].1 == offset {
                    blocks[i - 1].1 += blocks[i].1;
                    blocks.remove(i);
                }
                return;
            }
        }
        let at = blocks.partition_point(|&(o, _)| o < offset);
        blocks.insert(at, (offset, size));
    }
}

#[derive(Clone, Copy, Default)]
struct State {
    children: u32,
    views: u32,
    /// Allocated and owning its memory (not yet freed or handed over).
    own: bool,
    offset: u64,
    size: u64,
}

/// The size of every buffer after placing `graph` (indexed by buffer;
/// `align[b]` is buffer `b`'s alignment: 32 on the CPU, 128 on CUDA).
pub fn reserve(graph: &Graph, align: &[u64]) -> Vec<u64> {
    reserve_traced(graph, align, false).0
}

/// What lies in each buffer when it peaks: `(tensor, offset, size)`.
pub type Peak = Vec<(usize, u64, u64)>;

/// [`reserve`], and with `trace` the tensors live at each buffer's peak
/// (to see what a compute buffer is made of).
pub fn reserve_traced(graph: &Graph, align: &[u64], trace: bool) -> (Vec<u64>, Vec<Peak>) {
    let t = &graph.tensors;
    let mut a = Placer {
        t,
        st: vec![State::default(); t.len()],
        bufs: align.iter().map(|&a| Buffer::new(a)).collect(),
        live: if trace {
            vec![Default::default(); align.len()]
        } else {
            vec![]
        },
        peaks: vec![Vec::new(); align.len()],
    };
    for &l in &graph.leafs {
        a.allocate(l);
    }
    for &n in &graph.nodes {
        if let Some(v) = t[n].view_of {
            a.st[v].views += 1;
        }
        if t[n].input {
            a.allocate(n);
        }
        for s in t[n].src.iter() {
            a.st[s].children += 1;
            if t[s].input {
                a.allocate(s);
            }
        }
    }
    for &n in &graph.nodes {
        for s in t[n].src.iter() {
            a.allocate(s);
        }
        a.allocate(n);
        for p in t[n].src.iter() {
            a.st[p].children -= 1;
            if a.st[p].children > 0 || a.st[p].views > 0 {
                continue;
            }
            if let Some(v) = t[p].view_of {
                a.st[v].views -= 1;
                if a.st[v].views == 0 && a.st[v].children == 0 && a.st[v].own {
                    a.free(v);
                }
            } else if a.st[p].own {
                a.free(p);
            }
        }
    }
    (a.bufs.iter().map(|b| b.max).collect(), a.peaks)
}

struct Placer<'g> {
    t: &'g [Node],
    st: Vec<State>,
    bufs: Vec<Buffer>,
    /// Per buffer, when tracing: live tensor → (offset, size).
    live: Vec<std::collections::BTreeMap<usize, (u64, u64)>>,
    peaks: Vec<Peak>,
}

impl Placer<'_> {
    fn allocate(&mut self, i: usize) {
        let x = &self.t[i];
        if x.external || self.st[i].own || x.view_of.is_some() {
            return;
        }
        self.st[i].own = true;
        if x.inplace {
            for p in x.src.iter() {
                let parent = &self.t[p];
                let ps = self.st[p];
                // A view never owns memory, so nothing runs in place over one.
                if parent.buffer == x.buffer
                    && ps.own
                    && !parent.external
                    && !parent.output
                    && parent.layout == x.layout
                    && ps.children == 1
                    && ps.views == 0
                {
                    self.hand_over(p, i);
                    return;
                }
            }
        }
        let b = &mut self.bufs[x.buffer];
        let size = b.aligned(x.bytes);
        let before = b.max;
        let offset = b.alloc(size);
        let grew = b.max > before;
        self.st[i].size = size;
        self.st[i].offset = offset;
        if let Some(live) = self.live.get_mut(x.buffer) {
            live.insert(i, (offset, size));
            if grew {
                self.peaks[x.buffer] = live.iter().map(|(&k, &(o, s))| (k, o, s)).collect();
            }
        }
    }

    /// A node takes over its parent's memory; ggml gives back what the
    /// smaller node does not need (`ggml_gallocr_free_extra_space`).
    fn hand_over(&mut self, p: usize, i: usize) {
        let buffer = self.t[i].buffer;
        let b = &mut self.bufs[buffer];
        let need = b.aligned(self.t[i].bytes);
        let (offset, size) = (self.st[p].offset, self.st[p].size);
        self.st[p].own = false;
        self.st[i].offset = offset;
        self.st[i].size = need.min(size);
        if size > need {
            b.release(offset + need, size - need);
        }
        if let Some(live) = self.live.get_mut(buffer) {
            live.remove(&p);
            live.insert(i, (offset, need.min(size)));
        }
    }

    fn free(&mut self, i: usize) {
        if self.t[i].output {
            return;
        }
        let s = self.st[i];
        self.bufs[self.t[i].buffer].release(s.offset, s.size);
        self.st[i].own = false;
        if let Some(live) = self.live.get_mut(self.t[i].buffer) {
            live.remove(&i);
        }
    }
}
