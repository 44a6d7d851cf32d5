//! The OpenDP measurements behind every plan, and how their parameters are chosen.
//!
//! Each noise scale is the smallest `f64` whose OpenDP privacy map, at the query's input
//! distance, is within the ε it may spend. That is what Python OpenDP's
//! `binary_search_param` finds, and with the same search (`opendp::utilities::binary_search`,
//! which the Python function calls): we start from the analytic value (sensitivity / ε),
//! bracket it, and bisect down to adjacent floats. The boundary of a monotone predicate is
//! unique, so the Python oracle (`oracles/opendp/generate.py`) and this crate land on the
//! same float; `tests/oracle.rs` holds them to 1e-9 relative.
//!
//! Input distances are in OpenDP's `SymmetricDistance`: one unit added or removed changes
//! at most `k = max_rows_per_unit` rows, so `d_in = k`. Where OpenDP has the aggregate as
//! a transformation (`make_count`, `make_count_by_categories`, `make_count_by`,
//! `make_private_quantile`'s scorer) the chain starts from rows and the map is OpenDP's;
//! a grouped sum has no OpenDP transformation, so its measurement starts from the vector of
//! cell sums at L1 distance `k · max(|lower|, |upper|)` (each row lies in one cell).
//!
//! At answer time the aggregates come from this crate's parallel scan (the same function
//! as the transformation, over columns instead of a `Vec` of rows) and only the noise is
//! OpenDP's: the measurement's `invoke` on the exact cells.

use std::collections::HashMap;

use opendp::{
    accuracy::discrete_laplacian_scale_to_accuracy,
    combinators::make_chain_mt,
    core::Measurement,
    domains::{AtomDomain, MapDomain, VectorDomain},
    error::Fallible,
    measurements::{make_laplace, make_laplace_threshold, make_noisy_max, make_private_quantile},
    measures::{Approximate, MaxDivergence},
    metrics::{AbsoluteDistance, L1Distance, L01InfDistance, LInfDistance, SymmetricDistance},
    transformations::{make_count, make_count_by, make_count_by_categories},
    utilities::binary_search,
};

/// The significance of every accuracy figure: 95 % intervals.
pub(crate) const ALPHA: f64 = 0.05;

/// A threshold no count reaches: used while searching a selection's scale, whose ε does not
/// depend on the threshold.
pub(crate) const FAR_THRESHOLD: i64 = 1 << 40;

/// Noise on a vector of integer cells (counts or fixed-point sums) at L1 distance.
pub(crate) type VecLaplace =
    Measurement<VectorDomain<AtomDomain<i64>>, L1Distance<i64>, MaxDivergence, Vec<i64>>;

/// Noise with a threshold on a map of cell keys to counts (partition selection).
pub(crate) type MapThreshold = Measurement<
    MapDomain<AtomDomain<u64>, AtomDomain<i64>>,
    L01InfDistance<AbsoluteDistance<i64>>,
    Approximate<MaxDivergence>,
    HashMap<u64, i64>,
>;

/// Report-noisy-min (permute-and-flip) over quantile candidate scores.
pub(crate) type NoisyMin =
    Measurement<VectorDomain<AtomDomain<u64>>, LInfDistance<u64>, MaxDivergence, usize>;

/// The smallest `f64` for which `pass` holds, searched from `analytic` (which should be
/// near it): bracket in `[analytic / 2, 2 · analytic]`, else search everywhere as Python's
/// `binary_search_param` does; both end at the same boundary.
fn smallest_passing(analytic: f64, pass: impl Fn(&f64) -> bool) -> Fallible<f64> {
    let (lower, upper) = (analytic / 2.0, analytic * 2.0);
    if analytic.is_finite() && analytic > 0.0 && !pass(&lower) && pass(&upper) {
        binary_search(pass, (lower, upper))
    } else {
        binary_search(pass, ())
    }
}

/// A scale and what the measurement's privacy map says it spends at the query's `d_in`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Calibrated {
    pub scale: f64,
    pub epsilon: f64,
}

/// Finds the smallest scale whose `map` is within `epsilon`, and what it spends.
fn calibrate(analytic: f64, epsilon: f64, map: impl Fn(f64) -> Fallible<f64>) -> Fallible<Calibrated> {
    let scale = smallest_passing(analytic, |&scale| map(scale).is_ok_and(|spent| spent <= epsilon))?;
    Ok(Calibrated { scale, epsilon: map(scale)? })
}

