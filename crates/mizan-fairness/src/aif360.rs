//! AIF360 metric semantics, derived from count cells.
//!
//! A privileged group (one value per sensitive feature) is compared with the pooled
//! complement, as `aif360.sklearn.metrics` does with `priv_group`. The generalized entropy
//! family uses the benefit b = ŷ − y + 1, which is 0 for a false negative, 2 for a false
//! positive and 1 otherwise, so it is exact from the unweighted counts (AIF360 ignores
//! weights there too).

use crate::cells::{Cells, Counts, FN, FP, TN, TP};
use crate::metrics::{EdgeMode, Rate, rate};

/// Why a privileged group cannot be used with some cells.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrivilegedError {
    /// A feature the audit does not group by.
    #[error("`{feature}` is not a sensitive feature of this audit (they are: {features})")]
    NotSensitive {
        /// The feature named.
        feature: String,
        /// The audit's sensitive features, listed.
        features: String,
    },
    /// A sensitive feature without a privileged value.
    #[error("the privileged group needs a value for `{0}` (one value per sensitive feature, e.g. `{0}=...`)")]
    Missing(String),
    /// A feature named twice.
    #[error("`{0}` is given twice in the privileged group")]
    Twice(String),
    /// A value that does not occur in the data.
    #[error("`{feature}={value}`: no row has `{value}` in `{feature}` (its values: {values})")]
    Absent {
        /// The feature.
        feature: String,
        /// The value named.
        value: String,
        /// The values that occur, listed.
        values: String,
    },
    /// Not a `feature=value` pair.
    #[error("`{0}` is not `feature=value`")]
    Malformed(String),
}

/// Parses a privileged group written as `feature=value` pairs, comma-separated
/// (`sex=male,region=Punjab`).
///
/// # Errors
/// [`PrivilegedError::Malformed`] for a part without `=`.
pub fn parse_privileged(text: &str) -> Result<Vec<(String, String)>, PrivilegedError> {
    text.split(',')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            p.split_once('=')
                .map(|(f, v)| (f.trim().to_owned(), v.trim().to_owned()))
                .filter(|(f, _)| !f.is_empty())
                .ok_or_else(|| PrivilegedError::Malformed(p.to_owned()))
        })
        .collect()
}

/// `feature=value` pairs as one value per feature of `features`, in their order: each pair
/// names one of them, none twice, and every one has a value. The values are not checked
/// against any data ([`privileged_group`] does that).
///
/// # Errors
/// A [`PrivilegedError`] naming the feature.
pub fn in_feature_order(
    features: &[String],
    pairs: &[(String, String)],
) -> Result<Vec<String>, PrivilegedError> {
    let listed = || features.iter().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ");
    for (i, (f, _)) in pairs.iter().enumerate() {
        if !features.contains(f) {
            return Err(PrivilegedError::NotSensitive { feature: f.clone(), features: listed() });
        }
        if pairs[..i].iter().any(|(g, _)| g == f) {
            return Err(PrivilegedError::Twice(f.clone()));
        }
    }
    features
        .iter()
        .map(|f| {
            pairs
                .iter()
                .find(|(g, _)| g == f)
                .map(|(_, v)| v.clone())
                .ok_or_else(|| PrivilegedError::Missing(f.clone()))
        })
        .collect()
}

/// The privileged group of `cells` from `feature=value` pairs: one value per sensitive
/// feature ([`in_feature_order`]), each value one that occurs in the data.
///
/// # Errors
/// A [`PrivilegedError`] naming the feature.
pub fn privileged_group(cells: &Cells, pairs: &[(String, String)]) -> Result<Vec<String>, PrivilegedError> {
    let features = cells.features();
    let values = in_feature_order(features, pairs)?;
    for (k, (f, v)) in features.iter().zip(&values).enumerate() {
        let seen: std::collections::BTreeSet<&String> =
            cells.cells().iter().filter(|(_, c)| c.rows() > 0).map(|(key, _)| &key.group[k]).collect();
        if !seen.contains(v) {
            let shown: Vec<String> = seen.iter().take(20).map(|v| format!("`{v}`")).collect();
            return Err(PrivilegedError::Absent {
                feature: f.clone(),
                value: v.clone(),
                values: shown.join(", "),
            });
        }
    }
    Ok(values)
}

/// Pooled counts of the privileged group and of everyone else.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Split {
    /// Rows outside the privileged group.
    pub unprivileged: Counts,
    /// Rows in the privileged group.
    pub privileged: Counts,
}

