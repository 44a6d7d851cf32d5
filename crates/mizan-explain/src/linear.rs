//! Linear and logistic models from the documented `mizan-linear/1` JSON.
//!
//! Format: `{"format": "mizan-linear/1", "library", "version", "link": "identity" | "logit",
//! "feature_names": [..], "coefficients": [..], "intercept": n, "feature_means": [..],
//! "feature_mads": [..] (optional)}`. The margin is `intercept + Σ coefficient·x`; SHAP values are
//! the exact closed form `coefficient·(x − mean)` against the recorded feature means.

use serde_json::Value;

use crate::ExplainError;
use crate::error::shown;
use crate::ir::{LinearModel, Link, Model, ModelBody, Source};

const FORMAT: &str = "mizan-linear/1";

fn err(at: &str, detail: impl Into<String>) -> ExplainError {
    ExplainError::Format { format: FORMAT, at: at.into(), detail: detail.into() }
}

fn floats(v: &Value, key: &str) -> Result<Vec<f64>, ExplainError> {
    v.get(key)
        .and_then(Value::as_array)
        .ok_or_else(|| err(key, "expected an array of numbers"))?
        .iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_f64()
                .filter(|f| f.is_finite())
                .ok_or_else(|| err(&format!("{key}[{i}]"), "expected a finite number"))
        })
        .collect()
}

/// Loads a linear model from its parsed JSON.
///
/// # Errors
/// [`ExplainError::Format`] naming the key that is missing or inconsistent, and
/// [`ExplainError::Unsupported`] for an unknown `format` or `link`.
pub fn load_value(v: &Value) -> Result<Model, ExplainError> {
    let format = v.get("format").and_then(Value::as_str).unwrap_or_default();
    if format != FORMAT {
        return Err(ExplainError::Unsupported {
            format: "linear json",
            what: "format",
            value: shown(format),
            supported: FORMAT,
        });
    }
    let link = match v.get("link").and_then(Value::as_str).unwrap_or_default() {
        "identity" => Link::Identity,
        "logit" => Link::Logistic,
        other => {
            return Err(ExplainError::Unsupported {
                format: FORMAT,
                what: "link",
                value: shown(other),
                supported: "identity, logit",
            });
        }
    };
    let names: Vec<String> = v
        .get("feature_names")
        .and_then(Value::as_array)
        .ok_or_else(|| err("feature_names", "expected an array of strings"))?
        .iter()
        .map(|s| s.as_str().map(str::to_string).ok_or_else(|| err("feature_names", "expected strings")))
        .collect::<Result<_, _>>()?;
    let coefficients = floats(v, "coefficients")?;
    let feature_means = floats(v, "feature_means")?;
    let feature_mads = if v.get("feature_mads").is_some() { Some(floats(v, "feature_mads")?) } else { None };
    for (key, len) in [
        ("coefficients", coefficients.len()),
        ("feature_means", feature_means.len()),
        ("feature_mads", feature_mads.as_ref().map_or(names.len(), Vec::len)),
    ] {
        if len != names.len() {
            return Err(err(key, format!("{len} values for {} features", names.len())));
        }
    }
    let intercept =
        v.get("intercept").and_then(Value::as_f64).ok_or_else(|| err("intercept", "expected a number"))?;
    let text = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    Ok(Model {
        source: Source {
            library: text("library"),
            version: text("version"),
            objective: format!("linear ({})", text("link")),
        },
        feature_names: names,
        base_margin: vec![intercept],
        link,
        body: ModelBody::Linear(LinearModel { coefficients, feature_means, feature_mads }),
    })
}
