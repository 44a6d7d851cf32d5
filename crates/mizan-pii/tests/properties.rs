//! No input panics any recogniser, and what is found in text lies on `char` boundaries inside
//! the text: uploads and appeal summaries are untrusted bytes.

use mizan_pii::{ColumnScanner, find_in_text, value_kind, value_kind_in_column};
use proptest::prelude::*;

/// Strings made of the characters the recognisers look at, so the interesting paths run.
fn pii_like() -> impl Strategy<Value = String> {
    proptest::string::string_regex("[0-9۰-۹+\\-. ()@:a-fA-FkKpP_/,\u{00A0}\u{2013}\u{200C}شناختیکارڈ]{0,60}")
        .expect("a valid pattern")
}

proptest! {
    #[test]
    fn value_recognisers_never_panic(v in pii_like(), any in any::<String>()) {
        let _ = value_kind(&v);
        let _ = value_kind(&any);
        let _ = value_kind_in_column(&any, &v);
        let _ = value_kind_in_column("cnic", &any);
    }

    #[test]
    fn column_scanner_never_panics(name in any::<String>(), values in proptest::collection::vec(pii_like(), 0..40)) {
        let mut scan = ColumnScanner::new(&name);
        for v in &values {
            scan.observe(v);
        }
        if let Some(f) = scan.finish() {
            prop_assert!(f.values_matching <= f.values_checked);
            prop_assert!((0.0..=1.0).contains(&f.share));
        }
    }

    #[test]
    fn text_matches_are_ordered_slices_of_the_text(t in pii_like(), any in any::<String>()) {
        for text in [&t, &any] {
            let mut last_end = 0;
            for m in find_in_text(text) {
                prop_assert!(m.range.start >= last_end && m.range.start < m.range.end);
                prop_assert!(text.get(m.range.clone()).is_some(), "{:?} in {:?}", m.range, text);
                last_end = m.range.end;
            }
        }
    }
}

#[test]
fn long_and_odd_values() {
    let long = "9".repeat(100_000);
    assert_eq!(value_kind(&long), None);
    assert!(find_in_text(&long).is_empty());
    for v in ["+", "++92", "@", "PK", "::", "(", "۰", "\u{0}", "3520212345671\u{0}"] {
        let _ = value_kind(v);
        let _ = find_in_text(v);
    }
}
