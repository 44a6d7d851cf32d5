//! The one tree representation every loader produces, and prediction on it.
//!
//! Thresholds keep the source library's precision and comparison (`<` in f32 for XGBoost,
//! `<=` in f64 for LightGBM) so that predicted margins equal the library's own.

use serde::Serialize;

use crate::ExplainError;

/// Most features a model may declare; a file claiming more is refused before anything is
/// allocated for them.
pub const MAX_FEATURES: usize = 1 << 20;

/// Most outputs (classes, trees per iteration) a model may declare.
pub const MAX_OUTPUTS: usize = 1 << 16;

/// Deepest tree accepted, in splits from the root to a leaf. Tree walks recurse (or keep a
/// path) this deep, so the limit keeps them off the end of the stack; real models stay far
/// below it.
pub const MAX_TREE_DEPTH: usize = 256;

/// How a numeric split compares a feature value with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Comparison {
    /// XGBoost: `value as f32 < threshold as f32` goes left.
    LessF32,
    /// LightGBM: `value <= threshold` in f64 goes left.
    LessEqF64,
}

/// What counts as a missing value at a split (LightGBM's missing types; XGBoost is `NaN`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MissingType {
    /// No missing handling: `NaN` is treated as `0.0`.
    None,
    /// Zero (and `NaN`) is missing and follows the default direction.
    Zero,
    /// `NaN` is missing and follows the default direction.
    NaN,
}

/// Where the cover (node weight used by path-dependent TreeSHAP) comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CoverSource {
    /// XGBoost `sum_hessian`.
    SumHessian,
    /// LightGBM `internal_count` / `leaf_count` (training rows).
    SampleCount,
    /// Not recorded in the file; path-dependent TreeSHAP is unavailable.
    Absent,
}

/// The output link from margin to the reported score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Link {
    /// The margin is the score.
    Identity,
    /// `1 / (1 + exp(-margin))`.
    Logistic,
    /// Softmax across outputs.
    Softmax,
}

/// One node. A leaf has `left == right == u32::MAX`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Node {
    /// Split feature (unused for leaves).
    pub feature: u32,
    /// Threshold, exactly as stored by the source (f32 values widened losslessly for XGBoost).
    pub threshold: f64,
    /// Left child index.
    pub left: u32,
    /// Right child index.
    pub right: u32,
    /// Whether a missing value goes left.
    pub default_left: bool,
    /// What counts as missing here.
    pub missing: MissingType,
    /// Categorical split: sorted category codes that go to `categories_left ? left : right`.
    pub categories: Option<Vec<u32>>,
    /// Whether the listed categories go left (LightGBM) or right (XGBoost).
    pub categories_left: bool,
    /// Leaf value (only meaningful for leaves).
    pub value: f64,
    /// Cover (training weight reaching the node).
    pub cover: f64,
}

impl Node {
    /// Whether this node is a leaf.
    #[must_use]
    pub fn is_leaf(&self) -> bool {
        self.left == u32::MAX
    }
}

/// How one value was routed at one split.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    /// Went left by comparison or category.
    Left,
    /// Went right by comparison or category.
    Right,
    /// Was missing and followed the default direction (left when `true`).
    Default(bool),
}

impl Route {
    /// Whether the value goes left.
    #[must_use]
    pub fn goes_left(self) -> bool {
        matches!(self, Route::Left | Route::Default(true))
    }
}

/// One regression tree.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tree {
    /// Nodes; index 0 is the root.
    pub nodes: Vec<Node>,
    /// Which output this tree adds to.
    pub group: usize,
    /// Multiplier on leaf values (dart weights, `1/iterations` for averaged models).
    pub weight: f64,
}

impl Tree {
    /// Routes `x` at node `n` (which must be a split).
    #[must_use]
    pub fn route(node: &Node, cmp: Comparison, x: &[f64]) -> Route {
        Tree::route_value(node, cmp, x.get(node.feature as usize).copied().unwrap_or(f64::NAN))
    }

