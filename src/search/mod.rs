//! Searches over the catalogs, both ways: which catalog models and weight
//! formats run on given GPUs ([`fit`]), and which GPU sets (cards bought or
//! cloud instances rented) run a given model most cheaply ([`buy`]). Both are
//! exact against [`crate::plan::split::plan`]: they prune with lower bounds
//! and never list what the planner says does not fit.
//!
//! Both take a minimum speed, `min_tps`: decode tokens per second per
//! sequence, the plan's `decode_tokens_per_s` ([`crate::plan::speed::Speed`]:
//! at the start of generation, every requested sequence decoding). A plan
//! whose speed is unknown (a GPU given by size only) does not meet it.

use crate::report::InputError;

pub mod buy;
pub mod fit;
pub mod pace;

/// The most tokens per second a minimum may ask for.
const MAX_TPS: f64 = 1e6;

/// A minimum decode speed as typed: tokens per second per sequence, above
/// 0 and at most a million, a unit (`tok/s`, `t/s`) allowed after it.
/// Empty or 0: no minimum.
pub(crate) fn min_tps(field: &'static str, text: &str) -> Result<Option<f64>, InputError> {
    let t = text.trim();
    let number = t
        .strip_suffix("tok/s")
        .or_else(|| t.strip_suffix("t/s"))
        .unwrap_or(t)
        .trim();
    match number.parse::<f64>() {
        _ if t.is_empty() => Ok(None),
        Ok(0.0) => Ok(None),
        Ok(n) if n > 0.0 && n <= MAX_TPS => Ok(Some(n)),
        _ => Err(InputError::Rate {
            field,
            text: text.to_string(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::min_tps;

    #[test]
    fn a_minimum_speed_is_a_positive_number_of_tokens_per_second() {
        assert_eq!(min_tps("min_tps", ""), Ok(None));
        assert_eq!(min_tps("min_tps", " 0 "), Ok(None));
        assert_eq!(min_tps("min_tps", "20"), Ok(Some(20.0)));
        assert_eq!(min_tps("min_tps", "7.5 tok/s"), Ok(Some(7.5)));
        assert_eq!(min_tps("min_tps", "12t/s"), Ok(Some(12.0)));
        for bad in ["-1", "fast", "NaN", "inf", "1e9", "tok/s"] {
            let e = min_tps("min_tps", bad).unwrap_err();
            assert_eq!(e.field(), "min_tps", "{bad}");
            assert!(e.to_string().contains("tokens per second"), "{e}");
        }
    }
}
