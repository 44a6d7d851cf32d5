//! The count pass streams: however a file is cut into chunks (CSV blocks of any size,
//! Parquet row groups and batches of any size), the merged cells are identical to counting
//! every row at once, and the first bad row is reported with the same row and line.

use std::fmt::Write as _;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow_array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use mizan_fairness::{Cells, Column, Input};
use mizan_fairness_io::{Options, Progress, ReadError, Spec, load_bytes, load_with};
use parquet::arrow::ArrowWriter;
use parquet::file::properties::WriterProperties;
use proptest::prelude::*;

/// Sensitive values that exercise quoting: commas, newlines, doubled quotes, a literal quote
/// in an unquoted field, and the spellings of a missing value.
const SEX: [&str; 8] = ["f", "m", "", "NA", "x,y", "two\nlines", "say \"hi\"", "ab\"c"];

#[derive(Debug, Clone)]
struct Row {
    y: bool,
    p: bool,
    sex: usize,
    region: bool,
    /// Quarter units, so sums are exact in any order.
    w: u8,
    crlf: bool,
    blank_after: bool,
}

fn rows() -> impl Strategy<Value = Vec<Row>> {
    let row = (
        any::<bool>(),
        any::<bool>(),
        0..SEX.len(),
        any::<bool>(),
        0u8..9,
        any::<bool>(),
        prop::bool::weighted(0.1),
    )
        .prop_map(|(y, p, sex, region, w, crlf, blank_after)| Row {
            y,
            p,
            sex,
            region,
            w,
            crlf,
            blank_after,
        });
    // One positive label, so the positive label can be inferred.
    prop::collection::vec(row, 1..120).prop_map(|mut rows| {
        rows[0].y = true;
        rows
    })
}

fn quote(v: &str) -> String {
    if v == "ab\"c" {
        // A quote inside an unquoted field is a literal.
        v.to_owned()
    } else if v.contains([',', '\n', '"']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v.to_owned()
    }
}

fn csv(rows: &[Row]) -> String {
    let mut out = String::from("y,p,sex,region,w\n");
    for r in rows {
        let end = if r.crlf { "\r\n" } else { "\n" };
        write!(
            out,
            "{},{},{},{},{}{end}",
            u8::from(r.y),
            u8::from(r.p),
            quote(SEX[r.sex]),
            if r.region { "north" } else { "south" },
            f64::from(r.w) / 4.0
        )
        .unwrap();
        if r.blank_after {
            out.push_str(end);
        }
    }
    out
}

fn spec() -> Spec {
    Spec {
        label: "y".into(),
        prediction: "p".into(),
        sensitive: vec!["sex".into()],
        control: Some("region".into()),
        weight: Some("w".into()),
        pos_label: None,
        ..Spec::default()
    }
}

/// The cells counted directly from the rows, with the readers' missing-value rule.
fn oracle(rows: &[Row]) -> Cells {
    let label: Vec<bool> = rows.iter().map(|r| r.y).collect();
    let prediction: Vec<bool> = rows.iter().map(|r| r.p).collect();
    let sex = Column::from_values("sex", rows.iter().map(|r| Some(SEX[r.sex]).filter(|s| *s != "NA")));
    let region =
        Column::from_values("region", rows.iter().map(|r| Some(if r.region { "north" } else { "south" })));
    let w: Vec<f64> = rows.iter().map(|r| f64::from(r.w) / 4.0).collect();
    Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: std::slice::from_ref(&sex),
        control: Some(&region),
        weight: Some(&w),
    })
    .unwrap()
}

