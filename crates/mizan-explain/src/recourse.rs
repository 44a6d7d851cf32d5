//! Counterfactual recourse: the smallest actionable changes that flip an unfavourable outcome.
//!
//! For tree ensembles the search runs over the model's own split thresholds (the only places
//! where the output can change), one value just on each side of every threshold, in a beam
//! search over up to `max_changes` features. For linear models the single-feature change is
//! solved in closed form. Immutable features are never changed, monotone directions and bounds
//! from data are respected, cost is Σ |Δ|/MAD, and every option is re-scored on the real model
//! before it is returned.
//!
//! Every candidate is scored, but not one at a time: [`Searcher`] walks each tree once per
//! partial change set for all features together, and levels past the first skip change sets
//! that could no longer be chosen. The result is the same as re-scoring every candidate on the
//! model (a unit test keeps that plain search as the oracle).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::ir::{Comparison, Ensemble, MissingType, ModelBody, Tree};
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
        /// Number of candidate rows considered.
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
    // Bit patterns, sorted and deduplicated at the end (the order options are enumerated in).
    let mut out: Vec<Vec<u64>> = vec![Vec::new(); model.n_features()];
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
                set.push(below.to_bits());
                set.push(at_or_above.to_bits());
            }
        }
    }
    out.into_iter()
        .map(|mut s| {
            s.sort_unstable();
            s.dedup();
            s.into_iter().map(f64::from_bits).filter(|v| v.is_finite()).collect()
        })
        .collect()
}

/// Searches for up to `cfg.max_options` diverse, cheapest changes that make the outcome
/// favourable.
///
/// Prepares the model for every call; to search for many rows, build a [`Searcher`] once.
///
/// # Errors
/// [`ExplainError`] when the row or configuration does not fit the model.
pub fn search(model: &Model, x: &[f64], cfg: &RecourseConfig) -> Result<Recourse, ExplainError> {
    Searcher::new(model).search(x, cfg)
}

/// Which candidates of a split's feature (in ascending order) go left.
enum Runs {
    /// The first `k` go left, the rest right (every numeric split but LightGBM's zero-as-missing).
    Cut(u32),
    /// Runs of equal direction: `(first candidate, goes left)`, ascending.
    Runs(Vec<(u32, bool)>),
}

/// A model prepared for recourse searches: the candidate values of every feature and, for
/// every split, which of its feature's candidates go left.
///
/// A search re-scores every candidate change, so instead of walking each tree once per
/// candidate, it walks each tree once per feature, following the row except at splits on that
/// feature, where the ascending candidates divide into runs; each leaf reached adds its value to
/// a run of candidates at once. Margins found this way are summed in another order than
/// [`Model::predict_margin`], so any within `1e-9` of the favourable threshold, and every option
/// returned, are re-scored on the model itself.
pub struct Searcher<'m> {
    model: &'m Model,
    /// Per feature, candidate values in the order options are enumerated.
    candidates: Vec<Vec<f64>>,
    /// Per feature, each candidate's position in ascending order.
    rank: Vec<Vec<u32>>,
    /// Per tree, where its nodes start in `nodes`.
    offsets: Vec<usize>,
    /// Every node of every tree, compact, for the sweeps.
    nodes: Vec<Packed>,
    /// Per node, its leaf value times its tree's weight.
    values: Vec<f64>,
    /// Non-monotone splits' runs (categorical, LightGBM's zero as missing).
    runs: Vec<Runs>,
}

/// A node for the sweeps, 20 bytes so that a model's nodes stay in cache: children as
/// indices into [`Searcher::nodes`] and, for XGBoost's numeric splits, the threshold to route
/// the row without the full [`Node`](crate::Node).
#[derive(Clone, Copy)]
struct Packed {
    /// Split feature, or `u32::MAX` for a leaf.
    feature: u32,
    left: u32,
    right: u32,
    threshold: f32,
    kind: Kind,
    /// Which candidates of the split's feature go left: [`Runs`] by index into
    /// [`Searcher::runs`], or when below [`RUNS`], the first `cut` (a [`Runs::Cut`] inline).
    cut: u32,
}

/// [`Packed::cut`] at or above this refers to [`Searcher::runs`].
const RUNS: u32 = 1 << 31;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Leaf,
    /// `NaN` goes left, else `(v as f32) < threshold` goes left.
    LessF32DefaultLeft,
    /// `NaN` goes right, else `(v as f32) < threshold` goes left.
    LessF32DefaultRight,
    /// [`Tree::route`] on the original node.
    General,
}

