//! Recurrent token mixers shared by the hybrid and state-space families:
//! Mamba (`modeling_mamba.py`, Jamba's variant with dt/B/C norms), Mamba2
//! (`modeling_mamba2.py`, as Bamba, Nemotron-H, Falcon-H1, Granite 4 and
//! Zamba2 use it), gated DeltaNet (`modeling_qwen3_next.py`,
//! `modeling_qwen3_5.py`), Kimi Delta Attention (`modeling_kimi_linear.py`)
//! and LFM2's short convolution (`modeling_lfm2.py`).
//!
//! Each builder pushes the mixer's tensors (llama.cpp's `ssm_*` names) and
//! returns the [`Recurrent`] state it keeps per sequence. transformers keeps
//! conv inputs in the model dtype and every SSM / delta-rule state in fp32
//! (measured: `tests/data/measured/transformers_arch.json`).

use super::*;
use crate::estimate::model::{RecurrentKind, StateDtype};

/// A depthwise causal conv1d over `channels` with a `kernel`-wide window.
fn conv1d(t: &mut Vec<Tensor>, channels: u64, kernel: u64, bias: bool) {
    t.push(Tensor {
        name: "ssm_conv1d.weight".into(),
        kind: Kind::Vector,
        ne: [kernel, channels, 1],
    });
    if bias {
        t.push(Tensor::vector("ssm_conv1d.bias", channels));
    }
}

/// A Linear with an optional bias.
fn linear(t: &mut Vec<Tensor>, name: &str, row_len: u64, rows: u64, bias: bool) {
    t.push(Tensor::matrix(
        &format!("{name}.weight"),
        Kind::Other,
        row_len,
        rows,
    ));
    if bias {
        t.push(Tensor::vector(&format!("{name}.bias"), rows));
    }
}

/// Mamba (selective SSM) dimensions.
pub(crate) struct Mamba {
    pub(crate) d_inner: u64,
    pub(crate) d_state: u64,
    pub(crate) d_conv: u64,
    pub(crate) dt_rank: u64,
    pub(crate) conv_bias: bool,
    /// Biases on `in_proj` and `out_proj`.
    pub(crate) proj_bias: bool,
    /// Jamba's RMSNorms on dt, B and C.
    pub(crate) dt_bc_norms: bool,
}

/// A Mamba mixer: `in_proj` to `2 × d_inner` (x and the gate), the conv,
/// `x_proj` to dt, B and C, `dt_proj` (always biased), `A_log`, `D`,
/// `out_proj`.
pub(crate) fn mamba(t: &mut Vec<Tensor>, n_embd: u64, m: &Mamba) -> Recurrent {
    linear(t, "ssm_in", n_embd, 2 * m.d_inner, m.proj_bias);
    conv1d(t, m.d_inner, m.d_conv, m.conv_bias);
    linear(t, "ssm_x", m.d_inner, m.dt_rank + 2 * m.d_state, false);
    linear(t, "ssm_dt", m.dt_rank, m.d_inner, true);
    t.push(Tensor {
        name: "ssm_a".into(),
        kind: Kind::Vector,
        ne: [m.d_state, m.d_inner, 1],
    });
    t.push(Tensor::vector("ssm_d", m.d_inner));
    if m.dt_bc_norms {
        t.push(Tensor::vector("ssm_dt_norm.weight", m.dt_rank));
        t.push(Tensor::vector("ssm_b_norm.weight", m.d_state));
        t.push(Tensor::vector("ssm_c_norm.weight", m.d_state));
    }
    linear(t, "ssm_out", m.d_inner, n_embd, m.proj_bias);
    Recurrent {
        kind: RecurrentKind::Mamba,
        conv_channels: m.d_inner,
        conv_kernel: m.d_conv,
        state: m.d_inner * m.d_state,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::F32,
    }
}

/// Mamba2 (SSD) dimensions.
pub(crate) struct Mamba2 {
    /// `n_heads × head_dim`.
    pub(crate) d_inner: u64,
    pub(crate) d_state: u64,
    pub(crate) d_conv: u64,
    pub(crate) n_heads: u64,
    pub(crate) n_groups: u64,
    pub(crate) conv_bias: bool,
    /// Bias on `in_proj`.
    pub(crate) in_bias: bool,
    /// Bias on `out_proj`.
    pub(crate) out_bias: bool,
    /// The gated RMSNorm over `d_inner` before `out_proj`.
    pub(crate) norm: bool,
}

/// A Mamba2 mixer: `in_proj` to the gate, x, B, C and dt (`2 × d_inner +
/// 2 × n_groups × d_state + n_heads`), the conv over x, B and C,
/// `dt_bias`, `A_log` and `D` per head, the gated norm, `out_proj`.
pub(crate) fn mamba2(t: &mut Vec<Tensor>, n_embd: u64, m: &Mamba2) -> Recurrent {
    let conv_dim = m.d_inner + 2 * m.n_groups * m.d_state;
    linear(
        t,
        "ssm_in",
        n_embd,
        m.d_inner + conv_dim + m.n_heads,
        m.in_bias,
    );
    conv1d(t, conv_dim, m.d_conv, m.conv_bias);
    t.push(Tensor::vector("ssm_dt.bias", m.n_heads));
    t.push(Tensor::vector("ssm_a", m.n_heads));
    t.push(Tensor::vector("ssm_d", m.n_heads));
    if m.norm {
        t.push(Tensor::vector("ssm_norm.weight", m.d_inner));
    }
    linear(t, "ssm_out", m.d_inner, n_embd, m.out_bias);
    Recurrent {
        kind: RecurrentKind::Mamba2,
        conv_channels: conv_dim,
        conv_kernel: m.d_conv,
        state: m.d_inner * m.d_state,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::F32,
    }
}

