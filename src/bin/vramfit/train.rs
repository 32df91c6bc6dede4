//! `vramfit train`: one flag per field of [`vramfit::report::train::FIELDS`]
//! (underscores as dashes, its help and default), run through
//! `train_report`, printed as a table and the launch configs, or as JSON.
//! The flags are built from that table, so the CLI, the app and the JS API
//! take the same fields.

use clap::{Arg, ArgAction, ArgMatches, Command};
use vramfit::report::train::{train_report, TrainReport, TrainRequest, FIELDS};
use vramfit::report::InputError;
use vramfit::train::params::Targets;
use vramfit::train::{Method, Offload, Sharding};
use vramfit::units::{gib, grouped, params};

/// The fields given on the command line, as typed.
#[derive(Debug, Clone, Default)]
pub struct TrainArgs {
    /// `(field, value)` for every field but the model and the config.
    values: Vec<(&'static str, String)>,
    /// The model's catalog id, or the files that hold it.
    model: Vec<String>,
    /// A config.json to read (`-`: standard input).
    config: Option<String>,
    json: bool,
}

impl clap::Args for TrainArgs {
    fn augment_args(mut cmd: Command) -> Command {
        for &(field, default, help) in FIELDS {
            let arg = match field {
                "model" => Arg::new(field)
                    .value_name("MODEL")
                    .num_args(1..)
                    .required_unless_present("config")
                    .help(format!(
                        "{help}; or a config.json, .gguf, .safetensors or a folder holding them"
                    )),
                "config" => Arg::new(field)
                    .long(field)
                    .value_name("FILE")
                    .help(format!("{help}: a file, or - for standard input")),
                _ => {
                    // clap keeps flag names for the life of the program.
                    let long: &'static str = Box::leak(field.replace('_', "-").into_boxed_str());
                    let value: &'static str =
                        Box::leak(field.to_ascii_uppercase().into_boxed_str());
                    let mut arg = Arg::new(field).long(long).value_name(value).help(help);
                    if !default.is_empty() {
                        arg = arg.default_value(default);
                    }
                    if field == "gpus" {
                        arg = arg.visible_alias("gpu").action(ArgAction::Append);
                    }
                    arg
                }
            };
            cmd = cmd.arg(arg);
        }
        cmd.arg(
            Arg::new("json")
                .long("json")
                .action(ArgAction::SetTrue)
                .help("Print the report as JSON"),
        )
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        Self::augment_args(cmd)
    }
}

impl clap::FromArgMatches for TrainArgs {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        let mut args = TrainArgs {
            json: m.get_flag("json"),
            ..TrainArgs::default()
        };
        for &(field, _, _) in FIELDS {
            let Some(values) = m.get_many::<String>(field) else {
                continue;
            };
            let values: Vec<String> = values.cloned().collect();
            match field {
                "model" => args.model = values,
                "config" => args.config = values.into_iter().next(),
                _ => args.values.push((field, values.join(","))),
            }
        }
        Ok(args)
    }

    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        *self = Self::from_arg_matches(m)?;
        Ok(())
    }
}

/// The flag a request field is typed into.
fn flag(field: &str) -> String {
    match field {
        "model" => "MODEL".into(),
        f => format!("--{}", f.replace('_', "-")),
    }
}

/// An input error worded with the flag it belongs to.
fn flag_message(e: &InputError) -> String {
    let field = e.field();
    let text = e.to_string();
    match text.strip_prefix(field) {
        Some(rest) if rest.starts_with(' ') || rest.starts_with(':') => {
            format!("{}{rest}", flag(field))
        }
        _ => format!("{}: {text}", flag(field)),
    }
}

/// Runs `vramfit train`.
pub fn run(args: TrainArgs) -> Result<(), String> {
    let mut request = TrainRequest::default();
    for (field, value) in &args.values {
        request.set(field, value.clone());
    }
    if !args.model.is_empty() {
        let (id, config, _) = super::model_source(&args.model)?;
        request.set("model", id);
        request.set("config", config);
    }
    if let Some(path) = &args.config {
        request.set("config", super::read_text(path)?);
    }
    let report = train_report(&request).map_err(|errors| {
        errors
            .iter()
            .map(flag_message)
            .collect::<Vec<_>>()
            .join("\nerror: ")
    })?;
    if args.json {
        println!("{}", super::to_json(&report)?);
    } else {
        print_train(&report);
    }
    Ok(())
}

