//! Counterfactual recourse: the smallest actionable changes that flip an unfavourable outcome.
//!
//! For tree ensembles the search runs over the model's own split thresholds (the only places
//! where the output can change), one value just on each side of every threshold, in a beam
//! search over up to `max_changes` features. For linear models the single-feature change is
//! solved in closed form. Immutable features are never changed, monotone directions and bounds
//! from data are respected, cost is Σ |Δ|/MAD, and every option is re-scored, to the bit as the
//! model scores it, before it is returned.
//!
//! Every candidate is scored, but not one at a time: [`Searcher`] walks each tree once per
//! partial change set for all features together (starting from the row's own walk, so only the
//! subtrees a change set reroutes are walked again), and levels past the first skip change sets
//! that could no longer be chosen. The result is the same as re-scoring every candidate on the
//! model (a unit test keeps that plain search as the oracle).

use std::collections::hash_map::Entry;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, PoisonError};

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

/// The model a [`Searcher`] prepared: borrowed, or shared with whoever else holds it.
enum Held<'m> {
    Borrowed(&'m Model),
    Shared(Arc<Model>),
}

impl std::ops::Deref for Held<'_> {
    type Target = Model;

    fn deref(&self) -> &Model {
        match self {
            Held::Borrowed(m) => m,
            Held::Shared(m) => m,
        }
    }
}

/// A model prepared for recourse searches: the candidate values of every feature and, for
/// every split, which of its feature's candidates go left.
///
/// A search re-scores every candidate change, so instead of walking each tree once per
/// candidate, it walks each tree once per feature, following the row except at splits on that
/// feature, where the ascending candidates divide into runs; each leaf reached adds its value to
/// a run of candidates at once. Margins found this way are summed in another order than
/// [`Model::predict_margin`], so any within `1e-9` of the favourable threshold, and every option
/// returned, are re-scored: on the searcher's copy of the trees, in the model's order, which
/// gives [`Model::predict_margin`]'s margin to the bit (debug builds check that it does).
///
/// The row's own sweep is kept: a change set's sweep starts from it and walks again only the
/// subtrees that hold a split the change set sends the other way, and a re-score walks only the
/// trees where such a split is on the row's path. Two change sets that send the same splits the
/// other way (two candidates between the same thresholds) share one sweep.
///
/// A `Searcher` is `Sync`; searches on many threads share it, each with its own buffers (kept
/// in a small pool, so that a search allocates nothing large).
pub struct Searcher<'m> {
    model: Held<'m>,
    /// Per feature, candidate values in the order options are enumerated.
    candidates: Vec<Vec<f64>>,
    /// Per feature, each candidate's position in ascending order.
    rank: Vec<Vec<u32>>,
    /// Per feature, its candidates (by index into `candidates`) in ascending order.
    ascending: Vec<Vec<u32>>,
    /// Buffers of finished searches, for the next ones.
    pool: Mutex<Vec<Work>>,
    /// Per tree, where its nodes start in `nodes`; then where the last one's end.
    offsets: Vec<usize>,
    /// Every node of every tree in depth-first order (a split's left child follows it, so a
    /// subtree is a range), compact, for the sweeps.
    nodes: Vec<Packed>,
    /// Per node, its index in its tree's [`Tree::nodes`] (for splits routed by [`Tree::route`]).
    orig: Vec<u32>,
    /// Non-monotone splits' runs (categorical, LightGBM's zero as missing).
    runs: Vec<Runs>,
    /// Per feature, its splits as (tree, node, the node), in tree order.
    splits: Vec<Vec<(u32, u32, Packed)>>,
}

/// A node for the sweeps, 16 bytes so that a model's nodes stay in cache. A split: its feature
/// and [`Kind`], its right child (the left one is the next node), the threshold to route the
/// row without the full [`Node`](crate::Node) and which candidates of the split's feature go
/// left ([`Runs`] by index into [`Searcher::runs`], or when below [`RUNS`], the first `cut`: a
/// [`Runs::Cut`] inline). A leaf: [`LEAF`] and its value times its tree's weight.
#[derive(Clone, Copy)]
struct Packed {
    /// Split feature with its [`Kind`] in the top two bits, or [`LEAF`].
    word: u32,
    right: u32,
    /// A split's threshold (f32 bits); a leaf's value, low half.
    lo: u32,
    /// A split's cut; a leaf's value, high half.
    hi: u32,
}

/// [`Packed::word`] of a leaf.
const LEAF: u32 = u32::MAX;
/// Where [`Kind`] starts in [`Packed::word`] (features are fewer than [`crate::ir::MAX_FEATURES`]).
const KIND_SHIFT: u32 = 30;
/// [`Packed::hi`] (a cut) at or above this refers to [`Searcher::runs`].
const RUNS: u32 = 1 << 31;

/// How a split routes a value.
#[derive(Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
enum Kind {
    /// `NaN` goes right, else `(v as f32) < threshold` goes left.
    LessF32DefaultRight = 0,
    /// `NaN` goes left, else `(v as f32) < threshold` goes left.
    LessF32DefaultLeft = 1,
    /// [`Tree::route`] on the original node.
    General = 2,
}

impl Packed {
    fn leaf(value: f64) -> Self {
        let bits = value.to_bits();
        Packed { word: LEAF, right: u32::MAX, lo: bits as u32, hi: (bits >> 32) as u32 }
    }

    fn split(feature: u32, kind: Kind, threshold: f32, cut: u32) -> Self {
        debug_assert!(feature < 1 << KIND_SHIFT);
        Packed {
            word: feature | (kind as u32) << KIND_SHIFT,
            right: u32::MAX,
            lo: threshold.to_bits(),
            hi: cut,
        }
    }

    #[inline]
    fn is_leaf(self) -> bool {
        self.word == LEAF
    }

    #[inline]
    fn feature(self) -> usize {
        (self.word & ((1 << KIND_SHIFT) - 1)) as usize
    }

    #[inline]
    fn default_left(self) -> bool {
        self.word >> KIND_SHIFT == Kind::LessF32DefaultLeft as u32
    }

    #[inline]
    fn general(self) -> bool {
        self.word >> KIND_SHIFT == Kind::General as u32
    }

    #[inline]
    fn threshold(self) -> f32 {
        f32::from_bits(self.lo)
    }

    #[inline]
    fn cut(self) -> u32 {
        self.hi
    }

