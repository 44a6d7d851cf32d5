//! Intersectional comparisons with multiple-testing correction.
//!
//! Each non-empty group is compared with the rest of its stratum on the rates that make up
//! demographic parity and equalized odds (selection rate, TPR, FPR): the difference with a
//! Newcombe interval and a pooled two-proportion z test. The comparisons of one rate across
//! all groups and strata form one family, adjusted with Holm (default) or Benjamini–Hochberg.
//! Comparisons where either side is below the minimum size are reported, not tested.

use serde::Serialize;

use crate::cells::{Cells, Counts};
use crate::metrics::{EdgeMode, Rate, rate};
use crate::stats::{self, Correction, Interval, Z95};

/// The rates compared, in report order.
pub const COMPARED: [Rate; 3] = [Rate::SelectionRate, Rate::TruePositiveRate, Rate::FalsePositiveRate];

/// One group against the rest of its stratum, on one rate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Comparison {
    /// Definition ID, such as `mizan:group_vs_rest:selection_rate`.
    pub id: String,
    /// fairlearn's name of the rate.
    pub metric: &'static str,
    /// Control stratum, if any.
    pub stratum: Option<String>,
    /// One value per sensitive feature.
    pub group: Vec<String>,
    /// The group's rate.
    pub group_rate: f64,
    /// The rate of everyone else in the stratum.
    pub rest_rate: f64,
    /// `group_rate − rest_rate`.
    pub difference: f64,
    /// Newcombe 95% interval of the difference (unadjusted).
    pub interval: Interval,
    /// Pooled two-proportion z statistic (Kish effective sizes when weighted).
    pub z: f64,
    /// Two-sided p-value before adjustment (NaN when not tested).
    pub p_value: f64,
    /// p-value adjusted within the family of this rate.
    pub p_adjusted: f64,
    /// Adjusted p-value below the significance level.
    pub significant: bool,
    /// Why the comparison was not tested, if it was not.
    pub reason: Option<String>,
}

/// Knobs of the comparisons.
#[derive(Debug, Clone, Copy)]
pub struct Config {
    /// Correction across the comparisons of one rate.
    pub correction: Correction,
    /// Significance level for `significant`.
    pub alpha: f64,
    /// Fewer rows in a rate's denominator: not tested.
    pub min_rows: u64,
    /// Fewer events or non-events in a rate: not tested.
    pub min_events: u64,
    /// Zero-denominator behaviour for the reported rates.
    pub mode: EdgeMode,
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn side(c: &Counts, r: Rate, cfg: &Config, weighted: bool) -> (f64, f64, Option<String>) {
    let value = rate(c, r, weighted, cfg.mode).value;
    let f = r.fraction(c, weighted);
    let events = if f.den > 0.0 { (f.num / f.den * f.rows).round() } else { 0.0 };
    let small = stats::insufficient(f.rows, events, cfg.min_rows as f64, cfg.min_events as f64);
    let why = small.then(|| {
        format!(
            "{} rows in the denominator, {events} events: needs at least {} rows and {} events and non-events",
            f.rows, cfg.min_rows, cfg.min_events
        )
    });
    (value, f.effective_n, why)
}

/// Every group-versus-rest comparison of [`COMPARED`], adjusted per rate.
#[must_use]
pub fn compare(cells: &Cells, cfg: &Config) -> Vec<Comparison> {
    let w = cells.weighted();
    let mut out = Vec::new();
    for r in COMPARED {
        let start = out.len();
        for s in cells.strata() {
            let total = cells.total(s.as_deref());
            for g in cells.groups() {
                let c = cells.get(s.as_deref(), &g);
                if c.rows() == 0 {
                    continue;
                }
                let mut rest = total;
                for i in 0..4 {
                    rest.n[i] -= c.n[i];
                    rest.w[i] -= c.w[i];
                    rest.w2[i] -= c.w2[i];
                }
                let (p1, n1, why1) = side(&c, r, cfg, w);
                let (p2, n2, why2) = side(&rest, r, cfg, w);
                let reason = if rest.rows() == 0 {
                    Some("no other group in the stratum".to_owned())
                } else if let Some(why) = why1 {
                    Some(format!("group too small: {why}"))
                } else {
                    why2.map(|why| format!("rest of the stratum too small: {why}"))
                };
                let z = stats::two_proportion_z(p1, n1, p2, n2);
                let reason = reason.or_else(|| z.is_nan().then(|| "no variation to test".to_owned()));
                let p_value = if reason.is_some() { f64::NAN } else { stats::normal_two_sided(z) };
                out.push(Comparison {
                    id: format!("mizan:group_vs_rest:{}", r.name()),
                    metric: r.name(),
                    stratum: s.clone(),
                    group: g,
                    group_rate: p1,
                    rest_rate: p2,
                    difference: p1 - p2,
                    interval: stats::newcombe(p1, n1, p2, n2, Z95),
                    z,
                    p_value,
                    p_adjusted: f64::NAN,
                    significant: false,
                    reason,
                });
            }
        }
        let family = &mut out[start..];
        let p: Vec<f64> = family.iter().map(|c| c.p_value).collect();
        for (c, adj) in family.iter_mut().zip(cfg.correction.adjust(&p)) {
            c.p_adjusted = adj;
            c.significant = adj < cfg.alpha;
        }
    }
    out
}
