//! Bounding each unit's contribution: the promise every privacy map rests on.
//!
//! - a unit with 50 rows and `k = 3` gives exactly the aggregates of the data with that
//!   unit cut to its first 3 rows (in file order);
//! - adding any one unit (any number of rows) changes the exact grouped counts by at most
//!   `k` in L1, and grouped sums by at most `k · max(|lower|, |upper|)` (proptest);
//! - the plan never depends on data: the same before any table exists and in every answer.

mod common;

use common::{PROVINCES, build, query, read, row, settings};
use mizan_dp::{Filter, Settings, Statistic, answer, exact, plan};
use proptest::prelude::*;

fn exact_of(s: &Settings, file: &[u8], q: &mizan_dp::Query) -> Vec<mizan_dp::ExactCell> {
    let (p, t) = read(s, file, q);
    exact(&p, s, &t).unwrap()
}

fn statistics() -> Vec<mizan_dp::Query> {
    vec![
        query(Statistic::Count, &["province", "sex"], 1.0),
        query(Statistic::Sum { column: "income".into() }, &["province"], 1.0),
        query(Statistic::Mean { column: "income".into() }, &["sex"], 1.0),
        query(Statistic::Histogram { column: "income".into(), bins: 5 }, &["sex"], 1.0),
        query(Statistic::Count, &["district"], 1.0),
        query(Statistic::Sum { column: "income".into() }, &["district", "sex"], 1.0),
        query(Statistic::Count, &[], 1.0),
    ]
}

#[test]
fn a_heavy_unit_counts_as_its_first_k_rows() {
    let s = settings(3);
    let mut base = Vec::new();
    for i in 0..40 {
        base.push(row(
            &format!("u{i}"),
            PROVINCES[i % 4],
            ["female", "male"][i % 2],
            "D1",
            &format!("{}", i * 10),
        ));
    }
    // the heavy unit's 50 rows, interleaved with the others, in several cells
    let heavy: Vec<[String; 5]> = (0..50)
        .map(|j| {
            row(
                "heavy",
                PROVINCES[j % 4],
                ["male", "female"][j % 2],
                ["D2", "D3"][j % 2],
                &format!("{}", 900 + j),
            )
        })
        .collect();
    // interleave: one base row, then one of the heavy unit's, in order
    let interleave = |heavy_rows: usize| {
        let mut out = Vec::new();
        for i in 0..base.len().max(heavy.len()) {
            out.extend(base.get(i).cloned());
            out.extend(heavy.get(i).filter(|_| i < heavy_rows).cloned());
        }
        out
    };
    let with_heavy = interleave(50);
    let truncated = interleave(3);
    assert_eq!(with_heavy.iter().filter(|r| r[0] == "heavy").count(), 50);
    let a = build(&s, &with_heavy);
    let b = build(&s, &truncated);
    for q in statistics() {
        assert_eq!(exact_of(&s, &a, &q), exact_of(&s, &b, &q), "{}", plan(&s, &q).unwrap().shape);
    }
}

#[test]
fn an_empty_filter_answers_like_any_other() {
    let s = settings(1);
    let rows: Vec<_> =
        (0..200).map(|i| row(&format!("u{i}"), PROVINCES[i % 4], "female", "D1", "5")).collect();
    let file = build(&s, &rows);
    for values in [vec!["male".to_string()], vec!["female".to_string()]] {
        let mut q = query(Statistic::Mean { column: "income".into() }, &["province"], 1.0);
        q.filters.push(Filter { column: "sex".into(), values });
        let (p, t) = read(&s, &file, &q);
        let a = answer(&p, &s, &t).unwrap();
        assert_eq!(a.plan, p);
        assert_eq!(a.cells.len() + a.suppressed, 4, "four provinces, released or suppressed");
        assert_eq!(exact(&p, &s, &t).unwrap().len(), 4);
    }
}

#[test]
fn plans_do_not_depend_on_data() {
    let s = settings(2);
    let small = build(&s, &[row("a", "Punjab", "male", "D1", "3")]);
    let big = build(
        &s,
        &(0..500)
            .map(|i| row(&format!("u{i}"), PROVINCES[i % 4], "male", &format!("D{i}"), "700"))
            .collect::<Vec<_>>(),
    );
    for q in statistics() {
        let before = plan(&s, &q).unwrap();
        for file in [&small, &big] {
            let (p, t) = read(&s, file, &q);
            assert_eq!(p, before);
            assert_eq!(answer(&p, &s, &t).unwrap().plan, before);
        }
    }
}

fn arb_row(units: u32) -> impl Strategy<Value = [String; 5]> {
    (0..units, 0..5usize, 0..3usize, 0..4usize, -50i64..1100).prop_map(|(u, p, x, d, v)| {
        let province = ["Punjab", "Sindh", "Khyber Pakhtunkhwa", "Balochistan", "elsewhere"][p];
        row(
            &format!("u{u}"),
            province,
            ["female", "male", ""][x],
            ["D1", "D2", "D3", "D4"][d],
            &v.to_string(),
        )
    })
}

fn l1(a: &[mizan_dp::ExactCell], b: &[mizan_dp::ExactCell]) -> (i64, i128) {
    // cells are keyed by group; a cell missing on one side counts as zero
    let mut count = 0;
    let mut sum = 0;
    for x in a {
        let y = b.iter().find(|y| y.group == x.group);
        count += (x.count - y.map_or(0, |y| y.count)).abs();
        sum += (x.sum_units - y.map_or(0, |y| y.sum_units)).abs();
    }
    for y in b {
        if !a.iter().any(|x| x.group == y.group) {
            count += y.count.abs();
            sum += y.sum_units.abs();
        }
    }
    (count, sum)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn one_more_unit_moves_cells_by_at_most_k(
        k in 1u32..5,
        rows in proptest::collection::vec(arb_row(12), 0..60),
        extra in proptest::collection::vec(arb_row(1), 1..12),
        at in proptest::collection::vec(any::<prop::sample::Index>(), 12),
    ) {
        let s = settings(k);
        let extra: Vec<[String; 5]> =
            extra.into_iter().map(|mut r| { r[0] = "newcomer".into(); r }).collect();
        let mut with = rows.clone();
        for (r, i) in extra.iter().zip(&at) {
            let pos = i.index(with.len() + 1);
            with.insert(pos, r.clone());
        }
        let a = build(&s, &rows);
        let b = build(&s, &with);
        let magnitude = 1000i128; // max(|0|, |1000|)
        for q in statistics() {
            let (dc, ds) = l1(&exact_of(&s, &a, &q), &exact_of(&s, &b, &q));
            prop_assert!(dc <= i64::from(k), "{}: counts moved by {dc} > k = {k}", plan(&s, &q).unwrap().shape);
            prop_assert!(ds <= i128::from(k) * magnitude, "sums moved by {ds}");
        }
    }
}
