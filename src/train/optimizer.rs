//! Optimizer state bytes per trainable tensor, the way each optimizer
//! allocates them (torch 2.15, bitsandbytes 0.50, transformers 5.24's
//! Adafactor): checked against real steps and meta-device steps in
//! `tests/data/measured/training_exact.json`.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;

/// The optimizers people fine-tune with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// `torch.optim.AdamW`: two moments in the parameter's dtype, a
    /// float32 `step` per tensor.
    AdamW,
    /// bitsandbytes `AdamW8bit`: block-wise 8-bit moments.
    AdamW8bit,
    /// bitsandbytes `PagedAdamW` (32-bit moments whatever the parameter's
    /// dtype; paged: may be evicted to host memory under pressure).
    PagedAdamW,
    /// bitsandbytes `PagedAdamW8bit`.
    PagedAdamW8bit,
    /// transformers' Adafactor as the HF Trainer configures it: factored
    /// second moments, no first moment.
    Adafactor,
    /// `torch.optim.SGD` without momentum: no state.
    Sgd,
    /// `torch.optim.SGD(momentum=0.9)`: one buffer in the parameter's dtype.
    SgdMomentum,
    /// bitsandbytes `Lion` (one float32 moment).
    Lion,
    /// bitsandbytes `Lion8bit`.
    Lion8bit,
}

impl Optimizer {
    pub const ALL: [Optimizer; 9] = [
        Optimizer::AdamW,
        Optimizer::AdamW8bit,
        Optimizer::PagedAdamW,
        Optimizer::PagedAdamW8bit,
        Optimizer::Adafactor,
        Optimizer::Sgd,
        Optimizer::SgdMomentum,
        Optimizer::Lion,
        Optimizer::Lion8bit,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Optimizer::AdamW => "adamw",
            Optimizer::AdamW8bit => "adamw-8bit",
            Optimizer::PagedAdamW => "paged-adamw",
            Optimizer::PagedAdamW8bit => "paged-adamw-8bit",
            Optimizer::Adafactor => "adafactor",
            Optimizer::Sgd => "sgd",
            Optimizer::SgdMomentum => "sgd-momentum",
            Optimizer::Lion => "lion",
            Optimizer::Lion8bit => "lion-8bit",
        }
    }

    /// The HF Trainer's `optim` value for it.
    pub fn hf_name(self) -> &'static str {
        match self {
            Optimizer::AdamW => "adamw_torch",
            Optimizer::AdamW8bit => "adamw_bnb_8bit",
            Optimizer::PagedAdamW => "paged_adamw_32bit",
            Optimizer::PagedAdamW8bit => "paged_adamw_8bit",
            Optimizer::Adafactor => "adafactor",
            Optimizer::Sgd | Optimizer::SgdMomentum => "sgd",
            Optimizer::Lion => "lion_32bit",
            Optimizer::Lion8bit => "lion_8bit",
        }
    }

    /// Its states may page to host memory (bitsandbytes' paged optimizers).
    pub fn paged(self) -> bool {
        matches!(self, Optimizer::PagedAdamW | Optimizer::PagedAdamW8bit)
    }

    /// State bytes for one trainable tensor of `shape` whose elements take
    /// `param_bytes` each (not counting the shared quantization maps: see
    /// [`Optimizer::shared_bytes`]).
    pub fn tensor_bytes(self, shape: &[u64], param_bytes: u64) -> u64 {
        let n: u64 = shape.iter().product();
        let eight_bit = |moments: u64| {
            if n < MIN_8BIT_SIZE {
                4 * moments * n
            } else {
                moments * (n + 4 * n.div_ceil(BLOCK_8BIT))
            }
        };
        match self {
            // The float32 0-d `step` tensor torch keeps per parameter.
            Optimizer::AdamW => 2 * n * param_bytes + 4,
            Optimizer::AdamW8bit | Optimizer::PagedAdamW8bit => eight_bit(2),
            Optimizer::PagedAdamW => 8 * n,
            Optimizer::Lion => 4 * n,
            Optimizer::Lion8bit => eight_bit(1),
            Optimizer::Sgd => 0,
            Optimizer::SgdMomentum => n * param_bytes,
            Optimizer::Adafactor => {
                // Row (shape[:-1]) and column (shape[:-2] + shape[-1:])
                // second moments for ≥ 2-D tensors, a full one otherwise;
                // plus the float32 0-d RMS.
                let factored = match shape {
                    [.., rows, cols] => {
                        let lead: u64 = shape[..shape.len() - 2].iter().product();
                        lead * rows + lead * cols
                    }
                    _ => n,
                };
                4 * factored + 4
            }
        }
    }

    /// Bytes shared by every tensor: the 8-bit optimizers' quantization
    /// maps (256 float32 per moment), once when any tensor is 8-bit.
    pub fn shared_bytes(self, any_8bit: bool) -> u64 {
        match self {
            Optimizer::AdamW8bit | Optimizer::PagedAdamW8bit if any_8bit => 2 * 1024,
            Optimizer::Lion8bit if any_8bit => 1024,
            _ => 0,
        }
    }

    /// Whether a tensor of `n` values gets 8-bit states.
    pub fn is_8bit_for(self, n: u64) -> bool {
        matches!(
            self,
            Optimizer::AdamW8bit | Optimizer::PagedAdamW8bit | Optimizer::Lion8bit
        ) && n >= MIN_8BIT_SIZE
    }
}

