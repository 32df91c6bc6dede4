//! What runs on these GPUs: every catalog model × weight format that fits,
//! best first — the largest model, at the highest-quality format that fits
//! ([`better_format`]), then the longest context ([`best_first`]).
//!
//! [`FitRequest`] is raw input as typed: the run every candidate is planned
//! for (the [`report::Request`] fields in [`RUN_FIELDS`]) and the
//! [`FILTERS`]. [`fit`] validates the run once — with [`report::validate`],
//! so a bad field is the [`InputError`] the plan would show — and plans
//! each candidate with that validated setup and the candidate's model and
//! format substituted. None of the run's fields depends on the model (the
//! placement flags that count layers are not among them), so this is the
//! [`PlanRequest`] [`report::report`] builds for that model and format: an
//! entry is listed exactly when the report says it fits, and its limits
//! and speed are the report's (`tests/fit_search.rs` compares every
//! candidate of six setups).
//!
//! It is fast because most candidates are never planned:
//!
//! - a format whose weights alone outweigh where the plan may put them
//!   cannot fit (`Bound`: every GPU's usable bytes, plus host RAM when
//!   layers may go there), so it is not planned ([`FitReport::pruned`]);
//! - with `min_tps`, a format whose weights take longer to read than the
//!   minimum allows, at the best rate the GPUs' bandwidth and the
//!   measured constants give ([`crate::search::pace`]), cannot reach it;
//! - each model's formats are tried best first, so with `formats=best`
//!   the search stops at the first that fits;
//! - a catalog model's parsed spec and its weight bytes per format are
//!   kept for the life of the program (they depend on nothing else: about
//!   17 MB for the whole catalog), so only the first search parses.
//!
//! Two filters ask more of a plan than fitting: `min_ctx` (its longest
//! context reaches so many tokens) and `min_tps` (it decodes at least so
//! many tokens per second per sequence: [`FitEntry::decode_tokens_per_s`],
//! the report's `speed.decode_tokens_per_s` — at the requested sequences,
//! at the start of generation). With `formats=best`, a model whose best
//! fitting format falls short of either is listed with the next format that
//! meets both, if any (a smaller format reads fewer bytes per token, so it
//! is usually faster, and leaves more room for context). A plan whose speed
//! is unknown — one using a GPU given by size only, whose bandwidth is
//! unknown — cannot be shown to meet `min_tps` and is left out: on GPUs
//! all given by size nothing is listed, and a note says why.
//!
//! An entry's longest context and most sequences ([`Limits`]) are binary
//! searches and cost more than its plan, so [`fit`] searches them only for
//! each model's best entry — every entry with `formats=best` — and
//! [`limits`] finds them for any other entry when it is shown.
//!
//! Measured natively (release build, the whole catalog of 196 models,
//! `tests/fit_search.rs`'s `timing`): `formats=best` takes about 40 ms on
//! 24GB with llama.cpp (5930 candidates, 1545 pruned, 288 planned, 164
//! listed), 80 ms on 2xrtx-4090 and 55 ms on 80GB with vLLM; the plans
//! take 10–20 ms of that and the limits the rest. A program's first search
//! adds about 90 ms (parsing the catalog, sizing every format).
//! `formats=all` plans every candidate the bound leaves: 175 ms on 24GB
//! (4347 plans, 4223 entries). A minimum speed costs little: on an
//! rtx-4090, 27 ms with `min_tps=50` (259 planned, 1771 pruned, against
//! 278 and 1469 without), and about 1 ms for a minimum no format reaches
//! (every candidate pruned by the speed bound).

use std::cmp::Ordering;
use std::sync::OnceLock;

use serde::Serialize;

use crate::estimate::catalog::{CatalogModel, DEFAULT_MODEL, MODELS};
use crate::estimate::format::GgufFtype;
use crate::estimate::memory::Engine;
use crate::estimate::model::{ModelSpec, ParamCount};
use crate::estimate::weights::weight_bytes;
use crate::estimate::{RunSettings, WeightFormat};
use crate::plan::search::{max_batch, max_context};
use crate::plan::split::{plan, Plan, PlanRequest};
use crate::report::{self, validate, InputError, Request, Validated};
use crate::search::pace;

