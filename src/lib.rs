//! vramfit: will this LLM fit on these GPUs, and how do I split it?
//!
//! The crate is one library with three thin binaries: `vramfit-web` (the
//! WebAssembly entry that mounts [`ui::App`]), `vramfit-worker` (a second
//! WebAssembly module, run in a Web Worker on first use, that answers the
//! page's search and "check my setup" tasks: `web::tasks`) and `vramfit` (the
//! native CLI).
//!
//! # Codemap
//!
//! - [`estimate`] — pure accounting: model architecture as a tensor list,
//!   weight and KV-cache formats, parameter counts, bytes per layer, compute
//!   buffers and runtime overhead; `estimate::vllm` replays vLLM's startup
//!   accounting release by release; `estimate::ggml` builds the graph
//!   llama.cpp reserves and places it per device the way ggml's scheduler
//!   and allocator do (its compute buffers).
//! - [`plan`] — pure placement: devices and their sizes, the layer split
//!   across GPUs, what fits and by how much it does not, and how fast the
//!   placement decodes and prefills (`plan::speed`, its constants fitted to
//!   published llama-bench rows and, for vLLM's decode, vLLM runs:
//!   `speed/fit.rs`, `speed/calibrations.rs`).
//! - [`launch`] — pure flag generation: the command a person pastes to run
//!   the plan.
//! - [`report`] — one request in, one report out: validation, the plan,
//!   its searches, ways out and the command, and "check my setup"
//!   (`report::check`: a pasted command, log or inventory as a request, the
//!   log's buffers beside the plan's); the CLI, the app and the JS API are
//!   shells over it (`report::compare` sets setups side by side). `plan` and
//!   `launch` never import it.
//! - [`train`] — pure fine-tuning memory: parameters, gradients and optimizer
//!   states as PyTorch allocates them (full, LoRA, QLoRA), the activations
//!   autograd saves, data-parallel sharding, and the configs that launch it;
//!   `report::train` is its string-request shell.
//! - [`search`] — pure searches over the catalogs: which models and formats
//!   run on given GPUs (`search::fit`), which GPU sets run a model most
//!   cheaply (`search::buy`, with dated prices and a cloud catalog); exact
//!   against the planner, pruned by lower bounds on memory and, for a
//!   minimum speed, an upper bound on decode speed (`search::pace`).
//! - [`import`] — pure parsers of what people bring: Hugging Face
//!   `config.json` (one reader per model family in `import/arch`), GGUF and
//!   safetensors headers, llama.cpp's vision projector (`mmproj`) files,
//!   llama.cpp and vLLM startup logs and launch commands (`import::llama_log`,
//!   `import::vllm_log`), and the one shell tokenizer and Python-argument
//!   splitter every pasted-text reader uses (`import::words`).
//! - [`ui`] — Leptos components: read results and format them; no arithmetic.
//! - [`web`] — browser glue only; `web::worker` is the page's client of the
//!   worker module and `web::tasks` (pure) the worker's side of it.
//!
//! # Invariants
//!
//! `estimate`, `plan`, `launch`, `train`, `report`, `search` and `import` know nothing about Leptos,
//! `web_sys`, `js_sys`, `gloo` or `wasm_bindgen`, read no clock and use no
//! randomness: they are deterministic functions of their inputs, tested
//! natively (`tests/purity.rs` enforces the imports). All byte counts in the
//! core are `u64`; units are chosen only when formatting, in [`units`].

pub mod estimate;
pub mod import;
pub mod launch;
pub mod plan;
pub mod report;
pub mod search;
pub mod train;
pub mod ui;
pub mod units;
pub mod web;