/// One option found: the change set is `beams[level][base]` plus `singles[single]`.
#[derive(Clone, Copy)]
struct Found {
    cost: f64,
    margin: f64,
    level: usize,
    base: usize,
    single: usize,
}

impl Found {
    /// Cheaper first; ties go to the one enumerated first (by level, base, single).
    fn key(&self) -> (i64, usize, usize, usize) {
        (total_key(self.cost), self.level, self.base, self.single)
    }

    fn before(&self, other: &Found) -> bool {
        self.key() < other.key()
    }
}

/// Keeps `f` (the change set `base` plus feature `j`) in `found` if it is the cheapest option
/// for its set of features; `true` if it was kept.
fn merge(found: &mut HashMap<Vec<usize>, Found>, base: &[(usize, f64)], j: usize, f: Found) -> bool {
    let mut set: Vec<usize> = base.iter().map(|&(k, _)| k).collect();
    set.push(j);
    set.sort_unstable();
    match found.entry(set) {
        Entry::Vacant(v) => {
            v.insert(f);
            true
        }
        Entry::Occupied(mut o) => {
            let keep = f.before(o.get());
            if keep {
                o.insert(f);
            }
            keep
        }
    }
}

/// The cost of the last of `max_options` options the final choice would take from `found` as
/// it stands (cheapest first, skipping any whose features include a chosen one's), if it
/// takes that many. An option costing more could never be chosen: the choice stops before
/// reaching it. Options found later only lower this: on the last level they change as many
/// features as each other, so none includes another's features unless it is the same set, of
/// which only the cheapest is kept.
fn choice_bound(found: &HashMap<Vec<usize>, Found>, max_options: usize) -> Option<f64> {
    let mut order: Vec<(&Vec<usize>, &Found)> = found.iter().collect();
    order.sort_unstable_by_key(|(_, f)| f.key());
    let mut chosen: Vec<&Vec<usize>> = Vec::new();
    for (set, f) in order {
        if chosen.iter().any(|c| c.iter().all(|k| set.contains(k))) {
            continue;
        }
        chosen.push(set);
        if chosen.len() >= max_options.max(1) {
            return Some(f.cost);
        }
    }
    None
}

/// `f64::total_cmp` as an integer key, for heaps and sorts on plain tuples.
fn total_key(v: f64) -> i64 {
    let b = v.to_bits() as i64;
    b ^ ((((b >> 63) as u64) >> 1) as i64)
}

impl<'m> Searcher<'m> {
    /// Prepares `model`.
    #[must_use]
    pub fn new(model: &'m Model) -> Self {
        let candidates = tree_candidates(model);
        let sorted: Vec<Vec<f64>> = candidates
            .iter()
            .map(|c| {
                let mut s = c.clone();
                s.sort_by(f64::total_cmp);
                s
            })
            .collect();
        let rank = candidates
            .iter()
            .zip(&sorted)
            .map(|(c, s)| {
                // Candidates are distinct bit patterns, so each has one position.
                c.iter().map(|v| s.partition_point(|w| w.total_cmp(v).is_lt()) as u32).collect()
            })
            .collect();
        let mut offsets = Vec::new();
        let mut nodes = Vec::new();
        let mut values = Vec::new();
        let mut all_runs = Vec::new();
        if let ModelBody::Trees(e) = &model.body {
            for t in &e.trees {
                let off = nodes.len() as u32;
                offsets.push(nodes.len());
                for n in &t.nodes {
                    values.push(t.weight * n.value);
                    if n.is_leaf() {
                        nodes.push(Packed {
                            feature: u32::MAX,
                            left: u32::MAX,
                            right: u32::MAX,
                            threshold: 0.0,
                            kind: Kind::Leaf,
                            cut: 0,
                        });
                        continue;
                    }
                    let j = n.feature as usize;
                    let s = &sorted[j];
                    let left = |v: f64| Tree::route_value(n, e.comparison, v).goes_left();
                    let monotone = n.categories.is_none()
                        && !(e.comparison == Comparison::LessEqF64 && n.missing == MissingType::Zero);
                    let runs = if monotone {
                        Runs::Cut(s.partition_point(|&v| left(v)) as u32)
                    } else {
                        let mut r: Vec<(u32, bool)> = Vec::new();
                        for (p, &v) in s.iter().enumerate() {
                            let l = left(v);
                            if r.last().is_none_or(|&(_, prev)| prev != l) {
                                r.push((p as u32, l));
                            }
                        }
                        Runs::Runs(r)
                    };
                    let kind = match (e.comparison, &n.categories, n.default_left) {
                        (Comparison::LessF32, None, true) => Kind::LessF32DefaultLeft,
                        (Comparison::LessF32, None, false) => Kind::LessF32DefaultRight,
                        _ => Kind::General,
                    };
                    let cut = match runs {
                        Runs::Cut(k) if k < RUNS => k,
                        other => {
                            all_runs.push(other);
                            RUNS + (all_runs.len() - 1) as u32
                        }
                    };
                    nodes.push(Packed {
                        feature: n.feature,
                        left: off + n.left,
                        right: off + n.right,
                        threshold: n.threshold as f32,
                        kind,
                        cut,
                    });
                }
            }
        }
        Searcher { model, candidates, rank, offsets, nodes, values, runs: all_runs }
    }