/// The [`report::Request`] fields a search passes through to every
/// candidate's plan. The model, its weights and the placement flags that
/// name layers (`ngl`, `tensor_split`, `n_cpu_moe`, …) are per model, so
/// they are not among them; the objective does not change what fits.
pub const RUN_FIELDS: [&str; 23] = [
    "gpus",
    "engine",
    "kv",
    "ctx",
    "batch",
    "images",
    "overhead",
    "reserve",
    "host_ram",
    "host_bw",
    "offload",
    "util",
    "vllm_version",
    "batched_tokens",
    "block_size",
    "eager",
    "swa_full",
    "llama_cpp_build",
    "tp",
    "pp",
    "ubatch",
    "flash_attn",
    "backend",
];

/// The filters: name, default, meaning.
pub const FILTERS: [(&str, &str, &str); 5] = [
    (
        "family",
        "",
        "only this model family (Llama, Qwen, Gemma…); empty: all",
    ),
    (
        "moe",
        "any",
        "any, moe (mixture-of-experts models only) or dense",
    ),
    (
        "min_ctx",
        "",
        "only entries whose longest context on the GPUs reaches this many tokens",
    ),
    (
        "formats",
        "best",
        "best (each model's highest-quality format that fits) or all",
    ),
    (
        "min_tps",
        "",
        "only entries that decode at least this many tokens per second per sequence (at the requested sequences); needs catalog cards, whose bandwidth is known",
    ),
];

/// Raw input, as typed: every field a string, named as in
/// [`report::Request`] where it means the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FitRequest {
    /// The run: the [`RUN_FIELDS`] of a plan request (the rest unused).
    run: Request,
    /// [`FILTERS`]' values, in that order.
    filters: [String; 5],
}

impl Default for FitRequest {
    /// A plan's defaults (two 24 GB GPUs, llama.cpp, 8192 tokens, one
    /// sequence), every model and the best format of each.
    fn default() -> Self {
        FitRequest {
            run: Request::default(),
            filters: FILTERS.map(|(_, default, _)| default.to_string()),
        }
    }
}

impl FitRequest {
    /// Every field name: the run's, then the filters'.
    pub fn fields() -> impl Iterator<Item = &'static str> {
        RUN_FIELDS
            .into_iter()
            .chain(FILTERS.iter().map(|(name, _, _)| *name))
    }

    /// Sets a field by name; `false` for a name that is not a field.
    pub fn set(&mut self, field: &str, value: String) -> bool {
        if let Some(i) = FILTERS.iter().position(|(name, _, _)| *name == field) {
            self.filters[i] = value;
            return true;
        }
        RUN_FIELDS.contains(&field) && self.run.set(field, value)
    }

    /// Reads a field by name.
    pub fn get(&self, field: &str) -> Option<&str> {
        match FILTERS.iter().position(|(name, _, _)| *name == field) {
            Some(i) => Some(&self.filters[i]),
            None if RUN_FIELDS.contains(&field) => self.run.get(field),
            None => None,
        }
    }

    fn filter(&self, field: &str) -> &str {
        self.get(field).unwrap_or_default().trim()
    }

    /// A request from a JSON object with these field names (the JS API's
    /// and the worker's input): strings as typed, numbers for counts and
    /// sizes, `true`/`false` for `offload`, a list of GPU entries. Fields
    /// left out keep their defaults.
    pub fn from_json(value: &serde_json::Value) -> Result<FitRequest, String> {
        let serde_json::Value::Object(fields) = value else {
            return Err(
                "the input must be an object like {\"gpus\": \"2xrtx-4090\", \"engine\": \"llama.cpp\"}"
                    .into(),
            );
        };
        let mut request = FitRequest::default();
        for (key, value) in fields {
            let Some(text) = report::json_field_text(key, value)? else {
                continue;
            };
            if !request.set(key, text) {
                let names: Vec<&str> = FitRequest::fields().collect();
                return Err(format!(
                    "unknown field `{key}`; fields are {}",
                    names.join(", ")
                ));
            }
        }
        Ok(request)
    }
}

/// Which models and formats to list.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Filters {
    /// The catalog's spelling of the family asked for.
    family: Option<&'static str>,
    moe: Option<bool>,
    min_ctx: Option<u64>,
    all_formats: bool,
    /// Decode tokens per second per sequence, at least.
    min_tps: Option<f64>,
}

