//! Two or more setups side by side: each planned in full, the headline of
//! each (fits, context, sequences, speed, price), and which of those differ.
//! The CLI's `plan … --compare` and the app's compare view (`?a=…&b=…`)
//! are shells over [`compare`].

use serde::Serialize;

use super::{report, InputError, Report, Request};

/// One setup's headline.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Side {
    /// `model · weights · engine on GPUs`, for a column header.
    pub label: String,
    pub model: String,
    /// The GPUs as given (`2xrtx-4090, 12GB`).
    pub gpus: String,
    pub engine: String,
    pub weights: String,
    pub kv: String,
    pub n_ctx: u64,
    pub n_seq: u64,
    pub fits: bool,
    pub shortfall_bytes: u64,
    pub weights_bytes: u64,
    pub kv_bytes: u64,
    /// The fullest used GPU's share of its usable memory.
    pub peak_utilisation: f64,
    pub max_context: Option<u64>,
    pub max_batch: Option<u64>,
    pub decode_tokens_per_s: Option<f64>,
    pub prefill_tokens_per_s: Option<f64>,
    /// What the GPUs cost at the catalog's dated list prices, when every
    /// GPU is a catalog card with a price.
    pub price_usd: Option<f64>,
}

/// One setup: its headline, or why it could not be planned.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Planned {
    Side(Box<Side>),
    Invalid { error: String, field: &'static str },
}

/// The setups in order and the headline fields whose values differ.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    pub setups: Vec<Planned>,
    /// Names of [`Side`]'s fields that are not the same on every valid
    /// setup (`label` excluded), in field order.
    pub differs: Vec<&'static str>,
}

/// The headline fields and their labels, in the order a table shows them.
pub const FIELDS: [(&str, &str); 17] = [
    ("model", "Model"),
    ("gpus", "GPUs"),
    ("engine", "Engine"),
    ("weights", "Weights"),
    ("kv", "KV cache type"),
    ("n_ctx", "Context"),
    ("n_seq", "Sequences"),
    ("fits", "Fits"),
    ("shortfall_bytes", "Short by"),
    ("weights_bytes", "Weights size"),
    ("kv_bytes", "KV cache size"),
    ("peak_utilisation", "Fullest GPU"),
    ("max_context", "Longest context"),
    ("max_batch", "Most sequences"),
    ("decode_tokens_per_s", "Decode per sequence"),
    ("prefill_tokens_per_s", "Prefill"),
    ("price_usd", "GPU list price"),
];

impl Side {
    /// A field's value as a table shows it (GiB, grouped counts, tok/s).
    pub fn text(&self, field: &str) -> String {
        use crate::units::{gib, grouped};
        let count = |v: Option<u64>| v.map_or("—".to_string(), grouped);
        let rate = |v: Option<f64>| v.map_or("—".to_string(), |t| format!("{t:.1} tok/s"));
        match field {
            "model" => self.model.clone(),
            "gpus" => self.gpus.clone(),
            "engine" => self.engine.clone(),
            "weights" => self.weights.clone(),
            "kv" => self.kv.clone(),
            "n_ctx" => grouped(self.n_ctx),
            "n_seq" => grouped(self.n_seq),
            "fits" => if self.fits { "yes" } else { "no" }.to_string(),
            "shortfall_bytes" => gib(self.shortfall_bytes),
            "weights_bytes" => gib(self.weights_bytes),
            "kv_bytes" => gib(self.kv_bytes),
            "peak_utilisation" => format!("{:.0} %", 100.0 * self.peak_utilisation),
            "max_context" => count(self.max_context),
            "max_batch" => count(self.max_batch),
            "decode_tokens_per_s" => rate(self.decode_tokens_per_s),
            "prefill_tokens_per_s" => rate(self.prefill_tokens_per_s),
            "price_usd" => self.price_usd.map_or("—".to_string(), |p| {
                format!("${}", grouped(p.round() as u64))
            }),
            _ => String::new(),
        }
    }
}

/// The headline of a report.
pub fn side(report: &Report, request: &Request) -> Side {
    let gpus = crate::plan::device::parse_gpus(&request.gpus).unwrap_or_default();
    let price_usd = gpus
        .iter()
        .map(|g| {
            g.card
                .and_then(crate::plan::gpus::find_card)
                .and_then(|card| card.price_usd)
        })
        .sum::<Option<f64>>();
    Side {
        label: format!(
            "{} · {} · {} on {}",
            report.model,
            report.weights_label,
            report.engine.label(),
            request.gpus.trim()
        ),
        model: report.model.clone(),
        gpus: request.gpus.trim().to_string(),
        engine: report.engine.label().to_string(),
        weights: report.weights_label.clone(),
        kv: request.kv.clone(),
        n_ctx: report.n_ctx,
        n_seq: report.n_seq,
        fits: report.fits,
        shortfall_bytes: report.shortfall_bytes,
        weights_bytes: report.weights_bytes,
        kv_bytes: report.kv_bytes,
        peak_utilisation: report.plan.peak_utilisation(),
        max_context: report.max_context,
        max_batch: report.max_batch,
        decode_tokens_per_s: report.speed.as_ref().map(|s| s.decode_tokens_per_s),
        prefill_tokens_per_s: report.speed.as_ref().map(|s| s.prefill_tokens_per_s),
        price_usd: (!gpus.is_empty()).then_some(price_usd).flatten(),
    }
}

