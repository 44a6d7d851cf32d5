//! LightGBM `model.txt` loader into the tree IR.
//!
//! Keeps thresholds in f64 with LightGBM's `<=` comparison, the three missing-value types
//! (None, Zero, NaN), categorical bitsets and `average_output`. The initial score is already
//! folded into the first tree's leaves by LightGBM, so the base margin is zero. Linear trees and
//! unknown objectives are refused by name.

use std::collections::HashMap;

use crate::ExplainError;
use crate::error::shown;
use crate::ir::{
    Comparison, CoverSource, Ensemble, Link, MAX_FEATURES, MAX_OUTPUTS, MissingType, Model, ModelBody, Node,
    Source, Tree, validate_tree,
};

const FORMAT: &str = "lightgbm";

fn err(line: usize, detail: impl Into<String>) -> ExplainError {
    ExplainError::Format { format: FORMAT, at: format!("line {}", line + 1), detail: detail.into() }
}

struct Block<'a> {
    start: usize,
    fields: HashMap<&'a str, (usize, &'a str)>,
}

impl<'a> Block<'a> {
    fn raw(&self, key: &str) -> Result<(usize, &'a str), ExplainError> {
        self.fields.get(key).copied().ok_or_else(|| err(self.start, format!("tree is missing `{key}`")))
    }

    fn list<T: std::str::FromStr>(&self, key: &str, len: usize) -> Result<Vec<T>, ExplainError> {
        let (line, v) = self.raw(key)?;
        let out: Vec<T> = v
            .split_whitespace()
            .map(|p| {
                p.parse::<T>().map_err(|_| err(line, format!("`{key}` value `{}` is not a number", shown(p))))
            })
            .collect::<Result<_, _>>()?;
        if out.len() != len {
            return Err(err(line, format!("`{key}` has {} values, expected {len}", out.len())));
        }
        Ok(out)
    }

    fn int(&self, key: &str) -> Result<usize, ExplainError> {
        let (line, v) = self.raw(key)?;
        v.trim().parse().map_err(|_| err(line, format!("`{key}` value `{}` is not a count", shown(v))))
    }
}

