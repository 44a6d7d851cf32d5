//! What `fuzz/` does with libFuzzer, on stable and in CI: random and mutated model bytes go to
//! every loader, which must return a model or a clear error and never panic, hang or allocate
//! without bound; every model that loads is then scored and explained.
//!
//! Mutations start from the real model files of `tests/data/` (byte flips, insertions,
//! deletions, truncations, splices of two files) and, for the text formats, from targeted edits
//! of numbers and keys (huge counts, negative indices, cycles), which is where loaders trust the
//! file most.

use std::path::PathBuf;

use mizan_explain::{ExplainError, Model, ModelBody, lightgbm, linear, load_model, shap, xgboost};
use proptest::prelude::*;

const SEEDS: [&str; 8] = [
    "xgboost/synth_categorical.json",
    "xgboost/synth_dart.json",
    "xgboost/synth_multi.json",
    "xgboost/synth_categorical.ubj",
    "xgboost/synth_dart.ubj",
    "lightgbm/synth_categorical.txt",
    "lightgbm/synth_zero.txt",
    "sklearn/german_logistic.json",
];

fn data(rel: &str) -> Vec<u8> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel);
    std::fs::read(&p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// An error a person can read: lowercase, one line, no debug formatting, no trailing period.
fn check_error(e: &ExplainError) {
    let msg = e.to_string();
    assert!(!msg.is_empty());
    assert!(!msg.starts_with(char::is_uppercase), "message starts in upper case: {msg}");
    assert!(!msg.ends_with('.'), "message ends with a period: {msg}");
    assert!(!msg.contains('\n'), "message spans lines: {msg}");
    assert!(!msg.contains("Some(") && !msg.contains("None)"), "debug formatting in: {msg}");
}

/// A loaded model can be scored and explained on a few rows without panicking.
fn exercise(m: &Model) {
    let n = m.n_features();
    let rows = [vec![0.0; n], vec![f64::NAN; n], (0..n).map(|i| i as f64 - 1.5).collect()];
    let explainer = shap::Explainer::new(m.clone());
    for x in &rows {
        let margins = m.predict_margin(x).expect("a row of the model's width scores");
        assert_eq!(margins.len(), m.n_outputs());
        for o in 0..m.n_outputs() {
            let e = explainer.explain("h", x, o).expect("a row of the model's width explains");
            assert_eq!(e.phi.len(), n);
        }
    }
    if let ModelBody::Trees(_) = m.body {
        let e = shap::explain_interventional(m, "h", &rows[0], &rows[1..], 0).expect("explains");
        assert_eq!(e.phi.len(), n);
    }
}

/// Every loader that could read `bytes`, and the format sniffer.
fn load_all(bytes: &[u8]) {
    let mut results = vec![load_model(bytes), xgboost::load_json(bytes), xgboost::load_ubjson(bytes)];
    if let Ok(text) = std::str::from_utf8(bytes) {
        results.push(lightgbm::load_model_txt(text));
    }
    if let Ok(v) = serde_json::from_slice(bytes) {
        results.push(linear::load_value(&v));
        results.push(xgboost::load_value(&v));
    }
    for r in results {
        match r {
            Ok(m) => exercise(&m),
            Err(e) => check_error(&e),
        }
    }
}

#[derive(Debug, Clone)]
enum Edit {
    Flip(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Truncate(usize),
    Splice(usize, usize, usize),
    Number(usize, &'static str),
    Key(usize, &'static str),
}

/// Values that loaders must not trust: counts that would allocate forever, negative and huge
/// indices, non-numbers.
const NUMBERS: [&str; 14] = [
    "-1",
    "0",
    "1",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "-9223372036854775808",
    "1e308",
    "-1e308",
    "1e-320",
    "nan",
    "\"[1e400]\"",
    "99999999999",
    "2.5",
];

/// Keys and tokens whose values the loaders interpret.
const KEYS: [&str; 12] = [
    "num_feature",
    "num_class",
    "left_children",
    "right_children",
    "split_indices",
    "categories_segments",
    "max_feature_idx",
    "num_tree_per_iteration",
    "num_leaves",
    "left_child",
    "cat_boundaries",
    "coefficients",
];

fn edit_strategy() -> impl Strategy<Value = Edit> {
    prop_oneof![
        2 => (any::<usize>(), 1u8..=255).prop_map(|(i, b)| Edit::Flip(i, b)),
        1 => (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16)).prop_map(|(i, b)| Edit::Insert(i, b)),
        1 => (any::<usize>(), 1usize..64).prop_map(|(i, n)| Edit::Delete(i, n)),
        1 => any::<usize>().prop_map(Edit::Truncate),
        1 => (any::<usize>(), any::<usize>(), any::<usize>()).prop_map(|(s, a, b)| Edit::Splice(s, a, b)),
        3 => (any::<usize>(), prop::sample::select(&NUMBERS[..])).prop_map(|(i, n)| Edit::Number(i, n)),
        3 => (any::<usize>(), prop::sample::select(&NUMBERS[..])).prop_map(|(i, n)| Edit::Key(i, n)),
    ]
}

/// Replaces the `k`-th number in the text (cyclically) with `with`.
fn replace_number(bytes: &[u8], k: usize, with: &str) -> Vec<u8> {
    let starts: Vec<usize> = (0..bytes.len())
        .filter(|&i| bytes[i].is_ascii_digit() && (i == 0 || !bytes[i - 1].is_ascii_alphanumeric()))
        .collect();
    let Some(&s) = starts.get(k % starts.len().max(1)) else { return bytes.to_vec() };
    let mut e = s;
    while e < bytes.len() && matches!(bytes[e], b'0'..=b'9' | b'.' | b'e' | b'E' | b'-' | b'+') {
        e += 1;
    }
    [&bytes[..s], with.as_bytes(), &bytes[e..]].concat()
}

/// Sets every number of the value after one interpreted key (JSON `"key":` or `key=`) to `with`.
fn replace_key(bytes: &[u8], k: usize, with: &str) -> Vec<u8> {
    let key = KEYS[k % KEYS.len()];
    let text = String::from_utf8_lossy(bytes);
    let Some(at) = text.find(key) else { return bytes.to_vec() };
    let after = at + key.len();
    let end = text[after..].find(['\n', ']', '}']).map_or(text.len(), |e| after + e);
    let mut out = text[..after].to_string();
    let mut in_number = false;
    for c in text[after..end].chars() {
        let digit = c.is_ascii_digit() || (in_number && matches!(c, '.' | 'e' | 'E' | '-' | '+'));
        if digit && !in_number {
            out.push_str(with);
        }
        if !digit {
            out.push(c);
        }
        in_number = digit;
    }
    out.push_str(&text[end..]);
    out.into_bytes()
}

fn apply(bytes: &mut Vec<u8>, other: &[u8], edit: &Edit) {
    let len = bytes.len().max(1);
    match edit {
        Edit::Flip(i, b) => {
            if !bytes.is_empty() {
                let i = i % bytes.len();
                bytes[i] ^= b;
            }
        }
        Edit::Insert(i, b) => {
            let i = i % (bytes.len() + 1);
            bytes.splice(i..i, b.iter().copied());
        }
        Edit::Delete(i, n) => {
            let i = i % len;
            let e = (i + n).min(bytes.len());
            if i < e {
                bytes.drain(i..e);
            }
        }
        Edit::Truncate(i) => bytes.truncate(i % len),
        Edit::Splice(s, a, b) => {
            let s = s % len;
            let (a, b) = (a % (other.len() + 1), b % (other.len() + 1));
            let (a, b) = (a.min(b), a.max(b));
            bytes.truncate(s);
            bytes.extend_from_slice(&other[a..b]);
        }
        Edit::Number(k, with) => *bytes = replace_number(bytes, *k, with),
        Edit::Key(k, with) => *bytes = replace_key(bytes, *k, with),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_models_load_or_fail_clearly(seed in 0usize..SEEDS.len(), other in 0usize..SEEDS.len(),
        edits in prop::collection::vec(edit_strategy(), 1..4)) {
        let mut bytes = data(SEEDS[seed]);
        let other = data(SEEDS[other]);
        for e in &edits {
            apply(&mut bytes, &other, e);
        }
        load_all(&bytes);
    }

    #[test]
    fn random_bytes_fail_clearly(prefix in prop::sample::select(&["", "{", "tree\n", "{\"learner\":", "[", "{\"format\":"][..]),
        body in prop::collection::vec(any::<u8>(), 0..512)) {
        let bytes = [prefix.as_bytes(), &body].concat();
        load_all(&bytes);
    }
}

// Inputs the mutations above found, or that sit where they aim, kept as plain tests.

fn text(rel: &str) -> String {
    String::from_utf8(data(rel)).expect("utf-8")
}

/// The first `find` in `s` replaced with `with`; the fixture must contain `find`.
fn edited(s: &str, find: &str, with: &str) -> Vec<u8> {
    assert!(s.contains(find), "fixture contains `{find}`");
    s.replacen(find, with, 1).into_bytes()
}

#[track_caller]
fn refused(bytes: &[u8], says: &str) {
    let Err(e) = load_model(bytes) else { panic!("loaded a model that should be refused for `{says}`") };
    check_error(&e);
    assert!(e.to_string().contains(says), "`{e}` should say `{says}`");
}

/// `synth_reg.json` with one `learner_model_param` set, and without feature names.
fn xgboost_param(key: &str, value: &str) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&data("xgboost/synth_reg.json")).expect("json");
    doc["learner"]["learner_model_param"][key] = value.into();
    doc["learner"]["feature_names"] = serde_json::json!([]);
    doc["learner"]["feature_types"] = serde_json::json!([]);
    serde_json::to_vec(&doc).expect("json")
}

#[test]
fn huge_feature_counts_are_refused_before_allocating() {
    assert!(load_model(&xgboost_param("num_feature", "5")).is_ok(), "the edit alone keeps a valid model");
    for n in ["4294967296", "1e300", "-1", "2.5", "nan"] {
        refused(&xgboost_param("num_feature", n), "num_feature");
    }
    refused(&xgboost_param("num_class", "1e12"), "num_class");

    let lgb = text("lightgbm/synth_zero.txt");
    let unnamed = lgb.replacen("feature_names=x0 x1 x2 x3 x4\n", "", 1);
    for n in ["18446744073709551615", "99999999999"] {
        refused(&edited(&unnamed, "max_feature_idx=4", &format!("max_feature_idx={n}")), "max_feature_idx");
    }
    refused(
        &edited(&lgb, "num_tree_per_iteration=1", "num_tree_per_iteration=99999999999"),
        "num_tree_per_iteration",
    );
}

#[test]
fn lightgbm_extreme_indices_are_errors() {
    let lgb = text("lightgbm/synth_zero.txt");
    let line = lgb.lines().find(|l| l.starts_with("left_child=")).expect("a tree");
    let first = line.trim_start_matches("left_child=").split(' ').next().expect("a child");
    let bad = line.replacen(first, "-9223372036854775808", 1);
    refused(&edited(&lgb, line, &bad), "left_child");
    let cat = text("lightgbm/synth_categorical.txt");
    let line =
        cat.lines().find(|l| l.starts_with("num_cat=") && l != &"num_cat=0").expect("a categorical tree");
    refused(&edited(&cat, line, "num_cat=18446744073709551615"), "cat_boundaries");
}

/// A tree as XGBoost JSON arrays, in a copy of `synth_reg.json` holding only that tree.
fn xgboost_with_tree(left: &[i64], right: &[i64]) -> Vec<u8> {
    let mut doc: serde_json::Value = serde_json::from_slice(&data("xgboost/synth_reg.json")).expect("json");
    let model = &mut doc["learner"]["gradient_booster"]["model"];
    let mut tree = model["trees"][0].clone();
    let n = left.len();
    tree["left_children"] = left.into();
    tree["right_children"] = right.into();
    tree["parents"] = vec![0; n].into();
    tree["split_indices"] = vec![0; n].into();
    tree["split_conditions"] = vec![0.5; n].into();
    tree["default_left"] = vec![1; n].into();
    tree["sum_hessian"] = vec![1.0; n].into();
    tree["base_weights"] = vec![0.0; n].into();
    tree["loss_changes"] = vec![0.0; n].into();
    tree["split_type"] = vec![0; n].into();
    tree["categories"] = Vec::<i64>::new().into();
    tree["categories_nodes"] = Vec::<i64>::new().into();
    tree["categories_segments"] = Vec::<i64>::new().into();
    tree["categories_sizes"] = Vec::<i64>::new().into();
    tree["tree_param"]["num_nodes"] = n.to_string().into();
    model["trees"] = vec![tree].into();
    model["tree_info"] = vec![0].into();
    model["gbtree_model_param"]["num_trees"] = "1".into();
    serde_json::to_vec(&doc).expect("json")
}

#[test]
fn shared_children_are_refused() {
    // Node i splits into i+1 twice: a chain of 60 such nodes has 2^60 paths, which explaining
    // would walk one by one.
    let n = 61;
    let left: Vec<i64> = (0..n).map(|i| if i + 1 < n { i + 1 } else { -1 }).collect();
    let right = left.clone();
    refused(&xgboost_with_tree(&left, &right), "parent");
}

#[test]
fn very_deep_trees_are_refused() {
    // A chain 100,000 splits deep would overflow the stack of every recursive walk.
    let n = 200_001i64;
    let left: Vec<i64> = (0..n).map(|i| if i % 2 == 0 && i + 2 < n { i + 2 } else { -1 }).collect();
    let right: Vec<i64> = (0..n).map(|i| if i % 2 == 0 && i + 2 < n { i + 1 } else { -1 }).collect();
    refused(&xgboost_with_tree(&left, &right), "deep");
}