    /// Searches for up to `cfg.max_options` diverse, cheapest changes that make the outcome
    /// favourable, as [`search`] does.
    ///
    /// # Errors
    /// [`ExplainError`] when the row or configuration does not fit the model.
    pub fn search(&self, x: &[f64], cfg: &RecourseConfig) -> Result<Recourse, ExplainError> {
        let model = self.model;
        model.check_row(0, x)?;
        check_config(model, cfg)?;
        let margin = model.predict_margin(x)?[cfg.output];
        if cfg.favourable.holds(margin) {
            return Ok(Recourse::AlreadyFavourable);
        }
        match &model.body {
            ModelBody::Linear(l) => Ok(linear_search(model, &l.coefficients, x, cfg, margin)),
            ModelBody::Trees(e) => self.tree_search(e, x, cfg, margin),
        }
    }

    fn tree_search(
        &self,
        e: &Ensemble,
        x: &[f64],
        cfg: &RecourseConfig,
        margin: f64,
    ) -> Result<Recourse, ExplainError> {
        let model = self.model;
        // Every allowed single change, in enumeration order: (feature, value, ascending position).
        let singles: Vec<(usize, f64, u32)> = self
            .candidates
            .iter()
            .enumerate()
            .flat_map(|(j, vs)| vs.iter().zip(&self.rank[j]).map(move |(&v, &p)| (j, v, p)))
            .filter(|&(j, v, _)| allowed(cfg, j, x[j], v))
            .collect();
        let mut wanted = vec![false; x.len()];
        // Per feature, its allowed singles as (ascending position, index in `singles`).
        let mut by_position: Vec<Vec<(u32, usize)>> = vec![Vec::new(); x.len()];
        for (si, &(j, _, pos)) in singles.iter().enumerate() {
            wanted[j] = true;
            by_position[j].push((pos, si));
        }
        for b in &mut by_position {
            b.sort_unstable();
        }
        let mut margins: Vec<Vec<(f64, bool)>> =
            self.candidates.iter().map(|c| vec![(0.0, true); c.len()]).collect();
        // Swept margins are within about 1e-13 of the model's; closer than this to a decision
        // (the favourable threshold, the beam's cut) they are re-scored.
        let near = |m: f64| 1e-9 * (1.0 + m.abs());
        // Per feature and candidate, which run of equal leaves it is in: one re-score serves a run.
        let mut cells: Vec<Vec<u32>> = self.candidates.iter().map(|c| vec![0; c.len()]).collect();
        let mut cache: HashMap<(usize, usize, usize, u32), f64> = HashMap::new();
        let mut scratch = Scratch::new(&self.candidates);
        // Options of the last level costing more than this cannot be chosen (see `choice_bound`).
        let mut bound = f64::INFINITY;
        // Per feature, the cheapest of its allowed changes.
        let mut min_cost = vec![f64::INFINITY; x.len()];
        for &(j, v, _) in &singles {
            min_cost[j] = min_cost[j].min(cost(cfg, j, x[j], v));
        }
        let mut skip = vec![false; x.len()];
        // Per level, the change sets to extend and their margins, exactly as the model scores them.
        let mut beams: Vec<Vec<(Changes, f64)>> = vec![vec![(Vec::new(), margin)]];
        // Only the cheapest option per set of changed features can be chosen (the others change
        // the same features, a superset of it), so only those are kept.
        let mut found: HashMap<Vec<usize>, Found> = HashMap::new();
        let n = x.len();
        let mut searched = 0usize;
        let mut y = x.to_vec();
        let rescore = |y: &mut Vec<f64>, j: usize, v: f64| -> Result<f64, ExplainError> {
            let old = std::mem::replace(&mut y[j], v);
            let m = model.predict_margin(y)?[cfg.output];
            y[j] = old;
            Ok(m)
        };
        for level in 0..cfg.max_changes {
            let last = level + 1 == cfg.max_changes;
            // Non-flipping candidates: (gap, base, single, whether the margin is exact).
            let mut next: Vec<(f64, usize, usize, f64, bool, u32)> = Vec::new();
            // The cheapest option per base and added feature, merged into `found` per level.
            let mut best: Vec<Option<Found>> = vec![None; beams[level].len() * n];
            let base_costs: Vec<f64> = beams[level]
                .iter()
                .map(|(base, _)| base.iter().map(|&(k, to)| cost(cfg, k, x[k], to)).sum())
                .collect();
            // On the last level, cheapest change sets first: their options tighten `bound` soonest.
            let mut visit: Vec<usize> = (0..beams[level].len()).collect();
            if last {
                visit.sort_by(|&a, &b| base_costs[a].total_cmp(&base_costs[b]).then(a.cmp(&b)));
            }
            for bi in visit {
                let (base, m_y) = &beams[level][bi];
                let m_y = *m_y;
                y.copy_from_slice(x);
                for &(j, v) in base {
                    y[j] = v;
                }
                let base_cost = base_costs[bi];
                for (j, s) in skip.iter_mut().enumerate() {
                    *s = !wanted[j] || base.iter().any(|&(k, _)| k == j);
                }
                if last && level > 0 {
                    for j in 0..n {
                        if !skip[j] && base_cost + min_cost[j] > bound {
                            searched += by_position[j].len();
                            skip[j] = true;
                        }
                    }
                    if skip.iter().all(|&s| s) {
                        continue;
                    }
                }
                self.sweep(e, &y, cfg.output, &skip, &mut scratch);
                if last {
                    // Only flips matter now, and per feature only the cheapest: scan each
                    // feature's candidates in ascending order, summing the sweep as we go.
                    for j in 0..n {
                        if skip[j] {
                            continue;
                        }
                        searched += by_position[j].len();
                        let (mut acc, mut live, mut cell, mut p) = (0.0f64, 0i32, 0u32, 0usize);
                        for &(pos, si) in &by_position[j] {
                            while p <= pos as usize {
                                acc += scratch.diff[j][p];
                                live += scratch.active[j][p];
                                cell += u32::from(scratch.bound[j][p]);
                                if live == 0 {
                                    acc = 0.0;
                                }
                                p += 1;
                            }
                            let v = singles[si].1;
                            let mut m = if live == 0 { m_y } else { m_y + acc };
                            if live != 0 && cfg.favourable.gap(m).abs() <= near(m) {
                                let key = (level, bi, j, cell);
                                m = match cache.get(&key) {
                                    Some(&m) => m,
                                    None => {
                                        let m = rescore(&mut y, j, v)?;
                                        cache.insert(key, m);
                                        m
                                    }
                                };
                            }
                            if cfg.favourable.holds(m) {
                                let f = Found {
                                    cost: base_cost + cost(cfg, j, x[j], v),
                                    margin: m,
                                    level,
                                    base: bi,
                                    single: si,
                                };
                                let slot = &mut best[bi * n + j];
                                if slot.is_none_or(|b| f.before(&b)) {
                                    *slot = Some(f);
                                }
                            }
                        }
                    }
                    // Merge at once: a tighter bound spares the sweeps of later bases.
                    let mut added = false;
                    for f in best[bi * n..(bi + 1) * n].iter_mut().filter_map(Option::take) {
                        added |= merge(&mut found, &beams[level][f.base].0, singles[f.single].0, f);
                    }
                    if added && let Some(b) = choice_bound(&found, cfg.max_options) {
                        bound = bound.min(b);
                    }
                    continue;
                }
                self.prefix(m_y, &skip, &mut margins, &mut cells, &scratch);
                for (si, &(j, v, pos)) in singles.iter().enumerate() {
                    if skip[j] {
                        continue;
                    }
                    searched += 1;
                    let (mut m, mut exact) = margins[j][pos as usize];
                    if !exact && cfg.favourable.gap(m).abs() <= near(m) {
                        let key = (level, bi, j, cells[j][pos as usize]);
                        m = match cache.get(&key) {
                            Some(&m) => m,
                            None => {
                                let m = rescore(&mut y, j, v)?;
                                cache.insert(key, m);
                                m
                            }
                        };
                        exact = true;
                    }
                    if cfg.favourable.holds(m) {
                        let f = Found {
                            cost: base_cost + cost(cfg, j, x[j], v),
                            margin: m,
                            level,
                            base: bi,
                            single: si,
                        };
                        let slot = &mut best[bi * n + j];
                        if slot.is_none_or(|b| f.before(&b)) {
                            *slot = Some(f);
                        }
                    } else if !last {
                        next.push((cfg.favourable.gap(m), bi, si, m, exact, cells[j][pos as usize]));
                    }
                }
            }
            for f in best.into_iter().flatten() {
                merge(&mut found, &beams[level][f.base].0, singles[f.single].0, f);
            }
            if let Some(b) = choice_bound(&found, cfg.max_options) {
                bound = bound.min(b);
            }
            if last {
                break;
            }
            // The BEAM best gaps, ties in enumeration order (a stable sort, truncated), on
            // re-scored margins for every candidate that could be among them.
            if next.len() > BEAM {
                next.select_nth_unstable_by(BEAM - 1, |a, b| a.0.total_cmp(&b.0));
                let cut = next[BEAM - 1].0;
                next.retain(|e| e.0 <= cut + near(cut));
            }
            let beam = &beams[level];
            let mut exact: Vec<(i64, usize, usize, f64)> = Vec::with_capacity(next.len());
            for &(approx, bi, si, m, is_exact, cell) in &next {
                let (j, v) = (singles[si].0, singles[si].1);
                let m = if is_exact {
                    m
                } else if let Some(&m) = cache.get(&(level, bi, j, cell)) {
                    m
                } else {
                    y.copy_from_slice(x);
                    for &(k, w) in &beam[bi].0 {
                        y[k] = w;
                    }
                    let m = rescore(&mut y, j, v)?;
                    cache.insert((level, bi, j, cell), m);
                    m
                };
                debug_assert!(
                    (cfg.favourable.gap(m) - approx).abs() <= 1e-6,
                    "swept gap {approx}, model {m}"
                );
                exact.push((total_key(cfg.favourable.gap(m)), bi, si, m));
            }
            exact.sort_unstable_by_key(|e| (e.0, e.1, e.2));
            exact.truncate(BEAM);
            let grown = exact
                .iter()
                .map(|&(_, bi, si, m)| {
                    let mut ch = beam[bi].0.clone();
                    ch.push((singles[si].0, singles[si].1));
                    (ch, m)
                })
                .collect();
            beams.push(grown);
        }
        if found.is_empty() {
            return Ok(Recourse::NoneWithinConstraints { searched });
        }
        // Cheapest first, ties in the order found.
        let mut order: Vec<Found> = found.into_values().collect();
        order.sort_unstable_by_key(Found::key);
        let mut chosen = Chosen::new(model, x, cfg);
        for f in &order {
            let mut ch = beams[f.level][f.base].0.clone();
            ch.push((singles[f.single].0, singles[f.single].1));
            if chosen.offer(ch, f.cost, Some(f.margin))? {
                break;
            }
        }
        Ok(Recourse::Options(chosen.options))
    }

