//! Bad input is refused with an error naming where and what, and never panics.

use mizan_profile::{
    Limits, Options, Position, ProfileError, no_observers, profile_csv, profile_json_lines, profile_parquet,
};
use proptest::prelude::*;

fn csv(text: &str, options: &Options) -> Result<mizan_profile::Profile, ProfileError> {
    profile_csv(text.as_bytes(), options, &mut no_observers).map(|p| p.profile)
}

fn check(text: &str, options: &Options, expect: &str) {
    match csv(text, options) {
        Ok(p) => panic!("accepted {text:?}: {} rows", p.rows),
        Err(e) => assert_eq!(e.to_string(), expect, "for {text:?}"),
    }
}

#[test]
fn csv_errors_name_the_line_and_column() {
    let o = Options::default();
    check("a,b\n1,2\n3\n", &o, "line 3: found a record with 1 fields, but the header has 2");
    check(
        "a,b\n1,2\n3,\"open\n4,5\n",
        &o,
        "line 3: a quoted field starts here and is never closed; add the closing `\"`",
    );
    check("a,a\n1,2\n", &o, "column `a` appears twice in the header; rename one");
    check("", &o, "the file has no header row");
    let narrow = Options { limits: Limits { max_columns: 2, ..Limits::default() }, ..Options::default() };
    check(
        "a,b,c\n1,2,3\n",
        &narrow,
        "the file has 3 columns, more than the limit of 2; split it or raise the limit",
    );
    let short = Options { limits: Limits { max_value_chars: 3, ..Limits::default() }, ..Options::default() };
    check(
        "a,b\n1,2\n1,ابجدہ\n",
        &short,
        "line 3: the value of column `b` has 5 characters, more than the limit of 3",
    );
    let sens = Options { sensitive: vec!["sex".to_owned()], ..Options::default() };
    check("age,gender\n1,F\n", &sens, "column `sex` not found (columns: `age`, `gender`)");
    let bad = csv("a\n\u{0}\n", &o);
    assert!(bad.is_ok(), "a NUL byte is a value, not an error");
    match profile_csv(&b"a,b\n1,\xff\n"[..], &o, &mut no_observers) {
        Err(ProfileError::NotUtf8 { at: Position::Line(2), column }) => assert_eq!(column, "b"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn errors_later_in_a_large_file_keep_their_line() {
    let mut text = String::from("a,b\n");
    for i in 0..5000 {
        text.push_str(&format!("{i},x\n"));
    }
    text.push_str("1,2,3\n");
    let o = Options { limits: Limits { block_bytes: 512, ..Limits::default() }, ..Options::default() };
    check(&text, &o, "line 5002: found a record with 3 fields, but the header has 2");
}

#[test]
fn json_lines_errors() {
    let o = Options::default();
    let e = profile_json_lines(&b"{\"a\":1}\n[1,2]\n"[..], &o, &mut no_observers).map(|p| p.profile.rows);
    match e {
        Err(ProfileError::Json { at: Position::Line(2), .. }) => {}
        other => panic!("{other:?}"),
    }
}

#[test]
fn bad_parquet_is_an_error() {
    let o = Options::default();
    let bytes = bytes::Bytes::from_static(b"PAR1 not really parquet PAR1");
    match profile_parquet(bytes, &o, &mut no_observers) {
        Err(ProfileError::Parquet { .. }) => {}
        other => panic!("{other:?}"),
    }
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let o = Options { limits: Limits { block_bytes: 64, max_value_chars: 50, ..Limits::default() }, ..Options::default() };
        let _ = profile_csv(bytes.as_slice(), &o, &mut no_observers);
        let _ = profile_json_lines(bytes.as_slice(), &o, &mut no_observers);
        let _ = profile_parquet(bytes::Bytes::from(bytes), &o, &mut no_observers);
    }

    #[test]
    fn csv_shaped_text_never_panics(text in "[a-c,\"\n\r0-9.é-]{0,400}") {
        let o = Options { limits: Limits { block_bytes: 16, ..Limits::default() }, sensitive: vec![], ..Options::default() };
        let _ = profile_csv(text.as_bytes(), &o, &mut no_observers);
        let _ = profile_json_lines(text.as_bytes(), &o, &mut no_observers);
    }
}
