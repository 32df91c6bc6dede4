//! vLLM pads MXFP4 expert weights for its MoE kernel
//! (`vllm/model_executor/layers/quantization/mxfp4.py`, `Mxfp4MoEMethod.
//! create_weights`, current release): the expert tensors are allocated
//! with the intermediate size per tensor-parallel rank and the hidden size
//! rounded up, so a model like gpt-oss (2880 × 2880 experts) holds more
//! than its checkpoint on some GPUs.
//!
//! The kernel follows the GPU (`get_mxfp4_backend`): before Hopper
//! (compute capability below 9) the Marlin kernel needs the intermediate
//! size a multiple of 128 and the hidden size of 256; datacenter Blackwell
//! (SM100) with FlashInfer pads both to 256; Hopper and other GPUs run the
//! Triton kernel, which pads the intermediate size to 64.

use crate::estimate::model::ModelSpec;

/// vLLM's MXFP4 MoE kernel on a GPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernel {
    Marlin,
    Triton,
    FlashInfer,
}

impl Kernel {
    /// `(intermediate, hidden)` alignments of the padded expert tensors.
    fn alignments(self) -> (u64, u64) {
        match self {
            Kernel::Marlin => (128, 256),
            Kernel::Triton => (64, 1),
            Kernel::FlashInfer => (256, 256),
        }
    }
}

/// Bytes vLLM adds to each layer's experts, over all `tp` ranks: per
/// expert, the gate/up and down weights (4 bits plus an 8-bit scale per
/// 32) and their bf16 biases at the padded sizes, less the same unpadded.
pub fn expert_padding(spec: &ModelSpec, kernel: Kernel, tp: u64) -> Vec<u64> {
    let (ia, ha) = kernel.alignments();
    let bytes = |i: u64, h: u64| {
        // w13: 2i × h; w2: h × i; 17 bytes per 32 elements; biases 2i + h.
        3 * i * h / 32 * 17 + (2 * i + h) * 2
    };
    spec.layers
        .iter()
        .map(|layer| {
            let Some(up) = layer
                .tensors
                .iter()
                .find(|t| t.name.starts_with("ffn_up_exps") && t.ne[2] > 1 && t.ne[1] > 1)
            else {
                return 0;
            };
            let (h, i, experts) = (up.ne[0], up.ne[1], up.ne[2]);
            let tp = tp.max(1);
            let i_rank = i.div_ceil(tp);
            let padded = bytes(i_rank.div_ceil(ia) * ia, h.div_ceil(ha) * ha);
            experts * tp * padded.saturating_sub(bytes(i_rank, h))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::estimate::catalog::find;

    #[test]
    fn marlin_pads_gpt_oss_experts_to_2944_by_3072() {
        let spec = find("gpt-oss-20b").unwrap().load().unwrap().spec;
        let pad = expert_padding(&spec, Kernel::Marlin, 1);
        // 32 experts × (3 × (2944·3072 − 2880²) × 17/32 + biases' 64 + 64 + 192 bf16).
        let per_expert = 3 * (2944 * 3072 - 2880 * 2880) / 32 * 17 + (2 * 64 + 192) * 2;
        assert_eq!(pad[0], 32 * per_expert);
        assert_eq!(pad.iter().sum::<u64>(), 24 * 32 * per_expert);
        // Triton pads 2880 to a multiple of 64: nothing to add.
        assert!(expert_padding(&spec, Kernel::Triton, 1)
            .iter()
            .all(|&b| b == 0));
        // Two ranks: 1440 per rank, 1536 after Marlin's padding.
        assert!(expert_padding(&spec, Kernel::Marlin, 2)[0] > pad[0]);
    }
}
