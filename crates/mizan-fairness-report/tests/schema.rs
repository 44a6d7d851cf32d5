//! The published schema of `mizan.fairness.audit/1` against what the engine writes: it is a
//! valid draft 2020-12 schema in the house style, the JSON of every kind of report validates
//! (labelled or not, with a control feature and weights, presets, a privileged group or not,
//! the bootstrap on or off, undefined numbers), broken documents are refused, and every
//! definition ID the engine knows is documented, so a new metric cannot ship undocumented.

use std::collections::BTreeSet;

use mizan_fairness::metrics::{EdgeMode, Rate};
use mizan_fairness::report::{self, Config, GroundTruth, Report};
use mizan_fairness::{Cells, Column, Correction, Input, bootstrap, compare, preset};
use mizan_fairness_report::{Document, FORMAT, SCHEMA, SCHEMA_NAME, Source, json};
use serde_json::{Value, json};

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("the schema is JSON")
}

/// The validator of the published schema, formats checked too. No resolver reaches out: the
/// crate is built without its HTTP and file retrievers.
fn validator() -> jsonschema::Validator {
    jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&schema())
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"))
}

fn errors(v: &jsonschema::Validator, instance: &Value) -> Vec<String> {
    v.iter_errors(instance).map(|e| format!("{e} at {}", e.instance_path())).collect()
}

/// What to put in the synthetic cells.
#[derive(Clone, Copy, Default)]
struct Shape {
    /// A second sensitive feature (`region`), whose values leave some intersections empty.
    region: bool,
    /// A control feature (`site`).
    control: bool,
    /// Sample weights.
    weighted: bool,
    /// A small group (`tiny`, 4 rows) that is too small to judge and to test.
    tiny: bool,
}

/// Four groups of 60 rows (one with a missing value) with different selection rates; group
/// `b` has no favourable decision, so ratios over it are undefined.
fn cells(shape: Shape) -> Cells {
    let (mut label, mut pred, mut g, mut h, mut site, mut weight) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut groups = vec![("a", 60, 40), ("b", 60, 0), ("c", 60, 30), ("", 60, 35)];
    if shape.tiny {
        groups.push(("tiny", 4, 2));
    }
    for (name, rows, sel) in groups {
        for i in 0..rows {
            label.push(i % 3 != 0);
            pred.push(i < sel);
            g.push(name);
            h.push(if name == "a" && i < 10 { "y" } else { "x" });
            site.push(if i % 2 == 0 { "north" } else { "south" });
            weight.push(0.5 + f64::from(i % 4) * 0.25);
        }
    }
    let mut sensitive = vec![Column::from_values("gender", g.iter().map(|s| Some(*s)))];
    if shape.region {
        sensitive.push(Column::from_values("region", h.iter().map(|s| Some(*s))));
    }
    let control = Column::from_values("site", site.iter().map(|s| Some(*s)));
    Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: shape.control.then_some(&control),
        weight: shape.weighted.then_some(&weight[..]),
    })
    .expect("aligned columns")
}

/// Cells of decisions alone: the label is the decision.
fn unlabelled(shape: Shape) -> Cells {
    let (mut pred, mut g) = (Vec::new(), Vec::new());
    for (name, sel) in [("a", 40), ("b", 20), ("c", 25)] {
        for i in 0..60 {
            pred.push(i < sel);
            g.push(name);
        }
    }
    let site: Vec<&str> = (0..pred.len()).map(|i| if i % 2 == 0 { "north" } else { "south" }).collect();
    let sensitive = [Column::from_values("gender", g.iter().map(|s| Some(*s)))];
    let control = Column::from_values("site", site.iter().map(|s| Some(*s)));
    Cells::count(&Input {
        label: &pred,
        prediction: &pred,
        sensitive: &sensitive,
        control: shape.control.then_some(&control),
        weight: None,
    })
    .expect("aligned columns")
}

fn boot(replicates: u32) -> bootstrap::Config {
    bootstrap::Config { replicates, seed: 7, level: 0.95 }
}

fn values(group: &[&str]) -> Option<Vec<String>> {
    Some(group.iter().map(|s| (*s).to_owned()).collect())
}

fn document(r: &Report, weight: Option<&str>) -> Value {
    let source = Source {
        input: "decisions.csv".to_owned(),
        sha256: "0123456789abcdef".repeat(4),
        rows: r.rows,
        label: if r.labelled { "outcome".to_owned() } else { String::new() },
        prediction: "decision".to_owned(),
        pos_label: "1".to_owned(),
        weight: weight.map(str::to_owned),
    };
    let doc = Document::new(r, source, "0.1.0", "mizan audit fairness --input decisions.csv");
    serde_json::from_str(&json(&doc).expect("serializes")).expect("valid JSON")
}

