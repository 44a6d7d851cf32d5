//! Recourse options really flip the model's output, respect immutable features, directions and
//! bounds, and "no recourse" is reported honestly.

use std::path::PathBuf;

use mizan_explain::recourse::{Direction, Favourable, Recourse, RecourseConfig, search};
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
        .map(|(lo, hi)| (lo - 1e6, hi + 1e6))
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
        Recourse::NoneWithinConstraints { searched } => {
            assert!(searched > 0 || m.n_features() == 0);
            0
        }
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
    for x in german_rows() {
        if let Recourse::Options(opts) = search(&m, &x, &cfg).expect("searches") {
            for o in opts {
                for c in o.changes {
                    assert!(c.to > c.from.unwrap_or(f64::NEG_INFINITY), "`{}` decreased", c.name);
                }
            }
        }
    }
}
