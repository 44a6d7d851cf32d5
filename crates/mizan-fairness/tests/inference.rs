//! Inference tests: Holm and Benjamini–Hochberg against hand-computed examples, the
//! group-versus-rest comparisons, the seeded cell bootstrap (same seed, same numbers; another
//! seed, other numbers), insufficient-group flags, empty intersections and missing values.

use mizan_fairness::bootstrap::{self, IMPACT_RATIO_MIN};
use mizan_fairness::report::{self, Config};
use mizan_fairness::stats::{self, Correction};
use mizan_fairness::{Cells, Column, EdgeMode, Input, MISSING};

fn check_adjusted(name: &str, got: &[f64], want: &[f64]) {
    assert_eq!(got.len(), want.len(), "{name}: length");
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!((g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-12, "{name}[{i}]: want {w}, got {g}");
    }
}

#[test]
fn holm_by_hand() {
    // m = 4. Sorted: 0.001·4 = 0.004; 0.008·3 = 0.024; 0.039·2 = 0.078; 0.041·1 = 0.041 → the
    // running maximum keeps 0.078 for the last one.
    check_adjusted("holm", &stats::holm(&[0.041, 0.001, 0.039, 0.008]), &[0.078, 0.004, 0.078, 0.024]);
    // Capped at 1; ties keep their order-independent values.
    check_adjusted("holm cap", &stats::holm(&[0.3, 0.3, 0.9]), &[0.9, 0.9, 0.9]);
    // One comparison is left alone; NaN is not counted in m.
    check_adjusted("holm one", &stats::holm(&[0.02, f64::NAN]), &[0.02, f64::NAN]);
    assert!(stats::holm(&[]).is_empty());
}

#[test]
fn benjamini_hochberg_by_hand() {
    // m = 5. Sorted 0.005, 0.011, 0.02, 0.04, 0.13; p·m/rank = 0.025, 0.0275, 0.0333…, 0.05,
    // 0.13; the running minimum from the top leaves them as they are.
    let p = [0.04, 0.005, 0.13, 0.011, 0.02];
    check_adjusted("bh", &stats::benjamini_hochberg(&p), &[0.05, 0.025, 0.13, 0.0275, 0.1 / 3.0]);
    // Step-up: 0.01·3/1 = 0.03, 0.04·3/2 = 0.06 → but 0.045·3/3 = 0.045 caps both above it.
    check_adjusted("bh step-up", &stats::benjamini_hochberg(&[0.04, 0.01, 0.045]), &[0.045, 0.03, 0.045]);
    // Correction::None returns its input; names are the CLI's.
    assert_eq!(Correction::None.adjust(&[0.2, 0.01]), vec![0.2, 0.01]);
    assert_eq!(
        [Correction::Holm, Correction::BenjaminiHochberg, Correction::None].map(Correction::name),
        ["holm", "bh", "none"]
    );
}

#[test]
fn normal_p_values() {
    assert!((stats::normal_two_sided(1.959_963_984_540_054) - 0.05).abs() < 1e-12);
    assert!((stats::normal_two_sided(-2.575_829_303_548_901) - 0.01).abs() < 1e-12);
    assert_eq!(stats::normal_two_sided(0.0), 1.0);
    // 30/100 against 50/100: pooled 0.4, se = sqrt(0.4·0.6·0.02).
    let z = stats::two_proportion_z(0.3, 100.0, 0.5, 100.0);
    assert!((z - (-0.2 / (0.4_f64 * 0.6 * 0.02).sqrt())).abs() < 1e-12);
    assert!(stats::two_proportion_z(0.0, 10.0, 0.0, 10.0).is_nan());
}

