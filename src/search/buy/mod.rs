//! What to buy or rent: the cheapest GPU sets that run a model.
//!
//! [`buy`] takes a model and how it runs (a [`Request`]'s fields, as typed)
//! and answers with the cheapest GPU sets the planner says hold it at the
//! requested context and sequences, and the price of more: the Pareto
//! fronts of price against the longest context and against the most
//! sequences.
//!
//! **Buying** considers every multiset of priced catalog cards, up to
//! `max_gpus` in a machine, bought `1..=machines` times (several machines
//! are copies of one: that is how clusters are bought, and vLLM's pipeline
//! across nodes wants the same tensor-parallel size in each). A system on
//! a chip (a Mac, DGX Spark, Strix Halo) is a machine by itself. Prices are
//! the catalog's dated list prices unless `prices` overrides them.
//! **Renting** plans every instance of the cloud catalog (`cloud.json`),
//! `1..=machines` of them; an offer priced per GPU is taken in every count
//! up to `max_gpus`.
//!
//! The answer is exact: the cheapest set listed is the cheapest set of the
//! space that [`crate::plan::split::plan`] says fits — no cheaper one is
//! skipped, because sets are drawn in price order (`sets.rs`) and only a
//! sound lower bound on memory (`goals.rs`) keeps one from the planner. A
//! Pareto front is exact at its points: each is the cheapest set whose
//! longest context (or most sequences) reaches a step of the ladder
//! `2×, 4×, …` the requested value, up to the model's trained context
//! (32 sequences). Ties in price go to fewer GPUs, then more memory, then
//! the name. "Nothing fits" is an answer with a note of what is missing at
//! the largest set.
//!
//! **A minimum speed** (`min_tps`): every set listed — the options and the
//! fronts' points — also decodes at least that many tokens per second per
//! sequence at the requested context and sequences (the plan's
//! `decode_tokens_per_s`, as [`BuyOption::decode_tokens_per_s`] reports
//! it). Speed does not follow price, so the walk goes on past sets that
//! fit but are too slow, planning each in full; a bound on speed from the
//! cards' bandwidth (`search::pace`) keeps most of them, and whole
//! subtrees of sets, from the planner, and ends the search at once when
//! no set of the cards allowed could reach the minimum. A minimum the
//! bound allows but no plan reaches costs the most: the walk then draws
//! sets until the price order runs out or the budget does ([`MAX_SETS`],
//! [`MAX_PLANNED`]), and a note says so. Measured natively (release,
//! `tests/buy_search.rs`'s `timing`), Llama 3.1 70B in Q4_K_M over every
//! priced card, up to 8 in a machine: 40 ms without a minimum (60 sets
//! planned); 90 ms at 10 tok/s (364 planned, 85 too slow); at 20 tok/s the
//! ten options come early but the front's last step (32 sequences at 20
//! tok/s: 3×RTX 5090 + 2×RTX 5060 Ti, $6,855, found after 23,200 plans in
//! 1.1 s with no budget) lies past the budget, which stops the search
//! after 0.9 s (20,000 planned, 10,000 too slow); at 30 tok/s, 0.8 s, two
//! options; at 100 tok/s, 1 ms (no card can). On a layer split the bound
//! that does most of this is the planner's own split of GPUs of the same
//! sizes, read at each card's best rate (`goals.rs`).
//!
//! **Ranking** (`rank`): by `price` (dollars bought, dollars per hour
//! rented), or, renting, by `usd_per_mtok` — dollars per million tokens
//! generated ([`BuyOption::usd_per_million_tokens`]). That order does not
//! follow price either, so it plans every rentable set and sorts them
//! (the cloud catalog is small); an option of unknown speed sorts last.
//! The fronts stay price against context and sequences.
//!
//! One machine's cards share a vendor by default (`same_vendor`): CUDA,
//! ROCm, oneAPI and Metal do not run one model together except through
//! llama.cpp's RPC or Vulkan backends, which vramfit does not model
//! (its speed and buffers are the first GPU's backend's), and a mixed box
//! is rarely what anyone builds. Off, any cards mix.

mod catalog;
mod goals;
mod sets;

