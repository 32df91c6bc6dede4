//! What the search looks for, and the planner's verdict on each set.
//!
//! A *goal* is "the cheapest sets that run the model at these settings":
//! the requested context and sequences (the options, `want` of them), or
//! a longer context, or more sequences (one point of a Pareto front
//! each). Sets arrive in price order, so the first that a goal accepts is
//! its cheapest; sets of the same price that follow are taken too and the
//! tie is broken by [`GpuSet::order`]. A goal is complete once it has
//! what it wants and a dearer set arrives.
//!
//! A set is handed to the planner only when some open goal could accept
//! it: its GPUs, each less the part of its memory the engine always takes
//! (llama.cpp's and PyTorch's runtime overhead; nothing for vLLM, whose
//! budget is already a share of the card), must hold every layer's
//! weights and KV cache and the embeddings, output and image side that
//! live on GPUs ([`need`]). Every placement the planner accepts holds at
//! least that much on GPUs that each carry the overhead, so a set below
//! the bound does not fit (the unit test checks this against the planner).
//!
//! With a minimum speed (`min_tps`) every goal asks for it too: a set that
//! fits and that some goal would take is planned in full, as
//! [`crate::report::report`] plans it on those GPUs, and taken only when
//! that plan decodes at least `min_tps` tokens per second per sequence at
//! the requested context and sequences. Speed does not grow with price,
//! so sets that fit but are too slow are passed over and the walk goes on
//! ([`Goals::too_slow`] counts them). [`MinSpeed`]'s bounds
//! (`search::pace`) keep most of them from the full plan: the cards' rates
//! and rooms, before the planner (and, for whole subtrees of the walk,
//! the fastest rate they could hold); then, without tensor parallelism,
//! the planner's own split — asked once for all sets of GPUs of the same
//! sizes — read at each card's best rate.

use std::collections::{BTreeMap, HashMap};

use crate::estimate::memory::Engine;
use crate::estimate::weights::{weight_bytes, WeightBytes};
use crate::estimate::{estimate, RunSettings};
use crate::plan::device::Gpu;
use crate::plan::search::{max_batch, max_context};
use crate::plan::speed::{plan_speed, Speed};
use crate::plan::split::{fits_on_gpus, missing_at_startup, plan, Plan, PlanRequest};
use crate::report::{validate, InputError, Request, Validated};

use super::sets::{GpuSet, RateNeed};
use crate::plan::gpus::Card;
use crate::search::pace::{self, SpeedBound};

/// Bytes any placement of `settings` keeps on GPUs.
pub fn need(v: &Validated, settings: &RunSettings) -> u64 {
    let e = estimate(&v.spec, settings);
    let layers: u64 = e.layer_weights.iter().chain(&e.layer_kv).sum();
    let embeddings = if e.token_embd_on_host {
        0
    } else {
        e.token_embd
    };
    layers + embeddings + e.output + e.weights.vision
}

/// The part of each used GPU's memory the bound sets aside.
pub fn per_gpu_share(settings: &RunSettings) -> u64 {
    match settings.engine {
        Engine::Vllm => 0,
        _ => settings.overhead_per_gpu,
    }
}

/// The planner, asked about GPU lists as text.
pub struct Planner<'a> {
    pub v: &'a Validated,
    /// The run's request (its `gpus` a placeholder), for [`Validated::on_gpus`].
    pub request: &'a Request,
    weights: WeightBytes,
    /// Fit verdicts asked for (each an exact feasibility pass).
    pub checks: u64,
}

