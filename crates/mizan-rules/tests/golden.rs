//! Golden classification cases (`tests/cases/*.yaml`), the role table over them, and the
//! off-path property.
//!
//! A case lists only the answers that differ from the neutral one (`no`, `none`, `neither`,
//! `none_of_these`): every other question is answered neutrally, and answers off the path are
//! ignored by the engine. Each case names the provision it rests on (`rests_on`, checked to
//! exist) and its expectations are worked out from the Regulation, not produced by the engine.

use std::collections::{BTreeMap, BTreeSet};

use mizan_rules::{Answers, RulesError, Ruleset};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    rests_on: String,
    answers: BTreeMap<String, String>,
    expect: Expect,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
struct Expect {
    tier: Option<String>,
    role: Option<String>,
    roles: Option<Vec<String>>,
    obligations: Vec<String>,
    became_provider: bool,
    gpai: Option<Gpai>,
    /// Questions that must be on the path.
    asked: Vec<String>,
    /// Questions that must not be on the path (asked only of other roles, or excluded).
    not_asked: Vec<String>,
    /// The two questions a contradiction names; then nothing else is checked.
    contradiction: Option<Vec<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Gpai {
    general_purpose: bool,
    systemic_risk: bool,
}

const NEUTRAL: [&str; 4] = ["no", "none", "neither", "none_of_these"];

/// Every question answered neutrally, then the case's answers on top.
fn complete(rs: &Ruleset, given: &BTreeMap<String, String>) -> Answers {
    let mut a: Answers = rs
        .questions
        .iter()
        .filter_map(|q| {
            NEUTRAL
                .iter()
                .find(|n| q.answers.iter().any(|(x, _)| x == *n))
                .map(|n| (q.id.clone(), (*n).to_owned()))
        })
        .collect();
    a.extend(given.iter().map(|(k, v)| (k.clone(), v.clone())));
    a
}

fn cases() -> Vec<(String, Case)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut out = vec![];
    let mut files: Vec<_> =
        std::fs::read_dir(&dir).expect("cases dir").map(|e| e.expect("entry").path()).collect();
    files.sort();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("read case file");
        let list: Vec<Case> =
            serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let stem = f.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_owned();
        out.extend(list.into_iter().map(|c| (stem.clone(), c)));
    }
    out
}

fn check(rs: &Ruleset, file: &str, c: &Case) -> Vec<String> {
    let mut problems = vec![];
    if let Err(e) = mizan_rules::cite::check(&c.rests_on) {
        problems.push(format!("rests_on: {e}"));
    }
    let got = rs.classify(&complete(rs, &c.answers));
    if let Some(expected) = &c.expect.contradiction {
        match got {
            Err(RulesError::Contradiction { questions, .. }) if &questions == expected => {}
            other => problems.push(format!("expected a contradiction of {expected:?}, got {other:?}")),
        }
        return problems.into_iter().map(|p| format!("{file}: {}: {p}", c.name)).collect();
    }
    let got = match got {
        Ok(g) => g,
        Err(e) => return vec![format!("{file}: {}: error {e}", c.name)],
    };
    let mut obligations: Vec<&str> = got.obligations.iter().map(|o| o.id.as_str()).collect();
    obligations.sort_unstable();
    let mut expected: Vec<&str> = c.expect.obligations.iter().map(String::as_str).collect();
    expected.sort_unstable();
    let path: BTreeSet<&str> = got.path.iter().map(|s| s.question.as_str()).collect();
    if c.expect.tier.as_deref() != Some(got.tier.as_str()) {
        problems.push(format!("tier {} != {:?}", got.tier.as_str(), c.expect.tier));
    }
    if c.expect.role.as_deref() != Some(got.role.as_str()) {
        problems.push(format!("role {} != {:?}", got.role, c.expect.role));
    }
    if let Some(roles) = &c.expect.roles
        && roles != &got.roles
    {
        problems.push(format!("roles {:?} != {roles:?}", got.roles));
    }
    if obligations != expected {
        problems.push(format!("obligations {obligations:?} != {expected:?}"));
    }
    if got.became_provider != c.expect.became_provider {
        problems.push("became_provider differs".into());
    }
    if let Some(g) = &c.expect.gpai
        && (got.gpai.general_purpose, got.gpai.systemic_risk) != (g.general_purpose, g.systemic_risk)
    {
        problems.push("gpai flags differ".into());
    }
    for q in &c.expect.asked {
        if !path.contains(q.as_str()) {
            problems.push(format!("`{q}` was not asked"));
        }
    }
    for q in &c.expect.not_asked {
        if path.contains(q.as_str()) {
            problems.push(format!("`{q}` was asked"));
        }
    }
    if got.path.iter().any(|s| s.cite.is_empty()) || got.obligations.iter().any(|o| o.cite.is_empty()) {
        problems.push("a step or obligation has no citation".into());
    }
    for k in c.answers.keys() {
        if !rs.questions.iter().any(|q| &q.id == k) {
            problems.push(format!("answers unknown question `{k}`"));
        }
    }
    problems.into_iter().map(|p| format!("{file}: {}: {p}", c.name)).collect()
}

