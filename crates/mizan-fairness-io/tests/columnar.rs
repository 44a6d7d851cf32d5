//! Parquet and Arrow IPC input: the same decisions give the same cells as CSV whatever the
//! column types (integers, booleans, floats, text, dictionaries, nulls), only the requested
//! columns are decoded, and bad columnar input fails naming the column or row.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::types::Int32Type;
use arrow_array::{
    ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int64Array, RecordBatch, StringArray,
};
use mizan_fairness_io::{ReadError, Spec, load};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::File::create(&path).unwrap().write_all(bytes).unwrap();
    path
}

fn parquet_bytes(batch: &RecordBatch, compression: Compression) -> Vec<u8> {
    let props =
        WriterProperties::builder().set_compression(compression).set_max_row_group_row_count(Some(3)).build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    out
}

fn ipc_file_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::FileWriter::try_new(&mut out, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

fn ipc_stream_bytes(batch: &RecordBatch) -> Vec<u8> {
    let mut out = Vec::new();
    let mut w = arrow_ipc::writer::StreamWriter::try_new(&mut out, &batch.schema()).unwrap();
    w.write(batch).unwrap();
    w.finish().unwrap();
    drop(w);
    out
}

/// The same eight decisions as a CSV and as a typed Arrow batch: integer labels and
/// decisions, a text feature with a null and an `NA`, a dictionary feature, float weights,
/// and unrequested boolean and date columns.
const CSV: &str = "y,p,sex,region,w\n\
    1,1,f,north,1.5\n0,0,m,south,1\n1,1,,north,2\n0,1,m,north,0.5\n\
    1,0,f,south,1\n0,0,NA,south,3\n1,1,m,north,1\n0,0,f,north,2.25\n";

fn batch() -> RecordBatch {
    let y: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1, 0, 1, 0, 1, 0]));
    let p: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1, 1, 0, 0, 1, 0]));
    let approved: ArrayRef =
        Arc::new(BooleanArray::from(vec![true, false, true, true, false, false, true, false]));
    let sex: ArrayRef = Arc::new(StringArray::from(vec![
        Some("f"),
        Some("m"),
        None,
        Some("m"),
        Some("f"),
        Some("NA"),
        Some("m"),
        Some("f"),
    ]));
    let region: ArrayRef = Arc::new(
        ["north", "south", "north", "north", "south", "south", "north", "north"]
            .into_iter()
            .collect::<DictionaryArray<Int32Type>>(),
    );
    let w: ArrayRef = Arc::new(Float64Array::from(vec![1.5, 1.0, 2.0, 0.5, 1.0, 3.0, 1.0, 2.25]));
    let when: ArrayRef = Arc::new(Date32Array::from(vec![19_000; 8]));
    RecordBatch::try_from_iter([
        ("y", y),
        ("p", p),
        ("sex", sex),
        ("region", region),
        ("w", w),
        ("approved", approved),
        ("when", when),
    ])
    .unwrap()
}

fn spec() -> Spec {
    Spec {
        label: "y".into(),
        prediction: "p".into(),
        sensitive: vec!["sex".into(), "region".into()],
        weight: Some("w".into()),
        ..Spec::default()
    }
}

#[test]
fn parquet_and_ipc_give_the_cells_csv_gives() {
    let dir = tempfile::tempdir().unwrap();
    let want = load(&write(dir.path(), "d.csv", CSV.as_bytes()), &spec()).unwrap();
    let b = batch();
    for (name, bytes) in [
        ("snappy.parquet", parquet_bytes(&b, Compression::SNAPPY)),
        ("lz4.parquet", parquet_bytes(&b, Compression::LZ4_RAW)),
        ("plain.parquet", parquet_bytes(&b, Compression::UNCOMPRESSED)),
        ("d.arrow", ipc_file_bytes(&b)),
        ("d.arrows", ipc_stream_bytes(&b)),
    ] {
        let got = load(&write(dir.path(), name, &bytes), &spec()).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(got.cells, want.cells, "{name}");
        assert_eq!((got.rows, got.pos_label.as_str()), (8, "1"), "{name}");
        assert_eq!(got.sha256.len(), 64);
        assert_ne!(got.sha256, want.sha256);
    }
    // Null and `NA` both joined the visible missing group.
    assert_eq!(want.cells.get(None, &["(missing)".into(), "north".into()]).rows(), 1);
    assert_eq!(want.cells.get(None, &["(missing)".into(), "south".into()]).rows(), 1);
}

