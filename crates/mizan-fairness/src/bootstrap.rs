//! Seeded bootstrap at the level of cells, for worst-case summaries.
//!
//! Disparities such as "largest minus smallest group rate" have no closed-form interval, so
//! they get a percentile bootstrap. Rows are never revisited: each (stratum, group) cell is
//! resampled as a multinomial draw over its TP/FP/FN/TN counts with the cell's size held
//! fixed (the same as resampling rows within each cell). A weighted cell keeps the mean
//! weight of each confusion cell, so Σw and Σw² scale with the resampled counts.
//!
//! Reproducible everywhere: replicate `b` draws from ChaCha20 seeded with
//! `seed_from_u64(seed)` on stream `b` (so threads cannot change the result), uniforms take
//! the top 53 bits of each `u64`, binomials use inversion (mean below 10) or Hörmann's BTRS,
//! and logarithms come from `libm` (pure Rust), not the platform's C library.

use rand_chacha::ChaCha20Rng;
use rand_chacha::rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;
use serde::Serialize;

use crate::cells::{Cells, Counts};
use crate::metrics::{self, EdgeMode, RateTable};
use crate::stats::Interval;

/// Definition ID of the smallest impact ratio (selection rate over the stratum's highest
/// among groups large enough to judge) among groups with at least the minimum rows.
pub const IMPACT_RATIO_MIN: &str = "mizan:impact_ratio:min";

/// How to bootstrap.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Config {
    /// Number of replicates (B); 0 turns the bootstrap off.
    pub replicates: u32,
    /// Seed of the random stream.
    pub seed: u64,
    /// Coverage of the percentile interval, such as 0.95.
    pub level: f64,
}

impl Default for Config {
    fn default() -> Self {
        Self { replicates: 1000, seed: 0, level: 0.95 }
    }
}

/// The bootstrap distribution of one summary, reduced to an interval.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Summary {
    /// Definition ID.
    pub id: String,
    /// Value on the observed cells.
    pub estimate: f64,
    /// Percentile interval at the configured level (NaN when no replicate is defined).
    pub interval: Interval,
    /// Mean of the defined replicates minus the estimate. Worst-case summaries (a maximum or
    /// minimum over groups) lean towards larger disparities when groups are many or small, and
    /// the percentile interval inherits that lean; a large value here says so.
    pub bias: f64,
    /// Replicates in which the summary was undefined (NaN), left out of the interval.
    pub undefined: u32,
}

/// Everything needed to repeat the bootstrap, and its results.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Bootstrap {
    /// Number of replicates (B).
    pub replicates: u32,
    /// Seed.
    pub seed: u64,
    /// Interval coverage.
    pub level: f64,
    /// Interval method.
    pub method: &'static str,
    /// Random number generator and how it is seeded.
    pub rng: &'static str,
    /// What is resampled.
    pub resampling: &'static str,
    /// One entry per summary.
    pub summaries: Vec<Summary>,
}

/// A summary statistic by definition ID: a fairlearn scalar ID or [`IMPACT_RATIO_MIN`].
/// `None` for an unknown ID. `min` is the minimum rows and events that make a group large
/// enough to judge.
#[must_use]
pub fn summary(cells: &Cells, id: &str, mode: EdgeMode, min: (u64, u64)) -> Option<f64> {
    summaries(cells, &[id], mode, min, None).pop().flatten()
}

/// Several summaries of the same cells, sharing one [`RateTable`]; `None` for unknown IDs
/// (and for AIF360 IDs without a privileged group).
fn summaries<S: AsRef<str>>(
    cells: &Cells,
    ids: &[S],
    mode: EdgeMode,
    min: (u64, u64),
    privileged: Option<&[String]>,
) -> Vec<Option<f64>> {
    let table = RateTable::new(cells, mode);
    ids.iter()
        .map(|id| {
            let id = id.as_ref();
            if id == IMPACT_RATIO_MIN {
                Some(crate::report::impact_ratio_min(cells, mode, min.0, min.1))
            } else if id.starts_with("aif360:") {
                privileged.and_then(|p| crate::aif360::metric(cells, id, p))
            } else {
                metrics::fairlearn_scalar_in(&table, id)
            }
        })
        .collect()
}

