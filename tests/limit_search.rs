//! The longest-context and most-sequence searches that interpolate on the
//! room a plan leaves (`longest_context_by_room`, `most_sequences_by_room`,
//! and `max_context` / `max_batch` built on them) find exactly what a
//! bisection of the fits-on-the-GPUs predicate finds — over every catalog
//! model in a few formats on the setups below, and over synthetic rooms of
//! every shape at every threshold — and they plan fewer times (counted, the
//! means printed).

use std::cell::Cell;

use vramfit::estimate::catalog::MODELS;
use vramfit::estimate::weights::weight_bytes;
use vramfit::estimate::RunSettings;
use vramfit::plan::search::{
    longest_context, longest_context_by_room, max_batch, max_context, most_sequences,
    most_sequences_by_room, sweep, sweep_by_room, MAX_BATCH, SWEEP_BATCHES,
};
use vramfit::plan::split::{fits_on_gpus, room_on_gpus, PlanRequest};
use vramfit::report::{validate, Request};

/// One setup: the request's fields besides the model and the format, and
/// the formats tried on every catalog model.
struct Setup {
    fields: &'static [(&'static str, &'static str)],
    formats: &'static [&'static str],
}

const LLAMA_CPP: &[&str] = &["iq2_xxs", "q4_k_m", "q8_0"];
const VLLM: &[&str] = &["awq-4bit-g128", "fp8", "bf16", "mxfp4"];
const TRANSFORMERS: &[&str] = &["nf4", "bf16"];

/// Sizes and catalog cards, one GPU and several, the three engines, host
/// RAM checked with offload allowed (the searches plan without it), and a
/// context, sequences or a KV type besides the defaults.
const SETUPS: &[Setup] = &[
    Setup {
        fields: &[("gpus", "8GB")],
        formats: LLAMA_CPP,
    },
    Setup {
        fields: &[("gpus", "24GB"), ("batch", "4")],
        formats: LLAMA_CPP,
    },
    Setup {
        fields: &[("gpus", "2xrtx-4090")],
        formats: LLAMA_CPP,
    },
    Setup {
        fields: &[("gpus", "80GB"), ("ctx", "32768"), ("kv", "q8_0")],
        formats: LLAMA_CPP,
    },
    Setup {
        fields: &[("gpus", "4x24GB"), ("offload", "on"), ("host_ram", "64GB")],
        formats: LLAMA_CPP,
    },
    Setup {
        fields: &[("gpus", "24GB"), ("engine", "vllm")],
        formats: VLLM,
    },
    Setup {
        fields: &[("gpus", "2xrtx-4090"), ("engine", "vllm"), ("batch", "4")],
        formats: VLLM,
    },
    Setup {
        fields: &[("gpus", "80GB"), ("engine", "vllm")],
        formats: VLLM,
    },
    Setup {
        fields: &[
            ("gpus", "4x24GB"),
            ("engine", "vllm"),
            ("offload", "on"),
            ("host_ram", "64GB"),
        ],
        formats: VLLM,
    },
    Setup {
        fields: &[("gpus", "8GB"), ("engine", "transformers")],
        formats: TRANSFORMERS,
    },
    Setup {
        fields: &[("gpus", "2xrtx-4090"), ("engine", "transformers")],
        formats: TRANSFORMERS,
    },
    Setup {
        fields: &[
            ("gpus", "4x24GB"),
            ("engine", "transformers"),
            ("offload", "on"),
            ("host_ram", "64GB"),
            ("ctx", "16384"),
        ],
        formats: TRANSFORMERS,
    },
];

fn request(model: &str, weights: &str, fields: &[(&str, &str)]) -> Request {
    let mut r = Request {
        model: model.into(),
        weights: weights.into(),
        ..Request::default()
    };
    for &(field, value) in fields {
        let slot = match field {
            "gpus" => &mut r.gpus,
            "engine" => &mut r.engine,
            "batch" => &mut r.batch,
            "ctx" => &mut r.ctx,
            "kv" => &mut r.kv,
            "offload" => &mut r.offload,
            "host_ram" => &mut r.host_ram,
            _ => panic!("no field {field}"),
        };
        *slot = value.into();
    }
    r
}

/// Plans asked for by each search, summed over the cases checked: all of
/// them, and those whose answer lies strictly inside the range (neither
/// the end nor none: the searches that interpolate).
#[derive(Debug, Default)]
struct Counts {
    all: Tally,
    inside: Tally,
}

#[derive(Debug, Default)]
struct Tally {
    cases: u64,
    bisection: u64,
    by_room: u64,
    worst_extra: i64,
}

impl Tally {
    fn add(&mut self, bisection: u64, by_room: u64) {
        self.cases += 1;
        self.bisection += bisection;
        self.by_room += by_room;
        self.worst_extra = self.worst_extra.max(by_room as i64 - bisection as i64);
    }