/// bitsandbytes keeps float32 states for tensors smaller than this.
pub const MIN_8BIT_SIZE: u64 = 4096;
/// bitsandbytes' block-wise quantization block (one float32 absmax each).
pub const BLOCK_8BIT: u64 = 256;

impl fmt::Display for Optimizer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Optimizer {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let key: String = s
            .trim()
            .to_ascii_lowercase()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        Ok(match key.as_str() {
            "adamw" | "adam" | "adamwtorch" | "adamwtorchfused" => Optimizer::AdamW,
            "adamw8bit" | "adamwbnb8bit" | "adam8bit" | "8bitadamw" => Optimizer::AdamW8bit,
            "pagedadamw" | "pagedadamw32bit" => Optimizer::PagedAdamW,
            "pagedadamw8bit" => Optimizer::PagedAdamW8bit,
            "adafactor" => Optimizer::Adafactor,
            "sgd" => Optimizer::Sgd,
            "sgdmomentum" | "momentum" => Optimizer::SgdMomentum,
            "lion" | "lion32bit" | "pagedlion32bit" => Optimizer::Lion,
            "lion8bit" => Optimizer::Lion8bit,
            _ => {
                return Err(format!(
                    "unknown optimizer '{}': one of {}",
                    s.trim(),
                    Optimizer::ALL.map(Optimizer::name).join(", ")
                ))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_rules_match_the_libraries() {
        // 16×4096 LoRA A in float32: AdamW 2×4 bytes each + step.
        assert_eq!(Optimizer::AdamW.tensor_bytes(&[16, 4096], 4), 8 * 65536 + 4);
        // 8-bit: one byte per value and moment plus an absmax per 256.
        assert_eq!(
            Optimizer::AdamW8bit.tensor_bytes(&[16, 4096], 4),
            2 * 65536 + 2 * 4 * 256
        );
        // Below 4,096 values: float32 states.
        assert_eq!(
            Optimizer::AdamW8bit.tensor_bytes(&[4096], 2),
            2 * 65536 / 16 + 2 * 4 * 16
        );
        assert_eq!(Optimizer::AdamW8bit.tensor_bytes(&[4095], 2), 8 * 4095);
        // Adafactor: rows + columns, float32, plus the RMS.
        assert_eq!(
            Optimizer::Adafactor.tensor_bytes(&[14336, 4096], 2),
            4 * (14336 + 4096) + 4
        );
        assert_eq!(Optimizer::Adafactor.tensor_bytes(&[4096], 2), 4 * 4096 + 4);
        assert_eq!(
            "adamw_bnb_8bit".parse::<Optimizer>(),
            Ok(Optimizer::AdamW8bit)
        );
        assert!("adam9".parse::<Optimizer>().is_err());
    }
}