use std::cmp::Reverse;
use std::collections::BTreeMap;

use serde::Serialize;

pub use catalog::{dollars, instances, money, Instance, Money, Prices};
use goals::{Found, Goals, MinSpeed, Planner, Target};
use sets::{GpuSet, Offer, Sets, Stream};

use crate::estimate::memory::Engine;
use crate::plan::gpus::{cards, find_card, Card};
use crate::plan::split::usable;
use crate::report::{json_field_text, validate, InputError, Request, Validated};

/// Raw input, as typed: the model's fields of a [`Request`] and the
/// search's own. Forms, links, the CLI and the JS API share these names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BuyRequest {
    /// The model and how it runs, as `plan` reads them. Its GPU list,
    /// placement, offload and objective are the search's to choose, and
    /// are not read.
    pub run: Request,
    /// The most GPUs in one machine.
    pub max_gpus: String,
    /// The most machines, each a copy of one machine's set.
    pub machines: String,
    /// Prices that replace the catalogs', as JSON ([`Prices::parse`]).
    pub prices: String,
    /// `buy` (cards, the total price) or `rent` (instances, per hour).
    pub mode: String,
    /// `on`: one machine's cards share a vendor.
    pub same_vendor: String,
    /// Cards (or, renting, instances' cards) to consider, comma-separated;
    /// empty: every card with a price.
    pub cards: String,
    /// How many options to list.
    pub top: String,
    /// Decode tokens per second per sequence every set listed reaches;
    /// empty: any.
    pub min_tps: String,
    /// `price` (dollars, or dollars per hour) or, renting, `usd_per_mtok`
    /// (dollars per million tokens generated).
    pub rank: String,
}

impl Default for BuyRequest {
    /// Llama 3.1 8B in Q4_K_M on llama.cpp at 8K context, bought, up to
    /// eight GPUs in one machine; the ten cheapest sets.
    fn default() -> Self {
        BuyRequest {
            run: Request {
                gpus: String::new(),
                ..Request::default()
            },
            max_gpus: "8".into(),
            machines: "1".into(),
            prices: String::new(),
            mode: "buy".into(),
            same_vendor: "on".into(),
            cards: String::new(),
            top: "10".into(),
            min_tps: String::new(),
            rank: "price".into(),
        }
    }
}

/// The search's own fields.
const OWN_FIELDS: [&str; 9] = [
    "max_gpus",
    "machines",
    "prices",
    "mode",
    "same_vendor",
    "cards",
    "top",
    "min_tps",
    "rank",
];

/// The [`Request`] fields the search reads.
const RUN_FIELDS: [&str; 19] = [
    "model",
    "config",
    "engine",
    "weights",
    "kv",
    "ctx",
    "batch",
    "images",
    "overhead",
    "reserve",
    "util",
    "vllm_version",
    "batched_tokens",
    "block_size",
    "eager",
    "swa_full",
    "llama_cpp_build",
    "ubatch",
    "flash_attn",
];

/// The most GPUs in one machine, and in all machines together (what a GPU
/// list may hold).
pub const MAX_GPUS_PER_MACHINE: u64 = 16;
pub const MAX_MACHINES: u64 = 8;

/// The most options listed.
pub const MAX_TOP: u64 = 100;

/// The search stops after drawing this many sets or planning this many:
/// what it found by then is still the cheapest (sets come in price
/// order), and a note names the goals it did not reach.
const MAX_SETS: u64 = 1_000_000;
const MAX_PLANNED: u64 = 20_000;

