//! XGBoost model loader: JSON and UBJSON (versions 1.6 to 3.x) into the tree IR.
//!
//! Reads `learner.gradient_booster` (`gbtree` or `dart`), `learner_model_param.base_score`
//! (number or bracketed vector string), the objective, and per-tree node arrays including
//! categorical splits. Vector leaves, linear boosters and unknown objectives are refused by name.

use serde_json::Value;

use crate::ExplainError;
use crate::error::shown;
use crate::ir::{
    Comparison, CoverSource, Ensemble, Link, MAX_FEATURES, MAX_OUTPUTS, MissingType, Model, ModelBody, Node,
    Source, Tree, validate_tree,
};

const FORMAT: &str = "xgboost";

fn err(at: impl Into<String>, detail: impl Into<String>) -> ExplainError {
    ExplainError::Format { format: FORMAT, at: at.into(), detail: detail.into() }
}

fn get<'a>(v: &'a Value, key: &str, at: &str) -> Result<&'a Value, ExplainError> {
    v.get(key).ok_or_else(|| err(at, format!("missing key `{key}`")))
}

fn num(v: &Value, at: &str) -> Result<f64, ExplainError> {
    match v {
        Value::Number(n) => n.as_f64().ok_or_else(|| err(at, "number out of range")),
        Value::String(s) => {
            s.trim().parse::<f64>().map_err(|_| err(at, format!("`{}` is not a number", shown(s))))
        }
        Value::Bool(b) => Ok(if *b { 1.0 } else { 0.0 }),
        _ => Err(err(at, "expected a number")),
    }
}

fn nums(v: &Value, key: &str, at: &str) -> Result<Vec<f64>, ExplainError> {
    let at = format!("{at}.{key}");
    get(v, key, &at)?
        .as_array()
        .ok_or_else(|| err(&at, "expected an array"))?
        .iter()
        .enumerate()
        .map(|(i, x)| num(x, &format!("{at}[{i}]")))
        .collect()
}

fn ints(v: &Value, key: &str, at: &str) -> Result<Vec<i64>, ExplainError> {
    nums(v, key, at)?
        .into_iter()
        .map(|x| {
            if x.fract() == 0.0 && x.abs() < 9e15 {
                Ok(x as i64)
            } else {
                Err(err(format!("{at}.{key}"), format!("`{x}` is not an integer")))
            }
        })
        .collect()
}

/// A count stored as a number or numeric string: a whole number from 0 to `max`.
fn count(v: &Value, at: &str, max: usize) -> Result<usize, ExplainError> {
    let x = num(v, at)?;
    if x.fract() == 0.0 && x >= 0.0 && x <= max as f64 {
        Ok(x as usize)
    } else {
        Err(err(at, format!("`{x}` is not a count from 0 to {max}")))
    }
}

/// Parses `base_score`: a number, a numeric string (`"5E-1"`) or a bracketed vector (`"[5E-1]"`).
fn base_score(v: &Value) -> Result<Vec<f64>, ExplainError> {
    let at = "learner.learner_model_param.base_score";
    match v {
        Value::String(s) => {
            let s = s.trim();
            if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                inner
                    .split(',')
                    .map(|p| {
                        p.trim()
                            .parse::<f64>()
                            .map_err(|_| err(at, format!("`{}` is not a number", shown(p))))
                    })
                    .collect()
            } else {
                Ok(vec![num(v, at)?])
            }
        }
        Value::Array(a) => a.iter().map(|x| num(x, at)).collect(),
        _ => Ok(vec![num(v, at)?]),
    }
}

/// Loads an XGBoost UBJSON model.
///
/// # Errors
/// [`ExplainError::Format`] for malformed bytes; see [`load_value`] for the model checks.
pub fn load_ubjson(bytes: &[u8]) -> Result<Model, ExplainError> {
    let value = crate::ubjson::parse(bytes)?;
    load_value(&value)
}

/// Loads an XGBoost JSON model.
///
/// # Errors
/// [`ExplainError::Format`] for malformed JSON; see [`load_value`].
pub fn load_json(bytes: &[u8]) -> Result<Model, ExplainError> {
    let value: Value = serde_json::from_slice(bytes)
        .map_err(|e| err(format!("line {} column {}", e.line(), e.column()), format!("invalid json: {e}")))?;
    load_value(&value)
}

