//! `mizan.model-card/1`: what a provider says about an uploaded model so that people can read
//! its explanations: each feature's label in English and Urdu, its unit, the step its values
//! move in, the meaning of coded values (1 = "no checking account"), whether it is protected or
//! immutable and the bounds of a suggested change; each output value's label and whether it is
//! the favourable outcome; and, optionally, the favourable side and threshold of the margin.
//!
//! A card is uploaded beside a model and may be corrected (each correction a new card, kept
//! and logged as an event) until a decision has been explained with the model. The type is the
//! format: serde names are the fields; schema: `schemas/mizan.model-card-1.schema.json`.
//! [`ModelCard::check`] checks a card against the model's features and says what is wrong and
//! where (`features[2].label.ur`); [`ModelCard::missing`] lists what a complete card would
//! still need, for the "labels missing" notices.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The format's name, the value of every card's `format` field.
pub const FORMAT: &str = "mizan.model-card/1";

/// A text in English and Urdu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Text {
    /// English.
    pub en: String,
    /// Urdu.
    pub ur: String,
}

impl Text {
    /// The text in `lang` (`ur` for Urdu, English otherwise).
    #[must_use]
    pub fn get(&self, lang: &str) -> &str {
        if lang == "ur" { &self.ur } else { &self.en }
    }
}

/// The label of one coded value of a feature.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CodedValue {
    /// The number the model sees.
    pub value: f64,
    /// What it means.
    pub label: Text,
}

/// One feature of the model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureCard {
    /// The model's feature name (a key of a decision's `features`).
    pub name: String,
    /// What it is, in words.
    pub label: Text,
    /// Its unit (`rupees`, `months`), if it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<Text>,
    /// The step its values move in (`1` for whole years or rupees); suggested changes are
    /// multiples of it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<f64>,
    /// The meaning of each coded value; a suggested change takes only these values.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<CodedValue>,
    /// A protected characteristic (age, sex, religion...): never suggested to change.
    #[serde(default)]
    pub protected: bool,
    /// Cannot be changed by the person (months of credit history): never suggested to change.
    #[serde(default)]
    pub immutable: bool,
    /// The lowest value a suggested change may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<f64>,
    /// The highest value a suggested change may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<f64>,
}

/// One output value the provider logs (`approve`, `decline`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputCard {
    /// The value as logged in a decision's `output` (a string, or a number written as text).
    pub value: String,
    /// What it means to the person.
    pub label: Text,
    /// Whether it is the favourable outcome for the person.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favourable: Option<bool>,
}

/// `mizan.model-card/1`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelCard {
    /// `mizan.model-card/1`.
    pub format: String,
    /// `high` or `low`: which side of the threshold is favourable (the upload's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub favourable_side: Option<String>,
    /// The margin threshold between the outcomes (the upload's when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// The features, by name (any order; a feature left out keeps its name as its label).
    #[serde(default)]
    pub features: Vec<FeatureCard>,
    /// The output values.
    #[serde(default)]
    pub outputs: Vec<OutputCard>,
}

/// What is wrong with a card, and where.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{path}` of the model card: {detail}")]
pub struct CardError {
    /// Where, as a path into the card: `features[2].label.ur`, `.` for the whole card.
    pub path: String,
    /// What is wrong, and how to fix it.
    pub detail: String,
}

fn err(path: impl Into<String>, detail: impl Into<String>) -> CardError {
    CardError { path: path.into(), detail: detail.into() }
}

fn check_text(path: &str, t: &Text) -> Result<(), CardError> {
    for (lang, s) in [("en", &t.en), ("ur", &t.ur)] {
        if s.trim().is_empty() {
            return Err(err(
                format!("{path}.{lang}"),
                "is empty; give the text in English (`en`) and Urdu (`ur`)",
            ));
        }
        if s.chars().count() > 200 {
            return Err(err(format!("{path}.{lang}"), "is longer than 200 characters"));
        }
        if s.chars().any(char::is_control) {
            return Err(err(format!("{path}.{lang}"), "holds a control character"));
        }
    }
    Ok(())
}

