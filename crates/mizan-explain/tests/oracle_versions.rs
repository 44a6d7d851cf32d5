//! The goldens were made by the versions the oracle pins: every golden's recorded library
//! version (XGBoost, LightGBM, scikit-learn, shap) equals its pin in
//! `oracles/shap/requirements.txt`, so a golden regenerated under another version, or a pin
//! changed without regenerating, fails here, without Python.

use std::collections::BTreeMap;
use std::path::Path;

fn pins() -> BTreeMap<String, String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../oracles/shap/requirements.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .lines()
        .map(|l| l.split('#').next().unwrap_or("").trim())
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (name, version) = l.split_once("==").unwrap_or_else(|| panic!("`{l}` is not pinned with =="));
            (name.trim().to_lowercase(), version.trim().to_owned())
        })
        .collect()
}

#[test]
fn every_golden_was_made_by_the_pinned_versions() {
    let pins = pins();
    let mut checked = 0;
    for dir in ["xgboost", "lightgbm", "sklearn"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if !name.ends_with(".golden.json") {
                continue;
            }
            let golden: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let library = golden["library"].as_str().expect("library");
            let version = golden["version"].as_str().expect("version");
            assert_eq!(Some(&version.to_owned()), pins.get(library), "{}: `{library}`", path.display());
            checked += 1;
            // The SHAP values inside, where the golden has them, came from the pinned shap.
            for shap in [&golden["shap"], &golden["interventional"]] {
                if let Some(v) = shap.get("shap_version").and_then(|v| v.as_str()) {
                    assert_eq!(Some(&v.to_owned()), pins.get("shap"), "{}: shap", path.display());
                    checked += 1;
                }
            }
        }
    }
    assert!(checked >= 12, "{checked} versions checked");
}
