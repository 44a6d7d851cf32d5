//! Building and reading the bounded table: projection, the settings fingerprint, bad rows.

mod common;

use std::io::Cursor;

use common::{build, header, query, read, row, settings};
use mizan_dp::{Statistic, Table, TableBuilder, TableError, exact, plan};

fn rows() -> Vec<[String; 5]> {
    vec![
        row("a", "Punjab", "female", "Lahore", "100"),
        row("a", "Punjab", "female", "Lahore", "200"),
        row("b", "Sindh", "male", "Karachi", "1e9"),
        row("c", "Gilgit-Baltistan", "male", "Gilgit", ""),
        row("d", "Balochistan", "other", "Quetta", "-5"),
    ]
}

#[test]
fn read_for_reads_only_the_columns_the_plan_needs() {
    let s = settings(1);
    let file = build(&s, &rows());

    let (_, t) = read(&s, &file, &query(Statistic::Count, &["province"], 1.0));
    assert_eq!(t.columns(), ["province"]);
    assert_eq!(t.rows(), 4, "unit `a` keeps its first row only");
    assert_eq!((t.stats().rows_in, t.stats().rows_kept, t.stats().units), (5, 4, 4));

    let mut q = query(Statistic::Mean { column: "income".into() }, &["sex"], 1.0);
    q.filters.push(mizan_dp::Filter { column: "district".into(), values: vec!["Lahore".into()] });
    let (_, t) = read(&s, &file, &q);
    assert_eq!(t.columns(), ["sex", "district", "income"]);

    let (_, t) = read(&s, &file, &query(Statistic::Count, &[], 1.0));
    assert!(t.columns().is_empty());
    assert_eq!(t.rows(), 4);
}

#[test]
fn values_are_coded_clamped_and_defaulted() {
    let s = settings(1);
    let file = build(&s, &rows());
    let q = query(Statistic::Sum { column: "income".into() }, &["province"], 1.0);
    let (p, t) = read(&s, &file, &q);
    let cells = exact(&p, &s, &t).unwrap();
    let by: Vec<(&str, i64, i128)> =
        cells.iter().map(|c| (c.group[0].as_str(), c.count, c.sum_units)).collect();
    // `Gilgit-Baltistan` is not a public key: in no province's cell; `1e9` is clamped to
    // 1000, a missing income and `-5` take the lower bound 0
    assert_eq!(
        by,
        [("Punjab", 1, 100), ("Sindh", 1, 1000), ("Khyber Pakhtunkhwa", 0, 0), ("Balochistan", 1, 0)]
    );

    // the private dictionary of `district` is sorted and complete
    let q = query(Statistic::Count, &["district"], 1.0);
    let (p, t) = read(&s, &file, &q);
    let groups: Vec<String> = exact(&p, &s, &t).unwrap().into_iter().map(|c| c.group[0].clone()).collect();
    assert_eq!(groups, ["Gilgit", "Karachi", "Lahore", "Quetta"]);
}

#[test]
fn a_file_built_with_other_settings_is_refused() {
    let s = settings(1);
    let file = build(&s, &rows());
    for other in [
        {
            let mut o = settings(1);
            o.numeric[0].upper = 2000.0;
            o
        },
        settings(2),
        {
            let mut o = settings(1);
            o.categorical[0].keys.as_mut().unwrap().pop();
            o
        },
        {
            let mut o = settings(1);
            o.numeric[0].decimals = 2;
            o
        },
        {
            // one column more than the file has
            let mut o = settings(1);
            o.categorical.push(mizan_dp::CategoricalColumn { name: "id2".into(), keys: None });
            o
        },
    ] {
        let p = plan(&other, &query(Statistic::Count, &["province"], 1.0)).unwrap();
        let err = Table::read_for(&p, &other, Cursor::new(&file)).unwrap_err().to_string();
        assert!(err.contains("built with other sandbox settings"), "{err}");
        assert!(err.contains("rebuild it"), "{err}");
    }
    // a budget change needs no rebuild
    let mut cheaper = settings(1);
    cheaper.project_epsilon = 3.0;
    cheaper.max_query_epsilon = 0.5;
    let p = plan(&cheaper, &query(Statistic::Count, &["province"], 0.5)).unwrap();
    assert!(Table::read_for(&p, &cheaper, Cursor::new(&file)).is_ok());
}

#[test]
fn a_plan_from_other_settings_is_refused() {
    let s = settings(1);
    let file = build(&s, &rows());
    let mut p = plan(&s, &query(Statistic::Count, &["province"], 1.0)).unwrap();
    p.scale /= 2.0;
    let err = Table::read_for(&p, &s, Cursor::new(&file)).unwrap_err().to_string();
    assert!(err.contains("plan the query again"), "{err}");
    let (_, t) = read(&s, &file, &query(Statistic::Count, &["province"], 1.0));
    assert!(mizan_dp::answer(&p, &s, &t).unwrap_err().contains("plan the query again"));
}

#[test]
fn a_table_read_for_another_query_is_refused() {
    let s = settings(1);
    let file = build(&s, &rows());
    let (_, t) = read(&s, &file, &query(Statistic::Count, &["province"], 1.0));
    let other = plan(&s, &query(Statistic::Count, &["sex"], 1.0)).unwrap();
    let err = mizan_dp::answer(&other, &s, &t).unwrap_err();
    assert!(err.contains("without column `sex`"), "{err}");
}

#[test]
fn bad_rows_name_their_row() {
    let s = settings(1);
    let mut b = TableBuilder::new(&s, &header()).unwrap();
    b.push(&["a", "Punjab", "female", "Lahore", "1"]).unwrap();
    b.push(&["b", "Punjab", "female", "Lahore", "1"]).unwrap();
    let err = b.push(&["c", "Punjab", "female"]).unwrap_err();
    assert!(matches!(err, TableError::Input(_)));
    assert_eq!(err.to_string(), "data row 3: 3 fields, but the header has 5");
}

#[test]
fn a_header_without_a_declared_column_is_refused() {
    let s = settings(1);
    let header: Vec<String> = ["id", "province", "sex", "income"].iter().map(|c| (*c).to_owned()).collect();
    let err = TableBuilder::new(&s, &header).err().unwrap().to_string();
    assert!(err.contains("categorical[2].name: `district` is not a column of the dataset"), "{err}");
}

#[test]
fn garbage_is_not_a_table() {
    let s = settings(1);
    let p = plan(&s, &query(Statistic::Count, &[], 1.0)).unwrap();
    let err = Table::read_for(&p, &s, Cursor::new(b"id,province\n1,Punjab\n".to_vec())).unwrap_err();
    assert!(err.to_string().starts_with("not a sandbox table"), "{err}");
}

#[test]
fn an_empty_table_answers() {
    let s = settings(1);
    let file = build(&s, &[]);
    let q = query(Statistic::Mean { column: "income".into() }, &["province"], 1.0);
    let (p, t) = read(&s, &file, &q);
    assert_eq!(t.rows(), 0);
    let a = mizan_dp::answer(&p, &s, &t).unwrap();
    assert_eq!(a.plan, p);
    // four empty cells, each released only if its noisy count reached 10
    assert_eq!(a.cells.len() + a.suppressed, 4);
}
