//! Recourse options really flip the model's output, respect immutable features, directions and
//! bounds, and "no recourse" is reported honestly.

use std::path::PathBuf;

use mizan_explain::recourse::{
    Direction, Favourable, FeatureStep, Recourse, RecourseConfig, actionable, is_protected_name, search,
};
use mizan_explain::{Model, load_model};

fn model(rel: &str) -> Model {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel);
    load_model(&std::fs::read(p).expect("model file")).expect("loads")
}

/// German credit rows, numerically encoded as in the oracle (category codes in sorted order).
fn german_rows() -> Vec<Vec<f64>> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/xgboost/german_binary.golden.json");
    let g: serde_json::Value = serde_json::from_slice(&std::fs::read(p).expect("golden")).expect("json");
    g["rows"].as_array().expect("rows")[..16]
        .iter()
        .map(|r| r.as_array().expect("row").iter().map(|v| v.as_f64().unwrap_or(f64::NAN)).collect())
        .collect()
}

/// The search's settings: `immutable` features fixed, every other free in both directions,
/// and each bounded by the range the sample rows hold (a suggestion outside what applicants
/// have is not one a person could act on).
fn config(m: &Model, immutable: &[&str]) -> RecourseConfig {
    let rows = german_rows();
    let n = m.n_features();
    let directions = m
        .feature_names
        .iter()
        .map(|f| if immutable.contains(&f.as_str()) { Direction::Immutable } else { Direction::Any })
        .collect();
    let bounds = (0..n)
        .map(|j| {
            rows.iter()
                .map(|r| r[j])
                .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| (lo.min(v), hi.max(v)))
        })
        .collect();
    RecourseConfig {
        output: 0,
        favourable: Favourable::Above(0.0),
        directions,
        bounds,
        mads: vec![1.0; n],
        max_options: 3,
        max_changes: 2,
    }
}

fn check_options(m: &Model, x: &[f64], cfg: &RecourseConfig, what: &str) -> usize {
    match search(m, x, cfg).expect("searches") {
        Recourse::AlreadyFavourable => {
            assert!(m.predict_margin(x).expect("predicts")[0] > 0.0, "{what}: claims favourable");
            0
        }
        Recourse::NoneWithinConstraints { .. } => 0,
        Recourse::Options(opts) => {
            assert!(!opts.is_empty() && opts.len() <= cfg.max_options);
            for o in &opts {
                let mut y = x.to_vec();
                for c in &o.changes {
                    assert_ne!(
                        cfg.directions[c.feature],
                        Direction::Immutable,
                        "{what}: changed immutable `{}`",
                        c.name
                    );
                    let (lo, hi) = cfg.bounds[c.feature];
                    assert!(
                        (lo..=hi).contains(&c.to),
                        "{what}: `{}` suggested as {}, outside its bounds [{lo}, {hi}]",
                        c.name,
                        c.to
                    );
                    y[c.feature] = c.to;
                }
                let margin = m.predict_margin(&y).expect("predicts")[0];
                assert!(margin > 0.0, "{what}: option does not flip (margin {margin})");
                assert_eq!(margin, o.margin);
            }
            assert!(opts.windows(2).all(|w| w[0].cost <= w[1].cost), "{what}: cheapest first");
            opts.len()
        }
    }
}

#[test]
fn tree_options_flip_and_keep_immutable_features() {
    let m = model("xgboost/german_binary.json");
    let cfg = config(&m, &["age", "sex"]);
    let mut flipped = 0;
    for (r, x) in german_rows().iter().enumerate() {
        if m.predict_margin(x).expect("predicts")[0] <= 0.0 {
            flipped += check_options(&m, x, &cfg, &format!("xgboost row {r}"));
        }
    }
    assert!(flipped > 0, "some unfavourable row has recourse");
}