/// Plans every setup and marks the headline fields that differ.
pub fn compare(requests: &[Request]) -> Comparison {
    let setups: Vec<Planned> = requests
        .iter()
        .map(|r| match report(r) {
            Ok(rep) => Planned::Side(Box::new(side(&rep, r))),
            Err(e) => invalid(&e),
        })
        .collect();
    let values: Vec<serde_json::Value> = setups
        .iter()
        .filter_map(|s| match s {
            Planned::Side(side) => serde_json::to_value(side).ok(),
            Planned::Invalid { .. } => None,
        })
        .collect();
    let differs = FIELDS
        .into_iter()
        .map(|(field, _)| field)
        .filter(|field| values.windows(2).any(|w| w[0][field] != w[1][field]))
        .collect();
    Comparison { setups, differs }
}

fn invalid(e: &InputError) -> Planned {
    Planned::Invalid {
        error: e.to_string(),
        field: e.field(),
    }
}

/// Applies `field=value` changes (comma- or space-separated, values may
/// not hold commas unless it is the last change) to `base`: the CLI's
/// `--compare` argument. `gpus=2xrtx-4090, 12GB` works as the last change.
pub fn with_changes(base: &Request, changes: &str) -> Result<Request, String> {
    let mut request = base.clone();
    let mut rest = changes.trim();
    while !rest.is_empty() {
        let (field, after) = rest
            .split_once('=')
            .ok_or_else(|| format!("'{rest}' is not field=value"))?;
        let field = field.trim().trim_start_matches("--").replace('-', "_");
        // The value runs to the next `, name=` or ` name=`, else to the end.
        let next = next_change(after);
        let (value, tail) = after.split_at(next);
        let value = value.trim().trim_end_matches(',').trim().to_string();
        if field == "engine" {
            request.set_engine(&value);
        } else if !request.set(&field, value) {
            return Err(format!(
                "unknown field '{field}'; fields are {}",
                Request::FIELDS.join(", ")
            ));
        }
        rest = tail.trim_start_matches([',', ' ']).trim();
    }
    Ok(request)
}

/// Where the next `name=` starts in `text` (after a comma or space), or its end.
fn next_change(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b',' || bytes[i] == b' ' {
            let start = i + 1;
            let word_end = text[start..]
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-'))
                .map_or(text.len(), |n| start + n);
            if word_end > start
                && text[word_end..].starts_with('=')
                && Request::FIELDS
                    .iter()
                    .any(|f| *f == text[start..word_end].replace('-', "_"))
            {
                return i;
            }
        }
        i += 1;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changes_apply_and_gpus_may_hold_commas() {
        let base = Request::default();
        let r = with_changes(&base, "engine=vllm, gpus=2xrtx-4090, 12GB").unwrap();
        assert_eq!(r.engine, "vllm");
        assert_eq!(r.gpus, "2xrtx-4090, 12GB");
        let r = with_changes(&base, "weights=q8_0 ctx=32768").unwrap();
        assert_eq!((r.weights.as_str(), r.ctx.as_str()), ("q8_0", "32768"));
        assert!(with_changes(&base, "colour=blue").is_err());
        assert!(with_changes(&base, "q8_0").is_err());
        assert_eq!(with_changes(&base, "").unwrap(), base);
    }

    #[test]
    fn differences_are_the_fields_that_change() {
        let a = Request::default();
        let b = with_changes(&a, "weights=q8_0").unwrap();
        let c = compare(&[a.clone(), b]);
        assert!(c.differs.contains(&"weights"));
        assert!(c.differs.contains(&"weights_bytes"));
        assert!(!c.differs.contains(&"model"));
        assert!(!c.differs.contains(&"gpus"));
        // The same setup twice differs nowhere.
        assert!(compare(&[a.clone(), a.clone()]).differs.is_empty());
        // An invalid setup is reported, and the others still compared.
        let bad = with_changes(&a, "ctx=lots").unwrap();
        let c = compare(&[a, bad]);
        assert!(matches!(c.setups[1], Planned::Invalid { field: "ctx", .. }));
    }
}