impl Filters {
    fn parse(request: &FitRequest) -> Result<Filters, InputError> {
        let family = match request.filter("family") {
            "" | "any" | "all" => None,
            name => Some(
                MODELS
                    .iter()
                    .find(|m| m.family.eq_ignore_ascii_case(name))
                    .map(|m| m.family)
                    .ok_or_else(|| InputError::Choice {
                        field: "family",
                        text: name.to_string(),
                        choices: "a catalog family: Llama, Qwen, Gemma, Mistral, DeepSeek… (`vramfit models` lists them)",
                    })?,
            ),
        };
        let moe = match request.filter("moe").to_ascii_lowercase().as_str() {
            "" | "any" => None,
            "moe" => Some(true),
            "dense" => Some(false),
            _ => {
                return Err(InputError::Choice {
                    field: "moe",
                    text: request.filter("moe").to_string(),
                    choices: "any, moe, dense",
                })
            }
        };
        let min_ctx = match request.filter("min_ctx") {
            "" | "0" => None,
            text => Some(report::count("min_ctx", text, report::MAX_CTX)?),
        };
        let all_formats = match request.filter("formats").to_ascii_lowercase().as_str() {
            "" | "best" => false,
            "all" => true,
            _ => {
                return Err(InputError::Choice {
                    field: "formats",
                    text: request.filter("formats").to_string(),
                    choices: "best, all",
                })
            }
        };
        Ok(Filters {
            family,
            moe,
            min_ctx,
            all_formats,
            min_tps: super::min_tps("min_tps", request.filter("min_tps"))?,
        })
    }
}

/// The longest context and the most sequences an entry holds on the GPUs
/// alone — the report's `max_context` and `max_batch` for the same request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Limits {
    /// Longest context per sequence at the requested sequences (`None`: not
    /// even 256 tokens fit on the GPUs alone).
    pub max_context: Option<u64>,
    /// Most sequences at the requested context (`None`: not one).
    pub max_batch: Option<u64>,
}

/// One model × weight format that fits, with the headline of its plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitEntry {
    /// The catalog id: the `model` field of its plan request.
    pub model: String,
    pub name: String,
    pub family: String,
    pub moe: bool,
    /// Parameters (the image side of a vision-language model included).
    pub params: u64,
    /// Parameters used per token (`params` for a dense model).
    pub active_params: u64,
    /// The weight format's id: the `weights` field of its plan request.
    pub weights: String,
    pub weights_label: String,
    /// All weights resident for the run, as the report counts them.
    pub weights_bytes: u64,
    /// Bits per weight of the text model, counted as its BF16 checkpoint
    /// counts weights (16 × bytes in this format / bytes in BF16): how much
    /// of the model the format keeps (the quality order, [`better_format`]).
    pub bits_per_weight: f64,
    /// Part of the model runs from host memory (offload).
    pub offloaded: bool,
    /// The highest bytes used / usable over the used GPUs.
    pub peak_utilisation: f64,
    /// Decode tokens per second per sequence at the requested sequences,
    /// at the start of generation (the report's `speed.decode_tokens_per_s`;
    /// `None` when a used GPU is given by size only: its bandwidth is
    /// unknown). What `min_tps` compares.
    pub decode_tokens_per_s: Option<f64>,
    /// Searched for each model's best entry; `None` for the others until
    /// [`limits`] is asked. In JSON, `max_context` and `max_batch` beside
    /// the other fields, absent when not searched.
    #[serde(flatten)]
    pub limits: Option<Limits>,
    /// Soft problems of this model on this engine (as the report's).
    pub warnings: Vec<String>,
}

/// Bits per weight past which a format keeps nothing more: catalog
/// checkpoints are published in 16 bits, so FP32 is an upcast of them.
pub const LOSSLESS_BITS: f64 = 16.0;

/// The quality order of two formats of one model by their bits per
/// weight: more bits first up to [`LOSSLESS_BITS`]; among formats at or
/// past it (BF16, F16, FP32), the smaller first.
pub fn better_format(a_bits: f64, b_bits: f64) -> Ordering {
    b_bits
        .min(LOSSLESS_BITS)
        .total_cmp(&a_bits.min(LOSSLESS_BITS))
        .then(a_bits.total_cmp(&b_bits))
}

