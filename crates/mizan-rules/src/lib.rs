//! Risk classification under the EU AI Act, as versioned data with a citation on every step.
//!
//! Why data and not code: a regulator must be able to defend a tier years later. The rules live
//! in `data/eu-ai-act.yaml`, embedded at build time; every result carries the ruleset's id,
//! version and SHA-256 content hash, and the determination path (each question asked, the
//! answer, the clause it cites). Branching is by labels collected from answers, as in the Dutch
//! AI Act decision aid: a question is asked only when its label condition holds, so an answer
//! to a question that was never on the path cannot change the result. No I/O happens here.
#![warn(missing_docs)]

pub mod crosswalk;
pub mod impact;
pub mod review;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The embedded EU AI Act ruleset.
const EU_AI_ACT: &str = include_str!("../data/eu-ai-act.yaml");

/// Text in English and Urdu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bilingual {
    /// English.
    pub en: String,
    /// Urdu.
    pub ur: String,
}

/// What went wrong, naming the question and the allowed values.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RulesError {
    /// The embedded data does not parse or is inconsistent (a bug caught by the schema test).
    #[error("ruleset `{file}` is invalid: {reason}")]
    BadRuleset {
        /// Which data file.
        file: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// An answer names a question that does not exist.
    #[error("unknown question `{question}` (questions: {})", known.join(", "))]
    UnknownQuestion {
        /// The unknown id.
        question: String,
        /// Every question id.
        known: Vec<String>,
    },
    /// A question on the determination path has no answer.
    #[error("question `{question}` needs an answer (allowed: {})", allowed.join(", "))]
    MissingAnswer {
        /// The question id.
        question: String,
        /// Allowed answers.
        allowed: Vec<String>,
    },
    /// An answer is not one of the allowed values.
    #[error("answer `{answer}` to question `{question}` is not allowed (allowed: {})", allowed.join(", "))]
    InvalidAnswer {
        /// The question id.
        question: String,
        /// The answer given.
        answer: String,
        /// Allowed answers.
        allowed: Vec<String>,
    },
}

/// A label condition: all of `all`, at least one of `any` (if given), none of `none`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Condition {
    #[serde(default)]
    all: Vec<String>,
    #[serde(default)]
    any: Vec<String>,
    #[serde(default)]
    none: Vec<String>,
}

impl Condition {
    fn holds(&self, labels: &BTreeSet<String>) -> bool {
        self.all.iter().all(|l| labels.contains(l))
            && (self.any.is_empty() || self.any.iter().any(|l| labels.contains(l)))
            && !self.none.iter().any(|l| labels.contains(l))
    }

    fn labels(&self) -> impl Iterator<Item = &String> {
        self.all.iter().chain(&self.any).chain(&self.none)
    }
}

/// One question of the decision tree.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Question {
    /// Stable id, used as the input key.
    pub id: String,
    /// The clause the question comes from.
    pub cite: String,
    /// The question.
    pub text: Bilingual,
    /// When the question is on the path.
    #[serde(default)]
    pub when: Condition,
    /// Answer → labels it adds, in presentation order.
    #[serde(deserialize_with = "ordered_answers")]
    pub answers: Vec<(String, Vec<String>)>,
}

impl Question {
    /// The allowed answers, in order.
    #[must_use]
    pub fn allowed(&self) -> Vec<String> {
        self.answers.iter().map(|(a, _)| a.clone()).collect()
    }
}

fn ordered_answers<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<(String, Vec<String>)>, D::Error> {
    let map = serde_yaml_ng::Mapping::deserialize(d)?;
    map.into_iter()
        .map(|(k, v)| {
            let key =
                k.as_str().ok_or_else(|| serde::de::Error::custom("answer keys must be strings"))?.to_owned();
            let labels: Vec<String> = serde_yaml_ng::from_value(v).map_err(serde::de::Error::custom)?;
            Ok((key, labels))
        })
        .collect()
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct TierRule {
    tier: Tier,
    when: Condition,
    cite: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoleRule {
    role: String,
    when: Condition,
}

/// An obligation that follows from a classification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Obligation {
    /// Stable id (`EU-RISK-MANAGEMENT`), used by the crosswalk and checklists.
    pub id: String,
    /// The clause.
    pub cite: String,
    /// What to do, in plain words.
    pub text: Bilingual,
    #[serde(default, skip_serializing)]
    when: Condition,
}

/// Risk tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    /// Art. 5 practice.
    Prohibited,
    /// Art. 6 high-risk.
    High,
    /// Art. 50 transparency duties only.
    Limited,
    /// None of the above.
    Minimal,
}