#[test]
fn golden_cases_match() {
    let rs = Ruleset::embedded().expect("ruleset");
    let all = cases();
    assert!(all.len() >= 80, "at least 80 golden cases, found {}", all.len());
    let failures: Vec<String> = all.iter().flat_map(|(file, c)| check(rs, file, c)).collect();
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}

#[test]
fn golden_set_covers_every_answer_obligation_tier_and_contradiction() {
    let rs = Ruleset::embedded().expect("ruleset");
    let mut chosen: BTreeSet<(String, String)> = BTreeSet::new();
    let mut emitted: BTreeSet<String> = BTreeSet::new();
    let mut tiers: BTreeSet<&str> = BTreeSet::new();
    let mut contradictions = 0;
    for (_, c) in cases() {
        match rs.classify(&complete(rs, &c.answers)) {
            Ok(got) => {
                chosen.extend(got.path.iter().map(|s| (s.question.clone(), s.answer.clone())));
                emitted.extend(got.obligations.iter().map(|o| o.id.clone()));
                tiers.insert(got.tier.as_str());
            }
            Err(RulesError::Contradiction { .. }) => {
                contradictions += 1;
                let answered = rs.progress(&complete(rs, &c.answers)).answered;
                chosen.extend(answered.iter().map(|(q, a)| (q.id.clone(), a.clone())));
            }
            Err(e) => panic!("{}: {e}", c.name),
        }
    }
    let mut missing = vec![];
    for q in &rs.questions {
        for a in q.allowed() {
            if !chosen.contains(&(q.id.clone(), a.clone())) {
                missing.push(format!("{} = {a}", q.id));
            }
        }
    }
    assert!(missing.is_empty(), "no case chooses these answers on the path:\n{}", missing.join("\n"));
    for id in rs.obligation_ids() {
        assert!(emitted.contains(id), "no case emits {id}");
    }
    assert_eq!(tiers.len(), 5, "every tier: {tiers:?}");
    assert!(contradictions >= 7, "every contradiction rule has a case");
}

/// The role table over the golden set: every case re-run as each operator role emits only
/// obligations that bind a role the operator holds, and the roles held follow the answer.
#[test]
fn every_case_as_every_role_emits_only_that_roles_duties() {
    let rs = Ruleset::embedded().expect("ruleset");
    for (_, c) in cases() {
        for role in ["provider", "deployer", "importer", "distributor", "provider_and_deployer"] {
            let mut a = complete(rs, &c.answers);
            a.insert("role".into(), role.into());
            a.insert("substantial_modification".into(), "no".into());
            let Ok(got) = rs.classify(&a) else { continue };
            if a.get("is_ai_system").map(String::as_str) != Some("yes") {
                continue;
            }
            let held: Vec<&str> = match role {
                "provider_and_deployer" => vec!["provider", "deployer"],
                r => vec![r],
            };
            assert_eq!(got.roles, held, "{} as {role}", c.name);
            for o in &got.obligations {
                assert!(
                    o.roles.iter().any(|r| held.contains(&r.as_str())),
                    "{}: {} emitted for a {role}, binds {:?}",
                    c.name,
                    o.id,
                    o.roles
                );
            }
        }
    }
}