/// Best first: more parameters, then the higher-quality format
/// ([`better_format`]), then the longer context (searched before not
/// searched), then by id — a total order.
pub fn best_first(a: &FitEntry, b: &FitEntry) -> Ordering {
    b.params
        .cmp(&a.params)
        .then(better_format(a.bits_per_weight, b.bits_per_weight))
        .then_with(|| {
            let context = |e: &FitEntry| e.limits.map(|l| l.max_context);
            context(b).cmp(&context(a))
        })
        .then_with(|| a.model.cmp(&b.model))
        .then_with(|| a.weights.cmp(&b.weights))
}

/// What fits, best first, and how much searching it took.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FitReport {
    /// Best first ([`best_first`]); group by `family` to show families.
    pub entries: Vec<FitEntry>,
    /// The plan request every entry's full plan starts from: set `model`
    /// and `weights` to an entry's ([`FitReport::request_for`]).
    pub request: Request,
    /// Model × format candidates left after the filters (with
    /// `formats=best`, those below a model's entry are neither planned nor
    /// pruned).
    pub considered: usize,
    /// Candidates planned.
    pub planned: usize,
    /// Candidates ruled out without a plan: by the weight bound, or with
    /// `min_tps` by the speed bound.
    pub pruned: usize,
    /// When nothing is listed, why; and what was assumed.
    pub notes: Vec<String>,
}

impl FitReport {
    /// The plan request of `entry`: what opens its full plan.
    pub fn request_for(&self, entry: &FitEntry) -> Request {
        Request {
            model: entry.model.clone(),
            weights: entry.weights.clone(),
            ..self.request.clone()
        }
    }
}

/// A catalog model's bytes in one format, as far as the search needs them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sizes {
    /// The repeated layers' weights.
    layers: u64,
    /// The output projection and the other globals the output device holds
    /// (the estimate's `output`).
    output: u64,
    /// The text model's bytes (the file without an image side).
    text: u64,
    /// Of `layers`, the routed experts'.
    experts: u64,
}

/// A catalog model parsed once, its sizes per format filled as asked.
struct Loaded {
    spec: ModelSpec,
    params: ParamCount,
    /// Indexed like [`formats`].
    sizes: Vec<OnceLock<Sizes>>,
}

/// Every weight format, in menu order: the index of [`Loaded::sizes`].
fn formats() -> &'static [WeightFormat] {
    static ALL: OnceLock<Vec<WeightFormat>> = OnceLock::new();
    ALL.get_or_init(WeightFormat::all)
}

/// The catalog model at `index`, parsed on first use (`None` if its config
/// does not parse — the catalog's tests prove every one does).
fn loaded(index: usize) -> Option<&'static Loaded> {
    static CATALOG: OnceLock<Vec<OnceLock<Option<Loaded>>>> = OnceLock::new();
    let catalog = CATALOG.get_or_init(|| MODELS.iter().map(|_| OnceLock::new()).collect());
    catalog[index]
        .get_or_init(|| {
            let spec = MODELS[index].load().ok()?.spec;
            let params = spec.params();
            let sizes = formats().iter().map(|_| OnceLock::new()).collect();
            Some(Loaded {
                spec,
                params,
                sizes,
            })
        })
        .as_ref()
}

impl Loaded {
    /// Bits per weight of the text model in a format, counted as its BF16
    /// checkpoint counts weights: 16 × its bytes in this format over its
    /// bytes in BF16 (a config's parameter count can include tensors no
    /// file stores).
    fn bits_per_weight(&self, sizes: Sizes) -> f64 {
        let bf16 = self.sizes(WeightFormat::BF16).text.max(1);
        16.0 * sizes.text as f64 / bf16 as f64
    }

    fn sizes(&self, format: WeightFormat) -> Sizes {
        let i = formats()
            .iter()
            .position(|&f| f == format)
            .expect("every format is in WeightFormat::all");
        *self.sizes[i].get_or_init(|| {
            let w = weight_bytes(&self.spec, format);
            // A checkpoint holds its image side; a GGUF's is the mmproj.
            let vision = if matches!(format, WeightFormat::Gguf { .. }) {
                0
            } else {
                w.vision
            };
            Sizes {
                layers: w.layers.iter().sum(),
                output: w.output + w.other_globals,
                text: w.file - vision,
                experts: w.layer_experts.iter().sum(),
            }
        })
    }
}

