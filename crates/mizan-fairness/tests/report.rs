//! Report and preset tests: impact ratios, insufficient-data flags and verdicts.

use mizan_fairness::preset::{self, Outcome};
use mizan_fairness::report::{self, Config};
use mizan_fairness::{Cells, Column, Input};

fn cells(groups: &[(&str, usize, usize)]) -> Cells {
    // (group, rows, selected)
    let (mut label, mut pred, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for &(name, n, sel) in groups {
        for i in 0..n {
            label.push(i % 2 == 0);
            pred.push(i < sel);
            g.push(name);
        }
    }
    let sensitive = [Column::from_values("g", g.iter().map(|s| Some(*s)))];
    Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .unwrap()
}

#[test]
fn impact_ratio_and_four_fifths_flag() {
    let c = cells(&[("a", 100, 50), ("b", 100, 35), ("c", 10, 5)]);
    let cfg = Config {
        reference: Some(vec!["b".into()]),
        preset: preset::find("us-four-fifths"),
        ..Config::default()
    };
    let r = report::build(&c, &cfg);
    let b = r.groups.iter().find(|g| g.group == ["b"]).unwrap();
    assert!((b.impact_ratio_vs_highest - 0.7).abs() < 1e-15);
    assert!(b.below_four_fifths);
    assert!(b.impact_ratio_vs_highest_interval.lo < 0.7 && 0.7 < b.impact_ratio_vs_highest_interval.hi);
    let a = r.groups.iter().find(|g| g.group == ["a"]).unwrap();
    assert!((a.impact_ratio_vs_reference.unwrap() - 0.5 / 0.35).abs() < 1e-12);
    assert!(!a.insufficient);
    assert!(r.groups.iter().find(|g| g.group == ["c"]).unwrap().insufficient);
    assert_eq!(r.verdicts.len(), 1);
    assert_eq!(r.verdicts[0].outcome, Outcome::Fail);
    assert!(r.verdicts[0].reason.contains("below"), "{}", r.verdicts[0].reason);
}

#[test]
fn too_few_large_groups_is_insufficient_data() {
    let c = cells(&[("a", 100, 50), ("b", 10, 1)]);
    let cfg = Config { preset: preset::find("pk-national"), ..Config::default() };
    let r = report::build(&c, &cfg);
    assert_eq!(r.verdicts.len(), 3);
    assert!(r.verdicts.iter().all(|v| v.outcome == Outcome::InsufficientData));
}

#[test]
fn zero_denominator_is_nan_with_reason_unless_compat() {
    // group `a` has no negative labels when every row is a positive... build one by hand
    let label = [true, true, false];
    let pred = [true, false, false];
    let sensitive = [Column::from_values("g", ["a", "a", "b"].map(Some))];
    let c = Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .unwrap();
    let r = report::build(&c, &Config::default());
    let a = r.groups.iter().find(|g| g.group == ["a"]).unwrap();
    let fpr = a.rates.iter().find(|e| e.metric == "false_positive_rate").unwrap();
    assert!(fpr.value.value.is_nan());
    assert!(fpr.value.reason.as_deref().unwrap().contains("zero denominator"));
    let compat = Config { mode: mizan_fairness::EdgeMode::FairlearnCompat, ..Config::default() };
    let r = report::build(&c, &compat);
    let a = r.groups.iter().find(|g| g.group == ["a"]).unwrap();
    assert_eq!(a.rates.iter().find(|e| e.metric == "false_positive_rate").unwrap().value.value, 0.0);
}

#[test]
fn missing_values_form_a_visible_group_and_empty_intersections_are_shown() {
    let label = [true, false, true, false];
    let pred = [true, false, false, true];
    let s1 = Column::from_values("sex", [Some("f"), None, Some("m"), Some("")]);
    let s2 = Column::from_values("region", [Some("x"), Some("x"), Some("y"), Some("x")]);
    let sensitive = [s1, s2];
    let c = Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .unwrap();
    let r = report::build(&c, &Config::default());
    // 3 sex levels (f, m, missing) × 2 regions
    assert_eq!(r.groups.len(), 6);
    let missing = r.groups.iter().find(|g| g.group == [mizan_fairness::MISSING, "x"]).unwrap();
    assert_eq!(missing.rows, 2);
    let empty = r.groups.iter().find(|g| g.group == ["f", "y"]).unwrap();
    assert_eq!(empty.rows, 0);
    assert!(empty.rates[0].value.reason.as_deref().unwrap().contains("empty"));
}

#[test]
fn length_mismatch_and_bad_weight_are_errors() {
    let sensitive = [Column::from_values("g", [Some("a"), Some("b")])];
    let e = Cells::count(&Input {
        label: &[true, false],
        prediction: &[true],
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .unwrap_err();
    assert!(e.to_string().contains("`prediction` has 1 rows"), "{e}");
    let e = Cells::count(&Input {
        label: &[true, false],
        prediction: &[true, false],
        sensitive: &sensitive,
        control: None,
        weight: Some(&[1.0, f64::NAN]),
    })
    .unwrap_err();
    assert!(e.to_string().contains("row 1"), "{e}");
}

#[test]
fn without_labels_only_the_metrics_of_decisions_are_computed() {
    // (group, rows, selected), with the decision standing in for the label.
    let (mut pred, mut g) = (Vec::new(), Vec::new());
    for &(name, n, sel) in &[("a", 100, 60), ("b", 100, 30)] {
        for i in 0..n {
            pred.push(i < sel);
            g.push(name);
        }
    }
    let sensitive = [Column::from_values("g", g.iter().map(|s| Some(*s)))];
    let c = Cells::count(&Input {
        label: &pred,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .unwrap();
    let cfg = Config {
        preset: preset::find("pk-national"),
        ground_truth: report::GroundTruth::Absent,
        ..Config::default()
    };
    let r = report::build(&c, &cfg);
    let labelled = report::build(&c, &Config { preset: preset::find("pk-national"), ..Config::default() });
    assert!(!r.labelled && labelled.labelled);
    // Selection rates and demographic parity are the same numbers either way.
    let dp = |r: &report::Report| {
        r.scalars
            .iter()
            .find(|s| s.id == "fairlearn:demographic_parity_difference:between_groups")
            .unwrap()
            .value
    };
    assert!((dp(&r) - 0.3).abs() < 1e-15 && dp(&r).to_bits() == dp(&labelled).to_bits());
    let a = r.groups.iter().find(|g| g.group == ["a"]).unwrap();
    let sel = a.rates.iter().find(|e| e.metric == "selection_rate").unwrap();
    assert!((sel.value.value - 0.6).abs() < 1e-15);
    // Nothing that needs a label is given a number, and each is named with the reason.
    let tpr = a.rates.iter().find(|e| e.metric == "true_positive_rate").unwrap();
    assert!(tpr.value.value.is_nan() && tpr.value.reason.as_deref() == Some(report::NO_LABEL));
    assert!(r.scalars.iter().all(|s| s.id.contains("demographic_parity")), "{:?}", r.scalars);
    assert!(r.comparisons.iter().all(|c| c.metric == "selection_rate"));
    assert!(
        r.unavailable.iter().any(|u| u.id == "fairlearn:equalized_odds_difference:between_groups:worst_case")
    );
    assert!(r.unavailable.iter().any(|u| u.id == "fairlearn:true_positive_rate"));
    assert!(!r.unavailable.iter().any(|u| u.id.contains("selection_rate")));
    let b = r.bootstrap.as_ref().unwrap();
    assert!(b.summaries.iter().all(|s| !report::needs_label(&s.id)));
    // The equalized-odds rule cannot be judged; the others are.
    let eo = r.verdicts.iter().find(|v| v.metric.contains("equalized_odds")).unwrap();
    assert_eq!(eo.outcome, Outcome::InsufficientData);
    assert_eq!(eo.reason, report::NO_LABEL);
    let dp_verdict = r.verdicts.iter().find(|v| v.metric.contains("demographic_parity")).unwrap();
    assert_eq!(dp_verdict.outcome, Outcome::Fail);
    let labelled_eo = labelled.verdicts.iter().find(|v| v.metric.contains("equalized_odds")).unwrap();
    assert_ne!(labelled_eo.outcome, Outcome::InsufficientData, "with labels it is judged (trivially here)");
}