/// Splits all cells (every stratum) into the privileged group and its complement.
#[must_use]
pub fn split(cells: &Cells, privileged: &[String]) -> Split {
    let mut s = Split { unprivileged: Counts::default(), privileged: Counts::default() };
    for (k, c) in cells.cells() {
        if k.group == privileged {
            s.privileged.add(c);
        } else {
            s.unprivileged.add(c);
        }
    }
    s
}

#[expect(clippy::cast_precision_loss, reason = "counts stay far below 2^53")]
fn benefit_counts(c: &Counts) -> [(f64, f64); 3] {
    [(0.0, c.n[FN] as f64), (1.0, (c.n[TP] + c.n[TN]) as f64), (2.0, c.n[FP] as f64)]
}

/// Generalized entropy index of values given as (value, multiplicity), with AIF360's
/// conventions for α = 0 and α = 1 (0 · ln 0 = 0).
#[must_use]
pub fn generalized_entropy(values: &[(f64, f64)], alpha: f64) -> f64 {
    let n: f64 = values.iter().map(|v| v.1).sum();
    if n == 0.0 {
        return f64::NAN;
    }
    let mu = values.iter().map(|(b, k)| b * k).sum::<f64>() / n;
    let terms = values.iter().filter(|(_, k)| *k > 0.0);
    if alpha == 0.0 {
        -terms.map(|(b, k)| k * (b / mu).ln() / mu).sum::<f64>() / n
    } else if alpha == 1.0 {
        terms.map(|(b, k)| if *b == 0.0 { 0.0 } else { k * (b / mu) * (b / mu).ln() }).sum::<f64>() / n
    } else {
        (terms.map(|(b, k)| k * (b / mu).powf(alpha)).sum::<f64>() / n - 1.0) / (alpha * (alpha - 1.0))
    }
}

fn r(c: &Counts, which: Rate, weighted: bool) -> f64 {
    rate(c, which, weighted, EdgeMode::Honest).value
}

/// An AIF360 metric by definition ID (for example `aif360:disparate_impact` or
/// `aif360:generalized_entropy_index:alpha=2`), with `privileged` one value per sensitive
/// feature. `None` for an unknown ID.
#[must_use]
pub fn metric(cells: &Cells, id: &str, privileged: &[String]) -> Option<f64> {
    let w = cells.weighted();
    let s = split(cells, privileged);
    let (u, p) = (&s.unprivileged, &s.privileged);
    let total = cells.total(None);
    let alpha = |prefix: &str| -> Option<f64> { id.strip_prefix(prefix)?.parse().ok() };
    let between = |a: f64| {
        let mean = |c: &Counts| {
            let b = benefit_counts(c);
            let n: f64 = b.iter().map(|x| x.1).sum();
            (b.iter().map(|(v, k)| v * k).sum::<f64>() / n, n)
        };
        generalized_entropy(&[mean(u), mean(p)], a)
    };
    let sel = Rate::SelectionRate;
    let base = Rate::BaseRate;
    let (tpr, fpr) = (Rate::TruePositiveRate, Rate::FalsePositiveRate);
    Some(match id {
        "aif360:statistical_parity_difference" => r(u, sel, w) - r(p, sel, w),
        "aif360:disparate_impact" => r(u, sel, w) / r(p, sel, w),
        "aif360:average_odds_difference" => {
            f64::midpoint(r(u, fpr, w) - r(p, fpr, w), r(u, tpr, w) - r(p, tpr, w))
        }
        "aif360:average_abs_odds_difference" => {
            f64::midpoint((r(u, fpr, w) - r(p, fpr, w)).abs(), (r(u, tpr, w) - r(p, tpr, w)).abs())
        }
        "aif360:equal_opportunity_difference" => r(u, tpr, w) - r(p, tpr, w),
        "aif360:base_rate" => r(&total, base, w),
        "aif360:dataset:statistical_parity_difference" => r(u, base, w) - r(p, base, w),
        "aif360:dataset:disparate_impact" => r(u, base, w) / r(p, base, w),
        "aif360:dataset:class_imbalance" => {
            let sum =
                |c: &Counts| if w { c.w.iter().sum::<f64>() } else { c.n.iter().map(|&x| x as f64).sum() };
            (sum(u) - sum(p)) / sum(&total)
        }
        "aif360:theil_index" => generalized_entropy(&benefit_counts(&total), 1.0),
        "aif360:between_group_theil_index" => between(1.0),
        _ => {
            if let Some(a) = alpha("aif360:generalized_entropy_index:alpha=") {
                generalized_entropy(&benefit_counts(&total), a)
            } else if let Some(a) = alpha("aif360:between_group_generalized_entropy_index:alpha=") {
                between(a)
            } else {
                return None;
            }
        }
    })
}