/// Every kind of report the engine builds, as JSON documents, with what each is for.
fn documents() -> Vec<(&'static str, Value)> {
    let two = Shape { region: true, ..Shape::default() };
    let all = Shape { region: true, control: true, weighted: true, tiny: true };
    let cases: Vec<(&str, Cells, Config, Option<&str>)> = vec![
        (
            "labelled, preset, bootstrap, no privileged group",
            cells(two),
            Config { preset: preset::find("pk-national"), bootstrap: boot(20), ..Config::default() },
            None,
        ),
        (
            "labelled, control, weights, privileged group, aif360 preset",
            cells(all),
            Config {
                preset: preset::find("aif360-disparate-impact"),
                privileged: values(&["a", "x"]),
                bootstrap: boot(20),
                ..Config::default()
            },
            Some("w"),
        ),
        (
            "labelled, a privileged group with no favourable decision, bootstrap off",
            cells(Shape::default()),
            Config {
                preset: preset::find("aif360-disparate-impact"),
                privileged: values(&["b"]),
                bootstrap: boot(0),
                ..Config::default()
            },
            None,
        ),
        (
            "fairlearn-compat, a reference group, BH, no preset, bootstrap off",
            cells(Shape { tiny: true, ..two }),
            Config {
                mode: EdgeMode::FairlearnCompat,
                reference: values(&["c", "x"]),
                correction: Correction::BenjaminiHochberg,
                bootstrap: boot(0),
                ..Config::default()
            },
            None,
        ),
        (
            "unlabelled, control, privileged group, aif360 preset, bootstrap",
            unlabelled(Shape { control: true, ..Shape::default() }),
            Config {
                ground_truth: GroundTruth::Absent,
                preset: preset::find("aif360-disparate-impact"),
                privileged: values(&["a"]),
                bootstrap: boot(10),
                ..Config::default()
            },
            None,
        ),
        (
            "unlabelled, no privileged group, label-dependent preset, bootstrap off",
            unlabelled(Shape::default()),
            Config {
                ground_truth: GroundTruth::Absent,
                preset: preset::find("pk-national"),
                bootstrap: boot(0),
                ..Config::default()
            },
            None,
        ),
    ];
    cases.into_iter().map(|(what, c, cfg, w)| (what, document(&report::build(&c, &cfg), w))).collect()
}

