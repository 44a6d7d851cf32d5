//! Risk classification under the EU AI Act, as versioned data with a citation on every step.
//!
//! Why data and not code: a regulator must be able to defend a tier years later. The rules live
//! in `data/eu-ai-act.yaml`, embedded at build time; every result carries the ruleset's id,
//! version and SHA-256 content hash, and the determination path (each question asked, the
//! answer, the clause it cites). Branching is by labels collected from answers, as in the Dutch
//! AI Act decision aid: a question is asked only when its label condition holds, so an answer
//! to a question that was never on the path cannot change the result. No I/O happens here.
//!
//! Who owes what is data too: every obligation names the operator roles it binds (provider,
//! deployer, importer, distributor) with the article that says so, and the engine emits it only
//! to an operator holding one of those roles. An operator can hold two: a deployer who becomes
//! a provider under Art. 25(1) keeps its deployer duties. Answers that contradict each other
//! are an error naming both questions, never a silent result; every citation is checked
//! against the Regulation's structure ([`cite`]).
#![warn(missing_docs)]

pub mod cite;
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
    /// Two answers on the path contradict each other.
    #[error("the answers to {} contradict each other: {reason} ({cite})", questions.iter().map(|q| format!("`{q}`")).collect::<Vec<_>>().join(" and "))]
    Contradiction {
        /// The questions whose answers conflict (at least two).
        questions: Vec<String>,
        /// What is wrong and how to fix it.
        reason: String,
        /// The provision that makes the answers incompatible.
        cite: String,
    },
}

impl RulesError {
    /// The question the error is about (the first one for a contradiction), for a form to
    /// jump to; `None` for a bad ruleset.
    #[must_use]
    pub fn question(&self) -> Option<&str> {
        match self {
            RulesError::BadRuleset { .. } => None,
            RulesError::UnknownQuestion { question, .. }
            | RulesError::MissingAnswer { question, .. }
            | RulesError::InvalidAnswer { question, .. } => Some(question),
            RulesError::Contradiction { questions, .. } => questions.first().map(String::as_str),
        }
    }
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
#[serde(try_from = "RawQuestion")]
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
    pub answers: Vec<(String, Vec<String>)>,
    /// Answers that apply a more specific clause than the question's (an exception, a
    /// carve-out): answer → that clause. The path cites it instead of the question's.
    pub answer_cites: BTreeMap<String, String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: String,
    cite: String,
    text: Bilingual,
    #[serde(default)]
    when: Condition,
    answers: serde_yaml_ng::Mapping,
}

/// An answer's labels, optionally with the clause that answer applies.
#[derive(Deserialize)]
#[serde(untagged)]
enum RawAnswer {
    Labels(Vec<String>),
    Cited { labels: Vec<String>, cite: String },
}

impl TryFrom<RawQuestion> for Question {
    type Error = String;

    fn try_from(raw: RawQuestion) -> Result<Self, String> {
        let mut answers = Vec::new();
        let mut answer_cites = BTreeMap::new();
        for (k, v) in raw.answers {
            let key = k.as_str().ok_or("answer keys must be strings")?.to_owned();
            let spec: RawAnswer = serde_yaml_ng::from_value(v)
                .map_err(|e| format!("answer `{key}` of question `{}`: {e}", raw.id))?;
            let labels = match spec {
                RawAnswer::Labels(l) => l,
                RawAnswer::Cited { labels, cite } => {
                    answer_cites.insert(key.clone(), cite);
                    labels
                }
            };
            answers.push((key, labels));
        }
        Ok(Question { id: raw.id, cite: raw.cite, text: raw.text, when: raw.when, answers, answer_cites })
    }
}

impl Question {
    /// The allowed answers, in order.
    #[must_use]
    pub fn allowed(&self) -> Vec<String> {
        self.answers.iter().map(|(a, _)| a.clone()).collect()
    }
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

/// A label derived from labels after the last question (for "A and (B or C)" conditions).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct DerivedRule {
    label: String,
    when: Condition,
}

