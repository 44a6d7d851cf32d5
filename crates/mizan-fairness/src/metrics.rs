//! Metrics derived from count cells, named by definition ID.
//!
//! fairlearn semantics: rates by group, `difference`/`ratio` with the `between_groups` and
//! `to_overall` methods, and the scalar disparity metrics. AIF360 semantics: statistical
//! parity difference, disparate impact, odds differences and the generalized entropy
//! family (benefit b = ŷ − y + 1 takes only the values 0, 1, 2, so it is cell-computable).

use crate::cells::{Counts, FN, FP, TN, TP};

/// A rate computed per group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rate {
    /// P(ŷ = 1).
    SelectionRate,
    /// TP / (TP + FN).
    TruePositiveRate,
    /// FP / (FP + TN).
    FalsePositiveRate,
    /// FN / (TP + FN).
    FalseNegativeRate,
    /// TN / (FP + TN).
    TrueNegativeRate,
    /// TP / (TP + FP).
    Precision,
    /// (TP + TN) / all.
    Accuracy,
    /// P(y = 1): the base rate of the labels.
    BaseRate,
}

impl Rate {
    /// Every rate, in report order.
    pub const ALL: [Self; 8] = [
        Self::SelectionRate,
        Self::TruePositiveRate,
        Self::FalsePositiveRate,
        Self::FalseNegativeRate,
        Self::TrueNegativeRate,
        Self::Precision,
        Self::Accuracy,
        Self::BaseRate,
    ];

    /// fairlearn's name for the rate.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::SelectionRate => "selection_rate",
            Self::TruePositiveRate => "true_positive_rate",
            Self::FalsePositiveRate => "false_positive_rate",
            Self::FalseNegativeRate => "false_negative_rate",
            Self::TrueNegativeRate => "true_negative_rate",
            Self::Precision => "precision",
            Self::Accuracy => "accuracy",
            Self::BaseRate => "base_rate",
        }
    }

    /// Definition ID: the library whose semantics the rate follows and its name there.
    #[must_use]
    pub fn definition(self) -> &'static str {
        match self {
            Self::SelectionRate => "fairlearn:selection_rate",
            Self::TruePositiveRate => "fairlearn:true_positive_rate",
            Self::FalsePositiveRate => "fairlearn:false_positive_rate",
            Self::FalseNegativeRate => "fairlearn:false_negative_rate",
            Self::TrueNegativeRate => "fairlearn:true_negative_rate",
            Self::Precision => "sklearn:precision_score",
            Self::Accuracy => "sklearn:accuracy_score",
            Self::BaseRate => "aif360:base_rate",
        }
    }

    /// Confusion cells in (numerator, denominator).
    fn parts(self) -> (&'static [usize], &'static [usize]) {
        const ALL4: &[usize] = &[TP, FP, FN, TN];
        match self {
            Self::SelectionRate => (&[TP, FP], ALL4),
            Self::TruePositiveRate => (&[TP], &[TP, FN]),
            Self::FalsePositiveRate => (&[FP], &[FP, TN]),
            Self::FalseNegativeRate => (&[FN], &[TP, FN]),
            Self::TrueNegativeRate => (&[TN], &[FP, TN]),
            Self::Precision => (&[TP], &[TP, FP]),
            Self::Accuracy => (&[TP, TN], ALL4),
            Self::BaseRate => (&[TP, FN], ALL4),
        }
    }

    /// Numerator and denominator, weighted (Σw) or unweighted (n), plus the unweighted
    /// numerator and denominator and the Kish effective denominator.
    #[must_use]
    pub fn fraction(self, c: &Counts, weighted: bool) -> Fraction {
        let (num, den) = self.parts();
        let s = |idx: &[usize], a: &dyn Fn(usize) -> f64| idx.iter().map(|&i| a(i)).sum::<f64>();
        #[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
        let n = |i: usize| c.n[i] as f64;
        let w = |i: usize| c.w[i];
        let w2 = |i: usize| c.w2[i];
        let (x, d) = if weighted { (s(num, &w), s(den, &w)) } else { (s(num, &n), s(den, &n)) };
        let sw2 = if weighted { s(den, &w2) } else { s(den, &n) };
        let eff = if sw2 > 0.0 { d * d / sw2 } else { 0.0 };
        Fraction { num: x, den: d, rows: s(den, &n), effective_n: eff }
    }
}

