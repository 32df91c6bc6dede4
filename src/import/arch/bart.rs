//! BART (`BartForConditionalGeneration`, `modeling_bart.py`): learned
//! positions (offset 2), biases everywhere, LayerNorm with bias, lm_head
//! tied to the shared embedding.

use super::*;
use crate::estimate::model::{Attention, Layer, ModelType, Stack};

pub(crate) fn read(
    f: &Fields,
    _model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let d_model = f.dim_or("d_model", 1024)?;
    let n_enc = f.dim_or("encoder_layers", 12)?;
    let n_dec = f.dim_or("decoder_layers", 12)?;
    if n_enc > MAX_LAYERS || n_dec > MAX_LAYERS {
        return Err(invalid(
            "encoder_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let enc_heads = f.dim_or("encoder_attention_heads", 16)?;
    let dec_heads = f.dim_or("decoder_attention_heads", 16)?;
    let enc_ff = f.dim_or("encoder_ffn_dim", 4096)?;
    let dec_ff = f.dim_or("decoder_ffn_dim", 4096)?;
    let n_vocab = f.dim_or("vocab_size", 50265)?;
    let n_pos = f.dim_or("max_position_embeddings", 1024)?;
    for (field, heads) in [
        ("encoder_attention_heads", enc_heads),
        ("decoder_attention_heads", dec_heads),
    ] {
        if !d_model.is_multiple_of(heads) {
            return Err(invalid(
                field,
                format!("({heads}) must divide d_model ({d_model})"),
            ));
        }
    }
    let attention_tensors = |t: &mut Vec<Tensor>, prefix: &str| {
        biased(t, &format!("{prefix}_q"), Kind::AttnQ, d_model, d_model);
        biased(t, &format!("{prefix}_k"), Kind::AttnK, d_model, d_model);
        biased(t, &format!("{prefix}_v"), Kind::AttnV, d_model, d_model);
        biased(
            t,
            &format!("{prefix}_o"),
            Kind::AttnOutput,
            d_model,
            d_model,
        );
        layer_norm(t, &format!("{prefix}_norm"), d_model);
    };
    let feed_forward = |t: &mut Vec<Tensor>, n_ff: u64| {
        biased(t, "ffn_up", Kind::FfnUp, d_model, n_ff);
        biased(t, "ffn_down", Kind::FfnDown, n_ff, d_model);
        layer_norm(t, "ffn_norm", d_model);
    };
    let mut layers = Vec::new();
    let enc_attention = Attention::heads(enc_heads, enc_heads, d_model / enc_heads);
    let dec_attention = Attention::heads(dec_heads, dec_heads, d_model / dec_heads);
    for _ in 0..n_enc {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        feed_forward(&mut t, enc_ff);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention: Some(enc_attention),
            recurrent: None,
            cross_attention: None,
            tensors: t,
        });
    }
    for _ in 0..n_dec {
        let mut t = Vec::new();
        attention_tensors(&mut t, "attn");
        attention_tensors(&mut t, "cross_attn");
        feed_forward(&mut t, dec_ff);
        layers.push(Layer {
            stack: Stack::Decoder,
            attention: Some(dec_attention),
            recurrent: None,
            cross_attention: Some(dec_attention),
            tensors: t,
        });
    }
    let mut globals = vec![Tensor::matrix(
        "token_embd.weight",
        Kind::TokenEmbd,
        d_model,
        n_vocab,
    )];
    for stack in ["enc", "dec"] {
        globals.push(Tensor::matrix(
            &format!("{stack}.position_embd.weight"),
            Kind::PosEmbd,
            d_model,
            n_pos + 2,
        ));
        globals.push(Tensor::vector(
            &format!("{stack}.token_embd_norm.weight"),
            d_model,
        ));
        globals.push(Tensor::vector(
            &format!("{stack}.token_embd_norm.bias"),
            d_model,
        ));
    }
    let tied = f.flag("tie_word_embeddings", true)?;
    if !tied {
        globals.push(Tensor::matrix(
            "output.weight",
            Kind::Output,
            d_model,
            n_vocab,
        ));
    }
    Ok(ModelSpec {
        model_type: "bart".into(),
        class: ModelType::EncoderDecoder,
        n_embd: d_model,
        n_vocab,
        n_ctx_train: n_pos,
        tied_embeddings: tied,
        moe: None,
        llama_cpp_swa: false,
        globals,
        layers,
        vision: None,
        stored: None,
    })
}
