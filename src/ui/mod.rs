//! Leptos components. They read a [`Report`](crate::report::Report) and format
//! it; every number comes from the pure core, none is computed here.
//!
//! - [`app`]: the page, its state (one `Request`), links and theme.
//! - [`check`]: "check my setup" — a pasted or dropped command, log or
//!   inventory read into the form, and a log's buffers beside ours.
//! - [`compare`]: setups side by side, differences highlighted.
//! - [`inputs`]: labelled fields and selects bound to request fields.
//! - [`glance`]: each mode's answer in one line pinned to the top of a phone
//!   screen (not in Compare, whose table is the answer).
//! - [`gpus`]: the GPU list editor and the WebGPU hint.
//! - [`model`]: catalog search, pasted `config.json`, the file drop zone.
//! - [`results`]: verdict, ways out, bars, limits, device map, commands.
//! - [`search`]: "What runs here" and "What to buy", answered by the
//!   worker module (`web::worker`).
//! - [`share`]: share link, embed dialog, theme toggle.
//! - [`train`]: Fine-tune mode — the mode switch, training settings and
//!   the training report.
//! - [`vllm`]: vLLM's startup as it would log it.

mod app;
mod check;
mod compare;
mod glance;
mod gpus;
mod inputs;
mod model;
mod results;
mod search;
mod share;
mod train;
mod vllm;

pub use app::App;