/// A rate's parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Fraction {
    /// Numerator (Σw or n).
    pub num: f64,
    /// Denominator (Σw or n).
    pub den: f64,
    /// Unweighted rows in the denominator.
    pub rows: f64,
    /// Kish effective sample size of the denominator.
    pub effective_n: f64,
}

/// How zero denominators are reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EdgeMode {
    /// NaN, with a reason (Mizan's default).
    #[default]
    Honest,
    /// fairlearn's behaviour: a rate over a non-empty group with a zero denominator is 0;
    /// an empty intersection is NaN.
    FairlearnCompat,
}

/// A value that may be undefined, with the reason.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Value {
    /// The number (NaN when undefined).
    pub value: f64,
    /// Why the value is NaN, if it is.
    pub reason: Option<String>,
}

impl Value {
    fn ok(value: f64) -> Self {
        Self { value, reason: None }
    }
    fn nan(reason: impl Into<String>) -> Self {
        Self { value: f64::NAN, reason: Some(reason.into()) }
    }
}

/// One rate for one cell.
#[must_use]
pub fn rate(c: &Counts, r: Rate, weighted: bool, mode: EdgeMode) -> Value {
    if c.rows() == 0 {
        return Value::nan("empty intersection: no rows");
    }
    let f = r.fraction(c, weighted);
    if f.den == 0.0 {
        return match mode {
            EdgeMode::FairlearnCompat => Value::ok(0.0),
            EdgeMode::Honest => Value::nan(format!("zero denominator for `{}`", r.name())),
        };
    }
    Value::ok(f.num / f.den)
}

/// How a disparity summarises group values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Largest minus smallest group value (ratio: smallest over largest).
    BetweenGroups,
    /// Largest distance of a group from the overall value.
    ToOverall,
}

impl Method {
    /// fairlearn's name for the method.
    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Self::BetweenGroups => "between_groups",
            Self::ToOverall => "to_overall",
        }
    }
}

fn finite(values: &[f64]) -> impl Iterator<Item = f64> + '_ {
    values.iter().copied().filter(|v| !v.is_nan())
}

/// Smallest non-NaN value (NaN if none), as pandas `min`.
#[must_use]
pub fn group_min(values: &[f64]) -> f64 {
    finite(values).fold(f64::NAN, f64::min)
}

/// Largest non-NaN value (NaN if none), as pandas `max`.
#[must_use]
pub fn group_max(values: &[f64]) -> f64 {
    finite(values).fold(f64::NAN, f64::max)
}

/// fairlearn `MetricFrame.difference`.
#[must_use]
pub fn difference(values: &[f64], overall: f64, method: Method) -> f64 {
    match method {
        Method::BetweenGroups => group_max(values) - group_min(values),
        Method::ToOverall => {
            let d: Vec<f64> = values.iter().map(|v| (v - overall).abs()).collect();
            group_max(&d)
        }
    }
}

/// fairlearn `MetricFrame.ratio`.
#[must_use]
pub fn ratio(values: &[f64], overall: f64, method: Method) -> f64 {
    match method {
        Method::BetweenGroups => group_min(values) / group_max(values),
        Method::ToOverall => {
            let r: Vec<f64> = values
                .iter()
                .map(|v| {
                    let r = v / overall;
                    if r < 1.0 { r } else { 1.0 / r }
                })
                .collect();
            group_min(&r)
        }
    }
}

/// Rates of every group of one stratum plus the stratum's overall rate.
#[must_use]
pub fn by_group(cells: &crate::Cells, stratum: Option<&str>, r: Rate, mode: EdgeMode) -> (Vec<f64>, f64) {
    let w = cells.weighted();
    let values = cells.groups().iter().map(|g| rate(&cells.get(stratum, g), r, w, mode).value).collect();
    let overall = rate(&cells.total(stratum), r, w, mode).value;
    (values, overall)
}

/// Aggregation of the two equalized-odds components.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Agg {
    /// The worse of the two (max difference, min ratio).
    WorstCase,
    /// Their mean.
    Mean,
}

