//! `mizan.oversight-policy/1`: which automated decisions a person must see before they take
//! effect (human oversight, EU AI Act Art. 14), set by a provider per system version and
//! published on the register. Schema: `schemas/mizan.oversight-policy-1.schema.json`.
//!
//! A decision is held for review when any rule selects it:
//!
//! - `adverse_outputs`: its output is one of these (a loan `"declined"`, a benefit `false`);
//! - `sample_percent`: a random share of every decision. The draw is the decision's leaf
//!   hash, which nobody knows before the decision is logged (the leaf is keyed with a fresh
//!   random key) and everybody can recompute after: the first 8 bytes of
//!   `SHA-256("mizan.oversight.sample/1" || leaf_hash)`, read big-endian as an unsigned
//!   integer `x`, select the decision when `x / 2^64 × 100 < sample_percent`;
//! - `margin`: its score is within `width` of `threshold` (the close calls);
//! - `features`: one of its inputs is named here (present and not null), or, when `values`
//!   are listed, has one of those values.
//!
//! An empty policy (`{}`) holds nothing.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::FormatError;

/// The format's name.
pub const FORMAT: &str = "mizan.oversight-policy/1";

/// Most entries in any list of a policy.
pub const MAX_ITEMS: usize = 100;

/// Longest feature name, in characters.
pub const MAX_NAME: usize = 128;

/// Which decisions a person must review before they take effect.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OversightPolicy {
    /// Outputs that go against the person; every decision with one is held.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub adverse_outputs: Vec<Value>,
    /// The share of all decisions held at random, in percent (0 to 100).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub sample_percent: f64,
    /// Decisions whose score is this close to the threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<Margin>,
    /// Decisions touching these inputs.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub features: Vec<FeatureRule>,
}

#[allow(clippy::trivially_copy_pass_by_ref)]
fn is_zero(x: &f64) -> bool {
    *x == 0.0
}

/// The close calls: `|score - threshold| <= width`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Margin {
    /// The score at which the decision turns.
    pub threshold: f64,
    /// How close counts as close (at least 0).
    pub width: f64,
}

/// Decisions touching an input.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FeatureRule {
    /// The input's name, as in the decision's `features`.
    pub name: String,
    /// When given, only these values select (else any value but null).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub values: Option<Vec<Value>>,
}

/// Why a decision was held.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum HoldReason {
    /// Its output is adverse.
    Adverse,
    /// It was drawn in the random sample.
    Sample,
    /// Its score is within the margin of the threshold.
    Margin,
    /// It touches a named input.
    Feature,
}

impl HoldReason {
    /// `adverse`, `sample`, `margin` or `feature`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Adverse => "adverse",
            Self::Sample => "sample",
            Self::Margin => "margin",
            Self::Feature => "feature",
        }
    }

    /// The reason named `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Adverse, Self::Sample, Self::Margin, Self::Feature].into_iter().find(|r| r.as_str() == s)
    }
}

fn invalid(field: impl Into<String>, value: &str, reason: impl Into<String>) -> FormatError {
    FormatError::Invalid {
        format: FORMAT,
        field: field.into(),
        value: crate::shorten(value),
        reason: reason.into(),
    }
}

fn check_value(field: String, v: &Value) -> Result<(), FormatError> {
    match v {
        Value::String(s) if s.chars().count() <= 200 => Ok(()),
        Value::String(s) => Err(invalid(field, s, "at most 200 characters")),
        Value::Number(_) | Value::Bool(_) => Ok(()),
        other => Err(FormatError::Type {
            format: FORMAT,
            field,
            expected: "a string, a number or true/false",
            found: crate::json_type(other),
        }),
    }
}

/// Two outputs or input values are the same: equal strings or booleans, or numbers equal as
/// numbers (`1` is `1.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        _ => a == b,
    }
}

/// The sample draw of a decision whose RFC 6962 leaf hash is `leaf_hash`: a number in
/// `[0, 100)`, uniform over decisions, that anyone can recompute from the public leaf hash.
#[must_use]
pub fn sample_draw(leaf_hash: &[u8; 32]) -> f64 {
    let mut h = Sha256::new();
    h.update(b"mizan.oversight.sample/1");
    h.update(leaf_hash);
    let d = h.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&d[..8]);
    #[allow(clippy::cast_precision_loss)]
    let x = u64::from_be_bytes(first) as f64;
    x / 18_446_744_073_709_551_616.0 * 100.0
}

