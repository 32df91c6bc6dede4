//! The native command-line tool: parses arguments, calls the library, prints
//! a table or JSON. No arithmetic lives here.

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use vramfit::estimate::catalog::MODELS;
use vramfit::estimate::names::resolve;
use vramfit::import::file::{gguf_format, gguf_import, safetensors_import};
use vramfit::import::gguf::{parse_gguf, GgufError, GgufHeader};
use vramfit::import::parse_config;
use vramfit::import::safetensors::{parse_index, parse_safetensors, Header, SafetensorsError};
use vramfit::plan::gpus::cards;
use vramfit::report::{report, Report, Request};
use vramfit::units::{gib, grouped, mib, params};

// `vramfit train`'s flags and printing; beside this file, not in src/bin/,
// where Cargo would take it for a binary of its own.
#[path = "vramfit/train.rs"]
mod train;
// `vramfit fit` and `vramfit buy`: the catalog searches (`vramfit::search`).
#[path = "vramfit/buy.rs"]
mod buy;
// `vramfit plan … --compare …`: setups side by side.
#[path = "vramfit/compare.rs"]
mod compare;
#[path = "vramfit/fit.rs"]
mod fit;

/// Will this LLM fit on these GPUs, and how do I split it?
#[derive(Parser)]
#[command(name = "vramfit", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