/// Runs the bootstrap of the summaries `ids` (unknown IDs are skipped); `min` is the minimum
/// rows and events that make a group large enough to judge.
#[must_use]
pub fn run(cells: &Cells, ids: &[String], mode: EdgeMode, min: (u64, u64), cfg: &Config) -> Bootstrap {
    run_with(cells, ids, mode, min, None, cfg)
}

/// [`run`], with AIF360 IDs computed against `privileged` (one value per sensitive feature).
#[must_use]
pub fn run_with(
    cells: &Cells,
    ids: &[String],
    mode: EdgeMode,
    min: (u64, u64),
    privileged: Option<&[String]>,
    cfg: &Config,
) -> Bootstrap {
    let observed = summaries(cells, ids, mode, min, privileged);
    let (ids, estimates): (Vec<&String>, Vec<f64>) =
        ids.iter().zip(observed).filter_map(|(id, v)| v.map(|v| (id, v))).unzip();
    let replicates: Vec<Vec<f64>> = (0..cfg.replicates)
        .into_par_iter()
        .map(|b| {
            let mut rng = replicate_rng(cfg.seed, b);
            let boot = resample(cells, &mut rng);
            summaries(&boot, &ids, mode, min, privileged).into_iter().map(|v| v.unwrap_or(f64::NAN)).collect()
        })
        .collect();
    let q = (1.0 - cfg.level) / 2.0;
    let summaries = ids
        .iter()
        .enumerate()
        .map(|(k, id)| {
            let mut v: Vec<f64> = replicates.iter().map(|r| r[k]).filter(|x| !x.is_nan()).collect();
            v.sort_by(f64::total_cmp);
            let undefined = u32::try_from(replicates.len() - v.len()).unwrap_or(u32::MAX);
            #[expect(clippy::cast_precision_loss, reason = "replicate counts are small")]
            let mean = if v.is_empty() { f64::NAN } else { v.iter().sum::<f64>() / v.len() as f64 };
            Summary {
                id: (*id).clone(),
                estimate: estimates[k],
                interval: Interval { lo: quantile(&v, q), hi: quantile(&v, 1.0 - q) },
                bias: mean - estimates[k],
                undefined,
            }
        })
        .collect();
    Bootstrap {
        replicates: cfg.replicates,
        seed: cfg.seed,
        level: cfg.level,
        method: "percentile (linear interpolation between order statistics)",
        rng: "ChaCha20 (rand_chacha 0.3), seed_from_u64(seed), stream = replicate index",
        resampling: "each (stratum, group) cell: multinomial over TP/FP/FN/TN with the cell size fixed; \
                     weighted cells keep each confusion cell's mean weight",
        summaries,
    }
}

/// The random stream of replicate `b`.
#[must_use]
pub fn replicate_rng(seed: u64, b: u32) -> ChaCha20Rng {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    rng.set_stream(u64::from(b));
    rng
}