    /// The runs of candidates `a..b` of split `n`'s feature with one direction each.
    #[inline]
    fn split(&self, n: &Packed, a: u32, b: u32) -> impl Iterator<Item = (bool, u32, u32)> + '_ {
        let inline = Runs::Cut(n.cut);
        let runs = if n.cut < RUNS { None } else { self.runs.get((n.cut - RUNS) as usize) };
        let cut = match runs.unwrap_or(&inline) {
            Runs::Cut(k) => Some((*k).clamp(a, b)),
            _ => None,
        };
        let list: &[(u32, bool)] = match runs {
            Some(Runs::Runs(r)) => r,
            _ => &[],
        };
        let from_cut = cut.into_iter().flat_map(move |k| [(true, a, k), (false, k, b)]);
        let from_runs = list.iter().enumerate().map(move |(i, &(start, left))| {
            let end = list.get(i + 1).map_or(u32::MAX, |r| r.0);
            (left, start.max(a), end.min(b))
        });
        from_cut.chain(from_runs).filter(|&(_, s, e)| s < e)
    }

    /// Whether `y` goes left at split `node` of tree `t`, whose nodes start at `off`.
    #[inline]
    fn goes_left(&self, t: &Tree, cmp: Comparison, off: usize, node: usize, y: &[f64]) -> bool {
        let n = &self.nodes[node];
        match n.kind {
            Kind::LessF32DefaultLeft | Kind::LessF32DefaultRight => {
                // Rows are checked against the model's feature count; loaders validate features.
                let v = y[n.feature as usize];
                if v.is_nan() { n.kind == Kind::LessF32DefaultLeft } else { (v as f32) < n.threshold }
            }
            Kind::General | Kind::Leaf => Tree::route(&t.nodes[node - off], cmp, y).goes_left(),
        }
    }

    /// For every feature `j` not skipped, writes into `out[j]` (one per candidate, ascending)
    /// the margin of output `group` when `y`'s feature `j` is set to that candidate, and whether
    /// it is exactly the model's (no tree changes leaf, so it is `m_y`, `y`'s margin); into
    /// `cells[j]`, which run of candidates reaching the same leaves each is in.
    ///
    /// One walk per tree covers every feature: down `y`'s path, each split sends the candidates
    /// of its feature that go the other way into the other subtree, where they follow `y`
    /// except at splits on that same feature.
    fn sweep(&self, e: &Ensemble, y: &[f64], group: usize, skip: &[bool], s: &mut Scratch) {
        for (j, skipped) in skip.iter().enumerate() {
            if !skipped {
                s.diff[j].fill(0.0);
                s.active[j].fill(0);
                s.bound[j].fill(false);
            }
        }
        for (ti, t) in e.trees.iter().enumerate() {
            if t.group != group {
                continue;
            }
            let off = self.offsets[ti];
            // `y`'s path first: its leaf's value is what every other leaf is measured against.
            s.path.clear();
            let mut node = off;
            while self.nodes[node].feature != u32::MAX {
                let y_left = self.goes_left(t, e.comparison, off, node, y);
                s.path.push((node, y_left));
                let n = &self.nodes[node];
                node = if y_left { n.left } else { n.right } as usize;
            }
            let walk = Walk { searcher: self, t, cmp: e.comparison, y, off, cur_value: self.values[node] };
            s.touched.clear();
            let path = std::mem::take(&mut s.path);
            for &(node, y_left) in &path {
                let n = &self.nodes[node];
                let f = n.feature as usize;
                if !skip[f] {
                    let other = if y_left { n.right } else { n.left } as usize;
                    if !s.touched.contains(&f) {
                        s.touched.push(f);
                    }
                    let mut on_path = std::mem::take(&mut s.on_path[f]);
                    let mut kept = std::mem::take(&mut s.kept);
                    kept.clear();
                    for &(a, b) in &on_path {
                        for (l, ra, rb) in self.split(n, a, b) {
                            if l == y_left {
                                kept.push((ra, rb));
                            } else {
                                walk.deviate(other, f, ra, rb, s);
                            }
                        }
                    }
                    on_path.clear();
                    on_path.extend_from_slice(&kept);
                    s.on_path[f] = on_path;
                    s.kept = kept;
                }
            }
            s.path = path;
            for &f in &s.touched {
                let n = s.len(f);
                s.on_path[f].clear();
                s.on_path[f].push((0, n));
            }
        }
    }

    /// Sums a sweep's differences into margins and runs (see [`Searcher::sweep`]).
    fn prefix(
        &self,
        m_y: f64,
        skip: &[bool],
        out: &mut [Vec<(f64, bool)>],
        cells: &mut [Vec<u32>],
        s: &Scratch,
    ) {
        for (j, skipped) in skip.iter().enumerate() {
            if *skipped {
                continue;
            }
            let (mut acc, mut live, mut cell) = (0.0f64, 0i32, 0u32);
            for p in 0..out[j].len() {
                acc += s.diff[j][p];
                live += s.active[j][p];
                cell += u32::from(s.bound[j][p]);
                cells[j][p] = cell;
                out[j][p] = if live == 0 {
                    // No tree leaves its current leaf here: exactly `y`'s margin.
                    acc = 0.0;
                    (m_y, true)
                } else {
                    (m_y + acc, false)
                };
            }
        }
    }
}

