//! Explaining a logged decision with the model its provider uploaded, and saying it plainly.
//!
//! [`explain_decision`] turns a decision record (its `features`) and a prepared model with the
//! provider's settings into the `mizan.explanation/1` document: SHAP values from
//! `mizan-explain` (exact TreeSHAP or the linear closed form), φ₀, the additivity residual, and
//! recourse options that honour the immutable features and bounds, each re-scored on the model.
//! The document (its types are `mizan_formats::explanation`, re-exported here) is what is
//! stored beside the decision and served as JSON; the server reads it back as the sentences a
//! citizen's page shows in English or Urdu.
//!
//! Preparing a model takes longer than explaining one decision with it (on the 500-tree
//! benchmark model, about 5 ms each for SHAP and recourse, 20 ms and more on a busy machine,
//! against about 1 ms for SHAP and 2 ms for recourse per decision), so the server keeps a few
//! prepared models by hash in [`PreparedModels`]. A hash names one file's bytes, so a kept
//! model is exactly the model the decision names; the provider's settings (favourable side,
//! bounds, immutable features) come with each decision's [`StoredModel`].

use std::sync::{Arc, Mutex, PoisonError};

use mizan_explain::recourse::{
    Direction, Favourable, FeatureStep, Recourse, RecourseConfig, Searcher, actionable, is_protected_name,
};
use mizan_explain::shap::Explainer;
use mizan_explain::{Link, Model, ModelBody};
pub use mizan_formats::explanation::{
    ChangeInfo, Contradiction, ExplanationDoc, FORMAT, FavourableInfo, FeatureInfo, ModelInfo, OptionInfo,
    RecourseInfo,
};
use mizan_formats::model_card::ModelCard;
use mizan_store::{FavourableSide, StoredModel};
use serde_json::Value;

/// Most recourse options offered.
pub const MAX_OPTIONS: usize = 3;
/// Most features one recourse option changes.
pub const MAX_CHANGES: usize = 2;

/// Prepared models a server keeps.
pub const PREPARED_MODELS: usize = 4;

/// A model prepared for explaining many decisions: its SHAP explainer and its recourse
/// searcher, sharing the loaded model.
pub struct PreparedModel {
    explainer: Explainer,
    searcher: Searcher<'static>,
}

impl PreparedModel {
    /// Prepares `model` for both.
    #[must_use]
    pub fn new(model: Model) -> Self {
        let model = Arc::new(model);
        PreparedModel { explainer: Explainer::shared(Arc::clone(&model)), searcher: Searcher::shared(model) }
    }

    /// The model.
    #[must_use]
    pub fn model(&self) -> &Model {
        self.explainer.model()
    }
}

/// Prepared models by the SHA-256 of their file: at most a capacity of them, the least
/// recently used dropped first.
pub struct PreparedModels {
    capacity: usize,
    /// Least recently used first.
    kept: Mutex<Vec<(String, Arc<PreparedModel>)>>,
}

impl PreparedModels {
    /// An empty cache that keeps at most `capacity` models (at least one).
    #[must_use]
    pub fn new(capacity: usize) -> Self {
        PreparedModels { capacity: capacity.max(1), kept: Mutex::new(Vec::new()) }
    }

    fn kept(&self) -> std::sync::MutexGuard<'_, Vec<(String, Arc<PreparedModel>)>> {
        // A panic elsewhere cannot leave the list half-changed: every change is one push or
        // remove.
        self.kept.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The prepared model of `sha256`, if kept (now the most recently used).
    #[must_use]
    pub fn get(&self, sha256: &str) -> Option<Arc<PreparedModel>> {
        let mut kept = self.kept();
        let i = kept.iter().position(|(h, _)| h == sha256)?;
        let entry = kept.remove(i);
        let prepared = Arc::clone(&entry.1);
        kept.push(entry);
        Some(prepared)
    }

    /// Keeps `prepared` as the model of `sha256` and returns it; if another caller kept one
    /// meanwhile, returns that one instead. Drops the least recently used beyond capacity.
    pub fn insert(&self, sha256: &str, prepared: PreparedModel) -> Arc<PreparedModel> {
        if let Some(kept) = self.get(sha256) {
            return kept;
        }
        let prepared = Arc::new(prepared);
        let mut kept = self.kept();
        kept.push((sha256.to_owned(), Arc::clone(&prepared)));
        if kept.len() > self.capacity {
            kept.remove(0);
        }
        prepared
    }