/// `8,030,261,248 (8.03B)`; small counts without the rounded form.
fn count(n: u64) -> String {
    if n >= 1_000_000 {
        format!("{} ({})", grouped(n), params(n))
    } else {
        grouped(n)
    }
}

/// The GPU's name, or how many GPUs (the table names each).
fn gpu_list(r: &TrainReport) -> String {
    match r.devices.as_slice() {
        [one] => one.name.clone(),
        all => format!("{} GPUs", all.len()),
    }
}

/// The run in words: method, optimizer, precision, shape, sharding.
fn run_summary(r: &TrainReport) -> String {
    let s = &r.settings;
    let targets = match &s.lora.targets {
        Targets::AllLinear => "all-linear".to_string(),
        Targets::Modules(names) => names.join(","),
    };
    let method = match s.method {
        Method::Full => "full fine-tuning".to_string(),
        Method::Lora => format!("LoRA r={} alpha={} ({targets})", s.lora.r, s.lora.alpha),
        Method::Qlora => format!("QLoRA r={} alpha={} ({targets})", s.lora.r, s.lora.alpha),
    };
    let mut parts = vec![
        method,
        s.optimizer.name().to_string(),
        s.precision.name().to_string(),
        format!("micro-batch {} × {} tokens", s.micro_batch, s.seq),
        format!(
            "gradient checkpointing {}",
            if s.grad_checkpointing { "on" } else { "off" }
        ),
    ];
    match s.sharding {
        Sharding::None if r.devices.len() > 1 => parts.push("DDP".into()),
        Sharding::None => {}
        Sharding::Zero(stage) => parts.push(format!("ZeRO-{stage}")),
        Sharding::FsdpFull => parts.push("FSDP full shard".into()),
        Sharding::FsdpHybrid => parts.push("FSDP hybrid shard".into()),
    }
    match s.offload {
        Offload::None => {}
        Offload::Optimizer => parts.push("optimizer offloaded".into()),
        Offload::Params => parts.push("optimizer and parameters offloaded".into()),
    }
    parts.join(", ")
}

fn print_train(r: &TrainReport) {
    let verdict = if r.fits {
        "fits".to_string()
    } else {
        format!("does NOT fit: short by {}", gib(r.shortfall_bytes))
    };
    println!("{} on {}: {verdict}", r.model, gpu_list(r));
    println!("run: {}", run_summary(r));
    println!(
        "parameters: {} trainable, {} frozen",
        count(r.trainable_params),
        count(r.frozen_params)
    );
    println!(
        "{:<32} {:>10} {:>10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>10}",
        "device",
        "params",
        "grads",
        "optimizer",
        "activations",
        "temporary",
        "overhead",
        "peak",
        "usable"
    );
    for d in &r.devices {
        println!(
            "{:<32} {:>10} {:>10} {:>10} {:>11} {:>10} {:>10} {:>10} {:>10}",
            d.name,
            gib(d.params_bytes),
            gib(d.grads_bytes),
            gib(d.optimizer_bytes),
            gib(d.activations_bytes),
            gib(d.temporary_bytes),
            gib(d.overhead_bytes),
            gib(d.peak_bytes),
            gib(d.usable_bytes)
        );
    }
    if r.host_bytes > 0 {
        println!("host memory (offloaded, per GPU): {}", gib(r.host_bytes));
    }
    let s = &r.settings;
    match r.max_seq {
        Some(t) => println!(
            "longest sequence at micro-batch {}: {t} tokens",
            s.micro_batch
        ),
        None => println!(
            "longest sequence at micro-batch {}: none fits (not even 64 tokens)",
            s.micro_batch
        ),
    }
    match r.max_micro_batch {
        Some(b) => println!("largest micro-batch at {} tokens: {b}", s.seq),
        None => println!("largest micro-batch at {} tokens: none fits", s.seq),
    }
    for n in &r.notes {
        println!("note: {n}");
    }
    for (name, config) in &r.launch {
        println!("\n# {name}\n{}", config.trim_end());
    }
}