impl ModelCard {
    /// Reads a card from JSON text, naming the line and column of a syntax error and the path
    /// of a field that does not fit.
    ///
    /// # Errors
    /// [`CardError`] naming where.
    pub fn parse(text: &str) -> Result<ModelCard, CardError> {
        let value: Value = serde_json::from_str(text)
            .map_err(|e| err(".", format!("is not JSON: {e}; give a `{FORMAT}` document")))?;
        Self::from_value(&value)
    }

    /// Reads a card from a JSON value.
    ///
    /// # Errors
    /// [`CardError`] naming where.
    pub fn from_value(value: &Value) -> Result<ModelCard, CardError> {
        // serde_path_to_error is not a dependency; the message names the field serde names.
        serde_json::from_value(value.clone()).map_err(|e| err(".", format!("{e}")))
    }

    /// Checks the card against the model's features (`feature_names`, in model order): the
    /// format, every named feature exists and is named once, labels are non-empty in both
    /// languages, coded values are distinct numbers, steps are positive, `min ≤ max`, output
    /// values are named once, and the favourable side is `high` or `low`.
    ///
    /// # Errors
    /// The first [`CardError`], naming the path and what is wrong.
    pub fn check(&self, feature_names: &[String]) -> Result<(), CardError> {
        if self.format != FORMAT {
            return Err(err("format", format!("is `{}`; it must be `{FORMAT}`", self.format)));
        }
        if let Some(side) = &self.favourable_side
            && side != "high"
            && side != "low"
        {
            return Err(err("favourable_side", format!("is `{side}`; use `high` or `low`")));
        }
        if let Some(t) = self.threshold
            && !t.is_finite()
        {
            return Err(err("threshold", "must be a finite number"));
        }
        let listing = || feature_names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ");
        for (i, f) in self.features.iter().enumerate() {
            let at = format!("features[{i}]");
            if !feature_names.contains(&f.name) {
                return Err(err(
                    format!("{at}.name"),
                    format!("`{}` is not a feature of the model (features: {})", f.name, listing()),
                ));
            }
            if self.features[..i].iter().any(|g| g.name == f.name) {
                return Err(err(format!("{at}.name"), format!("`{}` is described twice", f.name)));
            }
            check_text(&format!("{at}.label"), &f.label)?;
            if let Some(u) = &f.unit {
                check_text(&format!("{at}.unit"), u)?;
            }
            if let Some(s) = f.step
                && !(s.is_finite() && s > 0.0)
            {
                return Err(err(
                    format!("{at}.step"),
                    format!("is `{s}`; a step is a positive number, e.g. `1`"),
                ));
            }
            for (k, v) in f.values.iter().enumerate() {
                let vat = format!("{at}.values[{k}]");
                if !v.value.is_finite() {
                    return Err(err(format!("{vat}.value"), "must be a finite number"));
                }
                if f.values[..k].iter().any(|w| w.value.to_bits() == v.value.to_bits()) {
                    return Err(err(format!("{vat}.value"), format!("`{}` is labelled twice", v.value)));
                }
                check_text(&format!("{vat}.label"), &v.label)?;
            }
            for (which, b) in [("min", f.min), ("max", f.max)] {
                if let Some(b) = b
                    && !b.is_finite()
                {
                    return Err(err(format!("{at}.{which}"), "must be a finite number"));
                }
            }
            if let (Some(lo), Some(hi)) = (f.min, f.max)
                && lo > hi
            {
                return Err(err(format!("{at}.min"), format!("`{lo}` is above `max` `{hi}`")));
            }
        }
        for (i, o) in self.outputs.iter().enumerate() {
            let at = format!("outputs[{i}]");
            if o.value.trim().is_empty() {
                return Err(err(format!("{at}.value"), "is empty; give the output as decisions log it"));
            }
            if self.outputs[..i].iter().any(|p| p.value == o.value) {
                return Err(err(format!("{at}.value"), format!("`{}` is described twice", o.value)));
            }
            check_text(&format!("{at}.label"), &o.label)?;
        }
        Ok(())
    }