/// Discrete Laplace noise on `cells` counts (one when ungrouped), chained after OpenDP's
/// count from rows, spending at most `epsilon` at `d_in = k`.
pub(crate) fn count_scale(k: u32, epsilon: f64, cells: usize) -> Fallible<Calibrated> {
    let rows = (VectorDomain::new(AtomDomain::<u32>::default()), SymmetricDistance);
    let analytic = f64::from(k) / epsilon;
    if cells <= 1 {
        let count = make_count::<u32, i64>(rows.0, rows.1)?;
        calibrate(analytic, epsilon, |scale| {
            let noise = make_laplace::<_, _, MaxDivergence>(
                AtomDomain::<i64>::default(),
                AbsoluteDistance::default(),
                scale,
                None,
            )?;
            make_chain_mt(&noise, &count)?.map(&k)
        })
    } else {
        let categories: Vec<u32> = (0..u32::try_from(cells).unwrap_or(u32::MAX)).collect();
        let count = make_count_by_categories::<L1Distance<i64>, u32, i64>(rows.0, rows.1, categories, false)?;
        calibrate(analytic, epsilon, |scale| make_chain_mt(&vec_laplace(scale)?, &count)?.map(&k))
    }
}

/// Discrete Laplace noise on cell sums whose L1 sensitivity is `d_in` units.
pub(crate) fn sum_scale(d_in: i64, epsilon: f64) -> Fallible<Calibrated> {
    // at most 1000 · 2^53: only the search's starting point, so rounding does not matter
    let analytic = d_in as f64 / epsilon;
    calibrate(analytic, epsilon, |scale| vec_laplace(scale)?.map(&d_in))
}

/// The measurement that adds discrete Laplace noise to integer cells.
pub(crate) fn vec_laplace(scale: f64) -> Fallible<VecLaplace> {
    make_laplace(VectorDomain::new(AtomDomain::<i64>::default()), L1Distance::default(), scale, None)
}

fn count_by_threshold(scale: f64, threshold: i64) -> Fallible<impl Fn(u32) -> Fallible<(f64, f64)>> {
    let rows = (VectorDomain::new(AtomDomain::<u64>::default()), SymmetricDistance);
    let count_by = make_count_by::<u64, i64>(rows.0, rows.1)?;
    let chain = make_chain_mt(&map_threshold(scale, threshold)?, &count_by)?;
    Ok(move |k: u32| chain.map(&k))
}

/// The scale of a partition selection's noise: its ε does not depend on the threshold.
pub(crate) fn selection_scale(k: u32, epsilon: f64) -> Fallible<Calibrated> {
    calibrate(f64::from(k) / epsilon, epsilon, |scale| Ok(count_by_threshold(scale, FAR_THRESHOLD)?(k)?.0))
}

/// The smallest threshold at which the selection spends at most (`epsilon`, `delta`), with
/// what its map says it spends.
pub(crate) fn selection_threshold(
    k: u32,
    scale: f64,
    epsilon: f64,
    delta: f64,
) -> Fallible<(i64, (f64, f64))> {
    let pass = |&threshold: &i64| {
        count_by_threshold(scale, threshold)
            .and_then(|map| map(k))
            .is_ok_and(|(eps, del)| eps <= epsilon && del <= delta)
    };
    let threshold = binary_search(pass, (i64::from(k), FAR_THRESHOLD))?;
    let spent = count_by_threshold(scale, threshold)?(k)?;
    Ok((threshold, spent))
}

/// The measurement that keeps the cells whose noisy count reaches `threshold`.
pub(crate) fn map_threshold(scale: f64, threshold: i64) -> Fallible<MapThreshold> {
    make_laplace_threshold(
        MapDomain::new(AtomDomain::<u64>::default(), AtomDomain::<i64>::default()),
        L01InfDistance::default(),
        scale,
        threshold,
        None,
    )
}

/// The scale of `make_private_quantile` over `candidates` (units) for quantile `q` so that
/// one group spends at most `epsilon` at `d_in = k`.
pub(crate) fn quantile_scale(k: u32, q: f64, candidates: &[i64], epsilon: f64) -> Fallible<Calibrated> {
    let analytic = 2.0 * f64::from(k) * q.max(1.0 - q) / epsilon;
    calibrate(analytic, epsilon, |scale| {
        let rows = (VectorDomain::new(AtomDomain::<i64>::default()), SymmetricDistance);
        make_private_quantile(rows.0, rows.1, MaxDivergence, candidates.to_vec(), q, scale)?.map(&k)
    })
}

