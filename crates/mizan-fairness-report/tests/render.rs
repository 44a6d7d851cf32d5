//! Rendering tests: hostile column and group names are escaped, the HTML page is balanced and
//! self-contained with charts, an Urdu section and the verdict table, empty and missing
//! groups stay visible, and the JSON carries what is needed to reproduce the numbers.

use mizan_fairness::report::{self, Config, Report};
use mizan_fairness::{Cells, Column, Input, bootstrap, preset};
use mizan_fairness_report::{Document, FORMAT, Source, html, json, text};

const EVIL_COL: &str = "<script>alert(1)</script>";
const EVIL_GROUP: &str = "\"><img src=x onerror=alert(2)>";

/// Three groups of 60 with different selection rates, one group with a hostile name, a
/// missing value and (with the second feature) empty intersections.
fn report(preset: Option<&str>) -> Report {
    let (mut label, mut pred, mut g, mut h) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (name, sel) in [("a", 40), ("b", 20), (EVIL_GROUP, 30), ("", 35)] {
        for i in 0..60 {
            label.push(i % 3 != 0);
            pred.push(i < sel);
            g.push(name);
            h.push(if name == "a" && i < 10 { "y" } else { "x" });
        }
    }
    let sensitive = [
        Column::from_values(EVIL_COL, g.iter().map(|s| Some(*s))),
        Column::from_values("region", h.iter().map(|s| Some(*s))),
    ];
    let cells = Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .expect("aligned columns");
    report::build(
        &cells,
        &Config {
            preset: preset.and_then(preset::find),
            bootstrap: bootstrap::Config { replicates: 50, seed: 9, level: 0.95 },
            ..Config::default()
        },
    )
}

fn doc(r: &Report) -> Document<'_> {
    let source = Source {
        input: "decisions <2026>.csv".to_owned(),
        sha256: "ab".repeat(32),
        rows: r.rows,
        label: "outcome&truth".to_owned(),
        prediction: "decision".to_owned(),
        pos_label: "1".to_owned(),
        weight: None,
    };
    Document::new(r, source, "0.1.0", "mizan audit fairness --input 'decisions <2026>.csv'")
}

/// Checks that every non-void element is closed in order, and returns the tag names seen.
fn balanced(html: &str) -> Vec<String> {
    const VOID: [&str; 3] = ["meta", "br", "!doctype"];
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("every tag ends") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().unwrap_or_else(|| panic!("closing </{name}> with nothing open"));
            assert_eq!(open, name, "</{name}> closes <{open}>");
            continue;
        }
        let name = tag.split_whitespace().next().expect("tag name").to_ascii_lowercase();
        seen.push(name.clone());
        if !tag.ends_with('/') && !VOID.contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    seen
}

#[test]
fn html_is_self_contained_balanced_and_escaped() {
    let r = report(Some("us-four-fifths"));
    let page = html(&doc(&r));
    let tags = balanced(&page);
    assert!(tags.iter().any(|t| t == "svg"), "has a chart");
    assert!(!tags.iter().any(|t| t == "script" || t == "img" || t == "link" || t == "iframe"), "{tags:?}");
    assert!(!page.contains("http://") && !page.contains("https://"), "no external reference");
    assert!(
        !page.contains(" src=\"") && !page.contains(" href=\"") && !page.contains("url(http"),
        "nothing fetched"
    );
    // Hostile strings appear only escaped.
    assert!(!page.contains(EVIL_COL) && !page.contains(EVIL_GROUP));
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(2)&gt;"));
    assert!(page.contains("decisions &lt;2026&gt;.csv") && page.contains("outcome&amp;truth"));
    // Urdu summary, verdict table, visible missing and empty groups.
    assert!(page.contains("<section id=\"summary-ur\" lang=\"ur\" dir=\"rtl\">"));
    assert!(page.contains("اس جائزے میں"));
    assert!(page.contains("<table class=\"verdicts\">"));
    assert!(page.contains("(missing) × x"));
    assert!(page.contains(">no rows<"), "empty intersection drawn");
    assert!(page.contains("empty intersection: no rows"));
}