impl BuyRequest {
    /// Every field name: the model's, then the search's.
    pub fn fields() -> impl Iterator<Item = &'static str> {
        RUN_FIELDS.into_iter().chain(OWN_FIELDS)
    }

    fn own_mut(&mut self, field: &str) -> Option<&mut String> {
        Some(match field {
            "max_gpus" => &mut self.max_gpus,
            "machines" => &mut self.machines,
            "prices" => &mut self.prices,
            "mode" => &mut self.mode,
            "same_vendor" => &mut self.same_vendor,
            "cards" => &mut self.cards,
            "top" => &mut self.top,
            "min_tps" => &mut self.min_tps,
            "rank" => &mut self.rank,
            _ => return None,
        })
    }

    /// Sets a field by name; `false` for a name that is not one of
    /// [`BuyRequest::fields`].
    pub fn set(&mut self, field: &str, value: String) -> bool {
        if let Some(slot) = self.own_mut(field) {
            *slot = value;
            true
        } else {
            RUN_FIELDS.contains(&field) && self.run.set(field, value)
        }
    }

    /// Reads a field by name.
    pub fn get(&self, field: &str) -> Option<&str> {
        match field {
            "max_gpus" => Some(&self.max_gpus),
            "machines" => Some(&self.machines),
            "prices" => Some(&self.prices),
            "mode" => Some(&self.mode),
            "same_vendor" => Some(&self.same_vendor),
            "cards" => Some(&self.cards),
            "top" => Some(&self.top),
            "min_tps" => Some(&self.min_tps),
            "rank" => Some(&self.rank),
            f if RUN_FIELDS.contains(&f) => self.run.get(f),
            _ => None,
        }
    }

    /// A request from a JSON object with the field names (the JS API's
    /// input): strings as typed, numbers, `true`/`false` for switches,
    /// `prices` and `config` as objects or text. Fields left out keep
    /// their defaults.
    pub fn from_json(value: &serde_json::Value) -> Result<BuyRequest, String> {
        let serde_json::Value::Object(entries) = value else {
            return Err(
                "the input must be an object like {\"model\": \"llama-3.1-70b\", \"max_gpus\": 4}"
                    .into(),
            );
        };
        let mut request = BuyRequest::default();
        for (key, value) in entries {
            let text = match value {
                serde_json::Value::Object(_) if key == "prices" => Some(value.to_string()),
                _ => json_field_text(key, value)?,
            };
            let Some(text) = text else {
                continue;
            };
            if key == "engine" {
                request.run.set_engine(&text);
            } else if !request.set(key, text) {
                let fields: Vec<&str> = BuyRequest::fields().collect();
                return Err(if Request::FIELDS.contains(&key.as_str()) {
                    format!(
                        "`{key}` is the search's to choose; fields are {}",
                        fields.join(", ")
                    )
                } else {
                    format!("unknown field `{key}`; fields are {}", fields.join(", "))
                });
            }
        }
        Ok(request)
    }
}

/// Buying cards or renting instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Buy,
    Rent,
}

/// What orders the options.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rank {
    /// Dollars bought, dollars per hour rented.
    Price,
    /// Renting: dollars per million tokens generated.
    UsdPerMtok,
}

/// One GPU set that runs the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuyOption {
    /// Every GPU's catalog id, machine after machine.
    pub gpus: Vec<String>,
    /// The set as `vramfit plan --gpu` takes it.
    pub gpu_list: String,
    pub machines: usize,
    /// US dollars (bought) or US dollars per hour (rented), all machines.
    pub price: f64,
    pub fits: bool,
    /// Usable memory of all GPUs together, bytes.
    pub memory_bytes: u64,
    /// Longest context per sequence at the requested sequences.
    pub max_context: Option<u64>,
    /// Most sequences at the requested context.
    pub max_batch: Option<u64>,
    /// Decode tokens per second of one sequence on the plan, at the
    /// requested context and sequences, at the start of generation
    /// (`plan`'s `speed.decode_tokens_per_s`): what `min_tps` compares.
    pub decode_tokens_per_s: Option<f64>,
    /// Renting: dollars per million tokens generated — the hourly price
    /// over the tokens an hour yields at the plan's total decode rate
    /// (`speed.decode_tokens_per_s_total`: every requested sequence
    /// decoding at once, at the start of generation, so longer contexts
    /// cost more than this): `usd_per_hour / total / 3600 × 1e6`. `None`
    /// bought, or when the speed is unknown.
    pub usd_per_million_tokens: Option<f64>,
    /// Peak memory use of the plan, over usable.
    pub peak_utilisation: f64,
    /// The instance rented (`rent`): its id, provider and hourly price.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usd_per_hour: Option<f64>,
    /// Where the price comes from: the source and its date of each priced
    /// card or instance, or `given` for a price from `prices`.
    pub price_sources: Vec<String>,
}

