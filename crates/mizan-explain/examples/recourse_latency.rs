//! Recourse alone on the `bench/explain/` model and rows: each unfavourable row's fastest of
//! several searches (which leaves out time spent waiting for a core on a busy machine), and a
//! digest of every row's result, to check that a change to the search finds the same options.
//!
//! Usage: `recourse_latency DIR [REPEATS]` where DIR holds `model.json`, `rows.f64` and
//! `meta.json` from `bench/explain/compare.py train`. The settings are `treeshap_bench`'s (the
//! CLI's): 3 options, up to 2 changes, bounds and MADs from the rows, `f25` and `f26`
//! immutable, favourable when p > 0.5.
#![expect(clippy::print_stdout, reason = "a benchmark program reports on stdout")]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::recourse_config;
use mizan_explain::load_model;
use mizan_explain::recourse::{Recourse, Searcher};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, repeats) = match args.as_slice() {
        [d] => (d, 3),
        [d, r] => (d, r.parse::<usize>().expect("REPEATS is a number")),
        _ => {
            eprintln!("usage: recourse_latency DIR [REPEATS]");
            std::process::exit(2);
        }
    };
    let dir = PathBuf::from(dir);
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"));
    let model = load_model(&read("model.json")).expect("model loads");
    let meta: serde_json::Value = serde_json::from_slice(&read("meta.json")).expect("meta.json");
    let k = meta["features"].as_u64().expect("features") as usize;
    let xs: Vec<f64> = read("rows.f64")
        .chunks_exact(8)
        .map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes")))
        .collect();
    let rows: Vec<&[f64]> = xs.chunks_exact(k).collect();
    let config = recourse_config(&rows, k);
    let t = Instant::now();
    let searcher = Searcher::new(&model);
    let prepare = t.elapsed().as_secs_f64();

    // Every row once: which are unfavourable, and a digest (FNV-1a) of every result in full.
    let mut digest = 0xcbf2_9ce4_8422_2325u64;
    let mut unfavourable = Vec::new();
    for (r, x) in rows.iter().enumerate() {
        let found = searcher.search(x, &config).expect("searches");
        for b in format!("{found:?}").bytes() {
            digest = (digest ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        if !matches!(found, Recourse::AlreadyFavourable) {
            unfavourable.push(r);
        }
    }
    // Each unfavourable row's fastest of `repeats`.
    let mut fastest = vec![f64::INFINITY; unfavourable.len()];
    for _ in 0..repeats.max(1) {
        for (f, &r) in fastest.iter_mut().zip(&unfavourable) {
            let t = Instant::now();
            let _ = searcher.search(rows[r], &config).expect("searches");
            *f = f.min(t.elapsed().as_secs_f64() * 1e3);
        }
    }
    fastest.sort_by(f64::total_cmp);
    let pct = |q: f64| {
        fastest.get(((fastest.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(f64::NAN)
    };
    println!(
        "recourse, {} unfavourable rows of {}, fastest of {repeats} per row (ms): p50 {:.2} p90 {:.2} \
         p97.5 {:.2} p99 {:.2} max {:.2}, total {:.2} s; prepare {:.1} ms; results digest {digest:016x}",
        unfavourable.len(),
        rows.len(),
        pct(0.5),
        pct(0.9),
        pct(0.975),
        pct(0.99),
        pct(1.0),
        fastest.iter().sum::<f64>() / 1e3,
        prepare * 1e3,
    );
}
