//! `mizan.explanation/1`: the explanation of one logged decision, as stored beside the decision
//! and served as JSON: SHAP values (φ₀ and one φ per feature, with the additivity residual),
//! the model that produced them, the provider's favourable side, and recourse options.
//!
//! The types are plain data; the server's `explain` module computes them with `mizan-explain`
//! and reads them back as sentences. Serde names and behaviour are the format (every field is
//! always written; `Option` fields as `null`); schema: `schemas/mizan.explanation-1.schema.json`.
//! A document names its format in its own `format` field, [`FORMAT`].

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format's name, the value of every document's `format` field.
pub const FORMAT: &str = "mizan.explanation/1";

/// The model an explanation used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelInfo {
    /// Lowercase hex SHA-256 of the model file.
    pub sha256: String,
    /// File format.
    pub format: String,
    /// Library that made it.
    pub library: String,
    /// Library version recorded in the file.
    pub library_version: String,
    /// Objective as recorded.
    pub objective: String,
    /// Link from margin to score: `identity`, `logistic` or `softmax`.
    pub link: String,
    /// The system version the model was uploaded for.
    pub system_version: i64,
    /// When it was uploaded.
    pub uploaded_at: String,
}

/// One feature: its value, its SHAP value and the constraints recourse used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureInfo {
    /// Name.
    pub name: String,
    /// Value in the decision record (`null` when missing).
    pub value: Option<f64>,
    /// Value the model compares (f32-rounded for XGBoost).
    pub encoded: Option<f64>,
    /// SHAP value (margin units).
    pub phi: f64,
    /// Splits where the value was missing and followed the default direction.
    pub default_routed: u32,
    /// Recourse never changes it.
    pub immutable: bool,
    /// Bounds recourse stayed within (`null`: unbounded).
    pub bounds: Option<[f64; 2]>,
    /// Cost scale of a change (median absolute deviation, or 1).
    pub scale: f64,
}

/// One changed feature of a recourse option.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChangeInfo {
    /// Feature name.
    pub name: String,
    /// Value now.
    pub from: Option<f64>,
    /// The suggested value: one the feature can take (its step or codes), within its bounds.
    pub to: f64,
    /// The value shown to people (the same as `to` since recourse is made actionable; both are
    /// re-scored on the model).
    pub to_rounded: f64,
}

/// One way to change the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OptionInfo {
    /// The changes, together.
    pub changes: Vec<ChangeInfo>,
    /// Σ |Δ| / scale.
    pub cost: f64,
    /// Margin after the changes.
    pub margin: f64,
    /// Score after the changes.
    pub score: f64,
}

/// What would change the outcome.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RecourseInfo {
    /// `options`, `already_favourable`, `none_within_constraints` or `not_applicable`
    /// (multi-class models).
    pub status: String,
    /// Candidates re-scored, when none was found.
    pub searched: Option<usize>,
    /// Options, cheapest first.
    pub options: Vec<OptionInfo>,
}

/// The favourable outcome as the provider declared it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FavourableInfo {
    /// `high`: a margin above the threshold is favourable; `low`: below.
    pub side: String,
    /// Margin threshold.
    pub threshold: f64,
}

/// The recorded outcome and the model's recomputed one disagree: the provider's settings (the
/// favourable side, the threshold) or its log are wrong, and a person must look.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Contradiction {
    /// The output the provider logged.
    pub recorded_output: Value,
    /// What the logged output means: `favourable` or `unfavourable`.
    pub recorded: String,
    /// The model's recomputed outcome: `favourable` or `unfavourable`.
    pub model: String,
    /// How the logged output was read: `model_card` or `common_word`.
    pub source: String,
}

/// The explanation of one logged decision (`mizan.explanation/1`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExplanationDoc {
    /// `mizan.explanation/1`.
    pub format: String,
    /// The decision's receipt reference.
    pub reference: String,
    /// The system's public id.
    pub system: String,
    /// The system version that decided.
    pub system_version: i64,
    /// The model.
    pub model: ModelInfo,
    /// `tree_path_dependent`, `tree_interventional` or `linear_closed_form`.
    pub method: String,
    /// Explained output (the predicted class for multi-class models, else 0).
    pub output: usize,
    /// The model's margin for the decision's features.
    pub margin: f64,
    /// The model's score (link applied).
    pub score: f64,
    /// The outcome the provider logged.
    pub recorded_output: Value,
    /// The score the provider logged.
    pub recorded_score: Option<f64>,
    /// The favourable side.
    pub favourable: FavourableInfo,
    /// `favourable`, `unfavourable`, or `class` for multi-class models.
    pub outcome: String,
    /// φ₀: the expected margin, where the contributions start from.
    pub phi0: f64,
    /// The model's base margin (part of φ₀).
    pub phi0_base_margin: f64,
    /// |Σφ + φ₀ − margin|.
    pub additivity_residual: f64,
    /// Features in model order.
    pub features: Vec<FeatureInfo>,
    /// What would change the outcome.
    pub recourse: RecourseInfo,
    /// Set when the recorded outcome contradicts the model's (`null` otherwise; absent in
    /// documents written before the field existed).
    #[serde(default)]
    pub contradiction: Option<Contradiction>,
}