/// What a plan that fits must hold, against where it can hold it: a
/// format it rules out cannot fit, so it is not planned. Every layer's
/// weights and the output's are on a GPU or, where the plan may put them
/// there, in host memory (a tensor-parallel group's shards add up to at
/// least the whole); a plan that fits holds no GPU over its usable bytes
/// and the host not over its RAM. With no layer allowed off the GPUs, the
/// GPUs hold them all, and a used GPU's runtime overhead besides.
struct Bound {
    /// Usable bytes of every GPU together.
    gpus: u64,
    /// Host RAM (`u64::MAX` when not given: unchecked).
    host: u64,
    /// No offload and no fixed placement: the layers stay on the GPUs.
    gpus_only: bool,
    /// What the plan reserves on each used GPU besides weights, KV cache
    /// and compute (vLLM's non-torch memory is not this: 0 there).
    overhead: u64,
}

impl Bound {
    fn rules_out(&self, sizes: Sizes) -> bool {
        let weights = sizes.layers + sizes.output;
        if self.gpus_only {
            weights + self.overhead > self.gpus
        } else {
            weights > self.gpus.saturating_add(self.host)
        }
    }
}

/// The speed bound of a `min_tps` search ([`crate::search::pace`]): a
/// format whose reads per decode step, at the GPUs' (and host memory's)
/// best rate, take longer than the minimum allows cannot reach it, so it
/// is not planned. Only the layers' reads are counted (the output's
/// depends on the engine's handling of tied embeddings).
struct MinSpeed {
    min_tps: f64,
    /// Bytes per second of the cards together (tensor parallelism) or of
    /// the fastest (a layer split); host memory's with them where layers
    /// may go there. GPUs given by size have no rate: a plan using one has
    /// no speed at all.
    rate: f64,
    /// Seconds a step pays besides reading.
    per_token_s: f64,
    /// …and per layer, when every layer is on a GPU (else 0).
    per_layer_s: f64,
    engine: Engine,
    n_seq: u64,
}

impl MinSpeed {
    fn new(v: &Validated, gpus_only: bool, min_tps: f64) -> MinSpeed {
        let engine = v.settings.engine;
        let cards: Vec<&crate::plan::gpus::Card> = v
            .gpus
            .iter()
            .filter_map(|g| g.card.and_then(crate::plan::gpus::find_card))
            .collect();
        let mut rates: Vec<f64> = cards.iter().map(|c| pace::card_rate(engine, c)).collect();
        if !gpus_only {
            rates.push(v.host.bandwidth * v.host.fraction);
        }
        let rate = if pace::parallel(engine) {
            rates.iter().sum()
        } else {
            rates.iter().copied().fold(0.0, f64::max)
        };
        let fixed = pace::Fixed::of(engine, cards.iter().copied());
        MinSpeed {
            min_tps,
            rate,
            per_token_s: fixed.per_token_s,
            per_layer_s: if gpus_only { fixed.per_layer_s } else { 0.0 },
            engine,
            n_seq: v.settings.n_seq,
        }
    }

    /// Whether no plan of `spec` in a format of `sizes` can reach the
    /// minimum.
    fn rules_out(&self, spec: &ModelSpec, sizes: Sizes) -> bool {
        let (used, n) = spec.moe.map_or((1, 1), |m| (m.n_expert_used, m.n_expert));
        let touched = crate::plan::speed::experts_touched(used, n, self.n_seq.max(1));
        let read = (sizes.layers - sizes.experts) as f64 + sizes.experts as f64 * touched;
        let fixed_s = self.per_token_s + spec.layers.len() as f64 * self.per_layer_s;
        let bound = pace::SpeedBound::of_reads(self.engine, read, fixed_s);
        !pace::reaches(bound.max_tps_at(self.rate), self.min_tps)
    }
}