    /// Routes the value `v` of the split's feature at node `node` (which must be a split).
    #[must_use]
    pub fn route_value(node: &Node, cmp: Comparison, v: f64) -> Route {
        if let Some(cats) = &node.categories {
            return match cmp {
                Comparison::LessF32 => {
                    if v.is_nan() {
                        return Route::Default(node.default_left);
                    }
                    // XGBoost: invalid categories (negative, non-finite, too large) go left;
                    // categories in the set go right.
                    let in_set =
                        v >= 0.0 && v < f64::from(u32::MAX) && cats.binary_search(&(v as u32)).is_ok();
                    if in_set { Route::Right } else { Route::Left }
                }
                Comparison::LessEqF64 => {
                    // LightGBM: NaN and negative categories go right; listed categories go left.
                    if v.is_nan() || v < 0.0 || v >= f64::from(u32::MAX) {
                        return Route::Right;
                    }
                    if cats.binary_search(&(v as u32)).is_ok() { Route::Left } else { Route::Right }
                }
            };
        }
        match cmp {
            Comparison::LessF32 => {
                if v.is_nan() {
                    Route::Default(node.default_left)
                } else if (v as f32) < (node.threshold as f32) {
                    Route::Left
                } else {
                    Route::Right
                }
            }
            Comparison::LessEqF64 => {
                // LightGBM's `kZeroThreshold` is the f32 literal `1e-35f`; its predictor reads
                // values with magnitude at or below it as exactly zero.
                let zero = f64::from(1e-35f32);
                let mut v = if v.abs() <= zero { 0.0 } else { v };
                if v.is_nan() && node.missing != MissingType::NaN {
                    v = 0.0;
                }
                let missing = match node.missing {
                    MissingType::None => false,
                    MissingType::Zero => v.abs() <= zero,
                    MissingType::NaN => v.is_nan(),
                };
                if missing {
                    Route::Default(node.default_left)
                } else if v <= node.threshold {
                    Route::Left
                } else {
                    Route::Right
                }
            }
        }
    }

    /// The leaf index `x` reaches.
    #[must_use]
    pub fn leaf(&self, cmp: Comparison, x: &[f64]) -> usize {
        let mut i = 0usize;
        // Loaders validate that child indices are in range and the tree is acyclic (children
        // have larger indices than parents), so this loop terminates and indexing is safe.
        while !self.nodes[i].is_leaf() {
            let n = &self.nodes[i];
            i = if Tree::route(n, cmp, x).goes_left() { n.left } else { n.right } as usize;
        }
        i
    }
}

/// Where a model came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Source {
    /// Library name (`xgboost`, `lightgbm`, `mizan-linear`).
    pub library: String,
    /// Library version recorded in the file, if any.
    pub version: String,
    /// Objective name as recorded.
    pub objective: String,
}

/// A tree ensemble.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Ensemble {
    /// Trees in file order.
    pub trees: Vec<Tree>,
    /// Split comparison used by every numeric split.
    pub comparison: Comparison,
    /// Whether leaf sums are averaged (LightGBM `average_output`, random forests).
    pub averaged: bool,
    /// Where covers come from.
    pub cover: CoverSource,
}

/// A linear model on the margin: `intercept + Σ coefficient·x`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LinearModel {
    /// Coefficients, one per feature.
    pub coefficients: Vec<f64>,
    /// Reference (mean) feature values for the closed-form SHAP baseline.
    pub feature_means: Vec<f64>,
    /// Median absolute deviation per feature, for recourse costs.
    pub feature_mads: Option<Vec<f64>>,
}

/// The model body.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub enum ModelBody {
    /// A tree ensemble.
    Trees(Ensemble),
    /// A linear model (one output).
    Linear(LinearModel),
}

/// A loaded model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Model {
    /// Provenance.
    pub source: Source,
    /// Feature names in model order (generated `f0..` when the file has none).
    pub feature_names: Vec<String>,
    /// Base margin per output.
    pub base_margin: Vec<f64>,
    /// Link from margin to score.
    pub link: Link,
    /// Trees or coefficients.
    pub body: ModelBody,
}

impl Model {
    /// Number of input features.
    #[must_use]
    pub fn n_features(&self) -> usize {
        self.feature_names.len()
    }

    /// Number of outputs (classes for softmax models, else one).
    #[must_use]
    pub fn n_outputs(&self) -> usize {
        self.base_margin.len()
    }

    /// Checks a row's length.
    ///
    /// # Errors
    /// [`ExplainError::FeatureCount`] when it differs from the model's.
    pub fn check_row(&self, row: usize, x: &[f64]) -> Result<(), ExplainError> {
        if x.len() == self.n_features() {
            Ok(())
        } else {
            Err(ExplainError::FeatureCount { row, got: x.len(), expected: self.n_features() })
        }
    }