/// What OpenDP's quantile scorer uses for `q` with an unknown number of rows: `q` as
/// `numerator / denominator`, and the cap on a count so a score cannot overflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct QuantileConstants {
    pub numerator: u64,
    pub denominator: u64,
    pub size_limit: u64,
}

impl QuantileConstants {
    /// As `score_candidates_constants(None, q)` in OpenDP 0.16: the exact fraction when its
    /// denominator is below 10,000 (dyadic `q` such as 0.5 or 0.25), else `q` truncated to
    /// 1/10,000ths. `tests` below checks it against OpenDP's scorer.
    pub fn of(q: f64) -> QuantileConstants {
        const APPROX: u64 = 10_000;
        let (numerator, denominator) = match dyadic(q) {
            Some((n, d)) if d < APPROX => (n, d),
            // `as` truncates toward zero, as OpenDP's `RoundCast` (num's `NumCast`) does
            _ => ((q * 10_000.0) as u64, APPROX),
        };
        QuantileConstants { numerator, denominator, size_limit: u64::MAX / denominator }
    }

    /// How far a score moves when `k` rows are added or removed (unknown size).
    #[cfg(test)]
    pub fn score_distance(&self, k: u32) -> u64 {
        u64::from(k) * self.numerator.max(self.denominator - self.numerator)
    }

    /// The scores of the candidates `c` from two histograms of the values, each with one
    /// slot per candidate and a last one: `left_open[i]` counts the values with `i`
    /// candidates below them (in `(c[i-1], c[i]]`) and `right_open[i]` those with `i`
    /// candidates at or below them (in `[c[i-1], c[i])`). A candidate's score is
    /// `|(1 - q) · #(x < c) - q · #(x > c)|` times the denominator, as OpenDP's scorer.
    pub fn scores(&self, left_open: &[u64], right_open: &[u64]) -> Vec<u64> {
        let n: u64 = left_open.iter().sum();
        let (mut lt, mut le) = (0u64, 0u64);
        let candidates = left_open.len().saturating_sub(1);
        (0..candidates)
            .map(|i| {
                lt += right_open[i];
                le += left_open[i];
                let gt = n - le;
                let (lt, gt) = (lt.min(self.size_limit), gt.min(self.size_limit));
                ((self.denominator - self.numerator) * lt).abs_diff(self.numerator * gt)
            })
            .collect()
    }
}

/// `x` in (0, 1) as a reduced fraction with a power-of-two denominator (every finite f64 is
/// one), or `None` when the denominator does not fit in a u64.
fn dyadic(x: f64) -> Option<(u64, u64)> {
    if !(x > 0.0 && x < 1.0) {
        return None;
    }
    let bits = x.to_bits();
    let exponent = i32::try_from((bits >> 52) & 0x7ff).ok()?;
    let fraction = bits & ((1 << 52) - 1);
    // x = mantissa · 2^power
    let (mut mantissa, mut power) =
        if exponent == 0 { (fraction, -1074) } else { (fraction | (1 << 52), exponent - 1075) };
    let zeros = mantissa.trailing_zeros();
    mantissa >>= zeros;
    power += i32::try_from(zeros).ok()?;
    let shift = u32::try_from(-power).ok()?;
    let denominator = 1u64.checked_shl(shift).filter(|_| shift < 64)?;
    Some((mantissa, denominator))
}

/// Permute-and-flip on the negated scores (the lowest score wins), with the noise scale in
/// score units (the quantile scale times the constants' denominator).
pub(crate) fn noisy_min(score_scale: f64, candidates: usize) -> Fallible<NoisyMin> {
    make_noisy_max(
        VectorDomain::new(AtomDomain::<u64>::default()).with_size(candidates),
        LInfDistance::default(),
        MaxDivergence,
        score_scale,
        true,
    )
}

/// The half-width of discrete Laplace noise's interval at significance `alpha`, from
/// OpenDP: `P[|noise| >= accuracy] <= alpha`.
pub(crate) fn accuracy(scale: f64, alpha: f64) -> Fallible<f64> {
    discrete_laplacian_scale_to_accuracy(scale, alpha)
}

/// The largest `x` with `parts · x <= total` exactly (an even split of a budget that never
/// rounds above it).
pub(crate) fn split_evenly(total: f64, parts: u32) -> f64 {
    let m = f64::from(parts);
    let mut x = total / m;
    // x · m is exactly hi + lo (an FMA's residue); step down while it exceeds total
    let over = |x: f64| {
        let hi = x * m;
        let lo = x.mul_add(m, -hi);
        hi > total || (hi == total && lo > 0.0)
    };
    while over(x) {
        x = next_down(x);
    }
    x
}