/// Gated DeltaNet dimensions (Qwen3-Next / Qwen3.5 linear attention).
pub(crate) struct DeltaNet {
    pub(crate) n_k_heads: u64,
    pub(crate) n_v_heads: u64,
    pub(crate) head_k: u64,
    pub(crate) head_v: u64,
    pub(crate) d_conv: u64,
}

/// A gated DeltaNet mixer: projections to Q, K, V, the output gate z and
/// the per-value-head beta and decay (`in_proj_qkvz` + `in_proj_ba`, or
/// Qwen3.5's four separate ones: the same elements), the conv over Q, K
/// and V, `dt_bias` and `A_log` per value head, the gated norm over one
/// value head, `out_proj`. Its state is `head_k × head_v` per value head.
pub(crate) fn gated_deltanet(t: &mut Vec<Tensor>, n_embd: u64, d: &DeltaNet) -> Recurrent {
    let key_dim = d.n_k_heads * d.head_k;
    let value_dim = d.n_v_heads * d.head_v;
    let conv_dim = 2 * key_dim + value_dim;
    linear(t, "ssm_qkv", n_embd, conv_dim, false);
    linear(t, "ssm_gate", n_embd, value_dim, false);
    linear(t, "ssm_ba", n_embd, 2 * d.n_v_heads, false);
    conv1d(t, conv_dim, d.d_conv, false);
    t.push(Tensor::vector("ssm_dt.bias", d.n_v_heads));
    t.push(Tensor::vector("ssm_a", d.n_v_heads));
    t.push(Tensor::vector("ssm_norm.weight", d.head_v));
    linear(t, "ssm_out", value_dim, n_embd, false);
    Recurrent {
        kind: RecurrentKind::GatedDeltaNet,
        conv_channels: conv_dim,
        conv_kernel: d.d_conv,
        state: d.n_v_heads * d.head_k * d.head_v,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::F32,
    }
}

/// Kimi Delta Attention: Q, K and V projections of `n_heads × head_dim`
/// each, one bias-free conv over all three, the per-channel forget gate
/// (low-rank `f_a`/`f_b`, an fp32 `dt_bias` per channel, `A_log` per
/// head), beta per head, the low-rank output gate `g_a`/`g_b`, the gated
/// norm over one head, `out_proj`. Its state is `head_dim × head_dim` per
/// head.
pub(crate) fn kimi_delta(
    t: &mut Vec<Tensor>,
    n_embd: u64,
    n_heads: u64,
    head_dim: u64,
    d_conv: u64,
) -> Recurrent {
    let dim = n_heads * head_dim;
    linear(t, "ssm_q", n_embd, dim, false);
    linear(t, "ssm_k", n_embd, dim, false);
    linear(t, "ssm_v", n_embd, dim, false);
    conv1d(t, 3 * dim, d_conv, false);
    linear(t, "ssm_f_a", n_embd, head_dim, false);
    linear(t, "ssm_f_b", head_dim, dim, false);
    t.push(Tensor::vector("ssm_dt.bias", dim));
    t.push(Tensor::vector("ssm_a", n_heads));
    linear(t, "ssm_beta", n_embd, n_heads, false);
    linear(t, "ssm_g_a", n_embd, head_dim, false);
    linear(t, "ssm_g_b", head_dim, dim, false);
    t.push(Tensor::vector("ssm_norm.weight", head_dim));
    linear(t, "ssm_out", dim, n_embd, false);
    Recurrent {
        kind: RecurrentKind::KimiDelta,
        conv_channels: 3 * dim,
        conv_kernel: d_conv,
        state: n_heads * head_dim * head_dim,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::F32,
    }
}

/// LFM2's gated short convolution: `in_proj` to B, C and x (`3 ×
/// n_embd`), a depthwise conv of `l_cache` taps, `out_proj`; its only state
/// is the conv window.
pub(crate) fn short_conv(t: &mut Vec<Tensor>, n_embd: u64, l_cache: u64, bias: bool) -> Recurrent {
    linear(t, "shortconv.in_proj", n_embd, 3 * n_embd, bias);
    t.push(Tensor {
        name: "shortconv.conv.weight".into(),
        kind: Kind::Vector,
        ne: [l_cache, n_embd, 1],
    });
    if bias {
        t.push(Tensor::vector("shortconv.conv.bias", n_embd));
    }
    linear(t, "shortconv.out_proj", n_embd, n_embd, bias);
    Recurrent {
        kind: RecurrentKind::ShortConv,
        conv_channels: n_embd,
        conv_kernel: l_cache,
        state: 0,
        conv_dtype: StateDtype::Model,
        state_dtype: StateDtype::Model,
    }
}