// Parsed once per run: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
enum Command {
    /// List the built-in model catalog.
    Models {
        /// Print JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// List the GPU catalog (names for --gpu).
    Gpus {
        #[arg(long)]
        json: bool,
        /// Read GPUs from an inventory instead (`nvidia-smi`, `rocm-smi
        /// --showmeminfo vram`, `system_profiler SPDisplaysDataType`,
        /// `llama-server --list-devices`; `-` for standard input).
        #[arg(long)]
        from: Option<String>,
    },
    /// Write small sample model files (a Q4_K_M GGUF with its vision
    /// projector, a BF16 safetensors checkpoint and its config.json) into a
    /// directory, for trying the importers and for the fuzzers' seed corpus.
    Sample {
        /// Directory to write into (created if missing).
        dir: PathBuf,
    },
    /// Check a setup you already have: a load log (llama.cpp, llama-server,
    /// Ollama, vLLM), a command line, or a GPU inventory — the plan of
    /// exactly that and, for a log, what the engine allocated next to ours.
    Check {
        /// The log or inventory to read (`-` for standard input).
        #[arg(long)]
        log: Option<String>,
        /// GPUs when the text does not say (as for `plan --gpu`).
        #[arg(long = "gpu")]
        gpus: Vec<String>,
        /// The model a log describes only in part (catalog id or alias).
        #[arg(long)]
        model: Option<String>,
        /// The plan's JSON plus "logged" and "diff".
        #[arg(long)]
        json: bool,
        /// A command line, after `--`.
        #[arg(last = true)]
        command: Vec<String>,
    },
    /// Exact parameter counts of a model.
    Params {
        /// Catalog id or alias; a config.json; a .gguf (all shards of a split
        /// one, and its mmproj-*.gguf for the image side); a .safetensors or
        /// model.safetensors.index.json with its config.json beside it; or a
        /// directory holding them.
        #[arg(required = true, num_args = 1..)]
        model: Vec<String>,
        #[arg(long)]
        json: bool,
    },
    /// Plan a fine-tuning run (full, LoRA or QLoRA): memory per GPU, the
    /// longest sequence and largest micro-batch that fit, and the configs
    /// that launch it (transformers + peft, DeepSpeed, accelerate, torchtune).
    Train(train::TrainArgs),
    /// What runs on these GPUs: every catalog model × weight format that
    /// fits, best first (largest model, highest-quality format, longest context).
    Fit(fit::FitArgs),
    /// What to buy or rent to run a model: the cheapest GPU sets that fit it.
    Buy(buy::BuyArgs),
    /// Plan a run: the split across GPUs, what fits, and the launch command.
    Plan {
        /// Catalog id or alias; a config.json; a .gguf (all shards of a split
        /// one, and its mmproj-*.gguf for the image side); a .safetensors or
        /// model.safetensors.index.json with its config.json beside it; or a
        /// directory holding them.
        #[arg(required = true, num_args = 1..)]
        model: Vec<String>,
        #[command(flatten)]
        run: RunFlags,
        /// Weight format (case-insensitive): q4_k_m, q8_0, f16… (GGUF), bf16,
        /// fp8, int8, nf4, gptq, awq, mxfp4, exl2-4.0bpw… Defaults to what a
        /// repository name implies (…-FP8, …-AWQ, …-GGUF:Q5_K_M), else a
        /// quantized checkpoint's own (gpt-oss's MXFP4; MXFP4_MOE GGUF on
        /// llama.cpp and Ollama), else per engine.
        #[arg(long)]
        weights: Option<String>,
        /// min-utilisation, max-context, max-batch or fastest (the fewest, fastest GPUs that hold it).
        #[arg(long, default_value = "min-utilisation")]
        objective: String,
        #[command(flatten)]
        vllm: VllmFlags,
        #[command(flatten)]
        llama: LlamaFlags,
        /// Also plan this variant and print the setups side by side:
        /// changes to the setup as `field=value` pairs (`gpus=2xrtx-4090`,
        /// `engine=vllm weights=awq`, `ctx=32768`). Repeatable.
        #[arg(long, value_name = "CHANGES")]
        compare: Vec<String>,
        #[arg(long)]
        json: bool,
    },
}

/// The flags of a run that `plan` and `fit` share: the GPUs, the engine and
/// what it is asked to hold.
#[derive(Debug, clap::Args)]
pub struct RunFlags {
    /// GPUs: a size (24GB, 80GiB; a bare number is GB) or a card name
    /// (rtx-4090, h100), optionally repeated (2xrtx-4090) and with memory
    /// already used (rtx-3090:1.5GB); `;` separates machines. Repeatable.
    #[arg(long = "gpu", required = true)]
    pub gpus: Vec<String>,
    /// Engine: llama.cpp, vllm, transformers, exllamav2 or ollama.
    #[arg(long, default_value = "llama.cpp")]
    pub engine: String,
    /// KV-cache type: f16, q8_0, q4_0… (llama.cpp), fp8 (vLLM), q8/q6/q4 (ExLlamaV2).
    #[arg(long, default_value = "f16")]
    pub kv: String,
    /// Context length per sequence, tokens (vLLM's --max-model-len).
    #[arg(long, visible_alias = "max-model-len", default_value = "8192")]
    pub ctx: String,
    /// Concurrent sequences (vLLM's --max-num-seqs).
    #[arg(long, visible_alias = "max-num-seqs", default_value = "1")]
    pub batch: String,
    /// Images per request for a vision-language model (0: text only).
    #[arg(long, default_value = "1")]
    pub images: String,
    /// Memory kept free on every GPU (desktop, other processes).
    #[arg(long, default_value = "")]
    pub reserve: String,
    /// Runtime overhead reserved on each GPU (CUDA context, allocator slack).
    #[arg(long, default_value = "")]
    pub overhead: String,
    /// Host RAM available for CPU offload.
    #[arg(long, default_value = "")]
    pub host_ram: String,
    /// Host memory bandwidth in GB/s, for the speed of offloaded layers (default: dual-channel DDR5-5600, 89.6; a Mac's unified memory).
    #[arg(long = "host-bandwidth", default_value = "")]
    pub host_bw: String,
    /// Let layers go to the CPU when the GPUs are not enough.
    #[arg(long)]
    pub offload: bool,
    /// llama.cpp's -ub: tokens per compute step (default 512).
    #[arg(long, visible_alias = "ub", default_value = "")]
    pub ubatch: String,
    /// Flash attention: on (default), off or auto (llama.cpp -fa; auto is on for GPU backends; SDPA for transformers).
    #[arg(long = "flash-attn", visible_alias = "fa", default_value = "on")]
    pub flash_attn: String,
}

impl RunFlags {
    /// `(request field, value)` for each flag, as `Request::set` takes them.
    pub fn fields(self) -> [(&'static str, String); 13] {
        let on_off = |b: bool| if b { "on" } else { "off" }.to_string();
        [
            ("gpus", self.gpus.join(",")),
            ("engine", self.engine),
            ("kv", self.kv),
            ("ctx", self.ctx),
            ("batch", self.batch),
            ("images", self.images),
            ("reserve", self.reserve),
            ("overhead", self.overhead),
            ("host_ram", self.host_ram),
            ("host_bw", self.host_bw),
            ("offload", on_off(self.offload)),
            ("ubatch", self.ubatch),
            ("flash_attn", self.flash_attn),
        ]
    }
}

/// llama.cpp's placement flags: given, the plan evaluates that placement
/// instead of searching one. llama.cpp's own spellings (`-ngl 20`,
/// `-ts 3,1`, `-sm row`, `-mg 1`) are accepted too.
#[derive(clap::Args, Debug)]
struct LlamaFlags {
    /// Layers on the GPUs, the output layer counted (n_layer + 1 or `all` offloads everything; the CPU keeps the first ones).
    #[arg(long = "n-gpu-layers", visible_alias = "ngl", default_value = "")]
    ngl: String,
    /// Proportions per GPU, e.g. 3,1 (default: proportional to free memory).
    #[arg(long = "tensor-split", visible_alias = "ts", default_value = "")]
    tensor_split: String,
    /// layer (default), row or none.
    #[arg(long = "split-mode", visible_alias = "sm", default_value = "")]
    split_mode: String,
    /// The GPU for --split-mode none (default 0).
    #[arg(long = "main-gpu", visible_alias = "mg", default_value = "")]
    main_gpu: String,
    /// Keep the experts of the first N layers in host memory (`all`: --cpu-moe).
    #[arg(long = "n-cpu-moe", visible_alias = "ncmoe", default_value = "")]
    n_cpu_moe: String,
    #[command(flatten)]
    build: BuildFlags,
}

/// Which llama.cpp build and backend to follow: `plan`'s and `fit`'s.
#[derive(clap::Args, Debug)]
pub struct BuildFlags {
    /// cuda, rocm, metal, vulkan or cpu (default: from the GPUs; Apple is metal, AMD rocm).
    #[arg(long, default_value = "")]
    backend: String,
    /// Sliding-window layers cache the whole context (llama.cpp --swa-full).
    #[arg(long = "swa-full")]
    swa_full: bool,
    /// The llama.cpp build whose buffers to follow, e.g. b4462 (default: the current release).
    #[arg(long = "llama-cpp-build", default_value = "")]
    llama_cpp_build: String,
}

impl BuildFlags {
    /// `(request field, value)` for each flag, as `Request::set` takes them.
    pub fn fields(self) -> [(&'static str, String); 3] {
        [
            ("backend", self.backend),
            ("swa_full", if self.swa_full { "on" } else { "off" }.into()),
            ("llama_cpp_build", self.llama_cpp_build),
        ]
    }
}

/// llama.cpp's single-dash multi-letter flags as clap's long ones — up to
/// `--`, after which a pasted command line is kept as it is.
fn llama_spellings(args: impl Iterator<Item = String>) -> Vec<String> {
    let mut verbatim = false;
    args.map(|a| {
        if verbatim {
            return a;
        }
        verbatim = a == "--";
        match a.as_str() {
            "-ngl" | "-ts" | "-sm" | "-mg" => format!("-{a}"),
            _ => a,
        }
    })
    .collect()
}

/// vLLM's own flags (`--engine vllm`), named as `vllm serve` names them.
#[derive(clap::Args, Debug)]
struct VllmFlags {
    /// Fraction of each GPU's memory vLLM may use (default 0.9).
    #[arg(long = "gpu-memory-utilization", default_value = "")]
    util: String,
    /// The vLLM release whose memory accounting to follow (default: the current one).
    #[arg(long = "vllm-version", default_value = "")]
    vllm_version: String,
    /// Tokens per scheduler step (default: vLLM's for the GPU and release).
    #[arg(long = "max-num-batched-tokens", default_value = "")]
    batched_tokens: String,
    /// Tokens per KV block (default: vLLM's choice, 16 or 64 for MLA).
    #[arg(long = "block-size", default_value = "")]
    block_size: String,
    /// Run without CUDA graphs.
    #[arg(long = "enforce-eager")]
    enforce_eager: bool,
    /// Fix the tensor-parallel size instead of letting the planner choose.
    #[arg(
        long = "tensor-parallel-size",
        visible_alias = "tp",
        default_value = ""
    )]
    tp: String,
    /// Use at most this many pipeline stages instead of letting the planner choose.
    #[arg(
        long = "pipeline-parallel-size",
        visible_alias = "pp",
        default_value = ""
    )]
    pp: String,
}