impl<'a> Planner<'a> {
    pub fn new(v: &'a Validated, request: &'a Request) -> Planner<'a> {
        Planner {
            weights: weight_bytes(&v.spec, v.settings.weights),
            v,
            request,
            checks: 0,
        }
    }

    /// The GPUs `text` names and the settings that depend on them; `None`
    /// when the reserve leaves one of them nothing.
    pub fn gpus(&self, text: &str) -> Option<(Vec<Gpu>, RunSettings)> {
        self.v.on_gpus(self.request, text)
    }

    /// The plan request for `gpus` at `settings`, GPUs alone.
    pub fn on<'b>(&'b self, gpus: &'b [Gpu], settings: RunSettings) -> PlanRequest<'b> {
        PlanRequest {
            spec: &self.v.spec,
            settings,
            gpus,
            host_ram: self.v.host_ram,
            allow_offload: false,
            fixed: None,
        }
    }

    /// Whether the run fits on `gpus`, all of them used (a set bought is
    /// used whole): vLLM must also start on each, as `plan` checks.
    pub fn fits(&mut self, gpus: &[Gpu], settings: RunSettings) -> bool {
        self.checks += 1;
        let request = self.on(gpus, settings);
        gpus.iter()
            .all(|g| missing_at_startup(&request, g, settings.overhead_per_gpu) == 0)
            && fits_on_gpus(&request, &self.weights)
    }

    /// The plan of the run on `list` (the GPUs as `--gpu` takes them),
    /// GPUs alone, validated afresh as `vramfit plan` validates it, and its
    /// speed when it fits (`None` when a used GPU's bandwidth is unknown):
    /// what an option reports.
    pub fn full(&self, list: &str) -> Result<(Plan, Option<Speed>), InputError> {
        let run = Request {
            gpus: list.to_string(),
            ..self.request.clone()
        };
        let v = validate(&run)?;
        let p = plan(PlanRequest {
            allow_offload: false,
            ..v.plan_request()
        });
        let speed = p
            .fits
            .then(|| plan_speed(&v.spec, &p, &v.gpus, v.backend, &v.host))
            .flatten();
        Ok((p, speed))
    }
}

/// What a goal asks for beyond running at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The requested context and sequences.
    Options,
    /// This context per sequence (the requested sequences).
    Context(u64),
    /// This many sequences (the requested context).
    Batch(u64),
}

/// A set the planner accepted, with its limits.
#[derive(Debug, Clone)]
pub struct Found {
    pub set: GpuSet,
    pub max_context: Option<u64>,
    pub max_batch: Option<u64>,
}

#[derive(Debug, Clone)]
pub struct Goal {
    pub target: Target,
    /// The bound: bytes a set must hold.
    pub need: u64,
    want: usize,
    /// Indices into [`Goals::found`], in arrival (price) order.
    pub found: Vec<usize>,
}

/// Every goal and the sets they accepted.
pub struct Goals {
    pub goals: Vec<Goal>,
    pub found: Vec<Found>,
    /// Sets handed to the planner.
    pub planned: u64,
    /// Sets the bound ruled out without planning.
    pub bounded: u64,
    /// The decode speed every goal asks for, and its bound.
    pub speed: Option<MinSpeed>,
    /// Sets that fit but decode slower than `min_tps`.
    pub too_slow: u64,
    /// The fastest of those, and its speed.
    pub fastest: Option<(f64, GpuSet)>,
}

impl Goals {
    /// The options goal (`want` sets) first, then each target.
    pub fn new(v: &Validated, want: usize, targets: &[Target]) -> Goals {
        let goals = std::iter::once(Target::Options)
            .chain(targets.iter().copied())
            .map(|target| Goal {
                target,
                need: need(v, &settings_for(&v.settings, target)),
                want: if target == Target::Options { want } else { 1 },
                found: Vec::new(),
            })
            .collect();
        Goals {
            goals,
            found: Vec::new(),
            planned: 0,
            bounded: 0,
            speed: None,
            too_slow: 0,
            fastest: None,
        }
    }

    fn worst(&self, g: &Goal) -> Option<u64> {
        (g.found.len() >= g.want).then(|| self.found[g.found[g.want - 1]].set.price)
    }

    /// Whether `g` still takes a set of `price`.
    fn open(&self, g: &Goal, price: u64) -> bool {
        self.worst(g).is_none_or(|worst| price <= worst)
    }

    /// Whether every goal is complete for sets of `price` and dearer.
    pub fn done(&self, price: u64) -> bool {
        self.goals.iter().all(|g| !self.open(g, price))
    }

    /// The least any set of `price` or dearer must hold to be of use.
    pub fn need(&self, price: u64) -> u64 {
        self.goals
            .iter()
            .filter(|g| self.open(g, price))
            .map(|g| g.need)
            .min()
            .unwrap_or(u64::MAX)
    }

