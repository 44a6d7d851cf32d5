//! Corrupt, truncated and unsupported model files and mismatched rows give clear errors, never
//! panics.

use std::path::PathBuf;

use mizan_explain::{ExplainError, load_model, shap};

fn data(rel: &str) -> Vec<u8> {
    std::fs::read(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(rel)).expect("test data")
}

#[test]
fn truncated_files_are_errors_at_every_length() {
    for rel in [
        "xgboost/synth_categorical.json",
        "xgboost/synth_categorical.ubj",
        "lightgbm/synth_categorical.txt",
        "sklearn/german_logistic.json",
    ] {
        let bytes = data(rel);
        assert!(load_model(&bytes).is_ok(), "{rel} loads whole");
        // LightGBM's model is complete at `end of trees`; what follows (importances,
        // parameters) is optional.
        let end = bytes.windows(12).position(|w| w == b"end of trees").map_or(bytes.len() - 1, |p| p + 11);
        let step = (end / 97).max(1);
        for cut in (0..end).step_by(step) {
            assert!(load_model(&bytes[..cut]).is_err(), "{rel} truncated at {cut} must not load");
        }
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = data("xgboost/german_binary.ubj");
    for i in (0..bytes.len()).step_by(53) {
        let mut b = bytes.clone();
        b[i] ^= 0xA5;
        let _ = load_model(&b);
    }
}

#[test]
fn unsupported_objective_is_named() {
    let text = String::from_utf8(data("xgboost/german_binary.json")).expect("utf-8");
    let bad = text.replace("\"binary:logistic\"", "\"survival:cox\"");
    let e = load_model(bad.as_bytes()).expect_err("cox is unsupported");
    assert!(matches!(e, ExplainError::Unsupported { what: "objective", .. }), "{e}");
    assert!(e.to_string().contains("`survival:cox`"), "{e}");

    let text = String::from_utf8(data("lightgbm/synth_nan.txt")).expect("utf-8");
    let bad = text.replace("objective=binary sigmoid:1", "objective=lambdarank");
    let e = load_model(bad.as_bytes()).expect_err("lambdarank is unsupported");
    assert!(e.to_string().contains("`lambdarank`"), "{e}");
}

#[test]
fn vector_leaves_are_refused() {
    let text = String::from_utf8(data("xgboost/synth_reg.json")).expect("utf-8");
    let bad = text.replacen("\"size_leaf_vector\":\"1\"", "\"size_leaf_vector\":\"3\"", 1);
    assert_ne!(bad, text, "fixture has size_leaf_vector");
    let e = load_model(bad.as_bytes()).expect_err("vector leaves unsupported");
    assert!(e.to_string().contains("vector leaf"), "{e}");
}

#[test]
fn wrong_feature_count_is_an_error() {
    let m = load_model(&data("lightgbm/synth_nan.txt")).expect("loads");
    let e = shap::explain(&m, "h", &[1.0, 2.0], 0).expect_err("too few features");
    assert!(matches!(e, ExplainError::FeatureCount { got: 2, expected: 5, .. }), "{e}");
    let e = shap::explain(&m, "h", &[0.0; 5], 3).expect_err("no output 3");
    assert!(matches!(e, ExplainError::Output { output: 3, outputs: 1 }), "{e}");
}

#[test]
fn invalid_json_is_reported_as_json_with_line_and_column() {
    let e = load_model(b"{\n  \"learner\": {\n    \"x\": [1, 2,, 3]\n  }\n}").unwrap_err();
    match &e {
        ExplainError::Json { line, column, .. } => assert_eq!((*line, *column), (3, 16)),
        other => panic!("{other}"),
    }
    assert!(e.to_string().starts_with("invalid JSON in the model file at line 3, column 16: "), "{e}");
    // Truncated JSON too; real UBJSON (a type marker after the brace) is still read as UBJSON.
    let e = load_model(b"{ \"learner\": ").unwrap_err();
    assert!(matches!(e, ExplainError::Json { line: 1, .. }), "{e}");
    let e = load_model(b"{i\x07learner").unwrap_err();
    assert!(e.to_string().contains("ubjson"), "{e}");
}