/// A regulator's override recomputes the duties: for every golden case, overriding to the tier
/// the answers give changes nothing, and each other tier brings exactly that tier's duties.
#[test]
fn an_override_brings_the_new_tiers_duties() {
    use mizan_rules::Tier;
    let rs = Ruleset::embedded().expect("ruleset");
    let ids = |v: &[mizan_rules::Obligation]| v.iter().map(|o| o.id.clone()).collect::<Vec<_>>();
    let mut raised = 0;
    for (_, c) in cases() {
        let a = complete(rs, &c.answers);
        let Ok(got) = rs.classify(&a) else { continue };
        let same = rs.obligations_as(&a, got.tier).expect("same answers");
        assert_eq!(ids(&same), ids(&got.obligations), "{}: overriding to its own tier", c.name);
        assert!(rs.obligations_as(&a, Tier::OutOfScope).unwrap().is_empty(), "{}", c.name);
        let high = ids(&rs.obligations_as(&a, Tier::High).unwrap());
        let low = ids(&rs.obligations_as(&a, Tier::Minimal).unwrap());
        let prohibited = ids(&rs.obligations_as(&a, Tier::Prohibited).unwrap());
        assert!(
            !low.iter().any(|id| id == "EU-RISK-MANAGEMENT" || id == "EU-PROHIBITED"),
            "{}: {low:?}",
            c.name
        );
        assert!(prohibited.contains(&"EU-PROHIBITED".to_owned()) || got.roles.is_empty(), "{}", c.name);
        if got.roles.contains(&"provider".to_owned()) && !high.contains(&"EU-ANNEX-I-B".to_owned()) {
            assert!(high.contains(&"EU-RISK-MANAGEMENT".to_owned()), "{}: {high:?}", c.name);
            assert!(!high.contains(&"EU-DEROGATION-DOCUMENT".to_owned()), "{}: a derogation falls", c.name);
            if got.tier != Tier::High {
                raised += 1;
            }
        }
    }
    assert!(raised >= 10, "the golden set raises {raised} provider cases to high-risk");
}

/// The shipped examples (used by `mizan classify` tests and docs) classify under this ruleset.
#[test]
fn shipped_examples_classify() {
    let rs = Ruleset::embedded().expect("ruleset");
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    for (file, tier) in [
        ("bank-credit-scoring.yaml", "high"),
        ("citizen-chatbot.json", "limited"),
        ("social-scoring.yaml", "prohibited"),
    ] {
        let text = std::fs::read_to_string(dir.join(file)).expect("example");
        let answers: Answers = serde_yaml_ng::from_str(&text).expect("answers");
        let got = rs.classify(&answers).unwrap_or_else(|e| panic!("{file}: {e}"));
        assert_eq!(got.tier.as_str(), tier, "{file}");
        assert!(got.ignored.is_empty(), "{file}: answers off the path {:?}", got.ignored);
    }
}

fn any_answers() -> impl Strategy<Value = Answers> {
    let rs = Ruleset::embedded().expect("ruleset");
    let per_question: Vec<_> = rs
        .questions
        .iter()
        .map(|q| {
            let id = q.id.clone();
            proptest::sample::select(q.allowed()).prop_map(move |a| (id.clone(), a))
        })
        .collect();
    per_question.prop_map(|pairs| pairs.into_iter().collect())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Changing the answer to any question that was not on the path never changes the result,
    /// whether the result is a classification or a contradiction.
    #[test]
    fn off_path_answers_never_matter(answers in any_answers(), pick in any::<proptest::sample::Index>(), alt in any::<proptest::sample::Index>()) {
        let rs = Ruleset::embedded().expect("ruleset");
        let base = rs.classify(&answers);
        let on_path: BTreeSet<String> = match &base {
            Ok(c) => c.path.iter().map(|s| s.question.clone()).collect(),
            Err(_) => rs.progress(&answers).answered.iter().map(|(q, _)| q.id.clone()).collect(),
        };
        if let Err(e) = &base {
            prop_assert!(matches!(e, RulesError::Contradiction { .. }), "complete answers only fail by contradiction: {e}");
        }
        let off: Vec<&mizan_rules::Question> = rs.questions.iter().filter(|q| !on_path.contains(&q.id)).collect();
        prop_assume!(!off.is_empty());
        let q = off[pick.index(off.len())];
        let allowed = q.allowed();
        let mut changed = answers.clone();
        changed.insert(q.id.clone(), allowed[alt.index(allowed.len())].clone());
        let again = rs.classify(&changed);
        let mut removed = answers.clone();
        removed.remove(&q.id);
        let third = rs.classify(&removed);
        match (&base, &again, &third) {
            (Ok(b), Ok(a), Ok(t)) => {
                prop_assert_eq!(&a.tier, &b.tier);
                prop_assert_eq!(&a.path, &b.path);
                prop_assert_eq!(&a.obligations, &b.obligations);
                prop_assert_eq!(&a.role, &b.role);
                prop_assert_eq!(&a.roles, &b.roles);
                prop_assert_eq!(&t.path, &b.path);
                prop_assert_eq!(&t.obligations, &b.obligations);
            }
            (Err(b), Err(a), Err(t)) => {
                prop_assert_eq!(a, b);
                prop_assert_eq!(t, b);
            }
            _ => prop_assert!(false, "an off-path answer changed the outcome"),
        }
    }
}