    /// The card of feature `name`, if described.
    #[must_use]
    pub fn feature(&self, name: &str) -> Option<&FeatureCard> {
        self.features.iter().find(|f| f.name == name)
    }

    /// The card of output value `value` (a string as logged, or a number or boolean written as
    /// text), if described.
    #[must_use]
    pub fn output(&self, value: &Value) -> Option<&OutputCard> {
        let text = match value {
            Value::String(s) => s.clone(),
            Value::Null => return None,
            other => other.to_string(),
        };
        self.outputs.iter().find(|o| o.value == text)
    }

    /// What a complete card would still need: the features of `feature_names` it does not
    /// label, and `outputs` when no output value is labelled. Empty when complete.
    #[must_use]
    pub fn missing(&self, feature_names: &[String]) -> Vec<String> {
        let mut out: Vec<String> =
            feature_names.iter().filter(|n| self.feature(n).is_none()).cloned().collect();
        if self.outputs.is_empty() {
            out.push("outputs".into());
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Vec<String> {
        ["age", "checking_account"].iter().map(|s| (*s).to_owned()).collect()
    }

    fn card() -> Value {
        serde_json::json!({
            "format": "mizan.model-card/1",
            "features": [
                {"name": "age", "label": {"en": "Age", "ur": "عمر"}, "unit": {"en": "years", "ur": "سال"},
                 "step": 1, "protected": true},
                {"name": "checking_account", "label": {"en": "Checking account", "ur": "چیکنگ اکاؤنٹ"},
                 "values": [{"value": 1, "label": {"en": "no checking account", "ur": "کوئی چیکنگ اکاؤنٹ نہیں"}}]}
            ],
            "outputs": [{"value": "decline", "label": {"en": "Declined", "ur": "مسترد"}, "favourable": false}]
        })
    }

    fn check(card: &Value) -> Result<(), CardError> {
        ModelCard::from_value(card)?.check(&names())
    }

    #[test]
    fn a_good_card_passes_and_reads_back() {
        let c = ModelCard::from_value(&card()).expect("reads");
        c.check(&names()).expect("fits");
        assert_eq!(c.output(&serde_json::json!("decline")).map(|o| o.label.get("ur")), Some("مسترد"));
        assert!(c.missing(&names()).is_empty());
        assert_eq!(c.missing(&["age".into(), "job".into()]), vec!["job".to_owned()]);
    }

    #[test]
    fn errors_say_what_and_where() {
        let cases: &[(&str, Value, &str)] = &[
            ("/features/0/name", "religion".into(), "features[0].name"),
            ("/features/1/label/ur", " ".into(), "features[1].label.ur"),
            ("/features/0/step", 0.into(), "features[0].step"),
            ("/features/0/min", 90.into(), "features[0].min"),
            ("/outputs/0/label/en", "".into(), "outputs[0].label.en"),
            ("/format", "mizan.model-card/2".into(), "format"),
        ];
        for (pointer, value, path) in cases {
            let mut c = card();
            if *pointer == "/features/0/min" {
                c["features"][0]["min"] = value.clone();
                c["features"][0]["max"] = 18.into();
            } else {
                *c.pointer_mut(pointer).expect("pointer") = value.clone();
            }
            let e = check(&c).expect_err(pointer);
            assert_eq!(e.path, *path, "{e}");
        }
        // A coded value that is not a number is refused when read, naming the field.
        let mut c = card();
        c["features"][1]["values"][0]["value"] = "one".into();
        let e = check(&c).expect_err("a string code");
        assert!(e.detail.contains("invalid type"), "{e}");
        let mut c = card();
        c["features"][0]["colour"] = "blue".into();
        assert!(check(&c).expect_err("unknown field").detail.contains("colour"));
    }
}
