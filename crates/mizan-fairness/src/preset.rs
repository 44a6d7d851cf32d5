//! Fairness standards as data: presets name metrics, thresholds and minimum group sizes,
//! and turn a [`Report`] into pass / fail / insufficient-data verdicts with reasons.

use serde::Serialize;

use crate::report::Report;

/// How a threshold applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// Pass when value ≤ threshold (differences).
    AtMost,
    /// Pass when value ≥ threshold (ratios).
    AtLeast,
}

/// One rule of a preset.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rule {
    /// Definition ID: a fairlearn scalar ID, or `mizan:impact_ratio:min` (smallest impact
    /// ratio against the highest-rate group among sufficient groups).
    pub metric: &'static str,
    /// Threshold.
    pub threshold: f64,
    /// Direction.
    pub bound: Bound,
}

/// A named fairness standard.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Preset {
    /// Name used on the command line.
    pub name: &'static str,
    /// What it is modelled on.
    pub description: &'static str,
    /// Protected attributes the standard names (the auditor maps columns to them).
    pub attributes: &'static [&'static str],
    /// Rules.
    pub rules: Vec<Rule>,
    /// Minimum rows per group.
    pub min_rows: u64,
}

const fn rule(metric: &'static str, threshold: f64, bound: Bound) -> Rule {
    Rule { metric, threshold, bound }
}

/// Built-in presets.
#[must_use]
pub fn builtin() -> Vec<Preset> {
    vec![
        Preset {
            name: "pk-national",
            description: "default national preset (configurable by the regulator)",
            attributes: &["gender", "province", "age_band", "disability", "language"],
            rules: vec![
                rule("fairlearn:demographic_parity_difference:between_groups", 0.1, Bound::AtMost),
                rule("fairlearn:equalized_odds_difference:between_groups:worst_case", 0.1, Bound::AtMost),
                rule("mizan:impact_ratio:min", 0.8, Bound::AtLeast),
            ],
            min_rows: 30,
        },
        Preset {
            name: "eu-ai-act-data-governance",
            description: "modelled on EU AI Act Art. 10(2)(f)-(g): examine and mitigate possible biases",
            attributes: &["sex", "age", "disability", "ethnic_origin", "religion"],
            rules: vec![
                rule("fairlearn:demographic_parity_difference:between_groups", 0.1, Bound::AtMost),
                rule("fairlearn:equal_opportunity_difference:between_groups", 0.1, Bound::AtMost),
            ],
            min_rows: 30,
        },
        Preset {
            name: "nyc-ll144",
            description: "modelled on NYC Local Law 144 bias audits: selection rates and impact ratios by sex, race/ethnicity and their intersection",
            attributes: &["sex", "race_ethnicity"],
            rules: vec![rule("mizan:impact_ratio:min", 0.8, Bound::AtLeast)],
            min_rows: 1,
        },
        Preset {
            name: "us-four-fifths",
            description: "US Uniform Guidelines (29 CFR 1607.4(D)) four-fifths rule of thumb",
            attributes: &["sex", "race_ethnicity"],
            rules: vec![rule("mizan:impact_ratio:min", 0.8, Bound::AtLeast)],
            min_rows: 30,
        },
        Preset {
            name: "aif360-disparate-impact",
            description: "AIF360's disparate impact (the four-fifths rule against the declared privileged group) and statistical parity difference; needs a privileged group",
            attributes: &[
                "sex",
                "gender",
                "race_ethnicity",
                "province",
                "age_band",
                "disability",
                "religion",
            ],
            rules: vec![
                rule("aif360:disparate_impact", 0.8, Bound::AtLeast),
                rule("aif360:statistical_parity_difference", -0.1, Bound::AtLeast),
            ],
            min_rows: 30,
        },
    ]
}

/// Finds a built-in preset by name.
#[must_use]
pub fn find(name: &str) -> Option<Preset> {
    builtin().into_iter().find(|p| p.name == name)
}

/// Outcome of one rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Meets the threshold.
    Pass,
    /// Misses the threshold.
    Fail,
    /// Too little data to judge.
    InsufficientData,
}

/// A verdict with its reason.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Verdict {
    /// Definition ID.
    pub metric: String,
    /// Observed value.
    pub value: f64,
    /// Threshold.
    pub threshold: f64,
    /// Direction.
    pub bound: Bound,
    /// Outcome.
    pub outcome: Outcome,
    /// Plain-language reason.
    pub reason: String,
}

/// Applies a preset to a report.
#[must_use]
pub fn judge(p: &Preset, r: &Report) -> Vec<Verdict> {
    let small: Vec<String> =
        r.groups.iter().filter(|g| g.rows > 0 && g.rows < p.min_rows).map(|g| g.group.join(" × ")).collect();
    let sufficient = r.groups.iter().filter(|g| g.rows >= p.min_rows).count();
    p.rules
        .iter()
        .map(|rule| {
            let aif = rule.metric.starts_with("aif360:");
            let value = if aif {
                r.aif360
                    .as_ref()
                    .and_then(|a| a.metrics.iter().find(|m| m.id == rule.metric))
                    .map_or(f64::NAN, |m| m.value)
            } else if rule.metric == "mizan:impact_ratio:min" {
                r.groups
                    .iter()
                    .filter(|g| g.rows >= p.min_rows)
                    .map(|g| g.impact_ratio_vs_highest)
                    .filter(|v| !v.is_nan())
                    .fold(f64::NAN, f64::min)
            } else {
                r.scalars.iter().find(|s| s.id == rule.metric).map_or(f64::NAN, |s| s.value)
            };
            let (outcome, reason) = if !r.labelled && crate::report::needs_label(rule.metric) {
                (Outcome::InsufficientData, crate::report::NO_LABEL.to_owned())
            } else if aif && r.aif360.is_none() {
                (Outcome::InsufficientData, crate::report::NO_PRIVILEGED.to_owned())
            } else if let Some(why) =
                r.aif360.as_ref().and_then(|a| a.insufficient_reason.clone()).filter(|_| aif)
            {
                (Outcome::InsufficientData, why)
            } else if sufficient < 2 || value.is_nan() {
                (
                    Outcome::InsufficientData,
                    format!("fewer than two groups have at least {} rows", p.min_rows),
                )
            } else {
                let ok = match rule.bound {
                    Bound::AtMost => value <= rule.threshold,
                    Bound::AtLeast => value >= rule.threshold,
                };
                let cmp = match (rule.bound, ok) {
                    (Bound::AtMost, true) => "at most",
                    (Bound::AtMost, false) => "above",
                    (Bound::AtLeast, true) => "at least",
                    (Bound::AtLeast, false) => "below",
                };
                let mut reason = format!("{value:.4} is {cmp} the threshold {}", rule.threshold);
                if !small.is_empty() {
                    reason.push_str(&format!(
                        "; groups below {} rows (interpret with care): {}",
                        p.min_rows,
                        small.join(", ")
                    ));
                }
                (if ok { Outcome::Pass } else { Outcome::Fail }, reason)
            };
            Verdict {
                metric: rule.metric.to_owned(),
                value,
                threshold: rule.threshold,
                bound: rule.bound,
                outcome,
                reason,
            }
        })
        .collect()
}
