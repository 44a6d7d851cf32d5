//! Interval estimates and multiple-comparison corrections.
//!
//! Wilson score intervals for rates, Newcombe's hybrid score interval for differences of
//! rates, Katz's log interval for ratios, the two-proportion z test, and Holm /
//! Benjamini–Hochberg adjustments. Weighted rates use the Kish effective sample size as `n`.
//! p-values use `libm`'s pure-Rust `erfc`, so they do not depend on the platform's C library.

use serde::Serialize;

/// z for a two-sided 95% interval.
pub const Z95: f64 = 1.959_963_984_540_054;

/// A two-sided interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Interval {
    /// Lower bound.
    pub lo: f64,
    /// Upper bound.
    pub hi: f64,
}

/// Wilson score interval for `p` observed over `n` trials; NaN bounds when `n` is 0.
#[must_use]
pub fn wilson(p: f64, n: f64, z: f64) -> Interval {
    if n <= 0.0 || p.is_nan() {
        return Interval { lo: f64::NAN, hi: f64::NAN };
    }
    let z2 = z * z;
    let den = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / den;
    let half = z * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt() / den;
    Interval { lo: (centre - half).max(0.0), hi: (centre + half).min(1.0) }
}

/// Newcombe (method 10) interval for `p1 − p2` from the two Wilson intervals.
#[must_use]
pub fn newcombe(p1: f64, n1: f64, p2: f64, n2: f64, z: f64) -> Interval {
    let a = wilson(p1, n1, z);
    let b = wilson(p2, n2, z);
    let d = p1 - p2;
    Interval {
        lo: d - ((p1 - a.lo).powi(2) + (b.hi - p2).powi(2)).sqrt(),
        hi: d + ((a.hi - p1).powi(2) + (p2 - b.lo).powi(2)).sqrt(),
    }
}

/// Katz log interval for the ratio `p1 / p2`; NaN bounds when either rate is 0.
#[must_use]
pub fn katz(p1: f64, n1: f64, p2: f64, n2: f64, z: f64) -> Interval {
    if !(p1 > 0.0 && p2 > 0.0 && n1 > 0.0 && n2 > 0.0) {
        return Interval { lo: f64::NAN, hi: f64::NAN };
    }
    let x1 = p1 * n1;
    let x2 = p2 * n2;
    let se = (1.0 / x1 - 1.0 / n1 + 1.0 / x2 - 1.0 / n2).max(0.0).sqrt();
    let r = (p1 / p2).ln();
    Interval { lo: (r - z * se).exp(), hi: (r + z * se).exp() }
}

/// Holm step-down adjusted p-values (NaN inputs stay NaN and are not counted).
#[must_use]
pub fn holm(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = idx.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 0.0_f64;
    for (rank, &i) in idx.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "few comparisons")]
        let adj = ((m - rank) as f64 * p[i]).min(1.0);
        running = running.max(adj);
        out[i] = running;
    }
    out
}

/// Benjamini–Hochberg adjusted p-values (NaN inputs stay NaN and are not counted).
#[must_use]
pub fn benjamini_hochberg(p: &[f64]) -> Vec<f64> {
    let mut idx: Vec<usize> = (0..p.len()).filter(|&i| !p[i].is_nan()).collect();
    idx.sort_by(|&a, &b| p[a].total_cmp(&p[b]));
    let m = idx.len();
    let mut out = vec![f64::NAN; p.len()];
    let mut running = 1.0_f64;
    for (rank, &i) in idx.iter().enumerate().rev() {
        #[expect(clippy::cast_precision_loss, reason = "few comparisons")]
        let adj = (m as f64 / (rank + 1) as f64 * p[i]).min(1.0);
        running = running.min(adj);
        out[i] = running;
    }
    out
}

/// How p-values of one family of comparisons are adjusted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Correction {
    /// Holm's step-down method: controls the family-wise error rate (the default).
    #[default]
    Holm,
    /// Benjamini–Hochberg: controls the false discovery rate.
    BenjaminiHochberg,
    /// No adjustment.
    None,
}

impl Correction {
    /// Adjusted p-values, in input order; NaN inputs stay NaN and are not counted.
    #[must_use]
    pub fn adjust(self, p: &[f64]) -> Vec<f64> {
        match self {
            Self::Holm => holm(p),
            Self::BenjaminiHochberg => benjamini_hochberg(p),
            Self::None => p.to_vec(),
        }
    }

    /// Short name, as on the command line.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::Holm => "holm",
            Self::BenjaminiHochberg => "bh",
            Self::None => "none",
        }
    }
}

/// Two-sided p-value of a standard normal statistic `z` (NaN stays NaN).
#[must_use]
pub fn normal_two_sided(z: f64) -> f64 {
    libm::erfc(z.abs() / std::f64::consts::SQRT_2)
}

/// Pooled two-proportion z statistic for `p1` over `n1` against `p2` over `n2`; NaN when
/// either `n` is 0 or the pooled rate is 0 or 1 (no variation to test).
#[must_use]
pub fn two_proportion_z(p1: f64, n1: f64, p2: f64, n2: f64) -> f64 {
    if !(n1 > 0.0 && n2 > 0.0) {
        return f64::NAN;
    }
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let var = pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2);
    if var.is_nan() || var <= 0.0 {
        return f64::NAN;
    }
    (p1 - p2) / var.sqrt()
}

/// Whether a group is too small to judge: fewer than `min_rows` rows or fewer than
/// `min_events` events in the numerator or its complement.
#[must_use]
pub fn insufficient(rows: f64, events: f64, min_rows: f64, min_events: f64) -> bool {
    rows < min_rows || events < min_events || rows - events < min_events
}