/// The answer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BuyReport {
    pub mode: Mode,
    pub model: String,
    pub engine: Engine,
    pub weights: String,
    pub n_ctx: u64,
    pub n_seq: u64,
    pub max_gpus: usize,
    pub machines: usize,
    /// Decode tokens per second per sequence every set listed reaches.
    pub min_tps: Option<f64>,
    pub rank: Rank,
    /// The cheapest sets that fit (and reach `min_tps`), cheapest first —
    /// or, ranked by `usd_per_mtok`, cheapest per token first.
    pub options: Vec<BuyOption>,
    /// Price against the longest context: each set the cheapest to reach
    /// its context, each longer than the one before.
    pub pareto_context: Vec<BuyOption>,
    /// Price against the most sequences, likewise.
    pub pareto_batch: Vec<BuyOption>,
    /// When nothing fits: what the largest set lacks, bytes.
    pub shortfall_bytes: Option<u64>,
    pub notes: Vec<String>,
    pub warnings: Vec<String>,
    /// Sets drawn in price order (bought) or offered (rented).
    pub considered: u64,
    /// Of those, sets the planner was asked about.
    pub planned: u64,
    /// Sets the memory bound (or, with `min_tps`, the speed bound) ruled
    /// out without the planner, and subtrees of sets they left undrawn.
    pub bounded: u64,
    pub pruned: u64,
    /// Sets that fit but decode slower than `min_tps`.
    pub too_slow: u64,
    /// Fit verdicts the planner gave.
    pub fit_checks: u64,
}

/// The search's settings, validated.
struct Search {
    mode: Mode,
    max_gpus: usize,
    machines: usize,
    same_vendor: bool,
    /// Cards allowed; `None`: all.
    cards: Option<Vec<&'static str>>,
    top: usize,
    prices: Prices,
    min_tps: Option<f64>,
    rank: Rank,
}

fn parse_search(r: &BuyRequest) -> Result<Search, InputError> {
    let count = crate::report::count;
    let max_gpus = count("max_gpus", &r.max_gpus, MAX_GPUS_PER_MACHINE)? as usize;
    let machines = count("machines", &r.machines, MAX_MACHINES)? as usize;
    let most = crate::plan::device::MAX_GPUS;
    if max_gpus * machines > most {
        return Err(InputError::Count {
            field: "machines",
            text: r.machines.clone(),
            min: 1,
            max: (most / max_gpus) as u64,
        });
    }
    let mode = match r.mode.trim().to_ascii_lowercase().as_str() {
        "" | "buy" => Mode::Buy,
        "rent" => Mode::Rent,
        _ => {
            return Err(InputError::Choice {
                field: "mode",
                text: r.mode.clone(),
                choices: "buy, rent",
            })
        }
    };
    let same_vendor = match r.same_vendor.trim() {
        "" => true,
        text => crate::report::switch("same_vendor", text)?,
    };
    let cards = if r.cards.trim().is_empty() {
        None
    } else {
        let mut ids = Vec::new();
        for entry in r.cards.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let card = find_card(entry).ok_or_else(|| InputError::Choice {
                field: "cards",
                text: entry.to_string(),
                choices: "catalog card ids, as `vramfit gpus` lists them",
            })?;
            ids.push(card.id.as_str());
        }
        Some(ids)
    };
    let rank = match r
        .rank
        .trim()
        .to_ascii_lowercase()
        .replace('-', "_")
        .as_str()
    {
        "" | "price" => Rank::Price,
        "usd_per_mtok" if mode == Mode::Rent => Rank::UsdPerMtok,
        _ => {
            return Err(InputError::Choice {
                field: "rank",
                text: r.rank.clone(),
                choices: match mode {
                    Mode::Rent => "price, usd_per_mtok",
                    Mode::Buy => "price (usd_per_mtok ranks rented instances: mode=rent)",
                },
            })
        }
    };
    Ok(Search {
        mode,
        max_gpus,
        machines,
        same_vendor,
        cards,
        top: count("top", &r.top, MAX_TOP)? as usize,
        prices: Prices::parse(&r.prices)?,
        min_tps: super::min_tps("min_tps", &r.min_tps)?,
        rank,
    })
}

