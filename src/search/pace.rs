//! The speed bound: how fast a set of GPUs could decode at best, so that a
//! search with a minimum speed (`min_tps`) plans only what might reach it.
//!
//! It follows [`crate::plan::speed`]'s model from below. A decode step
//! reads every weight it uses once — a mixture of experts its batch's
//! expected share of the routed experts — each device its own share at no
//! more than its peak bandwidth times the highest achieved fraction any
//! backend's constants give its platform on the engine ([`card_rate`]); and
//! it pays at least the smallest fixed cost per step and per layer those
//! constants charge ([`Fixed`]). Arithmetic, the KV cache, all-reduces,
//! pipeline hand-offs and host memory only add time, so they are left out.
//!
//! How the devices share the reads decides the bound:
//!
//! - with a layer split (llama.cpp, transformers: no tensor parallelism)
//!   the devices work in turn, so their times add: the step takes at
//!   least the reads spread over the GPUs fastest first, each holding no
//!   more weights than its room allows and taking the layers that read the
//!   most per byte held first ([`SpeedBound::max_tps_split`]) — or, not
//!   knowing the rooms, all at the fastest GPU's rate;
//! - with tensor parallelism (vLLM, ExLlamaV2) a stage's ranks read at
//!   once and the step waits for the slowest, whose rate is at most the
//!   stage's average: at best the reads at the sum of one machine's rates
//!   (a tensor-parallel group never spans machines)
//!   ([`SpeedBound::max_tps_parallel`]).
//!
//! `tests.rs` of `search::buy` checks the bound against the planner's
//! speed across engines, models and GPU sets.

use crate::estimate::memory::{Engine, Estimate};
use crate::estimate::model::ModelSpec;
use crate::plan::gpus::Card;
use crate::plan::placement::Backend;
use crate::plan::speed::{calibration_for, experts_touched, Platform};

/// Every backend a card may run under (only Vulkan changes its platform).
const BACKENDS: [Backend; 5] = [
    Backend::Cuda,
    Backend::Rocm,
    Backend::Metal,
    Backend::Vulkan,
    Backend::Cpu,
];

/// The most bytes per second `card` reads while decoding on `engine`: its
/// peak bandwidth at the highest achieved fraction of any backend.
pub fn card_rate(engine: Engine, card: &Card) -> f64 {
    let fraction = BACKENDS
        .iter()
        .map(|&b| calibration_for(engine, Platform::of(card, b)).0.bandwidth)
        .fold(0.0, f64::max);
    card.bandwidth_gb_s * 1e9 * fraction
}

/// The smallest fixed costs of a decode step on some cards.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fixed {
    /// Seconds per step (sampling, graph set-up).
    pub per_token_s: f64,
    /// Seconds per layer per step.
    pub per_layer_s: f64,
    /// Seconds per hand-off between pipeline stages.
    pub per_hop_s: f64,
}

impl Fixed {
    /// The least each cost is for any of `cards` under any backend (none:
    /// nothing).
    pub fn of<'a>(engine: Engine, cards: impl IntoIterator<Item = &'a Card>) -> Fixed {
        let mut fixed = Fixed {
            per_token_s: f64::INFINITY,
            per_layer_s: f64::INFINITY,
            per_hop_s: f64::INFINITY,
        };
        for card in cards {
            for b in BACKENDS {
                let c = calibration_for(engine, Platform::of(card, b)).0;
                fixed.per_token_s = fixed.per_token_s.min(c.per_token_s);
                fixed.per_layer_s = fixed.per_layer_s.min(c.per_layer_s);
                fixed.per_hop_s = fixed.per_hop_s.min(c.per_hop_s);
            }
        }
        // None: nothing (and a negative constant counts as nothing).
        let sound = |s: f64| if s.is_finite() { s.max(0.0) } else { 0.0 };
        Fixed {
            per_token_s: sound(fixed.per_token_s),
            per_layer_s: sound(fixed.per_layer_s),
            per_hop_s: sound(fixed.per_hop_s),
        }
    }
}

/// Whether `engine` may split a layer across GPUs (tensor parallelism),
/// as [`crate::plan::split::tp_candidates`] allows.
pub fn parallel(engine: Engine) -> bool {
    matches!(engine, Engine::Vllm | Engine::ExLlamaV2)
}