#[test]
fn boolean_decisions_infer_true_as_positive() {
    let dir = tempfile::tempdir().unwrap();
    let s = Spec { label: "approved".into(), prediction: "approved".into(), ..spec() };
    let got =
        load(&write(dir.path(), "b.parquet", &parquet_bytes(&batch(), Compression::SNAPPY)), &s).unwrap();
    assert_eq!(got.pos_label, "true");
    assert_eq!(got.cells.total(None).n[0], 4, "four true positives");
}

#[test]
fn missing_column_lists_the_columns_present() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "d.parquet", &parquet_bytes(&batch(), Compression::SNAPPY));
    let s = Spec { sensitive: vec!["gender".into()], ..spec() };
    let e = load(&p, &s).unwrap_err().to_string();
    assert!(e.contains("column `gender` not found"), "{e}");
    assert!(e.contains("`y`, `p`, `sex`, `region`, `w`, `approved`, `when`"), "{e}");
}

#[test]
fn unsupported_types_and_null_labels_name_the_column_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "d.parquet", &parquet_bytes(&batch(), Compression::SNAPPY));
    let s = Spec { sensitive: vec!["when".into()], ..spec() };
    let e = load(&p, &s).unwrap_err();
    assert!(matches!(e, ReadError::ColumnType { .. }), "{e}");
    assert!(e.to_string().contains("column `when`") && e.to_string().contains("Date32"), "{e}");

    let y: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), Some(0), None]));
    let p2: ArrayRef = Arc::new(Int64Array::from(vec![1, 0, 1]));
    let sex: ArrayRef = Arc::new(StringArray::from(vec!["f", "m", "f"]));
    let b = RecordBatch::try_from_iter([("y", y), ("p", p2), ("sex", sex)]).unwrap();
    let path = write(dir.path(), "null.parquet", &parquet_bytes(&b, Compression::SNAPPY));
    let s =
        Spec { label: "y".into(), prediction: "p".into(), sensitive: vec!["sex".into()], ..Spec::default() };
    let e = load(&path, &s).unwrap_err().to_string();
    assert!(e.contains("column `y` is `null` at data row 3"), "{e}");
}

#[test]
fn unreadable_and_empty_columnar_files() {
    let dir = tempfile::tempdir().unwrap();
    let e = load(&write(dir.path(), "bad.parquet", b"PAR1\x00\x00garbage"), &spec()).unwrap_err().to_string();
    assert!(e.contains("as Parquet"), "{e}");
    let e = load(&write(dir.path(), "bad.arrow", b"ARROW1\x00\x00junk"), &spec()).unwrap_err().to_string();
    assert!(e.contains("as Arrow IPC"), "{e}");
    let empty = batch().slice(0, 0);
    let e = load(&write(dir.path(), "empty.parquet", &parquet_bytes(&empty, Compression::SNAPPY)), &spec())
        .unwrap_err();
    assert!(matches!(e, ReadError::Empty { .. }), "{e}");
}

#[test]
fn german_credit_as_parquet_matches_the_csv() {
    let data = Path::new(env!("CARGO_MANIFEST_DIR")).join("../mizan-fairness/tests/data/fairlearn");
    let csv_path = data.join("german_credit_scored.csv");
    let s = Spec {
        label: "risk".into(),
        prediction: "prediction".into(),
        sensitive: vec!["sex".into(), "age_band".into()],
        ..Spec::default()
    };
    let want = load(&csv_path, &s).unwrap();
    let mut rdr = csv::Reader::from_path(&csv_path).unwrap();
    let headers = rdr.headers().unwrap().clone();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let col = |n: &str| headers.iter().position(|h| h == n).unwrap();
    let ints = |n: &str| -> ArrayRef {
        Arc::new(Int64Array::from(rows.iter().map(|r| r[col(n)].parse::<i64>().unwrap()).collect::<Vec<_>>()))
    };
    let text = |n: &str| -> ArrayRef {
        Arc::new(StringArray::from_iter_values(rows.iter().map(|r| r[col(n)].to_owned())))
    };
    let b = RecordBatch::try_from_iter([
        ("risk", ints("risk")),
        ("prediction", ints("prediction")),
        ("sex", text("sex")),
        ("age_band", text("age_band")),
        ("purpose", text("purpose")),
        ("credit_amount", ints("credit_amount")),
    ])
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let got =
        load(&write(dir.path(), "german.parquet", &parquet_bytes(&b, Compression::SNAPPY)), &s).unwrap();
    assert_eq!(got.cells, want.cells);
    assert_eq!(got.rows, 1000);
}