/// The largest `x` with `x + part <= total` exactly.
pub(crate) fn remainder(total: f64, part: f64) -> f64 {
    // TwoSum: s + err is x + part exactly
    let over = |x: f64| {
        let s = x + part;
        let bb = s - x;
        let err = (x - (s - bb)) + (part - bb);
        s > total || (s == total && err > 0.0)
    };
    let mut x = total - part;
    while over(x) {
        x = next_down(x);
    }
    x
}

/// The sum of `terms`, compensated (Neumaier): the rounding errors of the running sum are
/// kept and added back, so the result is the exact sum rounded once, up to a rare ulp.
pub(crate) fn sum_accurately(terms: &[f64]) -> f64 {
    let (mut sum, mut error) = (0.0f64, 0.0f64);
    for &t in terms {
        let next = sum + t;
        error += if sum.abs() >= t.abs() { (sum - next) + t } else { (t - next) + sum };
        sum = next;
    }
    sum + error
}

/// The next float toward zero from a positive `x`.
fn next_down(x: f64) -> f64 {
    f64::from_bits(x.to_bits() - 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use opendp::transformations::make_quantile_score_candidates;

    #[test]
    fn splits_never_round_above_the_total() {
        for total in [0.1, 0.3, 1.0, 0.7, 2.9, 1e-3] {
            for parts in [1, 2, 3, 4, 7, 9, 13] {
                let x = split_evenly(total, parts);
                let back: f64 = (0..parts).map(|_| x).sum();
                assert!(back <= total * (1.0 + 1e-15), "{total} {parts}");
                assert!(x > 0.0);
            }
            let quarter = total / 4.0;
            let rest = remainder(total, quarter);
            assert!(rest + quarter <= total);
        }
    }

    #[test]
    fn quantile_constants_match_opendp_scores() {
        let candidates: Vec<i64> = vec![0, 10, 20];
        for q in [0.5, 0.25, 0.1, 0.9, 0.75, 0.333, 0.99, 1.0 / 3.0, 0.0001, 0.5 + 1e-12] {
            let c = QuantileConstants::of(q);
            let t = make_quantile_score_candidates(
                VectorDomain::new(AtomDomain::<i64>::default()),
                SymmetricDistance,
                candidates.clone(),
                q,
            )
            .unwrap();
            // one row below every candidate scores (den - num) at each; one above scores num
            let below = t.invoke(&vec![-1]).unwrap();
            let above = t.invoke(&vec![100]).unwrap();
            assert_eq!(below[0], c.denominator - c.numerator, "q = {q}");
            assert_eq!(above[0], c.numerator, "q = {q}");
            assert_eq!(t.map(&3).unwrap(), c.score_distance(3), "q = {q}");
            // and on mixed data the scores agree with ours
            let data = vec![-5, 0, 0, 3, 10, 10, 10, 15, 20, 25, 30];
            let (mut lo, mut ro) = (vec![0u64; 4], vec![0u64; 4]);
            for x in &data {
                let lt = candidates.partition_point(|c| c < x);
                let le = candidates.partition_point(|c| c <= x);
                lo[lt] += 1;
                ro[le] += 1;
            }
            assert_eq!(t.invoke(&data).unwrap(), c.scores(&lo, &ro), "q = {q}");
        }
    }

    #[test]
    fn the_noisy_min_spends_what_the_quantile_chain_spends() {
        let candidates: Vec<i64> = (0..=100).map(|i| i * 7).collect();
        for (k, q, eps) in [(1, 0.5, 1.0), (3, 0.9, 0.4), (5, 0.25, 2.0)] {
            let scale = quantile_scale(k, q, &candidates, eps).unwrap().scale;
            let c = QuantileConstants::of(q);
            let m = noisy_min(scale * c.denominator as f64, candidates.len()).unwrap();
            let chain = make_private_quantile(
                VectorDomain::new(AtomDomain::<i64>::default()),
                SymmetricDistance,
                MaxDivergence,
                candidates.clone(),
                q,
                scale,
            )
            .unwrap();
            assert_eq!(m.map(&c.score_distance(k)).unwrap(), chain.map(&k).unwrap());
            assert!(chain.map(&k).unwrap() <= eps);
        }
    }
}
