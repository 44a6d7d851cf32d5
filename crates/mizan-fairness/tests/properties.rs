//! Property tests: merging cells in any order or split gives the same cells, tallies of a
//! stream cut at any points merge into the cells of the whole, and Wilson intervals cover the
//! true rate about as often as promised on simulated data.

use mizan_fairness::stats::{self, Z95};
use mizan_fairness::tally::merge_tree;
use mizan_fairness::{Cells, Column, Input, Tally};
use proptest::prelude::*;

/// Label, prediction, level of `a`, level of `b`, weight in quarters (and stratum).
type Row = (bool, bool, u8, u8, u8);

fn rows() -> impl Strategy<Value = Vec<Row>> {
    prop::collection::vec((any::<bool>(), any::<bool>(), 0u8..3, 0u8..2, 1u8..9), 1..200)
}

fn cells_of(rows: &[Row]) -> Cells {
    let label: Vec<bool> = rows.iter().map(|r| r.0).collect();
    let prediction: Vec<bool> = rows.iter().map(|r| r.1).collect();
    let a: Vec<String> = rows.iter().map(|r| ["x", "y", ""][usize::from(r.2)].to_owned()).collect();
    let b: Vec<String> = rows.iter().map(|r| ["p", "q"][usize::from(r.3)].to_owned()).collect();
    // Weights are multiples of 1/4, so sums are exact in any order.
    let w: Vec<f64> = rows.iter().map(|r| f64::from(r.4) / 4.0).collect();
    let sensitive = [
        Column::from_values("a", a.iter().map(|s| Some(s.as_str()))),
        Column::from_values("b", b.iter().map(|s| Some(s.as_str()))),
    ];
    Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: &sensitive,
        control: None,
        weight: Some(&w),
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn merge_any_split_any_order(rows in rows(), cut1 in 0usize..200, cut2 in 0usize..200) {
        let whole = cells_of(&rows);
        let (c1, c2) = { let a = cut1 % (rows.len() + 1); let b = cut2 % (rows.len() + 1); (a.min(b), a.max(b)) };
        let parts = [&rows[..c1], &rows[c1..c2], &rows[c2..]];
        let nonempty: Vec<Cells> = parts.iter().filter(|p| !p.is_empty()).map(|p| cells_of(p)).collect();
        // forward
        let mut fwd = nonempty[0].clone();
        for p in &nonempty[1..] { fwd.merge(p).unwrap(); }
        // reverse
        let mut rev = nonempty[nonempty.len() - 1].clone();
        for p in nonempty[..nonempty.len() - 1].iter().rev() { rev.merge(p).unwrap(); }
        prop_assert_eq!(&fwd.cells(), &whole.cells());
        prop_assert_eq!(&rev.cells(), &whole.cells());
        prop_assert_eq!(fwd.groups(), whole.groups());
    }
}

/// Tallies `rows` as a reader would: each value coded on first sight in this chunk's own
/// dictionaries (so chunks code the same value differently), counted in batches of `batch`.
fn tally_of(rows: &[Row], batch: usize) -> Tally {
    let features = ["a".to_owned(), "b".to_owned()];
    let mut t = Tally::new(&features, Some("s"), true).unwrap();
    for part in rows.chunks(batch.max(1)) {
        let mut codes: Vec<Vec<u32>> = vec![Vec::new(); 5];
        for r in part {
            let values = [
                if r.0 { "true" } else { "false" },
                if r.1 { "true" } else { "false" },
                ["x", "y", "(missing)"][usize::from(r.2)],
                ["p", "q"][usize::from(r.3)],
                ["s1", "s2", "s3"][usize::from(r.4 % 3)],
            ];
            for (d, v) in values.iter().enumerate() {
                let c = t.code(d, v);
                codes[d].push(c);
            }
        }
        let w: Vec<f64> = part.iter().map(|r| f64::from(r.4) / 4.0).collect();
        let slices: Vec<&[u32]> = codes.iter().map(Vec::as_slice).collect();
        t.count(&slices, Some(&w)).unwrap();
    }
    t
}