/// Cells over one feature from (group, rows, selected, positive labels).
fn cells(groups: &[(&str, usize, usize, usize)]) -> Cells {
    let (mut label, mut pred, mut g) = (Vec::new(), Vec::new(), Vec::new());
    for &(name, n, sel, pos) in groups {
        for i in 0..n {
            // Spread positives over selected and unselected rows alike.
            label.push((i * pos) % n < pos && (i * 7 + 3) % n < n);
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
    .expect("aligned columns")
}

#[test]
fn comparisons_are_corrected_per_rate_and_small_groups_are_not_tested() {
    let c = cells(&[("a", 400, 200, 200), ("b", 400, 120, 200), ("c", 400, 196, 200), ("d", 12, 6, 6)]);
    for correction in [Correction::Holm, Correction::BenjaminiHochberg, Correction::None] {
        let r = report::build(&c, &Config { correction, ..Config::default() });
        assert_eq!(r.correction, correction.name());
        let sel: Vec<_> = r.comparisons.iter().filter(|x| x.metric == "selection_rate").collect();
        assert_eq!(sel.len(), 4, "one per non-empty group");
        let d = sel.iter().find(|x| x.group == ["d"]).expect("d compared");
        assert!(d.p_value.is_nan() && d.reason.as_deref().expect("reason").contains("too small"));
        let b = sel.iter().find(|x| x.group == ["b"]).expect("b compared");
        // b: 0.3 against (200 + 196 + 6) / 812.
        assert!((b.rest_rate - 402.0 / 812.0).abs() < 1e-12);
        assert!(b.significant && b.interval.hi < 0.0);
        // The adjustment is exactly the stated correction over the family's p-values.
        let p: Vec<f64> = sel.iter().map(|x| x.p_value).collect();
        let adj: Vec<f64> = sel.iter().map(|x| x.p_adjusted).collect();
        check_adjusted(correction.name(), &adj, &correction.adjust(&p));
    }
}

#[test]
fn bootstrap_is_reproducible_with_the_same_seed_and_differs_with_another() {
    let c = cells(&[("a", 300, 150, 140), ("b", 250, 90, 120), ("c", 60, 30, 25)]);
    let ids = vec![
        "fairlearn:demographic_parity_difference:between_groups".to_owned(),
        IMPACT_RATIO_MIN.to_owned(),
    ];
    let run = |seed| {
        bootstrap::run(
            &c,
            &ids,
            EdgeMode::Honest,
            (30, 5),
            &bootstrap::Config { replicates: 200, seed, level: 0.95 },
        )
    };
    let (a, b, other) = (run(7), run(7), run(8));
    assert_eq!(a, b, "same seed, same numbers");
    assert_eq!((a.replicates, a.seed), (200, 7));
    assert_ne!(a.summaries, other.summaries, "another seed, other numbers");
    for s in &a.summaries {
        assert!(s.interval.lo <= s.interval.hi, "{}: {:?}", s.id, s.interval);
        assert_eq!(s.undefined, 0);
        assert!(s.bias.is_finite() && s.bias.abs() < 0.1, "{}: bias {}", s.id, s.bias);
    }
    // The estimate is the summary on the observed cells; DP difference is 0.5 − 0.36.
    assert!((a.summaries[0].estimate - 0.14).abs() < 1e-12);
    assert!(a.summaries[0].interval.lo < 0.14 && 0.14 < a.summaries[0].interval.hi);
    // Pinned numbers: ChaCha20, the samplers and libm are the same on every platform, so
    // these first draws must never change (a change here breaks reproducibility promises).
    let mut rng = bootstrap::replicate_rng(7, 3);
    let draws: Vec<u64> = [(10, 0.3), (1000, 0.3), (5_000_000, 0.5)]
        .iter()
        .map(|&(n, p)| bootstrap::binomial(n, p, &mut rng))
        .collect();
    assert_eq!(draws, PINNED, "bootstrap draws changed");
}

/// First draws of replicate 3 under seed 7 (see the test above).
const PINNED: [u64; 3] = [5, 300, 2_499_763];

#[test]
fn a_replicate_keeps_every_cell_size() {
    let c = cells(&[("a", 300, 150, 140), ("b", 25, 9, 12)]);
    let mut rng = bootstrap::replicate_rng(1, 0);
    let boot = bootstrap::resample(&c, &mut rng);
    for (k, counts) in c.cells() {
        let g = boot.cells().get(k).expect("same cells");
        assert_eq!(g.rows(), counts.rows());
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let w: Vec<f64> = g.n.iter().map(|&n| n as f64).collect();
        assert_eq!(g.w.to_vec(), w, "unweighted Σw stays the count");
    }
    assert_ne!(boot.cells(), c.cells());
}

#[test]
fn insufficient_groups_name_the_reason_and_follow_the_config() {
    let c = cells(&[("big", 200, 100, 100), ("few", 20, 10, 10), ("rare", 200, 3, 100)]);
    let r = report::build(&c, &Config::default());
    let why = |name: &str| {
        let g = r.groups.iter().find(|g| g.group == [name]).expect("group");
        (g.insufficient, g.insufficient_reason.clone().unwrap_or_default())
    };
    assert_eq!(why("big"), (false, String::new()));
    let (flag, reason) = why("few");
    assert!(flag && reason.contains("20 rows, fewer than 30"), "{reason}");
    let (flag, reason) = why("rare");
    assert!(flag && reason.contains("3 favourable"), "{reason}");
    let r = report::build(&c, &Config { min_rows: 10, min_events: 2, ..Config::default() });
    assert!(r.groups.iter().all(|g| !g.insufficient), "configurable thresholds");
}

#[test]
fn missing_and_empty_groups_are_visible_everywhere() {
    let label = [true, false, true, false, true, false];
    let pred = [true, false, false, true, true, true];
    let sex = Column::from_values("sex", [Some("f"), None, Some("m"), Some(""), Some("f"), Some("m")]);
    let region =
        Column::from_values("region", [Some("x"), Some("x"), Some("y"), Some("x"), Some("x"), Some("y")]);
    let sensitive = [sex, region];
    let c = Cells::count(&Input {
        label: &label,
        prediction: &pred,
        sensitive: &sensitive,
        control: None,
        weight: None,
    })
    .expect("aligned");
    let r = report::build(
        &c,
        &Config {
            bootstrap: bootstrap::Config { replicates: 20, ..Default::default() },
            ..Config::default()
        },
    );
    let missing = r.groups.iter().find(|g| g.group == [MISSING, "x"]).expect("missing group shown");
    assert_eq!(missing.rows, 2);
    let empty = r.groups.iter().find(|g| g.group == [MISSING, "y"]).expect("empty intersection shown");
    assert_eq!(empty.rows, 0);
    assert_eq!(empty.insufficient_reason.as_deref(), Some("empty intersection: no rows"));
    assert_eq!(r.rows, 6);
    let boot = r.bootstrap.as_ref().expect("bootstrap on by default");
    assert_eq!(boot.replicates, 20);
    let off = report::build(
        &c,
        &Config { bootstrap: bootstrap::Config { replicates: 0, ..Default::default() }, ..Config::default() },
    );
    assert!(off.bootstrap.is_none());
}

#[test]
fn a_tiny_group_is_no_yardstick_for_impact_ratios() {
    // `tiny` selects all 3 of its rows; `a` (0.5) is the highest group large enough to judge.
    let c = cells(&[("a", 100, 50, 50), ("b", 100, 35, 50), ("tiny", 3, 3, 1)]);
    let cfg = Config { preset: mizan_fairness::preset::find("us-four-fifths"), ..Config::default() };
    let r = report::build(&c, &cfg);
    let ratio =
        |name: &str| r.groups.iter().find(|g| g.group == [name]).expect("group").impact_ratio_vs_highest;
    assert!((ratio("b") - 0.7).abs() < 1e-15, "{}", ratio("b"));
    assert!((ratio("tiny") - 2.0).abs() < 1e-15);
    // The smallest impact ratio, its bootstrap estimate and the preset's value agree.
    let min = report::impact_ratio_min(&c, EdgeMode::Honest, 30, 5);
    assert!((min - 0.7).abs() < 1e-15);
    assert_eq!(r.verdicts[0].value.to_bits(), min.to_bits());
    let boot = r.bootstrap.as_ref().expect("bootstrap");
    let s = boot.summaries.iter().find(|s| s.id == IMPACT_RATIO_MIN).expect("bootstrapped");
    assert_eq!(s.estimate.to_bits(), min.to_bits());
}