/// Loads a LightGBM `model.txt`.
///
/// # Errors
/// [`ExplainError::Format`] with the line number for malformed input, and
/// [`ExplainError::Unsupported`] for linear trees and unknown objectives.
pub fn load_model_txt(text: &str) -> Result<Model, ExplainError> {
    let mut header: HashMap<&str, (usize, &str)> = HashMap::new();
    let mut flags = Vec::new();
    let mut blocks: Vec<Block<'_>> = Vec::new();
    let mut ended = false;
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line == "end of trees" {
            ended = true;
            break;
        }
        match line.split_once('=') {
            Some(("Tree", _)) => blocks.push(Block { start: i, fields: HashMap::new() }),
            Some((k, v)) => match blocks.last_mut() {
                Some(b) => {
                    b.fields.insert(k, (i, v));
                }
                None => {
                    header.insert(k, (i, v));
                }
            },
            None if blocks.is_empty() => flags.push(line),
            None => return Err(err(i, format!("unexpected line `{}` inside a tree", shown(line)))),
        }
    }
    if !ended {
        return Err(err(
            text.lines().count().saturating_sub(1),
            "file is truncated: `end of trees` not found",
        ));
    }
    let h = |k: &str| header.get(k).copied().ok_or_else(|| err(0, format!("header is missing `{k}`")));
    let hint = |k: &str, max: usize| -> Result<usize, ExplainError> {
        let (l, v) = h(k)?;
        v.trim()
            .parse()
            .ok()
            .filter(|&n| n <= max)
            .ok_or_else(|| err(l, format!("`{k}` value `{}` is not a count from 0 to {max}", shown(v))))
    };
    let version = header.get("version").map(|(_, v)| (*v).to_string()).unwrap_or_default();
    let n_class = hint("num_class", MAX_OUTPUTS)?.max(1);
    let per_iter = hint("num_tree_per_iteration", MAX_OUTPUTS)?.max(1);
    let n_features = hint("max_feature_idx", MAX_FEATURES - 1)? + 1;
    let (_, objective) = h("objective")?;
    let objective = objective.trim().to_string();
    let kind = objective.split_whitespace().next().unwrap_or_default();
    let link = match kind {
        "binary" | "cross_entropy" | "xentropy" => Link::Logistic,
        "regression" | "regression_l2" | "regression_l1" | "huber" | "fair" | "quantile" | "mape" | "l2"
        | "l1" | "mse" | "mae" => Link::Identity,
        "multiclass" | "softmax" => Link::Softmax,
        other => {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "objective",
                value: shown(other),
                supported: "binary, cross_entropy, regression (l1, l2, huber, fair, quantile, mape), multiclass",
            });
        }
    };
    if link == Link::Softmax && per_iter != n_class {
        return Err(err(0, "`num_tree_per_iteration` differs from `num_class`"));
    }
    let feature_names: Vec<String> = match header.get("feature_names") {
        Some((l, v)) => {
            let names: Vec<String> = v.split_whitespace().map(str::to_string).collect();
            if names.len() != n_features {
                return Err(err(*l, format!("{} feature names for {n_features} features", names.len())));
            }
            names
        }
        None => (0..n_features).map(|i| format!("Column_{i}")).collect(),
    };
    let averaged = flags.contains(&"average_output");
    let iterations = blocks.len().div_ceil(per_iter).max(1);
    let mut trees = Vec::with_capacity(blocks.len());
    for (ti, b) in blocks.iter().enumerate() {
        if b.fields.get("is_linear").is_some_and(|(_, v)| v.trim() != "0") {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "tree type",
                value: "linear_tree".into(),
                supported: "constant-leaf trees",
            });
        }
        let n_leaves = b.int("num_leaves")?;
        if n_leaves == 0 {
            return Err(err(b.start, "`num_leaves` is zero"));
        }
        let leaf_value: Vec<f64> = b.list("leaf_value", n_leaves)?;
        let weight = if averaged { 1.0 / iterations as f64 } else { 1.0 };
        let group = ti % per_iter;
        if n_leaves == 1 {
            let nodes = vec![Node {
                feature: 0,
                threshold: 0.0,
                left: u32::MAX,
                right: u32::MAX,
                default_left: false,
                missing: MissingType::None,
                categories: None,
                categories_left: true,
                value: leaf_value[0],
                cover: 1.0,
            }];
            trees.push(Tree { nodes, group, weight });
            continue;
        }
        let ni = n_leaves - 1;
        let split_feature: Vec<usize> = b.list("split_feature", ni)?;
        let threshold: Vec<f64> = b.list("threshold", ni)?;
        let decision_type: Vec<u8> = b.list("decision_type", ni)?;
        let left: Vec<i64> = b.list("left_child", ni)?;
        let right: Vec<i64> = b.list("right_child", ni)?;
        let internal_count: Vec<f64> = b.list("internal_count", ni)?;
        let leaf_count: Vec<f64> = b.list("leaf_count", n_leaves)?;
        let num_cat = b.int("num_cat")?;
        let (cat_boundaries, cat_threshold): (Vec<usize>, Vec<u32>) = if num_cat > 0 {
            let bounds: Vec<usize> = b.list("cat_boundaries", num_cat.saturating_add(1))?;
            let total = *bounds.last().unwrap_or(&0);
            (bounds, b.list("cat_threshold", total)?)
        } else {
            (Vec::new(), Vec::new())
        };
        let child = |c: i64, line_key: &str| -> Result<u32, ExplainError> {
            // A negative child `c` is leaf `!c`, numbered after the `ni` internal nodes.
            let idx = if c < 0 { (ni as i64).checked_add(!c) } else { Some(c) };
            idx.and_then(|i| u32::try_from(i).ok())
                .filter(|&i| (i as usize) < ni + n_leaves)
                .ok_or_else(|| err(b.start, format!("`{line_key}` child `{c}` out of range")))
        };
        let mut nodes = Vec::with_capacity(ni + n_leaves);
        for i in 0..ni {
            let dt = decision_type[i];
            let missing = match (dt >> 2) & 3 {
                0 => MissingType::None,
                1 => MissingType::Zero,
                2 => MissingType::NaN,
                m => return Err(err(b.start, format!("node {i} has unknown missing type `{m}`"))),
            };
            let categories = if dt & 1 == 1 {
                let idx = threshold[i];
                if idx.fract() != 0.0 || idx < 0.0 || idx as usize >= num_cat {
                    return Err(err(b.start, format!("node {i} categorical index `{idx}` out of range")));
                }
                let (s, e) = (cat_boundaries[idx as usize], cat_boundaries[idx as usize + 1]);
                let words = cat_threshold.get(s..e).ok_or_else(|| {
                    err(b.start, format!("node {i} cat_boundaries `{s}..{e}` out of range"))
                })?;
                let mut set = Vec::new();
                for (w, word) in words.iter().enumerate() {
                    for bit in 0..32u32 {
                        if word >> bit & 1 == 1 {
                            set.push(w as u32 * 32 + bit);
                        }
                    }
                }
                Some(set)
            } else {
                None
            };
            nodes.push(Node {
                feature: u32::try_from(split_feature[i])
                    .map_err(|_| err(b.start, "split feature too large"))?,
                threshold: threshold[i],
                left: child(left[i], "left_child")?,
                right: child(right[i], "right_child")?,
                default_left: dt & 2 == 2,
                missing,
                categories,
                categories_left: true,
                value: 0.0,
                cover: internal_count[i],
            });
        }
        for l in 0..n_leaves {
            nodes.push(Node {
                feature: 0,
                threshold: 0.0,
                left: u32::MAX,
                right: u32::MAX,
                default_left: false,
                missing: MissingType::None,
                categories: None,
                categories_left: true,
                value: leaf_value[l],
                cover: leaf_count[l],
            });
        }
        let tree = Tree { nodes, group, weight };
        validate_leaves_reachable(&tree, ti)?;
        validate_tree(&tree, n_features, FORMAT, ti)?;
        trees.push(tree);
    }
    Ok(Model {
        source: Source { library: "lightgbm".into(), version, objective },
        feature_names,
        base_margin: vec![0.0; per_iter],
        link,
        body: ModelBody::Trees(Ensemble {
            trees,
            comparison: Comparison::LessEqF64,
            averaged,
            cover: CoverSource::SampleCount,
        }),
    })
}

/// LightGBM numbers internal nodes in split order, so an internal child always has a larger
/// index than its parent and leaves come after every internal node: [`validate_tree`] then
/// guarantees termination. This only rejects internal nodes that point at themselves.
fn validate_leaves_reachable(tree: &Tree, ti: usize) -> Result<(), ExplainError> {
    for (i, n) in tree.nodes.iter().enumerate() {
        if !n.is_leaf() && (n.left as usize == i || n.right as usize == i) {
            return Err(ExplainError::Format {
                format: FORMAT,
                at: format!("tree {ti} node {i}"),
                detail: "node is its own child".into(),
            });
        }
    }
    Ok(())
}
