//! Classification speed: classifies the golden cases in a loop and prints the time per
//! classification (target: at most 100 µs). Run with
//! `cargo run --release -p mizan-rules --example classify_bench`.

use std::time::Instant;

use mizan_rules::{Answers, Ruleset};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let rs = Ruleset::embedded()?;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut inputs: Vec<Answers> = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let text = std::fs::read_to_string(entry?.path())?;
        let cases: Vec<serde_yaml_ng::Value> = serde_yaml_ng::from_str(&text)?;
        for c in cases {
            // A case lists only non-neutral answers; the rest are answered neutrally.
            let mut answers: Answers = rs
                .questions
                .iter()
                .filter_map(|q| {
                    ["no", "none", "neither", "none_of_these"]
                        .into_iter()
                        .find(|n| q.answers.iter().any(|(a, _)| a == n))
                        .map(|n| (q.id.clone(), n.to_owned()))
                })
                .collect();
            let given: Answers = serde_yaml_ng::from_value(c["answers"].clone())?;
            answers.extend(given);
            if c["expect"]["contradiction"].is_null() {
                inputs.push(answers);
            }
        }
    }
    let rounds = 20_000;
    let mut samples = Vec::with_capacity(rounds);
    let mut sink = 0usize;
    for i in 0..rounds {
        let input = &inputs[i % inputs.len()];
        let t = Instant::now();
        let c = rs.classify(input)?;
        samples.push(t.elapsed().as_nanos());
        sink += c.obligations.len();
    }
    samples.sort_unstable();
    let pct = |p: f64| samples[((samples.len() as f64 - 1.0) * p) as usize] as f64 / 1000.0;
    println!(
        "classify: {} inputs, {rounds} runs: p50 {:.1} µs, p99 {:.1} µs, max {:.1} µs (checksum {sink})",
        inputs.len(),
        pct(0.50),
        pct(0.99),
        pct(1.0)
    );
    Ok(())
}
