//! T5 (`T5ForConditionalGeneration`, `modeling_t5.py`): shared embedding,
//! relative position bias in the first layer of each stack, gated or plain
//! feed-forward.

use super::*;
use crate::estimate::model::{Attention, Layer, ModelType, Stack};

/// T5 (`T5ForConditionalGeneration`): shared embedding, relative position
/// bias in the first layer of each stack, gated or plain feed-forward.
pub(crate) fn read(
    f: &Fields,
    _model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d_model = f.dim_or("d_model", 512)?;
    let d_ff = f.dim_or("d_ff", 2048)?;
    let d_kv = f.dim_or("d_kv", 64)?;
    let n_head = f.dim_or("num_heads", 8)?;
    let n_enc = f.opt_dim("num_layers")?.unwrap_or(6);
    let n_dec = f.opt_dim("num_decoder_layers")?.unwrap_or(n_enc);
    if n_enc > MAX_LAYERS || n_dec > MAX_LAYERS {
        return Err(invalid(
            "num_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let n_vocab = f.dim_or("vocab_size", 32128)?;
    let buckets = f.dim_or("relative_attention_num_buckets", 32)?;
    let gated = match f.string("feed_forward_proj")?.unwrap_or("relu") {
        p if p.starts_with("gated-") => true,
        "relu" | "gelu" | "gelu_new" | "silu" => false,
        other => {
            return Err(invalid(
                "feed_forward_proj",
                format!("'{other}' is not `relu` or `gated-gelu`"),
            ))
        }
    };
    let tied = f.flag("tie_word_embeddings", true)?;
    let inner = n_head * d_kv;
    let attention_tensors = |t: &mut Vec<Tensor>, prefix: &str| {
        t.push(Tensor::matrix(
            &format!("{prefix}_q.weight"),
            Kind::AttnQ,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_k.weight"),
            Kind::AttnK,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_v.weight"),
            Kind::AttnV,
            d_model,
            inner,
        ));
        t.push(Tensor::matrix(
            &format!("{prefix}_o.weight"),
            Kind::AttnOutput,
            inner,
            d_model,
        ));
    };
    let feed_forward = |t: &mut Vec<Tensor>| {
        mlp(t, d_model, d_ff, gated, false);
        t.push(Tensor::vector("ffn_norm.weight", d_model));
    };
    // Self-attention and its norm; the first layer of each stack also
    // holds the relative-position bias table.
    let self_attention = |i: u64| {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        t.push(Tensor::vector("attn_norm.weight", d_model));
        if i == 0 {
            t.push(Tensor::matrix(
                "attn_rel_b.weight",
                Kind::PosEmbd,
                n_head,
                buckets,
            ));
        }
        t
    };
    let attention = Attention::heads(n_head, n_head, d_kv);
    let mut layers = Vec::new();
    for i in 0..n_enc {
        let mut t = self_attention(i);
        feed_forward(&mut t);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention: Some(attention),
            recurrent: None,
            cross_attention: None,
            tensors: t,
        });
    }
    for i in 0..n_dec {
        let mut t = self_attention(i);
        attention_tensors(&mut t, "cross_attn");
        t.push(Tensor::vector("cross_attn_norm.weight", d_model));
        feed_forward(&mut t);
        layers.push(Layer {
            stack: Stack::Decoder,
            attention: Some(attention),
            recurrent: None,
            cross_attention: Some(attention),
            tensors: t,
        });
    }
    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, d_model, n_vocab),
        Tensor::vector("enc.output_norm.weight", d_model),
        Tensor::vector("dec.output_norm.weight", d_model),
    ];
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            d_model,
            n_vocab,
        ));
    }
    Ok(ModelSpec {
        model_type: "t5".into(),
        class: ModelType::EncoderDecoder,
        n_embd: d_model,
        n_vocab,
        // T5 has relative positions and no hard limit; 512 is what it was trained on.
        n_ctx_train: f.dim_or("n_positions", 512)?,
        tied_embeddings: tied,
        moe: None,
        llama_cpp_swa: false,
        globals,
        layers,
        vision: None,
        stored: None,
    })
}
