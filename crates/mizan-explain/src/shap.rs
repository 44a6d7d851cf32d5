//! Exact SHAP values in f64 margin space: path-dependent TreeSHAP, interventional TreeSHAP
//! against a background sample, and the closed form for linear models.
//!
//! Path-dependent TreeSHAP is Lundberg et al.'s polynomial algorithm (Algorithm 2 of "Consistent
//! individualized feature attribution for tree ensembles"); child weights are the children's
//! covers normalised by their sum, so efficiency holds to rounding even when a file's covers
//! are themselves rounded. Interventional TreeSHAP enumerates, per background row, the paths on
//! which the row and the background disagree and weights each leaf by the Shapley kernel.

use std::sync::Arc;

use serde::Serialize;

use crate::ExplainError;
use crate::ir::{Comparison, Ensemble, Model, ModelBody, Route, Tree};
use crate::treeshap::{Prepared, fractions};

/// One feature's value and how the model saw it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FeatureValue {
    /// Feature name.
    pub name: String,
    /// The value as given (`None` when missing).
    pub given: Option<f64>,
    /// The value the model compares (f32-rounded for XGBoost).
    pub encoded: Option<f64>,
    /// Number of splits on the decision paths where this feature was missing and followed the
    /// default direction.
    pub default_routed: u32,
}

/// Which SHAP method produced an explanation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Method {
    /// Path-dependent TreeSHAP (cover-weighted conditional expectations).
    TreePathDependent,
    /// Interventional TreeSHAP against a background sample.
    TreeInterventional,
    /// Closed form `w·(x − mean)` for linear models.
    LinearClosedForm,
}

/// The explanation of one output of one row.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Explanation {
    /// sha256 of the model file bytes, as given by the caller.
    pub model_hash: String,
    /// Method.
    pub method: Method,
    /// Explained output.
    pub output: usize,
    /// SHAP value per feature.
    pub phi: Vec<f64>,
    /// Expected margin (φ₀).
    pub phi0: f64,
    /// φ₀ decomposed: the model's base margin, plus the expected sum of the trees.
    pub phi0_base_margin: f64,
    /// The model's margin for this row.
    pub margin: f64,
    /// |Σφ + φ₀ − margin|.
    pub additivity_residual: f64,
    /// Feature values as given and as encoded.
    pub features: Vec<FeatureValue>,
}

fn encoded(cmp: Option<Comparison>, v: f64) -> Option<f64> {
    if v.is_nan() {
        None
    } else if cmp == Some(Comparison::LessF32) {
        Some(f64::from(v as f32))
    } else {
        Some(v)
    }
}

fn feature_values(model: &Model, x: &[f64]) -> Vec<FeatureValue> {
    let mut routed = vec![0u32; x.len()];
    let cmp = match &model.body {
        ModelBody::Trees(e) => {
            for t in &e.trees {
                let mut i = 0usize;
                while !t.nodes[i].is_leaf() {
                    let n = &t.nodes[i];
                    let r = Tree::route(n, e.comparison, x);
                    if matches!(r, Route::Default(_)) {
                        routed[n.feature as usize] += 1;
                    }
                    i = if r.goes_left() { n.left } else { n.right } as usize;
                }
            }
            Some(e.comparison)
        }
        ModelBody::Linear(_) => None,
    };
    model
        .feature_names
        .iter()
        .zip(x)
        .zip(routed)
        .map(|((name, &v), default_routed)| FeatureValue {
            name: name.clone(),
            given: if v.is_nan() { None } else { Some(v) },
            encoded: encoded(cmp, v),
            default_routed,
        })
        .collect()
}

fn finish(
    model: &Model,
    x: &[f64],
    hash: &str,
    method: Method,
    output: usize,
    phi: Vec<f64>,
    phi0: f64,
) -> Result<Explanation, ExplainError> {
    let margin = model.predict_margin(x)?[output];
    let additivity_residual = (phi.iter().sum::<f64>() + phi0 - margin).abs();
    Ok(Explanation {
        model_hash: hash.to_string(),
        method,
        output,
        phi,
        phi0,
        phi0_base_margin: model.base_margin[output],
        margin,
        additivity_residual,
        features: feature_values(model, x),
    })
}

fn check(model: &Model, x: &[f64], output: usize) -> Result<(), ExplainError> {
    model.check_row(0, x)?;
    if output >= model.n_outputs() {
        return Err(ExplainError::Output { output, outputs: model.n_outputs() });
    }
    Ok(())
}