impl Tier {
    /// Stable code.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Tier::Prohibited => "prohibited",
            Tier::High => "high",
            Tier::Limited => "limited",
            Tier::Minimal => "minimal",
        }
    }
}

/// A parsed, validated ruleset.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ruleset {
    /// Ruleset id.
    pub id: String,
    /// Ruleset version.
    pub version: String,
    /// The legal source.
    pub source: String,
    /// Application dates, as data.
    pub dates: BTreeMap<String, String>,
    /// Thresholds, as data.
    pub thresholds: BTreeMap<String, f64>,
    /// Questions in asking order.
    pub questions: Vec<Question>,
    /// Every answer's words, by answer code (`essential_services` → "Access to essential
    /// services"), so no page shows a code. Every answer of every question has one.
    pub answer_labels: BTreeMap<String, Bilingual>,
    tiers: Vec<TierRule>,
    roles: Vec<RoleRule>,
    obligations: Vec<Obligation>,
    #[serde(skip)]
    hash: String,
}

/// Which ruleset produced a result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RulesetStamp {
    /// Ruleset id.
    pub id: String,
    /// Ruleset version.
    pub version: String,
    /// SHA-256 of the ruleset file, hex.
    pub sha256: String,
}

/// One step of the determination path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Step {
    /// Question id.
    pub question: String,
    /// The answer given.
    pub answer: String,
    /// The clause that was applied.
    pub cite: String,
    /// Labels the answer added.
    pub labels: Vec<String>,
}

/// General-purpose AI model flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GpaiFlags {
    /// A general-purpose AI model (Art. 53 duties).
    pub general_purpose: bool,
    /// With systemic risk (Art. 55 duties).
    pub systemic_risk: bool,
}

/// The result of classifying one system: a documented report format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Classification {
    /// The ruleset used.
    pub ruleset: RulesetStamp,
    /// The tier.
    pub tier: Tier,
    /// The clause that decided the tier.
    pub tier_cite: String,
    /// The operator role after Art. 25.
    pub role: String,
    /// A deployer, importer or distributor who became a provider (Art. 25(1)).
    pub became_provider: bool,
    /// GPAI flags.
    pub gpai: GpaiFlags,
    /// Obligations that follow, in ruleset order.
    pub obligations: Vec<Obligation>,
    /// Every question asked, in order.
    pub path: Vec<Step>,
    /// Answers given to questions not on the path (ignored, listed for transparency).
    pub ignored: Vec<String>,
}

/// A partly answered questionnaire.
#[derive(Debug, Clone)]
pub struct Progress<'a> {
    /// Questions on the path so far, with the answer given.
    pub answered: Vec<(&'a Question, String)>,
    /// The next question on the path, or `None` when the path is complete.
    pub next: Option<&'a Question>,
}

impl Progress<'_> {
    /// Only the answers on the path (what should be stored).
    #[must_use]
    pub fn on_path_answers(&self) -> Answers {
        self.answered.iter().map(|(q, a)| (q.id.clone(), a.clone())).collect()
    }
}

/// Answers keyed by question id.
pub type Answers = BTreeMap<String, String>;

