//! `mizan audit fairness` as a user runs it: the German credit audit matches the committed
//! fairlearn 0.15 golden numbers, the HTML report is one balanced, self-contained page, the
//! bootstrap is reproducible by seed, and every bad input fails with a message that says where.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

fn fairlearn_data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../mizan-fairness/tests/data/fairlearn")
}

fn german() -> PathBuf {
    fairlearn_data().join("german_credit_scored.csv")
}

fn mizan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mizan")).args(args).output().expect("run mizan")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn ok(o: Output) -> String {
    assert!(o.status.success(), "mizan failed: {}", stderr(&o));
    stdout(&o)
}

/// Runs an audit of the German credit data with `extra` arguments.
fn audit_german(extra: &[&str]) -> Output {
    let input = german();
    let mut args = vec![
        "audit",
        "fairness",
        "--input",
        input.to_str().expect("utf-8 path"),
        "--label",
        "risk",
        "--prediction",
        "prediction",
        "--sensitive",
        "sex,age_band",
    ];
    args.extend_from_slice(extra);
    mizan(&args)
}

fn close(what: &str, got: &Value, want: &Value) {
    match (got.as_f64(), want.as_f64()) {
        (Some(g), Some(w)) => assert!((g - w).abs() <= 1e-12 * w.abs().max(1.0), "{what}: want {w}, got {g}"),
        _ => assert_eq!(got, want, "{what}"),
    }
}

#[test]
fn german_credit_json_matches_the_fairlearn_golden() {
    let report: Value =
        serde_json::from_str(&ok(audit_german(&["--format", "json", "--preset", "pk-national"])))
            .expect("JSON");
    let golden: Value = serde_json::from_str(
        &std::fs::read_to_string(fairlearn_data().join("german_credit.json")).expect("golden file"),
    )
    .expect("golden JSON");
    assert_eq!(golden["anchor"]["library"], "fairlearn");
    let r = &report["report"];
    // Every golden group is reported with the same count and the same rates.
    let groups = r["groups"].as_array().expect("groups");
    let want_groups = golden["by_group"].as_array().expect("golden groups");
    assert_eq!(groups.len(), want_groups.len());
    for want in want_groups {
        let got = groups.iter().find(|g| g["group"] == want["group"]).expect("golden group reported");
        let tag = want["group"].to_string();
        close(&format!("{tag} count"), &got["rows"], &want["metrics"]["count"]);
        for rate in got["rates"].as_array().expect("rates") {
            let name = rate["metric"].as_str().expect("metric name");
            if name == "base_rate" {
                continue; // not in fairlearn's MetricFrame
            }
            close(&format!("{tag} {name}"), &rate["value"], &want["metrics"][name]);
        }
    }
    // Every golden scalar (definition ID) has the same value.
    let scalars = r["scalars"].as_array().expect("scalars");
    let want_scalars = golden["scalars"].as_object().expect("golden scalars");
    assert_eq!(scalars.len(), want_scalars.len());
    for (id, want) in want_scalars {
        let got = scalars.iter().find(|s| s["id"] == id.as_str()).expect("golden scalar reported");
        close(id, &got["value"], want);
    }
    // Enough to reproduce: input hash, seed, B, version, format, the command.
    assert_eq!(report["format"], "mizan.fairness.audit/1");
    assert_eq!(report["mizan_version"], env!("CARGO_PKG_VERSION"));
    let sha = report["source"]["sha256"].as_str().expect("sha256");
    assert!(sha.len() == 64 && sha.bytes().all(|b| b.is_ascii_hexdigit()), "{sha}");
    assert_eq!(report["source"]["rows"], 1000);
    assert_eq!(r["bootstrap"]["replicates"], 1000);
    assert_eq!(r["bootstrap"]["seed"], 0);
    assert_eq!(r["correction"], "holm");
    assert!(report["reproduce"].as_str().expect("command").contains("--seed 0"));
    // Preset verdicts with outcomes and reasons.
    let verdicts = r["verdicts"].as_array().expect("verdicts");
    assert_eq!(verdicts.len(), 3);
    assert!(verdicts.iter().all(|v| v["outcome"].is_string() && v["reason"].is_string()));
}

