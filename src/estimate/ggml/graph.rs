//! The graph llama.cpp reserves its compute buffers with: one micro-batch
//! of `n_ubatch` tokens through every layer and the output, all tokens
//! producing logits (`llama-context.cpp` `graph_reserve`; the layer bodies
//! of `src/models/llama.cpp`, `qwen2.cpp`, `qwen3moe.cpp` and the shared
//! `llm_graph_context::build_attn` / `build_ffn` / `build_moe_ffn` in
//! `src/llama-graph.cpp`, llama.cpp 0c1e570), node for node in the order
//! ggml visits them.
//!
//! Built from the model's tensors, not its name: a layer has biases when
//! its `attn_q.bias` exists, Q/K norms when `attn_q_norm` does, experts when
//! `ffn_gate_exps` does. Layers of other kinds (latent attention, recurrent
//! mixers, cross-attention) have no graph here: [`build`] returns `None` and
//! the caller keeps its closed form.

use super::alloc::{Layout, Srcs};
use crate::estimate::model::{KvLayout, Layer, ModelSpec, Stack};

/// Where a leaf's memory comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Home {
    /// A graph input, filled by llama.cpp on the host.
    Input,
    /// A weight of the layer at position `Some(k)` of the graph's layers
    /// or a global one (`None`): token
    /// embeddings when `embd`, else the output norm or projection.
    Weight {
        layer: Option<usize>,
        embd: bool,
        experts: bool,
        bytes: u64,
    },
    /// The KV cache of the layer at position `k`.
    Kv(usize),
    /// Computed by the graph.
    Node,
}

/// One tensor of the reserved graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GTensor {
    pub name: &'static str,
    pub home: Home,
    /// `ggml_nbytes`.
    pub bytes: u64,
    pub layout: Layout,
    pub src: Srcs,
    /// The tensor whose memory a view uses (always the root, as ggml's
    /// `view_src`).
    pub view_of: Option<usize>,
    /// A pure view op (reshape, view, permute): not scheduled on its own.
    /// SET_ROWS into the cache has a `view_of` but is a real op.
    pub view_op: bool,
    pub inplace: bool,
    pub output: bool,
    /// The position (in the graph's layers) of the layer this belongs to
    /// (`None`: embeddings, output).
    pub layer: Option<usize>,
    /// Whether the op uses a weight and has a batch the GPU backends offload
    /// from host memory (`offload_op`: 32 rows or more; never GET_ROWS).
    pub offloadable: bool,
}

/// A graph: leafs (inputs, weights, KV) and nodes in compute order.
#[derive(Debug, Clone, Default)]
pub struct LGraph {
    pub tensors: Vec<GTensor>,
    pub leafs: Vec<usize>,
    pub nodes: Vec<usize>,
}

const F32: u8 = 0;
const F16: u8 = 1;
const I32: u8 = 2;
const I64: u8 = 3;
const WEIGHT: u8 = 9;
/// `attn_inp_v_rot`'s side.
const ROT_V: u64 = 64;

fn type_size(t: u8) -> u64 {
    match t {
        F16 => 2,
        I64 => 8,
        _ => 4,
    }
}

/// What the graph depends on besides the model.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    pub n_ubatch: u64,
    /// KV cells a layer attends to in one stream, full-attention layers.
    pub n_kv: u64,
    /// The same for sliding-window layers (iSWA cache).
    pub n_kv_swa: u64,
    pub flash_attn: bool,
    pub era: GraphEra,
    /// A quantized K (V) cache: the current release rotates Q and K (V and
    /// the attention output) by an orthogonal matrix around it
    /// (`attn_inp_k_rot`, `attn_inp_v_rot`), one more tensor of each.
    pub rotate_k: bool,
    pub rotate_v: bool,
}

