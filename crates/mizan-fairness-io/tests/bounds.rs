//! Bounded work: a file with too many groups, too many intersections, a value too long, or
//! a Parquet file declaring too many decompressed bytes is refused with an error naming the
//! column (and row), before the work grows with it. Time and memory are measured in
//! `bench/bounds/`, never here; these tests check the limits and the errors.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::Arc;

use arrow_array::{ArrayRef, Int64Array, RecordBatch, StringArray};
use mizan_fairness_io::{Bounds, ReadError, Rows, Spec, load_bytes};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

fn spec(sensitive: &[&str]) -> Spec {
    Spec {
        label: "y".into(),
        prediction: "p".into(),
        sensitive: sensitive.iter().map(|s| (*s).to_owned()).collect(),
        ..Spec::default()
    }
}

/// A CSV of `rows` rows whose column `zip` takes `distinct` values and `sex` two.
fn csv(rows: usize, distinct: usize) -> Vec<u8> {
    let mut s = String::from("y,p,sex,zip\n");
    for i in 0..rows {
        let _ = writeln!(s, "{},{},{},z{}", i % 2, (i / 2) % 2, ["f", "m"][i % 2], i % distinct);
    }
    s.into_bytes()
}

#[test]
fn defaults_are_the_documented_ones() {
    let b = Bounds::default();
    assert_eq!(
        (b.groups_per_feature, b.intersections, b.value_chars, b.chunk_bytes, b.file_bytes),
        (2000, 5000, 256, 16 << 20, 128 << 20)
    );
}

#[test]
fn a_column_with_too_many_groups_is_refused_naming_it() {
    // The bomb: 20,000 distinct values in a sensitive column.
    let bytes = csv(20_000, 20_000);
    let e = load_bytes(Path::new("bomb.csv"), &bytes, &spec(&["zip"])).unwrap_err();
    match &e {
        ReadError::TooManyGroups { column, limit } => assert_eq!((column.as_str(), *limit), ("zip", 2000)),
        other => panic!("{other}"),
    }
    assert!(e.to_string().contains("column `zip` has more than 2000 distinct values"), "{e}");
    // At the limit, the same column is read.
    let ok = csv(4000, 2000);
    let loaded = load_bytes(Path::new("ok.csv"), &ok, &spec(&["zip"])).unwrap();
    assert_eq!(loaded.rows, 4000);
    // A control column is bounded too.
    let s = Spec { control: Some("zip".into()), ..spec(&["sex"]) };
    let e = load_bytes(Path::new("bomb.csv"), &bytes, &s).unwrap_err();
    assert!(matches!(&e, ReadError::TooManyGroups { column, .. } if column == "zip"), "{e}");
}

#[test]
fn too_many_intersections_are_refused_naming_the_columns() {
    let bytes = csv(8000, 4000);
    let tight = Bounds { intersections: 7999, ..Bounds::default() };
    // 2 × 4000 = 8000 intersections; `zip` alone is over the per-column limit.
    let s = Spec { bounds: Bounds { groups_per_feature: 4000, ..tight }, ..spec(&["sex", "zip"]) };
    let e = load_bytes(Path::new("x.csv"), &bytes, &s).unwrap_err();
    match &e {
        ReadError::TooManyIntersections { columns, found, limit } => {
            assert_eq!(columns, "`sex` (2) × `zip` (4000)");
            assert_eq!((*found, *limit), (8000, 7999));
        }
        other => panic!("{other}"),
    }
    // One more allowed, and it is read.
    let s = Spec { bounds: Bounds { groups_per_feature: 4000, intersections: 8000, ..tight }, ..s };
    assert_eq!(load_bytes(Path::new("x.csv"), &bytes, &s).unwrap().rows, 8000);
}

#[test]
fn a_long_value_is_refused_naming_column_and_row() {
    let long = "x".repeat(257);
    let bytes = format!("y,p,sex\n1,1,f\n0,0,m\n1,0,{long}\n").into_bytes();
    let e = load_bytes(Path::new("x.csv"), &bytes, &spec(&["sex"])).unwrap_err();
    match &e {
        ReadError::ValueTooLong { column, row, chars, limit } => {
            assert_eq!((column.as_str(), *row, *chars, *limit), ("sex", 3, 257, 256));
        }
        other => panic!("{other}"),
    }
    // Characters, not bytes: 256 two-byte characters are allowed.
    let urdu = "ی".repeat(256);
    let bytes = format!("y,p,sex\n1,1,f\n0,0,{urdu}\n").into_bytes();
    assert_eq!(load_bytes(Path::new("x.csv"), &bytes, &spec(&["sex"])).unwrap().rows, 2);
    // Labels are bounded too, and so are logged decisions.
    let bytes = format!("y,p,sex\n1,1,f\n{long},0,m\n").into_bytes();
    let e = load_bytes(Path::new("x.csv"), &bytes, &spec(&["sex"])).unwrap_err();
    assert!(matches!(&e, ReadError::ValueTooLong { column, row: 2, .. } if column == "y"), "{e}");
    let mut r = Rows::new("logged", &spec(&["sex"])).unwrap();
    r.push(&[Some("1"), Some("1"), Some("f")], None).unwrap();
    let e = r.push(&[Some("1"), Some("1"), Some(&long)], None).unwrap_err();
    assert!(matches!(&e, ReadError::ValueTooLong { column, row: 2, .. } if column == "sex"), "{e}");
}

