//! Numbers and sizes as vLLM prints them.

/// `rest` after the first `label` in `m`.
pub(super) fn after<'a>(m: &'a str, label: &str) -> Option<&'a str> {
    m.find(label).map(|i| &m[i + label.len()..])
}

/// Skips what stands between a label and its figure.
pub(super) fn skip_words(mut s: &str) -> &str {
    for _ in 0..4 {
        s = s.trim_start_matches([' ', '\t', ':', '=', '(']);
        for w in ["takes ", "take ", "is ", "only "] {
            if let Some(r) = s.strip_prefix(w) {
                s = r;
            }
        }
    }
    s
}

/// A decimal number (sign, `,`/`_` separators, fraction).
pub(super) fn read_f64(s: &str) -> Option<(f64, &str)> {
    let s = s.trim_start();
    let bytes = s.as_bytes();
    let mut end = 0;
    if end < bytes.len() && (bytes[end] == b'-' || bytes[end] == b'+') {
        end += 1;
    }
    let digits_start = end;
    let mut seen_dot = false;
    while end < bytes.len() && end < 64 {
        let c = bytes[end];
        let separator = (c == b',' || c == b'_')
            && end > digits_start
            && bytes.get(end + 1).is_some_and(u8::is_ascii_digit)
            && !seen_dot;
        if c.is_ascii_digit() || separator {
            end += 1;
        } else if c == b'.' && !seen_dot && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
            seen_dot = true;
            end += 1;
        } else {
            break;
        }
    }
    if end == digits_start {
        return None;
    }
    let text: String = s[..end]
        .chars()
        .filter(|c| *c != ',' && *c != '_')
        .collect();
    let v: f64 = text.parse().ok()?;
    v.is_finite().then_some((v, &s[end..]))
}

/// A whole number with `,` separators (`54,048`).
pub(super) fn read_u64(s: &str) -> Option<(u64, &str)> {
    let (v, rest) = read_f64(s)?;
    (v >= 0.0 && v.fract() == 0.0 && v < 1e18).then_some((v as u64, rest))
}

/// A size with its unit, in bytes: `GiB`/`GB`/`G` are 2³⁰ (vLLM's `GB` is
/// binary), `MiB`/`MB` 2²⁰, `KiB`/`KB` 2¹⁰, `TiB`/`TB` 2⁴⁰, `B`/`bytes` 1.
pub(super) fn read_size(s: &str) -> Option<(i64, &str)> {
    let (v, rest) = read_f64(s)?;
    let r = rest.trim_start_matches(' ');
    let (mult, len) = unit(r)?;
    let bytes = v * mult;
    (bytes.abs() < 9e18).then(|| (bytes.round() as i64, &r[len..]))
}

pub(super) fn unit(r: &str) -> Option<(f64, usize)> {
    const UNITS: &[(&str, f64)] = &[
        ("TiB", 1_099_511_627_776.0),
        ("GiB", 1_073_741_824.0),
        ("MiB", 1_048_576.0),
        ("KiB", 1024.0),
        ("TB", 1_099_511_627_776.0),
        ("GB", 1_073_741_824.0),
        ("MB", 1_048_576.0),
        ("KB", 1024.0),
        ("bytes", 1.0),
        ("G", 1_073_741_824.0),
        ("B", 1.0),
    ];
    UNITS
        .iter()
        .find(|(u, _)| {
            r.starts_with(u) && !r[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
        })
        .map(|&(u, m)| (m, u.len()))
}

/// `free` in the unit printed after the slash of `F/T GiB`.
pub(super) fn size_in_unit_of(free: f64, total_and_unit: &str) -> i64 {
    let mult = read_f64(total_and_unit)
        .and_then(|(_, r)| unit(r.trim_start()))
        .map_or(1_073_741_824.0, |(m, _)| m);
    let b = free * mult;
    if b.abs() < 9e18 {
        b.round() as i64
    } else {
        0
    }
}
