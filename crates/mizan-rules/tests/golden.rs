//! Golden classification cases (`tests/cases/*.yaml`) and the off-path property.

use std::collections::BTreeMap;

use mizan_rules::{Answers, Ruleset};
use proptest::prelude::*;
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    answers: BTreeMap<String, String>,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    tier: String,
    role: String,
    obligations: Vec<String>,
    path: Vec<String>,
    #[serde(default)]
    became_provider: bool,
    #[serde(default)]
    gpai: Option<Gpai>,
    #[serde(default)]
    ignored: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Gpai {
    general_purpose: bool,
    systemic_risk: bool,
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

#[test]
fn golden_cases_match() {
    let rs = Ruleset::embedded().expect("ruleset");
    let all = cases();
    assert!(all.len() >= 40, "at least 40 golden cases, found {}", all.len());
    let mut failures = vec![];
    for (file, c) in &all {
        let got = match rs.classify(&c.answers) {
            Ok(g) => g,
            Err(e) => {
                failures.push(format!("{file}: {}: error {e}", c.name));
                continue;
            }
        };
        let mut obligations: Vec<String> = got.obligations.iter().map(|o| o.id.clone()).collect();
        obligations.sort();
        let path: Vec<String> = got.path.iter().map(|s| s.question.clone()).collect();
        let mut problems = vec![];
        if got.tier.as_str() != c.expect.tier {
            problems.push(format!("tier {} != {}", got.tier.as_str(), c.expect.tier));
        }
        if got.role != c.expect.role {
            problems.push(format!("role {} != {}", got.role, c.expect.role));
        }
        if obligations != c.expect.obligations {
            problems.push(format!("obligations {obligations:?} != {:?}", c.expect.obligations));
        }
        if path != c.expect.path {
            problems.push(format!("path {path:?} != {:?}", c.expect.path));
        }
        if got.became_provider != c.expect.became_provider {
            problems.push("became_provider differs".into());
        }
        if let Some(g) = &c.expect.gpai
            && (got.gpai.general_purpose, got.gpai.systemic_risk) != (g.general_purpose, g.systemic_risk)
        {
            problems.push("gpai flags differ".into());
        }
        if !c.expect.ignored.is_empty() && got.ignored != c.expect.ignored {
            problems.push(format!("ignored {:?} != {:?}", got.ignored, c.expect.ignored));
        }
        if got.path.iter().any(|s| s.cite.is_empty()) || got.obligations.iter().any(|o| o.cite.is_empty()) {
            problems.push("a step or obligation has no citation".into());
        }
        if !problems.is_empty() {
            failures.push(format!("{file}: {}: {}", c.name, problems.join("; ")));
        }
    }
    assert!(failures.is_empty(), "golden mismatches:\n{}", failures.join("\n"));
}

#[test]
fn golden_set_covers_every_practice_area_derogation_and_role() {
    let all = cases();
    let answered = |q: &str, a: &str| {
        all.iter().any(|(_, c)| {
            c.answers.get(q).map(String::as_str) == Some(a) && c.expect.path.iter().any(|p| p == q)
        })
    };
    let rs = Ruleset::embedded().expect("ruleset");
    for q in rs.questions.iter().filter(|q| q.id.starts_with("p5")) {
        assert!(answered(&q.id, "yes"), "no case where {} applies", q.id);
    }
    let area = rs.questions.iter().find(|q| q.id == "annex_iii_area").expect("annex III question");
    let derogation = rs.questions.iter().find(|q| q.id == "derogation").expect("derogation question");
    for a in area.allowed().iter().chain(derogation.allowed().iter()) {
        assert!(answered("annex_iii_area", a) || answered("derogation", a), "no case for answer {a}");
    }
    for role in ["provider", "deployer", "importer", "distributor"] {
        assert!(answered("role", role), "no case for role {role}");
    }
    assert!(
        answered("profiling", "yes")
            && answered("substantial_modification", "yes")
            && answered("gpai_systemic", "yes")
    );
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
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Changing the answer to any question that was not on the path never changes the result.
    #[test]
    fn off_path_answers_never_matter(answers in any_answers(), pick in any::<proptest::sample::Index>(), alt in any::<proptest::sample::Index>()) {
        let rs = Ruleset::embedded().expect("ruleset");
        let base = rs.classify(&answers).expect("complete answers classify");
        let off: Vec<&mizan_rules::Question> = rs.questions.iter().filter(|q| !base.path.iter().any(|s| s.question == q.id)).collect();
        prop_assume!(!off.is_empty());
        let q = off[pick.index(off.len())];
        let allowed = q.allowed();
        let mut changed = answers.clone();
        changed.insert(q.id.clone(), allowed[alt.index(allowed.len())].clone());
        let again = rs.classify(&changed).expect("still valid");
        prop_assert_eq!(&again.tier, &base.tier);
        prop_assert_eq!(&again.path, &base.path);
        prop_assert_eq!(&again.obligations, &base.obligations);
        prop_assert_eq!(&again.role, &base.role);
        // Removing it entirely changes nothing either.
        let mut removed = answers.clone();
        removed.remove(&q.id);
        let third = rs.classify(&removed).expect("off-path answers are optional");
        prop_assert_eq!(third.path, base.path);
    }
}