/// Labels that cannot hold together: an error naming the questions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct ContradictionRule {
    when: Condition,
    questions: Vec<String>,
    cite: String,
    reason: String,
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
    /// The operator roles the obligation binds (`provider`, `deployer`, `importer`,
    /// `distributor`); empty only in results stored before ruleset 2.0.0.
    #[serde(default)]
    pub roles: Vec<String>,
    /// The clause that says whom the obligation binds.
    #[serde(default)]
    pub roles_cite: String,
    #[serde(default, skip_serializing)]
    when: Condition,
}

/// Risk tiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Tier {
    /// Outside the Regulation: not an AI system (Art. 3(1)) or excluded by Art. 2.
    OutOfScope,
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
            Tier::OutOfScope => "out_of_scope",
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
    #[serde(default)]
    derived: Vec<DerivedRule>,
    #[serde(default)]
    contradictions: Vec<ContradictionRule>,
    obligations: Vec<Obligation>,
    /// How answers stored under an older ruleset version map to this one's questions.
    #[serde(default)]
    migrations: Vec<Migration>,
    #[serde(skip)]
    hash: String,
}

/// One mapping of a stored answer from an older ruleset: the answer `answer` (any answer when
/// absent) to the old question `from` becomes the answers `to` under the current questions.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Migration {
    from: String,
    #[serde(default)]
    answer: Option<String>,
    to: BTreeMap<String, String>,
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
    /// The operator role after Art. 25 (the first that applies: provider, deployer, importer,
    /// distributor, or `none`).
    pub role: String,
    /// Every operator role held, after Art. 25 (a deployer who became a provider holds both);
    /// obligations are those binding one of these roles.
    pub roles: Vec<String>,
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
            cite::check(&q.cite).map_err(|e| format!("question `{}` cites {e}", q.id))?;
            for (a, c) in &q.answer_cites {
                cite::check(c).map_err(|e| format!("answer `{a}` of question `{}` cites {e}", q.id))?;
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
        for d in &self.derived {
            if let Some(l) = d.when.labels().find(|l| !produced.contains(l)) {
                return Err(format!("derived label `{}` uses label `{l}` that nothing produces", d.label));
            }
            produced.insert(&d.label);
        }
        let role_names: BTreeSet<&str> = self.roles.iter().map(|r| r.role.as_str()).collect();
        let conds = self
            .tiers
            .iter()
            .map(|t| (&t.when, t.tier.as_str()))
            .chain(self.roles.iter().map(|r| (&r.when, r.role.as_str())))
            .chain(self.obligations.iter().map(|o| (&o.when, o.id.as_str())))
            .chain(self.contradictions.iter().map(|c| (&c.when, c.reason.as_str())));
        for (cond, name) in conds {
            if let Some(l) = cond.labels().find(|l| !produced.contains(l)) {
                return Err(format!("rule `{name}` uses label `{l}` that no answer produces"));
            }
        }
        let mut obligation_ids = BTreeSet::new();
        for o in &self.obligations {
            if !obligation_ids.insert(&o.id) {
                return Err(format!("obligation `{}` is defined twice", o.id));
            }
            if o.cite.trim().is_empty() {
                return Err(format!("obligation `{}` has no citation", o.id));
            }
            cite::check(&o.cite).map_err(|e| format!("obligation `{}` cites {e}", o.id))?;
            if o.roles.is_empty() {
                return Err(format!("obligation `{}` binds no role (add `roles: [...]`)", o.id));
            }
            if let Some(r) = o.roles.iter().find(|r| !role_names.contains(r.as_str()) || *r == "none") {
                return Err(format!(
                    "obligation `{}` binds unknown role `{r}` (roles: provider, deployer, importer, distributor)",
                    o.id
                ));
            }
            cite::check(&o.roles_cite)
                .map_err(|e| format!("obligation `{}` names its roles with `roles_cite`: {e}", o.id))?;
            check_words(&o.text)
                .map_err(|()| format!("obligation `{}` lacks English or Urdu words", o.id))?;
        }
        for t in &self.tiers {
            cite::check(&t.cite).map_err(|e| format!("tier rule `{}` cites {e}", t.tier.as_str()))?;
        }
        for c in &self.contradictions {
            cite::check(&c.cite).map_err(|e| format!("contradiction `{}` cites {e}", c.reason))?;
            if c.questions.len() < 2 {
                return Err(format!("contradiction `{}` must name two questions", c.reason));
            }
            if let Some(q) = c.questions.iter().find(|q| !ids.contains(q)) {
                return Err(format!("contradiction `{}` names unknown question `{q}`", c.reason));
            }
        }
        for m in &self.migrations {
            for (q, a) in &m.to {
                let question =
                    self.questions.iter().find(|x| &x.id == q).ok_or_else(|| {
                        format!("migration from `{}` targets unknown question `{q}`", m.from)
                    })?;
                if !question.answers.iter().any(|(x, _)| x == a) {
                    return Err(format!("migration from `{}` gives `{q}` the unknown answer `{a}`", m.from));
                }
            }
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
    /// and [`RulesError::InvalidAnswer`] for questions on the path; [`RulesError::Contradiction`]
    /// when answers on the path contradict each other.
    pub fn classify(&self, answers: &Answers) -> Result<Classification, RulesError> {
        if let Some(unknown) = answers.keys().find(|k| !self.questions.iter().any(|q| &q.id == *k)) {
            return Err(RulesError::UnknownQuestion {
                question: unknown.clone(),
                known: self.questions.iter().map(|q| q.id.clone()).collect(),
            });
        }
        let (labels, path) = self.evaluate(answers)?;
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
        let roles = self.operator_roles(&labels);
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
            obligations: self.obligations_for(&labels, &roles),
            roles,
            path,
            ignored,
        })
    }

    /// The labels `answers` establish along the path, and the path; answers off the path are
    /// not read.
    fn evaluate(&self, answers: &Answers) -> Result<(BTreeSet<String>, Vec<Step>), RulesError> {
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
                cite: q.answer_cites.get(answer).unwrap_or(&q.cite).clone(),
                labels: added.clone(),
            });
        }
        for d in &self.derived {
            if d.when.holds(&labels) {
                labels.insert(d.label.clone());
            }
        }
        if let Some(c) = self.contradictions.iter().find(|c| c.when.holds(&labels)) {
            return Err(RulesError::Contradiction {
                questions: c.questions.clone(),
                reason: c.reason.clone(),
                cite: c.cite.clone(),
            });
        }
        Ok((labels, path))
    }

    /// The obligations that follow from `answers` when a regulator overrides the tier to `tier`.
    /// The facts the answers establish stay; the tier's own facts are replaced: high-risk brings
    /// the duties of every high-risk system and those of the Annex III points the answers name
    /// (a claimed Art. 6(3) derogation falls), a tier below high-risk drops them, prohibited
    /// brings the prohibition, and out of scope brings none. Roles are the answers' roles.
    ///
    /// # Errors
    /// As [`Ruleset::classify`].
    pub fn obligations_as(&self, answers: &Answers, tier: Tier) -> Result<Vec<Obligation>, RulesError> {
        const TIER_FACTS: [&str; 6] =
            ["prohibited", "high-risk", "annex-iii-high", "annex-i-high", "annex-i-b-high", "out-of-scope"];
        if tier == Tier::OutOfScope {
            return Ok(vec![]);
        }
        let (mut labels, _) = self.evaluate(answers)?;
        let roles = self.operator_roles(&labels);
        let section_b = labels.contains("annex-i-b-high");
        let annex_iii = labels.contains("annex-iii");
        labels.retain(|l| !TIER_FACTS.contains(&l.as_str()) && !l.starts_with("prohibited-"));
        match tier {
            Tier::Prohibited => {
                labels.remove("derogation");
                labels.insert("prohibited".to_owned());
            }
            Tier::High => {
                labels.remove("derogation");
                if section_b {
                    // Annex I, Section B: only the articles Art. 2(2) lists apply.
                    labels.insert("annex-i-b-high".to_owned());
                } else {
                    labels.insert("high-risk".to_owned());
                    if annex_iii {
                        labels.insert("annex-iii-high".to_owned());
                    }
                }
            }
            Tier::Limited | Tier::Minimal | Tier::OutOfScope => {}
        }
        Ok(self.obligations_for(&labels, &roles))
    }

    /// Every role whose (conditional) role rule holds: the roles obligations are filtered by.
    fn operator_roles(&self, labels: &BTreeSet<String>) -> Vec<String> {
        self.roles
            .iter()
            .filter(|r| r.when.labels().next().is_some() && r.when.holds(labels))
            .map(|r| r.role.clone())
            .collect()
    }

    /// The obligations whose facts hold and that bind one of `roles`, in ruleset order.
    fn obligations_for(&self, labels: &BTreeSet<String>, roles: &[String]) -> Vec<Obligation> {
        self.obligations
            .iter()
            .filter(|o| o.when.holds(labels) && o.roles.iter().any(|r| roles.contains(r)))
            .cloned()
            .collect()
    }

    /// The obligation with id `id`.
    #[must_use]
    pub fn obligation(&self, id: &str) -> Option<&Obligation> {
        self.obligations.iter().find(|o| o.id == id)
    }

    /// Maps answers stored under an older ruleset version to this version's questions: answers
    /// to current questions are kept (when still allowed), old answers are translated by the
    /// ruleset's `migrations` table, and anything else is dropped. A new question the old
    /// answers cannot settle (an Annex III sub-point, say) is left unanswered, so
    /// [`Ruleset::progress`] asks it next. Applying it to current answers changes nothing.
    #[must_use]
    pub fn migrate_answers(&self, old: &Answers) -> Answers {
        self.migrate(old)
    }

    /// Every question answered with its neutral answer (`no`, `none`, `neither` or
    /// `none_of_these`), for building complete answers from only what differs: demo data,
    /// benchmarks and tests.
    #[must_use]
    pub fn neutral_answers(&self) -> Answers {
        const NEUTRAL: [&str; 4] = ["no", "none", "neither", "none_of_these"];
        self.questions
            .iter()
            .filter_map(|q| {
                NEUTRAL
                    .iter()
                    .find(|n| q.answers.iter().any(|(x, _)| x == *n))
                    .map(|n| (q.id.clone(), (*n).to_owned()))
            })
            .collect()
    }

    fn migrate(&self, old: &Answers) -> Answers {
        let valid = |q: &str, a: &str| {
            self.questions.iter().any(|x| x.id == q && x.answers.iter().any(|(y, _)| y == a))
        };
        let mut out: Answers =
            old.iter().filter(|(q, a)| valid(q, a)).map(|(q, a)| (q.clone(), a.clone())).collect();
        for (q, a) in old {
            if valid(q, a) {
                continue;
            }
            for m in
                self.migrations.iter().filter(|m| &m.from == q && m.answer.as_ref().is_none_or(|x| x == a))
            {
                for (to_q, to_a) in &m.to {
                    out.entry(to_q.clone()).or_insert_with(|| to_a.clone());
                }
            }
        }
        out
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

fn check_words(b: &Bilingual) -> Result<(), ()> {
    if b.en.trim().is_empty() || b.ur.trim().is_empty() { Err(()) } else { Ok(()) }
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
            rs.answer_label("creditworthiness").map(|l| l.en.as_str()),
            Some(
                "Evaluating the creditworthiness of natural persons or establishing their credit score (5(b))"
            )
        );
        let bad = EU_AI_ACT.replacen("  creditworthiness: {en:", "  creditworthinesz: {en:", 1);
        let err = Ruleset::parse("test.yaml", &bad).expect_err("a missing label is refused");
        assert!(
            err.to_string().contains("answer `creditworthiness` of question `annex_iii_5_point`"),
            "{err}"
        );
        let bad = EU_AI_ACT.replacen("ur: \"ہاں، یہ لوگوں کی دور سے شناخت کرتا ہے (1(a))\"", "ur: \" \"", 1);
        let err = Ruleset::parse("test.yaml", &bad).expect_err("an empty Urdu label is refused");
        assert!(err.to_string().contains("answer `remote_identification`"), "{err}");
    }

    #[test]
    fn every_citation_names_an_existing_provision() {
        // `parse` refuses a ruleset citing what the Regulation does not contain; prove it.
        for (from, to) in [
            ("cite: \"Art. 50(4)\"", "cite: \"Art. 50(8)\""),
            ("roles_cite: \"Art. 4\"", "roles_cite: \"Art. 114\""),
            ("cite: \"Annex III point 5(d)\"", "cite: \"Annex III point 5(e)\""),
            ("cite: \"Art. 6(3)(d)\"", "cite: \"Art. 6(3)(e)\""),
        ] {
            assert!(EU_AI_ACT.contains(from), "{from}");
            let err = Ruleset::parse("test.yaml", &EU_AI_ACT.replacen(from, to, 1)).expect_err(to);
            assert!(err.to_string().contains("cites") || err.to_string().contains("roles_cite"), "{err}");
        }
        let rs = Ruleset::embedded().expect("valid");
        let all = rs
            .questions
            .iter()
            .flat_map(|q| std::iter::once(&q.cite).chain(q.answer_cites.values()))
            .chain(rs.obligations.iter().flat_map(|o| [&o.cite, &o.roles_cite]))
            .chain(rs.tiers.iter().map(|t| &t.cite))
            .chain(rs.contradictions.iter().map(|c| &c.cite));
        for c in all {
            assert_eq!(cite::check(c), Ok(()), "{c}");
        }
    }

    #[test]
    fn every_obligation_binds_exactly_its_roles() {
        // The table: for every obligation and every operator role, with the obligation's facts
        // holding, the engine emits it exactly when the ruleset says the role is bound.
        let rs = Ruleset::embedded().expect("valid");
        let roles = ["provider", "deployer", "importer", "distributor"];
        for o in &rs.obligations {
            let labels: BTreeSet<String> = o.when.all.iter().chain(o.when.any.first()).cloned().collect();
            assert!(o.when.holds(&labels), "{}: facts must be satisfiable", o.id);
            for role in roles {
                let emitted = rs.obligations_for(&labels, &[role.to_owned()]).iter().any(|x| x.id == o.id);
                assert_eq!(emitted, o.roles.iter().any(|r| r == role), "{} for a {role}", o.id);
            }
            assert!(rs.obligations_for(&labels, &[]).is_empty(), "no role, no duty");
        }
        let bound = |id: &str| rs.obligation(id).map(|o| o.roles.join(",")).unwrap_or_default();
        assert_eq!(bound("EU-T50-1"), "provider");
        assert_eq!(bound("EU-T50-2"), "provider");
        assert_eq!(bound("EU-T50-3"), "deployer");
        assert_eq!(bound("EU-T50-4"), "deployer");
        assert_eq!(bound("EU-AI-LITERACY"), "provider,deployer");
        assert_eq!(bound("EU-GPAI-DOCS"), "provider");
        assert_eq!(bound("EU-GPAI-SYSTEMIC"), "provider");
        assert_eq!(bound("EU-DEROGATION-DOCUMENT"), "provider");
        assert_eq!(bound("EU-IMPORTER-CHECKS"), "importer");
        assert_eq!(bound("EU-DISTRIBUTOR-CHECKS"), "distributor");
        assert_eq!(bound("EU-FRIA"), "deployer");
    }

    #[test]
    fn a_deployer_who_becomes_provider_holds_both_roles_an_importer_only_one() {
        let rs = Ruleset::embedded().expect("valid");
        let labels = |ls: &[&str]| ls.iter().map(|l| (*l).to_owned()).collect::<BTreeSet<String>>();
        assert_eq!(
            rs.operator_roles(&labels(&["role-deployer", "role-provider", "became-provider"])),
            ["provider", "deployer"]
        );
        assert_eq!(
            rs.operator_roles(&labels(&["role-importer", "role-provider", "became-provider"])),
            ["provider"]
        );
        assert_eq!(rs.operator_roles(&labels(&["role-importer"])), ["importer"]);
        assert!(rs.operator_roles(&labels(&[])).is_empty());
    }

    #[test]
    fn migration_maps_old_answers_and_leaves_the_unknowable_unanswered() {
        let rs = Ruleset::embedded().expect("valid");
        let old: Answers = [
            ("is_ai_system", "yes"),
            ("role", "provider"),
            ("gpai_model", "no"),
            ("p5a_manipulation", "no"),
            ("annex_i_safety_component", "no"),
            ("annex_iii_area", "essential_services"),
            ("profiling", "yes"),
            ("emotion_or_biometric_categorisation", "no"),
            ("deep_fake_or_public_text", "no"),
            ("colour", "blue"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
        let new = rs.migrate_answers(&old);
        assert_eq!(new.get("annex_iii_5").map(String::as_str), Some("yes"));
        assert_eq!(new.get("annex_iii_1").map(String::as_str), Some("no"));
        assert_eq!(new.get("annex_i_product").map(String::as_str), Some("none"));
        assert_eq!(new.get("deep_fake").map(String::as_str), Some("no"));
        assert_eq!(new.get("profiling").map(String::as_str), Some("yes"));
        assert!(!new.contains_key("annex_iii_area") && !new.contains_key("colour"));
        assert!(!new.contains_key("annex_iii_5_point"), "the sub-point cannot be known");
        assert!(new.keys().all(|k| rs.questions.iter().any(|q| &q.id == k)));
        assert_eq!(rs.migrate_answers(&new), new, "migrating current answers changes nothing");
        // The form asks the new scope question first, then the sub-point.
        assert_eq!(rs.progress(&new).next.map(|q| q.id.as_str()), Some("scope_military"));
    }

    #[test]
    fn contradictions_name_both_questions() {
        let rs = Ruleset::embedded().expect("valid");
        let mut a: Answers = rs
            .questions
            .iter()
            .map(|q| {
                let neutral = ["no", "none", "neither", "none_of_these"]
                    .into_iter()
                    .find(|n| q.answers.iter().any(|(x, _)| x == n))
                    .unwrap_or("yes");
                (q.id.clone(), neutral.to_owned())
            })
            .collect();
        a.insert("is_ai_system".into(), "yes".into());
        a.insert("role".into(), "deployer".into());
        a.insert("gpai_model".into(), "yes".into());
        let err = rs.classify(&a).expect_err("a deployer with a GPAI model");
        assert_eq!(err.question(), Some("role"));
        assert!(
            err.to_string().starts_with("the answers to `role` and `gpai_model` contradict each other"),
            "{err}"
        );
        a.insert("gpai_model".into(), "no".into());
        a.insert("deep_fake".into(), "yes".into());
        let err = rs.classify(&a).expect_err("a deep fake that is not synthetic");
        assert!(
            matches!(&err, RulesError::Contradiction { questions, .. } if questions == &["deep_fake", "generates_synthetic_content"]),
            "{err}"
        );
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