/// Per-feature buffers of one sweep, kept across sweeps.
struct Scratch {
    diff: Vec<Vec<f64>>,
    active: Vec<Vec<i32>>,
    bound: Vec<Vec<bool>>,
    /// Candidates of each feature still on the row's path in the current tree, as ranges.
    on_path: Vec<Vec<(u32, u32)>>,
    kept: Vec<(u32, u32)>,
    /// Features whose `on_path` the current tree narrowed.
    touched: Vec<usize>,
    /// The row's path through the current tree: (node, goes left).
    path: Vec<(usize, bool)>,
}

impl Scratch {
    fn new(candidates: &[Vec<f64>]) -> Self {
        Scratch {
            diff: candidates.iter().map(|c| vec![0.0; c.len() + 1]).collect(),
            active: candidates.iter().map(|c| vec![0; c.len() + 1]).collect(),
            bound: candidates.iter().map(|c| vec![false; c.len() + 1]).collect(),
            on_path: candidates.iter().map(|c| vec![(0, c.len() as u32)]).collect(),
            kept: Vec::new(),
            touched: Vec::new(),
            path: Vec::new(),
        }
    }

    fn len(&self, j: usize) -> u32 {
        (self.diff[j].len() - 1) as u32
    }
}

/// One tree of one sweep: candidates of feature `f` that left the row's path.
struct Walk<'a> {
    searcher: &'a Searcher<'a>,
    t: &'a Tree,
    cmp: Comparison,
    y: &'a [f64],
    /// Where this tree's nodes start in `searcher.nodes`.
    off: usize,
    cur_value: f64,
}

