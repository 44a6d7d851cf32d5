//! The synthetic sample: its header, its `synthetic` column, its size, its categories.

mod common;

use std::io::Cursor;

use common::{PROVINCES, build, row, settings};
use mizan_dp::{MAX_SYNTHETIC_ROWS, synthesize, synthetic_plan};

fn rows() -> Vec<[String; 5]> {
    (0..3000)
        .map(|i| {
            let province = if i % 10 < 7 { "Punjab" } else { PROVINCES[1 + i % 3] };
            let district = if i < 2000 { "Lahore".to_string() } else { format!("rare{i}") };
            row(
                &format!("u{i}"),
                province,
                ["female", "male", "x"][i % 3],
                &district,
                &(i % 1000).to_string(),
            )
        })
        .collect()
}

fn sample(s: &mizan_dp::Settings, file: &[u8], n: usize) -> (Vec<String>, Vec<Vec<String>>) {
    let mut out = Vec::new();
    let written = synthesize(s, Cursor::new(file), n, &mut out).unwrap();
    assert_eq!(written, n as u64);
    let mut reader = csv::Reader::from_reader(out.as_slice());
    let header: Vec<String> = reader.headers().unwrap().iter().map(str::to_owned).collect();
    let records = reader.records().map(|r| r.unwrap().iter().map(str::to_owned).collect()).collect();
    (header, records)
}

#[test]
fn the_sample_has_the_declared_columns_and_says_it_is_synthetic() {
    let mut s = settings(1);
    s.synthetic_epsilon = 20.0;
    let file = build(&s, &rows());
    let plan = synthetic_plan(&s).unwrap();
    assert_eq!(plan.columns, ["synthetic", "province", "sex", "district", "income"]);
    assert_eq!(plan.epsilon, 20.0);
    assert_eq!(plan.delta, s.query_delta);
    assert!(plan.mapped_epsilon <= plan.epsilon && plan.mapped_delta <= plan.delta);
    assert_eq!(
        plan.marginals,
        ["province", "sex", "district", "income", "province × sex", "sex × district", "district × income"]
    );
    assert_eq!(plan.shape, "synthetic sample from 4 one-way and 3 two-way marginals");

    let (header, records) = sample(&s, &file, 5000);
    assert_eq!(header, plan.columns);
    assert_eq!(records.len(), 5000);
    let mut punjab = 0;
    for r in &records {
        assert_eq!(r[0], "yes");
        assert!(PROVINCES.contains(&r[1].as_str()), "{r:?}");
        assert!(["female", "male"].contains(&r[2].as_str()), "`x` is not a key: {r:?}");
        assert_eq!(r[3], "Lahore", "rare districts never pass selection: {r:?}");
        let income: i64 = r[4].parse().unwrap();
        assert!((0..=1000).contains(&income), "{r:?}");
        punjab += usize::from(r[1] == "Punjab");
    }
    // 70 % of the rows are in Punjab; the noise is tiny at this ε
    let share = punjab as f64 / 5000.0;
    assert!((share - 0.7).abs() < 0.1, "{share}");
}

#[test]
fn without_delta_a_column_without_keys_is_left_empty() {
    let mut s = settings(2);
    s.project_delta = 0.0;
    s.numeric[0].decimals = 2;
    let file = build(&s, &rows());
    let plan = synthetic_plan(&s).unwrap();
    assert_eq!(plan.columns, ["synthetic", "province", "sex", "income", "district"]);
    assert_eq!((plan.delta, plan.threshold), (0.0, None));
    let (header, records) = sample(&s, &file, 300);
    assert_eq!(header, plan.columns);
    assert_eq!(records.len(), 300);
    for r in &records {
        assert_eq!(r[0], "yes");
        assert_eq!(r[4], "");
        let (_, cents) = r[3].split_once('.').expect("two decimals");
        assert_eq!(cents.len(), 2);
    }
    let (_, none) = sample(&s, &file, 0);
    assert!(none.is_empty());
}

#[test]
fn samples_have_a_size_limit() {
    let s = settings(1);
    let file = build(&s, &rows());
    let err = synthesize(&s, Cursor::new(&file), MAX_SYNTHETIC_ROWS + 1, Vec::new()).unwrap_err();
    assert!(err.to_string().contains("at most 10000000 rows"), "{err}");
}