    /// The hashes kept, least recently used first.
    #[must_use]
    pub fn hashes(&self) -> Vec<String> {
        self.kept().iter().map(|(h, _)| h.clone()).collect()
    }
}

/// Why a decision cannot be explained with a model.
#[derive(Debug, thiserror::Error)]
pub enum ExplainDecisionError {
    /// The record lacks a feature the model needs, or holds something that is not a number.
    #[error("feature `{feature}` of the decision record {detail}")]
    Feature {
        /// The model's feature.
        feature: String,
        /// What is wrong with it.
        detail: String,
    },
    /// The engine refused (a model it cannot explain, such as trees without covers).
    #[error(transparent)]
    Engine(#[from] mizan_explain::ExplainError),
}

/// The decision's features in the model's order.
fn row(names: &[String], record: &Value, trees: bool) -> Result<Vec<f64>, ExplainDecisionError> {
    let features = record.get("features").and_then(Value::as_object);
    names
        .iter()
        .map(|name| {
            let bad = |detail: String| ExplainDecisionError::Feature { feature: name.clone(), detail };
            match features.and_then(|f| f.get(name)) {
                Some(Value::Number(n)) => n
                    .as_f64()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("is `{n}`, not a finite number"))),
                Some(Value::Bool(b)) => Ok(if *b { 1.0 } else { 0.0 }),
                Some(Value::String(s)) => s
                    .trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|v| v.is_finite())
                    .ok_or_else(|| bad(format!("is `{s}`, not a number"))),
                None | Some(Value::Null) if trees => Ok(f64::NAN),
                None | Some(Value::Null) => {
                    Err(bad("is missing and a linear model has no default for it".into()))
                }
                Some(other) => Err(bad(format!("is `{other}`, not a number"))),
            }
        })
        .collect()
}

fn link_name(l: Link) -> &'static str {
    match l {
        Link::Identity => "identity",
        Link::Logistic => "logistic",
        Link::Softmax => "softmax",
    }
}

/// How a model's output and features are read: the upload's settings, with the model card's
/// where it speaks (favourable side, threshold, bounds), and protected features (by the card,
/// or by a name such as `age` or `sex`) never changed, like the immutable ones.
#[derive(Debug, Clone)]
pub struct Reading {
    /// Which side of the threshold is favourable.
    pub favourable: FavourableSide,
    /// The margin threshold.
    pub threshold: f64,
    /// Per feature (model order): recourse never changes it.
    pub immutable: Vec<bool>,
    /// Per feature: the bounds recourse stays within.
    pub bounds: Vec<Option<(f64, f64)>>,
    /// Per feature: the card's step or coded values, when it gives them.
    pub steps: Vec<Option<FeatureStep>>,
}

impl Reading {
    /// The reading of `stored` with its card `card`.
    #[must_use]
    pub fn of(stored: &StoredModel, card: Option<&ModelCard>) -> Reading {
        let names = &stored.feature_names;
        let feature = |n: &str| card.and_then(|c| c.feature(n));
        let favourable = card
            .and_then(|c| c.favourable_side.as_deref())
            .and_then(FavourableSide::parse)
            .unwrap_or(stored.favourable);
        Reading {
            favourable,
            threshold: card.and_then(|c| c.threshold).unwrap_or(stored.threshold),
            immutable: names
                .iter()
                .map(|n| {
                    stored.immutable.contains(n)
                        || is_protected_name(n)
                        || feature(n).is_some_and(|f| f.protected || f.immutable)
                })
                .collect(),
            bounds: names
                .iter()
                .map(|n| {
                    let upload = stored.bounds.get(n).copied();
                    let (lo, hi) = upload.unwrap_or((f64::NEG_INFINITY, f64::INFINITY));
                    let f = feature(n);
                    let (lo, hi) = (f.and_then(|f| f.min).unwrap_or(lo), f.and_then(|f| f.max).unwrap_or(hi));
                    (upload.is_some() || lo.is_finite() || hi.is_finite()).then_some((lo, hi))
                })
                .collect(),
            steps: names
                .iter()
                .map(|n| {
                    let f = feature(n)?;
                    if f.values.is_empty() {
                        f.step.map(FeatureStep::Every)
                    } else {
                        Some(FeatureStep::Values(f.values.iter().map(|v| v.value).collect()))
                    }
                })
                .collect(),
        }
    }
}

/// The step of a feature the card says nothing about: whole numbers when the current value is
/// whole (years, rupees, counts, codes), else hundredths.
fn default_step(from: f64) -> FeatureStep {
    if from.is_nan() || from.fract() == 0.0 { FeatureStep::Every(1.0) } else { FeatureStep::Every(0.01) }
}