/// The run's request as `plan` would get it, on `gpus`.
fn run_request(r: &BuyRequest, gpus: &str) -> Request {
    let mut run = Request {
        gpus: gpus.to_string(),
        ..Request::default()
    };
    for field in RUN_FIELDS {
        run.set(field, r.run.get(field).unwrap_or_default().to_string());
    }
    run.offload = "off".into();
    run
}

/// A GPU list every field validates against (the search's own sets come
/// later): a size, so no card's backend or memory is assumed.
const PLACEHOLDER_GPUS: &str = "1024GB";

/// The contexts and sequence counts of the Pareto fronts' ladders.
fn ladder(v: &Validated) -> Vec<Target> {
    let (n_ctx, n_seq) = (v.settings.n_ctx, v.settings.n_seq);
    let limit = v.spec.n_ctx_train;
    let mut targets = Vec::new();
    let mut c = n_ctx.div_ceil(256) * 256;
    loop {
        c *= 2;
        if c >= limit {
            break;
        }
        targets.push(Target::Context(c));
    }
    if limit > n_ctx {
        targets.push(Target::Context(limit));
    }
    let mut b = n_seq;
    while b * 2 <= 32 {
        b *= 2;
        targets.push(Target::Batch(b));
    }
    targets
}

/// Searches for the cheapest GPU sets that run `request`'s model.
pub fn buy(request: &BuyRequest) -> Result<BuyReport, InputError> {
    let search = parse_search(request)?;
    let run = run_request(request, PLACEHOLDER_GPUS);
    let v = validate(&run)?;
    let mut planner = Planner::new(&v, &run);
    // Ranked per token, every rentable set that fits is wanted.
    let want = match search.rank {
        Rank::Price => search.top,
        Rank::UsdPerMtok => usize::MAX,
    };
    let mut goals = Goals::new(&v, want, &ladder(&v));
    let allowed = cards().iter().filter(|c| search.allows(c));
    goals.speed = search.min_tps.map(|min| MinSpeed::new(&v, allowed, min));
    // Each card's share of the bound: what one GPU of it can hold at most.
    let share = goals::per_gpu_share(&v.settings);
    let rooms: BTreeMap<&'static str, u64> = cards()
        .iter()
        .filter(|c| search.allows(c))
        .map(|c| {
            let room = planner.gpus(&c.id).map_or(0, |(gpus, settings)| {
                usable(&gpus[0], &settings).saturating_sub(share)
            });
            (c.id.as_str(), room)
        })
        .collect();
    let room = |c: &Card| rooms.get(c.id.as_str()).copied().unwrap_or(0);
    let walk = match search.mode {
        Mode::Buy => walk_bought(&search, &room, &mut goals, &mut planner),
        Mode::Rent => walk_rented(&search, &room, &mut goals, &mut planner),
    };
    let option = |f: &Found| describe(&search, &planner, f);
    let mut options = goals
        .best(&goals.goals[0])
        .into_iter()
        .map(option)
        .collect::<Result<Vec<_>, _>>()?;
    if search.rank == Rank::UsdPerMtok {
        // Cheapest per token first, unknown last; ties keep price order.
        options.sort_by(|a, b| {
            let key = |o: &BuyOption| o.usd_per_million_tokens.unwrap_or(f64::INFINITY);
            key(a).total_cmp(&key(b))
        });
        options.truncate(search.top);
    }
    let front = |of: fn(&Target) -> bool, key: fn(&Found) -> Option<u64>| {
        let mut points: Vec<&Found> = goals
            .goals
            .iter()
            .filter(|g| g.target == Target::Options || of(&g.target))
            .filter_map(|g| goals.best(g).into_iter().next())
            .collect();
        points.sort_by_cached_key(|f| f.set.order());
        let mut best = None;
        let mut out = Vec::new();
        for f in points {
            if key(f) > best {
                best = key(f);
                out.push(option(f)?);
            }
        }
        Ok::<_, InputError>(out)
    };
    let pareto_context = front(|t| matches!(t, Target::Context(_)), |f| f.max_context)?;
    let pareto_batch = front(|t| matches!(t, Target::Batch(_)), |f| f.max_batch)?;
    let scope = match search.mode {
        Mode::Buy => format!(
            "{} GPUs in each of {} machine(s)",
            search.max_gpus, search.machines
        ),
        Mode::Rent => format!(
            "the cloud catalog's instances on {} machine(s)",
            search.machines
        ),
    };
    let at_speed = search
        .min_tps
        .map_or(String::new(), |m| format!(" at {m} tok/s per sequence"));
    let mut notes = Vec::new();
    let mut shortfall_bytes = None;
    match (&walk.largest, options.is_empty(), walk.stopped) {
        (None, _, _) => notes.push(match search.mode {
            Mode::Buy => "no card of those allowed has a price: give some in prices, e.g. {\"rtx-3090\": 800}".to_string(),
            Mode::Rent => "no instance of the cloud catalog has these cards".to_string(),
        }),
        (Some(set), true, false) => {
            let short = planner.gpus(&set.gpu_list()).map(|(gpus, settings)| {
                crate::plan::split::plan(planner.on(&gpus, settings)).shortfall_bytes
            });
            match (search.min_tps, &goals.fastest, short) {
                (Some(min), Some((tps, fastest)), _) => notes.push(format!(
                    "nothing of up to {scope} both fits and decodes {min} tok/s per sequence: of the sets that fit, the fastest planned, {} ({}), decodes {tps:.1}",
                    fastest.gpu_list(),
                    price_text(search.mode, fastest.price),
                )),
                (_, _, Some(short)) if short > 0 => {
                    shortfall_bytes = Some(short);
                    notes.push(format!(
                        "nothing of up to {scope} fits: the largest, {}, is {} short",
                        set.gpu_list(),
                        crate::units::gib(short)
                    ));
                }
                (Some(min), None, _) => notes.push(format!(
                    "nothing of up to {scope} can decode {min} tok/s per sequence: at its cards' memory bandwidth no set reads the model's weights that often"
                )),
                _ => {}
            }
        }
        _ => {}
    }
    if walk.stopped {
        let slow = match search.min_tps {
            Some(min) => format!(
                "; {} sets that fit decoded slower than {min} tok/s per sequence",
                goals.too_slow
            ),
            None => String::new(),
        };
        notes.push(format!(
            "the search stopped after drawing {} sets and planning {}: the sets listed are the cheapest, but a set it did not draw may fit{at_speed} where none listed does, or reach further{slow}",
            walk.considered, goals.planned
        ));
    } else if !options.is_empty() {
        for g in &goals.goals[1..] {
            match g.target {
                _ if !g.found.is_empty() => {}
                Target::Context(c) => notes.push(format!(
                    "no set of up to {scope} holds {c} tokens of context{at_speed}"
                )),
                Target::Batch(b) => notes.push(format!(
                    "no set of up to {scope} holds {b} sequences{at_speed}"
                )),
                Target::Options => {}
            }
        }
    }
    Ok(BuyReport {
        mode: search.mode,
        model: v.name.clone(),
        engine: v.settings.engine,
        weights: v.settings.weights.label(),
        n_ctx: v.settings.n_ctx,
        n_seq: v.settings.n_seq,
        max_gpus: search.max_gpus,
        machines: search.machines,
        min_tps: search.min_tps,
        rank: search.rank,
        options,
        pareto_context,
        pareto_batch,
        shortfall_bytes,
        notes,
        warnings: v.warnings.clone(),
        considered: walk.considered,
        planned: goals.planned,
        bounded: goals.bounded,
        pruned: walk.pruned,
        too_slow: goals.too_slow,
        fit_checks: planner.checks,
    })
}