/// One bootstrap replicate of `cells`: every non-empty cell redrawn with its size fixed.
#[must_use]
pub fn resample(cells: &Cells, rng: &mut ChaCha20Rng) -> Cells {
    cells.map_counts(|c| resample_counts(c, rng))
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn resample_counts(c: &Counts, rng: &mut ChaCha20Rng) -> Counts {
    let mut out = Counts::default();
    // Multinomial as conditional binomials: cell i given what the earlier cells took.
    let mut left = c.rows();
    let mut unseen = c.rows();
    for i in 0..3 {
        let k = if unseen == 0 { 0 } else { binomial(left, c.n[i] as f64 / unseen as f64, rng) };
        out.n[i] = k;
        left -= k;
        unseen -= c.n[i];
    }
    out.n[3] = left;
    for i in 0..4 {
        if c.n[i] > 0 {
            let k = out.n[i] as f64 / c.n[i] as f64;
            out.w[i] = c.w[i] * k;
            out.w2[i] = c.w2[i] * k;
        }
    }
    out
}

/// A uniform in the open interval (0, 1) from the top 53 bits of one `u64`.
#[expect(clippy::cast_precision_loss, reason = "53 bits are exact in an f64")]
fn uniform(rng: &mut ChaCha20Rng) -> f64 {
    ((rng.next_u64() >> 11) as f64 + 0.5) * (1.0 / 9_007_199_254_740_992.0)
}

/// A Binomial(`n`, `p`) draw: inversion by geometric waiting times when the mean is below 10,
/// otherwise Hörmann's BTRS (transformed rejection with squeeze, 1993).
#[must_use]
#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
pub fn binomial(n: u64, p: f64, rng: &mut ChaCha20Rng) -> u64 {
    if n == 0 || p.is_nan() || p <= 0.0 {
        return 0;
    }
    if p >= 1.0 {
        return n;
    }
    if p > 0.5 {
        return n - binomial(n, 1.0 - p, rng);
    }
    if n as f64 * p < 10.0 { inversion(n, p, rng) } else { btrs(n, p, rng) }
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn inversion(n: u64, p: f64, rng: &mut ChaCha20Rng) -> u64 {
    let log_q = libm::log1p(-p);
    let mut sum = 0.0_f64;
    let mut k = 0u64;
    loop {
        sum += libm::ceil(libm::log(uniform(rng)) / log_q);
        if sum > n as f64 {
            return k;
        }
        k += 1;
    }
}

/// log(k!) minus its Stirling approximation, tabulated below 10.
fn stirling_tail(k: f64) -> f64 {
    const TAIL: [f64; 10] = [
        0.081_061_466_795_327_33,
        0.041_340_695_955_409_46,
        0.027_677_925_684_997_717,
        0.020_790_672_103_765_84,
        0.016_644_691_189_821_26,
        0.013_876_128_823_072_875,
        0.011_896_709_945_893_313,
        0.010_411_265_261_973_668,
        0.009_255_462_182_709_45,
        0.008_330_563_433_359_472,
    ];
    if k < 10.0 {
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= k < 10")]
        return TAIL[k as usize];
    }
    let kp1sq = (k + 1.0) * (k + 1.0);
    (1.0 / 12.0 - (1.0 / 360.0 - 1.0 / 1260.0 / kp1sq) / kp1sq) / (k + 1.0)
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "k is checked to lie in 0..=n before the cast"
)]
fn btrs(n: u64, p: f64, rng: &mut ChaCha20Rng) -> u64 {
    let count = n as f64;
    let stddev = (count * p * (1.0 - p)).sqrt();
    let b = 1.15 + 2.53 * stddev;
    let a = -0.0873 + 0.0248 * b + 0.01 * p;
    let c = count * p + 0.5;
    let v_r = 0.92 - 4.2 / b;
    let r = p / (1.0 - p);
    let alpha = (2.83 + 5.1 / b) * stddev;
    let m = libm::floor((count + 1.0) * p);
    loop {
        let u = uniform(rng) - 0.5;
        let v = uniform(rng);
        let us = 0.5 - u.abs();
        let k = libm::floor((2.0 * a / us + b) * u + c);
        if k < 0.0 || k > count {
            continue;
        }
        if us >= 0.07 && v <= v_r {
            return k as u64;
        }
        let v = libm::log(v * alpha / (a / (us * us) + b));
        let bound = (m + 0.5) * libm::log((m + 1.0) / (r * (count - m + 1.0)))
            + (count + 1.0) * libm::log((count - m + 1.0) / (count - k + 1.0))
            + (k + 0.5) * libm::log(r * (count - k + 1.0) / (k + 1.0))
            + stirling_tail(m)
            + stirling_tail(count - m)
            - stirling_tail(k)
            - stirling_tail(count - k);
        if v <= bound {
            return k as u64;
        }
    }
}

/// Quantile `q` of sorted values with linear interpolation (NaN when empty).
#[must_use]
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    match sorted.len() {
        0 => f64::NAN,
        1 => sorted[0],
        len => {
            #[expect(clippy::cast_precision_loss, reason = "replicate counts are small")]
            let h = (len - 1) as f64 * q.clamp(0.0, 1.0);
            #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= h <= len - 1")]
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(len - 1);
            sorted[lo] + (h - h.floor()) * (sorted[hi] - sorted[lo])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    fn moments(n: u64, p: f64, draws: u32, seed: u64) -> (f64, f64) {
        let mut rng = replicate_rng(seed, 0);
        let xs: Vec<f64> = (0..draws).map(|_| binomial(n, p, &mut rng) as f64).collect();
        let mean = xs.iter().sum::<f64>() / f64::from(draws);
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / f64::from(draws - 1);
        (mean, var)
    }

    #[test]
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    fn binomial_has_the_right_mean_and_variance_on_both_branches() {
        // (n, p): inversion (np < 10), BTRS (np >= 10), p > 0.5 mirrored, very large n.
        for (n, p) in [(40, 0.1), (9, 0.5), (1000, 0.3), (200, 0.93), (5_000_000, 0.5)] {
            let (mean, var) = moments(n, p, 20_000, 7);
            let (m, v) = (n as f64 * p, n as f64 * p * (1.0 - p));
            // Standard errors of the sample mean and variance, with room: 5 sigma.
            let se_mean = (v / 20_000.0).sqrt();
            assert!((mean - m).abs() < 5.0 * se_mean, "n={n} p={p}: mean {mean} vs {m}");
            assert!((var / v - 1.0).abs() < 0.06, "n={n} p={p}: var {var} vs {v}");
        }
    }

    #[test]
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    fn binomial_matches_the_pmf() {
        // Pearson chi-square over k = 5..=31 (pooled tails) for Binomial(60, 0.3), a BTRS case,
        // and Binomial(30, 0.2), an inversion case.
        for (n, p) in [(60_u64, 0.3), (30, 0.2)] {
            let draws = 50_000_u32;
            let mut freq = vec![0_u32; usize::try_from(n).expect("small") + 1];
            let mut rng = replicate_rng(11, 0);
            for _ in 0..draws {
                freq[usize::try_from(binomial(n, p, &mut rng)).expect("small")] += 1;
            }
            let mut pmf = vec![(1.0 - p).powi(i32::try_from(n).expect("small"))];
            for k in 0..n {
                let last = pmf[pmf.len() - 1];
                pmf.push(last * (n - k) as f64 / (k + 1) as f64 * p / (1.0 - p));
            }
            let (mut chi2, mut bins, mut e_acc, mut o_acc) = (0.0, 0, 0.0, 0.0);
            for (e, o) in pmf.iter().zip(&freq) {
                e_acc += e * f64::from(draws);
                o_acc += f64::from(*o);
                if e_acc >= 20.0 {
                    chi2 += (o_acc - e_acc).powi(2) / e_acc;
                    bins += 1;
                    (e_acc, o_acc) = (0.0, 0.0);
                }
            }
            // Far above the 99.9th percentile of chi-square with ~25 degrees of freedom (~52).
            assert!(chi2 < 70.0, "n={n} p={p}: chi-square {chi2} over {bins} bins");
        }
    }

    #[test]
    fn binomial_edges() {
        let mut rng = replicate_rng(1, 0);
        assert_eq!(binomial(0, 0.5, &mut rng), 0);
        assert_eq!(binomial(10, 0.0, &mut rng), 0);
        assert_eq!(binomial(10, 1.0, &mut rng), 10);
        for _ in 0..1000 {
            assert!(binomial(3, 0.9, &mut rng) <= 3);
            assert!(binomial(100, 0.2, &mut rng) <= 100);
        }
    }

    #[test]
    fn quantile_interpolates() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile(&v, 0.0), 1.0);
        assert_eq!(quantile(&v, 0.5), 3.0);
        assert!((quantile(&v, 0.025) - 1.1).abs() < 1e-12);
        assert!(quantile(&[], 0.5).is_nan());
    }
}