    /// Whether a set of one machine's GPUs, each `(rate, room)`
    /// ([`MinSpeed::rate`]), on `machines` machines might reach the minimum
    /// speed; counts it as ruled out when not.
    pub fn could_reach(&mut self, machine: &[(f64, u64)], machines: usize) -> bool {
        let reach = self
            .speed
            .as_ref()
            .is_none_or(|s| s.could_reach(machine, machines));
        self.bounded += u64::from(!reach);
        reach
    }

    /// Whether some goal could take a set of `price` whose GPUs hold at
    /// most `bound` bytes; counts it as ruled out when none could.
    pub fn could_take(&mut self, price: u64, bound: u64) -> bool {
        let any = self
            .goals
            .iter()
            .any(|g| g.need <= bound && self.open(g, price));
        self.bounded += u64::from(!any);
        any
    }

    /// Offers `set` (whose GPUs hold at most `bound` bytes) to the goals
    /// that could take it, planning it.
    pub fn offer(&mut self, planner: &mut Planner, set: GpuSet, bound: u64) {
        let open: Vec<usize> = (0..self.goals.len())
            .filter(|&i| {
                let g = &self.goals[i];
                self.open(g, set.price) && g.need <= bound
            })
            .collect();
        if open.is_empty() {
            return;
        }
        let Some((gpus, settings)) = planner.gpus(&set.gpu_list()) else {
            return;
        };
        self.planned += 1;
        if !planner.fits(&gpus, settings) {
            return;
        }
        // Memory grows with context and sequences: past the first longer
        // context (or batch) that does not fit, none does.
        let (mut context_fails, mut batch_fails) = (false, false);
        let mut taken = Vec::new();
        for i in open {
            let target = self.goals[i].target;
            let takes = match target {
                Target::Options => true,
                Target::Context(_) if context_fails => false,
                Target::Batch(_) if batch_fails => false,
                Target::Context(_) | Target::Batch(_) => {
                    let fits = planner.fits(&gpus, settings_for(&settings, target));
                    match target {
                        Target::Context(_) => context_fails |= !fits,
                        _ => batch_fails |= !fits,
                    }
                    fits
                }
            };
            if takes {
                taken.push(i);
            }
        }
        if taken.is_empty() {
            return;
        }
        // Only now, the set being of use to some goal, is it planned in
        // full for its speed.
        if let Some(speed) = &mut self.speed {
            // First the planner's split on GPUs of these sizes read at the
            // cards' best rates (a layer split's bound), then, if that may
            // reach the minimum, the speed `vramfit plan` reports.
            let reach = speed.split_could_reach(&gpus, || plan(planner.on(&gpus, settings)));
            let decode = if reach {
                planner
                    .full(&set.gpu_list())
                    .ok()
                    .and_then(|(_, s)| s)
                    .map(|s| s.decode_tokens_per_s)
            } else {
                None
            };
            if decode.is_none_or(|d| d < speed.min_tps) {
                self.too_slow += 1;
                if let Some(d) = decode.filter(|&d| self.fastest.as_ref().is_none_or(|f| d > f.0)) {
                    self.fastest = Some((d, set));
                }
                return;
            }
        }
        let request = planner.on(&gpus, settings);
        let found = Found {
            max_context: max_context(&request),
            max_batch: max_batch(&request),
            set,
        };
        self.found.push(found);
        for i in taken {
            self.goals[i].found.push(self.found.len() - 1);
        }
    }

    /// A goal's sets, best first, at most `want`.
    pub fn best(&self, g: &Goal) -> Vec<&Found> {
        let mut sets: Vec<&Found> = g.found.iter().map(|&i| &self.found[i]).collect();
        sets.sort_by_cached_key(|f| f.set.order());
        sets.truncate(g.want);
        sets
    }
}

/// A minimum decode speed and the bound that keeps sets from the planner
/// ([`crate::search::pace`]), with each allowed card's rate.
pub struct MinSpeed {
    /// Decode tokens per second per sequence every goal asks for.
    pub min_tps: f64,
    bound: SpeedBound,
    rates: BTreeMap<&'static str, f64>,
    /// The planner's layer splits by the GPUs' sizes ([`Profile`]).
    splits: HashMap<Profile, Split>,
}

