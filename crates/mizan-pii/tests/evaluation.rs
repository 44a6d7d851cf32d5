//! Precision and recall of every recogniser on the hand-labelled synthetic evaluation set
//! (`tests/data/eval/columns.csv`, written by `oracles/pii/generate_eval.py`), against the
//! issue's goal: recall ≥ 0.99 and precision ≥ 0.95 for every kind.
//!
//! Three views of the same rows, each printed as a Markdown table (`cargo test -p mizan-pii
//! --test evaluation -- --nocapture`; `oracles/pii/presidio-report.md` copies them):
//!
//! - **per value, in its column** (asserted): the rows of one `column_name` are scanned as a
//!   column with [`ColumnScanner`]; each value is then judged by [`ColumnContext::kind_of`]
//!   under the column's name, and, where the column was flagged by value share alone, under
//!   [`ColumnContext::assuming`] its kind (how a header-less column of plain CNICs is read).
//! - **per column** (asserted: every column right): the scanner's finding against the column's
//!   majority label.
//! - **per value, as free text** (printed only): [`find_in_text`] on the value alone, no
//!   column name, a match counting when it covers the whole value. This is what Presidio sees.

use std::collections::BTreeMap;

use mizan_pii::{ColumnContext, ColumnScanner, Evidence, Kind, find_in_text};

const DATA: &str = include_str!("data/eval/columns.csv");

/// One labelled row.
struct Row {
    column: String,
    value: String,
    label: Option<Kind>,
}

/// Splits one CSV record (RFC 4180 quoting, as Python's `csv` writes it).
fn fields(line: &str) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        let cur = out.last_mut().expect("one field at least");
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(String::new()),
            _ => cur.push(c),
        }
    }
    out
}

fn rows() -> Vec<Row> {
    let mut lines = DATA.lines();
    assert_eq!(lines.next(), Some("column_name,value,label"));
    lines
        .map(|line| {
            let f = fields(line);
            assert_eq!(f.len(), 3, "{line}");
            let label = match f[2].as_str() {
                "none" => None,
                id => Some(Kind::from_id(id).unwrap_or_else(|| panic!("unknown label `{id}`"))),
            };
            Row { column: f[0].clone(), value: f[1].clone(), label }
        })
        .collect()
}

/// True positives, false positives and false negatives per kind.
#[derive(Default)]
struct Tally(BTreeMap<Kind, [u32; 3]>);

impl Tally {
    fn add(&mut self, label: Option<Kind>, predicted: Option<Kind>) {
        match (label, predicted) {
            (Some(l), Some(p)) if l == p => self.0.entry(l).or_default()[0] += 1,
            _ => {
                if let Some(p) = predicted {
                    self.0.entry(p).or_default()[1] += 1;
                }
                if let Some(l) = label {
                    self.0.entry(l).or_default()[2] += 1;
                }
            }
        }
    }

    /// (precision, recall, support) of `kind`.
    fn scores(&self, kind: Kind) -> (f64, f64, u32) {
        let [tp, fp, fnn] = self.0.get(&kind).copied().unwrap_or_default();
        let ratio = |a: u32, b: u32| if b == 0 { 1.0 } else { f64::from(a) / f64::from(b) };
        (ratio(tp, tp + fp), ratio(tp, tp + fnn), tp + fnn)
    }

    fn table(&self, title: &str) -> String {
        let mut s = format!(
            "{title}\n\n| kind | support | precision | recall | FP | FN |\n|---|---:|---:|---:|---:|---:|\n"
        );
        for kind in Kind::ALL {
            let (p, r, n) = self.scores(kind);
            let [_, fp, fnn] = self.0.get(&kind).copied().unwrap_or_default();
            s += &format!("| `{kind}` | {n} | {p:.3} | {r:.3} | {fp} | {fnn} |\n");
        }
        s
    }
}

/// Rows grouped by column, in first-seen order.
fn columns(rows: &[Row]) -> Vec<(&str, Vec<&Row>)> {
    let mut out: Vec<(&str, Vec<&Row>)> = Vec::new();
    for r in rows {
        match out.iter_mut().find(|(c, _)| *c == r.column) {
            Some((_, v)) => v.push(r),
            None => out.push((&r.column, vec![r])),
        }
    }
    out
}

/// The label most of a column's rows carry (ties to the first seen).
fn majority(rows: &[&Row]) -> Option<Kind> {
    let mut counts: Vec<(Option<Kind>, usize)> = Vec::new();
    for r in rows {
        match counts.iter_mut().find(|(l, _)| *l == r.label) {
            Some((_, n)) => *n += 1,
            None => counts.push((r.label, 1)),
        }
    }
    counts.iter().rev().max_by_key(|(_, n)| *n).and_then(|(l, _)| *l)
}

#[test]
fn precision_and_recall_per_recogniser() {
    let rows = rows();
    let mut per_value = Tally::default();
    let mut per_column = Tally::default();
    let mut as_text = Tally::default();
    let mut misses = Vec::new();
    let mut wrong_columns = Vec::new();
    for (name, col) in columns(&rows) {
        let mut scan = ColumnScanner::new(name);
        for r in &col {
            scan.observe(&r.value);
        }
        let finding = scan.finish();
        let mut ctx = ColumnContext::new(name);
        if let Some(f) = finding.filter(|f| f.evidence == Evidence::ValueShare) {
            ctx = ctx.assuming(f.kind);
        }
        for r in &col {
            let predicted = ctx.kind_of(&r.value);
            per_value.add(r.label, predicted);
            if predicted != r.label {
                misses.push(format!("{name:?} {:?}: label {:?}, got {predicted:?}", r.value, r.label));
            }
            let trimmed = r.value.trim();
            let text =
                find_in_text(trimmed).into_iter().find(|m| m.range == (0..trimmed.len())).map(|m| m.kind);
            as_text.add(r.label, text);
        }
        let expected = majority(&col);
        let got = finding.map(|f| f.kind);
        per_column.add(expected, got);
        if got != expected {
            wrong_columns.push(format!("{name:?}: expected {expected:?}, got {finding:?}"));
        }
    }
    println!(
        "{}",
        per_value.table("Per value, in its column (the rows of one column_name scanned as a column)")
    );
    println!("{}", per_column.table("Per column (finding against the column's majority label)"));
    println!("{}", as_text.table("Per value as free text (`find_in_text`, no column name)"));
    println!("misclassified values ({}):\n{}", misses.len(), misses.join("\n"));
    for kind in Kind::ALL {
        let (p, r, n) = per_value.scores(kind);
        assert!(n >= 100, "`{kind}` has {n} labelled values, the set promises 100");
        assert!(r >= 0.99, "`{kind}` recall {r:.3} < 0.99");
        assert!(p >= 0.95, "`{kind}` precision {p:.3} < 0.95");
    }
    assert!(wrong_columns.is_empty(), "columns flagged wrongly:\n{}", wrong_columns.join("\n"));
}
