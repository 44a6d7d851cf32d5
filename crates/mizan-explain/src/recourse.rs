//! Counterfactual recourse: the smallest actionable changes that flip an unfavourable outcome.
//!
//! For tree ensembles the search runs over the model's own split thresholds (the only places
//! where the output can change), one value just on each side of every threshold, in a beam
//! search over up to `max_changes` features. For linear models the single-feature change is
//! solved in closed form. Immutable features are never changed, monotone directions and bounds
//! from data are respected, cost is Σ |Δ|/MAD, and every option is re-scored on the real model
//! before it is returned.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::ir::{Comparison, ModelBody};
use crate::{ExplainError, Model};

/// Which way a feature may move.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Direction {
    /// Either way.
    Any,
    /// Only up (e.g. savings).
    IncreaseOnly,
    /// Only down (e.g. requested amount).
    DecreaseOnly,
    /// Never (e.g. age, sex).
    Immutable,
}

/// Which side of the threshold is favourable.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub enum Favourable {
    /// Margin strictly above the threshold (e.g. approval when p > 0.5 ⇔ margin > 0).
    Above(f64),
    /// Margin strictly below the threshold (e.g. a risk score).
    Below(f64),
}

impl Favourable {
    fn holds(self, margin: f64) -> bool {
        match self {
            Favourable::Above(t) => margin > t,
            Favourable::Below(t) => margin < t,
        }
    }

    /// How far from favourable (positive) or past it (negative).
    fn gap(self, margin: f64) -> f64 {
        match self {
            Favourable::Above(t) => t - margin,
            Favourable::Below(t) => margin - t,
        }
    }
}

/// Constraints and options for the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecourseConfig {
    /// Explained output.
    pub output: usize,
    /// What a favourable outcome is.
    pub favourable: Favourable,
    /// Allowed direction per feature.
    pub directions: Vec<Direction>,
    /// Inclusive bounds per feature, normally the range seen in data.
    pub bounds: Vec<(f64, f64)>,
    /// Median absolute deviation per feature (cost scale; zero or missing counts as one).
    pub mads: Vec<f64>,
    /// Maximum number of options returned.
    pub max_options: usize,
    /// Maximum number of features changed in one option (1 to 3).
    pub max_changes: usize,
}

/// One changed feature.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Feature index.
    pub feature: usize,
    /// Feature name.
    pub name: String,
    /// Value now (`None` when missing).
    pub from: Option<f64>,
    /// Value that would change the outcome.
    pub to: f64,
}

/// One way to change the outcome, re-scored on the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecourseOption {
    /// Changes, by feature index.
    pub changes: Vec<Change>,
    /// Σ |Δ| / MAD (a change from a missing value costs one).
    pub cost: f64,
    /// Margin after the changes.
    pub margin: f64,
    /// Score after the changes (link applied).
    pub score: f64,
}

/// The outcome of a recourse search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum Recourse {
    /// The outcome is already favourable.
    AlreadyFavourable,
    /// Options, cheapest first, each on a different set of features.
    Options(Vec<RecourseOption>),
    /// No change within the constraints flips the outcome.
    NoneWithinConstraints {
        /// Number of candidate rows re-scored.
        searched: usize,
    },
}

const BEAM: usize = 24;

/// A set of `(feature, new value)` changes.
type Changes = Vec<(usize, f64)>;

fn check_config(model: &Model, cfg: &RecourseConfig) -> Result<(), ExplainError> {
    let n = model.n_features();
    if cfg.directions.len() != n || cfg.bounds.len() != n || cfg.mads.len() != n {
        return Err(ExplainError::Invalid {
            what: "recourse config",
            detail: format!(
                "directions, bounds and mads need {n} entries each (got {}, {}, {})",
                cfg.directions.len(),
                cfg.bounds.len(),
                cfg.mads.len()
            ),
        });
    }
    if cfg.output >= model.n_outputs() {
        return Err(ExplainError::Output { output: cfg.output, outputs: model.n_outputs() });
    }
    if !(1..=3).contains(&cfg.max_changes) {
        return Err(ExplainError::Invalid {
            what: "max_changes",
            detail: format!("`{}` must be 1, 2 or 3", cfg.max_changes),
        });
    }
    Ok(())
}

fn allowed(cfg: &RecourseConfig, j: usize, from: f64, to: f64) -> bool {
    let (lo, hi) = cfg.bounds[j];
    if !(to >= lo && to <= hi) || to == from {
        return false;
    }
    match cfg.directions[j] {
        Direction::Any => true,
        Direction::Immutable => false,
        Direction::IncreaseOnly => from.is_nan() || to > from,
        Direction::DecreaseOnly => from.is_nan() || to < from,
    }
}

fn cost(cfg: &RecourseConfig, j: usize, from: f64, to: f64) -> f64 {
    if from.is_nan() {
        return 1.0;
    }
    let mad = cfg.mads[j];
    let mad = if mad > 0.0 && mad.is_finite() { mad } else { 1.0 };
    (to - from).abs() / mad
}