/// What a plan without tensor parallelism reads of its GPUs: each one's
/// capacity, reserve, CUDA total and machine, in order, and whether all run
/// FlashMLA (vLLM's MLA cache blocks follow it, as `validate` sets them).
/// Its split depends on nothing else of them (the cards otherwise only
/// change vLLM's plans through their MXFP4 kernels), so sets of other cards
/// of the same sizes share it (`tests.rs` checks this).
type Profile = (Vec<(u64, u64, u64, usize)>, bool);

/// A plan's split, as the speed bound reads it: each used GPU's index,
/// layers and whether it holds the output; `None` when the plan does not
/// fit or splits layers across GPUs (nothing is judged then).
type Split = Option<Vec<(usize, Option<[usize; 2]>, bool)>>;

impl MinSpeed {
    /// The bound of the run `v` (GPU-independent: its weights, KV cache
    /// and output) on any of `cards`.
    pub fn new(
        v: &Validated,
        cards: impl Iterator<Item = &'static Card> + Clone,
        min_tps: f64,
    ) -> MinSpeed {
        let engine = v.settings.engine;
        let fixed = pace::Fixed::of(engine, cards.clone());
        let e = estimate(&v.spec, &v.settings);
        MinSpeed {
            min_tps,
            bound: SpeedBound::new(engine, &v.spec, &e, v.settings.n_seq, fixed),
            rates: cards
                .map(|c| (c.id.as_str(), pace::card_rate(engine, c)))
                .collect(),
            splits: HashMap::new(),
        }
    }

    /// A card's best rate (bytes per second; 0 when not allowed).
    pub fn rate(&self, card: &Card) -> f64 {
        self.rates.get(card.id.as_str()).copied().unwrap_or(0.0)
    }

    /// What [`super::sets::Sets`] prunes subtrees with.
    pub fn rate_need(&self) -> RateNeed {
        RateNeed {
            rate: self.bound.rate_needed(self.min_tps),
            parallel: self.bound.parallel(),
        }
    }

    /// Whether one machine's GPUs, each `(rate, room)` — its best rate
    /// and the bytes of layers and KV cache it can hold at most — on
    /// `machines` machines might reach the minimum.
    pub fn could_reach(&self, machine: &[(f64, u64)], machines: usize) -> bool {
        pace::reaches(self.bound.max_tps(machine, machines), self.min_tps)
    }

    /// Whether the run on `gpus`, GPUs alone, might reach the minimum:
    /// with a layer split and no tensor parallelism, the planner's own
    /// split (`plan`, asked once per [`Profile`]) read at the cards' best
    /// rates. With tensor parallelism it is not judged here (vLLM's
    /// settings on the GPUs may differ from the search's, and so its plan).
    pub fn split_could_reach(&mut self, gpus: &[Gpu], plan: impl FnOnce() -> Plan) -> bool {
        if self.bound.parallel() {
            return true;
        }
        let profile: Profile = (
            gpus.iter()
                .map(|g| (g.capacity, g.reserve, g.cuda_total, g.node))
                .collect(),
            crate::report::vllm_args::flash_mla(gpus),
        );
        let split = self.splits.entry(profile).or_insert_with(|| {
            let p = plan();
            let used = p.devices.iter().filter(|d| d.used());
            let last = used.clone().filter_map(|d| d.stage).max();
            (p.fits && p.layout.tp == 1)
                .then(|| used.map(|d| (d.index, d.layers, d.stage == last)).collect())
        });
        let Some(split) = split else {
            return true;
        };
        let stages: Vec<(f64, Option<[usize; 2]>, bool)> = split
            .iter()
            .map(|&(index, layers, output)| {
                let rate = gpus
                    .get(index)
                    .and_then(|g| g.card)
                    .and_then(|id| self.rates.get(id))
                    .copied()
                    .unwrap_or(f64::INFINITY);
                (rate, layers, output)
            })
            .collect();
        pace::reaches(self.bound.max_tps_of_split(&stages), self.min_tps)
    }
}

/// `base` at a goal's context or sequences.
pub fn settings_for(base: &RunSettings, target: Target) -> RunSettings {
    match target {
        Target::Options => *base,
        Target::Context(n_ctx) => RunSettings { n_ctx, ..*base },
        Target::Batch(n_seq) => RunSettings { n_seq, ..*base },
    }
}