/// What a decode step reads at least, for a model run all on GPUs, and the
/// least time it takes besides reading.
#[derive(Debug, Clone, PartialEq)]
pub struct SpeedBound {
    /// Per layer and the output, bytes held on the GPU that runs it
    /// (weights, and a layer's KV cache) and bytes one step reads, the
    /// most read per byte held first…
    items: Vec<(f64, f64)>,
    /// …and their sums before each item (and of them all, last).
    held: Vec<f64>,
    read: Vec<f64>,
    /// Bytes one step reads of each layer, in layer order, and of the
    /// output.
    layer_reads: Vec<f64>,
    output_read: f64,
    /// Every byte one step reads.
    read_all: f64,
    /// Seconds every step pays besides reading (per step, and per layer
    /// for every layer)…
    fixed_s: f64,
    /// …and the smallest constants of those, for a known split.
    fixed: Fixed,
    parallel: bool,
}

impl SpeedBound {
    /// The bound for the estimate `e` (the run's: its weights do not
    /// depend on the GPUs) of `spec` on `engine` at `n_seq` sequences,
    /// every layer on a GPU, on GPUs with at least `fixed`'s costs.
    pub fn new(
        engine: Engine,
        spec: &ModelSpec,
        e: &Estimate,
        n_seq: u64,
        fixed: Fixed,
    ) -> SpeedBound {
        let (used, n) = spec.moe.map_or((1, 1), |m| (m.n_expert_used, m.n_expert));
        let touched = experts_touched(used, n, n_seq.max(1));
        let layer_reads: Vec<f64> = e
            .layer_weights
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let experts = e.weights.layer_experts.get(i).copied().unwrap_or(0) as f64;
                w as f64 - experts + experts * touched
            })
            .collect();
        let output_read = e.output as f64;
        let mut items: Vec<(f64, f64)> = e
            .layer_weights
            .iter()
            .zip(&layer_reads)
            .enumerate()
            .map(|(i, (&w, &read))| {
                let kv = e.layer_kv.get(i).copied().unwrap_or(0);
                ((w + kv) as f64, read)
            })
            .chain(std::iter::once((output_read, output_read)))
            .filter(|&(held, _)| held > 0.0)
            .collect();
        items.sort_by(|a, b| (b.1 / b.0).total_cmp(&(a.1 / a.0)));
        let layers = e.layer_weights.len() as f64;
        let sums = |f: fn(&(f64, f64)) -> f64| {
            let mut sum = 0.0;
            std::iter::once(0.0)
                .chain(items.iter().map(|i| {
                    sum += f(i);
                    sum
                }))
                .collect()
        };
        SpeedBound {
            read_all: layer_reads.iter().sum::<f64>() + output_read,
            held: sums(|i| i.0),
            read: sums(|i| i.1),
            items,
            layer_reads,
            output_read,
            fixed_s: fixed.per_token_s + layers * fixed.per_layer_s,
            fixed,
            parallel: parallel(engine),
        }
    }

    /// A bound that knows only the bytes a step reads at least and the
    /// seconds it pays besides, not what each layer holds (its split bound
    /// is then only the fixed costs').
    pub fn of_reads(engine: Engine, read: f64, fixed_s: f64) -> SpeedBound {
        SpeedBound {
            items: Vec::new(),
            held: vec![0.0],
            read: vec![0.0],
            layer_reads: Vec::new(),
            output_read: 0.0,
            read_all: read,
            fixed_s,
            fixed: Fixed {
                per_token_s: fixed_s,
                per_layer_s: 0.0,
                per_hop_s: 0.0,
            },
            parallel: parallel(engine),
        }
    }

    /// Whether the engine may split layers across GPUs.
    pub fn parallel(&self) -> bool {
        self.parallel
    }

    fn tps(&self, read_s: f64) -> f64 {
        1.0 / (read_s + self.fixed_s)
    }

    /// At most this many tokens per second per sequence when the reads go
    /// at `rate` bytes per second in all: the fastest GPU's rate with a
    /// layer split, one machine's rates summed with tensor parallelism.
    pub fn max_tps_at(&self, rate: f64) -> f64 {
        self.tps(self.read_all / rate)
    }

    /// The least rate (bytes per second: one machine's summed, or the
    /// fastest GPU's) at which [`SpeedBound::max_tps_at`] reaches
    /// `min_tps`; infinite when even instant reads leave it out of reach.
    pub fn rate_needed(&self, min_tps: f64) -> f64 {
        let budget = 1.0 / min_tps - self.fixed_s;
        if budget <= 0.0 {
            f64::INFINITY
        } else {
            self.read_all / budget
        }
    }

    /// At most this many tokens per second per sequence with tensor
    /// parallelism, one machine's GPUs reading at `rates`.
    pub fn max_tps_parallel(&self, rates: impl IntoIterator<Item = f64>) -> f64 {
        self.max_tps_at(rates.into_iter().sum())
    }

    /// At most this many tokens per second per sequence with a layer
    /// split over `gpus`, each `(rate, room)`: the reads of the items that
    /// read the most per byte held go to the fastest GPUs until their
    /// room (bytes) is full. Fractional items make it a lower bound on
    /// any whole-layer split; when the rooms cannot hold every item the
    /// set does not fit, and no speed is possible (0).
    pub fn max_tps_split(&self, gpus: &[(f64, u64)]) -> f64 {
        let mut gpus = gpus.to_vec();
        gpus.sort_by(|a, b| b.0.total_cmp(&a.0));
        let everything = self.held.last().copied().unwrap_or(0.0);
        let (mut seconds, mut at) = (0.0, 0.0);
        for (rate, room) in gpus {
            if at >= everything {
                break;
            }
            let to = at + room as f64;
            seconds += (self.read_within(to) - self.read_within(at)) / rate;
            at = to;
        }
        if at < everything {
            return 0.0;
        }
        self.tps(seconds)
    }

    /// Bytes read of the first `held` bytes of [`SpeedBound::items`].
    fn read_within(&self, held: f64) -> f64 {
        let k = self.held.partition_point(|&h| h <= held).saturating_sub(1);
        match self.items.get(k) {
            Some(&(h, r)) if held > self.held[k] => {
                self.read[k] + r * ((held - self.held[k]) / h).min(1.0)
            }
            _ => self.read[k],
        }
    }

    /// At most this many tokens per second per sequence for a known layer
    /// split without tensor parallelism — a plan's — over `stages`, each
    /// one used GPU's rate, its layers (first and last index) and whether
    /// it holds the output: each stage reads its layers in turn, pays their
    /// fixed cost, and hands off to the next.
    pub fn max_tps_of_split(&self, stages: &[(f64, Option<[usize; 2]>, bool)]) -> f64 {
        let (mut seconds, mut layers) = (0.0, 0usize);
        for &(rate, range, output) in stages {
            let mut read = if output { self.output_read } else { 0.0 };
            if let Some([a, b]) = range {
                let held = self
                    .layer_reads
                    .get(a..=b.min(self.layer_reads.len().saturating_sub(1)));
                for r in held.unwrap_or_default() {
                    read += r;
                    layers += 1;
                }
            }
            seconds += read / rate;
        }
        let hops = stages.len().saturating_sub(1) as f64;
        1.0 / (seconds
            + self.fixed.per_token_s
            + layers as f64 * self.fixed.per_layer_s
            + hops * self.fixed.per_hop_s)
    }

    /// At most this many tokens per second per sequence on a set: its
    /// machine's GPUs `(rate, room)` copied onto `machines` machines.
    pub fn max_tps(&self, machine: &[(f64, u64)], machines: usize) -> f64 {
        if self.parallel {
            self.max_tps_parallel(machine.iter().map(|g| g.0))
        } else {
            let all: Vec<(f64, u64)> = (0..machines)
                .flat_map(|_| machine.iter().copied())
                .collect();
            self.max_tps_split(&all)
        }
    }
}

/// Whether a bound of `max_tps` leaves `min_tps` reachable, with a margin
/// for rounding (the bound and the planner add the same terms in another
/// order).
pub fn reaches(max_tps: f64, min_tps: f64) -> bool {
    max_tps * (1.0 + 1e-9) >= min_tps
}
