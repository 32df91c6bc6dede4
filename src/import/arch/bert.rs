//! BERT (`BertModel` with its pooler, `modeling_bert.py`): absolute
//! position and token-type embeddings, post-LayerNorm blocks, biases
//! everywhere.

use super::*;
use crate::estimate::model::{Attention, Layer, ModelType, Stack};

/// BERT (`BertModel`, with its pooler): absolute position and token-type
/// embeddings, post-LayerNorm blocks, biases everywhere.
pub(crate) fn read(
    f: &Fields,
    _model_type: &str,
    _warnings: &mut Vec<String>,
) -> Result<ModelSpec, ConfigError> {
    let n_embd = f.dim_or("hidden_size", 768)?;
    let n_layer = f.opt_dim("num_hidden_layers")?.unwrap_or(12);
    if n_layer > MAX_LAYERS {
        return Err(invalid(
            "num_hidden_layers",
            format!("more than {MAX_LAYERS} layers"),
        ));
    }
    let n_head = f.dim_or("num_attention_heads", 12)?;
    let n_ff = f.dim_or("intermediate_size", 3072)?;
    let n_vocab = f.dim_or("vocab_size", 30522)?;
    let n_pos = f.dim_or("max_position_embeddings", 512)?;
    let n_types = f.dim_or("type_vocab_size", 2)?;
    if !n_embd.is_multiple_of(n_head) {
        return Err(invalid(
            "num_attention_heads",
            format!("({n_head}) must divide hidden_size ({n_embd})"),
        ));
    }
    let attention = Attention::heads(n_head, n_head, n_embd / n_head);
    let mut layers = Vec::new();
    for _ in 0..n_layer {
        let mut t = Vec::new();
        biased(&mut t, "attn_q", Kind::AttnQ, n_embd, n_embd);
        biased(&mut t, "attn_k", Kind::AttnK, n_embd, n_embd);
        biased(&mut t, "attn_v", Kind::AttnV, n_embd, n_embd);
        biased(&mut t, "attn_output", Kind::AttnOutput, n_embd, n_embd);
        layer_norm(&mut t, "attn_output_norm", n_embd);
        biased(&mut t, "ffn_up", Kind::FfnUp, n_embd, n_ff);
        biased(&mut t, "ffn_down", Kind::FfnDown, n_ff, n_embd);
        layer_norm(&mut t, "layer_output_norm", n_embd);
        layers.push(Layer {
            stack: Stack::Encoder,
            attention: Some(attention),
            recurrent: None,
            cross_attention: None,
            tensors: t,
        });
    }
    let mut globals = vec![
        Tensor::matrix("token_embd.weight", Kind::TokenEmbd, n_embd, n_vocab),
        Tensor::matrix("position_embd.weight", Kind::PosEmbd, n_embd, n_pos),
        Tensor::matrix("token_types.weight", Kind::PosEmbd, n_embd, n_types),
    ];
    layer_norm(&mut globals, "token_embd_norm", n_embd);
    biased(&mut globals, "pooler", Kind::Other, n_embd, n_embd);
    Ok(ModelSpec {
        model_type: "bert".into(),
        class: ModelType::EncoderOnly,
        n_embd,
        n_vocab,
        n_ctx_train: n_pos,
        tied_embeddings: false,
        moe: None,
        llama_cpp_swa: false,
        globals,
        layers,
        vision: None,
        stored: None,
    })
}
