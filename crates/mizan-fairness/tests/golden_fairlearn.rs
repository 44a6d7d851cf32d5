//! Golden comparisons against fairlearn 0.15 (`oracles/fairlearn/generate.py`).
//!
//! Counts must match exactly and every rate and disparity to 1e-12, in fairlearn
//! compatibility mode (fairlearn reports 0 for a zero denominator).

use std::path::Path;

use mizan_fairness::metrics::{self, EdgeMode, Method, Rate};
use mizan_fairness::{Cells, Column, Input};
use serde_json::Value;

const RATES: [(&str, Rate); 7] = [
    ("selection_rate", Rate::SelectionRate),
    ("true_positive_rate", Rate::TruePositiveRate),
    ("false_positive_rate", Rate::FalsePositiveRate),
    ("false_negative_rate", Rate::FalseNegativeRate),
    ("true_negative_rate", Rate::TrueNegativeRate),
    ("precision", Rate::Precision),
    ("accuracy", Rate::Accuracy),
];

fn dir() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/fairlearn"))
}

fn close(name: &str, got: f64, want: &Value) {
    match want.as_f64() {
        None => assert!(got.is_nan(), "{name}: want NaN, got {got}"),
        Some(w) => assert!((got - w).abs() <= 1e-12 * w.abs().max(1.0), "{name}: want {w}, got {got}"),
    }
}

struct Case {
    golden: Value,
    cells: Cells,
}

fn load(name: &str) -> Case {
    let golden: Value =
        serde_json::from_str(&std::fs::read_to_string(dir().join(format!("{name}.json"))).unwrap()).unwrap();
    let s = |k: &str| golden[k].as_str().map(str::to_owned);
    let mut rdr = csv::Reader::from_path(dir().join(s("input").unwrap())).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let pos = s("pos_label").unwrap();
    let li = col(&s("label").unwrap());
    let pi = col(&s("prediction").unwrap());
    let label: Vec<bool> = rows.iter().map(|r| r[li] == pos).collect();
    let prediction: Vec<bool> = rows.iter().map(|r| r[pi] == pos).collect();
    let column = |n: &str| {
        let i = col(n);
        Column::from_values(n, rows.iter().map(|r| Some(&r[i])))
    };
    let sensitive: Vec<Column> =
        golden["sensitive"].as_array().unwrap().iter().map(|v| column(v.as_str().unwrap())).collect();
    let control = s("control").map(|c| column(&c));
    let weight: Option<Vec<f64>> = s("weight").map(|w| {
        let i = col(&w);
        rows.iter().map(|r| r[i].parse().unwrap()).collect()
    });
    let cells = Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: &sensitive,
        control: control.as_ref(),
        weight: weight.as_deref(),
    })
    .unwrap();
    Case { golden, cells }
}

#[expect(clippy::cast_precision_loss, reason = "small counts")]
fn rows_of(cells: &Cells, stratum: Option<&str>, g: &[String]) -> f64 {
    let r = cells.get(stratum, g).rows();
    if r == 0 { f64::NAN } else { r as f64 }
}

fn check(name: &str) {
    let Case { golden, cells } = load(name);
    let has_control = cells.control().is_some();
    // By group: counts exact, rates to 1e-12; every golden group (including empty
    // intersections) must be one of ours and vice versa.
    let by_group = golden["by_group"].as_array().unwrap();
    let strata = cells.strata();
    assert_eq!(by_group.len(), strata.len() * cells.groups().len(), "{name}: group count");
    for row in by_group {
        let mut key: Vec<String> =
            row["group"].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_owned()).collect();
        let stratum = has_control.then(|| key.remove(0));
        let c = cells.get(stratum.as_deref(), &key);
        let m = &row["metrics"];
        match m["count"].as_f64() {
            None => assert_eq!(c.rows(), 0, "{name} {key:?}: want empty"),
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            Some(n) => assert_eq!(c.rows() as f64, n, "{name} {key:?}: count"),
        }
        for (rn, r) in RATES {
            let v = metrics::rate(&c, r, cells.weighted(), EdgeMode::FairlearnCompat).value;
            close(&format!("{name} {key:?} {rn}"), v, &m[rn]);
        }
    }
    // Overall, difference and ratio, per stratum.
    for s in &strata {
        let pick = |v: &Value| -> Value {
            if has_control {
                v.as_array()
                    .unwrap()
                    .iter()
                    .find(|r| r["group"][0].as_str() == s.as_deref())
                    .unwrap()["metrics"]
                    .clone()
            } else {
                v.clone()
            }
        };
        let overall = pick(&golden["overall"]);
        let groups = cells.groups();
        let count_vals: Vec<f64> = groups.iter().map(|g| rows_of(&cells, s.as_deref(), g)).collect();
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let count_overall = cells.total(s.as_deref()).rows() as f64;
        close(&format!("{name} overall count"), count_overall, &overall["count"]);
        for method in [Method::BetweenGroups, Method::ToOverall] {
            let d = pick(&golden["aggregates"][format!("difference:{}", method.name())]);
            let q = pick(&golden["aggregates"][format!("ratio:{}", method.name())]);
            let tag = format!("{name} {s:?} {}", method.name());
            close(
                &format!("{tag} count diff"),
                metrics::difference(&count_vals, count_overall, method),
                &d["count"],
            );
            close(
                &format!("{tag} count ratio"),
                metrics::ratio(&count_vals, count_overall, method),
                &q["count"],
            );
            for (rn, r) in RATES {
                let (v, o) = metrics::by_group(&cells, s.as_deref(), r, EdgeMode::FairlearnCompat);
                close(&format!("{tag} overall {rn}"), o, &overall[rn]);
                close(&format!("{tag} diff {rn}"), metrics::difference(&v, o, method), &d[rn]);
                close(&format!("{tag} ratio {rn}"), metrics::ratio(&v, o, method), &q[rn]);
                if !has_control {
                    close(&format!("{tag} min {rn}"), metrics::group_min(&v), &golden["group_min"][rn]);
                    close(&format!("{tag} max {rn}"), metrics::group_max(&v), &golden["group_max"][rn]);
                }
            }
        }
    }
    let scalars = golden["scalars"].as_object().unwrap();
    assert!(has_control || scalars.len() == 16, "{name}: scalars missing");
    for (id, want) in scalars {
        let got = metrics::fairlearn_scalar(&cells, id, EdgeMode::FairlearnCompat)
            .unwrap_or_else(|| panic!("{name}: unknown definition id {id}"));
        close(&format!("{name} {id}"), got, want);
    }
    assert_eq!(golden["anchor"]["library"], "fairlearn");
}

#[test]
fn synthetic_unweighted() {
    check("synthetic_01");
}

#[test]
fn synthetic_weighted() {
    check("synthetic_01_weighted");
}

#[test]
fn synthetic_control() {
    check("synthetic_01_control");
}

#[test]
fn synthetic_control_weighted() {
    check("synthetic_01_control_weighted");
}

#[test]
fn labels_minus_one_plus_one() {
    check("synthetic_pm1");
}

#[test]
fn string_labels() {
    check("synthetic_strings");
}

#[test]
fn german_credit() {
    check("german_credit");
}