/// Whether `format` is one of its own for this model: MXFP4 stores a
/// mixture-of-experts model's experts in 4 bits and the rest as another
/// format does, so on a dense model it is that format again (BF16; GGUF
/// `MXFP4_MOE`: Q8_0) and no such checkpoint is published.
pub fn applies(spec: &ModelSpec, format: WeightFormat) -> bool {
    let mxfp4 = matches!(
        format,
        WeightFormat::Mxfp4
            | WeightFormat::Gguf {
                ftype: GgufFtype::MXFP4_MOE
            }
    );
    !mxfp4 || spec.moe.is_some()
}

/// One format of one model, as the search ranks it.
struct Candidate {
    format: WeightFormat,
    id: String,
    sizes: Sizes,
    bits_per_weight: f64,
}

/// The validated run with a catalog model's spec and a format substituted:
/// the plan request [`report::report`] makes for that model and format.
fn candidate<'a>(v: &'a Validated, spec: &'a ModelSpec, format: WeightFormat) -> PlanRequest<'a> {
    PlanRequest {
        spec,
        settings: RunSettings {
            weights: format,
            ..v.settings
        },
        ..v.plan_request()
    }
}

/// The longest context and most sequences of a candidate's request.
fn limits_of(request: &PlanRequest) -> Limits {
    Limits {
        max_context: max_context(request),
        max_batch: max_batch(request),
    }
}

/// The run validated once, with the catalog's default model and the
/// engine's default format standing in (every run field is checked; none
/// depends on the model), and the plan request entries share.
fn validated_run(request: &FitRequest) -> Result<(Request, Validated), InputError> {
    let engine: Engine = request.run.engine.parse()?;
    let probe = Request {
        model: DEFAULT_MODEL.to_string(),
        weights: engine.default_weights().id(),
        ..request.run.clone()
    };
    let v = validate(&probe)?;
    let shared = Request {
        model: String::new(),
        weights: String::new(),
        ..request.run.clone()
    };
    Ok((shared, v))
}

/// Lists every catalog model × weight format that fits the request's run
/// and passes its filters, best first. Bad input is an error naming its
/// field; nothing fitting is an empty list with a note.
pub fn fit(request: &FitRequest) -> Result<FitReport, InputError> {
    let filters = Filters::parse(request)?;
    let (run, v) = validated_run(request)?;
    let engine = v.settings.engine;
    let bound = Bound {
        gpus: v
            .gpus
            .iter()
            .map(|g| crate::plan::split::usable(g, &v.settings))
            .sum(),
        host: v.host_ram.unwrap_or(u64::MAX),
        gpus_only: !v.allow_offload && !v.placement.is_fixed(),
        overhead: match engine {
            Engine::Vllm => 0,
            _ => v.settings.overhead_per_gpu,
        },
    };
    let engine_formats: Vec<(WeightFormat, String)> = engine
        .weight_formats()
        .into_iter()
        .map(|f| (f, f.id()))
        .collect();
    let mut report = FitReport {
        entries: Vec::new(),
        request: run,
        considered: 0,
        planned: 0,
        pruned: 0,
        notes: Vec::new(),
    };
    // A GPU given by size has no bandwidth: a plan using it has no speed.
    let sized = v.gpus.iter().filter(|g| g.card.is_none()).count();
    if let Some(min) = filters.min_tps.filter(|_| sized > 0) {
        report.notes.push(if sized == v.gpus.len() {
            format!("min_tps {min} tok/s cannot be checked: GPUs given by size only have no known bandwidth, so no speed; name catalog cards (`vramfit gpus` lists them)")
        } else {
            format!("min_tps {min} tok/s: a plan that uses a GPU given by size only has no known speed and is left out; name catalog cards (`vramfit gpus` lists them)")
        });
        if sized == v.gpus.len() {
            return Ok(report);
        }
    }
    let pace = filters
        .min_tps
        .map(|min| MinSpeed::new(&v, bound.gpus_only, min));
    // vLLM refusing to start on every GPU (less free than its budget) runs
    // no model: nothing to plan, and the note says why.
    let refused = v.vllm_refused_everywhere();
    for (index, model) in MODELS.iter().enumerate().filter(|_| !refused) {
        if filters.family.is_some_and(|f| f != model.family) {
            continue;
        }
        let Some(loaded) = loaded(index) else {
            continue;
        };
        let spec = &loaded.spec;
        if filters.moe.is_some_and(|moe| moe != spec.moe.is_some()) {
            continue;
        }
        let mut ranked: Vec<Candidate> = engine_formats
            .iter()
            .filter(|(format, _)| applies(spec, *format))
            .map(|(format, id)| {
                let sizes = loaded.sizes(*format);
                Candidate {
                    format: *format,
                    id: id.clone(),
                    sizes,
                    bits_per_weight: loaded.bits_per_weight(sizes),
                }
            })
            .collect();
        // Within a model, the order of `best_first`.
        ranked.sort_by(|a, b| {
            better_format(a.bits_per_weight, b.bits_per_weight).then_with(|| a.id.cmp(&b.id))
        });
        report.considered += ranked.len();
        let mut best_found = false;
        for c in ranked {
            if bound.rules_out(c.sizes) || pace.as_ref().is_some_and(|p| p.rules_out(spec, c.sizes))
            {
                report.pruned += 1;
                continue;
            }
            let r = candidate(&v, spec, c.format);
            let p = plan(r);
            report.planned += 1;
            if !p.fits {
                continue;
            }
            let decode = crate::plan::speed::plan_speed(spec, &p, &v.gpus, v.backend, &v.host)
                .map(|s| s.decode_tokens_per_s);
            if filters
                .min_tps
                .is_some_and(|m| decode.is_none_or(|d| d < m))
            {
                continue;
            }
            let limits = (!best_found || filters.min_ctx.is_some()).then(|| limits_of(&r));
            let context = limits.and_then(|l| l.max_context);
            if filters
                .min_ctx
                .is_some_and(|m| context.is_none_or(|c| c < m))
            {
                continue;
            }
            report
                .entries
                .push(entry(model, loaded, c, &p, decode, limits));
            best_found = true;
            if !filters.all_formats {
                break;
            }
        }
    }
    report.entries.sort_by(best_first);
    if report.entries.is_empty() {
        report.notes.push(if refused {
            let share = f64::from(crate::plan::split::startup_share(&v.gpus, v.settings.overhead_per_gpu)) / 100.0;
            format!(
                "vLLM stops at startup on these GPUs: --gpu-memory-utilization {} asks for more than is free (other processes, or the operating system's share of unified memory); {share} of it is: try util {share}",
                v.settings.vllm.utilization()
            )
        } else {
            nothing_fits_note(&filters)
        });
    }
    if v.allow_offload && v.host_ram.is_none() {
        report.notes.push(
            "host RAM not given: whatever the GPUs do not hold is assumed to fit in host memory (give host_ram to check it)"
                .into(),
        );
    }
    Ok(report)
}

