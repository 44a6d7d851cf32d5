//! The profile against pandas/NumPy (goldens from `oracles/profile/generate.py`), for the
//! same table as CSV, Parquet and JSON Lines.
//!
//! Exact figures (counts, nulls, distinct, min/max, quantiles and histograms while the
//! sketches hold every value) must agree exactly; floating-point means and deviations to
//! 1e-9 relative, since pandas sums in another order. With the sketches forced small, the
//! quantiles must stay within the sketch's stated rank bound.

use std::fs::File;

use mizan_profile::{
    ColumnProfile, Format, Kind, Limits, Options, Pattern, Profile, Scalar, no_observers, profile_file,
};
use serde_json::Value;

fn data(name: &str) -> String {
    format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
}

fn golden() -> Value {
    let text = std::fs::read_to_string(data("pandas/people.json")).unwrap_or_else(|e| panic!("golden: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("golden: {e}"))
}

fn options(limits: Limits) -> Options {
    let pattern = |c: &str, d: &str| (c.to_owned(), Pattern::parse(c, d).unwrap_or_else(|e| panic!("{e}")));
    Options {
        limits,
        sensitive: vec!["province".to_owned(), "gender".to_owned()],
        min_group_size: 10,
        formats: vec![pattern("cnic", "cnic"), pattern("joined", "YYYY-MM-DD")],
    }
}

fn profile(format: Format, file: &str, limits: Limits) -> Profile {
    let f = File::open(data(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    profile_file(format, f, &options(limits), &mut no_observers)
        .unwrap_or_else(|e| panic!("{file}: {e}"))
        .profile
}

fn close(a: f64, b: f64, rel: f64, what: &str) {
    let tol = rel * a.abs().max(b.abs()).max(1.0);
    assert!((a - b).abs() <= tol, "{what}: {a} against pandas {b}");
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap_or(f64::NAN)
}

fn col<'a>(p: &'a Profile, name: &str) -> &'a ColumnProfile {
    p.columns.iter().find(|c| c.name == name).unwrap_or_else(|| panic!("no column {name}"))
}

/// Whether our text of a top value names the golden's key.
fn same_value(kind: Kind, ours: &str, theirs: &str) -> bool {
    match kind {
        Kind::Float | Kind::Integer => ours.parse::<f64>().ok() == theirs.parse::<f64>().ok(),
        Kind::Boolean => ours.eq_ignore_ascii_case(theirs),
        _ => ours == theirs,
    }
}

fn check_column(c: &ColumnProfile, g: &Value, what: &str) {
    let w = |field: &str| format!("{what} {} {field}", c.name);
    assert_eq!(c.nulls, g["nulls"].as_u64().unwrap_or(u64::MAX), "{}", w("nulls"));
    assert_eq!(c.distinct.count, g["nunique"].as_u64().unwrap_or(u64::MAX), "{}", w("distinct"));
    assert!(c.distinct.exact, "{}", w("distinct exact"));
    for (ours, theirs, name) in [(&c.min, &g["min"], "min"), (&c.max, &g["max"], "max")] {
        match (ours, theirs) {
            (Some(Scalar::Int(a)), t) => assert_eq!(Some(*a), t.as_i64(), "{}", w(name)),
            (Some(Scalar::Float(a)), t) => close(*a, f(t), 0.0, &w(name)),
            (Some(Scalar::Bool(a)), t) => assert_eq!(Some(*a), t.as_bool(), "{}", w(name)),
            (Some(Scalar::Text(a)), t) => assert_eq!(Some(a.as_str()), t.as_str(), "{}", w(name)),
            (None, t) => assert!(t.is_null(), "{}", w(name)),
        }
    }
    if let Some(mean) = g.get("mean") {
        close(c.mean.unwrap_or(f64::NAN), f(mean), 1e-9, &w("mean"));
        close(c.std.unwrap_or(f64::NAN), f(&g["std"]), 1e-9, &w("std"));
    }
    if let Some(q) = g.get("quantiles") {
        let ours = c.quantiles.unwrap_or_else(|| panic!("{}", w("quantiles")));
        assert!(ours.exact, "{}", w("quantiles exact"));
        let pairs = [
            (ours.p1, "p1"),
            (ours.p5, "p5"),
            (ours.p25, "p25"),
            (ours.p50, "p50"),
            (ours.p75, "p75"),
            (ours.p95, "p95"),
            (ours.p99, "p99"),
        ];
        for (v, p) in pairs {
            close(v, f(&q[p]), 1e-12, &w(p));
        }
        let h = c.histogram.as_ref().unwrap_or_else(|| panic!("{}", w("histogram")));
        let counts: Vec<u64> = h.bins.iter().map(|b| b.count).collect();
        let want: Vec<u64> = q.get("x").map_or_else(
            || g["histogram"]["counts"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect(),
            |_| Vec::new(),
        );
        assert_eq!(counts, want, "{}", w("histogram"));
        for (b, e) in h.bins.iter().zip(g["histogram"]["edges"].as_array().into_iter().flatten()) {
            close(b.lo, f(e), 1e-12, &w("histogram edge"));
        }
    }
    let top: Vec<u64> = c.top_values.iter().map(|t| t.count).collect();
    let want: Vec<u64> = g["top_counts"].as_array().into_iter().flatten().filter_map(Value::as_u64).collect();
    assert_eq!(top, want, "{}", w("top counts"));
    assert!(c.top_exact, "{}", w("top exact"));
    let counts_of = g["counts_of"].as_object().unwrap_or_else(|| panic!("{}", w("counts_of")));
    for t in &c.top_values {
        let theirs = counts_of.iter().find(|(k, _)| same_value(c.kind, &t.value, k)).map(|(_, v)| v.as_u64());
        assert_eq!(theirs, Some(Some(t.count)), "{} `{}`", w("top value"), t.value);
    }
    if let (Some(l), Some(gl)) = (c.text_length, g.get("text_length")) {
        assert_eq!(l.min, gl["min"].as_u64().unwrap_or(0), "{}", w("length min"));
        assert_eq!(l.max, gl["max"].as_u64().unwrap_or(0), "{}", w("length max"));
        close(l.mean, f(&gl["mean"]), 1e-12, &w("length mean"));
    }
}

fn check(p: &Profile, what: &str) {
    let g = golden();
    assert_eq!(p.rows, g["rows"].as_u64().unwrap_or(0), "{what} rows");
    assert_eq!(p.duplicate_rows.count, g["duplicate_rows"].as_u64().unwrap_or(0), "{what} duplicates");
    assert!(p.duplicate_rows.exact);
    let kinds = [
        ("id", Kind::Integer),
        ("age", Kind::Integer),
        ("income", Kind::Float),
        ("score", Kind::Float),
        ("approved", Kind::Boolean),
        ("province", Kind::Text),
        ("district", Kind::Text),
        ("name_ur", Kind::Text),
        ("joined", Kind::Date),
        ("cnic", Kind::Text),
        ("comment", Kind::Text),
    ];
    for (name, kind) in kinds {
        assert_eq!(col(p, name).kind, kind, "{what} {name} kind");
    }
    let names: Vec<&str> = p.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "id", "age", "income", "score", "approved", "province", "gender", "district", "name_ur",
            "joined", "cnic", "comment"
        ],
        "{what} column order"
    );
    for (name, gc) in g["columns"].as_object().into_iter().flatten() {
        check_column(col(p, name), gc, what);
    }
    let cnic = col(p, "cnic").pattern.as_ref().unwrap_or_else(|| panic!("cnic pattern"));
    assert_eq!(cnic.conforming, g["patterns"]["cnic"].as_u64().unwrap_or(0), "{what} cnic conforming");
    let joined = col(p, "joined").pattern.as_ref().unwrap_or_else(|| panic!("joined pattern"));
    assert!((joined.share - 1.0).abs() < 1e-12, "{what} joined conforming");
    let bias = p.bias.as_ref().unwrap_or_else(|| panic!("{what}: no bias profile"));
    for s in &bias.columns {
        let gs = &g["bias"][&s.column];
        assert_eq!(s.missing, gs["missing"].as_u64().unwrap_or(0), "{what} {} missing", s.column);
        let gg = gs["groups"].as_object().unwrap_or_else(|| panic!("groups"));
        assert_eq!(s.groups.len(), gg.len(), "{what} {} groups", s.column);
        for grp in &s.groups {
            let want = &gg[&grp.value];
            assert_eq!(grp.count, want["count"].as_u64().unwrap_or(0), "{what} {} count", grp.value);
            close(grp.share, f(&want["share"]), 1e-12, &format!("{what} {} share", grp.value));
            assert_eq!(grp.under_min_size, grp.count < 10);
            for (other, share) in &grp.missing_share_per_column {
                close(
                    *share,
                    f(&want["missing_share_per_column"][other]),
                    1e-12,
                    &format!("{what} {} {other}", grp.value),
                );
            }
        }
    }
}

#[test]
fn csv_matches_pandas() {
    check(&profile(Format::Csv, "people.csv", Limits::default()), "csv");
}

#[test]
fn parquet_matches_pandas() {
    check(&profile(Format::Parquet, "people.parquet", Limits::default()), "parquet");
}

#[test]
fn json_lines_matches_pandas() {
    check(&profile(Format::JsonLines, "people.jsonl", Limits::default()), "jsonl");
}

#[test]
fn small_blocks_give_the_same_profile() {
    // 1 KiB blocks cut the CSV into ~100 blocks merged in order: nothing may change.
    // Means and deviations are summed in another order, so they may differ in the last bits.
    let same = |mut a: Profile, mut b: Profile| {
        for (x, y) in a.columns.iter_mut().zip(b.columns.iter_mut()) {
            for (u, v) in [(x.mean.take(), y.mean.take()), (x.std.take(), y.std.take())] {
                close(u.unwrap_or(0.0), v.unwrap_or(0.0), 1e-12, &x.name);
            }
        }
        assert_eq!(a, b);
    };
    let small = Limits { block_bytes: 1024, ..Limits::default() };
    same(profile(Format::Csv, "people.csv", small), profile(Format::Csv, "people.csv", Limits::default()));
    same(
        profile(Format::JsonLines, "people.jsonl", small),
        profile(Format::JsonLines, "people.jsonl", Limits::default()),
    );
    let small = Limits { batch_rows: 7, ..Limits::default() };
    same(
        profile(Format::Parquet, "people.parquet", small),
        profile(Format::Parquet, "people.parquet", Limits::default()),
    );
}

#[test]
#[expect(clippy::cast_precision_loss, reason = "ranks of 904 values")]
fn sketched_figures_stay_within_their_bounds() {
    let g = golden();
    let sorted: Vec<f64> = g["sorted_score"].as_array().into_iter().flatten().map(f).collect();
    let limits = Limits { quantile_buffer: 64, exact_distinct: 50, ..Limits::default() };
    for (format, file) in [(Format::Csv, "people.csv"), (Format::Parquet, "people.parquet")] {
        let p = profile(format, file, limits);
        let score = col(&p, "score");
        let q = score.quantiles.unwrap_or_else(|| panic!("quantiles"));
        assert!(!q.exact);
        // Rank error bound: levels × n / k. 904 values, k = 64: at most 5 levels, so 5/64.
        let n = sorted.len() as f64;
        let bound = 5.0 / 64.0 * n;
        for (v, p) in [(q.p1, 0.01), (q.p25, 0.25), (q.p50, 0.5), (q.p75, 0.75), (q.p99, 0.99)] {
            let rank = sorted.partition_point(|x| *x < v) as f64;
            assert!((rank - p * (n - 1.0)).abs() <= bound + 1.0, "{file} p{p}: rank {rank} of {n}");
        }
        let h = score.histogram.as_ref().unwrap_or_else(|| panic!("histogram"));
        assert!(!h.exact);
        assert_eq!(h.bins.iter().map(|b| b.count).sum::<u64>(), 904, "{file}: weights add up to the count");
        // HyperLogLog on 900 distinct values: linear counting, well within 3 %.
        assert!(!score.distinct.exact);
        let d = score.distinct.count as f64;
        assert!((d - 900.0).abs() / 900.0 < 0.03, "{file}: distinct {d}");
        // No value of `score` occurs more than 3 times; a Misra–Gries count never exceeds the truth.
        assert!(!score.top_exact);
        assert!(score.top_values.iter().all(|t| t.count <= 3));
        // `district` has 20 values, under the limit: still exact.
        assert!(col(&p, "district").distinct.exact);
    }
}
