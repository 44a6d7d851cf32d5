//! The Mizan side of `bench/explain/`: exact path-dependent TreeSHAP on the benchmark model and
//! rows, timed the way XGBoost's `pred_contribs` is timed there, plus one-at-a-time latency.
//!
//! Usage: `treeshap_bench DIR THREADS REPEATS [RECOURSE_ROWS]` where DIR holds `model.json`, `rows.f64` and
//! `meta.json` from `bench/explain/compare.py train`. Writes `DIR/mizan.f64` (per row: φ for each
//! feature, then φ₀, like `pred_contribs`) and `DIR/mizan.json` (timings), and prints a summary.
#![expect(clippy::print_stdout, reason = "a benchmark program reports on stdout")]

mod common;

use std::path::PathBuf;
use std::time::Instant;

use common::recourse_config;
use mizan_explain::recourse::{self, Recourse};
use mizan_explain::shap::Explainer;
use mizan_explain::{load_model, model_hash};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (dir, threads, repeats, recourse_rows) = match args.as_slice() {
        [d, t, r] => (d, t, r, None),
        [d, t, r, c] => (d, t, r, Some(c.parse::<usize>().expect("RECOURSE_ROWS is a number"))),
        _ => {
            eprintln!("usage: treeshap_bench DIR THREADS REPEATS [RECOURSE_ROWS]");
            std::process::exit(2);
        }
    };
    let dir = PathBuf::from(dir);
    let threads: usize = threads.parse().expect("THREADS is a number");
    let repeats: usize = repeats.parse().expect("REPEATS is a number");
    let read = |name: &str| std::fs::read(dir.join(name)).unwrap_or_else(|e| panic!("read {name}: {e}"));

    let bytes = read("model.json");
    let hash = model_hash(&bytes);
    let model = load_model(&bytes).expect("model loads");
    let meta: serde_json::Value = serde_json::from_slice(&read("meta.json")).expect("meta.json");
    let (n, k) = (
        meta["rows"].as_u64().expect("rows") as usize,
        meta["features"].as_u64().expect("features") as usize,
    );
    let raw = read("rows.f64");
    let xs: Vec<f64> =
        raw.chunks_exact(8).map(|b| f64::from_le_bytes(b.try_into().expect("8 bytes"))).collect();
    assert_eq!(xs.len(), n * k, "rows.f64 holds {n} x {k} values");
    let rows: Vec<&[f64]> = xs.chunks_exact(k).collect();

    let t = Instant::now();
    let explainer = Explainer::new(model);
    let prepare = t.elapsed().as_secs_f64();

    // Throughput: every row, φ and φ₀, rows in parallel on `threads` threads.
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
    let mut out = vec![0.0f64; n * (k + 1)];
    let mut seconds = Vec::new();
    for _ in 0..repeats.max(1) {
        let t = Instant::now();
        pool.install(|| {
            out.par_chunks_mut(k + 1).zip(rows.par_iter()).for_each(|(o, x)| {
                let (phi, bias) = o.split_at_mut(k);
                bias[0] = explainer.shap_values(x, 0, phi).expect("explains");
            });
        });
        seconds.push(t.elapsed().as_secs_f64());
    }
    let bytes: Vec<u8> = out.iter().flat_map(|v| v.to_le_bytes()).collect();
    std::fs::write(dir.join("mizan.f64"), bytes).expect("write mizan.f64");

    // Latency: one full explanation at a time (φ, φ₀, margin, residual, feature values), and
    // the same plus a recourse search with the CLI's settings, on this thread.
    let mut shap_us = Vec::with_capacity(n);
    let mut residual = 0.0f64;
    for x in &rows {
        let t = Instant::now();
        let e = explainer.explain(&hash, x, 0).expect("explains");
        shap_us.push(t.elapsed().as_secs_f64() * 1e6);
        residual = residual.max(e.additivity_residual);
    }
    let config = recourse_config(&rows, k);
    let t = Instant::now();
    let searcher = recourse::Searcher::new(explainer.model());
    let prepare_searcher = t.elapsed().as_secs_f64();
    let mut both_us = Vec::with_capacity(n);
    let mut unfavourable_us = Vec::new();
    let (mut options, mut none) = (0usize, 0usize);
    for x in rows.iter().take(recourse_rows.unwrap_or(n)) {
        let t = Instant::now();
        let _e = explainer.explain(&hash, x, 0).expect("explains");
        let r = searcher.search(x, &config).expect("searches");
        let us = t.elapsed().as_secs_f64() * 1e6;
        both_us.push(us);
        match r {
            Recourse::AlreadyFavourable => {}
            Recourse::Options(_) => {
                options += 1;
                unfavourable_us.push(us);
            }
            Recourse::NoneWithinConstraints { .. } => {
                none += 1;
                unfavourable_us.push(us);
            }
        }
    }
    let latency = serde_json::json!({
        "shap_p50": pct(&mut shap_us, 0.50),
        "shap_p99": pct(&mut shap_us, 0.99),
        "shap_max": pct(&mut shap_us, 1.0),
        "shap_recourse_p50": pct(&mut both_us, 0.50),
        "shap_recourse_p99": pct(&mut both_us, 0.99),
        "shap_recourse_max": pct(&mut both_us, 1.0),
        "unfavourable_rows": unfavourable_us.len(),
        "unfavourable_shap_recourse_p50": pct(&mut unfavourable_us, 0.50),
        "unfavourable_shap_recourse_p99": pct(&mut unfavourable_us, 0.99),
    });
    let report = serde_json::json!({
        "library": "mizan-explain",
        "threads": threads,
        "seconds": seconds,
        "prepare_seconds": prepare,
        "prepare_searcher_seconds": prepare_searcher,
        "max_additivity_residual": residual,
        "recourse": {"options": options, "none_within_constraints": none},
        "latency_us": latency,
    });
    std::fs::write(dir.join("mizan.json"), serde_json::to_vec_pretty(&report).expect("json")).expect("write");
    let best = seconds.iter().copied().fold(f64::INFINITY, f64::min);
    println!(
        "mizan: exact TreeSHAP, {threads} threads, best of {repeats}: {best:.3} s (prepare {:.1} ms, \
         recourse searcher {:.1} ms); max additivity residual {residual:.1e}",
        prepare * 1e3,
        prepare_searcher * 1e3
    );
    println!("mizan latency (us): {latency}");
}

fn pct(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(f64::total_cmp);
    let i = ((v.len() as f64 - 1.0) * q).round() as usize;
    (v[i] * 10.0).round() / 10.0
}