/// How llama.cpp built its graph in a given release (what changes the
/// compute buffers; source: `src/llama-graph.cpp` and `llama-kv-cache.cpp`
/// of each build, checked against logged buffers).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphEra {
    /// 2024 to mid-2025 (e.g. b4462): K and V are stored with CPY into
    /// views of the cache; the mask is f32, cast to f16 for flash attention
    /// (a node on the first layer's device, copied to the others); a gated
    /// feed-forward is an activation in place on the gate times the up
    /// projection (no third `n_ff` tensor); only the token input exists.
    Cpy,
    /// Mid-2025 to early 2026 (e.g. b6688): SET_ROWS through index inputs
    /// (`k_idxs`, `v_idxs`; one index per element for the transposed V
    /// without flash attention) and the fused GLU op; the mask is still
    /// f32 and cast.
    SetRows,
    /// llama.cpp 0c1e570, the current release: the mask is made f16 for
    /// flash attention, the unused `inp_embd` input is allocated too, and a
    /// quantized cache rotates Q/K (V) around it.
    Current,
}

impl GraphEra {
    /// The era of llama.cpp build `b<n>` (`None`: the current release).
    /// Boundaries from builds whose logs we matched: b4462 and b4914 are
    /// `Cpy`; July-2025 builds still defaulted to CPY (`LLAMA_SET_ROWS=0`);
    /// b6688 (Oct 2025) is `SetRows`; b11312 (0c1e570) is `Current`. Builds
    /// between the last two are taken as `SetRows` until b11000.
    pub fn of_build(build: Option<u32>) -> GraphEra {
        match build {
            None => GraphEra::Current,
            Some(n) if n < 6100 => GraphEra::Cpy,
            Some(n) if n < 11000 => GraphEra::SetRows,
            Some(_) => GraphEra::Current,
        }
    }

    /// Builds of this era kept one cache for all sequences (`kv_unified`)
    /// and padded it to 32 cells without flash attention (256 with it);
    /// later ones keep a stream per sequence, each padded to 256.
    pub fn unified_cache(self) -> bool {
        self == GraphEra::Cpy
    }

    fn set_rows(self) -> bool {
        self != GraphEra::Cpy
    }

    fn f16_mask(self) -> bool {
        self == GraphEra::Current
    }
}

struct Builder<'a> {
    g: LGraph,
    spec: &'a ModelSpec,
    ub: u64,
    era: GraphEra,
    /// The position in `layers` being built (what placements index).
    layer: Option<usize>,
    /// Model layer of each position.
    layers: &'a [usize],
    /// Bytes of a weight tensor by (layer, name).
    weight_bytes: &'a dyn Fn(Option<usize>, &str) -> u64,
}