    /// Margins (one per output), summed in f64.
    ///
    /// # Errors
    /// [`ExplainError::FeatureCount`] when the row has the wrong length.
    pub fn predict_margin(&self, x: &[f64]) -> Result<Vec<f64>, ExplainError> {
        self.check_row(0, x)?;
        let mut out = self.base_margin.clone();
        match &self.body {
            ModelBody::Trees(e) => {
                for t in &e.trees {
                    let leaf = t.leaf(e.comparison, x);
                    out[t.group] += t.weight * t.nodes[leaf].value;
                }
            }
            ModelBody::Linear(l) => {
                out[0] += l.coefficients.iter().zip(x).map(|(w, v)| w * v).sum::<f64>();
            }
        }
        Ok(out)
    }

    /// Margins accumulated in f32 in tree order, the way XGBoost does.
    ///
    /// # Errors
    /// [`ExplainError::FeatureCount`] when the row has the wrong length.
    pub fn predict_margin_f32(&self, x: &[f64]) -> Result<Vec<f32>, ExplainError> {
        self.check_row(0, x)?;
        let mut out: Vec<f32> = self.base_margin.iter().map(|&b| b as f32).collect();
        if let ModelBody::Trees(e) = &self.body {
            for t in &e.trees {
                let leaf = t.leaf(e.comparison, x);
                out[t.group] += (t.weight * t.nodes[leaf].value) as f32;
            }
        }
        Ok(out)
    }

    /// The reported score for one output: the link applied to the margins.
    #[must_use]
    pub fn score(&self, margins: &[f64], output: usize) -> f64 {
        match self.link {
            Link::Identity => margins[output],
            Link::Logistic => 1.0 / (1.0 + (-margins[output]).exp()),
            Link::Softmax => {
                let m = margins.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                let s: f64 = margins.iter().map(|v| (v - m).exp()).sum();
                (margins[output] - m).exp() / s
            }
        }
    }
}

/// Validates tree structure: children in range and after their parent (so traversal
/// terminates), one parent per node (so a walk visits each node once, not once per path to it),
/// and at most [`MAX_TREE_DEPTH`] splits deep.
pub(crate) fn validate_tree(
    tree: &Tree,
    n_features: usize,
    format: &'static str,
    index: usize,
) -> Result<(), ExplainError> {
    let n = tree.nodes.len();
    if n == 0 {
        return Err(ExplainError::Format {
            format,
            at: format!("tree {index}"),
            detail: "tree has no nodes".into(),
        });
    }
    // Depth of each node plus one; zero for a node no split has reached yet.
    let mut depth = vec![0usize; n];
    depth[0] = 1;
    for (i, node) in tree.nodes.iter().enumerate() {
        if node.is_leaf() {
            if !node.value.is_finite() {
                return Err(ExplainError::Format {
                    format,
                    at: format!("tree {index} node {i}"),
                    detail: format!("leaf value `{}` is not finite", node.value),
                });
            }
            continue;
        }
        let (l, r) = (node.left as usize, node.right as usize);
        if l <= i || r <= i || l >= n || r >= n {
            return Err(ExplainError::Format {
                format,
                at: format!("tree {index} node {i}"),
                detail: format!("children `{l}`/`{r}` are out of range or not after their parent"),
            });
        }
        for c in [l, r] {
            if depth[c] != 0 || l == r {
                return Err(ExplainError::Format {
                    format,
                    at: format!("tree {index} node {i}"),
                    detail: format!("node `{c}` has a second parent; each tree node has one"),
                });
            }
            depth[c] = depth[i] + 1;
        }
        if depth[i] > MAX_TREE_DEPTH {
            return Err(ExplainError::Unsupported {
                format,
                what: "tree depth",
                value: format!("tree {index} deeper than {MAX_TREE_DEPTH} splits"),
                supported: "trees at most 256 splits deep",
            });
        }
        if node.feature as usize >= n_features {
            return Err(ExplainError::Format {
                format,
                at: format!("tree {index} node {i}"),
                detail: format!("split feature `{}` but the model has {n_features} features", node.feature),
            });
        }
    }
    Ok(())
}