    #[inline]
    fn value(self) -> f64 {
        f64::from_bits(u64::from(self.hi) << 32 | u64::from(self.lo))
    }
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
        Searcher::prepare(Held::Borrowed(model))
    }

    /// The prepared model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    fn prepare(model: Held<'m>) -> Self {
        let candidates = tree_candidates(&model);
        let sorted: Vec<Vec<f64>> = candidates
            .iter()
            .map(|c| {
                let mut s = c.clone();
                s.sort_by(f64::total_cmp);
                s
            })
            .collect();
        let rank: Vec<Vec<u32>> = candidates
            .iter()
            .zip(&sorted)
            .map(|(c, s)| {
                // Candidates are distinct bit patterns, so each has one position.
                c.iter().map(|v| s.partition_point(|w| w.total_cmp(v).is_lt()) as u32).collect()
            })
            .collect();
        let ascending = rank
            .iter()
            .map(|r| {
                let mut a = vec![0u32; r.len()];
                for (c, &p) in r.iter().enumerate() {
                    a[p as usize] = c as u32;
                }
                a
            })
            .collect();
        let mut offsets = Vec::new();
        let mut nodes: Vec<Packed> = Vec::new();
        let mut orig = Vec::new();
        let mut all_runs = Vec::new();
        let mut splits: Vec<Vec<(u32, u32, Packed)>> = vec![Vec::new(); model.n_features()];
        if let ModelBody::Trees(e) = &model.body {
            for (ti, t) in e.trees.iter().enumerate() {
                offsets.push(nodes.len());
                // Depth first from the root, left before right: (node, the parent whose right
                // child it is). Loaders validate that children are in range and that every node
                // has one parent, so this visits each reachable node once.
                let mut stack: Vec<(u32, Option<usize>)> = vec![(0, None)];
                while let Some((i, parent)) = stack.pop() {
                    let here = nodes.len();
                    if let Some(p) = parent {
                        nodes[p].right = here as u32;
                    }
                    let n = &t.nodes[i as usize];
                    orig.push(i);
                    if n.is_leaf() {
                        nodes.push(Packed::leaf(t.weight * n.value));
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
                    let split = Packed::split(n.feature, kind, n.threshold as f32, cut);
                    nodes.push(split);
                    splits[j].push((ti as u32, here as u32, split));
                    stack.push((n.right, Some(here)));
                    stack.push((n.left, None));
                }
            }
        }
        offsets.push(nodes.len());
        Searcher {
            model,
            candidates,
            rank,
            ascending,
            pool: Mutex::new(Vec::new()),
            offsets,
            nodes,
            orig,
            runs: all_runs,
            splits,
        }
    }

    /// Searches for up to `cfg.max_options` diverse, cheapest changes that make the outcome
    /// favourable, as [`search`] does.
    ///
    /// # Errors
    /// [`ExplainError`] when the row or configuration does not fit the model.
    pub fn search(&self, x: &[f64], cfg: &RecourseConfig) -> Result<Recourse, ExplainError> {
        let model: &Model = &self.model;
        model.check_row(0, x)?;
        check_config(model, cfg)?;
        let margin = match &model.body {
            ModelBody::Trees(e) => self.predict(e, x)[cfg.output],
            ModelBody::Linear(_) => model.predict_margin(x)?[cfg.output],
        };
        if cfg.favourable.holds(margin) {
            return Ok(Recourse::AlreadyFavourable);
        }
        match &model.body {
            ModelBody::Linear(l) => Ok(linear_search(model, &l.coefficients, x, cfg, margin)),
            ModelBody::Trees(e) => {
                // A pool of buffers, so that a search allocates nothing large: searches run
                // one at a time per buffer set, on as many threads as share the searcher.
                let work = self.pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
                let mut work = work.unwrap_or_else(|| Work::new(&self.candidates));
                let found = self.tree_search(e, x, cfg, margin, &mut work);
                let mut pool = self.pool.lock().unwrap_or_else(PoisonError::into_inner);
                if pool.len() < POOL {
                    pool.push(work);
                }
                found
            }
        }
    }

    fn tree_search(
        &self,
        e: &Ensemble,
        x: &[f64],
        cfg: &RecourseConfig,
        margin: f64,
        work: &mut Work,
    ) -> Result<Recourse, ExplainError> {
        let model: &Model = &self.model;
        let Work { scratch, margins, cells, singles, by_position, index, row, next } = work;
        // Every allowed single change, in enumeration order: (feature, value, ascending position);
        // per feature, its allowed singles as (ascending position, index in `singles`).
        singles.clear();
        let mut wanted = vec![false; x.len()];
        for (j, vs) in self.candidates.iter().enumerate() {
            index.clear();
            for (&v, &p) in vs.iter().zip(&self.rank[j]) {
                if allowed(cfg, j, x[j], v) {
                    index.push(singles.len());
                    singles.push((j, v, p));
                } else {
                    index.push(usize::MAX);
                }
            }
            wanted[j] = singles.last().is_some_and(|s| s.0 == j);
            by_position[j].clear();
            by_position[j].extend(
                self.ascending[j]
                    .iter()
                    .map(|&c| index[c as usize])
                    .filter(|&si| si != usize::MAX)
                    .map(|si| (singles[si].2, si)),
            );
        }
        let singles: &[(usize, f64, u32)] = singles;
        let by_position: &[Vec<(u32, usize)>] = by_position;
        // Swept margins are within about 1e-13 of the model's; closer than this to a decision
        // (the favourable threshold, the beam's cut) they are re-scored.
        let near = |m: f64| 1e-9 * (1.0 + m.abs());
        // Per feature and candidate, which run of equal leaves it is in (`cells`): one re-score
        // serves a run.
        let mut cache: HashMap<(usize, usize, usize, u32), f64> = HashMap::new();
        // Options of the last level costing more than this cannot be chosen (see `choice_bound`).
        let mut bound = f64::INFINITY;
        // Per feature, the cheapest of its allowed changes.
        let mut min_cost = vec![f64::INFINITY; x.len()];
        for &(j, v, _) in singles {
            min_cost[j] = min_cost[j].min(cost(cfg, j, x[j], v));
        }
        let mut skip: Vec<bool> = wanted.iter().map(|&w| !w).collect();
        // The row's own sweep (level 0's only one), kept for the change sets after it.
        self.sweep_row(e, x, cfg.output, &skip, cfg.max_changes > 1, scratch, row);
        let row: &RowSweep = row;
        let mut rescorer = Rescorer::new(self, e, x, row, cfg.output);
        // Per level, the change sets to extend and their margins, exactly as the model scores them.
        let mut beams: Vec<Vec<(Changes, f64)>> = vec![vec![(Vec::new(), margin)]];
        // Only the cheapest option per set of changed features can be chosen (the others change
        // the same features, a superset of it), so only those are kept.
        let mut found: HashMap<Vec<usize>, Found> = HashMap::new();
        let n = x.len();
        let mut searched = 0usize;
        let mut y = x.to_vec();
        let mut changed = Vec::new();
        // The changed splits and skipped features of the last sweep, and per feature whether
        // its scan found a candidate that flips or is near flipping.
        let mut swept: Option<Swept> = None;
        let mut hits: Vec<Option<bool>> = vec![None; x.len()];
        for level in 0..cfg.max_changes {
            let last = level + 1 == cfg.max_changes;
            // Non-flipping candidates: (gap, base, single, whether the margin is exact).
            next.clear();
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
                if level > 0 {
                    self.changed(e, x, base, &mut changed);
                    // A change set that sends the same splits another way as the last one swept
                    // (the other candidate between the same two thresholds) routes `y` the
                    // same way everywhere: its sweep is the same, as is its margin.
                    let same = swept.as_ref().is_some_and(|s| {
                        s.changed == changed && skip.iter().zip(&s.skip).all(|(&now, &then)| now || !then)
                    });
                    if !same {
                        self.sweep_from(e, row, &y, cfg.output, &skip, &changed, scratch);
                        let s = swept.get_or_insert_with(Swept::default);
                        std::mem::swap(&mut s.changed, &mut changed);
                        s.skip.clone_from(&skip);
                        hits.fill(None);
                    }
                }
                if last {
                    // Only flips matter now, and per feature only the cheapest: scan each
                    // feature's candidates in ascending order, summing the sweep as we go.
                    for j in 0..n {
                        if skip[j] {
                            continue;
                        }
                        searched += by_position[j].len();
                        let (diff, active, bounds) =
                            (&scratch.diff[j], &scratch.active[j], &scratch.bound[j]);
                        // A candidate where no tree changes leaf has `y`'s margin, which does
                        // not flip; the others flip or are re-scored only when their margin is
                        // at most `near` from flipping. One tight pass, with the same sums as
                        // the scan below, finds whether any is.
                        let any = *hits[j].get_or_insert_with(|| {
                            let (mut acc, mut live, mut any) = (0.0f64, 0i32, false);
                            for (d, a) in diff.iter().zip(active) {
                                acc += d;
                                live += a;
                                if live == 0 {
                                    acc = 0.0;
                                }
                                let m = m_y + acc;
                                any |= live != 0 && cfg.favourable.gap(m) <= near(m);
                            }
                            any
                        });
                        if !any {
                            continue;
                        }
                        let (mut acc, mut live, mut cell, mut p) = (0.0f64, 0i32, 0u32, 0usize);
                        for &(pos, si) in &by_position[j] {
                            while p <= pos as usize {
                                acc += diff[p];
                                live += active[p];
                                cell += u32::from(bounds[p] != 0);
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
                                        let m = rescorer.margin(base, j, v);
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
                self.prefix(m_y, &skip, margins, cells, scratch);
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
                                let m = rescorer.margin(base, j, v);
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
            for &(approx, bi, si, m, is_exact, cell) in next.iter() {
                let (j, v) = (singles[si].0, singles[si].1);
                let m = if is_exact {
                    m
                } else if let Some(&m) = cache.get(&(level, bi, j, cell)) {
                    m
                } else {
                    let m = rescorer.margin(&beam[bi].0, j, v);
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
            let base = &beams[f.level][f.base].0;
            let (j, v) = (singles[f.single].0, singles[f.single].1);
            let mut ch = base.clone();
            ch.push((j, v));
            // With one output, the re-scorer's margin is all of them.
            let rescore = |y: &[f64]| {
                Ok(if model.n_outputs() == 1 {
                    vec![rescorer.margin(base, j, v)]
                } else {
                    self.predict(e, y)
                })
            };
            if chosen.offer(ch, f.cost, Some(f.margin), rescore)? {
                break;
            }
        }
        Ok(Recourse::Options(chosen.options))
    }

    /// The runs of candidates `a..b` of split `n`'s feature with one direction each.
    #[inline]
    fn split(&self, n: Packed, a: u32, b: u32) -> impl Iterator<Item = (bool, u32, u32)> + '_ {
        let inline = Runs::Cut(n.cut());
        let runs = if n.cut() < RUNS { None } else { self.runs.get((n.cut() - RUNS) as usize) };
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

    /// Whether `y` goes left at split `node` of tree `t`.
    #[inline]
    fn goes_left(&self, t: &Tree, cmp: Comparison, node: usize, y: &[f64]) -> bool {
        // Rows are checked against the model's feature count; loaders validate features.
        self.goes_left_value(t, cmp, node, y[self.nodes[node].feature()])
    }

    /// Whether the value `v` of its feature goes left at split `node` of tree `t`.
    #[inline]
    fn goes_left_value(&self, t: &Tree, cmp: Comparison, node: usize, v: f64) -> bool {
        self.routes_left(t, cmp, self.nodes[node], node, v)
    }

    /// Whether the value `v` of its feature goes left at split `n`, `node` of tree `t`.
    #[inline]
    fn routes_left(&self, t: &Tree, cmp: Comparison, n: Packed, node: usize, v: f64) -> bool {
        if n.general() {
            return Tree::route_value(&t.nodes[self.orig[node] as usize], cmp, v).goes_left();
        }
        if v.is_nan() { n.default_left() } else { (v as f32) < n.threshold() }
    }

    /// The child of split `node` that `left` names.
    #[inline]
    fn child(&self, node: usize, left: bool) -> usize {
        if left { node + 1 } else { self.nodes[node].right as usize }
    }

    /// The leaf `y` reaches in tree `ti`.
    fn leaf(&self, e: &Ensemble, ti: usize, y: &[f64]) -> usize {
        let t = &e.trees[ti];
        let mut node = self.offsets[ti];
        while !self.nodes[node].is_leaf() {
            node = self.child(node, self.goes_left(t, e.comparison, node, y));
        }
        node
    }

    /// The margins (one per output) of `y`: the same sums in the same order as
    /// [`Model::predict_margin`], on the searcher's copy of the trees, so the same to the bit.
    fn predict(&self, e: &Ensemble, y: &[f64]) -> Vec<f64> {
        let mut out = self.model.base_margin.clone();
        for (ti, t) in e.trees.iter().enumerate() {
            out[t.group] += self.nodes[self.leaf(e, ti, y)].value();
        }
        debug_assert!(
            self.model
                .predict_margin(y)
                .is_ok_and(|m| m.iter().map(|v| v.to_bits()).eq(out.iter().map(|v| v.to_bits()))),
            "the searcher's trees score {out:?}"
        );
        out
    }

    /// Appends to `out` the splits that send `x` with `changes` another way than `x`, as
    /// (tree, node), sorted.
    fn changed(&self, e: &Ensemble, x: &[f64], changes: &[(usize, f64)], out: &mut Vec<(u32, u32)>) {
        out.clear();
        for &(k, v) in changes {
            for &(ti, node, n) in &self.splits[k] {
                let (t, i) = (&e.trees[ti as usize], node as usize);
                if self.routes_left(t, e.comparison, n, i, x[k]) != self.routes_left(t, e.comparison, n, i, v)
                {
                    out.push((ti, node));
                }
            }
        }
        if changes.len() > 1 {
            out.sort_unstable();
        }
    }

    /// For every feature `j` not skipped, leaves in `s` the differences that
    /// [`Searcher::prefix`] sums into the margin of output `group` when `x`'s feature `j` is set
    /// to each candidate, and records the sweep (`x`'s path and leaf in every tree, and, if
    /// `keep`, every difference added) so that sweeps of change sets can start from it.
    ///
    /// One walk per tree covers every feature: down `x`'s path, each split sends the candidates
    /// of its feature that go the other way into the other subtree, where they follow `x`
    /// except at splits on that same feature.
    #[expect(clippy::too_many_arguments, reason = "one sweep's inputs and its two outputs")]
    fn sweep_row(
        &self,
        e: &Ensemble,
        x: &[f64],
        group: usize,
        skip: &[bool],
        keep: bool,
        s: &mut Scratch,
        row: &mut RowSweep,
    ) {
        for (j, skipped) in skip.iter().enumerate() {
            if !skipped {
                s.diff[j].fill(0.0);
                s.active[j].fill(0);
                s.bound[j].fill(0);
            }
        }
        row.trees.clear();
        row.trees.resize(e.trees.len(), TreeSweep::default());
        row.path.clear();
        s.log.clear();
        s.recording = keep;
        for (ti, t) in e.trees.iter().enumerate() {
            if t.group != group {
                continue;
            }
            let path = row.path.len() as u32;
            let log = s.log.len() as u32;
            let leaf = self.sweep_tree(e, ti, x, skip, s, |index, node, left, s| {
                row.path.push(Step { node, index: index as u32, left, log_end: s.log.len() as u32 });
            });
            row.trees[ti] = TreeSweep {
                path,
                path_end: row.path.len() as u32,
                log,
                log_end: s.log.len() as u32,
                leaf: leaf as u32,
            };
        }
        s.recording = false;
        if keep {
            for (j, skipped) in skip.iter().enumerate() {
                if !skipped {
                    row.diff[j].copy_from_slice(&s.diff[j]);
                    row.active[j].copy_from_slice(&s.active[j]);
                    row.bound[j].copy_from_slice(&s.bound[j]);
                }
            }
            std::mem::swap(&mut row.log, &mut s.log);
        }
    }

    /// One tree of a sweep of `y`: its path, then off it for every feature not skipped.
    /// Calls `step` after each split on the path; returns `y`'s leaf.
    fn sweep_tree(
        &self,
        e: &Ensemble,
        ti: usize,
        y: &[f64],
        skip: &[bool],
        s: &mut Scratch,
        mut step: impl FnMut(usize, Packed, bool, &Scratch),
    ) -> usize {
        let t = &e.trees[ti];
        // `y`'s path first: its leaf's value is what every other leaf is measured against.
        s.path.clear();
        let mut node = self.offsets[ti];
        while !self.nodes[node].is_leaf() {
            let left = self.goes_left(t, e.comparison, node, y);
            s.path.push((self.nodes[node], node, left));
            node = self.child(node, left);
        }
        let walk = Walk { searcher: self, t, cmp: e.comparison, y, cur_value: self.nodes[node].value() };
        for i in 0..s.path.len() {
            let (n, index, left) = s.path[i];
            if !skip[n.feature()] {
                self.deviate_at(&walk, i, s);
            }
            step(index, n, left, s);
        }
        node
    }

    /// At the `i`th split of `y`'s path (`s.path`), walks the candidates of its feature that
    /// are still on the path there but go the other way into the other subtree.
    fn deviate_at(&self, walk: &Walk<'_>, i: usize, s: &mut Scratch) {
        let (n, index, left) = s.path[i];
        let f = n.feature();
        let other = self.child(index, !left);
        // All candidates, less those that earlier splits on the same feature sent off the path.
        let mut ranges = std::mem::take(&mut s.ranges);
        let mut narrowed = std::mem::take(&mut s.narrowed);
        ranges.clear();
        ranges.push((0, (s.diff[f].len() - 1) as u32));
        for &(m, _, l) in &s.path[..i] {
            if m.feature() == f {
                narrowed.clear();
                for &(a, b) in &ranges {
                    narrowed.extend(self.split(m, a, b).filter(|r| r.0 == l).map(|r| (r.1, r.2)));
                }
                std::mem::swap(&mut ranges, &mut narrowed);
            }
        }
        for &(a, b) in &ranges {
            for (l, ra, rb) in self.split(n, a, b) {
                if l != left {
                    walk.deviate(other, f, ra, rb, s);
                }
            }
        }
        s.ranges = ranges;
        s.narrowed = narrowed;
    }

    /// What [`Searcher::sweep_row`] leaves in `s`, for `y`: the row with some changes, which
    /// send exactly the splits `changed` (sorted) another way. Starts from the row's sweep and
    /// re-walks only trees with such a split: a whole tree when one is on the row's path (`y`'s
    /// path differs), else only the subtrees off the path that hold one.
    #[expect(clippy::too_many_arguments, reason = "one sweep's inputs; a struct would only rename them")]
    fn sweep_from(
        &self,
        e: &Ensemble,
        row: &RowSweep,
        y: &[f64],
        group: usize,
        skip: &[bool],
        changed: &[(u32, u32)],
        s: &mut Scratch,
    ) {
        for (j, skipped) in skip.iter().enumerate() {
            if !skipped {
                s.diff[j].copy_from_slice(&row.diff[j]);
                s.active[j].copy_from_slice(&row.active[j]);
                s.bound[j].copy_from_slice(&row.bound[j]);
            }
        }
        let mut rest = changed;
        while let Some(&(ti, _)) = rest.first() {
            let k = rest.iter().position(|c| c.0 != ti).unwrap_or(rest.len());
            let (here, later) = rest.split_at(k);
            rest = later;
            let ti = ti as usize;
            let t = &e.trees[ti];
            if t.group != group {
                continue;
            }
            let r = &row.trees[ti];
            let path = &row.path[r.path as usize..r.path_end as usize];
            // Where `y` leaves the row's path, if it does: at the first changed split on it.
            let d = path.iter().position(|p| here.iter().any(|&(_, c)| c == p.index)).unwrap_or(path.len());
            // `y`'s path: the row's to that split, then its own, and its leaf.
            s.path.clear();
            s.path.extend(path[..d].iter().map(|p| (p.node, p.index as usize, p.left)));
            let mut leaf = r.leaf as usize;
            if let Some(p) = path.get(d) {
                s.path.push((p.node, p.index as usize, !p.left));
                leaf = self.child(p.index as usize, !p.left);
                while !self.nodes[leaf].is_leaf() {
                    let left = self.goes_left(t, e.comparison, leaf, y);
                    s.path.push((self.nodes[leaf], leaf, left));
                    leaf = self.child(leaf, left);
                }
            }
            let (cur_x, cur_y) = (self.nodes[r.leaf as usize].value(), self.nodes[leaf].value());
            let walk = Walk { searcher: self, t, cmp: e.comparison, y, cur_value: cur_y };
            // Above that split, `y` follows the row. A subtree off the path without a changed
            // split sends candidates to the same leaves, now measured from `y`'s leaf; one with
            // a changed split is walked again. The subtree of the current split ends at `end`
            // (depth-first order).
            let mut end = self.offsets[ti + 1] as u32;
            let mut from = r.log as usize;
            for (i, p) in path[..d].iter().enumerate() {
                let n = p.node;
                let off_path = if p.left { n.right..end } else { p.index + 1..n.right };
                if p.left {
                    end = n.right;
                }
                if !skip[n.feature()] {
                    let log = &row.log[from..p.log_end as usize];
                    if here.iter().any(|&(_, c)| off_path.contains(&c)) {
                        for u in log {
                            s.undo(u);
                        }
                        self.deviate_at(&walk, i, s);
                    } else if cur_x != cur_y {
                        for u in log {
                            s.shift(u, cur_x - cur_y);
                        }
                    }
                }
                from = p.log_end as usize;
            }
            // From there on, none of the row's differences hold: `y` turns the other way and
            // walks its own path.
            if d < path.len() {
                for u in &row.log[from..r.log_end as usize] {
                    if !skip[u.feature as usize] {
                        s.undo(u);
                    }
                }
                for i in d..s.path.len() {
                    if !skip[s.path[i].0.feature()] {
                        self.deviate_at(&walk, i, s);
                    }
                }
            }
        }
    }

    /// Sums a sweep's differences into margins and runs (see [`Searcher::sweep_row`]): into
    /// `out[j]` (one per candidate, ascending) the margin when `y`'s feature `j` is set to that
    /// candidate, and whether it is exactly the model's (no tree changes leaf, so it is `m_y`,
    /// `y`'s margin); into `cells[j]`, which run of candidates reaching the same leaves each is in.
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
                cell += u32::from(s.bound[j][p] != 0);
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

impl Searcher<'static> {
    /// Prepares `model`, kept shared: a searcher to hold beside others that use it.
    #[must_use]
    pub fn shared(model: Arc<Model>) -> Self {
        Searcher::prepare(Held::Shared(model))
    }
}

/// The last sweep of a search: the splits its change set sends another way, and the features
/// it skipped.
#[derive(Default)]
struct Swept {
    changed: Vec<(u32, u32)>,
    skip: Vec<bool>,
}

/// Most buffer sets a [`Searcher`] keeps for later searches.
const POOL: usize = 8;

/// The buffers of one search, sized for the searcher's candidates.
struct Work {
    scratch: Scratch,
    /// Per feature and candidate (ascending), the margin and whether it is exact.
    margins: Vec<Vec<(f64, bool)>>,
    /// Per feature and candidate (ascending), its run of candidates reaching the same leaves.
    cells: Vec<Vec<u32>>,
    singles: Vec<(usize, f64, u32)>,
    by_position: Vec<Vec<(u32, usize)>>,
    /// One feature's candidates' indices in `singles`.
    index: Vec<usize>,
    row: RowSweep,
    /// Non-flipping candidates of one level: (gap, base, single, margin, exact, cell).
    next: Vec<(f64, usize, usize, f64, bool, u32)>,
}

impl Work {
    fn new(candidates: &[Vec<f64>]) -> Self {
        Work {
            scratch: Scratch::new(candidates),
            margins: candidates.iter().map(|c| vec![(0.0, true); c.len()]).collect(),
            cells: candidates.iter().map(|c| vec![0; c.len()]).collect(),
            singles: Vec::new(),
            by_position: vec![Vec::new(); candidates.len()],
            index: Vec::new(),
            row: RowSweep {
                trees: Vec::new(),
                path: Vec::new(),
                diff: candidates.iter().map(|c| vec![0.0; c.len() + 1]).collect(),
                active: candidates.iter().map(|c| vec![0; c.len() + 1]).collect(),
                bound: candidates.iter().map(|c| vec![0; c.len() + 1]).collect(),
                log: Vec::new(),
            },
            next: Vec::new(),
        }
    }
}

/// The sweep of the row itself ([`Searcher::sweep_row`]).
struct RowSweep {
    /// Per tree (of the explained output).
    trees: Vec<TreeSweep>,
    /// Every tree's path.
    path: Vec<Step>,
    /// The sweep's differences, when kept.
    diff: Vec<Vec<f64>>,
    active: Vec<Vec<i32>>,
    bound: Vec<Vec<i32>>,
    /// Every difference the sweep added, when kept.
    log: Vec<Update>,
}

/// One tree of the row's sweep: its ranges in [`RowSweep::path`] and [`RowSweep::log`], and
/// the row's leaf.
#[derive(Clone, Copy, Default)]
struct TreeSweep {
    path: u32,
    path_end: u32,
    log: u32,
    log_end: u32,
    leaf: u32,
}

/// One split on the row's path: where the row goes, and where the differences its other
/// subtree added end in [`RowSweep::log`].
#[derive(Clone, Copy)]
struct Step {
    /// The split, and where it is in [`Searcher::nodes`].
    node: Packed,
    index: u32,
    left: bool,
    log_end: u32,
}

/// One leaf reached off the path: `d` added to candidates `a..b` of `feature`.
#[derive(Clone, Copy)]
struct Update {
    feature: u32,
    a: u32,
    b: u32,
    d: f64,
}

/// Exact margins of change sets, as [`Model::predict_margin`] sums them: trees whose splits
/// no change sends another way keep the row's leaf; the others are walked again.
struct Rescorer<'a> {
    searcher: &'a Searcher<'a>,
    e: &'a Ensemble,
    x: &'a [f64],
    row: &'a RowSweep,
    group: usize,
    y: Vec<f64>,
    changes: Changes,
    changed: Vec<(u32, u32)>,
}

impl<'a> Rescorer<'a> {
    fn new(
        searcher: &'a Searcher<'a>,
        e: &'a Ensemble,
        x: &'a [f64],
        row: &'a RowSweep,
        group: usize,
    ) -> Self {
        Rescorer { searcher, e, x, row, group, y: x.to_vec(), changes: Vec::new(), changed: Vec::new() }
    }

    /// The margin of the row with `base` and feature `j` set to `v`.
    fn margin(&mut self, base: &[(usize, f64)], j: usize, v: f64) -> f64 {
        self.changes.clear();
        self.changes.extend_from_slice(base);
        self.changes.push((j, v));
        self.y.copy_from_slice(self.x);
        for &(k, w) in &self.changes {
            self.y[k] = w;
        }
        let s = self.searcher;
        s.changed(self.e, self.x, &self.changes, &mut self.changed);
        // The same sum in the same order as `Model::predict_margin`: the base margin, then every
        // tree of the output in turn. A tree whose changed splits are all off the row's path
        // keeps the row's leaf; else `y` turns at the first one on it.
        let mut m = s.model.base_margin[self.group];
        let mut rest = &self.changed[..];
        for (ti, t) in self.e.trees.iter().enumerate() {
            let (here, later) = rest.split_at(rest.iter().take_while(|c| c.0 as usize == ti).count());
            rest = later;
            if t.group != self.group {
                continue;
            }
            let r = &self.row.trees[ti];
            let path = &self.row.path[r.path as usize..r.path_end as usize];
            let mut leaf = r.leaf as usize;
            if let Some(p) = path.iter().find(|p| here.iter().any(|&(_, c)| c == p.index)) {
                leaf = s.child(p.index as usize, !p.left);
                while !s.nodes[leaf].is_leaf() {
                    leaf = s.child(leaf, s.goes_left(t, self.e.comparison, leaf, &self.y));
                }
            }
            m += s.nodes[leaf].value();
        }
        m
    }
}

/// Per-feature buffers of one sweep, kept across sweeps.
struct Scratch {
    diff: Vec<Vec<f64>>,
    active: Vec<Vec<i32>>,
    /// How many runs of leaves start or end at each candidate (non-zero: a cell boundary).
    bound: Vec<Vec<i32>>,
    /// `y`'s path through the current tree: (split, its index, goes left).
    path: Vec<(Packed, usize, bool)>,
    /// Candidates of one feature still on the path, as ranges, and a spare.
    ranges: Vec<(u32, u32)>,
    narrowed: Vec<(u32, u32)>,
    /// Whether `add` also appends to `log`.
    recording: bool,
    log: Vec<Update>,
}

impl Scratch {
    fn new(candidates: &[Vec<f64>]) -> Self {
        Scratch {
            diff: candidates.iter().map(|c| vec![0.0; c.len() + 1]).collect(),
            active: candidates.iter().map(|c| vec![0; c.len() + 1]).collect(),
            bound: candidates.iter().map(|c| vec![0; c.len() + 1]).collect(),
            path: Vec::new(),
            ranges: Vec::new(),
            narrowed: Vec::new(),
            recording: false,
            log: Vec::new(),
        }
    }

    /// Candidates `a..b` of feature `f` reach a leaf `d` away from `y`'s.
    #[inline]
    fn add(&mut self, f: usize, a: u32, b: u32, d: f64) {
        let (a, b) = (a as usize, b as usize);
        self.diff[f][a] += d;
        self.diff[f][b] -= d;
        self.active[f][a] += 1;
        self.active[f][b] -= 1;
        self.bound[f][a] += 1;
        self.bound[f][b] += 1;
        if self.recording {
            self.log.push(Update { feature: f as u32, a: a as u32, b: b as u32, d });
        }
    }

    /// Moves an [`Scratch::add`] of the row's sweep by `delta`.
    #[inline]
    fn shift(&mut self, u: &Update, delta: f64) {
        let f = u.feature as usize;
        self.diff[f][u.a as usize] += delta;
        self.diff[f][u.b as usize] -= delta;
    }

    /// Takes back an [`Scratch::add`] of the row's sweep.
    #[inline]
    fn undo(&mut self, u: &Update) {
        let (f, a, b) = (u.feature as usize, u.a as usize, u.b as usize);
        self.diff[f][a] -= u.d;
        self.diff[f][b] += u.d;
        self.active[f][a] -= 1;
        self.active[f][b] += 1;
        self.bound[f][a] -= 1;
        self.bound[f][b] -= 1;
    }
}

/// One tree of one sweep: candidates of feature `f` that left `y`'s path.
struct Walk<'a> {
    searcher: &'a Searcher<'a>,
    t: &'a Tree,
    cmp: Comparison,
    y: &'a [f64],
    /// The value of `y`'s leaf.
    cur_value: f64,
}

impl Walk<'_> {
    /// Candidates `a..b` (ascending positions) of feature `f` reach `node` off `y`'s path.
    fn deviate(&self, node: usize, f: usize, a: u32, b: u32, s: &mut Scratch) {
        // Child indices were validated by the loader and laid out by `Searcher::new`.
        let n = self.searcher.nodes[node];
        if n.is_leaf() {
            // Off `y`'s path, so never its current leaf.
            s.add(f, a, b, n.value() - self.cur_value);
            return;
        }
        if n.feature() != f {
            let left = self.searcher.goes_left(self.t, self.cmp, node, self.y);
            return self.deviate(self.searcher.child(node, left), f, a, b, s);
        }
        for (left, ra, rb) in self.searcher.split(n, a, b) {
            self.deviate(self.searcher.child(node, left), f, ra, rb, s);
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

    /// Considers the next cheapest option; `true` once `max_options` are chosen. `swept` is
    /// the margin the search found, if it did not re-score it itself; `rescore` gives the
    /// margins (one per output) of the row with the changes, exactly as the model does.
    fn offer(
        &mut self,
        ch: Changes,
        cost: f64,
        swept: Option<f64>,
        rescore: impl FnOnce(&[f64]) -> Result<Vec<f64>, ExplainError>,
    ) -> Result<bool, ExplainError> {
        let set: BTreeSet<usize> = ch.iter().map(|&(j, _)| j).collect();
        // Diversity: skip an option that changes a superset of the features of a cheaper one.
        if self.sets.iter().any(|s| s.is_subset(&set)) {
            return Ok(false);
        }
        let mut y = self.x.to_vec();
        for &(j, to) in &ch {
            y[j] = to;
        }
        let margins = rescore(&y)?;
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
        if chosen.offer(ch, c, None, |y| model.predict_margin(y)).unwrap_or(false) {
            break;
        }
    }
    if chosen.options.is_empty() {
        Recourse::NoneWithinConstraints { searched }
    } else {
        Recourse::Options(chosen.options)
    }
}

/// The values a suggested change may take for one feature.
///
/// The search moves a feature just past a split threshold (for XGBoost, the `f32` just below
/// it, such as `50.999996`), which no one can act on. [`actionable`] moves each change to a
/// value the feature can really take and re-scores the option.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum FeatureStep {
    /// Any value: the search's own is kept.
    Free,
    /// Whole multiples of this (positive, finite) step: `1` for years or rupees.
    Every(f64),
    /// Only these values, such as the codes of a category.
    Values(Vec<f64>),
}

impl FeatureStep {
    /// The `k`-th value of this step at or past `to`, moving away from `from` (up when `from`
    /// is missing); `None` when there is none.
    fn snap(&self, from: f64, to: f64, k: usize) -> Option<f64> {
        let up = from.is_nan() || to > from;
        #[expect(clippy::cast_precision_loss, reason = "k is at most REPAIR")]
        let kf = k as f64;
        let v = match self {
            FeatureStep::Free => (k == 0).then_some(to)?,
            FeatureStep::Every(s) if *s > 0.0 && s.is_finite() => {
                // A step such as 0.01 is applied as a division by 100, so 1.31 stays 1.31.
                let inv = 1.0 / s;
                let n = if up { (to / s).ceil() + kf } else { (to / s).floor() - kf };
                if (inv - inv.round()).abs() < 1e-9 && inv >= 1.0 { n / inv.round() } else { n * s }
            }
            FeatureStep::Every(_) => (k == 0).then_some(to)?,
            FeatureStep::Values(values) => {
                let mut past: Vec<f64> =
                    values.iter().copied().filter(|&v| if up { v >= to } else { v <= to }).collect();
                past.sort_by(f64::total_cmp);
                if !up {
                    past.reverse();
                }
                *past.get(k)?
            }
        };
        (v.is_finite() && v != from).then_some(v)
    }
}

/// Extra steps [`actionable`] tries past each rounded change before it drops an option.
pub const REPAIR: usize = 3;

/// Feature names that are protected characteristics (or stand for one), matched on their words
/// case-insensitively: `age`, `Applicant Age`, `age_band` and `sex_male` all match, `mortgage`
/// does not. Recourse never suggests changing them unless a caller says otherwise.
pub const PROTECTED_WORDS: &[&[&str]] = &[
    &["age"],
    &["sex"],
    &["gender"],
    &["religion"],
    &["religious"],
    &["sect"],
    &["caste"],
    &["ethnicity"],
    &["ethnic"],
    &["race"],
    &["tribe"],
    &["nationality"],
    &["national", "origin"],
    &["marital"],
    &["marital", "status"],
    &["disability"],
    &["disabled"],
    &["pregnancy"],
    &["pregnant"],
    &["sexual", "orientation"],
    &["date", "of", "birth"],
    &["dob"],
    &["birth", "year"],
];

/// Whether `name` is a protected characteristic by its words (see [`PROTECTED_WORDS`]).
#[must_use]
pub fn is_protected_name(name: &str) -> bool {
    let lower = name.to_lowercase();
    let words: Vec<&str> = lower.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).collect();
    PROTECTED_WORDS.iter().any(|p| words.windows(p.len()).any(|w| w == *p))
}

/// Makes the options of `found` (a search with `cfg` from row `x`) actionable: each change is
/// moved to a value its feature can take (`steps`, one per feature), away from the current
/// value so it stays on the far side of the threshold the search found; each option is then
/// re-scored on the model. An option whose rounded values no longer make the outcome
/// favourable, or leave the bounds or allowed direction, is moved up to [`REPAIR`] further
/// steps, and dropped if that does not help. Options that round to the same changes are kept
/// once; at most `cfg.max_options`, cheapest first. When none is left, the result is
/// [`Recourse::NoneWithinConstraints`] counting the rounded rows tried.
///
/// # Errors
/// [`ExplainError`] when `steps` or the row does not fit the model.
pub fn actionable(
    model: &Model,
    x: &[f64],
    cfg: &RecourseConfig,
    steps: &[FeatureStep],
    found: Recourse,
) -> Result<Recourse, ExplainError> {
    check_config(model, cfg)?;
    if steps.len() != model.n_features() {
        return Err(ExplainError::Invalid {
            what: "recourse steps",
            detail: format!("{} steps given for {} features", steps.len(), model.n_features()),
        });
    }
    let Recourse::Options(options) = found else { return Ok(found) };
    let mut tried = 0;
    let mut kept: Vec<RecourseOption> = Vec::new();
    'options: for o in options {
        'repair: for k in 0..=REPAIR {
            let mut y = x.to_vec();
            let mut changes = Vec::with_capacity(o.changes.len());
            for c in &o.changes {
                let j = c.feature;
                let Some(to) = steps[j].snap(x[j], c.to, k) else { continue 'options };
                if !allowed(cfg, j, x[j], to) {
                    continue 'options;
                }
                y[j] = to;
                changes.push(Change { to, ..c.clone() });
            }
            tried += 1;
            let margins = model.predict_margin(&y)?;
            let margin = margins[cfg.output];
            if !cfg.favourable.holds(margin) {
                continue 'repair;
            }
            let option = RecourseOption {
                cost: changes.iter().map(|c| cost(cfg, c.feature, x[c.feature], c.to)).sum(),
                score: model.score(&margins, cfg.output),
                margin,
                changes,
            };
            let same = |a: &RecourseOption| {
                a.changes.len() == option.changes.len()
                    && a.changes
                        .iter()
                        .zip(&option.changes)
                        .all(|(p, q)| p.feature == q.feature && p.to == q.to)
            };
            if !kept.iter().any(same) {
                kept.push(option);
            }
            continue 'options;
        }
    }
    if kept.is_empty() {
        return Ok(Recourse::NoneWithinConstraints { searched: tried });
    }
    kept.sort_by(|a, b| a.cost.total_cmp(&b.cost));
    kept.truncate(cfg.max_options);
    Ok(Recourse::Options(kept))
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
            let output = r % m.n_outputs();
            let margin = m.predict_margin(x).expect("scores")[output];
            for (max_changes, flip) in [(1, false), (2, false), (3, true), (2, true)] {
                // Favourable above the row's own margin plus a step, so most rows need recourse.
                let favourable =
                    if flip { Favourable::Below(margin - 0.3) } else { Favourable::Above(margin + 0.3) };
                let cfg = RecourseConfig {
                    output,
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

    /// The engine's golden models: XGBoost numeric, categorical, multi-class and DART (trees
    /// weighted), LightGBM with zero as missing, categorical and NaN; and their rows.
    const CASES: [(&[u8], &[u8]); 7] = [
        (
            include_bytes!("../tests/data/xgboost/german_binary.json"),
            include_bytes!("../tests/data/xgboost/german_binary.golden.json"),
        ),
        (
            include_bytes!("../tests/data/xgboost/synth_categorical.json"),
            include_bytes!("../tests/data/xgboost/synth_categorical.golden.json"),
        ),
        (
            include_bytes!("../tests/data/xgboost/synth_multi.json"),
            include_bytes!("../tests/data/xgboost/synth_multi.golden.json"),
        ),
        (
            include_bytes!("../tests/data/xgboost/synth_dart.json"),
            include_bytes!("../tests/data/xgboost/synth_dart.golden.json"),
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

    #[test]
    fn prepared_search_finds_what_rescoring_every_candidate_finds() {
        for (model_bytes, golden) in CASES {
            check(&model(model_bytes), &rows(golden)[..12]);
        }
    }

    /// A sweep of `y` from scratch, for `output`, of the features `skip` leaves.
    fn sweep_afresh(s: &Searcher<'_>, e: &Ensemble, y: &[f64], output: usize, skip: &[bool]) -> Scratch {
        let mut scratch = Scratch::new(&s.candidates);
        let mut row = Work::new(&s.candidates).row;
        s.sweep_row(e, y, output, skip, false, &mut scratch, &mut row);
        scratch
    }

    /// A change set's sweep, started from the row's, leaves the differences a sweep of the
    /// changed row from scratch leaves (the same runs, the same sums to rounding), and its
    /// re-score is the model's margin to the bit: on every model, for change sets of one and
    /// two features that move across thresholds on and off the row's paths.
    #[test]
    fn sweeps_and_rescores_from_the_row_equal_those_from_scratch() {
        let mut compared = 0;
        for (model_bytes, golden) in CASES {
            let m = model(model_bytes);
            let ModelBody::Trees(e) = &m.body else { panic!("tree models") };
            let s = Searcher::new(&m);
            let n = m.n_features();
            for (r, x) in rows(golden)[..6].iter().enumerate() {
                let output = r % m.n_outputs();
                let mut scratch = Scratch::new(&s.candidates);
                let mut row = Work::new(&s.candidates).row;
                s.sweep_row(e, x, output, &vec![false; n], true, &mut scratch, &mut row);
                let mut rescorer = Rescorer::new(&s, e, x, &row, output);
                // Every third candidate of every feature, alone and with one of the next feature.
                let singles: Vec<(usize, f64)> =
                    (0..n).flat_map(|j| s.candidates[j].iter().step_by(3).map(move |&v| (j, v))).collect();
                for (i, &(k, v)) in singles.iter().enumerate() {
                    let partner = singles.iter().skip(i * 7 % singles.len()).find(|c| c.0 != k);
                    for changes in
                        [vec![(k, v)], [vec![(k, v)], partner.into_iter().copied().collect()].concat()]
                    {
                        let mut y = x.clone();
                        for &(j, w) in &changes {
                            y[j] = w;
                        }
                        let skip: Vec<bool> = (0..n).map(|j| changes.iter().any(|c| c.0 == j)).collect();
                        let mut changed = Vec::new();
                        s.changed(e, x, &changes, &mut changed);
                        s.sweep_from(e, &row, &y, output, &skip, &changed, &mut scratch);
                        let fresh = sweep_afresh(&s, e, &y, output, &skip);
                        for j in (0..n).filter(|&j| !skip[j]) {
                            assert_eq!(
                                scratch.active[j], fresh.active[j],
                                "feature {j}, changes {changes:?}"
                            );
                            assert_eq!(scratch.bound[j], fresh.bound[j], "feature {j}, changes {changes:?}");
                            let (mut a, mut b) = (0.0f64, 0.0f64);
                            for (p, (da, db)) in scratch.diff[j].iter().zip(&fresh.diff[j]).enumerate() {
                                (a, b) = (a + da, b + db);
                                assert!(
                                    (a - b).abs() <= 1e-12,
                                    "feature {j} at {p}: {a} from the row, {b} afresh"
                                );
                            }
                        }
                        let (&(j, w), base) = changes.split_last().expect("one change at least");
                        let want = m.predict_margin(&y).expect("scores")[output];
                        assert_eq!(
                            rescorer.margin(base, j, w).to_bits(),
                            want.to_bits(),
                            "changes {changes:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert!(compared > 1000, "compared {compared} change sets");
    }
}