/// Values just on each side of every split threshold of each feature (and every category
/// code used by a categorical split).
fn tree_candidates(model: &Model) -> Vec<Vec<f64>> {
    let mut out = vec![BTreeSet::new(); model.n_features()];
    if let ModelBody::Trees(e) = &model.body {
        for t in &e.trees {
            for n in t.nodes.iter().filter(|n| !n.is_leaf()) {
                let set = &mut out[n.feature as usize];
                if let Some(cats) = &n.categories {
                    set.extend(cats.iter().map(|&c| f64::from(c).to_bits()));
                    continue;
                }
                let (below, at_or_above) = match e.comparison {
                    // `x < t` goes left: t itself goes right, the f32 just below goes left.
                    Comparison::LessF32 => {
                        let t32 = n.threshold as f32;
                        (
                            f64::from(f32::from_bits(if t32 > 0.0 {
                                t32.to_bits() - 1
                            } else if t32 == 0.0 {
                                0x8000_0001
                            } else {
                                t32.to_bits() + 1
                            })),
                            f64::from(t32),
                        )
                    }
                    // `x <= t` goes left: t goes left, the f64 just above goes right.
                    Comparison::LessEqF64 => (n.threshold, n.threshold.next_up()),
                };
                set.insert(below.to_bits());
                set.insert(at_or_above.to_bits());
            }
        }
    }
    out.into_iter().map(|s| s.into_iter().map(f64::from_bits).filter(|v| v.is_finite()).collect()).collect()
}

/// Searches for up to `cfg.max_options` diverse, cheapest changes that make the outcome
/// favourable.
///
/// # Errors
/// [`ExplainError`] when the row or configuration does not fit the model.
pub fn search(model: &Model, x: &[f64], cfg: &RecourseConfig) -> Result<Recourse, ExplainError> {
    model.check_row(0, x)?;
    check_config(model, cfg)?;
    let margin = model.predict_margin(x)?[cfg.output];
    if cfg.favourable.holds(margin) {
        return Ok(Recourse::AlreadyFavourable);
    }
    let mut found: Vec<(f64, Changes, f64)> = Vec::new();
    let mut searched = 0usize;
    let mut rescore = |changes: &[(usize, f64)]| -> Result<f64, ExplainError> {
        let mut y = x.to_vec();
        for &(j, v) in changes {
            y[j] = v;
        }
        searched += 1;
        Ok(model.predict_margin(&y)?[cfg.output])
    };
    match &model.body {
        ModelBody::Linear(l) => {
            let gap = cfg.favourable.gap(margin);
            for (j, &w) in l.coefficients.iter().enumerate() {
                if w == 0.0 || x[j].is_nan() {
                    continue;
                }
                let sign = match cfg.favourable {
                    Favourable::Above(_) => 1.0,
                    Favourable::Below(_) => -1.0,
                };
                // Exact solution of w·Δ = sign·gap, pushed a hair past the boundary.
                let delta = sign * gap / w;
                let to =
                    x[j] + delta + delta.signum() * (1e-9 * delta.abs()).max(1e-12 * x[j].abs().max(1.0));
                if !allowed(cfg, j, x[j], to) {
                    continue;
                }
                let m = rescore(&[(j, to)])?;
                if cfg.favourable.holds(m) {
                    found.push((cost(cfg, j, x[j], to), vec![(j, to)], m));
                }
            }
        }
        ModelBody::Trees(_) => {
            let cands = tree_candidates(model);
            let singles: Vec<(usize, f64)> = cands
                .iter()
                .enumerate()
                .flat_map(|(j, vs)| vs.iter().map(move |&v| (j, v)))
                .filter(|&(j, v)| allowed(cfg, j, x[j], v))
                .collect();
            // Beam of partial change sets that did not flip yet, best gap first.
            let mut beam: Vec<(f64, Vec<(usize, f64)>)> = vec![(cfg.favourable.gap(margin), Vec::new())];
            for _level in 0..cfg.max_changes {
                let mut next: Vec<(f64, Vec<(usize, f64)>)> = Vec::new();
                for (_, base) in &beam {
                    for &(j, v) in &singles {
                        if base.iter().any(|&(k, _)| k == j) {
                            continue;
                        }
                        let mut ch = base.clone();
                        ch.push((j, v));
                        let m = rescore(&ch)?;
                        if cfg.favourable.holds(m) {
                            let c = ch.iter().map(|&(k, to)| cost(cfg, k, x[k], to)).sum();
                            found.push((c, ch, m));
                        } else {
                            next.push((cfg.favourable.gap(m), ch));
                        }
                    }
                }
                next.sort_by(|a, b| a.0.total_cmp(&b.0));
                next.truncate(BEAM);
                beam = next;
            }
        }
    }
    if found.is_empty() {
        return Ok(Recourse::NoneWithinConstraints { searched });
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut chosen: Vec<RecourseOption> = Vec::new();
    let mut sets: Vec<BTreeSet<usize>> = Vec::new();
    for (c, ch, m) in found {
        let set: BTreeSet<usize> = ch.iter().map(|&(j, _)| j).collect();
        // Diversity: skip an option that changes a superset of the features of a cheaper one.
        if sets.iter().any(|s| s.is_subset(&set)) {
            continue;
        }
        let mut y = x.to_vec();
        for &(j, to) in &ch {
            y[j] = to;
        }
        let margins = model.predict_margin(&y)?;
        let score = model.score(&margins, cfg.output);
        let changes = ch
            .iter()
            .map(|&(j, to)| Change {
                feature: j,
                name: model.feature_names[j].clone(),
                from: if x[j].is_nan() { None } else { Some(x[j]) },
                to,
            })
            .collect();
        chosen.push(RecourseOption { changes, cost: c, margin: m, score });
        sets.push(set);
        if chosen.len() >= cfg.max_options {
            break;
        }
    }
    Ok(Recourse::Options(chosen))
}