impl OversightPolicy {
    /// Reads and checks a policy.
    ///
    /// # Errors
    /// [`FormatError`] naming the field that is wrong and why.
    pub fn from_value(v: &Value) -> Result<Self, FormatError> {
        if !v.is_object() {
            return Err(FormatError::NotObject {
                format: FORMAT,
                field: ".".into(),
                found: crate::json_type(v),
            });
        }
        let p: Self = serde_json::from_value(v.clone())
            .map_err(|e| FormatError::Json { format: FORMAT, reason: e.to_string() })?;
        p.check()?;
        Ok(p)
    }

    /// Reads and checks a policy from its JSON text.
    ///
    /// # Errors
    /// As [`OversightPolicy::from_value`].
    pub fn from_json(text: &str) -> Result<Self, FormatError> {
        let v: Value = serde_json::from_str(text)
            .map_err(|e| FormatError::Json { format: FORMAT, reason: e.to_string() })?;
        Self::from_value(&v)
    }

    /// The policy as JSON text (only the rules it has).
    #[must_use]
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".to_owned())
    }

    /// Whether the policy holds nothing.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.adverse_outputs.is_empty()
            && self.sample_percent == 0.0
            && self.margin.is_none()
            && self.features.is_empty()
    }

    fn check(&self) -> Result<(), FormatError> {
        if self.adverse_outputs.len() > MAX_ITEMS {
            return Err(invalid(
                "adverse_outputs",
                &self.adverse_outputs.len().to_string(),
                format!("at most {MAX_ITEMS} outputs"),
            ));
        }
        for (i, v) in self.adverse_outputs.iter().enumerate() {
            check_value(format!("adverse_outputs[{i}]"), v)?;
        }
        if !(0.0..=100.0).contains(&self.sample_percent) {
            return Err(invalid(
                "sample_percent",
                &self.sample_percent.to_string(),
                "a share in percent, from 0 to 100",
            ));
        }
        if let Some(m) = self.margin {
            if !m.threshold.is_finite() {
                return Err(invalid("margin.threshold", &m.threshold.to_string(), "must be a finite number"));
            }
            if !m.width.is_finite() || m.width < 0.0 {
                return Err(invalid("margin.width", &m.width.to_string(), "must be a number of at least 0"));
            }
        }
        if self.features.len() > MAX_ITEMS {
            return Err(invalid(
                "features",
                &self.features.len().to_string(),
                format!("at most {MAX_ITEMS} rules"),
            ));
        }
        for (i, f) in self.features.iter().enumerate() {
            if f.name.trim().is_empty() || f.name.chars().count() > MAX_NAME {
                return Err(invalid(
                    format!("features[{i}].name"),
                    &f.name,
                    format!("an input's name, 1 to {MAX_NAME} characters"),
                ));
            }
            if let Some(values) = &f.values {
                if values.is_empty() || values.len() > MAX_ITEMS {
                    return Err(invalid(
                        format!("features[{i}].values"),
                        &values.len().to_string(),
                        format!("1 to {MAX_ITEMS} values (leave it out to select any value)"),
                    ));
                }
                for (j, v) in values.iter().enumerate() {
                    check_value(format!("features[{i}].values[{j}]"), v)?;
                }
            }
        }
        Ok(())
    }

    /// Why this policy holds a decision with these inputs, output, score and leaf hash, in a
    /// fixed order; empty when it does not.
    #[must_use]
    pub fn reasons(
        &self,
        features: &serde_json::Map<String, Value>,
        output: &Value,
        score: Option<f64>,
        leaf_hash: &[u8; 32],
    ) -> Vec<HoldReason> {
        let mut out = Vec::new();
        if self.adverse_outputs.iter().any(|a| same(a, output)) {
            out.push(HoldReason::Adverse);
        }
        if self.sample_percent > 0.0 && sample_draw(leaf_hash) < self.sample_percent {
            out.push(HoldReason::Sample);
        }
        if let (Some(m), Some(s)) = (self.margin, score)
            && (s - m.threshold).abs() <= m.width
        {
            out.push(HoldReason::Margin);
        }
        let touches = |f: &FeatureRule| match (features.get(&f.name), &f.values) {
            (None | Some(Value::Null), _) => false,
            (Some(_), None) => true,
            (Some(v), Some(values)) => values.iter().any(|w| same(v, w)),
        };
        if self.features.iter().any(touches) {
            out.push(HoldReason::Feature);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn features(v: Value) -> serde_json::Map<String, Value> {
        v.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn each_rule_selects_what_it_names_and_nothing_else() {
        let p = OversightPolicy::from_value(&json!({
            "adverse_outputs": ["declined", false, 0],
            "margin": {"threshold": 0.5, "width": 0.05},
            "features": [{"name": "disability"}, {"name": "district", "values": ["Kech", 7]}]
        }))
        .unwrap();
        let leaf = [0u8; 32];
        let none = features(json!({"income": 10}));
        assert_eq!(p.reasons(&none, &json!("declined"), None, &leaf), vec![HoldReason::Adverse]);
        assert_eq!(p.reasons(&none, &json!(0.0), None, &leaf), vec![HoldReason::Adverse], "0 is 0.0");
        assert!(p.reasons(&none, &json!("approved"), Some(0.9), &leaf).is_empty());
        assert_eq!(p.reasons(&none, &json!("approved"), Some(0.549), &leaf), vec![HoldReason::Margin]);
        assert_eq!(p.reasons(&none, &json!("approved"), Some(0.451), &leaf), vec![HoldReason::Margin]);
        assert!(p.reasons(&none, &json!("approved"), Some(0.5501), &leaf).is_empty());
        let dis = features(json!({"disability": "yes"}));
        assert_eq!(p.reasons(&dis, &json!("approved"), None, &leaf), vec![HoldReason::Feature]);
        let null = features(json!({"disability": null}));
        assert!(p.reasons(&null, &json!("approved"), None, &leaf).is_empty());
        let kech = features(json!({"district": "Kech"}));
        assert_eq!(p.reasons(&kech, &json!("approved"), None, &leaf), vec![HoldReason::Feature]);
        let seven = features(json!({"district": 7.0}));
        assert_eq!(p.reasons(&seven, &json!("approved"), None, &leaf), vec![HoldReason::Feature]);
        let lahore = features(json!({"district": "Lahore"}));
        assert!(p.reasons(&lahore, &json!("approved"), None, &leaf).is_empty());
        assert_eq!(
            p.reasons(&kech, &json!(false), Some(0.5), &leaf),
            vec![HoldReason::Adverse, HoldReason::Margin, HoldReason::Feature]
        );
        assert!(OversightPolicy::default().reasons(&kech, &json!(false), Some(0.5), &leaf).is_empty());
    }

    #[test]
    fn the_sample_draws_its_share_from_the_leaf_hash() {
        let p = OversightPolicy::from_value(&json!({"sample_percent": 10})).unwrap();
        let n = 20_000u32;
        let held = (0..n)
            .filter(|i| {
                let leaf: [u8; 32] = Sha256::digest(i.to_be_bytes()).into();
                !p.reasons(&serde_json::Map::new(), &json!("x"), None, &leaf).is_empty()
            })
            .count();
        // 10 % of 20,000 is 2,000; the binomial standard deviation is about 42.
        assert!((1_800..=2_200).contains(&held), "{held} of {n} held");
        // The draw is a function of the leaf hash alone.
        let leaf = [7u8; 32];
        assert_eq!(sample_draw(&leaf), sample_draw(&leaf));
        assert!((0.0..100.0).contains(&sample_draw(&leaf)));
        let all = OversightPolicy::from_value(&json!({"sample_percent": 100})).unwrap();
        assert_eq!(
            all.reasons(&serde_json::Map::new(), &json!(1), None, &[255u8; 32]),
            vec![HoldReason::Sample]
        );
    }

    #[test]
    fn bad_policies_are_refused_naming_the_field() {
        let cases = [
            (json!({"sample_percent": 101}), "sample_percent"),
            (json!({"sample_percent": -1}), "sample_percent"),
            (json!({"margin": {"threshold": 0.5, "width": -0.1}}), "margin.width"),
            (json!({"features": [{"name": ""}]}), "features[0].name"),
            (json!({"features": [{"name": "a", "values": []}]}), "features[0].values"),
            (json!({"adverse_outputs": [{"x": 1}]}), "adverse_outputs[0]"),
            (json!({"adverse_outputs": [null]}), "adverse_outputs[0]"),
            (json!({"adverse": ["x"]}), "adverse"),
            (json!(["x"]), "."),
        ];
        for (v, field) in cases {
            let e = OversightPolicy::from_value(&v).unwrap_err().to_string();
            assert!(e.contains(field), "{v}: {e}");
        }
        let many: Vec<Value> = (0..=MAX_ITEMS).map(|i| json!(i)).collect();
        let e = OversightPolicy::from_value(&json!({ "adverse_outputs": many })).unwrap_err();
        assert!(e.to_string().contains("at most 100"), "{e}");
    }

    #[test]
    fn a_policy_round_trips_through_its_text() {
        let p = OversightPolicy::from_value(&json!({
            "adverse_outputs": ["declined"],
            "sample_percent": 2.5,
            "margin": {"threshold": 0.5, "width": 0.05},
            "features": [{"name": "district", "values": ["Kech"]}]
        }))
        .unwrap();
        assert_eq!(OversightPolicy::from_json(&p.to_json()).unwrap(), p);
        assert_eq!(OversightPolicy::default().to_json(), "{}");
        assert!(OversightPolicy::from_json("{}").unwrap().is_empty());
        assert!(!p.is_empty());
    }
}
