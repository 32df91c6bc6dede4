//! `vramfit buy`: the cheapest GPU sets that run a model — cards to buy,
//! or with `--rent` cloud instances — as a table or `--json`, through
//! [`vramfit::search::buy`].

use vramfit::report::InputError;
use vramfit::search::buy::{buy, BuyOption, BuyReport, BuyRequest, Mode, Rank};
use vramfit::units::gib;

/// The flags of `vramfit buy`.
#[derive(Debug, Clone, clap::Args)]
pub struct BuyArgs {
    /// Catalog id or alias; a config.json; a .gguf; a .safetensors or
    /// model.safetensors.index.json with its config.json beside it; or a
    /// directory holding them.
    #[arg(required = true, num_args = 1..)]
    model: Vec<String>,
    /// Weight format (q4_k_m, q8_0, bf16, fp8, awq…); default: what the
    /// name implies, else the engine's.
    #[arg(long)]
    weights: Option<String>,
    /// Engine: llama.cpp, vllm, transformers, exllamav2 or ollama.
    #[arg(long, default_value = "llama.cpp")]
    engine: String,
    /// KV-cache type.
    #[arg(long, default_value = "f16")]
    kv: String,
    /// Context length per sequence, tokens.
    #[arg(long, default_value = "8192")]
    ctx: String,
    /// Concurrent sequences.
    #[arg(long, default_value = "1")]
    batch: String,
    /// Images per request for a vision-language model.
    #[arg(long)]
    images: Option<String>,
    /// Runtime overhead per GPU (default: the engine's).
    #[arg(long)]
    overhead: Option<String>,
    /// Memory kept free on every GPU.
    #[arg(long)]
    reserve: Option<String>,
    /// vLLM --gpu-memory-utilization.
    #[arg(long)]
    util: Option<String>,
    /// Flash attention: on or off.
    #[arg(long)]
    flash_attn: Option<String>,
    /// The most GPUs in one machine.
    #[arg(long, default_value = "8")]
    max_gpus: String,
    /// The most machines, each a copy of one machine's set.
    #[arg(long, default_value = "1")]
    machines: String,
    /// A JSON file of prices that replace the catalogs': card ids to US
    /// dollars, instance ids to dollars per hour (`-`: standard input).
    #[arg(long, value_name = "FILE")]
    prices: Option<String>,
    /// Rent cloud instances (dollars per hour) instead of buying cards.
    #[arg(long)]
    rent: bool,
    /// Whether one machine's cards share a vendor: on or off.
    #[arg(long, default_value = "on")]
    same_vendor: String,
    /// Only these cards (comma-separated ids).
    #[arg(long)]
    cards: Option<String>,
    /// How many sets to list.
    #[arg(long, default_value = "10")]
    top: String,
    /// Only sets that decode at least this many tokens per second per
    /// sequence (at --ctx and --batch), however much dearer.
    #[arg(long = "min-tps", value_name = "TOK/S")]
    min_tps: Option<String>,
    /// Order the sets by price (dollars, or dollars per hour with --rent)
    /// or, with --rent, by usd-per-mtok: dollars per million tokens
    /// generated at the plan's total decode rate.
    #[arg(long, default_value = "price", value_name = "price|usd-per-mtok")]
    rank: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    json: bool,
}

/// An input error worded with the flag it belongs to.
fn flag_message(e: &InputError) -> String {
    let field = e.field();
    let flag = match field {
        "model" | "config" => "MODEL".to_string(),
        f => format!("--{}", f.replace('_', "-")),
    };
    let text = e.to_string();
    match text.strip_prefix(field) {
        Some(rest) if rest.starts_with(' ') || rest.starts_with(':') => format!("{flag}{rest}"),
        _ => format!("{flag}: {text}"),
    }
}

/// Runs `vramfit buy`.
pub fn run(args: BuyArgs) -> Result<(), String> {
    let mut request = BuyRequest::default();
    let (id, config, _) = super::model_source(&args.model)?;
    request.set("model", id);
    request.set("config", config);
    request.run.set_engine(&args.engine);
    let optional = [
        ("weights", &args.weights),
        ("images", &args.images),
        ("overhead", &args.overhead),
        ("reserve", &args.reserve),
        ("util", &args.util),
        ("flash_attn", &args.flash_attn),
        ("cards", &args.cards),
        ("min_tps", &args.min_tps),
    ];
    for (field, value) in optional {
        if let Some(v) = value {
            request.set(field, v.clone());
        }
    }
    for (field, value) in [
        ("kv", &args.kv),
        ("ctx", &args.ctx),
        ("batch", &args.batch),
        ("max_gpus", &args.max_gpus),
        ("machines", &args.machines),
        ("same_vendor", &args.same_vendor),
        ("top", &args.top),
        ("rank", &args.rank),
    ] {
        request.set(field, value.clone());
    }
    if let Some(path) = &args.prices {
        request.set("prices", super::read_text(path)?);
    }
    if args.rent {
        request.set("mode", "rent".into());
    }
    let report = buy(&request).map_err(|e| flag_message(&e))?;
    if args.json {
        println!("{}", super::to_json(&report)?);
    } else {
        print_buy(&report);
    }
    Ok(())
}

