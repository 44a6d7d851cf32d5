//! Rare values are renamed in a report's cells, and nothing else changes.

use mizan_fairness::{Cells, Column, Input};

#[test]
fn rare_values_are_withheld_and_counts_kept() {
    // 12 rows "f", 12 rows "m", one row with a value that names a person.
    let mut sex: Vec<&str> = vec!["f"; 12];
    sex.extend(vec!["m"; 12]);
    sex.push("Ayesha Khan, 12 Mall Road");
    let n = sex.len();
    let label: Vec<bool> = (0..n).map(|i| i % 2 == 0).collect();
    let prediction: Vec<bool> = (0..n).map(|i| i % 3 == 0).collect();
    let column = Column::from_values("sex", sex.iter().map(|s| Some(*s)));
    let cells = Cells::count(&Input {
        label: &label,
        prediction: &prediction,
        sensitive: std::slice::from_ref(&column),
        control: None,
        weight: None,
    })
    .unwrap();
    let masked = cells.withhold_rare(10, |n| format!("(withheld {n})"));
    let text = format!("{masked:?}");
    assert!(!text.contains("Ayesha"), "{text}");
    assert_eq!(
        masked.groups(),
        vec![vec!["(withheld 1)".to_owned()], vec!["f".to_owned()], vec!["m".to_owned()]]
    );
    assert_eq!(masked.total(None), cells.total(None));
    assert_eq!(
        masked.get(None, &["(withheld 1)".to_owned()]),
        cells.get(None, &["Ayesha Khan, 12 Mall Road".to_owned()])
    );
    assert_eq!(masked.get(None, &["f".to_owned()]), cells.get(None, &["f".to_owned()]));
}