/// Why the list is empty, in words.
fn nothing_fits_note(filters: &Filters) -> String {
    let filtered = filters.family.is_some()
        || filters.moe.is_some()
        || filters.min_ctx.is_some()
        || filters.min_tps.is_some();
    let which = if filtered {
        "no catalog model passing the filters"
    } else {
        "no catalog model"
    };
    let slower = if filters.min_tps.is_some() {
        ", a lower min_tps"
    } else {
        ""
    };
    format!("{which} fits these GPUs in any format: try a shorter context, fewer sequences{slower}, a quantized KV cache or offload")
}

/// The entry of a candidate that fits.
fn entry(
    model: &CatalogModel,
    loaded: &Loaded,
    c: Candidate,
    p: &Plan,
    decode_tokens_per_s: Option<f64>,
    limits: Option<Limits>,
) -> FitEntry {
    let (spec, params) = (&loaded.spec, &loaded.params);
    FitEntry {
        model: model.id.to_string(),
        name: model.name.to_string(),
        family: model.family.to_string(),
        moe: spec.moe.is_some(),
        params: params.total,
        active_params: params.active,
        weights: c.id,
        weights_label: c.format.label(),
        weights_bytes: p.estimate.weights_total(),
        bits_per_weight: c.bits_per_weight,
        offloaded: p.offload.any(),
        peak_utilisation: p.peak_utilisation(),
        decode_tokens_per_s,
        limits,
        warnings: p.estimate.warnings.clone(),
    }
}

/// The [`Limits`] of one entry's plan request ([`FitReport::request_for`]):
/// what [`fit`] leaves unsearched for all but each model's best entry.
pub fn limits(request: &Request) -> Result<Limits, InputError> {
    let v = validate(request)?;
    Ok(limits_of(&v.plan_request()))
}