/// `$1,599` bought; `$55.04/h` rented.
fn price(r: &BuyReport, o: &BuyOption) -> String {
    match r.mode {
        Mode::Buy => format!("${}", vramfit::units::grouped(o.price.round() as u64)),
        Mode::Rent => format!("${:.2}/h", o.price),
    }
}

/// Dollars per million tokens: `$0.41`, `-` when unknown.
fn per_mtok(o: &BuyOption) -> String {
    o.usd_per_million_tokens
        .map_or("-".to_string(), |c| format!("${c:.2}"))
}

/// What a row calls its set: the GPUs, or the instance and its GPUs.
fn name(o: &BuyOption) -> String {
    match (&o.instance, &o.provider) {
        (Some(i), Some(p)) if i.starts_with(p.as_str()) => format!("{i}: {}", o.gpu_list),
        (Some(i), Some(p)) => format!("{p} {i}: {}", o.gpu_list),
        _ => o.gpu_list.clone(),
    }
}

/// The table: a header and one row per set, the name column as wide as
/// its longest entry.
fn table(r: &BuyReport, sets: &[BuyOption]) {
    let width = sets
        .iter()
        .map(|o| name(o).chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let rent = r.mode == Mode::Rent;
    let mtok_head = if rent {
        format!(" {:>8}", "$/Mtok")
    } else {
        String::new()
    };
    println!(
        "{:>12}  {:<width$}  {:>10} {:>9} {:>8} {:>7}{mtok_head}",
        "price", "GPUs", "memory", "max ctx", "max seq", "tok/s"
    );
    let opt = |n: Option<u64>| n.map_or("-".to_string(), |n| n.to_string());
    for o in sets {
        let mtok = if rent {
            format!(" {:>8}", per_mtok(o))
        } else {
            String::new()
        };
        println!(
            "{:>12}  {:<width$}  {:>10} {:>9} {:>8} {:>7}{mtok}",
            price(r, o),
            name(o),
            gib(o.memory_bytes),
            opt(o.max_context),
            opt(o.max_batch),
            o.decode_tokens_per_s
                .map_or("-".to_string(), |t| format!("{t:.1}"))
        );
    }
}

fn print_buy(r: &BuyReport) {
    let what = match r.mode {
        Mode::Buy => "to buy",
        Mode::Rent => "to rent",
    };
    let cheapest = match r.rank {
        Rank::Price => "the cheapest GPU sets",
        Rank::UsdPerMtok => "the GPU sets cheapest per million tokens",
    };
    let fast = r.min_tps.map_or(String::new(), |m| {
        format!(" decoding {m} tok/s per sequence or more")
    });
    println!(
        "{} ({}) on {}, {} tokens × {} sequence(s): {cheapest}{fast} {what}, up to {} GPUs × {} machine(s)",
        r.model,
        r.weights,
        r.engine.label(),
        r.n_ctx,
        r.n_seq,
        r.max_gpus,
        r.machines
    );
    if !r.options.is_empty() {
        table(r, &r.options);
    }
    for (title, front) in [
        ("price vs longest context", &r.pareto_context),
        ("price vs most sequences", &r.pareto_batch),
    ] {
        if front.len() > 1 {
            println!("\n{title}");
            table(r, front);
        }
    }
    for n in r.notes.iter().chain(&r.warnings) {
        println!("note: {n}");
    }
    let (bounds, slow) = match r.min_tps {
        Some(_) => (
            "memory and speed bounds",
            format!(", {} fit but too slow", r.too_slow),
        ),
        None => ("memory bound", String::new()),
    };
    println!(
        "searched: {} sets drawn in price order, {} planned ({} fit checks){slow}, {} ruled out by the {bounds}",
        r.considered,
        r.planned,
        r.fit_checks,
        r.bounded + r.pruned
    );
}