impl Walk<'_> {
    /// Candidates `a..b` (ascending positions) of feature `f` reach `node` off the row's path.
    fn deviate(&self, node: usize, f: usize, a: u32, b: u32, s: &mut Scratch) {
        // Child indices were validated by the loader and offset into `nodes` by `Searcher::new`.
        let n = &self.searcher.nodes[node];
        if n.feature == u32::MAX {
            // Off the row's path, so never its current leaf.
            let d = self.searcher.values[node] - self.cur_value;
            s.diff[f][a as usize] += d;
            s.diff[f][b as usize] -= d;
            s.active[f][a as usize] += 1;
            s.active[f][b as usize] -= 1;
            s.bound[f][a as usize] = true;
            s.bound[f][b as usize] = true;
            return;
        }
        if n.feature as usize != f {
            let left = self.searcher.goes_left(self.t, self.cmp, self.off, node, self.y);
            return self.deviate(if left { n.left } else { n.right } as usize, f, a, b, s);
        }
        for (left, ra, rb) in self.searcher.split(n, a, b) {
            self.deviate(if left { n.left } else { n.right } as usize, f, ra, rb, s);
        }
    }
}

/// The options chosen so far: cheapest first, skipping any that changes a superset of the
/// features of a cheaper one, each re-scored on the model.
struct Chosen<'a> {
    model: &'a Model,
    x: &'a [f64],
    cfg: &'a RecourseConfig,
    options: Vec<RecourseOption>,
    sets: Vec<BTreeSet<usize>>,
}