/// Loads an XGBoost model from its parsed JSON document.
///
/// # Errors
/// [`ExplainError::Format`] naming the key that is missing or malformed, and
/// [`ExplainError::Unsupported`] for linear boosters, vector leaves and unknown objectives.
pub fn load_value(doc: &Value) -> Result<Model, ExplainError> {
    let version = doc
        .get("version")
        .and_then(Value::as_array)
        .map(|v| v.iter().map(std::string::ToString::to_string).collect::<Vec<_>>().join("."))
        .unwrap_or_default();
    let learner = get(doc, "learner", "top level")?;
    let param = get(learner, "learner_model_param", "learner")?;
    let objective = get(get(learner, "objective", "learner")?, "name", "learner.objective")?
        .as_str()
        .ok_or_else(|| err("learner.objective.name", "expected a string"))?
        .to_string();
    let num_class = param
        .get("num_class")
        .map(|v| count(v, "learner.learner_model_param.num_class", MAX_OUTPUTS))
        .transpose()?
        .unwrap_or(0);
    let num_target =
        param.get("num_target").map(|v| num(v, "learner_model_param.num_target")).transpose()?.unwrap_or(1.0);
    if num_target > 1.0 {
        return Err(ExplainError::Unsupported {
            format: FORMAT,
            what: "num_target",
            value: num_target.to_string(),
            supported: "one target",
        });
    }
    let n_outputs = num_class.max(1);
    let (link, logit_base) = match objective.as_str() {
        "binary:logistic" | "reg:logistic" => (Link::Logistic, true),
        "binary:logitraw" => (Link::Identity, false),
        "reg:squarederror"
        | "reg:linear"
        | "reg:pseudohubererror"
        | "reg:absoluteerror"
        | "reg:quantileerror" => (Link::Identity, false),
        "multi:softprob" | "multi:softmax" => (Link::Softmax, false),
        other => {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "objective",
                value: shown(other),
                supported: "binary:logistic, binary:logitraw, reg:logistic, reg:squarederror, reg:absoluteerror, reg:pseudohubererror, reg:quantileerror, multi:softprob, multi:softmax",
            });
        }
    };
    let mut base = base_score(get(param, "base_score", "learner.learner_model_param")?)?;
    if base.len() == 1 && n_outputs > 1 {
        base = vec![base[0]; n_outputs];
    }
    if base.len() != n_outputs {
        return Err(err(
            "learner.learner_model_param.base_score",
            format!("{} values for {n_outputs} outputs", base.len()),
        ));
    }
    if logit_base {
        for b in &mut base {
            if !(*b > 0.0 && *b < 1.0) {
                return Err(err(
                    "learner.learner_model_param.base_score",
                    format!("`{b}` is not a probability in (0, 1)"),
                ));
            }
            // XGBoost converts the probability to a margin in f32.
            let p = *b as f32;
            *b = f64::from(-(1.0f32 / p - 1.0).ln());
        }
    }
    let booster = get(learner, "gradient_booster", "learner")?;
    let bname = get(booster, "name", "learner.gradient_booster")?.as_str().unwrap_or_default();
    let (model, weights) = match bname {
        "gbtree" => (get(booster, "model", "learner.gradient_booster")?, None),
        "dart" => (
            get(
                get(booster, "gbtree", "learner.gradient_booster")?,
                "model",
                "learner.gradient_booster.gbtree",
            )?,
            Some(nums(booster, "weight_drop", "learner.gradient_booster")?),
        ),
        other => {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "booster",
                value: shown(other),
                supported: "gbtree, dart",
            });
        }
    };
    let n_features = count(
        get(param, "num_feature", "learner.learner_model_param")?,
        "learner.learner_model_param.num_feature",
        MAX_FEATURES,
    )?;
    let feature_names = match learner.get("feature_names").and_then(Value::as_array) {
        Some(a) if !a.is_empty() => a.iter().map(|v| v.as_str().unwrap_or_default().to_string()).collect(),
        _ => (0..n_features).map(|i| format!("f{i}")).collect::<Vec<_>>(),
    };
    if feature_names.len() != n_features {
        return Err(err(
            "learner.feature_names",
            format!("{} names for {n_features} features", feature_names.len()),
        ));
    }
    let trees_v = get(model, "trees", "gradient_booster.model")?
        .as_array()
        .ok_or_else(|| err("gradient_booster.model.trees", "expected an array"))?;
    let tree_info = ints(model, "tree_info", "gradient_booster.model")?;
    if tree_info.len() != trees_v.len() {
        return Err(err("gradient_booster.model.tree_info", "length differs from the number of trees"));
    }
    if let Some(w) = &weights
        && w.len() != trees_v.len()
    {
        return Err(err("gradient_booster.weight_drop", "length differs from the number of trees"));
    }
    let mut trees = Vec::with_capacity(trees_v.len());
    for (ti, tv) in trees_v.iter().enumerate() {
        let at = format!("trees[{ti}]");
        if let Some(size) = tv.get("tree_param").and_then(|p| p.get("size_leaf_vector"))
            && num(size, &at)? > 1.0
        {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "leaf type",
                value: "vector leaf".into(),
                supported: "scalar leaves (multi_strategy=one_output_per_tree)",
            });
        }
        let left = ints(tv, "left_children", &at)?;
        let right = ints(tv, "right_children", &at)?;
        let feat = ints(tv, "split_indices", &at)?;
        let cond = nums(tv, "split_conditions", &at)?;
        let dleft = nums(tv, "default_left", &at)?;
        let hess = nums(tv, "sum_hessian", &at)?;
        let n = left.len();
        if [right.len(), feat.len(), cond.len(), dleft.len(), hess.len()].iter().any(|&l| l != n) {
            return Err(err(&at, "node arrays have different lengths"));
        }
        let split_type =
            if tv.get("split_type").is_some() { ints(tv, "split_type", &at)? } else { vec![0; n] };
        let mut cat_of_node = std::collections::HashMap::new();
        if split_type.contains(&1) {
            let cats = ints(tv, "categories", &at)?;
            let nodes = ints(tv, "categories_nodes", &at)?;
            let segs = ints(tv, "categories_segments", &at)?;
            let sizes = ints(tv, "categories_sizes", &at)?;
            if nodes.len() != segs.len() || nodes.len() != sizes.len() {
                return Err(err(&at, "categories arrays have different lengths"));
            }
            for ((&nd, &sg), &sz) in nodes.iter().zip(&segs).zip(&sizes) {
                let (s, e) = (sg as usize, (sg + sz) as usize);
                let slice = cats.get(s..e).ok_or_else(|| {
                    err(format!("{at}.categories_segments"), format!("segment `{s}..{e}` out of range"))
                })?;
                let mut set: Vec<u32> = slice
                    .iter()
                    .map(|&c| {
                        u32::try_from(c).map_err(|_| {
                            err(format!("{at}.categories"), format!("category `{c}` is negative"))
                        })
                    })
                    .collect::<Result<_, _>>()?;
                set.sort_unstable();
                cat_of_node.insert(nd, set);
            }
        }
        let mut nodes = Vec::with_capacity(n);
        for i in 0..n {
            let leaf = left[i] == -1;
            let conv = |c: i64| -> Result<u32, ExplainError> {
                if leaf {
                    Ok(u32::MAX)
                } else {
                    u32::try_from(c)
                        .map_err(|_| err(format!("{at} node {i}"), format!("child `{c}` out of range")))
                }
            };
            let categories =
                if !leaf && split_type[i] == 1 {
                    Some(cat_of_node.remove(&(i as i64)).ok_or_else(|| {
                        err(format!("{at} node {i}"), "categorical split without categories")
                    })?)
                } else {
                    None
                };
            nodes.push(Node {
                feature: u32::try_from(feat[i])
                    .map_err(|_| err(format!("{at} node {i}"), "negative split index"))?,
                threshold: f64::from(cond[i] as f32),
                left: conv(left[i])?,
                right: conv(right[i])?,
                default_left: dleft[i] != 0.0,
                missing: MissingType::NaN,
                categories,
                categories_left: false,
                value: f64::from(cond[i] as f32),
                cover: hess[i],
            });
        }
        let group = usize::try_from(tree_info[ti]).ok().filter(|&g| g < n_outputs).ok_or_else(|| {
            err(format!("tree_info[{ti}]"), format!("group `{}` out of range", tree_info[ti]))
        })?;
        let tree = Tree { nodes, group, weight: weights.as_ref().map_or(1.0, |w| f64::from(w[ti] as f32)) };
        validate_tree(&tree, n_features, FORMAT, ti)?;
        trees.push(tree);
    }
    Ok(Model {
        source: Source { library: "xgboost".into(), version, objective },
        feature_names,
        base_margin: base,
        link,
        body: ModelBody::Trees(Ensemble {
            trees,
            comparison: Comparison::LessF32,
            averaged: false,
            cover: CoverSource::SumHessian,
        }),
    })
}
