//! Records counted one at a time give the same cells as the same rows read from a file, and
//! the same checks (missing decisions, bad weights, labels that are not binary, no records).

use std::path::Path;

use mizan_fairness_io::{ReadError, Rows, Spec, load_bytes};

fn spec() -> Spec {
    Spec {
        label: "y".into(),
        prediction: "p".into(),
        sensitive: vec!["sex".into(), "region".into()],
        control: Some("branch".into()),
        weight: Some("w".into()),
        pos_label: None,
        ..Spec::default()
    }
}

#[test]
fn rows_count_as_the_file_reader_does() {
    let mut csv = String::from("y,p,sex,region,branch,w\n");
    let mut rows = Rows::new("records", &spec()).unwrap();
    for i in 0..40_000usize {
        let (y, p) = (i % 3 == 0, i % 5 < 2);
        let sex = ["f", "m", ""][i % 3];
        let region = ["north", "south"][i % 7 % 2];
        let branch = ["a", "b", "c"][i % 11 % 3];
        let w = format!("{}", 0.5 + (i % 4) as f64);
        csv.push_str(&format!("{},{},{sex},{region},{branch},{w}\n", u8::from(y), u8::from(p)));
        let (y, p) = (u8::from(y).to_string(), u8::from(p).to_string());
        let sex = (!sex.is_empty()).then_some(sex);
        rows.push(&[Some(&y), Some(&p), sex, Some(region), Some(branch)], Some(&w)).unwrap();
    }
    let from_file = load_bytes(Path::new("records.csv"), csv.as_bytes(), &spec()).unwrap();
    let counted = rows.finish().unwrap();
    assert_eq!(counted.rows, 40_000);
    assert_eq!(counted.pos_label, from_file.pos_label);
    assert_eq!(counted.cells.cells(), from_file.cells.cells());
}

#[test]
fn bad_records_are_named_by_row() {
    let one = |y: Option<&'static str>, w: Option<&'static str>| {
        let mut r = Rows::new("logged decisions", &spec()).unwrap();
        r.push(&[Some("1"), Some("1"), Some("f"), Some("n"), Some("a")], Some("1")).unwrap();
        r.push(&[y, Some("0"), Some("f"), Some("n"), Some("a")], w).map(|()| r)
    };
    let e = one(None, Some("1")).unwrap_err().to_string();
    assert!(e.contains("`y` is `null` at data row 2 of `logged decisions`"), "{e}");
    let e = one(Some("1"), Some("-2")).unwrap_err().to_string();
    assert!(e.contains("weight column `w` is `-2` at data row 2"), "{e}");
    let r = Rows::new("logged decisions", &spec()).unwrap();
    assert!(matches!(r.finish().unwrap_err(), ReadError::Empty { .. }));
    let mut r = Rows::new("logged decisions", &Spec { weight: None, ..spec() }).unwrap();
    r.push(&[Some("approve"), Some("approve"), None, None, None], None).unwrap();
    r.push(&[Some("decline"), Some("decline"), None, None, None], None).unwrap();
    assert!(matches!(r.finish().unwrap_err(), ReadError::NotBinary { .. }));
}