impl<'a> Chosen<'a> {
    fn new(model: &'a Model, x: &'a [f64], cfg: &'a RecourseConfig) -> Self {
        Chosen { model, x, cfg, options: Vec::new(), sets: Vec::new() }
    }

    /// Considers the next cheapest option; `true` once `max_options` are chosen.
    /// `swept` is the margin the search found, if it did not re-score it itself.
    fn offer(&mut self, ch: Changes, cost: f64, swept: Option<f64>) -> Result<bool, ExplainError> {
        let set: BTreeSet<usize> = ch.iter().map(|&(j, _)| j).collect();
        // Diversity: skip an option that changes a superset of the features of a cheaper one.
        if self.sets.iter().any(|s| s.is_subset(&set)) {
            return Ok(false);
        }
        let mut y = self.x.to_vec();
        for &(j, to) in &ch {
            y[j] = to;
        }
        let margins = self.model.predict_margin(&y)?;
        let m = margins[self.cfg.output];
        debug_assert!(
            swept.is_none_or(|s| (m - s).abs() <= 1e-6 * (1.0 + m.abs())),
            "re-scored {m}, swept {swept:?}"
        );
        if !self.cfg.favourable.holds(m) {
            return Ok(false);
        }
        let score = self.model.score(&margins, self.cfg.output);
        let changes = ch
            .iter()
            .map(|&(j, to)| Change {
                feature: j,
                name: self.model.feature_names[j].clone(),
                from: if self.x[j].is_nan() { None } else { Some(self.x[j]) },
                to,
            })
            .collect();
        self.options.push(RecourseOption { changes, cost, margin: m, score });
        self.sets.push(set);
        Ok(self.options.len() >= self.cfg.max_options)
    }
}

