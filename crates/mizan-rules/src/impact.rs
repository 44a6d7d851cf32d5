//! Algorithmic impact assessment in the style of Canada's AIA: a raw risk score, a mitigation
//! score, a reduction when mitigation is strong, and an impact level I–IV with the obligations
//! of that level. All weights, bands and obligations are data (`data/impact.yaml`).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::{Answers, Bilingual, RulesError, RulesetStamp, sha256_hex};

const IMPACT: &str = include_str!("../data/impact.yaml");

/// A weighted question.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightedQuestion {
    /// Stable id.
    pub id: String,
    /// The question.
    pub text: Bilingual,
    /// Answer → points, in presentation order.
    #[serde(deserialize_with = "ordered_points")]
    pub answers: Vec<(String, u32)>,
}

fn ordered_points<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, u32)>, D::Error> {
    let map = serde_yaml_ng::Mapping::deserialize(d)?;
    map.into_iter()
        .map(|(k, v)| {
            let key =
                k.as_str().ok_or_else(|| serde::de::Error::custom("answer keys must be strings"))?.to_owned();
            let points = v
                .as_u64()
                .and_then(|p| u32::try_from(p).ok())
                .ok_or_else(|| serde::de::Error::custom("points must be whole numbers"))?;
            Ok((key, points))
        })
        .collect()
}

impl WeightedQuestion {
    fn max(&self) -> u32 {
        self.answers.iter().map(|(_, p)| *p).max().unwrap_or(0)
    }
}

/// What an impact level requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LevelObligations {
    /// `I` to `IV`.
    pub level: String,
    /// Notice to affected people that an automated system is used.
    pub notice: bool,
    /// A plain-language explanation of each decision.
    pub plain_language_explanation: bool,
    /// Peer review of the system before use.
    pub peer_review: bool,
    /// A human takes the final decision.
    pub human_final_decision: bool,
    /// Independent reviewers on the ethics board.
    pub independent_reviewers: u32,
    /// Who approves deployment.
    pub approval_authority: Bilingual,
}

/// The impact questionnaire.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Questionnaire {
    /// Id.
    pub id: String,
    /// Version.
    pub version: String,
    /// Share of the mitigation maximum at which the reduction applies.
    pub mitigation_reduction_at: f64,
    /// The reduction of the raw score.
    pub reduction: f64,
    /// Level band edges as shares of the maximum raw score.
    pub bands: [f64; 3],
    /// Risk questions.
    pub risk: Vec<WeightedQuestion>,
    /// Mitigation questions.
    pub mitigation: Vec<WeightedQuestion>,
    /// Obligations per level, I to IV.
    pub levels: Vec<LevelObligations>,
    /// Every answer's words, by answer code (`under_1k` → "Fewer than 1,000").
    pub answer_labels: std::collections::BTreeMap<String, Bilingual>,
    #[serde(skip)]
    hash: String,
}

/// An assessment result: score, thresholds and level shown together (a documented report format,
/// stored with each version).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Assessment {
    /// The questionnaire used.
    pub questionnaire: RulesetStamp,
    /// Raw risk points.
    pub raw_score: u32,
    /// Maximum raw points.
    pub raw_max: u32,
    /// Mitigation points.
    pub mitigation_score: u32,
    /// Maximum mitigation points.
    pub mitigation_max: u32,
    /// Whether the mitigation reduction applied.
    pub reduced: bool,
    /// The score the level is read from (raw, or raw reduced).
    pub score: f64,
    /// `score / raw_max`.
    pub share: f64,
    /// Band edges as shares of `raw_max`.
    pub thresholds: [f64; 3],
    /// The level and what it requires.
    pub level: LevelObligations,
}

