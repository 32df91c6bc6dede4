//! What the Mamba-attention hybrids share: reading their dimensions and
//! checking layer counts, so each family file says only how it lays its
//! layers out.

use super::recurrent::Mamba2;
use super::*;

/// `num_hidden_layers` (or `default`), within bounds.
pub(crate) fn n_layer(f: &Fields, default: u64) -> Result<u64, ConfigError> {
    let n = f.opt_dim("num_hidden_layers")?.unwrap_or(default);
    if n > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("is {n}, more than {MAX_LAYERS}"),
        ));
    }
    Ok(n)
}

/// Heads and KV heads, with KV heads dividing heads.
pub(crate) fn heads(f: &Fields, n_head: u64, n_head_kv: u64) -> Result<(u64, u64), ConfigError> {
    let n_head = f.dim_or("num_attention_heads", n_head)?;
    let n_head_kv = f
        .opt_dim("num_key_value_heads")?
        .unwrap_or(n_head_kv.min(n_head));
    if !n_head.is_multiple_of(n_head_kv) {
        return Err(invalid(
            "num_key_value_heads",
            format!("({n_head_kv}) must divide num_attention_heads ({n_head})"),
        ));
    }
    Ok((n_head, n_head_kv))
}

/// `head_dim` when the config gives it, else `hidden_size / heads`.
pub(crate) fn head_dim(f: &Fields, n_embd: u64, n_head: u64) -> Result<u64, ConfigError> {
    match f.opt_dim("head_dim")? {
        Some(d) => Ok(d),
        None if n_embd.is_multiple_of(n_head) => Ok(n_embd / n_head),
        None => Err(invalid(
            "num_attention_heads",
            format!("({n_head}) must divide hidden_size ({n_embd}) when head_dim is not given"),
        )),
    }
}

/// Routed-expert counts, `None` when there are no experts.
pub(crate) fn moe(
    f: &Fields,
    experts_field: &'static str,
    default_experts: u64,
    default_used: u64,
    shared: u64,
) -> Result<Option<Moe>, ConfigError> {
    let n_expert = f.opt_count(experts_field)?.unwrap_or(default_experts);
    if n_expert == 0 {
        return Ok(None);
    }
    let used = f.dim_or("num_experts_per_tok", default_used)?;
    if used > n_expert {
        return Err(invalid(
            "num_experts_per_tok",
            format!("({used}) must not exceed {experts_field} ({n_expert})"),
        ));
    }
    Ok(Some(Moe {
        n_expert,
        n_expert_used: used,
        n_expert_shared: shared,
    }))
}

/// Mamba2 heads: `head_dim × n_heads` must be `d_inner`.
pub(crate) fn mamba_heads(
    f: &Fields,
    heads_field: &'static str,
    default_heads: u64,
    d_inner: u64,
) -> Result<u64, ConfigError> {
    let n_heads = f.dim_or(heads_field, default_heads)?;
    if !d_inner.is_multiple_of(n_heads) {
        return Err(invalid(
            heads_field,
            format!("({n_heads}) must divide the Mamba inner size ({d_inner})"),
        ));
    }
    Ok(n_heads)
}

/// A dimension derived as a product of fields (`expand × hidden_size`,
/// heads × head size), within the same bound as a field.
pub(crate) fn product(field: &'static str, a: u64, b: u64) -> Result<u64, ConfigError> {
    match a.checked_mul(b) {
        Some(n) if n <= MAX_DIM => Ok(n),
        _ => Err(invalid(
            field,
            format!("makes a dimension of {a} × {b}, larger than any real model ({MAX_DIM})"),
        )),
    }
}

/// The Mamba2 mixer of the families that prefix its fields with `mamba_`
/// (Bamba, Granite 4, Falcon-H1), with their shared class defaults.
pub(crate) fn prefixed_mamba2(f: &Fields, d_inner: u64) -> Result<Mamba2, ConfigError> {
    let proj_bias = f.flag("mamba_proj_bias", false)?;
    Ok(Mamba2 {
        d_inner,
        d_state: f.dim_or("mamba_d_state", 256)?,
        d_conv: f.dim_or("mamba_d_conv", 4)?,
        n_heads: mamba_heads(f, "mamba_n_heads", 128, d_inner)?,
        n_groups: f.dim_or("mamba_n_groups", 1)?,
        conv_bias: f.flag("mamba_conv_bias", true)?,
        in_bias: proj_bias,
        out_bias: proj_bias,
        norm: true,
    })
}