#[test]
fn the_schema_is_valid_and_names_its_format() {
    let s = schema();
    jsonschema::meta::validate(&s).unwrap_or_else(|e| panic!("not a valid schema: {e}"));
    assert_eq!(s["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert_eq!(s["$id"], format!("https://mizan.gov.pk/api/v1/schemas/{SCHEMA_NAME}.json"));
    assert_eq!(s["title"], FORMAT);
    assert_eq!(SCHEMA_NAME, FORMAT.replace('/', "-"));
    assert_eq!(s["properties"]["format"]["const"], FORMAT);
    validator();
}

/// Every property says what it means, and every object the report writes is closed.
#[test]
fn every_property_is_described_and_every_object_closed() {
    fn walk(at: &str, v: &Value, found: &mut Vec<String>) {
        match v {
            Value::Object(o) => {
                if let Some(Value::Object(props)) = o.get("properties") {
                    let closed = o.get("additionalProperties") == Some(&Value::Bool(false));
                    let is_object = o.get("type") == Some(&json!("object"));
                    if is_object && !closed {
                        found.push(format!("{at}: an object without additionalProperties: false"));
                    }
                    for (name, p) in props {
                        if p["description"].as_str().is_none_or(|d| d.trim().is_empty()) {
                            found.push(format!("{at}/properties/{name}: no description"));
                        }
                    }
                }
                // An `if` names properties to test them, not to document them.
                for (k, x) in o.iter().filter(|(k, _)| *k != "if") {
                    walk(&format!("{at}/{k}"), x, found);
                }
            }
            Value::Array(a) => {
                for (i, x) in a.iter().enumerate() {
                    walk(&format!("{at}/{i}"), x, found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk("#", &schema(), &mut found);
    assert_eq!(found, Vec::<String>::new());
}

#[test]
fn every_kind_of_report_validates() {
    let v = validator();
    let docs = documents();
    for (what, doc) in &docs {
        assert_eq!(errors(&v, doc), Vec::<String>::new(), "{what}");
    }
    // The cases reach what they are meant to: each optional part both present and absent,
    // undefined numbers as null, and verdicts of each kind of metric.
    let reports: Vec<&Value> = docs.iter().map(|(_, d)| &d["report"]).collect();
    let any = |f: &dyn Fn(&Value) -> bool| reports.iter().any(|r| f(r));
    assert!(any(&|r| r["aif360"].is_object() && r.get("aif360_note").is_none()));
    assert!(any(&|r| r["aif360"].is_null() && r["aif360_note"].is_string()));
    assert!(any(&|r| r["bootstrap"].is_object()) && any(&|r| r["bootstrap"].is_null()));
    assert!(any(&|r| r["labelled"] == false && r["unavailable"].is_array()));
    assert!(any(&|r| r["control"].is_string() && r["weighted"] == true));
    assert!(any(&|r| r["mode"] == "fairlearn-compat" && r["correction"] == "bh"));
    assert!(any(&|r| r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["impact_ratio_vs_reference"].is_number())));
    assert!(any(&|r| r["groups"].as_array().unwrap().iter().any(|g| g["impact_ratio_vs_highest"].is_null())));
    assert!(any(&|r| r["groups"].as_array().unwrap().iter().any(|g| g["rates"][0]["value"].is_null())));
    assert!(any(&|r| r["comparisons"].as_array().unwrap().iter().any(|c| c["p_value"].is_null())));
    assert!(any(&|r| r["aif360"]["metrics"]
        .as_array()
        .is_some_and(|m| m.iter().any(|m| m["id"] == "aif360:disparate_impact" && m["value"].is_null()))));
    assert!(any(&|r| r["bootstrap"]["summaries"]
        .as_array()
        .is_some_and(|s| s.iter().any(|s| s["id"].as_str().unwrap().starts_with("aif360:")))));
    for metric in [
        "aif360:disparate_impact",
        "mizan:impact_ratio:min",
        "fairlearn:demographic_parity_difference:between_groups",
    ] {
        assert!(
            any(&|r| r["verdicts"].as_array().unwrap().iter().any(|v| v["metric"] == metric)),
            "{metric}"
        );
    }
}

/// `instance` with the field at `path` set to `value` (`None`: removed).
fn broken(instance: &Value, path: &[&str], value: Option<Value>) -> Value {
    let mut x = instance.clone();
    let (last, parents) = path.split_last().expect("a path");
    let mut at = &mut x;
    for p in parents {
        at = if let Ok(i) = p.parse::<usize>() { &mut at[i] } else { &mut at[*p] };
    }
    let obj = at.as_object_mut().unwrap_or_else(|| panic!("no object at {path:?}"));
    match value {
        Some(v) => obj.insert((*last).to_owned(), v),
        None => obj.remove(*last),
    };
    x
}

#[test]
fn broken_documents_are_refused() {
    let v = validator();
    let docs = documents();
    let (plain, aif) = (&docs[0].1, &docs[1].1);
    let unlabelled = &docs[4].1;
    let cases: Vec<(Value, &str)> = vec![
        (broken(plain, &["extra"], Some(json!(1))), "an unknown top-level key"),
        (broken(plain, &["format"], Some(json!("mizan.fairness.audit/2"))), "another format"),
        (broken(plain, &["source"], None), "no source"),
        (broken(plain, &["source", "sha256"], Some(json!("ABC"))), "a hash that is not hex SHA-256"),
        (broken(plain, &["report", "scalars"], None), "no scalars"),
        (broken(plain, &["report", "mode"], Some(json!("lenient"))), "an unknown mode"),
        (
            broken(plain, &["report", "groups", "0", "colour"], Some(json!("red"))),
            "an unknown key in a group",
        ),
        (broken(plain, &["report", "groups", "0", "counts", "n"], Some(json!([1, 2, 3]))), "three counts"),
        (
            broken(plain, &["report", "groups", "0", "rates", "0", "id"], Some(json!("fairlearn:recall"))),
            "an unknown rate",
        ),
        (
            broken(plain, &["report", "groups", "0", "rates", "0", "value"], Some(json!("NaN"))),
            "NaN as a string",
        ),
        (
            broken(plain, &["report", "scalars", "0", "id"], Some(json!("aif360:disparate_impact"))),
            "an AIF360 ID among fairlearn's",
        ),
        (broken(plain, &["report", "verdicts", "0", "outcome"], Some(json!("maybe"))), "an unknown outcome"),
        (
            broken(
                plain,
                &["report", "unavailable"],
                Some(json!([{"id": "fairlearn:true_positive_rate", "reason": "x"}])),
            ),
            "unavailable in a labelled report",
        ),
        (broken(plain, &["report", "aif360_note"], None), "no aif360 and no note"),
        (
            broken(aif, &["report", "aif360", "metrics", "0", "id"], Some(json!("aif360:consistency_score"))),
            "an unknown AIF360 ID",
        ),
        (
            broken(
                aif,
                &["report", "aif360", "metrics", "0", "id"],
                Some(json!("fairlearn:demographic_parity_difference:between_groups")),
            ),
            "a fairlearn ID among AIF360's",
        ),
        (broken(aif, &["report", "aif360_note"], Some(json!(report::NO_PRIVILEGED))), "a note beside aif360"),
        (
            broken(
                aif,
                &["report", "bootstrap", "summaries", "0", "id"],
                Some(json!("mizan:impact_ratio:max")),
            ),
            "an unknown summary",
        ),
        (broken(unlabelled, &["report", "unavailable"], None), "an unlabelled report without unavailable"),
        (
            broken(unlabelled, &["report", "unavailable", "0", "id"], Some(json!("fairlearn:recall"))),
            "an unknown unavailable ID",
        ),
    ];
    for (doc, what) in cases {
        assert!(!v.is_valid(&doc), "accepted {what}");
    }
}

/// The `const`s of `$defs/<def>`'s `oneOf`, each with its description.
fn documented(s: &Value, def: &str) -> Vec<(String, String)> {
    s["$defs"][def]["oneOf"]
        .as_array()
        .unwrap_or_else(|| panic!("no $defs/{def} with a oneOf"))
        .iter()
        .map(|e| {
            let id =
                e["const"].as_str().unwrap_or_else(|| panic!("$defs/{def}: an entry without a const: {e}"));
            (id.to_owned(), e["description"].as_str().unwrap_or_default().to_owned())
        })
        .collect()
}

/// Every definition ID the engine computes is documented as a `const` with a description, and
/// nothing is documented that the engine does not compute: adding a metric means documenting it.
#[test]
fn every_definition_id_is_documented() {
    let s = schema();
    let rates: Vec<String> = Rate::ALL.iter().map(|r| r.definition().to_owned()).collect();
    let compared: Vec<String> =
        compare::COMPARED.iter().map(|r| format!("mizan:group_vs_rest:{}", r.name())).collect();
    let lists: [(&str, Vec<String>); 5] = [
        ("rate_id", rates),
        ("fairlearn_scalar_id", report::fairlearn_ids()),
        ("impact_ratio_id", vec![bootstrap::IMPACT_RATIO_MIN.to_owned()]),
        ("comparison_id", compared),
        ("aif360_id", report::AIF360_IDS.iter().map(|s| (*s).to_owned()).collect()),
    ];
    for (def, engine) in &lists {
        let docs = documented(&s, def);
        for (id, description) in &docs {
            assert!(description.trim().len() > 20, "$defs/{def}: `{id}` is not described");
        }
        let documented: BTreeSet<&str> = docs.iter().map(|(id, _)| id.as_str()).collect();
        let engine: BTreeSet<&str> = engine.iter().map(String::as_str).collect();
        assert_eq!(docs.len(), documented.len(), "$defs/{def} documents an ID twice");
        let missing: Vec<_> = engine.difference(&documented).collect();
        let stale: Vec<_> = documented.difference(&engine).collect();
        assert!(missing.is_empty(), "$defs/{def} does not document {missing:?}");
        assert!(stale.is_empty(), "$defs/{def} documents {stale:?}, which the engine does not compute");
    }
    // The short names of rates, and what presets judge: IDs a verdict's `metric` accepts.
    let names: Vec<&str> = Rate::ALL.iter().map(|r| r.name()).collect();
    assert_eq!(s["$defs"]["rate_name"]["enum"], json!(names));
    let judged: BTreeSet<String> = ["fairlearn_scalar_id", "impact_ratio_id", "aif360_id"]
        .iter()
        .flat_map(|def| documented(&s, def))
        .map(|(id, _)| id)
        .collect();
    for p in preset::builtin() {
        for rule in &p.rules {
            assert!(
                judged.contains(rule.metric),
                "preset `{}` judges `{}`, not a summary ID",
                p.name,
                rule.metric
            );
        }
    }
}
