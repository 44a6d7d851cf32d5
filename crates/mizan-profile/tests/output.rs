//! The published outputs: the profile against its JSON Schema, the SVG charts, the
//! reference populations and the comparison, and the observers' view of the values.

use std::fs::File;

use mizan_profile::bias::compare;
use mizan_profile::{
    Format, Options, Profile, ValueObserver, no_observers, profile_csv, profile_file, references, svg,
};
use serde_json::Value;

const SCHEMA: &str = include_str!("../schemas/mizan.dataset-profile-1.schema.json");

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn people(format: Format, file: &str) -> Profile {
    let options =
        Options { sensitive: vec!["province".to_owned(), "gender".to_owned()], ..Options::default() };
    let f = File::open(data(file)).unwrap_or_else(|e| panic!("{e}"));
    profile_file(format, f, &options, &mut no_observers).unwrap_or_else(|e| panic!("{e}")).profile
}

#[test]
fn profiles_validate_against_the_schema_and_round_trip() {
    let schema: Value = serde_json::from_str(SCHEMA).unwrap_or_else(|e| panic!("{e}"));
    let v = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .build(&schema)
        .unwrap_or_else(|e| panic!("the schema does not compile: {e}"));
    let empty = profile_csv(&b"a,b\n"[..], &Options::default(), &mut no_observers)
        .unwrap_or_else(|e| panic!("{e}"))
        .profile;
    for p in [
        people(Format::Csv, "people.csv"),
        people(Format::Parquet, "people.parquet"),
        people(Format::JsonLines, "people.jsonl"),
        empty,
    ] {
        let json = serde_json::to_value(&p).unwrap_or_else(|e| panic!("{e}"));
        let errors: Vec<String> =
            v.iter_errors(&json).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{errors:?}");
        let back: Profile = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(back, p);
    }
}

#[test]
fn svg_charts_are_small_accessible_and_escaped() {
    let p = people(Format::Csv, "people.csv");
    let income = p.columns.iter().find(|c| c.name == "income").unwrap_or_else(|| panic!("income"));
    let h = svg::histogram(income);
    assert!(h.starts_with("<svg") && h.contains("role=\"img\"") && h.contains("<title>Histogram of income"));
    assert!(h.contains("viewBox=\"0 0 360 ") && !h.contains("<script"));
    assert_eq!(h.matches("<rect").count(), 20);
    let text = p.columns.iter().find(|c| c.name == "district").unwrap_or_else(|| panic!("district"));
    assert!(svg::histogram(text).contains("no histogram"));
    let bias = p.bias.as_ref().unwrap_or_else(|| panic!("bias"));
    let mut province = bias.columns[0].clone();
    let b = svg::bars(&province);
    assert!(b.contains("Punjab (452)") && b.contains("small"), "{b}");
    province.groups[0].value = "<script>&\"".to_owned();
    let b = svg::bars(&province);
    assert!(!b.contains("<script>") && b.contains("&lt;script&gt;&amp;&quot;"));
}

#[test]
fn census_references_parse_and_compare() {
    let refs = references();
    assert_eq!(refs.len(), 2);
    let prov = &refs[0];
    assert_eq!(prov.id, "pk-census-2023-province");
    assert_eq!(prov.groups.iter().map(|g| g.count).sum::<u64>(), 241_499_431);
    assert_eq!(prov.citation.url, "https://www.pbs.gov.pk/digital-census/detailed-results");
    let sex = &refs[1];
    let male = sex.group("male").unwrap_or_else(|| panic!("male"));
    assert!((sex.share(male) - 0.5148).abs() < 0.0005);
    let p = people(Format::Csv, "people.csv");
    let bias = p.bias.as_ref().unwrap_or_else(|| panic!("bias"));
    let c = compare(&bias.columns[0], prov);
    let punjab = &c.rows[0];
    assert_eq!((punjab.group.as_str(), punjab.observed_count), ("Punjab", 452));
    let expected = 127_688_922.0 / 241_499_431.0;
    assert!((punjab.reference_share.unwrap_or(0.0) - expected).abs() < 1e-12);
    assert!((punjab.difference.unwrap_or(0.0) - (punjab.observed_share - expected)).abs() < 1e-12);
    // Gilgit-Baltistan was not enumerated: in the data, not in the reference.
    let gb = c.rows.iter().find(|r| r.group == "Gilgit-Baltistan").unwrap_or_else(|| panic!("GB"));
    assert_eq!((gb.observed_count, gb.reference_share), (5, None));
    let chart = svg::comparison(&c);
    assert!(chart.contains("Pakistan Bureau of Statistics") && chart.contains("reference"));
}

/// Counts what it sees.
#[derive(Default)]
struct Count {
    values: u64,
    chars: u64,
}

impl ValueObserver for Count {
    fn observe(&mut self, value: &str) {
        self.values += 1;
        self.chars += value.chars().count() as u64;
    }
}

#[test]
fn observers_see_every_non_null_value() {
    for (format, file) in [
        (Format::Csv, "people.csv"),
        (Format::JsonLines, "people.jsonl"),
        (Format::Parquet, "people.parquet"),
    ] {
        let f = File::open(data(file)).unwrap_or_else(|e| panic!("{e}"));
        let mut factory = |name: &str| matches!(name, "district" | "age" | "cnic").then(Count::default);
        let out =
            profile_file(format, f, &Options::default(), &mut factory).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(out.observers.len(), 3, "{file}");
        for (name, o) in &out.observers {
            let c = out.profile.columns.iter().find(|c| c.name == *name).unwrap_or_else(|| panic!("{name}"));
            assert_eq!(o.values, out.profile.rows - c.nulls, "{file} {name}");
        }
    }
}