fn main() -> ExitCode {
    // SAFETY: called first, before any other thread exists; SIG_DFL is a
    // valid action for SIGPIPE.
    #[cfg(unix)]
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    match run(Cli::parse_from(llama_spellings(std::env::args()))) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Reads as much of the start of `path` as `parse` needs: 1 MiB first,
/// then what the parser asks for (never the tensor data).
fn read_header<T, E: std::fmt::Display>(
    path: &Path,
    parse: impl Fn(&[u8]) -> Result<T, E>,
    need_more: impl Fn(&E) -> Option<u64>,
) -> Result<T, String> {
    let mut file = File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let len = file.metadata().map_err(|e| e.to_string())?.len();
    let mut want = (1u64 << 20).min(len);
    loop {
        let mut prefix = vec![0; want as usize];
        file.seek(SeekFrom::Start(0)).map_err(|e| e.to_string())?;
        file.read_exact(&mut prefix)
            .map_err(|e| format!("{}: {e}", path.display()))?;
        match parse(&prefix) {
            Ok(header) => return Ok(header),
            Err(e) => match need_more(&e) {
                Some(need) if need <= len && need > want => want = need.max(want * 2).min(len),
                _ => return Err(format!("{}: {e}", path.display())),
            },
        }
    }
}

fn gguf_header(path: &Path) -> Result<(String, GgufHeader), String> {
    let header = read_header(path, parse_gguf, GgufError::need_more)?;
    let len = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    vramfit::import::gguf::check_offsets(&header, len)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    Ok((path.display().to_string(), header))
}

fn safetensors_header(path: &Path) -> Result<(String, Header), String> {
    let header = read_header(path, parse_safetensors, SafetensorsError::need_more)?;
    Ok((path.display().to_string(), header))
}

/// What the model arguments name: `(catalog id, config or import document,
/// weight format the files fix)`.
fn model_source(paths: &[String]) -> Result<(String, String, Option<String>), String> {
    let first = Path::new(&paths[0]);
    let ends = |p: &Path, suffix: &str| p.to_string_lossy().to_ascii_lowercase().ends_with(suffix);
    let config_beside = |p: &Path| -> Result<String, String> {
        let config = p.parent().unwrap_or(Path::new(".")).join("config.json");
        std::fs::read_to_string(&config)
            .map_err(|e| format!("{} (needed for the architecture): {e}", config.display()))
    };
    if paths.len() == 1 && !first.exists() {
        return Ok((paths[0].clone(), String::new(), None));
    }
    if first.is_dir() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(first)
            .map_err(|e| format!("{}: {e}", first.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        entries.sort();
        let pick = |suffix: &str| {
            entries
                .iter()
                .filter(|p| ends(p, suffix))
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
        };
        let index = pick(".safetensors.index.json");
        let gguf = pick(".gguf");
        let safetensors = pick(".safetensors");
        let chosen = if !index.is_empty() {
            index
        } else if !safetensors.is_empty() {
            safetensors
        } else if !gguf.is_empty() {
            gguf
        } else {
            vec![first.join("config.json").display().to_string()]
        };
        return model_source(&chosen);
    }
    if ends(first, ".gguf") {
        let headers: Vec<(String, GgufHeader)> = paths
            .iter()
            .map(|p| gguf_header(Path::new(p)))
            .collect::<Result<_, _>>()?;
        let format = gguf_format(&headers);
        return Ok((
            String::new(),
            gguf_import(&headers).map_err(|e| e.to_string())?,
            format,
        ));
    }
    if ends(first, ".index.json") {
        let text =
            std::fs::read_to_string(first).map_err(|e| format!("{}: {e}", first.display()))?;
        let index = parse_index(&text).map_err(|e| format!("{}: {e}", first.display()))?;
        let dir = first.parent().unwrap_or(Path::new("."));
        let headers: Vec<(String, Header)> = index
            .files()
            .iter()
            .map(|f| safetensors_header(&dir.join(f)))
            .collect::<Result<_, _>>()?;
        let doc =
            safetensors_import(&config_beside(first)?, &headers).map_err(|e| e.to_string())?;
        return Ok((String::new(), doc, None));
    }
    if ends(first, ".safetensors") {
        let headers: Vec<(String, Header)> = paths
            .iter()
            .map(|p| safetensors_header(Path::new(p)))
            .collect::<Result<_, _>>()?;
        let doc =
            safetensors_import(&config_beside(first)?, &headers).map_err(|e| e.to_string())?;
        return Ok((String::new(), doc, None));
    }
    let text = std::fs::read_to_string(first).map_err(|e| format!("{}: {e}", first.display()))?;
    Ok((String::new(), text, None))
}

/// A text file, or standard input for `-` (at most 4 MiB: pasted logs).
fn read_text(path: &str) -> Result<String, String> {
    let mut bytes = Vec::new();
    let limit = 4 << 20;
    if path == "-" {
        std::io::stdin()
            .take(limit)
            .read_to_end(&mut bytes)
            .map_err(|e| e.to_string())?;
    } else {
        File::open(path)
            .and_then(|f| f.take(limit).read_to_end(&mut bytes))
            .map_err(|e| format!("{path}: {e}"))?;
    }
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<String, String> {
    serde_json::to_string_pretty(value).map_err(|e| e.to_string())
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
                    println!("{:<20} {:<26} {}", m.id, m.name, m.family);
                }
            }
        }
        Command::Check {
            log,
            gpus,
            model,
            json,
            command,
        } => {
            let text = match (&log, command.is_empty()) {
                (Some(path), _) => read_text(path)?,
                (None, false) => command
                    .iter()
                    .map(|w| shell_quote(w))
                    .collect::<Vec<_>>()
                    .join(" "),
                (None, true) => {
                    return Err("give --log FILE (or -) or a command line after --".into())
                }
            };
            let mut base = Request::default();
            if !gpus.is_empty() {
                base.set("gpus", gpus.join(","));
            }
            if let Some(m) = &model {
                base.set("model", m.clone());
            }
            let c = vramfit::report::check::check(&text, &base, model.is_some());
            if json {
                let out = vramfit::report::check::check_json(&c);
                println!(
                    "{}",
                    serde_json::to_string_pretty(&out).map_err(|e| e.to_string())?
                );
            } else {
                let plan = c.report();
                println!("read as: {:?}", c.kind);
                for n in &c.notes {
                    println!("note: {n}");
                }
                use vramfit::report::check::Kind;
                let log = matches!(c.kind, Kind::LlamaLog | Kind::VllmLog);
                match &plan {
                    _ if log && !c.model_known => println!(
                        "the log does not say which model it loaded: pass --model to set vramfit's figures beside the logged ones"
                    ),
                    Ok(r) => print_report(r),
                    Err(e) => println!("the setup read does not plan: {}: {e}", e.field()),
                }
                if let Some(w) = &c.what_if {
                    println!("\n{}", w.sentence());
                }
                if let (true, Some(l)) = (c.rows.is_empty(), &c.logged) {
                    let rows: Vec<(String, &str, u64)> = l
                        .devices
                        .iter()
                        .map(|d| (d.name.clone(), &d.buffers))
                        .chain(std::iter::once(("host".to_string(), &l.host)))
                        .flat_map(|(name, b)| {
                            [
                                ("weights", b.weights_bytes),
                                ("kv", b.kv_bytes),
                                ("compute", b.compute_bytes),
                            ]
                            .into_iter()
                            .filter_map(move |(k, v)| v.map(|v| (name.clone(), k, v)))
                        })
                        .collect();
                    if !rows.is_empty() {
                        println!("\nlogged");
                        for (device, buffer, bytes) in rows {
                            println!("{device:<34} {buffer:<8} {:>12}", mib(bytes));
                        }
                    }
                }
                if !c.rows.is_empty() {
                    println!("\nlogged vs vramfit");
                    println!(
                        "{:<34} {:<8} {:>12} {:>12} {:>10}",
                        "device", "buffer", "logged", "vramfit", "diff"
                    );
                    for row in &c.rows {
                        println!(
                            "{:<34} {:<8} {:>12} {:>12} {:>+10.2}",
                            row.device,
                            row.buffer,
                            mib(row.logged_bytes),
                            mib(row.predicted_bytes),
                            row.diff_bytes() as f64 / 1048576.0
                        );
                    }
                }
            }
        }
        Command::Gpus {
            json,
            from: Some(path),
        } => {
            use vramfit::plan::inventory::{parse_inventory, to_gpu_list};
            let gpus = parse_inventory(&read_text(&path)?);
            if json {
                println!("{}", to_json(&gpus)?);
            } else {
                for g in &gpus {
                    println!(
                        "{:<40} {:>10} {:>10} used",
                        g.name,
                        gib(g.capacity_bytes),
                        gib(g.used_bytes)
                    );
                }
                println!("--gpu {}", to_gpu_list(&gpus));
            }
        }
        Command::Gpus { json, from: None } => {
            if json {
                println!("{}", to_json(&cards())?);
            } else {
                for c in cards() {
                    let price = match (c.price_usd, &c.price_date) {
                        (Some(p), Some(d)) => format!("${} ({d})", grouped(p.round() as u64)),
                        _ => String::new(),
                    };
                    let line = format!(
                        "{:<24} {:<44} {:>7} {:>8} GB/s  {price}",
                        c.id, c.name, c.memory, c.bandwidth_gb_s
                    );
                    println!("{}", line.trim_end());
                }
            }
        }
        Command::Sample { dir } => {
            use vramfit::import::file::samples;
            std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
            let files: [(&str, Vec<u8>); 4] = [
                ("config.json", samples::CONFIG.as_bytes().to_vec()),
                ("sample-Q4_K_M.gguf", samples::gguf_q4_k_m()),
                ("mmproj-sample-F16.gguf", samples::mmproj_f16()),
                ("model.safetensors", samples::safetensors_bf16()),
            ];
            for (name, bytes) in files {
                let path = dir.join(name);
                std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
                println!("{}", path.display());
            }
        }
        Command::Params { model, json } => {
            let (id, config, _) = model_source(&model)?;
            let imported = if config.is_empty() {
                resolve(&id).map_err(|e| e.to_string())?.model.load()
            } else {
                parse_config(&config)
            }
            .map_err(|e| e.to_string())?;
            let p = imported.spec.params();
            if json {
                let mut value = serde_json::to_value(&p).map_err(|e| e.to_string())?;
                let source = imported.spec.stored.as_ref().map_or(
                    if config.is_empty() {
                        "catalog"
                    } else {
                        "config"
                    },
                    |s| s.source.as_str(),
                );
                value["source"] = source.into();
                println!("{}", to_json(&value)?);
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
                    println!("layer {range:<7} {}", grouped(count));
                }
            }
            for w in imported.warnings {
                eprintln!("warning: {w}");
            }
        }
        Command::Train(args) => train::run(args)?,
        Command::Fit(args) => fit::run(args)?,
        Command::Buy(args) => buy::run(args)?,
        Command::Plan {
            model,
            run,
            weights,
            objective,
            vllm,
            llama,
            compare,
            json,
        } => {
            let (model, config, file_format) = model_source(&model)?;
            // Left empty, the report takes the format a repository name
            // implies (…-FP8, …-GGUF:Q5_K_M), else the engine's default.
            let weights = weights.or(file_format).unwrap_or_default();
            let mut request = Request {
                model,
                config,
                weights,
                objective,
                util: vllm.util,
                vllm_version: vllm.vllm_version,
                batched_tokens: vllm.batched_tokens,
                block_size: vllm.block_size,
                eager: if vllm.enforce_eager { "on" } else { "off" }.into(),
                tp: vllm.tp,
                pp: vllm.pp,
                ngl: llama.ngl,
                tensor_split: llama.tensor_split,
                split_mode: llama.split_mode,
                main_gpu: llama.main_gpu,
                n_cpu_moe: llama.n_cpu_moe,
                ..Request::default()
            };
            for (field, value) in run.fields().into_iter().chain(llama.build.fields()) {
                request.set(field, value);
            }
            if !compare.is_empty() {
                return compare::run(&request, &compare, json);
            }
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

/// vLLM's startup the way it logs it, per rank and for the engine.
fn print_vllm(v: &vramfit::estimate::vllm::Startup) {
    let g = |b: u64| b as f64 / (1u64 << 30) as f64;
    println!(
        "vLLM {} ({}), --gpu-memory-utilization {}, --max-num-batched-tokens {}, block {} tokens:",
        v.version, v.accounting, v.gpu_memory_utilization, v.max_num_batched_tokens, v.block_size
    );
    if let (Some(budget), Some(items)) = (v.encoder_budget_tokens, v.profiled_images) {
        println!(
            "  Encoder cache will be initialized with a budget of {budget} tokens, and profiled with {items} image items of the maximum feature size."
        );
    }
    for rank in &v.ranks {
        println!(
            "  GPU {}: {:.2} GiB budget = weights {:.2} + activation peak {:.2} + non-torch {:.2} + CUDA graphs {:.2} + KV cache {:.2} GiB",
            rank.device,
            g(rank.requested_bytes),
            g(rank.weights_bytes),
            g(rank.activation_bytes),
            g(rank.non_torch_bytes),
            g(rank.cuda_graph_bytes),
            rank.kv_cache_bytes as f64 / (1u64 << 30) as f64,
        );
    }
    println!(
        "  Available KV cache memory: {:.2} GiB",
        v.binding.kv_cache_bytes as f64 / (1u64 << 30) as f64
    );
    println!("  GPU KV cache size: {} tokens", grouped(v.kv_cache_tokens));
    println!(
        "  Maximum concurrency for {} tokens per request: {:.2}x",
        grouped(v.max_model_len),
        v.max_concurrency
    );
    if let Some(e) = &v.error {
        println!("  vLLM would stop: {e}");
    }
}

fn print_report(r: &Report) {
    let verdict = if r.fits {
        "fits".to_string()
    } else {
        format!("does NOT fit: short by {}", gib(r.shortfall_bytes))
    };
    println!(
        "{} ({} parameters) on {}, {}: {verdict}",
        r.model,
        params(r.params.total),
        r.engine,
        r.weights_label
    );
    println!(
        "plan: {} tokens × {} sequence(s), tensor parallel {}, pipeline stages {}",
        r.n_ctx, r.n_seq, r.layout.tp, r.layout.pp
    );
    match &r.speed {
        Some(s) => {
            let names: Vec<String> = r.devices.iter().map(|d| d.name.clone()).collect();
            println!("speed: {}", s.summary(r.n_seq, r.n_ctx, &names));
            println!("speed basis: {}", s.basis);
        }
        None if !r.fits => println!("speed: none until it fits (each way out shows its speed)"),
        None => println!(
            "speed: unknown (a GPU given by size only: name a catalog card for its bandwidth)"
        ),
    }
    println!(
        "{:<28} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
        "device", "layers", "usable", "weights", "kv", "compute", "overhead", "free"
    );
    for d in &r.devices {
        let layers = d
            .layers
            .map_or("-".to_string(), |[a, b]| format!("{a}-{b}"));
        let status = if d.used() {
            gib(d.free_bytes())
        } else {
            "unused".into()
        };
        println!(
            "{:<28} {:>9} {:>11} {:>11} {:>11} {:>11} {:>11} {:>11}",
            d.name,
            layers,
            gib(d.usable_bytes),
            gib(d.weights_bytes),
            gib(d.kv_bytes),
            gib(d.compute_bytes),
            gib(d.overhead_bytes),
            status
        );
    }
    if r.vision_bytes > 0 {
        println!(
            "image side: {} of weights on the first GPU, up to {} tokens per image, {} image(s) per request",
            mib(r.vision_bytes),
            r.image_tokens,
            r.images
        );
    }
    if r.state_bytes > 0 {
        println!(
            "recurrent state: {} of the KV cache (fixed per sequence, whatever the context)",
            gib(r.state_bytes)
        );
    }
    println!(
        "host memory: {} (weights {}, KV {}, engine buffers {})",
        gib(r.host_bytes),
        gib(r.host.weights_bytes),
        gib(r.host.kv_bytes),
        gib(r.host.compute_bytes)
    );
    println!("runtime overhead: {}", r.overhead_basis);
    if matches!(r.engine.id(), "llama.cpp" | "ollama") {
        println!("memory limit: {}", r.memory_limit);
    }
    if let Some(f) = &r.fixed_placement {
        let verdict = if f.fits { "fits" } else { "does not fit" };
        println!("placement: {} as given ({verdict})", f.flags);
    }
    if let Some(v) = &r.vllm {
        print_vllm(v);
    }
    match r.max_context {
        Some(c) => println!("longest context at {} sequence(s): {c} tokens", r.n_seq),
        None => println!("longest context: none fits on the GPUs"),
    }
    match r.max_batch {
        Some(b) => println!("most sequences at {} tokens: {b}", r.n_ctx),
        None => println!("most sequences: none fits on the GPUs"),
    }
    let sweep: Vec<String> = r
        .sweep
        .iter()
        .map(|s| {
            format!(
                "{}×{}{}",
                s.batch,
                s.max_context.map_or("-".into(), |c| c.to_string()),
                s.decode_tokens_per_s_total
                    .map_or(String::new(), |t| format!(" ({t:.0} tok/s)"))
            )
        })
        .collect();
    println!(
        "sweep (sequences × longest context (decode of them all)): {}",
        sweep.join("  ")
    );
    let types: Vec<String> = r
        .weights_by_type
        .iter()
        .map(|t| format!("{} ×{} ({})", t.storage, t.tensors, gib(t.bytes)))
        .collect();
    println!("weights by type: {}", types.join(", "));
    for w in &r.ways_out {
        let changes: Vec<String> = w.changes.iter().map(|(f, v)| format!("{f}={v}")).collect();
        let speed = w
            .decode_tokens_per_s
            .map_or(String::new(), |t| format!(", {t:.1} tok/s"));
        println!(
            "way out: {} [{}] → peak {:.0}%{speed}",
            w.label,
            changes.join(", "),
            w.peak_utilisation * 100.0
        );
    }
    for (engine, command) in &r.commands {
        println!("\n# {engine}\n{command}");
    }
    for w in &r.warnings {
        println!("warning: {w}");
    }
}

/// A word as a POSIX shell would need it written: the words after `--`
/// arrive unquoted and are read again as one command line.
fn shell_quote(word: &str) -> String {
    let plain = !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=,+@%".contains(c));
    if plain {
        word.to_string()
    } else {
        format!("'{}'", word.replace('\'', "'\\''"))
    }
}