/// The same rows counted from whole columns.
fn whole_with_strata(rows: &[Row]) -> Cells {
    let label: Vec<bool> = rows.iter().map(|r| r.0).collect();
    let prediction: Vec<bool> = rows.iter().map(|r| r.1).collect();
    let sensitive = [
        Column::from_values("a", rows.iter().map(|r| Some(["x", "y", ""][usize::from(r.2)]))),
        Column::from_values("b", rows.iter().map(|r| Some(["p", "q"][usize::from(r.3)]))),
    ];
    let s = Column::from_values("s", rows.iter().map(|r| Some(["s1", "s2", "s3"][usize::from(r.4 % 3)])));
    let w: Vec<f64> = rows.iter().map(|r| f64::from(r.4) / 4.0).collect();
    Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: &sensitive,
        control: Some(&s),
        weight: Some(&w),
    })
    .unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn tallies_cut_anywhere_merge_into_the_whole(
        rows in rows(),
        cuts in prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        batch in 1usize..40,
    ) {
        let want = whole_with_strata(&rows);
        let mut at: Vec<usize> = cuts.iter().map(|i| i.index(rows.len() + 1)).collect();
        at.extend([0, rows.len()]);
        at.sort_unstable();
        let parts: Vec<&[Row]> = at.windows(2).map(|w| &rows[w[0]..w[1]]).collect();
        let is_true = |v: &str| v == "true";
        // In order, in reverse order, and in the parallel tree the readers use.
        let mut forward = tally_of(&[], batch);
        for p in &parts {
            forward.merge(tally_of(p, batch)).unwrap();
        }
        let mut backward = tally_of(&[], batch);
        for p in parts.iter().rev() {
            backward.merge(tally_of(p, batch)).unwrap();
        }
        let tree = merge_tree(parts.len(), &|k| tally_of(parts[k], batch), &|mut a: Tally, b| {
            a.merge(b).unwrap();
            a
        })
        .unwrap();
        prop_assert_eq!(forward.rows(), rows.len() as u64);
        prop_assert_eq!(&forward.into_cells(is_true), &want);
        prop_assert_eq!(&backward.into_cells(is_true), &want);
        prop_assert_eq!(&tree.into_cells(is_true), &want);
    }
}

#[test]
fn tally_refuses_bad_batches() {
    let mut t = Tally::new(&["g".to_owned()], None, false).unwrap();
    let (f, _, a) = (t.code(0, "false"), t.code(1, "false"), t.code(2, "a"));
    // Three dimensions: label, prediction, g.
    assert!(t.count(&[&[f], &[f]], None).is_err());
    assert!(t.count(&[&[f], &[f], &[a]], Some(&[1.0])).is_err(), "weights for an unweighted tally");
    assert!(t.count(&[&[f], &[f, f], &[a]], None).is_err(), "lengths differ");
    assert!(t.count(&[&[f], &[7], &[a]], None).is_err(), "code outside the dictionary");
    t.count(&[&[f], &[f], &[a]], None).unwrap();
    assert_eq!(t.rows(), 1);
    let mut w = Tally::new(&["g".to_owned()], None, true).unwrap();
    let (f, _, a) = (w.code(0, "false"), w.code(1, "false"), w.code(2, "a"));
    assert!(w.count(&[&[f], &[f], &[a]], Some(&[-1.0])).is_err(), "negative weight");
    assert!(w.count(&[&[f], &[f], &[a]], Some(&[f64::NAN])).is_err(), "NaN weight");
    assert!(t.merge(w).is_err(), "weighted and unweighted tallies do not merge");
}

/// Deterministic xorshift so the simulation is seeded and reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        #[expect(clippy::cast_precision_loss, reason = "53 random bits")]
        let u = (self.0 >> 11) as f64 / (1u64 << 53) as f64;
        u
    }
}

#[test]
fn wilson_and_newcombe_cover_about_95_percent() {
    let mut rng = Rng(0x5eed_2026_1122);
    let (p1, p2, n) = (0.3, 0.12, 80usize);
    let trials = 4000;
    let (mut cover_w, mut cover_d, mut cover_r) = (0, 0, 0);
    for _ in 0..trials {
        let x1 = (0..n).filter(|_| rng.next() < p1).count();
        let x2 = (0..n).filter(|_| rng.next() < p2).count();
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let (h1, h2, nf) = (x1 as f64 / n as f64, x2 as f64 / n as f64, n as f64);
        let w = stats::wilson(h1, nf, Z95);
        cover_w += usize::from(w.lo <= p1 && p1 <= w.hi);
        let d = stats::newcombe(h1, nf, h2, nf, Z95);
        cover_d += usize::from(d.lo <= p1 - p2 && p1 - p2 <= d.hi);
        let r = stats::katz(h1, nf, h2, nf, Z95);
        cover_r += usize::from(r.lo <= p1 / p2 && p1 / p2 <= r.hi);
    }
    for (name, c) in [("wilson", cover_w), ("newcombe", cover_d), ("katz", cover_r)] {
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let rate = c as f64 / f64::from(trials);
        assert!((0.93..=0.975).contains(&rate), "{name} coverage {rate}");
    }
}

#[test]
fn holm_and_bh_match_hand_computation() {
    let p = [0.01, 0.04, 0.03, f64::NAN, 0.005];
    let h = stats::holm(&p);
    // sorted: 0.005*4=0.02, 0.01*3=0.03, 0.03*2=0.06, 0.04*1=0.04 -> monotone 0.06
    let want = [0.03, 0.06, 0.06, f64::NAN, 0.02];
    for (g, w) in h.iter().zip(want) {
        assert!((g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-15, "holm {g} vs {w}");
    }
    let b = stats::benjamini_hochberg(&p);
    // sorted ranks 1..4: 0.005*4/1=0.02, 0.01*4/2=0.02, 0.03*4/3=0.04, 0.04*4/4=0.04
    let want = [0.02, 0.04, 0.04, f64::NAN, 0.02];
    for (g, w) in b.iter().zip(want) {
        assert!((g.is_nan() && w.is_nan()) || (g - w).abs() < 1e-15, "bh {g} vs {w}");
    }
}