#[test]
fn lightgbm_options_flip() {
    let m = model("lightgbm/german_binary.txt");
    let cfg = config(&m, &["age", "sex", "job"]);
    let mut flipped = 0;
    for (r, x) in german_rows().iter().enumerate() {
        if m.predict_margin(x).expect("predicts")[0] <= 0.0 {
            flipped += check_options(&m, x, &cfg, &format!("lightgbm row {r}"));
        }
    }
    assert!(flipped > 0);
}

#[test]
fn linear_closed_form_flips() {
    let m = model("sklearn/german_logistic.json");
    let cfg = config(&m, &["age", "sex"]);
    let mut flipped = 0;
    for (r, x) in german_rows().iter().enumerate() {
        if m.predict_margin(x).expect("predicts")[0] <= 0.0 {
            flipped += check_options(&m, x, &cfg, &format!("linear row {r}"));
        }
    }
    assert!(flipped > 0);
}

#[test]
fn everything_immutable_means_no_recourse() {
    let m = model("xgboost/german_binary.json");
    let names: Vec<&str> = m.feature_names.iter().map(String::as_str).collect();
    let cfg = config(&m, &names);
    let x = german_rows()
        .into_iter()
        .find(|x| m.predict_margin(x).expect("predicts")[0] <= 0.0)
        .expect("an unfavourable row");
    assert!(matches!(search(&m, &x, &cfg).expect("searches"), Recourse::NoneWithinConstraints { .. }));
}

#[test]
fn directions_are_respected() {
    let m = model("xgboost/german_binary.json");
    let mut cfg = config(&m, &[]);
    cfg.directions = vec![Direction::IncreaseOnly; m.n_features()];
    let mut found = 0;
    for x in german_rows() {
        if let Recourse::Options(opts) = search(&m, &x, &cfg).expect("searches") {
            for o in opts {
                found += 1;
                for c in o.changes {
                    assert!(c.to > c.from.unwrap_or(f64::NEG_INFINITY), "`{}` decreased", c.name);
                }
            }
        }
    }
    assert!(found > 0, "increases alone flip some rows, so the check above ran");
}

/// Bounds hold: with every feature boxed in to its value and one step either side, each
/// suggestion stays inside its box, and a row whose only way out lies outside finds none.
#[test]
fn bounds_are_respected() {
    let m = model("xgboost/german_binary.json");
    let rows = german_rows();
    let mut boxed = 0;
    for (r, x) in rows.iter().enumerate() {
        if m.predict_margin(x).expect("predicts")[0] > 0.0 {
            continue;
        }
        let mut cfg = config(&m, &[]);
        cfg.bounds = x.iter().map(|v| (v - 1.0, v + 1.0)).collect();
        boxed += check_options(&m, x, &cfg, &format!("boxed row {r}"));
        // Pinned to its own values, nothing can change.
        cfg.bounds = x.iter().map(|v| (*v, *v)).collect();
        assert!(
            matches!(search(&m, x, &cfg).expect("searches"), Recourse::NoneWithinConstraints { .. }),
            "row {r}: pinned features cannot flip the outcome"
        );
    }
    assert!(boxed > 0, "some boxed rows still have options, so their bounds were checked");
}