/// `$1,599` bought, `$55.04/h` rented.
fn price_text(mode: Mode, price: Money) -> String {
    match mode {
        Mode::Buy => format!("${}", crate::units::grouped(dollars(price).round() as u64)),
        Mode::Rent => format!("${:.2}/h", dollars(price)),
    }
}

/// What a walk over the sets did.
struct Walk {
    /// The set that holds the most, for "nothing fits".
    largest: Option<GpuSet>,
    considered: u64,
    pruned: u64,
    /// Whether it stopped at [`MAX_SETS`] or [`MAX_PLANNED`].
    stopped: bool,
}

/// Draws bought sets in price order until every goal is complete; with a
/// minimum speed, only sets that might reach it are planned.
fn walk_bought(
    search: &Search,
    room: &dyn Fn(&Card) -> u64,
    goals: &mut Goals,
    planner: &mut Planner,
) -> Walk {
    let rate = |c: &Card| goals.speed.as_ref().map_or(0.0, |s| s.rate(c));
    let streams = buy_streams(search, room, &rate);
    let largest = largest_bought(search, &streams);
    let need_rate = goals.speed.as_ref().map(MinSpeed::rate_need);
    let mut sets = Sets::new(streams, search.machines, goals.need(0), need_rate);
    let (mut considered, mut price, mut stopped) = (0, 0, false);
    while let Some(drawn) = sets.next(goals.need(price)) {
        price = drawn.price;
        if goals.done(price) {
            break;
        }
        if considered >= MAX_SETS || goals.planned >= MAX_PLANNED {
            stopped = true;
            break;
        }
        considered += 1;
        if goals.could_take(price, drawn.bound) {
            if !goals.could_reach(&drawn.shares, drawn.machines) {
                continue;
            }
            let bound = drawn.bound;
            goals.offer(planner, drawn.set(), bound);
        }
    }
    Walk {
        largest,
        considered,
        pruned: sets.pruned,
        stopped,
    }
}