/// The closed form for linear models: each feature alone, moved just past the boundary.
fn linear_search(model: &Model, w: &[f64], x: &[f64], cfg: &RecourseConfig, margin: f64) -> Recourse {
    let gap = cfg.favourable.gap(margin);
    let mut found: Vec<(f64, Changes)> = Vec::new();
    let mut searched = 0usize;
    let sign = match cfg.favourable {
        Favourable::Above(_) => 1.0,
        Favourable::Below(_) => -1.0,
    };
    for (j, &w) in w.iter().enumerate() {
        if w == 0.0 || x[j].is_nan() {
            continue;
        }
        // Exact solution of w·Δ = sign·gap, pushed a hair past the boundary.
        let delta = sign * gap / w;
        let to = x[j] + delta + delta.signum() * (1e-9 * delta.abs()).max(1e-12 * x[j].abs().max(1.0));
        if !allowed(cfg, j, x[j], to) {
            continue;
        }
        searched += 1;
        found.push((cost(cfg, j, x[j], to), vec![(j, to)]));
    }
    found.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut chosen = Chosen::new(model, x, cfg);
    for (c, ch) in found {
        // A linear model's margin is finite for every finite row, so re-scoring cannot fail.
        if chosen.offer(ch, c, None).unwrap_or(false) {
            break;
        }
    }
    if chosen.options.is_empty() {
        Recourse::NoneWithinConstraints { searched }
    } else {
        Recourse::Options(chosen.options)
    }
}

#[cfg(test)]
mod tests {
    //! The prepared search against the plain one it replaced (every candidate re-scored on the
    //! whole model), kept here as the oracle: the same options, costs and margins.

    use super::*;

    mod reference {
        //! The search before `Searcher`: one `predict_margin` per candidate.
        use super::super::*;

        pub(super) fn search(
            model: &Model,
            x: &[f64],
            cfg: &RecourseConfig,
        ) -> Result<Recourse, ExplainError> {
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
                        let to = x[j]
                            + delta
                            + delta.signum() * (1e-9 * delta.abs()).max(1e-12 * x[j].abs().max(1.0));
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
                    let mut beam: Vec<(f64, Vec<(usize, f64)>)> =
                        vec![(cfg.favourable.gap(margin), Vec::new())];
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
    }

    fn model(bytes: &[u8]) -> Model {
        crate::load_model(bytes).expect("loads")
    }

    fn rows(golden: &[u8]) -> Vec<Vec<f64>> {
        let g: serde_json::Value = serde_json::from_slice(golden).expect("json");
        g["rows"]
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| r.as_array().expect("row").iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
            .collect()
    }

    fn check(m: &Model, rows: &[Vec<f64>]) {
        let n = m.n_features();
        let searcher = Searcher::new(m);
        let mut compared = 0;
        for (r, x) in rows.iter().enumerate() {
            let margin = m.predict_margin(x).expect("scores")[0];
            for (max_changes, flip) in [(1, false), (2, false), (3, true), (2, true)] {
                // Favourable above the row's own margin plus a step, so most rows need recourse.
                let favourable =
                    if flip { Favourable::Below(margin - 0.3) } else { Favourable::Above(margin + 0.3) };
                let cfg = RecourseConfig {
                    output: 0,
                    favourable,
                    directions: (0..n)
                        .map(|j| match (j + r) % 4 {
                            0 => Direction::Immutable,
                            1 => Direction::IncreaseOnly,
                            2 => Direction::DecreaseOnly,
                            _ => Direction::Any,
                        })
                        .collect(),
                    bounds: vec![(-5.0, 5.0); n],
                    mads: (0..n).map(|j| 0.5 + j as f64 / 4.0).collect(),
                    max_options: 3,
                    max_changes,
                };
                let want = reference::search(m, x, &cfg).expect("searches");
                let got = searcher.search(x, &cfg).expect("searches");
                assert_eq!(got, want, "row {r}, max_changes {max_changes}");
                compared += 1;
            }
        }
        assert!(compared > 0);
    }

    #[test]
    fn prepared_search_finds_what_rescoring_every_candidate_finds() {
        let cases: [(&[u8], &[u8]); 5] = [
            (
                include_bytes!("../tests/data/xgboost/german_binary.json"),
                include_bytes!("../tests/data/xgboost/german_binary.golden.json"),
            ),
            (
                include_bytes!("../tests/data/xgboost/synth_categorical.json"),
                include_bytes!("../tests/data/xgboost/synth_categorical.golden.json"),
            ),
            (
                include_bytes!("../tests/data/lightgbm/synth_zero.txt"),
                include_bytes!("../tests/data/lightgbm/synth_zero.golden.json"),
            ),
            (
                include_bytes!("../tests/data/lightgbm/synth_categorical.txt"),
                include_bytes!("../tests/data/lightgbm/synth_categorical.golden.json"),
            ),
            (
                include_bytes!("../tests/data/lightgbm/synth_nan.txt"),
                include_bytes!("../tests/data/lightgbm/synth_nan.golden.json"),
            ),
        ];
        for (model_bytes, golden) in cases {
            check(&model(model_bytes), &rows(golden)[..12]);
        }
    }
}