/// The search's raw values sit just past a split threshold (for XGBoost, the `f32` just below
/// it: `50.999996` years, `0.99999994` for a 0/1 code). Made actionable, every value is one the
/// feature can take (whole numbers; only the codes that exist), every option still flips the
/// model, and protected features are never moved.
#[test]
fn actionable_options_are_whole_coded_and_still_flip() {
    let m = model("xgboost/german_binary.json");
    let rows = german_rows();
    let codes: serde_json::Value = serde_json::from_slice(
        &std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/german_codes.json"))
            .expect("codes"),
    )
    .expect("json");
    // Whole numbers everywhere; a categorical feature may take only its codes.
    let steps: Vec<FeatureStep> = m
        .feature_names
        .iter()
        .map(|f| match codes.get(f).and_then(serde_json::Value::as_array) {
            #[expect(clippy::cast_precision_loss, reason = "a handful of codes")]
            Some(labels) => FeatureStep::Values((0..labels.len()).map(|c| c as f64).collect()),
            None => FeatureStep::Every(1.0),
        })
        .collect();
    // First with nothing immutable: the raw search suggests fractional values (the bug this
    // guards against), and the actionable options have none.
    let free = config(&m, &[]);
    let (mut fractional, mut options) = (0, 0);
    for x in &rows {
        let raw = search(&m, x, &free).expect("searches");
        if let Recourse::Options(o) = &raw {
            fractional += o.iter().flat_map(|o| &o.changes).filter(|c| c.to.fract() != 0.0).count();
        }
        let Recourse::Options(done) = actionable(&m, x, &free, &steps, raw).expect("rounds") else {
            continue;
        };
        for o in &done {
            options += 1;
            let mut y = x.clone();
            for c in &o.changes {
                assert_eq!(c.to.fract(), 0.0, "`{}` suggested as {}", c.name, c.to);
                if let FeatureStep::Values(v) = &steps[c.feature] {
                    assert!(v.contains(&c.to), "`{}` = {} is not a code", c.name, c.to);
                }
                y[c.feature] = c.to;
            }
            let margin = m.predict_margin(&y).expect("predicts")[0];
            assert!(margin > 0.0, "the rounded option still flips the outcome");
            assert_eq!(margin, o.margin, "the option carries its re-scored margin");
        }
    }
    assert!(fractional > 0, "the raw search gave fractional values, so the test can fail");
    assert!(options > 0, "some options survive rounding");

    // Protected names are recognised by their words, not by substrings.
    for name in ["age", "Age", "sex", "applicant_age", "Marital status", "religion", "age_band", "GENDER"] {
        assert!(is_protected_name(name), "{name} is protected");
    }
    for name in ["mortgage", "savings", "usage", "credit_amount", "purpose", "housing"] {
        assert!(!is_protected_name(name), "{name} is not protected");
    }
    // With protected features immutable (as callers set them), none is ever suggested.
    let protected: Vec<&str> =
        m.feature_names.iter().map(String::as_str).filter(|f| is_protected_name(f)).collect();
    assert!(protected.contains(&"age") && protected.contains(&"sex"));
    let cfg = config(&m, &protected);
    for x in &rows {
        let raw = search(&m, x, &cfg).expect("searches");
        if let Recourse::Options(done) = actionable(&m, x, &cfg, &steps, raw).expect("rounds") {
            for c in done.iter().flat_map(|o| &o.changes) {
                assert!(!is_protected_name(&c.name), "protected `{}` suggested", c.name);
            }
        }
    }
}

/// A step snaps away from the current value; a value outside the codes or bounds is not offered.
#[test]
fn steps_snap_away_from_the_current_value() {
    let m = model("sklearn/german_logistic.json");
    let x = german_rows()[1].clone();
    let cfg = config(&m, &["age", "sex"]);
    let n = m.n_features();
    let raw = search(&m, &x, &cfg).expect("searches");
    // Only a code that does not exist for every feature: nothing is left to suggest.
    let nothing = vec![FeatureStep::Values(vec![]); n];
    match actionable(&m, &x, &cfg, &nothing, raw.clone()).expect("rounds") {
        Recourse::NoneWithinConstraints { .. } | Recourse::AlreadyFavourable => {}
        Recourse::Options(o) => panic!("no value may be suggested, got {o:?}"),
    }
    // Free steps keep the search's own options.
    let free = vec![FeatureStep::Free; n];
    let changes = |r: &Recourse| match r {
        Recourse::Options(o) => o.iter().map(|o| o.changes.clone()).collect::<Vec<_>>(),
        _ => vec![],
    };
    let kept = actionable(&m, &x, &cfg, &free, raw.clone()).expect("keeps");
    assert_eq!(changes(&kept), changes(&raw));
    assert!(!changes(&raw).is_empty(), "row 2 has options, so the test can fail");
    assert!(actionable(&m, &x, &cfg, &free[1..], raw).is_err(), "one step per feature");
}