/// Offers every rentable set, cheapest first, until every goal is
/// complete; with a minimum speed, only sets that might reach it.
fn walk_rented(
    search: &Search,
    room: &dyn Fn(&Card) -> u64,
    goals: &mut Goals,
    planner: &mut Planner,
) -> Walk {
    let mut rented = rent_sets(search);
    rented.sort_by_cached_key(GpuSet::order);
    let largest = rented
        .iter()
        .max_by_key(|s| (s.memory(), Reverse(s.order())))
        .cloned();
    let mut considered = 0;
    for set in rented {
        if goals.done(set.price) {
            break;
        }
        considered += 1;
        let bound = set.machine.iter().map(|&c| room(c)).sum::<u64>();
        let bound = bound.saturating_mul(set.machines as u64);
        if goals.could_take(set.price, bound) {
            let shares: Vec<(f64, u64)> = set
                .machine
                .iter()
                .map(|c| (goals.speed.as_ref().map_or(0.0, |s| s.rate(c)), room(c)))
                .collect();
            if !goals.could_reach(&shares, set.machines) {
                continue;
            }
            goals.offer(planner, set, bound);
        }
    }
    Walk {
        largest,
        considered,
        pruned: 0,
        stopped: false,
    }
}

impl Search {
    fn allows(&self, card: &Card) -> bool {
        self.cards
            .as_ref()
            .is_none_or(|ids| ids.contains(&card.id.as_str()))
    }
}

/// The priced cards in streams: by vendor (or all together), and each
/// system on a chip alone, one to a machine.
fn buy_streams(
    search: &Search,
    room: &dyn Fn(&Card) -> u64,
    rate: &dyn Fn(&Card) -> f64,
) -> Vec<Stream> {
    let mut by_key: BTreeMap<&str, Vec<Offer>> = BTreeMap::new();
    let mut streams = Vec::new();
    for card in cards().iter().filter(|c| search.allows(c)) {
        let Some(price) = search.prices.card(card) else {
            continue;
        };
        let entry = Offer {
            card,
            price,
            room: room(card),
            rate: rate(card),
        };
        if card.segment == "soc" {
            streams.push(Stream {
                cards: vec![entry],
                per_machine: 1,
            });
        } else {
            let key = if search.same_vendor {
                card.vendor.as_str()
            } else {
                ""
            };
            by_key.entry(key).or_default().push(entry);
        }
    }
    streams.extend(by_key.into_values().map(|cards| Stream {
        cards,
        per_machine: search.max_gpus,
    }));
    streams
}