/// Explains one output of one row: path-dependent TreeSHAP for trees, closed form for linear.
///
/// Prepares the model for every call; to explain many rows, build an [`Explainer`] once.
///
/// # Errors
/// [`ExplainError::FeatureCount`] / [`ExplainError::Output`] for a wrong row or output.
pub fn explain(
    model: &Model,
    model_hash: &str,
    x: &[f64],
    output: usize,
) -> Result<Explanation, ExplainError> {
    explain_prepared(model, None, model_hash, x, output)
}

/// A model prepared for path-dependent explanations of many rows.
///
/// Everything about the trees that does not depend on the row (paths, distinct features per
/// path, zero fractions, expected values) is computed once here. An `Explainer` is `Sync`:
/// explain rows in parallel by sharing one.
pub struct Explainer {
    model: Arc<Model>,
    prepared: Option<Prepared>,
}

impl Explainer {
    /// Prepares `model`.
    #[must_use]
    pub fn new(model: Model) -> Self {
        Explainer::shared(Arc::new(model))
    }

    /// Prepares `model`, kept shared: an explainer to hold beside others that use it (such as
    /// a [`Searcher`](crate::recourse::Searcher)).
    #[must_use]
    pub fn shared(model: Arc<Model>) -> Self {
        let prepared = match &model.body {
            ModelBody::Trees(e) => Some(Prepared::new(&model, e)),
            ModelBody::Linear(_) => None,
        };
        Explainer { model, prepared }
    }

    /// The prepared model.
    #[must_use]
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// Explains one output of one row, exactly as [`explain`] does.
    ///
    /// # Errors
    /// [`ExplainError::FeatureCount`] / [`ExplainError::Output`] for a wrong row or output.
    pub fn explain(&self, model_hash: &str, x: &[f64], output: usize) -> Result<Explanation, ExplainError> {
        explain_prepared(&self.model, self.prepared.as_ref(), model_hash, x, output)
    }

    /// Only the SHAP values of one output of one row: writes φ into `phi` (one value per
    /// feature) and returns φ₀. This is what [`Explainer::explain`] computes before it records
    /// the margin, residual and feature values.
    ///
    /// # Errors
    /// [`ExplainError::FeatureCount`] when `x` or `phi` has the wrong length,
    /// [`ExplainError::Output`] for a wrong output.
    pub fn shap_values(&self, x: &[f64], output: usize, phi: &mut [f64]) -> Result<f64, ExplainError> {
        check(&self.model, x, output)?;
        self.model.check_row(0, phi)?;
        Ok(shap_values(&self.model, self.prepared.as_ref(), x, output, phi))
    }
}

/// φ (into `phi`) and φ₀ for a checked row and output; prepares the model when `prepared` is
/// `None`.
fn shap_values(model: &Model, prepared: Option<&Prepared>, x: &[f64], output: usize, phi: &mut [f64]) -> f64 {
    phi.fill(0.0);
    match &model.body {
        ModelBody::Trees(e) => {
            let owned;
            let p = if let Some(p) = prepared {
                p
            } else {
                owned = Prepared::new(model, e);
                &owned
            };
            let mut path = Vec::new();
            p.add(e, x, output, phi, |t, phi| tree_shap(t, e.comparison, x, phi, &mut path));
            p.phi0(output)
        }
        ModelBody::Linear(l) => {
            for ((p, (w, v)), m) in phi.iter_mut().zip(l.coefficients.iter().zip(x)).zip(&l.feature_means) {
                *p = w * (v - m);
            }
            model.base_margin[0]
                + l.coefficients.iter().zip(&l.feature_means).map(|(w, m)| w * m).sum::<f64>()
        }
    }
}

/// φ₀ of one output: the base margin plus each tree's weighted expected value, in tree order.
pub(crate) fn phi0(model: &Model, e: &Ensemble, output: usize) -> f64 {
    let mut phi0 = model.base_margin[output];
    for t in e.trees.iter().filter(|t| t.group == output) {
        phi0 += t.weight * expected_value(t, 0);
    }
    phi0
}

fn explain_prepared(
    model: &Model,
    prepared: Option<&Prepared>,
    model_hash: &str,
    x: &[f64],
    output: usize,
) -> Result<Explanation, ExplainError> {
    check(model, x, output)?;
    let mut phi = vec![0.0; x.len()];
    let phi0 = shap_values(model, prepared, x, output, &mut phi);
    let method = match &model.body {
        ModelBody::Trees(_) => Method::TreePathDependent,
        ModelBody::Linear(_) => Method::LinearClosedForm,
    };
    finish(model, x, model_hash, method, output, phi, phi0)
}

