//! RWKV-6 "Finch" and RWKV-7 "Goose" (fla-hub's `modeling_rwkv7.py`,
//! RWKV's `modeling_rwkv6.py`; transformers ships neither, llama.cpp runs
//! both): every layer is a time-mix block — token-shift interpolation,
//! low-rank data-dependent decay (and, in RWKV-7, in-context learning rate,
//! value-residual mix and gate LoRAs), R/K/V/O projections and a group norm
//! — and a channel-mix MLP. Tensor names are llama.cpp's (`time_mix_*`,
//! `channel_mix_*`, `src/llama-model.cpp`). Each layer keeps a WKV state of
//! `head_size × head_size` per head and the previous token's input for
//! each token shift (`token_shift_count`, two: time and channel mix).

use super::hybrid_common::{n_layer, product};
use super::*;
use crate::estimate::model::{RecurrentKind, StateDtype};

fn matrix(t: &mut Vec<Tensor>, name: &str, row_len: u64, rows: u64) {
    t.push(Tensor::matrix(
        &format!("{name}.weight"),
        Kind::Other,
        row_len,
        rows,
    ));
}

fn vector(t: &mut Vec<Tensor>, name: &str, len: u64) {
    t.push(Tensor::vector(&format!("{name}.weight"), len));
}

/// Reads `rwkv6` and `rwkv7`.
pub(crate) fn read(
    f: &Fields,
    model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let v7 = model_type == "rwkv7";
    let n = f.dim_or("hidden_size", 2048)?;
    let n_layer = n_layer(f, 24)?;
    let head = match f.opt_dim("head_dim")? {
        Some(d) => d,
        None => f.dim_or("head_size", 64)?,
    };
    if !n.is_multiple_of(head) {
        return Err(invalid(
            "head_dim",
            format!("({head}) must divide hidden_size ({n})"),
        ));
    }
    let default_ff = if v7 { 4 * n } else { (n * 7 / 2) / 32 * 32 };
    let n_ff = f.dim_or("intermediate_size", default_ff.max(1))?;
    let shifts = f.dim_or("token_shift_count", 2)?;
    let mut layers = Vec::with_capacity(n_layer as usize);
    for i in 0..n_layer {
        let mut t = Vec::new();
        norm(&mut t, "attn_norm", n, true);
        norm(&mut t, "attn_norm_2", n, true);
        if v7 {
            let dw = f.dim_or("decay_low_rank_dim", 64)?;
            let da = f.dim_or("a_low_rank_dim", 64)?;
            let dv = f.dim_or("v_low_rank_dim", 16)?;
            let dg = f.dim_or("gate_low_rank_dim", 128)?;
            for (name, rank) in [("w", dw), ("a", da)] {
                vector(&mut t, &format!("time_mix_{name}0"), n);
                matrix(&mut t, &format!("time_mix_{name}1"), n, rank);
                matrix(&mut t, &format!("time_mix_{name}2"), rank, n);
            }
            // The first layer has no value residual to mix.
            if i > 0 {
                vector(&mut t, "time_mix_v0", n);
                matrix(&mut t, "time_mix_v1", n, dv);
                matrix(&mut t, "time_mix_v2", dv, n);
            }
            matrix(&mut t, "time_mix_g1", n, dg);
            matrix(&mut t, "time_mix_g2", dg, n);
            vector(&mut t, "time_mix_lerp_fused", 6 * n);
            for name in ["time_mix_k_k", "time_mix_k_a", "time_mix_r_k"] {
                vector(&mut t, name, n);
            }
        } else {
            let extra = f.dim_or("time_mix_extra_dim", 32)?;
            let decay = f.dim_or("time_decay_extra_dim", 64)?;
            matrix(
                &mut t,
                "time_mix_w1",
                n,
                product("time_mix_extra_dim", extra, 5)?,
            );
            t.push(Tensor {
                name: "time_mix_w2.weight".into(),
                kind: Kind::Other,
                ne: [extra, n, 5],
            });
            vector(&mut t, "time_mix_lerp_x", n);
            vector(&mut t, "time_mix_lerp_fused", 5 * n);
            vector(&mut t, "time_mix_first", n);
            vector(&mut t, "time_mix_decay", n);
            matrix(&mut t, "time_mix_decay_w1", n, decay);
            matrix(&mut t, "time_mix_decay_w2", decay, n);
            matrix(&mut t, "time_mix_gate", n, n);
        }
        for name in [
            "time_mix_key",
            "time_mix_value",
            "time_mix_receptance",
            "time_mix_output",
        ] {
            matrix(&mut t, name, n, n);
        }
        norm(&mut t, "time_mix_ln", n, true);
        vector(&mut t, "channel_mix_lerp_k", n);
        matrix(&mut t, "channel_mix_key", n, n_ff);
        matrix(&mut t, "channel_mix_value", n_ff, n);
        if !v7 {
            vector(&mut t, "channel_mix_lerp_r", n);
            matrix(&mut t, "channel_mix_receptance", n, n);
        }
        let state = Recurrent {
            kind: RecurrentKind::Rwkv,
            // The previous token's input per token shift, kept as a
            // two-tap window (llama.cpp's `n_embd_r`).
            conv_channels: product("token_shift_count", shifts, n)?,
            conv_kernel: 2,
            state: n * head,
            conv_dtype: StateDtype::F32,
            state_dtype: StateDtype::F32,
        };
        layers.push(layer(None, Some(state), t));
    }
    let mut spec = decoder_model(
        Head {
            model_type: model_type.to_string(),
            n_embd: n,
            n_vocab: f.dim_or("vocab_size", 65536)?,
            n_ctx_train: f.dim_or("max_position_embeddings", 1 << 20)?,
            tied: f.flag("tie_word_embeddings", false)?,
            norm_bias: true,
            moe: None,
            llama_cpp_swa: false,
        },
        layers,
    );
    // The embedding LayerNorm (`ln0` / `pre_norm` of the first block).
    norm(&mut spec.globals, "token_embd_norm", n, true);
    Ok(spec)
}
