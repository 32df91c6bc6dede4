//! Speed of the pure core, natively: `cargo bench --bench estimate`.
//!
//! Prints the mean time to estimate every catalog model (tensor list →
//! weights, KV, compute) and to build a full report (estimate, optimal
//! split, max-context and max-batch searches). Measures, never asserts.

use std::hint::black_box;
use std::time::Instant;

use vramfit::estimate::catalog::MODELS;
use vramfit::estimate::{estimate, RunSettings};
use vramfit::report::{report, Request};

fn mean_micros(runs: u32, mut f: impl FnMut()) -> f64 {
    f();
    let start = Instant::now();
    for _ in 0..runs {
        f();
    }
    start.elapsed().as_secs_f64() * 1e6 / f64::from(runs)
}

fn main() {
    println!(
        "{:<20} {:>14} {:>14} {:>16}",
        "model", "parse µs", "estimate µs", "full report µs"
    );
    let mut worst = (0.0f64, "");
    for m in MODELS {
        let spec = m.load().unwrap().spec;
        let settings = RunSettings::default();
        let parse = mean_micros(200, || {
            black_box(m.load().unwrap());
        });
        let est = mean_micros(200, || {
            black_box(estimate(black_box(&spec), &settings));
        });
        let request = Request {
            model: m.id.to_string(),
            gpus: "8x80GB".into(),
            ..Request::default()
        };
        let full = mean_micros(20, || {
            black_box(report(black_box(&request)).unwrap());
        });
        if est > worst.0 {
            worst = (est, m.id);
        }
        println!("{:<20} {parse:>14.1} {est:>14.1} {full:>16.1}", m.id);
    }
    println!("slowest estimate: {} at {:.1} µs", worst.1, worst.0);
}