impl Builder<'_> {
    fn push(&mut self, t: GTensor, leaf: bool) -> usize {
        let i = self.g.tensors.len();
        self.g.tensors.push(t);
        if leaf {
            self.g.leafs.push(i);
        } else {
            self.g.nodes.push(i);
        }
        i
    }

    fn input(&mut self, name: &'static str, type_id: u8, ne: [u64; 4]) -> usize {
        self.push(
            GTensor {
                name,
                home: Home::Input,
                bytes: ne.iter().product::<u64>() * type_size(type_id),
                layout: Layout {
                    type_id,
                    ne,
                    contiguous: true,
                },
                src: Srcs::default(),
                view_of: None,
                view_op: false,
                inplace: false,
                output: false,
                layer: None,
                offloadable: false,
            },
            true,
        )
    }

    fn weight(&mut self, name: &str, experts: bool) -> usize {
        let embd = name == "token_embd";
        let model_layer = self.layer.map(|k| self.layers[k]);
        let bytes = (self.weight_bytes)(model_layer, name);
        self.push(
            GTensor {
                name: "weight",
                home: Home::Weight {
                    layer: self.layer,
                    embd,
                    experts,
                    bytes,
                },
                bytes,
                layout: Layout {
                    type_id: WEIGHT,
                    ne: [bytes, 1, 1, 1],
                    contiguous: true,
                },
                src: Srcs::default(),
                view_of: None,
                view_op: false,
                inplace: false,
                output: false,
                layer: self.layer,
                offloadable: false,
            },
            true,
        )
    }

    fn kv(&mut self, il: usize) -> usize {
        self.push(
            GTensor {
                name: "cache",
                home: Home::Kv(il),
                bytes: 0,
                layout: Layout {
                    type_id: F16,
                    ne: [0, 1, 1, 1],
                    contiguous: true,
                },
                src: Srcs::default(),
                view_of: None,
                view_op: false,
                inplace: false,
                output: false,
                layer: Some(il),
                offloadable: false,
            },
            true,
        )
    }

    /// A computed tensor of `type_id` and `ne`.
    fn op(
        &mut self,
        name: &'static str,
        type_id: u8,
        ne: [u64; 4],
        src: &[usize],
        inplace: bool,
    ) -> usize {
        let uses_weight = src
            .iter()
            .any(|&s| matches!(self.g.tensors[s].home, Home::Weight { embd: false, .. }));
        self.push(
            GTensor {
                name,
                home: Home::Node,
                bytes: ne.iter().product::<u64>() * type_size(type_id),
                layout: Layout {
                    type_id,
                    ne,
                    contiguous: true,
                },
                src: Srcs::new(src),
                view_of: None,
                view_op: false,
                inplace,
                output: false,
                layer: self.layer,
                offloadable: uses_weight && self.ub >= 32,
            },
            false,
        )
    }

    /// A view (reshape, permute, view) of `of`'s memory.
    fn view(&mut self, of: usize, ne: [u64; 4], contiguous: bool) -> usize {
        let root = self.g.tensors[of].view_of.unwrap_or(of);
        let t = &self.g.tensors[of];
        let type_id = t.layout.type_id;
        let home = if matches!(t.home, Home::Kv(_)) {
            t.home
        } else {
            Home::Node
        };
        self.push(
            GTensor {
                name: "view",
                home,
                bytes: ne.iter().product::<u64>() * type_size(type_id),
                layout: Layout {
                    type_id,
                    ne,
                    contiguous,
                },
                src: Srcs::new(&[of]),
                view_of: Some(root),
                view_op: true,
                inplace: false,
                output: false,
                layer: self.layer,
                offloadable: false,
            },
            false,
        )
    }

    fn has(&self, layer: &Layer, name: &str) -> bool {
        find(layer, name).is_some()
    }

    fn rows(&self, layer: &Layer, name: &str) -> Option<u64> {
        find(layer, name).map(|t| t.ne[1])
    }

    /// `x · W (+ b)` for the layer's `name` projection.
    fn linear(&mut self, layer: &Layer, name: &'static str, x: usize, out: u64) -> usize {
        let w = self.weight(name, false);
        let mut y = self.op(name, F32, [out, self.ub, 1, 1], &[w, x], false);
        let bias = format!("{name}.bias");
        if self.has(layer, &bias) {
            let b = self.weight(&bias, false);
            y = self.op(name, F32, [out, self.ub, 1, 1], &[y, b], true);
        }
        y
    }

    /// RMS norm times its weight, over `ne`.
    fn norm(&mut self, x: usize, weight: &str, ne: [u64; 4]) -> usize {
        let n = self.op("norm", F32, ne, &[x], true);
        let w = self.weight(weight, false);
        self.op("norm_w", F32, ne, &[n, w], true)
    }
}

/// A layer's tensor by its GGUF name without `blk.N.`; a bare name means
/// its `.weight`.
fn find<'l>(layer: &'l Layer, name: &str) -> Option<&'l crate::estimate::model::Tensor> {
    layer.tensors.iter().find(|t| is_named(&t.name, name))
}

/// Whether `tensor` is `name`, or `name.weight` when `name` has no suffix.
pub(crate) fn is_named(tensor: &str, name: &str) -> bool {
    tensor == name || tensor.strip_suffix(".weight") == Some(name)
}

/// Whether a layer has a graph here: standard (grouped-query) attention,
/// a dense or expert feed-forward, nothing else.
pub fn supported(layer: &Layer) -> bool {
    let attention = matches!(layer.attention.map(|a| a.kv), Some(KvLayout::Heads { .. }))
        && layer
            .attention
            .is_some_and(|a| !a.shares_kv && a.compression.is_none());
    attention
        && layer.recurrent.is_none()
        && layer.cross_attention.is_none()
        && layer.stack == Stack::Decoder
        && find(layer, "attn_q").is_some()
        && (find(layer, "ffn_down").is_some() || find(layer, "ffn_down_exps").is_some())
}

