//! Fine-tuning peaks against published measurements (LitGPT's and
//! torchtune's tables, tests/data/measured/training_peaks.json with URLs):
//! nothing is fitted to them, so every row is held out.

include!("data/training_cases.rs");
use training_cases::*;

#[test]
fn predicted_peaks_are_near_the_published_ones() {
    let cases = cases();
    for c in &cases {
        println!(
            "{:<48} {:<6} ckpt {:<5} {:<9} measured {:>6.2} GB vramfit {:>6.2} GB {:+.1} %",
            c.id,
            c.method,
            c.checkpointing,
            c.metric,
            c.measured / 1e9,
            c.predicted / 1e9,
            c.error() * 100.0
        );
    }
    let with: Vec<&Case> = cases
        .iter()
        .filter(|c| c.checkpointing && c.excluded.is_none())
        .collect();
    let without: Vec<&Case> = cases
        .iter()
        .filter(|c| !c.checkpointing && c.excluded.is_none())
        .collect();
    let (a, b) = (
        median_error(&with).unwrap(),
        median_error(&without).unwrap(),
    );
    println!(
        "median |error|: with checkpointing {:.1} % ({} rows), without {:.1} % ({} rows)",
        a * 100.0,
        with.len(),
        b * 100.0,
        without.len()
    );
    assert!(cases.len() >= 30, "{} rows", cases.len());
    assert!(with.len() >= 4 && without.len() >= 25);
    // The bounds: 10 % with checkpointing, 20 % without.
    assert!(
        a <= 0.10 && b <= 0.20,
        "with checkpointing {a:.3}, without {b:.3}"
    );
}