impl Ruleset {
    /// The embedded EU AI Act ruleset (parsed once).
    ///
    /// # Errors
    /// [`RulesError::BadRuleset`] if the embedded data is invalid (the schema test prevents it).
    pub fn embedded() -> Result<&'static Ruleset, RulesError> {
        static CELL: OnceLock<Result<Ruleset, RulesError>> = OnceLock::new();
        CELL.get_or_init(|| Ruleset::parse("eu-ai-act.yaml", EU_AI_ACT)).as_ref().map_err(Clone::clone)
    }

    /// Parses and validates a ruleset from YAML.
    ///
    /// # Errors
    /// [`RulesError::BadRuleset`] naming the problem.
    pub fn parse(file: &'static str, yaml: &str) -> Result<Ruleset, RulesError> {
        let bad = |reason: String| RulesError::BadRuleset { file, reason };
        let mut rs: Ruleset = serde_yaml_ng::from_str(yaml).map_err(|e| bad(e.to_string()))?;
        rs.hash = sha256_hex(yaml.as_bytes());
        rs.validate().map_err(bad)?;
        Ok(rs)
    }

    /// The words of `answer`: its label in both languages, or `None` for a code the ruleset
    /// does not define (an answer stored under an older ruleset).
    #[must_use]
    pub fn answer_label(&self, answer: &str) -> Option<&Bilingual> {
        self.answer_labels.get(answer)
    }

    fn validate(&self) -> Result<(), String> {
        let anywhere: BTreeSet<&String> =
            self.questions.iter().flat_map(|q| q.answers.iter().flat_map(|(_, ls)| ls)).collect();
        let mut produced: BTreeSet<&String> = BTreeSet::new();
        let mut ids = BTreeSet::new();
        for q in &self.questions {
            if !ids.insert(&q.id) {
                return Err(format!("question `{}` is defined twice", q.id));
            }
            if q.cite.trim().is_empty() {
                return Err(format!("question `{}` has no citation", q.id));
            }
            if q.answers.is_empty() {
                return Err(format!("question `{}` has no answers", q.id));
            }
            check_answer_labels(&q.id, q.answers.iter().map(|(a, _)| a), &self.answer_labels)?;
            // A question may only require labels that earlier questions can produce; it may
            // exclude any label some answer produces (for example, "until a practice applies").
            if let Some(l) = q.when.all.iter().chain(&q.when.any).find(|l| !produced.contains(l)) {
                return Err(format!(
                    "question `{}` depends on label `{l}` that no earlier answer produces",
                    q.id
                ));
            }
            if let Some(l) = q.when.none.iter().find(|l| !anywhere.contains(l)) {
                return Err(format!("question `{}` excludes label `{l}` that no answer produces", q.id));
            }
            produced.extend(q.answers.iter().flat_map(|(_, ls)| ls));
        }
        let conds = self
            .tiers
            .iter()
            .map(|t| (&t.when, t.tier.as_str()))
            .chain(self.roles.iter().map(|r| (&r.when, r.role.as_str())))
            .chain(self.obligations.iter().map(|o| (&o.when, o.id.as_str())));
        for (cond, name) in conds {
            if let Some(l) = cond.labels().find(|l| !produced.contains(l)) {
                return Err(format!("rule `{name}` uses label `{l}` that no answer produces"));
            }
        }
        if let Some(o) = self.obligations.iter().find(|o| o.cite.trim().is_empty()) {
            return Err(format!("obligation `{}` has no citation", o.id));
        }
        if self.tiers.iter().any(|t| t.cite.trim().is_empty()) {
            return Err("a tier rule has no citation".into());
        }
        let unconditional_last =
            |conds: Vec<&Condition>| conds.last().is_some_and(|c| c.labels().next().is_none());
        if !unconditional_last(self.tiers.iter().map(|t| &t.when).collect()) {
            return Err("the last tier rule must be unconditional".into());
        }
        if !unconditional_last(self.roles.iter().map(|r| &r.when).collect()) {
            return Err("the last role rule must be unconditional".into());
        }
        Ok(())
    }

    /// The stamp every result carries.
    #[must_use]
    pub fn stamp(&self) -> RulesetStamp {
        RulesetStamp { id: self.id.clone(), version: self.version.clone(), sha256: self.hash.clone() }
    }

    /// Every obligation id the ruleset can produce.
    pub fn obligation_ids(&self) -> impl Iterator<Item = &str> {
        self.obligations.iter().map(|o| o.id.as_str())
    }

    /// Classifies one system from its answers.
    ///
    /// # Errors
    /// [`RulesError::UnknownQuestion`] for an answer to no question; [`RulesError::MissingAnswer`]
    /// and [`RulesError::InvalidAnswer`] for questions on the path.
    pub fn classify(&self, answers: &Answers) -> Result<Classification, RulesError> {
        if let Some(unknown) = answers.keys().find(|k| !self.questions.iter().any(|q| &q.id == *k)) {
            return Err(RulesError::UnknownQuestion {
                question: unknown.clone(),
                known: self.questions.iter().map(|q| q.id.clone()).collect(),
            });
        }
        let mut labels = BTreeSet::new();
        let mut path = Vec::new();
        for q in &self.questions {
            if !q.when.holds(&labels) {
                continue;
            }
            let answer = answers
                .get(&q.id)
                .ok_or_else(|| RulesError::MissingAnswer { question: q.id.clone(), allowed: q.allowed() })?;
            let (_, added) =
                q.answers.iter().find(|(a, _)| a == answer).ok_or_else(|| RulesError::InvalidAnswer {
                    question: q.id.clone(),
                    answer: answer.clone(),
                    allowed: q.allowed(),
                })?;
            labels.extend(added.iter().cloned());
            path.push(Step {
                question: q.id.clone(),
                answer: answer.clone(),
                cite: q.cite.clone(),
                labels: added.clone(),
            });
        }
        let asked: BTreeSet<&String> = path.iter().map(|s| &s.question).collect();
        let ignored = answers.keys().filter(|k| !asked.contains(k)).cloned().collect();
        // The last tier and role rules are unconditional (checked by `validate`).
        let tier = self
            .tiers
            .iter()
            .find(|t| t.when.holds(&labels))
            .map_or((Tier::Minimal, String::new()), |t| (t.tier, t.cite.clone()));
        let role =
            self.roles.iter().find(|r| r.when.holds(&labels)).map_or_else(String::new, |r| r.role.clone());
        Ok(Classification {
            ruleset: self.stamp(),
            tier: tier.0,
            tier_cite: tier.1,
            role,
            became_provider: labels.contains("became-provider"),
            gpai: GpaiFlags {
                general_purpose: labels.contains("gpai"),
                systemic_risk: labels.contains("gpai-systemic"),
            },
            obligations: self.obligations.iter().filter(|o| o.when.holds(&labels)).cloned().collect(),
            path,
            ignored,
        })
    }

    /// How far a partly answered questionnaire has got: the questions on the path so far with
    /// their answers, and the next question to ask (`None` when complete). Answers off the path
    /// and unknown or invalid answers are left out, so a form can show only the current path.
    #[must_use]
    pub fn progress<'a>(&'a self, answers: &Answers) -> Progress<'a> {
        let mut labels = BTreeSet::new();
        let mut answered = Vec::new();
        for q in &self.questions {
            if !q.when.holds(&labels) {
                continue;
            }
            let chosen = answers.get(&q.id).and_then(|a| q.answers.iter().find(|(x, _)| x == a));
            match chosen {
                Some((a, added)) => {
                    labels.extend(added.iter().cloned());
                    answered.push((q, a.clone()));
                }
                None => return Progress { answered, next: Some(q) },
            }
        }
        Progress { answered, next: None }
    }

    /// The JSON Schema (2020-12) of a classification input: question ids and allowed answers.
    #[must_use]
    pub fn json_schema(&self) -> serde_json::Value {
        let props: serde_json::Map<String, serde_json::Value> = self
            .questions
            .iter()
            .map(|q| {
                (
                    q.id.clone(),
                    serde_json::json!({"description": format!("{} ({})", q.text.en, q.cite), "enum": q.allowed()}),
                )
            })
            .collect();
        serde_json::json!({
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": format!("https://mizan.gov.pk/schemas/{}/{}/answers.json", self.id, self.version),
            "title": format!("Answers for ruleset {} {}", self.id, self.version),
            "description": "Answer the questions on the determination path; others are ignored. `mizan classify --questions` lists them.",
            "type": "object",
            "properties": props,
            "additionalProperties": false
        })
    }
}