/// Checks that every non-void element is closed in order; returns the tag names seen.
fn balanced(html: &str) -> Vec<String> {
    let mut stack: Vec<String> = Vec::new();
    let mut seen = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').expect("every tag ends") + start;
        let tag = &rest[start + 1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop().as_deref(), Some(name), "</{name}> out of order");
            continue;
        }
        let name = tag.split_whitespace().next().expect("tag name").to_ascii_lowercase();
        seen.push(name.clone());
        if !tag.ends_with('/') && !["meta", "br", "!doctype"].contains(&name.as_str()) {
            stack.push(name);
        }
    }
    assert!(stack.is_empty(), "unclosed: {stack:?}");
    seen
}

#[test]
fn german_credit_html_is_one_self_contained_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("audit.html");
    ok(audit_german(&["--preset", "us-four-fifths", "--output", out.to_str().expect("utf-8")]));
    let page = std::fs::read_to_string(&out).expect("report written");
    let tags = balanced(&page);
    assert!(page.starts_with("<!doctype html>"));
    assert!(page.contains("<table class=\"verdicts\">"), "verdict table");
    assert!(tags.iter().filter(|t| *t == "svg").count() >= 3, "charts");
    assert!(page.contains("<section id=\"summary-ur\" lang=\"ur\" dir=\"rtl\">"), "Urdu section");
    assert!(!page.contains("http://") && !page.contains("https://"), "no external reference");
    assert!(!tags.iter().any(|t| ["script", "link", "img", "iframe", "object"].contains(&t.as_str())));
    assert!(page.contains("female × 18-25"));
}

#[test]
fn text_goes_to_stdout_by_default() {
    let out = ok(audit_german(&["--bootstrap", "100"]));
    assert!(out.starts_with("Mizan fairness audit"), "{out}");
    assert!(out.contains("bootstrap B = 100, seed 0"));
    assert!(out.contains("female × 41+"));
}

#[test]
fn timings_go_to_stderr_and_change_no_number() {
    let plain = audit_german(&["--format", "json", "--bootstrap", "50"]);
    let timed = audit_german(&["--format", "json", "--bootstrap", "50", "--timings"]);
    assert_eq!(ok(timed.clone()), ok(plain.clone()), "the report is the same with --timings");
    let log = stderr(&timed);
    assert!(log.contains("timings") && log.contains("count_pass_s") && log.contains("rows_per_s"), "{log}");
    assert!(log.contains("1000"), "rows counted: {log}");
    // stderr is not a terminal here, so no progress bar is drawn.
    assert!(!stderr(&plain).contains('\r') && !log.contains('\r'), "{log}");
}

#[test]
fn same_seed_same_report_other_seed_other_intervals() {
    let run = |seed: &str| ok(audit_german(&["--format", "json", "--bootstrap", "200", "--seed", seed]));
    let (a, b, c) = (run("42"), run("42"), run("43"));
    assert_eq!(a, b, "byte-identical with the same seed");
    let boot = |s: &str| serde_json::from_str::<Value>(s).expect("JSON")["report"]["bootstrap"].clone();
    assert_eq!(boot(&a)["seed"], 42);
    assert_ne!(boot(&a)["summaries"], boot(&c)["summaries"]);
}