/// Cover-weighted expected leaf value of the subtree at `node` (unweighted by tree weight).
pub(crate) fn expected_value(t: &Tree, node: usize) -> f64 {
    let n = &t.nodes[node];
    if n.is_leaf() {
        return n.value;
    }
    let (fl, fr) = fractions(t, n);
    fl * expected_value(t, n.left as usize) + fr * expected_value(t, n.right as usize)
}

#[derive(Clone, Copy)]
pub(crate) struct PathElem {
    feature: i64,
    zero: f64,
    one: f64,
    pweight: f64,
}

fn extend(path: &mut Vec<PathElem>, zero: f64, one: f64, feature: i64) {
    let d = path.len();
    path.push(PathElem { feature, zero, one, pweight: if d == 0 { 1.0 } else { 0.0 } });
    let df = d as f64;
    for i in (0..d).rev() {
        let add = one * path[i].pweight * (i as f64 + 1.0) / (df + 1.0);
        path[i + 1].pweight += add;
        path[i].pweight = zero * path[i].pweight * (df - i as f64) / (df + 1.0);
    }
}

fn unwind(path: &mut Vec<PathElem>, index: usize) {
    let d = path.len() - 1;
    let (one, zero) = (path[index].one, path[index].zero);
    let df = d as f64;
    let mut next = path[d].pweight;
    for i in (0..d).rev() {
        if one == 0.0 {
            path[i].pweight = path[i].pweight * (df + 1.0) / (zero * (df - i as f64));
        } else {
            let tmp = path[i].pweight;
            path[i].pweight = next * (df + 1.0) / ((i as f64 + 1.0) * one);
            next = tmp - path[i].pweight * zero * (df - i as f64) / (df + 1.0);
        }
    }
    for i in index..d {
        path[i].feature = path[i + 1].feature;
        path[i].zero = path[i + 1].zero;
        path[i].one = path[i + 1].one;
    }
    path.pop();
}

fn unwound_sum(path: &[PathElem], index: usize) -> f64 {
    let d = path.len() - 1;
    let (one, zero) = (path[index].one, path[index].zero);
    let df = d as f64;
    let mut next = path[d].pweight;
    let mut total = 0.0;
    for i in (0..d).rev() {
        if one != 0.0 {
            let tmp = next * (df + 1.0) / ((i as f64 + 1.0) * one);
            total += tmp;
            next = path[i].pweight - tmp * zero * (df - i as f64) / (df + 1.0);
        } else if zero != 0.0 {
            total += path[i].pweight / zero / ((df - i as f64) / (df + 1.0));
        }
    }
    total
}

pub(crate) fn tree_shap(t: &Tree, cmp: Comparison, x: &[f64], phi: &mut [f64], scratch: &mut Vec<PathElem>) {
    scratch.clear();
    recurse(t, cmp, x, phi, 0, scratch.clone(), 1.0, 1.0, -1);
}

#[expect(clippy::too_many_arguments, reason = "the recursion state of Algorithm 2")]
fn recurse(
    t: &Tree,
    cmp: Comparison,
    x: &[f64],
    phi: &mut [f64],
    node: usize,
    mut path: Vec<PathElem>,
    zero: f64,
    one: f64,
    feature: i64,
) {
    extend(&mut path, zero, one, feature);
    let n = &t.nodes[node];
    if n.is_leaf() {
        for i in 1..path.len() {
            let w = unwound_sum(&path, i);
            let el = path[i];
            phi[el.feature as usize] += w * (el.one - el.zero) * n.value * t.weight;
        }
        return;
    }
    let (fl, fr) = fractions(t, n);
    let left = Tree::route(n, cmp, x).goes_left();
    let (hot, cold, hz, cz) = if left { (n.left, n.right, fl, fr) } else { (n.right, n.left, fr, fl) };
    let f = i64::from(n.feature);
    let (mut iz, mut io) = (1.0, 1.0);
    if let Some(k) = path.iter().skip(1).position(|e| e.feature == f).map(|k| k + 1) {
        iz = path[k].zero;
        io = path[k].one;
        unwind(&mut path, k);
    }
    recurse(t, cmp, x, phi, hot as usize, path.clone(), hz * iz, io, f);
    recurse(t, cmp, x, phi, cold as usize, path, cz * iz, 0.0, f);
}

