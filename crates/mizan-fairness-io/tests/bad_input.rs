//! Reader tests: good files audit, and every bad input named in issue 5 gives a clear error.

use std::io::Write;
use std::path::PathBuf;

use mizan_fairness_io::{ReadError, Spec, load};

fn file(contents: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("decisions.csv");
    std::fs::File::create(&path).unwrap().write_all(contents).unwrap();
    (dir, path)
}

fn spec() -> Spec {
    Spec { label: "y".into(), prediction: "p".into(), sensitive: vec!["sex".into()], ..Spec::default() }
}

#[test]
fn reads_and_counts() {
    let (_d, p) = file(b"y,p,sex\n1,1,f\n0,1,m\n-1,0,\n");
    // {-1, 0, 1} is not binary
    assert!(matches!(load(&p, &spec()).unwrap_err(), ReadError::NotBinary { .. }));
    let (_d, p) = file(b"y,p,sex\n1,1,f\n0,1,m\n0,0,\n");
    let l = load(&p, &spec()).unwrap();
    assert_eq!(l.rows, 3);
    assert_eq!(l.pos_label, "1");
    assert_eq!(l.sha256.len(), 64);
    assert_eq!(l.cells.groups().len(), 3);
}

#[test]
fn missing_column_lists_present_columns() {
    let (_d, p) = file(b"y,p,gender\n1,1,f\n");
    let e = load(&p, &spec()).unwrap_err().to_string();
    assert!(e.contains("`sex` not found") && e.contains("`y`, `p`, `gender`"), "{e}");
}

#[test]
fn strings_need_pos_label() {
    let (_d, p) = file(b"y,p,sex\nyes,no,f\nno,yes,m\n");
    let e = load(&p, &spec()).unwrap_err().to_string();
    assert!(e.contains("--pos-label") && e.contains("`no`"), "{e}");
    let s = Spec { pos_label: Some("yes".into()), ..spec() };
    assert_eq!(load(&p, &s).unwrap().pos_label, "yes");
    let s = Spec { pos_label: Some("approved".into()), ..spec() };
    assert!(matches!(load(&p, &s).unwrap_err(), ReadError::PosLabelAbsent { .. }));
}

#[test]
fn nan_label_names_the_row() {
    let (_d, p) = file(b"y,p,sex\n1,1,f\n0,NaN,m\n");
    let e = load(&p, &spec()).unwrap_err().to_string();
    assert!(e.contains("`p`") && e.contains("data row 2") && e.contains("line 3"), "{e}");
}

#[test]
fn empty_file_and_header_only() {
    let (_d, p) = file(b"");
    assert!(matches!(load(&p, &spec()).unwrap_err(), ReadError::Empty { .. }));
    let (_d, p) = file(b"\n\n");
    assert!(matches!(load(&p, &spec()).unwrap_err(), ReadError::Empty { .. }));
    let (_d, p) = file(b"y,p,sex\n");
    assert!(matches!(load(&p, &spec()).unwrap_err(), ReadError::Empty { .. }));
}

#[test]
fn ragged_rows_are_mismatched_lengths() {
    let (_d, p) = file(b"y,p,sex\n1,1,f\n0,1\n");
    let e = load(&p, &spec()).unwrap_err().to_string();
    assert!(e.contains("line 3"), "{e}");
}

#[test]
fn parquet_is_refused_clearly() {
    let (_d, p) = file(b"PAR1\x00\x00garbage");
    let e = load(&p, &spec()).unwrap_err().to_string();
    assert!(e.contains("Parquet"), "{e}");
}

#[test]
fn bad_weight_names_the_row() {
    let (_d, p) = file(b"y,p,sex,w\n1,1,f,1.5\n0,1,m,-2\n");
    let s = Spec { weight: Some("w".into()), ..spec() };
    let e = load(&p, &s).unwrap_err().to_string();
    assert!(e.contains("row 2") && e.contains("`-2`"), "{e}");
}

#[test]
fn missing_sensitive_markers_form_one_visible_group() {
    let (_d, p) = file(b"y,p,sex\n1,1,f\n0,1,NA\n0,0,\n1,0, \n");
    let l = load(&p, &spec()).unwrap();
    let groups = l.cells.groups();
    assert_eq!(groups, vec![vec!["(missing)".to_owned()], vec!["f".to_owned()]]);
    assert_eq!(l.cells.get(None, &["(missing)".to_owned()]).rows(), 3);
}