#[test]
fn correction_and_bootstrap_flags_reach_the_report() {
    let v: Value = serde_json::from_str(&ok(audit_german(&[
        "--format",
        "json",
        "--correction",
        "bh",
        "--bootstrap",
        "0",
    ])))
    .expect("JSON");
    assert_eq!(v["report"]["correction"], "bh");
    assert!(v["report"]["bootstrap"].is_null());
    let v: Value = serde_json::from_str(&ok(audit_german(&["--format", "json", "--min-group-size", "100"])))
        .expect("JSON");
    let small: Vec<&Value> = v["report"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .filter(|g| g["insufficient"] == true)
        .collect();
    assert_eq!(small.len(), 2, "female × 41+ (65 rows) and male × 18-25 (85)");
}

/// Writes `contents` to a CSV file and audits it with `--label y --prediction p --sensitive sex`.
fn audit_csv(contents: &str, extra: &[&str]) -> (Output, PathBuf, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("decisions.csv");
    std::fs::write(&path, contents).expect("write csv");
    let mut args = vec![
        "audit",
        "fairness",
        "--input",
        path.to_str().expect("utf-8"),
        "--label",
        "y",
        "--prediction",
        "p",
        "--sensitive",
        "sex",
    ];
    args.extend_from_slice(extra);
    (mizan(&args), path, dir)
}

fn fails_with(o: &Output, needles: &[&str]) {
    assert_eq!(o.status.code(), Some(1), "want exit 1; stderr: {}", stderr(o));
    let e = stderr(o);
    for n in needles {
        assert!(e.contains(n), "stderr lacks {n:?}:\n{e}");
    }
    assert!(o.stdout.is_empty(), "no report on failure");
}

#[test]
fn missing_column_lists_the_columns_present() {
    let (o, ..) = audit_csv("y,p,gender\n1,1,f\n0,0,m\n", &[]);
    fails_with(&o, &["column `sex` not found", "(columns: `y`, `p`, `gender`)", "cannot audit"]);
}

#[test]
fn labels_that_are_not_binary_need_pos_label() {
    let csv = "y,p,sex\ngood,good,f\nbad,good,m\nbad,bad,f\ngood,bad,m\n";
    let (o, ..) = audit_csv(csv, &[]);
    fails_with(&o, &["cannot tell the positive label", "`bad`, `good`", "--pos-label"]);
    let (o, ..) = audit_csv(csv, &["--pos-label", "good", "--format", "json"]);
    let v: Value = serde_json::from_str(&ok(o)).expect("JSON");
    assert_eq!(v["source"]["pos_label"], "good");
    let (o, ..) = audit_csv(csv, &["--pos-label", "approved"]);
    fails_with(&o, &["positive label `approved` does not occur"]);
}

#[test]
fn nan_or_empty_label_or_prediction_names_the_row() {
    let (o, ..) = audit_csv("y,p,sex\n1,1,f\n0,0,m\nNaN,1,f\n", &[]);
    fails_with(&o, &["column `y` is `NaN` at data row 3 (line 4)"]);
    let (o, ..) = audit_csv("y,p,sex\n1,1,f\n0,,m\n", &[]);
    fails_with(&o, &["column `p` is `` at data row 2 (line 3)"]);
}

#[test]
fn empty_files_are_refused() {
    let (o, ..) = audit_csv("", &[]);
    fails_with(&o, &["is empty: it has no data rows"]);
    let (o, ..) = audit_csv("y,p,sex\n", &[]);
    fails_with(&o, &["is empty: it has no data rows"]);
}

#[test]
fn rows_of_mismatched_length_name_the_line() {
    let (o, ..) = audit_csv("y,p,sex\n1,1,f\n0,1\n1,0,m\n", &[]);
    fails_with(&o, &["malformed CSV", "line 3", "as many fields as the header"]);
}

#[test]
fn unknown_preset_and_bad_flags() {
    let (o, ..) = audit_csv("y,p,sex\n1,1,f\n0,0,m\n", &["--preset", "eu"]);
    fails_with(&o, &["unknown preset `eu`", "`us-four-fifths`"]);
    let (o, ..) = audit_csv("y,p,sex\n1,1,f\n0,0,m\n", &["--sensitive", "sex,,region"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    // A clap error (missing required flag) exits with 2.
    let o = mizan(&["audit", "fairness", "--input", "x.csv", "--label", "y", "--prediction", "p"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--sensitive"));
}

#[test]
fn missing_sensitive_values_form_a_visible_group() {
    let rows: String =
        (0..40).map(|i| format!("{},{},{}\n", i % 2, i % 3 % 2, ["f", "m", "", "NA"][i % 4])).collect();
    let (o, ..) = audit_csv(&format!("y,p,sex\n{rows}"), &["--format", "json", "--bootstrap", "10"]);
    let v: Value = serde_json::from_str(&ok(o)).expect("JSON");
    let missing = v["report"]["groups"]
        .as_array()
        .expect("groups")
        .iter()
        .find(|g| g["group"][0] == "(missing)")
        .expect("missing group reported");
    assert_eq!(missing["rows"], 20);
}

#[test]
fn unreadable_parquet_is_refused_clearly() {
    let (o, ..) = audit_csv("PAR1\u{0}\u{0}not really parquet", &[]);
    fails_with(&o, &["as Parquet", "cannot audit"]);
}

#[test]
fn a_missing_file_says_which_and_why() {
    let o = mizan(&[
        "audit",
        "fairness",
        "--input",
        "no-such.csv",
        "--label",
        "y",
        "--prediction",
        "p",
        "--sensitive",
        "s",
    ]);
    fails_with(&o, &["cannot read `no-such.csv`", "caused by: No such file"]);
    assert_eq!(stderr(&o).matches("No such file").count(), 1, "the cause is said once");
}

/// Audits a committed AIF360 golden's data with its privileged group and checks every AIF360
/// number the report carries against AIF360 0.6.1 (1e-12).
fn aif360_golden(case: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("../mizan-fairness/tests/data/aif360/{case}.json"));
    let golden: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("golden")).expect("json");
    let s = |k: &str| golden[k].as_str().expect(k).to_owned();
    let names: Vec<&str> =
        golden["sensitive"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let values: Vec<&str> =
        golden["privileged"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    let privileged: Vec<String> = names.iter().zip(&values).map(|(f, v)| format!("{f}={v}")).collect();
    let input = fairlearn_data().join(s("input"));
    let (label, prediction, pos, sensitive, privileged) =
        (s("label"), s("prediction"), s("pos_label"), names.join(","), privileged.join(","));
    let mut args = vec![
        "audit",
        "fairness",
        "--input",
        input.to_str().unwrap(),
        "--label",
        &label,
        "--prediction",
        &prediction,
        "--pos-label",
        &pos,
        "--sensitive",
        &sensitive,
        "--privileged",
        &privileged,
        "--format",
        "json",
        "--bootstrap",
        "50",
    ];
    let weight = golden["weight"].as_str().map(str::to_owned);
    if let Some(w) = &weight {
        args.extend(["--weight", w.as_str()]);
    }
    let report: Value = serde_json::from_str(&ok(mizan(&args))).expect("report json");
    let aif = &report["report"]["aif360"];
    assert_eq!(aif["privileged"], golden["privileged"], "{case}");
    assert!(report["report"].get("aif360_note").is_none(), "{case}: no note when the group is named");
    let want = golden["metrics"].as_object().unwrap();
    let got = aif["metrics"].as_array().expect("metrics");
    assert_eq!(got.len(), want.len(), "{case}: every AIF360 metric is in the report");
    for m in got {
        let id = m["id"].as_str().unwrap();
        close(&format!("{case} {id}"), &m["value"], &want[id]);
    }
    // Disparate impact and statistical parity get bootstrap intervals like the fairlearn family.
    let summaries = report["report"]["bootstrap"]["summaries"].as_array().expect("bootstrap summaries");
    for id in ["aif360:disparate_impact", "aif360:statistical_parity_difference"] {
        assert!(
            summaries.iter().any(|b| b["id"] == id && b["interval"]["lo"].is_number()),
            "{case}: {id} interval"
        );
    }
    assert!(report["reproduce"].as_str().unwrap().contains(&format!("--privileged {privileged}")));
}

#[test]
fn privileged_group_gives_aif360_golden_numbers() {
    aif360_golden("synthetic_sex");
    aif360_golden("synthetic_intersection");
    aif360_golden("german_credit");
}

#[test]
fn aif360_comparisons_in_the_reports() {
    let text = ok(audit_german(&["--privileged", "sex=male,age_band=26-40", "--bootstrap", "20"]));
    assert!(text.contains("AIF360 comparisons (privileged group: sex = male × age_band = 26-40)"), "{text}");
    assert!(
        text.contains("aif360:disparate_impact") && text.contains("times the rate of the privileged group")
    );
    let none = ok(audit_german(&["--bootstrap", "0"]));
    assert!(none.contains("AIF360's comparisons need a privileged group"), "{none}");
    assert!(none.contains("no privileged group was named"));
    let html = ok(audit_german(&[
        "--privileged",
        "sex=male,age_band=26-40",
        "--bootstrap",
        "20",
        "--format",
        "html",
    ]));
    assert!(
        html.contains("<section id=\"aif360\">")
            && html.contains("disparate impact (unprivileged over privileged")
    );
    // The Urdu summary reads the same disparate impact as the JSON report.
    let json: Value = serde_json::from_str(&ok(audit_german(&[
        "--privileged",
        "sex=male,age_band=26-40",
        "--bootstrap",
        "20",
        "--format",
        "json",
    ])))
    .unwrap();
    let di = json["report"]["aif360"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "aif360:disparate_impact")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    let urdu = html.split("<section id=\"summary-ur\"").nth(1).unwrap().split("</section>").next().unwrap();
    assert!(urdu.contains("متفاوت اثر") && urdu.contains(&format!("\u{2066}{di:.2}\u{2069} گنا")), "{urdu}");
}

#[test]
fn a_privileged_group_that_does_not_fit_is_refused_by_name() {
    let o = audit_german(&["--privileged", "sex=martian,age_band=26-40"]);
    fails_with(&o, &["`--privileged`", "`sex=martian`: no row has `martian` in `sex`", "`female`", "`male`"]);
    let o = audit_german(&["--privileged", "sex=male"]);
    fails_with(&o, &["the privileged group needs a value for `age_band`"]);
    let o = audit_german(&["--privileged", "colour=red,sex=male,age_band=26-40"]);
    fails_with(&o, &["`colour` is not a sensitive feature of this audit"]);
    let o = audit_german(&["--privileged", "sex"]);
    fails_with(&o, &["`sex` is not `feature=value`"]);
    let o = audit_german(&["--privileged", "sex=male,sex=female,age_band=26-40"]);
    fails_with(&o, &["`sex` is given twice"]);
}

#[test]
fn the_aif360_preset_judges_disparate_impact_against_the_declared_group() {
    let json = |extra: &[&str]| -> Value {
        let mut args = vec!["--preset", "aif360-disparate-impact", "--format", "json", "--bootstrap", "0"];
        args.extend_from_slice(extra);
        serde_json::from_str(&ok(audit_german(&args))).unwrap()
    };
    let with = json(&["--privileged", "sex=male,age_band=26-40"]);
    let verdicts = with["report"]["verdicts"].as_array().unwrap();
    let di = verdicts.iter().find(|v| v["metric"] == "aif360:disparate_impact").expect("verdict");
    let value = with["report"]["aif360"]["metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["id"] == "aif360:disparate_impact")
        .unwrap()["value"]
        .as_f64()
        .unwrap();
    let want = if value >= 0.8 { "pass" } else { "fail" };
    assert_eq!(di["outcome"], want, "{di}");
    let without = json(&[]);
    for v in without["report"]["verdicts"].as_array().unwrap() {
        assert_eq!(v["outcome"], "insufficient_data", "{v}");
        assert!(v["reason"].as_str().unwrap().contains("privileged group"));
    }
}
