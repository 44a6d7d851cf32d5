//! The noise `answer` adds is discrete Laplace at the plan's scale, and the test that says
//! so is strict enough to catch a scale 20 % off.
//!
//! 20,000 answers of a count by province on a fixed table (1,000 rows in each of the four
//! provinces, one row per unit) give 80,000 draws of noise (released value minus exact
//! count). The statistic is Kolmogorov's `D = sup |F_n - F|` against the discrete Laplace
//! CDF at the plan's scale. By the Dvoretzky–Kiefer–Wolfowitz inequality with Massart's
//! constant, `P[D > t] <= 2 exp(-2 n t²)`, which holds for any distribution (for a discrete
//! one the sup runs over the support, and the bound is conservative); `t` is chosen so this
//! is 1e-6: the test's false-alarm rate per run is at most 1e-6.
//!
//! The same draws then face the CDF at 0.8 and 1.2 times the scale. The two CDFs differ by
//! more than `DIFF_MIN` somewhere (computed below), so whenever the first check passes
//! (`D <= t`), `D` against the wrong scale is at least `DIFF_MIN - t > t`: rejected, again
//! with probability at least 1 - 1e-6. Noise draws are from OpenSSL; nothing is seeded, and
//! nothing here can fail except with that probability.

mod common;

use common::{PROVINCES, build, query, read, row, settings};
use mizan_dp::{Statistic, answer, exact};

const ANSWERS: usize = 20_000;
const FALSE_ALARM: f64 = 1e-6;

/// The discrete Laplace CDF at scale `s`: `P[X <= x]` with `P[X = x] ∝ exp(-|x| / s)`.
fn cdf(x: i64, s: f64) -> f64 {
    let q = (-1.0 / s).exp();
    if x < 0 { q.powi((-x) as i32) / (1.0 + q) } else { 1.0 - q.powi((x + 1) as i32) / (1.0 + q) }
}

/// `sup_x |F_n(x) - F(x)|` over the integers, for sorted draws.
fn kolmogorov(sorted: &[i64], s: f64) -> f64 {
    let n = sorted.len() as f64;
    let (lo, hi) = (sorted[0] - 1, sorted[sorted.len() - 1]);
    let mut at = 0usize;
    let mut d: f64 = 0.0;
    for x in lo..=hi {
        while at < sorted.len() && sorted[at] <= x {
            at += 1;
        }
        d = d.max((at as f64 / n - cdf(x, s)).abs());
    }
    d
}

#[test]
fn noise_is_discrete_laplace_at_the_plans_scale() {
    let s = settings(1);
    let mut rows = Vec::new();
    for (p, province) in PROVINCES.iter().enumerate() {
        for i in 0..1000 {
            rows.push(row(&format!("u{p}-{i}"), province, "female", "d", "10"));
        }
    }
    let file = build(&s, &rows);
    let q = query(Statistic::Count, &["province"], 1.0);
    let (plan, table) = read(&s, &file, &q);
    assert_eq!(plan.scale, 1.0, "k = 1 at ε = 1 needs scale 1");
    let truth = exact(&plan, &s, &table).unwrap();
    assert!(truth.iter().all(|c| c.count == 1000));

    let mut draws = Vec::with_capacity(ANSWERS * PROVINCES.len());
    for _ in 0..ANSWERS {
        let a = answer(&plan, &s, &table).unwrap();
        assert_eq!(a.cells.len(), PROVINCES.len(), "no cell of 1,000 rows is suppressed");
        for (cell, t) in a.cells.iter().zip(&truth) {
            assert_eq!(cell.group, t.group);
            draws.push(cell.value as i64 - t.count);
        }
    }
    draws.sort_unstable();
    let n = draws.len() as f64;
    let t = ((2.0 / FALSE_ALARM).ln() / (2.0 * n)).sqrt();

    let d = kolmogorov(&draws, plan.scale);
    eprintln!("n = {n}, t = {t:.5}, D = {d:.5} at scale {}", plan.scale);
    assert!(d <= t, "D = {d:.5} > {t:.5} against discrete Laplace at scale {}", plan.scale);

    for wrong in [0.8 * plan.scale, 1.2 * plan.scale] {
        let diff_min = (-60..60).map(|x| (cdf(x, wrong) - cdf(x, plan.scale)).abs()).fold(0.0, f64::max);
        assert!(diff_min - t > t, "the test is too weak to tell scale {wrong} ({diff_min:.4})");
        let d_wrong = kolmogorov(&draws, wrong);
        eprintln!("D = {d_wrong:.5} at scale {wrong} (the CDFs differ by up to {diff_min:.5})");
        assert!(d_wrong > t, "D = {d_wrong:.5} <= {t:.5}: the draws pass for scale {wrong} too");
    }
}