/// Group rates per stratum for the three rates the scalar disparities use (selection rate,
/// TPR, FPR), computed once so that many disparities of the same cells (as in every
/// bootstrap replicate) do not recount them.
#[derive(Debug, Clone)]
pub struct RateTable {
    /// Per stratum, per rate in [`RateTable::RATES`] order: group values and the overall value.
    strata: Vec<[(Vec<f64>, f64); 3]>,
}

impl RateTable {
    /// The rates the table holds, in order.
    pub const RATES: [Rate; 3] = [Rate::SelectionRate, Rate::TruePositiveRate, Rate::FalsePositiveRate];

    /// Computes the table of `cells`.
    #[must_use]
    pub fn new(cells: &crate::Cells, mode: EdgeMode) -> Self {
        let strata = cells
            .strata()
            .iter()
            .map(|s| Self::RATES.map(|r| by_group(cells, s.as_deref(), r, mode)))
            .collect();
        Self { strata }
    }

    fn get(&self, r: Rate) -> impl Iterator<Item = &(Vec<f64>, f64)> {
        let k = Self::RATES.iter().position(|x| *x == r).unwrap_or(0);
        self.strata.iter().map(move |s| &s[k])
    }
}

/// A scalar fairlearn disparity by definition ID, such as
/// `fairlearn:demographic_parity_difference:between_groups` or
/// `fairlearn:equalized_odds_ratio:to_overall:mean`. `None` for an unknown ID.
#[must_use]
pub fn fairlearn_scalar(cells: &crate::Cells, id: &str, mode: EdgeMode) -> Option<f64> {
    parse_scalar(id)?;
    fairlearn_scalar_in(&RateTable::new(cells, mode), id)
}

/// What a scalar definition ID asks for: metric name, method, aggregation.
fn parse_scalar(id: &str) -> Option<(&str, Method, Agg)> {
    let parts: Vec<&str> = id.split(':').collect();
    let (name, method, agg) = match parts.as_slice() {
        ["fairlearn", name, m] => (*name, *m, Agg::WorstCase),
        ["fairlearn", name, m, "worst_case"] => (*name, *m, Agg::WorstCase),
        ["fairlearn", name, m, "mean"] => (*name, *m, Agg::Mean),
        _ => return None,
    };
    let method = match method {
        "between_groups" => Method::BetweenGroups,
        "to_overall" => Method::ToOverall,
        _ => return None,
    };
    let known = [
        "demographic_parity_difference",
        "demographic_parity_ratio",
        "equal_opportunity_difference",
        "equal_opportunity_ratio",
        "equalized_odds_difference",
        "equalized_odds_ratio",
    ];
    known.contains(&name).then_some((name, method, agg))
}

/// [`fairlearn_scalar`] over an already computed [`RateTable`].
#[must_use]
pub fn fairlearn_scalar_in(table: &RateTable, id: &str) -> Option<f64> {
    let (name, method, agg) = parse_scalar(id)?;
    let one = |r: Rate, diff: bool| {
        // Across strata the worst stratum counts (max difference, min ratio).
        let vals: Vec<f64> = table
            .get(r)
            .map(|(v, o)| if diff { difference(v, *o, method) } else { ratio(v, *o, method) })
            .collect();
        if diff { group_max(&vals) } else { group_min(&vals) }
    };
    let eo = |diff: bool| {
        let a = one(Rate::TruePositiveRate, diff);
        let b = one(Rate::FalsePositiveRate, diff);
        match (agg, diff) {
            (Agg::Mean, _) => f64::midpoint(a, b),
            (Agg::WorstCase, true) => group_max(&[a, b]),
            (Agg::WorstCase, false) => group_min(&[a, b]),
        }
    };
    Some(match name {
        "demographic_parity_difference" => one(Rate::SelectionRate, true),
        "demographic_parity_ratio" => one(Rate::SelectionRate, false),
        "equal_opportunity_difference" => one(Rate::TruePositiveRate, true),
        "equal_opportunity_ratio" => one(Rate::TruePositiveRate, false),
        "equalized_odds_difference" => eo(true),
        "equalized_odds_ratio" => eo(false),
        _ => return None,
    })
}