#[test]
fn a_bad_weight_is_shown_clipped() {
    let long = "w".repeat(10_000);
    let bytes = format!("y,p,sex,w\n1,1,f,{long}\n").into_bytes();
    let s = Spec { weight: Some("w".into()), ..spec(&["sex"]) };
    let e = load_bytes(Path::new("x.csv"), &bytes, &s).unwrap_err();
    assert!(matches!(&e, ReadError::BadWeight { .. }), "{e}");
    assert!(e.to_string().len() < 300, "{e}");
}

/// A Parquet file (LZ4) with `n` rows whose `sex` value is `len` bytes long.
fn parquet_with_long_strings(n: usize, len: usize) -> Vec<u8> {
    let value = "a".repeat(len);
    let y: ArrayRef = Arc::new(Int64Array::from(vec![1; n]));
    let sex: ArrayRef = Arc::new(StringArray::from(vec![value.as_str(); n]));
    let other: ArrayRef = Arc::new(StringArray::from(vec![value.as_str(); n]));
    let batch =
        RecordBatch::try_from_iter([("y", y.clone()), ("p", y), ("sex", sex), ("other", other)]).unwrap();
    let props = WriterProperties::builder()
        .set_compression(Compression::LZ4_RAW)
        .set_dictionary_enabled(false)
        .set_max_row_group_row_count(Some(1))
        .build();
    let mut out = Vec::new();
    let mut w = ArrowWriter::try_new(&mut out, batch.schema(), Some(props)).unwrap();
    w.write(&batch).unwrap();
    w.close().unwrap();
    out
}

#[test]
fn parquet_declaring_too_many_decompressed_bytes_is_refused_before_decoding() {
    // The bomb, smaller: LZ4 strings that compress ~250:1.
    let bytes = parquet_with_long_strings(4, 2 << 20);
    assert!(bytes.len() < 200 << 10, "{} bytes", bytes.len());
    let tight = Bounds { chunk_bytes: 1 << 20, ..Bounds::default() };
    let s = Spec { bounds: tight, ..spec(&["sex"]) };
    let e = load_bytes(Path::new("bomb.parquet"), &bytes, &s).unwrap_err();
    match &e {
        ReadError::DecompressedChunk { column, row_group, declared, limit, .. } => {
            assert_eq!((column.as_str(), *row_group), ("sex", 1));
            assert!(*declared > 2 << 20, "{declared}");
            assert_eq!(*limit, 1 << 20);
        }
        other => panic!("{other}"),
    }
    // Per file: each chunk is allowed, their sum is not.
    let s = Spec { bounds: Bounds { chunk_bytes: 4 << 20, file_bytes: 6 << 20, ..tight }, ..s };
    let e = load_bytes(Path::new("bomb.parquet"), &bytes, &s).unwrap_err();
    match &e {
        ReadError::DecompressedFile { declared, limit, .. } => {
            assert!(*declared > 8 << 20, "{declared}");
            assert_eq!(*limit, 6 << 20);
        }
        other => panic!("{other}"),
    }
    // Unrequested columns are not counted (`other` is as large as `sex`), and once the
    // declared bytes are allowed, the value itself is refused naming column and row.
    let s = Spec { bounds: Bounds { chunk_bytes: 4 << 20, file_bytes: 9 << 20, ..tight }, ..s };
    let e = load_bytes(Path::new("bomb.parquet"), &bytes, &s).unwrap_err();
    assert!(
        matches!(&e, ReadError::ValueTooLong { column, row: 1, chars, .. } if column == "sex" && *chars == 2 << 20),
        "{e}"
    );
    // The defaults refuse the bomb (16 MiB strings) by its metadata.
    let e = load_bytes(Path::new("bomb.parquet"), &parquet_with_long_strings(1, 16 << 20), &spec(&["sex"]))
        .unwrap_err();
    assert!(matches!(&e, ReadError::DecompressedChunk { column, .. } if column == "sex"), "{e}");
}