impl Questionnaire {
    /// The embedded questionnaire.
    ///
    /// # Errors
    /// [`RulesError::BadRuleset`] if the embedded data is invalid.
    pub fn embedded() -> Result<&'static Questionnaire, RulesError> {
        static CELL: OnceLock<Result<Questionnaire, RulesError>> = OnceLock::new();
        CELL.get_or_init(|| {
            let bad = |reason: String| RulesError::BadRuleset { file: "impact.yaml", reason };
            let mut q: Questionnaire = serde_yaml_ng::from_str(IMPACT).map_err(|e| bad(e.to_string()))?;
            q.hash = sha256_hex(IMPACT.as_bytes());
            if q.levels.len() != 4 {
                return Err(bad(format!("expected 4 levels, found {}", q.levels.len())));
            }
            for w in q.risk.iter().chain(&q.mitigation) {
                crate::check_answer_labels(&w.id, w.answers.iter().map(|(a, _)| a), &q.answer_labels)
                    .map_err(bad)?;
            }
            Ok(q)
        })
        .as_ref()
        .map_err(Clone::clone)
    }

    /// Scores a set of answers.
    ///
    /// # Errors
    /// [`RulesError::MissingAnswer`], [`RulesError::InvalidAnswer`] or
    /// [`RulesError::UnknownQuestion`] naming the question and allowed values.
    pub fn assess(&self, answers: &Answers) -> Result<Assessment, RulesError> {
        let all: Vec<&WeightedQuestion> = self.risk.iter().chain(&self.mitigation).collect();
        if let Some(k) = answers.keys().find(|k| !all.iter().any(|q| &q.id == *k)) {
            return Err(RulesError::UnknownQuestion {
                question: k.clone(),
                known: all.iter().map(|q| q.id.clone()).collect(),
            });
        }
        let points = |qs: &[WeightedQuestion]| -> Result<u32, RulesError> {
            qs.iter().try_fold(0u32, |sum, q| {
                let allowed = || q.answers.iter().map(|(a, _)| a.clone()).collect();
                let a = answers.get(&q.id).ok_or_else(|| RulesError::MissingAnswer {
                    question: q.id.clone(),
                    allowed: allowed(),
                })?;
                let (_, p) =
                    q.answers.iter().find(|(x, _)| x == a).ok_or_else(|| RulesError::InvalidAnswer {
                        question: q.id.clone(),
                        answer: a.clone(),
                        allowed: allowed(),
                    })?;
                Ok(sum + p)
            })
        };
        let raw_score = points(&self.risk)?;
        let mitigation_score = points(&self.mitigation)?;
        let raw_max: u32 = self.risk.iter().map(WeightedQuestion::max).sum();
        let mitigation_max: u32 = self.mitigation.iter().map(WeightedQuestion::max).sum();
        Ok(self.level_for(raw_score, raw_max, mitigation_score, mitigation_max))
    }

    /// The level arithmetic on its own, for worked examples.
    #[must_use]
    pub fn level_for(
        &self,
        raw_score: u32,
        raw_max: u32,
        mitigation_score: u32,
        mitigation_max: u32,
    ) -> Assessment {
        // Compare in integers scaled by 100 so "exactly 80 %" is exact, not a float accident.
        let at = (self.mitigation_reduction_at * 100.0).round() as u64;
        let reduced =
            mitigation_max > 0 && u64::from(mitigation_score) * 100 >= at * u64::from(mitigation_max);
        let score =
            if reduced { f64::from(raw_score) * (1.0 - self.reduction) } else { f64::from(raw_score) };
        let share = if raw_max == 0 { 0.0 } else { score / f64::from(raw_max) };
        let idx = self.bands.iter().take_while(|edge| share > **edge).count();
        Assessment {
            questionnaire: RulesetStamp {
                id: self.id.clone(),
                version: self.version.clone(),
                sha256: self.hash.clone(),
            },
            raw_score,
            raw_max,
            mitigation_score,
            mitigation_max,
            reduced,
            score,
            share,
            thresholds: self.bands,
            level: self.levels[idx.min(3)].clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q() -> &'static Questionnaire {
        Questionnaire::embedded().expect("valid questionnaire")
    }

    #[test]
    fn bands_and_levels() {
        let q = q();
        // raw_max 100, no mitigation: 25 % is level I, just above is II, 75 % is III, above is IV.
        assert_eq!(q.level_for(25, 100, 0, 10).level.level, "I");
        assert_eq!(q.level_for(26, 100, 0, 10).level.level, "II");
        assert_eq!(q.level_for(50, 100, 0, 10).level.level, "II");
        assert_eq!(q.level_for(75, 100, 0, 10).level.level, "III");
        assert_eq!(q.level_for(76, 100, 0, 10).level.level, "IV");
        assert_eq!(q.level_for(76, 100, 0, 10).level.independent_reviewers, 3);
    }

    #[test]
    fn mitigation_reduces_at_exactly_eighty_percent() {
        let q = q();
        let below = q.level_for(80, 100, 7, 10);
        assert!(!below.reduced);
        assert_eq!(below.level.level, "IV");
        let at = q.level_for(80, 100, 8, 10);
        assert!(at.reduced);
        assert!((at.score - 68.0).abs() < 1e-12, "80 reduced by 15 % is 68, got {}", at.score);
        assert_eq!(at.level.level, "III");
    }

    #[test]
    fn worked_example_from_answers() {
        let q = q();
        let answers: Answers = [
            ("decision_type", "decides_with_review"),
            ("reversibility", "with_effort"),
            ("duration", "years"),
            ("rights_affected", "directly"),
            ("vulnerable_groups", "some"),
            ("personal_data", "sensitive"),
            ("scale", "under_1m"),
            ("opacity", "partly"),
            ("human_review", "all"),
            ("bias_testing", "continuously"),
            ("appeal_route", "yes"),
            ("logging", "no"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let a = q.assess(&answers).expect("valid answers");
        // raw: 3+2+3+4+2+3+3+2 = 22 of 32; mitigation 3+3+2+0 = 8 of 10 (80 %): 22 × 0.85 = 18.7.
        assert_eq!((a.raw_score, a.raw_max, a.mitigation_score, a.mitigation_max), (22, 32, 8, 10));
        assert!(a.reduced);
        assert!((a.score - 18.7).abs() < 1e-12);
        assert_eq!(a.level.level, "III", "18.7 / 32 = 58 %");
        let mut missing = answers.clone();
        missing.remove("scale");
        assert!(
            matches!(q.assess(&missing), Err(RulesError::MissingAnswer { question, .. }) if question == "scale")
        );
    }
}