/// The reserve graph of `layers` (indices into `spec.layers`, in order; a
/// layer may repeat), with the output when `output`; `None` when a layer
/// has no graph here. Tensors name layers by their position in `layers`.
pub fn build(
    spec: &ModelSpec,
    layers: &[usize],
    output: bool,
    shape: Shape,
    weight_bytes: &dyn Fn(Option<usize>, &str) -> u64,
) -> Option<LGraph> {
    if layers.is_empty()
        || layers
            .iter()
            .any(|&il| !spec.layers.get(il).is_some_and(supported))
    {
        return None;
    }
    let ub = shape.n_ubatch;
    let mut b = Builder {
        g: LGraph::default(),
        spec,
        ub,
        era: shape.era,
        layer: None,
        layers,
        weight_bytes,
    };
    let n_embd = spec.n_embd;
    let fa = shape.flash_attn;
    let swa = layers.iter().any(|&il| {
        spec.layers[il]
            .attention
            .is_some_and(|a| a.window_len().is_some())
    }) && spec.llama_cpp_swa;

    // Inputs, in llama.cpp's order (`llm_graph_input_*`).
    let set_rows = shape.era.set_rows();
    let current = shape.era == GraphEra::Current;
    let f16_mask = shape.era.f16_mask();
    let tokens = b.input("inp_tokens", I32, [ub, 1, 1, 1]);
    if current {
        b.input("inp_embd", F32, [n_embd, ub, 1, 1]);
    }
    let embd_w = b.weight("token_embd", false);
    let first = spec.layers[layers[0]].attention.unwrap();
    let rot_k = (current && shape.rotate_k).then(|| {
        let hd = match first.kv {
            KvLayout::Heads { head_dim_k, .. } => head_dim_k,
            _ => 0,
        };
        b.input("k_rot", F32, [hd, hd, 1, 1])
    });
    let pos = b.input("inp_pos", I32, [ub, 1, 1, 1]);
    // V rotates in groups of 64 elements.
    let rot_v = (current && shape.rotate_v).then(|| b.input("v_rot", F32, [ROT_V, ROT_V, 1, 1]));
    let (n_embd_v_gqa, _) = v_width(&first);
    let inputs = |b: &mut Builder, n_kv: u64| {
        if !set_rows {
            let mask = b.input("kq_mask", F32, [n_kv, ub, 1, 1]);
            return (None, None, mask);
        }
        let k_idxs = b.input("k_idxs", I64, [ub, 1, 1, 1]);
        // Without flash attention V is stored transposed: one index per element.
        let v_idxs = b.input(
            "v_idxs",
            I64,
            [if fa { ub } else { ub * n_embd_v_gqa }, 1, 1, 1],
        );
        let mask_type = if fa && f16_mask { F16 } else { F32 };
        let mask = b.input("kq_mask", mask_type, [n_kv, ub, 1, 1]);
        (Some(k_idxs), Some(v_idxs), mask)
    };
    let full = inputs(&mut b, shape.n_kv);
    let local = if swa {
        inputs(&mut b, shape.n_kv_swa)
    } else {
        full
    };
    let out_ids = b.input("out_ids", I32, [ub, 1, 1, 1]);
    // The Cpy era's f16 masks for flash attention, cast where first used.
    let mut cast: [Option<usize>; 2] = [None, None];

    b.layer = None;
    let mut x = b.op("embd", F32, [n_embd, ub, 1, 1], &[embd_w, tokens], false);
    b.g.tensors[x].offloadable = false;
    for (k, &il) in layers.iter().enumerate() {
        let layer = &spec.layers[il];
        b.layer = Some(k);
        let a = layer.attention.unwrap();
        let KvLayout::Heads {
            n_head_kv,
            head_dim_k,
            head_dim_v,
        } = a.kv
        else {
            unreachable!("supported() checked the attention")
        };
        let n_head = a.n_head;
        let local_layer = swa && a.window_len().is_some();
        let (k_idxs, v_idxs, mask) = if local_layer { local } else { full };
        let n_kv = if local_layer {
            shape.n_kv_swa
        } else {
            shape.n_kv
        };
        let inp = x;

        let h = b.norm(inp, "attn_norm", [n_embd, ub, 1, 1]);
        let q_rows = b.rows(layer, "attn_q").unwrap_or(n_head * head_dim_k);
        let q = b.linear(layer, "attn_q", h, q_rows);
        let q = b.view(q, [head_dim_k, n_head, ub, 1], true);
        let q = if b.has(layer, "attn_q_norm") {
            b.norm(q, "attn_q_norm", [head_dim_k, n_head, ub, 1])
        } else {
            q
        };
        let q = b.op("Qcur", F32, [head_dim_k, n_head, ub, 1], &[q, pos], true);
        let q = rotate(&mut b, q, rot_k, head_dim_k, [head_dim_k, n_head, ub, 1]);
        let v = b.linear(layer, "attn_v", h, n_head_kv * head_dim_v);
        let v = b.view(v, [head_dim_v, n_head_kv, ub, 1], true);
        let v = rotate(&mut b, v, rot_v, ROT_V, [head_dim_v, n_head_kv, ub, 1]);
        let kk = b.linear(layer, "attn_k", h, n_head_kv * head_dim_k);
        let kk = b.view(kk, [head_dim_k, n_head_kv, ub, 1], true);
        let kk = if b.has(layer, "attn_k_norm") {
            b.norm(kk, "attn_k_norm", [head_dim_k, n_head_kv, ub, 1])
        } else {
            kk
        };
        let kk = b.op(
            "Kcur",
            F32,
            [head_dim_k, n_head_kv, ub, 1],
            &[kk, pos],
            true,
        );
        let kk = rotate(
            &mut b,
            kk,
            rot_k,
            head_dim_k,
            [head_dim_k, n_head_kv, ub, 1],
        );
        // Store K and V (SET_ROWS into views of the cache: no memory here).
        let cache_k = b.kv(k);
        let cache_v = b.kv(k);
        let kview = b.view(kk, [n_head_kv * head_dim_k, ub, 1, 1], true);
        let set_k = b.view(cache_k, [1, 1, 1, 1], true);
        b.g.tensors[set_k].src = Srcs::new(
            &[Some(kview), k_idxs, Some(cache_k)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        );
        b.g.tensors[set_k].view_op = false;
        let vview = b.view(v, [n_head_kv * head_dim_v, ub, 1, 1], true);
        let vview = if fa {
            vview
        } else {
            b.view(vview, [1, n_head_kv * head_dim_v * ub, 1, 1], true)
        };
        let set_v = b.view(cache_v, [1, 1, 1, 1], true);
        b.g.tensors[set_v].src = Srcs::new(
            &[Some(vview), v_idxs, Some(cache_v)]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>(),
        );
        b.g.tensors[set_v].view_op = false;
        let qp = b.view(q, [head_dim_k, ub, n_head, 1], false);
        let kc = b.view(cache_k, [head_dim_k, n_kv, n_head_kv, 1], false);
        let vc = b.view(cache_v, [n_kv, head_dim_v, n_head_kv, 1], false);
        let attn = if fa {
            let mask = if f16_mask {
                mask
            } else {
                let slot = &mut cast[usize::from(local_layer)];
                *slot.get_or_insert_with(|| {
                    b.op("kq_mask_f16", F16, [n_kv, ub, 1, 1], &[mask], false)
                })
            };
            let o = b.op(
                "fattn",
                F32,
                [head_dim_v, n_head, ub, 1],
                &[qp, kc, vc, mask],
                false,
            );
            b.view(o, [head_dim_v * n_head, ub, 1, 1], true)
        } else {
            let kq = b.op("kq", F32, [n_kv, ub, n_head, 1], &[kc, qp], false);
            let kq = b.op("kq_soft_max", F32, [n_kv, ub, n_head, 1], &[kq, mask], true);
            let kqv = b.op("kqv", F32, [head_dim_v, ub, n_head, 1], &[vc, kq], false);
            let kqv = b.view(kqv, [head_dim_v, n_head, ub, 1], false);
            b.op(
                "kqv_out",
                F32,
                [head_dim_v * n_head, ub, 1, 1],
                &[kqv],
                false,
            )
        };
        let attn = rotate(&mut b, attn, rot_v, ROT_V, [head_dim_v * n_head, ub, 1, 1]);
        let mut cur = b.linear(layer, "attn_output", attn, n_embd);
        let mut residual = inp;
        if k + 1 == layers.len() && output {
            // The last layer keeps the outputs' rows (all of them in the reserve).
            cur = b.op("get_rows", F32, [n_embd, ub, 1, 1], &[cur, out_ids], false);
            residual = b.op("get_rows", F32, [n_embd, ub, 1, 1], &[inp, out_ids], false);
        }
        let ffn_inp = b.op("ffn_inp", F32, [n_embd, ub, 1, 1], &[cur, residual], true);
        let h = b.norm(ffn_inp, "ffn_norm", [n_embd, ub, 1, 1]);
        let ffn = if b.has(layer, "ffn_gate_exps") || b.has(layer, "ffn_up_exps") {
            moe(&mut b, layer, h)
        } else {
            dense(&mut b, layer, h, "ffn_gate", "ffn_up", "ffn_down")
        };
        x = b.op("l_out", F32, [n_embd, ub, 1, 1], &[ffn, ffn_inp], true);
    }
    if output {
        b.layer = None;
        let h = b.norm(x, "output_norm", [n_embd, ub, 1, 1]);
        let last = *b.g.nodes.last().unwrap();
        b.g.tensors[last].output = true;
        let w = b.weight("output", false);
        let logits = b.op(
            "result_output",
            F32,
            [spec.n_vocab, ub, 1, 1],
            &[w, h],
            false,
        );
        b.g.tensors[logits].output = true;
    }
    Some(b.g)
}

/// `x` (of shape `ne`) times the rotation `rot` in groups of `group`
/// elements, as a new tensor of the same shape; `x` itself without one.
fn rotate(b: &mut Builder, x: usize, rot: Option<usize>, group: u64, ne: [u64; 4]) -> usize {
    let Some(rot) = rot else {
        return x;
    };
    let n: u64 = ne.iter().product();
    let flat = b.view(x, [group, n / group.max(1), 1, 1], true);
    let y = b.op(
        "rot",
        F32,
        [group, n / group.max(1), 1, 1],
        &[rot, flat],
        false,
    );
    b.view(y, ne, true)
}

/// The V row a token stores in a layer, and its K row.
fn v_width(a: &crate::estimate::model::Attention) -> (u64, u64) {
    match a.kv {
        KvLayout::Heads {
            n_head_kv,
            head_dim_k,
            head_dim_v,
        } => (n_head_kv * head_dim_v, n_head_kv * head_dim_k),
        _ => (0, 0),
    }
}

/// A dense feed-forward: gated (SwiGLU/GeGLU) when it has a gate.
fn dense(
    b: &mut Builder,
    layer: &Layer,
    h: usize,
    gate: &'static str,
    up: &'static str,
    down: &'static str,
) -> usize {
    let n_ff = b.rows(layer, up).unwrap_or(b.spec.n_embd * 4);
    let ub = b.ub;
    let act = if b.has(layer, gate) {
        let g = b.linear(layer, gate, h, n_ff);
        let u = b.linear(layer, up, h, n_ff);
        if b.era.set_rows() {
            b.op("ffn_glu", F32, [n_ff, ub, 1, 1], &[g, u], false)
        } else {
            // Older builds computed the gate before the up projection.
            let a = b.op("ffn_act", F32, [n_ff, ub, 1, 1], &[g], true);
            b.op("ffn_mul", F32, [n_ff, ub, 1, 1], &[a, u], true)
        }
    } else {
        let u = b.linear(layer, up, h, n_ff);
        b.op("ffn_act", F32, [n_ff, ub, 1, 1], &[u], true)
    };
    b.linear(layer, down, act, b.spec.n_embd)
}

/// `build_moe_ffn`: router, top-k, the experts through MUL_MAT_ID, their
/// weighted sum; then the shared experts, if any.
fn moe(b: &mut Builder, layer: &Layer, h: usize) -> usize {
    let ub = b.ub;
    let n_embd = b.spec.n_embd;
    let exps = layer
        .tensors
        .iter()
        .find(|t| is_named(&t.name, "ffn_up_exps"))
        .map(|t| (t.ne[1], t.ne[2]))
        .unwrap_or((n_embd, 1));
    let (n_ff_exp, n_expert) = exps;
    let n_used = b.spec.moe.map_or(1, |m| m.n_expert_used).max(1);
    let router = b.weight("ffn_gate_inp", false);
    let logits = b.op(
        "ffn_moe_logits",
        F32,
        [n_expert, ub, 1, 1],
        &[router, h],
        false,
    );
    let probs = b.op("ffn_moe_probs", F32, [n_expert, ub, 1, 1], &[logits], true);
    let probs_r = b.view(probs, [1, n_expert, ub, 1], true);
    let argsort = b.op(
        "ffn_moe_argsort",
        I32,
        [n_expert, ub, 1, 1],
        &[probs],
        false,
    );
    let topk = b.view(argsort, [n_used, ub, 1, 1], false);
    let weights = b.op(
        "ffn_moe_weights",
        F32,
        [1, n_used, ub, 1],
        &[probs_r, topk],
        false,
    );
    let weights_r = b.view(weights, [n_used, ub, 1, 1], true);
    let sum = b.op(
        "ffn_moe_weights_sum",
        F32,
        [1, ub, 1, 1],
        &[weights_r],
        false,
    );
    let sum = b.op(
        "ffn_moe_weights_sum_clamped",
        F32,
        [1, ub, 1, 1],
        &[sum],
        true,
    );
    let norm = b.op(
        "ffn_moe_weights_norm",
        F32,
        [n_used, ub, 1, 1],
        &[weights_r, sum],
        true,
    );
    let norm = b.view(norm, [1, n_used, ub, 1], true);
    let hr = b.view(h, [n_embd, 1, ub, 1], true);
    let gate_w = b.weight("ffn_gate_exps", true);
    let gate = b.op(
        "ffn_moe_gate",
        F32,
        [n_ff_exp, n_used, ub, 1],
        &[gate_w, hr, topk],
        false,
    );
    let up_w = b.weight("ffn_up_exps", true);
    let up = b.op(
        "ffn_moe_up",
        F32,
        [n_ff_exp, n_used, ub, 1],
        &[up_w, hr, topk],
        false,
    );
    let act = if b.era.set_rows() {
        b.op(
            "ffn_moe_glu",
            F32,
            [n_ff_exp, n_used, ub, 1],
            &[gate, up],
            false,
        )
    } else {
        let a = b.op("ffn_moe_act", F32, [n_ff_exp, n_used, ub, 1], &[gate], true);
        b.op(
            "ffn_moe_mul",
            F32,
            [n_ff_exp, n_used, ub, 1],
            &[a, up],
            true,
        )
    };
    let down_w = b.weight("ffn_down_exps", true);
    let down = b.op(
        "ffn_moe_down",
        F32,
        [n_embd, n_used, ub, 1],
        &[down_w, act, topk],
        false,
    );
    let weighted = b.op(
        "ffn_moe_weighted",
        F32,
        [n_embd, n_used, ub, 1],
        &[down, norm],
        true,
    );
    let views: Vec<usize> = (0..n_used)
        .map(|_| b.view(weighted, [n_embd, ub, 1, 1], false))
        .collect();
    let mut out = views[0];
    for &v in &views[1..] {
        out = b.op("ffn_moe_add", F32, [n_embd, ub, 1, 1], &[out, v], true);
    }
    if n_used == 1 {
        out = b.op("ffn_moe_out", F32, [n_embd, ub, 1, 1], &[out], false);
    }
    if b.has(layer, "ffn_up_shexp") {
        let shared = dense(
            b,
            layer,
            h,
            "ffn_gate_shexp",
            "ffn_up_shexp",
            "ffn_down_shexp",
        );
        out = b.op("ffn_out", F32, [n_embd, ub, 1, 1], &[out, shared], true);
    }
    out
}