fn file(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn parquet(rows: &[Row], group: usize) -> Vec<u8> {
    let ints = |f: fn(&Row) -> bool| -> ArrayRef {
        Arc::new(Int64Array::from(rows.iter().map(|r| i64::from(f(r))).collect::<Vec<_>>()))
    };
    let sex: ArrayRef = Arc::new(StringArray::from(
        rows.iter().map(|r| Some(SEX[r.sex]).filter(|s| !s.is_empty())).collect::<Vec<_>>(),
    ));
    let region: ArrayRef = Arc::new(StringArray::from_iter_values(
        rows.iter().map(|r| if r.region { "north" } else { "south" }),
    ));
    let w: ArrayRef =
        Arc::new(Float64Array::from(rows.iter().map(|r| f64::from(r.w) / 4.0).collect::<Vec<_>>()));
    let batch = RecordBatch::try_from_iter([
        ("y", ints(|r| r.y)),
        ("p", ints(|r| r.p)),
        ("sex", sex),
        ("region", region),
        ("w", w),
    ])
    .unwrap();
    let props = WriterProperties::builder().set_max_row_group_row_count(Some(group)).build();
    let mut out = Vec::new();
    let mut writer = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    writer.write(&batch).unwrap();
    writer.close().unwrap();
    out
}

/// Counts the bytes a reader reports as done.
#[derive(Default)]
struct Meter {
    total: AtomicU64,
    done: AtomicU64,
}

impl Progress for Meter {
    fn add_work(&self, bytes: u64) {
        self.total.fetch_add(bytes, Ordering::Relaxed);
    }
    fn work_done(&self, bytes: u64) {
        self.done.fetch_add(bytes, Ordering::Relaxed);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn csv_blocks_of_any_size_give_the_same_cells(rows in rows(), block in 1usize..400, batch in 1usize..50) {
        let text = csv(&rows);
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, "d.csv", text.as_bytes());
        let whole = load_with(&path, &spec(), &Options { csv_block: 1 << 30, ..Options::default() }).unwrap();
        let meter = Meter::default();
        let opts = Options { csv_block: block, batch_rows: batch, progress: Some(&meter) };
        let cut = load_with(&path, &spec(), &opts).unwrap();
        prop_assert_eq!(&cut.cells, &whole.cells);
        prop_assert_eq!(&cut.cells, &oracle(&rows));
        prop_assert_eq!((cut.rows, &cut.pos_label, &cut.sha256), (rows.len(), &whole.pos_label, &whole.sha256));
        // Every byte is hashed and scanned once and every data byte parsed once.
        prop_assert_eq!(meter.done.load(Ordering::Relaxed), meter.total.load(Ordering::Relaxed));
        let in_memory = load_bytes(&path, text.as_bytes(), &spec()).unwrap();
        prop_assert_eq!(&in_memory.cells, &whole.cells);
    }

    #[test]
    fn parquet_row_groups_and_batches_of_any_size_give_the_same_cells(
        rows in rows(), group in 1usize..40, batch in 1usize..40,
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, "d.parquet", &parquet(&rows, group));
        let meter = Meter::default();
        let got = load_with(&path, &spec(), &Options { batch_rows: batch, progress: Some(&meter), ..Options::default() })
            .unwrap();
        prop_assert_eq!(&got.cells, &oracle(&rows));
        prop_assert_eq!(got.rows, rows.len());
        prop_assert!(meter.done.load(Ordering::Relaxed) <= meter.total.load(Ordering::Relaxed));
    }

    #[test]
    fn the_first_bad_row_is_reported_whatever_the_blocks(
        rows in rows(), bad in any::<prop::sample::Index>(), weight_first in any::<bool>(), block in 1usize..200,
    ) {
        // Row `k` gets a missing label; with `weight_first`, the row before it also gets a
        // negative weight, which is then the first error.
        let k = bad.index(rows.len());
        let mut text = String::from("y,p,sex,region,w\n");
        let mut line = 2;
        let mut line_of = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            let w = if weight_first && i + 1 == k { "-1".to_owned() } else { (f64::from(r.w) / 4.0).to_string() };
            let y = if i == k { "NaN" } else if r.y { "1" } else { "0" };
            writeln!(text, "{y},{},{},south,{w}", u8::from(r.p), quote(SEX[r.sex])).unwrap();
            line_of.push(line);
            line += 1 + SEX[r.sex].matches('\n').count();
        }
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, "bad.csv", text.as_bytes());
        let e = load_with(&path, &spec(), &Options { csv_block: block, ..Options::default() }).unwrap_err();
        match e {
            ReadError::BadWeight { row, .. } => prop_assert!(weight_first && k > 0 && row == k, "row {}", row),
            ReadError::MissingValue { row, line, .. } => {
                prop_assert!(!(weight_first && k > 0) && row == k + 1, "row {}", row);
                prop_assert_eq!(line, line_of[k]);
            }
            other => prop_assert!(false, "{}", other),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn parquet_reports_the_first_bad_row(
        n in 2usize..80, label in any::<prop::sample::Index>(), weight in any::<prop::sample::Index>(),
        group in 1usize..30, batch in 1usize..30,
    ) {
        // A null label in row `k` and a negative weight in row `j` (1-based rows k + 1, j + 1).
        let (k, j) = (label.index(n), weight.index(n));
        let y: ArrayRef = Arc::new(Int64Array::from((0..n).map(|i| (i != k).then_some(1)).collect::<Vec<_>>()));
        let p: ArrayRef = Arc::new(Int64Array::from(vec![0; n]));
        let sex: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|i| ["f", "m"][i % 2])));
        let region: ArrayRef = Arc::new(StringArray::from_iter_values((0..n).map(|_| "north")));
        let w: ArrayRef = Arc::new(Float64Array::from((0..n).map(|i| if i == j { -0.5 } else { 1.0 }).collect::<Vec<_>>()));
        let b = RecordBatch::try_from_iter([("y", y), ("p", p), ("sex", sex), ("region", region), ("w", w)]).unwrap();
        let props = WriterProperties::builder().set_max_row_group_row_count(Some(group)).build();
        let mut bytes = Vec::new();
        let mut writer = ArrowWriter::try_new(&mut bytes, b.schema(), Some(props)).unwrap();
        writer.write(&b).unwrap();
        writer.close().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = file(&dir, "bad.parquet", &bytes);
        let e = load_with(&path, &spec(), &Options { batch_rows: batch, ..Options::default() }).unwrap_err();
        match e {
            ReadError::BadWeight { row, value, .. } => {
                prop_assert!(j < k && row == j + 1 && value == "-0.5", "row {} value {}", row, value);
            }
            ReadError::MissingCell { row, value, .. } => {
                prop_assert!(k <= j && row == k + 1 && value == "null", "row {}", row);
            }
            other => prop_assert!(false, "{}", other),
        }
    }
}

#[test]
fn csv_with_only_a_header_or_nothing_is_empty_for_any_block() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in
        [("h.csv", "y,p,sex,region,w\n"), ("e.csv", ""), ("b.csv", "y,p,sex,region,w\n\n\r\n")]
    {
        let path = file(&dir, name, text.as_bytes());
        for block in [1, 1 << 20] {
            let e =
                load_with(&path, &spec(), &Options { csv_block: block, ..Options::default() }).unwrap_err();
            assert!(matches!(e, ReadError::Empty { .. }), "{name}: {e}");
        }
    }
}
