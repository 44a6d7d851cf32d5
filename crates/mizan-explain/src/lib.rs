//! Explanations and recourse for automated decisions, with no I/O.
//!
//! Models from XGBoost (JSON, UBJSON), LightGBM (`model.txt`) and a documented linear JSON are
//! loaded into one tree IR ([`Model`]); [`shap`] computes exact path-dependent and
//! interventional TreeSHAP in f64 margin space, and [`recourse`] searches the model's own split
//! thresholds for the smallest actionable changes that flip an outcome. Callers read files and
//! hash bytes; this crate only takes values, so every number is reproducible.
#![warn(missing_docs)]

mod error;
pub mod ir;
pub mod lightgbm;
pub mod linear;
pub mod recourse;
pub mod shap;
mod treeshap;
mod ubjson;
pub mod xgboost;

pub use error::ExplainError;
pub use ir::{Comparison, Link, Model, ModelBody, Node, Source, Tree};

use sha2::{Digest, Sha256};

/// The model hash recorded in every explanation: lowercase hex sha256 of the model file bytes.
#[must_use]
pub fn model_hash(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Whether bytes starting with `{` are meant as JSON rather than UBJSON: in JSON the brace is
/// followed by whitespace, a quote (a key) or the closing brace; in UBJSON by a type marker
/// (`i`, `U`, `I`, `l`, `L`, `$`, `#`).
fn looks_like_json(trimmed: &[u8]) -> bool {
    matches!(trimmed.get(1), None | Some(b' ' | b'\t' | b'\n' | b'\r' | b'"' | b'}'))
}

/// Loads a model from its file bytes, recognising the format from its content.
///
/// JSON starting with `{` is XGBoost JSON when it has a `learner` key and linear JSON when its
/// `format` is `mizan-linear/1`; text starting with `tree` is LightGBM `model.txt`; anything
/// else starting with `{` as a byte is tried as XGBoost UBJSON, unless it looks like JSON (a
/// key or whitespace after the brace): then the JSON error is reported with its line and
/// column.
///
/// # Errors
/// [`ExplainError`] naming what is wrong or unsupported in the file.
pub fn load_model(bytes: &[u8]) -> Result<Model, ExplainError> {
    let trimmed = bytes.trim_ascii_start();
    if trimmed.starts_with(b"tree") {
        let text = std::str::from_utf8(bytes).map_err(|e| ExplainError::Format {
            format: "lightgbm model.txt",
            at: format!("byte {}", e.valid_up_to()),
            detail: "file is not utf-8 text".into(),
        })?;
        return lightgbm::load_model_txt(text);
    }
    if trimmed.starts_with(b"{") {
        match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(value) => {
                if value.get("learner").is_some() {
                    return xgboost::load_value(&value);
                }
                if value.get("format").is_some() {
                    return linear::load_value(&value);
                }
                return Err(ExplainError::Format {
                    format: "json model",
                    at: "top level".into(),
                    detail:
                        "neither an xgboost model (`learner` key) nor a mizan linear model (`format` key)"
                            .into(),
                });
            }
            Err(e) if looks_like_json(trimmed) => {
                // The parser's message ends with its own position; the variant carries it.
                let detail = e.to_string();
                let detail = detail.split(" at line ").next().unwrap_or_default().to_owned();
                return Err(ExplainError::Json { line: e.line(), column: e.column(), detail });
            }
            Err(_) => return xgboost::load_ubjson(bytes),
        }
    }
    Err(ExplainError::Format {
        format: "model",
        at: "byte 0".into(),
        detail:
            "unrecognised model file; expected xgboost json/ubjson, lightgbm model.txt or mizan linear json"
                .into(),
    })
}