    fn mean(total: u64, cases: u64) -> f64 {
        total as f64 / cases.max(1) as f64
    }

    fn print(&self, what: &str) {
        eprintln!(
            "{what}: {} searches, plans per search {:.2} by bisection, {:.2} by room (at worst {:+})",
            self.cases,
            Self::mean(self.bisection, self.cases),
            Self::mean(self.by_room, self.cases),
            self.worst_extra,
        );
    }
}

impl Counts {
    fn add(&mut self, inside: bool, bisection: u64, by_room: u64) {
        self.all.add(bisection, by_room);
        if inside {
            self.inside.add(bisection, by_room);
        }
    }

    fn print(&self, what: &str) {
        self.all.print(what);
        self.inside
            .print(&format!("{what}, answer inside the range"));
    }
}

/// Plans asked for by each kind of search.
#[derive(Debug, Default)]
struct Searches {
    context: Counts,
    batch: Counts,
    sweep: Counts,
}

/// Checks the searches of one plan request against bisection of the
/// predicate, counting plans; the sweep table too when `table`.
fn check(r: &PlanRequest, what: &str, table: bool, counts: &mut Searches) {
    let weights = weight_bytes(r.spec, r.settings.weights);
    let at = |n_ctx, n_seq| PlanRequest {
        settings: RunSettings {
            n_ctx,
            n_seq,
            ..r.settings
        },
        allow_offload: false,
        ..*r
    };
    let (n_ctx, n_seq) = (r.settings.n_ctx, r.settings.n_seq);
    let planned = Cell::new(0);
    let fits = |r: PlanRequest| {
        planned.set(planned.get() + 1);
        fits_on_gpus(&r, &weights)
    };
    let room = |r: PlanRequest| {
        planned.set(planned.get() + 1);
        room_on_gpus(&r, &weights)
    };
    let limit = r.spec.n_ctx_train;

    let expected = longest_context(limit, |n| fits(at(n, n_seq)));
    let bisection = planned.replace(0);
    let found = longest_context_by_room(limit, |n| room(at(n, n_seq)));
    let inside = expected.is_some_and(|n| n < limit);
    counts.context.add(inside, bisection, planned.replace(0));
    assert_eq!(found, expected, "{what}: longest context");
    assert_eq!(max_context(r), expected, "{what}: max_context");

    let expected = most_sequences(|n| fits(at(n_ctx, n)));
    let bisection = planned.replace(0);
    let found = most_sequences_by_room(|n| room(at(n_ctx, n)));
    let inside = expected.is_some_and(|n| n < MAX_BATCH);
    counts.batch.add(inside, bisection, planned.replace(0));
    assert_eq!(found, expected, "{what}: most sequences");
    assert_eq!(max_batch(r), expected, "{what}: max_batch");

    if !table {
        return;
    }
    // Each row is the bisection's for its sequences.
    let expected: Vec<Option<u64>> = SWEEP_BATCHES
        .iter()
        .map(|&b| longest_context(limit, |n| fits(at(n, b))))
        .collect();
    let bisection = planned.replace(0);
    let found = sweep_by_room(limit, |b, n| room(at(n, b)));
    let inside = expected.iter().any(|e| e.is_some_and(|n| n < limit));
    counts.sweep.add(inside, bisection, planned.replace(0));
    assert_eq!(found, expected, "{what}: sweep");
    let rows: Vec<Option<u64>> = sweep(r).iter().map(|row| row.max_context).collect();
    assert_eq!(rows, expected, "{what}: sweep");
}

#[test]
fn catalog_limits_are_the_bisection_s_with_fewer_plans() {
    let mut counts = Searches::default();
    for setup in SETUPS {
        for m in MODELS {
            for &format in setup.formats {
                let r = request(m.id, format, setup.fields);
                // A format the model or engine does not take is not a case.
                let Ok(v) = validate(&r) else {
                    continue;
                };
                if v.settings.weights.id() != format {
                    continue;
                }
                let what = format!("{} {format} {:?}", m.id, setup.fields);
                // The sweep table (six searches) in each setup's first format.
                let table = format == setup.formats[0];
                check(&v.plan_request(), &what, table, &mut counts);
            }
        }
    }
    counts.context.print("longest context");
    counts.batch.print("most sequences");
    counts.sweep.print("sweep table");
    let Searches {
        context,
        batch,
        sweep,
    } = &counts;
    assert!(context.inside.cases > 1000 && batch.inside.cases > 1000);
    assert!(sweep.inside.cases > 500);
    // What the interpolation is for: well under the bisection's plans
    // where there is something to search for, and never many more.
    for c in [&context.inside, &batch.inside, &sweep.inside] {
        assert!(c.by_room * 5 < c.bisection * 3, "{c:?}");
    }
    for c in [&context.all, &batch.all] {
        assert!(c.worst_extra <= SPARE as i64, "{c:?}");
    }
}

