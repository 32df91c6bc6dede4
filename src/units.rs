//! Byte sizes as people write them and as vramfit prints them.
//!
//! GB/MB (powers of ten, as vendors print VRAM) and GiB/MiB (powers of two,
//! as runtimes log buffers) are different units; both are parsed, and every
//! printed size says which one it is. A bare number is GB, the unit on the box.

use thiserror::Error;

pub const KB: u64 = 1_000;
pub const MB: u64 = 1_000_000;
pub const GB: u64 = 1_000_000_000;
pub const TB: u64 = 1_000_000_000_000;
pub const KIB: u64 = 1 << 10;
pub const MIB: u64 = 1 << 20;
pub const GIB: u64 = 1 << 30;
pub const TIB: u64 = 1 << 40;

/// Why a size could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SizeError {
    #[error("size is empty: write e.g. 24GB or 80GiB")]
    Empty,
    #[error("'{0}' is not a size: write e.g. 24GB or 80GiB (a bare number means GB)")]
    NotANumber(String),
    #[error("unknown unit '{0}': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB")]
    UnknownUnit(String),
    #[error("size must be greater than zero")]
    Zero,
    #[error("size must not be negative")]
    Negative,
    #[error("'{0}' is too large (more than 1 PB)")]
    TooLarge(String),
}

/// Parses `24GB`, `24 GiB`, `80gib`, `1.5TB` or a bare `24` (GB) into bytes.
pub fn parse_size(text: &str) -> Result<u64, SizeError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(SizeError::Empty);
    }
    // Units are matched from the end so that scientific notation (`1e3GB`)
    // stays part of the number.
    const UNITS: [(&str, u64); 13] = [
        ("kib", KIB),
        ("mib", MIB),
        ("gib", GIB),
        ("tib", TIB),
        ("kb", KB),
        ("mb", MB),
        ("gb", GB),
        ("tb", TB),
        ("k", KB),
        ("m", MB),
        ("g", GB),
        ("t", TB),
        ("b", 1),
    ];
    let lower = text.to_ascii_lowercase();
    let (number, scale) = UNITS
        .iter()
        .find_map(|(unit, scale)| lower.strip_suffix(unit).map(|n| (n.trim(), *scale)))
        .unwrap_or((lower.as_str(), GB));
    let value: f64 =
        number
            .parse()
            .map_err(|_| match number.find(|c: char| c.is_ascii_alphabetic()) {
                Some(i) if number[..i].trim().parse::<f64>().is_ok() => {
                    SizeError::UnknownUnit(text[i..].trim().to_string())
                }
                _ => SizeError::NotANumber(text.to_string()),
            })?;
    if !value.is_finite() {
        return Err(SizeError::NotANumber(text.to_string()));
    }
    if value < 0.0 {
        return Err(SizeError::Negative);
    }
    let bytes = value * scale as f64;
    if bytes > 1e15 {
        return Err(SizeError::TooLarge(text.to_string()));
    }
    let bytes = bytes.round() as u64;
    if bytes == 0 {
        return Err(SizeError::Zero);
    }
    Ok(bytes)
}

/// Formats bytes in GB (powers of ten) with two decimals, e.g. `16.06 GB`.
pub fn gb(bytes: u64) -> String {
    format!("{:.2} GB", bytes as f64 / GB as f64)
}

/// Formats bytes in GiB (powers of two) with two decimals, e.g. `14.96 GiB`.
pub fn gib(bytes: u64) -> String {
    format!("{:.2} GiB", bytes as f64 / GIB as f64)
}

/// Formats bytes in MiB with one decimal, as llama.cpp logs its buffers.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / MIB as f64)
}

/// Formats a count with thousands separators: `8,030,261,248`.
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// Formats a parameter count the way model cards do: `8.03B`, `494M`.
pub fn params(n: u64) -> String {
    if n >= 1_000_000_000 {
        format!("{:.2}B", n as f64 / 1e9)
    } else {
        format!("{:.0}M", n as f64 / 1e6)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use expect_test::{expect, Expect};

    fn check(inputs: &[&str], expected: Expect) {
        let got: Vec<String> = inputs
            .iter()
            .map(|s| match parse_size(s) {
                Ok(b) => format!("{s:?} -> {b}"),
                Err(e) => format!("{s:?} -> error: {e}"),
            })
            .collect();
        expected.assert_eq(&got.join("\n"));
    }

    #[test]
    fn sizes_parse_in_decimal_and_binary_units() {
        check(
            &[
                "24GB", "24", "24 GiB", "80gib", "1.5TB", "512MiB", "24 gb", "0.5",
            ],
            expect![[r#"
                "24GB" -> 24000000000
                "24" -> 24000000000
                "24 GiB" -> 25769803776
                "80gib" -> 85899345920
                "1.5TB" -> 1500000000000
                "512MiB" -> 536870912
                "24 gb" -> 24000000000
                "0.5" -> 500000000"#]],
        );
    }

    #[test]
    fn bad_sizes_are_errors_a_person_can_act_on() {
        check(
            &["", "0", "-8GB", "1e30", "abc", "24 parsecs", "9999999TB"],
            expect![[r#"
                "" -> error: size is empty: write e.g. 24GB or 80GiB
                "0" -> error: size must be greater than zero
                "-8GB" -> error: size must not be negative
                "1e30" -> error: '1e30' is too large (more than 1 PB)
                "abc" -> error: 'abc' is not a size: write e.g. 24GB or 80GiB (a bare number means GB)
                "24 parsecs" -> error: unknown unit 'parsecs': use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB
                "9999999TB" -> error: '9999999TB' is too large (more than 1 PB)"#]],
        );
    }

    #[test]
    fn counts_are_grouped_by_thousands() {
        assert_eq!(grouped(8_030_261_248), "8,030,261,248");
        assert_eq!(grouped(999), "999");
        assert_eq!(params(8_030_261_248), "8.03B");
        assert_eq!(params(494_032_768), "494M");
    }
}