/// The set that holds the most: a machine full of a stream's roomiest
/// card, on every machine.
fn largest_bought(search: &Search, streams: &[Stream]) -> Option<GpuSet> {
    streams
        .iter()
        .filter_map(|s| {
            let o = s.cards.iter().max_by_key(|c| (c.room, Reverse(c.price)))?;
            let n = s.per_machine;
            let set = GpuSet::new(
                o.price * (n * search.machines) as Money,
                vec![o.card; n],
                search.machines,
                None,
            );
            Some((o.room * n as u64, set))
        })
        .max_by_key(|(room, set)| (*room, Reverse(set.order())))
        .map(|(_, set)| set)
}

/// Every rentable set: each instance on 1 to `machines` machines; an offer
/// priced per GPU in every count up to `max_gpus`.
fn rent_sets(search: &Search) -> Vec<GpuSet> {
    let mut out = Vec::new();
    for instance in instances() {
        let Some(price) = search.prices.instance(instance) else {
            continue;
        };
        let Ok(gpus) = crate::plan::device::parse_gpus(&instance.gpus) else {
            continue;
        };
        let machine: Option<Vec<&'static Card>> =
            gpus.iter().map(|g| g.card.and_then(find_card)).collect();
        let Some(machine) = machine.filter(|m| m.iter().all(|c| search.allows(c))) else {
            continue;
        };
        let counts = if instance.per_gpu {
            1..=search.max_gpus
        } else {
            1..=1
        };
        for count in counts {
            let cards: Vec<&'static Card> = machine
                .iter()
                .copied()
                .cycle()
                .take(machine.len() * count)
                .collect();
            if cards.len() > search.max_gpus {
                continue;
            }
            for m in 1..=search.machines {
                out.push(GpuSet::new(
                    price * (count * m) as Money,
                    cards.clone(),
                    m,
                    Some(instance),
                ));
            }
        }
    }
    out
}

/// A found set as the report lists it, with the plan's speed and peak.
fn describe(search: &Search, planner: &Planner, f: &Found) -> Result<BuyOption, InputError> {
    let set = &f.set;
    let list = set.gpu_list();
    let (p, speed) = planner.full(&list)?;
    let mut price_sources: Vec<String> = match set.instance {
        Some(i) => vec![match search.prices.instance(i) == money(i.usd_per_hour) {
            true => format!("{} ({})", i.source, i.date),
            false => "given".to_string(),
        }],
        None => set
            .machine
            .iter()
            .map(|c| match (&c.price_source, &c.price_date) {
                (Some(s), Some(d)) if search.prices.card(c) == c.price_usd.and_then(money) => {
                    format!("{}: {s} ({d})", c.id)
                }
                _ => format!("{}: given", c.id),
            })
            .collect(),
    };
    price_sources.dedup();
    Ok(BuyOption {
        gpus: (0..set.machines)
            .flat_map(|_| set.machine.iter().map(|c| c.id.clone()))
            .collect(),
        gpu_list: set.gpu_list(),
        machines: set.machines,
        price: dollars(set.price),
        fits: p.fits,
        memory_bytes: set.memory(),
        max_context: f.max_context,
        max_batch: f.max_batch,
        decode_tokens_per_s: speed.as_ref().map(|s| s.decode_tokens_per_s),
        usd_per_million_tokens: set
            .instance
            .and(speed.as_ref())
            .map(|s| usd_per_million_tokens(dollars(set.price), s.decode_tokens_per_s_total)),
        peak_utilisation: p.peak_utilisation(),
        instance: set.instance.map(|i| i.id.clone()),
        provider: set.instance.map(|i| i.provider.clone()),
        usd_per_hour: set.instance.map(|_| dollars(set.price)),
        price_sources,
    })
}

/// Dollars per million tokens at `usd_per_hour` generating
/// `tokens_per_s` in all.
fn usd_per_million_tokens(usd_per_hour: f64, tokens_per_s: f64) -> f64 {
    usd_per_hour / (tokens_per_s * 3600.0) * 1e6
}

#[cfg(test)]
mod tests;
