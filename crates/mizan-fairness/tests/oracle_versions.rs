//! The goldens were made by the versions the oracle pins: every golden's recorded library
//! versions (fairlearn, AIF360, numpy, pandas, scikit-learn) equal the pins in
//! `oracles/fairlearn/requirements.txt`, so a golden regenerated under another version, or a
//! pin changed without regenerating, fails here, without Python.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `name==version` lines of a requirements file, names lowercased.
fn pins(path: &Path) -> BTreeMap<String, String> {
    std::fs::read_to_string(path)
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
    let pins = pins(&root().join("oracles/fairlearn/requirements.txt"));
    let mut checked = 0;
    for dir in ["fairlearn", "aif360"] {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data").join(dir);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let golden: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let anchor =
                golden["anchor"].as_object().unwrap_or_else(|| panic!("{}: no anchor", path.display()));
            let library = anchor["library"].as_str().expect("library");
            let mut recorded =
                vec![(library.to_owned(), anchor["version"].as_str().expect("version").to_owned())];
            for (k, v) in anchor.iter().filter(|(k, _)| !["library", "version"].contains(&k.as_str())) {
                recorded.push((k.clone(), v.as_str().expect("a version").to_owned()));
            }
            for (name, version) in recorded {
                let pinned = pins.get(&name).unwrap_or_else(|| {
                    panic!(
                        "{}: `{name}` made it but is not pinned in the oracle's requirements",
                        path.display()
                    )
                });
                assert_eq!(&version, pinned, "{}: `{name}`", path.display());
                checked += 1;
            }
        }
    }
    assert!(checked >= 40, "{checked} versions checked");
}