/// Output words read as favourable or unfavourable when the model card does not say.
const FAVOURABLE_WORDS: &[&str] =
    &["approve", "approved", "accept", "accepted", "grant", "granted", "eligible", "pass", "passed"];
/// See [`FAVOURABLE_WORDS`].
const UNFAVOURABLE_WORDS: &[&str] = &[
    "decline",
    "declined",
    "reject",
    "rejected",
    "deny",
    "denied",
    "refuse",
    "refused",
    "ineligible",
    "fail",
    "failed",
];

/// Whether the logged `output` is favourable, and how that was read (`model_card` or
/// `common_word`); `None` when neither says.
fn recorded_favourable(output: &Value, card: Option<&ModelCard>) -> Option<(bool, &'static str)> {
    if let Some(f) = card.and_then(|c| c.output(output)).and_then(|o| o.favourable) {
        return Some((f, "model_card"));
    }
    let word = output.as_str()?.trim().to_lowercase();
    if FAVOURABLE_WORDS.contains(&word.as_str()) {
        Some((true, "common_word"))
    } else if UNFAVOURABLE_WORDS.contains(&word.as_str()) {
        Some((false, "common_word"))
    } else {
        None
    }
}

/// Explains `record` (a logged decision) with `prepared`, the model loaded from the file of
/// `stored`, read with its card `card` ([`Reading::of`]). Recourse never changes an immutable
/// or protected feature, suggests only values the feature can take (the card's step or codes,
/// else whole numbers for whole values), each re-scored on the model; when the logged output
/// says the opposite of the model's outcome, the document records the contradiction.
///
/// # Errors
/// [`ExplainDecisionError`] naming the feature that does not fit, or the engine's reason.
pub fn explain_decision(
    reference: &str,
    record: &Value,
    stored: &StoredModel,
    card: Option<&ModelCard>,
    prepared: &PreparedModel,
) -> Result<ExplanationDoc, ExplainDecisionError> {
    let reading = Reading::of(stored, card);
    let model = prepared.model();
    let names = &stored.feature_names;
    let trees = matches!(model.body, ModelBody::Trees(_));
    let x = row(names, record, trees)?;
    let margins = model.predict_margin(&x)?;
    let output = if model.link == Link::Softmax {
        margins.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map_or(0, |(i, _)| i)
    } else {
        0
    };
    let e = prepared.explainer.explain(&stored.sha256, &x, output)?;
    let favourable = match reading.favourable {
        FavourableSide::High => Favourable::Above(reading.threshold),
        FavourableSide::Low => Favourable::Below(reading.threshold),
    };
    let favourable_now = match favourable {
        Favourable::Above(t) => e.margin > t,
        Favourable::Below(t) => e.margin < t,
    };
    let mads: Vec<f64> = match &model.body {
        ModelBody::Linear(l) => l.feature_mads.clone().unwrap_or_else(|| vec![1.0; names.len()]),
        ModelBody::Trees(_) => vec![1.0; names.len()],
    };
    let scales: Vec<f64> = mads.iter().map(|&m| if m > 0.0 && m.is_finite() { m } else { 1.0 }).collect();
    let bounds = &reading.bounds;
    let immutable = &reading.immutable;
    let steps: Vec<FeatureStep> =
        reading.steps.iter().zip(&x).map(|(s, &v)| s.clone().unwrap_or_else(|| default_step(v))).collect();
    let recourse = if model.link == Link::Softmax {
        RecourseInfo { status: "not_applicable".into(), searched: None, options: vec![] }
    } else {
        let config = RecourseConfig {
            output,
            favourable,
            directions: immutable
                .iter()
                .map(|&i| if i { Direction::Immutable } else { Direction::Any })
                .collect(),
            bounds: bounds.iter().map(|b| b.unwrap_or((f64::NEG_INFINITY, f64::INFINITY))).collect(),
            mads: mads.clone(),
            // More than are shown: some may not survive rounding to values people can take.
            max_options: MAX_OPTIONS * 3,
            max_changes: MAX_CHANGES,
        };
        let found = prepared.searcher.search(&x, &config)?;
        let config = RecourseConfig { max_options: MAX_OPTIONS, ..config };
        match actionable(model, &x, &config, &steps, found)? {
            Recourse::AlreadyFavourable => {
                RecourseInfo { status: "already_favourable".into(), searched: None, options: vec![] }
            }
            Recourse::NoneWithinConstraints { searched } => RecourseInfo {
                status: "none_within_constraints".into(),
                searched: Some(searched),
                options: vec![],
            },
            Recourse::Options(opts) => RecourseInfo {
                status: "options".into(),
                searched: None,
                options: opts
                    .into_iter()
                    .map(|o| OptionInfo {
                        changes: o
                            .changes
                            .iter()
                            .map(|c| ChangeInfo {
                                name: names[c.feature].clone(),
                                from: c.from,
                                to: c.to,
                                to_rounded: c.to,
                            })
                            .collect(),
                        cost: o.cost,
                        margin: o.margin,
                        score: o.score,
                    })
                    .collect(),
            },
        }
    };
    let recorded_output = record.get("output").cloned().unwrap_or(Value::Null);
    let contradiction = if model.link == Link::Softmax {
        None
    } else {
        recorded_favourable(&recorded_output, card).filter(|&(f, _)| f != favourable_now).map(
            |(f, source)| {
                let word = |f: bool| if f { "favourable" } else { "unfavourable" }.to_owned();
                Contradiction {
                    recorded_output: recorded_output.clone(),
                    recorded: word(f),
                    model: word(favourable_now),
                    source: source.into(),
                }
            },
        )
    };
    Ok(ExplanationDoc {
        contradiction,
        format: FORMAT.into(),
        reference: reference.into(),
        system: record.get("system").and_then(Value::as_str).unwrap_or_default().into(),
        system_version: record.get("system_version").and_then(Value::as_i64).unwrap_or_default(),
        model: ModelInfo {
            sha256: stored.sha256.clone(),
            format: stored.format.clone(),
            library: model.source.library.clone(),
            library_version: model.source.version.clone(),
            objective: model.source.objective.clone(),
            link: link_name(model.link).into(),
            system_version: stored.version,
            uploaded_at: stored.uploaded_at.clone(),
        },
        method: match e.method {
            mizan_explain::shap::Method::TreePathDependent => "tree_path_dependent",
            mizan_explain::shap::Method::TreeInterventional => "tree_interventional",
            mizan_explain::shap::Method::LinearClosedForm => "linear_closed_form",
        }
        .into(),
        output,
        margin: e.margin,
        score: model.score(&margins, output),
        recorded_output,
        recorded_score: record.get("score").and_then(Value::as_f64),
        favourable: FavourableInfo { side: reading.favourable.as_str().into(), threshold: reading.threshold },
        outcome: if model.link == Link::Softmax {
            "class"
        } else if favourable_now {
            "favourable"
        } else {
            "unfavourable"
        }
        .into(),
        phi0: e.phi0,
        phi0_base_margin: e.phi0_base_margin,
        additivity_residual: e.additivity_residual,
        features: e
            .features
            .iter()
            .enumerate()
            .map(|(j, f)| FeatureInfo {
                name: names[j].clone(),
                value: f.given,
                encoded: f.encoded,
                phi: e.phi[j],
                default_routed: f.default_routed,
                immutable: immutable[j],
                bounds: bounds[j].map(|(lo, hi)| [lo, hi]),
                scale: scales[j],
            })
            .collect(),
        recourse,
    })
}

/// Hash of the model a decision names, as stored: `sha256:<hex>` or `<hex>`, lower-cased.
#[must_use]
pub fn normalise_hash(model_hash: &str) -> String {
    let h = model_hash.trim();
    let h = h.strip_prefix("sha256:").unwrap_or(h);
    h.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn logged_outputs_are_read_by_the_card_first_then_common_words() {
        let card: ModelCard = serde_json::from_value(serde_json::json!({
            "format": "mizan.model-card/1",
            "outputs": [{"value": "decline", "label": {"en": "Declined", "ur": "مسترد"}, "favourable": true}]
        }))
        .expect("card");
        assert_eq!(recorded_favourable(&"decline".into(), Some(&card)), Some((true, "model_card")));
        assert_eq!(recorded_favourable(&"Declined".into(), None), Some((false, "common_word")));
        assert_eq!(recorded_favourable(&"approve".into(), None), Some((true, "common_word")));
        assert_eq!(recorded_favourable(&"band C".into(), None), None);
        assert_eq!(recorded_favourable(&Value::Null, None), None);
    }

    #[test]
    fn hashes_are_normalised() {
        assert_eq!(normalise_hash(" sha256:ABC "), "abc");
        assert_eq!(normalise_hash("abc"), "abc");
    }
}