/// Every answer of question `question` has a label with words in both languages.
fn check_answer_labels<'a>(
    question: &str,
    answers: impl IntoIterator<Item = &'a String>,
    labels: &BTreeMap<String, Bilingual>,
) -> Result<(), String> {
    for a in answers {
        match labels.get(a) {
            None => {
                return Err(format!("answer `{a}` of question `{question}` has no entry in `answer_labels`"));
            }
            Some(l) if l.en.trim().is_empty() || l.ur.trim().is_empty() => {
                return Err(format!(
                    "the label of answer `{a}` (question `{question}`) lacks English or Urdu words"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_ruleset_is_valid_and_stamped() {
        let rs = Ruleset::embedded().expect("valid ruleset");
        assert_eq!(rs.stamp().sha256, sha256_hex(EU_AI_ACT.as_bytes()));
        assert_eq!(rs.stamp().sha256.len(), 64);
        assert!(rs.questions.iter().all(|q| !q.text.ur.is_empty() && !q.cite.is_empty()));
        assert!(rs.obligations.iter().all(|o| !o.text.ur.is_empty() && !o.text.en.is_empty()));
        assert_eq!(rs.thresholds.get("gpai_systemic_risk_flops"), Some(&1.0e25));
    }

    #[test]
    fn validation_catches_dangling_labels() {
        let bad = EU_AI_ACT.replace("when: {all: [annex-iii], none: [profiling]}", "when: {all: [annex-iv]}");
        let err = Ruleset::parse("test.yaml", &bad).expect_err("invalid");
        assert!(err.to_string().contains("annex-iv"), "{err}");
        let bad = EU_AI_ACT.replacen("cite: \"Art. 3(1)\"", "cite: \"\"", 1);
        assert!(Ruleset::parse("test.yaml", &bad).expect_err("invalid").to_string().contains("no citation"));
    }

    #[test]
    fn every_answer_needs_words_in_both_languages() {
        let rs = Ruleset::embedded().expect("valid ruleset");
        assert_eq!(
            rs.answer_label("essential_services").map(|l| l.en.as_str()),
            Some("Access to essential private and public services")
        );
        let bad = EU_AI_ACT.replacen("  essential_services: {en:", "  essential_servicez: {en:", 1);
        let err = Ruleset::parse("test.yaml", &bad).expect_err("a missing label is refused");
        assert!(
            err.to_string().contains("answer `essential_services` of question `annex_iii_area`"),
            "{err}"
        );
        let bad = EU_AI_ACT.replacen("ur: \"بائیومیٹرکس\"", "ur: \" \"", 1);
        let err = Ruleset::parse("test.yaml", &bad).expect_err("an empty Urdu label is refused");
        assert!(err.to_string().contains("answer `biometrics`"), "{err}");
    }

    #[test]
    fn progress_walks_the_path_one_question_at_a_time() {
        let rs = Ruleset::embedded().expect("valid");
        let mut a = Answers::new();
        assert_eq!(rs.progress(&a).next.map(|q| q.id.as_str()), Some("is_ai_system"));
        a.insert("is_ai_system".into(), "no".into());
        a.insert("role".into(), "provider".into());
        let p = rs.progress(&a);
        assert!(p.next.is_none(), "not an AI system: done");
        assert_eq!(p.on_path_answers().len(), 1, "the off-path `role` answer is dropped");
        a.insert("is_ai_system".into(), "yes".into());
        a.insert("role".into(), "nonsense".into());
        assert_eq!(
            rs.progress(&a).next.map(|q| q.id.as_str()),
            Some("role"),
            "an invalid answer is asked again"
        );
    }

    #[test]
    fn errors_name_the_question_and_allowed_values() {
        let rs = Ruleset::embedded().expect("valid");
        let err = rs.classify(&Answers::new()).expect_err("missing");
        assert_eq!(err.to_string(), "question `is_ai_system` needs an answer (allowed: yes, no)");
        let mut a = Answers::new();
        a.insert("is_ai_system".into(), "maybe".into());
        assert!(
            matches!(rs.classify(&a), Err(RulesError::InvalidAnswer { question, .. }) if question == "is_ai_system")
        );
        a.insert("colour".into(), "blue".into());
        assert!(
            matches!(rs.classify(&a), Err(RulesError::UnknownQuestion { question, .. }) if question == "colour")
        );
    }
}