/// A synthetic room: bytes to spare at a value (≥ 0: it fits).
type Room = Box<dyn Fn(u64) -> i64>;

/// Rooms of many shapes crossing zero at `threshold`, over `1..=limit`:
/// straight, curved both ways, stepped, only a sign, and erratic.
fn rooms(threshold: u64) -> Vec<(&'static str, Room)> {
    let t = threshold as i64;
    let t_f = threshold as f64 + 0.5;
    vec![
        ("straight", Box::new(move |n| (t - n as i64) * 1000 + 999)),
        (
            "flattening",
            Box::new(move |n| ((t_f.sqrt() - (n as f64).sqrt()) * 1e6) as i64),
        ),
        (
            "steepening",
            Box::new(move |n| ((t_f * t_f - (n * n) as f64) * 10.0) as i64),
        ),
        (
            "stepped",
            Box::new(move |n| {
                let r = (t - n as i64) * 1000 + 999;
                if r >= 0 {
                    r / 7000 * 7000
                } else {
                    r / 7000 * 7000 - 1
                }
            }),
        ),
        (
            "sign only",
            Box::new(move |n| if n as i64 <= t { 0 } else { -1 }),
        ),
        (
            "erratic",
            Box::new(move |n| {
                let noise = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 40) as i64;
                if n as i64 <= t {
                    noise
                } else {
                    -1 - noise
                }
            }),
        ),
    ]
}

/// Probes a search by room may take beyond a bisection (which takes
/// ⌊log2⌋ or ⌈log2⌉ of the steps between its first two probes).
const SPARE: u64 = 4;

#[test]
fn synthetic_rooms_give_the_bisection_s_answer_within_a_few_probes_of_it() {
    let bound = |probes: u64, bisection: u64, what: &str| {
        assert!(
            probes <= bisection + SPARE,
            "{what}: {probes} > {bisection} + {SPARE}"
        );
    };
    for limit in [300, 8192, 131_072, 131_000] {
        let thresholds = (0..=limit / 256 + 1).map(|k| k * 256 + (k * 37) % 256);
        for threshold in thresholds.chain([limit - 1, limit, limit + 1]) {
            for (shape, room) in rooms(threshold) {
                let what = format!("{shape} room, limit {limit}, fits up to {threshold}");
                let probes = Cell::new(0);
                let expected = longest_context(limit, |n| {
                    probes.set(probes.get() + 1);
                    room(n) >= 0
                });
                let bisection = probes.replace(0);
                let found = longest_context_by_room(limit, |n| {
                    probes.set(probes.get() + 1);
                    room(n)
                });
                assert_eq!(found, expected, "{what}");
                bound(probes.get(), bisection, &what);
            }
        }
    }
    for threshold in 0..=MAX_BATCH + 1 {
        for (shape, room) in rooms(threshold) {
            let what = format!("{shape} room, fits up to {threshold} sequences");
            let probes = Cell::new(0);
            let expected = most_sequences(|n| {
                probes.set(probes.get() + 1);
                room(n) >= 0
            });
            let bisection = probes.replace(0);
            let found = most_sequences_by_room(|n| {
                probes.set(probes.get() + 1);
                room(n)
            });
            assert_eq!(found, expected, "{what}");
            bound(probes.get(), bisection, &what);
        }
    }
}

#[test]
fn synthetic_sweeps_give_each_row_the_bisection_s_answer() {
    for limit in [300, 32_768, 131_072] {
        for threshold in (0..=limit / 64 + 2).map(|k| k * 64 + k % 61) {
            // Each row's room crosses zero where the tokens of all its
            // sequences are `threshold`, in every shape.
            let rows: Vec<_> = SWEEP_BATCHES
                .iter()
                .map(|&b| rooms(threshold / b))
                .collect();
            for (shape, (name, _)) in rows[0].iter().enumerate() {
                let row = |n_seq: u64| {
                    let i = SWEEP_BATCHES.iter().position(|&b| b == n_seq).unwrap();
                    &rows[i][shape].1
                };
                let expected: Vec<Option<u64>> = SWEEP_BATCHES
                    .iter()
                    .map(|&b| longest_context(limit, |n| row(b)(n) >= 0))
                    .collect();
                let found = sweep_by_room(limit, |n_seq, n_ctx| row(n_seq)(n_ctx));
                let what = format!("{name} rooms, limit {limit}, {threshold} tokens");
                assert_eq!(found, expected, "{what}");
            }
        }
    }
}