/// Explains one output of one row with interventional TreeSHAP against `background` rows.
///
/// For linear models this is the closed form against the background's mean.
///
/// # Errors
/// [`ExplainError::FeatureCount`] for a wrong row, [`ExplainError::Invalid`] for an empty
/// background, [`ExplainError::Output`] for a wrong output.
pub fn explain_interventional(
    model: &Model,
    model_hash: &str,
    x: &[f64],
    background: &[Vec<f64>],
    output: usize,
) -> Result<Explanation, ExplainError> {
    check(model, x, output)?;
    if background.is_empty() {
        return Err(ExplainError::Invalid {
            what: "background",
            detail: "the background sample is empty".into(),
        });
    }
    for (i, z) in background.iter().enumerate() {
        model.check_row(i, z)?;
    }
    let nb = background.len() as f64;
    let mut phi = vec![0.0; x.len()];
    let mut phi0 = 0.0;
    match &model.body {
        ModelBody::Trees(e) => {
            for z in background {
                phi0 += model.predict_margin(z)?[output] / nb;
            }
            let kernel = Kernel::new(max_depth(e) + 1);
            for t in e.trees.iter().filter(|t| t.group == output) {
                for z in background {
                    let mut a = Vec::new();
                    let mut b = Vec::new();
                    interventional(
                        t,
                        e.comparison,
                        x,
                        z,
                        0,
                        &mut a,
                        &mut b,
                        &kernel,
                        &mut phi,
                        t.weight / nb,
                    );
                }
            }
            finish(model, x, model_hash, Method::TreeInterventional, output, phi, phi0)
        }
        ModelBody::Linear(l) => {
            for (j, w) in l.coefficients.iter().enumerate() {
                let mean = background.iter().map(|z| z[j]).sum::<f64>() / nb;
                phi[j] = w * (x[j] - mean);
                phi0 += w * mean;
            }
            phi0 += model.base_margin[0];
            finish(model, x, model_hash, Method::LinearClosedForm, output, phi, phi0)
        }
    }
}

fn max_depth(e: &Ensemble) -> usize {
    fn depth(t: &Tree, n: usize) -> usize {
        let node = &t.nodes[n];
        if node.is_leaf() { 0 } else { 1 + depth(t, node.left as usize).max(depth(t, node.right as usize)) }
    }
    e.trees.iter().map(|t| depth(t, 0)).max().unwrap_or(0)
}

/// Shapley kernel weights `a!·b!/(a+b+1)!`.
struct Kernel {
    w: Vec<Vec<f64>>,
}

impl Kernel {
    fn new(n: usize) -> Self {
        let mut fact = vec![1.0f64; 2 * n + 2];
        for i in 1..fact.len() {
            fact[i] = fact[i - 1] * i as f64;
        }
        let w = (0..=n)
            .map(|a| {
                (0..=n)
                    .map(|b| {
                        if a + b < 170 {
                            fact[a] * fact[b] / fact[a + b + 1]
                        } else {
                            // 171! overflows f64: a!·b!/(a+b+1)! = 1/(a+1) · Π_{k=1..b} k/(a+k+1).
                            (1..=b).fold(1.0 / (a as f64 + 1.0), |w, k| w * k as f64 / (a + k + 1) as f64)
                        }
                    })
                    .collect()
            })
            .collect();
        Kernel { w }
    }
}

#[expect(clippy::too_many_arguments, reason = "the recursion state of the traversal")]
fn interventional(
    t: &Tree,
    cmp: Comparison,
    x: &[f64],
    z: &[f64],
    node: usize,
    a: &mut Vec<u32>,
    b: &mut Vec<u32>,
    k: &Kernel,
    phi: &mut [f64],
    scale: f64,
) {
    let n = &t.nodes[node];
    if n.is_leaf() {
        let v = n.value * scale;
        let (na, nb) = (a.len(), b.len());
        for &i in a.iter() {
            phi[i as usize] += v * k.w[na - 1][nb];
        }
        for &j in b.iter() {
            phi[j as usize] -= v * k.w[na][nb - 1];
        }
        return;
    }
    let xl = Tree::route(n, cmp, x).goes_left();
    let zl = Tree::route(n, cmp, z).goes_left();
    let child = |l: bool| if l { n.left } else { n.right } as usize;
    if xl == zl || a.contains(&n.feature) {
        interventional(t, cmp, x, z, child(xl), a, b, k, phi, scale);
    } else if b.contains(&n.feature) {
        interventional(t, cmp, x, z, child(zl), a, b, k, phi, scale);
    } else {
        a.push(n.feature);
        interventional(t, cmp, x, z, child(xl), a, b, k, phi, scale);
        a.pop();
        b.push(n.feature);
        interventional(t, cmp, x, z, child(zl), a, b, k, phi, scale);
        b.pop();
    }
}