#[test]
fn html_without_preset_says_nothing_is_judged() {
    let r = report(None);
    let page = html(&doc(&r));
    balanced(&page);
    assert!(page.contains("No preset was chosen"));
    assert!(!page.contains("<table class=\"verdicts\">"));
}

#[test]
fn text_reads_as_a_summary() {
    let r = report(Some("us-four-fifths"));
    let t = text(&doc(&r));
    for needle in [
        "Mizan fairness audit",
        "sha-256     abab",
        "bootstrap B = 50, seed 9",
        "Summary\n-------\nThis audit examined 240 decisions",
        "Groups (95% Wilson intervals)",
        "mizan:impact_ratio:min",
        "Verdicts (preset `us-four-fifths`)",
        "FAIL",
        "Reproduce\n---------\nmizan audit fairness --input 'decisions <2026>.csv'\n",
    ] {
        assert!(t.contains(needle), "missing {needle:?} in\n{t}");
    }
}

#[test]
fn json_carries_what_reproduces_the_numbers() {
    let r = report(Some("us-four-fifths"));
    let v: serde_json::Value =
        serde_json::from_str(&json(&doc(&r)).expect("serializes")).expect("valid JSON");
    assert_eq!(v["format"], FORMAT);
    assert_eq!(v["mizan_version"], "0.1.0");
    assert_eq!(v["source"]["sha256"], "ab".repeat(32));
    assert_eq!(v["report"]["bootstrap"]["seed"], 9);
    assert_eq!(v["report"]["bootstrap"]["replicates"], 50);
    assert_eq!(v["report"]["correction"], "holm");
    assert_eq!(v["report"]["groups"][0]["counts"]["n"].as_array().map(Vec::len), Some(4));
    assert_eq!(v["report"]["verdicts"][0]["metric"], "mizan:impact_ratio:min");
    assert_eq!(v["report"]["sensitive"][0], EVIL_COL, "JSON keeps the real name");
    // Undefined numbers are null with a reason, never a bare NaN token.
    let empty = v["report"]["groups"]
        .as_array()
        .and_then(|g| g.iter().find(|g| g["rows"] == 0))
        .expect("an empty intersection");
    assert!(empty["rates"][0]["value"].is_null());
    assert_eq!(empty["rates"][0]["reason"], "empty intersection: no rows");
}

#[test]
fn decisions_without_labels_say_what_was_not_computed() {
    let (mut pred, mut g) = (Vec::new(), Vec::new());
    for (name, sel) in [("a", 40), ("b", 20)] {
        for i in 0..60 {
            pred.push(i < sel);
            g.push(name);
        }
    }
    let sensitive = [Column::from_values("gender", g.iter().map(|s| Some(*s)))];
    let cells = Cells::count(&Input {
        label: &pred,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .expect("aligned columns");
    let r = report::build(
        &cells,
        &Config {
            preset: preset::find("pk-national"),
            bootstrap: bootstrap::Config { replicates: 20, seed: 1, level: 0.95 },
            ground_truth: report::GroundTruth::Absent,
            ..Config::default()
        },
    );
    let mut d = doc(&r);
    d.source.label = String::new();
    let page = html(&d);
    balanced(&page);
    assert!(page.contains("no true outcome (label)"), "the outcome row says so");
    assert!(page.contains("id=\"unavailable\"") && page.contains("equalized odds difference"));
    assert!(!page.contains("True positive rate (favourable"), "no chart of a rate that needs labels");
    assert!(page.contains("Favourable / unfavourable"));
    assert!(page.contains("اصل نتیجہ درج نہیں"), "the Urdu summary says so too");
    let t = text(&d);
    assert!(t.contains("label       none (decisions only)") && t.contains("Not computed"), "{t}");
    let v: serde_json::Value = serde_json::from_str(&json(&d).expect("json")).expect("valid JSON");
    assert_eq!(v["report"]["labelled"], false);
    assert!(v["report"]["unavailable"].as_array().is_some_and(|u| !u.is_empty()));
    // A labelled report says it is, and lists nothing as unavailable.
    let labelled = report(None);
    let v: serde_json::Value = serde_json::from_str(&json(&doc(&labelled)).expect("json")).expect("json");
    assert_eq!(v["report"]["labelled"], true);
    assert!(v["report"].get("unavailable").is_none());
}
