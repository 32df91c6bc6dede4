//! `vramfit fit`: every catalog model × weight format that fits on the GPUs,
//! best first, as a table grouped by family or `--json`, through
//! [`vramfit::search::fit`]. The run's flags are `vramfit plan`'s, with the
//! same names, defaults and help.

use vramfit::report::InputError;
use vramfit::search::fit::{fit, FitEntry, FitReport, FitRequest};
use vramfit::units::{gib, params};

/// The flags of `vramfit fit`.
#[derive(Debug, clap::Args)]
pub struct FitArgs {
    #[command(flatten)]
    run: super::RunFlags,
    #[command(flatten)]
    build: super::BuildFlags,
    #[command(flatten)]
    vllm: super::VllmFlags,
    /// Only this model family (Llama, Qwen, Gemma…; `vramfit models` lists them).
    #[arg(long, default_value = "")]
    family: String,
    /// any, moe (mixture-of-experts models only) or dense.
    #[arg(long, default_value = "any")]
    moe: String,
    /// Only models whose longest context on the GPUs (at --batch sequences) reaches this many tokens.
    #[arg(long = "min-ctx", default_value = "")]
    min_ctx: String,
    /// Only models that decode at least this many tokens per second per
    /// sequence (at --batch sequences); a model's best format that is too
    /// slow gives way to its next that is fast enough. Needs catalog cards
    /// (a size has no bandwidth).
    #[arg(long = "min-tps", default_value = "", value_name = "TOK/S")]
    min_tps: String,
    /// Every format of each model that fits, not only the best one (the
    /// longest context and most sequences are searched for the best one).
    #[arg(long = "all-formats")]
    all_formats: bool,
    /// Print JSON (`entries`, best first, and the plan request they share) instead of a table.
    #[arg(long)]
    json: bool,
}

impl FitArgs {
    /// The request as the library reads it.
    fn request(self) -> FitRequest {
        let on_off = |b: bool| if b { "on" } else { "off" }.to_string();
        let vllm = self.vllm;
        let fields = self
            .run
            .fields()
            .into_iter()
            .chain(self.build.fields())
            .chain([
                ("util", vllm.util),
                ("vllm_version", vllm.vllm_version),
                ("batched_tokens", vllm.batched_tokens),
                ("block_size", vllm.block_size),
                ("eager", on_off(vllm.enforce_eager)),
                ("tp", vllm.tp),
                ("pp", vllm.pp),
                ("family", self.family),
                ("moe", self.moe),
                ("min_ctx", self.min_ctx),
                ("min_tps", self.min_tps),
                (
                    "formats",
                    if self.all_formats { "all" } else { "best" }.to_string(),
                ),
            ]);
        let mut request = FitRequest::default();
        for (field, value) in fields {
            let known = request.set(field, value);
            debug_assert!(known, "{field} is a fit field");
        }
        request
    }
}

/// An input error worded with the flag it belongs to.
fn flag_message(e: &InputError) -> String {
    let flag = match e.field() {
        "gpus" => "--gpu".to_string(),
        "host_bw" => "--host-bandwidth".to_string(),
        "util" => "--gpu-memory-utilization".to_string(),
        "batched_tokens" => "--max-num-batched-tokens".to_string(),
        "eager" => "--enforce-eager".to_string(),
        "tp" => "--tensor-parallel-size".to_string(),
        "pp" => "--pipeline-parallel-size".to_string(),
        field => format!("--{}", field.replace('_', "-")),
    };
    // "min_tps must be …" reads "--min-tps must be …".
    let text = e.to_string();
    match text.strip_prefix(e.field()) {
        Some(rest) if rest.starts_with(' ') => format!("{flag}{rest}"),
        _ => format!("{flag}: {text}"),
    }
}

/// Runs `vramfit fit`.
pub fn run(args: FitArgs) -> Result<(), String> {
    let json = args.json;
    let request = args.request();
    let report = fit(&request).map_err(|e| flag_message(&e))?;
    if json {
        println!("{}", super::to_json(&report)?);
    } else {
        print_fit(&report, request.get("min_tps").unwrap_or_default().trim());
    }
    Ok(())
}

/// A count, or `-` when none fits and `·` when not searched.
fn limit(value: Option<Option<u64>>) -> String {
    match value {
        Some(Some(n)) => n.to_string(),
        Some(None) => "-".into(),
        None => "·".into(),
    }
}

fn row(e: &FitEntry) -> String {
    let size = if e.moe && e.active_params != e.params {
        format!("{} ({} active)", params(e.params), params(e.active_params))
    } else {
        params(e.params)
    };
    let decode = e
        .decode_tokens_per_s
        .map_or("-".to_string(), |t| format!("{t:.1}"));
    let offload = if e.offloaded { " (offloaded)" } else { "" };
    format!(
        "  {:<30} {:<24} {:<12} {:>5.2} {:>11} {:>8} {:>5} {:>8}{offload}",
        e.name,
        size,
        e.weights,
        e.bits_per_weight,
        gib(e.weights_bytes),
        limit(e.limits.map(|l| l.max_context)),
        limit(e.limits.map(|l| l.max_batch)),
        decode,
    )
}

/// The list grouped by family, families in the order of their best entry;
/// `min_tps` as given (empty: none).
fn print_fit(r: &FitReport, min_tps: &str) {
    let q = &r.request;
    let sequences = if q.batch.trim() == "1" {
        "1 sequence".to_string()
    } else {
        format!("{} sequences", q.batch.trim())
    };
    let models: std::collections::BTreeSet<&str> =
        r.entries.iter().map(|e| e.model.as_str()).collect();
    let (fast, bounds) = if min_tps.is_empty() {
        (String::new(), "size")
    } else {
        (format!(" at {min_tps} tok/s or more"), "size or speed")
    };
    println!(
        "on {} with {}, {} tokens × {sequences}: {} models fit{fast} ({} entries); {} candidates, {} planned, {} ruled out by {bounds}",
        q.gpus, q.engine, q.ctx.trim(), models.len(), r.entries.len(), r.considered, r.planned, r.pruned
    );
    let mut families: Vec<&str> = Vec::new();
    for e in &r.entries {
        if !families.contains(&e.family.as_str()) {
            families.push(&e.family);
        }
    }
    for family in families {
        println!("\n{family}");
        println!(
            "  {:<30} {:<24} {:<12} {:>5} {:>11} {:>8} {:>5} {:>8}",
            "model", "parameters", "weights", "bits", "size", "context", "seqs", "tok/s"
        );
        for e in r.entries.iter().filter(|e| e.family == family) {
            println!("{}", row(e));
        }
    }
    if r.entries.iter().any(|e| e.limits.is_none()) {
        println!("\n· not searched: `vramfit plan MODEL --weights FORMAT …` gives its longest context and most sequences");
    }
    for n in &r.notes {
        println!("note: {n}");
    }
}
