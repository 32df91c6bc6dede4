//! The native command-line tool: parses arguments, calls the library, prints
//! a table or JSON. No arithmetic lives here.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vramfit::estimate::catalog::{find, MODELS};
use vramfit::estimate::memory::Engine;
use vramfit::import::parse_config;
use vramfit::plan::{report, Report, Request};
use vramfit::units::{gb, gib, grouped, params};

/// Will this LLM fit on these GPUs, and how do I split it?
#[derive(Parser)]
#[command(name = "vramfit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// List the built-in model catalog.
    Models {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Exact parameter counts of a model.
    Params {
        /// Catalog id or alias, or a path to a config.json.
        model: String,
        #[arg(long)]
        json: bool,
    },
    /// Plan a run: the split across GPUs, what fits, and the launch command.
    Plan {
        /// Catalog id or alias, or a path to a config.json.
        model: String,
        /// A GPU: a size like 24GB or 80GiB (a bare number is GB), optionally
        /// repeated as 2x24GB. Give --gpu once per entry.
        #[arg(long = "gpu", required = true)]
        gpus: Vec<String>,
        /// Engine: llama.cpp, vllm or transformers (case-insensitive).
        #[arg(long, default_value = "llama.cpp")]
        engine: String,
        /// Weight format: q4_k_m, q8_0, f16 (GGUF); bf16, fp8, int8, nf4, gptq, awq, mxfp4 (others).
        /// Defaults to q4_k_m for llama.cpp and bf16 otherwise.
        #[arg(long)]
        weights: Option<String>,
        /// KV-cache type: f16, q8_0, q4_0, …
        #[arg(long, default_value = "f16")]
        kv: String,
        /// Context length per sequence, tokens.
        #[arg(long, default_value = "8192")]
        ctx: String,
        /// Concurrent sequences.
        #[arg(long, default_value = "1")]
        batch: String,
        /// Runtime overhead reserved on each GPU (CUDA context, allocator slack).
        #[arg(long, default_value = "500MiB")]
        overhead: String,
        #[arg(long)]
        json: bool,
    },
}

fn main() -> ExitCode {
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// A catalog id, or the contents of a config.json when `model` is a file.
fn model_source(model: &str) -> Result<(String, String), String> {
    if std::path::Path::new(model).is_file() {
        let text = std::fs::read_to_string(model).map_err(|e| format!("{model}: {e}"))?;
        Ok((String::new(), text))
    } else {
        Ok((model.to_string(), String::new()))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
}

fn run(cli: Cli) -> Result<(), String> {
    match cli.command {
        Command::Models { json } => {
            if json {
                let list: Vec<_> = MODELS
                    .iter()
                    .map(|m| serde_json::json!({"id": m.id, "name": m.name, "family": m.family, "aliases": m.aliases}))
                    .collect();
                println!("{}", to_json(&list)?);
            } else {
                for m in MODELS {
                    println!("{:<18} {:<18} {}", m.id, m.name, m.family);
                }
            }
        }
        Command::Params { model, json } => {
            let (id, config) = model_source(&model)?;
            let imported = if config.is_empty() {
                find(&id).map_err(|e| e.to_string())?.load()
            } else {
                parse_config(&config)
            }
            .map_err(|e| e.to_string())?;
            let p = imported.spec.params();
            if json {
                println!("{}", to_json(&p)?);
            } else {
                println!("total      {} ({})", grouped(p.total), params(p.total));
                println!("active     {}", grouped(p.active));
                println!("embedding  {}", grouped(p.embedding));
                for (first, last, count) in layer_runs(&p.per_layer) {
                    let range = if first == last {
                        format!("{first}")
                    } else {
                        format!("{first}-{last}")
                    };
                    println!("layer {range:<7} {} each", grouped(count));
                }
            }
            for w in imported.warnings {
                eprintln!("warning: {w}");
            }
        }
        Command::Plan {
            model,
            gpus,
            engine,
            weights,
            kv,
            ctx,
            batch,
            overhead,
            json,
        } => {
            let (model, config) = model_source(&model)?;
            let weights = match weights {
                Some(w) => w,
                None => engine
                    .parse::<Engine>()
                    .map_err(|e| e.to_string())?
                    .default_weights()
                    .id(),
            };
            let request = Request {
                model,
                config,
                gpus: gpus.join(","),
                engine,
                weights,
                kv,
                ctx,
                batch,
                overhead,
            };
            let r = report(&request).map_err(|e| e.to_string())?;
            if json {
                println!("{}", to_json(&r)?);
            } else {
                print_report(&r);
            }
        }
    }
    Ok(())
}

/// Consecutive layers with equal parameter counts: `(first, last, count)`.
fn layer_runs(per_layer: &[u64]) -> Vec<(usize, usize, u64)> {
    let mut runs: Vec<(usize, usize, u64)> = Vec::new();
    for (i, &count) in per_layer.iter().enumerate() {
        match runs.last_mut() {
            Some(run) if run.2 == count => run.1 = i,
            _ => runs.push((i, i, count)),
        }
    }
    runs
}

fn print_report(r: &Report) {
    let verdict = if r.fits {
        "fits".to_string()
    } else {
        format!("does NOT fit: short by {}", gb(r.shortfall_bytes))
    };
    println!(
        "{} ({} parameters) on {}, {}: {verdict}",
        r.model,
        params(r.params.total),
        r.engine,
        r.weights_label
    );
    println!(
        "{:<8} {:>9} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "device", "layers", "usable", "weights", "kv", "compute", "overhead", "free"
    );
    for d in &r.plan.devices {
        let layers = d
            .layers
            .map_or("-".to_string(), |[a, b]| format!("{a}-{b}"));
        println!(
            "{:<8} {:>9} {:>12} {:>11} {:>11} {:>11} {:>11} {:>11}",
            d.name,
            layers,
            gib(d.usable_bytes),
            gib(d.weights_bytes),
            gib(d.kv_bytes),
            gib(d.compute_bytes),
            gib(d.overhead_bytes),
            gib(d.free_bytes())
        );
    }
    println!("host memory: {}", gib(r.host_bytes));
    match r.max_context {
        Some(c) => println!("max context at {} sequence(s): {c} tokens", r.n_seq),
        None => println!("max context: none fits"),
    }
    match r.max_batch {
        Some(b) => println!("max sequences at {} tokens: {b}", r.n_ctx),
        None => println!("max sequences: none fits"),
    }
    let types: Vec<String> = r
        .weights_by_type
        .iter()
        .map(|t| format!("{} ×{} ({})", t.storage, t.tensors, gib(t.bytes)))
        .collect();
    println!("weights by type: {}", types.join(", "));
    if let Some(command) = &r.llama_cpp_command {
        println!("\n{command}");
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
}
